// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * shmtrace: trace System V shared memory calls (shmget, shmat, shmdt, shmctl).
 *
 * open -> configure -> load -> attach (the first mode that works)
 * -> start the command, if any -> poll the ring buffer -> clean up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "cli.h"
#include "command.h"
#include "compat32.h"
#include "container.h"
#include "decode.h"
#include "findings.h"
#include "httpd.h"
#include "metrics.h"
#include "output.h"
#include "segments.h"
#include "stable.h"
#include "summary.h"
#include "syscalls.h"
#include "util.h"
#include "shmtrace.skel.h"

#define POLL_MS 50
#define LOSS_REPORT_MS 1000
/* How long the end of a trace waits for the calls still in the kernel. */
#define DRAIN_MS 200
#define DEFAULT_BTF "/sys/kernel/btf/vmlinux"
/* The largest pid a kernel hands out (PID_MAX_LIMIT on 64-bit). */
#define PID_MAX_LIMIT (4 * 1024 * 1024)

struct run {
	const struct config *cfg;
	struct tracer tracer;
	struct ring_buffer *rb;
	struct output *out;
	struct segments *segs;
	int cgroup_fd;		/* --cgroup's directory, or -1 */
	int container_fd;	/* --container's cgroup directory, or -1 */
	uint32_t ipc_ns;	/* --ipcns as an inode, or 0 */
	struct containers *containers;
	struct kernel_btf kb;
	bool task_storage;	/* pair entry and exit in task storage */
	struct summary summary;
	struct command cmd;
	bool have_cmd;
	int cmd_status;
	uint64_t events;
	uint64_t malformed;
	uint64_t leaks;
	unsigned int failed_on;	/* what of --fail-on happened */
	uint64_t lost_reported[LOSS_REASONS];
	uint64_t unfinished;	/* entries still waiting as the trace ended */
	int out_err;		/* -errno from writing events */
	struct metrics *metrics;	/* --metrics, or NULL */
	struct httpd *httpd;
};

static volatile sig_atomic_t exiting;
static volatile sig_atomic_t child_exited;
static volatile sig_atomic_t reopen_asked;

static void on_signal(int sig)
{
	if (sig == SIGCHLD)
		child_exited = 1;
	else if (sig == SIGHUP)
		reopen_asked = 1;
	else
		exiting = 1;
}

static void die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("shmtrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static bool verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	/* Our own one-line errors say what failed; libbpf's detail is -v. */
	return verbose ? vfprintf(stderr, fmt, ap) : 0;
}

/* Loading BPF needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN. */
static bool privileged(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};
	uint64_t eff;

	/* Capabilities, not the uid: root can run without them. */
	if (syscall(SYS_capget, &hdr, data))
		return false;
	eff = data[0].effective | (uint64_t)data[1].effective << 32;
	if (eff & (1ULL << CAP_SYS_ADMIN))
		return true;
	return (eff & (1ULL << 39)) && (eff & (1ULL << 38));
}

static void check_environment(const struct config *cfg)
{
	const char *btf = cfg->btf ? cfg->btf : DEFAULT_BTF;

	if (!privileged())
		die(EXIT_RUNTIME,
		    "permission denied: run as root (needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)");
	if (access(btf, R_OK))
		die(EXIT_RUNTIME,
		    "kernel BTF not readable at %s (%s): the kernel needs CONFIG_DEBUG_INFO_BTF=y, or pass --btf FILE",
		    btf, strerror(errno));
}

