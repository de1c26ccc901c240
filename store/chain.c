/*
 * chain.c — chains, caused trees and blame (chain.h), read from the store
 * with a handful of indexed point queries per task: the task row by its
 * primary key, its upward link through the view task_causes, blocks by
 * (thread, begin_ns), waits by waiter, links by dst / src, children by the
 * index tasks_parent (schema v2:chain).  No query scans a table, so the cost
 * of a chain or a blame grows with its length, not with the store.
 *
 * Blame is a recursive walk over time windows: walk(task, [lo, hi)) cuts the
 * window along the task's own life (before creation, before queueing,
 * queued, running, after its end) and hands sub-windows to the tasks that
 * held it there (its releasing antecedent, the task it waited for, its
 * creator).  Every call covers its window exactly, so the parts sum to the
 * wall time by construction; the recursion is bounded by BLAME_MAX_DEPTH and
 * never re-enters a task already on its stack (a deadlock is a cycle of
 * edges): such a window becomes "waiting" on that task.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "store-int.h"

_Static_assert(WEFT_TASK_WHEN_ANY == 7, "the view task_causes (schema.c) names when_any as 7");

/* ---- names ---------------------------------------------------------------- */

static const char *const relation_names[CHAIN_REL_COUNT] = {
#define X(up, name, doc) name,
	CHAIN_RELATION_MAP(X)
#undef X
};

const char *chain_relation_name(enum chain_relation r)
{
	return (unsigned)r < CHAIN_REL_COUNT ? relation_names[r] : "?";
}

const char *chain_via_name(unsigned via)
{
	static const char *const names[8] = {
		"", "created", "continuation", "created, continuation", "awaited",
		"created, awaited", "continuation, awaited", "created, continuation, awaited",
	};
	return names[via & 7];
}

static const char *const category_names[BLAME_CATEGORY_COUNT] = {
#define X(up, low, doc) #low,
	BLAME_CATEGORY_MAP(X)
#undef X
};

const char *blame_category_name(enum blame_category c)
{
	return (unsigned)c < BLAME_CATEGORY_COUNT ? category_names[c] : "?";
}

/* ---- queries -------------------------------------------------------------- */

#define TASK_COLS \
	"t.id, t.task, t.process, p.pid, n.s, si.s, t.kind, t.status, t.err, m.s, tok.token, " \
	"t.started_thread, th.tid, th.name, t.ctx, c.ctx, c.name, c.kind, t.created_ns, " \
	"t.scheduled_ns, t.started_ns, t.ended_ns, t.parent, t.created_thread, t.inline, " \
	"p.session "
#define TASK_FROM \
	"FROM tasks t JOIN processes p ON p.id = t.process " \
	"LEFT JOIN strings n ON n.id = t.name LEFT JOIN strings si ON si.id = t.site " \
	"LEFT JOIN strings m ON m.id = t.msg LEFT JOIN tokens tok ON tok.id = t.token " \
	"LEFT JOIN threads th ON th.id = t.started_thread LEFT JOIN contexts c ON c.id = t.ctx "

#define CHAIN_QUERY_MAP(X) \
	X(TASK, "SELECT " TASK_COLS TASK_FROM "WHERE t.id = ?1") \
	X(CAUSE, "SELECT cause, relation FROM task_causes WHERE task = ?1") \
	/* The releasing antecedent: ?2 = 1 for when_any (first to end), else \
	 * the last to end (one that never ended holds it longest). */ \
	X(ANTECEDENT, "SELECT l.src FROM links l JOIN tasks a ON a.id = l.src " \
	  "WHERE l.dst = ?1 AND l.kind = 0 ORDER BY " \
	  "CASE WHEN ?2 THEN a.ended_ns IS NULL ELSE a.ended_ns IS NOT NULL END, " \
	  "CASE WHEN ?2 THEN a.ended_ns ELSE -a.ended_ns END, l.id LIMIT 1") \
	X(BLOCKS_IN, "SELECT b.begin_ns, b.end_ns, b.reason, r.s FROM blocks b " \
	  "LEFT JOIN strings r ON r.id = b.reason " \
	  "WHERE b.thread = ?1 AND b.begin_ns >= ?2 AND b.begin_ns < ?3 ORDER BY b.begin_ns") \
	/* Blocks do not nest per thread (the outermost is kept), so only the \
	 * last one that began before a window can reach into it. */ \
	X(BLOCK_BEFORE, "SELECT b.begin_ns, b.end_ns, b.reason, r.s FROM blocks b " \
	  "LEFT JOIN strings r ON r.id = b.reason " \
	  "WHERE b.thread = ?1 AND b.begin_ns < ?2 ORDER BY b.begin_ns DESC LIMIT 1") \
	X(WAITS, "SELECT w.awaited, a.task, an.s, w.mode, w.begin_ns, w.end_ns, w.timed_out " \
	  "FROM waits w JOIN tasks a ON a.id = w.awaited LEFT JOIN strings an ON an.id = a.name " \
	  "WHERE w.waiter = ?1 ORDER BY w.begin_ns, w.id") \
	X(MARSHAL, "SELECT l.from_ctx, fc.name, l.ctx, tc.name, l.ts_ns FROM links l " \
	  "LEFT JOIN contexts fc ON fc.id = l.from_ctx LEFT JOIN contexts tc ON tc.id = l.ctx " \
	  "WHERE l.dst = ?1 AND l.kind = 1 ORDER BY l.ts_ns DESC, l.id DESC LIMIT 1") \
	X(CHILDREN, "SELECT id FROM tasks WHERE parent = ?1 ORDER BY created_ns, id LIMIT ?2") \
	X(CONTINUATIONS, "SELECT dst FROM links WHERE src = ?1 AND kind = 0 " \
	  "ORDER BY ts_ns, id LIMIT ?2") \
	X(AWAITED, "SELECT awaited FROM waits WHERE waiter = ?1 ORDER BY begin_ns, id LIMIT ?2") \
	X(HORIZON, "SELECT s.end_ns, (SELECT max(last_ns) FROM chunks WHERE session = s.id) " \
	  "FROM sessions s WHERE s.id = ?1") \
	X(CTX_NAME, "SELECT name FROM contexts WHERE id = ?1") \
	X(THREAD_NAME, "SELECT tid, name FROM threads WHERE id = ?1") \
	X(TASK_NAME, "SELECT t.task, n.s, t.kind FROM tasks t " \
	  "LEFT JOIN strings n ON n.id = t.name WHERE t.id = ?1") \
	X(STRING, "SELECT s FROM strings WHERE id = ?1")

