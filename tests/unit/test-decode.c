/*
 * Tests of the trace decoder (daemon/decode.c) on real traces: each test
 * records gen-trace (a libweft program emitting known events) with the lttng
 * CLI against the running session daemon, then decodes the output with
 * decode_trace() and checks what comes out against what gen-trace emitted:
 * counts per kind, every field of every event, time order, vpid/vtid,
 * procname, hostname, loss, and the refusals (not a trace, corrupt, not a
 * weft trace).
 *
 * Needs a reachable lttng-sessiond (root's, or the user's own).  Sessions are
 * named "h-dec-<pid>-<n>" and destroyed at exit, also when a test fails; the
 * recorded traces are deleted too, unless WEFT_TEST_KEEP is set.  Under
 * -DWEFT_SANITIZE=ON each test ends with a leak check; run it through ctest,
 * which passes tests/lsan.supp for libbabeltrace2's own leaks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "decode.h"
#include "runner.h"

extern char **environ;

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(WEFT_TEST_ASAN)
#include <sanitizer/lsan_interface.h>
/* The runner ends a passing test with _exit(), where LeakSanitizer does not
 * look: each test asks for a leak check at its end instead.  CTest gives the
 * suppressions for libbabeltrace2's own leaks (tests/lsan.supp). */
#define LEAK_CHECK() ASSERT_EQ(__lsan_do_recoverable_leak_check(), 0)
#else
#define LEAK_CHECK() ((void)0)
#endif

#define BIG_CTX 0xfedcba9876543210ull
#define POOL_CTX 0x5000ull
#define NASTY "ctl\x01\x1b[31m\x7f|bad\xff\xfe\xc3(|tab\tnl\n"
#define BURST_LOSSY 200000


/* ---- running commands and recording ------------------------------------ */

static char tmp_root[PATH_MAX];
static char session[64];
/* gen-trace runs through a symbolic link named "gd-<test pid>": that name is
 * its procname, unique to this test, and the sessions record only threads
 * of that name. */
static char gen_name[16], gen_path[PATH_MAX + 32];
static int session_seq;

static void run_argv(const char *const *argv, const char *out_path, int must_succeed,
		     int *status_out, pid_t *pid_out);

/* Destroys the session and deletes the traces: at exit when a test fails
 * (exit() runs atexit handlers), and called by each test at its end (the
 * runner ends a passing test with _exit(), which does not). */
static void cleanup(void)
{
	if (session[0]) {
		const char *argv[] = { "lttng", "destroy", session, NULL };

		session[0] = '\0';
		run_argv(argv, NULL, 0, NULL, NULL);
	}
	if (tmp_root[0] && getenv("WEFT_TEST_KEEP")) {
		fprintf(stderr, "# kept %s\n", tmp_root);
	} else if (tmp_root[0]) {
		const char *argv[] = { "rm", "-rf", tmp_root, NULL };

		run_argv(argv, NULL, 0, NULL, NULL);
		tmp_root[0] = '\0';
	}
}

/* Runs argv with stdout to out_path (or /dev/null) and stderr to a file shown
 * when the command fails; fails the test if must_succeed and it does. */
static void run_argv(const char *const *argv, const char *out_path, int must_succeed,
		     int *status_out, pid_t *pid_out)
{
	char errfile[PATH_MAX + 16];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = -1, i;

	snprintf(errfile, sizeof(errfile), "%s/stderr.txt", tmp_root[0] ? tmp_root : "/tmp");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out_path ? out_path : "/dev/null",
					 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ) == 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	posix_spawn_file_actions_destroy(&fa);
	if (status_out)
		*status_out = status;
	if (pid_out)
		*pid_out = pid;
	if (must_succeed && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		char line[512];
		FILE *f = fopen(errfile, "r");

		fprintf(stderr, "# command failed (status %d):", status);
		for (i = 0; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		fputc('\n', stderr);
		while (f && fgets(line, sizeof(line), f))
			fprintf(stderr, "#   %s", line);
		if (f)
			fclose(f);
		TEST_FAIL_("command failed: %s", argv[0]);
	}
}

#define RUN(...) \
	do { \
		const char *argv_[] = { __VA_ARGS__, NULL }; \
		run_argv(argv_, NULL, 1, NULL, NULL); \
	} while (0)

static void setup(void)
{
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/weft-test-decode-XXXXXX");
	if (!mkdtemp(tmp_root)) {
		tmp_root[0] = '\0';
		TEST_FAIL_("mkdtemp: %s", strerror(errno));
	}
	atexit(cleanup);
	snprintf(gen_name, sizeof(gen_name), "gd-%d", (int)getpid());
	snprintf(gen_path, sizeof(gen_path), "%s/%s", tmp_root, gen_name);
	if (symlink(GEN_TRACE, gen_path) != 0)
		TEST_FAIL_("symlink %s: %s", GEN_TRACE, strerror(errno));
}

