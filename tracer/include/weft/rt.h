/*
 * rt.h — weft's reference async runtime, every operation instrumented with the
 * events of weft.h.  It exists so that there is real async C code to trace
 * (the examples reproduce each failure pattern with it), and as a small,
 * honest runtime in its own right.
 *
 * Concepts
 *   context   an executor: a POOL (N worker threads, one FIFO queue) or a LOOP
 *             (one thread running posted work in order: the "UI thread").
 *   future    a task: a piece of work and its eventual outcome (ok + value,
 *             error code + message, or canceled).  Reference counted.
 *   then      a continuation: a future that runs after an antecedent completes,
 *             on a chosen context or inline where the antecedent completes.
 *   cts       a cancellation token source (also the token): cancel, cancel
 *             after a delay, linked to parents, with registration callbacks.
 *
 * Ownership: every function returning weft_future_t * / weft_cts_t * hands the
 * caller one reference, to be dropped with weft_future_release() /
 * weft_cts_release().  The runtime holds its own references while work is
 * queued, running or waiting on an antecedent, so releasing early is fine.
 * A future that completed with an error and is released for the last time
 * without anybody having read its error (weft_future_error()) emits
 * error_unobserved: that is how silent failures become visible.
 *
 * Errors: functions returning int return 0 or a negative errno code.  A
 * function that takes a callback and fails never invokes it.  Functions
 * returning a pointer return NULL on failure with errno set (ENOMEM, EINVAL,
 * ESHUTDOWN when the context is shutting down).  The runtime never aborts.
 *
 * Threads: all functions are thread-safe.  Work functions run on their
 * context's threads; weft_current_task() inside them is their own id.
 */
#ifndef WEFT_RT_H
#define WEFT_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "weft/weft.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_ctx weft_ctx_t;
typedef struct weft_future weft_future_t;
typedef struct weft_cts weft_cts_t;

/* Negative error code a work function returns to say "I was canceled". */
#define WEFT_ECANCELED (-125) /* -ECANCELED */

/* ---- contexts ---------------------------------------------------------- */

/* A pool of `workers` threads (1..1024) sharing one FIFO queue.  Threads start
 * now.  Emits context_new, worker_state(start) per worker, and pool_sample on
 * every change of (queued, busy, workers), coalesced. */
weft_ctx_t *weft_pool_new(const char *name, unsigned workers);

/* A loop context: runs posted work one item at a time, in posting order, on
 * one thread.  It does nothing until it is run: either on its own thread with
 * weft_loop_start(), or on the calling thread with weft_loop_run(). */
weft_ctx_t *weft_loop_new(const char *name);
/* Runs the loop on a new dedicated thread until weft_ctx_shutdown(). */
int weft_loop_start(weft_ctx_t *loop);
/* Runs the loop on the calling thread until weft_loop_stop() is called (from a
 * work item or another thread); the calling thread becomes the loop's thread
 * for that time.  Returns 0, or -EBUSY if the loop already runs elsewhere,
 * -ESHUTDOWN if it was shut down. */
int weft_loop_run(weft_ctx_t *loop);
/* Runs the loop on the calling thread until `f` completes or `timeout_ns`
 * passes (< 0: no limit).  Returns 0 or -ETIMEDOUT; -EBUSY / -ESHUTDOWN as
 * weft_loop_run, also when the loop is shut down before `f` completes. */
int weft_loop_run_until(weft_ctx_t *loop, weft_future_t *f, int64_t timeout_ns);
/* Makes weft_loop_run() return after the item running now (or at once if
 * called before it runs: the request is kept until a weft_loop_run takes it).
 * A loop started with weft_loop_start() stops only at shutdown. */
void weft_loop_stop(weft_ctx_t *loop);

enum weft_shutdown {
	WEFT_SHUTDOWN_DRAIN,  /* run everything queued (and queued meanwhile), then stop */
	WEFT_SHUTDOWN_CANCEL, /* complete queued-but-not-started work as canceled */
};
/* Stops accepting work, drains or cancels the queue, joins the context's
 * threads (running items finish first).  Idempotent.  Must not be called from
 * one of the context's own threads (-EDEADLK).  Emits worker_state(stop). */
int weft_ctx_shutdown(weft_ctx_t *ctx, enum weft_shutdown how);
/* Shuts down (DRAIN) if needed and frees the context.  NULL is a no-op. */
void weft_ctx_free(weft_ctx_t *ctx);

uint64_t weft_ctx_id(const weft_ctx_t *ctx);
const char *weft_ctx_name(const weft_ctx_t *ctx);
/* The context whose thread is running the caller, or NULL. */
weft_ctx_t *weft_ctx_current(void);

/* ---- futures ----------------------------------------------------------- */

/* The work of a future.  Return 0 for ok (set a value with
 * weft_future_set_value()), a negative errno code for an error (optionally
 * with weft_future_set_error_msg()), or WEFT_ECANCELED for canceled. */
