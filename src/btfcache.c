// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/btf.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <bpf/btf.h>
#include "btfcache.h"
#include "util.h"

#define CHUNK (64 * 1024)
#define MAX_ENTRY (1 << 20)	/* a minimal BTF is a few kilobytes */
#define BTF_MAGIC_LE "\x9f\xeb"

static const char entry_magic[8] = "shmtbtf1";

/* A cache entry: this header, the kfuncs, then the minimal BTF. */
struct entry_header {
	char magic[8];
	uint64_t kernel_hash;
	uint64_t kernel_size;
	uint64_t object_hash;
	uint32_t nfuncs;
	uint32_t core_len;
	uint64_t checksum;	/* of what follows the header */
};

/* Fills buf unless the file ends first: keeps the hash's words aligned. */
static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (!n)
			break;
		done += n;
	}
	return done;
}

/* Whether a raw BTF header describes a file of size bytes. */
static bool header_fits(const struct btf_header *h, uint64_t size)
{
	return h->version == BTF_VERSION && h->hdr_len >= sizeof(*h) &&
	       (h->hdr_len + h->type_off) % 4 == 0 &&
	       (uint64_t)h->hdr_len + h->type_off + h->type_len <= size &&
	       (uint64_t)h->hdr_len + h->str_off + h->str_len <= size;
}

/* The kernel BTF's identity, in one streaming pass; -errno or 0. */
static int identify(struct kernel_btf *kb, char *why, size_t why_len)
{
	static char buf[CHUNK];
	struct btf_header h = { 0 };
	int fd = open(kb->path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	bool first = true;

	if (fd < 0) {
		snprintf(why, why_len, "cannot read %s: %s", kb->path,
			 strerror(errno));
		return -errno;
	}
	kb->hash = HASH_SEED;
	kb->size = 0;
	while ((n = read_full(fd, buf, sizeof(buf))) > 0) {
		if (first && memcmp(buf, BTF_MAGIC_LE, 2) &&
		    memcmp(buf, "\177ELF", n < 4 ? n : 4)) {
			close(fd);
			snprintf(why, why_len, "%s: not a BTF file", kb->path);
			return -EINVAL;
		}
		if (first && n >= (ssize_t)sizeof(h))
			memcpy(&h, buf, sizeof(h));
		first = false;
		kb->hash = hash_bytes(kb->hash, buf, n);
		kb->size += n;
	}
	close(fd);
	if (n < 0 || first) {
		snprintf(why, why_len, "%s: %s", kb->path,
			 n < 0 ? strerror(errno) : "empty, not a BTF file");
		return -EINVAL;
	}
	if (kb->size < sizeof(h) ||
	    (h.magic == BTF_MAGIC && !header_fits(&h, kb->size))) {
		snprintf(why, why_len, "%s: a truncated or damaged BTF file",
			 kb->path);
		return -EINVAL;
	}
	return 0;
}

/* ---- Looking functions up in raw BTF, without building libbpf's index ---- */

struct raw_btf {
	const unsigned char *types;
	const char *strs;
	uint32_t strs_len;
	uint32_t *off;		/* type id -> offset in types */
	uint32_t n;		/* ids 1 .. n - 1 */
};

/*
 * How long a type's record is; 0 for a kind this code does not know (a
 * newer kernel's): the walk then refuses the whole file, and libbpf's
 * parse answers instead, rather than every later function reading as
 * absent.
 */
static size_t type_len(const struct btf_type *t)
{
	size_t vlen = btf_vlen(t);

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return sizeof(*t) + sizeof(uint32_t);
	case BTF_KIND_ARRAY:
		return sizeof(*t) + sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return sizeof(*t) + vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return sizeof(*t) + vlen * sizeof(struct btf_enum);
	case BTF_KIND_ENUM64:
		return sizeof(*t) + vlen * sizeof(struct btf_enum64);
	case BTF_KIND_FUNC_PROTO:
		return sizeof(*t) + vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return sizeof(*t) + vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_FWD:
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return sizeof(*t);
	default:
		return 0;
	}
}

