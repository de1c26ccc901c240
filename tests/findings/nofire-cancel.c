/*
 * nofire-cancel — cancellation requested and honoured at once, down a chain.
 *
 * The near miss of cancel-ignored and cancel-not-propagated: the export of
 * cancel-ignored.c, done right.  export_report carries the user's token and
 * starts render_pages with a token linked to it (the child inherits
 * cancellation); both check their token between 1 ms slices of work.  The
 * user presses Cancel 50 ms in: both stop within a slice and end canceled.
 * The program checks its own latency: if either took 50 ms or more to end
 * after the request (a 1 ms slice, on a too busy machine), it exits
 * NOFIRE_PERTURBED rather than leave cancel-ignored's 100 ms grace in doubt.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "nofire.h"

#define PROG "nofire-cancel"
#define CANCEL_AFTER EX_MS(50)
#define PERTURBED_AT EX_MS(50)
#define MAX_SLICES 2000

struct export {
	weft_ctx_t *pool;
	weft_cts_t *cts;
	weft_future_t *child;
	atomic_int started;
};

/* Works in 1 ms slices, checking its token before each. */
static int work_until_canceled(weft_cts_t *token)
{
	for (int slice = 0; slice < MAX_SLICES; slice++) {
		int err = weft_cts_check(token);

		if (err)
			return err;
		ex_spin_ns(EX_MS(1));
	}
	return 0; /* never canceled: would end ok, and the test would say so */
}

static int render_pages(weft_future_t *self, void *arg)
{
	weft_cts_t *token = arg;

	(void)self;
	return work_until_canceled(token);
}

static int export_report(weft_future_t *self, void *arg)
{
	struct export *ex = arg;
	struct weft_opts opts = { .name = "render_pages" };
	weft_cts_t *linked;

	(void)self;
	linked = weft_cts_new_linked(&ex->cts, 1);
	if (!linked)
		return -errno;
	opts.token = linked;
	ex->child = weft_run(ex->pool, render_pages, linked, &opts);
	if (!ex->child) {
		weft_cts_release(linked);
		return -errno;
	}
	weft_cts_release(linked); /* the child holds its own reference */
	atomic_fetch_add(&ex->started, 1);
	return work_until_canceled(ex->cts);
}

int main(void)
{
	struct weft_opts opts = { .name = "export_report" };
	struct export ex = { 0 };
	weft_future_t *f = NULL;
	int64_t canceled_at, parent_late = 0, child_late = 0;
	int rc = 1, err;

	ex.pool = weft_pool_new("app", 2);
	ex.cts = weft_cts_new("export");
	if (!ex.pool || !ex.cts) {
		ex_fail(PROG, "set up", errno);
		goto out;
	}
	opts.token = ex.cts;
	f = weft_run(ex.pool, export_report, &ex, &opts);
	if (!f) {
		ex_fail(PROG, "start the export", errno);
		goto out;
	}
	while (!atomic_load(&ex.started) && !weft_future_done(f))
		ex_sleep_ns(EX_MS(1));
	ex_sleep_ns(CANCEL_AFTER);
	canceled_at = ex_now_ns();
	err = weft_cts_cancel(ex.cts, "user pressed Cancel");
	if (!err)
		err = weft_future_wait(f, EX_MS(3000));
	parent_late = ex_now_ns() - canceled_at;
	if (!err && ex.child)
		err = weft_future_wait(ex.child, EX_MS(3000));
	child_late = ex_now_ns() - canceled_at;
	if (err) {
		ex_fail(PROG, "cancel the export", err);
		goto out;
	}
	if (weft_future_error(f, NULL) != WEFT_ECANCELED || !ex.child ||
	    weft_future_error(ex.child, NULL) != WEFT_ECANCELED) {
		fprintf(stderr, "%s: Cannot cancel the export: it did not end canceled\n", PROG);
		goto out;
	}
	if (parent_late >= PERTURBED_AT || child_late >= PERTURBED_AT) {
		rc = nofire_perturbed(PROG, "the export ended %.1f ms and its child %.1f ms after "
				      "the request (limit %.0f ms)", nofire_ms(parent_late),
				      nofire_ms(child_late), nofire_ms(PERTURBED_AT));
		goto out;
	}
	printf("%s: export_report and render_pages (linked token) stopped %.1f ms and %.1f ms "
	       "after Cancel\n", PROG, nofire_ms(parent_late), nofire_ms(child_late));
	rc = 0;
out:
	weft_future_release(f);
	weft_future_release(ex.child);
	if (ex.pool)
		weft_ctx_free(ex.pool);
	if (ex.cts)
		weft_cts_release(ex.cts);
	weft_rt_shutdown();
	return rc;
}
