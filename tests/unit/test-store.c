/*
 * test-store: the trace store (store/) on real SQLite files in a temporary
 * directory: creation and migration, refusal of foreign files, chunk
 * atomicity and idempotency, task rows spanning chunks and writer restarts,
 * pid reuse, loss records, untrusted bytes, the example queries of
 * docs/schema.md (read from that file, so the documentation cannot drift from
 * what works), integrity, and the size budget (bytes per event).
 *
 * Expected values come from the hand-written event sequence below (times,
 * ids, names), never from reading the implementation's output back.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "detect.h"
#include "hmap.h"
#include "runner.h"
#include "store.h"

#ifndef WEFT_SOURCE_DIR
#error "WEFT_SOURCE_DIR must point at the source tree (for docs/schema.md)"
#endif

/* Session origin used by every test: relative times below are added to it. */
#define BASE 1700000000000000000LL

/* ---- fixture --------------------------------------------------------- */

static char dir[64], db_path[128];

static void cleanup(void);

/* A fresh directory per test; removed by the test, or at exit() when an
 * assertion fails (the runner's failure path). */
static void fixture(void)
{
	snprintf(dir, sizeof(dir), "/tmp/weft-test-store-XXXXXX");
	ASSERT_NOT_NULL(mkdtemp(dir));
	snprintf(db_path, sizeof(db_path), "%s/weft.db", dir);
	atexit(cleanup);
}

static void cleanup(void)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal", ".other" };
	char p[160];
	size_t i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", db_path, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
}

static struct store *open_store(unsigned flags)
{
	struct store *st = NULL;
	char err[512];
	int rc = store_open(db_path, flags, &st, err, sizeof(err));

	if (rc != 0)
		TEST_FAIL_("store_open: %d: %s", rc, err);
	return st;
}

static void check_ok(struct store *st, int rc)
{
	if (rc != 0)
		TEST_FAIL_("store call failed: %d: %s", rc, store_errmsg(st));
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
	struct store_event e = { 0 };

	e.kind = kind;
	e.ts_ns = BASE + rel_ts;
	e.vpid = cur_pid;
	e.vtid = tid;
	e.procname = thread_name(tid);
	e.id0 = id0;
	e.id1 = id1;
	e.id2 = id2;
	e.n0 = n0;
	e.n1 = n1;
	e.n2 = n2;
	e.s0 = s0 ? s0 : "";
	e.s1 = s1 ? s1 : "";
	e.s0_len = (uint32_t)strlen(e.s0);
	e.s1_len = (uint32_t)strlen(e.s1);
	check_ok(st, store_add_event(st, &e));
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

/* The SQL of the example marked "<!-- query: NAME -->" in docs/schema.md. */
static char *doc_query(const char *name)
{
	char marker[128], *doc = NULL, *p, *end, *sql;
	FILE *f = fopen(WEFT_SOURCE_DIR "/docs/schema.md", "r");
	long size;

	ASSERT_NOT_NULL(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	doc = calloc(1, (size_t)size + 1);
	ASSERT_NOT_NULL(doc);
	ASSERT_EQ(fread(doc, 1, (size_t)size, f), size);
	fclose(f);
	snprintf(marker, sizeof(marker), "<!-- query: %s -->", name);
	p = strstr(doc, marker);
	if (!p)
		TEST_FAIL_("docs/schema.md has no query %s", name);
	p = strstr(p, "```sql\n");
	ASSERT_NOT_NULL(p);
	p += strlen("```sql\n");
	end = strstr(p, "```");
	ASSERT_NOT_NULL(end);
	sql = strndup(p, (size_t)(end - p));
	free(doc);
	return sql;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long size;

	ASSERT_NOT_NULL(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	buf = malloc((size_t)size + 1);
	ASSERT_NOT_NULL(buf);
	ASSERT_EQ(fread(buf, 1, (size_t)size, f), size);
	fclose(f);
	*len = (size_t)size;
	return buf;
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		TEST_FAIL_("%s: %s", sql, sqlite3_errmsg(db));
	ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
}

/* Opening `path` must fail with -EPROTO, name `needle`, and change nothing. */
static void assert_refused(const char *path, const char *needle)
{
	struct store *st = NULL;
	size_t len0, len1;
	char *before = read_file(path, &len0), *after;
	char err[512] = "";
	int rc;

	rc = store_open(path, STORE_CREATE, &st, err, sizeof(err));
	ASSERT_EQ(rc, -EPROTO);
	ASSERT_NULL(st);
	if (!strstr(err, needle) || !strstr(err, path) || strncmp(err, "Cannot open", 11) != 0)
		TEST_FAIL_("unexpected error message: %s", err);
	fprintf(stderr, "# refused as expected: %s\n", err);
	after = read_file(path, &len1);
	ASSERT_EQ(len0, len1);
	ASSERT(memcmp(before, after, len0) == 0);
	free(before);
	free(after);
}

/* ---- tests ------------------------------------------------------------ */

TEST_IMPL(create_reopen)
{
	struct store *st;
	int64_t tables;

	fixture();
	st = open_store(STORE_CREATE);
	ASSERT_EQ(q_int(st, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ASSERT_EQ(q_int(st, "PRAGMA application_id"), 0x77656674);
	ASSERT_EQ(q_int(st, "SELECT value FROM meta WHERE key = 'schema_version'"), 2);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM meta WHERE key = 'created_by' "
			    "AND value LIKE 'weft %%'"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM enums WHERE domain = 'task_kind'"),
		  WEFT_TASK_KIND_COUNT);
	tables = q_int(st, "SELECT count(*) FROM sqlite_master");
	ASSERT_GT(tables, 20);
	store_close(st);

	/* Reopen twice (with and without CREATE): migrations do not run again. */
	st = open_store(STORE_CREATE);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM sqlite_master"), tables);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM meta"), 4);
	store_close(st);
	st = open_store(0);
	ASSERT_EQ(q_int(st, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ASSERT_STR_EQ(sqlite3_db_filename(store_db(st), "main"), db_path);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"),
		  1);
	store_close(st);

	/* Read-only: reads work, writes are refused with a message. */
	st = open_store(STORE_READONLY);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM tasks"), 0);
	ASSERT_EQ(store_chunk_begin(st, 1, "c"), -EACCES);
	ASSERT(strstr(store_errmsg(st), "read-only") != NULL);
	store_close(st);
	cleanup();
	return 0;
}

TEST_IMPL(open_missing)
{
	struct store *st = NULL;
	char err[512];

	fixture();
	ASSERT_EQ(store_open(db_path, 0, &st, err, sizeof(err)), -ENOENT);
	ASSERT_NULL(st);
	ASSERT(strstr(err, "Cannot open trace store") && strstr(err, db_path));
	ASSERT_EQ(access(db_path, F_OK), -1);
	ASSERT_EQ(store_open(db_path, STORE_CREATE | STORE_READONLY, &st, err, sizeof(err)),
		  -EINVAL);
	cleanup();
	return 0;
}

TEST_IMPL(refuse_foreign_sqlite)
{
	fixture();
	raw_exec(db_path, "CREATE TABLE mine(a, b); INSERT INTO mine VALUES (1, 2);");
	assert_refused(db_path, "not a weft trace store: application_id=0x00000000");
	/* Another application's id is named in the message too. */
	raw_exec(db_path, "PRAGMA application_id = 1234");
	assert_refused(db_path, "application_id=0x000004d2");
	cleanup();
	return 0;
}

TEST_IMPL(refuse_not_sqlite)
{
	static const char junk[] = "this is a text file, not a database\n"
				   "it is long enough to look like a header or two.......\n"
				   "......................................................\n";
	FILE *f;

	fixture();
	f = fopen(db_path, "w");
	ASSERT_NOT_NULL(f);
	fputs(junk, f);
	fclose(f);
	assert_refused(db_path, "not a weft trace store: not an SQLite database");
	cleanup();
	return 0;
}

TEST_IMPL(refuse_newer_version)
{
	struct store *st;

	fixture();
	st = open_store(STORE_CREATE);
	store_close(st);
	raw_exec(db_path, "PRAGMA user_version = 99");
	assert_refused(db_path, "user_version=99");
	cleanup();
	return 0;
}

/* A tiny chunk: one process, one task, a few strings. */
static void small_chunk(struct store *st, uint64_t task, const char *name, int64_t t0)
{
	EV(st, context_new, t0, 100, 7, 0, 0, WEFT_CTX_POOL, 2, 2, "pool", NULL);
	EV(st, task_new, t0 + 10, 100, task, 0, 0, WEFT_TASK_TASK, 0, 0, name, "x.c:1");
	EV(st, task_schedule, t0 + 20, 100, task, 7, 0, 0, 0, 0, NULL, NULL);
	EV(st, task_start, t0 + 30, 101, task, 7, 0, 0, 0, 0, NULL, NULL);
	EV(st, task_end, t0 + 40, 101, task, 0, 0, WEFT_STATUS_OK, 0, 0, NULL, NULL);
}

TEST_IMPL(chunk_idempotent)
{
	struct store *st;
	int64_t sess;
	char err[256];

	fixture();
	st = open_store(STORE_CREATE);
	check_ok(st, store_session_begin(st, "h", "s", BASE, &sess));
	ASSERT_EQ(store_chunk_has(st, sess, "c1"), 0);
	check_ok(st, store_chunk_begin(st, sess, "c1"));
	ASSERT_EQ(store_chunk_begin(st, sess, "c2"), -EBUSY); /* one at a time */
	small_chunk(st, 1, "first", 1000);
	check_ok(st, store_chunk_commit(st));
	ASSERT_EQ(store_chunk_has(st, sess, "c1"), 1);
	ASSERT_EQ(q_int(st, "SELECT events FROM chunks WHERE chunk = 'c1'"), 5);

	/* Re-ingesting a committed chunk is refused and changes nothing. */
	ASSERT_EQ(store_chunk_begin(st, sess, "c1"), -EEXIST);
	ASSERT(strstr(store_errmsg(st), "chunk=c1") != NULL);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM tasks"), 1);

	/* An aborted chunk leaves nothing: no task, no string, no process, no
	 * chunk row. */
	check_ok(st, store_chunk_begin(st, sess, "c2"));
	small_chunk(st, 2, "second", 2000);
	cur_pid = 200;
	check_ok(st, store_process_mark(st, 200, "other", BASE + 2100));
	EV(st, task_new, 2200, 200, 5, 0, 0, 0, 0, 0, "other-task", NULL);
	cur_pid = 100;
	/* Processes are written at once; tasks when their batch is flushed. */
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM processes"), 2);
	store_chunk_abort(st);
	ASSERT_EQ(store_chunk_has(st, sess, "c2"), 0);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM tasks"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM strings WHERE s IN ('second', 'other-task')"),
		  0);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM processes"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM chunks"), 1);

	/* After the abort the writer's caches must not name rolled-back rows:
	 * ingest c2 for real and check every reference. */
	check_ok(st, store_chunk_begin(st, sess, "c2"));
	small_chunk(st, 2, "second", 2000);
	check_ok(st, store_chunk_commit(st));
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM task_summary WHERE name = 'second' "
			    "AND state = 'ended' AND queue_wait_ns = 10"), 1);
	ASSERT_EQ(store_check(st, err, sizeof(err)), 0);

	/* A failed call poisons the chunk: commit refuses, nothing is kept. */
	check_ok(st, store_chunk_begin(st, sess, "c3"));
	small_chunk(st, 3, "third", 3000);
	{
		struct store_event bad = { 0 };

		bad.kind = WEFT_EVENT_COUNT;
		bad.ts_ns = BASE;
		ASSERT_EQ(store_add_event(st, &bad), -EINVAL);
	}
	ASSERT_EQ(store_chunk_commit(st), -EINVAL);
	ASSERT_EQ(store_chunk_has(st, sess, "c3"), 0);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM tasks"), 2);
	store_close(st);
	cleanup();
	return 0;
}

