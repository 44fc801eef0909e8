/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The command line: options and their values, checked before any work. */
#ifndef SHMTRACE_CLI_H
#define SHMTRACE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "attach.h"
#include "fmt.h"
#include "shmtrace.h"

/* Documented exit statuses. */
enum exit_status {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,	/* attach failed, output failed, ... */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_LOST = 3,		/* the trace ran but events were lost */
	EXIT_FAIL_ON = 4,	/* something --fail-on names happened */
};

/* "auto", "fentry", ...: what --attach takes. */
const char *attach_mode_name(enum attach_mode mode);

/* --fail-on: bits 0 to FINDING_MAX - 1 are the findings themselves. */
#define FAIL_FINDINGS	(1u << 16)	/* any finding */
#define FAIL_LEAK	(1u << 17)
#define FAIL_ERROR	(1u << 18)	/* any failed call */
#define FAIL_LOST	(1u << 19)

enum summary_mode {
	SUMMARY_NONE,
	SUMMARY_ONLY,		/* the table instead of the events */
	SUMMARY_BOTH,		/* the events, then the table */
};

struct config {
	enum out_format format;
	bool timestamps;
	bool header;
	bool quiet;
	bool verbose;
	bool compat;
	enum attach_mode mode;
	uint32_t pid;			/* 0: any */
	uint32_t tid;			/* 0: any */
	uint32_t uid;			/* (uint32_t)-1: any */
	bool key_on;
	uint32_t key;
	bool comm_on;
	char comm[TASK_COMM_LEN];
	bool failed;
	unsigned int events;		/* bitmask of 1 << enum shm_syscall */
	enum summary_mode summary;
	bool warn;
	unsigned int fail_on;		/* FAIL_* and 1 << enum finding */
	const char *cgroup;
	uint32_t ipcns;			/* 0: any; else an inode or a PID */
	const char *container;		/* an id prefix, or NULL */
	bool containers;		/* text: a CONTAINER column */
	bool stable;			/* text with ordinals, sorted, at the end */
	const char *output;
	uint16_t metrics_port;		/* --metrics; 0: off */
	char metrics_addr[48];		/* numeric, without [] */
	const char *btf;
	const char *cache_dir;		/* NULL: the default */
	bool no_cache;
	uint64_t duration_ms;		/* 0: until interrupted */
	uint64_t count;			/* 0: no limit */
	uint64_t buffer_bytes;
	char **command;			/* after "--", or NULL */
};

/* Fills cfg from argv; on a usage error prints one line, exits 2. */
void cli_parse(int argc, char **argv, struct config *cfg);
/*
 * The same with argp's flags (ARGP_SILENT for the fuzzer): returns 0, or
 * EXIT_USAGE instead of exiting when ARGP_NO_EXIT is set.
 */
int cli_parse_flags(int argc, char **argv, struct config *cfg,
		    unsigned int flags);

/* Value parsers, shared with the tests; 0 on success, -EINVAL if bad. */
int parse_u32(const char *s, uint32_t *out);
int parse_key(const char *s, uint32_t *out);
int parse_seconds_ms(const char *s, uint64_t *ms);
int parse_size(const char *s, uint64_t *out);
int parse_events(const char *s, unsigned int *mask);
int parse_fail_on(const char *s, unsigned int *mask);
/* --metrics' [ADDR:]PORT: ADDR numeric IPv4 or [IPv6], 127.0.0.1 if none. */
int parse_listen(const char *s, char *addr, size_t n, uint16_t *port);
/* "leak", "error", a finding's name...: what a --fail-on bit is called. */
const char *fail_on_name(unsigned int bit);

#endif /* SHMTRACE_CLI_H */
