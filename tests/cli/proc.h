/*
 * Running real processes from tests: run to completion with a timeout and
 * captured output, or start in the background with a pipe on stdout.
 */
#ifndef WEFT_TEST_PROC_H
#define WEFT_TEST_PROC_H

#include <stdint.h>
#include <sys/types.h>

struct run_result {
	int status;   /* waitpid status; -1 if it timed out (then killed) */
	char *out;    /* stdout, NUL-terminated (malloc'd) */
	char *err;    /* stderr */
	int64_t ms;   /* wall time */
};

/* Runs argv (argv[0] searched in PATH) with extra environment entries
 * ("NAME=value", NULL-terminated list, may be NULL), waits at most
 * timeout_s.  Returns 0 if it ran (see r->status), -1 if it could not start. */
int proc_run(char *const argv[], char *const env[], int timeout_s, struct run_result *r);
void proc_result_free(struct run_result *r);
/* exit status, or -1000-signal if killed, or -2000 if timed out */
int proc_exit_code(const struct run_result *r);

/* Starts argv in the background with stdout on a pipe (*out_fd) and stderr
 * to err_path (may be NULL: inherited). */
pid_t proc_spawn(char *const argv[], char *const env[], int *out_fd, const char *err_path);
/* Reads from fd until `needle` has been seen or timeout_ms passed; returns 0
 * if seen.  The text read is appended to buf (cap bytes, NUL-terminated). */
int proc_read_until(int fd, const char *needle, int timeout_ms, char *buf, size_t cap);
/* Waits for pid at most timeout_ms; returns the status or -1 on timeout. */
int proc_wait(pid_t pid, int timeout_ms);
/* The first child of pid (from /proc/PID/task/PID/children), or 0. */
pid_t proc_child_of(pid_t pid);
/* Number of lines in s. */
int count_lines(const char *s);
/* Count of lines of s containing needle. */
int count_matching(const char *s, const char *needle);

#endif