TEST_IMPL(tasks_across_chunks)
{
	struct store_stats stats;
	struct store *st;
	int64_t sess, sess2;
	char err[256];

	fixture();
	st = open_store(STORE_CREATE);
	check_ok(st, store_session_begin(st, "h", "s", BASE, &sess));

	/* Task 1: created and queued in c1, run in c2 (same writer). Also a
	 * block and a wait that span the boundary. */
	check_ok(st, store_chunk_begin(st, sess, "c1"));
	EV(st, task_new, 100, 100, 1, 0, 0, WEFT_TASK_TASK, 0, 0, "spanning", "s.c:1");
	EV(st, task_schedule, 200, 100, 1, 7, 0, 0, 0, 0, NULL, NULL);
	EV(st, block_begin, 250, 100, 0, 0, 0, 0, 0, 0, "lock", NULL);
	EV(st, wait_begin, 260, 100, 0, 1, 0, WEFT_WAIT_BLOCK, 0, 0, NULL, NULL);
	check_ok(st, store_chunk_commit(st));
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM blocks WHERE end_ns IS NULL"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM waits WHERE end_ns IS NULL"), 1);
	check_ok(st, store_chunk_begin(st, sess, "c2"));
	EV(st, task_start, 700, 101, 1, 7, 0, 0, 0, 0, NULL, NULL);
	EV(st, task_end, 1700, 101, 1, 0, 0, WEFT_STATUS_ERROR, -5, 0, "boom", NULL);
	EV(st, wait_end, 1710, 100, 0, 1, 0, 0, 0, 0, NULL, NULL);
	EV(st, block_end, 1720, 100, 0, 0, 0, 0, 0, 0, NULL, NULL);
	check_ok(st, store_chunk_commit(st));
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM tasks"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM task_summary WHERE task = 1 AND "
			    "created_ns = 100 AND scheduled_ns = 200 AND started_ns = 700 AND "
			    "ended_ns = 1700 AND queue_wait_ns = 500 AND run_ns = 1000 AND "
			    "status = 'error' AND err = -5 AND msg = 'boom' AND starts = 1 AND "
			    "tid = 101"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM blocks WHERE begin_ns = 250 AND "
			    "end_ns = 1720"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM blocks"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM waits WHERE waiter IS NULL AND "
			    "begin_ns = 260 AND end_ns = 1710 AND mode = 0"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM waits"), 1);

	/* Task 2 spans a writer restart: its row must be read back, not
	 * duplicated; so must its open wait. */
	check_ok(st, store_chunk_begin(st, sess, "c3"));
	EV(st, task_new, 2000, 100, 2, 0, 0, WEFT_TASK_DETACHED, 0, 0, "restarted", "s.c:2");
	EV(st, task_schedule, 2100, 100, 2, 7, 0, 0, 0, 0, NULL, NULL);
	EV(st, wait_begin, 2150, 100, 0, 2, 0, WEFT_WAIT_BLOCK, 0, 0, NULL, NULL);
	check_ok(st, store_chunk_commit(st));
	store_close(st);

	st = open_store(0);
	check_ok(st, store_session_begin(st, "h", "s", 0, &sess2));
	ASSERT_EQ(sess2, sess);
	check_ok(st, store_chunk_begin(st, sess, "c4"));
	EV(st, task_start, 2600, 102, 2, 7, 0, 0, 0, 0, NULL, NULL);
	EV(st, task_end, 2900, 102, 2, 0, 0, WEFT_STATUS_ERROR, -7, 0, "late", NULL);
	EV(st, wait_end, 2950, 100, 0, 2, 0, 1, 0, 0, NULL, NULL);
	EV(st, error_observe, 3000, 100, 2, 0, 0, 0, 0, 0, NULL, NULL);
	check_ok(st, store_chunk_commit(st));
	store_get_stats(st, &stats);
	ASSERT_EQ(stats.tasks_loaded, 1);
	ASSERT_EQ(stats.events, 4);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM tasks"), 2);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM task_summary WHERE task = 2 AND "
			    "kind = 'detached' AND queue_wait_ns = 500 AND run_ns = 300 AND "
			    "total_ns = 900 AND observed = 1 AND unobserved = 0"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM waits WHERE begin_ns = 2150 AND "
			    "end_ns = 2950 AND timed_out = 1"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM waits"), 2);
	ASSERT_EQ(store_check(st, err, sizeof(err)), 0);
	store_close(st);
	cleanup();
	return 0;
}

TEST_IMPL(pid_reuse)
{
	struct store *st;
	int64_t sess;

	fixture();
	st = open_store(STORE_CREATE);
	check_ok(st, store_session_begin(st, "h", "s", BASE, &sess));
	check_ok(st, store_chunk_begin(st, sess, "c1"));
	/* pid 100 runs "first", exits; a new "second" gets pid 100 again (or
	 * "first" execs "second"): two process rows, and task id 1 of each is a
	 * different task. */
	cur_main = "first";
	check_ok(st, store_process_mark(st, 100, "first", BASE + 10));
	EV(st, task_new, 20, 100, 1, 0, 0, 0, 0, 0, "of-first", NULL);
	cur_main = "second";
	check_ok(st, store_process_mark(st, 100, "second", BASE + 1000));
	EV(st, task_new, 1020, 100, 1, 0, 0, 0, 0, 0, "of-second", NULL);
	EV(st, task_end, 1030, 100, 1, 0, 0, 0, 0, 0, NULL, NULL);

	/* pid 300: events arrive before its statedump (they race at session
	 * start): the statedump adopts the implicit row. */
	cur_pid = 300;
	cur_main = "prog";
	EV(st, task_new, 1100, 300, 1, 0, 0, 0, 0, 0, "early", NULL);
	check_ok(st, store_process_mark(st, 300, "prog", BASE + 1200));
	EV(st, task_end, 1300, 300, 1, 0, 0, 0, 0, 0, NULL, NULL);
	/* A second statedump of an announced pid is a new instance. */
	check_ok(st, store_process_mark(st, 300, "prog", BASE + 5000));
	EV(st, task_new, 5100, 300, 1, 0, 0, 0, 0, 0, "reborn", NULL);
	/* pid 400: the statedump names it from LTTng-UST's listener thread, cut
	 * at 11 bytes; the main thread's events carry the full 15-byte name. */
	cur_pid = 400;
	cur_main = "sync-over-async";
	check_ok(st, store_process_mark(st, 400, "sync-over-a", BASE + 6000));
	EV(st, task_new, 6100, 401, 9, 0, 0, 0, 0, 0, "on-worker", NULL);
	EV(st, task_new, 6200, 400, 10, 0, 0, 0, 0, 0, "on-main", NULL);
	cur_pid = 100;
	cur_main = "app";
	check_ok(st, store_chunk_commit(st));

	ASSERT_EQ(q_int(st, "SELECT count(*) FROM processes WHERE pid = 400 AND "
			    "name = 'sync-over-async'"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM processes WHERE pid = 100"), 2);
	ASSERT_EQ(q_int(st, "SELECT count(DISTINCT process) FROM tasks t JOIN processes p "
			    "ON p.id = t.process WHERE p.pid = 100 AND t.task = 1"), 2);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM task_summary s JOIN processes p ON "
			    "p.id = s.process WHERE p.name = 'first' AND s.name = 'of-first' "
			    "AND s.state = 'created'"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM task_summary s JOIN processes p ON "
			    "p.id = s.process WHERE p.name = 'second' AND s.name = 'of-second' "
			    "AND s.state = 'ended'"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM processes WHERE pid = 300"), 2);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM processes WHERE pid = 300 AND "
			    "name = 'prog' AND marked = 1 AND start_ns = 1100"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM task_summary WHERE name = 'early' AND "
			    "state = 'ended' AND total_ns = 200"), 1);
	/* Threads belong to their process instance. */
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM threads WHERE tid = 100"), 2);
	store_close(st);
	cleanup();
	return 0;
}

