// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/shm.h>
#include "decode.h"
#include "segments.h"
#include "util.h"

#define PROBES		32	/* slots looked at before giving up */

static uint32_t hash(uint64_t v)
{
	return (uint32_t)((v * 0x9e3779b97f4a7c15ULL) >> 40);
}

/* The slot holding id, or NULL. */
static struct segment *seg_find(struct segments *t, int32_t id)
{
	uint32_t h = hash((uint32_t)id);
	int i;

	for (i = 0; i < PROBES; i++) {
		struct segment *s = &t->seg[(h + i) % SEG_SLOTS];

		if (s->used && s->id == id)
			return s;
	}
	return NULL;
}

/* A slot for id: its own, a free one, or (table full) the first probed. */
static struct segment *seg_slot(struct segments *t, int32_t id)
{
	uint32_t h = hash((uint32_t)id);
	struct segment *s = seg_find(t, id);
	int i;

	if (s)
		return s;
	for (i = 0; i < PROBES; i++) {
		s = &t->seg[(h + i) % SEG_SLOTS];
		if (!s->used)
			return s;
	}
	return &t->seg[h % SEG_SLOTS];
}

static struct attachment *att_find(struct segments *t, uint32_t tgid,
				   uint64_t addr, bool for_insert)
{
	uint32_t h = hash(addr ^ ((uint64_t)tgid << 48));
	int i;

	for (i = 0; i < PROBES; i++) {
		struct attachment *a = &t->att[(h + i) % ATT_SLOTS];

		if (a->used && a->tgid == tgid && a->addr == addr)
			return a;
		if (for_insert && !a->used)
			return a;
	}
	return for_insert ? &t->att[h % ATT_SLOTS] : NULL;
}

#define REREAD_MS 10

/* Adds the segments listed in path; those we know already stay as they are. */
static int read_segments(struct segments *t)
{
	FILE *f = fopen(t->path, "re");
	char line[512];
	int n = 0;

	t->last_read_ms = now_ms();
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct segment s = { .used = true, .from_snapshot = true };
		int key, id;
		long long ctime;

		/* key shmid perms size cpid lpid nattch uid gid cuid cgid
		 * atime dtime ctime ... */
		if (sscanf(line, "%d %d %o %*u %u %*u %*u %u %*u %u %*u %*d %*d %lld",
			   &key, &id, &s.mode, &s.cpid, &s.uid, &s.cuid,
			   &ctime) != 7)
			continue;	/* the header */
		s.key = key;
		s.id = id;
		s.mode &= 0777;
		s.ctime = ctime;
		if (!seg_find(t, id))
			*seg_slot(t, id) = s;
		n++;
	}
	fclose(f);
	return n;
}

int segments_init(struct segments *t, const char *path)
{
	memset(t, 0, sizeof(*t));
	t->start_sec = time(NULL);
	t->path = path;
	return read_segments(t);
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
	struct segment *s = seg_find(t, e->ret);

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
	s = seg_slot(t, e->ret);
	*s = (struct segment){
		.used = true,
		.id = e->ret,
		.key = e->args[0],
		.cuid = a->created ? e->uid : NO_UID,
		.uid = a->created ? e->uid : NO_UID,
		.mode = e->args[2] & 0777,
		.cpid = a->created ? e->pid : 0,
	};
}

/*
 * A segment made while shmget was not traced (or in the tables' blind
 * spot) may still be listed: read the list again, at most every 10 ms.
 */
static struct segment *seg_lookup(struct segments *t, int32_t id)
{
	struct segment *s = seg_find(t, id);

	if (s || now_ms() - t->last_read_ms < REREAD_MS)
		return s;
	read_segments(t);
	return seg_find(t, id);
}

static void name_segment(struct segments *t, int32_t id,
			 struct annotation *a)
{
	struct segment *s = seg_lookup(t, id);

	a->shmid = id;
	if (!s)
		return;
	a->key_known = true;
	a->key = s->key;
	a->seg = *s;
	a->seg_known = true;
}

static void note_shmat(struct segments *t, const struct event *e,
		       struct annotation *a)
{
	struct attachment *att;

	name_segment(t, e->args[0], a);
	if (ret_is_error(e->ret))
		return;
	att = att_find(t, e->pid, e->ret, true);
	*att = (struct attachment){
		.used = true, .tgid = e->pid, .shmid = e->args[0],
		.addr = e->ret,
	};
}

static void note_shmdt(struct segments *t, const struct event *e,
		       struct annotation *a)
{
	struct attachment *att = att_find(t, e->pid, e->args[0], false);

	if (!att)
		return;
	name_segment(t, att->shmid, a);
	if (!ret_is_error(e->ret))
		att->used = false;
}

static void note_shmctl(struct segments *t, const struct event *e,
			struct annotation *a)
{
	uint32_t cmd = shmctl_cmd(e->args[1]);
	struct segment *s;

	/* SHM_STAT takes an index into the kernel's table, and returns the id. */
	if (cmd == SHM_STAT || cmd == SHM_STAT_ANY) {
		if (!ret_is_error(e->ret))
			name_segment(t, e->ret, a);
		return;
	}
	name_segment(t, e->args[0], a);
	if (cmd == IPC_RMID && !ret_is_error(e->ret)) {
		s = seg_find(t, e->args[0]);
		if (s)
			s->used = false;
	}
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
	*a = (struct annotation){ .shmid = -1, .created = -1 };
	/* The record comes from memory shared with the kernel. */
	if (e->syscall < SYS_MAX && notes[e->syscall])
		notes[e->syscall](t, e, a);
}
