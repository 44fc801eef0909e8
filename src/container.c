// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "container.h"
#include "hashtab.h"
#include "util.h"

#define FILEID_KERNFS	0xfe	/* a cgroup2 file handle: the cgroup's id */
#define ID_SLOTS	1024	/* cgroups whose answer is known */
#define PID_SLOTS	1024	/* callers in no cgroup v2 of their own */
#define PID_TTL_MS	1000	/* a pid's answer, before pid reuse matters */

enum id_kind {
	HEX64,		/* 64 hex digits: Docker, Podman, containerd, CRI-O */
	NAME,		/* a machine name: systemd-nspawn */
};

/* A path component that names a container: prefix, the id, suffix. */
static const struct form {
	const char *prefix;
	const char *suffix;
	enum id_kind kind;
} forms[] = {
	{ "docker-", ".scope", HEX64 },		/* Docker, systemd driver */
	{ "libpod-", ".scope", HEX64 },		/* Podman, systemd */
	{ "libpod-", "", HEX64 },		/* Podman, cgroupfs */
	{ "cri-containerd-", ".scope", HEX64 },	/* containerd, systemd */
	{ "crio-", ".scope", HEX64 },		/* CRI-O, systemd */
	{ "crio-", "", HEX64 },			/* CRI-O, cgroupfs */
	{ "", "", HEX64 },			/* /docker/ID, /kubepods/.../ID */
	{ "systemd-nspawn@", ".service", NAME },
	{ "machine-", ".scope", NAME },		/* machinectl, nspawn */
};

struct id_slot {
	uint64_t cgroup_id;	/* 0: free */
	bool in_container;
	char id[CONTAINER_ID_LEN];
};

struct pid_slot {
	uint32_t pid;		/* 0: free */
	uint64_t read_ms;
	bool in_container;
	char id[CONTAINER_ID_LEN];
};

struct containers {
	int mount_fd;		/* the cgroup2 mount, or -1 */
	struct id_slot ids[ID_SLOTS];
	struct pid_slot pids[PID_SLOTS];
};

static bool id_ok(const char *s, size_t n, enum id_kind kind)
{
	const char *allowed = kind == HEX64 ? "0123456789abcdef" :
		"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.-\\";
	size_t i;

	if (kind == HEX64 ? n != 64 : (n == 0 || n >= CONTAINER_ID_LEN))
		return false;
	for (i = 0; i < n; i++)
		if (!strchr(allowed, s[i]))
			return false;
	return true;
}

/* systemd escapes a unit name's special bytes as \xHH: "db\x2d1" is db-1. */
static void unescape_unit(char *s)
{
	char *out = s;
	unsigned int byte;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] == 'x' && isxdigit((unsigned char)s[2]) &&
		    isxdigit((unsigned char)s[3]) &&
		    sscanf(s + 2, "%2x", &byte) == 1 && byte) {
			*out++ = byte;
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* The container id in one path component (n bytes), into id. */
static bool component_id(const char *s, size_t n, char *id, size_t cap)
{
	const struct form *f;
	size_t pl, sl;

	for (f = forms; f < forms + ARRAY_SIZE(forms); f++) {
		pl = strlen(f->prefix);
		sl = strlen(f->suffix);
		if (n <= pl + sl || strncmp(s, f->prefix, pl) ||
		    strncmp(s + n - sl, f->suffix, sl) ||
		    !id_ok(s + pl, n - pl - sl, f->kind) || n - pl - sl >= cap)
			continue;
		memcpy(id, s + pl, n - pl - sl);
		id[n - pl - sl] = '\0';
		if (f->kind == NAME)
			unescape_unit(id);
		return true;
	}
	return false;
}

/* The innermost: in Docker-in-Docker, the container the caller is in. */
bool container_from_path(const char *path, char *id, size_t n)
{
	bool found = false;
	size_t len;

	for (; *path; path += len) {
		path += strspn(path, "/");
		len = strcspn(path, "/");
		if (len && component_id(path, len, id, n))
			found = true;
	}
	return found;
}

/* Where cgroup2 is mounted (/sys/fs/cgroup, or .../unified on hybrid hosts). */
static int cgroup2_mount(char *dir, size_t n)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024], mnt[PATH_MAX];
	int found = -1;

	if (!f)
		return -1;
	while (found && fgets(line, sizeof(line), f)) {
		if (!strstr(line, " - cgroup2 ") ||
		    sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    strlen(mnt) >= n)
			continue;
		strcpy(dir, mnt);
		found = 0;
	}
	fclose(f);
	return found;
}

struct containers *containers_new(void)
{
	struct containers *c = calloc(1, sizeof(*c));
	char dir[PATH_MAX];

	if (!c)
		return NULL;
	c->mount_fd = cgroup2_mount(dir, sizeof(dir)) ? -1 :
		      open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return c;
}

void containers_free(struct containers *c)
{
	if (!c)
		return;
	if (c->mount_fd >= 0)
		close(c->mount_fd);
	free(c);
}

/*
 * The path of cgroup id below the mount; false if it is gone or the root.
 * cgroup2 ids are 64-bit inode numbers the kernel does not reuse.
 */
