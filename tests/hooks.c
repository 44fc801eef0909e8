// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The BPF object's programs against what userspace reads from their names
 * (src/attach.c): every program is understood, and every attach mode sees
 * every syscall on every entry path of the architecture exactly once, at
 * entry and at exit. Needs neither root nor BPF: it only opens the object.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "cli.h"
#include "shmtrace.skel.h"
#include "syscalls.h"

static unsigned int n_passed, n_failed;

__attribute__((format(printf, 2, 3)))
static void expect(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf(ok ? "PASS: hooks: " : "FAIL: hooks: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (ok)
		n_passed++;
	else
		n_failed++;
}

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
	struct hook h;

	for (p = skel->skeleton->progs;
	     p < skel->skeleton->progs + skel->skeleton->prog_cnt; p++) {
		const char *sec = bpf_program__section_name(*p->prog);
		int err = hook_parse(p->name, sec, &h);

		expect(!err && (h.paths || h.mode == MODE_AUTO),
		       "%s (%s) is understood", p->name, sec);
	}
}

static void test_coverage(const struct shmtrace_bpf *skel)
{
	static const enum attach_mode modes[] = {
		MODE_FENTRY, MODE_KPROBE, MODE_TRACEPOINT,
	};
	size_t m;
	int path, sys, entries, exits;

	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		for (path = 0; path < NR_PATHS; path++) {
			if (!entry_path_name(path))
				continue;
			for (sys = 0; sys < SYS_MAX; sys++) {
				entries = count_hooks(skel, modes[m], path, sys, false);
				exits = count_hooks(skel, modes[m], path, sys, true);
				expect(entries == 1 && exits == 1,
				       "%s sees %s on %s once (entries %d, exits %d)",
				       attach_mode_name(modes[m]), syscall_name(sys),
				       entry_path_name(path), entries, exits);
			}
		}
	}
}

static void test_parse_cases(void)
{
	struct hook h;

	expect(!hook_parse("kretprobe_compat_shmat", "kretprobe/f", &h) &&
	       h.mode == MODE_KPROBE && h.exit && h.paths == 1u << PATH_COMPAT &&
	       h.syscalls == 1u << SYS_SHMAT && !strcmp(h.func, "f"),
	       "kretprobe_compat_shmat: kprobe exit, compat path, shmat, f");
	expect(!hook_parse("fentry_ipc", "fentry/g", &h) &&
	       h.syscalls == (1u << SYS_MAX) - 1 &&
	       h.paths == 1u << PATH_COMPAT_IPC,
	       "fentry_ipc: every syscall on the ipc path");
	expect(hook_parse("fentry_native_shmgot", "fentry/f", &h) == -EINVAL,
	       "an unknown syscall in a name is refused");
	expect(hook_parse("fentri_native_shmget", "fentry/f", &h) == -EINVAL,
	       "an unknown kind is refused");
	expect(hook_parse("kprobe_native_shmget", "kprobe", &h) == -EINVAL,
	       "a kprobe section without a function is refused");
}

int main(void)
{
	struct shmtrace_bpf *skel;

	libbpf_set_print(silent);
	skel = shmtrace_bpf__open();
	expect(skel != NULL, "the BPF object opens (%s)",
	       skel ? "ok" : strerror(errno));
	if (skel) {
		test_every_program_parses(skel);
		test_coverage(skel);
		shmtrace_bpf__destroy(skel);
	}
	test_parse_cases();
	printf("hooks: %u passed, %u failed\n", n_passed, n_failed);
	return n_failed ? 1 : 0;
}
