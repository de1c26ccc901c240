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
 *    batch is followed by a pause, on and off alike, and an "on" batch by a
 *    stop of the session, which flushes the ring buffers and returns once the
 *    consumer has written them: the consumer's whole work for the batch is
 *    counted, and the stop's own cost (flush_stop_us, measured with nothing
 *    recorded) is taken off;
 *  - bare_event_ns: the same CPU measure per event for a bare LTTng
 *    tracepoint of two integers (weft_bench:task_schedule, emitted in a tight
 *    loop in the same session, same contexts, in every "on" half);
 *  - cost_in_bare_events_*: cost_per_task_ns / bare_event_ns (medians over
 *    the cycles), i.e. how many bare events a traced task costs;
 *    cost_in_bare_events_1us_paired is the median of the per-cycle ratios
 *    instead, printed beside it as a second estimator.  A pool task has
 *    three state changes a live view must see (queued, started, ended): 3.0
 *    is the floor for three events, and weft gets under it by folding an ok
 *    end into the worker's next start (task_next);
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
#define COST_CYCLES 11

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
/* The consumer daemon's part of the last run_batch / bare_batch, ns per item. */
static double last_consumer_ns;
struct bench_session;
static int set_tracing(struct bench_session *s, int on);

/* Set by insitu_phase: the submitter emits a bare event after each
 * weft_run and each task one on its worker, where weft's own events are. */
static int bare_in_task;

static int work(weft_future_t *self, void *arg)
{
	int64_t ns = (int64_t)(intptr_t)arg;

	(void)self;
	if (bare_in_task)
		lttng_ust_tracepoint(weft_bench, task_schedule, 1, 2);
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
	last_consumer_ns = (bench_consumer_cpu_ns() - k0) / (double)n;
	*cpu = (process_cpu_ns() - c0) / (double)n + last_consumer_ns;
	*tps = (double)n * 1e9 / (double)(t1 - t0);
	return i == n ? 0 : -1;
}

static int gated;

static int wait_gate(weft_future_t *self, void *arg)
{
	(void)self;
	__atomic_add_fetch(&gated, 1, __ATOMIC_RELEASE);
	return weft_future_wait(arg, -1);
}

/*
 * The cost measure: n tasks queued while every worker is held at a gate,
 * then drained by all workers at full speed.  No worker ever waits for the
 * submitter, so neither state spends CPU spinning for work and the on - off
 * difference is what tracing costs, not how it shifts the race between the
 * submitter and the workers.  Returns CPU ns per task (this process and the
 * consumer, the drain pause included), or -1.
 *
 * With `flush` (tracing on), the session is stopped before the CPU is read:
 * LTTng's stop flushes every ring buffer and returns when the consumer has
 * written all of it, so the window holds the consumer's whole work for this
 * batch's events.  Without that, the consumer reads only full sub-buffers
 * (4 MiB, one or two a batch): its share would be counted in whichever batch
 * filled one, and what a stop later flushed would be counted nowhere.  The
 * stop's own fixed cost is measured by bracket_cost() and subtracted.
 */
static double gated_batch(weft_ctx_t *pool, unsigned workers, long n, int64_t spin_ns,
			  int drain_ms, struct bench_session *flush)
{
	weft_future_t *gate = weft_promise_new(NULL), *held[64], *last = NULL, *f;
	double c0, k0, cpu = -1;
	unsigned w;
	long i;

	if (!gate || workers > 64)
		return -1;
	__atomic_store_n(&gated, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&completed, 0, __ATOMIC_RELAXED);
	for (w = 0; w < workers; w++)
		held[w] = weft_run(pool, wait_gate, gate, NULL);
	while (__atomic_load_n(&gated, __ATOMIC_ACQUIRE) < (int)workers)
		bench_sleep_ms(1);
	k0 = bench_consumer_cpu_ns();
	c0 = process_cpu_ns();
	for (i = 0; i < n; i++) {
		f = weft_run(pool, work, (void *)(intptr_t)spin_ns, NULL);
		if (!f)
			break;
		if (bare_in_task)
			lttng_ust_tracepoint(weft_bench, task_schedule, (uint64_t)i, 7);
		weft_future_release(last);
		last = f;
	}
	weft_promise_complete(gate, 0, NULL, NULL);
	if (last)
		weft_future_wait(last, -1);
	weft_future_release(last);
	while (__atomic_load_n(&completed, __ATOMIC_ACQUIRE) < i)
		bench_barrier();
	bench_sleep_ms(drain_ms);
	if (flush && bench_session_stop(flush) < 0)
		i = -1;
	last_consumer_ns = (bench_consumer_cpu_ns() - k0) / (double)n;
	if (i == n)
		cpu = (process_cpu_ns() - c0) / (double)n + last_consumer_ns;
	for (w = 0; w < workers; w++) {
		weft_future_wait(held[w], -1);
		weft_future_release(held[w]);
	}
	weft_future_release(gate);
	return cpu;
}

