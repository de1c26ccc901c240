/*
 * checks.c — per example, the events that show its failure pattern, related
 * the way the detector will relate them (thresholds: the detectors'
 * defaults, it.h), plus the checks of the run itself.  Each check fails the
 * test with a message naming what is missing; each can fail: the
 * checks-reject-healthy test runs every one on the healthy example's trace.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "it.h"

void check_run(const struct trace *t)
{
	size_t len = strlen(t->out), prefix = strlen(t->name);

	it_note("# %s: %.2f s, %zu events\n", t->name, (double)t->elapsed_ns / 1e9, t->n);
	EXPECT(WIFEXITED(t->wait_status) && WEXITSTATUS(t->wait_status) == 0,
	       "%s: %s %d; stderr: %.1500s", t->name,
	       WIFEXITED(t->wait_status) ? "exit status" : "killed by signal",
	       WIFEXITED(t->wait_status) ? WEXITSTATUS(t->wait_status) : WTERMSIG(t->wait_status),
	       t->err);
	EXPECT(t->elapsed_ns < MAX_RUN, "%s: ran %.2f s, limit %.0f s", t->name,
	       (double)t->elapsed_ns / 1e9, (double)MAX_RUN / 1e9);
	EXPECT(len > prefix + 2 && strncmp(t->out, t->name, prefix) == 0 &&
		       t->out[prefix] == ':' && t->out[prefix + 1] == ' ' &&
		       strchr(t->out, '\n') == t->out + len - 1,
	       "%s: expected one line \"%s: ...\", got \"%.500s\"", t->name, t->name, t->out);
	EXPECT(t->err[0] == '\0', "%s: wrote to stderr: %.1500s", t->name, t->err);
	EXPECT(t->discarded == 0 && t->noise == 0, "%s: babeltrace2 reported %u discards and %u "
	       "other lines: %.500s", t->name, t->discarded, t->noise, t->bt_err);
	EXPECT(t->n > 0, "%s: no events of pid %d in the trace", t->name, (int)t->pid);
}

void check_sync_over_async_deadlock(const struct trace *t)
{
	uint64_t ui = it_need_ctx(t, "ui", WEFT_CTX_LOOP), io = it_need_ctx(t, "io", WEFT_CTX_POOL);
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct store_event *b = &t->ev[i], *e;
		const struct trace_obj *waiter, *cont, *ante;
		uint64_t c;

		if (b->kind != WEFT_EV_wait_begin || b->n0 != WEFT_WAIT_BLOCK ||
		    trace_thread_ctx(t, b->vtid, b->ts_ns) != ui)
			continue;
		waiter = trace_task(t, b->id0);
		EXPECT(waiter && waiter->task_start && waiter->task_start->id1 == ui &&
			       waiter->task_start->vtid == b->vtid,
		       "deadlock: the blocked waiter %llu is not a task running on the ui thread",
		       (unsigned long long)b->id0);
		c = trace_dependency_on_ctx(t, b->id1, ui);
		EXPECT(c, "deadlock: nothing task %llu depends on is queued to the ui loop",
		       (unsigned long long)b->id1);
		e = trace_wait_end(t, b);
		EXPECT(e, "deadlock: the wait of the ui thread never ended");
		EXPECT(e->n0 == 1, "deadlock: the wait ended without timing out");
		EXPECT(e->ts_ns - b->ts_ns >= DEADLOCK_MIN, "deadlock: the ui thread waited only "
		       "%.1f ms", it_ms(e->ts_ns - b->ts_ns));
		cont = trace_task(t, c);
		EXPECT(cont, "deadlock: continuation %llu has no task_new", (unsigned long long)c);
		EXPECT(cont->task_start && cont->task_start->ts_ns >= e->ts_ns,
		       "deadlock: the continuation on ui started before the wait ended");
		EXPECT(cont->task_start->id1 == ui &&
			       trace_thread_ctx(t, cont->task_start->vtid, cont->task_start->ts_ns) == ui,
		       "deadlock: the continuation did not run on the ui thread");
		ante = trace_task(t, cont->cont_add->id0);
		EXPECT(it_ended_ok(ante) && ante->task_end->ts_ns < e->ts_ns && ante->task_start &&
			       ante->task_start->id1 == io,
		       "deadlock: the I/O the continuation follows did not run and complete on io "
		       "during the wait");
		EXPECT(trace_has_marshal(t, c, io, ui), "deadlock: no marshal(io -> ui) of the continuation");
		it_note("# deadlock: ui thread %d blocked %.1f ms on task %llu; continuation %llu "
		       "queued to ui\n", b->vtid, it_ms(e->ts_ns - b->ts_ns),
		       (unsigned long long)b->id1, (unsigned long long)c);
		return;
	}
	TEST_FAIL_("deadlock: no blocking wait_begin on the ui loop's thread");
}

void check_blocking_wait(const struct trace *t)
{
	uint64_t web = it_need_ctx(t, "web", WEFT_CTX_POOL);

	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *b = &t->ev[i], *e;
		const struct trace_obj *waiter, *awaited;
		bool blocked_state = false;

		if (b->kind != WEFT_EV_wait_begin || b->n0 != WEFT_WAIT_BLOCK ||
		    trace_thread_ctx(t, b->vtid, b->ts_ns) != web)
			continue;
		e = trace_wait_end(t, b);
		EXPECT(e && e->n0 == 0, "blocking-wait: the wait did not end, or timed out");
		EXPECT(e->ts_ns - b->ts_ns >= BLOCKING_WAIT_MIN, "blocking-wait: blocked only %.1f ms",
		       it_ms(e->ts_ns - b->ts_ns));
		waiter = trace_task(t, b->id0);
		EXPECT(waiter && waiter->task_start && waiter->task_start->vtid == b->vtid &&
			       waiter->task_start->id1 == web,
		       "blocking-wait: the waiter is not the task running on that worker");
		awaited = trace_task(t, b->id1);
		EXPECT(it_ended_ok(awaited) && awaited->task_end->ts_ns <= e->ts_ns,
		       "blocking-wait: the awaited task did not complete before the wait ended");
		for (const struct store_event *s = b; s <= e; s++)
			blocked_state |= s->kind == WEFT_EV_worker_state && s->vtid == b->vtid &&
					 s->id0 == web && s->n0 == WEFT_WORKER_BLOCKED;
		EXPECT(blocked_state, "blocking-wait: no worker_state(blocked) during the wait");
		it_note("# blocking-wait: worker %d blocked %.1f ms\n", b->vtid,
		       it_ms(e->ts_ns - b->ts_ns));
		return;
	}
	TEST_FAIL_("blocking-wait: no blocking wait_begin on a worker of pool web");
}

void check_pool_starvation(const struct trace *t)
{
	uint64_t io = it_need_ctx(t, "io", WEFT_CTX_POOL);
	int64_t starved = trace_longest_starvation(t, io);
	int blocked_workers = 0, shorts = 0;

	EXPECT(trace_obj(t, io)->context_new->n1 == 4, "pool-starvation: io has %lld workers",
	       (long long)trace_obj(t, io)->context_new->n1);
	EXPECT(starved >= STARVATION_MIN, "pool-starvation: longest starvation %.1f ms",
	       it_ms(starved));
	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *b = &t->ev[i];

		if (b->kind != WEFT_EV_block_begin || trace_thread_ctx(t, b->vtid, b->ts_ns) != io)
			continue;
		for (const struct store_event *e = b + 1; e < t->ev + t->n; e++)
			if (e->kind == WEFT_EV_block_end && e->vtid == b->vtid) {
				blocked_workers += e->ts_ns - b->ts_ns >= STARVATION_MIN;
				break;
			}
	}
	EXPECT(blocked_workers == 4, "pool-starvation: %d workers blocked >= 500 ms, expected 4",
	       blocked_workers);
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_obj *o = trace_task(t, t->ev[i].id0);

		if (t->ev[i].kind != WEFT_EV_task_new || strcmp(t->ev[i].s0, "short_request"))
			continue;
		EXPECT(o->task_schedule && o->task_schedule->id1 == io && it_ended_ok(o) && o->task_start,
		       "pool-starvation: a short request was not queued on io and run");
		EXPECT(o->task_start->ts_ns - o->task_schedule->ts_ns >= STARVATION_MIN,
		       "pool-starvation: a short request waited only %.1f ms",
		       it_ms(o->task_start->ts_ns - o->task_schedule->ts_ns));
		shorts++;
	}
	EXPECT(shorts == 8, "pool-starvation: %d short requests, expected 8", shorts);
	it_note("# pool-starvation: io starved %.1f ms\n", it_ms(starved));
}

void check_blocking_in_pool(const struct trace *t)
{
	uint64_t pool = it_need_ctx(t, "images", WEFT_CTX_POOL);
	int64_t from = INT64_MAX, to = 0, max_wait = 0;
	double share, queued;
	int tasks = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct trace_obj *o = trace_task(t, t->ev[i].id0);

		if (t->ev[i].kind != WEFT_EV_task_start || t->ev[i].id1 != pool)
			continue;
		EXPECT(o && o->task_schedule && it_ended_ok(o), "blocking-in-pool: task %llu not scheduled "
		       "or not ended ok", (unsigned long long)t->ev[i].id0);
		from = t->ev[i].ts_ns < from ? t->ev[i].ts_ns : from;
		to = o->task_end->ts_ns > to ? o->task_end->ts_ns : to;
		if (t->ev[i].ts_ns - o->task_schedule->ts_ns > max_wait)
			max_wait = t->ev[i].ts_ns - o->task_schedule->ts_ns;
		tasks++;
	}
	EXPECT(tasks >= 50, "blocking-in-pool: only %d tasks ran", tasks);
	share = trace_blocked_share(t, pool, from, to);
	queued = trace_queued_share(t, pool, from, to);
	EXPECT(share >= BLOCKED_SHARE_MIN, "blocking-in-pool: workers blocked %.0f %% of the time",
	       share * 100);
	EXPECT(queued >= 0.5, "blocking-in-pool: work queued only %.0f %% of the time",
	       queued * 100);
	/* Not starvation: the queue drains steadily. */
	EXPECT(max_wait < STARVATION_MIN, "blocking-in-pool: a task waited %.1f ms", it_ms(max_wait));
	EXPECT(trace_longest_starvation(t, pool) < STARVATION_MIN, "blocking-in-pool: starved %.1f ms",
	       it_ms(trace_longest_starvation(t, pool)));
	it_note("# blocking-in-pool: %d tasks, blocked %.0f %%, queued %.0f %%, max queue wait "
	       "%.1f ms\n", tasks, share * 100, queued * 100, it_ms(max_wait));
}

