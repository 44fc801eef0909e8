/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What shmtrace knows of segments, from /proc/sysvipc/shm at start and
 * from the calls it sees since: so that shmat, shmdt and shmctl events can
 * name their segment's key, and shmget can tell created from opened.
 * Tables have a fixed size (memory stays flat): when one is full, an old
 * entry gives way and its segment's key shows as unknown.
 */
#ifndef SHMTRACE_SEGMENTS_H
#define SHMTRACE_SEGMENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "shmtrace.h"

#define SEG_SLOTS 8192
#define ATT_SLOTS 8192
#define NO_UID UINT32_MAX

struct segment {
	bool used;
	bool from_snapshot;
	int32_t id;
	uint32_t key;
	uint32_t cuid;		/* creator, NO_UID if unknown */
	uint32_t uid;		/* owner, NO_UID if unknown */
	uint32_t mode;		/* permission bits */
	uint32_t cpid;
	int64_t ctime;		/* creation (snapshot only), seconds */
};

struct attachment {
	bool used;
	uint32_t tgid;
	int32_t shmid;
	uint64_t addr;
};

/* What an event learns from the tables. */
struct annotation {
	bool key_known;
	uint32_t key;
	int32_t shmid;		/* the segment, -1 if unknown */
	int created;		/* shmget: 1 created, 0 opened; else -1 */
	struct segment seg;	/* the segment as it was before the call */
	bool seg_known;
};

struct segments {
	int64_t start_sec;	/* when tracing began, CLOCK_REALTIME */
	const char *path;	/* /proc/sysvipc/shm, read again for ids we miss */
	uint64_t last_read_ms;
	struct segment seg[SEG_SLOTS];
	struct attachment att[ATT_SLOTS];
};

/* Learns the segments that exist now from path (/proc/sysvipc/shm). */
int segments_init(struct segments *t, const char *path);
/* Fills a for e, then updates the tables with e's effect. */
void segments_annotate(struct segments *t, const struct event *e,
		       struct annotation *a);

#endif /* SHMTRACE_SEGMENTS_H */
