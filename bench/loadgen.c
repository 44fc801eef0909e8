// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * loadgen: the benchmark's workload, a loop of one system call.
 *
 *   loadgen MODE [-n CALLS | -d SECONDS] [-t THREADS] [-r RATE [-p US]]
 *           [-k KEY] [-L MS]
 *
 * Modes:
 *   lookup   shmget(KEY, 4096, 0) of a segment created beforehand
 *   enoent   shmget(KEY, 4096, 0) of a key that does not exist
 *   create   shmget(KEY, 4096, IPC_CREAT|IPC_EXCL|0600) + shmctl(IPC_RMID)
 *   getppid  getppid(), an unrelated system call
 *   fork     fork() of a child that exits at once, and its waitpid(): a
 *            process's life that attaches nothing
 *   stamp    like enoent, but each call's key is the wall-clock time in
 *            10 us units (mod 2^32), so that a tracer's first reported
 *            event tells when it started seeing calls
 *
 * Without -r the calls run back to back. With -r the threads together
 * make RATE calls per second, in batches released every -p US at
 * absolute deadlines (clock_nanosleep). Either way the run ends after
 * CALLS calls, after SECONDS, or at SIGINT/SIGTERM.
 *
 * Prints one line of key=value pairs on stdout: calls made (and extra=
 * shmget calls made outside the loop, to set up), failures, wall time,
 * ns per call (CLOCK_MONOTONIC; the sum of the threads' times spent in
 * the calls divided by the calls), the rate achieved, the CPU time used
 * and the process id.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define SEG_SIZE	4096
#define DEFAULT_KEY	0x62656e00	/* "ben\0" */
#define DEFAULT_CALLS	1000000ULL
#define CHUNK		256		/* unpaced: calls between stop checks */
#define MAX_THREADS	256

enum mode { M_LOOKUP, M_ENOENT, M_CREATE, M_GETPPID, M_FORK, M_STAMP };

static const char *const mode_names[] = {
	[M_LOOKUP] = "lookup",
	[M_ENOENT] = "enoent",
	[M_CREATE] = "create",
	[M_GETPPID] = "getppid",
	[M_FORK] = "fork",
	[M_STAMP] = "stamp",
};

struct opts {
	enum mode mode;
	uint64_t calls;		/* total, over all threads; 0: until stopped */
	int threads;
	double rate;		/* calls/s over all threads; 0: unpaced */
	double seconds;
	uint32_t key;
	unsigned int period_us;	/* paced: batch period */
	unsigned int linger_ms;	/* stay alive this long after reporting */
};

struct worker {
	pthread_t thread;
	const struct opts *o;
	int index;
	uint32_t key;
	uint64_t quota;		/* calls to make; 0: until stopped */
	uint64_t done;
	uint64_t failed;
	uint64_t busy_ns;
	uint64_t start_ns;
	uint64_t end_ns;
};

static volatile sig_atomic_t stop;
static pthread_barrier_t barrier;
/* shmget calls made outside the measured loops (a tracer sees them too) */
static unsigned int setup_calls;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint32_t stamp_key(void)
{
	struct timespec ts;
	uint32_t k;

	clock_gettime(CLOCK_REALTIME, &ts);
	k = (uint32_t)((ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000) / 10);
	/* Key 0 is IPC_PRIVATE: it would create a segment. */
	return k ? k : 1;
}

