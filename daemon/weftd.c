/*
 * weftd — the many-hosts ingest daemon (DESIGN.md section 5).
 *
 * Each traced host runs its own lttng-sessiond and streams its weft session
 * to one lttng-relayd (LTTng's own transport); the relayd files every
 * completed rotation under BASE/HOST/SESSION-DATETIME/archives/CHUNK/.
 * weftd polls BASE (weftd-scan.c), ingests each completed chunk into one
 * trace store with ingest_chunk() (daemon/ingest.h: one transaction per
 * chunk, idempotent by (session, chunk id)), and deletes it.  Every host's
 * session becomes its own store session (HOST, SESSION-DATETIME), so the
 * processes of different hosts stay apart even when their pids collide.
 *
 * Polling, not inotify: chunks arrive at most once per rotation period per
 * session (about 1 s), and a scan costs a few readdir() calls per session.
 * inotify would need a watch on every host, session and archives directory,
 * each created at run time (so a rescan is needed after adding a watch
 * anyway), it does not see changes on network file systems, and its watch
 * count is limited per user.  Polling every 500 ms adds at most half a
 * second to the rotation period's latency.
 *
 * Failure policy: a chunk that cannot be decoded (corrupt, truncated) is
 * reported once, left in place and skipped, and the session's
 * later chunks go on.  A failure that may pass (store I/O, memory) is
 * retried with a growing delay, holding back that session's later chunks to
 * keep their order, and given up (left in place) after RETRY_MAX attempts.
 * Nothing is ever deleted that is not committed in the store.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "detect.h"
#include "ingest.h"
#include "parse.h"
#include "sanitize.h"
#include "store.h"
#include "weftd-scan.h"
#include "weftd-state.h"

#define NS_PER_MS INT64_C(1000000)
#define NS_PER_S INT64_C(1000000000)
#define POLL_DEFAULT_NS (500 * NS_PER_MS)
#define RETRY_MAX 5                    /* attempts for a failure that may pass */
#define RETRY_FIRST_NS NS_PER_S        /* then doubled each time ... */
#define RETRY_CAP_NS (60 * NS_PER_S)   /* ... up to this */
#define END_QUIET_NS NS_PER_S          /* a session idle this long (and a poll) has ended */

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static const char usage_text[] =
	"usage: weftd --relayd-output BASE [-o FILE] [--poll DURATION] [--keep] [--once]\n"
	"             [--config FILE] [--no-detect]\n";

