// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stddef.h>
#include "hashtab.h"
#include "mappings.h"

static bool holder_free(const struct hashtab *t, const void *slot)
{
	(void)t;
	return !((const struct holder *)slot)->tgid;
}

static bool holder_is(const struct hashtab *t, const void *slot,
		      const void *key)
{
	(void)t;
	return ((const struct holder *)slot)->tgid == *(const uint32_t *)key;
}

struct holder *holder_get(struct mappings *t, uint32_t tgid, uint32_t uid,
			  bool create)
{
	const struct hashtab ht = { t->h, sizeof(t->h[0]), HOLDER_SLOTS,
				    holder_free, holder_is, NULL };
	uint64_t hash = hashtab_hash(&tgid, sizeof(tgid));
	struct holder *h;

	if (!create)
		return hashtab_find(&ht, hash, &tgid);
	h = hashtab_insert(&ht, hash, &tgid);
	if (h && !h->tgid)
		*h = (struct holder){ .tgid = tgid, .uid = uid };
	return h;
}

bool piece_add(struct mappings *t, struct holder *h, const struct piece *p)
{
	if (h->n == MAP_PIECES) {
		t->dropped++;
		return false;
	}
	h->p[h->n++] = *p;
	return true;
}

void piece_del(struct holder *h, uint32_t i)
{
	h->p[i] = h->p[--h->n];
}

void holder_put(struct holder *h)
{
	if (h && !h->n)
		h->tgid = 0;
}

void mappings_forget_ns(struct mappings *t, uint32_t ns)
{
	struct holder *h;
	uint32_t i;

	for (h = t->h; h < t->h + HOLDER_SLOTS; h++) {
		if (!h->tgid)
			continue;
		for (i = h->n; i-- > 0;)
			if (h->p[i].ns == ns)
				piece_del(h, i);
		holder_put(h);
	}
}
