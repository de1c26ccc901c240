/*
 * Shared plumbing for weft's benchmarks: each benchmark program controls its
 * own LTTng session through liblttng-ctl (a userspace channel configured the
 * way weft's recorder configures it: per-UID buffers, big sub-buffers, discard
 * mode, vpid/vtid/procname context), times loops with CLOCK_MONOTONIC, and
 * reports medians as "bench: NAME=VALUE" lines that scripts and the
 * bench-smoke test read.
 *
 * Tracing "off" means the session exists but is stopped: LTTng-UST then
 * unregisters the probes, so every tracepoint's enable state is 0 and the
 * instrumented code takes its disabled path.  "On" means started.  Toggling
 * start/stop lets one run alternate off and on rounds in the same session.
 */
#ifndef WEFT_BENCH_H
#define WEFT_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* Keeps the compiler from merging, hoisting or deleting work across it. */
#define bench_barrier() __asm__ __volatile__("" ::: "memory")

struct lttng_handle;

struct bench_session {
	char name[64];          /* weft-bench-<pid> */
	char dir[64];           /* trace output, removed by bench_session_close() */
	char channel[32];
	struct lttng_handle *handle;
	int created;
	int started;
};

/*
 * Makes sure a session daemon is reachable.  If none is, starts one
 * ("lttng-sessiond --daemonize") and re-executes the program, because
 * LTTng-UST registers with the session daemon when the program starts.
 * Returns 0, or -1 after printing a one-line error.
 */
int bench_sessiond_ensure(char **argv);

/*
 * Creates a stopped session named weft-bench-<pid> that writes to a fresh
 * temp dir, with one UST channel (8 x 4 MiB sub-buffers per CPU, per-UID,
 * discard mode), contexts vpid, vtid and procname, tracking only this
 * process, and the given event patterns ("weft:*", ...) enabled.
 * Returns 0, or -1 after printing a one-line error (the session, if partly
 * made, is destroyed).
 */
int bench_session_open(struct bench_session *s, const char *const *events, size_t n);
/* Start / stop recording (each does nothing if already in that state); 0 or
 * -1 after printing a one-line error. */
int bench_session_start(struct bench_session *s);
int bench_session_stop(struct bench_session *s);
/* Events the channel discarded so far (ring buffer full); 0 or -1. */
int bench_session_discarded(struct bench_session *s, uint64_t *discarded);
/* Stops if needed, destroys the session and removes its trace dir (kept,
 * and its path printed, when WEFT_BENCH_KEEP_TRACE is set). */
void bench_session_close(struct bench_session *s);

/*
 * Waits up to timeout_ms for a tracepoint enable state to become non-zero
 * (want_on) or zero (!want_on).  Returns 0 when it did, -1 otherwise.
 */
int bench_wait_state(const int *state, int want_on, int timeout_ms);

/* CPU time (ns) of every lttng-consumerd process so far, all threads (from
 * /proc/PID/task/TID/schedstat): the consumer competes with the traced
 * program for the same cores, so its share is part of what tracing costs. */
double bench_consumer_cpu_ns(void);
/* Events of a trace directory whose name starts with prefix ("weft:"),
 * counted in babeltrace2's text output; -1 after printing why. */
long bench_count_events(const char *dir, const char *prefix);

/* Bytes of a trace directory's event streams (every file but the metadata
 * and the index files: the packets the consumer wrote, headers and padding
 * included); -1 after printing why. */
long long bench_trace_bytes(const char *dir);

uint64_t bench_now_ns(void);
/* Busy-spins (no sleep) for ns nanoseconds of CLOCK_MONOTONIC time. */
void bench_spin_ns(int64_t ns);
void bench_sleep_ms(int ms);
/* Pins the calling thread to the CPU it runs on (best effort). */
void bench_pin_thread(void);
/* Median of v[0..n-1]; sorts v.  0 when n is 0. */
double bench_median(double *v, size_t n);

/* Prints "bench: name=value" with the given number of decimals. */
void bench_print(const char *name, double value, int decimals);
/* Prints "# target name OP limit: met|MISSED (value)"; returns 1 if met. */
int bench_target(const char *name, double value, const char *op, double limit);
/* Prints the machine line (CPU model, online CPUs, load average). */
void bench_print_machine(void);

/* Nearest-rank percentile p (0..100) of v[0..n-1]; sorts v; 0 if n is 0. */
double bench_percentile(double *v, size_t n, double p);
/* Runs argv (argv[0] a path) with stdout and stderr to out_path; returns
 * its exit status, or -1 if it could not run or died of a signal; its wall
 * time in *wall_s when wall_s is not NULL. */
int bench_run(char *const *argv, const char *out_path, double *wall_s);
/* Copies a file to stderr, each line indented (a failed step's log). */
void bench_print_file(const char *path);
/* Removes a directory tree (best effort; a missing entry is no error). */
void bench_rmtree(const char *path);

#endif /* WEFT_BENCH_H */
