/*
 * loop-bind — a traced program for the CLI tests of thread bindings: the
 * main thread runs loop "bind-a" with weft_loop_run_until until the item
 * posted to it completes, then serves no context for 50 ms (it blocks in a
 * plain sleep), then runs loop "bind-b" the same way, and exits 0.
 *
 * So the main thread serves bind-a over one interval and bind-b over a later
 * one, with a gap in which it serves nothing; a store that remembered only
 * "the thread's context" would call it bind-a's (or bind-b's) thread for the
 * whole run.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "weft/rt.h"

static int w_sleep_ms(weft_future_t *self, void *arg)
{
	struct timespec ts = { 0, (long)(intptr_t)arg * 1000000L };

	(void)self;
	nanosleep(&ts, NULL);
	return 0;
}

static int run_loop(const char *name)
{
	weft_ctx_t *loop = weft_loop_new(name);
	weft_future_t *f;
	int rc = 1;

	if (!loop)
		return 1;
	f = weft_run(loop, w_sleep_ms, (void *)(intptr_t)5, NULL);
	if (f && weft_loop_run_until(loop, f, -1) == 0)
		rc = 0;
	weft_future_release(f);
	weft_ctx_free(loop);
	return rc;
}

int main(void)
{
	struct timespec gap = { 0, 50 * 1000000L };

	if (run_loop("bind-a"))
		return 1;
	nanosleep(&gap, NULL); /* serves nothing */
	if (run_loop("bind-b"))
		return 1;
	printf("loop-bind: ok\n");
	return 0;
}
