// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
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

/*
 * -o's names for descriptors shmtrace already has (/dev/stdout is a link
 * to /proc/self/fd/1): written to as they are, as bash does, since -o
 * follows no link. The descriptor's number, or -1.
 */
static int named_fd(const char *path)
{
	static const char *const dirs[] = { "/dev/fd/", "/proc/self/fd/" };
	const char *num;
	char *end;
	long n;
	size_t i;

	if (!strcmp(path, "/dev/stdout"))
		return STDOUT_FILENO;
	if (!strcmp(path, "/dev/stderr"))
		return STDERR_FILENO;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (strncmp(path, dirs[i], strlen(dirs[i])))
			continue;
		num = path + strlen(dirs[i]);
		n = strtol(num, &end, 10);
		if (*num >= '0' && *num <= '9' && !*end && n <= INT_MAX)
			return n;
	}
	return -1;
}

/* The directory path names, as a descriptor; *base: the name in it. */
static int open_parent(const char *path, const char **base)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	*base = slash ? slash + 1 : path;
	if (!**base) {
		errno = EISDIR;
		return -1;
	}
	if (!slash || slash == path)
		snprintf(dir, sizeof(dir), "%s", slash ? "/" : ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	return open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/*
 * name in dir, never through a link at name, and made 0600 if missing.
 * Without O_CREAT first, so that the kernel's own protected_regular (when
 * the sysctl is on) does not answer for our check; O_NONBLOCK so that a
 * FIFO planted there cannot hold the start.
 */
static int open_at(int dir, const char *name, int flags)
{
	int tries, fd = -1;

	flags |= O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	for (tries = 0; tries < 4 && fd < 0; tries++) {
		fd = openat(dir, name, flags);
		if (fd < 0 && errno == ENOENT)
			fd = openat(dir, name, flags | O_CREAT | O_EXCL, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	return fd;
}

/*
 * Whether fd, found in the directory of stat dir, is fit to write: a
 * regular file, FIFO or character device (/dev/null), and not another
 * user's in a sticky directory others may write (the kernel's
 * protected_regular rule at its stricter level 2: a file there that is
 * neither ours nor the directory owner's may be planted for us to write
 * through). 0, or -errno with why.
 */
static int check_output(int fd, const struct stat *dir, struct stat *file,
			char *why, size_t why_len)
{
	struct stat st;

	if (fstat(fd, &st)) {
		snprintf(why, why_len, "%s", strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) &&
	    !S_ISCHR(st.st_mode)) {
		snprintf(why, why_len, "not a regular file, FIFO or character device");
		return -EINVAL;
	}
	if ((dir->st_mode & S_ISVTX) && (dir->st_mode & (S_IWGRP | S_IWOTH)) &&
	    st.st_uid != geteuid() && st.st_uid != dir->st_uid) {
		snprintf(why, why_len, "owned by uid %u in a sticky directory others may write (the kernel's protected_regular rule)",
			 st.st_uid);
		return -EACCES;
	}
	*file = st;
	return 0;
}

/* Why openat of -o's name failed, as a user would put it. */
static void open_problem(int err, char *why, size_t why_len)
{
	snprintf(why, why_len, "%s",
		 err == ELOOP ? "a symbolic link, which -o never follows" :
		 err == ENXIO ? "a FIFO with no reader" : strerror(err));
}

/*
 * -o FILE: first, truncated after the checks (a regular file); again at
 * SIGHUP, appended to. The descriptor, or -errno with why.
 */
static int open_file(const char *path, bool first, char *why, size_t why_len)
{
	const char *base;
	struct stat dir_st, st;
	int fd = named_fd(path), dir, err;

	why[0] = '\0';
	if (fd >= 0) {
		fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			snprintf(why, why_len, "%s", strerror(errno));
		return fd < 0 ? -errno : fd;
	}
	dir = open_parent(path, &base);
	if (dir < 0 || fstat(dir, &dir_st)) {
		err = -errno;
		snprintf(why, why_len, "%s", strerror(errno));
		goto out;
	}
	fd = open_at(dir, base, first ? 0 : O_APPEND);
	if (fd < 0) {
		err = -errno;
		open_problem(errno, why, why_len);
		goto out;
	}
	err = check_output(fd, &dir_st, &st, why, why_len);
	/* Writes block again: a slow reader slows us, as on stdout. */
	if (!err && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK))
		err = -errno;
	if (!err && first && S_ISREG(st.st_mode) && ftruncate(fd, 0))
		err = -errno;
	if (err && !why[0])
		snprintf(why, why_len, "%s", strerror(-err));
out:
	if (dir >= 0)
		close(dir);
	if (err && fd >= 0)
		close(fd);
	return err ? err : fd;
}

int open_output(const struct config *cfg)
{
	char why[WHY_LEN];
	int fd;

	if (!cfg->output)
		return STDOUT_FILENO;
	fd = open_file(cfg->output, true, why, sizeof(why));
	if (fd < 0)
		return refuse("cannot open output file %s: %s", cfg->output,
			      why);
	return fd;
}

int reopen_output(const struct config *cfg, int fd, char *why,
		  size_t why_len)
{
	int nfd = open_file(cfg->output, false, why, why_len);
	int err = 0;

	if (nfd < 0)
		return nfd;
	if (dup3(nfd, fd, O_CLOEXEC) < 0) {
		err = -errno;
		snprintf(why, why_len, "%s", strerror(errno));
	}
	close(nfd);
	return err;
}
