/*
 * uvprog.h — what the libuv test programs share.  They are written against
 * plain libuv (no weft API, not linked with libweft): weft sees them only
 * through the probe (`weft record --probe uv`).  Each prints one line
 * "NAME: ..." and exits 0 when its story ran as told, 1 otherwise.
 */
#ifndef WEFT_TEST_UVPROG_H
#define WEFT_TEST_UVPROG_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <uv.h>

#define MS(n) ((int64_t)(n) * 1000000)

static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void sleep_ns(int64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static inline void spin_ns(int64_t ns)
{
	int64_t end = now_ns() + ns;

	while (now_ns() < end)
		;
}

static inline int uv_fail(const char *prog, const char *what, int err)
{
	fprintf(stderr, "%s: Cannot %s: %s\n", prog, what, uv_strerror(err));
	return 1;
}

#endif
