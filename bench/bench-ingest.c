/*
 * bench-ingest: how fast `weft import` turns a CTF trace into a trace store,
 * measured side by side with what bounds it and with what a user would do
 * without weft, on one trace in one run.
 *
 * It records one trace of gen-events (default 10M weft events, shaped like a
 * busy reference-runtime pool) under its own LTTng session: per-UID buffers
 * of 8 x 4 MiB, vpid/vtid/procname context, only the generator's vpid, and a
 * blocking channel (infinite blocking timeout, LTTNG_UST_ALLOW_BLOCKING=1 in
 * the generator's environment) so that nothing is discarded; it fails if
 * LTTng reports any discarded event.  Then, with the page cache warmed by one
 * full read of the trace, each round times four consumers of that trace,
 * each in its own process after a sync(), the order rotated from round to
 * round:
 *
 *   dummy   babeltrace2 DIR -c sink.utils.dummy     decode ceiling
 *   text    babeltrace2 DIR > /dev/null             what a user runs instead
 *   sqlite  N narrow rows inserted into SQLite      write ceiling (same pragmas
 *           (one transaction, prepared statement)   as the store, no index)
 *   import  weft import DIR -o FILE                 the product
 *
 * Rates are events (rows) per wall-clock second, medians over the rounds;
 * ratios are medians of the per-round ratios, so slow drifts of a shared
 * machine cancel out.  bytes_per_event is the store's size (database plus
 * any WAL left) over the events it holds; peak_rss_mb the largest
 * ru_maxrss of a `weft import` child (wait4).  The last lines are
 * "bench: import_vs_dummy=", "bench: import_vs_text=",
 * "bench: bytes_per_event=" and "bench: peak_rss_mb="; targets (checked and
 * printed, never failing the run) are >= 0.6, >= 1.5, <= 45 and <= 256.
 *
 *   bench-ingest [--quick] [--events N] [--rounds R] [--threads T]
 *                [--trace DIR] [--keep] [--session-name NAME]
 *
 * --quick: 500k events (the bench-ingest-smoke test).  --trace DIR: time an
 * existing trace instead of recording one (its event count is what an
 * untimed first `weft import` stores).  --keep: keep the work directory (trace and stores) and
 * print where it is.  Needs babeltrace2 and lttng in PATH and a session
 * daemon (started if none is reachable).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lttng/lttng.h>

#include "bench.h"

#define FULL_EVENTS 10000000LL
#define QUICK_EVENTS 500000LL
#define MAX_ROUNDS 9
#define CHANNEL "weft"

#define CONSUMER_MAP(X) \
	X(dummy, "babeltrace2 DIR -c sink.utils.dummy (decode ceiling)") \
	X(text, "babeltrace2 DIR > /dev/null (text output)") \
	X(sqlite, "raw SQLite insert of narrow rows (write ceiling)") \
	X(import, "weft import DIR -o FILE")
#define X_ENUM(name, doc) C_##name,
enum consumer { CONSUMER_MAP(X_ENUM) C_COUNT };
#undef X_ENUM
#define X_NAME(name, doc) #name,
static const char *const consumer_name[C_COUNT] = { CONSUMER_MAP(X_NAME) };
#undef X_NAME
#define X_DOC(name, doc) doc,
static const char *const consumer_doc[C_COUNT] = { CONSUMER_MAP(X_DOC) };
#undef X_DOC

struct run {
	double wall_s, cpu_s;
	long maxrss_kb;
};

struct cfg {
	long long events;
	int rounds, threads, keep;
	const char *trace;   /* --trace: an existing trace */
	char session[64];
	char work[64];       /* work directory */
	char trace_dir[4096]; /* the trace timed */
	char store[128];     /* weft import's output */
	char raw[128];       /* the raw SQLite file */
	char log[128];       /* stderr/stdout of child commands */
};

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/*
 * Forks; the child redirects stdout to out_path (NULL: /dev/null) and stderr
 * to err_path (NULL: inherited), sets LTTNG_UST_ALLOW_BLOCKING if asked, waits
 * until gate[1] is closed by the parent (gate NULL: no wait) and execs argv.
 * Returns the pid or -1.
 */
