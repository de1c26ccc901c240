/*
 * bench-probe-uv — what the libuv probe costs a libuv program (issue 10):
 * uv_queue_work jobs of 10 us each (jobs/s) and a batch of uv_fs_stat
 * requests (requests/s), in three configurations side by side:
 *
 *   bare      the program alone (no probe);
 *   off       libweft-uv.so preloaded, no session listening;
 *   on        preloaded, a session recording weft:* (bench.h's session:
 *             per-UID buffers, 8 x 4 MiB sub-buffers, discard mode).
 *
 * Each round re-executes the program as two children, one per kind
 * ("--child bare" without LD_PRELOAD, "--child probe" with it; which goes
 * first alternates between rounds); each child runs CHILD_BATCHES batches
 * of each of its configurations and prints their median, the probe child
 * alternating off and on batches in one session.  Ratios are medians of
 * the per-round ratios, so a drift of the machine, or one child's unlucky
 * thread placement, weighs on one round rather than on every round of one
 * configuration.  Printed:
 * "bench: NAME=VALUE" lines, the ratios off/bare and on/bare for each
 * workload (issue 10: off >= 0.98, on >= 0.8 for 10 us jobs).  The pool has
 * as many workers as online CPUs (UV_THREADPOOL_SIZE), so that 10 us jobs
 * measure the pool's path rather than the scheduler's.
 *
 *   bench-probe-uv [--quick]
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uv.h>

#include "bench.h"
#include "weft/weft.h"

#define JOB_NS 10000

#define MAX_ROUNDS 9    /* rounds of main() (--quick: 3), a child pair each */
#define CHILD_BATCHES 3 /* batches of each configuration in one child */

static int jobs_n = 20000, stats_n = 20000, rounds = MAX_ROUNDS;
static int left;

static void job(uv_work_t *req)
{
	(void)req;
	bench_spin_ns(JOB_NS);
}

static void job_done(uv_work_t *req, int status)
{
	(void)req;
	(void)status;
	left--;
}

static void stat_done(uv_fs_t *req)
{
	left--;
	uv_fs_req_cleanup(req);
}

/* Rate (per second) of `n` requests submitted at once and run to the end. */
static double run_jobs(uv_loop_t *loop, uv_work_t *w, int n)
{
	uint64_t t0 = bench_now_ns();

	left = n;
	for (int i = 0; i < n; i++)
		if (uv_queue_work(loop, &w[i], job, job_done) != 0)
			return -1;
	uv_run(loop, UV_RUN_DEFAULT);
	return left ? -1 : n / ((double)(bench_now_ns() - t0) / 1e9);
}

