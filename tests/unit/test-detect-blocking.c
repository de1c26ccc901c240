/*
 * test-detect-blocking: the detectors of blocking and saturation
 * (sync-over-async-deadlock, blocking-wait, slow-callback, pool-starvation,
 * blocking-in-pool, oversubscription) on hand-built event streams fed
 * through the real store writer, then detect_run, then SQL on findings.
 *
 * Every expectation is computed by hand from the event times below (ms from
 * the session's origin), and each detector has a case just under its
 * threshold that must stay silent.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <unistd.h>

#include "detect.h"
#include "runner.h"
#include "store-fixture.h"
#include "store.h"

#define BASE 1700000000000000000LL
#define MS(x) ((int64_t)((x) * 1000000.0))

static struct store *st;
static int64_t sess;

/* A fresh store with one session and its first chunk open. */
static void begin(void)
{
	st = fixture_store("detect");
	check_ok(st, store_session_begin(st, "h", "s", BASE, &sess));
	check_ok(st, store_chunk_begin(st, sess, "c1"));
}

static void ev(struct store *s, enum weft_event kind, int64_t rel_ts, int32_t tid, uint64_t id0,
	       uint64_t id1, uint64_t id2, int64_t n0, int64_t n1, int64_t n2, const char *s0,
	       const char *s1)
{
	fixture_event(s, BASE, 100, tid, tid == 100 ? "app" : "worker", kind, rel_ts, id0, id1,
		      id2, n0, n1, n2, s0, s1);
}

