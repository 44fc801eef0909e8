/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the command line names, resolved before any BPF work so that a
 * typo gets its own line: the privileges and the BTF a trace needs, the
 * cgroups, container and namespace to filter on, and the output file.
 * A refusal is one line on stderr, and -1.
 */
#ifndef SHMTRACE_RESOLVE_H
#define SHMTRACE_RESOLVE_H

#include <stdint.h>
#include "cli.h"
#include "tracer.h"

/* Root's capabilities for BPF, and a readable kernel BTF. */
int check_environment(const struct config *cfg);
/* --cgroup, --container and --ipcns, as the tracer filters on them. */
int resolve_targets(const struct config *cfg, struct tracer_targets *tg);
/* The inode of a namespace file: what identifies the namespace; or 0. */
uint32_t ns_inode(const char *path);
/* -o FILE's descriptor, or stdout's. */
int open_output(const struct config *cfg);
/*
 * -o FILE again by its name, onto fd; -errno with why if not (fd stays as
 * it was). Both never follow a link at FILE's name (/dev/stdout, /dev/fd/N
 * and /proc/self/fd/N name our own descriptors instead), refuse another
 * user's file in a sticky directory others may write, and make FILE 0600.
 */
int reopen_output(const struct config *cfg, int fd, char *why,
		  size_t why_len);

#endif /* SHMTRACE_RESOLVE_H */
