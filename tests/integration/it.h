/*
 * it.h — what the files of the integration test share: the list of examples
 * and of the failure patterns they reproduce (X-macros), the detectors'
 * default thresholds (DESIGN.md section 1), small test helpers, and the
 * declarations of the per-example checks (checks.c), the pattern oracle
 * (oracle.c) and the consistency checks (consistency.c).  trace.h has the
 * recording, decoding and queries over one trace.
 */
#ifndef WEFT_IT_H
#define WEFT_IT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "runner.h"
#include "trace.h"

#define MS TRACE_NS_PER_MS
#define SEC TRACE_NS_PER_S

/* The detectors' default thresholds (DESIGN.md section 1). */
#define DEADLOCK_MIN (1 * SEC)
#define BLOCKING_WAIT_MIN (50 * MS)
#define STARVATION_MIN (500 * MS)
#define BLOCKED_SHARE_MIN 0.5
#define CANCEL_GRACE (100 * MS)
#define SLOW_CALLBACK_MIN (100 * MS)
#define MARSHAL_FAST_MAX (1 * MS)
#define SERIAL_MIN 3
#define OVERSUB_MIN (1 * SEC)
#define ORPHAN_MIN (100 * MS)
#define HOT_SITE_MIN 10000
#define HOT_INLINE_MIN 0.9
#define MARSHAL_MIN 10 /* not fixed by DESIGN.md: "N" */

#define MAX_RUN (5 * SEC)

#define PATTERNS(X) \
	X(sync_over_async_deadlock, "sync-over-async-deadlock") \
	X(blocking_wait, "blocking-wait") \
	X(pool_starvation, "pool-starvation") \
	X(blocking_in_pool, "blocking-in-pool") \
	X(unobserved_error, "unobserved-error") \
	X(detached_failure, "detached-failure") \
	X(cancel_ignored, "cancel-ignored") \
	X(cancel_not_propagated, "cancel-not-propagated") \
	X(slow_callback, "slow-callback") \
	X(lost_task, "lost-task") \
	X(needless_marshal, "needless-marshal") \
	X(serial_fan_out, "serial-fan-out") \
	X(oversubscription, "oversubscription") \
	X(orphaned_work, "orphaned-work") \
	X(sync_completion_hot_path, "sync-completion-hot-path")

/* Every example: one per pattern, and one with none. */
#define EXAMPLES(X) PATTERNS(X) X(healthy, "healthy")

#define EXPECT(cond, ...) \
	do { \
		if (!(cond)) \
			TEST_FAIL_(__VA_ARGS__); \
	} while (0)

/* The recording of example `name` (made on first use); fails the test if it
 * cannot be made. */
static inline struct trace *it_get(const char *name)
{
	char why[1024] = "";
	struct trace *t;

	if (trace_get(name, &t, why, sizeof why))
		TEST_FAIL_("%s: cannot record and decode: %s", name, why);
	return t;
}

/* A TAP diagnostic line; flushed, as the runner ends tests with _exit(). */
static inline void it_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void it_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static inline double it_ms(int64_t ns)
{
	return (double)ns / 1e6;
}

/* The task named `name`; fails the test if there is none. */
static inline uint64_t it_need_task(const struct trace *t, const char *name)
{
	uint64_t id = trace_task_named(t, name);

	EXPECT(id, "%s: no task_new named \"%s\"", t->name, name);
	return id;
}

/* The context named `name` of the given kind; fails the test otherwise. */
static inline uint64_t it_need_ctx(const struct trace *t, const char *name,
				   enum weft_ctx_kind kind)
{
	uint64_t id = trace_ctx_named(t, name);
	const struct trace_obj *o = trace_obj(t, id);

	EXPECT(o && o->context_new, "%s: no context_new named \"%s\"", t->name, name);
	EXPECT(o->context_new->n0 == kind, "%s: context %s has kind %lld, expected %d", t->name,
	       name, (long long)o->context_new->n0, (int)kind);
	return id;
}

static inline bool it_ended_ok(const struct trace_obj *o)
{
	return o && o->task_end && o->task_end->n0 == WEFT_STATUS_OK;
}

/* checks.c: the example ran as it should (exit 0, < 5 s, one line, no loss);
 * check_NAME: its events show pattern NAME the way the detector relates them.
 * oracle.c: found_NAME: whether pattern NAME's condition holds anywhere. */
void check_run(const struct trace *t);
#define X(id, name) \
	void check_##id(const struct trace *t); \
	bool found_##id(const struct trace *t);
PATTERNS(X)
#undef X

typedef bool (*found_fn)(const struct trace *);
typedef void (*check_fn)(const struct trace *);

struct pattern {
	const char *name;
	found_fn found;
	check_fn check;
};
extern const struct pattern patterns[];
extern const size_t n_patterns;

/* Notes which patterns the oracle finds in t. */
void note_found(const struct trace *t);
/* `healthy`: no pattern found, and the kinds of work it claims were done. */
void check_healthy(const struct trace *t);

/* consistency.c: invariants of any correct trace; each reports violations. */
void consistency_tasks(const struct trace *t);
void consistency_continuations(const struct trace *t);
void consistency_contexts(const struct trace *t);
void consistency_waits(const struct trace *t);
/* Runs one of them over every example's trace; fails on any violation. */
int consistency_over_all(void (*check)(const struct trace *));

#endif
