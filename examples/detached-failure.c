/*
 * detached-failure — a fire-and-forget task fails and nobody hears of it.
 *
 * The story: after a login the application uploads usage statistics with a
 * fire-and-forget task (weft_spawn: the "async void" of C#, a detached
 * thread elsewhere).  The collector refuses the connection; since nobody
 * holds the task and no detached-error handler is installed, the failure
 * goes nowhere: no log, no retry, no metric.  The login itself, a normal task
 * whose result is read, succeeds.
 *
 * Events that show it: task_new(upload_statistics, kind=detached);
 * task_end(upload_statistics, error, err=-ECONNREFUSED); then
 * error_unobserved for it and no error_observe.  The login task ends ok.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "example.h"

#define PROG "detached-failure"

static atomic_bool upload_failed;

static int login(weft_future_t *self, void *arg)
{
	(void)self;
	(void)arg;
	ex_spin_ns(EX_MS(2)); /* check the password hash */
	return 0;
}

static int upload_statistics(weft_future_t *self, void *arg)
{
	(void)arg;
	ex_block_ns("connect(stats collector)", EX_MS(10));
	weft_future_set_error_msg(self, "stats.example.net:443: %s", strerror(ECONNREFUSED));
	atomic_store(&upload_failed, true);
	return -ECONNREFUSED;
}

int main(void)
{
	weft_future_t *session = NULL;
	weft_ctx_t *pool;
	int rc = 1, err;

	pool = weft_pool_new("app", 2);
	if (!pool) {
		ex_fail(PROG, "create the pool", errno);
		goto out;
	}
	session = weft_run(pool, login, NULL, &(struct weft_opts){ .name = "login" });
	if (!session) {
		ex_fail(PROG, "start the login", errno);
		goto out;
	}
	err = weft_future_wait(session, EX_MS(2000));
	if (err == 0)
		err = weft_future_error(session, NULL);
	if (err) {
		ex_fail(PROG, "log in", err);
		goto out;
	}
	/* Logged in: fire and forget the statistics upload. */
	err = weft_spawn(pool, upload_statistics, NULL,
			 &(struct weft_opts){ .name = "upload_statistics" });
	if (err) {
		ex_fail(PROG, "spawn the upload", err);
		goto out;
	}
	/* Draining runs the upload to its end (and its failure to nowhere). */
	err = weft_ctx_shutdown(pool, WEFT_SHUTDOWN_DRAIN);
	if (err || !atomic_load(&upload_failed)) {
		ex_fail(PROG, "reproduce the failed upload", err ? err : -EPROTO);
		goto out;
	}
	printf("%s: fire-and-forget upload_statistics failed (ECONNREFUSED) with no error "
	       "handler; nobody observed it\n",
	       PROG);
	rc = 0;
out:
	if (pool)
		weft_ctx_free(pool);
	weft_future_release(session);
	weft_rt_shutdown();
	return rc;
}