static bool fork_one(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	return pid > 0 && waitpid(pid, &status, 0) == pid &&
	       WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* One call; returns whether it gave the answer the mode expects. */
static inline bool one_call(enum mode mode, uint32_t key)
{
	int id;

	switch (mode) {
	case M_LOOKUP:
		return shmget(key, SEG_SIZE, 0) >= 0;
	case M_ENOENT:
		return shmget(key, SEG_SIZE, 0) < 0 && errno == ENOENT;
	case M_STAMP:
		return shmget(stamp_key(), SEG_SIZE, 0) < 0;
	case M_CREATE:
		id = shmget(key, SEG_SIZE, IPC_CREAT | IPC_EXCL | 0600);
		if (id < 0)
			return false;
		return shmctl(id, IPC_RMID, NULL) == 0;
	case M_GETPPID:
		return syscall(SYS_getppid) > 0;
	case M_FORK:
		return fork_one();
	}
	return false;
}

/* Makes n calls; the switch is hoisted so each loop is one call. */
static uint64_t run_calls(enum mode mode, uint32_t key, uint64_t n)
{
	uint64_t i, failed = 0;

	switch (mode) {
	case M_LOOKUP:
		for (i = 0; i < n; i++)
			failed += shmget(key, SEG_SIZE, 0) < 0;
		break;
	case M_GETPPID:
		for (i = 0; i < n; i++)
			failed += syscall(SYS_getppid) <= 0;
		break;
	default:
		for (i = 0; i < n; i++)
			failed += !one_call(mode, key);
		break;
	}
	return failed;
}

static void run_unpaced(struct worker *w)
{
	uint64_t n, t0 = mono_ns();

	w->start_ns = t0;
	while (!stop && (!w->quota || w->done < w->quota)) {
		n = CHUNK;
		if (w->quota && w->quota - w->done < n)
			n = w->quota - w->done;
		w->failed += run_calls(w->o->mode, w->key, n);
		w->done += n;
	}
	w->end_ns = mono_ns();
	w->busy_ns = w->end_ns - t0;
}

/*
 * Batches of `batch` calls, batch k released at t0 + k * period. A
 * thread that falls behind does not sleep until it has caught up, so
 * the achieved rate shows whether the rate was sustained.
 */
static void run_paced(struct worker *w)
{
	const struct opts *o = w->o;
	double per_thread = o->rate / o->threads;
	double period_ns = o->period_us * 1000.0;
	uint64_t batch, k, n, t0, c0;
	struct timespec dl;

	batch = (uint64_t)(per_thread * period_ns / 1e9 + 0.5);
	if (!batch) {
		batch = 1;
		period_ns = 1e9 / per_thread;
	} else {
		period_ns = batch * 1e9 / per_thread;
	}
	t0 = mono_ns();
	w->start_ns = t0;
	for (k = 0; !stop && (!w->quota || w->done < w->quota); k++) {
		uint64_t due = t0 + (uint64_t)(k * period_ns);

		if (mono_ns() < due) {
			dl.tv_sec = due / 1000000000ULL;
			dl.tv_nsec = due % 1000000000ULL;
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
					       &dl, NULL) == EINTR && !stop)
				;
			if (stop)
				break;
		}
		n = batch;
		if (w->quota && w->quota - w->done < n)
			n = w->quota - w->done;
		c0 = mono_ns();
		w->failed += run_calls(o->mode, w->key, n);
		w->busy_ns += mono_ns() - c0;
		w->done += n;
	}
	w->end_ns = mono_ns();
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(&barrier);
	if (w->o->rate > 0)
		run_paced(w);
	else
		run_unpaced(w);
	return NULL;
}