/* CPU ns per bare event (two integers), measured as gated_batch measures a
 * traced task: this process and the consumer, the drain pause and the
 * flushing stop included (the session is started by the caller and stopped
 * here).  -1 if the stop failed. */
static double bare_batch(struct bench_session *s, long n, int drain_ms)
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
	if (bench_session_stop(s) < 0)
		return -1;
	last_consumer_ns = (bench_consumer_cpu_ns() - k0) / (double)n;
	return (process_cpu_ns() - c0) / (double)n + last_consumer_ns;
}

/* What the flushing stop of gated_batch and bare_batch costs by itself (CPU
 * ns of this process and the consumer): the session started with `start`
 * (which waits until the tracepoints see it, outside the window, as before
 * a batch), nothing recorded, then the same pause and stop. */
static double bracket_cost(struct bench_session *s, int (*start)(struct bench_session *, int),
			   int drain_ms)
{
	double c0, k0;

	if (start(s, 1) < 0)
		return -1;
	k0 = bench_consumer_cpu_ns();
	c0 = process_cpu_ns();
	bench_sleep_ms(drain_ms);
	if (bench_session_stop(s) < 0)
		return -1;
	return (process_cpu_ns() - c0) + (bench_consumer_cpu_ns() - k0);
}

/* Weft events per task of kind k: one batch in a session of its own; the
 * bytes the consumer wrote per task in *bytes. */
static double count_events_per_task(weft_ctx_t *pool, const struct kind_info *k, long n,
				    double *bytes)
{
	static const char *const events[] = { "weft:*" };
	struct bench_session s;
	double tps, cpu;
	long long size;
	long count;

	if (bench_session_open(&s, events, 1) < 0)
		return -1;
	if (set_tracing(&s, 1) < 0 || run_batch(pool, n, k->spin_ns, 0, &tps, &cpu) < 0 ||
	    set_tracing(&s, 0) < 0) {
		bench_session_close(&s);
		return -1;
	}
	count = bench_count_events(s.dir, "weft:");
	size = bench_trace_bytes(s.dir);
	bench_session_close(&s);
	*bytes = (double)size / (double)n;
	return count < 0 || size < 0 ? -1 : (double)count / (double)n;
}

static int set_bare_tracing(struct bench_session *s, int on);

/* Bytes the consumer wrote per bare event: n of them in a session of their
 * own (same channel and contexts); -1 on failure. */
static double bare_bytes(long n)
{
	static const char *const events[] = { "weft_bench:*" };
	struct bench_session s;
	long long size;
	long i;

	if (bench_session_open(&s, events, 1) < 0)
		return -1;
	if (set_bare_tracing(&s, 1) < 0) {
		bench_session_close(&s);
		return -1;
	}
	for (i = 0; i < n; i++)
		lttng_ust_tracepoint(weft_bench, task_schedule, (uint64_t)i, 7);
	if (set_bare_tracing(&s, 0) < 0) {
		bench_session_close(&s);
		return -1;
	}
	size = bench_trace_bytes(s.dir);
	bench_session_close(&s);
	return size < 0 ? -1 : (double)size / (double)n;
}

/* What a cost phase measured. */
struct cost {
	double per_task_ns[KIND_COUNT]; /* median of per-cycle on - off */
	double bare_ns;                 /* median per bare event */
	double consumer_task_ns;        /* the consumer's part of an on 1 µs task */
	double consumer_bare_ns;        /* and of a bare event */
	double bracket_ns;              /* a flushing stop by itself (median) */
	int cycles;                     /* per cycle, before the medians: */
	double cyc_task_ns[BENCH_MAX_CYCLES * 2], cyc_bare_ns[BENCH_MAX_CYCLES * 2];
	double evpt;                    /* weft events per task (1 µs kinds only) */
};