static void expect_failed_unobserved(const struct trace *t, const char *name, int err)
{
	const struct trace_obj *o = trace_task(t, it_need_task(t, name));

	EXPECT(o->task_end && o->task_end->n0 == WEFT_STATUS_ERROR && o->task_end->n1 == err,
	       "%s: %s did not end with error %d", t->name, name, err);
	EXPECT(o->n_unobserved == 1, "%s: %u error_unobserved for %s", t->name, o->n_unobserved,
	       name);
	EXPECT(o->error_unobserved->ts_ns >= o->task_end->ts_ns &&
		       o->error_unobserved->n0 == err,
	       "%s: error_unobserved before task_end or with error %lld", t->name,
	       (long long)o->error_unobserved->n0);
	EXPECT(o->n_observe == 0, "%s: %s's error was observed", t->name, name);
}

void check_unobserved_error(const struct trace *t)
{
	expect_failed_unobserved(t, "save_settings", -ENOSPC);
}

void check_detached_failure(const struct trace *t)
{
	const struct trace_obj *o = trace_task(t, it_need_task(t, "upload_statistics"));

	EXPECT(o->task_new->n0 == WEFT_TASK_DETACHED, "detached-failure: upload_statistics has "
	       "kind %lld", (long long)o->task_new->n0);
	expect_failed_unobserved(t, "upload_statistics", -ECONNREFUSED);
	EXPECT(it_ended_ok(trace_task(t, it_need_task(t, "login"))), "detached-failure: login failed");
}

