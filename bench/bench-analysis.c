/*
 * bench-analysis: what analysing a trace store costs next to building it,
 * on the same trace as bench-ingest (gen-events, default 10M events shaped
 * like a busy reference-runtime pool), and how fast a chain and a blame are.
 *
 * Recording reuses the product's own path: `weft record --lossless
 * --keep-trace --rotate 1h -- gen-events N` (one chunk, nothing discarded,
 * the CTF kept).  Then, in this process:
 *
 *   ingest    `weft import TRACE -o FILE` in a child, wall time (the same
 *             figure bench-ingest calls import)
 *   detect    detect_run() over that store, every detector (final), wall
 *   chain     chain_get() for --tasks random tasks (uniform over tasks.id)
 *   blame     blame_get() for the same tasks
 *
 * The last lines are "bench: analysis_vs_ingest=" (detect time / ingest
 * time), "bench: chain_p99_ms=", "bench: blame_p99_ms=" (nearest-rank p99
 * of the per-task times); targets, printed and never failing the run:
 * chain p99 <= 10 ms, blame p99 <= 20 ms.
 *
 *   bench-analysis [--quick] [--events N] [--tasks K] [--store FILE] [--keep]
 *
 * --quick: 500k events (the bench-analysis-smoke test).  --store FILE: time
 * the analysis of an existing store (no recording, no ingest figure:
 * analysis_vs_ingest is then 0).  --keep: keep the work directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "chain.h"
#include "detect.h"
#include "store.h"

#define FULL_EVENTS 10000000LL
#define QUICK_EVENTS 500000LL

struct cfg {
	long long events;
	int tasks, keep;
	const char *store_arg;
	char work[64], rec[128], store[128], out[128], trace[4096];
};

/* Records gen-events with weft record and finds the kept trace. */
static int record(struct cfg *c)
{
	char n[32], line[4608];
	char *argv[] = { WEFT_CLI, "record", "--lossless", "--keep-trace", "--rotate", "1h",
			 "-o", c->rec, "--", GEN_EVENTS, n, NULL };
	double wall;
	FILE *f;

	snprintf(n, sizeof n, "%lld", c->events);
	if (bench_run(argv, c->out, &wall) != 0) {
		fprintf(stderr, "Cannot record gen-events: weft record failed: log=%s\n", c->out);
		bench_print_file(c->out);
		return -1;
	}
	f = fopen(c->out, "r");
	while (f && fgets(line, sizeof line, f)) {
		const char *p = strstr(line, "trace kept in ");

		if (p) {
			snprintf(c->trace, sizeof c->trace, "%s", p + strlen("trace kept in "));
			c->trace[strcspn(c->trace, "\n")] = '\0';
		}
		if (strstr(line, "LOSS") || strstr(line, "discarded events,"))
			fprintf(stderr, "# %s", line);
	}
	if (f)
		fclose(f);
	if (!c->trace[0]) {
		fprintf(stderr, "Cannot find the kept trace in weft record's output: log=%s\n",
			c->out);
		return -1;
	}
	printf("# recorded %lld events with weft record in %.2f s; trace %s\n", c->events, wall,
	       c->trace);
	return 0;
}

/*
 * Live detection latency: `weft record` (rotation 1 s, as by default) of
 * latency-prog, whose pool worker starts a 3 s blocking wait; the store is
 * polled, read-only, until the blocking-wait finding is in it.  Latency =
 * when the finding was written (findings.detected_ns, wall clock) minus when
 * its condition began to hold (the wait's begin) minus the detector's
 * persistence time (its min_wait).  -1 on failure (printed).
 */
