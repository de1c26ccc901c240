/*
 * cancel-not-propagated — a chain breaks cancellation: a task carrying a
 * token starts work that does not carry it, so cancelling the request no
 * longer reaches that work.
 *
 * A child is a task created while its parent ran (tasks.parent).  It breaks
 * the chain when the parent has a token and the child has none, or one that
 * is not the parent's nor linked to it (token_parents, transitively: only
 * then does cancelling the parent's token cancel the child's).
 *
 * Only children that are work of their own are judged: kind task or
 * blocking.  Not a continuation (it runs after its antecedent, registered
 * for it; whether it runs is its antecedent's outcome, and the runtime
 * propagates a canceled antecedent), not a when_all / when_any (it only
 * combines its inputs), not a promise or timer (no work), not a detached
 * task (fire-and-forget work is often meant to outlive the request that
 * spawned it: an access log, a cache refresh).  When the parent's token was
 * in fact cancelled while the child ran, the message says what that cost.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "detect.h"
#include "sanitize.h"
#include "store-int.h"

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
	/* Children scanned once, their parent by row id (CROSS JOIN keeps that
	 * order: there is no index on tasks.parent to go the other way). */
	static const char sql[] =
		"SELECT ch.id, ch.process, ch.created_ns, ch.started_ns, ch.ended_ns, ch.token, "
		"  pa.id, pa.token, pt.name, ct.name, ch.created_thread, ch.ctx "
		"FROM processes pr CROSS JOIN tasks ch ON ch.process = pr.id "
		"CROSS JOIN tasks pa ON pa.id = ch.parent "
		"JOIN tokens pt ON pt.id = pa.token "
		"LEFT JOIN tokens ct ON ct.id = ch.token "
		"WHERE pr.session = ?1 AND coalesce(ch.kind, 0) IN (0, 5) "
		"  AND pa.token IS NOT NULL AND (ch.token IS NULL OR ch.token != pa.token) "
		"ORDER BY ch.id";
	/* Is ?2 (the parent's token) an ancestor of ?1 (the child's)? */
	static const char linked_sql[] =
		"WITH RECURSIVE up(t) AS (SELECT ?1 UNION "
		"  SELECT tp.parent FROM up JOIN token_parents tp ON tp.token = up.t) "
		"SELECT 1 FROM up WHERE t = ?2";
	/* The first request that cancels ?1: on it or on any of its ancestors. */
	static const char cancel_sql[] =
		"WITH RECURSIVE up(t) AS (SELECT ?1 UNION "
		"  SELECT tp.parent FROM up JOIN token_parents tp ON tp.token = up.t) "
		"SELECT min(cl.ts_ns) FROM up JOIN cancellations cl ON cl.token = up.t";
	sqlite3_stmt *s = NULL, *lk = NULL, *cn = NULL;
	int64_t now = detect_now(c);
	int rc = 0;

	if (sqlite3_prepare_v2(detect_db(c), sql, -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(detect_db(c), linked_sql, -1, &lk, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(detect_db(c), cancel_sql, -1, &cn, NULL) != SQLITE_OK) {
		rc = detect_fail(c, -EIO, "prepare: %s", sqlite3_errmsg(detect_db(c)));
		goto out;
	}
	sqlite3_bind_int64(s, 1, detect_session(c));
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		int64_t child = sqlite3_column_int64(s, 0), parent = sqlite3_column_int64(s, 6);
		int64_t created = sqlite3_column_int64(s, 2), ptok = sqlite3_column_int64(s, 7);
		bool has_tok = sqlite3_column_type(s, 5) != SQLITE_NULL;
		bool started = sqlite3_column_type(s, 3) != SQLITE_NULL;
		bool ended = sqlite3_column_type(s, 4) != SQLITE_NULL;
		int64_t end = ended ? sqlite3_column_int64(s, 4) : now, req = TS_NONE;
		char clabel[160], plabel[160], pname[64], cname[64], own[120], cost[240],
			text[900], key[48];
		struct finding f = { 0 };

		if (has_tok) {
			sqlite3_reset(lk);
			sqlite3_bind_int64(lk, 1, sqlite3_column_int64(s, 5));
			sqlite3_bind_int64(lk, 2, ptok);
			rc = sqlite3_step(lk);
			sqlite3_reset(lk);
			if (rc == SQLITE_ROW) {
				rc = 0;
				continue; /* linked: cancelling the parent's reaches it */
			}
			if (rc != SQLITE_DONE) {
				rc = detect_fail(c, -EIO, "token links: %s",
						 sqlite3_errmsg(detect_db(c)));
				break;
			}
			rc = 0;
		}
		sqlite3_reset(cn);
		sqlite3_bind_int64(cn, 1, ptok);
		if (sqlite3_step(cn) == SQLITE_ROW && sqlite3_column_type(cn, 0) != SQLITE_NULL)
			req = sqlite3_column_int64(cn, 0);
		sqlite3_reset(cn);
		detect_task_label(c, child, clabel, sizeof(clabel));
		detect_task_label(c, parent, plabel, sizeof(plabel));
		text_col(s, 8, pname, sizeof(pname), "unnamed");
		text_col(s, 9, cname, sizeof(cname), "unnamed");
		if (has_tok)
			snprintf(own, sizeof(own), "with its own token '%s', not linked to it", cname);
		else
			snprintf(own, sizeof(own), "with no token");
		cost[0] = '\0';
		if (req != TS_NONE && started && req < end)
			snprintf(cost, sizeof(cost),
				 "; when '%s' was cancelled at %.3f s the child %s %.3f s more",
				 pname, (double)req / 1e9,
				 ended ? "still ran" : "was still running and had run",
				 (double)(end - (req > sqlite3_column_int64(s, 3)
						 ? req : sqlite3_column_int64(s, 3))) / 1e9);
		snprintf(text, sizeof(text),
			 "%s carries token '%s' but created %s at %.3f s %s: cancelling the "
			 "request does not reach it%s", plabel, pname, clabel, (double)created / 1e9,
			 own, cost);
		snprintf(key, sizeof(key), "task:%lld", (long long)child);
		f.process = sqlite3_column_int64(s, 1);
		f.key = key;
		f.begin_ns = created;
		f.end_ns = ended || detect_final(c) ? end : TS_NONE;
		f.value = req != TS_NONE && started && req < end ? (double)(end - req) / 1e9 : 0;
		f.unit = "s";
		f.message = text;
		f.tasks[0] = (struct finding_task){ child, "child without the token" };
		f.tasks[1] = (struct finding_task){ parent, "parent with the token" };
		f.ntasks = 2;
		f.thread = sqlite3_column_type(s, 10) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 10);
		f.ctx = sqlite3_column_type(s, 11) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 11);
		rc = detect_emit(c, &f);
	}
out:
	sqlite3_finalize(s);
	sqlite3_finalize(lk);
	sqlite3_finalize(cn);
	return rc;
}

const struct detector detect_cancel_not_propagated = {
	.name = "cancel-not-propagated",
	.severity = STORE_SEVERITY_WARNING,
	.summary = "a chain breaks cancellation: a child started without the parent's token",
	.condition = "a task carrying a token creates a task (kind task or blocking) with no "
		     "token, or one not linked to the parent's; continuations, combinators, "
		     "promises, timers and detached tasks are not judged",
	.fix = "pass the parent's token on (opts.token), or a token linked to it "
	       "(weft_cts_new_linked) when the child needs its own timeout",
	.check = check,
};
