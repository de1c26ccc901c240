/*
 * blocking-in-pool — a pool's workers spend their time blocked in
 * synchronous calls (sync I/O or locks wrapped as pool tasks) while work
 * waits for them: the pool is capped at workers / latency with idle CPUs.
 *
 * In each window (consecutive windows from the pool's first queued instant;
 * complete by the horizon, or the last one of an ended recording), over the time the pool's queue
 * was non-empty (rebuilt from its tasks: task_schedule in, first task_start
 * or unstarted task_end out) — which must be at least min_queued of the
 * window — the share of its workers' time (thread_bindings to the pool)
 * spent inside block_begin .. block_end (table blocks) must reach
 * min_share.  Consecutive windows are one episode, keyed
 * "window:<ctx>:<begin>"; the message names the dominant block reason.
 *
 * One root cause, one finding: when the episode overlaps a pool-starvation
 * finding of the same pool, the blocking is what starved it (the starvation
 * message says so), and this finding is attached to that one.  Pools whose
 * workers were not blocked long enough to fill one window are not read
 * further.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "sanitize.h"
#include "store-int.h"

#define TH_MIN_SHARE 0
#define TH_WINDOW 1
#define TH_MIN_QUEUED 2

struct bp_iv {
	int64_t b, e, reason;
};

struct bp_win {
	int64_t queued, worker, blocked;
};

struct bp_reason {
	int64_t reason, ns;
};

static int by_begin(const void *x, const void *y)
{
	const struct bp_iv *a = x, *b = y;

	return (a->b > b->b) - (a->b < b->b);
}

static int by_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

static int push(struct detect_ctx *c, struct bp_iv **v, size_t *n, size_t *cap, struct bp_iv iv)
{
	if (*n == *cap) {
		void *nv = realloc(*v, (*cap = *cap ? *cap * 2 : 256) * sizeof(**v));

		if (!nv)
			return detect_fail(c, -ENOMEM, "out of memory");
		*v = nv;
	}
	(*v)[(*n)++] = iv;
	return 0;
}

/* The intervals in which ctx's queue was non-empty, sorted, disjoint. */
static int bp_queue(struct detect_ctx *c, int64_t ctx, struct bp_iv **q, size_t *nq)
{
	static const char sql[] =
		"SELECT scheduled_ns, coalesce(started_ns, ended_ns) FROM tasks "
		"WHERE ctx = ?1 AND scheduled_ns IS NOT NULL";
	int64_t *in = NULL, *out = NULL, now = detect_now(c);
	size_t nin = 0, nout = 0, cap = 0, qcap = 0, i = 0, o = 0;
	sqlite3_stmt *s = NULL;
	int64_t depth = 0, open = 0;
	int rc = 0;

	if (sqlite3_prepare_v2(detect_db(c), sql, -1, &s, NULL) != SQLITE_OK)
		return detect_fail(c, -EIO, "prepare: %s", sqlite3_errmsg(detect_db(c)));
	sqlite3_bind_int64(s, 1, ctx);
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		if (nin == cap) {
			void *a = realloc(in, (cap = cap ? cap * 2 : 1024) * sizeof(*in));
			void *b = a ? realloc(out, cap * sizeof(*out)) : NULL;

			if (a)
				in = a;
			if (!b) {
				rc = detect_fail(c, -ENOMEM, "out of memory");
				break;
			}
			out = b;
		}
		in[nin++] = sqlite3_column_int64(s, 0);
		if (sqlite3_column_type(s, 1) != SQLITE_NULL)
			out[nout++] = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	if (rc == 0 && nin)
		qsort(in, nin, sizeof(*in), by_i64);
	if (rc == 0 && nout)
		qsort(out, nout, sizeof(*out), by_i64);
	/* Sweep: arrivals before departures at the same instant. */
	while (rc == 0 && (i < nin || o < nout)) {
		if (i < nin && (o >= nout || in[i] <= out[o])) {
			if (depth++ == 0)
				open = in[i];
			i++;
		} else {
			if (depth > 0 && --depth == 0 && out[o] > open)
				rc = push(c, q, nq, &qcap, (struct bp_iv){ open, out[o], 0 });
			o++;
		}
	}
	if (rc == 0 && depth > 0 && now > open)
		rc = push(c, q, nq, &qcap, (struct bp_iv){ open, now, 0 });
	free(in);
	free(out);
	return rc;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Adds |[b, e) ∩ q ∩ window k| into field `f` of each window k. */
static void bp_spread(const struct bp_iv *q, size_t nq, int64_t b, int64_t e, int64_t w0,
		      int64_t window, size_t nwin, struct bp_win *win, int f, struct bp_reason *r,
		      size_t nr, int64_t reason, int64_t from, int64_t to)
{
	size_t lo = 0, hi = nq;

	/* the first queue interval ending after b */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (q[mid].e <= b)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < nq && q[i].b < e; i++) {
		int64_t x = q[i].b > b ? q[i].b : b, y = q[i].e < e ? q[i].e : e;

		while (x < y) {
			int64_t k = floor_div(x - w0, window), ke = w0 + (k + 1) * window;
			int64_t z = y < ke ? y : ke;

			if (k >= 0 && (size_t)k < nwin) {
				int64_t d = z - x;

				if (f == 0)
					win[k].queued += d;
				else if (f == 1)
					win[k].worker += d;
				else
					win[k].blocked += d;
				if (f == 2 && w0 + k * window >= from && w0 + k * window < to) {
					for (size_t j = 0; j < nr; j++)
						if (r[j].reason == reason) {
							r[j].ns += d;
							break;
						}
				}
			}
			x = z;
		}
	}
}

