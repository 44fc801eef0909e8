/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Small helpers that several files need. */
#ifndef SHMTRACE_UTIL_H
#define SHMTRACE_UTIL_H

#include <stdint.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Milliseconds on CLOCK_MONOTONIC: for intervals, not for dates. */
static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

#endif /* SHMTRACE_UTIL_H */
