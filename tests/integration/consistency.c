/*
 * consistency.c — invariants that every correct trace keeps, whatever the
 * program did: each task announced (task_new) before any other event names
 * it, at most once scheduled, started and ended, in causal order; a
 * continuation queued only after its antecedent ended; contexts announced
 * before use and tasks started on threads that serve their context; every
 * wait_end matched by an earlier wait_begin, every block_end by a
 * block_begin.  Violations are listed (the first 20) before the test fails.
 */
#include <stdlib.h>

#include "it.h"

static int violations;

static void violation(const struct trace *t, const struct store_event *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void violation(const struct trace *t, const struct store_event *e, const char *fmt, ...)
{
	va_list ap;

	if (++violations > 20)
		return;
	fprintf(stderr, "# %s: event %zu (%s at %lld, thread %d): ", t->name,
		e ? (size_t)(e - t->ev) : 0, e ? trace_event_name(e->kind) : "-",
		e ? (long long)e->ts_ns : 0, e ? e->vtid : 0);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static bool announced(const struct trace *t, uint64_t id, const struct store_event *e)
{
	const struct trace_obj *o = trace_task(t, id);

	return o && o->task_new->ts_ns <= e->ts_ns;
}

static bool ctx_known(const struct trace *t, uint64_t id, const struct store_event *e)
{
	const struct trace_obj *o = trace_obj(t, id);

	return o && o->context_new && o->context_new->ts_ns <= e->ts_ns;
}

void consistency_tasks(const struct trace *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *e = &t->ev[i];
		const struct trace_obj *o = trace_task(t, e->id0);
		const struct store_event *seq[4];

		switch (e->kind) {
		case WEFT_EV_task_new:
			if (o->task_new != e)
				violation(t, e, "task %llu announced twice", (unsigned long long)e->id0);
			if (e->n0 < 0 || e->n0 >= WEFT_TASK_KIND_COUNT)
				violation(t, e, "task kind %lld", (long long)e->n0);
			if (e->id1 && !announced(t, e->id1, e))
				violation(t, e, "parent %llu unknown", (unsigned long long)e->id1);
			if (!o->n_schedule && !o->n_start && !o->n_end && !o->n_inline)
				break;
			if (o->n_schedule > 1 || o->n_start > 1 || o->n_end > 1 || o->n_inline > 1)
				violation(t, e, "task %llu scheduled %u, started %u, ended %u, inline %u "
					  "times", (unsigned long long)e->id0, o->n_schedule, o->n_start,
					  o->n_end, o->n_inline);
			seq[0] = e;
			seq[1] = o->task_schedule;
			seq[2] = o->task_start;
			seq[3] = o->task_end;
			for (int a = 0; a < 4; a++)
				for (int b = a + 1; b < 4; b++)
					if (seq[a] && seq[b] && seq[a]->ts_ns > seq[b]->ts_ns)
						violation(t, seq[b], "task %llu: %s before %s",
							  (unsigned long long)e->id0,
							  trace_event_name(seq[b]->kind),
							  trace_event_name(seq[a]->kind));
			break;
		case WEFT_EV_task_schedule:
		case WEFT_EV_task_start:
		case WEFT_EV_task_end:
		case WEFT_EV_task_inline:
			if (!announced(t, e->id0, e))
				violation(t, e, "task %llu has no prior task_new",
					  (unsigned long long)e->id0);
			if (e->kind == WEFT_EV_task_inline && o && o->task_inline == e && o->task_new &&
			    o->task_new->ts_ns > e->ts_ns)
				violation(t, e, "task_inline before task_new");
			if (e->kind == WEFT_EV_task_end &&
			    (e->n0 < 0 || e->n0 >= WEFT_STATUS_COUNT ||
			     (e->n0 == WEFT_STATUS_OK) != (e->n1 == 0) ||
			     (e->n0 == WEFT_STATUS_ERROR && e->n1 >= 0)))
				violation(t, e, "status %lld with err %lld", (long long)e->n0,
					  (long long)e->n1);
			break;
		default: break;
		}
	}
}

void consistency_continuations(const struct trace *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *e = &t->ev[i];
		const struct trace_obj *a, *c;

		if (e->kind != WEFT_EV_continuation_add)
			continue;
		a = trace_task(t, e->id0);
		c = trace_task(t, e->id1);
		if (!announced(t, e->id0, e))
			violation(t, e, "antecedent %llu has no prior task_new",
				  (unsigned long long)e->id0);
		if (!c)
			violation(t, e, "continuation %llu has no task_new", (unsigned long long)e->id1);
		if (e->id2 && !ctx_known(t, e->id2, e))
			violation(t, e, "context %llu unknown", (unsigned long long)e->id2);
		if (!a || !c)
			continue;
		/* A continuation proper runs only after its antecedent ended. */
		if (c->task_new->n0 == WEFT_TASK_CONTINUATION) {
			const struct store_event *run = c->task_schedule ? c->task_schedule : c->task_start;

			if (run && (!a->task_end || a->task_end->ts_ns > run->ts_ns))
				violation(t, run, "continuation %llu queued or run before antecedent "
					  "%llu ended", (unsigned long long)e->id1,
					  (unsigned long long)e->id0);
		}
		/* when_all completes after all its inputs; when_any after one. */
		if (c->task_new->n0 == WEFT_TASK_WHEN_ALL && c->task_end &&
		    (!a->task_end || a->task_end->ts_ns > c->task_end->ts_ns))
			violation(t, c->task_end, "when_all %llu ended before input %llu",
				  (unsigned long long)e->id1, (unsigned long long)e->id0);
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *e = &t->ev[i];
		const struct trace_obj *any = trace_task(t, e->id0);
		bool before = false;

		if (e->kind != WEFT_EV_task_end || !any || any->task_new->n0 != WEFT_TASK_WHEN_ANY)
			continue;
		for (size_t j = 0; j < t->n; j++) {
			const struct trace_obj *in = trace_task(t, t->ev[j].id0);

			before |= t->ev[j].kind == WEFT_EV_continuation_add && t->ev[j].id1 == e->id0 &&
				  in && in->task_end && in->task_end->ts_ns <= e->ts_ns;
		}
		if (!before)
			violation(t, e, "when_any %llu ended before any input",
				  (unsigned long long)e->id0);
	}
}

