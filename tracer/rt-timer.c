/*
 * rt-timer.c — the runtime's one timer thread and what runs on it:
 * weft_delay futures and weft_cts_cancel_after.  The thread starts lazily
 * with the first timer and weft_rt_shutdown() stops it, completing pending
 * delays as canceled, so that a program can end with no thread and no
 * allocation left behind.
 *
 * Entries sit in one list sorted by deadline (ties in insertion order); a
 * reference runtime has few timers at once, and removal (a delay whose token
 * was canceled) is a short scan.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rt-internal.h"

struct rt_timer {
	struct rt_timer *next;
	int64_t deadline;
	uint64_t id;
	void (*fn)(void *arg, bool fired);
	void *arg;
};

static pthread_mutex_t tm_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tm_cond;
static pthread_once_t tm_once = PTHREAD_ONCE_INIT;
static struct rt_timer *tm_head;
static bool tm_started, tm_stopping;
static pthread_t tm_thread;
static uint64_t tm_next_id;

static void timer_init(void)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&tm_cond, &ca);
	pthread_condattr_destroy(&ca);
}

static void *timer_main(void *arg)
{
	struct rt_timer *t;
	struct timespec ts;

	(void)arg;
	pthread_mutex_lock(&tm_lock);
	while (!tm_stopping) {
		t = tm_head;
		if (!t) {
			pthread_cond_wait(&tm_cond, &tm_lock);
			continue;
		}
		if (t->deadline > rt_now_ns()) {
			ts = rt_timespec(t->deadline);
			pthread_cond_timedwait(&tm_cond, &tm_lock, &ts);
			continue;
		}
		tm_head = t->next;
		pthread_mutex_unlock(&tm_lock);
		t->fn(t->arg, true);
		free(t);
		pthread_mutex_lock(&tm_lock);
	}
	pthread_mutex_unlock(&tm_lock);
	return NULL;
}

int rt_timer_add(int64_t delay_ns, void (*fn)(void *arg, bool fired), void *arg,
		 uint64_t *id)
{
	struct rt_timer *t, **pp;
	int rc = 0;

	pthread_once(&tm_once, timer_init);
	t = malloc(sizeof *t);
	if (!t)
		return -ENOMEM;
	t->deadline = rt_deadline(delay_ns);
	t->fn = fn;
	t->arg = arg;
	pthread_mutex_lock(&tm_lock);
	if (tm_stopping) {
		rc = -ESHUTDOWN;
		goto out;
	}
	if (!tm_started) {
		rc = -pthread_create(&tm_thread, NULL, timer_main, NULL);
		if (rc)
			goto out;
		tm_started = true;
	}
	t->id = ++tm_next_id;
	for (pp = &tm_head; *pp && (*pp)->deadline <= t->deadline; pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	if (tm_head == t)
		pthread_cond_signal(&tm_cond);
	if (id)
		*id = t->id;
	t = NULL;
out:
	pthread_mutex_unlock(&tm_lock);
	free(t);
	return rc;
}

bool rt_timer_remove(uint64_t id)
{
	struct rt_timer **pp, *t = NULL;

	pthread_mutex_lock(&tm_lock);
	for (pp = &tm_head; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			t = *pp;
			*pp = t->next;
			break;
		}
	}
	pthread_mutex_unlock(&tm_lock);
	free(t);
	return t != NULL;
}

void weft_rt_shutdown(void)
{
	struct rt_timer *t, *next;

	pthread_mutex_lock(&tm_lock);
	/* Not from the timer thread itself (a delay's inline continuation):
	 * it cannot join itself. */
	if (!tm_started || tm_stopping || pthread_equal(pthread_self(), tm_thread)) {
		pthread_mutex_unlock(&tm_lock);
		return;
	}
	tm_stopping = true;
	pthread_cond_signal(&tm_cond);
	pthread_mutex_unlock(&tm_lock);
	pthread_join(tm_thread, NULL);

	pthread_mutex_lock(&tm_lock);
	t = tm_head;
	tm_head = NULL;
	tm_started = false;
	pthread_mutex_unlock(&tm_lock);
	/* Still "stopping" while these run: timers they would add fail
	 * rather than start a thread nobody joins. */
	for (; t; t = next) {
		next = t->next;
		t->fn(t->arg, false);
		free(t);
	}
	pthread_mutex_lock(&tm_lock);
	tm_stopping = false;
	pthread_mutex_unlock(&tm_lock);
}

