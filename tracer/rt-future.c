/*
 * rt-future.c — futures of weft's reference runtime: creation and release,
 * completion (task_end, waking blocked waiters, firing listeners), work
 * submission (weft_run, weft_spawn), continuations (weft_then, weft_await),
 * the blocking wait, promises and the error model (error_observe once,
 * error_unobserved on the last release of a failed, unread future).
 *
 * A future has no lock of its own: its state and listener list live under
 * one of RT_NSTRIPES striped mutexes, picked by id, whose condition variable
 * also serves blocking waiters.  Completion fires listeners after the stripe
 * is released, in registration order, on the completing thread: that is
 * where inline continuations run and where posted ones are marshalled from.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt-internal.h"

#define RT_NSTRIPES 64

static struct rt_stripe stripes[RT_NSTRIPES];
static uint64_t unobserved_count;

static pthread_mutex_t detached_lock = PTHREAD_MUTEX_INITIALIZER;
static weft_detached_error_fn detached_fn;
static void *detached_arg;

/* Runs before main(): the stripes must work before any future exists, and a
 * constructor keeps a pthread_once check off the hot path. */
__attribute__((constructor)) static void future_init(void)
{
	size_t i;

	for (i = 0; i < RT_NSTRIPES; i++) {
		pthread_mutex_init(&stripes[i].lock, NULL);
		pthread_cond_init(&stripes[i].cond, NULL);
	}
}

struct rt_stripe *rt_stripe_of(const weft_future_t *f)
{
	return &stripes[f->id % RT_NSTRIPES];
}

uint64_t rt_unobserved_count(void)
{
	return __atomic_load_n(&unobserved_count, __ATOMIC_RELAXED);
}

/*
 * Traces f's deferred end (see rt_future_run_queued) unless someone did:
 * as task_next(f, delta, next, ctx) when next != 0, in which case it
 * returns true and the caller must not trace next's start again.  Once
 * only, whoever gets there first (the runner's next start, or an observer).
 */
/* end_pending: 0 nothing to trace (or traced), END_PENDING waiting for
 * someone to trace it, END_TRACING being traced right now. */
#define END_PENDING 1
#define END_TRACING 2