/*
 * One cost phase: in a session that enables `pattern` (weft's events, maybe
 * some excluded) and the bare event, `cycles` cycles of, for each kind in
 * `kmask`, one gated batch off and one on (alternating which goes first),
 * then a bare batch.  Per-cycle differences, then medians: slow drifts of
 * the machine cancel within a cycle.  With kmask = 1us only, evpt is exact.
 */
static int cost_phase(weft_ctx_t *pool, unsigned workers, const char *pattern, unsigned kmask,
		      int cycles, int quick, struct cost *out)
{
	const char *events[] = { pattern, "weft_bench:*" };
	double d[KIND_COUNT][BENCH_MAX_CYCLES * 2], bare[BENCH_MAX_CYCLES * 2];
	double ct[BENCH_MAX_CYCLES * 2], cb[BENCH_MAX_CYCLES * 2], br[BENCH_MAX_CYCLES * 2];
	double cpu[2], brmed;
	struct bench_session s;
	int c, half, on, k, drain = quick ? 10 : 40;
	long count, ntasks = 0, nbare = quick ? 20000 : 100000;

	memset(out, 0, sizeof(*out));
	if (bench_session_open(&s, events, 2) < 0)
		return -1;
	for (c = 0; c < cycles; c++) {
		br[c] = bracket_cost(&s, set_tracing, drain);
		if (br[c] < 0)
			goto fail;
		for (k = 0; k < KIND_COUNT; k++) {
			if (!(kmask & (1u << k)))
				continue;
			for (half = 0; half < 2; half++) {
				on = half ^ (c & 1);
				if (set_tracing(&s, on) < 0)
					goto fail;
				cpu[on] = gated_batch(pool, workers, kinds[k].tasks[quick],
						      kinds[k].spin_ns, drain, on ? &s : NULL);
				if (cpu[on] < 0)
					goto fail;
				if (on && k == KIND_1us)
					ct[c] = last_consumer_ns;
				ntasks += on ? kinds[k].tasks[quick] : 0;
			}
			d[k][c] = cpu[1] - cpu[0];
		}
		if (set_tracing(&s, 1) < 0)
			goto fail;
		bare[c] = bare_batch(&s, nbare, drain);
		if (bare[c] < 0)
			goto fail;
		cb[c] = last_consumer_ns;
	}
	count = bench_count_events(s.dir, "weft:");
	bench_session_close(&s);
	if (count < 0)
		return -1;
	/* Every "on" window held one flushing stop: take its median cost off,
	 * spread over the window's tasks or events. */
	brmed = out->bracket_ns = bench_median(br, (size_t)cycles);
	for (k = 0; k < KIND_COUNT; k++) {
		if (!(kmask & (1u << k)))
			continue;
		for (c = 0; c < cycles; c++)
			d[k][c] -= brmed / (double)kinds[k].tasks[quick];
		if (k == KIND_1us)
			memcpy(out->cyc_task_ns, d[k], sizeof(double) * (size_t)cycles);
		out->per_task_ns[k] = bench_median(d[k], (size_t)cycles);
	}
	for (c = 0; c < cycles; c++)
		bare[c] -= brmed / (double)nbare;
	memcpy(out->cyc_bare_ns, bare, sizeof(double) * (size_t)cycles);
	out->cycles = cycles;
	out->bare_ns = bench_median(bare, (size_t)cycles);
	out->consumer_task_ns = bench_median(ct, (size_t)cycles);
	out->consumer_bare_ns = bench_median(cb, (size_t)cycles);
	out->evpt = ntasks ? (double)count / (double)ntasks : 0;
	return 0;
fail:
	bench_session_close(&s);
	return -1;
}

/*
 * LTTng's floor where weft's events are: a session of bare events only (no
 * weft event enabled, so the runtime emits none), gated 1 us batches in
 * which the submitter emits one bare event after each weft_run and each task
 * one on its worker.  Per task, on - off over 2 is what one bare event costs
 * at the points where a traced task's two events are, with the same cache
 * and scheduling as a task's; bare_batch's tight loop is the hot-cache
 * floor.  Medians of `cycles`; 0 and *ns, or -1.
 */
