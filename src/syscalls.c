// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE	/* IPC_INFO, SHM_INFO, SHM_STAT */
#include <stdio.h>
#include <string.h>
#include <sys/shm.h>
#include "decode.h"
#include "syscalls.h"
#include "util.h"

/* An implicit attach's or detach's: the same for both. */
#define IMPLICIT_ARGS {							\
	{ "cause", "cause", SRC_ARG2, FMT_NAME, decode_cause },		\
	{ "shmaddr", "addr", SRC_ARG0, FMT_ADDR, decode_addr },		\
	{ "shmid", "shmid", SRC_SHMID, FMT_SHMID },			\
	{ NULL, "key", SRC_KEY, FMT_U32 },				\
	{ "nattch", "nattch", SRC_NATTCH, FMT_U64 },			\
}

/* The JSON field names are a contract: scripts select on them. */
static const struct syscall_desc syscalls[EV_MAX] = {
	[SYS_SHMGET] = {
		.name = "shmget", .key = SRC_ARG0, .ret = RET_SHMID,
		.args = {
			{ NULL, "key", SRC_ARG0, FMT_U32 },
			{ "size", "size", SRC_ARG1, FMT_U64 },
			{ "shmflg", "shmflg", SRC_ARG2, FMT_U32, decode_shmflg,
			  "flags" },
			{ "created", "created", SRC_CREATED, FMT_BOOL },
		},
	},
	[SYS_SHMAT] = {
		.name = "shmat", .key = SRC_KEY, .ret = RET_ADDR,
		.args = {
			{ "shmid", "shmid", SRC_ARG0, FMT_SHMID },
			{ "shmaddr", "addr", SRC_ARG1, FMT_ADDR, decode_addr },
			{ "shmflg", "shmflg", SRC_ARG2, FMT_U32,
			  decode_shmat_flags, "flags" },
			{ NULL, "key", SRC_KEY, FMT_U32 },
		},
	},
	[SYS_SHMDT] = {
		.name = "shmdt", .key = SRC_KEY, .ret = RET_INT,
		.args = {
			{ "shmaddr", "addr", SRC_ARG0, FMT_ADDR, decode_addr },
			{ "shmid", "shmid", SRC_SHMID, FMT_SHMID },
			{ NULL, "key", SRC_KEY, FMT_U32 },
		},
	},
	[SYS_SHMCTL] = {
		.name = "shmctl", .key = SRC_KEY, .ret = RET_INT,
		.args = {
			{ "shmid", "shmid", SRC_ARG0, FMT_SHMID },
			{ "cmd", "cmd", SRC_ARG1, FMT_S32, decode_shmctl_cmd,
			  "cmd_name" },
			{ "buf", "buf", SRC_ARG2, FMT_PTR, decode_addr },
			{ NULL, "key", SRC_KEY, FMT_U32 },
		},
	},
	/* args[0] the piece's address, args[1] its shmid, args[2] the cause. */
	[EV_ATTACH] = { .name = "attach", .key = SRC_KEY, .ret = RET_INT,
			.args = IMPLICIT_ARGS },
	[EV_DETACH] = { .name = "detach", .key = SRC_KEY, .ret = RET_INT,
			.args = IMPLICIT_ARGS },
};

const struct syscall_desc *syscall_desc(unsigned int syscall)
{
	return syscall < ARRAY_SIZE(syscalls) ? &syscalls[syscall] : NULL;
}

const char *syscall_name(unsigned int syscall)
{
	const struct syscall_desc *d = syscall_desc(syscall);

	return d ? d->name : "unknown";
}

int syscall_by_name(const char *name, size_t n)
{
	int i;

	for (i = 0; i < EV_MAX; i++)
		if (strlen(syscalls[i].name) == n &&
		    !strncmp(name, syscalls[i].name, n))
			return i;
	return -1;
}

const char *syscall_list(void)
{
	static char list[EV_MAX * 16];
	size_t len = 0;
	int i;

	if (list[0])
		return list;
	for (i = 0; i < EV_MAX; i++)
		len += snprintf(list + len, sizeof(list) - len, "%s%s",
				i ? ", " : "", syscalls[i].name);
	return list;
}

enum ret_kind syscall_ret_kind(const struct event *e)
{
	const struct syscall_desc *d = syscall_desc(e->syscall);
	uint32_t cmd;

	if (!d)
		return RET_INT;
	cmd = shmctl_cmd(e->args[1], e->abi);
	/* SHM_STAT takes an index into the table and answers with the id. */
	if (e->syscall == SYS_SHMCTL && (cmd == SHM_STAT || cmd == SHM_STAT_ANY))
		return RET_SHMID;
	return d->ret;
}

enum arg_format arg_format(const struct syscall_arg *arg,
			   const struct event *e)
{
	/* An index where the result is the id (SHM_STAT). */
	if (e->syscall == SYS_SHMCTL && arg->src == SRC_ARG0 &&
	    syscall_ret_kind(e) == RET_SHMID)
		return FMT_S32;
	return arg->format;
}

bool shmctl_names_table(const struct event *e)
{
	uint32_t cmd = shmctl_cmd(e->args[1], e->abi);

	return e->syscall == SYS_SHMCTL && (cmd == IPC_INFO || cmd == SHM_INFO);
}

bool arg_ignored(const struct syscall_arg *arg, const struct event *e)
{
	return arg->src == SRC_ARG0 && shmctl_names_table(e);
}

uint64_t arg_decoded(const struct syscall_arg *arg, const struct event *e,
		     uint64_t v)
{
	if (e->syscall == SYS_SHMCTL && arg->src == SRC_ARG1)
		return shmctl_cmd(v, e->abi);
	return v;
}
