// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * src/output.c: format_event's lines, text (-T, -C, the lifecycle
 * layout) and JSON, and the header that goes over the columns.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "findings.h"
#include "output.h"
#include "syscalls.h"
#include "unit.h"

/* Large (its buffer), and set up afresh by output_init in every case. */
static struct output out;

/* Splits a line into its whitespace-separated fields, in place. */
static size_t split_fields(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *save = NULL, *f;

	for (f = strtok_r(line, " \n", &save); f;
	     f = strtok_r(NULL, " \n", &save)) {
		if (n < max)
			fields[n] = f;
		n++;
	}
	return n;
}

static bool is_digits(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

/* "D" a digit, anything else itself. */
static bool matches(const char *p, const char *pattern)
{
	if (strlen(p) != strlen(pattern))
		return false;
	for (; *p; p++, pattern++) {
		if (*pattern == 'D' ? !is_digits(p, 1) : *p != *pattern)
			return false;
	}
	return true;
}

static uint64_t boot_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static struct event sample_event(void)
{
	struct event e = {
		.ts_ns = boot_now_ns(),
		.latency_ns = 1234567,
		.ret = -2,
		.args = { 0x1234abcd, 4096, 0 },
		.pid = 181,
		.tid = 182,
		.uid = 1000,
		.gid = 1001,
		.syscall = SYS_SHMGET,
		.abi = ABI_COMPAT,
		.comm = "bash",
	};
	return e;
}

/* One line of text, and that it is exactly one line. */
static void expect_one_line(struct tcase *tc, struct text *t)
{
	const char *nl = memchr(t->buf, '\n', t->s.len);

	expect_true(tc, !t->s.overflow, "no overflow", "overflow");
	expect_true(tc, nl && nl == t->buf + t->s.len - 1,
		    "one line ending in one newline", text_str(t));
}

struct text_line_case {
	const char *name;
	struct event e;
	const char *fields[10];
};

static const struct text_line_case text_line_cases[] = {
	{ "enoent compat", {
		.latency_ns = 1234567, .ret = -2,
		.args = { 0x1234abcd, 4096, 0 },
		.pid = 181, .tid = 182, .uid = 1000, .abi = ABI_COMPAT,
		.comm = "bash" },
	  { "181", "182", "1000", "bash", COMPAT, "0x1234abcd", "4096",
	    "000", "ENOENT", "1234.567" } },
	{ "success native", {
		.latency_ns = 5, .ret = 102432791,
		.args = { 0, 2097152, 0x200 | 0x800 | 0x54000000 | 0600 },
		.pid = 1, .tid = 1, .uid = 0, .abi = ABI_NATIVE,
		.comm = "postgres" },
	  { "1", "1", "0", "postgres", NATIVE, "IPC_PRIVATE", "2097152",
	    "IPC_CREAT|SHM_HUGETLB|SHM_HUGE_2MB|0600", "102432791",
	    "0.005" } },
	{ "abi out of range", {
		.latency_ns = 1000, .ret = -17,
		.args = { 0xfdb97531, 8192, 0x200 | 0x400 | 0644 },
		.pid = 4294967295u, .tid = 4294967295u, .uid = 65534,
		.abi = 7, .comm = "a b" },
	  { "4294967295", "4294967295", "65534", "a\\x20b", "unknown",
	    "0xfdb97531", "8192", "IPC_CREAT|IPC_EXCL|0644", "EEXIST",
	    "1.000" } },
	{ "registers truncated", {
		.latency_ns = 999, .ret = 0,
		.args = { 0xffffffff00000001ULL, 0x100000000ULL,
			  0xdead000000000180ULL },
		.pid = 2, .tid = 3, .uid = 4, .abi = ABI_NATIVE,
		.comm = "abcdefghijklmnop" },
	  { "2", "3", "4", "abcdefghijklmnop", NATIVE, "0x00000001",
	    "4294967296", "0600", "0", "0.999" } },
	{ "empty comm long flags", {
		.latency_ns = 12345678901ULL, .ret = -4000,
		.args = { 1, 1, 0xffffffff },
		.pid = 5, .tid = 6, .uid = 7, .abi = ABI_COMPAT },
	  { "5", "6", "7", "\\x00", COMPAT, "0x00000001", "1",
	    "IPC_CREAT|IPC_EXCL|SHM_HUGETLB|SHM_NORESERVE|0x3ffe000|63<<SHM_HUGE_SHIFT|0777",
	    "E4000", "12345678.901" } },
};

static const char *const column_names[10] = {
	"PID", "TID", "UID", "COMM", "ABI", "KEY", "SIZE", "SHMFLG", "RET",
	"LAT(us)",
};

static void check_text_fields(struct tcase *tc, char **fields, size_t n,
			      const char *const *exp, size_t n_exp)
{
	char exp_n[24], got_n[24];
	size_t i;

	snprintf(exp_n, sizeof(exp_n), "%zu fields", n_exp);
	snprintf(got_n, sizeof(got_n), "%zu fields", n);
	expect_str(tc, exp_n, got_n);
	for (i = 0; i < n_exp && i < n; i++) {
		if (exp[i])
			expect_str(tc, exp[i], fields[i]);
	}
}

static void test_format_text(void)
{
	struct tcase tc;
	struct text t;
	char *fields[16];
	size_t i, n;

	output_init(&out, -1, OUT_TEXT, false);
	for (i = 0; i < ARRAY_SIZE(text_line_cases); i++) {
		const struct text_line_case *lc = &text_line_cases[i];

		tc_begin(&tc, "format_event text %s", lc->name);
		format_event(&out, text_init(&t), &lc->e, NULL);
		expect_one_line(&tc, &t);
		n = split_fields(t.buf, fields, ARRAY_SIZE(fields));
		check_text_fields(&tc, fields, n, lc->fields, 10);
		tc_end(&tc);
	}

	/* Columns line up with the header's. */
	tc_begin(&tc, "output_header text");
	output_init(&out, -1, OUT_TEXT, false);
	output_header(&out);
	expect_true(&tc, out.sink.len > 0 &&
		    out.sink.buf[out.sink.len - 1] == '\n',
		    "one line ending in a newline", "no newline");
	out.sink.buf[out.sink.len] = '\0';
	n = split_fields(out.sink.buf, fields, ARRAY_SIZE(fields));
	check_text_fields(&tc, fields, n, column_names, 10);
	tc_end(&tc);
}

/* A known instant: 1700000000 s after the epoch. */
#define KNOWN_NS 1700000000123456789ULL

static void test_format_text_time(void)
{
	static const char *const exp[11] = {
		"22:13:20.123456", "181", "182", "1000", "bash", COMPAT,
		"0x1234abcd", "4096", "000", "ENOENT", "1234.567",
	};
	struct event e = sample_event();
	struct tcase tc;
	struct text t;
	char *fields[16];
	size_t n;

	tc_begin(&tc, "format_event text -T pattern");
	output_init(&out, -1, OUT_TEXT, true);
	format_event(&out, text_init(&t), &e, NULL);
	expect_one_line(&tc, &t);
	n = split_fields(t.buf, fields, ARRAY_SIZE(fields));
	expect_u64(&tc, 11, n);
	if (n == 11) {
		expect_true(&tc, matches(fields[0], "DD:DD:DD.DDDDDD"),
			    "HH:MM:SS.uuuuuu", fields[0]);
		check_text_fields(&tc, fields + 1, n - 1, exp + 1, 10);
	}
	tc_end(&tc);

	/* A fixed instant in UTC. */
	setenv("TZ", "UTC0", 1);
	tzset();
	tc_begin(&tc, "format_event text -T known instant");
	output_init(&out, -1, OUT_TEXT, true);
	out.boot_to_real_ns = 0;
	e.ts_ns = KNOWN_NS;
	format_event(&out, text_init(&t), &e, NULL);
	expect_one_line(&tc, &t);
	n = split_fields(t.buf, fields, ARRAY_SIZE(fields));
	check_text_fields(&tc, fields, n, exp, 11);
	tc_end(&tc);
}

static void expect_contains(struct tcase *tc, const char *hay,
			    const char *needle)
{
	if (!strstr(hay, needle))
		tc_fail(tc, needle, strlen(needle), hay, strlen(hay));
}

/* The value of "time", checked against an RFC 3339 UTC pattern. */
static void expect_json_time(struct tcase *tc, const char *line)
{
	static const char key[] = "{\"time\":\"";
	char value[64] = "";
	const char *end;

	if (!strncmp(line, key, strlen(key))) {
		line += strlen(key);
		end = strchr(line, '"');
		if (end && (size_t)(end - line) < sizeof(value))
			memcpy(value, line, end - line);
	}
	expect_true(tc, matches(value, "DDDD-DD-DDTDD:DD:DD.DDDDDDDDDZ"),
		    "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ", value);
}

struct json_line_case {
	const char *name;
	struct event e;
	const char *has[24];
};

static const struct json_line_case json_line_cases[] = {
	{ "eexist", {
		.latency_ns = 1234567, .ret = -17,
		.args = { 0x1234abcd, 8192, 0x200 | 0600 },
		.pid = 181, .tid = 182, .uid = 1000, .gid = 1001,
		.ipc_ns = 4026532177u, .ns_pid = 1, .ns_tid = 2,
		.syscall = SYS_SHMGET, .abi = ABI_NATIVE, .comm = "bash" },
	  { "\"pid\":181,", "\"tid\":182,", "\"uid\":1000,", "\"gid\":1001,",
	    "\"ipc_ns\":4026532177,", "\"ns_pid\":1,", "\"ns_tid\":2,",
	    "\"container\":null,",
	    "\"comm\":\"bash\",", "\"abi\":\"" NATIVE "\"",
	    "\"syscall\":\"shmget\"", "\"key\":305441741,",
	    "\"size\":8192,", "\"shmflg\":896,",
	    "\"flags\":\"IPC_CREAT|0600\"", "\"ret\":-17,",
	    "\"errno\":\"EEXIST\"", "\"latency_ns\":1234567}" } },
	{ "success", {
		.latency_ns = 0, .ret = 102432791,
		.args = { 0, 4096, 0x200 | 0600 },
		.syscall = SYS_SHMGET, .abi = ABI_COMPAT, .comm = "a\"b\n" },
	  { "\"comm\":\"a\\\"b\\u000a\"", "\"abi\":\"" COMPAT "\"",
	    "\"key\":0,", "\"ret\":102432791,", "\"errno\":null",
	    "\"latency_ns\":0}" } },
	{ "16gb negative shmflg", {
		.latency_ns = 1, .ret = -22,
		.args = { 0xfdb97531, 2147483648ULL, 0x88000000 | 0x800 | 0600 },
		.syscall = SYS_SHMGET, .abi = ABI_NATIVE, .comm = "x" },
	  { "\"key\":4256789809,", "\"size\":2147483648,",
	    "\"shmflg\":2281703808,",
	    "\"flags\":\"SHM_HUGETLB|SHM_HUGE_16GB|0600\"",
	    "\"ret\":-22,", "\"errno\":\"EINVAL\"" } },
	{ "registers truncated", {
		.ret = 3, .args = { 0xffffffff00000010ULL, 0x100000000ULL,
				    0xdead0000000001a4ULL },
		.syscall = SYS_SHMGET, .abi = ABI_NATIVE, .comm = "x" },
	  { "\"key\":16,", "\"size\":4294967296,", "\"shmflg\":420,",
	    "\"flags\":\"0644\"", "\"errno\":null" } },
	{ "out of range names", {
		.ret = -200, .syscall = 9, .abi = 7, .comm = "x" },
	  { "\"abi\":\"unknown\"", "\"syscall\":\"unknown\"",
	    "\"ret\":-200,", "\"errno\":\"E200\"" } },
};

static void test_format_json(void)
{
	struct tcase tc;
	struct text t;
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(json_line_cases); i++) {
		const struct json_line_case *lc = &json_line_cases[i];

		tc_begin(&tc, "format_event json %s", lc->name);
		output_init(&out, -1, OUT_JSON, false);
		format_event(&out, text_init(&t), &lc->e, NULL);
		expect_one_line(&tc, &t);
		text_str(&t);
		expect_json_time(&tc, t.buf);
		for (j = 0; j < ARRAY_SIZE(lc->has) && lc->has[j]; j++)
			expect_contains(&tc, t.buf, lc->has[j]);
		tc_end(&tc);
	}
}

