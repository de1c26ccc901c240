/*
 * detect.h — weft's detectors: each failure pattern of DESIGN.md section 1 is
 * one `struct detector` (one file, store/detect-<name>.c) listed once in
 * DETECTOR_MAP below; adding a detector is adding a file and a line.
 *
 * A detector reads only the store (SQL on store_db()) and reports what it is
 * sure of through detect_emit().  It is called with a time horizon `now`
 * (the last instant the store knows of) and `final` (the recording is over,
 * so "at trace end" conditions hold): a condition is reported only once it
 * has held for its persistence time by `now`, and a finding's identity
 * (detector, process, key) is stable, so running the detectors again (the
 * next chunk of a live recording, `weft report` later) never duplicates a
 * finding nor turns it into another one; it only brings its measured value
 * and end up to date.
 *
 * Thresholds come from struct detect_config (defaults below, a config file,
 * command-line flags: detect-config.c), each with where its value came from.
 */
#ifndef WEFT_STORE_DETECT_H
#define WEFT_STORE_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct sqlite3;

/* One tunable of a detector.  Values are doubles in the unit named; the
 * config file and flags accept "50ms", "1s", "50%", plain numbers. */
struct detect_threshold {
	const char *name; /* "min_wait" */
	double def;       /* default, in `unit` */
	const char *unit; /* "ms", "s", "%", "count" */
	const char *doc;
};

#define DETECT_MAX_THRESHOLDS 4

struct detect_ctx;

struct detector {
	const char *name;                /* "blocking-wait" */
	enum store_severity severity;
	const char *summary;             /* one line: what happened */
	const char *condition;           /* when it fires, naming the thresholds */
	const char *fix;                 /* what to do about it */
	struct detect_threshold th[DETECT_MAX_THRESHOLDS]; /* name NULL ends */
	/* Reports findings through detect_emit(); 0 or a negative errno-style
	 * code with detect_fail() called. */
	int (*check)(struct detect_ctx *c);
};

/* Every detector, in the order they run: a detector that attaches what
 * follows from its findings (one root cause, one finding) runs before the
 * ones whose findings it absorbs.  Each X(id) is `detect_<id>` of
 * store/detect-<name>.c. */
#define DETECTOR_MAP(X) \
	X(deadlock) \
	X(blocking_wait) \
	X(slow_callback) \
	X(pool_starvation) \
	X(blocking_in_pool) \
	X(oversubscription) \
	X(unobserved_error) \
	X(detached_failure) \
	X(lost_task) \
	X(cancel_ignored) \
	X(cancel_not_propagated) \
	X(orphaned_work) \
	X(serial_fan_out) \
	X(needless_marshal) \
	X(sync_completion_hot_path)

#define DETECT__X_ID(id) DETECT_##id,
enum detector_id { DETECTOR_MAP(DETECT__X_ID) DETECTOR_COUNT };

/* The table, indexed by enum detector_id. */
extern const struct detector *const detectors[DETECTOR_COUNT];
/* By name ("blocking-wait"), or NULL. */
const struct detector *detector_find(const char *name, enum detector_id *id);

/* ---- configuration ------------------------------------------------------ */

enum detect_origin { DETECT_FROM_DEFAULT, DETECT_FROM_FILE, DETECT_FROM_FLAG };

/* A finding at one of these sites (file:line of the task's creation) is kept
 * but marked suppressed (with the reason) and does not count for
 * --fail-on: nothing is lost silently. */
struct detect_suppression {
	char *detector; /* NULL: every detector */
	char *site;
	char *reason;   /* required */
};

struct detect_config {
	bool enabled[DETECTOR_COUNT];
	double value[DETECTOR_COUNT][DETECT_MAX_THRESHOLDS];
	enum detect_origin origin[DETECTOR_COUNT][DETECT_MAX_THRESHOLDS];
	char *origin_file;                  /* the config file read, if any */
	struct detect_suppression *supp;
	size_t nsupp;
};

/* Defaults: every implemented detector on, default thresholds. */
void detect_config_init(struct detect_config *cfg);
void detect_config_free(struct detect_config *cfg);
/* Reads a config file (format: docs/detectors.md).  0, or -errno with a
 * one-line "Cannot read config: <why>: path=<file> line=<n>" in err. */
