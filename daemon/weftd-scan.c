/*
 * weftd-scan (see weftd-scan.h): walks BASE/HOST/.../archives/ and lists the
 * completed chunks in round-robin order.  Directory entries appear and vanish
 * under our feet (the relayd renames chunks while we read), so an entry that
 * is gone by the time we look at it is not an error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "weftd-scan.h"

struct walk {
	struct scan_list *out;
	scan_warn_fn warn;
	void *arg;
};

static void walk_warn(struct walk *w, int err, const char *path)
{
	char msg[PATH_MAX + 128];

	if (!w->warn)
		return;
	snprintf(msg, sizeof msg, "Cannot scan directory: %s: path=%s", strerror(err), path);
	w->warn(w->arg, msg);
}

/* d is a directory (symbolic links are not). */
static int entry_is_dir(DIR *dir, const struct dirent *d)
{
	struct stat sb;

	if (d->d_type == DT_DIR)
		return 1;
	if (d->d_type != DT_UNKNOWN)
		return 0;
	return fstatat(dirfd(dir), d->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(sb.st_mode);
}

static uint64_t chunk_seq(const char *name)
{
	const char *dash = strrchr(name, '-');
	uint64_t v = 0;

	if (!dash || !dash[1])
		return UINT64_MAX;
	for (const char *p = dash + 1; *p; p++) {
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
			return UINT64_MAX;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	return v;
}

static int add_chunk(struct scan_list *l, const char *path, const char *host,
		     const char *session, const char *chunk)
{
	struct scan_chunk *c;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct scan_chunk *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	c = &l->v[l->n];
	memset(c, 0, sizeof(*c));
	c->path = strdup(path);
	c->host = strdup(host);
	c->session = strdup(session);
	c->chunk = strdup(chunk);
	c->seq = chunk_seq(chunk);
	l->n++; /* counted even when incomplete, so scan_free releases it */
	if (!c->path || !c->host || !c->session || !c->chunk)
		return -ENOMEM;
	return 0;
}

/* 1 if the session directory holds nothing but archives/ (see scan.h). */
static int session_idle(const char *sdir)
{
	struct dirent *d;
	DIR *dir = opendir(sdir);
	int idle = 1;

	if (!dir)
		return 0;
	while (idle && (d = readdir(dir)) != NULL)
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0 &&
		    strcmp(d->d_name, "archives") != 0)
			idle = 0;
	closedir(dir);
	return idle;
}

static int add_session(struct scan_list *l, const char *sdir, const char *host,
		       const char *session)
{
	struct scan_session *ss;

	if (l->ns == l->scap) {
		size_t cap = l->scap ? l->scap * 2 : 16;
		struct scan_session *v = realloc(l->s, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->s = v;
		l->scap = cap;
	}
	ss = &l->s[l->ns++];
	ss->host = strdup(host);
	ss->session = strdup(session);
	ss->idle = session_idle(sdir);
	return ss->host && ss->session ? 0 : -ENOMEM;
}

/* The archived chunks of one session directory. */
static int walk_archives(struct walk *w, const char *sdir, const char *host,
			 const char *session)
{
	char adir[PATH_MAX], path[PATH_MAX];
	struct dirent *d;
	DIR *dir;
	int rc = 0;

	if (snprintf(adir, sizeof adir, "%s/archives", sdir) >= (int)sizeof adir)
		return 0;
	dir = opendir(adir);
	if (!dir) {
		if (errno != ENOENT)
			walk_warn(w, errno, adir);
		return 0;
	}
	while (rc == 0 && (d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.' || !entry_is_dir(dir, d))
			continue;
		if (snprintf(path, sizeof path, "%s/%s", adir, d->d_name) >= (int)sizeof path) {
			walk_warn(w, ENAMETOOLONG, adir);
			continue;
		}
		rc = add_chunk(w->out, path, host, session, d->d_name);
	}
	closedir(dir);
	return rc;
}

/* Looks for session directories (those holding archives/) in dirpath, which
 * is `rel` below the host directory. */
static int walk_sessions(struct walk *w, const char *dirpath, const char *host,
			 const char *rel, int depth)
{
	char path[PATH_MAX], sub[PATH_MAX];
	struct stat sb;
	struct dirent *d;
	DIR *dir;
	int rc = 0;

	if (rel[0] && snprintf(path, sizeof path, "%s/archives", dirpath) < (int)sizeof path &&
	    lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		/* Idle is looked at before the chunks are listed: a chunk
		 * archived in between is listed, so a session seen idle has
		 * all its chunks in this list. */
		rc = add_session(w->out, dirpath, host, rel);
		return rc ? rc : walk_archives(w, dirpath, host, rel);
	}
	if (depth > SCAN_MAX_DEPTH)
		return 0;
	dir = opendir(dirpath);
	if (!dir) {
		if (errno != ENOENT)
			walk_warn(w, errno, dirpath);
		return 0;
	}
	while (rc == 0 && (d = readdir(dir)) != NULL) {
		/* ust/ and kernel/ are trace data of a chunk still being
		 * written (a session not rotated yet), not sessions. */
		if (d->d_name[0] == '.' || strcmp(d->d_name, "ust") == 0 ||
		    strcmp(d->d_name, "kernel") == 0 || strcmp(d->d_name, "archives") == 0 ||
		    !entry_is_dir(dir, d))
			continue;
		if (snprintf(path, sizeof path, "%s/%s", dirpath, d->d_name) >= (int)sizeof path ||
		    snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", d->d_name) >=
			    (int)sizeof sub) {
			walk_warn(w, ENAMETOOLONG, dirpath);
			continue;
		}
		rc = walk_sessions(w, path, host, sub, depth + 1);
	}
	closedir(dir);
	return rc;
}

static int cmp_session_seq(const void *a, const void *b)
{
	const struct scan_chunk *x = a, *y = b;
	int c = strcmp(x->host, y->host);

	if (!c)
		c = strcmp(x->session, y->session);
	if (!c && x->seq != y->seq)
		c = x->seq < y->seq ? -1 : 1;
	if (!c)
		c = strcmp(x->chunk, y->chunk);
	return c;
}

static int cmp_round_robin(const void *a, const void *b)
{
	const struct scan_chunk *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return cmp_session_seq(a, b);
}

int scan_base(const char *base, struct scan_list *out, scan_warn_fn warn, void *arg)
{
	struct walk w = { out, warn, arg };
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dir;
	int rc = 0;

	dir = opendir(base);
	if (!dir)
		return -errno;
	while (rc == 0 && (d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.' || !entry_is_dir(dir, d))
			continue;
		if (snprintf(path, sizeof path, "%s/%s", base, d->d_name) >= (int)sizeof path) {
			walk_warn(&w, ENAMETOOLONG, base);
			continue;
		}
		rc = walk_sessions(&w, path, d->d_name, "", 1);
	}
	closedir(dir);
	if (rc || out->n == 0)
		return rc;

	qsort(out->v, out->n, sizeof(*out->v), cmp_session_seq);
	for (size_t i = 0; i < out->n; i++)
		out->v[i].rank = i > 0 && strcmp(out->v[i].host, out->v[i - 1].host) == 0 &&
					 strcmp(out->v[i].session, out->v[i - 1].session) == 0
				 ? out->v[i - 1].rank + 1
				 : 0;
	qsort(out->v, out->n, sizeof(*out->v), cmp_round_robin);
	return 0;
}

void scan_free(struct scan_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].host);
		free(l->v[i].session);
		free(l->v[i].chunk);
	}
	free(l->v);
	for (size_t i = 0; i < l->ns; i++) {
		free(l->s[i].host);
		free(l->s[i].session);
	}
	free(l->s);
	memset(l, 0, sizeof(*l));
}
