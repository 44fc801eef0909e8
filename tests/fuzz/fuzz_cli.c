// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: the command line. The input, split on NUL bytes, is
 * argv[1..]; cli_parse_flags() must return 0 or EXIT_USAGE without
 * crashing or exiting, and a configuration it accepts must hold only
 * values the rest of shmtrace can use. The value parsers get every
 * argument too, each checked against what it promises.
 *
 * A first byte below 4 picks argp's flags: 0 and 3 silent, 1 errors
 * printed but no exit, 2 argp's default options (--help) allowed but
 * silent. Run with -close_fd_mask=3 to keep the messages out of the log.
 *
 * With the default options on, glibc's argp also has two hidden ones
 * that the fuzzer must not take: --HANG[=SECS] sleeps (an hour by
 * default), and --program-name keeps a pointer into this input's argv
 * after it is freed. shmtrace's own command line has both; the hang
 * is checked by tests/robust.sh.
 */
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "harness.h"

#define MAX_ARGS 64

/* The check under way, for CHECK's report. */
static const char *what;

static const unsigned int flag_sets[] = {
	ARGP_SILENT,
	ARGP_NO_EXIT,
	ARGP_NO_EXIT | ARGP_NO_ERRS,
	ARGP_SILENT,
};

/* Decimal without sign, as strtoull would read it: for parse_u32. */
static int reference_u32(const char *s, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -1;
	*out = v;
	return 0;
}

static void check_value_parsers(const char *arg)
{
	uint32_t u = 0, r = 0, k = 0;
	uint64_t v = 0;
	int ok, want;

	ok = !parse_u32(arg, &u);
	want = !reference_u32(arg, &r);
	what = "parse_u32 agrees with strtoull";
	CHECK(ok == want && (!ok || u == r), "'%s': %d/%" PRIu32 " vs %d/%" PRIu32,
	      arg, ok, u, want, r);

	if (!parse_key(arg, &k)) {
		what = "parse_key: a u32 reads as parse_u32 does";
		CHECK(!ok || k == u, "'%s': %" PRIu32 " vs %" PRIu32, arg, k, u);
		what = "parse_key: only IPC_PRIVATE, numbers, negative ints";
		CHECK(!strcmp(arg, "IPC_PRIVATE") || (arg[0] >= '0' && arg[0] <= '9') ||
		      arg[0] == '-', "'%s'", arg);
	}

	if (!parse_size(arg, &v)) {
		what = "parse_size: a power of two from 4K to 1G";
		CHECK(v >= 4096 && v <= (1u << 30) && !(v & (v - 1)),
		      "'%s' -> %" PRIu64, arg, v);
	}

	if (!parse_seconds_ms(arg, &v)) {
		what = "parse_seconds_ms: 1 ms to 1e9 s";
		CHECK(v >= 1 && v <= 1000000000000ULL, "'%s' -> %" PRIu64, arg, v);
	}
}

static void check_config(const struct config *cfg, char **argv, int argc)
{
	size_t n;
	int i;

	what = "accepted config: buffer";
	CHECK(cfg->buffer_bytes >= 4096 && cfg->buffer_bytes <= (1u << 30) &&
	      !(cfg->buffer_bytes & (cfg->buffer_bytes - 1)),
	      "%" PRIu64, cfg->buffer_bytes);
	what = "accepted config: enums";
	CHECK((cfg->format == OUT_TEXT || cfg->format == OUT_JSON) &&
	      cfg->mode >= MODE_AUTO && cfg->mode <= MODE_TRACEPOINT,
	      "format %d mode %d", cfg->format, cfg->mode);
	what = "accepted config: ids";
	CHECK(cfg->pid != UINT32_MAX && cfg->tid != UINT32_MAX,
	      "pid %" PRIu32 " tid %" PRIu32, cfg->pid, cfg->tid);
	if (cfg->comm_on) {
		n = strnlen(cfg->comm, sizeof(cfg->comm));
		what = "accepted config: comm is 1 to 15 bytes";
		CHECK(n >= 1 && n < sizeof(cfg->comm), "%zu", n);
	}
	if (cfg->command) {
		what = "accepted config: the command is inside argv";
		for (i = 1; i < argc; i++)
			if (cfg->command == argv + i)
				break;
		CHECK(i < argc && cfg->command[0] && !strcmp(argv[i - 1], "--"),
		      "command not after a --");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2], *buf, *p, *end;
	unsigned int flags = ARGP_SILENT;
	struct config cfg;
	int argc = 0, i, rc;

	if (size && data[0] < 4) {
		flags = flag_sets[data[0]];
		data++;
		size--;
	}
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	end = buf + size;

	argv[argc++] = "shmtrace";
	for (p = buf; p <= end && argc <= MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	for (i = 1; i < argc; i++) {
		check_value_parsers(argv[i]);
		if (!(flags & ARGP_NO_HELP) &&
		    (!strncmp(argv[i], "--H", 3) || !strncmp(argv[i], "--pr", 4))) {
			free(buf);
			return -1;	/* not added to the corpus */
		}
	}

	rc = cli_parse_flags(argc, argv, &cfg, flags);
	what = "cli_parse_flags returns 0 or EXIT_USAGE";
	CHECK(rc == 0 || rc == EXIT_USAGE, "%d", rc);
	if (!rc)
		check_config(&cfg, argv, argc);
	free(buf);
	return 0;
}