#define EV(kind, ts, tid, a, b, c, n0, n1, n2, s0, s1) \
	ev(st, WEFT_EV_##kind, ts, tid, a, b, c, n0, n1, n2, s0, s1)

/* Commits the chunk; ends the session at end_ms unless it is < 0 (live). */
static void commit(double end_ms)
{
	check_ok(st, store_chunk_commit(st));
	if (end_ms >= 0)
		check_ok(st, store_session_end(st, sess, BASE + MS(end_ms), 0, 0));
}

static void run(const char *set)
{
	struct detect_config cfg;
	struct detect_opts o = { .cfg = &cfg };
	char err[512];

	detect_config_init(&cfg);
	if (set && detect_config_set(&cfg, set, err, sizeof(err)) < 0)
		TEST_FAIL_("config: %s", err);
	if (detect_run(st, &o, NULL, err, sizeof(err)) != 0)
		TEST_FAIL_("detect_run: %s", err);
	detect_config_free(&cfg);
}

static void finish(void)
{
	store_close(st);
	st = NULL;
	cleanup();
}

static int64_t q_int(const char *fmt, ...)
{
	sqlite3_stmt *s = NULL;
	char sql[768];
	va_list ap;
	int64_t v = -1;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		TEST_FAIL_("prepare %s: %s", sql, sqlite3_errmsg(store_db(st)));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_type(s, 0) == SQLITE_NULL ? -2 : sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* The message of the only finding of `det` ("" if none, fails if several). */
static char msg[1024];
static const char *message(const char *det)
{
	sqlite3_stmt *s = NULL;

	msg[0] = '\0';
	ASSERT_LE(q_int("SELECT count(*) FROM findings WHERE detector = '%s'", det), 1);
	ASSERT(sqlite3_prepare_v2(store_db(st), "SELECT message FROM findings WHERE detector = ?1",
				  -1, &s, NULL) == SQLITE_OK);
	sqlite3_bind_text(s, 1, det, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(msg, sizeof(msg), "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return msg;
}

#define COUNT(det) q_int("SELECT count(*) FROM findings WHERE detector = '%s'", det)
#define ATTACHED(det, to) \
	q_int("SELECT count(*) FROM findings f JOIN findings g ON g.id = f.attached_to " \
	      "WHERE f.detector = '%s' AND g.detector = '%s'", det, to)
#define HAS(hay, needle) \
	do { \
		if (!strstr(hay, needle)) \
			TEST_FAIL_("\"%s\" not in \"%s\"", needle, hay); \
	} while (0)

/* ---- sync-over-async-deadlock ------------------------------------------ */

/* The example's story: main thread 100 runs loop 'ui' (ctx 1); on it
 * on_open_clicked (task 3) starts read_file (task 4) on pool 'io' (ctx 2,
 * worker 101), chains parse_file (task 5) back to ui and blocks on it at
 * 11 ms.  The read ends at 30 ms, parse_file is queued on ui at 31 ms; the
 * wait times out at 11 + wait_ms; the handler ends 1 ms later and
 * parse_file runs 1 ms after that. */
static void deadlock_story(double wait_ms)
{
	double we = 11 + wait_ms;

	begin();
	EV(context_new, MS(0), 100, 1, 0, 0, WEFT_CTX_LOOP, 1, 2, "ui", NULL);
	EV(context_new, MS(0), 100, 2, 0, 0, WEFT_CTX_POOL, 1, 2, "io", NULL);
	EV(worker_state, MS(1), 100, 1, 0, 0, WEFT_WORKER_START, 0, 0, NULL, NULL);
	EV(worker_state, MS(1), 101, 2, 0, 0, WEFT_WORKER_START, 0, 0, NULL, NULL);
	EV(task_new, MS(2), 100, 3, 0, 0, WEFT_TASK_TASK, 0, 0, "on_open_clicked", "a.c:1");
	EV(task_schedule, MS(2), 100, 3, 1, 0, 0, 0, 0, NULL, NULL);
	EV(task_start, MS(10), 100, 3, 1, 0, 0, 0, 0, NULL, NULL);
	EV(task_new, MS(10.2), 100, 4, 3, 0, WEFT_TASK_TASK, 0, 0, "read_file", "a.c:2");
	EV(task_schedule, MS(10.2), 100, 4, 2, 0, 0, 0, 0, NULL, NULL);
	EV(task_new, MS(10.4), 100, 5, 3, 0, WEFT_TASK_CONTINUATION, 0, 0, "parse_file", "a.c:3");
	EV(continuation_add, MS(10.4), 100, 4, 5, 1, 0, 0, 0, NULL, NULL);
	EV(task_start, MS(10.5), 101, 4, 2, 0, 0, 0, 0, NULL, NULL);
	EV(wait_begin, MS(11), 100, 3, 5, 0, WEFT_WAIT_BLOCK, 0, 0, NULL, NULL);
	EV(task_end, MS(30), 101, 4, 0, 0, WEFT_STATUS_OK, 0, 0, NULL, NULL);
	EV(marshal, MS(30.5), 101, 5, 2, 1, 0, 0, 0, NULL, NULL);
	EV(task_schedule, MS(31), 101, 5, 1, 0, 0, 0, 0, NULL, NULL);
	EV(wait_end, MS(we), 100, 3, 5, 0, 1, 0, 0, NULL, NULL);
	EV(task_end, MS(we + 1), 100, 3, 0, 0, WEFT_STATUS_OK, 0, 0, NULL, NULL);
	EV(task_start, MS(we + 2), 100, 5, 1, 0, 0, 0, 0, NULL, NULL);
	EV(task_end, MS(we + 3), 100, 5, 0, 0, WEFT_STATUS_OK, 0, 0, NULL, NULL);
	EV(worker_state, MS(we + 4), 100, 1, 0, 0, WEFT_WORKER_STOP, 0, 0, NULL, NULL);
	commit(we + 10);
}

TEST_IMPL(deadlock_fires)
{
	deadlock_story(1500);
	run(NULL);
	ASSERT_EQ(COUNT("sync-over-async-deadlock"), 1);
	/* from the wait's begin (11 ms) to its end (1511 ms): 1.5 s */
	ASSERT_EQ(q_int("SELECT begin_ns FROM findings WHERE detector = "
			"'sync-over-async-deadlock'"), MS(11));
	ASSERT_EQ(q_int("SELECT end_ns FROM findings WHERE detector = 'sync-over-async-deadlock'"),
		  MS(1511));
	ASSERT_EQ(q_int("SELECT round(value * 1000) FROM findings WHERE detector = "
			"'sync-over-async-deadlock'"), 1500);
	ASSERT_EQ(q_int("SELECT key = 'wait:' || (SELECT id FROM waits) FROM findings WHERE "
			"detector = 'sync-over-async-deadlock'"), 1);
	message("sync-over-async-deadlock");
	HAS(msg, "thread 100 (loop 'ui') blocked 1.50 s");
	HAS(msg, "task 3 'on_open_clicked'");
	HAS(msg, "task 5 'parse_file', which is itself queued on 'ui'");
	HAS(msg, "timed out");
	/* waiter and awaited, by role */
	ASSERT_EQ(q_int("SELECT count(*) FROM finding_tasks ft JOIN findings f ON f.id = ft.finding "
			"JOIN tasks t ON t.id = ft.task WHERE f.detector = "
			"'sync-over-async-deadlock' AND ((ft.role = 'waiter' AND t.task = 3) OR "
			"(ft.role = 'awaited' AND t.task = 5))"), 2);
	/* one root cause: the wait and the handler's run are attached to it */
	ASSERT_EQ(COUNT("blocking-wait"), 1);
	ASSERT_EQ(ATTACHED("blocking-wait", "sync-over-async-deadlock"), 1);
	ASSERT_EQ(COUNT("slow-callback"), 1);
	ASSERT_EQ(ATTACHED("slow-callback", "sync-over-async-deadlock"), 1);
	/* stable: a second run changes nothing */
	run(NULL);
	ASSERT_EQ(q_int("SELECT count(*) FROM findings"), 3);
	finish();
	return 0;
}

TEST_IMPL(deadlock_under_persist)
{
	deadlock_story(999);
	run(NULL);
	ASSERT_EQ(COUNT("sync-over-async-deadlock"), 0);
	/* still a blocking wait on the loop (999 ms), and the handler's 1001 ms
	 * run is slow only because of it: attached to that one */
	ASSERT_EQ(COUNT("blocking-wait"), 1);
	ASSERT_EQ(q_int("SELECT attached_to FROM findings WHERE detector = 'blocking-wait'"), -2);
	HAS(message("blocking-wait"), "blocked 999.0 ms");
	ASSERT_EQ(ATTACHED("slow-callback", "blocking-wait"), 1);
	finish();
	return 0;
}

/* Live (no session end): the horizon is the last event; the wait is still
 * open.  At 1.01 s it has held 1 s: a finding with no end yet. */
TEST_IMPL(deadlock_live_open)
{
	begin();
	EV(context_new, MS(0), 100, 1, 0, 0, WEFT_CTX_LOOP, 1, 2, "ui", NULL);
	EV(worker_state, MS(1), 100, 1, 0, 0, WEFT_WORKER_START, 0, 0, NULL, NULL);
	EV(task_new, MS(2), 100, 3, 0, 0, WEFT_TASK_TASK, 0, 0, "handler", "a.c:1");
	EV(task_schedule, MS(2), 100, 3, 1, 0, 0, 0, 0, NULL, NULL);
	EV(task_start, MS(5), 100, 3, 1, 0, 0, 0, 0, NULL, NULL);
	/* posts work to its own loop, then blocks on it */
	EV(task_new, MS(6), 100, 4, 3, 0, WEFT_TASK_TASK, 0, 0, "refresh", "a.c:2");
	EV(task_schedule, MS(6), 100, 4, 1, 0, 0, 0, 0, NULL, NULL);
	EV(wait_begin, MS(10), 100, 3, 4, 0, WEFT_WAIT_BLOCK, 0, 0, NULL, NULL);
	EV(annotate, MS(1009), 100, 3, 0, 0, 0, 0, 0, "k", "v");
	commit(-1);
	run(NULL);
	ASSERT_EQ(COUNT("sync-over-async-deadlock"), 0); /* 999 ms so far */
	check_ok(st, store_chunk_begin(st, sess, "c2"));
	EV(annotate, MS(1010), 100, 3, 0, 0, 0, 0, 0, "k", "v");
	commit(-1);
	run(NULL);
	ASSERT_EQ(COUNT("sync-over-async-deadlock"), 1);
	ASSERT_EQ(q_int("SELECT end_ns IS NULL FROM findings WHERE detector = "
			"'sync-over-async-deadlock'"), 1);
	HAS(message("sync-over-async-deadlock"), "still blocked");
	finish();
	return 0;
}

/* A pool worker blocks on a task queued on its own pool while the other
 * worker takes it 200 ms later: not a deadlock (the pool drained). */
TEST_IMPL(deadlock_not_on_draining_pool)
{
	begin();
	EV(context_new, MS(0), 100, 2, 0, 0, WEFT_CTX_POOL, 2, 2, "pool", NULL);
	EV(worker_state, MS(1), 101, 2, 0, 0, WEFT_WORKER_START, 0, 0, NULL, NULL);
	EV(worker_state, MS(1), 102, 2, 0, 0, WEFT_WORKER_START, 0, 0, NULL, NULL);
	EV(task_new, MS(2), 100, 3, 0, 0, WEFT_TASK_TASK, 0, 0, "outer", "a.c:1");
	EV(task_schedule, MS(2), 100, 3, 2, 0, 0, 0, 0, NULL, NULL);
	EV(task_start, MS(3), 101, 3, 2, 0, 0, 0, 0, NULL, NULL);
	EV(task_new, MS(4), 101, 4, 3, 0, WEFT_TASK_TASK, 0, 0, "inner", "a.c:2");
	EV(task_schedule, MS(4), 101, 4, 2, 0, 0, 0, 0, NULL, NULL);
	EV(wait_begin, MS(5), 101, 3, 4, 0, WEFT_WAIT_BLOCK, 0, 0, NULL, NULL);
	EV(task_start, MS(204), 102, 4, 2, 0, 0, 0, 0, NULL, NULL);
	EV(task_end, MS(1500), 102, 4, 0, 0, WEFT_STATUS_OK, 0, 0, NULL, NULL);
	EV(wait_end, MS(1501), 101, 3, 4, 0, 0, 0, 0, NULL, NULL);
	EV(task_end, MS(1502), 101, 3, 0, 0, WEFT_STATUS_OK, 0, 0, NULL, NULL);
	commit(1600);
	run(NULL);
	ASSERT_EQ(COUNT("sync-over-async-deadlock"), 0);
	ASSERT_EQ(COUNT("blocking-wait"), 1); /* but a worker blocked 1.496 s */
	HAS(message("blocking-wait"), "worker of pool 'pool'");
	finish();
	return 0;
}

/* ---- blocking-wait -------------------------------------------------------- */

static void wait_story(double worker_wait_ms)
{
	begin();
	EV(context_new, MS(0), 100, 2, 0, 0, WEFT_CTX_POOL, 4, 2, "web", NULL);
	EV(worker_state, MS(1), 101, 2, 0, 0, WEFT_WORKER_START, 0, 0, NULL, NULL);
	EV(task_new, MS(2), 100, 3, 0, 0, WEFT_TASK_TASK, 0, 0, "handle_request", "b.c:1");
	EV(task_schedule, MS(2), 100, 3, 2, 0, 0, 0, 0, NULL, NULL);
	EV(task_start, MS(3), 101, 3, 2, 0, 0, 0, 0, NULL, NULL);
	EV(task_new, MS(4), 101, 4, 3, 0, WEFT_TASK_TIMER, 0, 0, "db_query", "b.c:2");
	EV(wait_begin, MS(5), 101, 3, 4, 0, WEFT_WAIT_BLOCK, 0, 0, NULL, NULL);
	/* the main thread, bound to nothing, waits 300 ms on the request */
	EV(wait_begin, MS(5), 100, 0, 3, 0, WEFT_WAIT_BLOCK, 0, 0, NULL, NULL);
	EV(task_end, MS(5 + worker_wait_ms), 102, 4, 0, 0, WEFT_STATUS_OK, 0, 0, NULL, NULL);
	EV(wait_end, MS(5 + worker_wait_ms), 101, 3, 4, 0, 0, 0, 0, NULL, NULL);
	EV(task_end, MS(6 + worker_wait_ms), 101, 3, 0, 0, WEFT_STATUS_OK, 0, 0, NULL, NULL);
	EV(wait_end, MS(305), 100, 0, 3, 0, 0, 0, 0, NULL, NULL);
	commit(400);
}

TEST_IMPL(blocking_wait_fires)
{
	wait_story(50);
	run(NULL);
	ASSERT_EQ(COUNT("blocking-wait"), 1);
	ASSERT_EQ(q_int("SELECT round(value * 10) FROM findings WHERE detector = 'blocking-wait'"),
		  500);
	message("blocking-wait");
	HAS(msg, "thread 101 (worker of pool 'web') blocked 50.0 ms in task 3 'handle_request'");
	HAS(msg, "task 4 'db_query'");
	/* the main thread's wait is not a finding */
	ASSERT_EQ(q_int("SELECT t.tid FROM findings f JOIN threads t ON t.id = f.thread "
			"WHERE f.detector = 'blocking-wait'"), 101);
	finish();
	return 0;
}

TEST_IMPL(blocking_wait_under_threshold)
{
	wait_story(49.9);
	run(NULL);
	ASSERT_EQ(COUNT("blocking-wait"), 0);
	finish();
	return 0;
}

/* ---- slow-callback -------------------------------------------------------- */

static void callback_story(double run_ms, bool end)
{
	begin();
	EV(context_new, MS(0), 100, 1, 0, 0, WEFT_CTX_LOOP, 1, 2, "ui", NULL);
	EV(worker_state, MS(1), 101, 1, 0, 0, WEFT_WORKER_START, 0, 0, NULL, NULL);
	EV(task_new, MS(2), 100, 3, 0, 0, WEFT_TASK_TASK, 0, 0, "on_message", "c.c:1");
	EV(task_schedule, MS(2), 100, 3, 1, 0, 0, 0, 0, NULL, NULL);
	EV(task_new, MS(3), 100, 4, 0, 0, WEFT_TASK_TASK, 0, 0, "repaint", "c.c:2");
	EV(task_schedule, MS(3), 100, 4, 1, 0, 0, 0, 0, NULL, NULL);
	EV(task_start, MS(10), 101, 3, 1, 0, 0, 0, 0, NULL, NULL);
	if (end) {
		EV(task_end, MS(10 + run_ms), 101, 3, 0, 0, WEFT_STATUS_OK, 0, 0, NULL, NULL);
		EV(task_start, MS(11 + run_ms), 101, 4, 1, 0, 0, 0, 0, NULL, NULL);
		EV(task_end, MS(12 + run_ms), 101, 4, 0, 0, WEFT_STATUS_OK, 0, 0, NULL, NULL);
		/* many short heavy continuations: 50 x 90 ms */
		for (int i = 0; i < 50; i++) {
			double t0 = 20 + run_ms + i * 91;

			EV(task_new, MS(t0), 101, 10 + i, 0, 0, WEFT_TASK_CONTINUATION, 0, 0, "step",
			   "c.c:3");
			EV(task_schedule, MS(t0), 101, 10 + i, 1, 0, 0, 0, 0, NULL, NULL);
			EV(task_start, MS(t0 + 0.5), 101, 10 + i, 1, 0, 0, 0, 0, NULL, NULL);
			EV(task_end, MS(t0 + 90.5), 101, 10 + i, 0, 0, WEFT_STATUS_OK, 0, 0, NULL,
			   NULL);
		}
		commit(20 + run_ms + 50 * 91 + 10);
	} else {
		EV(annotate, MS(10 + run_ms), 100, 3, 0, 0, 0, 0, 0, "k", "v");
		commit(-1);
	}
}

TEST_IMPL(slow_callback_fires)
{
	callback_story(100, true);
	run(NULL);
	ASSERT_EQ(COUNT("slow-callback"), 1);
	ASSERT_EQ(q_int("SELECT round(value) FROM findings WHERE detector = 'slow-callback'"), 100);
	message("slow-callback");
	HAS(msg, "task 3 'on_message' ran 100.0 ms on loop 'ui' (thread 101)");
	/* repaint: queued at 3 ms, started at 111 ms */
	HAS(msg, "1 callback queued behind it waited up to 108.0 ms");
	finish();
	return 0;
}

TEST_IMPL(slow_callback_under_threshold)
{
	callback_story(99.9, true);
	run(NULL);
	ASSERT_EQ(COUNT("slow-callback"), 0); /* nor any of the 90 ms steps */
	finish();
	return 0;
}

TEST_IMPL(slow_callback_running)
{
	callback_story(100, false); /* still running at the horizon, 100 ms in */
	run(NULL);
	ASSERT_EQ(COUNT("slow-callback"), 1);
	ASSERT_EQ(q_int("SELECT end_ns IS NULL FROM findings WHERE detector = 'slow-callback'"), 1);
	HAS(message("slow-callback"), "has been running 100.0 ms");
	finish();
	return 0;
}

/* ---- pool-starvation ------------------------------------------------------ */

/* Pool 'io' (ctx 2), 2 workers 101/102, each takes a storage request at 1 and
 * 2 ms and blocks in read() until release_ms; three short requests are
 * queued at 10 ms and start at release_ms + 1, + 1.01, + 1.02 (so that their
 * queue waits stay just under the p95 threshold when the gap does). */
static void starvation_story(double release_ms)
{
	begin();
	EV(context_new, MS(0), 100, 2, 0, 0, WEFT_CTX_POOL, 2, 2, "io", NULL);
	EV(worker_state, MS(0.5), 101, 2, 0, 0, WEFT_WORKER_START, 0, 0, NULL, NULL);
	EV(worker_state, MS(0.5), 102, 2, 0, 0, WEFT_WORKER_START, 0, 0, NULL, NULL);
	for (int i = 0; i < 2; i++) {
		EV(task_new, MS(0.6), 100, 3 + i, 0, 0, WEFT_TASK_TASK, 0, 0, "storage", "d.c:1");
		EV(task_schedule, MS(0.6), 100, 3 + i, 2, 0, 0, 0, 0, NULL, NULL);
		EV(task_start, MS(1 + i), 101 + i, 3 + i, 2, 0, 0, 0, 0, NULL, NULL);
		EV(block_begin, MS(1.5 + i), 101 + i, 0, 0, 0, 0, 0, 0, "read(socket)", NULL);
	}
	EV(pool_sample, MS(2.1), 100, 2, 0, 0, 0, 2, 2, NULL, NULL);
	for (int i = 0; i < 3; i++) {
		EV(task_new, MS(10), 100, 10 + i, 0, 0, WEFT_TASK_TASK, 0, 0, "short", "d.c:2");
		EV(task_schedule, MS(10), 100, 10 + i, 2, 0, 0, 0, 0, NULL, NULL);
	}
	EV(pool_sample, MS(10.1), 100, 2, 0, 0, 3, 2, 2, NULL, NULL);
	for (int i = 0; i < 2; i++) {
		EV(block_end, MS(release_ms - 1 + i * 0.1), 101 + i, 0, 0, 0, 0, 0, 0, NULL, NULL);
		EV(task_end, MS(release_ms - 0.5 + i * 0.1), 101 + i, 3 + i, 0, 0, WEFT_STATUS_OK,
		   0, 0, NULL, NULL);
	}
	for (int i = 0; i < 3; i++) {
		EV(task_start, MS(release_ms + 1 + i * 0.01), 101 + (i & 1), 10 + i, 2, 0, 0, 0, 0,
		   NULL, NULL);
		EV(task_end, MS(release_ms + 1.005 + i * 0.01), 101 + (i & 1), 10 + i, 0, 0,
		   WEFT_STATUS_OK, 0, 0, NULL, NULL);
	}
	EV(pool_sample, MS(release_ms + 5), 100, 2, 0, 0, 0, 0, 2, NULL, NULL);
	commit(release_ms + 100);
}

TEST_IMPL(pool_starvation_fires)
{
	starvation_story(1000);
	run(NULL);
	ASSERT_EQ(COUNT("pool-starvation"), 1);
	/* last dequeue at 2 ms with an empty queue; queued from 10 ms; next
	 * dequeue at 1001 ms: 991 ms */
	ASSERT_EQ(q_int("SELECT begin_ns FROM findings WHERE detector = 'pool-starvation'"), MS(10));
	ASSERT_EQ(q_int("SELECT end_ns FROM findings WHERE detector = 'pool-starvation'"), MS(1001));
	ASSERT_EQ(q_int("SELECT round(value * 1000) FROM findings WHERE detector = "
			"'pool-starvation'"), 991);
	message("pool-starvation");
	HAS(msg, "pool 'io' (2 workers) dequeued nothing for 0.99 s while 3 tasks waited");
	HAS(msg, "2 of them blocked in synchronous calls the whole time, most in 'read(socket)'");
	HAS(msg, "first in line: task 10 'short'");
	/* the p95 window [1 s, 2 s) (waits 991, 991.01, 991.02 ms) is the same
	 * episode */
	ASSERT_EQ(q_int("SELECT count(*) FROM findings WHERE key LIKE 'p95:%%'"), 0);
	/* the blocking that caused it: attached to it (window from 0.6 ms, the
	 * first queued instant: queue non-empty 992 of 1000 ms, both workers
	 * blocked nearly all along) */
	ASSERT_EQ(COUNT("blocking-in-pool"), 1);
	ASSERT_EQ(ATTACHED("blocking-in-pool", "pool-starvation"), 1);
	finish();
	return 0;
}

TEST_IMPL(pool_starvation_under_threshold)
{
	starvation_story(509); /* queued 10 .. 510 ms: a 500 ms gap */
	run(NULL);
	ASSERT_EQ(COUNT("pool-starvation"), 1);
	finish();
	starvation_story(508.9); /* 499.9 ms */
	run(NULL);
	ASSERT_EQ(COUNT("pool-starvation"), 0);
	finish();
	return 0;
}

/* A pool whose samples say the queue was empty contradicts the task record
 * (e.g. tasks scheduled on a context that does not really queue them). */
TEST_IMPL(pool_starvation_vetoed_by_samples)
{
	begin();
	EV(context_new, MS(0), 100, 2, 0, 0, WEFT_CTX_POOL, 2, 2, "io", NULL);
	EV(task_new, MS(10), 100, 10, 0, 0, WEFT_TASK_TASK, 0, 0, "short", "d.c:2");
	EV(task_schedule, MS(10), 100, 10, 2, 0, 0, 0, 0, NULL, NULL);
	EV(pool_sample, MS(300), 100, 2, 0, 0, 0, 0, 2, NULL, NULL);
	EV(task_start, MS(900), 101, 10, 2, 0, 0, 0, 0, NULL, NULL);
	EV(task_end, MS(901), 101, 10, 0, 0, WEFT_STATUS_OK, 0, 0, NULL, NULL);
	commit(1000);
	run(NULL);
	ASSERT_EQ(q_int("SELECT count(*) FROM findings WHERE key LIKE 'gap:%%'"), 0);
	finish();
	return 0;
}

/* A busy pool that keeps draining: 2 workers, 400 tasks of 10 ms queued
 * 20 at a time every 100 ms: each waits < 100 ms, a dequeue every 5 ms. */
TEST_IMPL(pool_starvation_not_when_draining)
{
	begin();
	EV(context_new, MS(0), 100, 2, 0, 0, WEFT_CTX_POOL, 2, 2, "cpu", NULL);
	for (int b = 0; b < 20; b++) {
		for (int i = 0; i < 20; i++) {
			uint64_t id = 10 + (uint64_t)(b * 20 + i);
			double q = b * 100.0, s = q + (i / 2) * 10.0 + 0.01;

			EV(task_new, MS(q), 100, id, 0, 0, WEFT_TASK_TASK, 0, 0, "work", "e.c:1");
			EV(task_schedule, MS(q), 100, id, 2, 0, 0, 0, 0, NULL, NULL);
			EV(task_start, MS(s), 101 + (i & 1), id, 2, 0, 0, 0, 0, NULL, NULL);
			EV(task_end, MS(s + 9.9), 101 + (i & 1), id, 0, 0, WEFT_STATUS_OK, 0, 0, NULL,
			   NULL);
		}
	}
	commit(2100);
	run(NULL);
	ASSERT_EQ(COUNT("pool-starvation"), 0);
	/* a lower p95 threshold finds the slow drain: waits up to 90 ms */
	run("pool-starvation.p95_wait=80ms");
	ASSERT_GE(COUNT("pool-starvation"), 1);
	ASSERT_EQ(q_int("SELECT count(*) FROM findings WHERE detector = 'pool-starvation' AND key "
			"NOT LIKE 'p95:%%'"), 0);
	finish();
	return 0;
}

/* ---- blocking-in-pool ----------------------------------------------------- */

/* Pool 'images' (ctx 2), workers 101/102 bound 0 .. 1200 ms; 20 requests,
 * each queued when the one before it on its worker starts (the first two at
 * 1 ms), so that the queue holds one per worker and each waits 100 ms (it
 * drains: no starvation); worker w runs its j-th at 2 + 100 j ms (j = 0..9), blocked
 * from start + 1 for block_ms, ending at start + 99.  The queue is non-empty
 * from 1 ms to the last dequeue at 902 ms (901 ms); within it each worker
 * is blocked 9 x block_ms (its 10th block begins at 903 ms). */
static void blocking_story(double block_ms)
{
	begin();
	EV(context_new, MS(0), 100, 2, 0, 0, WEFT_CTX_POOL, 2, 2, "images", NULL);
	EV(worker_state, MS(0), 101, 2, 0, 0, WEFT_WORKER_START, 0, 0, NULL, NULL);
	EV(worker_state, MS(0), 102, 2, 0, 0, WEFT_WORKER_START, 0, 0, NULL, NULL);
	for (int j = 0; j < 10; j++) {
		for (int w = 0; w < 2; w++) {
			double s = 2 + 100.0 * j, q = j ? s - 100 : 1;
			uint64_t id = 10 + (uint64_t)(j * 2 + w);

			EV(task_new, MS(q), 100, id, 0, 0, WEFT_TASK_TASK, 0, 0, "serve", "f.c:1");
			EV(task_schedule, MS(q), 100, id, 2, 0, 0, 0, 0, NULL, NULL);
		}
	}
	for (int j = 0; j < 10; j++) {
		for (int w = 0; w < 2; w++) {
			double s = 2 + 100.0 * j;
			uint64_t id = 10 + (uint64_t)(j * 2 + w);

			EV(task_start, MS(s), 101 + w, id, 2, 0, 0, 0, 0, NULL, NULL);
			EV(block_begin, MS(s + 1), 101 + w, 0, 0, 0, 0, 0, 0,
			   w ? "lock(cache)" : "read(image)", NULL);
			EV(block_end, MS(s + 1 + block_ms), 101 + w, 0, 0, 0, 0, 0, 0, NULL, NULL);
			EV(task_end, MS(s + 99), 101 + w, id, 0, 0, WEFT_STATUS_OK, 0, 0, NULL, NULL);
		}
	}
	EV(worker_state, MS(1200), 101, 2, 0, 0, WEFT_WORKER_STOP, 0, 0, NULL, NULL);
	EV(worker_state, MS(1200), 102, 2, 0, 0, WEFT_WORKER_STOP, 0, 0, NULL, NULL);
	commit(1300);
}

TEST_IMPL(blocking_in_pool_fires)
{
	blocking_story(51); /* 2 x 9 x 51 / (2 x 901) = 50.9 % */
	run(NULL);
	ASSERT_EQ(COUNT("blocking-in-pool"), 1);
	ASSERT_EQ(q_int("SELECT round(value * 10) FROM findings WHERE detector = "
			"'blocking-in-pool'"), 509);
	ASSERT_EQ(q_int("SELECT begin_ns FROM findings WHERE detector = 'blocking-in-pool'"), MS(1));
	message("blocking-in-pool");
	HAS(msg, "workers of pool 'images' (2) spent 50.9 % of their time blocked");
	HAS(msg, "0.90 s of 1.00 s");
	/* both reasons have 25.5 %: the first by id wins the tie */
	HAS(msg, "25.5 % of worker time");
	ASSERT_EQ(COUNT("pool-starvation"), 0); /* it drains: a dequeue every 100 ms */
	finish();
	return 0;
}

TEST_IMPL(blocking_in_pool_under_threshold)
{
	blocking_story(50); /* 900 / 1802 = 49.9 % */
	run(NULL);
	ASSERT_EQ(COUNT("blocking-in-pool"), 0);
	finish();
	return 0;
}

/* ---- oversubscription ----------------------------------------------------- */

/* Pool 'resize' (ctx 2) of 10 workers on 2 CPUs: busy workers go to `busy`
 * at 10 ms and back to 0 at 10 + busy_ms; `blocked` of them sit in a block
 * the whole time. */
static void oversub_story(int busy, double busy_ms, int blocked)
{
	begin();
	EV(context_new, MS(0), 100, 2, 0, 0, WEFT_CTX_POOL, 10, 2, "resize", NULL);
	for (int i = 0; i < 10; i++)
		EV(worker_state, MS(1), 101 + i, 2, 0, 0, WEFT_WORKER_START, 0, 0, NULL, NULL);
	EV(pool_sample, MS(5), 100, 2, 0, 0, 0, 0, 10, NULL, NULL);
	EV(pool_sample, MS(10), 100, 2, 0, 0, 0, busy, 10, NULL, NULL);
	for (int i = 0; i < blocked; i++) {
		EV(block_begin, MS(10), 101 + i, 0, 0, 0, 0, 0, 0, "read(disk)", NULL);
		EV(block_end, MS(10 + busy_ms), 101 + i, 0, 0, 0, 0, 0, 0, NULL, NULL);
	}
	EV(pool_sample, MS(10 + busy_ms), 100, 2, 0, 0, 0, 0, 10, NULL, NULL);
	commit(10 + busy_ms + 100);
}

TEST_IMPL(oversubscription_fires)
{
	oversub_story(10, 1000, 0);
	run(NULL);
	ASSERT_EQ(COUNT("oversubscription"), 1);
	ASSERT_EQ(q_int("SELECT value FROM findings WHERE detector = 'oversubscription'"), 10);
	ASSERT_EQ(q_int("SELECT end_ns - begin_ns FROM findings WHERE detector = "
			"'oversubscription'"), MS(1000));
	HAS(message("oversubscription"), "10 CPU-bound pool workers ran at once on 2 online CPUs "
					  "(5.0 per CPU, over the limit of 4) for 1.00 s, in pool "
					  "'resize'");
	finish();
	return 0;
}

TEST_IMPL(oversubscription_under_threshold)
{
	oversub_story(10, 999, 0); /* not long enough */
	run(NULL);
	ASSERT_EQ(COUNT("oversubscription"), 0);
	finish();
	oversub_story(8, 2000, 0); /* 8 is not more than 4 x 2 */
	run(NULL);
	ASSERT_EQ(COUNT("oversubscription"), 0);
	finish();
	oversub_story(10, 2000, 2); /* 2 of 10 blocked in I/O: 8 on CPU */
	run(NULL);
	ASSERT_EQ(COUNT("oversubscription"), 0);
	finish();
	return 0;
}

static const struct test_entry tests[] = {
	TEST_ENTRY(deadlock_fires)
	TEST_ENTRY(deadlock_under_persist)
	TEST_ENTRY(deadlock_live_open)
	TEST_ENTRY(deadlock_not_on_draining_pool)
	TEST_ENTRY(blocking_wait_fires)
	TEST_ENTRY(blocking_wait_under_threshold)
	TEST_ENTRY(slow_callback_fires)
	TEST_ENTRY(slow_callback_under_threshold)
	TEST_ENTRY(slow_callback_running)
	TEST_ENTRY(pool_starvation_fires)
	TEST_ENTRY(pool_starvation_under_threshold)
	TEST_ENTRY(pool_starvation_vetoed_by_samples)
	TEST_ENTRY(pool_starvation_not_when_draining)
	TEST_ENTRY(blocking_in_pool_fires)
	TEST_ENTRY(blocking_in_pool_under_threshold)
	TEST_ENTRY(oversubscription_fires)
	TEST_ENTRY(oversubscription_under_threshold)
};

TEST_MAIN(tests)
