/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one hash table: open addressing over a fixed array of slots that
 * its user owns (entries in place, or indexes into an array of its own).
 *
 * Keys come from outside (process and container names, pids, addresses),
 * so the hash is keyed: SipHash-1-3 under a key drawn at random once per
 * process. Nobody can compute colliding names offline to slow the reader.
 *
 * When full: a key may sit in the HASHTAB_PROBES slots from its hash and
 * nowhere else. If none of them holds it and none is free, the insert
 * fails (NULL) and the user does what its header says a full table means.
 * Lookups cost at most HASHTAB_PROBES comparisons, whatever the keys.
 * Freeing a slot in place is allowed: a lookup looks at the whole window.
 */
#ifndef SHMTRACE_HASHTAB_H
#define SHMTRACE_HASHTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HASHTAB_PROBES 32

struct hashtab {
	void *slots;
	size_t slot_size;
	uint32_t nslots;	/* a power of two, at least HASHTAB_PROBES */
	bool (*is_free)(const struct hashtab *t, const void *slot);
	bool (*holds)(const struct hashtab *t, const void *slot,
		      const void *key);
	const void *ctx;	/* what index slots point into */
};

/* SipHash-1-3 of data under the key (k0, k1). */
uint64_t siphash13(uint64_t k0, uint64_t k1, const void *data, size_t len);
/* The table hash of key: SipHash-1-3 under this process's random key. */
uint64_t hashtab_hash(const void *key, size_t len);
/* The slot holding key, or NULL. */
void *hashtab_find(const struct hashtab *t, uint64_t hash, const void *key);
/* The slot holding key, else a free one for it, else NULL: full there. */
void *hashtab_insert(const struct hashtab *t, uint64_t hash, const void *key);

#endif /* SHMTRACE_HASHTAB_H */
