// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: the event formatter. The fuzz input is a struct event
 * as the ring buffer could hold it (any values: unknown syscall or ABI, a
 * comm without NUL, huge numbers, times past 2262), formatted as text,
 * text with -T and JSON. Every record must be exactly one line that fits
 * the writer's reserve; text lines have 10 (11) whitespace-free fields of
 * printable ASCII; JSON lines are valid JSON (strict RFC 8259 and UTF-8)
 * with the documented fields, and round-trip the process name. The
 * expected values are computed here, independently of src/.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "findings.h"
#include "harness.h"
#include "output.h"
#include "syscalls.h"

/* src/output.c flushes when less than this is left: a line must fit. */
#define MAX_LINE 4096

/* The check under way, for CHECK's report. */
static const char *what;

/* ---- A strict JSON validator ------------------------------------------ */

enum jtype { J_STRING, J_NUMBER, J_OBJECT, J_ARRAY, J_TRUE, J_FALSE, J_NULL };

struct member {
	char key[32];
	enum jtype type;
	const char *start;	/* the value's text */
	size_t len;
};

struct jparser {
	const char *p, *end;
	int depth;
	struct member top[32];	/* the top-level object's members */
	int ntop;
	char str[513];		/* the last string, decoded to UTF-8, NUL-ended */
	size_t strlen;
};

static void skip_ws(struct jparser *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
				 *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* Length of the strict UTF-8 sequence at p (RFC 3629), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	size_t len, i;
	uint32_t cp, min;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		len = 2; cp = p[0] & 0x1f; min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3; cp = p[0] & 0x0f; min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4; cp = p[0] & 0x07; min = 0x10000;
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
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void str_add(struct jparser *j, const void *b, size_t n)
{
	if (j->strlen + n < sizeof(j->str)) {
		memcpy(j->str + j->strlen, b, n);
		j->strlen += n;
		j->str[j->strlen] = '\0';
	} else {
		j->strlen = sizeof(j->str);	/* too long: marks it */
	}
}

static void str_add_cp(struct jparser *j, uint32_t cp)
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = cp; n = 1;
	} else if (cp < 0x800) {
		b[0] = 0xc0 | cp >> 6; b[1] = 0x80 | (cp & 0x3f); n = 2;
	} else if (cp < 0x10000) {
		b[0] = 0xe0 | cp >> 12; b[1] = 0x80 | (cp >> 6 & 0x3f);
		b[2] = 0x80 | (cp & 0x3f); n = 3;
	} else {
		b[0] = 0xf0 | cp >> 18; b[1] = 0x80 | (cp >> 12 & 0x3f);
		b[2] = 0x80 | (cp >> 6 & 0x3f); b[3] = 0x80 | (cp & 0x3f); n = 4;
	}
	str_add(j, b, n);
}

static bool hex4(struct jparser *j, uint32_t *v)
{
	int i;

	*v = 0;
	if (j->end - j->p < 4)
		return false;
	for (i = 0; i < 4; i++) {
		char c = *j->p++;

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			*v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			*v |= c - 'A' + 10;
		else
			return false;
	}
	return true;
}

