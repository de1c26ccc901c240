/*
 * weftd-state — what weftd remembers between two scans of the relayd output:
 * the chunks it already handled in this run (kept with --keep, or left in
 * place because they failed), and the warnings it already printed, so that a
 * poll every 500 ms neither decodes a chunk twice nor repeats a line.
 *
 * It is a string set with a little state per entry, swept after every scan:
 * an entry not looked up during a pass (its chunk directory is gone, the
 * warning did not recur) is forgotten, so memory follows what is on disk.
 * Nothing here is persistent: after a restart the store itself (table
 * chunks) says which chunks are already in, and failed chunks get one more
 * try.
 */
#ifndef WEFT_DAEMON_WEFTD_STATE_H
#define WEFT_DAEMON_WEFTD_STATE_H

#include <stddef.h>
#include <stdint.h>

enum state_kind {
	STATE_NEW,    /* just inserted */
	STATE_DONE,   /* in the store (kept on disk with --keep, or its removal failed) */
	STATE_FAILED, /* failed for good in this run: left in place, not retried */
	STATE_RETRY,  /* failed for a reason that may pass: retried at retry_at_ns */
	STATE_NOTE,   /* a warning that was printed */
};

struct state_entry {
	char *key;
	uint64_t hash;
	uint64_t pass;        /* the last pass that looked it up */
	enum state_kind kind;
	unsigned tries;       /* failed attempts (STATE_RETRY) */
	int64_t retry_at_ns;  /* CLOCK_MONOTONIC */
};

struct state {
	struct state_entry *slot; /* open addressing; key == NULL: empty */
	size_t cap, n;
	uint64_t pass;
};

/* Starts a pass (a scan): entries looked up from now on survive the next
 * state_end_pass. */
void state_begin_pass(struct state *s);
/* Returns the entry of key, marked as seen in this pass; NULL if absent and
 * create is 0, or if memory runs out (then nothing is remembered: the worst
 * case is work done twice, which the store makes harmless). */
struct state_entry *state_lookup(struct state *s, const char *key, int create);
/* Forgets the entries the current pass did not look up. */
void state_end_pass(struct state *s);
void state_free(struct state *s);

#endif
