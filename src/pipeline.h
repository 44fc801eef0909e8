/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The event pipeline: each record is checked, annotated once (its
 * segment, its container, its findings), then handed to every consumer
 * this run has: --fail-on, -W's lines, the events (text, JSON or
 * --stable's), -s, --metrics. At the end the consumers write what they
 * owe.
 */
#ifndef SHMTRACE_PIPELINE_H
#define SHMTRACE_PIPELINE_H

#include <stddef.h>
#include <stdint.h>
#include "cli.h"
#include "container.h"
#include "metrics.h"
#include "output.h"
#include "segments.h"
#include "segtable.h"
#include "summary.h"
#include "util.h"

struct consumer;

#define MAX_CONSUMERS 8

struct pipeline {
	const struct config *cfg;
	struct output *out;
	struct segments *segs;
	struct containers *containers;
	struct metrics *metrics;	/* --metrics, or NULL */
	struct summary summary;
	struct segtable segtable;	/* -s's segments */
	uint64_t events;	/* records the consumers took */
	uint64_t malformed;	/* records too short to read */
	uint64_t leaks;
	unsigned int failed_on;	/* what of --fail-on happened */
	int out_err;		/* -errno from writing events */
	char fatal[WHY_LEN];	/* what ended the trace early, if anything */
	const struct consumer *consumers[MAX_CONSUMERS];
	int n_consumers;
};

/* Takes the consumers cfg asks for; metrics may be NULL. */
void pipeline_init(struct pipeline *p, const struct config *cfg,
		   struct output *out, struct segments *segs,
		   struct containers *containers, struct metrics *metrics);
/*
 * One ring buffer record: 0; -ECANCELED once -c's count is reached; or
 * -errno, with out_err or fatal set, to end the trace.
 */
int pipeline_event(struct pipeline *p, const void *data, size_t size);
/* Ends the trace early for what fmt says; the first such error is kept. */
__attribute__((format(printf, 2, 3)))
void pipeline_fail(struct pipeline *p, const char *fmt, ...);
/* What the consumers owe at the end: --stable's events, -s's table. */
void pipeline_finish(struct pipeline *p);
/* -W and --fail-on=leak: the segments nobody removed, once, at the end. */
void pipeline_report_leaks(struct pipeline *p);
/* --fail-on: one line on stderr naming what happened, if anything did. */
void pipeline_report_failed_on(const struct pipeline *p);
void pipeline_free(struct pipeline *p);

#endif /* SHMTRACE_PIPELINE_H */
