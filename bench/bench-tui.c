/*
 * bench-tui: how fast the terminal browser is on a big store, measured on
 * the real `weft tui` binary in a pseudo-terminal (80x24 by default), the way
 * a user meets it.  The store is gen-events' busy pool (default 10M events,
 * as bench-ingest and bench-analysis), recorded with `weft record
 * --lossless`, or an existing store (--store).
 *
 * The browser reports each frame it finishes through WEFT_TUI_FRAME_LOG (a
 * FIFO here): "frame NS KEYS VIEW", CLOCK_MONOTONIC after the screen was
 * written and the number of keys it had read.  A latency is the first frame
 * that has read the key, minus when the key was written to the terminal.
 * Each of --starts runs of the browser:
 *
 *   first_screen  exec of `weft tui STORE` -> its first frame (overview)
 *   tasks         Tab -> the tasks view's first frame
 *   page          ^F (page down) in the tasks view, --pages times
 *   detail        Enter -> the task detail (chain, blame, caused)
 *   sorted_page   the tasks view sorted by total time: one page (reported,
 *                 no target: no index orders tasks by total, so this sorts)
 *   findings, pool  Tab to each view: its first frame (reported, no target;
 *                 the pool view folds all of a context's samples once)
 *   peak RSS      the browser's ru_maxrss when it quit (Q)
 *
 * Output ends with "bench: first_screen_ms=", "bench: page_ms=",
 * "bench: detail_ms=" (medians) and "bench: peak_rss_mb=" (the largest);
 * targets, printed and never failing the run: first screen <= 300 ms,
 * page <= 50 ms, detail <= 100 ms, peak RSS <= 64 MB.
 *
 *   bench-tui [--quick] [--events N] [--store FILE] [--starts K] [--pages P]
 *             [--size COLSxROWS] [--keep]
 *
 * --quick: 500k events, 2 starts, 5 pages (the bench-tui-smoke test).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bench.h"

#define FULL_EVENTS 10000000LL
#define QUICK_EVENTS 500000LL
#define FRAME_TIMEOUT_MS 30000
#define KEY_TAB "\t"
#define KEY_PAGE_DOWN "\006" /* ^F */
#define KEY_ENTER "\r"

struct cfg {
	long long events;
	int starts, pages, cols, rows, keep;
	const char *store_arg;
	char work[64], store[4096], out[128], fifo[128];
};

struct tui_proc {
	pid_t pid;
	int master, fifo;
	char buf[8192];
	size_t len;
	unsigned long keys; /* written so far */
};

/* Records gen-events with weft record into c->store. */
static int record(struct cfg *c)
{
	char n[32];
	char *argv[] = { WEFT_CLI, "record", "--lossless", "-o", c->store, "--", GEN_EVENTS, n,
			 NULL };
	double wall;

	snprintf(n, sizeof n, "%lld", c->events);
	if (bench_run(argv, c->out, &wall) != 0) {
		fprintf(stderr, "Cannot record gen-events: weft record failed: log=%s\n", c->out);
		bench_print_file(c->out);
		return -1;
	}
	printf("# recorded %lld events with weft record in %.2f s: %s\n", c->events, wall,
	       c->store);
	return 0;
}