#define X(name, sql) Q_##name,
enum chain_query { CHAIN_QUERY_MAP(X) Q_COUNT };
#undef X

static const char *const query_sql[Q_COUNT] = {
#define X(name, sql) sql,
	CHAIN_QUERY_MAP(X)
#undef X
};

/* The raw facts of one task row that the walks need. */
struct trow {
	int64_t row, parent, session, ctx, thread, created_thread;
	int64_t c, s, r, e; /* created, scheduled, started, ended; TS_NONE */
	int kind;
	bool inline_;
};

#define TCACHE 256

struct cq {
	struct store *st;
	sqlite3 *db;
	sqlite3_stmt *q[Q_COUNT];
	int64_t hz_session, horizon;
	struct trow cache[TCACHE];
	bool cached[TCACHE];
	/* blame */
	struct blame *b;
	size_t parts_cap, segs_cap;
	int64_t stack[BLAME_MAX_DEPTH + 1];
	int depth;
	int rc;
};

static int cq_open(struct cq *q, struct store *st)
{
	int i, rc;

	memset(q, 0, sizeof(*q));
	q->st = st;
	q->db = store_db(st);
	q->hz_session = -1;
	for (i = 0; i < Q_COUNT; i++) {
		rc = sqlite3_prepare_v2(q->db, query_sql[i], -1, &q->q[i], NULL);
		if (rc != SQLITE_OK)
			return store_fail_sql(st, rc, "prepare a chain query");
	}
	return 0;
}

