/*
 * The recording loop; see recorder.h.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <lttng/lttng.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"
#include "recorder.h"
#include "report.h"

/*
 * Sessions named weft-<pid>-<time> whose weft process is gone were left by a
 * recorder that was killed: they would record forever.  Destroy them (their
 * final rotation archives the last chunk) and say where their trace is, so
 * that `weft import` can complete that recording.  A session whose traced
 * program still runs is left recording it (destroying it would lose the
 * rest of that program's events); the first weft to start after the
 * program exits reaps it.
 */
static void reap_orphans(const char *cmd)
{
	struct lttng_session *sessions = NULL;
	int n = lttng_list_sessions(&sessions);
	char err[512];

	for (int i = 0; i < n; i++) {
		int pid;
		long long t;
		char tail;

		pid_t traced;

		if (sscanf(sessions[i].name, "weft-%d-%lld%c", &pid, &t, &tail) != 2 || pid <= 0 ||
		    pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		traced = rec_session_tracked_alive(sessions[i].name);
		if (traced) {
			fprintf(stderr, "weft %s: session %s, left by a weft process that died, "
					"still records pid %d; it is destroyed once that program "
					"exits (its trace is in %s)\n",
				cmd, sessions[i].name, (int)traced, sessions[i].path);
			continue;
		}
		if (rec_session_destroy_orphan(sessions[i].name, err, sizeof err) == 0)
			fprintf(stderr, "weft %s: destroyed session %s left by a weft process that "
					"died; its trace is in %s (weft import %s)\n",
				cmd, sessions[i].name, sessions[i].path, sessions[i].path);
		else
			fprintf(stderr, "weft %s: %s\n", cmd, err);
	}
	free(sessions);
}

static int64_t wall_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int recorder_start(struct recorder *r, const struct recorder_opts *o)
{
	struct rec_opts ro = { 0 };
	char err[1024], name[128];
	int rc;

	memset(r, 0, sizeof(*r));
	r->o = *o;
	r->t0_ns = progress_now_ns();
	r->t0_wall_ns = wall_now_ns();
	r->store_existed = access(o->out, F_OK) == 0;
	rc = store_open(o->out, STORE_CREATE, &r->st, err, sizeof err);
	if (rc) {
		cli_error(o->cmd, "%s", err);
		return rc;
	}
	rc = rec_sessiond_ensure(err, sizeof err);
	if (rc) {
		cli_error(o->cmd, "%s", err);
		return rc;
	}
	reap_orphans(o->cmd);
	snprintf(r->base, sizeof r->base, "%s/weft-rec.XXXXXX",
		 getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(r->base)) {
		rc = -errno;
		cli_error(o->cmd, "Cannot create trace directory: %s: path=%s", strerror(errno),
			  r->base);
		r->base[0] = '\0';
		return rc;
	}
	snprintf(name, sizeof name, "weft-%d-%lld", (int)getpid(), (long long)time(NULL));
	if (cli_pathf(r->trace_dir, sizeof r->trace_dir, "%s/%s", r->base, name)) {
		cli_error(o->cmd, "Cannot create trace directory: path too long: path=%s", r->base);
		return -ENAMETOOLONG;
	}
	ro.name = name;
	ro.output_dir = r->trace_dir;
	ro.rotate_period_us = o->rotate_us;
	ro.lossless = o->lossless;
	ro.track_vpid = o->track_vpid;
	ro.subbuf_size = o->subbuf_size;
	ro.num_subbuf = o->num_subbuf;
	rc = rec_session_create(&ro, &r->s, err, sizeof err);
	if (rc) {
		cli_error(o->cmd, "%s", err);
		return rc;
	}
	rc = rec_session_start(r->s);
	if (rc)
		cli_error(o->cmd, "%s", rec_session_error(r->s));
	return rc;
}

static const char *chunk_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Brings this recording's findings up to date: after every stored chunk
 * (live: a condition is reported once it has held for its persistence time
 * by the last stored event) and once more at the end (final). */
static void detect(struct recorder *r, bool final)
{
	struct detect_opts o = { .cfg = r->o.detect, .session = r->session_id, .final = final };
	char err[1024];

	if (!r->o.detect || !r->session_id || r->detect_failed)
		return;
	if (detect_run_paced(&r->pacer, r->st, &o, err, sizeof err) < 0) {
		/* The recording goes on: its data is in the store, and weft
		 * report can analyse it later. */
		cli_error(r->o.cmd, "%s (the recording goes on; run weft report %s later)", err,
			  r->o.out);
		r->detect_failed = true;
	}
}

static int ingest_one(struct recorder *r, const char *path)
{
	struct ingest_opts io = { 0 };
	struct ingest_report rep;
	char err[1024];
	int rc;

	io.session_id = r->session_id;
	io.session_name = rec_session_name(r->s);
	io.chunk_id = chunk_name(path);
	rc = ingest_chunk(r->st, path, &io, &rep, err, sizeof err);
	if (rc == 0 && rep.empty) {
		/* No trace, or only other applications' (ingest.h): nothing to
		 * keep. */
		cli_rm_rf(path);
		return 0;
	}
	if (rc) {
		/* Keep the chunk on disk; the summary says where. */
		cli_error(r->o.cmd, "%s", err);
		r->failed_chunks++;
		return 0;
	}
	r->session_id = rep.session_id;
	r->events += rep.written;
	r->chunks += !rep.skipped;
	if (!rep.skipped) { /* its loss is in table loss: the summary reads it there */
		r->trace_loss_unknown += rep.inexact;
		r->truncated_strings += rep.dec.truncated_strings;
	}
	if (!r->o.keep_trace)
		cli_rm_rf(path);
	if (!rep.skipped)
		detect(r, false);
	return 0;
}

int recorder_poll(struct recorder *r, int timeout_ms)
{
	char path[PATH_MAX];
	uint64_t id;
	int rc;

	for (;;) {
		rc = rec_session_next_chunk(r->s, timeout_ms, path, sizeof path, &id);
		if (rc == -ETIMEDOUT || rc == -ENODATA)
			return 0;
		if (rc == -ENOBUFS) {
			/* Notifications were dropped; the chunks are still on disk and
			 * are picked up from archives/ at the end. */
			continue;
		}
		if (rc) {
			cli_error(r->o.cmd, "%s", rec_session_error(r->s));
			return rc;
		}
		/* One chunk per call: the caller checks on the program in between,
		 * even when chunks complete faster than they are ingested. */
		return ingest_one(r, path);
	}
}

/* Ingests chunks left in archives/ that no notification announced. */
static void sweep_archives(struct recorder *r)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent **names = NULL;
	int n;

	if (cli_pathf(dir, sizeof dir, "%s/archives", r->trace_dir))
		return;
	n = scandir(dir, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' &&
		    cli_pathf(path, sizeof path, "%s/%s", dir, names[i]->d_name) == 0)
			ingest_one(r, path);
		free(names[i]);
	}
	free(names);
}

