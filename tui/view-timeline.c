/*
 * The timeline view: one row per thread (tid, name, the context it serves
 * in the window), one column per time bucket of the visible window.  A
 * bucket shows what the thread did in it: ran a task, was blocked in a
 * synchronous call (block_begin/end), or was blocked in a wait on a task
 * (a blocking wait_begin/end); blank is idle.  Blocked wins over waiting,
 * waiting over running, so a run stuck in a wait shows as its wait.  Each
 * state has its own glyph as well as its colour role, so the picture keeps
 * its meaning in monochrome and on a terminal that is not UTF-8.
 *
 * + / - zoom around the cursor, h / l move the cursor in time (panning at
 * the edges), < / > pan half a screen, 0 shows the whole trace; the two
 * lines under the rows name what is under the cursor (the task running
 * there; the wait or block it is in), and Enter opens that task's detail.  Opened from a finding (t) or a task
 * detail (t) it starts at that time range with that thread selected
 * (view.h: TIMELINE_AT_*).
 *
 * What is read: the thread rows through the keyset pager (a screen's
 * worth), and for each row and each kind of interval (task runs: tasks by
 * (started_thread, started_ns), index tasks_thread; blocks: blocks_thread;
 * waits: waits_thread) a walk over the buckets with two index seeks: the
 * last interval that began before a bucket's end (if it reaches into the
 * bucket it fills every bucket up to its own end), else the first one that
 * begins after the bucket (the idle stretch up to it is skipped).  So a
 * redraw costs O(rows x columns) seeks whatever the store's size or the
 * zoom, and nothing is kept but the cells on screen.  Within one thread,
 * intervals of one kind follow each other (a thread blocked in a wait can
 * start nothing else), which is what makes the last one enough.
 *
 * A task's bar is its first start to its end (tasks keeps the first
 * task_start of a task started several times); a task, block or wait still
 * open runs to the end of the trace.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "pager.h"
#include "view.h"
#include "weft/weft.h"

#define TL_LABEL 26       /* tid(6) name(9) ctx(8), separated */
#define TL_MIN_NS_COL 10  /* deepest zoom: 10 ns a column */
#define TL_NONE INT64_MIN

enum { TL_RUN = 1, TL_BLOCK = 2, TL_WAIT = 4 };

/* Glyphs by precedence: the first state a bucket has is what it shows. */
static const struct {
	unsigned char bit;
	enum term_role role;
	const char *utf8;
	char ascii;
	const char *name;
} tl_glyphs[] = {
	{ TL_BLOCK, ROLE_BLOCKED, "B", 'B', "blocked" },
	{ TL_WAIT, ROLE_WAITING, "w", 'w', "wait" },
	{ TL_RUN, ROLE_RUNNING, "\xe2\x96\x88", '#', "run" }, /* U+2588 full block */
};
#define TL_NGLYPHS (int)(sizeof tl_glyphs / sizeof tl_glyphs[0])

/* One kind of interval: the two seeks of the walk.  ?1 thread, ?2 a time,
 * ?3 the end of the trace (what an open interval runs to).  Column 2 of
 * `prev` is the wait mode; only blocking waits occupy the thread. */
static const struct {
	unsigned char bit;
	const char *prev, *next;
} tl_kinds[] = {
	{ TL_RUN,
	  "SELECT started_ns, coalesce(ended_ns, ?3), 0 FROM tasks WHERE started_thread = ?1 "
	  "AND started_ns < ?2 ORDER BY started_ns DESC LIMIT 1",
	  "SELECT min(started_ns) FROM tasks WHERE started_thread = ?1 AND started_ns >= ?2" },
	{ TL_BLOCK,
	  "SELECT begin_ns, coalesce(end_ns, ?3), 0 FROM blocks WHERE thread = ?1 "
	  "AND begin_ns < ?2 ORDER BY begin_ns DESC LIMIT 1",
	  "SELECT min(begin_ns) FROM blocks WHERE thread = ?1 AND begin_ns >= ?2" },
	{ TL_WAIT,
	  "SELECT begin_ns, coalesce(end_ns, ?3), mode FROM waits WHERE thread = ?1 "
	  "AND begin_ns < ?2 ORDER BY begin_ns DESC LIMIT 1",
	  "SELECT min(begin_ns) FROM waits WHERE thread = ?1 AND begin_ns >= ?2" },
};
#define TL_NKINDS (int)(sizeof tl_kinds / sizeof tl_kinds[0])