static bool parse_string(struct jparser *j)
{
	uint32_t cp, lo;
	size_t n;

	j->strlen = 0;
	j->str[0] = '\0';
	if (j->p >= j->end || *j->p != '"')
		return false;
	j->p++;
	while (j->p < j->end) {
		unsigned char c = *j->p;

		if (c == '"') {
			j->p++;
			return true;
		}
		if (c < 0x20)
			return false;	/* raw control character */
		if (c != '\\') {
			n = utf8_seq((const unsigned char *)j->p, j->end - j->p);
			if (!n)
				return false;	/* not UTF-8 */
			str_add(j, j->p, n);
			j->p += n;
			continue;
		}
		if (++j->p >= j->end)
			return false;
		switch (*j->p++) {
		case '"': str_add(j, "\"", 1); break;
		case '\\': str_add(j, "\\", 1); break;
		case '/': str_add(j, "/", 1); break;
		case 'b': str_add(j, "\b", 1); break;
		case 'f': str_add(j, "\f", 1); break;
		case 'n': str_add(j, "\n", 1); break;
		case 'r': str_add(j, "\r", 1); break;
		case 't': str_add(j, "\t", 1); break;
		case 'u':
			if (!hex4(j, &cp))
				return false;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return false;	/* lone low surrogate */
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (j->end - j->p < 2 || j->p[0] != '\\' ||
				    j->p[1] != 'u')
					return false;
				j->p += 2;
				if (!hex4(j, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return false;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			str_add_cp(j, cp);
			break;
		default:
			return false;
		}
	}
	return false;
}

static bool digits(struct jparser *j)
{
	const char *s = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool parse_number(struct jparser *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (j->p >= j->end || *j->p < '1' || *j->p > '9' || !digits(j))
		return false;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!digits(j))
			return false;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!digits(j))
			return false;
	}
	return true;
}

static bool literal(struct jparser *j, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n))
		return false;
	j->p += n;
	return true;
}

static bool parse_value(struct jparser *j, enum jtype *type);

static bool parse_members(struct jparser *j, bool top)
{
	enum jtype type;
	const char *start;

	skip_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return true;
	}
	for (;;) {
		struct member *m = NULL;

		skip_ws(j);
		if (!parse_string(j))
			return false;
		if (top) {
			if (j->ntop == (int)(sizeof(j->top) / sizeof(j->top[0])))
				return false;
			m = &j->top[j->ntop++];
			snprintf(m->key, sizeof(m->key), "%.*s",
				 (int)(j->strlen < sizeof(j->str) ? j->strlen : 0), j->str);
		}
		skip_ws(j);
		if (j->p >= j->end || *j->p++ != ':')
			return false;
		skip_ws(j);
		start = j->p;
		if (!parse_value(j, &type))
			return false;
		if (m) {
			m->type = type;
			m->start = start;
			m->len = j->p - start;
		}
		skip_ws(j);
		if (j->p >= j->end)
			return false;
		if (*j->p == '}') {
			j->p++;
			return true;
		}
		if (*j->p++ != ',')
			return false;
	}
}

static bool parse_elements(struct jparser *j)
{
	enum jtype type;

	skip_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return true;
	}
	for (;;) {
		skip_ws(j);
		if (!parse_value(j, &type))
			return false;
		skip_ws(j);
		if (j->p >= j->end)
			return false;
		if (*j->p == ']') {
			j->p++;
			return true;
		}
		if (*j->p++ != ',')
			return false;
	}
}

static bool parse_value(struct jparser *j, enum jtype *type)
{
	bool ok;

	if (j->p >= j->end || j->depth > 64)
		return false;
	switch (*j->p) {
	case '"':
		*type = J_STRING;
		return parse_string(j);
	case '{':
		*type = J_OBJECT;
		j->p++;
		j->depth++;
		ok = parse_members(j, j->depth == 1);
		j->depth--;
		return ok;
	case '[':
		*type = J_ARRAY;
		j->p++;
		j->depth++;
		ok = parse_elements(j);
		j->depth--;
		return ok;
	case 't':
		*type = J_TRUE;
		return literal(j, "true");
	case 'f':
		*type = J_FALSE;
		return literal(j, "false");
	case 'n':
		*type = J_NULL;
		return literal(j, "null");
	default:
		*type = J_NUMBER;
		return parse_number(j);
	}
}

/* The whole text is one JSON value; the top level's members in j->top. */
static bool json_valid(struct jparser *j, const char *s, size_t n,
		       enum jtype *type)
{
	memset(j, 0, sizeof(*j));
	j->p = s;
	j->end = s + n;
	skip_ws(j);
	if (!parse_value(j, type))
		return false;
	skip_ws(j);
	return j->p == j->end;
}

