/*
 * nofire-fan-out — independent calls started together and awaited together.
 *
 * The near miss of serial-fan-out: serial-fan-out.c's dashboard, done right.
 * load_dashboard starts its three backend calls at once (each 60 ms) and
 * awaits them with one when_all: the page takes about 60 ms, not 180 ms.
 * The calls are created before any of them ends.
 */
#include <stdlib.h>

#include "nofire.h"

#define PROG "nofire-fan-out"
#define CALL_LATENCY EX_MS(60)
#define CALLS 3

static const char *const call_names[CALLS] = { "fetch_profile", "fetch_orders",
					       "fetch_recommendations" };

struct dashboard {
	weft_ctx_t *pool;
	weft_future_t *done;
};

static int backend_call(weft_future_t *self, void *arg)
{
	(void)self;
	(void)arg;
	ex_sleep_ns(CALL_LATENCY);
	return 0;
}

static int render_page(weft_future_t *self, weft_future_t *all, void *arg)
{
	struct dashboard *d = arg;
	int err = weft_future_error(all, NULL);

	(void)self;
	weft_promise_complete(d->done, err, err ? "a backend call failed" : NULL, NULL);
	return err;
}

static int load_dashboard(weft_future_t *self, void *arg)
{
	struct dashboard *d = arg;
	weft_future_t *calls[CALLS] = { 0 }, *all = NULL, *render = NULL;
	int err = 0, i;

	(void)self;
	for (i = 0; i < CALLS && !err; i++)
		if (!(calls[i] = weft_run(d->pool, backend_call, NULL,
					  &(struct weft_opts){ .name = call_names[i] })))
			err = -errno;
	if (!err && !(all = weft_when_all(calls, CALLS,
					  &(struct weft_opts){ .name = "all calls" })))
		err = -errno;
	if (!err && !(render = weft_await(all, d->pool, render_page, d,
					  &(struct weft_opts){ .name = "render_page" })))
		err = -errno;
	for (i = 0; i < CALLS; i++)
		weft_future_release(calls[i]);
	weft_future_release(all);
	weft_future_release(render);
	return err;
}

int main(void)
{
	struct dashboard d = { 0 };
	weft_future_t *handler = NULL;
	int64_t t0;
	int rc = 1, err;

	d.pool = weft_pool_new("app", 4);
	d.done = weft_promise_new(&(struct weft_opts){ .name = "dashboard page" });
	if (!d.pool || !d.done) {
		ex_fail(PROG, "set up", errno);
		goto out;
	}
	t0 = ex_now_ns();
	handler = weft_run(d.pool, load_dashboard, &d,
			   &(struct weft_opts){ .name = "load_dashboard" });
	if (!handler) {
		ex_fail(PROG, "start the handler", errno);
		goto out;
	}
	err = weft_future_wait(d.done, EX_MS(3000));
	if (!err)
		err = weft_future_error(d.done, NULL);
	if (!err)
		err = weft_future_wait(handler, EX_MS(1000));
	if (!err)
		err = weft_future_error(handler, NULL);
	if (!err)
		err = weft_ctx_shutdown(d.pool, WEFT_SHUTDOWN_DRAIN);
	if (err) {
		ex_fail(PROG, "load the dashboard", err);
		goto out;
	}
	printf("%s: load_dashboard awaited %d independent calls together: %.2f s\n", PROG, CALLS,
	       ex_seconds(ex_now_ns() - t0));
	rc = 0;
out:
	if (d.pool)
		weft_ctx_free(d.pool);
	weft_future_release(handler);
	weft_future_release(d.done);
	weft_rt_shutdown();
	return rc;
}
