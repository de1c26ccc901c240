/*
 * The pool view: one context's queue depth and busy workers over time, from
 * pool_samples, cut into one time slice per screen row (the maximum of each
 * slice, so a short burst is not averaged away; a slice without a sample
 * shows the numbers in effect since the one before), with the windows of its
 * process's pool-starvation findings marked.  h / l choose the context.
 *
 * The samples are folded once into POOL_BUCKETS buckets of equal time (max
 * and last sample of each); a refresh folds in only the samples newer than
 * the last one seen, and when the recording outgrows the buckets, pairs of
 * buckets merge (each twice as long).  So a live store costs a refresh only
 * its new samples, memory is fixed, and a slice's time is exact to one
 * bucket (1/POOL_BUCKETS of the span at most).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "view.h"

#define POOL_ROWS 512
#define POOL_BUCKETS 2048
#define POOL_WINDOWS 64

struct pool_bucket {
	int queued, busy, workers;    /* maxima; workers < 0: no sample */
	int lqueued, lbusy, lworkers; /* the last sample */
};

struct pool_row {
	int64_t begin_ns;
	int queued, busy, workers;     /* the slice's maxima */
	int lqueued, lbusy, lworkers;  /* its last sample: in effect after it */
	bool starved;
};

struct pool {
	int64_t ctx, process; /* contexts.id, 0 none */
	char name[128];
	int64_t min_ns, max_ns; /* of the samples folded in */
	int64_t width;          /* ns per bucket, 0: nothing folded yet */
	struct pool_bucket b[POOL_BUCKETS];
	struct pool_row row[POOL_ROWS];
	int n, want;
};

/* The context after (dir > 0) or before ctx that has samples; 0 if none. */
static int64_t pool_next(sqlite3 *db, int64_t ctx, int dir)
{
	sqlite3_stmt *s = NULL;
	int64_t r = 0;
	const char *sql = dir > 0
		? "SELECT min(id) FROM contexts c WHERE id > ?1 AND EXISTS (SELECT 1 FROM pool_samples p WHERE p.ctx = c.id)"
		: "SELECT max(id) FROM contexts c WHERE id < ?1 AND EXISTS (SELECT 1 FROM pool_samples p WHERE p.ctx = c.id)";

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, ctx);
		if (sqlite3_step(s) == SQLITE_ROW)
			r = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	return r;
}

static void pool_bucket_merge(struct pool_bucket *into, const struct pool_bucket *b)
{
	if (b->workers < 0)
		return;
	if (into->workers < 0) {
		*into = *b;
		return;
	}
	if (b->queued > into->queued)
		into->queued = b->queued;
	if (b->busy > into->busy)
		into->busy = b->busy;
	if (b->workers > into->workers)
		into->workers = b->workers;
	into->lqueued = b->lqueued; /* b is the later one */
	into->lbusy = b->lbusy;
	into->lworkers = b->lworkers;
}

static void pool_forget(struct pool *p)
{
	p->width = 0;
	for (int i = 0; i < POOL_BUCKETS; i++)
		p->b[i].workers = -1;
}

