/*
 * report.c — prints findings (report.h).  A finding's identity across
 * recordings (for --baseline) is its fingerprint: detector, process name,
 * and the name and creating site of the task it is about — never row ids or
 * pids, which differ between runs.
 */
#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chainfmt.h"
#include "cli.h"
#include "report.h"
#include "sanitize.h"

static const char *const severity_names[] = {
#define X(up, low, doc) #low,
	STORE_SEVERITY_MAP(X)
#undef X
};

int report_severity(const char *name)
{
	int i;

	for (i = 0; i < STORE_SEVERITY_COUNT; i++)
		if (strcmp(name, severity_names[i]) == 0)
			return i;
	return -1;
}

int report_load_config(struct detect_config *cfg, const char *path, char *err, size_t errlen)
{
	char def[PATH_MAX];
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	detect_config_init(cfg);
	if (path)
		return detect_config_load(cfg, path, err, errlen);
	if (xdg && *xdg)
		snprintf(def, sizeof(def), "%s/weft/weft.conf", xdg);
	else if (home && *home)
		snprintf(def, sizeof(def), "%s/.config/weft/weft.conf", home);
	else
		return 0;
	if (access(def, F_OK) != 0)
		return 0;
	return detect_config_load(cfg, def, err, errlen);
}

/* Column c as sanitised text into buf ("" for NULL). */
static const char *col(sqlite3_stmt *s, int c, char *buf, size_t len)
{
	const unsigned char *v = sqlite3_column_text(s, c);

	if (!v) {
		buf[0] = '\0';
		return buf;
	}
	sanitize((const char *)v, (size_t)sqlite3_column_bytes(s, c), buf, len,
		 SANITIZE_EXPAND_TABS);
	return buf;
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

/* ---- baseline ------------------------------------------------------------ */

struct baseline {
	char **fp;
	size_t n;
};

/* The "fingerprint" strings of an earlier JSON report (as report_print
 * writes them: sanitised, so no control bytes and only \" and \\ escaped). */
static int baseline_load(struct baseline *b, const char *path, const char *cmd)
{
	static const char key[] = "\"fingerprint\": \"";
	FILE *f = fopen(path, "r");
	char *text = NULL, *p;
	size_t len = 0, cap = 0, r;

	memset(b, 0, sizeof(*b));
	if (!f) {
		cli_error(cmd, "Cannot read baseline: %s: path=%s", strerror(errno), path);
		return -errno;
	}
	do {
		if (cap - len < 65536) {
			char *n = realloc(text, cap + 65536 + 1);

			if (!n) {
				fclose(f);
				free(text);
				cli_error(cmd, "Cannot read baseline: out of memory: path=%s", path);
				return -ENOMEM;
			}
			text = n;
			cap += 65536;
		}
		r = fread(text + len, 1, cap - len, f);
		len += r;
	} while (r > 0);
	fclose(f);
	text[len] = '\0';
	if (!strstr(text, "\"findings\"")) {
		free(text);
		cli_error(cmd, "Cannot read baseline: not a weft report (weft report --format "
			       "json): path=%s", path);
		return -EINVAL;
	}
	for (p = text; (p = strstr(p, key)); ) {
		char *q, *o, **n;

		p += sizeof(key) - 1;
		for (q = p, o = p; *q && *q != '"'; q++) {
			if (*q == '\\' && q[1])
				q++;
			*o++ = *q;
		}
		if (!*q)
			break;
		*o = '\0';
		n = realloc(b->fp, (b->n + 1) * sizeof(*n));
		if (!n || !(n[b->n] = strdup(p))) {
			free(n ? n : b->fp);
			free(text);
			cli_error(cmd, "Cannot read baseline: out of memory: path=%s", path);
			return -ENOMEM;
		}
		b->fp = n;
		b->n++;
		p = q + 1;
	}
	free(text);
	return 0;
}

static bool baseline_has(const struct baseline *b, const char *fp)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (strcmp(b->fp[i], fp) == 0)
			return true;
	return false;
}

static void baseline_free(struct baseline *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->fp[i]);
	free(b->fp);
}

