// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The integration tests' workload: shmget calls with known arguments,
 * made through one entry path, each followed by one line on stdout with
 * what shmtrace must report for it (tab-separated):
 *
 *   pid tid uid gid comm abi key-text key size shmflg flags ret-text ret errno
 *
 * "lifecycle" takes one segment through shmget, shmat, shmctl and shmdt
 * and prints, for each call, the columns of shmtrace -e all:
 *
 *   pid tid uid comm abi syscall key ret args
 *
 * "contend THREADS ROUNDS" has many threads call shmget, shmat, shmdt
 * and shmctl on a few shared keys at once, so that they queue inside the
 * kernel (on the segment table and the mm's lock), and prints how many
 * calls of each it made: "shmget N", ... then "calls N".
 *
 * "life" attaches one segment, then has forked children inherit it and
 * exit, exec, munmap it, mremap it and punch a hole in it, and shmdt
 * what they inherited. For each attach and detach no call makes, and
 * for the shmdt, it prints what shmtrace -e all -j must report, with the
 * nattch that /proc/sysvipc/shm shows once the step is done:
 *
 *   event cause pid addr shmid key nattch
 *
 * Expected strings are written here by hand from the spec, never by
 * shmtrace's decoder. Built 64-bit and 32-bit (i686, or arm);
 * run as root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define COMM "shmt-wl"
#define NOBODY 65534
#define NTHREADS 4
#define THREAD_CALLS 3
#define HUGE_CODE(log2) ((unsigned int)(log2) << 26)

#ifdef __i386__
#define ABI "i386"
#define NR_SHMGET_I386 395
#define NR_SHMCTL_I386 396
#define NR_SHMAT_I386 397
#define NR_SHMDT_I386 398
#define NR_IPC_I386 117
#define IPCCALL_SHMAT 21
#define IPCCALL_SHMDT 22
#define IPCCALL_SHMGET 23
#define IPCCALL_SHMCTL 24
#elif defined(__x86_64__)
#define ABI "x86_64"
#elif defined(__aarch64__)
#define ABI "aarch64"
#elif defined(__arm__)
#define ABI "arm"	/* EABI: direct syscalls only, as glibc makes them */
#endif

enum path {
	VIA_GLIBC,	/* what programs do: syscall 29, or ipc(2) on i386 */
	VIA_SHMGET,	/* i386: the direct syscall 395 */
	VIA_IPC,	/* i386: ipc(2) with call SHMGET, by hand */
};

static enum path path = VIA_GLIBC;
static unsigned int key_base;

static long do_shmget(unsigned int key, size_t size, unsigned int flg)
{
	switch (path) {
#ifdef __i386__
	case VIA_SHMGET:
		return syscall(NR_SHMGET_I386, key, size, flg);
	case VIA_IPC:
		return syscall(NR_IPC_I386, IPCCALL_SHMGET, key, size, flg);
#endif
	default:
		return shmget(key, size, flg);
	}
}

/* One line per call, in a single write so that threads do not interleave. */
static void report(unsigned int key, size_t size, unsigned int flg,
		   const char *flags, long ret, int err)
{
	char line[512], keytext[16], rettext[32], retnum[32], errjson[32];
	int n;

	if (key)
		snprintf(keytext, sizeof(keytext), "0x%08x", key);
	else
		snprintf(keytext, sizeof(keytext), "IPC_PRIVATE");
	if (ret < 0) {
		snprintf(rettext, sizeof(rettext), "%s", strerrorname_np(err));
		snprintf(retnum, sizeof(retnum), "%d", -err);
		snprintf(errjson, sizeof(errjson), "%s", strerrorname_np(err));
	} else {
		snprintf(rettext, sizeof(rettext), "%ld", ret);
		snprintf(retnum, sizeof(retnum), "%ld", ret);
		snprintf(errjson, sizeof(errjson), "null");
	}
	n = snprintf(line, sizeof(line),
		     "%d\t%ld\t%u\t%u\t%s\t%s\t%s\t%u\t%zu\t%u\t%s\t%s\t%s\t%s\n",
		     getpid(), (long)gettid(), getuid(), getgid(), COMM, ABI,
		     keytext, key, size, flg, flags, rettext, retnum, errjson);
	if (write(STDOUT_FILENO, line, n) != n)
		exit(2);
}

static long call(unsigned int key, size_t size, unsigned int flg,
		 const char *flags)
{
	long ret;

	errno = 0;
	ret = do_shmget(key, size, flg);
	report(key, size, flg, flags, ret, errno);
	return ret;
}

static void remove_segment(long id)
{
	if (id >= 0)
		shmctl(id, IPC_RMID, NULL);
}

/* Failures that only an unprivileged caller gets. */
static void unprivileged_calls(unsigned int key)
{
	struct rlimit none = { 0, 0 };

	/* Without a memlock allowance, SHM_HUGETLB needs CAP_IPC_LOCK. */
	setrlimit(RLIMIT_MEMLOCK, &none);
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		exit(3);
	call(key, 4096, 0600, "0600");
	call(0, 2 << 20, IPC_CREAT | SHM_HUGETLB | 0600,
	     "IPC_CREAT|SHM_HUGETLB|0600");
	exit(0);
}

static void run_unprivileged(unsigned int key)
{
	pid_t pid = fork();
	int status;

	if (pid == 0)
		unprivileged_calls(key);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || status)
		exit(4);
}

