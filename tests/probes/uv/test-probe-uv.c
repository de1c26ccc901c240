/*
 * test-probe-uv.c — the libuv probe on real programs.
 *
 * The programs of this directory (plain libuv, no weft API) are recorded
 * with the real `weft record --probe uv -o DB -- PROG` under the real
 * lttng-sessiond; the store is read with SQLite and the findings with `weft
 * report --format json`.  What each must show comes from the program's own
 * story (its header comment):
 *   - uv-starvation: 12 pool tasks, the 8 stats queued about 1 s, and a
 *     pool-starvation finding on the pool, as examples/pool-starvation gets
 *     (nothing else but what is attached to it);
 *   - uv-cancel: 6 work tasks ended canceled without starting, their
 *     cancellations, the running ones ok; no finding;
 *   - uv-fs-error: the open and the stat ended with ENOENT (-2); no finding
 *     (the callbacks were handed the errors);
 *   - uv-healthy: every task ended ok, after_work_cb continuations on the
 *     loop with their fs requests as children; no finding;
 *   - uv-fs-poll, uv-timer, uv-async, uv-fs-more, uv-fork: libuv's own calls
 *     ignored, timers, close callbacks, async sends (coalesced), the rarer
 *     fs calls, a forked child (each test says what it checks);
 *   - luv-story.lua under lua5.1 with Debian's lua-luv: a real program.
 * Two more run without a session: the probe does not change what a program
 * prints or returns, and in a process without libuv it says so and stays
 * inert.  Exit 77 (skipped) when LTTng cannot record here, a failure under
 * CI=true (runner.h).  The recordings are removed when every test passed
 * (kept, and their directory printed, on failure or with
 * WEFT_PROBE_UV_KEEP=1).
 */
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "json.h"
#include "probe-test.h"

/* Records cmd (NULL: the program `name` of this directory) through the
 * probe into root/NAME.db (path in db), with --all if `all`; the program's
 * output in out (may be NULL). */
static void record_cmd(const char *name, char *const cmd[], bool all, char *db, size_t len,
		       char *out, size_t outlen)
{
	char exe[1024];
	char *args[32];
	struct run_result r;
	int rc, n = 0;

	prog_path(name, exe, sizeof exe);
	snprintf(db, len, "%s/%s.db", root, name);
	unlink(db);
	args[n++] = "record";
	if (all)
		args[n++] = "--all";
	args[n++] = "--probe";
	args[n++] = "uv";
	args[n++] = "-o";
	args[n++] = db;
	args[n++] = "--";
	if (cmd)
		for (int i = 0; cmd[i] && n < 30; i++)
			args[n++] = cmd[i];
	else
		args[n++] = exe;
	args[n] = NULL;
	rc = weft(&r, 90, args);
	if (rc != 0)
		TEST_FAIL_("%s: weft record --probe uv exited %d: %.1500s %.1500s", name, rc, r.out,
			   r.err);
	if (strncmp(r.out, name, strlen(name)) != 0 || r.out[strlen(name)] != ':')
		TEST_FAIL_("%s: its own line is missing from weft record's output: [%.1000s]", name,
			   r.out);
	if (strstr(r.err, "not interposed"))
		TEST_FAIL_("%s: the probe says libuv was not interposed: %.500s", name, r.err);
	if (strstr(r.err, "liblttng-ust-fork.so not found"))
		TEST_FAIL_("%s: weft record did not find lttng-ust's fork wrapper: %.500s", name,
			   r.err);
	if (!strstr(r.out, "loss: none"))
		TEST_FAIL_("%s: LTTng lost events, cannot judge: %.1000s", name, r.out);
	if (out)
		snprintf(out, outlen, "%s", r.out);
	proc_result_free(&r);
}

static void record(const char *name, char *db, size_t len)
{
	record_cmd(name, NULL, false, db, len, NULL, 0);
}

/* ---- the recorded programs ---------------------------------------------------------- */

