// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of the decoders, the output formats and the value parsers.
 *
 * Prints one line per case, "PASS: unit: <name>" or
 * "FAIL: unit: <name>: expected '<x>' got '<y>'", and exits 1 if any
 * case failed. Every expected value is a literal taken from the kernel's
 * uapi headers (linux/ipc.h, linux/shm.h, asm-generic/errno*.h) and
 * strace's output, never computed by the code under test.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/btf.h>
#include "btfcache.h"
#include "cli.h"
#include "container.h"
#include "decode.h"
#include "findings.h"
#include "metrics.h"
#include "fmt.h"
#include "output.h"
#include "stable.h"
#include "summary.h"
#include "syscalls.h"
#include "shmtrace.h"

#include "util.h"

/* The ABI names expected, written out here for each architecture. */
#if defined(__x86_64__)
#define NATIVE "x86_64"
#define COMPAT "i386"
#elif defined(__aarch64__)
#define NATIVE "aarch64"
#define COMPAT "arm"
#endif

/* ---- the harness ---------------------------------------------------- */

#define TEXT_MAX 2048

struct tcase {
	char name[128];
	bool failed;
	char expected[TEXT_MAX];
	char got[TEXT_MAX];
};

static unsigned int n_cases, n_failed;

static void tc_begin(struct tcase *tc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void tc_begin(struct tcase *tc, const char *fmt, ...)
{
	va_list ap;

	memset(tc, 0, sizeof(*tc));
	va_start(ap, fmt);
	vsnprintf(tc->name, sizeof(tc->name), fmt, ap);
	va_end(ap);
}

/* Copies n bytes of src into dst: \\ for a backslash, \xHH unprintables. */
static void printable(char *dst, size_t cap, const char *src, size_t n)
{
	size_t i, len = 0;

	for (i = 0; i < n && len + 5 < cap; i++) {
		unsigned char c = src[i];

		if (c == '\\') {
			dst[len++] = '\\';
			dst[len++] = '\\';
		} else if (c >= 0x20 && c < 0x7f) {
			dst[len++] = c;
		} else {
			len += snprintf(dst + len, cap - len, "\\x%02x", c);
		}
	}
	dst[len] = '\0';
}

/* Records the first mismatch of a case: later ones add nothing. */
static void tc_fail(struct tcase *tc, const char *exp, size_t exp_n,
		    const char *got, size_t got_n)
{
	if (tc->failed)
		return;
	tc->failed = true;
	printable(tc->expected, sizeof(tc->expected), exp, exp_n);
	printable(tc->got, sizeof(tc->got), got, got_n);
}

static void expect_mem(struct tcase *tc, const char *exp, size_t exp_n,
		       const char *got, size_t got_n)
{
	if (exp_n != got_n || memcmp(exp, got, exp_n))
		tc_fail(tc, exp, exp_n, got, got_n);
}

static void expect_str(struct tcase *tc, const char *exp, const char *got)
{
	if (!got)
		got = "(null)";
	expect_mem(tc, exp, strlen(exp), got, strlen(got));
}

static void expect_u64(struct tcase *tc, uint64_t exp, uint64_t got)
{
	char e[32], g[32];

	if (exp == got)
		return;
	snprintf(e, sizeof(e), "%llu", (unsigned long long)exp);
	snprintf(g, sizeof(g), "%llu", (unsigned long long)got);
	tc_fail(tc, e, strlen(e), g, strlen(g));
}

/* A property that has no single expected string. */
static void expect_true(struct tcase *tc, bool ok, const char *what,
			const char *got)
{
	if (!ok)
		tc_fail(tc, what, strlen(what), got, strlen(got));
}

static void tc_end(struct tcase *tc)
{
	n_cases++;
	if (!tc->failed) {
		printf("PASS: unit: %s\n", tc->name);
		return;
	}
	n_failed++;
	printf("FAIL: unit: %s: expected '%s' got '%s'\n", tc->name,
	       tc->expected, tc->got);
}

/* A sink over buf that always leaves room for a terminating NUL. */
struct text {
	struct sink s;
	char buf[TEXT_MAX];
};

static struct sink *text_init(struct text *t)
{
	t->s = (struct sink){ .buf = t->buf, .cap = sizeof(t->buf) - 1 };
	return &t->s;
}

static const char *text_str(struct text *t)
{
	t->buf[t->s.len] = '\0';
	return t->buf;
}

static void expect_text(struct tcase *tc, struct text *t, const char *exp)
{
	expect_true(tc, !t->s.overflow, "no overflow", "overflow");
	expect_str(tc, exp, text_str(t));
}

/* ---- decode_key ----------------------------------------------------- */

struct u32_case {
	uint32_t in;
	const char *out;
};

static const struct u32_case key_cases[] = {
	{ 0, "IPC_PRIVATE" },
	{ 0x1234abcd, "0x1234abcd" },
	{ 1, "0x00000001" },
	{ 0xabc, "0x00000abc" },
	{ 0x7fffffff, "0x7fffffff" },
	{ 0x80000000, "0x80000000" },
	{ 0xfdb97531, "0xfdb97531" },
	{ 0xffffffff, "0xffffffff" },
};

static void test_decode_key(void)
{
	struct tcase tc;
	struct text t;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(key_cases); i++) {
		tc_begin(&tc, "decode_key %s", key_cases[i].out);
		decode_key(text_init(&t), key_cases[i].in);
		expect_text(&tc, &t, key_cases[i].out);
		tc_end(&tc);
	}
}

/* ---- decode_shmflg -------------------------------------------------- */

static const struct u32_case shmflg_cases[] = {
	/* Permission bits alone, like strace's %#03o. */
	{ 0, "000" },
	{ 01, "001" },
	{ 044, "044" },
	{ 0600, "0600" },
	{ 0644, "0644" },
	{ 0755, "0755" },
	{ 0777, "0777" },
	/* Each flag alone. */
	{ 0x200, "IPC_CREAT|000" },
	{ 0x400, "IPC_EXCL|000" },
	{ 0x800, "SHM_HUGETLB|000" },
	{ 0x1000, "SHM_NORESERVE|000" },
	/* Every named huge page size. */
	{ 0x40000000, "SHM_HUGE_64KB|000" },
	{ 0x4c000000, "SHM_HUGE_512KB|000" },
	{ 0x50000000, "SHM_HUGE_1MB|000" },
	{ 0x54000000, "SHM_HUGE_2MB|000" },
	{ 0x5c000000, "SHM_HUGE_8MB|000" },
	{ 0x60000000, "SHM_HUGE_16MB|000" },
	{ 0x64000000, "SHM_HUGE_32MB|000" },
	{ 0x70000000, "SHM_HUGE_256MB|000" },
	{ 0x74000000, "SHM_HUGE_512MB|000" },
	{ 0x78000000, "SHM_HUGE_1GB|000" },
	{ 0x7c000000, "SHM_HUGE_2GB|000" },
	{ 0x88000000, "SHM_HUGE_16GB|000" },
	/* Size codes without a name. */
	{ 0x04000000, "1<<SHM_HUGE_SHIFT|000" },
	{ 0x44000000, "17<<SHM_HUGE_SHIFT|000" },
	{ 0x58000000, "22<<SHM_HUGE_SHIFT|000" },
	{ 0xfc000000, "63<<SHM_HUGE_SHIFT|000" },
	/* Unknown bits, as one number. */
	{ 0x2000, "0x2000|000" },
	{ 0x2000000, "0x2000000|000" },
	{ 0x3ffe000, "0x3ffe000|000" },
	{ 0x2000 | 0x100000 | 0600, "0x102000|0600" },
	/* Combinations and strace's examples. */
	{ 0x200 | 0600, "IPC_CREAT|0600" },
	{ 0x200 | 0x400 | 0644, "IPC_CREAT|IPC_EXCL|0644" },
	{ 0x200 | 0x800 | 0x54000000 | 0600,
	  "IPC_CREAT|SHM_HUGETLB|SHM_HUGE_2MB|0600" },
	{ 0x800 | 0x78000000 | 0600, "SHM_HUGETLB|SHM_HUGE_1GB|0600" },
	{ 0x1000 | 0x2000000 | 0755, "SHM_NORESERVE|0x2000000|0755" },
	{ 0x800 | 0x1000 | 0x2000000 | 0755,
	  "SHM_HUGETLB|SHM_NORESERVE|0x2000000|0755" },
	{ 0x800 | 0xfc000000 | 0777, "SHM_HUGETLB|63<<SHM_HUGE_SHIFT|0777" },
	{ 0x88000000 | 0x800 | 0600, "SHM_HUGETLB|SHM_HUGE_16GB|0600" },
	{ 0x200 | 0x400 | 0x800 | 0x1000 | 0x2000 | 0x44000000 | 01,
	  "IPC_CREAT|IPC_EXCL|SHM_HUGETLB|SHM_NORESERVE|0x2000|17<<SHM_HUGE_SHIFT|001" },
	{ 0xffffffff,
	  "IPC_CREAT|IPC_EXCL|SHM_HUGETLB|SHM_NORESERVE|0x3ffe000|63<<SHM_HUGE_SHIFT|0777" },
};

