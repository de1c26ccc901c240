/*
 * weft.h — instrumentation API for any C async code.
 *
 * Every call here emits one event of the LTTng-UST provider "weft" (see
 * probes/weft-tp.h for the fields) when a tracing session listens to it, and
 * does nothing else otherwise: the disabled path is an inline load and a
 * predicted branch — no call, no allocation, no lock, no syscall.  All calls
 * are safe from any thread, never block and never abort the program.
 *
 * Ids: weft_id_new() hands out process-unique 64-bit ids (never 0).  Use one
 * id space for tasks, contexts and tokens; 0 always means "none".
 *
 * Strings (names, messages, sites) may be NULL (recorded as "") and are
 * truncated to WEFT_STR_MAX bytes; they are copied, never retained.
 *
 * Link with libweft (pkg-config weft).  Programs that never start a session
 * run exactly as before; with no session daemon reachable they run normally.
 */
#ifndef WEFT_WEFT_H
#define WEFT_WEFT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WEFT_VERSION_MAJOR 0
#define WEFT_VERSION_MINOR 1
#define WEFT_STR_MAX 256

/* X-macro lists: one definition each for the enum, the names and the docs. */
#define WEFT_CTX_KIND_MAP(X) \
	X(POOL, pool, "thread pool: N workers sharing one FIFO queue") \
	X(LOOP, loop, "one thread running posted work in order (UI thread, event loop)") \
	X(INLINE, inline, "runs work where it is posted") \
	X(EXTERNAL, external, "an executor weft does not own (libuv, GLib, ...)")

#define WEFT_TASK_KIND_MAP(X) \
	X(TASK, task, "work submitted to a context") \
	X(CONTINUATION, continuation, "runs after an antecedent completes") \
	X(DETACHED, detached, "fire-and-forget: nobody holds its result") \
	X(TIMER, timer, "completes after a delay") \
	X(IO, io, "completed by an I/O source (a promise)") \
	X(BLOCKING, blocking, "work that blocks its thread by design") \
	X(WHEN_ALL, when_all, "completes when all inputs complete") \
	X(WHEN_ANY, when_any, "completes when the first input completes")

#define WEFT_STATUS_MAP(X) \
	X(OK, ok, "completed normally") \
	X(ERROR, error, "completed with an error") \
	X(CANCELED, canceled, "completed because cancellation was requested")

#define WEFT_WAIT_MODE_MAP(X) \
	X(BLOCK, block, "the thread blocks until the awaited task completes") \
	X(ASYNC, async, "a continuation resumes the waiter")

#define WEFT_WORKER_STATE_MAP(X) \
	X(START, start, "thread begins serving the context") \
	X(STOP, stop, "thread stops serving the context") \
	X(IDLE, idle, "waiting for work") \
	X(BUSY, busy, "running a task") \
	X(BLOCKED, blocked, "running a task that is blocked in a wait")

#define WEFT__X_CTX(up, low, doc) WEFT_CTX_##up,
#define WEFT__X_TASK(up, low, doc) WEFT_TASK_##up,
#define WEFT__X_STATUS(up, low, doc) WEFT_STATUS_##up,
#define WEFT__X_WAIT(up, low, doc) WEFT_WAIT_##up,
#define WEFT__X_WORKER(up, low, doc) WEFT_WORKER_##up,
enum weft_ctx_kind { WEFT_CTX_KIND_MAP(WEFT__X_CTX) WEFT_CTX_KIND_COUNT };
enum weft_task_kind { WEFT_TASK_KIND_MAP(WEFT__X_TASK) WEFT_TASK_KIND_COUNT };
enum weft_status { WEFT_STATUS_MAP(WEFT__X_STATUS) WEFT_STATUS_COUNT };
enum weft_wait_mode { WEFT_WAIT_MODE_MAP(WEFT__X_WAIT) WEFT_WAIT_MODE_COUNT };
enum weft_worker_state { WEFT_WORKER_STATE_MAP(WEFT__X_WORKER) WEFT_WORKER_STATE_COUNT };

/* Names as they appear in traces ("pool", "continuation", ...); "?" when out
 * of range. */