/* ---- What the formats must say, computed independently ---------------- */

static size_t comm_len(const unsigned char *c)
{
	size_t n = 0;

	while (n < TASK_COMM_LEN && c[n])
		n++;
	return n;
}

/* README: printable ASCII as is, a backslash doubled, others \xHH. */
static void text_comm(const unsigned char *c, char *out)
{
	size_t i, n = comm_len(c);

	*out = '\0';
	if (!n) {
		strcpy(out, "\\x00");
		return;
	}
	for (i = 0; i < n; i++) {
		if (c[i] == '\\')
			out += sprintf(out, "\\\\");
		else if (c[i] > ' ' && c[i] < 0x7f)
			out += sprintf(out, "%c", c[i]);
		else
			out += sprintf(out, "\\x%02x", c[i]);
	}
}

/* README: valid UTF-8 as is, any other byte as U+00XX; in UTF-8. */
static size_t json_comm(const unsigned char *c, unsigned char *out)
{
	size_t i = 0, k = 0, n = comm_len(c), len;

	while (i < n) {
		len = utf8_seq(c + i, n - i);
		if (len) {
			memcpy(out + k, c + i, len);
			k += len;
			i += len;
		} else {
			out[k++] = 0xc0 | c[i] >> 6;
			out[k++] = 0x80 | (c[i] & 0x3f);
			i++;
		}
	}
	return k;
}

static bool is_error(int64_t ret)
{
	return ret < 0 && ret >= -4095;
}

/* s matches pattern, where '9' stands for any digit. */
static bool shape(const char *s, size_t n, const char *pattern)
{
	size_t i;

	if (n != strlen(pattern))
		return false;
	for (i = 0; i < n; i++) {
		if (pattern[i] == '9' ? s[i] < '0' || s[i] > '9' : s[i] != pattern[i])
			return false;
	}
	return true;
}

static const char *abi_name(unsigned int abi)
{
	return abi == 0 ? "x86_64" : abi == 1 ? "i386" : "unknown";
}

/* strace's %#03o: 000, 001, 0644. */
static void perms_text(uint32_t shmflg, char *out)
{
	sprintf(out, "%#03o", shmflg & 0777);
}

/* ---- The checks --------------------------------------------------------- */

/* One line: one '\n', at the end, and nothing below 0x20 before it. */
static void check_line(const char *s, size_t n, bool ascii_only)
{
	size_t i;

	what = "one record, one line";
	CHECK(n > 0 && s[n - 1] == '\n', "no final newline: %.*s", (int)n, s);
	for (i = 0; i + 1 < n; i++) {
		unsigned char c = s[i];

		CHECK(c >= 0x20, "byte 0x%02x at %zu: %.*s", c, i, (int)n, s);
		CHECK(!ascii_only || c < 0x7f,
		      "byte 0x%02x at %zu in text: %.*s", c, i, (int)n, s);
	}
}

#define MAX_FIELDS 16

static int split_fields(char *s, char *f[MAX_FIELDS])
{
	int n = 0;
	char *tok, *save;

	for (tok = strtok_r(s, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		if (n == MAX_FIELDS)
			return n + 1;
		f[n++] = tok;
	}
	return n;
}

static void check_dec_field(const char *name, const char *got, uint64_t want)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, want);
	what = name;
	CHECK(!strcmp(got, buf), "got %s, want %s", got, buf);
}

/* RET as text: shmat's address in hex, others in decimal; errors by name. */
/* An attach or detach that no call made: no ABI, result or latency. */
static bool no_call(const struct event *e)
{
	return e->syscall == EV_ATTACH || e->syscall == EV_DETACH;
}

static void ret_text(const struct event *e, char *want)
{
	if (no_call(e))
		strcpy(want, "-");
	else if (is_error(e->ret))
		strcpy(want, "E");
	else if (e->syscall == SYS_SHMAT && e->ret == 0)
		strcpy(want, "NULL");
	else if (e->syscall == SYS_SHMAT)
		sprintf(want, "0x%" PRIx64, (uint64_t)e->ret);
	else
		sprintf(want, "%" PRId64, (int64_t)e->ret);
}