static void cq_close(struct cq *q)
{
	int i;

	for (i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(q->q[i]);
}

/* The statement i, reset and with its bindings cleared. */
static sqlite3_stmt *qs(struct cq *q, enum chain_query i)
{
	sqlite3_reset(q->q[i]);
	sqlite3_clear_bindings(q->q[i]);
	return q->q[i];
}

static int64_t col_ts(sqlite3_stmt *s, int c)
{
	return sqlite3_column_type(s, c) == SQLITE_NULL ? TS_NONE : sqlite3_column_int64(s, c);
}

static int col_int(sqlite3_stmt *s, int c, int none)
{
	return sqlite3_column_type(s, c) == SQLITE_NULL ? none : sqlite3_column_int(s, c);
}

/* A malloc'd copy of a text column, NULL for NULL; *oom on failure. */
static char *col_dup(sqlite3_stmt *s, int c, bool *oom)
{
	const unsigned char *v = sqlite3_column_text(s, c);
	size_t n;
	char *p;

	if (!v)
		return NULL;
	n = (size_t)sqlite3_column_bytes(s, c);
	p = malloc(n + 1);
	if (!p) {
		*oom = true;
		return NULL;
	}
	memcpy(p, v, n);
	p[n] = '\0';
	return p;
}

static char *str_dup(const char *v, bool *oom)
{
	char *p;

	if (!v)
		return NULL;
	p = strdup(v);
	if (!p)
		*oom = true;
	return p;
}

static int step_fail(struct cq *q, int rc)
{
	return store_fail_sql(q->st, rc, "read a task's chain");
}

/* The store's horizon for `session`: its end, or the last event of its
 * chunks, whichever is later; TS_NONE if neither is known. */
static int64_t horizon(struct cq *q, int64_t session)
{
	sqlite3_stmt *s;
	int64_t h = TS_NONE;

	if (session == q->hz_session)
		return q->horizon;
	s = qs(q, Q_HORIZON);
	sqlite3_bind_int64(s, 1, session);
	if (sqlite3_step(s) == SQLITE_ROW) {
		int64_t end = col_ts(s, 0), last = col_ts(s, 1);

		h = end != TS_NONE && (last == TS_NONE || end > last) ? end : last;
	}
	sqlite3_reset(s);
	q->hz_session = session;
	q->horizon = h;
	return h;
}

/* Loads the facts of `row` (cached); 1, 0 if no such task, < 0 on error. */
static int trow_get(struct cq *q, int64_t row, struct trow *out)
{
	size_t slot = (size_t)row % TCACHE;
	sqlite3_stmt *s;
	int rc;

	if (q->cached[slot] && q->cache[slot].row == row) {
		*out = q->cache[slot];
		return 1;
	}
	s = qs(q, Q_TASK);
	sqlite3_bind_int64(s, 1, row);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return step_fail(q, rc);
	out->row = row;
	out->kind = col_int(s, 6, -1);
	out->thread = sqlite3_column_int64(s, 11);
	out->ctx = sqlite3_column_int64(s, 14);
	out->c = col_ts(s, 18);
	out->s = col_ts(s, 19);
	out->r = col_ts(s, 20);
	out->e = col_ts(s, 21);
	out->parent = sqlite3_column_int64(s, 22);
	out->created_thread = sqlite3_column_int64(s, 23);
	out->inline_ = col_int(s, 24, 0) != 0;
	out->session = sqlite3_column_int64(s, 25);
	sqlite3_reset(s);
	q->cache[slot] = *out;
	q->cached[slot] = true;
	return 1;
}

/* ---- one task as a hop ------------------------------------------------------ */

static void task_free(struct chain_task *t)
{
	size_t i;

	free(t->name);
	free(t->site);
	free(t->msg);
	free(t->thread_name);
	free(t->ctx_name);
	for (i = 0; i < t->nblocked; i++)
		free(t->blocked[i].reason);
	for (i = 0; i < t->nwaits; i++)
		free(t->waits[i].awaited_name);
	free(t->marshal_from_name);
	free(t->marshal_to_name);
	memset(t, 0, sizeof(*t));
}

/* Adds ns to the hop's block reasons (kept longest first, the rest folded
 * into the last slot's total only). */
static void add_reason(struct chain_task *t, const char *reason, int64_t ns, bool *oom)
{
	size_t i;

	for (i = 0; i < t->nblocked; i++) {
		const char *r = t->blocked[i].reason;

		if ((!r && !reason) || (r && reason && strcmp(r, reason) == 0)) {
			t->blocked[i].ns += ns;
			goto sort;
		}
	}
	if (t->nblocked == CHAIN_MAX_REASONS) {
		t->blocked[CHAIN_MAX_REASONS - 1].ns += ns;
		return;
	}
	t->blocked[t->nblocked].reason = str_dup(reason, oom);
	t->blocked[t->nblocked].ns = ns;
	i = t->nblocked++;
sort:
	while (i > 0 && t->blocked[i].ns > t->blocked[i - 1].ns) {
		struct chain_reason tmp = t->blocked[i];

		t->blocked[i] = t->blocked[i - 1];
		t->blocked[i - 1] = tmp;
		i--;
	}
}

/* Blocks on `thread` overlapping [lo, hi): calls fn for each (clipped). */
typedef int (*block_fn)(void *arg, int64_t b, int64_t e, int64_t reason, const char *text);

static int each_block(struct cq *q, int64_t thread, int64_t lo, int64_t hi, int64_t open_end,
		      block_fn fn, void *arg)
{
	sqlite3_stmt *s;
	int rc;

	if (!thread || lo >= hi)
		return 0;
	s = qs(q, Q_BLOCK_BEFORE);
	sqlite3_bind_int64(s, 1, thread);
	sqlite3_bind_int64(s, 2, lo);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int64_t e = col_ts(s, 1) == TS_NONE ? open_end : col_ts(s, 1);

		if (e > lo) {
			rc = fn(arg, lo, e < hi ? e : hi, sqlite3_column_int64(s, 2),
				(const char *)sqlite3_column_text(s, 3));
			if (rc < 0)
				return rc;
		}
	} else if (rc != SQLITE_DONE) {
		return step_fail(q, rc);
	}
	sqlite3_reset(s);
	s = qs(q, Q_BLOCKS_IN);
	sqlite3_bind_int64(s, 1, thread);
	sqlite3_bind_int64(s, 2, lo);
	sqlite3_bind_int64(s, 3, hi);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t b = sqlite3_column_int64(s, 0);
		int64_t e = col_ts(s, 1) == TS_NONE ? open_end : col_ts(s, 1);

		if (e > hi)
			e = hi;
		if (e <= b)
			continue;
		rc = fn(arg, b, e, sqlite3_column_int64(s, 2), (const char *)sqlite3_column_text(s, 3));
		if (rc < 0)
			return rc;
	}
	if (rc != SQLITE_DONE)
		return step_fail(q, rc);
	sqlite3_reset(s);
	return 0;
}

struct hop_blocks {
	struct chain_task *t;
	bool *oom;
};

static int hop_block(void *arg, int64_t b, int64_t e, int64_t reason, const char *text)
{
	struct hop_blocks *hb = arg;

	(void)reason;
	hb->t->blocked_ns += e - b;
	add_reason(hb->t, text, e - b, hb->oom);
	return 0;
}

/* Fills *t for `row`; with `full`, also its blocks, waits and marshal.
 * 1, 0 if no such task, < 0 on error. */
