/*
 * sync-completion-hot-path — an async API that almost always completes at
 * once (info, not a bug).
 *
 * The story: request handlers read configuration through an asynchronous
 * cache, config_get_async(key), and chain on the result with
 * WEFT_INLINE_IF_DONE.  The cache holds nearly everything: of 12,000 lookups
 * only the first one of each of 600 keys goes to the backend (the first
 * request, which warms the cache); the other 95 % return a promise that is
 * complete before anyone looks at it, and the continuation runs inline.  Each of those lookups still allocates, counts
 * and frees two futures for an answer that was already there: a candidate
 * for a synchronous fast path (try_get, C#'s ValueTask).
 *
 * Events that show it: 12,000 task_new(use_value) from one site (this file,
 * the weft_then line in lookup_and_use), of which about 11,400 are
 * task_inline (never queued) and the rest are task_schedule'd on pool
 * "config" after their fetch_config_value completes.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "example.h"

#define PROG "sync-completion-hot-path"
#define KEYS 600
#define LOOKUPS 12000

enum entry_state { ENTRY_EMPTY, ENTRY_LOADING, ENTRY_READY };

struct cache;
struct entry {
	enum entry_state state;
	weft_future_t *loading; /* the promise of the fetch in flight */
	struct cache *cache;
	int key;
};

struct cache {
	pthread_mutex_t mu;
	weft_ctx_t *pool;
	struct entry e[KEYS];
	atomic_int used, inline_runs;
};

static int fetch_config_value(weft_future_t *self, void *arg)
{
	struct entry *e = arg;
	weft_future_t *p;

	(void)self;
	ex_spin_ns(EX_MS(1) / 50); /* the backend round trip, abridged */
	pthread_mutex_lock(&e->cache->mu);
	e->state = ENTRY_READY;
	p = e->loading;
	e->loading = NULL;
	pthread_mutex_unlock(&e->cache->mu);
	weft_promise_complete(p, 0, NULL, e);
	weft_future_release(p);
	return 0;
}

/* Returns a promise for the key's value: already complete on a hit. */
static weft_future_t *config_get_async(struct cache *c, int key)
{
	struct entry *e = &c->e[key];
	weft_future_t *p = NULL, *fetch;

	pthread_mutex_lock(&c->mu);
	if (e->state == ENTRY_LOADING) {
		p = weft_future_ref(e->loading);
		pthread_mutex_unlock(&c->mu);
		return p;
	}
	if (e->state == ENTRY_READY) {
		pthread_mutex_unlock(&c->mu);
		p = weft_promise_new(&(struct weft_opts){ .name = "config value" });
		if (p)
			weft_promise_complete(p, 0, NULL, e);
		return p;
	}
	p = weft_promise_new(&(struct weft_opts){ .name = "config value" });
	if (p) {
		e->loading = weft_future_ref(p);
		e->state = ENTRY_LOADING;
	}
	pthread_mutex_unlock(&c->mu);
	if (!p)
		return NULL;
	fetch = weft_run(c->pool, fetch_config_value, e,
			 &(struct weft_opts){ .name = "fetch_config_value" });
	if (!fetch) {
		int err = -errno;

		pthread_mutex_lock(&c->mu);
		e->state = ENTRY_EMPTY;
		e->loading = NULL;
		pthread_mutex_unlock(&c->mu);
		weft_promise_complete(p, err, "cannot fetch", NULL);
		weft_future_release(p); /* the table's reference */
	}
	weft_future_release(fetch);
	return p;
}

static int use_value(weft_future_t *self, weft_future_t *value, void *arg)
{
	struct cache *c = arg;
	int err = weft_future_error(value, NULL);

	(void)self;
	if (!weft_ctx_current())
		atomic_fetch_add(&c->inline_runs, 1);
	atomic_fetch_add(&c->used, 1);
	return err;
}

/* One lookup; *keep (optional) gets a reference to the continuation. */
static int lookup_and_use(struct cache *c, int key, weft_future_t **keep)
{
	static const struct weft_opts opts = { .name = "use_value", .flags = WEFT_INLINE_IF_DONE };
	weft_future_t *p, *cont;

	p = config_get_async(c, key);
	if (!p)
		return -errno;
	cont = weft_then(p, c->pool, use_value, c, &opts);
	weft_future_release(p);
	if (!cont)
		return -errno;
	if (keep)
		*keep = cont;
	else
		weft_future_release(cont);
	return 0;
}

int main(void)
{
	static struct cache c = { .mu = PTHREAD_MUTEX_INITIALIZER };
	static weft_future_t *first[KEYS];
	int64_t t0;
	int rc = 1, err = 0, i;

	for (i = 0; i < KEYS; i++) {
		c.e[i].cache = &c;
		c.e[i].key = i;
	}
	c.pool = weft_pool_new("config", 2);
	if (!c.pool) {
		ex_fail(PROG, "create the pool", errno);
		goto out;
	}
	t0 = ex_now_ns();
	/* The first request warms the cache: one miss per key... */
	for (i = 0; i < KEYS && !err; i++)
		err = lookup_and_use(&c, i, &first[i]);
	for (i = 0; i < KEYS && first[i] && !err; i++)
		err = weft_future_wait(first[i], EX_MS(3000));
	/* ...and every later one finds its value there. */
	for (i = KEYS; i < LOOKUPS && !err; i++)
		err = lookup_and_use(&c, i % KEYS, NULL);
	if (err) {
		ex_fail(PROG, "look up a key", err);
		goto out;
	}
	/* Let the queued continuations (the misses) run. */
	err = weft_ctx_shutdown(c.pool, WEFT_SHUTDOWN_DRAIN);
	if (err || atomic_load(&c.used) != LOOKUPS) {
		fprintf(stderr, "%s: Cannot complete the lookups: %d of %d used\n", PROG,
			atomic_load(&c.used), LOOKUPS);
		goto out;
	}
	printf("%s: %d lookups from one call site in %.2f s, %.1f %% completed inline from "
	       "the cache\n",
	       PROG, LOOKUPS, ex_seconds(ex_now_ns() - t0),
	       100.0 * atomic_load(&c.inline_runs) / LOOKUPS);
	rc = 0;
out:
	if (c.pool)
		weft_ctx_free(c.pool);
	for (i = 0; i < KEYS; i++)
		weft_future_release(first[i]);
	weft_rt_shutdown();
	return rc;
}
