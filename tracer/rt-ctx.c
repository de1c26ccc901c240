/*
 * rt-ctx.c — the executors of weft's reference runtime: pools (N worker
 * threads sharing one FIFO queue) and loops (one thread running posted work
 * in order, either its own or a caller's), and their shutdown.
 *
 * Both kinds share the queue (an intrusive list of futures: posting costs no
 * allocation) under the context's mutex.  Waking a sleeping thread is the
 * expensive part (a futex call and a context switch each way), so a pool
 * worker that runs out of work first polls the queue for RT_SPIN_NS (one
 * worker at a time), and posting wakes a sleeper only when more is queued
 * than the spinner and the wake-ups already sent can take.  Each runner thread reports worker_state: start
 * (binding the thread to the context in the trace), busy when it takes work
 * after being idle, idle when it finds none, blocked while a task on it waits
 * (rt_ctx_blocked), stop.  Pools also emit pool_sample, coalesced.
 *
 * Shutdown phases: OPEN -> DRAINING (still accepts work, runners exit once
 * nothing is queued or running) or straight to SHUT (CANCEL: the queue is
 * emptied and completed canceled) -> CLOSED once every runner is gone.  From
 * SHUT on, posts fail with -ESHUTDOWN.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rt-internal.h"

enum ctx_phase { PHASE_OPEN, PHASE_DRAINING, PHASE_SHUT, PHASE_CLOSED };

/* Why a loop is being run, which decides when loop_serve() returns. */
enum serve_mode {
	SERVE_OWN,   /* its own thread (weft_loop_start): until shut down */
	SERVE_RUN,   /* weft_loop_run: until weft_loop_stop() or shut down */
	SERVE_UNTIL, /* weft_loop_run_until: until a future completes */
	SERVE_DRAIN, /* weft_ctx_shutdown on a loop nobody runs: until drained */
};

struct weft_ctx {
	uint64_t id;
	enum weft_ctx_kind kind;
	int refs; /* atomic: the user's, continuations aimed here, run_until wakers */
	char *name;
	pthread_mutex_t lock;
	pthread_cond_t work_cv;  /* runners wait for work */
	pthread_cond_t state_cv; /* a runner stopped, or shutdown finished */
	weft_future_t *head, *tail;
	uint32_t queued; /* written under the lock, read by spinners without it */
	uint32_t busy, workers;
	uint32_t nwaiting, nwakeups; /* runners asleep; wake-ups sent, not yet taken */
	uint32_t nspinning;          /* pool workers polling the queue before sleeping */
	uint32_t max_spinning;       /* at most half the CPUs (Go's rule), at least 1 */
	uint32_t s_queued, s_busy, s_workers; /* last pool_sample emitted */
	int64_t s_ns;                 /* when (CLOCK_MONOTONIC_COARSE) */
	bool s_valid;
	bool s_flush_armed;           /* a timer will emit what the window held back */
	enum ctx_phase phase;
	bool shutting;   /* weft_ctx_shutdown has begun */
	pthread_t *threads; /* pool workers */
	unsigned nthreads;
	bool running;    /* loop: a thread is serving it */
	bool own_thread; /* loop: weft_loop_start created loop_thread */
	bool stop_req;   /* loop: weft_loop_stop() not yet consumed */
	pthread_t loop_thread;
};

static _Thread_local weft_ctx_t *tls_ctx;

weft_ctx_t *rt_ctx_current(void)
{
	return tls_ctx;
}

weft_ctx_t *weft_ctx_current(void)
{
	return tls_ctx;
}

uint64_t rt_ctx_current_id(void)
{
	return tls_ctx ? tls_ctx->id : 0;
}

uint64_t weft_ctx_id(const weft_ctx_t *ctx)
{
	return ctx ? ctx->id : 0;
}

const char *weft_ctx_name(const weft_ctx_t *ctx)
{
	return ctx ? ctx->name : NULL;
}

weft_ctx_t *rt_ctx_ref(weft_ctx_t *ctx)
{
	__atomic_add_fetch(&ctx->refs, 1, __ATOMIC_RELAXED);
	return ctx;
}