/* Events in a store (its chunks' counts), -1 if it cannot be read. */
static long long store_events(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	long long n = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT coalesce(sum(events), 0) FROM chunks", -1, &s, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	else
		fprintf(stderr, "Cannot read the store: %s: path=%s\n", sqlite3_errmsg(db), path);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static int tui_start(const struct cfg *c, struct tui_proc *p, uint64_t *t0)
{
	struct winsize ws = { .ws_row = (unsigned short)c->rows, .ws_col = (unsigned short)c->cols };

	memset(p, 0, sizeof *p);
	p->fifo = open(c->fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (p->fifo < 0) {
		fprintf(stderr, "Cannot open the frame FIFO: %s: path=%s\n", strerror(errno),
			c->fifo);
		return -1;
	}
	*t0 = bench_now_ns();
	p->pid = forkpty(&p->master, NULL, NULL, &ws);
	if (p->pid < 0) {
		fprintf(stderr, "Cannot start the browser in a pseudo-terminal: %s\n",
			strerror(errno));
		close(p->fifo);
		return -1;
	}
	if (p->pid == 0) {
		setenv("TERM", "xterm-256color", 1);
		setenv("WEFT_TUI_FRAME_LOG", c->fifo, 1);
		execl(WEFT_CLI, WEFT_CLI, "tui", c->store, (char *)NULL);
		_exit(127);
	}
	return 0;
}

/* Waits for the first frame drawn after the browser read `keys` keys,
 * draining the terminal meanwhile.  Returns 0 with its time and view. */
static int tui_frame(struct tui_proc *p, unsigned long keys, uint64_t *ns, char *view,
		     size_t vlen)
{
	uint64_t deadline = bench_now_ns() + (uint64_t)FRAME_TIMEOUT_MS * 1000000u;

	while (bench_now_ns() < deadline) {
		struct pollfd fds[2] = { { p->master, POLLIN, 0 }, { p->fifo, POLLIN, 0 } };
		char junk[65536], *nl;
		ssize_t n;

		if (poll(fds, 2, 100) < 0 && errno != EINTR)
			break;
		if (fds[0].revents & POLLIN)
			if (read(p->master, junk, sizeof junk) < 0 && errno != EAGAIN)
				fds[0].revents |= POLLHUP;
		if (fds[0].revents & (POLLHUP | POLLERR)) {
			fprintf(stderr, "Cannot time the browser: it closed its terminal "
					"(exited?) before the frame after key %lu\n", keys);
			return -1;
		}
		if (!(fds[1].revents & POLLIN))
			continue;
		n = read(p->fifo, p->buf + p->len, sizeof p->buf - 1 - p->len);
		if (n <= 0)
			continue;
		p->len += (size_t)n;
		p->buf[p->len] = '\0';
		while ((nl = strchr(p->buf, '\n'))) {
			unsigned long long t = 0;
			unsigned long k = 0;
			char v[32] = "";

			*nl = '\0';
			int hit = sscanf(p->buf, "frame %llu %lu %31s", &t, &k, v) == 3 && k >= keys;

			memmove(p->buf, nl + 1, strlen(nl + 1) + 1);
			p->len = strlen(p->buf);
			if (hit) {
				*ns = t;
				snprintf(view, vlen, "%s", v);
				return 0;
			}
		}
	}
	fprintf(stderr, "Cannot time the browser: no frame after key %lu within %d ms\n", keys,
		FRAME_TIMEOUT_MS);
	return -1;
}

/* Writes a key, waits for its frame: the latency in ms, or -1.  want: the
 * view that frame must show (NULL: any). */
static double tui_key(struct tui_proc *p, const char *key, const char *want)
{
	char view[32];
	uint64_t t0, t;

	p->len = 0; /* frames before this key are of no interest */
	t0 = bench_now_ns();
	if (write(p->master, key, strlen(key)) != (ssize_t)strlen(key)) {
		fprintf(stderr, "Cannot send a key to the browser: %s\n", strerror(errno));
		return -1;
	}
	p->keys += strlen(key);
	if (tui_frame(p, p->keys, &t, view, sizeof view) != 0)
		return -1;
	if (want && strcmp(view, want) != 0) {
		fprintf(stderr, "Cannot time the browser: after the key it shows view '%s', "
				"not '%s'\n", view, want);
		return -1;
	}
	return t > t0 ? (double)(t - t0) / 1e6 : 0;
}

/* Quits (Q) and reaps the browser: 0 with its peak RSS in MB. */
static int tui_stop(struct tui_proc *p, double *rss_mb)
{
	struct rusage ru;
	int status = 0;

	if (write(p->master, "Q", 1) != 1)
		kill(p->pid, SIGTERM);
	for (int i = 0; i < 500; i++) {
		char junk[4096];
		pid_t r = wait4(p->pid, &status, WNOHANG, &ru);

		if (r == p->pid) {
			close(p->master);
			close(p->fifo);
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				fprintf(stderr, "Cannot time the browser: it exited with status "
						"%d\n", WIFEXITED(status) ? WEXITSTATUS(status) :
						128 + WTERMSIG(status));
				return -1;
			}
			*rss_mb = (double)ru.ru_maxrss / 1024.0;
			return 0;
		}
		if (read(p->master, junk, sizeof junk) < 0 && errno != EAGAIN && errno != EIO)
			break;
		bench_sleep_ms(10);
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, &status, 0);
	close(p->master);
	close(p->fifo);
	fprintf(stderr, "Cannot time the browser: it did not quit on Q within 5 s\n");
	return -1;
}

static int parse_args(int argc, char **argv, struct cfg *c)
{
	int quick = 0;

	memset(c, 0, sizeof *c);
	c->events = -1;
	c->starts = -1;
	c->pages = -1;
	c->cols = 80;
	c->rows = 24;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--quick"))
			quick = 1;
		else if (!strcmp(a, "--keep"))
			c->keep = 1;
		else if (!strcmp(a, "--events") && v && ++i)
			c->events = atoll(v);
		else if (!strcmp(a, "--store") && v && ++i)
			c->store_arg = v;
		else if (!strcmp(a, "--starts") && v && ++i)
			c->starts = atoi(v);
		else if (!strcmp(a, "--pages") && v && ++i)
			c->pages = atoi(v);
		else if (!strcmp(a, "--size") && v && ++i) {
			if (sscanf(v, "%dx%d", &c->cols, &c->rows) != 2)
				goto usage;
		} else
			goto usage;
	}
	if (c->events < 0)
		c->events = quick ? QUICK_EVENTS : FULL_EVENTS;
	if (c->starts < 0)
		c->starts = quick ? 2 : 5;
	if (c->pages < 0)
		c->pages = quick ? 5 : 20;
	if (c->events < 1 || c->starts < 1 || c->starts > 100 || c->pages < 1 ||
	    c->pages > 1000 || c->cols < 40 || c->cols > 1000 || c->rows < 10 || c->rows > 500)
		goto usage;
	return 0;
usage:
	fprintf(stderr, "usage: bench-tui [--quick] [--events N] [--store FILE] [--starts K] "
			"[--pages P] [--size COLSxROWS] [--keep]\n");
	return -1;
}

