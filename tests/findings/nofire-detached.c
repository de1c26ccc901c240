/*
 * nofire-detached — a long fire-and-forget task that succeeds.
 *
 * The near miss of detached-failure, unobserved-error and lost-task: after a
 * login the application spawns a detached cache refresh (weft_spawn, no
 * detached-error handler installed) that works for 1 s and ends ok.  Nobody
 * holds it and nobody reads its outcome, and nothing needs to: it did not
 * fail, and it ended.  The pool is drained before exit, so the trace ends
 * after it.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "nofire.h"

#define PROG "nofire-detached"
#define REFRESH_TIME EX_MS(1000)

static atomic_bool refreshed;

static int refresh_cache(weft_future_t *self, void *arg)
{
	int64_t end = ex_now_ns() + REFRESH_TIME;

	(void)self;
	(void)arg;
	while (ex_now_ns() < end) {
		ex_spin_ns(EX_MS(1) / 10); /* merge a page of entries */
		ex_sleep_ns(EX_MS(10));    /* and fetch the next */
	}
	atomic_store(&refreshed, true);
	return 0;
}

int main(void)
{
	weft_ctx_t *pool;
	int64_t t0 = ex_now_ns();
	int rc = 1, err;

	pool = weft_pool_new("app", 2);
	if (!pool) {
		ex_fail(PROG, "create the pool", errno);
		goto out;
	}
	err = weft_spawn(pool, refresh_cache, NULL, &(struct weft_opts){ .name = "refresh_cache" });
	if (err) {
		ex_fail(PROG, "spawn the refresh", err);
		goto out;
	}
	err = weft_ctx_shutdown(pool, WEFT_SHUTDOWN_DRAIN);
	if (err || !atomic_load(&refreshed)) {
		ex_fail(PROG, "run the refresh", err ? err : -EPROTO);
		goto out;
	}
	printf("%s: detached refresh_cache ran %.2f s and ended ok; nothing to report\n", PROG,
	       ex_seconds(ex_now_ns() - t0));
	rc = 0;
out:
	if (pool)
		weft_ctx_free(pool);
	weft_rt_shutdown();
	return rc;
}
