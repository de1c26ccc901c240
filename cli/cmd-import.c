/*
 * `weft import CTF_DIR [-o FILE]`: ingests an existing LTTng trace directory
 * (a session's output, or one archived rotation chunk) into a trace store, as
 * one transaction.  Refuses traces with no weft events.  A store that did not
 * exist before is removed again when the import fails: no partial file.
 */
#include <errno.h>
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

static int import_exec(int argc, char **argv)
{
	const char *out = "weft.db", *dir = NULL;
	struct ingest_report rep;
	struct ingest_opts io = { 0 };
	struct progress prog;
	struct store *st = NULL;
	char err[1024], real[4096];
	struct stat sb;
	int existed, rc, status = EXIT_FAIL;
	int64_t t0;

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
	progress_init(&prog, "importing");
	io.chunk_id = real;
	io.progress = on_progress;
	io.progress_arg = &prog;
	t0 = progress_now_ns();
	rc = ingest_chunk(st, dir, &io, &rep, err, sizeof err);
	progress_done(&prog);
	if (rc) {
		cli_error("import", "%s", err);
		goto out;
	}
	if (rep.skipped) {
		printf("weft import: %s is already in %s: nothing to do\n", dir, out);
		status = EXIT_OK;
		goto out;
	}
	{
		double secs = (double)(progress_now_ns() - t0) / 1e9;
		printf("weft import: %llu weft events (%llu other) from %u trace%s of host '%s' "
		       "into %s in %.2f s (%.0f events/s)\n",
		       (unsigned long long)rep.written, (unsigned long long)rep.dec.other_events,
		       rep.dec.traces, rep.dec.traces == 1 ? "" : "s", rep.dec.hostname, out, secs,
		       secs > 0 ? (double)rep.written / secs : 0);
		if (rep.dec.loss_msgs)
			printf("weft import: LOSS: %llu discarded events, %llu discarded packets, "
			       "%llu loss reports without a count (see table loss)\n",
			       (unsigned long long)rep.dec.discarded_events,
			       (unsigned long long)rep.dec.discarded_packets,
			       (unsigned long long)rep.dec.unknown_loss_msgs);
		else
			printf("weft import: no loss reported by the trace\n");
	}
	status = EXIT_OK;
out:
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
		"The whole import is one transaction: it is either all in the store or not at\n"
		"all, and importing the same directory again does nothing.  Traces without\n"
		"weft events are refused.  Loss the trace reports (discarded events/packets)\n"
		"is stored and printed.\n\n"
		"Options:\n"
		"  -o, --output FILE   the trace store to write (default: weft.db); created if\n"
		"                      missing, removed again if the import fails\n",
	.exec = import_exec,
};
