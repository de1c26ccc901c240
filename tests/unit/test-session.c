/*
 * Tests of daemon/session.c against the real lttng-sessiond: sessions are
 * created, rotated, stopped and destroyed for real, traced processes are the
 * emit-events program (numbered weft:annotate events), and what the archived
 * chunks hold is read back with the babeltrace2 CLI, independently of weft's
 * own decoder.
 *
 * Session names are "<prefix><pid>-<tag>", prefix from
 * WEFT_TEST_SESSION_PREFIX (default "weft-test-"), so that concurrent runs
 * never touch each other's sessions.  Sessions record with per-UID buffers,
 * which any other weft program of the same user writes into as well, so the
 * tests track the emitter's vpid (or count per vpid) to get exact numbers.
 * Each test removes its sessions, child processes and temporary directory on
 * success and, through atexit, when an assertion fails; a test killed at its
 * timeout leaves them behind, so every test first removes sessions, rotation
 * triggers and temporary directories of this prefix whose pid is gone.
 */
#include "runner.h"
#include "session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lttng/lttng.h>

#ifndef EMIT_EVENTS
#error "EMIT_EVENTS must name the emit-events program"
#endif

#define MAX_CHUNKS 128
#define MAX_SEQ 300000

/* ---- per-test resources, released even when an assertion exits -------- */

static struct rec_session *g_sess[2];
static pid_t g_kids[4];
static int g_go[4], g_done[4];  /* emitter stdin / stdout pipes */
static pid_t g_sessiond;   /* a session daemon a test started for another user */
static char g_dir[64];   /* /tmp/weft-test-session-<pid>-XXXXXX */
static bool g_atexit;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void close_emitter_fds(int slot);

/* Exited (a zombie counts: a daemon's parent may never reap it). */
static bool proc_gone(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;
	bool gone = true;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	if (fgets(buf, sizeof buf, f) && (p = strrchr(buf, ')')) && p[1] == ' ')
		gone = p[2] == 'Z' || p[2] == 'X';
	fclose(f);
	return gone;
}

static void cleanup(void)
{
	size_t i;

	for (i = 0; i < sizeof g_kids / sizeof g_kids[0]; i++) {
		if (g_kids[i] > 0) {
			kill(g_kids[i], SIGKILL);
			waitpid(g_kids[i], NULL, 0);
			g_kids[i] = 0;
		}
		close_emitter_fds((int)i);
	}
	for (i = 0; i < sizeof g_sess / sizeof g_sess[0]; i++) {
		rec_session_destroy(g_sess[i]);
		g_sess[i] = NULL;
	}
	if (g_sessiond > 0) {
		kill(g_sessiond, SIGTERM);
		for (i = 0; i < 500 && !proc_gone(g_sessiond); i++)
			usleep(10000);
		g_sessiond = 0;
	}
	if (g_dir[0]) {
		nftw(g_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		g_dir[0] = '\0';
	}
}

static const char *prefix(void)
{
	const char *p = getenv("WEFT_TEST_SESSION_PREFIX");

	return p && p[0] ? p : "weft-test-";
}

/* Sessions, triggers and temporary directories "<prefix><pid>-..." whose
 * pid is dead belong to a test that was killed at its timeout. */
static bool is_stale(const char *name, const char *pfx)
{
	size_t len = strlen(pfx);
	char *end;
	long pid;

	if (strncmp(name, pfx, len) != 0)
		return false;
	pid = strtol(name + len, &end, 10);
	return end != name + len && *end == '-' && pid > 0 && proc_gone((pid_t)pid);
}

static void reap_stale(void)
{
	struct lttng_session *sessions = NULL;
	struct lttng_triggers *triggers = NULL;
	unsigned int count = 0, u;
	char tpfx[256];
	glob_t g;
	int n, i;

	n = lttng_list_sessions(&sessions);
	for (i = 0; i < n; i++)
		if (is_stale(sessions[i].name, prefix()))
			lttng_destroy_session(sessions[i].name);
	free(sessions);
	snprintf(tpfx, sizeof tpfx, "weft-rotation-%s", prefix());
	if (lttng_list_triggers(&triggers) == LTTNG_OK &&
	    lttng_triggers_get_count(triggers, &count) == LTTNG_TRIGGER_STATUS_OK) {
		for (u = 0; u < count; u++) {
			const struct lttng_trigger *t = lttng_triggers_get_at_index(triggers, u);
			const char *name;

			if (lttng_trigger_get_name(t, &name) == LTTNG_TRIGGER_STATUS_OK &&
			    is_stale(name, tpfx))
				lttng_unregister_trigger(t);
		}
	}
	lttng_triggers_destroy(triggers);
	/* Last: destroying a session may still write into its directory. */
	if (glob("/tmp/weft-test-session-*", 0, NULL, &g) == 0) {
		for (i = 0; i < (int)g.gl_pathc; i++)
			if (is_stale(g.gl_pathv[i], "/tmp/weft-test-session-"))
				nftw(g.gl_pathv[i], rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	}
	globfree(&g);
}

/* Common start of every test: no leftovers of killed runs, cleanup hook,
 * temporary directory, a session daemon. */
static void setup(void)
{
	char err[512] = "";
	int rc;

	if (!g_atexit) {
		atexit(cleanup);
		g_atexit = true;
	}
	rc = rec_sessiond_ensure(err, sizeof err);
	if (rc != 0)
		TEST_FAIL_("rec_sessiond_ensure: %d: %s", rc, err);
	reap_stale();
	snprintf(g_dir, sizeof g_dir, "/tmp/weft-test-session-%ld-XXXXXX", (long)getpid());
	ASSERT_NOT_NULL(mkdtemp(g_dir));
}

static void session_name(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "%s%ld-%s", prefix(), (long)getpid(), tag);
}

/* Creates a session into slot `slot`, failing the test with its message. */
static struct rec_session *create_or_fail(int slot, const struct rec_opts *o)
{
	char err[512] = "";
	int rc = rec_session_create(o, &g_sess[slot], err, sizeof err);

	if (rc != 0)
		TEST_FAIL_("rec_session_create(%s): %d: %s", o->name ? o->name : "-", rc, err);
	ASSERT_STR_EQ(err, "");
	return g_sess[slot];
}

/* ---- traced processes --------------------------------------------------- */

/* Starts emit-events N DURATION_MS --wait=BATCHES in `slot`: it registers
 * with the session daemon, then waits for release() before each batch. */
static pid_t spawn_emitter(int slot, long n, long duration_ms, int batches,
			   bool allow_blocking)
{
	int go[2], done[2];
	char ns[32], ds[32], ws[32];
	pid_t pid;

	snprintf(ns, sizeof ns, "%ld", n);
	snprintf(ds, sizeof ds, "%ld", duration_ms);
	snprintf(ws, sizeof ws, "--wait=%d", batches);
	ASSERT_EQ(pipe(go), 0);
	ASSERT_EQ(pipe(done), 0);
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		dup2(go[0], 0);
		dup2(done[1], 1);
		close(go[0]);
		close(go[1]);
		close(done[0]);
		close(done[1]);
		if (allow_blocking)
			setenv("LTTNG_UST_ALLOW_BLOCKING", "1", 1);
		else
			unsetenv("LTTNG_UST_ALLOW_BLOCKING");
		execl(EMIT_EVENTS, EMIT_EVENTS, ns, ds, ws, (char *)NULL);
		_exit(127);
	}
	close(go[0]);
	close(done[1]);
	g_kids[slot] = pid;
	g_go[slot] = go[1];
	g_done[slot] = done[0];
	return pid;
}

