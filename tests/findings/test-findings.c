/*
 * test-findings.c — weft's findings against independent expectations.
 *
 * Every example (examples/) and every must-not-fire program
 * (tests/findings/nofire-*.c) is recorded with the real `weft record -o DB
 * -- PROG` under the real lttng-sessiond and reported with `weft report DB
 * --format json`; its findings are compared with the hand-written table of
 * expect.h, which comes from each program's own story, never from weft's
 * code.  One test per program:
 *   - every expected finding is there (detector, task, severity, value in
 *     range): else a false negative (FN);
 *   - no other finding, except those attached to another (attached_to):
 *     else a false positive (FP);
 *   - `weft report --fail-on error` exits 1 when an expected finding is an
 *     error (or the report holds an error finding), 0 on healthy and on
 *     every must-not-fire program;
 *   - `weft report --baseline` with the recording's own JSON report exits 0
 *     with `--fail-on info` and marks every finding as in the baseline, while
 *     without the baseline `--fail-on info` exits 1 iff there is a finding;
 *     running the detectors again keeps the same findings (stable identity).
 * The last test, precision-recall, prints per detector TP, FP, FN,
 * precision and recall over every program (recording any program the run
 * did not judge yet) and fails on any FP or FN.
 *
 * A recording too perturbed to judge (LTTng reported loss, or a
 * must-not-fire program found its own timing margin broken: exit status
 * NOFIRE_PERTURBED) is made once more; if it is perturbed again the test
 * fails saying so, rather than mis-judge a detector.
 *
 *   test-findings                    every test (TAP)
 *   test-findings --list             the test names
 *   test-findings healthy blocking-wait precision-recall
 * WEFT_FINDINGS_KEEP=1 keeps the stores and reports (kept anyway on failure).
 */
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "expect.h"
#include "json.h"
#include "proc.h"
#include "runner.h"

#define NOFIRE_PERTURBED 3 /* nofire.h */
#define ATTEMPTS 2

static char root[512];       /* stores, reports, results */
static char present[2048];   /* " name name ... " of this build's detectors */
static long ncpu = 1;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* ---- running weft ------------------------------------------------------------ */

/* weft with args; the recorder's temporary files go under root, and no
 * user's weft.conf changes a threshold (XDG_CONFIG_HOME is an empty dir). */
static int weft(struct run_result *r, int timeout_s, char *const args[])
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
#define WEFT(r, t, ...) weft((r), (t), (char *const[]){ __VA_ARGS__, NULL })

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) == EOF || fclose(f) != 0)
		TEST_FAIL_("cannot write %s: %s", path, strerror(errno));
}

static bool detector_present(const char *name)
{
	char key[128];

	snprintf(key, sizeof key, " %s ", name);
	return strstr(present, key) != NULL;
}

/* " a b c " from `weft report --list-detectors`: lines "NAME (severity)". */
static int list_detectors(char *why, size_t len)
{
	struct run_result r;
	size_t used = 1;
	int rc = WEFT(&r, 30, "report", "--list-detectors");

	if (rc != 0) {
		snprintf(why, len, "weft report --list-detectors: exit %d: %.300s", rc, r.err);
		proc_result_free(&r);
		return -1;
	}
	strcpy(present, " ");
	for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
		size_t n = strcspn(line, " ");

		if (line[0] == ' ' || !strstr(line, " (") || used + n + 2 > sizeof present)
			continue;
		memcpy(present + used, line, n);
		used += n;
		present[used++] = ' ';
		present[used] = '\0';
	}
	proc_result_free(&r);
	return 0;
}

/* ---- one finding, as the JSON report has it ----------------------------------- */

struct finding {
	const char *detector, *severity, *task, *message, *unit, *fingerprint;
	double value;
	bool attached, suppressed, baseline, consumed;
};

struct report {
	struct json *root;
	struct finding *f;
	size_t n;
};

