/*
 * nofire-main-wait — the plain main thread blocks 1 s on a pool task.
 *
 * The near miss of blocking-wait and sync-over-async-deadlock: a command-line
 * tool's main thread — no loop, no pool worker, no context at all — submits
 * a one-second computation to a pool and blocks on it with
 * weft_future_wait.  Blocking a thread that serves no context is how a
 * synchronous program uses an asynchronous library; it holds up nobody's
 * queue.
 */
#include <stdlib.h>

#include "nofire.h"

#define PROG "nofire-main-wait"
#define WORK_TIME EX_MS(1000)

static int crunch(weft_future_t *self, void *arg)
{
	int64_t end = ex_now_ns() + WORK_TIME;

	(void)self;
	(void)arg;
	while (ex_now_ns() < end) {
		ex_spin_ns(EX_MS(1)); /* a row of the matrix */
		ex_sleep_ns(EX_MS(4));
	}
	return 0;
}

int main(void)
{
	weft_future_t *f = NULL;
	weft_ctx_t *pool;
	int64_t t0;
	int rc = 1, err;

	pool = weft_pool_new("compute", 2);
	if (!pool) {
		ex_fail(PROG, "create the pool", errno);
		goto out;
	}
	t0 = ex_now_ns();
	f = weft_run(pool, crunch, NULL, &(struct weft_opts){ .name = "crunch" });
	if (!f) {
		ex_fail(PROG, "submit the computation", errno);
		goto out;
	}
	err = weft_future_wait(f, EX_MS(5000));
	if (!err)
		err = weft_future_error(f, NULL);
	if (err) {
		ex_fail(PROG, "compute", err);
		goto out;
	}
	printf("%s: main thread (no context) blocked %.2f s on crunch; nothing to report\n", PROG,
	       ex_seconds(ex_now_ns() - t0));
	rc = 0;
out:
	weft_future_release(f);
	if (pool)
		weft_ctx_free(pool);
	weft_rt_shutdown();
	return rc;
}
