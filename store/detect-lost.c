/*
 * lost-task — scheduled work that never runs or never completes, and the
 * continuations nobody will ever resume.
 *
 * Every task the store knows to be unfinished (tasks.ended_ns NULL, index
 * tasks_open) gets a verdict, computed from what can still wake it up:
 *
 *  - created only, no antecedent: a promise nobody completed, or a task
 *    never queued.  Lost once it has been so for `persist` by the horizon,
 *    or at the end of the trace.  A timer (kind timer) is never judged: its
 *    deadline is not in the trace, so it may still be ahead.
 *  - created only, with antecedents (continuation_add: a continuation,
 *    when_all, when_any): it waits for them.  Lost with them when they are
 *    lost (a continuation, when_all: any of them; when_any: all of them),
 *    and lost on its own when what it waits for is over (every antecedent
 *    ended; for when_any, any) and it still was not dispatched `persist`
 *    later, or by the end of the trace.
 *  - queued, not started: lost once queued for `persist` (or at the end)
 *    while nothing runs on its context; work still running there may be
 *    draining the queue in front of it (or be starving it: pool-starvation's
 *    business), so then it says nothing.
 *  - started, not ended: a running task needs no wake-up; it is lost only
 *    when it is blocked in a wait (wait_begin mode block, still open) on a
 *    task that is lost.  In a synchronous call (block_begin) or a wait on
 *    anything else it may yet return.
 *
 * One root cause, one finding: the task whose own state makes it lost is
 * the finding; what is lost because of it (its continuations, a task
 * blocked on it, transitively) gets a finding attached to the root's.
 * Cycles (a deadlock) decide nothing here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "sanitize.h"
#include "store-int.h"

enum { TH_PERSIST };

enum verdict { V_NEW, V_BUSY, V_UNSURE, V_ROOT, V_DEP };

enum why {
	WHY_NEVER_COMPLETED, /* created, no antecedent: nothing will complete it */
	WHY_NEVER_QUEUED,    /* a work task created but never queued */
	WHY_UNDISPATCHED,    /* its antecedents are over, it never ran */
	WHY_QUEUED,          /* queued on an idle context, never started */
};

struct lt {
	int64_t id, process, kind, created, scheduled, started, ctx, thread;
	enum verdict v;
	enum why why;
	int64_t since;  /* V_ROOT: since when it has been lost */
	int64_t cause;  /* V_DEP: the lost task it waits on (a candidate's id) */
	int64_t root;   /* V_DEP: the root cause */
	const char *via; /* V_DEP: "antecedent" or "blocking wait" */
};

struct lost {
	struct detect_ctx *c;
	struct lt *t;
	size_t n;
	int64_t persist;
	struct hmap busy; /* (ctx, 1): a context with a task still running on it */
	sqlite3_stmt *ante, *wait, *waits_on, *ctxname;
};

static int cmp_id(const void *k, const void *e)
{
	int64_t a = *(const int64_t *)k, b = ((const struct lt *)e)->id;

	return a < b ? -1 : a > b;
}

static struct lt *find(struct lost *l, int64_t id)
{
	return bsearch(&id, l->t, l->n, sizeof(*l->t), cmp_id);
}

static int64_t col_opt(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? TS_NONE : sqlite3_column_int64(s, i);
}

/* Has it been so long enough to count, by the horizon or at the end? */
static bool held(struct lost *l, int64_t since)
{
	return detect_final(l->c) || detect_now(l->c) - since >= l->persist;
}

static bool ctx_busy(struct lost *l, int64_t ctx)
{
	return hmap_get(&l->busy, (uint64_t)ctx, 1) != NULL;
}

static void judge(struct lost *l, struct lt *t);

/* Marks t lost because of candidate `cause` (already judged lost). */
static void depend(struct lt *t, struct lt *cause, const char *via)
{
	t->v = V_DEP;
	t->cause = cause->id;
	t->root = cause->v == V_ROOT ? cause->id : cause->root;
	t->via = via;
}

