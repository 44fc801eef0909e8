// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The C checks' one harness: see harness.h. */
#define _GNU_SOURCE		/* program_invocation_short_name */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

/*
 * libFuzzer's -close_fd_mask closes the program's stderr, but what the
 * sanitizers report still reaches its log. Weak: a build without a
 * sanitizer runtime (the cross-built unit tests) has none.
 */
extern void __sanitizer_report_error_summary(const char *summary)
	__attribute__((weak));

static const char *suite;
static unsigned int n_cases, n_failed;

void harness_start(const char *name)
{
	suite = name;
	/* Each line whole and in order with the sanitizers' reports. */
	setvbuf(stdout, NULL, _IOLBF, 0);
}

int harness_finish(void)
{
	fprintf(stderr, "%s: %u cases, %u failed\n", suite, n_cases, n_failed);
	return n_failed ? 1 : 0;
}

void tc_begin(struct tcase *tc, const char *fmt, ...)
{
	va_list ap;

	memset(tc, 0, sizeof(*tc));
	va_start(ap, fmt);
	vsnprintf(tc->name, sizeof(tc->name), fmt, ap);
	va_end(ap);
}

void tc_end(struct tcase *tc)
{
	n_cases++;
	if (!tc->failed) {
		printf("PASS: %s: %s\n", suite, tc->name);
		return;
	}
	n_failed++;
	printf("FAIL: %s: %s: expected '%s' got '%s'\n", suite, tc->name,
	       tc->expected, tc->got);
}

/* Copies n bytes of src into dst: \\ for a backslash, \xHH unprintables. */
static void printable(char *dst, size_t cap, const char *src, size_t n)
{
	size_t i, len = 0;

	for (i = 0; i < n && len + 5 < cap; i++) {
		unsigned char c = src[i];

		if (c == '\\') {
			dst[len++] = '\\';
			dst[len++] = '\\';
		} else if (c >= 0x20 && c < 0x7f) {
			dst[len++] = c;
		} else {
			len += snprintf(dst + len, cap - len, "\\x%02x", c);
		}
	}
	dst[len] = '\0';
}

void tc_fail(struct tcase *tc, const char *exp, size_t exp_n,
	     const char *got, size_t got_n)
{
	if (tc->failed)
		return;
	tc->failed = true;
	printable(tc->expected, sizeof(tc->expected), exp, exp_n);
	printable(tc->got, sizeof(tc->got), got, got_n);
}

void expect_str(struct tcase *tc, const char *exp, const char *got)
{
	if (!got)
		got = "(null)";
	if (strcmp(exp, got))
		tc_fail(tc, exp, strlen(exp), got, strlen(got));
}

void expect_u64(struct tcase *tc, uint64_t exp, uint64_t got)
{
	char e[32], g[32];

	if (exp == got)
		return;
	snprintf(e, sizeof(e), "%llu", (unsigned long long)exp);
	snprintf(g, sizeof(g), "%llu", (unsigned long long)got);
	tc_fail(tc, e, strlen(e), g, strlen(g));
}

void expect_true(struct tcase *tc, bool ok, const char *what, const char *got)
{
	if (!ok)
		tc_fail(tc, what, strlen(what), got, strlen(got));
}

void harness_abort(const char *what, const char *fmt, ...)
{
	char msg[TEXT_MAX], line[TEXT_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s: %s: %s",
		 program_invocation_short_name, what, msg);
	if (__sanitizer_report_error_summary)
		__sanitizer_report_error_summary(line);
	else
		fprintf(stderr, "%s\n", line);
	abort();
}
