/*
 * example.h — the few helpers the example programs share (clocks, sleeping,
 * burning CPU, reporting a failed runtime call), so that each example's file
 * shows only its story.  Header-only: every example is one .c file plus this.
 */
#ifndef WEFT_EXAMPLE_H
#define WEFT_EXAMPLE_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "weft/rt.h"

#define EX_MS(n) ((int64_t)(n) * 1000000)

static inline int64_t ex_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline double ex_seconds(int64_t ns)
{
	return (double)ns / 1e9;
}

static inline void ex_sleep_ns(int64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* A synchronous call that blocks its thread (a slow read, a lock), bracketed
 * so that the trace shows the thread blocked rather than busy. */
static inline void ex_block_ns(const char *reason, int64_t ns)
{
	weft_block_begin(reason);
	ex_sleep_ns(ns);
	weft_block_end();
}

/* CPU-bound work for `ns` of wall time: the thread stays runnable all along,
 * as real computation would.  Returns a value so the loop is not removed. */
static inline uint64_t ex_spin_ns(int64_t ns)
{
	int64_t end = ex_now_ns() + ns;
	uint64_t h = 1469598103934665603ull;

	do {
		for (int i = 0; i < 2000; i++)
			h = (h ^ (uint64_t)i) * 1099511628211ull;
	} while (ex_now_ns() < end);
	return h;
}

/* "NAME: cannot WHAT: reason" on stderr, for a runtime call that failed;
 * returns 1, the exit status of a failed example. */
static inline int ex_fail(const char *prog, const char *what, int err)
{
	fprintf(stderr, "%s: Cannot %s: %s\n", prog, what, strerror(err < 0 ? -err : err));
	return 1;
}

#endif
