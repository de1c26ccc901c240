/*
 * End-to-end tests of the `weft` command against the real thing: a real
 * lttng-sessiond, the real examples and test programs, real SQLite stores,
 * and the babeltrace2 command-line tool as an independent reader of the same
 * traces (weft record --keep-trace) to check what weft stored.
 *
 * Paths come from the build: WEFT_BIN (the weft command), SEQ_TASKS (a
 * program emitting tasks numbered 1..N), LOOP_BIND (a thread serving two loops
 * one after the other), WEFT_EXAMPLES_DIR and WEFT_EXAMPLES
 * (space-separated names).
 */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "runner.h"

static char tmpdir[256];

static void setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/weft-test-cli.XXXXXX");
	if (!mkdtemp(tmpdir))
		TEST_FAIL_("mkdtemp: %s", strerror(errno));
}

static void teardown(void)
{
	char cmd[512];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", tmpdir);
}

static char *path_in(const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", tmpdir, name);
	return buf[i];
}

/* Runs weft with args; TMPDIR points into the test's directory so that the
 * recorder's trace directories are found and cleaned up with it. */
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

static int64_t sql_int(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		TEST_FAIL_("open %s: %s", db, sqlite3_errmsg(h));
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		TEST_FAIL_("prepare %s: %s", sql, sqlite3_errmsg(h));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

/* Like sql_int, but -1 instead of failing while the store is still being
 * created by another process (no file, no schema yet, locked). */
static int64_t sql_int_try(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static void sql_text(const char *db, const char *sql, char *out, size_t len)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;

	out[0] = '\0';
	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		TEST_FAIL_("open %s", db);
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		TEST_FAIL_("prepare %s: %s", sql, sqlite3_errmsg(h));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
}

/* The error output of a failed command: exactly one line, "weft ...". */
static void assert_one_line_error(const struct run_result *r)
{
	if (count_lines(r->err) != 1 || strncmp(r->err, "weft", 4) != 0)
		TEST_FAIL_("expected one error line starting with 'weft', got: [%s]", r->err);
}

/* Parses "weft record: N events, M tasks (F failed)". */
static void parse_summary(const char *out, long long *events, long long *tasks, long long *failed)
{
	const char *p = strstr(out, " events, ");
	if (!p)
		TEST_FAIL_("no summary line in: [%s]", out);
	while (p > out && p[-1] != ' ')
		p--;
	if (sscanf(p, "%lld events, %lld task%*[s] (%lld failed)", events, tasks, failed) != 3 &&
	    sscanf(p, "%lld events, %lld task (%lld failed)", events, tasks, failed) != 3)
		TEST_FAIL_("cannot parse summary: [%s]", p);
}

/* Every session of the store has ended: end_ns is set, not before the last
 * event stored, and not absurdly after it (the recording's stop). */
static void assert_ended(const char *db)
{
	ASSERT_GE(sql_int(db, "SELECT count(*) FROM sessions"), 1);
	ASSERT_EQ(sql_int(db, "SELECT count(*) FROM sessions WHERE end_ns IS NULL"), 0);
	ASSERT_EQ(sql_int(db, "SELECT count(*) FROM sessions s WHERE end_ns < coalesce((SELECT "
			      "max(last_ns) FROM chunks c WHERE c.session = s.id), 0)"), 0);
	ASSERT_EQ(sql_int(db, "SELECT count(*) FROM sessions s WHERE end_ns > 60000000000 + "
			      "coalesce((SELECT max(last_ns) FROM chunks c WHERE c.session = s.id), 0)"),
		  0);
}

TEST_IMPL(help_for_every_command)
{
	static const char *const cmds[] = { "record", "attach", "import", "query", "tui", "doctor" };
	struct run_result r;

	setup();
	ASSERT_EQ(WEFT(&r, 10, "--help"), 0);
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (!strstr(r.out, cmds[i]))
			TEST_FAIL_("weft --help does not list %s", cmds[i]);
	proc_result_free(&r);
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		char want[64];
		ASSERT_EQ(WEFT(&r, 10, (char *)cmds[i], "--help"), 0);
		snprintf(want, sizeof want, "usage: weft %s", cmds[i]);
		if (strncmp(r.out, want, strlen(want)) != 0)
			TEST_FAIL_("weft %s --help: [%s]", cmds[i], r.out);
		ASSERT(count_lines(r.out) >= 5);
		proc_result_free(&r);
	}
	teardown();
	return 0;
}

TEST_IMPL(bad_arguments_are_usage_errors)
{
	static const char *const cases[][4] = {
		{ "record", NULL },
		{ "record", "--rotate", "fast", "true" },
		{ "attach", NULL },
		{ "attach", "abc", NULL },
		{ "attach", "0", NULL },
		{ "attach", "123", "--for", "soon" },
		{ "import", NULL },
		{ "query", NULL },
		{ "query", "--format", "xml", "select 1" },
		{ "tui", "--bogus", NULL },
		{ "tui", "a.db", "b.db", NULL },
		{ "no-such-command", NULL },
	};
	struct run_result r;

	setup();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *args[5] = { 0 };
		for (int j = 0; j < 4 && cases[i][j]; j++)
			args[j] = (char *)cases[i][j];
		if (weft(&r, 10, args) != 2)
			TEST_FAIL_("case %zu (%s %s): exit %d, want 2", i, cases[i][0],
				   cases[i][1] ? cases[i][1] : "", proc_exit_code(&r));
		assert_one_line_error(&r);
		proc_result_free(&r);
	}
	/* a pid that does not exist is not a usage error: exit 1, named */
	ASSERT_EQ(WEFT(&r, 10, "attach", "4000000"), 1);
	assert_one_line_error(&r);
	ASSERT(strstr(r.err, "no such process") != NULL);
	proc_result_free(&r);
	teardown();
	return 0;
}

TEST_IMPL(record_missing_command_leaves_nothing)
{
	struct run_result r;

	setup();
	/* 125: the recording itself failed (weft record --help) */
	ASSERT_EQ(WEFT(&r, 30, "record", "-o", path_in("x.db"), "--", "/no/such/program"), 125);
	assert_one_line_error(&r);
	ASSERT(strstr(r.err, "No such file") != NULL);
	ASSERT(access(path_in("x.db"), F_OK) != 0);
	proc_result_free(&r);
	teardown();
	return 0;
}

/* Finds the directory `weft record --keep-trace` printed. */
static void kept_trace(const char *out, char *dir, size_t len)
{
	const char *p = strstr(out, "trace kept in ");
	size_t n;

	if (!p)
		TEST_FAIL_("no 'trace kept in' in: [%s]", out);
	p += strlen("trace kept in ");
	n = strcspn(p, "\n");
	snprintf(dir, len, "%.*s", (int)n, p);
}

