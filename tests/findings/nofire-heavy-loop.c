/*
 * nofire-heavy-loop — many continuations on a loop, each worth its hop.
 *
 * The near miss of needless-marshal (≥ N marshals to a loop whose
 * continuations run < 1 ms each) and slow-callback: a viewer fills its
 * widgets on its UI loop in continuations of 2 to 5 ms each, real UI work.
 *   1. A chain of 20 steps built up front, every step chained on the UI loop
 *      after the one before it, also on the UI loop: no marshal at all.
 *   2. 20 rows loaded one after another on the I/O pool (0.2 ms each), each
 *      followed by a continuation on the UI loop that lays the row out for
 *      2 to 5 ms: a marshal io -> ui per row, but each hop carries UI work,
 *      which is where it must run.
 * No continuation is short, none is long, the loop's queue is nearly empty.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "nofire.h"

#define PROG "nofire-heavy-loop"
#define STEPS 20
#define ROWS 20

struct viewer {
	weft_ctx_t *ui, *io;
	weft_future_t *done;
	int rows; /* ui thread only */
	atomic_int steps;
};

/* 2, 3, 4, 5, 2, ... ms of layout. */
static void layout(int i)
{
	ex_spin_ns(EX_MS(2 + i % 4));
}

static int first_step(weft_future_t *self, void *arg)
{
	struct viewer *v = arg;

	(void)self;
	layout(0);
	atomic_fetch_add(&v->steps, 1);
	return 0;
}

static int next_step(weft_future_t *self, weft_future_t *prev, void *arg)
{
	struct viewer *v = arg;
	int err = weft_future_error(prev, NULL);

	(void)self;
	if (err)
		return err;
	layout(atomic_fetch_add(&v->steps, 1));
	return 0;
}

static int start_row(struct viewer *v);

static int load_row(weft_future_t *self, void *arg)
{
	(void)self;
	(void)arg;
	ex_spin_ns(EX_MS(1) / 5);
	return 0;
}

static int show_row(weft_future_t *self, weft_future_t *row, void *arg)
{
	struct viewer *v = arg;
	int err = weft_future_error(row, NULL);

	(void)self;
	if (!err) {
		layout(v->rows);
		if (++v->rows < ROWS)
			err = start_row(v);
		else
			weft_promise_complete(v->done, 0, NULL, NULL);
	}
	if (err)
		weft_promise_complete(v->done, err, "cannot load a row", NULL);
	return err;
}

static int start_row(struct viewer *v)
{
	weft_future_t *row, *show;

	row = weft_run(v->io, load_row, v, &(struct weft_opts){ .name = "load_row" });
	if (!row)
		return -errno;
	show = weft_then(row, v->ui, show_row, v, &(struct weft_opts){ .name = "show_row" });
	weft_future_release(row);
	if (!show)
		return -errno;
	weft_future_release(show);
	return 0;
}

static int on_open(weft_future_t *self, void *arg)
{
	(void)self;
	return start_row(arg);
}

int main(void)
{
	struct viewer v = { 0 };
	weft_future_t *chain[STEPS] = { 0 }, *open = NULL;
	int rc = 1, err, i;

	v.ui = weft_loop_new("ui");
	v.io = weft_pool_new("io", 2);
	v.done = weft_promise_new(&(struct weft_opts){ .name = "rows shown" });
	if (!v.ui || !v.io || !v.done) {
		ex_fail(PROG, "set up", errno);
		goto out;
	}
	err = weft_loop_start(v.ui);
	if (err) {
		ex_fail(PROG, "start the ui loop", err);
		goto out;
	}
	/* 1. loop -> loop, registered before the first step runs */
	chain[0] = weft_run(v.ui, first_step, &v, &(struct weft_opts){ .name = "layout_step" });
	for (i = 1; i < STEPS && chain[i - 1]; i++)
		chain[i] = weft_then(chain[i - 1], v.ui, next_step, &v,
				     &(struct weft_opts){ .name = "layout_step" });
	if (!chain[STEPS - 1]) {
		ex_fail(PROG, "chain the layout steps", errno);
		goto out;
	}
	err = weft_future_wait(chain[STEPS - 1], EX_MS(3000));
	if (!err)
		err = weft_future_error(chain[STEPS - 1], NULL);
	if (err) {
		ex_fail(PROG, "run the layout steps", err);
		goto out;
	}
	/* 2. io -> ui, one row at a time */
	open = weft_run(v.ui, on_open, &v, &(struct weft_opts){ .name = "on_open" });
	if (!open) {
		ex_fail(PROG, "post on_open", errno);
		goto out;
	}
	err = weft_future_wait(v.done, EX_MS(3000));
	if (!err)
		err = weft_future_error(v.done, NULL);
	if (!err)
		err = weft_future_error(open, NULL);
	if (err) {
		ex_fail(PROG, "show the rows", err);
		goto out;
	}
	printf("%s: %d layout steps on the ui loop and %d rows hopped io -> ui, each 2-5 ms of "
	       "ui work\n", PROG, atomic_load(&v.steps), ROWS);
	rc = 0;
out:
	if (v.ui)
		weft_ctx_free(v.ui);
	if (v.io)
		weft_ctx_free(v.io);
	for (i = 0; i < STEPS; i++)
		weft_future_release(chain[i]);
	weft_future_release(open);
	weft_future_release(v.done);
	weft_rt_shutdown();
	return rc;
}
