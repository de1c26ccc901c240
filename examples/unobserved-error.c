/*
 * unobserved-error — a failed task whose error nobody reads.
 *
 * The story: when a settings dialog closes, the application saves the
 * settings asynchronously and drops the returned future ("saving never
 * fails").  The disk is full: the save fails with ENOSPC, the future is
 * released, and the user's settings are silently lost.  The caller here even
 * waits for the save to finish — waiting is not observing: it never asks
 * weft_future_error().
 *
 * Events that show it: task_new(save_settings) and task_end(save_settings,
 * error, err=-ENOSPC, msg="settings.json: ...") on a pool worker, then
 * error_unobserved(save_settings, -ENOSPC) when the last reference goes, and
 * no error_observe for it anywhere.
 */
#include <stdlib.h>

#include "example.h"

#define PROG "unobserved-error"

static int save_settings(weft_future_t *self, void *arg)
{
	(void)arg;
	ex_block_ns("write(settings.json)", EX_MS(5));
	weft_future_set_error_msg(self, "settings.json: %s", strerror(ENOSPC));
	return -ENOSPC;
}

int main(void)
{
	weft_future_t *save = NULL;
	weft_ctx_t *pool;
	int rc = 1, err;

	pool = weft_pool_new("background", 2);
	if (!pool) {
		ex_fail(PROG, "create the pool", errno);
		goto out;
	}
	save = weft_run(pool, save_settings, NULL, &(struct weft_opts){ .name = "save_settings" });
	if (!save) {
		ex_fail(PROG, "start saving", errno);
		goto out;
	}
	err = weft_future_wait(save, EX_MS(2000));
	if (err) {
		ex_fail(PROG, "wait for the save", err);
		goto out;
	}
	printf("%s: save_settings failed (%s) and its future was released without "
	       "reading the error\n",
	       PROG, weft_future_state(save) == WEFT_STATE_ERROR ? "ENOSPC" : "?");
	rc = 0;
out:
	weft_future_release(save); /* the last reference: error_unobserved */
	if (pool)
		weft_ctx_free(pool);
	weft_rt_shutdown();
	return rc;
}
