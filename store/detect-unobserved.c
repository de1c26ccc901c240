/*
 * unobserved-error — a task failed and nobody ever read its error (a silent
 * failure).  The store knows a failed task's error was read when it has an
 * error_observe (a get, a wait that returned the error, a continuation that
 * propagated it, when_all aggregating it); it knows nobody will read it when
 * the task was released first (error_unobserved) or the recording ended.
 *
 * Detached tasks are detached-failure's (their failure has no reader by
 * design): one root cause, one finding.  A finding exists only once the
 * error can no longer be read: released, or at the end of the recording;
 * while a failed future is still held it may yet be read.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "detect.h"
#include "sanitize.h"
#include "store-int.h"

static int check(struct detect_ctx *c)
{
	static const char sql[] =
		"SELECT t.id, t.process, t.ended_ns, t.unobserved_ns, t.err, m.s, t.started_thread, "
		"  t.ctx "
		"FROM tasks t JOIN processes p ON p.id = t.process "
		"LEFT JOIN strings m ON m.id = t.msg "
		"WHERE p.session = ?1 AND t.status = 1 AND t.observed_ns IS NULL "
		"  AND coalesce(t.kind, 0) != 2 "
		"  AND (t.unobserved_ns IS NOT NULL OR ?2) "
		"ORDER BY t.id";
	sqlite3_stmt *s = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(detect_db(c), sql, -1, &s, NULL) != SQLITE_OK)
		return detect_fail(c, -EIO, "prepare: %s", sqlite3_errmsg(detect_db(c)));
	sqlite3_bind_int64(s, 1, detect_session(c));
	sqlite3_bind_int(s, 2, detect_final(c));
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		int64_t task = sqlite3_column_int64(s, 0);
		int64_t ended = sqlite3_column_int64(s, 2);
		bool released = sqlite3_column_type(s, 3) != SQLITE_NULL;
		int64_t until = released ? sqlite3_column_int64(s, 3) : detect_now(c);
		const unsigned char *msg = sqlite3_column_text(s, 5);
		char label[160], why[200], text[512], key[48];
		struct finding f = { 0 };

		detect_task_label(c, task, label, sizeof(label));
		sanitize(msg ? (const char *)msg : "", msg ? (size_t)sqlite3_column_bytes(s, 5) : 0,
			 why, 121, 0);
		snprintf(text, sizeof(text),
			 "%s failed at %.3f s with %d (%s) and nobody read its error: %s %.3f s "
			 "later", label, (double)ended / 1e9, sqlite3_column_int(s, 4),
			 why[0] ? why : "no message",
			 released ? "released unread" : "still unread at the end of the trace",
			 (double)(until - ended) / 1e9);
		snprintf(key, sizeof(key), "task:%lld", (long long)task);
		f.process = sqlite3_column_int64(s, 1);
		f.key = key;
		f.begin_ns = ended;
		f.end_ns = until;
		f.value = (double)(until - ended) / 1e9;
		f.unit = "s";
		f.message = text;
		f.tasks[0] = (struct finding_task){ task, "failed" };
		f.ntasks = 1;
		f.thread = sqlite3_column_type(s, 6) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 6);
		f.ctx = sqlite3_column_type(s, 7) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 7);
		rc = detect_emit(c, &f);
	}
	sqlite3_finalize(s);
	return rc;
}

const struct detector detect_unobserved_error = {
	.name = "unobserved-error",
	.severity = STORE_SEVERITY_ERROR,
	.summary = "a task failed and nobody ever read its error (silent failure)",
	.condition = "task_end with an error, then released unread (error_unobserved) or still "
		     "unread when the trace ends; detached tasks are detached-failure's",
	.fix = "read the result (weft_future_error / get / wait), chain a continuation that "
	       "handles the error, or propagate it to a caller that does",
	.check = check,
};
