/*
 * loss-gen — the traced program of the loss tests (test-loss.c): emits tasks
 * numbered 1..N (task id = number), each as task_new + task_end, at a fixed
 * event rate, so that a test can count in the store which numbers arrived.
 *
 *   loss-gen N RATE
 *
 * RATE is in events per second (2 per task); 0 means as fast as possible.
 * Pacing is by batches of one millisecond's worth of events, each batch
 * starting at its absolute deadline (a per-event sleep cannot reach 1M
 * events/s); a batch that starts late (the thread was preempted, or LTTng
 * blocked it in lossless mode) does not sleep, so the program catches up
 * when it can.  At the end it prints what it achieved:
 *   "loss-gen: events=E seconds=S rate=R late_batches=L"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weft/weft.h"

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until(long long t_ns)
{
	struct timespec ts = { (time_t)(t_ns / 1000000000LL), (long)(t_ns % 1000000000LL) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
		;
}

int main(int argc, char **argv)
{
	long long n, rate, per_batch, t0, t1, late = 0, i = 1, b;
	char *end1 = NULL, *end2 = NULL;

	if (argc != 3) {
		fprintf(stderr, "usage: loss-gen N RATE_EVENTS_PER_S\n");
		return 2;
	}
	n = strtoll(argv[1], &end1, 10);
	rate = strtoll(argv[2], &end2, 10);
	if (*end1 || *end2 || n < 1 || rate < 0) {
		fprintf(stderr, "Cannot emit: bad count or rate: n=%s rate=%s\n", argv[1], argv[2]);
		return 2;
	}
	/* Tasks per 1 ms batch (2 events each); at least one. */
	per_batch = rate ? rate / 2000 : n;
	if (per_batch < 1)
		per_batch = 1;
	t0 = now_ns();
	for (b = 0; i <= n; b++) {
		/* A batch is due when its first task is due at the task rate. */
		if (rate) {
			long long due = t0 + (i - 1) * 2000000000LL / rate;

			if (now_ns() < due)
				sleep_until(due);
			else if (b > 0)
				late++;
		}
		for (long long k = 0; k < per_batch && i <= n; k++, i++) {
			weft_task_new_at((uint64_t)i, 0, 0, WEFT_TASK_TASK, "seq", "loss-gen.c:1");
			weft_task_end((uint64_t)i, WEFT_STATUS_OK, 0, NULL);
		}
	}
	t1 = now_ns();
	printf("loss-gen: events=%lld seconds=%.3f rate=%.0f late_batches=%lld\n", 2 * n,
	       (double)(t1 - t0) / 1e9, 2.0 * (double)n * 1e9 / (double)(t1 - t0), late);
	return 0;
}
