// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The kernel-behaviour workload: every shmget flag and error path, every
 * shmctl command, the shmat flags, size 0 and sizes past shmmax, huge
 * pages without a pool, IPC_RMID while attached and an shmat after it,
 * what an unprivileged caller is refused, and the detaches of children
 * that unmap, move or exec away the mapping they inherited. Traced with
 * `shmtrace --stable -e all`, its output is the kernel's behaviour: make
 * vmtest diffs it between kernels.
 *
 *   behaviour          the calls, as root, in a fresh IPC namespace
 *   behaviour threads  two threads' calls at once (for --stable's order)
 *   behaviour exit     nothing (what a child execs)
 *
 * Everything that could differ from run to run is pinned: the IPC
 * namespace is new (ids, IPC_INFO's index), shmmax is set, keys are
 * fixed. Prints "N calls" on stderr: what the trace must hold.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/wait.h>

#define NOBODY 65534
#define PAGE 4096
#define SHMMAX (4 << 20)	/* above one 2 MB huge page, below RAM */
#define SHMALL_PAGES (3 * SHMMAX / PAGE)
#define HUGE_CODE(log2) ((unsigned int)(log2) << 26)

#define KEY_A 0x5eb00001
#define KEY_B 0x5eb00002
#define KEY_C 0x5eb00003
#define KEY_T 0x5eb00010	/* + thread number */

/* Shared with the unprivileged child; added to atomically by threads. */
static int *calls;

static int get(key_t key, size_t size, int flg)
{
	__atomic_add_fetch(calls, 1, __ATOMIC_RELAXED);
	return shmget(key, size, flg);
}

static void *at(int id, const void *addr, int flg)
{
	__atomic_add_fetch(calls, 1, __ATOMIC_RELAXED);
	return shmat(id, addr, flg);
}

static int dt(const void *addr)
{
	__atomic_add_fetch(calls, 1, __ATOMIC_RELAXED);
	return shmdt(addr);
}

static int ctl(int id, int cmd, void *buf)
{
	__atomic_add_fetch(calls, 1, __ATOMIC_RELAXED);
	return shmctl(id, cmd, buf);
}

static void set_sysctl(const char *path, long value)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || dprintf(fd, "%ld\n", value) < 0) {
		fprintf(stderr, "behaviour: setting %s: %s\n", path,
			strerror(errno));
		exit(2);
	}
	close(fd);
}

/* A fresh IPC namespace with small limits: ids and limits are pinned. */
static void own_namespace(void)
{
	if (unshare(CLONE_NEWIPC)) {
		perror("behaviour: unshare(CLONE_NEWIPC)");
		exit(2);
	}
	set_sysctl("/proc/sys/kernel/shmmax", SHMMAX);
	set_sysctl("/proc/sys/kernel/shmall", SHMALL_PAGES);
}

/* Every shmget flag and outcome. */
static void shmget_paths(void)
{
	get(IPC_PRIVATE, PAGE, IPC_CREAT | 0600);
	get(KEY_A, PAGE, 0);					/* ENOENT */
	get(KEY_A, 2 * PAGE, IPC_CREAT | IPC_EXCL | 0644);
	get(KEY_A, 2 * PAGE, IPC_CREAT | IPC_EXCL | 0644);	/* EEXIST */
	get(KEY_A, PAGE, IPC_CREAT | 0644);			/* opened */
	get(KEY_A, 3 * PAGE, 0);				/* EINVAL: bigger */
	get(KEY_A, 0, 0);					/* size 0: opened */
	get(KEY_A, PAGE, IPC_EXCL);				/* no effect alone */
	get(KEY_A, PAGE, 0666);					/* root: CAP_IPC_OWNER */
	get(KEY_B, 0, IPC_CREAT | 0600);			/* EINVAL: size 0 */
	get(KEY_B, SHMMAX + 1, IPC_CREAT | 0600);		/* EINVAL: > shmmax */
	get(KEY_B, SHMMAX, IPC_CREAT | IPC_EXCL | 0600);	/* = shmmax */
	get(IPC_PRIVATE, PAGE, IPC_CREAT | SHM_NORESERVE | 0600);
	get(IPC_PRIVATE, PAGE, IPC_CREAT | 0x2000000 | 0600);	/* unknown bit */
	get(IPC_PRIVATE, 2 << 20, IPC_CREAT | SHM_HUGETLB | 0600);
	get(IPC_PRIVATE, 2 << 20, IPC_CREAT | SHM_HUGETLB | HUGE_CODE(21) | 0600);
	get(IPC_PRIVATE, 2 << 20, IPC_CREAT | SHM_HUGETLB | HUGE_CODE(30) | 0600);
	get(IPC_PRIVATE, 2 << 20, IPC_CREAT | SHM_HUGETLB | HUGE_CODE(63) | 0600);
	get(IPC_PRIVATE, 2 << 20, IPC_CREAT | SHM_HUGETLB | SHM_NORESERVE | 0600);
}

