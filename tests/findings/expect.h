/*
 * expect.h — what each program must make weft report, written by hand from
 * each program's own story: its header comment and its constants (the
 * example sources, examples/NAME.c, and the must-not-fire programs,
 * tests/findings/nofire-*.c).  Nothing here is computed by weft's code.
 *
 * A program's row lists the findings it must have.  Each is matched by:
 *   - the detector (DESIGN.md section 1, docs/detectors.md);
 *   - the name of the task the finding is about (`tasks[0]` in the JSON):
 *     one of `task`, '|'-separated, where the story leaves open which of its
 *     tasks a finding is about (the waiter or the task it waits for, ...);
 *     a finding about a context rather than a task (no tasks) matches if
 *     `ctx` is set and its message names that context;
 *   - the severity, where DESIGN.md or docs/detectors.md fix it (NULL: not
 *     fixed by them, any);
 *   - the measured value, in one of the units the story gives numbers for:
 *     alternatives, each a dimension and a range (time in seconds, share in
 *     [0, 1], a count, an errno); ranges hold under load, since the examples
 *     run their patterns at 2x the thresholds or more;
 *   - how many such findings there may be (1 unless `max` says more).
 * Every other (detector, program) pair must yield no finding: one there is a
 * false positive.  Findings attached to another (attached_to not null: one
 * root cause, one finding) are not separate findings and are not counted.
 * `healthy` and every must-not-fire program yield nothing at all.
 */
#ifndef WEFT_FINDINGS_EXPECT_H
#define WEFT_FINDINGS_EXPECT_H

#include <stdbool.h>

enum dim {
	DIM_END,   /* ends a list of alternatives */
	DIM_TIME,  /* seconds (the report's ns, us, ms, s) */
	DIM_SHARE, /* fraction (the report's %, or a ratio) */
	DIM_COUNT, /* how many (tasks, marshals, workers, ...) */
	DIM_ERRNO, /* an error code, either sign */
	DIM_PER_CPU, /* a count divided by the online CPUs ("x" cores) */
};

struct range {
	enum dim dim;
	double lo, hi;
	/* DIM_COUNT only: lo and hi are lo + lo_cpu * ncpu, hi + hi_cpu * ncpu */
	double lo_cpu, hi_cpu;
};

#define EXPECT_ALTS 4
#define EXPECT_MAX 3

struct expect {
	const char *detector;
	const char *task;     /* '|'-separated names of tasks[0] */
	const char *ctx;      /* a finding without tasks names this context */
	const char *severity; /* NULL: any */
	struct range v[EXPECT_ALTS];
	unsigned max;         /* 0: 1 */
	const char *story;    /* where the numbers come from */
};

struct program {
	const char *name;
	bool nofire;          /* tests/findings/nofire-*, else examples/ */
	struct expect e[EXPECT_MAX];
};

#define S(lo, hi) { DIM_TIME, (lo), (hi), 0, 0 }
#define SHARE(lo, hi) { DIM_SHARE, (lo), (hi), 0, 0 }
#define COUNT(lo, hi) { DIM_COUNT, (lo), (hi), 0, 0 }
#define ERRNO(e) { DIM_ERRNO, (e), (e), 0, 0 }

