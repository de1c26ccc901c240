/*
 * hmap.h — the writer's small open-addressing hash map from a two-part
 * integer key (a, b) to an int64 value.  The store keys everything that is
 * unique only within a process by (process row id, weft id), so one map type
 * serves tasks, contexts, tokens, threads and open waits.  a == 0 marks an
 * empty slot: callers never use 0 as the first key part (row ids start at 1).
 */
#ifndef WEFT_STORE_HMAP_H
#define WEFT_STORE_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap_slot {
	uint64_t a, b;
	int64_t v;
};

struct hmap {
	struct hmap_slot *slot;
	size_t cap; /* power of two, or 0 */
	size_t n;
};

/* Pointer to the value of (a, b), or NULL. */
int64_t *hmap_get(const struct hmap *m, uint64_t a, uint64_t b);
/* Inserts or overwrites; 0 or -ENOMEM. */
int hmap_put(struct hmap *m, uint64_t a, uint64_t b, int64_t v);
/* Removes (a, b) if present (backward-shift deletion, no tombstones). */
void hmap_del(struct hmap *m, uint64_t a, uint64_t b);
/* Empties the map, keeping its memory. */
void hmap_clear(struct hmap *m);
void hmap_free(struct hmap *m);

/* Mixes two 64-bit words into a well-distributed hash (also used by the
 * writer's Bloom filter). */
static inline uint64_t hmap_hash(uint64_t a, uint64_t b)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull);

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 32;
	return h;
}

#endif
