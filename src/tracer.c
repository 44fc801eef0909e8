// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "compat32.h"
#include "syscalls.h"
#include "tracer.h"
#include "util.h"
#include "shmtrace.skel.h"

/* How long the end of a trace waits for the calls still in the kernel. */
#define DRAIN_MS 200

static void note(const struct tracer *t, const char *text)
{
	if (t->cfg->verbose && text[0])
		fprintf(stderr, "shmtrace: %s\n", text);
}

/*
 * Where the cache lives: --cache-dir, $XDG_CACHE_HOME/shmtrace, /var/cache.
 * Under sudo (SUDO_UID; sudo -E keeps the caller's XDG_CACHE_HOME) or a
 * set-uid start, the environment is another user's: root's own place then.
 */
static const char *cache_dir(const struct config *cfg)
{
	static char dir[4096];
	const char *xdg = getenv("XDG_CACHE_HOME");

	if (getuid() != geteuid() || getenv("SUDO_UID"))
		xdg = NULL;
	if (cfg->no_cache)
		return NULL;
	if (cfg->cache_dir)
		return cfg->cache_dir;
	if (xdg && xdg[0] == '/') {
		snprintf(dir, sizeof(dir), "%s/shmtrace", xdg);
		return dir;
	}
	return "/var/cache/shmtrace";
}

/* The kernel's BTF: its identity and, if cached, what CO-RE needs. */
static int open_kernel_btf(struct tracer *t, char *why, size_t why_len)
{
	const char *funcs[KBTF_MAX_FUNCS];
	char text[WHY_LEN + 4096];
	size_t len;
	const void *object = shmtrace_bpf__elf_bytes(&len);
	int n = attach_funcs(funcs, KBTF_MAX_FUNCS), err;

	if (n < 0) {
		snprintf(why, why_len, "opening the BPF object failed (%s)",
			 strerror(-n));
		return n;
	}
	err = kbtf_open(&t->kb, t->cfg->btf ? t->cfg->btf : DEFAULT_BTF,
			cache_dir(t->cfg), funcs, n, object, len, why, why_len,
			text, sizeof(text));
	if (!err)
		note(t, text);
	return err;
}

void tracer_save_btf(struct tracer *t)
{
	char text[WHY_LEN + 4096];
	size_t len;
	const void *object = shmtrace_bpf__elf_bytes(&len);

	kbtf_save(&t->kb, object, len, text, sizeof(text));
	note(t, text);
}

/*
 * What the kernel side sends: attach and detach need every shm call too,
 * to know the mappings and the segments (userspace reports only what was
 * asked for).
 */
static unsigned int kernel_events(const struct config *cfg)
{
	return cfg->events & LIFE_EVENTS ? cfg->events | ((1u << SYS_MAX) - 1) :
					    cfg->events;
}

/*
 * "-- COMMAND": the kernel side learns the command's host pid as it
 * execs, from its pid in our pid namespace (a container's is not the
 * host's), and follows it and what it forks from then on.
 */
static int follow_command(struct shmtrace_bpf__rodata *ro, int pid, char *why)
{
	struct stat pidns;
	int err;

	if (stat("/proc/self/ns/pid", &pidns)) {
		err = -errno;
		snprintf(why, WHY_LEN, "cannot follow the command: /proc/self/ns/pid: %s",
			 strerror(-err));
		return err;
	}
	ro->follow_ns_pid = pid;
	/* The kernel's dev_t, not stat's encoding of it. */
	ro->follow_ns_dev = (uint64_t)major(pidns.st_dev) << 20 | minor(pidns.st_dev);
	ro->follow_ns_ino = pidns.st_ino;
	return 0;
}

