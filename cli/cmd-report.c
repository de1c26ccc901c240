/*
 * `weft report [FILE] [options]`: runs the detectors over a trace store
 * (bringing its findings up to date; they are kept in the store) and prints
 * the findings, for people (text) or CI (json, --fail-on, --baseline).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "detect.h"
#include "report.h"
#include "store.h"

static const char *const origin_names[] = { "default", "file", "flag" };

static void list_detectors(const struct detect_config *cfg)
{
	int i, j;

	for (i = 0; i < DETECTOR_COUNT; i++) {
		const struct detector *d = detectors[i];

		printf("%s (%s)%s\n  %s\n  when: %s\n  fix: %s\n", d->name,
		       d->severity == STORE_SEVERITY_ERROR ? "error"
		       : d->severity == STORE_SEVERITY_WARNING ? "warning" : "info",
		       cfg->enabled[i] ? "" : " [disabled]", d->summary, d->condition, d->fix);
		for (j = 0; j < DETECT_MAX_THRESHOLDS && d->th[j].name; j++)
			printf("  %s = %g %s  (%s%s%s; default %g)  %s\n", d->th[j].name,
			       cfg->value[i][j], d->th[j].unit, origin_names[cfg->origin[i][j]],
			       cfg->origin[i][j] == DETECT_FROM_FILE ? " " : "",
			       cfg->origin[i][j] == DETECT_FROM_FILE ? cfg->origin_file : "",
			       d->th[j].def, d->th[j].doc);
		putchar('\n');
	}
}

static int report_exec(int argc, char **argv)
{
	struct report_opts ro = { .format = REPORT_TEXT, .fail_on = -1 };
	const char *path = "weft.db", *config = NULL, *only = NULL;
	const char *sets[32];
	struct detect_config cfg;
	struct detect_stats ds;
	struct report_result res;
	struct store *st = NULL;
	bool list = false, no_analyze = false, ended = false, have_path = false;
	int nsets = 0, i, rc, status = EXIT_FAIL;
	char err[1024];

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--format") || !strcmp(a, "-f")) {
			if (!v || (strcmp(v, "text") && strcmp(v, "json"))) {
				cli_error("report", "Cannot report: --format takes text or json: "
						    "format=%s", v ? v : "");
				return EXIT_USAGE;
			}
			ro.format = strcmp(v, "json") ? REPORT_TEXT : REPORT_JSON;
			i++;
		} else if (!strcmp(a, "--fail-on")) {
			if (!v || (ro.fail_on = report_severity(v)) < 0) {
				cli_error("report", "Cannot report: --fail-on takes error, warning or "
						    "info: value=%s", v ? v : "");
				return EXIT_USAGE;
			}
			i++;
		} else if (!strcmp(a, "--only") || !strcmp(a, "--baseline") ||
			   !strcmp(a, "--config") || !strcmp(a, "--set")) {
			if (!v) {
				cli_error("report", "Cannot report: %s needs a value", a);
				return EXIT_USAGE;
			}
			if (!strcmp(a, "--only"))
				only = v;
			else if (!strcmp(a, "--baseline"))
				ro.baseline = v;
			else if (!strcmp(a, "--config"))
				config = v;
			else if (nsets < 32)
				sets[nsets++] = v;
			i++;
		} else if (!strcmp(a, "--list-detectors")) {
			list = true;
		} else if (!strcmp(a, "--no-analyze")) {
			no_analyze = true;
		} else if (!strcmp(a, "--ended")) {
			ended = true;
		} else if (a[0] == '-' && a[1]) {
			cli_error("report", "Cannot report: unknown option: option=%s", a);
			return EXIT_USAGE;
		} else if (!have_path) {
			path = a;
			have_path = true;
		} else {
			cli_error("report", "Cannot report: more than one store given: extra=%s", a);
			return EXIT_USAGE;
		}
	}
	if (report_load_config(&cfg, config, err, sizeof(err)) < 0) {
		cli_error("report", "%s", err);
		detect_config_free(&cfg);
		return EXIT_USAGE;
	}
	for (i = 0; i < nsets; i++) {
		if (detect_config_set(&cfg, sets[i], err, sizeof(err)) < 0) {
			cli_error("report", "%s", err);
			detect_config_free(&cfg);
			return EXIT_USAGE;
		}
	}
	if (only && detect_config_only(&cfg, only, err, sizeof(err)) < 0) {
		cli_error("report", "%s", err);
		detect_config_free(&cfg);
		return EXIT_USAGE;
	}
	if (list) {
		list_detectors(&cfg);
		detect_config_free(&cfg);
		return EXIT_OK;
	}
	if (access(path, F_OK) != 0) {
		cli_error("report", "Cannot open trace store: no such file: path=%s", path);
		goto out;
	}
	if (store_open(path, no_analyze ? STORE_READONLY : 0, &st, err, sizeof(err)) != 0) {
		cli_error("report", "%s", err);
		goto out;
	}
	if (!no_analyze) {
		struct detect_opts o = { .cfg = &cfg, .final = ended };

		rc = detect_run(st, &o, &ds, err, sizeof(err));
		if (rc < 0) {
			cli_error("report", "%s: path=%s", err, path);
			goto out;
		}
	}
	ro.store_path = path;
	if (report_print(st, stdout, &ro, &res, "report") < 0)
		goto out;
	status = res.failing ? EXIT_FAIL : EXIT_OK;
out:
	store_close(st);
	detect_config_free(&cfg);
	return status;
}

const struct cmd_entry cmd_report_entry = {
	.name = "report",
	.usage = "[FILE] [--format text|json] [--fail-on SEVERITY] [--only NAME,...]\n"
		 "             [--baseline REPORT.json] [--config FILE] [--set DET.KEY=VALUE]\n"
		 "             [--list-detectors] [--ended] [--no-analyze]",
	.summary = "Find deadlocks, starvation, silent failures, ... in a trace store.",
	.help = "Runs weft's detectors over FILE (default: weft.db), keeps their findings in\n"
		"the store (table findings; running again updates them, never duplicates\n"
		"them) and prints them by severity: what happened, the tasks by id, name and\n"
		"creating site, the time range and the measured value.  A finding that\n"
		"follows from another (a slow callback that is a deadlocked wait) is shown\n"
		"under it.  Conditions that hold \"at the end of the trace\" are checked only\n"
		"for recordings that have ended (every weft record/attach/import marks the\n"
		"end; --ended asserts it for a store that lacks it).\n\n"
		"Options:\n"
		"  -f, --format FMT      text (default) or json (documented in docs/detectors.md)\n"
		"  --fail-on SEVERITY    exit 1 if a finding of SEVERITY (error, warning, info) or\n"
		"                        worse is present, not suppressed and not in the baseline\n"
		"  --only NAME,...       run and gate on only these detectors\n"
		"  --baseline FILE       an earlier --format json report: findings it holds are\n"
		"                        marked [in baseline] and do not fail --fail-on\n"
		"  --config FILE         detector settings (default ~/.config/weft/weft.conf if it\n"
		"                        exists; format in docs/detectors.md)\n"
		"  --set DET.KEY=VALUE   one threshold (blocking-wait.min_wait=80ms), or\n"
		"                        DET=off to disable a detector\n"
		"  --list-detectors      print every detector, its condition and thresholds, and\n"
		"                        where each value came from, then exit\n"
		"  --ended               treat every session as ended\n"
		"  --no-analyze          print the findings already in the store (read-only)\n\n"
		"Exit status: 0, or 1 when --fail-on is met or the store cannot be read,\n"
		"2 for bad arguments.\n",
	.exec = report_exec,
};
