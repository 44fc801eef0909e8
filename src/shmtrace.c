// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * shmtrace: trace System V shared memory calls (shmget, shmat, shmdt, shmctl).
 *
 * parse the command line -> open the tracer (tracer.c: open, configure,
 * load, attach, in the first mode that works) -> start the consumers
 * (pipeline.c) and the command, if any -> poll the ring buffer -> finish:
 * what the run owes -> clean up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <bpf/libbpf.h>
#include "cli.h"
#include "command.h"
#include "decode.h"
#include "httpd.h"
#include "metrics.h"
#include "output.h"
#include "pipeline.h"
#include "resolve.h"
#include "segments.h"
#include "stable.h"
#include "syscalls.h"
#include "tracer.h"
#include "util.h"

#define POLL_MS 50
#define LOSS_REPORT_MS 1000

struct run {
	const struct config *cfg;
	struct tracer tracer;
	struct pipeline pipe;
	struct output *out;
	struct command cmd;
	bool have_cmd;
	int cmd_status;
	struct metrics *metrics;	/* --metrics, or NULL */
	struct httpd *httpd;
};

static volatile sig_atomic_t exiting;
static volatile sig_atomic_t reopen_asked;

/* SIGCHLD only cuts the wait short: the loop reaps the command after it. */
static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reopen_asked = 1;
	else if (sig != SIGCHLD)
		exiting = 1;
}

static void die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_line(fmt, ap);
	va_end(ap);
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
	char why[WHY_LEN];
	va_list ap;

	exiting = 1;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	pipeline_fail(&r->pipe, "%s", why);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	/* Our own one-line errors say what failed; libbpf's detail is -v. */
	return verbose ? vfprintf(stderr, fmt, ap) : 0;
}

static void print_banner(const struct run *r)
{
	const char *sep = "Tracing ";
	int i;

	if (r->cfg->quiet)
		return;
	for (i = 0; i < EV_MAX; i++) {
		if (r->cfg->events & (1u << i)) {
			fprintf(stderr, "%s%s", sep, syscall_name(i));
			sep = ", ";
		}
	}
	tracer_describe(&r->tracer, stderr);
	fprintf(stderr, "... Hit Ctrl-C to end.\n");
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct run *r = ctx;
	int err = pipeline_event(&r->pipe, data, size);

	if (err == -ECANCELED)
		exiting = 1;
	if (err)
		return err;
	/* A flood never empties the buffer: SIGHUP stops the batch here. */
	return reopen_asked && !exiting ? -EINTR : 0;
}

/* The losses so far, on stderr as they grow and in --metrics. */
static uint64_t report_losses(struct run *r)
{
	uint64_t by_kind[LOSS_REASONS];
	uint64_t total = tracer_report_losses(&r->tracer, by_kind);

	by_kind[LOSS_MALFORMED] = r->pipe.malformed;
	if (r->metrics)
		metrics_set_lost(r->metrics, by_kind);
	return total;
}

static void reap_child(struct run *r)
{
	int status;

	if (command_reap(&r->cmd, &status)) {
		r->cmd_status = command_exit_code(status);
		r->have_cmd = false;
		exiting = 1;
	}
}

/*
 * SIGHUP: -o's file again by its name, between two batches, so that every
 * line is whole in one file or the other (logrotate renames, then signals).
 */
static void reopen(struct run *r)
{
	char why[WHY_LEN];
	int err = reopen_output(r->cfg, r->out->fd, why, sizeof(why));

	reopen_asked = 0;
	if (err) {
		fprintf(stderr, "shmtrace: cannot reopen %s: %s (still writing to the old file)\n",
			r->cfg->output, why);
		return;
	}
	if (r->cfg->header && r->cfg->summary != SUMMARY_ONLY && !r->cfg->stable) {
		output_header(r->out);
		r->pipe.out_err = output_flush(r->out);
	}
}