/* Filters and sizes go into the BPF object between open and load. */
static int configure(struct tracer *t, const struct tracer_targets *tg,
		     char *why)
{
	struct shmtrace_bpf *skel = t->hooks.skel;
	struct shmtrace_bpf__rodata *ro = skel->rodata;
	const struct config *cfg = t->cfg;
	int err;

	ro->filter_ipc_ns = tg->ipc_ns;
	ro->filter_tgid = cfg->pid;
	ro->filter_tid = cfg->tid;
	ro->filter_uid = cfg->uid;
	ro->filter_key_on = cfg->key_on;
	ro->filter_key = cfg->key;
	ro->filter_comm_on = cfg->comm_on;
	memcpy((char *)ro->filter_comm, cfg->comm, sizeof(cfg->comm));
	ro->filter_failed = cfg->failed;
	ro->events_mask = kernel_events(cfg);
	ro->life_on = cfg->events & LIFE_EVENTS;
	ro->filter_cgroup_on = cfg->cgroup != NULL;
	ro->filter_container_on = cfg->container != NULL;
	ro->follow_on = cfg->command != NULL;
	err = tg->follow_pid ? follow_command(ro, tg->follow_pid, why) : 0;
	if (err)
		return err;
	/* Wake the reader a few times per buffer; a timer does the rest. */
	ro->wakeup_bytes = cfg->buffer_bytes / 8;
	ro->use_task_storage = t->task_storage;
	ro->use_task_btf = t->task_storage;	/* both came with 5.11 */
	bpf_map__set_autocreate(skel->maps.task_starts, t->task_storage);
	bpf_map__set_autocreate(skel->maps.starts, !t->task_storage);
	return bpf_map__set_max_entries(skel->maps.events, cfg->buffer_bytes);
}

static int set_cgroup(struct shmtrace_bpf *skel, uint32_t slot, int fd)
{
	return bpf_map__update_elem(skel->maps.cgroup_filter, &slot,
				    sizeof(slot), &fd, sizeof(fd), 0);
}

/* Map contents that need the maps to exist: after load, before attach. */
static int fill_maps(struct tracer *t, const struct tracer_targets *tg,
		     char *why)
{
	struct shmtrace_bpf *skel = t->hooks.skel;

	if (tg->cgroup_fd >= 0 &&
	    set_cgroup(skel, CGROUP_SLOT_CGROUP, tg->cgroup_fd)) {
		snprintf(why, WHY_LEN, "cannot use cgroup %s: %s",
			 t->cfg->cgroup, strerror(errno));
		return -errno;
	}
	if (tg->container_fd >= 0 &&
	    set_cgroup(skel, CGROUP_SLOT_CONTAINER, tg->container_fd)) {
		snprintf(why, WHY_LEN, "cannot use container %s's cgroup: %s",
			 t->cfg->container, strerror(errno));
		return -errno;
	}
	return 0;
}

static int try_mode(struct tracer *t, const struct tracer_targets *tg,
		    const struct candidate *c, char *why)
{
	const struct attach_opts o = {
		.events = kernel_events(t->cfg),
		.compat = t->cfg->compat,
		.follow = tg->follow_pid != 0,
	};
	const char *core = kbtf_core_path(&t->kb);
	LIBBPF_OPTS(bpf_object_open_opts, opts,
		    .btf_custom_path = core ? core : t->cfg->btf);
	char msg[128];
	int err;

	t->hooks.skel = shmtrace_bpf__open_opts(&opts);
	if (!t->hooks.skel) {
		snprintf(why, WHY_LEN, "opening the BPF object failed (%s)",
			 strerror(errno));
		return -errno;
	}
	err = configure(t, tg, why);
	if (!err)
		err = attach_select(&t->hooks, c, &o, &t->kb, why);
	if (err)
		return err;
	err = shmtrace_bpf__load(t->hooks.skel);
	if (err) {
		/* libbpf's own codes (4000 and up) are not errnos. */
		libbpf_strerror(err, msg, sizeof(msg));
		snprintf(why, WHY_LEN, "the kernel refused to load the %s programs (%s)",
			 attach_mode_name(c->mode), msg);
		return err;
	}
	err = fill_maps(t, tg, why);
	return err ? err : attach_links(&t->hooks, why);
}

/*
 * Takes the first mode that loads and attaches; says why none did. A mode
 * comes back only if it failed for being inexact (-EAGAIN).
 */
static int start_tracing(struct tracer *t, const struct tracer_targets *tg,
			 char *all, size_t all_len)
{
	struct candidate c[MAX_CANDIDATES];
	char why[WHY_LEN];
	int err[MODE_MAX] = { 0 };
	int i, n = attach_candidates(t->cfg->mode, c), len;
	const char *sep = "";

	len = snprintf(all, all_len, "%s", n > 1 ? "no attach mode works: " : "");
	for (i = 0; i < n; i++) {
		if (err[c[i].mode] && err[c[i].mode] != -EAGAIN)
			continue;
		why[0] = '\0';
		err[c[i].mode] = try_mode(t, tg, &c[i], why);
		if (!err[c[i].mode])
			return 0;
		attach_destroy(&t->hooks);
		if (t->cfg->verbose)
			fprintf(stderr, "shmtrace: %s: %s\n",
				attach_mode_name(c[i].mode), why);
		len += snprintf(all + len, all_len - len, "%s%s: %s", sep,
				attach_mode_name(c[i].mode), why);
		if ((size_t)len >= all_len)
			break;
		sep = "; ";
	}
	return -ENOENT;
}

