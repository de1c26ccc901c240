/*
 * detect.c — runs the detectors (detect.h) over a store and writes their
 * findings.  The table of detectors is built from DETECTOR_MAP.
 *
 * One run is one write transaction per session: the detectors see a
 * consistent store and a reader never sees half a run.  A finding is keyed
 * (detector, process, key): INSERT ... ON CONFLICT DO UPDATE brings an
 * existing one up to date (its value and end can grow while a condition
 * lasts) and never creates a second one.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain.h"
#include "detect.h"
#include "sanitize.h"
#include "store-int.h"

#define X(id) extern const struct detector detect_##id;
DETECTOR_MAP(X)
#undef X

const struct detector *const detectors[DETECTOR_COUNT] = {
#define X(id) [DETECT_##id] = &detect_##id,
	DETECTOR_MAP(X)
#undef X
};

const struct detector *detector_find(const char *name, enum detector_id *id)
{
	int i;

	for (i = 0; i < DETECTOR_COUNT; i++) {
		if (detectors[i] && strcmp(detectors[i]->name, name) == 0) {
			if (id)
				*id = (enum detector_id)i;
			return detectors[i];
		}
	}
	return NULL;
}

struct detect_ctx {
	struct store *st;
	const struct detect_config *cfg;
	const struct detector *d;
	enum detector_id id;
	int64_t session, now;
	bool final;
	struct detect_stats *stats;
	sqlite3_stmt *ins, *task_del, *task_ins, *find, *site;
	sqlite3_stmt *chain_del, *chain_ins, *blame_del, *blame_ins; /* v2:chain */
	char *err;
	size_t errlen;
	int failed;
};

struct sqlite3 *detect_db(struct detect_ctx *c)
{
	return store_db(c->st);
}

int64_t detect_session(const struct detect_ctx *c)
{
	return c->session;
}

int64_t detect_now(const struct detect_ctx *c)
{
	return c->now;
}

bool detect_final(const struct detect_ctx *c)
{
	return c->final;
}

double detect_th(const struct detect_ctx *c, int i)
{
	return c->cfg->value[c->id][i];
}

int detect_fail(struct detect_ctx *c, int rc, const char *fmt, ...)
{
	char buf[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!c->failed && c->errlen)
		snprintf(c->err, c->errlen, "Cannot run detector %s: %s", c->d->name, buf);
	c->failed = 1;
	return rc < 0 ? rc : -EIO;
}

static int sql_fail(struct detect_ctx *c, const char *what)
{
	return detect_fail(c, -EIO, "%s: %s", what, sqlite3_errmsg(store_db(c->st)));
}

static int prepare(struct detect_ctx *c, sqlite3_stmt **s, const char *sql)
{
	if (sqlite3_prepare_v2(store_db(c->st), sql, -1, s, NULL) != SQLITE_OK)
		return sql_fail(c, "prepare");
	return 0;
}

static void bind_opt(sqlite3_stmt *s, int i, int64_t v)
{
	if (v == TS_NONE)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, v);
}

static void bind_row(sqlite3_stmt *s, int i, int64_t row)
{
	if (row == 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, row);
}

/* 1 and *id if (detector, process, key) exists, 0 if not, < 0 on error. */
static int find_id(struct detect_ctx *c, const char *detector, int64_t process, const char *key,
		   int64_t *id)
{
	int rc;

	sqlite3_reset(c->find);
	sqlite3_bind_text(c->find, 1, detector, -1, SQLITE_STATIC);
	sqlite3_bind_int64(c->find, 2, process);
	sqlite3_bind_text(c->find, 3, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(c->find);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(c->find, 0);
		return 1;
	}
	return rc == SQLITE_DONE ? 0 : sql_fail(c, "look up a finding");
}

int detect_has(struct detect_ctx *c, const char *detector, int64_t process, const char *key)
{
	int64_t id;

	return find_id(c, detector, process, key, &id);
}

/* The suppression that covers task's site for the running detector, or NULL. */
static const char *suppressed_by(struct detect_ctx *c, int64_t task)
{
	const unsigned char *site;
	const char *why = NULL;
	size_t i;

	if (!c->cfg->nsupp || !task)
		return NULL;
	sqlite3_reset(c->site);
	sqlite3_bind_int64(c->site, 1, task);
	if (sqlite3_step(c->site) != SQLITE_ROW)
		return NULL;
	site = sqlite3_column_text(c->site, 0);
	for (i = 0; site && i < c->cfg->nsupp && !why; i++) {
		const struct detect_suppression *s = &c->cfg->supp[i];

		if ((!s->detector || strcmp(s->detector, c->d->name) == 0) &&
		    strcmp(s->site, (const char *)site) == 0)
			why = s->reason;
	}
	return why;
}