/* babeltrace2 DIR: its lines, the independent reading of the trace. */
static char *babeltrace(const char *dir)
{
	char *argv[] = { "babeltrace2", (char *)dir, NULL };
	struct run_result r;

	if (proc_run(argv, NULL, 120, &r) != 0 || proc_exit_code(&r) != 0)
		TEST_FAIL_("babeltrace2 %s failed: %s", dir, r.err);
	free(r.err);
	return r.out;
}

TEST_IMPL(record_every_example)
{
	char list[] = WEFT_EXAMPLES;
	struct run_result r;
	int n = 0;

	setup();
	for (char *name = strtok(list, " "); name; name = strtok(NULL, " ")) {
		char exe[512], dir[1024], db[600], sql[256];
		long long events, tasks, failed;
		char *bt;

		snprintf(exe, sizeof exe, "%s/%s", WEFT_EXAMPLES_DIR, name);
		snprintf(db, sizeof db, "%s/%s.db", tmpdir, name);
		if (WEFT(&r, 60, "record", "--keep-trace", "-o", db, "--", exe) != 0)
			TEST_FAIL_("weft record -- %s: exit %d: %s", name, proc_exit_code(&r), r.err);
		/* the example's own one line, then the summary */
		if (strncmp(r.out, name, strlen(name)) != 0)
			TEST_FAIL_("%s: its own line is missing: [%s]", name, r.out);
		parse_summary(r.out, &events, &tasks, &failed);
		if (!strstr(r.out, "loss: none"))
			TEST_FAIL_("%s: loss reported: [%s]", name, r.out);
		kept_trace(r.out, dir, sizeof dir);
		bt = babeltrace(dir);
		/* every weft event babeltrace2 reads was stored and counted */
		/* (a task is created by task_new or task_submit, and ended by
		 * task_end or by task_next, which ends one task and may start
		 * the next: probes/weft-tp.h) */
		ASSERT_EQ(events, count_matching(bt, " weft:"));
		ASSERT_EQ(tasks, count_matching(bt, " weft:task_new:") +
					 count_matching(bt, " weft:task_submit:"));
		ASSERT_EQ(failed, count_matching(bt, "status = ( \"error\""));
		ASSERT_EQ(sql_int(db, "SELECT count(*) FROM tasks WHERE created_ns IS NOT NULL"),
			  count_matching(bt, " weft:task_new:") +
				  count_matching(bt, " weft:task_submit:"));
		ASSERT_EQ(sql_int(db, "SELECT count(*) FROM tasks WHERE ended_ns IS NOT NULL"),
			  count_matching(bt, " weft:task_end:") +
				  count_matching(bt, " weft:task_next:"));
		ASSERT_EQ(sql_int(db, "SELECT count(*) FROM tasks WHERE started_ns IS NOT NULL"),
			  count_matching(bt, " weft:task_start:") +
				  count_matching(bt, " weft:task_next:") -
				  count_matching(bt, ", task = 0, ctx = "));
		ASSERT_EQ(sql_int(db, "SELECT count(*) FROM contexts WHERE created_ns IS NOT NULL"),
			  count_matching(bt, " weft:context_new:"));
		ASSERT_EQ(sql_int(db, "SELECT count(*) FROM processes"), 1);
		snprintf(sql, sizeof sql, "SELECT count(*) FROM processes WHERE name LIKE '%.10s%%'",
			 name);
		ASSERT_EQ(sql_int(db, sql), 1);
		assert_ended(db);
		free(bt);
		proc_result_free(&r);
		n++;
	}
	ASSERT_EQ(n, 16);
	teardown();
	return 0;
}

/* The lines of out after the summary ("weft record: N events, ...") that
 * report a finding: two spaces, the severity, then the detector's name
 * (report.c's brief form, as `weft record` prints its findings). */
static int finding_lines(const char *out, const char *detector)
{
	static const char *const sev[] = { "error", "warning", "info" };
	const char *p = strstr(out, " events, ");
	int n = 0;

	if (!p)
		TEST_FAIL_("no summary line in: [%s]", out);
	for (p = strchr(p, '\n'); p && *++p; p = strchr(p, '\n')) {
		for (size_t i = 0; i < sizeof sev / sizeof sev[0]; i++) {
			size_t len = strlen(sev[i]);
			const char *q = p + 2 + len;

			if (strncmp(p, "  ", 2) != 0 || strncmp(p + 2, sev[i], len) != 0 || *q != ' ')
				continue;
			while (*q == ' ')
				q++;
			if (!detector || (strncmp(q, detector, strlen(detector)) == 0 &&
					  q[strlen(detector)] == ' '))
				n++;
		}
	}
	return n;
}

/* weft record prints the findings of what it recorded after its summary:
 * the failing examples' (their detectors exist in every build), none for
 * healthy. */
TEST_IMPL(record_prints_findings)
{
	static const char *const cases[][2] = {
		{ "unobserved-error", "unobserved-error" },
		{ "detached-failure", "detached-failure" },
		{ "healthy", NULL },
	};
	struct run_result r;

	setup();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char exe[512], db[600];

		snprintf(exe, sizeof exe, "%s/%s", WEFT_EXAMPLES_DIR, cases[i][0]);
		snprintf(db, sizeof db, "%s/%s.db", tmpdir, cases[i][0]);
		if (WEFT(&r, 60, "record", "-o", db, "--", exe) != 0)
			TEST_FAIL_("weft record -- %s: exit %d: %s", cases[i][0], proc_exit_code(&r),
				   r.err);
		if (cases[i][1] && finding_lines(r.out, cases[i][1]) != 1)
			TEST_FAIL_("%s: expected one line \"  <severity> %s ...\" after the summary, "
				   "got: [%s]", cases[i][0], cases[i][1], r.out);
		if (!cases[i][1] && finding_lines(r.out, NULL) != 0)
			TEST_FAIL_("%s: findings printed for a healthy program: [%s]", cases[i][0],
				   r.out);
		proc_result_free(&r);
	}
	teardown();
	return 0;
}

/* A thread serves a context over an interval, not forever: loop-bind's main
 * thread runs loop bind-a (weft_loop_run_until), serves nothing for 50 ms,
 * then runs bind-b.  The store, from the real recorded trace, must show two
 * bounded bindings of that thread, in that order, with the gap between them
 * in which "which context did it serve at T" has no answer. */
