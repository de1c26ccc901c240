/*
 * The recording loop shared by `weft record` and `weft attach`: an LTTng
 * session with rotations (daemon/session.h) whose archived chunks are
 * ingested into the store (daemon/ingest.h) as they complete, then deleted.
 *
 * The trace of the session is written under a private directory named after
 * the session (<tmp>/weft-rec.XXXXXX/<session>/); a chunk is removed only
 * after it was committed, and the directory only when every chunk was.  If
 * weft dies mid-way, `weft import` of that directory finishes the job: the
 * store knows chunks by their packets, so what is already in it is skipped.
 */
#ifndef WEFT_CLI_RECORDER_H
#define WEFT_CLI_RECORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "detect.h"
#include "ingest.h"
#include "session.h"

struct recorder_opts {
	const char *cmd;        /* "record" / "attach", for messages */
	const char *out;        /* the store */
	bool lossless;
	int64_t rotate_us;      /* rotation period */
	int32_t track_vpid;     /* attach: only this process */
	bool keep_trace;        /* keep the CTF chunks after ingesting them */
	uint64_t subbuf_size;   /* ring buffer geometry per CPU; 0: session.h's default */
	uint64_t num_subbuf;
	const struct detect_config *detect; /* run the detectors live and at the end; NULL: don't */
};

struct recorder {
	struct recorder_opts o;
	struct rec_session *s;
	struct store *st;
	char base[4096];        /* private temp dir */
	char trace_dir[4096];   /* base/<session> */
	bool store_existed;
	int64_t session_id;     /* store session, once the first chunk arrived */
	uint64_t events, chunks, failed_chunks;
	uint64_t trace_discarded_events, trace_discarded_packets, trace_loss_unknown;
	uint64_t truncated_strings; /* cut at DECODE_STR_MAX by the decoder */
	uint64_t lttng_discarded_events, lttng_lost_packets;
	int64_t t0_ns;
	int64_t t0_wall_ns;     /* CLOCK_REALTIME at start, ns since the epoch */
	bool ok;                /* set by the caller when the recording was stored */
	bool detect_failed;     /* a detector run failed (said once) */
	struct detect_pacer pacer; /* live runs: at most ~1/10 of the time */
};

/* Opens the store, makes sure a session daemon runs, creates and starts the
 * session.  Prints the error and returns non-zero on failure. */
int recorder_start(struct recorder *r, const struct recorder_opts *o);
/* Waits up to timeout_ms for a completed chunk and ingests it (and any other
 * that completed).  Returns 0, or < 0 after a fatal error (printed). */
int recorder_poll(struct recorder *r, int timeout_ms);
/* Stops the session and ingests what is left.  0 or < 0 (printed). */
int recorder_finish(struct recorder *r);
/* Prints the summary (events, tasks, loss, store size), then this
 * recording's findings (one line each) when the detectors ran. */
void recorder_summary(struct recorder *r);
/* Destroys the session, closes the store, removes the trace directory when
 * every chunk is in the store (else says where it is).  A store this
 * recording created is removed again unless r->ok. */
void recorder_free(struct recorder *r);

#endif
