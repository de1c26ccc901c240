/*
 * chunks.c — what a chunk holds, by content, and the exact loss it carries.
 *
 * A chunk's identity is not its path or name (copies, renames, a single
 * archive imported before the whole recording, weft record and weft import
 * of the same data) but its packets: each stream of an LTTng trace is one
 * ring buffer, identified by (trace UUID, stream class, stream instance),
 * which numbers its packets (packet_seq_num) for the whole recording, across
 * rotations.  Table chunk_streams keeps, per chunk and stream, the stretch
 * of packets it holds; store_chunk_identify() compares a chunk's stretches
 * with them, and store_add_streams() refuses a packet stored twice.
 *
 * The same rows make the loss exact.  LTTng's discarded-events counter in a
 * packet's context is cumulative per stream, so what a stretch lost is its
 * last packet's counter minus the last counter stored before it (the
 * previous stretch of the stream: usually the previous chunk), or minus 0 at
 * the stream's start; lost packets are the gaps in packet_seq_num, inside
 * the stretch and between it and the previous one.  Summed over a
 * recording, these telescope to the final counters: what LTTng reports.
 * When the previous stretch is not in the store (a later chunk imported
 * first), the row is a lower bound (exact = 0) until that stretch arrives,
 * which then recomputes it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-int.h"

/* One chunk_streams row, times relative to the session start (TS_NONE:
 * NULL). */
struct seg {
	char uuid[40];
	int64_t sclass, inst, first, last;
	int64_t session;
	char chunk[256];
	char stream[512];
	int64_t packets, lost_inside;
	int64_t begin, first_end, end;
	int64_t disc_first, disc_last;
	int64_t dbegin, dend;
};

#define SEG_COLS                                                                        \
	"trace_uuid, stream_class, stream_instance, first_seq, last_seq, session, chunk, " \
	"stream, packets, lost_inside, begin_ns, first_end_ns, end_ns, discarded_first, "  \
	"discarded_last, discards_begin_ns, discards_end_ns"
#define SEG_KEY "trace_uuid = ?1 AND stream_class = ?2 AND stream_instance = ?3"

static int64_t col_opt(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? TS_NONE : sqlite3_column_int64(s, i);
}

static void bind_opt(sqlite3_stmt *s, int i, int64_t v)
{
	if (v == TS_NONE)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, v);
}

static void col_text(sqlite3_stmt *s, int i, char *buf, size_t len)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	snprintf(buf, len, "%s", t ? (const char *)t : "");
}

static void seg_read(sqlite3_stmt *s, struct seg *g)
{
	col_text(s, 0, g->uuid, sizeof g->uuid);
	g->sclass = sqlite3_column_int64(s, 1);
	g->inst = sqlite3_column_int64(s, 2);
	g->first = sqlite3_column_int64(s, 3);
	g->last = sqlite3_column_int64(s, 4);
	g->session = sqlite3_column_int64(s, 5);
	col_text(s, 6, g->chunk, sizeof g->chunk);
	col_text(s, 7, g->stream, sizeof g->stream);
	g->packets = sqlite3_column_int64(s, 8);
	g->lost_inside = sqlite3_column_int64(s, 9);
	g->begin = col_opt(s, 10);
	g->first_end = col_opt(s, 11);
	g->end = col_opt(s, 12);
	g->disc_first = sqlite3_column_int64(s, 13);
	g->disc_last = sqlite3_column_int64(s, 14);
	g->dbegin = col_opt(s, 15);
	g->dend = col_opt(s, 16);
}

static void bind_key(sqlite3_stmt *s, const char *uuid, int64_t sclass, int64_t inst)
{
	sqlite3_bind_text(s, 1, uuid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, sclass);
	sqlite3_bind_int64(s, 3, inst);
}

static int prepare(struct store *st, const char *sql, sqlite3_stmt **s, const char *what)
{
	int rc = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);

	return rc == SQLITE_OK ? 0 : store_fail_sql(st, rc, what);
}

/* The stream's stretch just before (dir < 0) or after (dir > 0) seq `seq`:
 * 1 and *g, 0 if none, < 0 on error.  Stretches of a stream never overlap,
 * so ordering by first_seq orders them by last_seq too. */
static int seg_neighbour(struct store *st, const struct seg *of, int dir, struct seg *g)
{
	static const char before[] = "SELECT " SEG_COLS " FROM chunk_streams WHERE " SEG_KEY
				     " AND first_seq < ?4 ORDER BY first_seq DESC LIMIT 1";
	static const char after[] = "SELECT " SEG_COLS " FROM chunk_streams WHERE " SEG_KEY
				    " AND first_seq > ?4 ORDER BY first_seq LIMIT 1";
	sqlite3_stmt *s = NULL;
	int rc;

	rc = prepare(st, dir < 0 ? before : after, &s, "look up stream stretches");
	if (rc < 0)
		return rc;
	bind_key(s, of->uuid, of->sclass, of->inst);
	sqlite3_bind_int64(s, 4, dir < 0 ? of->first : of->last);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		seg_read(s, g);
		rc = 1;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = store_fail_sql(st, rc, "look up stream stretches");
	}
	sqlite3_finalize(s);
	return rc;
}