static void report_parse(struct report *rep, const char *text, const char *what)
{
	const struct json *arr;
	char err[256];

	memset(rep, 0, sizeof(*rep));
	rep->root = json_parse(text, err, sizeof err);
	if (!rep->root)
		TEST_FAIL_("%s: the JSON report does not parse: %s: [%.500s]", what, err, text);
	arr = json_get(rep->root, "findings");
	if (!arr || arr->type != JSON_ARRAY || !json_get(rep->root, "summary"))
		TEST_FAIL_("%s: the JSON report has no findings array or summary", what);
	rep->f = calloc(arr->n ? arr->n : 1, sizeof(*rep->f));
	ASSERT_NOT_NULL(rep->f);
	for (size_t i = 0; i < arr->n; i++) {
		const struct json *o = &arr->items[i], *tasks = json_get(o, "tasks");
		const struct json *val = json_get(o, "value"), *b = json_get(o, "baseline");
		struct finding *f = &rep->f[rep->n++];

		f->detector = json_get_str(o, "detector");
		f->severity = json_get_str(o, "severity");
		f->message = json_get_str(o, "message");
		f->unit = json_get_str(o, "unit");
		f->fingerprint = json_get_str(o, "fingerprint");
		if (!f->detector || !f->severity || !f->message || !f->unit || !f->fingerprint ||
		    !tasks || tasks->type != JSON_ARRAY || !val || val->type != JSON_NUMBER ||
		    !json_get(o, "attached_to") || !json_get(o, "suppressed"))
			TEST_FAIL_("%s: finding %zu lacks a field of docs/detectors.md (detector, "
				   "severity, tasks, value, unit, message, attached_to, suppressed, "
				   "fingerprint)", what, i);
		f->value = val->number;
		f->task = tasks->n ? json_get_str(&tasks->items[0], "name") : NULL;
		f->attached = !json_is_null(json_get(o, "attached_to"));
		f->suppressed = !json_is_null(json_get(o, "suppressed"));
		f->baseline = b && b->type == JSON_BOOL && b->boolean;
	}
}

static void report_free(struct report *rep)
{
	json_free(rep->root);
	free(rep->f);
	memset(rep, 0, sizeof(*rep));
}

/* ---- matching ------------------------------------------------------------------ */

/* The finding's value in the table's terms: its dimension and the number in
 * the table's unit; false for a unit the table has no dimension for. */
static bool to_dim(const struct finding *f, enum dim *d, double *v)
{
	static const struct { const char *unit; enum dim dim; double scale; } units[] = {
		{ "ns", DIM_TIME, 1e-9 }, { "us", DIM_TIME, 1e-6 }, { "\xc2\xb5s", DIM_TIME, 1e-6 },
		{ "ms", DIM_TIME, 1e-3 }, { "s", DIM_TIME, 1 }, { "%", DIM_SHARE, 0.01 },
		{ "share", DIM_SHARE, 1 }, { "ratio", DIM_SHARE, 1 }, { "fraction", DIM_SHARE, 1 },
		{ "errno", DIM_ERRNO, 1 }, { "x", DIM_PER_CPU, 1 }, { "\xc3\x97", DIM_PER_CPU, 1 },
		{ "x cpus", DIM_PER_CPU, 1 }, { "per cpu", DIM_PER_CPU, 1 },
	};

	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(f->unit, units[i].unit) == 0) {
			*d = units[i].dim;
			*v = f->value * units[i].scale;
			return true;
		}
	/* any other unit names what is counted: "count", "tasks", "marshals" */
	*d = DIM_COUNT;
	*v = f->value;
	return f->unit[0] != '\0';
}

static bool value_ok(const struct expect *e, const struct finding *f)
{
	enum dim d;
	double v;

	if (!to_dim(f, &d, &v))
		return false;
	for (int i = 0; i < EXPECT_ALTS && e->v[i].dim != DIM_END; i++) {
		const struct range *r = &e->v[i];
		double lo = r->lo + r->lo_cpu * (double)ncpu, hi = r->hi + r->hi_cpu * (double)ncpu;

		if (r->dim != d)
			continue;
		if (d == DIM_ERRNO)
			v = fabs(v);
		/* a count is an integer; a relative slack of 1e-9 for printed doubles */
		if (v >= lo - 1e-9 * fabs(lo) && v <= hi + 1e-9 * fabs(hi))
			return true;
	}
	return false;
}

/* Whether `word` occurs in s with no name character on either side. */
static bool names_word(const char *s, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = s; (p = strstr(p, word)); p++) {
		char before = p > s ? p[-1] : ' ', after = p[len];
		bool b = before == '_' || before == '-' || (before >= '0' && before <= '9') ||
			 ((before | 0x20) >= 'a' && (before | 0x20) <= 'z');
		bool a = after == '_' || after == '-' || (after >= '0' && after <= '9') ||
			 ((after | 0x20) >= 'a' && (after | 0x20) <= 'z');

		if (!a && !b)
			return true;
	}
	return false;
}

