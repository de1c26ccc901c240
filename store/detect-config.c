/*
 * detect-config.c — detector configuration: defaults from the detector
 * table, then a config file, then command-line assignments, each value
 * remembering where it came from (`weft report --list-detectors` prints it).
 *
 * File format (docs/detectors.md), line by line:
 *
 *   # comment
 *   [blocking-wait]            a detector's section
 *   enabled = no               yes/no, on/off, true/false
 *   min_wait = 80ms            a threshold, with or without a unit
 *   [suppress]                 one suppression per section
 *   site = src/net.c:120       the creating call site of the finding's task
 *   detector = blocking-wait   optional: every detector if absent
 *   reason = the retry loop blocks by design     required
 *
 * Values with a unit are converted to the threshold's own unit: time (ns,
 * us, ms, s), percent (%, or a fraction like 0.5 for a % threshold is not
 * guessed: write 50%), counts (plain).  Anything else is an error naming the
 * file and line; nothing is ignored silently.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"

void detect_config_init(struct detect_config *cfg)
{
	int i, j;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < DETECTOR_COUNT; i++) {
		cfg->enabled[i] = detectors[i] != NULL;
		for (j = 0; detectors[i] && j < DETECT_MAX_THRESHOLDS && detectors[i]->th[j].name; j++)
			cfg->value[i][j] = detectors[i]->th[j].def;
	}
}

void detect_config_free(struct detect_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nsupp; i++) {
		free(cfg->supp[i].detector);
		free(cfg->supp[i].site);
		free(cfg->supp[i].reason);
	}
	free(cfg->supp);
	free(cfg->origin_file);
	memset(cfg, 0, sizeof(*cfg));
}

static double time_scale(const char *unit)
{
	if (strcmp(unit, "ns") == 0)
		return 1;
	if (strcmp(unit, "us") == 0)
		return 1e3;
	if (strcmp(unit, "ms") == 0)
		return 1e6;
	if (strcmp(unit, "s") == 0)
		return 1e9;
	return 0;
}

/* Parses "80ms", "1.5s", "50%", "3" into want_unit.  0 or -EINVAL. */
static int parse_value(const char *text, const char *want_unit, double *out)
{
	char *end;
	double v, from, to;

	errno = 0;
	v = strtod(text, &end);
	if (end == text || errno || !isfinite(v) || v < 0)
		return -EINVAL;
	while (*end == ' ')
		end++;
	if (!*end) {
		*out = v;
		return 0;
	}
	if (strcmp(end, "%") == 0)
		return strcmp(want_unit, "%") == 0 ? (*out = v, 0) : -EINVAL;
	from = time_scale(end);
	to = time_scale(want_unit);
	if (!from || !to)
		return -EINVAL;
	*out = v * from / to;
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "1"))
		return *out = true, 0;
	if (!strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "0"))
		return *out = false, 0;
	return -EINVAL;
}