/*
 * shmall counts the pages of every segment in the namespace (KEY_B's
 * shmmax and the huge page one are there): the second of these passes it.
 */
static void shmall_paths(void)
{
	int ids[3], i;

	for (i = 0; i < 3; i++)
		ids[i] = get(IPC_PRIVATE, SHMMAX, IPC_CREAT | 0600);
	for (i = 0; i < 3; i++)
		ctl(ids[i], IPC_RMID, NULL);
}

/* A huge page segment made without a pool (SHM_NORESERVE): attachable? */
static void hugetlb_attach(void)
{
	int id = get(IPC_PRIVATE, 2 << 20,
		     IPC_CREAT | SHM_HUGETLB | SHM_NORESERVE | 0600);
	void *p = at(id, NULL, 0);

	if (p != (void *)-1)
		dt(p);
	ctl(id, IPC_RMID, NULL);
}

/* A free, page-aligned address: what SHM_RND and fixed shmat aim at. */
static char *free_address(void)
{
	char *p = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		exit(2);
	munmap(p, 4 * PAGE);
	return p;
}

/* Every shmat flag, the fixed-address rules, and shmdt's failures. */
static void attach_paths(int id)
{
	char *free, *rw, *ro, *ex;

	rw = at(id, NULL, 0);
	ro = at(id, NULL, SHM_RDONLY);
	ex = at(id, NULL, SHM_EXEC);
	at(id, rw, 0);					/* EINVAL: mapped */
	at(id, rw, SHM_REMAP);				/* replaces it */
	at(id, NULL, SHM_REMAP);			/* EINVAL: no address */
	free = free_address();		/* now: shmat(NULL) would take it */
	at(id, free + 1, 0);				/* EINVAL: unaligned */
	at(id, free + 1, SHM_RND);			/* rounded down */
	at(id, NULL, 0x40000);				/* an unknown bit */
	at(0x7ffffff0, NULL, 0);			/* EINVAL: no such id */
	at(-1, NULL, 0);
	dt(free);
	dt(ro);
	dt(ro);						/* EINVAL: not mapped */
	dt(rw + 1);					/* EINVAL: unaligned */
	dt(rw + PAGE);					/* EINVAL: mid-segment */
	dt(NULL);
	dt(ex);
	dt(rw);
}