static void path_in_tmp(char *buf, size_t len, const char *name)
{
	ASSERT((size_t)snprintf(buf, len, "%s/%s", tmp_root, name) < len);
}

struct rec_opts {
	int tiny_buffers; /* 2 x 4 KiB sub-buffers: a burst must lose events */
	int no_weft;      /* enable only lttng_ust_statedump:*, not weft:* */
};

/* Creates and starts a session writing to tmp_root/<name>. */
static void session_begin(const char *name, const struct rec_opts *o, char *out, size_t outlen)
{
	char output[PATH_MAX + 16], filter[64];

	path_in_tmp(out, outlen, name);
	snprintf(session, sizeof(session), "h-dec-%d-%d", (int)getpid(), ++session_seq);
	snprintf(output, sizeof(output), "--output=%s", out);
	RUN("lttng", "create", session, output);
	if (o->tiny_buffers)
		RUN("lttng", "enable-channel", "-u", "-s", session, "--subbuf-size=4096",
		    "--num-subbuf=2", "ch");
	else
		RUN("lttng", "enable-channel", "-u", "-s", session, "ch");
	/* Only gen-trace's threads (gen_name, and "<gen_name>-ust" for the
	 * statedump): other programs of this uid (other test suites) run
	 * meanwhile, share the per-uid buffers, and their events would make
	 * the counts and the losses differ from what gen-trace emitted. */
	snprintf(filter, sizeof(filter), "$ctx.procname == \"%s*\"", gen_name);
	if (!o->no_weft)
		RUN("lttng", "enable-event", "-u", "-s", session, "-c", "ch", "weft:*",
		    "--filter", filter);
	RUN("lttng", "enable-event", "-u", "-s", session, "-c", "ch", "lttng_ust_statedump:*",
	    "--filter", filter);
	RUN("lttng", "add-context", "-u", "-s", session, "-c", "ch", "-t", "vpid", "-t", "vtid",
	    "-t", "procname");
	RUN("lttng", "start", session);
}

/* Runs gen-trace with its arguments; returns its pid. */
static pid_t gen(const char *mode, const char *arg)
{
	const char *argv[] = { gen_path, mode, arg, NULL };
	pid_t pid;

	run_argv(argv, NULL, 1, NULL, &pid);
	return pid;
}

/* Stops the session (flushing everything); returns the channel's discarded
 * event count as `lttng list` reports it. */
static uint64_t session_stop(void)
{
	char listing[PATH_MAX], line[512];
	const char *argv[] = { "lttng", "list", session, NULL };
	long long discarded = -1;
	FILE *f;

	RUN("lttng", "stop", session);
	path_in_tmp(listing, sizeof(listing), "lttng-list.txt");
	run_argv(argv, listing, 1, NULL, NULL);
	f = fopen(listing, "r");
	ASSERT_NOT_NULL(f);
	while (fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "Discarded events:");

		if (p)
			discarded = strtoll(p + strlen("Discarded events:"), NULL, 10);
	}
	fclose(f);
	ASSERT_GE(discarded, 0);
	return (uint64_t)discarded;
}

static void session_end(void)
{
	RUN("lttng", "destroy", session);
	session[0] = '\0';
}

/* Records `gen-trace mode arg` into tmp_root/<name>; returns gen-trace's pid. */
static pid_t record(const char *name, const struct rec_opts *o, const char *mode,
		    const char *arg, char *out, size_t outlen)
{
	pid_t pid;

	session_begin(name, o, out, outlen);
	pid = gen(mode, arg);
	session_stop();
	session_end();
	return pid;
}

/* ---- what the callbacks saw ------------------------------------------- */

struct got_event {
	struct store_event ev;
	char procname[32];
	char s0[WEFT_STR_MAX + 1], s1[WEFT_STR_MAX + 1];
};

struct got_process {
	int32_t vpid;
	char procname[32];
	int64_t ts;
};

struct got {
	struct got_event *ev;
	size_t n, cap;
	struct got_process proc[8];
	size_t nproc;
	uint64_t loss_msgs, loss_count;
	int bad_loss;     /* a loss message without count, range or stream */
	int64_t last_ts;
	int out_of_order; /* a callback earlier in time than the previous one */
	size_t calls;       /* callbacks of any kind */
	size_t event_calls;
	size_t abort_at;    /* event callback number (1-based) that returns -EINTR */
};