TEST_IMPL(record_thread_bindings)
{
	const char *main_thread = "(SELECT t.id FROM threads t JOIN processes p ON "
				  "p.id = t.process WHERE t.tid = p.pid)";
	struct run_result r;
	char db[600], sql[1024], got[256];
	int64_t a_end, b_begin;

	setup();
	snprintf(db, sizeof db, "%s/bind.db", tmpdir);
	if (WEFT(&r, 60, "record", "-o", db, "--", LOOP_BIND) != 0)
		TEST_FAIL_("weft record -- loop-bind: exit %d: %s", proc_exit_code(&r), r.err);
	ASSERT_NOT_NULL(strstr(r.out, "loop-bind: ok"));
	snprintf(sql, sizeof sql, "SELECT count(*) FROM thread_bindings WHERE thread = %s",
		 main_thread);
	ASSERT_EQ(sql_int(db, sql), 2);
	snprintf(sql, sizeof sql, "SELECT group_concat(ctx_name, ',') FROM (SELECT ctx_name "
		 "FROM thread_binding_summary WHERE thread = %s AND begin_ns < end_ns "
		 "ORDER BY begin_ns)", main_thread);
	sql_text(db, sql, got, sizeof got);
	ASSERT_STR_EQ(got, "bind-a,bind-b");
	snprintf(sql, sizeof sql, "SELECT end_ns FROM thread_binding_summary WHERE thread = %s "
		 "AND ctx_name = 'bind-a'", main_thread);
	a_end = sql_int(db, sql);
	snprintf(sql, sizeof sql, "SELECT begin_ns FROM thread_binding_summary WHERE "
		 "thread = %s AND ctx_name = 'bind-b'", main_thread);
	b_begin = sql_int(db, sql);
	ASSERT_GE(b_begin - a_end, 40 * 1000000LL); /* the 50 ms in which it served nothing */
	/* In the gap, the thread served no context. */
	snprintf(sql, sizeof sql, "SELECT count(*) FROM thread_bindings WHERE thread = %s AND "
		 "(begin_ns IS NULL OR begin_ns <= %lld) AND (end_ns IS NULL OR end_ns > %lld)",
		 main_thread, (long long)(a_end + 20000000), (long long)(a_end + 20000000));
	ASSERT_EQ(sql_int(db, sql), 0);
	/* threads.ctx is only the context of its latest worker_state(start). */
	snprintf(sql, sizeof sql, "SELECT c.name FROM threads t JOIN contexts c ON c.id = t.ctx "
		 "WHERE t.id = %s", main_thread);
	sql_text(db, sql, got, sizeof got);
	ASSERT_STR_EQ(got, "bind-b");
	proc_result_free(&r);
	teardown();
	return 0;
}

TEST_IMPL(attach_mid_run)
{
	char *argv[] = { SEQ_TASKS, "200", "50", NULL }; /* 4 s at 50 tasks/s */
	char pid[32], db[600];
	struct run_result r;
	int64_t count, lo, hi;
	pid_t p;

	setup();
	snprintf(db, sizeof db, "%s/attach.db", tmpdir);
	p = proc_spawn(argv, NULL, NULL, NULL);
	ASSERT_GT(p, 0);
	usleep(1000000);
	snprintf(pid, sizeof pid, "%d", (int)p);
	ASSERT_EQ(WEFT(&r, 30, "attach", pid, "--for", "1500ms", "-o", db), 0);
	ASSERT(proc_wait(p, 10000) >= 0);
	count = sql_int(db, "SELECT count(*) FROM tasks");
	lo = sql_int(db, "SELECT min(task) FROM tasks");
	hi = sql_int(db, "SELECT max(task) FROM tasks");
	fprintf(stderr, "# attached: tasks %lld..%lld (%lld)\n", (long long)lo, (long long)hi,
		(long long)count);
	ASSERT_GT(lo, 1);           /* it started mid-run */
	ASSERT_LT(hi, 200);         /* and stopped before the end */
	ASSERT_EQ(hi - lo + 1, count); /* with no gap in between */
	ASSERT_GE(count, 40);       /* >= 0.8 s worth at 50/s */
	assert_ended(db);
	proc_result_free(&r);
	teardown();
	return 0;
}

TEST_IMPL(sigkill_traced_program)
{
	char *argv[] = { WEFT_BIN, "record", NULL, NULL, "--", SEQ_TASKS, "5000", "0", "--hold",
			 NULL };
	char buf[4096] = "", env_tmp[300];
	char *env[] = { env_tmp, NULL };
	int fd, status;
	pid_t w, child;

	setup();
	snprintf(env_tmp, sizeof env_tmp, "TMPDIR=%s", tmpdir);
	argv[2] = "-o";
	argv[3] = path_in("kill.db");
	w = proc_spawn(argv, env, &fd, path_in("err.txt"));
	ASSERT_GT(w, 0);
	ASSERT_EQ(proc_read_until(fd, "ready 5000", 30000, buf, sizeof buf), 0);
	child = proc_child_of(w);
	ASSERT_GT(child, 0);
	ASSERT_EQ(kill(child, SIGKILL), 0);
	ASSERT_EQ(proc_read_until(fd, "killed by signal 9", 30000, buf, sizeof buf), 0);
	status = proc_wait(w, 30000);
	/* the recording is stored; weft exits with the program's status */
	ASSERT(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGKILL);
	ASSERT(strstr(buf, "weft record: store ") != NULL);
	/* every task it emitted before the kill is stored, once */
	ASSERT_EQ(sql_int(argv[3], "SELECT count(*) FROM tasks"), 5000);
	ASSERT_EQ(sql_int(argv[3], "SELECT count(DISTINCT task) FROM tasks"), 5000);
	ASSERT_EQ(sql_int(argv[3], "SELECT max(task) FROM tasks"), 5000);
	ASSERT_EQ(sql_int(argv[3], "SELECT count(*) FROM tasks WHERE ended_ns IS NULL"), 0);
	close(fd);
	teardown();
	return 0;
}