static int raw_index(struct raw_btf *r, const void *data, size_t len)
{
	const struct btf_header *h = data;
	uint32_t pos = 0, cap = 0, *off;
	size_t n;

	if (len < sizeof(*h) || h->magic != BTF_MAGIC || !header_fits(h, len))
		return -EINVAL;
	r->types = (const unsigned char *)data + h->hdr_len + h->type_off;
	r->strs = (const char *)data + h->hdr_len + h->str_off;
	r->strs_len = h->str_len;
	/* Every name ends within the section: strcmp cannot run past it. */
	if (!r->strs_len || r->strs[r->strs_len - 1])
		return -EINVAL;
	r->off = NULL;
	r->n = 1;
	while (pos < h->type_len) {
		n = pos + sizeof(struct btf_type) <= h->type_len ?
		    type_len((const struct btf_type *)(r->types + pos)) : 0;
		if (!n || pos + n > h->type_len) {
			free(r->off);
			return -EPROTO;
		}
		if (r->n >= cap) {
			cap = cap ? 2 * cap : 65536;
			off = realloc(r->off, cap * sizeof(*off));
			if (!off) {
				free(r->off);
				return -ENOMEM;
			}
			r->off = off;
		}
		r->off[r->n++] = pos;
		pos += n;
	}
	return 0;
}

static const struct btf_type *raw_type(const struct raw_btf *r, uint32_t id)
{
	return id && id < r->n ? (const void *)(r->types + r->off[id]) : NULL;
}

/* Through typedefs and qualifiers, as the verifier looks through them. */
static const struct btf_type *raw_resolve(const struct raw_btf *r,
					  uint32_t id)
{
	const struct btf_type *t = raw_type(r, id);
	int depth = 0;

	while (t && depth++ < 32 &&
	       (btf_is_typedef(t) || btf_is_mod(t) || btf_is_type_tag(t)))
		t = raw_type(r, t->type);
	return t;
}

/*
 * fentry reads the wrapper's struct pt_regs argument through BTF. Some
 * kernels (5.10) describe that argument as a pointer to a forward
 * declaration, which the verifier refuses to read.
 */
static bool raw_struct_arg(const struct raw_btf *r, const struct btf_type *f)
{
	const struct btf_type *proto = raw_type(r, f->type), *t;

	if (!proto || !btf_is_func_proto(proto) || btf_vlen(proto) < 1)
		return false;
	t = raw_resolve(r, btf_params(proto)[0].type);
	if (!t || !btf_is_ptr(t))
		return false;
	t = raw_resolve(r, t->type);
	return t && btf_is_struct(t);
}

int kbtf_lookup_raw(const void *data, size_t len, struct kfunc *funcs,
		    int nfuncs)
{
	struct raw_btf r;
	const struct btf_type *t;
	uint32_t id;
	int i, err = raw_index(&r, data, len);

	for (i = 0; i < nfuncs; i++)
		funcs[i].id = -1;
	if (err)
		return err;
	for (id = 1; id < r.n; id++) {
		t = raw_type(&r, id);
		if (!btf_is_func(t) || t->name_off >= r.strs_len)
			continue;
		for (i = 0; i < nfuncs; i++) {
			if (funcs[i].id < 0 &&
			    !strcmp(r.strs + t->name_off, funcs[i].name)) {
				funcs[i].id = id;
				funcs[i].struct_arg = raw_struct_arg(&r, t);
			}
		}
	}
	free(r.off);
	return 0;
}

/* What libbpf's parse says of each function: the walk's fallback. */
int kbtf_lookup_btf(const struct btf *btf, struct kfunc *funcs, int nfuncs)
{
	const struct btf_type *t;
	int i, id;

	for (i = 0; i < nfuncs; i++) {
		funcs[i].struct_arg = 0;
		funcs[i].id = btf__find_by_name_kind(btf, funcs[i].name,
						     BTF_KIND_FUNC);
		if (funcs[i].id < 0) {
			funcs[i].id = -1;
			continue;
		}
		t = btf__type_by_id(btf, btf__type_by_id(btf, funcs[i].id)->type);
		if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 1)
			continue;
		id = btf__resolve_type(btf, btf_params(t)[0].type);
		t = id < 0 ? NULL : btf__type_by_id(btf, id);
		if (!t || !btf_is_ptr(t))
			continue;
		id = btf__resolve_type(btf, t->type);
		t = id < 0 ? NULL : btf__type_by_id(btf, id);
		funcs[i].struct_arg = t && btf_is_struct(t);
	}
	return 0;
}

