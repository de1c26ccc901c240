/*
 * blocking-wait — a loop thread or pool worker blocks on a future (the
 * `.Result` / `.Wait()` pattern): for as long as the wait lasts, the context
 * has one thread fewer (a loop: none at all).
 *
 * The store shows it as a blocking wait (waits.mode 0) on a thread that, at
 * the wait's begin, served a loop or a pool (thread_bindings: a binding open
 * then; the innermost one names it).  A thread bound to no context — a plain
 * main thread waiting for its pool's result — is not a finding: blocking it
 * starves nobody.  The wait must have lasted min_wait by its end, or by the
 * horizon while it is still open.
 *
 * The wait of a sync-over-async deadlock is that finding's evidence: it is
 * attached to it (one root cause, one finding).  Keyed "wait:<waits.id>".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "detect.h"
#include "sanitize.h"
#include "store-int.h"

#define TH_MIN_WAIT 0

static int check(struct detect_ctx *c)
{
	/* The innermost loop/pool binding open at the wait's begin, by the
	 * thread_bindings_thread index, for each long-enough blocking wait. */
	static const char sql[] =
		"SELECT w.id, w.waiter, w.awaited, w.thread, w.begin_ns, w.end_ns, th.tid, "
		"  th.process, w.timed_out, c.id, c.kind, c.name "
		"FROM waits w JOIN threads th ON th.id = w.thread "
		"JOIN processes p ON p.id = th.process "
		"JOIN contexts c ON c.id = ("
		"  SELECT b.ctx FROM thread_bindings b JOIN contexts bc ON bc.id = b.ctx "
		"  WHERE b.thread = w.thread AND (b.begin_ns IS NULL OR b.begin_ns <= w.begin_ns) "
		"    AND (b.end_ns IS NULL OR b.end_ns > w.begin_ns) AND bc.kind IN (0, 1) "
		"  ORDER BY b.begin_ns DESC LIMIT 1) "
		"WHERE p.session = ?1 AND w.mode = 0 AND w.begin_ns IS NOT NULL "
		"  AND coalesce(w.end_ns, ?2) - w.begin_ns >= ?3 "
		"ORDER BY w.id";
	int64_t min_wait = (int64_t)(detect_th(c, TH_MIN_WAIT) * 1e6);
	sqlite3_stmt *s = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(detect_db(c), sql, -1, &s, NULL) != SQLITE_OK)
		return detect_fail(c, -EIO, "prepare: %s", sqlite3_errmsg(detect_db(c)));
	sqlite3_bind_int64(s, 1, detect_session(c));
	sqlite3_bind_int64(s, 2, detect_now(c));
	sqlite3_bind_int64(s, 3, min_wait);
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		int64_t waiter = sqlite3_column_type(s, 1) == SQLITE_NULL ? 0
									   : sqlite3_column_int64(s, 1);
		int64_t awaited = sqlite3_column_int64(s, 2);
		int64_t begin = sqlite3_column_int64(s, 4);
		bool open = sqlite3_column_type(s, 5) == SQLITE_NULL;
		int64_t end = open ? detect_now(c) : sqlite3_column_int64(s, 5);
		const unsigned char *n = sqlite3_column_text(s, 11);
		bool loop = sqlite3_column_int(s, 10) == 1;
		char who[160], what[160], ctx[96], text[640], key[48];
		struct finding f = { 0 };

		sanitize(n ? (const char *)n : "?", n ? (size_t)sqlite3_column_bytes(s, 11) : 1, ctx,
			 64, 0);
		detect_task_label(c, awaited, what, sizeof(what));
		if (waiter)
			detect_task_label(c, waiter, who, sizeof(who));
		snprintf(text, sizeof(text),
			 "thread %lld (%s '%s') blocked %.1f ms%s%s in a blocking wait on %s%s",
			 (long long)sqlite3_column_int64(s, 6), loop ? "loop" : "worker of pool", ctx,
			 (double)(end - begin) / 1e6, waiter ? " in " : "", waiter ? who : "", what,
			 open ? "; still waiting"
			 : sqlite3_column_int(s, 8) ? "; the wait timed out" : "");
		snprintf(key, sizeof(key), "wait:%lld", (long long)id);
		f.process = sqlite3_column_int64(s, 7);
		f.key = key;
		f.begin_ns = begin;
		f.end_ns = open ? TS_NONE : end;
		f.value = (double)(end - begin) / 1e6;
		f.unit = "ms";
		f.message = text;
		if (waiter)
			f.tasks[f.ntasks++] = (struct finding_task){ waiter, "waiter" };
		f.tasks[f.ntasks++] = (struct finding_task){ awaited, "awaited" };
		f.thread = sqlite3_column_int64(s, 3);
		f.ctx = sqlite3_column_int64(s, 9);
		/* The same wait as a deadlock's: that finding's, if it exists. */
		f.attach_detector = "sync-over-async-deadlock";
		f.attach_key = key;
		rc = detect_emit(c, &f);
	}
	sqlite3_finalize(s);
	return rc;
}

const struct detector detect_blocking_wait = {
	.name = "blocking-wait",
	.severity = STORE_SEVERITY_WARNING,
	.summary = "a loop thread or pool worker blocks on a future (the .Result/.Wait() "
		   "pattern)",
	.condition = "a blocking wait_begin on a thread bound (then) to a loop or a pool, lasting "
		     ">= min_wait (an open wait: by the horizon); a thread bound to no context is "
		     "not one",
	.fix = "continue asynchronously (weft_then, an async wait) instead of blocking the "
	       "context's thread",
	.th = {
		{ "min_wait", 50, "ms", "shortest blocking wait reported" },
	},
	.check = check,
};
