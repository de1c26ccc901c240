/*
 * latency-prog: bench-analysis's live-detection probe.  A pool worker blocks
 * on a 3 s delay (a blocking wait on a pool worker: detector blocking-wait,
 * persistence 50 ms), then the program exits.  bench-analysis records it with
 * `weft record` and measures when the finding reaches the store.
 */
#include <stdint.h>

#include "weft/rt.h"

static int block(weft_future_t *self, void *arg)
{
	weft_future_t *d = weft_delay((int64_t)(intptr_t)arg, NULL);
	int rc;

	(void)self;
	rc = d ? weft_future_wait(d, -1) : -1;
	weft_future_release(d);
	return rc;
}

int main(void)
{
	weft_ctx_t *pool = weft_pool_new("lat", 2);
	weft_future_t *f;
	int rc = 1;

	if (!pool)
		return 1;
	f = weft_run(pool, block, (void *)(intptr_t)3000000000LL, NULL);
	if (f && weft_future_wait(f, -1) == 0)
		rc = 0;
	weft_future_release(f);
	weft_ctx_free(pool);
	weft_rt_shutdown();
	return rc;
}
