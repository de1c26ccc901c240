/*
 * slow-callback — one callback hogs a loop context: while it runs, nothing
 * else posted to that loop can (asyncio's slow_callback_duration).
 *
 * The store shows it as one run of a task on a loop context (tasks.ctx of
 * kind loop, task_start .. task_end, or .. the horizon while it still runs)
 * of at least min_run.  Runs are found through the loop's threads
 * (thread_bindings_ctx) and the per-thread task index (tasks_thread), so only
 * loop tasks are read.  A task started more than once (starts > 1) keeps
 * only its first start and last end: its runs are unknown, so it is not
 * judged.  The callbacks queued behind the run are counted from the tasks
 * the same thread started next whose task_schedule came before the run
 * ended.
 *
 * One root cause, one finding: a run that contains the blocked wait of a
 * sync-over-async-deadlock is attached to that finding; one that is slow
 * only because of a blocking-wait finding inside it (without the wait it
 * would be shorter than min_run) is attached to that one.  Keyed
 * "task:<tasks.id>".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "detect.h"
#include "sanitize.h"
#include "store-int.h"

#define TH_MIN_RUN 0

static const char runs_sql[] =
	"SELECT DISTINCT t.id, c.process, t.started_ns, t.ended_ns, t.started_thread, c.id, "
	"  c.name, th.tid "
	"FROM contexts c JOIN processes p ON p.id = c.process "
	"JOIN thread_bindings b ON b.ctx = c.id "
	"JOIN threads th ON th.id = b.thread "
	"JOIN tasks t ON t.started_thread = b.thread "
	"  AND t.started_ns >= coalesce(b.begin_ns, -9223372036854775807) "
	"  AND (b.end_ns IS NULL OR t.started_ns < b.end_ns) "
	"WHERE p.session = ?1 AND c.kind = 1 AND t.ctx = c.id AND t.starts = 1 "
	"  AND coalesce(t.ended_ns, ?2) - t.started_ns >= ?3 "
	"ORDER BY t.id";

/* Blocking waits the thread began during the run, longest first. */
static const char waits_sql[] =
	"SELECT w.id, coalesce(w.end_ns, ?4) - w.begin_ns FROM waits w "
	"WHERE w.thread = ?1 AND w.begin_ns >= ?2 AND w.begin_ns < ?3 AND w.mode = 0 "
	"ORDER BY 2 DESC, w.id";

/* What the thread started after the run, in order: queued behind it while
 * its task_schedule precedes the run's end. */
static const char behind_sql[] =
	"SELECT t.scheduled_ns, t.started_ns FROM tasks t "
	"WHERE t.started_thread = ?1 AND t.started_ns >= ?2 AND t.ctx = ?3 "
	"ORDER BY t.started_ns LIMIT 100000";

struct sc_attach {
	const char *detector;
	char key[48];
};

static int sc_attach(struct detect_ctx *c, sqlite3_stmt *ws, int64_t process, int64_t thread,
		     int64_t begin, int64_t end, int64_t min_run, struct sc_attach *a)
{
	int rc = 0;

	a->detector = NULL;
	sqlite3_reset(ws);
	sqlite3_bind_int64(ws, 1, thread);
	sqlite3_bind_int64(ws, 2, begin);
	sqlite3_bind_int64(ws, 3, end);
	sqlite3_bind_int64(ws, 4, detect_now(c));
	while (rc >= 0 && sqlite3_step(ws) == SQLITE_ROW) {
		char key[48];

		snprintf(key, sizeof(key), "wait:%lld", (long long)sqlite3_column_int64(ws, 0));
		rc = detect_has(c, "sync-over-async-deadlock", process, key);
		if (rc > 0) {
			a->detector = "sync-over-async-deadlock";
			snprintf(a->key, sizeof(a->key), "%s", key);
			break;
		}
		if (rc == 0 && !a->detector && end - begin - sqlite3_column_int64(ws, 1) < min_run) {
			rc = detect_has(c, "blocking-wait", process, key);
			if (rc > 0) {
				a->detector = "blocking-wait";
				snprintf(a->key, sizeof(a->key), "%s", key);
			}
		}
	}
	sqlite3_reset(ws);
	return rc < 0 ? rc : 0;
}

