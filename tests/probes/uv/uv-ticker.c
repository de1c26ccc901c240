/*
 * uv-ticker — a long-running libuv program for `weft attach`: for 4 s it
 * queues one short job every 20 ms from a repeating timer (each job's
 * after_work_cb counts it), then stops.  Started with the probe preloaded
 * and no session, it is attached to while it runs: the jobs made after the
 * session started are traced, those before are not.
 */
#include "uvprog.h"

#define PROG "uv-ticker"
#define TICKS 200

static uv_timer_t ticker;
static uv_work_t jobs[TICKS];
static int ticks, done;

static void job(uv_work_t *req)
{
	(void)req;
	spin_ns(MS(1) / 10);
}

static void job_done(uv_work_t *req, int status)
{
	(void)req;
	done += status == 0;
}

static void on_tick(uv_timer_t *t)
{
	if (uv_queue_work(t->loop, &jobs[ticks], job, job_done) == 0)
		ticks++;
	if (ticks == TICKS)
		uv_close((uv_handle_t *)t, NULL);
}

int main(void)
{
	uv_loop_t *loop = uv_default_loop();
	int rc;

	if ((rc = uv_timer_init(loop, &ticker)) != 0 ||
	    (rc = uv_timer_start(&ticker, on_tick, 20, 20)) != 0)
		return uv_fail(PROG, "start the ticker", rc);
	printf("%s: ticking\n", PROG);
	fflush(stdout);
	uv_run(loop, UV_RUN_DEFAULT);
	if (done != TICKS)
		return uv_fail(PROG, "run every job", UV_EIO);
	printf("%s: %d jobs\n", PROG, done);
	return uv_loop_close(loop) == 0 ? 0 : 1;
}
