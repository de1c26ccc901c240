/*
 * pool-starvation — sync I/O wrapped as pool tasks fills every worker.
 *
 * The story: a service runs everything on one pool of 4 workers.  Four
 * requests call a legacy storage client whose read() is synchronous; the
 * storage node is slow to answer (1 s).  Each of those requests holds a
 * worker blocked in read(), so eight short requests (a few hundred
 * microseconds of work each) sit in the queue for the whole second although
 * the CPUs are idle: the pool is starved.  Here the "storage node" is the
 * main thread, which writes the four answers into a pipe after 1 s.
 *
 * Events that show it: context_new(io, pool, workers=4); four task_start on
 * io workers, each followed by block_begin("read(storage socket)"); eight
 * task_schedule(short_request, io); pool_sample(io, queued=8, busy=4,
 * workers=4) and no task_start on io for about 1 s; then block_end on the
 * workers and the short requests start, each with about 1 s of queue wait.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "example.h"

#define PROG "pool-starvation"
#define WORKERS 4
#define SHORT_REQUESTS 8
#define STORAGE_LATENCY EX_MS(1000)

struct short_req {
	int64_t queued_at, started_at;
};

/* A request that reads its answer synchronously from the storage socket. */
static int storage_request(weft_future_t *self, void *arg)
{
	int fd = *(const int *)arg;
	char byte;
	ssize_t n;

	(void)self;
	weft_block_begin("read(storage socket)");
	do
		n = read(fd, &byte, 1);
	while (n < 0 && errno == EINTR);
	weft_block_end();
	return n == 1 ? 0 : (n < 0 ? -errno : -EPIPE);
}

static int short_request(weft_future_t *self, void *arg)
{
	struct short_req *r = arg;

	(void)self;
	r->started_at = ex_now_ns();
	ex_spin_ns(EX_MS(1) / 5);
	return 0;
}

int main(void)
{
	weft_future_t *slow[WORKERS] = { 0 }, *fast[SHORT_REQUESTS] = { 0 };
	struct short_req reqs[SHORT_REQUESTS] = { 0 };
	int pipefd[2] = { -1, -1 };
	int64_t max_wait = 0;
	weft_ctx_t *io = NULL;
	int rc = 1, err = 0, i;

	if (pipe(pipefd) != 0) {
		ex_fail(PROG, "create the storage pipe", errno);
		goto out;
	}
	io = weft_pool_new("io", WORKERS);
	if (!io) {
		ex_fail(PROG, "create the pool", errno);
		goto out;
	}
	for (i = 0; i < WORKERS; i++) {
		slow[i] = weft_run(io, storage_request, &pipefd[0],
				   &(struct weft_opts){ .name = "storage_request" });
		if (!slow[i]) {
			ex_fail(PROG, "submit a storage request", errno);
			goto out;
		}
	}
	for (i = 0; i < SHORT_REQUESTS; i++) {
		reqs[i].queued_at = ex_now_ns();
		fast[i] = weft_run(io, short_request, &reqs[i],
				   &(struct weft_opts){ .name = "short_request" });
		if (!fast[i]) {
			ex_fail(PROG, "submit a short request", errno);
			goto out;
		}
	}
	/* The storage node answers after a second. */
	ex_sleep_ns(STORAGE_LATENCY);
	if (write(pipefd[1], "xxxx", WORKERS) != WORKERS) {
		ex_fail(PROG, "answer the storage requests", errno);
		goto out;
	}
	for (i = 0; i < WORKERS + SHORT_REQUESTS && !err; i++) {
		weft_future_t *f = i < WORKERS ? slow[i] : fast[i - WORKERS];

		err = weft_future_wait(f, EX_MS(3000));
		if (!err)
			err = weft_future_error(f, NULL);
	}
	if (err) {
		ex_fail(PROG, "complete the requests", err);
		goto out;
	}
	for (i = 0; i < SHORT_REQUESTS; i++)
		if (reqs[i].started_at - reqs[i].queued_at > max_wait)
			max_wait = reqs[i].started_at - reqs[i].queued_at;
	printf("%s: 4 workers blocked in synchronous reads; %d short requests waited up to "
	       "%.2f s in the queue\n",
	       PROG, SHORT_REQUESTS, ex_seconds(max_wait));
	rc = 0;
out:
	if (rc && pipefd[1] >= 0 && write(pipefd[1], "xxxx", WORKERS) < 0)
		rc = 1; /* unblock the readers so that shutdown can join them */
	for (i = 0; i < WORKERS; i++)
		weft_future_release(slow[i]);
	for (i = 0; i < SHORT_REQUESTS; i++)
		weft_future_release(fast[i]);
	if (io)
		weft_ctx_free(io);
	for (i = 0; i < 2; i++)
		if (pipefd[i] >= 0)
			close(pipefd[i]);
	weft_rt_shutdown();
	return rc;
}