/* The whole file; an ELF one through libbpf, which finds its .BTF. */
static int lookup_funcs(struct kernel_btf *kb)
{
	struct btf *btf = NULL;
	const void *data;
	uint32_t len;
	void *buf = NULL;
	int fd, err;

	/* Once: a file that cannot be read has none of the functions. */
	kb->looked_up = true;
	fd = open(kb->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(kb->size ? kb->size : 1);
	if (!buf || read_full(fd, buf, kb->size) != (ssize_t)kb->size) {
		close(fd);
		free(buf);
		return -EIO;
	}
	close(fd);
	data = buf;
	len = kb->size;
	if (!memcmp(buf, "\177ELF", 4)) {
		btf = btf__parse(kb->path, NULL);
		data = btf ? btf__raw_data(btf, &len) : NULL;
	}
	err = data ? kbtf_lookup_raw(data, len, kb->funcs, kb->nfuncs) : -EINVAL;
	if (err == -EPROTO) {
		btf__free(btf);
		btf = btf__parse(kb->path, NULL);
		err = btf ? kbtf_lookup_btf(btf, kb->funcs, kb->nfuncs) : -EPROTO;
	}
	kb->lookup_err = err;
	btf__free(btf);
	free(buf);
	return err;
}

int kbtf_func(struct kernel_btf *kb, const char *func, bool *struct_arg)
{
	int i;

	if (!kb->looked_up)
		lookup_funcs(kb);
	/* Unreadable is not absent: a mode must not drop out for it. */
	if (kb->lookup_err)
		return kb->lookup_err;
	for (i = 0; i < kb->nfuncs; i++) {
		if (strcmp(kb->funcs[i].name, func))
			continue;
		*struct_arg = kb->funcs[i].struct_arg;
		return kb->funcs[i].id < 0 ? -ENOENT : kb->funcs[i].id;
	}
	return -ENOENT;
}

/* ---- The cache ---------------------------------------------------------- */

static uint64_t entry_checksum(const struct kfunc *funcs, uint32_t nfuncs,
			       const void *core, uint32_t core_len)
{
	uint64_t h = hash_bytes(HASH_SEED, funcs, nfuncs * sizeof(*funcs));

	return hash_bytes(h, core, core_len);
}

/* Whether the entry names every function asked for; takes its answers. */
static bool take_funcs(struct kernel_btf *kb, const struct kfunc *stored,
		       uint32_t n)
{
	uint32_t i, j;

	for (i = 0; i < (uint32_t)kb->nfuncs; i++) {
		for (j = 0; j < n; j++)
			if (!strncmp(stored[j].name, kb->funcs[i].name,
				     KBTF_FUNC_LEN))
				break;
		if (j == n)
			return false;
		kb->funcs[i].id = stored[j].id;
		kb->funcs[i].struct_arg = stored[j].struct_arg;
	}
	return true;
}

/* The minimal BTF, where libbpf can open it by name. */
static int keep_core(struct kernel_btf *kb, const void *core, uint32_t len)
{
	struct btf *btf = btf__new(core, len);
	int fd;

	if (!btf)
		return -EINVAL;
	btf__free(btf);
	fd = memfd_create("shmtrace-core-btf", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, core, len) != (ssize_t)len) {
		close(fd);
		return -EIO;
	}
	kb->core_fd = fd;
	snprintf(kb->core_path, sizeof(kb->core_path), "/proc/self/fd/%d", fd);
	return 0;
}

/*
 * The entry, opened so that a link is not followed and a FIFO or device
 * neither blocks nor is read: a regular file of ours that only we may
 * write, of a size an entry can have. -errno with problem set if not.
 */
