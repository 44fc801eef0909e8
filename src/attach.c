// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "arch.h"
#include "attach.h"
#include "kretprobes.h"
#include "shmtrace.skel.h"
#include "syscalls.h"
#include "util.h"

#define BIT(p) (1u << (p))
/* The kernel's own "not supported" (include/linux/errno.h): no libc name. */
#define ENOTSUPP 524

/*
 * A program's name is KIND_TOKEN..., where each token names an entry path
 * or a syscall; a program that names no syscall reports them all.
 */
static const struct hook_kind {
	const char *name;
	enum attach_mode mode;
	bool exit;
	bool hooks_func;	/* the section names a kernel function */
	enum hook_when when;
} hook_kinds[] = {
	{ "fentry", MODE_FENTRY, false, true, ALWAYS },
	{ "fexit", MODE_FENTRY, true, true, ALWAYS },
	{ "kprobe", MODE_KPROBE, false, true, ALWAYS },
	{ "kretprobe", MODE_KPROBE, true, true, ALWAYS },
	{ "tpenter", MODE_TRACEPOINT, false, false, ALWAYS },
	{ "tpexit", MODE_TRACEPOINT, true, false, ALWAYS },
	{ "rawenter", MODE_TRACEPOINT, false, false, COMPAT },
	{ "rawexit", MODE_TRACEPOINT, true, false, COMPAT },
	{ "follow", MODE_AUTO, false, false, FOLLOW },
	{ "unfollow", MODE_AUTO, true, false, FOLLOW },
	{ "reap", MODE_AUTO, true, false, ALWAYS },
	{ "lifeproc", MODE_AUTO, true, false, ALWAYS },
	{ "lifeenter", MODE_AUTO, false, false, TRACEFS },
	{ "lifeleave", MODE_AUTO, true, false, TRACEFS },
};

/* What a life* program watches: part of its name, nothing to select by. */
static const char *const life_tokens[] = {
	"fork", "exec", "exit", "munmap", "mremap",
};

static const char *const path_tokens[NR_PATHS] = {
	[PATH_NATIVE] = "native",
	[PATH_COMPAT] = "compat",
	[PATH_COMPAT_IPC] = "ipc",
};

static const char *const path_names[NR_PATHS] = ARCH_PATH_NAMES;

const char *entry_path_name(enum entry_path path)
{
	return path_names[path];
}

/* The n bytes at s as an entry path or a syscall, into h. */
static int parse_token(const char *s, size_t n, struct hook *h)
{
	int i;

	for (i = 0; i < NR_PATHS; i++) {
		if (strlen(path_tokens[i]) == n &&
		    !strncmp(s, path_tokens[i], n)) {
			h->paths |= BIT(i);
			return 0;
		}
	}
	for (i = 0; i < (int)ARRAY_SIZE(life_tokens); i++)
		if (strlen(life_tokens[i]) == n && !strncmp(s, life_tokens[i], n))
			return 0;
	i = syscall_by_name(s, n);
	if (i < 0)
		return -EINVAL;
	h->syscalls |= BIT(i);
	return 0;
}

static const struct hook_kind *find_kind(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hook_kinds); i++)
		if (strlen(hook_kinds[i].name) == n &&
		    !strncmp(name, hook_kinds[i].name, n))
			return &hook_kinds[i];
	return NULL;
}

int hook_parse(const char *name, const char *section, struct hook *h)
{
	size_t n = strcspn(name, "_");
	const struct hook_kind *k = find_kind(name, n);
	const char *slash = strchr(section, '/');

	if (!k || (k->hooks_func && !slash))
		return -EINVAL;
	*h = (struct hook){ .mode = k->mode, .exit = k->exit,
			    .when = k->when,
			    .func = k->hooks_func ? slash + 1 : NULL };
	for (name += n; *name; name += n) {
		n = strcspn(++name, "_");
		if (parse_token(name, n, h))
			return -EINVAL;
	}
	if (!h->syscalls)
		h->syscalls = BIT(SYS_MAX) - 1;
	return 0;
}

/* The skeleton's programs, each with its link slot in skel->links. */
#define for_each_skel_prog(p, skel)					\
	for ((p) = (skel)->skeleton->progs;				\
	     (p) < (skel)->skeleton->progs + (skel)->skeleton->prog_cnt; (p)++)

