/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The kernel's BTF, read as little as each start allows. Its content
 * identifies the kernel; the functions shmtrace hooks are looked up in it
 * without a full parse; and a minimal BTF that covers shmtrace's CO-RE
 * relocations (bpftool gen min_core_btf) is cached per kernel, so that a
 * later start gives libbpf a few kilobytes to parse instead of megabytes.
 */
#ifndef SHMTRACE_BTFCACHE_H
#define SHMTRACE_BTFCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct btf;

#define KBTF_MAX_FUNCS 16
#define KBTF_FUNC_LEN 48

/* A kernel function shmtrace may hook, as the kernel's BTF has it. */
struct kfunc {
	char name[KBTF_FUNC_LEN];
	int32_t id;		/* its BTF id in the kernel's BTF, -1: none */
	uint32_t struct_arg;	/* its first argument points to a struct */
};

struct kernel_btf {
	const char *path;	/* --btf, or /sys/kernel/btf/vmlinux */
	char cache_file[4096];	/* this kernel's entry, or "": no cache */
	uint64_t hash, size;	/* the kernel BTF's identity: its content */
	uint64_t object_hash;	/* the BPF object's: what CO-RE needs */
	struct kfunc funcs[KBTF_MAX_FUNCS];
	int nfuncs;
	bool looked_up;		/* funcs hold the answers */
	int lookup_err;		/* 0, or why the BTF could not be read */
	bool cached;		/* funcs and the minimal BTF came from the cache */
	int core_fd;		/* the minimal BTF (a memfd), or -1 */
	char core_path[32];	/* /proc/self/fd/N, for libbpf */
};

/*
 * Reads path (the kernel BTF) for its identity and, with a cache_dir,
 * takes this kernel's entry if it is there and sound. funcs are the
 * functions the BPF object hooks, object its ELF. Returns 0, or -errno
 * with why filled if path is no BTF. note gets what -v should say of the
 * cache ("" for nothing).
 */
int kbtf_open(struct kernel_btf *kb, const char *path, const char *cache_dir,
	      const char *const *funcs, int nfuncs, const void *object,
	      size_t object_len, char *why, size_t why_len, char *note,
	      size_t note_len);
/* func's BTF id in the kernel (-ENOENT: none); struct_arg as in kfunc. */
int kbtf_func(struct kernel_btf *kb, const char *func, bool *struct_arg);
/* The BTF libbpf should relocate against, or NULL for the kernel's own. */
const char *kbtf_core_path(const struct kernel_btf *kb);
/*
 * Without a sound entry, writes one in the background (bpftool makes the
 * minimal BTF) at low priority; returns at once. note: as for kbtf_open.
 */
void kbtf_save(struct kernel_btf *kb, const void *object, size_t object_len,
	       char *note, size_t note_len);
void kbtf_close(struct kernel_btf *kb);

/* Exposed for the unit tests. */
int kbtf_lookup_raw(const void *data, size_t len, struct kfunc *funcs,
		    int nfuncs);
/* The same through libbpf's parse, for BTF the raw walk refuses (-EPROTO). */
int kbtf_lookup_btf(const struct btf *btf, struct kfunc *funcs, int nfuncs);

#endif /* SHMTRACE_BTFCACHE_H */