/* A safe text line's fields, split in copy (MAX_LINE + 1 bytes). */
static int line_fields(const char *line, size_t n, char *copy,
		       char *f[MAX_FIELDS])
{
	check_line(line, n, true);
	memcpy(copy, line, n);
	copy[n] = '\0';
	return split_fields(copy, f);
}

static void check_text(const char *line, size_t n, const struct event *e,
		       bool timestamps)
{
	char copy[MAX_LINE + 1], *fields[MAX_FIELDS], **f = fields, want[128];
	int nf = line_fields(line, n, copy, fields), expect = timestamps ? 11 : 10;
	const char *flg;

	what = "text field count";
	CHECK(nf == expect, "%d fields, want %d: %.*s", nf, expect, (int)n, line);
	if (timestamps) {
		what = "text TIME is HH:MM:SS.uuuuuu";
		CHECK(shape(f[0], strlen(f[0]), "99:99:99.999999"),
		      "%s (ts_ns %" PRIu64 ")", f[0], (uint64_t)e->ts_ns);
		f++;
	}
	check_dec_field("text PID", f[0], e->pid);
	check_dec_field("text TID", f[1], e->tid);
	check_dec_field("text UID", f[2], e->uid);
	text_comm((const unsigned char *)e->comm, want);
	what = "text COMM";
	CHECK(!strcmp(f[3], want), "got %s, want %s", f[3], want);
	what = "text ABI";
	CHECK(!strcmp(f[4], no_call(e) ? "-" : abi_name(e->abi)),
	      "got %s for abi %u", f[4], e->abi);
	/* The shmget columns; another syscall's event only keeps the shape. */
	if (e->syscall == SYS_SHMGET) {
		if ((uint32_t)e->args[0])
			snprintf(want, sizeof(want), "0x%08x", (uint32_t)e->args[0]);
		else
			strcpy(want, "IPC_PRIVATE");
		what = "text KEY";
		CHECK(!strcmp(f[5], want), "got %s, want %s", f[5], want);
		check_dec_field("text SIZE", f[6], e->args[1]);
		flg = strrchr(f[7], '|');
		flg = flg ? flg + 1 : f[7];
		perms_text(e->args[2], want);
		what = "text SHMFLG ends with the permissions";
		CHECK(!strcmp(flg, want), "got %s, want ...%s", f[7], want);
	}
	what = "text RET";
	ret_text(e, want);
	CHECK(!strcmp(f[8], want) ||
	      (!no_call(e) && is_error(e->ret) && f[8][0] == 'E' && f[8][1]),
	      "got %s, want %s", f[8], want);
	if (no_call(e))
		strcpy(want, "-");
	else
		snprintf(want, sizeof(want), "%" PRIu64 ".%03u",
			 (uint64_t)e->latency_ns / 1000,
			 (unsigned int)(e->latency_ns % 1000));
	what = "text LAT(us)";
	CHECK(!strcmp(f[9], want), "got %s, want %s", f[9], want);
}

static const char *const json_keys[] = {
	"time", "pid", "tid", "uid", "gid", "ipc_ns", "ns_pid", "ns_tid",
	"container", "comm", "abi", "syscall", "key", "size", "shmflg", "flags",
	"created", "ret", "errno", "latency_ns",
};
#define COMMON_KEYS 12

static void check_json_number(const struct member *m, const char *want)
{
	what = "json number field";
	CHECK(m->type == J_NUMBER && m->len == strlen(want) &&
	      !memcmp(m->start, want, m->len),
	      "%s: got %.*s, want %s", m->key, (int)m->len, m->start, want);
}

static void check_json_u64(const struct member *m, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	check_json_number(m, buf);
}