TEST_IMPL(sigkill_weft_then_import_completes)
{
	char *argv[] = { WEFT_BIN, "record", "--rotate", "200ms", "-o", NULL, "--", SEQ_TASKS,
			 "10000", "1000", NULL };
	char env_tmp[300], pattern[600], name[256], check[64], sql[128];
	char *env[] = { env_tmp, NULL };
	const char *db;
	struct run_result r;
	int64_t before;
	glob_t g;
	pid_t w, child;

	setup();
	db = path_in("k.db");
	snprintf(env_tmp, sizeof env_tmp, "TMPDIR=%s", tmpdir);
	argv[5] = (char *)db;
	w = proc_spawn(argv, env, NULL, path_in("err.txt"));
	ASSERT_GT(w, 0);
	/* seq-tasks runs 10 s: kill weft once a chunk is committed */
	for (int i = 0; i < 400 && sql_int_try(db, "SELECT count(*) FROM chunks") < 1; i++)
		usleep(50000);
	child = proc_child_of(w);
	ASSERT_GT(child, 0);
	ASSERT_EQ(kill(w, SIGKILL), 0);
	ASSERT(proc_wait(w, 5000) >= 0);
	snprintf(pattern, sizeof pattern, "%s/weft-rec.*/weft-%d-*", tmpdir, (int)w);
	ASSERT_EQ(glob(pattern, 0, NULL, &g), 0);
	ASSERT_EQ(g.gl_pathc, 1);
	snprintf(name, sizeof name, "%s", strrchr(g.gl_pathv[0], '/') + 1);
	/* while the traced program runs, a weft that starts leaves its
	 * session recording it (reaping it now would lose the rest) */
	ASSERT_EQ(WEFT(&r, 60, "record", "-o", path_in("early.db"), "--", "true"), 0);
	if (kill(child, 0) == 0) {
		char *l[] = { "lttng", "list", name, NULL };
		struct run_result lr;

		ASSERT(strstr(r.err, name) && strstr(r.err, "still records pid"));
		ASSERT_EQ(proc_run(l, NULL, 30, &lr), 0);
		ASSERT_EQ(proc_exit_code(&lr), 0); /* still there */
		proc_result_free(&lr);
	}
	proc_result_free(&r);
	/* the traced program is unaffected: it finishes its 10000 tasks */
	for (int i = 0; i < 150 && kill(child, 0) == 0; i++)
		usleep(100000);
	ASSERT(kill(child, 0) != 0);
	before = sql_int(db, "SELECT count(*) FROM tasks");
	fprintf(stderr, "# tasks in the store when weft was killed: %lld (processes %lld, "
			"max task %lld)\n", (long long)before,
		(long long)sql_int(db, "SELECT count(*) FROM processes"),
		(long long)sql_int(db, "SELECT max(task) FROM tasks"));
	ASSERT_GT(before, 0);
	ASSERT_LT(before, 10000);

	/* the LTTng session outlives weft; the next weft record destroys it
	 * (its final rotation archives the last chunk) and says where the
	 * trace is; importing that directory completes the recording */
	/* the killed recorder could not end its session: "still recording" */
	ASSERT_EQ(sql_int(db, "SELECT count(*) FROM sessions WHERE end_ns IS NULL"), 1);
	ASSERT_EQ(WEFT(&r, 60, "record", "-o", path_in("other.db"), "--", "true"), 0);
	/* Any weft record reaps it: on a session daemon shared with other
	 * users' recordings another weft may have been first, so it is either
	 * named here or already gone (checked below). */
	if ((!strstr(r.err, name) || !strstr(r.err, "died")) && strstr(r.err, "destroyed"))
		fprintf(stderr, "# another weft reaped %s first: [%s]\n", name, r.err);
	proc_result_free(&r);
	/* a recording of a program with no events has ended too */
	{
		char other[600]; /* path_in's buffers rotate: db must stay valid */

		snprintf(other, sizeof other, "%s/other.db", tmpdir);
		ASSERT_EQ(sql_int(other, "SELECT count(*) FROM sessions"), 1);
		assert_ended(other);
	}
	{
		char *l[] = { "lttng", "list", name, NULL };
		struct run_result lr;
		ASSERT_EQ(proc_run(l, NULL, 30, &lr), 0);
		ASSERT_NE(proc_exit_code(&lr), 0); /* gone */
		proc_result_free(&lr);
	}
	ASSERT_EQ(WEFT(&r, 60, "import", g.gl_pathv[0], "-o", (char *)db), 0);
	proc_result_free(&r);
	ASSERT_EQ(sql_int(db, "SELECT count(*) FROM tasks"), 10000);
	ASSERT_EQ(sql_int(db, "SELECT count(DISTINCT task) FROM tasks"), 10000);
	ASSERT_EQ(sql_int(db, "SELECT min(task) FROM tasks"), 1);
	ASSERT_EQ(sql_int(db, "SELECT max(task) FROM tasks"), 10000);
	ASSERT_EQ(sql_int(db, "SELECT count(*) FROM sessions"), 1);
	/* import ends the recording at its last event */
	assert_ended(db);
	ASSERT_EQ(sql_int(db, "SELECT count(*) FROM sessions WHERE end_ns = "
			      "(SELECT max(last_ns) FROM chunks)"), 1);
	sql_text(db, "PRAGMA integrity_check", check, sizeof check);
	ASSERT_STR_EQ(check, "ok");
	/* importing again changes nothing */
	ASSERT_EQ(WEFT(&r, 60, "import", g.gl_pathv[0], "-o", (char *)db), 0);
	ASSERT(strstr(r.out, "already") != NULL);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM tasks");
	ASSERT_EQ(sql_int(db, sql), 10000);
	proc_result_free(&r);
	globfree(&g);
	teardown();
	return 0;
}

/* A trace recorded by weft 0.1 (provider schema v1: tests/data) still
 * imports: every task babeltrace2 reads in it is stored, ended as often as
 * it ended, with its tokens. */
TEST_IMPL(import_v1_trace)
{
	char dir[] = WEFT_SOURCE_DIR "/tests/data/v1-trace-healthy";
	struct run_result r;
	char *bt;

	setup();
	if (WEFT(&r, 60, "import", dir, "-o", path_in("v1.db")) != 0)
		TEST_FAIL_("weft import of a v1 trace: exit %d: %s", proc_exit_code(&r), r.err);
	proc_result_free(&r);
	bt = babeltrace(dir);
	ASSERT_GT(count_matching(bt, " weft:task_new:"), 10);
	ASSERT_EQ(count_matching(bt, " weft:task_submit:"), 0);
	ASSERT_EQ(sql_int(path_in("v1.db"), "SELECT count(*) FROM tasks WHERE created_ns IS NOT NULL"),
		  count_matching(bt, " weft:task_new:"));
	ASSERT_EQ(sql_int(path_in("v1.db"), "SELECT count(*) FROM tasks WHERE ended_ns IS NOT NULL"),
		  count_matching(bt, " weft:task_end:"));
	ASSERT_EQ(sql_int(path_in("v1.db"), "SELECT count(*) FROM tasks WHERE started_ns IS NOT NULL"),
		  count_matching(bt, " weft:task_start:"));
	ASSERT_EQ(sql_int(path_in("v1.db"), "SELECT count(*) FROM tokens WHERE created_ns IS NOT NULL"),
		  count_matching(bt, " weft:token_new:"));
	free(bt);
	return 0;
}

/* weft record exits with CMD's own status (a signal as 128+N), prints the
 * findings after its summary, and weft report gates on them: --fail-on,
 * --baseline. */