typedef int (*weft_work_fn)(weft_future_t *self, void *arg);
/* The work of a continuation; `antecedent` is complete.  Reading its error
 * with weft_future_error() observes it; ignoring it leaves it unobserved. */
typedef int (*weft_cont_fn)(weft_future_t *self, weft_future_t *antecedent, void *arg);

enum weft_opt_flags {
	/* weft_then: if the antecedent did not end ok, do not run the continuation;
	 * complete it with the antecedent's status, error and message (this
	 * observes the antecedent's error, which is now carried on). */
	WEFT_PROPAGATE = 1u << 0,
	/* weft_then: run inline even if a context is given, when the antecedent
	 * is already complete at registration (never queued: emits task_inline). */
	WEFT_INLINE_IF_DONE = 1u << 1,
};

/* Optional settings for creating a future; pass NULL for defaults.  The
 * convenience macros take it variadically, so a compound literal works:
 *   weft_run(pool, fn, arg, &(struct weft_opts){ .name = "x", .token = t }) */
struct weft_opts {
	const char *name;       /* shown in traces; default: the function's role */
	weft_cts_t *token;      /* cancellation token carried by the task, or NULL;
				 * the task holds its own reference until freed */
	enum weft_task_kind kind; /* 0 = WEFT_TASK_TASK / _CONTINUATION as fits */
	unsigned flags;         /* enum weft_opt_flags */
};

/* Queues fn(arg) on ctx.  If the token is already canceled when the task is
 * dequeued, fn is not called and the task completes canceled (cancel_observe
 * is emitted).  Emits task_new (parent = current task, site = call site),
 * task_schedule, then task_start/task_end on a worker. */
weft_future_t *weft_run_at(weft_ctx_t *ctx, weft_work_fn fn, void *arg,
			   const struct weft_opts *opts, const char *site);
#define weft_run(ctx, fn, arg, ...) weft_run_at((ctx), (fn), (arg), (__VA_ARGS__), WEFT_SITE)

/* Fire-and-forget: like weft_run, but nobody gets the future (kind DETACHED).
 * If it fails and no detached-error handler is installed, its error is never
 * observed and error_unobserved is emitted when it is released. */
int weft_spawn_at(weft_ctx_t *ctx, weft_work_fn fn, void *arg,
		  const struct weft_opts *opts, const char *site);
#define weft_spawn(ctx, fn, arg, ...) weft_spawn_at((ctx), (fn), (arg), (__VA_ARGS__), WEFT_SITE)
/* Called (on the failing task's thread) for every detached task that ends in
 * error; it may read the error, which observes it.  NULL removes it. */
typedef void (*weft_detached_error_fn)(weft_future_t *f, void *arg);
void weft_set_detached_error_handler(weft_detached_error_fn fn, void *arg);

/* Registers fn to run after `antecedent` completes: queued on ctx, or inline
 * on the thread that completes the antecedent when ctx is NULL (immediately,
 * on the caller, if it is already complete).  Emits task_new,
 * continuation_add(antecedent, cont, ctx), and marshal(cont, from, to) when it
 * is posted to a context other than the one the antecedent completed on. */
weft_future_t *weft_then_at(weft_future_t *antecedent, weft_ctx_t *ctx, weft_cont_fn fn,
			    void *arg, const struct weft_opts *opts, const char *site);
#define weft_then(ante, ctx, fn, arg, ...) \
	weft_then_at((ante), (ctx), (fn), (arg), (__VA_ARGS__), WEFT_SITE)

/* The async wait ("await"): like weft_then, and additionally records that the
 * current task waits asynchronously for `awaited` (wait_begin(mode async) now,
 * wait_end when `awaited` completes). */
weft_future_t *weft_await_at(weft_future_t *awaited, weft_ctx_t *ctx, weft_cont_fn fn,
			     void *arg, const struct weft_opts *opts, const char *site);
#define weft_await(awaited, ctx, fn, arg, ...) \
	weft_await_at((awaited), (ctx), (fn), (arg), (__VA_ARGS__), WEFT_SITE)

/* The blocking wait (the `.Result` / `.Wait()` pattern): blocks the calling
 * thread until f completes or timeout_ns passes (< 0: forever).  Emits
 * wait_begin(waiter = current task, f, block) and wait_end; a pool worker
 * reports worker_state(blocked) meanwhile.  Returns 0 or -ETIMEDOUT.  Does not
 * observe f's error: read it with weft_future_error(). */
int weft_future_wait(weft_future_t *f, int64_t timeout_ns);

/* A future completed from outside (an I/O callback, a timer, another
 * library): a promise.  Emits task_new with the given kind (default IO). */
weft_future_t *weft_promise_new_at(const struct weft_opts *opts, const char *site);
#define weft_promise_new(...) weft_promise_new_at((__VA_ARGS__), WEFT_SITE)
/* Completes a promise: err 0 = ok with value, WEFT_ECANCELED = canceled,
 * other negative = error with msg (copied; may be NULL).  -EALREADY if it was
 * complete already. */