struct bp_pool {
	int64_t ctx, process, workers;
	char name[96];
	struct bp_iv *bind, *blk, *q; /* bindings, blocks (clipped to them), queue */
	size_t nbind, nblk, nq;
};

static int bp_load(struct detect_ctx *c, struct bp_pool *p, int64_t *blocked_total)
{
	static const char sql[] =
		"SELECT tb.id, coalesce(tb.begin_ns, -9223372036854775807), "
		"  coalesce(tb.end_ns, ?2), bl.begin_ns, coalesce(bl.end_ns, ?2), bl.reason "
		"FROM thread_bindings tb LEFT JOIN blocks bl ON bl.thread = tb.thread "
		"  AND bl.begin_ns IS NOT NULL AND coalesce(bl.end_ns, ?2) > coalesce(tb.begin_ns, "
		"    -9223372036854775807) AND (tb.end_ns IS NULL OR bl.begin_ns < tb.end_ns) "
		"WHERE tb.ctx = ?1 ORDER BY tb.id";
	size_t cbind = 0, cblk = 0;
	int64_t last_bind = TS_NONE;
	sqlite3_stmt *s = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(detect_db(c), sql, -1, &s, NULL) != SQLITE_OK)
		return detect_fail(c, -EIO, "prepare: %s", sqlite3_errmsg(detect_db(c)));
	sqlite3_bind_int64(s, 1, p->ctx);
	sqlite3_bind_int64(s, 2, detect_now(c));
	*blocked_total = 0;
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		int64_t tb = sqlite3_column_int64(s, 1), te = sqlite3_column_int64(s, 2);
		int64_t id = sqlite3_column_int64(s, 0);

		if (id != last_bind)
			rc = push(c, &p->bind, &p->nbind, &cbind, (struct bp_iv){ tb, te, 0 });
		last_bind = id;
		if (rc == 0 && sqlite3_column_type(s, 3) != SQLITE_NULL) {
			int64_t b = sqlite3_column_int64(s, 3), e = sqlite3_column_int64(s, 4);

			if (b < tb)
				b = tb;
			if (e > te)
				e = te;
			if (e > b) {
				rc = push(c, &p->blk, &p->nblk, &cblk,
					  (struct bp_iv){ b, e, sqlite3_column_int64(s, 5) });
				*blocked_total += e - b;
			}
		}
	}
	sqlite3_finalize(s);
	return rc;
}

/* The pool-starvation finding of this pool overlapping [b, e], if any. */
static int bp_starved(struct detect_ctx *c, const struct bp_pool *p, int64_t b, int64_t e,
		      char *key, size_t len)
{
	static const char sql[] =
		"SELECT key FROM findings WHERE detector = 'pool-starvation' AND process = ?1 "
		"  AND ctx = ?2 AND session = ?3 AND begin_ns < ?5 AND coalesce(end_ns, ?6) > ?4 "
		"ORDER BY begin_ns LIMIT 1";
	sqlite3_stmt *s = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(detect_db(c), sql, -1, &s, NULL) != SQLITE_OK)
		return detect_fail(c, -EIO, "prepare: %s", sqlite3_errmsg(detect_db(c)));
	sqlite3_bind_int64(s, 1, p->process);
	sqlite3_bind_int64(s, 2, p->ctx);
	sqlite3_bind_int64(s, 3, detect_session(c));
	sqlite3_bind_int64(s, 4, b);
	sqlite3_bind_int64(s, 5, e);
	sqlite3_bind_int64(s, 6, detect_now(c));
	if (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(key, len, "%s", (const char *)sqlite3_column_text(s, 0));
		rc = 1;
	}
	sqlite3_finalize(s);
	return rc;
}

