/*
 * needless-marshal — continuations that hop back to a loop context only to
 * run a few microseconds of work there (library code that captures "the
 * context it was called from": C#'s missing ConfigureAwait(false)).
 *
 * A marshal (links kind 1) posts a continuation from the context that
 * completed its antecedent to another one.  The marshals to one loop context
 * (contexts.kind loop) form a chain when each descends from the previous
 * one (climbing tasks.parent: the continuation that starts the next step
 * is created by the previous hop), so sibling operations that each hop back
 * once to show their result are separate chains of one hop.  A chain
 * hops needlessly when at
 * least `min_marshals` of its marshalled continuations ran, fewer than a
 * quarter of them ran `max_run` or longer, and their time was dominated by
 * waiting in the loop's queue (queue wait, task_schedule to task_start,
 * more than half of queue wait plus run time).  Heavy continuations on the
 * loop mean the chain may have a reason to be there: a quarter or more of
 * them, silent.  Not "any": a run time is start to end on the wall clock,
 * so a few-microsecond continuation that the kernel or the hypervisor
 * preempts shows milliseconds; with "any", one such hop of 64 silenced the
 * chain of the needless-marshal example on a loaded 2-CPU machine.
 *
 * Severity info: the program is correct; the cost is latency on the chain
 * and interruptions of the loop, quantified in the message (like
 * serial-fan-out), and a CI gate on warnings should not trip on it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "sanitize.h"
#include "store-int.h"

enum { TH_MIN_MARSHALS, TH_MAX_RUN };

struct hop {
	int64_t chain, ctx, task, process, from_ctx, sched, start, end;
};

static int cmp_hop(const void *a, const void *b)
{
	const struct hop *x = a, *y = b;

	if (x->process != y->process)
		return x->process < y->process ? -1 : 1;
	if (x->chain != y->chain)
		return x->chain < y->chain ? -1 : 1;
	return (x->sched > y->sched) - (x->sched < y->sched);
}

/* The chain of hop `task` (to context ctx): the chain of the nearest hop
 * to ctx among its ancestors (tasks.parent: the step that created it), or a
 * new chain that it starts.  Hops are taken in queue order, so an earlier
 * hop is in `chains` (task -> its chain's first hop) before its successors. */
static int64_t chain_of(sqlite3_stmt *up, struct hmap *chains, struct hmap *hopctx,
			int64_t task, int64_t ctx)
{
	int64_t cur = task, *v, chain = task;
	int depth;

	for (depth = 0; depth < 64; depth++) {
		sqlite3_reset(up);
		sqlite3_bind_int64(up, 1, cur);
		if (sqlite3_step(up) != SQLITE_ROW || sqlite3_column_type(up, 0) == SQLITE_NULL)
			break;
		cur = sqlite3_column_int64(up, 0);
		v = hmap_get(hopctx, (uint64_t)cur, 1);
		if (v && *v == ctx) {
			chain = *hmap_get(chains, (uint64_t)cur, 1);
			break;
		}
	}
	sqlite3_reset(up);
	return chain;
}

static const char *ctx_name(struct detect_ctx *c, int64_t ctx, char *buf, size_t len)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *n;

	snprintf(buf, len, "?");
	if (sqlite3_prepare_v2(detect_db(c), "SELECT name FROM contexts WHERE id = ?1", -1, &s,
			       NULL) != SQLITE_OK)
		return buf;
	sqlite3_bind_int64(s, 1, ctx);
	if (sqlite3_step(s) == SQLITE_ROW && (n = sqlite3_column_text(s, 0)))
		sanitize((const char *)n, (size_t)sqlite3_column_bytes(s, 0), buf, len, 0);
	sqlite3_finalize(s);
	return buf;
}

static int64_t parent_of(sqlite3_stmt *up, int64_t task)
{
	int64_t p = 0;

	sqlite3_reset(up);
	sqlite3_bind_int64(up, 1, task);
	if (sqlite3_step(up) == SQLITE_ROW && sqlite3_column_type(up, 0) != SQLITE_NULL)
		p = sqlite3_column_int64(up, 0);
	sqlite3_reset(up);
	return p;
}