static void test_decode_shmflg(void)
{
	struct tcase tc;
	struct text t;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(shmflg_cases); i++) {
		tc_begin(&tc, "decode_shmflg %#x", shmflg_cases[i].in);
		decode_shmflg(text_init(&t), shmflg_cases[i].in);
		expect_text(&tc, &t, shmflg_cases[i].out);
		tc_end(&tc);
	}
}

/* ---- errno_name, decode_errno, decode_ret --------------------------- */

struct errno_case {
	int64_t err;
	const char *name;
};

/* Every Linux errno 1..133 but the aliases; 41 and 58 have no name. */
#define E(x) { x, #x }
static const struct errno_case errno_cases[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO),
	E(E2BIG), E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM),
	E(EACCES), E(EFAULT), E(ENOTBLK), E(EBUSY), E(EEXIST), E(EXDEV),
	E(ENODEV), E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE),
	E(ENOTTY), E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS),
	E(EMLINK), E(EPIPE), E(EDOM), E(ERANGE), E(EDEADLK),
	E(ENAMETOOLONG), E(ENOLCK), E(ENOSYS), E(ENOTEMPTY), E(ELOOP),
	E(ENOMSG), E(EIDRM), E(ECHRNG), E(EL2NSYNC), E(EL3HLT), E(EL3RST),
	E(ELNRNG), E(EUNATCH), E(ENOCSI), E(EL2HLT), E(EBADE), E(EBADR),
	E(EXFULL), E(ENOANO), E(EBADRQC), E(EBADSLT), E(EBFONT), E(ENOSTR),
	E(ENODATA), E(ETIME), E(ENOSR), E(ENONET), E(ENOPKG), E(EREMOTE),
	E(ENOLINK), E(EADV), E(ESRMNT), E(ECOMM), E(EPROTO), E(EMULTIHOP),
	E(EDOTDOT), E(EBADMSG), E(EOVERFLOW), E(ENOTUNIQ), E(EBADFD),
	E(EREMCHG), E(ELIBACC), E(ELIBBAD), E(ELIBSCN), E(ELIBMAX),
	E(ELIBEXEC), E(EILSEQ), E(ERESTART), E(ESTRPIPE), E(EUSERS),
	E(ENOTSOCK), E(EDESTADDRREQ), E(EMSGSIZE), E(EPROTOTYPE),
	E(ENOPROTOOPT), E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT),
	E(EOPNOTSUPP), E(EPFNOSUPPORT), E(EAFNOSUPPORT), E(EADDRINUSE),
	E(EADDRNOTAVAIL), E(ENETDOWN), E(ENETUNREACH), E(ENETRESET),
	E(ECONNABORTED), E(ECONNRESET), E(ENOBUFS), E(EISCONN), E(ENOTCONN),
	E(ESHUTDOWN), E(ETOOMANYREFS), E(ETIMEDOUT), E(ECONNREFUSED),
	E(EHOSTDOWN), E(EHOSTUNREACH), E(EALREADY), E(EINPROGRESS),
	E(ESTALE), E(EUCLEAN), E(ENOTNAM), E(ENAVAIL), E(EISNAM),
	E(EREMOTEIO), E(EDQUOT), E(ENOMEDIUM), E(EMEDIUMTYPE), E(ECANCELED),
	E(ENOKEY), E(EKEYEXPIRED), E(EKEYREVOKED), E(EKEYREJECTED),
	E(EOWNERDEAD), E(ENOTRECOVERABLE), E(ERFKILL), E(EHWPOISON),
};
#undef E

/* include/linux/errno.h: seen by syscall hooks, never by programs. */
static const struct errno_case kernel_errno_cases[] = {
	{ 512, "ERESTARTSYS" },
	{ 513, "ERESTARTNOINTR" },
	{ 514, "ERESTARTNOHAND" },
	{ 515, "ENOIOCTLCMD" },
	{ 516, "ERESTART_RESTARTBLOCK" },
	{ 517, "EPROBE_DEFER" },
	{ 518, "EOPENSTALE" },
	{ 519, "ENOPARAM" },
	{ 521, "EBADHANDLE" },
	{ 522, "ENOTSYNC" },
	{ 523, "EBADCOOKIE" },
	{ 524, "ENOTSUPP" },
	{ 525, "ETOOSMALL" },
	{ 526, "ESERVERFAULT" },
	{ 527, "EBADTYPE" },
	{ 528, "EJUKEBOX" },
	{ 529, "EIOCBQUEUED" },
	{ 530, "ERECALLCONFLICT" },
	{ 531, "ENOGRACE" },
};

/* Numbers without a name: decode_errno prints E<number>. */
static const struct errno_case unnamed_errno_cases[] = {
	{ 0, "E0" },
	{ 41, "E41" },
	{ 58, "E58" },
	{ 134, "E134" },
	{ 200, "E200" },
	{ 511, "E511" },
	{ 520, "E520" },
	{ 532, "E532" },
	{ 4000, "E4000" },
	{ 4095, "E4095" },
};

/* A named errno: all three functions agree on the name. */
static void check_named_errno(const struct errno_case *c)
{
	struct tcase tc;
	struct text t;

	tc_begin(&tc, "errno %lld %s", (long long)c->err, c->name);
	expect_str(&tc, c->name, errno_name(c->err));
	decode_errno(text_init(&t), c->err);
	expect_text(&tc, &t, c->name);
	decode_ret(text_init(&t), -c->err);
	expect_text(&tc, &t, c->name);
	tc_end(&tc);
}

static void test_errno_names(void)
{
	struct tcase tc;
	struct text t;
	size_t i;

	/* The table itself: 133 numbers minus the two unused ones. */
	tc_begin(&tc, "errno table covers 1..133");
	expect_u64(&tc, 131, ARRAY_SIZE(errno_cases));
	for (i = 0; i < ARRAY_SIZE(errno_cases); i++)
		expect_true(&tc, errno_cases[i].err >= 1 &&
			    errno_cases[i].err <= 133, "1..133",
			    errno_cases[i].name);
	tc_end(&tc);

	for (i = 0; i < ARRAY_SIZE(errno_cases); i++)
		check_named_errno(&errno_cases[i]);
	for (i = 0; i < ARRAY_SIZE(kernel_errno_cases); i++)
		check_named_errno(&kernel_errno_cases[i]);

	for (i = 0; i < ARRAY_SIZE(unnamed_errno_cases); i++) {
		const struct errno_case *c = &unnamed_errno_cases[i];

		tc_begin(&tc, "errno %lld unnamed", (long long)c->err);
		expect_true(&tc, !errno_name(c->err), "NULL",
			    errno_name(c->err) ? errno_name(c->err) : "");
		decode_errno(text_init(&t), c->err);
		expect_text(&tc, &t, c->name);
		tc_end(&tc);
	}
}