static int task_load(struct cq *q, int64_t row, bool full, struct chain_task *t)
{
	sqlite3_stmt *s = qs(q, Q_TASK);
	int64_t hz, end;
	bool oom = false;
	int rc;

	memset(t, 0, sizeof(*t));
	sqlite3_bind_int64(s, 1, row);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return step_fail(q, rc);
	t->row = row;
	t->id = (uint64_t)sqlite3_column_int64(s, 1);
	t->process = sqlite3_column_int64(s, 2);
	t->pid = sqlite3_column_int(s, 3);
	t->name = col_dup(s, 4, &oom);
	t->site = col_dup(s, 5, &oom);
	t->kind = col_int(s, 6, -1);
	t->status = col_int(s, 7, -1);
	t->err = sqlite3_column_int64(s, 8);
	t->msg = col_dup(s, 9, &oom);
	t->token = (uint64_t)sqlite3_column_int64(s, 10);
	t->thread = sqlite3_column_int64(s, 11);
	t->tid = sqlite3_column_int(s, 12);
	t->thread_name = col_dup(s, 13, &oom);
	t->ctx = sqlite3_column_int64(s, 14);
	t->ctx_id = (uint64_t)sqlite3_column_int64(s, 15);
	t->ctx_name = col_dup(s, 16, &oom);
	t->ctx_kind = col_int(s, 17, -1);
	t->created_ns = col_ts(s, 18);
	t->scheduled_ns = col_ts(s, 19);
	t->started_ns = col_ts(s, 20);
	t->ended_ns = col_ts(s, 21);
	hz = horizon(q, sqlite3_column_int64(s, 25));
	sqlite3_reset(s);
	t->queue_ns = t->started_ns != TS_NONE && t->scheduled_ns != TS_NONE
			      ? t->started_ns - t->scheduled_ns : -1;
	end = t->ended_ns != TS_NONE ? t->ended_ns : hz;
	t->running = t->started_ns != TS_NONE && t->ended_ns == TS_NONE;
	t->run_ns = t->started_ns != TS_NONE && end != TS_NONE && end >= t->started_ns
			    ? end - t->started_ns : -1;
	t->marshal_ns = TS_NONE;
	if (full && t->started_ns != TS_NONE && end != TS_NONE) {
		struct hop_blocks hb = { t, &oom };

		rc = each_block(q, t->thread, t->started_ns, end, end, hop_block, &hb);
		if (rc < 0)
			goto fail;
	}
	if (full) {
		s = qs(q, Q_WAITS);
		sqlite3_bind_int64(s, 1, row);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			int64_t b = col_ts(s, 4), e = col_ts(s, 5);
			int mode = col_int(s, 3, WEFT_WAIT_BLOCK);

			if (e == TS_NONE)
				e = hz;
			if (b != TS_NONE && e != TS_NONE && e > b) {
				if (mode == WEFT_WAIT_ASYNC)
					t->wait_async_ns += e - b;
				else
					t->wait_block_ns += e - b;
			}
			if (t->nwaits < CHAIN_MAX_WAITS) {
				struct chain_wait *w = &t->waits[t->nwaits++];

				w->awaited = sqlite3_column_int64(s, 0);
				w->awaited_id = (uint64_t)sqlite3_column_int64(s, 1);
				w->awaited_name = col_dup(s, 2, &oom);
				w->mode = mode;
				w->begin_ns = col_ts(s, 4);
				w->end_ns = col_ts(s, 5);
				w->timed_out = col_int(s, 6, 0) != 0;
			}
			t->nwaits_total++;
		}
		if (rc != SQLITE_DONE) {
			rc = step_fail(q, rc);
			goto fail;
		}
		sqlite3_reset(s);
		s = qs(q, Q_MARSHAL);
		sqlite3_bind_int64(s, 1, row);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			t->marshal_from = sqlite3_column_int64(s, 0);
			t->marshal_from_name = col_dup(s, 1, &oom);
			t->marshal_to = sqlite3_column_int64(s, 2);
			t->marshal_to_name = col_dup(s, 3, &oom);
			t->marshal_ns = sqlite3_column_int64(s, 4);
		} else if (rc != SQLITE_DONE) {
			rc = step_fail(q, rc);
			goto fail;
		}
		sqlite3_reset(s);
	}
	if (oom) {
		rc = store_fail(q->st, -ENOMEM, "read a task's chain: out of memory");
		goto fail;
	}
	return 1;
fail:
	task_free(t);
	return rc;
}

/* ---- chain ------------------------------------------------------------------ */

static enum chain_relation relation_of(const unsigned char *name)
{
	int i;

	for (i = 0; name && i < CHAIN_REL_COUNT; i++)
		if (strcmp((const char *)name, relation_names[i]) == 0)
			return (enum chain_relation)i;
	return CHAIN_REL_CUT;
}

void chain_free(struct chain *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nhops; i++)
		task_free(&c->hops[i].t);
	free(c->hops);
	memset(c, 0, sizeof(*c));
}

int chain_get(struct store *st, int64_t task, struct chain *out)
{
	struct cq q;
	int64_t row = task;
	enum chain_relation rel = CHAIN_REL_ROOT;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = cq_open(&q, st);
	if (rc < 0)
		goto out;
	out->hops = calloc(CHAIN_MAX_DEPTH, sizeof(*out->hops));
	if (!out->hops) {
		rc = store_fail(st, -ENOMEM, "read a task's chain: out of memory");
		goto out;
	}
	/* Up from the task: hops are collected leaf first, then reversed. */
	for (;;) {
		struct chain_hop *h = &out->hops[out->nhops];
		sqlite3_stmt *s;
		int64_t cause = 0;

		rc = task_load(&q, row, true, &h->t);
		if (rc <= 0) {
			if (rc == 0)
				rc = out->nhops ? store_fail(st, -EIO, "read a task's chain: "
							     "task row %lld is missing",
							     (long long)row)
						: -ENOENT;
			goto out;
		}
		out->nhops++;
		s = qs(&q, Q_CAUSE);
		sqlite3_bind_int64(s, 1, row);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
			cause = sqlite3_column_int64(s, 0);
			rel = relation_of(sqlite3_column_text(s, 1));
		} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			rc = step_fail(&q, rc);
			goto out;
		}
		sqlite3_reset(s);
		h->relation = cause ? rel : CHAIN_REL_ROOT;
		if (!cause)
			break;
		for (i = 0; i < out->nhops && out->hops[i].t.row != cause; i++)
			;
		if (i < out->nhops) {
			out->cycle = true;
			break;
		}
		if (out->nhops == CHAIN_MAX_DEPTH) {
			out->truncated = true;
			break;
		}
		row = cause;
	}
	/* The top hop hangs from nothing: a root, or where the walk was cut. */
	{
		struct chain_hop *top = &out->hops[out->nhops - 1];

		top->relation = top->relation == CHAIN_REL_ROOT ? CHAIN_REL_ROOT : CHAIN_REL_CUT;
	}
	/* Reverse, so that hops[0] is the root; each hop's relation is to the
	 * hop above it, which is where the upward step found it. */
	for (i = 0; i < out->nhops / 2; i++) {
		struct chain_hop tmp = out->hops[i];

		out->hops[i] = out->hops[out->nhops - 1 - i];
		out->hops[out->nhops - 1 - i] = tmp;
	}
	out->horizon_ns = q.horizon;
	rc = 0;
