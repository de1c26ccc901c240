/*
 * decode-stat: decodes a trace directory with daemon/decode.c and prints what
 * it found and how fast, without storing anything.  For measuring the
 * decoder against `babeltrace2 -o dummy` on the same trace, and for looking
 * at a trace the decoder refuses:
 *
 *   decode-stat DIR
 */
#include <stdio.h>
#include <time.h>

#include "decode.h"

static int count_kind(void *arg, const struct store_event *ev)
{
	uint64_t *per_kind = arg;

	per_kind[ev->kind]++;
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const names[] = {
#define X(name) #name,
		WEFT_EVENT_MAP(X)
#undef X
	};
	uint64_t per_kind[WEFT_EVENT_COUNT] = { 0 };
	struct decode_cb cb = { .event = count_kind, .arg = per_kind };
	struct decode_stats st;
	struct timespec t0, t1;
	char err[1024];
	double secs;
	int rc, k;

	if (argc != 2) {
		fprintf(stderr, "usage: %s TRACE_DIR\n", argv[0]);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = decode_trace(argv[1], &cb, &st, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("traces %u host \"%s\"\n", st.traces, st.hostname);
	printf("events %llu weft %llu other %llu processes %llu\n",
	       (unsigned long long)st.events, (unsigned long long)st.weft_events,
	       (unsigned long long)st.other_events, (unsigned long long)st.processes);
	printf("loss messages %llu discarded events %llu packets %llu unknown %llu\n",
	       (unsigned long long)st.loss_msgs, (unsigned long long)st.discarded_events,
	       (unsigned long long)st.discarded_packets, (unsigned long long)st.unknown_loss_msgs);
	for (k = 0; k < WEFT_EVENT_COUNT; k++)
		if (per_kind[k])
			printf("  %-18s %llu\n", names[k], (unsigned long long)per_kind[k]);
	printf("%.3f s, %.0f events/s\n", secs, secs > 0 ? (double)st.events / secs : 0.0);
	if (rc < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	return 0;
}
