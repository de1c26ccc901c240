/*
 * pool-starvation — work is queued on a pool while every worker is busy or
 * blocked, and the queue does not drain (mirrors the .NET thread pool's
 * starvation gate).
 *
 * The exact record of a pool's queue is its tasks: each one enters at its
 * task_schedule (tasks.scheduled_ns, ctx = the pool) and leaves at its first
 * task_start (or, canceled while queued, at its task_end).  Two conditions,
 * from that record:
 *
 *   - no dequeue: the queue is non-empty and nothing leaves it for
 *     >= no_dequeue (a gap between two dequeues, or from the first
 *     task_schedule after the queue was empty, to the next dequeue or the
 *     horizon).  Gaps that follow one another with the queue never empty in
 *     between are one episode, keyed "gap:<ctx>:<begin>";
 *   - slow drain: in a window (aligned on the session's start, complete by
 *     the horizon, or the last one of an ended recording), the queue wait
 *     (task_start - task_schedule) of the tasks dequeued in it has a p95
 *     (nearest rank) >= p95_wait; consecutive windows are one episode, keyed
 *     "p95:<ctx>:<window begin>".  A window that overlaps a no-dequeue
 *     episode is that episode's, not a second finding.
 *
 * pool_samples corroborate: a sample inside a gap (10 ms from its ends, the
 * runtime coalesces samples over 1 ms) showing an empty queue or an idle
 * worker contradicts the record, and the gap is not reported; so is a gap
 * during which a task of the pool that was started more than once could
 * have been re-run (only its first start is stored).  Only pools with a
 * task that queued at least the smaller threshold are read, so a store
 * without starvation costs one scan of tasks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "sanitize.h"
#include "store-int.h"

#define TH_NO_DEQUEUE 0
#define TH_P95_WAIT 1
#define TH_WINDOW 2

#define PS_MARGIN 10000000LL /* ns: samples this close to a gap's ends are not judged */

struct ps_task {
	int64_t id, sched, leave, end; /* leave, end: TS_NONE if not (yet) */
	int64_t starts;
};

struct ps_pool {
	int64_t ctx, process, workers;
	char name[96];
	struct ps_task *t; /* by sched */
	size_t n;
	int64_t *leave;    /* sorted dequeue times */
	size_t nleave;
	size_t *rerun;     /* indexes in t of tasks started more than once */
	size_t nrerun;
};

static int by_sched(const void *x, const void *y)
{
	const struct ps_task *a = x, *b = y;

	return (a->sched > b->sched) - (a->sched < b->sched);
}

static int by_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

static int64_t col_opt(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? TS_NONE : sqlite3_column_int64(s, i);
}

static int ps_load(struct detect_ctx *c, struct ps_pool *p)
{
	static const char sql[] =
		"SELECT id, scheduled_ns, coalesce(started_ns, ended_ns), ended_ns, starts "
		"FROM tasks WHERE ctx = ?1 AND scheduled_ns IS NOT NULL";
	sqlite3_stmt *s = NULL;
	size_t cap = 0;
	int rc = 0;

	if (sqlite3_prepare_v2(detect_db(c), sql, -1, &s, NULL) != SQLITE_OK)
		return detect_fail(c, -EIO, "prepare: %s", sqlite3_errmsg(detect_db(c)));
	sqlite3_bind_int64(s, 1, p->ctx);
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		if (p->n == cap) {
			void *nt = realloc(p->t, (cap = cap ? cap * 2 : 1024) * sizeof(*p->t));

			if (!nt) {
				rc = detect_fail(c, -ENOMEM, "out of memory");
				break;
			}
			p->t = nt;
		}
		p->t[p->n++] = (struct ps_task){ sqlite3_column_int64(s, 0),
						 sqlite3_column_int64(s, 1), col_opt(s, 2),
						 col_opt(s, 3), sqlite3_column_int64(s, 4) };
	}
	sqlite3_finalize(s);
	if (rc < 0)
		return rc;
	if (p->n)
		qsort(p->t, p->n, sizeof(*p->t), by_sched);
	p->leave = malloc((p->n ? p->n : 1) * sizeof(*p->leave));
	if (!p->leave)
		return detect_fail(c, -ENOMEM, "out of memory");
	for (size_t i = 0; i < p->n; i++) {
		if (p->t[i].leave != TS_NONE)
			p->leave[p->nleave++] = p->t[i].leave;
		if (p->t[i].starts > 1) {
			void *nr = realloc(p->rerun, (p->nrerun + 1) * sizeof(*p->rerun));

			if (!nr)
				return detect_fail(c, -ENOMEM, "out of memory");
			p->rerun = nr;
			p->rerun[p->nrerun++] = i;
		}
	}
	if (p->nleave)
		qsort(p->leave, p->nleave, sizeof(*p->leave), by_i64);
	return 0;
}