out:
	cq_close(&q);
	if (rc < 0)
		chain_free(out);
	return rc;
}

/* ---- caused tree ------------------------------------------------------------ */

void chain_tree_free(struct chain_tree *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		task_free(&t->nodes[i].t);
	free(t->nodes);
	memset(t, 0, sizeof(*t));
}

struct edge_list {
	int64_t row[CHAIN_CAUSED_MAX];
	unsigned via[CHAIN_CAUSED_MAX];
	size_t n;
};

static int collect(struct cq *q, enum chain_query which, int64_t row, unsigned via,
		   struct edge_list *l)
{
	sqlite3_stmt *s = qs(q, which);
	size_t i;
	int rc;

	sqlite3_bind_int64(s, 1, row);
	sqlite3_bind_int64(s, 2, CHAIN_CAUSED_MAX);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t r = sqlite3_column_int64(s, 0);

		for (i = 0; i < l->n && l->row[i] != r; i++)
			;
		if (i == l->n) {
			if (l->n == CHAIN_CAUSED_MAX)
				break;
			l->row[l->n] = r;
			l->via[l->n++] = 0;
		}
		l->via[i] |= via;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return step_fail(q, rc);
	sqlite3_reset(s);
	return 0;
}

/* Rows already in the tree or claimed by a node above (which lists its own
 * direct edges before descending, so a task hangs from its nearest cause:
 * a child created and awaited by a task shows there, not under a sibling
 * whose continuation it also is). */
struct claims {
	int64_t row[CHAIN_CAUSED_MAX];
	size_t n;
};

static bool claimed(const struct claims *c, int64_t row)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->row[i] == row)
			return true;
	return false;
}

static int caused_walk(struct cq *q, struct chain_tree *t, struct claims *cl, size_t up,
		       int depth)
{
	struct edge_list *l;
	size_t i, j;
	int rc;

	if (depth > CHAIN_CAUSED_DEPTH) {
		t->truncated = true;
		return 0;
	}
	l = malloc(sizeof(*l));
	if (!l)
		return store_fail(q->st, -ENOMEM, "read a task's caused tree: out of memory");
	l->n = 0;
	rc = collect(q, Q_CHILDREN, t->nodes[up].t.row, CHAIN_VIA_CREATED, l);
	if (rc == 0)
		rc = collect(q, Q_CONTINUATIONS, t->nodes[up].t.row, CHAIN_VIA_CONTINUATION, l);
	if (rc == 0)
		rc = collect(q, Q_AWAITED, t->nodes[up].t.row, CHAIN_VIA_AWAITED, l);
	for (i = j = 0; rc == 0 && i < l->n; i++) {
		if (claimed(cl, l->row[i]))
			continue;
		if (cl->n == CHAIN_CAUSED_MAX) {
			t->truncated = true;
			break;
		}
		cl->row[cl->n++] = l->row[i];
		l->row[j] = l->row[i];
		l->via[j++] = l->via[i];
	}
	l->n = j;
	for (i = 0; rc == 0 && i < l->n; i++) {
		struct chain_node *n;
		size_t me;

		if (t->n == CHAIN_CAUSED_MAX) {
			t->truncated = true;
			break;
		}
		me = t->n;
		n = &t->nodes[me];
		rc = task_load(q, l->row[i], false, &n->t);
		if (rc <= 0) {
			rc = rc < 0 ? rc : 0;
			continue;
		}
		rc = 0;
		n->depth = depth;
		n->up = up;
		n->via = l->via[i];
		t->n++;
		rc = caused_walk(q, t, cl, me, depth + 1);
	}
	free(l);
	return rc;
}

int chain_caused(struct store *st, int64_t task, struct chain_tree *out)
{
	struct claims *cl;
	struct cq q;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = cq_open(&q, st);
	if (rc < 0)
		goto out;
	out->nodes = calloc(CHAIN_CAUSED_MAX, sizeof(*out->nodes));
	if (!out->nodes) {
		rc = store_fail(st, -ENOMEM, "read a task's caused tree: out of memory");
		goto out;
	}
	rc = task_load(&q, task, false, &out->nodes[0].t);
	if (rc <= 0) {
		rc = rc < 0 ? rc : -ENOENT;
		goto out;
	}
	out->n = 1;
	cl = malloc(sizeof(*cl));
	if (!cl) {
		rc = store_fail(st, -ENOMEM, "read a task's caused tree: out of memory");
		goto out;
	}
	cl->row[0] = task;
	cl->n = 1;
	rc = caused_walk(&q, out, cl, 0, 1);
	free(cl);
out:
	cq_close(&q);
	if (rc < 0)
		chain_tree_free(out);
	return rc;
}

/* ---- blame ------------------------------------------------------------------ */

struct pkey {
	enum blame_category cat;
	int64_t ctx, from_ctx, thread, task, reason;
};

/* Adds [b, e) of `task`'s state `k` to the blame: to its part (by key) and
 * to the time-ordered segments (merged with the previous one when it
 * continues it). */
