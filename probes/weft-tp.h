/*
 * The LTTng-UST tracepoint provider "weft": the single definition of weft's event
 * schema (DESIGN.md section 3).  Everything that emits weft events (libweft, the
 * reference runtime, the libuv/GLib interposition probes) goes through these
 * tracepoints, and everything that reads a trace (the store's decoder, tests)
 * reads the fields named here.  Changing a field is a schema change: bump
 * WEFT_TP_SCHEMA_VERSION and teach the decoder both versions.
 *
 * Conventions:
 *  - ids (task, ctx, token) are 64-bit, unique within a process, never 0;
 *    0 means "none" (no parent, no token, "wherever" for a context);
 *  - strings come from the traced program and are untrusted: libweft bounds
 *    them to WEFT_TP_STR_MAX bytes before they reach a tracepoint, readers
 *    sanitise them before display;
 *  - every event gets vpid, vtid and procname as LTTng context (the session
 *    adds them), so no event carries a thread or process id itself.
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER weft

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "weft-tp.h"

#if !defined(WEFT_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define WEFT_TP_H

#include <stdint.h>
#include <lttng/tracepoint.h>

/* 1: the events of DESIGN.md section 3.
 * 2: adds task_submit (task_new + task_schedule in one event), task_next (a
 *    deferred ok end, merged with the start of the worker's next task),
 *    token_link, and token_new's name.  Every v1 event keeps its meaning, so
 *    a v1 trace is a valid v2 trace that uses none of the additions. */
#define WEFT_TP_SCHEMA_VERSION 2
#define WEFT_TP_STR_MAX 256

LTTNG_UST_TRACEPOINT_ENUM(weft, ctx_kind,
	LTTNG_UST_TP_ENUM_VALUES(
		lttng_ust_field_enum_value("pool", 0)
		lttng_ust_field_enum_value("loop", 1)
		lttng_ust_field_enum_value("inline", 2)
		lttng_ust_field_enum_value("external", 3)))

LTTNG_UST_TRACEPOINT_ENUM(weft, task_kind,
	LTTNG_UST_TP_ENUM_VALUES(
		lttng_ust_field_enum_value("task", 0)
		lttng_ust_field_enum_value("continuation", 1)
		lttng_ust_field_enum_value("detached", 2)
		lttng_ust_field_enum_value("timer", 3)
		lttng_ust_field_enum_value("io", 4)
		lttng_ust_field_enum_value("blocking", 5)
		lttng_ust_field_enum_value("when_all", 6)
		lttng_ust_field_enum_value("when_any", 7)))

LTTNG_UST_TRACEPOINT_ENUM(weft, status,
	LTTNG_UST_TP_ENUM_VALUES(
		lttng_ust_field_enum_value("ok", 0)
		lttng_ust_field_enum_value("error", 1)
		lttng_ust_field_enum_value("canceled", 2)))

LTTNG_UST_TRACEPOINT_ENUM(weft, wait_mode,
	LTTNG_UST_TP_ENUM_VALUES(
		lttng_ust_field_enum_value("block", 0)
		lttng_ust_field_enum_value("async", 1)))

LTTNG_UST_TRACEPOINT_ENUM(weft, worker_state,
	LTTNG_UST_TP_ENUM_VALUES(
		lttng_ust_field_enum_value("start", 0)
		lttng_ust_field_enum_value("stop", 1)
		lttng_ust_field_enum_value("idle", 2)
		lttng_ust_field_enum_value("busy", 3)
		lttng_ust_field_enum_value("blocked", 4)))

/* An executor context came to life: a pool, a loop, or a foreign one. */
LTTNG_UST_TRACEPOINT_EVENT(weft, context_new,
	LTTNG_UST_TP_ARGS(uint64_t, ctx, int, kind, const char *, name,
		uint32_t, workers, uint32_t, ncpu),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, ctx, ctx)
		lttng_ust_field_enum(weft, ctx_kind, int8_t, kind, kind)
		lttng_ust_field_string(name, name)
		lttng_ust_field_integer(uint32_t, workers, workers)
		lttng_ust_field_integer(uint32_t, ncpu, ncpu)))

/* A task was created by `parent` (the task running at the time, 0 if none) at
 * `site` ("file:line" of the creating call). */
