/*
 * emit-events — a tiny traced program for the session tests (test-session.c).
 *
 *   emit-events N DURATION_MS [--wait[=K]]
 *
 * Emits N weft:annotate events numbered 1..N (the number is the event's task
 * field; key "seq", value the same number as text) spread evenly over
 * DURATION_MS (0: as fast as possible; each of K batches below gets an equal
 * share), then exits 0.  The numbering lets a
 * test check that a recording holds every event exactly once, across however
 * many archived chunks it was split into.  With --wait the events go out in
 * K batches (default 1): before each batch it reads one byte from stdin,
 * after it writes one byte to stdout.  So a test can start this process,
 * learn its pid (for a vpid tracker), set up the session, and then step it
 * batch by batch (e.g. one batch per rotation).
 */
#include <weft/weft.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void sleep_until(const struct timespec *t0, long long offset_us)
{
	struct timespec ts = *t0;

	ts.tv_sec += offset_us / 1000000;
	ts.tv_nsec += (offset_us % 1000000) * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
		;
}

int main(int argc, char **argv)
{
	struct timespec t0;
	long long n, duration_ms, i, batches = 0, b, first;
	char value[32], c;

	if (argc == 4 && strcmp(argv[3], "--wait") == 0)
		batches = 1;
	else if (argc == 4 && strncmp(argv[3], "--wait=", 7) == 0)
		batches = atoll(argv[3] + 7);
	if (argc < 3 || argc > 4 || (argc == 4 && batches < 1)) {
		fprintf(stderr, "usage: %s N DURATION_MS [--wait[=K]]\n", argv[0]);
		return 2;
	}
	n = atoll(argv[1]);
	duration_ms = atoll(argv[2]);
	if (n < 0 || duration_ms < 0) {
		fprintf(stderr, "Cannot emit: negative count or duration: n=%s duration_ms=%s\n",
			argv[1], argv[2]);
		return 2;
	}
	i = 1;
	for (b = 1; b <= (batches ? batches : 1); b++) {
		long long last = batches ? n * b / batches : n;

		if (batches && read(0, &c, 1) != 1) {
			fprintf(stderr, "Cannot emit: no go byte on stdin: batch=%lld\n", b);
			return 1;
		}
		first = i;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (; i <= last; i++) {
			snprintf(value, sizeof value, "%lld", i);
			weft_annotate((uint64_t)i, "seq", value);
			if (duration_ms)
				sleep_until(&t0, duration_ms * 1000 * (i - first + 1) / n);
		}
		if (batches && write(1, "d", 1) != 1) {
			fprintf(stderr, "Cannot emit: stdout closed: batch=%lld\n", b);
			return 1;
		}
	}
	return 0;
}
