/*
 * rt-internal.h — the reference runtime's private structures, shared by its
 * files: rt-ctx.c (pools, loops, their queue and threads), rt-future.c
 * (futures, continuations, waits, promises, detached tasks), rt-combine.c
 * (when_all / when_any), rt-cancel.c (token sources) and rt-timer.c (the
 * timer thread, weft_delay, weft_rt_shutdown).
 *
 * Locking, in one place so that nobody ever holds two of these at once:
 *  - a future's state, listeners and blocking waiters are guarded by one of
 *    a fixed set of striped locks (rt_stripe_of()); a future needs no mutex
 *    of its own, so creating one costs a malloc and an id;
 *  - a context's queue and counters by the context's own mutex;
 *  - a token source's registrations by the source's mutex;
 *  - the timer list by the timer's mutex.
 * The one nesting: a context's lock may be held while a timer is added (the
 * timer's lock is a leaf; timer callbacks run with no lock held).
 * User code (work functions, continuations, cancel callbacks, handlers) is
 * never called with any of them held, so it may call back into the runtime.
 */
#ifndef WEFT_RT_INTERNAL_H
#define WEFT_RT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "weft/rt.h"

#define rt_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Something to do when a future completes: `fire` runs on the completing
 * thread, outside every lock; `drop` runs instead if the future is freed
 * without ever completing (a promise nobody completed). */
struct rt_listener;
typedef void (*rt_listener_fn)(struct rt_listener *l, weft_future_t *f);
struct rt_listener {
	struct rt_listener *next;
	rt_listener_fn fire;
	rt_listener_fn drop;
};

enum rt_type {
	RT_WORK,     /* weft_run / weft_spawn: fn(self, arg) on a context */
	RT_CONT,     /* weft_then / weft_await: fn(self, antecedent, arg) */
	RT_PROMISE,  /* completed by weft_promise_complete() */
	RT_DELAY,    /* completed by the timer thread or its token */
	RT_WHEN_ALL,
	RT_WHEN_ANY,
};

/* Internal flags, above the public enum weft_opt_flags. */
#define RT_F_DETACHED (1u << 16) /* weft_spawn: nobody holds the future */
#define RT_F_AWAIT (1u << 17)    /* weft_await: emit wait_end for `awaiter` */

struct weft_future {
	uint64_t id;
	int refs;            /* atomic */
	int state;           /* enum weft_state; atomic, written under the stripe */
	int err;             /* outcome, valid once state >= OK */
	int observed;        /* atomic: error_observe emitted */
	uint8_t type;        /* enum rt_type */
	uint8_t kind;        /* enum weft_task_kind, as traced */
	unsigned flags;      /* weft_opt_flags | RT_F_* */
	char *msg;           /* error message (owned), or NULL */
	void *value;
	uint64_t done_ctx;   /* id of the context whose thread completed it, 0 if none */
	weft_cts_t *token;   /* referenced, or NULL */
	union {
		weft_work_fn work;
		weft_cont_fn cont;
	} fn;
	void *arg;
	weft_ctx_t *ctx;            /* RT_CONT: target context (referenced), or NULL */
	weft_future_t *antecedent;  /* RT_CONT: referenced from dispatch until run */
	uint64_t awaiter;           /* RT_CONT with RT_F_AWAIT: the waiting task */
	weft_future_t *qnext;       /* context queue link */
	struct rt_listener *listeners; /* under the stripe lock; newest first */
	struct rt_listener as_cont;    /* RT_CONT: its registration on the antecedent */
	unsigned waiters;              /* blocked in weft_future_wait, under the stripe */
	uint64_t timer_id, reg_id;     /* RT_DELAY: under the stripe lock */
	int end_pending;               /* atomic: ended ok, its task_end not yet traced */
	int64_t end_ns;                /* when, if end_pending (rt_now_ns) */
	void *extra;                   /* RT_WHEN_ALL / RT_WHEN_ANY state (owned) */
};

/* ---- rt-future.c ---- */

struct rt_stripe {
	pthread_mutex_t lock;
	pthread_cond_t cond;
};
struct rt_stripe *rt_stripe_of(const weft_future_t *f);

/* A new future with one reference, or NULL (ENOMEM).  Takes a reference on
 * opts->token.  Emits nothing. */
weft_future_t *rt_future_alloc(enum rt_type type, enum weft_task_kind kind,
			       const struct weft_opts *opts);
/* Completes f (state OK / ERROR / CANCELED) with err and msg (msg is taken
 * over, may be NULL: a default is used for errors) and *value if value is
 * not NULL, emits task_end, wakes waiters and fires listeners on this
 * thread.  -EALREADY if already done (msg is freed). */
