/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The fuzzers' assertion: names the check that failed, then aborts. */
#ifndef SHMTRACE_FUZZ_CHECK_H
#define SHMTRACE_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static const char *what;	/* the check under way, for the report */

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s: %s: ", __FILE__, what);		\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

#endif /* SHMTRACE_FUZZ_CHECK_H */
