// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include "decode.h"
#include "hashtab.h"
#include "segments.h"
#include "syscalls.h"
#include "util.h"

#define REREAD_MS	10
#define GC_MS		1000

/* What a segment is known by: every namespace hands out the same ids. */
struct seg_key {
	uint32_t ns;
	int32_t id;
};

static bool seg_free(const struct hashtab *t, const void *slot)
{
	(void)t;
	return !((const struct segment *)slot)->used;
}

static bool seg_holds(const struct hashtab *t, const void *slot,
		      const void *key)
{
	const struct segment *s = slot;
	const struct seg_key *k = key;

	(void)t;
	return s->ns == k->ns && s->id == k->id;
}

static struct segment *seg_table(struct segments *t, uint32_t ns, int32_t id,
				 bool insert)
{
	const struct hashtab h = { t->seg, sizeof(t->seg[0]), SEG_SLOTS,
				   seg_free, seg_holds, NULL };
	struct seg_key k = { ns, id };
	uint64_t hash = hashtab_hash(&k, sizeof(k));

	return insert ? hashtab_insert(&h, hash, &k) : hashtab_find(&h, hash, &k);
}

/* The slot holding (ns, id), or NULL. */
static struct segment *seg_find(struct segments *t, uint32_t ns, int32_t id)
{
	return seg_table(t, ns, id, false);
}

/* Remembers s; a full table cannot, and its key shows as unknown. */
static struct segment *seg_store(struct segments *t, const struct segment *s)
{
	struct segment *slot = seg_table(t, s->ns, s->id, true);

	if (slot)
		*slot = *s;
	return slot;
}

/*
 * Reads the segments listed in f, of namespace ns: adds those not known
 * yet, or (leaks) marks the traced creations that are still there.
 */
static int parse_table(struct segments *t, FILE *f, uint32_t ns, bool leaks)
{
	char line[512];
	int n = 0;

	while (fgets(line, sizeof(line), f)) {
		struct segment s = { .used = true, .from_snapshot = true,
				     .ns = ns }, *known;
		unsigned int nattch;
		unsigned long long size;
		int key, id;
		long long ctime;

		/* key shmid perms size cpid lpid nattch uid gid cuid cgid
		 * atime dtime ctime ... */
		if (sscanf(line, "%d %d %o %llu %u %*u %u %u %*u %u %*u %*d %*d %lld",
			   &key, &id, &s.mode, &size, &s.cpid, &nattch,
			   &s.uid, &s.cuid, &ctime) != 9)
			continue;	/* the header */
		s.key = key;
		s.id = id;
		s.mode &= 0777;
		s.size = size;
		s.ctime = ctime;
		s.nattch = nattch;
		known = seg_find(t, ns, id);
		if (leaks && known && known->traced_create &&
		    known->key == s.key) {
			known->leaked = true;
			known->nattch = s.nattch;
		} else if (!leaks && !known) {
			seg_store(t, &s);
		}
		n++;
	}
	return n;
}

/* The IPC namespace of /proc entry name, or 0 if it is no process. */
static uint32_t ns_of_pid(const char *name)
{
	char path[300];
	struct stat st;

	if (name[0] < '1' || name[0] > '9')
		return 0;
	snprintf(path, sizeof(path), "/proc/%s/ns/ipc", name);
	return stat(path, &st) ? 0 : st.st_ino;
}

struct foreign_read {
	struct segments *t;	/* the tables to fill, or NULL: count only */
	const char *path;
	uint32_t ns;
	uint32_t pid;
	bool leaks;
	struct shm_usage *usage;
	int ret;
};

/* Counts the segments listed in f and their bytes; touches no table. */
static int count_table(FILE *f, struct shm_usage *u)
{
	char line[512];
	unsigned long long size;

	*u = (struct shm_usage){ .segments = 0 };
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*d %*d %*o %llu", &size) != 1)
			continue;	/* the header */
		u->segments++;
		u->bytes = sat_add(u->bytes, size);
	}
	return u->segments;
}

static int read_file(struct foreign_read *r)
{
	FILE *f = fopen(r->path, "re");
	int n;

	if (!f)
		return -errno;
	n = r->t ? parse_table(r->t, f, r->ns, r->leaks) :
		   count_table(f, r->usage);
	fclose(f);
	return n;
}

