/*
 * store-fixture.h — what the store-backed unit suites (test-chain,
 * test-detect-*) share: a store file in a fresh temp directory, removed by
 * cleanup() (also at exit), check_ok() for store calls, and one hand-written
 * event fed to the real writer as the decoder would.  Header-only: each suite
 * is one executable.
 */
#ifndef WEFT_TESTS_STORE_FIXTURE_H
#define WEFT_TESTS_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"
#include "store.h"

#define FIXTURE_UNUSED __attribute__((unused))

static char dir[64], db_path[128];

static FIXTURE_UNUSED void cleanup(void)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char p[160];
	size_t i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", db_path, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
}

static FIXTURE_UNUSED void check_ok(struct store *st, int rc)
{
	if (rc != 0)
		TEST_FAIL_("store call failed: %d: %s", rc, store_errmsg(st));
}

/* A new store in /tmp/weft-test-<name>-XXXXXX. */
static FIXTURE_UNUSED struct store *fixture_store(const char *name)
{
	struct store *st = NULL;
	char err[512];

	snprintf(dir, sizeof(dir), "/tmp/weft-test-%s-XXXXXX", name);
	ASSERT_NOT_NULL(mkdtemp(dir));
	snprintf(db_path, sizeof(db_path), "%s/weft.db", dir);
	atexit(cleanup);
	if (store_open(db_path, STORE_CREATE, &st, err, sizeof(err)) != 0)
		TEST_FAIL_("store_open: %s", err);
	return st;
}

/* Adds one event of process vpid, thread tid (named procname) at
 * base + rel_ts; NULL strings are "". */
static FIXTURE_UNUSED void fixture_event(struct store *st, int64_t base, int32_t vpid,
					 int32_t tid, const char *procname,
					 enum weft_event kind, int64_t rel_ts, uint64_t id0,
					 uint64_t id1, uint64_t id2, int64_t n0, int64_t n1,
					 int64_t n2, const char *s0, const char *s1)
{
	struct store_event e = { 0 };

	e.kind = kind;
	e.ts_ns = base + rel_ts;
	e.vpid = vpid;
	e.vtid = tid;
	e.procname = procname;
	e.id0 = id0;
	e.id1 = id1;
	e.id2 = id2;
	e.n0 = n0;
	e.n1 = n1;
	e.n2 = n2;
	e.s0 = s0 ? s0 : "";
	e.s1 = s1 ? s1 : "";
	e.s0_len = (uint32_t)strlen(e.s0);
	e.s1_len = (uint32_t)strlen(e.s1);
	check_ok(st, store_add_event(st, &e));
}

#endif