/* Lets the emitter in `slot` emit its next batch. */
static void release(int slot)
{
	ASSERT_EQ(write(g_go[slot], "g", 1), 1);
}

/* Waits until the emitter in `slot` has emitted its current batch. */
static void wait_batch(int slot, int timeout_ms)
{
	struct pollfd pfd = { .fd = g_done[slot], .events = POLLIN };
	char c;

	if (poll(&pfd, 1, timeout_ms) != 1 || read(g_done[slot], &c, 1) != 1)
		TEST_FAIL_("emitter %ld: no batch done within %d ms", (long)g_kids[slot],
			   timeout_ms);
}

static void close_emitter_fds(int slot)
{
	if (g_go[slot] > 0)
		close(g_go[slot]);
	if (g_done[slot] > 0)
		close(g_done[slot]);
	g_go[slot] = g_done[slot] = 0;
}

/* Waits for the emitter in `slot` to exit 0 within timeout_ms. */
static void reap_emitter(int slot, int timeout_ms)
{
	int waited = 0, status = 0;
	pid_t r;

	while ((r = waitpid(g_kids[slot], &status, WNOHANG)) == 0 && waited < timeout_ms) {
		usleep(10000);
		waited += 10;
	}
	if (r != g_kids[slot])
		TEST_FAIL_("emitter %ld did not exit within %d ms", (long)g_kids[slot], timeout_ms);
	g_kids[slot] = 0;
	close_emitter_fds(slot);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		TEST_FAIL_("emitter exited with status 0x%x", status);
}

static bool emitter_running(int slot)
{
	int status;

	if (g_kids[slot] <= 0)
		return false;
	if (waitpid(g_kids[slot], &status, WNOHANG) == 0)
		return true;
	g_kids[slot] = 0;
	close_emitter_fds(slot);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		TEST_FAIL_("emitter exited with status 0x%x", status);
	return false;
}

/* ---- chunks and their content ------------------------------------------ */

struct chunks {
	int n;
	uint64_t id[MAX_CHUNKS];
	char path[MAX_CHUNKS][PATH_MAX];
};

static void add_chunk(struct chunks *c, const char *path, uint64_t id)
{
	ASSERT_LT(c->n, MAX_CHUNKS);
	c->id[c->n] = id;
	snprintf(c->path[c->n], sizeof c->path[c->n], "%s", path);
	c->n++;
}

/* Collects chunks until -ENODATA (after rec_session_stop). */
static void drain(struct rec_session *s, struct chunks *c)
{
	char path[PATH_MAX];
	uint64_t id;
	int rc;

	while ((rc = rec_session_next_chunk(s, 5000, path, sizeof path, &id)) == 0)
		add_chunk(c, path, id);
	if (rc != -ENODATA)
		TEST_FAIL_("next_chunk after stop: %d: %s", rc, rec_session_error(s));
}

static void stop_and_drain(struct rec_session *s, struct chunks *c)
{
	int rc = rec_session_stop(s);

	if (rc != 0)
		TEST_FAIL_("rec_session_stop: %d: %s", rc, rec_session_error(s));
	drain(s, c);
}

/* Every chunk: ids strictly increasing, the directory exists under
 * <out>/archives/ and holds a CTF trace (ust/uid/<uid>/64-bit/metadata). */
static void check_chunks(const struct chunks *c, const char *out)
{
	char want[PATH_MAX], pat[PATH_MAX + 64];
	struct stat st;
	glob_t g;
	int i;

	snprintf(want, sizeof want, "%s/archives/", out);
	for (i = 0; i < c->n; i++) {
		if (i > 0)
			ASSERT_GT(c->id[i], c->id[i - 1]);
		if (strncmp(c->path[i], want, strlen(want)) != 0)
			TEST_FAIL_("chunk %s is not under %s", c->path[i], want);
		ASSERT_EQ(stat(c->path[i], &st), 0);
		ASSERT(S_ISDIR(st.st_mode));
		snprintf(pat, sizeof pat, "%s/ust/uid/*/64-bit/metadata", c->path[i]);
		if (glob(pat, 0, NULL, &g) != 0)
			TEST_FAIL_("chunk %s has no ust/uid/*/64-bit/metadata", c->path[i]);
		globfree(&g);
	}
}

/* Number of entries in <out>/archives: every archived chunk, reported or not. */
static int count_archives(const char *out)
{
	char pat[PATH_MAX + 16];
	glob_t g;
	int n = 0;

	snprintf(pat, sizeof pat, "%s/archives/*", out);
	if (glob(pat, 0, NULL, &g) == 0)
		n = (int)g.gl_pathc;
	globfree(&g);
	return n;
}