static int loss_insert(struct store *st, const struct seg *g, int kind, int64_t begin,
		       int64_t end, int64_t count, int exact)
{
	static const char sql[] =
		"INSERT INTO loss(session, chunk, kind, stream, begin_ns, end_ns, count, "
		"trace_uuid, stream_class, stream_instance, first_seq, exact) "
		"VALUES (?5, ?6, ?7, ?8, ?9, ?10, ?11, ?1, ?2, ?3, ?4, ?12)";
	sqlite3_stmt *s = NULL;
	int rc;

	rc = prepare(st, sql, &s, "add loss");
	if (rc < 0)
		return rc;
	bind_key(s, g->uuid, g->sclass, g->inst);
	sqlite3_bind_int64(s, 4, g->first);
	sqlite3_bind_int64(s, 5, g->session);
	sqlite3_bind_text(s, 6, g->chunk, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 7, kind);
	sqlite3_bind_text(s, 8, g->stream, -1, SQLITE_STATIC);
	bind_opt(s, 9, begin);
	bind_opt(s, 10, end);
	sqlite3_bind_int64(s, 11, count);
	sqlite3_bind_int(s, 12, exact);
	rc = store_step_done(st, s, "add loss");
	sqlite3_finalize(s);
	return rc;
}

struct loss_sum {
	uint64_t discarded, lost_packets, inexact;
};

/* (Re)writes the loss rows of stretch g, whose previous stretch in the
 * store is p (NULL: none). */
static int seg_loss(struct store *st, const struct seg *g, const struct seg *p,
		    struct loss_sum *sum)
{
	static const char del[] = "DELETE FROM loss WHERE " SEG_KEY " AND first_seq = ?4";
	sqlite3_stmt *s = NULL;
	uint64_t base, boundary;
	int64_t count, lost, begin, end;
	int known, rc;

	rc = prepare(st, del, &s, "replace loss");
	if (rc < 0)
		return rc;
	bind_key(s, g->uuid, g->sclass, g->inst);
	sqlite3_bind_int64(s, 4, g->first);
	rc = store_step_done(st, s, "replace loss");
	sqlite3_finalize(s);
	if (rc < 0)
		return rc;

	/* Discarded events: the counter's rise since the previous stretch's
	 * last packet.  Without one, the counter starts at 0 at the stream's
	 * start (seq 0), or is known to be 0 before a packet that reads 0;
	 * otherwise the rise during this stretch's first packet is unknown
	 * and the row holds the rise after it: a lower bound. */
	known = p || g->first == 0 || g->disc_first == 0;
	base = p ? (uint64_t)p->disc_last : known ? 0 : (uint64_t)g->disc_first;
	/* Unsigned differences: the sum over a stream telescopes to its final
	 * counter whatever happens in between, as LTTng's own sum does. */
	count = (int64_t)((uint64_t)g->disc_last - base);
	boundary = (uint64_t)g->disc_first - base;
	if (boundary) {
		begin = p && p->session == g->session ? p->end : g->begin;
		end = g->dend != TS_NONE ? g->dend : g->first_end;
	} else {
		begin = g->dbegin;
		end = g->dend;
	}
	if (count || !known) {
		rc = loss_insert(st, g, STORE_LOSS_EVENTS, begin, end, count, known);
		if (rc < 0)
			return rc;
		if (sum) {
			sum->discarded += (uint64_t)count;
			sum->inexact += !known;
		}
	}

	/* Lost packets: gaps in packet_seq_num, inside the stretch and since
	 * the previous one.  Packets before a stream's first stored one are
	 * not counted (LTTng counts only gaps between packets it consumed). */
	lost = g->lost_inside + (p ? g->first - p->last - 1 : 0);
	if (lost > 0) {
		rc = loss_insert(st, g, STORE_LOSS_PACKETS,
				 p && p->session == g->session ? p->end : g->begin, g->end, lost,
				 p || g->first == 0);
		if (rc < 0)
			return rc;
		if (sum) {
			sum->lost_packets += (uint64_t)lost;
			sum->inexact += !(p || g->first == 0);
		}
	}
	return 0;
}

static int64_t rel_opt(const struct store *st, int64_t ns)
{
	return ns > 0 ? ns - st->w.base : TS_NONE;
}