static bool end_flush(weft_future_t *f, uint64_t next, uint64_t ctx)
{
	int64_t delta;
	int want = END_PENDING;
	bool consumed = false;

	if (!__atomic_compare_exchange_n(&f->end_pending, &want, END_TRACING, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return false;
	delta = rt_now_ns() - f->end_ns;
	if (delta < 0)
		delta = 0;
	if (delta > (int64_t)UINT32_MAX || !WEFT_ENABLED(task_next)) {
		/* Not expressible (the runner was descheduled for seconds), or
		 * task_next was disabled since the end was deferred: an end
		 * stamped late beats no end, and next's start is the caller's. */
		weft_task_end(f->id, WEFT_STATUS_OK, 0, NULL);
	} else {
		weft_task_next(f->id, (uint32_t)delta, next, ctx);
		consumed = next != 0;
	}
	__atomic_store_n(&f->end_pending, 0, __ATOMIC_RELEASE);
	return consumed;
}

/*
 * Every read of a future's state goes through here: whoever sees it
 * complete traces a deferred end first, or, if another thread is tracing it
 * at this very moment, waits the few hundred ns until that event is in the
 * buffer: what the caller traces next (a wait's end, a continuation) must
 * come after it.  Only with tracing on, and only in that race.
 */
static enum weft_state future_state(const weft_future_t *f)
{
	enum weft_state st = (enum weft_state)__atomic_load_n(&f->state, __ATOMIC_ACQUIRE);
	weft_future_t *m = (weft_future_t *)f;

	if (st >= WEFT_STATE_OK &&
	    __builtin_expect(__atomic_load_n(&m->end_pending, __ATOMIC_ACQUIRE), 0)) {
		end_flush(m, 0, 0);
		while (__atomic_load_n(&m->end_pending, __ATOMIC_ACQUIRE) == END_TRACING)
			sched_yield();
	}
	return st;
}

void rt_pending_flush(weft_future_t **pending)
{
	if (*pending) {
		end_flush(*pending, 0, 0);
		weft_future_release(*pending);
		*pending = NULL;
	}
}

static uint64_t token_id(const weft_future_t *f)
{
	return f->token ? rt_cts_id(f->token) : 0;
}

static const char *name_or(const struct weft_opts *opts, const char *role)
{
	return opts && opts->name ? opts->name : role;
}

enum weft_state rt_state_of_rc(int rc, int *err)
{
	if (rc == 0) {
		*err = 0;
		return WEFT_STATE_OK;
	}
	if (rc == WEFT_ECANCELED) {
		*err = WEFT_ECANCELED;
		return WEFT_STATE_CANCELED;
	}
	/* A positive return is a misuse; keep its magnitude as the error. */
	*err = rc < 0 ? rc : -rc;
	return WEFT_STATE_ERROR;
}

enum weft_status rt_status_of_state(enum weft_state s)
{
	if (s == WEFT_STATE_ERROR)
		return WEFT_STATUS_ERROR;
	if (s == WEFT_STATE_CANCELED)
		return WEFT_STATUS_CANCELED;
	return WEFT_STATUS_OK;
}

char *rt_msg_dup(const char *msg, int err)
{
	char buf[64];
	const char *d;

	if (msg)
		return strdup(msg);
	d = err < 0 ? strerrordesc_np(-err) : NULL;
	if (!d) {
		snprintf(buf, sizeof buf, "error %d", err);
		d = buf;
	}
	return strdup(d);
}

weft_future_t *rt_future_alloc(enum rt_type type, enum weft_task_kind kind,
			       const struct weft_opts *opts)
{
	weft_future_t *f = malloc(sizeof *f);

	if (!f) {
		errno = ENOMEM;
		return NULL;
	}
	*f = (weft_future_t){ 0 };
	f->id = weft_id_new();
	f->refs = 1;
	f->type = (uint8_t)type;
	f->kind = (uint8_t)kind;
	if (opts) {
		if (opts->kind > 0 && opts->kind < WEFT_TASK_KIND_COUNT)
			f->kind = (uint8_t)opts->kind;
		f->flags = opts->flags & (WEFT_PROPAGATE | WEFT_INLINE_IF_DONE);
		if (opts->token)
			f->token = weft_cts_ref(opts->token);
	}
	return f;
}

static void future_free(weft_future_t *f)
{
	struct rt_listener *l, *next;

	if (f->state == WEFT_STATE_ERROR && !f->observed) {
		__atomic_add_fetch(&unobserved_count, 1, __ATOMIC_RELAXED);
		weft_error_unobserved(f->id, f->err, f->msg);
	}
	/* Never completed (a promise nobody completed): what waited on it
	 * can never run; let go of it. */
	for (l = f->listeners; l; l = next) {
		next = l->next;
		l->drop(l, f);
	}
	weft_future_release(f->antecedent);
	weft_cts_release(f->token);
	if (f->ctx)
		rt_ctx_unref(f->ctx);
	if (f->type == RT_WHEN_ALL || f->type == RT_WHEN_ANY)
		rt_combine_free(f->extra);
	free(f->msg);
	free(f);
}

weft_future_t *weft_future_ref(weft_future_t *f)
{
	if (f)
		__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
	return f;
}

void weft_future_release(weft_future_t *f)
{
	if (f && __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) == 0)
		future_free(f);
}

void rt_future_observe(weft_future_t *f)
{
	if (future_state(f) == WEFT_STATE_ERROR &&
	    !__atomic_exchange_n(&f->observed, 1, __ATOMIC_ACQ_REL))
		weft_error_observe(f->id);
}

static void detached_failed(weft_future_t *f)
{
	weft_detached_error_fn fn;
	void *arg;

	pthread_mutex_lock(&detached_lock);
	fn = detached_fn;
	arg = detached_arg;
	pthread_mutex_unlock(&detached_lock);
	if (fn)
		fn(f, arg);
}

/* rt_future_complete; with `pending` (the runner's slot, see
 * rt_future_run_queued) an ok end that nobody is listening or waiting for
 * is left for the runner to trace with its next start.  Returns 1 when it
 * did so (the caller then puts f in the slot), else 0 / -EALREADY. */
static int complete(weft_future_t *f, enum weft_state state, int err, char *msg,
		    void *const *value, bool may_defer)
{
	struct rt_stripe *s = rt_stripe_of(f);
	struct rt_listener *l, *rev = NULL, *next;
	bool defer;

	pthread_mutex_lock(&s->lock);
	if (future_state(f) >= WEFT_STATE_OK) {
		pthread_mutex_unlock(&s->lock);
		free(msg);
		return -EALREADY;
	}
	if (msg) {
		free(f->msg);
		f->msg = msg;
	}
	if (state == WEFT_STATE_OK) {
		free(f->msg);
		f->msg = NULL;
	} else if (state == WEFT_STATE_ERROR && !f->msg) {
		f->msg = rt_msg_dup(NULL, err);
	}
	if (value)
		f->value = *value;
	f->err = err;
	f->done_ctx = rt_ctx_current_id();
	/* Under the stripe, so that whoever sees the future complete (a waiter,
	 * a continuation) acts after task_end in the trace.  A deferred end is
	 * published before the state (release), so whoever sees the state sees
	 * end_pending too and traces the end before acting. */
	defer = may_defer && state == WEFT_STATE_OK && !f->listeners && !f->waiters &&
		WEFT_ENABLED(task_next);
	if (defer) {
		f->end_ns = rt_now_ns();
		__atomic_store_n(&f->end_pending, END_PENDING, __ATOMIC_RELAXED);
	} else {
		weft_task_end(f->id, rt_status_of_state(state), err, f->msg);
	}
	__atomic_store_n(&f->state, state, __ATOMIC_RELEASE);
	l = f->listeners;
	f->listeners = NULL;
	if (f->waiters)
		pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);

	while (l) {
		next = l->next;
		l->next = rev;
		rev = l;
		l = next;
	}
	for (l = rev; l; l = next) {
		next = l->next; /* fire may free l */
		l->fire(l, f);
	}
	if ((f->flags & RT_F_DETACHED) && state == WEFT_STATE_ERROR)
		detached_failed(f);
	return defer ? 1 : 0;
}