static bool task_ok(const struct expect *e, const struct finding *f)
{
	const char *p = e->task;

	if (!f->task)
		return e->ctx && names_word(f->message, e->ctx);
	while (p && *p) {
		size_t n = strcspn(p, "|");

		if (strlen(f->task) == n && strncmp(f->task, p, n) == 0)
			return true;
		p += n + (p[n] == '|');
	}
	return false;
}

static bool matches(const struct expect *e, const struct finding *f)
{
	return strcmp(e->detector, f->detector) == 0 && task_ok(e, f) && value_ok(e, f) &&
	       (!e->severity || strcmp(e->severity, f->severity) == 0);
}

/* "1.3..3 s or 1..1 count" */
static const char *ranges(const struct expect *e, char *buf, size_t len)
{
	static const char *const unit[] = { "", "s", "share", "count", "errno", "per CPU" };
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < EXPECT_ALTS && e->v[i].dim != DIM_END; i++) {
		const struct range *r = &e->v[i];

		used += (size_t)snprintf(buf + used, len - used, "%s%g..%g %s", i ? " or " : "",
					 r->lo + r->lo_cpu * (double)ncpu,
					 r->hi + r->hi_cpu * (double)ncpu, unit[r->dim]);
		if (used >= len)
			break;
	}
	return buf;
}

static void describe(const struct finding *f, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s '%s' %g %s: %.300s", f->severity, f->detector,
		 f->task ? f->task : "(no task)", f->value, f->unit, f->message);
}

/* ---- judging one program ------------------------------------------------------------ */

struct tally {
	unsigned tp[N_DETECTORS], fp[N_DETECTORS], fn[N_DETECTORS];
	unsigned fp_other; /* findings of a detector DESIGN.md does not name */
};

static int detector_index(const char *name)
{
	for (size_t i = 0; i < N_DETECTORS; i++)
		if (strcmp(all_detectors[i], name) == 0)
			return (int)i;
	return -1;
}

static const char *prog_path(const struct program *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", p->nofire ? WEFT_NOFIRE_DIR : WEFT_EXAMPLES_DIR, p->name);
	return buf;
}

/* Records p into db.  0 done, 1 perturbed (why says how), fails the test on
 * anything else. */
static int record(const struct program *p, const char *db, char *why, size_t len)
{
	char exe[1024], status_line[128], *line;
	struct run_result r;
	int rc;

	prog_path(p, exe, sizeof exe);
	unlink(db);
	rc = WEFT(&r, 90, "record", "-o", (char *)db, "--", exe);
	if (rc != 0)
		TEST_FAIL_("%s: weft record exited %d: %.1500s", p->name, rc, r.err);
	snprintf(status_line, sizeof status_line, "exited with status %d", NOFIRE_PERTURBED);
	if (p->nofire && strstr(r.out, status_line)) {
		line = strstr(r.err, ": perturbed: ");
		snprintf(why, len, "%s says it was perturbed%s%.300s", p->name, line ? ":" : "",
			 line ? line + 12 : "");
		proc_result_free(&r);
		return 1;
	}
	if (strstr(r.out, "exited with status") || strstr(r.out, "was killed by signal"))
		TEST_FAIL_("%s did not run to its end: %.1000s %.1000s", p->name, r.out, r.err);
	if (strncmp(r.out, p->name, strlen(p->name)) != 0 || r.out[strlen(p->name)] != ':')
		TEST_FAIL_("%s: its own line is missing from weft record's output: [%.1000s]",
			   p->name, r.out);
	if (!strstr(r.out, "loss: none")) {
		line = strstr(r.out, "LOSS");
		snprintf(why, len, "LTTng lost events of %s: %.300s", p->name, line ? line : r.out);
		proc_result_free(&r);
		return 1;
	}
	proc_result_free(&r);
	return 0;
}