int tracer_open(struct tracer *t, const struct config *cfg,
		const struct tracer_targets *tg, ring_buffer_sample_fn on_event,
		void *ctx, char *why, size_t why_len)
{
	int err;

	*t = (struct tracer){ .cfg = cfg, .epfd = -1 };
	err = open_kernel_btf(t, why, why_len);
	if (err)
		return err;
	/* Asked once, not per attach mode: 5.10 has only the hash. */
	t->task_storage =
		libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) == 1;
	err = start_tracing(t, tg, why, why_len);
	if (err)
		return err;
	t->rb = ring_buffer__new(bpf_map__fd(t->hooks.skel->maps.events),
				 on_event, ctx, NULL);
	if (!t->rb) {
		err = -errno;
		snprintf(why, why_len, "cannot map the ring buffer: %s",
			 strerror(errno));
	}
	return err;
}

/* Whether no compat caller can exist (asked only when it matters). */
static bool compat_impossible(const struct hookset *h)
{
	return (h->uncovered[PATH_COMPAT][0] || h->uncovered[PATH_COMPAT_IPC][0]) &&
	       !kernel_runs_32bit();
}

/*
 * Names every entry path that is not covered, grouped by reason; a kernel
 * that cannot run 32-bit programs has no such callers to cover.
 */
static void describe_uncovered(const struct hookset *h, FILE *f)
{
	bool no_compat = compat_impossible(h);
	const char *sep = " (not covered: ";
	int p, q;

	if (no_compat)
		fprintf(f, " (32-bit programs cannot run on this kernel)");
	for (p = 0; p < NR_PATHS; p++) {
		if (!h->uncovered[p][0] || !entry_path_name(p) ||
		    (no_compat && p != PATH_NATIVE))
			continue;
		for (q = 0; q < p; q++)
			if (!strcmp(h->uncovered[q], h->uncovered[p]))
				break;
		if (q < p)
			continue;
		fprintf(f, "%s%s", sep, entry_path_name(p));
		for (q = p + 1; q < NR_PATHS; q++)
			if (!strcmp(h->uncovered[q], h->uncovered[p]) &&
			    entry_path_name(q))
				fprintf(f, ", %s", entry_path_name(q));
		fprintf(f, ": %s", h->uncovered[p]);
		sep = "; ";
	}
	if (sep[0] == ';')
		fputc(')', f);
}

void tracer_describe(const struct tracer *t, FILE *f)
{
	fprintf(f, " via %s", attach_mode_name(t->hooks.mode));
	describe_uncovered(&t->hooks, f);
	if (t->hooks.lossy)
		fprintf(f, " (calls can be lost: without tracefs, kretprobes run out under contention)");
	/* What the process events and munmap, mremap of holders miss. */
	if (!(t->cfg->events & LIFE_EVENTS))
		return;
	if (t->hooks.life_unseen[0])
		fprintf(f, " (attach, detach: not seen for munmap and mremap: %s)",
			t->hooks.life_unseen);
	fprintf(f, " (attach, detach: not seen for 32-bit munmap and mremap, mappings changed by mprotect, madvise, mlock, mmap MAP_FIXED or shmat SHM_REMAP, or attaches made before the trace)");
}

/* A per-CPU counter's sum over the CPUs; 0 if it cannot be read. */
static uint64_t percpu_sum(const struct bpf_map *map, uint32_t key)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t vals[ncpu > 0 ? ncpu : 1], sum = 0;
	int c;

	if (ncpu <= 0 || bpf_map__lookup_elem(map, &key, sizeof(key), vals,
					      sizeof(vals), 0))
		return 0;
	for (c = 0; c < ncpu; c++)
		sum += vals[c];
	return sum;
}

/* The losses so far by kind (LOSS_MALFORMED left 0); their total. */
static uint64_t tracer_losses(struct tracer *t, uint64_t by_kind[LOSS_REASONS])
{
	uint64_t total = 0;
	uint32_t k;

	for (k = 0; k < LOSS_MAX; k++)
		by_kind[k] = percpu_sum(t->hooks.skel->maps.losses, k);
	by_kind[LOSS_EXIT_MISSED] += t->unfinished;
	by_kind[LOSS_MALFORMED] = 0;
	by_kind[LOSS_ENTRY_MISSED] = attach_entry_misses(&t->hooks);
	for (k = 0; k < LOSS_REASONS; k++)
		total += by_kind[k];
	return total;
}