static void *thread_calls(void *arg)
{
	unsigned int key = *(unsigned int *)arg;
	int i;

	for (i = 0; i < THREAD_CALLS; i++)
		call(key, 4096, 0, "000");
	return NULL;
}

static void run_threads(unsigned int key)
{
	pthread_t th[NTHREADS];
	int i;

	for (i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, thread_calls, &key))
			exit(5);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
}

static void run_calls(void)
{
	unsigned int k1 = key_base, k2 = key_base + 1;
	long ids[6];

	ids[0] = call(0, 4096, IPC_CREAT | 0600, "IPC_CREAT|0600");
	call(k1, 4096, 0, "000");
	ids[1] = call(k1, 8192, IPC_CREAT | IPC_EXCL | 0644,
		      "IPC_CREAT|IPC_EXCL|0644");
	call(k1, 8192, IPC_CREAT | IPC_EXCL | 0644, "IPC_CREAT|IPC_EXCL|0644");
	call(k1, 4096, 0, "000");
	call(k1, 1 << 20, 0, "000");
	call(0, 0, IPC_CREAT | 0600, "IPC_CREAT|0600");
	ids[2] = call(0, 4096, SHM_NORESERVE | 0x2000000 | 0755,
		      "SHM_NORESERVE|0x2000000|0755");
	ids[3] = call(0, 2 << 20, IPC_CREAT | SHM_HUGETLB | HUGE_CODE(21) | 0600,
		      "IPC_CREAT|SHM_HUGETLB|SHM_HUGE_2MB|0600");
	ids[4] = call(0, 1 << 30, SHM_HUGETLB | HUGE_CODE(30) | 0600,
		      "SHM_HUGETLB|SHM_HUGE_1GB|0600");
	call(0, 4096, SHM_HUGETLB | HUGE_CODE(63) | 0777,
	     "SHM_HUGETLB|63<<SHM_HUGE_SHIFT|0777");
	call(0, 4096, SHM_HUGETLB | HUGE_CODE(34) | 0600,
	     "SHM_HUGETLB|SHM_HUGE_16GB|0600");
	call(0xfdb97531, 4096, 0, "000");
	ids[5] = call(k2, 4096, IPC_CREAT | 0600, "IPC_CREAT|0600");
	run_unprivileged(k2);
	run_threads(k1);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		remove_segment(ids[i]);
}