static pid_t spawn(char *const *argv, const char *out_path, const char *err_path,
		   const int *gate, int blocking)
{
	pid_t pid = fork();
	char b;
	int fd;

	if (pid != 0)
		return pid;
	fd = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || dup2(fd, 1) < 0)
		_exit(126);
	close(fd);
	if (err_path) {
		fd = open(err_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(126);
		close(fd);
	}
	if (gate) {
		close(gate[1]);
		while (read(gate[0], &b, 1) < 0 && errno == EINTR)
			;
		close(gate[0]);
	}
	if (blocking)
		setenv("LTTNG_UST_ALLOW_BLOCKING", "1", 1);
	execvp(argv[0], argv);
	fprintf(stderr, "Cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Waits for pid; fills r (wall time since t0_ns, CPU time, peak RSS).
 * Returns the exit status, or -1 if it did not exit normally. */
static int reap(pid_t pid, uint64_t t0_ns, struct run *r)
{
	struct rusage ru;
	int status;

	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			return -1;
	if (r) {
		r->wall_s = (double)(bench_now_ns() - t0_ns) / 1e9;
		r->cpu_s = tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
		r->maxrss_kb = ru.ru_maxrss;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void print_file(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof line, f))
		fprintf(stderr, "  %s", line);
	if (f)
		fclose(f);
}

/* Runs a command to completion, output to `out` (NULL: /dev/null), errors
 * to the log; on failure prints "Cannot <what>" and the log, returns -1. */
static int run_cmd(const struct cfg *c, const char *what, char *const *argv, const char *out,
		   struct run *r)
{
	uint64_t t0;
	pid_t pid;
	int rc;

	if (truncate(c->log, 0) != 0 && errno != ENOENT)
		return -1;
	t0 = bench_now_ns();
	pid = spawn(argv, out, c->log, NULL, 0);
	if (pid < 0) {
		fprintf(stderr, "Cannot %s: fork failed: %s\n", what, strerror(errno));
		return -1;
	}
	rc = reap(pid, t0, r);
	if (rc != 0) {
		fprintf(stderr, "Cannot %s: %s exited with status %d:\n", what, argv[0], rc);
		print_file(c->log);
		return -1;
	}
	return 0;
}

static int lttng(const struct cfg *c, const char *what, char *const *args)
{
	char *argv[16] = { "lttng" };
	int i;

	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	return run_cmd(c, what, argv, NULL, NULL);
}

/* Events LTTng discarded in the session's channel so far, or -1. */
static long long lttng_discarded(const char *session)
{
	struct lttng_domain dom = { .type = LTTNG_DOMAIN_UST, .buf_type = LTTNG_BUFFER_PER_UID };
	struct lttng_channel *chans = NULL;
	struct lttng_handle *h = lttng_create_handle(session, &dom);
	long long total = -1;
	uint64_t d;
	int n, i;

	n = h ? lttng_list_channels(h, &chans) : -1;
	for (i = 0; i < n; i++) {
		if (strcmp(chans[i].name, CHANNEL) == 0 &&
		    lttng_channel_get_discarded_event_count(&chans[i], &d) == 0)
			total = (long long)(d & ~(UINT64_C(1) << 63)); /* see rec_session_discarded */
	}
	free(chans);
	lttng_destroy_handle(h);
	return total;
}

/* Reads "gen-events: events=E ..." from the generator's output. */
static long long read_gen_events(const char *path)
{
	char line[256];
	long long e = -1;
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "gen-events: events=%lld", &e) == 1)
			break;
	if (f)
		fclose(f);
	return e;
}

/*
 * Records gen-events under a fresh session into c->trace_dir.  The generator
 * is forked first and held at a gate until the session tracks its pid, so
 * its first event is recorded and no other process is.
 */
