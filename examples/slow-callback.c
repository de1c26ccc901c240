/*
 * slow-callback — one callback hogs the UI loop.
 *
 * The story: a chat client's UI loop receives a message whose handler parses
 * a large JSON attachment right there, on the UI thread: 200 ms of CPU.  The
 * key press and the three repaints posted behind it wait the whole time; the
 * window freezes.  (asyncio logs this as "Executing <Handle ...> took 0.200
 * seconds".)  The parsing belongs on a pool, with only the result posted back.
 *
 * Events that show it: worker_state(ctx=ui, start) binds the loop's thread;
 * task_start(on_message_received, ui) and task_end 200 ms later on it;
 * on_key_press and repaint were task_schedule'd on ui meanwhile and started
 * only after it, each with about 200 ms of queue wait.
 */
#include <stdlib.h>

#include "example.h"

#define PROG "slow-callback"
#define PARSE_TIME EX_MS(200)
#define BEHIND 4

static int on_message_received(weft_future_t *self, void *arg)
{
	int64_t *ran_ns = arg, t0 = ex_now_ns();

	(void)self;
	ex_spin_ns(PARSE_TIME); /* json_parse(attachment) on the UI thread */
	*ran_ns = ex_now_ns() - t0;
	return 0;
}

static int small_callback(weft_future_t *self, void *arg)
{
	int64_t *started_at = arg;

	(void)self;
	*started_at = ex_now_ns();
	ex_spin_ns(EX_MS(1) / 10);
	return 0;
}

int main(void)
{
	static const char *const names[BEHIND] = { "on_key_press", "repaint", "repaint",
						   "repaint" };
	weft_future_t *slow = NULL, *behind[BEHIND] = { 0 };
	int64_t started_at[BEHIND] = { 0 }, posted_at = 0, max_wait = 0, ran_ns = 0;
	weft_ctx_t *ui;
	int rc = 1, err = 0, i;

	ui = weft_loop_new("ui");
	if (!ui) {
		ex_fail(PROG, "create the ui loop", errno);
		goto out;
	}
	/* Everything is posted before the loop starts, so the order is fixed:
	 * the slow handler first, then the callbacks that wait behind it. */
	slow = weft_run(ui, on_message_received, &ran_ns,
			&(struct weft_opts){ .name = "on_message_received" });
	if (!slow) {
		ex_fail(PROG, "post the message", errno);
		goto out;
	}
	posted_at = ex_now_ns();
	for (i = 0; i < BEHIND; i++) {
		behind[i] = weft_run(ui, small_callback, &started_at[i],
				     &(struct weft_opts){ .name = names[i] });
		if (!behind[i]) {
			ex_fail(PROG, "post a callback", errno);
			goto out;
		}
	}
	err = weft_loop_start(ui);
	if (err) {
		ex_fail(PROG, "start the ui loop", err);
		goto out;
	}
	for (i = -1; i < BEHIND && !err; i++) {
		weft_future_t *f = i < 0 ? slow : behind[i];

		err = weft_future_wait(f, EX_MS(3000));
		if (!err)
			err = weft_future_error(f, NULL);
	}
	if (err) {
		ex_fail(PROG, "run the callbacks", err);
		goto out;
	}
	for (i = 0; i < BEHIND; i++)
		if (started_at[i] - posted_at > max_wait)
			max_wait = started_at[i] - posted_at;
	printf("%s: on_message_received ran %.2f s on the ui loop; %d callbacks waited up to "
	       "%.2f s behind it\n",
	       PROG, ex_seconds(ran_ns), BEHIND, ex_seconds(max_wait));
	rc = 0;
out:
	weft_future_release(slow);
	for (i = 0; i < BEHIND; i++)
		weft_future_release(behind[i]);
	if (ui)
		weft_ctx_free(ui);
	weft_rt_shutdown();
	return rc;
}
