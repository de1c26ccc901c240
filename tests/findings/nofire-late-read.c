/*
 * nofire-late-read — a failed task whose error is read late, but read.
 *
 * The near miss of unobserved-error: unobserved-error.c's settings save
 * fails the same way (ENOSPC), but the dialog keeps the future and, 300 ms
 * later when it closes, reads the error and tells the user.  Reading it late
 * is fine; never reading it is the bug.  The future is released only after
 * its error has been read.
 */
#include <stdlib.h>

#include "nofire.h"

#define PROG "nofire-late-read"
#define READ_AFTER EX_MS(300)

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
	const char *msg = NULL;
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
	ex_sleep_ns(READ_AFTER); /* the dialog is still open */
	err = weft_future_error(save, &msg);
	if (err != -ENOSPC) {
		fprintf(stderr, "%s: Cannot reproduce the failed save: error %d\n", PROG, err);
		goto out;
	}
	printf("%s: save_settings failed and its error was read %.2f s later: \"%s\"\n", PROG,
	       ex_seconds(READ_AFTER), msg ? msg : "");
	rc = 0;
out:
	weft_future_release(save);
	if (pool)
		weft_ctx_free(pool);
	weft_rt_shutdown();
	return rc;
}
