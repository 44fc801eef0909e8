// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>
#include "kretprobes.h"
#include "util.h"

/* A tracefs event name's limit (MAX_EVENT_NAME_LEN), with its NUL. */
#define EVENT_LEN	64
/* More than any architecture's wrappers (include/arch/). */
#define MAX_PROBES	16

/* This process's probes, for kretprobes_remove() and the miss counts. */
static char probes[MAX_PROBES][EVENT_LEN];
static int n_probes;
static const char *probes_dir;	/* tracefs_dir()'s, a constant */
/* "s<pid namespace>_<pid>_<start time>_": what names a probe's owner. */
static char own_tag[EVENT_LEN];
static unsigned long own_pidns;

/* A small file's text, NUL-terminated; 0 or -errno. */
static int read_text(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return 0;
}

/* A process's start time (clock ticks since boot): pids are reused. */
static int start_time(const char *pid, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	int i, err;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	err = read_text(path, buf, sizeof(buf));
	if (err)
		return err;
	/* The name in parentheses may hold anything: count from its end. */
	p = strrchr(buf, ')');
	for (i = 0; p && i < 20; i++)	/* field 22, starttime */
		p = strchr(p + 1, ' ');
	if (!p)
		return -EIO;
	*start = strtoull(p + 1, NULL, 10);
	return 0;
}

static int make_own_tag(void)
{
	unsigned long long start;
	struct stat st;
	int err;

	if (own_tag[0])
		return 0;
	if (stat("/proc/self/ns/pid", &st))
		return -errno;
	err = start_time("self", &start);
	if (err)
		return err;
	own_pidns = st.st_ino;
	snprintf(own_tag, sizeof(own_tag), "s%lu_%d_%llu_", own_pidns,
		 (int)getpid(), start);
	return 0;
}

/* One command to kprobe_events; 0 or -errno. */
static int write_command(const char *dir, const char *cmd)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/kprobe_events", dir);
	/* O_TRUNC would remove every kprobe on the system, not just ours. */
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, cmd, strlen(cmd));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

static void remove_event(const char *dir, const char *event)
{
	char cmd[EVENT_LEN + 32];

	snprintf(cmd, sizeof(cmd), "-:%s/%s\n", KRETPROBE_GROUP, event);
	write_command(dir, cmd);
}

int kretprobes_usable(const char *dir, char *why)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/kprobe_events", dir);
	if (!access(path, W_OK))
		return 0;
	snprintf(why, WHY_LEN, "%s/kprobe_events is not writable (%s)", dir,
		 strerror(errno));
	return -errno;
}

/* Whether host process hpid is pid in its own namespace (NSpid's last). */
static bool has_ns_pid(const char *hpid, const char *pid)
{
	char path[64], buf[4096], *line, *last;

	snprintf(path, sizeof(path), "/proc/%s/status", hpid);
	if (read_text(path, buf, sizeof(buf)))
		return false;
	line = strstr(buf, "\nNSpid:");
	if (!line)
		return false;
	line[strcspn(line + 1, "\n") + 1] = '\0';
	last = strrchr(line, '\t');
	return last && !strcmp(last + 1, pid);
}

/*
 * Whether pid, started at start, lives in pid namespace ns, which is not
 * ours: only the host's sees every process. Namespaces' inodes are
 * reused, so the owner is matched, not just its namespace.
 */
static bool ns_owner_alive(unsigned long ns, const char *pid,
			   unsigned long long start)
{
	unsigned long long now;
	char hpid[16], path[64];
	struct dirent *e;
	struct stat st;
	bool alive = false;
	DIR *d;

	if (own_pidns != HOST_PID_NS)
		return true;
	d = opendir("/proc");
	if (!d)
		return true;
	while (!alive && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9' ||
		    (size_t)snprintf(hpid, sizeof(hpid), "%s", e->d_name) >= sizeof(hpid))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/pid", hpid);
		alive = !stat(path, &st) && st.st_ino == ns &&
			has_ns_pid(hpid, pid) && !start_time(hpid, &now) &&
			now == start;
	}
	closedir(d);
	return alive;
}

/*
 * Whether the probe named event belongs to a shmtrace that is gone: one
 * in our pid namespace by its pid there; one in another, such as a
 * container's first process, only from the host's.
 */
static bool owner_gone(const char *event)
{
	unsigned long long start, now;
	unsigned long ns;
	char pid[16];
	int n;

	if (sscanf(event, "s%lu_%15[0-9]_%llu_%n", &ns, pid, &start, &n) != 3)
		return false;
	if (ns != own_pidns)
		return !ns_owner_alive(ns, pid, start);
	return start_time(pid, &now) || now != start;
}