const char *weft_ctx_kind_name(int kind);
const char *weft_task_kind_name(int kind);
const char *weft_status_name(int status);
const char *weft_wait_mode_name(int mode);
const char *weft_worker_state_name(int state);

/* A new process-unique id, never 0.  Lock-free; cheap but not free (one
 * atomic add), so it is not part of the "disabled" cost of an event. */
uint64_t weft_id_new(void);

/* The task the calling thread is running (0 if none).  Runtimes set it
 * around each run so that events like task_new and wait_begin can name their
 * parent/waiter; weft's own runtime does this for you. */
uint64_t weft_current_task(void);
void weft_set_current_task(uint64_t task);

/* "file:line" of the call site, as a string literal. */
#define WEFT__STR2(x) #x
#define WEFT__STR(x) WEFT__STR2(x)
#define WEFT_SITE __FILE__ ":" WEFT__STR(__LINE__)

/* ---- the events ------------------------------------------------------ */

/* Event ids index the enable-state tables below; one per tracepoint.  The
 * events of provider schema v1, then those v2 added (append only: programs
 * built against an earlier weft.h keep working with a newer libweft). */
#define WEFT_EVENT_MAP_V1(X) \
	X(context_new) X(task_new) X(task_schedule) X(task_start) X(task_end) \
	X(task_inline) X(continuation_add) X(marshal) X(wait_begin) X(wait_end) \
	X(error_observe) X(error_unobserved) X(token_new) X(cancel_request) \
	X(cancel_observe) X(pool_sample) X(worker_state) X(block_begin) \
	X(block_end) X(annotate)
#define WEFT_EVENT_MAP_V2(X) X(task_submit) X(task_next) X(token_link)
#define WEFT_EVENT_MAP(X) WEFT_EVENT_MAP_V1(X) WEFT_EVENT_MAP_V2(X)
#define WEFT__X_EV(name) WEFT_EV_##name,
#define WEFT__X_ONE(name) +1
enum weft_event { WEFT_EVENT_MAP(WEFT__X_EV) WEFT_EVENT_COUNT };
#define WEFT_EVENT_COUNT_V1 (0 WEFT_EVENT_MAP_V1(WEFT__X_ONE))

/* Private: the LTTng enable state of each tracepoint, owned by libweft.  One
 * table per schema version, each of fixed size: an executable may hold a
 * copy of a table (a copy relocation) sized by the weft.h it was built with,
 * so a table never grows. */
extern const int *const weft__tp_state[WEFT_EVENT_COUNT_V1];
extern const int *const weft__tp_state_v2[WEFT_EVENT_COUNT - WEFT_EVENT_COUNT_V1];
#define weft__tp_state_of(ev) \
	((int)(ev) < WEFT_EVENT_COUNT_V1 \
		 ? weft__tp_state[(int)(ev) % WEFT_EVENT_COUNT_V1] \
		 : weft__tp_state_v2[((int)(ev) - WEFT_EVENT_COUNT_V1) % \
				     ((int)WEFT_EVENT_COUNT - WEFT_EVENT_COUNT_V1)])