static bool cancel_observed_by(const struct trace *t, uint64_t task_id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->ev[i].kind == WEFT_EV_cancel_observe && t->ev[i].id1 == task_id)
			return true;
	return false;
}

void check_cancel_ignored(const struct trace *t)
{
	uint64_t id = it_need_task(t, "export_report");
	const struct trace_obj *o = trace_task(t, id), *tok = trace_obj(t, o->task_new->id2);
	int64_t late;

	EXPECT(tok && tok->token_new, "cancel-ignored: export_report carries no known token");
	EXPECT(tok->cancel_request, "cancel-ignored: the token was never canceled");
	EXPECT(o->task_start && o->task_start->ts_ns < tok->cancel_request->ts_ns,
	       "cancel-ignored: export_report did not start before the cancel");
	EXPECT(it_ended_ok(o), "cancel-ignored: export_report did not end ok");
	late = o->task_end->ts_ns - tok->cancel_request->ts_ns;
	EXPECT(late >= CANCEL_GRACE, "cancel-ignored: ended %.1f ms after the cancel", it_ms(late));
	EXPECT(!cancel_observed_by(t, id), "cancel-ignored: export_report observed the cancel");
	it_note("# cancel-ignored: ran %.1f ms past cancel_request\n", it_ms(late));
}

