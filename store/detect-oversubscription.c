/*
 * oversubscription — more CPU-bound pool work runs at once than the cores
 * can serve: every job takes longer, none finishes sooner.
 *
 * Per process: the busy workers of all its pools (pool_samples.busy, each
 * sample holding until the pool's next), minus the workers that are not on
 * a CPU — inside block_begin .. block_end or a blocking wait on a thread
 * bound to one of those pools (an I/O pool of many blocked workers is not
 * oversubscribed) — must exceed factor x online CPUs (the largest
 * contexts.ncpu of the process) for >= persist.  A process whose pools
 * together were created with no more than factor x CPUs workers
 * (contexts.workers) cannot fire and its samples are not read.  Keyed
 * "busy:<begin>".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "sanitize.h"
#include "store-int.h"

#define TH_FACTOR 0
#define TH_PERSIST 1

struct os_ev {
	int64_t ts, delta;
};

static int by_ts(const void *x, const void *y)
{
	const struct os_ev *a = x, *b = y;

	if (a->ts != b->ts)
		return (a->ts > b->ts) - (a->ts < b->ts);
	return (a->delta > b->delta) - (a->delta < b->delta); /* drops first */
}

static int os_push(struct detect_ctx *c, struct os_ev **v, size_t *n, size_t *cap, int64_t ts,
		   int64_t delta)
{
	if (*n == *cap) {
		void *nv = realloc(*v, (*cap = *cap ? *cap * 2 : 1024) * sizeof(**v));

		if (!nv)
			return detect_fail(c, -ENOMEM, "out of memory");
		*v = nv;
	}
	(*v)[(*n)++] = (struct os_ev){ ts, delta };
	return 0;
}

/* Busy-worker changes of the process's pools, and -1/+1 around each
 * stretch a worker of them was off-CPU (blocks and blocking waits, merged
 * per thread). */
static int os_events(struct detect_ctx *c, int64_t process, struct os_ev **v, size_t *n)
{
	static const char samples_sql[] =
		"SELECT ps.ctx, ps.ts_ns, ps.busy FROM contexts c "
		"JOIN pool_samples ps ON ps.ctx = c.id "
		"WHERE c.process = ?1 AND c.kind = 0 ORDER BY ps.ctx, ps.ts_ns";
	static const char off_sql[] =
		"SELECT tb.thread, max(x.b, coalesce(tb.begin_ns, x.b)) AS b, "
		"  min(x.e, coalesce(tb.end_ns, x.e)) AS e FROM contexts c "
		"JOIN thread_bindings tb ON tb.ctx = c.id "
		"JOIN (SELECT thread, begin_ns AS b, coalesce(end_ns, ?2) AS e FROM blocks "
		"        WHERE begin_ns IS NOT NULL "
		"      UNION ALL SELECT thread, begin_ns, coalesce(end_ns, ?2) FROM waits "
		"        WHERE mode = 0 AND begin_ns IS NOT NULL AND thread IS NOT NULL) x "
		"  ON x.thread = tb.thread AND x.e > coalesce(tb.begin_ns, x.b) "
		"  AND (tb.end_ns IS NULL OR x.b < tb.end_ns) "
		"WHERE c.process = ?1 AND c.kind = 0 ORDER BY tb.thread, b";
	sqlite3_stmt *s = NULL;
	int64_t ctx = 0, busy = 0, thread = 0, cb = 0, ce = 0;
	size_t cap = 0;
	int rc = 0;

	if (sqlite3_prepare_v2(detect_db(c), samples_sql, -1, &s, NULL) != SQLITE_OK)
		return detect_fail(c, -EIO, "prepare: %s", sqlite3_errmsg(detect_db(c)));
	sqlite3_bind_int64(s, 1, process);
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		int64_t x = sqlite3_column_int64(s, 0), b = sqlite3_column_int64(s, 2);

		if (x != ctx) {
			ctx = x;
			busy = 0;
		}
		if (b != busy)
			rc = os_push(c, v, n, &cap, sqlite3_column_int64(s, 1), b - busy);
		busy = b;
	}
	sqlite3_finalize(s);
	if (rc < 0)
		return rc;
	if (sqlite3_prepare_v2(detect_db(c), off_sql, -1, &s, NULL) != SQLITE_OK)
		return detect_fail(c, -EIO, "prepare: %s", sqlite3_errmsg(detect_db(c)));
	sqlite3_bind_int64(s, 1, process);
	sqlite3_bind_int64(s, 2, detect_now(c));
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		int64_t t = sqlite3_column_int64(s, 0), b = sqlite3_column_int64(s, 1);
		int64_t e = sqlite3_column_int64(s, 2);

		if (e <= b)
			continue;
		if (t == thread && b <= ce) { /* overlaps the thread's current stretch */
			if (e > ce)
				ce = e;
			continue;
		}
		if (thread && ce > cb) {
			rc = os_push(c, v, n, &cap, cb, -1);
			if (rc == 0)
				rc = os_push(c, v, n, &cap, ce, +1);
		}
		thread = t;
		cb = b;
		ce = e;
	}
	sqlite3_finalize(s);
	if (rc == 0 && thread && ce > cb) {
		rc = os_push(c, v, n, &cap, cb, -1);
		if (rc == 0)
			rc = os_push(c, v, n, &cap, ce, +1);
	}
	return rc;
}

