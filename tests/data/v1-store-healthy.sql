PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
INSERT INTO meta VALUES('created_at_ns','1796164619166191246');
INSERT INTO meta VALUES('created_by','weft 0.1.0');
INSERT INTO meta VALUES('schema_version',1);
INSERT INTO meta VALUES('weft_version','0.1.0');
CREATE TABLE enums(domain TEXT NOT NULL, value INTEGER NOT NULL,
  name TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY(domain, value)) WITHOUT ROWID;
INSERT INTO enums VALUES('ctx_kind',0,'pool','thread pool: N workers sharing one FIFO queue');
INSERT INTO enums VALUES('ctx_kind',1,'loop','one thread running posted work in order (UI thread, event loop)');
INSERT INTO enums VALUES('ctx_kind',2,'inline','runs work where it is posted');
INSERT INTO enums VALUES('ctx_kind',3,'external','an executor weft does not own (libuv, GLib, ...)');
INSERT INTO enums VALUES('link_kind',0,'continuation','dst runs after src completes (continuation_add)');
INSERT INTO enums VALUES('link_kind',1,'marshal','dst, a continuation of src, was posted from from_ctx to ctx');
INSERT INTO enums VALUES('loss_kind',0,'events','discarded events (ring buffer full, discard mode)');
INSERT INTO enums VALUES('loss_kind',1,'packets','lost packets (consumer or network lost whole packets)');
INSERT INTO enums VALUES('severity',0,'info','worth knowing; not a fault by itself');
INSERT INTO enums VALUES('severity',1,'warning','likely a performance or robustness problem');
INSERT INTO enums VALUES('severity',2,'error','a fault: lost work, deadlock, silent failure');
INSERT INTO enums VALUES('status',0,'ok','completed normally');
INSERT INTO enums VALUES('status',1,'error','completed with an error');
INSERT INTO enums VALUES('status',2,'canceled','completed because cancellation was requested');
INSERT INTO enums VALUES('task_kind',0,'task','work submitted to a context');
INSERT INTO enums VALUES('task_kind',1,'continuation','runs after an antecedent completes');
INSERT INTO enums VALUES('task_kind',2,'detached','fire-and-forget: nobody holds its result');
INSERT INTO enums VALUES('task_kind',3,'timer','completes after a delay');
INSERT INTO enums VALUES('task_kind',4,'io','completed by an I/O source (a promise)');
INSERT INTO enums VALUES('task_kind',5,'blocking','work that blocks its thread by design');
INSERT INTO enums VALUES('task_kind',6,'when_all','completes when all inputs complete');
INSERT INTO enums VALUES('task_kind',7,'when_any','completes when the first input completes');
INSERT INTO enums VALUES('wait_mode',0,'block','the thread blocks until the awaited task completes');
INSERT INTO enums VALUES('wait_mode',1,'async','a continuation resumes the waiter');
INSERT INTO enums VALUES('worker_state',0,'start','thread begins serving the context');
INSERT INTO enums VALUES('worker_state',1,'stop','thread stops serving the context');
INSERT INTO enums VALUES('worker_state',2,'idle','waiting for work');
INSERT INTO enums VALUES('worker_state',3,'busy','running a task');
INSERT INTO enums VALUES('worker_state',4,'blocked','running a task that is blocked in a wait');
CREATE TABLE sessions(
  id INTEGER PRIMARY KEY, host TEXT NOT NULL, name TEXT NOT NULL,
  start_ns INTEGER NOT NULL, end_ns INTEGER,
  discarded_events INTEGER, lost_packets INTEGER, UNIQUE(host, name));
INSERT INTO sessions VALUES(1,'vm','weft-5213-1796164619',1796164619000000000,NULL,0,0);
CREATE TABLE chunks(
  session INTEGER NOT NULL REFERENCES sessions, chunk TEXT NOT NULL,
  events INTEGER NOT NULL, first_ns INTEGER, last_ns INTEGER,
  committed_at INTEGER NOT NULL, PRIMARY KEY(session, chunk)) WITHOUT ROWID;
INSERT INTO chunks VALUES(1,'20261201T223659+0000-20261201T223659+0000-0',113,313788278,380789763,1796164620095397068);
CREATE TABLE loss(
  id INTEGER PRIMARY KEY, session INTEGER NOT NULL REFERENCES sessions,
  chunk TEXT NOT NULL, kind INTEGER NOT NULL, stream TEXT NOT NULL,
  begin_ns INTEGER, end_ns INTEGER, count INTEGER);
