/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Who has which segment mapped: per process, the address ranges that
 * shmat gave it, or that it inherited through fork, as the kernel's
 * VMAs are, so that munmap, mremap, exit and exec can be followed with no
 * shm call, and shmdt names the segment its address was attached with.
 *
 * Each piece is one VMA, and the kernel's shm_nattch counts VMAs: a
 * munmap that punches a hole makes two pieces of one, and counts one more.
 * The table has a fixed size: a process with more than MAP_PIECES pieces,
 * or one more process than HOLDER_SLOTS, is not remembered (counted in
 * dropped), and its detaches name no segment.
 */
#ifndef SHMTRACE_MAPPINGS_H
#define SHMTRACE_MAPPINGS_H

#include <stdbool.h>
#include <stdint.h>

#define HOLDER_SLOTS 4096
#define MAP_PIECES 16

struct piece {
	uint64_t start;		/* [start, end), page-aligned */
	uint64_t end;
	uint64_t off;		/* into the segment: start - off is shmdt's address */
	uint32_t ns;		/* the segment: (ipc namespace, id) */
	int32_t shmid;
	uint32_t key;
	bool key_known;
};

struct holder {
	uint32_t tgid;		/* 0: a free slot */
	uint32_t uid;		/* when it attached, or forked from one that had */
	uint32_t n;
	struct piece p[MAP_PIECES];
};

struct mappings {
	struct holder h[HOLDER_SLOTS];
	uint64_t dropped;	/* pieces there was no room for */
};

/* tgid's pieces, or NULL; with create, a new empty slot if there is room. */
struct holder *holder_get(struct mappings *t, uint32_t tgid, uint32_t uid,
			  bool create);
/* Adds a piece to h; false (counted in t->dropped) if h is full. */
bool piece_add(struct mappings *t, struct holder *h, const struct piece *p);
/* Removes h's piece i; the last one takes its place. */
void piece_del(struct holder *h, uint32_t i);
/* Frees h's slot if it holds nothing any more. */
void holder_put(struct holder *h);
/* Forgets every piece of namespace ns. */
void mappings_forget_ns(struct mappings *t, uint32_t ns);

#endif /* SHMTRACE_MAPPINGS_H */
