// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* src/findings.c: what each finding takes, and what it does not. */
#include "findings.h"
#include "syscalls.h"
#include "unit.h"

void test_findings(void)
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
		{ "foreign-writer: root attached a user's segment first", { .syscall = SYS_SHMAT, .uid = 65534, .args = { 5, 0, 0 }, .ret = 0x7f0000000000 },
		  { .seg_known = true, .seg = { .cuid = 1000, .uid = 1000, .root_pieces = 1 } }, 1u << FINDING_FOREIGN_WRITER },
		{ "no foreign-writer: MIT-SHM, the root X server writes a client's segment", { .syscall = SYS_SHMAT, .uid = 0, .args = { 5, 0, 0 }, .ret = 0x7f0000000000 },
		  { .seg_known = true, .seg = { .cuid = 1000, .uid = 1000 } }, 0 },
		{ "no foreign-writer: MIT-SHM, a rootless X server (another user)", { .syscall = SYS_SHMAT, .uid = 1001, .args = { 5, 0, 0 }, .ret = 0x7f0000000000 },
		  { .seg_known = true, .seg = { .cuid = 1000, .uid = 1000 } }, 0 },
		{ "no foreign-writer: the client writes its own segment root has attached", { .syscall = SYS_SHMAT, .uid = 1000, .args = { 5, 0, 0 }, .ret = 0x7f0000000000 },
		  { .seg_known = true, .seg = { .cuid = 1000, .uid = 1000, .root_pieces = 2 } }, 0 },
		{ "no foreign-writer: the owner root gave it to", { .syscall = SYS_SHMAT, .uid = 1000, .args = { 5, 0, 0 }, .ret = 0x7f0000000000 },
		  { .seg_known = true, .seg = { .cuid = 0, .uid = 1000 } }, 0 },
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
		{ "shared-ipc: shmdt from a container in the host's namespace",
		  { .syscall = SYS_SHMDT, .ipc_ns = 4026531839u },
		  { .container = "c0ffee" }, 1u << FINDING_SHARED_IPC },
		{ "shared-ipc: shmctl IPC_RMID from a container in the host's namespace",
		  { .syscall = SYS_SHMCTL, .ipc_ns = 4026531839u, .args = { 5, 0, 0 } },
		  { .container = "c0ffee" }, 1u << FINDING_SHARED_IPC },
		{ "shared-ipc: an inherited attach in a container in the host's namespace",
		  { .syscall = EV_ATTACH, .ipc_ns = 4026531839u, .args = { 0x7f0000000000, 5, 0 } },
		  { .container = "c0ffee" }, 1u << FINDING_SHARED_IPC },
		{ "no shared-ipc for shmdt in the container's own namespace",
		  { .syscall = SYS_SHMDT, .ipc_ns = 4026532177u },
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