/* ---- printing ------------------------------------------------------------- */

static void print_tasks(struct store *st, FILE *out, int64_t finding, bool json)
{
	static const char sql[] =
		"SELECT t.task, n.s, si.s, ft.role FROM finding_tasks ft "
		"JOIN tasks t ON t.id = ft.task LEFT JOIN strings n ON n.id = t.name "
		"LEFT JOIN strings si ON si.id = t.site WHERE ft.finding = ?1 ORDER BY ft.ord";
	sqlite3_stmt *s = NULL;
	char name[256], site[256], role[64];
	int n = 0;

	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(s, 1, finding);
	while (sqlite3_step(s) == SQLITE_ROW) {
		col(s, 1, name, sizeof(name));
		col(s, 2, site, sizeof(site));
		col(s, 3, role, sizeof(role));
		if (json) {
			fprintf(out, "%s{\"id\": %lld, \"name\": ", n ? ", " : "",
				(long long)sqlite3_column_int64(s, 0));
			json_str(out, name);
			fputs(", \"site\": ", out);
			json_str(out, site);
			fputs(", \"role\": ", out);
			json_str(out, role);
			fputc('}', out);
		} else {
			fprintf(out, "%s%s %lld '%s'%s%s", n ? "; " : "      tasks: ", role,
				(long long)sqlite3_column_int64(s, 0), name, site[0] ? " at " : "",
				site);
		}
		n++;
	}
	if (!json && n)
		fputc('\n', out);
	sqlite3_finalize(s);
}

/* A finding's chain (table finding_chain), root first: text, hop by hop
 * indented (a long chain shows its root and its last hops), or json. */
static void print_chain(struct store *st, FILE *out, int64_t finding, bool json)
{
	static const char sql[] =
		"SELECT fc.depth, fc.relation, t.task, n.s, si.s, th.tid, c.name, fc.queue_ns, "
		"  fc.run_ns, (SELECT count(*) FROM finding_chain x WHERE x.finding = fc.finding), "
		"  fc.blocked_ns, fc.wait_ns, mf.name "
		"FROM finding_chain fc JOIN tasks t ON t.id = fc.task "
		"LEFT JOIN strings n ON n.id = t.name LEFT JOIN strings si ON si.id = t.site "
		"LEFT JOIN threads th ON th.id = fc.thread LEFT JOIN contexts c ON c.id = fc.ctx "
		"LEFT JOIN contexts mf ON mf.id = fc.marshal_from "
		"WHERE fc.finding = ?1 ORDER BY fc.depth";
	sqlite3_stmt *s = NULL;
	char name[256], site[256], ctx[128], rel[32], mf[128], d1[32], d2[32];
	int n = 0;

	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		return; /* a store without v2:chain */
	sqlite3_bind_int64(s, 1, finding);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int depth = sqlite3_column_int(s, 0), hops = sqlite3_column_int(s, 9);

		col(s, 1, rel, sizeof(rel));
		col(s, 3, name, sizeof(name));
		col(s, 4, site, sizeof(site));
		col(s, 6, ctx, sizeof(ctx));
		col(s, 12, mf, sizeof(mf));
		if (json) {
			fprintf(out, "%s{\"id\": %lld, \"name\": ", n ? ", " : "",
				(long long)sqlite3_column_int64(s, 2));
			json_str(out, name);
			fputs(", \"site\": ", out);
			json_str(out, site);
			fputs(", \"thread\": ", out);
			if (sqlite3_column_type(s, 5) == SQLITE_NULL)
				fputs("null", out);
			else
				fprintf(out, "%d", sqlite3_column_int(s, 5));
			fputs(", \"ctx\": ", out);
			if (sqlite3_column_type(s, 6) == SQLITE_NULL)
				fputs("null", out);
			else
				json_str(out, ctx);
			fputs(", \"queue_ns\": ", out);
			if (sqlite3_column_type(s, 7) == SQLITE_NULL)
				fputs("null", out);
			else
				fprintf(out, "%lld", (long long)sqlite3_column_int64(s, 7));
			fputs(", \"run_ns\": ", out);
			if (sqlite3_column_type(s, 8) == SQLITE_NULL)
				fputs("null", out);
			else
				fprintf(out, "%lld", (long long)sqlite3_column_int64(s, 8));
			fputs(", \"relation\": ", out);
			json_str(out, rel);
			fputc('}', out);
		} else if (depth < 1 || depth >= hops - 6) {
			if (depth == 0)
				fputs("      chain: ", out);
			else
				fprintf(out, "      %*s└ %s ", depth < 10 ? 2 * depth + 5 : 25, "", rel);
			fprintf(out, "task %lld '%s'", (long long)sqlite3_column_int64(s, 2), name);
			if (site[0])
				fprintf(out, " at %s", site);
			fputs(" [", out);
			if (sqlite3_column_type(s, 5) != SQLITE_NULL)
				fprintf(out, "thread %d, ", sqlite3_column_int(s, 5));
			if (ctx[0])
				fprintf(out, "'%s', ", ctx);
			if (mf[0])
				fprintf(out, "marshal from '%s', ", mf);
			fprintf(out, "queued %s, ran %s",
				sqlite3_column_type(s, 7) == SQLITE_NULL
					? "-" : chainfmt_dur(sqlite3_column_int64(s, 7), d1, sizeof(d1)),
				sqlite3_column_type(s, 8) == SQLITE_NULL
					? "-" : chainfmt_dur(sqlite3_column_int64(s, 8), d2, sizeof(d2)));
			if (sqlite3_column_int64(s, 10) > 0)
				fprintf(out, ", blocked %s",
					chainfmt_dur(sqlite3_column_int64(s, 10), d1, sizeof(d1)));
			if (sqlite3_column_int64(s, 11) > 0)
				fprintf(out, ", waited %s",
					chainfmt_dur(sqlite3_column_int64(s, 11), d1, sizeof(d1)));
			fputs("]\n", out);
		} else if (depth == 1) {
			fprintf(out, "      %7s... %d hops ...\n", "", hops - 7);
		}
		n++;
	}
	sqlite3_finalize(s);
}