/* The decoded value of a string member. */
static void json_string_of(const struct member *m, struct jparser *j)
{
	j->p = m->start;
	j->end = m->start + m->len;
	what = "json string field";
	CHECK(m->type == J_STRING && parse_string(j), "%s is not a string", m->key);
}

/* What every event's JSON has, whatever its syscall. */
static void check_json_common(struct jparser *j, const struct event *e)
{
	const struct member *m = j->top;
	unsigned char want[TASK_COMM_LEN * 2];
	size_t i, wn;

	for (i = 0; i < (no_call(e) ? COMMON_KEYS - 2 : COMMON_KEYS); i++)
		CHECK(!strcmp(m[i].key, json_keys[i]), "member %zu is %s, want %s",
		      i, m[i].key, json_keys[i]);
	json_string_of(&m[0], j);
	what = "json time is RFC 3339 UTC with nanoseconds";
	CHECK(shape(j->str, j->strlen, "9999-99-99T99:99:99.999999999Z"),
	      "%.*s (ts_ns %" PRIu64 ")", (int)j->strlen, j->str, (uint64_t)e->ts_ns);
	check_json_u64(&m[1], e->pid);
	check_json_u64(&m[2], e->tid);
	check_json_u64(&m[3], e->uid);
	check_json_u64(&m[4], e->gid);
	check_json_u64(&m[5], e->ipc_ns);
	check_json_u64(&m[6], e->ns_pid);
	check_json_u64(&m[7], e->ns_tid);
	if (m[8].type != J_NULL)
		json_string_of(&m[8], j);
	json_string_of(&m[9], j);
	wn = json_comm((const unsigned char *)e->comm, want);
	what = "json comm round-trips";
	CHECK(j->strlen == wn && !memcmp(j->str, want, wn), "%.*s", (int)m[9].len, m[9].start);
	if (no_call(e))
		return;
	json_string_of(&m[10], j);
	what = "json abi";
	CHECK(j->strlen == strlen(abi_name(e->abi)) &&
	      !memcmp(j->str, abi_name(e->abi), j->strlen), "%.*s", (int)m[10].len, m[10].start);
	json_string_of(&m[11], j);
	what = "json syscall: a name";
	CHECK(j->strlen > 0 && strspn(j->str, "abcdefghijklmnopqrstuvwxyz") >= j->strlen,
	      "%.*s", (int)m[11].len, m[11].start);
}

/* ret, errno and latency_ns, from member i on. */
static void check_json_result(struct jparser *j, int i, const struct event *e)
{
	const struct member *m = j->top;
	char num[32];

	what = "json ret, errno, latency_ns";
	CHECK(!strcmp(m[i].key, "ret") && !strcmp(m[i + 1].key, "errno") &&
	      !strcmp(m[i + 2].key, "latency_ns"), "members %s %s %s",
	      m[i].key, m[i + 1].key, m[i + 2].key);
	snprintf(num, sizeof(num), "%" PRId64, (int64_t)e->ret);
	check_json_number(&m[i], num);
	what = "json errno: a name for an error, else null";
	if (is_error(e->ret)) {
		json_string_of(&m[i + 1], j);
		CHECK(j->strlen > 1 && j->str[0] == 'E', "%.*s", (int)j->strlen, j->str);
	} else {
		CHECK(m[i + 1].type == J_NULL, "%.*s for ret %" PRId64,
		      (int)m[i + 1].len, m[i + 1].start, (int64_t)e->ret);
	}
	check_json_u64(&m[i + 2], e->latency_ns);
}

