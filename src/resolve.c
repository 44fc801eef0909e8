// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include "container.h"
#include "resolve.h"
#include "util.h"

/* The largest pid a kernel hands out (PID_MAX_LIMIT on 64-bit). */
#define PID_MAX_LIMIT (4 * 1024 * 1024)

/* The one line a refusal gets on stderr. */
__attribute__((format(printf, 1, 2)))
static int refuse(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_line(fmt, ap);
	va_end(ap);
	return -1;
}

/* Loading BPF needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN. */
static bool privileged(void)
{
	struct caps c;

	/* Capabilities, not the uid: root can run without them. */
	if (caps_get(&c))
		return false;
	if (c.effective & (1ULL << CAP_SYS_ADMIN))
		return true;
	return (c.effective & (1ULL << 39)) && (c.effective & (1ULL << 38));
}

int check_environment(const struct config *cfg)
{
	const char *btf = cfg->btf ? cfg->btf : DEFAULT_BTF;

	if (!privileged())
		return refuse("permission denied: run as root (needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)");
	if (access(btf, R_OK))
		return refuse("kernel BTF not readable at %s (%s): the kernel needs CONFIG_DEBUG_INFO_BTF=y, or pass --btf FILE",
			      btf, strerror(errno));
	return 0;
}

/* --cgroup's directory into *fd (-1 without one). */
static int open_cgroup(const char *path, int *fd)
{
	struct statfs fs;

	*fd = -1;
	if (!path)
		return 0;
	*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return refuse("cannot open cgroup %s: %s", path,
			      strerror(errno));
	if (fstatfs(*fd, &fs) || fs.f_type != CGROUP2_SUPER_MAGIC)
		return refuse("%s is not a cgroup v2 directory", path);
	return 0;
}

uint32_t ns_inode(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

/* --ipcns: an inode as it is; a number a pid can be, that pid's namespace. */
static int resolve_ipcns(uint32_t arg, uint32_t *ino)
{
	char path[64];

	*ino = arg;
	if (!arg || arg > PID_MAX_LIMIT)
		return 0;
	snprintf(path, sizeof(path), "/proc/%u/ns/ipc", arg);
	*ino = ns_inode(path);
	if (*ino)
		return 0;
	return refuse("--ipcns %u: no process %u (%s)", arg, arg,
		      strerror(errno));
}

/* --container: the one container whose id starts so, its cgroup in *fd. */
static int open_container(const char *prefix, int *fd)
{
	char path[PATH_MAX], reason[WHY_LEN];
	uint64_t id;

	*fd = -1;
	if (!prefix)
		return 0;
	if (container_cgroup(prefix, &id, path, sizeof(path), reason))
		return refuse("--container %s: %s", prefix, reason);
	*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return refuse("--container %s: cannot open %s: %s", prefix,
			      path, strerror(errno));
	return 0;
}

int resolve_targets(const struct config *cfg, struct tracer_targets *tg)
{
	*tg = (struct tracer_targets){ 0 };
	if (open_cgroup(cfg->cgroup, &tg->cgroup_fd) ||
	    open_container(cfg->container, &tg->container_fd))
		return -1;
	return resolve_ipcns(cfg->ipcns, &tg->ipc_ns);
}

int open_output(const struct config *cfg)
{
	int fd;

	if (!cfg->output)
		return STDOUT_FILENO;
	fd = open(cfg->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return refuse("cannot open output file %s: %s", cfg->output,
			      strerror(errno));
	return fd;
}

int reopen_output(const struct config *cfg, int fd)
{
	int nfd = open(cfg->output, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		       0644);
	int err = 0;

	if (nfd < 0)
		return -errno;
	if (dup3(nfd, fd, O_CLOEXEC) < 0)
		err = -errno;
	close(nfd);
	return err;
}
