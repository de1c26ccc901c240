/*
 * oracle.c — the pattern oracle: found_NAME(t) says whether pattern NAME's
 * condition holds anywhere in a trace, with the detector's default threshold
 * (it.h).  A small independent re-statement of each detector of DESIGN.md
 * section 1, used to show that every example has its pattern and that
 * `healthy` has none.  The check_NAME functions (checks.c) say more
 * precisely how one example's events relate; these only say "present or
 * not", for any trace.
 */
#include <string.h>

#include "it.h"

bool found_sync_over_async_deadlock(const struct trace *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *b = &t->ev[i], *e;
		const struct trace_obj *loop;
		uint64_t ctx;

		if (b->kind != WEFT_EV_wait_begin || b->n0 != WEFT_WAIT_BLOCK)
			continue;
		ctx = trace_thread_ctx(t, b->vtid, b->ts_ns);
		loop = trace_obj(t, ctx);
		if (!loop || !loop->context_new || loop->context_new->n0 != WEFT_CTX_LOOP ||
		    !trace_dependency_on_ctx(t, b->id1, ctx))
			continue;
		e = trace_wait_end(t, b);
		if ((e ? e->ts_ns : trace_end_ts(t)) - b->ts_ns >= DEADLOCK_MIN)
			return true;
	}
	return false;
}

bool found_blocking_wait(const struct trace *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *b = &t->ev[i], *e;

		if (b->kind != WEFT_EV_wait_begin || b->n0 != WEFT_WAIT_BLOCK ||
		    !trace_thread_ctx(t, b->vtid, b->ts_ns))
			continue;
		e = trace_wait_end(t, b);
		if ((e ? e->ts_ns : trace_end_ts(t)) - b->ts_ns >= BLOCKING_WAIT_MIN)
			return true;
	}
	return false;
}

/* Calls fn for every pool context; true if it returned true for one. */
static bool any_pool(const struct trace *t, bool (*fn)(const struct trace *, const struct store_event *))
{
	for (size_t i = 0; i < t->n; i++)
		if (t->ev[i].kind == WEFT_EV_context_new && t->ev[i].n0 == WEFT_CTX_POOL &&
		    fn(t, &t->ev[i]))
			return true;
	return false;
}

static bool pool_starved(const struct trace *t, const struct store_event *c)
{
	return trace_longest_starvation(t, c->id0) >= STARVATION_MIN;
}

bool found_pool_starvation(const struct trace *t)
{
	return any_pool(t, pool_starved);
}

/* Over the pool's active time (first start to last end of its tasks). */
static bool pool_mostly_blocked(const struct trace *t, const struct store_event *c)
{
	int64_t from = INT64_MAX, to = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct trace_obj *o = trace_task(t, t->ev[i].id0);

		if (t->ev[i].kind != WEFT_EV_task_start || t->ev[i].id1 != c->id0)
			continue;
		from = t->ev[i].ts_ns < from ? t->ev[i].ts_ns : from;
		to = o && o->task_end && o->task_end->ts_ns > to ? o->task_end->ts_ns : to;
	}
	return to > from && trace_blocked_share(t, c->id0, from, to) >= BLOCKED_SHARE_MIN &&
	       trace_queued_share(t, c->id0, from, to) >= 0.5;
}

bool found_blocking_in_pool(const struct trace *t)
{
	return any_pool(t, pool_mostly_blocked);
}

static bool failed_unobserved(const struct trace *t, bool detached_only)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *e = &t->ev[i];
		const struct trace_obj *o = trace_task(t, e->id0);

		if (e->kind == WEFT_EV_task_end && e->n0 == WEFT_STATUS_ERROR && o &&
		    o->n_observe == 0 &&
		    (!detached_only || o->task_new->n0 == WEFT_TASK_DETACHED))
			return true;
	}
	return false;
}

bool found_unobserved_error(const struct trace *t)
{
	return failed_unobserved(t, false);
}

bool found_detached_failure(const struct trace *t)
{
	return failed_unobserved(t, true);
}

bool found_cancel_ignored(const struct trace *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *c = &t->ev[i];

		if (c->kind != WEFT_EV_cancel_request)
			continue;
		for (uint64_t j = 1; j <= t->max_id; j++) {
			const struct trace_obj *k = trace_task(t, j);
			int64_t end;

			if (!k || !k->task_new->id2 || !trace_token_descends(t, k->task_new->id2, c->id0) ||
			    k->task_new->ts_ns > c->ts_ns || (k->task_end && k->task_end->ts_ns <= c->ts_ns))
				continue;
			end = k->task_end ? k->task_end->ts_ns : trace_end_ts(t);
			if (end - c->ts_ns >= CANCEL_GRACE ||
			    (k->task_end && k->task_end->n0 == WEFT_STATUS_OK))
				return true;
		}
	}
	return false;
}

bool found_cancel_not_propagated(const struct trace *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *e = &t->ev[i];
		const struct trace_obj *parent = trace_task(t, e->id1);

		if (e->kind == WEFT_EV_task_new && parent && parent->task_new->id2 &&
		    !trace_token_descends(t, e->id2, parent->task_new->id2))
			return true;
	}
	return false;
}

