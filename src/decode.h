/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Turning raw syscall arguments and results into the names people know. */
#ifndef SHMTRACE_DECODE_H
#define SHMTRACE_DECODE_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "fmt.h"
#include "shmtrace.h"

/* The flag 32-bit callers add to a shmctl command for the new structures. */
#define IPC_64 0x100

/*
 * The shmctl command the kernel acts on. Only compat callers (and ipc(2),
 * which is compat on both architectures) pass IPC_64 as a version, which
 * the kernel strips (ipc_parse_version); a native caller's IPC_64 stays
 * in the command, which then fails with EINVAL.
 */
static inline uint32_t shmctl_cmd(uint32_t cmd, unsigned int abi)
{
	return abi == ABI_COMPAT ? cmd & ~IPC_64 : cmd;
}

/* Syscalls return -4095..-1 for errors, like the kernel's IS_ERR_VALUE. */
static inline bool ret_is_error(int64_t ret)
{
	return ret < 0 && ret >= -4095;
}

/* IPC_PRIVATE, or the key as 0x%08x like ipcs -m. */
void decode_key(struct sink *s, uint64_t key);
/* strace's order: names, unknown bits, huge page size, permissions. */
void decode_shmflg(struct sink *s, uint64_t shmflg);
/* shmat's flags: SHM_RDONLY|SHM_RND..., unknown bits in hex, or 0. */
void decode_shmat_flags(struct sink *s, uint64_t shmflg);
/*
 * shmctl's command by name, as strace prints it: IPC_64|IPC_STAT if the
 * flag is set (a compat caller's is stripped first, by shmctl_cmd()),
 * unknown ones in decimal.
 */
void decode_shmctl_cmd(struct sink *s, uint64_t cmd);
/* A user address: NULL, or 0x in hex. */
void decode_addr(struct sink *s, uint64_t addr);
/* The errno's name (ENOENT), or NULL when it has none. */
const char *errno_name(int64_t err);
/* errno_name(), or E<number> for an errno without a name. */
void decode_errno(struct sink *s, int64_t err);
/* A syscall result: the value in decimal, or the errno's name. */
void decode_ret(struct sink *s, int64_t ret);
/* The same, or an address in hex if the syscall returns one (addr). */
void decode_result(struct sink *s, int64_t ret, bool addr);

/* Why a mapping came or went without a shm call (EV_ATTACH, EV_DETACH). */
enum life_cause {
	CAUSE_FORK,
	CAUSE_EXEC,
	CAUSE_EXIT,
	CAUSE_MUNMAP,
	CAUSE_MREMAP,
	CAUSE_SPLIT,		/* a hole punched in it: two VMAs where one was */
	CAUSE_MAX,
};
/* fork, exec, ...; the number for an unknown cause. */
void decode_cause(struct sink *s, uint64_t cause);

/* Userspace's own kind of loss, after the kernel's: a record too short. */
#define LOSS_MALFORMED LOSS_MAX
#define LOSS_ENTRY_MISSED (LOSS_MAX + 1)	/* the kernel skipped an entry program */
#define LOSS_REASONS (LOSS_MAX + 2)
/* Why calls went unreported, by enum loss_kind: "ring buffer full". */
const char *loss_reason(unsigned int kind);

#endif /* SHMTRACE_DECODE_H */
