// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include "arch.h"
#include "decode.h"
#include "findings.h"
#include "output.h"
#include "syscalls.h"
#include "util.h"

/* Longer than any line format_event() can produce. */
#define MAX_LINE 4096

static const char *const abi_names[ABI_MAX] = ARCH_ABI_NAMES;

/* The record comes from memory shared with the kernel: check every index. */
static const char *name_of(const char *const *names, size_t n, unsigned int i)
{
	return i < n && names[i] ? names[i] : "unknown";
}

static int64_t boot_to_real_ns(void)
{
	struct timespec real, boot;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	return (real.tv_sec - boot.tv_sec) * 1000000000LL +
	       (real.tv_nsec - boot.tv_nsec);
}

void output_init(struct output *o, int fd, enum out_format format,
		 bool timestamps)
{
	o->fd = fd;
	o->format = format;
	o->timestamps = timestamps;
	o->lifecycle = false;
	o->warn = false;
	o->containers = false;
	o->stable = NULL;
	o->ncols = 0;
	o->boot_to_real_ns = boot_to_real_ns();
	o->tc.sec = INT64_MIN;
	o->sink = (struct sink){ .buf = o->buf, .cap = sizeof(o->buf) };
}

/* Refreshes the cached date and time whenever the second changes. */
static const struct time_cache *time_prefix(struct output *o, int64_t sec)
{
	struct time_cache *tc = &o->tc;
	time_t t = sec;
	struct tm tm;

	if (tc->sec == sec)
		return tc;
	if (o->format == OUT_JSON)
		tc->len = strftime(tc->prefix, sizeof(tc->prefix),
				   "%Y-%m-%dT%H:%M:%S.", gmtime_r(&t, &tm));
	else
		tc->len = strftime(tc->prefix, sizeof(tc->prefix),
				   "%H:%M:%S.", localtime_r(&t, &tm));
	tc->sec = sec;
	return tc;
}

void output_put_time(struct output *o, struct sink *s, uint64_t boot_ns)
{
	/* Unsigned: a record's timestamp is not to be trusted either. */
	uint64_t ns = boot_ns + (uint64_t)o->boot_to_real_ns;
	const struct time_cache *tc = time_prefix(o, ns / 1000000000ULL);

	put_mem(s, tc->prefix, tc->len);
	if (o->format == OUT_JSON) {
		put_dec(s, ns % 1000000000ULL, 9);
		put_char(s, 'Z');
	} else {
		put_dec(s, ns % 1000000000ULL / 1000, 6);
	}
}

/* A text column: its header, width and what it prints for an event. */
struct column {
	const char *name;
	int width;		/* left-aligned in at least this many */
	void (*put)(struct output *o, struct sink *s, const struct event *e,
		    const struct annotation *a);
};

/* A column's formatter; not every one needs every argument. */
#define COLUMN_FN(fn)							\
static void fn(struct output *o __attribute__((unused)), struct sink *s,	\
	       const struct event *e __attribute__((unused)),		\
	       const struct annotation *a __attribute__((unused)))

COLUMN_FN(col_time)
{
	output_put_time(o, s, e->ts_ns);
}

/* The container's short id (12 hex digits, as docker ps), or -: the host. */
COLUMN_FN(col_container)
{
	size_t n = a && a->container ? strlen(a->container) : 0;

	if (!n) {
		put_char(s, '-');
		return;
	}
	put_comm_text(s, a->container, n == 64 ? 12 : n);
}

/*
 * --stable (o->stable set): a segment id or a non-NULL address as its
 * ordinal, other pointers as ptr; true if printed. Segments are told
 * apart by namespace: each has its id 0.
 */
static bool put_stable(struct output *o, struct sink *s,
		       enum arg_format format, const struct event *e,
		       uint64_t v, enum ordinal_use use)
{
	if (format == FMT_SHMID)
		put_ordinal(o->stable, s, ORD_SEGMENT, e->ipc_ns, (int32_t)v,
			    use);
	else if (format == FMT_ADDR && v)
		put_ordinal(o->stable, s, ORD_ADDR, 0, v, use);
	else if (format == FMT_PTR && v)
		put_str(s, "ptr");
	else
		return false;
	return true;
}

