/*
 * pager.h — keyset paging through one SQL query, so a list view asks the
 * store for the rows it shows and nothing else (a 10 M-event store opens as
 * fast as a small one).  Rows are ordered by (key, id); the page starts at
 * the key of its top row and has at most `limit` rows (the screen's).  The
 * SQL is assembled only from the constant fragments a view gives; values
 * (filters) are bound by the view's bind callback as ?1..?19.
 */
#ifndef WEFT_TUI_PAGER_H
#define WEFT_TUI_PAGER_H

#include <stdbool.h>
#include <stdint.h>
#include <sqlite3.h>

struct pager_row {
	sqlite3_value *k;
	int64_t id;
	sqlite3_value **c; /* ncols values */
};

struct pager {
	sqlite3 *db;
	const char *key;   /* key expression (constant SQL) */
	const char *id;    /* unique id expression */
	const char *cols;  /* the other columns, ncols of them */
	int ncols;
	const char *from;  /* table or view */
	const char *where; /* condition on constants and ?1..?19, "1" for all */
	void (*bind)(void *arg, sqlite3_stmt *s);
	void *bind_arg;
	bool desc;         /* display order descending */
	/* state */
	bool have_top;
	sqlite3_value *top_k;
	int64_t top_id;
	struct pager_row *rows;
	int n, limit, sel;
	char err[256];     /* the last SQLite error, "" if none */
};

/* Re-reads the page from its top row (live follow, new filter: call
 * pager_reset first).  limit: rows the screen shows. */
void pager_load(struct pager *p, int limit);
/* Forgets the position (back to the first row). */
void pager_reset(struct pager *p);
void pager_down(struct pager *p);
void pager_up(struct pager *p);
void pager_page_down(struct pager *p);
void pager_page_up(struct pager *p);
void pager_top(struct pager *p);
void pager_bottom(struct pager *p);
/* The selected row, NULL if the page is empty. */
const struct pager_row *pager_selected(const struct pager *p);
void pager_free(struct pager *p);

#endif
