/*
 * nofire-short-wait — a short blocking wait on a pool worker.
 *
 * The near miss of blocking-wait (≥ 50 ms by default): a request handler on
 * pool "web" blocks on a cache lookup that answers in 25 ms.  Blocking a
 * worker is poor style, but this one is held for half the threshold: three
 * requests, one after another, each blocked about 25 ms.  The program checks
 * its own waits: one of 40 ms or more means the machine was too busy for the
 * margin to hold (exit NOFIRE_PERTURBED).
 */
#include <stdlib.h>

#include "nofire.h"

#define PROG "nofire-short-wait"
#define LOOKUP_LATENCY EX_MS(25)
#define REQUESTS 3
#define PERTURBED_AT EX_MS(40)

static int handle_request(weft_future_t *self, void *arg)
{
	int64_t *blocked_ns = arg, t0;
	weft_future_t *lookup;
	int err;

	(void)self;
	lookup = weft_delay(LOOKUP_LATENCY, NULL);
	if (!lookup)
		return -errno;
	t0 = ex_now_ns();
	err = weft_future_wait(lookup, EX_MS(2000));
	*blocked_ns = ex_now_ns() - t0;
	if (!err)
		err = weft_future_error(lookup, NULL);
	weft_future_release(lookup);
	return err;
}

int main(void)
{
	int64_t blocked[REQUESTS] = { 0 }, worst = 0;
	weft_ctx_t *web;
	int rc = 1, err = 0, i;

	web = weft_pool_new("web", 2);
	if (!web) {
		ex_fail(PROG, "create the pool", errno);
		goto out;
	}
	for (i = 0; i < REQUESTS && !err; i++) {
		weft_future_t *f = weft_run(web, handle_request, &blocked[i],
					    &(struct weft_opts){ .name = "handle_request" });

		if (!f) {
			err = -errno;
			break;
		}
		err = weft_future_wait(f, EX_MS(3000));
		if (!err)
			err = weft_future_error(f, NULL);
		weft_future_release(f);
		if (blocked[i] > worst)
			worst = blocked[i];
	}
	if (err) {
		ex_fail(PROG, "handle the requests", err);
		goto out;
	}
	if (worst >= PERTURBED_AT) {
		rc = nofire_perturbed(PROG, "a 25 ms wait took %.1f ms (limit %.0f ms)",
				      nofire_ms(worst), nofire_ms(PERTURBED_AT));
		goto out;
	}
	printf("%s: %d pool workers blocked at most %.1f ms each, under blocking-wait's 50 ms\n",
	       PROG, REQUESTS, nofire_ms(worst));
	rc = 0;
out:
	if (web)
		weft_ctx_free(web);
	weft_rt_shutdown();
	return rc;
}