/* An id as it is, or under --stable as its ordinal (P1, T2, ...). */
static void put_id(struct output *o, struct sink *s, enum ordinal_kind kind,
		   uint32_t id)
{
	if (o->stable)
		put_ordinal(o->stable, s, kind, 0, id, ORD_USE);
	else
		put_u64(s, id);
}

COLUMN_FN(col_pid) { put_id(o, s, ORD_PID, e->pid); }

COLUMN_FN(col_tid) { put_id(o, s, ORD_TID, e->tid); }

COLUMN_FN(col_uid) { put_u64(s, e->uid); }

COLUMN_FN(col_comm)
{
	put_comm_text(s, e->comm, sizeof(e->comm));
}

/* An implicit attach or detach is no call: it has no ABI, result or latency. */
COLUMN_FN(col_abi)
{
	put_str(s, is_implicit(e->syscall) ? "-" :
		   name_of(abi_names, ABI_MAX, e->abi));
}

COLUMN_FN(col_syscall)
{
	put_str(s, syscall_name(e->syscall));
}

/*
 * The value of what src names for e; false if it is unknown (a segment
 * the tables do not know; a is NULL when there are no tables).
 */
static bool arg_value(enum arg_source src, const struct event *e,
	       const struct annotation *a, uint64_t *v)
{
	switch (src) {
	case SRC_ARG0:
	case SRC_ARG1:
	case SRC_ARG2:
		*v = e->args[src - SRC_ARG0];
		return true;
	case SRC_KEY:
		*v = a && a->key_known ? a->key : 0;
		return a && a->key_known;
	case SRC_SHMID:
		*v = a && a->shmid >= 0 ? (uint64_t)a->shmid : 0;
		return a && a->shmid >= 0;
	case SRC_CREATED:
		*v = a && a->created > 0;
		return a && a->created >= 0;
	case SRC_NATTCH:
		*v = a && a->nattch >= 0 ? (uint64_t)a->nattch : 0;
		return a && a->nattch >= 0;
	default:
		return false;
	}
}

/* shmget names its key; the other calls, their segment's, if known. */
COLUMN_FN(col_key)
{
	const struct syscall_desc *d = syscall_desc(e->syscall);
	uint64_t key;

	if (d && arg_value(d->key, e, a, &key))
		decode_key(s, key);
	else
		put_char(s, '-');
}

COLUMN_FN(col_size) { put_u64(s, e->args[1]); }

COLUMN_FN(col_shmflg)
{
	decode_shmflg(s, e->args[2]);
}

COLUMN_FN(col_ret)
{
	static const enum arg_format ret_format[] = {
		[RET_INT] = FMT_S32, [RET_SHMID] = FMT_SHMID,
		[RET_ADDR] = FMT_ADDR,
	};

	if (is_implicit(e->syscall)) {
		put_char(s, '-');
		return;
	}
	/* A new mapping, a new segment: even at a value seen before. */
	if (o->stable && !ret_is_error(e->ret) &&
	    put_stable(o, s, ret_format[syscall_ret_kind(e)], e, e->ret,
		       e->syscall == SYS_SHMAT || (a && a->created > 0) ?
		       ORD_NEW : ORD_USE))
		return;
	decode_result(s, e->ret, syscall_desc(e->syscall) &&
			 syscall_desc(e->syscall)->ret == RET_ADDR);
}

COLUMN_FN(col_lat)
{
	if (is_implicit(e->syscall))
		put_char(s, '-');
	else
		put_us(s, e->latency_ns);
}

/* A raw value as its format says, for JSON and for undecoded text. */
static void put_raw(struct sink *s, enum arg_format format, uint64_t v)
{
	switch (format) {
	case FMT_S32:
	case FMT_SHMID:
		put_s64(s, (int32_t)v);
		break;
	case FMT_U32:
		put_u64(s, (uint32_t)v);
		break;
	case FMT_BOOL:
		put_str(s, v ? "true" : "false");
		break;
	default:
		put_u64(s, v);
	}
}

