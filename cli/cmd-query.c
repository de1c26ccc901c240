/*
 * `weft query [FILE] SQL [--format table|csv|json]`: read-only SQL over a
 * trace store (tables and views of docs/schema.md).  The store is opened
 * read-only and every statement must be read-only (sqlite3_stmt_readonly),
 * so a query can never change a recording.  Text from the trace is
 * sanitised (store/sanitize.h) before it is printed, in every format.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "sanitize.h"
#include "store.h"

enum fmt { FMT_TABLE, FMT_CSV, FMT_JSON };

struct table {
	int ncol;
	size_t nrows, cap;
	char **cells; /* nrows * ncol sanitised strings, NULL = SQL NULL */
	size_t *width;
	int *numeric;
};

/* Column value as sanitised text (malloc'd), NULL for SQL NULL. */
static char *cell_text(sqlite3_stmt *st, int c)
{
	const char *v;
	char *out;
	int n;

	if (sqlite3_column_type(st, c) == SQLITE_NULL)
		return NULL;
	v = (const char *)sqlite3_column_text(st, c);
	n = sqlite3_column_bytes(st, c);
	if (!v)
		return strdup("");
	out = malloc(SANITIZE_MAX((size_t)n));
	if (out)
		sanitize(v, (size_t)n, out, SANITIZE_MAX((size_t)n), SANITIZE_EXPAND_TABS);
	return out;
}

/* Display width in columns: code points (the sanitiser leaves no controls). */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void put_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

static void put_csv(const char *s)
{
	if (!s)
		return;
	if (strpbrk(s, ",\"\n\r")) {
		putchar('"');
		for (; *s; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
}

static int table_add(struct table *t, sqlite3_stmt *st)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char **c = realloc(t->cells, cap * (size_t)t->ncol * sizeof(*c));
		if (!c)
			return -ENOMEM;
		t->cells = c;
		t->cap = cap;
	}
	for (int c = 0; c < t->ncol; c++) {
		char *v = cell_text(st, c);
		int type = sqlite3_column_type(st, c);
		t->cells[t->nrows * (size_t)t->ncol + (size_t)c] = v;
		if (v && text_width(v) > t->width[c])
			t->width[c] = text_width(v);
		if (type == SQLITE_TEXT || type == SQLITE_BLOB)
			t->numeric[c] = 0;
	}
	t->nrows++;
	return 0;
}

static void table_print(struct table *t, sqlite3_stmt *st)
{
	for (int c = 0; c < t->ncol; c++) {
		const char *name = sqlite3_column_name(st, c);
		size_t w = t->width[c];
		printf("%s%-*s", c ? "  " : "", c == t->ncol - 1 ? 0 : (int)w, name);
	}
	putchar('\n');
	for (int c = 0; c < t->ncol; c++) {
		printf("%s", c ? "  " : "");
		for (size_t i = 0; i < t->width[c]; i++)
			putchar('-');
	}
	putchar('\n');
	for (size_t r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncol; c++) {
			const char *v = t->cells[r * (size_t)t->ncol + (size_t)c];
			size_t w = v ? text_width(v) : 0, pad = t->width[c] - w;
			printf("%s", c ? "  " : "");
			if (t->numeric[c])
				printf("%*s", (int)pad, "");
			fputs(v ? v : "", stdout);
			if (!t->numeric[c] && c != t->ncol - 1)
				printf("%*s", (int)pad, "");
		}
		putchar('\n');
	}
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows * (size_t)t->ncol; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t->numeric);
}

/* Runs one prepared statement and prints its rows.  Returns 0 or -1. */
static int run_stmt(sqlite3 *db, sqlite3_stmt *st, enum fmt fmt, bool *first_json)
{
	struct table t = { 0 };
	int rc, ncol = sqlite3_column_count(st), status = -1;
	size_t rows = 0;

	t.ncol = ncol;
	t.width = calloc((size_t)ncol + 1, sizeof(*t.width));
	t.numeric = calloc((size_t)ncol + 1, sizeof(*t.numeric));
	if (!t.width || !t.numeric)
		goto out;
	for (int c = 0; c < ncol; c++) {
		t.width[c] = text_width(sqlite3_column_name(st, c));
		t.numeric[c] = 1;
	}
	if (fmt == FMT_CSV && ncol) {
		for (int c = 0; c < ncol; c++) {
			if (c)
				putchar(',');
			put_csv(sqlite3_column_name(st, c));
		}
		putchar('\n');
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fmt == FMT_TABLE) {
			if (table_add(&t, st))
				goto out;
			continue;
		}
		for (int c = 0; c < ncol; c++) {
			char *v = cell_text(st, c);
			int type = sqlite3_column_type(st, c);
			if (fmt == FMT_CSV) {
				if (c)
					putchar(',');
				put_csv(v);
			} else {
				if (c == 0)
					printf("%s{", *first_json ? "" : ",\n");
				*first_json = false;
				printf("%s", c ? ", " : "");
				put_json_string(sqlite3_column_name(st, c));
				putchar(':');
				if (!v)
					printf("null");
				else if (type == SQLITE_INTEGER || type == SQLITE_FLOAT)
					fputs(v, stdout);
				else
					put_json_string(v);
			}
			free(v);
		}
		if (fmt == FMT_JSON && ncol)
			putchar('}');
		else if (fmt == FMT_CSV)
			putchar('\n');
		rows++;
	}
	if (rc != SQLITE_DONE) {
		cli_error("query", "Cannot run query: %s", sqlite3_errmsg(db));
		goto out;
	}
	if (fmt == FMT_TABLE && ncol) {
		table_print(&t, st);
		printf("(%zu row%s)\n", t.nrows, t.nrows == 1 ? "" : "s");
	}
	status = 0;