static void judge_created(struct lost *l, struct lt *t)
{
	int64_t all_ended = TS_NONE, any_ended = TS_NONE;
	struct lt *first_lost = NULL;
	size_t nante = 0, nlost = 0, npending = 0;

	sqlite3_reset(l->ante);
	sqlite3_bind_int64(l->ante, 1, t->id);
	while (sqlite3_step(l->ante) == SQLITE_ROW) {
		int64_t a = sqlite3_column_int64(l->ante, 0), end = col_opt(l->ante, 1);
		struct lt *at;

		nante++;
		if (end != TS_NONE) {
			if (all_ended == TS_NONE || end > all_ended)
				all_ended = end;
			if (any_ended == TS_NONE || end < any_ended)
				any_ended = end;
			continue;
		}
		at = find(l, a);
		if (at)
			judge(l, at);
		if (at && (at->v == V_ROOT || at->v == V_DEP)) {
			nlost++;
			if (!first_lost)
				first_lost = at;
		} else {
			npending++;
		}
	}
	sqlite3_reset(l->ante);
	if (nante == 0) {
		/* No antecedent: a timer may still fire; a continuation or a
		 * combinator without its inputs in the trace is not understood. */
		if (t->kind == WEFT_TASK_TIMER || t->kind == WEFT_TASK_CONTINUATION ||
		    t->kind == WEFT_TASK_WHEN_ALL || t->kind == WEFT_TASK_WHEN_ANY)
			return;
		if (held(l, t->created)) {
			t->v = V_ROOT;
			t->why = t->kind == WEFT_TASK_IO ? WHY_NEVER_COMPLETED : WHY_NEVER_QUEUED;
			t->since = t->created;
		}
		return;
	}
	if (t->kind == WEFT_TASK_WHEN_ANY) {
		if (any_ended != TS_NONE) {
			if (held(l, any_ended)) {
				t->v = V_ROOT;
				t->why = WHY_UNDISPATCHED;
				t->since = any_ended;
			}
		} else if (npending == 0 && first_lost) {
			depend(t, first_lost, "input");
		}
		return;
	}
	if (first_lost) {
		depend(t, first_lost, t->kind == WEFT_TASK_WHEN_ALL ? "input" : "antecedent");
	} else if (npending == 0 && held(l, all_ended)) {
		t->v = V_ROOT;
		t->why = WHY_UNDISPATCHED;
		t->since = all_ended;
	}
}

static void judge_running(struct lost *l, struct lt *t)
{
	struct lt *cause = NULL;

	sqlite3_reset(l->wait);
	sqlite3_bind_int64(l->wait, 1, t->id);
	while (!cause && sqlite3_step(l->wait) == SQLITE_ROW) {
		struct lt *at = find(l, sqlite3_column_int64(l->wait, 0));

		if (at)
			judge(l, at);
		if (at && (at->v == V_ROOT || at->v == V_DEP))
			cause = at;
	}
	sqlite3_reset(l->wait);
	if (cause)
		depend(t, cause, "blocking wait");
}

static void judge(struct lost *l, struct lt *t)
{
	if (t->v != V_NEW)
		return;
	t->v = V_BUSY; /* a cycle through t decides nothing */
	if (t->created == TS_NONE) {
		/* A placeholder: its beginning is not in the trace. */
	} else if (t->started != TS_NONE) {
		judge_running(l, t);
	} else if (t->scheduled != TS_NONE) {
		if (t->ctx && !ctx_busy(l, t->ctx) && held(l, t->scheduled)) {
			t->v = V_ROOT;
			t->why = WHY_QUEUED;
			t->since = t->scheduled;
		}
	} else {
		judge_created(l, t);
	}
	if (t->v == V_BUSY)
		t->v = V_UNSURE;
}

