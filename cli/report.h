/*
 * report.h — findings as people and CI read them: the text and JSON forms
 * of `weft report`, also printed by `weft record` / `weft attach` after
 * their summary.  Reads only the store (table findings and its companions,
 * docs/schema.md); every string that came from the traced program is
 * sanitised before it is printed.
 */
#ifndef WEFT_CLI_REPORT_H
#define WEFT_CLI_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "detect.h"
#include "store.h"

enum report_format { REPORT_TEXT, REPORT_JSON };

struct report_opts {
	enum report_format format;
	int fail_on;              /* severity that fails (exit 1), -1: never */
	const char *baseline;     /* an earlier `--format json` report, or NULL */
	const char *store_path;   /* for the header */
	bool brief;               /* text: one line per finding (weft record) */
	int64_t session;          /* only this session's findings; 0: all */
};

struct report_result {
	unsigned total, by_severity[STORE_SEVERITY_COUNT];
	unsigned suppressed, known; /* known: in the baseline */
	unsigned failing;           /* counted for --fail-on */
};

/* Prints the store's findings.  0, or -errno after printing a one-line error
 * ("weft <cmd>: Cannot ..."). */
int report_print(struct store *st, FILE *out, const struct report_opts *o,
		 struct report_result *res, const char *cmd);

/* Loads the detector configuration the way every command does: defaults,
 * then --config FILE (which must exist) or else ~/.config/weft/weft.conf if
 * it exists.  0, or -errno with a one-line message in err. */
int report_load_config(struct detect_config *cfg, const char *path, char *err, size_t errlen);

/* "error" / "warning" / "info" -> severity, or -1. */
int report_severity(const char *name);

#endif