static double live_latency_ms(struct cfg *c)
{
	char db[160], log[160];
	char *argv[] = { WEFT_CLI, "record", "-o", db, "--", LATENCY_PROG, NULL };
	const struct detector *d = detector_find("blocking-wait", NULL);
	double persist_ms = d ? d->th[0].def : 0, ms = -1;
	int64_t detected = 0, begin = 0, live = 0;
	int status = 0, i;
	pid_t pid;

	if (!d) {
		fprintf(stderr, "Cannot measure detection latency: no blocking-wait detector\n");
		return -1;
	}
	snprintf(db, sizeof db, "%s/latency.db", c->work);
	snprintf(log, sizeof log, "%s/latency.log", c->work);
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	/* Poll for up to 10 s; the finding must come while the program runs. */
	for (i = 0; i < 1000 && !detected; i++) {
		sqlite3 *h = NULL;
		sqlite3_stmt *st = NULL;

		bench_sleep_ms(10);
		if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
		    sqlite3_prepare_v2(h,
				       "SELECT f.detected_ns, s.start_ns + f.begin_ns, "
				       "  s.end_ns IS NULL FROM findings f "
				       "JOIN sessions s ON s.id = f.session "
				       "WHERE f.detector = 'blocking-wait' ORDER BY f.id LIMIT 1",
				       -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW) {
			detected = sqlite3_column_int64(st, 0);
			begin = sqlite3_column_int64(st, 1);
			live = sqlite3_column_int64(st, 2);
		}
		sqlite3_finalize(st);
		sqlite3_close(h);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "Cannot measure detection latency: weft record failed: log=%s\n", log);
		bench_print_file(log);
		return -1;
	}
	if (!detected) {
		fprintf(stderr, "Cannot measure detection latency: no blocking-wait finding: "
				"store=%s\n", db);
		return -1;
	}
	ms = (double)(detected - begin) / 1e6 - persist_ms;
	printf("# live detection: the 3 s blocking wait began at %lld, its finding was written "
	       "%.1f ms later (%s the recording ended); minus %.0f ms persistence: %.1f ms\n",
	       (long long)begin, (double)(detected - begin) / 1e6, live ? "before" : "after",
	       persist_ms, ms);
	if (!live) {
		fprintf(stderr, "Cannot measure detection latency: the finding came only with the "
				"final pass, not live\n");
		return -1;
	}
	return ms;
}

