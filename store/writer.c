/*
 * writer.c — turns decoded weft events (store/event.h) into rows, one chunk
 * per transaction.  This is the ingest hot path: SQLite is the bottleneck, so
 * the writer does as few statements per event as it can.
 *
 *  - Events that change a task (task_new, _schedule, _start, _end, _inline,
 *    error_observe, error_unobserved) only update an in-memory struct
 *    store_task; the task is written as one row when the batch is flushed
 *    (every STORE_TASK_BATCH tasks and at commit): INSERT for a new task,
 *    UPDATE for a task read back from an earlier chunk.  There is no UPDATE
 *    per event.  Flushed tasks that have not ended stay cached, so a running
 *    task costs one read-back only when it spans a writer restart or a long
 *    eviction.
 *  - Events that are facts of their own (pool_sample, worker_state,
 *    continuation_add, marshal, cancel_*, annotate) are one INSERT each.
 *  - Intervals (wait_begin/_end, block_begin/_end, worker_state start/stop
 *    as thread_bindings) are kept open in memory and INSERTed complete when
 *    they close; an interval still open at commit, or evicted from memory,
 *    is written with end NULL and closed later with one UPDATE by row id
 *    (found again by an indexed query if it was evicted).
 *  - Ids are unique per process, so every id is resolved to a row id through
 *    a cache keyed by (process row, id); the row id is what other rows refer
 *    to.  Referenced but never created objects (a parent created before the
 *    trace began, ...) get a placeholder row, so references always resolve.
 *  - Task row ids are assigned here (max(id) + 1), which lets references to a
 *    task be written before the task's own row.
 *  - A fixed-size Bloom filter of the (process, task) keys this writer
 *    inserted lets task_new skip the read-back query for a task that cannot
 *    exist yet; processes whose row predates the writer are always looked up.
 *
 * Memory is bounded whatever the run length (weftd runs for months): every
 * cache has a capacity (store-int.h, STORE_*_CACHE / _MAX / _BITS) and what
 * it evicts is in the database, so nothing here grows with the number of
 * processes, threads, tasks or never-ending waits seen.
 *
 * On abort every cache is dropped (they may name rolled-back rows) and
 * rebuilt from the database on demand.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store-int.h"

/* Tasks kept in memory before a batch is written: bounds the writer's memory
 * (about 200 bytes per task) whatever the chunk size. */
#define STORE_TASK_BATCH 65536

#define S(st, name) ((st)->stmt[STMT_##name])

/* ---- small helpers ------------------------------------------------------ */

static void bind_opt(sqlite3_stmt *s, int i, int64_t v)
{
	if (v == TS_NONE)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, v);
}

/* Row ids: 0 = NULL. */
static void bind_row(sqlite3_stmt *s, int i, int64_t row)
{
	if (row == 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, row);
}

static int64_t col_opt(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? TS_NONE : sqlite3_column_int64(s, i);
}

static int64_t col_row(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, i);
}

/* Steps a lookup: 1 with *row set on a hit, 0 on a miss, < 0 on error. */
static int step_find(struct store *st, sqlite3_stmt *s, int64_t *row, const char *what)
{
	int rc = sqlite3_step(s);
	int ret;

	if (rc == SQLITE_ROW) {
		*row = sqlite3_column_int64(s, 0);
		ret = 1;
	} else if (rc == SQLITE_DONE) {
		ret = 0;
	} else {
		ret = store_fail_sql(st, rc, what);
	}
	sqlite3_reset(s);
	return ret;
}

static int insert_get_row(struct store *st, sqlite3_stmt *s, int64_t *row, const char *what)
{
	int rc = store_step_done(st, s, what);

	if (rc == 0)
		*row = sqlite3_last_insert_rowid(st->db);
	return rc;
}

/* Grows an array of `size`-byte elements to hold at least n + 1. */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Timestamps in rows are relative to the session start (see docs/schema.md). */
static int64_t rel(const struct store *st, int64_t ts)
{
	return ts - st->w.base;
}

/* ---- Bloom filter of task keys inserted by this writer ------------------ */

static void bloom_add(struct store_bloom *b, uint64_t a, uint64_t k)
{
	uint64_t h = hmap_hash(a, k), h2 = (h >> 32) | 1, mask = STORE_BLOOM_BITS - 1;
	int i;

	for (i = 0; i < 4; i++, h += h2)
		b->bits[(h & mask) >> 6] |= 1ull << (h & 63);
	b->n++;
}

static bool bloom_maybe(const struct store_bloom *b, uint64_t a, uint64_t k)
{
	uint64_t h = hmap_hash(a, k), h2 = (h >> 32) | 1, mask = STORE_BLOOM_BITS - 1;
	int i;

	for (i = 0; i < 4; i++, h += h2) {
		if (!(b->bits[(h & mask) >> 6] & (1ull << (h & 63))))
			return false;
	}
	return true;
}

/* ---- strings ------------------------------------------------------------ */

static uint64_t str_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h ? h : 1;
}

/* The strings.id of s (interned on first use); 0 (NULL) for "". */
static int str_id(struct store *st, const char *s, uint32_t len, int64_t *id)
{
	struct store_strslot *slot;
	uint64_t h;
	int rc;

	*id = 0;
	if (!s || len == 0)
		return 0;
	if (len > WEFT_STR_MAX)
		len = WEFT_STR_MAX; /* the tracer's bound; never trust the caller */
	h = str_hash(s, len);
	slot = &st->w.strs[h & (STORE_STRCACHE_SLOTS - 1)];
	if (slot->hash == h && slot->len == len && memcmp(slot->s, s, len) == 0) {
		*id = slot->id;
		return 0;
	}
	sqlite3_bind_text(S(st, STR_FIND), 1, s, (int)len, SQLITE_STATIC);
	rc = step_find(st, S(st, STR_FIND), id, "intern string");
	if (rc == 0) {
		sqlite3_bind_text(S(st, STR_INSERT), 1, s, (int)len, SQLITE_STATIC);
		rc = insert_get_row(st, S(st, STR_INSERT), id, "intern string");
	}
	if (rc < 0)
		return rc;
	slot->hash = h;
	slot->len = len;
	slot->id = *id;
	memcpy(slot->s, s, len);
	return 0;
}

/* Length of an untrusted string, bounded like the tracer bounds it. */
static uint32_t slen(const char *s, uint32_t len)
{
	if (!s)
		return 0;
	if (len == 0)
		return (uint32_t)strnlen(s, WEFT_STR_MAX);
	return len > WEFT_STR_MAX ? WEFT_STR_MAX : len;
}

/* ---- processes and threads ---------------------------------------------- */

/* A slot of the process cache for (session, vpid), holding `p`. */
static int proc_put(struct store *st, int32_t vpid, const struct store_process *p,
		    size_t *idx)
{
	struct store_writer *w = &st->w;
	long found = cache_find(&w->proc_cache, (uint64_t)w->session, (uint32_t)vpid);
	bool occupied;
	size_t i;

	if (found >= 0) {
		i = (size_t)found; /* a new row for the vpid (pid reuse, exec) */
	} else {
		/* A process's state is all in its row: nothing to write back. */
		i = cache_victim(&w->proc_cache, &occupied);
		if (cache_bind(&w->proc_cache, i, (uint64_t)w->session, (uint32_t)vpid) < 0)
			return store_fail(st, -ENOMEM, "cache process: out of memory");
		if (w->last_proc == i + 1)
			w->last_proc = 0;
	}
	w->procs[i] = *p;
	*idx = i;
	return 0;
}

