/*
 * bench-instr — the program bench/bench-instr.sh runs under callgrind.
 *
 *   bench-instr tasks N    N empty tasks through a 2-worker pool (rt.h)
 *   bench-instr bare N     N bare LTTng events (weft_bench:task_schedule)
 *
 * Instruction counts, unlike times, repeat exactly for the same binary and
 * input whatever else the machine runs; the script compares the functions
 * that carry a task's tracing (weft_run_at on the submitter,
 * rt_future_run_queued on the worker) with tracing on and off, and divides
 * by the instructions of one bare event.  Not a CTest test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weft/rt.h>

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

int main(int argc, char **argv)
{
	char *end = NULL;
	long n = argc == 3 ? strtol(argv[2], &end, 10) : 0;

	if (argc != 3 || !end || *end || n < 1 || n > 10000000 ||
	    (strcmp(argv[1], "tasks") != 0 && strcmp(argv[1], "bare") != 0)) {
		fprintf(stderr, "usage: bench-instr tasks|bare N   (1 <= N <= 10000000)\n");
		return 2;
	}
	if (strcmp(argv[1], "tasks") == 0)
		return run_tasks(n);
	for (long i = 0; i < n; i++)
		lttng_ust_tracepoint(weft_bench, task_schedule, (uint64_t)i + 1, 7);
	return 0;
}