/* Folds the context's samples after p->max_ns into the buckets. */
static void pool_fold(struct pool *p, sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	int64_t last = 0;

	if (sqlite3_prepare_v2(db, "SELECT min(ts_ns), max(ts_ns) FROM pool_samples WHERE ctx = ?1",
			       -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(s, 1, p->ctx);
	if (sqlite3_step(s) != SQLITE_ROW || sqlite3_column_type(s, 0) == SQLITE_NULL)
		goto out;
	if (!p->width || sqlite3_column_int64(s, 0) < p->min_ns) {
		pool_forget(p);
		p->min_ns = sqlite3_column_int64(s, 0);
		p->max_ns = p->min_ns - 1;
		p->width = 1;
	}
	last = sqlite3_column_int64(s, 1);
	if (last <= p->max_ns)
		goto out;
	/* buckets long enough for the whole span: merge pairs */
	while ((last - p->min_ns) / p->width >= POOL_BUCKETS) {
		for (int i = 0; i < POOL_BUCKETS / 2; i++) {
			struct pool_bucket m = p->b[2 * i];

			pool_bucket_merge(&m, &p->b[2 * i + 1]);
			p->b[i] = m;
		}
		for (int i = POOL_BUCKETS / 2; i < POOL_BUCKETS; i++)
			p->b[i].workers = -1;
		p->width *= 2;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_prepare_v2(db, "SELECT ts_ns, queued, busy, workers FROM pool_samples "
			       "WHERE ctx = ?1 AND ts_ns > ?2 AND ts_ns <= ?3 ORDER BY ts_ns",
			       -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(s, 1, p->ctx);
	sqlite3_bind_int64(s, 2, p->max_ns);
	sqlite3_bind_int64(s, 3, last);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int64_t i = (sqlite3_column_int64(s, 0) - p->min_ns) / p->width;
		int q = sqlite3_column_int(s, 1), bz = sqlite3_column_int(s, 2);
		int w = sqlite3_column_int(s, 3);
		struct pool_bucket one = { q, bz, w, q, bz, w };

		if (i >= 0 && i < POOL_BUCKETS)
			pool_bucket_merge(&p->b[i], &one);
	}
	p->max_ns = last;
out:
	sqlite3_finalize(s);
}

static void pool_read(struct view *v)
{
	struct pool *p = v->priv;
	sqlite3 *db = tui_db(v->tui);
	sqlite3_stmt *s = NULL;
	int64_t win[POOL_WINDOWS][2];
	int nwin = 0, rows = p->want, used;

	p->n = 0;
	if (!p->ctx)
		p->ctx = pool_next(db, 0, 1);
	if (!p->ctx)
		return;
	if (rows > POOL_ROWS)
		rows = POOL_ROWS;
	if (rows < 1)
		rows = 1;
	if (sqlite3_prepare_v2(db, "SELECT name, process FROM contexts WHERE id = ?1", -1, &s,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, p->ctx);
		if (sqlite3_step(s) == SQLITE_ROW) {
			const char *nm = (const char *)sqlite3_column_text(s, 0);

			snprintf(p->name, sizeof p->name, "%s", nm ? nm : "?");
			p->process = sqlite3_column_int64(s, 1);
		}
	}
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_prepare_v2(db, "SELECT begin_ns, end_ns FROM findings WHERE detector = 'pool-starvation' "
			       "AND process = ?1 AND begin_ns IS NOT NULL ORDER BY begin_ns LIMIT ?2", -1, &s,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, p->process);
		sqlite3_bind_int(s, 2, POOL_WINDOWS);
		while (sqlite3_step(s) == SQLITE_ROW) {
			win[nwin][0] = sqlite3_column_int64(s, 0);
			win[nwin][1] = sqlite3_column_type(s, 1) == SQLITE_NULL ? INT64_MAX
										 : sqlite3_column_int64(s, 1);
			nwin++;
		}
	}
	sqlite3_finalize(s);
	pool_fold(p, db);
	if (!p->width || p->max_ns < p->min_ns)
		return;
	/* rows of whole buckets: slice i is buckets [i * used / rows, ...) */
	used = (int)((p->max_ns - p->min_ns) / p->width) + 1;
	if (rows > used)
		rows = used;
	for (int i = 0; i < rows; i++) {
		struct pool_row *r = &p->row[i];
		struct pool_bucket m = { .workers = -1 };
		int b0 = (int)((int64_t)i * used / rows), b1 = (int)((int64_t)(i + 1) * used / rows);

		for (int k = b0; k < b1; k++)
			pool_bucket_merge(&m, &p->b[k]);
		r->begin_ns = p->min_ns + b0 * p->width;
		r->queued = m.queued;
		r->busy = m.busy;
		r->workers = m.workers;
		r->lqueued = m.lqueued;
		r->lbusy = m.lbusy;
		r->lworkers = m.lworkers;
	}
	/* a slice without a sample keeps the numbers in effect before it */
	for (int i = 1; i < rows; i++) {
		struct pool_row *r = &p->row[i], *q = &p->row[i - 1];

		if (r->workers >= 0 || q->workers < 0)
			continue;
		r->queued = r->lqueued = q->lqueued;
		r->busy = r->lbusy = q->lbusy;
		r->workers = r->lworkers = q->lworkers;
	}
	for (int i = 0; i < rows; i++) {
		int64_t b = p->row[i].begin_ns, e = i + 1 < rows ? p->row[i + 1].begin_ns : p->max_ns + 1;

		p->row[i].starved = false;
		for (int w = 0; w < nwin; w++)
			if (win[w][0] < e && win[w][1] >= b)
				p->row[i].starved = true;
	}
	p->n = rows;
}

static int pool_open(struct view *v)
{
	struct pool *p = calloc(1, sizeof *p);

	if (!p)
		return -1;
	v->priv = p;
	p->want = v->rows - 2;
	pool_forget(p);
	pool_read(v);
	return 0;
}

static void pool_close(struct view *v)
{
	free(v->priv);
}

static void pool_draw(struct view *v, int y, int rows, int cols)
{
	struct pool *p = v->priv;
	char t[32];
	int barw = cols - 36;

	if (p->want != rows - 2) {
		p->want = rows - 2;
		pool_read(v);
	}
	if (!p->ctx) {
		draw_text(y, 0, cols, ROLE_DIM, "(no pool samples in this store)", (size_t)-1);
		return;
	}
	draw_fmt(y, 0, cols, ROLE_NORMAL, "pool %s  (h/l: other context)  B busy  q queued  STARVED: a "
		 "pool-starvation finding", p->name);
	draw_text(y + 1, 0, cols, ROLE_HEADER, "time        queued busy work  ", (size_t)-1);
	if (barw < 4)
		barw = 4;
	for (int i = 0; i < p->n && i < rows - 2; i++) {
		const struct pool_row *r = &p->row[i];
		int yy = y + 2 + i, x;

		draw_text(yy, 0, 11, r->starved ? ROLE_FINDING_WARNING : ROLE_NORMAL,
			  draw_duration(t, sizeof t, r->begin_ns), (size_t)-1);
		if (r->workers < 0) {
			draw_text(yy, 12, cols - 12, ROLE_DIM, "      -", (size_t)-1);
			continue;
		}
		draw_fmt(yy, 12, 20, ROLE_NORMAL, "%6d %4d %4d", r->queued, r->busy, r->workers);
		x = 30;
		{
			int wb = r->workers > 0 ? r->busy * (barw / 2) / r->workers : 0;
			int wq = r->queued < barw / 2 ? r->queued : barw / 2;

			draw_fill(yy, x, wb, ROLE_RUNNING, 'B');
			draw_fill(yy, x + wb, wq, ROLE_QUEUE_WAIT, 'q');
			x += wb + wq;
		}
		draw_text(yy, x, cols - x, ROLE_FINDING_WARNING, r->starved ? " STARVED" : "", (size_t)-1);
	}
}

static bool pool_key(struct view *v, enum key_action a)
{
	struct pool *p = v->priv;
	int64_t next;

	if (a != KEY_ACT_LEFT && a != KEY_ACT_RIGHT)
		return false;
	next = pool_next(tui_db(v->tui), p->ctx, a == KEY_ACT_RIGHT ? 1 : -1);
	if (next) {
		p->ctx = next;
		pool_forget(p);
		pool_read(v);
	}
	return true;
}

const struct view_ops view_pool_ops = {
	.name = "pool",
	.open = pool_open,
	.close = pool_close,
	.draw = pool_draw,
	.key = pool_key,
	.reload = pool_read,
};