static int emit(struct cq *q, int64_t b, int64_t e, struct pkey k, int64_t task)
{
	struct blame *bl = q->b;
	struct blame_part *p = NULL;
	size_t i;

	if (e <= b)
		return 0;
	switch (k.cat) {
	case BLAME_QUEUED:
		k.from_ctx = k.thread = k.task = k.reason = 0;
		break;
	case BLAME_RUNNING:
		k.from_ctx = k.task = k.reason = 0;
		break;
	case BLAME_BLOCKED:
		k.ctx = k.from_ctx = k.task = 0;
		break;
	case BLAME_WAITING:
		k.ctx = k.from_ctx = k.thread = k.reason = 0;
		break;
	case BLAME_MARSHAL:
		k.thread = k.task = k.reason = 0;
		break;
	default:
		k.ctx = k.from_ctx = k.thread = k.task = k.reason = 0;
		break;
	}
	for (i = 0; i < bl->nparts; i++) {
		struct blame_part *x = &bl->parts[i];

		if (x->cat == k.cat && x->ctx == k.ctx && x->from_ctx == k.from_ctx &&
		    x->thread == k.thread && x->reason == k.reason &&
		    (k.cat != BLAME_WAITING || x->task == k.task)) {
			p = x;
			break;
		}
	}
	if (!p) {
		if (bl->nparts == q->parts_cap) {
			size_t cap = q->parts_cap ? q->parts_cap * 2 : 16;
			struct blame_part *n = realloc(bl->parts, cap * sizeof(*n));

			if (!n)
				return store_fail(q->st, -ENOMEM, "compute blame: out of memory");
			bl->parts = n;
			q->parts_cap = cap;
		}
		p = &bl->parts[bl->nparts++];
		memset(p, 0, sizeof(*p));
		p->cat = k.cat;
		p->ctx = k.ctx;
		p->from_ctx = k.from_ctx;
		p->thread = k.thread;
		p->reason = k.reason;
		p->task = k.cat == BLAME_WAITING ? k.task : task;
		p->task_kind = -1;
	}
	p->ns += e - b;
	if (k.cat != BLAME_WAITING && e - b > p->longest_ns) {
		p->longest_ns = e - b;
		p->task = task;
	}
	i = (size_t)(p - bl->parts);
	if (bl->nsegs) {
		struct blame_seg *last = &bl->segs[bl->nsegs - 1];

		if (last->part == i && last->task == task && last->end_ns == b) {
			last->end_ns = e;
			return 0;
		}
	}
	if (bl->nsegs == BLAME_MAX_SEGS) {
		bl->segs_truncated = true;
		return 0;
	}
	if (bl->nsegs == q->segs_cap) {
		size_t cap = q->segs_cap ? q->segs_cap * 2 : 32;
		struct blame_seg *n = realloc(bl->segs, cap * sizeof(*n));

		if (!n)
			return store_fail(q->st, -ENOMEM, "compute blame: out of memory");
		bl->segs = n;
		q->segs_cap = cap;
	}
	bl->segs[bl->nsegs++] = (struct blame_seg){ b, e, i, task };
	return 0;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* emit(), clipped to the window [lo, hi). */
static int emit_in(struct cq *q, int64_t lo, int64_t hi, int64_t b, int64_t e, struct pkey k,
		   int64_t task)
{
	return emit(q, max64(b, lo), min64(e, hi), k, task);
}

static int walk(struct cq *q, int64_t row, int64_t lo, int64_t hi);

/* The window [b, e) ∩ [lo, hi) belongs to task `row` (the antecedent, the
 * awaited task, the creator): its own critical path, or "waiting" on it
 * when the descent is bounded or would close a cycle. */
static int descend(struct cq *q, int64_t row, int64_t lo, int64_t hi, int64_t b, int64_t e)
{
	int i;

	b = max64(b, lo);
	e = min64(e, hi);
	if (e <= b)
		return 0;
	for (i = 0; i < q->depth; i++) {
		if (q->stack[i] == row)
			break;
	}
	if (i < q->depth || q->depth >= BLAME_MAX_DEPTH) {
		q->b->depth_cut = true;
		return emit(q, b, e, (struct pkey){ .cat = BLAME_WAITING, .task = row }, row);
	}
	return walk(q, row, b, e);
}

/* One interval inside a run: a blocking wait or a synchronous block. */
struct stretch {
	int64_t b, e, awaited, reason;
};

struct run_ctx {
	struct stretch *v;
	size_t n, cap;
};

static int add_stretch(struct run_ctx *r, struct stretch s)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		struct stretch *n = realloc(r->v, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		r->v = n;
		r->cap = cap;
	}
	r->v[r->n++] = s;
	return 0;
}

static int run_block(void *arg, int64_t b, int64_t e, int64_t reason, const char *text)
{
	(void)text;
	return add_stretch(arg, (struct stretch){ b, e, 0, reason });
}

static int cmp_stretch(const void *a, const void *b)
{
	const struct stretch *x = a, *y = b;

	return x->b < y->b ? -1 : x->b > y->b ? 1 : 0;
}

/* The run [R, E) of task t within [lo, hi): running, minus its blocks and
 * blocking waits. */