/*
 * /proc/sysvipc/shm lists the namespace of whoever opens it, and setns()
 * moves only the calling thread: a thread of its own enters pid's
 * namespace, if pid is still in ns, and reads the table there.
 */
static void *read_foreign(void *arg)
{
	struct foreign_read *r = arg;
	char ns_path[64];
	struct stat st;
	int fd;

	snprintf(ns_path, sizeof(ns_path), "/proc/%u/ns/ipc", r->pid);
	fd = open(ns_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || st.st_ino != r->ns ||
	    setns(fd, CLONE_NEWIPC)) {
		r->ret = -errno;
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	close(fd);
	r->ret = read_file(r);
	return NULL;
}

static int run_foreign(struct foreign_read *r)
{
	pthread_t thread;

	r->ret = -ESRCH;
	if (!r->pid || pthread_create(&thread, NULL, read_foreign, r))
		return -ESRCH;
	pthread_join(thread, NULL);
	return r->ret;
}

/* A process in namespace ns, or 0: the slow way, a look at every process. */
static uint32_t find_pid_in(uint32_t ns)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;
	uint32_t pid = 0;

	while (proc && !pid && (d = readdir(proc)))
		if (ns_of_pid(d->d_name) == ns)
			pid = strtoul(d->d_name, NULL, 10);
	if (proc)
		closedir(proc);
	return pid;
}

/* Namespace r->ns's table: ours directly, another through r->pid (0: any). */
static int read_ns(struct foreign_read *r, uint32_t own_ns)
{
	if (r->ns == own_ns)
		return read_file(r);
	if (!r->pid)
		r->pid = find_pid_in(r->ns);
	return run_foreign(r);
}

static int read_table(struct segments *t, uint32_t ns, uint32_t pid,
		      bool leaks)
{
	struct foreign_read r = { .t = t, .path = t->path, .ns = ns,
				  .pid = pid, .leaks = leaks };

	return read_ns(&r, t->own_ns);
}

/*
 * Reads namespace n's table through pid, a process in it. A caller may be
 * gone by the time its call is read while its namespace lives on: then
 * another process in it will do, looked for at most once a second.
 */
static int read_segments(struct segments *t, struct ipc_ns *n, uint32_t pid)
{
	int ret = read_table(t, n->inum, pid, false);

	if (ret >= 0 || n->inum == t->own_ns ||
	    now_ms() - n->last_scan_ms < GC_MS)
		return ret;
	n->last_scan_ms = now_ms();
	return read_table(t, n->inum, 0, false);
}

static void forget_ns(struct segments *t, struct ipc_ns *n)
{
	size_t i;

	for (i = 0; i < SEG_SLOTS; i++)
		if (t->seg[i].used && t->seg[i].ns == n->inum)
			t->seg[i].used = false;
	mappings_forget_ns(&t->maps, n->inum);
	n->inum = 0;
	t->last_ns = NULL;
}

/*
 * The namespace's slot, taken (and its table read) when its first call is
 * seen; when all are taken, the one seen least recently gives way.
 */
static struct ipc_ns *ns_enter(struct segments *t, uint32_t inum, uint32_t pid)
{
	struct ipc_ns *n = t->last_ns, *oldest = &t->ns[0];

	/* Calls come in runs from one namespace. */
	if (n && n->inum == inum)
		goto seen;
	for (n = t->ns; n < t->ns + NS_SLOTS; n++) {
		if (n->inum == inum)
			goto seen;
		if (n->last_seen_ms < oldest->last_seen_ms)
			oldest = n;
	}
	n = oldest;
	if (n->inum)
		forget_ns(t, n);
	*n = (struct ipc_ns){ .inum = inum, .last_read_ms = now_ms() };
	read_segments(t, n, pid);
seen:
	if (n->inum != t->own_ns)
		n->last_seen_ms = now_ms();
	t->last_ns = n;
	return n;
}