struct ret_case {
	int64_t ret;
	const char *out;
};

static const struct ret_case ret_cases[] = {
	{ 0, "0" },
	{ 1, "1" },
	{ 32769, "32769" },
	{ 102432791, "102432791" },
	{ 2147483647, "2147483647" },
	{ 4294967296LL, "4294967296" },
	{ INT64_MAX, "9223372036854775807" },
	{ -1, "EPERM" },
	{ -2, "ENOENT" },
	{ -17, "EEXIST" },
	{ -22, "EINVAL" },
	{ -28, "ENOSPC" },
	{ -200, "E200" },
	{ -512, "ERESTARTSYS" },
	{ -4095, "E4095" },
	/* Below -4095 a value is no errno (IS_ERR_VALUE). */
	{ -4096, "-4096" },
	{ INT64_MIN, "-9223372036854775808" },
};

static void test_decode_ret(void)
{
	struct tcase tc;
	struct text t;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ret_cases); i++) {
		tc_begin(&tc, "decode_ret %lld", (long long)ret_cases[i].ret);
		decode_ret(text_init(&t), ret_cases[i].ret);
		expect_text(&tc, &t, ret_cases[i].out);
		tc_end(&tc);
	}
}

/* ---- put_comm_text -------------------------------------------------- */

/* comm as the kernel copies it: 16 bytes, possibly with no NUL. */
struct comm_case {
	const char *name;
	char comm[TASK_COMM_LEN];
	const char *out;
};

static const struct comm_case comm_text_cases[] = {
	{ "plain", "bash", "bash" },
	{ "space", "a b", "a\\x20b" },
	{ "tab", "a\tb", "a\\x09b" },
	{ "newline", "a\nb", "a\\x0ab" },
	{ "carriage return", "a\rb", "a\\x0db" },
	{ "escape", "\x1b[31m", "\\x1b[31m" },
	{ "backslash", "a\\b", "a\\\\b" },
	{ "quotes", "a\"b'c", "a\"b'c" },
	{ "del", "a\x7f", "a\\x7f" },
	{ "byte 0x80", "\x80", "\\x80" },
	{ "high bytes", "\xc3\xa9\xff", "\\xc3\\xa9\\xff" },
	{ "empty", "", "\\x00" },
	{ "stops at nul", "ab\0cd", "ab" },
	{ "15 bytes", "abcdefghijklmno", "abcdefghijklmno" },
	{ "16 bytes no nul", "abcdefghijklmnop", "abcdefghijklmnop" },
	{ "16 bytes escaped", "a b c d e f g h ",
	  "a\\x20b\\x20c\\x20d\\x20e\\x20f\\x20g\\x20h\\x20" },
};

/* Nothing that splits a field or drives a terminal. */
static bool all_graphic(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] >= 0x7f)
			return false;
	return true;
}

static void test_put_comm_text(void)
{
	struct tcase tc;
	struct text t;
	size_t i;
	int c;

	for (i = 0; i < ARRAY_SIZE(comm_text_cases); i++) {
		const struct comm_case *cc = &comm_text_cases[i];

		tc_begin(&tc, "put_comm_text %s", cc->name);
		put_comm_text(text_init(&t), cc->comm, sizeof(cc->comm));
		expect_text(&tc, &t, cc->out);
		expect_true(&tc, all_graphic(t.buf, t.s.len),
			    "only bytes 0x21..0x7e", text_str(&t));
		tc_end(&tc);
	}

	/* Every byte value, alone and as the last of 16. */
	tc_begin(&tc, "put_comm_text every byte is graphic");
	for (c = 1; c < 256; c++) {
		char comm[TASK_COMM_LEN];

		memset(comm, c, sizeof(comm));
		put_comm_text(text_init(&t), comm, 1);
		expect_true(&tc, all_graphic(t.buf, t.s.len),
			    "only bytes 0x21..0x7e", text_str(&t));
		put_comm_text(text_init(&t), comm, sizeof(comm));
		expect_true(&tc, all_graphic(t.buf, t.s.len),
			    "only bytes 0x21..0x7e", text_str(&t));
	}
	tc_end(&tc);
}

/* ---- put_json_string ------------------------------------------------ */

struct json_case {
	const char *name;
	const char *in;
	const char *out;
};

