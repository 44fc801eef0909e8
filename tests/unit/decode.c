// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * src/decode.c: keys, shmget's flags, errno names and return values,
 * shmat's flags, shmctl's commands, addresses.
 */
#include <errno.h>
#include <stdint.h>
#include "decode.h"
#include "syscalls.h"
#include "unit.h"

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
	/*
	 * IPC_64 (0x100) left in the command: strace's IPC_64|IPC_STAT. A
	 * compat caller's is stripped before (tests/unit/output.c).
	 */
	{ 0x100, "IPC_64|IPC_RMID" }, { 0x102, "IPC_64|IPC_STAT" },
	{ 0x10d, "IPC_64|SHM_STAT" }, { 0x163, "IPC_64|99" },
	{ 4, "4" }, { 77, "77" }, { 0xffffffff, "-1" },
};

/* A decoder of one value: its cases are named by input, keys by output. */
struct u32_decoder {
	const char *name;
	void (*decode)(struct sink *s, uint64_t v);
	const struct u32_case *cases;
	size_t n;
	bool named_by_out;
};

static const struct u32_decoder u32_decoders[] = {
	{ "decode_key", decode_key, key_cases, ARRAY_SIZE(key_cases), true },
	{ "decode_shmflg", decode_shmflg, shmflg_cases,
	  ARRAY_SIZE(shmflg_cases), false },
	{ "decode_shmat_flags", decode_shmat_flags, shmat_flag_cases,
	  ARRAY_SIZE(shmat_flag_cases), false },
	{ "decode_shmctl_cmd", decode_shmctl_cmd, shmctl_cmd_cases,
	  ARRAY_SIZE(shmctl_cmd_cases), false },
};

static void check_u32(const struct u32_decoder *d, const struct u32_case *c)
{
	struct tcase tc;
	struct text t;

	if (d->named_by_out)
		tc_begin(&tc, "%s %s", d->name, c->out);
	else
		tc_begin(&tc, "%s %#x", d->name, c->in);
	d->decode(text_init(&t), c->in);
	expect_text(&tc, &t, c->out);
	tc_end(&tc);
}

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

/* shmat returns an address (NULL for 0), the others a number or an error. */
static void test_results(void)
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
}

void test_decode(void)
{
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(u32_decoders); i++)
		for (j = 0; j < u32_decoders[i].n; j++)
			check_u32(&u32_decoders[i], &u32_decoders[i].cases[j]);
	test_errno_names();
	test_decode_ret();
	test_results();
}
