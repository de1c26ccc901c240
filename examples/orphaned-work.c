/*
 * orphaned-work — the losers of a when_any race keep running.
 *
 * The story: to cut tail latency a client sends the same lookup to three
 * replicas and takes the first answer (when_any, "hedged requests").  It
 * never cancels the two slower requests nor waits for them: they keep two of
 * the pool's four workers busy for another 0.4 s, and their results are
 * thrown away unseen.  Under load this halves the pool for nothing.  The fix:
 * give the replicas a token and cancel it once the race is decided.
 *
 * Events that show it: task_new(first replica, kind=when_any) with
 * continuation_add(replica-X, first replica) for the three inputs;
 * task_end(first replica, ok) after about 30 ms; task_end of the two other
 * replicas 0.37 s and 0.42 s later, with no wait_begin, cancel_request or
 * error_observe touching them.
 */
#include <stdlib.h>

#include "example.h"

#define PROG "orphaned-work"
#define REPLICAS 3

static const char *const replica_names[REPLICAS] = { "lookup replica-a", "lookup replica-b",
						     "lookup replica-c" };
static const int64_t replica_latency[REPLICAS] = { EX_MS(30), EX_MS(400), EX_MS(450) };

static int lookup(weft_future_t *self, void *arg)
{
	const int64_t *latency = arg;

	(void)self;
	ex_spin_ns(*latency); /* the replica's response time, holding the worker */
	return 0;
}

int main(void)
{
	weft_future_t *req[REPLICAS] = { 0 }, *first = NULL;
	weft_ctx_t *pool;
	int64_t t0, won_at, all_done_at;
	int rc = 1, err, i, winner;

	pool = weft_pool_new("client", 4);
	if (!pool) {
		ex_fail(PROG, "create the pool", errno);
		goto out;
	}
	t0 = ex_now_ns();
	for (i = 0; i < REPLICAS; i++) {
		req[i] = weft_run(pool, lookup, (void *)&replica_latency[i],
				  &(struct weft_opts){ .name = replica_names[i] });
		if (!req[i]) {
			ex_fail(PROG, "send a lookup", errno);
			goto out;
		}
	}
	first = weft_when_any(req, REPLICAS, &(struct weft_opts){ .name = "first replica" });
	if (!first) {
		ex_fail(PROG, "race the replicas", errno);
		goto out;
	}
	err = weft_future_wait(first, EX_MS(2000));
	won_at = ex_now_ns();
	winner = weft_when_any_index(first);
	if (err == 0 && winner >= 0)
		err = weft_future_error(req[winner], NULL);
	if (err || winner < 0) {
		ex_fail(PROG, "get an answer", err ? err : -EPROTO);
		goto out;
	}
	/* Answer in hand.  The other two requests are simply forgotten. */
	for (i = 0; i < REPLICAS; i++) {
		weft_future_release(req[i]);
		req[i] = NULL;
	}
	err = weft_ctx_shutdown(pool, WEFT_SHUTDOWN_DRAIN); /* waits for the orphans */
	all_done_at = ex_now_ns();
	if (err) {
		ex_fail(PROG, "shut down the pool", err);
		goto out;
	}
	printf("%s: when_any took %s after %.2f s; %d losers kept running %.2f s more, "
	       "unobserved\n",
	       PROG, replica_names[winner], ex_seconds(won_at - t0), REPLICAS - 1,
	       ex_seconds(all_done_at - won_at));
	rc = 0;
out:
	weft_future_release(first);
	for (i = 0; i < REPLICAS; i++)
		weft_future_release(req[i]);
	if (pool)
		weft_ctx_free(pool);
	weft_rt_shutdown();
	return rc;
}
