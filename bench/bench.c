/*
 * The plumbing behind bench.h: LTTng session control with liblttng-ctl,
 * clocks, medians and the "bench:" output format shared by every benchmark.
 */
#include "bench.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lttng/lttng.h>

#define BENCH_SUBBUF_SIZE (4u << 20)
#define BENCH_NUM_SUBBUF 8u
#define BENCH_REEXEC_ENV "WEFT_BENCH_STARTED_SESSIOND"

static int start_sessiond(void)
{
	int status, i;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execlp("lttng-sessiond", "lttng-sessiond", "--daemonize", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return -ENOENT; /* exec failed: not in PATH */
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -ECHILD;
	/* --daemonize returns once the daemon is ready; allow a little slack. */
	for (i = 0; i < 50 && lttng_session_daemon_alive() != 1; i++)
		bench_sleep_ms(100);
	return lttng_session_daemon_alive() == 1 ? 0 : -ETIMEDOUT;
}

int bench_sessiond_ensure(char **argv)
{
	int ret;

	if (lttng_session_daemon_alive() == 1)
		return 0;
	if (getenv(BENCH_REEXEC_ENV)) {
		fprintf(stderr, "Cannot reach the LTTng session daemon: not alive after "
				"starting it: uid=%d\n", (int)getuid());
		return -1;
	}
	ret = start_sessiond();
	if (ret < 0) {
		fprintf(stderr, "Cannot start the LTTng session daemon: %s: "
				"command=\"lttng-sessiond --daemonize\"\n",
			ret == -ECHILD ? "it exited with an error" : strerror(-ret));
		return -1;
	}
	/* LTTng-UST registered (or failed to) when this process started; a fresh
	 * image registers with the daemon we just started. */
	setenv(BENCH_REEXEC_ENV, "1", 1);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "Cannot re-execute the benchmark after starting the session "
			"daemon: %s: path=/proc/self/exe\n", strerror(errno));
	return -1;
}

static int add_context(struct bench_session *s, enum lttng_event_context_type type)
{
	struct lttng_event_context ctx;
	int ret;

	memset(&ctx, 0, sizeof(ctx));
	ctx.ctx = type;
	ret = lttng_add_context(s->handle, &ctx, NULL, s->channel);
	if (ret < 0)
		fprintf(stderr, "Cannot add context to the LTTng channel: %s: session=%s "
				"context=%d\n", lttng_strerror(ret), s->name, (int)type);
	return ret;
}

/* pattern: "provider:glob", optionally followed by "|" and comma-separated
 * event names to exclude ("weft:*|weft:task_next"). */
