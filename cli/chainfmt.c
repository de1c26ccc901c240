/*
 * chainfmt.c — durations, sanitised names and blame phrases for `weft chain`
 * and `weft report` (chainfmt.h).
 */
#include <inttypes.h>
#include <string.h>

#include "chainfmt.h"
#include "sanitize.h"
#include "weft/weft.h"

const char *chainfmt_dur(int64_t ns, char *buf, size_t len)
{
	if (ns < 0)
		snprintf(buf, len, "?");
	else if (ns >= 1000000000)
		snprintf(buf, len, "%.3f s", (double)ns / 1e9);
	else if (ns >= 1000000)
		snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
	else if (ns >= 1000)
		snprintf(buf, len, "%.1f us", (double)ns / 1e3);
	else
		snprintf(buf, len, "%" PRId64 " ns", ns);
	return buf;
}

const char *chainfmt_str(const char *raw, const char *none, char *buf, size_t len)
{
	if (!raw) {
		snprintf(buf, len, "%s", none);
		return buf;
	}
	sanitize(raw, strlen(raw), buf, len, SANITIZE_EXPAND_TABS);
	return buf;
}

void chainfmt_json_str(FILE *out, const char *raw)
{
	char buf[SANITIZE_MAX(WEFT_STR_MAX)];
	const char *s;

	if (!raw) {
		fputs("null", out);
		return;
	}
	s = chainfmt_str(raw, "", buf, sizeof(buf));
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static const char *kind_name(int kind)
{
	static const char *const names[] = {
#define X(up, low, doc) #low,
		WEFT_TASK_KIND_MAP(X)
#undef X
	};
	return kind >= 0 && kind < WEFT_TASK_KIND_COUNT ? names[kind] : "?";
}

void chainfmt_part(FILE *out, const struct chainfmt_part *p, int64_t wall_ns)
{
	char d[32], a[SANITIZE_MAX(64)], b[SANITIZE_MAX(64)];

	fprintf(out, "%s %s", p->cat, chainfmt_dur(p->ns, d, sizeof(d)));
	if (!strcmp(p->cat, "queued")) {
		fprintf(out, " on '%s'", chainfmt_str(p->ctx, "?", a, sizeof(a)));
	} else if (!strcmp(p->cat, "running")) {
		if (p->tid)
			fprintf(out, " on thread %d '%s'", (int)p->tid,
				chainfmt_str(p->thread_name, "", a, sizeof(a)));
		if (p->ctx)
			fprintf(out, " ('%s')", chainfmt_str(p->ctx, "", b, sizeof(b)));
	} else if (!strcmp(p->cat, "blocked")) {
		fprintf(out, " in '%s'", chainfmt_str(p->reason, "?", a, sizeof(a)));
		if (p->tid)
			fprintf(out, " on thread %d", (int)p->tid);
	} else if (!strcmp(p->cat, "waiting")) {
		fprintf(out, " on task %" PRIu64 " '%s'", p->task_id,
			chainfmt_str(p->task_name, "?", a, sizeof(a)));
		if (p->task_kind == WEFT_TASK_TIMER || p->task_kind == WEFT_TASK_IO)
			fprintf(out, " (%s)", kind_name(p->task_kind));
	} else if (!strcmp(p->cat, "marshal")) {
		fprintf(out, " '%s' -> '%s'", chainfmt_str(p->from_ctx, "?", a, sizeof(a)),
			chainfmt_str(p->ctx, "?", b, sizeof(b)));
	}
	if (wall_ns > 0)
		fprintf(out, " (%.1f %%)", 100.0 * (double)p->ns / (double)wall_ns);
}