static int load(struct lost *l)
{
	static const char sql[] =
		"SELECT t.id, t.process, coalesce(t.kind, -1), t.created_ns, t.scheduled_ns, "
		"  t.started_ns, t.ctx, t.started_thread "
		"FROM processes p JOIN tasks t ON t.process = p.id AND t.ended_ns IS NULL "
		"WHERE p.session = ?1 ORDER BY t.id";
	struct detect_ctx *c = l->c;
	sqlite3_stmt *s = NULL;
	size_t cap = 0;
	int rc = 0;

	if (sqlite3_prepare_v2(detect_db(c), sql, -1, &s, NULL) != SQLITE_OK)
		return detect_fail(c, -EIO, "prepare: %s", sqlite3_errmsg(detect_db(c)));
	sqlite3_bind_int64(s, 1, detect_session(c));
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		struct lt *t;

		if (l->n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct lt *nt = realloc(l->t, ncap * sizeof(*nt));

			if (!nt) {
				rc = detect_fail(c, -ENOMEM, "out of memory");
				break;
			}
			l->t = nt;
			cap = ncap;
		}
		t = &l->t[l->n++];
		*t = (struct lt){ .id = sqlite3_column_int64(s, 0),
				  .process = sqlite3_column_int64(s, 1),
				  .kind = sqlite3_column_int64(s, 2),
				  .created = col_opt(s, 3),
				  .scheduled = col_opt(s, 4),
				  .started = col_opt(s, 5),
				  .ctx = sqlite3_column_type(s, 6) == SQLITE_NULL
						 ? 0 : sqlite3_column_int64(s, 6),
				  .thread = sqlite3_column_type(s, 7) == SQLITE_NULL
						    ? 0 : sqlite3_column_int64(s, 7),
				  .v = V_NEW };
		if (t->ctx && t->started != TS_NONE && hmap_put(&l->busy, (uint64_t)t->ctx, 1, 1) < 0)
			rc = detect_fail(c, -ENOMEM, "out of memory");
	}
	sqlite3_finalize(s);
	return rc;
}

static const char *ctx_name(struct lost *l, int64_t ctx, char *buf, size_t len)
{
	const unsigned char *n = NULL;

	snprintf(buf, len, "?");
	sqlite3_reset(l->ctxname);
	sqlite3_bind_int64(l->ctxname, 1, ctx);
	if (sqlite3_step(l->ctxname) == SQLITE_ROW && (n = sqlite3_column_text(l->ctxname, 0)))
		sanitize((const char *)n, (size_t)sqlite3_column_bytes(l->ctxname, 0), buf,
			 len < 61 ? len : 61, 0);
	sqlite3_reset(l->ctxname);
	return buf;
}

static const char *kind_word(int64_t kind)
{
	switch (kind) {
	case WEFT_TASK_IO: return "promise";
	case WEFT_TASK_CONTINUATION: return "continuation";
	case WEFT_TASK_WHEN_ALL: return "when_all";
	case WEFT_TASK_WHEN_ANY: return "when_any";
	case WEFT_TASK_DETACHED: return "detached task";
	default: return "task";
	}
}