/* What babeltrace2 reads in a set of chunks.  Other programs of the same
 * user may emit weft events while a test runs (per-UID buffers record them
 * too), so events are counted per emitter vpid. */
#define MAX_VPIDS 4
struct tally {
	long weft;             /* weft:annotate events of the listed vpids */
	long other;            /* weft:annotate events of any other process */
	long statedump;        /* lttng_ust_statedump:start events */
	long dup;              /* a sequence number of vpid[0] seen twice */
	long by_vpid[MAX_VPIDS];
	pid_t vpid[MAX_VPIDS];
	int chunks_with_weft;  /* chunks holding events of the listed vpids */
	unsigned char seen[MAX_SEQ + 1]; /* sequence numbers of vpid[0] */
};

static void tally_chunk(struct tally *t, const char *dir)
{
	char cmd[PATH_MAX + 64], line[4096];
	long before = t->weft;
	FILE *p;
	int status, i;

	ASSERT_NULL(strchr(dir, '\''));
	/* stderr: babeltrace2 warns about every discarded-events record. */
	snprintf(cmd, sizeof cmd, "babeltrace2 '%s' 2>/dev/null", dir);
	p = popen(cmd, "r");
	ASSERT_NOT_NULL(p);
	while (fgets(line, sizeof line, p)) {
		const char *v, *k;
		unsigned long long seq;
		long vpid;

		if (strstr(line, " lttng_ust_statedump:start:")) {
			t->statedump++;
			continue;
		}
		if (!strstr(line, " weft:annotate:"))
			continue;
		v = strstr(line, "vpid = ");
		k = strstr(line, "task = ");
		if (!v || !k)
			TEST_FAIL_("unexpected babeltrace2 line: %s", line);
		vpid = strtol(v + 7, NULL, 10);
		seq = strtoull(k + 7, NULL, 10);
		for (i = 0; i < MAX_VPIDS && t->vpid[i]; i++)
			if (vpid == t->vpid[i])
				break;
		if (i == MAX_VPIDS || !t->vpid[i]) {
			t->other++;
			continue;
		}
		t->weft++;
		t->by_vpid[i]++;
		if (i == 0) {
			ASSERT(seq >= 1 && seq <= MAX_SEQ);
			if (t->seen[seq]++)
				t->dup++;
		}
	}
	status = pclose(p);
	if (status != 0)
		TEST_FAIL_("babeltrace2 %s: exit status 0x%x", dir, status);
	if (t->weft > before)
		t->chunks_with_weft++;
}

/* Reads every chunk, counting the events of the given vpids (0-terminated). */
static struct tally *tally_chunks(const struct chunks *c, const pid_t *vpids)
{
	struct tally *t = calloc(1, sizeof *t);
	int i;

	ASSERT_NOT_NULL(t);
	for (i = 0; i < MAX_VPIDS && vpids[i]; i++)
		t->vpid[i] = vpids[i];
	for (i = 0; i < c->n; i++)
		tally_chunk(t, c->path[i]);
	return t;
}

/* vpid[0] emitted 1..n and each is there exactly once. */
static void assert_complete(const struct tally *t, long n)
{
	long i;

	ASSERT_EQ(t->dup, 0);
	ASSERT_EQ(t->by_vpid[0], n);
	for (i = 1; i <= n; i++)
		if (t->seen[i] != 1)
			TEST_FAIL_("event seq %ld seen %d times", i, t->seen[i]);
}

/* The session's channel as the session daemon lists it. */
static void channel_attr(const char *session, int64_t *blocking_timeout, uint64_t *subbuf,
			 uint64_t *nsubbuf)
{
	struct lttng_domain dom = { .type = LTTNG_DOMAIN_UST, .buf_type = LTTNG_BUFFER_PER_UID };
	struct lttng_handle *h = lttng_create_handle(session, &dom);
	struct lttng_channel *chans = NULL;
	int n, i;

	ASSERT_NOT_NULL(h);
	n = lttng_list_channels(h, &chans);
	ASSERT_EQ(n, 1);
	for (i = 0; i < n; i++)
		ASSERT_STR_EQ(chans[i].name, REC_CHANNEL_NAME);
	ASSERT_EQ(lttng_channel_get_blocking_timeout(&chans[0], blocking_timeout), 0);
	*subbuf = chans[0].attr.subbuf_size;
	*nsubbuf = chans[0].attr.num_subbuf;
	free(chans);
	lttng_destroy_handle(h);
}

static bool session_exists(const char *name)
{
	struct lttng_session *sessions = NULL;
	bool found = false;
	int n, i;

	n = lttng_list_sessions(&sessions);
	ASSERT_GE(n, 0);
	for (i = 0; i < n; i++)
		found |= strcmp(sessions[i].name, name) == 0;
	free(sessions);
	return found;
}

/* ---- tests -------------------------------------------------------------- */

/* A 200 ms rotation period while a process emits 3000 numbered events over
 * 1.5 s: at least two chunks arrive while it runs, stop delivers the last
 * one, no chunk is skipped or repeated (the archives/ directory holds exactly
 * the chunks reported, also after destroy), and together they hold every
 * event exactly once. */
