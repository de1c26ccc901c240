/*
 * trace.h — the integration test's view of one recorded example: it runs the
 * example program under a real LTTng session (lttng command-line tool, real
 * lttng-sessiond), decodes the recording with the real babeltrace2
 * command-line tool, parses its text output into store_event records (the
 * same slot layout the store writer uses, store/event.h) and indexes them by
 * id, so that tests can ask "when did task 12 start, on which thread, and
 * which context did that thread serve then?".
 *
 * Recordings are cached under a per-run directory (trace_set_root()), one
 * subdirectory per example, so that every test that needs a trace records it
 * once however many tests look at it.
 */
#ifndef WEFT_IT_TRACE_H
#define WEFT_IT_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "event.h"

#define TRACE_NS_PER_MS INT64_C(1000000)
#define TRACE_NS_PER_S INT64_C(1000000000)

/* Everything the trace says about one id (task, context or token: one id
 * space per process).  Pointers are the first such event, counts all. */
struct trace_obj {
	const struct store_event *task_new, *task_schedule, *task_start, *task_end,
		*task_inline, *error_unobserved, *cont_add, *context_new, *token_new,
		*cancel_request;
	unsigned n_new, n_schedule, n_start, n_end, n_inline, n_observe, n_unobserved,
		n_cont_add, n_context_new, n_token_new;
};

/* A thread serving a context: worker_state(start) .. worker_state(stop). */
struct trace_binding {
	int32_t vtid;
	uint64_t ctx;
	int64_t from, to; /* to = INT64_MAX while never stopped */
};

struct trace_chunk;

struct trace {
	char name[64];
	/* the run */
	pid_t pid;
	int wait_status;       /* as from waitpid() */
	int64_t elapsed_ns;
	char *out, *err;       /* the example's stdout and stderr */
	char *bt_err;          /* babeltrace2's stderr */
	unsigned discarded;    /* babeltrace2 warnings about discarded events */
	unsigned noise;        /* other lines of its output that are not events */
	/* the events of the example's process, in trace (timestamp) order */
	struct store_event *ev;
	size_t n;
	/* the index */
	struct trace_obj *obj; /* [0 .. max_id] */
	uint64_t max_id;
	struct trace_binding *bind;
	size_t nbind;
	struct trace_chunk *strings;
};

/* Where recordings go (a directory that exists). */
void trace_set_root(const char *dir);

/* Checks that an lttng-sessiond answers, starting one (lttng-sessiond
 * --daemonize) if none does.  0, or -1 with why filled. */
int trace_lttng_ready(char *why, size_t whylen);

/* Records (or loads the cached recording of) example `name`, from
 * WEFT_EXAMPLES_DIR.  0 and *out, or -1 with why filled. */
int trace_get(const char *name, struct trace **out, char *why, size_t whylen);
void trace_free(struct trace *t);

const char *trace_event_name(enum weft_event kind);

/* NULL when id is 0 or beyond anything the trace mentions. */
const struct trace_obj *trace_obj(const struct trace *t, uint64_t id);
/* The context thread vtid served at ts, or 0. */
uint64_t trace_thread_ctx(const struct trace *t, int32_t vtid, int64_t ts);
/* The context named `name` (first context_new with that name), or 0. */
uint64_t trace_ctx_named(const struct trace *t, const char *name);
/* The first task named `name`, or 0. */
uint64_t trace_task_named(const struct trace *t, const char *name);
/* Timestamp of the last event (the end of the trace). */
int64_t trace_end_ts(const struct trace *t);

/* ---- trace-query.c: what the detectors measure, re-stated for tests ---- */

/* The object of task `id` if the trace announced it (task_new), or NULL. */
const struct trace_obj *trace_task(const struct trace *t, uint64_t id);
/* The wait_end closing wait_begin b (same waiter and awaited; the same
 * thread for a blocking wait), or NULL. */
const struct store_event *trace_wait_end(const struct trace *t, const struct store_event *b);
/* Whether token `tok` is `ancestor` or linked to it, transitively. */
bool trace_token_descends(const struct trace *t, uint64_t tok, uint64_t ancestor);
/* Longest stretch with pool ctx's work queued, all its workers busy and no
 * task starting on it (the starvation gate). */
int64_t trace_longest_starvation(const struct trace *t, uint64_t ctx);
/* Longest stretch with more than `limit` workers of ctx busy. */
int64_t trace_longest_busy_over(const struct trace *t, uint64_t ctx, int64_t limit);
/* Share of [from, to) x workers that ctx's threads spent blocked
 * (block_begin .. block_end). */
double trace_blocked_share(const struct trace *t, uint64_t ctx, int64_t from, int64_t to);
/* Share of [from, to) during which ctx had work queued. */
double trace_queued_share(const struct trace *t, uint64_t ctx, int64_t from, int64_t to);
/* Longest chain of children awaited one after another (see the file). */
int trace_longest_serial_chain(const struct trace *t);
/* Longest single run of a task on a loop context; *which gets the task. */
int64_t trace_longest_loop_run(const struct trace *t, uint64_t *which);
/* The call site that created the most tasks: their count, how many of them
 * completed inline (*inlined), and the site. */
size_t trace_hottest_site(const struct trace *t, size_t *inlined, const char **site);
/* The task among x and what x depends on (antecedents, awaited tasks,
 * transitively) whose continuation is registered on ctx, or 0. */
uint64_t trace_dependency_on_ctx(const struct trace *t, uint64_t x, uint64_t ctx);
/* Whether `task_id` was marshaled from `from` to `to`. */
bool trace_has_marshal(const struct trace *t, uint64_t task_id, uint64_t from, uint64_t to);

#endif
