/*
 * sync-over-async-deadlock — the UI thread that waits for itself.
 *
 * The story: a desktop application's "Open" button handler runs on the UI
 * thread (here the main thread, running weft loop "ui").  It reads the file
 * on the I/O pool and chains the parsing step back to the UI thread, because
 * parsing fills widgets.  Then, to keep the code "simple", it blocks on the
 * result — the `.Result` / `.Wait()` of a task whose continuation is queued
 * behind the very handler that is blocking the UI thread.  The read finishes
 * in 20 ms; the parse cannot start until the handler returns, and the handler
 * does not return until the parse is done.  A real application hangs forever;
 * here the wait gives up after 1.5 s so that the program can report and exit,
 * after which the parse finally runs on the UI thread.
 *
 * Events that show it: worker_state(ctx=ui, start) binds the main thread to
 * "ui"; on that thread task_start(on_open_clicked, ui), then task_new +
 * continuation_add(read_file, parse_file, ctx=ui) and wait_begin(
 * on_open_clicked, parse_file, block); task_end(read_file, ok) on an io
 * worker and marshal(parse_file, io -> ui); wait_end(timed_out=1) 1.5 s after
 * wait_begin; only then task_start(parse_file, ui).
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "example.h"

#define PROG "sync-over-async-deadlock"
#define WAIT_TIMEOUT EX_MS(1500)

struct open_file {
	weft_ctx_t *ui, *io;
	weft_future_t *parse; /* set by the handler; main drops it */
	int wait_rc;
	int64_t blocked_ns;
	atomic_bool parsed;
};

/* Stands in for an asynchronous file read: 20 ms of disk latency. */
static int read_file(weft_future_t *self, void *arg)
{
	(void)arg;
	ex_block_ns("read(report.csv)", EX_MS(20));
	weft_future_set_value(self, "a,b,c\n1,2,3\n");
	return 0;
}

static int parse_file(weft_future_t *self, weft_future_t *read, void *arg)
{
	struct open_file *st = arg;
	int err = weft_future_error(read, NULL);

	(void)self;
	if (err == 0)
		atomic_store(&st->parsed, true);
	return err;
}

/* Runs on the UI thread: starts the read, chains the parse back to the UI
 * loop, then blocks on the parse: the deadlock. */
static int on_open_clicked(weft_future_t *self, void *arg)
{
	struct open_file *st = arg;
	weft_future_t *read;
	int64_t t0;

	(void)self;
	read = weft_run(st->io, read_file, NULL, &(struct weft_opts){ .name = "read_file" });
	if (!read)
		return -errno;
	st->parse = weft_then(read, st->ui, parse_file, st,
			      &(struct weft_opts){ .name = "parse_file" });
	weft_future_release(read);
	if (!st->parse)
		return -errno;
	t0 = ex_now_ns();
	st->wait_rc = weft_future_wait(st->parse, WAIT_TIMEOUT);
	st->blocked_ns = ex_now_ns() - t0;
	return 0;
}

int main(void)
{
	struct open_file st = { 0 };
	weft_future_t *click = NULL;
	int rc = 1, err;

	st.ui = weft_loop_new("ui");
	st.io = weft_pool_new("io", 2);
	if (!st.ui || !st.io) {
		ex_fail(PROG, "create contexts", errno);
		goto out;
	}
	click = weft_run(st.ui, on_open_clicked, &st,
			 &(struct weft_opts){ .name = "on_open_clicked" });
	if (!click) {
		ex_fail(PROG, "post the click handler", errno);
		goto out;
	}
	/* The main thread is the UI thread: it runs the loop until the click
	 * has been handled (the handler returns once its wait timed out)... */
	err = weft_loop_run_until(st.ui, click, EX_MS(5000));
	if (err == 0 && (err = weft_future_error(click, NULL)) == 0 && st.parse)
		/* ...and then once more, so that the parse queued behind the
		 * handler gets its turn. */
		err = weft_loop_run_until(st.ui, st.parse, EX_MS(2000));
	if (err) {
		ex_fail(PROG, "run the ui loop", err);
		goto out;
	}
	if (st.wait_rc != -ETIMEDOUT || !atomic_load(&st.parsed)) {
		fprintf(stderr, "%s: Cannot reproduce the deadlock: wait returned %d, parsed=%d\n",
			PROG, st.wait_rc, (int)atomic_load(&st.parsed));
		goto out;
	}
	printf("%s: ui thread blocked %.2f s on parse_file, a continuation queued to "
	       "itself; broke by timeout, then it ran\n",
	       PROG, ex_seconds(st.blocked_ns));
	rc = 0;
out:
	weft_future_release(click);
	weft_future_release(st.parse);
	if (st.io)
		weft_ctx_free(st.io);
	if (st.ui)
		weft_ctx_free(st.ui);
	weft_rt_shutdown();
	return rc;
}