int kretprobes_sweep(const char *dir)
{
	char path[PATH_MAX], *line = NULL, *event, *end;
	size_t cap = 0;
	FILE *f;
	int n = 0;

	if (make_own_tag())
		return -EIO;
	snprintf(path, sizeof(path), "%s/kprobe_events", dir);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	/* Lines read "r4096:GROUP/EVENT SYMBOL". */
	while (getline(&line, &cap, f) > 0) {
		event = strchr(line, ':');
		if (!event || strncmp(event + 1, KRETPROBE_GROUP "/",
				      strlen(KRETPROBE_GROUP) + 1))
			continue;
		event += strlen(KRETPROBE_GROUP) + 2;
		end = event + strcspn(event, " \n");
		*end = '\0';
		if (end - event < EVENT_LEN && owner_gone(event)) {
			remove_event(dir, event);
			n++;
		}
	}
	free(line);
	fclose(f);
	return n;
}

/* The tracepoint id tracefs gave the event; -errno if none. */
static int event_id(const char *dir, const char *event)
{
	char path[PATH_MAX], buf[32];
	int err;

	snprintf(path, sizeof(path), "%s/events/%s/%s/id", dir,
		 KRETPROBE_GROUP, event);
	err = read_text(path, buf, sizeof(buf));
	return err ? err : atoi(buf);
}

/* A BPF program on every CPU's hits of the event, as libbpf attaches one. */
static struct bpf_link *attach_event(struct bpf_program *prog, int id)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.config = id,
	};
	struct bpf_link *link;
	int pfd, err;

	pfd = syscall(__NR_perf_event_open, &attr, -1, 0, -1,
		      PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		return NULL;
	link = bpf_program__attach_perf_event(prog, pfd);
	if (!link) {
		err = errno;
		close(pfd);
		errno = err;
	}
	return link;
}

/* Makes the probe and remembers it; 0 or -errno. */
static int make_probe(const char *dir, const char *func, char *event)
{
	char cmd[3 * EVENT_LEN + 32];
	int err = make_own_tag();

	if (err)
		return err;
	if (n_probes == MAX_PROBES)
		return -ENOSPC;
	if (snprintf(event, EVENT_LEN, "%s%s", own_tag, func) >= EVENT_LEN)
		return -ENAMETOOLONG;
	snprintf(cmd, sizeof(cmd), "r%d:%s/%s %s\n", KRETPROBE_INSTANCES,
		 KRETPROBE_GROUP, event, func);
	err = write_command(dir, cmd);
	if (err)
		return err;
	probes_dir = dir;
	snprintf(probes[n_probes++], EVENT_LEN, "%s", event);
	return 0;
}

struct bpf_link *kretprobe_attach(const char *dir, struct bpf_program *prog,
				  const char *func, char *why)
{
	char event[EVENT_LEN];
	struct bpf_link *link;
	int err = make_probe(dir, func, event), id;

	if (err) {
		snprintf(why, WHY_LEN, "making a kretprobe on %s in %s/kprobe_events failed (%s)",
			 func, dir, strerror(-err));
		errno = -err;
		return NULL;
	}
	id = event_id(dir, event);
	if (id < 0) {
		snprintf(why, WHY_LEN, "tracefs gave the kretprobe on %s no id (%s)",
			 func, strerror(-id));
		errno = -id;
		return NULL;
	}
	link = attach_event(prog, id);
	if (!link)
		snprintf(why, WHY_LEN, "attaching the kretprobe on %s failed (%s)",
			 func, strerror(errno));
	return link;
}

uint64_t kretprobes_missed(void)
{
	char path[PATH_MAX], *line = NULL, name[EVENT_LEN];
	unsigned long long hits, missed;
	uint64_t total = 0;
	size_t cap = 0;
	FILE *f;
	int i;

	if (!n_probes)
		return 0;
	snprintf(path, sizeof(path), "%s/kprobe_profile", probes_dir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	/* "  EVENT HITS MISSED": the event's name alone, without its group. */
	while (getline(&line, &cap, f) > 0) {
		if (sscanf(line, "%63s %llu %llu", name, &hits, &missed) != 3)
			continue;
		for (i = 0; i < n_probes; i++)
			if (!strcmp(name, probes[i]))
				total += missed;
	}
	free(line);
	fclose(f);
	return total;
}

void kretprobes_remove(void)
{
	while (n_probes > 0)
		remove_event(probes_dir, probes[--n_probes]);
}
