/*
 * Chunk ingestion (see ingest.h): the decoder thread fills batches of events
 * (strings copied into the batch's arena, since the decoder's strings live
 * only during its callback) and passes them through a bounded queue to the
 * calling thread, which writes them into the open chunk transaction.
 *
 * Memory is bounded by QUEUE_DEPTH + 2 batches whatever the trace size.  Any
 * failure on either side stops the other: the writer sets `stop`, which makes
 * the decoder's next callback return -ECANCELED; a decoder failure arrives
 * as the queue's final status.  Nothing is committed unless both sides
 * finished cleanly.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctf-index.h"
#include "ingest.h"

#define BATCH_ENTRIES 4096
#define ARENA_BYTES (BATCH_ENTRIES * 48)
#define QUEUE_DEPTH 4
#define PROGRESS_EVERY 262144

enum ent_type { ENT_EVENT, ENT_PROCESS, ENT_LOSS };

struct ent {
	uint8_t type;
	struct store_event ev;   /* ENT_EVENT; ENT_PROCESS uses vpid, ts_ns, procname */
	struct decode_loss loss; /* ENT_LOSS */
};

struct batch {
	struct batch *next;
	size_t n, used;
	struct ent ents[BATCH_ENTRIES];
	char arena[ARENA_BYTES];
};

struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t can_pop, can_push;
	struct batch *head, *tail; /* full batches, FIFO */
	struct batch *free;        /* recycled batches */
	unsigned queued;
	int done;                  /* decoder finished; decode_rc is final */
	int stop;                  /* writer gave up: decoder must stop */
	int decode_rc;
	char host[DECODE_HOSTNAME_MAX + 1];
	int host_known;

	/* decoder-thread side */
	struct batch *cur;
	const char *dir;
	struct decode_stats dec;
	char err[512];
};

static struct batch *pipe_get_free(struct pipe *p)
{
	struct batch *b;

	pthread_mutex_lock(&p->mu);
	b = p->free;
	if (b)
		p->free = b->next;
	pthread_mutex_unlock(&p->mu);
	if (!b)
		b = malloc(sizeof(*b));
	if (b) {
		b->next = NULL;
		b->n = b->used = 0;
	}
	return b;
}

/* Decoder side: hands the current batch to the writer; waits while the queue
 * is full.  Returns -ECANCELED if the writer stopped. */