int rt_future_complete(weft_future_t *f, enum weft_state state, int err, char *msg,
		       void *const *value)
{
	int rc = complete(f, state, err, msg, value, false);

	return rc > 0 ? 0 : rc;
}

void rt_future_complete_rc(weft_future_t *f, int rc)
{
	int err;
	enum weft_state st = rt_state_of_rc(rc, &err);

	rt_future_complete(f, st, err, NULL, NULL);
}

bool rt_future_listen(weft_future_t *f, struct rt_listener *l)
{
	struct rt_stripe *s = rt_stripe_of(f);
	bool added = false;

	pthread_mutex_lock(&s->lock);
	if (future_state(f) < WEFT_STATE_OK) {
		l->next = f->listeners;
		f->listeners = l;
		added = true;
	}
	pthread_mutex_unlock(&s->lock);
	return added;
}

/*
 * Runs f's function on this thread (f is the current task already), or
 * completes it canceled without running when its token was canceled first.
 * `inline_run`: it completes synchronously at creation (task_inline) rather
 * than starting on ctx_id's thread (task_start).
 */
static void run_body(weft_future_t *f, uint64_t ctx_id, bool inline_run,
		     weft_future_t **pending)
{
	enum weft_state st;
	int rc, err;

	if (f->token && weft_cts_is_canceled(f->token)) {
		if (pending)
			rt_pending_flush(pending);
		weft_cancel_observe(rt_cts_id(f->token), f->id);
		rt_future_complete(f, WEFT_STATE_CANCELED, WEFT_ECANCELED, NULL, NULL);
		goto out;
	}
	__atomic_store_n(&f->state, WEFT_STATE_RUNNING, __ATOMIC_RELAXED);
	if (inline_run) {
		weft_task_inline(f->id);
	} else if (!(pending && *pending && end_flush(*pending, f->id, ctx_id))) {
		weft_task_start(f->id, ctx_id);
	}
	if (pending && *pending) {
		weft_future_release(*pending);
		*pending = NULL;
	}
	if (f->type == RT_CONT)
		rc = f->fn.cont(f, f->antecedent, f->arg);
	else
		rc = f->fn.work(f, f->arg);
	st = rt_state_of_rc(rc, &err);
	if (complete(f, st, err, NULL, NULL, pending != NULL) > 0)
		*pending = weft_future_ref(f);
out:
	if (f->antecedent) {
		weft_future_release(f->antecedent);
		f->antecedent = NULL;
	}
}

void rt_future_run_queued(weft_ctx_t *ctx, weft_future_t *f, weft_future_t **pending)
{
	uint64_t prev = weft_current_task();

	weft_set_current_task(f->id);
	run_body(f, weft_ctx_id(ctx), false, pending);
	weft_set_current_task(prev);
	weft_future_release(f);
}

void rt_future_cancel_queued(weft_future_t *f)
{
	rt_future_complete(f, WEFT_STATE_CANCELED, WEFT_ECANCELED,
			   strdup("context shut down"), NULL);
	if (f->antecedent) {
		weft_future_release(f->antecedent);
		f->antecedent = NULL;
	}
	weft_future_release(f);
}

/* ---- work ---- */