CREATE TABLE strings(id INTEGER PRIMARY KEY, s TEXT NOT NULL UNIQUE);
INSERT INTO strings VALUES(1,'gallery ready');
INSERT INTO strings VALUES(2,'examples/healthy.c:249');
INSERT INTO strings VALUES(3,'on_open_gallery');
INSERT INTO strings VALUES(4,'examples/healthy.c:260');
INSERT INTO strings VALUES(5,'load_thumbnail');
INSERT INTO strings VALUES(6,'examples/healthy.c:154');
INSERT INTO strings VALUES(7,'all thumbnails');
INSERT INTO strings VALUES(8,'examples/healthy.c:158');
INSERT INTO strings VALUES(9,'show_gallery');
INSERT INTO strings VALUES(10,'examples/healthy.c:162');
INSERT INTO strings VALUES(11,'search');
INSERT INTO strings VALUES(12,'examples/healthy.c:185');
INSERT INTO strings VALUES(13,'show_results');
INSERT INTO strings VALUES(14,'examples/healthy.c:187');
INSERT INTO strings VALUES(15,'fetch_avatar');
INSERT INTO strings VALUES(16,'examples/healthy.c:205');
INSERT INTO strings VALUES(17,'delay');
INSERT INTO strings VALUES(18,'examples/healthy.c:206');
INSERT INTO strings VALUES(19,'avatar or timeout');
INSERT INTO strings VALUES(20,'examples/healthy.c:211');
INSERT INTO strings VALUES(21,'show_avatar');
INSERT INTO strings VALUES(22,'examples/healthy.c:212');
INSERT INTO strings VALUES(23,'send_telemetry');
INSERT INTO strings VALUES(24,'examples/healthy.c:232');
INSERT INTO strings VALUES(25,'IMG_0002.jpg: No such file or directory');
INSERT INTO strings VALUES(26,'1 of 4 failed: IMG_0002.jpg: No such file or directory');
INSERT INTO strings VALUES(27,'timeout');
INSERT INTO strings VALUES(28,'race decided');
INSERT INTO strings VALUES(29,'telemetry: Connection timed out');
INSERT INTO strings VALUES(30,'window closed');
CREATE TABLE processes(
  id INTEGER PRIMARY KEY, session INTEGER NOT NULL REFERENCES sessions,
  pid INTEGER NOT NULL, name TEXT, start_ns INTEGER NOT NULL,
  marked INTEGER NOT NULL);
INSERT INTO processes VALUES(1,1,5215,'healthy',312403850,1);
CREATE TABLE threads(
  id INTEGER PRIMARY KEY, process INTEGER NOT NULL REFERENCES processes,
  tid INTEGER NOT NULL, name TEXT, first_ns INTEGER,
  ctx INTEGER REFERENCES contexts);
INSERT INTO threads VALUES(1,1,5215,'healthy',313788278,NULL);
INSERT INTO threads VALUES(2,1,5218,'healthy',313931714,2);
INSERT INTO threads VALUES(3,1,5219,'healthy',316608582,2);
INSERT INTO threads VALUES(4,1,5220,'healthy',316631677,1);
INSERT INTO threads VALUES(5,1,5221,'healthy',360664595,NULL);
CREATE TABLE contexts(
  id INTEGER PRIMARY KEY, process INTEGER NOT NULL REFERENCES processes,
  ctx INTEGER NOT NULL, kind INTEGER, name TEXT, workers INTEGER,
  ncpu INTEGER, created_ns INTEGER);
INSERT INTO contexts VALUES(1,1,1,1,'ui',1,2,313788278);
INSERT INTO contexts VALUES(2,1,2,0,'pool',2,2,313799435);
CREATE TABLE tokens(
  id INTEGER PRIMARY KEY, process INTEGER NOT NULL REFERENCES processes,
  token INTEGER NOT NULL, parent INTEGER REFERENCES tokens, created_ns INTEGER);