/* Compares rep with p's row; adds to t; notes every verdict. */
static unsigned compare(const struct program *p, struct report *rep, struct tally *t)
{
	unsigned bad = 0;
	char buf[1024], rbuf[256];

	for (size_t i = 0; i < rep->n; i++)
		if (rep->f[i].attached) {
			describe(&rep->f[i], buf, sizeof buf);
			note("#   attached (not counted): %s\n", buf);
			rep->f[i].consumed = true;
		}
	for (int k = 0; k < EXPECT_MAX && p->e[k].detector; k++) {
		const struct expect *e = &p->e[k];
		unsigned max = e->max ? e->max : 1, got = 0;
		int d = detector_index(e->detector);

		for (size_t i = 0; i < rep->n && got < max; i++) {
			if (rep->f[i].consumed || !matches(e, &rep->f[i]))
				continue;
			rep->f[i].consumed = true;
			describe(&rep->f[i], buf, sizeof buf);
			note("#   %s: %s\n", got ? "TP (another)" : "TP", buf);
			got++;
		}
		if (got) {
			t->tp[d]++;
			continue;
		}
		t->fn[d]++;
		bad++;
		note("#   FN: %s '%s'%s%s, %s%s: no such finding%s\n      (story: %s)\n",
		     e->detector, e->task, e->severity ? ", " : "", e->severity ? e->severity : "",
		     ranges(e, rbuf, sizeof rbuf), max > 1 ? ", one or more" : "",
		     detector_present(e->detector) ? "" : " (detector not in this build)",
		     e->story);
	}
	for (size_t i = 0; i < rep->n; i++) {
		const struct finding *f = &rep->f[i];
		int d = detector_index(f->detector);
		const char *why = "not expected";

		if (f->consumed)
			continue;
		for (int k = 0; k < EXPECT_MAX && p->e[k].detector; k++) {
			const struct expect *e = &p->e[k];

			if (strcmp(e->detector, f->detector) != 0)
				continue;
			why = !task_ok(e, f)		      ? "expected, but about another task"
			      : !value_ok(e, f)		      ? "expected, but its value is out of range"
			      : e->severity &&
					strcmp(e->severity, f->severity) ? "expected, but of another severity"
								       : "one more than expected";
		}
		if (d < 0)
			t->fp_other++;
		else
			t->fp[d]++;
		bad++;
		describe(f, buf, sizeof buf);
		note("#   FP (%s): %s\n", why, buf);
	}
	return bad;
}

static bool has_error_expected(const struct program *p)
{
	for (int k = 0; k < EXPECT_MAX && p->e[k].detector; k++)
		if (p->e[k].severity && strcmp(p->e[k].severity, "error") == 0)
			return true;
	return false;
}

/* --fail-on, --baseline and stable identity.  Returns the number of failed
 * checks (each noted). */
static unsigned check_gates(const struct program *p, const char *db, const struct report *rep,
			    const char *json_path)
{
	struct run_result r;
	struct report again;
	unsigned bad = 0, countable_error = 0, countable = 0;
	int want, rc;

	for (size_t i = 0; i < rep->n; i++) {
		if (rep->f[i].attached || rep->f[i].suppressed)
			continue;
		countable++;
		countable_error += strcmp(rep->f[i].severity, "error") == 0;
	}
	/* --fail-on error */
	want = p->nofire || !strcmp(p->name, "healthy") ? 0
	       : has_error_expected(p) || countable_error ? 1 : 0;
	rc = WEFT(&r, 60, "report", (char *)db, "--fail-on", "error");
	if (rc != want) {
		note("#   GATE: weft report --fail-on error exited %d, expected %d (%u error "
		     "finding%s)\n", rc, want, countable_error, countable_error == 1 ? "" : "s");
		bad++;
	}
	proc_result_free(&r);
	/* --fail-on info without a baseline: any finding fails */
	want = countable ? 1 : 0;
	rc = WEFT(&r, 60, "report", (char *)db, "--fail-on", "info");
	if (rc != want) {
		note("#   GATE: weft report --fail-on info exited %d, expected %d (%u finding%s)\n",
		     rc, want, countable, countable == 1 ? "" : "s");
		bad++;
	}
	proc_result_free(&r);
	/* the recording's own report as the baseline: nothing new, nothing fails */
	rc = WEFT(&r, 60, "report", (char *)db, "--baseline", (char *)json_path, "--fail-on",
		  "info", "--format", "json");
	if (rc != 0) {
		note("#   GATE: weft report --baseline (its own report) --fail-on info exited %d, "
		     "expected 0: %.300s\n", rc, r.err);
		bad++;
	}
	if (rc == 0 || rc == 1) {
		report_parse(&again, r.out, p->name);
		if (again.n != rep->n) {
			note("#   STABLE: running the detectors again gave %zu findings instead of "
			     "%zu\n", again.n, rep->n);
			bad++;
		}
		for (size_t i = 0; i < again.n; i++) {
			bool known = false;

			for (size_t j = 0; j < rep->n && !known; j++)
				known = !strcmp(again.f[i].fingerprint, rep->f[j].fingerprint);
			if (!known || !again.f[i].baseline) {
				note("#   BASELINE: finding %s is %s\n", again.f[i].fingerprint,
				     known ? "not marked as in the baseline" : "new on a second run");
				bad++;
			}
		}
		report_free(&again);
	}
	proc_result_free(&r);
	return bad;
}

