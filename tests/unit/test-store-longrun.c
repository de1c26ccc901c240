/*
 * test-store-longrun: the store writer's memory over a long weftd run.
 *
 * A generator feeds store_add_event directly (no LTTng, no decoder: the
 * writer's memory is what is under test) with ~100 M events, chunk by chunk
 * (1 % of the events per chunk: 1 M events, one transaction each), shaped to
 * grow every writer structure that a long run grows: hundreds of processes (with pid reuse),
 * tens of thousands of threads (each worker thread is replaced after a while;
 * retired threads hang in a synchronous call forever, half of them never
 * report worker_state stop), millions of tasks (the Bloom filter's keys), a
 * wait that never ends every 16 tasks, and waits that end thousands of tasks
 * (often chunks) after they began.
 *
 * The writer's RSS is printed every 5 % of the events; it must stay flat:
 * from 25 % on, every sample is at most 1.2 x the RSS at 20 % (when every
 * cache has reached its capacity).  At the end the store must hold exactly
 * what was generated (open and closed waits and blocks, thread bindings,
 * tasks), so that bounded memory is not bought by losing rows.
 *
 * Under AddressSanitizer the event count is scaled down (20 M) and the same
 * ratio is asserted.  WEFT_LONGRUN_EVENTS=N overrides the count (by hand).
 */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"
#include "store.h"

#if defined(__SANITIZE_ADDRESS__)
#define LONGRUN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LONGRUN_ASAN 1
#endif
#endif
#ifndef LONGRUN_ASAN
#define LONGRUN_ASAN 0
#endif

#if LONGRUN_ASAN
/* ASan's quarantine keeps freed blocks resident up to 256 MB by default,
 * which would measure ASan, not the writer. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=8";
}
#define LONGRUN_EVENTS 20000000ULL
#else
#define LONGRUN_EVENTS 100000000ULL
#endif

#define BASE 1700000000000000000LL
#define TASKS_PER_PROC 60000    /* ~250k events per process */
#define TASKS_PER_THREAD 1500   /* a worker thread is replaced after this many */
#define WORKERS 4
#define NEVER_EVERY 16          /* a wait that never ends every 16 tasks */
#define DELAYED_EVERY 32        /* a wait that ends DELAY tasks later */
#define DELAY 2048