TEST_IMPL(rotation_chunks)
{
	const long n = 3000;
	struct rec_opts o = { 0 };
	struct chunks *c = calloc(1, sizeof *c);
	char name[128], out[PATH_MAX], path[PATH_MAX];
	struct rec_session *s;
	struct tally *t;
	int before_stop, waited = 0, rc;
	pid_t pid;
	uint64_t id;

	ASSERT_NOT_NULL(c);
	setup();
	pid = spawn_emitter(0, n, 1500, 1, false);
	session_name(name, sizeof name, "rot");
	snprintf(out, sizeof out, "%s/out", g_dir);
	o.name = name;
	o.output_dir = out;
	o.rotate_period_us = 200000;
	o.track_vpid = pid;
	s = create_or_fail(0, &o);
	ASSERT_STR_EQ(rec_session_name(s), name);
	ASSERT_EQ(rec_session_start(s), 0);
	release(0);
	/* Chunks while recording: until the emitter is done and two came. */
	while (emitter_running(0) || c->n < 2) {
		rc = rec_session_next_chunk(s, 100, path, sizeof path, &id);
		if (rc == 0)
			add_chunk(c, path, id);
		else if (rc != -ETIMEDOUT)
			TEST_FAIL_("next_chunk: %d: %s", rc, rec_session_error(s));
		waited += 100;
		ASSERT_LT(waited, 15000);
	}
	before_stop = c->n;
	ASSERT_GE(before_stop, 2);
	stop_and_drain(s, c);
	ASSERT_GT(c->n, before_stop);
	/* After the final chunk: nothing more, at once. */
	ASSERT_EQ(rec_session_next_chunk(s, 0, path, sizeof path, &id), -ENODATA);
	check_chunks(c, out);
	ASSERT_EQ(count_archives(out), c->n);
	/* Destroying a stopped and rotated session archives nothing more. */
	rec_session_destroy(s);
	g_sess[0] = NULL;
	ASSERT(!session_exists(name));
	ASSERT_EQ(count_archives(out), c->n);
	t = tally_chunks(c, (pid_t[]){ pid, 0 });
	assert_complete(t, n);
	ASSERT_EQ(t->other, 0);
	ASSERT_GE(t->chunks_with_weft, 2);
	ASSERT_GE(t->statedump, 1);
	free(t);
	free(c);
	cleanup();
	return 0;
}

/* Size-based rotation alone (64 KiB, checked every second by the channel's
 * monitor timer): 3 s of steady events yield several chunks while recording; a restart after stop rotates again. */
TEST_IMPL(size_rotation)
{
	const long n = 30000;
	struct rec_opts o = { 0 };
	struct chunks *c = calloc(1, sizeof *c);
	char name[128], out[PATH_MAX], path[PATH_MAX];
	struct rec_session *s;
	struct tally *t;
	int waited = 0, before_stop, rc;
	uint64_t id, ev = 1, pk = 1;
	pid_t pid;

	ASSERT_NOT_NULL(c);
	setup();
	pid = spawn_emitter(0, n, 6000, 2, false);
	session_name(name, sizeof name, "size");
	snprintf(out, sizeof out, "%s/out", g_dir);
	o.name = name;
	o.output_dir = out;
	o.rotate_period_us = -1;
	o.rotate_size = 64 * 1024;
	o.subbuf_size = 16384;
	o.num_subbuf = 4;
	o.track_vpid = pid;
	s = create_or_fail(0, &o);
	ASSERT_EQ(rec_session_start(s), 0);
	release(0);
	wait_batch(0, 10000);
	while ((rc = rec_session_next_chunk(s, 100, path, sizeof path, &id)) == 0 ||
	       (rc == -ETIMEDOUT && c->n < 2 && waited < 10000)) {
		if (rc == 0)
			add_chunk(c, path, id);
		waited += 100;
	}
	if (rc != -ETIMEDOUT)
		TEST_FAIL_("next_chunk: %d: %s", rc, rec_session_error(s));
	before_stop = c->n;
	ASSERT_GE(before_stop, 2);
	stop_and_drain(s, c);
	ASSERT_GT(c->n, before_stop);
	/* Restarted, the schedule that stop removed is back. */
	ASSERT_EQ(rec_session_start(s), 0);
	before_stop = c->n;
	release(0);
	wait_batch(0, 10000);
	reap_emitter(0, 10000);
	for (waited = 0; waited < 10000 && c->n == before_stop; waited += 100) {
		rc = rec_session_next_chunk(s, 100, path, sizeof path, &id);
		if (rc == 0)
			add_chunk(c, path, id);
		else if (rc != -ETIMEDOUT)
			TEST_FAIL_("next_chunk: %d: %s", rc, rec_session_error(s));
	}
	ASSERT_GT(c->n, before_stop);
	stop_and_drain(s, c);
	ASSERT_EQ(rec_session_discarded(s, &ev, &pk), 0);
	ASSERT_UEQ(ev, 0);
	check_chunks(c, out);
	ASSERT_EQ(count_archives(out), c->n);
	t = tally_chunks(c, (pid_t[]){ pid, 0 });
	assert_complete(t, n);
	free(t);
	free(c);
	cleanup();
	return 0;
}

/* Two processes emit the same numbered events at the same time; each of two
 * sessions tracks one vpid and records exactly that process's events (an
 * untracked session would also record every other weft program of this user
 * that happens to run).  Both sessions rotate at once, which also shows that
 * each gets only its own rotations. */
TEST_IMPL(vpid_tracker)
{
	const long n = 500;
	struct rec_opts o = { 0 }, ob = { 0 };
	struct chunks *c = calloc(1, sizeof *c), *ca = calloc(1, sizeof *ca);
	char name[128], name_b[128], out[PATH_MAX], out_b[PATH_MAX];
	pid_t a, b;
	struct tally *t, *ta;

	ASSERT(c && ca);
	setup();
	a = spawn_emitter(0, n, 300, 1, false);
	b = spawn_emitter(1, n, 300, 1, false);
	session_name(name, sizeof name, "track");
	session_name(name_b, sizeof name_b, "trackb");
	snprintf(out, sizeof out, "%s/track", g_dir);
	snprintf(out_b, sizeof out_b, "%s/trackb", g_dir);
	o.name = name;
	o.output_dir = out;
	o.rotate_period_us = 200000;
	o.track_vpid = a;
	ob.name = name_b;
	ob.output_dir = out_b;
	ob.rotate_period_us = 300000;
	ob.track_vpid = b;
	create_or_fail(0, &o);
	create_or_fail(1, &ob);
	ASSERT_EQ(rec_session_start(g_sess[0]), 0);
	ASSERT_EQ(rec_session_start(g_sess[1]), 0);
	release(0);
	release(1);
	reap_emitter(0, 10000);
	reap_emitter(1, 10000);
	stop_and_drain(g_sess[0], c);
	stop_and_drain(g_sess[1], ca);
	check_chunks(c, out);
	check_chunks(ca, out_b);
	ASSERT_EQ(count_archives(out), c->n);
	ASSERT_EQ(count_archives(out_b), ca->n);
	t = tally_chunks(c, (pid_t[]){ a, b, 0 });
	assert_complete(t, n);
	ASSERT_EQ(t->by_vpid[1], 0);
	ASSERT_EQ(t->other, 0);
	ta = tally_chunks(ca, (pid_t[]){ b, a, 0 });
	assert_complete(ta, n);
	ASSERT_EQ(ta->by_vpid[1], 0);
	ASSERT_EQ(ta->other, 0);
	free(t);
	free(ta);
	free(c);
	free(ca);
	cleanup();
	return 0;
}