TEST_IMPL(starvation)
{
	char db[700], list[1024];
	size_t n;

	record("uv-starvation", db, sizeof db);
	ASSERT_EQ(q(db, "SELECT count(*) FROM contexts WHERE kind = 0 AND name = 'uv-threadpool' "
			"AND workers = 4"), 1);
	ASSERT_EQ(tasks(db, "uv_queue_work", "t.started_ns IS NOT NULL AND t.status = 0"), 4);
	ASSERT_EQ(tasks(db, "uv_fs_stat", "t.status = 0"), 8);
	/* the stats queued behind the blocked workers: about 1 s each */
	ASSERT_EQ(tasks(db, "uv_fs_stat", "t.ended_ns - t.scheduled_ns >= 900000000"), 8);
	ASSERT_GE(q(db, "SELECT max(queued) FROM pool_samples"), 8);
	ASSERT_EQ(q(db, "SELECT max(busy) FROM pool_samples"), 4);
	/* every callback ran as a continuation on the loop */
	ASSERT_EQ(tasks(db, "after_work_cb", "t.kind = 1 AND t.status = 0"), 4);
	ASSERT_EQ(tasks(db, "uv_fs_stat cb", "t.kind = 1 AND t.status = 0"), 8);
	n = findings(db, list, sizeof list);
	if (n != 1 || strcmp(list, "pool-starvation") != 0)
		TEST_FAIL_("expected exactly pool-starvation (as examples/pool-starvation), got %zu: "
			   "%s", n, list);
	ASSERT_EQ(q(db, "SELECT count(*) FROM findings WHERE detector = 'pool-starvation' "
			"AND message LIKE '%pool ''uv-threadpool''%'"), 1);
	return 0;
}

TEST_IMPL(cancel)
{
	char db[700];

	record("uv-cancel", db, sizeof db);
	ASSERT_EQ(tasks(db, "uv_queue_work", "t.status = 2 AND t.started_ns IS NULL"), 6);
	ASSERT_EQ(tasks(db, "uv_queue_work", "t.status = 0 AND t.started_ns IS NOT NULL"), 4);
	/* a request for each queued job and the running one; observed by the six */
	ASSERT_EQ(q(db, "SELECT count(*) FROM cancellations"), 7);
	ASSERT_EQ(q(db, "SELECT count(*) FROM cancel_observations"), 6);
	/* the canceled jobs' callbacks still ran (with UV_ECANCELED) */
	ASSERT_EQ(tasks(db, "after_work_cb", "t.status = 0 AND t.started_ns IS NOT NULL"), 10);
	no_findings(db);
	return 0;
}

TEST_IMPL(fs_error)
{
	char db[700];

	record("uv-fs-error", db, sizeof db);
	ASSERT_EQ(tasks(db, "uv_fs_open", "t.status = 1 AND t.err = -2"), 1);
	ASSERT_EQ(tasks(db, "uv_fs_stat", "t.status = 1 AND t.err = -2"), 1);
	ASSERT_EQ(tasks(db, "uv_fs_stat", "t.status = 0"), 1);
	ASSERT_EQ(q(db, "SELECT count(*) FROM tasks WHERE status = 1 AND observed_ns IS NULL"), 0);
	no_findings(db);
	return 0;
}

TEST_IMPL(healthy)
{
	char db[700];

	record("uv-healthy", db, sizeof db);
	/* 16 jobs with an after_work_cb, one without: no continuation for it */
	ASSERT_EQ(tasks(db, "uv_queue_work", "t.status = 0 AND t.started_ns IS NOT NULL"), 17);
	ASSERT_EQ(tasks(db, "after_work_cb", "t.status = 0 AND t.started_ns IS NOT NULL"), 16);
	ASSERT_EQ(tasks(db, "after_work_cb", "1"), 16);
	ASSERT_EQ(tasks(db, "uv_getaddrinfo", "t.ended_ns IS NOT NULL"), 1);
	ASSERT_EQ(tasks(db, "uv_getnameinfo", "t.ended_ns IS NOT NULL"), 1);
	ASSERT_EQ(tasks(db, "uv_random", "t.status = 0"), 1);
	ASSERT_EQ(tasks(db, "uv_random cb", "t.kind = 1 AND t.status = 0"), 1);
	/* each stat was made by an after_work_cb: its parent */
	ASSERT_EQ(q(db, "SELECT count(*) FROM tasks t JOIN strings n ON n.id = t.name "
			"JOIN tasks p ON p.id = t.parent JOIN strings pn ON pn.id = p.name "
			"WHERE n.s = 'uv_fs_stat' AND pn.s = 'after_work_cb'"), 16);
	ASSERT_EQ(q(db, "SELECT count(*) FROM tasks WHERE ended_ns IS NULL"), 0);
	/* the loop thread was bound to the loop context */
	ASSERT_GE(q(db, "SELECT count(*) FROM worker_states w JOIN contexts c ON c.id = w.ctx "
			"WHERE c.kind = 1 AND w.state = 0"), 1);
	no_findings(db);
	return 0;
}