uint64_t tracer_report_losses(struct tracer *t,
			      uint64_t by_kind[LOSS_REASONS])
{
	uint64_t total = tracer_losses(t, by_kind), n;
	int k;

	for (k = 0; k < LOSS_REASONS; k++) {
		if (by_kind[k] <= t->lost_reported[k])
			continue;
		n = by_kind[k] - t->lost_reported[k];
		fprintf(stderr, "shmtrace: lost %llu event%s (%s)\n",
			(unsigned long long)n, n == 1 ? "" : "s",
			loss_reason(k));
		t->lost_reported[k] = by_kind[k];
	}
	return total;
}

/*
 * One epoll set for the ring buffer's wakeups, for the output and for
 * wake_fd: a pipe whose reader left reports EPOLLERR at once, so that
 * `| head -1` ends an idle trace too, not only at the next event's write.
 * A signal can come just before epoll_wait() and leave it the whole wait:
 * wake_fd cannot be missed so.
 */
static int watch(struct tracer *t, int out_fd, int wake_fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = -1 };

	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (t->epfd < 0)
		return -errno;
	if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(t->rb),
		      &ev))
		return -errno;
	ev.data.fd = wake_fd;
	if (wake_fd >= 0 && epoll_ctl(t->epfd, EPOLL_CTL_ADD, wake_fd, &ev))
		return -errno;
	ev = (struct epoll_event){ .events = 0, .data.fd = out_fd };
	/* Files cannot be watched (EPERM): they never lose their reader. */
	epoll_ctl(t->epfd, EPOLL_CTL_ADD, out_fd, &ev);
	return 0;
}

int tracer_wait(struct tracer *t, int out_fd, int wake_fd, int ms)
{
	struct epoll_event evs[3];
	int i, n, err;

	if (t->epfd < 0) {
		err = watch(t, out_fd, wake_fd);
		if (err)
			return err;
	}
	n = epoll_wait(t->epfd, evs, 3, ms);
	for (i = 0; i < n; i++)
		if (evs[i].data.fd == out_fd &&
		    (evs[i].events & (EPOLLERR | EPOLLHUP)))
			return -EPIPE;
	return 0;
}

/* The entries waiting for their exit (a sum of +1s and -1s). */
static int64_t inflight(const struct tracer *t)
{
	return (int64_t)percpu_sum(t->hooks.skel->maps.inflight, 0);
}

/*
 * Whether nothing the programs trace is left: "-- COMMAND" whose processes
 * have all exited (each left followed at its last thread's exit, after its
 * last call), with no entry waiting (a dead thread's is counted out by
 * reap, after followed is empty). Nothing can change the trace then.
 */
static bool nothing_left(const struct tracer *t)
{
	uint32_t key;

	return t->cfg->command &&
	       bpf_map__get_next_key(t->hooks.skel->maps.followed, NULL, &key,
				     sizeof(key)) == -ENOENT &&
	       inflight(t) == 0;
}

/*
 * No new call starts, and the calls still inside the kernel get DRAIN_MS
 * to come out. Then every program is detached: an entry still waiting
 * belongs to a thread whose exit was lost (a kretprobe that ran out,
 * say, on a thread that has made no call since), and can no longer be
 * printed. Threads that exit are counted as they go, by the reap program.
 * With nothing left to trace, detaching, which waits for the kernel, can
 * wait for tracer_close().
 */
void tracer_stop(struct tracer *t)
{
	const struct timespec tick = { .tv_nsec = 1000000 };
	uint64_t start = now_ms();
	int64_t n;

	t->hooks.skel->bss->draining = true;
	while (inflight(t) > 0 && now_ms() - start < DRAIN_MS)
		nanosleep(&tick, NULL);
	if (nothing_left(t))
		attach_settle(&t->hooks);
	else
		attach_detach(&t->hooks);
	n = inflight(t);
	t->unfinished = n > 0 ? n : 0;
	if (t->cfg->verbose && t->hooks.mode == MODE_KPROBE && !t->hooks.lossy)
		fprintf(stderr, "shmtrace: the kernel's kretprobes missed %llu returns, of any caller\n",
			(unsigned long long)t->hooks.kernel_missed);
}

void tracer_close(struct tracer *t)
{
	if (t->epfd >= 0)
		close(t->epfd);
	ring_buffer__free(t->rb);
	t->rb = NULL;
	attach_destroy(&t->hooks);
	kbtf_close(&t->kb);
}
