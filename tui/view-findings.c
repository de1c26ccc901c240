/*
 * The findings view: the detectors' findings, most severe first, through
 * the keyset pager; Enter opens the task detail (its chain) of the task a
 * finding is about, t the timeline at the finding's time range with its
 * thread selected.  One root cause, one row: findings that follow from
 * another (findings.attached_to: the slow callback that is a deadlocked
 * wait) are not listed again but counted on their root's row ("+N"), as
 * `weft report` prints them under it; a suppressed finding says so.
 */
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "pager.h"
#include "view.h"

static int fv_open(struct view *v)
{
	struct pager *p = calloc(1, sizeof *p);

	if (!p)
		return -1;
	p->db = tui_db(v->tui);
	p->key = "-severity_level";
	p->id = "id";
	p->cols = "severity, severity_level, detector, task_id, task_name, message, "
		  "(SELECT count(*) FROM findings a WHERE a.attached_to = finding_summary.id), "
		  "suppressed";
	p->ncols = 8;
	p->from = "finding_summary";
	p->where = "attached_to IS NULL";
	v->priv = p;
	pager_load(p, v->rows - 1);
	return 0;
}

static void fv_close(struct view *v)
{
	pager_free(v->priv);
	free(v->priv);
}

static enum term_role fv_role(int level)
{
	return level >= 2 ? ROLE_FINDING_ERROR : level == 1 ? ROLE_FINDING_WARNING : ROLE_FINDING_INFO;
}

static void fv_draw(struct view *v, int y, int rows, int cols)
{
	struct pager *p = v->priv;

	if (p->limit != rows - 1)
		pager_load(p, rows - 1);
	draw_text(y, 0, 8, ROLE_HEADER, "severity", (size_t)-1);
	draw_text(y, 9, 25, ROLE_HEADER, "detector", (size_t)-1);
	draw_text(y, 34, 17, ROLE_HEADER, "task", (size_t)-1);
	draw_text(y, 51, cols - 51, ROLE_HEADER, "message  (+N: findings that follow from it)",
		  (size_t)-1);
	if (p->n == 0)
		draw_text(y + 1, 0, cols, ROLE_DIM,
			  p->err[0] ? p->err : "(no findings: the detectors found nothing)", (size_t)-1);
	for (int i = 0; i < p->n && i < rows - 1; i++) {
		sqlite3_value **c = p->rows[i].c;
		bool sel = i == p->sel;
		enum term_role r = sel ? ROLE_SELECTED : ROLE_NORMAL;

		draw_text(y + 1 + i, 0, 9, sel ? r : fv_role(sqlite3_value_int(c[1])),
			  (const char *)sqlite3_value_text(c[0]), (size_t)-1);
		int x = 51, more = sqlite3_value_int(c[6]);

		/* each cell one column short of the next: never run together */
		draw_text(y + 1 + i, 9, 25, r, (const char *)sqlite3_value_text(c[2]),
			  (size_t)sqlite3_value_bytes(c[2]));
		draw_text(y + 1 + i, 33, 1, r, " ", 1);
		draw_text(y + 1 + i, 34, 16, r, (const char *)sqlite3_value_text(c[4]),
			  (size_t)sqlite3_value_bytes(c[4]));
		draw_text(y + 1 + i, 50, 1, r, " ", 1);
		if (sqlite3_value_type(c[7]) != SQLITE_NULL)
			x += draw_text(y + 1 + i, x, cols - x, sel ? r : ROLE_DIM, "suppressed: ",
				       (size_t)-1);
		if (more > 0)
			x += draw_fmt(y + 1 + i, x, cols - x, sel ? r : ROLE_DIM, "+%d ", more);
		draw_text(y + 1 + i, x, cols - x, r, (const char *)sqlite3_value_text(c[5]),
			  (size_t)sqlite3_value_bytes(c[5]));
	}
}

static bool fv_key(struct view *v, enum key_action a)
{
	struct pager *p = v->priv;
	const struct pager_row *r;

	switch (a) {
	case KEY_ACT_DOWN: pager_down(p); return true;
	case KEY_ACT_UP: pager_up(p); return true;
	case KEY_ACT_PAGE_DOWN: pager_page_down(p); return true;
	case KEY_ACT_PAGE_UP: pager_page_up(p); return true;
	case KEY_ACT_TOP: pager_top(p); return true;
	case KEY_ACT_BOTTOM: pager_bottom(p); return true;
	case KEY_ACT_ENTER:
		r = pager_selected(p);
		if (!r)
			return true;
		if (sqlite3_value_type(r->c[3]) == SQLITE_NULL)
			tui_message(v->tui, "This finding is about no single task");
		else
			tui_push(v->tui, &view_detail_ops, sqlite3_value_int64(r->c[3]));
		return true;
	case KEY_ACT_TIMELINE:
		r = pager_selected(p);
		if (r)
			tui_push(v->tui, &view_timeline_ops, TIMELINE_AT_FINDING(r->id));
		return true;
	default:
		return false;
	}
}

static bool fv_click(struct view *v, int y, int x)
{
	struct pager *p = v->priv;

	(void)x;
	if (y < 1 || y - 1 >= p->n)
		return false;
	p->sel = y - 1;
	return true;
}

static void fv_refresh(struct view *v)
{
	struct pager *p = v->priv;

	pager_load(p, p->limit);
}

const struct view_ops view_findings_ops = {
	.name = "findings",
	.open = fv_open,
	.close = fv_close,
	.draw = fv_draw,
	.key = fv_key,
	.reload = fv_refresh,
	.click = fv_click,
};
