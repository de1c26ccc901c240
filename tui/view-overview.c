/*
 * The overview view: what the store holds (processes, threads, contexts,
 * event and task counts, the time span), its loss, and the findings by
 * severity.  A handful of aggregate queries, re-run on refresh; the process
 * and context lists are bounded by the screen.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "store.h"
#include "view.h"

#define OV_LINES 64
#define OV_LIST 8

struct overview {
	struct {
		enum term_role role;
		char text[320];
	} line[OV_LINES];
	int n, scroll;
};

static void ov_add(struct overview *o, enum term_role r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void ov_add(struct overview *o, enum term_role r, const char *fmt, ...)
{
	va_list ap;

	if (o->n == OV_LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(o->line[o->n].text, sizeof o->line[o->n].text, fmt, ap);
	va_end(ap);
	o->line[o->n++].role = r;
}

static int64_t ov_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t v = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void ov_read(struct view *v)
{
	struct overview *o = v->priv;
	sqlite3 *db = tui_db(v->tui);
	sqlite3_stmt *s = NULL;
	int64_t sev[STORE_SEVERITY_COUNT] = { 0 }, le, lp;
	char d[32];

	o->n = 0;
	ov_add(o, ROLE_HEADER, "Store");
	ov_add(o, ROLE_NORMAL, "  events %lld   tasks %lld   processes %lld   threads %lld   contexts %lld",
	       (long long)ov_int(db, "SELECT coalesce(sum(events), 0) FROM chunks"),
	       (long long)ov_int(db, "SELECT count(*) FROM tasks"),
	       (long long)ov_int(db, "SELECT count(*) FROM processes"),
	       (long long)ov_int(db, "SELECT count(*) FROM threads"),
	       (long long)ov_int(db, "SELECT count(*) FROM contexts"));
	ov_add(o, ROLE_NORMAL, "  time span %s   sessions %lld   chunks %lld",
	       draw_duration(d, sizeof d,
			     ov_int(db, "SELECT coalesce(max(last_ns) - min(first_ns), -1) FROM chunks")),
	       (long long)ov_int(db, "SELECT count(*) FROM sessions"),
	       (long long)ov_int(db, "SELECT count(*) FROM chunks"));
	tui_loss(v->tui, &le, &lp);
	if (le || lp)
		ov_add(o, ROLE_LOSS, "  loss: %lld events discarded, %lld packets lost: counts and "
		       "chains may be incomplete", (long long)le, (long long)lp);
	else
		ov_add(o, ROLE_NORMAL, "  loss: none");
	if (sqlite3_prepare_v2(db, "SELECT severity, count(*) FROM findings GROUP BY severity", -1,
			       &s, NULL) == SQLITE_OK) {
		while (sqlite3_step(s) == SQLITE_ROW) {
			int k = sqlite3_column_int(s, 0);

			if (k >= 0 && k < STORE_SEVERITY_COUNT)
				sev[k] = sqlite3_column_int64(s, 1);
		}
	}
	sqlite3_finalize(s);
	ov_add(o, ROLE_HEADER, "Findings");
	ov_add(o, sev[STORE_SEVERITY_ERROR] ? ROLE_FINDING_ERROR : ROLE_NORMAL, "  error    %lld",
	       (long long)sev[STORE_SEVERITY_ERROR]);
	ov_add(o, sev[STORE_SEVERITY_WARNING] ? ROLE_FINDING_WARNING : ROLE_NORMAL,
	       "  warning  %lld", (long long)sev[STORE_SEVERITY_WARNING]);
	ov_add(o, ROLE_FINDING_INFO, "  info     %lld", (long long)sev[STORE_SEVERITY_INFO]);
	ov_add(o, ROLE_HEADER, "Processes (pid, name, threads, tasks)");
	s = NULL;
	if (sqlite3_prepare_v2(db,
			       "SELECT p.pid, p.name, (SELECT count(*) FROM threads t WHERE t.process = p.id), "
			       "(SELECT count(*) FROM tasks k WHERE k.process = p.id) FROM processes p "
			       "ORDER BY p.id LIMIT ?1", -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int(s, 1, OV_LIST);
		while (sqlite3_step(s) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(s, 1);

			ov_add(o, ROLE_NORMAL, "  %-8d %-20.64s %6lld %8lld", sqlite3_column_int(s, 0),
			       name ? name : "?", (long long)sqlite3_column_int64(s, 2),
			       (long long)sqlite3_column_int64(s, 3));
		}
	}
	sqlite3_finalize(s);
	ov_add(o, ROLE_HEADER, "Contexts (name, kind, workers)");
	s = NULL;
	if (sqlite3_prepare_v2(db,
			       "SELECT c.name, coalesce(e.name, '?'), c.workers FROM contexts c "
			       "LEFT JOIN enums e ON e.domain = 'ctx_kind' AND e.value = c.kind "
			       "ORDER BY c.id LIMIT ?1", -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int(s, 1, OV_LIST);
		while (sqlite3_step(s) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(s, 0);

			ov_add(o, ROLE_NORMAL, "  %-20.64s %-9s %4d", name ? name : "?",
			       (const char *)sqlite3_column_text(s, 1), sqlite3_column_int(s, 2));
		}
	}
	sqlite3_finalize(s);
}

static int ov_open(struct view *v)
{
	v->priv = calloc(1, sizeof(struct overview));
	if (!v->priv)
		return -1;
	ov_read(v);
	return 0;
}

static void ov_close(struct view *v)
{
	free(v->priv);
}

static void ov_draw(struct view *v, int y, int rows, int cols)
{
	struct overview *o = v->priv;

	for (int i = 0; i < rows && o->scroll + i < o->n; i++)
		draw_text(y + i, 0, cols, o->line[o->scroll + i].role, o->line[o->scroll + i].text,
			  (size_t)-1);
}

static bool ov_key(struct view *v, enum key_action a)
{
	struct overview *o = v->priv;

	switch (a) {
	case KEY_ACT_DOWN:
		if (o->scroll + 1 < o->n)
			o->scroll++;
		return true;
	case KEY_ACT_UP:
		if (o->scroll > 0)
			o->scroll--;
		return true;
	case KEY_ACT_TOP:
		o->scroll = 0;
		return true;
	default:
		return false;
	}
}

const struct view_ops view_overview_ops = {
	.name = "overview",
	.open = ov_open,
	.close = ov_close,
	.draw = ov_draw,
	.key = ov_key,
	.reload = ov_read,
};
