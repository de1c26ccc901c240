/*
 * uv-starvation — the libuv form of examples/pool-starvation: blocking work
 * fills libuv's pool while fs requests queue behind it.
 *
 * Four uv_queue_work jobs call a "legacy client" that blocks its worker for
 * 1 s (libuv's default pool has 4 workers), then eight uv_fs_stat requests
 * are submitted: they wait in the pool's queue for the whole second although
 * the CPUs are idle.  Through the probe: 12 tasks on the pool context, the
 * four work tasks started at once, the stats ending about 1 s after they
 * were submitted, and pool_sample(queued=8, busy=4, workers=4) meanwhile.
 */
#include <stdlib.h>

#include "uvprog.h"

#define PROG "uv-starvation"
#define WORKERS 4
#define STATS 8
#define LATENCY MS(1000)

static int64_t submitted, last_done;
static int works_done, stats_done, stat_errors;

static void blocking_work(uv_work_t *req)
{
	(void)req;
	sleep_ns(LATENCY); /* a synchronous read from a slow storage node */
}

static void work_done(uv_work_t *req, int status)
{
	(void)req;
	works_done += status == 0;
}

static void stat_done(uv_fs_t *req)
{
	stat_errors += req->result < 0;
	stats_done++;
	last_done = now_ns();
	uv_fs_req_cleanup(req);
}

int main(void)
{
	uv_loop_t *loop = uv_default_loop();
	uv_work_t work[WORKERS];
	uv_fs_t stats[STATS];
	int i, rc;

	if (getenv("UV_THREADPOOL_SIZE"))
		return uv_fail(PROG, "run with UV_THREADPOOL_SIZE set", UV_EINVAL);
	submitted = now_ns();
	for (i = 0; i < WORKERS; i++)
		if ((rc = uv_queue_work(loop, &work[i], blocking_work, work_done)) != 0)
			return uv_fail(PROG, "queue the blocking work", rc);
	for (i = 0; i < STATS; i++)
		if ((rc = uv_fs_stat(loop, &stats[i], "/", stat_done)) != 0)
			return uv_fail(PROG, "submit a stat", rc);
	uv_run(loop, UV_RUN_DEFAULT);
	if (works_done != WORKERS || stats_done != STATS || stat_errors)
		return uv_fail(PROG, "complete every request", UV_EIO);
	printf("%s: %d fs requests waited %.2f s behind %d blocked workers\n", PROG, STATS,
	       (double)(last_done - submitted) / 1e9, WORKERS);
	return uv_loop_close(loop) == 0 ? 0 : 1;
}
