/*
 * session.h — LTTng recording sessions for weft, through liblttng-ctl.
 *
 * `weft record`, `weft attach` and weftd record with an ordinary LTTng session
 * whose rotations are the ingest path (DESIGN.md section 5): tracing runs
 * continuously, LTTng archives the current trace chunk every rotation period
 * (or size), and each completed rotation is announced on a notification
 * channel.  This module owns that session: it creates it (one UST channel,
 * per-UID buffers, vpid/vtid/procname context, weft:* and
 * lttng_ust_statedump:start events, optional vpid tracker, rotation
 * schedules), hands out the path of every archived chunk in order, stops it so
 * that everything recorded ends up in an archived chunk, and destroys it.  The
 * caller decodes the chunks (store/) and deletes them.
 *
 * Usage:
 *   rec_sessiond_ensure(err, sizeof err);
 *   rec_session_create(&opts, &s, err, sizeof err);
 *   rec_session_start(s);
 *   while (running)
 *           if (rec_session_next_chunk(s, 200, path, sizeof path, &id) == 0)
 *                   ingest(path, id);
 *   rec_session_stop(s);
 *   while (rec_session_next_chunk(s, 5000, path, sizeof path, &id) == 0)
 *           ingest(path, id);                   (until -ENODATA)
 *   rec_session_destroy(s);
 *
 * Errors: functions return 0 or a negative errno-style code, and leave a
 * one-line message "Cannot <what>: <reason>: key=value" in the err buffer
 * (rec_sessiond_ensure, rec_session_create) or in rec_session_error(s).
 * Every wait is bounded: nothing here blocks forever on the session daemon.
 * liblttng-ctl writes to UNIX sockets the session daemon may close; the first
 * call into this module ignores SIGPIPE (if it was SIG_DFL) so that such a
 * write fails with EPIPE instead of killing the process.  A session object is
 * used from one thread at a time.
 *
 * What LTTng 2.13 does (measured here, and read in lttng-sessiond's cmd.c and
 * rotation-thread.c):
 *  - A completed rotation leaves <output>/archives/<begin>-<end>-<id>/ holding
 *    ust/uid/<uid>/64-bit/ (metadata + one stream file per CPU); each such
 *    directory is a self-contained CTF trace.  For a relayd session the
 *    location is relative to the relayd's output directory
 *    (<host>/<session>-<date>/archives/...); rec_session_next_chunk reports
 *    it as is.  Quirk: for the first chunk (rotation id 0) of a relayd
 *    session LTTng reports the session directory itself; the chunk is then
 *    the one entry of <that directory>/archives whose name ends in "-0".
 *  - Rotation ids are the archived chunk ids: 0, 1, 2, ... in order.  Only one
 *    rotation can be ongoing per session (LTTNG_ERR_ROTATION_PENDING); the
 *    periodic timer silently skips a tick while one is pending, so with a
 *    period shorter than a rotation's completion (the session daemon checks
 *    for completion every 500 ms) chunks come about every 0.5-1 s whatever
 *    the period.
 *  - A chunk may hold no event (nothing recorded since the previous rotation)
 *    and, when no traced application has registered yet, no ust/ directory.
 *  - The rotation-completed condition must be both subscribed to on a
 *    notification channel and registered as a trigger with a notify action;
 *    the notification channel may carry other sessions' rotations, which
 *    are filtered out here by session name.  The trigger is registered under
 *    the name "weft-rotation-<session>" and unregistered on destroy (a
 *    trigger outlives the process that registered it, so a crashed process
 *    leaves one behind; creating the same session name again replaces it).
 *  - Stopping does not rotate.  The periodic timer keeps running after a
 *    stop and may perform exactly one more rotation; after that (or after one
 *    explicit rotation) every rotation fails with
 *    LTTNG_ERR_ROTATION_MULTIPLE_AFTER_STOP until the next start.  A rotation
 *    of a stopped session archives the last chunk and opens no new one.
 *    rec_session_stop therefore removes the schedules, stops, then rotates
 *    once (retrying while a rotation is pending).
 *  - Destroying a session that was rotated at least once and still has an
 *    open chunk performs an implicit final rotation (lttng_destroy_session_ext
 *    reports it); a session that was never rotated is flushed by a "quiet"
 *    rotation that archives nothing and sends no notification.  After
 *    rec_session_stop there is no open chunk, so destroy produces no chunk.
 *    Destroying without stopping leaves that final chunk on disk, unreported.
 *
 * Buffers and loss (lttng-enable-channel(1), lttng-concepts(7)):
 *  - subbuf_size and num_subbuf are per ring buffer; with per-UID buffers
 *    there is one ring buffer per CPU, per user and per bitness, shared by all
 *    of that user's traced processes: memory = ncpu x subbuf_size x
 *    num_subbuf.  Both must be powers of two (subbuf_size >= the page size,
 *    num_subbuf >= 2).  The default 8 x 4 MiB keeps discard mode loss-free at
 *    millions of events per second on this project's machines.
 *  - Discard mode: when the ring buffer is full, a new event is dropped and
 *    counted (rec_session_discarded, and discarded-events records in the
 *    stream).  `lossless` sets a blocking timeout on the channel
 *    (lttng_channel_set_blocking_timeout, microseconds, stored as
 *    milliseconds by LTTng-UST and limited to INT32_MAX ms): an emitting
 *    thread that finds the buffer full then waits up to that long for the
 *    consumer to free a sub-buffer before dropping the event.  It applies only
 *    to programs started with LTTNG_UST_ALLOW_BLOCKING (any value, e.g. 1)
 *    in their environment (the caller sets it; programs without it keep
 *    discarding, and LTTng-UST ignores it in setuid/setgid programs).  It is
 *    never infinite here: an infinite timeout hangs the traced program if the
 *    consumer daemon dies.  The unit test measures both sides: with 4 KiB x 2
 *    buffers a 5000-event burst loses nothing with the variable set and
 *    loses events without it.
 *  - The discarded count (lttng_channel_get_discarded_event_count, summed by
 *    the session daemon over the per-UID ring buffers) equals what
 *    `lttng list SESSION` prints once the session is stopped, and recorded +
 *    discarded = emitted for a tracked process.  With per-UID buffers every
 *    process of the same user that emits weft events shares the channel:
 *    without a vpid tracker its events (and losses) count too.
 */
