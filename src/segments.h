/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What shmtrace knows of segments, from /proc/sysvipc/shm and from the
 * calls it sees: so that shmat, shmdt and shmctl events can name their
 * segment's key, and shmget can tell created from opened.
 *
 * A segment is (IPC namespace, id): every namespace hands out the same ids.
 * A namespace's existing segments are read from its own table when its
 * first call is seen, and forgotten when it goes away. Tables have a fixed
 * size (memory stays flat however many namespaces come and go): when one
 * is full where a segment or mapping would go (src/hashtab.h), it is not
 * remembered, and the calls that name it show its key as unknown.
 */
#ifndef SHMTRACE_SEGMENTS_H
#define SHMTRACE_SEGMENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "mappings.h"
#include "shmtrace.h"

#define SEG_SLOTS 16384
#define NS_SLOTS 512
#define NO_UID UINT32_MAX

struct segment {
	bool used;
	bool from_snapshot;
	uint32_t ns;		/* its IPC namespace's inode */
	int32_t id;
	uint32_t key;
	uint32_t cuid;		/* creator, NO_UID if unknown */
	uint32_t uid;		/* owner, NO_UID if unknown */
	uint32_t mode;		/* permission bits */
	uint32_t cpid;
	int64_t ctime;		/* creation (snapshot only), seconds */
	/* Created by a traced call: what a leak report says of it. */
	bool traced_create;
	bool leaked;		/* still there at the end (segments_leaks) */
	bool removed;		/* IPC_RMID'ed, still attached */
	int64_t nattch;		/* now (at the end, if leaked); -1: unknown */
	uint32_t root_pieces;	/* of its attaches, those of uid 0 */
	uint64_t size;
	uint64_t created_ns;	/* CLOCK_BOOTTIME */
	char comm[TASK_COMM_LEN];
};

/* What an event learns from the tables. */
struct annotation {
	bool key_known;
	uint32_t key;
	int32_t shmid;		/* the segment, -1 if unknown */
	int created;		/* shmget: 1 created, 0 opened; else -1 */
	struct segment seg;	/* the segment as it was before the call */
	bool seg_known;
	const char *container;	/* the caller's container id, NULL: the host */
	unsigned int findings;	/* what -W finds in the call: 1 << enum finding */
	int64_t nattch;		/* the segment's after the event; -1: unknown */
	bool destroyed;		/* the event destroyed it (IPC_RMID, last detach) */
};

/* An IPC namespace whose segments the tables hold. */
struct ipc_ns {
	uint32_t inum;		/* 0: a free slot */
	uint64_t last_read_ms;	/* when its table was last read */
	uint64_t last_seen_ms;	/* its last call: the oldest gives way */
	uint64_t last_scan_ms;	/* when a process in it was last looked for */
};

struct segments {
	int64_t start_sec;	/* when tracing began, CLOCK_REALTIME */
	const char *path;	/* /proc/sysvipc/shm, read again for ids we miss */
	uint32_t own_ns;	/* the namespace path lists: shmtrace's own */
	uint64_t last_gc_ms;
	struct ipc_ns *last_ns;	/* the namespace of the last call */
	struct ipc_ns ns[NS_SLOTS];
	struct segment seg[SEG_SLOTS];
	struct mappings maps;
};

/*
 * Learns the segments of own_ns, shmtrace's own IPC namespace, that exist
 * now from path (/proc/sysvipc/shm). Another namespace's table is the same
 * file read from inside that namespace. t must be all zeros (static): its
 * tables are 1.5 MB, and writing zeros over them would fault in every
 * page at start.
 */
int segments_init(struct segments *t, const char *path, uint32_t own_ns);
/*
 * Segments a traced call created, never removed, that still exist: calls
 * fn for each, once. Reads every namespace's table again.
 */
void segments_leaks(struct segments *t,
		    void (*fn)(const struct segment *s, void *ctx), void *ctx);
struct shm_usage {
	uint64_t segments;
	uint64_t bytes;
};

/*
 * How many segments namespace ns has now, and their bytes: read directly
 * if ns is own_ns, else through pid (a process in it; if it is gone, any
 * other). Touches no table, so any thread may ask. The count, or -errno.
 */
int segments_usage(const char *path, uint32_t own_ns, uint32_t ns,
		   uint32_t pid, struct shm_usage *u);
/* Forgets the namespaces that no process is in any more; at most once a second. */
void segments_gc(struct segments *t);
/* Fills a for e, then updates the tables with e's effect. */
void segments_annotate(struct segments *t, const struct event *e,
		       struct annotation *a);

typedef int implicit_fn(void *ctx, const struct event *e,
			const struct annotation *a);
/*
 * A record of a holder's fork, exec, exit, munmap or mremap (REC_*):
 * calls fn with each attach or detach it made (EV_ATTACH, EV_DETACH),
 * already in the tables. fn's first non-zero return, or 0.
 */
int segments_life(struct segments *t, const struct event *rec,
		  implicit_fn *fn, void *ctx);
/* A live process in namespace ns, for the remove hint; 0 if none is left. */
uint32_t segments_pid_in(const struct segments *t, uint32_t ns);
/* Calls fn with the tgid of each process that has segment (ns, id) mapped. */
void segments_holders(const struct segments *t, uint32_t ns, int32_t id,
		      void (*fn)(uint32_t tgid, void *ctx), void *ctx);

#endif /* SHMTRACE_SEGMENTS_H */