static int generate(struct cfg *c)
{
	char ev[32], th[16], pidarg[32], out[160], dir[4200], sess[96];
	char *gen[] = { GEN_EVENTS, ev, "--threads", th, NULL };
	char *create[] = { "create", c->session, dir, NULL };
	char *chan[] = { "enable-channel", "--userspace", sess, "--buffers-uid",
			 "--subbuf-size=4M", "--num-subbuf=8", "--blocking-timeout=inf",
			 CHANNEL, NULL };
	char *ctx[] = { "add-context", "--userspace", sess, "--channel=" CHANNEL,
			"--type=vpid", "--type=vtid", "--type=procname", NULL };
	char *enable[] = { "enable-event", "--userspace", sess, "--channel=" CHANNEL,
			   "weft:*,lttng_ust_statedump:start", NULL };
	char *track[] = { "track", "--userspace", sess, pidarg, NULL };
	char *start[] = { "start", c->session, NULL };
	char *stop[] = { "stop", c->session, NULL }; /* waits until the data is written */
	char *destroy[] = { "destroy", c->session, NULL };
	int gate[2] = { -1, -1 }, created = 0, ret = -1, rc;
	long long discarded, emitted;
	pid_t pid = -1;
	struct run r;
	uint64_t t0;

	snprintf(ev, sizeof ev, "%lld", c->events);
	snprintf(th, sizeof th, "%d", c->threads);
	snprintf(out, sizeof out, "%s/gen.out", c->work);
	snprintf(dir, sizeof dir, "--output=%s", c->trace_dir);
	snprintf(sess, sizeof sess, "--session=%s", c->session);
	if (lttng(c, "create the LTTng session", create) < 0)
		goto out;
	created = 1;
	if (lttng(c, "create the LTTng channel", chan) < 0 ||
	    lttng(c, "add LTTng contexts", ctx) < 0 || lttng(c, "enable weft events", enable) < 0)
		goto out;
	if (pipe2(gate, O_CLOEXEC) != 0) {
		fprintf(stderr, "Cannot create a pipe: %s\n", strerror(errno));
		goto out;
	}
	pid = spawn(gen, out, NULL, gate, 1);
	if (pid < 0) {
		fprintf(stderr, "Cannot start gen-events: fork failed: %s\n", strerror(errno));
		goto out;
	}
	close(gate[0]);
	gate[0] = -1;
	snprintf(pidarg, sizeof pidarg, "--vpid=%d", (int)pid);
	if (lttng(c, "track the generator", track) < 0 ||
	    lttng(c, "start the LTTng session", start) < 0)
		goto out;
	t0 = bench_now_ns();
	close(gate[1]); /* the generator execs now */
	gate[1] = -1;
	rc = reap(pid, t0, &r);
	pid = -1;
	if (rc != 0) {
		fprintf(stderr, "Cannot generate the trace: gen-events exited with status %d\n",
			rc);
		goto out;
	}
	if (lttng(c, "stop the LTTng session", stop) < 0)
		goto out;
	discarded = lttng_discarded(c->session);
	emitted = read_gen_events(out);
	if (discarded != 0 || emitted < 1) {
		fprintf(stderr, "Cannot generate a loss-free trace: discarded=%lld emitted=%lld\n",
			discarded, emitted);
		goto out;
	}
	c->events = emitted;
	printf("# generated %lld events (%d threads) in %.2f s (%.2fM events/s), "
	       "LTTng discarded 0\n", emitted, c->threads, r.wall_s, emitted / r.wall_s / 1e6);
	ret = 0;
out:
	if (gate[0] >= 0)
		close(gate[0]);
	if (gate[1] >= 0)
		close(gate[1]);
	if (pid > 0) {
		kill(pid, SIGKILL);
		reap(pid, 0, NULL);
	}
	if (created)
		lttng(c, "destroy the LTTng session", destroy);
	return ret;
}