static const char help_text[] =
	"\n"
	"Ingest into one weft trace store the LTTng sessions that many hosts stream to\n"
	"an lttng-relayd.\n"
	"\n"
	"Every traced host runs its own lttng-sessiond with a session that streams to\n"
	"the relay daemon and has a rotation schedule (see docs/weftd.md):\n"
	"\n"
	"  lttng create NAME --set-url=net://RELAYD\n"
	"  lttng enable-channel -u --buffers-uid weft\n"
	"  lttng add-context -u -c weft -t vpid -t vtid -t procname\n"
	"  lttng enable-event -u -c weft 'weft:*,lttng_ust_statedump:start'\n"
	"  lttng enable-rotation --timer=1s\n"
	"  lttng start\n"
	"\n"
	"lttng-relayd (with its default --group-output-by-host) files each completed\n"
	"rotation of such a session as BASE/HOST/SESSION-DATETIME/archives/CHUNK/,\n"
	"renaming the whole chunk there at once when the rotation is complete.  weftd\n"
	"looks for such directories every --poll interval and ingests each one once,\n"
	"as one transaction, then deletes it:\n"
	"\n"
	"  - HOST, the host directory's name (the peer session daemon's hostname), and\n"
	"    SESSION-DATETIME (the directory's path below HOST) name the store session\n"
	"    (table sessions: host, name).  Different hosts are different sessions, so\n"
	"    their processes are kept apart even when pids collide.  If the trace's\n"
	"    own hostname differs from HOST, the chunk's log line says so; HOST wins\n"
	"    (it is also what empty chunks, which carry no hostname, are filed under).\n"
	"  - The chunk id is the archive directory's name, but a chunk is known by\n"
	"    its content (each stream's packets, from LTTng's CTF packet index): data\n"
	"    already in the store is never ingested again, however it got there (a\n"
	"    restart, or `weft import` of a copy); such a chunk is only removed.\n"
	"  - Each session's chunks go in rotation order; sessions take turns, so one\n"
	"    host's backlog does not hold up the others.\n"
	"  - A chunk with no trace in it (nothing registered during that rotation), or\n"
	"    with only other applications' traces (their statedump), is empty and\n"
	"    removed.  One that cannot be decoded (corrupt, truncated) is reported\n"
	"    once, left in place and skipped; later chunks go on.\n"
	"    A failure that may pass (writing the store) is retried after 1, 2, 4, 8 s\n"
	"    and the chunk is left in place after 5 attempts; restart weftd to retry.\n"
	"\n"
	"Options:\n"
	"  --relayd-output BASE  the relay daemon's output directory (lttng-relayd -o\n"
	"                        BASE); required.  One weftd per BASE (it takes a lock).\n"
	"  -o, --output FILE     the trace store to write (default: weft.db), created\n"
	"                        if missing; it may be read while weftd writes\n"
	"  --poll DURATION       how often to look for new chunks (default: 500ms;\n"
	"                        units ns, us, ms, s, m, h; a bare number is seconds)\n"
	"  --keep                keep ingested chunks on disk (default: delete each\n"
	"                        chunk once it is committed)\n"
	"  --once                process the chunks present now, then exit (for tests\n"
	"                        and cron)\n"
	"  --config FILE         detector settings (docs/detectors.md); the detectors\n"
	"                        run after each chunk and once a session has ended\n"
	"  --no-detect           do not run the detectors (weft report can, later)\n"
	"  -h, --help            print this help\n"
	"\n"
	"Output: one line per chunk on stdout,\n"
	"  weftd: HOST/SESSION CHUNK: N events, loss: none, T ms, removed\n"
	"and one line per error on stderr, \"weftd: Cannot ...: reason: key=value\".\n"
	"Names from the hosts are shown sanitised (control bytes escaped).\n"
	"\n"
	"Signals: SIGINT, SIGTERM or SIGHUP let the chunk being ingested finish (its\n"
	"transaction commits), then weftd exits 0.  A second signal exits at once; the\n"
	"chunk's open transaction is then rolled back, and it is ingested again on\n"
	"the next start.\n"
	"\n"
	"Exit status: 0 on a clean stop (with --once: every chunk was handled), 1 if\n"
	"the store or BASE cannot be used (with --once: also if a chunk failed), 2 on\n"
	"bad arguments.\n";