static int open_entry(int dir_fd, const char *name, struct stat *st,
		      const char **problem)
{
	int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
				      O_NOCTTY | O_CLOEXEC);

	if (fd < 0) {
		*problem = errno == ELOOP ? "a symbolic link" : NULL;
		return -errno;
	}
	/* What CO-RE reads kernel memory by: only from ourselves. */
	if (fstat(fd, st))
		*problem = "unreadable or of a wrong size";
	else if (!S_ISREG(st->st_mode))
		*problem = "not a regular file";
	else if (st->st_uid != geteuid() || (st->st_mode & 022))
		*problem = "not ours (another owner, or writable by others)";
	else if (st->st_size < (off_t)sizeof(struct entry_header) ||
		 st->st_size > MAX_ENTRY)
		*problem = "unreadable or of a wrong size";
	else
		return fd;
	close(fd);
	return -EPERM;
}

/* Whether buf (an entry of size bytes) is sound; takes its answers. */
static const char *take_entry(struct kernel_btf *kb, const char *buf,
			      off_t size)
{
	struct entry_header h;
	const struct kfunc *stored = (const struct kfunc *)(buf + sizeof(h));

	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, entry_magic, sizeof(h.magic)) ||
	    h.nfuncs > KBTF_MAX_FUNCS ||
	    sizeof(h) + (uint64_t)h.nfuncs * sizeof(*stored) + h.core_len !=
		    (uint64_t)size)
		return "not a cache entry";
	if (h.kernel_hash != kb->hash || h.kernel_size != kb->size ||
	    h.object_hash != kb->object_hash)
		return "stale: made for another kernel BTF or build";
	if (h.checksum != entry_checksum(stored, h.nfuncs, stored + h.nfuncs,
					 h.core_len))
		return "corrupt: its checksum does not match";
	if (!take_funcs(kb, stored, h.nfuncs))
		return "stale: it lacks a function this build hooks";
	if (keep_core(kb, stored + h.nfuncs, h.core_len))
		return "corrupt: its BTF does not parse";
	return NULL;
}

/*
 * Takes the entry in dir_fd if sound; otherwise says why in note. A
 * missing directory (dir_fd -ENOENT) has no entry either.
 */
static void read_entry(struct kernel_btf *kb, int dir_fd, char *note,
		       size_t note_len)
{
	const char *problem = NULL;
	struct stat st;
	char *buf = NULL;
	int fd = dir_fd < 0 ? dir_fd :
		 open_entry(dir_fd, strrchr(kb->cache_file, '/') + 1, &st,
			    &problem);

	if (fd < 0 && !problem) {
		snprintf(note, note_len, "cache: no entry for this kernel's BTF and this build (%s: %s)",
			 kb->cache_file, strerror(-fd));
		return;
	}
	if (fd >= 0 && (!(buf = malloc(st.st_size)) ||
			read_full(fd, buf, st.st_size) != st.st_size))
		problem = "unreadable or of a wrong size";
	else if (fd >= 0)
		problem = take_entry(kb, buf, st.st_size);
	if (problem) {
		snprintf(note, note_len, "cache: %s is %s: rebuilding it",
			 kb->cache_file, problem);
	} else {
		kb->cached = kb->looked_up = true;
		snprintf(note, note_len, "cache: using %s", kb->cache_file);
	}
	free(buf);
	if (fd >= 0)
		close(fd);
}

/* ---- The cache directory: ours, and only ours to change ---------------- */

/* mkdir -p, each directory made 0700; dir is changed and restored. */
static int mkdir_p(char *dir)
{
	char *p;
	int err = 0;

	for (p = dir + 1; *p && !err; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST)
			err = -errno;
		*p = '/';
	}
	if (!err && mkdir(dir, 0700) && errno != EEXIST)
		err = -errno;
	return err;
}

/*
 * Why a directory cannot hold the cache (self) or be above it, into buf;
 * NULL if it can. The cache's own directory is ours and nobody else may
 * write it. One above it is root's or ours, and if others may write it,
 * it is sticky (like /tmp), so that they cannot rename or replace what
 * we made there.
 */