/* lookup: the segment must exist; enoent: the key must not. */
static int prepare_key(const struct opts *o, uint32_t key, int *created)
{
	int id;

	*created = -1;
	if (o->mode == M_LOOKUP) {
		setup_calls++;
		id = shmget(key, SEG_SIZE, 0);
		if (id >= 0)
			return 0;
		setup_calls++;
		id = shmget(key, SEG_SIZE, IPC_CREAT | IPC_EXCL | 0600);
		if (id < 0) {
			fprintf(stderr, "loadgen: cannot create key 0x%08x: %s\n",
				key, strerror(errno));
			return -1;
		}
		*created = id;
	} else if (o->mode == M_ENOENT || o->mode == M_CREATE) {
		setup_calls++;
		if (shmget(key, SEG_SIZE, 0) >= 0 || errno != ENOENT) {
			fprintf(stderr, "loadgen: key 0x%08x is in use; pick another with -k\n",
				key);
			return -1;
		}
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: loadgen lookup|enoent|create|getppid|fork|stamp [options]\n"
		"  -n, --calls=N       calls in all (default 1000000; 0: until stopped)\n"
		"  -t, --threads=N     threads (default 1)\n"
		"  -r, --rate=R        paced: R calls/s over all threads\n"
		"  -d, --duration=S    run S seconds (paced: sets -n to R*S)\n"
		"  -p, --period=US     paced: batch period in us (default 100)\n"
		"  -k, --key=KEY       key (default 0x%08x; thread i uses KEY+i\n"
		"                      in create mode)\n"
		"  -L, --linger=MS     after reporting, stay alive MS milliseconds\n"
		"                      (lets a script sample a tracer that exits with us)\n",
		DEFAULT_KEY);
}

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "calls", required_argument, NULL, 'n' },
		{ "threads", required_argument, NULL, 't' },
		{ "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "period", required_argument, NULL, 'p' },
		{ "key", required_argument, NULL, 'k' },
		{ "linger", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool calls_set = false;
	size_t i;
	char *end;
	int c;

	*o = (struct opts){ .calls = DEFAULT_CALLS, .threads = 1,
			    .key = DEFAULT_KEY, .period_us = 100 };
	while ((c = getopt_long(argc, argv, "n:t:r:d:p:k:L:h", longopts,
				NULL)) != -1) {
		errno = 0;
		end = NULL;
		switch (c) {
		case 'n':
			o->calls = strtoull(optarg, &end, 0);
			calls_set = true;
			break;
		case 't':
			o->threads = strtol(optarg, &end, 0);
			break;
		case 'r':
			o->rate = strtod(optarg, &end);
			break;
		case 'd':
			o->seconds = strtod(optarg, &end);
			break;
		case 'p':
			o->period_us = strtoul(optarg, &end, 0);
			break;
		case 'k':
			o->key = strtoul(optarg, &end, 0);
			break;
		case 'L':
			o->linger_ms = strtoul(optarg, &end, 0);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
		if (errno || !end || *end) {
			fprintf(stderr, "loadgen: bad value for -%c: %s\n", c,
				optarg);
			exit(2);
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		exit(2);
	}
	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (!strcmp(argv[optind], mode_names[i]))
			break;
	if (i == sizeof(mode_names) / sizeof(mode_names[0])) {
		fprintf(stderr, "loadgen: unknown mode %s\n", argv[optind]);
		exit(2);
	}
	o->mode = i;
	if (o->threads < 1 || o->threads > MAX_THREADS || o->rate < 0 ||
	    o->seconds < 0 || !o->period_us ||
	    (o->mode != M_STAMP && o->key == IPC_PRIVATE)) {
		fprintf(stderr, "loadgen: bad option value\n");
		exit(2);
	}
	if (o->seconds > 0 && o->rate > 0 && !calls_set)
		o->calls = (uint64_t)(o->rate * o->seconds + 0.5);
	else if (o->seconds > 0 && !calls_set)
		o->calls = 0;	/* unpaced for S seconds: see main() */
}

static void *timer_main(void *arg)
{
	const struct opts *o = arg;
	struct timespec ts = {
		.tv_sec = (time_t)o->seconds,
		.tv_nsec = (long)((o->seconds - (time_t)o->seconds) * 1e9),
	};

	nanosleep(&ts, NULL);
	stop = 1;
	return NULL;
}

int main(int argc, char **argv)
{
	static struct worker w[MAX_THREADS];
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t calls = 0, failed = 0, busy = 0, first = UINT64_MAX, last = 0;
	int created[MAX_THREADS], nkeys, i;
	pthread_t timer;
	struct rusage ru;
	struct opts o;
	double wall, cpu;

	parse(argc, argv, &o);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Sleep to the deadline, not up to 50 us past it. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

	nkeys = o.mode == M_CREATE ? o.threads : 1;
	for (i = 0; i < nkeys; i++)
		if (prepare_key(&o, o.key + i, &created[i]))
			return 1;
	pthread_barrier_init(&barrier, NULL, o.threads + 1);
	for (i = 0; i < o.threads; i++) {
		w[i].o = &o;
		w[i].index = i;
		w[i].key = o.mode == M_CREATE ? o.key + i : o.key;
		w[i].quota = o.calls / o.threads + ((uint64_t)i < o.calls % o.threads);
		if (o.calls && !w[i].quota)
			w[i].quota = 1;
		if (pthread_create(&w[i].thread, NULL, worker_main, &w[i])) {
			fprintf(stderr, "loadgen: cannot start thread\n");
			return 1;
		}
	}
	if (!o.calls && o.rate == 0 && o.seconds > 0 &&
	    pthread_create(&timer, NULL, timer_main, &o) == 0)
		pthread_detach(timer);
	pthread_barrier_wait(&barrier);
	for (i = 0; i < o.threads; i++) {
		pthread_join(w[i].thread, NULL);
		calls += w[i].done;
		failed += w[i].failed;
		busy += w[i].busy_ns;
		if (w[i].start_ns < first)
			first = w[i].start_ns;
		if (w[i].end_ns > last)
			last = w[i].end_ns;
	}
	for (i = 0; i < nkeys; i++)
		if (created[i] >= 0)
			shmctl(created[i], IPC_RMID, NULL);

	wall = last > first ? (double)(last - first) : 1.0;
	getrusage(RUSAGE_SELF, &ru);
	cpu = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 +
	      ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
	printf("loadgen mode=%s threads=%d calls=%llu extra=%u failed=%llu wall_ns=%llu ns_per_call=%.1f rate=%.0f target_rate=%.0f cpu_ms=%.1f pid=%d\n",
	       mode_names[o.mode], o.threads, (unsigned long long)calls,
	       setup_calls, (unsigned long long)failed,
	       (unsigned long long)(last - first),
	       calls ? (double)busy / calls : 0.0, calls * 1e9 / wall, o.rate,
	       cpu, (int)getpid());
	fflush(stdout);
	if (o.linger_ms) {
		struct timespec ts = {
			.tv_sec = o.linger_ms / 1000,
			.tv_nsec = (o.linger_ms % 1000) * 1000000L,
		};

		nanosleep(&ts, NULL);
	}
	return failed ? 3 : 0;
}
