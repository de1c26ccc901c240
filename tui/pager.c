/*
 * Keyset paging (pager.h).  Moving past the page's edge asks for one row
 * (or one page) beyond it with a row-value comparison on (key, id), which
 * SQLite answers from an index when the key has one: never an OFFSET, never
 * a count of the whole table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pager.h"

#define PAGER_MAX 512

static void pager_rows_free(struct pager_row *r, int n, int ncols)
{
	for (int i = 0; i < n; i++) {
		sqlite3_value_free(r[i].k);
		for (int c = 0; c < ncols; c++)
			sqlite3_value_free(r[i].c[c]);
		free(r[i].c);
	}
}

/* Fetches up to `limit` rows into out: forward (display order) or backward
 * from (k, id) (strictly beyond it, or from it when !strict), or from an end
 * when k is NULL and !keyed.  Returns the count, -1 on error. */
static int pager_fetch(struct pager *p, bool fwd, bool strict, bool keyed, sqlite3_value *k,
		       int64_t id, int limit, struct pager_row *out)
{
	char sql[2048], cond[512] = "";
	sqlite3_stmt *s = NULL;
	bool asc = fwd != p->desc;
	int n = 0, rc;

	if (keyed)
		snprintf(cond, sizeof cond, " AND (%s, %s) %s (?20, ?21)", p->key, p->id,
			 asc ? (strict ? ">" : ">=") : (strict ? "<" : "<="));
	snprintf(sql, sizeof sql, "SELECT %s, %s, %s FROM %s WHERE (%s)%s ORDER BY 1 %s, 2 %s LIMIT ?22",
		 p->key, p->id, p->cols, p->from, p->where, cond, asc ? "ASC" : "DESC",
		 asc ? "ASC" : "DESC");
	if (sqlite3_prepare_v2(p->db, sql, -1, &s, NULL) != SQLITE_OK) {
		snprintf(p->err, sizeof p->err, "%s", sqlite3_errmsg(p->db));
		return -1;
	}
	if (p->bind)
		p->bind(p->bind_arg, s);
	if (keyed) {
		sqlite3_bind_value(s, 20, k);
		sqlite3_bind_int64(s, 21, id);
	}
	sqlite3_bind_int(s, 22, limit);
	while (n < limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct pager_row *r = &out[n];

		r->c = calloc((size_t)p->ncols, sizeof *r->c);
		if (!r->c)
			break;
		r->k = sqlite3_value_dup(sqlite3_column_value(s, 0));
		r->id = sqlite3_column_int64(s, 1);
		for (int c = 0; c < p->ncols; c++)
			r->c[c] = sqlite3_value_dup(sqlite3_column_value(s, c + 2));
		n++;
	}
	p->err[0] = '\0';
	sqlite3_finalize(s);
	return n;
}

static void pager_set_top(struct pager *p, const struct pager_row *r)
{
	sqlite3_value_free(p->top_k);
	p->top_k = sqlite3_value_dup(r->k);
	p->top_id = r->id;
	p->have_top = true;
}

void pager_load(struct pager *p, int limit)
{
	if (limit < 1)
		limit = 1;
	if (limit > PAGER_MAX)
		limit = PAGER_MAX;
	if (!p->rows) {
		p->rows = calloc(PAGER_MAX, sizeof *p->rows);
		if (!p->rows)
			return;
	}
	pager_rows_free(p->rows, p->n, p->ncols);
	p->limit = limit;
	p->n = pager_fetch(p, true, false, p->have_top, p->top_k, p->top_id, limit, p->rows);
	if (p->n == 0 && p->have_top) {
		/* the top row went (filter, store rewritten): from the start */
		p->have_top = false;
		p->n = pager_fetch(p, true, false, false, NULL, 0, limit, p->rows);
	}
	if (p->n < 0)
		p->n = 0;
	if (p->sel >= p->n)
		p->sel = p->n > 0 ? p->n - 1 : 0;
}

void pager_reset(struct pager *p)
{
	p->have_top = false;
	p->sel = 0;
}

/* The one row beyond the page's last (or before its first), in *r. */
static bool pager_beyond(struct pager *p, bool fwd, struct pager_row *r)
{
	const struct pager_row *edge = fwd ? &p->rows[p->n - 1] : &p->rows[0];

	return pager_fetch(p, fwd, true, true, edge->k, edge->id, 1, r) == 1;
}

void pager_down(struct pager *p)
{
	struct pager_row r;

	if (p->sel + 1 < p->n) {
		p->sel++;
		return;
	}
	if (p->n == 0 || !pager_beyond(p, true, &r))
		return;
	pager_set_top(p, p->n > 1 ? &p->rows[1] : &r);
	pager_rows_free(&r, 1, p->ncols);
	pager_load(p, p->limit);
	p->sel = p->n - 1;
}

void pager_up(struct pager *p)
{
	struct pager_row r;

	if (p->sel > 0) {
		p->sel--;
		return;
	}
	if (p->n == 0 || !pager_beyond(p, false, &r))
		return;
	pager_set_top(p, &r);
	pager_rows_free(&r, 1, p->ncols);
	pager_load(p, p->limit);
	p->sel = 0;
}

void pager_page_down(struct pager *p)
{
	struct pager_row r;

	if (p->n < p->limit || !pager_beyond(p, true, &r)) {
		p->sel = p->n > 0 ? p->n - 1 : 0;
		return;
	}
	pager_set_top(p, &r);
	pager_rows_free(&r, 1, p->ncols);
	pager_load(p, p->limit);
}

void pager_page_up(struct pager *p)
{
	struct pager_row *r;
	int m;

	if (p->n == 0)
		return;
	r = calloc((size_t)p->limit, sizeof *r);
	if (!r)
		return;
	m = pager_fetch(p, false, true, true, p->rows[0].k, p->rows[0].id, p->limit, r);
	if (m > 0) {
		pager_set_top(p, &r[m - 1]);
		pager_rows_free(r, m, p->ncols);
		pager_load(p, p->limit);
	} else {
		p->sel = 0;
	}
	free(r);
}

void pager_top(struct pager *p)
{
	pager_reset(p);
	pager_load(p, p->limit);
}

void pager_bottom(struct pager *p)
{
	struct pager_row *r = calloc((size_t)(p->limit > 0 ? p->limit : 1), sizeof *r);
	int m;

	if (!r)
		return;
	m = pager_fetch(p, false, false, false, NULL, 0, p->limit, r);
	if (m > 0) {
		pager_set_top(p, &r[m - 1]);
		pager_rows_free(r, m, p->ncols);
		pager_load(p, p->limit);
		p->sel = p->n > 0 ? p->n - 1 : 0;
	}
	free(r);
}

const struct pager_row *pager_selected(const struct pager *p)
{
	return p->n > 0 ? &p->rows[p->sel] : NULL;
}

void pager_free(struct pager *p)
{
	if (p->rows) {
		pager_rows_free(p->rows, p->n, p->ncols);
		free(p->rows);
	}
	sqlite3_value_free(p->top_k);
	p->rows = NULL;
	p->top_k = NULL;
	p->n = 0;
}
