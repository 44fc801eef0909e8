/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * -s: one row per syscall, comm and result, with counts and latency
 * percentiles, like strace -c. Latencies go into log-linear histograms
 * (8 steps per power of two), so p50 and p99 are within 1/8 of the true
 * value, and memory does not grow with the number of calls.
 */
#ifndef SHMTRACE_SUMMARY_H
#define SHMTRACE_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "fmt.h"
#include "shmtrace.h"

#define SUMMARY_ROWS 1024
#define HIST_SUB 8			/* steps per power of two */
#define HIST_BUCKETS (64 * HIST_SUB)

struct summary_row {
	uint8_t syscall;
	char comm[TASK_COMM_LEN];
	int64_t result;			/* 0 for success, else -errno */
	uint64_t count;
	uint64_t errors;
	uint64_t min_ns;
	uint64_t max_ns;
	uint32_t hist[HIST_BUCKETS];
};

struct summary {
	struct summary_row *rows[SUMMARY_ROWS];
	int nrows;
	uint64_t dropped;		/* calls that found no free row */
};

void summary_add(struct summary *sm, const struct event *e);
/* p in percent: the latency that p% of the row's calls did not exceed. */
uint64_t summary_percentile(const struct summary_row *r, unsigned int p);
void summary_print_text(const struct summary *sm, struct sink *s);
/* {"summary":[...],"rows_dropped":N, left open for the segments' fields. */
void summary_print_json(const struct summary *sm, struct sink *s);
void summary_free(struct summary *sm);

#endif /* SHMTRACE_SUMMARY_H */
