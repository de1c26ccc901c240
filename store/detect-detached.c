/*
 * detached-failure — a fire-and-forget task failed (the "async void"
 * pattern): nobody holds its result, so unless an error handler read the
 * error, it vanished.  The store sees a detached task (kind detached) end
 * with an error; a handler that read it left an error_observe.  The finding
 * exists once the failure can no longer be read: the task was released
 * unread, or the recording ended.
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
		"  t.ctx, si.s, pt.id "
		"FROM tasks t JOIN processes p ON p.id = t.process "
		"LEFT JOIN strings m ON m.id = t.msg "
		"LEFT JOIN strings si ON si.id = t.site "
		"LEFT JOIN tasks pt ON pt.id = t.parent "
		"WHERE p.session = ?1 AND t.kind = 2 AND t.status = 1 AND t.observed_ns IS NULL "
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
		const unsigned char *msg = sqlite3_column_text(s, 5), *site = sqlite3_column_text(s, 8);
		char label[160], why[200], where[200], text[640], key[48];
		struct finding f = { 0 };

		detect_task_label(c, task, label, sizeof(label));
		sanitize(msg ? (const char *)msg : "", msg ? (size_t)sqlite3_column_bytes(s, 5) : 0,
			 why, 121, 0);
		sanitize(site ? (const char *)site : "?", site ? (size_t)sqlite3_column_bytes(s, 8) : 1,
			 where, 121, 0);
		snprintf(text, sizeof(text),
			 "detached %s (spawned at %s) failed at %.3f s with %d (%s); no error handler "
			 "read it", label, where, (double)ended / 1e9, sqlite3_column_int(s, 4),
			 why[0] ? why : "no message");
		snprintf(key, sizeof(key), "task:%lld", (long long)task);
		f.process = sqlite3_column_int64(s, 1);
		f.key = key;
		f.begin_ns = ended;
		f.end_ns = sqlite3_column_type(s, 3) == SQLITE_NULL ? detect_now(c)
								     : sqlite3_column_int64(s, 3);
		f.value = sqlite3_column_int(s, 4);
		f.unit = "errno";
		f.message = text;
		f.tasks[0] = (struct finding_task){ task, "failed" };
		f.ntasks = 1;
		if (sqlite3_column_type(s, 9) != SQLITE_NULL)
			f.tasks[f.ntasks++] = (struct finding_task){ sqlite3_column_int64(s, 9),
								     "spawned by" };
		f.thread = sqlite3_column_type(s, 6) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 6);
		f.ctx = sqlite3_column_type(s, 7) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 7);
		rc = detect_emit(c, &f);
	}
	sqlite3_finalize(s);
	return rc;
}

const struct detector detect_detached_failure = {
	.name = "detached-failure",
	.severity = STORE_SEVERITY_ERROR,
	.summary = "a fire-and-forget (detached) task failed and no error handler read the error",
	.condition = "a detached task ends with an error and is released, or the trace ends, "
		     "with no error_observe",
	.fix = "install a detached-task error handler (weft_set_detached_error_handler) that "
	       "reports the error, or keep the future and handle its result",
	.check = check,
};