INSERT INTO tokens VALUES(1,1,3,NULL,313885895);
INSERT INTO tokens VALUES(2,1,6,1,316702233);
INSERT INTO tokens VALUES(3,1,13,1,316738197);
INSERT INTO tokens VALUES(4,1,16,1,316803185);
CREATE TABLE tasks(
  id INTEGER PRIMARY KEY, process INTEGER NOT NULL REFERENCES processes,
  task INTEGER NOT NULL, parent INTEGER REFERENCES tasks,
  token INTEGER REFERENCES tokens, kind INTEGER,
  name INTEGER REFERENCES strings, site INTEGER REFERENCES strings,
  created_ns INTEGER, scheduled_ns INTEGER, started_ns INTEGER, ended_ns INTEGER,
  status INTEGER, err INTEGER, msg INTEGER REFERENCES strings,
  observed_ns INTEGER, unobserved_ns INTEGER, inline INTEGER,
  ctx INTEGER REFERENCES contexts, created_thread INTEGER REFERENCES threads,
  started_thread INTEGER REFERENCES threads, starts INTEGER NOT NULL);
INSERT INTO tasks VALUES(1,1,4,NULL,NULL,4,1,2,313890943,NULL,NULL,380628762,0,0,NULL,NULL,NULL,NULL,NULL,1,NULL,0);
INSERT INTO tasks VALUES(2,1,5,NULL,NULL,0,3,4,313916110,313917933,316644126,316812078,0,0,NULL,NULL,NULL,NULL,1,1,4,1);
INSERT INTO tasks VALUES(3,1,7,2,2,0,5,6,316705758,316707080,316743326,328649243,0,0,NULL,NULL,NULL,NULL,2,4,2,1);
INSERT INTO tasks VALUES(4,1,8,2,2,0,5,6,316707831,316708042,316817666,324822356,0,0,NULL,NULL,NULL,NULL,2,4,3,1);
INSERT INTO tasks VALUES(5,1,9,2,2,0,5,6,316726740,316726990,324850107,336625939,1,-2,25,336630867,NULL,NULL,2,4,3,1);
INSERT INTO tasks VALUES(6,1,10,2,2,0,5,6,316727181,316727311,328708712,344595997,0,0,NULL,NULL,NULL,NULL,2,4,2,1);
INSERT INTO tasks VALUES(7,1,11,2,NULL,6,7,8,316730976,NULL,NULL,344613043,1,-2,26,360692447,NULL,NULL,NULL,4,NULL,0);
INSERT INTO tasks VALUES(8,1,12,2,NULL,1,9,10,316736254,344616718,360688881,360693208,0,0,NULL,NULL,NULL,NULL,1,4,4,1);
INSERT INTO tasks VALUES(9,1,14,2,3,0,11,12,316802023,316802323,336633711,380613048,2,-125,NULL,NULL,NULL,NULL,2,4,3,1);
INSERT INTO tasks VALUES(10,1,15,2,NULL,1,13,14,316802694,380615021,380625737,380635131,0,0,NULL,NULL,NULL,NULL,1,4,4,1);
INSERT INTO tasks VALUES(11,1,17,2,4,0,15,16,316803495,316803635,344634705,372589060,0,0,NULL,NULL,NULL,NULL,2,4,2,1);
INSERT INTO tasks VALUES(12,1,18,2,4,3,17,18,316804707,NULL,NULL,372624974,2,-125,NULL,NULL,NULL,NULL,NULL,4,NULL,0);
INSERT INTO tasks VALUES(13,1,19,2,NULL,7,19,20,316806790,NULL,NULL,372591854,0,0,NULL,NULL,NULL,NULL,NULL,4,NULL,0);
INSERT INTO tasks VALUES(14,1,20,2,NULL,1,21,22,316807541,372596401,372616140,372628048,0,0,NULL,NULL,NULL,NULL,1,4,4,1);
INSERT INTO tasks VALUES(15,1,21,2,NULL,2,23,24,316808423,316808573,372635109,373655441,1,-110,29,373656593,NULL,NULL,2,4,2,1);
CREATE TABLE links(
  id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, src INTEGER REFERENCES tasks,
  dst INTEGER NOT NULL REFERENCES tasks, ctx INTEGER REFERENCES contexts,
  from_ctx INTEGER REFERENCES contexts, thread INTEGER REFERENCES threads,
  ts_ns INTEGER NOT NULL);
