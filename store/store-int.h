/*
 * store-int.h — what the store's own files share: the handle, its prepared
 * statements (one X-macro list), the schema migrations and the writer's
 * in-memory state.  Nothing here is visible to the store's users; they see
 * store.h and the SQL schema of docs/schema.md.
 */
#ifndef WEFT_STORE_INT_H
#define WEFT_STORE_INT_H

#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>

#include "cache.h"
#include "hmap.h"
#include "store.h"

/* "None" for timestamps, counts and enum values held in int64 fields;
 * written as SQL NULL.  Row-id fields use 0 for "none". */
#define TS_NONE INT64_MIN

/* Kinds of rows of table `links` (the non-parent, non-wait edges). */
#define STORE_LINK_KIND_MAP(X) \
	X(CONTINUATION, continuation, "dst runs after src completes (continuation_add)") \
	X(MARSHAL, marshal, "dst, a continuation of src, was posted from from_ctx to ctx")
#define STORE__X_LINK(up, low, doc) STORE_LINK_##up,
enum store_link_kind { STORE_LINK_KIND_MAP(STORE__X_LINK) STORE_LINK_KIND_COUNT };

/* Every statement the writer and the open path use, prepared once (writers)
 * and reset after each use.  ?N parameters; see writer.c for the bindings. */
