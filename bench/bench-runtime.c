/*
 * bench-runtime: throughput of weft's reference runtime (rt.h) with tracing
 * off and on, measured side by side in one run.
 *
 * A pool of one worker per online CPU runs batches of tasks that one
 * submitter (the main thread) queues with weft_run() and releases at once;
 * the batch ends when the last task has run (weft_future_wait() on the last
 * future, then a completion counter for the one that may still be running on
 * another worker).  Tasks are empty, or busy-spin 1 us or 50 us on
 * CLOCK_MONOTONIC (never sleep: a sleeping task would hide the overhead).
 *
 * "Off" is the LTTng session stopped (every weft tracepoint disabled), "on"
 * is the session started with weft:* enabled and weft's contexts.  Each cycle
 * runs every task kind off and on, alternating which state goes first;
 * ratio_* are medians of the per-cycle on/off ratios, so slow drifts of the
 * machine cancel out.
 *
 * What tracing costs, in figures that do not depend on the machine's LTTng
 * speed (all from this run):
 *  - cost_per_task_ns_*: CPU time per task with tracing on minus off, summed
 *    over every thread of this process (including what idle workers spin) and
 *    of the LTTng consumer daemon, which competes for the same cores; each
 *    batch is followed by a pause for the consumer to drain, on and off alike,
 *    and the consumer's CPU is counted until the pause ends;
 *  - bare_event_ns: the same CPU measure per event for a bare LTTng
 *    tracepoint of two integers (weft_bench:task_schedule, emitted in a tight
 *    loop in the same session, same contexts, in every "on" half);
 *  - cost_in_bare_events_*: cost_per_task_ns / bare_event_ns, i.e. how many
 *    bare events a traced task costs.  A pool task has three state changes a
 *    live view must see (queued, started, ended): 3.0 is the floor for three
 *    events, and weft gets under it by folding an ok end into the worker's
 *    next start (task_next);
 *  - events_per_task_*: weft events per task, counted in a trace recorded
 *    of one batch of each kind (separate short sessions at the end).
 *
 *   bench-runtime [--quick]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "weft-bench-tp.h"
#include "weft/rt.h"

/* name, busy time per task (ns), tasks per batch (full run, --quick). */
#define BENCH_KIND_MAP(X) \
	X(empty, 0, 50000, 3000) \
	X(1us, 1000, 40000, 2000) \
	X(50us, 50000, 6000, 200)

#define X_ENUM(name, ns, full, quick) KIND_##name,
enum kind { BENCH_KIND_MAP(X_ENUM) KIND_COUNT };
#undef X_ENUM

struct kind_info {
	const char *name;
	int64_t spin_ns;
	long tasks[2]; /* full, quick */
};

#define X_INFO(name, ns, full, quick) { #name, ns, { full, quick } },
static const struct kind_info kinds[KIND_COUNT] = { BENCH_KIND_MAP(X_INFO) };
#undef X_INFO

#define BENCH_MAX_CYCLES 9
#define STEP_CYCLES 5

/* The steps of the event economy (BENCHMARKS.md), each a session that
 * enables these events: v1's four events per pool task, then task_submit,
 * then task_next. */
static const struct {
	const char *name, *pattern;
} steps[] = {
	{ "v1", "weft:*|weft:task_submit,weft:task_next" },
	{ "submit", "weft:*|weft:task_next" },
	{ "submit_next", "weft:*" },
};
#define STEP_COUNT ((int)(sizeof(steps) / sizeof(steps[0])))

static long completed;
struct bench_session;
static int set_tracing(struct bench_session *s, int on);

static int work(weft_future_t *self, void *arg)
{
	int64_t ns = (int64_t)(intptr_t)arg;

	(void)self;
	if (ns)
		bench_spin_ns(ns);
	__atomic_add_fetch(&completed, 1, __ATOMIC_RELEASE);
	return 0;
}

static double process_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Runs n tasks, then pauses drain_ms for the consumer; *tps receives tasks
 * per second, *cpu CPU ns per task (this process and the consumer daemon,
 * the pause included).  Returns 0 or -1 (after printing why, and after the
 * tasks it did submit have run). */