static long do_shmat(int id, const void *addr, int flg)
{
	switch (path) {
#ifdef __i386__
	case VIA_SHMGET:
		return syscall(NR_SHMAT_I386, id, addr, flg);
	case VIA_IPC: {
		unsigned long raddr = 0;
		long ret = syscall(NR_IPC_I386, IPCCALL_SHMAT, id, flg, &raddr,
				   addr);

		return ret ? ret : (long)raddr;
	}
#endif
	default: {
		void *p = shmat(id, addr, flg);

		return p == (void *)-1 ? -1 : (long)p;
	}
	}
}

static long do_shmdt(long addr)
{
	switch (path) {
#ifdef __i386__
	case VIA_SHMGET:
		return syscall(NR_SHMDT_I386, addr);
	case VIA_IPC:
		return syscall(NR_IPC_I386, IPCCALL_SHMDT, 0, 0, 0, addr);
#endif
	default:
		return shmdt((void *)addr);
	}
}

static long do_shmctl(int id, int cmd, void *buf)
{
	switch (path) {
#ifdef __i386__
	case VIA_SHMGET:
		return syscall(NR_SHMCTL_I386, id, cmd, buf);
	case VIA_IPC:
		return syscall(NR_IPC_I386, IPCCALL_SHMCTL, id, cmd, 0, buf);
#endif
	default:
		return shmctl(id, cmd, buf);
	}
}

/*
 * One lifecycle line; an unknown key prints "-". Failure is err != 0: a
 * 32-bit address may look negative as a long.
 */
static void report_call(const char *sys, unsigned int key, bool known,
			long ret, int err, bool addr_ret, const char *fmt, ...)
{
	char line[512], args[256], keytext[16], rettext[32];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	if (!known)
		snprintf(keytext, sizeof(keytext), "-");
	else if (key)
		snprintf(keytext, sizeof(keytext), "0x%08x", key);
	else
		snprintf(keytext, sizeof(keytext), "IPC_PRIVATE");
	if (err)
		snprintf(rettext, sizeof(rettext), "%s", strerrorname_np(err));
	else if (addr_ret)
		snprintf(rettext, sizeof(rettext), "%#lx", (unsigned long)ret);
	else
		snprintf(rettext, sizeof(rettext), "%ld", ret);
	n = snprintf(line, sizeof(line), "%d\t%ld\t%u\t%s\t%s\t%s\t%s\t%s\t%s\n",
		     getpid(), (long)gettid(), getuid(), COMM, ABI, sys, keytext,
		     rettext, args);
	if (write(STDOUT_FILENO, line, n) != n)
		exit(2);
}

/* 32-bit glibc gives IPC_STAT its own buffer, for 64-bit times. */
static bool glibc_converts_shmctl(void)
{
#ifndef __LP64__
	return path == VIA_GLIBC;
#else
	return false;
#endif
}

#define CALL(var, expr) do { errno = 0; (var) = (expr); err = errno; } while (0)

static void run_lifecycle(void)
{
	unsigned int key = key_base + 2;
	struct shmid_ds ds;
	long id, rw, ro, ret;
	int err;

	CALL(id, do_shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600));
	report_call("shmget", key, true, id, err, false,
		    "size=4096,shmflg=IPC_CREAT|IPC_EXCL|0600,created=true");
	if (id < 0)
		exit(6);
	CALL(rw, do_shmat(id, NULL, 0));
	report_call("shmat", key, true, rw, err, true,
		    "shmid=%ld,shmaddr=NULL,shmflg=0", id);
	CALL(ro, do_shmat(id, NULL, SHM_RDONLY));
	report_call("shmat", key, true, ro, err, true,
		    "shmid=%ld,shmaddr=NULL,shmflg=SHM_RDONLY", id);
	/*
	 * 32-bit glibc copies IPC_STAT through a buffer of its own and
	 * refuses unknown commands itself: only the raw paths pass ours.
	 */
	if (!glibc_converts_shmctl()) {
		CALL(ret, do_shmctl(id, IPC_STAT, &ds));
		report_call("shmctl", key, true, ret, err, false,
			    "shmid=%ld,cmd=IPC_STAT,buf=%p", id, (void *)&ds);
	}
	CALL(ret, do_shmdt(rw));
	report_call("shmdt", key, true, ret, err, false,
		    "shmaddr=%#lx,shmid=%ld", rw, id);
	CALL(ret, do_shmdt(ro));
	report_call("shmdt", key, true, ret, err, false,
		    "shmaddr=%#lx,shmid=%ld", ro, id);
	if (!glibc_converts_shmctl()) {
		CALL(ret, do_shmctl(id, 77, NULL));
		report_call("shmctl", key, true, ret, err, false,
			    "shmid=%ld,cmd=77,buf=NULL", id);
	}
	CALL(ret, do_shmat(0x7ffffff0, NULL, SHM_RND | SHM_EXEC));
	report_call("shmat", 0, false, ret, err, true,
		    "shmid=%d,shmaddr=NULL,shmflg=SHM_RND|SHM_EXEC", 0x7ffffff0);
	CALL(ret, do_shmctl(id, IPC_RMID, NULL));
	report_call("shmctl", key, true, ret, err, false,
		    "shmid=%ld,cmd=IPC_RMID,buf=NULL", id);
	CALL(ret, do_shmdt(rw));
	report_call("shmdt", 0, false, ret, err, false, "shmaddr=%#lx", rw);
}