struct tl {
	struct pager p;         /* the thread rows */
	int64_t lo, hi;         /* the trace's extent */
	int64_t t0, span;       /* the window [t0, t0 + span) */
	bool whole;             /* the window is the whole trace (and follows it) */
	int ncols, cur;         /* buckets; the cursor's */
	unsigned char *cells;   /* p.n rows x ncols, TL_* bits */
	int crows, ccols;       /* the shape cells were read for */
	int64_t cells_top;      /* the thread of the first row they were read for */
	bool dirty;             /* cells must be read again */
	int64_t want_thread;    /* select this thread once (0: none) */
	int64_t want_ns;        /* put the cursor on this time once (TL_NONE: none) */
	char info[512];         /* what is under the cursor: the task */
	char info2[512];        /* and the wait or block it is in */
	int64_t info_task;      /* tasks.id running under the cursor, 0 none */
	bool info_valid;
	char err[256];
};

static int64_t tl_at(const struct tl *t, int c)
{
	return t->t0 + t->span * c / t->ncols;
}

/* The bucket holding ts: -1 before the window, ncols after it. */
static int tl_col(const struct tl *t, int64_t ts)
{
	if (ts < t->t0)
		return -1;
	if (ts >= t->t0 + t->span)
		return t->ncols;
	return (int)((ts - t->t0) * t->ncols / t->span);
}

static void tl_bind(void *arg, sqlite3_stmt *s)
{
	const struct tl *t = arg;

	sqlite3_bind_int64(s, 1, t->t0 + t->span);
}

/* The trace's extent: the chunks' (a handful of rows); a store written
 * without chunks (hand-made) falls back to its tasks. */
static void tl_extent(struct view *v)
{
	struct tl *t = v->priv;
	sqlite3 *db = tui_db(v->tui);
	static const char *const sql[] = {
		"SELECT min(first_ns), max(last_ns) FROM chunks",
		"SELECT min(coalesce(started_ns, created_ns)), max(coalesce(ended_ns, started_ns, "
		"created_ns)) FROM tasks",
	};

	t->lo = 0;
	t->hi = 1000000000;
	for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
		sqlite3_stmt *s = NULL;
		bool ok = false;

		if (sqlite3_prepare_v2(db, sql[i], -1, &s, NULL) == SQLITE_OK &&
		    sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
			t->lo = sqlite3_column_int64(s, 0);
			t->hi = sqlite3_column_int64(s, 1);
			ok = true;
		}
		sqlite3_finalize(s);
		if (ok)
			break;
	}
	if (t->hi <= t->lo)
		t->hi = t->lo + 1000;
}

/* Keeps the window inside the trace and at least TL_MIN_NS_COL a column. */
static void tl_clamp(struct tl *t)
{
	int64_t full = t->hi - t->lo, min = (int64_t)(t->ncols > 0 ? t->ncols : 1) * TL_MIN_NS_COL;

	if (t->span < min)
		t->span = min;
	if (t->span >= full) {
		t->span = full;
		t->t0 = t->lo;
	}
	if (t->t0 + t->span > t->hi)
		t->t0 = t->hi - t->span;
	if (t->t0 < t->lo)
		t->t0 = t->lo;
	t->whole = t->t0 == t->lo && t->span == full;
}