bool found_slow_callback(const struct trace *t)
{
	uint64_t which = 0;

	return trace_longest_loop_run(t, &which) >= SLOW_CALLBACK_MIN;
}

bool found_lost_task(const struct trace *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_obj *o = trace_task(t, t->ev[i].id0);

		if (t->ev[i].kind == WEFT_EV_task_new && !o->task_end && !o->task_inline)
			return true;
	}
	return false;
}

/* At least MARSHAL_MIN hops to loop contexts, nearly all of them for
 * continuations under 1 ms that waited in the loop's queue longer than they
 * ran. */
bool found_needless_marshal(const struct trace *t)
{
	int hops = 0, fast = 0;
	int64_t waited = 0, ran = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *m = &t->ev[i];
		const struct trace_obj *c = trace_task(t, m->id0), *to = trace_obj(t, m->id2);

		if (m->kind != WEFT_EV_marshal || !to || !to->context_new ||
		    to->context_new->n0 != WEFT_CTX_LOOP || !c || !c->task_schedule ||
		    !c->task_start || !c->task_end)
			continue;
		hops++;
		fast += c->task_end->ts_ns - c->task_start->ts_ns < MARSHAL_FAST_MAX;
		waited += c->task_start->ts_ns - c->task_schedule->ts_ns;
		ran += c->task_end->ts_ns - c->task_start->ts_ns;
	}
	return hops >= MARSHAL_MIN && fast * 10 >= hops * 9 && waited > ran;
}

bool found_serial_fan_out(const struct trace *t)
{
	return trace_longest_serial_chain(t) >= SERIAL_MIN;
}

static bool pool_oversubscribed(const struct trace *t, const struct store_event *c)
{
	return trace_longest_busy_over(t, c->id0, 4 * c->n2) >= OVERSUB_MIN;
}

bool found_oversubscription(const struct trace *t)
{
	return any_pool(t, pool_oversubscribed);
}

bool found_orphaned_work(const struct trace *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *e = &t->ev[i];
		const struct trace_obj *any = trace_task(t, e->id1), *in = trace_task(t, e->id0);

		if (e->kind != WEFT_EV_continuation_add || !any ||
		    any->task_new->n0 != WEFT_TASK_WHEN_ANY || !any->task_end || !in ||
		    in->n_observe)
			continue;
		if ((in->task_end ? in->task_end->ts_ns : trace_end_ts(t)) - any->task_end->ts_ns >=
		    ORPHAN_MIN)
			return true;
	}
	return false;
}

bool found_sync_completion_hot_path(const struct trace *t)
{
	const char *site;
	size_t inlined, n = trace_hottest_site(t, &inlined, &site);

	return n >= HOT_SITE_MIN && (double)inlined >= HOT_INLINE_MIN * (double)n;
}

const struct pattern patterns[] = {
#define X(id, name) { name, found_##id, check_##id },
	PATTERNS(X)
#undef X
};
const size_t n_patterns = sizeof(patterns) / sizeof(patterns[0]);

void note_found(const struct trace *t)
{
	char list[1024] = "";

	for (size_t i = 0; i < n_patterns; i++)
		if (patterns[i].found(t))
			snprintf(list + strlen(list), sizeof list - strlen(list), " %s",
				 patterns[i].name);
	it_note("# %s: patterns found:%s\n", t->name, *list ? list : " none");
}

/* On a run that does the same kinds of things as the others (errors,
 * cancellation, races, hops, loops, pools). */
void check_healthy(const struct trace *t)
{
	int failed = 0, cancels = 0, observed_cancels = 0, marshals = 0, any = 0, all = 0;

	for (size_t i = 0; i < n_patterns; i++)
		EXPECT(!patterns[i].found(t), "healthy: %s found", patterns[i].name);
	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *e = &t->ev[i];

		failed += e->kind == WEFT_EV_task_end && e->n0 == WEFT_STATUS_ERROR;
		cancels += e->kind == WEFT_EV_cancel_request;
		observed_cancels += e->kind == WEFT_EV_cancel_observe;
		marshals += e->kind == WEFT_EV_marshal;
		any += e->kind == WEFT_EV_task_new && e->n0 == WEFT_TASK_WHEN_ANY;
		all += e->kind == WEFT_EV_task_new && e->n0 == WEFT_TASK_WHEN_ALL;
		EXPECT(e->kind != WEFT_EV_error_unobserved, "healthy: error_unobserved for task %llu",
		       (unsigned long long)e->id0);
	}
	/* ... and it did exercise what it claims to do right. */
	it_need_ctx(t, "ui", WEFT_CTX_LOOP);
	it_need_ctx(t, "pool", WEFT_CTX_POOL);
	EXPECT(failed >= 3, "healthy: only %d failed tasks (thumbnail, when_all, telemetry)",
	       failed);
	EXPECT(cancels >= 2 && observed_cancels >= 1, "healthy: %d cancels, %d observed", cancels,
	       observed_cancels);
	EXPECT(any >= 1 && all >= 1, "healthy: no when_any or when_all");
	EXPECT(marshals >= 1 && marshals <= 5, "healthy: %d marshals", marshals);
}