struct weftd {
	const char *base, *db;
	int64_t poll_ns;
	int keep, once;
	struct store *st;
	struct state state;
	uint64_t chunks, events, empty, failed;
	struct detect_config detect; /* the detectors' settings */
	struct detect_pacer pacer;   /* live runs: at most ~1/10 of the time */
	int no_detect;
};

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
	static const char msg[] =
		"weftd: second signal: exiting now, the open chunk is rolled back\n";

	if (stop_sig) {
		ssize_t r = write(STDERR_FILENO, msg, sizeof msg - 1);

		(void)r;
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	stop_sig = sig;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* Sleeps up to ns, returning early on a signal.  The signals are blocked
 * between the check of stop_sig and the wait, which unblocks them
 * atomically: a signal cannot slip in between and be slept through. */
static void weftd_sleep(int64_t ns)
{
	struct timespec ts = { (time_t)(ns / NS_PER_S), (long)(ns % NS_PER_S) };
	sigset_t block, old;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	if (!stop_sig)
		ppoll(NULL, 0, &ts, &old);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* Untrusted bytes (host and session names come from the peers) for a log. */
static const char *clean(const char *s, char *buf, size_t cap)
{
	sanitize(s, strlen(s), buf, cap, 0);
	return buf;
}

static void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_err(const char *fmt, ...)
{
	char line[4096], safe[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fflush(stdout);
	fprintf(stderr, "weftd: %s\n", clean(line, safe, sizeof safe));
	fflush(stderr);
}

static void log_chunk(const struct scan_chunk *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void log_chunk(const struct scan_chunk *c, const char *fmt, ...)
{
	char line[4096], safe[4096];
	va_list ap;
	int n;

	n = snprintf(line, sizeof line, "%s/%s %s: ", c->host, c->session, c->chunk);
	if (n > 0 && (size_t)n < sizeof line) {
		va_start(ap, fmt);
		vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
		va_end(ap);
	}
	printf("weftd: %s\n", clean(line, safe, sizeof safe));
	fflush(stdout);
}

static void on_scan_warning(void *arg, const char *msg)
{
	struct weftd *d = arg;
	char key[4200];
	struct state_entry *e;

	snprintf(key, sizeof key, "warning:%s", msg);
	e = state_lookup(&d->state, key, 1);
	if (e && e->kind == STATE_NOTE)
		return;
	if (e)
		e->kind = STATE_NOTE;
	log_err("%s", msg);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* Removes a chunk directory (symbolic links inside are removed, never
 * followed).  0 or -errno. */
static int remove_tree(const char *path)
{
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -errno;
}

/* The chunk is in the store: remove it unless --keep.  Returns the word
 * for the log line. */
static const char *weftd_dispose(struct weftd *d, const struct scan_chunk *c)
{
	int rc;

	if (d->keep)
		return "kept";
	rc = remove_tree(c->path);
	if (rc) {
		log_err("Cannot remove ingested chunk: %s: path=%s", strerror(-rc), c->path);
		return "not removed";
	}
	return "removed";
}

/* 1 and *id if the store has session (host, name), 0 if not, -EIO with a
 * message in err on error. */
static int weftd_find_session(struct weftd *d, const char *host, const char *name,
			      int64_t *id, char *err, size_t errlen)
{
	sqlite3 *db = store_db(d->st);
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "SELECT id FROM sessions WHERE host = ?1 AND name = ?2",
				-1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, host, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
	}
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		rc = 1;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		snprintf(err, errlen, "Cannot look up session: %s: path=%s", sqlite3_errmsg(db),
			 d->db);
		rc = -EIO;
	}
	sqlite3_finalize(s);
	return rc;
}

/* Failures of the chunk itself (it will not decode however often we try),
 * as opposed to failures of the store or of resources. */
static int chunk_fault(int rc)
{
	return rc == -EBADMSG || rc == -EPROTO || rc == -EXDEV ||
	       rc == -EEXIST || /* shares only some packets with the store */
	       rc == -ENOENT || rc == -ENOTDIR || rc == -ENAMETOOLONG;
}

static void weftd_log_ingested(const struct scan_chunk *c, const struct ingest_report *rep,
			       int64_t ns, const char *fate)
{
	char other[48] = "", loss[160] = "none", host[600] = "", cut[96] = "";

	if (rep->dec.other_events)
		snprintf(other, sizeof other, " (%llu other)",
			 (unsigned long long)rep->dec.other_events);
	if (rep->discarded_events || rep->lost_packets || rep->inexact)
		snprintf(loss, sizeof loss, "%llu discarded events, %llu lost packets%s",
			 (unsigned long long)rep->discarded_events,
			 (unsigned long long)rep->lost_packets,
			 !rep->indexed ? " (babeltrace2's count: no CTF index)"
			 : rep->inexact ? " (at least: earlier packets not in the store)" : "");
	if (rep->dec.hostname[0] && strcmp(rep->dec.hostname, c->host) != 0)
		snprintf(host, sizeof host, "; the trace says hostname '%s', filed under the "
			 "host directory's name", rep->dec.hostname);
	if (rep->dec.truncated_strings)
		snprintf(cut, sizeof cut, ", %llu string%s cut to %d bytes",
			 (unsigned long long)rep->dec.truncated_strings,
			 rep->dec.truncated_strings == 1 ? "" : "s", DECODE_STR_MAX);
	log_chunk(c, "%llu events%s, loss: %s%s, %lld ms, %s%s",
		  (unsigned long long)rep->written, other, loss, cut, (long long)(ns / NS_PER_MS),
		  fate, host);
}

/* Handles one chunk not handled before.  Returns 0 when the chunk is dealt
 * with (ingested, empty, or failed for good: e->kind says which), 1 when it
 * is to be retried later (the session's later chunks must wait). */
/* Brings a session's findings up to date (detect.h): live after each of its
 * chunks, final once the session ended.  A failure is logged; ingestion goes
 * on (weft report can analyse the store later). */
static void weftd_detect(struct weftd *d, int64_t session, bool final)
{
	struct detect_opts o = { .cfg = &d->detect, .session = session, .final = final };
	char err[1024];

	if (d->no_detect || !session)
		return;
	if (detect_run_paced(&d->pacer, d->st, &o, err, sizeof err) < 0)
		log_err("%s: path=%s", err, d->db);
}

static int weftd_chunk(struct weftd *d, const struct scan_chunk *c, struct state_entry *e)
{
	struct ingest_opts io = { 0 };
	struct ingest_report rep;
	char err[4096];
	int64_t sid = 0, t0;
	int rc;

	/* Committed before (a restart, a crash between commit and removal, or
	 * the same data imported by hand): ingest_chunk knows it by its
	 * content, from the packet indexes, without decoding anything. */
	rc = weftd_find_session(d, c->host, c->session, &sid, err, sizeof err);
	if (rc < 0)
		goto retry;

	io.session_id = sid;
	io.session_name = c->session;
	io.host = c->host;
	io.chunk_id = c->chunk;
	t0 = now_ns();
	rc = ingest_chunk(d->st, c->path, &io, &rep, err, sizeof err);
	if (rc == 0 && rep.empty) {
		/* No trace (no application registered during that rotation), or
		 * only other LTTng-UST applications' (their statedump): an empty
		 * chunk, as for the recorder (ingest.h decides for both). */
		d->empty++;
		if (rep.empty == INGEST_EMPTY_NO_TRACE)
			log_chunk(c, "empty (no trace in it), %s", weftd_dispose(d, c));
		else
			log_chunk(c, "empty (no weft trace in it: %llu other events), %s",
				  (unsigned long long)rep.dec.other_events, weftd_dispose(d, c));
		if (e)
			e->kind = STATE_DONE;
		return 0;
	}
	if (rc == 0) {
		d->chunks += !rep.skipped;
		d->events += rep.written;
		if (rep.skipped)
			log_chunk(c, "already in the store, %s", weftd_dispose(d, c));
		else
			weftd_log_ingested(c, &rep, now_ns() - t0, weftd_dispose(d, c));
		if (e)
			e->kind = STATE_DONE;
		if (!rep.skipped)
			weftd_detect(d, rep.session_id, false);
		return 0;
	}
	if (chunk_fault(rc)) {
		d->failed++;
		log_err("%s; chunk left in place and skipped", err);
		if (e)
			e->kind = STATE_FAILED;
		return 0;
	}
retry:
	if (d->once) { /* no next pass to retry in */
		d->failed++;
		log_err("%s; chunk left in place: path=%s", err, c->path);
		return 1;
	}
	if (!e) { /* nothing remembered (no memory): just try again next pass */
		log_err("%s; will retry: path=%s", err, c->path);
		return 1;
	}
	e->tries++;
	if (e->tries >= RETRY_MAX) {
		d->failed++;
		e->kind = STATE_FAILED;
		log_err("%s; gave up after %u attempts, chunk left in place: path=%s", err,
			e->tries, c->path);
		return 0;
	} else {
		int64_t delay = RETRY_FIRST_NS << (e->tries - 1);

		if (delay > RETRY_CAP_NS)
			delay = RETRY_CAP_NS;
		e->kind = STATE_RETRY;
		e->retry_at_ns = now_ns() + delay;
		log_err("%s; attempt %u of %d, retrying in %lld s: path=%s", err, e->tries,
			RETRY_MAX, (long long)(delay / NS_PER_S), c->path);
	}
	return 1;
}

/* A session whose chunk waits for a retry: its later chunks wait too. */
static int session_held(const struct scan_chunk *held, size_t nheld,
			const struct scan_chunk *c)
{
	for (size_t i = 0; i < nheld; i++)
		if (strcmp(held[i].host, c->host) == 0 && strcmp(held[i].session, c->session) == 0)
			return 1;
	return 0;
}

/* ---- the end of a session ----------------------------------------------- */

/* The END time of a chunk named BEGIN-END-ID (YYYYmmddTHHMMSS+hhmm each, as
 * lttng-relayd names archives), ns since the epoch; 0 if it does not parse. */
static int64_t chunk_end_ns(const char *name)
{
	struct tm tm;
	const char *p;
	time_t t;

	if (strlen(name) < 42 || name[20] != '-' || name[41] != '-')
		return 0;
	memset(&tm, 0, sizeof tm);
	p = strptime(name + 21, "%Y%m%dT%H%M%S%z", &tm);
	if (!p || *p != '-')
		return 0;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return 0;
	return ((int64_t)t - tm.tm_gmtoff) * NS_PER_S;
}

/* Ends store session (host, name): end_ns at the END of its latest chunk
 * (the rotation that `lttng destroy` made), and never before its last event
 * (store_session_end).  Returns 1 if ended now, 0 if there is nothing to
 * end (no such session, or ended before), < 0 on a store error (in err). */
static int weftd_end_session(struct weftd *d, const char *host, const char *name,
			     char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int64_t sid = 0, end = 0;
	int rc = weftd_find_session(d, host, name, &sid, err, errlen);

	if (rc != 1)
		return rc;
	rc = sqlite3_prepare_v2(store_db(d->st),
				"SELECT (SELECT end_ns FROM sessions WHERE id = ?1) IS NOT NULL, "
				"chunk FROM chunks WHERE session = ?1", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, sid);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			int64_t e = chunk_end_ns((const char *)sqlite3_column_text(s, 1));

			if (sqlite3_column_int(s, 0)) {
				rc = SQLITE_DONE;
				sid = 0; /* ended before (a restart) */
				break;
			}
			if (e > end)
				end = e;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "Cannot end session: %s: path=%s",
			 sqlite3_errmsg(store_db(d->st)), d->db);
		return -EIO;
	}
	if (!sid)
		return 0;
	rc = store_session_end(d->st, sid, end, -1, -1);
	if (rc) {
		snprintf(err, errlen, "%s", store_errmsg(d->st));
		return rc;
	}
	weftd_detect(d, sid, true);
	return 1;
}

/* After a pass: a session is over when its directory has no chunk being
 * written (scan_session.idle: `lttng destroy` archived the last one), every
 * chunk of it is handled, and (when watching) it stayed so for at least
 * END_QUIET_NS, so that a rotation caught mid-way cannot fool us; then its
 * end_ns is written, once. */
static void weftd_end_sessions(struct weftd *d, const struct scan_list *l)
{
	char key[8192], err[4096];

	for (size_t i = 0; i < l->ns && !stop_sig; i++) {
		const struct scan_session *ss = &l->s[i];
		struct state_entry *e;
		int pending = 0, rc;

		if (!ss->idle)
			continue;
		for (size_t j = 0; j < l->n && !pending; j++) {
			const struct state_entry *ce;

			if (strcmp(l->v[j].host, ss->host) != 0 ||
			    strcmp(l->v[j].session, ss->session) != 0)
				continue;
			ce = state_lookup(&d->state, l->v[j].path, 0);
			pending = !ce || (ce->kind != STATE_DONE && ce->kind != STATE_FAILED);
		}
		if (pending)
			continue;
		snprintf(key, sizeof key, "end:%s/%s", ss->host, ss->session);
		e = state_lookup(&d->state, key, 1);
		if (!e || e->kind == STATE_DONE)
			continue;
		if (!d->once) {
			if (e->kind != STATE_RETRY) { /* first seen idle */
				e->kind = STATE_RETRY;
				e->retry_at_ns = now_ns() + (d->poll_ns > END_QUIET_NS ? d->poll_ns
										: END_QUIET_NS);
				continue;
			}
			if (now_ns() < e->retry_at_ns)
				continue;
		}
		rc = weftd_end_session(d, ss->host, ss->session, err, sizeof err);
		if (rc < 0) {
			log_err("%s; will retry: host=%s session=%s", err, ss->host, ss->session);
			continue;
		}
		e->kind = STATE_DONE;
		if (rc == 1) {
			char line[600];

			snprintf(line, sizeof line, "%s/%s", ss->host, ss->session);
			printf("weftd: %s: session ended (no chunk being written, all chunks in)\n",
			       clean(line, key, sizeof key));
			fflush(stdout);
		}
	}
}

/* One scan and the chunks it found.  Returns 0, or -errno if BASE cannot be
 * read. */
static int weftd_pass(struct weftd *d)
{
	struct scan_list l = { 0 };
	struct scan_chunk *held = NULL;
	size_t nheld = 0;
	int rc;

	state_begin_pass(&d->state);
	rc = scan_base(d->base, &l, on_scan_warning, d);
	if (rc)
		goto out;
	held = calloc(l.n ? l.n : 1, sizeof(*held));
	if (!held) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < l.n && !stop_sig; i++) {
		struct scan_chunk *c = &l.v[i];
		struct state_entry *e = state_lookup(&d->state, c->path, 1);

		if (session_held(held, nheld, c))
			continue;
		if (e && (e->kind == STATE_DONE || e->kind == STATE_FAILED))
			continue;
		if (e && e->kind == STATE_RETRY && now_ns() < e->retry_at_ns) {
			held[nheld++] = *c;
			continue;
		}
		if (weftd_chunk(d, c, e) == 1)
			held[nheld++] = *c;
	}
	weftd_end_sessions(d, &l);
out:
	/* Only a complete pass may forget: an early stop has not looked
	 * everything up. */
	if (rc == 0 && !stop_sig)
		state_end_pass(&d->state);
	free(held);
	scan_free(&l);
	return rc;
}