/* libuv's own calls reach the probe through the PLT: uv_fs_poll's
 * uv_fs_stat requests and its timer (started, stopped and restarted by
 * libuv every 20 ms).  The probe passes them through untraced and leaves
 * uv_fs_poll working; the program's own timer is traced. */
TEST_IMPL(fs_poll)
{
	char db[700];

	record("uv-fs-poll", db, sizeof db);
	ASSERT_EQ(tasks(db, "uv_fs_stat", "1"), 0);
	ASSERT_EQ(tasks(db, "uv_timer", "1"), 1);
	ASSERT_EQ(tasks(db, "uv_timer", "t.status = 0 AND t.started_ns IS NOT NULL"), 1);
	ASSERT_EQ(q(db, "SELECT count(*) FROM tasks"), 1);
	no_findings(db);
	return 0;
}

/* The loop context's row id in db (exactly one). */
#define LOOP_CTX "(SELECT id FROM contexts WHERE kind = 1 AND name = 'uv-loop-1')"

/* Timers: each run a task on the loop; a repeating timer's runs (re-armed
 * by libuv through its own uv_timer_start) are each traced once; a timer
 * stopped before it fired ends canceled; close callbacks are continuations
 * on the loop. */
TEST_IMPL(timer)
{
	char db[700];

	record("uv-timer", db, sizeof db);
	ASSERT_EQ(q(db, "SELECT count(*) FROM contexts WHERE kind = 1"), 1);
	ASSERT_EQ(tasks(db, "uv_timer", "1"), 8);
	ASSERT_EQ(tasks(db, "uv_timer", "t.kind = 3 AND t.status = 0 AND t.started_ns IS NOT NULL "
					"AND t.starts = 1 AND t.ctx = " LOOP_CTX), 7);
	/* `late`: started and stopped by once's run, never ran */
	ASSERT_EQ(q(db, "SELECT count(*) FROM tasks t JOIN strings n ON n.id = t.name "
			"JOIN tasks p ON p.id = t.parent JOIN strings pn ON pn.id = p.name "
			"WHERE n.s = 'uv_timer' AND t.status = 2 AND t.started_ns IS NULL "
			"AND pn.s = 'uv_timer'"), 1);
	ASSERT_EQ(tasks(db, "uv_close cb", "t.kind = 1 AND t.status = 0 AND t.started_ns IS NOT "
					   "NULL AND t.ctx = " LOOP_CTX), 4);
	ASSERT_EQ(q(db, "SELECT count(*) FROM tasks"), 12);
	ASSERT_EQ(q(db, "SELECT count(*) FROM tasks WHERE ended_ns IS NULL"), 0);
	no_findings(db);
	return 0;
}

/* uv_async_send: five sends coalesced by libuv into one callback (said on
 * it), one from a pool worker: a child of the job, marshaled from the
 * pool. */
TEST_IMPL(async)
{
	char db[700];

	record("uv-async", db, sizeof db);
	ASSERT_EQ(tasks(db, "uv_async cb", "t.kind = 1 AND t.status = 0 AND t.started_ns IS NOT NULL "
					   "AND t.ctx = " LOOP_CTX), 2);
	ASSERT_EQ(tasks(db, "uv_async cb", "1"), 2);
	ASSERT_EQ(q(db, "SELECT count(*) FROM annotations a JOIN strings k ON k.id = a.key "
			"JOIN tasks t ON t.id = a.task JOIN strings n ON n.id = t.name "
			"WHERE n.s = 'uv_async cb' AND k.s = 'coalesced' "
			"AND a.value = '5 sends, one callback'"), 1);
	ASSERT_EQ(q(db, "SELECT count(*) FROM tasks t JOIN strings n ON n.id = t.name "
			"JOIN tasks p ON p.id = t.parent JOIN strings pn ON pn.id = p.name "
			"JOIN links l ON l.dst = t.id JOIN contexts f ON f.id = l.from_ctx "
			"WHERE n.s = 'uv_async cb' AND pn.s = 'uv_queue_work' "
			"AND f.name = 'uv-threadpool' AND l.ctx = " LOOP_CTX), 1);
	ASSERT_EQ(q(db, "SELECT count(*) FROM tasks WHERE ended_ns IS NULL"), 0);
	no_findings(db);
	return 0;
}