static double run_stats(uv_loop_t *loop, uv_fs_t *f, int n)
{
	uint64_t t0 = bench_now_ns();

	left = n;
	for (int i = 0; i < n; i++)
		if (uv_fs_stat(loop, &f[i], "/", stat_done) != 0)
			return -1;
	uv_run(loop, UV_RUN_DEFAULT);
	return left ? -1 : n / ((double)(bench_now_ns() - t0) / 1e9);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* A child: prints "jobs_<cfg>=R" and "stats_<cfg>=R" for its configurations. */
static int child(const char *mode)
{
	bool probe = strcmp(mode, "probe") == 0;
	uv_loop_t *loop = uv_default_loop();
	uv_work_t *w = calloc((size_t)jobs_n, sizeof(*w));
	uv_fs_t *f = calloc((size_t)stats_n, sizeof(*f));
	double jr[2][CHILD_BATCHES], sr[2][CHILD_BATCHES];
	struct bench_session s = { 0 };
	static const char *const events[] = { "weft:*" };
	int ncfg = probe ? 2 : 1, rc = 1;

	if (!w || !f)
		goto out;
	if (probe && bench_session_open(&s, events, 1) != 0)
		goto out;
	/* warm up: the pool's threads, the page cache */
	if (run_jobs(loop, w, jobs_n / 10) < 0 || run_stats(loop, f, stats_n / 10) < 0)
		goto out;
	for (int r = 0; r < CHILD_BATCHES; r++)
		for (int c = 0; c < ncfg; c++) {
			if (probe) {
				const int *state = weft__tp_state_of(WEFT_EV_task_submit);

				if ((c ? bench_session_start(&s) : bench_session_stop(&s)) != 0 ||
				    bench_wait_state(state, c, 2000) != 0) {
					fprintf(stderr, "bench-probe-uv: Cannot %s the session\n",
						c ? "start" : "stop");
					goto out;
				}
			}
			jr[c][r] = run_jobs(loop, w, jobs_n);
			sr[c][r] = run_stats(loop, f, stats_n);
			if (jr[c][r] < 0 || sr[c][r] < 0)
				goto out;
		}
	for (int c = 0; c < ncfg; c++) {
		const char *cfg = probe ? (c ? "on" : "off") : "bare";

		printf("jobs_%s=%.0f\nstats_%s=%.0f\n", cfg, median(jr[c], CHILD_BATCHES), cfg,
		       median(sr[c], CHILD_BATCHES));
	}
	if (probe) {
		uint64_t d = 0;

		bench_session_discarded(&s, &d);
		printf("discarded=%llu\n", (unsigned long long)d);
	}
	rc = 0;
out:
	if (probe)
		bench_session_close(&s);
	free(w);
	free(f);
	return rc;
}

/* Runs `self --child MODE` and parses its NAME=VALUE lines into vals. */
static int run_child(const char *self, const char *mode, bool quick, char *out, size_t len)
{
	int pfd[2];
	pid_t pid;
	size_t used = 0;
	ssize_t n;
	int status;

	if (pipe(pfd) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		if (strcmp(mode, "probe") == 0)
			setenv("LD_PRELOAD", PROBE_UV_LIB, 1);
		else
			unsetenv("LD_PRELOAD");
		execl(self, self, "--child", mode, quick ? "--quick" : NULL, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		return -1;
	}
	while (used + 1 < len && (n = read(pfd[0], out + used, len - used - 1)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		used += (size_t)n;
	}
	out[used] = '\0';
	close(pfd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return 0;
}

static double val(const char *text, const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof key, "%s=", name);
	for (p = text; (p = strstr(p, key)); p++)
		if (p == text || p[-1] == '\n')
			return strtod(p + strlen(key), NULL);
	return -1;
}

/* What main() reads from each round's children: which child, its line, and
 * the figure it becomes (the median over the rounds). */
#define FIG_MAP(X) \
	X(jobs_bare, 0, "jobs_bare", "jobs_per_s_bare") \
	X(jobs_off, 1, "jobs_off", "jobs_per_s_off") \
	X(jobs_on, 1, "jobs_on", "jobs_per_s_on") \
	X(stats_bare, 0, "stats_bare", "stats_per_s_bare") \
	X(stats_off, 1, "stats_off", "stats_per_s_off") \
	X(stats_on, 1, "stats_on", "stats_per_s_on")
#define X_ENUM(id, p, key, name) FIG_##id,
enum { FIG_MAP(X_ENUM) FIG_COUNT };
#undef X_ENUM
#define X_INFO(id, p, key, name) { p, key, name },
static const struct {
	int probe;
	const char *key, *name;
} figs[FIG_COUNT] = { FIG_MAP(X_INFO) };
#undef X_INFO

int main(int argc, char **argv)
{
	bool quick = false;
	const char *mode = NULL;
	char bare[1024] = "", probe[1024] = "", ncpu[24];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	double fig[FIG_COUNT][MAX_ROUNDS], ratio[4][MAX_ROUNDS], discarded = 0, jobs_off, jobs_on;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			quick = true;
		} else if (strcmp(argv[i], "--child") == 0 && i + 1 < argc) {
			mode = argv[++i];
		} else {
			fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
			return 2;
		}
	}
	if (quick) {
		jobs_n = stats_n = 2000;
		rounds = 3;
	}
	if (mode)
		return child(mode);
	if (bench_sessiond_ensure(argv) != 0)
		return 1;
	snprintf(ncpu, sizeof ncpu, "%ld", cpus > 0 ? cpus : 1);
	setenv("UV_THREADPOOL_SIZE", ncpu, 1);
	for (int r = 0; r < rounds; r++) {
		int bare_first = !(r & 1);

		if ((bare_first && run_child("/proc/self/exe", "bare", quick, bare, sizeof bare)) ||
		    run_child("/proc/self/exe", "probe", quick, probe, sizeof probe) ||
		    (!bare_first && run_child("/proc/self/exe", "bare", quick, bare, sizeof bare))) {
			fprintf(stderr, "bench-probe-uv: Cannot run a child: round=%d bare=[%s] "
					"probe=[%s]\n", r, bare, probe);
			return 1;
		}
		for (int k = 0; k < FIG_COUNT; k++) {
			fig[k][r] = val(figs[k].probe ? probe : bare, figs[k].key);
			if (fig[k][r] <= 0) {
				fprintf(stderr, "bench-probe-uv: a child printed no rate: round=%d "
						"name=%s\n", r, figs[k].key);
				return 1;
			}
		}
		discarded += val(probe, "discarded");
	}
	for (int r = 0; r < rounds; r++) {
		ratio[0][r] = fig[FIG_jobs_off][r] / fig[FIG_jobs_bare][r];
		ratio[1][r] = fig[FIG_jobs_on][r] / fig[FIG_jobs_bare][r];
		ratio[2][r] = fig[FIG_stats_off][r] / fig[FIG_stats_bare][r];
		ratio[3][r] = fig[FIG_stats_on][r] / fig[FIG_stats_bare][r];
	}
	/* Printed before median() sorts them. */
	printf("# per round, jobs on/bare:");
	for (int r = 0; r < rounds; r++)
		printf(" %.3f", ratio[1][r]);
	printf("\n# per round, jobs off/bare:");
	for (int r = 0; r < rounds; r++)
		printf(" %.3f", ratio[0][r]);
	printf("\n");
	printf("bench: workers=%s\n", ncpu);
	printf("bench: job_ns=%d\n", JOB_NS);
	printf("bench: rounds=%d\n", rounds);
	for (int k = 0; k < FIG_COUNT; k++)
		printf("bench: %s=%.0f\n", figs[k].name, median(fig[k], rounds));
	jobs_off = median(ratio[0], rounds);
	jobs_on = median(ratio[1], rounds);
	printf("bench: jobs_ratio_off=%.3f\n", jobs_off);
	printf("bench: jobs_ratio_on=%.3f\n", jobs_on);
	printf("bench: stats_ratio_off=%.3f\n", median(ratio[2], rounds));
	printf("bench: stats_ratio_on=%.3f\n", median(ratio[3], rounds));
	printf("bench: discarded_events=%.0f\n", discarded);
	printf("# target probe loaded, no session >= 0.98 x without (10 us jobs): %s\n",
	       jobs_off >= 0.98 ? "met" : "MISSED");
	printf("# target probe and a session >= 0.8 x without (10 us jobs): %s\n",
	       jobs_on >= 0.8 ? "met" : "MISSED");
	return 0;
}
