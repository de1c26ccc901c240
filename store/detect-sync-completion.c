/*
 * sync-completion-hot-path (info) — a call site creates many tasks that
 * almost always complete synchronously (task_inline: never queued): each
 * still costs a future's allocation and bookkeeping for an answer that was
 * already there.  A candidate for a no-allocation fast path (try_get,
 * C#'s ValueTask).  Not a bug.
 *
 * Per process and site (tasks.site, file:line of the creating call): at
 * least `min_tasks` tasks of which at least `min_share` completed inline.
 * The inline counts come from the partial index tasks_inline; only a site
 * with enough inline tasks to qualify has its tasks counted.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "detect.h"
#include "sanitize.h"
#include "store-int.h"

enum { TH_MIN_TASKS, TH_MIN_SHARE };

static int check(struct detect_ctx *c)
{
	static const char sql[] =
		"SELECT t.process, t.site, count(*), min(t.id), min(t.created_ns), "
		"  max(t.created_ns) "
		"FROM processes p JOIN tasks t ON t.process = p.id AND t.inline = 1 "
		"WHERE p.session = ?1 AND t.site IS NOT NULL "
		"GROUP BY t.process, t.site HAVING count(*) >= ?2";
	static const char all_sql[] =
		"SELECT count(*), min(created_ns), max(created_ns) FROM tasks "
		"WHERE process = ?1 AND site = ?2";
	double min_tasks = detect_th(c, TH_MIN_TASKS), share = detect_th(c, TH_MIN_SHARE);
	sqlite3_stmt *s = NULL, *all = NULL, *site = NULL;
	int64_t need;
	int rc = 0;

	if (sqlite3_prepare_v2(detect_db(c), sql, -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(detect_db(c), all_sql, -1, &all, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(detect_db(c), "SELECT s FROM strings WHERE id = ?1", -1, &site,
			       NULL) != SQLITE_OK) {
		rc = detect_fail(c, -EIO, "prepare: %s", sqlite3_errmsg(detect_db(c)));
		goto out;
	}
	sqlite3_bind_int64(s, 1, detect_session(c));
	/* Enough inline tasks to reach min_share of min_tasks, at least 1. */
	need = (int64_t)(min_tasks * share / 100);
	if ((double)need < min_tasks * share / 100)
		need++;
	sqlite3_bind_int64(s, 2, need > 1 ? need : 1);
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		int64_t process = sqlite3_column_int64(s, 0), sid = sqlite3_column_int64(s, 1);
		int64_t ninl = sqlite3_column_int64(s, 2), first = sqlite3_column_int64(s, 3);
		int64_t total = 0, t0 = 0, t1 = 0;
		char where[200], label[160], text[700], key[48];
		const unsigned char *sv;
		struct finding f = { 0 };
		double pct;

		sqlite3_reset(all);
		sqlite3_bind_int64(all, 1, process);
		sqlite3_bind_int64(all, 2, sid);
		if (sqlite3_step(all) == SQLITE_ROW) {
			total = sqlite3_column_int64(all, 0);
			t0 = sqlite3_column_int64(all, 1);
			t1 = sqlite3_column_int64(all, 2);
		}
		sqlite3_reset(all);
		pct = total ? 100.0 * (double)ninl / (double)total : 0;
		if ((double)total < min_tasks || pct < share)
			continue;
		snprintf(where, sizeof(where), "?");
		sqlite3_reset(site);
		sqlite3_bind_int64(site, 1, sid);
		if (sqlite3_step(site) == SQLITE_ROW && (sv = sqlite3_column_text(site, 0)))
			sanitize((const char *)sv, (size_t)sqlite3_column_bytes(site, 0), where, 121, 0);
		sqlite3_reset(site);
		detect_task_label(c, first, label, sizeof(label));
		snprintf(text, sizeof(text),
			 "site %s created %lld tasks (like %s) in %.3f s, of which %lld (%.1f %%) "
			 "completed inline, never queued: each still allocated a future for a result "
			 "that was already there", where, (long long)total, label,
			 (double)(t1 - t0) / 1e9, (long long)ninl, pct);
		snprintf(key, sizeof(key), "site:%lld", (long long)sid);
		f.process = process;
		f.key = key;
		f.begin_ns = t0;
		f.end_ns = t1;
		f.value = pct;
		f.unit = "%";
		f.message = text;
		f.tasks[0] = (struct finding_task){ first, "first from the site" };
		f.ntasks = 1;
		rc = detect_emit(c, &f);
	}
out:
	sqlite3_finalize(s);
	sqlite3_finalize(all);
	sqlite3_finalize(site);
	return rc;
}

const struct detector detect_sync_completion_hot_path = {
	.name = "sync-completion-hot-path",
	.severity = STORE_SEVERITY_INFO,
	.summary = "a site creates many tasks that almost always complete synchronously (a "
		   "candidate for a no-allocation fast path)",
	.condition = "one creating site (per process) made at least min_tasks tasks, at least "
		     "min_share of them completed inline (task_inline)",
	.fix = "add a synchronous fast path (a try_get that returns the value when it is "
	       "there) and create a future only when the result is not ready",
	.th = {
		{ "min_tasks", 10000, "count", "tasks from one site" },
		{ "min_share", 90, "%", "share of them that completed inline" },
	},
	.check = check,
};
