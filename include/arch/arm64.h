/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * arm64. 64-bit callers enter through __arm64_sys_*. 32-bit (AArch32,
 * EABI) callers have the shm syscalls 305-308 and no ipc(2): EABI never
 * had it (arch/arm64/include/asm/unistd32.h, "117 was sys_ipc").
 */
#ifndef SHMTRACE_ARCH_ARM64_H
#define SHMTRACE_ARCH_ARM64_H

/* The record's abi, by enum shm_abi: ABI_NATIVE, ABI_COMPAT. */
#define ARCH_ABI_NAMES		{ "aarch64", "arm" }
#define ARCH_ABI_WIDTH		7	/* the longest, for text columns */
/* Entry paths, by enum entry_path (src/attach.h); no compat ipc(2). */
#define ARCH_PATH_NAMES		{ "64-bit syscalls", "32-bit syscalls", NULL }

/* The one whose presence says the kernel can be traced this way. */
#define NATIVE_SHMGET_WRAPPER	__arm64_sys_shmget

/* arch/arm64/include/asm/unistd32.h (tools/syscall_32.tbl from 6.11) */
#define COMPAT_NR(sys)		COMPAT_NR_##sys
#define COMPAT_NR_shmat		305
#define COMPAT_NR_shmdt		306
#define COMPAT_NR_shmget	307
#define COMPAT_NR_shmctl	308

/*
 * AArch32's r0-r6 are x0-x6. x0 is overwritten by the return value, so
 * the first argument is read from orig_x0, as libbpf does for arm64.
 */
#define COMPAT_REG1		orig_x0
#define COMPAT_REG2		regs[1]
#define COMPAT_REG3		regs[2]
#define COMPAT_REG4		regs[3]
#define COMPAT_REG5		regs[4]
/* Where struct pt_regs keeps the syscall number. */
#define SYSCALL_NR_REG		syscallno

/*
 * A call from AArch32: the caller's saved PSTATE has M[4] set (PSR_MODE32_BIT),
 * which the architecture defines; unlike TIF_32BIT, whose number the
 * kernel is free to change.
 */
#define PSR_MODE32_BIT		0x10
#define COMPAT_CALL(regs)	(BPF_CORE_READ(regs, pstate) & PSR_MODE32_BIT)

/*
 * For userspace: a static EABI program that only calls exit(0), which
 * tells whether the CPU and kernel run AArch32 programs at all (many
 * arm64 server CPUs have no AArch32 at EL0).
 * mov r0, #0; mov r7, #1; svc #0
 */
#define COMPAT_ELF_MACHINE	EM_ARM
#define COMPAT_ELF_FLAGS	0x05000000	/* EF_ARM_EABI_VER5 */
#define COMPAT_EXIT0_CODE	{ 0x00, 0x00, 0xa0, 0xe3, 0x01, 0x70, 0xa0, \
				  0xe3, 0x00, 0x00, 0x00, 0xef }

#endif /* SHMTRACE_ARCH_ARM64_H */
