/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Small helpers that several files need. */
#ifndef SHMTRACE_UTIL_H
#define SHMTRACE_UTIL_H

#include <pthread.h>
#include <signal.h>
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

/*
 * A helper thread that takes no signals: they are the main thread's, whose
 * poll loop turns them into work. 0, or an errno.
 */
static inline int start_quiet_thread(pthread_t *thread,
				     void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

#endif /* SHMTRACE_UTIL_H */
