/*
 * uv-cancel — cancellation of queued work, done right.
 *
 * Four jobs hold libuv's 4 workers for 300 ms; six more queue behind them.
 * 50 ms later the program cancels the six queued jobs (uv_cancel returns 0;
 * their after_work_cb sees UV_ECANCELED and their work_cb never runs) and
 * tries to cancel one running job (uv_cancel returns UV_EBUSY: it runs to
 * its end).  Through the probe: six work tasks ended canceled, never
 * started, each with a cancel_request and a cancel_observe; the running job
 * ends ok.  Nothing is wrong: no finding.
 */
#include <stdlib.h>

#include "uvprog.h"

#define PROG "uv-cancel"
#define RUNNING 4
#define QUEUED 6

static int ran, canceled, completed;

static void job(uv_work_t *req)
{
	(void)req;
	__atomic_add_fetch(&ran, 1, __ATOMIC_RELAXED);
	sleep_ns(MS(300));
}

static void job_done(uv_work_t *req, int status)
{
	(void)req;
	if (status == UV_ECANCELED)
		canceled++;
	else if (status == 0)
		completed++;
}

int main(void)
{
	uv_loop_t *loop = uv_default_loop();
	uv_work_t work[RUNNING + QUEUED];
	int i, rc, busy;

	if (getenv("UV_THREADPOOL_SIZE"))
		return uv_fail(PROG, "run with UV_THREADPOOL_SIZE set", UV_EINVAL);
	for (i = 0; i < RUNNING + QUEUED; i++)
		if ((rc = uv_queue_work(loop, &work[i], job, job_done)) != 0)
			return uv_fail(PROG, "queue a job", rc);
	sleep_ns(MS(50));
	for (i = RUNNING; i < RUNNING + QUEUED; i++)
		if ((rc = uv_cancel((uv_req_t *)&work[i])) != 0)
			return uv_fail(PROG, "cancel a queued job", rc);
	busy = uv_cancel((uv_req_t *)&work[0]);
	uv_run(loop, UV_RUN_DEFAULT);
	if (busy != UV_EBUSY || canceled != QUEUED || completed != RUNNING || ran != RUNNING)
		return uv_fail(PROG, "cancel exactly the queued jobs", UV_EIO);
	printf("%s: %d queued jobs canceled, %d ran (cancelling a running one: %s)\n", PROG,
	       canceled, completed, uv_err_name(busy));
	return uv_loop_close(loop) == 0 ? 0 : 1;
}