static const struct json_case json_cases[] = {
	{ "plain", "bash", "\"bash\"" },
	{ "empty", "", "\"\"" },
	{ "quote", "a\"b", "\"a\\\"b\"" },
	{ "backslash", "a\\b", "\"a\\\\b\"" },
	{ "apostrophe and slash", "a'/b", "\"a'/b\"" },
	{ "space", "a b", "\"a b\"" },
	{ "newline", "a\nb", "\"a\\u000ab\"" },
	{ "tab", "\t", "\"\\u0009\"" },
	{ "byte 0x01", "\x01", "\"\\u0001\"" },
	{ "escape", "\x1b[0m", "\"\\u001b[0m\"" },
	{ "byte 0x1f", "\x1f", "\"\\u001f\"" },
	{ "del", "\x7f", "\"\\u007f\"" },
	{ "utf-8 2 bytes", "\xc3\xa9", "\"\xc3\xa9\"" },
	{ "utf-8 3 bytes", "\xe2\x82\xac", "\"\xe2\x82\xac\"" },
	{ "utf-8 4 bytes", "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"" },
	{ "utf-8 U+10FFFF", "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"" },
	{ "utf-8 U+00A0", "\xc2\xa0", "\"\xc2\xa0\"" },
	{ "C1 U+0080", "\xc2\x80", "\"\\u0080\"" },
	{ "C1 U+009B", "\xc2\x9b", "\"\\u009b\"" },
	{ "C1 U+009F", "\xc2\x9f", "\"\\u009f\"" },
	{ "lone 0xff", "a\xff" "b", "\"a\\u00ffb\"" },
	{ "lone continuation", "\x80", "\"\\u0080\"" },
	{ "truncated 3 bytes", "\xe2\x82", "\"\\u00e2\\u0082\"" },
	{ "truncated then ascii", "\xe2\x82x", "\"\\u00e2\\u0082x\"" },
	{ "lone 0xc2 at end", "a\xc2", "\"a\\u00c2\"" },
	{ "overlong C0 AF", "\xc0\xaf", "\"\\u00c0\\u00af\"" },
	{ "overlong E0 80 AF", "\xe0\x80\xaf",
	  "\"\\u00e0\\u0080\\u00af\"" },
	{ "surrogate ED A0 80", "\xed\xa0\x80",
	  "\"\\u00ed\\u00a0\\u0080\"" },
	{ "past U+10FFFF", "\xf4\x90\x80\x80",
	  "\"\\u00f4\\u0090\\u0080\\u0080\"" },
	{ "mixed", "\xc3\xa9\x1b\"\xff",
	  "\"\xc3\xa9\\u001b\\\"\\u00ff\"" },
};

static void test_put_json_string(void)
{
	struct tcase tc;
	struct text t;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(json_cases); i++) {
		const struct json_case *jc = &json_cases[i];

		tc_begin(&tc, "put_json_string %s", jc->name);
		put_json_string(text_init(&t), jc->in, strlen(jc->in));
		expect_text(&tc, &t, jc->out);
		tc_end(&tc);
	}

	/* A comm of 16 bytes with no NUL: n bounds the read. */
	tc_begin(&tc, "put_json_string 16 bytes no nul");
	put_json_string(text_init(&t), "abcdefghijklmnopXYZ", 16);
	expect_text(&tc, &t, "\"abcdefghijklmnop\"");
	tc_end(&tc);

	/* A multi-byte character cut by n is invalid, byte by byte. */
	tc_begin(&tc, "put_json_string sequence cut by n");
	put_json_string(text_init(&t), "ab\xc3\xa9", 3);
	expect_text(&tc, &t, "\"ab\\u00c3\"");
	tc_end(&tc);
}

/* ---- format_event --------------------------------------------------- */

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

/* ---- cli value parsers ---------------------------------------------- */

struct parse_case {
	const char *in;
	bool ok;
	uint64_t out;
};

struct parser {
	const char *name;
	int (*parse)(const char *s, uint64_t *out);
	const struct parse_case *cases;
	size_t n;
};

static int parse_u32_wide(const char *s, uint64_t *out)
{
	uint32_t v;
	int err = parse_u32(s, &v);

	*out = v;
	return err;
}

static int parse_key_wide(const char *s, uint64_t *out)
{
	uint32_t v;
	int err = parse_key(s, &v);

	*out = v;
	return err;
}

static const struct parse_case u32_cases[] = {
	{ "0", true, 0 },
	{ "181", true, 181 },
	{ "010", true, 10 },
	{ "0x10", false, 0 },
	{ "4294967295", true, 4294967295u },
	{ "4294967296", false, 0 },
	{ "18446744073709551616", false, 0 },
	{ "abc", false, 0 },
	{ "-1", false, 0 },
	{ "+1", false, 0 },
	{ "", false, 0 },
	{ " 1", false, 0 },
	{ "1 ", false, 0 },
	{ "12abc", false, 0 },
	{ "0xZZ", false, 0 },
};

static const struct parse_case key_parse_cases[] = {
	{ "IPC_PRIVATE", true, 0 },
	{ "0", true, 0 },
	{ "0x1234abcd", true, 0x1234abcd },
	{ "0X1234ABCD", true, 0x1234abcd },
	{ "010", true, 10 },
	{ "0x", false, 0 },
	{ "0x-1", false, 0 },
	{ "0x0x10", false, 0 },
	{ "305441741", true, 0x1234abcd },
	{ "0xfdb97531", true, 0xfdb97531 },
	{ "0xffffffff", true, 0xffffffff },
	{ "-1", true, 0xffffffff },
	{ "-2147483648", true, 0x80000000 },
	{ "-2147483649", false, 0 },
	{ "4294967296", false, 0 },
	{ "0x100000000", false, 0 },
	{ "0xZZ", false, 0 },
	{ "abc", false, 0 },
	{ "ipc_private", false, 0 },
	{ "IPC_PRIVATEX", false, 0 },
	{ "-", false, 0 },
	{ "--1", false, 0 },
	{ "-0x1", false, 0 },
	{ "", false, 0 },
};

static const struct parse_case seconds_cases[] = {
	{ "1", true, 1000 },
	{ "1.5", true, 1500 },
	{ ".5", true, 500 },
	{ "0.001", true, 1 },
	{ "10", true, 10000 },
	{ "1.001", true, 1001 },
	{ "0", false, 0 },
	{ "0.0", false, 0 },
	{ "0.0001", false, 0 },
	{ "-1", false, 0 },
	{ "abc", false, 0 },
	{ "inf", false, 0 },
	{ "nan", false, 0 },
	{ "1s", false, 0 },
	{ "", false, 0 },
	{ "1e10", false, 0 },
};

static const struct parse_case size_cases[] = {
	{ "4K", true, 4096 },
	{ "4k", true, 4096 },
	{ "4096", true, 4096 },
	{ "1M", true, 1048576 },
	{ "1m", true, 1048576 },
	{ "64K", true, 65536 },
	{ "1024M", true, 1073741824 },
	{ "1073741824", true, 1073741824 },
	{ "3000", false, 0 },
	{ "2048", false, 0 },
	{ "2K", false, 0 },
	{ "2048M", false, 0 },
	{ "3M", false, 0 },
	{ "0", false, 0 },
	{ "1G", true, 1ULL << 30 },
	{ "2G", false, 0 },
	{ "4KB", false, 0 },
	{ "K", false, 0 },
	{ "-4K", false, 0 },
	{ "0x1000", false, 0 },
	{ "", false, 0 },
	{ "abc", false, 0 },
	/* (2^44 + 1) M and (2^54 + 4) K wrap to 1M and 4K in 64 bits. */
	{ "17592186044417M", false, 0 },
	{ "18014398509481988K", false, 0 },
};

static const struct parser parsers[] = {
	{ "parse_u32", parse_u32_wide, u32_cases, ARRAY_SIZE(u32_cases) },
	{ "parse_key", parse_key_wide, key_parse_cases,
	  ARRAY_SIZE(key_parse_cases) },
	{ "parse_seconds_ms", parse_seconds_ms, seconds_cases,
	  ARRAY_SIZE(seconds_cases) },
	{ "parse_size", parse_size, size_cases, ARRAY_SIZE(size_cases) },
};

static void check_parse(const struct parser *p, const struct parse_case *c)
{
	char exp[32], got[32];
	uint64_t v = 0;
	struct tcase tc;
	int err;

	tc_begin(&tc, "%s '%s'", p->name, c->in);
	err = p->parse(c->in, &v);
	if (c->ok)
		snprintf(exp, sizeof(exp), "%llu", (unsigned long long)c->out);
	else
		snprintf(exp, sizeof(exp), "-EINVAL");
	if (!err)
		snprintf(got, sizeof(got), "%llu", (unsigned long long)v);
	else
		snprintf(got, sizeof(got), "%s",
			 err == -EINVAL ? "-EINVAL" : "other error");
	expect_str(&tc, exp, got);
	tc_end(&tc);
}

static void test_parsers(void)
{
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(parsers); i++)
		for (j = 0; j < parsers[i].n; j++)
			check_parse(&parsers[i], &parsers[i].cases[j]);
}


/* ---- shmat, shmdt, shmctl decoding ------------------------------------ */

static const struct u32_case shmat_flag_cases[] = {
	{ 0, "0" },
	{ 010000, "SHM_RDONLY" },
	{ 020000, "SHM_RND" },
	{ 040000, "SHM_REMAP" },
	{ 0100000, "SHM_EXEC" },
	{ 010000 | 0100000, "SHM_RDONLY|SHM_EXEC" },
	{ 010000 | 020000 | 040000 | 0100000,
	  "SHM_RDONLY|SHM_RND|SHM_REMAP|SHM_EXEC" },
	{ 01, "0x1" },
	{ 020000 | 0x1000000, "SHM_RND|0x1000000" },
};

static const struct u32_case shmctl_cmd_cases[] = {
	{ 0, "IPC_RMID" }, { 1, "IPC_SET" }, { 2, "IPC_STAT" },
	{ 3, "IPC_INFO" }, { 11, "SHM_LOCK" }, { 12, "SHM_UNLOCK" },
	{ 13, "SHM_STAT" }, { 14, "SHM_INFO" }, { 15, "SHM_STAT_ANY" },
	/* IPC_64 (0x100), which 32-bit callers add, is stripped. */
	{ 0x100, "IPC_RMID" }, { 0x102, "IPC_STAT" }, { 0x10d, "SHM_STAT" },
	{ 4, "4" }, { 77, "77" }, { 0xffffffff, "-1" },
};