/* Parses argv into d.  Returns -1 to go on, else the exit status. */
static int weftd_args(struct weftd *d, int argc, char **argv)
{
	enum { OPT_RELAYD = 256, OPT_POLL, OPT_KEEP, OPT_ONCE, OPT_CONFIG, OPT_NO_DETECT };
	static const struct option opts[] = {
		{ "relayd-output", required_argument, NULL, OPT_RELAYD },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "no-detect", no_argument, NULL, OPT_NO_DETECT },
		{ "output", required_argument, NULL, 'o' },
		{ "poll", required_argument, NULL, OPT_POLL },
		{ "keep", no_argument, NULL, OPT_KEEP },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_RELAYD:
			d->base = optarg;
			break;
		case 'o':
			d->db = optarg;
			break;
		case OPT_POLL:
			d->poll_ns = parse_duration(optarg);
			if (d->poll_ns < NS_PER_MS || d->poll_ns > 3600 * NS_PER_S) {
				fprintf(stderr, "weftd: Cannot start: --poll wants a duration from "
						"1ms to 1h: value=%s\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_KEEP:
			d->keep = 1;
			break;
		case OPT_ONCE:
			d->once = 1;
			break;
		case OPT_CONFIG: {
			char err[1024];

			if (detect_config_load(&d->detect, optarg, err, sizeof err) < 0) {
				fprintf(stderr, "weftd: %s\n", err);
				return EXIT_USAGE;
			}
			break;
		}
		case OPT_NO_DETECT:
			d->no_detect = 1;
			break;
		case 'h':
			printf("%s%s", usage_text, help_text);
			return EXIT_OK;
		case ':':
			fprintf(stderr, "weftd: Cannot start: option needs a value: option=%s\n%s",
				argv[optind - 1], usage_text);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "weftd: Cannot start: unknown option: option=%s\n%s",
				argv[optind - 1], usage_text);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "weftd: Cannot start: unexpected argument: argument=%s\n%s",
			argv[optind], usage_text);
		return EXIT_USAGE;
	}
	if (!d->base || !*d->base) {
		fprintf(stderr, "weftd: Cannot start: --relayd-output BASE is required\n%s",
			usage_text);
		return EXIT_USAGE;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct weftd d = { .db = "weft.db", .poll_ns = POLL_DEFAULT_NS };
	struct sigaction sa;
	struct stat sb;
	char err[1024], safe[1024];
	int status, rc, lock_fd = -1;

	detect_config_init(&d.detect);
	status = weftd_args(&d, argc, argv);
	if (status >= 0) {
		detect_config_free(&d.detect);
		return status;
	}
	status = EXIT_FAIL;
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (stat(d.base, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		log_err("Cannot watch relayd output: %s: path=%s",
			errno == ENOENT ? "no such directory" : "not a directory", d.base);
		goto out;
	}
	/* Two weftd on one BASE would ingest and delete the same chunks. */
	lock_fd = open(d.base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
		log_err("Cannot watch relayd output: %s: path=%s",
			errno == EWOULDBLOCK ? "another weftd is using it" : strerror(errno),
			d.base);
		goto out;
	}
	rc = store_open(d.db, STORE_CREATE, &d.st, err, sizeof err);
	if (rc) {
		log_err("%s", err);
		goto out;
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	printf("weftd: %s %s into %s%s\n", d.once ? "ingesting" : "watching",
	       clean(d.base, safe, sizeof safe), d.db, d.keep ? ", keeping chunks" : "");
	for (;;) {
		rc = weftd_pass(&d);
		if (rc) {
			snprintf(err, sizeof err, "Cannot scan relayd output: %s: path=%s",
				 strerror(-rc), d.base);
			if (d.once) {
				log_err("%s", err);
				goto out;
			}
			on_scan_warning(&d, err); /* once, not every poll */
		}
		if (d.once || stop_sig)
			break;
		weftd_sleep(d.poll_ns);
		if (stop_sig)
			break;
	}
	printf("weftd: %s: %llu chunks ingested (%llu events), %llu empty, %llu failed\n",
	       stop_sig ? "stopped by signal" : "done", (unsigned long long)d.chunks,
	       (unsigned long long)d.events, (unsigned long long)d.empty,
	       (unsigned long long)d.failed);
	status = d.once && d.failed ? EXIT_FAIL : EXIT_OK;
out:
	store_close(d.st);
	state_free(&d.state);
	detect_config_free(&d.detect);
	if (lock_fd >= 0)
		close(lock_fd);
	return status;
}
