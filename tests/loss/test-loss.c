/*
 * Loss tests: the real `weft record` (real lttng-sessiond, consumer daemon,
 * rotation chunks, babeltrace2 decoding, SQLite store) recording loss-gen,
 * which emits tasks numbered 1..N (task_new + task_end each) at a fixed
 * event rate, by default 1M events/s for 10 s.
 *
 *  lossless  with --lossless every number is in the store exactly once
 *            (count, distinct, min, max of tasks, both events of each task,
 *            and the chunks' event counts add up to 2N), and the summary,
 *            the sessions row and the loss table all say "no loss";
 *  lossy     without it and with tiny buffers (2 x 4 KiB per CPU) events
 *            are lost, and the number missing from the store equals, exactly,
 *            the count LTTng reports in the summary line "LTTng discarded D
 *            events" and in sessions.discarded_events, and the loss table's
 *            counts add up to exactly D too (they come from LTTng's own
 *            per-packet counters in the CTF index, not from babeltrace2's
 *            discarded-events messages, which are not exact across chunks).
 *
 * The rate and duration can be changed with WEFT_LOSS_RATE (events/s) and
 * WEFT_LOSS_SECONDS (for a slower machine; the ASan+UBSan build keeps up with
 * the defaults here); the rate the generator reached is printed as a TAP
 * comment, and the lossy test fails below 80 % of the rate asked.
 */
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"

#define DEFAULT_RATE 1000000LL
#define DEFAULT_SECONDS 10LL
/* weft record gets this long, then SIGINT (the test fails: it took too long). */
#define RECORD_DEADLINE_S 150

struct rec {
	char dir[64];
	char db[96];
	char out[96];
	long long tasks;  /* N: numbers 1..N */
	long long rate;   /* events/s asked */
	char *text;       /* weft record's stdout + stderr (and loss-gen's) */
	double seconds;   /* wall time of weft record */
	sqlite3 *sql;
};

static long long env_ll(const char *name, long long def)
{
	const char *v = getenv(name);

	return v && *v ? atoll(v) : def;
}

