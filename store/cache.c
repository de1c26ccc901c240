/*
 * cache.c — clock eviction over a fixed slot array (see cache.h).  The hash
 * map from key to slot never holds more than `cap` keys, so after the first
 * `cap` insertions nothing here allocates again.
 */
#include "cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cache_init(struct cache *c, size_t cap)
{
	memset(c, 0, sizeof(*c));
	c->key = calloc(cap, sizeof(*c->key));
	if (!c->key)
		return -ENOMEM;
	c->cap = cap;
	return 0;
}

void cache_free(struct cache *c)
{
	hmap_free(&c->idx);
	free(c->key);
	memset(c, 0, sizeof(*c));
}

void cache_clear(struct cache *c)
{
	hmap_clear(&c->idx);
	if (c->key)
		memset(c->key, 0, c->cap * sizeof(*c->key));
	c->n = 0;
	c->hand = 0;
}

long cache_find(struct cache *c, uint64_t a, uint64_t b)
{
	int64_t *v = hmap_get(&c->idx, a, b);

	if (!v)
		return -1;
	c->key[*v].ref = true;
	return (long)*v;
}

size_t cache_victim(struct cache *c, bool *occupied)
{
	size_t i;

	if (c->n < c->cap) {
		/* Slots fill in order until the cache is full once; after a
		 * clear they fill in order again. */
		*occupied = false;
		return c->n;
	}
	for (;;) {
		i = c->hand;
		c->hand = (c->hand + 1) % c->cap;
		if (!c->key[i].ref)
			break;
		c->key[i].ref = false; /* second chance */
	}
	*occupied = c->key[i].used;
	return i;
}

int cache_bind(struct cache *c, size_t i, uint64_t a, uint64_t b)
{
	struct cache_key *k = &c->key[i];

	if (k->used)
		hmap_del(&c->idx, k->a, k->b);
	else
		c->n++;
	if (hmap_put(&c->idx, a, b, (int64_t)i) < 0) {
		k->used = false;
		c->n--;
		return -ENOMEM;
	}
	k->a = a;
	k->b = b;
	k->used = true;
	k->ref = true;
	return 0;
}