static long long trace_bytes;

static int read_file(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	static char buf[1 << 16];
	int fd;

	(void)ftw;
	if (flag != FTW_F)
		return 0;
	trace_bytes += sb->st_size;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	while (read(fd, buf, sizeof buf) > 0)
		;
	close(fd);
	return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static long long file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

static void remove_store(const char *path)
{
	char p[160];

	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
}

#define SQL_OK(x) ((x) == SQLITE_OK)

/* The write ceiling, in a child process: n narrow rows in one transaction. */
static int sqlite_insert(const char *path, long long n)
{
	static const char *const pragmas =
		"PRAGMA page_size = 8192; PRAGMA journal_mode = WAL; "
		"PRAGMA synchronous = FULL; PRAGMA cache_size = -32768; "
		"PRAGMA temp_store = MEMORY;"
		"CREATE TABLE ev(ts INTEGER NOT NULL, thread INTEGER NOT NULL, "
		"kind INTEGER NOT NULL, a INTEGER, b INTEGER);";
	sqlite3_stmt *ins = NULL;
	sqlite3 *db = NULL;
	int ok;

	ok = SQL_OK(sqlite3_open(path, &db)) && SQL_OK(sqlite3_exec(db, pragmas, 0, 0, 0)) &&
	     SQL_OK(sqlite3_exec(db, "BEGIN", 0, 0, 0)) &&
	     SQL_OK(sqlite3_prepare_v2(db, "INSERT INTO ev VALUES (?1, ?2, ?3, ?4, ?5)", -1,
				       &ins, NULL));
	for (long long i = 0; ok && i < n; i++) {
		/* Like events: growing relative ns, 2 threads, 9 kinds, task ids. */
		sqlite3_bind_int64(ins, 1, i * 137 + i % 7);
		sqlite3_bind_int64(ins, 2, 1 + i % 2);
		sqlite3_bind_int64(ins, 3, i % 9);
		sqlite3_bind_int64(ins, 4, i / 9 + 1);
		sqlite3_bind_int64(ins, 5, i % 3);
		ok = sqlite3_step(ins) == SQLITE_DONE && SQL_OK(sqlite3_reset(ins));
	}
	ok = ok && SQL_OK(sqlite3_exec(db, "COMMIT", 0, 0, 0));
	if (!ok)
		fprintf(stderr, "Cannot insert rows: %s: path=%s\n",
			db ? sqlite3_errmsg(db) : "out of memory", path);
	sqlite3_finalize(ins);
	ok = SQL_OK(sqlite3_close(db)) && ok; /* checkpoints the WAL */
	return ok ? 0 : 1;
}

/* Reads the event count from weft import's summary line. */
static long long read_import_events(const char *path)
{
	char line[512];
	long long e = -1;
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "weft import: %lld weft events", &e) == 1)
			break;
	if (f)
		fclose(f);
	return e;
}

static int run_consumer(struct cfg *c, enum consumer k, struct run *r)
{
	char out[160], *dummy[] = { "babeltrace2", c->trace_dir, "-c", "sink.utils.dummy", NULL };
	char *text[] = { "babeltrace2", c->trace_dir, NULL };
	char *import[] = { WEFT_CLI, "import", c->trace_dir, "-o", c->store, NULL };
	long long stored;
	uint64_t t0;
	pid_t pid;

	switch (k) {
	case C_dummy:
		return run_cmd(c, "decode with babeltrace2's dummy sink", dummy, NULL, r);
	case C_text:
		return run_cmd(c, "print the trace with babeltrace2", text, NULL, r);
	case C_sqlite:
		remove_store(c->raw);
		t0 = bench_now_ns();
		pid = fork();
		if (pid == 0)
			_exit(sqlite_insert(c->raw, c->events));
		if (pid < 0 || reap(pid, t0, r) != 0) {
			fprintf(stderr, "Cannot run the raw SQLite insert: path=%s\n", c->raw);
			return -1;
		}
		return 0;
	case C_import:
		remove_store(c->store);
		snprintf(out, sizeof out, "%s/import.out", c->work);
		if (run_cmd(c, "import the trace with weft import", import, out, r) < 0)
			return -1;
		stored = read_import_events(out);
		if (c->trace && c->events <= 0)
			c->events = stored;
		if (stored != c->events) {
			fprintf(stderr, "Cannot trust the import: weft import stored %lld events, "
					"the trace holds %lld\n", stored, c->events);
			print_file(out);
			return -1;
		}
		return 0;
	case C_COUNT:
		break;
	}
	return -1;
}

