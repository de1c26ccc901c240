/*
 * cli-chain: chains and blame on real recordings.  Each example program
 * (examples/) is recorded with the real `weft record` (a real
 * lttng-sessiond, a real SQLite store), then read back with store/chain.h
 * and the `weft chain` command.  Expectations come from each example's own
 * story (its header comment): the deadlocked parse hangs from the click
 * handler and its time is queued on 'ui'; the `.Result` handler's time is
 * the timer it waits for; ...  And on every task of every example: the
 * chain ends at the task, and the blame's parts sum to its wall time.
 *
 * Paths come from the build: WEFT_BIN, WEFT_EXAMPLES_DIR, WEFT_EXAMPLES.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain.h"
#include "proc.h"
#include "runner.h"
#include "store.h"

static char tmpdir[256];

static void teardown(void)
{
	char cmd[512];

	if (!tmpdir[0])
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", tmpdir);
}

static void setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/weft-test-chain.XXXXXX");
	if (!mkdtemp(tmpdir))
		TEST_FAIL_("mkdtemp: %s", strerror(errno));
	atexit(teardown);
}

static int weft(struct run_result *r, int timeout_s, char *const args[])
{
	char *argv[32];
	static char env_tmp[300];
	char *env[] = { env_tmp, NULL };
	int n = 0;

	snprintf(env_tmp, sizeof env_tmp, "TMPDIR=%s", tmpdir);
	argv[n++] = WEFT_BIN;
	for (int i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (proc_run(argv, env, timeout_s, r) != 0)
		TEST_FAIL_("cannot run %s", WEFT_BIN);
	return proc_exit_code(r);
}
#define WEFT(r, t, ...) weft((r), (t), (char *const[]){ __VA_ARGS__, NULL })

/* Records example `name` into tmpdir/name.db (again into the same store
 * when `again`); returns the store's path. */
static const char *record(const char *name)
{
	static char db[4][512];
	static int k;
	char prog[512];
	struct run_result r;
	int rc;

	k = (k + 1) % 4;
	snprintf(db[k], sizeof db[k], "%s/%s.db", tmpdir, name);
	snprintf(prog, sizeof prog, "%s/%s", WEFT_EXAMPLES_DIR, name);
	rc = WEFT(&r, 120, "record", "-o", db[k], "--", prog);
	if (rc != 0)
		TEST_FAIL_("weft record %s: exit %d: %s", name, rc, r.err);
	proc_result_free(&r);
	return db[k];
}

static struct store *open_ro(const char *path)
{
	struct store *st = NULL;
	char err[512];

	if (store_open(path, STORE_READONLY, &st, err, sizeof err) != 0)
		TEST_FAIL_("store_open: %s", err);
	return st;
}

