/*
 * `weft import CTF_DIR [-o FILE]`: ingests an existing LTTng trace directory
 * (a session's output, or one archived rotation chunk) into a trace store, one
 * transaction per chunk.  What the store holds already (known by content, see
 * daemon/ingest.h) is skipped, and said so.  Refuses traces with no weft
 * events.  A store that did not exist before is removed again when the import
 * fails: no partial file.
 */
#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "ingest.h"
#include "progress.h"

static void on_progress(void *arg, const struct ingest_progress *p)
{
	progress_update(arg, p->events, p->ts_ns);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s && s[1] ? s + 1 : path;
}

/* The archived chunks of a rotated recording (DIR/archives/<chunk>), sorted
 * (chunk names start with their begin time).  Returns how many, 0 if DIR has
 * no archives/ (a plain trace), or -errno. */
static int list_chunks(const char *dir, char ***out)
{
	char adir[4096], path[4096];
	struct dirent **names = NULL;
	char **v = NULL;
	int n, k = 0;

	*out = NULL;
	if (cli_pathf(adir, sizeof adir, "%s/archives", dir))
		return -ENAMETOOLONG;
	n = scandir(adir, &names, NULL, alphasort);
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	v = calloc((size_t)n + 1, sizeof(*v));
	for (int i = 0; i < n; i++) {
		if (v && names[i]->d_name[0] != '.' &&
		    cli_pathf(path, sizeof path, "%s/%s", adir, names[i]->d_name) == 0)
			v[k++] = strdup(path);
		free(names[i]);
	}
	free(names);
	if (!v)
		return -ENOMEM;
	for (int i = 0; i < k; i++)
		if (!v[i]) {
			for (int j = 0; j < k; j++)
				free(v[j]);
			free(v);
			return -ENOMEM;
		}
	*out = v;
	return k;
}

/* 1 if path is DIR/archives/CHUNK (an archive of a rotated recording); then
 * session gets DIR's name. */
static int archive_of(const char *path, char *session, size_t len)
{
	const char *end = strrchr(path, '/'), *b;

	if (!end || end - path < 10 || strncmp(end - 9, "/archives", 9) != 0)
		return 0;
	end -= 9;
	for (b = end; b > path && b[-1] != '/'; b--)
		;
	if (b == end)
		return 0;
	snprintf(session, len, "%.*s", (int)(end - b), b);
	return 1;
}

/* "host/name" of a store session, for messages. */
static const char *session_label(struct store *st, int64_t id, char *buf, size_t len)
{
	sqlite3_stmt *s = NULL;

	snprintf(buf, len, "%lld", (long long)id);
	if (sqlite3_prepare_v2(store_db(st), "SELECT host, name FROM sessions WHERE id = ?1",
			       -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, id);
		if (sqlite3_step(s) == SQLITE_ROW)
			snprintf(buf, len, "%s/%s", (const char *)sqlite3_column_text(s, 0),
				 (const char *)sqlite3_column_text(s, 1));
	}
	sqlite3_finalize(s);
	return buf;
}