static int parse_args(int argc, char **argv, struct cfg *c)
{
	int quick = 0, i;

	memset(c, 0, sizeof(*c));
	c->events = -1;
	c->rounds = 3;
	c->threads = 2;
	snprintf(c->session, sizeof c->session, "weft-bench-ingest-%d", (int)getpid());
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--quick") == 0)
			quick = 1;
		else if (strcmp(a, "--keep") == 0)
			c->keep = 1;
		else if (strcmp(a, "--events") == 0 && v && ++i)
			c->events = atoll(v);
		else if (strcmp(a, "--rounds") == 0 && v && ++i)
			c->rounds = atoi(v);
		else if (strcmp(a, "--threads") == 0 && v && ++i)
			c->threads = atoi(v);
		else if (strcmp(a, "--trace") == 0 && v && ++i)
			c->trace = v;
		else if (strcmp(a, "--session-name") == 0 && v && ++i)
			snprintf(c->session, sizeof c->session, "%s", v);
		else
			goto usage;
	}
	if (c->events < 0)
		c->events = quick ? QUICK_EVENTS : FULL_EVENTS;
	if (c->events < 1 || c->rounds < 1 || c->rounds > MAX_ROUNDS || c->threads < 1 ||
	    c->threads > 16)
		goto usage;
	if (c->trace)
		c->events = 0; /* learnt from the first import */
	return 0;
usage:
	fprintf(stderr, "usage: bench-ingest [--quick] [--events N] [--rounds 1..%d] "
			"[--threads 1..16] [--trace DIR] [--keep] [--session-name NAME]\n",
		MAX_ROUNDS);
	return -1;
}