static weft_future_t *run_new(weft_ctx_t *ctx, weft_work_fn fn, void *arg,
			      const struct weft_opts *opts, const char *site, bool detached)
{
	weft_future_t *f;

	if (!ctx || !fn) {
		errno = EINVAL;
		return NULL;
	}
	f = rt_future_alloc(RT_WORK, detached ? WEFT_TASK_DETACHED : WEFT_TASK_TASK, opts);
	if (!f)
		return NULL;
	if (detached) {
		f->kind = WEFT_TASK_DETACHED;
		f->flags |= RT_F_DETACHED;
	}
	f->fn.work = fn;
	f->arg = arg;
	weft_task_submit_at(f->id, weft_current_task(), token_id(f), f->kind, weft_ctx_id(ctx),
			    name_or(opts, detached ? "spawn" : "run"), site);
	weft_future_ref(f); /* the queue's */
	if (rt_ctx_post(ctx, f) != 0) {
		/* Traced already: end it rather than leave a task that never ends. */
		weft_future_release(f);
		rt_future_complete(f, WEFT_STATE_CANCELED, WEFT_ECANCELED,
				   strdup("context shut down"), NULL);
		weft_future_release(f);
		errno = ESHUTDOWN;
		return NULL;
	}
	return f;
}

weft_future_t *weft_run_at(weft_ctx_t *ctx, weft_work_fn fn, void *arg,
			   const struct weft_opts *opts, const char *site)
{
	return run_new(ctx, fn, arg, opts, site, false);
}

int weft_spawn_at(weft_ctx_t *ctx, weft_work_fn fn, void *arg,
		  const struct weft_opts *opts, const char *site)
{
	weft_future_t *f = run_new(ctx, fn, arg, opts, site, true);

	if (!f)
		return -errno;
	weft_future_release(f);
	return 0;
}

void weft_set_detached_error_handler(weft_detached_error_fn fn, void *arg)
{
	pthread_mutex_lock(&detached_lock);
	detached_fn = fn;
	detached_arg = arg;
	pthread_mutex_unlock(&detached_lock);
}

/* ---- continuations ---- */

/*
 * The antecedent of c is complete: carry its failure on (WEFT_PROPAGATE),
 * run c here (no context, or WEFT_INLINE_IF_DONE at registration), or post
 * it to its context, marshalling if that is not where the antecedent
 * completed.  Consumes the reference that c's registration held.
 */
static void cont_dispatch(weft_future_t *c, weft_future_t *ante, bool at_registration)
{
	enum weft_state ast = future_state(ante);
	uint64_t to;

	if (c->flags & RT_F_AWAIT)
		weft_wait_end(c->awaiter, ante->id, 0);
	if ((c->flags & WEFT_PROPAGATE) && ast != WEFT_STATE_OK) {
		rt_future_observe(ante);
		rt_future_complete(c, ast, ante->err, ante->msg ? strdup(ante->msg) : NULL, NULL);
		goto out;
	}
	c->antecedent = weft_future_ref(ante);
	if (!c->ctx || (at_registration && (c->flags & WEFT_INLINE_IF_DONE))) {
		uint64_t prev = weft_current_task();

		weft_set_current_task(c->id);
		run_body(c, rt_ctx_current_id(), at_registration, NULL);
		weft_set_current_task(prev);
		goto out;
	}
	to = weft_ctx_id(c->ctx);
	if (to != ante->done_ctx)
		weft_marshal(c->id, ante->done_ctx, to);
	weft_task_schedule(c->id, to);
	weft_future_ref(c); /* the queue's */
	if (rt_ctx_post(c->ctx, c) != 0)
		rt_future_cancel_queued(c);
out:
	weft_future_release(c);
}

static void cont_fire(struct rt_listener *l, weft_future_t *ante)
{
	cont_dispatch(rt_container_of(l, weft_future_t, as_cont), ante, false);
}

static void cont_drop(struct rt_listener *l, weft_future_t *ante)
{
	(void)ante;
	weft_future_release(rt_container_of(l, weft_future_t, as_cont));
}

static weft_future_t *cont_new(weft_future_t *ante, weft_ctx_t *ctx, weft_cont_fn fn,
			       void *arg, const struct weft_opts *opts, const char *site,
			       bool await)
{
	weft_future_t *c;

	if (!ante || !fn) {
		errno = EINVAL;
		return NULL;
	}
	c = rt_future_alloc(RT_CONT, WEFT_TASK_CONTINUATION, opts);
	if (!c)
		return NULL;
	if (ctx)
		c->ctx = rt_ctx_ref(ctx);
	c->fn.cont = fn;
	c->arg = arg;
	c->as_cont.fire = cont_fire;
	c->as_cont.drop = cont_drop;
	weft_task_new_at(c->id, weft_current_task(), token_id(c), c->kind,
			 name_or(opts, await ? "await" : "then"), site);
	weft_continuation_add(ante->id, c->id, ctx ? weft_ctx_id(ctx) : 0);
	if (await) {
		c->flags |= RT_F_AWAIT;
		c->awaiter = weft_current_task();
		weft_wait_begin(c->awaiter, ante->id, WEFT_WAIT_ASYNC);
	}
	weft_future_ref(c); /* the registration's */
	if (!rt_future_listen(ante, &c->as_cont))
		cont_dispatch(c, ante, true);
	return c;
}

