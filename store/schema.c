/*
 * schema.c — the trace store's schema and its migrations.
 *
 * The schema is public API (docs/schema.md describes every table, column and
 * view below; keep both in step).  A store's PRAGMA user_version is the
 * number of migration steps applied to it; step N (migrations[N - 1]) takes
 * a store from version N - 1 to N.  Steps are append-only: a released step
 * is never edited, a change is a new step.  Each step runs in one
 * transaction together with its user_version bump, so a crash mid-migration
 * leaves the previous version intact.
 *
 * Step 1 creates schema v1 from an empty database.  Step 2 (v2) adds what the
 * detectors need and v1 could not hold: see schema_v2 below and docs/schema.md.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "store-int.h"

/* All timestamps (*_ns) are ns relative to sessions.start_ns of the row's
 * session, except sessions.start_ns itself (ns since the Unix epoch) and
 * chunks.committed_at (wall clock, ns since the epoch). */
static const char schema_v1[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;\n"
	"CREATE TABLE enums(domain TEXT NOT NULL, value INTEGER NOT NULL,\n"
	"  name TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY(domain, value)) WITHOUT ROWID;\n"
	"CREATE TABLE sessions(\n"
	"  id INTEGER PRIMARY KEY, host TEXT NOT NULL, name TEXT NOT NULL,\n"
	"  start_ns INTEGER NOT NULL, end_ns INTEGER,\n"
	"  discarded_events INTEGER, lost_packets INTEGER, UNIQUE(host, name));\n"
	"CREATE TABLE chunks(\n"
	"  session INTEGER NOT NULL REFERENCES sessions, chunk TEXT NOT NULL,\n"
	"  events INTEGER NOT NULL, first_ns INTEGER, last_ns INTEGER,\n"
	"  committed_at INTEGER NOT NULL, PRIMARY KEY(session, chunk)) WITHOUT ROWID;\n"
	"CREATE TABLE loss(\n"
	"  id INTEGER PRIMARY KEY, session INTEGER NOT NULL REFERENCES sessions,\n"
	"  chunk TEXT NOT NULL, kind INTEGER NOT NULL, stream TEXT NOT NULL,\n"
	"  begin_ns INTEGER, end_ns INTEGER, count INTEGER);\n"
	"CREATE TABLE strings(id INTEGER PRIMARY KEY, s TEXT NOT NULL UNIQUE);\n"
	"CREATE TABLE processes(\n"
	"  id INTEGER PRIMARY KEY, session INTEGER NOT NULL REFERENCES sessions,\n"
	"  pid INTEGER NOT NULL, name TEXT, start_ns INTEGER NOT NULL,\n"
	"  marked INTEGER NOT NULL);\n"
	"CREATE INDEX processes_pid ON processes(session, pid, start_ns);\n"
	"CREATE TABLE threads(\n"
	"  id INTEGER PRIMARY KEY, process INTEGER NOT NULL REFERENCES processes,\n"
	"  tid INTEGER NOT NULL, name TEXT, first_ns INTEGER,\n"
	"  ctx INTEGER REFERENCES contexts);\n"
	"CREATE INDEX threads_tid ON threads(process, tid);\n"
	"CREATE TABLE contexts(\n"
	"  id INTEGER PRIMARY KEY, process INTEGER NOT NULL REFERENCES processes,\n"
	"  ctx INTEGER NOT NULL, kind INTEGER, name TEXT, workers INTEGER,\n"
	"  ncpu INTEGER, created_ns INTEGER);\n"
	"CREATE UNIQUE INDEX contexts_ctx ON contexts(process, ctx);\n"
	"CREATE TABLE tokens(\n"
	"  id INTEGER PRIMARY KEY, process INTEGER NOT NULL REFERENCES processes,\n"
	"  token INTEGER NOT NULL, parent INTEGER REFERENCES tokens, created_ns INTEGER);\n"
	"CREATE UNIQUE INDEX tokens_token ON tokens(process, token);\n"
	"CREATE TABLE tasks(\n"
	"  id INTEGER PRIMARY KEY, process INTEGER NOT NULL REFERENCES processes,\n"
	"  task INTEGER NOT NULL, parent INTEGER REFERENCES tasks,\n"
	"  token INTEGER REFERENCES tokens, kind INTEGER,\n"
	"  name INTEGER REFERENCES strings, site INTEGER REFERENCES strings,\n"
	"  created_ns INTEGER, scheduled_ns INTEGER, started_ns INTEGER, ended_ns INTEGER,\n"
	"  status INTEGER, err INTEGER, msg INTEGER REFERENCES strings,\n"
	"  observed_ns INTEGER, unobserved_ns INTEGER, inline INTEGER,\n"
	"  ctx INTEGER REFERENCES contexts, created_thread INTEGER REFERENCES threads,\n"
	"  started_thread INTEGER REFERENCES threads, starts INTEGER NOT NULL);\n"
	"CREATE UNIQUE INDEX tasks_task ON tasks(process, task);\n"
	"CREATE INDEX tasks_thread ON tasks(started_thread, started_ns)\n"
	"  WHERE started_thread IS NOT NULL;\n"
	"CREATE TABLE links(\n"
	"  id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, src INTEGER REFERENCES tasks,\n"
	"  dst INTEGER NOT NULL REFERENCES tasks, ctx INTEGER REFERENCES contexts,\n"
	"  from_ctx INTEGER REFERENCES contexts, thread INTEGER REFERENCES threads,\n"
	"  ts_ns INTEGER NOT NULL);\n"
	"CREATE INDEX links_dst ON links(dst);\n"
	"CREATE INDEX links_src ON links(src) WHERE src IS NOT NULL;\n"
	"CREATE TABLE waits(\n"
	"  id INTEGER PRIMARY KEY, waiter INTEGER REFERENCES tasks,\n"
	"  awaited INTEGER NOT NULL REFERENCES tasks, mode INTEGER,\n"
	"  thread INTEGER REFERENCES threads, begin_ns INTEGER, end_ns INTEGER,\n"
	"  timed_out INTEGER);\n"
	"CREATE INDEX waits_awaited ON waits(awaited);\n"
	"CREATE INDEX waits_waiter ON waits(waiter) WHERE waiter IS NOT NULL;\n"
	"CREATE INDEX waits_thread ON waits(thread, begin_ns);\n"
	"CREATE TABLE blocks(\n"
	"  id INTEGER PRIMARY KEY, thread INTEGER NOT NULL REFERENCES threads,\n"
	"  begin_ns INTEGER, end_ns INTEGER, reason INTEGER REFERENCES strings);\n"
	"CREATE INDEX blocks_thread ON blocks(thread, begin_ns);\n"
	"CREATE TABLE pool_samples(\n"
	"  ctx INTEGER NOT NULL REFERENCES contexts, ts_ns INTEGER NOT NULL,\n"
	"  queued INTEGER NOT NULL, busy INTEGER NOT NULL, workers INTEGER NOT NULL,\n"
	"  PRIMARY KEY(ctx, ts_ns)) WITHOUT ROWID;\n"
	"CREATE TABLE worker_states(\n"
	"  thread INTEGER NOT NULL REFERENCES threads, ts_ns INTEGER NOT NULL,\n"
	"  state INTEGER NOT NULL, ctx INTEGER REFERENCES contexts,\n"
	"  PRIMARY KEY(thread, ts_ns, state)) WITHOUT ROWID;\n"
	"CREATE TABLE cancellations(\n"
	"  id INTEGER PRIMARY KEY, token INTEGER NOT NULL REFERENCES tokens,\n"
	"  ts_ns INTEGER NOT NULL, thread INTEGER REFERENCES threads,\n"
	"  reason INTEGER REFERENCES strings);\n"
	"CREATE INDEX cancellations_token ON cancellations(token);\n"
	"CREATE TABLE cancel_observations(\n"
	"  id INTEGER PRIMARY KEY, token INTEGER NOT NULL REFERENCES tokens,\n"
	"  task INTEGER REFERENCES tasks, ts_ns INTEGER NOT NULL,\n"
	"  thread INTEGER REFERENCES threads);\n"
	"CREATE TABLE annotations(\n"
	"  id INTEGER PRIMARY KEY, task INTEGER REFERENCES tasks, ts_ns INTEGER NOT NULL,\n"
	"  thread INTEGER REFERENCES threads, key INTEGER REFERENCES strings,\n"
	"  value TEXT NOT NULL);\n"
	"CREATE INDEX annotations_task ON annotations(task);\n"
	"CREATE TABLE findings(\n"
	"  id INTEGER PRIMARY KEY, detector TEXT NOT NULL, severity INTEGER NOT NULL,\n"
	"  process INTEGER REFERENCES processes, task INTEGER REFERENCES tasks,\n"
	"  begin_ns INTEGER, end_ns INTEGER, value REAL, message TEXT NOT NULL);\n"
	/* Views: the common questions, with names instead of codes. */
	"CREATE VIEW task_summary AS\n"
	"SELECT t.id AS id, t.process AS process, p.pid AS pid, t.task AS task,\n"
	"  t.parent AS parent, par.task AS parent_task,\n"
	"  (SELECT name FROM enums WHERE domain = 'task_kind' AND value = t.kind) AS kind,\n"
	"  n.s AS name, si.s AS site, tok.token AS token,\n"
	"  CASE WHEN t.ended_ns IS NOT NULL THEN 'ended'\n"
	"       WHEN t.started_ns IS NOT NULL THEN 'running'\n"
	"       WHEN t.scheduled_ns IS NOT NULL THEN 'queued'\n"
	"       WHEN t.created_ns IS NOT NULL THEN 'created' ELSE 'unknown' END AS state,\n"
	"  (SELECT name FROM enums WHERE domain = 'status' AND value = t.status) AS status,\n"
	"  t.err AS err, m.s AS msg,\n"
	"  t.created_ns AS created_ns, t.scheduled_ns AS scheduled_ns,\n"
	"  t.started_ns AS started_ns, t.ended_ns AS ended_ns,\n"
	"  t.started_ns - t.scheduled_ns AS queue_wait_ns,\n"
	"  t.ended_ns - t.started_ns AS run_ns,\n"
	"  t.ended_ns - t.created_ns AS total_ns,\n"
	"  t.observed_ns IS NOT NULL AS observed, t.unobserved_ns IS NOT NULL AS unobserved,\n"
	"  coalesce(t.inline, 0) AS inline, t.ctx AS ctx, c.name AS ctx_name,\n"
	"  t.started_thread AS thread, th.tid AS tid, t.starts AS starts\n"
	"FROM tasks t JOIN processes p ON p.id = t.process\n"
	"LEFT JOIN tasks par ON par.id = t.parent\n"
	"LEFT JOIN strings n ON n.id = t.name\n"
	"LEFT JOIN strings si ON si.id = t.site\n"
	"LEFT JOIN strings m ON m.id = t.msg\n"
	"LEFT JOIN tokens tok ON tok.id = t.token\n"
	"LEFT JOIN contexts c ON c.id = t.ctx\n"
	"LEFT JOIN threads th ON th.id = t.started_thread;\n"
	"CREATE VIEW finding_summary AS\n"
	"SELECT f.id AS id, f.detector AS detector,\n"
	"  (SELECT name FROM enums WHERE domain = 'severity' AND value = f.severity)\n"
	"    AS severity, f.severity AS severity_level,\n"
	"  f.process AS process, p.pid AS pid, p.name AS process_name,\n"
	"  f.task AS task_id, t.task AS task, n.s AS task_name,\n"
	"  f.begin_ns AS begin_ns, f.end_ns AS end_ns, f.value AS value,\n"
	"  f.message AS message\n"
	"FROM findings f LEFT JOIN processes p ON p.id = f.process\n"
	"LEFT JOIN tasks t ON t.id = f.task\n"
	"LEFT JOIN strings n ON n.id = t.name;\n"
	"CREATE VIEW edges(kind, src, dst, ctx, from_ctx, thread, ts_ns) AS\n"
	"SELECT 'parent', parent, id, NULL, NULL, created_thread, created_ns\n"
	"  FROM tasks WHERE parent IS NOT NULL\n"
	"UNION ALL\n"
	"SELECT CASE kind WHEN 0 THEN 'continuation' ELSE 'marshal' END,\n"
	"  src, dst, ctx, from_ctx, thread, ts_ns FROM links\n"
	"UNION ALL\n"
	"SELECT 'awaits', waiter, awaited, NULL, NULL, thread, begin_ns\n"
	"  FROM waits WHERE waiter IS NOT NULL;\n"
	"CREATE VIEW events(ts_ns, process, thread, kind, task, ctx, value) AS\n"
	"SELECT created_ns, process, created_thread, 'task_new', id, NULL, kind\n"
	"  FROM tasks WHERE created_ns IS NOT NULL\n"
	"UNION ALL SELECT scheduled_ns, process, NULL, 'task_schedule', id, ctx, NULL\n"
	"  FROM tasks WHERE scheduled_ns IS NOT NULL\n"
	"UNION ALL SELECT started_ns, process, started_thread, 'task_start', id, ctx, starts\n"
	"  FROM tasks WHERE started_ns IS NOT NULL\n"
	"UNION ALL SELECT ended_ns, process, NULL, 'task_end', id, NULL, status\n"
	"  FROM tasks WHERE ended_ns IS NOT NULL\n"
	"UNION ALL SELECT observed_ns, process, NULL, 'error_observe', id, NULL, NULL\n"
	"  FROM tasks WHERE observed_ns IS NOT NULL\n"
	"UNION ALL SELECT unobserved_ns, process, NULL, 'error_unobserved', id, NULL, err\n"
	"  FROM tasks WHERE unobserved_ns IS NOT NULL\n"
	"UNION ALL SELECT l.ts_ns, th.process, l.thread,\n"
	"  CASE l.kind WHEN 0 THEN 'continuation_add' ELSE 'marshal' END, l.dst, l.ctx, l.src\n"
	"  FROM links l LEFT JOIN threads th ON th.id = l.thread\n"
	"UNION ALL SELECT w.begin_ns, th.process, w.thread, 'wait_begin', w.waiter,\n"
	"  NULL, w.awaited FROM waits w LEFT JOIN threads th ON th.id = w.thread\n"
	"  WHERE w.begin_ns IS NOT NULL\n"
	"UNION ALL SELECT w.end_ns, th.process, w.thread, 'wait_end', w.waiter,\n"
	"  NULL, w.awaited FROM waits w LEFT JOIN threads th ON th.id = w.thread\n"
	"  WHERE w.end_ns IS NOT NULL\n"
	"UNION ALL SELECT b.begin_ns, th.process, b.thread, 'block_begin', NULL, NULL,\n"
	"  b.reason FROM blocks b JOIN threads th ON th.id = b.thread\n"
	"  WHERE b.begin_ns IS NOT NULL\n"
	"UNION ALL SELECT b.end_ns, th.process, b.thread, 'block_end', NULL, NULL, NULL\n"
	"  FROM blocks b JOIN threads th ON th.id = b.thread WHERE b.end_ns IS NOT NULL\n"
	"UNION ALL SELECT ws.ts_ns, th.process, ws.thread, 'worker_state', NULL, ws.ctx,\n"
	"  ws.state FROM worker_states ws JOIN threads th ON th.id = ws.thread\n"
	"UNION ALL SELECT ps.ts_ns, c.process, NULL, 'pool_sample', NULL, ps.ctx, ps.queued\n"
	"  FROM pool_samples ps JOIN contexts c ON c.id = ps.ctx\n"
	"UNION ALL SELECT created_ns, process, NULL, 'context_new', NULL, id, kind\n"
	"  FROM contexts WHERE created_ns IS NOT NULL\n"
	"UNION ALL SELECT created_ns, process, NULL, 'token_new', NULL, NULL, id\n"
	"  FROM tokens WHERE created_ns IS NOT NULL\n"
	"UNION ALL SELECT cr.ts_ns, tk.process, cr.thread, 'cancel_request', NULL, NULL,\n"
	"  cr.token FROM cancellations cr JOIN tokens tk ON tk.id = cr.token\n"
	"UNION ALL SELECT co.ts_ns, tk.process, co.thread, 'cancel_observe', co.task, NULL,\n"
	"  co.token FROM cancel_observations co JOIN tokens tk ON tk.id = co.token\n"
	"UNION ALL SELECT a.ts_ns, t.process, a.thread, 'annotate', a.task, NULL, a.key\n"
	"  FROM annotations a LEFT JOIN tasks t ON t.id = a.task;\n";

/* Enum names for the `enums` table, from the same X-macro lists as the C
 * enums (weft.h, store.h, store-int.h). */
struct enum_row {
	const char *domain;
	int value;
	const char *name, *doc;
};

#define ENUM_ROWS(map, dom) map(ENUM_ROW_##dom)
#define ENUM_ROW_ctx_kind(up, low, doc) { "ctx_kind", WEFT_CTX_##up, #low, doc },
#define ENUM_ROW_task_kind(up, low, doc) { "task_kind", WEFT_TASK_##up, #low, doc },
#define ENUM_ROW_status(up, low, doc) { "status", WEFT_STATUS_##up, #low, doc },
#define ENUM_ROW_wait_mode(up, low, doc) { "wait_mode", WEFT_WAIT_##up, #low, doc },
#define ENUM_ROW_worker_state(up, low, doc) { "worker_state", WEFT_WORKER_##up, #low, doc },
#define ENUM_ROW_loss_kind(up, low, doc) { "loss_kind", STORE_LOSS_##up, #low, doc },
#define ENUM_ROW_link_kind(up, low, doc) { "link_kind", STORE_LINK_##up, #low, doc },
#define ENUM_ROW_severity(up, low, doc) { "severity", STORE_SEVERITY_##up, #low, doc },
static const struct enum_row enum_rows_v1[] = {
	ENUM_ROWS(WEFT_CTX_KIND_MAP, ctx_kind)
	ENUM_ROWS(WEFT_TASK_KIND_MAP, task_kind)
	ENUM_ROWS(WEFT_STATUS_MAP, status)
	ENUM_ROWS(WEFT_WAIT_MODE_MAP, wait_mode)
	ENUM_ROWS(WEFT_WORKER_STATE_MAP, worker_state)
	ENUM_ROWS(STORE_LOSS_KIND_MAP, loss_kind)
	ENUM_ROWS(STORE_LINK_KIND_MAP, link_kind)
	ENUM_ROWS(STORE_SEVERITY_MAP, severity)
};

static int exec_sql(struct store *st, const char *sql, const char *what)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : store_fail_sql(st, rc, what);
}

