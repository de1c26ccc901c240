/*
 * test-probe-glib.c — the GLib probe on real programs.
 *
 * The programs of this directory (plain GLib/GIO, no weft API) and a GIO
 * program on Debian's python3-gi (gio-files.py, run by /usr/bin/python3)
 * are recorded with the real `weft record --probe glib -o DB -- PROG` under
 * the real lttng-sessiond; the store is read with SQLite and the findings
 * with `weft report --format json`.  What each must show comes from the
 * program's own story (its header comment):
 *   - glib-starvation: 12 tasks on pool 'gthreadpool:serve_request', the 8
 *     short ones queued about 1 s, and exactly pool-starvation, as
 *     examples/pool-starvation gets;
 *   - glib-unobserved: the GTask failed with -12 and was released unread,
 *     and exactly unobserved-error, as examples/unobserved-error;
 *   - glib-cancel: two tokens cancelled, one observed (run_search's task
 *     ends canceled), export_report's ends ok, and exactly cancel-ignored,
 *     as examples/cancel-ignored;
 *   - glib-healthy: pool work, invokes marshaled back to "main", GTasks
 *     with an error propagated, idles, a cancellation honoured: every task
 *     ended, no finding, as examples/healthy;
 *   - gio-files.py: GIO's own GTasks (made inside libgio) seen on GIO's
 *     pool 'gthreadpool:gtask', each completion a continuation marshaled to
 *     "main", stitched into one chain of 9 hops (read, read, read,
 *     query_info, close, each followed by its callback);
 *   - glib-dlopen: a host without GLib that dlopens its GIO plugin
 *     (glib-plugin.so) RTLD_LOCAL, so GLib is not in the global scope: the
 *     plugin's GTask and GIO's own tasks seen all the same;
 *   - glib-ticker, started with the probe preloaded and no session, then
 *     `weft attach PID --for 1500ms`: its pool (made before the session),
 *     invokes and GTasks traced from then on, not before.
 * Two more run without a session: the probe changes nothing a program
 * prints or returns, and in a process without GLib it stays silent.  Exit
 * 77 (skipped) when LTTng cannot record here, a failure under CI=true
 * (runner.h).  The recordings are removed when every test passed (kept,
 * and their directory printed, on failure or with WEFT_PROBE_GLIB_KEEP=1).
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

/* Records `name` (a program of this directory, or argv when given)
 * through the probe into root/NAME.db (path in db); its stderr in err. */
static void record_argv(const char *name, char *const *argv, char *db, size_t len, char *err,
			size_t errlen)
{
	char exe[1024];
	struct run_result r;
	int rc;

	prog_path(name, exe, sizeof exe);
	snprintf(db, len, "%s/%s.db", root, name);
	unlink(db);
	rc = argv ? WEFT(&r, 90, "record", "--probe", "glib", "-o", db, "--", argv[0], argv[1],
			 argv[2])
		  : WEFT(&r, 90, "record", "--probe", "glib", "-o", db, "--", exe);
	if (rc != 0)
		TEST_FAIL_("%s: weft record --probe glib exited %d: %.1500s %.1500s", name, rc, r.out,
			   r.err);
	if (strncmp(r.out, name, strlen(name)) != 0 || r.out[strlen(name)] != ':')
		TEST_FAIL_("%s: its own line is missing from weft record's output: [%.1000s]", name,
			   r.out);
	if (!strstr(r.out, "loss: none"))
		TEST_FAIL_("%s: LTTng lost events, cannot judge: %.1000s", name, r.out);
	if (err)
		snprintf(err, errlen, "%s", r.err);
	proc_result_free(&r);
}

static void record(const char *name, char *db, size_t len)
{
	record_argv(name, NULL, db, len, NULL, 0);
}

/* ---- the recorded programs ---------------------------------------------------------- */

/* The findings of db must be exactly `want` (one detector), its message
 * naming `about`. */