int segments_init(struct segments *t, const char *path, uint32_t own_ns)
{
	t->start_sec = time(NULL);
	t->path = path;
	t->own_ns = own_ns;
	t->last_gc_ms = now_ms();
	/* Never seen least recently: its table is the one path lists. */
	t->ns[0] = (struct ipc_ns){ .inum = own_ns, .last_read_ms = now_ms(),
				    .last_seen_ms = UINT64_MAX };
	return read_table(t, own_ns, 0, false);
}

void segments_leaks(struct segments *t,
		    void (*fn)(const struct segment *s, void *ctx), void *ctx)
{
	bool read[NS_SLOTS] = { false };
	struct segment *s;
	int i;

	for (s = t->seg; s < t->seg + SEG_SLOTS; s++) {
		if (!s->used || !s->traced_create)
			continue;
		for (i = 0; i < NS_SLOTS && t->ns[i].inum != s->ns; i++)
			;
		if (i == NS_SLOTS || read[i])
			continue;
		read[i] = true;
		/* A namespace that is gone took its segments with it. */
		read_table(t, s->ns, 0, true);
	}
	for (s = t->seg; s < t->seg + SEG_SLOTS; s++)
		if (s->used && s->leaked)
			fn(s, ctx);
}

int segments_usage(const char *path, uint32_t own_ns, uint32_t ns,
		   uint32_t pid, struct shm_usage *u)
{
	struct foreign_read r = { .path = path, .ns = ns, .pid = pid,
				  .usage = u };
	int ret = read_ns(&r, own_ns);

	/* The last caller may be gone while its namespace lives on. */
	if (ret >= 0 || ns == own_ns || !pid)
		return ret;
	r.pid = 0;
	return read_ns(&r, own_ns);
}

/* Marks in live the namespaces of t that some process is in. */
static void find_live(const struct segments *t, bool live[NS_SLOTS])
{
	DIR *proc = opendir("/proc");
	struct dirent *d;
	uint32_t ns;
	int i;

	if (!proc) {
		memset(live, true, NS_SLOTS);	/* cannot tell: keep all */
		return;
	}
	while ((d = readdir(proc))) {
		ns = ns_of_pid(d->d_name);
		for (i = 0; ns && i < NS_SLOTS; i++)
			if (t->ns[i].inum == ns)
				live[i] = true;
	}
	closedir(proc);
}

/*
 * Namespace inodes are reused once freed: a gone namespace's segments
 * must not be taken for those of the next one with its number.
 */
void segments_gc(struct segments *t)
{
	bool live[NS_SLOTS] = { false };
	int i, others = 0;

	if (now_ms() - t->last_gc_ms < GC_MS)
		return;
	t->last_gc_ms = now_ms();
	for (i = 0; i < NS_SLOTS; i++)
		others += t->ns[i].inum && t->ns[i].inum != t->own_ns;
	if (!others)
		return;
	find_live(t, live);
	for (i = 0; i < NS_SLOTS; i++)
		if (t->ns[i].inum && t->ns[i].inum != t->own_ns && !live[i])
			forget_ns(t, &t->ns[i]);
}

/*
 * Whether a successful shmget created its segment. Only IPC_CREAT
 * without IPC_EXCL on a fixed key leaves it open; then a segment we
 * already knew was opened, except one the snapshot may have caught just
 * after the caller created it.
 */
static int shmget_created(const struct segments *t, const struct event *e,
			  const struct segment *known)
{
	uint32_t flg = e->args[2];

	if ((uint32_t)e->args[0] == 0)
		return 1;
	if (!(flg & IPC_CREAT))
		return 0;
	if (flg & IPC_EXCL)
		return 1;
	if (!known)
		return 1;
	return known->from_snapshot && known->cpid == e->pid &&
	       known->ctime >= t->start_sec - 1;
}

static void note_shmget(struct segments *t, const struct event *e,
			struct annotation *a)
{
	struct segment *s = seg_find(t, e->ipc_ns, e->ret), fresh;