static const char *distrust(const struct stat *st, bool self,
			    const char *name, char *buf, size_t len)
{
	bool trusted = st->st_uid == geteuid() || (!self && !st->st_uid);
	bool shared = st->st_mode & (S_IWGRP | S_IWOTH);

	if (!trusted)
		snprintf(buf, len, "is refused: %s is owned by uid %u", name,
			 st->st_uid);
	else if (shared && (self || !(st->st_mode & S_ISVTX)))
		snprintf(buf, len, "is refused: others may write %s (mode %04o)", name,
			 st->st_mode & 07777);
	else
		return NULL;
	return buf;
}

/* A descriptor's path, for a note; "a directory" without /proc. */
static void fd_name(int fd, char *buf, size_t len)
{
	char link[32];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	if (n <= 0)
		snprintf(buf, len, "a directory");
	else
		buf[n] = '\0';
}

/*
 * Every directory from fd (closed here) up to "/" through "..", which is
 * where they are whatever path named them: -EPERM with why if one fails.
 */
static int check_above(int fd, char *why, size_t why_len)
{
	char name[4096 + 16];
	struct stat st, up;
	int parent;

	if (fd < 0 || fstat(fd, &st))
		goto broken;
	for (;;) {
		fd_name(fd, name, sizeof(name) - 16);
		strcat(name, " above it");
		if (distrust(&st, false, name, why, why_len)) {
			close(fd);
			return -EPERM;
		}
		parent = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = parent;
		if (fd < 0 || fstat(fd, &up))
			goto broken;
		/* "/" is its own parent. */
		if (up.st_dev == st.st_dev && up.st_ino == st.st_ino)
			break;
		st = up;
	}
	close(fd);
	return 0;
broken:
	snprintf(why, why_len, "is refused: a directory above it cannot be checked (%s)",
		 strerror(errno));
	if (fd >= 0)
		close(fd);
	return -EPERM;
}

/* The nearest directory of dir that exists, opened (following links). */
static int nearest_dir(const char *dir)
{
	char path[4096], *slash;
	int fd;

	snprintf(path, sizeof(path), "%s", dir);
	while ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 &&
	       errno == ENOENT) {
		slash = strrchr(path, '/');
		if (!slash)
			return open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		slash[slash == path] = '\0';
	}
	return fd;
}

