/*
 * nofire-busy-pool — a pool that is always busy and always draining.
 *
 * The near miss of pool-starvation (queue non-empty with no dequeue for
 * ≥ 500 ms, or queue wait p95 ≥ 500 ms over 1 s) and blocking-in-pool: six
 * clients keep one 3 ms request each in flight on a pool of 2 workers for
 * 2 s, each sending the next as soon as its last one starts being served.
 * The queue is never empty, yet a worker takes a request every 1.5 ms or so
 * and none waits more than about 10 ms.  The work is part CPU, part an
 * (unmarked) pause, so it keeps the pool busy without taking both cores of a
 * shared machine.  The program measures its own queue waits: one of 250 ms
 * or more means the machine stalled it (exit NOFIRE_PERTURBED).
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "nofire.h"

#define PROG "nofire-busy-pool"
#define WORKERS 2
#define CLIENTS 6
#define DURATION EX_MS(2000)
#define PERTURBED_AT EX_MS(250)

struct client {
	struct service *svc;
	int64_t queued_at;
};

struct service {
	weft_ctx_t *pool;
	weft_future_t *done;
	int64_t deadline;
	struct client clients[CLIENTS];
	atomic_int active, served, failed;
	_Atomic int64_t worst_wait;
};

static int process_item(weft_future_t *self, void *arg);

static void client_done(struct service *svc)
{
	if (atomic_fetch_sub(&svc->active, 1) == 1)
		weft_promise_complete(svc->done, 0, NULL, NULL);
}

static void client_next(struct client *c)
{
	weft_future_t *f;

	if (ex_now_ns() >= c->svc->deadline) {
		client_done(c->svc);
		return;
	}
	c->queued_at = ex_now_ns();
	f = weft_run(c->svc->pool, process_item, c,
		     &(struct weft_opts){ .name = "process_item" });
	if (!f) {
		atomic_fetch_add(&c->svc->failed, 1);
		client_done(c->svc);
		return;
	}
	weft_future_release(f);
}

static int process_item(weft_future_t *self, void *arg)
{
	struct client *c = arg;
	struct service *svc = c->svc;
	int64_t waited = ex_now_ns() - c->queued_at, worst = atomic_load(&svc->worst_wait);

	(void)self;
	while (waited > worst && !atomic_compare_exchange_weak(&svc->worst_wait, &worst, waited))
		;
	client_next(c); /* the next request queues while this one is served */
	ex_spin_ns(EX_MS(1) / 2);
	ex_sleep_ns(EX_MS(5) / 2);
	atomic_fetch_add(&svc->served, 1);
	return 0;
}

int main(void)
{
	static struct service svc;
	int rc = 1, err, i;
	int64_t t0;

	svc.pool = weft_pool_new("work", WORKERS);
	svc.done = weft_promise_new(&(struct weft_opts){ .name = "all clients done" });
	if (!svc.pool || !svc.done) {
		ex_fail(PROG, "set up", errno);
		goto out;
	}
	t0 = ex_now_ns();
	svc.deadline = t0 + DURATION;
	atomic_store(&svc.active, CLIENTS);
	for (i = 0; i < CLIENTS; i++) {
		svc.clients[i].svc = &svc;
		client_next(&svc.clients[i]);
	}
	err = weft_future_wait(svc.done, DURATION + EX_MS(3000));
	if (!err && atomic_load(&svc.failed))
		err = -ENOMEM;
	if (!err)
		err = weft_ctx_shutdown(svc.pool, WEFT_SHUTDOWN_DRAIN);
	if (err) {
		ex_fail(PROG, "serve the clients", err);
		goto out;
	}
	if (atomic_load(&svc.worst_wait) >= PERTURBED_AT) {
		rc = nofire_perturbed(PROG, "a request waited %.1f ms in the queue (limit %.0f ms)",
				      nofire_ms(atomic_load(&svc.worst_wait)),
				      nofire_ms(PERTURBED_AT));
		goto out;
	}
	printf("%s: %d requests in %.2f s on %d workers with the queue never empty; the longest "
	       "queue wait was %.1f ms\n", PROG, atomic_load(&svc.served),
	       ex_seconds(ex_now_ns() - t0), WORKERS, nofire_ms(atomic_load(&svc.worst_wait)));
	rc = 0;
out:
	if (svc.pool)
		weft_ctx_free(svc.pool);
	weft_future_release(svc.done);
	weft_rt_shutdown();
	return rc;
}