static void copy_str(char *dst, size_t dstlen, const char *s, uint32_t len)
{
	ASSERT_NOT_NULL(s);
	if (strlen(s) != len)
		TEST_FAIL_("string \"%s\" has length %zu, decoder says %u", s, strlen(s), len);
	ASSERT_LT(len, dstlen);
	memcpy(dst, s, len);
	dst[len] = '\0';
}

static void saw_time(struct got *g, int64_t ts)
{
	if (ts < g->last_ts)
		g->out_of_order = 1;
	g->last_ts = ts;
}

static int on_event(void *arg, const struct store_event *ev)
{
	struct got *g = arg;
	struct got_event *e;

	g->calls++;
	g->event_calls++;
	if (g->abort_at && g->event_calls == g->abort_at)
		return -EINTR;
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 64;
		g->ev = realloc(g->ev, g->cap * sizeof(*g->ev));
		ASSERT_NOT_NULL(g->ev);
	}
	e = &g->ev[g->n++];
	e->ev = *ev;
	ASSERT_NOT_NULL(ev->procname);
	snprintf(e->procname, sizeof(e->procname), "%s", ev->procname);
	copy_str(e->s0, sizeof(e->s0), ev->s0, ev->s0_len);
	copy_str(e->s1, sizeof(e->s1), ev->s1, ev->s1_len);
	/* The copies live in the array, which moves: no pointers to them. */
	e->ev.procname = e->ev.s0 = e->ev.s1 = NULL;
	saw_time(g, ev->ts_ns);
	return 0;
}

static int on_loss(void *arg, const struct decode_loss *l)
{
	struct got *g = arg;

	g->calls++;
	g->loss_msgs++;
	g->loss_count += l->count;
	if (!l->has_count || !l->has_range || l->begin_ns > l->end_ns || !l->stream ||
	    !strstr(l->stream, "ch_") || l->kind != DECODE_LOSS_EVENTS)
		g->bad_loss = 1;
	return 0;
}

static int on_process(void *arg, int32_t vpid, const char *procname, int64_t ts)
{
	struct got *g = arg;
	struct got_process *p;

	g->calls++;
	ASSERT_LT(g->nproc, sizeof(g->proc) / sizeof(g->proc[0]));
	p = &g->proc[g->nproc++];
	p->vpid = vpid;
	snprintf(p->procname, sizeof(p->procname), "%s", procname);
	p->ts = ts;
	saw_time(g, ts);
	return 0;
}

static int decode(const char *dir, struct got *g, struct decode_stats *st, char *err,
		  size_t errlen)
{
	struct decode_cb cb = { on_event, on_loss, on_process, g };

	return decode_trace(dir, &cb, st, err, errlen);
}

static size_t count_kind(const struct got *g, enum weft_event kind)
{
	size_t i, n = 0;

	for (i = 0; i < g->n; i++)
		n += g->ev[i].ev.kind == kind;
	return n;
}

/* An error message is one line, says what failed and names the path. */
static void assert_err_line(const char *err, const char *path, const char *needle)
{
	char want[PATH_MAX + 16];
	size_t i;

	snprintf(want, sizeof(want), ": path=%s", path);
	if (strncmp(err, "Cannot decode trace: ", 21) != 0 || !strstr(err, want) ||
	    !strstr(err, needle))
		TEST_FAIL_("unexpected error message: \"%s\" (want \"%s\" and \"%s\")", err, needle,
			   want);
	for (i = 0; err[i]; i++)
		ASSERT((unsigned char)err[i] >= 0x20);
}

/* ---- the expectations: what gen-trace basic emits ---------------------- */

struct expect {
	enum weft_event kind;
	uint64_t id0, id1, id2;
	int64_t n0, n1, n2;
	const char *s0, *s1;
};

/* On the main thread, in order.  n2 of context_new is the CPU count (-1
 * here, checked apart); LONG stands for 256 'L' (a 300-byte string cut). */
