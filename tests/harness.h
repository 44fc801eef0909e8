/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The C checks' one harness: the unit tests, tests/hooks.c and the
 * fuzzers. A case prints one line that tests/check and tests/run count,
 *   PASS: <suite>: <name>
 *   FAIL: <suite>: <name>: expected '<x>' got '<y>'
 * naming its first mismatch. The fuzzers' CHECK aborts instead, so that
 * libFuzzer keeps the input that failed.
 */
#ifndef SHMTRACE_TESTS_HARNESS_H
#define SHMTRACE_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A case's name, and its expected and actual values, are cut to fit. */
#define TEXT_MAX 2048

struct tcase {
	char name[128];
	bool failed;
	char expected[TEXT_MAX];
	char got[TEXT_MAX];
};

/* The suite's name for its lines, then its exit status: 1 if any failed. */
void harness_start(const char *suite);
int harness_finish(void);

__attribute__((format(printf, 2, 3)))
void tc_begin(struct tcase *tc, const char *fmt, ...);
void tc_end(struct tcase *tc);

/* Records the first mismatch of a case: later ones add nothing. */
void tc_fail(struct tcase *tc, const char *exp, size_t exp_n,
	     const char *got, size_t got_n);
void expect_str(struct tcase *tc, const char *exp, const char *got);
void expect_u64(struct tcase *tc, uint64_t exp, uint64_t got);
/* A property that has no single expected string. */
void expect_true(struct tcase *tc, bool ok, const char *what, const char *got);

/*
 * The fuzzers': "<program>: <what>: <message>", then abort(). what
 * names the check under way; each fuzzer keeps it in a variable of
 * that name, set before the CHECKs it covers.
 */
__attribute__((noreturn, format(printf, 2, 3)))
void harness_abort(const char *what, const char *fmt, ...);

#define CHECK(cond, ...) do {						\
	if (!(cond))							\
		harness_abort(what, __VA_ARGS__);			\
} while (0)

#endif /* SHMTRACE_TESTS_HARNESS_H */