/* Records a burst of n events from a fresh emitter into a new lossless
 * session with tiny buffers (4 KiB x 2) tracking it; returns the events the
 * channel discarded and how many of the emitter's events the chunks hold. */
static void lossless_burst(int slot, const char *tag, long n, bool allow_blocking,
			   uint64_t *discarded, long *recorded)
{
	struct rec_opts o = { 0 };
	struct chunks *c = calloc(1, sizeof *c);
	char name[128], out[PATH_MAX];
	uint64_t pk = 1;
	struct tally *t;
	pid_t pid;

	ASSERT_NOT_NULL(c);
	pid = spawn_emitter(0, n, 0, 1, allow_blocking);
	session_name(name, sizeof name, tag);
	snprintf(out, sizeof out, "%s/%s", g_dir, tag);
	o.name = name;
	o.output_dir = out;
	o.lossless = true;
	o.subbuf_size = 4096;
	o.num_subbuf = 2;
	o.rotate_period_us = 200000;
	o.track_vpid = pid;
	create_or_fail(slot, &o);
	ASSERT_EQ(rec_session_start(g_sess[slot]), 0);
	release(0);
	reap_emitter(0, 60000);
	stop_and_drain(g_sess[slot], c);
	ASSERT_EQ(rec_session_discarded(g_sess[slot], discarded, &pk), 0);
	ASSERT_UEQ(pk, 0);
	check_chunks(c, out);
	t = tally_chunks(c, (pid_t[]){ pid, 0 });
	ASSERT_EQ(t->dup, 0);
	ASSERT_EQ(t->other, 0);
	*recorded = t->by_vpid[0];
	if (*discarded == 0)
		assert_complete(t, n);
	free(t);
	free(c);
}

/* lossless: the channel gets the (default 1 s) blocking timeout, a default
 * session gets none; with tiny buffers a burst loses nothing when the program
 * runs with LTTNG_UST_ALLOW_BLOCKING=1, and loses events without it. */
TEST_IMPL(lossless_blocking)
{
	const long n = 5000;
	struct rec_opts o = { 0 }, plain = { 0 };
	char name[128], name_plain[128];
	uint64_t subbuf, nsubbuf, ev = 1;
	int64_t timeout = 0;
	long recorded = 0;

	setup();
	session_name(name, sizeof name, "lossless");
	session_name(name_plain, sizeof name_plain, "plain");
	o.name = name;
	o.output_dir = g_dir;
	o.lossless = true;
	o.subbuf_size = 4096;
	o.num_subbuf = 2;
	plain.name = name_plain;
	plain.output_dir = g_dir;
	create_or_fail(0, &o);
	create_or_fail(1, &plain);
	channel_attr(name, &timeout, &subbuf, &nsubbuf);
	ASSERT_EQ(timeout, 1000000);
	ASSERT_UEQ(subbuf, 4096);
	ASSERT_UEQ(nsubbuf, 2);
	channel_attr(name_plain, &timeout, &subbuf, &nsubbuf);
	ASSERT_EQ(timeout, 0);
	ASSERT_UEQ(subbuf, 4u << 20);
	ASSERT_UEQ(nsubbuf, 8);
	rec_session_destroy(g_sess[0]);
	rec_session_destroy(g_sess[1]);
	g_sess[0] = g_sess[1] = NULL;

	lossless_burst(0, "blocking", n, true, &ev, &recorded);
	ASSERT_UEQ(ev, 0);
	ASSERT_EQ(recorded, n);
	lossless_burst(1, "noenv", n, false, &ev, &recorded);
	ASSERT_GT(ev, 0);
	ASSERT_EQ(recorded + (int64_t)ev, n);
	cleanup();
	return 0;
}

/* Tiny buffers and a burst without blocking: events are discarded, the
 * count is what `lttng list` prints, and recorded + discarded = emitted
 * (the vpid tracker keeps other processes out of both numbers). */
TEST_IMPL(discarded_count)
{
	const long n = 200000;
	struct rec_opts o = { 0 };
	struct chunks *c = calloc(1, sizeof *c);
	char name[128], out[PATH_MAX], cmd[256], line[512];
	uint64_t ev = 0, pk = 1, ev2 = 0;
	long listed = -1;
	struct tally *t;
	pid_t pid;

	ASSERT_NOT_NULL(c);
	setup();
	pid = spawn_emitter(0, n, 0, 1, false);
	session_name(name, sizeof name, "discard");
	snprintf(out, sizeof out, "%s/out", g_dir);
	o.name = name;
	o.output_dir = out;
	o.subbuf_size = 4096;
	o.num_subbuf = 2;
	o.rotate_period_us = -1;   /* only the stop's rotation */
	o.track_vpid = pid;
	create_or_fail(0, &o);
	ASSERT_EQ(rec_session_start(g_sess[0]), 0);
	release(0);
	reap_emitter(0, 30000);
	stop_and_drain(g_sess[0], c);
	ASSERT_EQ(c->n, 1);
	ASSERT_EQ(c->id[0], 0);
	ASSERT_EQ(rec_session_discarded(g_sess[0], &ev, &pk), 0);
	ASSERT_GT(ev, 0);
	ASSERT_UEQ(pk, 0);
	/* The session is stopped, so the count no longer moves: the CLI,
	 * asked separately, must print the same number. */
	snprintf(cmd, sizeof cmd, "lttng list '%s'", name);
	{
		FILE *p = popen(cmd, "r");

		ASSERT_NOT_NULL(p);
		while (fgets(line, sizeof line, p)) {
			const char *d = strstr(line, "Discarded events:");

			if (d)
				listed = strtol(d + strlen("Discarded events:"), NULL, 10);
		}
		ASSERT_EQ(pclose(p), 0);
	}
	ASSERT_EQ(listed, (int64_t)ev);
	ASSERT_EQ(rec_session_discarded(g_sess[0], &ev2, &pk), 0);
	ASSERT_UEQ(ev2, ev);
	check_chunks(c, out);
	t = tally_chunks(c, (pid_t[]){ pid, 0 });
	ASSERT_EQ(t->dup, 0);
	ASSERT_EQ(t->other, 0);
	ASSERT_LT(t->weft, n);
	ASSERT_EQ(t->weft + (int64_t)ev, n);
	ASSERT_EQ(t->seen[1], 1);   /* the first events fit */
	free(t);
	free(c);
	cleanup();
	return 0;
}

