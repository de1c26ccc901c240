/*
 * serial-fan-out — independent children awaited one after another instead
 * of together (`await a; await b; await c;` for `await when_all(a, b, c)`).
 *
 * The awaiting task is a logical function that may span several tasks: an
 * async await (wait_begin(W, A, async) and the continuation C of A that
 * resumes W, created by W) continues W in C, so W, C and C's own
 * resumptions are one function; a blocking wait keeps it in one task.  Its
 * children are the tasks it created (tasks.parent) and awaited.  Taken in
 * creation order, a run of children each created after the previous one
 * ended, with no edge between any two of them (no continuation, no wait),
 * of at least `min_children`, is a serial fan-out: it took the sum of their
 * times; awaited together it would have taken the longest.  The trace does
 * not show data flow: a child that needs the previous one's result through
 * memory is indistinguishable (hence info, and the "none depending on
 * another" test is on recorded edges only).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "store-int.h"

enum { TH_MIN_CHILDREN };

struct child {
	int64_t group, task, process, created, ended;
};

static int cmp_child(const void *a, const void *b)
{
	const struct child *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return (x->task > y->task) - (x->task < y->task);
}

/* The function a task belongs to: the task that began it. */
static int64_t group_of(struct hmap *g, int64_t task)
{
	int64_t *v = hmap_get(g, (uint64_t)task, 1);

	return v ? *v : task;
}

/* Does any recorded edge join two of run[0..n)? */
static int related(sqlite3_stmt *e, const struct child *run, size_t n, bool *out)
{
	size_t i, j;

	*out = false;
	for (i = 0; i < n && !*out; i++) {
		sqlite3_reset(e);
		sqlite3_bind_int64(e, 1, run[i].task);
		while (!*out && sqlite3_step(e) == SQLITE_ROW) {
			int64_t other = sqlite3_column_int64(e, 0);

			for (j = 0; j < n; j++)
				if (j != i && run[j].task == other)
					*out = true;
		}
		sqlite3_reset(e);
	}
	return 0;
}

static int report(struct detect_ctx *c, sqlite3_stmt *edges, const struct child *run,
		  size_t n)
{
	char owner[160], lab[160], list[700], text[1100], key[64];
	int64_t sum = 0, longest = 0;
	struct finding f = { 0 };
	bool rel;
	size_t i;
	int ll = 0;

	related(edges, run, n, &rel);
	if (rel)
		return 0;
	list[0] = '\0';
	f.tasks[f.ntasks++] = (struct finding_task){ run[0].group, "awaiting" };
	for (i = 0; i < n; i++) {
		int64_t d = run[i].ended - run[i].created;

		sum += d;
		if (d > longest)
			longest = d;
		if (i < 5)
			ll += snprintf(list + ll, sizeof(list) - (size_t)ll, "%s%s %.3f s",
				       i ? ", " : "", detect_task_label(c, run[i].task, lab, sizeof(lab)),
				       (double)d / 1e9);
		if (f.ntasks < FINDING_MAX_TASKS)
			f.tasks[f.ntasks++] = (struct finding_task){ run[i].task, "awaited child" };
	}
	if (n > 5)
		snprintf(list + ll, sizeof(list) - (size_t)ll, " and %zu more", n - 5);
	detect_task_label(c, run[0].group, owner, sizeof(owner));
	snprintf(text, sizeof(text),
		 "%s awaited %zu of its children one after another, each created after the "
		 "previous one ended, none depending on another: %s; %.3f s serial; %.3f s if "
		 "awaited together", owner, n, list, (double)sum / 1e9, (double)longest / 1e9);
	snprintf(key, sizeof(key), "fan:%lld:%lld", (long long)run[0].group,
		 (long long)run[0].task);
	f.process = run[0].process;
	f.key = key;
	f.begin_ns = run[0].created;
	f.end_ns = run[n - 1].ended;
	f.value = (double)(sum - longest) / 1e9;
	f.unit = "s";
	f.message = text;
	return detect_emit(c, &f);
}

