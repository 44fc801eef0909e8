/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Return probes made through tracefs, where they can be given enough
 * instances. A kretprobe needs one instance per call in flight and drops
 * the return when they run out; the perf kprobes libbpf makes get the
 * kernel's default (num_possible_cpus() before 6.2, max(10, 2 * CPUs)
 * since), which a few threads sleeping in shmat exhaust. A tracefs
 * kretprobe takes its number, up to KRETPROBE_MAXACTIVE_MAX.
 *
 * They outlive the process unless removed: each is named after its
 * shmtrace (pid namespace, pid, start time), removed at exit, and removed
 * by the next shmtrace if its own died without doing so.
 */
#ifndef SHMTRACE_KRETPROBES_H
#define SHMTRACE_KRETPROBES_H

#include <stdbool.h>
#include <stdint.h>

struct bpf_link;
struct bpf_program;

/* The kernel's KRETPROBE_MAXACTIVE_MAX (kernel/kprobes.c), since 4.12. */
#define KRETPROBE_INSTANCES	4096
/* The group every shmtrace's probes are in. */
#define KRETPROBE_GROUP		"shmtrace"

/* 0 if tracefs at dir can make kretprobes; else -errno and why. */
int kretprobes_usable(const char *dir, char *why);
/* Removes the probes of shmtraces that are gone; how many, or -errno. */
int kretprobes_sweep(const char *dir);
/*
 * A kretprobe on func with KRETPROBE_INSTANCES instances, running prog;
 * NULL with errno and why if not. kretprobes_remove() undoes it once the
 * link is destroyed.
 */
struct bpf_link *kretprobe_attach(const char *dir, struct bpf_program *prog,
				  const char *func, char *why);
/* Returns the kernel found no instance for, over this process's probes. */
uint64_t kretprobes_missed(void);
/* Removes this process's probes; their links must be destroyed first. */
void kretprobes_remove(void);

#endif /* SHMTRACE_KRETPROBES_H */
