/*
 * `weft record [-o FILE] [--lossless] [--rotate SECONDS] [--subbuf-size SIZE]
 * [--num-subbuf N] [--probe NAME] -- CMD ARGS`: records
 * CMD under a new LTTng session and ingests its trace into a store while it
 * runs (rotation chunks), then prints a summary.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "probes.h"
#include "progress.h"
#include "recorder.h"
#include "report.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/*
 * The traced command is started in two steps so that the session can track
 * exactly its pid from its first event: spawn_prepare() forks a child that
 * waits on a pipe; once the session tracks that pid, spawn_release() lets it
 * exec.  Exec failures come back through a close-on-exec pipe, so "no such
 * command" is reported by us, not as a mysterious exit status 127.
 */
struct child {
	pid_t pid;
	int go_fd;  /* write end: closing it lets the child exec */
	int err_fd; /* read end: the child's errno if exec failed */
};

static int spawn_prepare(struct child *c, char **argv, const char *preload, bool lossless)
{
	int go[2], er[2];
	char b;
	int e;

	if (pipe2(go, O_CLOEXEC) != 0)
		return -errno;
	if (pipe2(er, O_CLOEXEC) != 0) {
		e = -errno;
		close(go[0]);
		close(go[1]);
		return e;
	}
	c->pid = fork();
	if (c->pid == 0) {
		close(go[1]);
		close(er[0]);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		while (read(go[0], &b, 1) < 0 && errno == EINTR)
			;
		if (lossless)
			setenv("LTTNG_UST_ALLOW_BLOCKING", "1", 1);
		if (preload) {
			const char *old = getenv("LD_PRELOAD");
			char *v = NULL;
			if (old && *old && asprintf(&v, "%s:%s", preload, old) > 0)
				setenv("LD_PRELOAD", v, 1);
			else
				setenv("LD_PRELOAD", preload, 1);
			free(v);
		}
		execvp(argv[0], argv);
		e = errno;
		if (write(er[1], &e, sizeof e) < 0)
			_exit(127);
		_exit(127);
	}
	e = c->pid < 0 ? -errno : 0;
	close(go[0]);
	close(er[1]);
	c->go_fd = go[1];
	c->err_fd = er[0];
	if (e) {
		close(go[1]);
		close(er[0]);
	}
	return e;
}

/* Lets the child exec; returns 0 or the exec errno (the child is reaped). */
static int spawn_release(struct child *c)
{
	ssize_t n;
	int e = 0;

	close(c->go_fd);
	do
		n = read(c->err_fd, &e, sizeof e);
	while (n < 0 && errno == EINTR);
	close(c->err_fd);
	if (n == sizeof e) {
		waitpid(c->pid, NULL, 0);
		return e ? e : EIO;
	}
	return 0;
}

/* --subbuf-size (bytes, optional k/M/G suffix, 4 KiB..1 GiB) or --num-subbuf
 * (2..1024): a power of two either way, as LTTng requires. */
static int parse_buffer_arg(const char *s, bool size, uint64_t *out)
{
	uint64_t v, mult = 1;
	char num[32];
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof num)
		return -1;
	memcpy(num, s, n + 1);
	if (size && strchr("kKmMgG", num[n - 1])) {
		mult = num[n - 1] == 'k' || num[n - 1] == 'K' ? 1ull << 10
		     : num[n - 1] == 'm' || num[n - 1] == 'M' ? 1ull << 20 : 1ull << 30;
		num[n - 1] = '\0';
	}
	if (parse_uint(num, 1, size ? (1ull << 30) : 1024, &v) < 0)
		return -1;
	v *= mult;
	if ((v & (v - 1)) != 0 || v < (size ? 4096 : 2) || v > (size ? 1ull << 30 : 1024))
		return -1;
	*out = v;
	return 0;
}

