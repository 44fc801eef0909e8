/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * --stable: a trace that diffs cleanly from run to run and kernel to
 * kernel. Events are kept until the end, put in an order that does not
 * depend on how CPUs interleaved them, and their run-specific numbers
 * (pids, tids, segment ids, addresses) are printed as ordinals.
 */
#ifndef SHMTRACE_STABLE_H
#define SHMTRACE_STABLE_H

#include <stdbool.h>
#include <stdint.h>
#include "fmt.h"
#include "segments.h"
#include "shmtrace.h"

/* What --stable keeps at most; beyond it, events are counted as lost. */
#define STABLE_MAX_EVENTS (1u << 18)

/* The kinds of ordinals, each counted on its own: P1, T1, S1, A1. */
enum ordinal_kind {
	ORD_PID,
	ORD_TID,
	ORD_SEGMENT,
	ORD_ADDR,
	ORD_MAX,
};

/*
 * How a value stands in an event. Ordinals name objects, not numbers: an
 * address that is detached and mapped again is another mapping, and
 * threads make such reuse depend on timing.
 */
enum ordinal_use {
	ORD_USE,	/* refers to what the value names now */
	ORD_NEW,	/* names something new from now on (shmat, a create) */
	ORD_LAST,	/* the last use: what it named is gone (shmdt) */
};

struct stable_rec;
struct ordinal_slot;

struct stable {
	struct stable_rec *recs;
	uint32_t n, cap;
	uint64_t dropped;	/* events past STABLE_MAX_EVENTS */
	struct ordinal_slot *slots;	/* src/hashtab.h: a full one grows */
	uint32_t nslots, used;
	uint32_t next[ORD_MAX];	/* the last ordinal given, per kind */
	/* What this event's NEW and LAST do, once its line is printed. */
	struct ordinal_change {
		uint64_t value;
		uint32_t ns, ordinal;
		uint8_t kind;
		bool gone;
	} changes[8];
	uint32_t nchanges;
};

/* Keeps a copy of an event and what the tables said of it; 0 or -ENOMEM. */
int stable_add(struct stable *st, const struct event *e,
	       const struct annotation *a);
/* Puts the kept events in their stable order; calls fn on each. */
int stable_replay(struct stable *st,
		  int (*fn)(void *ctx, const struct event *e,
			    const struct annotation *a),
		  void *ctx);
/*
 * Prints v as its ordinal of kind, giving the next one to a value not
 * seen before or not in use. ns tells the namespaces' segments apart.
 */
void put_ordinal(struct stable *st, struct sink *s, enum ordinal_kind kind,
		 uint32_t ns, uint64_t v, enum ordinal_use use);
/*
 * The end of an event's line: its NEW and LAST take effect now, so that
 * within the line every value reads as it was before the call.
 */
void stable_end_event(struct stable *st);
void stable_free(struct stable *st);

#endif /* SHMTRACE_STABLE_H */
