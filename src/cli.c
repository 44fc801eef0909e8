// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <argp.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "findings.h"
#include "syscalls.h"
#include "util.h"

const char *argp_program_version =
	"shmtrace " SHMTRACE_VERSION " (commit " SHMTRACE_COMMIT ")";
const char *argp_program_bug_address = NULL;

#define DEFAULT_BUFFER (1u << 20)
#define MIN_BUFFER (1u << 12)
#define MAX_BUFFER (1u << 30)

static const char doc[] =
"Trace System V shared memory: segment creation and lookup (shmget), and\n"
"with -e, attach, detach and control (shmat, shmdt, shmctl).\n"
"\n"
"EXAMPLES:\n"
"    shmtrace                    # trace every shmget on the system\n"
"    shmtrace -T -x              # with times, failed calls only\n"
"    shmtrace -p 181             # only process 181\n"
"    shmtrace -k 0x1234abcd      # only calls with this key\n"
"    shmtrace -j -o trace.jsonl  # JSON Lines into a file\n"
"    shmtrace -e all -W          # the whole lifecycle, with risky patterns\n"
"    shmtrace -s -- ./my-test    # a summary table of ./my-test's calls\n"
"    shmtrace --metrics=9464 -q -o /dev/null  # Prometheus metrics only\n"
"    shmtrace -- ./my-test       # run ./my-test and trace it and its children"
"\vExit status: 0 success, 1 runtime error, 2 usage error, 3 events were "
"lost, 4 what --fail-on names happened. With -- COMMAND, its non-zero "
"status comes first (128+N if killed by signal N), then 3, then 4.";

enum long_only {
	OPT_NO_HEADER = 0x100,
	OPT_CGROUP,
	OPT_ATTACH,
	OPT_COMPAT,
	OPT_BTF,
	OPT_USAGE,
	OPT_IPCNS,
	OPT_CONTAINER,
	OPT_FAIL_ON,
	OPT_STABLE,
	OPT_CACHE_DIR,
	OPT_NO_CACHE,
	OPT_METRICS,
};