#define LONG "(256 L)"
static const struct expect main_thread[] = {
	{ WEFT_EV_context_new, BIG_CTX, 0, 0, WEFT_CTX_LOOP, 1, -1, "loop-1", "" },
	{ WEFT_EV_task_new, 101, 100, 7, WEFT_TASK_CONTINUATION, 0, 0, NASTY, "site.c:42" },
	{ WEFT_EV_task_schedule, 101, BIG_CTX, 0, 0, 0, 0, "", "" },
	{ WEFT_EV_task_start, 101, BIG_CTX, 0, 0, 0, 0, "", "" },
	{ WEFT_EV_task_end, 101, 0, 0, WEFT_STATUS_ERROR, -110, 0, "timed out", "" },
	{ WEFT_EV_task_inline, 102, 0, 0, 0, 0, 0, "", "" },
	{ WEFT_EV_continuation_add, 101, 103, POOL_CTX, 0, 0, 0, "", "" },
	{ WEFT_EV_marshal, 103, POOL_CTX, BIG_CTX, 0, 0, 0, "", "" },
	{ WEFT_EV_wait_begin, 104, 101, 0, WEFT_WAIT_BLOCK, 0, 0, "", "" },
	{ WEFT_EV_wait_end, 104, 101, 0, 1, 0, 0, "", "" },
	{ WEFT_EV_error_observe, 101, 0, 0, 0, 0, 0, "", "" },
	{ WEFT_EV_error_unobserved, 105, 0, 0, -5, 0, 0, "", "" },
	{ WEFT_EV_token_new, 8, 7, 0, 0, 0, 0, "", "" },
	{ WEFT_EV_cancel_request, 8, 0, 0, 0, 0, 0, LONG, "" },
	{ WEFT_EV_cancel_observe, 8, 106, 0, 0, 0, 0, "", "" },
	{ WEFT_EV_pool_sample, POOL_CTX, 0, 0, 9, 4, 4, "", "" },
	{ WEFT_EV_worker_state, POOL_CTX, 0, 0, WEFT_WORKER_BLOCKED, 0, 0, "", "" },
	{ WEFT_EV_block_begin, 0, 0, 0, 0, 0, 0, "read(fd=3)", "" },
	{ WEFT_EV_block_end, 0, 0, 0, 0, 0, 0, "", "" },
	{ WEFT_EV_annotate, 101, 0, 0, 0, 0, 0, "key", "" },
	{ WEFT_EV_task_schedule, 1000, POOL_CTX, 0, 0, 0, 0, "", "" },
	{ WEFT_EV_task_schedule, 1001, POOL_CTX, 0, 0, 0, 0, "", "" },
	{ WEFT_EV_task_schedule, 1002, POOL_CTX, 0, 0, 0, 0, "", "" },
	{ WEFT_EV_task_schedule, 1003, POOL_CTX, 0, 0, 0, 0, "", "" },
	{ WEFT_EV_task_schedule, 1004, POOL_CTX, 0, 0, 0, 0, "", "" },
	{ WEFT_EV_task_inline, 2000, 0, 0, 0, 0, 0, "", "" },
	{ WEFT_EV_task_inline, 2001, 0, 0, 0, 0, 0, "", "" },
	{ WEFT_EV_task_inline, 2002, 0, 0, 0, 0, 0, "", "" },
	/* v2: token_new's name, token_link; task_submit and task_next reach the
	 * callback as the v1 events they stand for. */
	{ WEFT_EV_token_new, 9, 8, 0, 0, 0, 0, "req-9", "" },
	{ WEFT_EV_token_link, 9, 7, 0, 0, 0, 0, "", "" },
	{ WEFT_EV_task_new, 107, 101, 9, WEFT_TASK_TASK, 0, 0, "fetch", "site.c:50" },
	{ WEFT_EV_task_schedule, 107, POOL_CTX, 0, 0, 0, 0, "", "" },
	{ WEFT_EV_task_end, 107, 0, 0, WEFT_STATUS_OK, 0, 0, "", "" },
	{ WEFT_EV_task_start, 108, POOL_CTX, 0, 0, 0, 0, "", "" },
	{ WEFT_EV_task_end, 108, 0, 0, WEFT_STATUS_OK, 0, 0, "", "" },
};

static const struct expect second_thread[] = {
	{ WEFT_EV_worker_state, POOL_CTX, 0, 0, WEFT_WORKER_BUSY, 0, 0, "", "" },
	{ WEFT_EV_pool_sample, POOL_CTX, 0, 0, 3, 2, 4, "", "" },
};

static void check_event(const char *where, size_t i, const struct got_event *g,
			const struct expect *x)
{
	const struct store_event *e = &g->ev;
	char longs[WEFT_STR_MAX + 1];
	const char *s0 = x->s0;
	int64_t n2 = x->n2;

	memset(longs, 'L', WEFT_STR_MAX);
	longs[WEFT_STR_MAX] = '\0';
	if (strcmp(s0, LONG) == 0)
		s0 = longs;
	if (x->kind == WEFT_EV_context_new)
		n2 = sysconf(_SC_NPROCESSORS_ONLN);
	if (e->kind != x->kind || e->id0 != x->id0 || e->id1 != x->id1 || e->id2 != x->id2 ||
	    e->n0 != x->n0 || e->n1 != x->n1 || e->n2 != n2 || strcmp(g->s0, s0) != 0 ||
	    strcmp(g->s1, x->s1) != 0)
		TEST_FAIL_("%s event %zu: got kind %d ids %" PRIu64 ",%" PRIu64 ",%" PRIu64
			   " n %" PRId64 ",%" PRId64 ",%" PRId64 " s0 \"%s\" s1 \"%s\"; want "
			   "kind %d ids %" PRIu64 ",%" PRIu64 ",%" PRIu64 " n %" PRId64 ",%" PRId64
			   ",%" PRId64 " s0 \"%s\" s1 \"%s\"",
			   where, i, e->kind, e->id0, e->id1, e->id2, e->n0, e->n1, e->n2, g->s0,
			   g->s1, x->kind, x->id0, x->id1, x->id2, x->n0, x->n1, n2, s0, x->s1);
}