/* A store written by weft 0.1 (schema v1: `weft record -- examples/healthy`,
 * kept as the sqlite3 .dump in tests/data) opens, migrates to the current
 * version in place, keeps every row, and gains v2's facts derived from v1's:
 * each linked token's parent is in token_parents. */
TEST_IMPL(migrate_v1_store)
{
	FILE *f = fopen(WEFT_SOURCE_DIR "/tests/data/v1-store-healthy.sql", "r");
	char *sql, err[512];
	struct store *st;
	sqlite3 *db;
	long n;

	ASSERT_NOT_NULL(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	sql = malloc((size_t)n + 1);
	ASSERT_NOT_NULL(sql);
	ASSERT_EQ(fread(sql, 1, (size_t)n, f), (size_t)n);
	sql[n] = '\0';
	fclose(f);
	fixture();
	ASSERT_EQ(sqlite3_open(db_path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		TEST_FAIL_("load the v1 dump: %s", sqlite3_errmsg(db));
	/* .dump keeps neither pragma: set them as weft 0.1 did. */
	ASSERT_EQ(sqlite3_exec(db, "PRAGMA application_id = 2003134068; PRAGMA user_version = 1",
			       NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	free(sql);

	st = open_store(0);
	ASSERT_EQ(q_int(st, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ASSERT_EQ(q_int(st, "SELECT value FROM meta WHERE key = 'schema_version'"),
		  STORE_SCHEMA_VERSION);
	if (store_check(st, err, sizeof(err)) != 0)
		TEST_FAIL_("integrity after migration: %s", err);
	/* What healthy recorded (its summary said 15 tasks, 3 failed). */
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM tasks WHERE created_ns IS NOT NULL"), 15);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM task_summary WHERE status = 'error'"), 3);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM tokens WHERE parent IS NOT NULL"), 3);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM token_parents tp JOIN tokens t "
			    "ON t.id = tp.token AND t.parent = tp.parent WHERE tp.ord = 0"), 3);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM tokens WHERE name IS NOT NULL"), 0);
	store_close(st);
	return 0;
}

/* Schema v2: a token's name, and every parent of a linked token, so that a
 * cancellation arriving through the second parent can be followed. */
TEST_IMPL(token_names_and_parents)
{
	struct store *st;
	int64_t sess;

	fixture();
	st = open_store(STORE_CREATE);
	check_ok(st, store_session_begin(st, "h", "s", BASE, &sess));
	check_ok(st, store_chunk_begin(st, sess, "c1"));
	check_ok(st, store_process_mark(st, 100, "app", BASE + 10));
	EV(st, token_new, 20, 100, 1, 0, 0, 0, 0, 0, "request", NULL);
	EV(st, token_new, 30, 100, 2, 0, 0, 0, 0, 0, "shutdown", NULL);
	EV(st, token_new, 40, 100, 3, 1, 0, 0, 0, 0, NULL, NULL);
	EV(st, token_link, 41, 100, 3, 2, 0, 0, 0, 0, NULL, NULL);
	EV(st, token_link, 42, 100, 3, 2, 0, 0, 0, 0, NULL, NULL); /* again: once */
	EV(st, cancel_request, 50, 100, 2, 0, 0, 0, 0, 0, "stop", NULL);
	check_ok(st, store_chunk_commit(st));

	ASSERT_EQ(q_int(st, "SELECT count(*) FROM tokens WHERE name = 'request' AND token = 1"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM tokens WHERE name IS NULL AND token = 3"), 1);
	/* Both parents of 3, in link order; the first is also tokens.parent. */
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM token_parents tp JOIN tokens t ON t.id = tp.token "
			    "WHERE t.token = 3"), 2);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM token_parents tp JOIN tokens t ON t.id = tp.token "
			    "JOIN tokens p ON p.id = tp.parent WHERE t.token = 3 AND "
			    "((tp.ord = 0 AND p.token = 1) OR (tp.ord = 1 AND p.token = 2))"),
		  2);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM tokens t JOIN tokens p ON p.id = t.parent "
			    "WHERE t.token = 3 AND p.token = 1"), 1);
	/* The cancellation of 3's second parent, reached through the edge. */
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM token_parents tp JOIN tokens t ON t.id = tp.token "
			    "JOIN cancellations c ON c.token = tp.parent WHERE t.token = 3"), 1);
	store_close(st);
	return 0;
}

TEST_IMPL(untrusted_strings)
{
	static const char nasty[] = "ctl\x01\x1b[31m|bad\xff\xfe\xc3(|tab\t";
	char longs[301];
	sqlite3_stmt *s = NULL;
	struct store *st;
	int64_t sess;

	fixture();
	memset(longs, 'L', 300);
	longs[300] = '\0';
	st = open_store(STORE_CREATE);
	check_ok(st, store_session_begin(st, "h", "s", BASE, &sess));
	check_ok(st, store_chunk_begin(st, sess, "c1"));
	EV(st, task_new, 10, 100, 1, 0, 0, 0, 0, 0, nasty, longs);
	EV(st, annotate, 20, 100, 1, 0, 0, 0, 0, 0, "k'; DROP TABLE tasks; --", nasty);
	check_ok(st, store_chunk_commit(st));

	/* Byte-exact, invalid UTF-8 and control bytes included. */
	ASSERT_EQ(sqlite3_prepare_v2(store_db(st),
				     "SELECT n.s, si.s FROM tasks t JOIN strings n ON n.id = t.name "
				     "JOIN strings si ON si.id = t.site", -1, &s, NULL), SQLITE_OK);
	ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
	ASSERT_EQ(sqlite3_column_bytes(s, 0), (int)strlen(nasty));
	ASSERT(memcmp(sqlite3_column_blob(s, 0), nasty, strlen(nasty)) == 0);
	ASSERT_EQ(sqlite3_column_bytes(s, 1), 256); /* bounded like the tracer */
	sqlite3_finalize(s);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM annotations a JOIN strings k ON "
			    "k.id = a.key WHERE k.s LIKE 'k''; DROP%%'"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM tasks"), 1);
	store_close(st);
	cleanup();
	return 0;
}

/* The scenario behind the documented queries: a loop context "ui" and a pool
 * "pool" of two workers in process 100.  Relative times in ns.
 *
 *   task  name    parent kind          ctx   sched start end   thread status
 *   10    root    -      task          ui    1100  1200  9000  100    ok
 *   11    fetch   10     task (tok 50) pool  1400  2400  5400  101    error -5, observed
 *   12    render  10     continuation  ui    5460  6260  6760  100    ok
 *   13    bg      10     detached      pool  1700  1750  3750  102    error -22, unobserved
 *
 * 12 is a continuation of 11 (marshalled pool -> ui); 10 awaits 11
 * (async); 11 blocks on 13 (thread 101, 2600..3760); thread 102 blocks in
 * "read" 1800..2800. */