static int proc_new(struct store *st, int32_t vpid, const char *name, int64_t ts,
		    bool marked, size_t *idx)
{
	struct store_writer *w = &st->w;
	sqlite3_stmt *s = S(st, PROC_INSERT);
	struct store_process p = { 0 };
	int rc;

	sqlite3_bind_int64(s, 1, w->session);
	sqlite3_bind_int64(s, 2, vpid);
	sqlite3_bind_text(s, 3, name, (int)strnlen(name, WEFT_STR_MAX), SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, rel(st, ts));
	sqlite3_bind_int(s, 5, marked);
	rc = insert_get_row(st, s, &p.row, "add process");
	if (rc < 0)
		return rc;
	p.marked = marked;
	return proc_put(st, vpid, &p, idx);
}

/* The current process row of vpid in this session: cached, else the latest
 * row in the table, else a new implicit row. */
static int proc_get(struct store *st, int32_t vpid, const char *name, int64_t ts,
		    size_t *idx)
{
	struct store_writer *w = &st->w;
	sqlite3_stmt *s = S(st, PROC_FIND);
	long found;
	int rc;

	if (w->last_proc && w->last_vpid == vpid) {
		*idx = w->last_proc - 1;
		return 0;
	}
	found = cache_find(&w->proc_cache, (uint64_t)w->session, (uint32_t)vpid);
	if (found >= 0) {
		*idx = (size_t)found;
		goto out;
	}
	sqlite3_bind_int64(s, 1, w->session);
	sqlite3_bind_int64(s, 2, vpid);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		/* Read back (evicted, or from an earlier writer).  main_named is
		 * not stored: at worst the main thread names it once more. */
		struct store_process p = { sqlite3_column_int64(s, 0),
					   sqlite3_column_int(s, 1) != 0, false };

		sqlite3_reset(s);
		rc = proc_put(st, vpid, &p, idx);
		if (rc < 0)
			return rc;
		goto out;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail_sql(st, rc, "find process");
	rc = proc_new(st, vpid, name, ts, false, idx);
	if (rc < 0)
		return rc;
out:
	w->last_vpid = vpid;
	w->last_proc = *idx + 1;
	return 0;
}

static int block_insert(struct store *st, int64_t thread, int64_t begin, int64_t end,
			int64_t reason, int64_t *row)
{
	sqlite3_stmt *s = S(st, BLOCK_INSERT);

	sqlite3_bind_int64(s, 1, thread);
	bind_opt(s, 2, begin);
	bind_opt(s, 3, end);
	bind_row(s, 4, reason);
	return insert_get_row(st, s, row, "write block");
}

static int bind_insert(struct store *st, int64_t thread, int64_t ctx, int64_t begin,
		       int64_t end, int64_t *row)
{
	sqlite3_stmt *s = S(st, BIND_INSERT);

	sqlite3_bind_int64(s, 1, thread);
	sqlite3_bind_int64(s, 2, ctx);
	bind_opt(s, 3, begin);
	bind_opt(s, 4, end);
	return insert_get_row(st, s, row, "write thread binding");
}

/* Writes a thread's open intervals that are only in memory, with end NULL
 * (at commit, and before the thread leaves the cache). */
static int thread_write_open(struct store *st, struct store_thread *th)
{
	int rc = 0, i;

	if (th->block_depth > 0 && !th->block_row)
		rc = block_insert(st, th->row, th->block_begin, TS_NONE, th->block_reason,
				  &th->block_row);
	for (i = 0; i < th->nbind && rc == 0; i++) {
		struct store_binding *b = &th->bind[i];

		if (!b->row)
			rc = bind_insert(st, th->row, b->ctx, b->begin, TS_NONE, &b->row);
	}
	return rc;
}

/* A thread read back from the table gets its open intervals back, so that
 * their ends close the right rows. */
static int thread_load_open(struct store *st, struct store_thread *th)
{
	sqlite3_stmt *s = S(st, BLOCK_FIND_OPEN);
	int rc, n = 0, i;

	sqlite3_bind_int64(s, 1, th->row);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		th->block_depth = 1;
		th->block_row = sqlite3_column_int64(s, 0);
		th->block_begin = col_opt(s, 1);
		th->block_reason = col_row(s, 2);
		rc = sqlite3_step(s);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail_sql(st, rc, "find open block");
	s = S(st, BIND_LOAD_OPEN);
	sqlite3_bind_int64(s, 1, th->row);
	sqlite3_bind_int(s, 2, STORE_BIND_DEPTH);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < STORE_BIND_DEPTH) {
		/* Newest first: the innermost binding goes on top. */
		struct store_binding b = { sqlite3_column_int64(s, 1), col_opt(s, 2),
					   sqlite3_column_int64(s, 0) };

		for (i = n++; i > 0; i--)
			th->bind[i] = th->bind[i - 1];
		th->bind[0] = b;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_fail_sql(st, rc, "find open thread bindings");
	th->nbind = n;
	if (n)
		th->ctx = th->bind[n - 1].ctx;
	return 0;
}

static int thread_get(struct store *st, int64_t proc, int32_t tid, const char *name,
		      int64_t ts, struct store_thread **out)
{
	struct store_writer *w = &st->w;
	struct store_thread *t;
	bool occupied, loaded;
	int64_t row = 0;
	long found;
	size_t i;
	int rc;

	if (w->last_thread && w->last_thread_proc == proc && w->last_tid == tid) {
		*out = &w->threads[w->last_thread - 1];
		return 0;
	}
	found = cache_find(&w->thread_cache, (uint64_t)proc, (uint32_t)tid);
	if (found >= 0) {
		i = (size_t)found;
		goto found;
	}
	sqlite3_bind_int64(S(st, THREAD_FIND), 1, proc);
	sqlite3_bind_int64(S(st, THREAD_FIND), 2, tid);
	rc = step_find(st, S(st, THREAD_FIND), &row, "find thread");
	loaded = rc == 1;
	if (rc == 0) {
		sqlite3_stmt *s = S(st, THREAD_INSERT);

		sqlite3_bind_int64(s, 1, proc);
		sqlite3_bind_int64(s, 2, tid);
		sqlite3_bind_text(s, 3, name, (int)strnlen(name, WEFT_STR_MAX), SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, rel(st, ts));
		rc = insert_get_row(st, s, &row, "add thread");
	}
	if (rc < 0)
		return rc;
	i = cache_victim(&w->thread_cache, &occupied);
	if (occupied) {
		/* The victim's open intervals go to the table; it finds them
		 * there again if it comes back. */
		rc = thread_write_open(st, &w->threads[i]);
		if (rc < 0)
			return rc;
	}
	if (cache_bind(&w->thread_cache, i, (uint64_t)proc, (uint32_t)tid) < 0)
		return store_fail(st, -ENOMEM, "add thread: out of memory");
	t = &w->threads[i];
	memset(t, 0, sizeof(*t));
	t->row = row;
	t->process = proc;
	t->tid = tid;
	if (loaded) {
		rc = thread_load_open(st, t);
		if (rc < 0)
			return rc;
	}
found:
	w->last_thread_proc = proc;
	w->last_tid = tid;
	w->last_thread = i + 1;
	*out = &w->threads[i];
	return 0;
}

/* ---- contexts and tokens (few rows: written immediately) ----------------- */

/* The row-id caches of contexts and tokens hold a few words per key and are
 * refilled by one indexed lookup per key: when one is full it is emptied. */
static int ref_cache_put(struct hmap *m, uint64_t a, uint64_t b, int64_t row)
{
	if (m->n >= STORE_REF_CACHE)
		hmap_clear(m);
	return hmap_put(m, a, b, row);
}

