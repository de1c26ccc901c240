/*
 * blocking-wait — `.Result` on a pool worker.
 *
 * The story: a web service handles each request as a task on its worker pool.
 * The handler calls the asynchronous database client, then blocks on the
 * returned future (weft_future_wait: the `.Result` / `.Wait()` pattern)
 * instead of continuing asynchronously.  For the 150 ms the query takes, the
 * worker thread does nothing but hold its place; with enough concurrent
 * requests every worker ends up waiting like this and the service stalls.
 *
 * Events that show it: worker_state(ctx=web, start) binds each worker thread
 * to pool "web"; on one of them task_start(handle_request, web), then
 * task_new(db_query, kind=timer) and wait_begin(handle_request, db_query,
 * block), worker_state(blocked), and wait_end(timed_out=0) about 150 ms
 * later, when task_end(db_query, ok) arrived from the timer thread.
 */
#include <stdlib.h>

#include "example.h"

#define PROG "blocking-wait"
#define QUERY_LATENCY EX_MS(150)

struct request {
	int64_t blocked_ns;
	int wait_rc;
};

/* Runs on a pool worker: the asynchronous query (a timer standing in for the
 * database round trip), waited for synchronously. */
static int handle_request(weft_future_t *self, void *arg)
{
	struct request *req = arg;
	weft_future_t *query;
	int64_t t0;
	int err;

	(void)self;
	query = weft_delay(QUERY_LATENCY, NULL);
	if (!query)
		return -errno;
	t0 = ex_now_ns();
	req->wait_rc = weft_future_wait(query, EX_MS(2000));
	req->blocked_ns = ex_now_ns() - t0;
	err = req->wait_rc ? req->wait_rc : weft_future_error(query, NULL);
	weft_future_release(query);
	return err;
}

int main(void)
{
	struct request req = { 0 };
	weft_future_t *f = NULL;
	weft_ctx_t *web;
	int rc = 1, err;

	web = weft_pool_new("web", 4);
	if (!web) {
		ex_fail(PROG, "create the pool", errno);
		goto out;
	}
	f = weft_run(web, handle_request, &req, &(struct weft_opts){ .name = "handle_request" });
	if (!f) {
		ex_fail(PROG, "submit the request", errno);
		goto out;
	}
	/* The main thread is no context's thread: waiting here is fine. */
	err = weft_future_wait(f, EX_MS(3000));
	if (err == 0)
		err = weft_future_error(f, NULL);
	if (err) {
		ex_fail(PROG, "handle the request", err);
		goto out;
	}
	printf("%s: pool worker blocked %.2f s in weft_future_wait on an async db query "
	       "(the .Result pattern)\n",
	       PROG, ex_seconds(req.blocked_ns));
	rc = 0;
out:
	weft_future_release(f);
	if (web)
		weft_ctx_free(web);
	weft_rt_shutdown();
	return rc;
}