static void build_scenario(struct store *st, int64_t sess)
{
	struct store_loss loss = { STORE_LOSS_EVENTS, "ust/uid/0/64-bit/ch_0", BASE + 2000,
				   BASE + 3000, 7 };

	check_ok(st, store_chunk_begin(st, sess, "chunk-1"));
	check_ok(st, store_process_mark(st, 100, "app", BASE + 800));
	EV(st, worker_state, 900, 101, 1, 0, 0, WEFT_WORKER_START, 0, 0, NULL, NULL);
	EV(st, worker_state, 900, 102, 1, 0, 0, WEFT_WORKER_START, 0, 0, NULL, NULL);
	EV(st, context_new, 950, 100, 1, 0, 0, WEFT_CTX_POOL, 2, 2, "pool", NULL);
	EV(st, context_new, 960, 100, 2, 0, 0, WEFT_CTX_LOOP, 1, 2, "ui", NULL);
	EV(st, task_new, 1000, 100, 10, 0, 0, WEFT_TASK_TASK, 0, 0, "root", "a.c:1");
	EV(st, task_schedule, 1100, 100, 10, 2, 0, 0, 0, 0, NULL, NULL);
	EV(st, task_start, 1200, 100, 10, 2, 0, 0, 0, 0, NULL, NULL);
	EV(st, token_new, 1250, 100, 50, 0, 0, 0, 0, 0, NULL, NULL);
	EV(st, task_new, 1300, 100, 11, 10, 50, WEFT_TASK_TASK, 0, 0, "fetch", "a.c:2");
	EV(st, wait_begin, 1320, 100, 10, 11, 0, WEFT_WAIT_ASYNC, 0, 0, NULL, NULL);
	EV(st, task_schedule, 1400, 100, 11, 1, 0, 0, 0, 0, NULL, NULL);
	EV(st, pool_sample, 1400, 100, 1, 0, 0, 1, 0, 2, NULL, NULL);
	EV(st, task_new, 1500, 100, 12, 10, 0, WEFT_TASK_CONTINUATION, 0, 0, "render", "a.c:3");
	EV(st, continuation_add, 1510, 100, 11, 12, 2, 0, 0, 0, NULL, NULL);
	EV(st, task_new, 1600, 100, 13, 10, 0, WEFT_TASK_DETACHED, 0, 0, "bg", "a.c:4");
	EV(st, task_schedule, 1700, 100, 13, 1, 0, 0, 0, 0, NULL, NULL);
	EV(st, pool_sample, 1700, 100, 1, 0, 0, 2, 0, 2, NULL, NULL);
	EV(st, task_start, 1750, 102, 13, 1, 0, 0, 0, 0, NULL, NULL);
	EV(st, pool_sample, 1750, 102, 1, 0, 0, 1, 1, 2, NULL, NULL);
	EV(st, worker_state, 1750, 102, 1, 0, 0, WEFT_WORKER_BUSY, 0, 0, NULL, NULL);
	EV(st, block_begin, 1800, 102, 0, 0, 0, 0, 0, 0, "read", NULL);
	check_ok(st, store_add_loss(st, &loss));
	check_ok(st, store_chunk_commit(st));

	/* The rest in a second chunk: tasks 10, 11, 13 and the block span it. */
	check_ok(st, store_chunk_begin(st, sess, "chunk-2"));
	EV(st, task_start, 2400, 101, 11, 1, 0, 0, 0, 0, NULL, NULL);
	EV(st, pool_sample, 2400, 101, 1, 0, 0, 0, 2, 2, NULL, NULL);
	EV(st, worker_state, 2400, 101, 1, 0, 0, WEFT_WORKER_BUSY, 0, 0, NULL, NULL);
	EV(st, annotate, 2500, 101, 11, 0, 0, 0, 0, 0, "url", "http://x");
	EV(st, wait_begin, 2600, 101, 11, 13, 0, WEFT_WAIT_BLOCK, 0, 0, NULL, NULL);
	EV(st, block_end, 2800, 102, 0, 0, 0, 0, 0, 0, NULL, NULL);
	EV(st, task_end, 3750, 102, 13, 0, 0, WEFT_STATUS_ERROR, -22, 0, "bad", NULL);
	EV(st, pool_sample, 3750, 102, 1, 0, 0, 0, 1, 2, NULL, NULL);
	EV(st, worker_state, 3750, 102, 1, 0, 0, WEFT_WORKER_IDLE, 0, 0, NULL, NULL);
	EV(st, wait_end, 3760, 101, 11, 13, 0, 0, 0, 0, NULL, NULL);
	EV(st, error_unobserved, 4000, 102, 13, 0, 0, -22, 0, 0, "bad", NULL);
	EV(st, task_end, 5400, 101, 11, 0, 0, WEFT_STATUS_ERROR, -5, 0, "io failed", NULL);
	EV(st, pool_sample, 5400, 101, 1, 0, 0, 0, 0, 2, NULL, NULL);
	EV(st, wait_end, 5400, 101, 10, 11, 0, 0, 0, 0, NULL, NULL);
	EV(st, marshal, 5450, 101, 12, 1, 2, 0, 0, 0, NULL, NULL);
	EV(st, task_schedule, 5460, 101, 12, 2, 0, 0, 0, 0, NULL, NULL);
	EV(st, error_observe, 5500, 100, 11, 0, 0, 0, 0, 0, NULL, NULL);
	EV(st, task_start, 6260, 100, 12, 2, 0, 0, 0, 0, NULL, NULL);
	EV(st, task_end, 6760, 100, 12, 0, 0, WEFT_STATUS_OK, 0, 0, NULL, NULL);
	EV(st, cancel_request, 7000, 100, 50, 0, 0, 0, 0, 0, "user", NULL);
	EV(st, cancel_observe, 7100, 100, 50, 12, 0, 0, 0, 0, NULL, NULL);
	EV(st, task_end, 9000, 100, 10, 0, 0, WEFT_STATUS_OK, 0, 0, NULL, NULL);
	loss.kind = STORE_LOSS_PACKETS;
	loss.stream = "ust/uid/0/64-bit/ch_1";
	loss.count = 2;
	check_ok(st, store_add_loss(st, &loss));
	check_ok(st, store_chunk_commit(st));
	check_ok(st, store_session_end(st, sess, BASE + 10000, 7, 2));
}

static int64_t task_row(struct store *st, int64_t task)
{
	return q_int(st, "SELECT id FROM tasks WHERE task = %lld", (long long)task);
}

static int64_t thread_row(struct store *st, int32_t tid)
{
	return q_int(st, "SELECT id FROM threads WHERE tid = %d", tid);
}

TEST_IMPL(doc_queries)
{
	struct store *st;
	int64_t sess;
	char *sql;

	fixture();
	st = open_store(STORE_CREATE);
	check_ok(st, store_session_begin(st, "h1", "s1", BASE, &sess));
	build_scenario(st, sess);

	/* total = end - created: 10: 9000-1000, 12: 6760-1500, 11: 5400-1300,
	 * 13: 3750-1600. */
	sql = doc_query("slowest-tasks");
	ASSERT_QUERY(run_query(st, sql, "name,status,total_ns,queue_wait_ns,run_ns", NULL),
		     "root|ok|8000|100|7800\n"
		     "render|ok|5260|800|500\n"
		     "fetch|error|4100|1000|3000\n"
		     "bg|error|2150|50|2000\n");
	free(sql);

	/* pool: waits {1000, 50} -> rank ceil(1.9) = 2 -> 1000;
	 * ui: waits {100, 800} -> 800. */
	sql = doc_query("queue-wait-p95");
	ASSERT_QUERY(run_query(st, sql, "ctx_name,kind,tasks,queue_wait_p95_ns", NULL),
		     "pool|pool|2|1000\n"
		     "ui|loop|2|800\n");
	free(sql);

	/* Above 12: its parent 10, its antecedent 11 (continuation, and the
	 * marshal hop); above 11: its parent 10 and its awaiter 10. */
	sql = doc_query("task-chain");
	ASSERT_QUERY(run_query(st, sql, "depth,via,of_task,task,name,ctx_name,tid,"
				       "queue_wait_ns,run_ns",
			       ":task", task_row(st, 12), NULL),
		     "0|self||12|render|ui|100|800|500\n"
		     "1|parent|12|10|root|ui|100|100|7800\n"
		     "1|continuation|12|11|fetch|pool|101|1000|3000\n"
		     "1|marshal|12|11|fetch|pool|101|1000|3000\n"
		     "2|awaits|11|10|root|ui|100|100|7800\n"
		     "2|parent|11|10|root|ui|100|100|7800\n");
	/* Above 13: parent 10, awaited by 11 (blocking), whose stack follows. */
	ASSERT_QUERY(run_query(st, sql, "depth,via,of_task,task", ":task", task_row(st, 13),
			       NULL),
		     "0|self||13\n"
		     "1|parent|13|10\n"
		     "1|awaits|13|11\n"
		     "2|awaits|11|10\n"
		     "2|parent|11|10\n");
	free(sql);

	/* task_causes: 12, 11 and 13 were all created by 10 (parent first,
	 * although 12 is also a continuation of 11 and 11, 13 are awaited). */
	sql = doc_query("chain-up");
	ASSERT_QUERY(run_query(st, sql, "hop,relation,task,name,ctx_name,tid,queue_wait_ns,"
				       "run_ns,status", ":task", task_row(st, 12), NULL),
		     "0|root|10|root|ui|100|100|7800|ok\n"
		     "1|created by|12|render|ui|100|800|500|ok\n");
	ASSERT_QUERY(run_query(st, sql, "hop,relation,task", ":task", task_row(st, 10), NULL),
		     "0|root|10\n");
	free(sql);

	/* Below 10: its children 11, 12, 13 and its await of 11; below 11
	 * (depth 2) its continuation 12 and its await of 13. */
	sql = doc_query("caused");
	ASSERT_QUERY(run_query(st, sql, "depth,via,task,name", ":task", task_row(st, 10), NULL),
		     "0|self|10|root\n"
		     "1|awaits|11|fetch\n"
		     "1|parent|11|fetch\n"
		     "1|parent|12|render\n"
		     "1|parent|13|bg\n"
		     "2|continuation|12|render\n"
		     "2|awaits|13|bg\n");
	free(sql);

	/* 11 failed but was observed at 5500; 13 failed and was released
	 * unobserved. */
	sql = doc_query("failed-unobserved");
	ASSERT_QUERY(run_query(st, sql, "pid,name,site,err,msg,unobserved,ended_ns", NULL),
		     "100|bg|a.c:4|-22|bad|1|3750\n");
	free(sql);

	sql = doc_query("thread-timeline");
	ASSERT_QUERY(run_query(st, sql, "begin_ns,end_ns,what,detail", ":thread",
			       thread_row(st, 102), ":from_ns", (int64_t)0, ":to_ns",
			       (int64_t)10000, NULL),
		     "1750|3750|task|bg\n"
		     "1800|2800|block|read\n");
	ASSERT_QUERY(run_query(st, sql, "begin_ns,end_ns,what,detail", ":thread",
			       thread_row(st, 101), ":from_ns", (int64_t)2000, ":to_ns",
			       (int64_t)3000, NULL),
		     "2400|5400|task|fetch\n"
		     "2600|3760|wait|bg\n");
	free(sql);

	sql = doc_query("loss-per-session");
	ASSERT_QUERY(run_query(st, sql, "host,session,kind,records,lost,discarded_events,"
				       "lost_packets", NULL),
		     "h1|s1|events|1|7|7|2\n"
		     "h1|s1|packets|1|2|7|2\n");
	free(sql);

	sql = doc_query("pool-over-time");
	ASSERT_QUERY(run_query(st, sql, "ts_ns,queued,busy,workers", ":ctx",
			       q_int(st, "SELECT id FROM contexts WHERE name = 'pool'"),
			       ":from_ns", (int64_t)1400, ":to_ns", (int64_t)2400, NULL),
		     "1400|1|0|2\n"
		     "1700|2|0|2\n"
		     "1750|1|1|2\n"
		     "2400|0|2|2\n");
	free(sql);

	/* The views users will reach for, against the same input. */
	ASSERT_QUERY(run_query(st, "SELECT kind, count(*) AS n FROM edges GROUP BY kind "
				   "ORDER BY kind", "kind,n", NULL),
		     "awaits|2\ncontinuation|1\nmarshal|1\nparent|3\n");
	ASSERT_QUERY(run_query(st, "SELECT kind, count(*) AS n FROM events WHERE kind IN "
				   "('task_start', 'pool_sample', 'worker_state', 'wait_end', "
				   "'cancel_request', 'annotate', 'error_unobserved') "
				   "GROUP BY kind ORDER BY kind", "kind,n", NULL),
		     "annotate|1\ncancel_request|1\nerror_unobserved|1\npool_sample|6\n"
		     "task_start|4\nwait_end|2\nworker_state|5\n");
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM threads WHERE ctx = (SELECT id FROM "
			    "contexts WHERE name = 'pool')"), 2);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM task_summary WHERE task = 11 AND "
			    "token = 50 AND parent_task = 10"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM cancel_observations co JOIN tasks t ON "
			    "t.id = co.task WHERE t.task = 12"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM findings"), 0);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM finding_summary"), 0);
	ASSERT_EQ(q_int(st, "SELECT end_ns FROM sessions"), 10000);

	/* The detectors find 13 (failed, unobserved); its finding keeps its
	 * blame: created 1600 by 10 (which was running on the ui thread until
	 * it queued 13 at 1700), queued on pool 1700..1750, run 1750..3750 on
	 * thread 102, of which 1800..2800 blocked in "read". */
	{
		struct detect_opts o = { .final = true };
		char err[512];

		if (detect_run(st, &o, NULL, err, sizeof(err)) != 0)
			TEST_FAIL_("detect_run: %s", err);
	}
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM findings WHERE task = %lld",
			(long long)task_row(st, 13)), q_int(st, "SELECT count(*) FROM findings"));
	sql = doc_query("finding-blame");
	ASSERT_QUERY(run_query(st, sql, "ord,category,ns,pct,ctx_name,from_ctx_name,tid,task,"
				       "task_name,reason", ":finding",
			       q_int(st, "SELECT min(id) FROM findings"), NULL),
		     "0|running|1000|46.5|pool||102|13|bg|\n"
		     "1|blocked|1000|46.5|||102|13|bg|read\n"
		     "2|running|100|4.7|ui||100|10|root|\n"
		     "3|queued|50|2.3|pool|||13|bg|\n");
	free(sql);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM finding_chain WHERE finding = "
			    "(SELECT min(id) FROM findings)"), 2);
	ASSERT_EQ(q_int(st, "SELECT t.task FROM finding_chain fc JOIN tasks t ON t.id = fc.task "
			    "WHERE finding = (SELECT min(id) FROM findings) AND depth = 0"), 10);
	store_close(st);
	cleanup();
	return 0;
}

