/*
 * The LTTng-UST provider "weft_bench": one event with exactly the payload of
 * weft:task_schedule (two 64-bit integers), used by bench-tracepoint as the
 * "bare LTTng" baseline.  Calling it with lttng_ust_tracepoint() directly is
 * the cheapest way LTTng offers to emit that payload; the benchmark compares
 * weft's inline wrapper + out-of-line emitter against it, event for event.
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER weft_bench

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "weft-bench-tp.h"

#if !defined(WEFT_BENCH_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define WEFT_BENCH_TP_H

#include <stdint.h>
#include <lttng/tracepoint.h>

/* Must stay field-for-field identical to weft:task_schedule (probes/weft-tp.h). */
LTTNG_UST_TRACEPOINT_EVENT(weft_bench, task_schedule,
	LTTNG_UST_TP_ARGS(uint64_t, task, uint64_t, ctx),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, task, task)
		lttng_ust_field_integer(uint64_t, ctx, ctx)))

#endif /* WEFT_BENCH_TP_H */

#include <lttng/tracepoint-event.h>
