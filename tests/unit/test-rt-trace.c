/*
 * test-rt-trace: checks the events weft's reference runtime emits, as a
 * real LTTng session records them.  weft's detectors are judged against
 * these runtime semantics, so the events must say exactly what happened:
 * which thread serves which context, who waits for whom and how that ended,
 * where continuations were marshalled from, which errors were observed.
 *
 * Each test creates its own session ("h-rt-<pid>-<n>", destroyed at exit
 * even when an assertion fails) with the lttng CLI, runs one scenario of
 * this very binary in a fresh process (`test-rt-trace --scenario NAME`: a
 * new process registers with the session daemon, a forked one would not),
 * reads the trace back with the babeltrace2 CLI and checks the events.  The
 * scenario prints the ids it created ("name=id" lines) so the checks can
 * name tasks and contexts.
 *
 * Needs a reachable lttng-sessiond (root or tracing group), lttng and
 * babeltrace2 on PATH: without them these tests fail, on purpose.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"
#include "weft/rt.h"

#define MS (1000 * 1000LL)

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ================= scenarios (run in the traced process) ================= */

static void say(const char *name, uint64_t id)
{
	printf("%s=%" PRIu64 "\n", name, id);
}

static int w_ok(weft_future_t *self, void *arg)
{
	(void)self;
	(void)arg;
	return 0;
}

static int w_fail(weft_future_t *self, void *arg)
{
	int err = (int)(intptr_t)arg;

	weft_future_set_error_msg(self, "failed with %d", err);
	return err;
}

static int w_sleep_us(weft_future_t *self, void *arg)
{
	struct timespec ts = { 0, (long)(intptr_t)arg * 1000L };

	(void)self;
	nanosleep(&ts, NULL);
	return 0;
}

static int w_sleep_ms(weft_future_t *self, void *arg)
{
	(void)self;
	sleep_ms((int)(intptr_t)arg);
	return 0;
}

static int c_ok(weft_future_t *self, weft_future_t *ante, void *arg)
{
	(void)self;
	(void)ante;
	(void)arg;
	return 0;
}

/* -- deadlock: the loop blocks on its own continuation -- */

struct sc_deadlock {
	weft_ctx_t *pool, *loop;
	weft_future_t *c;
	uint64_t a;
	int wait_rc;
};

/* The "I/O" the loop starts: it takes a while, as I/O does, so that the
 * continuation is registered before it completes (the story this scenario
 * checks: the pool thread completing it marshals c to the loop). */
static int w_io(weft_future_t *self, void *arg)
{
	struct timespec ts = { 0, 30 * 1000 * 1000 };

	(void)self;
	(void)arg;
	while (nanosleep(&ts, &ts) != 0)
		;
	return 0;
}

static int sc_deadlock_item(weft_future_t *self, void *arg)
{
	struct sc_deadlock *d = arg;
	weft_future_t *a;

	(void)self;
	a = weft_run(d->pool, w_io, NULL, NULL);
	if (!a)
		return -ENOMEM;
	d->a = weft_future_id(a);
	d->c = weft_then(a, d->loop, c_ok, NULL, NULL);
	weft_future_release(a);
	if (!d->c)
		return -ENOMEM;
	d->wait_rc = weft_future_wait(d->c, 200 * MS);
	return 0;
}

static int scenario_deadlock(void)
{
	struct sc_deadlock d = { 0 };
	weft_future_t *l;

	d.pool = weft_pool_new("io", 1);
	d.loop = weft_loop_new("ui");
	if (!d.pool || !d.loop || weft_loop_start(d.loop))
		return 1;
	l = weft_run(d.loop, sc_deadlock_item, &d, NULL);
	if (!l || weft_future_wait(l, 5000 * MS) || !d.c ||
	    weft_future_wait(d.c, 5000 * MS) || d.wait_rc != -ETIMEDOUT)
		return 1;
	say("pool", weft_ctx_id(d.pool));
	say("loop", weft_ctx_id(d.loop));
	say("L", weft_future_id(l));
	say("a", d.a);
	say("c", weft_future_id(d.c));
	weft_future_release(d.c);
	weft_future_release(l);
	weft_ctx_free(d.loop);
	weft_ctx_free(d.pool);
	return 0;
}

/* -- errors: observed, unobserved, when_all, inline, detached, waits -- */

struct sc_waits {
	weft_future_t *p;   /* awaited asynchronously */
	weft_future_t *aw;  /* the await continuation */
	uint64_t awaiter, blocker, delay;
};

static int sc_awaiter(weft_future_t *self, void *arg)
{
	struct sc_waits *w = arg;

	w->awaiter = weft_future_id(self);
	w->aw = weft_await(w->p, NULL, c_ok, NULL, NULL);
	return w->aw ? 0 : -ENOMEM;
}

static int sc_blocker(weft_future_t *self, void *arg)
{
	struct sc_waits *w = arg;
	weft_future_t *d = weft_delay(20 * MS, NULL);
	int rc;

	if (!d)
		return -ENOMEM;
	w->blocker = weft_future_id(self);
	w->delay = weft_future_id(d);
	rc = weft_future_wait(d, 5000 * MS);
	weft_future_release(d);
	return rc;
}

static atomic_uint_least64_t detached_id;

static int w_detached_fail(weft_future_t *self, void *arg)
{
	(void)arg;
	atomic_store(&detached_id, weft_future_id(self));
	return -ENOTCONN;
}

