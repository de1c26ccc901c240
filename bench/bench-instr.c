/*
 * bench-instr — the program bench/bench-instr.sh runs under callgrind.
 *
 *   bench-instr tasks|bare N on|off
 *
 * tasks: N empty tasks through a 2-worker pool (rt.h); bare: N bare LTTng
 * events (weft_bench:task_schedule, in bare_loop()).  The program opens
 * bench.h's session (the recorder's configuration) and records with it
 * ("on") or leaves it stopped ("off": every tracepoint disabled).
 * Instruction counts, unlike times, repeat exactly for the same binary and
 * input whatever else the machine runs; the script compares the functions
 * that carry a task's tracing (weft_run_at on the submitter,
 * rt_future_run_queued on the worker) and bare_loop, on against off.
 * Not a CTest test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weft/rt.h>
#include <weft/weft.h>

#include "bench.h"
#include "weft-bench-tp.h"

static int nop(weft_future_t *self, void *arg)
{
	(void)self;
	(void)arg;
	return 0;
}

static int run_tasks(long n)
{
	weft_ctx_t *pool = weft_pool_new("bench-instr", 2);
	weft_future_t *last = NULL;

	if (!pool) {
		perror("bench-instr: weft_pool_new");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		weft_future_t *f = weft_run(pool, nop, NULL, NULL);

		if (!f) {
			perror("bench-instr: weft_run");
			return 1;
		}
		if (last)
			weft_future_release(last);
		last = f;
	}
	weft_future_wait(last, -1);
	weft_future_release(last);
	weft_ctx_free(pool);
	return 0;
}

/* Its own function, so that the script counts the loop and nothing else. */
__attribute__((noinline)) static void bare_loop(long n)
{
	for (long i = 0; i < n; i++) {
		lttng_ust_tracepoint(weft_bench, task_schedule, (uint64_t)i + 1, 7);
		bench_barrier();
	}
}

int main(int argc, char **argv)
{
	static const char *const events[] = { "weft:*", "weft_bench:*" };
	struct bench_session s;
	char *end = NULL;
	long n = argc == 4 ? strtol(argv[2], &end, 10) : 0;
	int tasks, on, rc;
	uint64_t discarded = 0;

	if (argc != 4 || !end || *end || n < 1 || n > 10000000 ||
	    (strcmp(argv[1], "tasks") != 0 && strcmp(argv[1], "bare") != 0) ||
	    (strcmp(argv[3], "on") != 0 && strcmp(argv[3], "off") != 0)) {
		fprintf(stderr, "usage: bench-instr tasks|bare N on|off   (1 <= N <= 10000000)\n");
		return 2;
	}
	tasks = strcmp(argv[1], "tasks") == 0;
	on = strcmp(argv[3], "on") == 0;
	if (bench_sessiond_ensure(argv) < 0 || bench_session_open(&s, events, 2) < 0)
		return 1;
	/* both providers' enable states, as each mode emits through one */
	if (on && (bench_session_start(&s) < 0 ||
		   bench_wait_state(weft__tp_state_of(WEFT_EV_task_schedule), 1, 10000) < 0 ||
		   bench_wait_state(&lttng_ust_tracepoint_weft_bench___task_schedule.state, 1,
				    10000) < 0)) {
		fprintf(stderr, "Cannot enable weft's tracepoints: session=%s\n", s.name);
		bench_session_close(&s);
		return 1;
	}
	if (tasks)
		rc = run_tasks(n);
	else {
		bare_loop(n);
		rc = 0;
	}
	if (on && bench_session_stop(&s) == 0 && bench_session_discarded(&s, &discarded) == 0 &&
	    discarded)
		fprintf(stderr, "bench-instr: %llu events discarded\n", (unsigned long long)discarded);
	/* What the consumer wrote: the stop flushed every ring buffer. */
	if (on)
		printf("bench-instr: trace_bytes=%lld\n", bench_trace_bytes(s.dir));
	bench_session_close(&s);
	return rc;
}