/* No schedule: rotations only on request; each request gives the next
 * chunk, holding what was emitted since the previous one; stop adds the
 * last one; after that -ENODATA. */
TEST_IMPL(manual_rotation)
{
	const long n = 150;   /* three batches of 50 */
	struct rec_opts o = { 0 };
	struct chunks *c = calloc(1, sizeof *c);
	char name[128], out[PATH_MAX], path[PATH_MAX];
	struct rec_session *s;
	struct tally *t;
	uint64_t id;
	pid_t pid;
	long seq;
	int i, rc;

	ASSERT_NOT_NULL(c);
	setup();
	pid = spawn_emitter(0, n, 0, 3, false);
	session_name(name, sizeof name, "manual");
	snprintf(out, sizeof out, "%s/out", g_dir);
	o.name = name;
	o.output_dir = out;
	o.rotate_period_us = -1;
	o.track_vpid = pid;
	s = create_or_fail(0, &o);
	/* Not started yet: nothing to rotate. */
	ASSERT_EQ(rec_session_rotate_now(s), -EINVAL);
	ASSERT(strncmp(rec_session_error(s), "Cannot rotate session: ", 23) == 0);
	ASSERT_EQ(rec_session_start(s), 0);
	for (i = 0; i < 3; i++) {
		release(0);
		wait_batch(0, 10000);
		if (i == 2)
			break;
		if (i == 0) {
			ASSERT_EQ(rec_session_next_chunk(s, 700, path, sizeof path, &id),
				  -ETIMEDOUT);
			ASSERT(strstr(rec_session_error(s), "no rotation completed") != NULL);
		}
		ASSERT_EQ(rec_session_rotate_now(s), 0);
		rc = rec_session_next_chunk(s, 5000, path, sizeof path, &id);
		if (rc != 0)
			TEST_FAIL_("next_chunk: %d: %s", rc, rec_session_error(s));
		add_chunk(c, path, id);
		ASSERT_EQ(id, i);
	}
	reap_emitter(0, 10000);
	stop_and_drain(s, c);
	ASSERT_EQ(c->n, 3);
	ASSERT_EQ(c->id[2], 2);
	ASSERT_EQ(rec_session_next_chunk(s, 1000, path, sizeof path, &id), -ENODATA);
	/* Stopped and rotated once: no further rotation until a new start. */
	ASSERT_EQ(rec_session_rotate_now(s), -EALREADY);
	check_chunks(c, out);
	ASSERT_EQ(count_archives(out), 3);
	/* Batch i (events 50i+1 .. 50i+50) is in chunk i, and only there. */
	for (i = 0; i < 3; i++) {
		struct chunks *one = calloc(1, sizeof *one);

		ASSERT_NOT_NULL(one);
		add_chunk(one, c->path[i], c->id[i]);
		t = tally_chunks(one, (pid_t[]){ pid, 0 });
		ASSERT_EQ(t->by_vpid[0], 50);
		ASSERT_EQ(t->dup, 0);
		for (seq = 50 * i + 1; seq <= 50 * i + 50; seq++)
			ASSERT_EQ(t->seen[seq], 1);
		free(t);
		free(one);
	}
	free(c);
	cleanup();
	return 0;
}

/* A chunk path that does not fit the caller's buffer is reported as an
 * error, never truncated. */
TEST_IMPL(path_too_long)
{
	struct rec_opts o = { 0 };
	char name[128], out[PATH_MAX], path[PATH_MAX], small[16];
	struct rec_session *s;
	uint64_t id = 99;

	setup();
	session_name(name, sizeof name, "small");
	snprintf(out, sizeof out, "%s/out", g_dir);
	o.name = name;
	o.output_dir = out;
	o.rotate_period_us = -1;
	s = create_or_fail(0, &o);
	ASSERT_EQ(rec_session_start(s), 0);
	ASSERT_EQ(rec_session_rotate_now(s), 0);
	ASSERT_EQ(rec_session_next_chunk(s, 5000, small, sizeof small, &id), -ENAMETOOLONG);
	ASSERT_EQ(id, 99);
	ASSERT(strstr(rec_session_error(s), "path buffer too small") != NULL);
	ASSERT_EQ(rec_session_stop(s), 0);
	ASSERT_EQ(rec_session_next_chunk(s, 5000, path, sizeof path, &id), 0);
	ASSERT_EQ(id, 1);
	ASSERT_EQ(rec_session_next_chunk(s, 5000, path, sizeof path, &id), -ENODATA);
	cleanup();
	return 0;
}

/* Options checked before anything reaches the session daemon, and errors of
 * the session daemon itself, each with a one-line message. */