static int walk_run(struct cq *q, const struct trow *t, int64_t R, int64_t E, int64_t lo,
		    int64_t hi)
{
	struct pkey run = { .cat = BLAME_RUNNING, .ctx = t->ctx, .thread = t->thread };
	struct run_ctx rs = { 0 };
	int64_t a = max64(R, lo), z = min64(E, hi), cur;
	sqlite3_stmt *s;
	size_t i;
	int rc;

	if (z <= a)
		return 0;
	rc = each_block(q, t->thread, a, z, z, run_block, &rs);
	if (rc < 0)
		goto out;
	s = qs(q, Q_WAITS);
	sqlite3_bind_int64(s, 1, t->row);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t b = col_ts(s, 4), e = col_ts(s, 5);

		if (col_int(s, 3, WEFT_WAIT_BLOCK) != WEFT_WAIT_BLOCK || b == TS_NONE)
			continue;
		if (e == TS_NONE)
			e = z;
		b = max64(b, a);
		e = min64(e, z);
		if (e > b && add_stretch(&rs, (struct stretch){ b, e,
								 sqlite3_column_int64(s, 0), 0 }) < 0) {
			rc = -ENOMEM;
			break;
		}
	}
	sqlite3_reset(s);
	if (rc == -ENOMEM) {
		rc = store_fail(q->st, -ENOMEM, "compute blame: out of memory");
		goto out;
	}
	if (rc != SQLITE_DONE) {
		rc = step_fail(q, rc);
		goto out;
	}
	rc = 0;
	if (rs.n > 1)
		qsort(rs.v, rs.n, sizeof(*rs.v), cmp_stretch);
	cur = a;
	for (i = 0; rc == 0 && i < rs.n; i++) {
		struct stretch *x = &rs.v[i];
		int64_t b = max64(x->b, cur), e = x->e;

		if (e <= b)
			continue;
		rc = emit(q, cur, b, run, t->row);
		if (rc < 0)
			break;
		if (x->awaited) {
			struct trow w;
			int64_t we;

			rc = trow_get(q, x->awaited, &w);
			if (rc < 0)
				break;
			/* Waiting ends when the awaited task ends; what is left
			 * of the wait is the waiter waking up. */
			we = rc == 1 && w.e != TS_NONE ? min64(max64(w.e, b), e) : e;
			rc = descend(q, x->awaited, b, we, b, we);
			if (rc == 0)
				rc = emit(q, we, e, run, t->row);
		} else {
			rc = emit(q, b, e, (struct pkey){ .cat = BLAME_BLOCKED, .reason = x->reason,
							  .thread = t->thread }, t->row);
		}
		cur = e;
	}
	if (rc == 0)
		rc = emit(q, cur, z, run, t->row);
out:
	free(rs.v);
	return rc;
}

/* Task `row`'s critical path over [lo, hi), which it must cover exactly. */
static int walk(struct cq *q, int64_t row, int64_t lo, int64_t hi)
{
	struct pkey untraced = { .cat = BLAME_UNTRACED };
	struct trow t;
	int64_t C, S, R, E, Q, hz;
	int rc;

	if (hi <= lo)
		return 0;
	rc = trow_get(q, row, &t);
	if (rc <= 0)
		return rc < 0 ? rc : emit(q, lo, hi, untraced, row);
	hz = horizon(q, t.session);
	/* Its life, made monotonic (C <= S <= R <= E); a missing state takes
	 * the next known one's time. */
	E = t.e != TS_NONE ? t.e : hz != TS_NONE ? hz : hi;
	C = t.c != TS_NONE ? t.c : t.s != TS_NONE ? t.s : t.r != TS_NONE ? t.r : E;
	if (E < C)
		E = C;
	S = t.s != TS_NONE ? min64(max64(t.s, C), E) : TS_NONE;
	R = t.r != TS_NONE ? min64(max64(t.r, S != TS_NONE ? S : C), E) : TS_NONE;
	Q = S != TS_NONE ? S : R != TS_NONE ? R : E;

	q->stack[q->depth++] = row;
	/* Before it existed: its creator held the window. */
	if (lo < C) {
		if (t.parent)
			rc = descend(q, t.parent, lo, hi, lo, C);
		else
			rc = emit_in(q, lo, hi, lo, C, untraced, row);
		if (rc < 0)
			goto out;
	}
	/* Created, not yet queued: its releasing antecedent, an external
	 * completion (timer, I/O promise), or its creator. */
	if (C < Q && lo < Q && hi > C) {
		sqlite3_stmt *s = qs(q, Q_ANTECEDENT);
		int64_t ant = 0;

		sqlite3_bind_int64(s, 1, row);
		sqlite3_bind_int(s, 2, t.kind == WEFT_TASK_WHEN_ANY);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			ant = sqlite3_column_int64(s, 0);
		else if (rc != SQLITE_DONE) {
			rc = step_fail(q, rc);
			goto out;
		}
		sqlite3_reset(s);
		rc = 0;
		if (ant) {
			struct trow a;
			int64_t ae;

			rc = trow_get(q, ant, &a);
			if (rc < 0)
				goto out;
			ae = rc == 1 && a.e != TS_NONE ? min64(max64(a.e, C), Q) : Q;
			rc = descend(q, ant, lo, hi, C, ae);
			if (rc == 0 && ae < Q) {
				/* Released: the hop to its queue. */
				sqlite3_stmt *m = qs(q, Q_MARSHAL);
				struct pkey k = { .cat = BLAME_RUNNING, .ctx = a.ctx, .thread = a.thread };

				sqlite3_bind_int64(m, 1, row);
				if (sqlite3_step(m) == SQLITE_ROW)
					k = (struct pkey){ .cat = BLAME_MARSHAL,
							   .from_ctx = sqlite3_column_int64(m, 0),
							   .ctx = sqlite3_column_int64(m, 2) };
				sqlite3_reset(m);
				rc = emit_in(q, lo, hi, ae, Q, k,
					     k.cat == BLAME_MARSHAL ? row : ant);
			}
		} else if (S == TS_NONE && R == TS_NONE) {
			struct pkey k = { .cat = BLAME_WAITING, .task = row };

			if (t.inline_)
				k = (struct pkey){ .cat = BLAME_RUNNING, .thread = t.created_thread };
			rc = emit_in(q, lo, hi, C, Q, k, row);
		} else if (t.parent) {
			rc = descend(q, t.parent, lo, hi, C, Q);
		} else {
			rc = emit_in(q, lo, hi, C, Q, untraced, row);
		}
		if (rc < 0)
			goto out;
	}
	/* Queued. */
	if (S != TS_NONE) {
		rc = emit_in(q, lo, hi, S, R != TS_NONE ? R : E,
			     (struct pkey){ .cat = BLAME_QUEUED, .ctx = t.ctx }, row);
		if (rc < 0)
			goto out;
	}
	/* Running. */
	if (R != TS_NONE) {
		rc = walk_run(q, &t, R, E, lo, hi);
		if (rc < 0)
			goto out;
	}
	/* After its end (only when a caller's window reaches past it). */
	if (hi > E)
		rc = emit_in(q, lo, hi, max64(E, lo), hi, untraced, row);
out:
	q->depth--;
	return rc < 0 ? rc : 0;
}