/*
 * findings: calls that raise each -W finding, and calls that must not.
 * One line per call: pid tid syscall key created findings, with key as
 * a number, created true/false/null ("-" for other syscalls) and the
 * findings' names joined by commas ("-" for none).
 */
static void expect_line(const char *sys, unsigned int key, const char *created,
			const char *findings)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "%d\t%ld\t%s\t%u\t%s\t%s\n",
			 getpid(), (long)gettid(), sys, key, created, findings);

	if (write(STDOUT_FILENO, line, n) != n)
		exit(2);
}

static int expect_shmget(unsigned int key, size_t size, int flg,
			 const char *created, const char *findings)
{
	int id = shmget(key, size, flg);

	expect_line("shmget", key, id < 0 ? "null" : created, findings);
	return id;
}

static void expect_shmat(int id, unsigned int key, int flg,
			 const char *findings)
{
	void *p = shmat(id, NULL, flg);

	expect_line("shmat", key, "-", findings);
	if (p != (void *)-1)
		shmdt(p);
}

/* As nobody: a segment of its own, attaches to root's, a refused hugetlb. */
static void findings_unprivileged(unsigned int kd, int id_a, unsigned int ka)
{
	struct rlimit none = { 0, 0 };

	setrlimit(RLIMIT_MEMLOCK, &none);
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		exit(3);
	expect_shmget(kd, 4096, IPC_CREAT | IPC_EXCL | 0644, "true",
		      "world-access");
	expect_shmat(id_a, ka, 0, "foreign-writer");
	expect_shmat(id_a, ka, SHM_RDONLY, "-");
	expect_shmget(0, 2 << 20, IPC_CREAT | SHM_HUGETLB | 0600, "null",
		      "hugetlb-eperm");
	exit(0);
}

static void run_findings(void)
{
	unsigned int ka = key_base + 4, kb = ka + 1, kc = ka + 2, kd = ka + 3;
	int id_a, id_b, id_d, id_p, status;
	pid_t pid;

	id_a = expect_shmget(ka, 4096, IPC_CREAT | IPC_EXCL | 0666, "true",
			     "world-access");
	id_b = expect_shmget(kb, 4096, IPC_CREAT | IPC_EXCL | 0600, "true", "-");
	expect_shmget(kc, 4096, IPC_EXCL | 0600, "null", "excl-without-creat");
	pid = fork();
	if (pid == 0)
		findings_unprivileged(kd, id_a, ka);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || status)
		exit(4);
	id_d = expect_shmget(kd, 4096, IPC_CREAT | 0600, "false", "key-squat");
	expect_shmget(kb, 4096, IPC_CREAT | 0600, "false", "-");
	expect_shmget(kb, 4096, 0, "false", "-");
	id_p = expect_shmget(0, 4096, IPC_CREAT | 0600, "true", "-");
	expect_shmat(id_b, kb, 0, "-");
	remove_segment(id_a);
	remove_segment(id_b);
	remove_segment(id_d);
	remove_segment(id_p);
}