void check_cancel_not_propagated(const struct trace *t)
{
	uint64_t h = it_need_task(t, "handle_request"), q = it_need_task(t, "run_query");
	const struct trace_obj *ho = trace_task(t, h), *qo = trace_task(t, q);
	const struct trace_obj *tok = trace_obj(t, ho->task_new->id2);
	int64_t c;

	EXPECT(tok && tok->token_new && tok->cancel_request,
	       "cancel-not-propagated: handle_request has no token, or it was never canceled");
	EXPECT(qo->task_new->id1 == h, "cancel-not-propagated: run_query's parent is %llu, not "
	       "handle_request %llu", (unsigned long long)qo->task_new->id1, (unsigned long long)h);
	EXPECT(!trace_token_descends(t, qo->task_new->id2, ho->task_new->id2),
	       "cancel-not-propagated: run_query carries the request's token");
	c = tok->cancel_request->ts_ns;
	EXPECT(it_ended_ok(ho) && ho->task_end->ts_ns < c,
	       "cancel-not-propagated: handle_request had not ended ok before the cancel");
	EXPECT(qo->task_start && qo->task_start->ts_ns < c && it_ended_ok(qo) &&
		       qo->task_end->ts_ns > c,
	       "cancel-not-propagated: run_query was not running across the cancel");
	EXPECT(!cancel_observed_by(t, q), "cancel-not-propagated: run_query observed a cancel");
}

void check_slow_callback(const struct trace *t)
{
	uint64_t ui = it_need_ctx(t, "ui", WEFT_CTX_LOOP), which = 0;
	const struct trace_obj *s = trace_task(t, it_need_task(t, "on_message_received"));
	int64_t run = trace_longest_loop_run(t, &which);
	int behind = 0;

	EXPECT(which == s->task_new->id0, "slow-callback: the longest loop run is task %llu",
	       (unsigned long long)which);
	EXPECT(s->task_start->id1 == ui &&
		       trace_thread_ctx(t, s->task_start->vtid, s->task_start->ts_ns) == ui,
	       "slow-callback: on_message_received did not run on the ui thread");
	EXPECT(run >= SLOW_CALLBACK_MIN, "slow-callback: ran only %.1f ms", it_ms(run));
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_obj *o = trace_task(t, t->ev[i].id0);

		if (t->ev[i].kind != WEFT_EV_task_new ||
		    (strcmp(t->ev[i].s0, "repaint") && strcmp(t->ev[i].s0, "on_key_press")))
			continue;
		EXPECT(o->task_schedule && o->task_schedule->id1 == ui &&
			       o->task_schedule->ts_ns < s->task_end->ts_ns && o->task_start &&
			       o->task_start->ts_ns >= s->task_end->ts_ns,
		       "slow-callback: %s was not queued on ui behind the slow callback",
		       t->ev[i].s0);
		behind++;
	}
	EXPECT(behind == 4, "slow-callback: %d callbacks behind it, expected 4", behind);
	it_note("# slow-callback: %.1f ms on the ui loop\n", it_ms(run));
}