static void result_path(const struct program *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s/results/%s", root, p->name);
}

/* Records p, reports, compares; writes its tally to results/NAME.  Returns
 * the number of failed expectations and checks; fails the test if it cannot
 * judge. */
static unsigned judge(const struct program *p)
{
	char db[700], json_path[700], why[512] = "", res[700];
	struct tally t = { 0 };
	struct run_result r;
	struct report rep;
	unsigned bad;
	FILE *f;
	int a, rc;

	for (a = 1; a <= ATTEMPTS; a++) {
		snprintf(db, sizeof db, "%s/%s.%d.db", root, p->name, a);
		if (record(p, db, why, sizeof why) == 0)
			break;
		note("# %s: attempt %d of %d too perturbed to judge: %s\n", p->name, a, ATTEMPTS,
		     why);
	}
	if (a > ATTEMPTS)
		TEST_FAIL_("%s: every recording was too perturbed to judge (a noisy machine?); "
			   "last: %s", p->name, why);
	rc = WEFT(&r, 60, "report", db, "--format", "json");
	if (rc != 0)
		TEST_FAIL_("%s: weft report --format json exited %d: %.500s", p->name, rc, r.err);
	snprintf(json_path, sizeof json_path, "%s/%s.json", root, p->name);
	write_file(json_path, r.out);
	report_parse(&rep, r.out, p->name);
	proc_result_free(&r);
	note("# %s: %zu finding%s\n", p->name, rep.n, rep.n == 1 ? "" : "s");
	bad = compare(p, &rep, &t);
	bad += check_gates(p, db, &rep, json_path);
	report_free(&rep);

	result_path(p, res, sizeof res);
	f = fopen(res, "w");
	if (!f)
		TEST_FAIL_("cannot write %s: %s", res, strerror(errno));
	for (size_t d = 0; d < N_DETECTORS; d++)
		fprintf(f, "%s %u %u %u\n", all_detectors[d], t.tp[d], t.fp[d], t.fn[d]);
	fprintf(f, "(other) 0 %u 0\n", t.fp_other);
	if (fclose(f) != 0)
		TEST_FAIL_("cannot write %s", res);
	return bad;
}

static int test_program(size_t i)
{
	unsigned bad = judge(&programs[i]);

	if (bad)
		TEST_FAIL_("%s: %u expectation%s unmet (FN, FP, GATE lines above)", programs[i].name,
			   bad, bad == 1 ? "" : "s");
	return 0;
}

/* ---- precision and recall -------------------------------------------------------------- */

static void ratio(char *buf, size_t len, unsigned num, unsigned den)
{
	if (den)
		snprintf(buf, len, "%.2f", (double)num / den);
	else
		snprintf(buf, len, "-");
}