static void exactly(const char *db, const char *want, const char *about)
{
	char list[1024], sql[512];
	size_t n = findings(db, list, sizeof list);

	if (n != 1 || strcmp(list, want) != 0)
		TEST_FAIL_("%s: expected exactly %s (as its libweft example), got %zu: %s", db, want,
			   n, list);
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM findings WHERE detector = '%s' AND message LIKE '%%%s%%'",
		 want, about);
	if (q(db, sql) != 1)
		TEST_FAIL_("%s: the %s finding does not name %s", db, want, about);
}

TEST_IMPL(starvation)
{
	char db[700];

	record("glib-starvation", db, sizeof db);
	ASSERT_EQ(q(db, "SELECT count(*) FROM contexts WHERE kind = 0 AND "
			"name = 'gthreadpool:serve_request' AND workers = 4"), 1);
	ASSERT_EQ(tasks(db, "serve_request", "t.started_ns IS NOT NULL AND t.status = 0"), 12);
	/* the short ones queued behind the blocked threads: about 1 s each */
	ASSERT_EQ(tasks(db, "serve_request", "t.started_ns - t.scheduled_ns >= 900000000"), 8);
	ASSERT_GE(q(db, "SELECT max(queued) FROM pool_samples"), 8);
	ASSERT_EQ(q(db, "SELECT max(busy) FROM pool_samples"), 4);
	exactly(db, "pool-starvation", "gthreadpool:serve_request");
	return 0;
}

TEST_IMPL(unobserved)
{
	char db[700];

	record("glib-unobserved", db, sizeof db);
	ASSERT_EQ(tasks(db, "GTask save_done", "t.status = 1 AND t.err = -12 AND "
			"t.observed_ns IS NULL AND t.unobserved_ns IS NOT NULL AND "
			"t.started_ns IS NOT NULL"), 1);
	ASSERT_EQ(q(db, "SELECT count(*) FROM tasks t JOIN strings m ON m.id = t.msg "
			"WHERE m.s LIKE '%No space left on device%'"), 1);
	/* the callback ran as a continuation on "main", marshaled from the pool */
	ASSERT_EQ(q(db, "SELECT count(*) FROM tasks t JOIN strings n ON n.id = t.name "
			"JOIN contexts c ON c.id = t.ctx WHERE n.s = 'save_done' AND t.kind = 1 "
			"AND t.status = 0 AND c.name = 'main'"), 1);
	ASSERT_EQ(q(db, "SELECT count(*) FROM links l JOIN contexts f ON f.id = l.from_ctx "
			"WHERE l.kind = 1 AND f.name = 'gthreadpool:gtask'"), 1);
	exactly(db, "unobserved-error", "GTask save_done");
	return 0;
}

TEST_IMPL(cancel)
{
	char db[700];

	record("glib-cancel", db, sizeof db);
	ASSERT_EQ(q(db, "SELECT count(*) FROM tokens"), 2);
	ASSERT_EQ(q(db, "SELECT count(*) FROM cancellations"), 2);
	ASSERT_EQ(q(db, "SELECT count(*) FROM cancel_observations"), 1);
	ASSERT_EQ(tasks(db, "GTask export_done", "t.status = 0 AND t.token IS NOT NULL"), 1);
	ASSERT_EQ(tasks(db, "GTask search_done", "t.status = 2 AND t.token IS NOT NULL"), 1);
	exactly(db, "cancel-ignored", "GTask export_done");
	return 0;
}

