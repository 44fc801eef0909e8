// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* src/cli.c: the option values' parsers, --fail-on and --metrics' address. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include "cli.h"
#include "findings.h"
#include "unit.h"

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

void test_cli(void)
{
	test_parsers();
	test_fail_on();
	test_parse_listen();
}
