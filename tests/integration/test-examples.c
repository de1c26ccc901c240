/*
 * test-examples.c — the integration test of weft's tracing path end to end:
 * every example program (examples/) runs under a real LTTng session, its
 * trace is decoded by the real babeltrace2, and the events are checked.
 *
 * The tests:
 *  - example-NAME: the program exited 0 within 5 s printing exactly one line
 *    "NAME: ...", nothing was discarded, and the trace holds the events its
 *    failure pattern needs, related the way the detector will relate them
 *    (the thresholds used are the detectors' defaults, DESIGN.md section 1);
 *    the pattern oracle finds it too; for `healthy`, it finds no pattern;
 *  - checks-reject-healthy: every example's check fails on healthy's trace,
 *    so none of them can pass vacuously;
 *  - consistency-*: over every example's trace, the invariants any correct
 *    emitter keeps (each task announced by task_new before anything else
 *    names it, causal order of a task's events, contexts announced before
 *    use, every wait_end matched by a wait_begin, ...).
 *
 * Needs lttng-sessiond (started if none answers) and babeltrace2.  If LTTng
 * cannot be started at all, every test is reported skipped (TAP "# SKIP",
 * exit status 77 for CTest) with the reason -- in CI (CI=true) failed
 * instead, exit status 1; anything else is a failure.
 * WEFT_IT_KEEP=1 keeps the recordings; they are kept anyway if a test fails.
 * WEFT_IT_DIR=DIR uses (and keeps) the recordings in DIR, recording only the
 * missing ones: to check kept recordings again, without LTTng.
 * WEFT_IT_SESSION_PREFIX sets the LTTng session name prefix ("weft-it-").
 *
 * Files: trace.c records and decodes, trace-query.c measures, checks.c has
 * the per-example checks, oracle.c the pattern oracle, consistency.c the
 * invariants; this file the test list.
 */
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "it.h"

/* ---- the test list ------------------------------------------------------------------ */

/* example-NAME: the run, the pattern's events, and the oracle finds it. */
#define X(id, name) \
	static int test_##id(void) \
	{ \
		struct trace *t = it_get(name); \
		check_run(t); \
		note_found(t); \
		check_##id(t); \
		EXPECT(found_##id(t), "%s: the oracle does not find the pattern", name); \
		trace_free(t); \
		return 0; \
	}
PATTERNS(X)
#undef X

static int test_healthy(void)
{
	struct trace *t = it_get("healthy");

	check_run(t);
	note_found(t);
	check_healthy(t);
	trace_free(t);
	return 0;
}

/* Runs check on t in a child process; true if the check failed. */
static bool check_fails(check_fn check, const struct trace *t)
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	EXPECT(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(2);
		check(t);
		_exit(0);
	}
	EXPECT(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	return !WIFEXITED(status) || WEXITSTATUS(status) != 0;
}

/* Every pattern's check can fail: each rejects the healthy trace. */
static int test_checks_reject_healthy(void)
{
	struct trace *t = it_get("healthy");

	for (size_t i = 0; i < n_patterns; i++)
		EXPECT(check_fails(patterns[i].check, t), "the %s check accepts healthy's trace",
		       patterns[i].name);
	trace_free(t);
	return 0;
}

static int test_consistency_tasks(void)
{
	return consistency_over_all(consistency_tasks);
}

static int test_consistency_continuations(void)
{
	return consistency_over_all(consistency_continuations);
}

static int test_consistency_contexts(void)
{
	return consistency_over_all(consistency_contexts);
}

static int test_consistency_waits(void)
{
	return consistency_over_all(consistency_waits);
}

static const struct test_entry tests[] = {
#define X(id, name) { "example-" name, test_##id, 30 },
	EXAMPLES(X)
#undef X
	{ "checks-reject-healthy", test_checks_reject_healthy, 30 },
	/* Each records whatever the example tests did not (when run alone). */
	{ "consistency-tasks", test_consistency_tasks, 150 },
	{ "consistency-continuations", test_consistency_continuations, 150 },
	{ "consistency-contexts", test_consistency_contexts, 150 },
	{ "consistency-waits", test_consistency_waits, 150 },
};
#define N_TESTS (sizeof(tests) / sizeof(tests[0]))

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Reports every selected test skipped (failed, in CI): LTTng is unavailable. */
static int skip_all(int argc, char **argv, const char *why)
{
	char msg[1100];

	snprintf(msg, sizeof msg, "cannot start LTTng: %s", why);
	return test_runner_cannot_run(argc, argv, tests, N_TESTS, msg);
}

int main(int argc, char **argv)
{
	char root[1024], why[1024] = "";
	const char *tmp = getenv("TMPDIR"), *reuse = getenv("WEFT_IT_DIR");
	int rc;

	if (argc > 1 && argv[1][0] == '-') /* --list, --help, --no-fork: the runner's */
		if (strcmp(argv[1], "--no-fork") != 0)
			return test_runner_main(argc, argv, tests, N_TESTS);
	if (reuse && *reuse) {
		/* checks again the recordings of an earlier run (WEFT_IT_KEEP) */
		trace_set_root(reuse);
		return test_runner_main(argc, argv, tests, N_TESTS);
	}
	snprintf(root, sizeof root, "%s/weft-it-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root)) {
		fprintf(stderr, "Cannot create a directory for the recordings: %s: path=%s\n",
			strerror(errno), root);
		return 1;
	}
	trace_set_root(root);
	if (trace_lttng_ready(why, sizeof why)) {
		rc = skip_all(argc, argv, why);
		nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		return rc;
	}
	rc = test_runner_main(argc, argv, tests, N_TESTS);
	if (rc == 0 && !getenv("WEFT_IT_KEEP"))
		nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	else
		it_note("# recordings kept in %s\n", root);
	return rc;
}
