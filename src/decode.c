// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <sys/shm.h>
#include <linux/types.h>
#include "decode.h"
#include "util.h"

struct xlat {
	uint32_t val;
	const char *name;
};

#define XLAT(name) { name, #name }

/* include/uapi/linux/ipc.h and shm.h; printed in this order. */
static const struct xlat shmflg_names[] = {
	XLAT(IPC_CREAT), XLAT(IPC_EXCL), XLAT(SHM_HUGETLB), XLAT(SHM_NORESERVE),
};

#define SHM_PERMS	0777u
#define SHM_HUGE_SHIFT	26
#define SHM_HUGE_MASK	0x3fu
#define SHM_KNOWN	(SHM_PERMS | IPC_CREAT | IPC_EXCL | SHM_HUGETLB | \
			 SHM_NORESERVE | (SHM_HUGE_MASK << SHM_HUGE_SHIFT))

/* The size field holds log2 of the page size (asm-generic/hugetlb_encode.h). */
static const struct xlat huge_sizes[] = {
	{ 16, "SHM_HUGE_64KB" },
	{ 19, "SHM_HUGE_512KB" },
	{ 20, "SHM_HUGE_1MB" },
	{ 21, "SHM_HUGE_2MB" },
	{ 23, "SHM_HUGE_8MB" },
	{ 24, "SHM_HUGE_16MB" },
	{ 25, "SHM_HUGE_32MB" },
	{ 28, "SHM_HUGE_256MB" },
	{ 29, "SHM_HUGE_512MB" },
	{ 30, "SHM_HUGE_1GB" },
	{ 31, "SHM_HUGE_2GB" },
	{ 34, "SHM_HUGE_16GB" },
};

/* shmat(2) flags, include/uapi/linux/shm.h. */
static const struct xlat shmat_flag_names[] = {
	XLAT(SHM_RDONLY), XLAT(SHM_RND), XLAT(SHM_REMAP), XLAT(SHM_EXEC),
};

/* shmctl(2) commands, include/uapi/linux/ipc.h and shm.h. */
static const struct xlat shmctl_cmds[] = {
	XLAT(IPC_RMID), XLAT(IPC_SET), XLAT(IPC_STAT), XLAT(IPC_INFO),
	XLAT(SHM_LOCK), XLAT(SHM_UNLOCK), XLAT(SHM_STAT), XLAT(SHM_INFO),
	XLAT(SHM_STAT_ANY),
};

#define E(name) [name] = #name
static const char *const errno_names[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES),
	E(EFAULT), E(ENOTBLK), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV),
	E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY),
	E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK),
	E(EPIPE), E(EDOM), E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK),
	E(ENOSYS), E(ENOTEMPTY), E(ELOOP), E(ENOMSG), E(EIDRM), E(ECHRNG),
	E(EL2NSYNC), E(EL3HLT), E(EL3RST), E(ELNRNG), E(EUNATCH), E(ENOCSI),
	E(EL2HLT), E(EBADE), E(EBADR), E(EXFULL), E(ENOANO), E(EBADRQC),
	E(EBADSLT), E(EBFONT), E(ENOSTR), E(ENODATA), E(ETIME), E(ENOSR),
	E(ENONET), E(ENOPKG), E(EREMOTE), E(ENOLINK), E(EADV), E(ESRMNT),
	E(ECOMM), E(EPROTO), E(EMULTIHOP), E(EDOTDOT), E(EBADMSG),
	E(EOVERFLOW), E(ENOTUNIQ), E(EBADFD), E(EREMCHG), E(ELIBACC),
	E(ELIBBAD), E(ELIBSCN), E(ELIBMAX), E(ELIBEXEC), E(EILSEQ),
	E(ERESTART), E(ESTRPIPE), E(EUSERS), E(ENOTSOCK), E(EDESTADDRREQ),
	E(EMSGSIZE), E(EPROTOTYPE), E(ENOPROTOOPT), E(EPROTONOSUPPORT),
	E(ESOCKTNOSUPPORT), E(EOPNOTSUPP), E(EPFNOSUPPORT), E(EAFNOSUPPORT),
	E(EADDRINUSE), E(EADDRNOTAVAIL), E(ENETDOWN), E(ENETUNREACH),
	E(ENETRESET), E(ECONNABORTED), E(ECONNRESET), E(ENOBUFS), E(EISCONN),
	E(ENOTCONN), E(ESHUTDOWN), E(ETOOMANYREFS), E(ETIMEDOUT),
	E(ECONNREFUSED), E(EHOSTDOWN), E(EHOSTUNREACH), E(EALREADY),
	E(EINPROGRESS), E(ESTALE), E(EUCLEAN), E(ENOTNAM), E(ENAVAIL),
	E(EISNAM), E(EREMOTEIO), E(EDQUOT), E(ENOMEDIUM), E(EMEDIUMTYPE),
	E(ECANCELED), E(ENOKEY), E(EKEYEXPIRED), E(EKEYREVOKED),
	E(EKEYREJECTED), E(EOWNERDEAD), E(ENOTRECOVERABLE), E(ERFKILL),
	E(EHWPOISON),
};
#undef E