static void seg_from_stream(const struct store *st, const struct store_stream *v,
			    struct seg *g)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->uuid, sizeof g->uuid, "%s", v->uuid);
	g->sclass = (int64_t)v->stream_class;
	g->inst = (int64_t)v->instance;
	g->first = (int64_t)v->first_seq;
	g->last = (int64_t)v->last_seq;
	g->session = st->w.session;
	snprintf(g->chunk, sizeof g->chunk, "%s", st->w.chunk ? st->w.chunk : "");
	snprintf(g->stream, sizeof g->stream, "%s", v->name ? v->name : "");
	g->packets = (int64_t)v->packets;
	g->lost_inside = (int64_t)v->lost_inside;
	g->begin = rel_opt(st, v->begin_ns);
	g->first_end = rel_opt(st, v->first_end_ns);
	g->end = rel_opt(st, v->end_ns);
	g->disc_first = (int64_t)v->discarded_first;
	g->disc_last = (int64_t)v->discarded_last;
	g->dbegin = rel_opt(st, v->discards_begin_ns);
	g->dend = rel_opt(st, v->discards_end_ns);
}

static int seg_insert(struct store *st, const struct seg *g)
{
	static const char sql[] = "INSERT INTO chunk_streams(" SEG_COLS ") VALUES (?1, ?2, ?3, "
				  "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";
	sqlite3_stmt *s = NULL;
	int rc;

	rc = prepare(st, sql, &s, "record chunk streams");
	if (rc < 0)
		return rc;
	bind_key(s, g->uuid, g->sclass, g->inst);
	sqlite3_bind_int64(s, 4, g->first);
	sqlite3_bind_int64(s, 5, g->last);
	sqlite3_bind_int64(s, 6, g->session);
	sqlite3_bind_text(s, 7, g->chunk, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, g->stream, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, g->packets);
	sqlite3_bind_int64(s, 10, g->lost_inside);
	bind_opt(s, 11, g->begin);
	bind_opt(s, 12, g->first_end);
	bind_opt(s, 13, g->end);
	sqlite3_bind_int64(s, 14, g->disc_first);
	sqlite3_bind_int64(s, 15, g->disc_last);
	bind_opt(s, 16, g->dbegin);
	bind_opt(s, 17, g->dend);
	rc = store_step_done(st, s, "record chunk streams");
	sqlite3_finalize(s);
	return rc;
}

/* The stored stretches of v's stream that share a packet with v, in
 * order; calls fn for each.  Returns the number, or < 0. */
static int overlaps(struct store *st, const struct store_stream *v,
		    void (*fn)(void *arg, const struct seg *g), void *arg)
{
	static const char sql[] = "SELECT " SEG_COLS " FROM chunk_streams WHERE " SEG_KEY
				  " AND first_seq <= ?5 AND last_seq >= ?4 ORDER BY first_seq";
	sqlite3_stmt *s = NULL;
	struct seg g;
	int rc, n = 0;

	rc = prepare(st, sql, &s, "look up chunk content");
	if (rc < 0)
		return rc;
	bind_key(s, v->uuid, (int64_t)v->stream_class, (int64_t)v->instance);
	sqlite3_bind_int64(s, 4, (int64_t)v->first_seq);
	sqlite3_bind_int64(s, 5, (int64_t)v->last_seq);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		seg_read(s, &g);
		fn(arg, &g);
		n++;
	}
	rc = rc == SQLITE_DONE ? n : store_fail_sql(st, rc, "look up chunk content");
	sqlite3_finalize(s);
	return rc;
}

struct cover {
	int64_t next;      /* first seq not covered yet */
	int gap;           /* a packet of the stretch is in no stored stretch */
	int n;
	struct seg first;  /* the first overlapping stored stretch */
};

static void cover_step(void *arg, const struct seg *g)
{
	struct cover *c = arg;

	if (c->n++ == 0)
		c->first = *g;
	if (g->first > c->next)
		c->gap = 1;
	if (g->last + 1 > c->next)
		c->next = g->last + 1;
}

static int session_of_uuid(struct store *st, const char *uuid, int64_t *session)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = prepare(st, "SELECT session FROM chunk_streams WHERE trace_uuid = ?1 LIMIT 1", &s,
		     "look up chunk content");
	if (rc < 0)
		return rc;
	sqlite3_bind_text(s, 1, uuid, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*session = sqlite3_column_int64(s, 0);
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0
						   : store_fail_sql(st, rc, "look up chunk content");
	sqlite3_finalize(s);
	return rc;
}

int store_chunk_identify(struct store *st, const struct store_stream *v, size_t n,
			 struct store_chunk_match *m)
{
	size_t stored = 0, fresh = 0;
	int rc = 0;

