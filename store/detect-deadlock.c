/*
 * sync-over-async-deadlock — a thread that runs a context blocks waiting on a
 * task that cannot finish until that same context runs something: the
 * `.Result` of a task whose continuation is queued behind the blocked
 * handler.  Nothing but a timeout ends it.
 *
 * The store shows it as a blocking wait (waits.mode 0) by thread T, which at
 * the wait's begin serves context C (thread_bindings: any binding open then,
 * nested ones included), on task X, where X's dependencies — X itself, its
 * antecedents (links kind 0, dst -> src) and the tasks it awaits (waits by X
 * still open at the begin), transitively — include a task D targeted at C
 * (tasks.ctx = C, or continuation_add(..., D, C)) that had not started.  The
 * condition lasts from the wait's begin until the wait ends or D starts.
 *
 * A loop has one thread, so the cycle is certain as soon as D is targeted at
 * it.  A pool has other workers that could run D, so there the condition
 * starts only once D is actually queued (task_schedule) and lasts while it
 * stays queued: D not dequeued for the whole persistence time while a worker
 * of that pool blocks on it.  Findings are keyed "wait:<waits.id>";
 * blocking-wait and slow-callback attach to them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "detect.h"
#include "sanitize.h"
#include "store-int.h"

#define TH_PERSIST 0

/* Blocking waits on some thread that lasted (or last, by the horizon) at
 * least the persistence time. */
static const char waits_sql[] =
	"SELECT w.id, w.waiter, w.awaited, w.thread, w.begin_ns, w.end_ns, th.tid, "
	"  th.process, w.timed_out "
	"FROM waits w JOIN threads th ON th.id = w.thread "
	"JOIN processes p ON p.id = th.process "
	"WHERE p.session = ?1 AND w.mode = 0 AND w.begin_ns IS NOT NULL "
	"  AND coalesce(w.end_ns, ?2) - w.begin_ns >= ?3 "
	"ORDER BY w.id";

/* The loop and pool contexts thread ?1 served at ?2, innermost first. */
static const char bound_sql[] =
	"SELECT b.ctx, c.kind, c.name FROM thread_bindings b JOIN contexts c ON c.id = b.ctx "
	"WHERE b.thread = ?1 AND (b.begin_ns IS NULL OR b.begin_ns <= ?2) "
	"  AND (b.end_ns IS NULL OR b.end_ns > ?2) AND c.kind IN (0, 1) "
	"ORDER BY b.begin_ns DESC";

/* X's dependencies targeted at context ?2 that had not started at ?3; for
 * each, when it was queued and started (NULL: not yet), and its antecedent
 * on that path.  The one whose condition lasts longest comes first. */
static const char deps_sql[] =
	"WITH RECURSIVE dep(id, depth) AS ("
	"  SELECT ?1, 0 "
	"  UNION "
	"  SELECT l.src, d.depth + 1 FROM dep d JOIN links l ON l.dst = d.id "
	"  WHERE l.kind = 0 AND l.src IS NOT NULL AND d.depth < 64 "
	"  UNION "
	"  SELECT w.awaited, d.depth + 1 FROM dep d JOIN waits w ON w.waiter = d.id "
	"  WHERE d.depth < 64 AND (w.end_ns IS NULL OR w.end_ns > ?3)) "
	"SELECT t.id, t.scheduled_ns, t.started_ns, "
	"  (SELECT l.src FROM links l WHERE l.dst = t.id AND l.kind = 0 AND l.src IS NOT NULL "
	"   ORDER BY l.id LIMIT 1), min(d.depth) "
	"FROM dep d JOIN tasks t ON t.id = d.id "
	"WHERE (t.ctx = ?2 OR EXISTS (SELECT 1 FROM links l WHERE l.dst = t.id AND l.kind = 0 "
	"        AND l.ctx = ?2)) "
	"  AND (t.started_ns IS NULL OR t.started_ns > ?3) "
	"GROUP BY t.id "
	"ORDER BY t.started_ns IS NULL DESC, t.started_ns DESC, min(d.depth), t.id";

struct dl_wait {
	int64_t id, waiter, awaited, thread, begin, end, tid, process;
	bool timed_out;
};

