/*
 * test-weftd — weftd against a real multi-host setup, no mocks.
 *
 * Two simulated hosts, hostA and hostB, each a process tree in its own UTS,
 * mount and pid namespace: its own hostname, private tmpfs on /run/lttng
 * (the root session daemon's rundir) and /dev/shm (LTTng-UST's shared
 * memory), its own /proc and LTTNG_HOME, so that each runs its own
 * lttng-sessiond that neither sees the other nor the machine's own session
 * daemon (which keeps running untouched).  Both stream one session (same
 * name on both) over loopback to ONE lttng-relayd on ports picked free at
 * run time, with a 1 s rotation schedule.  On each host two weft-instrumented
 * processes (tests/unit/emit-events: N weft:annotate events numbered 1..N)
 * run with the same content: one as root, one as uid 65534 (so every chunk
 * holds two traces, ust/uid/0 and ust/uid/65534), and each at the same vpid
 * on both hosts (ns_last_pid is set before the fork), so pids collide.
 *
 * Expected values come from what emit-events is documented to emit (N
 * events, task ids 1..N, one process each) and, independently, from the
 * babeltrace2 command-line tool run over a copy of the chunks taken before
 * weftd deletes them; never from weftd.
 *
 * Everything the tests start (relayd, host namespaces, weftd) is killed by
 * pid at exit, even when an assertion fails; the namespaces' mounts vanish
 * with their last process; main() removes the temporary directory (set
 * WEFT_IT_KEEP=1 to keep it).  Needs root (mount, unshare): otherwise every
 * test is reported skipped, with the reason, and the exit status is 77 -- or,
 * in CI (CI=true), failed with exit status 1 (test_runner_cannot_run).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"

#define N_ROOT 3000     /* events of the root process, on each host */
#define N_USER 2000     /* events of the uid 65534 process, on each host */
#define EMIT_MS 2500    /* over this long: several 1 s rotations */
#define PID_ROOT 4242   /* the vpids both hosts give them */
#define PID_USER 5242
#define USER_ID 65534
#define NS_PER_S 1000000000LL

static char root_dir[PATH_MAX]; /* this run's temporary directory */
static char bin_dir[PATH_MAX + 8]; /* emit-events and libweft, readable by USER_ID */

/* ---- processes this test started: killed at exit, even on failure ----- */

static pid_t kids[16];

static void kids_add(pid_t pid)
{
	for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
		if (!kids[i]) {
			kids[i] = pid;
			return;
		}
}

static void kids_forget(pid_t pid)
{
	for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
		if (kids[i] == pid)
			kids[i] = 0;
}

/* atexit: SIGTERM, then SIGKILL whatever did not go within 3 s.  A host's
 * pid namespace dies with its init, which dies with its parent (here). */
static void kids_kill(void)
{
	for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
		if (kids[i])
			kill(kids[i], SIGTERM);
	for (int t = 0; t < 300; t++) {
		int left = 0;

		for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
			if (kids[i] && waitpid(kids[i], NULL, WNOHANG) == 0)
				left++;
			else
				kids[i] = 0;
		if (!left)
			return;
		usleep(10000);
	}
	for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
		if (kids[i]) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
			kids[i] = 0;
		}
}

static void kids_init(void)
{
	static int done;

	if (!done)
		atexit(kids_kill);
	done = 1;
}

/* ---- small helpers ------------------------------------------------------ */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static void pathf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		TEST_FAIL_("path too long: %s", buf);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* Copies src to bin_dir/name, mode 0755.  0 or -1 (errno set). */
static int copy_file(const char *src, const char *name)
{
	char dst[PATH_MAX + 64], buf[65536];
	int in, out, rc = 0;
	ssize_t n;

	pathf(dst, sizeof dst, "%s/%s", bin_dir, name);
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n) {
			rc = -1;
			break;
		}
	if (n < 0)
		rc = -1;
	close(in);
	if (close(out))
		rc = -1;
	return rc;
}

static void rm_rf(const char *path)
{
	if (access(path, F_OK) == 0)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f) {
		do {
			if (len + 4096 + 1 > cap) {
				cap = cap ? cap * 2 : 8192;
				buf = realloc(buf, cap);
				ASSERT_NOT_NULL(buf);
			}
			n = fread(buf + len, 1, cap - len - 1, f);
			len += n;
		} while (n > 0);
		fclose(f);
	}
	if (!buf)
		buf = calloc(1, 1);
	ASSERT_NOT_NULL(buf);
	buf[len] = '\0';
	return buf;
}

