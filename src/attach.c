// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "shmtrace.skel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BIT(p) (1u << (p))

enum hook_when {
	ALWAYS,
	COMPAT,		/* tracepoint mode with --compat */
	FOLLOW,		/* "-- COMMAND" */
};

struct hook {
	const char *prog;	/* BPF program name */
	const char *func;	/* kernel function it needs, or NULL */
	unsigned int paths;	/* entry paths it covers */
	enum hook_when when;
	unsigned int syscalls;	/* the syscalls it reports (bitmask) */
};

#define ANY_SYSCALL (BIT(SYS_MAX) - 1)
#define X64 BIT(PATH_X64)
#define IA32 BIT(PATH_IA32)
#define IPC BIT(PATH_IA32_IPC)

/*
 * Exits come before entries: an exit attached without its entry reports
 * nothing, while an entry without its exit would leave calls unpaired.
 */
#define PAIR(enter, exit, name, func, path, sys)			\
	{ exit "_" name, func, path, ALWAYS, BIT(sys) },		\
	{ enter "_" name, func, path, ALWAYS, BIT(sys) }

#define WRAPPERS(enter, exit, name, x64, ia32, sys)			\
	PAIR(enter, exit, "x64_" name, x64, X64, sys),			\
	PAIR(enter, exit, "ia32_" name, ia32, IA32, sys)

#define ALL_WRAPPERS(enter, exit)					\
	WRAPPERS(enter, exit, "shmget", "__x64_sys_shmget",		\
		 "__ia32_sys_shmget", SYS_SHMGET),			\
	WRAPPERS(enter, exit, "shmat", "__x64_sys_shmat",		\
		 "__ia32_compat_sys_shmat", SYS_SHMAT),			\
	WRAPPERS(enter, exit, "shmdt", "__x64_sys_shmdt",		\
		 "__ia32_sys_shmdt", SYS_SHMDT),			\
	WRAPPERS(enter, exit, "shmctl", "__x64_sys_shmctl",		\
		 "__ia32_compat_sys_shmctl", SYS_SHMCTL),		\
	{ exit "_ia32_ipc", "__ia32_compat_sys_ipc", IPC, ALWAYS, ANY_SYSCALL }, \
	{ enter "_ia32_ipc", "__ia32_compat_sys_ipc", IPC, ALWAYS, ANY_SYSCALL }

static const struct hook fentry_hooks[] = { ALL_WRAPPERS("fentry", "fexit") };
static const struct hook kprobe_hooks[] = {
	ALL_WRAPPERS("kprobe", "kretprobe")
};

static const struct hook tracepoint_hooks[] = {
	PAIR("tp_enter", "tp_exit", "shmget", NULL, X64, SYS_SHMGET),
	PAIR("tp_enter", "tp_exit", "shmat", NULL, X64, SYS_SHMAT),
	PAIR("tp_enter", "tp_exit", "shmdt", NULL, X64, SYS_SHMDT),
	PAIR("tp_enter", "tp_exit", "shmctl", NULL, X64, SYS_SHMCTL),
	{ "raw_exit_compat", NULL, IA32 | IPC, COMPAT, ANY_SYSCALL },
	{ "raw_enter_compat", NULL, IA32 | IPC, COMPAT, ANY_SYSCALL },
};

/* Mode-independent: following the children of "-- COMMAND". */
static const struct hook follow_hooks[] = {
	{ "follow_fork", NULL, 0, FOLLOW, ANY_SYSCALL },
	{ "forget_exit", NULL, 0, FOLLOW, ANY_SYSCALL },
};

struct mode {
	const char *name;
	const struct hook *hooks;
	size_t nhooks;
	/* Whether the kernel can do this mode at all; btf is NULL for modes
	 * that do not hook functions. */
	int (*check)(const struct btf *btf, char *why);
	bool reads_btf_args;
};

static int check_fentry(const struct btf *btf, char *why);
static int check_kprobes(const struct btf *btf, char *why);
static int check_tracepoints(const struct btf *btf, char *why);

static const struct mode modes[] = {
	[MODE_FENTRY] = { "fentry", fentry_hooks, ARRAY_SIZE(fentry_hooks),
			  check_fentry, true },
	[MODE_KPROBE] = { "kprobe", kprobe_hooks, ARRAY_SIZE(kprobe_hooks),
			  check_kprobes, false },
	[MODE_TRACEPOINT] = { "tracepoint", tracepoint_hooks,
			      ARRAY_SIZE(tracepoint_hooks), check_tracepoints,
			      false },
};

static const char *const path_names[PATH_MAX] = {
	[PATH_X64] = "64-bit syscalls",
	[PATH_IA32] = "32-bit syscalls",
	[PATH_IA32_IPC] = "32-bit ipc(2)",
};

const char *attach_mode_name(enum attach_mode mode)
{
	return mode == MODE_AUTO ? "auto" : modes[mode].name;
}

