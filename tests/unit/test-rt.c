/*
 * test-rt: unit tests of weft's reference runtime (tracer/include/weft/rt.h):
 * loop ordering and ownership, pools, continuations and where they run,
 * errors and their observation, combinators, blocking waits (including the
 * loop self-deadlock broken by a timeout), cancellation, detached tasks,
 * promises, delays and shutdown.
 *
 * Everything here is the real runtime on real threads.  The one internal
 * thing read is rt_unobserved_count() (tracer/rt-internal.h): the number of
 * failed futures released unread, counted on the same path that emits
 * error_unobserved, so silent-failure accounting is checked without an
 * LTTng session; the events themselves are checked against a real session
 * by the integration tests.  Each test ends by releasing everything and, in
 * a sanitizer build, asks LeakSanitizer for a leak check (done_ok()).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rt-internal.h"
#include "runner.h"
#include "weft/rt.h"

#define MS (1000 * 1000LL)

/* Present only when linked with LeakSanitizer (ASan builds). */
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

/* Ends a test that released everything: shuts the timer thread down and
 * fails if LeakSanitizer (when present) finds a leak. */
static int done_ok(void)
{
	weft_rt_shutdown();
	if (__lsan_do_recoverable_leak_check && __lsan_do_recoverable_leak_check() != 0)
		TEST_FAIL_("LeakSanitizer found leaks");
	return 0;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Spins (sleeping 1 ms) until *flag is set or ms pass; returns the flag. */
static int wait_flag(atomic_int *flag, int ms)
{
	while (!atomic_load(flag) && ms-- > 0)
		sleep_ms(1);
	return atomic_load(flag);
}

static int work_ok(weft_future_t *self, void *arg)
{
	(void)self;
	(void)arg;
	return 0;
}

/* Fails with -(intptr_t)arg's errno and a message naming it. */
static int work_fail(weft_future_t *self, void *arg)
{
	int err = (int)(intptr_t)arg;

	weft_future_set_error_msg(self, "failed with %d", err);
	return err;
}

static int work_cancel(weft_future_t *self, void *arg)
{
	(void)self;
	(void)arg;
	return WEFT_ECANCELED;
}

static int work_count(weft_future_t *self, void *arg)
{
	(void)self;
	atomic_fetch_add((atomic_int *)arg, 1);
	return 0;
}

/* Sleeps arg milliseconds. */
static int work_sleep(weft_future_t *self, void *arg)
{
	(void)self;
	sleep_ms((int)(intptr_t)arg);
	return 0;
}

/* Sets the flag, then sleeps 50 ms. */
static int work_started_sleep(weft_future_t *self, void *arg)
{
	(void)self;
	atomic_store((atomic_int *)arg, 1);
	sleep_ms(50);
	return 0;
}

/* Blocks until the flag is set (at most 5 s). */
static int work_gate(weft_future_t *self, void *arg)
{
	(void)self;
	return wait_flag(arg, 5000) ? 0 : -ETIMEDOUT;
}

/* ---- loops ---- */

#define FIFO_POSTERS 3
#define FIFO_ITEMS 300

struct fifo_state {
	weft_ctx_t *loop;
	pthread_t loop_thread;
	atomic_int seen_thread; /* set once the first item ran */
	atomic_int bad_ctx, bad_thread, out_of_order;
	int last[FIFO_POSTERS];
	atomic_int done;
};

struct fifo_item {
	struct fifo_state *st;
	int poster, seq;
};

static struct fifo_item fifo_items[FIFO_POSTERS][FIFO_ITEMS];

static int fifo_work(weft_future_t *self, void *arg)
{
	struct fifo_item *it = arg;
	struct fifo_state *st = it->st;

	(void)self;
	if (weft_ctx_current() != st->loop)
		atomic_fetch_add(&st->bad_ctx, 1);
	if (!atomic_exchange(&st->seen_thread, 1))
		st->loop_thread = pthread_self();
	else if (!pthread_equal(st->loop_thread, pthread_self()))
		atomic_fetch_add(&st->bad_thread, 1);
	/* Only the loop thread touches last[]: no lock needed if FIFO on one
	 * thread holds, and a violation shows up as a count either way. */
	if (it->seq != st->last[it->poster] + 1)
		atomic_fetch_add(&st->out_of_order, 1);
	st->last[it->poster] = it->seq;
	atomic_fetch_add(&st->done, 1);
	return 0;
}

struct poster_arg {
	struct fifo_state *st;
	int poster;
};

static void *fifo_poster(void *p)
{
	struct poster_arg *pa = p;
	int i;

	for (i = 0; i < FIFO_ITEMS; i++) {
		struct fifo_item *it = &fifo_items[pa->poster][i];
		weft_future_t *f;

		it->st = pa->st;
		it->poster = pa->poster;
		it->seq = i;
		f = weft_run(pa->st->loop, fifo_work, it, NULL);
		if (!f)
			return (void *)1;
		weft_future_release(f);
	}
	return NULL;
}

TEST_IMPL(loop_fifo_many_posters)
{
	static struct fifo_state st;
	struct poster_arg pa[FIFO_POSTERS];
	pthread_t th[FIFO_POSTERS];
	void *res;
	int i;

	memset(&st, 0, sizeof st);
	for (i = 0; i < FIFO_POSTERS; i++)
		st.last[i] = -1;
	st.loop = weft_loop_new("ui");
	ASSERT_NOT_NULL(st.loop);
	ASSERT_EQ(weft_loop_start(st.loop), 0);
	ASSERT_EQ(weft_loop_start(st.loop), -EBUSY);
	for (i = 0; i < FIFO_POSTERS; i++) {
		pa[i].st = &st;
		pa[i].poster = i;
		ASSERT_EQ(pthread_create(&th[i], NULL, fifo_poster, &pa[i]), 0);
	}
	for (i = 0; i < FIFO_POSTERS; i++) {
		ASSERT_EQ(pthread_join(th[i], &res), 0);
		ASSERT_NULL(res);
	}
	ASSERT_EQ(weft_ctx_shutdown(st.loop, WEFT_SHUTDOWN_DRAIN), 0);
	ASSERT_EQ(atomic_load(&st.done), FIFO_POSTERS * FIFO_ITEMS);
	ASSERT_EQ(atomic_load(&st.bad_ctx), 0);
	ASSERT_EQ(atomic_load(&st.bad_thread), 0);
	ASSERT_EQ(atomic_load(&st.out_of_order), 0);
	for (i = 0; i < FIFO_POSTERS; i++) {
		ASSERT_EQ(st.last[i], FIFO_ITEMS - 1);
		ASSERT(!pthread_equal(st.loop_thread, th[i]));
	}
	ASSERT(!pthread_equal(st.loop_thread, pthread_self()));
	ASSERT_NULL(weft_ctx_current());
	weft_ctx_free(st.loop);
	return done_ok();
}

struct on_thread {
	pthread_t thread;
	weft_ctx_t *ctx;
	atomic_int ran;
};

static int record_thread(weft_future_t *self, void *arg)
{
	struct on_thread *o = arg;

	(void)self;
	o->thread = pthread_self();
	o->ctx = weft_ctx_current();
	atomic_store(&o->ran, 1);
	return 0;
}

struct completer {
	weft_future_t *p;
	int delay_ms, err;
	pthread_t thread;
};

static void *complete_later(void *arg)
{
	struct completer *c = arg;

	sleep_ms(c->delay_ms);
	weft_promise_complete(c->p, c->err, c->err ? "late failure" : NULL, NULL);
	return NULL;
}

TEST_IMPL(loop_run_until_on_caller)
{
	weft_ctx_t *loop = weft_loop_new("caller");
	weft_future_t *p, *f, *never;
	struct on_thread o = { 0 };
	struct completer c = { 0 };
	int64_t t0;

	ASSERT_NOT_NULL(loop);
	f = weft_run(loop, record_thread, &o, NULL);
	ASSERT_NOT_NULL(f);
	sleep_ms(20);
	ASSERT_EQ(atomic_load(&o.ran), 0); /* nobody runs the loop yet */
	p = weft_promise_new(NULL);
	c.p = p;
	c.delay_ms = 50;
	ASSERT_EQ(pthread_create(&c.thread, NULL, complete_later, &c), 0);
	ASSERT_EQ(weft_loop_run_until(loop, p, 5000 * MS), 0);
	ASSERT(weft_future_done(p));
	ASSERT_EQ(atomic_load(&o.ran), 1);
	ASSERT(pthread_equal(o.thread, pthread_self()));
	ASSERT(o.ctx == loop);
	ASSERT_NULL(weft_ctx_current()); /* only while it runs the loop */
	pthread_join(c.thread, NULL);

	/* A future that never completes: the deadline ends it. */
	never = weft_promise_new(NULL);
	t0 = now_ns();
	ASSERT_EQ(weft_loop_run_until(loop, never, 50 * MS), -ETIMEDOUT);
	ASSERT_GE(now_ns() - t0, 50 * MS);
	ASSERT_LT(now_ns() - t0, 2000 * MS);
	/* Already complete: returns at once. */
	ASSERT_EQ(weft_loop_run_until(loop, p, 0), 0);

	weft_future_release(never);
	weft_future_release(p);
	weft_future_release(f);
	weft_ctx_free(loop);
	return done_ok();
}

static int stop_loop(weft_future_t *self, void *arg)
{
	(void)self;
	weft_loop_stop(arg);
	return 0;
}

TEST_IMPL(loop_run_and_stop)
{
	weft_ctx_t *loop = weft_loop_new("run");
	atomic_int before = 0, after = 0;
	weft_future_t *f[3];

	ASSERT_NOT_NULL(loop);
	f[0] = weft_run(loop, work_count, &before, NULL);
	f[1] = weft_run(loop, stop_loop, loop, NULL);
	f[2] = weft_run(loop, work_count, &after, NULL);
	ASSERT(f[0] && f[1] && f[2]);
	ASSERT_EQ(weft_loop_run(loop), 0);
	/* Stopped after the item that asked: the next one is still queued. */
	ASSERT_EQ(atomic_load(&before), 1);
	ASSERT_EQ(atomic_load(&after), 0);
	ASSERT_EQ(weft_future_state(f[2]), WEFT_STATE_QUEUED);
	/* Shutdown drains a loop nobody runs, on the caller. */
	ASSERT_EQ(weft_ctx_shutdown(loop, WEFT_SHUTDOWN_DRAIN), 0);
	ASSERT_EQ(atomic_load(&after), 1);
	ASSERT_EQ(weft_loop_run(loop), -ESHUTDOWN);
	for (int i = 0; i < 3; i++)
		weft_future_release(f[i]);
	weft_ctx_free(loop);
	return done_ok();
}

/* ---- pools ---- */

struct rendezvous {
	atomic_int a, b;
	pthread_t ta, tb;
	weft_ctx_t *ca, *cb;
};

/* Each side sets its flag then waits for the other's: both can finish only
 * if they run at the same time on different threads. */
static int meet_a(weft_future_t *self, void *arg)
{
	struct rendezvous *r = arg;

	(void)self;
	r->ta = pthread_self();
	r->ca = weft_ctx_current();
	atomic_store(&r->a, 1);
	return wait_flag(&r->b, 5000) ? 0 : -ETIMEDOUT;
}

static int meet_b(weft_future_t *self, void *arg)
{
	struct rendezvous *r = arg;

	(void)self;
	r->tb = pthread_self();
	r->cb = weft_ctx_current();
	atomic_store(&r->b, 1);
	return wait_flag(&r->a, 5000) ? 0 : -ETIMEDOUT;
}

TEST_IMPL(pool_runs_concurrently)
{
	weft_ctx_t *pool = weft_pool_new("workers", 2);
	struct rendezvous r = { 0 };
	weft_future_t *a, *b;

	ASSERT_NOT_NULL(pool);
	ASSERT_STR_EQ(weft_ctx_name(pool), "workers");
	ASSERT_NE(weft_ctx_id(pool), 0);
	a = weft_run(pool, meet_a, &r, NULL);
	b = weft_run(pool, meet_b, &r, NULL);
	ASSERT(a && b);
	ASSERT_NE(weft_future_id(a), weft_future_id(b));
	ASSERT_EQ(weft_future_wait(a, 5000 * MS), 0);
	ASSERT_EQ(weft_future_wait(b, 5000 * MS), 0);
	ASSERT_EQ(weft_future_error(a, NULL), 0);
	ASSERT_EQ(weft_future_error(b, NULL), 0);
	ASSERT(!pthread_equal(r.ta, r.tb));
	ASSERT(!pthread_equal(r.ta, pthread_self()));
	ASSERT(r.ca == pool && r.cb == pool);
	weft_future_release(a);
	weft_future_release(b);
	weft_ctx_free(pool);
	ASSERT_NULL(weft_pool_new("bad", 0));
	ASSERT_EQ(errno, EINVAL);
	return done_ok();
}

/* ---- continuations ---- */

struct cont_rec {
	pthread_t thread;
	weft_ctx_t *ctx;
	weft_future_t *ante;
	int ante_state;
	uint64_t current;
	atomic_int ran;
};

static int cont_record(weft_future_t *self, weft_future_t *ante, void *arg)
{
	struct cont_rec *r = arg;

	r->thread = pthread_self();
	r->ctx = weft_ctx_current();
	r->ante = ante;
	r->ante_state = weft_future_state(ante);
	r->current = weft_current_task();
	(void)self;
	atomic_fetch_add(&r->ran, 1);
	return 0;
}

TEST_IMPL(then_runs_on_chosen_context)
{
	weft_ctx_t *pool = weft_pool_new("p", 1), *loop = weft_loop_new("l");
	struct cont_rec r = { 0 }, ra = { 0 };
	weft_future_t *a, *c, *aw;

	ASSERT(pool && loop);
	ASSERT_EQ(weft_loop_start(loop), 0);
	a = weft_run(pool, work_sleep, (void *)(intptr_t)20, NULL);
	c = weft_then(a, loop, cont_record, &r, NULL);
	aw = weft_await(a, loop, cont_record, &ra, NULL);
	ASSERT(a && c && aw);
	ASSERT_EQ(weft_future_wait(c, 5000 * MS), 0);
	ASSERT_EQ(weft_future_wait(aw, 5000 * MS), 0);
	ASSERT_EQ(atomic_load(&r.ran), 1);
	ASSERT(r.ctx == loop);
	ASSERT(r.ante == a);
	ASSERT_EQ(r.ante_state, WEFT_STATE_OK);
	ASSERT_UEQ(r.current, weft_future_id(c));
	ASSERT(ra.ctx == loop);
	ASSERT_UEQ(ra.current, weft_future_id(aw));
	ASSERT_EQ(weft_future_state(c), WEFT_STATE_OK);
	weft_future_release(a);
	weft_future_release(c);
	weft_future_release(aw);
	weft_ctx_free(pool);
	weft_ctx_free(loop);
	return done_ok();
}

TEST_IMPL(then_inline_on_completing_thread)
{
	struct cont_rec r = { 0 };
	struct completer cp = { 0 };
	weft_future_t *p = weft_promise_new(NULL), *c;

	ASSERT_NOT_NULL(p);
	c = weft_then(p, NULL, cont_record, &r, NULL);
	ASSERT_NOT_NULL(c);
	ASSERT_EQ(weft_future_state(c), WEFT_STATE_CREATED);
	cp.p = p;
	cp.delay_ms = 10;
	ASSERT_EQ(pthread_create(&cp.thread, NULL, complete_later, &cp), 0);
	ASSERT_EQ(pthread_join(cp.thread, NULL), 0);
	/* It ran inside weft_promise_complete, on the completer's thread. */
	ASSERT_EQ(atomic_load(&r.ran), 1);
	ASSERT(weft_future_done(c));
	ASSERT(pthread_equal(r.thread, cp.thread));
	ASSERT_NULL(r.ctx);
	weft_future_release(c);
	weft_future_release(p);
	return done_ok();
}

TEST_IMPL(then_on_already_complete)
{
	weft_ctx_t *loop = weft_loop_new("idle");
	struct cont_rec r1 = { 0 }, r2 = { 0 }, r3 = { 0 };
	weft_future_t *p = weft_promise_new(NULL), *c1, *c2, *c3;

	ASSERT(loop && p);
	ASSERT_EQ(weft_promise_complete(p, 0, NULL, (void *)0x42), 0);
	ASSERT(weft_future_value(p) == (void *)0x42);
	/* No context: at once, on the caller. */
	c1 = weft_then(p, NULL, cont_record, &r1, NULL);
	ASSERT_NOT_NULL(c1);
	ASSERT_EQ(atomic_load(&r1.ran), 1);
	ASSERT(pthread_equal(r1.thread, pthread_self()));
	ASSERT_EQ(weft_future_state(c1), WEFT_STATE_OK);
	/* A context, done already, WEFT_INLINE_IF_DONE: also at once. */
	c2 = weft_then(p, loop, cont_record, &r2,
		       &(struct weft_opts){ .flags = WEFT_INLINE_IF_DONE });
	ASSERT_NOT_NULL(c2);
	ASSERT_EQ(atomic_load(&r2.ran), 1);
	ASSERT(pthread_equal(r2.thread, pthread_self()));
	/* A context without the flag: queued there (the loop is not running). */
	c3 = weft_then(p, loop, cont_record, &r3, NULL);
	ASSERT_NOT_NULL(c3);
	ASSERT_EQ(weft_future_state(c3), WEFT_STATE_QUEUED);
	ASSERT_EQ(atomic_load(&r3.ran), 0);
	ASSERT_EQ(weft_loop_run_until(loop, c3, 5000 * MS), 0);
	ASSERT_EQ(atomic_load(&r3.ran), 1);
	ASSERT(r3.ctx == loop);
	weft_future_release(c1);
	weft_future_release(c2);
	weft_future_release(c3);
	weft_future_release(p);
	weft_ctx_free(loop);
	return done_ok();
}

TEST_IMPL(then_propagate_errors)
{
	weft_ctx_t *pool = weft_pool_new("p", 1);
	struct cont_rec r = { 0 }, r2 = { 0 };
	uint64_t unobserved0 = rt_unobserved_count();
	weft_future_t *a, *c, *c2;
	const char *msg;

	ASSERT_NOT_NULL(pool);
	a = weft_run(pool, work_fail, (void *)(intptr_t)-EIO, NULL);
	c = weft_then(a, pool, cont_record, &r, &(struct weft_opts){ .flags = WEFT_PROPAGATE });
	ASSERT(a && c);
	ASSERT_EQ(weft_future_wait(c, 5000 * MS), 0);
	ASSERT_EQ(atomic_load(&r.ran), 0); /* never ran */
	ASSERT_EQ(weft_future_state(c), WEFT_STATE_ERROR);
	ASSERT_EQ(weft_future_error(c, &msg), -EIO);
	ASSERT_STR_EQ(msg, "failed with -5");
	/* Without the flag the continuation runs and sees the failure. */
	c2 = weft_then(a, NULL, cont_record, &r2, NULL);
	ASSERT_EQ(atomic_load(&r2.ran), 1);
	ASSERT_EQ(r2.ante_state, WEFT_STATE_ERROR);
	ASSERT_EQ(weft_future_state(c2), WEFT_STATE_OK);
	/* The antecedent's error was observed by the propagation: releasing
	 * it unread is not a silent failure. */
	weft_future_release(a);
	weft_future_release(c);
	weft_future_release(c2);
	ASSERT_UEQ(rt_unobserved_count(), unobserved0);
	/* A canceled antecedent propagates as canceled. */
	a = weft_run(pool, work_cancel, NULL, NULL);
	c = weft_then(a, NULL, cont_record, &r, &(struct weft_opts){ .flags = WEFT_PROPAGATE });
	ASSERT_EQ(weft_future_wait(c, 5000 * MS), 0);
	ASSERT_EQ(weft_future_state(c), WEFT_STATE_CANCELED);
	ASSERT_EQ(weft_future_error(c, NULL), WEFT_ECANCELED);
	ASSERT_EQ(atomic_load(&r.ran), 0);
	weft_future_release(a);
	weft_future_release(c);
	weft_ctx_free(pool);
	return done_ok();
}

TEST_IMPL(unobserved_error_counted)
{
	weft_ctx_t *pool = weft_pool_new("p", 1);
	uint64_t n0 = rt_unobserved_count();
	weft_future_t *a, *b, *c;

	ASSERT_NOT_NULL(pool);
	a = weft_run(pool, work_fail, (void *)(intptr_t)-EPIPE, NULL);
	b = weft_run(pool, work_fail, (void *)(intptr_t)-EPIPE, NULL);
	c = weft_run(pool, work_cancel, NULL, NULL);
	ASSERT(a && b && c);
	ASSERT_EQ(weft_future_wait(a, 5000 * MS), 0);
	ASSERT_EQ(weft_future_wait(b, 5000 * MS), 0);
	ASSERT_EQ(weft_future_wait(c, 5000 * MS), 0);
	ASSERT_EQ(weft_future_error(a, NULL), -EPIPE); /* observed */
	weft_future_release(a);
	ASSERT_UEQ(rt_unobserved_count(), n0);
	/* Waiting is not observing. */
	weft_future_release(b);
	ASSERT_UEQ(rt_unobserved_count(), n0 + 1);
	/* Canceled is not a failure. */
	weft_future_release(c);
	ASSERT_UEQ(rt_unobserved_count(), n0 + 1);
	weft_ctx_free(pool);
	return done_ok();
}

/* ---- combinators ---- */

TEST_IMPL(when_all_aggregates)
{
	weft_ctx_t *pool = weft_pool_new("p", 2);
	uint64_t n0 = rt_unobserved_count();
	weft_future_t *fs[5], *all;
	const char *msg;
	int i;

	ASSERT_NOT_NULL(pool);
	fs[0] = weft_run(pool, work_ok, NULL, NULL);
	fs[1] = weft_run(pool, work_fail, (void *)(intptr_t)-EIO, NULL);
	fs[2] = weft_run(pool, work_sleep, (void *)(intptr_t)30, NULL);
	fs[3] = weft_run(pool, work_fail, (void *)(intptr_t)-EPERM, NULL);
	fs[4] = weft_run(pool, work_cancel, NULL, NULL);
	for (i = 0; i < 5; i++)
		ASSERT_NOT_NULL(fs[i]);
	all = weft_when_all(fs, 5, NULL);
	ASSERT_NOT_NULL(all);
	ASSERT_EQ(weft_future_wait(all, 5000 * MS), 0);
	for (i = 0; i < 5; i++)
		ASSERT(weft_future_done(fs[i]));
	ASSERT_EQ(weft_future_state(all), WEFT_STATE_ERROR);
	ASSERT_EQ(weft_future_error(all, &msg), -EIO); /* first failing, input order */
	ASSERT_STR_EQ(msg, "2 of 5 failed: failed with -5; failed with -1");
	/* Every failed input was observed by when_all. */
	for (i = 0; i < 5; i++)
		weft_future_release(fs[i]);
	weft_future_release(all);
	ASSERT_UEQ(rt_unobserved_count(), n0);

	/* Nothing: ok at once. */
	all = weft_when_all(NULL, 0, NULL);
	ASSERT_NOT_NULL(all);
	ASSERT_EQ(weft_future_state(all), WEFT_STATE_OK);
	weft_future_release(all);
	ASSERT_NULL(weft_when_any(NULL, 0, NULL));
	ASSERT_EQ(errno, EINVAL);
	weft_ctx_free(pool);
	return done_ok();
}

TEST_IMPL(when_all_message_bounded)
{
	weft_future_t *fs[40], *all;
	char longmsg[200];
	const char *msg;
	int i;

	memset(longmsg, 'x', sizeof longmsg - 1);
	longmsg[sizeof longmsg - 1] = '\0';
	for (i = 0; i < 40; i++) {
		fs[i] = weft_promise_new(NULL);
		ASSERT_NOT_NULL(fs[i]);
	}
	all = weft_when_all(fs, 40, NULL);
	for (i = 0; i < 40; i++)
		ASSERT_EQ(weft_promise_complete(fs[i], -EINVAL, longmsg, NULL), 0);
	ASSERT(weft_future_done(all));
	ASSERT_EQ(weft_future_error(all, &msg), -EINVAL);
	ASSERT(strncmp(msg, "40 of 40 failed: xxx", 20) == 0);
	ASSERT_LT(strlen(msg), 1024);
	ASSERT_GT(strlen(msg), 900);
	ASSERT(strcmp(msg + strlen(msg) - 3, "...") == 0);
	for (i = 0; i < 40; i++)
		weft_future_release(fs[i]);
	weft_future_release(all);
	return done_ok();
}

TEST_IMPL(when_all_of_cancellations)
{
	weft_ctx_t *pool = weft_pool_new("p", 2);
	weft_cts_t *cts = weft_cts_new("stop");
	struct weft_opts o = { .token = cts };
	atomic_int ran = 0;
	weft_future_t *fs[3], *all;
	const char *msg;

	ASSERT(pool && cts);
	ASSERT_EQ(weft_cts_cancel(cts, "test"), 0);
	fs[0] = weft_run(pool, work_count, &ran, &o);
	fs[1] = weft_run(pool, work_count, &ran, &o);
	fs[2] = weft_run(pool, work_ok, NULL, NULL);
	all = weft_when_all(fs, 3, NULL);
	ASSERT(fs[0] && fs[1] && fs[2] && all);
	ASSERT_EQ(weft_future_wait(all, 5000 * MS), 0);
	ASSERT_EQ(weft_future_state(all), WEFT_STATE_CANCELED);
	ASSERT_EQ(weft_future_error(all, &msg), WEFT_ECANCELED);
	ASSERT_STR_EQ(msg, "2 of 3 canceled");
	ASSERT_EQ(atomic_load(&ran), 0);
	for (int i = 0; i < 3; i++)
		weft_future_release(fs[i]);
	weft_future_release(all);
	weft_cts_release(cts);
	weft_ctx_free(pool);
	return done_ok();
}

TEST_IMPL(when_any_first_wins_losers_run)
{
	weft_ctx_t *pool = weft_pool_new("p", 3);
	atomic_int gate = 0;
	weft_future_t *fs[3], *any;

	ASSERT_NOT_NULL(pool);
	fs[0] = weft_run(pool, work_gate, &gate, NULL);
	fs[1] = weft_run(pool, work_sleep, (void *)(intptr_t)10, NULL);
	fs[2] = weft_run(pool, work_gate, &gate, NULL);
	any = weft_when_any(fs, 3, NULL);
	ASSERT(fs[0] && fs[1] && fs[2] && any);
	ASSERT_EQ(weft_future_wait(any, 5000 * MS), 0);
	ASSERT_EQ(weft_future_state(any), WEFT_STATE_OK);
	ASSERT_EQ(weft_when_any_index(any), 1);
	ASSERT(weft_future_value(any) == fs[1]);
	/* The losers keep running. */
	ASSERT_EQ(weft_future_state(fs[0]), WEFT_STATE_RUNNING);
	ASSERT_EQ(weft_future_state(fs[2]), WEFT_STATE_RUNNING);
	atomic_store(&gate, 1);
	ASSERT_EQ(weft_future_wait(fs[0], 5000 * MS), 0);
	ASSERT_EQ(weft_future_wait(fs[2], 5000 * MS), 0);
	ASSERT_EQ(weft_when_any_index(any), 1);
	ASSERT_EQ(weft_when_any_index(fs[0]), -1);
	for (int i = 0; i < 3; i++)
		weft_future_release(fs[i]);
	weft_future_release(any);
	weft_ctx_free(pool);
	return done_ok();
}

TEST_IMPL(combinator_outlives_inputs)
{
	weft_future_t *p[2], *any, *all;

	/* Inputs that never complete, released by everybody: nothing leaks
	 * (checked by LeakSanitizer in the sanitizer build). */
	p[0] = weft_promise_new(NULL);
	p[1] = weft_promise_new(NULL);
	any = weft_when_any(p, 2, NULL);
	all = weft_when_all(p, 2, NULL);
	ASSERT(p[0] && p[1] && any && all);
	ASSERT(!weft_future_done(any));
	ASSERT_EQ(weft_when_any_index(any), -1);
	weft_future_release(any);
	weft_future_release(all);
	weft_future_release(p[0]);
	weft_future_release(p[1]);
	return done_ok();
}

/* ---- blocking waits ---- */

TEST_IMPL(wait_ok_and_timeout)
{
	weft_ctx_t *pool = weft_pool_new("p", 1);
	weft_future_t *f, *p;
	int64_t t0;

	ASSERT_NOT_NULL(pool);
	f = weft_run(pool, work_sleep, (void *)(intptr_t)30, NULL);
	ASSERT_NOT_NULL(f);
	ASSERT_EQ(weft_future_wait(f, -1), 0);
	ASSERT_EQ(weft_future_state(f), WEFT_STATE_OK);
	ASSERT_EQ(weft_future_wait(f, 0), 0); /* done: no waiting */
	p = weft_promise_new(NULL);
	t0 = now_ns();
	ASSERT_EQ(weft_future_wait(p, 40 * MS), -ETIMEDOUT);
	ASSERT_GE(now_ns() - t0, 40 * MS);
	ASSERT_EQ(weft_future_wait(p, 0), -ETIMEDOUT);
	ASSERT_EQ(weft_future_error(p, NULL), -EAGAIN);
	weft_future_release(f);
	weft_future_release(p);
	weft_ctx_free(pool);
	return done_ok();
}

struct deadlock {
	weft_ctx_t *pool, *loop;
	weft_future_t *c; /* the continuation queued to the loop */
	struct cont_rec rec;
	int wait_rc;
	int c_state_after_wait;
	int64_t waited_ns;
};

/* Item L on the loop: starts work on the pool, queues its continuation back
 * to this same loop, then blocks on that continuation (".Result" on the UI
 * thread).  The continuation cannot run before L returns. */
static int deadlock_item(weft_future_t *self, void *arg)
{
	struct deadlock *d = arg;
	weft_future_t *a;
	int64_t t0;

	(void)self;
	a = weft_run(d->pool, work_ok, NULL, NULL);
	if (!a)
		return -ENOMEM;
	d->c = weft_then(a, d->loop, cont_record, &d->rec, NULL);
	weft_future_release(a);
	if (!d->c)
		return -ENOMEM;
	t0 = now_ns();
	d->wait_rc = weft_future_wait(d->c, 300 * MS);
	d->waited_ns = now_ns() - t0;
	d->c_state_after_wait = weft_future_state(d->c);
	return 0;
}

TEST_IMPL(loop_self_deadlock_breaks_by_timeout)
{
	static struct deadlock d;
	weft_future_t *l;

	memset(&d, 0, sizeof d);
	d.pool = weft_pool_new("p", 1);
	d.loop = weft_loop_new("ui");
	ASSERT(d.pool && d.loop);
	ASSERT_EQ(weft_loop_start(d.loop), 0);
	l = weft_run(d.loop, deadlock_item, &d, NULL);
	ASSERT_NOT_NULL(l);
	ASSERT_EQ(weft_future_wait(l, 5000 * MS), 0);
	ASSERT_EQ(weft_future_error(l, NULL), 0);
	ASSERT_EQ(d.wait_rc, -ETIMEDOUT);
	ASSERT_GE(d.waited_ns, 300 * MS);
	ASSERT_EQ(d.c_state_after_wait, WEFT_STATE_QUEUED);
	/* ... and the continuation runs once the loop gets to it. */
	ASSERT_EQ(weft_future_wait(d.c, 5000 * MS), 0);
	ASSERT_EQ(atomic_load(&d.rec.ran), 1);
	ASSERT(d.rec.ctx == d.loop);
	weft_future_release(d.c);
	weft_future_release(l);
	weft_ctx_free(d.loop);
	weft_ctx_free(d.pool);
	return done_ok();
}

/* ---- cancellation ---- */

TEST_IMPL(cancel_before_start)
{
	weft_ctx_t *pool = weft_pool_new("p", 1), *loop = weft_loop_new("l");
	weft_cts_t *cts = weft_cts_new(NULL), *late = weft_cts_new(NULL);
	atomic_int ran = 0;
	weft_future_t *f, *q;

	ASSERT(pool && loop && cts && late);
	ASSERT_NE(weft_cts_id(cts), 0);
	ASSERT(!weft_cts_is_canceled(cts));
	ASSERT_EQ(weft_cts_cancel(cts, "user"), 0);
	ASSERT_EQ(weft_cts_cancel(cts, "again"), -EALREADY);
	f = weft_run(pool, work_count, &ran, &(struct weft_opts){ .token = cts });
	ASSERT_NOT_NULL(f);
	ASSERT_EQ(weft_future_wait(f, 5000 * MS), 0);
	ASSERT_EQ(weft_future_state(f), WEFT_STATE_CANCELED);
	ASSERT_EQ(weft_future_error(f, NULL), WEFT_ECANCELED);
	/* Canceled while queued (the loop is not running yet). */
	q = weft_run(loop, work_count, &ran, &(struct weft_opts){ .token = late });
	ASSERT_NOT_NULL(q);
	ASSERT_EQ(weft_cts_cancel(late, "while queued"), 0);
	ASSERT_EQ(weft_loop_run_until(loop, q, 5000 * MS), 0);
	ASSERT_EQ(weft_future_state(q), WEFT_STATE_CANCELED);
	ASSERT_EQ(atomic_load(&ran), 0);
	weft_future_release(f);
	weft_future_release(q);
	weft_cts_release(cts);
	weft_cts_release(late);
	weft_ctx_free(pool);
	weft_ctx_free(loop);
	return done_ok();
}

struct cb_rec {
	atomic_int runs;
	pthread_t thread;
};

static void cb_count(void *arg)
{
	struct cb_rec *r = arg;

	r->thread = pthread_self();
	atomic_fetch_add(&r->runs, 1);
}

TEST_IMPL(linked_tokens)
{
	weft_cts_t *parent = weft_cts_new("parent"), *p2 = weft_cts_new("p2");
	weft_cts_t *child, *grandchild, *both, *child2, *late;
	weft_cts_t *two[2];
	struct cb_rec r = { 0 }, rg = { 0 };

	ASSERT(parent && p2);
	child = weft_cts_new_linked(&parent, 1);
	ASSERT_NOT_NULL(child);
	grandchild = weft_cts_new_linked(&child, 1);
	ASSERT_NOT_NULL(grandchild);
	two[0] = parent;
	two[1] = p2;
	both = weft_cts_new_linked(two, 2);
	ASSERT_NOT_NULL(both);
	/* child -> parent: no. */
	child2 = weft_cts_new_linked(&parent, 1);
	ASSERT_EQ(weft_cts_cancel(child2, "child only"), 0);
	ASSERT(!weft_cts_is_canceled(parent));
	ASSERT(!weft_cts_is_canceled(child));
	/* parent -> children (and theirs), callbacks on this thread, once. */
	ASSERT_EQ(weft_cts_register(child, cb_count, &r, NULL), 0);
	ASSERT_EQ(weft_cts_register(grandchild, cb_count, &rg, NULL), 0);
	ASSERT_EQ(weft_cts_cancel(parent, "stop"), 0);
	ASSERT(weft_cts_is_canceled(child));
	ASSERT(weft_cts_is_canceled(grandchild));
	ASSERT(weft_cts_is_canceled(both));
	ASSERT(!weft_cts_is_canceled(p2));
	ASSERT_EQ(atomic_load(&r.runs), 1);
	ASSERT_EQ(atomic_load(&rg.runs), 1);
	ASSERT(pthread_equal(r.thread, pthread_self()));
	ASSERT_EQ(weft_cts_cancel(child, "again"), -EALREADY);
	ASSERT_EQ(atomic_load(&r.runs), 1);
	/* Linked to a canceled parent: canceled from birth. */
	late = weft_cts_new_linked(&parent, 1);
	ASSERT_NOT_NULL(late);
	ASSERT(weft_cts_is_canceled(late));
	weft_cts_release(late);
	weft_cts_release(child2);
	weft_cts_release(grandchild);
	weft_cts_release(child);
	weft_cts_release(both);
	weft_cts_release(p2);
	weft_cts_release(parent);
	return done_ok();
}

TEST_IMPL(linked_children_released_first)
{
	weft_cts_t *parent = weft_cts_new("app");
	int i;

	/* Short-lived children of a long-lived parent must not pile up. */
	ASSERT_NOT_NULL(parent);
	for (i = 0; i < 1000; i++) {
		weft_cts_t *c = weft_cts_new_linked(&parent, 1);

		ASSERT_NOT_NULL(c);
		weft_cts_release(c);
	}
	ASSERT_EQ(weft_cts_cancel(parent, "end"), 0);
	weft_cts_release(parent);
	return done_ok();
}

TEST_IMPL(cancel_after_timeout)
{
	weft_cts_t *cts = weft_cts_new("deadline");
	struct cb_rec r = { 0 };
	int64_t t0 = now_ns();
	int i;

	ASSERT_NOT_NULL(cts);
	ASSERT_EQ(weft_cts_register(cts, cb_count, &r, NULL), 0);
	ASSERT_EQ(weft_cts_cancel_after(cts, 40 * MS), 0);
	for (i = 0; i < 2000 && !weft_cts_is_canceled(cts); i++)
		sleep_ms(1);
	ASSERT(weft_cts_is_canceled(cts));
	ASSERT_GE(now_ns() - t0, 40 * MS);
	ASSERT_EQ(atomic_load(&r.runs), 1);
	ASSERT(!pthread_equal(r.thread, pthread_self())); /* the timer thread */
	ASSERT_EQ(weft_cts_cancel_after(cts, 0), -EALREADY);
	weft_cts_release(cts);
	return done_ok();
}

struct reentrant {
	weft_cts_t *cts;
	atomic_int runs, inner_runs;
	int cancel_rc;
};

static void cb_inner(void *arg)
{
	atomic_fetch_add(&((struct reentrant *)arg)->inner_runs, 1);
}

/* Calls back into the runtime from a callback: must not deadlock. */
static void cb_reenter(void *arg)
{
	struct reentrant *re = arg;

	atomic_fetch_add(&re->runs, 1);
	re->cancel_rc = weft_cts_cancel(re->cts, "from callback");
	weft_cts_register(re->cts, cb_inner, re, NULL);
}

TEST_IMPL(registrations)
{
	weft_cts_t *cts = weft_cts_new(NULL);
	struct cb_rec a = { 0 }, b = { 0 }, late = { 0 };
	struct reentrant re = { 0 };
	uint64_t ra, rb;

	ASSERT_NOT_NULL(cts);
	re.cts = cts;
	ASSERT_EQ(weft_cts_register(cts, cb_count, &a, &ra), 0);
	ASSERT_EQ(weft_cts_register(cts, cb_count, &b, &rb), 0);
	ASSERT_EQ(weft_cts_register(cts, cb_reenter, &re, NULL), 0);
	ASSERT_NE(ra, rb);
	ASSERT_EQ(weft_cts_unregister(cts, rb), 0);
	ASSERT_EQ(weft_cts_unregister(cts, rb), -ENOENT);
	ASSERT_EQ(weft_cts_cancel(cts, "go"), 0);
	ASSERT_EQ(atomic_load(&a.runs), 1);
	ASSERT_EQ(atomic_load(&b.runs), 0);
	ASSERT_EQ(atomic_load(&re.runs), 1);
	ASSERT_EQ(re.cancel_rc, -EALREADY);
	ASSERT_EQ(atomic_load(&re.inner_runs), 1); /* registered late: ran at once */
	ASSERT_EQ(weft_cts_unregister(cts, ra), -ENOENT);
	/* After the fact: at once, on the caller. */
	ASSERT_EQ(weft_cts_register(cts, cb_count, &late, NULL), 0);
	ASSERT_EQ(atomic_load(&late.runs), 1);
	ASSERT_EQ(weft_cts_cancel(cts, "again"), -EALREADY);
	ASSERT_EQ(atomic_load(&a.runs), 1);
	weft_cts_release(cts);
	return done_ok();
}

struct checker {
	weft_cts_t *cts;
	atomic_int started;
	int checks;
};

static int check_loop(weft_future_t *self, void *arg)
{
	struct checker *c = arg;
	int rc;

	(void)self;
	atomic_store(&c->started, 1);
	for (c->checks = 0; c->checks < 5000; c->checks++) {
		rc = weft_cts_check(c->cts);
		if (rc)
			return rc;
		sleep_ms(1);
	}
	return -ETIMEDOUT;
}

TEST_IMPL(cts_check_cooperative)
{
	weft_ctx_t *pool = weft_pool_new("p", 1);
	struct checker c = { 0 };
	weft_future_t *f;

	ASSERT_EQ(weft_cts_check(NULL), 0);
	c.cts = weft_cts_new("coop");
	ASSERT(pool && c.cts);
	ASSERT_EQ(weft_cts_check(c.cts), 0);
	f = weft_run(pool, check_loop, &c, &(struct weft_opts){ .token = c.cts });
	ASSERT_NOT_NULL(f);
	ASSERT(wait_flag(&c.started, 5000));
	sleep_ms(10);
	ASSERT_EQ(weft_cts_cancel(c.cts, "enough"), 0);
	ASSERT_EQ(weft_future_wait(f, 5000 * MS), 0);
	ASSERT_EQ(weft_future_state(f), WEFT_STATE_CANCELED);
	ASSERT_GT(c.checks, 0);
	ASSERT_EQ(weft_cts_check(c.cts), WEFT_ECANCELED);
	weft_future_release(f);
	weft_cts_release(c.cts);
	weft_ctx_free(pool);
	return done_ok();
}

/* ---- detached ---- */

struct handler_rec {
	atomic_int calls;
	int err;
	char msg[64];
	pthread_t thread;
};

static void on_detached_error(weft_future_t *f, void *arg)
{
	struct handler_rec *h = arg;
	const char *msg;

	h->thread = pthread_self();
	h->err = weft_future_error(f, &msg);
	snprintf(h->msg, sizeof h->msg, "%s", msg ? msg : "");
	atomic_fetch_add(&h->calls, 1);
}

TEST_IMPL(detached_tasks)
{
	weft_ctx_t *pool = weft_pool_new("p", 1);
	struct handler_rec h = { 0 };
	uint64_t n0 = rt_unobserved_count();
	atomic_int ran = 0;

	ASSERT_NOT_NULL(pool);
	/* No handler: the failure goes unobserved. */
	ASSERT_EQ(weft_spawn(pool, work_fail, (void *)(intptr_t)-ENOENT, NULL), 0);
	ASSERT_EQ(weft_spawn(pool, work_count, &ran, NULL), 0);
	ASSERT_EQ(weft_ctx_shutdown(pool, WEFT_SHUTDOWN_DRAIN), 0);
	ASSERT_EQ(atomic_load(&ran), 1);
	ASSERT_UEQ(rt_unobserved_count(), n0 + 1);
	weft_ctx_free(pool);

	/* A handler observes it, on the failing task's thread. */
	pool = weft_pool_new("p", 1);
	ASSERT_NOT_NULL(pool);
	weft_set_detached_error_handler(on_detached_error, &h);
	ASSERT_EQ(weft_spawn(pool, work_fail, (void *)(intptr_t)-ENOENT, NULL), 0);
	ASSERT_EQ(weft_spawn(pool, work_ok, NULL, NULL), 0);
	ASSERT_EQ(weft_ctx_shutdown(pool, WEFT_SHUTDOWN_DRAIN), 0);
	weft_set_detached_error_handler(NULL, NULL);
	ASSERT_EQ(atomic_load(&h.calls), 1);
	ASSERT_EQ(h.err, -ENOENT);
	ASSERT_STR_EQ(h.msg, "failed with -2");
	ASSERT(!pthread_equal(h.thread, pthread_self()));
	ASSERT_UEQ(rt_unobserved_count(), n0 + 1);
	ASSERT_EQ(weft_spawn(pool, work_ok, NULL, NULL), -ESHUTDOWN);
	ASSERT_EQ(weft_spawn(NULL, work_ok, NULL, NULL), -EINVAL);
	weft_ctx_free(pool);
	return done_ok();
}

/* ---- promises and delays ---- */

TEST_IMPL(promises)
{
	weft_ctx_t *pool = weft_pool_new("p", 1);
	struct weft_opts io_opts = { .name = "read", .kind = WEFT_TASK_IO };
	weft_future_t *p = weft_promise_new(NULL), *e, *f;
	const char *msg;

	ASSERT(pool && p);
	ASSERT_EQ(weft_future_state(p), WEFT_STATE_RUNNING);
	ASSERT(!weft_future_done(p));
	ASSERT_EQ(weft_promise_complete(p, 0, NULL, (void *)0x7), 0);
	ASSERT_EQ(weft_promise_complete(p, -EIO, "late", NULL), -EALREADY);
	ASSERT_EQ(weft_future_state(p), WEFT_STATE_OK);
	ASSERT(weft_future_value(p) == (void *)0x7);
	e = weft_promise_new(&io_opts);
	ASSERT_EQ(weft_promise_complete(e, -ECONNRESET, "peer went away", NULL), 0);
	ASSERT_EQ(weft_future_error(e, &msg), -ECONNRESET);
	ASSERT_STR_EQ(msg, "peer went away");
	/* Only promises can be completed from outside. */
	f = weft_run(pool, work_ok, NULL, NULL);
	ASSERT_NOT_NULL(f);
	ASSERT_EQ(weft_promise_complete(f, 0, NULL, NULL), -EINVAL);
	ASSERT_EQ(weft_future_wait(f, 5000 * MS), 0);
	weft_future_release(f);
	weft_future_release(p);
	weft_future_release(e);
	weft_ctx_free(pool);
	return done_ok();
}

TEST_IMPL(delays)
{
	weft_cts_t *cts = weft_cts_new("d");
	weft_future_t *d, *c, *pending;
	int64_t t0 = now_ns();

	ASSERT_NOT_NULL(cts);
	d = weft_delay(30 * MS, NULL);
	ASSERT_NOT_NULL(d);
	ASSERT(!weft_future_done(d));
	ASSERT_EQ(weft_future_wait(d, 5000 * MS), 0);
	ASSERT_GE(now_ns() - t0, 30 * MS);
	ASSERT_EQ(weft_future_state(d), WEFT_STATE_OK);
	weft_future_release(d);

	/* The token wins over a long delay. */
	c = weft_delay(10000 * MS, cts);
	ASSERT_NOT_NULL(c);
	t0 = now_ns();
	ASSERT_EQ(weft_cts_cancel_after(cts, 20 * MS), 0);
	ASSERT_EQ(weft_future_wait(c, 5000 * MS), 0);
	ASSERT_LT(now_ns() - t0, 2000 * MS);
	ASSERT_EQ(weft_future_state(c), WEFT_STATE_CANCELED);
	weft_future_release(c);
	/* A canceled token: canceled at once. */
	c = weft_delay(10000 * MS, cts);
	ASSERT_NOT_NULL(c);
	ASSERT_EQ(weft_future_state(c), WEFT_STATE_CANCELED);
	weft_future_release(c);

	/* Shutting the runtime down cancels what is pending. */
	pending = weft_delay(10000 * MS, NULL);
	ASSERT_NOT_NULL(pending);
	weft_rt_shutdown();
	ASSERT_EQ(weft_future_state(pending), WEFT_STATE_CANCELED);
	weft_future_release(pending);
	/* ... and the timer comes back when needed. */
	d = weft_delay(1 * MS, NULL);
	ASSERT_NOT_NULL(d);
	ASSERT_EQ(weft_future_wait(d, 5000 * MS), 0);
	ASSERT_EQ(weft_future_state(d), WEFT_STATE_OK);
	weft_future_release(d);
	weft_cts_release(cts);
	return done_ok();
}

/* ---- shutdown ---- */

struct spawner {
	weft_ctx_t *pool;
	atomic_int ran, children, refused;
};

static int child_work(weft_future_t *self, void *arg)
{
	(void)self;
	sleep_ms(1);
	atomic_fetch_add(&((struct spawner *)arg)->children, 1);
	return 0;
}

/* Queues more work on its own pool while the pool drains. */
static int parent_work(weft_future_t *self, void *arg)
{
	struct spawner *s = arg;

	(void)self;
	sleep_ms(5);
	atomic_fetch_add(&s->ran, 1);
	if (weft_spawn(s->pool, child_work, s, NULL) != 0)
		atomic_fetch_add(&s->refused, 1);
	return 0;
}

static int shutdown_self(weft_future_t *self, void *arg)
{
	(void)self;
	return weft_ctx_shutdown(arg, WEFT_SHUTDOWN_DRAIN);
}

TEST_IMPL(shutdown_drain)
{
	static struct spawner s;
	weft_future_t *f;
	int i;

	memset(&s, 0, sizeof s);
	s.pool = weft_pool_new("p", 2);
	ASSERT_NOT_NULL(s.pool);
	f = weft_run(s.pool, shutdown_self, s.pool, NULL);
	ASSERT_NOT_NULL(f);
	ASSERT_EQ(weft_future_wait(f, 5000 * MS), 0);
	ASSERT_EQ(weft_future_error(f, NULL), -EDEADLK);
	weft_future_release(f);
	for (i = 0; i < 20; i++)
		ASSERT_EQ(weft_spawn(s.pool, parent_work, &s, NULL), 0);
	ASSERT_EQ(weft_ctx_shutdown(s.pool, WEFT_SHUTDOWN_DRAIN), 0);
	ASSERT_EQ(atomic_load(&s.ran), 20);
	ASSERT_EQ(atomic_load(&s.children), 20); /* queued during the drain: ran */
	ASSERT_EQ(atomic_load(&s.refused), 0);
	ASSERT_EQ(weft_ctx_shutdown(s.pool, WEFT_SHUTDOWN_DRAIN), 0); /* idempotent */
	ASSERT_NULL(weft_run(s.pool, work_ok, NULL, NULL));
	ASSERT_EQ(errno, ESHUTDOWN);
	weft_ctx_free(s.pool);
	return done_ok();
}

TEST_IMPL(shutdown_cancel)
{
	weft_ctx_t *pool = weft_pool_new("p", 1), *loop = weft_loop_new("l");
	weft_future_t *first, *q[10], *c, *lq;
	struct cont_rec r = { 0 };
	atomic_int ran = 0, started = 0;
	int i;

	ASSERT(pool && loop);
	first = weft_run(pool, work_started_sleep, &started, NULL);
	ASSERT_NOT_NULL(first);
	ASSERT(wait_flag(&started, 5000));
	for (i = 0; i < 10; i++) {
		q[i] = weft_run(pool, work_count, &ran, NULL);
		ASSERT_NOT_NULL(q[i]);
	}
	/* A continuation waiting for a queued item is canceled with it. */
	c = weft_then(q[9], NULL, cont_record, &r, NULL);
	ASSERT_NOT_NULL(c);
	ASSERT_EQ(weft_ctx_shutdown(pool, WEFT_SHUTDOWN_CANCEL), 0);
	ASSERT_EQ(weft_future_state(first), WEFT_STATE_OK); /* running: finished */
	for (i = 0; i < 10; i++)
		ASSERT_EQ(weft_future_state(q[i]), WEFT_STATE_CANCELED);
	ASSERT_EQ(atomic_load(&ran), 0);
	ASSERT_EQ(atomic_load(&r.ran), 1);
	ASSERT_EQ(r.ante_state, WEFT_STATE_CANCELED);
	/* A loop nobody runs, canceled. */
	lq = weft_run(loop, work_count, &ran, NULL);
	ASSERT_NOT_NULL(lq);
	ASSERT_EQ(weft_ctx_shutdown(loop, WEFT_SHUTDOWN_CANCEL), 0);
	ASSERT_EQ(weft_future_state(lq), WEFT_STATE_CANCELED);
	ASSERT_EQ(weft_loop_start(loop), -ESHUTDOWN);
	ASSERT_EQ(atomic_load(&ran), 0);
	/* A continuation aimed at a closed context ends canceled. */
	c = (weft_future_release(c), weft_then(first, pool, cont_record, &r, NULL));
	ASSERT_NOT_NULL(c);
	ASSERT_EQ(weft_future_state(c), WEFT_STATE_CANCELED);
	weft_future_release(c);
	weft_future_release(first);
	weft_future_release(lq);
	for (i = 0; i < 10; i++)
		weft_future_release(q[i]);
	weft_ctx_free(pool);
	weft_ctx_free(loop);
	return done_ok();
}

TEST_IMPL(release_before_completion)
{
	weft_ctx_t *pool = weft_pool_new("p", 2);
	struct cont_rec r = { 0 };
	atomic_int gate = 0, ran = 0;
	weft_future_t *f, *c;
	int i;

	/* The runtime keeps what is queued, running or waiting for an
	 * antecedent alive: the caller may let go at once. */
	ASSERT_NOT_NULL(pool);
	f = weft_run(pool, work_gate, &gate, NULL);
	ASSERT_NOT_NULL(f);
	c = weft_then(f, pool, cont_record, &r, NULL);
	ASSERT_NOT_NULL(c);
	weft_future_release(c);
	weft_future_release(f);
	for (i = 0; i < 100; i++) {
		weft_future_t *t = weft_run(pool, work_count, &ran, NULL);

		ASSERT_NOT_NULL(t);
		weft_future_release(t);
	}
	ASSERT_NULL(weft_then(NULL, pool, cont_record, &r, NULL));
	ASSERT_EQ(errno, EINVAL);
	atomic_store(&gate, 1);
	ASSERT_EQ(weft_ctx_shutdown(pool, WEFT_SHUTDOWN_DRAIN), 0);
	ASSERT_EQ(atomic_load(&ran), 100);
	ASSERT_EQ(atomic_load(&r.ran), 1);
	weft_ctx_free(pool);
	return done_ok();
}

static const struct test_entry tests[] = {
	TEST_ENTRY(loop_fifo_many_posters)
	TEST_ENTRY(loop_run_until_on_caller)
	TEST_ENTRY(loop_run_and_stop)
	TEST_ENTRY(pool_runs_concurrently)
	TEST_ENTRY(then_runs_on_chosen_context)
	TEST_ENTRY(then_inline_on_completing_thread)
	TEST_ENTRY(then_on_already_complete)
	TEST_ENTRY(then_propagate_errors)
	TEST_ENTRY(unobserved_error_counted)
	TEST_ENTRY(when_all_aggregates)
	TEST_ENTRY(when_all_message_bounded)
	TEST_ENTRY(when_all_of_cancellations)
	TEST_ENTRY(when_any_first_wins_losers_run)
	TEST_ENTRY(combinator_outlives_inputs)
	TEST_ENTRY(wait_ok_and_timeout)
	TEST_ENTRY(loop_self_deadlock_breaks_by_timeout)
	TEST_ENTRY(cancel_before_start)
	TEST_ENTRY(linked_tokens)
	TEST_ENTRY(linked_children_released_first)
	TEST_ENTRY(cancel_after_timeout)
	TEST_ENTRY(registrations)
	TEST_ENTRY(cts_check_cooperative)
	TEST_ENTRY(detached_tasks)
	TEST_ENTRY(promises)
	TEST_ENTRY(delays)
	TEST_ENTRY(shutdown_drain)
	TEST_ENTRY(shutdown_cancel)
	TEST_ENTRY(release_before_completion)
};

TEST_MAIN(tests)
