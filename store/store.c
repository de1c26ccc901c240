/*
 * store.c — opening, validating, migrating and closing a weft trace store,
 * sessions, and the store's error reporting.  The chunk writer (the hot
 * path) is in writer.c, the schema and its migrations in schema.c.
 *
 * Opening is careful not to touch a file that is not ours: the header values
 * (application_id, user_version) are read before anything is written, and
 * WAL mode is switched on only after the file has been accepted.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store-int.h"

static const char *const stmt_sql[STMT_COUNT] = {
#define STORE__X_SQL(name, sql) sql,
	STORE_STMT_MAP(STORE__X_SQL)
#undef STORE__X_SQL
};

int store_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOTADB:
		return -EPROTO;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_TOOBIG:
	case SQLITE_RANGE:
	case SQLITE_MISMATCH:
		return -EINVAL;
	default:
		return -EIO;
	}
}

int store_fail(struct store *st, int code, const char *fmt, ...)
{
	char reason[384], *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	/* One line: SQLite's messages (integrity_check) may span several. */
	for (p = reason; *p; p++) {
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	}
	snprintf(st->errmsg, sizeof(st->errmsg), "Cannot %s: path=%s", reason,
		 st->path ? st->path : "?");
	return code;
}

int store_fail_sql(struct store *st, int rc, const char *what)
{
	return store_fail(st, store_errno(rc), "%s: %s", what,
			  st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
}

int store_step_done(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	return store_fail_sql(st, rc, what);
}

const char *store_errmsg(const struct store *st)
{
	return st ? st->errmsg : "Cannot use trace store: no handle";
}

struct sqlite3 *store_db(struct store *st)
{
	return st ? st->db : NULL;
}

void store_get_stats(const struct store *st, struct store_stats *out)
{
	*out = st->stats;
}

/* One integer from a single-row query; -EPROTO-style errors are mapped by
 * the caller. */
static int query_int(struct store *st, const char *sql, int64_t *out, int *sqlrc)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*out = 0;
	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(s, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(s);
	*sqlrc = rc;
	return rc == SQLITE_OK ? 0 : -1;
}

/* Reads the header values and decides: 0 = weft store at *version (0 for an
 * empty database), or a refusal with st->errmsg set. */
static int store_identify(struct store *st, int64_t *version)
{
	int64_t app = 0, objects = 0;
	int sqlrc = SQLITE_OK;
	int rc = 0;

	if (query_int(st, "PRAGMA application_id", &app, &sqlrc) < 0 ||
	    query_int(st, "PRAGMA user_version", version, &sqlrc) < 0 ||
	    query_int(st, "SELECT count(*) FROM sqlite_master", &objects, &sqlrc) < 0) {
		if ((sqlrc & 0xff) == SQLITE_NOTADB)
			rc = store_fail(st, -EPROTO,
					"open trace store: not a weft trace store: not an SQLite "
					"database");
		else
			rc = store_fail_sql(st, sqlrc, "open trace store");
		goto out;
	}
	if (app == 0 && *version == 0 && objects == 0)
		goto out; /* empty: a new store */
	if (app != STORE_APPLICATION_ID) {
		rc = store_fail(st, -EPROTO,
				"open trace store: not a weft trace store: application_id=0x%08llx "
				"(weft is 0x%08x)",
				(unsigned long long)(uint32_t)app, STORE_APPLICATION_ID);
		goto out;
	}
	if (*version > STORE_SCHEMA_VERSION || *version < 1)
		rc = store_fail(st, -EPROTO,
				"open trace store: unsupported schema version: user_version=%lld "
				"(this weft reads 1..%d; a newer weft wrote it)",
				(long long)*version, STORE_SCHEMA_VERSION);
out:
	return rc;
}

/* Connection settings of a writer: WAL (readers never block the writer),
 * FULL sync, a bounded page cache and no temp files on disk.
 *
 * FULL, not NORMAL: in WAL mode NORMAL syncs the WAL only at checkpoints,
 * so a commit is atomic but not durable, and after a power loss the last
 * commits roll back.  The recording path deletes a chunk as soon as
 * store_chunk_commit() returns (recorder, weftd), so the commit must be on
 * disk by then: with FULL, COMMIT returns after the WAL is synced.  One
 * sync per chunk (one per rotation, about a second) costs little next to
 * writing the chunk (BENCHMARKS.md, bench-ingest). */
static int store_tune_writer(struct store *st)
{
	static const char *const pragmas[] = {
		"PRAGMA page_size = 8192",
		"PRAGMA journal_mode = WAL",
		"PRAGMA synchronous = FULL",
		"PRAGMA cache_size = -32768",
		"PRAGMA temp_store = MEMORY",
		"PRAGMA wal_autocheckpoint = 4096",
		"PRAGMA journal_size_limit = 67108864",
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(pragmas) / sizeof(pragmas[0]); i++) {
		rc = sqlite3_exec(st->db, pragmas[i], NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			return store_fail_sql(st, rc, "configure trace store");
	}
	return 0;
}

/* A new store's directory entry is made durable once: SQLite syncs the
 * directory when it creates the WAL, but not for the database file itself,
 * and a commit that is durable in a file whose name is not helps nobody. */
static int store_sync_dir(struct store *st)
{
	char *dir = strdup(st->path), *slash;
	int fd, rc = 0;

	if (!dir)
		return store_fail(st, -ENOMEM, "open trace store: out of memory");
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		rc = store_fail(st, -errno, "sync trace store directory: %s: dir=%s",
				strerror(errno), dir);
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

/* SQLite's global memory statistics take a mutex on every allocation; weft
 * never reads them.  Turning them off cuts the writer's instructions by ~7 %
 * (bench-ingest).  It must happen before SQLite initialises: if something in
 * the process used SQLite first, the call fails harmlessly. */
static void store_sqlite_config(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int store_open(const char *path, unsigned flags, struct store **out, char *err,
	       size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct store *st = NULL;
	int64_t version = 0;
	int oflags, rc = 0, sqlrc, created;
	size_t i;

	pthread_once(&once, store_sqlite_config);
	if (out)
		*out = NULL;
	if (!path || !out || (flags & ~(unsigned)(STORE_CREATE | STORE_READONLY)) ||
	    ((flags & STORE_CREATE) && (flags & STORE_READONLY))) {
		if (errlen)
			snprintf(err, errlen, "Cannot open trace store: invalid arguments: path=%s",
				 path ? path : "(null)");
		return -EINVAL;
	}
	st = calloc(1, sizeof(*st));
	if (!st || !(st->path = strdup(path))) {
		rc = -ENOMEM;
		if (errlen)
			snprintf(err, errlen, "Cannot open trace store: out of memory: path=%s",
				 path);
		goto out;
	}
	st->flags = flags;
	created = !(flags & STORE_READONLY) && access(path, F_OK) != 0;
	if (flags & STORE_READONLY)
		oflags = SQLITE_OPEN_READONLY;
	else
		oflags = SQLITE_OPEN_READWRITE | ((flags & STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
	sqlrc = sqlite3_open_v2(path, &st->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	if (sqlrc != SQLITE_OK) {
		rc = store_fail_sql(st, sqlrc, "open trace store");
		goto out;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 5000);
	rc = store_identify(st, &version);
	if (rc < 0)
		goto out;
	if (flags & STORE_READONLY) {
		if (version != STORE_SCHEMA_VERSION) {
			rc = store_fail(st, version == 0 ? -ENOENT : -EPROTO,
					"open trace store: %s: user_version=%lld",
					version == 0 ? "empty file, no weft trace store"
						     : "older schema, open it once read-write to migrate",
					(long long)version);
			goto out;
		}
		sqlite3_exec(st->db, "PRAGMA query_only = 1", NULL, NULL, NULL);
		goto out;
	}
	if (version == 0 && !(flags & STORE_CREATE)) {
		rc = store_fail(st, -ENOENT, "open trace store: empty file, no weft trace store");
		goto out;
	}
	rc = store_tune_writer(st);
	if (rc == 0 && version < STORE_SCHEMA_VERSION)
		rc = store_migrate(st, (int)version);
	for (i = 0; rc == 0 && i < STMT_COUNT; i++) {
		sqlrc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					   &st->stmt[i], NULL);
		if (sqlrc != SQLITE_OK)
			rc = store_fail_sql(st, sqlrc, "prepare store statement");
	}
	if (rc == 0)
		rc = store_writer_init(st);
	if (rc == 0 && created)
		rc = store_sync_dir(st);
out:
	if (rc < 0) {
		if (errlen)
			snprintf(err, errlen, "%s",
				 st && st->errmsg[0] ? st->errmsg : "Cannot open trace store");
		store_close(st);
		st = NULL;
	}
	*out = st;
	return rc;
}

void store_close(struct store *st)
{
	size_t i;

	if (!st)
		return;
	if (st->w.open)
		store_chunk_abort(st);
	store_writer_free(st);
	for (i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db && !(st->flags & STORE_READONLY))
		sqlite3_exec(st->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

int store_check(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc = 0, sqlrc;

	sqlrc = sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s, NULL);
	if (sqlrc == SQLITE_OK)
		sqlrc = sqlite3_step(s);
	if (sqlrc != SQLITE_ROW) {
		rc = store_fail_sql(st, sqlrc, "check trace store");
		goto out;
	}
	if (strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0) {
		rc = store_fail(st, -EIO, "check trace store: integrity_check: %s",
				(const char *)sqlite3_column_text(s, 0));
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;
	sqlrc = sqlite3_prepare_v2(st->db, "PRAGMA foreign_key_check", -1, &s, NULL);
	if (sqlrc == SQLITE_OK)
		sqlrc = sqlite3_step(s);
	if (sqlrc == SQLITE_ROW) {
		rc = store_fail(st, -EIO,
				"check trace store: foreign_key_check: table %s row %lld refers "
				"to a missing row of %s",
				(const char *)sqlite3_column_text(s, 0),
				(long long)sqlite3_column_int64(s, 1),
				(const char *)sqlite3_column_text(s, 2));
	} else if (sqlrc != SQLITE_DONE) {
		rc = store_fail_sql(st, sqlrc, "check trace store");
	}
out:
	sqlite3_finalize(s);
	if (rc < 0 && errlen)
		snprintf(err, errlen, "%s", st->errmsg);
	return rc;
}

/* ---- sessions ---------------------------------------------------------- */

int store_session_begin(struct store *st, const char *host, const char *name,
			int64_t start_ns, int64_t *session_id)
{
	sqlite3_stmt *s = NULL;
	int rc = 0, sqlrc;

	if (!host || !name || !session_id || start_ns < 0)
		return store_fail(st, -EINVAL, "begin session: invalid arguments");
	if (st->w.open)
		return store_fail(st, -EBUSY, "begin session: a chunk is open");
	sqlrc = sqlite3_prepare_v2(st->db,
				   "INSERT INTO sessions(host, name, start_ns) VALUES (?1, ?2, ?3) "
				   "ON CONFLICT(host, name) DO UPDATE SET start_ns = ?3 "
				   "WHERE start_ns = 0 AND ?3 != 0",
				   -1, &s, NULL);
	if (sqlrc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, host, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, start_ns);
		sqlrc = sqlite3_step(s);
	}
	if (sqlrc != SQLITE_DONE) {
		rc = store_fail_sql(st, sqlrc, "begin session");
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;
	sqlrc = sqlite3_prepare_v2(st->db, "SELECT id FROM sessions WHERE host = ?1 AND name = ?2",
				   -1, &s, NULL);
	if (sqlrc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, host, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
		sqlrc = sqlite3_step(s);
	}
	if (sqlrc != SQLITE_ROW) {
		rc = store_fail_sql(st, sqlrc, "begin session");
		goto out;
	}
	*session_id = sqlite3_column_int64(s, 0);
out:
	sqlite3_finalize(s);
	return rc;
}

int store_session_end(struct store *st, int64_t session_id, int64_t end_ns,
		      int64_t discarded_events, int64_t lost_packets)
{
	sqlite3_stmt *s = NULL;
	int rc = 0, sqlrc;

	if (st->w.open)
		return store_fail(st, -EBUSY, "end session: a chunk is open");
	sqlrc = sqlite3_prepare_v2(
		st->db,
		"UPDATE sessions SET "
		/* never before the last event stored nor before an end recorded
		 * earlier (a re-import does not move it back); 0: at the last event */
		"end_ns = CASE WHEN ?2 >= 0 AND start_ns != 0 THEN max(coalesce(end_ns, 0), "
		"coalesce((SELECT max(c.last_ns) FROM chunks c WHERE c.session = ?1), 0), "
		"CASE WHEN ?2 > 0 THEN ?2 - start_ns ELSE 0 END) ELSE end_ns END, "
		"discarded_events = CASE WHEN ?3 >= 0 THEN ?3 ELSE discarded_events END, "
		"lost_packets = CASE WHEN ?4 >= 0 THEN ?4 ELSE lost_packets END WHERE id = ?1",
		-1, &s, NULL);
	if (sqlrc == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, session_id);
		sqlite3_bind_int64(s, 2, end_ns);
		sqlite3_bind_int64(s, 3, discarded_events);
		sqlite3_bind_int64(s, 4, lost_packets);
		sqlrc = sqlite3_step(s);
	}
	if (sqlrc != SQLITE_DONE)
		rc = store_fail_sql(st, sqlrc, "end session");
	else if (sqlite3_changes(st->db) == 0)
		rc = store_fail(st, -ENOENT, "end session: no such session: session=%lld",
				(long long)session_id);
	sqlite3_finalize(s);
	return rc;
}