static int ref_get(struct store *st, struct hmap *m, sqlite3_stmt *find,
		   sqlite3_stmt *insert, int64_t proc, uint64_t id, int64_t *row,
		   const char *what)
{
	int64_t *v;
	int rc;

	*row = 0;
	if (id == 0)
		return 0;
	v = hmap_get(m, (uint64_t)proc, id);
	if (v) {
		*row = *v;
		return 0;
	}
	sqlite3_bind_int64(find, 1, proc);
	sqlite3_bind_int64(find, 2, (int64_t)id);
	rc = step_find(st, find, row, what);
	if (rc == 0) {
		/* A placeholder: referenced before (or without) its creation. */
		int n = sqlite3_bind_parameter_count(insert), i;

		for (i = 3; i <= n; i++)
			sqlite3_bind_null(insert, i);
		sqlite3_bind_int64(insert, 1, proc);
		sqlite3_bind_int64(insert, 2, (int64_t)id);
		rc = insert_get_row(st, insert, row, what);
	}
	if (rc < 0)
		return rc;
	if (ref_cache_put(m, (uint64_t)proc, id, *row) < 0)
		return store_fail(st, -ENOMEM, "%s: out of memory", what);
	return 0;
}

static int ctx_ref(struct store *st, int64_t proc, uint64_t ctx, int64_t *row)
{
	return ref_get(st, &st->w.ctx_row, S(st, CTX_FIND), S(st, CTX_INSERT), proc, ctx, row,
		       "resolve context");
}

static int token_ref(struct store *st, int64_t proc, uint64_t token, int64_t *row)
{
	return ref_get(st, &st->w.token_row, S(st, TOKEN_FIND), S(st, TOKEN_INSERT), proc,
		       token, row, "resolve token");
}

/* ---- tasks --------------------------------------------------------------- */

static void task_init(struct store_task *t, int64_t row, int64_t proc, uint64_t id)
{
	memset(t, 0, sizeof(*t));
	t->row = row;
	t->process = proc;
	t->task = id;
	t->created = t->scheduled = t->started = t->ended = TS_NONE;
	t->observed = t->unobserved = TS_NONE;
	t->kind = t->status = t->err = t->inline_ = TS_NONE;
}

static void task_load(struct store_task *t, sqlite3_stmt *s)
{
	t->row = sqlite3_column_int64(s, 0);
	t->parent = col_row(s, 1);
	t->token = col_row(s, 2);
	t->kind = col_opt(s, 3);
	t->name = col_row(s, 4);
	t->site = col_row(s, 5);
	t->created = col_opt(s, 6);
	t->scheduled = col_opt(s, 7);
	t->started = col_opt(s, 8);
	t->ended = col_opt(s, 9);
	t->status = col_opt(s, 10);
	t->err = col_opt(s, 11);
	t->msg = col_row(s, 12);
	t->observed = col_opt(s, 13);
	t->unobserved = col_opt(s, 14);
	t->inline_ = col_opt(s, 15);
	t->ctx = col_row(s, 16);
	t->created_thread = col_row(s, 17);
	t->started_thread = col_row(s, 18);
	t->starts = sqlite3_column_int64(s, 19);
	t->in_db = true;
}

static int task_write(struct store *st, struct store_task *t)
{
	sqlite3_stmt *s = t->in_db ? S(st, TASK_UPDATE) : S(st, TASK_INSERT);
	int rc;

	sqlite3_bind_int64(s, 1, t->row);
	sqlite3_bind_int64(s, 2, t->process);
	sqlite3_bind_int64(s, 3, (int64_t)t->task);
	bind_row(s, 4, t->parent);
	bind_row(s, 5, t->token);
	bind_opt(s, 6, t->kind);
	bind_row(s, 7, t->name);
	bind_row(s, 8, t->site);
	bind_opt(s, 9, t->created);
	bind_opt(s, 10, t->scheduled);
	bind_opt(s, 11, t->started);
	bind_opt(s, 12, t->ended);
	bind_opt(s, 13, t->status);
	bind_opt(s, 14, t->err);
	bind_row(s, 15, t->msg);
	bind_opt(s, 16, t->observed);
	bind_opt(s, 17, t->unobserved);
	bind_opt(s, 18, t->inline_);
	bind_row(s, 19, t->ctx);
	bind_row(s, 20, t->created_thread);
	bind_row(s, 21, t->started_thread);
	sqlite3_bind_int64(s, 22, t->starts);
	rc = store_step_done(st, s, "write task");
	if (rc == 0 && !t->in_db) {
		t->in_db = true;
		bloom_add(&st->w.bloom, (uint64_t)t->process, t->task);
	}
	if (rc == 0)
		t->dirty = false;
	return rc;
}

/* Writes every dirty task, then keeps in memory only the tasks that have not
 * ended (they will get more events soon), unless even those are too many. */
static int task_flush(struct store *st)
{
	struct store_writer *w = &st->w;
	size_t i, kept = 0;
	int rc = 0;

	for (i = 0; i < w->ntasks && rc == 0; i++) {
		if (w->tasks[i].dirty)
			rc = task_write(st, &w->tasks[i]);
	}
	if (rc < 0)
		return rc;
	hmap_clear(&w->task_idx);
	for (i = 0; i < w->ntasks; i++) {
		if (w->tasks[i].ended != TS_NONE)
			continue;
		w->tasks[kept] = w->tasks[i];
		if (hmap_put(&w->task_idx, (uint64_t)w->tasks[kept].process, w->tasks[kept].task,
			     (int64_t)kept) < 0)
			return store_fail(st, -ENOMEM, "write tasks: out of memory");
		kept++;
	}
	if (kept > STORE_TASK_BATCH / 2) {
		/* Mostly never-ending tasks: drop them all, they reload on demand. */
		hmap_clear(&w->task_idx);
		kept = 0;
	}
	w->ntasks = kept;
	return 0;
}

/* The task (proc, id): cached, read back, or new.  `creating` (task_new)
 * skips the read-back when the row cannot exist: the process is younger than
 * this writer (so all its task rows went through the Bloom filter) and the
 * filter has never seen the key. */
static int task_get(struct store *st, int64_t proc, uint64_t id, bool creating,
		    struct store_task **out)
{
	struct store_writer *w = &st->w;
	sqlite3_stmt *s = S(st, TASK_FIND);
	struct store_task *t;
	int64_t *v;
	int rc;

	v = hmap_get(&w->task_idx, (uint64_t)proc, id);
	if (v) {
		*out = &w->tasks[*v];
		return 0;
	}
	if (w->ntasks >= STORE_TASK_BATCH) {
		rc = task_flush(st);
		if (rc < 0)
			return rc;
	}
	rc = grow((void **)&w->tasks, &w->tasks_cap, w->ntasks, sizeof(*w->tasks));
	if (rc < 0)
		return store_fail(st, rc, "add task: out of memory");
	t = &w->tasks[w->ntasks];
	task_init(t, 0, proc, id);
	if (!creating || proc <= w->proc_base || bloom_maybe(&w->bloom, (uint64_t)proc, id)) {
		sqlite3_bind_int64(s, 1, proc);
		sqlite3_bind_int64(s, 2, (int64_t)id);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			task_load(t, s);
			st->stats.tasks_loaded++;
		}
		sqlite3_reset(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return store_fail_sql(st, rc, "read task");
	}
	if (!t->in_db) {
		t->row = w->next_task_row++;
		t->dirty = true; /* even a bare placeholder needs its row */
	}
	if (hmap_put(&w->task_idx, (uint64_t)proc, id, (int64_t)w->ntasks) < 0)
		return store_fail(st, -ENOMEM, "add task: out of memory");
	w->ntasks++;
	*out = t;
	return 0;
}

/* Row id of task `id` (0 for id 0), creating a placeholder if unknown. */
static int task_ref(struct store *st, int64_t proc, uint64_t id, int64_t *row)
{
	struct store_task *t;
	int rc;

	*row = 0;
	if (id == 0)
		return 0;
	rc = task_get(st, proc, id, false, &t);
	if (rc == 0)
		*row = t->row;
	return rc;
}

