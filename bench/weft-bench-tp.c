/*
 * Instantiates the "weft_bench" provider (weft-bench-tp.h) inside the
 * bench-tracepoint executable: probes and tracepoint definitions live here,
 * so the benchmark's call sites hit a provider of the same executable.
 */
#define LTTNG_UST_TRACEPOINT_DEFINE
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include "weft-bench-tp.h"
