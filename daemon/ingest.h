/*
 * Chunk ingestion: one trace directory (an archived rotation chunk, or a whole
 * trace for `weft import`) into the trace store, as one transaction.
 *
 * Decoding (libbabeltrace2, daemon/decode.c) runs on its own thread and hands
 * batches of events through a small bounded queue to the calling thread,
 * which owns the store handle and writes (SQLite is the bottleneck; the two
 * overlap).  Either the whole chunk is committed, with its id recorded in the
 * store, or nothing of it is: re-ingesting after a crash is idempotent.
 */
#ifndef WEFT_DAEMON_INGEST_H
#define WEFT_DAEMON_INGEST_H

#include <stdint.h>

#include "decode.h"
#include "store.h"

struct ingest_progress {
	uint64_t events; /* weft events written so far */
	int64_t ts_ns;   /* time of the last one (events come in time order) */
};

struct ingest_opts {
	/* The store session the chunk belongs to; 0: look it up or create it from
	 * the trace's hostname and session_name (first chunk of an import). */
	int64_t session_id;
	const char *session_name; /* for session_id == 0; default: the directory name */
	const char *host;         /* overrides the trace's hostname, may be NULL */
	const char *chunk_id;     /* the id recorded in table chunks; default: dir */
	/* Called on the calling thread every few hundred thousand events. */
	void (*progress)(void *arg, const struct ingest_progress *p);
	void *progress_arg;
};

/* Why a chunk holds nothing for the store (ingest_report.empty). */
enum ingest_empty {
	INGEST_NOT_EMPTY = 0,
	INGEST_EMPTY_NO_TRACE, /* no CTF trace at all: nothing registered during the rotation */
	INGEST_EMPTY_FOREIGN,  /* CTF traces, none of them weft's: only other LTTng-UST
				* applications (e.g. nothing but their statedump) */
};

struct ingest_report {
	int64_t session_id;       /* the session the chunk went into (or is in) */
	struct decode_stats dec;  /* what the decoder saw (events, hostname, and
				   * babeltrace2's loss messages, which are not
				   * exact across chunks: see the fields below) */
	uint64_t written;         /* weft events written */
	uint64_t loss_records;    /* babeltrace2 loss messages written (fallback only) */
	int skipped;              /* 1: the chunk was already in the store */
	char stored_as[256];      /* skipped: the name of the chunk in the store */
	/* 1 when the chunk's content was identified by its CTF packet index
	 * and its loss below taken from it: exact.  0 for a trace without a
	 * usable index: then identity is the chunk id and loss is babeltrace2's. */
	int indexed;
	uint64_t discarded_events; /* this chunk's discarded events (table loss) */
	uint64_t lost_packets;     /* and lost packets */
	uint64_t inexact;          /* its loss rows that are lower bounds */
	/* Not INGEST_NOT_EMPTY: the chunk holds nothing for the store and
	 * nothing of it was written (not even its id: there may be no session
	 * to file it under); the call still returns 0 and err says why. */
	enum ingest_empty empty;
};

/* Ingests dir.  The chunk's identity is its content: each stream's packets,
 * from the CTF packet indexes (daemon/ctf-index.h), whatever its path or
 * chunk_id.  A chunk whose packets are all in the store already is skipped
 * without decoding (rep->skipped, rep->stored_as); one that shares only
 * some packets with the store is refused (-EEXIST; storing the rest would
 * need decoding by packet, and such a chunk is a truncated or merged copy of
 * what the store holds).  A chunk of a trace the store already has chunks
 * of goes into their session, whatever opts says: one recording, one
 * session.  An empty chunk (rep->empty) is success too, in one place, for
 * every caller (record, attach, import, weftd): a rotation during which no
 * instrumented program registered has no trace, and one during which only
 * other LTTng-UST applications did has only theirs (their statedump);
 * neither is a fault of the chunk.  Whether "no weft trace at all" is an
 * error for a whole import is the caller's decision.  Returns 0 (committed,
 * skipped or empty), or a negative errno-style code with a one-line message
 * in err; then nothing of the chunk is in the store. */
int ingest_chunk(struct store *st, const char *dir, const struct ingest_opts *opts,
		 struct ingest_report *rep, char *err, size_t errlen);

#endif