#ifndef WEFT_DAEMON_SESSION_H
#define WEFT_DAEMON_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Zero means "default" for every field. */
struct rec_opts {
	const char *name;            /* session name; default "weft-<pid>-<unix time>" */
	const char *output_dir;      /* absolute local output directory; or */
	const char *relayd_url;      /* net://host[:ctrl[:data]][/path]: stream to a relayd;
				      * neither: LTTng's default $LTTNG_HOME/lttng-traces/ */
	int64_t rotate_period_us;    /* periodic rotation; default 1 s; < 0: none */
	uint64_t rotate_size;        /* rotate when this many bytes were flushed (checked
				      * every monitor-timer period, 1 s); 0: none */
	bool lossless;               /* blocking channel (see above) */
	int64_t blocking_timeout_us; /* with lossless; default 1 s; never infinite */
	uint64_t subbuf_size;        /* bytes, power of two; default 4 MiB */
	uint64_t num_subbuf;         /* power of two; default 8 */
	int32_t track_vpid;          /* > 0: record only this vpid (vpid tracker) */
};

struct rec_session;

#define REC_CHANNEL_NAME "weft"

/* Makes sure a session daemon this process may use is reachable: returns 0
 * at once if it is, else starts `lttng-sessiond --daemonize` from PATH and
 * waits (at most 10 s) until it answers.  Errors: -ENOENT (lttng-sessiond not
 * found), -EACCES (not allowed to start or reach it; the message says whether
 * the user is root or in the "tracing" group), -EIO (it exited with an
 * error), -ETIMEDOUT (started but never reachable). */