	a->key_known = true;
	a->key = e->args[0];
	if (ret_is_error(e->ret))
		return;
	a->shmid = e->ret;
	if (s) {
		a->seg = *s;
		a->seg_known = true;
	}
	a->created = shmget_created(t, e, s);
	if (!a->created && s)
		return;
	fresh = (struct segment){
		.used = true,
		.traced_create = a->created == 1,
		.size = e->args[1],
		.created_ns = e->ts_ns,
		.ns = e->ipc_ns,
		.id = e->ret,
		.key = e->args[0],
		.cuid = a->created ? e->uid : NO_UID,
		.uid = a->created ? e->uid : NO_UID,
		.mode = e->args[2] & 0777,
		.cpid = a->created ? e->pid : 0,
		.nattch = a->created ? 0 : -1,
	};
	memcpy(fresh.comm, e->comm, sizeof(fresh.comm));
	seg_store(t, &fresh);
}

/*
 * A segment made while shmget was not traced (or in the tables' blind
 * spot) may still be listed: read the list again, at most every 10 ms.
 */
static struct segment *seg_lookup(struct segments *t, const struct event *e,
				  uint32_t ns, int32_t id)
{
	struct segment *s = seg_find(t, ns, id);
	struct ipc_ns *n;

	if (s)
		return s;
	n = ns_enter(t, ns, e->pid);
	if (now_ms() - n->last_read_ms < REREAD_MS)
		return NULL;
	n->last_read_ms = now_ms();
	read_segments(t, n, e->pid);
	return seg_find(t, ns, id);
}

/* What the tables know of segment (ns, id); e is the call that names it. */
static void name_segment(struct segments *t, const struct event *e,
			 uint32_t ns, int32_t id, struct annotation *a)
{
	struct segment *s = seg_lookup(t, e, ns, id);

	a->shmid = id;
	if (!s)
		return;
	a->key_known = true;
	a->key = s->key;
	a->seg = *s;
	a->seg_known = true;
}

static uint64_t page_up(uint64_t v)
{
	static uint64_t page;

	if (!page)
		page = sysconf(_SC_PAGESIZE);
	return (v + page - 1) & ~(page - 1);
}

/*
 * One more or one less VMA of piece p's segment, held by a process of
 * uid; a's nattch is the count after it. A segment IPC_RMID'ed while
 * attached goes with its last detach.
 */
static void count_piece(struct segments *t, const struct piece *p,
			uint32_t uid, int delta, struct annotation *a)
{
	struct segment *s = seg_find(t, p->ns, p->shmid);

	a->shmid = p->shmid;
	a->key_known = p->key_known;
	a->key = p->key;
	a->nattch = -1;
	if (!s)
		return;
	a->seg = *s;
	a->seg_known = true;
	if (!uid)
		s->root_pieces += delta;
	if (s->nattch < 0 || s->nattch + delta < 0)
		return;
	s->nattch += delta;
	a->nattch = s->nattch;
	if (s->removed && !s->nattch) {
		a->destroyed = true;
		s->used = false;
	}
}

static void note_shmat(struct segments *t, const struct event *e,
		       struct annotation *a)
{
	struct piece p = { .start = e->ret, .ns = e->ipc_ns,
			   .shmid = e->args[0] };
	struct holder *h;

	name_segment(t, e, e->ipc_ns, e->args[0], a);
	if (ret_is_error(e->ret))
		return;
	p.end = p.start + page_up(a->seg_known ? a->seg.size : 1);
	p.key_known = a->key_known;
	p.key = a->key;
	h = holder_get(&t->maps, e->pid, e->uid, true);
	/* A full table: its shmdt names no segment. */
	if (h && piece_add(&t->maps, h, &p))
		count_piece(t, &p, h->uid, 1, a);
	else
		t->maps.dropped += !h;
}

/*
 * shmdt takes every piece that its address was attached at, as the
 * kernel does (a split mapping is one attach, several VMAs).
 */
static void note_shmdt(struct segments *t, const struct event *e,
		       struct annotation *a)
{
	struct holder *h = holder_get(&t->maps, e->pid, 0, false);
	uint32_t i;

	for (i = h ? h->n : 0; i-- > 0;) {
		struct piece p = h->p[i];

		if (p.start - p.off != e->args[0])
			continue;
		if (ret_is_error(e->ret)) {
			name_segment(t, e, p.ns, p.shmid, a);
			a->key_known = p.key_known;
			a->key = p.key;
			return;
		}
		piece_del(h, i);
		count_piece(t, &p, h->uid, -1, a);
	}
	holder_put(h);
}