/* precreate: a segment that exists before tracing starts; prints its id. */
static void run_precreate(void)
{
	int id = shmget(key_base + 8, 4096, IPC_CREAT | IPC_EXCL | 0600);

	printf("%d %u\n", id, key_base + 8);
	exit(id < 0);
}

/* leader-exits KEY: the main thread exits first; another one calls later. */
static void *late_call(void *arg)
{
	usleep(100000);
	shmget(*(unsigned int *)arg, 4096, 0);
	return NULL;
}

static void run_leader_exits(const char *arg)
{
	static unsigned int key;
	pthread_t th;

	key = strtoul(arg, NULL, 0);
	if (pthread_create(&th, NULL, late_call, &key))
		exit(5);
	pthread_exit(NULL);
}

/* use ID: attach, detach and remove a segment without calling shmget. */
static void run_use(const char *arg)
{
	int id = atoi(arg);
	void *p = shmat(id, NULL, 0);

	if (p == (void *)-1 || shmdt(p) || shmctl(id, IPC_RMID, NULL))
		exit(1);
	exit(0);
}

/* get KEY FLAGS [SIZE]: one shmget of SIZE (4096) bytes; prints the id (or -1). */
static void run_get(const char *key, const char *flags, const char *size)
{
	int id = shmget(strtoul(key, NULL, 0), size ? strtoull(size, NULL, 0) : 4096,
			strtoul(flags, NULL, 0));

	printf("%d\n", id);
	exit(id < 0);
}

/* attach ID: attach and detach a segment, leaving it in place. */
static void run_attach(const char *arg)
{
	void *p = shmat(atoi(arg), NULL, 0);

	exit(p == (void *)-1 || shmdt(p));
}

#define CONTEND_KEYS 8

struct contention {
	pthread_barrier_t start;
	unsigned int rounds;
	unsigned int keys[CONTEND_KEYS];
	unsigned long calls[4];	/* shmget, shmat, shmdt, shmctl */
};

/* Counts a call, made or failed: every one is a call shmtrace must see. */
static long counted(struct contention *c, int sys, long ret)
{
	__atomic_fetch_add(&c->calls[sys], 1, __ATOMIC_RELAXED);
	return ret;
}

static void *contend(void *arg)
{
	struct contention *c = arg;
	struct shmid_ds ds;
	unsigned int r, key;
	long id, addr;

	pthread_barrier_wait(&c->start);
	for (r = 0; r < c->rounds; r++) {
		key = c->keys[(r + (unsigned long)gettid()) % CONTEND_KEYS];
		id = counted(c, 0, do_shmget(key, 65536, IPC_CREAT | 0600));
		addr = counted(c, 1, do_shmat(id, NULL, 0));
		if (addr != -1) {
			*(volatile char *)addr = 1;	/* a fault: the mm's lock */
			counted(c, 2, do_shmdt(addr));
		}
		counted(c, 3, do_shmctl(id, IPC_STAT, &ds));
	}
	return NULL;
}

