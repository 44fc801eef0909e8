// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE	/* IPC_RMID */
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include "decode.h"
#include "hashtab.h"
#include "segtable.h"
#include "syscalls.h"
#include "util.h"

struct row_key {
	uint32_t ns;
	int32_t id;
};

static bool row_free(const struct hashtab *h, const void *slot)
{
	(void)h;
	return !((const struct seg_row *)slot)->used;
}

/* A destroyed segment's row stays, and is found no more. */
static bool row_holds(const struct hashtab *h, const void *slot,
		      const void *key)
{
	const struct seg_row *r = slot;
	const struct row_key *k = key;

	(void)h;
	return r->live && r->ns == k->ns && r->id == k->id;
}

static struct seg_row *row_of(struct segtable *t, uint32_t ns, int32_t id)
{
	struct row_key k = { ns, id };
	struct hashtab h;
	struct seg_row *r;

	if (!t->rows && !(t->rows = calloc(SEGTABLE_ROWS, sizeof(*t->rows))))
		return NULL;
	h = (struct hashtab){ t->rows, sizeof(t->rows[0]), SEGTABLE_ROWS,
			      row_free, row_holds, NULL };
	r = hashtab_insert(&h, hashtab_hash(&k, sizeof(k)), &k);
	if (r && !r->used)
		*r = (struct seg_row){ .used = true, .live = true, .ns = ns,
				       .id = id, .max_nattch = -1,
				       .order = t->n++ };
	return r;
}

static void set_who(struct who *w, uint32_t pid, uint32_t uid,
		    const char *comm)
{
	w->pid = pid;
	w->uid = uid;
	memcpy(w->comm, comm, TASK_COMM_LEN);
}

static void add_holder(struct seg_row *r, uint32_t pid)
{
	uint32_t i;

	for (i = 0; i < r->nholders; i++)
		if (r->holders[i] == pid)
			return;
	if (r->nholders < SEGTABLE_HOLDERS)
		r->holders[r->nholders++] = pid;
	else
		r->more_attaches++;
}

/* What the segment tables knew of it before the event. */
static void learn(struct seg_row *r, const struct event *e,
		  const struct annotation *a)
{
	if (a->key_known) {
		r->key_known = true;
		r->key = a->key;
	}
	if (a->created == 1) {
		r->size = e->args[1];
		set_who(&r->creator, e->pid, e->uid, e->comm);
	} else if (a->seg_known && !r->creator.pid) {
		r->size = a->seg.size;
		set_who(&r->creator, a->seg.cpid, a->seg.cuid, a->seg.comm);
	}
}

static bool attaches(const struct event *e)
{
	return e->syscall == EV_ATTACH ||
	       (e->syscall == SYS_SHMAT && !ret_is_error(e->ret));
}

void segtable_add(struct segtable *t, const struct event *e,
		  const struct annotation *a)
{
	struct seg_row *r;

	/* A failed call names no segment that is known to exist. */
	if (a->shmid < 0 || (ret_is_error(e->ret) && !a->seg_known))
		return;
	r = row_of(t, e->ipc_ns, a->shmid);
	if (!r) {
		t->dropped++;
		return;
	}
	learn(r, e, a);
	if (attaches(e))
		add_holder(r, e->pid);
	if (a->nattch > r->max_nattch)
		r->max_nattch = a->nattch;
	if (e->syscall == SYS_SHMCTL && !ret_is_error(e->ret) &&
	    shmctl_cmd(e->args[1], e->abi) == IPC_RMID)
		set_who(&r->remover, e->pid, e->uid, e->comm);
	if (a->destroyed) {
		r->destroyed_ns = e->ts_ns;
		r->live = false;
	}
}

static int by_order(const void *x, const void *y)
{
	const struct seg_row *a = *(const struct seg_row *const *)x;
	const struct seg_row *b = *(const struct seg_row *const *)y;

	return a->order < b->order ? -1 : a->order > b->order;
}

/* The rows in the order their segments were first named; NULL if none. */
static const struct seg_row **sorted(const struct segtable *t, uint32_t *n)
{
	const struct seg_row **v;
	uint32_t i;

	*n = 0;
	if (!t->rows || !(v = calloc(SEGTABLE_ROWS, sizeof(*v))))
		return NULL;
	for (i = 0; i < SEGTABLE_ROWS; i++)
		if (t->rows[i].used)
			v[(*n)++] = &t->rows[i];
	qsort(v, *n, sizeof(*v), by_order);
	return v;
}

/* pid/comm, or -. */
static void put_who_text(struct sink *s, const struct who *w)
{
	if (!w->pid) {
		put_char(s, '-');
		return;
	}
	put_u64(s, w->pid);
	put_char(s, '/');
	put_comm_text(s, w->comm, TASK_COMM_LEN);
}

