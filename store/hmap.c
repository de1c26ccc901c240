/*
 * hmap.c — linear-probing hash map for the store writer (see hmap.h).  Kept
 * at most half full so that probes stay short on the hot path.
 */
#include "hmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t hmap_find(const struct hmap *m, uint64_t a, uint64_t b)
{
	size_t mask = m->cap - 1;
	size_t i = (size_t)hmap_hash(a, b) & mask;

	while (m->slot[i].a != 0 && (m->slot[i].a != a || m->slot[i].b != b))
		i = (i + 1) & mask;
	return i;
}

int64_t *hmap_get(const struct hmap *m, uint64_t a, uint64_t b)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	i = hmap_find(m, a, b);
	return m->slot[i].a != 0 ? &m->slot[i].v : NULL;
}

static int hmap_grow(struct hmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64;
	struct hmap_slot *old = m->slot;
	size_t ocap = m->cap;
	size_t i;

	m->slot = calloc(ncap, sizeof(*m->slot));
	if (!m->slot) {
		m->slot = old;
		return -ENOMEM;
	}
	m->cap = ncap;
	for (i = 0; i < ocap; i++) {
		if (old[i].a != 0)
			m->slot[hmap_find(m, old[i].a, old[i].b)] = old[i];
	}
	free(old);
	return 0;
}

int hmap_put(struct hmap *m, uint64_t a, uint64_t b, int64_t v)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap && hmap_grow(m) < 0)
		return -ENOMEM;
	i = hmap_find(m, a, b);
	if (m->slot[i].a == 0) {
		m->slot[i].a = a;
		m->slot[i].b = b;
		m->n++;
	}
	m->slot[i].v = v;
	return 0;
}

void hmap_del(struct hmap *m, uint64_t a, uint64_t b)
{
	size_t mask, i, j;

	if (m->cap == 0)
		return;
	mask = m->cap - 1;
	i = hmap_find(m, a, b);
	if (m->slot[i].a == 0)
		return;
	/* Backward shift: move later members of the probe run into the hole
	 * when their home slot does not lie (cyclically) between hole and them. */
	j = i;
	for (;;) {
		size_t home;

		m->slot[i].a = 0;
		for (;;) {
			j = (j + 1) & mask;
			if (m->slot[j].a == 0) {
				m->n--;
				return;
			}
			home = (size_t)hmap_hash(m->slot[j].a, m->slot[j].b) & mask;
			if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
				continue;
			break;
		}
		m->slot[i] = m->slot[j];
		i = j;
	}
}

void hmap_clear(struct hmap *m)
{
	if (m->cap)
		memset(m->slot, 0, m->cap * sizeof(*m->slot));
	m->n = 0;
}

void hmap_free(struct hmap *m)
{
	free(m->slot);
	memset(m, 0, sizeof(*m));
}