TEST_IMPL(integrity)
{
	struct store *st;
	int64_t sess, root;
	char err[256] = "";

	fixture();
	st = open_store(STORE_CREATE);
	check_ok(st, store_session_begin(st, "h1", "s1", 0, &sess));
	build_scenario(st, sess);
	/* A task whose parent and token were never created: placeholders. */
	check_ok(st, store_chunk_begin(st, sess, "chunk-3"));
	EV(st, task_new, 20000, 100, 77, 999, 888, 0, 0, 0, "orphan", NULL);
	EV(st, task_schedule, 20100, 100, 77, 555, 0, 0, 0, 0, NULL, NULL);
	/* Continuation 81 of 80 is registered before either task_new (a
	 * placeholder row each); 81's task_new in the next chunk, after a
	 * writer restart, fills the same row. */
	EV(st, continuation_add, 20200, 100, 80, 81, 0, 0, 0, 0, NULL, NULL);
	check_ok(st, store_chunk_commit(st));
	store_close(st); /* a restarted writer knows 81 only from the table */
	st = open_store(0);
	check_ok(st, store_chunk_begin(st, sess, "chunk-4"));
	EV(st, task_new, 20300, 100, 81, 0, 0, WEFT_TASK_CONTINUATION, 0, 0, "late-new", NULL);
	check_ok(st, store_chunk_commit(st));
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM task_summary WHERE task = 81 AND "
			    "name = 'late-new' AND created_ns = 20300"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM edges e JOIN tasks a ON a.id = e.src "
			    "JOIN tasks b ON b.id = e.dst WHERE e.kind = 'continuation' AND "
			    "a.task = 80 AND b.task = 81"), 1);
	if (store_check(st, err, sizeof(err)) != 0)
		TEST_FAIL_("store_check: %s", err);
	root = q_int(st, "SELECT rootpage FROM sqlite_master WHERE name = 'tasks_task'");
	ASSERT_GT(root, 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM task_summary WHERE task = 999 AND "
			    "state = 'unknown'"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM tokens WHERE token = 888 AND "
			    "created_ns IS NULL"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM contexts WHERE ctx = 555 AND kind IS NULL"),
		  1);
	store_close(st);

	/* Corrupt the cells of an index page: the check must say so. */
	{
		int fd = open(db_path, O_WRONLY);
		char junk[1024];

		memset(junk, 0x5a, sizeof(junk));
		ASSERT_GE(fd, 0);
		ASSERT_EQ(pwrite(fd, junk, sizeof(junk), (root - 1) * 8192 + 8192 - 1024),
			  (int64_t)sizeof(junk));
		close(fd);
	}
	{
		struct store *bad = NULL;
		char e2[512] = "";

		if (store_open(db_path, STORE_READONLY, &bad, e2, sizeof(e2)) == 0) {
			ASSERT_LT(store_check(bad, err, sizeof(err)), 0);
			fprintf(stderr, "# corruption found: %s\n", err);
			ASSERT(strncmp(err, "Cannot check trace store", 24) == 0);
			store_close(bad);
		} else {
			fprintf(stderr, "# corruption refused at open: %s\n", e2);
		}
	}
	cleanup();
	return 0;
}

/* One chunk with more tasks than the writer keeps in memory (65536): tasks
 * are written mid-chunk and evicted; a task that outlives the batch and one
 * touched again after its eviction must still be one complete row each. */
TEST_IMPL(big_chunk)
{
	const uint64_t n = 70000;
	struct store_stats stats;
	struct store *st;
	int64_t sess, ts = 100;
	char err[256];
	uint64_t id;

	fixture();
	st = open_store(STORE_CREATE);
	check_ok(st, store_session_begin(st, "h", "s", BASE, &sess));
	check_ok(st, store_chunk_begin(st, sess, "big"));
	EV(st, task_new, ts, 100, 1, 0, 0, 0, 0, 0, "long", NULL);
	EV(st, task_start, ts += 10, 100, 1, 0, 0, 0, 0, 0, NULL, NULL);
	EV(st, task_new, ts += 10, 100, 2, 1, 0, 0, 0, 0, "fails", NULL);
	EV(st, task_end, ts += 10, 100, 2, 0, 0, WEFT_STATUS_ERROR, -1, 0, "x", NULL);
	for (id = 3; id < n; id++) {
		EV(st, task_new, ts += 10, 100, id, 1, 0, 0, 0, 0, "short", NULL);
		EV(st, task_schedule, ts += 10, 100, id, 7, 0, 0, 0, 0, NULL, NULL);
		EV(st, task_start, ts += 10, 101, id, 7, 0, 0, 0, 0, NULL, NULL);
		EV(st, task_end, ts += 10, 101, id, 0, 0, 0, 0, 0, NULL, NULL);
	}
	EV(st, error_observe, ts += 10, 100, 2, 0, 0, 0, 0, 0, NULL, NULL);
	EV(st, task_end, ts += 10, 100, 1, 0, 0, 0, 0, 0, NULL, NULL);
	check_ok(st, store_chunk_commit(st));
	store_get_stats(st, &stats);
	ASSERT_GE(stats.tasks_loaded, 1); /* task 2, evicted after it ended */
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM tasks"), n - 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM tasks WHERE parent = (SELECT id FROM "
			    "tasks WHERE task = 1)"), n - 2);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM task_summary WHERE task = 1 AND "
			    "created_ns = 100 AND started_ns = 110 AND ended_ns = %lld",
			    (long long)ts), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM task_summary WHERE task = 2 AND "
			    "status = 'error' AND observed = 1"), 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM tasks WHERE task > 2 AND (ended_ns IS NULL "
			    "OR started_ns - scheduled_ns != 10)"), 0);
	ASSERT_EQ(store_check(st, err, sizeof(err)), 0);
	store_close(st);
	cleanup();
	return 0;
}

/* Thread bindings (worker_state start .. stop) are intervals: a thread that
 * ran loop A once is not A's thread forever.  Times are relative to BASE.
 *
 *   tid 100 (main)  A [1000, 2000)  nothing  B [5000, 8000) with A nested
 *                   [5500, 5600) (a loop run from B's callback); B is still
 *                   open at the first commit, closed in the next chunk
 *   tid 101         stop of pool P at 300 with no start: [NULL, 300)
 *   tid 102         P [100, 9000), a duplicate start at 150, closed after
 *                   the writer was closed and reopened
 */