static void poll_loop(struct run *r)
{
	uint64_t start = now_ms(), last_loss = start;
	int err;

	while (!exiting) {
		err = tracer_wait(&r->tracer, r->out->fd,
				  r->have_cmd ? r->cmd.exit_fd : -1, POLL_MS);
		if (err) {
			if (err != -EPIPE)
				stop_on_error(r, "waiting for events failed: %s",
					      strerror(-err));
			r->pipe.out_err = err == -EPIPE ? err : 0;
			break;
		}
		/* Records below the wakeup threshold arrive without a wakeup. */
		err = ring_buffer__consume(r->tracer.rb);
		if (err < 0 && err != -EINTR && err != -ECANCELED && !r->pipe.out_err)
			stop_on_error(r, "reading the ring buffer failed: %s",
				      strerror(-err));
		if (!r->pipe.out_err)
			r->pipe.out_err = output_flush(r->out);
		if (r->pipe.out_err)
			return;
		if (reopen_asked)
			reopen(r);
		if (r->have_cmd)
			reap_child(r);
		segments_gc(r->pipe.segs);
		if (r->cfg->duration_ms && now_ms() - start >= r->cfg->duration_ms)
			exiting = 1;
		if (now_ms() - last_loss >= LOSS_REPORT_MS) {
			report_losses(r);
			last_loss = now_ms();
		}
	}
	tracer_stop(&r->tracer);
	/* What the kernel wrote before the stop still belongs to the trace. */
	if (!r->pipe.out_err && (!r->cfg->count || r->pipe.events < r->cfg->count))
		ring_buffer__consume(r->tracer.rb);
	if (!r->pipe.out_err)
		r->pipe.out_err = output_flush(r->out);
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

static int finish(struct run *r)
{
	uint64_t lost;

	pipeline_finish(&r->pipe);
	/* A record too short to read counts as lost too. */
	lost = report_losses(r) + r->pipe.malformed +
	       (r->out->stable ? r->out->stable->dropped : 0);
	if (r->pipe.out_err && r->pipe.out_err != -EPIPE)
		fprintf(stderr, "shmtrace: writing events failed: %s\n",
			strerror(-r->pipe.out_err));
	if (r->have_cmd)
		command_stop(&r->cmd);
	/* A reader that went away (| head) is a normal way to stop. */
	if (r->pipe.out_err == -EPIPE)
		return EXIT_OK;
	pipeline_report_leaks(&r->pipe);
	if (lost && (r->cfg->fail_on & FAIL_LOST))
		r->pipe.failed_on |= FAIL_LOST;
	if (!r->cfg->quiet)
		fprintf(stderr, "shmtrace: %llu event%s, %llu lost\n",
			(unsigned long long)r->pipe.events,
			r->pipe.events == 1 ? "" : "s", (unsigned long long)lost);
	pipeline_report_failed_on(&r->pipe);
	if (r->pipe.fatal[0])
		fprintf(stderr, "shmtrace: %s\n", r->pipe.fatal);
	if (r->pipe.out_err || r->pipe.fatal[0])
		return EXIT_RUNTIME;
	if (r->cfg->command && r->cmd_status)
		return r->cmd_status;
	if (lost)
		return EXIT_LOST;
	return r->pipe.failed_on ? EXIT_FAIL_ON : EXIT_OK;
}

/* --metrics: the server listens before any BPF work, to fail early. */
static void start_metrics(struct run *r)
{
	struct httpd_page pages[] = {
		{ "/metrics", METRICS_CONTENT_TYPE, metrics_render, NULL },
		{ "/healthz", "text/plain", metrics_health, NULL },
	};
	char why[WHY_LEN];

	if (!r->cfg->metrics_port)
		return;
	r->metrics = metrics_new(r->cfg->events);
	if (!r->metrics)
		die(EXIT_RUNTIME, "out of memory");
	pages[0].ctx = pages[1].ctx = r->metrics;
	r->httpd = httpd_start(r->cfg->metrics_addr, r->cfg->metrics_port,
			       pages, ARRAY_SIZE(pages), why);
	if (!r->httpd)
		die(EXIT_RUNTIME, "--metrics: %s", why);
}

/* Where events go: -o FILE or stdout, in the format asked for. */
static int setup_output(struct output *out, struct stable *stable,
			const struct config *cfg)
{
	int fd = open_output(cfg);

	if (fd < 0)
		return -1;
	output_init(out, fd, cfg->format, cfg->timestamps);
	/* --stable shows every call alike, created= included. */
	out->lifecycle = cfg->events != 1u << SYS_SHMGET || cfg->stable;
	out->stable = cfg->stable ? stable : NULL;
	out->warn = cfg->warn;
	out->containers = cfg->containers;
	return 0;
}

/* "-- COMMAND": forked now, held until tracing has started. */
static void prepare_command(struct run *r, struct tracer_targets *tg)
{
	int err;

	if (!r->cfg->command)
		return;
	err = command_prepare(&r->cmd, r->cfg->command);
	if (err)
		die(EXIT_RUNTIME, "cannot fork: %s", strerror(-err));
	r->have_cmd = true;
	tg->follow_pid = r->cmd.pid;
}

static void start_tracer(struct run *r, const struct tracer_targets *tg,
			 struct segments *segs)
{
	char why[MAX_CANDIDATES * (WHY_LEN + 16)];
	int err;

	if (tracer_open(&r->tracer, r->cfg, tg, on_event, r, why,
			sizeof(why))) {
		if (r->have_cmd)
			kill(r->cmd.pid, SIGKILL);
		die(EXIT_RUNTIME, "%s", why);
	}
	/* After attaching: a segment made meanwhile is in the events too. */
	segments_init(segs, "/proc/sysvipc/shm", ns_inode("/proc/self/ns/ipc"));
	if (!r->metrics)
		return;
	metrics_set_mode(r->metrics, attach_mode_name(r->tracer.hooks.mode));
	err = metrics_watch_segments(r->metrics, segs->path, segs->own_ns);
	if (err)
		stop_on_error(r, "--metrics: cannot start a thread: %s",
			      strerror(err));
}

int main(int argc, char **argv)
{
	static struct output out;
	static struct segments segs;
	static struct stable stable;
	struct config cfg;
	struct run r = { .cfg = &cfg, .out = &out };
	struct containers *containers;
	struct tracer_targets tg;
	int status;

	argv[0] = "shmtrace";	/* getopt names us in its messages */
	cli_parse(argc, argv, &cfg);
	verbose = cfg.verbose;
	libbpf_set_print(libbpf_print);
	if (check_environment(&cfg) || resolve_targets(&cfg, &tg) ||
	    setup_output(&out, &stable, &cfg))
		return EXIT_RUNTIME;
	containers = containers_new();
	if (!containers)
		die(EXIT_RUNTIME, "out of memory");
	setup_signals(&cfg);
	start_metrics(&r);
	pipeline_init(&r.pipe, &cfg, &out, &segs, containers, r.metrics);
	prepare_command(&r, &tg);
	start_tracer(&r, &tg, &segs);
	print_banner(&r);
	tracer_save_btf(&r.tracer);
	/* --stable's header comes with its events, at the end. */
	if (cfg.header && cfg.summary != SUMMARY_ONLY && !cfg.stable)
		output_header(&out);
	/* The header comes before anything the command prints. */
	r.pipe.out_err = output_flush(&out);
	if (r.have_cmd && !exiting)
		start_command(&r);

	poll_loop(&r);

	status = finish(&r);
	httpd_stop(r.httpd);
	metrics_free(r.metrics);
	pipeline_free(&r.pipe);
	stable_free(&stable);
	containers_free(containers);
	tracer_close(&r.tracer);
	return status;
}