/* Runs one INSERT with text/integer parameters given as (type, value) pairs:
 * 't' const char *, 'i' int64_t. */
static int insert_row(struct store *st, const char *sql, const char *types, ...)
{
	sqlite3_stmt *s = NULL;
	va_list ap;
	int rc, i;

	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail_sql(st, rc, "prepare migration statement");
	va_start(ap, types);
	for (i = 0; types[i]; i++) {
		if (types[i] == 't')
			sqlite3_bind_text(s, i + 1, va_arg(ap, const char *), -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
	}
	va_end(ap);
	rc = store_step_done(st, s, "write schema rows");
	sqlite3_finalize(s);
	return rc;
}

static int migrate_v1(struct store *st)
{
	static const char enum_sql[] =
		"INSERT INTO enums(domain, value, name, doc) VALUES (?1, ?2, ?3, ?4)";
	static const char meta_sql[] = "INSERT INTO meta(key, value) VALUES (?1, ?2)";
	struct timespec now;
	char buf[64];
	size_t i;
	int rc;

	rc = exec_sql(st, schema_v1, "create schema v1");
	if (rc < 0)
		return rc;
	for (i = 0; i < sizeof(enum_rows_v1) / sizeof(enum_rows_v1[0]); i++) {
		const struct enum_row *e = &enum_rows_v1[i];

		rc = insert_row(st, enum_sql, "titt", e->domain, (int64_t)e->value, e->name,
				e->doc);
		if (rc < 0)
			return rc;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(buf, sizeof(buf), "%lld",
		 (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
	rc = insert_row(st, meta_sql, "tt", "created_by", "weft " WEFT_VERSION_STRING);
	if (rc == 0)
		rc = insert_row(st, meta_sql, "tt", "created_at_ns", buf);
	if (rc == 0)
		rc = exec_sql(st, "PRAGMA application_id = 2003134068", /* 0x77656674 */
			      "set application_id");
	return rc;
}

/* Schema v2: additions and changes over v1, in one step.  Each block says
 * which defect of v1 it answers. */
static const char schema_v2[] =
	/* v2:token — token names, every parent of a linked token (v1 kept only
	 * the first parent, so a cancellation arriving through another was
	 * invisible).  tokens.parent stays: the first parent, as before. */
	"ALTER TABLE tokens ADD COLUMN name TEXT;\n"
	"CREATE TABLE token_parents(\n"
	"  token INTEGER NOT NULL REFERENCES tokens, parent INTEGER NOT NULL REFERENCES tokens,\n"
	"  ord INTEGER NOT NULL, ts_ns INTEGER, PRIMARY KEY(token, parent)) WITHOUT ROWID;\n"
	"CREATE INDEX token_parents_parent ON token_parents(parent);\n"
	"INSERT INTO token_parents(token, parent, ord, ts_ns)\n"
	"  SELECT id, parent, 0, created_ns FROM tokens WHERE parent IS NOT NULL;\n"
	/* v2:chunk — chunk identity by content, exact loss */
	/* Each stream's stretch of packets in each chunk, from LTTng's CTF
	 * packet index: a stream (trace UUID, stream class, instance) numbers
	 * its packets and counts its discarded events cumulatively for the
	 * whole recording, so these rows say which data a chunk holds whatever
	 * its path, and give the exact loss between two stretches. */
	"CREATE TABLE chunk_streams(\n"
	"  trace_uuid TEXT NOT NULL, stream_class INTEGER NOT NULL,\n"
	"  stream_instance INTEGER NOT NULL, first_seq INTEGER NOT NULL,\n"
	"  last_seq INTEGER NOT NULL, session INTEGER NOT NULL REFERENCES sessions,\n"
	"  chunk TEXT NOT NULL, stream TEXT NOT NULL, packets INTEGER NOT NULL,\n"
	"  lost_inside INTEGER NOT NULL, begin_ns INTEGER, first_end_ns INTEGER,\n"
	"  end_ns INTEGER, discarded_first INTEGER NOT NULL,\n"
	"  discarded_last INTEGER NOT NULL, discards_begin_ns INTEGER,\n"
	"  discards_end_ns INTEGER,\n"
	"  PRIMARY KEY(trace_uuid, stream_class, stream_instance, first_seq)) WITHOUT ROWID;\n"
	"CREATE INDEX chunk_streams_chunk ON chunk_streams(session, chunk);\n"
	/* A loss row now belongs to one stream stretch (NULL for the
	 * babeltrace2 messages that v1 stored) and says whether it is exact. */
	"ALTER TABLE loss ADD COLUMN trace_uuid TEXT;\n"
	"ALTER TABLE loss ADD COLUMN stream_class INTEGER;\n"
	"ALTER TABLE loss ADD COLUMN stream_instance INTEGER;\n"
	"ALTER TABLE loss ADD COLUMN first_seq INTEGER;\n"
	"ALTER TABLE loss ADD COLUMN exact INTEGER;\n"
	"CREATE INDEX loss_stream ON loss(trace_uuid, stream_class, stream_instance,\n"
	"  first_seq) WHERE trace_uuid IS NOT NULL;\n"
	/* v2:threads — thread-to-context binding as intervals.  v1 kept one
	 * threads.ctx per thread, set at its first worker_state(start) and never
	 * cleared: a thread that ran a loop once looked like that loop's thread
	 * forever.  A binding is worker_state(start) .. worker_state(stop) of one
	 * context on one thread (end NULL while open); bindings nest (a loop run
	 * from a callback).  v1 stores get theirs from worker_states. */
	"CREATE TABLE thread_bindings(\n"
	"  id INTEGER PRIMARY KEY, thread INTEGER NOT NULL REFERENCES threads,\n"
	"  ctx INTEGER NOT NULL REFERENCES contexts, begin_ns INTEGER, end_ns INTEGER);\n"
	"CREATE INDEX thread_bindings_thread ON thread_bindings(thread, begin_ns);\n"
	"CREATE INDEX thread_bindings_ctx ON thread_bindings(ctx, begin_ns);\n"
	"CREATE INDEX thread_bindings_open ON thread_bindings(thread, begin_ns)\n"
	"  WHERE end_ns IS NULL;\n"
	"INSERT INTO thread_bindings(thread, ctx, begin_ns, end_ns)\n"
	"SELECT s.thread, s.ctx, s.ts_ns,\n"
	"  (SELECT min(e.ts_ns) FROM worker_states e WHERE e.thread = s.thread\n"
	"     AND e.ctx = s.ctx AND e.state = 1 AND e.ts_ns >= s.ts_ns)\n"
	"FROM worker_states s\n"
	"WHERE s.state = 0 AND s.ctx IS NOT NULL\n"
	"  AND NOT EXISTS (SELECT 1 FROM worker_states p WHERE p.thread = s.thread\n"
	"    AND p.ctx = s.ctx AND p.state = 0 AND p.ts_ns < s.ts_ns\n"
	"    AND NOT EXISTS (SELECT 1 FROM worker_states q WHERE q.thread = s.thread\n"
	"      AND q.ctx = s.ctx AND q.state = 1 AND q.ts_ns >= p.ts_ns\n"
	"      AND q.ts_ns <= s.ts_ns))\n"
	"ORDER BY s.thread, s.ts_ns;\n"
	"CREATE VIEW thread_binding_summary AS\n"
	"SELECT b.id AS id, b.thread AS thread, th.tid AS tid, th.name AS thread_name,\n"
	"  th.process AS process, p.pid AS pid, b.ctx AS ctx, c.ctx AS ctx_id,\n"
	"  c.name AS ctx_name,\n"
	"  (SELECT name FROM enums WHERE domain = 'ctx_kind' AND value = c.kind) AS ctx_kind,\n"
	"  b.begin_ns AS begin_ns, b.end_ns AS end_ns, b.end_ns - b.begin_ns AS duration_ns\n"
	"FROM thread_bindings b JOIN threads th ON th.id = b.thread\n"
	"JOIN processes p ON p.id = th.process\n"
	"LEFT JOIN contexts c ON c.id = b.ctx;\n"
	/* v2:findings — what a finding keeps (detect.h): its identity for
	 * live re-runs (detector, process, key), unit, thread and context,
	 * the finding it follows from (one root cause, one finding), a
	 * suppression's reason, when it was written; its tasks with roles. */
	"ALTER TABLE findings ADD COLUMN session INTEGER REFERENCES sessions;\n"
	"ALTER TABLE findings ADD COLUMN key TEXT;\n"
	"ALTER TABLE findings ADD COLUMN unit TEXT;\n"
	"ALTER TABLE findings ADD COLUMN thread INTEGER REFERENCES threads;\n"
	"ALTER TABLE findings ADD COLUMN ctx INTEGER REFERENCES contexts;\n"
	"ALTER TABLE findings ADD COLUMN attached_to INTEGER REFERENCES findings;\n"
	"ALTER TABLE findings ADD COLUMN suppressed TEXT;\n"
	"ALTER TABLE findings ADD COLUMN detected_ns INTEGER;\n"
	"CREATE UNIQUE INDEX findings_key ON findings(detector, process, key);\n"
	"CREATE TABLE finding_tasks(\n"
	"  finding INTEGER NOT NULL REFERENCES findings, ord INTEGER NOT NULL,\n"
	"  task INTEGER NOT NULL REFERENCES tasks, role TEXT NOT NULL,\n"
	"  PRIMARY KEY(finding, ord)) WITHOUT ROWID;\n"
	"CREATE INDEX finding_tasks_task ON finding_tasks(task);\n"
	"DROP VIEW finding_summary;\n"
	"CREATE VIEW finding_summary AS\n"
	"SELECT f.id AS id, f.detector AS detector,\n"
	"  (SELECT name FROM enums WHERE domain = 'severity' AND value = f.severity)\n"
	"    AS severity, f.severity AS severity_level,\n"
	"  f.process AS process, p.pid AS pid, p.name AS process_name,\n"
	"  f.task AS task_id, t.task AS task, n.s AS task_name, si.s AS site,\n"
	"  f.begin_ns AS begin_ns, f.end_ns AS end_ns, f.value AS value, f.unit AS unit,\n"
	"  f.message AS message, f.attached_to AS attached_to, f.suppressed AS suppressed,\n"
	"  f.session AS session\n"
	"FROM findings f LEFT JOIN processes p ON p.id = f.process\n"
	"LEFT JOIN tasks t ON t.id = f.task\n"
	"LEFT JOIN strings n ON n.id = t.name\n"
	"LEFT JOIN strings si ON si.id = t.site;\n"
	/* v2:writer — what the writer needs to keep bounded memory: an interval
	 * evicted from memory (or open across a writer restart) is found again
	 * by these partial indexes, which hold only the open rows. */
	"CREATE INDEX blocks_open ON blocks(thread, begin_ns) WHERE end_ns IS NULL;\n"
	"CREATE INDEX waits_open ON waits(awaited, waiter) WHERE end_ns IS NULL;\n"
	/* v2:durable — what the recording path did to a chunk: strings the
	 * decoder cut at WEFT_STR_MAX (a program with its own copy of the
	 * provider, or a host streaming to weftd, is not bounded by libweft) */
	"ALTER TABLE chunks ADD COLUMN truncated_strings INTEGER NOT NULL DEFAULT 0;\n"
	/* v2:chain — stitched chains and blame (store/chain.h).  v1 could
	 * walk a chain only downwards by scanning tasks; a finding lost its
	 * chain and its blame once the trace changed.  task_causes is the
	 * one-hop upward rule (parent, else the releasing antecedent, else
	 * the awaiter) that chain_get() and the documented chain query
	 * follow; tasks_parent makes "what did it create" an index lookup;
	 * finding_chain / finding_blame keep what detect_emit() computed. */
	"CREATE INDEX tasks_parent ON tasks(parent) WHERE parent IS NOT NULL;\n"
	"CREATE VIEW task_causes(task, cause, relation) AS\n"
	"SELECT t.id,\n"
	"  coalesce(t.parent,\n"
	"    CASE WHEN t.kind = 7 THEN\n"
	"      (SELECT l.src FROM links l JOIN tasks a ON a.id = l.src\n"
	"       WHERE l.dst = t.id AND l.kind = 0\n"
	"       ORDER BY a.ended_ns IS NULL, a.ended_ns, l.id LIMIT 1)\n"
	"    ELSE\n"
	"      (SELECT l.src FROM links l JOIN tasks a ON a.id = l.src\n"
	"       WHERE l.dst = t.id AND l.kind = 0\n"
	"       ORDER BY a.ended_ns IS NOT NULL, a.ended_ns DESC, l.id LIMIT 1) END,\n"
	"    (SELECT w.waiter FROM waits w WHERE w.awaited = t.id AND w.waiter IS NOT NULL\n"
	"     ORDER BY w.mode, w.begin_ns, w.id LIMIT 1)),\n"
	"  CASE WHEN t.parent IS NOT NULL THEN 'created by'\n"
	"       WHEN EXISTS (SELECT 1 FROM links l WHERE l.dst = t.id AND l.kind = 0\n"
	"                    AND l.src IS NOT NULL) THEN 'continuation of'\n"
	"       ELSE 'awaited by' END\n"
	"FROM tasks t\n"
	"WHERE t.parent IS NOT NULL\n"
	"   OR EXISTS (SELECT 1 FROM links l WHERE l.dst = t.id AND l.kind = 0\n"
	"              AND l.src IS NOT NULL)\n"
	"   OR EXISTS (SELECT 1 FROM waits w WHERE w.awaited = t.id AND w.waiter IS NOT NULL);\n"
	"CREATE TABLE finding_chain(\n"
	"  finding INTEGER NOT NULL REFERENCES findings, depth INTEGER NOT NULL,\n"
	"  task INTEGER NOT NULL REFERENCES tasks, relation TEXT NOT NULL,\n"
	"  thread INTEGER REFERENCES threads, ctx INTEGER REFERENCES contexts,\n"
	"  queue_ns INTEGER, run_ns INTEGER, blocked_ns INTEGER, wait_ns INTEGER,\n"
	"  marshal_from INTEGER REFERENCES contexts,\n"
	"  PRIMARY KEY(finding, depth)) WITHOUT ROWID;\n"
	"CREATE TABLE finding_blame(\n"
	"  finding INTEGER NOT NULL REFERENCES findings, ord INTEGER NOT NULL,\n"
	"  category TEXT NOT NULL, ns INTEGER NOT NULL,\n"
	"  ctx INTEGER REFERENCES contexts, from_ctx INTEGER REFERENCES contexts,\n"
	"  thread INTEGER REFERENCES threads, task INTEGER REFERENCES tasks,\n"
	"  reason INTEGER REFERENCES strings,\n"
	"  PRIMARY KEY(finding, ord)) WITHOUT ROWID;\n"
	/* v2:detect-lifecycle — what the lifecycle detectors (lost-task,
	 * cancel-ignored, cancel-not-propagated, orphaned-work,
	 * sync-completion-hot-path) look up without scanning every task: the
	 * tasks still open, those carrying a token, the combinators, the ones
	 * that completed inline, what a task noticed of a cancellation.  All partial: a store of plain tasks that
	 * end, carry no token and never complete inline (the common shape)
	 * pays nothing for them. */
	"CREATE INDEX tasks_open ON tasks(process) WHERE ended_ns IS NULL;\n"
	"CREATE INDEX tasks_token ON tasks(token) WHERE token IS NOT NULL;\n"
	"CREATE INDEX tasks_when_any ON tasks(process) WHERE kind = 7;\n"
	"CREATE INDEX tasks_inline ON tasks(process, site) WHERE inline = 1;\n"
	"CREATE INDEX cancel_observations_task ON cancel_observations(task);\n"
	"";

static int migrate_v2(struct store *st)
{
	return exec_sql(st, schema_v2, "migrate schema v1 to v2");
}

struct migration {
	const char *what;
	int (*apply)(struct store *st);
};

/* migrations[N - 1] takes a store from user_version N - 1 to N. */
static const struct migration migrations[] = {
	{ "create schema v1", migrate_v1 },
	{ "schema v2: token names and parents, chunk identity, thread bindings", migrate_v2 },
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == STORE_SCHEMA_VERSION,
	       "one migration step per schema version");
_Static_assert(STORE_APPLICATION_ID == 2003134068, "application_id literal above");

int store_migrate(struct store *st, int from)
{
	static const char meta_sql[] =
		"INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)";
	char sql[64];
	int v, rc = 0;

	for (v = from; v < STORE_SCHEMA_VERSION; v++) {
		rc = exec_sql(st, "BEGIN IMMEDIATE", "begin migration");
		if (rc < 0)
			break;
		rc = migrations[v].apply(st);
		if (rc == 0) {
			snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
			rc = exec_sql(st, sql, "set user_version");
		}
		if (rc == 0)
			rc = insert_row(st, meta_sql, "ti", "schema_version", (int64_t)(v + 1));
		if (rc == 0)
			rc = insert_row(st, meta_sql, "tt", "weft_version", WEFT_VERSION_STRING);
		if (rc == 0)
			rc = exec_sql(st, "COMMIT", "commit migration");
		if (rc < 0) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			break;
		}
	}
	return rc;
}