static int scenario_errors(void)
{
	weft_ctx_t *pool = weft_pool_new("p", 2), *loop = weft_loop_new("idle");
	weft_future_t *obs, *unobs, *in[2], *all, *p, *inl, *inl2, *aw, *bl;
	struct weft_opts inline_if_done = { .flags = WEFT_INLINE_IF_DONE };
	struct sc_waits w = { 0 };

	if (!pool || !loop)
		return 1;
	obs = weft_run(pool, w_fail, (void *)(intptr_t)-EIO, NULL);
	unobs = weft_run(pool, w_fail, (void *)(intptr_t)-EPIPE, NULL);
	in[0] = weft_run(pool, w_ok, NULL, NULL);
	in[1] = weft_run(pool, w_fail, (void *)(intptr_t)-EPERM, NULL);
	if (!obs || !unobs || !in[0] || !in[1])
		return 1;
	all = weft_when_all(in, 2, NULL);
	if (!all || weft_future_wait(all, 5000 * MS) || weft_future_wait(obs, 5000 * MS) ||
	    weft_future_wait(unobs, 5000 * MS))
		return 1;
	if (weft_future_error(obs, NULL) != -EIO || weft_future_error(obs, NULL) != -EIO ||
	    weft_future_error(all, NULL) != -EPERM)
		return 1;
	say("obs", weft_future_id(obs));
	say("unobs", weft_future_id(unobs));
	say("in0", weft_future_id(in[0]));
	say("in1", weft_future_id(in[1]));
	say("all", weft_future_id(all));
	weft_future_release(obs);
	weft_future_release(unobs);
	weft_future_release(in[0]);
	weft_future_release(in[1]);
	weft_future_release(all);

	/* Synchronous completions. */
	p = weft_promise_new(NULL);
	if (!p || weft_promise_complete(p, 0, NULL, NULL))
		return 1;
	inl = weft_then(p, NULL, c_ok, NULL, NULL);
	inl2 = weft_then(p, loop, c_ok, NULL, &inline_if_done);
	if (!inl || !inl2 || !weft_future_done(inl) || !weft_future_done(inl2))
		return 1;
	say("p", weft_future_id(p));
	say("inl", weft_future_id(inl));
	say("inl2", weft_future_id(inl2));
	weft_future_release(inl);
	weft_future_release(inl2);
	weft_future_release(p);

	/* Detached failure, no handler. */
	if (weft_spawn(pool, w_detached_fail, NULL, NULL))
		return 1;

	/* An async wait inside a task, and a blocking one on a pool worker. */
	w.p = weft_promise_new(NULL);
	aw = weft_run(pool, sc_awaiter, &w, NULL);
	bl = weft_run(pool, sc_blocker, &w, NULL);
	if (!w.p || !aw || !bl || weft_future_wait(aw, 5000 * MS) ||
	    weft_future_wait(bl, 5000 * MS) || weft_future_error(bl, NULL) != 0)
		return 1;
	sleep_ms(5);
	if (weft_promise_complete(w.p, 0, NULL, NULL) || !w.aw || !weft_future_done(w.aw))
		return 1;
	say("awaited", weft_future_id(w.p));
	say("awaiter", w.awaiter);
	say("aw", weft_future_id(w.aw));
	say("blocker", w.blocker);
	say("delay", w.delay);
	weft_future_release(w.aw);
	weft_future_release(w.p);
	weft_future_release(aw);
	weft_future_release(bl);

	weft_ctx_free(pool);
	weft_ctx_free(loop);
	say("det", atomic_load(&detached_id));
	weft_rt_shutdown();
	return 0;
}

/* -- cancel: tokens, linked, before start, cooperative, delay -- */

struct sc_check {
	weft_cts_t *cts;
	atomic_int started;
};

static int w_check(weft_future_t *self, void *arg)
{
	struct sc_check *c = arg;
	int i, rc;

	(void)self;
	atomic_store(&c->started, 1);
	for (i = 0; i < 5000; i++) {
		rc = weft_cts_check(c->cts);
		if (rc)
			return rc;
		sleep_ms(1);
	}
	return -ETIMEDOUT;
}

static int scenario_cancel(void)
{
	weft_ctx_t *pool = weft_pool_new("p", 1);
	weft_cts_t *cts = weft_cts_new("root"), *child;
	struct sc_check chk = { 0 };
	weft_future_t *f, *c, *d;
	int i;

	if (!pool || !cts)
		return 1;
	child = weft_cts_new_linked(&cts, 1);
	chk.cts = weft_cts_new("coop");
	if (!child || !chk.cts)
		return 1;
	d = weft_delay(10000 * MS, chk.cts);
	if (weft_cts_cancel(cts, "user"))
		return 1;
	f = weft_run(pool, w_ok, NULL, &(struct weft_opts){ .token = child });
	c = weft_run(pool, w_check, &chk, &(struct weft_opts){ .token = chk.cts });
	if (!d || !f || !c || weft_future_wait(f, 5000 * MS))
		return 1;
	for (i = 0; i < 5000 && !atomic_load(&chk.started); i++)
		sleep_ms(1);
	sleep_ms(5);
	if (weft_cts_cancel(chk.cts, "enough") || weft_future_wait(c, 5000 * MS) ||
	    weft_future_state(c) != WEFT_STATE_CANCELED ||
	    weft_future_state(f) != WEFT_STATE_CANCELED ||
	    weft_future_state(d) != WEFT_STATE_CANCELED)
		return 1;
	say("root", weft_cts_id(cts));
	say("child", weft_cts_id(child));
	say("coop", weft_cts_id(chk.cts));
	say("f", weft_future_id(f));
	say("chk", weft_future_id(c));
	say("delay", weft_future_id(d));
	weft_future_release(f);
	weft_future_release(c);
	weft_future_release(d);
	weft_cts_release(child);
	weft_cts_release(chk.cts);
	weft_cts_release(cts);
	weft_ctx_free(pool);
	weft_rt_shutdown();
	return 0;
}

