// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The order matters: capabilities go with the uid change (from root to
 * all-non-zero uids the kernel clears them), the parent-death signal only
 * after it (a credential change clears it), and the filter last, since
 * setting it up takes calls the filter forbids.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "sandbox.h"
#include "util.h"

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#else
#error "sandbox.c: no seccomp architecture for this target"
#endif

#define NR_OFF offsetof(struct seccomp_data, nr)
/* The low word of a little-endian 64-bit argument. */
#define ARG_OFF(i) offsetof(struct seccomp_data, args[i])

#define LOAD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(action) BPF_STMT(BPF_RET | BPF_K, (action))
#define ALLOW(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), RET(SECCOMP_RET_ALLOW)
/*
 * mmap and mprotect, but never executable memory. Another call jumps past
 * all five instructions that follow, its own KILL included.
 */
#define ALLOW_NO_EXEC(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 5), \
	LOAD(ARG_OFF(2)), \
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~(uint32_t)(PROT_READ | PROT_WRITE)), \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1), RET(SECCOMP_RET_ALLOW), \
	RET(SECCOMP_RET_KILL)

/*
 * What the server's loop and glibc's malloc call, nothing else. A file
 * open fails with EACCES rather than killing, so that a sanitizer's
 * report can still be written; everything unlisted kills the process.
 * SECCOMP_RET_KILL kills the thread: the server has only one.
 */
static struct sock_filter filter[] = {
	LOAD(offsetof(struct seccomp_data, arch)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0),
	RET(SECCOMP_RET_KILL),
	LOAD(NR_OFF),
#ifdef __X32_SYSCALL_BIT
	/* x32's numbers are x86_64's with this bit: the same arch. */
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, __X32_SYSCALL_BIT, 0, 1),
	RET(SECCOMP_RET_KILL),
#endif
#ifdef __NR_poll
	ALLOW(__NR_poll),
#endif
	ALLOW(__NR_ppoll),
	ALLOW(__NR_accept4),
	ALLOW(__NR_recvfrom),
	ALLOW(__NR_sendto),
	ALLOW(__NR_read),
	ALLOW(__NR_write),
	ALLOW(__NR_close),
	ALLOW(__NR_shutdown),
	ALLOW(__NR_clock_gettime),
	ALLOW(__NR_brk),
	ALLOW(__NR_munmap),
	ALLOW(__NR_mremap),
	ALLOW(__NR_madvise),
	ALLOW(__NR_futex),
	ALLOW(__NR_rt_sigreturn),
	ALLOW(__NR_rt_sigprocmask),
	ALLOW(__NR_sigaltstack),	/* the sanitizers set one up at their first call */
	ALLOW(__NR_restart_syscall),
	ALLOW(__NR_exit),
	ALLOW(__NR_exit_group),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 1),
	RET(SECCOMP_RET_ERRNO | EACCES),
	ALLOW_NO_EXEC(__NR_mmap),
	LOAD(NR_OFF),
	ALLOW_NO_EXEC(__NR_mprotect),
	RET(SECCOMP_RET_KILL),
};

/* Nothing in the bounding set either, where shmtrace may drop it. */
static void drop_bounding_set(void)
{
	int cap;

	/* Without CAP_SETPCAP it stays: no_new_privs makes it moot anyway. */
	for (cap = 0; prctl(PR_CAPBSET_READ, cap) >= 0; cap++)
		prctl(PR_CAPBSET_DROP, cap);
}

/* Empty sets: a change between non-zero uids would keep them. */
static int caps_clear(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};

	return syscall(SYS_capset, &hdr, data);
}

static int become_nobody(char *why)
{
	struct caps c;

	if (setgroups(0, NULL) || setresgid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID) ||
	    setresuid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID)) {
		snprintf(why, WHY_LEN, "cannot become uid %d: %s", SANDBOX_UID,
			 strerror(errno));
		return -1;
	}
	/* No ambient capability can outlive an empty permitted set. */
	if (caps_clear() || caps_get(&c) || c.effective || c.permitted || c.inheritable) {
		snprintf(why, WHY_LEN, "capabilities remain after the change to uid %d",
			 SANDBOX_UID);
		return -1;
	}
	return 0;
}

static int install_filter(char *why)
{
	struct sock_fprog prog = { .len = ARRAY_SIZE(filter), .filter = filter };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		snprintf(why, WHY_LEN, "cannot install the seccomp filter: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

int sandbox_enter(pid_t parent, char *why)
{
	drop_bounding_set();
	if (become_nobody(why))
		return -1;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent) {
		snprintf(why, WHY_LEN, "shmtrace ended before its server started");
		return -1;
	}
	return install_filter(why);
}
