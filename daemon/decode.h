/*
 * The trace decoder: reads a CTF trace directory written by LTTng (a whole
 * session output directory, or one archived rotation chunk such as
 * ".../archives/20261127T101500+0000-20261127T101501+0000-1/") with
 * libbabeltrace2, in-process, and hands every weft event to the caller as a
 * struct store_event (store/event.h), in timestamp order.  weftd, `weft
 * record` and `weft import` all read traces through this one call; the store
 * writer sits behind the callbacks.
 *
 * Inside: a babeltrace2 graph src.ctf.fs -> flt.utils.muxer -> weft's own sink
 * component class.  Each ust/uid/<uid>/<bits>-bit directory is its own trace
 * with its own metadata; all of them found under the directory are decoded
 * together, merged by time.
 *
 * Strings in what the callbacks receive come from the traced program: they
 * are passed through as bytes with their lengths, never interpreted, cut at
 * DECODE_STR_MAX bytes (NUL-terminated at their length), and are valid only
 * during the callback.
 */
#ifndef WEFT_DAEMON_DECODE_H
#define WEFT_DAEMON_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h" /* store/event.h: struct store_event */

#define DECODE_HOSTNAME_MAX 255
/* Longest string the decoder hands on, in bytes: longer ones (payload
 * strings and procname) are cut to this, counted in
 * decode_stats.truncated_strings and in store_event.truncated.  It is the
 * tracer's and the store's bound (WEFT_STR_MAX), so a trace written by
 * libweft is never cut; one written by a program with its own copy of the
 * provider, or by a hostile host, can be, and nothing downstream ever sees
 * more than this many bytes of a string. */
#define DECODE_STR_MAX WEFT_STR_MAX

enum decode_loss_kind {
	DECODE_LOSS_EVENTS,  /* a discarded-events message: the ring buffer was full */
	DECODE_LOSS_PACKETS, /* a discarded-packets message: whole packets missing */
};

/* One discarded-events or discarded-packets message of the CTF source. */
struct decode_loss {
	enum decode_loss_kind kind;
	const char *stream;    /* the stream's name (its file path), "" if none; untrusted */
	uint64_t stream_id;    /* the stream's id within its trace */
	int has_count;         /* count is known */
	uint64_t count;        /* events or packets lost */
	int has_range;         /* begin_ns/end_ns are known */
	int64_t begin_ns, end_ns; /* the time range of the loss, ns since the Unix epoch */
};

/*
 * What decode_trace() calls.  Every callback may be NULL.  A callback returns
 * 0 to go on or a negative errno-style code to stop decoding: decode_trace()
 * then returns that code and calls nothing more.  Callbacks run on the
 * calling thread, in trace time order.
 */
struct decode_cb {
	/* One weft event. */
	int (*event)(void *arg, const struct store_event *ev);
	/* Events or packets were lost (nothing is lost silently). */
	int (*loss)(void *arg, const struct decode_loss *loss);
	/* A process instance starts: lttng_ust_statedump:start for vpid (pids
	 * are reused, so the store keys processes on vpid and this time).
	 * procname is the process's name as the statedump thread shows it: cut
	 * to 11 bytes (the main thread's events, vtid == vpid, carry it up to
	 * 15); untrusted.  A process traced from before the session started
	 * may have events earlier than its statedump. */
	int (*process)(void *arg, int32_t vpid, const char *procname, int64_t ts_ns);
	void *arg;
};

struct decode_stats {
	uint64_t events;            /* event messages of any kind */
	uint64_t weft_events;       /* of them, weft events (passed to cb->event) */
	uint64_t other_events;      /* of them, others (statedump, other providers) */
	uint64_t processes;         /* process starts (passed to cb->process) */
	uint64_t loss_msgs;         /* discarded events/packets messages */
	uint64_t discarded_events;  /* sum of the known discarded-event counts */
	uint64_t discarded_packets; /* sum of the known discarded-packet counts */
	uint64_t unknown_loss_msgs; /* loss messages without a count */
	/* Strings cut at DECODE_STR_MAX: those of weft events (the store counts
	 * them per chunk, chunks.truncated_strings) and statedump process
	 * names (bounded the same way; the store keeps no count of those). */
	uint64_t truncated_strings;
	uint32_t traces;            /* trace directories (ones with a metadata file) */
	/* The traced host (trace environment "hostname"), "" if the trace does
	 * not say; untrusted bytes, NUL-terminated.  All traces of one call must
	 * come from one host. */
	char hostname[DECODE_HOSTNAME_MAX + 1];
};

/*
 * Decodes every trace under dir, calling cb for each weft event, loss and
 * process start, in time order.  st (may be NULL) is filled even on failure,
 * with what was decoded until then.  Returns 0, or a negative errno-style
 * code with a one-line message in err ("Cannot decode trace: reason:
 * path=dir"):
 *   -ENOENT / -ENOTDIR  dir does not exist / is not a directory
 *   -ENODATA            no CTF trace under dir (no metadata file)
 *   -EBADMSG            the trace is corrupt or truncated (babeltrace2's reason)
 *   -ENOMSG             a valid CTF trace, but not a weft one: no weft event
 *                       class in any trace and no weft event
 *   -EPROTO             a weft event class without the fields weft-tp.h gives
 *   -EXDEV              traces of more than one host under dir
 *   -ENOMEM, -EIO       resources
 *   < 0                 what a callback returned (err then says so)
 * A weft trace with no weft events in it (an idle rotation chunk) is not an
 * error.  Callbacks have been called for what came before a failure; callers
 * that need all-or-nothing wrap the call in one transaction.
 */
int decode_trace(const char *dir, const struct decode_cb *cb, struct decode_stats *st,
		 char *err, size_t errlen);

/*
 * The time span of the traces under dir (ns since the Unix epoch), from the
 * CTF source's packet indexes, without decoding events: for progress bars.
 * Returns 0, or < 0 when it cannot tell (then both are 0).
 */
int decode_time_range(const char *dir, int64_t *begin, int64_t *end);

#endif