static void bind_len(sqlite3_stmt *s, int i, int64_t ns)
{
	if (ns < 0 || ns == CHAIN_NONE)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, ns);
}

/* A finding keeps the chain and the blame of the task it is about, as they
 * are when it is written (rewritten each time it is brought up to date). */
static int keep_chain(struct detect_ctx *c, int64_t finding, int64_t task)
{
	struct chain ch;
	struct blame bl;
	size_t i;
	int rc;

	sqlite3_reset(c->chain_del);
	sqlite3_bind_int64(c->chain_del, 1, finding);
	sqlite3_reset(c->blame_del);
	sqlite3_bind_int64(c->blame_del, 1, finding);
	if (sqlite3_step(c->chain_del) != SQLITE_DONE || sqlite3_step(c->blame_del) != SQLITE_DONE)
		return sql_fail(c, "rewrite a finding's chain");
	rc = chain_get(c->st, task, &ch);
	if (rc < 0)
		return detect_fail(c, rc, "chain of task row %lld: %s", (long long)task,
				   store_errmsg(c->st));
	for (i = 0; i < ch.nhops; i++) {
		const struct chain_task *t = &ch.hops[i].t;
		sqlite3_stmt *s = c->chain_ins;

		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, finding);
		sqlite3_bind_int64(s, 2, (int64_t)i);
		sqlite3_bind_int64(s, 3, t->row);
		sqlite3_bind_text(s, 4, chain_relation_name(ch.hops[i].relation), -1, SQLITE_STATIC);
		bind_row(s, 5, t->thread);
		bind_row(s, 6, t->ctx);
		bind_len(s, 7, t->queue_ns);
		bind_len(s, 8, t->run_ns);
		bind_len(s, 9, t->blocked_ns);
		bind_len(s, 10, t->wait_block_ns + t->wait_async_ns);
		bind_row(s, 11, t->marshal_from);
		if (sqlite3_step(s) != SQLITE_DONE) {
			chain_free(&ch);
			return sql_fail(c, "write a finding's chain");
		}
	}
	chain_free(&ch);
	rc = blame_get(c->st, task, &bl);
	if (rc < 0)
		return detect_fail(c, rc, "blame of task row %lld: %s", (long long)task,
				   store_errmsg(c->st));
	for (i = 0; i < bl.nparts; i++) {
		const struct blame_part *p = &bl.parts[i];
		sqlite3_stmt *s = c->blame_ins;

		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, finding);
		sqlite3_bind_int64(s, 2, (int64_t)i);
		sqlite3_bind_text(s, 3, blame_category_name(p->cat), -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, p->ns);
		bind_row(s, 5, p->ctx);
		bind_row(s, 6, p->from_ctx);
		bind_row(s, 7, p->thread);
		bind_row(s, 8, p->task);
		bind_row(s, 9, p->reason);
		if (sqlite3_step(s) != SQLITE_DONE) {
			blame_free(&bl);
			return sql_fail(c, "write a finding's blame");
		}
	}
	blame_free(&bl);
	return 0;
}

