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
 * machine cancel out.  cpu_ns_per_task_* is the process's CPU time (all its
 * threads, including what idle workers spin before they sleep) per task:
 * less sensitive than throughput to other load on the machine, its on - off
 * difference is what tracing costs per task.  The consumer daemon drains
 * between batches (not timed), so its CPU time is in none of these figures.
 *
 *   bench-runtime [--quick]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
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

static long completed;

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

/* Runs n tasks; *tps receives tasks per second, *cpu CPU ns per task.
 * Returns 0 or -1 (after printing why, and after the tasks it did submit
 * have run). */
static int run_batch(weft_ctx_t *pool, long n, int64_t spin_ns, double *tps, double *cpu)
{
	weft_future_t *last = NULL, *f;
	uint64_t t0, t1;
	double c0;
	long i;

	__atomic_store_n(&completed, 0, __ATOMIC_RELAXED);
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
	*cpu = (process_cpu_ns() - c0) / (double)n;
	*tps = (double)n * 1e9 / (double)(t1 - t0);
	return i == n ? 0 : -1;
}

/* Switches tracing on or off and waits until libweft sees it. */
static int set_tracing(struct bench_session *s, int on)
{
	const int *state = weft__tp_state[WEFT_EV_task_schedule];

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
	static const char *const events[] = { "weft:*" };
	double tps[2][KIND_COUNT][BENCH_MAX_CYCLES], ratio[KIND_COUNT][BENCH_MAX_CYCLES];
	double cpu[2][KIND_COUNT][BENCH_MAX_CYCLES], medcpu[2][KIND_COUNT];
	double med[2][KIND_COUNT], medratio[KIND_COUNT];
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
	if (bench_session_open(&s, events, 1) < 0)
		goto out;
	open = 1;
	bench_print_machine();
	printf("# pool: %ld workers, 1 submitter; session %s\n", ncpu, s.name);

	for (c = 0; c < cycles; c++) {
		for (half = 0; half < 2; half++) {
			on = half ^ (c & 1);
			if (set_tracing(&s, on) < 0)
				goto out;
			for (k = 0; k < KIND_COUNT; k++) {
				if (run_batch(pool, kinds[k].tasks[quick], kinds[k].spin_ns,
					      &tps[on][k][c], &cpu[on][k][c]) < 0)
					goto out;
				/* Let the consumer drain so that no batch starts
				 * with a full ring buffer. */
				if (on)
					bench_sleep_ms(quick ? 10 : 50);
			}
		}
		for (k = 0; k < KIND_COUNT; k++)
			ratio[k][c] = tps[1][k][c] / tps[0][k][c];
	}
	if (s.started && set_tracing(&s, 0) < 0)
		goto out;
	if (bench_session_discarded(&s, &discarded) < 0)
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
	bench_target("tasks_per_s_off", med[0][KIND_empty], ">=", 300000);
	bench_target("ratio_1us", medratio[KIND_1us], ">=", 0.75);
	bench_target("ratio_50us", medratio[KIND_50us], ">=", 0.97);
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
