// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * shmtrace: one ring buffer record per SysV shared memory call (shmget,
 * shmat, shmdt, shmctl).
 *
 * Three interchangeable hook sets feed the same on_enter()/on_exit() pair:
 * fentry/fexit and kprobe/kretprobe on the syscall wrappers themselves
 * (never ksys_shmget: it is inlined on some kernels and not on others, so
 * probing it would miss or double-count calls), and the syscall
 * tracepoints, with raw_syscalls covering 32-bit callers because
 * syscalls:sys_enter_shmget is not emitted for compat tasks. Userspace
 * loads exactly one hook set.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "shmtrace.h"
#include "arch.h"

#define MAX_THREADS	16384

/* Filters, set by userspace between open and load. */
const volatile __u32 events_mask = 1 << SYS_SHMGET;
const volatile __u32 filter_tgid;
const volatile __u32 filter_tid;
const volatile __u32 filter_uid = (__u32)-1;
const volatile bool filter_comm_on;
const volatile char filter_comm[TASK_COMM_LEN];
const volatile bool filter_key_on;
const volatile __u32 filter_key;
const volatile bool filter_failed;
const volatile bool filter_cgroup_on;
const volatile bool filter_container_on;
const volatile __u32 filter_ipc_ns;
const volatile bool follow_on;
/* The command's pid in shmtrace's pid namespace, and that namespace. */
const volatile __u32 follow_ns_pid;
const volatile __u64 follow_ns_dev;
const volatile __u64 follow_ns_ino;
/* Backlog (bytes) past which the reader is woken; below it a timer polls. */
const volatile __u64 wakeup_bytes = 65536;
/* -e attach, detach: follow the processes that hold a mapping (REC_*). */
const volatile bool life_on;
/* Pair entry and exit in task storage (5.11+) instead of the starts hash. */
const volatile bool use_task_storage;
/* Read the task through BTF (5.11+): loads, not a probe_read each. */
const volatile bool use_task_btf;

/*
 * Set by userspace as the trace ends: no new call is started, so that the
 * calls still inside the kernel can finish and be counted.
 */
volatile bool draining;

struct start {
	__u64 ts_ns;
	__u64 args[3];
	__u64 ret_ptr;		/* ipc(SHMAT) stores the address here */
	__u8 syscall;
	__u8 abi;
};

/*
 * Where an entry waits for its exit. Task storage lives and dies with the
 * thread and costs a pointer lookup; where the kernel lacks it (5.10), a
 * hash keyed by thread id: a thread is in at most one syscall, so a lost
 * exit is overwritten by the thread's next call and the map cannot grow
 * past the number of threads. Userspace creates only one of the two.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct start);
} task_starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_THREADS);
	__type(key, __u32);
	__type(value, struct start);
} starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

/* Per-CPU loss counters, indexed by enum loss_kind. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LOSS_MAX);
	__type(key, __u32);
	__type(value, __u64);
} losses SEC(".maps");

/*
 * Entries waiting for their exit, summed over the CPUs (an entry and its
 * exit may run on different ones): what the end of a trace waits for.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __s64);
} inflight SEC(".maps");

/* --cgroup's and --container's cgroups, by enum cgroup_slot. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, CGROUP_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

/*
 * The processes that hold a mapping (life_on): those whose shmat passed
 * the filters, and their forked children. Only their forks, execs, exits,
 * munmaps and mremaps are sent, so that a fork-heavy program that
 * attaches nothing pays one lookup per process event. Not preallocated,
 * as followed.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, MAX_THREADS);
	__type(key, __u32);
	__type(value, __u8);
} holders SEC(".maps");

/*
 * In "-- COMMAND" mode: the processes descended from COMMAND. Filled at
 * forks only: preallocating its entries cost each start 2-3 ms.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, MAX_THREADS);
	__type(key, __u32);
	__type(value, __u8);
} followed SEC(".maps");

static __always_inline void count_loss(__u32 kind)
{
	__u64 *n = bpf_map_lookup_elem(&losses, &kind);

	if (n)
		*n += 1;
}

static __always_inline void count_inflight(__s64 n)
{
	__u32 zero = 0;
	__s64 *v = bpf_map_lookup_elem(&inflight, &zero);

	if (v)
		*v += n;
}

static __always_inline bool comm_matches(void)
{
	char comm[TASK_COMM_LEN];
	int i;

	bpf_get_current_comm(comm, sizeof(comm));
	for (i = 0; i < TASK_COMM_LEN; i++) {
		if (comm[i] != filter_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

static __always_inline __u32 ipc_ns_of(struct task_struct *task)
{
	return BPF_CORE_READ(task, nsproxy, ipc_ns, ns.inum);
}

/* The number pid has at level, its own (innermost) pid namespace's. */
static __always_inline __u32 ns_nr(struct pid *pid, unsigned int level)
{
	int nr = 0;

	bpf_core_read(&nr, sizeof(nr), &pid->numbers[level].nr);
	return nr;
}

