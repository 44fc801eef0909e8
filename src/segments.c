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

/* A mapping is known by its process and address; no padding to hash. */
struct att_key {
	uint64_t addr;
	uint32_t tgid;
	uint32_t zero;
};

static bool att_free(const struct hashtab *t, const void *slot)
{
	(void)t;
	return !((const struct attachment *)slot)->used;
}

static bool att_holds(const struct hashtab *t, const void *slot,
		      const void *key)
{
	const struct attachment *a = slot;
	const struct att_key *k = key;

	(void)t;
	return a->tgid == k->tgid && a->addr == k->addr;
}

/* The mapping's slot; for insert, a free one if need be, NULL when full. */
static struct attachment *att_find(struct segments *t, uint32_t tgid,
				   uint64_t addr, bool insert)
{
	const struct hashtab h = { t->att, sizeof(t->att[0]), ATT_SLOTS,
				   att_free, att_holds, NULL };
	struct att_key k = { .addr = addr, .tgid = tgid };
	uint64_t hash = hashtab_hash(&k, sizeof(k));

	return insert ? hashtab_insert(&h, hash, &k) : hashtab_find(&h, hash, &k);
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
		unsigned long long size;
		int key, id;
		long long ctime;

		/* key shmid perms size cpid lpid nattch uid gid cuid cgid
		 * atime dtime ctime ... */
		if (sscanf(line, "%d %d %o %llu %u %*u %u %u %*u %u %*u %*d %*d %lld",
			   &key, &id, &s.mode, &size, &s.cpid, &s.nattch,
			   &s.uid, &s.cuid, &ctime) != 9)
			continue;	/* the header */
		s.key = key;
		s.id = id;
		s.mode &= 0777;
		s.size = size;
		s.ctime = ctime;
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
	for (i = 0; i < ATT_SLOTS; i++)
		if (t->att[i].used && t->att[i].ns == n->inum)
			t->att[i].used = false;
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

static void note_shmat(struct segments *t, const struct event *e,
		       struct annotation *a)
{
	struct attachment *att;

	name_segment(t, e, e->ipc_ns, e->args[0], a);
	if (ret_is_error(e->ret))
		return;
	att = att_find(t, e->pid, e->ret, true);
	if (!att)
		return;		/* a full table: its shmdt names no segment */
	*att = (struct attachment){
		.used = true, .tgid = e->pid, .ns = e->ipc_ns,
		.shmid = e->args[0],
		.addr = e->ret,
	};
}

static void note_shmdt(struct segments *t, const struct event *e,
		       struct annotation *a)
{
	struct attachment *att = att_find(t, e->pid, e->args[0], false);

	if (!att)
		return;
	name_segment(t, e, att->ns, att->shmid, a);
	if (!ret_is_error(e->ret))
		att->used = false;
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
	if (cmd == IPC_RMID && !ret_is_error(e->ret)) {
		s = seg_find(t, e->ipc_ns, e->args[0]);
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
	ns_enter(t, e->ipc_ns, e->pid);
	/* The record comes from memory shared with the kernel. */
	if (e->syscall < SYS_MAX && notes[e->syscall])
		notes[e->syscall](t, e, a);
}