/* The row of the task named `name` (the first one by row id). */
static int64_t task_named(struct store *st, const char *name, bool last)
{
	sqlite3_stmt *s = NULL;
	int64_t row = 0;
	const char *sql = last ? "SELECT max(t.id) FROM tasks t JOIN strings n ON n.id = t.name "
				 "WHERE n.s = ?1"
			       : "SELECT min(t.id) FROM tasks t JOIN strings n ON n.id = t.name "
				 "WHERE n.s = ?1";

	ASSERT_EQ(sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		row = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (row <= 0)
		TEST_FAIL_("no task named %s in the recording", name);
	return row;
}

static double share(const struct blame *b, size_t i)
{
	return b->wall_ns > 0 ? (double)b->parts[i].ns / (double)b->wall_ns : 0;
}

static void print_blame(const char *what, const struct blame *b)
{
	size_t i;

	fprintf(stderr, "# blame of %s: %lld ns:", what, (long long)b->wall_ns);
	for (i = 0; i < b->nparts && i < 4; i++)
		fprintf(stderr, " %s %s %lld (%.1f %%)", blame_category_name(b->parts[i].cat),
			b->parts[i].ctx_name ? b->parts[i].ctx_name : "",
			(long long)b->parts[i].ns, 100 * share(b, i));
	fputc('\n', stderr);
}

/* ---- every task of every example ---------------------------------------------- */

static void check_all_tasks(const char *name, const char *db)
{
	sqlite3_stmt *s = NULL;
	struct store *st = open_ro(db);
	int64_t tasks = 0;

	ASSERT_EQ(sqlite3_prepare_v2(store_db(st), "SELECT id, created_ns, ended_ns FROM tasks "
				     "ORDER BY id", -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int64_t row = sqlite3_column_int64(s, 0), sum = 0;
		struct chain c;
		struct blame b;
		size_t i;

		if (chain_get(st, row, &c) != 0)
			TEST_FAIL_("%s: chain_get(#%lld): %s", name, (long long)row,
				   store_errmsg(st));
		ASSERT(c.nhops >= 1);
		ASSERT_EQ(c.hops[c.nhops - 1].t.row, row);
		chain_free(&c);
		if (blame_get(st, row, &b) != 0)
			TEST_FAIL_("%s: blame_get(#%lld): %s", name, (long long)row,
				   store_errmsg(st));
		for (i = 0; i < b.nparts; i++) {
			ASSERT_GT(b.parts[i].ns, 0);
			sum += b.parts[i].ns;
		}
		/* Within 1 % (by construction they are equal). */
		if (llabs(sum - b.wall_ns) * 100 > b.wall_ns)
			TEST_FAIL_("%s: task #%lld: blame parts sum to %lld ns, wall time %lld ns",
				   name, (long long)row, (long long)sum, (long long)b.wall_ns);
		if (sqlite3_column_type(s, 1) != SQLITE_NULL &&
		    sqlite3_column_type(s, 2) != SQLITE_NULL)
			ASSERT_EQ(b.wall_ns, sqlite3_column_int64(s, 2) - sqlite3_column_int64(s, 1));
		blame_free(&b);
		tasks++;
	}
	sqlite3_finalize(s);
	/* A finding's stored blame sums to its task's wall time too, and its
	 * chain ends at the finding's task. */
	ASSERT_EQ(sqlite3_prepare_v2(store_db(st),
		"SELECT f.id, (SELECT sum(ns) FROM finding_blame b WHERE b.finding = f.id), "
		"  t.ended_ns - t.created_ns, "
		"  (SELECT task FROM finding_chain c WHERE c.finding = f.id ORDER BY depth DESC "
		"   LIMIT 1), f.task FROM findings f JOIN tasks t ON t.id = f.task "
		"WHERE t.ended_ns IS NOT NULL", -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		ASSERT_EQ(sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2));
		ASSERT_EQ(sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4));
	}
	sqlite3_finalize(s);
	fprintf(stderr, "# %s: %lld tasks, every blame sums to its wall time\n", name,
		(long long)tasks);
	ASSERT_GT(tasks, 0);
	store_close(st);
}

TEST_IMPL(every_task_of_every_example)
{
	char list[] = WEFT_EXAMPLES, *save = NULL, *name;

	setup();
	for (name = strtok_r(list, " ", &save); name; name = strtok_r(NULL, " ", &save))
		check_all_tasks(name, record(name));
	return 0;
}

/* ---- the examples' stories ------------------------------------------------------- */

/* sync-over-async-deadlock: parse_file was created by on_open_clicked (its
 * chain reaches the click handler), marshalled io -> ui, and spent its life
 * queued behind the handler on 'ui'; the handler's own time is that same
 * queue (its blocking wait descends into parse_file's path). */
TEST_IMPL(deadlock_story)
{
	struct store *st;
	struct chain c;
	struct blame b;

	setup();
	st = open_ro(record("sync-over-async-deadlock"));
	ASSERT_EQ(chain_get(st, task_named(st, "parse_file", false), &c), 0);
	ASSERT_EQ(c.nhops, 2);
	ASSERT_STR_EQ(c.hops[0].t.name, "on_open_clicked");
	ASSERT_EQ(c.hops[0].relation, CHAIN_REL_ROOT);
	ASSERT_EQ(c.hops[1].relation, CHAIN_REL_CREATED_BY);
	ASSERT_STR_EQ(c.hops[1].t.marshal_from_name, "io");
	ASSERT_STR_EQ(c.hops[1].t.marshal_to_name, "ui");
	ASSERT_EQ(c.hops[0].t.nwaits, 1);
	ASSERT_EQ(c.hops[0].t.waits[0].mode, WEFT_WAIT_BLOCK);
	ASSERT(c.hops[0].t.waits[0].timed_out);
	chain_free(&c);

	ASSERT_EQ(blame_get(st, task_named(st, "parse_file", false), &b), 0);
	print_blame("parse_file", &b);
	ASSERT_EQ(b.parts[0].cat, BLAME_QUEUED);
	ASSERT_STR_EQ(b.parts[0].ctx_name, "ui");
	ASSERT(share(&b, 0) > 0.9);
	blame_free(&b);
	ASSERT_EQ(blame_get(st, task_named(st, "on_open_clicked", false), &b), 0);
	print_blame("on_open_clicked", &b);
	ASSERT_EQ(b.parts[0].cat, BLAME_QUEUED);
	ASSERT_STR_EQ(b.parts[0].ctx_name, "ui");
	ASSERT_STR_EQ(b.parts[0].task_name, "parse_file");
	ASSERT(share(&b, 0) > 0.9);
	blame_free(&b);
	store_close(st);
	return 0;
}

/* blocking-wait: handle_request's 150 ms are its blocking wait on the timer
 * standing in for the database. */
TEST_IMPL(blocking_wait_story)
{
	struct store *st;
	struct blame b;

	setup();
	st = open_ro(record("blocking-wait"));
	ASSERT_EQ(blame_get(st, task_named(st, "handle_request", false), &b), 0);
	print_blame("handle_request", &b);
	ASSERT_EQ(b.parts[0].cat, BLAME_WAITING);
	ASSERT_EQ(b.parts[0].task_kind, WEFT_TASK_TIMER);
	ASSERT(share(&b, 0) > 0.9);
	ASSERT(b.wall_ns > 140000000);
	blame_free(&b);
	store_close(st);
	return 0;
}

/* pool-starvation: each short request spends its ~1 s queued on 'io'. */
TEST_IMPL(pool_starvation_story)
{
	struct store *st;
	struct blame b;

	setup();
	st = open_ro(record("pool-starvation"));
	ASSERT_EQ(blame_get(st, task_named(st, "short_request", true), &b), 0);
	print_blame("short_request", &b);
	ASSERT_EQ(b.parts[0].cat, BLAME_QUEUED);
	ASSERT_STR_EQ(b.parts[0].ctx_name, "io");
	ASSERT(share(&b, 0) > 0.8);
	blame_free(&b);
	store_close(st);
	return 0;
}

/* needless-marshal: the last on_chunk stands on 64 hops of on_chunk ->
 * read_chunk -> on_chunk from the click, each on_chunk marshalled io -> ui;
 * its own time: queued on 'ui' behind the repaints, after its read. */
TEST_IMPL(needless_marshal_story)
{
	struct store *st;
	struct chain c;
	struct blame b;
	size_t i, marshals = 0;

	setup();
	st = open_ro(record("needless-marshal"));
	ASSERT_EQ(chain_get(st, task_named(st, "on_chunk", true), &c), 0);
	ASSERT_STR_EQ(c.hops[0].t.name, "on_download_clicked");
	ASSERT(c.nhops >= 64);
	for (i = 1; i < c.nhops; i++) {
		ASSERT_EQ(c.hops[i].relation, CHAIN_REL_CREATED_BY);
		if (c.hops[i].t.marshal_from_name && !strcmp(c.hops[i].t.marshal_from_name, "io") &&
		    !strcmp(c.hops[i].t.marshal_to_name, "ui"))
			marshals++;
	}
	fprintf(stderr, "# last on_chunk: %zu hops, %zu marshals io -> ui\n", c.nhops, marshals);
	ASSERT(marshals >= 63);
	chain_free(&c);
	ASSERT_EQ(blame_get(st, task_named(st, "on_chunk", true), &b), 0);
	print_blame("last on_chunk", &b);
	for (i = 0; i < b.nparts && b.parts[i].cat != BLAME_MARSHAL; i++)
		;
	ASSERT(i < b.nparts);
	for (i = 0; i < b.nparts && (b.parts[i].cat != BLAME_QUEUED ||
				      strcmp(b.parts[i].ctx_name, "ui")); i++)
		;
	ASSERT(i < b.nparts);
	blame_free(&b);
	store_close(st);
	return 0;
}

/* orphaned-work: the when_any is released by the first replica to answer
 * (replica-a, ~30 ms), so its chain and its time are replica-a's. */
TEST_IMPL(orphaned_work_story)
{
	struct store *st;
	struct chain c;
	struct blame b;

	setup();
	st = open_ro(record("orphaned-work"));
	ASSERT_EQ(chain_get(st, task_named(st, "first replica", false), &c), 0);
	ASSERT_EQ(c.nhops, 2);
	ASSERT_STR_EQ(c.hops[0].t.name, "lookup replica-a");
	ASSERT_EQ(c.hops[1].relation, CHAIN_REL_CONTINUATION_OF);
	chain_free(&c);
	ASSERT_EQ(blame_get(st, task_named(st, "first replica", false), &b), 0);
	print_blame("first replica", &b);
	ASSERT_EQ(b.parts[0].cat, BLAME_RUNNING);
	ASSERT_STR_EQ(b.parts[0].task_name, "lookup replica-a");
	ASSERT(b.wall_ns < 100000000); /* not the losers' 0.4 s */
	blame_free(&b);
	store_close(st);
	return 0;
}

/* serial-fan-out: each call's continuation creates the next call, so the
 * last continuation's chain is the whole serial staircase. */
TEST_IMPL(serial_fan_out_story)
{
	static const char *const want[] = { "load_dashboard", "after fetch_profile",
					     "after fetch_orders", "after fetch_recommendations" };
	struct store *st;
	struct chain c;
	size_t i;

	setup();
	st = open_ro(record("serial-fan-out"));
	ASSERT_EQ(chain_get(st, task_named(st, "after fetch_recommendations", false), &c), 0);
	ASSERT_EQ(c.nhops, 4);
	for (i = 0; i < 4; i++)
		ASSERT_STR_EQ(c.hops[i].t.name, want[i]);
	ASSERT_EQ(c.hops[0].t.nwaits, 1);
	ASSERT_EQ(c.hops[0].t.waits[0].mode, WEFT_WAIT_ASYNC);
	chain_free(&c);
	store_close(st);
	return 0;
}

/* ---- the command ----------------------------------------------------------------- */

static void assert_one_line_error(const struct run_result *r, const char *needle)
{
	if (count_lines(r->err) != 1 || strncmp(r->err, "weft chain: Cannot", 18) != 0 ||
	    !strstr(r->err, needle))
		TEST_FAIL_("expected one 'weft chain: Cannot' line with %s, got: [%s]", needle,
			   r->err);
}

TEST_IMPL(weft_chain_command)
{
	struct run_result r;
	const char *db, *two;
	char prog[512];

	setup();
	ASSERT_EQ(WEFT(&r, 10, "--help"), 0);
	ASSERT(strstr(r.out, "  chain "));
	proc_result_free(&r);
	ASSERT_EQ(WEFT(&r, 10, "chain", "--help"), 0);
	ASSERT(strncmp(r.out, "usage: weft chain", 17) == 0);
	ASSERT(count_lines(r.out) >= 20);
	proc_result_free(&r);
	ASSERT_EQ(WEFT(&r, 10, "chain"), 2);
	assert_one_line_error(&r, "which task?");
	proc_result_free(&r);
	db = record("sync-over-async-deadlock");
	ASSERT_EQ(WEFT(&r, 30, "chain", (char *)db, "parse_file", "--blame", "--caused"), 0);
	fprintf(stderr, "%s", r.out);
	ASSERT(strstr(r.out, "root task"));
	ASSERT(strstr(r.out, "'on_open_clicked'"));
	ASSERT(strstr(r.out, "└ created by task"));
	ASSERT(strstr(r.out, "marshal 'io' -> 'ui'"));
	ASSERT(strstr(r.out, "blame: "));
	ASSERT(strstr(r.out, "queued "));
	ASSERT(strstr(r.out, " on 'ui' ("));
	proc_result_free(&r);
	ASSERT_EQ(WEFT(&r, 30, "chain", (char *)db, "#1", "--format", "json", "--blame"), 0);
	ASSERT(strstr(r.out, "\"chain\": ["));
	ASSERT(strstr(r.out, "\"blame\": ["));
	ASSERT(strstr(r.out, "\"relation\": \"root\""));
	ASSERT(strstr(r.out, "\"category\": \"queued\""));
	proc_result_free(&r);
	/* Bad input: one line, non-zero. */
	ASSERT_EQ(WEFT(&r, 30, "chain", (char *)db, "no_such_task"), 1);
	assert_one_line_error(&r, "task=no_such_task");
	proc_result_free(&r);
	ASSERT_EQ(WEFT(&r, 30, "chain", (char *)db, "#0"), 2);
	assert_one_line_error(&r, "task=#0");
	proc_result_free(&r);
	ASSERT_EQ(WEFT(&r, 30, "chain", (char *)db, "1", "--pid", "x"), 2);
	assert_one_line_error(&r, "pid=x");
	proc_result_free(&r);
	ASSERT_EQ(WEFT(&r, 30, "chain", (char *)db, "1", "--format", "yaml"), 2);
	assert_one_line_error(&r, "format=yaml");
	proc_result_free(&r);
	ASSERT_EQ(WEFT(&r, 30, "chain", "/nonexistent.db", "1"), 1);
	ASSERT(count_lines(r.err) == 1 && strstr(r.err, "path=/nonexistent.db"));
	proc_result_free(&r);
	/* A pattern matching several: listed with ids, pid and site; exit 1. */
	ASSERT_EQ(WEFT(&r, 30, "chain", (char *)db, "*_*"), 1);
	assert_one_line_error(&r, "3 tasks match");
	ASSERT_EQ(count_lines(r.out), 3);
	ASSERT(strstr(r.out, "sync-over-async-deadlock.c:"));
	proc_result_free(&r);
	/* The same example twice in one store: weft ids repeat, --pid picks. */
	two = record("serial-fan-out");
	snprintf(prog, sizeof prog, "%s/serial-fan-out", WEFT_EXAMPLES_DIR);
	ASSERT_EQ(WEFT(&r, 120, "record", "-o", (char *)two, "--", prog), 0);
	proc_result_free(&r);
	ASSERT_EQ(WEFT(&r, 30, "chain", (char *)two, "3"), 1);
	assert_one_line_error(&r, "candidates=#");
	proc_result_free(&r);
	{
		char pid[32], sql[128];
		sqlite3 *h = NULL;
		sqlite3_stmt *s = NULL;

		ASSERT_EQ(sqlite3_open_v2(two, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		snprintf(sql, sizeof sql, "SELECT max(pid) FROM processes");
		ASSERT_EQ(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
		ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
		snprintf(pid, sizeof pid, "%d", sqlite3_column_int(s, 0));
		sqlite3_finalize(s);
		sqlite3_close(h);
		ASSERT_EQ(WEFT(&r, 30, "chain", (char *)two, "3", "--pid", pid), 0);
		ASSERT(strstr(r.out, "load_dashboard"));
		proc_result_free(&r);
	}
	/* weft report shows a finding's chain and blame. */
	db = record("unobserved-error");
	ASSERT_EQ(WEFT(&r, 60, "report", (char *)db), 0);
	ASSERT(strstr(r.out, "      chain: task "));
	ASSERT(strstr(r.out, "      blame: blocked "));
	proc_result_free(&r);
	ASSERT_EQ(WEFT(&r, 60, "report", (char *)db, "--format", "json"), 0);
	ASSERT(strstr(r.out, "\"chain\": [{\"id\": "));
	ASSERT(strstr(r.out, "\"blame\": [{\"category\": \"blocked\""));
	proc_result_free(&r);
	return 0;
}

static const struct test_entry tests[] = {
	TEST_ENTRY_TIMEOUT(every_task_of_every_example, 600)
	TEST_ENTRY_TIMEOUT(deadlock_story, 120)
	TEST_ENTRY_TIMEOUT(blocking_wait_story, 120)
	TEST_ENTRY_TIMEOUT(pool_starvation_story, 120)
	TEST_ENTRY_TIMEOUT(needless_marshal_story, 120)
	TEST_ENTRY_TIMEOUT(orphaned_work_story, 120)
	TEST_ENTRY_TIMEOUT(serial_fan_out_story, 120)
	TEST_ENTRY_TIMEOUT(weft_chain_command, 300)
};

TEST_MAIN(tests)