/*
 * include/linux/errno.h: kernel-internal values that a syscall hook sees
 * before the signal code turns them into a restart or EINTR.
 */
static const struct xlat kernel_errnos[] = {
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

static const char *xlat_find(const struct xlat *x, size_t n, uint32_t val)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (x[i].val == val)
			return x[i].name;
	return NULL;
}

/* Named bits of x that are set, each followed by '|'; returns the rest. */
static uint32_t put_bits(struct sink *s, const struct xlat *x, size_t n,
			 uint32_t val)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (val & x[i].val) {
			put_str(s, x[i].name);
			put_char(s, '|');
			val &= ~x[i].val;
		}
	}
	return val;
}

void decode_shmat_flags(struct sink *s, uint64_t arg)
{
	uint32_t shmflg = arg;
	size_t start = s->len;
	uint32_t unknown = put_bits(s, shmat_flag_names,
				    ARRAY_SIZE(shmat_flag_names), shmflg);

	if (unknown)
		put_hex(s, unknown, 1);
	else if (s->len > start)
		s->len--;	/* the last '|' */
	else
		put_char(s, '0');
}

void decode_shmctl_cmd(struct sink *s, uint64_t arg)
{
	uint32_t cmd = arg;
	const char *name;

	if ((int32_t)cmd >= 0 && (cmd & IPC_64)) {
		put_str(s, "IPC_64|");
		cmd &= ~IPC_64;
	}
	name = xlat_find(shmctl_cmds, ARRAY_SIZE(shmctl_cmds), cmd);
	if (name)
		put_str(s, name);
	else
		put_s64(s, (int32_t)cmd);
}

void decode_addr(struct sink *s, uint64_t addr)
{
	if (addr)
		put_hex(s, addr, 1);
	else
		put_str(s, "NULL");
}

void decode_key(struct sink *s, uint64_t key)
{
	if (!(uint32_t)key)
		put_str(s, "IPC_PRIVATE");
	else
		put_hex(s, (uint32_t)key, 8);
}

static void put_huge_size(struct sink *s, uint32_t code)
{
	const char *name = xlat_find(huge_sizes, ARRAY_SIZE(huge_sizes), code);

	if (name) {
		put_str(s, name);
		return;
	}
	put_u64(s, code);
	put_str(s, "<<SHM_HUGE_SHIFT");
}

void decode_shmflg(struct sink *s, uint64_t arg)
{
	uint32_t shmflg = arg;
	uint32_t unknown = shmflg & ~SHM_KNOWN;
	uint32_t code = (shmflg >> SHM_HUGE_SHIFT) & SHM_HUGE_MASK;
	uint32_t perms = shmflg & SHM_PERMS;

	put_bits(s, shmflg_names, ARRAY_SIZE(shmflg_names), shmflg);
	if (unknown) {
		put_hex(s, unknown, 1);
		put_char(s, '|');
	}
	if (code) {
		put_huge_size(s, code);
		put_char(s, '|');
	}
	/* Like strace's %#03o: "000", "0600", "0644". */
	if (perms)
		put_char(s, '0');
	put_oct(s, perms, perms ? 2 : 3);
}

const char *errno_name(int64_t err)
{
	if (err > 0 && err < (int64_t)ARRAY_SIZE(errno_names))
		return errno_names[err];
	if (err >= 512 && err < 4096)
		return xlat_find(kernel_errnos, ARRAY_SIZE(kernel_errnos), err);
	return NULL;
}

void decode_errno(struct sink *s, int64_t err)
{
	const char *name = errno_name(err);

	if (name) {
		put_str(s, name);
		return;
	}
	put_char(s, 'E');
	put_s64(s, err);
}

void decode_ret(struct sink *s, int64_t ret)
{
	if (ret_is_error(ret))
		decode_errno(s, -ret);
	else
		put_s64(s, ret);
}

void decode_result(struct sink *s, int64_t ret, bool addr)
{
	if (addr && !ret_is_error(ret))
		decode_addr(s, ret);
	else
		decode_ret(s, ret);
}

static const char *const causes[CAUSE_MAX] = {
	[CAUSE_FORK] = "fork",
	[CAUSE_EXEC] = "exec",
	[CAUSE_EXIT] = "exit",
	[CAUSE_MUNMAP] = "munmap",
	[CAUSE_MREMAP] = "mremap",
	[CAUSE_SPLIT] = "split",
};

void decode_cause(struct sink *s, uint64_t cause)
{
	if (cause < CAUSE_MAX)
		put_str(s, causes[cause]);
	else
		put_u64(s, cause);
}

static const char *const loss_reasons[LOSS_REASONS] = {
	[LOSS_RINGBUF] = "ring buffer full",
	[LOSS_UNPAIRED] = "no room to pair entry and exit",
	[LOSS_EXIT_MISSED] = "exit not seen",
	[LOSS_HOLDERS] = "no room to follow a process's mappings",
	[LOSS_MALFORMED] = "malformed record",
	[LOSS_ENTRY_MISSED] = "entry not seen",
};

const char *loss_reason(unsigned int kind)
{
	return kind < LOSS_REASONS ? loss_reasons[kind] : "unknown";
}