static int record_exec(int argc, char **argv)
{
	struct recorder_opts o = { .cmd = "record", .out = "weft.db", .rotate_us = 1000000 };
	struct recorder r;
	struct detect_config cfg;
	const char *preload = NULL, *config = NULL;
	char probe_lib[4096] = "", *preload_all = NULL;
	bool no_detect = false;
	char err[1024];
	struct sigaction sa;
	int i, status = 0, e, rc;
	int64_t interrupted_at = 0;
	struct child child = { -1, -1, -1 };
	bool exited = false, all = false, tui = false;

	rc = EXIT_RECORD_FAILED;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
			if (++i == argc) {
				cli_error("record", "Cannot record: -o needs a file name");
				return EXIT_USAGE;
			}
			o.out = argv[i];
		} else if (strcmp(argv[i], "--keep-trace") == 0) {
			o.keep_trace = true;
		} else if (strcmp(argv[i], "--all") == 0) {
			all = true;
		} else if (strcmp(argv[i], "--lossless") == 0) {
			o.lossless = true;
		} else if (strcmp(argv[i], "--rotate") == 0) {
			int64_t ns = i + 1 < argc ? parse_duration(argv[i + 1]) : -1;
			if (ns < 100000000 || ns > 3600LL * 1000000000) {
				cli_error("record", "Cannot record: --rotate needs a period from 0.1s "
						    "to 1h: value=%s", i + 1 < argc ? argv[i + 1] : "");
				return EXIT_USAGE;
			}
			o.rotate_us = ns / 1000;
			i++;
		} else if (strcmp(argv[i], "--subbuf-size") == 0 ||
			   strcmp(argv[i], "--num-subbuf") == 0) {
			bool size = argv[i][2] == 's';
			uint64_t v = 0;
			if (i + 1 == argc || parse_buffer_arg(argv[i + 1], size, &v) < 0) {
				cli_error("record", "Cannot record: %s needs a power of two %s: "
						    "value=%s", argv[i],
					  size ? "from 4k to 1G (bytes; k, M, G suffixes)"
					       : "from 2 to 1024",
					  i + 1 < argc ? argv[i + 1] : "");
				return EXIT_USAGE;
			}
			*(size ? &o.subbuf_size : &o.num_subbuf) = v;
			i++;
		} else if (strcmp(argv[i], "--config") == 0) {
			if (++i == argc) {
				cli_error("record", "Cannot record: --config needs a file name");
				return EXIT_USAGE;
			}
			config = argv[i];
		} else if (strcmp(argv[i], "--no-detect") == 0) {
			no_detect = true;
		} else if (strcmp(argv[i], "--tui") == 0) {
			tui = true;
		} else if (strcmp(argv[i], "--preload") == 0) {
			if (++i == argc) {
				cli_error("record", "Cannot record: --preload needs a library path");
				return EXIT_USAGE;
			}
			preload = argv[i];
		} else if (strcmp(argv[i], "--probe") == 0) {
			if (++i == argc) {
				cli_error("record", "Cannot record: --probe needs a probe name:\n%s",
					  probe_help());
				return EXIT_USAGE;
			}
			if (probe_find(argv[i], probe_lib, sizeof probe_lib, err, sizeof err) < 0) {
				cli_error("record", "Cannot record: %s", err);
				return EXIT_USAGE;
			}
		} else if (argv[i][0] == '-') {
			cli_error("record", "Cannot record: unknown option: option=%s", argv[i]);
			return EXIT_USAGE;
		} else {
			break; /* the command, without "--" */
		}
	}
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc) {
		cli_error("record", "Cannot record: no command given (weft record -- CMD ARGS)");
		return EXIT_USAGE;
	}

	if (probe_lib[0]) { /* the probe, lttng-ust's fork wrapper, --preload's library */
		const char *fork_lib = probe_fork_lib();

		if (!fork_lib)
			fprintf(stderr, "weft record: liblttng-ust-fork.so not found: a child forked "
					"without exec is not traced\n");
		if (asprintf(&preload_all, "%s%s%s%s%s", probe_lib, fork_lib ? ":" : "",
			     fork_lib ? fork_lib : "", preload ? ":" : "", preload ? preload : "") < 0) {
			cli_error("record", "Cannot record: out of memory");
			return EXIT_RECORD_FAILED;
		}
		preload = preload_all;
	}
	if (report_load_config(&cfg, config, err, sizeof err) < 0) {
		cli_error("record", "%s", err);
		detect_config_free(&cfg);
		free(preload_all);
		return EXIT_USAGE;
	}
	if (!no_detect)
		o.detect = &cfg;
	if (tui) {
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			cli_error("record", "Cannot record with --tui: standard input and output "
					    "must be a terminal");
			detect_config_free(&cfg);
			return EXIT_USAGE;
		}
		rc = cli_record_tui("record", o.out);
		if (rc >= 0) {
			detect_config_free(&cfg);
			return rc;
		}
		rc = EXIT_RECORD_FAILED; /* the child: record */
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	e = spawn_prepare(&child, argv + i, preload, o.lossless);
	if (e) {
		cli_error("record", "Cannot start command: %s: command=%s", strerror(-e), argv[i]);
		detect_config_free(&cfg);
		free(preload_all);
		return EXIT_RECORD_FAILED;
	}
	if (!all)
		o.track_vpid = child.pid;
	if (recorder_start(&r, &o) != 0) {
		kill(child.pid, SIGKILL); /* it never ran: it waits on the go pipe */
		close(child.go_fd);
		close(child.err_fd);
		waitpid(child.pid, NULL, 0);
		goto out;
	}
	e = spawn_release(&child);
	if (e) {
		cli_error("record", "Cannot run command: %s: command=%s", strerror(e), argv[i]);
		recorder_finish(&r);
		goto out;
	}
	while (!exited) {
		if (recorder_poll(&r, 200) < 0)
			break;
		pid_t w = waitpid(child.pid, &status, WNOHANG);
		if (w == child.pid)
			exited = true;
		if (interrupted && !interrupted_at)
			interrupted_at = progress_now_ns();
		if (interrupted_at && progress_now_ns() - interrupted_at > 2000000000LL) {
			fprintf(stderr, "weft record: interrupted; %s (pid %d) is still running, "
					"recording stops now\n", argv[i], (int)child.pid);
			break;
		}
	}
	if (recorder_finish(&r) != 0)
		goto out;
	recorder_summary(&r);
	/* Like time(1) and strace: CMD's own status, so that `weft record --
	 * ./tests` fails a CI job when the tests fail. */
	if (!exited) {
		rc = 130; /* interrupted while CMD still runs */
	} else if (WIFEXITED(status)) {
		rc = WEXITSTATUS(status);
		if (rc)
			printf("weft record: %s exited with status %d\n", argv[i], rc);
	} else if (WIFSIGNALED(status)) {
		printf("weft record: %s was killed by signal %d (%s)\n", argv[i], WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
		rc = 128 + WTERMSIG(status);
	} else {
		rc = EXIT_OK;
	}
	r.ok = true;
out:
	recorder_free(&r);
	detect_config_free(&cfg);
	free(preload_all);
	return rc;
}