/* The arguments as name=value pairs, with no whitespace; unknown ones left out. */
COLUMN_FN(col_args)
{
	const struct syscall_desc *d = syscall_desc(e->syscall);
	const struct syscall_arg *arg;
	const char *sep = "";
	uint64_t v;
	bool detached = e->syscall == SYS_SHMDT && !ret_is_error(e->ret);
	enum arg_format format;

	if (!d) {
		put_char(s, '-');
		return;
	}
	for_each_arg(arg, d) {
		if (!arg->text || arg_ignored(arg, e) ||
		    !arg_value(arg->src, e, a, &v))
			continue;
		put_str(s, sep);
		put_str(s, arg->text);
		put_char(s, '=');
		format = o->stable ? arg_format(arg, e) : arg->format;
		/* A detached address can be mapped again: as another. */
		if (o->stable &&
		    put_stable(o, s, format, e, v,
			       detached && format == FMT_ADDR ? ORD_LAST : ORD_USE))
			;
		else if (arg->decode)
			arg->decode(s, arg_decoded(arg, e, v));
		else
			put_raw(s, arg->format, v);
		sep = ",";
	}
}

#define COL(name, width, fn) { name, width, fn }

/* Only shmget (the default): the columns people parse with awk. */
static const struct column shmget_columns[] = {
	COL("PID", 7, col_pid), COL("TID", 7, col_tid), COL("UID", 6, col_uid),
	COL("COMM", 16, col_comm), COL("ABI", ARCH_ABI_WIDTH, col_abi),
	COL("KEY", 11, col_key), COL("SIZE", 10, col_size),
	COL("SHMFLG", 22, col_shmflg), COL("RET", 9, col_ret),
	COL("LAT(us)", 0, col_lat),
};

/* -e: every kind of call in the same number of fields. */
static const struct column lifecycle_columns[] = {
	COL("PID", 7, col_pid), COL("TID", 7, col_tid), COL("UID", 6, col_uid),
	COL("COMM", 16, col_comm), COL("ABI", ARCH_ABI_WIDTH, col_abi),
	COL("SYSCALL", 7, col_syscall), COL("KEY", 11, col_key),
	COL("RET", 14, col_ret), COL("LAT(us)", 8, col_lat),
	COL("ARGS", 0, col_args),
};

static const struct column time_column = COL("TIME", 15, col_time);
static const struct column container_column =
	COL("CONTAINER", 12, col_container);

/* The columns in order: -T's and -C's first, then the layout's. */
static void build_layout(struct output *o)
{
	const struct column *cols = o->lifecycle ? lifecycle_columns :
						   shmget_columns;
	size_t i, n = o->lifecycle ? ARRAY_SIZE(lifecycle_columns) :
				     ARRAY_SIZE(shmget_columns);

	o->ncols = 0;
	if (o->timestamps)
		o->cols[o->ncols++] = &time_column;
	if (o->containers)
		o->cols[o->ncols++] = &container_column;
	for (i = 0; i < n; i++) {
		/* Latencies differ from run to run. */
		if (o->stable && cols[i].put == col_lat)
			continue;
		o->cols[o->ncols++] = &cols[i];
	}
}

/* Pads what was written since start to the column's width, then a space. */
static void end_column(struct sink *s, size_t start, const struct column *c)
{
	size_t n = s->len - start;

	if (n < (size_t)c->width)
		put_padded(s, "", 0, -(c->width - (int)n));
	put_char(s, ' ');
}

/* One line: each column's header (e NULL) or value, the last unpadded. */
static void put_line(struct output *o, struct sink *s, const struct event *e,
		     const struct annotation *a)
{
	size_t i, start;

	if (!o->ncols)
		build_layout(o);
	for (i = 0; i < o->ncols; i++) {
		start = s->len;
		if (e)
			o->cols[i]->put(o, s, e, a);
		else
			put_str(s, o->cols[i]->name);
		if (i + 1 < o->ncols)
			end_column(s, start, o->cols[i]);
	}
	put_char(s, '\n');
	if (e && o->stable)
		stable_end_event(o->stable);
}