/* -C and JSON's container: 12 hex digits, a machine name, or the host. */
static void test_format_container(void)
{
	static const char id[] =
		"f00dcafe0123456789abcdef0123456789abcdef0123456789abcdef01234567";
	static const struct {
		const char *name, *container, *text, *json;
	} cases[] = {
		{ "an id", id, "f00dcafe0123",
		  "\"container\":\"f00dcafe0123456789abcdef0123456789abcdef0123456789abcdef01234567\"," },
		{ "a machine name", "web", "web", "\"container\":\"web\"," },
		{ "a name with a space", "a b", "a\\x20b", "\"container\":\"a b\"," },
		{ "the host", NULL, "-", "\"container\":null," },
	};
	struct event e = { .syscall = SYS_SHMGET, .comm = "app" };
	struct annotation a = { .shmid = -1, .created = -1 };
	struct tcase tc;
	struct text t;
	char *fields[16];
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		a.container = cases[i].container;
		tc_begin(&tc, "format_event -C %s", cases[i].name);
		output_init(&out, -1, OUT_TEXT, false);
		out.containers = true;
		format_event(&out, text_init(&t), &e, &a);
		expect_one_line(&tc, &t);
		n = split_fields(t.buf, fields, ARRAY_SIZE(fields));
		expect_u64(&tc, 11, n);
		if (n)
			expect_str(&tc, cases[i].text, fields[0]);
		tc_end(&tc);
		tc_begin(&tc, "format_event json container %s", cases[i].name);
		output_init(&out, -1, OUT_JSON, false);
		format_event(&out, text_init(&t), &e, &a);
		expect_contains(&tc, text_str(&t), cases[i].json);
		tc_end(&tc);
	}
	tc_begin(&tc, "output_header -C -T: TIME, CONTAINER, then the columns");
	output_init(&out, -1, OUT_TEXT, true);
	out.containers = true;
	output_header(&out);
	out.sink.buf[out.sink.len] = '\0';
	n = split_fields(out.sink.buf, fields, ARRAY_SIZE(fields));
	expect_u64(&tc, 12, n);
	if (n >= 3) {
		expect_str(&tc, "TIME", fields[0]);
		expect_str(&tc, "CONTAINER", fields[1]);
		expect_str(&tc, "PID", fields[2]);
	}
	tc_end(&tc);
}