static int skel_hook(const struct bpf_prog_skeleton *p, struct hook *h)
{
	return hook_parse(p->name, bpf_program__section_name(*p->prog), h);
}

struct mode {
	/* Whether the kernel can do this mode at all. */
	int (*check)(struct hookset *t, struct kernel_btf *kb, char *why);
	bool reads_btf_args;
};

static int check_fentry(struct hookset *t, struct kernel_btf *kb, char *why);
static int check_kprobes(struct hookset *t, struct kernel_btf *kb, char *why);
static int check_tracepoints(struct hookset *t, struct kernel_btf *kb,
			     char *why);

static const struct mode modes[MODE_MAX] = {
	[MODE_FENTRY] = { check_fentry, true },
	[MODE_KPROBE] = { check_kprobes, false },
	[MODE_TRACEPOINT] = { check_tracepoints, false },
};

/*
 * auto takes the exact modes first: kprobe mode that can lose returns
 * comes last, where tracefs is out of reach and tracepoints with it.
 */
int attach_candidates(enum attach_mode requested,
		      struct candidate out[MAX_CANDIDATES])
{
	static const struct candidate any[] = {
		{ MODE_FENTRY, false }, { MODE_KPROBE, false },
		{ MODE_TRACEPOINT, false }, { MODE_KPROBE, true },
	};

	if (requested != MODE_AUTO) {
		out[0] = (struct candidate){ requested, true };
		return 1;
	}
	memcpy(out, any, sizeof(any));
	return ARRAY_SIZE(any);
}

/* Why func cannot be hooked, as a format for its name, if BTF says so. */
static const char *func_missing(int id)
{
	if (id == -ENOENT)
		return "this kernel has no %s";
	return id < 0 ? "this kernel's BTF could not be read to look %s up" : NULL;
}

/*
 * Some kernels refuse every fentry program (EPERM here), and some load
 * them but cannot attach them (arm64 before 6.4: ENOTSUPP, 524): a
 * two-instruction one tells in a millisecond, where loading ours would
 * cost a BTF parse.
 */
static int check_fentry(struct hookset *t, struct kernel_btf *kb, char *why)
{
	const struct bpf_insn ret0[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	const char *func = XSTR(NATIVE_SHMGET_WRAPPER);
	bool struct_arg;
	int id = kbtf_func(kb, func, &struct_arg);
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = BPF_TRACE_FENTRY,
		    .attach_btf_id = id);
	const char *missing = func_missing(id);
	int fd, link;

	(void)t;
	if (missing) {
		snprintf(why, WHY_LEN, missing, func);
		return id;
	}
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", ret0, 2, &opts);
	if (fd < 0) {
		snprintf(why, WHY_LEN,
			 "the kernel refused to load fentry programs (%s)",
			 strerror(errno));
		return -errno;
	}
	link = bpf_raw_tracepoint_open(NULL, fd);
	if (link < 0) {
		link = -errno;
		snprintf(why, WHY_LEN,
			 "the kernel cannot attach fentry programs to %s (%s)",
			 func, link == -ENOTSUPP ? "ENOTSUPP" : strerror(-link));
		close(fd);
		return link;
	}
	close(link);
	close(fd);
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

/*
 * The kprobe PMU exists exactly when the kernel has kprobe events. Their
 * returns are made in tracefs, with enough instances; without it, only
 * libbpf's perf kretprobes are left, which can run out (t->lossy).
 */
static int check_kprobes(struct hookset *t, struct kernel_btf *kb, char *why)
{
	char reason[WHY_LEN];

	(void)kb;
	if (access("/sys/bus/event_source/devices/kprobe/type", F_OK) &&
	    access("/sys/kernel/tracing/kprobe_events", F_OK) &&
	    access("/sys/kernel/debug/tracing/kprobe_events", F_OK)) {
		snprintf(why, WHY_LEN,
			 "this kernel has no kprobes (CONFIG_KPROBES)");
		return -ENOENT;
	}
	t->tracefs = tracefs_dir(reason);
	if (t->tracefs && !kretprobes_usable(t->tracefs, reason)) {
		kretprobes_sweep(t->tracefs);
		return 0;
	}
	if (!t->lossy_ok) {
		snprintf(why, WHY_LEN,
			 "kretprobes get enough instances only through tracefs: %.180s",
			 reason);
		return -EAGAIN;
	}
	t->lossy = true;
	return 0;
}

static int check_tracepoints(struct hookset *t, struct kernel_btf *kb,
			     char *why)
{
	char path[96];

	(void)kb;
	t->tracefs = tracefs_dir(why);
	if (!t->tracefs)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/events/syscalls/sys_enter_shmget",
		 t->tracefs);
	if (access(path, F_OK)) {
		snprintf(why, WHY_LEN,
			 "this kernel has no syscall tracepoints (CONFIG_FTRACE_SYSCALLS): no %s",
			 path);
		return -ENOENT;
	}
	return 0;
}

