/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The tracer: the kernel's BTF, then open -> configure -> load -> attach,
 * falling back from mode to mode, and the ring buffer the events come
 * through. What it cannot see and what it lost are its to say too.
 */
#ifndef SHMTRACE_TRACER_H
#define SHMTRACE_TRACER_H

#include <stdint.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "btfcache.h"
#include "cli.h"
#include "decode.h"

#define DEFAULT_BTF "/sys/kernel/btf/vmlinux"

/* What the tracer filters on that main resolved from the command line. */
struct tracer_targets {
	int cgroup_fd;		/* --cgroup's directory, or -1 */
	int container_fd;	/* --container's cgroup directory, or -1 */
	uint32_t ipc_ns;	/* --ipcns as an inode, or 0 */
	int follow_pid;		/* -- COMMAND's pid, or 0 */
};

struct tracer {
	const struct config *cfg;
	struct hookset hooks;
	struct kernel_btf kb;
	bool task_storage;	/* pair entry and exit in task storage */
	struct ring_buffer *rb;
	uint64_t unfinished;	/* entries still waiting as the trace ended */
	uint64_t lost_reported[LOSS_REASONS];
	int epfd;		/* the ring buffer's and the output's, or -1 */
};

/*
 * Reads the kernel's BTF and starts tracing in the first mode that works;
 * each record goes to on_event(ctx, ...). 0, or -errno and why.
 */
int tracer_open(struct tracer *t, const struct config *cfg,
		const struct tracer_targets *tg, ring_buffer_sample_fn on_event,
		void *ctx, char *why, size_t why_len);
/* " via MODE (not covered: ...)": the banner's account of the tracer. */
void tracer_describe(const struct tracer *t, FILE *f);
/* After the banner: a later start finds what this one had to work out. */
void tracer_save_btf(struct tracer *t);
/*
 * The losses so far by kind (LOSS_MALFORMED left 0), a line on stderr for
 * each kind that grew since the last call; their total.
 */
uint64_t tracer_report_losses(struct tracer *t,
			      uint64_t by_kind[LOSS_REASONS]);
/*
 * Waits up to ms for records (or a signal, or wake_fd to be readable: -1
 * for none); -EPIPE once out_fd's reader has gone away, or -errno. The
 * descriptors are the same at every call.
 */
int tracer_wait(struct tracer *t, int out_fd, int wake_fd, int ms);
/*
 * Ends tracing: no new call starts, the calls inside the kernel get a
 * moment to finish, and then nothing runs any more. What is still in the
 * ring buffer can be read after it.
 */
void tracer_stop(struct tracer *t);
void tracer_close(struct tracer *t);

#endif /* SHMTRACE_TRACER_H */