/* A finding's blame (table finding_blame), largest part first: text as
 * "queued 1.480 s on 'ui' (98.7 %), ...", or json. */
static void print_blame(struct store *st, FILE *out, int64_t finding, bool json)
{
	static const char sql[] =
		"SELECT fb.category, fb.ns, c.name, fc.name, th.tid, th.name, t.task, n.s, t.kind, "
		"  r.s, (SELECT sum(ns) FROM finding_blame x WHERE x.finding = fb.finding) "
		"FROM finding_blame fb LEFT JOIN contexts c ON c.id = fb.ctx "
		"LEFT JOIN contexts fc ON fc.id = fb.from_ctx LEFT JOIN threads th ON th.id = fb.thread "
		"LEFT JOIN tasks t ON t.id = fb.task LEFT JOIN strings n ON n.id = t.name "
		"LEFT JOIN strings r ON r.id = fb.reason WHERE fb.finding = ?1 ORDER BY fb.ord";
	sqlite3_stmt *s = NULL;
	int n = 0, more = 0;

	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(s, 1, finding);
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct chainfmt_part p = {
			(const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1),
			(const char *)sqlite3_column_text(s, 2), (const char *)sqlite3_column_text(s, 3),
			(const char *)sqlite3_column_text(s, 5), (const char *)sqlite3_column_text(s, 7),
			(const char *)sqlite3_column_text(s, 9), sqlite3_column_int(s, 4),
			(uint64_t)sqlite3_column_int64(s, 6),
			sqlite3_column_type(s, 8) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 8),
		};

		if (!p.cat)
			continue;
		if (json) {
			fprintf(out, "%s{\"category\": ", n ? ", " : "");
			chainfmt_json_str(out, p.cat);
			fprintf(out, ", \"ns\": %lld, \"ctx\": ", (long long)p.ns);
			chainfmt_json_str(out, p.ctx);
			fputs(", \"thread\": ", out);
			if (p.tid)
				fprintf(out, "%d", (int)p.tid);
			else
				fputs("null", out);
			fputs(", \"task\": ", out);
			if (sqlite3_column_type(s, 6) == SQLITE_NULL)
				fputs("null", out);
			else
				fprintf(out, "%llu", (unsigned long long)p.task_id);
			fputs(", \"reason\": ", out);
			chainfmt_json_str(out, p.reason);
			fputc('}', out);
		} else if (n < 4) {
			fputs(n ? ", " : "      blame: ", out);
			chainfmt_part(out, &p, sqlite3_column_int64(s, 10));
		} else {
			more++;
		}
		n++;
	}
	if (!json && n)
		fprintf(out, more ? ", and %d more\n" : "\n", more);
	sqlite3_finalize(s);
}