/* ---- intervals: waits and blocks ----------------------------------------- */

/* Waits are keyed by (waiter task row, awaited task row); a wait of a thread
 * outside any task uses its thread row with the top bit set. */
static void wait_key(int64_t waiter, int64_t thread, int64_t awaited, uint64_t *a,
		     uint64_t *b)
{
	*a = waiter ? (uint64_t)waiter : ((uint64_t)thread | (1ull << 63));
	*b = (uint64_t)awaited;
}

static int wait_insert(struct store *st, const struct store_wait *wt, int64_t end,
		       int64_t timed_out, int64_t *row)
{
	sqlite3_stmt *s = S(st, WAIT_INSERT);

	bind_row(s, 1, wt->waiter);
	sqlite3_bind_int64(s, 2, wt->awaited);
	bind_opt(s, 3, wt->mode);
	bind_row(s, 4, wt->thread);
	bind_opt(s, 5, wt->begin);
	bind_opt(s, 6, end);
	bind_opt(s, 7, timed_out);
	return insert_get_row(st, s, row, "write wait");
}

static int wait_by_begin(const void *x, const void *y)
{
	const struct store_wait *a = x, *b = y;

	return (a->begin > b->begin) - (a->begin < b->begin);
}

/* Too many open waits in memory (waits that never end accumulate): the
 * older half is written with end NULL and forgotten; wait_end finds them
 * again with WAIT_FIND_OPEN. */
static int waits_evict(struct store *st)
{
	struct store_writer *w = &st->w;
	size_t i, half = w->nwaits / 2;
	int rc = 0;

	qsort(w->waits, w->nwaits, sizeof(*w->waits), wait_by_begin);
	for (i = 0; i < half && rc == 0; i++) {
		if (!w->waits[i].row)
			rc = wait_insert(st, &w->waits[i], TS_NONE, TS_NONE, &w->waits[i].row);
	}
	if (rc < 0)
		return rc;
	memmove(w->waits, w->waits + half, (w->nwaits - half) * sizeof(*w->waits));
	w->nwaits -= half;
	hmap_clear(&w->wait_idx);
	for (i = 0; i < w->nwaits; i++) {
		if (hmap_put(&w->wait_idx, w->waits[i].ka, w->waits[i].kb, (int64_t)i) < 0)
			return store_fail(st, -ENOMEM, "open wait: out of memory");
	}
	return 0;
}

static void wait_remove(struct store_writer *w, size_t i)
{
	hmap_del(&w->wait_idx, w->waits[i].ka, w->waits[i].kb);
	if (i != w->nwaits - 1) {
		w->waits[i] = w->waits[w->nwaits - 1];
		hmap_put(&w->wait_idx, w->waits[i].ka, w->waits[i].kb, (int64_t)i);
	}
	w->nwaits--;
}

static int on_wait_begin(struct store *st, const struct store_event *ev, int64_t proc,
			 struct store_thread *th)
{
	struct store_writer *w = &st->w;
	struct store_wait wt = { 0 };
	int rc;

	rc = task_ref(st, proc, ev->id0, &wt.waiter);
	if (rc == 0)
		rc = task_ref(st, proc, ev->id1, &wt.awaited);
	if (rc < 0)
		return rc;
	if (wt.awaited == 0)
		return 0; /* waits on nothing: not an edge */
	wt.thread = th->row;
	wt.begin = rel(st, ev->ts_ns);
	wt.mode = ev->n0;
	wait_key(wt.waiter, wt.thread, wt.awaited, &wt.ka, &wt.kb);
	if (hmap_get(&w->wait_idx, wt.ka, wt.kb))
		return 0; /* the same wait again before it ended: keep the first */
	if (w->nwaits >= STORE_WAITS_MAX) {
		rc = waits_evict(st);
		if (rc < 0)
			return rc;
	}
	if (grow((void **)&w->waits, &w->waits_cap, w->nwaits, sizeof(*w->waits)) < 0 ||
	    hmap_put(&w->wait_idx, wt.ka, wt.kb, (int64_t)w->nwaits) < 0)
		return store_fail(st, -ENOMEM, "open wait: out of memory");
	w->waits[w->nwaits++] = wt;
	return 0;
}

static int on_wait_end(struct store *st, const struct store_event *ev, int64_t proc,
		       struct store_thread *th)
{
	struct store_writer *w = &st->w;
	struct store_wait wt = { 0 };
	int64_t end = rel(st, ev->ts_ns), row = 0, *v;
	sqlite3_stmt *s;
	int rc;

	rc = task_ref(st, proc, ev->id0, &wt.waiter);
	if (rc == 0)
		rc = task_ref(st, proc, ev->id1, &wt.awaited);
	if (rc < 0 || wt.awaited == 0)
		return rc;
	wait_key(wt.waiter, th->row, wt.awaited, &wt.ka, &wt.kb);
	v = hmap_get(&w->wait_idx, wt.ka, wt.kb);
	if (v) {
		size_t i = (size_t)*v;

		if (w->waits[i].row) {
			row = w->waits[i].row;
			goto update;
		}
		rc = wait_insert(st, &w->waits[i], end, ev->n0 != 0, &row);
		wait_remove(w, i);
		return rc;
	}
	/* Begun in an earlier chunk whose writer state is gone (abort, restart)
	 * or evicted from memory (waits_evict). */
	s = S(st, WAIT_FIND_OPEN);
	sqlite3_bind_int64(s, 1, wt.awaited);
	bind_row(s, 2, wt.waiter);
	sqlite3_bind_int64(s, 3, th->row);
	rc = step_find(st, s, &row, "find open wait");
	if (rc < 0)
		return rc;
	if (rc == 0) {
		wt.thread = th->row;
		wt.begin = TS_NONE;
		wt.mode = TS_NONE;
		return wait_insert(st, &wt, end, ev->n0 != 0, &row);
	}
update:
	s = S(st, WAIT_END);
	sqlite3_bind_int64(s, 1, row);
	sqlite3_bind_int64(s, 2, end);
	sqlite3_bind_int(s, 3, ev->n0 != 0);
	rc = store_step_done(st, s, "end wait");
	if (v)
		wait_remove(w, (size_t)*v);
	return rc;
}

/* Nested block_begin on one thread counts depth; the interval is the
 * outermost one. */
static int on_block_begin(struct store *st, const struct store_event *ev,
			  struct store_thread *th)
{
	int64_t reason;
	int rc;

	if (th->block_depth++ > 0)
		return 0;
	rc = str_id(st, ev->s0, slen(ev->s0, ev->s0_len), &reason);
	th->block_begin = rel(st, ev->ts_ns);
	th->block_reason = reason;
	th->block_row = 0;
	return rc;
}

static int on_block_end(struct store *st, const struct store_event *ev,
			struct store_thread *th)
{
	int64_t end = rel(st, ev->ts_ns), row = 0;
	sqlite3_stmt *s;

	if (th->block_depth > 1) {
		th->block_depth--;
		return 0;
	}
	if (th->block_depth == 1) {
		th->block_depth = 0;
		if (!th->block_row)
			return block_insert(st, th->row, th->block_begin, end, th->block_reason,
					    &row);
		row = th->block_row;
	} else {
		/* No block is open (a thread read back loads its open block): it
		 * began before the trace did. */
		return block_insert(st, th->row, TS_NONE, end, 0, &row);
	}
	s = S(st, BLOCK_END);
	sqlite3_bind_int64(s, 1, row);
	sqlite3_bind_int64(s, 2, end);
	return store_step_done(st, s, "end block");
}

