/*
 * cancel-not-propagated — the child task forgot its parent's token.
 *
 * The story: an HTTP server gives each request a cancellation token that is
 * canceled when the client disconnects.  The request handler carries it, but
 * starts the expensive database query without passing it on.  The client
 * gives up; cancellation reaches the handler (already done) but not the
 * query, which scans rows for another 250 ms for nobody.
 *
 * Events that show it: token_new(request 42); task_new(handle_request,
 * token=T); on a worker task_new(run_query, parent=handle_request, token=0);
 * cancel_request(T, "client disconnected") while run_query runs; run_query
 * ends ok 250 ms later, never having seen the request.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "example.h"

#define PROG "cancel-not-propagated"
#define QUERY_WORK EX_MS(300)

struct request {
	weft_ctx_t *pool;
	weft_future_t *query;
	atomic_bool query_started;
};

static int run_query(weft_future_t *self, void *arg)
{
	struct request *req = arg;

	(void)self;
	atomic_store(&req->query_started, true);
	ex_spin_ns(QUERY_WORK); /* scanning rows */
	return 0;
}

/* Carries the request's token, but the query it starts does not. */
static int handle_request(weft_future_t *self, void *arg)
{
	struct request *req = arg;

	(void)self;
	req->query = weft_run(req->pool, run_query, req, &(struct weft_opts){ .name = "run_query" });
	return req->query ? 0 : -errno;
}

int main(void)
{
	struct weft_opts opts = { .name = "handle_request" };
	struct request req = { 0 };
	weft_future_t *handler = NULL;
	weft_cts_t *cts;
	int64_t canceled_at;
	int rc = 1, err;

	req.pool = weft_pool_new("http", 2);
	cts = weft_cts_new("request 42");
	if (!req.pool || !cts) {
		ex_fail(PROG, "set up", errno);
		goto out;
	}
	opts.token = cts; /* the request's token */
	handler = weft_run(req.pool, handle_request, &req, &opts);
	if (!handler) {
		ex_fail(PROG, "start the request", errno);
		goto out;
	}
	err = weft_future_wait(handler, EX_MS(2000));
	if (err == 0)
		err = weft_future_error(handler, NULL);
	if (err) {
		ex_fail(PROG, "handle the request", err);
		goto out;
	}
	while (!atomic_load(&req.query_started))
		ex_sleep_ns(EX_MS(1));
	ex_sleep_ns(EX_MS(50));
	err = weft_cts_cancel(cts, "client disconnected");
	canceled_at = ex_now_ns();
	if (err == 0)
		err = weft_future_wait(req.query, EX_MS(3000));
	if (err == 0)
		err = weft_future_error(req.query, NULL);
	if (err) {
		ex_fail(PROG, "run the query", err);
		goto out;
	}
	printf("%s: handle_request carried token 'request 42' but started run_query without "
	       "it; the query ran %.2f s past the cancel\n",
	       PROG, ex_seconds(ex_now_ns() - canceled_at));
	rc = 0;
out:
	weft_future_release(handler);
	if (req.pool)
		weft_ctx_free(req.pool);
	weft_future_release(req.query);
	if (cts)
		weft_cts_release(cts);
	weft_rt_shutdown();
	return rc;
}