static void put_holders_text(struct sink *s, const struct seg_row *r)
{
	uint32_t i;

	for (i = 0; i < r->nholders; i++) {
		if (i)
			put_char(s, ',');
		put_u64(s, r->holders[i]);
	}
	if (!r->nholders)
		put_char(s, '-');
	if (r->more_attaches) {
		put_char(s, '+');
		put_u64(s, r->more_attaches);
	}
}

/* Pads the cell begun at start to width, then a space. */
static void pad(struct sink *s, size_t start, int width)
{
	size_t n = s->len - start;

	if (n < (size_t)width)
		put_padded(s, "", 0, -(width - (int)n));
	put_char(s, ' ');
}

static void row_text(const struct seg_row *r, struct output *o,
		     struct sink *s)
{
	size_t start = s->len;

	if (r->key_known)
		decode_key(s, r->key);
	else
		put_char(s, '-');
	pad(s, start, 11);
	start = s->len;
	put_s64(s, r->id);
	pad(s, start, 10);
	start = s->len;
	put_u64(s, r->ns);
	pad(s, start, 10);
	start = s->len;
	put_u64(s, r->size);
	pad(s, start, 10);
	start = s->len;
	put_who_text(s, &r->creator);
	pad(s, start, 24);
	start = s->len;
	if (r->max_nattch >= 0)
		put_u64(s, r->max_nattch);
	else
		put_char(s, '-');
	pad(s, start, 10);
	start = s->len;
	put_holders_text(s, r);
	pad(s, start, 24);
	start = s->len;
	put_who_text(s, &r->remover);
	pad(s, start, 24);
	if (r->destroyed_ns)
		output_put_time(o, s, r->destroyed_ns);
	else
		put_char(s, '-');
	put_char(s, '\n');
}

/* The rows go to o's buffer, written out whenever it nearly fills. */
static void make_room(struct output *o)
{
	if (o->sink.cap - o->sink.len < 2048)
		output_flush(o);
}

void segtable_print_text(const struct segtable *t, struct output *o)
{
	struct sink *s = &o->sink;
	uint32_t i, n;
	const struct seg_row **v = sorted(t, &n);

	if (!n) {
		free(v);
		return;
	}
	put_str(s, "\nKEY         ID         IPC_NS     SIZE       CREATOR                  MAX_NATTCH HOLDERS                  REMOVED_BY               DESTROYED\n");
	for (i = 0; i < n; i++) {
		make_room(o);
		row_text(v[i], o, s);
	}
	free(v);
	if (t->dropped) {
		put_str(s, "(");
		put_u64(s, t->dropped);
		put_str(s, " events named segments past the table's ");
		put_u64(s, SEGTABLE_ROWS);
		put_str(s, " rows)\n");
	}
}

static void put_who_json(struct sink *s, const char *name, const struct who *w)
{
	put_str(s, ",\"");
	put_str(s, name);
	put_str(s, "\":");
	if (!w->pid) {
		put_str(s, "null");
		return;
	}
	put_str(s, "{\"pid\":");
	put_u64(s, w->pid);
	put_str(s, ",\"uid\":");
	put_u64(s, w->uid);
	put_str(s, ",\"comm\":");
	put_json_string(s, w->comm, TASK_COMM_LEN);
	put_char(s, '}');
}

static void row_json(const struct seg_row *r, struct output *o,
		     struct sink *s)
{
	uint32_t i;

	put_str(s, "{\"key\":");
	if (r->key_known)
		put_u64(s, r->key);
	else
		put_str(s, "null");
	put_str(s, ",\"id\":");
	put_s64(s, r->id);
	put_str(s, ",\"ipc_ns\":");
	put_u64(s, r->ns);
	put_str(s, ",\"size\":");
	put_u64(s, r->size);
	put_who_json(s, "creator", &r->creator);
	put_str(s, ",\"holders\":[");
	for (i = 0; i < r->nholders; i++) {
		if (i)
			put_char(s, ',');
		put_u64(s, r->holders[i]);
	}
	put_str(s, "],\"more_attaches\":");
	put_u64(s, r->more_attaches);
	put_str(s, ",\"max_nattch\":");
	if (r->max_nattch >= 0)
		put_u64(s, r->max_nattch);
	else
		put_str(s, "null");
	put_who_json(s, "removed_by", &r->remover);
	put_str(s, ",\"destroyed\":");
	if (r->destroyed_ns) {
		put_char(s, '"');
		output_put_time(o, s, r->destroyed_ns);
		put_char(s, '"');
	} else {
		put_str(s, "null");
	}
	put_char(s, '}');
}

void segtable_print_json(const struct segtable *t, struct output *o)
{
	struct sink *s = &o->sink;
	uint32_t i, n;
	const struct seg_row **v = sorted(t, &n);

	put_str(s, ",\"segments\":[");
	for (i = 0; i < n; i++) {
		make_room(o);
		if (i)
			put_char(s, ',');
		row_json(v[i], o, s);
	}
	free(v);
	put_str(s, "],\"segments_dropped\":");
	put_u64(s, t->dropped);
}

void segtable_free(struct segtable *t)
{
	free(t->rows);
	t->rows = NULL;
}