TEST_IMPL(record_status_and_findings)
{
	char sh[] = "/bin/sh", c[] = "-c", exit3[] = "exit 3", killed[] = "kill -TERM $$";
	char ex[512], healthy[512], json[600];
	struct run_result r;
	FILE *f;

	setup();
	ASSERT_EQ(WEFT(&r, 30, "record", "--no-detect", "-o", path_in("s.db"), "--", sh, c, exit3),
		  3);
	ASSERT(strstr(r.out, "exited with status 3") != NULL);
	proc_result_free(&r);
	ASSERT_EQ(WEFT(&r, 30, "record", "--no-detect", "-o", path_in("s.db"), "--", sh, c,
		       killed), 128 + SIGTERM);
	ASSERT(strstr(r.out, "killed by signal 15") != NULL);
	proc_result_free(&r);

	snprintf(ex, sizeof ex, "%s/unobserved-error", WEFT_EXAMPLES_DIR);
	ASSERT_EQ(WEFT(&r, 60, "record", "-o", path_in("u.db"), "--", ex), 0);
	if (!strstr(r.out, "\n  error   unobserved-error ") ||
	    !strstr(r.out, "weft record: 1 finding (1 error, 0 warning, 0 info)"))
		TEST_FAIL_("the finding is not printed after the summary: [%s]", r.out);
	proc_result_free(&r);
	snprintf(healthy, sizeof healthy, "%s/healthy", WEFT_EXAMPLES_DIR);
	ASSERT_EQ(WEFT(&r, 60, "record", "-o", path_in("h.db"), "--", healthy), 0);
	ASSERT(strstr(r.out, "weft record: 0 findings") != NULL);
	proc_result_free(&r);

	ASSERT_EQ(WEFT(&r, 60, "report", path_in("u.db"), "--fail-on", "error"), 1);
	ASSERT(strstr(r.out, "save_settings") != NULL);
	proc_result_free(&r);
	ASSERT_EQ(WEFT(&r, 60, "report", path_in("h.db"), "--fail-on", "info"), 0);
	proc_result_free(&r);
	/* Its own report as the baseline: nothing new, so nothing fails. */
	ASSERT_EQ(WEFT(&r, 60, "report", path_in("u.db"), "--format", "json"), 0);
	snprintf(json, sizeof json, "%s", path_in("u.json"));
	f = fopen(json, "w");
	ASSERT_NOT_NULL(f);
	fputs(r.out, f);
	fclose(f);
	proc_result_free(&r);
	ASSERT_EQ(WEFT(&r, 60, "report", path_in("u.db"), "--fail-on", "info", "--baseline", json),
		  0);
	ASSERT(strstr(r.out, "1 in the baseline") != NULL);
	proc_result_free(&r);
	/* Bad input: one line, non-zero. */
	ASSERT_EQ(WEFT(&r, 30, "report", path_in("u.db"), "--fail-on", "fatal"), 2);
	assert_one_line_error(&r);
	proc_result_free(&r);
	ASSERT_EQ(WEFT(&r, 30, "report", path_in("nothing.db")), 1);
	assert_one_line_error(&r);
	proc_result_free(&r);
	teardown();
	return 0;
}