static int check(struct detect_ctx *c)
{
	/* Waits of a task on its own child that ended, in the order the
	 * children were created (so a resumption is grouped before it waits). */
	static const char sql[] =
		"SELECT w.waiter, w.awaited, w.mode, a.process, a.created_ns, a.ended_ns "
		"FROM waits w JOIN tasks a ON a.id = w.awaited "
		"JOIN processes p ON p.id = a.process "
		"WHERE p.session = ?1 AND a.parent = w.waiter AND a.created_ns IS NOT NULL "
		"  AND a.ended_ns IS NOT NULL "
		"ORDER BY a.created_ns, a.id";
	/* The continuation that resumes ?2 after its async wait on ?1. */
	static const char resume_sql[] =
		"SELECT l.dst FROM links l JOIN tasks r ON r.id = l.dst "
		"WHERE l.src = ?1 AND l.kind = 0 AND r.parent = ?2 AND r.kind = 1 "
		"ORDER BY l.dst LIMIT 1";
	static const char edge_sql[] =
		"SELECT dst FROM links WHERE src = ?1 AND dst IS NOT NULL "
		"UNION ALL SELECT src FROM links WHERE dst = ?1 AND src IS NOT NULL "
		"UNION ALL SELECT awaited FROM waits WHERE waiter = ?1 "
		"UNION ALL SELECT waiter FROM waits WHERE awaited = ?1 AND waiter IS NOT NULL";
	size_t min = (size_t)detect_th(c, TH_MIN_CHILDREN), n = 0, cap = 0, i, j;
	sqlite3_stmt *s = NULL, *res = NULL, *edges = NULL;
	struct hmap groups = { 0 };
	struct child *ch = NULL;
	int rc = 0;

	if (min < 2)
		min = 2;
	if (sqlite3_prepare_v2(detect_db(c), sql, -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(detect_db(c), resume_sql, -1, &res, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(detect_db(c), edge_sql, -1, &edges, NULL) != SQLITE_OK) {
		rc = detect_fail(c, -EIO, "prepare: %s", sqlite3_errmsg(detect_db(c)));
		goto out;
	}
	sqlite3_bind_int64(s, 1, detect_session(c));
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		int64_t waiter = sqlite3_column_int64(s, 0), awaited = sqlite3_column_int64(s, 1);
		int64_t g = group_of(&groups, waiter);

		if (sqlite3_column_int(s, 2) == WEFT_WAIT_ASYNC) {
			sqlite3_reset(res);
			sqlite3_bind_int64(res, 1, awaited);
			sqlite3_bind_int64(res, 2, waiter);
			if (sqlite3_step(res) == SQLITE_ROW &&
			    hmap_put(&groups, (uint64_t)sqlite3_column_int64(res, 0), 1, g) < 0)
				rc = detect_fail(c, -ENOMEM, "out of memory");
			sqlite3_reset(res);
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct child *nc = realloc(ch, ncap * sizeof(*nc));

			if (!nc) {
				rc = detect_fail(c, -ENOMEM, "out of memory");
				break;
			}
			ch = nc;
			cap = ncap;
		}
		ch[n++] = (struct child){ g, awaited, sqlite3_column_int64(s, 3),
					  sqlite3_column_int64(s, 4), sqlite3_column_int64(s, 5) };
	}
	if (rc == 0 && n)
		qsort(ch, n, sizeof(*ch), cmp_child);
	/* Maximal runs within each function; a child awaited twice counts once. */
	for (i = 0; rc == 0 && i < n; i = j) {
		size_t len = 1;

		for (j = i + 1; j < n && ch[j].group == ch[i].group; j++) {
			if (ch[j].task == ch[j - 1].task)
				continue;
			if (ch[j].created >= ch[j - 1].ended) {
				len++;
				continue;
			}
			break;
		}
		if (len >= min) {
			struct child *run = malloc(len * sizeof(*run));
			size_t k, m = 0;

			if (!run) {
				rc = detect_fail(c, -ENOMEM, "out of memory");
				break;
			}
			for (k = i; k < j; k++)
				if (k == i || ch[k].task != ch[k - 1].task)
					run[m++] = ch[k];
			rc = report(c, edges, run, m);
			free(run);
		}
	}
out:
	sqlite3_finalize(s);
	sqlite3_finalize(res);
	sqlite3_finalize(edges);
	hmap_free(&groups);
	free(ch);
	return rc;
}

const struct detector detect_serial_fan_out = {
	.name = "serial-fan-out",
	.severity = STORE_SEVERITY_INFO,
	.summary = "independent children awaited one after another instead of together",
	.condition = "a task (with the continuations that resume it after an await) awaits at "
		     "least min_children of its children in a row, each created after the "
		     "previous one ended, with no continuation or wait between any two of them",
	.fix = "start the children together and await them once (weft_when_all), if none "
	       "needs another's result",
	.th = {
		{ "min_children", 3, "count", "how many serially awaited children make a finding" },
	},
	.check = check,
};