weft_future_t *weft_then_at(weft_future_t *antecedent, weft_ctx_t *ctx, weft_cont_fn fn,
			    void *arg, const struct weft_opts *opts, const char *site)
{
	return cont_new(antecedent, ctx, fn, arg, opts, site, false);
}

weft_future_t *weft_await_at(weft_future_t *awaited, weft_ctx_t *ctx, weft_cont_fn fn,
			     void *arg, const struct weft_opts *opts, const char *site)
{
	return cont_new(awaited, ctx, fn, arg, opts, site, true);
}

/* ---- waiting ---- */

int weft_future_wait(weft_future_t *f, int64_t timeout_ns)
{
	uint64_t waiter = weft_current_task();
	struct rt_stripe *s;
	struct timespec ts;
	int64_t deadline;
	int rc = 0;

	if (!f)
		return -EINVAL;
	weft_wait_begin(waiter, f->id, WEFT_WAIT_BLOCK);
	if (future_state(f) < WEFT_STATE_OK) {
		s = rt_stripe_of(f);
		deadline = rt_deadline(timeout_ns);
		ts = rt_timespec(deadline);
		rt_ctx_blocked(true);
		pthread_mutex_lock(&s->lock);
		f->waiters++;
		while (future_state(f) < WEFT_STATE_OK) {
			if (deadline == INT64_MAX) {
				pthread_cond_wait(&s->cond, &s->lock);
			} else if (pthread_cond_clockwait(&s->cond, &s->lock, CLOCK_MONOTONIC, &ts) ==
					   ETIMEDOUT &&
				   future_state(f) < WEFT_STATE_OK) {
				rc = -ETIMEDOUT;
				break;
			}
		}
		f->waiters--;
		pthread_mutex_unlock(&s->lock);
		rt_ctx_blocked(false);
	}
	weft_wait_end(waiter, f->id, rc == -ETIMEDOUT);
	return rc;
}

/* ---- promises ---- */

weft_future_t *weft_promise_new_at(const struct weft_opts *opts, const char *site)
{
	weft_future_t *p = rt_future_alloc(RT_PROMISE, WEFT_TASK_IO, opts);

	if (!p)
		return NULL;
	p->state = WEFT_STATE_RUNNING;
	weft_task_new_at(p->id, weft_current_task(), token_id(p), p->kind,
			 name_or(opts, "promise"), site);
	return p;
}

int weft_promise_complete(weft_future_t *p, int err, const char *msg, void *value)
{
	enum weft_state st;
	int e;

	if (!p || p->type != RT_PROMISE)
		return -EINVAL;
	st = rt_state_of_rc(err, &e);
	return rt_future_complete(p, st, e, msg && st != WEFT_STATE_OK ? strdup(msg) : NULL,
				  &value);
}

/* ---- reading ---- */

enum weft_state weft_future_state(const weft_future_t *f)
{
	return f ? future_state(f) : WEFT_STATE_CREATED;
}

bool weft_future_done(const weft_future_t *f)
{
	return f && future_state(f) >= WEFT_STATE_OK;
}

int weft_future_error(weft_future_t *f, const char **msg)
{
	enum weft_state st;
	int rc;

	if (msg)
		*msg = NULL;
	if (!f)
		return -EINVAL;
	st = future_state(f);
	if (st < WEFT_STATE_OK)
		return -EAGAIN;
	if (st == WEFT_STATE_OK)
		return 0;
	rc = f->err;
	if (msg)
		*msg = f->msg ? f->msg : "";
	if (st == WEFT_STATE_ERROR)
		rt_future_observe(f);
	return rc;
}

void *weft_future_value(const weft_future_t *f)
{
	return f && future_state(f) == WEFT_STATE_OK ? f->value : NULL;
}

uint64_t weft_future_id(const weft_future_t *f)
{
	return f ? f->id : 0;
}

void weft_future_set_value(weft_future_t *self, void *value)
{
	if (self)
		self->value = value;
}

void weft_future_set_error_msg(weft_future_t *self, const char *fmt, ...)
{
	char *m = NULL;
	va_list ap;

	if (!self || !fmt)
		return;
	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	if (!m)
		return;
	free(self->msg);
	self->msg = m;
}