static int enable_event(struct bench_session *s, const char *pattern)
{
	struct lttng_event *ev = lttng_event_create();
	char buf[256], *bar, *tok, *save = NULL, *excl[8];
	int ret, nexcl = 0;

	if (!ev) {
		fprintf(stderr, "Cannot enable LTTng event: out of memory: pattern=%s\n",
			pattern);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", pattern);
	bar = strchr(buf, '|');
	if (bar) {
		*bar = '\0';
		for (tok = strtok_r(bar + 1, ",", &save); tok && nexcl < 8;
		     tok = strtok_r(NULL, ",", &save))
			excl[nexcl++] = tok;
	}
	ev->type = LTTNG_EVENT_TRACEPOINT;
	snprintf(ev->name, sizeof(ev->name), "%s", buf);
	ev->loglevel_type = LTTNG_EVENT_LOGLEVEL_ALL;
	ev->loglevel = -1;
	ret = nexcl ? lttng_enable_event_with_exclusions(s->handle, ev, s->channel, NULL, nexcl,
							 excl)
		    : lttng_enable_event(s->handle, ev, s->channel);
	if (ret < 0)
		fprintf(stderr, "Cannot enable LTTng event: %s: session=%s pattern=%s\n",
			lttng_strerror(ret), s->name, pattern);
	lttng_event_destroy(ev);
	return ret;
}

/* Only this process: concurrent programs must not land in our buffers, nor
 * we in theirs beyond what their own sessions ask for. */
static int track_self(struct bench_session *s)
{
	struct lttng_process_attr_tracker_handle *th = NULL;
	enum lttng_error_code code;
	int ret = -1;

	code = lttng_session_get_tracker_handle(s->name, LTTNG_DOMAIN_UST,
						LTTNG_PROCESS_ATTR_VIRTUAL_PROCESS_ID, &th);
	if (code != LTTNG_OK) {
		fprintf(stderr, "Cannot get the LTTng vpid tracker: %s: session=%s\n",
			lttng_strerror(-(int)code), s->name);
		goto out;
	}
	if (lttng_process_attr_tracker_handle_set_tracking_policy(
		    th, LTTNG_TRACKING_POLICY_INCLUDE_SET) !=
		    LTTNG_PROCESS_ATTR_TRACKER_HANDLE_STATUS_OK ||
	    lttng_process_attr_virtual_process_id_tracker_handle_add_pid(th, getpid()) !=
		    LTTNG_PROCESS_ATTR_TRACKER_HANDLE_STATUS_OK) {
		fprintf(stderr, "Cannot track this process in the LTTng session: tracker "
				"refused it: session=%s vpid=%d\n", s->name, (int)getpid());
		goto out;
	}
	ret = 0;
out:
	lttng_process_attr_tracker_handle_destroy(th);
	return ret;
}

int bench_session_open(struct bench_session *s, const char *const *events, size_t n)
{
	struct lttng_channel *chan = NULL;
	struct lttng_domain dom;
	char url[96];
	size_t i;
	int ret;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "weft-bench-%d", (int)getpid());
	snprintf(s->channel, sizeof(s->channel), "weft-bench");
	snprintf(s->dir, sizeof(s->dir), "/tmp/weft-bench-XXXXXX");
	if (!mkdtemp(s->dir)) {
		fprintf(stderr, "Cannot create the trace directory: %s: template=%s\n",
			strerror(errno), s->dir);
		s->dir[0] = '\0';
		return -1;
	}
	snprintf(url, sizeof(url), "file://%s", s->dir);
	ret = lttng_create_session(s->name, url);
	if (ret < 0) {
		fprintf(stderr, "Cannot create LTTng session: %s: name=%s\n",
			lttng_strerror(ret), s->name);
		goto fail;
	}
	s->created = 1;

	memset(&dom, 0, sizeof(dom));
	dom.type = LTTNG_DOMAIN_UST;
	dom.buf_type = LTTNG_BUFFER_PER_UID;
	s->handle = lttng_create_handle(s->name, &dom);
	chan = lttng_channel_create(&dom);
	if (!s->handle || !chan) {
		fprintf(stderr, "Cannot create LTTng channel: out of memory: session=%s\n",
			s->name);
		goto fail;
	}
	snprintf(chan->name, sizeof(chan->name), "%s", s->channel);
	chan->attr.overwrite = 0;
	chan->attr.subbuf_size = BENCH_SUBBUF_SIZE;
	chan->attr.num_subbuf = BENCH_NUM_SUBBUF;
	ret = lttng_enable_channel(s->handle, chan);
	if (ret < 0) {
		fprintf(stderr, "Cannot create LTTng channel: %s: session=%s channel=%s\n",
			lttng_strerror(ret), s->name, s->channel);
		goto fail;
	}
	if (add_context(s, LTTNG_EVENT_CONTEXT_VPID) < 0 ||
	    add_context(s, LTTNG_EVENT_CONTEXT_VTID) < 0 ||
	    add_context(s, LTTNG_EVENT_CONTEXT_PROCNAME) < 0 || track_self(s) < 0)
		goto fail;
	for (i = 0; i < n; i++)
		if (enable_event(s, events[i]) < 0)
			goto fail;
	lttng_channel_destroy(chan);
	return 0;
fail:
	lttng_channel_destroy(chan);
	bench_session_close(s);
	return -1;
}

int bench_session_start(struct bench_session *s)
{
	int ret;

	if (s->started)
		return 0;
	ret = lttng_start_tracing(s->name);
	if (ret < 0) {
		fprintf(stderr, "Cannot start LTTng session: %s: name=%s\n",
			lttng_strerror(ret), s->name);
		return -1;
	}
	s->started = 1;
	return 0;
}

int bench_session_stop(struct bench_session *s)
{
	int ret;

	if (!s->started)
		return 0;
	ret = lttng_stop_tracing(s->name);
	if (ret < 0) {
		fprintf(stderr, "Cannot stop LTTng session: %s: name=%s\n",
			lttng_strerror(ret), s->name);
		return -1;
	}
	s->started = 0;
	return 0;
}

int bench_session_discarded(struct bench_session *s, uint64_t *discarded)
{
	struct lttng_channel *chans = NULL;
	int n, i, ret = -1;

	n = lttng_list_channels(s->handle, &chans);
	if (n < 0) {
		fprintf(stderr, "Cannot list LTTng channels: %s: session=%s\n",
			lttng_strerror(n), s->name);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(chans[i].name, s->channel) != 0)
			continue;
		ret = lttng_channel_get_discarded_event_count(&chans[i], discarded);
		if (ret < 0)
			fprintf(stderr, "Cannot read the discarded-event count: %s: "
					"session=%s\n", lttng_strerror(ret), s->name);
		goto out;
	}
	fprintf(stderr, "Cannot read the discarded-event count: channel not found: "
			"session=%s channel=%s\n", s->name, s->channel);
out:
	free(chans);
	return ret < 0 ? -1 : 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