int main(int argc, char **argv)
{
	double *first = NULL, *tasks = NULL, *page = NULL, *detail = NULL, *sorted = NULL;
	double *findings = NULL, *pool = NULL;
	double rss_max = 0;
	size_t npage = 0;
	struct cfg c;
	int ret = 1;

	if (parse_args(argc, argv, &c) < 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	snprintf(c.work, sizeof c.work, "/tmp/weft-bench-tui-XXXXXX");
	if (!mkdtemp(c.work)) {
		fprintf(stderr, "Cannot create the work directory: %s\n", strerror(errno));
		return 1;
	}
	snprintf(c.store, sizeof c.store, "%s/store.db", c.work);
	snprintf(c.out, sizeof c.out, "%s/cmd.log", c.work);
	snprintf(c.fifo, sizeof c.fifo, "%s/frames", c.work);
	bench_print_machine();
	first = calloc((size_t)c.starts, sizeof *first);
	tasks = calloc((size_t)c.starts, sizeof *tasks);
	detail = calloc((size_t)c.starts, sizeof *detail);
	sorted = calloc((size_t)c.starts, sizeof *sorted);
	findings = calloc((size_t)c.starts, sizeof *findings);
	pool = calloc((size_t)c.starts, sizeof *pool);
	page = calloc((size_t)c.starts * (size_t)c.pages, sizeof *page);
	if (!first || !tasks || !detail || !sorted || !page || !findings || !pool) {
		fprintf(stderr, "Cannot run: out of memory\n");
		goto out;
	}
	if (mkfifo(c.fifo, 0600) != 0) {
		fprintf(stderr, "Cannot create the frame FIFO: %s: path=%s\n", strerror(errno),
			c.fifo);
		goto out;
	}
	if (c.store_arg) {
		snprintf(c.store, sizeof c.store, "%s", c.store_arg);
		if ((c.events = store_events(c.store)) < 0)
			goto out;
	} else if (bench_sessiond_ensure(argv) < 0 || record(&c) < 0)
		goto out;
	printf("# terminal %dx%d, %d starts, %d pages each\n", c.cols, c.rows, c.starts, c.pages);
	for (int s = 0; s < c.starts; s++) {
		struct tui_proc p;
		char view[32];
		uint64_t t0, t;
		double rss = 0, ms;

		if (tui_start(&c, &p, &t0) != 0)
			goto out;
		if (tui_frame(&p, 0, &t, view, sizeof view) != 0)
			goto kill;
		first[s] = (double)(t - t0) / 1e6;
		if ((tasks[s] = tui_key(&p, KEY_TAB, "tasks")) < 0)
			goto kill;
		/* Each start goes a little further, so detail opens another task. */
		for (int i = 0; i < c.pages + s; i++) {
			if ((ms = tui_key(&p, KEY_PAGE_DOWN, "tasks")) < 0)
				goto kill;
			if (i < c.pages)
				page[npage++] = ms;
		}
		if ((detail[s] = tui_key(&p, KEY_ENTER, "detail")) < 0 || tui_key(&p, "q", "tasks") < 0)
			goto kill;
		/* s: name, state, total: the third press sorts by total time. */
		if (tui_key(&p, "s", "tasks") < 0 || tui_key(&p, "s", "tasks") < 0 ||
		    (sorted[s] = tui_key(&p, "s", "tasks")) < 0)
			goto kill;
		if ((findings[s] = tui_key(&p, KEY_TAB, "findings")) < 0 ||
		    (pool[s] = tui_key(&p, KEY_TAB, "pool")) < 0)
			goto kill;
		if (tui_stop(&p, &rss) != 0)
			goto out;
		if (rss > rss_max)
			rss_max = rss;
		printf("# start %d: first screen %.1f ms, tasks %.1f ms, detail %.1f ms, sorted by "
		       "total %.1f ms, findings %.1f ms, pool %.1f ms, peak RSS %.1f MB\n", s + 1,
		       first[s], tasks[s], detail[s], sorted[s], findings[s], pool[s], rss);
		continue;
kill:
		kill(p.pid, SIGKILL);
		waitpid(p.pid, NULL, 0);
		close(p.master);
		close(p.fifo);
		goto out;
	}
	{
		double first_ms = bench_median(first, (size_t)c.starts);
		double page_max = bench_percentile(page, npage, 100);
		double page_ms = bench_median(page, npage);
		double detail_ms = bench_median(detail, (size_t)c.starts);

		printf("# pages: %zu, median %.2f ms, max %.2f ms\n", npage, page_ms, page_max);
		bench_print("events", (double)c.events, 0);
		bench_print("tasks_view_ms", bench_median(tasks, (size_t)c.starts), 2);
		bench_print("sorted_page_ms", bench_median(sorted, (size_t)c.starts), 2);
		bench_print("findings_view_ms", bench_median(findings, (size_t)c.starts), 2);
		bench_print("pool_view_ms", bench_median(pool, (size_t)c.starts), 2);
		bench_target("first_screen_ms", first_ms, "<=", 300);
		bench_target("page_ms", page_ms, "<=", 50);
		bench_target("detail_ms", detail_ms, "<=", 100);
		bench_target("peak_rss_mb", rss_max, "<=", 64);
		bench_print("first_screen_ms", first_ms, 2);
		bench_print("page_ms", page_ms, 2);
		bench_print("detail_ms", detail_ms, 2);
		bench_print("peak_rss_mb", rss_max, 1);
	}
	ret = 0;
out:
	free(first);
	free(tasks);
	free(page);
	free(detail);
	free(sorted);
	free(findings);
	free(pool);
	if (c.keep)
		printf("# work directory kept: %s\n", c.work);
	else
		bench_rmtree(c.work);
	return ret;
}