void output_header(struct output *o)
{
	if (o->format == OUT_TEXT)
		put_line(o, &o->sink, NULL, NULL);
}

static void put_field(struct sink *s, const char *name)
{
	put_char(s, ',');
	put_char(s, '"');
	put_str(s, name);
	put_str(s, "\":");
}

static void put_u64_field(struct sink *s, const char *name, uint64_t v)
{
	put_field(s, name);
	put_u64(s, v);
}

static void put_str_field(struct sink *s, const char *name, const char *v)
{
	put_field(s, name);
	put_char(s, '"');
	put_str(s, v);
	put_char(s, '"');
}

static void put_s64_field(struct sink *s, const char *name, int64_t v)
{
	put_field(s, name);
	put_s64(s, v);
}

/* Every argument: its raw value (null if unknown), then the decoded one. */
static void json_args(struct sink *s, const struct syscall_desc *d,
		      const struct event *e, const struct annotation *a)
{
	const struct syscall_arg *arg;
	uint64_t v;

	for_each_arg(arg, d) {
		bool known = !arg_ignored(arg, e) &&
			     arg_value(arg->src, e, a, &v);

		put_field(s, arg->json);
		if (!known) {
			put_str(s, "null");
		} else if (arg->format == FMT_NAME) {
			put_char(s, '"');
			arg->decode(s, v);
			put_char(s, '"');
		} else {
			put_raw(s, arg->format, v);
		}
		if (!arg->json_decoded)
			continue;
		put_field(s, arg->json_decoded);
		put_char(s, '"');
		arg->decode(s, arg_decoded(arg, e, v));
		put_char(s, '"');
	}
}

static void json_findings(struct sink *s, const struct event *e,
			  const struct annotation *a)
{
	unsigned int found = a ? a->findings : 0;
	const char *sep = "";
	int f;

	put_field(s, "findings");
	put_char(s, '[');
	for (f = 0; f < FINDING_MAX; f++) {
		if (!(found & (1u << f)))
			continue;
		put_str(s, sep);
		put_str(s, "{\"finding\":\"");
		put_str(s, finding_name(f));
		put_str(s, "\",\"reason\":\"");
		put_finding_reason(s, f, e, a, put_json_chars);
		put_str(s, "\"}");
		sep = ",";
	}
	put_char(s, ']');
}

/* An attach or detach no call made: "event" where calls have "syscall". */
static void json_implicit(struct output *o, struct sink *s,
			  const struct event *e, const struct annotation *a)
{
	put_str_field(s, "event", syscall_name(e->syscall));
	json_args(s, syscall_desc(e->syscall), e, a);
	if (o->warn)
		json_findings(s, e, a);
	put_str(s, "}\n");
}

static void format_json(struct output *o, struct sink *s,
			const struct event *e, const struct annotation *a)
{
	put_str(s, "{\"time\":\"");
	output_put_time(o, s, e->ts_ns);
	put_char(s, '"');
	put_u64_field(s, "pid", e->pid);
	put_u64_field(s, "tid", e->tid);
	put_u64_field(s, "uid", e->uid);
	put_u64_field(s, "gid", e->gid);
	put_u64_field(s, "ipc_ns", e->ipc_ns);
	put_u64_field(s, "ns_pid", e->ns_pid);
	put_u64_field(s, "ns_tid", e->ns_tid);
	put_field(s, "container");
	if (a && a->container)
		put_json_string(s, a->container, strlen(a->container));
	else
		put_str(s, "null");
	put_field(s, "comm");
	put_json_string(s, e->comm, sizeof(e->comm));
	if (is_implicit(e->syscall)) {
		json_implicit(o, s, e, a);
		return;
	}
	put_str_field(s, "abi", name_of(abi_names, ABI_MAX, e->abi));
	put_str_field(s, "syscall", syscall_name(e->syscall));
	if (syscall_desc(e->syscall))
		json_args(s, syscall_desc(e->syscall), e, a);
	put_s64_field(s, "ret", e->ret);
	put_field(s, "errno");
	if (ret_is_error(e->ret)) {
		put_char(s, '"');
		decode_errno(s, -e->ret);
		put_char(s, '"');
	} else {
		put_str(s, "null");
	}
	put_u64_field(s, "latency_ns", e->latency_ns);
	if (o->warn)
		json_findings(s, e, a);
	put_str(s, "}\n");
}