static const struct program programs[] = {
	{ "sync-over-async-deadlock", false, { {
		"sync-over-async-deadlock", "on_open_clicked|parse_file", NULL, NULL,
		{ S(1.3, 3.0) }, 0,
		"the ui thread blocks on parse_file, queued behind it on ui, until the wait "
		"times out after WAIT_TIMEOUT = 1.5 s (blocking-wait and slow-callback on "
		"the same wait follow from it: attached)" } } },
	{ "blocking-wait", false, { {
		"blocking-wait", "handle_request", NULL, NULL,
		{ S(0.14, 1.0) }, 0,
		"handle_request blocks a web worker on db_query for QUERY_LATENCY = 150 ms" } } },
	{ "pool-starvation", false, { {
		"pool-starvation", "short_request|storage_request", "io", NULL,
		{ S(0.9, 3.0) }, 0,
		"8 short requests queued on io, no dequeue while 4 workers block in read() "
		"for STORAGE_LATENCY = 1 s (the blocking is the cause: blocking-in-pool, if "
		"reported, is attached)" } } },
	{ "blocking-in-pool", false, { {
		"blocking-in-pool", "serve_image", "images", NULL,
		{ SHARE(0.7, 1.0) }, 0,
		"4 workers blocked 40 ms (READ_LATENCY) of every 40.2 ms, about 99 %, while "
		"4 more requests queue, for 1.2 s; the queue drains every ~10 ms" } } },
	{ "unobserved-error", false, { {
		"unobserved-error", "save_settings", NULL, "error",
		{ S(0, 2.0), ERRNO(28) }, 0,
		"save_settings fails with ENOSPC (28) and is released unread right after the "
		"wait for it returns" } } },
	{ "detached-failure", false, { {
		"detached-failure", "upload_statistics", NULL, "error",
		{ ERRNO(111), S(0, 2.0) }, 0,
		"detached upload_statistics fails with ECONNREFUSED (111), no handler "
		"installed, released at once" } } },
	{ "cancel-ignored", false, { {
		"cancel-ignored", "export_report", NULL, NULL,
		{ S(0.1, 1.0) }, 0,
		"export_report ignores the cancel made CANCEL_AFTER = 50 ms into its "
		"EXPORT_WORK = 350 ms and ends ok about 300 ms after the request" } } },
	{ "cancel-not-propagated", false, { {
		"cancel-not-propagated", "run_query|handle_request", NULL, NULL,
		{ COUNT(1, 1), S(0.1, 1.0) }, 0,
		"handle_request carries token 'request 42' and starts 1 child, run_query, "
		"without it; the query runs 250 ms past the cancel (QUERY_WORK = 300 ms)" } } },
	{ "slow-callback", false, { {
		"slow-callback", "on_message_received", NULL, NULL,
		{ S(0.195, 1.5) }, 0,
		"on_message_received spins PARSE_TIME = 200 ms on the ui loop" } } },
	{ "lost-task", false, { {
		"lost-task", "reply #7|show_reply #7", NULL, NULL,
		{ S(0.3, 60.0) }, 0,
		"promise 'reply #7' is never completed and show_reply #7 never runs: pending "
		"from its creation through GIVE_UP_AFTER = 300 ms to the end of the trace; "
		"one root cause (the continuation is its consequence)" } } },
	{ "needless-marshal", false, { {
		"needless-marshal", "on_chunk|on_download_clicked|read_chunk", "ui", NULL,
		{ COUNT(10, 64), SHARE(0.5, 1.0) }, 0,
		"CHUNKS = 64 on_chunk continuations hop io -> ui for a few us of work each, "
		"queued behind 2 ms render_frame (N: it.h's MARSHAL_MIN = 10)" } } },
	{ "serial-fan-out", false, { {
		"serial-fan-out", "load_dashboard", NULL, NULL,
		{ COUNT(3, 3), S(0.11, 2.0) }, 0,
		"load_dashboard awaits CALLS = 3 independent calls one after another: "
		"3 x 60 ms = 180 ms instead of 60 ms (120 ms to save)" } } },
	{ "oversubscription", false, { {
		"oversubscription", "resize_image", "resize", NULL,
		{ { DIM_COUNT, 1, 2, 4, 4 }, S(1.1, 5.0), { DIM_PER_CPU, 4.0, 6.0, 0, 0 } }, 0,
		"4 x ncpu + 2 CPU-bound workers all busy for WORK_TIME = 1.25 s" } } },
	{ "orphaned-work", false, { {
		"orphaned-work", "first replica|lookup replica-b|lookup replica-c", NULL, NULL,
		{ S(0.25, 2.0), COUNT(2, 2) }, 2,
		"when_any 'first replica' is decided at 30 ms; the 2 losers run on for "
		"370 ms and 420 ms (latencies 400 and 450 ms), neither canceled nor awaited; "
		"one finding for the race, or one per loser" } } },
	{ "sync-completion-hot-path", false, { {
		"sync-completion-hot-path", "use_value", NULL, "info",
		{ SHARE(0.9, 1.0), COUNT(10000, 12000) }, 0,
		"LOOKUPS = 12,000 use_value from one site, 11,400 (95 %) completed inline" } } },
	{ "healthy", false, { { NULL } } },
	{ "nofire-detached", true, { { NULL } } },
	{ "nofire-short-wait", true, { { NULL } } },
	{ "nofire-cancel", true, { { NULL } } },
	{ "nofire-loop-90ms", true, { { NULL } } },
	{ "nofire-busy-pool", true, { { NULL } } },
	{ "nofire-late-read", true, { { NULL } } },
	{ "nofire-race-cancel", true, { { NULL } } },
	{ "nofire-fan-out", true, { { NULL } } },
	{ "nofire-main-wait", true, { { NULL } } },
	{ "nofire-heavy-loop", true, { { NULL } } },
};

#undef S
#undef SHARE
#undef COUNT
#undef ERRNO

#define N_PROGRAMS (sizeof(programs) / sizeof(programs[0]))

/* The detectors of DESIGN.md section 1: the rows of the precision/recall
 * table, whatever this build has. */
static const char *const all_detectors[] = {
	"sync-over-async-deadlock", "blocking-wait", "pool-starvation", "blocking-in-pool",
	"unobserved-error", "detached-failure", "cancel-ignored", "cancel-not-propagated",
	"slow-callback", "lost-task", "needless-marshal", "serial-fan-out",
	"oversubscription", "orphaned-work", "sync-completion-hot-path",
};
#define N_DETECTORS (sizeof(all_detectors) / sizeof(all_detectors[0]))

#endif
