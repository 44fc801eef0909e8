// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include "decode.h"
#include "output.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* Longer than any line format_event() can produce. */
#define MAX_LINE 1024

static const char *const syscall_names[SYS_MAX] = {
	[SYS_SHMGET] = "shmget",
	[SYS_SHMAT] = "shmat",
	[SYS_SHMDT] = "shmdt",
	[SYS_SHMCTL] = "shmctl",
};

static const char *const abi_names[ABI_MAX] = {
	[ABI_X86_64] = "x86_64",
	[ABI_I386] = "i386",
};

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
	o->boot_to_real_ns = boot_to_real_ns();
	o->tc.sec = INT64_MIN;
	o->sink = (struct sink){ .buf = o->buf, .cap = sizeof(o->buf) };
}

/* Text columns: name and width (negative: left-aligned). */
static const struct column {
	const char *name;
	int width;
} columns[] = {
	{ "PID", -7 }, { "TID", -7 }, { "UID", -6 }, { "COMM", -16 },
	{ "ABI", -6 }, { "KEY", -11 }, { "SIZE", -10 }, { "SHMFLG", -22 },
	{ "RET", -9 }, { "LAT(us)", 0 },
};

enum column_id {
	COL_PID, COL_TID, COL_UID, COL_COMM, COL_ABI, COL_KEY, COL_SIZE,
	COL_SHMFLG, COL_RET, COL_LAT,
};

#define TIME_WIDTH -15

void output_header(struct output *o)
{
	struct sink *s = &o->sink;
	size_t i;

	if (o->format != OUT_TEXT)
		return;
	if (o->timestamps) {
		put_padded(s, "TIME", 4, TIME_WIDTH);
		put_char(s, ' ');
	}
	for (i = 0; i < ARRAY_SIZE(columns); i++) {
		put_padded(s, columns[i].name, strlen(columns[i].name),
			   i + 1 < ARRAY_SIZE(columns) ? columns[i].width : 0);
		put_char(s, i + 1 < ARRAY_SIZE(columns) ? ' ' : '\n');
	}
}

/*
 * Ends a column: pads what was written since start to the column's width
 * and adds the separator, so each field stays one whitespace-free word.
 */