static void run_contend(const char *threads, const char *rounds)
{
	static const char *const names[] = { "shmget", "shmat", "shmdt",
					     "shmctl" };
	unsigned int n = strtoul(threads, NULL, 0), i;
	struct contention c = { .rounds = strtoul(rounds, NULL, 0) };
	pthread_t tids[n ? n : 1];
	unsigned long total = 0;
	long id;

	for (i = 0; i < CONTEND_KEYS; i++)
		c.keys[i] = 0x6c000000u | ((unsigned int)getpid() & 0xfffff) << 3 | i;
	pthread_barrier_init(&c.start, NULL, n + 1);
	for (i = 0; i < n; i++)
		if (pthread_create(&tids[i], NULL, contend, &c))
			exit(2);
	pthread_barrier_wait(&c.start);
	for (i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	for (i = 0; i < CONTEND_KEYS; i++) {
		id = counted(&c, 0, do_shmget(c.keys[i], 0, 0));
		counted(&c, 3, do_shmctl(id, IPC_RMID, NULL));
	}
	for (i = 0; i < 4; i++) {
		printf("%s %lu\n", names[i], c.calls[i]);
		total += c.calls[i];
	}
	printf("calls %lu\n", total);
	exit(0);
}


/* The segment's nattch as /proc/sysvipc/shm shows it now, or -1. */
static long proc_nattch(int id)
{
	FILE *f = fopen("/proc/sysvipc/shm", "r");
	char line[512];
	long nattch = -1;
	int sid;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*d %d %*o %*u %*d %*d %ld", &sid, &nattch) == 2 &&
		    sid == id)
			break;
		else
			nattch = -1;
	if (f)
		fclose(f);
	return nattch;
}

struct life {
	int id;
	unsigned int key;
	char *addr;
	int to_child[2], to_parent[2];
};

/* shmdt is a call: its line has no nattch (shmtrace reports none). */
static void life_line(const struct life *l, const char *event,
		      const char *cause, pid_t pid, const void *addr)
{
	char nattch[24] = "-";

	if (strcmp(event, "shmdt"))
		snprintf(nattch, sizeof(nattch), "%ld", proc_nattch(l->id));
	printf("%s\t%s\t%d\t%lu\t%d\t%u\t%s\n", event, cause, pid,
	       (unsigned long)addr, l->id, l->key, nattch);
	fflush(stdout);
}

static void life_wait(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1)
		exit(3);
}

static void life_tell(int fd)
{
	if (write(fd, "x", 1) != 1)
		exit(3);
}

enum life_step { STEP_EXIT, STEP_EXEC, STEP_MUNMAP, STEP_SHMDT, STEP_MREMAP };

/* Moved whole (no count changes), then a hole punched: two VMAs. */
static void life_mremap(struct life *l, long page)
{
	char *to = mmap(NULL, 4 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);

	if (to == MAP_FAILED ||
	    mremap(l->addr, 4 * page, 4 * page, MREMAP_MAYMOVE | MREMAP_FIXED,
		   to) != to)
		_exit(3);
	munmap(to + page, page);
	life_line(l, "attach", "split", getpid(), to + 2 * page);
	shmdt(to);
	life_line(l, "shmdt", "-", getpid(), to);
}

/*
 * One child: it tells the parent once it is forked, waits, does its step
 * (printing its own lines), tells again unless it exec'ed or exited, and
 * exits when told.
 */
static void life_child(struct life *l, enum life_step step)
{
	long page = sysconf(_SC_PAGESIZE);

	life_tell(l->to_parent[1]);
	life_wait(l->to_child[0]);
	switch (step) {
	case STEP_EXIT:
		_exit(0);
	case STEP_EXEC:
		execl("/bin/true", "true", (char *)NULL);
		_exit(3);
	case STEP_MUNMAP:
		munmap(l->addr, 4 * page);
		life_line(l, "detach", "munmap", getpid(), l->addr);
		break;
	case STEP_SHMDT:
		shmdt(l->addr);
		life_line(l, "shmdt", "-", getpid(), l->addr);
		break;
	case STEP_MREMAP:
		life_mremap(l, page);
		break;
	}
	life_tell(l->to_parent[1]);
	life_wait(l->to_child[0]);
	_exit(0);
}

