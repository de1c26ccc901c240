/*
 * trace-query.c — questions the integration test asks of one decoded trace
 * (see trace.h): how long a pool starved, what share of time its workers
 * were blocked, which chain of awaits was serial, what a task depends on.
 * Each is a small, independent re-statement of what a detector measures, so
 * that the tests do not trust the code they test.
 */
#include <stdlib.h>
#include <string.h>

#include "it.h"

const struct trace_obj *trace_task(const struct trace *t, uint64_t id)
{
	const struct trace_obj *o = trace_obj(t, id);

	return o && o->task_new ? o : NULL;
}

/* The wait_end closing wait_begin b (same waiter and awaited; same thread
 * for a blocking wait), or NULL. */
const struct store_event *trace_wait_end(const struct trace *t, const struct store_event *b)
{
	for (const struct store_event *e = b + 1; e < t->ev + t->n; e++)
		if (e->kind == WEFT_EV_wait_end && e->id0 == b->id0 && e->id1 == b->id1 &&
		    (b->n0 != WEFT_WAIT_BLOCK || e->vtid == b->vtid))
			return e;
	return NULL;
}

/* Whether token `tok` is `ancestor` or linked (transitively) to it. */
bool trace_token_descends(const struct trace *t, uint64_t tok, uint64_t ancestor)
{
	for (int depth = 0; tok && depth < 64; depth++) {
		const struct trace_obj *o = trace_obj(t, tok);

		if (tok == ancestor)
			return true;
		tok = o && o->token_new ? o->token_new->id1 : 0;
	}
	return false;
}

/* The longest stretch during which pool ctx had work queued, every worker
 * busy, and no task started on it (the starvation gate). */
int64_t trace_longest_starvation(const struct trace *t, uint64_t ctx)
{
	int64_t start = -1, best = 0;
	bool starving = false;

	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *e = &t->ev[i];

		if (e->kind == WEFT_EV_pool_sample && e->id0 == ctx) {
			starving = e->n0 > 0 && e->n1 >= e->n2;
			if (starving && start < 0)
				start = e->ts_ns;
			else if (!starving && start >= 0) {
				best = e->ts_ns - start > best ? e->ts_ns - start : best;
				start = -1;
			}
		} else if (e->kind == WEFT_EV_task_start && e->id1 == ctx && start >= 0) {
			best = e->ts_ns - start > best ? e->ts_ns - start : best;
			start = starving ? e->ts_ns : -1;
		}
	}
	if (start >= 0 && trace_end_ts(t) - start > best)
		best = trace_end_ts(t) - start;
	return best;
}

/* The longest stretch during which more than `limit` workers of ctx were busy. */
int64_t trace_longest_busy_over(const struct trace *t, uint64_t ctx, int64_t limit)
{
	int64_t start = -1, best = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *e = &t->ev[i];

		if (e->kind != WEFT_EV_pool_sample || e->id0 != ctx)
			continue;
		if (e->n1 > limit && start < 0)
			start = e->ts_ns;
		else if (e->n1 <= limit && start >= 0) {
			best = e->ts_ns - start > best ? e->ts_ns - start : best;
			start = -1;
		}
	}
	if (start >= 0 && trace_end_ts(t) - start > best)
		best = trace_end_ts(t) - start;
	return best;
}

/* Share of [from, to) x workers that ctx's threads spent inside
 * block_begin/block_end. */
double trace_blocked_share(const struct trace *t, uint64_t ctx, int64_t from, int64_t to)
{
	const struct trace_obj *c = trace_obj(t, ctx);
	int64_t blocked = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *b = &t->ev[i];

		if (b->kind != WEFT_EV_block_begin || trace_thread_ctx(t, b->vtid, b->ts_ns) != ctx)
			continue;
		for (size_t j = i + 1; j < t->n; j++) {
			const struct store_event *e = &t->ev[j];

			if (e->kind == WEFT_EV_block_end && e->vtid == b->vtid) {
				int64_t lo = b->ts_ns > from ? b->ts_ns : from;
				int64_t hi = e->ts_ns < to ? e->ts_ns : to;

				blocked += hi > lo ? hi - lo : 0;
				break;
			}
		}
	}
	if (!c || !c->context_new || to <= from)
		return 0;
	return (double)blocked / ((double)(to - from) * (double)c->context_new->n1);
}

/* Share of [from, to) during which ctx's last pool_sample had work queued. */
double trace_queued_share(const struct trace *t, uint64_t ctx, int64_t from, int64_t to)
{
	int64_t queued = 0, since = -1;

	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *e = &t->ev[i];
		int64_t ts = e->ts_ns < from ? from : e->ts_ns > to ? to : e->ts_ns;

		if (e->kind != WEFT_EV_pool_sample || e->id0 != ctx)
			continue;
		if (since >= 0)
			queued += ts - since;
		since = e->n0 > 0 ? ts : -1;
	}
	if (since >= 0)
		queued += to - since;
	return to > from ? (double)queued / (double)(to - from) : 0;
}

