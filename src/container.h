/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which container a call came from, by the caller's cgroup: the forms
 * Docker, Podman, containerd/Kubernetes, CRI-O and systemd-nspawn give
 * their containers' cgroups, on cgroup v2 and hybrid v1/v2 hosts.
 */
#ifndef SHMTRACE_CONTAINER_H
#define SHMTRACE_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONTAINER_ID_LEN 65	/* 64 hex digits, or a machine name, and NUL */

struct containers;

/* NULL only without memory; the cache is a fixed size. */
struct containers *containers_new(void);
void containers_free(struct containers *c);
/*
 * The container of a caller, by its cgroup v2 id (resolved once, so that a
 * process gone by now is still attributed), else by /proc/PID/cgroup;
 * NULL for the host. The string lives as long as c.
 */
const char *container_of(struct containers *c, uint64_t cgroup_id,
			 uint32_t pid);
/*
 * --container: the one container whose id starts with prefix, its cgroup
 * v2 directory and that directory's id; 0, or -1 with why (256 bytes).
 */
int container_cgroup(const char *prefix, uint64_t *cgroup_id, char *path,
		     size_t n, char *why);
/* The container named in a cgroup path (the innermost), or false. */
bool container_from_path(const char *path, char *id, size_t n);

#endif /* SHMTRACE_CONTAINER_H */
