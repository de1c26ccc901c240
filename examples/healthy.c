/*
 * healthy — the same kinds of work as the other examples, done right.
 *
 * The story: a photo application opens a gallery window.  The UI handler
 * (loop "ui") fans out four thumbnail loads to the pool together and awaits
 * them with when_all, hopping back to the UI once to show the result; one
 * file is missing, and the error is read and shown as a placeholder.  Every
 * load carries the request's token, linked to the window's.  A search with a
 * 30 ms budget checks its token and stops promptly when the budget runs out.
 * The avatar races a timeout with when_any, and the loser is canceled as soon
 * as the race is decided.  A fire-and-forget telemetry upload fails, and the
 * installed detached-error handler logs it.  Closing the window cancels the
 * window token and everything linked to it, which by then has all finished.
 * Nobody blocks a loop or pool thread, no callback runs long, every error is
 * read, every task ends, no more workers than cores.
 *
 * Events: a well-formed picture with none of the detectors' conditions:
 * error_observe for every failed task, no error_unobserved; wait_begin only
 * of mode async; cancel_observe and task_end(canceled) within a few ms of
 * each cancel_request; task_end for every task_new.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "example.h"

#define PROG "healthy"
#define THUMBS 4
#define MISSING 2 /* the thumbnail whose file is missing */

struct gallery {
	weft_ctx_t *ui, *pool;
	weft_cts_t *window, *budget; /* budget: the search's, which it polls */
	weft_future_t *done;
	atomic_int pending;        /* results still to show: gallery, search, avatar, telemetry */
	atomic_int telemetry_errors;
	int placeholders, search_canceled, avatar_ok; /* written on the ui thread */
	/* the avatar race, kept until it is decided */
	weft_cts_t *race;
	weft_future_t *avatar, *timeout;
};

static void step_done(struct gallery *g)
{
	if (atomic_fetch_sub(&g->pending, 1) == 1)
		weft_promise_complete(g->done, 0, NULL, NULL);
}

static int load_thumbnail(weft_future_t *self, void *arg)
{
	const int *index = arg;

	ex_spin_ns(EX_MS(8)); /* decode and scale */
	if (*index == MISSING) {
		weft_future_set_error_msg(self, "IMG_%04d.jpg: %s", *index, strerror(ENOENT));
		return -ENOENT;
	}
	return 0;
}

static int show_gallery(weft_future_t *self, weft_future_t *all, void *arg)
{
	struct gallery *g = arg;
	const char *msg = NULL;

	(void)self;
	if (weft_future_error(all, &msg) != 0) /* reads, so observes, the failure */
		g->placeholders++;
	step_done(g);
	return 0;
}

/* Polls its token between slices of work, as cancellable work should. */
static int search(weft_future_t *self, void *arg)
{
	weft_cts_t *token = arg;

	(void)self;
	for (int slice = 0; slice < 1000; slice++) {
		int err = weft_cts_check(token);

		if (err)
			return err;
		ex_spin_ns(EX_MS(1));
	}
	return 0;
}

static int show_results(weft_future_t *self, weft_future_t *s, void *arg)
{
	struct gallery *g = arg;

	(void)self;
	g->search_canceled = weft_future_error(s, NULL) == WEFT_ECANCELED;
	step_done(g);
	return 0;
}

static int fetch_avatar(weft_future_t *self, void *arg)
{
	(void)self;
	(void)arg;
	ex_spin_ns(EX_MS(20));
	return 0;
}

static int show_avatar(weft_future_t *self, weft_future_t *any, void *arg)
{
	struct gallery *g = arg;

	(void)self;
	/* Decided: stop the loser right away. */
	weft_cts_cancel(g->race, "race decided");
	g->avatar_ok = weft_when_any_index(any) == 0 && weft_future_error(g->avatar, NULL) == 0;
	weft_future_release(g->avatar);
	weft_future_release(g->timeout);
	g->avatar = g->timeout = NULL;
	step_done(g);
	return 0;
}

static int send_telemetry(weft_future_t *self, void *arg)
{
	(void)arg;
	ex_spin_ns(EX_MS(1));
	weft_future_set_error_msg(self, "telemetry: %s", strerror(ETIMEDOUT));
	return -ETIMEDOUT;
}

/* Fire-and-forget failures end up here, on the failing task's thread. */
static void log_detached_failure(weft_future_t *f, void *arg)
{
	struct gallery *g = arg;
	const char *msg = NULL;

	if (weft_future_error(f, &msg) != 0)
		atomic_fetch_add(&g->telemetry_errors, 1);
	step_done(g);
}

static int start_thumbnails(struct gallery *g)
{
	static const int index[THUMBS] = { 0, 1, 2, 3 };
	weft_future_t *thumbs[THUMBS] = { 0 }, *all = NULL, *show = NULL;
	struct weft_opts opts = { .name = "load_thumbnail" };
	weft_cts_t *req;
	int err = 0, i;

	req = weft_cts_new_linked(&g->window, 1);
	if (!req)
		return -errno;
	opts.token = req; /* every load can be canceled with the request */
	for (i = 0; i < THUMBS && !err; i++) {
		thumbs[i] = weft_run(g->pool, load_thumbnail, (void *)&index[i], &opts);
		if (!thumbs[i])
			err = -errno;
	}
	if (!err && !(all = weft_when_all(thumbs, THUMBS,
					  &(struct weft_opts){ .name = "all thumbnails" })))
		err = -errno;
	/* One hop back to the UI, for the whole gallery. */
	if (!err && !(show = weft_then(all, g->ui, show_gallery, g,
				       &(struct weft_opts){ .name = "show_gallery" })))
		err = -errno;
	for (i = 0; i < THUMBS; i++)
		weft_future_release(thumbs[i]);
	weft_future_release(all);
	weft_future_release(show);
	weft_cts_release(req);
	return err;
}