static int report(struct detect_ctx *c, sqlite3_stmt *up, const struct hop *h, size_t n,
		  int64_t max_run)
{
	char root[160], first[160], to[64], from[64], text[900], key[64];
	int64_t qsum = 0, rsum = 0, rmax = 0, origin;
	struct finding f = { 0 };
	size_t i, heavy = 0;

	for (i = 0; i < n; i++) {
		int64_t r = h[i].end - h[i].start;

		heavy += r >= max_run;
		qsum += h[i].start - h[i].sched;
		rsum += r;
		if (r > rmax)
			rmax = r;
	}
	if (heavy * 4 >= n || qsum <= rsum)
		return 0; /* work on the loop (it may belong there), or no queue wait */
	origin = parent_of(up, h[0].task);
	if (origin)
		detect_task_label(c, origin, root, sizeof(root));
	else
		detect_task_label(c, h[0].task, root, sizeof(root));
	detect_task_label(c, h[0].task, first, sizeof(first));
	ctx_name(c, h[0].ctx, to, sizeof(to));
	ctx_name(c, h[0].from_ctx, from, sizeof(from));
	snprintf(text, sizeof(text),
		 "the chain started by %s hopped %zu times from '%s' to loop '%s' (first %s): each "
		 "continuation ran %.3f ms on average (at most %.3f ms) but waited %.3f ms on "
		 "average in the loop's queue: %.1f ms of queue wait against %.1f ms of work "
		 "(%.0f %%)", root, n, from, to, first, (double)rsum / (double)n / 1e6,
		 (double)rmax / 1e6, (double)qsum / (double)n / 1e6, (double)qsum / 1e6,
		 (double)rsum / 1e6, 100.0 * (double)qsum / (double)(qsum + rsum));
	snprintf(key, sizeof(key), "chain:%lld", (long long)h[0].task);
	f.process = h[0].process;
	f.key = key;
	f.begin_ns = h[0].sched;
	f.end_ns = h[n - 1].end;
	/* The value is what crossed the threshold (min_marshals); the cost is
	 * in the message. */
	f.value = (double)n;
	f.unit = "marshals";
	f.message = text;
	f.tasks[f.ntasks++] = (struct finding_task){ h[0].task, "marshalled continuation" };
	if (origin)
		f.tasks[f.ntasks++] = (struct finding_task){ origin, "chain started by" };
	for (i = 1; i < n && f.ntasks < FINDING_MAX_TASKS; i++)
		f.tasks[f.ntasks++] = (struct finding_task){ h[i].task, "marshalled continuation" };
	f.ctx = h[0].ctx;
	return detect_emit(c, &f);
}

static int check(struct detect_ctx *c)
{
	static const char sql[] =
		"SELECT l.dst, l.ctx, l.from_ctx, t.process, t.scheduled_ns, t.started_ns, "
		"  t.ended_ns "
		"FROM links l JOIN contexts x ON x.id = l.ctx AND x.kind = 1 "
		"JOIN tasks t ON t.id = l.dst JOIN processes p ON p.id = t.process "
		"WHERE l.kind = 1 AND p.session = ?1 AND t.scheduled_ns IS NOT NULL "
		"  AND t.started_ns IS NOT NULL AND t.ended_ns IS NOT NULL "
		"  AND (l.from_ctx IS NULL OR l.from_ctx != l.ctx) "
		"ORDER BY t.scheduled_ns, t.id";
	size_t min = (size_t)detect_th(c, TH_MIN_MARSHALS), n = 0, cap = 0, i, j;
	int64_t max_run = (int64_t)(detect_th(c, TH_MAX_RUN) * 1e6);
	sqlite3_stmt *s = NULL, *up = NULL;
	struct hmap chains = { 0 }, hopctx = { 0 };
	struct hop *h = NULL;
	int rc = 0;

	if (min < 1)
		min = 1;
	if (sqlite3_prepare_v2(detect_db(c), sql, -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(detect_db(c), "SELECT parent FROM tasks WHERE id = ?1", -1, &up,
			       NULL) != SQLITE_OK) {
		rc = detect_fail(c, -EIO, "prepare: %s", sqlite3_errmsg(detect_db(c)));
		goto out;
	}
	sqlite3_bind_int64(s, 1, detect_session(c));
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		int64_t task = sqlite3_column_int64(s, 0), ctx = sqlite3_column_int64(s, 1);
		int64_t chain = chain_of(up, &chains, &hopctx, task, ctx);

		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct hop *nh = realloc(h, ncap * sizeof(*nh));

			if (!nh) {
				rc = detect_fail(c, -ENOMEM, "out of memory");
				break;
			}
			h = nh;
			cap = ncap;
		}
		if (hmap_put(&chains, (uint64_t)task, 1, chain) < 0 ||
		    hmap_put(&hopctx, (uint64_t)task, 1, ctx) < 0) {
			rc = detect_fail(c, -ENOMEM, "out of memory");
			break;
		}
		h[n++] = (struct hop){ chain, ctx, task,
				       sqlite3_column_int64(s, 3),
				       sqlite3_column_type(s, 2) == SQLITE_NULL
					       ? 0 : sqlite3_column_int64(s, 2),
				       sqlite3_column_int64(s, 4), sqlite3_column_int64(s, 5),
				       sqlite3_column_int64(s, 6) };
	}
	if (rc == 0 && n)
		qsort(h, n, sizeof(*h), cmp_hop);
	for (i = 0; rc == 0 && i < n; i = j) {
		for (j = i + 1; j < n && h[j].process == h[i].process && h[j].chain == h[i].chain;
		     j++)
			;
		if (j - i >= min)
			rc = report(c, up, &h[i], j - i, max_run);
	}
out:
	sqlite3_finalize(s);
	sqlite3_finalize(up);
	hmap_free(&chains);
	hmap_free(&hopctx);
	free(h);
	return rc;
}

const struct detector detect_needless_marshal = {
	.name = "needless-marshal",
	.severity = STORE_SEVERITY_INFO,
	.summary = "continuations hop back to a loop context only to run a few microseconds of "
		   "work there (missing \"don't capture the context\")",
	.condition = "a chain has at least min_marshals continuations marshalled to one loop "
		     "context, fewer than a quarter of them ran max_run or longer, and their queue "
		     "wait on the loop exceeds their run time",
	.fix = "chain library continuations with no context (run where the antecedent "
	       "completes) and post to the loop once, where the result is used",
	.th = {
		{ "min_marshals", 3, "count", "marshalled continuations of one chain to one loop" },
		{ "max_run", 1, "ms", "a continuation running this long has work on the loop" },
	},
	.check = check,
};