LTTNG_UST_TRACEPOINT_EVENT(weft, task_new,
	LTTNG_UST_TP_ARGS(uint64_t, task, uint64_t, parent, uint64_t, token,
		int, kind, const char *, name, const char *, site),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, task, task)
		lttng_ust_field_integer(uint64_t, parent, parent)
		lttng_ust_field_integer(uint64_t, token, token)
		lttng_ust_field_enum(weft, task_kind, int8_t, kind, kind)
		lttng_ust_field_string(name, name)
		lttng_ust_field_string(site, site)))

/* v2: created by `parent` and queued on `ctx` in the same instant: what
 * task_new followed by task_schedule says, in one event (the common case of a
 * pool task, where the two were always back to back). */
LTTNG_UST_TRACEPOINT_EVENT(weft, task_submit,
	LTTNG_UST_TP_ARGS(uint64_t, task, uint64_t, parent, uint64_t, token,
		int, kind, uint64_t, ctx, const char *, name, const char *, site),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, task, task)
		lttng_ust_field_integer(uint64_t, parent, parent)
		lttng_ust_field_integer(uint64_t, token, token)
		lttng_ust_field_enum(weft, task_kind, int8_t, kind, kind)
		lttng_ust_field_integer(uint64_t, ctx, ctx)
		lttng_ust_field_string(name, name)
		lttng_ust_field_string(site, site)))

/* v2: `ended` completed with status ok, no error and no message
 * `end_delta` ns before this event (its task_end, stamped exactly, folded into
 * the next event of its thread); then `task` (0: none) began running on the
 * emitting thread, which belongs to `ctx`, as task_start says.  A worker that
 * goes straight from one task to the next thus spends one event on both
 * state changes. */
LTTNG_UST_TRACEPOINT_EVENT(weft, task_next,
	LTTNG_UST_TP_ARGS(uint64_t, ended, uint32_t, end_delta, uint64_t, task,
		uint64_t, ctx),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, ended, ended)
		lttng_ust_field_integer(uint32_t, end_delta, end_delta)
		lttng_ust_field_integer(uint64_t, task, task)
		lttng_ust_field_integer(uint64_t, ctx, ctx)))

/* Queued on an executor context. */
LTTNG_UST_TRACEPOINT_EVENT(weft, task_schedule,
	LTTNG_UST_TP_ARGS(uint64_t, task, uint64_t, ctx),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, task, task)
		lttng_ust_field_integer(uint64_t, ctx, ctx)))

/* Began running on the emitting thread, which belongs to ctx. */
LTTNG_UST_TRACEPOINT_EVENT(weft, task_start,
	LTTNG_UST_TP_ARGS(uint64_t, task, uint64_t, ctx),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, task, task)
		lttng_ust_field_integer(uint64_t, ctx, ctx)))

/* Completed; err is a negative errno-style code (0 when ok), msg may be "". */
LTTNG_UST_TRACEPOINT_EVENT(weft, task_end,
	LTTNG_UST_TP_ARGS(uint64_t, task, int, status, int32_t, err,
		const char *, msg),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, task, task)
		lttng_ust_field_enum(weft, status, int8_t, status, status)
		lttng_ust_field_integer(int32_t, err, err)
		lttng_ust_field_string(msg, msg)))

/* Completed synchronously when created: never queued, never started. */
LTTNG_UST_TRACEPOINT_EVENT(weft, task_inline,
	LTTNG_UST_TP_ARGS(uint64_t, task),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, task, task)))

/* `continuation` will run after `antecedent` completes, on ctx (0: wherever
 * the antecedent completes). */
LTTNG_UST_TRACEPOINT_EVENT(weft, continuation_add,
	LTTNG_UST_TP_ARGS(uint64_t, antecedent, uint64_t, continuation,
		uint64_t, ctx),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, antecedent, antecedent)
		lttng_ust_field_integer(uint64_t, continuation, continuation)
		lttng_ust_field_integer(uint64_t, ctx, ctx)))

/* A continuation was posted to another context than the one completing its
 * antecedent. */
LTTNG_UST_TRACEPOINT_EVENT(weft, marshal,
	LTTNG_UST_TP_ARGS(uint64_t, task, uint64_t, from_ctx, uint64_t, to_ctx),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, task, task)
		lttng_ust_field_integer(uint64_t, from_ctx, from_ctx)
		lttng_ust_field_integer(uint64_t, to_ctx, to_ctx)))