/* -- pool: many short tasks on 2 workers; a loop run by the caller -- */

static int scenario_pool(void)
{
	weft_ctx_t *pool = weft_pool_new("p", 2), *loop = weft_loop_new("caller");
	weft_future_t *fs[300], *l;
	int i;

	if (!pool || !loop)
		return 1;
	for (i = 0; i < 300; i++) {
		fs[i] = weft_run(pool, w_sleep_us, (void *)(intptr_t)100, NULL);
		if (!fs[i])
			return 1;
	}
	for (i = 0; i < 300; i++) {
		if (weft_future_wait(fs[i], 5000 * MS))
			return 1;
		weft_future_release(fs[i]);
	}
	l = weft_run(loop, w_ok, NULL, NULL);
	if (!l || weft_loop_run_until(loop, l, 5000 * MS))
		return 1;
	say("pool", weft_ctx_id(pool));
	say("loop", weft_ctx_id(loop));
	say("l", weft_future_id(l));
	weft_future_release(l);
	weft_ctx_free(pool);
	weft_ctx_free(loop);
	return 0;
}

/* -- depth: 2 workers blocked 1.2 s, 6 short tasks queued behind them -- */

static int scenario_depth(void)
{
	weft_ctx_t *pool = weft_pool_new("p", 2);
	weft_future_t *fs[8];
	int i;

	if (!pool)
		return 1;
	for (i = 0; i < 2; i++)
		fs[i] = weft_run(pool, w_sleep_ms, (void *)(intptr_t)1200, NULL);
	sleep_ms(50);
	/* Queued within a few µs: the depth changes inside one sample window,
	 * and then nothing changes for over a second. */
	for (i = 2; i < 8; i++)
		fs[i] = weft_run(pool, w_ok, NULL, NULL);
	for (i = 0; i < 8; i++) {
		if (!fs[i] || weft_future_wait(fs[i], 5000 * MS))
			return 1;
		weft_future_release(fs[i]);
	}
	say("pool", weft_ctx_id(pool));
	weft_ctx_free(pool);
	weft_rt_shutdown();
	return 0;
}

/* -- tokens: a named token, a token linked to two parents -- */

static int scenario_tokens(void)
{
	weft_cts_t *a = weft_cts_new("request"), *b = weft_cts_new("shutdown"), *ab;
	weft_cts_t *const parents[2] = { a, b };

	if (!a || !b)
		return 1;
	ab = weft_cts_new_linked(parents, 2);
	if (!ab)
		return 1;
	say("a", weft_cts_id(a));
	say("b", weft_cts_id(b));
	say("ab", weft_cts_id(ab));
	/* Through the second parent: v1 traces could not show this edge. */
	weft_cts_cancel(b, "stop");
	if (!weft_cts_is_canceled(ab) || weft_cts_is_canceled(a))
		return 1;
	weft_cts_release(ab);
	weft_cts_release(a);
	weft_cts_release(b);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} scenarios[] = {
	{ "depth", scenario_depth },
	{ "tokens", scenario_tokens },
	{ "deadlock", scenario_deadlock },
	{ "errors", scenario_errors },
	{ "cancel", scenario_cancel },
	{ "pool", scenario_pool },
};

/* ================= recording and reading ================= */

struct tev {
	char name[32];
	int64_t ts;    /* ns, babeltrace2 --clock-seconds */
	uint64_t vtid;
	char *payload; /* the event's own fields: "{ task = 5, ... }" */
};

struct trace {
	struct tev *ev;
	size_t n;
	char *ids; /* the scenario's "name=id" lines */
};

static char session[64];
static char outdir[64];

static void session_cleanup(void)
{
	char cmd[256];

	if (session[0]) {
		snprintf(cmd, sizeof cmd, "lttng destroy %s >/dev/null 2>&1", session);
		if (system(cmd) != 0)
			fprintf(stderr, "# could not destroy session %s\n", session);
		session[0] = '\0';
	}
	if (outdir[0]) {
		snprintf(cmd, sizeof cmd, "rm -rf %s", outdir);
		if (system(cmd) != 0)
			fprintf(stderr, "# could not remove %s\n", outdir);
		outdir[0] = '\0';
	}
}

