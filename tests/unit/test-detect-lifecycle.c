/*
 * test-detect-lifecycle: the lifecycle detectors (lost-task, cancel-ignored,
 * cancel-not-propagated, orphaned-work, serial-fan-out, needless-marshal,
 * sync-completion-hot-path) on hand-built event streams fed through the real
 * store writer into a real SQLite file, then detect_run().  Each test builds
 * the pattern, a case that must fire, and cases just under each threshold
 * (or with the evidence that clears it) that must not; expected tasks and
 * values are computed by hand from the times below, never read back from the
 * implementation.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detect.h"
#include "runner.h"
#include "store-fixture.h"
#include "store.h"

/* Session origin used by every test: relative times below are added to it. */
#define BASE 1700000000000000000LL
#define MS 1000000LL
#define US 1000LL

/* ---- fixture --------------------------------------------------------- */


/* A fresh store in a fresh directory with one session and its first chunk
 * open. */
static struct store *begin(int64_t *sess)
{
	struct store *st = fixture_store("detect");

	check_ok(st, store_session_begin(st, "h", "s", BASE, sess));
	check_ok(st, store_chunk_begin(st, *sess, "c0"));
	return st;
}

/* Events of one process; `pid` and the main thread's name (which LTTng's
 * procname context carries for vtid == vpid) set by the caller. */
static int32_t cur_pid = 100;
static const char *cur_main = "app";

static const char *thread_name(int32_t tid)
{
	return tid == cur_pid ? cur_main : "pool-w";
}

static void ev(struct store *st, enum weft_event kind, int64_t rel_ts, int32_t tid,
	       uint64_t id0, uint64_t id1, uint64_t id2, int64_t n0, int64_t n1, int64_t n2,
	       const char *s0, const char *s1)
{
	fixture_event(st, BASE, cur_pid, tid, thread_name(tid), kind, rel_ts, id0, id1, id2, n0,
		      n1, n2, s0, s1);
}