static void end_column(struct sink *s, size_t start, enum column_id col)
{
	size_t n = s->len - start;
	int w = -columns[col].width;

	if (n < (size_t)w)
		put_padded(s, "", 0, w - (int)n);
	put_char(s, ' ');
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

static void put_time(struct output *o, struct sink *s, uint64_t boot_ns)
{
	int64_t ns = (int64_t)boot_ns + o->boot_to_real_ns;
	int64_t sec = ns / 1000000000LL;
	const struct time_cache *tc = time_prefix(o, sec);

	put_mem(s, tc->prefix, tc->len);
	if (o->format == OUT_JSON) {
		put_dec(s, ns % 1000000000LL, 9);
		put_char(s, 'Z');
	} else {
		put_dec(s, ns % 1000000000LL / 1000, 6);
	}
}

/*
 * comm is chosen by the traced program (prctl, exec): anything but
 * printable ASCII becomes \xHH so that a line stays one record of
 * whitespace-free fields and no escape sequence reaches a terminal.
 */
void put_comm_text(struct sink *s, const char *comm, size_t n)
{
	size_t i;

	if (!n || !comm[0]) {
		put_str(s, "\\x00");
		return;
	}
	for (i = 0; i < n && comm[i]; i++) {
		unsigned char c = comm[i];

		if (c == '\\') {
			put_str(s, "\\\\");
		} else if (c > ' ' && c < 0x7f) {
			put_char(s, c);
		} else {
			put_str(s, "\\x");
			put_char(s, "0123456789abcdef"[c >> 4]);
			put_char(s, "0123456789abcdef"[c & 15]);
		}
	}
}

static void put_u_escape(struct sink *s, unsigned char c)
{
	put_str(s, "\\u00");
	put_char(s, "0123456789abcdef"[c >> 4]);
	put_char(s, "0123456789abcdef"[c & 15]);
}

/* Length of the valid UTF-8 sequence at p, or 0 if there is none. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/*
 * A JSON string of the bytes of str. Valid UTF-8 passes through, except
 * C0 and C1 controls; a byte that is not valid UTF-8 becomes \u00XX, its
 * Latin-1 reading, so the document stays valid JSON.
 */
void put_json_string(struct sink *s, const char *str, size_t n)
{
	const unsigned char *p = (const unsigned char *)str;
	size_t i = 0, len;

	put_char(s, '"');
	while (i < n && p[i]) {
		if (p[i] == '"' || p[i] == '\\') {
			put_char(s, '\\');
			put_char(s, p[i++]);
		} else if (p[i] >= 0x20 && p[i] < 0x7f) {
			put_char(s, p[i++]);
		} else if (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 &&
			   p[i + 1] <= 0x9f) {
			put_u_escape(s, p[i + 1]);
			i += 2;
		} else if ((len = utf8_len(p + i, n - i))) {
			put_mem(s, str + i, len);
			i += len;
		} else {
			put_u_escape(s, p[i++]);
		}
	}
	put_char(s, '"');
}

static void put_latency_us(struct sink *s, uint64_t ns)
{
	put_u64(s, ns / 1000);
	put_char(s, '.');
	put_dec(s, ns % 1000, 3);
}

static void format_text(struct output *o, struct sink *s,
			const struct event *e)
{
	size_t start;

	if (o->timestamps) {
		start = s->len;
		put_time(o, s, e->ts_ns);
		put_padded(s, "", 0, -TIME_WIDTH - (int)(s->len - start));
		put_char(s, ' ');
	}
	start = s->len;
	put_u64(s, e->pid);
	end_column(s, start, COL_PID);
	start = s->len;
	put_u64(s, e->tid);
	end_column(s, start, COL_TID);
	start = s->len;
	put_u64(s, e->uid);
	end_column(s, start, COL_UID);
	start = s->len;
	put_comm_text(s, e->comm, sizeof(e->comm));
	end_column(s, start, COL_COMM);
	start = s->len;
	put_str(s, name_of(abi_names, ABI_MAX, e->abi));
	end_column(s, start, COL_ABI);
	start = s->len;
	decode_key(s, e->args[0]);
	end_column(s, start, COL_KEY);
	start = s->len;
	put_u64(s, e->args[1]);
	end_column(s, start, COL_SIZE);
	start = s->len;
	decode_shmflg(s, e->args[2]);
	end_column(s, start, COL_SHMFLG);
	start = s->len;
	decode_ret(s, e->ret);
	end_column(s, start, COL_RET);
	put_latency_us(s, e->latency_ns);
	put_char(s, '\n');
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

static void format_json(struct output *o, struct sink *s,
			const struct event *e)
{
	put_str(s, "{\"time\":\"");
	put_time(o, s, e->ts_ns);
	put_char(s, '"');
	put_u64_field(s, "pid", e->pid);
	put_u64_field(s, "tid", e->tid);
	put_u64_field(s, "uid", e->uid);
	put_u64_field(s, "gid", e->gid);
	put_field(s, "comm");
	put_json_string(s, e->comm, sizeof(e->comm));
	put_str_field(s, "abi", name_of(abi_names, ABI_MAX, e->abi));
	put_str_field(s, "syscall",
		      name_of(syscall_names, SYS_MAX, e->syscall));
	put_u64_field(s, "key", (uint32_t)e->args[0]);
	put_u64_field(s, "size", e->args[1]);
	put_u64_field(s, "shmflg", (uint32_t)e->args[2]);
	put_field(s, "flags");
	put_char(s, '"');
	decode_shmflg(s, e->args[2]);
	put_char(s, '"');
	put_field(s, "ret");
	put_s64(s, e->ret);
	put_field(s, "errno");
	if (ret_is_error(e->ret)) {
		put_char(s, '"');
		decode_errno(s, -e->ret);
		put_char(s, '"');
	} else {
		put_str(s, "null");
	}
	put_u64_field(s, "latency_ns", e->latency_ns);
	put_str(s, "}\n");
}

void format_event(struct output *o, struct sink *s, const struct event *e)
{
	if (o->format == OUT_JSON)
		format_json(o, s, e);
	else
		format_text(o, s, e);
}

int output_event(struct output *o, const struct event *e)
{
	int err;

	if (o->sink.cap - o->sink.len < MAX_LINE) {
		err = output_flush(o);
		if (err)
			return err;
	}
	format_event(o, &o->sink, e);
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