struct gen {
	struct store *st;
	int64_t session, ts;
	uint64_t total, nev, chunk, chunk_events;
	int32_t pid;
	/* RSS samples, every 5 %. */
	long rss_kb[21];
	int nsamples;
	/* What the store must hold at the end. */
	uint64_t tasks, waits_open, waits_closed, threads, blocks_open, bind_open,
		bind_closed, procs;
	double t0;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
	long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	ASSERT_NOT_NULL(f);
	ASSERT_EQ(fscanf(f, "%ld %ld", &size, &res), 2);
	fclose(f);
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static void check_ok(struct store *st, int rc)
{
	if (rc != 0)
		TEST_FAIL_("store call failed: %d: %s", rc, store_errmsg(st));
}

static void sample(struct gen *g)
{
	int pct = (int)(g->nev * 100 / g->total);
	long kb = rss_kb();

	while (g->nsamples <= 20 && g->nsamples * 5 <= pct) {
		g->rss_kb[g->nsamples] = kb;
		fprintf(stderr, "# %3d%%: %" PRIu64 " events, writer RSS %ld kB, %.0f s\n",
			g->nsamples * 5, g->nev, kb, now_s() - g->t0);
		if (g->nsamples >= 5 && g->rss_kb[4] > 0 &&
		    (double)kb > 1.2 * (double)g->rss_kb[4])
			TEST_FAIL_("writer memory grows: RSS %ld kB at %d%% of the events > 1.2 x "
				   "%ld kB at 20%%", kb, g->nsamples * 5, g->rss_kb[4]);
		g->nsamples++;
	}
}

static void next_chunk(struct gen *g)
{
	char cid[32];

	check_ok(g->st, store_chunk_commit(g->st));
	sample(g);
	snprintf(cid, sizeof cid, "c%" PRIu64, ++g->chunk);
	check_ok(g->st, store_chunk_begin(g->st, g->session, cid));
}

static void emit(struct gen *g, enum weft_event kind, int32_t tid, uint64_t a, uint64_t b,
		 uint64_t c, int64_t n0, const char *s0)
{
	struct store_event e = { 0 };

	e.kind = kind;
	e.ts_ns = BASE + (g->ts += 100);
	e.vpid = g->pid;
	e.vtid = tid;
	e.procname = tid == g->pid ? "longrun" : "worker";
	e.id0 = a;
	e.id1 = b;
	e.id2 = c;
	e.n0 = n0;
	e.n1 = WORKERS;
	e.n2 = 2;
	e.s0 = s0 ? s0 : "";
	e.s1 = "";
	e.s0_len = (uint32_t)strlen(e.s0);
	check_ok(g->st, store_add_event(g->st, &e));
	if (++g->nev % g->chunk_events == 0)
		next_chunk(g);
}

struct pending {
	uint64_t waiter, awaited;
};

/* One process's life: a pool context, WORKERS worker threads replaced every
 * TASKS_PER_THREAD tasks, tasks with waits. */
static void gen_process(struct gen *g, int p)
{
	static struct pending ring[DELAY / DELAYED_EVERY + 1];
	static const char *const names[] = { "parse", "query", "render", "flush" };
	size_t rhead = 0, rn = 0, rcap = sizeof(ring) / sizeof(ring[0]);
	int32_t worker[WORKERS];
	uint64_t id = 1;
	long t;
	int w;

	g->pid = 1000 + p % 250; /* pids are reused: later processes get new rows */
	check_ok(g->st, store_process_mark(g->st, g->pid, "longrun", BASE + g->ts));
	g->procs++;
	emit(g, WEFT_EV_context_new, g->pid, 1, 0, 0, WEFT_CTX_POOL, "pool");
	g->threads++; /* the main thread */
	for (w = 0; w < WORKERS; w++)
		worker[w] = 0;
	for (t = 0; t < TASKS_PER_PROC && g->nev < g->total; t++) {
		uint64_t task = id++;
		int32_t tid;

		w = (int)(t % WORKERS);
		tid = g->pid * 1000 + 1 + (int32_t)(t / TASKS_PER_THREAD) * WORKERS + w;
		if (worker[w] != tid) {
			if (worker[w]) {
				/* Retired: stuck in a synchronous call forever; every other
				 * one leaves its context first. */
				if (t / TASKS_PER_THREAD % 2 == 0) {
					emit(g, WEFT_EV_worker_state, worker[w], 1, 0, 0,
					     WEFT_WORKER_STOP, NULL);
					g->bind_closed++;
					g->bind_open--;
				}
				emit(g, WEFT_EV_block_begin, worker[w], 0, 0, 0, 0, "read");
				g->blocks_open++;
			}
			worker[w] = tid;
			g->threads++;
			emit(g, WEFT_EV_worker_state, tid, 1, 0, 0, WEFT_WORKER_START, NULL);
			g->bind_open++;
		}
		emit(g, WEFT_EV_task_new, g->pid, task, 0, 0, WEFT_TASK_TASK, names[t % 4]);
		emit(g, WEFT_EV_task_schedule, g->pid, task, 1, 0, 0, NULL);
		emit(g, WEFT_EV_task_start, tid, task, 1, 0, 0, NULL);
		g->tasks++;
		if (t % NEVER_EVERY == 0) {
			uint64_t never = id++;

			emit(g, WEFT_EV_task_new, g->pid, never, 0, 0, WEFT_TASK_IO, "never");
			emit(g, WEFT_EV_wait_begin, tid, task, never, 0, WEFT_WAIT_ASYNC, NULL);
			g->tasks++;
			g->waits_open++;
		}
		if (t % DELAYED_EVERY == 1 && rn < rcap) {
			emit(g, WEFT_EV_wait_begin, tid, task, task - 1, 0, WEFT_WAIT_ASYNC, NULL);
			ring[(rhead + rn++) % rcap] = (struct pending){ task, task - 1 };
		}
		if (rn == rcap || (rn && t + 1 == TASKS_PER_PROC)) {
			while (rn) {
				struct pending *pd = &ring[rhead];

				emit(g, WEFT_EV_wait_end, tid, pd->waiter, pd->awaited, 0, 0, NULL);
				g->waits_closed++;
				rhead = (rhead + 1) % rcap;
				rn--;
				if (t + 1 != TASKS_PER_PROC)
					break; /* one per new wait: each spans ~DELAY tasks */
			}
		}
		emit(g, WEFT_EV_task_end, tid, task, 0, 0, WEFT_STATUS_OK, NULL);
	}
	/* The run may stop mid-process: end what it left pending, as counted. */
	while (rn) {
		struct pending *pd = &ring[rhead];

		emit(g, WEFT_EV_wait_end, g->pid, pd->waiter, pd->awaited, 0, 0, NULL);
		g->waits_closed++;
		rhead = (rhead + 1) % rcap;
		rn--;
	}
}

static int64_t q_int(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t v = -1;

	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		TEST_FAIL_("prepare %s: %s", sql, sqlite3_errmsg(store_db(st)));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static char dir[64], db_path[128];

static void cleanup(void)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char p[160];

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", db_path, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
}

TEST_IMPL(writer_memory_flat)
{
	static struct gen g;
	const char *env = getenv("WEFT_LONGRUN_EVENTS");
	char err[512];
	int p;

	snprintf(dir, sizeof(dir), "/tmp/weft-test-longrun-XXXXXX");
	ASSERT_NOT_NULL(mkdtemp(dir));
	snprintf(db_path, sizeof(db_path), "%s/weft.db", dir);
	atexit(cleanup);
	g.total = env && *env ? strtoull(env, NULL, 10) : LONGRUN_EVENTS;
	ASSERT_GE(g.total, 1000000);
	g.chunk_events = g.total / 100; /* a sample of RSS after each 1 % */
	fprintf(stderr, "# %" PRIu64 " events%s, chunks of %" PRIu64 "\n", g.total,
		LONGRUN_ASAN ? " (AddressSanitizer: scaled down)" : "", g.chunk_events);
	if (store_open(db_path, STORE_CREATE, &g.st, err, sizeof(err)) != 0)
		TEST_FAIL_("store_open: %s", err);
	check_ok(g.st, store_session_begin(g.st, "h", "longrun", BASE, &g.session));
	check_ok(g.st, store_chunk_begin(g.st, g.session, "c0"));
	g.t0 = now_s();
	for (p = 0; g.nev < g.total; p++)
		gen_process(&g, p);
	check_ok(g.st, store_chunk_commit(g.st));
	sample(&g);
	ASSERT_GE(g.nsamples, 19);
	fprintf(stderr, "# RSS at 90%%: %ld kB = %.2f x RSS at 20%% (%ld kB); %" PRIu64
		" processes, %" PRIu64 " threads, %" PRIu64 " tasks, %.0f events/s\n",
		g.rss_kb[18], (double)g.rss_kb[18] / (double)g.rss_kb[4], g.rss_kb[4], g.procs,
		g.threads, g.tasks, (double)g.nev / (now_s() - g.t0));
	ASSERT_LE(g.rss_kb[18] * 10, g.rss_kb[4] * 12);

	/* Nothing was lost to keep memory flat. */
	ASSERT_EQ(q_int(g.st, "SELECT count(*) FROM processes"), g.procs);
	ASSERT_EQ(q_int(g.st, "SELECT count(*) FROM threads"), g.threads);
	ASSERT_EQ(q_int(g.st, "SELECT count(*) FROM tasks"), g.tasks);
	ASSERT_EQ(q_int(g.st, "SELECT count(*) FROM waits WHERE end_ns IS NULL"), g.waits_open);
	ASSERT_EQ(q_int(g.st, "SELECT count(*) FROM waits WHERE end_ns IS NOT NULL AND "
			      "begin_ns IS NOT NULL AND end_ns > begin_ns"), g.waits_closed);
	ASSERT_EQ(q_int(g.st, "SELECT count(*) FROM waits"), g.waits_open + g.waits_closed);
	ASSERT_EQ(q_int(g.st, "SELECT count(*) FROM blocks WHERE end_ns IS NULL AND "
			      "begin_ns IS NOT NULL"), g.blocks_open);
	ASSERT_EQ(q_int(g.st, "SELECT count(*) FROM thread_bindings WHERE end_ns IS NULL"),
		  g.bind_open);
	ASSERT_EQ(q_int(g.st, "SELECT count(*) FROM thread_bindings WHERE end_ns > begin_ns"),
		  g.bind_closed);
	store_close(g.st);
	cleanup();
	return 0;
}

static const struct test_entry tests[] = {
	TEST_ENTRY_TIMEOUT(writer_memory_flat, 1500)
};

TEST_MAIN(tests)