static unsigned count_substr(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static unsigned count_lines(const char *text)
{
	unsigned n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

static void note_file(const char *what, const char *path)
{
	char *s = slurp(path);

	fprintf(stderr, "# ---- %s (%s)\n%s# ----\n", what, path, s);
	free(s);
}

/* fork + exec with stdout/stderr to files (NULL: /dev/null); the caller
 * waits.  Registered for the kill at exit. */
static pid_t spawn(char *const argv[], const char *out, const char *err)
{
	pid_t pid;

	kids_init();
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		int o = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
		int e = open(err ? err : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	kids_add(pid);
	return pid;
}

/* Waits for pid up to timeout_s; returns its exit status (128 + signal if
 * killed); fails the test on timeout. */
static int wait_exit(pid_t pid, int timeout_s, const char *what)
{
	int64_t deadline = now_ns() + (int64_t)timeout_s * NS_PER_S;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			TEST_FAIL_("waitpid %s: %s", what, strerror(errno));
		if (now_ns() > deadline)
			TEST_FAIL_("%s did not exit within %d s", what, timeout_s);
		usleep(5000);
	}
	kids_forget(pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run(char *const argv[], const char *out, const char *err, int timeout_s)
{
	return wait_exit(spawn(argv, out, err), timeout_s, argv[0]);
}

static void cp_a(const char *src, const char *dst)
{
	char *argv[] = { "cp", "-a", (char *)src, (char *)dst, NULL };

	ASSERT_EQ(run(argv, NULL, NULL, 60), 0);
}

/* ---- the relayd tree ------------------------------------------------------ */

struct chunk {
	char host[256], session[256], name[256];
	char path[PATH_MAX];
	unsigned long long seq;
};

struct chunks {
	struct chunk v[64];
	size_t n;
	unsigned sessions;      /* session directories seen */
	unsigned extra_entries; /* entries of session directories other than archives/ */
};

static int cmp_chunk(const void *a, const void *b)
{
	const struct chunk *x = a, *y = b;
	int c = strcmp(x->host, y->host);

	if (!c)
		c = strcmp(x->session, y->session);
	if (!c && x->seq != y->seq)
		c = x->seq < y->seq ? -1 : 1;
	return c;
}

/* Lists BASE/HOST/SESSION/archives/CHUNK (the default relayd layout). */
static void list_chunks(const char *base, struct chunks *out)
{
	DIR *hd, *sd, *ad, *xd;
	struct dirent *h, *s, *a, *x;
	char p[PATH_MAX];

	memset(out, 0, sizeof(*out));
	hd = opendir(base);
	ASSERT_NOT_NULL(hd);
	while ((h = readdir(hd)) != NULL) {
		if (h->d_name[0] == '.')
			continue;
		pathf(p, sizeof p, "%s/%s", base, h->d_name);
		sd = opendir(p);
		if (!sd)
			continue;
		while ((s = readdir(sd)) != NULL) {
			if (s->d_name[0] == '.')
				continue;
			out->sessions++;
			pathf(p, sizeof p, "%s/%s/%s", base, h->d_name, s->d_name);
			xd = opendir(p);
			ASSERT_NOT_NULL(xd);
			while ((x = readdir(xd)) != NULL)
				out->extra_entries += x->d_name[0] != '.' && strcmp(x->d_name, "archives") != 0;
			closedir(xd);
			pathf(p, sizeof p, "%s/%s/%s/archives", base, h->d_name, s->d_name);
			ad = opendir(p);
			if (!ad)
				continue;
			while ((a = readdir(ad)) != NULL) {
				struct chunk *c;
				const char *dash = strrchr(a->d_name, '-');

				if (a->d_name[0] == '.')
					continue;
				ASSERT_LT(out->n, 64);
				c = &out->v[out->n++];
				snprintf(c->host, sizeof c->host, "%s", h->d_name);
				snprintf(c->session, sizeof c->session, "%s", s->d_name);
				snprintf(c->name, sizeof c->name, "%s", a->d_name);
				pathf(c->path, sizeof c->path, "%s/%s", p, a->d_name);
				c->seq = dash ? strtoull(dash + 1, NULL, 10) : 0;
			}
			closedir(ad);
		}
		closedir(sd);
	}
	closedir(hd);
	qsort(out->v, out->n, sizeof(out->v[0]), cmp_chunk);
}

/* What babeltrace2 (the CLI, not weft's decoder) reads in one chunk: the
 * weft:annotate events per vpid, and that each line names `host`. */
struct bt_counts {
	uint64_t root, user, other, wrong_host;
};

static void bt_count(const struct chunk *c, struct bt_counts *n)
{
	char cmd[PATH_MAX + 64], line[4096], want[300];
	FILE *f;

	pathf(cmd, sizeof cmd, "babeltrace2 '%s' 2>/dev/null", c->path);
	snprintf(want, sizeof want, ") %s weft:annotate: ", c->host);
	f = popen(cmd, "r");
	ASSERT_NOT_NULL(f);
	while (fgets(line, sizeof line, f)) {
		const char *v;
		long pid;

		if (!strstr(line, " weft:annotate: "))
			continue;
		n->wrong_host += strstr(line, want) == NULL;
		v = strstr(line, "vpid = ");
		pid = v ? strtol(v + 7, NULL, 10) : -1;
		if (pid == PID_ROOT)
			n->root++;
		else if (pid == PID_USER)
			n->user++;
		else
			n->other++;
	}
	ASSERT_EQ(pclose(f), 0);
}

/* ---- the relay daemon --------------------------------------------------- */

struct relayd {
	pid_t pid;
	int ctrl, data, live;
	char base[PATH_MAX], log[PATH_MAX];
};

/* Three ports nothing listens on now (the kernel's choice). */
static void free_ports(int *ports, int n)
{
	int fds[8];

	for (int i = 0; i < n; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET };
		socklen_t len = sizeof a;

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		ASSERT(fds[i] >= 0);
		ASSERT_EQ(bind(fds[i], (struct sockaddr *)&a, sizeof a), 0);
		ASSERT_EQ(getsockname(fds[i], (struct sockaddr *)&a, &len), 0);
		ports[i] = ntohs(a.sin_port);
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

static int port_open(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Starts lttng-relayd -o base on loopback.  It runs in a mount namespace
 * of its own with a private /run/lttng, so that not even its health socket
 * lands in the machine's rundir. */
static void relayd_start(struct relayd *r, const char *dir)
{
	char home[PATH_MAX], c[64], d[64], l[64];
	int ports[3];
	int64_t deadline;

	kids_init();
	memset(r, 0, sizeof(*r));
	pathf(r->base, sizeof r->base, "%s/base", dir);
	pathf(r->log, sizeof r->log, "%s/relayd.log", dir);
	pathf(home, sizeof home, "%s/relayd-home", dir);
	ASSERT_EQ(mkdir(r->base, 0755), 0);
	ASSERT_EQ(mkdir(home, 0755), 0);
	free_ports(ports, 3);
	r->ctrl = ports[0];
	r->data = ports[1];
	r->live = ports[2];
	snprintf(c, sizeof c, "tcp://127.0.0.1:%d", r->ctrl);
	snprintf(d, sizeof d, "tcp://127.0.0.1:%d", r->data);
	snprintf(l, sizeof l, "tcp://127.0.0.1:%d", r->live);
	fflush(stdout);
	fflush(stderr);
	r->pid = fork();
	ASSERT(r->pid >= 0);
	if (r->pid == 0) {
		char *argv[] = { "lttng-relayd", "-C", c, "-D", d, "-L", l, "-o", r->base, NULL };
		int fd = open(r->log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 || unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("tmpfs", "/run/lttng", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") ||
		    setenv("LTTNG_HOME", home, 1)) {
			perror("relayd setup");
			_exit(126);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	kids_add(r->pid);
	deadline = now_ns() + 10 * NS_PER_S;
	while (!port_open(r->ctrl) || !port_open(r->data)) {
		if (waitpid(r->pid, NULL, WNOHANG) == r->pid || now_ns() > deadline) {
			note_file("relayd log", r->log);
			TEST_FAIL_("lttng-relayd did not come up on ports %d/%d", r->ctrl, r->data);
		}
		usleep(20000);
	}
}

static void relayd_stop(struct relayd *r)
{
	if (r->pid > 0) {
		kill(r->pid, SIGTERM);
		wait_exit(r->pid, 20, "lttng-relayd");
		r->pid = 0;
	}
}

/* ---- a simulated host --------------------------------------------------- */

struct host {
	const char *name;
	pid_t pid;
	char dir[PATH_MAX], home[PATH_MAX], log[PATH_MAX];
};

/* In the host's namespaces: run a command with its output in the log. */
static int host_cmd(const struct host *h, char *const argv[])
{
	int status, fd;
	pid_t pid;
	FILE *f = fopen(h->log, "a");

	if (f) {
		fprintf(f, "+");
		for (int i = 0; argv[i]; i++)
			fprintf(f, " %s", argv[i]);
		fprintf(f, "\n");
		fclose(f);
	}
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		fd = open(h->log, O_WRONLY | O_APPEND);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void host_log(const struct host *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void host_log(const struct host *h, const char *fmt, ...)
{
	FILE *f = fopen(h->log, "a");
	va_list ap;

	if (!f)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

/* Starts emit-events as uid at vpid `want`: the pid namespace hands out
 * ns_last_pid + 1 to the next fork, and nothing else forks in between. */
static pid_t host_emit(const struct host *h, pid_t want, uid_t uid, const char *n)
{
	char ms[16];
	char exe[PATH_MAX + 32];
	char *argv[] = { exe, (char *)n, ms, NULL };
	FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");
	pid_t pid;

	snprintf(ms, sizeof ms, "%d", EMIT_MS);
	pathf(exe, sizeof exe, "%s/emit-events", bin_dir);
	if (!f || fprintf(f, "%d", (int)want - 1) < 0 || fclose(f) != 0) {
		host_log(h, "cannot set ns_last_pid: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		int fd = open(h->log, O_WRONLY | O_APPEND);

		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		if (uid && (setgroups(0, NULL) || setgid(uid) || setuid(uid)))
			_exit(125);
		setenv("LD_LIBRARY_PATH", bin_dir, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	host_log(h, "emit-events %s as uid %d: pid %d (wanted %d)", n, (int)uid, (int)pid,
		 (int)want);
	return pid;
}

/* The host's life, as pid 1 of its namespaces.  Returns the exit status. */
static int host_main(const struct host *h, const struct relayd *r, const char *session)
{
	char pidfile[PATH_MAX + 32], ctrl[64], data[64], nroot[16], nuser[16], buf[32];
	char *sessiond[] = { "lttng-sessiond", "--daemonize", "--no-kernel", pidfile, NULL };
	char *create[] = { "lttng", "create", (char *)session, ctrl, data, NULL };
	char *channel[] = { "lttng", "enable-channel", "-u", "-s", (char *)session,
			    "--buffers-uid", "weft", NULL };
	char *context[] = { "lttng", "add-context", "-u", "-s", (char *)session, "-c", "weft",
			    "-t", "vpid", "-t", "vtid", "-t", "procname", NULL };
	char *events[] = { "lttng", "enable-event", "-u", "-s", (char *)session, "-c", "weft",
			   "weft:*,lttng_ust_statedump:start", NULL };
	char *rotation[] = { "lttng", "enable-rotation", "-s", (char *)session, "--timer=1s", NULL };
	char *start[] = { "lttng", "start", (char *)session, NULL };
	char *norot[] = { "lttng", "disable-rotation", "-s", (char *)session, "--timer", NULL };
	char *stop[] = { "lttng", "stop", (char *)session, NULL };
	char *destroy[] = { "lttng", "destroy", (char *)session, NULL };
	char *rotate[] = { "lttng", "rotate", (char *)session, NULL };
	char *const *steps[] = { create, channel, context, events, rotation, start };
	pid_t a, b, sd = 0;
	int status, rc = 1;
	FILE *f;

	snprintf(pidfile, sizeof pidfile, "--pidfile=%s/sessiond.pid", h->dir);
	snprintf(ctrl, sizeof ctrl, "--ctrl-url=tcp://127.0.0.1:%d", r->ctrl);
	snprintf(data, sizeof data, "--data-url=tcp://127.0.0.1:%d", r->data);
	snprintf(nroot, sizeof nroot, "%d", N_ROOT);
	snprintf(nuser, sizeof nuser, "%d", N_USER);

	/* Private copies of everything LTTng shares through the file system;
	 * MS_PRIVATE first, so that nothing propagates back to the machine. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    sethostname(h->name, strlen(h->name)) ||
	    mount("tmpfs", "/run/lttng", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") ||
	    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") ||
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) ||
	    setenv("LTTNG_HOME", h->home, 1)) {
		host_log(h, "cannot set up the namespaces: %s", strerror(errno));
		return 1;
	}
	if (host_cmd(h, sessiond) != 0)
		goto out;
	f = fopen(pidfile + strlen("--pidfile="), "r");
	if (f && fgets(buf, sizeof buf, f))
		sd = (pid_t)atoi(buf);
	if (f)
		fclose(f);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (host_cmd(h, steps[i]) != 0)
			goto out;
	a = host_emit(h, PID_ROOT, 0, nroot);
	b = host_emit(h, PID_USER, USER_ID, nuser);
	/* One rotation for sure while they emit (the timer's may be late on a
	 * loaded machine; if one is pending this one is refused, which is as
	 * good): every host's events then span at least two chunks. */
	usleep(EMIT_MS * 1000 / 2);
	host_cmd(h, rotate);
	if (a < 0 || b < 0 || waitpid(a, &status, 0) != a || status != 0 ||
	    waitpid(b, &status, 0) != b || status != 0) {
		host_log(h, "emit-events failed");
		goto out;
	}
	/* No timer rotation after the stop; destroy then archives the last
	 * chunk (an implicit rotation) and waits until the relayd has it. */
	if (host_cmd(h, norot) || host_cmd(h, stop) || host_cmd(h, destroy))
		goto out;
	rc = 0;
out:
	if (sd > 0) {
		/* It was daemonized, so it is our child now (we are pid 1). */
		kill(sd, SIGTERM);
		for (int t = 0; t < 1000 && kill(sd, 0) == 0; t++) {
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			usleep(10000);
		}
	}
	host_log(h, "host done: %d", rc);
	return rc;
}

/* Forks the host: a child that unshares and forks the namespace's init. */
static void host_start(struct host *h, const char *name, const char *dir,
		       const struct relayd *r, const char *session)
{
	kids_init();
	memset(h, 0, sizeof(*h));
	h->name = name;
	pathf(h->dir, sizeof h->dir, "%s/%s", dir, name);
	pathf(h->home, sizeof h->home, "%s/home", h->dir);
	pathf(h->log, sizeof h->log, "%s/host.log", h->dir);
	ASSERT_EQ(mkdir(h->dir, 0755), 0);
	ASSERT_EQ(mkdir(h->home, 0755), 0);
	fflush(stdout);
	fflush(stderr);
	h->pid = fork();
	ASSERT(h->pid >= 0);
	if (h->pid == 0) {
		pid_t init;
		int status;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWPID)) {
			host_log(h, "unshare: %s", strerror(errno));
			_exit(1);
		}
		init = fork();
		if (init == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			_exit(host_main(h, r, session));
		}
		if (init < 0 || waitpid(init, &status, 0) != init)
			_exit(1);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
	}
	kids_add(h->pid);
}

static void host_wait(struct host *h)
{
	int rc = wait_exit(h->pid, 120, h->name);

	if (rc != 0) {
		note_file(h->name, h->log);
		TEST_FAIL_("host %s failed: exit status %d", h->name, rc);
	}
}

/* ---- weftd -------------------------------------------------------------- */

struct weftd_run {
	int status;
	char *out, *err;
	int64_t ns;
};

static void weftd_files(const char *dir, const char *tag, char *out, char *err)
{
	pathf(out, PATH_MAX, "%s/weftd-%s.out", dir, tag);
	pathf(err, PATH_MAX, "%s/weftd-%s.err", dir, tag);
}

/* weftd --once with extra arguments (NULL-terminated); output captured. */
static void weftd_once(const char *dir, const char *tag, const char *base, const char *db,
		       struct weftd_run *w)
{
	char out[PATH_MAX], err[PATH_MAX];
	char *argv[] = { WEFTD, "--relayd-output", (char *)base, "-o", (char *)db, "--once", NULL };
	int64_t t0 = now_ns();

	weftd_files(dir, tag, out, err);
	w->status = run(argv, out, err, 120);
	w->ns = now_ns() - t0;
	w->out = slurp(out);
	w->err = slurp(err);
	fprintf(stderr, "# weftd --once (%s): exit %d in %.0f ms, %u lines out, %u lines err\n",
		tag, w->status, (double)w->ns / 1e6, count_lines(w->out), count_lines(w->err));
}

static void weftd_free(struct weftd_run *w)
{
	free(w->out);
	free(w->err);
}

/* ---- the store, read with SQLite itself --------------------------------- */

static sqlite3 *db_open(const char *path)
{
	sqlite3 *db = NULL;

	ASSERT_EQ(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

/* One integer from a query with up to two text parameters. */
static int64_t q_int(sqlite3 *db, const char *sql, const char *p1, const char *p2)
{
	sqlite3_stmt *s = NULL;
	int64_t v;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		TEST_FAIL_("SQL error: %s: %s", sqlite3_errmsg(db), sql);
	if (p1)
		sqlite3_bind_text(s, 1, p1, -1, SQLITE_TRANSIENT);
	if (p2)
		sqlite3_bind_text(s, 2, p2, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) != SQLITE_ROW)
		TEST_FAIL_("no row: %s: %s", sqlite3_errmsg(db), sql);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void q_text(sqlite3 *db, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		TEST_FAIL_("SQL error: %s: %s", sqlite3_errmsg(db), sql);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(s, 0));
	else
		snprintf(buf, len, "(none)");
	sqlite3_finalize(s);
}

/* The store's view of one host: its one session, two processes with their
 * tasks (task ids 1..N, one placeholder row per annotated id) and
 * annotations.  Returns the session's row id. */
static int64_t check_host(sqlite3 *db, const char *host, const char *session_prefix,
			  uint64_t n_root, uint64_t n_user)
{
	static const char *const per_pid[] = {
		"SELECT count(*) FROM processes p JOIN sessions s ON p.session = s.id "
		"WHERE s.host = ?1 AND p.pid = ?2 AND p.name = 'emit-events' AND p.marked = 1",
		"SELECT count(*) FROM tasks t JOIN processes p ON t.process = p.id "
		"JOIN sessions s ON p.session = s.id WHERE s.host = ?1 AND p.pid = ?2",
		"SELECT count(DISTINCT t.task) FROM tasks t JOIN processes p ON t.process = p.id "
		"JOIN sessions s ON p.session = s.id WHERE s.host = ?1 AND p.pid = ?2",
		"SELECT max(t.task) FROM tasks t JOIN processes p ON t.process = p.id "
		"JOIN sessions s ON p.session = s.id WHERE s.host = ?1 AND p.pid = ?2",
		"SELECT count(*) FROM annotations a JOIN tasks t ON a.task = t.id "
		"JOIN processes p ON t.process = p.id JOIN sessions s ON p.session = s.id "
		"WHERE s.host = ?1 AND p.pid = ?2",
	};
	char root_pid[16], user_pid[16], like[300];

	snprintf(root_pid, sizeof root_pid, "%d", PID_ROOT);
	snprintf(user_pid, sizeof user_pid, "%d", PID_USER);
	snprintf(like, sizeof like, "%s-%%", session_prefix);
	ASSERT_EQ(q_int(db, "SELECT count(*) FROM sessions WHERE host = ?1 AND name LIKE ?2",
			host, like), 1);
	ASSERT_EQ(q_int(db, "SELECT count(*) FROM processes p JOIN sessions s "
			    "ON p.session = s.id WHERE s.host = ?1", host, NULL), 2);
	/* one marked process row per pid, named by its statedump */
	ASSERT_EQ(q_int(db, per_pid[0], host, root_pid), 1);
	ASSERT_EQ(q_int(db, per_pid[0], host, user_pid), 1);
	ASSERT_UEQ(q_int(db, per_pid[1], host, root_pid), n_root);
	ASSERT_UEQ(q_int(db, per_pid[2], host, root_pid), n_root);
	ASSERT_UEQ(q_int(db, per_pid[3], host, root_pid), n_root);
	ASSERT_UEQ(q_int(db, per_pid[4], host, root_pid), n_root);
	ASSERT_UEQ(q_int(db, per_pid[1], host, user_pid), n_user);
	ASSERT_UEQ(q_int(db, per_pid[2], host, user_pid), n_user);
	ASSERT_UEQ(q_int(db, per_pid[3], host, user_pid), n_user);
	ASSERT_UEQ(q_int(db, per_pid[4], host, user_pid), n_user);
	return q_int(db, "SELECT id FROM sessions WHERE host = ?1", host, NULL);
}

static void check_integrity(sqlite3 *db)
{
	char buf[256];

	q_text(db, "PRAGMA integrity_check", buf, sizeof buf);
	ASSERT_STR_EQ(buf, "ok");
	q_text(db, "PRAGMA foreign_key_check", buf, sizeof buf);
	ASSERT_STR_EQ(buf, "(none)");
}

/* ---- the recording -------------------------------------------------------- */

/* Both hosts stream the session to r; returns once both destroyed it. */
static void record_two_hosts(const char *dir, const struct relayd *r, const char *session,
			     int64_t *ns)
{
	struct host a, b;
	int64_t t0 = now_ns();

	host_start(&a, "hostA", dir, r, session);
	host_start(&b, "hostB", dir, r, session);
	host_wait(&a);
	host_wait(&b);
	*ns = now_ns() - t0;
}

/* The chunks of one recording, kept for the tests that damage or replay
 * them (copied by the first test that records; recorded here otherwise). */
static void fixture(char *out, size_t len)
{
	char dir[PATH_MAX], tmp[PATH_MAX], session[64];
	struct relayd r;
	int64_t ns;

	pathf(out, len, "%s/fixture", root_dir);
	if (access(out, F_OK) == 0)
		return;
	pathf(dir, sizeof dir, "%s/fixture-rec-%d", root_dir, (int)getpid());
	ASSERT_EQ(mkdir(dir, 0755), 0);
	snprintf(session, sizeof session, "h-wd-%d", (int)getpid());
	relayd_start(&r, dir);
	record_two_hosts(dir, &r, session, &ns);
	relayd_stop(&r);
	pathf(tmp, sizeof tmp, "%s/copy", dir);
	cp_a(r.base, tmp);
	ASSERT_EQ(rename(tmp, out), 0);
	rm_rf(dir);
}

/* ---- tests ----------------------------------------------------------------- */

/* The whole path: two hosts stream to one relayd while weftd runs and
 * ingests their chunks as they complete; then restarts find nothing new. */
TEST_IMPL(two_hosts)
{
	char dir[PATH_MAX], db[PATH_MAX], copy[PATH_MAX], session[64], out[PATH_MAX],
		err[PATH_MAX], dst[PATH_MAX];
	struct relayd r;
	struct chunks ch, left;
	struct bt_counts bt[2] = { { 0 } };
	struct weftd_run w;
	int64_t rec_ns, t0, sa, sb;
	pid_t live;
	sqlite3 *sql;
	char *lout, *lerr;

	pathf(dir, sizeof dir, "%s/two-hosts", root_dir);
	pathf(db, sizeof db, "%s/weft.db", dir);
	pathf(copy, sizeof copy, "%s/copy", dir);
	ASSERT_EQ(mkdir(dir, 0755), 0);
	snprintf(session, sizeof session, "h-wd-%d", (int)getpid());
	relayd_start(&r, dir);

	/* weftd watching while the hosts record (keeping the chunks, so that
	 * babeltrace2 can read the very same files afterwards). */
	{
		char *argv[] = { WEFTD, "--relayd-output", r.base, "-o", db, "--poll", "200ms",
				 "--keep", NULL };

		weftd_files(dir, "live", out, err);
		live = spawn(argv, out, err);
	}
	record_two_hosts(dir, &r, session, &rec_ns);

	/* The relayd's tree: BASE/HOST/SESSION-DATETIME/archives/CHUNK, and
	 * nothing but archives/ left in the session directories (the last
	 * chunk was archived by the destroy). */
	list_chunks(r.base, &ch);
	ASSERT_EQ(ch.sessions, 2);
	ASSERT_EQ(ch.extra_entries, 0);
	ASSERT_GE(ch.n, 4);
	ASSERT_STR_EQ(ch.v[0].host, "hostA");
	ASSERT_STR_EQ(ch.v[1].host, "hostA");
	ASSERT_STR_EQ(ch.v[ch.n - 2].host, "hostB");
	ASSERT_STR_EQ(ch.v[ch.n - 1].host, "hostB");
	ASSERT_EQ(strncmp(ch.v[0].session, session, strlen(session)), 0);
	ASSERT_EQ(strncmp(ch.v[ch.n - 1].session, session, strlen(session)), 0);
	fprintf(stderr, "# recorded %zu chunks on 2 hosts in %.1f s, e.g. %s/%s/archives/%s\n",
		ch.n, (double)rec_ns / 1e9, ch.v[0].host, ch.v[0].session, ch.v[0].name);

	/* All of them reach the store while weftd runs. */
	t0 = now_ns();
	for (;;) {
		int64_t n = 0;

		if (access(db, F_OK) == 0) {
			sql = db_open(db);
			n = q_int(sql, "SELECT count(*) FROM chunks", NULL, NULL);
			sqlite3_close(sql);
		}
		if ((size_t)n == ch.n)
			break;
		if (now_ns() - t0 > 60 * NS_PER_S || waitpid(live, NULL, WNOHANG) == live) {
			note_file("weftd out", out);
			note_file("weftd err", err);
			TEST_FAIL_("weftd has %lld of %zu chunks", (long long)n, ch.n);
		}
		usleep(50000);
	}
	fprintf(stderr, "# live weftd had all chunks in the store %.0f ms after both hosts "
			"destroyed their session\n", (double)(now_ns() - t0) / 1e6);
	/* ... and, both sessions destroyed, ends them (after a quiet second) */
	t0 = now_ns();
	for (;;) {
		int64_t n;

		sql = db_open(db);
		n = q_int(sql, "SELECT count(*) FROM sessions WHERE end_ns IS NOT NULL AND end_ns "
			       ">= (SELECT max(last_ns) FROM chunks c WHERE c.session = sessions.id)",
			  NULL, NULL);
		sqlite3_close(sql);
		if (n == 2)
			break;
		if (now_ns() - t0 > 30 * NS_PER_S)
			TEST_FAIL_("weftd ended %lld of 2 sessions", (long long)n);
		usleep(100000);
	}
	kill(live, SIGTERM);
	ASSERT_EQ(wait_exit(live, 30, "weftd"), 0);
	lout = slurp(out);
	ASSERT_EQ(count_substr(lout, ": session ended (no chunk being written, all chunks in)\n"),
		  2);
	lerr = slurp(err);
	if (*lerr)
		note_file("weftd err", err);
	ASSERT_STR_EQ(lerr, "");
	ASSERT_EQ(count_substr(lout, ", loss: "), ch.n);
	ASSERT_EQ(count_substr(lout, ", kept\n"), ch.n);
	ASSERT_NOT_NULL(strstr(lout, "weftd: stopped by signal: "));
	free(lout);
	free(lerr);

	/* A copy of the chunks as the relayd wrote them, for babeltrace2,
	 * for the replay below and for the other tests. */
	cp_a(r.base, copy);
	for (size_t i = 0; i < ch.n; i++) {
		struct chunk c = ch.v[i];

		pathf(c.path, sizeof c.path, "%s/%s/%s/archives/%s", copy, c.host, c.session, c.name);
		bt_count(&c, &bt[strcmp(c.host, "hostB") == 0]);
	}
	for (int h = 0; h < 2; h++) {
		ASSERT_UEQ(bt[h].root, N_ROOT);
		ASSERT_UEQ(bt[h].user, N_USER);
		ASSERT_UEQ(bt[h].other, 0);
		ASSERT_UEQ(bt[h].wrong_host, 0);
	}

	/* A restart: everything is in already; chunks are only removed. */
	weftd_once(dir, "restart", r.base, db, &w);
	ASSERT_EQ(w.status, 0);
	ASSERT_STR_EQ(w.err, "");
	ASSERT_EQ(count_substr(w.out, ": already in the store, removed\n"), ch.n);
	weftd_free(&w);
	list_chunks(r.base, &left);
	ASSERT_EQ(left.n, 0);

	/* A crash between commit and removal, replayed: the chunks come back
	 * and are recognised without being ingested twice. */
	for (size_t i = 0; i < ch.n; i++) {
		char src[PATH_MAX];

		pathf(src, sizeof src, "%s/%s/%s/archives/%s", copy, ch.v[i].host, ch.v[i].session,
		      ch.v[i].name);
		pathf(dst, sizeof dst, "%s", ch.v[i].path);
		cp_a(src, dst);
	}
	weftd_once(dir, "replay", r.base, db, &w);
	ASSERT_EQ(w.status, 0);
	ASSERT_STR_EQ(w.err, "");
	ASSERT_EQ(count_substr(w.out, ": already in the store, removed\n"), ch.n);
	weftd_free(&w);
	relayd_stop(&r);

	/* The store: one session per host, each with its own processes, pids
	 * colliding across hosts, counts as emitted and as babeltrace2 read. */
	sql = db_open(db);
	ASSERT_EQ(q_int(sql, "SELECT count(*) FROM sessions", NULL, NULL), 2);
	sa = check_host(sql, "hostA", session, bt[0].root, bt[0].user);
	sb = check_host(sql, "hostB", session, bt[1].root, bt[1].user);
	ASSERT_NE(sa, sb);
	ASSERT_EQ(q_int(sql, "SELECT count(*) FROM processes WHERE pid = 4242", NULL, NULL), 2);
	ASSERT_EQ(q_int(sql, "SELECT count(DISTINCT session) FROM processes WHERE pid = 4242",
			NULL, NULL), 2);
	ASSERT_UEQ(q_int(sql, "SELECT count(*) FROM chunks", NULL, NULL), ch.n);
	ASSERT_UEQ(q_int(sql, "SELECT sum(events) FROM chunks", NULL, NULL),
		   2 * (N_ROOT + N_USER));
	ASSERT_EQ(q_int(sql, "SELECT count(*) FROM loss", NULL, NULL), 0);
	check_integrity(sql);
	sqlite3_close(sql);

	/* Keep the copy as the fixture of the other tests. */
	pathf(dst, sizeof dst, "%s/fixture", root_dir);
	if (access(dst, F_OK) != 0)
		ASSERT_EQ(rename(copy, dst), 0);
	return 0;
}

/* A corrupt chunk is reported, left in place and skipped; the chunks after
 * it go in; once repaired, it goes in too. */
TEST_IMPL(corrupt_chunk_skipped)
{
	char fix[PATH_MAX], dir[PATH_MAX], base[PATH_MAX], db[PATH_MAX], p[PATH_MAX],
		stream[PATH_MAX], orig[PATH_MAX];
	struct chunks ch, left;
	struct bt_counts bad = { 0 };
	struct weftd_run w;
	struct dirent *de;
	off_t biggest = 0;
	sqlite3 *sql;
	DIR *d;
	FILE *f;

	fixture(fix, sizeof fix);
	pathf(dir, sizeof dir, "%s/corrupt", root_dir);
	pathf(base, sizeof base, "%s/base", dir);
	pathf(db, sizeof db, "%s/weft.db", dir);
	ASSERT_EQ(mkdir(dir, 0755), 0);
	ASSERT_EQ(mkdir(base, 0755), 0);
	pathf(p, sizeof p, "%s/hostA", fix);
	cp_a(p, base);
	list_chunks(base, &ch);
	ASSERT_GE(ch.n, 2);

	/* The first chunk (it holds the start of both processes): the packet
	 * magic of its biggest root stream file is gone. */
	pathf(orig, sizeof orig, "%s/%s/%s/archives/%s", fix, ch.v[0].host, ch.v[0].session,
	      ch.v[0].name);
	{
		struct chunk c = ch.v[0];

		snprintf(c.path, sizeof c.path, "%s", orig);
		bt_count(&c, &bad);
	}
	ASSERT_GT(bad.root + bad.user, 0);
	pathf(p, sizeof p, "%s/ust/uid/0/64-bit", ch.v[0].path);
	d = opendir(p);
	ASSERT_NOT_NULL(d);
	while ((de = readdir(d)) != NULL) {
		struct stat sb;
		char f2[PATH_MAX];

		pathf(f2, sizeof f2, "%s/%s", p, de->d_name);
		if (strncmp(de->d_name, "weft_", 5) == 0 && stat(f2, &sb) == 0 &&
		    sb.st_size > biggest) {
			biggest = sb.st_size;
			pathf(stream, sizeof stream, "%s", f2);
		}
	}
	closedir(d);
	ASSERT_GT(biggest, 0);
	f = fopen(stream, "r+");
	ASSERT_NOT_NULL(f);
	ASSERT_EQ(fputs("JUNK", f) >= 0, 1);
	ASSERT_EQ(fclose(f), 0);

	weftd_once(dir, "corrupt", base, db, &w);
	ASSERT_EQ(w.status, 1);
	ASSERT_EQ(count_lines(w.err), 1);
	ASSERT_NOT_NULL(strstr(w.err, "weftd: Cannot decode trace: "));
	ASSERT_NOT_NULL(strstr(w.err, ch.v[0].name));
	ASSERT_NOT_NULL(strstr(w.err, "left in place and skipped"));
	ASSERT_EQ(count_substr(w.out, ", loss: "), ch.n - 1);
	ASSERT_NOT_NULL(strstr(w.out, "1 failed"));
	weftd_free(&w);
	list_chunks(base, &left);
	ASSERT_EQ(left.n, 1);
	ASSERT_STR_EQ(left.v[0].name, ch.v[0].name);

	sql = db_open(db);
	ASSERT_UEQ(q_int(sql, "SELECT count(*) FROM chunks", NULL, NULL), ch.n - 1);
	ASSERT_EQ(q_int(sql, "SELECT count(*) FROM chunks WHERE chunk = ?1", ch.v[0].name, NULL), 0);
	ASSERT_UEQ(q_int(sql, "SELECT sum(events) FROM chunks", NULL, NULL),
		   N_ROOT + N_USER - bad.root - bad.user);
	sqlite3_close(sql);

	/* Still there on the next run: reported again, nothing doubled. */
	weftd_once(dir, "corrupt-again", base, db, &w);
	ASSERT_EQ(w.status, 1);
	ASSERT_EQ(count_lines(w.err), 1);
	ASSERT_EQ(count_substr(w.out, ", loss: "), 0);
	weftd_free(&w);

	/* Repaired (the original put back): ingested, out of order, and the
	 * hosts' processes come out whole. */
	rm_rf(ch.v[0].path);
	cp_a(orig, ch.v[0].path);
	weftd_once(dir, "repaired", base, db, &w);
	ASSERT_EQ(w.status, 0);
	ASSERT_STR_EQ(w.err, "");
	ASSERT_EQ(count_substr(w.out, ", loss: "), 1);
	weftd_free(&w);
	list_chunks(base, &left);
	ASSERT_EQ(left.n, 0);
	sql = db_open(db);
	ASSERT_UEQ(q_int(sql, "SELECT count(*) FROM chunks", NULL, NULL), ch.n);
	check_host(sql, "hostA", "h-wd", N_ROOT, N_USER);
	check_integrity(sql);
	sqlite3_close(sql);
	return 0;
}

/* The daemon mode on chunks delivered the way the relayd delivers them (one
 * rename into archives/), next to a chunk still being written, and an empty
 * chunk; the lock on BASE; SIGTERM. */
TEST_IMPL(watch_lock_signal)
{
	char fix[PATH_MAX], dir[PATH_MAX], base[PATH_MAX], db[PATH_MAX], p[PATH_MAX],
		out[PATH_MAX], err[PATH_MAX], sdir[PATH_MAX], busy[PATH_MAX], tmp[PATH_MAX];
	struct chunks ch, left;
	struct weftd_run w;
	int64_t t0, last = 0;
	pid_t live;
	sqlite3 *sql;
	char *lout;

	fixture(fix, sizeof fix);
	pathf(dir, sizeof dir, "%s/watch", root_dir);
	pathf(base, sizeof base, "%s/base", dir);
	pathf(db, sizeof db, "%s/weft.db", dir);
	ASSERT_EQ(mkdir(dir, 0755), 0);
	ASSERT_EQ(mkdir(base, 0755), 0);
	{
		struct chunks all;

		list_chunks(fix, &all);
		memset(&ch, 0, sizeof ch);
		for (size_t i = 0; i < all.n; i++)
			if (strcmp(all.v[i].host, "hostB") == 0)
				ch.v[ch.n++] = all.v[i];
	}
	ASSERT_GE(ch.n, 2);

	{
		char *argv[] = { WEFTD, "--relayd-output", base, "-o", db, "--poll", "100ms", NULL };

		weftd_files(dir, "watch", out, err);
		live = spawn(argv, out, err);
	}
	/* A second weftd on the same BASE refuses (once the first holds it). */
	usleep(300000);
	weftd_once(dir, "second", base, db, &w);
	ASSERT_EQ(w.status, 1);
	ASSERT_NOT_NULL(strstr(w.err, "another weftd is using it"));
	weftd_free(&w);

	/* A session directory with a chunk in progress (not under archives/):
	 * weftd must neither ingest nor touch it. */
	pathf(sdir, sizeof sdir, "%s/hostB", base);
	ASSERT_EQ(mkdir(sdir, 0755), 0);
	pathf(sdir, sizeof sdir, "%s/hostB/%s", base, ch.v[0].session);
	ASSERT_EQ(mkdir(sdir, 0755), 0);
	pathf(busy, sizeof busy, "%s/20300101T000000+0000-99", sdir);
	cp_a(ch.v[0].path, busy);
	pathf(p, sizeof p, "%s/archives", sdir);
	ASSERT_EQ(mkdir(p, 0755), 0);

	/* Deliver like the relayd: build in a dot-directory, one rename. */
	for (size_t i = 0; i < ch.n; i++) {
		pathf(tmp, sizeof tmp, "%s/.tmp_old_chunk", sdir);
		cp_a(ch.v[i].path, tmp);
		pathf(p, sizeof p, "%s/archives/%s", sdir, ch.v[i].name);
		ASSERT_EQ(rename(tmp, p), 0);
		last = now_ns();
		usleep(150000);
	}
	/* An idle rotation: nothing registered, so the chunk holds no trace. */
	pathf(tmp, sizeof tmp, "%s/.tmp_old_chunk", sdir);
	ASSERT_EQ(mkdir(tmp, 0755), 0);
	pathf(p, sizeof p, "%s/archives/20300101T000000+0000-20300101T000001+0000-98", sdir);
	ASSERT_EQ(rename(tmp, p), 0);
	t0 = now_ns();
	for (;;) {
		list_chunks(base, &left);
		if (left.n == 0)
			break;
		if (now_ns() - t0 > 30 * NS_PER_S || waitpid(live, NULL, WNOHANG) == live) {
			note_file("weftd out", out);
			note_file("weftd err", err);
			TEST_FAIL_("weftd left %zu chunks", left.n);
		}
		usleep(20000);
	}
	fprintf(stderr, "# watching weftd removed the last chunk %.0f ms after its rename\n",
		(double)(now_ns() - last) / 1e6);
	ASSERT_EQ(access(busy, F_OK), 0);
	pathf(p, sizeof p, "%s/ust/uid/0/64-bit/metadata", busy);
	ASSERT_EQ(access(p, F_OK), 0);

	kill(live, SIGTERM);
	ASSERT_EQ(wait_exit(live, 30, "weftd"), 0);
	lout = slurp(out);
	/* its session has a chunk being written: not ended */
	ASSERT_EQ(count_substr(lout, "session ended"), 0);
	ASSERT_EQ(count_substr(lout, ", loss: "), ch.n);
	ASSERT_EQ(count_substr(lout, ", removed\n"), ch.n + 1);
	ASSERT_EQ(count_substr(lout, "-98: empty (no trace in it), removed\n"), 1);
	ASSERT_NOT_NULL(strstr(lout, "weftd: stopped by signal: "));
	free(lout);
	lout = slurp(err);
	ASSERT_STR_EQ(lout, "");
	free(lout);

	sql = db_open(db);
	ASSERT_EQ(q_int(sql, "SELECT count(*) FROM sessions", NULL, NULL), 1);
	ASSERT_UEQ(q_int(sql, "SELECT count(*) FROM chunks", NULL, NULL), ch.n);
	check_host(sql, "hostB", "h-wd", N_ROOT, N_USER);
	check_integrity(sql);
	sqlite3_close(sql);
	return 0;
}

/* Command-line errors: one line, the documented exit status, no store. */
TEST_IMPL(command_line)
{
	char dir[PATH_MAX], out[PATH_MAX], err[PATH_MAX], db[PATH_MAX], missing[PATH_MAX];
	char *help[] = { WEFTD, "--help", NULL };
	char *none[] = { WEFTD, NULL };
	char *poll[] = { WEFTD, "--relayd-output", dir, "--poll", "0", NULL };
	char *extra[] = { WEFTD, "--relayd-output", dir, "stray", NULL };
	char *nodir[] = { WEFTD, "--relayd-output", missing, "-o", db, "--once", NULL };
	char *s;

	pathf(dir, sizeof dir, "%s/cli", root_dir);
	pathf(db, sizeof db, "%s/weft.db", dir);
	pathf(missing, sizeof missing, "%s/nope", dir);
	pathf(out, sizeof out, "%s/out", dir);
	pathf(err, sizeof err, "%s/err", dir);
	ASSERT_EQ(mkdir(dir, 0755), 0);

	ASSERT_EQ(run(help, out, err, 10), 0);
	s = slurp(out);
	ASSERT_EQ(strncmp(s, "usage: weftd --relayd-output BASE", 33), 0);
	ASSERT_NOT_NULL(strstr(s, "BASE/HOST/SESSION-DATETIME/archives/CHUNK/"));
	free(s);

	struct {
		char **argv;
		int status;
		const char *says;
	} cases[] = {
		{ none, 2, "weftd: Cannot start: --relayd-output BASE is required\n" },
		{ poll, 2, "weftd: Cannot start: --poll wants a duration from 1ms to 1h: value=0\n" },
		{ extra, 2, "weftd: Cannot start: unexpected argument: argument=stray\n" },
		{ nodir, 1, "weftd: Cannot watch relayd output: no such directory: path=" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unlink(err);
		ASSERT_EQ(run(cases[i].argv, NULL, err, 10), cases[i].status);
		s = slurp(err);
		ASSERT_EQ(strncmp(s, cases[i].says, strlen(cases[i].says)), 0);
		free(s);
	}
	ASSERT_NE(access(db, F_OK), 0); /* nothing created on failure */
	return 0;
}

/*
 * A chunk that holds only another LTTng-UST application's trace: a process
 * that links liblttng-ust but not weft registers while the weft session
 * runs, so the chunk has a trace with nothing but its statedump.  It is an
 * empty chunk (as for the recorder), not a failure: weftd --once exits 0 and
 * removes it.  Recorded for real on the machine's session daemon, in a
 * session of our own that tracks only that process.
 */
TEST_IMPL(foreign_chunk_is_empty)
{
	char dir[PATH_MAX], base[PATH_MAX], sdir[PATH_MAX], db[PATH_MAX], script[PATH_MAX],
		out[PATH_MAX], err[PATH_MAX], pattern[3 * PATH_MAX], session[64];
	char *sh[] = { "sh", script, sdir, session, NULL };
	char *bt[] = { "sh", "-c", pattern, NULL };
	struct weftd_run w;
	struct chunks ch;
	sqlite3 *sql;
	char *s;
	FILE *f;

	pathf(dir, sizeof dir, "%s/foreign", root_dir);
	pathf(base, sizeof base, "%s/base", dir);
	pathf(sdir, sizeof sdir, "%s/base/hostF/sess-%d", dir, (int)getpid());
	pathf(db, sizeof db, "%s/weft.db", dir);
	pathf(script, sizeof script, "%s/record.sh", dir);
	pathf(out, sizeof out, "%s/record.out", dir);
	pathf(err, sizeof err, "%s/record.err", dir);
	snprintf(session, sizeof session, "wt-wd-foreign-%d", (int)getpid());
	ASSERT_EQ(mkdir(dir, 0755), 0);
	ASSERT_EQ(mkdir(base, 0755), 0);
	f = fopen(script, "w");
	ASSERT_NOT_NULL(f);
	fputs("set -e\n"
	      "out=$1; S=$2\n"
	      "trap 'lttng destroy $S >/dev/null 2>&1 || true' EXIT\n"
	      "lttng create $S --output=$out >/dev/null\n"
	      "lttng enable-channel -u -s $S --buffers-uid weft >/dev/null\n"
	      "lttng add-context -u -s $S -c weft -t vpid -t vtid -t procname >/dev/null\n"
	      "lttng enable-event -u -s $S -c weft 'weft:*,lttng_ust_statedump:start' >/dev/null\n"
	      "lttng untrack -u -s $S --vpid --all >/dev/null\n"
	      "lttng start $S >/dev/null\n"
	      "mkfifo $out.go\n"
	      /* held until tracked, then exec'd with the same pid */
	      "sh -c 'read x < \"$0\"; exec env LD_PRELOAD=liblttng-ust.so.1 sleep 0.5' $out.go &\n"
	      "pid=$!\n"
	      "lttng track -u -s $S --vpid $pid >/dev/null\n"
	      "echo go > $out.go\n"
	      "wait $pid\n"
	      "rm -f $out.go\n"
	      "lttng stop $S >/dev/null\n"
	      "lttng rotate $S >/dev/null\n", f);
	ASSERT_EQ(fclose(f), 0);
	ASSERT_EQ(run(sh, out, err, 60), 0);

	list_chunks(base, &ch);
	ASSERT_EQ(ch.n, 1);
	/* babeltrace2's reading: a statedump, no weft event */
	snprintf(pattern, sizeof pattern, "babeltrace2 '%s' > '%s'", ch.v[0].path, out);
	ASSERT_EQ(run(bt, NULL, err, 60), 0);
	s = slurp(out);
	ASSERT_GE(count_substr(s, " lttng_ust_statedump:start: "), 1);
	ASSERT_EQ(count_substr(s, " weft:"), 0);
	free(s);

	weftd_once(dir, "foreign", base, db, &w);
	if (w.status != 0 || *w.err)
		TEST_FAIL_("weftd --once: exit %d: [%s] [%s]", w.status, w.out, w.err);
	ASSERT_EQ(count_substr(w.out, ": empty (no weft trace in it: "), 1);
	ASSERT_NOT_NULL(strstr(w.out, ", 1 empty, 0 failed"));
	weftd_free(&w);
	ASSERT_NE(access(ch.v[0].path, F_OK), 0); /* removed, as an empty chunk is */
	sql = db_open(db);
	ASSERT_EQ(q_int(sql, "SELECT count(*) FROM chunks", NULL, NULL), 0);
	check_integrity(sql);
	sqlite3_close(sql);
	return 0;
}

/*
 * weftd writes sessions.end_ns when a session is over: its directory holds
 * no chunk being written (lttng destroy archived the last one) and all its
 * chunks are in.  A session directory with a chunk being written (here an
 * empty BEGIN-ID directory next to archives/, as the relayd keeps one for a
 * live session) is not ended; once it is gone, the session ends, at the END
 * time of its last chunk, never before its last event, and only once.
 */
TEST_IMPL(session_end)
{
	char fix[PATH_MAX], dir[PATH_MAX], base[PATH_MAX], db[PATH_MAX], p[PATH_MAX],
		live[PATH_MAX], last[300];
	struct chunks ch;
	struct weftd_run w;
	sqlite3 *sql;
	int64_t end, want;
	struct tm tm;

	fixture(fix, sizeof fix);
	pathf(dir, sizeof dir, "%s/session-end", root_dir);
	pathf(base, sizeof base, "%s/base", dir);
	pathf(db, sizeof db, "%s/weft.db", dir);
	ASSERT_EQ(mkdir(dir, 0755), 0);
	ASSERT_EQ(mkdir(base, 0755), 0);
	pathf(p, sizeof p, "%s/hostA", fix);
	cp_a(p, base);
	list_chunks(base, &ch);
	ASSERT_GE(ch.n, 2);
	ASSERT_EQ(ch.sessions, 1);
	snprintf(last, sizeof last, "%s", ch.v[ch.n - 1].name);
	pathf(live, sizeof live, "%s/hostA/%s/20991231T235959+0000-%llu", base,
	      ch.v[0].session, ch.v[ch.n - 1].seq + 1);
	ASSERT_EQ(mkdir(live, 0755), 0);

	/* live: every chunk in, but not ended */
	weftd_once(dir, "live", base, db, &w);
	ASSERT_EQ(w.status, 0);
	ASSERT_EQ(count_substr(w.out, "session ended"), 0);
	weftd_free(&w);
	sql = db_open(db);
	ASSERT_UEQ(q_int(sql, "SELECT count(*) FROM chunks", NULL, NULL), ch.n);
	ASSERT_EQ(q_int(sql, "SELECT count(*) FROM sessions WHERE end_ns IS NULL", NULL, NULL), 1);
	sqlite3_close(sql);

	/* destroyed: the chunk being written is gone (archived, ingested) */
	ASSERT_EQ(rmdir(live), 0);
	weftd_once(dir, "ended", base, db, &w);
	ASSERT_EQ(w.status, 0);
	ASSERT_STR_EQ(w.err, "");
	ASSERT_EQ(count_substr(w.out, ": session ended (no chunk being written, all chunks in)\n"),
		  1);
	weftd_free(&w);
	sql = db_open(db);
	end = q_int(sql, "SELECT end_ns + start_ns FROM sessions", NULL, NULL);
	/* the last chunk's END (BEGIN-END-ID), UTC in the relayd's names */
	memset(&tm, 0, sizeof tm);
	ASSERT_NOT_NULL(strptime(last + 21, "%Y%m%dT%H%M%S", &tm));
	want = (int64_t)timegm(&tm) * NS_PER_S;
	ASSERT_EQ(strncmp(last + 36, "+0000", 5), 0);
	ASSERT_GE(end, want);
	ASSERT_EQ(q_int(sql, "SELECT count(*) FROM sessions WHERE end_ns >= "
			    "(SELECT max(last_ns) FROM chunks)", NULL, NULL), 1);
	if (end > want)
		ASSERT_EQ(end, q_int(sql, "SELECT start_ns + (SELECT max(last_ns) FROM chunks) "
					  "FROM sessions", NULL, NULL));
	check_integrity(sql);
	sqlite3_close(sql);

	/* a restart does not end it again */
	weftd_once(dir, "again", base, db, &w);
	ASSERT_EQ(w.status, 0);
	ASSERT_EQ(count_substr(w.out, "session ended"), 0);
	weftd_free(&w);
	return 0;
}

static const struct test_entry tests[] = {
	TEST_ENTRY_TIMEOUT(command_line, 30)
	TEST_ENTRY_TIMEOUT(two_hosts, 300)
	TEST_ENTRY_TIMEOUT(corrupt_chunk_skipped, 300)
	TEST_ENTRY_TIMEOUT(watch_lock_signal, 300)
	TEST_ENTRY_TIMEOUT(foreign_chunk_is_empty, 120)
	TEST_ENTRY_TIMEOUT(session_end, 300)
};
#define N_TESTS (sizeof(tests) / sizeof(tests[0]))

/* Whether this machine lets us build a host: "" if so, else why not. */
static void probe(char *why, size_t len)
{
	static const char *const tools[] = { "lttng", "lttng-sessiond", "lttng-relayd",
					     "babeltrace2", "cp" };
	char cmd[128];
	int status;
	pid_t pid;

	why[0] = '\0';
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tools[i]);
		if (system(cmd) != 0) {
			snprintf(why, len, "%s not found in PATH", tools[i]);
			return;
		}
	}
	if (geteuid() != 0) {
		snprintf(why, len, "not root: simulating hosts needs mount and unshare");
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWPID))
			_exit(10);
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			_exit(11);
		if (mount("tmpfs", "/run/lttng", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"))
			_exit(12);
		if (sethostname("probe", 5))
			_exit(13);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
		snprintf(why, len, "cannot fork a probe");
		return;
	}
	switch (WEXITSTATUS(status)) {
	case 0:
		return;
	case 10:
		snprintf(why, len, "unshare(CLONE_NEWUTS|CLONE_NEWNS|CLONE_NEWPID) is refused");
		return;
	case 11:
		snprintf(why, len, "cannot make the mount namespace private");
		return;
	case 12:
		snprintf(why, len, "cannot mount a tmpfs on /run/lttng in a mount namespace");
		return;
	default:
		snprintf(why, len, "cannot set the hostname in a UTS namespace");
		return;
	}
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	char why[256];
	int rc;

	if (argc > 1 && argv[1][0] == '-' && strcmp(argv[1], "--no-fork") != 0)
		return test_runner_main(argc, argv, tests, N_TESTS);
	probe(why, sizeof why);
	if (why[0])
		return test_runner_cannot_run(argc, argv, tests, N_TESTS, why);
	snprintf(root_dir, sizeof root_dir, "%s/weft-weftd-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root_dir)) {
		fprintf(stderr, "Cannot create the test directory: %s: path=%s\n", strerror(errno),
			root_dir);
		return 1;
	}
	/* The build tree may sit in a directory only root can enter (a clone
	 * under `mktemp -d` is 0700), so the uid 65534 program runs from a
	 * world-readable copy, with the libweft it links beside it. */
	pathf(bin_dir, sizeof bin_dir, "%s/bin", root_dir);
	if (chmod(root_dir, 0755) || mkdir(bin_dir, 0755) ||
	    copy_file(EMIT_EVENTS, "emit-events") || copy_file(LIBWEFT, LIBWEFT_SONAME)) {
		fprintf(stderr, "Cannot prepare the test directory: %s: path=%s\n", strerror(errno),
			bin_dir);
		rm_rf(root_dir);
		return 1;
	}
	rc = test_runner_main(argc, argv, tests, N_TESTS);
	if (getenv("WEFT_IT_KEEP"))
		fprintf(stderr, "# test directory kept: %s\n", root_dir);
	else
		rm_rf(root_dir);
	return rc;
}