/* Each heading's group is its own: argp sorts by group, README's order. */
static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Events:", 1 },
	{ "events", 'e', "LIST", 0, "What to trace, comma-separated: %s (attach, detach: those no call makes), or all (default: shmget)", 1 },
	{ NULL, 0, NULL, 0, "Filters (in the kernel, combined with AND):", 2 },
	{ "pid", 'p', "PID", 0, "Only this process", 2 },
	{ "tid", 't', "TID", 0, "Only this thread", 2 },
	{ "uid", 'u', "UID", 0, "Only this user id", 2 },
	{ "comm", 'c', "NAME", 0, "Only tasks whose comm is exactly NAME", 2 },
	{ "key", 'k', "KEY", 0, "Only this key (0x hex, decimal or IPC_PRIVATE)", 2 },
	{ "failed", 'x', NULL, 0, "Only calls that returned an error", 2 },
	{ "cgroup", OPT_CGROUP, "PATH", 0, "Only tasks in this cgroup v2 directory", 2 },
	{ "ipcns", OPT_IPCNS, "INODE|PID", 0, "Only this IPC namespace: its inode, or a process in it", 2 },
	{ "container", OPT_CONTAINER, "ID", 0, "Only this container (an id prefix)", 2 },
	{ NULL, 0, NULL, 0, "Output:", 3 },
	{ "summary", 's', "both", OPTION_ARG_OPTIONAL, "At the end, a table per syscall, comm and result (count, errors, latency); =both: the events too", 3 },
	{ "warn", 'W', NULL, 0, "Report risky patterns (findings) and leaked segments on stderr, or in JSON", 3 },
	{ "fail-on", OPT_FAIL_ON, "LIST", 0, "Exit 4 if any of these happened: findings, a finding's name, leak, error, lost (comma-separated)", 3 },
	{ "json", 'j', NULL, 0, "JSON Lines, one object per event", 3 },
	{ "timestamp", 'T', NULL, 0, "Text: add a wall-clock TIME column", 3 },
	{ "containers", 'C', NULL, 0, "Text: add a CONTAINER column", 3 },
	{ "stable", OPT_STABLE, NULL, 0, "Text to diff between runs and kernels: ordinals for ids and addresses, no times, a fixed order (printed at the end)", 3 },
	{ "output", 'o', "FILE", 0, "Write events to FILE instead of stdout (SIGHUP reopens it)", 3 },
	{ "metrics", OPT_METRICS, "[ADDR:]PORT", 0, "Serve Prometheus metrics at http://ADDR:PORT/metrics (ADDR: 127.0.0.1 unless given; [::] for IPv6)", 3 },
	{ "no-header", OPT_NO_HEADER, NULL, 0, "Text: no header line", 3 },
	{ "quiet", 'q', NULL, 0, "No banner on stderr", 3 },
	{ NULL, 0, NULL, 0, "Run length:", 4 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS", 4 },
	{ "count", 'n', "N", 0, "Stop after N events", 4 },
	{ NULL, 0, NULL, 0, "Tracing:", 5 },
	{ "attach", OPT_ATTACH, "MODE", 0, "auto (default), fentry, kprobe or tracepoint", 5 },
	{ "compat", OPT_COMPAT, NULL, 0, "Tracepoint mode: also trace 32-bit callers (hooks every syscall)", 5 },
	{ "buffer", 'b', "SIZE", 0, "Ring buffer size, a power of two from 4K to 1G (K, M, G suffixes; default 1M)", 5 },
	{ "btf", OPT_BTF, "FILE", 0, "Kernel BTF to use instead of /sys/kernel/btf/vmlinux", 5 },
	{ "cache-dir", OPT_CACHE_DIR, "DIR", 0, "Where to keep what CO-RE needs of each kernel (default: $XDG_CACHE_HOME/shmtrace, else /var/cache/shmtrace)", 5 },
	{ "no-cache", OPT_NO_CACHE, NULL, 0, "Neither use nor write that cache", 5 },
	{ "verbose", 'v', NULL, 0, "Show libbpf's messages", 5 },
	/* argp's own help options would bring its hidden --HANG along. */
	{ "help", '?', NULL, 0, "Give this help list", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Give a short usage message", -1 },
	{ "version", 'V', NULL, 0, "Print program version", -1 },
	{},
};

/* An unsigned number in base (0: C prefixes); *end is what follows it. */
static int parse_ull(const char *s, int base, unsigned long long *v,
		     char **end)
{
	/* strtoull would take a sign, spaces and, in base 16, another 0x. */
	if (!(base == 16 ? isxdigit : isdigit)((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, end, base);
	return errno ? -EINVAL : 0;
}

/* A number in base that fits in 32 bits, and nothing after it. */
static int parse_u32_base(const char *s, int base, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (parse_ull(s, base, &v, &end) || *end || v > UINT32_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Ids and counts: decimal only, so that 010 is ten, as ps prints it. */
int parse_u32(const char *s, uint32_t *out)
{
	return parse_u32_base(s, 10, out);
}

/* Keys are ints: accept what ipcs prints, and what %d would print. */
int parse_key(const char *s, uint32_t *out)
{
	long long v;
	char *end;

	if (!strcmp(s, "IPC_PRIVATE")) {
		*out = 0;
		return 0;
	}
	if (s[0] == '-') {
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno || *end || end == s + 1 || v < INT32_MIN)
			return -EINVAL;
		*out = (uint32_t)v;
		return 0;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return parse_u32_base(s, 16, out);
	return parse_u32(s, out);
}

int parse_seconds_ms(const char *s, uint64_t *ms)
{
	double v;
	char *end;

	if (!isdigit((unsigned char)s[0]) && s[0] != '.')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v * 1000 < 1 || v > 1e9)
		return -EINVAL;
	*ms = llround(v * 1000);
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (parse_ull(s, 10, &v, &end))
		return -EINVAL;
	if ((*end == 'K' || *end == 'k') && end[1] == '\0')
		shift = 10;
	else if ((*end == 'M' || *end == 'm') && end[1] == '\0')
		shift = 20;
	else if ((*end == 'G' || *end == 'g') && end[1] == '\0')
		shift = 30;
	else if (*end)
		return -EINVAL;
	if (v > MAX_BUFFER >> shift)
		return -EINVAL;
	v <<= shift;
	if (v < MIN_BUFFER || (v & (v - 1)))
		return -EINVAL;
	*out = v;
	return 0;
}

static const char *const mode_names[MODE_MAX] = {
	[MODE_AUTO] = "auto",
	[MODE_FENTRY] = "fentry",
	[MODE_KPROBE] = "kprobe",
	[MODE_TRACEPOINT] = "tracepoint",
};

const char *attach_mode_name(enum attach_mode mode)
{
	return mode_names[mode];
}

static int parse_mode(const char *s, enum attach_mode *mode)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mode_names); i++) {
		if (!strcmp(s, mode_names[i])) {
			*mode = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* "not one of auto, fentry, kprobe, tracepoint" */
static const char *mode_problem(void)
{
	static char msg[128];
	size_t len = snprintf(msg, sizeof(msg), "not one of");
	int m;

	for (m = 0; m < MODE_MAX; m++)
		len += snprintf(msg + len, sizeof(msg) - len, "%s %s",
				m ? "," : "", mode_names[m]);
	return msg;
}

static const char *events_problem(void)
{
	static char msg[128];

	snprintf(msg, sizeof(msg), "not a list of %s or all", syscall_list());
	return msg;
}

static int parse_comm(const char *s, struct config *cfg)
{
	size_t n = strlen(s);

	if (!n || n >= TASK_COMM_LEN)
		return -EINVAL;
	memcpy(cfg->comm, s, n + 1);
	cfg->comm_on = true;
	return 0;
}

/*
 * Container ids are 64 hex digits, and a prefix picks one, as docker's
 * does; systemd-nspawn's are machine names.
 */
static int parse_container(const char *s)
{
	size_t n = strspn(s, "0123456789abcdefghijklmnopqrstuvwxyz"
			     "ABCDEFGHIJKLMNOPQRSTUVWXYZ_.-");

	return n && n <= 64 && !s[n] ? 0 : -EINVAL;
}

static int parse_id(const char *s, uint32_t *out)
{
	/* 0 and -1 mean "any" to the BPF side and are no real task or user. */
	if (parse_u32(s, out) || *out == 0 || *out == UINT32_MAX)
		return -EINVAL;
	return 0;
}

static int parse_event(const char *name, size_t n, unsigned int *mask)
{
	int sys = syscall_by_name(name, n);

	if (n == 3 && !strncmp(name, "all", 3)) {
		*mask |= (1u << EV_MAX) - 1;
		return 0;
	}
	if (sys < 0)
		return -EINVAL;
	*mask |= 1u << sys;
	return 0;
}

/* A comma-separated list, each name (n bytes) added to mask by one(). */
static int parse_list(const char *s, unsigned int *mask,
		      int (*one)(const char *name, size_t n, unsigned int *mask))
{
	size_t n;

	*mask = 0;
	for (;;) {
		n = strcspn(s, ",");
		if (one(s, n, mask))
			return -EINVAL;
		if (!s[n])
			return 0;
		s += n + 1;
	}
}

int parse_events(const char *s, unsigned int *mask)
{
	return parse_list(s, mask, parse_event);
}

/* The names --fail-on takes besides the findings', by bit. */
static const struct {
	unsigned int bit;
	const char *name;
} fail_on_kinds[] = {
	{ FAIL_FINDINGS, "findings" }, { FAIL_LEAK, "leak" },
	{ FAIL_ERROR, "error" }, { FAIL_LOST, "lost" },
};

const char *fail_on_name(unsigned int bit)
{
	size_t i;

	if (bit < (1u << FINDING_MAX))
		return finding_name(__builtin_ctz(bit));
	for (i = 0; i < ARRAY_SIZE(fail_on_kinds); i++)
		if (fail_on_kinds[i].bit == bit)
			return fail_on_kinds[i].name;
	return "?";
}

static int fail_on_one(const char *name, size_t n, unsigned int *mask)
{
	unsigned int bit;

	for (bit = 1; bit; bit <<= 1) {
		if (bit >= (1u << FINDING_MAX) && bit < FAIL_FINDINGS)
			continue;
		if (strlen(fail_on_name(bit)) == n &&
		    !strncmp(name, fail_on_name(bit), n)) {
			*mask |= bit;
			return 0;
		}
		if (bit == FAIL_LOST)
			break;
	}
	return -EINVAL;
}

int parse_fail_on(const char *s, unsigned int *mask)
{
	return parse_list(s, mask, fail_on_one);
}

int parse_listen(const char *s, char *addr, size_t n, uint16_t *port)
{
	const char *colon = strrchr(s, ':'), *host = s;
	size_t len = colon ? (size_t)(colon - s) : 0;
	unsigned char bin[sizeof(struct in6_addr)];
	uint32_t p;
	int family = AF_INET;

	if (parse_u32(colon ? colon + 1 : s, &p) || !p || p > UINT16_MAX)
		return -EINVAL;
	*port = p;
	if (!colon) {
		snprintf(addr, n, "127.0.0.1");
		return 0;
	}
	/* IPv6 in brackets, as in URLs: [::1]:9090. */
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		host++;
		len -= 2;
		family = AF_INET6;
	}
	if (!len || len >= n)
		return -EINVAL;
	memcpy(addr, host, len);
	addr[len] = '\0';
	return inet_pton(family, addr, bin) == 1 ? 0 : -EINVAL;
}

static int parse_summary(const char *s, enum summary_mode *mode)
{
	if (!s || !strcmp(s, "only"))
		*mode = SUMMARY_ONLY;
	else if (!strcmp(s, "both"))
		*mode = SUMMARY_BOTH;
	else
		return -EINVAL;
	return 0;
}

/* Parses the value of option key into cfg: NULL, or what is wrong. */
static const char *parse_value(int key, char *arg, struct config *cfg)
{
	uint32_t n;

	switch (key) {
	case 'p':
		return parse_id(arg, &cfg->pid) ? "not a valid PID" : NULL;
	case 't':
		return parse_id(arg, &cfg->tid) ? "not a valid TID" : NULL;
	case 'u':
		return parse_u32(arg, &cfg->uid) || cfg->uid == UINT32_MAX ?
		       "not a valid UID" : NULL;
	case 'c':
		return parse_comm(arg, cfg) ?
		       "not 1 to 15 bytes long" : NULL;
	case 'k':
		cfg->key_on = true;
		return parse_key(arg, &cfg->key) ?
		       "not a key (0x hex, decimal or IPC_PRIVATE)" : NULL;
	case 'd':
		return parse_seconds_ms(arg, &cfg->duration_ms) ?
		       "not a positive number of seconds" : NULL;
	case 'n':
		if (parse_u32(arg, &n) || !n)
			return "not a positive count";
		cfg->count = n;
		return NULL;
	case OPT_CACHE_DIR:
		return arg[0] ? NULL : "not a directory";
	case OPT_IPCNS:
		return parse_id(arg, &cfg->ipcns) ?
		       "not an IPC namespace inode or a PID" : NULL;
	case OPT_CONTAINER:
		cfg->container = arg;
		return parse_container(arg) ?
		       "not a container id or its prefix" : NULL;
	case 'b':
		return parse_size(arg, &cfg->buffer_bytes) ?
		       "not a power of two from 4K to 1G" : NULL;
	case OPT_ATTACH:
		return parse_mode(arg, &cfg->mode) ?
		       mode_problem() : NULL;
	case 'e':
		return parse_events(arg, &cfg->events) ?
		       events_problem() : NULL;
	case OPT_FAIL_ON:
		return parse_fail_on(arg, &cfg->fail_on) ?
		       "not a list of findings, leak, error, lost or a finding's name" : NULL;
	case OPT_METRICS:
		return parse_listen(arg, cfg->metrics_addr,
				    sizeof(cfg->metrics_addr), &cfg->metrics_port) ?
		       "not [ADDR:]PORT (PORT 1 to 65535; ADDR a numeric IPv4 address or [IPv6])" : NULL;
	case 's':
		return parse_summary(arg, &cfg->summary) ?
		       "not 'both' or 'only'" : NULL;
	}
	return NULL;
}

/* "--pid" for 'p': names the option in error messages. */
static const struct argp_option *find_option(int key)
{
	const struct argp_option *o;

	for (o = options; o->name || o->doc; o++)
		if (o->name && o->key == key)
			return o;
	return NULL;
}

static const char *option_name(int key)
{
	const struct argp_option *o = find_option(key);

	return o ? o->name : "?";
}

/* Options with a value that parse_value() has already taken in. */
static bool takes_value(int key)
{
	const struct argp_option *o = find_option(key);

	return o && o->arg;
}

/* --stable leaves out what varies from run to run: these print it. */
static error_t check_stable(struct argp_state *state,
			    const struct config *cfg)
{
	const char *other = cfg->format == OUT_JSON ? "--json" :
			    cfg->summary ? "--summary" :
			    cfg->timestamps ? "--timestamp" :
			    cfg->containers ? "--containers" : NULL;

	if (!cfg->stable || !other)
		return 0;
	argp_failure(state, EXIT_USAGE, 0, "--stable cannot be combined with %s",
		     other);
	return EINVAL;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct config *cfg = state->input;
	const char *problem = parse_value(key, arg, cfg);

	if (problem) {
		argp_failure(state, EXIT_USAGE, 0, "--%s: '%s' is %s",
			     option_name(key), arg ? arg : "", problem);
		return EINVAL;
	}
	switch (key) {
	case 'x': cfg->failed = true; break;
	case 'j': cfg->format = OUT_JSON; break;
	case 'T': cfg->timestamps = true; break;
	case 'o': cfg->output = arg; break;
	case 'q': cfg->quiet = true; break;
	case 'v': cfg->verbose = true; break;
	case 'W': cfg->warn = true; break;
	case 'C': cfg->containers = true; break;
	case '?':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		break;
	case OPT_USAGE:
		argp_state_help(state, stdout, ARGP_HELP_USAGE | ARGP_HELP_EXIT_OK);
		break;
	case 'V':
		printf("%s\n", argp_program_version);
		if (!(state->flags & ARGP_NO_EXIT))
			exit(EXIT_OK);
		break;
	case OPT_NO_HEADER: cfg->header = false; break;
	case OPT_CGROUP: cfg->cgroup = arg; break;
	case OPT_COMPAT: cfg->compat = true; break;
	case OPT_STABLE: cfg->stable = true; break;
	case OPT_CACHE_DIR: cfg->cache_dir = arg; break;
	case OPT_NO_CACHE: cfg->no_cache = true; break;
	case ARGP_KEY_END:
		return check_stable(state, cfg);
	case OPT_BTF: cfg->btf = arg; break;
	case ARGP_KEY_ARG:
		argp_failure(state, EXIT_USAGE, 0,
			     "unexpected argument '%s' (a command to run goes after --)",
			     arg);
		return EINVAL;
	default:
		return takes_value(key) ? 0 : ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* -e's help lists the syscalls that the parser takes. */
static char *help_filter(int key, const char *text, void *input)
{
	char *doc;

	(void)input;
	if (key != 'e' || asprintf(&doc, text, syscall_list()) < 0)
		return (char *)text;
	return doc;
}

/*
 * Splits "OPTIONS -- COMMAND": argp sees only what comes before "--".
 * Returns the number of arguments argp sees, or -1 if COMMAND is missing.
 */
static int split_command(int argc, char **argv, struct config *cfg)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--"))
			continue;
		if (i + 1 == argc)
			return -1;
		cfg->command = argv + i + 1;
		return i;
	}
	return argc;
}

int cli_parse_flags(int argc, char **argv, struct config *cfg,
		    unsigned int flags)
{
	static const struct argp argp = {
		.options = options,
		.parser = parse_opt,
		.args_doc = "[-- COMMAND [ARGS...]]",
		.doc = doc,
		.help_filter = help_filter,
	};

	*cfg = (struct config){
		.format = OUT_TEXT,
		.header = true,
		.uid = UINT32_MAX,
		.events = 1u << SYS_SHMGET,
		.buffer_bytes = DEFAULT_BUFFER,
	};
	argp_err_exit_status = EXIT_USAGE;
	argc = split_command(argc, argv, cfg);
	if (argc < 0) {
		if (!(flags & ARGP_NO_ERRS))
			fprintf(stderr, "shmtrace: missing command after --\n");
		return EXIT_USAGE;
	}
	return argp_parse(&argp, argc, argv, flags | ARGP_NO_HELP, NULL, cfg) ?
	       EXIT_USAGE : 0;
}

void cli_parse(int argc, char **argv, struct config *cfg)
{
	if (cli_parse_flags(argc, argv, cfg, 0))
		exit(EXIT_USAGE);
}