TEST_IMPL(thread_bindings)
{
	char *sql = doc_query("context-at"), err[256];
	struct store *st;
	int64_t sess, main_row;

	fixture();
	st = open_store(STORE_CREATE);
	check_ok(st, store_session_begin(st, "h", "s", BASE, &sess));
	check_ok(st, store_chunk_begin(st, sess, "c1"));
	EV(st, context_new, 10, 100, 7, 0, 0, WEFT_CTX_LOOP, 1, 2, "A", NULL);
	EV(st, context_new, 20, 100, 8, 0, 0, WEFT_CTX_LOOP, 1, 2, "B", NULL);
	EV(st, context_new, 30, 100, 9, 0, 0, WEFT_CTX_POOL, 2, 2, "P", NULL);
	EV(st, worker_state, 100, 102, 9, 0, 0, WEFT_WORKER_START, 0, 0, NULL, NULL);
	EV(st, worker_state, 150, 102, 9, 0, 0, WEFT_WORKER_START, 0, 0, NULL, NULL);
	EV(st, worker_state, 300, 101, 9, 0, 0, WEFT_WORKER_STOP, 0, 0, NULL, NULL);
	EV(st, worker_state, 1000, 100, 7, 0, 0, WEFT_WORKER_START, 0, 0, NULL, NULL);
	EV(st, worker_state, 1100, 100, 7, 0, 0, WEFT_WORKER_BUSY, 0, 0, NULL, NULL);
	EV(st, worker_state, 2000, 100, 7, 0, 0, WEFT_WORKER_STOP, 0, 0, NULL, NULL);
	EV(st, worker_state, 5000, 100, 8, 0, 0, WEFT_WORKER_START, 0, 0, NULL, NULL);
	EV(st, worker_state, 5500, 100, 7, 0, 0, WEFT_WORKER_START, 0, 0, NULL, NULL);
	EV(st, worker_state, 5600, 100, 7, 0, 0, WEFT_WORKER_STOP, 0, 0, NULL, NULL);
	check_ok(st, store_chunk_commit(st));
	/* B and P are open: in the table with end NULL. */
	ASSERT_QUERY(run_query(st, "SELECT tid, ctx_name, begin_ns, end_ns FROM "
			       "thread_binding_summary ORDER BY tid, coalesce(begin_ns, -1)",
			       "tid,ctx_name,begin_ns,end_ns", NULL),
		     "100|A|1000|2000\n100|B|5000|\n100|A|5500|5600\n101|P||300\n102|P|100|\n");
	check_ok(st, store_chunk_begin(st, sess, "c2"));
	EV(st, worker_state, 8000, 100, 8, 0, 0, WEFT_WORKER_STOP, 0, 0, NULL, NULL);
	check_ok(st, store_chunk_commit(st));
	store_close(st);
	/* A new writer (weftd restarted): the open binding is found again. */
	st = open_store(0);
	check_ok(st, store_chunk_begin(st, sess, "c3"));
	EV(st, worker_state, 9000, 102, 9, 0, 0, WEFT_WORKER_STOP, 0, 0, NULL, NULL);
	check_ok(st, store_chunk_commit(st));
	ASSERT_QUERY(run_query(st, "SELECT tid, ctx_name, ctx_kind, begin_ns, end_ns, "
			       "duration_ns FROM thread_binding_summary ORDER BY tid, "
			       "coalesce(begin_ns, -1)",
			       "tid,ctx_name,ctx_kind,begin_ns,end_ns,duration_ns", NULL),
		     "100|A|loop|1000|2000|1000\n100|B|loop|5000|8000|3000\n"
		     "100|A|loop|5500|5600|100\n101|P|pool||300|\n102|P|pool|100|9000|8900\n");
	/* Which context the main thread served at T (innermost binding). */
	main_row = q_int(st, "SELECT id FROM threads WHERE tid = 100");
	ASSERT_QUERY(run_query(st, sql, "ctx_name,begin_ns", ":thread", main_row, ":ts_ns",
			       (int64_t)1500, NULL), "A|1000\n");
	ASSERT_QUERY(run_query(st, sql, "ctx_name,begin_ns", ":thread", main_row, ":ts_ns",
			       (int64_t)3000, NULL), "");
	ASSERT_QUERY(run_query(st, sql, "ctx_name,begin_ns", ":thread", main_row, ":ts_ns",
			       (int64_t)5550, NULL), "A|5500\n");
	ASSERT_QUERY(run_query(st, sql, "ctx_name,begin_ns", ":thread", main_row, ":ts_ns",
			       (int64_t)6000, NULL), "B|5000\n");
	ASSERT_QUERY(run_query(st, sql, "ctx_name,begin_ns", ":thread", main_row, ":ts_ns",
			       (int64_t)8000, NULL), "");
	/* threads.ctx: the context of the latest start, no more. */
	ASSERT_EQ(q_int(st, "SELECT c.ctx FROM threads t JOIN contexts c ON c.id = t.ctx "
			    "WHERE t.tid = 100"), 7);
	free(sql);
	ASSERT_EQ(store_check(st, err, sizeof(err)), 0);
	store_close(st);
	cleanup();
	return 0;
}

/* Evicted threads and waits come back from the table: more threads than the
 * thread cache holds, each with an open block and binding, and more open
 * waits than are kept in memory, all closed afterwards in a later chunk. */
TEST_IMPL(evicted_intervals)
{
	const int nthreads = 5000, nwaits = 20000;
	struct store *st;
	char err[256];
	int64_t sess, ts = 1000;
	int i;

	fixture();
	st = open_store(STORE_CREATE);
	check_ok(st, store_session_begin(st, "h", "s", BASE, &sess));
	check_ok(st, store_chunk_begin(st, sess, "c1"));
	EV(st, context_new, ts, 100, 9, 0, 0, WEFT_CTX_POOL, 2, 2, "P", NULL);
	for (i = 0; i < nthreads; i++) {
		EV(st, worker_state, ts += 10, 1000 + i, 9, 0, 0, WEFT_WORKER_START, 0, 0, NULL,
		   NULL);
		EV(st, block_begin, ts += 10, 1000 + i, 0, 0, 0, 0, 0, 0, "read", NULL);
	}
	for (i = 0; i < nwaits; i++)
		EV(st, wait_begin, ts += 10, 100, 1 + (uint64_t)i, 100000 + (uint64_t)i, 0,
		   WEFT_WAIT_ASYNC, 0, 0, NULL, NULL);
	/* Some close in the same chunk, after their eviction. */
	for (i = 0; i < 100; i++)
		EV(st, wait_end, ts += 10, 100, 1 + (uint64_t)i, 100000 + (uint64_t)i, 0, 0, 0,
		   0, NULL, NULL);
	check_ok(st, store_chunk_commit(st));
	check_ok(st, store_chunk_begin(st, sess, "c2"));
	for (i = 0; i < nthreads; i++) {
		EV(st, block_end, ts += 10, 1000 + i, 0, 0, 0, 0, 0, 0, NULL, NULL);
		EV(st, worker_state, ts += 10, 1000 + i, 9, 0, 0, WEFT_WORKER_STOP, 0, 0, NULL,
		   NULL);
	}
	for (i = 100; i < nwaits; i++)
		EV(st, wait_end, ts += 10, 100, 1 + (uint64_t)i, 100000 + (uint64_t)i, 0, 0, 0,
		   0, NULL, NULL);
	check_ok(st, store_chunk_commit(st));
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM threads"), nthreads + 1);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM blocks WHERE begin_ns IS NOT NULL AND "
			    "end_ns > begin_ns"), nthreads);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM blocks"), nthreads);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM thread_bindings WHERE begin_ns IS NOT NULL "
			    "AND end_ns > begin_ns"), nthreads);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM thread_bindings"), nthreads);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM waits WHERE begin_ns IS NOT NULL AND "
			    "end_ns > begin_ns"), nwaits);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM waits"), nwaits);
	ASSERT_EQ(store_check(st, err, sizeof(err)), 0);
	store_close(st);
	cleanup();
	return 0;
}

/* The writer's hash map against a plain array, under random puts and
 * deletes (deletion shifts probe runs back: easy to get subtly wrong). */