/* Where the cache lives: --cache-dir, $XDG_CACHE_HOME/shmtrace, /var/cache. */
static const char *cache_dir(const struct config *cfg)
{
	static char dir[4096];
	const char *xdg = getenv("XDG_CACHE_HOME");

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
static void open_kernel_btf(struct run *r)
{
	const char *funcs[KBTF_MAX_FUNCS];
	char why[WHY_LEN], note[WHY_LEN + 4096];
	size_t len;
	const void *object = shmtrace_bpf__elf_bytes(&len);
	int n = attach_funcs(funcs, KBTF_MAX_FUNCS);

	if (n < 0)
		die(EXIT_RUNTIME, "opening the BPF object failed (%s)",
		    strerror(-n));
	if (kbtf_open(&r->kb, r->cfg->btf ? r->cfg->btf : DEFAULT_BTF,
		      cache_dir(r->cfg), funcs, n, object, len, why,
		      sizeof(why), note, sizeof(note)))
		die(EXIT_RUNTIME, "%s", why);
	if (verbose && note[0])
		fprintf(stderr, "shmtrace: %s\n", note);
}

/* After the banner: a later start finds what this one had to work out. */
static void save_kernel_btf(struct run *r)
{
	char note[WHY_LEN + 4096];
	size_t len;
	const void *object = shmtrace_bpf__elf_bytes(&len);

	kbtf_save(&r->kb, object, len, note, sizeof(note));
	if (verbose && note[0])
		fprintf(stderr, "shmtrace: %s\n", note);
}

/* --cgroup: checked before any BPF work, so a typo gets its own line. */
static int open_cgroup(const char *path)
{
	struct statfs fs;
	int fd;

	if (!path)
		return -1;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die(EXIT_RUNTIME, "cannot open cgroup %s: %s", path,
		    strerror(errno));
	if (fstatfs(fd, &fs) || fs.f_type != CGROUP2_SUPER_MAGIC)
		die(EXIT_RUNTIME, "%s is not a cgroup v2 directory", path);
	return fd;
}

/* The inode of a namespace file: what identifies the namespace. */
static uint32_t ns_inode(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

/* --ipcns: an inode as it is; a number a pid can be, that pid's namespace. */
static uint32_t resolve_ipcns(uint32_t arg)
{
	char path[64];
	uint32_t ino;

	if (!arg || arg > PID_MAX_LIMIT)
		return arg;
	snprintf(path, sizeof(path), "/proc/%u/ns/ipc", arg);
	ino = ns_inode(path);
	if (!ino)
		die(EXIT_RUNTIME, "--ipcns %u: no process %u (%s)", arg, arg,
		    strerror(errno));
	return ino;
}

/* --container: the one container whose id starts so, by its cgroup. */
static int open_container(const char *prefix)
{
	char path[PATH_MAX], why[WHY_LEN];
	uint64_t id;
	int fd;

	if (!prefix)
		return -1;
	if (container_cgroup(prefix, &id, path, sizeof(path), why))
		die(EXIT_RUNTIME, "--container %s: %s", prefix, why);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die(EXIT_RUNTIME, "--container %s: cannot open %s: %s", prefix,
		    path, strerror(errno));
	return fd;
}

static int open_output(const struct config *cfg)
{
	int fd;

	if (!cfg->output)
		return STDOUT_FILENO;
	fd = open(cfg->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die(EXIT_RUNTIME, "cannot open output file %s: %s",
		    cfg->output, strerror(errno));
	return fd;
}

/* Filters and sizes go into the BPF object between open and load. */
static int configure(struct shmtrace_bpf *skel, const struct config *cfg,
		     bool task_storage, uint32_t ipc_ns)
{
	struct shmtrace_bpf__rodata *ro = skel->rodata;

	ro->filter_ipc_ns = ipc_ns;
	ro->filter_tgid = cfg->pid;
	ro->filter_tid = cfg->tid;
	ro->filter_uid = cfg->uid;
	ro->filter_key_on = cfg->key_on;
	ro->filter_key = cfg->key;
	ro->filter_comm_on = cfg->comm_on;
	memcpy((char *)ro->filter_comm, cfg->comm, sizeof(cfg->comm));
	ro->filter_failed = cfg->failed;
	ro->events_mask = cfg->events;
	ro->filter_cgroup_on = cfg->cgroup != NULL;
	ro->filter_container_on = cfg->container != NULL;
	ro->follow_on = cfg->command != NULL;
	/* Wake the reader a few times per buffer; a timer does the rest. */
	ro->wakeup_bytes = cfg->buffer_bytes / 8;
	ro->use_task_storage = task_storage;
	ro->use_task_btf = task_storage;	/* both came with 5.11 */
	bpf_map__set_autocreate(skel->maps.task_starts, task_storage);
	bpf_map__set_autocreate(skel->maps.starts, !task_storage);
	return bpf_map__set_max_entries(skel->maps.events, cfg->buffer_bytes);
}

static int set_cgroup(struct shmtrace_bpf *skel, uint32_t slot, int fd)
{
	return bpf_map__update_elem(skel->maps.cgroup_filter, &slot,
				    sizeof(slot), &fd, sizeof(fd), 0);
}

/* Map contents that need the maps to exist: after load, before attach. */
static int fill_maps(struct run *r, char *why)
{
	struct shmtrace_bpf *skel = r->tracer.skel;
	uint8_t one = 1;

	if (r->cgroup_fd >= 0 &&
	    set_cgroup(skel, CGROUP_SLOT_CGROUP, r->cgroup_fd)) {
		snprintf(why, WHY_LEN, "cannot use cgroup %s: %s",
			 r->cfg->cgroup, strerror(errno));
		return -errno;
	}
	if (r->container_fd >= 0 &&
	    set_cgroup(skel, CGROUP_SLOT_CONTAINER, r->container_fd)) {
		snprintf(why, WHY_LEN, "cannot use container %s's cgroup: %s",
			 r->cfg->container, strerror(errno));
		return -errno;
	}
	if (r->have_cmd &&
	    bpf_map__update_elem(skel->maps.followed, &r->cmd.pid,
				 sizeof(r->cmd.pid), &one, sizeof(one), 0)) {
		snprintf(why, WHY_LEN, "cannot follow the command: %s",
			 strerror(errno));
		return -errno;
	}
	return 0;
}

static int try_mode(struct run *r, const struct candidate *c, char *why)
{
	struct tracer *t = &r->tracer;
	const char *core = kbtf_core_path(&r->kb);
	LIBBPF_OPTS(bpf_object_open_opts, opts,
		    .btf_custom_path = core ? core : r->cfg->btf);
	int err;

	t->skel = shmtrace_bpf__open_opts(&opts);
	if (!t->skel) {
		snprintf(why, WHY_LEN, "opening the BPF object failed (%s)",
			 strerror(errno));
		return -errno;
	}
	err = configure(t->skel, r->cfg, r->task_storage, r->ipc_ns);
	if (!err)
		err = attach_select(t, c, r->cfg, &r->kb, why);
	if (err)
		return err;
	err = shmtrace_bpf__load(t->skel);
	if (err) {
		char msg[128];

		/* libbpf's own codes (4000 and up) are not errnos. */
		libbpf_strerror(err, msg, sizeof(msg));
		snprintf(why, WHY_LEN, "the kernel refused to load the %s programs (%s)",
			 attach_mode_name(c->mode), msg);
		return err;
	}
	err = fill_maps(r, why);
	if (!err)
		err = attach_links(t, why);
	return err;
}

/*
 * Takes the first mode that loads and attaches; says why none did. A mode
 * comes back only if it failed for being inexact (-EAGAIN).
 */
static void start_tracing(struct run *r)
{
	struct candidate c[MAX_CANDIDATES];
	char why[WHY_LEN], all[MAX_CANDIDATES * (WHY_LEN + 16)] = "";
	int err[MODE_MAX] = { 0 };
	int i, n = attach_candidates(r->cfg->mode, c);

	for (i = 0; i < n; i++) {
		if (err[c[i].mode] && err[c[i].mode] != -EAGAIN)
			continue;
		why[0] = '\0';
		err[c[i].mode] = try_mode(r, &c[i], why);
		if (!err[c[i].mode])
			return;
		tracer_destroy(&r->tracer);
		if (verbose)
			fprintf(stderr, "shmtrace: %s: %s\n",
				attach_mode_name(c[i].mode), why);
		snprintf(all + strlen(all), sizeof(all) - strlen(all),
			 "%s%s: %s", all[0] ? "; " : "",
			 attach_mode_name(c[i].mode), why);
	}
	if (r->have_cmd)
		kill(r->cmd.pid, SIGKILL);
	die(EXIT_RUNTIME, "%s%s", n > 1 ? "no attach mode works: " : "", all);
}

/* Whether no compat caller can exist (asked only when it matters). */
static bool compat_impossible(const struct tracer *t)
{
	return (t->uncovered[PATH_COMPAT][0] || t->uncovered[PATH_COMPAT_IPC][0]) &&
	       !kernel_runs_32bit();
}

/*
 * Names every entry path that is not covered, grouped by reason; a kernel
 * that cannot run 32-bit programs has no such callers to cover.
 */
static void print_uncovered(const struct tracer *t)
{
	bool no_compat = compat_impossible(t);
	const char *sep = " (not covered: ";
	int p, q;

	if (no_compat)
		fprintf(stderr, " (32-bit programs cannot run on this kernel)");
	for (p = 0; p < NR_PATHS; p++) {
		if (!t->uncovered[p][0] || !entry_path_name(p) ||
		    (no_compat && p != PATH_NATIVE))
			continue;
		for (q = 0; q < p; q++)
			if (!strcmp(t->uncovered[q], t->uncovered[p]))
				break;
		if (q < p)
			continue;
		fprintf(stderr, "%s%s", sep, entry_path_name(p));
		for (q = p + 1; q < NR_PATHS; q++)
			if (!strcmp(t->uncovered[q], t->uncovered[p]) &&
			    entry_path_name(q))
				fprintf(stderr, ", %s", entry_path_name(q));
		fprintf(stderr, ": %s", t->uncovered[p]);
		sep = "; ";
	}
	if (sep[0] == ';')
		fputc(')', stderr);
}

static void print_banner(const struct run *r)
{
	const char *sep = "Tracing ";
	int i;

	if (r->cfg->quiet)
		return;
	for (i = 0; i < SYS_MAX; i++) {
		if (r->cfg->events & (1u << i)) {
			fprintf(stderr, "%s%s", sep, syscall_name(i));
			sep = ", ";
		}
	}
	fprintf(stderr, " via %s", attach_mode_name(r->tracer.mode));
	print_uncovered(&r->tracer);
	if (r->tracer.lossy)
		fprintf(stderr, " (calls can be lost: without tracefs, kretprobes run out under contention)");
	fprintf(stderr, "... Hit Ctrl-C to end.\n");
}

/* -W in text mode: one line per finding on stderr, as it happens. */
static void report_findings(const struct event *e, const struct annotation *a,
			    unsigned int found)
{
	char buf[1024];
	struct sink s = { .buf = buf, .cap = sizeof(buf) - 1 };
	int f;

	for (f = 0; f < FINDING_MAX; f++) {
		if (!(found & (1u << f)))
			continue;
		s.len = 0;
		put_str(&s, "shmtrace: finding: ");
		put_str(&s, finding_name(f));
		put_str(&s, ": pid ");
		put_u64(&s, e->pid);
		put_str(&s, " comm ");
		put_comm_text(&s, e->comm, sizeof(e->comm));
		put_char(&s, ' ');
		put_str(&s, syscall_name(e->syscall));
		put_str(&s, ": ");
		put_finding_reason(&s, f, e, a);
		put_char(&s, '\n');
		if (write(STDERR_FILENO, s.buf, s.len) < 0)
			return;
	}
}

/* What --fail-on asks about, as it happens. */
static void note_failures(struct run *r, const struct event *e,
			  unsigned int found)
{
	unsigned int fail_on = r->cfg->fail_on;

	if ((fail_on & FAIL_ERROR) && ret_is_error(e->ret))
		r->failed_on |= FAIL_ERROR;
	r->failed_on |= found & (fail_on & FAIL_FINDINGS ? ~0u : fail_on);
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct run *r = ctx;
	const struct event *e = data;
	struct annotation a;
	unsigned int found;
	int err;

	/* The buffer is shared with the kernel: trust no size. */
	if (size < sizeof(struct event)) {
		r->malformed++;
		return 0;
	}
	segments_annotate(r->segs, e, &a);
	a.container = container_of(r->containers, e->cgroup_id, e->pid);
	/* Only shmget's key is known in the kernel; the others' are here. */
	if (r->cfg->key_on && e->syscall != SYS_SHMGET &&
	    (!a.key_known || a.key != r->cfg->key))
		return 0;
	found = r->cfg->fail_on || r->cfg->warn || r->metrics ?
		findings_check(e, &a) : 0;
	if (r->cfg->fail_on)
		note_failures(r, e, found);
	if (r->cfg->summary)
		summary_add(&r->summary, e);
	if (r->cfg->warn && r->cfg->format == OUT_TEXT)
		report_findings(e, &a, found);
	if (r->cfg->stable) {
		if (stable_add(r->out->stable, e, &a))
			die(EXIT_RUNTIME, "--stable: out of memory");
	} else if (r->cfg->summary != SUMMARY_ONLY) {
		err = output_event(r->out, e, &a);
		if (err) {
			r->out_err = err;
			return err;
		}
	}
	if (r->metrics)
		metrics_add(r->metrics, e, a.container, a.created, found);
	r->events++;
	if (r->cfg->count && r->events >= r->cfg->count) {
		exiting = 1;
		return -ECANCELED;
	}
	/* A flood never empties the buffer: SIGHUP stops the batch here. */
	return reopen_asked && !exiting ? -EINTR : 0;
}

static uint64_t read_losses(struct run *r, uint64_t *by_kind)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t vals[ncpu > 0 ? ncpu : 1], total = 0;
	uint32_t k;
	int c;

	for (k = 0; k < LOSS_MAX; k++) {
		by_kind[k] = 0;
		if (ncpu <= 0 ||
		    bpf_map__lookup_elem(r->tracer.skel->maps.losses, &k,
					 sizeof(k), vals, sizeof(vals), 0))
			continue;
		for (c = 0; c < ncpu; c++)
			by_kind[k] += vals[c];
		total += by_kind[k];
	}
	return total;
}

/* One line per kind of loss that grew since the last report; the total. */
static uint64_t report_losses(struct run *r)
{
	uint64_t by_kind[LOSS_REASONS], total = read_losses(r, by_kind), n;
	int k;

	by_kind[LOSS_EXIT_MISSED] += r->unfinished;
	by_kind[LOSS_ENTRY_MISSED] = attach_entry_misses(&r->tracer);
	total += r->unfinished + by_kind[LOSS_ENTRY_MISSED];
	by_kind[LOSS_MALFORMED] = r->malformed;
	if (r->metrics)
		metrics_set_lost(r->metrics, by_kind);

	for (k = 0; k < LOSS_REASONS; k++) {
		/* A malformed record has a line of its own, as it comes. */
		if (k == LOSS_MALFORMED || by_kind[k] <= r->lost_reported[k])
			continue;
		n = by_kind[k] - r->lost_reported[k];
		fprintf(stderr, "shmtrace: lost %llu event%s (%s)\n",
			(unsigned long long)n, n == 1 ? "" : "s",
			loss_reason(k));
		r->lost_reported[k] = by_kind[k];
	}
	return total;
}

static void reap_child(struct run *r)
{
	int status;

	child_exited = 0;
	if (waitpid(r->cmd.pid, &status, WNOHANG) == r->cmd.pid) {
		r->cmd_status = command_exit_code(status);
		r->have_cmd = false;
		exiting = 1;
	}
}

/*
 * One epoll set for the ring buffer's wakeups and for the output: a pipe
 * whose reader left reports EPOLLERR at once, so that `| head -1` ends an
 * idle trace too, not only at the next event's write.
 */
static int setup_wait(struct run *r)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fd = epoll_create1(EPOLL_CLOEXEC);

	if (fd < 0)
		die(EXIT_RUNTIME, "epoll_create1: %s", strerror(errno));
	if (epoll_ctl(fd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(r->rb), &ev))
		die(EXIT_RUNTIME, "epoll_ctl: %s", strerror(errno));
	ev = (struct epoll_event){ .events = 0, .data.fd = r->out->fd };
	/* Files cannot be watched (EPERM): they never lose their reader. */
	epoll_ctl(fd, EPOLL_CTL_ADD, r->out->fd, &ev);
	return fd;
}

/* Waits for a wakeup, the poll timer or a signal; false if output broke. */
static bool wait_events(struct run *r, int epfd)
{
	struct epoll_event evs[2];
	int i, n = epoll_wait(epfd, evs, 2, POLL_MS);

	for (i = 0; i < n; i++) {
		if (evs[i].data.fd == r->out->fd &&
		    (evs[i].events & (EPOLLERR | EPOLLHUP))) {
			r->out_err = -EPIPE;
			return false;
		}
	}
	return true;
}

/*
 * SIGHUP: -o's file again by its name, between two batches, so that every
 * line is whole in one file or the other (logrotate renames, then signals).
 */
static void reopen_output(struct run *r)
{
	int fd = open(r->cfg->output, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		      0644);

	reopen_asked = 0;
	if (fd < 0 || dup3(fd, r->out->fd, O_CLOEXEC) < 0) {
		fprintf(stderr, "shmtrace: cannot reopen %s: %s (still writing to the old file)\n",
			r->cfg->output, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	if (r->cfg->header && r->cfg->summary != SUMMARY_ONLY && !r->cfg->stable) {
		output_header(r->out);
		r->out_err = output_flush(r->out);
	}
}

/* The entries waiting for their exit, over every CPU. */
static int64_t read_inflight(struct run *r)
{
	int ncpu = libbpf_num_possible_cpus();
	int64_t vals[ncpu > 0 ? ncpu : 1], sum = 0;
	uint32_t zero = 0;
	int c;

	if (ncpu <= 0 ||
	    bpf_map__lookup_elem(r->tracer.skel->maps.inflight, &zero,
				 sizeof(zero), vals, sizeof(vals), 0))
		return 0;
	for (c = 0; c < ncpu; c++)
		sum += vals[c];
	return sum;
}

/*
 * As the trace ends, no new call starts, and the calls still inside the
 * kernel get DRAIN_MS to come out. Then every program is detached: an
 * entry still waiting belongs to a thread whose exit was lost (a
 * kretprobe that ran out, say, on a thread that has made no call since),
 * and can no longer be printed. Threads that exit are counted as they
 * go, by the reap program.
 */
static void drain(struct run *r)
{
	uint64_t start = now_ms();
	const struct timespec tick = { .tv_nsec = 1000000 };
	int64_t n;

	r->tracer.skel->bss->draining = true;
	while (read_inflight(r) > 0 && now_ms() - start < DRAIN_MS)
		nanosleep(&tick, NULL);
	tracer_detach(&r->tracer);
	n = read_inflight(r);
	r->unfinished = n > 0 ? n : 0;
}

static void poll_loop(struct run *r)
{
	uint64_t start = now_ms(), last_loss = start;
	int epfd = setup_wait(r), err;

	while (!exiting) {
		if (!wait_events(r, epfd))
			break;
		/* Records below the wakeup threshold arrive without a wakeup. */
		err = ring_buffer__consume(r->rb);
		if (err < 0 && err != -EINTR && err != -ECANCELED && !r->out_err)
			die(EXIT_RUNTIME, "reading the ring buffer failed: %s",
			    strerror(-err));
		if (!r->out_err)
			r->out_err = output_flush(r->out);
		if (r->out_err)
			return;
		if (reopen_asked)
			reopen_output(r);
		if (child_exited && r->have_cmd)
			reap_child(r);
		segments_gc(r->segs);
		if (r->cfg->duration_ms && now_ms() - start >= r->cfg->duration_ms)
			exiting = 1;
		if (now_ms() - last_loss >= LOSS_REPORT_MS) {
			report_losses(r);
			last_loss = now_ms();
		}
	}
	close(epfd);
	drain(r);
	/* What the kernel wrote before the stop still belongs to the trace. */
	if (!r->out_err && (!r->cfg->count || r->events < r->cfg->count))
		ring_buffer__consume(r->rb);
	if (!r->out_err)
		r->out_err = output_flush(r->out);
}

static void setup_signals(const struct config *cfg)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* Without a file to reopen, SIGHUP keeps its default: a hangup ends us. */
	if (cfg->output)
		sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	/* A reader that went away shows up as EPIPE from write(). */
	signal(SIGPIPE, SIG_IGN);
}

static void start_command(struct run *r)
{
	int err = command_start(&r->cmd);

	if (!err)
		return;
	tracer_destroy(&r->tracer);
	die(err == ENOENT ? 127 : 126, "cannot run %s: %s",
	    r->cfg->command[0], strerror(err));
}

static int put_kept(void *ctx, const struct event *e,
		    const struct annotation *a)
{
	struct run *r = ctx;

	r->out_err = output_event(r->out, e, a);
	return r->out_err;
}

/* --stable: what was kept, in its stable order. */
static void print_stable(struct run *r)
{
	struct stable *st = r->out->stable;

	if (!st || r->out_err)
		return;
	if (r->cfg->header)
		output_header(r->out);
	if (st->dropped)
		fprintf(stderr, "shmtrace: lost %llu event%s (--stable keeps at most %u)\n",
			(unsigned long long)st->dropped,
			st->dropped == 1 ? "" : "s", STABLE_MAX_EVENTS);
	if (!stable_replay(st, put_kept, r))
		r->out_err = output_flush(r->out);
}

/* -s: the table goes where the events go, after them. */
static void print_summary(struct run *r)
{
	struct sink *s = &r->out->sink;

	if (!r->cfg->summary || r->out_err)
		return;
	if (r->cfg->format == OUT_JSON) {
		summary_print_json(&r->summary, s);
	} else {
		if (r->cfg->summary == SUMMARY_BOTH)
			put_char(s, '\n');
		summary_print_text(&r->summary, s);
	}
	r->out_err = output_flush(r->out);
}

static void put_leak(const struct segment *seg, void *ctx)
{
	struct run *r = ctx;
	char buf[1024];
	struct sink s = { .buf = buf, .cap = sizeof(buf) };

	r->leaks++;
	format_leak(r->out, &s, seg, seg->ns == r->segs->own_ns);
	if (r->cfg->format == OUT_JSON)
		put_mem(&r->out->sink, s.buf, s.len);
	else if (write(STDERR_FILENO, s.buf, s.len) < 0)
		return;
}

/* Segments a traced call made and nobody removed: once, at the end. */
static void report_leaks(struct run *r)
{
	if (!r->cfg->warn && !(r->cfg->fail_on & FAIL_LEAK))
		return;
	segments_leaks(r->segs, put_leak, r);
	if (!r->out_err)
		r->out_err = output_flush(r->out);
	if (r->leaks && (r->cfg->fail_on & FAIL_LEAK))
		r->failed_on |= FAIL_LEAK;
}

/* --fail-on: one line naming what happened. */
static void report_failed_on(unsigned int failed_on)
{
	const char *sep = "shmtrace: --fail-on: ";
	unsigned int bit;

	if (!failed_on)
		return;
	for (bit = 1; bit; bit <<= 1) {
		if (!(failed_on & bit))
			continue;
		fprintf(stderr, "%s%s", sep, fail_on_name(bit));
		sep = ", ";
	}
	fputc('\n', stderr);
}

static int finish(struct run *r)
{
	uint64_t lost;

	print_stable(r);
	print_summary(r);
	if (verbose && r->tracer.mode == MODE_KPROBE && !r->tracer.lossy)
		fprintf(stderr, "shmtrace: the kernel's kretprobes missed %llu returns, of any caller\n",
			(unsigned long long)r->tracer.kernel_missed);
	/* A record too short to read counts as lost too. */
	lost = report_losses(r) + r->malformed +
	       (r->out->stable ? r->out->stable->dropped : 0);
	if (r->out_err && r->out_err != -EPIPE)
		fprintf(stderr, "shmtrace: writing events failed: %s\n",
			strerror(-r->out_err));
	if (r->have_cmd) {
		command_stop(&r->cmd);
	}
	/* A reader that went away (| head) is a normal way to stop. */
	if (r->out_err == -EPIPE)
		return EXIT_OK;
	report_leaks(r);
	if (lost && (r->cfg->fail_on & FAIL_LOST))
		r->failed_on |= FAIL_LOST;
	if (!r->cfg->quiet)
		fprintf(stderr, "shmtrace: %llu event%s, %llu lost\n",
			(unsigned long long)r->events,
			r->events == 1 ? "" : "s", (unsigned long long)lost);
	report_failed_on(r->failed_on);
	if (r->out_err)
		return EXIT_RUNTIME;
	if (r->cfg->command && r->cmd_status)
		return r->cmd_status;
	if (lost)
		return EXIT_LOST;
	return r->failed_on ? EXIT_FAIL_ON : EXIT_OK;
}

/* --metrics: the server listens before any BPF work, to fail early. */
static void start_metrics(struct run *r)
{
	char why[WHY_LEN];

	if (!r->cfg->metrics_port)
		return;
	r->metrics = metrics_new(r->cfg->events);
	if (!r->metrics)
		die(EXIT_RUNTIME, "out of memory");
	r->httpd = httpd_start(r->cfg->metrics_addr, r->cfg->metrics_port,
			       "/metrics", METRICS_CONTENT_TYPE, metrics_render,
			       r->metrics, why);
	if (!r->httpd)
		die(EXIT_RUNTIME, "--metrics: %s", why);
}

int main(int argc, char **argv)
{
	static struct output out;
	static struct segments segs;
	static struct stable stable;
	struct config cfg;
	struct run r = { .cfg = &cfg, .out = &out, .segs = &segs };
	int status, err;

	argv[0] = "shmtrace";	/* getopt names us in its messages */
	cli_parse(argc, argv, &cfg);
	verbose = cfg.verbose;
	libbpf_set_print(libbpf_print);
	check_environment(&cfg);
	open_kernel_btf(&r);
	r.cgroup_fd = open_cgroup(cfg.cgroup);
	r.container_fd = open_container(cfg.container);
	r.ipc_ns = resolve_ipcns(cfg.ipcns);
	r.containers = containers_new();
	if (!r.containers)
		die(EXIT_RUNTIME, "out of memory");
	/* Asked once, not per attach mode: 5.10 has only the hash. */
	r.task_storage =
		libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) == 1;
	output_init(&out, open_output(&cfg), cfg.format, cfg.timestamps);
	/* --stable shows every call alike, created= included. */
	out.lifecycle = cfg.events != 1u << SYS_SHMGET || cfg.stable;
	out.stable = cfg.stable ? &stable : NULL;
	out.warn = cfg.warn;
	out.containers = cfg.containers;
	setup_signals(&cfg);
	start_metrics(&r);
	if (cfg.command) {
		err = command_prepare(&r.cmd, cfg.command);
		if (err)
			die(EXIT_RUNTIME, "cannot fork: %s", strerror(-err));
		r.have_cmd = true;
	}

	start_tracing(&r);
	r.rb = ring_buffer__new(bpf_map__fd(r.tracer.skel->maps.events),
				handle_event, &r, NULL);
	if (!r.rb)
		die(EXIT_RUNTIME, "cannot map the ring buffer: %s",
		    strerror(errno));
	/* After attaching: a segment made meanwhile is in the events too. */
	segments_init(&segs, "/proc/sysvipc/shm", ns_inode("/proc/self/ns/ipc"));
	if (r.metrics) {
		metrics_set_mode(r.metrics, attach_mode_name(r.tracer.mode));
		err = metrics_watch_segments(r.metrics, segs.path, segs.own_ns);
		if (err)
			die(EXIT_RUNTIME, "--metrics: cannot start a thread: %s",
			    strerror(err));
	}
	print_banner(&r);
	save_kernel_btf(&r);
	/* --stable's header comes with its events, at the end. */
	if (cfg.header && cfg.summary != SUMMARY_ONLY && !cfg.stable)
		output_header(&out);
	/* The header comes before anything the command prints. */
	r.out_err = output_flush(&out);
	if (r.have_cmd)
		start_command(&r);

	poll_loop(&r);

	status = finish(&r);
	httpd_stop(r.httpd);
	metrics_free(r.metrics);
	summary_free(&r.summary);
	stable_free(&stable);
	containers_free(r.containers);
	ring_buffer__free(r.rb);
	tracer_destroy(&r.tracer);
	kbtf_close(&r.kb);
	return status;
}