/* At commit: intervals still open are written with end NULL, once. */
static int intervals_flush(struct store *st)
{
	struct store_writer *w = &st->w;
	size_t i;
	int rc = 0;

	for (i = 0; i < w->nwaits && rc == 0; i++) {
		if (!w->waits[i].row)
			rc = wait_insert(st, &w->waits[i], TS_NONE, TS_NONE, &w->waits[i].row);
	}
	for (i = 0; i < STORE_THREAD_CACHE && rc == 0; i++) {
		if (cache_used(&w->thread_cache, i))
			rc = thread_write_open(st, &w->threads[i]);
	}
	return rc;
}

/* ---- thread bindings: worker_state start .. stop ------------------------- */

/* worker_state(start, ctx): the thread serves ctx from now on, inside any
 * binding already open (a loop run from a callback of another context). */
static int bind_start(struct store *st, struct store_thread *th, int64_t ctx, int64_t ts)
{
	int rc;

	if (th->nbind > 0 && th->bind[th->nbind - 1].ctx == ctx)
		return 0; /* the same start again: keep the first */
	if (th->nbind == STORE_BIND_DEPTH) {
		/* Deeper than we keep: the outermost lives on in the table. */
		struct store_binding *b = &th->bind[0];

		if (!b->row) {
			rc = bind_insert(st, th->row, b->ctx, b->begin, TS_NONE, &b->row);
			if (rc < 0)
				return rc;
		}
		memmove(th->bind, th->bind + 1, (STORE_BIND_DEPTH - 1) * sizeof(*th->bind));
		th->nbind--;
	}
	th->bind[th->nbind++] = (struct store_binding){ ctx, ts, 0 };
	return 0;
}

/* worker_state(stop, ctx): closes the innermost open binding to ctx; one
 * that is not in memory is looked up; one that never began (the trace
 * started while it was open) is written with begin NULL. */
static int bind_stop(struct store *st, struct store_thread *th, int64_t ctx, int64_t ts)
{
	struct store_binding b = { ctx, TS_NONE, 0 };
	sqlite3_stmt *s;
	int i, rc;

	for (i = th->nbind - 1; i >= 0 && th->bind[i].ctx != ctx; i--)
		;
	if (i >= 0) {
		b = th->bind[i];
		memmove(th->bind + i, th->bind + i + 1,
			(size_t)(th->nbind - i - 1) * sizeof(*th->bind));
		th->nbind--;
		if (!b.row)
			return bind_insert(st, th->row, ctx, b.begin, ts, &b.row);
	} else {
		s = S(st, BIND_FIND_OPEN);
		sqlite3_bind_int64(s, 1, th->row);
		sqlite3_bind_int64(s, 2, ctx);
		rc = step_find(st, s, &b.row, "find open thread binding");
		if (rc <= 0)
			return rc < 0 ? rc : bind_insert(st, th->row, ctx, TS_NONE, ts, &b.row);
	}
	s = S(st, BIND_END);
	sqlite3_bind_int64(s, 1, b.row);
	sqlite3_bind_int64(s, 2, ts);
	return store_step_done(st, s, "end thread binding");
}

/* ---- per-kind event handlers --------------------------------------------- */

static int on_context_new(struct store *st, const struct store_event *ev, int64_t proc)
{
	struct store_writer *w = &st->w;
	sqlite3_stmt *s;
	int64_t row = 0, *v;
	int rc;

	if (ev->id0 == 0)
		return 0;
	v = hmap_get(&w->ctx_row, (uint64_t)proc, ev->id0);
	if (v) {
		row = *v;
	} else {
		sqlite3_bind_int64(S(st, CTX_FIND), 1, proc);
		sqlite3_bind_int64(S(st, CTX_FIND), 2, (int64_t)ev->id0);
		rc = step_find(st, S(st, CTX_FIND), &row, "find context");
		if (rc < 0)
			return rc;
	}
	s = row ? S(st, CTX_UPDATE) : S(st, CTX_INSERT);
	if (row)
		sqlite3_bind_int64(s, 1, row);
	/* CTX_INSERT: (process, ctx, kind, name, workers, ncpu, created);
	 * CTX_UPDATE: (row, kind, name, workers, ncpu, created). */
	{
		int o = row ? 0 : 1;

		if (!row) {
			sqlite3_bind_int64(s, 1, proc);
			sqlite3_bind_int64(s, 2, (int64_t)ev->id0);
		}
		sqlite3_bind_int64(s, 2 + o, ev->n0);
		sqlite3_bind_text(s, 3 + o, ev->s0, (int)slen(ev->s0, ev->s0_len), SQLITE_STATIC);
		sqlite3_bind_int64(s, 4 + o, ev->n1);
		sqlite3_bind_int64(s, 5 + o, ev->n2);
		sqlite3_bind_int64(s, 6 + o, rel(st, ev->ts_ns));
	}
	if (row) {
		rc = store_step_done(st, s, "update context");
	} else {
		rc = insert_get_row(st, s, &row, "add context");
		if (rc == 0 && ref_cache_put(&w->ctx_row, (uint64_t)proc, ev->id0, row) < 0)
			rc = store_fail(st, -ENOMEM, "add context: out of memory");
	}
	return rc;
}

/* Every parent of a token, in link order (table token_parents). */
static int token_parent_add(struct store *st, int64_t token, int64_t parent, int64_t ts)
{
	sqlite3_stmt *s = S(st, TOKEN_PARENT_INSERT);

	sqlite3_bind_int64(s, 1, token);
	sqlite3_bind_int64(s, 2, parent);
	sqlite3_bind_int64(s, 3, rel(st, ts));
	return store_step_done(st, s, "add token parent");
}

static int on_token_new(struct store *st, const struct store_event *ev, int64_t proc)
{
	sqlite3_stmt *s = S(st, TOKEN_UPDATE);
	int64_t row, parent;
	int rc;

	rc = token_ref(st, proc, ev->id0, &row);
	if (rc == 0)
		rc = token_ref(st, proc, ev->id1, &parent);
	if (rc < 0 || row == 0)
		return rc;
	/* token_ref made (or found) the row; fill in what token_new knows. */
	sqlite3_bind_int64(s, 1, row);
	bind_row(s, 2, parent);
	sqlite3_bind_int64(s, 3, rel(st, ev->ts_ns));
	sqlite3_bind_text(s, 4, ev->s0, (int)slen(ev->s0, ev->s0_len), SQLITE_STATIC);
	rc = store_step_done(st, s, "add token");
	if (rc == 0 && parent)
		rc = token_parent_add(st, row, parent, ev->ts_ns);
	return rc;
}

/* token_link: one more parent of a linked token (token_new named the first). */
static int on_token_link(struct store *st, const struct store_event *ev, int64_t proc)
{
	int64_t row, parent;
	int rc;

	rc = token_ref(st, proc, ev->id0, &row);
	if (rc == 0)
		rc = token_ref(st, proc, ev->id1, &parent);
	if (rc < 0 || row == 0 || parent == 0)
		return rc;
	return token_parent_add(st, row, parent, ev->ts_ns);
}

static int on_task(struct store *st, const struct store_event *ev, int64_t proc,
		   struct store_thread *th)
{
	int64_t ts = rel(st, ev->ts_ns);
	struct store_task *t;
	int64_t row;
	int rc;

