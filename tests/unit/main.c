// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The unit tests' one program: every module's suite, or those named on
 * the command line (.output/unit decode output). A new module under
 * test is its file, its line in unit.h and its line here.
 */
#include <stdio.h>
#include <string.h>
#include "unit.h"

static const struct suite {
	const char *name;
	void (*run)(void);
} suites[] = {
	{ "btfcache", test_btfcache },
	{ "cli", test_cli },
	{ "container", test_container },
	{ "decode", test_decode },
	{ "findings", test_findings },
	{ "fmt", test_fmt },
	{ "hashtab", test_hashtab },
	{ "httpreq", test_httpreq },
	{ "metrics", test_metrics },
	{ "output", test_output },
	{ "sandbox", test_sandbox },
	{ "stable", test_stable },
	{ "summary", test_summary },
	{ "syscalls", test_syscalls },
};

static const struct suite *suite_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(suites); i++)
		if (!strcmp(suites[i].name, name))
			return &suites[i];
	return NULL;
}

int main(int argc, char **argv)
{
	size_t i;
	int a;

	/* A misspelt name would otherwise pass by running nothing. */
	for (a = 1; a < argc; a++) {
		if (!suite_by_name(argv[a])) {
			fprintf(stderr, "unit: no suite %s\n", argv[a]);
			return 2;
		}
	}
	harness_start("unit");
	if (argc == 1) {
		for (i = 0; i < ARRAY_SIZE(suites); i++)
			suites[i].run();
	}
	for (a = 1; a < argc; a++)
		suite_by_name(argv[a])->run();
	return harness_finish();
}