/* Checks one gen-trace basic run (pid) among the events of g. */
static void check_basic_run(const struct got *g, pid_t pid)
{
	size_t i, nmain = 0, nsecond = 0;
	int32_t second_tid = 0;

	for (i = 0; i < g->n; i++) {
		const struct store_event *e = &g->ev[i].ev;

		if (e->vpid != pid)
			continue;
		ASSERT_STR_EQ(g->ev[i].procname, gen_name);
		if (e->vtid == pid) {
			ASSERT_LT(nmain, sizeof(main_thread) / sizeof(main_thread[0]));
			check_event("main-thread", nmain, &g->ev[i], &main_thread[nmain]);
			nmain++;
		} else {
			if (!second_tid)
				second_tid = e->vtid;
			ASSERT_EQ(e->vtid, second_tid);
			ASSERT_LT(nsecond, 2);
			check_event("second-thread", nsecond, &g->ev[i], &second_thread[nsecond]);
			nsecond++;
		}
	}
	ASSERT_EQ(nmain, sizeof(main_thread) / sizeof(main_thread[0]));
	ASSERT_EQ(nsecond, 2);
}

/* ---- the tests ---------------------------------------------------------- */

TEST_IMPL(decode_basic)
{
	struct decode_stats st;
	struct got g = { 0 };
	char dir[PATH_MAX], err[1024], host[256] = "";
	struct rec_opts o = { 0 };
	pid_t pid;
	int rc, k;

	setup();
	pid = record("basic", &o, "basic", NULL, dir, sizeof(dir));
	rc = decode(dir, &g, &st, err, sizeof(err));
	if (rc != 0)
		TEST_FAIL_("decode_trace: %d: %s", rc, err);
	ASSERT_STR_EQ(err, "");

	/* Counts: 20 v1 kinds once, then 5 task_schedule + 3 task_inline, 5 v2
	 * events (7 callbacks), then 2 events from the second thread; plus the
	 * statedump of one process. */
	ASSERT_EQ(st.traces, 1);
	ASSERT_UEQ(st.weft_events, 35);
	ASSERT_EQ(g.n, 37);
	ASSERT_UEQ(st.events, st.weft_events + st.other_events);
	ASSERT_GT(st.other_events, 1); /* statedump start, bin_info, ..., end */
	ASSERT_UEQ(st.loss_msgs, 0);
	ASSERT_UEQ(st.discarded_events, 0);
	for (k = 0; k < WEFT_EVENT_COUNT; k++) {
		size_t want = k == WEFT_EV_task_schedule ? 7 : k == WEFT_EV_task_inline ? 4
			      : k == WEFT_EV_pool_sample || k == WEFT_EV_worker_state ||
					k == WEFT_EV_task_new || k == WEFT_EV_task_start ||
					k == WEFT_EV_token_new ? 2
			      : k == WEFT_EV_task_end ? 3
			      : k == WEFT_EV_task_submit || k == WEFT_EV_task_next ? 0 : 1;

		if (count_kind(&g, (enum weft_event)k) != want)
			TEST_FAIL_("kind %d: %zu events, want %zu", k,
				   count_kind(&g, (enum weft_event)k), want);
	}
	check_basic_run(&g, pid);
	/* task_next's end is stamped end_delta before the event: 2 ms before
	 * the next task's start, which has the event's own time. */
	for (k = 0; k + 1 < (int)g.n; k++)
		if (g.ev[k].ev.kind == WEFT_EV_task_end && g.ev[k].ev.id0 == 107)
			ASSERT_EQ(g.ev[k + 1].ev.ts_ns - g.ev[k].ev.ts_ns, 2000000);

	/* Time order, and the process start comes before its events. */
	ASSERT_EQ(g.out_of_order, 0);
	ASSERT_UEQ(st.processes, 1);
	ASSERT_EQ(g.nproc, 1);
	ASSERT_EQ(g.proc[0].vpid, pid);
	ASSERT_STR_EQ(g.proc[0].procname, gen_name);
	ASSERT_LE(g.proc[0].ts, g.ev[0].ev.ts_ns);
	/* Timestamps are ns since the Unix epoch: within a minute of now. */
	ASSERT_LT(llabs(g.ev[0].ev.ts_ns / 1000000000 - (int64_t)time(NULL)), 60);

	gethostname(host, sizeof(host) - 1);
	ASSERT_STR_EQ(st.hostname, host);
	free(g.ev);
	cleanup();
	LEAK_CHECK();
	return 0;
}