static int start_search(struct gallery *g)
{
	struct weft_opts opts = { .name = "search" };
	weft_future_t *s = NULL, *show = NULL;
	int err;

	/* A 30 ms budget, and the window's closing, both stop the search. */
	g->budget = weft_cts_new_linked(&g->window, 1);
	if (!g->budget)
		return -errno;
	opts.token = g->budget;
	err = weft_cts_cancel_after(g->budget, EX_MS(30));
	if (!err && !(s = weft_run(g->pool, search, g->budget, &opts)))
		err = -errno;
	if (!err && !(show = weft_then(s, g->ui, show_results, g,
				       &(struct weft_opts){ .name = "show_results" })))
		err = -errno;
	weft_future_release(s);
	weft_future_release(show);
	return err;
}

static int start_avatar_race(struct gallery *g)
{
	struct weft_opts opts = { .name = "fetch_avatar" };
	weft_future_t *any = NULL, *show = NULL, *racers[2];
	int err = 0;

	g->race = weft_cts_new_linked(&g->window, 1);
	if (!g->race)
		return -errno;
	opts.token = g->race;
	g->avatar = weft_run(g->pool, fetch_avatar, NULL, &opts);
	g->timeout = weft_delay(EX_MS(200), g->race);
	if (!g->avatar || !g->timeout)
		return -errno;
	racers[0] = g->avatar;
	racers[1] = g->timeout;
	any = weft_when_any(racers, 2, &(struct weft_opts){ .name = "avatar or timeout" });
	if (!any || !(show = weft_then(any, g->ui, show_avatar, g,
				       &(struct weft_opts){ .name = "show_avatar" })))
		err = -errno;
	weft_future_release(any);
	weft_future_release(show);
	return err;
}

static int on_open_gallery(weft_future_t *self, void *arg)
{
	struct gallery *g = arg;
	int err;

	(void)self;
	err = start_thumbnails(g);
	if (!err)
		err = start_search(g);
	if (!err)
		err = start_avatar_race(g);
	if (!err)
		err = weft_spawn(g->pool, send_telemetry, NULL,
				 &(struct weft_opts){ .name = "send_telemetry" });
	if (err)
		weft_promise_complete(g->done, err, "cannot open the gallery", NULL);
	return err;
}

int main(void)
{
	struct gallery g = { 0 };
	weft_future_t *open = NULL;
	int rc = 1, err;

	atomic_store(&g.pending, 4);
	g.ui = weft_loop_new("ui");
	g.pool = weft_pool_new("pool", 2);
	g.window = weft_cts_new("gallery window");
	g.done = weft_promise_new(&(struct weft_opts){ .name = "gallery ready" });
	if (!g.ui || !g.pool || !g.window || !g.done) {
		ex_fail(PROG, "set up", errno);
		goto out;
	}
	err = weft_loop_start(g.ui);
	if (err) {
		ex_fail(PROG, "start the ui loop", err);
		goto out;
	}
	weft_set_detached_error_handler(log_detached_failure, &g);
	open = weft_run(g.ui, on_open_gallery, &g,
			&(struct weft_opts){ .name = "on_open_gallery" });
	if (!open) {
		ex_fail(PROG, "post on_open_gallery", errno);
		goto out;
	}
	err = weft_future_wait(g.done, EX_MS(3000));
	if (err == 0)
		err = weft_future_error(g.done, NULL);
	if (err == 0)
		err = weft_future_wait(open, EX_MS(1000));
	if (err == 0)
		err = weft_future_error(open, NULL);
	if (err) {
		ex_fail(PROG, "open the gallery", err);
		goto out;
	}
	weft_cts_cancel(g.window, "window closed");
	printf("%s: %d thumbnails (%d shown as placeholder), search %s, avatar %s, %d telemetry "
	       "failure logged; nothing blocked, lost or unobserved\n",
	       PROG, THUMBS, g.placeholders, g.search_canceled ? "stopped at its budget" : "ran out",
	       g.avatar_ok ? "won its race" : "timed out", atomic_load(&g.telemetry_errors));
	rc = 0;
out:
	if (g.ui)
		weft_ctx_free(g.ui);
	if (g.pool)
		weft_ctx_free(g.pool);
	weft_set_detached_error_handler(NULL, NULL);
	weft_future_release(open);
	weft_future_release(g.done);
	weft_future_release(g.avatar);
	weft_future_release(g.timeout);
	if (g.race)
		weft_cts_release(g.race);
	if (g.budget)
		weft_cts_release(g.budget);
	if (g.window)
		weft_cts_release(g.window);
	weft_rt_shutdown();
	return rc;
}
