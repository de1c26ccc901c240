/*
 * store.h — the weft trace store: one SQLite file per recording (weft.db).
 *
 * The recording path (daemon/) decodes LTTng chunks into struct store_event
 * (store/event.h) and hands them to the writer below, one chunk per SQLite
 * transaction; readers (CLI, TUI, detectors) open the same file read-only and
 * query it with SQL through store_db().  The schema is public API: it is
 * documented table by table in docs/schema.md, versioned by PRAGMA
 * user_version (STORE_SCHEMA_VERSION) and migrated forward on open.
 *
 * Writer model (single thread; a store handle is not thread-safe):
 *
 *   store_open(path, STORE_CREATE, &st, err, sizeof err);
 *   store_session_begin(st, host, name, start_ns, &session);
 *   for each archived chunk:
 *       store_chunk_identify(st, streams, n, &m);   (by content: its packets)
 *       if (m.state == STORE_CHUNK_STORED) skip it;  (already in)
 *       store_chunk_begin(st, session, chunk);                    (BEGIN)
 *       store_process_mark(...) / store_add_event(...)
 *       store_add_streams(st, streams, n, ...);      (identity, exact loss)
 *       store_chunk_commit(st);   (or store_chunk_abort(st) on any error)
 *   store_session_end(st, session, end_ns, discarded, lost);
 *   store_close(st);
 *
 * A chunk is either wholly in the store (with its id in table `chunks`) or
 * not at all: everything between store_chunk_begin() and store_chunk_commit()
 * is one transaction, and store_chunk_abort() rolls it back.  Per-task state
 * is accumulated in memory and written as one row per task (no per-event
 * UPDATE); tasks that span chunks are loaded back on demand.
 *
 * Timestamps given to the store are ns since the Unix epoch; the store keeps
 * them relative to the session's start_ns (see docs/schema.md).
 *
 * Errors: every int function returns 0 (or the documented positive value) on
 * success and a negative errno-style code on failure (-ENOMEM, -EINVAL,
 * -EEXIST, -EPROTO for "not a weft store", -EIO for other SQLite errors), and
 * leaves a one-line message "Cannot <what>: <reason>: path=<file>" readable
 * with store_errmsg() until the next call.  After a failed call inside a
 * chunk, the only valid calls are store_chunk_abort() and store_close().
 */
#ifndef WEFT_STORE_STORE_H
#define WEFT_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