static int emit_root(struct lost *l, struct lt *t)
{
	struct detect_ctx *c = l->c;
	char label[160], other[160], cname[64], what[320], waits[200], deps[400], text[1100],
		key[48];
	int64_t now = detect_now(c), nwaits = 0, ntimed = 0, gave_up = 0;
	struct finding f = { 0 };
	size_t i, ndeps = 0;
	int dl = 0;

	detect_task_label(c, t->id, label, sizeof(label));
	switch (t->why) {
	case WHY_NEVER_COMPLETED:
		snprintf(what, sizeof(what), "%s %s, created at %.3f s, was never completed",
			 kind_word(t->kind), label, (double)t->created / 1e9);
		break;
	case WHY_NEVER_QUEUED:
		snprintf(what, sizeof(what), "%s %s, created at %.3f s, was never queued nor run",
			 kind_word(t->kind), label, (double)t->created / 1e9);
		break;
	case WHY_UNDISPATCHED:
		snprintf(what, sizeof(what),
			 "%s %s, created at %.3f s, never ran although what it waits for was "
			 "over at %.3f s", kind_word(t->kind), label, (double)t->created / 1e9,
			 (double)t->since / 1e9);
		break;
	case WHY_QUEUED:
		snprintf(what, sizeof(what),
			 "%s %s, queued on '%s' at %.3f s, never started while nothing else ran "
			 "there", kind_word(t->kind), label, ctx_name(l, t->ctx, cname, sizeof(cname)),
			 (double)t->scheduled / 1e9);
		break;
	}
	sqlite3_reset(l->waits_on);
	sqlite3_bind_int64(l->waits_on, 1, t->id);
	if (sqlite3_step(l->waits_on) == SQLITE_ROW) {
		nwaits = sqlite3_column_int64(l->waits_on, 0);
		ntimed = sqlite3_column_int64(l->waits_on, 1);
		gave_up = sqlite3_column_int64(l->waits_on, 2);
	}
	sqlite3_reset(l->waits_on);
	waits[0] = '\0';
	if (ntimed)
		snprintf(waits, sizeof(waits), "; %lld wait%s on it gave up (timed out after "
			 "%.3f s)", (long long)ntimed, ntimed > 1 ? "s" : "", (double)gave_up / 1e9);
	else if (nwaits)
		snprintf(waits, sizeof(waits), "; %lld wait%s on it", (long long)nwaits,
			 nwaits > 1 ? "s" : "");
	f.tasks[f.ntasks++] = (struct finding_task){ t->id, "lost" };
	deps[0] = '\0';
	for (i = 0; i < l->n; i++) {
		if (l->t[i].v != V_DEP || l->t[i].root != t->id)
			continue;
		if (ndeps < 3)
			dl += snprintf(deps + dl, sizeof(deps) - (size_t)dl, "%s%s", ndeps ? ", " : "",
				       detect_task_label(c, l->t[i].id, other, sizeof(other)));
		if (f.ntasks < FINDING_MAX_TASKS)
			f.tasks[f.ntasks++] = (struct finding_task){ l->t[i].id, "waits on it" };
		ndeps++;
	}
	if (ndeps > 3)
		snprintf(deps + dl, sizeof(deps) - (size_t)dl, " and %zu more", ndeps - 3);
	snprintf(text, sizeof(text), "%s: still pending %.3f s later %s%s%s%s", what,
		 (double)(now - t->since) / 1e9,
		 detect_final(c) ? "at the end of the trace" : "by the horizon", waits,
		 ndeps ? "; never resumed because of it: " : "", deps);
	snprintf(key, sizeof(key), "task:%lld", (long long)t->id);
	f.process = t->process;
	f.key = key;
	f.begin_ns = t->since;
	f.end_ns = detect_final(c) ? now : TS_NONE;
	f.value = (double)(now - t->since) / 1e9;
	f.unit = "s";
	f.message = text;
	f.thread = t->thread;
	f.ctx = t->ctx;
	return detect_emit(c, &f);
}

static int emit_dep(struct lost *l, struct lt *t)
{
	struct detect_ctx *c = l->c;
	char label[160], cause[160], root[160], text[700], key[48], rkey[48];
	int64_t now = detect_now(c);
	struct finding f = { 0 };

	detect_task_label(c, t->id, label, sizeof(label));
	detect_task_label(c, t->cause, cause, sizeof(cause));
	detect_task_label(c, t->root, root, sizeof(root));
	if (t->cause == t->root)
		snprintf(text, sizeof(text),
			 "%s %s, created at %.3f s, will never %s: its %s %s is lost", kind_word(t->kind),
			 label, (double)t->created / 1e9,
			 t->started != TS_NONE ? "complete" : "run", t->via, cause);
	else
		snprintf(text, sizeof(text),
			 "%s %s, created at %.3f s, will never %s: its %s %s waits on the lost %s",
			 kind_word(t->kind), label, (double)t->created / 1e9,
			 t->started != TS_NONE ? "complete" : "run", t->via, cause, root);
	snprintf(key, sizeof(key), "task:%lld", (long long)t->id);
	snprintf(rkey, sizeof(rkey), "task:%lld", (long long)t->root);
	f.process = t->process;
	f.key = key;
	f.begin_ns = t->created;
	f.end_ns = detect_final(c) ? now : TS_NONE;
	f.value = (double)(now - t->created) / 1e9;
	f.unit = "s";
	f.message = text;
	f.tasks[0] = (struct finding_task){ t->id, "never resumed" };
	f.tasks[1] = (struct finding_task){ t->cause, t->via };
	f.ntasks = 2;
	if (t->root != t->cause)
		f.tasks[f.ntasks++] = (struct finding_task){ t->root, "lost" };
	f.thread = t->thread;
	f.ctx = t->ctx;
	f.attach_detector = "lost-task";
	f.attach_key = rkey;
	return detect_emit(c, &f);
}