/* The fs calls beyond the common ones: one task each, chained. */
TEST_IMPL(fs_more)
{
	char db[700];

	record("uv-fs-more", db, sizeof db);
	ASSERT_EQ(q(db, "SELECT count(*) FROM tasks t JOIN strings n ON n.id = t.name "
			"WHERE t.kind = 0 AND t.status = 0 AND n.s LIKE 'uv\\_fs\\_%' ESCAPE '\\'"),
		  18);
	ASSERT_EQ(q(db, "SELECT count(DISTINCT t.name) FROM tasks t WHERE t.kind = 0"), 18);
	ASSERT_EQ(tasks(db, "uv_fs_copyfile", "t.status = 0"), 1);
	ASSERT_EQ(tasks(db, "uv_fs_readdir", "t.status = 0"), 1);
	ASSERT_EQ(tasks(db, "uv_fs_statfs", "t.status = 0"), 1);
	/* each call but the first made by the previous one's callback */
	ASSERT_EQ(q(db, "SELECT count(*) FROM tasks t JOIN tasks p ON p.id = t.parent "
			"JOIN strings pn ON pn.id = p.name WHERE t.kind = 0 AND p.kind = 1 "
			"AND pn.s LIKE 'uv\\_fs\\_% cb' ESCAPE '\\'"), 17);
	no_findings(db);
	return 0;
}

/* fork without exec: with lttng-ust's fork wrapper preloaded by --probe,
 * the child is its own process (recorded with --all), with its own pool
 * and loop contexts. */
TEST_IMPL(fork)
{
	char db[700];

	record_cmd("uv-fork", NULL, true, db, sizeof db, NULL, 0);
	ASSERT_EQ(q(db, "SELECT count(*) FROM processes WHERE name = 'uv-fork'"), 2);
#define PROC_TASKS(name, cond)                                                            \
	"(SELECT count(*) FROM tasks t JOIN strings n ON n.id = t.name WHERE t.process = p.id " \
	"AND n.s = '" name "' AND " cond ")"
	/* the parent: 2 jobs; the child: 3 jobs and a timer run */
	ASSERT_EQ(q(db, "SELECT count(*) FROM processes p WHERE p.name = 'uv-fork' AND "
			PROC_TASKS("uv_queue_work", "t.status = 0 AND t.started_ns IS NOT NULL")
			" = 2 AND " PROC_TASKS("after_work_cb", "t.status = 0") " = 2 AND "
			PROC_TASKS("uv_timer", "1") " = 0"), 1);
	ASSERT_EQ(q(db, "SELECT count(*) FROM processes p WHERE p.name = 'uv-fork' AND "
			PROC_TASKS("uv_queue_work", "t.status = 0 AND t.started_ns IS NOT NULL")
			" = 3 AND " PROC_TASKS("after_work_cb", "t.status = 0") " = 3 AND "
			PROC_TASKS("uv_timer", "t.status = 0 AND t.started_ns IS NOT NULL") " = 1"),
		  1);
#undef PROC_TASKS
	/* each has its own pool and loop, and its tasks' contexts are its own */
	ASSERT_EQ(q(db, "SELECT count(*) FROM contexts c JOIN processes p ON p.id = c.process "
			"WHERE p.name = 'uv-fork' AND c.name IN ('uv-threadpool', 'uv-loop-1')"), 4);
	ASSERT_EQ(q(db, "SELECT count(*) FROM tasks t JOIN contexts c ON c.id = t.ctx "
			"JOIN processes p ON p.id = t.process "
			"WHERE p.name = 'uv-fork' AND c.process != t.process"), 0);
	return 0;
}

/* A real program from Debian's archive: lua5.1 with lua-luv, whose libuv
 * is opened with dlopen after the probe loaded. */