void rt_ctx_unref(weft_ctx_t *ctx)
{
	if (__atomic_sub_fetch(&ctx->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	pthread_mutex_destroy(&ctx->lock);
	pthread_cond_destroy(&ctx->work_cv);
	pthread_cond_destroy(&ctx->state_cv);
	free(ctx->threads);
	free(ctx->name);
	free(ctx);
}

void rt_ctx_blocked(bool blocked)
{
	if (tls_ctx)
		weft_worker_state(tls_ctx->id, blocked ? WEFT_WORKER_BLOCKED : WEFT_WORKER_BUSY);
}

static weft_ctx_t *ctx_alloc(enum weft_ctx_kind kind, const char *name)
{
	weft_ctx_t *c = calloc(1, sizeof *c);
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;

	if (!c)
		goto fail;
	c->name = strdup(name);
	if (!c->name)
		goto fail;
	c->id = weft_id_new();
	c->kind = kind;
	c->refs = 1;
	/* Adaptive: the queue lock is held for a few instructions, so a
	 * contender spins briefly instead of sleeping in the kernel. */
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(&c->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->work_cv, &ca);
	pthread_cond_init(&c->state_cv, &ca);
	pthread_condattr_destroy(&ca);
	return c;
fail:
	if (c)
		free(c->name);
	free(c);
	errno = ENOMEM;
	return NULL;
}

/*
 * Under the lock: pool_sample when the numbers changed, coalesced in time.
 * Numbers equal to the last sample's are never emitted again; within
 * SAMPLE_WINDOW_NS of the last sample any change of queue depth or busy
 * count is held back and folded into the next sample, and the first change
 * held back arms a timer that emits the numbers as they are at the end of
 * the window even if nothing else happens (a saturated pool can stop
 * changing for seconds: a sample must never show a state that no longer
 * holds).  So the recorded numbers lag the truth by at most a window (plus
 * the timer's latency); a state that lasts longer than that is always in
 * the samples, and one that lasts less may be folded away.  A change of the
 * worker count (a worker started or stopped) is emitted at once.
 *
 * Why: at one sample per post and per dequeue, pool_sample was a third of
 * the tracing cost of a 1 us task; with only depth coalesced, a pool that
 * goes idle between tasks still paid two samples per task (the queue
 * becoming non-empty, then empty).  Exact queue depth and busy count stay
 * derivable from the task events (task_submit / task_schedule, task_start,
 * task_next / task_end), which are never coalesced; the samples give the
 * shape of the load at SAMPLE_WINDOW_NS resolution.
 *
 * 10 ms, not 1 ms: the end-of-window flush wakes the timer thread once per
 * window while a pool is busy, and on 2 cores that wake-up preempts a
 * worker; at 1 ms it cost about 1 us per 50 us task (bench-runtime:
 * ratio_50us 0.96 -> 0.99 with 10 ms).  The detectors judge 50 ms and more.
 */
#define SAMPLE_WINDOW_NS 10000000

static void ctx_sample_at(weft_ctx_t *c, bool window_over);

/* On the timer thread, at the end of a window that held a change back. */
static void ctx_sample_flush(void *arg, bool fired)
{
	weft_ctx_t *c = arg;

	(void)fired; /* at weft_rt_shutdown too: the held-back numbers go out */
	pthread_mutex_lock(&c->lock);
	c->s_flush_armed = false;
	ctx_sample_at(c, true);
	pthread_mutex_unlock(&c->lock);
	rt_ctx_unref(c);
}

/* Under the lock: arms the end-of-window flush; false if it cannot.  The
 * timer's lock is a leaf: taking it here nests no other lock inside a
 * context's. */
static bool ctx_sample_arm(weft_ctx_t *c, int64_t now)
{
	int64_t delay = c->s_ns + SAMPLE_WINDOW_NS - now;

	if (c->s_flush_armed)
		return true;
	rt_ctx_ref(c);
	if (rt_timer_add(delay > 0 ? delay : 0, ctx_sample_flush, c, NULL) == 0) {
		c->s_flush_armed = true;
		return true;
	}
	__atomic_sub_fetch(&c->refs, 1, __ATOMIC_RELAXED); /* ours is not the last */
	return false; /* no timer (no memory, shutting down): emit now instead */
}

static void ctx_sample(weft_ctx_t *c)
{
	ctx_sample_at(c, false);
}

static void ctx_sample_at(weft_ctx_t *c, bool window_over)
{
	struct timespec ts;
	int64_t now;

	if (c->kind != WEFT_CTX_POOL || !WEFT_ENABLED(pool_sample))
		return;
	if (c->s_valid && c->s_queued == c->queued && c->s_busy == c->busy &&
	    c->s_workers == c->workers)
		return;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (!window_over && c->s_valid && c->s_workers == c->workers &&
	    now - c->s_ns < SAMPLE_WINDOW_NS && ctx_sample_arm(c, now))
		return;
	c->s_ns = now;
	c->s_valid = true;
	c->s_queued = c->queued;
	c->s_busy = c->busy;
	c->s_workers = c->workers;
	weft_pool_sample(c->id, c->queued, c->busy, c->workers);
}

static weft_future_t *ctx_pop(weft_ctx_t *c)
{
	weft_future_t *f = c->head;

	if (!f)
		return NULL;
	c->head = f->qnext;
	if (!c->head)
		c->tail = NULL;
	f->qnext = NULL;
	__atomic_store_n(&c->queued, c->queued - 1, __ATOMIC_RELAXED);
	return f;
}

/* Under the lock: a runner goes to sleep until posted to or told to stop. */
static int ctx_sleep(weft_ctx_t *c, int64_t deadline)
{
	struct timespec ts;
	int rc = 0;

	c->nwaiting++;
	if (deadline == INT64_MAX) {
		pthread_cond_wait(&c->work_cv, &c->lock);
	} else {
		ts = rt_timespec(deadline);
		rc = pthread_cond_timedwait(&c->work_cv, &c->lock, &ts);
	}
	c->nwaiting--;
	if (c->nwakeups)
		c->nwakeups--;
	return rc;
}

int rt_ctx_post(weft_ctx_t *c, weft_future_t *f)
{
	bool wake = false;

	pthread_mutex_lock(&c->lock);
	if (c->phase >= PHASE_SHUT) {
		pthread_mutex_unlock(&c->lock);
		return -ESHUTDOWN;
	}
	__atomic_store_n(&f->state, WEFT_STATE_QUEUED, __ATOMIC_RELAXED);
	f->qnext = NULL;
	if (c->tail)
		c->tail->qnext = f;
	else
		c->head = f;
	c->tail = f;
	__atomic_store_n(&c->queued, c->queued + 1, __ATOMIC_RELEASE);
	ctx_sample(c);
	if (c->nwaiting > c->nwakeups && c->queued > c->nspinning + c->nwakeups) {
		c->nwakeups++;
		wake = true;
	}
	pthread_mutex_unlock(&c->lock);
	if (wake)
		pthread_cond_signal(&c->work_cv);
	return 0;
}

/* ---- pools ---- */

#define RT_SPIN_NS 50000

/* Without the lock: polls for work (or a shutdown) for up to RT_SPIN_NS.
 * It yields between rounds: on a machine with more runnable threads than
 * cores the submitter it is waiting for may need this very core. */
static void ctx_spin(weft_ctx_t *c)
{
	int64_t end = rt_now_ns() + RT_SPIN_NS;
	unsigned i;

	do {
		for (i = 0; i < 64; i++) {
			if (__atomic_load_n(&c->queued, __ATOMIC_ACQUIRE) ||
			    __atomic_load_n(&c->phase, __ATOMIC_RELAXED) != PHASE_OPEN)
				return;
#if defined(__x86_64__) || defined(__i386__)
			__builtin_ia32_pause();
#endif
		}
		sched_yield();
	} while (rt_now_ns() < end);
}

static void *pool_worker(void *arg)
{
	weft_ctx_t *c = arg;
	enum weft_worker_state last = WEFT_WORKER_START;
	weft_future_t *f, *pending = NULL;
	bool spun = false;

	tls_ctx = c;
	weft_worker_state(c->id, WEFT_WORKER_START);
	pthread_mutex_lock(&c->lock);
	for (;;) {
		f = ctx_pop(c);
		if (f) {
			c->busy++;
			ctx_sample(c);
			pthread_mutex_unlock(&c->lock);
			if (last != WEFT_WORKER_BUSY) {
				weft_worker_state(c->id, WEFT_WORKER_BUSY);
				last = WEFT_WORKER_BUSY;
			}
			rt_future_run_queued(c, f, &pending);
			pthread_mutex_lock(&c->lock);
			/* No sample here: if more is queued this worker takes it
			 * without releasing the lock, so nobody saw the dip. */
			c->busy--;
			spun = false;
			continue;
		}
		if (pending) {
			/* Nothing to start: the last end goes out on its own
			 * (outside the lock: releasing it may free a future). */
			pthread_mutex_unlock(&c->lock);
			rt_pending_flush(&pending);
			pthread_mutex_lock(&c->lock);
			continue;
		}
		if (c->phase == PHASE_DRAINING && c->busy == 0) {
			/* Drained: nothing queued, nothing running that could
			 * queue more.  From now on posts are refused. */
			__atomic_store_n(&c->phase, PHASE_SHUT, __ATOMIC_RELAXED);
			pthread_cond_broadcast(&c->work_cv);
		}
		if (c->phase >= PHASE_SHUT)
			break;
		ctx_sample(c);
		if (last != WEFT_WORKER_IDLE) {
			weft_worker_state(c->id, WEFT_WORKER_IDLE);
			last = WEFT_WORKER_IDLE;
		}
		if (!spun && c->nspinning < c->max_spinning) {
			c->nspinning++;
			pthread_mutex_unlock(&c->lock);
			ctx_spin(c);
			pthread_mutex_lock(&c->lock);
			c->nspinning--;
			spun = true;
			continue;
		}
		ctx_sleep(c, INT64_MAX);
		spun = false;
	}
	c->workers--;
	ctx_sample(c);
	pthread_mutex_unlock(&c->lock);
	weft_worker_state(c->id, WEFT_WORKER_STOP);
	tls_ctx = NULL;
	return NULL;
}

weft_ctx_t *weft_pool_new(const char *name, unsigned workers)
{
	weft_ctx_t *c;
	unsigned i;
	long ncpu;
	int rc = 0;

	if (workers < 1 || workers > 1024) {
		errno = EINVAL;
		return NULL;
	}
	c = ctx_alloc(WEFT_CTX_POOL, name ? name : "pool");
	if (!c)
		return NULL;
	c->threads = calloc(workers, sizeof *c->threads);
	if (!c->threads) {
		rt_ctx_unref(c);
		errno = ENOMEM;
		return NULL;
	}
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	c->max_spinning = ncpu >= 4 ? (uint32_t)(ncpu / 2) : 1;
	weft_context_new(c->id, WEFT_CTX_POOL, c->name, workers);
	/* Counted from the start (each worker takes itself off as it exits),
	 * so samples never show a pool with fewer workers than it has. */
	c->workers = workers;
	for (i = 0; i < workers; i++) {
		rc = pthread_create(&c->threads[i], NULL, pool_worker, c);
		if (rc)
			break;
		c->nthreads = i + 1;
	}
	if (rc) {
		pthread_mutex_lock(&c->lock);
		c->workers = c->nthreads;
		pthread_mutex_unlock(&c->lock);
		weft_ctx_shutdown(c, WEFT_SHUTDOWN_CANCEL);
		rt_ctx_unref(c);
		errno = rc;
		return NULL;
	}
	return c;
}

/* ---- loops ---- */

weft_ctx_t *weft_loop_new(const char *name)
{
	weft_ctx_t *c = ctx_alloc(WEFT_CTX_LOOP, name ? name : "loop");

	if (c)
		weft_context_new(c->id, WEFT_CTX_LOOP, c->name, 1);
	return c;
}

/*
 * Runs loop c on the calling thread, which has claimed c->running, one item
 * at a time in posting order, until `mode` says to return.  The thread is
 * c's thread meanwhile (worker_state start .. stop, weft_ctx_current()).
 * Returns 0, -ETIMEDOUT (SERVE_UNTIL, deadline passed) or -ESHUTDOWN
 * (SERVE_UNTIL, the loop was shut down before `until` completed).
 */
static int loop_serve(weft_ctx_t *c, enum serve_mode mode, weft_future_t *until,
		      int64_t deadline)
{
	enum weft_worker_state last = WEFT_WORKER_START;
	weft_ctx_t *saved = tls_ctx;
	weft_future_t *f, *pending = NULL;
	uint64_t id;
	int rc = 0;

	tls_ctx = c;
	weft_worker_state(c->id, WEFT_WORKER_START);
	pthread_mutex_lock(&c->lock);
	c->workers = 1;
	for (;;) {
		if (until && weft_future_done(until))
			break;
		if (mode == SERVE_RUN && c->stop_req) {
			c->stop_req = false;
			break;
		}
		if (deadline != INT64_MAX && rt_now_ns() >= deadline) {
			rc = -ETIMEDOUT;
			break;
		}
		f = ctx_pop(c);
		if (f) {
			c->busy = 1;
			pthread_mutex_unlock(&c->lock);
			if (last != WEFT_WORKER_BUSY) {
				weft_worker_state(c->id, WEFT_WORKER_BUSY);
				last = WEFT_WORKER_BUSY;
			}
			rt_future_run_queued(c, f, &pending);
			pthread_mutex_lock(&c->lock);
			c->busy = 0;
			continue;
		}
		if (pending) {
			pthread_mutex_unlock(&c->lock);
			rt_pending_flush(&pending);
			pthread_mutex_lock(&c->lock);
			continue;
		}
		if (c->phase == PHASE_DRAINING)
			__atomic_store_n(&c->phase, PHASE_SHUT, __ATOMIC_RELAXED);
		if (c->phase >= PHASE_SHUT) {
			if (until)
				rc = -ESHUTDOWN;
			break;
		}
		if (last != WEFT_WORKER_IDLE) {
			weft_worker_state(c->id, WEFT_WORKER_IDLE);
			last = WEFT_WORKER_IDLE;
		}
		ctx_sleep(c, deadline);
	}
	if (pending) {
		/* Left by a stop, a deadline or `until`: traced while the loop is
		 * still ours (releasing the future may drop the last reference to
		 * the loop once it is no longer running, and the end must be in
		 * the trace before weft_ctx_shutdown can return). */
		pthread_mutex_unlock(&c->lock);
		rt_pending_flush(&pending);
		pthread_mutex_lock(&c->lock);
	}
	id = c->id; /* c may be freed once it is not running */
	c->workers = 0;
	c->running = false;
	pthread_cond_broadcast(&c->state_cv);
	pthread_mutex_unlock(&c->lock);
	weft_worker_state(id, WEFT_WORKER_STOP);
	tls_ctx = saved;
	return rc;
}

/* Claims the loop for the calling thread: 0, -EINVAL, -ESHUTDOWN, -EBUSY. */
static int loop_claim(weft_ctx_t *c, bool own_thread)
{
	int rc = 0;

	if (!c || c->kind != WEFT_CTX_LOOP)
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	if (c->phase >= PHASE_SHUT || (own_thread && c->phase != PHASE_OPEN))
		rc = -ESHUTDOWN;
	else if (c->running)
		rc = -EBUSY;
	else
		c->running = true;
	if (!rc && own_thread)
		c->own_thread = true;
	pthread_mutex_unlock(&c->lock);
	return rc;
}

static void loop_unclaim(weft_ctx_t *c)
{
	pthread_mutex_lock(&c->lock);
	c->running = false;
	pthread_cond_broadcast(&c->state_cv);
	pthread_mutex_unlock(&c->lock);
}

static void *loop_thread_main(void *arg)
{
	loop_serve(arg, SERVE_OWN, NULL, INT64_MAX);
	return NULL;
}

int weft_loop_start(weft_ctx_t *loop)
{
	int rc = loop_claim(loop, true);

	if (rc)
		return rc;
	rc = pthread_create(&loop->loop_thread, NULL, loop_thread_main, loop);
	if (rc) {
		pthread_mutex_lock(&loop->lock);
		loop->own_thread = false;
		pthread_mutex_unlock(&loop->lock);
		loop_unclaim(loop);
		return -rc;
	}
	return 0;
}

int weft_loop_run(weft_ctx_t *loop)
{
	int rc = loop_claim(loop, false);

	if (rc)
		return rc;
	return loop_serve(loop, SERVE_RUN, NULL, INT64_MAX);
}

/* Wakes a loop serving run_until when its future completes elsewhere. */
struct until_waker {
	struct rt_listener l;
	weft_ctx_t *ctx;
};

static void until_fire(struct rt_listener *l, weft_future_t *f)
{
	struct until_waker *w = rt_container_of(l, struct until_waker, l);

	(void)f;
	pthread_mutex_lock(&w->ctx->lock);
	pthread_cond_broadcast(&w->ctx->work_cv);
	pthread_mutex_unlock(&w->ctx->lock);
	rt_ctx_unref(w->ctx);
	free(w);
}

static void until_drop(struct rt_listener *l, weft_future_t *f)
{
	struct until_waker *w = rt_container_of(l, struct until_waker, l);

	(void)f;
	rt_ctx_unref(w->ctx);
	free(w);
}

int weft_loop_run_until(weft_ctx_t *loop, weft_future_t *f, int64_t timeout_ns)
{
	struct until_waker *w;
	int64_t deadline = rt_deadline(timeout_ns);
	int rc;

	if (!f)
		return -EINVAL;
	if (weft_future_done(f))
		return 0;
	rc = loop_claim(loop, false);
	if (rc)
		return rc;
	w = malloc(sizeof *w);
	if (!w) {
		loop_unclaim(loop);
		return -ENOMEM;
	}
	w->l.fire = until_fire;
	w->l.drop = until_drop;
	w->ctx = rt_ctx_ref(loop);
	if (!rt_future_listen(f, &w->l)) {
		until_drop(&w->l, f);
		loop_unclaim(loop);
		return 0;
	}
	return loop_serve(loop, SERVE_UNTIL, f, deadline);
}

void weft_loop_stop(weft_ctx_t *loop)
{
	if (!loop || loop->kind != WEFT_CTX_LOOP)
		return;
	pthread_mutex_lock(&loop->lock);
	loop->stop_req = true;
	pthread_cond_broadcast(&loop->work_cv);
	pthread_mutex_unlock(&loop->lock);
}

/* ---- shutdown ---- */

int weft_ctx_shutdown(weft_ctx_t *ctx, enum weft_shutdown how)
{
	weft_future_t *canceled = NULL, *f, *next;
	bool own;
	unsigned i;

	if (!ctx || (how != WEFT_SHUTDOWN_DRAIN && how != WEFT_SHUTDOWN_CANCEL))
		return -EINVAL;
	if (tls_ctx == ctx)
		return -EDEADLK;
	pthread_mutex_lock(&ctx->lock);
	if (ctx->shutting) {
		while (ctx->phase != PHASE_CLOSED)
			pthread_cond_wait(&ctx->state_cv, &ctx->lock);
		pthread_mutex_unlock(&ctx->lock);
		return 0;
	}
	ctx->shutting = true;
	if (how == WEFT_SHUTDOWN_CANCEL) {
		canceled = ctx->head;
		ctx->head = ctx->tail = NULL;
		__atomic_store_n(&ctx->queued, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&ctx->phase, PHASE_SHUT, __ATOMIC_RELAXED);
		ctx_sample(ctx);
	} else {
		__atomic_store_n(&ctx->phase, PHASE_DRAINING, __ATOMIC_RELAXED);
	}
	pthread_cond_broadcast(&ctx->work_cv);
	own = ctx->own_thread;
	pthread_mutex_unlock(&ctx->lock);

	for (f = canceled; f; f = next) {
		next = f->qnext;
		f->qnext = NULL;
		rt_future_cancel_queued(f);
	}
	if (ctx->kind == WEFT_CTX_POOL) {
		for (i = 0; i < ctx->nthreads; i++)
			pthread_join(ctx->threads[i], NULL);
	} else {
		if (own)
			pthread_join(ctx->loop_thread, NULL);
		pthread_mutex_lock(&ctx->lock);
		while (ctx->running)
			pthread_cond_wait(&ctx->state_cv, &ctx->lock);
		if (ctx->phase == PHASE_DRAINING && !ctx->head) {
			__atomic_store_n(&ctx->phase, PHASE_SHUT, __ATOMIC_RELAXED);
		} else if (ctx->phase == PHASE_DRAINING) {
			/* Nobody runs this loop: drain it on this thread. */
			ctx->running = true;
			pthread_mutex_unlock(&ctx->lock);
			loop_serve(ctx, SERVE_DRAIN, NULL, INT64_MAX);
			pthread_mutex_lock(&ctx->lock);
		}
		pthread_mutex_unlock(&ctx->lock);
	}
	pthread_mutex_lock(&ctx->lock);
	__atomic_store_n(&ctx->phase, PHASE_CLOSED, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&ctx->state_cv);
	pthread_mutex_unlock(&ctx->lock);
	return 0;
}

void weft_ctx_free(weft_ctx_t *ctx)
{
	if (!ctx)
		return;
	/* From one of its own threads it cannot be joined: leave it be
	 * rather than deadlock or free it under its own feet. */
	if (weft_ctx_shutdown(ctx, WEFT_SHUTDOWN_DRAIN) == -EDEADLK)
		return;
	rt_ctx_unref(ctx);
}