static void run_u32_cases(const char *what, const struct u32_case *c, size_t n,
			  void (*decode)(struct sink *, uint64_t))
{
	struct tcase tc;
	struct text t;
	size_t i;

	for (i = 0; i < n; i++) {
		tc_begin(&tc, "%s %#x", what, c[i].in);
		decode(text_init(&t), c[i].in);
		expect_text(&tc, &t, c[i].out);
		tc_end(&tc);
	}
}

static void test_lifecycle_decoders(void)
{
	static const struct {
		unsigned int sys;
		int64_t ret;
		const char *out;
	} rets[] = {
		{ SYS_SHMAT, 0x7f0000001000, "0x7f0000001000" },
		{ SYS_SHMAT, 0xf7f6f000, "0xf7f6f000" },
		{ SYS_SHMAT, -22, "EINVAL" },
		{ SYS_SHMDT, 0, "0" },
		{ SYS_SHMCTL, 32769, "32769" },
		{ SYS_SHMGET, -2, "ENOENT" },
	};
	struct tcase tc;
	struct text t;
	size_t i;

	run_u32_cases("decode_shmat_flags", shmat_flag_cases,
		      ARRAY_SIZE(shmat_flag_cases), decode_shmat_flags);
	run_u32_cases("decode_shmctl_cmd", shmctl_cmd_cases,
		      ARRAY_SIZE(shmctl_cmd_cases), decode_shmctl_cmd);
	for (i = 0; i < ARRAY_SIZE(rets); i++) {
		tc_begin(&tc, "decode_result %s", rets[i].out);
		decode_result(text_init(&t), rets[i].ret,
			      syscall_desc(rets[i].sys)->ret == RET_ADDR);
		expect_text(&tc, &t, rets[i].out);
		tc_end(&tc);
	}
	tc_begin(&tc, "decode_addr NULL");
	decode_addr(text_init(&t), 0);
	expect_text(&tc, &t, "NULL");
	tc_end(&tc);
	tc_begin(&tc, "syscall_name out of range");
	expect_str(&tc, "unknown", syscall_name(9));
	tc_end(&tc);
}

/* Container ids in every runtime's cgroup path forms. */
static void test_container_paths(void)
{
#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H64B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	static const struct {
		const char *path, *id;	/* id NULL: the host */
	} cases[] = {
		{ "/docker/" H64, H64 },
		{ "/docker/" H64 "/init", H64 },
		{ "/system.slice/docker-" H64 ".scope", H64 },
		{ "/libpod_parent/libpod-" H64, H64 },
		{ "/machine.slice/libpod-" H64 ".scope", H64 },
		{ "/machine.slice/libpod-" H64 ".scope/container", H64 },
		{ "/machine.slice/libpod-conmon-" H64 ".scope", NULL },
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1b2c_3d4e.slice/cri-containerd-" H64 ".scope", H64 },
		{ "/kubepods/besteffort/pod1b2c3d4e-aaaa-bbbb-cccc-0123456789ab/" H64, H64 },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c.slice/crio-" H64 ".scope", H64 },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c.slice/crio-conmon-" H64 ".scope", NULL },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c.slice", NULL },
		{ "/machine.slice/systemd-nspawn@web.service", "web" },
		{ "/machine.slice/systemd-nspawn@web.service/payload", "web" },
		{ "/machine.slice/machine-db\\x2d1.scope", "db-1" },
		{ "/machine.slice/machine-a\\x5cx2d.scope", "a\\x2d" },	/* unescaped once */
		{ "/machine.slice/machine-a\\x00b.scope", "a\\x00b" },	/* no NUL */
		{ "/docker/" H64 "/docker/" H64B, H64B },	/* Docker in Docker */
		{ "/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", NULL },
		{ "/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg", NULL },
		{ "/docker/0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", NULL },
		{ "/user.slice/user-1000.slice/session-2.scope", NULL },
		{ "/", NULL },
		{ "", NULL },
	};
	char id[CONTAINER_ID_LEN];
	struct tcase tc;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		bool found = container_from_path(cases[i].path, id, sizeof(id));

		tc_begin(&tc, "container_from_path %.60s%s", cases[i].path,
			 strlen(cases[i].path) > 60 ? "..." : "");
		expect_str(&tc, cases[i].id ? cases[i].id : "(host)",
			   found ? id : "(host)");
		tc_end(&tc);
	}
#undef H64
#undef H64B
}

/* --fail-on's names: the findings', and four of its own. */
static void test_fail_on(void)
{
	static const struct {
		const char *in;
		int ret;
		unsigned int mask;
	} cases[] = {
		{ "leak", 0, FAIL_LEAK },
		{ "error,lost", 0, FAIL_ERROR | FAIL_LOST },
		{ "findings", 0, FAIL_FINDINGS },
		{ "world-access,key-squat", 0,
		  1u << FINDING_WORLD_ACCESS | 1u << FINDING_KEY_SQUAT },
		{ "shared-ipc,leak", 0, 1u << FINDING_SHARED_IPC | FAIL_LEAK },
		{ "", -EINVAL, 0 },
		{ "leak,", -EINVAL, 0 },
		{ "leaks", -EINVAL, 0 },
		{ "?", -EINVAL, 0 },
	};
	struct tcase tc;
	unsigned int mask;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		tc_begin(&tc, "parse_fail_on '%s'", cases[i].in);
		ret = parse_fail_on(cases[i].in, &mask);
		expect_u64(&tc, (uint64_t)(int64_t)cases[i].ret, (uint64_t)(int64_t)ret);
		if (!ret)
			expect_u64(&tc, cases[i].mask, mask);
		tc_end(&tc);
	}
	tc_begin(&tc, "fail_on_name");
	expect_str(&tc, "leak", fail_on_name(FAIL_LEAK));
	expect_str(&tc, "foreign-writer", fail_on_name(1u << FINDING_FOREIGN_WRITER));
	tc_end(&tc);
}

static void test_parse_listen(void)
{
	static const struct {
		const char *in;
		int ret;
		const char *addr;
		uint16_t port;
	} cases[] = {
		{ "9464", 0, "127.0.0.1", 9464 },
		{ "0.0.0.0:1", 0, "0.0.0.0", 1 },
		{ "10.1.2.3:65535", 0, "10.1.2.3", 65535 },
		{ "[::]:9464", 0, "::", 9464 },
		{ "[::1]:80", 0, "::1", 80 },
		{ "0", -EINVAL, NULL, 0 },
		{ "65536", -EINVAL, NULL, 0 },
		{ "-1", -EINVAL, NULL, 0 },
		{ "", -EINVAL, NULL, 0 },
		{ ":9464", -EINVAL, NULL, 0 },
		{ "localhost:9464", -EINVAL, NULL, 0 },
		{ "::1:9464", -EINVAL, NULL, 0 },
		{ "[127.0.0.1]:9464", -EINVAL, NULL, 0 },
		{ "1.2.3.4:", -EINVAL, NULL, 0 },
		{ "[]:9464", -EINVAL, NULL, 0 },
	};
	struct tcase tc;
	char addr[48];
	uint16_t port;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		tc_begin(&tc, "parse_listen '%s'", cases[i].in);
		ret = parse_listen(cases[i].in, addr, sizeof(addr), &port);
		expect_u64(&tc, (uint64_t)(int64_t)cases[i].ret, (uint64_t)(int64_t)ret);
		if (!ret) {
			expect_str(&tc, cases[i].addr, addr);
			expect_u64(&tc, cases[i].port, port);
		}
		tc_end(&tc);
	}
}

/* expect_line: the exposition (which starts with a comment) has this line. */
static void expect_line(struct tcase *tc, const char *text, const char *line)
{
	char needle[512];

	snprintf(needle, sizeof(needle), "\n%s\n", line);
	expect_str(tc, line, strstr(text, needle) ? line : "(missing)");
}