/* The ingest path: each archived rotation chunk is a trace directory of its
 * own; the session's whole output decodes as both chunks merged. */
TEST_IMPL(decode_rotation_chunks)
{
	struct decode_stats st;
	char dir[PATH_MAX], chunk[2][PATH_MAX + 300], err[1024], archives[PATH_MAX + 16];
	struct rec_opts o = { 0 };
	struct got g = { 0 };
	struct dirent **names;
	pid_t pid1, pid2;
	size_t i;
	int n, rc;

	setup();
	session_begin("rot", &o, dir, sizeof(dir));
	pid1 = gen("basic", NULL);
	RUN("lttng", "rotate", session);
	pid2 = gen("burst", "100");
	session_stop();
	session_end();

	snprintf(archives, sizeof(archives), "%s/archives", dir);
	n = scandir(archives, &names, NULL, alphasort);
	ASSERT_EQ(n, 4); /* ".", "..", two chunks: the names sort by time */
	for (i = 0; i < 2; i++)
		snprintf(chunk[i], sizeof(chunk[i]), "%s/%s", archives, names[i + 2]->d_name);
	for (i = 0; i < (size_t)n; i++)
		free(names[i]);
	free(names);

	rc = decode(chunk[0], &g, &st, err, sizeof(err));
	if (rc != 0)
		TEST_FAIL_("decode_trace: %d: %s", rc, err);
	ASSERT_UEQ(st.weft_events, 35);
	check_basic_run(&g, pid1);
	ASSERT_EQ(g.nproc, 1);
	ASSERT_EQ(g.proc[0].vpid, pid1);

	free(g.ev);
	memset(&g, 0, sizeof(g));
	rc = decode(chunk[1], &g, &st, err, sizeof(err));
	if (rc != 0)
		TEST_FAIL_("decode_trace: %d: %s", rc, err);
	ASSERT_UEQ(st.weft_events, 100);
	for (i = 0; i < g.n; i++) {
		ASSERT_EQ(g.ev[i].ev.kind, WEFT_EV_task_schedule);
		ASSERT_UEQ(g.ev[i].ev.id0, i + 1); /* one thread: emission order */
		ASSERT_UEQ(g.ev[i].ev.id1, 77);
		ASSERT_EQ(g.ev[i].ev.vpid, pid2);
	}
	ASSERT_EQ(g.nproc, 1);
	ASSERT_EQ(g.proc[0].vpid, pid2);

	free(g.ev);
	memset(&g, 0, sizeof(g));
	rc = decode(dir, &g, &st, err, sizeof(err));
	if (rc != 0)
		TEST_FAIL_("decode_trace: %d: %s", rc, err);
	ASSERT_EQ(st.traces, 2);
	ASSERT_UEQ(st.weft_events, 135);
	ASSERT_EQ(g.nproc, 2);
	ASSERT_EQ(g.out_of_order, 0);
	check_basic_run(&g, pid1);
	free(g.ev);
	cleanup();
	LEAK_CHECK();
	return 0;
}

/* Tiny sub-buffers and a burst: events are lost, and the decoder reports
 * exactly as many as the channel counted; recorded + lost = emitted. */
TEST_IMPL(decode_loss)
{
	struct decode_stats st;
	struct rec_opts o = { .tiny_buffers = 1 };
	struct got g = { 0 };
	char dir[PATH_MAX], err[1024], burst[32];
	uint64_t lttng_discarded, prev = 0;
	size_t i;
	int rc;

	setup();
	snprintf(burst, sizeof(burst), "%d", BURST_LOSSY);
	session_begin("loss", &o, dir, sizeof(dir));
	gen("burst", burst);
	lttng_discarded = session_stop();
	session_end();

	rc = decode(dir, &g, &st, err, sizeof(err));
	if (rc != 0)
		TEST_FAIL_("decode_trace: %d: %s", rc, err);
	ASSERT_GT(lttng_discarded, 0); /* else this test proves nothing */
	ASSERT_UEQ(st.discarded_events, lttng_discarded);
	ASSERT_UEQ(g.loss_count, lttng_discarded);
	ASSERT_UEQ(g.loss_msgs, st.loss_msgs);
	ASSERT_UEQ(st.unknown_loss_msgs, 0);
	ASSERT_EQ(g.bad_loss, 0);
	ASSERT_UEQ(st.weft_events + st.discarded_events, BURST_LOSSY);
	/* What survived is an increasing subsequence of the emitted ids. */
	for (i = 0; i < g.n; i++) {
		ASSERT_GT(g.ev[i].ev.id0, prev);
		prev = g.ev[i].ev.id0;
	}
	ASSERT_LE(prev, BURST_LOSSY);
	free(g.ev);
	cleanup();
	LEAK_CHECK();
	return 0;
}

