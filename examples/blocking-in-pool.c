/*
 * blocking-in-pool — pool workers that mostly sit in synchronous I/O.
 *
 * The story: an image service "makes" its synchronous file-system client
 * asynchronous by wrapping each call in a pool task.  Every request spends
 * 40 ms blocked in read() and 0.2 ms computing, so its 4 workers are blocked
 * about 99 % of the time while requests keep queueing: throughput is capped
 * at workers / latency (100 requests/s) with idle CPUs.  Unlike pool
 * starvation the queue does drain — a request waits one read, not seconds —
 * but the pool is the wrong tool: the reads should be asynchronous.
 * Eight clients keep one request each in flight for 1.2 s.
 *
 * Events that show it: context_new(images, pool, workers=4); on each worker a
 * repeating task_start(serve_image), block_begin("read(image file)"),
 * block_end 40 ms later, task_end; pool_sample(images, queued=4, busy=4)
 * most of the time; queue waits (task_schedule to task_start) of about 40 ms.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "example.h"

#define PROG "blocking-in-pool"
#define WORKERS 4
#define CLIENTS 8
#define READ_LATENCY EX_MS(40)
#define DURATION EX_MS(1200)

struct service {
	weft_ctx_t *pool;
	weft_future_t *done; /* completed by the last client to finish */
	int64_t deadline;
	atomic_int active, served, failed;
};

static int serve_image(weft_future_t *self, void *arg);

static void client_done(struct service *svc)
{
	if (atomic_fetch_sub(&svc->active, 1) == 1)
		weft_promise_complete(svc->done, 0, NULL, NULL);
}

/* Each client sends its next request as soon as the previous one is served. */
static void client_next(struct service *svc)
{
	weft_future_t *f;

	if (ex_now_ns() >= svc->deadline) {
		client_done(svc);
		return;
	}
	f = weft_run(svc->pool, serve_image, svc, &(struct weft_opts){ .name = "serve_image" });
	if (!f) {
		atomic_fetch_add(&svc->failed, 1);
		client_done(svc);
		return;
	}
	weft_future_release(f);
}

static int serve_image(weft_future_t *self, void *arg)
{
	struct service *svc = arg;

	(void)self;
	ex_block_ns("read(image file)", READ_LATENCY);
	ex_spin_ns(EX_MS(1) / 5); /* decode the header, build the response */
	atomic_fetch_add(&svc->served, 1);
	client_next(svc);
	return 0;
}

int main(void)
{
	struct service svc = { 0 };
	int rc = 1, err, i;
	int64_t t0;

	svc.pool = weft_pool_new("images", WORKERS);
	svc.done = weft_promise_new(&(struct weft_opts){ .name = "all clients done" });
	if (!svc.pool || !svc.done) {
		ex_fail(PROG, "set up the service", errno);
		goto out;
	}
	t0 = ex_now_ns();
	svc.deadline = t0 + DURATION;
	atomic_store(&svc.active, CLIENTS);
	for (i = 0; i < CLIENTS; i++)
		client_next(&svc);
	err = weft_future_wait(svc.done, DURATION + EX_MS(2000));
	if (err == 0 && atomic_load(&svc.failed))
		err = -ENOMEM;
	if (err) {
		ex_fail(PROG, "serve the clients", err);
		goto out;
	}
	printf("%s: %d requests in %.2f s on %d workers, each blocked %d ms in a synchronous "
	       "read while %d more waited\n",
	       PROG, atomic_load(&svc.served), ex_seconds(ex_now_ns() - t0), WORKERS,
	       (int)(READ_LATENCY / EX_MS(1)), CLIENTS - WORKERS);
	rc = 0;
out:
	if (svc.pool)
		weft_ctx_free(svc.pool);
	weft_future_release(svc.done);
	weft_rt_shutdown();
	return rc;
}
