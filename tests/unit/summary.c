// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* src/summary.c: -s's rows, counts and percentiles. */
#include "summary.h"
#include "syscalls.h"
#include "unit.h"

void test_summary(void)
{
	struct summary sm = {};
	struct event e = { .syscall = SYS_SHMGET, .comm = "app" };
	const struct summary_row *r;
	struct tcase tc;
	uint64_t p50, p99;
	int i;

	/* 1..1000 us: p50 is 500 us and p99 990 us, each within 1/8. */
	for (i = 1; i <= 1000; i++) {
		e.latency_ns = i * 1000ULL;
		summary_add(&sm, &e);
	}
	e.ret = -2;
	summary_add(&sm, &e);
	r = sm.rows[0];
	p50 = summary_percentile(r, 50);
	p99 = summary_percentile(r, 99);
	tc_begin(&tc, "summary rows: one per result");
	expect_u64(&tc, 2, sm.nrows);
	tc_end(&tc);
	tc_begin(&tc, "summary count, min, max exact");
	expect_u64(&tc, 1000, r->count);
	expect_u64(&tc, 0, r->errors);
	expect_u64(&tc, 1000, r->min_ns);
	expect_u64(&tc, 1000000, r->max_ns);
	tc_end(&tc);
	tc_begin(&tc, "summary p50 within 1/8 of 500us");
	expect_true(&tc, p50 >= 500000 && p50 <= 562500, "500000..562500", "out of range");
	tc_end(&tc);
	tc_begin(&tc, "summary p99 within 1/8 of 990us");
	expect_true(&tc, p99 >= 990000 && p99 <= 1000000, "990000..1000000", "out of range");
	tc_end(&tc);
	tc_begin(&tc, "summary error row");
	expect_u64(&tc, 1, sm.rows[1]->errors);
	tc_end(&tc);
	summary_free(&sm);
}