static void note_shmctl(struct segments *t, const struct event *e,
			struct annotation *a)
{
	uint32_t cmd = shmctl_cmd(e->args[1], e->abi);
	struct segment *s;

	if (shmctl_names_table(e))
		return;
	/* SHM_STAT takes an index into the kernel's table, and returns the id. */
	if (syscall_ret_kind(e) == RET_SHMID) {
		if (!ret_is_error(e->ret))
			name_segment(t, e, e->ipc_ns, e->ret, a);
		return;
	}
	name_segment(t, e, e->ipc_ns, e->args[0], a);
	if (cmd != IPC_RMID || ret_is_error(e->ret))
		return;
	s = seg_find(t, e->ipc_ns, e->args[0]);
	if (!s)
		return;
	/* Attached still: it lives on, with its key, until the last detach. */
	s->removed = s->nattch > 0;
	s->used = s->removed;
	a->destroyed = !s->nattch;
}

/* What each syscall teaches the tables; NULL: nothing. */
static void (*const notes[SYS_MAX])(struct segments *t, const struct event *e,
				     struct annotation *a) = {
	[SYS_SHMGET] = note_shmget,
	[SYS_SHMAT] = note_shmat,
	[SYS_SHMDT] = note_shmdt,
	[SYS_SHMCTL] = note_shmctl,
};

void segments_annotate(struct segments *t, const struct event *e,
		       struct annotation *a)
{
	*a = (struct annotation){ .shmid = -1, .created = -1, .nattch = -1 };
	ns_enter(t, e->ipc_ns, e->pid);
	/* The record comes from memory shared with the kernel. */
	if (e->syscall < SYS_MAX && notes[e->syscall])
		notes[e->syscall](t, e, a);
}

/* One record of a holder's, and where its implicit events go. */
struct life {
	struct segments *t;
	const struct event *rec;
	implicit_fn *fn;
	void *ctx;
	int err;
};

/* An attach or detach of piece p, with the record's process and time. */
static void implicit(struct life *l, enum shm_implicit kind,
		     enum life_cause cause, const struct piece *p, uint32_t uid)
{
	struct annotation a = { .shmid = -1, .created = -1, .nattch = -1 };
	struct event e = *l->rec;

	count_piece(l->t, p, uid, kind == EV_ATTACH ? 1 : -1, &a);
	e.syscall = kind;
	e.ipc_ns = p->ns;
	e.args[0] = p->start;
	e.args[1] = p->shmid;
	e.args[2] = cause;
	e.ret = 0;
	e.latency_ns = 0;
	if (!l->err)
		l->err = l->fn(l->ctx, &e, &a);
}

/* The child has a copy of each of its parent's pieces. */
static void life_fork(struct life *l)
{
	struct mappings *m = &l->t->maps;
	struct holder *parent = holder_get(m, l->rec->args[0], 0, false);
	struct holder *child;
	uint32_t i;

	if (!parent)
		return;
	child = holder_get(m, l->rec->pid, l->rec->uid, true);
	if (!child) {
		m->dropped += parent->n;
		return;
	}
	/* A pid used again after an exit that was not seen. */
	child->n = 0;
	child->uid = l->rec->uid;
	for (i = 0; i < parent->n; i++)
		if (piece_add(m, child, &parent->p[i]))
			implicit(l, EV_ATTACH, CAUSE_FORK, &parent->p[i],
				 child->uid);
	holder_put(child);
}

/* exec and exit take the whole mm. */
static void life_drop(struct life *l, struct holder *h, enum life_cause cause)
{
	uint32_t i, n = h->n;

	h->n = 0;
	for (i = 0; i < n; i++)
		implicit(l, EV_DETACH, cause, &h->p[i], h->uid);
}

/*
 * [a, b) is unmapped: a piece inside it is detached, one that it cuts
 * in the middle becomes two VMAs (one attach more), one it overlaps at
 * an end shrinks.
 */
static void unmap(struct life *l, struct holder *h, uint64_t a, uint64_t b,
		  enum life_cause cause)
{
	uint32_t i;