const struct cmd_entry cmd_record_entry = {
	.name = "record",
	.usage = "[-o FILE] [--all] [--lossless] [--rotate PERIOD] [--preload LIB] [--keep-trace]\n"
		 "                   [--probe NAME] [--subbuf-size SIZE] [--num-subbuf N] [--config FILE]\n"
		 "                   [--no-detect] [--tui] -- CMD [ARGS...]",
	.summary = "Run a command under a new LTTng session and store its weft events.",
	.help = "Starts a session daemon if none is reachable, creates an LTTng session that\n"
		"records weft:* events with vpid/vtid/procname context, runs CMD, and ingests\n"
		"the trace into the store chunk by chunk while CMD runs (one rotation per\n"
		"PERIOD).  When CMD exits (or on Ctrl-C) it stops the session, ingests the rest\n"
		"and prints a summary: events, tasks, loss and store size.  Loss is never\n"
		"silent: what LTTng discarded is counted, stored and printed.\n\n"
		"Options:\n"
		"  -o, --output FILE   trace store to write (default: weft.db); a new session\n"
		"                      is added if it exists\n"
		"  --all               record every instrumented process of this user, not\n"
		"                      only CMD (children that CMD forks are separate pids)\n"
		"  --lossless          never drop events: CMD blocks (up to 1 s per event)\n"
		"                      when buffers are full (sets LTTNG_UST_ALLOW_BLOCKING=1)\n"
		"  --rotate PERIOD     rotation period, e.g. 500ms, 2s (default: 1s): how soon\n"
		"                      events reach the store\n"
		"  --subbuf-size SIZE  size of one ring sub-buffer, a power of two from 4k to\n"
		"                      1G (default: 4M); there is one ring buffer per CPU\n"
		"  --num-subbuf N      sub-buffers per ring buffer, a power of two from 2 to\n"
		"                      1024 (default: 8); smaller buffers lose events sooner\n"
		"                      in discard mode, and make --lossless block sooner\n"
		"  --preload LIB       add LIB to CMD's LD_PRELOAD (e.g. a probe library)\n"
		"  --probe NAME        trace an unmodified program through a probe: preloads\n"
		"                      the probe's library (next to weft in a build tree, or\n"
		"                      the install library directory); docs/probes.md says\n"
		"                      what each sees.  Probes:\n"
		"                        uv     libuv (Debian's shared libuv.so.1): uv_queue_work,\n"
		"                               uv_fs_*, uv_getaddrinfo, uv_getnameinfo, uv_random,\n"
		"                               uv_cancel, uv_run\n"
		"  --keep-trace        keep the LTTng trace (CTF) after ingesting it and print\n"
		"                      where it is (for babeltrace2 or `weft import`)\n"
		"  --config FILE       detector settings (default ~/.config/weft/weft.conf if it\n"
		"                      exists; docs/detectors.md)\n"
		"  --no-detect         do not run the detectors (weft report can, later)\n"
		"  --tui               browse the store in the terminal while it is recorded\n"
		"                      (weft tui, following it); CMD's output and the\n"
		"                      summary are shown when the browser closes, and\n"
		"                      closing it while CMD runs stops the recording\n\n"
		"The detectors run as chunks arrive and once more at the end; the findings\n"
		"are printed after the summary, one line each (details: weft report FILE).\n\n"
		"Exit status: when the recording was stored, CMD's own status (128+N when a\n"
		"signal N killed it; 130 when interrupted while CMD still ran), so that\n"
		"`weft record -- ./tests` fails when the tests fail; 125 when the recording\n"
		"itself failed (CMD could not start, or the trace could not be stored); 2 for\n"
		"bad arguments.\n",
	.exec = record_exec,
};
