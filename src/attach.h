/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Attach strategies: which BPF programs a mode loads, what it needs from
 * the kernel, and which entry paths (64-bit shmget, 32-bit shmget, 32-bit
 * ipc) it ends up covering.
 */
#ifndef SHMTRACE_ATTACH_H
#define SHMTRACE_ATTACH_H

#include <stddef.h>
#include "cli.h"

struct shmtrace_bpf;
struct bpf_link;

/* How a call reaches the kernel on x86_64. */
enum entry_path {
	PATH_X64,	/* 64-bit syscalls */
	PATH_IA32,	/* 32-bit syscalls 395-398 */
	PATH_IA32_IPC,	/* 32-bit ipc(2) multiplexer */
	PATH_MAX,
};

#define MAX_LINKS 48
#define WHY_LEN 256

struct tracer {
	struct shmtrace_bpf *skel;
	enum attach_mode mode;
	char uncovered[PATH_MAX][WHY_LEN];	/* why a path is not covered */
	struct bpf_link *links[MAX_LINKS];
	int nlinks;
};

/* The modes to try, in order, for the requested one; returns how many. */
int attach_candidates(enum attach_mode requested, enum attach_mode out[3]);
const char *attach_mode_name(enum attach_mode mode);
const char *entry_path_name(enum entry_path path);
/* Before load: checks the kernel can do mode, selects its programs. */
int attach_select(struct tracer *t, enum attach_mode mode,
		  const struct config *cfg, char *why);
/* After load: attaches the selected programs. */
int attach_links(struct tracer *t, char *why);
/* Detaches and frees everything; safe on a partly set up tracer. */
void tracer_destroy(struct tracer *t);

#endif /* SHMTRACE_ATTACH_H */