void blame_free(struct blame *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->nparts; i++) {
		struct blame_part *p = &b->parts[i];

		free(p->ctx_name);
		free(p->from_ctx_name);
		free(p->thread_name);
		free(p->task_name);
		free(p->reason_text);
	}
	free(b->parts);
	free(b->segs);
	memset(b, 0, sizeof(*b));
}

static char *name_of(struct cq *q, enum chain_query which, int64_t row, int col, bool *oom)
{
	sqlite3_stmt *s;
	char *v = NULL;

	if (!row)
		return NULL;
	s = qs(q, which);
	sqlite3_bind_int64(s, 1, row);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = col_dup(s, col, oom);
	sqlite3_reset(s);
	return v;
}

static int cmp_part(const void *a, const void *b)
{
	const struct blame_part *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns > y->ns ? -1 : 1;
	return x->cat < y->cat ? -1 : x->cat > y->cat ? 1 : 0;
}

int blame_get(struct store *st, int64_t task, struct blame *out)
{
	struct trow t;
	struct cq q;
	size_t i, *map = NULL;
	bool oom = false;
	int64_t E;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = cq_open(&q, st);
	if (rc < 0)
		goto out;
	q.b = out;
	rc = trow_get(&q, task, &t);
	if (rc <= 0) {
		rc = rc < 0 ? rc : -ENOENT;
		goto out;
	}
	out->task = task;
	out->ended = t.e != TS_NONE;
	E = t.e != TS_NONE ? t.e : horizon(&q, t.session);
	out->begin_ns = t.c != TS_NONE ? t.c : t.s != TS_NONE ? t.s : t.r != TS_NONE ? t.r : E;
	out->end_ns = E != TS_NONE && E > out->begin_ns ? E : out->begin_ns;
	if (out->begin_ns == TS_NONE) {
		out->begin_ns = out->end_ns = 0; /* a placeholder: nothing known */
	}
	out->wall_ns = out->end_ns - out->begin_ns;
	rc = walk(&q, task, out->begin_ns, out->end_ns);
	if (rc < 0)
		goto out;
	/* Largest part first; segments follow their parts' new places. */
	map = malloc((out->nparts + 1) * sizeof(*map));
	if (!map) {
		rc = store_fail(st, -ENOMEM, "compute blame: out of memory");
		goto out;
	}
	for (i = 0; i < out->nparts; i++)
		out->parts[i].longest_ns = (int64_t)i; /* remember the old index */
	if (out->nparts > 1)
		qsort(out->parts, out->nparts, sizeof(*out->parts), cmp_part);
	for (i = 0; i < out->nparts; i++)
		map[out->parts[i].longest_ns] = i;
	for (i = 0; i < out->nsegs; i++)
		out->segs[i].part = map[out->segs[i].part];
	for (i = 0; i < out->nparts; i++) {
		struct blame_part *p = &out->parts[i];
		sqlite3_stmt *s;

		p->longest_ns = 0;
		p->ctx_name = name_of(&q, Q_CTX_NAME, p->ctx, 0, &oom);
		p->from_ctx_name = name_of(&q, Q_CTX_NAME, p->from_ctx, 0, &oom);
		p->reason_text = name_of(&q, Q_STRING, p->reason, 0, &oom);
		if (p->thread) {
			s = qs(&q, Q_THREAD_NAME);
			sqlite3_bind_int64(s, 1, p->thread);
			if (sqlite3_step(s) == SQLITE_ROW) {
				p->tid = sqlite3_column_int(s, 0);
				p->thread_name = col_dup(s, 1, &oom);
			}
			sqlite3_reset(s);
		}
		if (p->task) {
			s = qs(&q, Q_TASK_NAME);
			sqlite3_bind_int64(s, 1, p->task);
			if (sqlite3_step(s) == SQLITE_ROW) {
				p->task_id = (uint64_t)sqlite3_column_int64(s, 0);
				p->task_name = col_dup(s, 1, &oom);
				p->task_kind = col_int(s, 2, -1);
			}
			sqlite3_reset(s);
		}
	}
	if (oom)
		rc = store_fail(st, -ENOMEM, "compute blame: out of memory");
out:
	free(map);
	cq_close(&q);
	if (rc < 0)
		blame_free(out);
	return rc < 0 ? rc : 0;
}
