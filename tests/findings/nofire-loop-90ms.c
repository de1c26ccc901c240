/*
 * nofire-loop-90ms — loop callbacks that stay just under slow-callback's bar.
 *
 * The near miss of slow-callback (one run on a loop context ≥ 100 ms): a UI
 * loop runs three callbacks of 90 ms of CPU each — sluggish, but each under
 * the threshold (asyncio would not log them either).  Each callback measures
 * its own run; one of 95 ms or more means the machine preempted it long
 * enough to blur the margin (exit NOFIRE_PERTURBED).
 */
#include <stdlib.h>

#include "nofire.h"

#define PROG "nofire-loop-90ms"
#define RUN_TIME EX_MS(90)
#define CALLBACKS 3
#define PERTURBED_AT EX_MS(95)

static int on_frame(weft_future_t *self, void *arg)
{
	int64_t *ran_ns = arg, t0 = ex_now_ns();

	(void)self;
	ex_spin_ns(RUN_TIME);
	*ran_ns = ex_now_ns() - t0;
	return 0;
}

int main(void)
{
	weft_future_t *f[CALLBACKS] = { 0 };
	int64_t ran[CALLBACKS] = { 0 }, worst = 0;
	weft_ctx_t *ui;
	int rc = 1, err = 0, i;

	ui = weft_loop_new("ui");
	if (!ui) {
		ex_fail(PROG, "create the ui loop", errno);
		goto out;
	}
	err = weft_loop_start(ui);
	for (i = 0; i < CALLBACKS && !err; i++) {
		f[i] = weft_run(ui, on_frame, &ran[i], &(struct weft_opts){ .name = "on_frame" });
		if (!f[i])
			err = -errno;
		else if (!(err = weft_future_wait(f[i], EX_MS(3000))))
			err = weft_future_error(f[i], NULL);
		if (ran[i] > worst)
			worst = ran[i];
	}
	if (err) {
		ex_fail(PROG, "run the callbacks", err);
		goto out;
	}
	if (worst >= PERTURBED_AT) {
		rc = nofire_perturbed(PROG, "a 90 ms callback ran %.1f ms (limit %.0f ms)",
				      nofire_ms(worst), nofire_ms(PERTURBED_AT));
		goto out;
	}
	printf("%s: %d callbacks ran at most %.1f ms each on the ui loop, under slow-callback's "
	       "100 ms\n", PROG, CALLBACKS, nofire_ms(worst));
	rc = 0;
out:
	for (i = 0; i < CALLBACKS; i++)
		weft_future_release(f[i]);
	if (ui)
		weft_ctx_free(ui);
	weft_rt_shutdown();
	return rc;
}