/* Marks the buckets of one row that intervals of kind k cover. */
static void tl_fill(struct tl *t, sqlite3_stmt *prev, sqlite3_stmt *next, unsigned char bit,
		    int64_t thread, unsigned char *row)
{
	int c = 0, n = t->ncols;

	while (c < n) {
		int64_t a = tl_at(t, c), b = tl_at(t, c + 1);
		bool hit = false;
		int64_t e = 0;

		sqlite3_reset(prev);
		sqlite3_bind_int64(prev, 1, thread);
		sqlite3_bind_int64(prev, 2, b);
		sqlite3_bind_int64(prev, 3, t->hi);
		if (sqlite3_step(prev) == SQLITE_ROW && sqlite3_column_int(prev, 2) == WEFT_WAIT_BLOCK &&
		    sqlite3_column_type(prev, 2) != SQLITE_NULL) {
			int64_t s = sqlite3_column_int64(prev, 0);

			e = sqlite3_column_int64(prev, 1);
			hit = s >= a || e > a;
		}
		if (hit) {
			int last = tl_col(t, e > a ? e - 1 : a);

			if (last < c)
				last = c;
			if (last >= n)
				last = n - 1;
			for (int i = c; i <= last; i++)
				row[i] |= bit;
			c = last + 1;
			continue;
		}
		sqlite3_reset(next);
		sqlite3_bind_int64(next, 1, thread);
		sqlite3_bind_int64(next, 2, b);
		if (sqlite3_step(next) != SQLITE_ROW || sqlite3_column_type(next, 0) == SQLITE_NULL)
			break;
		{
			int nc = tl_col(t, sqlite3_column_int64(next, 0));

			c = nc > c ? nc : c + 1;
		}
	}
}

static sqlite3_stmt *tl_step(sqlite3 *db, const char *sql, int64_t thread, int64_t ts, int64_t hi)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(s, 1, thread);
	sqlite3_bind_int64(s, 2, ts);
	sqlite3_bind_int64(s, 3, hi);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

static const char *tl_str(sqlite3_stmt *s, int col)
{
	const char *r = (const char *)sqlite3_column_text(s, col);

	return r ? r : "?";
}

/* Names what is under the cursor: the thread, the time, the task running
 * there, and the wait or block it is in.  The same seeks as tl_fill. */
static void tl_info(struct view *v)
{
	struct tl *t = v->priv;
	sqlite3 *db = tui_db(v->tui);
	const struct pager_row *r = pager_selected(&t->p);
	sqlite3_stmt *s;
	char tb[32], d[32];
	int64_t a, b;
	size_t n;

	t->info_valid = true;
	t->info_task = 0;
	t->info[0] = t->info2[0] = '\0';
	if (!r || t->ncols <= 0)
		return;
	a = tl_at(t, t->cur);
	b = tl_at(t, t->cur + 1);
	n = (size_t)snprintf(t->info, sizeof t->info, "%s tid %lld: ",
			     draw_time(tb, sizeof tb, a, (b - a) / 10),
			     (long long)sqlite3_value_int64(r->c[0]));
	s = tl_step(db, "SELECT t.started_ns, coalesce(t.ended_ns, ?3), t.id, t.task, n.s, t.ended_ns "
		    "FROM tasks t LEFT JOIN strings n ON n.id = t.name WHERE t.started_thread = ?1 "
		    "AND t.started_ns < ?2 ORDER BY t.started_ns DESC LIMIT 1", r->id, b, t->hi);
	if (s && (sqlite3_column_int64(s, 0) >= a || sqlite3_column_int64(s, 1) > a)) {
		int64_t st = sqlite3_column_int64(s, 0), en = sqlite3_column_int64(s, 1);

		t->info_task = sqlite3_column_int64(s, 2);
		n += (size_t)snprintf(t->info + n, sizeof t->info - n, "task %lld %s ran %s%s",
				      (long long)sqlite3_column_int64(s, 3), tl_str(s, 4),
				      draw_duration(d, sizeof d, en - st),
				      sqlite3_column_type(s, 5) == SQLITE_NULL ? " (not ended)" : "");
	}
	sqlite3_finalize(s);
	if (!t->info_task)
		snprintf(t->info + n, sizeof t->info - n, "no task running");
	n = 0;
	s = tl_step(db, "SELECT w.begin_ns, coalesce(w.end_ns, ?3), w.mode, a.task, n.s, w.timed_out, "
		    "w.end_ns FROM waits w LEFT JOIN tasks a ON a.id = w.awaited "
		    "LEFT JOIN strings n ON n.id = a.name WHERE w.thread = ?1 AND w.begin_ns < ?2 "
		    "ORDER BY w.begin_ns DESC LIMIT 1", r->id, b, t->hi);
	if (s && sqlite3_column_int(s, 2) == WEFT_WAIT_BLOCK &&
	    (sqlite3_column_int64(s, 0) >= a || sqlite3_column_int64(s, 1) > a))
		n += (size_t)snprintf(t->info2 + n, sizeof t->info2 - n, "waiting %s for task %lld %s%s",
				      draw_duration(d, sizeof d, sqlite3_column_int64(s, 1) -
								 sqlite3_column_int64(s, 0)),
				      (long long)sqlite3_column_int64(s, 3), tl_str(s, 4),
				      sqlite3_column_int(s, 5) ? " (timed out)"
				      : sqlite3_column_type(s, 6) == SQLITE_NULL ? " (still waiting)" : "");
	sqlite3_finalize(s);
	if (n >= sizeof t->info2)
		return;
	s = tl_step(db, "SELECT b.begin_ns, coalesce(b.end_ns, ?3), r.s FROM blocks b "
		    "LEFT JOIN strings r ON r.id = b.reason WHERE b.thread = ?1 AND b.begin_ns < ?2 "
		    "ORDER BY b.begin_ns DESC LIMIT 1", r->id, b, t->hi);
	if (s && (sqlite3_column_int64(s, 0) >= a || sqlite3_column_int64(s, 1) > a))
		n += (size_t)snprintf(t->info2 + n, sizeof t->info2 - n, "%sblocked %s in %s",
				      n ? ", " : "",
				      draw_duration(d, sizeof d, sqlite3_column_int64(s, 1) -
								 sqlite3_column_int64(s, 0)),
				      tl_str(s, 2));
	sqlite3_finalize(s);
	if (n == 0)
		snprintf(t->info2, sizeof t->info2, t->info_task ? "running" : "idle");
}