TEST_IMPL(healthy)
{
	char db[700];

	record("glib-healthy", db, sizeof db);
	ASSERT_EQ(tasks(db, "resize_image", "t.status = 0 AND t.started_ns IS NOT NULL"), 6);
	/* each worker's invoke is a run on "main", marshaled from the pool */
	ASSERT_EQ(tasks(db, "g_main_context_invoke", "t.status = 0 AND t.started_ns IS NOT NULL"),
		  6);
	ASSERT_EQ(q(db, "SELECT count(*) FROM links l JOIN contexts f ON f.id = l.from_ctx "
			"JOIN contexts c ON c.id = l.ctx WHERE l.kind = 1 AND "
			"f.name = 'gthreadpool:resize_image' AND c.name = 'main'"), 6);
	ASSERT_EQ(tasks(db, "GTask thumbnail_done", "t.status = 0"), 2);
	ASSERT_EQ(tasks(db, "GTask thumbnail_done", "t.status = 1 AND t.observed_ns IS NOT NULL"),
		  1);
	ASSERT_EQ(tasks(db, "GTask preview_done", "t.status = 2"), 1);
	ASSERT_EQ(q(db, "SELECT count(*) FROM cancel_observations"), 1);
	/* the progress idle ran three times, the one-shot once */
	ASSERT_EQ(tasks(db, "g_idle_add", "t.status = 0 AND t.started_ns IS NOT NULL"), 4);
	ASSERT_EQ(q(db, "SELECT count(*) FROM tasks WHERE ended_ns IS NULL"), 0);
	no_findings(db);
	return 0;
}

/* A real GIO program from Debian's archive (python3-gi on the shared
 * libgio): GIO's internal GTasks are seen through the pool and their
 * completions, and stitched into chains. */
TEST_IMPL(gio_files)
{
	char db[700], err[4096];
	char *argv[] = { PYTHON3, GIO_FILES_PY, "/etc/os-release", NULL };

	if (access(PYTHON3, X_OK) != 0)
		TEST_FAIL_("Debian's python3 is missing: %s (scripts/deps.sh installs python3-gi)",
			   PYTHON3);
	record_argv("gio-files", argv, db, sizeof db, err, sizeof err);
	if (!strstr(err, "made inside GIO"))
		TEST_FAIL_("the probe did not say what it cannot see of GIO's tasks: [%s]", err);
	ASSERT_EQ(q(db, "SELECT count(*) FROM contexts WHERE kind = 0 AND "
			"name = 'gthreadpool:gtask'"), 1);
	/* every GIO task on the pool ran, and its callback ran on "main" after it,
	 * as its continuation, marshaled from the pool */
	ASSERT_GE(q(db, "SELECT count(*) FROM tasks a JOIN contexts ca ON ca.id = a.ctx "
			"JOIN links l ON l.src = a.id AND l.kind = 0 JOIN tasks c ON c.id = l.dst "
			"JOIN contexts cc ON cc.id = c.ctx JOIN links m ON m.dst = c.id AND "
			"m.kind = 1 AND m.from_ctx = ca.id "
			"WHERE ca.name = 'gthreadpool:gtask' AND cc.name = 'main' AND a.status = 0 "
			"AND c.status = 0 AND c.kind = 1 AND c.started_ns >= a.started_ns"), 6);
	ASSERT_EQ(q(db, "SELECT count(*) FROM tasks t JOIN contexts c ON c.id = t.ctx "
			"WHERE c.name = 'gthreadpool:gtask' AND (t.started_ns IS NULL OR "
			"t.ended_ns IS NULL)"), 0);
	ASSERT_EQ(tasks(db, "g_file_real_query_info_async", "t.status = 0"), 1);
	ASSERT_EQ(tasks(db, "g_file_real_read_async", "t.status = 0"), 1);
	/* load_contents: open, reads, query_info, close: one chain of 9 hops or
	 * more from the open (parents: the callback that made each next step) */
	ASSERT_GE(q(db, "WITH RECURSIVE c(id, depth) AS ("
			"  SELECT t.id, 1 FROM tasks t JOIN strings n ON n.id = t.name "
			"  WHERE n.s = 'g_file_real_read_async' "
			"  UNION ALL SELECT t.id, c.depth + 1 FROM tasks t JOIN c ON t.parent = c.id) "
			"SELECT max(depth) FROM c"), 9);
	return 0;
}