/*
 * libbpf finds a syscall tracepoint's id in tracefs: in kprobe mode where
 * tracefs is out of reach, as in many containers, the life programs on
 * munmap and mremap are left out, and the banner says so.
 */
static bool tracefs_reached(struct hookset *t)
{
	if (!t->tracefs && !t->life_unseen[0])
		t->tracefs = tracefs_dir(t->life_unseen);
	return t->tracefs;
}

static bool hook_wanted(struct hookset *t, const struct hook *h,
			const struct attach_opts *o)
{
	if ((h->mode != t->mode && h->mode != MODE_AUTO) ||
	    !(h->syscalls & o->events))
		return false;
	switch (h->when) {
	case COMPAT:
		return o->compat;
	case FOLLOW:
		return o->follow;
	case TRACEFS:
		return tracefs_reached(t);
	default:
		return true;
	}
}

__attribute__((format(printf, 3, 0)))
static void mark_uncovered(struct hookset *t, unsigned int paths,
			   const char *fmt, const char *arg)
{
	int p;

	for (p = 0; p < NR_PATHS; p++)
		if ((paths & BIT(p)) && !t->uncovered[p][0])
			snprintf(t->uncovered[p], WHY_LEN, fmt, arg);
}

/* Why this mode cannot hook func on this kernel, or NULL if it can. */
static const char *func_problem(struct kernel_btf *kb, const struct mode *m,
				const char *func)
{
	bool struct_arg;
	const char *missing = func_missing(kbtf_func(kb, func, &struct_arg));

	if (missing)
		return missing;
	if (m->reads_btf_args && !struct_arg)
		return "this kernel's BTF does not describe the struct pt_regs argument of %s, so fentry cannot read it";
	return NULL;
}

/* Whether the mode loads h on this kernel; says why a path is left out. */
static bool select_hook(struct hookset *t, const struct hook *h,
			const struct attach_opts *o, struct kernel_btf *kb)
{
	const char *problem;

	if (h->when == COMPAT && h->mode == t->mode && !o->compat)
		mark_uncovered(t, h->paths, "these need %s", "--compat");
	if (!hook_wanted(t, h, o))
		return false;
	problem = h->func ? func_problem(kb, &modes[t->mode], h->func) : NULL;
	if (problem)
		mark_uncovered(t, h->paths, problem, h->func);
	return !problem;
}

static int select_programs(struct hookset *t, const struct attach_opts *o,
			   struct kernel_btf *kb, char *why)
{
	const struct bpf_prog_skeleton *p;
	struct hook h;

	for_each_skel_prog(p, t->skel) {
		if (skel_hook(p, &h)) {
			snprintf(why, WHY_LEN, "BPF program %s: name not understood",
				 p->name);
			return -EINVAL;
		}
		bpf_program__set_autoload(*p->prog,
					  select_hook(t, &h, o, kb));
	}
	if (t->uncovered[PATH_NATIVE][0]) {
		snprintf(why, WHY_LEN, "%s", t->uncovered[PATH_NATIVE]);
		return -ENOENT;
	}
	return 0;
}