int detect_emit(struct detect_ctx *c, const struct finding *f)
{
	struct timespec now;
	int64_t id, attached = 0;
	const char *supp;
	size_t i;
	int rc;

	if (f->attach_detector && f->attach_key) {
		rc = find_id(c, f->attach_detector, f->process, f->attach_key, &attached);
		if (rc < 0)
			return rc;
	}
	supp = suppressed_by(c, f->ntasks ? f->tasks[0].task : 0);
	clock_gettime(CLOCK_REALTIME, &now);
	sqlite3_reset(c->ins);
	sqlite3_bind_text(c->ins, 1, c->d->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(c->ins, 2, (int)c->d->severity);
	sqlite3_bind_int64(c->ins, 3, f->process);
	bind_row(c->ins, 4, f->ntasks ? f->tasks[0].task : 0);
	bind_opt(c->ins, 5, f->begin_ns);
	bind_opt(c->ins, 6, f->end_ns);
	sqlite3_bind_double(c->ins, 7, f->value);
	sqlite3_bind_text(c->ins, 8, f->message, -1, SQLITE_STATIC);
	sqlite3_bind_int64(c->ins, 9, c->session);
	sqlite3_bind_text(c->ins, 10, f->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->ins, 11, f->unit ? f->unit : "", -1, SQLITE_STATIC);
	bind_row(c->ins, 12, f->thread);
	bind_row(c->ins, 13, f->ctx);
	bind_row(c->ins, 14, attached);
	if (supp)
		sqlite3_bind_text(c->ins, 15, supp, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(c->ins, 15);
	sqlite3_bind_int64(c->ins, 16, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
	rc = sqlite3_step(c->ins);
	if (rc != SQLITE_ROW)
		return sql_fail(c, "write a finding");
	id = sqlite3_column_int64(c->ins, 0);
	sqlite3_reset(c->ins);

	sqlite3_reset(c->task_del);
	sqlite3_bind_int64(c->task_del, 1, id);
	if (sqlite3_step(c->task_del) != SQLITE_DONE)
		return sql_fail(c, "rewrite a finding's tasks");
	for (i = 0; i < f->ntasks && i < FINDING_MAX_TASKS; i++) {
		sqlite3_reset(c->task_ins);
		sqlite3_bind_int64(c->task_ins, 1, id);
		sqlite3_bind_int64(c->task_ins, 2, (int64_t)i);
		sqlite3_bind_int64(c->task_ins, 3, f->tasks[i].task);
		sqlite3_bind_text(c->task_ins, 4, f->tasks[i].role ? f->tasks[i].role : "", -1,
				  SQLITE_STATIC);
		if (sqlite3_step(c->task_ins) != SQLITE_DONE)
			return sql_fail(c, "write a finding's tasks");
	}
	if (f->ntasks && (rc = keep_chain(c, id, f->tasks[0].task)) < 0)
		return rc;
	c->stats->findings++;
	c->stats->suppressed += supp != NULL;
	return 0;
}

const char *detect_task_label(struct detect_ctx *c, int64_t task, char *buf, size_t len)
{
	sqlite3_stmt *s = NULL;
	char name[96];

	snprintf(buf, len, "task ?");
	if (sqlite3_prepare_v2(store_db(c->st),
			       "SELECT t.task, n.s FROM tasks t LEFT JOIN strings n ON n.id = t.name "
			       "WHERE t.id = ?1", -1, &s, NULL) != SQLITE_OK)
		return buf;
	sqlite3_bind_int64(s, 1, task);
	if (sqlite3_step(s) == SQLITE_ROW) {
		const unsigned char *n = sqlite3_column_text(s, 1);

		sanitize(n ? (const char *)n : "?", n ? (size_t)sqlite3_column_bytes(s, 1) : 1,
			 name, 61, 0);
		snprintf(buf, len, "task %lld '%s'", (long long)sqlite3_column_int64(s, 0), name);
	}
	sqlite3_finalize(s);
	return buf;
}

/* The session's horizon: its end if recorded, else the instant up to which
 * its committed chunks are complete: the end of their last packets (a
 * rotation closes every stream's packet, also of a program that is idle,
 * so the horizon moves on while nothing happens), or their last event. */
static int session_now(struct store *st, int64_t session, int64_t *now, bool *ended)
{
	sqlite3_stmt *s = NULL;
	int rc = -EIO;

	if (sqlite3_prepare_v2(store_db(st),
			       "SELECT s.end_ns, "
			       "  max(coalesce((SELECT max(last_ns) FROM chunks WHERE session = s.id), 0), "
			       "      coalesce((SELECT max(end_ns) FROM chunk_streams "
			       "                WHERE session = s.id), 0)) "
			       "FROM sessions s WHERE s.id = ?1", -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, session);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*ended = sqlite3_column_type(s, 0) != SQLITE_NULL;
		*now = *ended ? sqlite3_column_int64(s, 0) : sqlite3_column_int64(s, 1);
		if (*ended && sqlite3_column_type(s, 1) != SQLITE_NULL &&
		    sqlite3_column_int64(s, 1) > *now)
			*now = sqlite3_column_int64(s, 1);
		rc = 0;
	}
	sqlite3_finalize(s);
	return rc;
}

static int run_session(struct store *st, const struct detect_opts *o,
		       const struct detect_config *cfg, int64_t session, struct detect_stats *stats,
		       char *err, size_t errlen)
{
	struct detect_ctx c = { .st = st, .cfg = cfg, .session = session, .stats = stats,
				.err = err, .errlen = errlen };
	bool ended = false;
	int rc, i;

	rc = session_now(st, session, &c.now, &ended);
	if (rc < 0) {
		snprintf(err, errlen, "Cannot run the detectors: cannot read session %lld: %s",
			 (long long)session, sqlite3_errmsg(store_db(st)));
		return rc;
	}
	c.final = o->final || ended;
	c.d = detectors[0];
	rc = prepare(&c, &c.ins,
		     "INSERT INTO findings(detector, severity, process, task, begin_ns, end_ns, "
		     "value, message, session, key, unit, thread, ctx, attached_to, suppressed, "
		     "detected_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
		     "?14, ?15, ?16) ON CONFLICT(detector, process, key) DO UPDATE SET "
		     "task = excluded.task, begin_ns = excluded.begin_ns, end_ns = excluded.end_ns, "
		     "value = excluded.value, message = excluded.message, unit = excluded.unit, "
		     "thread = excluded.thread, ctx = excluded.ctx, "
		     "attached_to = excluded.attached_to, suppressed = excluded.suppressed "
		     "RETURNING id");
	if (rc == 0)
		rc = prepare(&c, &c.task_del, "DELETE FROM finding_tasks WHERE finding = ?1");
	if (rc == 0)
		rc = prepare(&c, &c.task_ins,
			     "INSERT INTO finding_tasks(finding, ord, task, role) "
			     "VALUES (?1, ?2, ?3, ?4)");
	if (rc == 0)
		rc = prepare(&c, &c.find,
			     "SELECT id FROM findings WHERE detector = ?1 AND process = ?2 AND key = ?3");
	if (rc == 0)
		rc = prepare(&c, &c.site,
			     "SELECT si.s FROM tasks t JOIN strings si ON si.id = t.site "
			     "WHERE t.id = ?1");
	if (rc == 0)
		rc = prepare(&c, &c.chain_del, "DELETE FROM finding_chain WHERE finding = ?1");
	if (rc == 0)
		rc = prepare(&c, &c.chain_ins,
			     "INSERT INTO finding_chain(finding, depth, task, relation, thread, ctx, "
			     "queue_ns, run_ns, blocked_ns, wait_ns, marshal_from) "
			     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
	if (rc == 0)
		rc = prepare(&c, &c.blame_del, "DELETE FROM finding_blame WHERE finding = ?1");
	if (rc == 0)
		rc = prepare(&c, &c.blame_ins,
			     "INSERT INTO finding_blame(finding, ord, category, ns, ctx, from_ctx, "
			     "thread, task, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	for (i = 0; rc == 0 && i < DETECTOR_COUNT; i++) {
		if (!detectors[i] || !cfg->enabled[i])
			continue;
		c.d = detectors[i];
		c.id = (enum detector_id)i;
		rc = detectors[i]->check(&c);
		if (rc < 0 && !c.failed)
			detect_fail(&c, rc, "failed: %s", strerror(-rc));
	}
	sqlite3_finalize(c.ins);
	sqlite3_finalize(c.task_del);
	sqlite3_finalize(c.task_ins);
	sqlite3_finalize(c.find);
	sqlite3_finalize(c.site);
	sqlite3_finalize(c.chain_del);
	sqlite3_finalize(c.chain_ins);
	sqlite3_finalize(c.blame_del);
	sqlite3_finalize(c.blame_ins);
	return rc;
}

int detect_run(struct store *st, const struct detect_opts *o, struct detect_stats *stats,
	       char *err, size_t errlen)
{
	struct detect_config defaults;
	const struct detect_config *cfg = o->cfg;
	struct detect_stats local = { 0 };
	struct timespec t0, t1;
	sqlite3_stmt *s = NULL;
	int rc;

	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	if (errlen)
		err[0] = '\0';
	if (!cfg) {
		detect_config_init(&defaults);
		cfg = &defaults;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (sqlite3_exec(store_db(st), "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "Cannot run the detectors: cannot begin a transaction: %s",
			 sqlite3_errmsg(store_db(st)));
		rc = -EIO;
		goto out;
	}
	rc = sqlite3_prepare_v2(store_db(st),
				"SELECT id FROM sessions WHERE ?1 = 0 OR id = ?1 ORDER BY id", -1, &s,
				NULL) == SQLITE_OK ? 0 : -EIO;
	if (rc == 0) {
		sqlite3_bind_int64(s, 1, o->session);
		while (rc == 0 && sqlite3_step(s) == SQLITE_ROW)
			rc = run_session(st, o, cfg, sqlite3_column_int64(s, 0), stats, err, errlen);
		sqlite3_finalize(s);
	} else {
		snprintf(err, errlen, "Cannot run the detectors: %s", sqlite3_errmsg(store_db(st)));
	}
	if (rc == 0 && sqlite3_exec(store_db(st), "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "Cannot run the detectors: cannot commit: %s",
			 sqlite3_errmsg(store_db(st)));
		rc = -EIO;
	}
	if (rc < 0)
		sqlite3_exec(store_db(st), "ROLLBACK", NULL, NULL, NULL);
out:
	clock_gettime(CLOCK_MONOTONIC, &t1);
	stats->elapsed_ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
	if (cfg == &defaults)
		detect_config_free(&defaults);
	return rc;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

bool detect_pacer_due(const struct detect_pacer *p)
{
	return !p->last_end_ns || mono_ns() - p->last_end_ns >= DETECT_LIVE_DUTY * p->last_cost_ns;
}

int detect_run_paced(struct detect_pacer *p, struct store *st, const struct detect_opts *o,
		     char *err, size_t errlen)
{
	struct detect_stats ds;
	int rc;

	if (!o->final && !detect_pacer_due(p))
		return 0;
	rc = detect_run(st, o, &ds, err, errlen);
	p->last_end_ns = mono_ns();
	p->last_cost_ns = ds.elapsed_ns;
	return rc;
}
