/*
 * probe-test.h — what the probe suites (tests/probes/uv, tests/probes/glib)
 * share: running weft with the recordings' directory as TMPDIR and
 * XDG_CONFIG_HOME, reading a store, the findings of `weft report --format
 * json`, running a program with and without the probe, and a main() that
 * skips (77) when LTTng cannot record here and removes the recordings when
 * every test passed.  Each suite's target defines WEFT_BIN, PROBE_LIB (the
 * probe) and PROBE_PROGS_DIR (its programs).
 */
#ifndef WEFT_TESTS_PROBE_TEST_H
#define WEFT_TESTS_PROBE_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proc.h"
#include "runner.h"

/* The recordings' directory (set by probe_main). */
extern char root[512];

/* weft with args; its exit code (r holds its output). */
int weft(struct run_result *r, int timeout_s, char *const args[]);
#define WEFT(r, t, ...) weft((r), (t), (char *const[]){ __VA_ARGS__, NULL })
/* The path of the suite's program `name`. */
void prog_path(const char *name, char *buf, size_t len);
/* The one integer `sql` yields on db. */
int64_t q(const char *db, const char *sql);
/* Tasks named `name` matching `cond` (SQL over t). */
int64_t tasks(const char *db, const char *name, const char *cond);
/* The findings of db not attached to another: "detector detector ..." in
 * out, their number returned. */
size_t findings(const char *db, char *out, size_t len);
void no_findings(const char *db);
/* exe without arguments, LD_PRELOAD the probe or nothing. */
void run_plain(const char *exe, bool preload, struct run_result *r);
/* The suite's main: `name` names the directory weft-probe-NAME-XXXXXX and
 * the variable WEFT_PROBE_<keep_env>_KEEP that keeps the recordings. */
int probe_main(int argc, char **argv, const struct test_entry *tests, size_t n,
	       const char *name, const char *keep_env);

#endif