/* ---- weft_delay ----
 *
 * A delay is held by its timer entry and, with a token, by a registration
 * on it; whichever completes it first takes the other one out (its id is
 * published under the future's stripe, read after completion).
 */

static void delay_fire(void *arg, bool fired)
{
	weft_future_t *f = arg;
	struct rt_stripe *s = rt_stripe_of(f);
	uint64_t reg;

	if (fired)
		rt_future_complete(f, WEFT_STATE_OK, 0, NULL, NULL);
	else
		rt_future_complete(f, WEFT_STATE_CANCELED, WEFT_ECANCELED,
				   strdup("runtime shut down"), NULL);
	pthread_mutex_lock(&s->lock);
	reg = f->reg_id;
	f->reg_id = 0;
	pthread_mutex_unlock(&s->lock);
	if (reg && weft_cts_unregister(f->token, reg) == 0)
		weft_future_release(f);
	weft_future_release(f); /* the timer's */
}

static void delay_cancel(void *arg, const char *reason)
{
	weft_future_t *f = arg;
	struct rt_stripe *s = rt_stripe_of(f);
	uint64_t tid;

	(void)reason;
	if (!weft_future_done(f))
		weft_cancel_observe(rt_cts_id(f->token), f->id);
	rt_future_complete(f, WEFT_STATE_CANCELED, WEFT_ECANCELED, NULL, NULL);
	pthread_mutex_lock(&s->lock);
	tid = f->timer_id;
	f->timer_id = 0;
	pthread_mutex_unlock(&s->lock);
	if (tid && rt_timer_remove(tid))
		weft_future_release(f);
	weft_future_release(f); /* the registration's */
}

static void delay_drop(void *arg)
{
	weft_future_release(arg);
}

weft_future_t *weft_delay_at(int64_t delay_ns, weft_cts_t *token, const char *site)
{
	struct weft_opts opts = { .token = token };
	weft_future_t *f;
	struct rt_stripe *s;
	uint64_t tid = 0, reg = 0;
	bool done;
	int rc;

	if (delay_ns < 0) {
		errno = EINVAL;
		return NULL;
	}
	f = rt_future_alloc(RT_DELAY, WEFT_TASK_TIMER, &opts);
	if (!f)
		return NULL;
	s = rt_stripe_of(f);
	f->state = WEFT_STATE_RUNNING;
	weft_task_new_at(f->id, weft_current_task(), token ? rt_cts_id(token) : 0,
			 WEFT_TASK_TIMER, "delay", site);
	weft_future_ref(f); /* the timer's */
	rc = rt_timer_add(delay_ns, delay_fire, f, &tid);
	if (rc) {
		weft_future_release(f);
		rt_future_complete(f, WEFT_STATE_CANCELED, WEFT_ECANCELED,
				   strdup("timer unavailable"), NULL);
		weft_future_release(f);
		errno = -rc;
		return NULL;
	}
	pthread_mutex_lock(&s->lock);
	done = weft_future_done(f);
	if (!done)
		f->timer_id = tid;
	pthread_mutex_unlock(&s->lock);
	if (!token)
		return f;

	weft_future_ref(f); /* the registration's */
	rc = rt_cts_register_internal(token, delay_cancel, delay_drop, f, &reg);
	if (rc) {
		/* No way to honor the token: still a valid delay. */
		weft_future_release(f);
		return f;
	}
	if (!reg)
		return f; /* it ran already (token was canceled) */
	pthread_mutex_lock(&s->lock);
	done = weft_future_done(f);
	if (!done)
		f->reg_id = reg;
	pthread_mutex_unlock(&s->lock);
	if (done && weft_cts_unregister(token, reg) == 0)
		weft_future_release(f);
	return f;
}