TEST_IMPL(luv)
{
	char db[700], script[1024], out[4096], sql[512];
	char *cmd[] = { LUA51, script, NULL };
	const char *ran;
	int runs;

	if (!LUA51[0] || access(LUA51, X_OK) != 0)
		TEST_FAIL_("lua5.1 not found: scripts/deps.sh installs lua5.1 and lua-luv");
	snprintf(script, sizeof script, "%s/luv-story.lua", UV_SRC_DIR);
	record_cmd("luv-story", cmd, false, db, sizeof db, out, sizeof out);
	if (!strstr(out, "luv-story: 4 jobs, 4 failed stats, 3 ticks") ||
	    !(ran = strstr(out, "async ran ")) || sscanf(ran, "async ran %d", &runs) != 1)
		TEST_FAIL_("the Lua story did not run as told: [%.500s]", out);
	/* the jobs on the pool, their after callbacks on the loop */
	ASSERT_EQ(tasks(db, "uv_queue_work", "t.status = 0 AND t.started_ns IS NOT NULL AND t.ctx = "
					     "(SELECT id FROM contexts WHERE name = 'uv-threadpool')"),
		  4);
	ASSERT_EQ(tasks(db, "after_work_cb", "t.kind = 1 AND t.status = 0 AND t.ctx = " LOOP_CTX), 4);
	/* each stat failed with ENOENT, was made by an after_work_cb, and its
	 * callback was handed the error (observed) */
	ASSERT_EQ(q(db, "SELECT count(*) FROM tasks t JOIN strings n ON n.id = t.name "
			"JOIN tasks p ON p.id = t.parent JOIN strings pn ON pn.id = p.name "
			"WHERE n.s = 'uv_fs_stat' AND t.status = 1 AND t.err = -2 "
			"AND t.observed_ns IS NOT NULL AND pn.s = 'after_work_cb'"), 4);
	ASSERT_EQ(tasks(db, "uv_fs_stat cb", "t.status = 0 AND t.started_ns IS NOT NULL"), 4);
	ASSERT_EQ(tasks(db, "uv_timer", "t.status = 0 AND t.started_ns IS NOT NULL"), 3);
	/* as many async callbacks as the program counted, each sent by a job */
	snprintf(sql, sizeof sql, "t.status = 0 AND t.started_ns IS NOT NULL AND t.parent IN "
		 "(SELECT x.id FROM tasks x JOIN strings xn ON xn.id = x.name "
		 "WHERE xn.s = 'uv_queue_work')");
	ASSERT_GE(runs, 1);
	ASSERT_EQ(tasks(db, "uv_async cb", sql), runs);
	ASSERT_EQ(tasks(db, "uv_async cb", "1"), runs);
	/* luv closes the timer and the async handle with its own close cb */
	ASSERT_GE(tasks(db, "uv_close cb", "t.status = 0"), 2);
	no_findings(db);
	return 0;
}

/* A program started with the probe preloaded and no session, then attached
 * to with `weft attach PID --for 1.5s`: the jobs it makes meanwhile are
 * traced (on the pool announced by the first traced one), each with its
 * after_work_cb continuation. */