static int test_precision_recall(void)
{
	unsigned tp[N_DETECTORS + 1] = { 0 }, fp[N_DETECTORS + 1] = { 0 },
		 fn[N_DETECTORS + 1] = { 0 };
	unsigned tot_tp = 0, tot_fp = 0, tot_fn = 0;
	size_t nofire = 0;
	char res[700], name[128], pr[16], rc[16];

	for (size_t i = 0; i < N_PROGRAMS; i++) {
		FILE *f;
		unsigned a, b, c;

		result_path(&programs[i], res, sizeof res);
		if (access(res, F_OK) != 0) {
			note("# precision-recall: %s was not judged in this run; recording it\n",
			     programs[i].name);
			judge(&programs[i]);
		}
		f = fopen(res, "r");
		if (!f)
			TEST_FAIL_("cannot read %s: %s", res, strerror(errno));
		while (fscanf(f, "%127s %u %u %u", name, &a, &b, &c) == 4) {
			int d = detector_index(name);
			size_t k = d < 0 ? N_DETECTORS : (size_t)d;

			tp[k] += a;
			fp[k] += b;
			fn[k] += c;
		}
		fclose(f);
	}
	for (size_t i = 0; i < N_PROGRAMS; i++)
		nofire += programs[i].nofire;
	note("# precision and recall over %zu programs (%zu examples, %zu must-not-fire)\n",
	     N_PROGRAMS, N_PROGRAMS - nofire, nofire);
	note("# %-26s %4s %4s %4s %9s %7s\n", "detector", "TP", "FP", "FN", "precision",
	     "recall");
	for (size_t d = 0; d <= N_DETECTORS; d++) {
		if (d == N_DETECTORS && !fp[d])
			break;
		ratio(pr, sizeof pr, tp[d], tp[d] + fp[d]);
		ratio(rc, sizeof rc, tp[d], tp[d] + fn[d]);
		note("# %-26s %4u %4u %4u %9s %7s%s\n", d < N_DETECTORS ? all_detectors[d] : "(other)",
		     tp[d], fp[d], fn[d], pr, rc,
		     d < N_DETECTORS && !detector_present(all_detectors[d]) ? "  (not in this build)"
									    : "");
		tot_tp += tp[d];
		tot_fp += fp[d];
		tot_fn += fn[d];
	}
	ratio(pr, sizeof pr, tot_tp, tot_tp + tot_fp);
	ratio(rc, sizeof rc, tot_tp, tot_tp + tot_fn);
	note("# %-26s %4u %4u %4u %9s %7s\n", "all", tot_tp, tot_fp, tot_fn, pr, rc);
	if (tot_fp || tot_fn)
		TEST_FAIL_("%u false positive%s and %u false negative%s", tot_fp,
			   tot_fp == 1 ? "" : "s", tot_fn, tot_fn == 1 ? "" : "s");
	return 0;
}

/* ---- the test list ------------------------------------------------------------------------ */

#define P(i) static int test_p##i(void) { return test_program(i); }
P(0) P(1) P(2) P(3) P(4) P(5) P(6) P(7) P(8) P(9) P(10) P(11) P(12) P(13) P(14) P(15)
P(16) P(17) P(18) P(19) P(20) P(21) P(22) P(23) P(24) P(25)
#undef P
static int (*const program_tests[])(void) = {
	test_p0, test_p1, test_p2, test_p3, test_p4, test_p5, test_p6, test_p7, test_p8,
	test_p9, test_p10, test_p11, test_p12, test_p13, test_p14, test_p15, test_p16,
	test_p17, test_p18, test_p19, test_p20, test_p21, test_p22, test_p23, test_p24,
	test_p25,
};
_Static_assert(sizeof(program_tests) / sizeof(program_tests[0]) == N_PROGRAMS,
	       "one test function per program of expect.h");

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

	snprintf(db, sizeof db, "%s/probe.db", root);
	rc = WEFT(&r, 60, "record", "-o", db, "--", "/bin/true");
	if (rc != 0)
		snprintf(why, len, "weft record -- /bin/true exited %d: %.300s", rc, r.err);
	proc_result_free(&r);
	return rc;
}

int main(int argc, char **argv)
{
	struct test_entry tests[N_PROGRAMS + 1];
	const char *tmp = getenv("TMPDIR");
	char why[1024] = "", dir[700];
	int rc;

	for (size_t i = 0; i < N_PROGRAMS; i++)
		tests[i] = (struct test_entry){ programs[i].name, program_tests[i], 120 };
	tests[N_PROGRAMS] = (struct test_entry){ "precision-recall", test_precision_recall, 900 };
	if (argc > 1 && argv[1][0] == '-' && strcmp(argv[1], "--no-fork") != 0)
		return test_runner_main(argc, argv, tests, N_PROGRAMS + 1);

	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1)
		ncpu = 1;
	snprintf(root, sizeof root, "%s/weft-findings-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root)) {
		fprintf(stderr, "Cannot create a directory for the recordings: %s: path=%s\n",
			strerror(errno), root);
		return 1;
	}
	snprintf(dir, sizeof dir, "%s/results", root);
	if (mkdir(dir, 0700) != 0)
		return 1;
	snprintf(dir, sizeof dir, "%s/xdg", root);
	if (mkdir(dir, 0700) != 0)
		return 1;
	if (lttng_ready(why, sizeof why) || list_detectors(why, sizeof why)) {
		rc = test_runner_cannot_run(argc, argv, tests, N_PROGRAMS + 1, why);
		nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		return rc;
	}
	printf("# detectors in this build:%s\n", present);
	rc = test_runner_main(argc, argv, tests, N_PROGRAMS + 1);
	if (rc == 0 && !getenv("WEFT_FINDINGS_KEEP"))
		nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	else
		printf("# recordings and reports kept in %s\n", root);
	return rc;
}