TEST_IMPL(import_refuses_bad_input)
{
	char *rec[] = { "record", "--keep-trace", "-o", NULL, "--", SEQ_TASKS, "100", "0", NULL };
	char dir[1024], cmd[2048], stream[1100];
	struct run_result r;
	glob_t g;

	setup();
	/* a regular file, an empty directory */
	ASSERT_EQ(system("true"), 0);
	{
		FILE *f = fopen(path_in("file.txt"), "w");
		ASSERT_NOT_NULL(f);
		fputs("not a trace\n", f);
		fclose(f);
	}
	ASSERT_EQ(WEFT(&r, 30, "import", path_in("file.txt"), "-o", path_in("a.db")), 1);
	assert_one_line_error(&r);
	proc_result_free(&r);
	ASSERT_EQ(mkdir(path_in("empty"), 0755), 0);
	ASSERT_EQ(WEFT(&r, 30, "import", path_in("empty"), "-o", path_in("a.db")), 1);
	assert_one_line_error(&r);
	proc_result_free(&r);
	ASSERT(access(path_in("a.db"), F_OK) != 0);

	/* a real trace, then a truncated copy of it */
	rec[3] = path_in("good.db");
	ASSERT_EQ(weft(&r, 60, rec), 0);
	kept_trace(r.out, dir, sizeof dir);
	proc_result_free(&r);
	snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", dir, path_in("trunc"));
	ASSERT_EQ(system(cmd), 0);
	snprintf(stream, sizeof stream, "%s/archives/*/ust/uid/*/64-bit/weft_*", path_in("trunc"));
	ASSERT_EQ(glob(stream, 0, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct stat sb;
		ASSERT_EQ(stat(g.gl_pathv[i], &sb), 0);
		if (sb.st_size > 100)
			ASSERT_EQ(truncate(g.gl_pathv[i], sb.st_size / 2 + 7), 0);
	}
	globfree(&g);
	ASSERT_EQ(WEFT(&r, 30, "import", path_in("trunc"), "-o", path_in("t.db")), 1);
	assert_one_line_error(&r);
	ASSERT(strstr(r.err, "Cannot decode trace") != NULL);
	ASSERT(access(path_in("t.db"), F_OK) != 0);
	proc_result_free(&r);

	/* a valid CTF trace without weft events */
	snprintf(cmd, sizeof cmd,
		 "lttng create wt-nw-%d --output='%s' >/dev/null && "
		 "lttng enable-event -s wt-nw-%d -u 'lttng_ust_statedump:*' >/dev/null && "
		 "lttng start wt-nw-%d >/dev/null && %s 10 0 && "
		 "lttng stop wt-nw-%d >/dev/null; lttng destroy wt-nw-%d >/dev/null",
		 (int)getpid(), path_in("noweft"), (int)getpid(), (int)getpid(), SEQ_TASKS,
		 (int)getpid(), (int)getpid());
	ASSERT_EQ(system(cmd), 0);
	ASSERT_EQ(WEFT(&r, 30, "import", path_in("noweft"), "-o", path_in("n.db")), 1);
	assert_one_line_error(&r);
	ASSERT(strstr(r.err, "not a weft trace") != NULL);
	ASSERT(access(path_in("n.db"), F_OK) != 0);
	proc_result_free(&r);

	/* the good one imports, once */
	ASSERT_EQ(WEFT(&r, 30, "import", dir, "-o", path_in("i.db")), 0);
	ASSERT_EQ(sql_int(path_in("i.db"), "SELECT count(*) FROM tasks"), 100);
	proc_result_free(&r);
	teardown();
	return 0;
}

/* The archives of a kept recording, sorted by name (= time). */
static void list_archives(const char *dir, glob_t *g)
{
	char pattern[1100];

	snprintf(pattern, sizeof pattern, "%s/archives/*", dir);
	ASSERT_EQ(glob(pattern, 0, NULL, g), 0);
}

/* A recording is stored once, however it arrives: weft record stored it;
 * importing one of its chunks, or the whole directory, into the same store
 * adds nothing and says so; into a new store, a renamed copy of a chunk
 * first and then the whole recording give the same content as weft record
 * did, in one session, with the loss still exact although one chunk came
 * before its predecessor. */
TEST_IMPL(import_same_data_once)
{
	char *rec[] = { "record", "--keep-trace", "--rotate", "200ms", "--subbuf-size", "4k",
			"--num-subbuf", "2", "-o", NULL, "--", SEQ_TASKS, "300000", "150000",
			NULL };
	char dir[1024], cmd[2600], copy[600];
	const char *db, *db2;
	struct run_result r;
	int64_t tasks, events, stored, discarded, nchunks;
	glob_t g;

	setup();
	db = path_in("r.db");
	db2 = path_in("i.db");
	rec[9] = (char *)db;
	ASSERT_EQ(weft(&r, 120, rec), 0);
	kept_trace(r.out, dir, sizeof dir);
	proc_result_free(&r);
	tasks = sql_int(db, "SELECT count(*) FROM tasks");
	stored = sql_int(db, "SELECT count(created_ns) + count(ended_ns) FROM tasks");
	events = sql_int(db, "SELECT sum(events) FROM chunks");
	nchunks = sql_int(db, "SELECT count(*) FROM chunks");
	discarded = sql_int(db, "SELECT discarded_events FROM sessions");
	list_archives(dir, &g);
	fprintf(stderr, "# recorded: %lld tasks, %lld events in %lld chunks (%zu archives), "
			"LTTng discarded %lld\n", (long long)tasks, (long long)events,
		(long long)nchunks, g.gl_pathc, (long long)discarded);
	ASSERT_GE(nchunks, 3);
	ASSERT_EQ((int64_t)g.gl_pathc, nchunks);
	ASSERT_EQ(stored, events);

	/* What weft record stored: one chunk of it, then all of it. */
	ASSERT_EQ(WEFT(&r, 60, "import", g.gl_pathv[g.gl_pathc / 2], "-o", (char *)db), 0);
	if (!strstr(r.out, "weft import: already in the store: ") || count_lines(r.out) != 1)
		TEST_FAIL_("expected one line 'already in the store', got: [%s]", r.out);
	proc_result_free(&r);
	ASSERT_EQ(WEFT(&r, 60, "import", dir, "-o", (char *)db), 0);
	if (!strstr(r.out, "weft import: already in the store: ") || count_lines(r.out) != 1)
		TEST_FAIL_("expected one line 'already in the store', got: [%s]", r.out);
	proc_result_free(&r);
	ASSERT_EQ(sql_int(db, "SELECT count(*) FROM sessions"), 1);
	ASSERT_EQ(sql_int(db, "SELECT count(*) FROM tasks"), tasks);
	ASSERT_EQ(sql_int(db, "SELECT sum(events) FROM chunks"), events);

	/* A renamed copy of a middle chunk first, then the whole recording. */
	snprintf(copy, sizeof copy, "%s", path_in("renamed-chunk"));
	snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", g.gl_pathv[g.gl_pathc / 2], copy);
	ASSERT_EQ(system(cmd), 0);
	ASSERT_EQ(WEFT(&r, 60, "import", copy, "-o", (char *)db2), 0);
	proc_result_free(&r);
	ASSERT_EQ(WEFT(&r, 60, "import", dir, "-o", (char *)db2), 0);
	if (!strstr(r.out, "1 chunk was already in the store"))
		TEST_FAIL_("the copied chunk was not recognised: [%s]", r.out);
	proc_result_free(&r);
	ASSERT_EQ(sql_int(db2, "SELECT count(*) FROM sessions"), 1);
	ASSERT_EQ(sql_int(db2, "SELECT count(*) FROM chunks"), nchunks);
	ASSERT_EQ(sql_int(db2, "SELECT count(*) FROM tasks"), tasks);
	ASSERT_EQ(sql_int(db2, "SELECT count(DISTINCT task) FROM tasks"), tasks);
	ASSERT_EQ(sql_int(db2, "SELECT count(created_ns) + count(ended_ns) FROM tasks"), stored);
	ASSERT_EQ(sql_int(db2, "SELECT sum(events) FROM chunks"), events);
	/* Loss: exact, the same as LTTng's count for the recording. */
	ASSERT_EQ(sql_int(db2, "SELECT coalesce(sum(count), 0) FROM loss WHERE kind = 0"),
		  discarded);
	ASSERT_EQ(sql_int(db2, "SELECT count(*) FROM loss WHERE exact IS NOT 1"), 0);
	ASSERT_EQ(sql_int(db, "SELECT coalesce(sum(count), 0) FROM loss WHERE kind = 0"),
		  discarded);
	/* And the copy again. */
	ASSERT_EQ(WEFT(&r, 60, "import", copy, "-o", (char *)db2), 0);
	ASSERT(strstr(r.out, "weft import: already in the store: ") != NULL);
	proc_result_free(&r);
	ASSERT_EQ(sql_int(db2, "SELECT count(*) FROM tasks"), tasks);
	globfree(&g);
	teardown();
	return 0;
}

static uint64_t be64_at(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Cuts every stream of the trace directory `dir` with at least two packets
 * to its first half, index and stream file alike: a valid trace holding a
 * prefix of the original's packets.  Returns how many streams it cut. */
static int keep_first_half(const char *dir)
{
	char pattern[1100], stream[1200];
	int cut = 0;
	glob_t g;

	snprintf(pattern, sizeof pattern, "%s/archives/*/ust/uid/*/64-bit/index/*.idx", dir);
	ASSERT_EQ(glob(pattern, 0, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		unsigned char buf[1 << 16];
		FILE *f = fopen(g.gl_pathv[i], "rb");
		size_t len, elen, n, k;
		char *slash;

		ASSERT_NOT_NULL(f);
		len = fread(buf, 1, sizeof buf, f);
		fclose(f);
		ASSERT_GE(len, 16);
		elen = (size_t)buf[12] << 24 | (size_t)buf[13] << 16 | (size_t)buf[14] << 8 | buf[15];
		n = (len - 16) / elen;
		if (n < 2)
			continue;
		k = n / 2;
		/* index/<stream>.idx -> <stream> */
		snprintf(stream, sizeof stream, "%s", g.gl_pathv[i]);
		slash = strrchr(stream, '/');
		memmove(slash - strlen("index"), slash + 1, strlen(slash + 1) + 1);
		stream[strlen(stream) - 4] = '\0';
		ASSERT_EQ(truncate(stream, (off_t)(be64_at(buf + 16 + (k - 1) * elen) +
						   be64_at(buf + 16 + (k - 1) * elen + 8) / 8)),
			  0);
		ASSERT_EQ(truncate(g.gl_pathv[i], (off_t)(16 + k * elen)), 0);
		cut++;
	}
	globfree(&g);
	return cut;
}

/* A plain (not rotated) LTTng trace directory and the same session's data
 * once rotated into archives/ are the same data; a copy holding only the
 * first half of a chunk's packets stores those, and then the whole chunk is
 * refused (it shares packets with the store but is not the same data)
 * instead of storing its first half twice. */
TEST_IMPL(import_overlap)
{
	char cmd[4096], name[64], copy[600];
	const char *plain, *db, *db2;
	struct run_result r;
	int64_t tasks;

	setup();
	plain = path_in("plain");
	db = path_in("a.db");
	db2 = path_in("b.db");
	snprintf(name, sizeof name, "wt-ov-%d", (int)getpid());
	snprintf(cmd, sizeof cmd,
		 "lttng create %s --output='%s' >/dev/null && "
		 "lttng enable-channel -s %s -u --buffers-uid --subbuf-size=4096 "
		 "--num-subbuf=64 c >/dev/null && "
		 "lttng add-context -s %s -u -c c -t vpid -t vtid -t procname >/dev/null && "
		 "lttng enable-event -s %s -u -c c 'weft:*' >/dev/null && "
		 "lttng start %s >/dev/null && %s 3000 20000 && lttng stop %s >/dev/null",
		 name, plain, name, name, name, name, SEQ_TASKS, name);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof cmd, "lttng destroy %s >/dev/null 2>&1", name);
		(void)system(cmd);
		TEST_FAIL_("cannot record the plain trace");
	}
	ASSERT_EQ(WEFT(&r, 60, "import", (char *)plain, "-o", (char *)db), 0);
	proc_result_free(&r);
	tasks = sql_int(db, "SELECT count(*) FROM tasks");
	ASSERT_GT(tasks, 0);
	/* Rotating the stopped session moves its trace into archives/. */
	snprintf(cmd, sizeof cmd, "lttng rotate %s >/dev/null; lttng destroy %s >/dev/null",
		 name, name);
	ASSERT_EQ(system(cmd), 0);
	ASSERT_EQ(WEFT(&r, 60, "import", (char *)plain, "-o", (char *)db), 0);
	if (!strstr(r.out, "weft import: already in the store: ") || count_lines(r.out) != 1)
		TEST_FAIL_("the rotated trace was not recognised: [%s]", r.out);
	proc_result_free(&r);
	ASSERT_EQ(sql_int(db, "SELECT count(*) FROM tasks"), tasks);
	ASSERT_EQ(sql_int(db, "SELECT count(*) FROM chunks"), 1);

	/* The first half of it, then all of it. */
	snprintf(copy, sizeof copy, "%s", path_in("half"));
	snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", plain, copy);
	ASSERT_EQ(system(cmd), 0);
	ASSERT_GE(keep_first_half(copy), 1);
	ASSERT_EQ(WEFT(&r, 60, "import", copy, "-o", (char *)db2), 0);
	proc_result_free(&r);
	ASSERT_LT(sql_int(db2, "SELECT count(*) FROM tasks"), tasks);
	ASSERT_EQ(WEFT(&r, 60, "import", (char *)plain, "-o", (char *)db2), 1);
	assert_one_line_error(&r);
	if (!strstr(r.err, "shares packets with the store"))
		TEST_FAIL_("not refused as a partial overlap: [%s]", r.err);
	proc_result_free(&r);
	ASSERT_EQ(sql_int(db2, "SELECT count(*) FROM chunks"), 1);
	teardown();
	return 0;
}

/* No LTTng session of this test's recordings is left (their trace output
 * is under tmpdir). */
static void assert_no_session_left(void)
{
	char *l[] = { "lttng", "list", NULL };
	struct run_result lr;

	ASSERT_EQ(proc_run(l, NULL, 30, &lr), 0);
	if (strstr(lr.out, tmpdir))
		TEST_FAIL_("an LTTng session of this test is left: [%s]", lr.out);
	proc_result_free(&lr);
}

/* "N string(s) longer than 256 bytes were cut" in out: N, or -1. */
static long long cut_count(const char *out)
{
	const char *p = strstr(out, " longer than 256 bytes");
	long long n = -1;

	if (!p)
		return -1;
	while (p > out && p[-1] != ' ' && p[-1] != '(')
		p--;
	while (p > out && p[-1] == ' ')
		p--;
	while (p > out && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (sscanf(p, "%lld", &n) != 1)
		return -1;
	return n;
}

/*
 * A program with its own copy of the provider (no libweft, so no bound on
 * its strings) emits 1 MiB strings, control bytes, terminal escapes and
 * invalid UTF-8.  The recorder survives (it used to overflow its batch
 * arena and die with SIGSEGV, leaving its LTTng session behind), stores
 * every event with its strings cut at the documented bound, counts the
 * cuts, stores them, and says so; import and weftd read the same trace
 * through the same decoder.
 */
TEST_IMPL(record_hostile_strings)
{
	/* hostile-tp's 5 big events hold 6 strings of 1 MiB */
	const long long want_cut = 6;
	const char *db = NULL;
	char dir[1024], check[64], hex[512], cmd[4096];
	struct run_result r;

	setup();
	db = path_in("h.db");
	ASSERT_EQ(WEFT(&r, 120, "record", "--keep-trace", "-o", (char *)db, "--", HOSTILE_TP), 0);
	ASSERT(strstr(r.out, "hostile-tp: 30 events") != NULL);
	if (cut_count(r.out) != want_cut)
		TEST_FAIL_("the summary does not report %lld cut strings: [%s]", want_cut, r.out);
	kept_trace(r.out, dir, sizeof dir);
	proc_result_free(&r);
	assert_no_session_left();

	sql_text(db, "PRAGMA integrity_check", check, sizeof check);
	ASSERT_STR_EQ(check, "ok");
	ASSERT_EQ(sql_int(db, "SELECT sum(truncated_strings) FROM chunks"), want_cut);
	ASSERT_EQ(sql_int(db, "SELECT sum(events) FROM chunks"), 30);
	ASSERT_EQ(sql_int(db, "SELECT count(*) FROM annotations"), 6);
	ASSERT_EQ(sql_int(db, "SELECT count(*) FROM cancellations"), 6);
	ASSERT_EQ(sql_int(db, "SELECT count(*) FROM blocks"), 1); /* nested: outermost kept */
	ASSERT_EQ(sql_int(db, "SELECT count(*) FROM contexts"), 6);
	/* cut at the bound, never longer; the prefix survives */
	ASSERT_EQ(sql_int(db, "SELECT max(length(CAST(s AS BLOB))) FROM strings"), 256);
	ASSERT_EQ(sql_int(db, "SELECT length(CAST(value AS BLOB)) FROM annotations "
			      "WHERE value LIKE 'BIG:b%'"), 256);
	ASSERT_EQ(sql_int(db, "SELECT length(CAST(name AS BLOB)) FROM contexts WHERE ctx = 1"),
		  256);
	/* hostile bytes are stored as the program gave them */
	sql_text(db, "SELECT hex(value) FROM annotations a JOIN tasks t ON a.task = t.id "
		     "WHERE t.task = 100", hex, sizeof hex);
	ASSERT_STR_EQ(hex, "1B5D303B6F776E6564071B5B324A1B5B33316D726564");
	sql_text(db, "SELECT hex(value) FROM annotations a JOIN tasks t ON a.task = t.id "
		     "WHERE t.task = 102", hex, sizeof hex);
	ASSERT_STR_EQ(hex, "626164FFFEC328E28275746638");

	/* weft import of the same trace: the same cuts, reported */
	ASSERT_EQ(WEFT(&r, 120, "import", dir, "-o", path_in("i.db")), 0);
	if (cut_count(r.out) != want_cut)
		TEST_FAIL_("import does not report %lld cut strings: [%s]", want_cut, r.out);
	proc_result_free(&r);
	ASSERT_EQ(sql_int(path_in("i.db"), "SELECT sum(truncated_strings) FROM chunks"), want_cut);
	assert_ended(path_in("i.db"));
	sql_text(path_in("i.db"), "PRAGMA integrity_check", check, sizeof check);
	ASSERT_STR_EQ(check, "ok");

#ifdef WEFTD
	/* weftd, the trace filed as a relayd files it: BASE/HOST/SESSION/archives */
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/base/hostX' && cp -r '%s' '%s/base/hostX/s-1'",
		 tmpdir, dir, tmpdir);
	ASSERT_EQ(system(cmd), 0);
	{
		char *argv[] = { WEFTD, "--relayd-output", path_in("base"), "-o", path_in("d.db"),
				 "--once", NULL };

		ASSERT_EQ(proc_run(argv, NULL, 120, &r), 0);
		if (proc_exit_code(&r) != 0 || !strstr(r.out, "6 strings cut"))
			TEST_FAIL_("weftd: exit %d: [%s] [%s]", proc_exit_code(&r), r.out, r.err);
		proc_result_free(&r);
	}
	ASSERT_EQ(sql_int(path_in("d.db"), "SELECT sum(truncated_strings) FROM chunks"), want_cut);
	sql_text(path_in("d.db"), "PRAGMA integrity_check", check, sizeof check);
	ASSERT_STR_EQ(check, "ok");
#else
	(void)cmd;
#endif
	teardown();
	return 0;
}

/*
 * weft record deletes a chunk only after its transaction is durable: under
 * strace, every committed chunk's first file removal comes after a sync
 * (fsync/fdatasync) of the store's WAL or database that happened after the
 * previous chunk was removed, i.e. after this chunk's COMMIT returned.  With
 * synchronous = NORMAL nothing synced the WAL between commits (only
 * checkpoints do), so a power loss could roll back commits whose chunks
 * were gone.
 */
TEST_IMPL(record_deletes_only_durable_chunks)
{
	char trace[600], rate[] = "1000";
	char *argv[] = { "strace", "-f", "-y", "-qq", "-o", trace, "-e",
			 "trace=fsync,fdatasync,unlink,unlinkat,rmdir", WEFT_BIN, "record",
			 "--rotate", "200ms", "-o", NULL, "--", SEQ_TASKS, "2000", rate, NULL };
	char env_tmp[300], line[8192], last[256] = "", names[64][128], want[700];
	/* LeakSanitizer (an ASan build) cannot run under ptrace */
	char *env[] = { env_tmp, "ASAN_OPTIONS=detect_leaks=0", NULL };
	int synced = 0, deleted = 0, nnames = 0;
	struct run_result r;
	sqlite3 *h = NULL;
	sqlite3_stmt *q = NULL;
	FILE *f;

	if (system("command -v strace >/dev/null 2>&1") != 0) {
		fprintf(stderr, "# strace not found: cannot observe the order\n");
		return 0;
	}
	setup();
	snprintf(env_tmp, sizeof env_tmp, "TMPDIR=%s", tmpdir);
	snprintf(trace, sizeof trace, "%s/strace.txt", tmpdir);
	argv[13] = path_in("d.db");
	ASSERT_EQ(proc_run(argv, env, 120, &r), 0);
	if (proc_exit_code(&r) != 0)
		TEST_FAIL_("strace weft record: exit %d: %s", proc_exit_code(&r), r.err);
	proc_result_free(&r);
	/* the committed chunks, by name */
	ASSERT_EQ(sqlite3_open_v2(path_in("d.db"), &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ASSERT_EQ(sqlite3_prepare_v2(h, "SELECT chunk FROM chunks", -1, &q, NULL), SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW && nnames < 64)
		snprintf(names[nnames++], sizeof names[0], "%s", sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	sqlite3_close(h);
	ASSERT_GE(nnames, 3);

	snprintf(want, sizeof want, "%s/d.db", tmpdir);
	f = fopen(trace, "r");
	ASSERT_NOT_NULL(f);
	while (fgets(line, sizeof line, f)) {
		const char *a = strstr(line, "/archives/");
		char chunk[256];
		size_t n;

		if ((strstr(line, "fdatasync(") || strstr(line, "fsync(")) && strstr(line, want) &&
		    strstr(line, ") = 0")) {
			synced = 1;
			continue;
		}
		if (!a || !(strstr(line, "unlink") || strstr(line, "rmdir")))
			continue;
		a += strlen("/archives/");
		n = strcspn(a, "/\"");
		snprintf(chunk, sizeof chunk, "%.*s", (int)n, a);
		if (strcmp(chunk, last) == 0)
			continue; /* more files of the chunk being removed */
		snprintf(last, sizeof last, "%s", chunk);
		for (int i = 0; i < nnames; i++) {
			if (strcmp(names[i], chunk) != 0)
				continue;
			if (!synced)
				TEST_FAIL_("chunk %s was removed before any sync of the store since "
					   "the previous chunk's removal (see %s)", chunk, trace);
			deleted++;
		}
		synced = 0;
	}
	fclose(f);
	fprintf(stderr, "# %d committed chunks, each removed after a sync\n", deleted);
	ASSERT_EQ(deleted, nnames);
	teardown();
	return 0;
}

static const struct test_entry tests[] = {
	TEST_ENTRY(help_for_every_command)
	TEST_ENTRY(bad_arguments_are_usage_errors)
	TEST_ENTRY(record_missing_command_leaves_nothing)
	TEST_ENTRY_TIMEOUT(record_every_example, 600)
	TEST_ENTRY_TIMEOUT(record_prints_findings, 120)
	TEST_ENTRY_TIMEOUT(record_thread_bindings, 90)
	TEST_ENTRY_TIMEOUT(attach_mid_run, 60)
	TEST_ENTRY_TIMEOUT(sigkill_traced_program, 90)
	TEST_ENTRY_TIMEOUT(sigkill_weft_then_import_completes, 120)
	TEST_ENTRY_TIMEOUT(import_v1_trace, 60)
	TEST_ENTRY_TIMEOUT(record_status_and_findings, 240)
	TEST_ENTRY_TIMEOUT(import_refuses_bad_input, 120)
	TEST_ENTRY_TIMEOUT(import_same_data_once, 240)
	TEST_ENTRY_TIMEOUT(import_overlap, 120)
	TEST_ENTRY_TIMEOUT(record_hostile_strings, 300)
	TEST_ENTRY_TIMEOUT(record_deletes_only_durable_chunks, 180)
};
TEST_MAIN(tests)
