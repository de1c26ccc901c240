/*
 * `weft attach PID [--for DURATION] [-o FILE]`: traces a process that is
 * already running — one that links libweft or has a weft probe loaded —
 * with a session tracking only its vpid, ingesting until Ctrl-C, the
 * duration, or the process's exit.
 *
 * Whether the process is instrumented is asked of the session daemon: an
 * instrumented process registers its weft:* tracepoints with it, and
 * lttng_list_tracepoints() lists them with their pid.  A process that has not
 * registered them within the grace period is reported as not instrumented.
 */
#include <errno.h>
#include <lttng/lttng.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"
#include "recorder.h"
#include "report.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* The process's start time (field 22 of /proc/PID/stat), to notice pid reuse. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof buf, f) && (p = strrchr(buf, ')')) != NULL) {
		/* after ") state": fields 3.. ; starttime is field 22 */
		int field = 2;
		for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " "))
			if (++field == 22) {
				v = strtoull(tok, NULL, 10);
				break;
			}
	}
	fclose(f);
	return v;
}

static bool alive(pid_t pid, unsigned long long started)
{
	return kill(pid, 0) == 0 || errno == EPERM ? start_time(pid) == started : false;
}

/* 1 if pid registered weft:* tracepoints with the session daemon, 0 if not,
 * < 0 if the daemon cannot be asked. */
static int registered_weft(pid_t pid)
{
	struct lttng_domain dom = { .type = LTTNG_DOMAIN_UST };
	struct lttng_event *ev = NULL;
	struct lttng_handle *h = lttng_create_handle(NULL, &dom);
	int n, found = 0;

	if (!h)
		return -ENOMEM;
	n = lttng_list_tracepoints(h, &ev);
	for (int i = 0; i < n; i++)
		if (ev[i].pid == pid && strncmp(ev[i].name, "weft:", 5) == 0) {
			found = 1;
			break;
		}
	free(ev);
	lttng_destroy_handle(h);
	return n < 0 ? n : found;
}

