/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The unit tests: one file per module under test (tests/unit/<module>.c,
 * after src/<module>.c), each with one suite that main.c runs. Every
 * expected value is a literal taken from the kernel's uapi headers
 * (linux/ipc.h, linux/shm.h, asm-generic/errno*.h) and strace's output,
 * never computed by the code under test.
 */
#ifndef SHMTRACE_TESTS_UNIT_H
#define SHMTRACE_TESTS_UNIT_H

#include "fmt.h"
#include "harness.h"
#include "util.h"

/* The ABI names expected, written out here for each architecture. */
#if defined(__x86_64__)
#define NATIVE "x86_64"
#define COMPAT "i386"
#elif defined(__aarch64__)
#define NATIVE "aarch64"
#define COMPAT "arm"
#endif

/* A sink over buf that always leaves room for a terminating NUL. */
struct text {
	struct sink s;
	char buf[TEXT_MAX];
};

static inline struct sink *text_init(struct text *t)
{
	t->s = (struct sink){ .buf = t->buf, .cap = sizeof(t->buf) - 1 };
	return &t->s;
}

static inline const char *text_str(struct text *t)
{
	t->buf[t->s.len] = '\0';
	return t->buf;
}

static inline void expect_text(struct tcase *tc, struct text *t,
			       const char *exp)
{
	expect_true(tc, !t->s.overflow, "no overflow", "overflow");
	expect_str(tc, exp, text_str(t));
}

/* in with runs of spaces (the padding) as one; out holds TEXT_MAX. */
static inline const char *squeeze(const char *in, char *out)
{
	size_t j, k;

	for (j = k = 0; in[j] && k + 1 < TEXT_MAX; j++)
		if (in[j] != ' ' || (k && out[k - 1] != ' '))
			out[k++] = in[j];
	out[k] = '\0';
	return out;
}

/* Each module's suite, in its file; main.c's table runs them. */
void test_btfcache(void);
void test_cli(void);
void test_container(void);
void test_decode(void);
void test_findings(void);
void test_fmt(void);
void test_hashtab(void);
void test_httpreq(void);
void test_metrics(void);
void test_output(void);
void test_sandbox(void);
void test_stable(void);
void test_summary(void);
void test_syscalls(void);

#endif /* SHMTRACE_TESTS_UNIT_H */
