/*
 * cancel-ignored — cancellation was requested, and work carrying that token
 * kept running or completed normally as if nothing had happened.
 *
 * A cancel_request on token K reaches every task whose token is K or a token
 * linked to K (token_parents, transitively: a linked token is cancelled when
 * any of its parents is).  For each task that had started (it was using a
 * worker) and had not ended when the first request reaching it was made, the
 * time it ran on after the request is measured from max(request, start): it
 * ignored the request when that reaches `grace` while it is still running,
 * or it ended ok after running on for `grace`.  A task that noticed the
 * request (cancel_observe by it) within `grace` honoured it, however long
 * its cleanup takes; one that ended canceled or with an error did not carry
 * on as if nothing happened.  Tasks that never start (promises, timers,
 * combinators) consume nothing and are not judged.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "detect.h"
#include "sanitize.h"
#include "store-int.h"

enum { TH_GRACE };

static void text_col(sqlite3_stmt *s, int i, char *out, size_t cap, const char *def)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	if (v)
		sanitize((const char *)v, (size_t)sqlite3_column_bytes(s, i), out, cap, 0);
	else
		snprintf(out, cap, "%s", def);
}

static int check(struct detect_ctx *c)
{
	/* The first request reaching each tokened task (bare columns of
	 * min(): SQLite takes them from the row of the minimum). */
	static const char sql[] =
		"WITH RECURSIVE first_cancel(token, ts, reason) AS ("
		"  SELECT cl.token, min(cl.ts_ns), cl.reason FROM cancellations cl "
		"  JOIN tokens k ON k.id = cl.token JOIN processes p ON p.id = k.process "
		"  WHERE p.session = ?1 GROUP BY cl.token), "
		"reach(token, ts, src, reason) AS ("
		"  SELECT token, ts, token, reason FROM first_cancel "
		"  UNION "
		"  SELECT tp.token, r.ts, r.src, r.reason FROM reach r "
		"  JOIN token_parents tp ON tp.parent = r.token), "
		"hit(task, ts, src, reason, token) AS ("
		"  SELECT t.id, min(r.ts), r.src, r.reason, t.token FROM reach r "
		"  JOIN tasks t ON t.token = r.token "
		"  WHERE t.started_ns IS NOT NULL AND (t.ended_ns IS NULL OR t.ended_ns > r.ts) "
		"  GROUP BY t.id) "
		"SELECT h.task, t.process, h.ts, t.started_ns, t.ended_ns, t.status, "
		"  (SELECT min(o.ts_ns) FROM cancel_observations o WHERE o.task = h.task "
		"     AND o.ts_ns >= h.ts), "
		"  tk.name, sk.name, rs.s, t.started_thread, t.ctx, h.token != h.src "
		"FROM hit h JOIN tasks t ON t.id = h.task "
		"JOIN tokens tk ON tk.id = h.token JOIN tokens sk ON sk.id = h.src "
		"LEFT JOIN strings rs ON rs.id = h.reason "
		"ORDER BY h.task";
	int64_t grace = (int64_t)(detect_th(c, TH_GRACE) * 1e6), now = detect_now(c);
	sqlite3_stmt *s = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(detect_db(c), sql, -1, &s, NULL) != SQLITE_OK)
		return detect_fail(c, -EIO, "prepare: %s", sqlite3_errmsg(detect_db(c)));
	sqlite3_bind_int64(s, 1, detect_session(c));
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		int64_t task = sqlite3_column_int64(s, 0), req = sqlite3_column_int64(s, 2);
		int64_t started = sqlite3_column_int64(s, 3), from, until, ran;
		bool ended = sqlite3_column_type(s, 4) != SQLITE_NULL;
		bool linked = sqlite3_column_int(s, 12) != 0;
		char label[160], tok[64], src[64], why[128], how[200], text[900], key[48];
		struct finding f = { 0 };

		if (sqlite3_column_type(s, 6) != SQLITE_NULL &&
		    sqlite3_column_int64(s, 6) - req < grace)
			continue; /* noticed in time */
		if (ended && sqlite3_column_int(s, 5) != 0)
			continue; /* ended canceled or failed: did not carry on */
		from = started > req ? started : req;
		until = ended ? sqlite3_column_int64(s, 4) : now;
		ran = until - from;
		if (ran < grace)
			continue;
		detect_task_label(c, task, label, sizeof(label));
		text_col(s, 7, tok, sizeof(tok), "unnamed");
		text_col(s, 8, src, sizeof(src), "unnamed");
		text_col(s, 9, why, sizeof(why), "no reason given");
		if (ended)
			snprintf(how, sizeof(how), "and ended ok at %.3f s", (double)until / 1e9);
		else
			snprintf(how, sizeof(how), "and was still running %s",
				 detect_final(c) ? "at the end of the trace" : "at the horizon");
		if (linked)
			snprintf(text, sizeof(text),
				 "%s carries token '%s', linked to token '%s' which was cancelled at "
				 "%.3f s (%s); it kept running %.1f ms after the request without "
				 "observing it %s", label, tok, src, (double)req / 1e9, why,
				 (double)ran / 1e6, how);
		else
			snprintf(text, sizeof(text),
				 "%s carries token '%s', cancelled at %.3f s (%s); it kept running "
				 "%.1f ms after the request without observing it %s", label, tok,
				 (double)req / 1e9, why, (double)ran / 1e6, how);
		snprintf(key, sizeof(key), "task:%lld", (long long)task);
		f.process = sqlite3_column_int64(s, 1);
		f.key = key;
		f.begin_ns = req;
		f.end_ns = ended || detect_final(c) ? until : TS_NONE;
		f.value = (double)ran / 1e6;
		f.unit = "ms";
		f.message = text;
		f.tasks[0] = (struct finding_task){ task, "ignored cancellation" };
		f.ntasks = 1;
		f.thread = sqlite3_column_type(s, 10) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 10);
		f.ctx = sqlite3_column_type(s, 11) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 11);
		rc = detect_emit(c, &f);
	}
	sqlite3_finalize(s);
	return rc;
}

const struct detector detect_cancel_ignored = {
	.name = "cancel-ignored",
	.severity = STORE_SEVERITY_WARNING,
	.summary = "cancellation was requested but work carrying that token kept running or "
		   "completed normally",
	.condition = "a token (or a token it is linked to) is cancelled; a started task carrying "
		     "it, not observing the request within grace, is still running grace after "
		     "the request (or after its start, if later), or ends ok having run that long",
	.fix = "check the token (weft_cts_check) between steps of long work and return "
	       "WEFT_ECANCELED, or register a cancel callback that stops the work",
	.th = {
		{ "grace", 100, "ms", "how long work may run on after a cancel request" },
	},
	.check = check,
};