/*
 * A name anyone who makes a cgroup can choose: inside a finding's
 * reason it is escaped as JSON, so it cannot end the string and add keys.
 */
static void test_hostile_reason(void)
{
	struct event e = { .syscall = SYS_SHMGET, .comm = "app",
			   .ipc_ns = 4026531839u, .args = { 1, 4096, 01000 | 0600 },
			   .ret = 5 };
	struct annotation a = { .shmid = -1, .created = 1,
				.container = "x\",\"finding\":\"ok\n\033[2J",
				.findings = 1u << FINDING_SHARED_IPC };
	struct tcase tc;
	struct text t;

	tc_begin(&tc, "format_event json: a container name in a reason stays one string");
	output_init(&out, -1, OUT_JSON, false);
	out.warn = true;
	format_event(&out, text_init(&t), &e, &a);
	expect_one_line(&tc, &t);
	expect_contains(&tc, text_str(&t),
			"\"findings\":[{\"finding\":\"shared-ipc\",\"reason\":\"container "
			"x\\\",\\\"finding\\\":\\\"ok\\u000a\\u001b[2J uses the host's IPC "
			"namespace: the host and every container sharing it can reach "
			"these segments\"}]");
	tc_end(&tc);
}

static void test_format_json_time(void)
{
	struct event e = sample_event();
	struct tcase tc;
	struct text t;

	tc_begin(&tc, "format_event json time now");
	output_init(&out, -1, OUT_JSON, false);
	format_event(&out, text_init(&t), &e, NULL);
	expect_one_line(&tc, &t);
	expect_json_time(&tc, text_str(&t));
	tc_end(&tc);

	/* JSON time is UTC whatever TZ says. */
	setenv("TZ", "EST5", 1);
	tzset();
	tc_begin(&tc, "format_event json time known instant");
	output_init(&out, -1, OUT_JSON, false);
	out.boot_to_real_ns = 0;
	e.ts_ns = KNOWN_NS;
	format_event(&out, text_init(&t), &e, NULL);
	expect_one_line(&tc, &t);
	expect_contains(&tc, text_str(&t),
			"{\"time\":\"2023-11-14T22:13:20.123456789Z\",");
	tc_end(&tc);
	setenv("TZ", "UTC0", 1);
	tzset();
}