/* `waiter` (0: the thread itself, no task) waits for `awaited`. */
LTTNG_UST_TRACEPOINT_EVENT(weft, wait_begin,
	LTTNG_UST_TP_ARGS(uint64_t, waiter, uint64_t, awaited, int, mode),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, waiter, waiter)
		lttng_ust_field_integer(uint64_t, awaited, awaited)
		lttng_ust_field_enum(weft, wait_mode, int8_t, mode, mode)))

/* The wait ended: awaited completed, or a blocking wait timed out (timed_out). */
LTTNG_UST_TRACEPOINT_EVENT(weft, wait_end,
	LTTNG_UST_TP_ARGS(uint64_t, waiter, uint64_t, awaited, int, timed_out),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, waiter, waiter)
		lttng_ust_field_integer(uint64_t, awaited, awaited)
		lttng_ust_field_integer(uint8_t, timed_out, timed_out)))

/* Somebody read the error of a failed task. */
LTTNG_UST_TRACEPOINT_EVENT(weft, error_observe,
	LTTNG_UST_TP_ARGS(uint64_t, task),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, task, task)))

/* A failed task was released and nobody had read its error. */
LTTNG_UST_TRACEPOINT_EVENT(weft, error_unobserved,
	LTTNG_UST_TP_ARGS(uint64_t, task, int32_t, err, const char *, msg),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, task, task)
		lttng_ust_field_integer(int32_t, err, err)
		lttng_ust_field_string(msg, msg)))

/* A cancellation token; parent_token != 0 for a linked token (its first
 * parent; token_link names each further one).  v2 adds `name` ("" if none). */
LTTNG_UST_TRACEPOINT_EVENT(weft, token_new,
	LTTNG_UST_TP_ARGS(uint64_t, token, uint64_t, parent_token, const char *, name),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, token, token)
		lttng_ust_field_integer(uint64_t, parent_token, parent_token)
		lttng_ust_field_string(name, name)))

/* v2: `token` is also linked to `parent`: cancelling `parent` cancels
 * `token`.  Emitted right after token_new for the second and later parents. */
LTTNG_UST_TRACEPOINT_EVENT(weft, token_link,
	LTTNG_UST_TP_ARGS(uint64_t, token, uint64_t, parent),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, token, token)
		lttng_ust_field_integer(uint64_t, parent, parent)))

LTTNG_UST_TRACEPOINT_EVENT(weft, cancel_request,
	LTTNG_UST_TP_ARGS(uint64_t, token, const char *, reason),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, token, token)
		lttng_ust_field_string(reason, reason)))

/* `task` noticed that `token` was cancelled and acted on it. */
LTTNG_UST_TRACEPOINT_EVENT(weft, cancel_observe,
	LTTNG_UST_TP_ARGS(uint64_t, token, uint64_t, task),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, token, token)
		lttng_ust_field_integer(uint64_t, task, task)))

/* Pool numbers after a change (coalesced by the emitter). */
LTTNG_UST_TRACEPOINT_EVENT(weft, pool_sample,
	LTTNG_UST_TP_ARGS(uint64_t, ctx, uint32_t, queued, uint32_t, busy,
		uint32_t, workers),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, ctx, ctx)
		lttng_ust_field_integer(uint32_t, queued, queued)
		lttng_ust_field_integer(uint32_t, busy, busy)
		lttng_ust_field_integer(uint32_t, workers, workers)))

/* The emitting thread (a worker of ctx, or a loop's thread) changed state;
 * `start` binds the thread to ctx. */
LTTNG_UST_TRACEPOINT_EVENT(weft, worker_state,
	LTTNG_UST_TP_ARGS(uint64_t, ctx, int, state),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, ctx, ctx)
		lttng_ust_field_enum(weft, worker_state, int8_t, state, state)))

/* The emitting thread blocks in a synchronous call (I/O, lock, sleep). */
LTTNG_UST_TRACEPOINT_EVENT(weft, block_begin,
	LTTNG_UST_TP_ARGS(const char *, reason),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_string(reason, reason)))

LTTNG_UST_TRACEPOINT_EVENT(weft, block_end,
	LTTNG_UST_TP_ARGS(void),
	LTTNG_UST_TP_FIELDS())

LTTNG_UST_TRACEPOINT_EVENT(weft, annotate,
	LTTNG_UST_TP_ARGS(uint64_t, task, const char *, key, const char *, value),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, task, task)
		lttng_ust_field_string(key, key)
		lttng_ust_field_string(value, value)))

#endif /* WEFT_TP_H */

#include <lttng/tracepoint-event.h>