void check_lost_task(const struct trace *t)
{
	const struct trace_obj *r7 = trace_task(t, it_need_task(t, "reply #7"));
	const struct trace_obj *s7 = trace_task(t, it_need_task(t, "show_reply #7"));
	const struct trace_obj *r6 = trace_task(t, it_need_task(t, "reply #6"));
	const struct trace_obj *s6 = trace_task(t, it_need_task(t, "show_reply #6"));

	EXPECT(r7->n_end == 0 && r7->n_inline == 0, "lost-task: reply #7 completed");
	EXPECT(s7->cont_add && s7->cont_add->id0 == r7->task_new->id0,
	       "lost-task: show_reply #7 is not a continuation of reply #7");
	EXPECT(s7->n_start == 0, "lost-task: show_reply #7 ran");
	EXPECT(it_ended_ok(r6) && it_ended_ok(s6) && s6->task_end->ts_ns >= r6->task_end->ts_ns,
	       "lost-task: reply #6 and its continuation did not complete");
	it_note("# lost-task: reply #7 pending for %.1f ms at trace end\n",
	       it_ms(trace_end_ts(t) - r7->task_new->ts_ns));
}

void check_needless_marshal(const struct trace *t)
{
	uint64_t ui = it_need_ctx(t, "ui", WEFT_CTX_LOOP), io = it_need_ctx(t, "io", WEFT_CTX_POOL);
	uint64_t click = it_need_task(t, "on_download_clicked");
	bool *hopped = calloc(t->max_id + 1, sizeof(*hopped));
	int64_t waited = 0, ran = 0;
	int n = 0, linked = 0, fast = 0;

	EXPECT(hopped, "out of memory");
	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *m = &t->ev[i];
		const struct trace_obj *c = trace_task(t, m->id0);

		if (m->kind != WEFT_EV_marshal || m->id1 != io || m->id2 != ui)
			continue;
		EXPECT(c && c->cont_add && c->task_schedule && c->task_start && c->task_end &&
			       c->task_start->id1 == ui,
		       "needless-marshal: marshaled task %llu did not run on ui",
		       (unsigned long long)m->id0);
		fast += c->task_end->ts_ns - c->task_start->ts_ns < MARSHAL_FAST_MAX;
		waited += c->task_start->ts_ns - c->task_schedule->ts_ns;
		ran += c->task_end->ts_ns - c->task_start->ts_ns;
		hopped[m->id0] = true;
		n++;
	}
	for (size_t i = 0; i <= t->max_id; i++) {
		const struct trace_obj *ante;

		if (!hopped[i])
			continue;
		ante = trace_task(t, trace_obj(t, i)->cont_add->id0);
		linked += ante && (ante->task_new->id1 == click ||
				   (ante->task_new->id1 <= t->max_id && hopped[ante->task_new->id1]));
	}
	free(hopped);
	EXPECT(n >= 32, "needless-marshal: %d marshals io -> ui, expected 64", n);
	EXPECT(linked == n, "needless-marshal: only %d of %d hops form one chain", linked, n);
	/* Nearly all: on a loaded machine a thread can be preempted mid-run. */
	EXPECT(fast * 10 >= n * 9, "needless-marshal: only %d of %d continuations ran < 1 ms",
	       fast, n);
	EXPECT(waited > ran, "needless-marshal: queue wait %.2f ms does not dominate run time "
	       "%.2f ms", it_ms(waited), it_ms(ran));
	it_note("# needless-marshal: %d hops, queue wait %.2f ms vs run %.2f ms in total\n", n,
	       it_ms(waited), it_ms(ran));
}