struct dl_hit {
	int64_t dep, antecedent, ctx, begin, end; /* end TS_NONE: still holds */
	bool queued, loop;
	char ctx_name[96];
};

static int64_t col_opt(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? TS_NONE : sqlite3_column_int64(s, i);
}

/* The deadlock of wait w on context ctx, if it held for `persist` by now:
 * 1 with *h filled, 0 if none, < 0 on error. */
static int dl_on_ctx(struct detect_ctx *c, sqlite3_stmt *deps, const struct dl_wait *w,
		     int64_t ctx, bool loop, int64_t persist, struct dl_hit *h)
{
	int64_t now = detect_now(c);
	int rc, found = 0;

	sqlite3_reset(deps);
	sqlite3_bind_int64(deps, 1, w->awaited);
	sqlite3_bind_int64(deps, 2, ctx);
	sqlite3_bind_int64(deps, 3, w->begin);
	while (!found && (rc = sqlite3_step(deps)) == SQLITE_ROW) {
		int64_t sched = col_opt(deps, 1), start = col_opt(deps, 2);
		int64_t b = w->begin, e = w->end;

		if (!loop) {
			/* A pool: only once D is in the queue. */
			if (sched == TS_NONE)
				continue;
			if (sched > b)
				b = sched;
		}
		if (start != TS_NONE && (e == TS_NONE || start < e))
			e = start;
		if ((e == TS_NONE ? now : e) - b < persist)
			continue;
		h->dep = sqlite3_column_int64(deps, 0);
		h->antecedent = col_opt(deps, 3);
		h->ctx = ctx;
		h->begin = b;
		h->end = e;
		h->queued = sched != TS_NONE && sched <= (e == TS_NONE ? now : e);
		h->loop = loop;
		found = 1;
	}
	if (!found && rc != SQLITE_DONE)
		return detect_fail(c, -EIO, "dependencies: %s", sqlite3_errmsg(detect_db(c)));
	sqlite3_reset(deps);
	return found;
}

static int dl_emit(struct detect_ctx *c, const struct dl_wait *w, const struct dl_hit *h)
{
	char who[160], what[160], dep[160], ante[160], text[1400], key[48], tail[600];
	int64_t until = h->end == TS_NONE ? detect_now(c) : h->end;
	struct finding f = { 0 };

	detect_task_label(c, w->awaited, what, sizeof(what));
	if (h->dep == w->awaited && h->queued)
		snprintf(tail, sizeof(tail), "which is itself queued on '%s' behind the blocked "
			 "thread", h->ctx_name);
	else if (h->dep == w->awaited)
		snprintf(tail, sizeof(tail), "which is itself registered to run on '%s' (it can "
			 "never start while the thread blocks)", h->ctx_name);
	else if (h->queued)
		snprintf(tail, sizeof(tail), "whose dependency %s is queued on '%s' behind the "
			 "blocked thread", detect_task_label(c, h->dep, dep, sizeof(dep)),
			 h->ctx_name);
	else
		snprintf(tail, sizeof(tail), "whose dependency %s is registered to run on '%s'%s%s "
			 "(it can never start while the thread blocks)",
			 detect_task_label(c, h->dep, dep, sizeof(dep)), h->ctx_name,
			 h->antecedent != TS_NONE ? " after " : "",
			 h->antecedent != TS_NONE
				 ? detect_task_label(c, h->antecedent, ante, sizeof(ante)) : "");
	if (w->waiter)
		detect_task_label(c, w->waiter, who, sizeof(who));
	snprintf(text, sizeof(text), "thread %lld (%s '%s') blocked %.2f s%s%s waiting on %s, "
		 "%s%s", (long long)w->tid, h->loop ? "loop" : "pool", h->ctx_name,
		 (double)(until - h->begin) / 1e9, w->waiter ? " in " : "", w->waiter ? who : "",
		 what, tail,
		 h->end == TS_NONE ? "; still blocked"
		 : w->end != TS_NONE && h->end == w->end
			 ? (w->timed_out ? "; the wait timed out" : "; then the wait ended")
			 : "; it held until the dependency started");
	snprintf(key, sizeof(key), "wait:%lld", (long long)w->id);
	f.process = w->process;
	f.key = key;
	f.begin_ns = h->begin;
	f.end_ns = h->end;
	f.value = (double)(until - h->begin) / 1e9;
	f.unit = "s";
	f.message = text;
	if (w->waiter)
		f.tasks[f.ntasks++] = (struct finding_task){ w->waiter, "waiter" };
	f.tasks[f.ntasks++] = (struct finding_task){ w->awaited, "awaited" };
	if (h->dep != w->awaited)
		f.tasks[f.ntasks++] = (struct finding_task){ h->dep, h->queued ? "queued dependency"
									 : "registered dependency" };
	f.thread = w->thread;
	f.ctx = h->ctx;
	return detect_emit(c, &f);
}