/* KEY_A's mapping, in a child, where fn changes it; waited for. */
static void in_child(void (*fn)(char *), char *p)
{
	pid_t pid = fork();

	if (pid == 0) {
		fn(p);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
}

static void unmap(char *p)
{
	munmap(p, 2 * PAGE);
}

/* Its second page moved away: two mappings, as the kernel counts. */
static void move(char *p)
{
	mremap(p + PAGE, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
	       free_address());
}

/* Its comm becomes "exe", the same on every kernel and path. */
static void exec_self(char *p)
{
	(void)p;
	execl("/proc/self/exe", "behaviour", "exit", (char *)NULL);
}

/* The detaches that no shm call makes: munmap, mremap and exec. */
static void implicit_paths(int id)
{
	char *p = at(id, NULL, 0);

	in_child(unmap, p);
	in_child(move, p);
	in_child(exec_self, p);
	dt(p);
}

/* Every shmctl command, good and bad. */
static void control_paths(int id)
{
	struct shmid_ds ds;
	struct shminfo info;
	struct shm_info sinfo;

	ctl(id, IPC_STAT, &ds);
	ds.shm_perm.mode = 0640;
	ctl(id, IPC_SET, &ds);
	ctl(0, IPC_INFO, (struct shmid_ds *)&info);
	ctl(0, SHM_INFO, (struct shmid_ds *)&sinfo);
	ctl(0, SHM_STAT, &ds);				/* index 0: the id */
	ctl(0, SHM_STAT_ANY, &ds);
	ctl(99, SHM_STAT, &ds);				/* EINVAL: no index 99 */
	ctl(id, SHM_LOCK, NULL);
	ctl(id, SHM_UNLOCK, NULL);
	ctl(id, IPC_STAT, NULL);			/* EFAULT */
	ctl(id, 77, NULL);				/* EINVAL: no such cmd */
	ctl(0x7ffffff0, IPC_STAT, &ds);			/* EINVAL: no such id */
}

/* IPC_RMID while attached: the id lives on, the key is gone. */
static void remove_while_attached(void)
{
	int id = get(KEY_C, PAGE, IPC_CREAT | IPC_EXCL | 0600);
	char *p = at(id, NULL, 0), *q;

	ctl(id, IPC_RMID, NULL);
	q = at(id, NULL, 0);				/* still attachable */
	get(KEY_C, PAGE, 0);				/* ENOENT: key freed */
	dt(p);
	dt(q);
	ctl(id, IPC_STAT, &(struct shmid_ds){ 0 });	/* EINVAL: gone */
	ctl(id, IPC_RMID, NULL);
}

/* What nobody is refused, in a child: root's segments are 0600/0640. */
static void unprivileged(int id_a, int id_private)
{
	/* The hard limit stays up, so that nobody can raise the soft one. */
	struct rlimit none = { 0, 16 * PAGE }, some = { 16 * PAGE, 16 * PAGE };
	struct shmid_ds ds;
	pid_t pid = fork();
	int mine;

	if (pid) {
		waitpid(pid, NULL, 0);
		return;
	}
	setrlimit(RLIMIT_MEMLOCK, &none);
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		exit(3);
	get(KEY_A, PAGE, 0);				/* opens: asks nothing */
	get(KEY_A, PAGE, 0600);				/* EACCES */
	get(IPC_PRIVATE, 2 << 20, IPC_CREAT | SHM_HUGETLB | 0600);	/* EPERM */
	at(id_private, NULL, 0);			/* EACCES */
	ctl(id_private, IPC_STAT, &ds);			/* EACCES */
	ctl(0, SHM_STAT, &ds);				/* EACCES */
	ctl(0, SHM_STAT_ANY, &ds);			/* allowed */
	ctl(id_a, IPC_SET, &ds);			/* EPERM: not owner */
	ctl(id_a, IPC_RMID, NULL);			/* EPERM */
	ctl(id_a, SHM_LOCK, NULL);			/* EPERM */
	mine = get(IPC_PRIVATE, PAGE, IPC_CREAT | 0600);
	ctl(mine, SHM_LOCK, NULL);			/* EPERM: no memlock */
	setrlimit(RLIMIT_MEMLOCK, &some);
	ctl(mine, SHM_LOCK, NULL);			/* within the limit */
	ctl(mine, IPC_RMID, NULL);
	exit(0);
}

/* Everything this workload made, removed: SHM_STAT walks the table. */
static void clean_up(void)
{
	struct shminfo info;
	struct shmid_ds ds;
	int i, id, last = ctl(0, IPC_INFO, (struct shmid_ds *)&info);

	for (i = 0; i <= last; i++) {
		id = ctl(i, SHM_STAT, &ds);
		if (id >= 0)
			ctl(id, IPC_RMID, NULL);
	}
}

static void run_calls(void)
{
	int id_a, id_private;

	shmget_paths();
	shmall_paths();
	hugetlb_attach();
	id_a = get(KEY_A, 0, 0);
	id_private = get(IPC_PRIVATE, PAGE, IPC_CREAT | 0600);
	attach_paths(id_a);
	control_paths(id_a);
	remove_while_attached();
	unprivileged(id_a, id_private);
	implicit_paths(id_a);
	clean_up();
}

static pthread_barrier_t start;

/* One thread's segment life, on its own key, both threads at once. */
static void *thread_calls(void *arg)
{
	key_t key = KEY_T + (intptr_t)arg;
	int id;
	void *p;

	pthread_barrier_wait(&start);
	id = get(key, PAGE, IPC_CREAT | IPC_EXCL | 0600);
	p = at(id, NULL, 0);

	get(key, PAGE, IPC_CREAT | IPC_EXCL | 0600);	/* EEXIST */
	dt(p);
	ctl(id, IPC_RMID, NULL);
	return NULL;
}

static void run_threads(void)
{
	pthread_t t[2];
	intptr_t i;

	pthread_barrier_init(&start, NULL, 2);
	for (i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, thread_calls, (void *)i))
			exit(2);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "exit"))
		return 0;
	calls = mmap(NULL, sizeof(*calls), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (calls == MAP_FAILED)
		return 2;
	prctl(PR_SET_NAME, "shmt-beh");
	own_namespace();
	if (argc == 2 && !strcmp(argv[1], "threads")) {
		run_threads();
	} else if (argc == 1) {
		run_calls();
	} else {
		fprintf(stderr, "usage: behaviour [threads]\n");
		return 2;
	}
	fprintf(stderr, "%d calls\n", *calls);
	return 0;
}
