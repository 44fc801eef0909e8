/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the BPF program and userspace share: the syscalls, the record, and
 * the loss counters. Arguments are kept raw and generic (args[]) so that
 * every syscall fits the same record; userspace decodes them by syscall
 * (src/syscalls.c).
 */
#ifndef SHMTRACE_H
#define SHMTRACE_H

#define TASK_COMM_LEN	16

/* A string of what a macro expands to: section and function names. */
#define STR(x)		#x
#define XSTR(x)		STR(x)

/*
 * The syscalls shmtrace reports: X(ENUM, name, number of arguments). The
 * BPF program makes its hooks from this list, and src/syscalls.c holds
 * each one's descriptor. What the record's args[] and ret hold:
 *
 *   shmget	args[0] key, args[1] size, args[2] shmflg;
 *		ret: the segment's id
 *   shmat	args[0] shmid, args[1] shmaddr (the address asked for),
 *		args[2] shmflg; ret: the address it got
 *   shmdt	args[0] shmaddr; args[1], args[2] unused (0); ret: 0
 *   shmctl	args[0] shmid (an index for SHM_STAT, SHM_STAT_ANY),
 *		args[1] cmd (32-bit callers may add IPC_64),
 *		args[2] buf, the user address of the struct; ret: 0, or what
 *		cmd returns (an id for SHM_STAT, an index for IPC_INFO)
 *
 * Failed calls have ret -errno, for every syscall.
 */
#define SHM_SYSCALLS(X)		\
	X(SHMGET, shmget, 3)	\
	X(SHMAT, shmat, 3)	\
	X(SHMDT, shmdt, 1)	\
	X(SHMCTL, shmctl, 3)

#define SHM_SYSCALL_ENUM(NAME, name, nargs) SYS_##NAME,
enum shm_syscall {
	SHM_SYSCALLS(SHM_SYSCALL_ENUM)
	SYS_MAX,
};
#undef SHM_SYSCALL_ENUM

/*
 * The attaches and detaches that are no shm call of their own: a mapping
 * copied by fork, or dropped by exit, exec, munmap or mremap. Userspace
 * makes these events (in the record's syscall field, as if calls) from
 * the records below.
 */
enum shm_implicit {
	EV_ATTACH = SYS_MAX,
	EV_DETACH,
	EV_MAX,
};
#define LIFE_EVENTS	(1u << EV_ATTACH | 1u << EV_DETACH)

/*
 * What the kernel side sends for them, only for processes that hold an
 * attachment (a BPF hash of their tgids):
 *
 *   REC_FORK	pid, tid: the child's; args[0] the parent's tgid
 *   REC_EXEC	the process after exec
 *   REC_EXIT	its last thread
 *   REC_MUNMAP	args[0] addr, args[1] length; ret 0
 *   REC_MREMAP	args[0] old address, args[1] old length, args[2] new
 *		length; ret the new address
 */
enum life_record {
	REC_FORK = EV_MAX,
	REC_EXEC,
	REC_EXIT,
	REC_MUNMAP,
	REC_MREMAP,
	REC_MAX,
};

/* The caller's ABI: the architecture's own, or its 32-bit compat one. */
enum shm_abi {
	ABI_NATIVE = 0,
	ABI_COMPAT,
	ABI_MAX,
};

/* The cgroup filters' slots in the cgroup_filter map. */
enum cgroup_slot {
	CGROUP_SLOT_CGROUP = 0,	/* --cgroup */
	CGROUP_SLOT_CONTAINER,	/* --container */
	CGROUP_SLOTS,
};

/* Why a call was not reported: counted per CPU in the losses map. */
enum loss_kind {
	LOSS_RINGBUF = 0,	/* no room in the ring buffer */
	LOSS_UNPAIRED,		/* no room to remember the entry */
	LOSS_EXIT_MISSED,	/* an entry whose exit never came (kretprobe) */
	LOSS_HOLDERS,		/* no room to follow a process that holds a mapping */
	LOSS_MAX,
};

struct event {
	__u64 ts_ns;		/* CLOCK_BOOTTIME at entry */
	__u64 latency_ns;	/* entry to exit */
	__s64 ret;		/* see SHM_SYSCALLS */
	__u64 args[3];		/* see SHM_SYSCALLS */
	__u64 cgroup_id;	/* the caller's cgroup v2 id */
	__u32 pid;		/* ids as the host (the initial namespace) sees them */
	__u32 tid;
	__u32 uid;
	__u32 gid;
	__u32 ipc_ns;		/* the caller's IPC namespace: its inode number */
	__u32 ns_pid;		/* pid and tid in the caller's own pid namespace */
	__u32 ns_tid;
	__u8 syscall;		/* enum shm_syscall */
	__u8 abi;		/* enum shm_abi */
	__u8 pad[2];
	char comm[TASK_COMM_LEN];
};

#endif /* SHMTRACE_H */