/* Selects the row of thread `want` (rows are in thread order). */
static void tl_select_thread(struct tl *t, int64_t want)
{
	for (int i = 0; i < 100000; i++) {
		const struct pager_row *r = pager_selected(&t->p);
		int64_t before;

		if (!r || r->id >= want)
			break;
		before = r->id;
		pager_down(&t->p);
		r = pager_selected(&t->p);
		if (!r || r->id == before)
			break;
	}
}

/* Reads the cells of the rows on screen. */
static void tl_query(struct view *v)
{
	struct tl *t = v->priv;
	sqlite3 *db = tui_db(v->tui);
	sqlite3_stmt *prev[TL_NKINDS] = { 0 }, *next[TL_NKINDS] = { 0 };
	size_t need = (size_t)(t->p.n > 0 ? t->p.n : 1) * (size_t)(t->ncols > 0 ? t->ncols : 1);
	unsigned char *cells;

	t->dirty = false;
	t->info_valid = false;
	cells = realloc(t->cells, need);
	if (!cells)
		return;
	t->cells = cells;
	memset(cells, 0, need);
	t->crows = t->p.n;
	t->ccols = t->ncols;
	t->cells_top = t->p.n ? t->p.rows[0].id : 0;
	t->err[0] = '\0';
	for (int k = 0; k < TL_NKINDS; k++) {
		if (sqlite3_prepare_v2(db, tl_kinds[k].prev, -1, &prev[k], NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(db, tl_kinds[k].next, -1, &next[k], NULL) != SQLITE_OK) {
			snprintf(t->err, sizeof t->err, "%s", sqlite3_errmsg(db));
			goto out;
		}
	}
	for (int i = 0; i < t->p.n; i++)
		for (int k = 0; k < TL_NKINDS; k++)
			tl_fill(t, prev[k], next[k], tl_kinds[k].bit, t->p.rows[i].id,
				cells + (size_t)i * (size_t)t->ncols);
out:
	for (int k = 0; k < TL_NKINDS; k++) {
		sqlite3_finalize(prev[k]);
		sqlite3_finalize(next[k]);
	}
}

/* Opened at a task or a finding: its thread and time range. */
static void tl_focus(struct view *v)
{
	struct tl *t = v->priv;
	sqlite3_stmt *s = NULL;
	const char *sql = v->arg > 0
		? "SELECT coalesce(started_thread, created_thread), coalesce(created_ns, started_ns), "
		  "coalesce(ended_ns, ?2), coalesce(started_ns, created_ns) FROM tasks WHERE id = ?1"
		: "SELECT coalesce(f.thread, t.started_thread), f.begin_ns, coalesce(f.end_ns, ?2), "
		  "f.begin_ns FROM findings f LEFT JOIN tasks t ON t.id = f.task WHERE f.id = ?1";

	if (sqlite3_prepare_v2(tui_db(v->tui), sql, -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(s, 1, v->arg > 0 ? v->arg : -v->arg);
	sqlite3_bind_int64(s, 2, t->hi);
	if (sqlite3_step(s) != SQLITE_ROW || sqlite3_column_type(s, 1) == SQLITE_NULL) {
		tui_message(v->tui, "Nothing to show on the timeline: no time recorded for this %s",
			    v->arg > 0 ? "task" : "finding");
		goto out;
	}
	{
		int64_t b = sqlite3_column_int64(s, 1), e = sqlite3_column_int64(s, 2), pad;

		if (e < b)
			e = b;
		pad = (e - b) / 8 > 1000 ? (e - b) / 8 : 1000;
		t->t0 = b - pad;
		t->span = e - b + 2 * pad;
		t->want_thread = sqlite3_column_int64(s, 0);
		t->want_ns = sqlite3_column_int64(s, 3);
	}
out:
	sqlite3_finalize(s);
}

static int tl_open(struct view *v)
{
	struct tl *t = calloc(1, sizeof *t);

	if (!t)
		return -1;
	v->priv = t;
	t->want_ns = TL_NONE;
	t->ncols = v->cols - TL_LABEL > 1 ? v->cols - TL_LABEL : 1;
	tl_extent(v);
	t->t0 = t->lo;
	t->span = t->hi - t->lo;
	if (v->arg)
		tl_focus(v);
	tl_clamp(t);
	t->p.db = tui_db(v->tui);
	t->p.key = "id";
	t->p.id = "id";
	t->p.cols = "tid, name, ctx_name";
	t->p.ncols = 3;
	t->p.from = "(SELECT th.id AS id, th.tid AS tid, th.name AS name, "
		    "coalesce((SELECT c.name FROM thread_bindings b JOIN contexts c ON c.id = b.ctx "
		    "WHERE b.thread = th.id AND b.begin_ns < ?1 ORDER BY b.begin_ns DESC LIMIT 1), "
		    "(SELECT c.name FROM contexts c WHERE c.id = th.ctx)) AS ctx_name FROM threads th)";
	t->p.where = "1";
	t->p.bind = tl_bind;
	t->p.bind_arg = t;
	pager_load(&t->p, v->rows - 4);
	if (t->want_thread)
		tl_select_thread(t, t->want_thread);
	t->dirty = true;
	return 0;
}

static void tl_close(struct view *v)
{
	struct tl *t = v->priv;

	pager_free(&t->p);
	free(t->cells);
	free(t);
}

static void tl_draw_row(struct tl *t, int i, int yy, int cols)
{
	const struct pager_row *r = &t->p.rows[i];
	bool sel = i == t->p.sel;
	enum term_role lr = sel ? ROLE_SELECTED : ROLE_NORMAL;
	const unsigned char *row = t->cells + (size_t)i * (size_t)t->ncols;
	int c = 0;

	draw_fmt(yy, 0, 7, lr, "%6lld ", (long long)sqlite3_value_int64(r->c[0]));
	draw_text(yy, 7, 9, lr, (const char *)sqlite3_value_text(r->c[1]),
		  (size_t)sqlite3_value_bytes(r->c[1]));
	draw_text(yy, 16, 1, lr, " ", 1);
	draw_text(yy, 17, 8, lr, (const char *)sqlite3_value_text(r->c[2]),
		  (size_t)sqlite3_value_bytes(r->c[2]));
	draw_text(yy, 25, 1, ROLE_NORMAL, " ", 1);
	if (i >= t->crows || t->ccols != t->ncols)
		return;
	while (c < t->ncols && TL_LABEL + c < cols) {
		int g = TL_NGLYPHS, e = c + 1;

		for (int k = 0; k < TL_NGLYPHS; k++)
			if (row[c] & tl_glyphs[k].bit) {
				g = k;
				break;
			}
		/* a run of the same glyph, cut at the cursor */
		while (e < t->ncols && row[e] == row[c] && !(sel && e == t->cur) && !(sel && c == t->cur))
			e++;
		if (sel && c == t->cur) {
			if (g < TL_NGLYPHS)
				draw_glyphs(yy, TL_LABEL + c, 1, ROLE_SELECTED, tl_glyphs[g].utf8,
					    tl_glyphs[g].ascii);
			else
				draw_text(yy, TL_LABEL + c, 1, ROLE_SELECTED, " ", 1);
		} else if (g < TL_NGLYPHS) {
			draw_glyphs(yy, TL_LABEL + c, e - c, tl_glyphs[g].role, tl_glyphs[g].utf8,
				    tl_glyphs[g].ascii);
		}
		c = e;
	}
}

static void tl_draw(struct view *v, int y, int rows, int cols)
{
	struct tl *t = v->priv;
	int64_t bw;
	char a[32], b[32], sp[32], w[32];
	int x, nrows = rows - 4;

	if (t->p.limit != nrows) {
		pager_load(&t->p, nrows);
		t->dirty = true;
	}
	if (cols - TL_LABEL > 1 && cols - TL_LABEL != t->ncols) {
		int64_t tc = tl_at(t, t->cur);

		t->ncols = cols - TL_LABEL;
		tl_clamp(t);
		t->cur = tl_col(t, tc);
		t->dirty = true;
	}
	if (t->want_ns != TL_NONE) {
		t->cur = tl_col(t, t->want_ns);
		t->want_ns = TL_NONE;
	}
	if (t->cur < 0)
		t->cur = 0;
	if (t->cur >= t->ncols)
		t->cur = t->ncols - 1;
	if (t->dirty || (t->p.n && t->cells_top != t->p.rows[0].id) || t->crows != t->p.n)
		tl_query(v);
	if (!t->info_valid)
		tl_info(v);
	bw = t->span / t->ncols > 0 ? t->span / t->ncols : 1;
	x = draw_fmt(y, 0, cols, ROLE_NORMAL, "%s..%s  span %s%s  col %s   ",
		     draw_time(a, sizeof a, t->t0, bw / 10), draw_time(b, sizeof b, t->t0 + t->span, bw / 10),
		     draw_duration(sp, sizeof sp, t->span), t->whole ? " (all)" : "",
		     draw_duration(w, sizeof w, bw));
	for (int k = TL_NGLYPHS - 1; k >= 0 && x + 10 < cols; k--) {
		draw_glyphs(y, x, 1, tl_glyphs[k].role, tl_glyphs[k].utf8, tl_glyphs[k].ascii);
		x += 2 + draw_text(y, x + 2, cols - x - 2, ROLE_NORMAL, tl_glyphs[k].name,
				   (size_t)-1);
		x += 2;
	}
	/* the axis: a tick and its time every 16 columns, the cursor's column */
	draw_text(y + 1, 0, TL_LABEL, ROLE_HEADER, "   tid name      ctx", (size_t)-1);
	draw_text(y + 1, TL_LABEL, cols - TL_LABEL, ROLE_DIM, "", 0);
	for (int c = 0; c + 8 < t->ncols; c += 16)
		draw_fmt(y + 1, TL_LABEL + c, 16, ROLE_DIM, "|%s", draw_time(a, sizeof a, tl_at(t, c), bw / 10));
	draw_text(y + 1, TL_LABEL + t->cur, 1, ROLE_SELECTED, "v", 1);
	if (t->p.n == 0)
		draw_text(y + 2, 0, cols, ROLE_DIM,
			  t->p.err[0] ? t->p.err : "(no threads in this store)", (size_t)-1);
	for (int i = 0; i < t->p.n && i < nrows; i++)
		tl_draw_row(t, i, y + 2 + i, cols);
	draw_text(y + rows - 2, 0, cols, t->err[0] ? ROLE_FINDING_ERROR : ROLE_HEADER,
		  t->err[0] ? t->err : t->info, (size_t)-1);
	draw_text(y + rows - 1, 0, cols, ROLE_NORMAL, t->info2, (size_t)-1);
}

/* Moves the window by `by` ns (clamped); true if it moved. */
static bool tl_pan(struct tl *t, int64_t by)
{
	int64_t old = t->t0;

	t->t0 += by;
	tl_clamp(t);
	t->dirty = t->dirty || t->t0 != old;
	return t->t0 != old;
}

static void tl_zoom(struct tl *t, bool in)
{
	int64_t tc = tl_at(t, t->cur) + (tl_at(t, t->cur + 1) - tl_at(t, t->cur)) / 2;

	if (in) {
		t->t0 = tc - (tc - t->t0) / 2;
		t->span /= 2;
	} else {
		t->t0 = tc - (tc - t->t0) * 2;
		t->span = t->span > INT64_MAX / 4 ? INT64_MAX / 4 : t->span * 2;
	}
	tl_clamp(t);
	t->cur = tl_col(t, tc);
	if (t->cur >= t->ncols)
		t->cur = t->ncols - 1;
	if (t->cur < 0)
		t->cur = 0;
	t->dirty = true;
}

static bool tl_key(struct view *v, enum key_action a)
{
	struct tl *t = v->priv;
	int64_t bw = t->span / t->ncols > 0 ? t->span / t->ncols : 1;

	switch (a) {
	case KEY_ACT_DOWN: pager_down(&t->p); break;
	case KEY_ACT_UP: pager_up(&t->p); break;
	case KEY_ACT_PAGE_DOWN: pager_page_down(&t->p); break;
	case KEY_ACT_PAGE_UP: pager_page_up(&t->p); break;
	case KEY_ACT_TOP: pager_top(&t->p); break;
	case KEY_ACT_BOTTOM: pager_bottom(&t->p); break;
	case KEY_ACT_LEFT:
		if (t->cur > 0)
			t->cur--;
		else
			tl_pan(t, -bw);
		break;
	case KEY_ACT_RIGHT:
		if (t->cur + 1 < t->ncols)
			t->cur++;
		else
			tl_pan(t, bw);
		break;
	case KEY_ACT_PAN_LEFT: tl_pan(t, -t->span / 2); break;
	case KEY_ACT_PAN_RIGHT: tl_pan(t, t->span / 2); break;
	case KEY_ACT_ZOOM_IN: tl_zoom(t, true); break;
	case KEY_ACT_ZOOM_OUT: tl_zoom(t, false); break;
	case KEY_ACT_ZOOM_ALL:
		t->span = t->hi - t->lo;
		tl_clamp(t);
		t->dirty = true;
		break;
	case KEY_ACT_ENTER:
		if (!t->info_valid)
			tl_info(v);
		if (t->info_task)
			tui_push(v->tui, &view_detail_ops, t->info_task);
		else
			tui_message(v->tui, "No task runs under the cursor");
		return true;
	default:
		return false;
	}
	t->info_valid = false;
	return true;
}

static bool tl_click(struct view *v, int y, int x)
{
	struct tl *t = v->priv;
	int i = y - 2;

	if (i < 0 || i >= t->p.n || i >= v->rows - 4)
		return false;
	t->p.sel = i;
	if (x >= TL_LABEL && x - TL_LABEL < t->ncols)
		t->cur = x - TL_LABEL;
	t->info_valid = false;
	return true;
}

static void tl_reload(struct view *v)
{
	struct tl *t = v->priv;
	bool whole = t->whole;

	tl_extent(v);
	if (whole) {
		t->t0 = t->lo;
		t->span = t->hi - t->lo;
	}
	tl_clamp(t);
	pager_load(&t->p, t->p.limit);
	t->dirty = true;
}

const struct view_ops view_timeline_ops = {
	.name = "timeline",
	.open = tl_open,
	.close = tl_close,
	.draw = tl_draw,
	.key = tl_key,
	.reload = tl_reload,
	.click = tl_click,
};