/* The cheap filters come first so that untraced callers cost least. */
static __always_inline bool task_wanted(__u64 pid_tgid)
{
	__u32 tgid = pid_tgid >> 32;

	if (filter_tgid && tgid != filter_tgid)
		return false;
	if (filter_tid && (__u32)pid_tgid != filter_tid)
		return false;
	if (filter_uid != (__u32)-1 &&
	    (__u32)bpf_get_current_uid_gid() != filter_uid)
		return false;
	if (follow_on && !bpf_map_lookup_elem(&followed, &tgid))
		return false;
	if (filter_comm_on && !comm_matches())
		return false;
	if (filter_ipc_ns &&
	    ipc_ns_of((void *)bpf_get_current_task()) != filter_ipc_ns)
		return false;
	if (filter_cgroup_on &&
	    bpf_current_task_under_cgroup(&cgroup_filter,
					  CGROUP_SLOT_CGROUP) != 1)
		return false;
	if (filter_container_on &&
	    bpf_current_task_under_cgroup(&cgroup_filter,
					  CGROUP_SLOT_CONTAINER) != 1)
		return false;
	return true;
}

/* The calling thread's entry slot, created if asked to; NULL if none. */
static __always_inline struct start *start_slot(bool create)
{
	static const struct start empty;
	__u32 tid = bpf_get_current_pid_tgid();
	struct start *s;

	if (use_task_storage)
		return bpf_task_storage_get(&task_starts,
					    bpf_get_current_task_btf(), 0,
					    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	s = bpf_map_lookup_elem(&starts, &tid);
	if (s || !create)
		return s;
	bpf_map_update_elem(&starts, &tid, &empty, BPF_NOEXIST);
	return bpf_map_lookup_elem(&starts, &tid);
}

/* Marks the slot free; the hash also gives the entry back. */
static __always_inline void release_slot(struct start *s)
{
	__u32 tid;

	if (s->ts_ns)
		count_inflight(-1);
	s->ts_ns = 0;
	if (use_task_storage)
		return;
	tid = bpf_get_current_pid_tgid();
	bpf_map_delete_elem(&starts, &tid);
}

/* The calling thread's entry, if one waits, will never see its exit. */
static __always_inline void drop_waiting(void)
{
	struct start *s = start_slot(false);

	if (!s)
		return;
	if (s->ts_ns)
		count_loss(LOSS_EXIT_MISSED);
	release_slot(s);
}

/* Whether the call whose user registers are regs is a compat one. */
static __always_inline bool compat_call(struct pt_regs *regs)
{
	return COMPAT_CALL(regs);
}

static __always_inline bool call_wanted(__u8 syscall, __u64 a0)
{
	/* A holder's munmap, mremap: holders took only wanted callers. */
	if (syscall >= SYS_MAX)
		return true;
	if (!(events_mask & (1u << syscall)))
		return false;
	if (filter_key_on && syscall == SYS_SHMGET && (__u32)a0 != filter_key)
		return false;
	return task_wanted(bpf_get_current_pid_tgid());
}

static __always_inline int on_enter(__u8 syscall, __u8 abi, __u64 a0,
				    __u64 a1, __u64 a2, __u64 ret_ptr)
{
	struct start *s;

	if (draining || !call_wanted(syscall, a0)) {
		/* An entry whose exit went missing must not pair with ours. */
		drop_waiting();
		return 0;
	}
	s = start_slot(true);
	if (!s) {
		count_loss(LOSS_UNPAIRED);
		return 0;
	}
	/*
	 * A thread is in one syscall at a time: a slot still in use means
	 * the previous call's exit was never seen (kretprobes can run out).
	 */
	if (s->ts_ns)
		count_loss(LOSS_EXIT_MISSED);
	else
		count_inflight(1);
	s->ts_ns = bpf_ktime_get_boot_ns();
	s->args[0] = a0;
	s->args[1] = a1;
	s->args[2] = a2;
	s->ret_ptr = ret_ptr;
	s->syscall = syscall;
	s->abi = abi;
	return 0;
}

static __always_inline void submit(struct event *e)
{
	__u64 flags = BPF_RB_NO_WAKEUP;
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	/* Wake only as the backlog crosses the threshold, not per record. */
	if (avail >= wakeup_bytes && avail < wakeup_bytes + 2 * sizeof(*e))
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

/*
 * Who the caller is inside its namespaces, and its cgroup. Every read
 * costs on every call: a task in the initial pid namespace (level 0) has
 * the ids the host sees, so its leader is not read at all.
 */
static __always_inline void fill_namespaces(struct event *e,
					    __u64 pid_tgid)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	unsigned int level;
	struct pid *pid;

	e->cgroup_id = bpf_get_current_cgroup_id();
	if (use_task_btf) {
		task = bpf_get_current_task_btf();
		e->ipc_ns = task->nsproxy->ipc_ns->ns.inum;
		pid = task->thread_pid;
		level = pid->level;
	} else {
		e->ipc_ns = ipc_ns_of(task);
		pid = BPF_CORE_READ(task, thread_pid);
		level = BPF_CORE_READ(pid, level);
	}
	if (!level) {
		e->ns_tid = (__u32)pid_tgid;
		e->ns_pid = pid_tgid >> 32;
		return;
	}
	e->ns_tid = ns_nr(pid, level);
	e->ns_pid = ns_nr(BPF_CORE_READ(task, group_leader, thread_pid), level);
}

/* Remembers that tgid holds a mapping; false if there was no room. */
static __always_inline void hold(__u32 tgid)
{
	__u8 one = 1;

	if (bpf_map_update_elem(&holders, &tgid, &one, BPF_ANY))
		count_loss(LOSS_HOLDERS);
}

/*
 * Two loads where the helper's strscpy costs more. Kernels before 6.x may
 * leave old bytes past the NUL (prctl PR_SET_NAME to a shorter name):
 * userspace reads comm only up to its first NUL.
 */
static __always_inline void copy_comm(char *to, struct task_struct *task)
{
	const __u64 *from = (const void *)task->comm;

	((__u64 *)to)[0] = from[0];
	((__u64 *)to)[1] = from[1];
}

/* Who the calling thread is: ids, namespaces, cgroup and name. */
static __always_inline void fill_caller(struct event *e)
{
	__u64 id = bpf_get_current_pid_tgid();

	e->pid = id >> 32;
	e->tid = id;
	fill_namespaces(e, id);
	id = bpf_get_current_uid_gid();
	e->uid = id;
	e->gid = id >> 32;
	if (use_task_btf)
		copy_comm(e->comm, bpf_get_current_task_btf());
	else
		bpf_get_current_comm(e->comm, sizeof(e->comm));
}

static __always_inline int on_exit(long ret)
{
	struct start *s = start_slot(false);
	struct event *e;

	if (!s || !s->ts_ns)
		return 0;
	/* ipc(SHMAT) returns 0 and leaves the address in user memory. */
	if (s->ret_ptr && ret == 0) {
		__u32 addr = 0;

		bpf_probe_read_user(&addr, sizeof(addr), (void *)s->ret_ptr);
		ret = addr;
	}
	if (life_on && s->syscall == SYS_SHMAT && ret >= 0)
		hold(bpf_get_current_pid_tgid() >> 32);
	/* A failed munmap or mremap changed no mapping. */
	if (s->syscall >= SYS_MAX ? ret < 0 : filter_failed && ret >= 0)
		goto out;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_loss(LOSS_RINGBUF);
		goto out;
	}
	e->ts_ns = s->ts_ns;
	e->latency_ns = bpf_ktime_get_boot_ns() - s->ts_ns;
	e->ret = ret;
	e->args[0] = s->args[0];
	e->args[1] = s->args[1];
	e->args[2] = s->args[2];
	e->syscall = s->syscall;
	e->abi = s->abi;
	fill_caller(e);
	submit(e);
out:
	release_slot(s);
	return 0;
}