int recorder_finish(struct recorder *r)
{
	char path[PATH_MAX];
	uint64_t id, ev = 0, pk = 0;
	int64_t stop_ns;
	int rc, erc;

	rc = rec_session_stop(r->s);
	if (rc)
		cli_error(r->o.cmd, "%s", rec_session_error(r->s));
	stop_ns = wall_now_ns();
	if (rec_session_discarded(r->s, &ev, &pk) == 0) {
		r->lttng_discarded_events = ev;
		r->lttng_lost_packets = pk;
	}
	for (;;) {
		int nrc = rec_session_next_chunk(r->s, 5000, path, sizeof path, &id);
		if (nrc == -ENOBUFS)
			continue;
		if (nrc)
			break;
		ingest_one(r, path);
	}
	sweep_archives(r);
	/* The recording ends here, also when nothing was traced (then the
	 * store gets the session row it would otherwise lack): end_ns tells
	 * a finished recording from one still running (NULL). */
	if (!r->session_id) {
		char host[256] = "";

		gethostname(host, sizeof host - 1);
		if (store_session_begin(r->st, host, rec_session_name(r->s), r->t0_wall_ns,
					&r->session_id))
			cli_error(r->o.cmd, "%s", store_errmsg(r->st));
	}
	erc = r->session_id ? store_session_end(r->st, r->session_id, stop_ns,
						(int64_t)r->lttng_discarded_events,
						(int64_t)r->lttng_lost_packets)
			    : 0;
	if (erc) {
		cli_error(r->o.cmd, "%s", store_errmsg(r->st));
		rc = rc ? rc : erc;
	}
	if (!rc)
		detect(r, true);
	return rc;
}