/* shmget: exactly the documented fields, in order. */
static void check_json_shmget(struct jparser *j, const struct event *e)
{
	const struct member *m = j->top;
	char num[32];
	size_t i;

	for (i = COMMON_KEYS; i < COMMON_KEYS + 5; i++)
		CHECK(!strcmp(m[i].key, json_keys[i]), "member %zu is %s, want %s",
		      i, m[i].key, json_keys[i]);
	check_json_u64(&m[12], (uint32_t)e->args[0]);
	check_json_u64(&m[13], e->args[1]);
	check_json_u64(&m[14], (uint32_t)e->args[2]);
	json_string_of(&m[15], j);
	perms_text(e->args[2], num);
	what = "json flags ends with the permissions";
	CHECK(j->strlen >= strlen(num) &&
	      !memcmp(j->str + j->strlen - strlen(num), num, strlen(num)),
	      "%.*s", (int)j->strlen, j->str);
	what = "json created: true, false or null";
	CHECK(m[16].type == J_TRUE || m[16].type == J_FALSE || m[16].type == J_NULL,
	      "%.*s", (int)m[16].len, m[16].start);
}

/*
 * An attach or detach: "event" where calls have abi and syscall, then
 * exactly the documented fields, and no result.
 */
static void check_json_implicit(struct jparser *j, const struct event *e,
				bool warn)
{
	static const char *const keys[] = {
		"event", "cause", "addr", "shmid", "key", "nattch",
	};
	const struct member *m = j->top + COMMON_KEYS - 2;
	const char *name = e->syscall == EV_ATTACH ? "attach" : "detach";
	size_t i;

	what = "an implicit event's JSON has the documented fields";
	CHECK(j->ntop == COMMON_KEYS - 2 + 6 + warn, "%d members", j->ntop);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		CHECK(!strcmp(m[i].key, keys[i]), "member %zu is %s, want %s",
		      i, m[i].key, keys[i]);
	json_string_of(&m[0], j);
	what = "json event: attach or detach";
	CHECK(j->strlen == strlen(name) && !memcmp(j->str, name, j->strlen),
	      "%.*s", (int)m[0].len, m[0].start);
	json_string_of(&m[1], j);
	check_json_u64(&m[2], e->args[0]);
}

static void check_json(const char *line, size_t n, const struct event *e,
		       bool warn)
{
	static struct jparser j;
	enum jtype type;
	int nresult;

	check_line(line, n, false);
	what = "valid JSON";
	CHECK(json_valid(&j, line, n - 1, &type), "%.*s", (int)n, line);
	what = "a JSON object";
	CHECK(type == J_OBJECT && j.ntop >= COMMON_KEYS + 3, "%d members: %.*s",
	      j.ntop, (int)n, line);
	check_json_common(&j, e);
	if (no_call(e)) {
		check_json_implicit(&j, e, warn);
		return;
	}
	nresult = j.ntop - 3 - warn;
	if (e->syscall == SYS_SHMGET) {
		what = "shmget's JSON has the documented fields";
		CHECK(j.ntop == 20 + warn, "%d members: %.*s", j.ntop, (int)n, line);
		check_json_shmget(&j, e);
	}
	check_json_result(&j, nresult, e);
	if (warn) {
		what = "json findings: an array, last";
		CHECK(!strcmp(j.top[j.ntop - 1].key, "findings") &&
		      j.top[j.ntop - 1].type == J_ARRAY, "%s", j.top[j.ntop - 1].key);
	}
}

/* -e: ten fields whatever the call, the arguments last. */
static void check_lifecycle(const char *line, size_t n, const struct event *e)
{
	char copy[MAX_LINE + 1], *f[MAX_FIELDS], want[128];
	int nf = line_fields(line, n, copy, f);

	what = "lifecycle field count";
	CHECK(nf == 10, "%d fields: %.*s", nf, (int)n, line);
	check_dec_field("lifecycle PID", f[0], e->pid);
	check_dec_field("lifecycle TID", f[1], e->tid);
	what = "lifecycle RET";
	ret_text(e, want);
	CHECK(!strcmp(f[7], want) ||
	      (!no_call(e) && is_error(e->ret) && f[7][0] == 'E' && f[7][1]),
	      "got %s, want %s", f[7], want);
}