TEST_IMPL(hmap_random)
{
	enum { KEYS = 512, OPS = 200000 };
	static int64_t ref[KEYS];
	static bool present[KEYS];
	struct hmap m = { 0 };
	uint64_t x = 88172645463325252ull;
	size_t n = 0;
	int i, k;

	for (i = 0; i < OPS; i++) {
		int64_t *v;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		k = (int)(x % KEYS);
		/* a: 1..4 (a process row), b: a weft id; both parts matter. */
		if ((x >> 20) % 3 == 0) {
			hmap_del(&m, 1 + (uint64_t)k % 4, (uint64_t)k / 4);
			n -= present[k];
			present[k] = false;
		} else {
			ASSERT_EQ(hmap_put(&m, 1 + (uint64_t)k % 4, (uint64_t)k / 4, i), 0);
			n += !present[k];
			present[k] = true;
			ref[k] = i;
		}
		ASSERT_EQ(m.n, n);
		if (i % 97 == 0) {
			for (k = 0; k < KEYS; k++) {
				v = hmap_get(&m, 1 + (uint64_t)k % 4, (uint64_t)k / 4);
				ASSERT_EQ(v != NULL, present[k]);
				if (v)
					ASSERT_EQ(*v, ref[k]);
			}
		}
	}
	hmap_clear(&m);
	ASSERT_NULL(hmap_get(&m, 1, 0));
	hmap_free(&m);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The runtime's shape: per task task_new, task_schedule, task_start,
 * task_end, three pool_samples and two worker_states, four workers, 16
 * names, chunks of ~100k events.  Bytes/event = file size after a checkpoint
 * (every table, index and free page included) / events. */
TEST_IMPL(size)
{
	const long ntasks = 40000, per_chunk = 100000;
	struct store *st;
	int64_t sess, ts = 1000, bytes, nev = 0;
	char names[16][16], cid[32];
	int q = 0, busy = 0, i;
	long chunk = 0, t;
	double t0, secs;

	fixture();
	for (i = 0; i < 16; i++)
		snprintf(names[i], sizeof(names[i]), "work-%d", i);
	st = open_store(STORE_CREATE);
	check_ok(st, store_session_begin(st, "h", "s", BASE, &sess));
	t0 = now_s();
	check_ok(st, store_chunk_begin(st, sess, "c0"));
	EV(st, context_new, ts, 100, 7, 0, 0, WEFT_CTX_POOL, 4, 2, "pool", NULL);
	nev++;
	for (t = 0; t < ntasks; t++) {
		uint64_t id = 100 + (uint64_t)t;
		int32_t w = 101 + (int32_t)(t % 4);

		EV(st, task_new, ts += 300, 100, id, 0, 0, 0, 0, 0, names[t % 16], "src/app.c:42");
		EV(st, task_schedule, ts += 200, 100, id, 7, 0, 0, 0, 0, NULL, NULL);
		EV(st, pool_sample, ts += 100, 100, 7, 0, 0, ++q, busy, 4, NULL, NULL);
		EV(st, task_start, ts += 1500, w, id, 7, 0, 0, 0, 0, NULL, NULL);
		EV(st, worker_state, ts += 50, w, 7, 0, 0, WEFT_WORKER_BUSY, 0, 0, NULL, NULL);
		EV(st, pool_sample, ts += 100, w, 7, 0, 0, --q, ++busy, 4, NULL, NULL);
		EV(st, task_end, ts += 5000, w, id, 0, 0, WEFT_STATUS_OK, 0, 0, NULL, NULL);
		EV(st, worker_state, ts += 50, w, 7, 0, 0, WEFT_WORKER_IDLE, 0, 0, NULL, NULL);
		EV(st, pool_sample, ts += 100, w, 7, 0, 0, q, --busy, 4, NULL, NULL);
		nev += 9;
		if (nev >= (chunk + 1) * per_chunk) {
			check_ok(st, store_chunk_commit(st));
			snprintf(cid, sizeof(cid), "c%ld", ++chunk);
			check_ok(st, store_chunk_begin(st, sess, cid));
		}
	}
	check_ok(st, store_chunk_commit(st));
	secs = now_s() - t0;
	ASSERT_EQ(q_int(st, "PRAGMA wal_checkpoint(TRUNCATE)"), 0);
	bytes = q_int(st, "SELECT page_count * page_size FROM pragma_page_count, "
			  "pragma_page_size");
	fprintf(stderr, "# size: %lld events, %lld bytes, %.2f bytes/event, %.0f events/s\n",
		(long long)nev, (long long)bytes, (double)bytes / (double)nev,
		(double)nev / secs);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM tasks WHERE ended_ns IS NOT NULL"), ntasks);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM pool_samples"), 3 * ntasks);
	ASSERT_LE(bytes, 45 * nev);
	store_close(st);
	cleanup();
	return 0;
}

/* One stream stretch for chunk_content: packets first..last of stream
 * (uuid U, class 0, instance inst), counter disc0 in its first packet and
 * disc1 in its last, 10 us per packet from BASE. */
static struct store_stream stretch(uint64_t inst, uint64_t first, uint64_t last,
				   uint64_t disc0, uint64_t disc1)
{
	struct store_stream v = { .uuid = "0ba8b8a4-886f-4c78-86bd-e8e07af07a51" };

	v.stream_class = 0;
	v.instance = inst;
	v.name = inst ? "ust/uid/0/64-bit/weft_1" : "ust/uid/0/64-bit/weft_0";
	v.first_seq = first;
	v.last_seq = last;
	v.packets = last - first + 1;
	v.discarded_first = disc0;
	v.discarded_last = disc1;
	v.begin_ns = BASE + (int64_t)first * 10000;
	v.first_end_ns = v.begin_ns + 9000;
	v.end_ns = BASE + (int64_t)last * 10000 + 9000;
	if (disc1 != disc0) {
		v.discards_begin_ns = v.first_end_ns;
		v.discards_end_ns = v.end_ns;
	}
	return v;
}

static void add_chunk(struct store *st, int64_t sess, const char *name,
		      const struct store_stream *v, size_t n)
{
	check_ok(st, store_chunk_begin(st, sess, name));
	check_ok(st, store_add_streams(st, v, n, NULL, NULL, NULL));
	check_ok(st, store_chunk_commit(st));
}

/* Chunk identity by content and exact loss (store/chunks.c): a recording of
 * two streams in three chunks, stored out of order; the same packets are
 * recognised however they are named, a partial overlap is refused, and the
 * loss rows add up to the final counters once every chunk is in. */
TEST_IMPL(chunk_content)
{
	/* Stream 0: packets 0-9 (counter 0..5), 10-19 (..12), 20-24 (..30);
	 * stream 1: 0-4 (0..0), 5-9 with packets 7-8 lost (..4), 10-14 (..4). */
	struct store_stream c1[] = { stretch(0, 0, 9, 0, 5), stretch(1, 0, 4, 0, 0) };
	struct store_stream c2[] = { stretch(0, 10, 19, 7, 12), stretch(1, 5, 9, 1, 4) };
	struct store_stream c3[] = { stretch(0, 20, 24, 12, 30), stretch(1, 10, 14, 4, 4) };
	struct store_stream half[] = { stretch(0, 10, 14, 7, 9) };
	struct store_chunk_match m;
	uint64_t disc = 0, lost = 0, inexact = 0;
	struct store *st;
	int64_t sess;

	c2[1].lost_inside = 2;
	c2[1].last_seq = 9;
	c2[1].packets = 3;
	fixture();
	st = open_store(STORE_CREATE);
	check_ok(st, store_session_begin(st, "h", "s", BASE, &sess));

	/* Nothing in yet. */
	check_ok(st, store_chunk_identify(st, c2, 2, &m));
	ASSERT_EQ(m.state, STORE_CHUNK_NEW);
	ASSERT_EQ(m.session_id, 0);

	/* The middle chunk first: its predecessors are not in the store, so
	 * stream 0's counter (7 in its first packet) says nothing about what
	 * this chunk lost before its first packet's end: a lower bound. */
	check_ok(st, store_chunk_begin(st, sess, "second"));
	check_ok(st, store_add_streams(st, c2, 2, &disc, &lost, &inexact));
	check_ok(st, store_chunk_commit(st));
	ASSERT_UEQ(disc, 5 + 3);
	ASSERT_UEQ(lost, 2);
	ASSERT_UEQ(inexact, 3);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM loss WHERE exact = 0"), 3);

	/* The same packets under any name: stored; some of them: overlap. */
	check_ok(st, store_chunk_identify(st, c2, 2, &m));
	ASSERT_EQ(m.state, STORE_CHUNK_STORED);
	ASSERT_EQ(m.session_id, sess);
	ASSERT_STR_EQ(m.chunk, "second");
	check_ok(st, store_chunk_identify(st, half, 1, &m));
	ASSERT_EQ(m.state, STORE_CHUNK_STORED); /* a subset is all in */
	check_ok(st, store_chunk_identify(st, c1, 2, &m));
	ASSERT_EQ(m.state, STORE_CHUNK_NEW);
	ASSERT_EQ(m.session_id, sess); /* same trace: same session */
	{
		struct store_stream wide[] = { stretch(0, 5, 14, 3, 9) };

		check_ok(st, store_chunk_identify(st, wide, 1, &m));
		ASSERT_EQ(m.state, STORE_CHUNK_OVERLAP);
		ASSERT(strstr(m.detail, "packets 5-14") != NULL);
		/* and the writer refuses it, whatever the caller asked */
		check_ok(st, store_chunk_begin(st, sess, "wide"));
		ASSERT_EQ(store_add_streams(st, wide, 1, NULL, NULL, NULL), -EEXIST);
		store_chunk_abort(st);
	}
	{ /* some streams stored, others not */
		struct store_stream mixed[] = { c2[0], c3[1] };

		check_ok(st, store_chunk_identify(st, mixed, 2, &m));
		ASSERT_EQ(m.state, STORE_CHUNK_OVERLAP);
	}

	/* The rest, out of order: the last chunk, then the first, which
	 * recounts the middle one from its own last packets. */
	add_chunk(st, sess, "third", c3, 2);
	add_chunk(st, sess, "first", c1, 2);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM loss WHERE exact IS NOT 1"), 0);
	/* Per stream the rows telescope to the final counter; stream 1 lost
	 * 2 packets inside the middle chunk. */
	ASSERT_EQ(q_int(st, "SELECT sum(count) FROM loss WHERE kind = 0"), 30 + 4);
	ASSERT_EQ(q_int(st, "SELECT sum(count) FROM loss WHERE kind = 0 AND stream_instance = 0 "
			    "AND chunk = 'second'"), 12 - 5);
	ASSERT_EQ(q_int(st, "SELECT sum(count) FROM loss WHERE kind = 1"), 2);
	/* A rise in the first packet of a chunk dates from the previous
	 * chunk's last packet. */
	ASSERT_EQ(q_int(st, "SELECT begin_ns FROM loss WHERE kind = 0 AND stream_instance = 0 "
			    "AND chunk = 'second'"), 9 * 10000 + 9000);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM chunk_streams"), 6);
	ASSERT_EQ(q_int(st, "SELECT count(*) FROM chunks"), 3);
	ASSERT_EQ(q_int(st, "PRAGMA foreign_key_check"), -1);
	store_close(st);
	return 0;
}

/* Strings cut at the bound are counted per chunk: the decoder's count
 * (store_event.truncated) and the writer's own cut of a longer string. */