TEST_IMPL(attach)
{
	char exe[1024], db[700], pidbuf[32], buf[4096] = "", env_pre[1200];
	char *env[] = { env_pre, NULL };
	char *argv[] = { exe, NULL };
	struct run_result r;
	int out_fd = -1, rc, st;
	pid_t pid;

	prog_path("uv-ticker", exe, sizeof exe);
	snprintf(db, sizeof db, "%s/uv-ticker.db", root);
	snprintf(env_pre, sizeof env_pre, "LD_PRELOAD=%s", PROBE_LIB);
	unlink(db);
	pid = proc_spawn(argv, env, &out_fd, NULL);
	ASSERT_GT(pid, 0);
	if (proc_read_until(out_fd, "uv-ticker: ticking", 10000, buf, sizeof buf) != 0)
		TEST_FAIL_("uv-ticker did not start: [%s]", buf);
	snprintf(pidbuf, sizeof pidbuf, "%d", (int)pid);
	rc = WEFT(&r, 60, "attach", pidbuf, "--for", "1500ms", "-o", db);
	if (rc != 0)
		TEST_FAIL_("weft attach exited %d: %.1000s %.1000s", rc, r.out, r.err);
	proc_result_free(&r);
	st = proc_wait(pid, 20000);
	ASSERT(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(out_fd);
	ASSERT_EQ(q(db, "SELECT count(*) FROM contexts WHERE name = 'uv-threadpool'"), 1);
	/* 1.5 s of one job per 20 ms: about 75 (a loaded machine ticks less) */
	ASSERT_GE(tasks(db, "uv_queue_work", "t.status = 0 AND t.started_ns IS NOT NULL"), 20);
	ASSERT_LE(tasks(db, "uv_queue_work", "1"), 200);
	ASSERT_GE(tasks(db, "after_work_cb", "t.kind = 1 AND t.status = 0"), 20);
	return 0;
}

/* ---- without a session ------------------------------------------------------------------- */

TEST_IMPL(same_behaviour)
{
	static const char *const progs[] = { "uv-cancel", "uv-fs-error", "uv-healthy",
					     "uv-fs-poll", "uv-timer", "uv-async", "uv-fs-more",
					     "uv-fork" };

	for (size_t i = 0; i < sizeof progs / sizeof progs[0]; i++) {
		struct run_result a, b;
		char exe[1024];

		prog_path(progs[i], exe, sizeof exe);
		run_plain(exe, false, &a);
		run_plain(exe, true, &b);
		ASSERT_EQ(proc_exit_code(&a), 0);
		ASSERT_EQ(proc_exit_code(&b), 0);
		ASSERT_STR_EQ(a.out, b.out);
		if (strstr(b.err, "not interposed"))
			TEST_FAIL_("%s: libuv not interposed: %s", progs[i], b.err);
		proc_result_free(&a);
		proc_result_free(&b);
	}
	return 0;
}

TEST_IMPL(inert_without_libuv)
{
	struct run_result r;

	run_plain("/bin/true", true, &r);
	ASSERT_EQ(proc_exit_code(&r), 0);
	if (!strstr(r.err, "weft: probe loaded, libuv not interposed"))
		TEST_FAIL_("the probe did not say it is inert: stderr [%s]", r.err);
	ASSERT_EQ(count_matching(r.err, "not interposed"), 1);
	proc_result_free(&r);
	return 0;
}

#ifdef UV_STATIC_PROG
/* libuv linked into the executable: the probe cannot interpose it, says so
 * once, and the program runs as without it. */
TEST_IMPL(inert_static_libuv)
{
	struct run_result a, b;
	char exe[1024];

	prog_path("uv-healthy-static", exe, sizeof exe);
	run_plain(exe, false, &a);
	run_plain(exe, true, &b);
	ASSERT_EQ(proc_exit_code(&a), 0);
	ASSERT_EQ(proc_exit_code(&b), 0);
	ASSERT_STR_EQ(a.out, b.out);
	ASSERT_EQ(count_matching(b.err, "weft: probe loaded, libuv not interposed"), 1);
	ASSERT_EQ(count_matching(a.err, "not interposed"), 0);
	proc_result_free(&a);
	proc_result_free(&b);
	return 0;
}
#endif

TEST_IMPL(unknown_probe)
{
	struct run_result r;
	int rc = WEFT(&r, 30, "record", "--probe", "nope", "--", "/bin/true");

	ASSERT_EQ(rc, 2);
	if (!strstr(r.err, "unknown probe") || !strstr(r.err, "known=uv"))
		TEST_FAIL_("no clear error for an unknown probe: [%s]", r.err);
	proc_result_free(&r);
	return 0;
}

static const struct test_entry tests[] = {
	TEST_ENTRY(inert_without_libuv)
	TEST_ENTRY(same_behaviour)
#ifdef UV_STATIC_PROG
	TEST_ENTRY(inert_static_libuv)
#endif
	TEST_ENTRY(unknown_probe)
	TEST_ENTRY_TIMEOUT(starvation, 120)
	TEST_ENTRY_TIMEOUT(cancel, 120)
	TEST_ENTRY_TIMEOUT(fs_error, 120)
	TEST_ENTRY_TIMEOUT(healthy, 120)
	TEST_ENTRY_TIMEOUT(fs_poll, 120)
	TEST_ENTRY_TIMEOUT(timer, 120)
	TEST_ENTRY_TIMEOUT(async, 120)
	TEST_ENTRY_TIMEOUT(fs_more, 120)
	TEST_ENTRY_TIMEOUT(fork, 120)
	TEST_ENTRY_TIMEOUT(luv, 120)
	TEST_ENTRY_TIMEOUT(attach, 120)
};

int main(int argc, char **argv)
{
	return probe_main(argc, argv, tests, sizeof tests / sizeof tests[0], "uv", "WEFT_PROBE_UV_KEEP");
}