static int insitu_phase(weft_ctx_t *pool, unsigned workers, int cycles, int quick, double *ns)
{
	static const char *const events[] = { "weft_bench:*" };
	double d[BENCH_MAX_CYCLES * 2], br[BENCH_MAX_CYCLES * 2], cpu[2], brmed;
	struct bench_session s;
	int c, half, on, drain = quick ? 10 : 40;
	long n = kinds[KIND_1us].tasks[quick];

	if (bench_session_open(&s, events, 1) < 0)
		return -1;
	bare_in_task = 1;
	for (c = 0; c < cycles; c++) {
		br[c] = bracket_cost(&s, set_bare_tracing, drain);
		if (br[c] < 0)
			goto fail;
		for (half = 0; half < 2; half++) {
			on = half ^ (c & 1);
			if (set_bare_tracing(&s, on) < 0)
				goto fail;
			cpu[on] = gated_batch(pool, workers, n, kinds[KIND_1us].spin_ns, drain,
					      on ? &s : NULL);
			if (cpu[on] < 0)
				goto fail;
		}
		d[c] = cpu[1] - cpu[0];
	}
	bare_in_task = 0;
	if (set_bare_tracing(&s, 0) < 0)
		goto fail;
	bench_session_close(&s);
	brmed = bench_median(br, (size_t)cycles);
	for (c = 0; c < cycles; c++)
		d[c] = (d[c] - brmed / (double)n) / 2;
	*ns = bench_median(d, (size_t)cycles);
	return 0;
fail:
	bare_in_task = 0;
	bench_session_close(&s);
	return -1;
}

