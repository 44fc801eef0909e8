// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* src/hashtab.c: SipHash-1-3, and the table's bounds when keys collide. */
#include <string.h>
#include "hashtab.h"
#include "unit.h"

/*
 * Expected values from an implementation not ours: CPython's bytes hash
 * is SipHash-1-3 and, under PYTHONHASHSEED=0, keyed with zeros:
 *   PYTHONHASHSEED=0 python3 -c 'print(hash(b"abc") % 2**64)'
 * One case per tail length that differs: 1, 3, 8 (no tail), 16, 19.
 */
static void test_siphash_vectors(void)
{
	static const struct {
		const char *in;
		uint64_t want;
	} cases[] = {
		{ "a", 4644417185603328019ULL },
		{ "abc", 13851880170939887858ULL },
		{ "abcdefgh", 4574395652268504554ULL },
		{ "0123456789abcdef", 2108444454683020324ULL },
		{ "0123456789abcdefXYZ", 2899885535711926331ULL },
	};
	struct tcase tc;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		tc_begin(&tc, "siphash13 \"%s\" as CPython hashes it", cases[i].in);
		expect_u64(&tc, cases[i].want,
			   siphash13(0, 0, cases[i].in, strlen(cases[i].in)));
		tc_end(&tc);
	}
	tc_begin(&tc, "hashtab_hash is keyed: not SipHash under a zero key");
	expect_true(&tc, hashtab_hash("abc", 3) != siphash13(0, 0, "abc", 3),
		    "a random key", "the zero key");
	expect_u64(&tc, hashtab_hash("abc", 3), hashtab_hash("abc", 3));
	tc_end(&tc);
}

#define SLOTS 64

/* Keys are the slots' values; 0 is free. */
static bool u64_free(const struct hashtab *t, const void *slot)
{
	(void)t;
	return !*(const uint64_t *)slot;
}

static bool u64_holds(const struct hashtab *t, const void *slot,
		      const void *key)
{
	(void)t;
	return *(const uint64_t *)slot == *(const uint64_t *)key;
}

static uint64_t *put(const struct hashtab *h, uint64_t hash, uint64_t key)
{
	uint64_t *slot = hashtab_insert(h, hash, &key);

	if (slot)
		*slot = key;
	return slot;
}

/*
 * Every key under one hash, as a flood of colliding names would be:
 * HASHTAB_PROBES of them fit, the next is refused rather than searched
 * for across the table, and a slot freed in place is found again.
 */
static void test_collisions(void)
{
	uint64_t slots[SLOTS] = { 0 }, k, *first, *again;
	const struct hashtab h = { slots, sizeof(slots[0]), SLOTS, u64_free,
				   u64_holds, NULL };
	const uint64_t hash = 0xdead0000beefULL;
	struct tcase tc;
	unsigned int n = 0;

	tc_begin(&tc, "hashtab: %d keys under one hash fit, the next does not",
		 HASHTAB_PROBES);
	for (k = 1; k <= HASHTAB_PROBES; k++)
		n += put(&h, hash, k) != NULL;
	expect_u64(&tc, HASHTAB_PROBES, n);
	k = HASHTAB_PROBES + 1;
	expect_true(&tc, !hashtab_insert(&h, hash, &k), "NULL", "a slot");
	expect_true(&tc, !hashtab_find(&h, hash, &k), "NULL", "a slot");
	tc_end(&tc);

	tc_begin(&tc, "hashtab: each is found where it was put, and once");
	for (n = 0, k = 1; k <= HASHTAB_PROBES; k++) {
		uint64_t *s = hashtab_find(&h, hash, &k);

		n += s && *s == k && hashtab_insert(&h, hash, &k) == s;
	}
	expect_u64(&tc, HASHTAB_PROBES, n);
	tc_end(&tc);

	tc_begin(&tc, "hashtab: a slot freed in place takes a new key; the rest stay");
	k = 1;
	first = hashtab_find(&h, hash, &k);
	if (first)
		*first = 0;
	again = put(&h, hash, 1000);
	expect_true(&tc, first && again == first, "the freed slot", "another");
	for (n = 0, k = 2; k <= HASHTAB_PROBES; k++)
		n += hashtab_find(&h, hash, &k) != NULL;
	expect_u64(&tc, HASHTAB_PROBES - 1, n);
	tc_end(&tc);

	tc_begin(&tc, "hashtab: another hash's window still has room");
	expect_true(&tc, put(&h, hash + SLOTS / 2, 2000) != NULL, "a slot",
		    "NULL");
	tc_end(&tc);
}

void test_hashtab(void)
{
	test_siphash_vectors();
	test_collisions();
}
