// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* src/metrics.c: the exposition Prometheus scrapes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "container.h"
#include "findings.h"
#include "metrics.h"
#include "syscalls.h"
#include "unit.h"

/* expect_line: the exposition (which starts with a comment) has this line. */
static void expect_line(struct tcase *tc, const char *text, const char *line)
{
	char needle[512];

	snprintf(needle, sizeof(needle), "\n%s\n", line);
	expect_str(tc, line, strstr(text, needle) ? line : "(missing)");
}

/* Labels escaped, results named, the source bound, the histogram. */
static void test_exposition(void)
{
	/* a"b\c d took two sources (two containers), h one, n0 to n996 the rest. */
	static const char *const want[] = {
		"shmtrace_calls_total{syscall=\"shmget\",result=\"ENOENT\",comm=\"a\\\"b\\\\\\\\c\\\\x20d\",container=\"ctr\"} 1",
		"shmtrace_calls_total{syscall=\"shmget\",result=\"ok\",comm=\"n0\",container=\"\"} 1",
		"shmtrace_calls_total{syscall=\"shmget\",result=\"ok\",comm=\"n996\",container=\"\"} 1",
		"shmtrace_calls_total{syscall=\"shmget\",result=\"ok\",comm=\"other\",container=\"other\"} 8",
		"shmtrace_call_duration_seconds_bucket{syscall=\"shmget\",le=\"2.5e-06\"} 1006",
		"shmtrace_call_duration_seconds_bucket{syscall=\"shmget\",le=\"5e-06\"} 1007",
		"shmtrace_call_duration_seconds_bucket{syscall=\"shmget\",le=\"1\"} 1007",
		"shmtrace_call_duration_seconds_bucket{syscall=\"shmget\",le=\"+Inf\"} 1008",
		"shmtrace_call_duration_seconds_count{syscall=\"shmget\"} 1008",
		"shmtrace_call_duration_seconds_sum{syscall=\"shmget\"} 2.000003000",
		"shmtrace_findings_total{finding=\"key-squat\"} 1",
		"shmtrace_segments_created_total 1",
		"shmtrace_lost_events_total{reason=\"ring buffer full\"} 0",
		/* Bytes Prometheus refuses in a label: spelt as -C spells them. */
		"shmtrace_calls_total{syscall=\"shmget\",result=\"ok\",comm=\"h\",container=\"c\\\"\\\\\\\\\\\\x0a\\\\x1b\\\\xff\"} 1",
	};
	struct metrics *m = metrics_new(1u << SYS_SHMGET);
	struct event e = { .syscall = SYS_SHMGET, .ret = -ENOENT,
			   .latency_ns = 3000 };
	struct tcase tc;
	char *text;
	size_t len;
	int i;

	memcpy(e.comm, "a\"b\\c d", 8);
	metrics_add(m, &e, "ctr", -1, 1u << FINDING_KEY_SQUAT);
	e.ret = 5;
	e.latency_ns = 2000000000;
	metrics_add(m, &e, NULL, 1, 0);
	e.latency_ns = 0;
	memcpy(e.comm, "h", 2);
	metrics_add(m, &e, "c\"\\\n\033\xff", 0, 0);
	for (i = 0; i < METRICS_MAX_SOURCES + 5; i++) {
		snprintf(e.comm, sizeof(e.comm), "n%d", i);
		metrics_add(m, &e, NULL, 0, 0);
	}
	text = metrics_render(m, &len);
	tc_begin(&tc, "metrics: the exposition");
	for (i = 0; i < (int)ARRAY_SIZE(want); i++)
		expect_line(&tc, text, want[i]);
	tc_end(&tc);
	free(text);
	metrics_free(m);
}

/*
 * Before the keyed hash, a source's slot was FNV-style hash_bytes under a
 * fixed seed, as a uint32, modulo the 2048 slots: names that collide
 * there could be found offline, and each one's lookup walked the chain.
 */
#define OLD_SOURCE_SLOTS 2048
#define FLOOD 1000	/* METRICS_MAX_SOURCES: each should get its series */

struct old_source {
	char comm[TASK_COMM_LEN];
	char container[CONTAINER_ID_LEN];
};

static unsigned int old_slot(const char *comm)
{
	struct old_source s = { { 0 }, { 0 } };

	memcpy(s.comm, comm, strlen(comm));
	return (uint32_t)hash_bytes(HASH_SEED, &s, sizeof(s)) % OLD_SOURCE_SLOTS;
}

/* FLOOD comms, c<n>, that all had old slot 0; returns how many found. */
static unsigned int colliding_comms(char (*comms)[TASK_COMM_LEN])
{
	unsigned int found = 0, n;

	for (n = 0; found < FLOOD && n < 100000000; n++) {
		snprintf(comms[found], TASK_COMM_LEN, "c%u", n);
		if (old_slot(comms[found]) == 0)
			found++;
	}
	return found;
}

static void test_flood(void)
{
	static char comms[FLOOD][TASK_COMM_LEN];
	struct metrics *m = metrics_new(1u << SYS_SHMGET);
	struct event e = { .syscall = SYS_SHMGET, .ret = 5 };
	unsigned int i, named = 0;
	char line[256], *text;
	struct tcase tc;
	size_t len;

	tc_begin(&tc, "metrics: %d comms in one slot of the old hash each get their own series",
		 FLOOD);
	expect_u64(&tc, FLOOD, colliding_comms(comms));
	for (i = 0; i < FLOOD; i++) {
		memcpy(e.comm, comms[i], TASK_COMM_LEN);
		metrics_add(m, &e, NULL, 0, 0);
	}
	text = metrics_render(m, &len);
	for (i = 0; i < FLOOD; i++) {
		snprintf(line, sizeof(line),
			 "\nshmtrace_calls_total{syscall=\"shmget\",result=\"ok\",comm=\"%.*s\",container=\"\"} 1\n",
			 TASK_COMM_LEN, comms[i]);
		named += strstr(text, line) != NULL;
	}
	expect_u64(&tc, FLOOD, named);
	expect_true(&tc, !strstr(text, "comm=\"other\""), "no other series",
		    "calls counted under other");
	tc_end(&tc);
	free(text);
	metrics_free(m);
}

void test_metrics(void)
{
	test_exposition();
	test_flood();
}