void format_event(struct output *o, struct sink *s, const struct event *e,
		  const struct annotation *a)
{
	if (o->format == OUT_JSON)
		format_json(o, s, e, a);
	else
		put_line(o, s, e, a);
}

int output_event(struct output *o, const struct event *e,
		 const struct annotation *a)
{
	int err;

	if (o->sink.cap - o->sink.len < MAX_LINE) {
		err = output_flush(o);
		if (err)
			return err;
	}
	format_event(o, &o->sink, e, a);
	return 0;
}

int output_flush(struct output *o)
{
	struct sink *s = &o->sink;
	size_t done = 0;
	ssize_t n;

	while (done < s->len) {
		n = write(o->fd, s->buf + done, s->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			s->len = 0;
			return -errno;
		}
		done += n;
	}
	s->len = 0;
	return 0;
}

/*
 * The processes that still have a leaked segment mapped: in JSON the
 * first LEAK_HOLDERS pids, in text those and how many more.
 */
static void put_holders(struct sink *s, const struct leak *l, bool json)
{
	uint32_t i, n = l->nholders < LEAK_HOLDERS ? l->nholders : LEAK_HOLDERS;

	if (!json && !n)
		return;
	put_str(s, json ? ",\"holders\":[" : " (held by pid ");
	for (i = 0; i < n; i++) {
		if (i)
			put_str(s, json ? "," : ", ");
		put_u64(s, l->holders[i]);
	}
	if (!json && l->nholders > n) {
		put_str(s, " and ");
		put_u64(s, l->nholders - n);
		put_str(s, " more");
	}
	put_char(s, json ? ']' : ')');
}

/*
 * A leaked segment: in JSON an object of its own, {"leak":{...}}, that jq
 * tells from events with select(.leak); in text one line for stderr.
 */
void format_leak(struct output *o, struct sink *s, const struct leak *l)
{
	const struct segment *seg = l->seg;
	bool json = o->format == OUT_JSON;

	put_str(s, json ? "{\"leak\":{\"key\":" : "shmtrace: leak: key ");
	if (json)
		put_u64(s, seg->key);
	else
		decode_key(s, seg->key);
	put_str(s, json ? ",\"id\":" : " id ");
	put_s64(s, seg->id);
	put_str(s, json ? ",\"ipc_ns\":" : " ipc_ns ");
	put_u64(s, seg->ns);
	put_str(s, json ? ",\"size\":" : " size ");
	put_u64(s, seg->size);
	put_str(s, json ? ",\"pid\":" : " created by pid ");
	put_u64(s, seg->cpid);
	put_str(s, json ? ",\"comm\":" : " comm ");
	if (json)
		put_json_string(s, seg->comm, sizeof(seg->comm));
	else
		put_comm_text(s, seg->comm, sizeof(seg->comm));
	put_str(s, json ? ",\"created\":\"" : " at ");
	output_put_time(o, s, seg->created_ns);
	put_str(s, json ? "\",\"nattch\":" : ", nattch ");
	put_u64(s, seg->nattch);
	put_holders(s, l, json);
	put_str(s, json ? ",\"remove\":\"" : "; remove it with: ");
	/* A process in its namespace, alive as the table was read. */
	if (l->ns_pid) {
		put_str(s, "nsenter --ipc=/proc/");
		put_u64(s, l->ns_pid);
		put_str(s, "/ns/ipc ");
	}
	put_str(s, "ipcrm -m ");
	put_s64(s, seg->id);
	put_str(s, json ? "\"}}\n" : "\n");
}
