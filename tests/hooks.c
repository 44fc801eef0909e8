// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The BPF object's programs against what userspace reads from their names
 * (src/attach.c): every program is understood, and every attach mode sees
 * every syscall on every entry path of the architecture exactly once, at
 * entry and at exit. Needs neither root nor BPF: it only opens the object.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "cli.h"
#include "harness.h"
#include "shmtrace.skel.h"
#include "syscalls.h"

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* How many of the object's hooks of mode report sys on path at exit/entry. */
static int count_hooks(const struct shmtrace_bpf *skel, enum attach_mode mode,
		       int path, int sys, bool exit)
{
	const struct bpf_prog_skeleton *p;
	struct hook h;
	int n = 0;

	for (p = skel->skeleton->progs;
	     p < skel->skeleton->progs + skel->skeleton->prog_cnt; p++) {
		if (hook_parse(p->name, bpf_program__section_name(*p->prog), &h))
			continue;
		if (h.mode == mode && h.exit == exit &&
		    (h.paths & (1u << path)) && (h.syscalls & (1u << sys)))
			n++;
	}
	return n;
}

static void test_every_program_parses(const struct shmtrace_bpf *skel)
{
	const struct bpf_prog_skeleton *p;
	struct tcase tc;
	struct hook h;

	for (p = skel->skeleton->progs;
	     p < skel->skeleton->progs + skel->skeleton->prog_cnt; p++) {
		const char *sec = bpf_program__section_name(*p->prog);

		tc_begin(&tc, "%s (%s) is understood", p->name, sec);
		if (hook_parse(p->name, sec, &h))
			tc_fail(&tc, "parsed", 6, "-EINVAL", 7);
		else
			expect_true(&tc, h.paths || h.mode == MODE_AUTO,
				    "an entry path", "none");
		tc_end(&tc);
	}
}

static void test_coverage(const struct shmtrace_bpf *skel)
{
	static const enum attach_mode modes[] = {
		MODE_FENTRY, MODE_KPROBE, MODE_TRACEPOINT,
	};
	struct tcase tc;
	size_t m;
	int path, sys, entries, exits;

	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		for (path = 0; path < NR_PATHS; path++) {
			if (!entry_path_name(path))
				continue;
			for (sys = 0; sys < SYS_MAX; sys++) {
				entries = count_hooks(skel, modes[m], path, sys, false);
				exits = count_hooks(skel, modes[m], path, sys, true);
				tc_begin(&tc, "%s sees %s on %s once (entries %d, exits %d)",
					 attach_mode_name(modes[m]), syscall_name(sys),
					 entry_path_name(path), entries, exits);
				expect_u64(&tc, 1, entries);
				expect_u64(&tc, 1, exits);
				tc_end(&tc);
			}
		}
	}
}

/* What a name says, field by field. */
static void test_parse_cases(void)
{
	struct hook h = { 0 };	/* read even where the parse failed */
	struct tcase tc;

	tc_begin(&tc, "kretprobe_compat_shmat: kprobe exit, compat path, shmat, f");
	expect_u64(&tc, 0, hook_parse("kretprobe_compat_shmat", "kretprobe/f", &h));
	expect_u64(&tc, MODE_KPROBE, h.mode);
	expect_u64(&tc, true, h.exit);
	expect_u64(&tc, 1u << PATH_COMPAT, h.paths);
	expect_u64(&tc, 1u << SYS_SHMAT, h.syscalls);
	expect_str(&tc, "f", h.func);
	tc_end(&tc);
	tc_begin(&tc, "fentry_ipc: every syscall on the ipc path");
	expect_u64(&tc, 0, hook_parse("fentry_ipc", "fentry/g", &h));
	expect_u64(&tc, (1u << SYS_MAX) - 1, h.syscalls);
	expect_u64(&tc, 1u << PATH_COMPAT_IPC, h.paths);
	tc_end(&tc);
}

static void expect_refused(const char *name, const char *section,
			   const char *why)
{
	struct tcase tc;
	struct hook h;

	tc_begin(&tc, "%s", why);
	expect_u64(&tc, (uint64_t)-EINVAL,
		   (uint64_t)(int64_t)hook_parse(name, section, &h));
	tc_end(&tc);
}

static void test_refusals(void)
{
	expect_refused("fentry_native_shmgot", "fentry/f",
		       "an unknown syscall in a name is refused");
	expect_refused("fentri_native_shmget", "fentry/f",
		       "an unknown kind is refused");
	expect_refused("kprobe_native_shmget", "kprobe",
		       "a kprobe section without a function is refused");
}

int main(void)
{
	struct shmtrace_bpf *skel;
	const char *why;
	struct tcase tc;

	harness_start("hooks");
	libbpf_set_print(silent);
	skel = shmtrace_bpf__open();
	why = skel ? "ok" : strerror(errno);
	tc_begin(&tc, "the BPF object opens (%s)", why);
	expect_true(&tc, skel != NULL, "ok", why);
	tc_end(&tc);
	if (skel) {
		test_every_program_parses(skel);
		test_coverage(skel);
		shmtrace_bpf__destroy(skel);
	}
	test_parse_cases();
	test_refusals();
	return harness_finish();
}