static int run_batch(weft_ctx_t *pool, long n, int64_t spin_ns, int drain_ms, double *tps,
		     double *cpu)
{
	weft_future_t *last = NULL, *f;
	uint64_t t0, t1;
	double c0, k0;
	long i;

	__atomic_store_n(&completed, 0, __ATOMIC_RELAXED);
	k0 = bench_consumer_cpu_ns();
	c0 = process_cpu_ns();
	t0 = bench_now_ns();
	for (i = 0; i < n; i++) {
		f = weft_run(pool, work, (void *)(intptr_t)spin_ns, NULL);
		if (!f) {
			perror("Cannot submit a benchmark task: weft_run");
			break;
		}
		weft_future_release(last);
		last = f;
	}
	if (last && weft_future_wait(last, -1) < 0)
		fprintf(stderr, "Cannot wait for the last benchmark task: "
				"weft_future_wait failed: task=%llu\n",
			(unsigned long long)weft_future_id(last));
	weft_future_release(last);
	while (__atomic_load_n(&completed, __ATOMIC_ACQUIRE) < i)
		bench_barrier();
	t1 = bench_now_ns();
	bench_sleep_ms(drain_ms);
	*cpu = (process_cpu_ns() - c0 + bench_consumer_cpu_ns() - k0) / (double)n;
	*tps = (double)n * 1e9 / (double)(t1 - t0);
	return i == n ? 0 : -1;
}

/* CPU ns per bare event (two integers), measured as run_batch measures a
 * task: this process and the consumer, the drain pause included. */
static double bare_batch(long n, int drain_ms)
{
	double c0, k0;
	long i;

	k0 = bench_consumer_cpu_ns();
	c0 = process_cpu_ns();
	for (i = 0; i < n; i++) {
		lttng_ust_tracepoint(weft_bench, task_schedule, (uint64_t)i, 7);
		bench_barrier();
	}
	bench_sleep_ms(drain_ms);
	return (process_cpu_ns() - c0 + bench_consumer_cpu_ns() - k0) / (double)n;
}

/* Weft events per task of kind k: one batch in a session of its own. */
static double count_events_per_task(weft_ctx_t *pool, const struct kind_info *k, long n)
{
	static const char *const events[] = { "weft:*" };
	struct bench_session s;
	double tps, cpu;
	long count;

	if (bench_session_open(&s, events, 1) < 0)
		return -1;
	if (set_tracing(&s, 1) < 0 || run_batch(pool, n, k->spin_ns, 0, &tps, &cpu) < 0 ||
	    set_tracing(&s, 0) < 0) {
		bench_session_close(&s);
		return -1;
	}
	count = bench_count_events(s.dir, "weft:");
	bench_session_close(&s);
	return count < 0 ? -1 : (double)count / (double)n;
}

/*
 * What one step of the event economy is worth: 1 µs tasks, off and on, in a
 * session that enables `pattern` (weft's events, some excluded) and the bare
 * event, `cycles` times; *cost receives the median cost per task in bare
 * events, *evpt the weft events per task in that session's trace.
 */
static int step_cost(weft_ctx_t *pool, const char *pattern, int cycles, int quick,
		     double *cost, double *evpt)
{
	const char *events[] = { pattern, "weft_bench:*" };
	const struct kind_info *k = &kinds[KIND_1us];
	double cpu[2][BENCH_MAX_CYCLES], bare[BENCH_MAX_CYCLES], tps, c_on, c_off;
	struct bench_session s;
	int c, half, on, drain = quick ? 10 : 50;
	long count;

	if (bench_session_open(&s, events, 2) < 0)
		return -1;
	for (c = 0; c < cycles; c++) {
		for (half = 0; half < 2; half++) {
			on = half ^ (c & 1);
			if (set_tracing(&s, on) < 0 ||
			    run_batch(pool, k->tasks[quick], k->spin_ns, drain, &tps,
				      &cpu[on][c]) < 0)
				goto fail;
			if (on)
				bare[c] = bare_batch(quick ? 20000 : 100000, drain);
		}
	}
	if (set_tracing(&s, 0) < 0)
		goto fail;
	count = bench_count_events(s.dir, "weft:");
	bench_session_close(&s);
	if (count < 0)
		return -1;
	c_on = bench_median(cpu[1], (size_t)cycles);
	c_off = bench_median(cpu[0], (size_t)cycles);
	*cost = (c_on - c_off) / bench_median(bare, (size_t)cycles);
	*evpt = (double)count / (double)(k->tasks[quick] * cycles);
	return 0;
fail:
	bench_session_close(&s);
	return -1;
}

