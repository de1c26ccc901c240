/*
 * `weft tui [FILE]`: the terminal browser (tui/) on a trace store.  This
 * file is only the command: arguments, the checks that give a one-line
 * error before the terminal is taken, and the call to tui_main().
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "view.h"

static int tui_exec(int argc, char **argv)
{
	const char *path = "weft.db", *view = NULL;
	char err[1024] = "";
	int npos = 0, rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-v") || !strcmp(a, "--view") || !strncmp(a, "--view=", 7)) {
			view = a[1] == '-' && a[6] == '=' ? a + 7 : i + 1 < argc ? argv[++i] : NULL;
			if (!view || tui_view_index(view) < 0) {
				cli_error("tui", "Cannot start the browser: %s: view=%s (views: %s)",
					  view ? "no such view" : "--view needs a view name",
					  view ? view : "", tui_view_names());
				return EXIT_USAGE;
			}
			continue;
		}
		if (a[0] == '-' && a[1]) {
			cli_error("tui", "Cannot start the browser: unknown option: option=%s "
					 "(see 'weft tui --help')", a);
			return EXIT_USAGE;
		}
		if (npos++) {
			cli_error("tui", "Cannot start the browser: too many arguments: extra=%s", a);
			return EXIT_USAGE;
		}
		path = a;
	}
	if (access(path, F_OK) != 0) {
		cli_error("tui", "Cannot open store: no such file: path=%s", path);
		return EXIT_FAIL;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		cli_error("tui", "Cannot start the browser: standard input and output must be a "
				 "terminal: path=%s", path);
		return EXIT_FAIL;
	}
	rc = tui_main(path, view, err, sizeof err);
	if (rc != 0 && err[0])
		cli_error("tui", "%s", err);
	return rc == 0 ? EXIT_OK : rc > 1 ? rc : EXIT_FAIL;
}

const struct cmd_entry cmd_tui_entry = {
	.name = "tui",
	.usage = "[-v VIEW] [FILE]",
	.summary = "browse a trace store in the terminal (overview, tasks, chains, findings)",
	.help =
		"Opens the trace store FILE (default ./weft.db) read-only in a full-screen\n"
		"terminal browser.  `weft` with no arguments does the same when ./weft.db\n"
		"exists.  The store may be written while it is open: the browser re-reads\n"
		"it every 500 ms, so new tasks and findings appear (Space pauses).\n"
		"\n"
		"Options:\n"
		"  -v, --view VIEW  start on VIEW (overview, tasks, findings, pool, timeline,\n"
		"                   help); default overview\n"
		"\n"
		"Views (Tab cycles them):\n"
		"  overview  processes, threads, contexts, event and task counts, time span,\n"
		"            loss, findings by severity\n"
		"  tasks     one row per task: id, name, state, total, busy, queue wait,\n"
		"            continuations, hops (marshals), site; s/h/l sort, r reverses,\n"
		"            / filters by a regular expression on name and site, f by state\n"
		"  findings  the detectors' findings, most severe first\n"
		"  pool      a context's queue depth and busy workers over time, one time\n"
		"            slice per row, pool-starvation windows marked; h/l: context\n"
		"  timeline  threads as rows, time as columns: task runs, waits on tasks (w)\n"
		"            and blocking calls (B); +/- zoom, 0 all, h/l cursor, </> pan,\n"
		"            Enter opens the task under the cursor\n"
		"  help      every key\n"
		"Enter on a task or a finding opens the task detail: its async chain across\n"
		"threads hop by hop (thread, context, queue wait, marshal, waits), its blame\n"
		"bar (where its time went), its token's cancellation history and what it\n"
		"caused; t on a finding or in a detail opens the timeline there.  q or Esc\n"
		"closes a view and quits from a top view; Q quits.  The mouse selects (click),\n"
		"opens (double click) and scrolls (wheel) where the terminal has one\n"
		"(WEFT_TUI_MOUSE=0 turns it off).\n"
		"\n"
		"Loss reported by the store is shown on the status line of every view.\n"
		"Colours are roles with a monochrome fallback; NO_COLOR=1 turns colour off.\n"
		"Every string recorded from the traced program is sanitised before it is\n"
		"drawn.  The terminal is restored on quit, on SIGINT/SIGTERM and on a crash.\n"
		"\n"
		"Exit status: 0 after quitting, 1 if the store cannot be opened or the\n"
		"terminal cannot be used, 2 for bad arguments.\n"
		"\n"
		"Examples:\n"
		"  weft record -o app.db -- ./app && weft tui app.db\n"
		"  weft tui            (./weft.db)\n"
		"  weft tui -v findings demo.db\n"
		"\n"
		"WEFT_TUI_FRAME_LOG=PATH appends one line per drawn frame to PATH (a file\n"
		"or FIFO): \"frame NS KEYS VIEW\", CLOCK_MONOTONIC ns after the screen was\n"
		"written and the keys read so far; bench/bench-tui times the browser with it.\n",
	.exec = tui_exec,
};
