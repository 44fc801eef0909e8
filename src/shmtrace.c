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
#include <bpf/libbpf.h>
#include "tracer.h"
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
/* The largest pid a kernel hands out (PID_MAX_LIMIT on 64-bit). */
#define PID_MAX_LIMIT (4 * 1024 * 1024)

struct run {
	const struct config *cfg;
	struct tracer tracer;
	struct output *out;
	struct segments *segs;
	struct containers *containers;
	struct summary summary;
	struct command cmd;
	bool have_cmd;
	int cmd_status;
	uint64_t events;
	uint64_t malformed;
	uint64_t leaks;
	unsigned int failed_on;	/* what of --fail-on happened */
	uint64_t lost_reported[LOSS_REASONS];
	int out_err;		/* -errno from writing events */
	char fatal[WHY_LEN];	/* what ended the trace early, if anything */
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

/*
 * After tracing has started, an error ends the trace rather than the
 * process: finish() still flushes and reports what the run owes.
 */
__attribute__((format(printf, 2, 3)))
static void stop_on_error(struct run *r, const char *fmt, ...)
{
	va_list ap;

	exiting = 1;
	if (r->fatal[0])
		return;
	va_start(ap, fmt);
	vsnprintf(r->fatal, sizeof(r->fatal), fmt, ap);
	va_end(ap);
}

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
	tracer_describe(&r->tracer, stderr);
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
		if (stable_add(r->out->stable, e, &a)) {
			stop_on_error(r, "--stable: out of memory");
			return -ENOMEM;
		}
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

/* One line per kind of loss that grew since the last report; the total. */
static uint64_t report_losses(struct run *r)
{
	uint64_t by_kind[LOSS_REASONS], n;
	uint64_t total = tracer_losses(&r->tracer, by_kind);
	int k;

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

	if (fd < 0) {
		stop_on_error(r, "epoll_create1: %s", strerror(errno));
		return -1;
	}
	if (epoll_ctl(fd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(r->tracer.rb),
		      &ev)) {
		stop_on_error(r, "epoll_ctl: %s", strerror(errno));
		close(fd);
		return -1;
	}
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

static void poll_loop(struct run *r)
{
	uint64_t start = now_ms(), last_loss = start;
	int epfd = setup_wait(r), err;

	while (!exiting) {
		if (!wait_events(r, epfd))
			break;
		/* Records below the wakeup threshold arrive without a wakeup. */
		err = ring_buffer__consume(r->tracer.rb);
		if (err < 0 && err != -EINTR && err != -ECANCELED && !r->out_err)
			stop_on_error(r, "reading the ring buffer failed: %s",
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
	if (epfd >= 0)
		close(epfd);
	tracer_stop(&r->tracer);
	/* What the kernel wrote before the stop still belongs to the trace. */
	if (!r->out_err && (!r->cfg->count || r->events < r->cfg->count))
		ring_buffer__consume(r->tracer.rb);
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
	/* The command never ran: the trace owes nothing. */
	tracer_close(&r->tracer);
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
	if (verbose && r->tracer.hooks.mode == MODE_KPROBE &&
	    !r->tracer.hooks.lossy)
		fprintf(stderr, "shmtrace: the kernel's kretprobes missed %llu returns, of any caller\n",
			(unsigned long long)r->tracer.hooks.kernel_missed);
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
	if (r->fatal[0])
		fprintf(stderr, "shmtrace: %s\n", r->fatal);
	if (r->out_err || r->fatal[0])
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
	struct tracer_targets tg;
	char why[MAX_CANDIDATES * (WHY_LEN + 16)];
	int status, err;

	argv[0] = "shmtrace";	/* getopt names us in its messages */
	cli_parse(argc, argv, &cfg);
	verbose = cfg.verbose;
	libbpf_set_print(libbpf_print);
	check_environment(&cfg);
	tg = (struct tracer_targets){
		.cgroup_fd = open_cgroup(cfg.cgroup),
		.container_fd = open_container(cfg.container),
		.ipc_ns = resolve_ipcns(cfg.ipcns),
	};
	r.containers = containers_new();
	if (!r.containers)
		die(EXIT_RUNTIME, "out of memory");
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
		tg.follow_pid = r.cmd.pid;
	}

	if (tracer_open(&r.tracer, &cfg, &tg, handle_event, &r, why,
			sizeof(why))) {
		if (r.have_cmd)
			kill(r.cmd.pid, SIGKILL);
		die(EXIT_RUNTIME, "%s", why);
	}
	/* After attaching: a segment made meanwhile is in the events too. */
	segments_init(&segs, "/proc/sysvipc/shm", ns_inode("/proc/self/ns/ipc"));
	if (r.metrics) {
		metrics_set_mode(r.metrics, attach_mode_name(r.tracer.hooks.mode));
		err = metrics_watch_segments(r.metrics, segs.path, segs.own_ns);
		if (err)
			stop_on_error(&r, "--metrics: cannot start a thread: %s",
				      strerror(err));
	}
	print_banner(&r);
	tracer_save_btf(&r.tracer);
	/* --stable's header comes with its events, at the end. */
	if (cfg.header && cfg.summary != SUMMARY_ONLY && !cfg.stable)
		output_header(&out);
	/* The header comes before anything the command prints. */
	r.out_err = output_flush(&out);
	if (r.have_cmd && !exiting)
		start_command(&r);

	poll_loop(&r);

	status = finish(&r);
	httpd_stop(r.httpd);
	metrics_free(r.metrics);
	summary_free(&r.summary);
	stable_free(&stable);
	containers_free(r.containers);
	tracer_close(&r.tracer);
	return status;
}