int attach_select(struct hookset *t, const struct candidate *c,
		  const struct attach_opts *o, struct kernel_btf *kb, char *why)
{
	int err;

	t->mode = c->mode;
	t->lossy_ok = c->lossy_ok;
	t->lossy = false;
	memset(t->uncovered, 0, sizeof(t->uncovered));
	t->life_unseen[0] = '\0';
	err = modes[t->mode].check(t, kb, why);
	return err ? err : select_programs(t, o, kb, why);
}

int attach_funcs(const char *names[], int max)
{
	static char store[KBTF_MAX_FUNCS][KBTF_FUNC_LEN];
	const struct bpf_prog_skeleton *p;
	struct shmtrace_bpf *skel = shmtrace_bpf__open();
	struct hook h;
	int i, n = 0;

	if (!skel)
		return -errno;
	for_each_skel_prog(p, skel) {
		if (skel_hook(p, &h) || !h.func)
			continue;
		for (i = 0; i < n && strcmp(names[i], h.func); i++)
			;
		if (i < n || n == max || n == KBTF_MAX_FUNCS)
			continue;
		snprintf(store[n], KBTF_FUNC_LEN, "%s", h.func);
		names[n] = store[n];
		n++;
	}
	shmtrace_bpf__destroy(skel);
	return n;
}

/* What a hook attaches to, for messages: the function, or the program. */
static const char *hook_target(const struct hook *h,
			       const struct bpf_prog_skeleton *p)
{
	return h->func ? h->func : p->name;
}

/* A kretprobe through tracefs, or what libbpf makes of the program. */
static struct bpf_link *attach_one(struct hookset *t, const struct hook *h,
				   const struct bpf_prog_skeleton *p,
				   char *why)
{
	struct bpf_link *link;

	if (h->mode == MODE_KPROBE && h->exit && !t->lossy)
		return kretprobe_attach(t->tracefs, *p->prog, h->func, why);
	link = bpf_program__attach(*p->prog);
	if (!link)
		snprintf(why, WHY_LEN, "attaching %s failed (%s)",
			 hook_target(h, p), strerror(errno));
	return link;
}

/* Attaches the selected exits (exit) or entries (!exit). */
static int attach_pass(struct hookset *t, bool exit, char *why)
{
	const struct bpf_prog_skeleton *p;
	struct hook h;

	for_each_skel_prog(p, t->skel) {
		if (!bpf_program__autoload(*p->prog) || skel_hook(p, &h) ||
		    h.exit != exit)
			continue;
		/* An entry whose exit did not attach is left out too. */
		if (h.paths && t->uncovered[__builtin_ctz(h.paths)][0])
			continue;
		*p->link = attach_one(t, &h, p, why);
		if (*p->link)
			continue;
		if (!h.paths || (h.paths & BIT(PATH_NATIVE)))
			return -errno;
		mark_uncovered(t, h.paths, "attaching %s failed",
			       hook_target(&h, p));
	}
	return 0;
}

static uint64_t count_entry_misses(const struct hookset *t)
{
	const struct bpf_prog_skeleton *p;
	struct bpf_prog_info info;
	uint32_t len;
	uint64_t n = 0;
	struct hook h;

	for_each_skel_prog(p, t->skel) {
		if (!bpf_program__autoload(*p->prog) || skel_hook(p, &h) ||
		    h.exit || !h.paths)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(bpf_program__fd(*p->prog), &info, &len))
			n += info.recursion_misses;
	}
	return n;
}

uint64_t attach_entry_misses(const struct hookset *t)
{
	return t->settled ? t->entry_misses : count_entry_misses(t);
}

/* The hookset whose kretprobes an exit() must still remove. */
static struct hookset *live;

static void destroy_live(void)
{
	if (live)
		attach_destroy(live);
}

/*
 * Exits come before entries: an exit attached without its entry reports
 * nothing, while an entry without its exit would leave calls unpaired.
 */
int attach_links(struct hookset *t, char *why)
{
	static bool registered;
	int err;

	if (!registered)
		registered = !atexit(destroy_live);
	live = t;
	err = attach_pass(t, true, why);
	return err ? err : attach_pass(t, false, why);
}

/* tracefs refuses to remove a kretprobe while a link still uses it. */
void attach_detach(struct hookset *t)
{
	if (t->skel)
		shmtrace_bpf__detach(t->skel);
	t->kernel_missed += kretprobes_missed();
	kretprobes_remove();
}