/* A host without GLib that dlopens its GIO plugin RTLD_LOCAL: GLib is out
 * of the global scope (dlsym(RTLD_NEXT) cannot find it, the probe's
 * RTLD_NOLOAD lookup must, and the probe may leave no GLib symbol for the
 * dynamic linker to bind); the plugin's own GTask and GIO's internal ones
 * are seen as for a program linked with GIO. */
TEST_IMPL(dlopen_local)
{
	char db[700], err[4096], exe[1024];
	char *argv[] = { exe, GLIB_PLUGIN, "/etc/os-release", NULL };

	prog_path("glib-dlopen", exe, sizeof exe);
	record_argv("glib-dlopen", argv, db, sizeof db, err, sizeof err);
	if (strstr(err, "cannot find GLib's"))
		TEST_FAIL_("the probe did not find GLib in the plugin's scope: [%s]", err);
	if (!strstr(err, "made inside GIO"))
		TEST_FAIL_("the probe did not say what it cannot see of GIO's tasks: [%s]", err);
	/* the plugin's GTask ran on GIO's pool, ended ok, its callback a
	 * continuation on "main" marshaled from the pool */
	ASSERT_EQ(q(db, "SELECT count(*) FROM tasks a JOIN strings n ON n.id = a.name "
			"JOIN contexts ca ON ca.id = a.ctx JOIN links l ON l.src = a.id AND "
			"l.kind = 0 JOIN tasks c ON c.id = l.dst JOIN strings cn ON cn.id = c.name "
			"JOIN contexts cc ON cc.id = c.ctx JOIN links m ON m.dst = c.id AND "
			"m.kind = 1 AND m.from_ctx = ca.id "
			"WHERE n.s = 'GTask checksum_done' AND ca.name = 'gthreadpool:gtask' AND "
			"a.status = 0 AND a.started_ns IS NOT NULL AND cn.s = 'checksum_done' AND "
			"cc.name = 'main' AND c.kind = 1 AND c.status = 0"), 1);
	/* GIO's own load_contents tasks, seen through the pool */
	ASSERT_EQ(tasks(db, "g_file_real_read_async", "t.status = 0"), 1);
	ASSERT_GE(q(db, "SELECT count(*) FROM tasks t JOIN contexts c ON c.id = t.ctx "
			"WHERE c.name = 'gthreadpool:gtask'"), 4);
	ASSERT_EQ(q(db, "SELECT count(*) FROM tasks WHERE ended_ns IS NULL"), 0);
	return 0;
}

/* A program started with the probe preloaded and no session, then attached
 * to with `weft attach PID --for 1500ms`: its pool, made before the session,
 * is traced from then on, as are the invokes and GTasks it makes meanwhile. */