#define WEFT_ENABLED(ev) \
	__builtin_expect(__atomic_load_n(weft__tp_state_of(WEFT_EV_##ev), __ATOMIC_RELAXED) != 0, 0)

/* Private emitters: call the inline wrappers below instead. */
void weft__context_new(uint64_t ctx, int kind, const char *name, uint32_t workers);
void weft__task_new(uint64_t task, uint64_t parent, uint64_t token, int kind,
		    const char *name, const char *site);
void weft__task_schedule(uint64_t task, uint64_t ctx);
void weft__task_start(uint64_t task, uint64_t ctx);
void weft__task_end(uint64_t task, int status, int32_t err, const char *msg);
void weft__task_inline(uint64_t task);
void weft__continuation_add(uint64_t antecedent, uint64_t continuation, uint64_t ctx);
void weft__marshal(uint64_t task, uint64_t from_ctx, uint64_t to_ctx);
void weft__wait_begin(uint64_t waiter, uint64_t awaited, int mode);
void weft__wait_end(uint64_t waiter, uint64_t awaited, int timed_out);
void weft__error_observe(uint64_t task);
void weft__error_unobserved(uint64_t task, int32_t err, const char *msg);
void weft__token_new(uint64_t token, uint64_t parent_token); /* v1 ABI: no name */
void weft__token_new_named(uint64_t token, uint64_t parent_token, const char *name);
void weft__token_link(uint64_t token, uint64_t parent);
void weft__task_submit(uint64_t task, uint64_t parent, uint64_t token, int kind,
		       uint64_t ctx, const char *name, const char *site);
void weft__task_next(uint64_t ended, uint32_t end_delta, uint64_t task, uint64_t ctx);
void weft__cancel_request(uint64_t token, const char *reason);
void weft__cancel_observe(uint64_t token, uint64_t task);
void weft__pool_sample(uint64_t ctx, uint32_t queued, uint32_t busy, uint32_t workers);
void weft__worker_state(uint64_t ctx, int state);
void weft__block_begin(const char *reason);
void weft__block_end(void);
void weft__annotate(uint64_t task, const char *key, const char *value);

/* An executor context came to life.  `workers` is its thread count (1 for a
 * loop); the number of online CPUs is added for you. */
static inline void weft_context_new(uint64_t ctx, enum weft_ctx_kind kind,
				    const char *name, uint32_t workers)
{
	if (WEFT_ENABLED(context_new))
		weft__context_new(ctx, (int)kind, name, workers);
}

/* A task was created.  `parent` is the task running now (weft_current_task()
 * if you have nothing better), `token` its cancellation token or 0, `site`
 * "file:line" of the creating call: the weft_task_new() macro passes it. */
static inline void weft_task_new_at(uint64_t task, uint64_t parent, uint64_t token,
				    enum weft_task_kind kind, const char *name,
				    const char *site)
{
	if (WEFT_ENABLED(task_new))
		weft__task_new(task, parent, token, (int)kind, name, site);
}
#define weft_task_new(task, parent, token, kind, name) \
	weft_task_new_at((task), (parent), (token), (kind), (name), WEFT_SITE)

/* Created and queued on ctx at once: weft_task_new + weft_task_schedule in
 * one event (half the cost).  Use it wherever a task is queued the moment it
 * is made; emit it before the task becomes visible to the thread that will
 * start it, so that its start can never precede it.  While task_submit is
 * disabled, task_new and task_schedule are emitted instead (each if
 * enabled).  LTTng's enable state is per process, not per session: with two
 * sessions, one of which enables task_submit, the other sees neither. */
static inline void weft_task_submit_at(uint64_t task, uint64_t parent, uint64_t token,
				       enum weft_task_kind kind, uint64_t ctx,
				       const char *name, const char *site)
{
	if (WEFT_ENABLED(task_submit)) {
		weft__task_submit(task, parent, token, (int)kind, ctx, name, site);
	} else {
		if (WEFT_ENABLED(task_new))
			weft__task_new(task, parent, token, (int)kind, name, site);
		if (WEFT_ENABLED(task_schedule))
			weft__task_schedule(task, ctx);
	}
}
#define weft_task_submit(task, parent, token, kind, ctx, name) \
	weft_task_submit_at((task), (parent), (token), (kind), (ctx), (name), WEFT_SITE)

static inline void weft_task_schedule(uint64_t task, uint64_t ctx)
{
	if (WEFT_ENABLED(task_schedule))
		weft__task_schedule(task, ctx);
}

static inline void weft_task_start(uint64_t task, uint64_t ctx)
{
	if (WEFT_ENABLED(task_start))
		weft__task_start(task, ctx);
}

/* `err` is 0 or a negative errno-style code; `msg` may be NULL. */
static inline void weft_task_end(uint64_t task, enum weft_status status, int32_t err,
				 const char *msg)
{
	if (WEFT_ENABLED(task_end))
		weft__task_end(task, (int)status, err, msg);
}

/*
 * One event for two state changes of a thread that goes straight from one
 * task to the next: `ended` completed with status ok (no error, no message)
 * `end_delta_ns` ns ago, and `task` starts now on ctx (as weft_task_start).
 * `task` 0: only the end (a deferred end flushed when nothing follows).  A
 * runtime that defers an end this way must flush it (task 0) before anything
 * else can be traced about `ended` (someone waits on it, reads it, chains on
 * it) and before its thread goes idle; weft's runtime does.  end_delta_ns
 * above UINT32_MAX cannot be said: end the task with weft_task_end instead.
 */
static inline void weft_task_next(uint64_t ended, uint32_t end_delta_ns, uint64_t task,
				  uint64_t ctx)
{
	if (WEFT_ENABLED(task_next))
		weft__task_next(ended, end_delta_ns, task, ctx);
}

static inline void weft_task_inline(uint64_t task)
{
	if (WEFT_ENABLED(task_inline))
		weft__task_inline(task);
}

static inline void weft_continuation_add(uint64_t antecedent, uint64_t continuation,
					 uint64_t ctx)
{
	if (WEFT_ENABLED(continuation_add))
		weft__continuation_add(antecedent, continuation, ctx);
}

static inline void weft_marshal(uint64_t task, uint64_t from_ctx, uint64_t to_ctx)
{
	if (WEFT_ENABLED(marshal))
		weft__marshal(task, from_ctx, to_ctx);
}

static inline void weft_wait_begin(uint64_t waiter, uint64_t awaited,
				   enum weft_wait_mode mode)
{
	if (WEFT_ENABLED(wait_begin))
		weft__wait_begin(waiter, awaited, (int)mode);
}

static inline void weft_wait_end(uint64_t waiter, uint64_t awaited, int timed_out)
{
	if (WEFT_ENABLED(wait_end))
		weft__wait_end(waiter, awaited, timed_out);
}

static inline void weft_error_observe(uint64_t task)
{
	if (WEFT_ENABLED(error_observe))
		weft__error_observe(task);
}

static inline void weft_error_unobserved(uint64_t task, int32_t err, const char *msg)
{
	if (WEFT_ENABLED(error_unobserved))
		weft__error_unobserved(task, err, msg);
}

/* A cancellation token, linked to parent_token (0: none); for a token with
 * several parents, name the first here and each other with weft_token_link. */
static inline void weft_token_new(uint64_t token, uint64_t parent_token)
{
	if (WEFT_ENABLED(token_new))
		weft__token_new(token, parent_token);
}

/* The same, with a name for messages and views (NULL: none). */
static inline void weft_token_new_named(uint64_t token, uint64_t parent_token,
					const char *name)
{
	if (WEFT_ENABLED(token_new))
		weft__token_new_named(token, parent_token, name);
}

/* `token` is also cancelled when `parent` is: its second and later parents. */
static inline void weft_token_link(uint64_t token, uint64_t parent)
{
	if (WEFT_ENABLED(token_link))
		weft__token_link(token, parent);
}

static inline void weft_cancel_request(uint64_t token, const char *reason)
{
	if (WEFT_ENABLED(cancel_request))
		weft__cancel_request(token, reason);
}

static inline void weft_cancel_observe(uint64_t token, uint64_t task)
{
	if (WEFT_ENABLED(cancel_observe))
		weft__cancel_observe(token, task);
}

/* Emit on every change of the numbers; callers coalesce (weft's pool emits
 * only when a value differs from the last one it emitted). */
static inline void weft_pool_sample(uint64_t ctx, uint32_t queued, uint32_t busy,
				    uint32_t workers)
{
	if (WEFT_ENABLED(pool_sample))
		weft__pool_sample(ctx, queued, busy, workers);
}

static inline void weft_worker_state(uint64_t ctx, enum weft_worker_state state)
{
	if (WEFT_ENABLED(worker_state))
		weft__worker_state(ctx, (int)state);
}

/* Bracket a synchronous blocking call (read(), a lock, sleep) on this thread. */
static inline void weft_block_begin(const char *reason)
{
	if (WEFT_ENABLED(block_begin))
		weft__block_begin(reason);
}

static inline void weft_block_end(void)
{
	if (WEFT_ENABLED(block_end))
		weft__block_end();
}

static inline void weft_annotate(uint64_t task, const char *key, const char *value)
{
	if (WEFT_ENABLED(annotate))
		weft__annotate(task, key, value);
}

#ifdef __cplusplus
}
#endif
#endif /* WEFT_WEFT_H */