	for (i = h->n; i-- > 0;) {
		struct piece *p = &h->p[i], cut = *p;

		if (p->end <= a || p->start >= b)
			continue;
		if (a <= p->start && b >= p->end) {
			piece_del(h, i);
			implicit(l, EV_DETACH, cause, &cut, h->uid);
		} else if (a > p->start && b < p->end) {
			p->end = a;
			cut.off += b - cut.start;
			cut.start = b;
			if (piece_add(&l->t->maps, h, &cut))
				implicit(l, EV_ATTACH, CAUSE_SPLIT, &cut, h->uid);
		} else if (a <= p->start) {
			p->off += b - p->start;
			p->start = b;
		} else {
			p->end = a;
		}
	}
}

/* The piece that addr is in, or -1. */
static int piece_at(const struct holder *h, uint64_t addr)
{
	uint32_t i;

	for (i = 0; i < h->n; i++)
		if (h->p[i].start <= addr && addr < h->p[i].end)
			return i;
	return -1;
}

/*
 * mremap shrinks by unmapping the tail, grows in place, or moves: the
 * whole VMA (no count changes), or a part of it, split off first (one
 * attach more). What it moves onto is unmapped.
 */
static void life_mremap(struct life *l, struct holder *h)
{
	uint64_t old = l->rec->args[0], to = l->rec->ret;
	uint64_t old_len = page_up(l->rec->args[1]);
	uint64_t new_len = page_up(l->rec->args[2]);
	struct piece moved;
	int i;

	if (new_len < old_len) {
		unmap(l, h, old + new_len, old + old_len, CAUSE_MREMAP);
		old_len = new_len;
	}
	i = piece_at(h, old);
	if (i < 0)
		return;
	if (to == old) {
		if (old + old_len >= h->p[i].end)
			h->p[i].end = old + new_len;
		return;
	}
	moved = h->p[i];
	moved.off += old - moved.start;
	moved.start = to;
	moved.end = to + new_len;
	if (old == h->p[i].start && old + old_len >= h->p[i].end) {
		piece_del(h, i);
		unmap(l, h, to, to + new_len, CAUSE_MREMAP);
		piece_add(&l->t->maps, h, &moved);
		return;
	}
	unmap(l, h, old, old + old_len, CAUSE_MREMAP);
	unmap(l, h, to, to + new_len, CAUSE_MREMAP);
	if (piece_add(&l->t->maps, h, &moved))
		implicit(l, EV_ATTACH, CAUSE_MREMAP, &moved, h->uid);
}

int segments_life(struct segments *t, const struct event *rec,
		  implicit_fn *fn, void *ctx)
{
	struct life l = { .t = t, .rec = rec, .fn = fn, .ctx = ctx };
	struct holder *h;

	if (rec->syscall == REC_FORK) {
		life_fork(&l);
		return l.err;
	}
	h = holder_get(&t->maps, rec->pid, 0, false);
	if (!h)
		return 0;
	switch (rec->syscall) {
	case REC_EXEC:
		life_drop(&l, h, CAUSE_EXEC);
		break;
	case REC_EXIT:
		life_drop(&l, h, CAUSE_EXIT);
		break;
	case REC_MUNMAP:
		unmap(&l, h, rec->args[0], rec->args[0] + page_up(rec->args[1]),
		      CAUSE_MUNMAP);
		break;
	case REC_MREMAP:
		life_mremap(&l, h);
		break;
	}
	holder_put(h);
	return l.err;
}

void segments_holders(const struct segments *t, uint32_t ns, int32_t id,
		      void (*fn)(uint32_t tgid, void *ctx), void *ctx)
{
	const struct holder *h;
	uint32_t i;

	for (h = t->maps.h; h < t->maps.h + HOLDER_SLOTS; h++) {
		for (i = 0; h->tgid && i < h->n; i++) {
			if (h->p[i].ns == ns && h->p[i].shmid == id) {
				fn(h->tgid, ctx);
				break;
			}
		}
	}
}

uint32_t segments_pid_in(const struct segments *t, uint32_t ns)
{
	return ns == t->own_ns ? 0 : find_pid_in(ns);
}