static char *slurp(const char *path)
{
	struct stat sb;
	char *buf = NULL;
	FILE *f = fopen(path, "r");

	if (f && fstat(fileno(f), &sb) == 0 && (buf = calloc(1, (size_t)sb.st_size + 1)))
		if (fread(buf, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size)
			buf[0] = '\0';
	if (f)
		fclose(f);
	return buf;
}

/* Runs `weft record -o DB <opts> -- loss-gen N RATE`, output to r->out;
 * asserts that it exits 0, then opens the store. */
static void record(struct rec *r, const char *const *opts)
{
	char n[32], rate[32];
	const char *argv[32];
	struct timespec t0, t1;
	int i = 0, status, fd;
	pid_t pid;

	r->rate = env_ll("WEFT_LOSS_RATE", DEFAULT_RATE);
	r->tasks = r->rate * env_ll("WEFT_LOSS_SECONDS", DEFAULT_SECONDS) / 2;
	ASSERT_GT(r->tasks, 0);
	snprintf(r->dir, sizeof r->dir, "/tmp/weft-loss-XXXXXX");
	ASSERT_NOT_NULL(mkdtemp(r->dir));
	snprintf(r->db, sizeof r->db, "%s/weft.db", r->dir);
	snprintf(r->out, sizeof r->out, "%s/record.out", r->dir);
	snprintf(n, sizeof n, "%lld", r->tasks);
	snprintf(rate, sizeof rate, "%lld", r->rate);
	argv[i++] = WEFT_CLI;
	argv[i++] = "record";
	argv[i++] = "-o";
	argv[i++] = r->db;
	while (*opts)
		argv[i++] = *opts++;
	argv[i++] = "--";
	argv[i++] = LOSS_GEN;
	argv[i++] = n;
	argv[i++] = rate;
	argv[i] = NULL;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		fd = open(r->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	/* Bounded: past the deadline, interrupt weft record (it stops the
	 * session and stores what it has) rather than let the runner kill it
	 * and leave an active LTTng session behind. */
	for (int waited_ms = 0; waitpid(pid, &status, WNOHANG) == 0; waited_ms += 100) {
		if (waited_ms == RECORD_DEADLINE_S * 1000)
			kill(pid, SIGINT);
		if (waited_ms == (RECORD_DEADLINE_S + 30) * 1000) {
			kill(pid, SIGKILL);
			ASSERT_EQ(waitpid(pid, &status, 0), pid);
			break;
		}
		usleep(100000);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	r->text = slurp(r->out);
	ASSERT_NOT_NULL(r->text);
	/* The whole output, as TAP comments: what a reader of a failure needs. */
	for (char *line = r->text, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line) - 1;
		fprintf(stderr, "# | %.*s\n", (int)(nl - line), line);
	}
	ASSERT_LT(r->seconds, RECORD_DEADLINE_S);
	ASSERT(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	ASSERT_EQ(sqlite3_open_v2(r->db, &r->sql, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rec_done(struct rec *r)
{
	sqlite3_close(r->sql);
	free(r->text);
	nftw(r->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* The one integer a query returns (NULL counts as -1); ?1 is bound to N. */
static long long q(struct rec *r, const char *sql)
{
	sqlite3_stmt *s = NULL;
	long long v = -1;
	int rc;

	rc = sqlite3_prepare_v2(r->sql, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		TEST_FAIL_("cannot prepare: %s: sql=%s", sqlite3_errmsg(r->sql), sql);
	if (sqlite3_bind_parameter_count(s) > 0)
		sqlite3_bind_int64(s, 1, r->tasks);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW)
		TEST_FAIL_("no row: %s: sql=%s", sqlite3_errmsg(r->sql), sql);
	if (sqlite3_column_type(s, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Prints the rate loss-gen reached (its own line in the output); returns it
 * in events/s. */
static double report_rate(const struct rec *r)
{
	const char *g = strstr(r->text, "loss-gen: events=");
	long long ev = 0, late = 0;
	double secs = 0, rate = 0;

	ASSERT_NOT_NULL(g);
	ASSERT_EQ(sscanf(g, "loss-gen: events=%lld seconds=%lf rate=%lf late_batches=%lld", &ev,
			 &secs, &rate, &late), 4);
	ASSERT_EQ(ev, 2 * r->tasks);
	fprintf(stderr, "# asked %lld events/s for %lld events: loss-gen reached %.0f events/s "
			"(%.2f s, %lld late 1-ms batches); weft record took %.1f s\n",
		r->rate, ev, rate, secs, late, r->seconds);
	return rate;
}

TEST_IMPL(lossless)
{
	static const char *const opts[] = { "--lossless", NULL };
	struct rec r = { 0 };

	record(&r, opts);
	/* Not asserted: blocking the program when buffers are full is what
	 * --lossless is for, so a slow consumer may lower the rate. */
	report_rate(&r);
	ASSERT_NOT_NULL(strstr(r.text, "weft record: loss: none"));
	ASSERT_NULL(strstr(r.text, "LOSS"));
	/* One session, one process: every number once, with both its events. */
	ASSERT_EQ(q(&r, "SELECT count(*) FROM sessions"), 1);
	ASSERT_EQ(q(&r, "SELECT count(*) FROM processes"), 1);
	ASSERT_EQ(q(&r, "SELECT count(*) FROM tasks"), r.tasks);
	ASSERT_EQ(q(&r, "SELECT count(DISTINCT task) FROM tasks"), r.tasks);
	ASSERT_EQ(q(&r, "SELECT min(task) FROM tasks"), 1);
	ASSERT_EQ(q(&r, "SELECT max(task) FROM tasks"), r.tasks);
	ASSERT_EQ(q(&r, "SELECT count(created_ns) FROM tasks"), r.tasks);
	ASSERT_EQ(q(&r, "SELECT count(ended_ns) FROM tasks"), r.tasks);
	/* No event twice either: the chunks hold exactly 2N weft events. */
	ASSERT_EQ(q(&r, "SELECT sum(events) FROM chunks"), 2 * r.tasks);
	ASSERT_EQ(q(&r, "SELECT discarded_events FROM sessions"), 0);
	ASSERT_EQ(q(&r, "SELECT count(*) FROM loss"), 0);
	rec_done(&r);
	return 0;
}

TEST_IMPL(lossy)
{
	static const char *const opts[] = { "--subbuf-size", "4k", "--num-subbuf", "2", NULL };
	struct rec r = { 0 };
	long long discarded = -1, stored, in_chunks, known, inexact, summary = -1;
	const char *l;

	record(&r, opts);
	/* Nothing blocks it here: it must have kept (close to) the rate asked,
	 * or the loss below says little about that rate. */
	ASSERT_GE(report_rate(&r), 0.8 * (double)r.rate);
	l = strstr(r.text, "weft record: LOSS: LTTng discarded ");
	ASSERT_NOT_NULL(l);
	ASSERT_EQ(sscanf(l, "weft record: LOSS: LTTng discarded %lld events", &discarded), 1);
	/* Tiny buffers at this rate must lose: otherwise this test proves nothing. */
	ASSERT_GT(discarded, 0);

	/* Events in the store: each task row holds its task_new (created_ns)
	 * and task_end (ended_ns) if they arrived; a row exists when either did. */
	stored = q(&r, "SELECT count(created_ns) + count(ended_ns) FROM tasks");
	in_chunks = q(&r, "SELECT sum(events) FROM chunks");
	fprintf(stderr, "# emitted %lld, stored %lld, LTTng discarded %lld (%.1f %%)\n",
		2 * r.tasks, stored, discarded, 100.0 * (double)discarded / (double)(2 * r.tasks));
	ASSERT_EQ(in_chunks, stored);
	ASSERT_EQ(q(&r, "SELECT count(*) FROM tasks WHERE task < 1 OR task > ?1"), 0);
	/* The exact count: what is missing is what LTTng reports, and the
	 * session row says so. */
	ASSERT_EQ(2 * r.tasks - stored, discarded);
	ASSERT_EQ(q(&r, "SELECT discarded_events FROM sessions"), discarded);
	/* The loss table is exact: one row per stream and chunk with the
	 * rise of LTTng's cumulative counter since the stream's previous
	 * chunk, which adds up to LTTng's total; none is a lower bound, since
	 * every chunk of the recording is in the store. */
	known = q(&r, "SELECT coalesce(sum(count), 0) FROM loss WHERE kind = 0");
	fprintf(stderr, "# loss table: %lld rows, %lld events counted (LTTng: %lld)\n",
		q(&r, "SELECT count(*) FROM loss"), known, discarded);
	ASSERT_EQ(known, discarded);
	inexact = q(&r, "SELECT count(*) FROM loss WHERE exact IS NOT 1");
	ASSERT_EQ(inexact, 0);
	l = strstr(r.text, "table loss holds ");
	ASSERT_NOT_NULL(l);
	ASSERT_EQ(sscanf(l, "table loss holds %lld discarded events", &summary), 1);
	ASSERT_EQ(summary, discarded);
	ASSERT_EQ(q(&r, "SELECT coalesce(sum(count), 0) FROM loss WHERE kind = 1"),
		  q(&r, "SELECT lost_packets FROM sessions"));
	ASSERT_EQ(q(&r, "SELECT count(*) FROM loss WHERE kind = 1"), 0);
	rec_done(&r);
	return 0;
}

static const struct test_entry tests[] = {
	TEST_ENTRY_TIMEOUT(lossless, 240)
	TEST_ENTRY_TIMEOUT(lossy, 240)
};

TEST_MAIN(tests)
