/*
 * lost-task — a promise nobody completes, a continuation that never runs.
 *
 * The story: a client sends requests #6 and #7 and keeps a promise per request
 * in a table of pending replies; the receive loop completes the promise whose
 * id matches each reply.  A reconnect handler removed #7 from the table
 * without failing its promise, so when the replies come, #6 is completed and
 * the reply to #7 is dropped as unknown.  show_reply for #7 is chained on a
 * promise that will never complete: no error, no timeout, the request just
 * never finishes.  The program waits 300 ms for it, gives up,
 * and exits with the promise still pending.
 *
 * Events that show it: task_new(reply #7, kind=io) and
 * continuation_add(reply #7, show_reply #7) with no task_end for the promise
 * and no task_start for the continuation before the trace ends, while
 * reply #6 and its show_reply run to completion.
 */
#include <stdlib.h>

#include "example.h"

#define PROG "lost-task"
#define GIVE_UP_AFTER EX_MS(300)

struct pending {
	weft_future_t *slot[2]; /* index = request id - 6 */
};

static int show_reply(weft_future_t *self, weft_future_t *reply, void *arg)
{
	(void)self;
	(void)arg;
	return weft_future_error(reply, NULL);
}

/* The receive loop: both replies arrive, but the table lost #7. */
static int receive_replies(weft_future_t *self, void *arg)
{
	struct pending *p = arg;

	(void)self;
	ex_block_ns("recv(socket)", EX_MS(20));
	for (int id = 6; id <= 7; id++)
		if (p->slot[id - 6]) /* else: unknown id, reply dropped */
			weft_promise_complete(p->slot[id - 6], 0, NULL, "reply");
	return 0;
}

int main(void)
{
	weft_future_t *reply6 = NULL, *reply7 = NULL, *show6 = NULL, *show7 = NULL, *rx = NULL;
	struct pending table = { { NULL, NULL } };
	weft_ctx_t *net;
	int rc = 1, err;

	net = weft_pool_new("net", 2);
	reply6 = weft_promise_new(&(struct weft_opts){ .name = "reply #6" });
	reply7 = weft_promise_new(&(struct weft_opts){ .name = "reply #7" });
	if (!net || !reply6 || !reply7) {
		ex_fail(PROG, "set up", errno);
		goto out;
	}
	show6 = weft_then(reply6, net, show_reply, NULL,
			  &(struct weft_opts){ .name = "show_reply #6" });
	show7 = weft_then(reply7, net, show_reply, NULL,
			  &(struct weft_opts){ .name = "show_reply #7" });
	if (!show6 || !show7) {
		ex_fail(PROG, "chain show_reply", errno);
		goto out;
	}
	table.slot[0] = reply6;
	table.slot[1] = NULL; /* the bug: the reconnect handler dropped #7's entry */
	rx = weft_run(net, receive_replies, &table,
		      &(struct weft_opts){ .name = "receive_replies" });
	if (!rx) {
		ex_fail(PROG, "start receiving", errno);
		goto out;
	}
	err = weft_future_wait(rx, EX_MS(2000));
	if (err == 0)
		err = weft_future_error(rx, NULL);
	if (err == 0)
		err = weft_future_wait(show6, EX_MS(2000));
	if (err == 0)
		err = weft_future_error(show6, NULL);
	if (err) {
		ex_fail(PROG, "receive reply #6", err);
		goto out;
	}
	err = weft_future_wait(show7, GIVE_UP_AFTER);
	if (err != -ETIMEDOUT) {
		ex_fail(PROG, "lose reply #7", err ? err : -EPROTO);
		goto out;
	}
	printf("%s: promise 'reply #7' was never completed; its continuation show_reply #7 "
	       "never ran (gave up after %.2f s)\n",
	       PROG, ex_seconds(GIVE_UP_AFTER));
	rc = 0;
out:
	if (net)
		weft_ctx_free(net);
	weft_future_release(rx);
	weft_future_release(show6);
	weft_future_release(show7);
	weft_future_release(reply6);
	weft_future_release(reply7);
	weft_rt_shutdown();
	return rc;
}