/* Do the pool's samples in (b, e) contradict "queue non-empty, every worker
 * busy"?  1 yes, 0 no, < 0 error. */
static int ps_contradicted(struct detect_ctx *c, int64_t ctx, int64_t b, int64_t e)
{
	static const char sql[] =
		"SELECT count(*) FROM pool_samples WHERE ctx = ?1 AND ts_ns > ?2 AND ts_ns < ?3 "
		"  AND (queued = 0 OR busy < workers)";
	sqlite3_stmt *s = NULL;
	int rc;

	if (e - b <= 2 * PS_MARGIN)
		return 0;
	if (sqlite3_prepare_v2(detect_db(c), sql, -1, &s, NULL) != SQLITE_OK)
		return detect_fail(c, -EIO, "prepare: %s", sqlite3_errmsg(detect_db(c)));
	sqlite3_bind_int64(s, 1, ctx);
	sqlite3_bind_int64(s, 2, b + PS_MARGIN);
	sqlite3_bind_int64(s, 3, e - PS_MARGIN);
	rc = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) > 0 : -EIO;
	sqlite3_finalize(s);
	return rc < 0 ? detect_fail(c, rc, "samples: %s", sqlite3_errmsg(detect_db(c))) : rc;
}

/* Index of the first dequeue >= x. */
static size_t lower_bound(const int64_t *v, size_t n, int64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index of the first task (by schedule) scheduled at or after x. */
static size_t lower_bound_sched(const struct ps_pool *p, int64_t x)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (p->t[mid].sched < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A task of the pool started more than once whose runs may fall in [b, e]. */
static bool ps_reruns(const struct ps_pool *p, int64_t b, int64_t e)
{
	for (size_t j = 0; j < p->nrerun; j++) {
		const struct ps_task *t = &p->t[p->rerun[j]];

		if (t->starts > 1 && t->leave != TS_NONE && t->leave < e &&
		    (t->end == TS_NONE || t->end > b))
			return true;
	}
	return false;
}

/* "; 4 of them blocked ..., most in 'read(...)'" for workers of the pool in
 * a synchronous block over all of [b, e] (but its ends: a worker blocks just
 * after its dequeue and is released just before the next). */
static void ps_blocked(struct detect_ctx *c, const struct ps_pool *p, int64_t b, int64_t e,
		       char *out, size_t len)
{
	static const char sql[] =
		"SELECT count(DISTINCT bl.thread), r.s, "
		"  (SELECT count(DISTINCT bl2.thread) FROM thread_bindings tb2 "
		"   JOIN blocks bl2 ON bl2.thread = tb2.thread AND bl2.begin_ns <= ?2 "
		"     AND (bl2.end_ns IS NULL OR bl2.end_ns >= ?3) WHERE tb2.ctx = ?1) "
		"FROM thread_bindings tb JOIN blocks bl ON bl.thread = tb.thread "
		"LEFT JOIN strings r ON r.id = bl.reason "
		"WHERE tb.ctx = ?1 AND bl.begin_ns <= ?2 AND (bl.end_ns IS NULL OR bl.end_ns >= ?3) "
		"GROUP BY bl.reason ORDER BY 1 DESC, bl.reason LIMIT 1";
	sqlite3_stmt *s = NULL;

	out[0] = '\0';
	if (sqlite3_prepare_v2(detect_db(c), sql, -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(s, 1, p->ctx);
	sqlite3_bind_int64(s, 2, b + PS_MARGIN);
	sqlite3_bind_int64(s, 3, e - PS_MARGIN);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 2) > 0) {
		const unsigned char *r = sqlite3_column_text(s, 1);
		char reason[96];

		sanitize(r ? (const char *)r : "?", r ? (size_t)sqlite3_column_bytes(s, 1) : 1,
			 reason, 64, 0);
		snprintf(out, len, "; %lld of them blocked in synchronous calls the whole time, "
			 "most in '%s'",
			 (long long)sqlite3_column_int64(s, 2), reason);
	}
	sqlite3_finalize(s);
}

struct ps_episode {
	int64_t begin, end;  /* end TS_NONE: still open */
	int64_t value;       /* longest gap or p95, ns */
	int64_t waited;      /* tasks that waited */
	int64_t first;       /* tasks.id of the oldest waiting task */
};

static int ps_emit(struct detect_ctx *c, const struct ps_pool *p, const struct ps_episode *ep,
		   bool gap)
{
	char key[64], text[900], first[160], blocked[200] = "", workers[48] = "";
	int64_t until = ep->end == TS_NONE ? detect_now(c) : ep->end;
	struct finding f = { 0 };

	detect_task_label(c, ep->first, first, sizeof(first));
	if (p->workers > 0)
		snprintf(workers, sizeof(workers), " (%lld workers)", (long long)p->workers);
	if (gap) {
		ps_blocked(c, p, ep->begin, until, blocked, sizeof(blocked));
		snprintf(text, sizeof(text),
			 "pool '%s'%s dequeued nothing for %.2f s while %lld task%s waited in its "
			 "queue, every worker busy%s; first in line: %s", p->name, workers,
			 (double)ep->value / 1e9, (long long)ep->waited, ep->waited == 1 ? "" : "s",
			 blocked, first);
	} else {
		snprintf(text, sizeof(text),
			 "pool '%s'%s drains too slowly: queue wait p95 %.2f s over %lld task%s "
			 "dequeued from %.3f s to %.3f s; slowest: %s", p->name, workers,
			 (double)ep->value / 1e9, (long long)ep->waited, ep->waited == 1 ? "" : "s",
			 (double)ep->begin / 1e9, (double)until / 1e9, first);
	}
	snprintf(key, sizeof(key), "%s:%lld:%lld", gap ? "gap" : "p95", (long long)p->ctx,
		 (long long)ep->begin);
	f.process = p->process;
	f.key = key;
	f.begin_ns = ep->begin;
	f.end_ns = ep->end;
	f.value = (double)ep->value / 1e9;
	f.unit = "s";
	f.message = text;
	f.tasks[0] = (struct finding_task){ ep->first, gap ? "first in line" : "slowest" };
	f.ntasks = 1;
	f.ctx = p->ctx;
	return detect_emit(c, &f);
}

/* The no-dequeue episodes; their ranges in *eps (for the p95 rule). */
static int ps_gaps(struct detect_ctx *c, struct ps_pool *p, int64_t limit,
		   struct ps_episode **eps, size_t *neps)
{
	int64_t now = detect_now(c);
	struct ps_episode ep = { 0 };
	size_t si = 0, li = 0; /* schedules / dequeues at or before the cursor */
	size_t oldest_k = 0;
	bool have = false;
	int rc = 0;

	/* Walk the dequeues d_0 < d_1 < ...; gap i runs from d_{i-1} (or the
	 * first schedule after it, if the queue was empty) to d_i (or now). */
	for (size_t i = 0; i <= p->nleave && rc == 0; i++) {
		int64_t prev = i ? p->leave[i - 1] : TS_NONE;
		int64_t next = i < p->nleave ? p->leave[i] : TS_NONE;
		int64_t b, e = next == TS_NONE ? now : next, queued;
		bool open = next == TS_NONE;

		while (si < p->n && prev != TS_NONE && p->t[si].sched <= prev)
			si++;
		li = i;
		queued = (int64_t)si - (int64_t)li;
		if (queued > 0)
			b = prev;
		else if (si < p->n && p->t[si].sched < e)
			b = p->t[si].sched;
		else
			b = TS_NONE;
		if (b != TS_NONE && e - b >= limit) {
			int bad = ps_contradicted(c, p->ctx, b, e);

			if (bad < 0)
				return bad;
			if (bad || ps_reruns(p, b, e))
				b = TS_NONE;
		}
		if (b != TS_NONE && e - b >= limit) {
			/* waiting just before e: scheduled before it, not left by it;
			 * the oldest is the first, in schedule order, not gone yet
			 * (the cursor only moves forward, as e does) */
			int64_t waiting = (int64_t)lower_bound_sched(p, e) -
					  (int64_t)lower_bound(p->leave, p->nleave, e);
			int64_t oldest = 0;

			while (oldest_k < p->n && p->t[oldest_k].leave != TS_NONE &&
			       p->t[oldest_k].leave < e)
				oldest_k++;
			if (oldest_k < p->n)
				oldest = p->t[oldest_k].id;
			if (have && ep.end == b) {
				if (e - b > ep.value)
					ep.value = e - b;
				if (waiting > ep.waited)
					ep.waited = waiting;
			} else {
				if (have) {
					rc = ps_emit(c, p, &ep, true);
					if (rc < 0)
						return rc;
				}
				ep = (struct ps_episode){ b, e, e - b, waiting, oldest };
				have = true;
			}
			ep.end = e;
			if (open)
				ep.end = TS_NONE;
			if (have) {
				void *ne = realloc(*eps, (*neps + 1) * sizeof(**eps));

				if (!ne)
					return detect_fail(c, -ENOMEM, "out of memory");
				*eps = ne;
				(*eps)[(*neps)++] = (struct ps_episode){ b, open ? now : e, 0, 0, 0 };
			}
		}
	}
	if (have)
		rc = ps_emit(c, p, &ep, true);
	return rc;
}

struct ps_wait {
	int64_t start, wait, id;
};

static int by_start(const void *x, const void *y)
{
	const struct ps_wait *a = x, *b = y;

	return (a->start > b->start) - (a->start < b->start);
}

static int by_wait(const void *x, const void *y)
{
	const struct ps_wait *a = x, *b = y;

	return (a->wait > b->wait) - (a->wait < b->wait);
}

/* The slow-drain windows outside the no-dequeue episodes. */
static int ps_p95(struct detect_ctx *c, struct ps_pool *p, int64_t p95_wait, int64_t window,
		  const struct ps_episode *gaps, size_t ngaps)
{
	int64_t now = detect_now(c);
	struct ps_wait *w = NULL;
	struct ps_episode ep = { 0 };
	size_t n = 0, i, j;
	bool have = false;
	int rc = 0;

	if (window <= 0)
		return 0;
	w = malloc((p->n ? p->n : 1) * sizeof(*w));
	if (!w)
		return detect_fail(c, -ENOMEM, "out of memory");
	for (i = 0; i < p->n; i++) {
		const struct ps_task *t = &p->t[i];

		/* dequeued by a start (a canceled task's end is no queue wait) */
		if (t->leave != TS_NONE && (t->end == TS_NONE || t->leave != t->end ||
					    t->starts > 0))
			w[n++] = (struct ps_wait){ t->leave, t->leave - t->sched, t->id };
	}
	if (n)
		qsort(w, n, sizeof(*w), by_start);
	for (i = 0; i < n && rc == 0; i = j) {
		int64_t wb = w[i].start >= 0 ? w[i].start / window * window
					     : -((-w[i].start + window - 1) / window) * window;
		int64_t we = wb + window, p95;
		size_t cnt, rank, g;
		bool overlap = false;

		for (j = i; j < n && w[j].start < we; j++)
			;
		if (we > now && !detect_final(c))
			break;
		cnt = j - i;
		qsort(w + i, cnt, sizeof(*w), by_wait);
		rank = (cnt * 95 + 99) / 100;
		p95 = w[i + rank - 1].wait;
		for (g = 0; g < ngaps && !overlap; g++)
			overlap = gaps[g].begin <= we && gaps[g].end >= wb;
		if (p95 < p95_wait || overlap) {
			if (have) {
				rc = ps_emit(c, p, &ep, false);
				have = false;
			}
			continue;
		}
		if (have && ep.end == wb) {
			ep.end = we;
			ep.waited += (int64_t)cnt;
			if (p95 > ep.value) {
				ep.value = p95;
				ep.first = w[j - 1].id;
			}
		} else {
			if (have)
				rc = ps_emit(c, p, &ep, false);
			ep = (struct ps_episode){ wb, we, p95, (int64_t)cnt, w[j - 1].id };
			have = true;
		}
	}
	if (rc == 0 && have)
		rc = ps_emit(c, p, &ep, false);
	free(w);
	return rc;
}

static int check(struct detect_ctx *c)
{
	/* Pools with a task that queued at least the smaller threshold (by
	 * its dequeue, or by the horizon while still queued). */
	static const char sql[] =
		"SELECT c.id, c.process, c.name, c.workers "
		"FROM contexts c JOIN processes p ON p.id = c.process "
		"WHERE p.session = ?1 AND c.kind = 0 AND c.id IN ("
		"  SELECT t.ctx FROM tasks t WHERE t.scheduled_ns IS NOT NULL "
		"    AND coalesce(t.started_ns, t.ended_ns, ?2) - t.scheduled_ns >= ?3) "
		"ORDER BY c.id";
	int64_t no_dequeue = (int64_t)(detect_th(c, TH_NO_DEQUEUE) * 1e6);
	int64_t p95_wait = (int64_t)(detect_th(c, TH_P95_WAIT) * 1e6);
	int64_t window = (int64_t)(detect_th(c, TH_WINDOW) * 1e9);
	sqlite3_stmt *s = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(detect_db(c), sql, -1, &s, NULL) != SQLITE_OK)
		return detect_fail(c, -EIO, "prepare: %s", sqlite3_errmsg(detect_db(c)));
	sqlite3_bind_int64(s, 1, detect_session(c));
	sqlite3_bind_int64(s, 2, detect_now(c));
	sqlite3_bind_int64(s, 3, no_dequeue < p95_wait ? no_dequeue : p95_wait);
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		struct ps_pool p = { .ctx = sqlite3_column_int64(s, 0),
				     .process = sqlite3_column_int64(s, 1),
				     .workers = sqlite3_column_int64(s, 3) };
		const unsigned char *n = sqlite3_column_text(s, 2);
		struct ps_episode *gaps = NULL;
		size_t ngaps = 0;

		sanitize(n ? (const char *)n : "?", n ? (size_t)sqlite3_column_bytes(s, 2) : 1, p.name,
			 64, 0);
		rc = ps_load(c, &p);
		if (rc == 0)
			rc = ps_gaps(c, &p, no_dequeue, &gaps, &ngaps);
		if (rc == 0)
			rc = ps_p95(c, &p, p95_wait, window, gaps, ngaps);
		free(gaps);
		free(p.t);
		free(p.leave);
		free(p.rerun);
	}
	sqlite3_finalize(s);
	return rc;
}

const struct detector detect_pool_starvation = {
	.name = "pool-starvation",
	.severity = STORE_SEVERITY_ERROR,
	.summary = "work queued on a pool while every worker is busy or blocked, and the queue "
		   "does not drain",
	.condition = "the pool's queue (task_schedule .. task_start) is non-empty with no dequeue "
		     "for >= no_dequeue, or the queue wait p95 of the tasks dequeued in a window "
		     ">= p95_wait; pool_samples must not contradict it",
	.fix = "do not hold workers in synchronous I/O, locks or blocking waits (make them "
	       "async), give blocking work its own pool, or size the pool for it",
	.th = {
		{ "no_dequeue", 500, "ms", "longest time the queue may sit still" },
		{ "p95_wait", 500, "ms", "highest acceptable queue wait p95 in a window" },
		{ "window", 1, "s", "window of the p95 rule" },
	},
	.check = check,
};