int main(int argc, char **argv)
{
	struct run runs[MAX_ROUNDS][C_COUNT];
	double rate[C_COUNT][MAX_ROUNDS], med[C_COUNT], vs_dummy[MAX_ROUNDS],
		vs_text[MAX_ROUNDS], vs_sqlite[MAX_ROUNDS], cpu[MAX_ROUNDS];
	double bpe, raw_bpe, rss_mb = 0;
	char wal[170];
	int ret = 1, r, i;
	struct cfg c;

	if (parse_args(argc, argv, &c) < 0)
		return 2;
	if (!c.trace && bench_sessiond_ensure(argv) < 0)
		return 1;
	snprintf(c.work, sizeof c.work, "/tmp/weft-bench-ingest-XXXXXX");
	if (!mkdtemp(c.work)) {
		fprintf(stderr, "Cannot create the work directory: %s: template=%s\n",
			strerror(errno), c.work);
		return 1;
	}
	snprintf(c.trace_dir, sizeof c.trace_dir, "%s/trace", c.work);
	snprintf(c.store, sizeof c.store, "%s/import.db", c.work);
	snprintf(c.raw, sizeof c.raw, "%s/raw.db", c.work);
	snprintf(c.log, sizeof c.log, "%s/cmd.log", c.work);
	if (c.trace)
		snprintf(c.trace_dir, sizeof c.trace_dir, "%s", c.trace);

	bench_print_machine();
	if (!c.trace && generate(&c) < 0)
		goto out;
	/* Warm the page cache: every consumer then reads the trace from memory. */
	trace_bytes = 0;
	nftw(c.trace_dir, read_file, 16, FTW_PHYS);
	printf("# trace %s: %.1f MB of CTF\n", c.trace_dir, (double)trace_bytes / 1e6);
	fflush(stdout);
	/* A trace given with --trace: one untimed import tells its size, which
	 * the SQLite insert needs before the first timed import. */
	if (c.trace && run_consumer(&c, C_import, &runs[0][C_import]) < 0)
		goto out;

	for (r = 0; r < c.rounds; r++) {
		for (i = 0; i < C_COUNT; i++) {
			/* Rotate the order, so no consumer always runs first. */
			enum consumer k = (enum consumer)((i + r) % C_COUNT);

			/* Write back what the previous consumer wrote, untimed, so
			 * that the kernel does not do it during the next one. */
			sync();
			if (run_consumer(&c, k, &runs[r][k]) < 0)
				goto out;
		}
		printf("# round %d:", r + 1);
		for (i = 0; i < C_COUNT; i++) {
			struct run *x = &runs[r][i];

			rate[i][r] = (double)c.events / x->wall_s;
			printf(" %s %.2f s (%.2f cpu s, %.2fM/s)", consumer_name[i], x->wall_s,
			       x->cpu_s, rate[i][r] / 1e6);
		}
		vs_dummy[r] = rate[C_import][r] / rate[C_dummy][r];
		vs_text[r] = rate[C_import][r] / rate[C_text][r];
		vs_sqlite[r] = rate[C_import][r] / rate[C_sqlite][r];
		printf("; import_vs_dummy %.3f import_vs_text %.3f\n", vs_dummy[r], vs_text[r]);
		fflush(stdout);
		cpu[r] = runs[r][C_import].cpu_s;
		if (runs[r][C_import].maxrss_kb / 1024.0 > rss_mb)
			rss_mb = runs[r][C_import].maxrss_kb / 1024.0;
	}
	snprintf(wal, sizeof wal, "%s-wal", c.store);
	bpe = (double)(file_size(c.store) + file_size(wal)) / (double)c.events;
	raw_bpe = (double)file_size(c.raw) / (double)c.events;

	for (i = 0; i < C_COUNT; i++) {
		med[i] = bench_median(rate[i], (size_t)c.rounds);
		printf("# %-6s %s\n", consumer_name[i], consumer_doc[i]);
	}
	printf("# raw SQLite file: %.1f bytes/row; import CPU time %.2f s (median)\n", raw_bpe,
	       bench_median(cpu, (size_t)c.rounds));
	bench_print("events", (double)c.events, 0);
	bench_print("rounds", c.rounds, 0);
	bench_print("dummy_events_per_s", med[C_dummy], 0);
	bench_print("text_events_per_s", med[C_text], 0);
	bench_print("sqlite_rows_per_s", med[C_sqlite], 0);
	bench_print("import_events_per_s", med[C_import], 0);
	bench_print("import_vs_sqlite", bench_median(vs_sqlite, (size_t)c.rounds), 3);
	bench_target("import_vs_dummy", bench_median(vs_dummy, (size_t)c.rounds), ">=", 0.6);
	bench_target("import_vs_text", bench_median(vs_text, (size_t)c.rounds), ">=", 1.5);
	bench_target("bytes_per_event", bpe, "<=", 45);
	bench_target("peak_rss_mb", rss_mb, "<=", 256);
	bench_print("import_vs_dummy", bench_median(vs_dummy, (size_t)c.rounds), 3);
	bench_print("import_vs_text", bench_median(vs_text, (size_t)c.rounds), 3);
	bench_print("bytes_per_event", bpe, 1);
	bench_print("peak_rss_mb", rss_mb, 1);
	ret = 0;
out:
	if (c.keep) {
		printf("# work directory kept: %s\n", c.work);
	} else {
		remove_store(c.store);
		remove_store(c.raw);
		if (nftw(c.work, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
			fprintf(stderr, "Cannot remove the work directory: %s: path=%s\n",
				strerror(errno), c.work);
	}
	return ret;
}