#ifdef __cplusplus
extern "C" {
#endif

/* PRAGMA application_id of every weft store: 'weft' in ASCII. */
#define STORE_APPLICATION_ID 0x77656674
/* PRAGMA user_version written by this build; older stores are migrated up,
 * newer ones are refused. */
#define STORE_SCHEMA_VERSION 2

struct store;
struct sqlite3;

enum store_open_flags {
	STORE_CREATE = 1u << 0,   /* create the file (and schema) if missing */
	STORE_READONLY = 1u << 1, /* readers: no migration, no writes */
};

/* Opens (or with STORE_CREATE creates) the store at `path` and migrates it
 * to STORE_SCHEMA_VERSION (unless STORE_READONLY, which requires the current
 * version).  Refuses, without modifying the file, anything that is not a weft
 * store: not SQLite, another application_id, or a newer user_version
 * (-EPROTO, err = "Cannot open trace store: not a weft trace store:
 * application_id=0x... path=...").  On success *out owns the handle; on
 * failure *out is NULL and err (if errlen > 0) holds the message. */
int store_open(const char *path, unsigned flags, struct store **out, char *err,
	       size_t errlen);
/* Aborts an open chunk, checkpoints the WAL (writers) and frees `st`. NULL ok. */
void store_close(struct store *st);

/* The message of the last failed call ("" if none).  Owned by st. */
const char *store_errmsg(const struct store *st);
/* The SQLite connection, for read queries (views and tables of
 * docs/schema.md).  Owned by st; do not close it, do not write through it. */
struct sqlite3 *store_db(struct store *st);
/* PRAGMA integrity_check (and foreign_key_check): 0 if "ok", else -EIO with
 * the first problem in err. */
int store_check(struct store *st, char *err, size_t errlen);

/* ---- sessions ---------------------------------------------------------- */

/* Returns in *session_id the session (host, name): the existing row when one
 * exists (a restarted daemon resumes it), else a new one.  start_ns (ns since
 * epoch) is the origin of the session's relative timestamps; 0 means "the
 * first event's time, rounded down to a second".  Strings are stored as given
 * (untrusted bytes). */
int store_session_begin(struct store *st, const char *host, const char *name,
			int64_t start_ns, int64_t *session_id);
/* store_session_begin and store_session_end write at once (their own
 * transaction); they are refused (-EBUSY) while a chunk is open. */
/* Records the end of a session and the totals LTTng reports for it
 * (lttng_channel_get_discarded_event_count / lost packets); negative values
 * leave a column unchanged.  end_ns is ns since the epoch (e.g. when the
 * LTTng session stopped), or 0 for "at the session's last stored event";
 * the end stored is never earlier than the last event of the session's
 * chunks (clocks of the trace and of the caller may disagree a little) nor
 * than an end recorded before (re-importing a recording keeps its end).  A
 * session whose start is still unknown (no event yet) keeps end_ns NULL.
 * Not inside a chunk. */
int store_session_end(struct store *st, int64_t session_id, int64_t end_ns,
		      int64_t discarded_events, int64_t lost_packets);

/* ---- chunks ------------------------------------------------------------ */

/* 1 if a chunk named `chunk_id` of the session is committed, 0 if not, < 0
 * on error (-EACCES on a read-only handle: this is the writer's question).
 * Names are labels: a chunk's identity is its content (store_chunk_identify);
 * this is for traces without a packet index. */
int store_chunk_has(struct store *st, int64_t session_id, const char *chunk_id);
/* Opens the chunk's transaction.  -EEXIST if the chunk is already committed,
 * -EBUSY if a chunk is already open. */
int store_chunk_begin(struct store *st, int64_t session_id, const char *chunk_id);
/* Adds one decoded event of the open chunk (the hot path).  Events should come
 * in time order per stream (the muxer's order); ids are resolved per process
 * (vpid, see store_process_mark). */
int store_add_event(struct store *st, const struct store_event *ev);

/* A process (re)started: call on lttng_ust_statedump:start for `vpid`.  If
 * the vpid's current process row was created implicitly (by an event of an
 * unknown vpid) it is adopted and named `procname`; otherwise a new process
 * row begins at ts_ns (pid reuse, exec).  Events of that vpid from then on
 * belong to the new row. */
int store_process_mark(struct store *st, int32_t vpid, const char *procname,
		       int64_t ts_ns);

#define STORE_LOSS_KIND_MAP(X) \
	X(EVENTS, events, "discarded events (ring buffer full, discard mode)") \
	X(PACKETS, packets, "lost packets (consumer or network lost whole packets)")
#define STORE__X_LOSS(up, low, doc) STORE_LOSS_##up,
enum store_loss_kind { STORE_LOSS_KIND_MAP(STORE__X_LOSS) STORE_LOSS_KIND_COUNT };

/* One babeltrace2 discarded-events / discarded-packets message, stored with
 * exact NULL: for traces without a usable CTF index only (babeltrace2's
 * counts are not exact across rotation chunks; store_add_streams is). */
struct store_loss {
	enum store_loss_kind kind;
	const char *stream;   /* which stream: e.g. "<trace path>/<stream name>" */
	int64_t begin_ns;     /* time range (ns since epoch), 0 if unknown */
	int64_t end_ns;
	uint64_t count;       /* 0 if unknown (babeltrace2 may not know it) */
};
/* Records a loss inside the open chunk. */
int store_add_loss(struct store *st, const struct store_loss *loss);

/* ---- chunk content: identity and exact loss ----------------------------- */

/* One stream's stretch of packets in a chunk, as LTTng's CTF packet index
 * (index/<stream>.idx) describes it; daemon/ctf-index.h reads it.  A stream
 * is one ring buffer: (trace UUID, stream class id, stream instance id).  Its
 * packet sequence numbers and its discarded-events counter are per stream
 * and cumulative over the whole recording, across rotation chunks: so the
 * stretches say which data a chunk holds, whatever its path or name, and the
 * counter's difference between two stretches is the exact loss. */
struct store_stream {
	char uuid[40];            /* the trace's UUID as text (36 chars + NUL) */
	uint64_t stream_class;    /* CTF stream id (the channel) */
	uint64_t instance;        /* stream_instance_id (one ring buffer, per CPU) */
	const char *name;         /* the stream file, relative to the chunk directory */
	uint64_t first_seq, last_seq; /* packet_seq_num of its first and last packet */
	uint64_t packets;         /* packets in the stretch */
	uint64_t lost_inside;     /* packets missing between them (seq gaps) */
	uint64_t discarded_first; /* LTTng's cumulative discarded counter in the first */
	uint64_t discarded_last;  /* ... and in the last packet */
	int64_t begin_ns;         /* first packet's begin, ns since the epoch */
	int64_t first_end_ns;     /* first packet's end */
	int64_t end_ns;           /* last packet's end */
	/* Where the counter rose between two packets of the stretch: from the
	 * end of the packet before the first rise to the end of the packet of
	 * the last one; both 0 if it never rose inside the stretch. */
	int64_t discards_begin_ns, discards_end_ns;
};

enum store_chunk_state {
	STORE_CHUNK_NEW,     /* none of its packets is in the store */
	STORE_CHUNK_STORED,  /* every packet of it is in the store already */
	STORE_CHUNK_OVERLAP, /* some are, some are not */
};

struct store_chunk_match {
	enum store_chunk_state state;
	/* STORED/OVERLAP: the session of (one of) the stored chunks; NEW: the
	 * session that holds other chunks of the same traces (the same
	 * recording), 0 if none. */
	int64_t session_id;
	char chunk[256];   /* STORED/OVERLAP: that stored chunk's name */
	char detail[512];  /* OVERLAP: which stream, which packets, stored where */
};

/* Which of the chunk's packets (streams v[0..n)) the store holds already;
 * answers in *m.  Outside or inside a chunk.  n == 0 answers NEW. */
int store_chunk_identify(struct store *st, const struct store_stream *v, size_t n,
			 struct store_chunk_match *m);
/* Records the open chunk's streams (table chunk_streams) and their loss
 * (table loss, one row per stream, kind and chunk, exact = 1 when the
 * stream's previous packet is in the store or this is its start).  A chunk
 * that fills the gap before a stored later stretch of a stream corrects
 * that stretch's loss rows.  -EEXIST if a packet is already in the store.
 * *discarded / *lost_packets (may be NULL) get the chunk's own figures, and
 * *inexact the number of its rows that are lower bounds (exact = 0). */
int store_add_streams(struct store *st, const struct store_stream *v, size_t n,
		      uint64_t *discarded, uint64_t *lost_packets, uint64_t *inexact);

/* Writes the pending task/wait summaries, records the chunk id and commits.
 * On failure the chunk is rolled back (as store_chunk_abort). */
int store_chunk_commit(struct store *st);
/* Rolls back the open chunk: nothing of it stays in the store.  No-op when no
 * chunk is open. */
void store_chunk_abort(struct store *st);

/* Severity of a finding (table `findings`, written by the detectors). */
#define STORE_SEVERITY_MAP(X) \
	X(INFO, info, "worth knowing; not a fault by itself") \
	X(WARNING, warning, "likely a performance or robustness problem") \
	X(ERROR, error, "a fault: lost work, deadlock, silent failure")
#define STORE__X_SEV(up, low, doc) STORE_SEVERITY_##up,
enum store_severity { STORE_SEVERITY_MAP(STORE__X_SEV) STORE_SEVERITY_COUNT };

/* Counters of the writer, for logs and benches. */
struct store_stats {
	uint64_t events;        /* store_add_event calls accepted, all chunks */
	uint64_t chunks;        /* committed chunks */
	uint64_t tasks_loaded;  /* task rows read back (tasks spanning chunks) */
};
void store_get_stats(const struct store *st, struct store_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_STORE_STORE_H */