void bench_session_close(struct bench_session *s)
{
	int ret;

	if (s->started)
		bench_session_stop(s);
	if (s->created) {
		ret = lttng_destroy_session(s->name);
		if (ret < 0)
			fprintf(stderr, "Cannot destroy LTTng session: %s: name=%s\n",
				lttng_strerror(ret), s->name);
		s->created = 0;
	}
	if (s->handle) {
		lttng_destroy_handle(s->handle);
		s->handle = NULL;
	}
	if (s->dir[0] && getenv("WEFT_BENCH_KEEP_TRACE")) {
		fprintf(stderr, "# trace kept in %s (WEFT_BENCH_KEEP_TRACE)\n", s->dir);
		s->dir[0] = '\0';
	}
	if (s->dir[0]) {
		if (nftw(s->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
			fprintf(stderr, "Cannot remove the trace directory: %s: path=%s\n",
				strerror(errno), s->dir);
		s->dir[0] = '\0';
	}
}

int bench_wait_state(const int *state, int want_on, int timeout_ms)
{
	int waited;

	for (waited = 0;; waited++) {
		int on = __atomic_load_n(state, __ATOMIC_RELAXED) != 0;

		if (on == !!want_on)
			return 0;
		if (waited >= timeout_ms)
			return -1;
		bench_sleep_ms(1);
	}
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_spin_ns(int64_t ns)
{
	uint64_t end = bench_now_ns() + (uint64_t)ns;

	while (bench_now_ns() < end)
		bench_barrier();
}

void bench_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void bench_pin_thread(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double bench_percentile(double *v, size_t n, double p)
{
	size_t k;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	k = (size_t)((p * (double)n + 99.999) / 100.0);
	return v[(k ? k : 1) - 1];
}

int bench_run(char *const *argv, const char *out_path, double *wall_s)
{
	uint64_t t0 = bench_now_ns();
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		close(fd);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	if (wall_s)
		*wall_s = (double)(bench_now_ns() - t0) / 1e9;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void bench_print_file(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof line, f))
		fprintf(stderr, "  %s", line);
	if (f)
		fclose(f);
}

void bench_rmtree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static long long trace_bytes;

static int add_stream_bytes(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *base = path + ftw->base;

	if (flag == FTW_F && strcmp(base, "metadata") != 0 && !strstr(path, "/index/"))
		trace_bytes += (long long)st->st_size;
	return 0;
}

long long bench_trace_bytes(const char *dir)
{
	trace_bytes = 0;
	if (nftw(dir, add_stream_bytes, 16, FTW_PHYS) != 0) {
		fprintf(stderr, "Cannot measure a benchmark trace: %s: dir=%s\n", strerror(errno),
			dir);
		return -1;
	}
	return trace_bytes;
}

void bench_print(const char *name, double value, int decimals)
{
	printf("bench: %s=%.*f\n", name, decimals, value);
	fflush(stdout);
}

int bench_target(const char *name, double value, const char *op, double limit)
{
	int met = strcmp(op, "<=") == 0 ? value <= limit : value >= limit;

	printf("# target %s %s %g: %s (measured %g)\n", name, op, limit,
	       met ? "met" : "MISSED", value);
	return met;
}

void bench_print_machine(void)
{
	char line[256], model[128] = "unknown";
	double load[1] = { -1 };
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) != 0 || !colon)
			continue;
		snprintf(model, sizeof(model), "%s", colon + 2);
		model[strcspn(model, "\n")] = '\0';
		break;
	}
	if (f)
		fclose(f);
	getloadavg(load, 1);
	printf("# machine: cpu=\"%s\" online_cpus=%ld loadavg_1min=%.2f\n", model,
	       sysconf(_SC_NPROCESSORS_ONLN), load[0]);
}

/* ---- CPU of the consumer daemon, events in a trace ----------------------- */

/* Sums the first field of /proc/PID/task/TID/schedstat (ns on CPU) over the
 * threads of one process.  Returns 0 and adds to *ns, or -1. */
static int proc_cpu_ns(const char *pid, double *ns)
{
	char path[600], line[128];
	struct dirent *de;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/task", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		unsigned long long on_cpu;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task/%s/schedstat", pid, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue; /* the thread just ended */
		if (fgets(line, sizeof(line), f) && sscanf(line, "%llu", &on_cpu) == 1)
			*ns += (double)on_cpu;
		fclose(f);
	}
	closedir(d);
	return 0;
}

double bench_consumer_cpu_ns(void)
{
	char path[300], comm[64];
	struct dirent *de;
	double ns = 0;
	DIR *d = opendir("/proc");
	FILE *f;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && strncmp(comm, "lttng-consumerd", 15) == 0)
			proc_cpu_ns(de->d_name, &ns);
		fclose(f);
	}
	closedir(d);
	return ns;
}

long bench_count_events(const char *dir, const char *prefix)
{
	char cmd[256], line[4096];
	size_t plen = strlen(prefix);
	long n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "babeltrace2 '%s' 2>/dev/null", dir);
	p = popen(cmd, "r");
	if (!p) {
		fprintf(stderr, "Cannot count the trace's events: %s: dir=%s\n", strerror(errno),
			dir);
		return -1;
	}
	while (fgets(line, sizeof(line), p)) {
		/* "[time] (+delta) host PROVIDER:EVENT: { ..." */
		const char *s = strstr(line, ") ");

		if (s && (s = strchr(s + 2, ' ')) && strncmp(s + 1, prefix, plen) == 0)
			n++;
		/* A long line: skip the rest of it. */
		while (!strchr(line, '\n') && fgets(line, sizeof(line), p))
			;
	}
	if (pclose(p) != 0) {
		fprintf(stderr, "Cannot count the trace's events: babeltrace2 failed: dir=%s\n",
			dir);
		return -1;
	}
	return n;
}
