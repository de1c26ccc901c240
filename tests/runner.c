/*
 * The runner behind tests/runner.h: forks one process per test, kills it at
 * its timeout, prints TAP ("ok N name" / "not ok N name # reason").  A suite
 * that cannot run at all reports it through test_runner_cannot_run(): skipped
 * on a developer's machine, failed in CI.
 */
#include "runner.h"

#include <errno.h>
#include <strings.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs one test in a child; returns 0 on pass and fills why on failure. */
static int run_one(const struct test_entry *t, char *why, size_t whylen)
{
	double deadline = now_s() + t->timeout_s;
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		_exit(t->fn() == 0 ? 0 : 1);
	}
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			snprintf(why, whylen, "waitpid: %s", strerror(errno));
			return -1;
		}
		if (now_s() > deadline) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(why, whylen, "timed out after %us", t->timeout_s);
			return -1;
		}
		usleep(2000);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		snprintf(why, whylen, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(why, whylen, "exit status %d", WEXITSTATUS(status));
	return -1;
}

int test_runner_main(int argc, char **argv, const struct test_entry *tests, size_t n)
{
	int nofork = 0, failed = 0, planned = 0, i0 = 1;
	size_t i;
	int a;

	if (argc > 1 && strcmp(argv[1], "--list") == 0) {
		for (i = 0; i < n; i++)
			printf("%s\n", tests[i].name);
		return 0;
	}
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: %s [--list] [--no-fork] [TEST...]\n"
		       "Runs the named tests (all by default), each in its own process with a\n"
		       "timeout, and prints TAP.  --no-fork runs in-process, for a debugger.\n",
		       argv[0]);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "--no-fork") == 0) {
		nofork = 1;
		i0 = 2;
	}
	for (a = i0; a < argc; a++) {
		for (i = 0; i < n; i++)
			if (strcmp(argv[a], tests[i].name) == 0)
				break;
		if (i == n) {
			fprintf(stderr, "%s: no test named '%s' (see --list)\n", argv[0], argv[a]);
			return 2;
		}
	}
	for (i = 0; i < n; i++) {
		int selected = argc <= i0;
		for (a = i0; a < argc && !selected; a++)
			selected = strcmp(argv[a], tests[i].name) == 0;
		planned += selected;
	}
	printf("1..%d\n", planned);
	planned = 0;
	for (i = 0; i < n; i++) {
		int selected = argc <= i0;
		char why[256] = "";
		double t0;
		int rc;

		for (a = i0; a < argc && !selected; a++)
			selected = strcmp(argv[a], tests[i].name) == 0;
		if (!selected)
			continue;
		planned++;
		t0 = now_s();
		rc = nofork ? (tests[i].fn() == 0 ? 0 : -1) : run_one(&tests[i], why, sizeof why);
		if (rc == 0) {
			printf("ok %d %s # %.2fs\n", planned, tests[i].name, now_s() - t0);
		} else {
			printf("not ok %d %s # %s\n", planned, tests[i].name, why);
			failed++;
		}
		fflush(stdout);
	}
	printf("# %d passed, %d failed\n", planned - failed, failed);
	return failed ? 1 : 0;
}

int test_runner_in_ci(void)
{
	const char *ci = getenv("CI");

	return ci && *ci && strcmp(ci, "0") != 0 && strcasecmp(ci, "false") != 0;
}

int test_runner_cannot_run(int argc, char **argv, const struct test_entry *tests, size_t n,
			   const char *why)
{
	int ci = test_runner_in_ci(), planned = 0, any = 0, k = 0;
	size_t i;
	int a;

	/* Selection as test_runner_main's: names on the command line (options
	 * such as --no-fork are not names), all tests if none. */
	for (a = 1; a < argc; a++)
		any |= argv[a][0] != '-';
	for (i = 0; i < n; i++) {
		int selected = !any;

		for (a = 1; a < argc && !selected; a++)
			selected = strcmp(argv[a], tests[i].name) == 0;
		planned += selected;
	}
	printf("1..%d\n", planned);
	for (i = 0; i < n; i++) {
		int selected = !any;

		for (a = 1; a < argc && !selected; a++)
			selected = strcmp(argv[a], tests[i].name) == 0;
		if (!selected)
			continue;
		if (ci)
			printf("not ok %d %s # cannot run in CI: %s\n", ++k, tests[i].name, why);
		else
			printf("ok %d %s # SKIP %s\n", ++k, tests[i].name, why);
	}
	if (ci)
		printf("# 0 passed, %d failed: the suite cannot run here and CI=%s forbids "
		       "skipping: %s\n", planned, getenv("CI"), why);
	else
		printf("# 0 passed, 0 failed, %d skipped: %s\n", planned, why);
	fflush(stdout);
	return ci ? 1 : 77;
}
