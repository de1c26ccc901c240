/*
 * uv-timer — timers and close callbacks, with the trap of libuv re-arming a
 * repeating timer through its own exported uv_timer_start (uv_timer_again).
 *
 *   once:   a 10 ms one-shot timer; its callback starts `late` (1 s) and
 *           stops it before it fires, then closes itself;
 *   repeat: 5 ms, repeating every 5 ms; the 4th run stops and closes it;
 *   again:  a 5 ms one-shot whose first run sets a repeat and calls
 *           uv_timer_again (libuv restarts it with the callback it holds);
 *           the second run closes it.
 * Every handle is closed with a close callback.  Through the probe: 8
 * uv_timer tasks on the loop (1 + 4 + 2 ok, `late` canceled, a child of
 * once's run) and 4 "uv_close cb" continuations; no finding.
 */
#include "uvprog.h"

#define PROG "uv-timer"

static uv_timer_t once, late, repeat, again;
static int n_once, n_late, n_repeat, n_again, n_closed;

static void on_closed(uv_handle_t *h)
{
	(void)h;
	n_closed++;
}

static void on_late(uv_timer_t *t)
{
	(void)t;
	n_late++;
}

static void on_once(uv_timer_t *t)
{
	n_once++;
	uv_timer_start(&late, on_late, 1000, 0);
	uv_timer_stop(&late);
	uv_close((uv_handle_t *)&late, on_closed);
	uv_close((uv_handle_t *)t, on_closed);
}

static void on_repeat(uv_timer_t *t)
{
	if (++n_repeat == 4) {
		uv_timer_stop(t);
		uv_close((uv_handle_t *)t, on_closed);
	}
}

static void on_again(uv_timer_t *t)
{
	if (++n_again == 1) {
		uv_timer_set_repeat(t, 5);
		uv_timer_again(t);
		return;
	}
	uv_close((uv_handle_t *)t, on_closed);
}

int main(void)
{
	uv_loop_t *loop = uv_default_loop();
	int rc;

	if ((rc = uv_timer_init(loop, &once)) != 0 || (rc = uv_timer_init(loop, &late)) != 0 ||
	    (rc = uv_timer_init(loop, &repeat)) != 0 || (rc = uv_timer_init(loop, &again)) != 0 ||
	    (rc = uv_timer_start(&once, on_once, 10, 0)) != 0 ||
	    (rc = uv_timer_start(&repeat, on_repeat, 5, 5)) != 0 ||
	    (rc = uv_timer_start(&again, on_again, 5, 0)) != 0)
		return uv_fail(PROG, "start the timers", rc);
	uv_run(loop, UV_RUN_DEFAULT);
	if (n_once != 1 || n_late != 0 || n_repeat != 4 || n_again != 2 || n_closed != 4) {
		fprintf(stderr, "%s: runs once=%d late=%d repeat=%d again=%d closed=%d\n", PROG,
			n_once, n_late, n_repeat, n_again, n_closed);
		return 1;
	}
	printf("%s: 7 timer runs, 4 close callbacks\n", PROG);
	return uv_loop_close(loop) == 0 ? 0 : 1;
}