	if (!st || !m || (n && !v))
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < n; i++) {
		struct cover c = { .next = (int64_t)v[i].first_seq };

		rc = overlaps(st, &v[i], cover_step, &c);
		if (rc < 0)
			return rc;
		if (c.n == 0) {
			fresh++;
			if (!m->session_id) {
				rc = session_of_uuid(st, v[i].uuid, &m->session_id);
				if (rc < 0)
					return rc;
			}
			continue;
		}
		if (!c.gap && c.next > (int64_t)v[i].last_seq) {
			stored++;
		} else {
			m->state = STORE_CHUNK_OVERLAP;
			snprintf(m->detail, sizeof m->detail,
				 "stream %s of trace %s holds packets %llu-%llu, of which the "
				 "store has only some (packets %lld-%lld, chunk %s)",
				 v[i].name ? v[i].name : "?", v[i].uuid,
				 (unsigned long long)v[i].first_seq,
				 (unsigned long long)v[i].last_seq, (long long)c.first.first,
				 (long long)c.first.last, c.first.chunk);
		}
		if (m->state == STORE_CHUNK_OVERLAP || !m->chunk[0]) {
			m->session_id = c.first.session;
			snprintf(m->chunk, sizeof m->chunk, "%s", c.first.chunk);
		}
		if (m->state == STORE_CHUNK_OVERLAP)
			return 0;
	}
	if (stored && fresh) {
		m->state = STORE_CHUNK_OVERLAP;
		snprintf(m->detail, sizeof m->detail,
			 "%zu of its %zu streams are in the store (chunk %s), %zu are not", stored,
			 n, m->chunk, fresh);
	} else if (stored) {
		m->state = STORE_CHUNK_STORED;
	}
	return 0;
}

int store_add_streams(struct store *st, const struct store_stream *v, size_t n,
		      uint64_t *discarded, uint64_t *lost_packets, uint64_t *inexact)
{
	struct store_writer *w = &st->w;
	struct loss_sum sum = { 0 };
	struct seg g, p, q;
	int rc = 0;

	if (!w->open || w->failed)
		return store_fail(st, -EINVAL, "add streams: no usable open chunk");
	if (n && !v) {
		rc = store_fail(st, -EINVAL, "add streams: no streams");
		goto out;
	}
	if (w->base == 0) {
		int64_t first = 0;

		for (size_t i = 0; i < n; i++)
			if (v[i].begin_ns > 0 && (!first || v[i].begin_ns < first))
				first = v[i].begin_ns;
		if (first) {
			rc = store_writer_set_base(st, first);
			if (rc < 0)
				goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct cover c = { .next = (int64_t)v[i].first_seq };

		if (v[i].last_seq < v[i].first_seq || v[i].first_seq > INT64_MAX ||
		    v[i].last_seq > INT64_MAX) {
			rc = store_fail(st, -EINVAL, "add streams: invalid packet range: chunk=%s",
					w->chunk);
			goto out;
		}
		rc = overlaps(st, &v[i], cover_step, &c);
		if (rc < 0)
			goto out;
		if (rc > 0) {
			rc = store_fail(st, -EEXIST,
					"add chunk: already in the store: stream %s of trace %s, "
					"packets %lld-%lld, in chunk %s: chunk=%s",
					v[i].name ? v[i].name : "?", v[i].uuid,
					(long long)c.first.first, (long long)c.first.last,
					c.first.chunk, w->chunk);
			goto out;
		}
		seg_from_stream(st, &v[i], &g);
		rc = seg_insert(st, &g);
		if (rc < 0)
			goto out;
	}
	/* Loss once every stretch is in: a stretch's neighbours may be in this
	 * very chunk only if it holds one stream twice, which the check above
	 * refuses, so the order does not matter. */
	for (size_t i = 0; i < n; i++) {
		int has_p, has_q;

		seg_from_stream(st, &v[i], &g);
		has_p = seg_neighbour(st, &g, -1, &p);
		if (has_p < 0) {
			rc = has_p;
			goto out;
		}
		rc = seg_loss(st, &g, has_p ? &p : NULL, &sum);
		if (rc < 0)
			goto out;
		/* A later stretch stored before this one: its loss was counted
		 * from an older stretch (or was a lower bound); recount it. */
		has_q = seg_neighbour(st, &g, +1, &q);
		if (has_q < 0) {
			rc = has_q;
			goto out;
		}
		if (has_q) {
			rc = seg_loss(st, &q, &g, NULL);
			if (rc < 0)
				goto out;
		}
	}
	if (discarded)
		*discarded = sum.discarded;
	if (lost_packets)
		*lost_packets = sum.lost_packets;
	if (inexact)
		*inexact = sum.inexact;
out:
	if (rc < 0)
		w->failed = true;
	return rc < 0 ? rc : 0;
}
