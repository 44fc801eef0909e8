/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One descriptor per syscall, in the spirit of strace's syscall table:
 * its name, its arguments and its result. It drives the text ARGS column,
 * the JSON fields, the summary and the -e parser; adding a syscall means
 * one line in SHM_SYSCALLS (include/shmtrace.h) and one entry here.
 */
#ifndef SHMTRACE_SYSCALLS_H
#define SHMTRACE_SYSCALLS_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "fmt.h"
#include "shmtrace.h"

#define MAX_ARGS 5

/* Where an argument's value comes from. */
enum arg_source {
	SRC_NONE,		/* no such argument (ends the list) */
	SRC_ARG0,		/* the record's args[0] */
	SRC_ARG1,
	SRC_ARG2,
	SRC_KEY,		/* the segment's key, from the segment tables */
	SRC_SHMID,		/* the segment's id, from the segment tables */
	SRC_CREATED,		/* shmget: whether it created the segment */
	SRC_NATTCH,		/* the segment's attach count after the event */
};

/* How the raw value reads, in JSON and in text without a decoder. */
enum arg_format {
	FMT_U64,
	FMT_U32,
	FMT_S32,		/* commands are ints */
	FMT_SHMID,		/* a segment id: an int (S ordinals, --stable) */
	FMT_ADDR,		/* a mapping's address (A ordinals, --stable) */
	FMT_PTR,		/* other user memory (--stable: NULL or ptr) */
	FMT_BOOL,
	FMT_NAME,		/* a name, from the decoder: a string in JSON */
};

struct syscall_arg {
	const char *text;	/* its name in ARGS, or NULL: not shown there */
	const char *json;	/* the JSON field of its raw value */
	enum arg_source src;
	enum arg_format format;
	/* In text, the decoded value instead of the raw one; may be NULL. */
	void (*decode)(struct sink *s, uint64_t v);
	/* The JSON field of the decoded value, or NULL for none. */
	const char *json_decoded;
};

/* How the result reads when it is not an error. */
enum ret_kind {
	RET_INT,		/* 0, or what shmctl's cmd returns */
	RET_SHMID,		/* a segment id */
	RET_ADDR,		/* an address, in hex */
};

struct syscall_desc {
	const char *name;
	enum arg_source key;	/* where the KEY column comes from */
	enum ret_kind ret;
	struct syscall_arg args[MAX_ARGS];
};

#define for_each_arg(arg, d)						\
	for ((arg) = (d)->args;						\
	     (arg) < (d)->args + MAX_ARGS && (arg)->src != SRC_NONE; (arg)++)

/* An attach or detach that no shm call made (fork, exit, munmap, ...). */
static inline bool is_implicit(unsigned int syscall)
{
	return syscall >= SYS_MAX && syscall < EV_MAX;
}

/* The descriptor of e->syscall, or NULL for a value out of range. */
const struct syscall_desc *syscall_desc(unsigned int syscall);
/* "shmget", ..., "attach", "detach"; "unknown" for a value out of range. */
const char *syscall_name(unsigned int syscall);
/* The syscall named name (n bytes), or -1. */
int syscall_by_name(const char *name, size_t n);
/* "shmget, shmat, shmdt, shmctl, attach, detach": for messages and help. */
const char *syscall_list(void);
/* What e's result is when it is not an error (shmctl's depends on cmd). */
enum ret_kind syscall_ret_kind(const struct event *e);
/* How arg reads for e: shmctl's shmid is no id for some commands. */
enum arg_format arg_format(const struct syscall_arg *arg,
			   const struct event *e);
/*
 * shmctl IPC_INFO and SHM_INFO: about the whole table, they name no
 * segment, and the kernel ignores their shmid.
 */
bool shmctl_names_table(const struct event *e);
/* Whether e's kernel ignores arg: then it reads as unknown (null). */
bool arg_ignored(const struct syscall_arg *arg, const struct event *e);
/*
 * What arg's decoder is given for e: v, but shmctl's command without the
 * IPC_64 that is a compat caller's version flag. The raw value stays v.
 */
uint64_t arg_decoded(const struct syscall_arg *arg, const struct event *e,
		     uint64_t v);

#endif /* SHMTRACE_SYSCALLS_H */