#define EV(st, kind, ts, tid, a, b, c, n0, n1, n2, s0, s1) \
	ev(st, WEFT_EV_##kind, ts, tid, a, b, c, n0, n1, n2, s0, s1)

/* ---- SQL helpers ------------------------------------------------------ */

/* First column of the first row of a query with printf-formatted SQL (test
 * literals only; trace data is always bound). */
static int64_t q_int(struct store *st, const char *fmt, ...)
{
	sqlite3_stmt *s = NULL;
	char sql[512];
	va_list ap;
	int64_t v = -1;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		TEST_FAIL_("prepare %s: %s", sql, sqlite3_errmsg(store_db(st)));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Runs `sql` with named parameters (":name", value pairs, NULL-terminated)
 * and renders the columns named in `cols` ("a,b,c") as "v|v|v\n" lines. */
static char *run_query(struct store *st, const char *sql, const char *cols, ...)
{
	sqlite3_stmt *s = NULL;
	size_t cap = 4096, len = 0;
	char *out = calloc(1, cap);
	const char *pname;
	va_list ap;
	int rc, i, n;

	ASSERT_NOT_NULL(out);
	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		TEST_FAIL_("prepare: %s\n%s", sqlite3_errmsg(store_db(st)), sql);
	va_start(ap, cols);
	while ((pname = va_arg(ap, const char *)) != NULL) {
		int64_t v = va_arg(ap, int64_t);
		int idx = sqlite3_bind_parameter_index(s, pname);

		if (idx == 0)
			TEST_FAIL_("query has no parameter %s", pname);
		sqlite3_bind_int64(s, idx, v);
	}
	va_end(ap);
	n = sqlite3_column_count(s);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *c = cols;
		bool first = true;

		while (*c) {
			size_t clen = strcspn(c, ",");

			for (i = 0; i < n; i++) {
				const char *name = sqlite3_column_name(s, i);

				if (strlen(name) == clen && strncmp(name, c, clen) == 0)
					break;
			}
			if (i == n)
				TEST_FAIL_("query has no column %.*s", (int)clen, c);
			if (len + 300 > cap) {
				cap *= 2;
				out = realloc(out, cap);
				ASSERT_NOT_NULL(out);
			}
			len += (size_t)snprintf(out + len, cap - len, "%s%s", first ? "" : "|",
						sqlite3_column_type(s, i) == SQLITE_NULL
							? ""
							: (const char *)sqlite3_column_text(s, i));
			first = false;
			c += clen;
			if (*c == ',')
				c++;
		}
		len += (size_t)snprintf(out + len, cap - len, "\n");
	}
	if (rc != SQLITE_DONE)
		TEST_FAIL_("step: %s\n%s", sqlite3_errmsg(store_db(st)), sql);
	sqlite3_finalize(s);
	return out;
}

#define ASSERT_QUERY(got, want) \
	do { \
		char *g_ = (got); \
		ASSERT_STR_EQ(g_, want); \
		free(g_); \
	} while (0)


/* ---- running the detectors -------------------------------------------- */

/* Runs only `names` (comma-separated) with their defaults, or with one
 * "detector.threshold=value" override. */
static void detect(struct store *st, const char *names, const char *set)
{
	struct detect_config cfg;
	struct detect_opts o = { 0 };
	char err[512];
	int rc;

	detect_config_init(&cfg);
	if (detect_config_only(&cfg, names, err, sizeof(err)) != 0)
		TEST_FAIL_("detect_config_only: %s", err);
	if (set && detect_config_set(&cfg, set, err, sizeof(err)) != 0)
		TEST_FAIL_("detect_config_set: %s", err);
	o.cfg = &cfg;
	rc = detect_run(st, &o, NULL, err, sizeof(err));
	detect_config_free(&cfg);
	if (rc != 0)
		TEST_FAIL_("detect_run: %d: %s", rc, err);
}

/* The findings of `detector` as "weft task id|value|weft task id of the
 * finding it is attached to" lines, by task. */
static char *found(struct store *st, const char *detector)
{
	char sql[768];

	snprintf(sql, sizeof(sql),
		 "SELECT t.task AS task, printf('%%.6f', f.value) AS value, "
		 "  (SELECT t2.task FROM findings a JOIN tasks t2 ON t2.id = a.task "
		 "   WHERE a.id = f.attached_to) AS att "
		 "FROM findings f LEFT JOIN tasks t ON t.id = f.task "
		 "WHERE f.detector = '%s' ORDER BY t.task, f.key", detector);
	return run_query(st, sql, "task,value,att", NULL);
}

static void commit(struct store *st)
{
	check_ok(st, store_chunk_commit(st));
}

static void end_session(struct store *st, int64_t sess, int64_t rel_end)
{
	check_ok(st, store_session_end(st, sess, BASE + rel_end, 0, 0));
}


/* Shorthands for the events the tests use (fields: store/event.h). */
#define CTX(ts, ctx, kind, name) EV(st, context_new, ts, 100, ctx, 0, 0, kind, 2, 2, name, NULL)
#define NEW(ts, tid, task, parent, token, kind, name, site) \
	EV(st, task_new, ts, tid, task, parent, token, kind, 0, 0, name, site)
#define SCHED(ts, tid, task, ctx) EV(st, task_schedule, ts, tid, task, ctx, 0, 0, 0, 0, NULL, NULL)
#define START(ts, tid, task, ctx) EV(st, task_start, ts, tid, task, ctx, 0, 0, 0, 0, NULL, NULL)
#define END(ts, tid, task, status) EV(st, task_end, ts, tid, task, 0, 0, status, 0, 0, NULL, NULL)
#define CONT(ts, tid, ante, cont, ctx) \
	EV(st, continuation_add, ts, tid, ante, cont, ctx, 0, 0, 0, NULL, NULL)
#define WAIT(ts, tid, waiter, awaited, mode) \
	EV(st, wait_begin, ts, tid, waiter, awaited, 0, mode, 0, 0, NULL, NULL)
#define WAIT_END(ts, tid, waiter, awaited) \
	EV(st, wait_end, ts, tid, waiter, awaited, 0, 0, 0, 0, NULL, NULL)
#define TOKEN(ts, token, parent, name) \
	EV(st, token_new, ts, 100, token, parent, 0, 0, 0, 0, name, NULL)
#define CANCEL(ts, token, why) EV(st, cancel_request, ts, 100, token, 0, 0, 0, 0, 0, why, NULL)

/* A task run on ctx by thread tid: created and queued at t0, run s..e. */
#define RUN(st_, task, parent, token, kind, ctx, tid, t0, s, e, status, name) \
	do { \
		NEW(t0, 100, task, parent, token, kind, name, "app.c:1"); \
		SCHED(t0, 100, task, ctx); \
		START(s, tid, task, ctx); \
		if ((e) >= 0) \
			END(e, tid, task, status); \
	} while (0)

static bool has_text(struct store *st, const char *detector, int64_t task, const char *needle)
{
	char sql[512], *m;
	bool yes;

	snprintf(sql, sizeof(sql),
		 "SELECT f.message AS m FROM findings f JOIN tasks t ON t.id = f.task "
		 "WHERE f.detector = '%s' AND t.task = %lld", detector, (long long)task);
	m = run_query(st, sql, "m", NULL);
	yes = strstr(m, needle) != NULL;
	if (!yes)
		fprintf(stderr, "# message of %s on task %lld: %s", detector, (long long)task, m);
	free(m);
	return yes;
}

/* ---- lost-task ---------------------------------------------------------- */

/* The example's story: a promise nobody completes and its continuation.
 * Silent while the trace runs (0.32 s < 5 s); at the end, the promise is
 * the finding and the continuation is attached to it.  A pending timer, its
 * continuation, and a promise that completed are never lost. */
TEST_IMPL(lost_task_at_end)
{
	struct store *st;
	int64_t sess;

	st = begin(&sess);
	CTX(0, 1, WEFT_CTX_POOL, "net");
	NEW(10 * MS, 100, 10, 0, 0, WEFT_TASK_IO, "reply #7", "net.c:58");
	NEW(11 * MS, 100, 11, 0, 0, WEFT_TASK_CONTINUATION, "show_reply #7", "net.c:65");
	CONT(11 * MS, 100, 10, 11, 1);
	NEW(12 * MS, 100, 12, 0, 0, WEFT_TASK_IO, "reply #6", "net.c:58");
	END(20 * MS, 101, 12, WEFT_STATUS_OK);
	NEW(13 * MS, 100, 13, 0, 0, WEFT_TASK_TIMER, "delay", "net.c:70");
	NEW(14 * MS, 100, 14, 0, 0, WEFT_TASK_CONTINUATION, "after delay", "net.c:71");
	CONT(14 * MS, 100, 13, 14, 1);
	WAIT(20 * MS, 100, 0, 11, WEFT_WAIT_BLOCK);
	EV(st, wait_end, 320 * MS, 100, 0, 11, 0, 1, 0, 0, NULL, NULL); /* timed out */
	commit(st);
	detect(st, "lost-task", NULL);
	ASSERT_QUERY(found(st, "lost-task"), "");

	end_session(st, sess, 1000 * MS);
	detect(st, "lost-task", NULL);
	ASSERT_QUERY(found(st, "lost-task"), "10|0.990000|\n11|0.989000|10\n");
	ASSERT(has_text(st, "lost-task", 10, "promise task 10 'reply #7', created at 0.010 s, "
					     "was never completed"));
	ASSERT(has_text(st, "lost-task", 10, "task 11 'show_reply #7'"));
	/* Again: the same findings, brought up to date, not new ones. */
	detect(st, "lost-task", NULL);
	ASSERT_QUERY(found(st, "lost-task"), "10|0.990000|\n11|0.989000|10\n");
	store_close(st);
	cleanup();
	return 0;
}

/* While the recording runs: lost only after `persist` (5 s) by the horizon,
 * not a nanosecond before.  A task queued on an idle context is lost; one
 * queued behind a task still running there, and the running task, are not;
 * a task blocked in a wait on a lost promise is attached to it. */
TEST_IMPL(lost_task_persist)
{
	struct store *st;
	int64_t sess;

	st = begin(&sess);
	CTX(0, 1, WEFT_CTX_POOL, "idle");
	CTX(0, 2, WEFT_CTX_POOL, "busy");
	CTX(0, 3, WEFT_CTX_POOL, "other");
	NEW(0, 100, 20, 0, 0, WEFT_TASK_IO, "promise", "p.c:1");
	NEW(1 * MS, 100, 21, 0, 0, WEFT_TASK_TASK, "queued", "p.c:2");
	SCHED(1 * MS, 100, 21, 1);
	RUN(st, 23, 0, 0, WEFT_TASK_TASK, 2, 102, 0, 0, -1, 0, "long run");
	NEW(1 * MS, 100, 22, 0, 0, WEFT_TASK_TASK, "behind", "p.c:3");
	SCHED(1 * MS, 100, 22, 2);
	RUN(st, 26, 0, 0, WEFT_TASK_TASK, 3, 103, 1 * MS, 2 * MS, -1, 0, "blocked");
	WAIT(3 * MS, 103, 26, 20, WEFT_WAIT_BLOCK);
	RUN(st, 24, 0, 0, WEFT_TASK_TASK, 3, 104, 4999 * MS, 4999 * MS, 5000 * MS - 1,
	    WEFT_STATUS_OK, "tick");
	commit(st);
	detect(st, "lost-task", NULL);
	ASSERT_QUERY(found(st, "lost-task"), "");

	check_ok(st, store_chunk_begin(st, sess, "c1"));
	RUN(st, 25, 0, 0, WEFT_TASK_TASK, 3, 104, 5001 * MS, 5001 * MS, 5001 * MS,
	    WEFT_STATUS_OK, "tick");
	commit(st);
	detect(st, "lost-task", NULL);
	ASSERT_QUERY(found(st, "lost-task"),
		     "20|5.001000|\n21|5.000000|\n26|5.000000|20\n");
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM findings WHERE end_ns IS NULL"), 3);
	ASSERT(has_text(st, "lost-task", 21, "queued on 'idle' at 0.001 s, never started"));
	ASSERT(has_text(st, "lost-task", 26, "blocking wait"));
	store_close(st);
	cleanup();
	return 0;
}

/* What a task waits on decides: a when_all with a lost input is lost with
 * it; a when_any with another input that may still complete (a timer) is
 * not; a continuation whose antecedent ended but that never ran is lost on
 * its own; a cycle (a deadlock) and a placeholder antecedent decide
 * nothing. */
TEST_IMPL(lost_task_dependencies)
{
	struct store *st;
	int64_t sess;

	st = begin(&sess);
	CTX(0, 1, WEFT_CTX_POOL, "pool");
	NEW(0, 100, 30, 0, 0, WEFT_TASK_IO, "lost promise", "d.c:1");
	RUN(st, 32, 0, 0, WEFT_TASK_TASK, 1, 101, 0, 1 * MS, 5 * MS, WEFT_STATUS_OK, "done");
	NEW(1 * MS, 100, 31, 0, 0, WEFT_TASK_WHEN_ALL, "all", "d.c:2");
	CONT(1 * MS, 100, 30, 31, 0);
	CONT(1 * MS, 100, 32, 31, 0);
	NEW(1 * MS, 100, 35, 0, 0, WEFT_TASK_TIMER, "timeout", "d.c:3");
	NEW(1 * MS, 100, 33, 0, 0, WEFT_TASK_WHEN_ANY, "any", "d.c:4");
	CONT(1 * MS, 100, 30, 33, 0);
	CONT(1 * MS, 100, 35, 33, 0);
	RUN(st, 37, 0, 0, WEFT_TASK_TASK, 1, 101, 0, 6 * MS, 10 * MS, WEFT_STATUS_OK, "ante");
	NEW(2 * MS, 100, 36, 0, 0, WEFT_TASK_CONTINUATION, "dropped", "d.c:5");
	CONT(2 * MS, 100, 37, 36, 1);
	NEW(3 * MS, 100, 38, 0, 0, WEFT_TASK_CONTINUATION, "cycle a", "d.c:6");
	NEW(3 * MS, 100, 39, 0, 0, WEFT_TASK_CONTINUATION, "cycle b", "d.c:7");
	CONT(3 * MS, 100, 38, 39, 1);
	CONT(3 * MS, 100, 39, 38, 1);
	NEW(4 * MS, 100, 40, 0, 0, WEFT_TASK_CONTINUATION, "after unknown", "d.c:8");
	CONT(4 * MS, 100, 41, 40, 1);
	commit(st);
	end_session(st, sess, 100 * MS);
	detect(st, "lost-task", NULL);
	ASSERT_QUERY(found(st, "lost-task"), "30|0.100000|\n31|0.099000|30\n36|0.090000|\n");
	ASSERT(has_text(st, "lost-task", 31, "its input task 30 'lost promise' is lost"));
	ASSERT(has_text(st, "lost-task", 36, "what it waits for was over at 0.010 s"));
	store_close(st);
	cleanup();
	return 0;
}

/* ---- cancel-ignored ------------------------------------------------------ */

/* Token 1 is cancelled at 50 ms; 2 is its child, 4 is linked to it through a
 * second parent (token_link), 5 is 4's child, 3 is unrelated.  Horizon:
 * 400 ms.  Grace 100 ms. */
TEST_IMPL(cancel_ignored)
{
	struct store *st;
	int64_t sess;

	st = begin(&sess);
	CTX(0, 1, WEFT_CTX_POOL, "app");
	TOKEN(0, 1, 0, "export");
	TOKEN(0, 2, 1, "child");
	TOKEN(0, 3, 0, "other");
	TOKEN(0, 4, 3, "linked");
	EV(st, token_link, 0, 100, 4, 1, 0, 0, 0, 0, NULL, NULL);
	TOKEN(0, 5, 4, "grandchild");
	/* ran 300 ms past the request and ended ok: fires */
	RUN(st, 50, 0, 1, WEFT_TASK_TASK, 1, 101, 0, 0, 350 * MS, WEFT_STATUS_OK, "export");
	/* 99.999999 ms past it: honoured in time */
	RUN(st, 51, 0, 2, WEFT_TASK_TASK, 1, 102, 0, 0, 150 * MS - 1, WEFT_STATUS_OK, "quick");
	/* observed at 60 ms: honoured (however long it then takes) */
	RUN(st, 52, 0, 1, WEFT_TASK_TASK, 1, 103, 0, 0, -1, 0, "polite");
	RUN(st, 53, 0, 1, WEFT_TASK_TASK, 1, 104, 0, 0, -1, 0, "slow cleanup");
	/* through the second parent, still running at the horizon: fires */
	RUN(st, 54, 0, 4, WEFT_TASK_TASK, 1, 105, 0, 10 * MS, -1, 0, "linked work");
	/* started after the request, ran 300 ms, ended ok: fires */
	RUN(st, 55, 0, 5, WEFT_TASK_TASK, 1, 106, 0, 100 * MS, 400 * MS, WEFT_STATUS_OK,
	    "late start");
	/* unrelated token; ended before the request; ended with an error */
	RUN(st, 56, 0, 3, WEFT_TASK_TASK, 1, 107, 0, 0, 400 * MS, WEFT_STATUS_OK, "unrelated");
	RUN(st, 57, 0, 1, WEFT_TASK_TASK, 1, 108, 0, 0, 40 * MS, WEFT_STATUS_OK, "early");
	RUN(st, 59, 0, 1, WEFT_TASK_TASK, 1, 109, 0, 0, 300 * MS, WEFT_STATUS_ERROR, "failed");
	/* started 300.000001 ms, running 99.999999 ms at the horizon */
	RUN(st, 60, 0, 1, WEFT_TASK_TASK, 1, 110, 0, 300 * MS + 1, -1, 0, "just started");
	CANCEL(50 * MS, 1, "user pressed Cancel");
	EV(st, cancel_observe, 60 * MS, 103, 1, 52, 0, 0, 0, 0, NULL, NULL);
	END(65 * MS, 103, 52, WEFT_STATUS_CANCELED);
	EV(st, cancel_observe, 60 * MS, 104, 1, 53, 0, 0, 0, 0, NULL, NULL);
	END(300 * MS, 104, 53, WEFT_STATUS_OK);
	commit(st);
	detect(st, "cancel-ignored", NULL);
	ASSERT_QUERY(found(st, "cancel-ignored"),
		     "50|300.000000|\n54|350.000000|\n55|300.000000|\n");
	ASSERT(has_text(st, "cancel-ignored", 50, "carries token 'export', cancelled at 0.050 s "
						  "(user pressed Cancel); it kept running 300.0 ms"));
	ASSERT(has_text(st, "cancel-ignored", 54, "linked to token 'export'"));
	ASSERT(has_text(st, "cancel-ignored", 54, "still running at the horizon"));
	/* A longer grace: 300 ms is no longer past it, 350 ms is. */
	ASSERT_EQ(sqlite3_exec(store_db(st), "DELETE FROM finding_tasks; DELETE FROM findings",
			       NULL, NULL, NULL), SQLITE_OK);
	detect(st, "cancel-ignored", "cancel-ignored.grace=300.001ms");
	ASSERT_QUERY(found(st, "cancel-ignored"), "54|350.000000|\n");
	store_close(st);
	cleanup();
	return 0;
}

/* ---- cancel-not-propagated ---------------------------------------------- */

TEST_IMPL(cancel_not_propagated)
{
	struct store *st;
	int64_t sess;

	st = begin(&sess);
	CTX(0, 1, WEFT_CTX_POOL, "http");
	TOKEN(0, 1, 0, "request 42");
	TOKEN(0, 2, 1, "linked");
	TOKEN(0, 3, 0, "own");
	RUN(st, 70, 0, 1, WEFT_TASK_TASK, 1, 101, 0, 0, 10 * MS, WEFT_STATUS_OK, "handler");
	/* created by the handler on its thread */
	NEW(1 * MS, 101, 71, 70, 0, WEFT_TASK_TASK, "run_query", "h.c:45");
	SCHED(1 * MS, 101, 71, 1);
	START(1 * MS, 102, 71, 1);
	NEW(1 * MS, 101, 72, 70, 2, WEFT_TASK_TASK, "linked child", "h.c:46");
	NEW(1 * MS, 101, 73, 70, 1, WEFT_TASK_TASK, "same token", "h.c:47");
	NEW(1 * MS, 101, 74, 70, 0, WEFT_TASK_CONTINUATION, "continuation", "h.c:48");
	NEW(1 * MS, 101, 75, 70, 0, WEFT_TASK_DETACHED, "access log", "h.c:49");
	NEW(2 * MS, 101, 76, 70, 3, WEFT_TASK_BLOCKING, "own token", "h.c:50");
	SCHED(2 * MS, 101, 76, 1);
	START(2 * MS, 103, 76, 1);
	END(5 * MS, 103, 76, WEFT_STATUS_OK);
	NEW(2 * MS, 101, 77, 70, 0, WEFT_TASK_WHEN_ALL, "combine", "h.c:51");
	/* a parent without a token passes nothing on */
	RUN(st, 79, 0, 0, WEFT_TASK_TASK, 1, 104, 0, 0, 10 * MS, WEFT_STATUS_OK, "untokened");
	NEW(1 * MS, 104, 78, 79, 0, WEFT_TASK_TASK, "its child", "h.c:52");
	CANCEL(20 * MS, 1, "client disconnected");
	END(300 * MS, 102, 71, WEFT_STATUS_OK);
	commit(st);
	detect(st, "cancel-not-propagated", NULL);
	ASSERT_QUERY(found(st, "cancel-not-propagated"), "71|0.280000|\n76|0.000000|\n");
	ASSERT(has_text(st, "cancel-not-propagated", 71,
			"task 70 'handler' carries token 'request 42' but created task 71 "
			"'run_query' at 0.001 s with no token"));
	ASSERT(has_text(st, "cancel-not-propagated", 71, "cancelled at 0.020 s"));
	ASSERT(has_text(st, "cancel-not-propagated", 76, "its own token 'own', not linked"));
	store_close(st);
	cleanup();
	return 0;
}

/* ---- orphaned-work ------------------------------------------------------- */

TEST_IMPL(orphaned_work)
{
	struct store *st;
	int64_t sess;

	st = begin(&sess);
	CTX(0, 1, WEFT_CTX_POOL, "client");
	TOKEN(0, 1, 0, "race 2");
	/* race 1: 81 runs 0.37 s past the decision; 82 ends 99.999999 ms after */
	RUN(st, 80, 0, 0, WEFT_TASK_TASK, 1, 101, 0, 0, 30 * MS, WEFT_STATUS_OK, "replica-a");
	RUN(st, 81, 0, 0, WEFT_TASK_TASK, 1, 102, 0, 0, -1, 0, "replica-b");
	RUN(st, 82, 0, 0, WEFT_TASK_TASK, 1, 103, 0, 0, -1, 0, "replica-c");
	NEW(1 * MS, 100, 83, 0, 0, WEFT_TASK_WHEN_ANY, "first replica", "o.c:58");
	CONT(1 * MS, 100, 80, 83, 0);
	CONT(1 * MS, 100, 81, 83, 0);
	CONT(1 * MS, 100, 82, 83, 0);
	END(30 * MS, 101, 83, WEFT_STATUS_OK);
	END(130 * MS - 1, 103, 82, WEFT_STATUS_OK);
	END(400 * MS, 102, 81, WEFT_STATUS_OK);
	/* race 2: the loser's token is cancelled once it is decided */
	RUN(st, 84, 0, 1, WEFT_TASK_TASK, 1, 104, 0, 0, 30 * MS, WEFT_STATUS_OK, "r2-a");
	RUN(st, 85, 0, 1, WEFT_TASK_TASK, 1, 105, 0, 0, 300 * MS, WEFT_STATUS_OK, "r2-b");
	NEW(1 * MS, 100, 86, 0, 0, WEFT_TASK_WHEN_ANY, "race 2", "o.c:70");
	CONT(1 * MS, 100, 84, 86, 0);
	CONT(1 * MS, 100, 85, 86, 0);
	END(30 * MS, 104, 86, WEFT_STATUS_OK);
	CANCEL(31 * MS, 1, "decided");
	/* race 3: the loser is awaited */
	RUN(st, 87, 0, 0, WEFT_TASK_TASK, 1, 106, 0, 0, 30 * MS, WEFT_STATUS_OK, "r3-a");
	RUN(st, 88, 0, 0, WEFT_TASK_TASK, 1, 107, 0, 0, 300 * MS, WEFT_STATUS_OK, "r3-b");
	NEW(1 * MS, 100, 89, 0, 0, WEFT_TASK_WHEN_ANY, "race 3", "o.c:80");
	CONT(1 * MS, 100, 87, 89, 0);
	CONT(1 * MS, 100, 88, 89, 0);
	END(30 * MS, 106, 89, WEFT_STATUS_OK);
	WAIT(31 * MS, 100, 0, 88, WEFT_WAIT_BLOCK);
	WAIT_END(300 * MS, 100, 0, 88);
	/* race 4: work against a timeout; the timer loser never ran */
	RUN(st, 90, 0, 0, WEFT_TASK_TASK, 1, 108, 0, 0, 30 * MS, WEFT_STATUS_OK, "r4 work");
	NEW(0, 100, 91, 0, 0, WEFT_TASK_TIMER, "timeout", "o.c:90");
	NEW(1 * MS, 100, 92, 0, 0, WEFT_TASK_WHEN_ANY, "race 4", "o.c:91");
	CONT(1 * MS, 100, 90, 92, 0);
	CONT(1 * MS, 100, 91, 92, 0);
	END(30 * MS, 108, 92, WEFT_STATUS_OK);
	END(500 * MS, 100, 91, WEFT_STATUS_OK);
	commit(st);
	detect(st, "orphaned-work", NULL);
	ASSERT_QUERY(found(st, "orphaned-work"), "83|0.370000|\n");
	ASSERT_QUERY(run_query(st,
			       "SELECT t.task AS task, ft.role AS role FROM finding_tasks ft "
			       "JOIN tasks t ON t.id = ft.task ORDER BY ft.ord", "task,role", NULL),
		     "83|when_any\n81|orphaned input\n80|winner\n");
	ASSERT(has_text(st, "orphaned-work", 83, "won by task 80 'replica-a'; 1 of its 3 inputs "
						 "kept running"));
	store_close(st);
	cleanup();
	return 0;
}

/* ---- serial-fan-out ------------------------------------------------------ */

TEST_IMPL(serial_fan_out)
{
	struct store *st;
	int64_t sess;

	st = begin(&sess);
	CTX(0, 1, WEFT_CTX_POOL, "app");
	/* load_dashboard awaits three children one after another, resuming in
	 * a continuation each time: 60 + 60 + 30 ms serial, 60 ms together */
	RUN(st, 100, 0, 0, WEFT_TASK_TASK, 1, 101, 0, 0, 1 * MS, WEFT_STATUS_OK, "load");
	NEW(500 * US, 101, 101, 100, 0, WEFT_TASK_TASK, "fetch_profile", "s.c:54");
	SCHED(500 * US, 101, 101, 1);
	WAIT(600 * US, 101, 100, 101, WEFT_WAIT_ASYNC);
	NEW(600 * US, 101, 102, 100, 0, WEFT_TASK_CONTINUATION, "after 1", "s.c:55");
	CONT(600 * US, 101, 101, 102, 1);
	START(700 * US, 102, 101, 1);
	END(60500 * US, 102, 101, WEFT_STATUS_OK);
	WAIT_END(60500 * US, 102, 100, 101);
	SCHED(60600 * US, 102, 102, 1);
	START(60700 * US, 101, 102, 1);
	NEW(61 * MS, 101, 103, 102, 0, WEFT_TASK_TASK, "fetch_orders", "s.c:54");
	SCHED(61 * MS, 101, 103, 1);
	WAIT(61100 * US, 101, 102, 103, WEFT_WAIT_ASYNC);
	NEW(61100 * US, 101, 104, 102, 0, WEFT_TASK_CONTINUATION, "after 2", "s.c:55");
	CONT(61100 * US, 101, 103, 104, 1);
	END(61200 * US, 101, 102, WEFT_STATUS_OK);
	START(61200 * US, 102, 103, 1);
	END(121 * MS, 102, 103, WEFT_STATUS_OK);
	SCHED(121100 * US, 102, 104, 1);
	START(121200 * US, 101, 104, 1);
	NEW(122 * MS, 101, 105, 104, 0, WEFT_TASK_TASK, "fetch_recs", "s.c:54");
	SCHED(122 * MS, 101, 105, 1);
	WAIT(122100 * US, 101, 104, 105, WEFT_WAIT_ASYNC);
	NEW(122100 * US, 101, 106, 104, 0, WEFT_TASK_CONTINUATION, "after 3", "s.c:55");
	CONT(122100 * US, 101, 105, 106, 1);
	END(122200 * US, 101, 104, WEFT_STATUS_OK);
	START(122100 * US, 102, 105, 1);
	END(152 * MS, 102, 105, WEFT_STATUS_OK);
	SCHED(152100 * US, 102, 106, 1);
	START(152200 * US, 101, 106, 1);
	END(152300 * US, 101, 106, WEFT_STATUS_OK);

	/* a parallel fan-out, awaited one by one: not serial */
	RUN(st, 110, 0, 0, WEFT_TASK_TASK, 1, 103, 0, 0, 62 * MS, WEFT_STATUS_OK, "parallel");
	RUN(st, 111, 110, 0, WEFT_TASK_TASK, 1, 104, 0, 0, 60 * MS, WEFT_STATUS_OK, "p1");
	RUN(st, 112, 110, 0, WEFT_TASK_TASK, 1, 105, 100 * US, 100 * US, 61 * MS,
	    WEFT_STATUS_OK, "p2");
	RUN(st, 113, 110, 0, WEFT_TASK_TASK, 1, 106, 200 * US, 200 * US, 62 * MS,
	    WEFT_STATUS_OK, "p3");
	WAIT(300 * US, 103, 110, 111, WEFT_WAIT_BLOCK);
	WAIT_END(60 * MS, 103, 110, 111);
	WAIT(60 * MS, 103, 110, 112, WEFT_WAIT_BLOCK);
	WAIT_END(61 * MS, 103, 110, 112);
	WAIT(61 * MS, 103, 110, 113, WEFT_WAIT_BLOCK);
	WAIT_END(62 * MS, 103, 110, 113);

	/* two children in a row: under min_children */
	RUN(st, 120, 0, 0, WEFT_TASK_TASK, 1, 107, 0, 0, 20 * MS, WEFT_STATUS_OK, "two");
	RUN(st, 121, 120, 0, WEFT_TASK_TASK, 1, 108, 100 * US, 100 * US, 10 * MS,
	    WEFT_STATUS_OK, "t1");
	WAIT(100 * US, 107, 120, 121, WEFT_WAIT_BLOCK);
	WAIT_END(10 * MS, 107, 120, 121);
	RUN(st, 122, 120, 0, WEFT_TASK_TASK, 1, 108, 11 * MS, 11 * MS, 20 * MS,
	    WEFT_STATUS_OK, "t2");
	WAIT(11 * MS, 107, 120, 122, WEFT_WAIT_BLOCK);
	WAIT_END(20 * MS, 107, 120, 122);

	/* three in a row, but the second runs after the first (an edge) */
	RUN(st, 130, 0, 0, WEFT_TASK_TASK, 1, 109, 0, 0, 30 * MS, WEFT_STATUS_OK, "dependent");
	RUN(st, 131, 130, 0, WEFT_TASK_TASK, 1, 110, 100 * US, 100 * US, 10 * MS,
	    WEFT_STATUS_OK, "d1");
	WAIT(100 * US, 109, 130, 131, WEFT_WAIT_BLOCK);
	WAIT_END(10 * MS, 109, 130, 131);
	RUN(st, 132, 130, 0, WEFT_TASK_TASK, 1, 110, 11 * MS, 11 * MS, 20 * MS,
	    WEFT_STATUS_OK, "d2");
	CONT(11 * MS, 109, 131, 132, 1);
	WAIT(11 * MS, 109, 130, 132, WEFT_WAIT_BLOCK);
	WAIT_END(20 * MS, 109, 130, 132);
	RUN(st, 133, 130, 0, WEFT_TASK_TASK, 1, 110, 21 * MS, 21 * MS, 30 * MS,
	    WEFT_STATUS_OK, "d3");
	WAIT(21 * MS, 109, 130, 133, WEFT_WAIT_BLOCK);
	WAIT_END(30 * MS, 109, 130, 133);
	commit(st);
	detect(st, "serial-fan-out", NULL);
	ASSERT_QUERY(found(st, "serial-fan-out"), "100|0.090000|\n");
	ASSERT(has_text(st, "serial-fan-out", 100, "awaited 3 of its children one after "
						   "another"));
	ASSERT(has_text(st, "serial-fan-out", 100, "0.150 s serial; 0.060 s if awaited together"));
	/* With min_children 2 the pair counts too: 9.9 + 9 ms, 9.9 ms together. */
	detect(st, "serial-fan-out", "serial-fan-out.min_children=2");
	ASSERT_QUERY(found(st, "serial-fan-out"), "100|0.090000|\n120|0.009000|\n");
	store_close(st);
	cleanup();
	return 0;
}

/* ---- needless-marshal ---------------------------------------------------- */

/* Hop `task` (a continuation created by `parent`) from io (2) to ui (1):
 * queued at q, run from s to e. */
static void hop(struct store *st, uint64_t task, uint64_t parent, int64_t q, int64_t s,
		int64_t e)
{
	NEW(q - 5 * MS, 100, task, parent, 0, WEFT_TASK_CONTINUATION, "on_chunk", "m.c:97");
	EV(st, marshal, q, 102, task, 2, 1, 0, 0, 0, NULL, NULL);
	SCHED(q, 102, task, 1);
	START(s, 101, task, 1);
	END(e, 101, task, WEFT_STATUS_OK);
}

TEST_IMPL(needless_marshal)
{
	struct store *st;
	int64_t sess;

	st = begin(&sess);
	CTX(0, 1, WEFT_CTX_LOOP, "ui");
	CTX(0, 2, WEFT_CTX_POOL, "io");
	/* each hop creates the next: 3 hops of 20 us after 2 ms in the queue */
	RUN(st, 140, 0, 0, WEFT_TASK_TASK, 1, 101, 0, 0, 100 * US, WEFT_STATUS_OK, "clicked");
	hop(st, 141, 140, 10 * MS, 12 * MS, 12 * MS + 20 * US);
	hop(st, 142, 141, 20 * MS, 22 * MS, 22 * MS + 20 * US);
	hop(st, 143, 142, 30 * MS, 32 * MS, 32 * MS + 20 * US);
	/* the same, but one continuation runs 1 ms: it has work on the loop */
	RUN(st, 150, 0, 0, WEFT_TASK_TASK, 1, 101, 0, 0, 100 * US, WEFT_STATUS_OK, "heavy");
	hop(st, 151, 150, 40 * MS, 42 * MS, 42 * MS + 20 * US);
	hop(st, 152, 151, 50 * MS, 52 * MS, 53 * MS);
	hop(st, 153, 152, 60 * MS, 62 * MS, 62 * MS + 20 * US);
	/* two hops only */
	RUN(st, 160, 0, 0, WEFT_TASK_TASK, 1, 101, 0, 0, 100 * US, WEFT_STATUS_OK, "two");
	hop(st, 161, 160, 70 * MS, 72 * MS, 72 * MS + 20 * US);
	hop(st, 162, 161, 80 * MS, 82 * MS, 82 * MS + 20 * US);
	/* three sibling operations each hopping back once (healthy) */
	RUN(st, 170, 0, 0, WEFT_TASK_TASK, 1, 101, 0, 0, 100 * US, WEFT_STATUS_OK, "siblings");
	hop(st, 171, 170, 90 * MS, 92 * MS, 92 * MS + 20 * US);
	hop(st, 172, 170, 100 * MS, 102 * MS, 102 * MS + 20 * US);
	hop(st, 173, 170, 110 * MS, 112 * MS, 112 * MS + 20 * US);
	/* an idle loop: 20 us of work after 20 us in the queue: not dominated */
	RUN(st, 180, 0, 0, WEFT_TASK_TASK, 1, 101, 0, 0, 100 * US, WEFT_STATUS_OK, "idle");
	hop(st, 181, 180, 120 * MS, 120 * MS + 20 * US, 120 * MS + 40 * US);
	hop(st, 182, 181, 130 * MS, 130 * MS + 20 * US, 130 * MS + 40 * US);
	hop(st, 183, 182, 140 * MS, 140 * MS + 20 * US, 140 * MS + 40 * US);
	/* 8 hops, one of them 3 ms (a preempted few-us continuation looks like
	 * that): one in eight is not work on the loop */
	RUN(st, 190, 0, 0, WEFT_TASK_TASK, 1, 101, 0, 0, 100 * US, WEFT_STATUS_OK, "preempted");
	for (int i = 0; i < 8; i++)
		hop(st, 191 + (uint64_t)i, i ? 190 + (uint64_t)i : 190, (150 + 10 * i) * MS,
		    (152 + 10 * i) * MS, (152 + 10 * i) * MS + (i == 4 ? 3 * MS : 20 * US));
	/* 8 hops, two of them 1 ms: a quarter has work on the loop */
	RUN(st, 200, 0, 0, WEFT_TASK_TASK, 1, 101, 0, 0, 100 * US, WEFT_STATUS_OK, "quarter");
	for (int i = 0; i < 8; i++)
		hop(st, 201 + (uint64_t)i, i ? 200 + (uint64_t)i : 200, (240 + 10 * i) * MS,
		    (242 + 10 * i) * MS, (242 + 10 * i) * MS + (i % 4 == 1 ? MS : 20 * US));
	commit(st);
	detect(st, "needless-marshal", NULL);
	/* 3 marshals, and the preempted chain's 8 */
	ASSERT_QUERY(found(st, "needless-marshal"), "141|3.000000|\n191|8.000000|\n");
	ASSERT(has_text(st, "needless-marshal", 141,
			"the chain started by task 140 'clicked' hopped 3 times from 'io' to loop "
			"'ui'"));
	ASSERT(has_text(st, "needless-marshal", 141, "6.0 ms of queue wait against 0.1 ms"));
	store_close(st);
	cleanup();
	return 0;
}

/* ---- sync-completion-hot-path --------------------------------------------- */

/* n tasks from site, the first `inl` of them completed inline. */
static void site_tasks(struct store *st, uint64_t *id, int64_t *ts, const char *site, int n,
		       int inl)
{
	int i;

	for (i = 0; i < n; i++, (*id)++) {
		NEW(*ts, 100, *id, 0, 0, WEFT_TASK_CONTINUATION, "use_value", site);
		if (i < inl)
			EV(st, task_inline, *ts, 100, *id, 0, 0, 0, 0, 0, NULL, NULL);
		END(*ts += US, 100, *id, WEFT_STATUS_OK);
	}
}

TEST_IMPL(sync_completion_hot_path)
{
	struct store *st;
	uint64_t id = 1000;
	int64_t sess, ts = 0;

	st = begin(&sess);
	site_tasks(st, &id, &ts, "a.c:1", 10000, 9000); /* 90 % of 10,000: fires */
	site_tasks(st, &id, &ts, "b.c:2", 10000, 8999); /* 89.99 % */
	site_tasks(st, &id, &ts, "c.c:3", 9999, 9999);  /* 100 % of 9,999 */
	commit(st);
	detect(st, "sync-completion-hot-path", NULL);
	ASSERT_QUERY(found(st, "sync-completion-hot-path"), "1000|90.000000|\n");
	ASSERT(has_text(st, "sync-completion-hot-path", 1000,
			"site a.c:1 created 10000 tasks (like task 1000 'use_value')"));
	ASSERT(has_text(st, "sync-completion-hot-path", 1000, "9000 (90.0 %) completed inline"));
	store_close(st);
	cleanup();
	return 0;
}

/* ---- every detector together -------------------------------------------- */

/* A healthy little program (a task, its continuation, a when_all of two
 * children that carry the parent's token, a cancellation observed at once)
 * gives no lifecycle finding, during the recording nor at its end. */
TEST_IMPL(healthy_is_silent)
{
	static const char all[] = "lost-task,cancel-ignored,cancel-not-propagated,orphaned-work,"
				  "serial-fan-out,needless-marshal,sync-completion-hot-path";
	struct store *st;
	int64_t sess;

	st = begin(&sess);
	CTX(0, 1, WEFT_CTX_POOL, "pool");
	CTX(0, 2, WEFT_CTX_LOOP, "ui");
	TOKEN(0, 1, 0, "window");
	TOKEN(0, 2, 1, "request");
	RUN(st, 1, 0, 1, WEFT_TASK_TASK, 2, 100, 0, 0, 1 * MS, WEFT_STATUS_OK, "open");
	NEW(100 * US, 100, 2, 1, 2, WEFT_TASK_TASK, "load a", "h.c:1");
	SCHED(100 * US, 100, 2, 1);
	NEW(100 * US, 100, 3, 1, 2, WEFT_TASK_TASK, "load b", "h.c:1");
	SCHED(100 * US, 100, 3, 1);
	NEW(200 * US, 100, 4, 1, 0, WEFT_TASK_WHEN_ALL, "both", "h.c:2");
	CONT(200 * US, 100, 2, 4, 0);
	CONT(200 * US, 100, 3, 4, 0);
	NEW(300 * US, 100, 5, 1, 2, WEFT_TASK_CONTINUATION, "show", "h.c:3");
	CONT(300 * US, 100, 4, 5, 2);
	START(1 * MS, 101, 2, 1);
	START(1 * MS, 102, 3, 1);
	END(20 * MS, 101, 2, WEFT_STATUS_OK);
	CANCEL(25 * MS, 1, "window closed");
	EV(st, cancel_observe, 26 * MS, 102, 2, 3, 0, 0, 0, 0, NULL, NULL);
	END(26 * MS, 102, 3, WEFT_STATUS_CANCELED);
	END(26 * MS, 102, 4, WEFT_STATUS_CANCELED);
	EV(st, marshal, 26 * MS, 102, 5, 1, 2, 0, 0, 0, NULL, NULL);
	SCHED(26 * MS, 102, 5, 2);
	START(27 * MS, 100, 5, 2);
	END(27100 * US, 100, 5, WEFT_STATUS_OK);
	commit(st);
	detect(st, all, NULL);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM findings"), 0);
	end_session(st, sess, 10000 * MS);
	detect(st, all, NULL);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM findings"), 0);
	store_close(st);
	cleanup();
	return 0;
}

static const struct test_entry tests[] = {
	TEST_ENTRY(lost_task_at_end)
	TEST_ENTRY(lost_task_persist)
	TEST_ENTRY(lost_task_dependencies)
	TEST_ENTRY(cancel_ignored)
	TEST_ENTRY(cancel_not_propagated)
	TEST_ENTRY(orphaned_work)
	TEST_ENTRY(serial_fan_out)
	TEST_ENTRY(needless_marshal)
	TEST_ENTRY_TIMEOUT(sync_completion_hot_path, 120)
	TEST_ENTRY(healthy_is_silent)
};

TEST_MAIN(tests)