static int attach_exec(int argc, char **argv)
{
	struct recorder_opts o = { .cmd = "attach", .out = "weft.db", .rotate_us = 1000000 };
	struct recorder r;
	struct sigaction sa;
	int64_t duration = -1, grace = 5000000000LL, t0;
	unsigned long long started;
	uint64_t pidv = 0;
	const char *pidarg = NULL, *config = NULL;
	int rc = EXIT_FAIL, reg = 0;
	struct detect_config cfg;
	bool no_detect = false, tui = false;
	char err[1024];
	pid_t pid;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
			if (++i == argc) {
				cli_error("attach", "Cannot attach: -o needs a file name");
				return EXIT_USAGE;
			}
			o.out = argv[i];
		} else if (strcmp(argv[i], "--for") == 0 || strcmp(argv[i], "--grace") == 0) {
			int64_t ns = i + 1 < argc ? parse_duration(argv[i + 1]) : -1;
			if (ns <= 0) {
				cli_error("attach", "Cannot attach: %s needs a duration like 10s or "
						    "500ms: value=%s", argv[i], i + 1 < argc ? argv[i + 1] : "");
				return EXIT_USAGE;
			}
			if (strcmp(argv[i], "--for") == 0)
				duration = ns;
			else
				grace = ns;
			i++;
		} else if (strcmp(argv[i], "--lossless") == 0) {
			o.lossless = true;
		} else if (strcmp(argv[i], "--config") == 0) {
			if (++i == argc) {
				cli_error("attach", "Cannot attach: --config needs a file name");
				return EXIT_USAGE;
			}
			config = argv[i];
		} else if (strcmp(argv[i], "--no-detect") == 0) {
			no_detect = true;
		} else if (strcmp(argv[i], "--tui") == 0) {
			tui = true;
		} else if (argv[i][0] == '-') {
			cli_error("attach", "Cannot attach: unknown option: option=%s", argv[i]);
			return EXIT_USAGE;
		} else if (!pidarg) {
			pidarg = argv[i];
		} else {
			cli_error("attach", "Cannot attach: more than one PID: extra=%s", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!pidarg) {
		cli_error("attach", "Cannot attach: no PID given (weft attach PID)");
		return EXIT_USAGE;
	}
	if (parse_uint(pidarg, 1, 0x3fffffff, &pidv) != 0) {
		cli_error("attach", "Cannot attach: not a process id: pid=%s", pidarg);
		return EXIT_USAGE;
	}
	pid = (pid_t)pidv;
	if (report_load_config(&cfg, config, err, sizeof err) < 0) {
		cli_error("attach", "%s", err);
		detect_config_free(&cfg);
		return EXIT_USAGE;
	}
	if (!no_detect)
		o.detect = &cfg;
	if (kill(pid, 0) != 0 && errno == ESRCH) {
		cli_error("attach", "Cannot attach: no such process: pid=%d", (int)pid);
		detect_config_free(&cfg);
		return EXIT_FAIL;
	}
	if (kill(pid, 0) != 0 && errno == EPERM) {
		cli_error("attach", "Cannot attach: permission denied: pid=%d (run as root, as "
				    "the process's user, or join the 'tracing' group)", (int)pid);
		detect_config_free(&cfg);
		return EXIT_FAIL;
	}
	if (tui) {
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			cli_error("attach", "Cannot attach with --tui: standard input and output "
					    "must be a terminal");
			detect_config_free(&cfg);
			return EXIT_USAGE;
		}
		rc = cli_record_tui("attach", o.out);
		if (rc >= 0) {
			detect_config_free(&cfg);
			return rc;
		}
		rc = EXIT_FAIL; /* the child: attach */
	}
	started = start_time(pid);
	if (o.lossless)
		fprintf(stderr, "weft attach: note: --lossless blocks only programs started with "
				"LTTNG_UST_ALLOW_BLOCKING=1; a running process keeps its environment\n");

	o.track_vpid = pid;
	if (recorder_start(&r, &o) != 0)
		goto out;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "weft attach: tracing pid %d%s; Ctrl-C to stop\n", (int)pid,
			duration > 0 ? " for the given duration" : "");

	t0 = progress_now_ns();
	while (!interrupted) {
		int64_t now;

		if (recorder_poll(&r, 200) < 0)
			break;
		now = progress_now_ns();
		if (reg <= 0) {
			reg = registered_weft(pid);
			if (reg <= 0 && now - t0 > grace) {
				if (!alive(pid, started))
					snprintf(err, sizeof err, "the process exited");
				else
					snprintf(err, sizeof err,
						 "no weft tracepoints registered after %.1f s: the "
						 "process does not link libweft nor load a weft probe "
						 "(or it runs as another user than this session "
						 "daemon's)", (double)grace / 1e9);
				cli_error("attach", "Cannot attach: process not instrumented: %s: "
						    "pid=%d", err, (int)pid);
				recorder_finish(&r);
				goto out;
			}
		}
		if (!alive(pid, started)) {
			fprintf(stderr, "weft attach: pid %d exited\n", (int)pid);
			break;
		}
		if (duration > 0 && now - t0 >= duration)
			break;
	}
	if (recorder_finish(&r) != 0)
		goto out;
	recorder_summary(&r);
	r.ok = true;
	rc = EXIT_OK;
out:
	recorder_free(&r);
	detect_config_free(&cfg);
	return rc;
}

const struct cmd_entry cmd_attach_entry = {
	.name = "attach",
	.usage = "PID [--for DURATION] [-o FILE] [--grace DURATION] [--config FILE] [--no-detect]\n"
		 "                   [--tui]",
	.summary = "Trace an already running instrumented process.",
	.help = "Creates an LTTng session that tracks only PID (its vpid) and ingests its\n"
		"weft events into the store until Ctrl-C, until DURATION has passed, or until\n"
		"the process exits.  The process must link libweft (or have a weft probe\n"
		"loaded); one started before the session daemon registers with it as soon as\n"
		"the daemon starts, and weft starts one if none is reachable.\n\n"
		"Options:\n"
		"  --for DURATION     stop after DURATION (e.g. 30s, 2m)\n"
		"  -o, --output FILE  trace store to write (default: weft.db)\n"
		"  --grace DURATION   how long to wait for the process to register its weft\n"
		"                     tracepoints before saying it is not instrumented\n"
		"                     (default: 5s)\n"
		"  --lossless         blocking channel (only affects programs started with\n"
		"                     LTTNG_UST_ALLOW_BLOCKING=1)\n"
		"  --config FILE      detector settings (docs/detectors.md)\n"
		"  --no-detect        do not run the detectors while attached\n"
		"  --tui              browse the store in the terminal while attached (weft\n"
		"                     tui, following it); closing it detaches\n\n"
		"The detectors run as chunks arrive and at the end; the findings are printed\n"
		"after the summary (details: weft report FILE).\n\n"
		"Errors name the cause: no such process, permission, no session daemon and\n"
		"none can be started, process not instrumented.\n",
	.exec = attach_exec,
};