static int pipe_push(struct pipe *p)
{
	struct batch *b = p->cur;
	int rc = 0;

	p->cur = NULL;
	pthread_mutex_lock(&p->mu);
	if (!p->host_known) {
		snprintf(p->host, sizeof(p->host), "%s", p->dec.hostname);
		p->host_known = 1;
	}
	while (p->queued >= QUEUE_DEPTH && !p->stop)
		pthread_cond_wait(&p->can_push, &p->mu);
	if (p->stop) {
		b->next = p->free;
		p->free = b;
		rc = -ECANCELED;
	} else {
		if (p->tail)
			p->tail->next = b;
		else
			p->head = b;
		p->tail = b;
		p->queued++;
		pthread_cond_signal(&p->can_pop);
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

/* Decoder side: room for one entry with `strbytes` of strings, pushing the
 * current batch when it is full.  The check holds for a fresh batch too: an
 * entry whose strings do not fit in an empty arena is refused (-E2BIG in
 * *rc), never written past it.  The decoder bounds every string
 * (DECODE_STR_MAX), so an entry needs at most a few KiB of the arena. */
static struct ent *pipe_slot(struct pipe *p, size_t strbytes, int *rc)
{
	*rc = 0;
	if (strbytes > ARENA_BYTES) {
		*rc = -E2BIG;
		return NULL;
	}
	if (p->cur && (p->cur->n == BATCH_ENTRIES || p->cur->used + strbytes > ARENA_BYTES)) {
		*rc = pipe_push(p);
		if (*rc)
			return NULL;
	}
	if (!p->cur) {
		if (__atomic_load_n(&p->stop, __ATOMIC_RELAXED)) {
			*rc = -ECANCELED;
			return NULL;
		}
		p->cur = pipe_get_free(p);
		if (!p->cur) {
			*rc = -ENOMEM;
			return NULL;
		}
	}
	return &p->cur->ents[p->cur->n++];
}

_Static_assert(ARENA_BYTES >= 3 * (DECODE_STR_MAX + 1), "one event's strings fit in a batch");

static const char *arena_copy(struct batch *b, const char *s, size_t len)
{
	char *d = b->arena + b->used;

	memcpy(d, s, len);
	d[len] = '\0';
	b->used += len + 1;
	return d;
}

static int on_event(void *arg, const struct store_event *ev)
{
	struct pipe *p = arg;
	size_t plen = ev->procname ? strnlen(ev->procname, DECODE_STR_MAX) : 0;
	int rc;
	struct ent *e = pipe_slot(p, (size_t)ev->s0_len + ev->s1_len + plen + 3, &rc);

	if (!e)
		return rc;
	e->type = ENT_EVENT;
	e->ev = *ev;
	e->ev.s0 = arena_copy(p->cur, ev->s0, ev->s0_len);
	e->ev.s1 = arena_copy(p->cur, ev->s1, ev->s1_len);
	e->ev.procname = arena_copy(p->cur, ev->procname ? ev->procname : "", plen);
	return 0;
}

static int on_process(void *arg, int32_t vpid, const char *procname, int64_t ts_ns)
{
	struct pipe *p = arg;
	size_t plen = procname ? strnlen(procname, DECODE_STR_MAX) : 0;
	int rc;
	struct ent *e = pipe_slot(p, plen + 1, &rc);

	if (!e)
		return rc;
	memset(e, 0, sizeof(*e));
	e->type = ENT_PROCESS;
	e->ev.vpid = vpid;
	e->ev.ts_ns = ts_ns;
	e->ev.procname = arena_copy(p->cur, procname ? procname : "", plen);
	return 0;
}

static int on_loss(void *arg, const struct decode_loss *l)
{
	struct pipe *p = arg;
	size_t slen = l->stream ? strnlen(l->stream, 1024) : 0;
	int rc;
	struct ent *e = pipe_slot(p, slen + 1, &rc);

	if (!e)
		return rc;
	e->type = ENT_LOSS;
	e->loss = *l;
	e->loss.stream = arena_copy(p->cur, l->stream ? l->stream : "", slen);
	return 0;
}

static void *decoder_main(void *arg)
{
	struct pipe *p = arg;
	struct decode_cb cb = { on_event, on_loss, on_process, p };
	int rc;

	rc = decode_trace(p->dir, &cb, &p->dec, p->err, sizeof(p->err));
	if (rc == 0 && p->cur)
		rc = pipe_push(p);
	if (p->cur) { /* not pushed: failure path */
		free(p->cur);
		p->cur = NULL;
	}
	pthread_mutex_lock(&p->mu);
	if (!p->host_known) {
		snprintf(p->host, sizeof(p->host), "%s", p->dec.hostname);
		p->host_known = 1;
	}
	p->done = 1;
	p->decode_rc = rc;
	pthread_cond_broadcast(&p->can_pop);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Writer side: next full batch, or NULL when the decoder is done. */
static struct batch *pipe_pop(struct pipe *p)
{
	struct batch *b;

	pthread_mutex_lock(&p->mu);
	while (!p->head && !p->done)
		pthread_cond_wait(&p->can_pop, &p->mu);
	b = p->head;
	if (b) {
		p->head = b->next;
		if (!p->head)
			p->tail = NULL;
		p->queued--;
		pthread_cond_signal(&p->can_push);
	}
	pthread_mutex_unlock(&p->mu);
	return b;
}

static void pipe_recycle(struct pipe *p, struct batch *b)
{
	pthread_mutex_lock(&p->mu);
	b->next = p->free;
	p->free = b;
	pthread_mutex_unlock(&p->mu);
}

static void pipe_stop(struct pipe *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->can_push);
	pthread_mutex_unlock(&p->mu);
}

static void free_list(struct batch *b)
{
	while (b) {
		struct batch *n = b->next;
		free(b);
		b = n;
	}
}

static const char *base_name(const char *dir, char *buf, size_t len)
{
	size_t n = strlen(dir);
	const char *s;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	s = dir + n;
	while (s > dir && s[-1] != '/')
		s--;
	snprintf(buf, len, "%.*s", (int)(dir + n - s), s);
	return buf;
}

/* What ingest_chunk knows before decoding: the chunk's content. */
struct content {
	struct ctf_index ix;
	int indexed;       /* ix describes the whole chunk: identity by content */
	int64_t session;   /* the session holding other chunks of its traces */
};

/* A chunk name not yet used in the session: `chunk`, else `chunk~2`, ...
 * (different content under a name already taken: a re-recorded directory). */
static int free_name(struct store *st, int64_t session, const char *chunk, char *buf,
		     size_t len)
{
	int rc;

	snprintf(buf, len, "%s", chunk);
	for (int i = 2; (rc = store_chunk_has(st, session, buf)) == 1 && i < 1000; i++)
		snprintf(buf, len, "%s~%d", chunk, i);
	return rc == 1 ? -EEXIST : rc;
}

/* Writer side: once the host is known, find the session and open the chunk.
 * Returns 0, 1 if the chunk is already in the store, or < 0. */
static int open_chunk(struct store *st, struct pipe *p, const char *dir,
		      const struct ingest_opts *o, const struct content *c,
		      struct ingest_report *rep, char *err, size_t errlen)
{
	char name[256], chunk_name[512];
	const char *chunk = o->chunk_id ? o->chunk_id : dir;
	int rc;

	rep->session_id = c->session ? c->session : o->session_id;
	if (!rep->session_id) {
		const char *sname = o->session_name ? o->session_name
						    : base_name(dir, name, sizeof name);
		pthread_mutex_lock(&p->mu);
		rc = store_session_begin(st, o->host ? o->host : p->host, sname, 0,
					 &rep->session_id);
		pthread_mutex_unlock(&p->mu);
		if (rc)
			goto fail;
	}
	if (c->indexed) {
		/* The content is new (checked before decoding): the name is
		 * only a label. */
		rc = free_name(st, rep->session_id, chunk, chunk_name, sizeof chunk_name);
		if (rc < 0)
			goto fail;
		chunk = chunk_name;
	} else {
		/* No index to tell the content by: the chunk id is all there is. */
		rc = store_chunk_has(st, rep->session_id, chunk);
		if (rc < 0)
			goto fail;
		if (rc == 1) {
			snprintf(rep->stored_as, sizeof rep->stored_as, "%s", chunk);
			return 1;
		}
	}
	rc = store_chunk_begin(st, rep->session_id, chunk);
	if (rc)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s", store_errmsg(st));
	return rc;
}

/* Before decoding: reads the chunk's packet indexes and asks the store
 * whether it holds them.  Returns 0 (new: go on), 1 (all stored: skip), or
 * < 0 with err set. */
static int identify(struct store *st, const char *dir, struct content *c,
		    struct ingest_report *rep, char *err, size_t errlen)
{
	struct store_chunk_match m;
	int rc;

	rc = ctf_index_read(dir, &c->ix, err, errlen);
	if (rc)
		return rc;
	c->indexed = c->ix.complete && c->ix.n > 0;
	rep->indexed = c->indexed;
	if (!c->indexed)
		return 0;
	rc = store_chunk_identify(st, c->ix.v, c->ix.n, &m);
	if (rc < 0) {
		snprintf(err, errlen, "%s", store_errmsg(st));
		return rc;
	}
	switch (m.state) {
	case STORE_CHUNK_STORED:
		rep->session_id = m.session_id;
		snprintf(rep->stored_as, sizeof rep->stored_as, "%s", m.chunk);
		return 1;
	case STORE_CHUNK_OVERLAP:
		snprintf(err, errlen, "Cannot ingest chunk: it shares packets with the store but "
				      "is not the same data (a truncated or merged copy?): %s: "
				      "path=%s", m.detail, dir);
		return -EEXIST;
	case STORE_CHUNK_NEW:
		c->session = m.session_id;
		break;
	}
	return 0;
}

static int write_entry(struct store *st, const struct ent *e, struct ingest_report *rep)
{
	struct store_loss l;

	switch (e->type) {
	case ENT_EVENT:
		rep->written += !e->ev.folded;
		return store_add_event(st, &e->ev);
	case ENT_PROCESS:
		return store_process_mark(st, e->ev.vpid, e->ev.procname, e->ev.ts_ns);
	case ENT_LOSS:
		if (rep->indexed)
			return 0; /* the index gives the exact figures */
		l.kind = e->loss.kind == DECODE_LOSS_EVENTS ? STORE_LOSS_EVENTS : STORE_LOSS_PACKETS;
		l.stream = e->loss.stream;
		l.begin_ns = e->loss.has_range ? e->loss.begin_ns : 0;
		l.end_ns = e->loss.has_range ? e->loss.end_ns : 0;
		l.count = e->loss.has_count ? e->loss.count : 0;
		rep->loss_records++;
		return store_add_loss(st, &l);
	}
	return -EINVAL;
}

int ingest_chunk(struct store *st, const char *dir, const struct ingest_opts *opts,
		 struct ingest_report *rep, char *err, size_t errlen)
{
	static const struct ingest_opts defaults;
	const struct ingest_opts *o = opts ? opts : &defaults;
	struct pipe *p;
	pthread_t tid;
	struct batch *b;
	struct content c = { 0 };
	uint64_t next_progress = PROGRESS_EVERY;
	int opened = 0, rc = 0, wrc = 0, started = 0;

	memset(rep, 0, sizeof(*rep));
	if (err && errlen)
		err[0] = '\0';
	rc = identify(st, dir, &c, rep, err, errlen);
	if (rc) {
		ctf_index_free(&c.ix);
		if (rc == 1) {
			rep->skipped = 1;
			rc = 0;
		}
		return rc;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		ctf_index_free(&c.ix);
		snprintf(err, errlen, "Cannot ingest chunk: out of memory: path=%s", dir);
		return -ENOMEM;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->can_pop, NULL);
	pthread_cond_init(&p->can_push, NULL);
	p->dir = dir;
	if (pthread_create(&tid, NULL, decoder_main, p) != 0) {
		snprintf(err, errlen, "Cannot ingest chunk: cannot start decoder thread: path=%s",
			 dir);
		rc = -EAGAIN;
		goto out;
	}
	started = 1;

	while ((b = pipe_pop(p)) != NULL) {
		if (!opened && !wrc) {
			wrc = open_chunk(st, p, dir, o, &c, rep, err, errlen);
			opened = wrc == 0;
			if (wrc)
				pipe_stop(p);
		}
		for (size_t i = 0; i < b->n && opened && !wrc; i++) {
			wrc = write_entry(st, &b->ents[i], rep);
			if (wrc) {
				snprintf(err, errlen, "%s", store_errmsg(st));
				pipe_stop(p);
			}
		}
		if (o->progress && rep->written >= next_progress && b->n) {
			struct ingest_progress pr = { rep->written, b->ents[b->n - 1].ev.ts_ns };
			o->progress(o->progress_arg, &pr);
			next_progress = rep->written + PROGRESS_EVERY;
		}
		pipe_recycle(p, b);
	}
	pthread_join(tid, NULL);
	started = 0;
	rep->dec = p->dec;
	if (!c.indexed) { /* babeltrace2's figures are all there is */
		rep->discarded_events = p->dec.discarded_events;
		rep->lost_packets = p->dec.discarded_packets;
		rep->inexact = p->dec.loss_msgs;
	}

	if (wrc == 1) { /* already in the store */
		rep->skipped = 1;
		goto out;
	}
	if (wrc) {
		rc = wrc;
		goto out;
	}
	if (!opened && (p->decode_rc == -ENODATA || p->decode_rc == -ENOMSG)) {
		/* decode_trace() called nothing (decode.h): an empty chunk. */
		rep->empty = p->decode_rc == -ENODATA ? INGEST_EMPTY_NO_TRACE
						      : INGEST_EMPTY_FOREIGN;
		snprintf(err, errlen, "%s", p->err);
		goto out;
	}
	if (p->decode_rc) {
		rc = p->decode_rc;
		snprintf(err, errlen, "%s", p->err);
		goto out;
	}
	if (!opened) { /* an empty chunk: record it all the same */
		wrc = open_chunk(st, p, dir, o, &c, rep, err, errlen);
		if (wrc == 1) {
			rep->skipped = 1;
			goto out;
		}
		if (wrc) {
			rc = wrc;
			goto out;
		}
		opened = 1;
	}
	if (c.indexed) {
		rc = store_add_streams(st, c.ix.v, c.ix.n, &rep->discarded_events,
				       &rep->lost_packets, &rep->inexact);
		if (rc) {
			snprintf(err, errlen, "%s", store_errmsg(st));
			goto out;
		}
	}
	rc = store_chunk_commit(st);
	opened = 0;
	if (rc)
		snprintf(err, errlen, "%s", store_errmsg(st));
out:
	if (started) {
		pipe_stop(p);
		pthread_join(tid, NULL);
	}
	if (opened)
		store_chunk_abort(st);
	free_list(p->head);
	free_list(p->free);
	pthread_cond_destroy(&p->can_pop);
	pthread_cond_destroy(&p->can_push);
	pthread_mutex_destroy(&p->mu);
	free(p);
	ctf_index_free(&c.ix);
	return rc;
}
