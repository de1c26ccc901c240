/*
 * serial-fan-out — independent calls awaited one after another.
 *
 * The story: a dashboard handler needs the user's profile, their orders and
 * their recommendations: three backend calls that do not depend on each
 * other.  The code awaits each before starting the next (`await a; await b;
 * await c;` instead of `await when_all(a, b, c)`), so the page takes the sum
 * of the three latencies (3 x 60 ms) instead of the longest one (60 ms).
 *
 * Events that show it: task load_dashboard creates fetch_profile (parent =
 * load_dashboard) and awaits it: wait_begin(load_dashboard, fetch_profile,
 * async) and continuation_add(fetch_profile, after fetch_profile); that
 * continuation creates fetch_orders only after task_end(fetch_profile), and
 * awaits it the same way; then fetch_recommendations.  Each child's task_new
 * follows the previous child's task_end; no child waits on another.
 */
#include <stdlib.h>

#include "example.h"

#define PROG "serial-fan-out"
#define CALL_LATENCY EX_MS(60)
#define CALLS 3

static const char *const call_names[CALLS] = { "fetch_profile", "fetch_orders",
					       "fetch_recommendations" };
static const char *const after_names[CALLS] = { "after fetch_profile", "after fetch_orders",
						"after fetch_recommendations" };

struct dashboard {
	weft_ctx_t *pool;
	weft_future_t *done;
	int next;
};

/* A backend call; the sleep stands in for its network latency. */
static int backend_call(weft_future_t *self, void *arg)
{
	(void)self;
	(void)arg;
	ex_sleep_ns(CALL_LATENCY);
	return 0;
}

static int after_call(weft_future_t *self, weft_future_t *call, void *arg);

/* Starts call number d->next and awaits it: the next one starts only in the
 * continuation, once this one is over. */
static int start_call(struct dashboard *d)
{
	weft_future_t *call, *cont;
	int i = d->next;

	call = weft_run(d->pool, backend_call, d, &(struct weft_opts){ .name = call_names[i] });
	if (!call)
		return -errno;
	cont = weft_await(call, d->pool, after_call, d,
			  &(struct weft_opts){ .name = after_names[i] });
	weft_future_release(call);
	if (!cont)
		return -errno;
	weft_future_release(cont);
	return 0;
}

static int after_call(weft_future_t *self, weft_future_t *call, void *arg)
{
	struct dashboard *d = arg;
	int err = weft_future_error(call, NULL);

	(void)self;
	if (err == 0 && ++d->next < CALLS)
		err = start_call(d);
	else if (err == 0)
		weft_promise_complete(d->done, 0, NULL, NULL); /* render the page */
	if (err)
		weft_promise_complete(d->done, err, "a backend call failed", NULL);
	return err;
}

static int load_dashboard(weft_future_t *self, void *arg)
{
	(void)self;
	return start_call(arg);
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
	if (err == 0)
		err = weft_future_error(d.done, NULL);
	if (err == 0)
		err = weft_future_wait(handler, EX_MS(1000));
	if (err == 0)
		err = weft_future_error(handler, NULL);
	if (err) {
		ex_fail(PROG, "load the dashboard", err);
		goto out;
	}
	printf("%s: load_dashboard awaited %d independent calls one after another: %.2f s "
	       "instead of %.2f s\n",
	       PROG, CALLS, ex_seconds(ex_now_ns() - t0), ex_seconds(CALL_LATENCY));
	rc = 0;
out:
	if (d.pool)
		weft_ctx_free(d.pool);
	weft_future_release(handler);
	weft_future_release(d.done);
	weft_rt_shutdown();
	return rc;
}
