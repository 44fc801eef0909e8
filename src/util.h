/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Small helpers that several files need. */
#ifndef SHMTRACE_UTIL_H
#define SHMTRACE_UTIL_H

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* The Makefile's VERSION; this for builds that do not pass it (tests). */
#ifndef SHMTRACE_VERSION
#define SHMTRACE_VERSION "0.1"
#endif
/* The git commit built (the Makefile's COMMIT), for --version. */
#ifndef SHMTRACE_COMMIT
#define SHMTRACE_COMMIT "unknown"
#endif

/* A buffer for why something failed, one line of stderr. */
#define WHY_LEN 256

/* The one line an error gets on stderr: "shmtrace: " and the message. */
__attribute__((format(printf, 1, 0)))
static inline void error_line(const char *fmt, va_list ap)
{
	fputs("shmtrace: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* The initial pid namespace's inode (PROC_PID_INIT_INO): the host's. */
#define HOST_PID_NS 0xEFFFFFFCu

/* Whether we are in the host's pid namespace, where every process is seen. */
static inline bool in_host_pid_ns(void)
{
	struct stat st;

	return !stat("/proc/self/ns/pid", &st) && st.st_ino == HOST_PID_NS;
}

/* Milliseconds on CLOCK_MONOTONIC: for intervals, not for dates. */
static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* Sums of sizes from outside (2^62-byte segments) stop at the top, not wrap. */
static inline uint64_t sat_add(uint64_t a, uint64_t b)
{
	uint64_t sum;

	return __builtin_add_overflow(a, b, &sum) ? UINT64_MAX : sum;
}

#define HASH_SEED 0xcbf29ce484222325ULL

/*
 * A hash of bytes, FNV-1a's multiplier a word at a time: the kernel's BTF
 * is megabytes, read at every start. Streaming in 8-byte multiples gives
 * the hash of the whole.
 */
static inline uint64_t hash_bytes(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	while (len--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
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

struct caps {
	uint64_t effective, permitted, inheritable;
};

/* This thread's capability sets (capget(2)); 0, or -1 with errno. */
static inline int caps_get(struct caps *c)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	c->effective = data[0].effective | (uint64_t)data[1].effective << 32;
	c->permitted = data[0].permitted | (uint64_t)data[1].permitted << 32;
	c->inheritable = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
	return 0;
}

#endif /* SHMTRACE_UTIL_H */