static void run_or_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void run_or_fail(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		TEST_FAIL_("command failed (status %d): %s", rc, cmd);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, r;

	if (!f)
		TEST_FAIL_("cannot open %s: %s", path, strerror(errno));
	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap + 1);
			ASSERT_NOT_NULL(buf);
		}
		r = fread(buf + len, 1, cap - len, f);
		len += r;
	} while (r > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* The id the scenario printed for `name`. */
static uint64_t id_of(const struct trace *t, const char *name)
{
	size_t len = strlen(name);
	const char *p = t->ids;

	while (p && *p) {
		if (strncmp(p, name, len) == 0 && p[len] == '=')
			return strtoull(p + len + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	TEST_FAIL_("scenario printed no id for %s:\n%s", name, t->ids);
}

/* A payload's integer field, or 0. */
static uint64_t payload_u64(const char *payload, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof pat, " %s = ", key);
	p = strstr(payload, pat);
	return p ? strtoull(p + strlen(pat), NULL, 10) : 0;
}

/*
 * Schema v2 folds two v1 events into one (probes/weft-tp.h): the checks
 * below speak v1, so e (the last event of t, with room for one more) is
 * replaced by the two it stands for.  task_submit's payload has every field
 * of task_new and of task_schedule, so both keep it; task_next's end and
 * start get the payloads their v1 events would have had.
 */
static void expand_v2(struct trace *t, struct tev *e)
{
	struct tev *second = &t->ev[t->n];
	char buf[160];
	uint64_t ended, next, ctx;
	int64_t at;

	if (strcmp(e->name, "task_submit") == 0) {
		snprintf(e->name, sizeof e->name, "task_new");
		*second = *e;
		snprintf(second->name, sizeof second->name, "task_schedule");
		second->payload = strdup(e->payload);
		ASSERT_NOT_NULL(second->payload);
		t->n++;
	} else if (strcmp(e->name, "task_next") == 0) {
		ended = payload_u64(e->payload, "ended");
		at = e->ts; /* the next task's start; the end is end_delta earlier */
		e->ts -= (int64_t)payload_u64(e->payload, "end_delta");
		next = payload_u64(e->payload, "task");
		ctx = payload_u64(e->payload, "ctx");
		free(e->payload);
		snprintf(e->name, sizeof e->name, "task_end");
		snprintf(buf, sizeof buf,
			 "{ task = %" PRIu64 ", status = ( \"ok\" : container = 0 ), err = 0, msg = \"\" }",
			 ended);
		e->payload = strdup(buf);
		ASSERT_NOT_NULL(e->payload);
		if (next) {
			*second = *e;
			second->ts = at;
			snprintf(second->name, sizeof second->name, "task_start");
			snprintf(buf, sizeof buf, "{ task = %" PRIu64 ", ctx = %" PRIu64 " }", next,
				 ctx);
			second->payload = strdup(buf);
			ASSERT_NOT_NULL(second->payload);
			t->n++;
		}
	}
}

/* Records scenario `name` in a fresh session and decodes it into *t. */
static void trace_record(const char *name, struct trace *t)
{
	static int seq;
	char self[512], path[256];
	char *text, *line, *save = NULL;
	uint64_t pid;
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof self - 1);
	ASSERT_GT(n, 0);
	self[n] = '\0';
	snprintf(outdir, sizeof outdir, "/tmp/h-rt-trace-XXXXXX");
	ASSERT_NOT_NULL(mkdtemp(outdir));
	snprintf(session, sizeof session, "h-rt-%d-%d", (int)getpid(), seq++);
	atexit(session_cleanup);
	run_or_fail("lttng create %s --output=%s/ctf >/dev/null", session, outdir);
	run_or_fail("lttng enable-event -u 'weft:*' -s %s >/dev/null", session);
	run_or_fail("lttng add-context -u -t vpid -t vtid -s %s >/dev/null", session);
	run_or_fail("lttng start %s >/dev/null", session);
	run_or_fail("'%s' --scenario %s > %s/ids", self, name, outdir);
	run_or_fail("lttng stop %s >/dev/null", session);
	run_or_fail("babeltrace2 --clock-seconds %s/ctf > %s/text", outdir, outdir);

	snprintf(path, sizeof path, "%s/ids", outdir);
	t->ids = slurp(path);
	snprintf(path, sizeof path, "%s/text", outdir);
	text = slurp(path);
	pid = id_of(t, "pid");
	t->ev = NULL;
	t->n = 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct tev *e;
		char *p = strstr(line, " weft:"), *q, *v;

		if (!p)
			continue;
		/* The session sees every traced process on the machine. */
		v = strstr(line, "vpid = ");
		ASSERT_NOT_NULL(v);
		if (strtoull(v + 7, NULL, 10) != pid)
			continue;
		t->ev = realloc(t->ev, (t->n + 2) * sizeof *t->ev);
		ASSERT_NOT_NULL(t->ev);
		e = &t->ev[t->n++];
		/* "[SEC.NANOSEC] ..." */
		ASSERT(line[0] == '[');
		e->ts = strtoll(line + 1, &q, 10) * 1000000000LL;
		ASSERT(*q == '.');
		e->ts += strtoll(q + 1, NULL, 10);
		p += 6;
		q = strchr(p, ':');
		ASSERT_NOT_NULL(q);
		snprintf(e->name, sizeof e->name, "%.*s", (int)(q - p), p);
		v = strstr(q, "vtid = ");
		ASSERT_NOT_NULL(v);
		e->vtid = strtoull(v + 7, NULL, 10);
		/* The payload is the last "{ ... }" group. */
		v = strrchr(line, '{');
		ASSERT_NOT_NULL(v);
		e->payload = strdup(v);
		ASSERT_NOT_NULL(e->payload);
		expand_v2(t, e);
	}
	free(text);
	session_cleanup();
	ASSERT_GT(t->n, 0);
}

static void trace_free(struct trace *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->ev[i].payload);
	free(t->ev);
	free(t->ids);
}

/* Does the payload have field `key` equal to `val` (a number, an enum
 * label, or a string's exact contents)? */
static bool has_field(const char *payload, const char *key, const char *val)
{
	char pat[160];
	const char *p, *end;
	size_t klen = strlen(key);

	for (p = payload; (p = strstr(p, key)) != NULL; p += klen) {
		if (p == payload || (p[-1] != ' ') || (p[-2] != '{' && p[-2] != ','))
			continue;
		if (strncmp(p + klen, " = ", 3) != 0)
			continue;
		p += klen + 3;
		snprintf(pat, sizeof pat, "( \"%s\" :", val);
		if (strncmp(p, pat, strlen(pat)) == 0)
			return true;
		if (*p == '"') {
			end = strchr(p + 1, '"');
			return end && (size_t)(end - p - 1) == strlen(val) &&
			       strncmp(p + 1, val, strlen(val)) == 0;
		}
		end = p + strcspn(p, ", }");
		return (size_t)(end - p) == strlen(val) && strncmp(p, val, strlen(val)) == 0;
	}
	return false;
}

/* Does event e match `name` and every "key=value" of the comma-separated
 * `conds` (NULL: no conditions)? */