/*
 * The syscall arguments, read from the caller's registers that the
 * wrappers take: straight from BTF (fentry), or through CO-RE (kprobe,
 * raw tracepoints). libbpf knows the native ABI's registers; the
 * architecture's header names the compat ABI's.
 */
#define NATIVE_ARG_DIRECT(r, n)	PT_REGS_PARM##n##_SYSCALL(r)
#define NATIVE_ARG_CORE(r, n)	PT_REGS_PARM##n##_CORE_SYSCALL(r)
#define COMPAT_ARG_DIRECT(r, n)	((__u32)(r)->COMPAT_REG##n)
#define COMPAT_ARG_CORE(r, n)	((__u32)BPF_CORE_READ(r, COMPAT_REG##n))

#define NATIVE_ENTER(how, r, sys)					\
	on_enter(sys, ABI_NATIVE, NATIVE_ARG_##how(r, 1),		\
		 NATIVE_ARG_##how(r, 2), NATIVE_ARG_##how(r, 3), 0)
#define COMPAT_ENTER(how, r, sys)					\
	on_enter(sys, ABI_COMPAT, COMPAT_ARG_##how(r, 1),		\
		 COMPAT_ARG_##how(r, 2), COMPAT_ARG_##how(r, 3), 0)
/* A wrapper both ABIs enter (arm64): the caller's state says which. */
#define NATIVE_COMPAT_ENTER(how, r, sys)				\
	(compat_call(r) ? COMPAT_ENTER(how, r, sys) :			\
			  NATIVE_ENTER(how, r, sys))

#ifdef COMPAT_NR_IPC
#define IPCCALL_SHMAT	21	/* include/linux/ipc.h */
#define IPCCALL_SHMDT	22
#define IPCCALL_SHMGET	23
#define IPCCALL_SHMCTL	24

/*
 * ipc(2) multiplexes every SysV IPC call (compat_ksys_ipc): the version
 * sits in the upper bits of call; ptr is the fifth argument.
 */
static __always_inline int on_ipc_enter(__u32 call, __u32 first,
					__u32 second, __u32 third, __u32 ptr)
{
	switch (call & 0xffff) {
	case IPCCALL_SHMGET:
		return on_enter(SYS_SHMGET, ABI_COMPAT, first, second, third, 0);
	case IPCCALL_SHMAT:
		return on_enter(SYS_SHMAT, ABI_COMPAT, first, ptr, second, third);
	case IPCCALL_SHMDT:
		return on_enter(SYS_SHMDT, ABI_COMPAT, ptr, 0, 0, 0);
	case IPCCALL_SHMCTL:
		return on_enter(SYS_SHMCTL, ABI_COMPAT, first, second, ptr, 0);
	}
	/* Not ours: release what a missed exit may have left. */
	return on_enter(SYS_MAX, ABI_COMPAT, 0, 0, 0, 0);
}

#define IPC_ENTER(how, r)						\
	on_ipc_enter(COMPAT_ARG_##how(r, 1), COMPAT_ARG_##how(r, 2),	\
		     COMPAT_ARG_##how(r, 3), COMPAT_ARG_##how(r, 4),	\
		     COMPAT_ARG_##how(r, 5))
#endif

/* The compat syscall number's syscall, or SYS_MAX if not ours. */
#define COMPAT_NR_CASE(NAME, sys, nargs)				\
	case COMPAT_NR(sys):						\
		return SYS_##NAME;

static __always_inline __u8 compat_syscall(long nr)
{
	switch (nr) {
	SHM_SYSCALLS(COMPAT_NR_CASE)
	}
	return SYS_MAX;
}

static __always_inline bool compat_nr(long nr)
{
#ifdef COMPAT_NR_IPC
	if (nr == COMPAT_NR_IPC)
		return true;
#endif
	return compat_syscall(nr) != SYS_MAX;
}

/*
 * raw_syscalls fire for every syscall on the system: the number test
 * comes first so that unrelated calls cost a few comparisons.
 */
static __always_inline int raw_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (void *)ctx->args[0];
	long nr = ctx->args[1];
	__u8 sys = compat_syscall(nr);

	if ((sys == SYS_MAX && !compat_nr(nr)) || !compat_call(regs))
		return 0;
#ifdef COMPAT_NR_IPC
	if (sys == SYS_MAX)	/* the ipc(2) multiplexer */
		return IPC_ENTER(CORE, regs);
#endif
	return on_enter(sys, ABI_COMPAT, COMPAT_ARG_CORE(regs, 1),
			COMPAT_ARG_CORE(regs, 2), COMPAT_ARG_CORE(regs, 3), 0);
}

#define MAX_ERRNO	4095

static __always_inline int raw_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (void *)ctx->args[0];
	long ret = ctx->args[1];

	if (!compat_nr(BPF_CORE_READ(regs, SYSCALL_NR_REG)) ||
	    !compat_call(regs))
		return 0;
	/*
	 * arm64 sign-extends a compat task's 32-bit return value here
	 * (syscall_get_return_value): below -MAX_ERRNO it is an address
	 * above 2 GiB, not an error.
	 */
	if (ret < -MAX_ERRNO)
		ret = (__u32)ret;
	return on_exit(ret);
}

/* fentry/fexit and kprobe/kretprobe on one syscall wrapper, func. */
#define WRAPPER_HOOKS(fentry, fexit, kprobe, kretprobe, func, enter, ...) \
SEC("fentry/" #func)							\
int BPF_PROG(fentry, struct pt_regs *regs)				\
{									\
	return enter(DIRECT, regs, ##__VA_ARGS__);			\
}									\
SEC("fexit/" #func)							\
int BPF_PROG(fexit, struct pt_regs *regs, long ret)			\
{									\
	return on_exit(ret);						\
}									\
SEC("kprobe/" #func)							\
int BPF_KPROBE(kprobe, struct pt_regs *regs)				\
{									\
	return enter(CORE, regs, ##__VA_ARGS__);			\
}									\
SEC("kretprobe/" #func)							\
int BPF_KRETPROBE(kretprobe, long ret)					\
{									\
	return on_exit(ret);						\
}

/*
 * Tracepoints: syscalls:* sees native callers only (it is not emitted for
 * compat tasks). A program may not read past the event's arguments
 * (attach fails with EACCES), hence the argument count.
 */
#define TP_ARGS_1(ctx)	(ctx)->args[0], 0, 0
#define TP_ARGS_3(ctx)	(ctx)->args[0], (ctx)->args[1], (ctx)->args[2]

#define TRACEPOINT_HOOKS(tpenter, tpexit, sys, id, nargs)		\
SEC("tracepoint/syscalls/sys_enter_" #sys)				\
int tpenter(struct trace_event_raw_sys_enter *ctx)			\
{									\
	return on_enter(id, ABI_NATIVE, TP_ARGS_##nargs(ctx), 0);	\
}									\
SEC("tracepoint/syscalls/sys_exit_" #sys)				\
int tpexit(struct trace_event_raw_sys_exit *ctx)			\
{									\
	return on_exit(ctx->ret);					\
}

/* raw_syscalls, for the compat callers that syscalls:* does not see. */
#define RAW_SYSCALL_HOOKS(rawenter, rawexit)				\
SEC("raw_tracepoint/sys_enter")						\
int rawenter(struct bpf_raw_tracepoint_args *ctx)			\
{									\
	return raw_enter(ctx);						\
}									\
SEC("raw_tracepoint/sys_exit")						\
int rawexit(struct bpf_raw_tracepoint_args *ctx)			\
{									\
	return raw_exit(ctx);						\
}

/*
 * Every program of the hook sets, by name. The name says what userspace
 * needs to know, KIND_PATH..._[SYSCALL]: src/attach.c's hook_parse() reads
 * the kind (fentry, kprobe, tpenter, ...), the entry paths (native, compat,
 * ipc) and the syscall; one that names no syscall reports them all.
 * tests/hooks.c checks every name against its section.
 */
TRACEPOINT_HOOKS(tpenter_native_shmget, tpexit_native_shmget, shmget, SYS_SHMGET, 3)
TRACEPOINT_HOOKS(tpenter_native_shmat, tpexit_native_shmat, shmat, SYS_SHMAT, 3)
TRACEPOINT_HOOKS(tpenter_native_shmdt, tpexit_native_shmdt, shmdt, SYS_SHMDT, 1)
TRACEPOINT_HOOKS(tpenter_native_shmctl, tpexit_native_shmctl, shmctl, SYS_SHMCTL, 3)

/*
 * The architecture's syscall wrappers; never ksys_*, which some kernels
 * inline into them and others do not.
 */
#if defined(__TARGET_ARCH_x86)
/* Each ABI has wrappers of its own; 32-bit glibc calls ipc(2). */
WRAPPER_HOOKS(fentry_native_shmget, fexit_native_shmget,
	      kprobe_native_shmget, kretprobe_native_shmget,
	      __x64_sys_shmget, NATIVE_ENTER, SYS_SHMGET)
WRAPPER_HOOKS(fentry_compat_shmget, fexit_compat_shmget,
	      kprobe_compat_shmget, kretprobe_compat_shmget,
	      __ia32_sys_shmget, COMPAT_ENTER, SYS_SHMGET)
WRAPPER_HOOKS(fentry_native_shmat, fexit_native_shmat,
	      kprobe_native_shmat, kretprobe_native_shmat,
	      __x64_sys_shmat, NATIVE_ENTER, SYS_SHMAT)
WRAPPER_HOOKS(fentry_compat_shmat, fexit_compat_shmat,
	      kprobe_compat_shmat, kretprobe_compat_shmat,
	      __ia32_compat_sys_shmat, COMPAT_ENTER, SYS_SHMAT)
WRAPPER_HOOKS(fentry_native_shmdt, fexit_native_shmdt,
	      kprobe_native_shmdt, kretprobe_native_shmdt,
	      __x64_sys_shmdt, NATIVE_ENTER, SYS_SHMDT)
WRAPPER_HOOKS(fentry_compat_shmdt, fexit_compat_shmdt,
	      kprobe_compat_shmdt, kretprobe_compat_shmdt,
	      __ia32_sys_shmdt, COMPAT_ENTER, SYS_SHMDT)
WRAPPER_HOOKS(fentry_native_shmctl, fexit_native_shmctl,
	      kprobe_native_shmctl, kretprobe_native_shmctl,
	      __x64_sys_shmctl, NATIVE_ENTER, SYS_SHMCTL)
WRAPPER_HOOKS(fentry_compat_shmctl, fexit_compat_shmctl,
	      kprobe_compat_shmctl, kretprobe_compat_shmctl,
	      __ia32_compat_sys_shmctl, COMPAT_ENTER, SYS_SHMCTL)
WRAPPER_HOOKS(fentry_ipc, fexit_ipc, kprobe_ipc, kretprobe_ipc,
	      __ia32_compat_sys_ipc, IPC_ENTER)
RAW_SYSCALL_HOOKS(rawenter_compat_ipc, rawexit_compat_ipc)
#elif defined(__TARGET_ARCH_arm64)
/*
 * The compat table sends AArch32 shmget and shmdt to the native
 * wrappers, which therefore serve both ABIs: there the ABI comes from the
 * calling task's own state (COMPAT_CALL), not from which hook fired.
 */
WRAPPER_HOOKS(fentry_native_compat_shmget, fexit_native_compat_shmget,
	      kprobe_native_compat_shmget, kretprobe_native_compat_shmget,
	      __arm64_sys_shmget, NATIVE_COMPAT_ENTER, SYS_SHMGET)
WRAPPER_HOOKS(fentry_native_shmat, fexit_native_shmat,
	      kprobe_native_shmat, kretprobe_native_shmat,
	      __arm64_sys_shmat, NATIVE_ENTER, SYS_SHMAT)
WRAPPER_HOOKS(fentry_compat_shmat, fexit_compat_shmat,
	      kprobe_compat_shmat, kretprobe_compat_shmat,
	      __arm64_compat_sys_shmat, COMPAT_ENTER, SYS_SHMAT)
WRAPPER_HOOKS(fentry_native_compat_shmdt, fexit_native_compat_shmdt,
	      kprobe_native_compat_shmdt, kretprobe_native_compat_shmdt,
	      __arm64_sys_shmdt, NATIVE_COMPAT_ENTER, SYS_SHMDT)
WRAPPER_HOOKS(fentry_native_shmctl, fexit_native_shmctl,
	      kprobe_native_shmctl, kretprobe_native_shmctl,
	      __arm64_sys_shmctl, NATIVE_ENTER, SYS_SHMCTL)
WRAPPER_HOOKS(fentry_compat_shmctl, fexit_compat_shmctl,
	      kprobe_compat_shmctl, kretprobe_compat_shmctl,
	      __arm64_compat_sys_old_shmctl, COMPAT_ENTER, SYS_SHMCTL)
RAW_SYSCALL_HOOKS(rawenter_compat, rawexit_compat)
#endif

/*
 * A thread that exits with an entry still waiting never sees its exit:
 * counted here, where the thread's slot is still there to look at, and
 * not at some later call that will never come.
 */
SEC("raw_tracepoint/sched_process_exit")
int reap(struct bpf_raw_tracepoint_args *ctx)
{
	drop_waiting();
	return 0;
}

/* "-- COMMAND": follow every process the command forks. */
SEC("raw_tracepoint/sched_process_fork")
int follow(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *parent = (void *)ctx->args[0];
	struct task_struct *child = (void *)ctx->args[1];
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (ptgid != ctgid && bpf_map_lookup_elem(&followed, &ptgid))
		bpf_map_update_elem(&followed, &ctgid, &one, BPF_ANY);
	return 0;
}

/*
 * Userspace knows the command by its pid in shmtrace's pid namespace,
 * which is not the host's in a container: as it execs, its host tgid.
 */
SEC("raw_tracepoint/sched_process_exec")
int follow_exec(struct bpf_raw_tracepoint_args *ctx)
{
	struct bpf_pidns_info ns;
	__u32 tgid;
	__u8 one = 1;

	if (bpf_get_ns_current_pid_tgid(follow_ns_dev, follow_ns_ino, &ns,
					sizeof(ns)) || ns.tgid != follow_ns_pid)
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_map_update_elem(&followed, &tgid, &one, BPF_ANY);
	return 0;
}

/*
 * A process is forgotten when its last thread exits, not its leader: do_exit()
 * has counted this thread out of signal->live before the tracepoint.
 */
SEC("raw_tracepoint/sched_process_exit")
int unfollow(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (void *)ctx->args[0];
	__u32 tgid = BPF_CORE_READ(task, tgid);

	if (BPF_CORE_READ(task, signal, live.counter) == 0)
		bpf_map_delete_elem(&followed, &tgid);
	return 0;
}

/*
 * What happens to the mappings of a process that holds one, without a
 * shm call: its forked children copy them, exec and exit drop them. A
 * thread, or a child that shares the mm (vfork, CLONE_VM), copies none.
 */
static __always_inline void life_record(__u8 kind, __u64 a0,
					struct task_struct *child)
{
	struct event *e;

	/* No filter: holders took only wanted callers (and "-- COMMAND"'s
	 * unfollow may already have run at exit). */
	if (draining)
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_loss(LOSS_RINGBUF);
		return;
	}
	e->ts_ns = bpf_ktime_get_boot_ns();
	e->latency_ns = 0;
	e->ret = 0;
	e->args[0] = a0;
	e->args[1] = 0;
	e->args[2] = 0;
	e->syscall = kind;
	e->abi = ABI_NATIVE;
	fill_caller(e);
	if (child) {
		/* The child's comm, ids and namespaces are its parent's. */
		struct pid *pid = BPF_CORE_READ(child, thread_pid);
		unsigned int level = BPF_CORE_READ(pid, level);

		e->pid = BPF_CORE_READ(child, tgid);
		e->tid = BPF_CORE_READ(child, pid);
		e->ns_pid = level ? ns_nr(pid, level) : e->pid;
		e->ns_tid = e->ns_pid;
	}
	submit(e);
}

SEC("raw_tracepoint/sched_process_fork")
int lifeproc_attach_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *parent = (void *)ctx->args[0];
	struct task_struct *child = (void *)ctx->args[1];
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);

	if (ptgid == ctgid || !bpf_map_lookup_elem(&holders, &ptgid) ||
	    BPF_CORE_READ(child, mm) == BPF_CORE_READ(parent, mm))
		return 0;
	hold(ctgid);
	life_record(REC_FORK, ptgid, child);
	return 0;
}

/* Whether the calling process held a mapping; it holds none from now. */
static __always_inline bool let_go(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	return !bpf_map_delete_elem(&holders, &tgid);
}

SEC("raw_tracepoint/sched_process_exec")
int lifeproc_detach_exec(struct bpf_raw_tracepoint_args *ctx)
{
	if (let_go())
		life_record(REC_EXEC, 0, NULL);
	return 0;
}

/* The mm goes with the last thread (see unfollow). */
SEC("raw_tracepoint/sched_process_exit")
int lifeproc_detach_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (void *)ctx->args[0];

	if (BPF_CORE_READ(task, signal, live.counter) == 0 && let_go())
		life_record(REC_EXIT, 0, NULL);
	return 0;
}

/*
 * munmap and mremap of a holder: userspace knows where its mappings are.
 * Native callers only: syscalls:* is not emitted for compat tasks.
 */
static __always_inline int life_enter(__u8 kind, __u64 a0, __u64 a1, __u64 a2)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!bpf_map_lookup_elem(&holders, &tgid))
		return 0;
	return on_enter(kind, ABI_NATIVE, a0, a1, a2, 0);
}

/* An entry left by a shm call whose exit was lost is not ours. */
static __always_inline int life_leave(__u8 kind, long ret)
{
	struct start *s = start_slot(false);

	if (!s || !s->ts_ns || s->syscall != kind)
		return 0;
	return on_exit(ret);
}

SEC("tracepoint/syscalls/sys_enter_munmap")
int lifeenter_detach_munmap(struct trace_event_raw_sys_enter *ctx)
{
	return life_enter(REC_MUNMAP, ctx->args[0], ctx->args[1], 0);
}

SEC("tracepoint/syscalls/sys_exit_munmap")
int lifeleave_detach_munmap(struct trace_event_raw_sys_exit *ctx)
{
	return life_leave(REC_MUNMAP, ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_mremap")
int lifeenter_attach_detach_mremap(struct trace_event_raw_sys_enter *ctx)
{
	return life_enter(REC_MREMAP, ctx->args[0], ctx->args[1],
			  ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_mremap")
int lifeleave_attach_detach_mremap(struct trace_event_raw_sys_exit *ctx)
{
	return life_leave(REC_MREMAP, ctx->ret);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
