/*
 * A small test runner in the style of libuv's test/runner: each component's
 * test binary lists its named tests with WEFT_TEST_LIST, and the runner runs
 * each test in its own forked process with a timeout, printing TAP.
 *
 *   ./test-rt            run all tests (TAP on stdout; exit 1 if any failed)
 *   ./test-rt --list     print test names
 *   ./test-rt NAME...    run only these tests
 *   ./test-rt --no-fork NAME   run one test in-process (for gdb)
 *
 * Assertions print file, line, the expression and both values, then exit the
 * test's process with failure.
 */
#ifndef WEFT_TEST_RUNNER_H
#define WEFT_TEST_RUNNER_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_entry {
	const char *name;
	int (*fn)(void);
	unsigned timeout_s;
};

#define TEST_IMPL(name) int test_##name(void); int test_##name(void)
#define TEST_DECLARE(name) int test_##name(void);
#define TEST_ENTRY(name) { #name, test_##name, 30 },
#define TEST_ENTRY_TIMEOUT(name, secs) { #name, test_##name, secs },

/* Runs the table; returns the process exit status. */
int test_runner_main(int argc, char **argv, const struct test_entry *tests, size_t n);

/* Whether this is a CI run: the environment variable CI is set to anything
 * but "", "0" or "false" (CI systems set CI=true; so does .ci/run). */
int test_runner_in_ci(void);
/* A suite that cannot run here (not root, no LTTng, a refused unshare, ...)
 * reports every selected test with the reason and returns the exit status:
 * outside CI each is skipped (TAP "ok N name # SKIP why") and the status is
 * 77 (CTest's SKIP_RETURN_CODE); in CI each fails ("not ok N name # cannot
 * run in CI: why") and the status is 1, so that CI never passes a suite that
 * tested nothing. */
int test_runner_cannot_run(int argc, char **argv, const struct test_entry *tests, size_t n,
			   const char *why);

#define TEST_MAIN(table) \
	int main(int argc, char **argv) \
	{ \
		return test_runner_main(argc, argv, table, sizeof(table) / sizeof(table[0])); \
	}

#define TEST_FAIL_(...) \
	do { \
		fprintf(stderr, "# %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		fflush(stderr); \
		exit(1); \
	} while (0)

#define ASSERT(expr) \
	do { \
		if (!(expr)) \
			TEST_FAIL_("assertion failed: %s", #expr); \
	} while (0)

#define ASSERT_CMP_(type, fmt, a, op, b) \
	do { \
		type a_ = (type)(a), b_ = (type)(b); \
		if (!(a_ op b_)) \
			TEST_FAIL_("assertion failed: %s %s %s (%" fmt " %s %" fmt ")", #a, #op, \
				   #b, a_, #op, b_); \
	} while (0)

#define ASSERT_EQ(a, b) ASSERT_CMP_(int64_t, PRId64, a, ==, b)
#define ASSERT_NE(a, b) ASSERT_CMP_(int64_t, PRId64, a, !=, b)
#define ASSERT_LT(a, b) ASSERT_CMP_(int64_t, PRId64, a, <, b)
#define ASSERT_LE(a, b) ASSERT_CMP_(int64_t, PRId64, a, <=, b)
#define ASSERT_GT(a, b) ASSERT_CMP_(int64_t, PRId64, a, >, b)
#define ASSERT_GE(a, b) ASSERT_CMP_(int64_t, PRId64, a, >=, b)
#define ASSERT_UEQ(a, b) ASSERT_CMP_(uint64_t, PRIu64, a, ==, b)
#define ASSERT_NULL(p) ASSERT((p) == NULL)
#define ASSERT_NOT_NULL(p) ASSERT((p) != NULL)
#define ASSERT_STR_EQ(a, b) \
	do { \
		const char *sa_ = (a), *sb_ = (b); \
		if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) \
			TEST_FAIL_("assertion failed: %s == %s (\"%s\" vs \"%s\")", #a, #b, \
				   sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)"); \
	} while (0)

#endif
