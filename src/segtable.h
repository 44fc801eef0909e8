/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * -s's table of segments: each segment the trace named, its creator,
 * every process that held it, the highest nattch, and who removed it and
 * when it went. A row outlives its segment; one whose id is used again
 * gets a row of its own. Fixed size: past SEGTABLE_ROWS segments, the
 * others are counted in dropped.
 */
#ifndef SHMTRACE_SEGTABLE_H
#define SHMTRACE_SEGTABLE_H

#include <stdbool.h>
#include <stdint.h>
#include "fmt.h"
#include "output.h"
#include "segments.h"

#define SEGTABLE_ROWS 1024	/* a power of two: a hashtab */
#define SEGTABLE_HOLDERS 8

struct who {
	uint32_t pid;		/* 0: unknown */
	uint32_t uid;
	char comm[TASK_COMM_LEN];
};

struct seg_row {
	bool used;
	bool live;		/* not destroyed yet: what a lookup finds */
	bool key_known;
	uint32_t ns;
	int32_t id;
	uint32_t key;
	uint64_t size;
	struct who creator;
	struct who remover;	/* IPC_RMID */
	uint32_t holders[SEGTABLE_HOLDERS];
	uint32_t nholders;
	uint64_t more_attaches;	/* by processes past the first HOLDERS */
	int64_t max_nattch;	/* -1: never known */
	uint64_t destroyed_ns;	/* CLOCK_BOOTTIME; 0: still there */
	uint32_t order;		/* when first named: the table's order */
};

struct segtable {
	struct seg_row *rows;	/* SEGTABLE_ROWS, allocated with the first */
	uint32_t n;
	uint64_t dropped;
};

/* What event e, annotated with a, says of its segment. */
void segtable_add(struct segtable *t, const struct event *e,
		  const struct annotation *a);
/* After -s's table, into o: a blank line and one line per segment. */
void segtable_print_text(const struct segtable *t, struct output *o);
/* Into o, inside -s's object: ,"segments":[...],"segments_dropped":N. */
void segtable_print_json(const struct segtable *t, struct output *o);
void segtable_free(struct segtable *t);

#endif /* SHMTRACE_SEGTABLE_H */