static int check(struct detect_ctx *c)
{
	int64_t min_run = (int64_t)(detect_th(c, TH_MIN_RUN) * 1e6);
	sqlite3_stmt *s = NULL, *ws = NULL, *bs = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(detect_db(c), runs_sql, -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(detect_db(c), waits_sql, -1, &ws, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(detect_db(c), behind_sql, -1, &bs, NULL) != SQLITE_OK) {
		rc = detect_fail(c, -EIO, "prepare: %s", sqlite3_errmsg(detect_db(c)));
		goto out;
	}
	sqlite3_bind_int64(s, 1, detect_session(c));
	sqlite3_bind_int64(s, 2, detect_now(c));
	sqlite3_bind_int64(s, 3, min_run);
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		int64_t task = sqlite3_column_int64(s, 0), process = sqlite3_column_int64(s, 1);
		int64_t begin = sqlite3_column_int64(s, 2), thread = sqlite3_column_int64(s, 4);
		int64_t ctx = sqlite3_column_int64(s, 5);
		bool open = sqlite3_column_type(s, 3) == SQLITE_NULL;
		int64_t end = open ? detect_now(c) : sqlite3_column_int64(s, 3);
		const unsigned char *n = sqlite3_column_text(s, 6);
		char label[160], loop[96], text[640], key[48], behind[160] = "";
		struct sc_attach a;
		struct finding f = { 0 };
		int64_t nbehind = 0, maxq = 0;

		sanitize(n ? (const char *)n : "?", n ? (size_t)sqlite3_column_bytes(s, 6) : 1, loop,
			 64, 0);
		detect_task_label(c, task, label, sizeof(label));
		if (!open) {
			sqlite3_reset(bs);
			sqlite3_bind_int64(bs, 1, thread);
			sqlite3_bind_int64(bs, 2, end);
			sqlite3_bind_int64(bs, 3, ctx);
			while (sqlite3_step(bs) == SQLITE_ROW &&
			       sqlite3_column_type(bs, 0) != SQLITE_NULL &&
			       sqlite3_column_int64(bs, 0) < end) {
				int64_t q = sqlite3_column_int64(bs, 1) - sqlite3_column_int64(bs, 0);

				nbehind++;
				if (q > maxq)
					maxq = q;
			}
			sqlite3_reset(bs);
			if (nbehind)
				snprintf(behind, sizeof(behind), "; %lld callback%s queued behind it "
					 "waited up to %.1f ms", (long long)nbehind,
					 nbehind == 1 ? "" : "s", (double)maxq / 1e6);
		}
		snprintf(text, sizeof(text), "%s %s %.1f ms on loop '%s' (thread %lld)%s", label,
			 open ? "has been running" : "ran", (double)(end - begin) / 1e6, loop,
			 (long long)sqlite3_column_int64(s, 7), behind);
		rc = sc_attach(c, ws, process, thread, begin, end, min_run, &a);
		if (rc < 0)
			break;
		snprintf(key, sizeof(key), "task:%lld", (long long)task);
		f.process = process;
		f.key = key;
		f.begin_ns = begin;
		f.end_ns = open ? TS_NONE : end;
		f.value = (double)(end - begin) / 1e6;
		f.unit = "ms";
		f.message = text;
		f.tasks[0] = (struct finding_task){ task, "callback" };
		f.ntasks = 1;
		f.thread = thread;
		f.ctx = ctx;
		f.attach_detector = a.detector;
		f.attach_key = a.detector ? a.key : NULL;
		rc = detect_emit(c, &f);
	}
out:
	sqlite3_finalize(s);
	sqlite3_finalize(ws);
	sqlite3_finalize(bs);
	return rc;
}

const struct detector detect_slow_callback = {
	.name = "slow-callback",
	.severity = STORE_SEVERITY_WARNING,
	.summary = "a callback hogs a loop context (blocks the UI/loop thread)",
	.condition = "one run of a task on a loop context (task_start .. task_end, or .. the "
		     "horizon while running) >= min_run",
	.fix = "move the heavy part to a pool (weft_run on a pool) and post only the result "
	       "back to the loop",
	.th = {
		{ "min_run", 100, "ms", "longest run a loop callback may take" },
	},
	.check = check,
};
