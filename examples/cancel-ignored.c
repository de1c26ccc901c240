/*
 * cancel-ignored — cancellation requested, work carries on regardless.
 *
 * The story: the user starts exporting a report and presses Cancel 50 ms
 * later.  The export task carries the cancellation token, but its loop never
 * calls weft_cts_check(): it runs all its 350 ms of work and completes "ok",
 * 300 ms after cancellation was requested.  The dialog said "canceled", yet
 * the CPU was used and the file was written.
 *
 * Events that show it: token_new(export); task_new(export_report,
 * token=export); task_start; cancel_request(export, "user pressed Cancel")
 * about 50 ms later; no cancel_observe; task_end(export_report, ok) about
 * 300 ms after the request.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "example.h"

#define PROG "cancel-ignored"
#define EXPORT_WORK EX_MS(350)
#define CANCEL_AFTER EX_MS(50)

struct export {
	atomic_bool started;
};

static int export_report(weft_future_t *self, void *arg)
{
	struct export *ex = arg;

	(void)self;
	atomic_store(&ex->started, true);
	/* Ten chunks of rendering, and not one look at the token between them. */
	for (int chunk = 0; chunk < 10; chunk++)
		ex_spin_ns(EXPORT_WORK / 10);
	return 0;
}

int main(void)
{
	struct weft_opts opts = { .name = "export_report" };
	struct export ex = { 0 };
	weft_future_t *f = NULL;
	weft_cts_t *cts = NULL;
	weft_ctx_t *pool;
	int64_t canceled_at, late_ns;
	int rc = 1, err;

	pool = weft_pool_new("app", 2);
	cts = weft_cts_new("export");
	if (!pool || !cts) {
		ex_fail(PROG, "set up", errno);
		goto out;
	}
	opts.token = cts;
	f = weft_run(pool, export_report, &ex, &opts);
	if (!f) {
		ex_fail(PROG, "start the export", errno);
		goto out;
	}
	while (!atomic_load(&ex.started))
		ex_sleep_ns(EX_MS(1));
	ex_sleep_ns(CANCEL_AFTER);
	err = weft_cts_cancel(cts, "user pressed Cancel");
	canceled_at = ex_now_ns();
	if (err == 0)
		err = weft_future_wait(f, EX_MS(3000));
	if (err == 0)
		err = weft_future_error(f, NULL);
	if (err) {
		ex_fail(PROG, "run the export", err);
		goto out;
	}
	late_ns = ex_now_ns() - canceled_at;
	printf("%s: export_report kept running %.2f s after cancellation and ended ok\n", PROG,
	       ex_seconds(late_ns));
	rc = 0;
out:
	weft_future_release(f);
	if (pool)
		weft_ctx_free(pool);
	if (cts)
		weft_cts_release(cts);
	weft_rt_shutdown();
	return rc;
}
