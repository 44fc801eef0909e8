// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "hashtab.h"
#include "stable.h"
#include "util.h"

struct stable_rec {
	struct event e;
	struct annotation a;
	uint32_t seq;		/* arrival: a thread's calls in its own order */
};

struct ordinal_slot {
	uint64_t value;
	uint32_t ns;
	uint32_t ordinal;	/* 0: a free slot */
	uint8_t kind;
	bool gone;		/* what it named is gone: the next use is new */
};

static const char ordinal_prefix[ORD_MAX] = {
	[ORD_PID] = 'P', [ORD_TID] = 'T', [ORD_SEGMENT] = 'S', [ORD_ADDR] = 'A',
};

int stable_add(struct stable *st, const struct event *e,
	       const struct annotation *a)
{
	struct stable_rec *r;
	uint32_t cap;

	if (st->n == STABLE_MAX_EVENTS) {
		st->dropped++;
		return 0;
	}
	if (st->n == st->cap) {
		cap = st->cap ? 2 * st->cap : 1024;
		r = realloc(st->recs, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		st->recs = r;
		st->cap = cap;
	}
	r = &st->recs[st->n];
	r->e = *e;
	r->a = *a;
	/* The cache that owns it may let it go before the end. */
	r->a.container = NULL;
	r->seq = st->n++;
	return 0;
}

/*
 * Processes in pid order, which is the order they were created in (pids
 * are handed out cyclically), then threads in tid order, then each
 * thread's calls as it made them: the ring buffer keeps one thread's
 * records in order, but interleaves threads as the CPUs happened to run.
 */
static int rec_cmp(const void *pa, const void *pb)
{
	const struct stable_rec *a = pa, *b = pb;

	if (a->e.pid != b->e.pid)
		return a->e.pid < b->e.pid ? -1 : 1;
	if (a->e.tid != b->e.tid)
		return a->e.tid < b->e.tid ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int stable_replay(struct stable *st,
		  int (*fn)(void *ctx, const struct event *e,
			    const struct annotation *a),
		  void *ctx)
{
	uint32_t i;
	int err;

	if (st->n)
		qsort(st->recs, st->n, sizeof(*st->recs), rec_cmp);
	for (i = 0; i < st->n; i++) {
		err = fn(ctx, &st->recs[i].e, &st->recs[i].a);
		if (err)
			return err;
	}
	return 0;
}

/* What an ordinal names: a kind of value, in a namespace; no padding. */
struct ordinal_key {
	uint64_t value;
	uint32_t ns;
	uint32_t kind;
};

static bool ordinal_free(const struct hashtab *t, const void *slot)
{
	(void)t;
	return !((const struct ordinal_slot *)slot)->ordinal;
}

static bool ordinal_holds(const struct hashtab *t, const void *slot,
			  const void *key)
{
	const struct ordinal_slot *s = slot;
	const struct ordinal_key *k = key;

	(void)t;
	return s->kind == k->kind && s->ns == k->ns && s->value == k->value;
}

static struct hashtab ordinal_table(struct ordinal_slot *slots, uint32_t n)
{
	return (struct hashtab){ slots, sizeof(*slots), n, ordinal_free,
				 ordinal_holds, NULL };
}

static void *ordinal_slot(struct ordinal_slot *slots, uint32_t n,
			  const struct ordinal_key *k, bool insert)
{
	const struct hashtab h = ordinal_table(slots, n);
	uint64_t hash = hashtab_hash(k, sizeof(*k));

	return insert ? hashtab_insert(&h, hash, k) : hashtab_find(&h, hash, k);
}

/* The slots again in a table of n; false where one finds no room there. */
static bool slots_move(const struct stable *st, struct ordinal_slot *slots,
		       uint32_t n)
{
	struct ordinal_slot *s;
	uint32_t i;

	for (i = 0; i < st->nslots; i++) {
		const struct ordinal_slot *o = &st->slots[i];
		struct ordinal_key k = { o->value, o->ns, o->kind };

		if (!o->ordinal)
			continue;
		s = ordinal_slot(slots, n, &k, true);
		if (!s)
			return false;
		*s = *o;
	}
	return true;
}

/*
 * A full table grows, never forgets: an ordinal must keep naming its
 * value to the end. Doubles until every slot finds room; false: no memory.
 */
static bool slots_grow(struct stable *st)
{
	uint32_t n = st->nslots ? st->nslots : 512;
	struct ordinal_slot *slots = NULL;

	do {
		free(slots);
		n *= 2;
		slots = calloc(n, sizeof(*slots));
		if (!slots)
			return false;
	} while (!slots_move(st, slots, n));
	free(st->slots);
	st->slots = slots;
	st->nslots = n;
	return true;
}

/* The value's slot if it names something now, else NULL. */
static struct ordinal_slot *live_slot(struct stable *st, enum ordinal_kind kind,
				      uint32_t ns, uint64_t v)
{
	struct ordinal_key k = { v, ns, kind };
	struct ordinal_slot *slot;

	if (!st->nslots)
		return NULL;
	slot = ordinal_slot(st->slots, st->nslots, &k, false);
	return slot && !slot->gone ? slot : NULL;
}

/* Gives the value this ordinal, making its slot if need be; NULL: no memory. */
static struct ordinal_slot *slot_set(struct stable *st, enum ordinal_kind kind,
				     uint32_t ns, uint64_t v, uint32_t ordinal)
{
	struct ordinal_key k = { v, ns, kind };
	struct ordinal_slot *slot = NULL;

	if (2 * (st->used + 1) <= st->nslots)
		slot = ordinal_slot(st->slots, st->nslots, &k, true);
	while (!slot) {
		if (!slots_grow(st))
			return NULL;
		slot = ordinal_slot(st->slots, st->nslots, &k, true);
	}
	if (!slot->ordinal) {
		*slot = (struct ordinal_slot){ .value = v, .ns = ns,
					       .kind = kind };
		st->used++;
	}
	slot->ordinal = ordinal;
	slot->gone = false;
	return slot;
}

/* The value's slot, given the next ordinal if it names nothing now. */
static struct ordinal_slot *slot_get(struct stable *st, enum ordinal_kind kind,
				     uint32_t ns, uint64_t v)
{
	struct ordinal_slot *slot = live_slot(st, kind, ns, v);

	if (slot)
		return slot;
	slot = slot_set(st, kind, ns, v, st->next[kind] + 1);
	if (slot)
		st->next[kind]++;
	return slot;
}

/*
 * A value this line's RET gave a new ordinal, seen before in no live
 * form (shmat at the address it asked for): one name, not a throwaway.
 */
static bool pending_ordinal(struct stable *st, enum ordinal_kind kind,
			    uint32_t ns, uint64_t v, uint32_t *ordinal)
{
	uint32_t i;

	if (live_slot(st, kind, ns, v))
		return false;
	for (i = 0; i < st->nchanges; i++) {
		if (st->changes[i].kind == kind && st->changes[i].ns == ns &&
		    st->changes[i].value == v && !st->changes[i].gone) {
			*ordinal = st->changes[i].ordinal;
			return true;
		}
	}
	return false;
}

void put_ordinal(struct stable *st, struct sink *s, enum ordinal_kind kind,
		 uint32_t ns, uint64_t v, enum ordinal_use use)
{
	struct ordinal_slot *slot = NULL;
	uint32_t ordinal;

	if (use == ORD_USE && pending_ordinal(st, kind, ns, v, &ordinal)) {
		put_char(s, ordinal_prefix[kind]);
		put_u64(s, ordinal);
		return;
	}
	if (use == ORD_NEW) {
		ordinal = ++st->next[kind];
	} else {
		slot = slot_get(st, kind, ns, v);
		ordinal = slot ? slot->ordinal : 0;
	}
	if (use != ORD_USE && ordinal && st->nchanges < ARRAY_SIZE(st->changes))
		st->changes[st->nchanges++] = (struct ordinal_change){
			.value = v, .ns = ns, .ordinal = ordinal, .kind = kind,
			.gone = use == ORD_LAST,
		};
	put_char(s, ordinal_prefix[kind]);
	put_u64(s, ordinal);
}

void stable_end_event(struct stable *st)
{
	const struct ordinal_change *c;
	struct ordinal_slot *slot;
	uint32_t i;

	for (i = 0; i < st->nchanges; i++) {
		c = &st->changes[i];
		slot = slot_set(st, c->kind, c->ns, c->value, c->ordinal);
		if (slot)
			slot->gone = c->gone;
	}
	st->nchanges = 0;
}

void stable_free(struct stable *st)
{
	free(st->recs);
	free(st->slots);
	memset(st, 0, sizeof(*st));
}
