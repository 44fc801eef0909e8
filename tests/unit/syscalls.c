// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* src/syscalls.c: the descriptors, what scripts and the -e parser rely on. */
#include <string.h>
#include "syscalls.h"
#include "unit.h"

static void test_names(void)
{
	static const char *const names[] = { "shmget", "shmat", "shmdt", "shmctl" };
	struct tcase tc;
	size_t i;

	tc_begin(&tc, "syscall_list");
	expect_str(&tc, "shmget, shmat, shmdt, shmctl, attach, detach",
		   syscall_list());
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
	tc_begin(&tc, "syscall_name out of range");
	expect_str(&tc, "unknown", syscall_name(9));
	tc_end(&tc);
}

static void test_descriptors(void)
{
	const struct syscall_desc *d;
	const struct syscall_arg *arg, *other;
	struct tcase tc;
	size_t i;

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

void test_syscalls(void)
{
	test_names();
	test_descriptors();
}
