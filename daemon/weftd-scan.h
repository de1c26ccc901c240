/*
 * weftd-scan — finds the completed chunks in an lttng-relayd output tree.
 *
 * lttng-relayd 2.13 (default --group-output-by-host) files what a session
 * daemon streams to it under BASE/HOST/SESSION-DATETIME/ (or BASE/HOST/
 * TRACEDIR/ when the session's URL names a path): HOST is the peer session
 * daemon's hostname, DATETIME the session's creation time.  The chunk being
 * written lives in the session directory (the first one directly in it, later
 * ones in <begin>-<id>/); when its rotation completes and the relayd has
 * closed its last file, the relayd renames it, in one rename(2), to
 * SESSION-DATETIME/archives/<begin>-<end>-<id>/ (measured with strace;
 * lttng-tools src/common/trace-chunk.c, move_to_completed_post_release).
 * So a directory under archives/ is complete the moment it is visible; this
 * module lists exactly those, and never looks inside a chunk.
 *
 * Symbolic links are not followed (weftd deletes what it ingested: it must
 * not be led outside BASE), and names starting with '.' are skipped (the
 * relayd's own .tmp_old_chunk / .tmp_new_chunk staging directories).
 */
#ifndef WEFT_DAEMON_WEFTD_SCAN_H
#define WEFT_DAEMON_WEFTD_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* How deep below a host directory a session directory may be (custom
 * TRACEDIRs may have several components). */
#define SCAN_MAX_DEPTH 4

struct scan_chunk {
	char *path;    /* BASE/HOST/SESSION/archives/CHUNK */
	char *host;    /* the host directory's name (untrusted bytes) */
	char *session; /* the session directory, relative to the host directory */
	char *chunk;   /* the archive directory's name: the chunk id */
	uint64_t seq;  /* the rotation id ending the name, UINT64_MAX if none */
	size_t rank;   /* 0 for the oldest chunk of its session, then 1, ... */
};

/* A session directory (one holding archives/). */
struct scan_session {
	char *host, *session; /* as in scan_chunk */
	/* It holds nothing but archives/: no chunk is being written in it.  A
	 * live session always has one (the relayd creates the next chunk's
	 * directory, or .tmp_new_chunk, before it archives the previous one);
	 * after `lttng destroy` archived the last chunk there is none. */
	int idle;
};

struct scan_list {
	struct scan_chunk *v;
	size_t n, cap;
	struct scan_session *s; /* every session directory found, in no order */
	size_t ns, scap;
};

/* Called for a directory that cannot be read (it is skipped); msg is one
 * line "Cannot scan directory: reason: path=...". */
typedef void (*scan_warn_fn)(void *arg, const char *msg);

/*
 * Lists every completed chunk under base into out (which must be zeroed or
 * freed before), ordered round-robin across sessions: the oldest chunk of
 * every session first, then the second of every session, ...; within a
 * session by rotation id.  So one host's backlog does not starve the others,
 * and each session's chunks are ingested in the order they were recorded.
 * Returns 0, or a negative errno if base itself cannot be read (-ENOENT,
 * -ENOTDIR, -EACCES, ...) or memory runs out; unreadable directories below
 * base are reported through warn and skipped.
 */
int scan_base(const char *base, struct scan_list *out, scan_warn_fn warn, void *arg);

void scan_free(struct scan_list *l);

#endif