static void run_life(void)
{
	long page = sysconf(_SC_PAGESIZE);
	struct life l = { .key = key_base + 8 };
	const char *const gone[] = { [STEP_EXIT] = "exit", [STEP_EXEC] = "exec" };
	enum life_step step;
	pid_t pid;

	l.id = shmget(l.key, 4 * page, IPC_CREAT | IPC_EXCL | 0600);
	l.addr = shmat(l.id, NULL, 0);
	if (l.id < 0 || l.addr == (void *)-1 || pipe(l.to_child) ||
	    pipe(l.to_parent))
		exit(2);
	for (step = STEP_EXIT; step <= STEP_MREMAP; step++) {
		pid = fork();
		if (pid < 0)
			exit(2);
		if (!pid)
			life_child(&l, step);
		life_wait(l.to_parent[0]);
		life_line(&l, "attach", "fork", pid, l.addr);
		life_tell(l.to_child[1]);
		if (step <= STEP_EXEC) {
			waitpid(pid, NULL, 0);
			life_line(&l, "detach", gone[step], pid, l.addr);
			continue;
		}
		life_wait(l.to_parent[0]);
		life_tell(l.to_child[1]);
		waitpid(pid, NULL, 0);
	}
	shmdt(l.addr);
	shmctl(l.id, IPC_RMID, NULL);
	exit(0);
}

/*
 * held: a segment left attached by a child that outlives the command (it
 * sleeps SECONDS); prints "id key child".
 */
static void run_held(const char *seconds)
{
	int id = shmget(key_base + 8, 4096, IPC_CREAT | IPC_EXCL | 0600);
	pid_t pid;

	if (id < 0 || shmat(id, NULL, SHM_RDONLY) == (void *)-1)
		exit(2);
	pid = fork();
	if (pid < 0)
		exit(2);
	if (!pid) {
		sleep(atoi(seconds));
		_exit(0);
	}
	printf("%d %u %d\n", id, key_base + 8, pid);
	exit(0);
}

static void usage(void)
{
	fprintf(stderr, "usage: workload [glibc|shmget|ipc] [lifecycle]\n"
			"       workload [glibc|shmget|ipc] contend THREADS ROUNDS\n"
			"       workload glibc findings|precreate|life\n"
			"       workload glibc held SECONDS\n"
			"       workload use ID\n"
			"       workload attach ID\n"
			"       workload get KEY FLAGS [SIZE]\n"
			"       workload leader-exits KEY\n"
			"       workload comm HEXBYTES KEY\n");
	exit(2);
}

/* One ENOENT lookup of KEY under a hostile process name. */
static int comm_call(const char *hex, const char *key)
{
	char comm[16] = "";
	unsigned int byte;
	size_t i;

	for (i = 0; i < sizeof(comm) - 1 && 2 * i + 1 < strlen(hex); i++) {
		if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
			usage();
		comm[i] = byte;
	}
	prctl(PR_SET_NAME, comm);
	return shmget(strtoul(key, NULL, 0), 4096, 0) < 0 && errno == ENOENT ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "comm"))
		return comm_call(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "use"))
		run_use(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "attach"))
		run_attach(argv[2]);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "get"))
		run_get(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	if (argc == 3 && !strcmp(argv[1], "leader-exits"))
		run_leader_exits(argv[2]);
	if (argc > 1 && !strcmp(argv[1], "shmget"))
		path = VIA_SHMGET;
	else if (argc > 1 && !strcmp(argv[1], "ipc"))
		path = VIA_IPC;
	else if (argc > 1 && strcmp(argv[1], "glibc"))
		usage();
#ifndef __i386__
	if (path != VIA_GLIBC)
		usage();
#endif
	prctl(PR_SET_NAME, COMM);
	/* Keys of our own, so that parallel runs do not collide. */
	key_base = 0x5e000000u | ((unsigned int)getpid() & 0xffffff) << 2;
	if (argc == 5 && !strcmp(argv[2], "contend"))
		run_contend(argv[3], argv[4]);
	if (argc > 2 && !strcmp(argv[2], "lifecycle"))
		run_lifecycle();
	else if (argc > 2 && !strcmp(argv[2], "findings"))
		run_findings();
	else if (argc > 2 && !strcmp(argv[2], "precreate"))
		run_precreate();
	else if (argc > 2 && !strcmp(argv[2], "life"))
		run_life();
	else if (argc > 3 && !strcmp(argv[2], "held"))
		run_held(argv[3]);
	else if (argc > 2)
		usage();
	else
		run_calls();
	return 0;
}