/* The longest chain of children awaited one after another: the waiter (or
 * the continuation that resumes it after the previous child) creates a
 * child only after the previous child ended, and awaits it. */
int trace_longest_serial_chain(const struct trace *t)
{
	int best = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *w = &t->ev[i];
		const struct trace_obj *c = trace_task(t, w->id1);
		int len = 1;

		if (w->kind != WEFT_EV_wait_begin || !c || !w->id0 || c->task_new->id1 != w->id0)
			continue;
		for (const struct store_event *n = w + 1; n < t->ev + t->n && c->task_end; n++) {
			const struct trace_obj *waiter = trace_task(t, n->id0), *next = trace_task(t, n->id1);

			if (n->kind != WEFT_EV_wait_begin || !waiter || !next)
				continue;
			if (n->id0 != w->id0 && !(waiter->cont_add && waiter->cont_add->id0 == c->task_new->id0))
				continue;
			if (next->task_new->id1 != n->id0 || next->task_new->ts_ns < c->task_end->ts_ns ||
			    next->task_new->n0 == WEFT_TASK_CONTINUATION)
				continue;
			len++;
			w = n;
			c = next;
		}
		best = len > best ? len : best;
	}
	return best;
}

/* The longest single run of a task on a loop context. */
int64_t trace_longest_loop_run(const struct trace *t, uint64_t *which)
{
	int64_t best = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *s = &t->ev[i];
		const struct trace_obj *o = trace_task(t, s->id0), *c = trace_obj(t, s->id1);

		if (s->kind != WEFT_EV_task_start || !o || !o->task_end || !c || !c->context_new ||
		    c->context_new->n0 != WEFT_CTX_LOOP)
			continue;
		if (o->task_end->ts_ns - s->ts_ns > best) {
			best = o->task_end->ts_ns - s->ts_ns;
			*which = s->id0;
		}
	}
	return best;
}

static int cmp_site(const void *a, const void *b)
{
	return strcmp((*(const struct store_event *const *)a)->s1,
		      (*(const struct store_event *const *)b)->s1);
}

/* The call site creating the most tasks: its count and how many of them
 * completed inline. */
size_t trace_hottest_site(const struct trace *t, size_t *inlined, const char **site)
{
	const struct store_event **news = calloc(t->n + 1, sizeof(*news));
	size_t n = 0, best = 0, i, j;

	EXPECT(news, "out of memory");
	for (i = 0; i < t->n; i++)
		if (t->ev[i].kind == WEFT_EV_task_new)
			news[n++] = &t->ev[i];
	qsort(news, n, sizeof(*news), cmp_site);
	*inlined = 0;
	*site = "";
	for (i = 0; i < n; i = j) {
		size_t inl = 0;

		for (j = i; j < n && strcmp(news[j]->s1, news[i]->s1) == 0; j++)
			inl += trace_task(t, news[j]->id0)->n_inline > 0;
		if (j - i > best) {
			best = j - i;
			*inlined = inl;
			*site = news[i]->s1;
		}
	}
	free(news);
	return best;
}

/* The task, among x and everything x depends on (its antecedents and what it
 * awaits, transitively), whose continuation is registered on ctx; or 0. */
uint64_t trace_dependency_on_ctx(const struct trace *t, uint64_t x, uint64_t ctx)
{
	uint64_t *stack = calloc(t->max_id + 1, sizeof(*stack)), found = 0;
	bool *seen = calloc(t->max_id + 1, sizeof(*seen));
	size_t top = 0;

	EXPECT(stack && seen, "out of memory");
	stack[top++] = x;
	seen[x] = true;
	while (top && !found) {
		uint64_t id = stack[--top];
		const struct trace_obj *o = trace_obj(t, id);

		if (o && o->cont_add && o->cont_add->id2 == ctx) {
			found = id;
			break;
		}
		for (size_t i = 0; i < t->n; i++) {
			const struct store_event *e = &t->ev[i];
			uint64_t dep = 0;

			if (e->kind == WEFT_EV_continuation_add && e->id1 == id)
				dep = e->id0;
			else if (e->kind == WEFT_EV_wait_begin && e->id0 == id)
				dep = e->id1;
			if (dep && dep <= t->max_id && !seen[dep]) {
				seen[dep] = true;
				stack[top++] = dep;
			}
		}
	}
	free(stack);
	free(seen);
	return found;
}

bool trace_has_marshal(const struct trace *t, uint64_t task_id, uint64_t from, uint64_t to)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->ev[i].kind == WEFT_EV_marshal && t->ev[i].id0 == task_id &&
		    t->ev[i].id1 == from && t->ev[i].id2 == to)
			return true;
	return false;
}