int rec_sessiond_ensure(char *err, size_t errlen);

/* Creates the session, its channel, contexts, events, tracker, rotation
 * schedules and the rotation notification subscription.  Does not start it.
 * On failure nothing is left behind (a partly created session is destroyed)
 * and *out is NULL.  Errors: -EINVAL (bad option, malformed relayd URL),
 * -EEXIST (a session of that name exists), -ECONNREFUSED (no session daemon),
 * -EHOSTUNREACH or -ETIMEDOUT (nothing answers at the relayd URL's control
 * port: probed with a 2 s TCP connect before anything is created), -EACCES,
 * -ENOMEM, -EIO. */
int rec_session_create(const struct rec_opts *o, struct rec_session **out, char *err,
		       size_t errlen);

/* Starts (or, after rec_session_stop, restarts) recording.  Processes that
 * registered with the session daemon earlier are traced from now on; each
 * gets an lttng_ust_statedump:start event, which marks the process instance
 * (vpid, procname, time) so that a reused pid is told apart. */
int rec_session_start(struct rec_session *s);

/* Waits up to timeout_ms (0: just poll) for the next completed rotation of
 * this session, then copies the archived chunk's path into path (absolute for
 * a local session, relative to the relayd's output directory otherwise) and
 * its id into *rotation_id.  Chunks come in rotation order, each once.
 * Returns 0, -ETIMEDOUT, -ENODATA once the chunk of the final rotation done
 * by rec_session_stop has been handed out, -ENAMETOOLONG (path too small; the
 * chunk is skipped), -ENOBUFS (the session daemon dropped notifications
 * because they were not read in time: chunks may have been missed; the
 * archives/ directory still holds them), or another negative errno. */
int rec_session_next_chunk(struct rec_session *s, int timeout_ms, char *path,
			   size_t pathlen, uint64_t *rotation_id);

/* Asks for a rotation now (retrying for up to 5 s while one is pending); its
 * chunk comes through rec_session_next_chunk.  -EBUSY if one stays pending,
 * -EINVAL before the first start, -EALREADY when stopped and already rotated
 * since (as after rec_session_stop) until the next start. */
int rec_session_rotate_now(struct rec_session *s);

/* Removes the rotation schedules, stops tracing, waits (bounded) until all
 * recorded data is written, then rotates so that everything recorded is in an
 * archived chunk, and waits (bounded) for that rotation to complete.  Keep
 * calling rec_session_next_chunk until it returns -ENODATA.  A later
 * rec_session_start puts the schedules back and records on. */
int rec_session_stop(struct rec_session *s);

/* Events dropped because the channel's buffers were full, and packets lost
 * (overwrite mode only; 0 here), summed over all CPUs and users so far. */
int rec_session_discarded(struct rec_session *s, uint64_t *events, uint64_t *packets);

/* Destroys the LTTng session (waiting at most 10 s), unregisters the trigger
 * and frees everything.  Archived chunks stay on disk.  NULL is a no-op. */
void rec_session_destroy(struct rec_session *s);

/* Destroys a session this process did not create — one left behind by a
 * recorder that died — and removes its rotation trigger.  Destroying runs the
 * session's final rotation, so its last chunk lands in archives/ too. */
int rec_session_destroy_orphan(const char *name, char *err, size_t errlen);
/* A live process the session records (its UST vpid tracker's include set),
 * 0 if none: a session whose recorder died still records that program, so
 * it is reaped only once the program is gone too, with nothing lost. */
pid_t rec_session_tracked_alive(const char *name);

const char *rec_session_name(const struct rec_session *s);

/* The message of the last failed call on s ("" if none). */
const char *rec_session_error(const struct rec_session *s);

#endif /* WEFT_DAEMON_SESSION_H */