	if (ev->id0 == 0)
		return 0;
	rc = task_get(st, proc, ev->id0, ev->kind == WEFT_EV_task_new, &t);
	if (rc < 0)
		return rc;
	/* Only task_ref() can flush the batch and move `t` (task_new's parent):
	 * there, resolve first, then get `t` again (a map hit, cheap).  String,
	 * context and token lookups never touch the task batch. */
	switch (ev->kind) {
	case WEFT_EV_task_new: {
		int64_t parent, token, name, site;
		uint64_t id = ev->id0;

		rc = task_ref(st, proc, ev->id1, &parent);
		if (rc == 0)
			rc = token_ref(st, proc, ev->id2, &token);
		if (rc == 0)
			rc = str_id(st, ev->s0, slen(ev->s0, ev->s0_len), &name);
		if (rc == 0)
			rc = str_id(st, ev->s1, slen(ev->s1, ev->s1_len), &site);
		if (rc == 0)
			rc = task_get(st, proc, id, true, &t);
		if (rc < 0)
			return rc;
		t->parent = parent;
		t->token = token;
		t->name = name;
		t->site = site;
		t->kind = ev->n0;
		t->created = ts;
		t->created_thread = th->row;
		break;
	}
	case WEFT_EV_task_schedule:
		if (t->scheduled != TS_NONE)
			return 0;
		rc = ctx_ref(st, proc, ev->id1, &row);
		if (rc < 0)
			return rc;
		t->scheduled = ts;
		if (row)
			t->ctx = row;
		break;
	case WEFT_EV_task_start:
		if (t->starts++ == 0) {
			t->started = ts;
			t->started_thread = th->row;
			if (t->ctx == 0) {
				rc = ctx_ref(st, proc, ev->id1, &row);
				if (rc < 0)
					return rc;
				t->ctx = row;
			}
		}
		break;
	case WEFT_EV_task_end: {
		int64_t msg;

		rc = str_id(st, ev->s0, slen(ev->s0, ev->s0_len), &msg);
		if (rc < 0)
			return rc;
		t->ended = ts;
		t->status = ev->n0;
		t->err = ev->n1;
		t->msg = msg;
		break;
	}
	case WEFT_EV_task_inline:
		t->inline_ = 1;
		break;
	case WEFT_EV_error_observe:
		if (t->observed == TS_NONE)
			t->observed = ts;
		break;
	case WEFT_EV_error_unobserved: {
		int64_t msg;

		rc = str_id(st, ev->s0, slen(ev->s0, ev->s0_len), &msg);
		if (rc < 0)
			return rc;
		if (t->unobserved == TS_NONE)
			t->unobserved = ts;
		if (t->err == TS_NONE || t->err == 0)
			t->err = ev->n0;
		if (t->msg == 0)
			t->msg = msg;
		break;
	}
	default:
		break;
	}
	t->dirty = true;
	return 0;
}

static int on_link(struct store *st, const struct store_event *ev, int64_t proc,
		   struct store_thread *th)
{
	sqlite3_stmt *s = S(st, LINK_INSERT);
	int64_t src = 0, dst = 0, ctx = 0, from = 0;
	struct store_task *t;
	int kind, rc;

	if (ev->kind == WEFT_EV_continuation_add) {
		kind = STORE_LINK_CONTINUATION;
		rc = task_ref(st, proc, ev->id0, &src);
		if (rc == 0)
			rc = task_ref(st, proc, ev->id1, &dst);
		if (rc == 0)
			rc = ctx_ref(st, proc, ev->id2, &ctx);
		if (rc == 0 && ev->id1) {
			rc = task_get(st, proc, ev->id1, false, &t);
			if (rc == 0)
				t->antecedent = src; /* memory only: for marshal */
		}
	} else {
		kind = STORE_LINK_MARSHAL;
		rc = ctx_ref(st, proc, ev->id1, &from);
		if (rc == 0)
			rc = ctx_ref(st, proc, ev->id2, &ctx);
		if (rc == 0 && ev->id0) {
			rc = task_get(st, proc, ev->id0, false, &t);
			if (rc == 0) {
				dst = t->row;
				src = t->antecedent;
			}
		}
	}
	if (rc < 0 || dst == 0)
		return rc;
	sqlite3_bind_int(s, 1, kind);
	bind_row(s, 2, src);
	sqlite3_bind_int64(s, 3, dst);
	bind_row(s, 4, ctx);
	bind_row(s, 5, from);
	sqlite3_bind_int64(s, 6, th->row);
	sqlite3_bind_int64(s, 7, rel(st, ev->ts_ns));
	return store_step_done(st, s, "write link");
}

static int on_fact(struct store *st, const struct store_event *ev, int64_t proc,
		   struct store_thread *th)
{
	int64_t ts = rel(st, ev->ts_ns), a = 0, b = 0;
	sqlite3_stmt *s;
	int rc = 0;

	switch (ev->kind) {
	case WEFT_EV_pool_sample:
		rc = ctx_ref(st, proc, ev->id0, &a);
		if (rc < 0 || a == 0)
			return rc;
		s = S(st, SAMPLE_INSERT);
		sqlite3_bind_int64(s, 1, a);
		sqlite3_bind_int64(s, 2, ts);
		sqlite3_bind_int64(s, 3, ev->n0);
		sqlite3_bind_int64(s, 4, ev->n1);
		sqlite3_bind_int64(s, 5, ev->n2);
		return store_step_done(st, s, "write pool sample");
	case WEFT_EV_worker_state:
		rc = ctx_ref(st, proc, ev->id0, &a);
		if (rc < 0)
			return rc;
		if (ev->n0 == WEFT_WORKER_START && a) {
			rc = bind_start(st, th, a, ts);
			if (rc == 0 && th->ctx != a) {
				/* threads.ctx: the context of the latest start. */
				s = S(st, THREAD_SET_CTX);
				sqlite3_bind_int64(s, 1, th->row);
				sqlite3_bind_int64(s, 2, a);
				rc = store_step_done(st, s, "bind thread to context");
				th->ctx = a;
			}
		} else if (ev->n0 == WEFT_WORKER_STOP && a) {
			rc = bind_stop(st, th, a, ts);
		}
		if (rc < 0)
			return rc;
		s = S(st, WSTATE_INSERT);
		sqlite3_bind_int64(s, 1, th->row);
		sqlite3_bind_int64(s, 2, ts);
		sqlite3_bind_int64(s, 3, ev->n0);
		bind_row(s, 4, a);
		return store_step_done(st, s, "write worker state");
	case WEFT_EV_cancel_request:
		rc = token_ref(st, proc, ev->id0, &a);
		if (rc == 0)
			rc = str_id(st, ev->s0, slen(ev->s0, ev->s0_len), &b);
		if (rc < 0 || a == 0)
			return rc;
		s = S(st, CANCEL_INSERT);
		sqlite3_bind_int64(s, 1, a);
		sqlite3_bind_int64(s, 2, ts);
		sqlite3_bind_int64(s, 3, th->row);
		bind_row(s, 4, b);
		return store_step_done(st, s, "write cancellation");
	case WEFT_EV_cancel_observe:
		rc = token_ref(st, proc, ev->id0, &a);
		if (rc == 0)
			rc = task_ref(st, proc, ev->id1, &b);
		if (rc < 0 || a == 0)
			return rc;
		s = S(st, CANCEL_OBS_INSERT);
		sqlite3_bind_int64(s, 1, a);
		bind_row(s, 2, b);
		sqlite3_bind_int64(s, 3, ts);
		sqlite3_bind_int64(s, 4, th->row);
		return store_step_done(st, s, "write cancel observation");
	case WEFT_EV_annotate:
		rc = task_ref(st, proc, ev->id0, &a);
		if (rc == 0)
			rc = str_id(st, ev->s0, slen(ev->s0, ev->s0_len), &b);
		if (rc < 0)
			return rc;
		s = S(st, ANNOT_INSERT);
		bind_row(s, 1, a);
		sqlite3_bind_int64(s, 2, ts);
		sqlite3_bind_int64(s, 3, th->row);
		bind_row(s, 4, b);
		sqlite3_bind_text(s, 5, ev->s1 ? ev->s1 : "", (int)slen(ev->s1, ev->s1_len),
				  SQLITE_STATIC);
		return store_step_done(st, s, "write annotation");
	default:
		return 0;
	}
}

