/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The record shared by the BPF program and userspace. Arguments are kept
 * raw and generic (args[]) so that shmat, shmdt and shmctl fit the same
 * record; userspace decodes them by syscall.
 */
#ifndef SHMTRACE_H
#define SHMTRACE_H

#define TASK_COMM_LEN	16

enum shm_syscall {
	SYS_SHMGET = 0,
	SYS_SHMAT,
	SYS_SHMDT,
	SYS_SHMCTL,
	SYS_MAX,
};

enum shm_abi {
	ABI_X86_64 = 0,
	ABI_I386,
	ABI_MAX,
};

/* Why a call was not reported: counted per CPU in the losses map. */
enum loss_kind {
	LOSS_RINGBUF = 0,	/* no room in the ring buffer */
	LOSS_UNPAIRED,		/* no room to remember the entry */
	LOSS_EXIT_MISSED,	/* an entry whose exit never came (kretprobe) */
	LOSS_MAX,
};

struct event {
	__u64 ts_ns;		/* CLOCK_BOOTTIME at entry */
	__u64 latency_ns;	/* entry to exit */
	__s64 ret;		/* id, address or -errno */
	__u64 args[3];		/* shmget: key, size, shmflg */
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u32 gid;
	__u8 syscall;		/* enum shm_syscall */
	__u8 abi;		/* enum shm_abi */
	__u8 pad[6];
	char comm[TASK_COMM_LEN];
};

#endif /* SHMTRACE_H */
