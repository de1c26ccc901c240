/*
 * cache.h — a fixed-capacity cache of two-part keys (a, b) with clock
 * (second-chance) eviction, for the writer's per-process and per-thread
 * state.  The cache owns only the keys and the choice of slots; the caller
 * keeps its payload in an array of the same capacity, indexed by slot, and
 * writes a victim's payload back to the database before the slot is reused.
 * So memory is fixed at creation whatever the run length, and whatever was
 * evicted is found again in the database (the caller's job) on its next use.
 */
#ifndef WEFT_STORE_CACHE_H
#define WEFT_STORE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hmap.h"

struct cache_key {
	uint64_t a, b;
	bool used, ref;
};

struct cache {
	struct hmap idx;       /* (a, b) -> slot */
	struct cache_key *key; /* per slot */
	size_t cap, n, hand;
};

/* Allocates a cache of `cap` slots: 0 or -ENOMEM. */
int cache_init(struct cache *c, size_t cap);
void cache_free(struct cache *c);
/* Forgets every key (keeps the memory). */
void cache_clear(struct cache *c);
/* The slot of (a, b), marked recently used, or -1. */
long cache_find(struct cache *c, uint64_t a, uint64_t b);
/* The slot a new key should take: a free one, else the clock's victim (the
 * first slot not used since the hand last passed it).  *occupied tells
 * whether the slot still holds a key whose payload must be written back;
 * that key stays findable until cache_bind() replaces it. */
size_t cache_victim(struct cache *c, bool *occupied);
/* Gives slot i to (a, b), dropping the key it held: 0 or -ENOMEM. */
int cache_bind(struct cache *c, size_t i, uint64_t a, uint64_t b);
/* Whether slot i holds a key (for walks over the payload array). */
static inline bool cache_used(const struct cache *c, size_t i)
{
	return c->key[i].used;
}

#endif