static int64_t max_task_row(struct store *st)
{
	sqlite3_stmt *s = NULL;
	int64_t v = 0;

	if (sqlite3_prepare_v2(store_db(st), "SELECT max(id) FROM tasks", -1, &s, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int parse_args(int argc, char **argv, struct cfg *c)
{
	int quick = 0, i;

	memset(c, 0, sizeof(*c));
	c->events = -1;
	c->tasks = 1000;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--quick"))
			quick = 1;
		else if (!strcmp(a, "--keep"))
			c->keep = 1;
		else if (!strcmp(a, "--events") && v && ++i)
			c->events = atoll(v);
		else if (!strcmp(a, "--tasks") && v && ++i)
			c->tasks = atoi(v);
		else if (!strcmp(a, "--store") && v && ++i)
			c->store_arg = v;
		else
			goto usage;
	}
	if (c->events < 0)
		c->events = quick ? QUICK_EVENTS : FULL_EVENTS;
	if (c->events < 1 || c->tasks < 1 || c->tasks > 1000000)
		goto usage;
	return 0;
usage:
	fprintf(stderr, "usage: bench-analysis [--quick] [--events N] [--tasks K] "
			"[--store FILE] [--keep]\n");
	return -1;
}

int main(int argc, char **argv)
{
	double ingest_s = 0, detect_s, lat, *chain_ms = NULL, *blame_ms = NULL;
	struct detect_stats ds;
	struct store *st = NULL;
	int64_t maxrow;
	char err[1024];
	struct cfg c;
	int i, ret = 1;

	if (parse_args(argc, argv, &c) < 0)
		return 2;
	snprintf(c.work, sizeof c.work, "/tmp/weft-bench-analysis-XXXXXX");
	if (!mkdtemp(c.work)) {
		fprintf(stderr, "Cannot create the work directory: %s\n", strerror(errno));
		return 1;
	}
	snprintf(c.rec, sizeof c.rec, "%s/record.db", c.work);
	snprintf(c.store, sizeof c.store, "%s/import.db", c.work);
	snprintf(c.out, sizeof c.out, "%s/cmd.log", c.work);
	bench_print_machine();
	if (c.store_arg) {
		snprintf(c.store, sizeof c.store, "%s", c.store_arg);
	} else {
		char *imp[] = { WEFT_CLI, "import", c.trace, "-o", c.store, NULL };

		if (bench_sessiond_ensure(argv) < 0 || record(&c) < 0)
			goto out;
		sync();
		if (bench_run(imp, c.out, &ingest_s) != 0) {
			fprintf(stderr, "Cannot import the trace: weft import failed: log=%s\n",
				c.out);
			bench_print_file(c.out);
			goto out;
		}
		printf("# ingest: weft import %.2f s (%.2fM events/s)\n", ingest_s,
		       (double)c.events / ingest_s / 1e6);
	}
	if (store_open(c.store, 0, &st, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	/* Every detector, as `weft report --ended` runs them. */
	{
		struct detect_opts o = { .final = true };
		uint64_t t0 = bench_now_ns();

		if (detect_run(st, &o, &ds, err, sizeof err) != 0) {
			fprintf(stderr, "%s\n", err);
			goto out;
		}
		detect_s = (double)(bench_now_ns() - t0) / 1e9;
		printf("# detect: %d detectors, %llu findings in %.3f s\n", DETECTOR_COUNT,
		       (unsigned long long)ds.findings, detect_s);
	}
	maxrow = max_task_row(st);
	chain_ms = calloc((size_t)c.tasks, sizeof(double));
	blame_ms = calloc((size_t)c.tasks, sizeof(double));
	if (!chain_ms || !blame_ms || maxrow < 1) {
		fprintf(stderr, "Cannot time chains: %s\n", maxrow < 1 ? "no tasks" : "out of memory");
		goto out;
	}
	srand(42);
	for (i = 0; i < c.tasks; i++) {
		int64_t row = 1 + (int64_t)(((uint64_t)rand() << 31 ^ (uint64_t)rand()) %
					    (uint64_t)maxrow);
		struct chain ch;
		struct blame b;
		uint64_t t0 = bench_now_ns(), t1;

		if (chain_get(st, row, &ch) != 0) {
			fprintf(stderr, "Cannot get a chain: %s\n", store_errmsg(st));
			goto out;
		}
		t1 = bench_now_ns();
		chain_free(&ch);
		if (blame_get(st, row, &b) != 0) {
			fprintf(stderr, "Cannot get a blame: %s\n", store_errmsg(st));
			goto out;
		}
		blame_ms[i] = (double)(bench_now_ns() - t1) / 1e6;
		chain_ms[i] = (double)(t1 - t0) / 1e6;
		blame_free(&b);
	}
	printf("# %d random tasks of %lld: chain median %.3f ms, blame median %.3f ms\n", c.tasks,
	       (long long)maxrow, bench_percentile(chain_ms, (size_t)c.tasks, 50),
	       bench_percentile(blame_ms, (size_t)c.tasks, 50));
	bench_print("events", (double)c.events, 0);
	bench_print("ingest_s", ingest_s, 3);
	bench_print("detect_s", detect_s, 3);
	lat = c.store_arg ? 0 : live_latency_ms(&c);
	if (lat < 0)
		goto out;
	bench_target("detect_latency_ms", lat, "<=", 2000); /* rotation 1 s + 1 s */
	bench_target("chain_p99_ms", bench_percentile(chain_ms, (size_t)c.tasks, 99), "<=", 10);
	bench_target("blame_p99_ms", bench_percentile(blame_ms, (size_t)c.tasks, 99), "<=", 20);
	bench_print("analysis_vs_ingest", ingest_s > 0 ? detect_s / ingest_s : 0, 4);
	bench_print("chain_p99_ms", bench_percentile(chain_ms, (size_t)c.tasks, 99), 3);
	bench_print("blame_p99_ms", bench_percentile(blame_ms, (size_t)c.tasks, 99), 3);
	bench_print("detect_latency_ms", lat, 1);
	ret = 0;
out:
	free(chain_ms);
	free(blame_ms);
	store_close(st);
	if (c.trace[0] && !c.keep) {
		char *slash = strrchr(c.trace, '/');

		/* weft record's temp dir holds the trace: remove it too. */
		if (slash && strstr(c.trace, "/weft-rec.")) {
			*slash = '\0';
			bench_rmtree(c.trace);
		}
	}
	if (c.keep)
		printf("# work directory kept: %s\n", c.work);
	else
		bench_rmtree(c.work);
	return ret;
}