void consistency_contexts(const struct trace *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *e = &t->ev[i];
		const struct trace_obj *c;

		switch (e->kind) {
		case WEFT_EV_context_new:
			c = trace_obj(t, e->id0);
			if (c->n_context_new != 1 || e->n0 < 0 || e->n0 >= WEFT_CTX_KIND_COUNT ||
			    e->n1 < 1 || e->n2 < 1)
				violation(t, e, "context %llu: announced %u times, kind %lld, %lld "
					  "workers, %lld cpus", (unsigned long long)e->id0,
					  c->n_context_new, (long long)e->n0, (long long)e->n1,
					  (long long)e->n2);
			break;
		case WEFT_EV_marshal:
			if (!announced(t, e->id0, e) || !ctx_known(t, e->id1, e) ||
			    !ctx_known(t, e->id2, e) || e->id1 == e->id2)
				violation(t, e, "marshal of %llu from %llu to %llu: unknown task or "
					  "context", (unsigned long long)e->id0, (unsigned long long)e->id1,
					  (unsigned long long)e->id2);
			break;
		case WEFT_EV_task_schedule:
			if (!ctx_known(t, e->id1, e))
				violation(t, e, "scheduled on unknown context %llu",
					  (unsigned long long)e->id1);
			break;
		case WEFT_EV_task_start:
			/* Runs on a thread of its context, or on no context's thread. */
			if (e->id1 ? !ctx_known(t, e->id1, e) ||
					     trace_thread_ctx(t, e->vtid, e->ts_ns) != e->id1
				   : trace_thread_ctx(t, e->vtid, e->ts_ns) != 0)
				violation(t, e, "task %llu started with ctx %llu on thread %d serving %llu",
					  (unsigned long long)e->id0, (unsigned long long)e->id1,
					  e->vtid,
					  (unsigned long long)trace_thread_ctx(t, e->vtid, e->ts_ns));
			break;
		case WEFT_EV_pool_sample:
			c = trace_obj(t, e->id0);
			/* workers: the threads serving now (they start and stop) */
			if (!ctx_known(t, e->id0, e) || c->context_new->n0 != WEFT_CTX_POOL ||
			    e->n2 > c->context_new->n1 || e->n1 > e->n2 || e->n0 < 0)
				violation(t, e, "pool_sample of %llu: queued %lld busy %lld workers %lld",
					  (unsigned long long)e->id0, (long long)e->n0, (long long)e->n1,
					  (long long)e->n2);
			break;
		case WEFT_EV_worker_state:
			if (!ctx_known(t, e->id0, e) || e->n0 < 0 || e->n0 >= WEFT_WORKER_STATE_COUNT ||
			    (e->n0 != WEFT_WORKER_START && e->n0 != WEFT_WORKER_STOP &&
			     trace_thread_ctx(t, e->vtid, e->ts_ns) != e->id0))
				violation(t, e, "worker_state %lld for context %llu on a thread not "
					  "serving it", (long long)e->n0, (unsigned long long)e->id0);
			break;
		default: break;
		}
	}
}