/* Switches tracing on or off and waits until libweft sees it. */
static int set_tracing(struct bench_session *s, int on)
{
	const int *state = weft__tp_state_of(WEFT_EV_task_schedule);

	if (on ? bench_session_start(s) < 0 : bench_session_stop(s) < 0)
		return -1;
	if (bench_wait_state(state, on, 2000) == 0)
		return 0;
	if (on)
		fprintf(stderr, "Cannot enable weft's tracepoints: still disabled 2 s "
				"after start: session=%s\n", s->name);
	else
		printf("# warning: weft tracepoints stay enabled with our session "
		       "stopped (another session traces this process); off figures "
		       "are skewed\n");
	return on ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const char *const events[] = { "weft:*", "weft_bench:*" };
	double tps[2][KIND_COUNT][BENCH_MAX_CYCLES], ratio[KIND_COUNT][BENCH_MAX_CYCLES];
	double cpu[2][KIND_COUNT][BENCH_MAX_CYCLES], medcpu[2][KIND_COUNT];
	double med[2][KIND_COUNT], medratio[KIND_COUNT], bare[BENCH_MAX_CYCLES];
	double evpt[KIND_COUNT], bare_ns, cost, step_bare[STEP_COUNT], step_evpt[STEP_COUNT];
	int drain;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int quick = 0, cycles, c, half, k, on, ret = 1, open = 0;
	weft_ctx_t *pool = NULL;
	struct bench_session s;
	uint64_t discarded = 0;
	char name[64];

	if (argc > 1 && strcmp(argv[1], "--quick") == 0) {
		quick = 1;
	} else if (argc > 1) {
		fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
		return 2;
	}
	cycles = quick ? 1 : BENCH_MAX_CYCLES;
	if (ncpu < 1)
		ncpu = 1;
	if (bench_sessiond_ensure(argv) < 0)
		return 1;
	pool = weft_pool_new("bench", (unsigned)ncpu);
	if (!pool) {
		perror("Cannot create the benchmark pool: weft_pool_new");
		goto out;
	}
	if (bench_session_open(&s, events, 2) < 0)
		goto out;
	open = 1;
	bench_print_machine();
	printf("# pool: %ld workers, 1 submitter; session %s\n", ncpu, s.name);

	for (c = 0; c < cycles; c++) {
		for (half = 0; half < 2; half++) {
			on = half ^ (c & 1);
			if (set_tracing(&s, on) < 0)
				goto out;
			/* The pause lets the consumer drain, so that no batch
			 * starts with a full ring buffer; off batches pause too,
			 * so that both sides count the same idle time. */
			drain = quick ? 10 : 50;
			for (k = 0; k < KIND_COUNT; k++) {
				if (run_batch(pool, kinds[k].tasks[quick], kinds[k].spin_ns,
					      drain, &tps[on][k][c], &cpu[on][k][c]) < 0)
					goto out;
			}
			if (on)
				bare[c] = bare_batch(quick ? 20000 : 100000, drain);
		}
		for (k = 0; k < KIND_COUNT; k++)
			ratio[k][c] = tps[1][k][c] / tps[0][k][c];
	}
	if (s.started && set_tracing(&s, 0) < 0)
		goto out;
	if (bench_session_discarded(&s, &discarded) < 0)
		goto out;
	bench_session_close(&s);
	open = 0;
	for (k = 0; k < KIND_COUNT; k++) {
		evpt[k] = count_events_per_task(pool, &kinds[k], kinds[k].tasks[1]);
		if (evpt[k] < 0)
			goto out;
	}
	/* The steps, side by side in this run: a session that leaves out
	 * v2's events gets the v1 stream from the same runtime (weft.h falls
	 * back to task_new + task_schedule, and an end is folded only into an
	 * enabled task_next). */
	for (k = 0; k < STEP_COUNT; k++)
		if (step_cost(pool, steps[k].pattern, quick ? 1 : STEP_CYCLES, quick,
			      &step_bare[k], &step_evpt[k]) < 0)
			goto out;

	/* Printed before the medians sort them: the spread says how far to
	 * trust a median on this machine. */
	for (k = 0; k < KIND_COUNT; k++) {
		printf("# on/off per cycle, %s:", kinds[k].name);
		for (c = 0; c < cycles; c++)
			printf(" %.3f", ratio[k][c]);
		printf("\n");
	}
	for (k = 0; k < KIND_COUNT; k++) {
		med[0][k] = bench_median(tps[0][k], (size_t)cycles);
		med[1][k] = bench_median(tps[1][k], (size_t)cycles);
		medratio[k] = bench_median(ratio[k], (size_t)cycles);
		medcpu[0][k] = bench_median(cpu[0][k], (size_t)cycles);
		medcpu[1][k] = bench_median(cpu[1][k], (size_t)cycles);
	}
	printf("# %d cycles; tasks per batch:", cycles);
	for (k = 0; k < KIND_COUNT; k++)
		printf(" %s=%ld", kinds[k].name, kinds[k].tasks[quick]);
	printf("\n");
	bare_ns = bench_median(bare, (size_t)cycles);
	cost = medcpu[1][KIND_1us] - medcpu[0][KIND_1us];
	bench_target("tasks_per_s_off", med[0][KIND_empty], ">=", 300000);
	bench_target("ratio_1us", medratio[KIND_1us], ">=", 0.70);
	bench_target("ratio_50us", medratio[KIND_50us], ">=", 0.97);
	bench_target("cost_in_bare_events_1us", cost / bare_ns, "<=", 3.0);
	bench_print("bare_event_ns", bare_ns, 1);
	for (k = 0; k < KIND_COUNT; k++) {
		snprintf(name, sizeof(name), "events_per_task_%s", kinds[k].name);
		bench_print(name, evpt[k], 3);
		snprintf(name, sizeof(name), "cost_per_task_ns_%s", kinds[k].name);
		bench_print(name, medcpu[1][k] - medcpu[0][k], 0);
		snprintf(name, sizeof(name), "cost_in_bare_events_%s", kinds[k].name);
		bench_print(name, (medcpu[1][k] - medcpu[0][k]) / bare_ns, 2);
	}
	for (k = 0; k < STEP_COUNT; k++) {
		printf("# step %s (%s): %.3f events/task, %.2f bare events/task\n",
		       steps[k].name, steps[k].pattern, step_evpt[k], step_bare[k]);
		snprintf(name, sizeof(name), "step_%s_cost_in_bare_events", steps[k].name);
		bench_print(name, step_bare[k], 2);
	}
	bench_print("discarded_events", (double)discarded, 0);
	for (k = 0; k < KIND_COUNT; k++) {
		if (k == KIND_empty)
			continue;
		snprintf(name, sizeof(name), "tasks_per_s_%s_off", kinds[k].name);
		bench_print(name, med[0][k], 0);
		snprintf(name, sizeof(name), "tasks_per_s_%s_on", kinds[k].name);
		bench_print(name, med[1][k], 0);
	}
	for (k = 0; k < KIND_COUNT; k++) {
		snprintf(name, sizeof(name), "cpu_ns_per_task_%s_off", kinds[k].name);
		bench_print(name, medcpu[0][k], 0);
		snprintf(name, sizeof(name), "cpu_ns_per_task_%s_on", kinds[k].name);
		bench_print(name, medcpu[1][k], 0);
	}
	bench_print("tasks_per_s_off", med[0][KIND_empty], 0);
	bench_print("tasks_per_s_on", med[1][KIND_empty], 0);
	bench_print("ratio_empty", medratio[KIND_empty], 3);
	bench_print("ratio_1us", medratio[KIND_1us], 3);
	bench_print("ratio_50us", medratio[KIND_50us], 3);
	ret = 0;
out:
	if (open)
		bench_session_close(&s);
	if (pool)
		weft_ctx_free(pool);
	weft_rt_shutdown();
	return ret;
}
