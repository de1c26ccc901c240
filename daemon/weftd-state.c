/*
 * weftd-state (see weftd-state.h): an open-addressing string set with linear
 * probing.  Deletions happen only in state_end_pass, which rebuilds the
 * table from the survivors, so probing never meets a tombstone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "weftd-state.h"

static uint64_t state_hash(const char *key)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ull;
	}
	return h ^ (h >> 29);
}

static struct state_entry *state_find_slot(struct state_entry *slot, size_t cap,
					   const char *key, uint64_t hash)
{
	size_t i = (size_t)hash & (cap - 1);

	while (slot[i].key && (slot[i].hash != hash || strcmp(slot[i].key, key) != 0))
		i = (i + 1) & (cap - 1);
	return &slot[i];
}

/* Moves the entries into a new table of capacity cap; with sweep, only those
 * the current pass looked up (the others are freed).  0 or -ENOMEM (then
 * nothing changed). */
static int state_rebuild(struct state *s, size_t cap, int sweep)
{
	struct state_entry *slot = calloc(cap, sizeof(*slot));
	size_t n = 0;

	if (!slot)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++) {
		struct state_entry *e = &s->slot[i];

		if (!e->key)
			continue;
		if (sweep && e->pass != s->pass) {
			free(e->key);
			continue;
		}
		*state_find_slot(slot, cap, e->key, e->hash) = *e;
		n++;
	}
	free(s->slot);
	s->slot = slot;
	s->cap = cap;
	s->n = n;
	return 0;
}

void state_begin_pass(struct state *s)
{
	s->pass++;
}

struct state_entry *state_lookup(struct state *s, const char *key, int create)
{
	uint64_t hash = state_hash(key);
	struct state_entry *e;

	if (s->cap) {
		e = state_find_slot(s->slot, s->cap, key, hash);
		if (e->key) {
			e->pass = s->pass;
			return e;
		}
	}
	if (!create)
		return NULL;
	if ((s->n + 1) * 2 > s->cap && state_rebuild(s, s->cap ? s->cap * 2 : 64, 0))
		return NULL;
	e = state_find_slot(s->slot, s->cap, key, hash);
	memset(e, 0, sizeof(*e));
	e->key = strdup(key);
	if (!e->key)
		return NULL;
	e->hash = hash;
	e->pass = s->pass;
	e->kind = STATE_NEW;
	s->n++;
	return e;
}

void state_end_pass(struct state *s)
{
	size_t cap = 64, live = 0;

	for (size_t i = 0; i < s->cap; i++)
		live += s->slot[i].key && s->slot[i].pass == s->pass;
	while (cap < live * 2 + 2)
		cap *= 2;
	if (s->cap && state_rebuild(s, cap, 1) != 0) {
		/* No memory for a new table: keep everything; stale entries
		 * only cost memory until the next pass. */
		return;
	}
}

void state_free(struct state *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i].key);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}