TEST_IMPL(truncated_strings_counted)
{
	static char longs[1000];
	struct store_event e = { 0 };
	struct store *st;
	int64_t sess;
	char *sql;

	fixture();
	memset(longs, 'x', sizeof longs - 1);
	st = open_store(STORE_CREATE);
	check_ok(st, store_session_begin(st, "h1", "s1", BASE, &sess));
	check_ok(st, store_chunk_begin(st, sess, "c1"));
	e.kind = WEFT_EV_annotate;
	e.ts_ns = BASE + 10;
	e.vpid = e.vtid = 100;
	e.procname = "p";
	e.id0 = 1;
	e.s0 = "key";
	e.s0_len = 3;
	e.s1 = longs; /* not cut by a decoder: the writer cuts it */
	e.s1_len = (uint32_t)strlen(longs);
	check_ok(st, store_add_event(st, &e));
	e.ts_ns++;
	e.s1 = "cut";
	e.s1_len = 3;
	e.truncated = 2; /* the decoder cut two */
	check_ok(st, store_add_event(st, &e));
	check_ok(st, store_chunk_commit(st));
	check_ok(st, store_chunk_begin(st, sess, "c2"));
	check_ok(st, store_chunk_commit(st));
	ASSERT_EQ(q_int(st, "SELECT truncated_strings FROM chunks WHERE chunk = 'c1'"), 3);
	ASSERT_EQ(q_int(st, "SELECT truncated_strings FROM chunks WHERE chunk = 'c2'"), 0);
	ASSERT_EQ(q_int(st, "SELECT max(length(CAST(value AS BLOB))) FROM annotations"),
		  WEFT_STR_MAX);
	sql = doc_query("truncated-strings");
	ASSERT_QUERY(run_query(st, sql, "host,name,cut", NULL), "h1|s1|3\n");
	free(sql);
	store_close(st);
	cleanup();
	return 0;
}

/* ---- durability: a VFS shim that counts syncs of the WAL ------------- */

/* Wraps the default VFS; every file it opens counts its xSync calls by kind
 * (the WAL, the database).  Registered as the default, so store_open()'s
 * connection goes through it. */
struct sync_file {
	sqlite3_file base;  /* our methods */
	int kind;           /* SQLITE_OPEN_WAL, SQLITE_OPEN_MAIN_DB, ... */
	sqlite3_file real[]; /* the wrapped VFS's file, szOsFile bytes */
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs sync_vfs;
static sqlite3_io_methods sync_methods;
static int wal_syncs, db_syncs;

static sqlite3_file *sf_real(sqlite3_file *f)
{
	return ((struct sync_file *)f)->real;
}

static int sf_close(sqlite3_file *f)
{
	return sf_real(f)->pMethods->xClose(sf_real(f));
}
static int sf_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{
	return sf_real(f)->pMethods->xRead(sf_real(f), b, n, o);
}
static int sf_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
	return sf_real(f)->pMethods->xWrite(sf_real(f), b, n, o);
}
static int sf_truncate(sqlite3_file *f, sqlite3_int64 n)
{
	return sf_real(f)->pMethods->xTruncate(sf_real(f), n);
}
static int sf_sync(sqlite3_file *f, int flags)
{
	int kind = ((struct sync_file *)f)->kind;

	if (kind == SQLITE_OPEN_WAL)
		wal_syncs++;
	else if (kind == SQLITE_OPEN_MAIN_DB)
		db_syncs++;
	return sf_real(f)->pMethods->xSync(sf_real(f), flags);
}
static int sf_size(sqlite3_file *f, sqlite3_int64 *n)
{
	return sf_real(f)->pMethods->xFileSize(sf_real(f), n);
}
static int sf_lock(sqlite3_file *f, int l)
{
	return sf_real(f)->pMethods->xLock(sf_real(f), l);
}
static int sf_unlock(sqlite3_file *f, int l)
{
	return sf_real(f)->pMethods->xUnlock(sf_real(f), l);
}
static int sf_check(sqlite3_file *f, int *out)
{
	return sf_real(f)->pMethods->xCheckReservedLock(sf_real(f), out);
}
static int sf_fcntl(sqlite3_file *f, int op, void *arg)
{
	return sf_real(f)->pMethods->xFileControl(sf_real(f), op, arg);
}
static int sf_sector(sqlite3_file *f)
{
	return sf_real(f)->pMethods->xSectorSize(sf_real(f));
}
static int sf_dev(sqlite3_file *f)
{
	return sf_real(f)->pMethods->xDeviceCharacteristics(sf_real(f));
}
static int sf_shm_map(sqlite3_file *f, int i, int sz, int ext, void volatile **pp)
{
	return sf_real(f)->pMethods->xShmMap(sf_real(f), i, sz, ext, pp);
}
static int sf_shm_lock(sqlite3_file *f, int o, int n, int fl)
{
	return sf_real(f)->pMethods->xShmLock(sf_real(f), o, n, fl);
}
static void sf_shm_barrier(sqlite3_file *f)
{
	sf_real(f)->pMethods->xShmBarrier(sf_real(f));
}
static int sf_shm_unmap(sqlite3_file *f, int del)
{
	return sf_real(f)->pMethods->xShmUnmap(sf_real(f), del);
}

static int sv_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	struct sync_file *sf = (struct sync_file *)f;
	int rc;

	(void)vfs;
	sf->kind = flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL |
			    SQLITE_OPEN_TEMP_DB | SQLITE_OPEN_TEMP_JOURNAL |
			    SQLITE_OPEN_TRANSIENT_DB | SQLITE_OPEN_SUBJOURNAL);
	rc = real_vfs->xOpen(real_vfs, name, sf->real, flags, out);
	/* xClose is called only if pMethods is set: mirror the real file. */
	f->pMethods = sf->real->pMethods ? &sync_methods : NULL;
	return rc;
}

static void sync_vfs_install(void)
{
	static const sqlite3_io_methods m = {
		2, sf_close, sf_read, sf_write, sf_truncate, sf_sync, sf_size, sf_lock,
		sf_unlock, sf_check, sf_fcntl, sf_sector, sf_dev, sf_shm_map, sf_shm_lock,
		sf_shm_barrier, sf_shm_unmap, NULL, NULL,
	};

	real_vfs = sqlite3_vfs_find(NULL);
	ASSERT_NOT_NULL(real_vfs);
	sync_methods = m;
	sync_vfs = *real_vfs;
	sync_vfs.iVersion = 1; /* no xSetSystemCall & co.: nothing wraps them */
	sync_vfs.zName = "weft-test-sync";
	sync_vfs.szOsFile = (int)sizeof(struct sync_file) + real_vfs->szOsFile;
	sync_vfs.xOpen = sv_open;
	sync_vfs.pAppData = NULL;
	ASSERT_EQ(sqlite3_vfs_register(&sync_vfs, 1), SQLITE_OK);
}

/*
 * A committed chunk is durable: store_chunk_commit() returns only after the
 * WAL holding the chunk's transaction was synced (fsync/fdatasync), so a
 * caller may delete the chunk's files right after it.  With the WAL at
 * synchronous = NORMAL it was not: the commit was only written, synced at
 * the next checkpoint, and a power loss in between rolled back commits
 * whose chunks were already deleted.
 */
TEST_IMPL(commit_is_durable)
{
	struct store *st;
	int64_t sess;
	int before;

	fixture();
	sync_vfs_install();
	st = open_store(STORE_CREATE);
	/* the writer's effective level: 2 = FULL (3 = EXTRA would do too) */
	ASSERT_GE(q_int(st, "PRAGMA synchronous"), 2);
	check_ok(st, store_session_begin(st, "h1", "s1", BASE, &sess));
	for (int c = 0; c < 3; c++) {
		char name[16];

		snprintf(name, sizeof name, "c%d", c);
		check_ok(st, store_chunk_begin(st, sess, name));
		for (int i = 0; i < 100; i++)
			EV(st, task_new, 1000 + c * 1000 + i, 100, (uint64_t)(1 + c * 100 + i), 0, 0,
			   WEFT_TASK_TASK, 0, 0, "t", "a.c:1");
		before = wal_syncs;
		check_ok(st, store_chunk_commit(st));
		/* the WAL was synced by the commit itself, before it returned */
		if (wal_syncs <= before)
			TEST_FAIL_("chunk %s committed without a sync of the WAL (%d syncs before "
				   "the commit, %d after)", name, before, wal_syncs);
	}
	fprintf(stderr, "# WAL syncs: %d, database syncs: %d\n", wal_syncs, db_syncs);
	store_close(st);
	sqlite3_vfs_unregister(&sync_vfs);
	cleanup();
	return 0;
}

static const struct test_entry tests[] = {
	TEST_ENTRY(create_reopen)
	TEST_ENTRY(open_missing)
	TEST_ENTRY(refuse_foreign_sqlite)
	TEST_ENTRY(refuse_not_sqlite)
	TEST_ENTRY(refuse_newer_version)
	TEST_ENTRY(chunk_idempotent)
	TEST_ENTRY(chunk_content)
	TEST_ENTRY(tasks_across_chunks)
	TEST_ENTRY(pid_reuse)
	TEST_ENTRY(token_names_and_parents)
	TEST_ENTRY(migrate_v1_store)
	TEST_ENTRY(untrusted_strings)
	TEST_ENTRY(doc_queries)
	TEST_ENTRY(truncated_strings_counted)
	TEST_ENTRY(commit_is_durable)
	TEST_ENTRY(integrity)
	TEST_ENTRY(hmap_random)
	TEST_ENTRY(thread_bindings)
	TEST_ENTRY_TIMEOUT(evicted_intervals, 120)
	TEST_ENTRY_TIMEOUT(big_chunk, 240)
	TEST_ENTRY_TIMEOUT(size, 240)
};

TEST_MAIN(tests)
