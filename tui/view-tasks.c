/*
 * The tasks view: one row per task, sortable by any column (s / h / l, r to
 * reverse), filtered by a regular expression on name and site (/) and by
 * state (f).  Rows come from task_summary through the keyset pager, a
 * screen at a time; Enter opens the task's detail.
 *
 * Columns: id (weft task id), name, state, total (created -> ended), busy
 * (started -> ended), qwait (scheduled -> started), conts (continuations
 * added to it), hops (marshals into it: posts from one context to another),
 * site (file:line of its creation).
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "pager.h"
#include "view.h"

#define TASKS_CONTS "(SELECT count(*) FROM links l WHERE l.src = task_summary.id AND l.kind = 0)"
#define TASKS_HOPS "(SELECT count(*) FROM links l WHERE l.dst = task_summary.id AND l.kind = 1)"

enum tasks_kind { TK_INT, TK_TEXT, TK_NS };

static const struct {
	const char *title;
	const char *key; /* the sort key (constant SQL) */
	int width;       /* 0: the rest */
	enum tasks_kind kind;
	bool desc;       /* the natural order when chosen */
} tasks_cols[] = {
	{ "id", "id", 6, TK_INT, false },
	{ "name", "coalesce(name, '')", 18, TK_TEXT, false },
	{ "state", "state", 7, TK_TEXT, false },
	{ "total", "coalesce(total_ns, -1)", 8, TK_NS, true },
	{ "busy", "coalesce(run_ns, -1)", 8, TK_NS, true },
	{ "qwait", "coalesce(queue_wait_ns, -1)", 8, TK_NS, true },
	{ "conts", TASKS_CONTS, 5, TK_INT, true },
	{ "hops", TASKS_HOPS, 4, TK_INT, true },
	{ "site", "coalesce(site, '')", 0, TK_TEXT, false },
};
#define TASKS_NCOLS (int)(sizeof tasks_cols / sizeof tasks_cols[0])

static const char *const tasks_states[] = { NULL, "created", "queued", "running", "ended",
					    "unknown" };
#define TASKS_NSTATES (sizeof tasks_states / sizeof tasks_states[0])

struct tasks {
	struct pager p;
	int sort;
	size_t state;
	char filter[256];
};

/* weft_match(re, text): POSIX extended regex, case-insensitive; the
 * compiled pattern is kept as SQLite auxdata for the statement. */
static void tasks_regex_free(void *p)
{
	regfree(p);
	free(p);
}