const char *entry_path_name(enum entry_path path)
{
	return path_names[path];
}

int attach_candidates(enum attach_mode requested, enum attach_mode out[3])
{
	if (requested != MODE_AUTO) {
		out[0] = requested;
		return 1;
	}
	out[0] = MODE_FENTRY;
	out[1] = MODE_KPROBE;
	out[2] = MODE_TRACEPOINT;
	return 3;
}

/*
 * Some kernels refuse every fentry program (EPERM here): a two-instruction
 * one tells in a millisecond, where loading ours would cost a BTF parse.
 */
static int check_fentry(const struct btf *btf, char *why)
{
	const struct bpf_insn ret0[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int id = btf__find_by_name_kind(btf, "__x64_sys_shmget", BTF_KIND_FUNC);
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = BPF_TRACE_FENTRY,
		    .attach_btf_id = id);
	int fd;

	if (id < 0) {
		snprintf(why, WHY_LEN, "this kernel has no __x64_sys_shmget");
		return -ENOENT;
	}
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", ret0, 2, &opts);
	if (fd < 0) {
		snprintf(why, WHY_LEN,
			 "the kernel refused to load fentry programs (%s)",
			 strerror(errno));
		return -errno;
	}
	close(fd);
	return 0;
}

/* The kprobe PMU exists exactly when the kernel has kprobe events. */
static int check_kprobes(const struct btf *btf, char *why)
{
	(void)btf;
	if (access("/sys/bus/event_source/devices/kprobe/type", F_OK) &&
	    access("/sys/kernel/tracing/kprobe_events", F_OK) &&
	    access("/sys/kernel/debug/tracing/kprobe_events", F_OK)) {
		snprintf(why, WHY_LEN,
			 "this kernel has no kprobes (CONFIG_KPROBES)");
		return -ENOENT;
	}
	return 0;
}

/*
 * libbpf finds a tracepoint's id in tracefs, under /sys/kernel/debug/tracing
 * if that exists, else /sys/kernel/tracing. Fresh systems may have
 * neither mounted; we are root, so mount it rather than fail.
 */
static const char *tracefs_dir(char *why)
{
	if (!access("/sys/kernel/debug/tracing", F_OK))
		return "/sys/kernel/debug/tracing";
	if (!access("/sys/kernel/tracing/events", F_OK))
		return "/sys/kernel/tracing";
	if (errno == EACCES) {
		snprintf(why, WHY_LEN,
			 "tracefs (/sys/kernel/tracing) is readable by root only: tracepoint mode needs root");
		return NULL;
	}
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL)) {
		snprintf(why, WHY_LEN,
			 "tracefs is not mounted on /sys/kernel/tracing and mounting it failed (%s)",
			 strerror(errno));
		return NULL;
	}
	return "/sys/kernel/tracing";
}

static int check_tracepoints(const struct btf *btf, char *why)
{
	const char *dir = tracefs_dir(why);
	char path[96];

	(void)btf;
	if (!dir)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/events/syscalls/sys_enter_shmget",
		 dir);
	if (access(path, F_OK)) {
		snprintf(why, WHY_LEN,
			 "this kernel has no syscall tracepoints (CONFIG_FTRACE_SYSCALLS): no %s",
			 path);
		return -ENOENT;
	}
	return 0;
}

static bool hook_wanted(const struct hook *h, const struct config *cfg)
{
	if (!(h->syscalls & cfg->events))
		return false;
	switch (h->when) {
	case COMPAT:
		return cfg->compat;
	case FOLLOW:
		return cfg->command != NULL;
	default:
		return true;
	}
}

/* What a hook attaches to, for messages: the function, or the program. */
static const char *hook_target(const struct hook *h)
{
	return h->func ? h->func : h->prog;
}

static struct bpf_program *hook_prog(struct tracer *t, const struct hook *h)
{
	return bpf_object__find_program_by_name(t->skel->obj, h->prog);
}

__attribute__((format(printf, 3, 0)))
static void mark_uncovered(struct tracer *t, unsigned int paths,
			   const char *fmt, const char *arg)
{
	int p;

	for (p = 0; p < PATH_MAX; p++)
		if ((paths & BIT(p)) && !t->uncovered[p][0])
			snprintf(t->uncovered[p], WHY_LEN, fmt, arg);
}

/*
 * fentry reads the wrapper's struct pt_regs argument through BTF. Some
 * kernels (5.10) describe that argument as a pointer to a forward
 * declaration, which the verifier refuses to read.
 */
static bool arg_is_struct_ptr(const struct btf *btf, int func_id)
{
	const struct btf_type *t = btf__type_by_id(btf, func_id);

	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 1)
		return false;
	t = btf__type_by_id(btf, btf__resolve_type(btf, btf_params(t)[0].type));
	if (!t || !btf_is_ptr(t))
		return false;
	t = btf__type_by_id(btf, btf__resolve_type(btf, t->type));
	return t && btf_is_struct(t);
}