TEST_IMPL(attach)
{
	char exe[1024], db[700], pidbuf[32], buf[4096] = "", env_pre[1200];
	char *env[] = { env_pre, NULL };
	char *argv[] = { exe, NULL };
	struct run_result r;
	int out_fd = -1, rc, st;
	pid_t pid;

	prog_path("glib-ticker", exe, sizeof exe);
	snprintf(db, sizeof db, "%s/glib-ticker.db", root);
	snprintf(env_pre, sizeof env_pre, "LD_PRELOAD=%s", PROBE_LIB);
	unlink(db);
	pid = proc_spawn(argv, env, &out_fd, NULL);
	ASSERT_GT(pid, 0);
	if (proc_read_until(out_fd, "glib-ticker: ticking", 10000, buf, sizeof buf) != 0)
		TEST_FAIL_("glib-ticker did not start: [%s]", buf);
	snprintf(pidbuf, sizeof pidbuf, "%d", (int)pid);
	rc = WEFT(&r, 60, "attach", pidbuf, "--for", "1500ms", "-o", db);
	if (rc != 0)
		TEST_FAIL_("weft attach exited %d: %.1000s %.1000s", rc, r.out, r.err);
	proc_result_free(&r);
	st = proc_wait(pid, 20000);
	ASSERT(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(out_fd);
	ASSERT_EQ(q(db, "SELECT count(*) FROM contexts WHERE kind = 0 AND "
			"name = 'gthreadpool:crunch' AND workers = 2"), 1);
	/* 1.5 s of one tick per 20 ms: about 75 (a loaded machine ticks less);
	 * never all 200 (the ticks before the session are not traced) */
	ASSERT_GE(tasks(db, "crunch", "t.status = 0 AND t.started_ns IS NOT NULL"), 20);
	ASSERT_LT(tasks(db, "crunch", "1"), 200);
	/* each traced item's invoke is a run on "main", marshaled from the pool */
	ASSERT_GE(q(db, "SELECT count(*) FROM tasks t JOIN strings n ON n.id = t.name "
			"JOIN contexts c ON c.id = t.ctx JOIN links l ON l.dst = t.id AND "
			"l.kind = 1 JOIN contexts f ON f.id = l.from_ctx "
			"WHERE n.s = 'g_main_context_invoke' AND t.status = 0 AND "
			"c.name = 'main' AND f.name = 'gthreadpool:crunch'"), 20);
	/* every 10th tick's GTask: its callback a continuation on "main" */
	ASSERT_GE(tasks(db, "GTask tick_done", "t.status = 0 AND t.started_ns IS NOT NULL"), 2);
	ASSERT_GE(tasks(db, "tick_done", "t.kind = 1 AND t.status = 0"), 2);
	ASSERT_LT(tasks(db, "GTask tick_done", "1"), 20);
	return 0;
}

/* ---- without a session ------------------------------------------------------------------- */

TEST_IMPL(same_behaviour)
{
	static const char *const progs[] = { "glib-starvation", "glib-unobserved", "glib-cancel",
					     "glib-healthy" };

	for (size_t i = 0; i < sizeof progs / sizeof progs[0]; i++) {
		struct run_result a, b;
		char exe[1024];

		prog_path(progs[i], exe, sizeof exe);
		run_plain(exe, false, &a);
		run_plain(exe, true, &b);
		ASSERT_EQ(proc_exit_code(&a), 0);
		ASSERT_EQ(proc_exit_code(&b), 0);
		ASSERT_STR_EQ(a.out, b.out);
		if (strstr(b.err, "weft"))
			TEST_FAIL_("%s: the probe spoke without a session: %s", progs[i], b.err);
		proc_result_free(&a);
		proc_result_free(&b);
	}
	return 0;
}

TEST_IMPL(inert_without_glib)
{
	struct run_result r;

	run_plain("/bin/true", true, &r);
	ASSERT_EQ(proc_exit_code(&r), 0);
	ASSERT_STR_EQ(r.err, "");
	proc_result_free(&r);
	return 0;
}

TEST_IMPL(probe_listed)
{
	struct run_result r;
	int rc = WEFT(&r, 30, "record", "--probe", "nope", "--", "/bin/true");

	ASSERT_EQ(rc, 2);
	if (!strstr(r.err, "unknown probe") || !strstr(r.err, "known=uv, glib"))
		TEST_FAIL_("glib is not among the known probes: [%s]", r.err);
	proc_result_free(&r);
	return 0;
}

static const struct test_entry tests[] = {
	TEST_ENTRY(inert_without_glib)
	TEST_ENTRY(same_behaviour)
	TEST_ENTRY(probe_listed)
	TEST_ENTRY_TIMEOUT(starvation, 120)
	TEST_ENTRY_TIMEOUT(unobserved, 120)
	TEST_ENTRY_TIMEOUT(cancel, 120)
	TEST_ENTRY_TIMEOUT(healthy, 120)
	TEST_ENTRY_TIMEOUT(gio_files, 120)
	TEST_ENTRY_TIMEOUT(dlopen_local, 120)
	TEST_ENTRY_TIMEOUT(attach, 120)
};

int main(int argc, char **argv)
{
	return probe_main(argc, argv, tests, sizeof tests / sizeof tests[0], "glib", "WEFT_PROBE_GLIB_KEEP");
}