/* The lifecycle layout: 10 fields whatever the syscall. */
static void test_format_lifecycle(void)
{
	static const struct {
		struct event e;
		struct annotation a;
		const char *out;
	} cases[] = {
		{ { .pid = 7, .tid = 8, .comm = "app", .syscall = SYS_SHMAT,
		    .args = { 32769, 0, 010000 }, .ret = 0x7f0000001000,
		    .latency_ns = 2500 },
		  { .key_known = true, .key = 0x1234abcd, .shmid = 32769 },
		  "7 8 0 app " NATIVE " shmat 0x1234abcd 0x7f0000001000 2.500 shmid=32769,shmaddr=NULL,shmflg=SHM_RDONLY\n" },
		{ { .pid = 7, .tid = 8, .comm = "app", .syscall = SYS_SHMDT,
		    .abi = ABI_COMPAT, .args = { 0xf7f6f000 }, .ret = -22 },
		  { .shmid = -1 },
		  "7 8 0 app " COMPAT " shmdt - EINVAL 0.000 shmaddr=0xf7f6f000\n" },
		/* IPC_64 is a version only where the kernel parses one. */
		{ { .pid = 7, .tid = 8, .comm = "app", .syscall = SYS_SHMCTL,
		    .abi = ABI_COMPAT, .args = { 5, 0x102, 0x7ffd0000 } },
		  { .key_known = true, .key = 0, .shmid = 5 },
		  "7 8 0 app " COMPAT " shmctl IPC_PRIVATE 0 0.000 shmid=5,cmd=IPC_STAT,buf=0x7ffd0000\n" },
		{ { .pid = 7, .tid = 8, .comm = "app", .syscall = SYS_SHMCTL,
		    .args = { 5, 0x102, 0x7ffd0000 }, .ret = -22 },
		  { .key_known = true, .key = 0, .shmid = 5 },
		  "7 8 0 app " NATIVE " shmctl IPC_PRIVATE EINVAL 0.000 shmid=5,cmd=IPC_64|IPC_STAT,buf=0x7ffd0000\n" },
		{ { .pid = 7, .tid = 8, .comm = "app", .syscall = SYS_SHMGET,
		    .args = { 0x42, 4096, 01000 | 0600 }, .ret = 3 },
		  { .key_known = true, .key = 0x42, .created = 1 },
		  "7 8 0 app " NATIVE " shmget 0x00000042 3 0.000 size=4096,shmflg=IPC_CREAT|0600,created=true\n" },
	};
	struct tcase tc;
	struct text t;
	char squeezed[TEXT_MAX];
	size_t i;

	output_init(&out, -1, OUT_TEXT, false);
	out.lifecycle = true;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		tc_begin(&tc, "format_event lifecycle %s",
			 syscall_name(cases[i].e.syscall));
		format_event(&out, text_init(&t), &cases[i].e, &cases[i].a);
		expect_str(&tc, cases[i].out, squeeze(text_str(&t), squeezed));
		tc_end(&tc);
	}
}

void test_output(void)
{
	test_format_text();
	test_format_text_time();
	test_format_json();
	test_format_json_time();
	test_format_container();
	test_hostile_reason();
	test_format_lifecycle();
}