int rt_future_complete(weft_future_t *f, enum weft_state state, int err, char *msg,
		       void *const *value);
/* Completes f from a work function's return code. */
void rt_future_complete_rc(weft_future_t *f, int rc);
/* Adds l to f's listeners; returns false (and does nothing) if f is already
 * complete, in which case the caller acts on it itself. */
bool rt_future_listen(weft_future_t *f, struct rt_listener *l);
/* Emits error_observe once if f failed. */
void rt_future_observe(weft_future_t *f);
/* Runs a dequeued item on the calling thread (a worker or loop thread of
 * ctx) and drops the queue's reference.
 *
 * `pending` (may be NULL) is the runner's slot for a deferred end: a task
 * that ends ok with nobody listening or waiting leaves its task_end untraced
 * in *pending (with a reference), so that the start of the runner's next task
 * can carry it (one task_next event instead of task_end + task_start).  The
 * runner must call rt_pending_flush() before it goes idle or stops; anyone
 * who looks at the future meanwhile (a wait, a continuation, a state query)
 * traces the end first itself, so nothing in the trace can follow an end
 * that is not there yet. */
void rt_future_run_queued(weft_ctx_t *ctx, weft_future_t *f, weft_future_t **pending);
/* Traces the deferred end in *pending, if any and not traced yet, and drops
 * the slot's reference. */
void rt_pending_flush(weft_future_t **pending);
/* Completes a dequeued, never started item as canceled (shutdown) and drops
 * the queue's reference. */
void rt_future_cancel_queued(weft_future_t *f);
/* The status / err that a work function's return code means. */
enum weft_state rt_state_of_rc(int rc, int *err);
enum weft_status rt_status_of_state(enum weft_state s);
/* malloc'd copy of msg, or of the default text for err; NULL on ENOMEM. */
char *rt_msg_dup(const char *msg, int err);

/* ---- rt-combine.c ---- */

/* Frees a combinator's state (f->extra of RT_WHEN_ALL / RT_WHEN_ANY). */
void rt_combine_free(void *extra);

/* ---- rt-ctx.c ---- */

/* The context whose thread runs the caller, or NULL. */
weft_ctx_t *rt_ctx_current(void);
uint64_t rt_ctx_current_id(void);
/* Queues f, handing the queue one reference of the caller's.  Emits no
 * task event: the caller has emitted task_submit or task_schedule before, so
 * that no runner can start f before it is traced as queued, and without the
 * context's lock held, which every runner contends for.  -ESHUTDOWN if the
 * context no longer takes work (the caller keeps its reference and ends f). */
int rt_ctx_post(weft_ctx_t *ctx, weft_future_t *f);
/* The worker/loop thread running a task reports it blocks / unblocks. */
void rt_ctx_blocked(bool blocked);
weft_ctx_t *rt_ctx_ref(weft_ctx_t *ctx);
void rt_ctx_unref(weft_ctx_t *ctx);

/* ---- rt-cancel.c ---- */

/* An internal registration: cb(arg, reason) when canceled; drop(arg) if the
 * source is freed first.  Same contract as weft_cts_register otherwise;
 * weft_cts_unregister() returning 0 hands what arg holds back to the caller. */
typedef void (*rt_cancel_cb)(void *arg, const char *reason);
int rt_cts_register_internal(weft_cts_t *cts, rt_cancel_cb cb, void (*drop)(void *arg),
			     void *arg, uint64_t *reg);
uint64_t rt_cts_id(const weft_cts_t *cts);

/* ---- rt-timer.c ---- */

/* Calls fn(arg, true) on the timer thread after delay_ns, or fn(arg, false)
 * from weft_rt_shutdown() if it comes first.  0 or -errno. */
int rt_timer_add(int64_t delay_ns, void (*fn)(void *arg, bool fired), void *arg,
		 uint64_t *id);
/* Removes a pending entry: true if removed (fn will never be called). */
bool rt_timer_remove(uint64_t id);

/* ---- time ---- */

static inline int64_t rt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* now + delay, saturating; a negative delay means "never" (INT64_MAX). */
static inline int64_t rt_deadline(int64_t delay_ns)
{
	int64_t now = rt_now_ns();

	if (delay_ns < 0 || delay_ns > INT64_MAX - now)
		return INT64_MAX;
	return now + delay_ns;
}

static inline struct timespec rt_timespec(int64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };

	return ts;
}

/* ---- test hooks (not public API) ---- */

/* How many failed futures were released without their error being read,
 * since the process started: the same condition that emits
 * error_unobserved, counted so unit tests can check it without a session. */
uint64_t rt_unobserved_count(void);

#endif
