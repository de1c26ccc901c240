/*
 * rt-combine.c — weft_when_all and weft_when_any.  A combinator is a future
 * with one listener per input (continuation_add(input, combinator, 0) in
 * the trace, so chains stitch through it); it holds no reference on its
 * inputs, only each pending listener holds one on the combinator, so an
 * input that never completes leaks nothing once everybody lets go.
 *
 * when_all records each input's outcome as it arrives (observing failures)
 * and builds the result when the last one lands, in input order: the first
 * failing input's code and "K of N failed: msg1; msg2..." bounded to
 * RT_AGG_MAX bytes.  when_any completes on the first arrival; the rest keep
 * running and their listeners just let go.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt-internal.h"

#define RT_AGG_MAX 1024

struct rt_input {
	struct rt_listener l;
	struct rt_combine *cb;
	size_t index;
	int state, err;
	char *msg; /* copy of a failed input's message */
};

struct rt_combine {
	weft_future_t *self;
	size_t n;
	size_t remaining; /* atomic */
	int winner;       /* atomic: when_any's first index, -1 before */
	struct rt_input in[];
};

void rt_combine_free(void *extra)
{
	struct rt_combine *cb = extra;
	size_t i;

	if (!cb)
		return;
	for (i = 0; i < cb->n; i++)
		free(cb->in[i].msg);
	free(cb);
}

/* Appends to a bounded buffer; on overflow ends it with "...". */
static void agg_append(char *buf, size_t *len, const char *s)
{
	size_t room = RT_AGG_MAX - 1 - *len, n = strlen(s);

	if (*len >= RT_AGG_MAX - 1)
		return;
	if (n > room) {
		memcpy(buf + *len, s, room);
		*len = RT_AGG_MAX - 1;
		memcpy(buf + *len - 3, "...", 3);
	} else {
		memcpy(buf + *len, s, n);
		*len += n;
	}
	buf[*len] = '\0';
}

static void when_all_finish(struct rt_combine *cb)
{
	size_t i, k, failed = 0, canceled = 0, len = 0;
	int first_err = 0;
	char *buf, head[64];

	for (i = 0; i < cb->n; i++) {
		if (cb->in[i].state == WEFT_STATE_ERROR) {
			if (!failed++)
				first_err = cb->in[i].err;
		} else if (cb->in[i].state == WEFT_STATE_CANCELED) {
			canceled++;
		}
	}
	if (!failed && !canceled) {
		rt_future_complete(cb->self, WEFT_STATE_OK, 0, NULL, NULL);
		return;
	}
	buf = malloc(RT_AGG_MAX);
	if (buf) {
		buf[0] = '\0';
		if (failed) {
			snprintf(head, sizeof head, "%zu of %zu failed: ", failed, cb->n);
			agg_append(buf, &len, head);
			for (i = 0, k = 0; i < cb->n; i++) {
				if (cb->in[i].state != WEFT_STATE_ERROR)
					continue;
				if (k++)
					agg_append(buf, &len, "; ");
				agg_append(buf, &len, cb->in[i].msg ? cb->in[i].msg : "?");
			}
		} else {
			snprintf(buf, RT_AGG_MAX, "%zu of %zu canceled", canceled, cb->n);
		}
	}
	if (failed)
		rt_future_complete(cb->self, WEFT_STATE_ERROR, first_err, buf, NULL);
	else
		rt_future_complete(cb->self, WEFT_STATE_CANCELED, WEFT_ECANCELED, buf, NULL);
}

static void when_all_fire(struct rt_listener *l, weft_future_t *input)
{
	struct rt_input *in = rt_container_of(l, struct rt_input, l);
	struct rt_combine *cb = in->cb;
	weft_future_t *self = cb->self;

	in->state = weft_future_state(input);
	in->err = input->err;
	if (in->state == WEFT_STATE_ERROR) {
		in->msg = rt_msg_dup(input->msg, input->err);
		rt_future_observe(input);
	}
	if (__atomic_sub_fetch(&cb->remaining, 1, __ATOMIC_ACQ_REL) == 0)
		when_all_finish(cb);
	weft_future_release(self);
}

static void when_any_fire(struct rt_listener *l, weft_future_t *input)
{
	struct rt_input *in = rt_container_of(l, struct rt_input, l);
	struct rt_combine *cb = in->cb;
	weft_future_t *self = cb->self;
	int expected = -1;
	void *value = input;

	if (__atomic_compare_exchange_n(&cb->winner, &expected, (int)in->index, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		rt_future_complete(self, WEFT_STATE_OK, 0, NULL, &value);
	weft_future_release(self);
}

static void combine_drop(struct rt_listener *l, weft_future_t *input)
{
	(void)input;
	weft_future_release(rt_container_of(l, struct rt_input, l)->cb->self);
}

static weft_future_t *combine_new(weft_future_t *const *fs, size_t n,
				  const struct weft_opts *opts, const char *site, bool all)
{
	struct rt_combine *cb;
	weft_future_t *f;
	bool all_done = true, any_done = false;
	size_t i;

	if ((n && !fs) || (!all && n == 0) || n > INT32_MAX) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (!fs[i]) {
			errno = EINVAL;
			return NULL;
		}
	}
	f = rt_future_alloc(all ? RT_WHEN_ALL : RT_WHEN_ANY,
			    all ? WEFT_TASK_WHEN_ALL : WEFT_TASK_WHEN_ANY, opts);
	if (!f)
		return NULL;
	cb = calloc(1, sizeof *cb + n * sizeof cb->in[0]);
	if (!cb) {
		weft_future_release(f);
		errno = ENOMEM;
		return NULL;
	}
	f->extra = cb;
	cb->self = f;
	cb->n = n;
	cb->remaining = n;
	cb->winner = -1;
	f->state = WEFT_STATE_RUNNING;
	weft_task_new_at(f->id, weft_current_task(), f->token ? weft_cts_id(f->token) : 0,
			 f->kind,
			 opts && opts->name ? opts->name : (all ? "when_all" : "when_any"), site);
	for (i = 0; i < n; i++) {
		weft_continuation_add(fs[i]->id, f->id, 0);
		if (weft_future_done(fs[i]))
			any_done = true;
		else
			all_done = false;
	}
	/* Complete at creation: the synchronous fast path. */
	if (all ? all_done : any_done)
		weft_task_inline(f->id);
	if (n == 0)
		rt_future_complete(f, WEFT_STATE_OK, 0, NULL, NULL);
	for (i = 0; i < n; i++) {
		struct rt_input *in = &cb->in[i];

		in->cb = cb;
		in->index = i;
		in->l.fire = all ? when_all_fire : when_any_fire;
		in->l.drop = combine_drop;
		weft_future_ref(f); /* the listener's */
		if (!rt_future_listen(fs[i], &in->l))
			in->l.fire(&in->l, fs[i]);
	}
	return f;
}

weft_future_t *weft_when_all_at(weft_future_t *const *fs, size_t n,
				const struct weft_opts *opts, const char *site)
{
	return combine_new(fs, n, opts, site, true);
}

weft_future_t *weft_when_any_at(weft_future_t *const *fs, size_t n,
				const struct weft_opts *opts, const char *site)
{
	return combine_new(fs, n, opts, site, false);
}

int weft_when_any_index(weft_future_t *any)
{
	if (!any || any->type != RT_WHEN_ANY || !weft_future_done(any))
		return -1;
	return __atomic_load_n(&((struct rt_combine *)any->extra)->winner, __ATOMIC_ACQUIRE);
}