TEST_IMPL(bad_options)
{
	struct rec_opts o = { 0 };
	struct rec_session *s = (struct rec_session *)&o;
	char name[128], err[512];

	setup();
	session_name(name, sizeof name, "opts");
	o.name = name;
	o.output_dir = "relative/dir";
	ASSERT_EQ(rec_session_create(&o, &s, err, sizeof err), -EINVAL);
	ASSERT_NULL(s);
	ASSERT(strstr(err, "Cannot create session: output directory must be absolute: "
			   "output_dir=relative/dir") == err);
	o.output_dir = g_dir;
	o.subbuf_size = 3000;
	ASSERT_EQ(rec_session_create(&o, &s, err, sizeof err), -EINVAL);
	ASSERT(strstr(err, "subbuf_size=3000") != NULL);
	o.subbuf_size = 0;
	o.lossless = true;
	o.blocking_timeout_us = -1;
	ASSERT_EQ(rec_session_create(&o, &s, err, sizeof err), -EINVAL);
	ASSERT(strstr(err, "must be finite") != NULL);
	o.blocking_timeout_us = 0;
	o.relayd_url = "net://localhost";
	ASSERT_EQ(rec_session_create(&o, &s, err, sizeof err), -EINVAL);
	ASSERT(strstr(err, "exclusive") != NULL);
	o.relayd_url = NULL;
	ASSERT(!session_exists(name));
	/* The same name twice: the session daemon refuses the second one. */
	create_or_fail(0, &o);
	ASSERT_EQ(rec_session_create(&o, &s, err, sizeof err), -EEXIST);
	ASSERT_NULL(s);
	ASSERT(strncmp(err, "Cannot create session: ", 23) == 0);
	ASSERT(strstr(err, name) != NULL);
	ASSERT_NULL(strchr(err, '\n'));
	/* ... and the first one is still there and still works. */
	ASSERT(session_exists(name));
	ASSERT_EQ(rec_session_start(g_sess[0]), 0);
	rec_session_destroy(g_sess[0]);
	g_sess[0] = NULL;
	ASSERT(!session_exists(name));
	cleanup();
	return 0;
}

/* A relayd URL that does not parse, and one that parses but where no relayd
 * listens: clear errors, and no session left behind. */
TEST_IMPL(bad_relayd_url)
{
	struct rec_opts o = { 0 };
	struct rec_session *s = NULL;
	char name[128], err[512];

	setup();
	session_name(name, sizeof name, "relayd");
	o.name = name;
	o.relayd_url = "bogus://somewhere";
	ASSERT_EQ(rec_session_create(&o, &s, err, sizeof err), -EINVAL);
	ASSERT_NULL(s);
	ASSERT(strncmp(err, "Cannot create session: invalid relayd URL", 41) == 0);
	ASSERT(strstr(err, "url=bogus://somewhere") != NULL);
	ASSERT(!session_exists(name));

	/* Parses, but nothing listens on port 1. */
	o.relayd_url = "net://127.0.0.1:1:2";
	ASSERT_EQ(rec_session_create(&o, &s, err, sizeof err), -EHOSTUNREACH);
	ASSERT_NULL(s);
	ASSERT_STR_EQ(err, "Cannot reach lttng-relayd: Connection refused: "
			   "url=net://127.0.0.1:1:2 host=127.0.0.1 port=1");
	ASSERT(!session_exists(name));
	o.relayd_url = "net://[::1";
	ASSERT_EQ(rec_session_create(&o, &s, err, sizeof err), -EINVAL);
	ASSERT(strstr(err, "invalid relayd URL") != NULL);
	cleanup();
	return 0;
}