static int check(struct detect_ctx *c)
{
	sqlite3_stmt *ws = NULL, *bs = NULL, *ds = NULL;
	int64_t persist = (int64_t)(detect_th(c, TH_PERSIST) * 1e9);
	int rc = 0;

	if (sqlite3_prepare_v2(detect_db(c), waits_sql, -1, &ws, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(detect_db(c), bound_sql, -1, &bs, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(detect_db(c), deps_sql, -1, &ds, NULL) != SQLITE_OK) {
		rc = detect_fail(c, -EIO, "prepare: %s", sqlite3_errmsg(detect_db(c)));
		goto out;
	}
	sqlite3_bind_int64(ws, 1, detect_session(c));
	sqlite3_bind_int64(ws, 2, detect_now(c));
	sqlite3_bind_int64(ws, 3, persist);
	while (rc == 0 && sqlite3_step(ws) == SQLITE_ROW) {
		struct dl_wait w = {
			.id = sqlite3_column_int64(ws, 0),
			.waiter = sqlite3_column_type(ws, 1) == SQLITE_NULL ? 0
									    : sqlite3_column_int64(ws, 1),
			.awaited = sqlite3_column_int64(ws, 2),
			.thread = sqlite3_column_int64(ws, 3),
			.begin = sqlite3_column_int64(ws, 4),
			.end = col_opt(ws, 5),
			.tid = sqlite3_column_int64(ws, 6),
			.process = sqlite3_column_int64(ws, 7),
			.timed_out = sqlite3_column_int(ws, 8) != 0,
		};
		struct dl_hit h = { 0 };
		int found = 0;

		sqlite3_reset(bs);
		sqlite3_bind_int64(bs, 1, w.thread);
		sqlite3_bind_int64(bs, 2, w.begin);
		while (!found && sqlite3_step(bs) == SQLITE_ROW) {
			const unsigned char *n = sqlite3_column_text(bs, 2);

			found = dl_on_ctx(c, ds, &w, sqlite3_column_int64(bs, 0),
					  sqlite3_column_int(bs, 1) == 1, persist, &h);
			if (found > 0)
				sanitize(n ? (const char *)n : "?",
					 n ? (size_t)sqlite3_column_bytes(bs, 2) : 1, h.ctx_name,
					 sizeof(h.ctx_name) - 32, 0);
		}
		sqlite3_reset(bs);
		if (found < 0)
			rc = found;
		else if (found)
			rc = dl_emit(c, &w, &h);
	}
out:
	sqlite3_finalize(ws);
	sqlite3_finalize(bs);
	sqlite3_finalize(ds);
	return rc;
}

const struct detector detect_deadlock = {
	.name = "sync-over-async-deadlock",
	.severity = STORE_SEVERITY_ERROR,
	.summary = "a thread that runs a context blocks waiting on a task whose continuation "
		   "is queued to that same context",
	.condition = "a blocking wait by a thread serving context C on task X, where X or one "
		     "of its antecedents or awaited tasks (transitively) is targeted at C and "
		     "has not started (on a pool: is queued on C), for >= persist",
	.fix = "do not block a loop or pool thread on async work: continue asynchronously "
	       "(weft_then) instead of weft_future_wait, or run the dependency on another "
	       "context",
	.th = {
		{ "persist", 1, "s", "how long the wait cycle must hold" },
	},
	.check = check,
};