static int import_exec(int argc, char **argv)
{
	const char *out = "weft.db", *dir = NULL;
	struct progress prog;
	struct store *st = NULL;
	char err[1024], real[4096], host[256] = "";
	char **chunks = NULL;
	struct stat sb;
	int existed, rc, n = 0, empty = 0, skipped = 0, status = EXIT_FAIL;
	uint64_t written = 0, other = 0, disc_ev = 0, disc_pk = 0, inexact = 0;
	int indexed = 1;
	char stored_as[256] = "", sname[256] = "";
	uint64_t cut = 0;
	uint32_t traces = 0;
	int64_t t0, session_id = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
			if (++i == argc) {
				cli_error("import", "Cannot import: -o needs a file name");
				return EXIT_USAGE;
			}
			out = argv[i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			cli_error("import", "Cannot import: unknown option: option=%s", argv[i]);
			return EXIT_USAGE;
		} else if (!dir) {
			dir = argv[i];
		} else {
			cli_error("import", "Cannot import: more than one trace directory: extra=%s",
				  argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!dir) {
		cli_error("import", "Cannot import: no trace directory given (weft import CTF_DIR)");
		return EXIT_USAGE;
	}
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		cli_error("import", "Cannot import: %s: path=%s",
			  errno == ENOENT ? "no such directory" : "not a directory", dir);
		return EXIT_FAIL;
	}
	if (!realpath(dir, real))
		snprintf(real, sizeof real, "%s", dir);

	existed = access(out, F_OK) == 0;
	rc = store_open(out, STORE_CREATE, &st, err, sizeof err);
	if (rc) {
		cli_error("import", "%s", err);
		goto out;
	}
	n = list_chunks(real, &chunks);
	if (n < 0) {
		cli_error("import", "Cannot import: cannot list archives: %s: path=%s",
			  strerror(-n), real);
		goto out;
	}
	progress_init(&prog, "importing");
	if (prog.tty)
		decode_time_range(real, &prog.range_begin, &prog.range_end);
	t0 = progress_now_ns();
	for (int c = 0; c < (n ? n : 1); c++) {
		const char *path = n ? chunks[c] : real;
		struct ingest_opts io = { 0 };
		struct ingest_report rep;

		/* A rotated recording: one store chunk per archive, named like
		 * `weft record` names them, so an interrupted recording can be
		 * completed by importing its directory. */
		io.session_id = session_id;
		io.session_name = n ? base_name(real) : NULL;
		io.chunk_id = n ? base_name(path) : real;
		if (!n && archive_of(real, sname, sizeof sname)) {
			/* One archive of a rotated recording: named as importing the
			 * whole recording names it (the content decides anyway). */
			io.session_name = sname;
			io.chunk_id = base_name(real);
		}
		io.progress = on_progress;
		io.progress_arg = &prog;
		rc = ingest_chunk(st, path, &io, &rep, err, sizeof err);
		if (rc == 0 && rep.empty) {
			if (!n) { /* the one trace given has nothing of weft's */
				progress_done(&prog);
				cli_error("import", "%s", err);
				goto out;
			}
			empty++; /* an archive with no weft trace in it */
			continue;
		}
		if (rc) {
			progress_done(&prog);
			cli_error("import", "%s", err);
			goto out;
		}
		session_id = rep.session_id;
		skipped += rep.skipped;
		if (rep.skipped) {
			snprintf(stored_as, sizeof stored_as, "%s", rep.stored_as);
			continue;
		}
		written += rep.written;
		other += rep.dec.other_events;
		traces += rep.dec.traces;
		disc_ev += rep.discarded_events;
		disc_pk += rep.lost_packets;
		inexact += rep.inexact;
		indexed &= rep.indexed;
		cut += rep.dec.truncated_strings;
		snprintf(host, sizeof host, "%s", rep.dec.hostname);
	}
	progress_done(&prog);
	if (n && empty == n) {
		cli_error("import", "Cannot import: not a weft trace: no weft events in any of "
				    "the %d archives: path=%s", n, real);
		goto out;
	}
	/* The import is the end of that recording: at its last event. */
	if (session_id && (rc = store_session_end(st, session_id, 0, -1, -1)) != 0) {
		cli_error("import", "%s", store_errmsg(st));
		goto out;
	}
	if (skipped == (n ? n - empty : 1)) {
		char where[600] = "";

		if (skipped == 1)
			snprintf(where, sizeof where, " (chunk %s of session %s)", stored_as,
				 session_label(st, session_id, sname, sizeof sname));
		else
			snprintf(where, sizeof where, " (%d chunks, session %s)", skipped,
				 session_label(st, session_id, sname, sizeof sname));
		printf("weft import: already in the store: %s%s: nothing to do\n", dir, where);
		status = EXIT_OK;
		goto out;
	}
	{
		double secs = (double)(progress_now_ns() - t0) / 1e9;
		printf("weft import: %llu weft events (%llu other) from %u trace%s of host '%s' "
		       "into %s in %.2f s (%.0f events/s)\n",
		       (unsigned long long)written, (unsigned long long)other, traces,
		       traces == 1 ? "" : "s", host, out, secs,
		       secs > 0 ? (double)written / secs : 0);
		if (skipped)
			printf("weft import: %d chunk%s already in the store, skipped\n", skipped,
			       skipped == 1 ? " was" : "s were");
		if (disc_ev || disc_pk || inexact)
			printf("weft import: LOSS: %llu discarded events, %llu lost packets%s "
			       "(see table loss)\n",
			       (unsigned long long)disc_ev, (unsigned long long)disc_pk,
			       !indexed ? ", as babeltrace2 reports them (no CTF index: not exact)"
			       : inexact ? ", at least: earlier packets of some streams are not in "
					   "the store"
					 : "");
		else
			printf("weft import: no loss reported by the trace\n");
		if (cut)
			printf("weft import: TRUNCATED: %llu string%s longer than %d bytes were cut "
			       "to %d (table chunks, column truncated_strings)\n",
			       (unsigned long long)cut, cut == 1 ? "" : "s", DECODE_STR_MAX,
			       DECODE_STR_MAX);
	}
	status = EXIT_OK;
out:
	for (int c = 0; c < n; c++)
		free(chunks[c]);
	free(chunks);
	store_close(st);
	if (status != EXIT_OK && !existed)
		cli_remove_store(out);
	return status;
}

const struct cmd_entry cmd_import_entry = {
	.name = "import",
	.usage = "CTF_DIR [-o FILE]",
	.summary = "Ingest an existing LTTng trace directory into a trace store.",
	.help = "CTF_DIR is an LTTng trace output directory or one archived rotation chunk\n"
		"(every ust/uid/<uid>/<bits>-bit trace under it is read, merged by time).\n"
		"Each chunk is one transaction: it is either all in the store or not at all.\n"
		"A chunk is known by its content (each stream's packets, from LTTng's CTF\n"
		"packet index), not its path: importing data the store already holds -- the\n"
		"same directory again, a copy, a chunk `weft record` stored -- prints\n"
		"\"already in the store\" and exits 0; a chunk that shares only some packets\n"
		"with the store is refused.  Traces without weft events are refused.  Loss\n"
		"(discarded events, lost packets) is stored, exactly, and printed.\n\n"
		"Options:\n"
		"  -o, --output FILE   the trace store to write (default: weft.db); created if\n"
		"                      missing, removed again if the import fails\n",
	.exec = import_exec,
};
