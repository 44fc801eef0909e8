/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * x86_64. 64-bit callers enter through __x64_sys_*. 32-bit (i386) callers,
 * under IA32 emulation, have two ways in: the shm syscalls 395-398, and
 * the ipc(2) multiplexer (117), which is what 32-bit glibc calls.
 */
#ifndef SHMTRACE_ARCH_X86_H
#define SHMTRACE_ARCH_X86_H

/* The record's abi, by enum shm_abi: ABI_NATIVE, ABI_COMPAT. */
#define ARCH_ABI_NAMES		{ "x86_64", "i386" }
#define ARCH_ABI_WIDTH		6	/* the longest, for text columns */
/* Entry paths, by enum entry_path (src/attach.h), as the banner names them. */
#define ARCH_PATH_NAMES		{ "64-bit syscalls", "32-bit syscalls", \
				  "32-bit ipc(2)" }

/* The one whose presence says the kernel can be traced this way. */
#define NATIVE_SHMGET_WRAPPER	__x64_sys_shmget

/* arch/x86/entry/syscalls/syscall_32.tbl */
#define COMPAT_NR(sys)		COMPAT_NR_##sys
#define COMPAT_NR_shmget	395
#define COMPAT_NR_shmctl	396
#define COMPAT_NR_shmat		397
#define COMPAT_NR_shmdt		398
#define COMPAT_NR_IPC		117

/* i386 passes arguments in bx, cx, dx, si, di; libbpf names x86_64's only. */
#define COMPAT_REG1		bx
#define COMPAT_REG2		cx
#define COMPAT_REG3		dx
#define COMPAT_REG4		si
#define COMPAT_REG5		di
/* Where struct pt_regs keeps the syscall number. */
#define SYSCALL_NR_REG		orig_ax

/*
 * A 32-bit syscall (a 64-bit program may make one too, by int $0x80):
 * TS_COMPAT in the calling task's thread_info.status.
 */
#define TS_COMPAT		0x0002
#define COMPAT_CALL(regs)					\
	(BPF_CORE_READ((struct task_struct *)bpf_get_current_task(),	\
		       thread_info.status) & TS_COMPAT)

/*
 * For userspace: a static i386 program that only calls exit(0), which
 * tells whether the kernel runs 32-bit programs at all.
 * mov $1, %eax; xor %ebx, %ebx; int $0x80
 */
#define COMPAT_ELF_MACHINE	EM_386
#define COMPAT_ELF_FLAGS	0
#define COMPAT_EXIT0_CODE	{ 0xb8, 0x01, 0x00, 0x00, 0x00, 0x31, 0xdb, \
				  0xcd, 0x80 }

#endif /* SHMTRACE_ARCH_X86_H */
