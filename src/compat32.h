/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Whether 32-bit callers can exist at all on this kernel. */
#ifndef SHMTRACE_COMPAT32_H
#define SHMTRACE_COMPAT32_H

#include <stdbool.h>

/*
 * Whether the kernel runs 32-bit programs: some kernels have the compat
 * entry points in their BTF but refuse every ELF32 (ia32_emulation=0, or
 * a hypervisor without 32-bit support). Forks and execs a tiny program:
 * about a millisecond, so ask only when the answer is needed.
 */
bool kernel_runs_32bit(void);

#endif /* SHMTRACE_COMPAT32_H */
