// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* src/fmt.c: process names escaped for text and for JSON. */
#include <string.h>
#include <linux/types.h>	/* before shmtrace.h, as in src/ */
#include "fmt.h"
#include "shmtrace.h"
#include "unit.h"

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

void test_fmt(void)
{
	test_put_comm_text();
	test_put_json_string();
}
