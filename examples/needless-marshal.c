/*
 * needless-marshal — library continuations that hop back to the UI thread.
 *
 * The story: a UI application calls a library's download routine from its UI
 * thread.  The library reads the file in 64 chunks on the I/O pool, but
 * chains every step on "the context it was called from" (C#'s missing
 * ConfigureAwait(false), a captured SynchronizationContext): after each chunk
 * it hops back to the UI loop just to append 4 KiB to a buffer — a few
 * microseconds of work that then waits its turn behind the UI's own 2 ms
 * repaints.  The download takes several times longer than its reads, and the
 * UI thread is interrupted 64 times for nothing.  The fix: chain with no
 * context (run where the read completed) and post to the UI once at the end.
 *
 * Events that show it: a chain of 64 continuation_add(read_chunk, on_chunk,
 * ctx=ui), each on_chunk creating the next read_chunk; a marshal(on_chunk,
 * io -> ui) for each; task_start/task_end of each on_chunk on the ui thread
 * well under 1 ms apart, after a queue wait (task_schedule to task_start) of
 * about 1-2 ms behind render_frame tasks.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "example.h"

#define PROG "needless-marshal"
#define CHUNKS 64
#define CHUNK_BYTES 4096
#define FRAME_TIME EX_MS(2)

struct download {
	weft_ctx_t *ui, *io;
	weft_future_t *done;
	atomic_bool stop_render;
	int chunks;               /* touched on the ui thread only */
	size_t bytes;
	int64_t read_done_at, hop_ns;
};

static int start_read(struct download *dl);

/* The UI's own work: a repaint every frame, each posting the next. */
static int render_frame(weft_future_t *self, void *arg)
{
	struct download *dl = arg;
	weft_future_t *next;

	(void)self;
	ex_spin_ns(FRAME_TIME);
	if (atomic_load(&dl->stop_render))
		return 0;
	next = weft_run(dl->ui, render_frame, dl, &(struct weft_opts){ .name = "render_frame" });
	weft_future_release(next); /* NULL once the loop shuts down: fine */
	return 0;
}

static int read_chunk(weft_future_t *self, void *arg)
{
	struct download *dl = arg;

	(void)self;
	ex_spin_ns(EX_MS(1) / 5); /* copy from the page cache */
	dl->read_done_at = ex_now_ns();
	return 0;
}

/* Runs on the UI loop (that is the mistake): a few microseconds of work. */
static int on_chunk(weft_future_t *self, weft_future_t *read, void *arg)
{
	struct download *dl = arg;
	int err = weft_future_error(read, NULL);

	(void)self;
	dl->hop_ns += ex_now_ns() - dl->read_done_at;
	if (err) {
		weft_promise_complete(dl->done, err, "read failed", NULL);
		return err;
	}
	dl->bytes += CHUNK_BYTES;
	if (++dl->chunks == CHUNKS) {
		weft_promise_complete(dl->done, 0, NULL, NULL);
		return 0;
	}
	err = start_read(dl);
	if (err)
		weft_promise_complete(dl->done, err, "cannot start a read", NULL);
	return err;
}

static int start_read(struct download *dl)
{
	weft_future_t *read, *cont;

	read = weft_run(dl->io, read_chunk, dl, &(struct weft_opts){ .name = "read_chunk" });
	if (!read)
		return -errno;
	/* The captured context: back to the UI loop after every chunk. */
	cont = weft_then(read, dl->ui, on_chunk, dl, &(struct weft_opts){ .name = "on_chunk" });
	weft_future_release(read);
	if (!cont)
		return -errno;
	weft_future_release(cont);
	return 0;
}

static int on_download_clicked(weft_future_t *self, void *arg)
{
	(void)self;
	return start_read(arg);
}

int main(void)
{
	struct download dl = { 0 };
	weft_future_t *frame = NULL, *click = NULL;
	int64_t t0;
	int rc = 1, err;

	dl.ui = weft_loop_new("ui");
	dl.io = weft_pool_new("io", 2);
	dl.done = weft_promise_new(&(struct weft_opts){ .name = "download" });
	if (!dl.ui || !dl.io || !dl.done) {
		ex_fail(PROG, "set up", errno);
		goto out;
	}
	err = weft_loop_start(dl.ui);
	if (err) {
		ex_fail(PROG, "start the ui loop", err);
		goto out;
	}
	t0 = ex_now_ns();
	frame = weft_run(dl.ui, render_frame, &dl, &(struct weft_opts){ .name = "render_frame" });
	click = weft_run(dl.ui, on_download_clicked, &dl,
			 &(struct weft_opts){ .name = "on_download_clicked" });
	if (!frame || !click) {
		ex_fail(PROG, "post to the ui loop", errno);
		goto out;
	}
	err = weft_future_wait(dl.done, EX_MS(4000));
	if (err == 0)
		err = weft_future_error(dl.done, NULL);
	if (err == 0)
		err = weft_future_error(click, NULL);
	if (err) {
		ex_fail(PROG, "download", err);
		goto out;
	}
	printf("%s: %d tiny continuations hopped io -> ui, %.2f ms each on average from read "
	       "to continuation; download took %.2f s\n",
	       PROG, dl.chunks, ex_seconds(dl.hop_ns / dl.chunks) * 1e3,
	       ex_seconds(ex_now_ns() - t0));
	rc = 0;
out:
	atomic_store(&dl.stop_render, true);
	if (dl.ui)
		weft_ctx_free(dl.ui);
	if (dl.io)
		weft_ctx_free(dl.io);
	weft_future_release(frame);
	weft_future_release(click);
	weft_future_release(dl.done);
	weft_rt_shutdown();
	return rc;
}