#define STORE_STMT_MAP(X) \
	X(BEGIN, "BEGIN IMMEDIATE") \
	X(COMMIT, "COMMIT") \
	X(ROLLBACK, "ROLLBACK") \
	X(CHUNK_HAS, "SELECT 1 FROM chunks WHERE session = ?1 AND chunk = ?2") \
	X(CHUNK_INSERT, "INSERT INTO chunks(session, chunk, events, first_ns, last_ns, " \
	  "committed_at, truncated_strings) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)") \
	X(SESSION_BASE_GET, "SELECT start_ns FROM sessions WHERE id = ?1") \
	X(SESSION_BASE_SET, "UPDATE sessions SET start_ns = ?2 WHERE id = ?1") \
	X(STR_FIND, "SELECT id FROM strings WHERE s = ?1") \
	X(STR_INSERT, "INSERT INTO strings(s) VALUES (?1)") \
	X(PROC_FIND, "SELECT id, marked FROM processes WHERE session = ?1 AND pid = ?2 " \
	  "ORDER BY start_ns DESC, id DESC LIMIT 1") \
	X(PROC_INSERT, "INSERT INTO processes(session, pid, name, start_ns, marked) " \
	  "VALUES (?1, ?2, ?3, ?4, ?5)") \
	X(PROC_ADOPT, "UPDATE processes SET name = CASE WHEN ?3 THEN name ELSE ?2 END, " \
		       "marked = 1 WHERE id = ?1") \
	X(PROC_RENAME, "UPDATE processes SET name = ?2 WHERE id = ?1") \
	X(THREAD_FIND, "SELECT id FROM threads WHERE process = ?1 AND tid = ?2 " \
	  "ORDER BY id DESC LIMIT 1") \
	X(THREAD_INSERT, "INSERT INTO threads(process, tid, name, first_ns) " \
	  "VALUES (?1, ?2, ?3, ?4)") \
	X(THREAD_SET_CTX, "UPDATE threads SET ctx = ?2 WHERE id = ?1") \
	X(BIND_INSERT, "INSERT INTO thread_bindings(thread, ctx, begin_ns, end_ns) " \
	  "VALUES (?1, ?2, ?3, ?4)") \
	X(BIND_END, "UPDATE thread_bindings SET end_ns = ?2 WHERE id = ?1") \
	X(BIND_FIND_OPEN, "SELECT id FROM thread_bindings WHERE thread = ?1 AND ctx = ?2 " \
	  "AND end_ns IS NULL ORDER BY begin_ns DESC LIMIT 1") \
	X(BIND_LOAD_OPEN, "SELECT id, ctx, begin_ns FROM thread_bindings WHERE thread = ?1 " \
	  "AND end_ns IS NULL ORDER BY begin_ns DESC LIMIT ?2") \
	X(CTX_FIND, "SELECT id FROM contexts WHERE process = ?1 AND ctx = ?2") \
	X(CTX_INSERT, "INSERT INTO contexts(process, ctx, kind, name, workers, ncpu, " \
	  "created_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)") \
	X(CTX_UPDATE, "UPDATE contexts SET kind = ?2, name = ?3, workers = ?4, ncpu = ?5, " \
	  "created_ns = ?6 WHERE id = ?1") \
	X(TOKEN_FIND, "SELECT id FROM tokens WHERE process = ?1 AND token = ?2") \
	X(TOKEN_INSERT, "INSERT INTO tokens(process, token, parent, created_ns) " \
	  "VALUES (?1, ?2, ?3, ?4)") \
	X(TOKEN_UPDATE, "UPDATE tokens SET parent = ?2, created_ns = ?3, " \
	  "name = CASE WHEN ?4 = '' THEN name ELSE ?4 END WHERE id = ?1") \
	X(TOKEN_PARENT_INSERT, "INSERT OR IGNORE INTO token_parents(token, parent, ord, ts_ns) " \
	  "VALUES (?1, ?2, (SELECT count(*) FROM token_parents WHERE token = ?1), ?3)") \
	X(TASK_FIND, "SELECT id, parent, token, kind, name, site, created_ns, scheduled_ns, " \
	  "started_ns, ended_ns, status, err, msg, observed_ns, unobserved_ns, inline, ctx, " \
	  "created_thread, started_thread, starts FROM tasks WHERE process = ?1 AND task = ?2") \
	X(TASK_INSERT, "INSERT INTO tasks(id, process, task, parent, token, kind, name, site, " \
	  "created_ns, scheduled_ns, started_ns, ended_ns, status, err, msg, observed_ns, " \
	  "unobserved_ns, inline, ctx, created_thread, started_thread, starts) VALUES (?1, " \
	  "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, " \
	  "?20, ?21, ?22)") \
	X(TASK_UPDATE, "UPDATE tasks SET parent = ?4, token = ?5, kind = ?6, name = ?7, " \
	  "site = ?8, created_ns = ?9, scheduled_ns = ?10, started_ns = ?11, ended_ns = ?12, " \
	  "status = ?13, err = ?14, msg = ?15, observed_ns = ?16, unobserved_ns = ?17, " \
	  "inline = ?18, ctx = ?19, created_thread = ?20, started_thread = ?21, starts = ?22 " \
	  "WHERE id = ?1 AND process = ?2 AND task = ?3") \
	X(PROC_MAXID, "SELECT coalesce(max(id), 0) FROM processes") \
	X(TASK_MAXID, "SELECT coalesce(max(id), 0) FROM tasks") \
	X(LINK_INSERT, "INSERT INTO links(kind, src, dst, ctx, from_ctx, thread, ts_ns) " \
	  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)") \
	X(WAIT_INSERT, "INSERT INTO waits(waiter, awaited, mode, thread, begin_ns, end_ns, " \
	  "timed_out) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)") \
	X(WAIT_END, "UPDATE waits SET end_ns = ?2, timed_out = ?3 WHERE id = ?1") \
	X(WAIT_FIND_OPEN, "SELECT id FROM waits WHERE awaited = ?1 AND waiter IS ?2 " \
	  "AND (?2 IS NOT NULL OR thread = ?3) AND end_ns IS NULL " \
	  "ORDER BY begin_ns DESC LIMIT 1") \
	X(BLOCK_INSERT, "INSERT INTO blocks(thread, begin_ns, end_ns, reason) " \
	  "VALUES (?1, ?2, ?3, ?4)") \
	X(BLOCK_END, "UPDATE blocks SET end_ns = ?2 WHERE id = ?1") \
	X(BLOCK_FIND_OPEN, "SELECT id, begin_ns, reason FROM blocks WHERE thread = ?1 " \
	  "AND end_ns IS NULL ORDER BY begin_ns DESC LIMIT 1") \
	X(CANCEL_INSERT, "INSERT INTO cancellations(token, ts_ns, thread, reason) " \
	  "VALUES (?1, ?2, ?3, ?4)") \
	X(CANCEL_OBS_INSERT, "INSERT INTO cancel_observations(token, task, ts_ns, thread) " \
	  "VALUES (?1, ?2, ?3, ?4)") \
	X(SAMPLE_INSERT, "INSERT OR REPLACE INTO pool_samples(ctx, ts_ns, queued, busy, workers) " \
	  "VALUES (?1, ?2, ?3, ?4, ?5)") \
	X(WSTATE_INSERT, "INSERT OR IGNORE INTO worker_states(thread, ts_ns, state, ctx) " \
	  "VALUES (?1, ?2, ?3, ?4)") \
	X(ANNOT_INSERT, "INSERT INTO annotations(task, ts_ns, thread, key, value) " \
	  "VALUES (?1, ?2, ?3, ?4, ?5)") \
	X(LOSS_INSERT, "INSERT INTO loss(session, chunk, kind, stream, begin_ns, end_ns, " \
	  "count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")

#define STORE__X_STMT(name, sql) STMT_##name,
enum store_stmt { STORE_STMT_MAP(STORE__X_STMT) STMT_COUNT };

/* One task's summary row while it is being built (writer.c). */
struct store_task {
	int64_t row, process;
	uint64_t task;
	int64_t parent, token, name, site, msg, ctx, created_thread, started_thread;
	int64_t antecedent; /* memory only: for marshal links */
	int64_t created, scheduled, started, ended, observed, unobserved;
	int64_t kind, status, err, inline_; /* TS_NONE = NULL */
	int64_t starts;
	bool in_db; /* a row exists: UPDATE, not INSERT */
	bool dirty;
};

/* Bounds of the writer's memory, whatever the run length (docs/schema.md,
 * "Size and speed").  What does not fit is in the database and found there
 * again when it is next needed. */
#define STORE_PROC_CACHE 1024     /* processes (clock eviction) */
#define STORE_THREAD_CACHE 4096   /* threads, with their open intervals */
#define STORE_WAITS_MAX 16384     /* open waits; the older half is evicted */
#define STORE_REF_CACHE 65536     /* context and token row ids, per map */
#define STORE_BIND_DEPTH 4        /* nested bindings kept per thread */
#define STORE_BLOOM_BITS (1ull << 27) /* 16 MiB, fixed */

/* A thread serving a context: worker_state(start) .. worker_state(stop). */
struct store_binding {
	int64_t ctx, begin;
	int64_t row; /* written as open (end NULL): at a commit or an eviction */
};

struct store_thread {
	int64_t row, process;
	int32_t tid;
	int64_t ctx;
	/* The open synchronous block of this thread (block_begin .. block_end). */
	int block_depth;
	int64_t block_begin, block_reason, block_row;
	/* Open bindings, innermost last (a loop run from a callback of another
	 * nests); deeper ones are only in the database. */
	int nbind;
	struct store_binding bind[STORE_BIND_DEPTH];
};

struct store_process {
	int64_t row;
	bool marked;
	bool main_named; /* name taken from the main thread (vtid == vpid) */
	bool old;        /* its row predates this writer: the Bloom filter does not
			  * know its tasks */
};

struct store_wait {
	uint64_t ka, kb; /* map key */
	int64_t waiter, awaited, thread, begin, mode;
	int64_t row; /* written as open (end NULL) at a commit or an eviction */
};

/* A direct-mapped cache of interned strings: bounded memory, no eviction
 * policy beyond "last one wins". */
#define STORE_STRCACHE_SLOTS 4096
struct store_strslot {
	uint64_t hash;
	int64_t id;
	uint32_t len;
	char s[WEFT_STR_MAX + 1];
};

/* Keys of the task rows this writer inserted, for processes it created: a
 * fixed-size filter, never rebuilt.  As it fills, false positives grow and
 * task_new falls back to the indexed lookup more often; it never misses. */
struct store_bloom {
	uint64_t *bits; /* STORE_BLOOM_BITS */
	uint64_t n;
};

struct store_writer {
	bool open;         /* a chunk transaction is open */
	bool failed;       /* a call inside the chunk failed: only abort is valid */
	int64_t session, base; /* base: session start_ns; 0 = set from first event */
	char *chunk;
	uint64_t chunk_events;
	uint64_t chunk_truncated; /* strings of the chunk cut at WEFT_STR_MAX */
	int64_t first_ns, last_ns;
	int64_t next_task_row;
	int64_t proc_base; /* max(processes.id) when this writer began; -1 unknown */

	/* Resolution caches, keyed by (process row, id).  Tasks live in an
	 * array indexed through `task_idx`; the array is written out and
	 * trimmed when it reaches STORE_TASK_BATCH entries and at commit. */
	struct store_task *tasks;
	size_t ntasks, tasks_cap;
	struct hmap task_idx;
	struct hmap ctx_row, token_row;
	struct store_thread *threads; /* STORE_THREAD_CACHE, by thread_cache slot */
	struct cache thread_cache;    /* (process row, tid) */
	struct store_process *procs;  /* STORE_PROC_CACHE, by proc_cache slot */
	struct cache proc_cache;      /* (session, vpid) */
	struct store_wait *waits;
	size_t nwaits, waits_cap;
	struct hmap wait_idx;
	struct store_bloom bloom;
	struct store_strslot *strs;

	/* One-entry caches for the hot path. */
	int32_t last_vpid;
	size_t last_proc; /* index + 1, 0 = none */
	int64_t last_thread_proc;
	int32_t last_tid;
	size_t last_thread; /* index + 1 */
};

struct store {
	sqlite3 *db;
	char *path;
	unsigned flags;
	sqlite3_stmt *stmt[STMT_COUNT];
	char errmsg[512];
	struct store_stats stats;
	struct store_writer w;
};

/* Formats "Cannot <what>: <reason>: path=<path>" into st->errmsg and
 * returns `code` (negative errno). */
int store_fail(struct store *st, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* As store_fail, with reason = the connection's SQLite message; returns the
 * errno mapping of SQLite code `rc`. */
int store_fail_sql(struct store *st, int rc, const char *what);
/* Maps an SQLite result code to a negative errno. */
int store_errno(int rc);

/* Steps a statement that returns no row (INSERT/UPDATE/...), then resets it. */
int store_step_done(struct store *st, sqlite3_stmt *s, const char *what);

/* schema.c: the migrations.  store_migrate() brings a writable store from
 * its user_version up to STORE_SCHEMA_VERSION, each step in a transaction. */
int store_migrate(struct store *st, int from_version);

/* writer.c */
int store_writer_init(struct store *st);
void store_writer_free(struct store *st);
/* Sets the open chunk's session start from its first timestamp (ns since
 * the epoch), rounded down to a second; for a session that has none yet. */
int store_writer_set_base(struct store *st, int64_t ts);

#endif
