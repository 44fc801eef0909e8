/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Attach strategies: which BPF programs a mode loads, what it needs from
 * the kernel, and which entry paths it ends up covering.
 */
#ifndef SHMTRACE_ATTACH_H
#define SHMTRACE_ATTACH_H

#include <stdbool.h>
#include <stdint.h>
#include "btfcache.h"
#include "util.h"

struct shmtrace_bpf;

enum attach_mode {
	MODE_AUTO,
	MODE_FENTRY,
	MODE_KPROBE,
	MODE_TRACEPOINT,
	MODE_MAX,
};

/*
 * How a call reaches the kernel; include/arch/ names them for the
 * architecture (x86_64: 64-bit syscalls, 32-bit syscalls, 32-bit ipc(2)).
 */
enum entry_path {
	PATH_NATIVE,		/* the native ABI's syscalls */
	PATH_COMPAT,		/* the compat ABI's syscalls */
	PATH_COMPAT_IPC,	/* the compat ABI's ipc(2) multiplexer */
	NR_PATHS,
};

/* One mode's programs, loaded and attached, and what they cover. */
struct hookset {
	struct shmtrace_bpf *skel;
	enum attach_mode mode;
	char uncovered[NR_PATHS][WHY_LEN];	/* why a path is not covered */
	bool lossy_ok;		/* may it take a mode that can lose calls */
	bool lossy;		/* kretprobes with the kernel's few instances */
	const char *tracefs;	/* where tracefs is, once a mode looked */
	char life_unseen[WHY_LEN];	/* why munmap, mremap are not seen */
	uint64_t kernel_missed;	/* returns they missed, of any caller */
	bool settled;		/* see attach_settle() */
	uint64_t entry_misses;	/* attach_entry_misses() once settled */
};

/* What of the command line decides which programs a mode loads. */
struct attach_opts {
	unsigned int events;	/* 1 << enum shm_syscall */
	bool compat;		/* --compat */
	bool follow;		/* -- COMMAND */
};

/* A mode to try, and whether it may be one that can lose calls. */
struct candidate {
	enum attach_mode mode;
	bool lossy_ok;
};
#define MAX_CANDIDATES 4

/* What a program's name says about it (bpf/shmtrace.bpf.c). */
enum hook_when {
	ALWAYS,
	COMPAT,			/* tracepoint mode with --compat */
	FOLLOW,			/* "-- COMMAND" */
	TRACEFS,		/* a syscall tracepoint: where tracefs is */
};

struct hook {
	enum attach_mode mode;	/* MODE_AUTO: part of every mode */
	bool exit;		/* reports a call (exits attach first) */
	enum hook_when when;
	unsigned int paths;	/* entry paths it covers (1 << entry_path) */
	unsigned int syscalls;	/* syscalls it reports (1 << shm_syscall) */
	const char *func;	/* the kernel function it hooks, or NULL */
};

/* Reads a program's name and section; -EINVAL if they say nothing known. */
int hook_parse(const char *name, const char *section, struct hook *h);

/* The modes to try, in order, for the requested one; returns how many. */
int attach_candidates(enum attach_mode requested,
		      struct candidate out[MAX_CANDIDATES]);
/* "64-bit syscalls", ...; NULL for a path the architecture lacks. */
const char *entry_path_name(enum entry_path path);
/*
 * Before load: checks the kernel can do mode, selects its programs. The
 * functions it hooks are looked up in kb.
 */
int attach_select(struct hookset *t, const struct candidate *c,
		  const struct attach_opts *o, struct kernel_btf *kb, char *why);
/* The kernel functions the BPF object can hook; returns how many. */
int attach_funcs(const char *names[], int max);
/* After load: attaches the selected programs. */
int attach_links(struct hookset *t, char *why);
/*
 * The calls whose entry program the kernel skipped (it was already running
 * on that CPU: recursion_misses, 5.12+): nothing else knows of them.
 */
uint64_t attach_entry_misses(const struct hookset *t);
/*
 * Detaches every program, so that the maps and the ring buffer hold their
 * final counts; the kernel's count of missed returns goes into
 * t->kernel_missed.
 */
void attach_detach(struct hookset *t);
/*
 * For programs that can change nothing any more (nothing they trace is
 * left): instead of attach_detach(), their counts are taken now, and
 * attach_destroy() leaves the detaching to a child process, which is gone
 * as soon as the kernel has let the links go.
 */
void attach_settle(struct hookset *t);
/* Detaches and frees everything; safe on a partly set up hookset. */
void attach_destroy(struct hookset *t);

#endif /* SHMTRACE_ATTACH_H */
