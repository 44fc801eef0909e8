/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Events to lines: the text and JSON Lines formats, buffered per batch. */
#ifndef SHMTRACE_OUTPUT_H
#define SHMTRACE_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "fmt.h"
#include "segments.h"
#include "shmtrace.h"
#include "stable.h"

struct column;

struct time_cache {
	int64_t sec;		/* the second that prefix holds */
	size_t len;
	char prefix[40];
};

struct output {
	int fd;
	enum out_format format;
	bool timestamps;	/* text: -T time column */
	bool containers;	/* text: -C container column */
	bool lifecycle;		/* text: -e's SYSCALL ... ARGS layout */
	bool warn;		/* JSON: a findings field */
	struct stable *stable;	/* --stable: ordinals, not ids; or NULL */
	int64_t boot_to_real_ns;	/* CLOCK_REALTIME - CLOCK_BOOTTIME */
	struct time_cache tc;
	const struct column *cols[16];	/* the text layout, once known */
	size_t ncols;
	struct sink sink;
	char buf[1 << 16];
};

void output_init(struct output *o, int fd, enum out_format format,
		 bool timestamps);
void output_header(struct output *o);
/*
 * Appends one line; flushes first if the buffer is nearly full. a is what
 * the segment tables add (key, created, findings), or NULL.
 */
int output_event(struct output *o, const struct event *e,
		 const struct annotation *a);
/* A kernel timestamp as the format writes times (-T's, JSON's "time"). */
void output_put_time(struct output *o, struct sink *s, uint64_t boot_ns);
/* Writes out what is buffered: 0, or -errno (-EPIPE: the reader left). */
int output_flush(struct output *o);

#define LEAK_HOLDERS 16

/* A segment still there at the end that a traced call created (-W). */
struct leak {
	const struct segment *seg;
	uint32_t ns_pid;	/* a process in its namespace, 0: ours */
	uint32_t nholders;	/* processes that have it mapped */
	uint32_t holders[LEAK_HOLDERS];	/* the first of them */
};

void format_leak(struct output *o, struct sink *s, const struct leak *l);

/* Exposed for the unit tests and the fuzzer. */
void format_event(struct output *o, struct sink *s, const struct event *e,
		  const struct annotation *a);

#endif /* SHMTRACE_OUTPUT_H */