static bool ev_match(const struct tev *e, const char *name, const char *conds)
{
	char buf[512], *c, *save = NULL, *eq;

	if (strcmp(e->name, name) != 0)
		return false;
	if (!conds)
		return true;
	snprintf(buf, sizeof buf, "%s", conds);
	for (c = strtok_r(buf, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
		eq = strchr(c, '=');
		if (!eq)
			return false;
		*eq = '\0';
		if (!has_field(e->payload, c, eq + 1))
			return false;
	}
	return true;
}

/* Index of the first matching event at or after `from`, or -1. */
static long tr_find(const struct trace *t, long from, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static long tr_find(const struct trace *t, long from, const char *name, const char *fmt, ...)
{
	char conds[512];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(conds, sizeof conds, fmt, ap);
	va_end(ap);
	for (i = from < 0 ? 0 : (size_t)from; i < t->n; i++)
		if (ev_match(&t->ev[i], name, conds))
			return (long)i;
	return -1;
}

static long tr_count(const struct trace *t, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static long tr_count(const struct trace *t, const char *name, const char *fmt, ...)
{
	char conds[512];
	va_list ap;
	long k = 0;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(conds, sizeof conds, fmt, ap);
	va_end(ap);
	for (i = 0; i < t->n; i++)
		k += ev_match(&t->ev[i], name, conds);
	return k;
}

/* The index of the first matching event at or after `from`; fails the test
 * (naming the caller's line) if there is none. */
static long expect_after(int line, const struct trace *t, long from, const char *name,
			 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static long expect_after(int line, const struct trace *t, long from, const char *name,
			 const char *fmt, ...)
{
	char conds[512];
	va_list ap;
	long i;

	va_start(ap, fmt);
	vsnprintf(conds, sizeof conds, fmt, ap);
	va_end(ap);
	i = tr_find(t, from, name, "%s", conds);
	if (i < 0)
		TEST_FAIL_("line %d: no %s {%s} at or after event %ld", line, name, conds, from);
	return i;
}
#define EXPECT_AFTER(t, from, name, ...) expect_after(__LINE__, (t), (from), (name), __VA_ARGS__)

static uint64_t field_u64(const struct tev *e, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof pat, " %s = ", key);
	p = strstr(e->payload, pat);
	if (!p)
		TEST_FAIL_("event %s has no field %s: %s", e->name, key, e->payload);
	return strtoull(p + strlen(pat), NULL, 10);
}

/* ================= checks ================= */

TEST_IMPL(trace_loop_self_deadlock)
{
	struct trace t;
	uint64_t pool, loop, L, a, c, X;
	long i, start, wb, blocked, enda, mar, sched, we, busy, endL, startc;

	trace_record("deadlock", &t);
	pool = id_of(&t, "pool");
	loop = id_of(&t, "loop");
	L = id_of(&t, "L");
	a = id_of(&t, "a");
	c = id_of(&t, "c");

	EXPECT_AFTER(&t, 0, "context_new", "ctx=%" PRIu64 ",kind=loop,name=ui,workers=1", loop);
	EXPECT_AFTER(&t, 0, "context_new", "ctx=%" PRIu64 ",kind=pool,name=io,workers=1", pool);
	/* The loop's thread binds itself to the loop; L runs there. */
	start = EXPECT_AFTER(&t, 0, "worker_state", "ctx=%" PRIu64 ",state=start", loop);
	X = t.ev[start].vtid;
	i = EXPECT_AFTER(&t, start, "task_start", "task=%" PRIu64 ",ctx=%" PRIu64, L, loop);
	ASSERT_UEQ(t.ev[i].vtid, X);
	EXPECT_AFTER(&t, i, "task_new", "task=%" PRIu64 ",parent=%" PRIu64 ",kind=task", a, L);
	EXPECT_AFTER(&t, i, "task_new",
		     "task=%" PRIu64 ",parent=%" PRIu64 ",kind=continuation", c, L);
	EXPECT_AFTER(&t, i, "continuation_add",
		     "antecedent=%" PRIu64 ",continuation=%" PRIu64 ",ctx=%" PRIu64, a, c, loop);
	/* L blocks on c; the thread says it is blocked. */
	wb = EXPECT_AFTER(&t, i, "wait_begin",
			  "waiter=%" PRIu64 ",awaited=%" PRIu64 ",mode=block", L, c);
	ASSERT_UEQ(t.ev[wb].vtid, X);
	blocked = EXPECT_AFTER(&t, wb, "worker_state", "ctx=%" PRIu64 ",state=blocked", loop);
	ASSERT_UEQ(t.ev[blocked].vtid, X);
	/* a completes on the pool; c is marshalled from the pool to the loop
	 * and queued there, behind L. */
	enda = EXPECT_AFTER(&t, 0, "task_end", "task=%" PRIu64 ",status=ok", a);
	mar = EXPECT_AFTER(&t, enda, "marshal",
			   "task=%" PRIu64 ",from_ctx=%" PRIu64 ",to_ctx=%" PRIu64, c, pool, loop);
	ASSERT_UEQ(t.ev[mar].vtid, t.ev[enda].vtid);
	ASSERT(t.ev[mar].vtid != X);
	sched = EXPECT_AFTER(&t, mar, "task_schedule", "task=%" PRIu64 ",ctx=%" PRIu64, c, loop);
	/* The wait times out (the thread turns busy again inside the wait: the
	 * blocked interval nests in the wait), L ends, then c runs on the
	 * loop's thread. */
	busy = EXPECT_AFTER(&t, sched, "worker_state", "ctx=%" PRIu64 ",state=busy", loop);
	ASSERT_UEQ(t.ev[busy].vtid, X);
	we = EXPECT_AFTER(&t, busy, "wait_end",
			  "waiter=%" PRIu64 ",awaited=%" PRIu64 ",timed_out=1", L, c);
	ASSERT_UEQ(t.ev[we].vtid, X);
	ASSERT_EQ(tr_find(&t, 0, "task_start", "task=%" PRIu64, c) > we, 1);
	endL = EXPECT_AFTER(&t, we, "task_end", "task=%" PRIu64 ",status=ok", L);
	startc = EXPECT_AFTER(&t, endL, "task_start", "task=%" PRIu64 ",ctx=%" PRIu64, c, loop);
	ASSERT_UEQ(t.ev[startc].vtid, X);
	EXPECT_AFTER(&t, startc, "task_end", "task=%" PRIu64 ",status=ok", c);
	i = EXPECT_AFTER(&t, startc, "worker_state", "ctx=%" PRIu64 ",state=stop", loop);
	ASSERT_UEQ(t.ev[i].vtid, X);
	ASSERT_EQ(tr_count(&t, "task_start", "task=%" PRIu64, c), 1);
	trace_free(&t);
	return 0;
}

TEST_IMPL(trace_errors_inline_waits)
{
	struct trace t;
	uint64_t obs, unobs, in0, in1, all, inl, inl2, det, awaited, awaiter, aw, blocker, delay;
	long i, j, k;

	trace_record("errors", &t);
	obs = id_of(&t, "obs");
	unobs = id_of(&t, "unobs");
	in0 = id_of(&t, "in0");
	in1 = id_of(&t, "in1");
	all = id_of(&t, "all");
	inl = id_of(&t, "inl");
	inl2 = id_of(&t, "inl2");
	det = id_of(&t, "det");
	awaited = id_of(&t, "awaited");
	awaiter = id_of(&t, "awaiter");
	aw = id_of(&t, "aw");
	blocker = id_of(&t, "blocker");
	delay = id_of(&t, "delay");

	/* Read twice: observed once, never reported unobserved. */
	ASSERT_EQ(tr_count(&t, "error_observe", "task=%" PRIu64, obs), 1);
	ASSERT_EQ(tr_count(&t, "error_unobserved", "task=%" PRIu64, obs), 0);
	/* Never read: reported when released, with its error and message. */
	ASSERT_EQ(tr_count(&t, "error_observe", "task=%" PRIu64, unobs), 0);
	i = EXPECT_AFTER(&t, 0, "task_end", "task=%" PRIu64 ",status=error,err=-32", unobs);
	EXPECT_AFTER(&t, i, "error_unobserved",
		     "task=%" PRIu64 ",err=-32,msg=failed with -32", unobs);
	/* when_all: a dependency edge per input; the failed input observed. */
	EXPECT_AFTER(&t, 0, "task_new", "task=%" PRIu64 ",kind=when_all", all);
	EXPECT_AFTER(&t, 0, "continuation_add",
		     "antecedent=%" PRIu64 ",continuation=%" PRIu64 ",ctx=0", in0, all);
	EXPECT_AFTER(&t, 0, "continuation_add",
		     "antecedent=%" PRIu64 ",continuation=%" PRIu64 ",ctx=0", in1, all);
	ASSERT_EQ(tr_count(&t, "error_observe", "task=%" PRIu64, in1), 1);
	ASSERT_EQ(tr_count(&t, "error_unobserved", "task=%" PRIu64, in1), 0);
	EXPECT_AFTER(&t, 0, "task_end",
		     "task=%" PRIu64 ",status=error,err=-1,msg=1 of 2 failed: failed with -1", all);
	/* Continuations of a completed antecedent run synchronously: task_inline
	 * then task_end, never scheduled or started. */
	i = EXPECT_AFTER(&t, 0, "task_inline", "task=%" PRIu64, inl);
	EXPECT_AFTER(&t, i, "task_end", "task=%" PRIu64 ",status=ok", inl);
	i = EXPECT_AFTER(&t, 0, "task_inline", "task=%" PRIu64, inl2);
	EXPECT_AFTER(&t, i, "task_end", "task=%" PRIu64 ",status=ok", inl2);
	ASSERT_EQ(tr_count(&t, "task_schedule", "task=%" PRIu64, inl) +
			  tr_count(&t, "task_start", "task=%" PRIu64, inl) +
			  tr_count(&t, "task_schedule", "task=%" PRIu64, inl2) +
			  tr_count(&t, "task_start", "task=%" PRIu64, inl2),
		  0);
	/* A failed detached task nobody handled. */
	EXPECT_AFTER(&t, 0, "task_new", "task=%" PRIu64 ",kind=detached", det);
	i = EXPECT_AFTER(&t, 0, "task_end", "task=%" PRIu64 ",status=error,err=-107", det);
	EXPECT_AFTER(&t, i, "error_unobserved", "task=%" PRIu64, det);
	/* The async wait: begins in the awaiting task, ends when the awaited
	 * completes; its continuation is the awaited's dependent. */
	i = EXPECT_AFTER(&t, 0, "wait_begin",
			 "waiter=%" PRIu64 ",awaited=%" PRIu64 ",mode=async", awaiter, awaited);
	EXPECT_AFTER(&t, 0, "continuation_add",
		     "antecedent=%" PRIu64 ",continuation=%" PRIu64 ",ctx=0", awaited, aw);
	j = EXPECT_AFTER(&t, i, "task_end", "task=%" PRIu64, awaited);
	EXPECT_AFTER(&t, j, "wait_end",
		     "waiter=%" PRIu64 ",awaited=%" PRIu64 ",timed_out=0", awaiter, awaited);
	/* The blocking wait on a pool worker: blocked, then busy again, nested
	 * in the wait. */
	i = EXPECT_AFTER(&t, 0, "wait_begin",
			 "waiter=%" PRIu64 ",awaited=%" PRIu64 ",mode=block", blocker, delay);
	j = EXPECT_AFTER(&t, i, "worker_state", "state=blocked");
	ASSERT_UEQ(t.ev[j].vtid, t.ev[i].vtid);
	EXPECT_AFTER(&t, 0, "task_new", "task=%" PRIu64 ",parent=%" PRIu64 ",kind=timer", delay,
		     blocker);
	j = EXPECT_AFTER(&t, j, "worker_state", "state=busy");
	ASSERT_UEQ(t.ev[j].vtid, t.ev[i].vtid);
	k = EXPECT_AFTER(&t, j, "wait_end",
			 "waiter=%" PRIu64 ",awaited=%" PRIu64 ",timed_out=0", blocker, delay);
	ASSERT_UEQ(t.ev[k].vtid, t.ev[i].vtid);
	ASSERT_GT(k, tr_find(&t, 0, "task_end", "task=%" PRIu64 ",status=ok", delay));
	trace_free(&t);
	return 0;
}

TEST_IMPL(trace_cancellation)
{
	struct trace t;
	uint64_t root, child, coop, f, chk, delay;
	long i, j;

	trace_record("cancel", &t);
	root = id_of(&t, "root");
	child = id_of(&t, "child");
	coop = id_of(&t, "coop");
	f = id_of(&t, "f");
	chk = id_of(&t, "chk");
	delay = id_of(&t, "delay");

	EXPECT_AFTER(&t, 0, "token_new", "token=%" PRIu64 ",parent_token=0", root);
	EXPECT_AFTER(&t, 0, "token_new", "token=%" PRIu64 ",parent_token=%" PRIu64, child, root);
	/* Canceling the parent cancels the linked child, same thread, after. */
	i = EXPECT_AFTER(&t, 0, "cancel_request", "token=%" PRIu64 ",reason=user", root);
	j = EXPECT_AFTER(&t, i, "cancel_request", "token=%" PRIu64 ",reason=user", child);
	ASSERT_UEQ(t.ev[j].vtid, t.ev[i].vtid);
	/* Canceled before it started: observed, ended canceled, never run. */
	EXPECT_AFTER(&t, 0, "task_new", "task=%" PRIu64 ",token=%" PRIu64, f, child);
	i = EXPECT_AFTER(&t, j, "cancel_observe", "token=%" PRIu64 ",task=%" PRIu64, child, f);
	EXPECT_AFTER(&t, i, "task_end", "task=%" PRIu64 ",status=canceled,err=-125", f);
	ASSERT_EQ(tr_count(&t, "task_start", "task=%" PRIu64, f), 0);
	/* The cooperative check, on the task's own thread. */
	i = EXPECT_AFTER(&t, 0, "task_start", "task=%" PRIu64, chk);
	j = EXPECT_AFTER(&t, i, "cancel_request", "token=%" PRIu64 ",reason=enough", coop);
	j = EXPECT_AFTER(&t, j, "cancel_observe", "token=%" PRIu64 ",task=%" PRIu64, coop, chk);
	ASSERT_UEQ(t.ev[j].vtid, t.ev[i].vtid);
	EXPECT_AFTER(&t, j, "task_end", "task=%" PRIu64 ",status=canceled", chk);
	/* A delay carrying the token: ended canceled by it. */
	EXPECT_AFTER(&t, 0, "task_new", "task=%" PRIu64 ",token=%" PRIu64 ",kind=timer", delay,
		     coop);
	i = EXPECT_AFTER(&t, 0, "cancel_observe", "token=%" PRIu64 ",task=%" PRIu64, coop, delay);
	EXPECT_AFTER(&t, i, "task_end", "task=%" PRIu64 ",status=canceled", delay);
	trace_free(&t);
	return 0;
}

TEST_IMPL(trace_pool_threads_and_samples)
{
	struct trace t;
	uint64_t pool, loop, l, vt[2], last_state[2] = { 99, 99 };
	uint64_t pq = 0, pb = 0, pw = 0, maxq = 0, q, b, w;
	long i, starts = 0, stops = 0, samples = 0, st;
	bool have_prev = false;
	size_t e;
	int k;

	trace_record("pool", &t);
	pool = id_of(&t, "pool");
	loop = id_of(&t, "loop");
	l = id_of(&t, "l");

	for (e = 0; e < t.n; e++) {
		struct tev *ev = &t.ev[e];

		if (ev_match(ev, "worker_state", NULL) && field_u64(ev, "ctx") == pool) {
			if (has_field(ev->payload, "state", "start")) {
				ASSERT_LT(starts, 2);
				vt[starts++] = ev->vtid;
				continue;
			}
			for (k = 0; k < (int)starts && vt[k] != ev->vtid; k++)
				;
			ASSERT_LT(k, starts); /* only threads that started */
			st = has_field(ev->payload, "state", "stop")	  ? 1
			     : has_field(ev->payload, "state", "idle")	  ? 2
			     : has_field(ev->payload, "state", "busy")	  ? 3
			     : has_field(ev->payload, "state", "blocked") ? 4
									  : 0;
			ASSERT_NE(st, 0);
			/* Transitions only: never the same state twice. */
			ASSERT_NE((uint64_t)st, last_state[k]);
			last_state[k] = (uint64_t)st;
			stops += st == 1;
		}
		if (ev_match(ev, "task_start", NULL) && field_u64(ev, "ctx") == pool) {
			/* Run by a thread that announced itself as this pool's. */
			ASSERT((starts > 0 && ev->vtid == vt[0]) ||
			       (starts > 1 && ev->vtid == vt[1]));
		}
		if (ev_match(ev, "pool_sample", NULL) && field_u64(ev, "ctx") == pool) {
			q = field_u64(ev, "queued");
			b = field_u64(ev, "busy");
			w = field_u64(ev, "workers");
			/* Coalesced: each sample differs from the one before. */
			ASSERT(!have_prev || q != pq || b != pb || w != pw);
			ASSERT_LE(b, 2);
			ASSERT_LE(w, 2);
			ASSERT_LE(q, 300);
			if (q > maxq)
				maxq = q;
			pq = q;
			pb = b;
			pw = w;
			have_prev = true;
			samples++;
		}
	}
	ASSERT_EQ(starts, 2);
	ASSERT_NE(vt[0], vt[1]);
	ASSERT_EQ(stops, 2);
	ASSERT_GT(samples, 2);
	ASSERT_GT(maxq, 1);    /* the queue did build up */
	ASSERT_UEQ(pw, 0);     /* last sample: every worker gone */
	ASSERT_UEQ(pq, 0);
	ASSERT_EQ(tr_count(&t, "task_start", "ctx=%" PRIu64, pool), 300);
	ASSERT_EQ(tr_count(&t, "task_end", "status=ok"), 301);
	/* The loop run by the caller: bound to the main thread for the run. */
	i = EXPECT_AFTER(&t, 0, "worker_state", "ctx=%" PRIu64 ",state=start", loop);
	ASSERT_UEQ(t.ev[i].vtid, t.ev[0].vtid); /* context_new came from main */
	ASSERT_EQ(tr_count(&t, "worker_state", "ctx=%" PRIu64 ",state=start", loop), 1);
	st = EXPECT_AFTER(&t, i, "task_start", "task=%" PRIu64 ",ctx=%" PRIu64, l, loop);
	ASSERT_UEQ(t.ev[st].vtid, t.ev[0].vtid);
	st = EXPECT_AFTER(&t, st, "worker_state", "ctx=%" PRIu64 ",state=stop", loop);
	ASSERT_UEQ(t.ev[st].vtid, t.ev[0].vtid);
	/* pool_sample is for pools only. */
	ASSERT_EQ(tr_count(&t, "pool_sample", "ctx=%" PRIu64, loop), 0);
	trace_free(&t);
	return 0;
}

/* The recorded queue depth follows the truth within the sample window even
 * when nothing else happens: with 6 tasks queued behind 2 blocked workers for
 * 1.15 s, the samples say "6 queued" for at least 1 s of it (they used to say
 * 1 until the next change, since a coalesced change waited for one). */
TEST_IMPL(trace_pool_depth_flushed)
{
	struct trace t;
	uint64_t pool;
	int64_t at_six = 0, prev_ts = 0;
	bool prev_six = false;
	size_t e;

	trace_record("depth", &t);
	pool = id_of(&t, "pool");
	for (e = 0; e < t.n; e++) {
		struct tev *ev = &t.ev[e];

		if (!ev_match(ev, "pool_sample", NULL) || field_u64(ev, "ctx") != pool)
			continue;
		if (prev_six)
			at_six += ev->ts - prev_ts;
		prev_six = field_u64(ev, "queued") >= 6;
		prev_ts = ev->ts;
	}
	ASSERT(!prev_six); /* the queue drained, and the samples say so */
	if (at_six < 1000 * MS)
		TEST_FAIL_("samples show >= 6 queued for %.3f s, want >= 1 s",
			   (double)at_six / 1e9);
	trace_free(&t);
	return 0;
}

/* Token names, and every parent of a linked token: a cancellation through
 * the second parent follows a recorded edge. */
TEST_IMPL(trace_token_names_and_parents)
{
	struct trace t;
	uint64_t a, b, ab;
	long i;

	trace_record("tokens", &t);
	a = id_of(&t, "a");
	b = id_of(&t, "b");
	ab = id_of(&t, "ab");
	EXPECT_AFTER(&t, 0, "token_new", "token=%" PRIu64 ",parent_token=0,name=request", a);
	EXPECT_AFTER(&t, 0, "token_new", "token=%" PRIu64 ",parent_token=0,name=shutdown", b);
	i = EXPECT_AFTER(&t, 0, "token_new", "token=%" PRIu64 ",parent_token=%" PRIu64, ab, a);
	i = EXPECT_AFTER(&t, i, "token_link", "token=%" PRIu64 ",parent=%" PRIu64, ab, b);
	i = EXPECT_AFTER(&t, i, "cancel_request", "token=%" PRIu64 ",reason=stop", b);
	EXPECT_AFTER(&t, i, "cancel_request", "token=%" PRIu64, ab);
	ASSERT_EQ(tr_count(&t, "cancel_request", "token=%" PRIu64, a), 0);
	trace_free(&t);
	return 0;
}

static const struct test_entry tests[] = {
	TEST_ENTRY_TIMEOUT(trace_pool_depth_flushed, 60)
	TEST_ENTRY_TIMEOUT(trace_token_names_and_parents, 60)
	TEST_ENTRY_TIMEOUT(trace_loop_self_deadlock, 60)
	TEST_ENTRY_TIMEOUT(trace_errors_inline_waits, 60)
	TEST_ENTRY_TIMEOUT(trace_cancellation, 60)
	TEST_ENTRY_TIMEOUT(trace_pool_threads_and_samples, 60)
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc == 3 && strcmp(argv[1], "--scenario") == 0) {
		for (i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
			if (strcmp(argv[2], scenarios[i].name) == 0) {
				say("pid", (uint64_t)getpid());
				return scenarios[i].fn();
			}
		}
		fprintf(stderr, "%s: no scenario named '%s'\n", argv[0], argv[2]);
		return 2;
	}
	return test_runner_main(argc, argv, tests, sizeof tests / sizeof tests[0]);
}