void check_serial_fan_out(const struct trace *t)
{
	int len = trace_longest_serial_chain(t);

	EXPECT(len >= SERIAL_MIN, "serial-fan-out: longest serial chain %d", len);
	it_note("# serial-fan-out: %d children awaited one after another\n", len);
}

void check_oversubscription(const struct trace *t)
{
	uint64_t pool = it_need_ctx(t, "resize", WEFT_CTX_POOL);
	const struct store_event *c = trace_obj(t, pool)->context_new;
	int64_t over;

	EXPECT(c->n2 >= 1 && c->n1 > 4 * c->n2, "oversubscription: %lld workers on %lld CPUs",
	       (long long)c->n1, (long long)c->n2);
	over = trace_longest_busy_over(t, pool, 4 * c->n2);
	EXPECT(over >= OVERSUB_MIN, "oversubscription: more than %lld busy for only %.1f ms",
	       (long long)(4 * c->n2), it_ms(over));
	it_note("# oversubscription: %lld workers busy on %lld CPUs for %.1f ms\n",
	       (long long)c->n1, (long long)c->n2, it_ms(over));
}

void check_orphaned_work(const struct trace *t)
{
	const struct trace_obj *any = NULL;
	int inputs = 0, orphans = 0;

	for (size_t i = 0; i < t->n && !any; i++)
		if (t->ev[i].kind == WEFT_EV_task_new && t->ev[i].n0 == WEFT_TASK_WHEN_ANY)
			any = trace_task(t, t->ev[i].id0);
	EXPECT(any && it_ended_ok(any), "orphaned-work: no when_any task that ended ok");
	for (size_t i = 0; i < t->n; i++) {
		const struct store_event *e = &t->ev[i];
		const struct trace_obj *in = trace_task(t, e->id0);

		if (e->kind != WEFT_EV_continuation_add || e->id1 != any->task_new->id0)
			continue;
		inputs++;
		EXPECT(in && in->task_end, "orphaned-work: input %llu never ended",
		       (unsigned long long)e->id0);
		if (in->task_end->ts_ns - any->task_end->ts_ns < ORPHAN_MIN)
			continue;
		orphans++;
		EXPECT(in->n_observe == 0 && !trace_obj(t, in->task_new->id2),
		       "orphaned-work: a loser was observed or carries a token");
		for (size_t j = 0; j < t->n; j++)
			EXPECT(t->ev[j].kind != WEFT_EV_wait_begin || t->ev[j].id1 != e->id0,
			       "orphaned-work: somebody awaited loser %llu", (unsigned long long)e->id0);
	}
	EXPECT(inputs == 3, "orphaned-work: when_any has %d inputs (continuation_add), "
	       "expected 3", inputs);
	EXPECT(orphans == 2, "orphaned-work: %d inputs ran >= 100 ms past the race, expected 2",
	       orphans);
}

void check_sync_completion_hot_path(const struct trace *t)
{
	const char *site;
	size_t inlined, n = trace_hottest_site(t, &inlined, &site);

	EXPECT(n >= HOT_SITE_MIN, "sync-completion-hot-path: hottest site %s made only %zu tasks",
	       site, n);
	EXPECT((double)inlined >= HOT_INLINE_MIN * (double)n,
	       "sync-completion-hot-path: %zu of %zu inline at %s", inlined, n, site);
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_obj *o = trace_task(t, t->ev[i].id0);

		EXPECT(t->ev[i].kind != WEFT_EV_task_inline || (o && o->n_schedule == 0),
		       "sync-completion-hot-path: inline task %llu was also queued",
		       (unsigned long long)t->ev[i].id0);
	}
	it_note("# sync-completion-hot-path: %zu tasks at %s, %.1f %% inline\n", n, site,
	       100.0 * (double)inlined / (double)n);
}