/* A free TCP port on 127.0.0.1 (free when asked; good enough for a test). */
static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	ASSERT(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	ASSERT_EQ(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static bool port_open(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Streaming to an lttng-relayd (weftd's setup): chunks are reported relative
 * to the relayd's output directory, and hold every event. */
TEST_IMPL(relayd_stream)
{
	const long n = 2000;
	struct rec_opts o = { 0 };
	struct chunks *c = calloc(1, sizeof *c), *cf = calloc(1, sizeof *cf);
	char name[128], base[PATH_MAX], url[128], ctl[64], data[64], live[64];
	char full[PATH_MAX * 2], pat[PATH_MAX * 2 + 64];
	int cport = free_port(), dport = free_port(), lport = free_port(), i;
	struct tally *t;
	glob_t g;
	pid_t relayd, pid;

	ASSERT(c && cf);
	setup();
	snprintf(base, sizeof base, "%s/relayd", g_dir);
	snprintf(ctl, sizeof ctl, "tcp://127.0.0.1:%d", cport);
	snprintf(data, sizeof data, "tcp://127.0.0.1:%d", dport);
	snprintf(live, sizeof live, "tcp://127.0.0.1:%d", lport);
	relayd = fork();
	ASSERT(relayd >= 0);
	if (relayd == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execlp("lttng-relayd", "lttng-relayd", "-C", ctl, "-D", data, "-L", live, "-o",
		       base, (char *)NULL);
		_exit(127);
	}
	g_kids[3] = relayd;
	for (i = 0; i < 500 && !port_open(cport); i++)
		usleep(10000);
	ASSERT(port_open(cport));

	pid = spawn_emitter(0, n, 500, 1, false);
	session_name(name, sizeof name, "net");
	snprintf(url, sizeof url, "net://127.0.0.1:%d:%d", cport, dport);
	o.name = name;
	o.relayd_url = url;
	o.rotate_period_us = 300000;
	o.track_vpid = pid;
	create_or_fail(0, &o);
	ASSERT_EQ(rec_session_start(g_sess[0]), 0);
	release(0);
	reap_emitter(0, 10000);
	stop_and_drain(g_sess[0], c);
	ASSERT_GE(c->n, 1);
	for (i = 0; i < c->n; i++) {
		if (i > 0)
			ASSERT_GT(c->id[i], c->id[i - 1]);
		if (c->path[i][0] == '/')
			TEST_FAIL_("relayd chunk path %s is not relative", c->path[i]);
		snprintf(full, sizeof full, "%s/%s", base, c->path[i]);
		if (!strstr(c->path[i], "/archives/")) {
			/* LTTng 2.13 reports the session directory for the
			 * first chunk of a relayd session (see session.h). */
			ASSERT_EQ(c->id[i], 0);
			snprintf(pat, sizeof pat, "%s/archives/*-0", full);
			if (glob(pat, 0, NULL, &g) != 0 || g.gl_pathc != 1)
				TEST_FAIL_("no single %s", pat);
			snprintf(full, sizeof full, "%s", g.gl_pathv[0]);
			globfree(&g);
		}
		snprintf(pat, sizeof pat, "%s/ust/uid/*/64-bit/metadata", full);
		if (glob(pat, 0, NULL, &g) != 0)
			TEST_FAIL_("relayd chunk %s has no ust/uid/*/64-bit/metadata", full);
		globfree(&g);
		add_chunk(cf, full, c->id[i]);
	}
	t = tally_chunks(cf, (pid_t[]){ pid, 0 });
	assert_complete(t, n);
	ASSERT_EQ(t->other, 0);
	free(t);
	free(c);
	free(cf);
	cleanup();
	return 0;
}

/* Runs fn in a child process as user nobody with HOME and LTTNG_HOME in the
 * test's directory (so the child has no session daemon of its own) and the
 * given PATH; returns what fn wrote to its pipe, fails unless it exits 0. */
static void as_nobody(const char *path_env, int (*fn)(int fd), char *msg, size_t msglen)
{
	char home[sizeof g_dir + 8];
	int fds[2], status;
	size_t used;
	ssize_t n;
	pid_t pid;

	ASSERT_EQ(chmod(g_dir, 0777), 0);
	snprintf(home, sizeof home, "%s/home", g_dir);
	ASSERT_EQ(mkdir(home, 0777), 0);
	ASSERT_EQ(chmod(home, 0777), 0);
	ASSERT_EQ(pipe(fds), 0);
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		if (geteuid() == 0 && (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
				       setuid(65534) != 0))
			_exit(100);
		setenv("HOME", home, 1);
		setenv("LTTNG_HOME", home, 1);
		setenv("PATH", path_env, 1);
		_exit(fn(fds[1]));
	}
	close(fds[1]);
	used = 0;
	while (used < msglen - 1 && (n = read(fds[0], msg + used, msglen - 1 - used)) > 0)
		used += (size_t)n;
	close(fds[0]);
	msg[used] = '\0';
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		TEST_FAIL_("child status 0x%x: %s", status, msg);
}

/* No session daemon and none to start: ensure says why, and creating a
 * session fails cleanly (reported after a newline). */
static int ensure_not_found(int fd)
{
	struct rec_opts o = { .name = "weft-test-nobody" };
	struct rec_session *s = NULL;
	char err[512] = "", err2[512] = "";
	int rc = rec_sessiond_ensure(err, sizeof err);
	int rc2 = rec_session_create(&o, &s, err2, sizeof err2);

	if (write(fd, err, strlen(err)) < 0 || write(fd, "\n", 1) < 0 ||
	    write(fd, err2, strlen(err2)) < 0)
		return 101;
	return rc == -ENOENT && rc2 == -ECONNREFUSED && !s ? 0 : 102;
}

/* Starts a session daemon for nobody, reports its pid ("pid=N"), checks it
 * answers and that a second call leaves it alone. */
static int ensure_starts(int fd)
{
	char err[512] = "", pidfile[PATH_MAX + 32], out[600];
	long pid = 0;
	FILE *f;
	int rc;

	rc = rec_sessiond_ensure(err, sizeof err);
	snprintf(pidfile, sizeof pidfile, "%s/.lttng/lttng-sessiond.pid", getenv("HOME"));
	f = fopen(pidfile, "r");
	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	snprintf(out, sizeof out, "pid=%ld %s", pid, err);
	if (write(fd, out, strlen(out)) < 0)
		return 101;
	if (rc != 0 || pid <= 0 || lttng_session_daemon_alive() != 1)
		return 102;
	err[0] = '\0';
	rc = rec_sessiond_ensure(err, sizeof err);
	return rc == 0 && err[0] == '\0' ? 0 : 103;
}

/* With the shared session daemon running, ensure is a no-op.  A user with no
 * session daemon of its own gets one started, and with no lttng-sessiond in
 * PATH a clear error. */
TEST_IMPL(sessiond_ensure)
{
	char err[512] = "", msg[600];

	setup();
	ASSERT_EQ(rec_sessiond_ensure(err, sizeof err), 0);
	ASSERT_STR_EQ(err, "");
	as_nobody("/nonexistent", ensure_not_found, msg, sizeof msg);
	ASSERT(strncmp(msg, "Cannot start lttng-sessiond: not found in PATH", 46) == 0);
	ASSERT(strstr(msg, "PATH=/nonexistent hint=install lttng-tools\n") != NULL);
	ASSERT(strstr(msg, "\nCannot create session: ") != NULL);
	ASSERT(strstr(msg, "session=weft-test-nobody") != NULL);
	cleanup();
	return 0;
}

TEST_IMPL(sessiond_start)
{
	const char *path = getenv("PATH");
	char msg[600];
	long pid;

	setup();
	as_nobody(path ? path : "/usr/bin:/bin", ensure_starts, msg, sizeof msg);
	ASSERT(sscanf(msg, "pid=%ld", &pid) == 1 && pid > 0);
	g_sessiond = (pid_t)pid;
	ASSERT(!proc_gone(g_sessiond));
	cleanup();
	ASSERT(proc_gone((pid_t)pid));
	/* The shared session daemon was left alone. */
	ASSERT_EQ(lttng_session_daemon_alive(), 1);
	return 0;
}

static const struct test_entry tests[] = {
	TEST_ENTRY_TIMEOUT(rotation_chunks, 60)
	TEST_ENTRY_TIMEOUT(size_rotation, 60)
	TEST_ENTRY_TIMEOUT(vpid_tracker, 60)
	TEST_ENTRY_TIMEOUT(lossless_blocking, 90)
	TEST_ENTRY_TIMEOUT(discarded_count, 90)
	TEST_ENTRY_TIMEOUT(manual_rotation, 60)
	TEST_ENTRY_TIMEOUT(path_too_long, 60)
	TEST_ENTRY_TIMEOUT(bad_options, 60)
	TEST_ENTRY_TIMEOUT(bad_relayd_url, 60)
	TEST_ENTRY_TIMEOUT(relayd_stream, 60)
	TEST_ENTRY_TIMEOUT(sessiond_ensure, 60)
	TEST_ENTRY_TIMEOUT(sessiond_start, 60)
};

TEST_MAIN(tests)