static int os_emit(struct detect_ctx *c, int64_t process, int64_t ctx, const char *pools,
		   int64_t ncpu, double factor, int64_t b, int64_t e, int64_t peak)
{
	int64_t until = e == TS_NONE ? detect_now(c) : e;
	char key[48], text[640];
	struct finding f = { 0 };

	snprintf(text, sizeof(text),
		 "%lld CPU-bound pool workers ran at once on %lld online CPU%s (%.1f per CPU, "
		 "over the limit of %g) for %.2f s, in %s", (long long)peak, (long long)ncpu,
		 ncpu == 1 ? "" : "s", (double)peak / (double)ncpu, factor,
		 (double)(until - b) / 1e9, pools);
	snprintf(key, sizeof(key), "busy:%lld", (long long)b);
	f.process = process;
	f.key = key;
	f.begin_ns = b;
	f.end_ns = e;
	f.value = (double)peak;
	f.unit = "workers";
	f.message = text;
	f.ctx = ctx;
	return detect_emit(c, &f);
}

static int check(struct detect_ctx *c)
{
	/* Processes whose pools could oversubscribe their CPUs at all. */
	static const char sql[] =
		"SELECT c.process, max(c.ncpu), sum(CASE WHEN c.kind = 0 THEN c.workers END), "
		"  min(CASE WHEN c.kind = 0 THEN c.id END), "
		"  count(CASE WHEN c.kind = 0 THEN 1 END), "
		"  (SELECT c2.name FROM contexts c2 WHERE c2.process = c.process AND c2.kind = 0 "
		"   ORDER BY c2.workers DESC, c2.id LIMIT 1) "
		"FROM contexts c JOIN processes p ON p.id = c.process "
		"WHERE p.session = ?1 GROUP BY c.process "
		"HAVING max(c.ncpu) > 0 AND sum(CASE WHEN c.kind = 0 THEN c.workers END) > "
		"  ?2 * max(c.ncpu) ORDER BY c.process";
	double factor = detect_th(c, TH_FACTOR);
	int64_t persist = (int64_t)(detect_th(c, TH_PERSIST) * 1e9), now = detect_now(c);
	sqlite3_stmt *s = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(detect_db(c), sql, -1, &s, NULL) != SQLITE_OK)
		return detect_fail(c, -EIO, "prepare: %s", sqlite3_errmsg(detect_db(c)));
	sqlite3_bind_int64(s, 1, detect_session(c));
	sqlite3_bind_double(s, 2, factor);
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		int64_t process = sqlite3_column_int64(s, 0), ncpu = sqlite3_column_int64(s, 1);
		int64_t npools = sqlite3_column_int64(s, 4);
		int64_t ctx = npools == 1 ? sqlite3_column_int64(s, 3) : 0;
		const unsigned char *n = sqlite3_column_text(s, 5);
		struct os_ev *v = NULL;
		size_t nv = 0, i;
		int64_t level = 0, b = TS_NONE, peak = 0;
		char name[96], pools[160];

		sanitize(n ? (const char *)n : "?", n ? (size_t)sqlite3_column_bytes(s, 5) : 1, name,
			 64, 0);
		if (npools == 1)
			snprintf(pools, sizeof(pools), "pool '%s'", name);
		else
			snprintf(pools, sizeof(pools), "%lld pools (the largest: '%s')",
				 (long long)npools, name);
		rc = os_events(c, process, &v, &nv);
		if (rc == 0 && nv)
			qsort(v, nv, sizeof(*v), by_ts);
		for (i = 0; rc == 0 && i < nv; i++) {
			level += v[i].delta;
			/* judge once per instant, after all its changes */
			if (i + 1 < nv && v[i + 1].ts == v[i].ts)
				continue;
			if ((double)level > factor * (double)ncpu) {
				if (b == TS_NONE) {
					b = v[i].ts;
					peak = 0;
				}
				if (level > peak)
					peak = level;
			} else if (b != TS_NONE) {
				if (v[i].ts - b >= persist)
					rc = os_emit(c, process, ctx, pools, ncpu, factor, b, v[i].ts,
						     peak);
				b = TS_NONE;
			}
		}
		if (rc == 0 && b != TS_NONE && now - b >= persist)
			rc = os_emit(c, process, ctx, pools, ncpu, factor, b, TS_NONE, peak);
		free(v);
	}
	sqlite3_finalize(s);
	return rc;
}

const struct detector detect_oversubscription = {
	.name = "oversubscription",
	.severity = STORE_SEVERITY_WARNING,
	.summary = "more concurrent CPU-bound pool work than cores can serve",
	.condition = "busy pool workers of a process (pool_samples, less those blocked in "
		     "block_begin/end or a blocking wait) > factor x online CPUs for >= persist",
	.fix = "size CPU-bound pools to the number of cores (weft_pool_new(name, ncpu)); keep "
	       "blocking work on a separate pool",
	.th = {
		{ "factor", 4, "count", "busy workers per online CPU" },
		{ "persist", 1, "s", "how long it must last" },
	},
	.check = check,
};