int report_print(struct store *st, FILE *out, const struct report_opts *o,
		 struct report_result *res, const char *cmd)
{
	static const char sql[] =
		"SELECT f.id, f.detector, f.severity, p.pid, p.name, f.begin_ns, f.end_ns, f.value, "
		"  f.unit, f.message, f.suppressed, f.attached_to, n.s, si.s, "
		"  (SELECT count(*) FROM findings a WHERE a.attached_to = f.id) "
		"FROM findings f LEFT JOIN processes p ON p.id = f.process "
		"LEFT JOIN tasks t ON t.id = f.task LEFT JOIN strings n ON n.id = t.name "
		"LEFT JOIN strings si ON si.id = t.site "
		"WHERE ?1 = 0 OR f.session = ?1 "
		"ORDER BY f.attached_to IS NOT NULL, f.severity DESC, f.session, f.begin_ns, f.id";
	struct baseline base = { 0 };
	sqlite3_stmt *s = NULL;
	int rc = 0, n = 0;

	memset(res, 0, sizeof(*res));
	if (o->baseline && (rc = baseline_load(&base, o->baseline, cmd)) < 0)
		return rc;
	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) != SQLITE_OK) {
		cli_error(cmd, "Cannot read findings: %s: path=%s", sqlite3_errmsg(store_db(st)),
			  o->store_path);
		baseline_free(&base);
		return -EIO;
	}
	sqlite3_bind_int64(s, 1, o->session);
	if (o->format == REPORT_JSON) {
		fputs("{\"store\": ", out);
		json_str(out, o->store_path ? o->store_path : "");
		fputs(", \"findings\": [", out);
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		char det[64], proc[128], unit[32], msg[1024], supp[256], tname[128], tsite[256];
		char fp[640];
		int sev = sqlite3_column_int(s, 2);
		bool attached = sqlite3_column_type(s, 11) != SQLITE_NULL, known, suppressed;

		if (sev < 0 || sev >= STORE_SEVERITY_COUNT)
			sev = STORE_SEVERITY_INFO;
		col(s, 1, det, sizeof(det));
		col(s, 4, proc, sizeof(proc));
		col(s, 8, unit, sizeof(unit));
		col(s, 9, msg, sizeof(msg));
		col(s, 10, supp, sizeof(supp));
		col(s, 12, tname, sizeof(tname));
		col(s, 13, tsite, sizeof(tsite));
		suppressed = sqlite3_column_type(s, 10) != SQLITE_NULL;
		snprintf(fp, sizeof(fp), "%s|%s|%s|%s", det, proc, tname, tsite);
		known = base.n && baseline_has(&base, fp);
		res->total++;
		res->by_severity[sev]++;
		res->suppressed += suppressed;
		res->known += known;
		if (!suppressed && !known && !attached && o->fail_on >= 0 && sev >= o->fail_on)
			res->failing++;
		if (o->format == REPORT_JSON) {
			fprintf(out, "%s\n  {\"id\": %lld, \"detector\": ", n ? "," : "",
				(long long)sqlite3_column_int64(s, 0));
			json_str(out, det);
			fprintf(out, ", \"severity\": \"%s\", \"pid\": %lld, \"process\": ",
				severity_names[sev], (long long)sqlite3_column_int64(s, 3));
			json_str(out, proc);
			fputs(", \"tasks\": [", out);
			print_tasks(st, out, sqlite3_column_int64(s, 0), true);
			fprintf(out, "], \"start_ns\": %lld, \"end_ns\": ",
				(long long)sqlite3_column_int64(s, 5));
			if (sqlite3_column_type(s, 6) == SQLITE_NULL)
				fputs("null", out);
			else
				fprintf(out, "%lld", (long long)sqlite3_column_int64(s, 6));
			fprintf(out, ", \"value\": %.6g, \"unit\": ", sqlite3_column_double(s, 7));
			json_str(out, unit);
			fputs(", \"message\": ", out);
			json_str(out, msg);
			fputs(", \"chain\": [", out);
			print_chain(st, out, sqlite3_column_int64(s, 0), true);
			fputs("], \"blame\": [", out);
			print_blame(st, out, sqlite3_column_int64(s, 0), true);
			fputs("], \"suppressed\": ", out);
			if (suppressed)
				json_str(out, supp);
			else
				fputs("null", out);
			fprintf(out, ", \"attached_to\": ");
			if (attached)
				fprintf(out, "%lld", (long long)sqlite3_column_int64(s, 11));
			else
				fputs("null", out);
			fprintf(out, ", \"baseline\": %s, \"fingerprint\": ", known ? "true" : "false");
			json_str(out, fp);
			fputc('}', out);
		} else if (o->brief) {
			if (!attached)
				fprintf(out, "  %-7s %-18s %s%s\n", severity_names[sev], det, msg,
					suppressed ? " [suppressed]" : known ? " [baseline]" : "");
		} else {
			fprintf(out, "%s%-7s %s (pid %lld %s)%s%s\n  %s\n", attached ? "  + " : "",
				severity_names[sev], det, (long long)sqlite3_column_int64(s, 3),
				proc, suppressed ? " suppressed: " : known ? " [in baseline]" : "",
				suppressed ? supp : "", msg);
			fprintf(out, "      at %.3f s", (double)sqlite3_column_int64(s, 5) / 1e9);
			if (sqlite3_column_type(s, 6) != SQLITE_NULL)
				fprintf(out, " .. %.3f s", (double)sqlite3_column_int64(s, 6) / 1e9);
			fprintf(out, ", measured %.4g %s", sqlite3_column_double(s, 7), unit);
			if (sqlite3_column_int(s, 14))
				fprintf(out, "; %d finding%s follow%s from it", sqlite3_column_int(s, 14),
					sqlite3_column_int(s, 14) == 1 ? "" : "s",
					sqlite3_column_int(s, 14) == 1 ? "s" : "");
			fputc('\n', out);
			print_tasks(st, out, sqlite3_column_int64(s, 0), false);
			print_chain(st, out, sqlite3_column_int64(s, 0), false);
			print_blame(st, out, sqlite3_column_int64(s, 0), false);
		}
		n++;
	}
	sqlite3_finalize(s);
	if (o->format == REPORT_JSON) {
		fprintf(out, "\n], \"summary\": {\"findings\": %u, \"error\": %u, \"warning\": %u, "
			     "\"info\": %u, \"suppressed\": %u, \"baseline\": %u, \"failing\": %u}}\n",
			res->total, res->by_severity[STORE_SEVERITY_ERROR],
			res->by_severity[STORE_SEVERITY_WARNING], res->by_severity[STORE_SEVERITY_INFO],
			res->suppressed, res->known, res->failing);
	} else if (!o->brief) {
		fprintf(out, "%s%u finding%s: %u error, %u warning, %u info", n ? "\n" : "",
			res->total, res->total == 1 ? "" : "s", res->by_severity[STORE_SEVERITY_ERROR],
			res->by_severity[STORE_SEVERITY_WARNING],
			res->by_severity[STORE_SEVERITY_INFO]);
		if (res->suppressed)
			fprintf(out, ", %u suppressed", res->suppressed);
		if (o->baseline)
			fprintf(out, ", %u in the baseline", res->known);
		fputc('\n', out);
	}
	baseline_free(&base);
	return rc;
}