/* --stable: nine fields (no latency), the first process and thread. */
static void check_stable(const char *line, size_t n)
{
	char copy[MAX_LINE + 1], *f[MAX_FIELDS];
	int nf = line_fields(line, n, copy, f);

	what = "stable field count";
	CHECK(nf == 9, "%d fields: %.*s", nf, (int)n, line);
	what = "stable ordinals";
	CHECK(!strcmp(f[0], "P1") && !strcmp(f[1], "T1"), "%s %s", f[0], f[1]);
}

/* ---- The target ------------------------------------------------------------ */

static void format_twice(struct output *o, const struct event *e,
			 const struct annotation *a, char *buf, size_t cap,
			 size_t *len)
{
	struct sink s = { .buf = buf, .cap = cap };
	size_t first;

	format_event(o, &s, e, a);
	what = "the line fits the writer's reserve";
	CHECK(!s.overflow && s.len < MAX_LINE, "%zu bytes", s.len);
	first = s.len;
	/* Again, now from the cached time prefix: the same line. */
	format_event(o, &s, e, a);
	what = "formatting is repeatable (time cache)";
	CHECK(s.len == 2 * first && !memcmp(buf, buf + first, first),
	      "%.*s vs %.*s", (int)first, buf, (int)(s.len - first), buf + first);
	*len = first;
}

/* Field by field: a bool may only hold 0 or 1. */
static struct annotation *annotation_from(const uint8_t *d, size_t n,
					  struct annotation *a)
{
	uint8_t raw[32] = { 0 };

	memcpy(raw, d, n < sizeof(raw) ? n : sizeof(raw));
	memset(a, 0, sizeof(*a));
	a->key_known = raw[0] & 1;
	a->seg_known = raw[0] & 2;
	a->created = (int8_t)raw[1];
	memcpy(&a->key, raw + 4, 4);
	memcpy(&a->shmid, raw + 8, 4);
	memcpy(&a->seg.uid, raw + 12, 4);
	memcpy(&a->seg.cuid, raw + 16, 4);
	memcpy(&a->seg.key, raw + 20, 4);
	return a;
}

/*
 * The input is a record as the ring buffer would hold it, then what the
 * segment tables would add (any values: the formatter must cope).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct output o;
	static struct stable st;
	static char buf[4 * MAX_LINE];
	struct sink sink;
	struct annotation a, *ap = NULL;
	struct event e;
	size_t len;

	memset(&e, 0, sizeof(e));
	memcpy(&e, data, size < sizeof(e) ? size : sizeof(e));
	if (size > sizeof(e))
		ap = annotation_from(data + sizeof(e), size - sizeof(e), &a);
	/* As the pipeline annotates it. */
	if (ap)
		ap->findings = findings_check(&e, ap);

	output_init(&o, -1, OUT_TEXT, false);
	format_twice(&o, &e, ap, buf, sizeof(buf), &len);
	check_text(buf, len, &e, false);

	output_init(&o, -1, OUT_TEXT, true);
	format_twice(&o, &e, ap, buf, sizeof(buf), &len);
	check_text(buf, len, &e, true);

	output_init(&o, -1, OUT_TEXT, false);
	o.lifecycle = true;
	format_twice(&o, &e, ap, buf, sizeof(buf), &len);
	check_lifecycle(buf, len, &e);

	output_init(&o, -1, OUT_TEXT, false);
	o.lifecycle = true;
	o.stable = &st;
	sink = (struct sink){ .buf = buf, .cap = sizeof(buf) };
	format_event(&o, &sink, &e, ap);
	check_stable(buf, sink.len);
	stable_free(&st);

	output_init(&o, -1, OUT_JSON, false);
	format_twice(&o, &e, ap, buf, sizeof(buf), &len);
	check_json(buf, len, &e, false);

	output_init(&o, -1, OUT_JSON, false);
	o.warn = true;
	format_twice(&o, &e, ap, buf, sizeof(buf), &len);
	check_json(buf, len, &e, true);
	return 0;
}