/* An idle weft session (weft events enabled, none emitted) is an empty
 * chunk, not an error: weftd sees many of those. */
TEST_IMPL(decode_idle_weft_trace)
{
	struct decode_stats st;
	struct rec_opts o = { 0 };
	struct got g = { 0 };
	char dir[PATH_MAX], err[1024];
	int rc;

	setup();
	record("idle", &o, "burst", "0", dir, sizeof(dir));
	rc = decode(dir, &g, &st, err, sizeof(err));
	if (rc != 0)
		TEST_FAIL_("decode_trace: %d: %s", rc, err);
	ASSERT_UEQ(st.weft_events, 0);
	ASSERT_EQ(g.nproc, 1);
	cleanup();
	LEAK_CHECK();
	return 0;
}

TEST_IMPL(refuse_not_a_trace)
{
	struct decode_stats st;
	struct got g = { 0 };
	char path[PATH_MAX], file[PATH_MAX + 16], err[1024];
	FILE *f;

	setup();
	path_in_tmp(path, sizeof(path), "empty");
	ASSERT_EQ(mkdir(path, 0700), 0);
	ASSERT_EQ(decode(path, &g, &st, err, sizeof(err)), -ENODATA);
	assert_err_line(err, path, "no CTF trace");

	/* A directory of text files, and a text file. */
	snprintf(file, sizeof(file), "%s/notes.txt", path);
	f = fopen(file, "w");
	ASSERT_NOT_NULL(f);
	fputs("metadata\nnot a trace\n", f);
	fclose(f);
	ASSERT_EQ(decode(path, &g, &st, err, sizeof(err)), -ENODATA);
	assert_err_line(err, path, "no CTF trace");
	ASSERT_EQ(decode(file, &g, &st, err, sizeof(err)), -ENOTDIR);
	assert_err_line(err, file, "not a directory");

	/* A "metadata" file that is text but not CTF metadata. */
	snprintf(file, sizeof(file), "%s/metadata", path);
	f = fopen(file, "w");
	ASSERT_NOT_NULL(f);
	fputs("hello\n", f);
	fclose(f);
	ASSERT_EQ(decode(path, &g, &st, err, sizeof(err)), -EBADMSG);
	assert_err_line(err, path, "corrupt");

	path_in_tmp(path, sizeof(path), "missing");
	ASSERT_EQ(decode(path, &g, &st, err, sizeof(err)), -ENOENT);
	assert_err_line(err, path, "No such file");
	ASSERT_EQ(decode_trace(NULL, NULL, NULL, err, sizeof(err)), -EINVAL);
	ASSERT_EQ(g.calls, 0);
	cleanup();
	LEAK_CHECK();
	return 0;
}

/* Copies the trace at src to tmp_root/<name>; returns the copy's stream file
 * (its first channel file) in stream. */
static void copy_trace(const char *src, const char *name, char *dst, size_t dstlen,
		       char *stream, size_t streamlen)
{
	path_in_tmp(dst, dstlen, name);
	RUN("cp", "-r", src, dst);
	ASSERT((size_t)snprintf(stream, streamlen, "%s/ust/uid/%d/64-bit/ch_0", dst,
				(int)getuid()) < streamlen);
}

TEST_IMPL(refuse_truncated_stream)
{
	struct decode_stats st;
	struct rec_opts o = { 0 };
	struct got g = { 0 };
	char dir[PATH_MAX], copy[PATH_MAX], stream[PATH_MAX + 64], err[1024];
	struct stat sb;

	setup();
	record("orig", &o, "basic", NULL, dir, sizeof(dir));
	copy_trace(dir, "truncated", copy, sizeof(copy), stream, sizeof(stream));
	ASSERT_EQ(stat(stream, &sb), 0);
	ASSERT_GT(sb.st_size, 64);
	ASSERT_EQ(truncate(stream, sb.st_size / 2 + 7), 0); /* mid-packet */
	ASSERT_EQ(decode(copy, &g, &st, err, sizeof(err)), -EBADMSG);
	assert_err_line(err, copy, "ch_0");

	/* A stream file whose packet header magic is gone. */
	copy_trace(dir, "badmagic", copy, sizeof(copy), stream, sizeof(stream));
	{
		FILE *f = fopen(stream, "r+");

		ASSERT_NOT_NULL(f);
		fputs("JUNK", f);
		fclose(f);
	}
	ASSERT_EQ(decode(copy, &g, &st, err, sizeof(err)), -EBADMSG);
	assert_err_line(err, copy, "corrupt");
	ASSERT_EQ(g.calls, 0);
	cleanup();
	LEAK_CHECK();
	return 0;
}