static int bp_emit(struct detect_ctx *c, struct bp_pool *p, int64_t b, int64_t e, bool open,
		   int64_t worker, int64_t blocked, int64_t queued, double window)
{
	static const char rsql[] = "SELECT s FROM strings WHERE id = ?1";
	struct bp_reason *r = calloc(p->nblk ? p->nblk : 1, sizeof(*r));
	char key[64], text[900], reason[96] = "?", skey[64];
	struct bp_win *win;
	struct finding f = { 0 };
	size_t nr = 0, i, nwin;
	int64_t best = 0, best_ns = 0;
	sqlite3_stmt *s = NULL;
	int rc;

	if (!r)
		return detect_fail(c, -ENOMEM, "out of memory");
	/* blocked time per reason inside the episode */
	for (i = 0; i < p->nblk; i++) {
		size_t j;

		for (j = 0; j < nr && r[j].reason != p->blk[i].reason; j++)
			;
		if (j == nr)
			r[nr++] = (struct bp_reason){ p->blk[i].reason, 0 };
	}
	nwin = (size_t)((e - b) / (int64_t)window) + 1;
	win = calloc(nwin, sizeof(*win));
	if (!win) {
		free(r);
		return detect_fail(c, -ENOMEM, "out of memory");
	}
	for (i = 0; i < p->nblk; i++)
		bp_spread(p->q, p->nq, p->blk[i].b, p->blk[i].e, b, (int64_t)window, nwin, win, 2, r,
			  nr, p->blk[i].reason, b, e);
	free(win);
	for (i = 0; i < nr; i++)
		if (r[i].ns > best_ns) {
			best_ns = r[i].ns;
			best = r[i].reason;
		}
	free(r);
	if (best && sqlite3_prepare_v2(detect_db(c), rsql, -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, best);
		if (sqlite3_step(s) == SQLITE_ROW)
			sanitize((const char *)sqlite3_column_text(s, 0),
				 (size_t)sqlite3_column_bytes(s, 0), reason, 64, 0);
		sqlite3_finalize(s);
	}
	snprintf(text, sizeof(text),
		 "workers of pool '%s' (%lld) spent %.1f %% of their time blocked in synchronous "
		 "calls while work was queued (%.2f s of %.2f s, from %.3f s to %.3f s); dominant: "
		 "'%s', %.1f %% of worker time", p->name, (long long)p->workers,
		 100.0 * (double)blocked / (double)worker, (double)queued / 1e9,
		 (double)(e - b) / 1e9, (double)b / 1e9, (double)e / 1e9, reason,
		 100.0 * (double)best_ns / (double)worker);
	snprintf(key, sizeof(key), "window:%lld:%lld", (long long)p->ctx, (long long)b);
	rc = bp_starved(c, p, b, e, skey, sizeof(skey));
	if (rc < 0)
		return rc;
	f.process = p->process;
	f.key = key;
	f.begin_ns = b;
	f.end_ns = open ? TS_NONE : e;
	f.value = 100.0 * (double)blocked / (double)worker;
	f.unit = "%";
	f.message = text;
	f.ctx = p->ctx;
	if (rc > 0) {
		f.attach_detector = "pool-starvation";
		f.attach_key = skey;
	}
	return detect_emit(c, &f);
}

