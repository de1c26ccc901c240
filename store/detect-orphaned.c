/*
 * orphaned-work — a when_any (or a timeout race built on it) resolved, but
 * its losers were neither cancelled nor awaited and keep consuming workers.
 *
 * A when_any's inputs are its antecedents (continuation_add(input, any)).
 * Once it ended at E, an input that had not ended by E is a loser; it is
 * orphaned when it was running work (it started by E + grace) still running
 * at E + grace, and nothing wants it any more: no cancel_request on its
 * token or on a token it is linked to (from the when_any's creation on: a
 * late cancel is cancel-ignored's), no wait on it, no continuation or
 * combinator on it other than this when_any, and no error_observe.  A loser
 * that never runs (a promise, a timer: the usual loser of a timeout race)
 * costs nothing and is not reported.  One finding per when_any.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "detect.h"
#include "store-int.h"

enum { TH_GRACE };

#define ORPH_LIST 4

static int check(struct detect_ctx *c)
{
	static const char any_sql[] =
		"SELECT w.id, w.process, w.created_ns, w.ended_ns, w.ctx "
		"FROM processes p JOIN tasks w ON w.process = p.id AND w.kind = 7 "
		"WHERE p.session = ?1 AND w.ended_ns IS NOT NULL ORDER BY w.id";
	static const char in_sql[] =
		"SELECT i.id, i.started_ns, i.ended_ns, i.observed_ns, i.token, i.started_thread, "
		"  EXISTS (SELECT 1 FROM waits x WHERE x.awaited = i.id), "
		"  EXISTS (SELECT 1 FROM links x WHERE x.src = i.id AND x.dst != ?1) "
		"FROM links l JOIN tasks i ON i.id = l.src "
		"WHERE l.dst = ?1 AND l.kind = 0 ORDER BY i.ended_ns IS NULL, i.ended_ns, i.id";
	/* A cancel request since ?2 on token ?1 or one of its ancestors. */
	static const char cancel_sql[] =
		"WITH RECURSIVE up(t) AS (SELECT ?1 UNION "
		"  SELECT tp.parent FROM up JOIN token_parents tp ON tp.token = up.t) "
		"SELECT 1 FROM up JOIN cancellations cl ON cl.token = up.t AND cl.ts_ns >= ?2";
	int64_t grace = (int64_t)(detect_th(c, TH_GRACE) * 1e6), now = detect_now(c);
	sqlite3_stmt *s = NULL, *in = NULL, *cn = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(detect_db(c), any_sql, -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(detect_db(c), in_sql, -1, &in, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(detect_db(c), cancel_sql, -1, &cn, NULL) != SQLITE_OK) {
		rc = detect_fail(c, -EIO, "prepare: %s", sqlite3_errmsg(detect_db(c)));
		goto out;
	}
	sqlite3_bind_int64(s, 1, detect_session(c));
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		int64_t any = sqlite3_column_int64(s, 0), created = sqlite3_column_int64(s, 2);
		int64_t won = sqlite3_column_int64(s, 3), winner = 0, total = 0, last = won;
		char label[160], wlabel[160], ilabel[160], list[800], text[1300], key[48];
		struct finding f = { 0 };
		size_t norph = 0, ninputs = 0;
		bool open = false;
		int ll = 0;

		if (now < won + grace)
			continue; /* too early to say */
		f.tasks[f.ntasks++] = (struct finding_task){ any, "when_any" };
		list[0] = '\0';
		sqlite3_reset(in);
		sqlite3_bind_int64(in, 1, any);
		while (sqlite3_step(in) == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(in, 0), started, end, from;
			bool ended = sqlite3_column_type(in, 2) != SQLITE_NULL;

			ninputs++;
			if (ended && sqlite3_column_int64(in, 2) <= won) {
				if (!winner)
					winner = id;
				continue;
			}
			if (sqlite3_column_type(in, 1) == SQLITE_NULL)
				continue; /* never ran */
			started = sqlite3_column_int64(in, 1);
			end = ended ? sqlite3_column_int64(in, 2) : now;
			if (started > won + grace || end < won + grace)
				continue; /* not running at won + grace */
			if (sqlite3_column_type(in, 3) != SQLITE_NULL || sqlite3_column_int(in, 6) ||
			    sqlite3_column_int(in, 7))
				continue; /* observed, awaited, or something runs after it */
			if (sqlite3_column_type(in, 4) != SQLITE_NULL) {
				int crc;

				sqlite3_reset(cn);
				sqlite3_bind_int64(cn, 1, sqlite3_column_int64(in, 4));
				sqlite3_bind_int64(cn, 2, created);
				crc = sqlite3_step(cn);
				sqlite3_reset(cn);
				if (crc != SQLITE_DONE)
					continue; /* cancelled (or unknown: stay silent) */
			}
			from = started > won ? started : won;
			total += end - from;
			if (end > last)
				last = end;
			open |= !ended;
			if (norph < ORPH_LIST)
				ll += snprintf(list + ll, sizeof(list) - (size_t)ll, "%s%s %.3f s more%s",
					       norph ? ", " : "",
					       detect_task_label(c, id, ilabel, sizeof(ilabel)),
					       (double)(end - from) / 1e9,
					       ended ? "" : " (still running)");
			if (f.ntasks < FINDING_MAX_TASKS - 1)
				f.tasks[f.ntasks++] = (struct finding_task){ id, "orphaned input" };
			norph++;
		}
		sqlite3_reset(in);
		if (!norph)
			continue;
		if (norph > ORPH_LIST)
			snprintf(list + ll, sizeof(list) - (size_t)ll, " and %zu more",
				 norph - ORPH_LIST);
		if (winner)
			f.tasks[f.ntasks++] = (struct finding_task){ winner, "winner" };
		detect_task_label(c, any, label, sizeof(label));
		if (winner)
			detect_task_label(c, winner, wlabel, sizeof(wlabel));
		snprintf(text, sizeof(text),
			 "when_any %s completed at %.3f s%s%s; %zu of its %zu inputs kept running, "
			 "neither cancelled nor awaited: %s (%.3f s of worker time after the race "
			 "was decided)", label, (double)won / 1e9, winner ? ", won by " : "",
			 winner ? wlabel : "", norph, ninputs, list, (double)total / 1e9);
		snprintf(key, sizeof(key), "any:%lld", (long long)any);
		f.process = sqlite3_column_int64(s, 1);
		f.key = key;
		f.begin_ns = won;
		f.end_ns = open && !detect_final(c) ? TS_NONE : last;
		f.value = (double)total / 1e9;
		f.unit = "s";
		f.message = text;
		f.ctx = sqlite3_column_type(s, 4) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 4);
		rc = detect_emit(c, &f);
	}
out:
	sqlite3_finalize(s);
	sqlite3_finalize(in);
	sqlite3_finalize(cn);
	return rc;
}

const struct detector detect_orphaned_work = {
	.name = "orphaned-work",
	.severity = STORE_SEVERITY_WARNING,
	.summary = "a when_any resolved, but the losers were neither cancelled nor awaited and "
		   "keep consuming workers",
	.condition = "a when_any ended; another of its inputs that had started is still running "
		     "grace later, with no cancel_request on its token, no wait, continuation "
		     "or error_observe on it",
	.fix = "give the inputs a token and cancel it once the race is decided (or await the "
	       "losers if their results matter)",
	.th = {
		{ "grace", 100, "ms", "how long losers may run on after the race is decided" },
	},
	.check = check,
};