/* Labels escaped, results named, the source bound, the histogram. */
static void test_metrics(void)
{
	/* a"b\c d took two sources (two containers), n0 to n997 the rest. */
	static const char *const want[] = {
		"shmtrace_calls_total{syscall=\"shmget\",result=\"ENOENT\",comm=\"a\\\"b\\\\\\\\c\\\\x20d\",container=\"ctr\"} 1",
		"shmtrace_calls_total{syscall=\"shmget\",result=\"ok\",comm=\"n0\",container=\"\"} 1",
		"shmtrace_calls_total{syscall=\"shmget\",result=\"ok\",comm=\"n997\",container=\"\"} 1",
		"shmtrace_calls_total{syscall=\"shmget\",result=\"ok\",comm=\"other\",container=\"other\"} 7",
		"shmtrace_call_duration_seconds_bucket{syscall=\"shmget\",le=\"2.5e-06\"} 1005",
		"shmtrace_call_duration_seconds_bucket{syscall=\"shmget\",le=\"5e-06\"} 1006",
		"shmtrace_call_duration_seconds_bucket{syscall=\"shmget\",le=\"1\"} 1006",
		"shmtrace_call_duration_seconds_bucket{syscall=\"shmget\",le=\"+Inf\"} 1007",
		"shmtrace_call_duration_seconds_count{syscall=\"shmget\"} 1007",
		"shmtrace_call_duration_seconds_sum{syscall=\"shmget\"} 2.000003000",
		"shmtrace_findings_total{finding=\"key-squat\"} 1",
		"shmtrace_segments_created_total 1",
		"shmtrace_lost_events_total{reason=\"ring buffer full\"} 0",
	};
	struct metrics *m = metrics_new(1u << SYS_SHMGET);
	struct event e = { .syscall = SYS_SHMGET, .ret = -ENOENT,
			   .latency_ns = 3000 };
	struct tcase tc;
	char *text;
	size_t len;
	int i;

	memcpy(e.comm, "a\"b\\c d", 8);
	metrics_add(m, &e, "ctr", -1, 1u << FINDING_KEY_SQUAT);
	e.ret = 5;
	e.latency_ns = 2000000000;
	metrics_add(m, &e, NULL, 1, 0);
	e.latency_ns = 0;
	for (i = 0; i < METRICS_MAX_SOURCES + 5; i++) {
		snprintf(e.comm, sizeof(e.comm), "n%d", i);
		metrics_add(m, &e, NULL, 0, 0);
	}
	text = metrics_render(m, &len);
	tc_begin(&tc, "metrics: the exposition");
	for (i = 0; i < (int)ARRAY_SIZE(want); i++)
		expect_line(&tc, text, want[i]);
	tc_end(&tc);
	free(text);
	metrics_free(m);
}

/* The descriptors: what scripts and the -e parser rely on. */
static void test_syscall_table(void)
{
	static const char *const names[] = { "shmget", "shmat", "shmdt", "shmctl" };
	const struct syscall_desc *d;
	const struct syscall_arg *arg, *other;
	struct tcase tc;
	size_t i;

	tc_begin(&tc, "syscall_list");
	expect_str(&tc, "shmget, shmat, shmdt, shmctl", syscall_list());
	tc_end(&tc);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		tc_begin(&tc, "syscall_by_name %s", names[i]);
		expect_str(&tc, names[i],
			   syscall_name(syscall_by_name(names[i], strlen(names[i]))));
		tc_end(&tc);
	}
	tc_begin(&tc, "syscall_by_name takes a prefix's length, not a prefix");
	expect_str(&tc, "unknown", syscall_name(syscall_by_name("shm", 3)));
	tc_end(&tc);
	for (i = 0; i < SYS_MAX; i++) {
		d = syscall_desc(i);
		tc_begin(&tc, "descriptor %zu: named, JSON fields unique, decoders where decoded", i);
		if (!d->name)
			tc_fail(&tc, "a name", 6, "NULL", 4);
		for_each_arg(arg, d) {
			if (arg->json_decoded && !arg->decode)
				tc_fail(&tc, "a decoder", 9, arg->json, strlen(arg->json));
			for (other = d->args; other < arg; other++)
				if (!strcmp(other->json, arg->json))
					tc_fail(&tc, "unique", 6, arg->json,
						strlen(arg->json));
		}
		tc_end(&tc);
	}
}

/* in with runs of spaces (the padding) as one; out holds TEXT_MAX. */
static const char *squeeze(const char *in, char *out)
{
	size_t j, k;

	for (j = k = 0; in[j] && k + 1 < TEXT_MAX; j++)
		if (in[j] != ' ' || (k && out[k - 1] != ' '))
			out[k++] = in[j];
	out[k] = '\0';
	return out;
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
		{ { .pid = 7, .tid = 8, .comm = "app", .syscall = SYS_SHMCTL,
		    .args = { 5, 0x102, 0x7ffd0000 } },
		  { .key_known = true, .key = 0, .shmid = 5 },
		  "7 8 0 app " NATIVE " shmctl IPC_PRIVATE 0 0.000 shmid=5,cmd=IPC_STAT,buf=0x7ffd0000\n" },
		{ { .pid = 7, .tid = 8, .comm = "app", .syscall = SYS_SHMGET,
		    .args = { 0x42, 4096, 01000 | 0600 }, .ret = 3 },
		  { .key_known = true, .key = 0x42, .created = 1 },
		  "7 8 0 app " NATIVE " shmget 0x00000042 3 0.000 size=4096,shmflg=IPC_CREAT|0600,created=true\n" },
	};
	struct output out;
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

/* ---- findings --------------------------------------------------------- */