static int set_bare_tracing(struct bench_session *s, int on)
{
	if (on ? bench_session_start(s) < 0 : bench_session_stop(s) < 0)
		return -1;
	for (int i = 0; i < 2000; i++) {
		if (!!lttng_ust_tracepoint_enabled(weft_bench, task_schedule) == on)
			return 0;
		bench_sleep_ms(1);
	}
	fprintf(stderr, "Cannot %s the bare tracepoint: still %s 2 s after %s: session=%s\n",
		on ? "enable" : "disable", on ? "disabled" : "enabled", on ? "start" : "stop",
		s->name);
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

/* A cost in bare events; -1 when the bare event measured no cost at all
 * (possible with --quick's small batches, whose figures are smoke only). */
static double in_bare(double ns, double bare_ns)
{
	return bare_ns > 0 ? ns / bare_ns : -1;
}

int main(int argc, char **argv)
{
	static const char *const events[] = { "weft:*", "weft_bench:*" };
	double tps[2][KIND_COUNT][BENCH_MAX_CYCLES], ratio[KIND_COUNT][BENCH_MAX_CYCLES];
	double cpu[2][KIND_COUNT][BENCH_MAX_CYCLES], medcpu[2][KIND_COUNT];
	double med[2][KIND_COUNT], medratio[KIND_COUNT];
	double evpt[KIND_COUNT], paired[BENCH_MAX_CYCLES * 2], bytes[KIND_COUNT], bare_b;
	struct cost main_cost, step[STEP_COUNT];
	double insitu_ns = 0;
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
	/* Bytes per task are printed for 1 us tasks: 20000 of them (and of
	 * bare events), so that a stream's last packet, padded to a page,
	 * adds at most 0.4 bytes each. */
	for (k = 0; k < KIND_COUNT; k++) {
		evpt[k] = count_events_per_task(pool, &kinds[k],
						k == KIND_1us && !quick ? 20000 : kinds[k].tasks[1],
						&bytes[k]);
		if (evpt[k] < 0)
			goto out;
	}
	bare_b = bare_bytes(quick ? 2000 : 20000);
	if (bare_b < 0)
		goto out;
	/* The cost, in a phase of its own (gated batches, see gated_batch). */
	if (cost_phase(pool, (unsigned)ncpu, "weft:*", (1u << KIND_COUNT) - 1,
		       quick ? 1 : COST_CYCLES, quick, &main_cost) < 0)
		goto out;
	if (insitu_phase(pool, (unsigned)ncpu, quick ? 1 : COST_CYCLES, quick, &insitu_ns) < 0)
		goto out;
	/* The steps, side by side in this run: a session that leaves out
	 * v2's events gets the v1 stream from the same runtime (weft.h falls
	 * back to task_new + task_schedule, and an end is folded only into an
	 * enabled task_next). */
	for (k = 0; k < STEP_COUNT; k++)
		if (cost_phase(pool, (unsigned)ncpu, steps[k].pattern, 1u << KIND_1us,
			       quick ? 1 : COST_CYCLES, quick, &step[k]) < 0)
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
	printf("# cost per cycle, 1us task ns / bare event ns:");
	for (c = 0; c < main_cost.cycles; c++) {
		printf(" %.0f/%.0f", main_cost.cyc_task_ns[c], main_cost.cyc_bare_ns[c]);
		paired[c] = in_bare(main_cost.cyc_task_ns[c], main_cost.cyc_bare_ns[c]);
	}
	printf("\n");
	printf("# %d cycles; tasks per batch:", cycles);
	for (k = 0; k < KIND_COUNT; k++)
		printf(" %s=%ld", kinds[k].name, kinds[k].tasks[quick]);
	printf("\n");
	bench_target("tasks_per_s_off", med[0][KIND_empty], ">=", 300000);
	bench_target("ratio_1us", medratio[KIND_1us], ">=", 0.70);
	bench_target("ratio_50us", medratio[KIND_50us], ">=", 0.97);
	bench_target("cost_in_bare_events_1us",
		     in_bare(main_cost.per_task_ns[KIND_1us], main_cost.bare_ns), "<=", 3.0);
	bench_print("bare_event_ns", main_cost.bare_ns, 1);
	/* The same figure as the median of per-cycle ratios (a cycle's task
	 * cost over the same cycle's bare event), as ratio_* are computed: a
	 * second estimator, printed beside the target's, not instead of it. */
	bench_print("cost_in_bare_events_1us_paired",
		    bench_median(paired, (size_t)main_cost.cycles), 2);
	/* The same floor measured where weft's events are (insitu_phase). */
	bench_print("bare_event_in_task_ns", insitu_ns, 1);
	bench_print("cost_in_in_task_bare_events_1us",
		    in_bare(main_cost.per_task_ns[KIND_1us], insitu_ns), 2);
	/* What the consumer writes: its share of the cost (and the writer's
	 * cache traffic) grows with bytes, not with instructions. */
	bench_print("bytes_per_task_1us", bytes[KIND_1us], 1);
	bench_print("bytes_per_bare_event", bare_b, 1);
	bench_print("bytes_in_bare_events_1us", in_bare(bytes[KIND_1us], bare_b), 2);
	/* The consumer daemon's share of those figures (tracing on). */
	bench_print("consumer_ns_per_bare_event", main_cost.consumer_bare_ns, 1);
	bench_print("consumer_ns_per_task_1us", main_cost.consumer_task_ns, 1);
	/* What the flushing stop that ends every "on" window costs by itself
	 * (taken off every figure above). */
	bench_print("flush_stop_us", main_cost.bracket_ns / 1000, 1);
	for (k = 0; k < KIND_COUNT; k++) {
		snprintf(name, sizeof(name), "events_per_task_%s", kinds[k].name);
		bench_print(name, evpt[k], 3);
		snprintf(name, sizeof(name), "cost_per_task_ns_%s", kinds[k].name);
		bench_print(name, main_cost.per_task_ns[k], 0);
		snprintf(name, sizeof(name), "cost_in_bare_events_%s", kinds[k].name);
		bench_print(name, in_bare(main_cost.per_task_ns[k], main_cost.bare_ns), 2);
	}
	for (k = 0; k < STEP_COUNT; k++) {
		printf("# step %s (%s): %.3f events/task, %.0f ns/task = %.2f bare events "
		       "(bare %.1f ns)\n", steps[k].name, steps[k].pattern, step[k].evpt,
		       step[k].per_task_ns[KIND_1us],
		       in_bare(step[k].per_task_ns[KIND_1us], step[k].bare_ns), step[k].bare_ns);
		snprintf(name, sizeof(name), "step_%s_cost_in_bare_events", steps[k].name);
		bench_print(name, in_bare(step[k].per_task_ns[KIND_1us], step[k].bare_ns), 2);
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