int detect_config_load(struct detect_config *cfg, const char *path, char *err, size_t errlen);
/* "detector.threshold=value" or "detector=on|off" from the command line. */
int detect_config_set(struct detect_config *cfg, const char *assignment, char *err,
		      size_t errlen);
/* Keeps only the named detectors ("a,b,c") enabled; -EINVAL on an unknown
 * name. */
int detect_config_only(struct detect_config *cfg, const char *names, char *err, size_t errlen);

/* ---- running ------------------------------------------------------------ */

struct detect_opts {
	const struct detect_config *cfg; /* NULL: defaults */
	int64_t session;                 /* sessions.id, 0: every session */
	bool final;                      /* the recording is over */
};

struct detect_stats {
	uint64_t findings;   /* written or brought up to date */
	uint64_t suppressed; /* of which suppressed by the config */
	int64_t elapsed_ns;
};

/* Runs every enabled detector over the store, in one write transaction (not
 * inside a chunk).  0 or -errno with a one-line message in err. */
int detect_run(struct store *st, const struct detect_opts *o, struct detect_stats *stats,
	       char *err, size_t errlen);

/*
 * Pacing of live runs.  A live run re-reads the session (indexed, but a long
 * recording's store grows): a run is due only once DETECT_LIVE_DUTY times
 * the last run's duration has passed since it ended, so live detection
 * takes at most about 1/DETECT_LIVE_DUTY of the recorder's time, and a
 * finding comes one rotation late while runs are cheap (the common case),
 * later only when they are not.  The final run is never paced.
 */
#define DETECT_LIVE_DUTY 10
struct detect_pacer {
	int64_t last_end_ns, last_cost_ns; /* CLOCK_MONOTONIC */
};
bool detect_pacer_due(const struct detect_pacer *p);
/* Runs detect_run live if due; 0 (also when not due) or its error. */
int detect_run_paced(struct detect_pacer *p, struct store *st, const struct detect_opts *o,
		     char *err, size_t errlen);

/* ---- for detectors -------------------------------------------------------- */

#define FINDING_MAX_TASKS 8

struct finding_task {
	int64_t task;     /* tasks.id */
	const char *role; /* "waiter", "awaited", "continuation", ... */
};

struct finding {
	int64_t process;  /* processes.id */
	const char *key;  /* stable within (detector, process): e.g. "wait:123" */
	int64_t begin_ns, end_ns; /* relative to the session's start; end TS_NONE while open */
	double value;
	const char *unit; /* "ms", "%", "count", ... */
	const char *message;
	struct finding_task tasks[FINDING_MAX_TASKS]; /* [0]: the task it is about */
	size_t ntasks;
	int64_t thread, ctx; /* rows, 0 if none */
	/* One root cause, one finding: the finding (detector, key, same
	 * process) this one follows from; it is attached to it, not listed on
	 * its own.  NULL: none. */
	const char *attach_detector, *attach_key;
};

struct sqlite3 *detect_db(struct detect_ctx *c);
/* The session (sessions.id) under analysis: each run covers one session. */
int64_t detect_session(const struct detect_ctx *c);
/* The horizon: the latest relative time the session's store knows of. */
int64_t detect_now(const struct detect_ctx *c);
bool detect_final(const struct detect_ctx *c);
/* The configured value of threshold i of the running detector, in its unit. */
double detect_th(const struct detect_ctx *c, int i);
/* Writes (or brings up to date) a finding of the running detector. */
int detect_emit(struct detect_ctx *c, const struct finding *f);
/* Is there a finding (detector, process, key)?  1, 0, or < 0. */
int detect_has(struct detect_ctx *c, const char *detector, int64_t process, const char *key);
/* Records a failure ("Cannot run detector X: ...") and returns rc. */
int detect_fail(struct detect_ctx *c, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A task's display name: "name" (id N) — sanitised, into buf. */
const char *detect_task_label(struct detect_ctx *c, int64_t task, char *buf, size_t len);

#endif