static int bp_pool_check(struct detect_ctx *c, struct bp_pool *p)
{
	double share = detect_th(c, TH_MIN_SHARE) / 100.0;
	double min_q = detect_th(c, TH_MIN_QUEUED) / 100.0;
	int64_t window = (int64_t)(detect_th(c, TH_WINDOW) * 1e9), now = detect_now(c);
	int64_t blocked_total = 0, w0, first = INT64_MAX, hb = 0, he = 0, hw = 0, hbl = 0, hq = 0;
	struct bp_win *win = NULL;
	size_t nwin, k;
	bool have = false;
	int rc;

	if (window <= 0)
		return 0;
	rc = bp_load(c, p, &blocked_total);
	if (rc < 0 || p->nblk == 0 || (double)blocked_total < share * (double)window)
		return rc;
	rc = bp_queue(c, p->ctx, &p->q, &p->nq);
	if (rc < 0 || p->nq == 0)
		return rc;
	qsort(p->blk, p->nblk, sizeof(*p->blk), by_begin);
	first = p->q[0].b;
	w0 = first; /* windows from the first queued instant: stable, and a short
		     * episode is not cut in two by an arbitrary boundary */
	nwin = (size_t)((now - w0) / window) + 1;
	win = calloc(nwin, sizeof(*win));
	if (!win)
		return detect_fail(c, -ENOMEM, "out of memory");
	/* queue time: the queue intervals themselves, spread over windows */
	for (k = 0; k < p->nq; k++)
		bp_spread(p->q, p->nq, p->q[k].b, p->q[k].e, w0, window, nwin, win, 0, NULL, 0, 0, 0,
			  0);
	for (k = 0; k < p->nbind; k++)
		bp_spread(p->q, p->nq, p->bind[k].b, p->bind[k].e, w0, window, nwin, win, 1, NULL, 0,
			  0, 0, 0);
	for (k = 0; k < p->nblk; k++)
		bp_spread(p->q, p->nq, p->blk[k].b, p->blk[k].e, w0, window, nwin, win, 2, NULL, 0, 0,
			  0, 0);
	for (k = 0; k < nwin && rc == 0; k++) {
		int64_t wb = w0 + (int64_t)k * window, we = wb + window;
		bool complete = we <= now || detect_final(c);
		bool hit = complete && win[k].worker > 0 &&
			   (double)win[k].queued >= min_q * (double)window &&
			   (double)win[k].blocked >= share * (double)win[k].worker;

		if (hit && have && he == wb) {
			he = we;
			hw += win[k].worker;
			hbl += win[k].blocked;
			hq += win[k].queued;
			continue;
		}
		if (have)
			rc = bp_emit(c, p, hb, he < now ? he : now, he > now, hw, hbl, hq,
				     (double)window);
		have = hit;
		if (hit) {
			hb = wb;
			he = we;
			hw = win[k].worker;
			hbl = win[k].blocked;
			hq = win[k].queued;
		}
	}
	if (rc == 0 && have)
		rc = bp_emit(c, p, hb, he < now ? he : now, he > now, hw, hbl, hq, (double)window);
	free(win);
	return rc;
}

static int check(struct detect_ctx *c)
{
	static const char sql[] =
		"SELECT c.id, c.process, c.name, c.workers FROM contexts c "
		"JOIN processes p ON p.id = c.process "
		"WHERE p.session = ?1 AND c.kind = 0 ORDER BY c.id";
	sqlite3_stmt *s = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(detect_db(c), sql, -1, &s, NULL) != SQLITE_OK)
		return detect_fail(c, -EIO, "prepare: %s", sqlite3_errmsg(detect_db(c)));
	sqlite3_bind_int64(s, 1, detect_session(c));
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		struct bp_pool p = { .ctx = sqlite3_column_int64(s, 0),
				     .process = sqlite3_column_int64(s, 1),
				     .workers = sqlite3_column_int64(s, 3) };
		const unsigned char *n = sqlite3_column_text(s, 2);

		sanitize(n ? (const char *)n : "?", n ? (size_t)sqlite3_column_bytes(s, 2) : 1, p.name,
			 64, 0);
		rc = bp_pool_check(c, &p);
		free(p.bind);
		free(p.blk);
		free(p.q);
	}
	sqlite3_finalize(s);
	return rc;
}

const struct detector detect_blocking_in_pool = {
	.name = "blocking-in-pool",
	.severity = STORE_SEVERITY_WARNING,
	.summary = "pool workers spend their time blocked in synchronous calls (sync I/O or "
		   "locks wrapped as pool tasks)",
	.condition = "in a window, while the pool's queue is non-empty (>= min_queued of the "
		     "window), its workers' time inside block_begin .. block_end is >= min_share",
	.fix = "make the blocking call asynchronous, or give blocking work a dedicated pool "
	       "sized for its latency, so that CPU work is not queued behind it",
	.th = {
		{ "min_share", 50, "%", "share of worker time blocked" },
		{ "window", 1, "s", "window over which the share is measured" },
		{ "min_queued", 50, "%", "share of the window with work queued" },
	},
	.check = check,
};