out:
	table_free(&t);
	return status;
}

static int query_exec(int argc, char **argv)
{
	const char *pos[2] = { NULL, NULL }, *path = "weft.db", *sql, *tail;
	enum fmt fmt = FMT_TABLE;
	struct store *st = NULL;
	char err[1024];
	int npos = 0, status = EXIT_FAIL;
	bool first_json = true;
	sqlite3 *db;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 || strcmp(argv[i], "-f") == 0) {
			const char *f = i + 1 < argc ? argv[++i] : "";
			if (strcmp(f, "table") == 0)
				fmt = FMT_TABLE;
			else if (strcmp(f, "csv") == 0)
				fmt = FMT_CSV;
			else if (strcmp(f, "json") == 0)
				fmt = FMT_JSON;
			else {
				cli_error("query", "Cannot query: unknown format (table, csv, json): "
						   "format=%s", f);
				return EXIT_USAGE;
			}
		} else if (strncmp(argv[i], "--", 2) == 0 && argv[i][2]) {
			cli_error("query", "Cannot query: unknown option: option=%s", argv[i]);
			return EXIT_USAGE;
		} else if (npos < 2) {
			pos[npos++] = argv[i];
		} else {
			cli_error("query", "Cannot query: too many arguments (quote the SQL): "
					   "extra=%s", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (npos == 0) {
		cli_error("query", "Cannot query: no SQL given (weft query [FILE] SQL)");
		return EXIT_USAGE;
	}
	if (npos == 2)
		path = pos[0];
	sql = pos[npos - 1];
	if (access(path, F_OK) != 0) {
		cli_error("query", "Cannot open trace store: no such file: path=%s", path);
		return EXIT_FAIL;
	}
	if (store_open(path, STORE_READONLY, &st, err, sizeof err) != 0) {
		cli_error("query", "%s", err);
		return EXIT_FAIL;
	}
	db = store_db(st);
	sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, NULL);
	if (fmt == FMT_JSON)
		putchar('[');
	while (sql && *sql) {
		sqlite3_stmt *stmt = NULL;
		if (sqlite3_prepare_v2(db, sql, -1, &stmt, &tail) != SQLITE_OK) {
			cli_error("query", "Cannot prepare query: %s: offset=%d", sqlite3_errmsg(db),
				  sqlite3_error_offset(db));
			goto out;
		}
		if (!stmt) /* whitespace or a comment */
			break;
		if (!sqlite3_stmt_readonly(stmt)) {
			cli_error("query", "Cannot run query: only read-only statements are allowed: "
					   "statement=%.60s", sqlite3_sql(stmt));
			sqlite3_finalize(stmt);
			goto out;
		}
		if (run_stmt(db, stmt, fmt, &first_json)) {
			sqlite3_finalize(stmt);
			goto out;
		}
		sqlite3_finalize(stmt);
		sql = tail;
	}
	status = EXIT_OK;
out:
	if (fmt == FMT_JSON)
		printf("]\n");
	store_close(st);
	return status;
}

const struct cmd_entry cmd_query_entry = {
	.name = "query",
	.usage = "[FILE] SQL [--format table|csv|json]",
	.summary = "Run read-only SQL against a trace store.",
	.help = "FILE is the trace store (default: weft.db).  SQL may hold several\n"
		"statements separated by ';'; each must be read-only.  The tables and views\n"
		"are documented in docs/schema.md (e.g. task_summary, edges, events,\n"
		"finding_summary).  Text recorded from traced programs is sanitised before it\n"
		"is printed: invalid UTF-8 becomes U+FFFD, control characters are escaped.\n\n"
		"Options:\n"
		"  -f, --format FMT   table (aligned columns, the default), csv (RFC 4180 with a\n"
		"                     header line) or json (one array of row objects)\n\n"
		"Example:\n"
		"  weft query \"SELECT name, queue_wait_ns FROM task_summary\n"
		"              ORDER BY queue_wait_ns DESC LIMIT 10\"\n",
	.exec = query_exec,
};