/* ---- public: chunks ------------------------------------------------------ */

/* Forgets everything cached about rows: after a rollback they may be gone. */
static void writer_reset_caches(struct store_writer *w)
{
	w->ntasks = 0;
	hmap_clear(&w->task_idx);
	hmap_clear(&w->ctx_row);
	hmap_clear(&w->token_row);
	cache_clear(&w->thread_cache);
	cache_clear(&w->proc_cache);
	w->nwaits = 0;
	hmap_clear(&w->wait_idx);
	if (w->strs)
		memset(w->strs, 0, STORE_STRCACHE_SLOTS * sizeof(*w->strs));
	w->last_proc = 0;
	w->last_thread = 0;
}

int store_writer_init(struct store *st)
{
	struct store_writer *w = &st->w;

	/* Sized once: the writer allocates nothing that grows with the run
	 * except the task batch and the open waits, both capped. */
	w->proc_base = -1;
	w->strs = calloc(STORE_STRCACHE_SLOTS, sizeof(*w->strs));
	w->threads = calloc(STORE_THREAD_CACHE, sizeof(*w->threads));
	w->procs = calloc(STORE_PROC_CACHE, sizeof(*w->procs));
	if (!w->strs || !w->threads || !w->procs ||
	    cache_init(&w->thread_cache, STORE_THREAD_CACHE) < 0 ||
	    cache_init(&w->proc_cache, STORE_PROC_CACHE) < 0)
		return store_fail(st, -ENOMEM, "open trace store: out of memory");
	return 0;
}

void store_writer_free(struct store *st)
{
	struct store_writer *w = &st->w;

	free(w->tasks);
	hmap_free(&w->task_idx);
	hmap_free(&w->ctx_row);
	hmap_free(&w->token_row);
	free(w->threads);
	cache_free(&w->thread_cache);
	free(w->procs);
	cache_free(&w->proc_cache);
	free(w->waits);
	hmap_free(&w->wait_idx);
	free(w->bloom.bits);
	free(w->strs);
	free(w->chunk);
	memset(w, 0, sizeof(*w));
}

static int check_writer(struct store *st, const char *what)
{
	if (st->flags & STORE_READONLY)
		return store_fail(st, -EACCES, "%s: store opened read-only", what);
	return 0;
}

int store_chunk_has(struct store *st, int64_t session_id, const char *chunk_id)
{
	sqlite3_stmt *s;
	int64_t one;
	int rc;

	rc = check_writer(st, "look up chunk");
	if (rc < 0)
		return rc;
	if (!chunk_id)
		return store_fail(st, -EINVAL, "look up chunk: no chunk id");
	s = S(st, CHUNK_HAS);
	sqlite3_bind_int64(s, 1, session_id);
	sqlite3_bind_text(s, 2, chunk_id, -1, SQLITE_STATIC);
	return step_find(st, s, &one, "look up chunk");
}

int store_chunk_begin(struct store *st, int64_t session_id, const char *chunk_id)
{
	struct store_writer *w = &st->w;
	int64_t base = 0, maxid = 0;
	int rc;

	rc = check_writer(st, "begin chunk");
	if (rc < 0)
		return rc;
	if (w->open)
		return store_fail(st, -EBUSY, "begin chunk %s: chunk %s is open",
				  chunk_id ? chunk_id : "?", w->chunk);
	if (!chunk_id)
		return store_fail(st, -EINVAL, "begin chunk: no chunk id");
	rc = store_step_done(st, S(st, BEGIN), "begin chunk");
	if (rc < 0)
		return rc;
	w->open = true;
	w->failed = false;
	rc = store_chunk_has(st, session_id, chunk_id);
	if (rc == 1)
		rc = store_fail(st, -EEXIST, "begin chunk: already in the store: chunk=%s",
				chunk_id);
	if (rc < 0)
		goto out;
	sqlite3_bind_int64(S(st, SESSION_BASE_GET), 1, session_id);
	rc = step_find(st, S(st, SESSION_BASE_GET), &base, "begin chunk");
	if (rc == 0)
		rc = store_fail(st, -ENOENT, "begin chunk: no such session: session=%lld",
				(long long)session_id);
	if (rc < 0)
		goto out;
	rc = step_find(st, S(st, TASK_MAXID), &maxid, "begin chunk");
	if (rc < 0)
		goto out;
	rc = 0;
	if (w->proc_base < 0) {
		/* Processes up to here may have task rows the Bloom filter has
		 * not seen: their task_new always looks the key up. */
		rc = step_find(st, S(st, PROC_MAXID), &w->proc_base, "begin chunk");
		if (rc < 0)
			goto out;
		rc = 0;
	}
	if (!w->bloom.bits) {
		/* calloc: pages become resident as bits are set. */
		w->bloom.bits = calloc(STORE_BLOOM_BITS / 64, sizeof(uint64_t));
		if (!w->bloom.bits) {
			rc = store_fail(st, -ENOMEM, "begin chunk: out of memory");
			goto out;
		}
	}
	if (w->session != session_id) {
		w->last_proc = 0;
		w->last_thread = 0;
	}
	w->session = session_id;
	w->base = base;
	w->next_task_row = maxid + 1;
	w->chunk_events = 0;
	w->chunk_truncated = 0;
	w->first_ns = TS_NONE;
	w->last_ns = TS_NONE;
	free(w->chunk);
	w->chunk = strdup(chunk_id);
	if (!w->chunk)
		rc = store_fail(st, -ENOMEM, "begin chunk: out of memory");
out:
	if (rc < 0) {
		char msg[sizeof(st->errmsg)];

		memcpy(msg, st->errmsg, sizeof(msg));
		store_chunk_abort(st);
		memcpy(st->errmsg, msg, sizeof(msg));
	}
	return rc;
}

/* The first event of a session without a start time sets it. */
static int set_base(struct store *st, int64_t ts)
{
	sqlite3_stmt *s = S(st, SESSION_BASE_SET);

	st->w.base = ts - ts % 1000000000;
	if (st->w.base == 0)
		st->w.base = 1;
	sqlite3_bind_int64(s, 1, st->w.session);
	sqlite3_bind_int64(s, 2, st->w.base);
	return store_step_done(st, s, "set session start");
}

int store_writer_set_base(struct store *st, int64_t ts)
{
	return set_base(st, ts);
}