void consistency_waits(const struct trace *t)
{
	bool *used = calloc(t->n + 1, sizeof(*used));

	EXPECT(used, "out of memory");
	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *e = &t->ev[i];
		const struct trace_obj *awaited;
		size_t j;

		switch (e->kind) {
		case WEFT_EV_wait_begin:
			if (!announced(t, e->id1, e) || (e->id0 && !announced(t, e->id0, e)) ||
			    e->n0 < 0 || e->n0 >= WEFT_WAIT_MODE_COUNT)
				violation(t, e, "wait of %llu for %llu: unknown task or mode %lld",
					  (unsigned long long)e->id0, (unsigned long long)e->id1,
					  (long long)e->n0);
			break;
		case WEFT_EV_wait_end:
			for (j = i; j-- > 0;) {
				const struct store_event *b = &t->ev[j];

				if (!used[j] && b->kind == WEFT_EV_wait_begin && b->id0 == e->id0 &&
				    b->id1 == e->id1 && (b->n0 != WEFT_WAIT_BLOCK || b->vtid == e->vtid))
					break;
			}
			if (j == (size_t)-1) {
				violation(t, e, "wait_end of %llu for %llu without wait_begin",
					  (unsigned long long)e->id0, (unsigned long long)e->id1);
				break;
			}
			used[j] = true;
			awaited = trace_task(t, e->id1);
			if (!e->n0 && (!awaited || !awaited->task_end ||
				       awaited->task_end->ts_ns > e->ts_ns))
				violation(t, e, "wait for %llu ended, not timed out, before it completed",
					  (unsigned long long)e->id1);
			break;
		case WEFT_EV_block_end:
			for (j = i; j-- > 0;) {
				const struct store_event *b = &t->ev[j];

				if (b->vtid != e->vtid ||
				    (b->kind != WEFT_EV_block_begin && b->kind != WEFT_EV_block_end))
					continue;
				break;
			}
			if (j == (size_t)-1 || t->ev[j].kind != WEFT_EV_block_begin)
				violation(t, e, "block_end without block_begin on its thread");
			break;
		default: break;
		}
	}
	free(used);
}

int consistency_over_all(void (*check)(const struct trace *))
{
	static const char *const names[] = {
#define X(id, name) name,
		EXAMPLES(X)
#undef X
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct trace *t = it_get(names[i]);

		check(t);
		trace_free(t);
	}
	EXPECT(violations == 0, "%d violations (first 20 above)", violations);
	return 0;
}