int weft_promise_complete(weft_future_t *p, int err, const char *msg, void *value);

/* A future (kind TIMER) that completes ok after delay_ns, or canceled when
 * the token is canceled first. */
weft_future_t *weft_delay_at(int64_t delay_ns, weft_cts_t *token, const char *site);
#define weft_delay(ns, token) weft_delay_at((ns), (token), WEFT_SITE)

/* Completes when every input completed.  Ok if all were ok; otherwise error
 * with the first failing input's code and a message aggregating all errors
 * ("2 of 5 failed: ..."); this observes every failed input.  Canceled if none
 * failed and some were canceled.  Inputs are referenced, not stolen. */
weft_future_t *weft_when_all_at(weft_future_t *const *fs, size_t n,
				const struct weft_opts *opts, const char *site);
#define weft_when_all(fs, n, ...) weft_when_all_at((fs), (n), (__VA_ARGS__), WEFT_SITE)
/* Completes ok as soon as one input completes (whatever its status); its
 * value is that input (a borrowed pointer, valid while you hold the input),
 * weft_when_any_index() its index.  The others keep running: cancel them or
 * wait for them, or they become orphaned work. */
weft_future_t *weft_when_any_at(weft_future_t *const *fs, size_t n,
				const struct weft_opts *opts, const char *site);
#define weft_when_any(fs, n, ...) weft_when_any_at((fs), (n), (__VA_ARGS__), WEFT_SITE)
/* The winning index of a completed when_any, or -1. */
int weft_when_any_index(weft_future_t *any);

enum weft_state {
	WEFT_STATE_CREATED,   /* not queued yet (waiting for an antecedent) */
	WEFT_STATE_QUEUED,
	WEFT_STATE_RUNNING,
	WEFT_STATE_OK,
	WEFT_STATE_ERROR,
	WEFT_STATE_CANCELED,
};
/* Current state; never observes an error. */
enum weft_state weft_future_state(const weft_future_t *f);
bool weft_future_done(const weft_future_t *f);
/* Reads the outcome: 0 if ok, WEFT_ECANCELED if canceled, the negative error
 * code otherwise (-EAGAIN if not complete yet); *msg (optional) gets the
 * error message, valid while you hold f.  Reading a failed future's error
 * observes it (error_observe, once). */
int weft_future_error(weft_future_t *f, const char **msg);
void *weft_future_value(const weft_future_t *f);
uint64_t weft_future_id(const weft_future_t *f);

/* Inside a work function: the result value, and the error message. */
void weft_future_set_value(weft_future_t *self, void *value);
void weft_future_set_error_msg(weft_future_t *self, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

weft_future_t *weft_future_ref(weft_future_t *f);
/* Drops a reference (NULL is fine).  The last one frees the future, emitting
 * error_unobserved if it failed and its error was never read. */
void weft_future_release(weft_future_t *f);

/* ---- cancellation -------------------------------------------------------- */

/* A token source.  `name` is for traces (may be NULL).  Emits token_new. */
weft_cts_t *weft_cts_new(const char *name);
/* A source canceled when any parent is (or when canceled itself).  Emits
 * token_new(token, first parent). */
weft_cts_t *weft_cts_new_linked(weft_cts_t *const *parents, size_t n);
/* Requests cancellation: emits cancel_request, then runs registered callbacks
 * (on the calling thread, once each) and cancels linked children.  Idempotent:
 * later calls return -EALREADY. */
int weft_cts_cancel(weft_cts_t *cts, const char *reason);
/* Cancels after delay_ns (reason "timeout"), from the runtime's timer thread. */
int weft_cts_cancel_after(weft_cts_t *cts, int64_t delay_ns);
bool weft_cts_is_canceled(const weft_cts_t *cts);
/* The cooperative check, for work functions: returns WEFT_ECANCELED (and emits
 * cancel_observe(token, current task)) if cancellation was requested, else 0.
 * NULL is never canceled. */
int weft_cts_check(weft_cts_t *cts);
/* Registers cb(arg) to run when cancellation is requested (at once, on the
 * caller, if it already was).  *reg receives a handle for unregister. */
typedef void (*weft_cancel_fn)(void *arg);
int weft_cts_register(weft_cts_t *cts, weft_cancel_fn cb, void *arg, uint64_t *reg);
/* Removes a registration; 0, or -ENOENT if it already ran or never existed. */
int weft_cts_unregister(weft_cts_t *cts, uint64_t reg);
uint64_t weft_cts_id(const weft_cts_t *cts);
weft_cts_t *weft_cts_ref(weft_cts_t *cts);
/* Drops a reference (NULL is fine). */
void weft_cts_release(weft_cts_t *cts);

/* ---- process-wide ---------------------------------------------------------- */

/* Stops the runtime's timer thread (pending delays complete canceled).  Call
 * once at the end of main() after every context is shut down, so that leak
 * checkers see a clean exit.  Safe to call if no timer was ever used. */
void weft_rt_shutdown(void);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_RT_H */