/* Why this mode cannot hook func on this kernel, or NULL if it can. */
static const char *func_problem(const struct btf *btf, const struct mode *m,
				const char *func)
{
	int id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC);

	if (id < 0)
		return "this kernel has no %s";
	if (m->reads_btf_args && !arg_is_struct_ptr(btf, id))
		return "this kernel's BTF does not describe the struct pt_regs argument of %s, so fentry cannot read it";
	return NULL;
}

/* Functions this mode cannot hook on this kernel are left out. */
static void drop_missing_funcs(struct tracer *t, const struct mode *m,
			       const struct btf *btf)
{
	const char *problem;
	size_t i;

	for (i = 0; i < m->nhooks; i++) {
		const struct hook *h = &m->hooks[i];

		if (!h->func || !bpf_program__autoload(hook_prog(t, h)))
			continue;
		problem = func_problem(btf, m, h->func);
		if (!problem)
			continue;
		bpf_program__set_autoload(hook_prog(t, h), false);
		mark_uncovered(t, h->paths, problem, h->func);
	}
}

static void select_hooks(struct tracer *t, const struct hook *hooks,
			 size_t n, const struct config *cfg)
{
	size_t i;

	for (i = 0; i < n; i++) {
		bool on = hook_wanted(&hooks[i], cfg);

		bpf_program__set_autoload(hook_prog(t, &hooks[i]), on);
		if (hooks[i].when == COMPAT && !cfg->compat)
			mark_uncovered(t, hooks[i].paths,
				       "these need %s", "--compat");
	}
}

/* Modes that hook kernel functions look them up in the kernel's BTF. */
static bool hooks_functions(const struct mode *m)
{
	return m->hooks[0].func != NULL;
}

static struct btf *load_btf(const struct config *cfg, char *why)
{
	struct btf *btf = cfg->btf ? btf__parse(cfg->btf, NULL) :
				     btf__load_vmlinux_btf();

	if (!btf)
		snprintf(why, WHY_LEN, "cannot read the kernel's BTF (%s)",
			 strerror(errno));
	return btf;
}

static int select_programs(struct tracer *t, const struct mode *m,
			   const struct config *cfg, const struct btf *btf,
			   char *why)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, t->skel->obj)
		bpf_program__set_autoload(prog, false);
	select_hooks(t, m->hooks, m->nhooks, cfg);
	select_hooks(t, follow_hooks, ARRAY_SIZE(follow_hooks), cfg);
	if (btf)
		drop_missing_funcs(t, m, btf);
	if (t->uncovered[PATH_X64][0]) {
		snprintf(why, WHY_LEN, "%s", t->uncovered[PATH_X64]);
		return -ENOENT;
	}
	return 0;
}

int attach_select(struct tracer *t, enum attach_mode mode,
		  const struct config *cfg, char *why)
{
	const struct mode *m = &modes[mode];
	struct btf *btf = NULL;
	int err;

	t->mode = mode;
	memset(t->uncovered, 0, sizeof(t->uncovered));
	if (hooks_functions(m)) {
		btf = load_btf(cfg, why);
		if (!btf)
			return -ENOENT;
	}
	err = m->check(btf, why);
	if (!err)
		err = select_programs(t, m, cfg, btf, why);
	/* Freed before libbpf parses its own copy: a lower peak RSS. */
	btf__free(btf);
	return err;
}

static int attach_hooks(struct tracer *t, const struct hook *hooks, size_t n,
			char *why)
{
	struct bpf_program *prog;
	struct bpf_link *link;
	size_t i;

	for (i = 0; i < n; i++) {
		prog = hook_prog(t, &hooks[i]);
		if (!bpf_program__autoload(prog))
			continue;
		/* An entry whose exit did not attach is left out too. */
		if (hooks[i].paths &&
		    t->uncovered[__builtin_ctz(hooks[i].paths)][0])
			continue;
		link = bpf_program__attach(prog);
		if (link) {
			t->links[t->nlinks++] = link;
			continue;
		}
		if (!hooks[i].paths || (hooks[i].paths & BIT(PATH_X64))) {
			snprintf(why, WHY_LEN, "attaching %s failed (%s)",
				 hook_target(&hooks[i]), strerror(errno));
			return -errno;
		}
		mark_uncovered(t, hooks[i].paths, "attaching %s failed",
			       hook_target(&hooks[i]));
	}
	return 0;
}

int attach_links(struct tracer *t, char *why)
{
	const struct mode *m = &modes[t->mode];
	int err = attach_hooks(t, m->hooks, m->nhooks, why);

	if (!err)
		err = attach_hooks(t, follow_hooks, ARRAY_SIZE(follow_hooks),
				   why);
	return err;
}

void tracer_destroy(struct tracer *t)
{
	while (t->nlinks > 0)
		bpf_link__destroy(t->links[--t->nlinks]);
	shmtrace_bpf__destroy(t->skel);
	t->skel = NULL;
}
