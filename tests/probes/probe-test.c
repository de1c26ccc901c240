/*
 * probe-test.c — the helpers of probe-test.h.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "json.h"
#include "probe-test.h"

char root[512];

int weft(struct run_result *r, int timeout_s, char *const args[])
{
	static char env_tmp[600], env_xdg[600];
	char *env[] = { env_tmp, env_xdg, NULL };
	char *argv[32];
	int n = 0;

	snprintf(env_tmp, sizeof env_tmp, "TMPDIR=%s", root);
	snprintf(env_xdg, sizeof env_xdg, "XDG_CONFIG_HOME=%s/xdg", root);
	argv[n++] = WEFT_BIN;
	for (int i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (proc_run(argv, env, timeout_s, r) != 0)
		TEST_FAIL_("cannot run %s", WEFT_BIN);
	return proc_exit_code(r);
}

void prog_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", PROBE_PROGS_DIR, name);
}

/* The one integer `sql` yields on db. */
int64_t q(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		TEST_FAIL_("cannot open %s: %s", db, h ? sqlite3_errmsg(h) : "?");
	if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) != SQLITE_OK)
		TEST_FAIL_("cannot prepare [%s]: %s", sql, sqlite3_errmsg(h));
	if (sqlite3_step(s) != SQLITE_ROW)
		TEST_FAIL_("no row from [%s]: %s", sql, sqlite3_errmsg(h));
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

/* Tasks named `name` matching `cond` (SQL over t). */
int64_t tasks(const char *db, const char *name, const char *cond)
{
	char sql[1024];

	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM tasks t JOIN strings n ON n.id = t.name "
		 "WHERE n.s = '%s' AND (%s)", name, cond);
	return q(db, sql);
}

/* The findings of db not attached to another: "detector detector ..." in
 * out, their number returned. */
size_t findings(const char *db, char *out, size_t len)
{
	struct run_result r;
	struct json *root_v;
	const struct json *arr;
	char err[256];
	size_t n = 0, used = 0;
	int rc = WEFT(&r, 60, "report", (char *)db, "--format", "json");

	if (rc != 0)
		TEST_FAIL_("weft report %s --format json exited %d: %.500s", db, rc, r.err);
	root_v = json_parse(r.out, err, sizeof err);
	if (!root_v)
		TEST_FAIL_("the JSON report does not parse: %s: [%.500s]", err, r.out);
	arr = json_get(root_v, "findings");
	if (!arr || arr->type != JSON_ARRAY)
		TEST_FAIL_("the JSON report has no findings array");
	out[0] = '\0';
	for (size_t i = 0; i < arr->n; i++) {
		const struct json *o = &arr->items[i];
		const char *d = json_get_str(o, "detector"), *m = json_get_str(o, "message");

		if (!json_is_null(json_get(o, "attached_to")))
			continue;
		printf("#   finding: %s: %s\n", d ? d : "?", m ? m : "?");
		used += (size_t)snprintf(out + used, used < len ? len - used : 0, "%s%s",
					 n ? " " : "", d ? d : "?");
		n++;
	}
	json_free(root_v);
	proc_result_free(&r);
	return n;
}

void no_findings(const char *db)
{
	char list[1024];
	size_t n = findings(db, list, sizeof list);

	if (n)
		TEST_FAIL_("%s: expected no finding, got %zu: %s", db, n, list);
}

void run_plain(const char *exe, bool preload, struct run_result *r)
{
	char env_pre[1200];
	char *env[] = { env_pre, NULL };
	char *argv[] = { (char *)exe, NULL };

	snprintf(env_pre, sizeof env_pre, "LD_PRELOAD=%s", preload ? PROBE_LIB : "");
	if (proc_run(argv, env, 30, r) != 0)
		TEST_FAIL_("cannot run %s", exe);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* weft can record here: a trivial program under `weft record`. */
static int lttng_ready(char *why, size_t len)
{
	char db[700];
	struct run_result r;
	int rc;

	snprintf(db, sizeof db, "%s/ready.db", root);
	rc = WEFT(&r, 60, "record", "-o", db, "--", "/bin/true");
	if (rc != 0)
		snprintf(why, len, "weft record -- /bin/true exited %d: %.300s", rc, r.err);
	proc_result_free(&r);
	return rc;
}

int probe_main(int argc, char **argv, const struct test_entry *tests, size_t n,
	       const char *name, const char *keep_env)
{
	const char *tmp = getenv("TMPDIR");
	char why[1024] = "", dir[700];
	int rc;

	if (argc > 1 && argv[1][0] == '-' && strcmp(argv[1], "--no-fork") != 0)
		return test_runner_main(argc, argv, tests, n);
	snprintf(root, sizeof root, "%s/weft-probe-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
	if (!mkdtemp(root)) {
		fprintf(stderr, "Cannot create a directory for the recordings: %s: path=%s\n",
			strerror(errno), root);
		return 1;
	}
	snprintf(dir, sizeof dir, "%s/xdg", root);
	if (mkdir(dir, 0700) != 0)
		return 1;
	if (lttng_ready(why, sizeof why)) {
		rc = test_runner_cannot_run(argc, argv, tests, n, why);
		nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		return rc;
	}
	rc = test_runner_main(argc, argv, tests, n);
	if (rc == 0 && !getenv(keep_env))
		nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	else
		printf("# recordings kept in %s\n", root);
	return rc;
}