void attach_settle(struct hookset *t)
{
	t->entry_misses = count_entry_misses(t);
	t->kernel_missed += kretprobes_missed();
	t->settled = true;
}

static int cmp_fd(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* The attached links' descriptors, ascending, into fds; how many. */
static int link_fds(const struct hookset *t, int fds[])
{
	const struct bpf_prog_skeleton *p;
	int n = 0;

	for_each_skel_prog(p, t->skel)
		if (*p->link)
			fds[n++] = bpf_link__fd(*p->link);
	qsort(fds, n, sizeof(*fds), cmp_fd);
	return n;
}

static void *close_link(void *fd)
{
	close((int)(intptr_t)fd);
	return NULL;
}

/*
 * The child keeps nothing but the links and go, which it waits on: a
 * pipe or a terminal it came with ends with the parent. Once the parent
 * has let go of the links, each is closed by a thread of its own, so
 * that their waits for the kernel overlap. It never prints, and ends by
 * itself once the kernel has let the last link go.
 */
__attribute__((noreturn))
static void detach_and_exit(int fds[], int n, int go)
{
	/* fds holds n links and go: n + 1 descriptors. */
	pthread_t threads[n + 1];
	bool started[n + 1];
	unsigned int from = 0;
	char c;
	int i;

	setsid();
	if (chdir("/"))
		_exit(1);
	fds[n] = go;
	qsort(fds, n + 1, sizeof(*fds), cmp_fd);
	for (i = 0; i <= n; i++) {
		if ((unsigned int)fds[i] > from)
			close_range(from, fds[i] - 1, 0);
		from = fds[i] + 1;
	}
	close_range(from, ~0u, 0);
	while (read(go, &c, 1) < 0 && errno == EINTR)
		;
	close(go);
	for (i = 0; i <= n; i++)
		started[i] = fds[i] != go &&
			     !pthread_create(&threads[i], NULL, close_link,
					     (void *)(intptr_t)fds[i]);
	for (i = 0; i <= n; i++)
		if (started[i])
			pthread_join(threads[i], NULL);
		else if (fds[i] != go)
			close(fds[i]);
	kretprobes_remove();
	_exit(0);
}

/*
 * Closing a link waits for the kernel: a tracepoint's or a kprobe's perf
 * event waits for RCU grace periods (tracepoint_synchronize_unregister,
 * 40-50 ms here) as its last reference goes. Settled programs change
 * nothing, so a child can hold that last reference instead, and this
 * process exit at once. The signals that end a run (a Ctrl-C to the
 * process group, a hangup) are not the child's: it ignores them before
 * it can receive one. Returns the pipe whose closing lets the child go,
 * once this process has closed its own links; -errno if no child.
 */
static int detach_in_child(struct hookset *t)
{
	static const int ends_a_run[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM };
	int fds[t->skel->skeleton->prog_cnt + 1], n = link_fds(t, fds);
	sigset_t all, old;
	int go[2], err;
	size_t i;
	pid_t pid;

	if (!n)
		return -ENOENT;
	if (pipe2(go, O_CLOEXEC))
		return -errno;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	err = errno;
	if (pid == 0) {
		for (i = 0; i < ARRAY_SIZE(ends_a_run); i++)
			signal(ends_a_run[i], SIG_IGN);
		sigprocmask(SIG_SETMASK, &old, NULL);
		detach_and_exit(fds, n, go[0]);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(go[0]);
	if (pid < 0) {
		close(go[1]);
		return -err;
	}
	return go[1];
}

/*
 * In a pid namespace of our own (a container), the child cannot be known
 * to outlive us: the namespace's last exit kills it, leaving kretprobes
 * behind, and on some kernels (6.1's) a reaper that waits for a child
 * in synchronize_rcu_tasks() (an fentry link's close) hangs both for good.
 */
void attach_destroy(struct hookset *t)
{
	int go = t->settled && in_host_pid_ns() ? detach_in_child(t) : -1;

	if (go < 0)
		attach_detach(t);
	shmtrace_bpf__destroy(t->skel);
	if (go >= 0)
		close(go);
	t->skel = NULL;
	t->settled = false;
	live = NULL;
}
