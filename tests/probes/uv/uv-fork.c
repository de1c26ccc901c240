/*
 * uv-fork — a libuv program that forks without exec.
 *
 * The parent runs 2 uv_queue_work jobs, then forks; the child calls
 * uv_loop_fork and runs 3 jobs and a 5 ms timer on the inherited loop, and
 * exits 0 when all ran.  The parent waits for it.  Through the probe
 * (recorded with --all: the session tracks the started pid only): the
 * child is its own process with its own 'uv-threadpool' and 'uv-loop-1',
 * 3 jobs with their after_work_cb and 1 uv_timer task; the parent 2 jobs.
 *
 * The parent's jobs run one after the other (each queued from the previous
 * one's after_work_cb), so that no wake-up of the loop is left pending when
 * its uv_run returns: libuv 1.44 (Debian 12's) keeps an async handle's
 * pending flag across uv_loop_fork, and a child that inherits it never
 * wakes for its own completed work (fixed in libuv 1.45, fe7ee4a62).  Two
 * jobs finishing together in the parent leave that flag set often enough
 * to hang this test now and then, with or without the probe.
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "uvprog.h"

#define PROG "uv-fork"

#define PARENT_JOBS 2

static uv_work_t jobs[3];
static uv_timer_t timer;
static int done, ticks, failed;

static void work(uv_work_t *req)
{
	(void)req;
	sleep_ns(MS(2));
}

static void after(uv_work_t *req, int status)
{
	(void)req;
	if (status == 0)
		done++;
}

/* the parent's: the next job is queued only now (see the top of the file) */
static void after_chained(uv_work_t *req, int status)
{
	int rc;

	if (status == 0 && ++done < PARENT_JOBS &&
	    (rc = uv_queue_work(req->loop, &jobs[done], work, after_chained)) != 0)
		failed = rc;
}

static void on_timer(uv_timer_t *t)
{
	ticks++;
	uv_close((uv_handle_t *)t, NULL);
}

static int run_jobs(uv_loop_t *loop, int n)
{
	int rc;

	done = 0;
	for (int i = 0; i < n; i++)
		if ((rc = uv_queue_work(loop, &jobs[i], work, after)) != 0)
			return rc;
	return uv_run(loop, UV_RUN_DEFAULT) >= 0 ? 0 : UV_EIO;
}

int main(void)
{
	uv_loop_t *loop = uv_default_loop();
	int rc, st;
	pid_t pid;

	if ((rc = uv_queue_work(loop, &jobs[0], work, after_chained)) != 0 ||
	    (rc = uv_run(loop, UV_RUN_DEFAULT) >= 0 ? failed : UV_EIO) != 0 || done != PARENT_JOBS)
		return uv_fail(PROG, "run the parent's jobs", rc ? rc : UV_EIO);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return uv_fail(PROG, "fork", -errno);
	if (pid == 0) {
		if ((rc = uv_loop_fork(loop)) != 0 || (rc = uv_timer_init(loop, &timer)) != 0 ||
		    (rc = uv_timer_start(&timer, on_timer, 5, 0)) != 0 ||
		    (rc = run_jobs(loop, 3)) != 0)
			_exit(uv_fail(PROG, "run the child's jobs", rc));
		_exit(done == 3 && ticks == 1 && uv_loop_close(loop) == 0 ? 0 : 1);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return uv_fail(PROG, "see the child succeed", UV_EIO);
	printf("%s: parent 2 jobs, child 3 jobs and a timer\n", PROG);
	return uv_loop_close(loop) == 0 ? 0 : 1;
}