INSERT INTO links VALUES(1,0,3,7,NULL,NULL,4,316732939);
INSERT INTO links VALUES(2,0,4,7,NULL,NULL,4,316733871);
INSERT INTO links VALUES(3,0,5,7,NULL,NULL,4,316733981);
INSERT INTO links VALUES(4,0,6,7,NULL,NULL,4,316734071);
INSERT INTO links VALUES(5,0,7,8,1,NULL,4,316736495);
INSERT INTO links VALUES(6,0,9,10,1,NULL,4,316802934);
INSERT INTO links VALUES(7,0,11,13,NULL,NULL,4,316806970);
INSERT INTO links VALUES(8,0,12,13,NULL,NULL,4,316807111);
INSERT INTO links VALUES(9,0,13,14,1,NULL,4,316807681);
INSERT INTO links VALUES(10,1,7,8,1,2,2,344615727);
INSERT INTO links VALUES(11,1,13,14,1,2,2,372593997);
INSERT INTO links VALUES(12,1,9,10,1,2,3,380614430);
CREATE TABLE waits(
  id INTEGER PRIMARY KEY, waiter INTEGER REFERENCES tasks,
  awaited INTEGER NOT NULL REFERENCES tasks, mode INTEGER,
  thread INTEGER REFERENCES threads, begin_ns INTEGER, end_ns INTEGER,
  timed_out INTEGER);
INSERT INTO waits VALUES(1,NULL,1,0,1,313919576,380644856,0);
INSERT INTO waits VALUES(2,NULL,2,0,1,380646108,380646298,0);
CREATE TABLE blocks(
  id INTEGER PRIMARY KEY, thread INTEGER NOT NULL REFERENCES threads,
  begin_ns INTEGER, end_ns INTEGER, reason INTEGER REFERENCES strings);
CREATE TABLE pool_samples(
  ctx INTEGER NOT NULL REFERENCES contexts, ts_ns INTEGER NOT NULL,
  queued INTEGER NOT NULL, busy INTEGER NOT NULL, workers INTEGER NOT NULL,
  PRIMARY KEY(ctx, ts_ns)) WITHOUT ROWID;
INSERT INTO pool_samples VALUES(2,313933577,0,0,2);
INSERT INTO pool_samples VALUES(2,316707571,1,0,2);
INSERT INTO pool_samples VALUES(2,316739670,3,1,2);
INSERT INTO pool_samples VALUES(2,316817055,5,2,2);
INSERT INTO pool_samples VALUES(2,324848926,4,2,2);
INSERT INTO pool_samples VALUES(2,328706569,3,2,2);
INSERT INTO pool_samples VALUES(2,336632459,2,2,2);
INSERT INTO pool_samples VALUES(2,344634134,1,2,2);
INSERT INTO pool_samples VALUES(2,372634568,0,2,2);
INSERT INTO pool_samples VALUES(2,373656943,0,1,2);
INSERT INTO pool_samples VALUES(2,380765677,0,0,1);
INSERT INTO pool_samples VALUES(2,380768862,0,0,0);
CREATE TABLE worker_states(
  thread INTEGER NOT NULL REFERENCES threads, ts_ns INTEGER NOT NULL,
  state INTEGER NOT NULL, ctx INTEGER REFERENCES contexts,
  PRIMARY KEY(thread, ts_ns, state)) WITHOUT ROWID;
INSERT INTO worker_states VALUES(2,313931714,0,2);
INSERT INTO worker_states VALUES(2,313933837,2,2);
INSERT INTO worker_states VALUES(2,316741893,3,2);
INSERT INTO worker_states VALUES(2,373657143,2,2);
INSERT INTO worker_states VALUES(2,380769673,1,2);
INSERT INTO worker_states VALUES(3,316608582,0,2);
INSERT INTO worker_states VALUES(3,316621021,2,2);
INSERT INTO worker_states VALUES(3,316817356,3,2);
INSERT INTO worker_states VALUES(3,380789763,1,2);
INSERT INTO worker_states VALUES(4,316631677,0,1);
INSERT INTO worker_states VALUES(4,316635503,3,1);
INSERT INTO worker_states VALUES(4,316812599,2,1);
INSERT INTO worker_states VALUES(4,360686888,3,1);
INSERT INTO worker_states VALUES(4,360696312,2,1);
INSERT INTO worker_states VALUES(4,372615029,3,1);
INSERT INTO worker_states VALUES(4,372628269,2,1);
INSERT INTO worker_states VALUES(4,380624946,3,1);
INSERT INTO worker_states VALUES(4,380635331,2,1);
INSERT INTO worker_states VALUES(4,380680169,1,1);
CREATE TABLE cancellations(
  id INTEGER PRIMARY KEY, token INTEGER NOT NULL REFERENCES tokens,
  ts_ns INTEGER NOT NULL, thread INTEGER REFERENCES threads,
  reason INTEGER REFERENCES strings);