static void tasks_match(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	regex_t *re = sqlite3_get_auxdata(cx, 0);
	const char *text = (const char *)sqlite3_value_text(argv[1]);

	(void)argc;
	if (!re) {
		const char *pat = (const char *)sqlite3_value_text(argv[0]);

		re = malloc(sizeof *re);
		if (!re || !pat || regcomp(re, pat, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0) {
			free(re);
			sqlite3_result_error(cx, "invalid regular expression", -1);
			return;
		}
		sqlite3_set_auxdata(cx, 0, re, tasks_regex_free);
		re = sqlite3_get_auxdata(cx, 0);
		if (!re) {
			sqlite3_result_error_nomem(cx);
			return;
		}
	}
	sqlite3_result_int(cx, text && regexec(re, text, 0, NULL, 0) == 0);
}

static void tasks_bind(void *arg, sqlite3_stmt *s)
{
	struct tasks *t = arg;

	if (t->filter[0])
		sqlite3_bind_text(s, 1, t->filter, -1, SQLITE_STATIC);
	if (tasks_states[t->state])
		sqlite3_bind_text(s, 2, tasks_states[t->state], -1, SQLITE_STATIC);
}

static void tasks_sort(struct tasks *t, int col, bool desc)
{
	t->sort = col;
	t->p.key = tasks_cols[col].key;
	t->p.desc = desc;
	pager_reset(&t->p);
}

static int tasks_open(struct view *v)
{
	struct tasks *t = calloc(1, sizeof *t);

	if (!t)
		return -1;
	sqlite3_create_function(tui_db(v->tui), "weft_match", 2,
				SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, tasks_match, NULL, NULL);
	t->p.db = tui_db(v->tui);
	t->p.id = "id";
	t->p.cols = "task, name, state, total_ns, run_ns, queue_wait_ns, " TASKS_CONTS ", "
		    TASKS_HOPS ", site";
	t->p.ncols = 9;
	t->p.from = "task_summary";
	t->p.where = "(?1 IS NULL OR weft_match(?1, coalesce(name, '') || ' ' || coalesce(site, '')))"
		     " AND (?2 IS NULL OR state = ?2)";
	t->p.bind = tasks_bind;
	t->p.bind_arg = t;
	tasks_sort(t, 0, false);
	v->priv = t;
	pager_load(&t->p, v->rows - 2);
	return 0;
}

static void tasks_close(struct view *v)
{
	struct tasks *t = v->priv;

	pager_free(&t->p);
	free(t);
}

static void tasks_cell(int y, int x, int w, enum term_role r, enum tasks_kind kind,
		       sqlite3_value *val)
{
	char buf[32];

	if (sqlite3_value_type(val) == SQLITE_NULL)
		draw_text(y, x, w, r, "-", 1);
	else if (kind == TK_NS)
		draw_text(y, x, w, r, draw_duration(buf, sizeof buf, sqlite3_value_int64(val)),
			  (size_t)-1);
	else if (kind == TK_INT)
		draw_fmt(y, x, w, r, "%lld", (long long)sqlite3_value_int64(val));
	else
		draw_text(y, x, w, r, (const char *)sqlite3_value_text(val),
			  (size_t)sqlite3_value_bytes(val));
}

static void tasks_draw(struct view *v, int y, int rows, int cols)
{
	struct tasks *t = v->priv;
	int x = 0;

	if (t->p.limit != rows - 2)
		pager_load(&t->p, rows - 2);
	draw_fmt(y, 0, cols, ROLE_NORMAL, "tasks  sort: %s %s  state: %s  filter: %s%s%s",
		 tasks_cols[t->sort].title, t->p.desc ? "desc" : "asc",
		 tasks_states[t->state] ? tasks_states[t->state] : "all",
		 t->filter[0] ? t->filter : "(none)", t->p.err[0] ? "  error: " : "", t->p.err);
	for (int c = 0; c < TASKS_NCOLS && x < cols; c++) {
		int w = tasks_cols[c].width ? tasks_cols[c].width : cols - x;
		char h[32];

		snprintf(h, sizeof h, "%s%s", tasks_cols[c].title,
			 c == t->sort ? (t->p.desc ? "v" : "^") : "");
		draw_text(y + 1, x, w, ROLE_HEADER, h, (size_t)-1);
		x += w + 1;
	}
	if (t->p.n == 0)
		draw_text(y + 2, 0, cols, ROLE_DIM, "(no tasks match)", (size_t)-1);
	for (int i = 0; i < t->p.n && i < rows - 2; i++) {
		enum term_role r = i == t->p.sel ? ROLE_SELECTED : ROLE_NORMAL;

		x = 0;
		for (int c = 0; c < TASKS_NCOLS && x < cols; c++) {
			int w = tasks_cols[c].width ? tasks_cols[c].width : cols - x;

			tasks_cell(y + 2 + i, x, w, r, tasks_cols[c].kind, t->p.rows[i].c[c]);
			if (x + w < cols)
				draw_text(y + 2 + i, x + w, 1, r, " ", 1);
			x += w + 1;
		}
	}
}

static bool tasks_key(struct view *v, enum key_action a)
{
	struct tasks *t = v->priv;
	const struct pager_row *r;
	char buf[256];
	regex_t re;

	switch (a) {
	case KEY_ACT_DOWN: pager_down(&t->p); return true;
	case KEY_ACT_UP: pager_up(&t->p); return true;
	case KEY_ACT_PAGE_DOWN: pager_page_down(&t->p); return true;
	case KEY_ACT_PAGE_UP: pager_page_up(&t->p); return true;
	case KEY_ACT_TOP: pager_top(&t->p); return true;
	case KEY_ACT_BOTTOM: pager_bottom(&t->p); return true;
	case KEY_ACT_SORT:
	case KEY_ACT_RIGHT:
		tasks_sort(t, (t->sort + 1) % TASKS_NCOLS, tasks_cols[(t->sort + 1) % TASKS_NCOLS].desc);
		break;
	case KEY_ACT_LEFT:
		tasks_sort(t, (t->sort + TASKS_NCOLS - 1) % TASKS_NCOLS,
			   tasks_cols[(t->sort + TASKS_NCOLS - 1) % TASKS_NCOLS].desc);
		break;
	case KEY_ACT_REVERSE:
		tasks_sort(t, t->sort, !t->p.desc);
		break;
	case KEY_ACT_STATE:
		t->state = (t->state + 1) % TASKS_NSTATES;
		pager_reset(&t->p);
		break;
	case KEY_ACT_SEARCH:
		snprintf(buf, sizeof buf, "%s", t->filter);
		if (!tui_prompt(v->tui, "filter (regex): ", buf, sizeof buf))
			return true;
		if (buf[0] && regcomp(&re, buf, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0) {
			tui_message(v->tui, "Cannot filter: invalid regular expression: %s", buf);
			return true;
		}
		if (buf[0])
			regfree(&re);
		snprintf(t->filter, sizeof t->filter, "%s", buf);
		pager_reset(&t->p);
		break;
	case KEY_ACT_ENTER:
		r = pager_selected(&t->p);
		if (r)
			tui_push(v->tui, &view_detail_ops, r->id);
		return true;
	default:
		return false;
	}
	pager_load(&t->p, t->p.limit);
	return true;
}

static bool tasks_click(struct view *v, int y, int x)
{
	struct tasks *t = v->priv;

	(void)x;
	if (y < 2 || y - 2 >= t->p.n)
		return false;
	t->p.sel = y - 2;
	return true;
}

static void tasks_refresh(struct view *v)
{
	struct tasks *t = v->priv;

	pager_load(&t->p, t->p.limit);
}

const struct view_ops view_tasks_ops = {
	.name = "tasks",
	.open = tasks_open,
	.close = tasks_close,
	.draw = tasks_draw,
	.key = tasks_key,
	.reload = tasks_refresh,
	.click = tasks_click,
};