static void test_findings(void)
{
	static const struct {
		const char *name;
		struct event e;
		struct annotation a;
		unsigned int want;
	} cases[] = {
		{ "world-access 0666", { .syscall = SYS_SHMGET, .args = { 1, 4096, 01000 | 0666 } },
		  { .created = 1 }, 1u << FINDING_WORLD_ACCESS },
		{ "world-access 0604", { .syscall = SYS_SHMGET, .args = { 0, 4096, 01000 | 0604 } },
		  { .created = 1 }, 1u << FINDING_WORLD_ACCESS },
		{ "no world-access 0660", { .syscall = SYS_SHMGET, .args = { 1, 4096, 01000 | 0660 } },
		  { .created = 1 }, 0 },
		{ "no world-access when opened", { .syscall = SYS_SHMGET, .args = { 1, 4096, 01000 | 0666 } },
		  { .created = 0 }, 0 },
		{ "key-squat", { .syscall = SYS_SHMGET, .uid = 0, .args = { 1, 4096, 01000 | 0600 } },
		  { .created = 0, .seg_known = true, .seg = { .uid = 1000, .cuid = 1000 } },
		  1u << FINDING_KEY_SQUAT },
		{ "no key-squat with IPC_EXCL", { .syscall = SYS_SHMGET, .uid = 0, .args = { 1, 4096, 03000 | 0600 }, .ret = -17 },
		  { .created = -1 }, 0 },
		{ "no key-squat on own segment", { .syscall = SYS_SHMGET, .uid = 1000, .args = { 1, 4096, 01000 | 0600 } },
		  { .created = 0, .seg_known = true, .seg = { .uid = 1000 } }, 0 },
		{ "excl-without-creat", { .syscall = SYS_SHMGET, .args = { 1, 4096, 02000 }, .ret = -2 },
		  { .created = -1 }, 1u << FINDING_EXCL_ALONE },
		{ "hugetlb-eperm", { .syscall = SYS_SHMGET, .args = { 0, 2 << 20, 01000 | 04000 | 0600 }, .ret = -1 },
		  { .created = -1 }, 1u << FINDING_HUGETLB_EPERM },
		{ "no hugetlb-eperm for ENOMEM", { .syscall = SYS_SHMGET, .args = { 0, 2 << 20, 01000 | 04000 | 0600 }, .ret = -12 },
		  { .created = -1 }, 0 },
		{ "foreign-writer", { .syscall = SYS_SHMAT, .uid = 65534, .args = { 5, 0, 0 }, .ret = 0x7f0000000000 },
		  { .seg_known = true, .seg = { .cuid = 0, .uid = 0 } }, 1u << FINDING_FOREIGN_WRITER },
		{ "no foreign-writer read-only", { .syscall = SYS_SHMAT, .uid = 65534, .args = { 5, 0, 010000 }, .ret = 0x7f0000000000 },
		  { .seg_known = true, .seg = { .cuid = 0 } }, 0 },
		{ "no foreign-writer for the creator", { .syscall = SYS_SHMAT, .uid = 0, .args = { 5, 0, 0 }, .ret = 0x7f0000000000 },
		  { .seg_known = true, .seg = { .cuid = 0 } }, 0 },
		{ "no foreign-writer on failure", { .syscall = SYS_SHMAT, .uid = 65534, .args = { 5, 0, 0 }, .ret = -13 },
		  { .seg_known = true, .seg = { .cuid = 0 } }, 0 },
		/* 4026531839: the initial IPC namespace (PROC_IPC_INIT_INO). */
		{ "shared-ipc: shmget from a container in the host's namespace",
		  { .syscall = SYS_SHMGET, .ipc_ns = 4026531839u, .args = { 1, 4096, 01000 | 0600 } },
		  { .created = 1, .container = "c0ffee" }, 1u << FINDING_SHARED_IPC },
		{ "shared-ipc: shmat from a container in the host's namespace",
		  { .syscall = SYS_SHMAT, .ipc_ns = 4026531839u, .args = { 5, 0, 010000 }, .ret = 0x7f0000000000 },
		  { .container = "c0ffee" }, 1u << FINDING_SHARED_IPC },
		{ "no shared-ipc in the container's own namespace",
		  { .syscall = SYS_SHMGET, .ipc_ns = 4026532177u, .args = { 1, 4096, 01000 | 0600 } },
		  { .created = 1, .container = "c0ffee" }, 0 },
		{ "no shared-ipc for the host itself",
		  { .syscall = SYS_SHMGET, .ipc_ns = 4026531839u, .args = { 1, 4096, 01000 | 0600 } },
		  { .created = 1 }, 0 },
		{ "no shared-ipc for shmdt",
		  { .syscall = SYS_SHMDT, .ipc_ns = 4026531839u },
		  { .container = "c0ffee" }, 0 },
	};
	struct tcase tc;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		tc_begin(&tc, "findings_check %s", cases[i].name);
		expect_u64(&tc, cases[i].want,
			   findings_check(&cases[i].e, &cases[i].a));
		tc_end(&tc);
	}
}

/* ---- summary ---------------------------------------------------------- */

static void test_summary(void)
{
	struct summary sm = {};
	struct event e = { .syscall = SYS_SHMGET, .comm = "app" };
	const struct summary_row *r;
	struct tcase tc;
	uint64_t p50, p99;
	int i;

	/* 1..1000 us: p50 is 500 us and p99 990 us, each within 1/8. */
	for (i = 1; i <= 1000; i++) {
		e.latency_ns = i * 1000ULL;
		summary_add(&sm, &e);
	}
	e.ret = -2;
	summary_add(&sm, &e);
	r = sm.rows[0];
	p50 = summary_percentile(r, 50);
	p99 = summary_percentile(r, 99);
	tc_begin(&tc, "summary rows: one per result");
	expect_u64(&tc, 2, sm.nrows);
	tc_end(&tc);
	tc_begin(&tc, "summary count, min, max exact");
	expect_u64(&tc, 1000, r->count);
	expect_u64(&tc, 0, r->errors);
	expect_u64(&tc, 1000, r->min_ns);
	expect_u64(&tc, 1000000, r->max_ns);
	tc_end(&tc);
	tc_begin(&tc, "summary p50 within 1/8 of 500us");
	expect_true(&tc, p50 >= 500000 && p50 <= 562500, "500000..562500", "out of range");
	tc_end(&tc);
	tc_begin(&tc, "summary p99 within 1/8 of 990us");
	expect_true(&tc, p99 >= 990000 && p99 <= 1000000, "990000..1000000", "out of range");
	tc_end(&tc);
	tc_begin(&tc, "summary error row");
	expect_u64(&tc, 1, sm.rows[1]->errors);
	tc_end(&tc);
	summary_free(&sm);
}

struct replayed {
	struct output *out;
	char text[TEXT_MAX];
	size_t len;
};

static int replay_one(void *ctx, const struct event *e,
		      const struct annotation *a)
{
	struct replayed *r = ctx;
	struct text t;
	char squeezed[TEXT_MAX];

	format_event(r->out, text_init(&t), e, a);
	r->len += snprintf(r->text + r->len, sizeof(r->text) - r->len, "%s",
			   squeeze(text_str(&t), squeezed));
	return 0;
}

/*
 * --stable: kept in arrival order, printed by pid, tid, then arrival;
 * ordinals name what values name: a remapped or detached address is
 * another, a namespace's segment 5 is not another's.
 */
static void test_format_stable(void)
{
#define EV(p, t, sys, a0, a1, a2, r, ns) { .pid = p, .tid = t, .comm = "app", \
	.syscall = sys, .args = { a0, a1, a2 }, .ret = r, .ipc_ns = ns, .latency_ns = 9 }
	static const struct {
		struct event e;
		struct annotation a;
	} arrivals[] = {
		{ EV(9, 9, SYS_SHMGET, 0, 4096, 01600, 5, 2), { .key_known = true, .created = 1, .shmid = -1 } },
		{ EV(3, 4, SYS_SHMGET, 0, 4096, 01600, 5, 1), { .key_known = true, .created = 1, .shmid = -1 } },
		{ EV(3, 3, SYS_SHMAT, 5, 0, 0, 0x7f00000, 1), { .shmid = 5 } },
		{ EV(3, 3, SYS_SHMAT, 5, 0x7f00000, 040000, 0x7f00000, 1), { .shmid = 5 } },
		{ EV(3, 3, SYS_SHMDT, 0x7f00000, 0, 0, 0, 1), { .shmid = 5 } },
		{ EV(3, 3, SYS_SHMDT, 0x7f00000, 0, 0, -22, 1), { .shmid = -1 } },
		{ EV(3, 3, SYS_SHMCTL, 0, 13, 0x7ffd0000, 5, 1), { .shmid = 5 } },
		{ EV(3, 3, SYS_SHMCTL, 5, 2, 0x7ffd0000, 0, 1), { .shmid = 5 } },
		{ EV(3, 3, SYS_SHMAT, 5, 0x7e00000, 0, 0x7e00000, 1), { .shmid = 5 } },
	};
	static const char want[] =
		"P1 T1 0 app " NATIVE " shmat - A1 shmid=S1,shmaddr=NULL,shmflg=0\n"
		"P1 T1 0 app " NATIVE " shmat - A2 shmid=S1,shmaddr=A1,shmflg=SHM_REMAP\n"
		"P1 T1 0 app " NATIVE " shmdt - 0 shmaddr=A2,shmid=S1\n"
		"P1 T1 0 app " NATIVE " shmdt - EINVAL shmaddr=A3\n"
		"P1 T1 0 app " NATIVE " shmctl - S1 shmid=0,cmd=SHM_STAT,buf=ptr\n"
		"P1 T1 0 app " NATIVE " shmctl - 0 shmid=S1,cmd=IPC_STAT,buf=ptr\n"
		"P1 T1 0 app " NATIVE " shmat - A4 shmid=S1,shmaddr=A4,shmflg=0\n"
		"P1 T2 0 app " NATIVE " shmget IPC_PRIVATE S2 size=4096,shmflg=IPC_CREAT|0600,created=true\n"
		"P2 T3 0 app " NATIVE " shmget IPC_PRIVATE S3 size=4096,shmflg=IPC_CREAT|0600,created=true\n";