INSERT INTO cancellations VALUES(1,3,360664595,5,27);
INSERT INTO cancellations VALUES(2,4,372621879,4,28);
INSERT INTO cancellations VALUES(3,1,380647490,1,30);
CREATE TABLE cancel_observations(
  id INTEGER PRIMARY KEY, token INTEGER NOT NULL REFERENCES tokens,
  task INTEGER REFERENCES tasks, ts_ns INTEGER NOT NULL,
  thread INTEGER REFERENCES threads);
INSERT INTO cancel_observations VALUES(1,4,12,372624643,4);
INSERT INTO cancel_observations VALUES(2,3,9,380611936,3);
CREATE TABLE annotations(
  id INTEGER PRIMARY KEY, task INTEGER REFERENCES tasks, ts_ns INTEGER NOT NULL,
  thread INTEGER REFERENCES threads, key INTEGER REFERENCES strings,
  value TEXT NOT NULL);
CREATE TABLE findings(
  id INTEGER PRIMARY KEY, detector TEXT NOT NULL, severity INTEGER NOT NULL,
  process INTEGER REFERENCES processes, task INTEGER REFERENCES tasks,
  begin_ns INTEGER, end_ns INTEGER, value REAL, message TEXT NOT NULL);
CREATE INDEX processes_pid ON processes(session, pid, start_ns);
CREATE INDEX threads_tid ON threads(process, tid);
CREATE UNIQUE INDEX contexts_ctx ON contexts(process, ctx);
CREATE UNIQUE INDEX tokens_token ON tokens(process, token);
CREATE UNIQUE INDEX tasks_task ON tasks(process, task);
CREATE INDEX tasks_thread ON tasks(started_thread, started_ns)
  WHERE started_thread IS NOT NULL;
CREATE INDEX links_dst ON links(dst);
CREATE INDEX links_src ON links(src) WHERE src IS NOT NULL;
CREATE INDEX waits_awaited ON waits(awaited);
CREATE INDEX waits_waiter ON waits(waiter) WHERE waiter IS NOT NULL;
CREATE INDEX waits_thread ON waits(thread, begin_ns);
CREATE INDEX blocks_thread ON blocks(thread, begin_ns);
CREATE INDEX cancellations_token ON cancellations(token);
CREATE INDEX annotations_task ON annotations(task);
CREATE VIEW task_summary AS
SELECT t.id AS id, t.process AS process, p.pid AS pid, t.task AS task,
  t.parent AS parent, par.task AS parent_task,
  (SELECT name FROM enums WHERE domain = 'task_kind' AND value = t.kind) AS kind,
  n.s AS name, si.s AS site, tok.token AS token,
  CASE WHEN t.ended_ns IS NOT NULL THEN 'ended'
       WHEN t.started_ns IS NOT NULL THEN 'running'
       WHEN t.scheduled_ns IS NOT NULL THEN 'queued'
       WHEN t.created_ns IS NOT NULL THEN 'created' ELSE 'unknown' END AS state,
  (SELECT name FROM enums WHERE domain = 'status' AND value = t.status) AS status,
  t.err AS err, m.s AS msg,
  t.created_ns AS created_ns, t.scheduled_ns AS scheduled_ns,
  t.started_ns AS started_ns, t.ended_ns AS ended_ns,
  t.started_ns - t.scheduled_ns AS queue_wait_ns,
  t.ended_ns - t.started_ns AS run_ns,
  t.ended_ns - t.created_ns AS total_ns,
  t.observed_ns IS NOT NULL AS observed, t.unobserved_ns IS NOT NULL AS unobserved,
  coalesce(t.inline, 0) AS inline, t.ctx AS ctx, c.name AS ctx_name,
  t.started_thread AS thread, th.tid AS tid, t.starts AS starts
FROM tasks t JOIN processes p ON p.id = t.process
LEFT JOIN tasks par ON par.id = t.parent
LEFT JOIN strings n ON n.id = t.name
LEFT JOIN strings si ON si.id = t.site
LEFT JOIN strings m ON m.id = t.msg
LEFT JOIN tokens tok ON tok.id = t.token
LEFT JOIN contexts c ON c.id = t.ctx
LEFT JOIN threads th ON th.id = t.started_thread;
CREATE VIEW finding_summary AS
SELECT f.id AS id, f.detector AS detector,
  (SELECT name FROM enums WHERE domain = 'severity' AND value = f.severity)
    AS severity, f.severity AS severity_level,
  f.process AS process, p.pid AS pid, p.name AS process_name,
  f.task AS task_id, t.task AS task, n.s AS task_name,
  f.begin_ns AS begin_ns, f.end_ns AS end_ns, f.value AS value,
  f.message AS message