/* Sets key = value for detector id; 0 or -EINVAL with err. */
static int set_key(struct detect_config *cfg, enum detector_id id, const char *key,
		   const char *value, enum detect_origin origin, char *err, size_t errlen)
{
	const struct detector *d = detectors[id];
	int j;

	if (strcmp(key, "enabled") == 0) {
		if (parse_bool(value, &cfg->enabled[id]) < 0) {
			snprintf(err, errlen, "enabled takes yes or no: value=%s", value);
			return -EINVAL;
		}
		return 0;
	}
	for (j = 0; j < DETECT_MAX_THRESHOLDS && d->th[j].name; j++) {
		if (strcmp(d->th[j].name, key) != 0)
			continue;
		if (parse_value(value, d->th[j].unit, &cfg->value[id][j]) < 0) {
			snprintf(err, errlen, "not a value in %s: detector=%s threshold=%s value=%s",
				 d->th[j].unit, d->name, key, value);
			return -EINVAL;
		}
		cfg->origin[id][j] = origin;
		return 0;
	}
	snprintf(err, errlen, "no such threshold: detector=%s threshold=%s (see weft report "
			      "--list-detectors)", d->name, key);
	return -EINVAL;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int supp_add(struct detect_config *cfg)
{
	struct detect_suppression *n = realloc(cfg->supp, (cfg->nsupp + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	cfg->supp = n;
	memset(&n[cfg->nsupp++], 0, sizeof(*n));
	return 0;
}

static int supp_check(const struct detect_config *cfg, char *why, size_t len)
{
	const struct detect_suppression *s;

	if (!cfg->nsupp)
		return 0;
	s = &cfg->supp[cfg->nsupp - 1];
	if (!s->site) {
		snprintf(why, len, "a [suppress] section needs site = FILE:LINE");
		return -EINVAL;
	}
	if (!s->reason || !*s->reason) {
		snprintf(why, len, "a suppression needs a reason: site=%s", s->site);
		return -EINVAL;
	}
	return 0;
}

int detect_config_load(struct detect_config *cfg, const char *path, char *err, size_t errlen)
{
	enum { NONE, DETECTOR, SUPPRESS } section = NONE;
	enum detector_id id = 0;
	char line[1024], why[512] = "";
	FILE *f = fopen(path, "r");
	int lineno = 0, rc = 0;

	if (!f) {
		snprintf(err, errlen, "Cannot read config: %s: path=%s", strerror(errno), path);
		return -errno;
	}
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		char *p, *eq, *key, *value;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(why, sizeof(why), "line too long");
			rc = -EINVAL;
			break;
		}
		p = trim(line);
		if (!*p || *p == '#' || *p == ';')
			continue;
		if (*p == '[') {
			char *close = strchr(p, ']');

			if (!close || close[1]) {
				snprintf(why, sizeof(why), "a section is [NAME]");
				rc = -EINVAL;
				break;
			}
			*close = '\0';
			p = trim(p + 1);
			if (section == SUPPRESS && (rc = supp_check(cfg, why, sizeof(why))) < 0)
				break;
			if (strcmp(p, "suppress") == 0) {
				section = SUPPRESS;
				if ((rc = supp_add(cfg)) < 0)
					snprintf(why, sizeof(why), "out of memory");
			} else if (detector_find(p, &id)) {
				section = DETECTOR;
			} else {
				snprintf(why, sizeof(why), "no such detector: [%s] (see weft report "
							   "--list-detectors)", p);
				rc = -EINVAL;
			}
			continue;
		}
		eq = strchr(p, '=');
		if (!eq || section == NONE) {
			snprintf(why, sizeof(why), section == NONE ? "a setting outside any [section]"
								   : "expected key = value");
			rc = -EINVAL;
			break;
		}
		*eq = '\0';
		key = trim(p);
		value = trim(eq + 1);
		if (section == DETECTOR) {
			rc = set_key(cfg, id, key, value, DETECT_FROM_FILE, why, sizeof(why));
		} else {
			struct detect_suppression *s = &cfg->supp[cfg->nsupp - 1];
			char **slot = !strcmp(key, "site") ? &s->site
				      : !strcmp(key, "reason") ? &s->reason
				      : !strcmp(key, "detector") ? &s->detector : NULL;

			if (!slot) {
				snprintf(why, sizeof(why), "[suppress] takes site, detector, reason: "
							   "key=%s", key);
				rc = -EINVAL;
			} else if (slot == &s->detector && !detector_find(value, NULL)) {
				snprintf(why, sizeof(why), "no such detector: %s", value);
				rc = -EINVAL;
			} else {
				free(*slot);
				*slot = strdup(value);
				if (!*slot) {
					snprintf(why, sizeof(why), "out of memory");
					rc = -ENOMEM;
				}
			}
		}
	}
	if (rc == 0 && ferror(f)) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		rc = -EIO;
	}
	if (rc == 0 && section == SUPPRESS)
		rc = supp_check(cfg, why, sizeof(why));
	fclose(f);
	if (rc < 0) {
		snprintf(err, errlen, "Cannot read config: %s: path=%s line=%d", why, path, lineno);
		return rc;
	}
	free(cfg->origin_file);
	cfg->origin_file = strdup(path);
	return 0;
}

int detect_config_set(struct detect_config *cfg, const char *assignment, char *err,
		      size_t errlen)
{
	char buf[256], why[384], *eq, *dot, *value;
	enum detector_id id;
	int rc;

	snprintf(buf, sizeof(buf), "%s", assignment);
	eq = strchr(buf, '=');
	if (!eq) {
		snprintf(err, errlen, "Cannot set a detector option: expected DETECTOR.KEY=VALUE "
				      "or DETECTOR=on|off: value=%s", assignment);
		return -EINVAL;
	}
	*eq = '\0';
	value = eq + 1;
	dot = strchr(buf, '.');
	if (dot)
		*dot = '\0';
	if (!detector_find(buf, &id)) {
		snprintf(err, errlen, "Cannot set a detector option: no such detector: detector=%s",
			 buf);
		return -EINVAL;
	}
	rc = set_key(cfg, id, dot ? dot + 1 : "enabled", value, DETECT_FROM_FLAG, why,
		     sizeof(why));
	if (rc < 0)
		snprintf(err, errlen, "Cannot set a detector option: %s", why);
	return rc;
}

int detect_config_only(struct detect_config *cfg, const char *names, char *err, size_t errlen)
{
	bool keep[DETECTOR_COUNT] = { false };
	char buf[1024], *tok, *save = NULL;
	enum detector_id id;
	int i;

	snprintf(buf, sizeof(buf), "%s", names);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok = trim(tok);
		if (!detector_find(tok, &id)) {
			snprintf(err, errlen, "Cannot select detectors: no such detector: detector=%s",
				 tok);
			return -EINVAL;
		}
		keep[id] = true;
	}
	for (i = 0; i < DETECTOR_COUNT; i++)
		cfg->enabled[i] = cfg->enabled[i] && keep[i];
	return 0;
}