static int64_t count(struct recorder *r, const char *sql)
{
	sqlite3_stmt *stmt = NULL;
	int64_t v = -1;

	if (sqlite3_prepare_v2(store_db(r->st), sql, -1, &stmt, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(stmt, 1, r->session_id);
		if (sqlite3_step(stmt) == SQLITE_ROW)
			v = sqlite3_column_int64(stmt, 0);
	}
	sqlite3_finalize(stmt);
	return v;
}

void recorder_summary(struct recorder *r)
{
	double secs = (double)(progress_now_ns() - r->t0_ns) / 1e9;
	struct stat sb;
	int64_t tasks = count(r, "SELECT count(*) FROM tasks t JOIN processes p ON "
				 "t.process = p.id WHERE p.session = ?1");
	int64_t procs = count(r, "SELECT count(*) FROM processes WHERE session = ?1");
	int64_t failed = count(r, "SELECT count(*) FROM tasks t JOIN processes p ON "
				  "t.process = p.id WHERE p.session = ?1 AND t.status = 1");

	/* From the store, not summed per chunk: a chunk ingested late (from
	 * archives/, after a dropped notification) corrects its successor's. */
	int64_t disc = count(r, "SELECT coalesce(sum(count), 0) FROM loss WHERE session = ?1 "
				"AND kind = 0");
	int64_t lost = count(r, "SELECT coalesce(sum(count), 0) FROM loss WHERE session = ?1 "
				"AND kind = 1");

	r->trace_discarded_events = disc > 0 ? (uint64_t)disc : 0;
	r->trace_discarded_packets = lost > 0 ? (uint64_t)lost : 0;

	printf("weft %s: %llu events, %lld task%s (%lld failed) from %lld process%s in %llu "
	       "chunk%s, %.1f s\n",
	       r->o.cmd, (unsigned long long)r->events, (long long)tasks, tasks == 1 ? "" : "s",
	       (long long)failed,
	       (long long)procs, procs == 1 ? "" : "es", (unsigned long long)r->chunks,
	       r->chunks == 1 ? "" : "s", secs);
	if (r->lttng_discarded_events || r->trace_discarded_events ||
	    r->trace_discarded_packets || r->lttng_lost_packets || r->trace_loss_unknown)
		printf("weft %s: LOSS: LTTng discarded %llu events and lost %llu packets; "
		       "table loss holds %llu discarded events, %llu lost packets%s; use "
		       "--lossless or bigger buffers\n",
		       r->o.cmd, (unsigned long long)r->lttng_discarded_events,
		       (unsigned long long)r->lttng_lost_packets,
		       (unsigned long long)r->trace_discarded_events,
		       (unsigned long long)r->trace_discarded_packets,
		       r->trace_loss_unknown ? " (some as lower bounds)" : "");
	else
		printf("weft %s: loss: none (LTTng reports 0 discarded events)\n", r->o.cmd);
	if (r->truncated_strings)
		printf("weft %s: TRUNCATED: %llu string%s longer than %d bytes were cut to %d "
		       "(the program does not bound its strings as libweft does; table chunks, "
		       "column truncated_strings)\n",
		       r->o.cmd, (unsigned long long)r->truncated_strings,
		       r->truncated_strings == 1 ? "" : "s", DECODE_STR_MAX, DECODE_STR_MAX);
	if (stat(r->o.out, &sb) == 0) {
		/* until the store is closed most of it may still be in the WAL */
		double bytes = (double)sb.st_size;
		char wal[4096];
		if (cli_pathf(wal, sizeof wal, "%s-wal", r->o.out) == 0 && stat(wal, &sb) == 0)
			bytes += (double)sb.st_size;
		printf("weft %s: store %s (%.1f MB)\n", r->o.cmd, r->o.out, bytes / 1e6);
	}
	if (r->o.detect && !r->detect_failed && r->session_id) {
		struct report_opts ro = { .format = REPORT_TEXT, .fail_on = -1, .brief = true,
					  .session = r->session_id, .store_path = r->o.out };
		struct report_result res;

		fflush(stdout);
		if (report_print(r->st, stdout, &ro, &res, r->o.cmd) == 0)
			printf("weft %s: %u finding%s (%u error, %u warning, %u info)%s\n", r->o.cmd,
			       res.total, res.total == 1 ? "" : "s",
			       res.by_severity[STORE_SEVERITY_ERROR],
			       res.by_severity[STORE_SEVERITY_WARNING],
			       res.by_severity[STORE_SEVERITY_INFO],
			       res.total ? "; details: weft report" : "");
	}
}

void recorder_free(struct recorder *r)
{
	rec_session_destroy(r->s);
	r->s = NULL;
	store_close(r->st);
	r->st = NULL;
	if (!r->ok && !r->store_existed && r->o.out)
		cli_remove_store(r->o.out);
	if (r->base[0]) {
		if (r->o.keep_trace)
			printf("weft %s: trace kept in %s\n", r->o.cmd, r->trace_dir);
		else if (r->failed_chunks)
			fprintf(stderr, "weft %s: %llu chunk%s could not be stored and stay in %s "
					"(retry with: weft import %s -o %s)\n",
				r->o.cmd, (unsigned long long)r->failed_chunks,
				r->failed_chunks == 1 ? "" : "s", r->trace_dir, r->trace_dir,
				r->o.out);
		else
			cli_rm_rf(r->base);
	}
}