FROM findings f LEFT JOIN processes p ON p.id = f.process
LEFT JOIN tasks t ON t.id = f.task
LEFT JOIN strings n ON n.id = t.name;
CREATE VIEW edges(kind, src, dst, ctx, from_ctx, thread, ts_ns) AS
SELECT 'parent', parent, id, NULL, NULL, created_thread, created_ns
  FROM tasks WHERE parent IS NOT NULL
UNION ALL
SELECT CASE kind WHEN 0 THEN 'continuation' ELSE 'marshal' END,
  src, dst, ctx, from_ctx, thread, ts_ns FROM links
UNION ALL
SELECT 'awaits', waiter, awaited, NULL, NULL, thread, begin_ns
  FROM waits WHERE waiter IS NOT NULL;
CREATE VIEW events(ts_ns, process, thread, kind, task, ctx, value) AS
SELECT created_ns, process, created_thread, 'task_new', id, NULL, kind
  FROM tasks WHERE created_ns IS NOT NULL
UNION ALL SELECT scheduled_ns, process, NULL, 'task_schedule', id, ctx, NULL
  FROM tasks WHERE scheduled_ns IS NOT NULL
UNION ALL SELECT started_ns, process, started_thread, 'task_start', id, ctx, starts
  FROM tasks WHERE started_ns IS NOT NULL
UNION ALL SELECT ended_ns, process, NULL, 'task_end', id, NULL, status
  FROM tasks WHERE ended_ns IS NOT NULL
UNION ALL SELECT observed_ns, process, NULL, 'error_observe', id, NULL, NULL
  FROM tasks WHERE observed_ns IS NOT NULL
UNION ALL SELECT unobserved_ns, process, NULL, 'error_unobserved', id, NULL, err
  FROM tasks WHERE unobserved_ns IS NOT NULL
UNION ALL SELECT l.ts_ns, th.process, l.thread,
  CASE l.kind WHEN 0 THEN 'continuation_add' ELSE 'marshal' END, l.dst, l.ctx, l.src
  FROM links l LEFT JOIN threads th ON th.id = l.thread
UNION ALL SELECT w.begin_ns, th.process, w.thread, 'wait_begin', w.waiter,
  NULL, w.awaited FROM waits w LEFT JOIN threads th ON th.id = w.thread
  WHERE w.begin_ns IS NOT NULL
UNION ALL SELECT w.end_ns, th.process, w.thread, 'wait_end', w.waiter,
  NULL, w.awaited FROM waits w LEFT JOIN threads th ON th.id = w.thread
  WHERE w.end_ns IS NOT NULL
UNION ALL SELECT b.begin_ns, th.process, b.thread, 'block_begin', NULL, NULL,
  b.reason FROM blocks b JOIN threads th ON th.id = b.thread
  WHERE b.begin_ns IS NOT NULL
UNION ALL SELECT b.end_ns, th.process, b.thread, 'block_end', NULL, NULL, NULL
  FROM blocks b JOIN threads th ON th.id = b.thread WHERE b.end_ns IS NOT NULL
UNION ALL SELECT ws.ts_ns, th.process, ws.thread, 'worker_state', NULL, ws.ctx,
  ws.state FROM worker_states ws JOIN threads th ON th.id = ws.thread
UNION ALL SELECT ps.ts_ns, c.process, NULL, 'pool_sample', NULL, ps.ctx, ps.queued
  FROM pool_samples ps JOIN contexts c ON c.id = ps.ctx
UNION ALL SELECT created_ns, process, NULL, 'context_new', NULL, id, kind
  FROM contexts WHERE created_ns IS NOT NULL
UNION ALL SELECT created_ns, process, NULL, 'token_new', NULL, NULL, id
  FROM tokens WHERE created_ns IS NOT NULL
UNION ALL SELECT cr.ts_ns, tk.process, cr.thread, 'cancel_request', NULL, NULL,
  cr.token FROM cancellations cr JOIN tokens tk ON tk.id = cr.token
UNION ALL SELECT co.ts_ns, tk.process, co.thread, 'cancel_observe', co.task, NULL,
  co.token FROM cancel_observations co JOIN tokens tk ON tk.id = co.token
UNION ALL SELECT a.ts_ns, t.process, a.thread, 'annotate', a.task, NULL, a.key
  FROM annotations a LEFT JOIN tasks t ON t.id = a.task;
COMMIT;