#undef EV
	static struct stable st;
	static struct replayed r;
	struct output out;
	struct tcase tc;
	size_t i;

	tc_begin(&tc, "--stable: order and ordinals");
	output_init(&out, -1, OUT_TEXT, false);
	out.lifecycle = true;
	out.stable = &st;
	r.out = &out;
	for (i = 0; i < ARRAY_SIZE(arrivals); i++)
		stable_add(&st, &arrivals[i].e, &arrivals[i].a);
	stable_replay(&st, replay_one, &r);
	expect_str(&tc, want, r.text);
	stable_free(&st);
	tc_end(&tc);
}

/*
 * A kind the walk does not know (a newer kernel's) before the wrappers:
 * the walk refuses the file, where it used to stop there and read every
 * later function as absent, which moved shmtrace to another mode.
 */
static void test_btf_unknown_kind(void)
{
	struct kfunc funcs[] = { { .name = "__x64_sys_shmget" } };
	struct btf *btf = btf__new_empty();
	const struct btf_header *h;
	struct btf_type *t;
	const void *raw;
	uint32_t len;
	struct tcase tc;
	int i = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);

	int func;

	btf__add_float(btf, "f", 4);
	func = btf__add_func(btf, "__x64_sys_shmget", BTF_FUNC_GLOBAL,
			     btf__add_func_proto(btf, i));
	raw = btf__raw_data(btf, &len);
	{
		char copy[len];

		memcpy(copy, raw, len);
		h = (const void *)copy;
		/* The float, after the int's 16 bytes, becomes kind 31. */
		t = (void *)(copy + h->hdr_len + h->type_off + 16);
		t->info = (t->info & ~(0x1fu << 24)) | 31u << 24;
		tc_begin(&tc, "kbtf_lookup_raw: an unknown kind before the wrappers refuses the file");
		expect_u64(&tc, (uint64_t)-EPROTO,
			   (uint64_t)(int64_t)kbtf_lookup_raw(copy, len, funcs, 1));
		tc_end(&tc);
		tc_begin(&tc, "kbtf_lookup_raw: the same BTF without it finds the wrapper");
		expect_u64(&tc, 0, kbtf_lookup_raw(raw, len, funcs, 1));
		expect_u64(&tc, func, funcs[0].id);
		tc_end(&tc);
	}
	btf__free(btf);
}

/*
 * The raw BTF walk against libbpf's own writer: a function whose argument
 * is a struct pointer through a typedef and const, one whose argument is
 * a pointer to a forward declaration (5.10), one with no argument, and
 * one that is absent; every kind of record on the way.
 */
static void test_btf_lookup(void)
{
	struct kfunc funcs[] = {
		{ .name = "with_struct" }, { .name = "with_fwd" },
		{ .name = "no_args" }, { .name = "absent" },
	};
	struct btf *btf = btf__new_empty();
	int i, regs, fwd, ptr, cptr, tdef, proto_s, proto_f, proto_0, ids[3];
	const void *raw;
	uint32_t len;
	struct tcase tc;

	i = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	regs = btf__add_struct(btf, "pt_regs", 8);
	btf__add_field(btf, "di", i, 0, 0);
	btf__add_enum(btf, "e", 4);
	btf__add_enum_value(btf, "E1", 1);
	btf__add_array(btf, i, i, 4);
	fwd = btf__add_fwd(btf, "pt_regs_fwd", BTF_FWD_STRUCT);
	ptr = btf__add_ptr(btf, regs);
	cptr = btf__add_const(btf, ptr);
	tdef = btf__add_typedef(btf, "regs_t", cptr);
	proto_s = btf__add_func_proto(btf, i);
	btf__add_func_param(btf, "regs", tdef);
	proto_f = btf__add_func_proto(btf, i);
	btf__add_func_param(btf, "regs", btf__add_ptr(btf, fwd));
	proto_0 = btf__add_func_proto(btf, i);
	ids[0] = btf__add_func(btf, "with_struct", BTF_FUNC_GLOBAL, proto_s);
	ids[1] = btf__add_func(btf, "with_fwd", BTF_FUNC_GLOBAL, proto_f);
	ids[2] = btf__add_func(btf, "no_args", BTF_FUNC_GLOBAL, proto_0);
	btf__add_var(btf, "v", BTF_VAR_GLOBAL_ALLOCATED, i);
	raw = btf__raw_data(btf, &len);
	tc_begin(&tc, "kbtf_lookup_raw: the walk succeeds");
	expect_u64(&tc, 0, kbtf_lookup_raw(raw, len, funcs, ARRAY_SIZE(funcs)));
	tc_end(&tc);
	for (i = 0; i < 3; i++) {
		tc_begin(&tc, "kbtf_lookup_raw: %s", funcs[i].name);
		expect_u64(&tc, ids[i], funcs[i].id);
		expect_u64(&tc, i == 0, funcs[i].struct_arg);
		tc_end(&tc);
	}
	tc_begin(&tc, "kbtf_lookup_raw: absent");
	expect_u64(&tc, (uint64_t)-1, (uint64_t)(int64_t)funcs[3].id);
	tc_end(&tc);
	{
		struct kfunc again[ARRAY_SIZE(funcs)];

		memcpy(again, funcs, sizeof(again));
		tc_begin(&tc, "kbtf_lookup_btf: libbpf's parse gives the walk's answers");
		expect_u64(&tc, 0, kbtf_lookup_btf(btf, again, ARRAY_SIZE(again)));
		expect_u64(&tc, 0, memcmp(again, funcs, sizeof(again)));
		tc_end(&tc);
	}
	tc_begin(&tc, "kbtf_lookup_raw: a truncated BTF is refused");
	expect_u64(&tc, 1, kbtf_lookup_raw(raw, len - 1, funcs, 1) < 0);
	tc_end(&tc);
	tc_begin(&tc, "kbtf_lookup_raw: strings that do not end in NUL are refused");
	{
		char copy[len];

		memcpy(copy, raw, len);
		copy[len - 1] = 'x';
		expect_u64(&tc, 1, kbtf_lookup_raw(copy, len, funcs, 1) < 0);
	}
	tc_end(&tc);
	btf__free(btf);
	test_btf_unknown_kind();

	tc_begin(&tc, "hash_bytes: streaming in 8-byte multiples is one hash");
	expect_u64(&tc, hash_bytes(hash_bytes(7, "0123456789abcdef", 8), "89abcdefXYZ", 11),
		   hash_bytes(7, "0123456789abcdefXYZ", 8 + 11));
	tc_end(&tc);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_decode_key();
	test_decode_shmflg();
	test_errno_names();
	test_decode_ret();
	test_put_comm_text();
	test_put_json_string();
	test_format_text();
	test_format_text_time();
	test_format_json();
	test_format_json_time();
	test_format_container();
	test_parsers();
	test_lifecycle_decoders();
	test_format_lifecycle();
	test_format_stable();
	test_btf_lookup();
	test_syscall_table();
	test_fail_on();
	test_parse_listen();
	test_metrics();
	test_container_paths();
	test_findings();
	test_summary();
	fprintf(stderr, "unit: %u cases, %u failed\n", n_cases, n_failed);
	return n_failed ? 1 : 0;
}
