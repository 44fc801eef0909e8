/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The architecture's description, for the BPF program (built with
 * -D__TARGET_ARCH_<arch>) and for userspace alike: one file per
 * architecture under include/arch/.
 */
#ifndef SHMTRACE_ARCH_H
#define SHMTRACE_ARCH_H

#if defined(__TARGET_ARCH_x86) || (!defined(__bpf__) && defined(__x86_64__))
#include "arch/x86.h"
#elif defined(__TARGET_ARCH_arm64) || (!defined(__bpf__) && defined(__aarch64__))
#include "arch/arm64.h"
#else
#error "shmtrace knows x86_64 and arm64; describe the architecture in include/arch/"
#endif

#endif /* SHMTRACE_ARCH_H */
