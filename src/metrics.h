/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * --metrics: counters kept from the same events the tracer prints, and
 * their Prometheus text exposition. The reader adds to them under a
 * mutex held for a few increments; a scrape copies them under the same
 * mutex and formats the copy without it. Every table has a fixed size:
 * past METRICS_MAX_SOURCES (comm, container) pairs, new pairs count
 * under comm="other", container="other".
 */
#ifndef SHMTRACE_METRICS_H
#define SHMTRACE_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "decode.h"
#include "segments.h"
#include "shmtrace.h"

#define METRICS_MAX_SOURCES 1000	/* (comm, container) pairs */
#define METRICS_SEGMENTS_S 2		/* live segments' refresh */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics;

/* events: the traced syscalls (a bitmask), whose histograms show. */
struct metrics *metrics_new(unsigned int events);
void metrics_free(struct metrics *m);
/* The build-info gauge's labels: the attach mode, once it is known. */
void metrics_set_mode(struct metrics *m, const char *mode);
/*
 * One traced call, as printed: container NULL on the host, created as in
 * struct annotation, findings a bitmask of 1 << enum finding.
 */
void metrics_add(struct metrics *m, const struct event *e,
		 const char *container, int created, unsigned int findings);
/* The losses so far, LOSS_REASONS counts (totals, not increments). */
void metrics_set_lost(struct metrics *m, const uint64_t *lost);
/*
 * Starts a thread that reads, every METRICS_SEGMENTS_S, the segments of
 * own_ns (the host's) and of each namespace a call came from, from path
 * (/proc/sysvipc/shm); the reader never waits on it. 0, or an errno.
 */
int metrics_watch_segments(struct metrics *m, const char *path,
			   uint32_t own_ns);
/* The exposition, malloc'd (httpd_render_fn); NULL without memory. */
char *metrics_render(void *m, size_t *len);
/* /healthz's "ok", once the counters can be read (httpd_render_fn). */
char *metrics_health(void *m, size_t *len);

#endif /* SHMTRACE_METRICS_H */