static bool cgroup_path(struct containers *c, uint64_t cgroup_id, char *path,
			size_t n)
{
	char buf[sizeof(struct file_handle) + sizeof(uint64_t)];
	struct file_handle *fh = (struct file_handle *)buf;
	char link[64];
	ssize_t len;
	int fd;

	if (c->mount_fd < 0)
		return false;
	fh->handle_bytes = sizeof(uint64_t);
	fh->handle_type = FILEID_KERNFS;
	memcpy(fh->f_handle, &cgroup_id, sizeof(cgroup_id));
	fd = open_by_handle_at(c->mount_fd, fh, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, path, n - 1);
	close(fd);
	if (len <= 0)
		return false;
	path[len] = '\0';
	return true;
}

static bool id_free(const struct hashtab *t, const void *slot)
{
	(void)t;
	return !((const struct id_slot *)slot)->cgroup_id;
}

static bool id_holds(const struct hashtab *t, const void *slot,
		     const void *key)
{
	(void)t;
	return ((const struct id_slot *)slot)->cgroup_id ==
	       *(const uint64_t *)key;
}

/*
 * The cgroup's slot, new if *hit is false. Cgroup ids are never reused,
 * so the ids of containers long gone would fill the cache for good: a full
 * cache starts again.
 */
static struct id_slot *id_slot(struct containers *c, uint64_t cgroup_id,
			       bool *hit)
{
	const struct hashtab h = { c->ids, sizeof(c->ids[0]), ID_SLOTS,
				   id_free, id_holds, NULL };
	uint64_t hash = hashtab_hash(&cgroup_id, sizeof(cgroup_id));
	struct id_slot *s = hashtab_insert(&h, hash, &cgroup_id);

	if (!s) {
		memset(c->ids, 0, sizeof(c->ids));
		s = hashtab_insert(&h, hash, &cgroup_id);
	}
	*hit = s->cgroup_id == cgroup_id;
	return s;
}

/* A container named in /proc/PID/cgroup, any hierarchy (v1 on hybrid hosts). */
static bool proc_container(uint32_t pid, char *id, size_t n)
{
	char path[64], line[PATH_MAX];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		p = p ? strchr(p + 1, ':') : NULL;
		if (p) {
			p[strcspn(p, "\n")] = '\0';
			found = container_from_path(p + 1, id, n);
		}
	}
	fclose(f);
	return found;
}

static const char *by_pid(struct containers *c, uint32_t pid)
{
	struct pid_slot *s = &c->pids[pid % PID_SLOTS];

	if (s->pid != pid || now_ms() - s->read_ms >= PID_TTL_MS) {
		s->pid = pid;
		s->read_ms = now_ms();
		s->in_container = pid && proc_container(pid, s->id,
							sizeof(s->id));
	}
	return s->in_container ? s->id : NULL;
}

const char *container_of(struct containers *c, uint64_t cgroup_id,
			 uint32_t pid)
{
	char path[PATH_MAX];
	struct id_slot *s;
	bool hit;

	if (!c)
		return NULL;
	if (!cgroup_id)
		return by_pid(c, pid);
	s = id_slot(c, cgroup_id, &hit);
	if (hit)
		return s->in_container ? s->id : by_pid(c, pid);
	if (!cgroup_path(c, cgroup_id, path, sizeof(path)))
		return by_pid(c, pid);
	s->cgroup_id = cgroup_id;
	s->in_container = container_from_path(path, s->id, sizeof(s->id));
	/* A cgroup of no container: v1 hierarchies may still name one. */
	return s->in_container ? s->id : by_pid(c, pid);
}

/* --container's search, for nftw(), which passes no context. */
static struct {
	const char *prefix;
	char id[CONTAINER_ID_LEN];
	char path[PATH_MAX];
	uint64_t cgroup_id;
	int matches;		/* distinct containers */
} search;

static int visit(const char *path, const struct stat *st, int type,
		 struct FTW *ftw)
{
	char id[CONTAINER_ID_LEN];

	(void)ftw;
	if (type != FTW_D || !container_from_path(path, id, sizeof(id)) ||
	    strncmp(id, search.prefix, strlen(search.prefix)))
		return FTW_CONTINUE;
	if (search.matches && strcmp(id, search.id)) {
		search.matches++;
		return FTW_STOP;
	}
	if (!search.matches) {
		search.matches = 1;
		strcpy(search.id, id);
		snprintf(search.path, sizeof(search.path), "%s", path);
		search.cgroup_id = st->st_ino;
	}
	/* Its sub-cgroups are the same container's: the outermost it is. */
	return FTW_SKIP_SUBTREE;
}

int container_cgroup(const char *prefix, uint64_t *cgroup_id, char *path,
		     size_t n, char *why)
{
	char dir[PATH_MAX];

	if (cgroup2_mount(dir, sizeof(dir))) {
		snprintf(why, WHY_LEN, "no cgroup v2 hierarchy is mounted");
		return -1;
	}
	memset(&search, 0, sizeof(search));
	search.prefix = prefix;
	nftw(dir, visit, 16, FTW_PHYS | FTW_ACTIONRETVAL);
	if (search.matches != 1) {
		snprintf(why, WHY_LEN, search.matches ?
			 "more than one container's id starts so" :
			 "no container's cgroup v2 directory under %s has that id", dir);
		return -1;
	}
	*cgroup_id = search.cgroup_id;
	snprintf(path, n, "%s", search.path);
	return 0;
}