TEST_IMPL(refuse_garbled_metadata)
{
	struct decode_stats st;
	struct rec_opts o = { 0 };
	struct got g = { 0 };
	char dir[PATH_MAX], copy[PATH_MAX], stream[PATH_MAX + 64], meta[PATH_MAX + 64];
	char err[1024], *buf, *p;
	size_t len, hits = 0;
	FILE *f;

	setup();
	record("orig", &o, "basic", NULL, dir, sizeof(dir));
	copy_trace(dir, "garbled", copy, sizeof(copy), stream, sizeof(stream));
	snprintf(meta, sizeof(meta), "%s/ust/uid/%d/64-bit/metadata", copy, (int)getuid());

	/* Same length, so the metadata packets stay intact: only the TSDL
	 * text inside them stops making sense. */
	f = fopen(meta, "r+");
	ASSERT_NOT_NULL(f);
	buf = malloc(1 << 20);
	ASSERT_NOT_NULL(buf);
	len = fread(buf, 1, (1 << 20) - 1, f);
	buf[len] = '\0';
	for (p = buf; (p = memmem(p, len - (size_t)(p - buf), "struct", 6)) != NULL; p += 6, hits++)
		memcpy(p, "str{ct", 6);
	ASSERT_GT(hits, 0);
	rewind(f);
	ASSERT_EQ(fwrite(buf, 1, len, f), len);
	fclose(f);
	free(buf);

	ASSERT_EQ(decode(copy, &g, &st, err, sizeof(err)), -EBADMSG);
	assert_err_line(err, copy, "corrupt");
	ASSERT_EQ(g.calls, 0);
	cleanup();
	LEAK_CHECK();
	return 0;
}

/* A valid CTF trace without weft events: refused as such, with no callback
 * called (not even for its process's statedump). */
TEST_IMPL(refuse_non_weft_trace)
{
	struct decode_stats st;
	struct rec_opts o = { .no_weft = 1 };
	struct got g = { 0 };
	char dir[PATH_MAX], err[1024];

	setup();
	record("noweft", &o, "basic", NULL, dir, sizeof(dir));
	ASSERT_EQ(decode(dir, &g, &st, err, sizeof(err)), -ENOMSG);
	assert_err_line(err, dir, "not a weft trace");
	ASSERT_GT(st.other_events, 0); /* it did read the statedump */
	ASSERT_UEQ(st.weft_events, 0);
	ASSERT_EQ(g.calls, 0);
	cleanup();
	LEAK_CHECK();
	return 0;
}

/* A callback's error stops decoding at once and comes back as the result. */
TEST_IMPL(callback_abort)
{
	struct decode_stats st;
	struct rec_opts o = { 0 };
	struct got g = { .abort_at = 5 };
	char dir[PATH_MAX], err[1024];

	setup();
	record("abort", &o, "basic", NULL, dir, sizeof(dir));
	ASSERT_EQ(decode(dir, &g, &st, err, sizeof(err)), -EINTR);
	assert_err_line(err, dir, "callback");
	ASSERT_EQ(g.calls, 5 + g.nproc); /* nothing after the failing call */
	ASSERT_EQ(g.n, 4);
	free(g.ev);
	cleanup();
	LEAK_CHECK();
	return 0;
}

static const struct test_entry tests[] = {
	TEST_ENTRY_TIMEOUT(decode_basic, 60)
	TEST_ENTRY_TIMEOUT(decode_rotation_chunks, 60)
	TEST_ENTRY_TIMEOUT(decode_loss, 60)
	TEST_ENTRY_TIMEOUT(decode_idle_weft_trace, 60)
	TEST_ENTRY(refuse_not_a_trace)
	TEST_ENTRY_TIMEOUT(refuse_truncated_stream, 60)
	TEST_ENTRY_TIMEOUT(refuse_garbled_metadata, 60)
	TEST_ENTRY_TIMEOUT(refuse_non_weft_trace, 60)
	TEST_ENTRY_TIMEOUT(callback_abort, 60)
};

TEST_MAIN(tests)
