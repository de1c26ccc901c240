/*
 * bench-tracepoint: what one weft event costs, next to the cheapest LTTng
 * tracepoint with the same payload, measured side by side in one run.
 *
 * The weft event is task_schedule(task, ctx) — the event every queued task
 * emits, two 64-bit integers — emitted through weft.h's inline wrapper
 * (enable-state check, then libweft's out-of-line emitter).  The baseline is
 * weft_bench:task_schedule (weft-bench-tp.h), an identical event defined in
 * this executable and hit with lttng_ust_tracepoint() directly.
 *
 * Both are timed with tracing off (the session exists but is stopped, so both
 * tracepoints are disabled) and on (started, both events enabled, contexts
 * vpid/vtid/procname as weft's recorder adds them).  Rounds alternate weft and
 * bare, swapping which goes first, and the figures are medians, so machine
 * noise hits both sides alike.  enabled_ratio is the median of the per-round
 * weft/bare ratios.
 *
 *   bench-tracepoint [--quick]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "weft-bench-tp.h"
#include "weft/weft.h"

#define BENCH_CTX_ID 7u

struct config {
	long disabled_iters; /* events per disabled sample */
	long enabled_iters;  /* events per enabled sample (~40 bytes each in the buffer) */
	int cycles;          /* off rounds, start, on rounds, stop */
	int rounds;          /* samples per side per cycle and state */
	int drain_ms;        /* pause after each enabled sample for the consumer */
};

static const struct config full = { 20000000, 100000, 3, 7, 40 };
static const struct config quick = { 1000000, 20000, 1, 3, 10 };

/* The ctx argument is read through a volatile so neither loop can fold it. */
static volatile uint64_t ctx_id = BENCH_CTX_ID;

/* ns per event; the task id varies per iteration and the barrier forces the
 * enable state to be re-read, as it is between real events. */
static __attribute__((noinline)) double loop_weft(long n, uint64_t base)
{
	uint64_t ctx = ctx_id, t0, t1;
	long i;

	t0 = bench_now_ns();
	for (i = 0; i < n; i++) {
		weft_task_schedule(base + (uint64_t)i, ctx);
		bench_barrier();
	}
	t1 = bench_now_ns();
	return (double)(t1 - t0) / (double)n;
}

static __attribute__((noinline)) double loop_bare(long n, uint64_t base)
{
	uint64_t ctx = ctx_id, t0, t1;
	long i;

	t0 = bench_now_ns();
	for (i = 0; i < n; i++) {
		lttng_ust_tracepoint(weft_bench, task_schedule, base + (uint64_t)i, ctx);
		bench_barrier();
	}
	t1 = bench_now_ns();
	return (double)(t1 - t0) / (double)n;
}

static const int *weft_state(void)
{
	return weft__tp_state_of(WEFT_EV_task_schedule);
}

static const int *bare_state(void)
{
	return &lttng_ust_tracepoint_weft_bench___task_schedule.state;
}

/* One weft sample and one bare sample, in alternating order. */
static void sample_pair(long n, int round, uint64_t *base, double *w, double *b)
{
	if (round % 2 == 0) {
		*w = loop_weft(n, *base);
		*b = loop_bare(n, *base + (uint64_t)n);
	} else {
		*b = loop_bare(n, *base);
		*w = loop_weft(n, *base + (uint64_t)n);
	}
	*base += 2 * (uint64_t)n;
}

int main(int argc, char **argv)
{
	static const char *const events[] = { "weft:task_schedule", "weft_bench:task_schedule" };
	const struct config *cfg = &full;
	struct bench_session s;
	double *wd = NULL, *bd = NULL, *we = NULL, *be = NULL, *ratio = NULL;
	size_t nd = 0, ne = 0, cap;
	uint64_t base = 1, discarded = 0;
	int c, r, ret = 1, foreign = 0, open = 0;

	if (argc > 1 && strcmp(argv[1], "--quick") == 0) {
		cfg = &quick;
	} else if (argc > 1) {
		fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
		return 2;
	}
	if (bench_sessiond_ensure(argv) < 0)
		return 1;
	cap = (size_t)cfg->cycles * (size_t)cfg->rounds;
	wd = calloc(cap, sizeof(*wd));
	bd = calloc(cap, sizeof(*bd));
	we = calloc(cap, sizeof(*we));
	be = calloc(cap, sizeof(*be));
	ratio = calloc(cap, sizeof(*ratio));
	if (!wd || !bd || !we || !be || !ratio) {
		fprintf(stderr, "Cannot allocate sample arrays: out of memory: samples=%zu\n", cap);
		goto out;
	}
	if (bench_session_open(&s, events, sizeof(events) / sizeof(events[0])) < 0)
		goto out;
	open = 1;
	bench_pin_thread();
	bench_print_machine();
	printf("# event: weft:task_schedule(task, ctx) vs weft_bench:task_schedule, "
	       "same payload; session %s\n", s.name);

	for (c = 0; c < cfg->cycles; c++) {
		/* Off: the session is stopped.  Another session tracing this
		 * process would keep the weft event enabled; say so. */
		if (bench_wait_state(weft_state(), 0, 1000) < 0 ||
		    bench_wait_state(bare_state(), 0, 1000) < 0)
			foreign = 1;
		for (r = 0; r < cfg->rounds; r++, nd++)
			sample_pair(cfg->disabled_iters, r + c, &base, &wd[nd], &bd[nd]);

		if (bench_session_start(&s) < 0)
			goto out;
		if (bench_wait_state(weft_state(), 1, 2000) < 0 ||
		    bench_wait_state(bare_state(), 1, 2000) < 0) {
			fprintf(stderr, "Cannot enable the benchmark tracepoints: still "
					"disabled 2 s after start: session=%s\n", s.name);
			goto out;
		}
		for (r = 0; r < cfg->rounds; r++, ne++) {
			sample_pair(cfg->enabled_iters, r + c, &base, &we[ne], &be[ne]);
			ratio[ne] = we[ne] / be[ne];
			bench_sleep_ms(cfg->drain_ms);
		}
		if (bench_session_stop(&s) < 0)
			goto out;
	}
	if (bench_session_discarded(&s, &discarded) < 0)
		goto out;
	if (foreign)
		printf("# warning: another session kept a tracepoint enabled during "
		       "off rounds; disabled figures are skewed\n");

	{
		double v_wd = bench_median(wd, nd), v_bd = bench_median(bd, nd);
		double v_we = bench_median(we, ne), v_be = bench_median(be, ne);
		double v_ratio = bench_median(ratio, ne);

		printf("# %zu samples per figure; %ld events per disabled sample, %ld per "
		       "enabled sample\n", nd, cfg->disabled_iters, cfg->enabled_iters);
		bench_target("weft_disabled_ns", v_wd, "<=", 2.0);
		bench_target("enabled_ratio", v_ratio, "<=", 1.15);
		bench_print("discarded_events", (double)discarded, 0);
		bench_print("weft_disabled_ns", v_wd, 3);
		bench_print("bare_disabled_ns", v_bd, 3);
		bench_print("weft_enabled_ns", v_we, 1);
		bench_print("bare_enabled_ns", v_be, 1);
		bench_print("enabled_ratio", v_ratio, 3);
	}
	ret = 0;
out:
	if (open)
		bench_session_close(&s);
	free(wd);
	free(bd);
	free(we);
	free(be);
	free(ratio);
	return ret;
}
