/*
 * seq-tasks — a traced program for the CLI tests: emits tasks numbered
 * 1..N (task id = number, so a test can check for gaps and duplicates in a
 * store), each as task_new + task_end, at a fixed rate.
 *
 *   seq-tasks N RATE_PER_S [--hold]
 *
 * RATE_PER_S 0 means as fast as possible.  With --hold it prints
 * "ready N" on stdout after the last task and then sleeps until killed (for
 * the SIGKILL test); otherwise it exits 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "weft/weft.h"

int main(int argc, char **argv)
{
	long n, rate;
	struct timespec t0;

	if (argc < 3) {
		fprintf(stderr, "usage: seq-tasks N RATE_PER_S [--hold]\n");
		return 2;
	}
	n = atol(argv[1]);
	rate = atol(argv[2]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 1; i <= n; i++) {
		weft_task_new((uint64_t)i, 0, 0, WEFT_TASK_TASK, "seq");
		weft_task_end((uint64_t)i, WEFT_STATUS_OK, 0, NULL);
		if (rate > 0) {
			long long due = (long long)i * 1000000000LL / rate;
			struct timespec ts = t0;
			ts.tv_sec += due / 1000000000LL;
			ts.tv_nsec += due % 1000000000LL;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
				;
		}
	}
	if (argc > 3 && strcmp(argv[3], "--hold") == 0) {
		printf("ready %ld\n", n);
		fflush(stdout);
		for (;;)
			pause();
	}
	return 0;
}