int store_add_event(struct store *st, const struct store_event *ev)
{
	struct store_writer *w = &st->w;
	struct store_thread *th = NULL;
	size_t pi = 0;
	int64_t proc, ts;
	int rc;

	if (!w->open || w->failed)
		return store_fail(st, -EINVAL, "add event: %s",
				  w->open ? "an earlier call of this chunk failed" : "no open chunk");
	if (!ev || (unsigned)ev->kind >= WEFT_EVENT_COUNT || ev->ts_ns <= 0) {
		rc = store_fail(st, -EINVAL, "add event: invalid event: chunk=%s", w->chunk);
		goto out;
	}
	if (w->base == 0) {
		rc = set_base(st, ev->ts_ns);
		if (rc < 0)
			goto out;
	}
	rc = proc_get(st, ev->vpid, ev->procname ? ev->procname : "", ev->ts_ns, &pi);
	if (rc < 0)
		goto out;
	proc = w->procs[pi].row;
	if (ev->vtid == ev->vpid && !w->procs[pi].main_named && ev->procname && *ev->procname) {
		/* The main thread's name is the process's name, up to 15 bytes;
		 * the statedump's comes from LTTng-UST's own thread and is cut at
		 * 11.  Events of the main thread settle it, once per process. */
		sqlite3_stmt *s = S(st, PROC_RENAME);

		sqlite3_bind_int64(s, 1, proc);
		sqlite3_bind_text(s, 2, ev->procname, (int)strnlen(ev->procname, WEFT_STR_MAX),
				  SQLITE_STATIC);
		rc = store_step_done(st, s, "name process");
		if (rc < 0)
			goto out;
		w->procs[pi].main_named = true;
	}
	rc = thread_get(st, proc, ev->vtid, ev->procname ? ev->procname : "", ev->ts_ns, &th);
	if (rc < 0)
		goto out;
	switch (ev->kind) {
	case WEFT_EV_context_new:
		rc = on_context_new(st, ev, proc);
		break;
	case WEFT_EV_task_new:
	case WEFT_EV_task_schedule:
	case WEFT_EV_task_start:
	case WEFT_EV_task_end:
	case WEFT_EV_task_inline:
	case WEFT_EV_error_observe:
	case WEFT_EV_error_unobserved:
		rc = on_task(st, ev, proc, th);
		break;
	case WEFT_EV_continuation_add:
	case WEFT_EV_marshal:
		rc = on_link(st, ev, proc, th);
		break;
	case WEFT_EV_wait_begin:
		rc = on_wait_begin(st, ev, proc, th);
		break;
	case WEFT_EV_wait_end:
		rc = on_wait_end(st, ev, proc, th);
		break;
	case WEFT_EV_token_new:
		rc = on_token_new(st, ev, proc);
		break;
	case WEFT_EV_token_link:
		rc = on_token_link(st, ev, proc);
		break;
	case WEFT_EV_block_begin:
		rc = on_block_begin(st, ev, th);
		break;
	case WEFT_EV_block_end:
		rc = on_block_end(st, ev, th);
		break;
	default:
		rc = on_fact(st, ev, proc, th);
		break;
	}
	if (rc < 0)
		goto out;
	ts = rel(st, ev->ts_ns);
	if (w->first_ns == TS_NONE || ts < w->first_ns)
		w->first_ns = ts;
	if (w->last_ns == TS_NONE || ts > w->last_ns)
		w->last_ns = ts;
	if (!ev->folded) {
		w->chunk_events++;
		st->stats.events++;
	}
	/* Cut by the decoder, or here (slen) for a caller that did not. */
	w->chunk_truncated += ev->truncated + (ev->s0_len > WEFT_STR_MAX) +
			      (ev->s1_len > WEFT_STR_MAX);
out:
	if (rc < 0)
		w->failed = true;
	return rc;
}

int store_process_mark(struct store *st, int32_t vpid, const char *procname, int64_t ts_ns)
{
	struct store_writer *w = &st->w;
	const char *name = procname ? procname : "";
	size_t idx;
	int rc;

	if (!w->open || w->failed)
		return store_fail(st, -EINVAL, "mark process: no usable open chunk");
	if (ts_ns <= 0) {
		rc = store_fail(st, -EINVAL, "mark process: invalid time: pid=%d", vpid);
		goto out;
	}
	if (w->base == 0) {
		rc = set_base(st, ts_ns);
		if (rc < 0)
			goto out;
	}
	rc = proc_get(st, vpid, name, ts_ns, &idx);
	if (rc < 0)
		goto out;
	if (!w->procs[idx].marked) {
		/* Implicit row (events came first, e.g. the statedump raced the
		 * app's own threads): this is the same process; adopt it. */
		sqlite3_stmt *s = S(st, PROC_ADOPT);

		sqlite3_bind_int64(s, 1, w->procs[idx].row);
		sqlite3_bind_text(s, 2, name, (int)strnlen(name, WEFT_STR_MAX), SQLITE_STATIC);
		sqlite3_bind_int(s, 3, w->procs[idx].main_named); /* keep the better name */
		rc = store_step_done(st, s, "mark process");
		if (rc == 0)
			w->procs[idx].marked = true;
		goto out;
	}
	rc = proc_new(st, vpid, name, ts_ns, true, &idx);
	if (rc == 0) {
		w->last_vpid = vpid;
		w->last_proc = idx + 1;
	}
out:
	if (rc < 0)
		w->failed = true;
	return rc;
}

int store_add_loss(struct store *st, const struct store_loss *loss)
{
	struct store_writer *w = &st->w;
	sqlite3_stmt *s = S(st, LOSS_INSERT);
	int rc;

	if (!w->open || w->failed)
		return store_fail(st, -EINVAL, "add loss: no usable open chunk");
	if (!loss || (unsigned)loss->kind >= STORE_LOSS_KIND_COUNT) {
		rc = store_fail(st, -EINVAL, "add loss: invalid loss record: chunk=%s", w->chunk);
		goto out;
	}
	if (w->base == 0 && loss->begin_ns > 0) {
		rc = set_base(st, loss->begin_ns);
		if (rc < 0)
			goto out;
	}
	sqlite3_bind_int64(s, 1, w->session);
	sqlite3_bind_text(s, 2, w->chunk, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, loss->kind);
	sqlite3_bind_text(s, 4, loss->stream ? loss->stream : "",
			  (int)slen(loss->stream, 0), SQLITE_STATIC);
	bind_opt(s, 5, loss->begin_ns > 0 && w->base ? rel(st, loss->begin_ns) : TS_NONE);
	bind_opt(s, 6, loss->end_ns > 0 && w->base ? rel(st, loss->end_ns) : TS_NONE);
	bind_opt(s, 7, loss->count ? (int64_t)loss->count : TS_NONE);
	rc = store_step_done(st, s, "add loss");
out:
	if (rc < 0)
		w->failed = true;
	return rc;
}

int store_chunk_commit(struct store *st)
{
	struct store_writer *w = &st->w;
	sqlite3_stmt *s = S(st, CHUNK_INSERT);
	struct timespec now;
	int rc;

	if (!w->open)
		return store_fail(st, -EINVAL, "commit chunk: no open chunk");
	if (w->failed) {
		rc = store_fail(st, -EINVAL, "commit chunk: an earlier call failed: chunk=%s",
				w->chunk);
		goto out;
	}
	rc = task_flush(st);
	if (rc == 0)
		rc = intervals_flush(st);
	if (rc < 0)
		goto out;
	clock_gettime(CLOCK_REALTIME, &now);
	sqlite3_bind_int64(s, 1, w->session);
	sqlite3_bind_text(s, 2, w->chunk, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (int64_t)w->chunk_events);
	bind_opt(s, 4, w->first_ns);
	bind_opt(s, 5, w->last_ns);
	sqlite3_bind_int64(s, 6, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
	sqlite3_bind_int64(s, 7, (int64_t)w->chunk_truncated);
	rc = store_step_done(st, s, "record chunk");
	if (rc == 0)
		rc = store_step_done(st, S(st, COMMIT), "commit chunk");
	if (rc == 0) {
		w->open = false;
		st->stats.chunks++;
		/* Tokens can be one per request: do not let the cache grow forever. */
		if (w->token_row.n > 262144)
			hmap_clear(&w->token_row);
	}
out:
	if (rc < 0) {
		char msg[sizeof(st->errmsg)];

		memcpy(msg, st->errmsg, sizeof(msg));
		store_chunk_abort(st);
		memcpy(st->errmsg, msg, sizeof(msg));
	}
	return rc;
}

void store_chunk_abort(struct store *st)
{
	struct store_writer *w = &st->w;

	if (!w->open)
		return;
	if (sqlite3_get_autocommit(st->db) == 0)
		store_step_done(st, S(st, ROLLBACK), "roll back chunk");
	w->open = false;
	w->failed = false;
	writer_reset_caches(w);
}