static int prepare(struct lost *l, sqlite3_stmt **s, const char *sql)
{
	if (sqlite3_prepare_v2(detect_db(l->c), sql, -1, s, NULL) != SQLITE_OK)
		return detect_fail(l->c, -EIO, "prepare: %s", sqlite3_errmsg(detect_db(l->c)));
	return 0;
}

static int check(struct detect_ctx *c)
{
	struct lost l = { .c = c, .persist = (int64_t)(detect_th(c, TH_PERSIST) * 1e9) };
	size_t i;
	int rc;

	rc = prepare(&l, &l.ante,
		     "SELECT l.src, a.ended_ns FROM links l JOIN tasks a ON a.id = l.src "
		     "WHERE l.dst = ?1 AND l.kind = 0");
	if (rc == 0)
		rc = prepare(&l, &l.wait,
			     "SELECT awaited FROM waits WHERE waiter = ?1 AND mode = 0 "
			     "AND end_ns IS NULL");
	if (rc == 0)
		rc = prepare(&l, &l.waits_on,
			     "SELECT count(*), count(CASE WHEN timed_out = 1 THEN 1 END), "
			     "  max(CASE WHEN timed_out = 1 THEN end_ns - begin_ns END) "
			     "FROM waits WHERE awaited = ?1");
	if (rc == 0)
		rc = prepare(&l, &l.ctxname, "SELECT name FROM contexts WHERE id = ?1");
	if (rc == 0)
		rc = load(&l);
	for (i = 0; rc == 0 && i < l.n; i++)
		judge(&l, &l.t[i]);
	/* Roots first: a dependent's finding is attached to its root's. */
	for (i = 0; rc == 0 && i < l.n; i++)
		if (l.t[i].v == V_ROOT)
			rc = emit_root(&l, &l.t[i]);
	for (i = 0; rc == 0 && i < l.n; i++)
		if (l.t[i].v == V_DEP)
			rc = emit_dep(&l, &l.t[i]);
	sqlite3_finalize(l.ante);
	sqlite3_finalize(l.wait);
	sqlite3_finalize(l.waits_on);
	sqlite3_finalize(l.ctxname);
	free(l.t);
	hmap_free(&l.busy);
	return rc;
}

const struct detector detect_lost_task = {
	.name = "lost-task",
	.severity = STORE_SEVERITY_ERROR,
	.summary = "scheduled work that never runs or never completes; a continuation nobody "
		   "will ever resume",
	.condition = "a task created (not a timer) or queued and not started, or blocked in a "
		     "wait on such a task, for >= persist by the horizon or at the end of the "
		     "trace, with no pending wake-up: not queued behind work still running on "
		     "its context, not waiting on an antecedent that may still complete; what "
		     "waits on a lost task is attached to it",
	.fix = "complete or fail every promise on every path (error and reconnect paths "
	       "too), cancel what will never run, and give waits a timeout that reports",
	.th = {
		{ "persist", 5, "s", "how long a task stays pending before it counts as lost "
				     "(at the end of the trace: any time)" },
	},
	.check = check,
};
