// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The robustness tests' load: shmget lookups of one key that does not
 * exist (each returns ENOENT), as fast as the threads can make them, and
 * an exact count of the calls made, printed on stdout when done.
 *
 *   flood [-t THREADS] [-s SECONDS | -n CALLS] KEY
 *
 * -s: every thread calls until the time is up (default 3 s);
 * -n: exactly CALLS calls in all, split between the threads.
 * Exit status 0, or 1 if a call did not fail with ENOENT (someone created
 * the key: the count would still be exact, but the test is not what the
 * caller asked for), 2 on a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/shm.h>

#define MAX_THREADS 64

struct worker {
	pthread_t th;
	unsigned long long quota;	/* -n: calls to make; 0: until stop */
	unsigned long long calls;	/* made */
	unsigned long long unexpected;	/* calls that did not return ENOENT */
};

static key_t key;
static atomic_bool stop;

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned long long n = 0, bad = 0;

	while (w->quota ? n < w->quota :
	       !atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (shmget(key, 0, 0) != -1 || errno != ENOENT)
			bad++;
		n++;
	}
	w->calls = n;
	w->unexpected = bad;
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: flood [-t THREADS] [-s SECONDS | -n CALLS] KEY\n");
	exit(2);
}

static unsigned long long number(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	struct worker w[MAX_THREADS] = {};
	unsigned long long total = 0, calls = 0, bad = 0;
	double seconds = 3;
	int nthreads = 2, opt, i;

	while ((opt = getopt(argc, argv, "t:s:n:")) != -1) {
		switch (opt) {
		case 't': nthreads = number(optarg); break;
		case 's': seconds = atof(optarg); break;
		case 'n': total = number(optarg); break;
		default: usage();
		}
	}
	if (optind + 1 != argc || nthreads < 1 || nthreads > MAX_THREADS ||
	    seconds <= 0)
		usage();
	key = number(argv[optind]);
	if (!key)
		usage();	/* IPC_PRIVATE would create segments */
	prctl(PR_SET_NAME, "shmt-flood");

	for (i = 0; i < nthreads; i++) {
		w[i].quota = total / nthreads + ((unsigned long long)i < total % nthreads);
		if (total && !w[i].quota)
			continue;
		if (pthread_create(&w[i].th, NULL, work, &w[i])) {
			perror("flood: pthread_create");
			return 2;
		}
	}
	if (!total) {
		struct timespec ts = {
			.tv_sec = (time_t)seconds,
			.tv_nsec = (long)((seconds - (time_t)seconds) * 1e9),
		};

		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		atomic_store(&stop, true);
	}
	for (i = 0; i < nthreads; i++) {
		if (total && !w[i].quota)
			continue;
		pthread_join(w[i].th, NULL);
		calls += w[i].calls;
		bad += w[i].unexpected;
	}
	printf("%llu\n", calls);
	if (bad) {
		fprintf(stderr, "flood: %llu calls did not fail with ENOENT (key 0x%08x exists?)\n",
			bad, (unsigned int)key);
		return 1;
	}
	return 0;
}