/* Why the cache directory itself, open as fd, cannot be used; or 0. */
static int check_dir(const char *dir, int fd, bool create, char *why,
		     size_t why_len)
{
	struct stat st;

	if (fd < 0) {
		struct stat lst;
		int err = -errno;

		/* O_DIRECTORY|O_NOFOLLOW says ENOTDIR of a symlink too. */
		snprintf(why, why_len, "is refused: %s",
			 !lstat(dir, &lst) && S_ISLNK(lst.st_mode) ?
			 "it is a symbolic link" : strerror(-err));
		return err;
	}
	if (fstat(fd, &st)) {
		snprintf(why, why_len, "is refused: %s", strerror(errno));
		return -errno;
	}
	if (distrust(&st, true, "it", why, why_len))
		return -EPERM;
	if (check_above(openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC),
			why, why_len))
		return -EPERM;
	/* Ours, but perhaps on a read-only file system. */
	if (create && faccessat(fd, ".", W_OK, AT_EACCESS)) {
		snprintf(why, why_len, "is not writable (%s)", strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * The cache directory, opened without following a link and checked (with
 * every directory above it) before anything in it is read or written;
 * with create, made 0700 if missing, once what is above it passed. -ENOENT
 * (why "") if it is missing and not to be made; other -errno with why.
 */
static int cache_dir_open(const char *dir, bool create, char *why,
			  size_t why_len)
{
	char path[4096];
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int err;

	why[0] = '\0';
	if (fd < 0 && errno == ENOENT) {
		err = check_above(nearest_dir(dir), why, why_len);
		if (err || !create)
			return err ? err : -ENOENT;
		snprintf(path, sizeof(path), "%s", dir);
		err = mkdir_p(path);
		if (err) {
			snprintf(why, why_len, "is not writable (%s)",
				 strerror(-err));
			return err;
		}
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	err = check_dir(dir, fd, create, why, why_len);
	if (err && fd >= 0)
		close(fd);
	return err ? err : fd;
}

int kbtf_open(struct kernel_btf *kb, const char *path, const char *cache_dir,
	      const char *const *funcs, int nfuncs, const void *object,
	      size_t object_len, char *why, size_t why_len, char *note,
	      size_t note_len)
{
	char text[4200];
	int i, err, fd;

	memset(kb, 0, sizeof(*kb));
	kb->path = path;
	kb->core_fd = -1;
	note[0] = '\0';
	for (i = 0; i < nfuncs && i < KBTF_MAX_FUNCS; i++) {
		snprintf(kb->funcs[i].name, KBTF_FUNC_LEN, "%s", funcs[i]);
		kb->funcs[i].id = -1;
	}
	kb->nfuncs = i;
	err = identify(kb, why, why_len);
	if (err)
		return err;
	kb->object_hash = hash_bytes(HASH_SEED, object, object_len);
	if (!cache_dir)
		return 0;
	snprintf(kb->cache_file, sizeof(kb->cache_file), "%s/%016llx-%016llx.btf",
		 cache_dir, (unsigned long long)kb->hash,
		 (unsigned long long)kb->object_hash);
	fd = cache_dir_open(cache_dir, false, text, sizeof(text));
	if (fd >= 0 || !text[0]) {
		read_entry(kb, fd, note, note_len);
		if (fd >= 0)
			close(fd);
		return 0;
	}
	/* Refused: one note, and neither read nor written this run. */
	snprintf(note, note_len, "cache: %s %s: tracing without a cache",
		 cache_dir, text);
	kb->cache_file[0] = '\0';
	return 0;
}

const char *kbtf_core_path(const struct kernel_btf *kb)
{
	return kb->cached ? kb->core_path : NULL;
}

/* Runs bpftool; 0 if it made out. */
static int run_bpftool(const char *kernel, const char *out, const char *obj)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (!pid) {
		execlp("bpftool", "bpftool", "gen", "min_core_btf", kernel, out,
		       obj, (char *)NULL);
		execl("/usr/sbin/bpftool", "bpftool", "gen", "min_core_btf",
		      kernel, out, obj, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return -EIO;
	return 0;
}

/* A new file of ours (0600) at path, holding the n pieces of iov. */
static int write_new(const char *path, const struct iovec *iov, int n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				    O_CLOEXEC, 0600);
	ssize_t want = 0;
	int i, err = 0;

	if (fd < 0)
		return -errno;
	for (i = 0; i < n; i++)
		want += iov[i].iov_len;
	if (writev(fd, iov, n) != want)
		err = -EIO;
	if (close(fd) && !err)
		err = -EIO;
	return err;
}

/* The directory the entry goes in, into dir (4096 bytes). */
static void entry_dir(const struct kernel_btf *kb, char *dir)
{
	snprintf(dir, 4096, "%s", kb->cache_file);
	*strrchr(dir, '/') = '\0';
}

/* bpftool's minimal BTF of object, made and read back inside priv. */
static uint32_t make_core(struct kernel_btf *kb, const char *priv,
			  const void *object, size_t object_len, char *buf)
{
	struct iovec iov = { (void *)object, object_len };
	char obj[4300], core[4300];
	ssize_t n = -1;
	int fd;

	snprintf(obj, sizeof(obj), "%s/object.o", priv);
	snprintf(core, sizeof(core), "%s/core.btf", priv);
	if (write_new(obj, &iov, 1) || run_bpftool(kb->path, core, obj))
		return 0;
	fd = open(core, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		n = read_full(fd, buf, MAX_ENTRY);
		close(fd);
	}
	return n > 0 ? n : 0;
}

/* The entry written whole in priv, then renamed into its place. */
static int store_entry(struct kernel_btf *kb, const char *priv,
		       const char *core, uint32_t core_len)
{
	struct entry_header h = { .kernel_hash = kb->hash,
				  .kernel_size = kb->size,
				  .object_hash = kb->object_hash,
				  .nfuncs = kb->nfuncs,
				  .core_len = core_len };
	struct iovec iov[3] = {
		{ &h, sizeof(h) },
		{ kb->funcs, h.nfuncs * sizeof(*kb->funcs) },
		{ (void *)core, core_len },
	};
	char tmp[4300];
	int err;

	if (!core_len || iov[0].iov_len + iov[1].iov_len + core_len > MAX_ENTRY)
		return -EIO;
	memcpy(h.magic, entry_magic, sizeof(h.magic));
	h.checksum = entry_checksum(kb->funcs, h.nfuncs, core, core_len);
	snprintf(tmp, sizeof(tmp), "%s/entry", priv);
	err = write_new(tmp, iov, 3);
	if (!err && rename(tmp, kb->cache_file))
		err = -errno;
	return err;
}

/* Removes priv and whatever was left in it (bpftool's files). */
static void remove_private(const char *priv)
{
	DIR *d = opendir(priv);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	rmdir(priv);
}

/*
 * Everything a fresh entry needs, in a private directory (mkdtemp: 0700)
 * inside the cache directory, checked again here: nobody else can swap
 * bpftool's files for a link or a FIFO, and the rename stays on one file
 * system. The private directory goes on every path.
 */
static int build_entry(struct kernel_btf *kb, const void *object,
		       size_t object_len)
{
	char dir[4096], priv[4200], why[4200];
	char *buf = NULL;
	int fd, err;

	entry_dir(kb, dir);
	if (!kb->looked_up && lookup_funcs(kb))
		return -EIO;
	fd = cache_dir_open(dir, true, why, sizeof(why));
	if (fd < 0)
		return fd;
	close(fd);
	snprintf(priv, sizeof(priv), "%s/.build.XXXXXX", dir);
	if (!mkdtemp(priv))
		return -errno;
	buf = malloc(MAX_ENTRY);
	err = buf ? store_entry(kb, priv, buf,
				make_core(kb, priv, object, object_len, buf)) :
		    -ENOMEM;
	remove_private(priv);
	free(buf);
	return err;
}

/* A detached grandchild that holds none of our descriptors (BPF links). */
static bool in_background(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return false;
	if (pid) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return false;
	}
	if (setsid() < 0 || fork())
		_exit(0);
	/* shmtrace's handlers would only set its flags: be killable. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	if (close_range(0, ~0U, 0))
		for (fd = 0; fd < sysconf(_SC_OPEN_MAX); fd++)
			close(fd);
	fd = open("/dev/null", O_RDWR);
	dup2(fd, 1);
	dup2(fd, 2);
	setpriority(PRIO_PROCESS, 0, 19);
	return true;
}

/* Whether the directory can take an entry: made if missing, and ours. */
static int cache_dir_ready(const struct kernel_btf *kb, char *note,
			   size_t note_len)
{
	char dir[4096], why[4200];
	int fd;

	entry_dir(kb, dir);
	fd = cache_dir_open(dir, true, why, sizeof(why));
	if (fd < 0) {
		snprintf(note, note_len, "cache: %s %s: tracing without a cache",
			 dir, why);
		return fd;
	}
	close(fd);
	return 0;
}

/* bpftool in PATH or where Debian puts it: it makes the minimal BTF. */
static bool have_bpftool(void)
{
	const char *path = getenv("PATH");
	char dirs[4096], file[4200], *dir, *save = NULL;

	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin", path ? path : "");
	for (dir = strtok_r(dirs, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(file, sizeof(file), "%s/bpftool", dir);
		if (!access(file, X_OK))
			return true;
	}
	return false;
}

void kbtf_save(struct kernel_btf *kb, const void *object, size_t object_len,
	       char *note, size_t note_len)
{
	note[0] = '\0';
	if (kb->cached || !kb->cache_file[0] ||
	    cache_dir_ready(kb, note, note_len))
		return;
	if (!have_bpftool()) {
		snprintf(note, note_len, "cache: bpftool not found: no cache (apt-get install bpftool)");
		return;
	}
	snprintf(note, note_len, "cache: writing %s in the background", kb->cache_file);
	if (in_background())
		_exit(build_entry(kb, object, object_len) ? 1 : 0);
}

void kbtf_close(struct kernel_btf *kb)
{
	if (kb->core_fd >= 0)
		close(kb->core_fd);
	kb->core_fd = -1;
}
