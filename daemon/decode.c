/*
 * The trace decoder behind decode.h: finds the CTF traces under a directory,
 * runs a libbabeltrace2 graph src.ctf.fs -> flt.utils.muxer -> "weft" sink
 * over them, and turns each message into a callback.
 *
 * The sink is weft's own component class, created here in-process (no plugin
 * file).  Its consume method is the hot path: per event it finds the event
 * class's cached description (ec_info: which payload member feeds which
 * store_event slot, where vpid/vtid/procname sit in the common context), so
 * field names are looked up once per event class, never per event.
 *
 * A trace is "weft" when its metadata declares at least one weft:* event
 * class.  Callbacks fire only for streams of weft traces: a directory holding
 * no weft trace fails with -ENOMSG having called nothing, and a foreign trace
 * next to a weft one (another application under the same uid) is counted in
 * the stats but does not reach the store.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <babeltrace2/babeltrace.h>

#include "decode.h"

/* Deeper than a relayd tree: BASE/HOST/SESSION/archives/CHUNK/ust/uid/N/64-bit. */
#define DECODE_MAX_DEPTH 16
#define DECODE_PROCESS_EVENT "lttng_ust_statedump:start"
/* lttng-ust names its listener thread, which runs the statedump, "<comm>-ust". */
#define DECODE_UST_THREAD_SUFFIX "-ust"

/* ---- which payload field feeds which store_event slot ---------------- */

enum { SLOT_ID0, SLOT_ID1, SLOT_ID2, SLOT_N0, SLOT_N1, SLOT_N2, SLOT_S0, SLOT_S1, SLOT_COUNT };
#define SLOT_FIRST_STR SLOT_S0

struct slot_spec {
	const char *field[SLOT_COUNT];
};

/* store/event.h's table, field names as in probes/weft-tp.h; the columns are
 * id0 id1 id2 (integers), n0 n1 n2 (integers), s0 s1 (strings).  A name
 * starting with '?' is a field that a later schema version added: traces of
 * an earlier version lack it and read as 0 / "".
 *
 * task_submit and task_next (schema v2) never reach the store as such: each
 * is handed on as the v1 events it stands for (decode_expand), so the writer
 * and everything after it see one event stream whatever the trace's version.
 * Their slots are laid out so that the first expanded event needs no moves. */
#define SPEC(id0, id1, id2, n0, n1, n2, s0, s1) { { id0, id1, id2, n0, n1, n2, s0, s1 } }
#define NA NULL
static const struct slot_spec slot_specs[WEFT_EVENT_COUNT] = {
	[WEFT_EV_context_new]      = SPEC("ctx", NA, NA, "kind", "workers", "ncpu", "name", NA),
	[WEFT_EV_task_new]         = SPEC("task", "parent", "token", "kind", NA, NA, "name", "site"),
	[WEFT_EV_task_schedule]    = SPEC("task", "ctx", NA, NA, NA, NA, NA, NA),
	[WEFT_EV_task_start]       = SPEC("task", "ctx", NA, NA, NA, NA, NA, NA),
	[WEFT_EV_task_end]         = SPEC("task", NA, NA, "status", "err", NA, "msg", NA),
	[WEFT_EV_task_inline]      = SPEC("task", NA, NA, NA, NA, NA, NA, NA),
	[WEFT_EV_continuation_add] = SPEC("antecedent", "continuation", "ctx", NA, NA, NA, NA, NA),
	[WEFT_EV_marshal]          = SPEC("task", "from_ctx", "to_ctx", NA, NA, NA, NA, NA),
	[WEFT_EV_wait_begin]       = SPEC("waiter", "awaited", NA, "mode", NA, NA, NA, NA),
	[WEFT_EV_wait_end]         = SPEC("waiter", "awaited", NA, "timed_out", NA, NA, NA, NA),
	[WEFT_EV_error_observe]    = SPEC("task", NA, NA, NA, NA, NA, NA, NA),
	[WEFT_EV_error_unobserved] = SPEC("task", NA, NA, "err", NA, NA, "msg", NA),
	[WEFT_EV_token_new]        = SPEC("token", "parent_token", NA, NA, NA, NA, "?name", NA),
	[WEFT_EV_cancel_request]   = SPEC("token", NA, NA, NA, NA, NA, "reason", NA),
	[WEFT_EV_cancel_observe]   = SPEC("token", "task", NA, NA, NA, NA, NA, NA),
	[WEFT_EV_pool_sample]      = SPEC("ctx", NA, NA, "queued", "busy", "workers", NA, NA),
	[WEFT_EV_worker_state]     = SPEC("ctx", NA, NA, "state", NA, NA, NA, NA),
	[WEFT_EV_block_begin]      = SPEC(NA, NA, NA, NA, NA, NA, "reason", NA),
	[WEFT_EV_block_end]        = SPEC(NA, NA, NA, NA, NA, NA, NA, NA),
	[WEFT_EV_annotate]         = SPEC("task", NA, NA, NA, NA, NA, "key", "value"),
	[WEFT_EV_task_submit]      = SPEC("task", "parent", "token", "kind", "ctx", NA, "name", "site"),
	[WEFT_EV_task_next]        = SPEC("ended", "task", "ctx", "end_delta", NA, NA, NA, NA),
	[WEFT_EV_token_link]       = SPEC("token", "parent", NA, NA, NA, NA, NA, NA),
};
#undef NA
#undef SPEC

#define X(name) "weft:" #name,
static const char *const weft_event_names[WEFT_EVENT_COUNT] = { WEFT_EVENT_MAP(X) };
#undef X

/* ---- per-class caches ------------------------------------------------- */

enum ec_role { ROLE_OTHER, ROLE_WEFT, ROLE_PROCESS };

/* A member of a structure field: its index, and how to read an integer. */
struct member {
	int32_t idx; /* -1: absent */
	uint8_t is_signed;
};

/* What the consume loop needs to know about one stream class. */
struct sc_info {
	const bt_stream_class *sc;
	int weft;        /* its trace class declares weft:* event classes */
	int has_clock;   /* events carry a default clock snapshot */
	struct member vpid, vtid, procname; /* in the common context */
};

/* What the consume loop needs to know about one event class. */
struct ec_info {
	const bt_event_class *ec; /* key; NULL: empty hash slot */
	enum ec_role role;
	enum weft_event kind;
	int weft;                 /* callbacks allowed (see the file comment) */
	int has_clock;
	struct member vpid, vtid, procname;
	struct member slot[SLOT_COUNT];
};

struct decoder {
	const char *path;
	const struct decode_cb *cb;
	struct decode_stats *st;
	bt_message_iterator *iter;

	struct ec_info *ecs; /* open addressing on the class pointer */
	size_t ecs_cap, ecs_n;
	struct ec_info *last; /* consecutive events mostly share a class */
	struct sc_info *scs;
	size_t scs_cap, scs_n;

	/* Copies of the strings of the current event that were cut at
	 * DECODE_STR_MAX (procname, s0, s1), NUL-terminated at the cut. */
	char cut[3][DECODE_STR_MAX + 1];

	int weft_seen;        /* a weft trace began */
	int host_set;
	int rc;               /* first failure; stops the graph */
	char *err;
	size_t errlen;
};

/* Records the first failure as "Cannot decode trace: ...: path=..." and returns rc. */
static int decode_fail(struct decoder *d, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int decode_fail(struct decoder *d, int rc, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	if (d->rc)
		return d->rc;
	d->rc = rc;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (d->err && d->errlen)
		snprintf(d->err, d->errlen, "Cannot decode trace: %s: path=%s", reason, d->path);
	return rc;
}

/* Finds member `name` of a structure field class: index and signedness. */
static struct member member_find(const bt_field_class *fc, const char *name,
				 bt_field_class_type want)
{
	struct member m = { -1, 0 };
	uint64_t i, n;

	if (!fc || !name || bt_field_class_get_type(fc) != BT_FIELD_CLASS_TYPE_STRUCTURE)
		return m;
	n = bt_field_class_structure_get_member_count(fc);
	for (i = 0; i < n && i < INT32_MAX; i++) {
		const bt_field_class_structure_member *mb =
			bt_field_class_structure_borrow_member_by_index_const(fc, i);
		const bt_field_class *mfc;
		bt_field_class_type t;

		if (strcmp(bt_field_class_structure_member_get_name(mb), name) != 0)
			continue;
		mfc = bt_field_class_structure_member_borrow_field_class_const(mb);
		t = bt_field_class_get_type(mfc);
		if (!bt_field_class_type_is(t, want))
			break; /* present, wrong type: treated as absent */
		m.idx = (int32_t)i;
		m.is_signed = bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_SIGNED_INTEGER);
		break;
	}
	return m;
}

static int trace_class_is_weft(const bt_trace_class *tc)
{
	uint64_t i, j, nsc = bt_trace_class_get_stream_class_count(tc);

	for (i = 0; i < nsc; i++) {
		const bt_stream_class *sc = bt_trace_class_borrow_stream_class_by_index_const(tc, i);
		uint64_t nec = bt_stream_class_get_event_class_count(sc);

		for (j = 0; j < nec; j++) {
			const char *name = bt_event_class_get_name(
				bt_stream_class_borrow_event_class_by_index_const(sc, j));

			if (name && strncmp(name, "weft:", 5) == 0)
				return 1;
		}
	}
	return 0;
}

/* The stream class's cached description, made on first sight; NULL on ENOMEM. */
static struct sc_info *sc_get(struct decoder *d, const bt_stream_class *sc)
{
	const bt_field_class *cc;
	struct sc_info *si;
	size_t i;

	for (i = 0; i < d->scs_n; i++)
		if (d->scs[i].sc == sc)
			return &d->scs[i];
	if (d->scs_n == d->scs_cap) {
		size_t cap = d->scs_cap ? d->scs_cap * 2 : 8;
		struct sc_info *n = realloc(d->scs, cap * sizeof(*n));

		if (!n) {
			decode_fail(d, -ENOMEM, "out of memory");
			return NULL;
		}
		d->scs = n;
		d->scs_cap = cap;
	}
	si = &d->scs[d->scs_n++];
	si->sc = sc;
	si->weft = trace_class_is_weft(bt_stream_class_borrow_trace_class_const(sc));
	si->has_clock = bt_stream_class_borrow_default_clock_class_const(sc) != NULL;
	cc = bt_stream_class_borrow_event_common_context_field_class_const(sc);
	si->vpid = member_find(cc, "vpid", BT_FIELD_CLASS_TYPE_INTEGER);
	si->vtid = member_find(cc, "vtid", BT_FIELD_CLASS_TYPE_INTEGER);
	si->procname = member_find(cc, "procname", BT_FIELD_CLASS_TYPE_STRING);
	return si;
}

static int weft_kind_by_name(const char *name)
{
	int k;

	if (!name || strncmp(name, "weft:", 5) != 0)
		return -1;
	for (k = 0; k < WEFT_EVENT_COUNT; k++)
		if (strcmp(name, weft_event_names[k]) == 0)
			return k;
	return -1;
}

/* Fills ei for class ec: role, slots, context members.  0 or -errno. */
static int ec_describe(struct decoder *d, struct ec_info *ei, const bt_event_class *ec)
{
	const char *name = bt_event_class_get_name(ec);
	const bt_field_class *payload;
	struct sc_info *si;
	int kind, s;

	si = sc_get(d, bt_event_class_borrow_stream_class_const(ec));
	if (!si)
		return d->rc;
	memset(ei, 0, sizeof(*ei));
	ei->ec = ec;
	ei->role = ROLE_OTHER;
	ei->weft = si->weft;
	ei->has_clock = si->has_clock;
	ei->vpid = si->vpid;
	ei->vtid = si->vtid;
	ei->procname = si->procname;
	kind = weft_kind_by_name(name);
	if (kind >= 0) {
		if (!si->has_clock)
			return decode_fail(d, -EPROTO, "event %s has no timestamp", name);
		if (si->vpid.idx < 0 || si->vtid.idx < 0)
			return decode_fail(d, -EPROTO,
					   "event %s lacks the vpid/vtid context (record with "
					   "`lttng add-context -u -t vpid -t vtid -t procname`)",
					   name);
		payload = bt_event_class_borrow_payload_field_class_const(ec);
		for (s = 0; s < SLOT_COUNT; s++) {
			const char *field = slot_specs[kind].field[s];
			bt_field_class_type want = s >= SLOT_FIRST_STR ? BT_FIELD_CLASS_TYPE_STRING
								      : BT_FIELD_CLASS_TYPE_INTEGER;
			int optional = field && field[0] == '?';

			ei->slot[s].idx = -1;
			if (!field)
				continue;
			ei->slot[s] = member_find(payload, field + optional, want);
			if (ei->slot[s].idx < 0 && !optional)
				return decode_fail(d, -EPROTO,
						   "event %s has no %s field '%s' (not the weft "
						   "schema this decoder knows)",
						   name, s >= SLOT_FIRST_STR ? "string" : "integer",
						   field);
		}
		ei->role = ROLE_WEFT;
		ei->kind = (enum weft_event)kind;
	} else if (name && strcmp(name, DECODE_PROCESS_EVENT) == 0 && si->vpid.idx >= 0 &&
		   si->has_clock) {
		ei->role = ROLE_PROCESS;
	}
	return 0;
}

static size_t ptr_hash(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (size_t)x;
}

static int ecs_grow(struct decoder *d)
{
	size_t cap = d->ecs_cap ? d->ecs_cap * 2 : 64, i;
	struct ec_info *n = calloc(cap, sizeof(*n));

	if (!n)
		return decode_fail(d, -ENOMEM, "out of memory");
	for (i = 0; i < d->ecs_cap; i++) {
		size_t h;

		if (!d->ecs[i].ec)
			continue;
		for (h = ptr_hash(d->ecs[i].ec) & (cap - 1); n[h].ec; h = (h + 1) & (cap - 1))
			;
		n[h] = d->ecs[i];
	}
	free(d->ecs);
	d->ecs = n;
	d->ecs_cap = cap;
	d->last = NULL;
	return 0;
}

/* The event class's cached description; NULL with d->rc set on failure. */
static struct ec_info *ec_get(struct decoder *d, const bt_event_class *ec)
{
	size_t h;

	if (d->ecs_cap) {
		for (h = ptr_hash(ec) & (d->ecs_cap - 1); d->ecs[h].ec; h = (h + 1) & (d->ecs_cap - 1))
			if (d->ecs[h].ec == ec)
				return d->last = &d->ecs[h];
	}
	/* New class: keep the table at most half full. */
	if ((d->ecs_n + 1) * 2 > d->ecs_cap && ecs_grow(d) < 0)
		return NULL;
	for (h = ptr_hash(ec) & (d->ecs_cap - 1); d->ecs[h].ec; h = (h + 1) & (d->ecs_cap - 1))
		;
	if (ec_describe(d, &d->ecs[h], ec) < 0) {
		memset(&d->ecs[h], 0, sizeof(d->ecs[h]));
		return NULL;
	}
	d->ecs_n++;
	return d->last = &d->ecs[h];
}

/* ---- messages --------------------------------------------------------- */

static inline int64_t field_int(const bt_field *f, int is_signed)
{
	return is_signed ? bt_field_integer_signed_get_value(f)
			 : (int64_t)bt_field_integer_unsigned_get_value(f);
}

static inline const bt_field *member_field(const bt_field *st, int32_t idx)
{
	return bt_field_structure_borrow_member_field_by_index_const(st, (uint64_t)idx);
}

/* An integer slot's value, 0 when the event kind has no field there. */
static inline int64_t slot_int(const bt_field *st, struct member m)
{
	return m.idx < 0 ? 0 : field_int(member_field(st, m.idx), m.is_signed);
}

/*
 * A string field of the trace as bytes and length, cut at DECODE_STR_MAX: the
 * traced program (or a host streaming to weftd) controls its length, and
 * nothing downstream keeps more (the tracer and the store bound strings at
 * the same WEFT_STR_MAX).  A cut string is copied into d->cut[buf] so that it
 * is NUL-terminated where its length says; returns 1 if it was cut, else 0.
 */
static inline int field_str(struct decoder *d, const bt_field *st, struct member m, int buf,
			    const char **s, uint32_t *len)
{
	const bt_field *f;
	uint64_t n;

	if (m.idx < 0 || !st) {
		*s = "";
		*len = 0;
		return 0;
	}
	f = member_field(st, m.idx);
	n = bt_field_string_get_length(f);
	/* babeltrace2 2.0 leaves an empty string field's buffer as the
	 * previous event left it (length 0, stale bytes): trust the length. */
	*s = n ? bt_field_string_get_value(f) : "";
	if (n <= DECODE_STR_MAX) {
		*len = (uint32_t)n;
		return 0;
	}
	memcpy(d->cut[buf], *s, DECODE_STR_MAX);
	d->cut[buf][DECODE_STR_MAX] = '\0';
	*s = d->cut[buf];
	*len = DECODE_STR_MAX;
	return 1;
}

static int cb_failed(struct decoder *d, int rc, const char *which)
{
	if (rc >= 0)
		rc = -ECANCELED;
	return decode_fail(d, rc, "stopped by the %s callback: %s", which, strerror(-rc));
}

static int on_process(struct decoder *d, const struct ec_info *ei, const bt_event *ev,
		      int64_t ts)
{
	const bt_field *ctx = bt_event_borrow_common_context_field_const(ev);
	char name[64];
	const char *s;
	uint32_t len;
	int32_t vpid;
	size_t sl = sizeof(DECODE_UST_THREAD_SUFFIX) - 1;
	int rc;

	d->st->processes++;
	if (!d->cb->process)
		return 0;
	vpid = (int32_t)field_int(member_field(ctx, ei->vpid.idx), ei->vpid.is_signed);
	d->st->truncated_strings += (uint64_t)field_str(d, ctx, ei->procname, 0, &s, &len);
	/* The statedump runs on lttng-ust's listener thread, named after the
	 * process: "<comm cut to 11 bytes>-ust".  Drop the suffix; a longer
	 * name is not such a thread name and stays as it is. */
	if (len < sizeof(name) && len >= sl && memcmp(s + len - sl, DECODE_UST_THREAD_SUFFIX, sl) == 0) {
		memcpy(name, s, len - sl);
		name[len - sl] = '\0';
		s = name;
	}
	rc = d->cb->process(d->cb->arg, vpid, s, ts);
	return rc ? cb_failed(d, rc, "process") : 0;
}

/* Hands one decoded event to the callback: a v2 event that stands for two
 * v1 events (see slot_specs) as those two, in order, at their own times. */
static int decode_expand(struct decoder *d, struct store_event *se)
{
	struct store_event second;
	int rc;

	switch (se->kind) {
	case WEFT_EV_task_submit:
		/* task_new(task, parent, token, kind, name, site), then
		 * task_schedule(task, ctx), both at the event's time. */
		second = (struct store_event){ .kind = WEFT_EV_task_schedule, .ts_ns = se->ts_ns,
					       .vpid = se->vpid, .vtid = se->vtid,
					       .procname = se->procname, .id0 = se->id0,
					       .id1 = (uint64_t)se->n1, .s0 = "", .s1 = "",
					       .folded = 1 };
		se->kind = WEFT_EV_task_new;
		se->n1 = 0;
		rc = d->cb->event(d->cb->arg, se);
		return rc ? rc : d->cb->event(d->cb->arg, &second);
	case WEFT_EV_task_next:
		/* task_end(ended, ok, 0, "") end_delta ns earlier, then (unless
		 * task is 0) task_start(task, ctx) now. */
		second = (struct store_event){ .kind = WEFT_EV_task_start, .ts_ns = se->ts_ns,
					       .vpid = se->vpid, .vtid = se->vtid,
					       .procname = se->procname, .id0 = se->id1,
					       .id1 = se->id2, .s0 = "", .s1 = "",
					       .folded = 1 };
		se->kind = WEFT_EV_task_end;
		se->ts_ns -= se->n0;
		se->id1 = se->id2 = 0;
		se->n0 = WEFT_STATUS_OK;
		rc = d->cb->event(d->cb->arg, se);
		if (rc || !second.id0)
			return rc;
		return d->cb->event(d->cb->arg, &second);
	default:
		return d->cb->event(d->cb->arg, se);
	}
}

static int on_event(struct decoder *d, const bt_message *msg)
{
	const bt_event *ev = bt_message_event_borrow_event_const(msg);
	const bt_event_class *ec = bt_event_borrow_class_const(ev);
	const struct ec_info *ei = d->last && d->last->ec == ec ? d->last : ec_get(d, ec);
	const bt_field *ctx, *pl;
	struct store_event se;
	uint32_t plen;
	int64_t ts;
	int rc;

	if (!ei)
		return d->rc;
	d->st->events++;
	if (ei->role == ROLE_OTHER || !ei->weft) {
		d->st->other_events++;
		return 0;
	}
	if (bt_clock_snapshot_get_ns_from_origin(
		    bt_message_event_borrow_default_clock_snapshot_const(msg), &ts) !=
	    BT_CLOCK_SNAPSHOT_GET_NS_FROM_ORIGIN_STATUS_OK)
		return decode_fail(d, -EBADMSG, "event timestamp out of range: event=%s",
				   bt_event_class_get_name(ec));
	if (ei->role == ROLE_PROCESS) {
		d->st->other_events++;
		return on_process(d, ei, ev, ts);
	}

	d->st->weft_events++;
	if (!d->cb->event)
		return 0;
	ctx = bt_event_borrow_common_context_field_const(ev);
	pl = bt_event_borrow_payload_field_const(ev);
	se.kind = ei->kind;
	se.folded = 0;
	se.ts_ns = ts;
	se.vpid = (int32_t)field_int(member_field(ctx, ei->vpid.idx), ei->vpid.is_signed);
	se.vtid = (int32_t)field_int(member_field(ctx, ei->vtid.idx), ei->vtid.is_signed);
	se.truncated = (uint32_t)field_str(d, ctx, ei->procname, 0, &se.procname, &plen);
	se.id0 = (uint64_t)slot_int(pl, ei->slot[SLOT_ID0]);
	se.id1 = (uint64_t)slot_int(pl, ei->slot[SLOT_ID1]);
	se.id2 = (uint64_t)slot_int(pl, ei->slot[SLOT_ID2]);
	se.n0 = slot_int(pl, ei->slot[SLOT_N0]);
	se.n1 = slot_int(pl, ei->slot[SLOT_N1]);
	se.n2 = slot_int(pl, ei->slot[SLOT_N2]);
	se.truncated += (uint32_t)field_str(d, pl, ei->slot[SLOT_S0], 1, &se.s0, &se.s0_len);
	se.truncated += (uint32_t)field_str(d, pl, ei->slot[SLOT_S1], 2, &se.s1, &se.s1_len);
	d->st->truncated_strings += se.truncated;
	rc = decode_expand(d, &se);
	return rc ? cb_failed(d, rc, "event") : 0;
}

static int on_stream_beginning(struct decoder *d, const bt_message *msg)
{
	const bt_stream *stream = bt_message_stream_beginning_borrow_stream_const(msg);
	const bt_trace *trace = bt_stream_borrow_trace_const(stream);
	const bt_value *v = bt_trace_borrow_environment_entry_value_by_name_const(trace, "hostname");
	const char *host = v && bt_value_is_string(v) ? bt_value_string_get(v) : "";
	struct sc_info *si = sc_get(d, bt_stream_borrow_class_const(stream));
	struct decode_stats *st = d->st;

	if (!si)
		return d->rc;
	if (si->weft)
		d->weft_seen = 1;
	if (!d->host_set) {
		snprintf(st->hostname, sizeof(st->hostname), "%s", host);
		d->host_set = 1;
	} else if (strncmp(st->hostname, host, DECODE_HOSTNAME_MAX) != 0) {
		return decode_fail(d, -EXDEV, "traces of several hosts in one directory "
				   "(decode each host's directory on its own)");
	}
	return 0;
}

static int snapshot_ns(const bt_clock_snapshot *cs, int64_t *ns)
{
	return cs && bt_clock_snapshot_get_ns_from_origin(cs, ns) ==
			     BT_CLOCK_SNAPSHOT_GET_NS_FROM_ORIGIN_STATUS_OK;
}

static int on_loss(struct decoder *d, const bt_message *msg, enum decode_loss_kind kind)
{
	const bt_stream *stream;
	const bt_stream_class *sc;
	const bt_clock_snapshot *b = NULL, *e = NULL;
	struct decode_loss l = { .kind = kind };
	struct sc_info *si;
	bt_property_availability avail;
	const char *name;
	int rc;

	if (kind == DECODE_LOSS_EVENTS) {
		stream = bt_message_discarded_events_borrow_stream_const(msg);
		sc = bt_stream_borrow_class_const(stream);
		avail = bt_message_discarded_events_get_count(msg, &l.count);
		if (bt_stream_class_discarded_events_have_default_clock_snapshots(sc)) {
			b = bt_message_discarded_events_borrow_beginning_default_clock_snapshot_const(msg);
			e = bt_message_discarded_events_borrow_end_default_clock_snapshot_const(msg);
		}
	} else {
		stream = bt_message_discarded_packets_borrow_stream_const(msg);
		sc = bt_stream_borrow_class_const(stream);
		avail = bt_message_discarded_packets_get_count(msg, &l.count);
		if (bt_stream_class_discarded_packets_have_default_clock_snapshots(sc)) {
			b = bt_message_discarded_packets_borrow_beginning_default_clock_snapshot_const(msg);
			e = bt_message_discarded_packets_borrow_end_default_clock_snapshot_const(msg);
		}
	}
	si = sc_get(d, sc);
	if (!si)
		return d->rc;
	l.has_count = avail == BT_PROPERTY_AVAILABILITY_AVAILABLE;
	if (!l.has_count)
		l.count = 0;
	l.has_range = snapshot_ns(b, &l.begin_ns) && snapshot_ns(e, &l.end_ns);
	if (!l.has_range)
		l.begin_ns = l.end_ns = 0;
	name = bt_stream_get_name(stream);
	l.stream = name ? name : "";
	l.stream_id = bt_stream_get_id(stream);

	d->st->loss_msgs++;
	if (!l.has_count)
		d->st->unknown_loss_msgs++;
	else if (kind == DECODE_LOSS_EVENTS)
		d->st->discarded_events += l.count;
	else
		d->st->discarded_packets += l.count;
	if (!si->weft || !d->cb->loss)
		return 0;
	rc = d->cb->loss(d->cb->arg, &l);
	return rc ? cb_failed(d, rc, "loss") : 0;
}

static int on_message(struct decoder *d, const bt_message *msg)
{
	switch (bt_message_get_type(msg)) {
	case BT_MESSAGE_TYPE_EVENT:
		return on_event(d, msg);
	case BT_MESSAGE_TYPE_STREAM_BEGINNING:
		return on_stream_beginning(d, msg);
	case BT_MESSAGE_TYPE_DISCARDED_EVENTS:
		return on_loss(d, msg, DECODE_LOSS_EVENTS);
	case BT_MESSAGE_TYPE_DISCARDED_PACKETS:
		return on_loss(d, msg, DECODE_LOSS_PACKETS);
	default:
		return 0;
	}
}

/* ---- the sink component class ----------------------------------------- */

static bt_component_class_initialize_method_status
sink_init(bt_self_component_sink *self, bt_self_component_sink_configuration *config,
	  const bt_value *params, void *data)
{
	(void)config;
	(void)params;
	bt_self_component_set_data(bt_self_component_sink_as_self_component(self), data);
	if (bt_self_component_sink_add_input_port(self, "in", NULL, NULL) !=
	    BT_SELF_COMPONENT_ADD_PORT_STATUS_OK)
		return BT_COMPONENT_CLASS_INITIALIZE_METHOD_STATUS_MEMORY_ERROR;
	return BT_COMPONENT_CLASS_INITIALIZE_METHOD_STATUS_OK;
}

static bt_component_class_sink_graph_is_configured_method_status
sink_configured(bt_self_component_sink *self)
{
	struct decoder *d = bt_self_component_get_data(bt_self_component_sink_as_self_component(self));

	if (bt_message_iterator_create_from_sink_component(
		    self, bt_self_component_sink_borrow_input_port_by_name(self, "in"), &d->iter) !=
	    BT_MESSAGE_ITERATOR_CREATE_FROM_SINK_COMPONENT_STATUS_OK)
		return BT_COMPONENT_CLASS_SINK_GRAPH_IS_CONFIGURED_METHOD_STATUS_ERROR;
	return BT_COMPONENT_CLASS_SINK_GRAPH_IS_CONFIGURED_METHOD_STATUS_OK;
}

static void sink_finalize(bt_self_component_sink *self)
{
	struct decoder *d = bt_self_component_get_data(bt_self_component_sink_as_self_component(self));

	bt_message_iterator_put_ref(d->iter);
	d->iter = NULL;
}

static bt_component_class_sink_consume_method_status sink_consume(bt_self_component_sink *self)
{
	struct decoder *d = bt_self_component_get_data(bt_self_component_sink_as_self_component(self));
	bt_message_array_const msgs;
	uint64_t count, i;

	switch (bt_message_iterator_next(d->iter, &msgs, &count)) {
	case BT_MESSAGE_ITERATOR_NEXT_STATUS_OK:
		break;
	case BT_MESSAGE_ITERATOR_NEXT_STATUS_END:
		return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_END;
	case BT_MESSAGE_ITERATOR_NEXT_STATUS_AGAIN:
		return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_AGAIN;
	case BT_MESSAGE_ITERATOR_NEXT_STATUS_MEMORY_ERROR:
		return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_MEMORY_ERROR;
	default:
		return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_ERROR;
	}
	/* Every message of the batch is put, also after a failure. */
	for (i = 0; i < count; i++) {
		if (!d->rc)
			on_message(d, msgs[i]);
		bt_message_put_ref(msgs[i]);
	}
	if (d->rc) {
		/* The graph wants a cause with an error status; decode_trace()
		 * reports d->err instead and drops it. */
		BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(
			bt_self_component_sink_as_self_component(self), "weft decoder stopped: %d",
			d->rc);
		return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_ERROR;
	}
	return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_OK;
}

/* ---- finding the traces ------------------------------------------------ */

/*
 * Appends every directory under `path` holding a "metadata" file (one CTF
 * trace each) to `inputs`; does not look inside a trace (its index/ holds no
 * trace) nor follow symbolic links.  0 or -errno (with d->err set).
 */
static int find_traces(struct decoder *d, const char *path, int depth, bt_value *inputs)
{
	struct stat sb;
	struct dirent *de;
	DIR *dir = NULL;
	int rc = 0;

	dir = opendir(path);
	if (!dir) {
		/* A directory that vanished meanwhile holds nothing; one we
		 * cannot read may hold a trace: that is an error, not a skip. */
		if (depth == 0)
			rc = decode_fail(d, -errno, "%s", strerror(errno));
		else if (errno != ENOENT)
			rc = decode_fail(d, -errno, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstatat(dirfd(dir), "metadata", &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode)) {
		if (bt_value_array_append_string_element(inputs, path) !=
		    BT_VALUE_ARRAY_APPEND_ELEMENT_STATUS_OK)
			rc = decode_fail(d, -ENOMEM, "out of memory");
		else
			d->st->traces++;
		goto out;
	}
	if (depth >= DECODE_MAX_DEPTH)
		goto out;
	while ((de = readdir(dir)) != NULL) {
		char sub[PATH_MAX];

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type != DT_DIR) {
			if (de->d_type != DT_UNKNOWN ||
			    fstatat(dirfd(dir), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
			    !S_ISDIR(sb.st_mode))
				continue;
		}
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= sizeof(sub)) {
			rc = decode_fail(d, -ENAMETOOLONG, "path too long under the directory");
			goto out;
		}
		rc = find_traces(d, sub, depth + 1, inputs);
		if (rc < 0)
			goto out;
	}
out:
	if (dir)
		closedir(dir);
	return rc;
}

/* ---- the graph --------------------------------------------------------- */

/* One line from babeltrace2's error: its first cause, the deepest one, says
 * what is wrong (the later ones say what failed because of it).  Clears the
 * thread's error. */
static void take_bt_error(char *buf, size_t len)
{
	const bt_error *e = bt_current_thread_take_error();
	const char *msg = NULL;
	size_t i;

	if (e && bt_error_get_cause_count(e) > 0)
		msg = bt_error_cause_get_message(bt_error_borrow_cause_by_index(e, 0));
	snprintf(buf, len, "%s", msg ? msg : "babeltrace2 gave no reason");
	for (i = 0; buf[i]; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = ' ';
	while (i > 0 && (buf[i - 1] == '.' || buf[i - 1] == ' '))
		buf[--i] = '\0';
	bt_error_release(e);
}

static int find_plugin(struct decoder *d, const char *name, const bt_plugin **plugin)
{
	bt_plugin_find_status s;
	char why[512];

	/* Environment (BABELTRACE_PLUGIN_PATH), system dir, static; not the
	 * user's home: the daemon runs as root. */
	s = bt_plugin_find(name, BT_TRUE, BT_FALSE, BT_TRUE, BT_TRUE, BT_FALSE, plugin);
	if (s == BT_PLUGIN_FIND_STATUS_OK)
		return 0;
	if (s == BT_PLUGIN_FIND_STATUS_NOT_FOUND)
		return decode_fail(d, -ELIBACC, "babeltrace2 plugin '%s' not found", name);
	take_bt_error(why, sizeof(why));
	return decode_fail(d, s == BT_PLUGIN_FIND_STATUS_MEMORY_ERROR ? -ENOMEM : -ELIBACC,
			   "cannot load babeltrace2 plugin '%s': %s", name, why);
}

/* The graph's failure as rc and a message in d->err, unless the failure is
 * ours (a callback or a check of ours stopped the graph): then that one. */
static int graph_fail(struct decoder *d, int rc, const char *what)
{
	char why[512];

	take_bt_error(why, sizeof(why));
	if (d->rc)
		return d->rc;
	return decode_fail(d, rc, "%s: %s", what, why);
}

static int decode_run(struct decoder *d, bt_value *inputs)
{
	const bt_plugin *ctf = NULL, *utils = NULL;
	const bt_component_source *src = NULL;
	const bt_component_filter *mux = NULL;
	uint64_t t, ntraces = bt_value_array_get_length(inputs), muxed = 0;
	const bt_component_sink *sink = NULL;
	bt_component_class_sink *sink_cls = NULL;
	bt_value *params = NULL;
	bt_graph *graph = NULL;
	bt_logging_level level = bt_logging_get_global_level();
	uint64_t i, nports;
	int rc;

	rc = find_plugin(d, "ctf", &ctf);
	if (rc < 0)
		goto out;
	rc = find_plugin(d, "utils", &utils);
	if (rc < 0)
		goto out;
	rc = -ENOMEM;
	graph = bt_graph_create(0);
	sink_cls = bt_component_class_sink_create("weft", sink_consume);
	if (!graph || !sink_cls ||
	    bt_component_class_sink_set_initialize_method(sink_cls, sink_init) ||
	    bt_component_class_sink_set_graph_is_configured_method(sink_cls, sink_configured) ||
	    bt_component_class_sink_set_finalize_method(sink_cls, sink_finalize)) {
		rc = decode_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	if (bt_graph_add_filter_component(graph,
		    bt_plugin_borrow_filter_component_class_by_name_const(utils, "muxer"), "mux",
		    NULL, level, &mux) != BT_GRAPH_ADD_COMPONENT_STATUS_OK ||
	    bt_graph_add_sink_component_with_initialize_method_data(graph, sink_cls, "weft", NULL,
		    d, level, &sink) != BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
		rc = graph_fail(d, -EIO, "cannot build the babeltrace2 graph");
		goto out;
	}
	/* One src.ctf.fs per trace: src.ctf.fs (2.0) merges the inputs it is
	 * given into one trace and refuses traces whose UUIDs differ, which is
	 * what the traces of two uids (or bitnesses) in one chunk are. */
	for (t = 0; t < ntraces; t++) {
		const char *path = bt_value_string_get(
			bt_value_array_borrow_element_by_index_const(inputs, t));
		bt_value *one = bt_value_array_create();
		char name[32];

		bt_value_put_ref(params);
		params = bt_value_map_create();
		snprintf(name, sizeof(name), "src-%llu", (unsigned long long)t);
		if (!one || !params ||
		    bt_value_array_append_string_element(one, path) !=
			    BT_VALUE_ARRAY_APPEND_ELEMENT_STATUS_OK ||
		    bt_value_map_insert_entry(params, "inputs", one) !=
			    BT_VALUE_MAP_INSERT_ENTRY_STATUS_OK) {
			bt_value_put_ref(one);
			rc = decode_fail(d, -ENOMEM, "out of memory");
			goto out;
		}
		bt_value_put_ref(one); /* params holds it */
		/* A trace src.ctf.fs cannot even open (bad metadata, a stream
		 * file shorter than its index says) fails here. */
		if (bt_graph_add_source_component(graph,
			    bt_plugin_borrow_source_component_class_by_name_const(ctf, "fs"),
			    name, params, level, &src) != BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
			rc = graph_fail(d, -EBADMSG, "corrupt or unreadable CTF trace");
			goto out;
		}
		/* One output port per stream; the muxer adds an input port
		 * each time one is connected, so the next free one is muxed. */
		nports = bt_component_source_get_output_port_count(src);
		for (i = 0; i < nports; i++, muxed++) {
			if (bt_graph_connect_ports(graph,
				    bt_component_source_borrow_output_port_by_index_const(src, i),
				    bt_component_filter_borrow_input_port_by_index_const(mux, muxed),
				    NULL) != BT_GRAPH_CONNECT_PORTS_STATUS_OK) {
				rc = graph_fail(d, -EIO, "cannot build the babeltrace2 graph");
				goto out;
			}
		}
	}
	if (bt_graph_connect_ports(graph, bt_component_filter_borrow_output_port_by_index_const(mux, 0),
		    bt_component_sink_borrow_input_port_by_index_const(sink, 0), NULL) !=
	    BT_GRAPH_CONNECT_PORTS_STATUS_OK) {
		rc = graph_fail(d, -EIO, "cannot build the babeltrace2 graph");
		goto out;
	}

	for (;;) {
		bt_graph_run_status s = bt_graph_run(graph);

		if (s == BT_GRAPH_RUN_STATUS_OK)
			break;
		if (s == BT_GRAPH_RUN_STATUS_AGAIN) {
			usleep(1000);
			continue;
		}
		rc = s == BT_GRAPH_RUN_STATUS_MEMORY_ERROR ? graph_fail(d, -ENOMEM, "out of memory")
							   : graph_fail(d, -EBADMSG, "corrupt CTF trace");
		goto out;
	}
	rc = 0;
out:
	/* The graph owns the components; putting it finalizes the sink. */
	bt_graph_put_ref(graph);
	bt_component_class_sink_put_ref(sink_cls);
	bt_value_put_ref(params);
	bt_plugin_put_ref(ctf);
	bt_plugin_put_ref(utils);
	return rc;
}

int decode_trace(const char *dir, const struct decode_cb *cb, struct decode_stats *st,
		 char *err, size_t errlen)
{
	static const struct decode_cb no_cb;
	struct decode_stats local;
	struct decoder d = { .path = dir ? dir : "(null)", .err = err, .errlen = errlen };
	bt_value *inputs = NULL;
	struct stat sb;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	d.cb = cb ? cb : &no_cb;
	d.st = st ? st : &local;
	memset(d.st, 0, sizeof(*d.st));
	if (!dir) {
		rc = decode_fail(&d, -EINVAL, "no directory given");
		goto out;
	}
	if (stat(dir, &sb) != 0) {
		rc = decode_fail(&d, -errno, "%s", strerror(errno));
		goto out;
	}
	if (!S_ISDIR(sb.st_mode)) {
		rc = decode_fail(&d, -ENOTDIR, "not a directory (give a trace directory)");
		goto out;
	}
	inputs = bt_value_array_create();
	if (!inputs) {
		rc = decode_fail(&d, -ENOMEM, "out of memory");
		goto out;
	}
	rc = find_traces(&d, dir, 0, inputs);
	if (rc < 0)
		goto out;
	if (d.st->traces == 0) {
		rc = decode_fail(&d, -ENODATA, "no CTF trace in the directory (no metadata file)");
		goto out;
	}
	rc = decode_run(&d, inputs);
	if (rc < 0)
		goto out;
	if (!d.weft_seen) {
		rc = decode_fail(&d, -ENOMSG,
				 "not a weft trace: no weft:* events in its %u trace(s) (record "
				 "with `lttng enable-event -u 'weft:*'`)",
				 d.st->traces);
		goto out;
	}
out:
	bt_value_put_ref(inputs);
	free(d.ecs);
	free(d.scs);
	/* Paths and babeltrace2 reasons are shown on one line. */
	if (rc < 0 && err) {
		size_t i;

		for (i = 0; err[i]; i++)
			if ((unsigned char)err[i] < 0x20 || err[i] == 0x7f)
				err[i] = '?';
	}
	return rc;
}

/* Widens [*begin, *end] by the "range-ns" maps of one trace-infos result. */
static void widen_range(const bt_value *infos, int64_t *begin, int64_t *end)
{
	uint64_t ntr = bt_value_is_array(infos) ? bt_value_array_get_length(infos) : 0;

	for (uint64_t t = 0; t < ntr; t++) {
		const bt_value *ti = bt_value_array_borrow_element_by_index_const(infos, t);
		const bt_value *sis = bt_value_is_map(ti)
			? bt_value_map_borrow_entry_value_const(ti, "stream-infos") : NULL;
		uint64_t ns = sis && bt_value_is_array(sis) ? bt_value_array_get_length(sis) : 0;

		for (uint64_t s = 0; s < ns; s++) {
			const bt_value *si = bt_value_array_borrow_element_by_index_const(sis, s);
			const bt_value *r = bt_value_is_map(si)
				? bt_value_map_borrow_entry_value_const(si, "range-ns") : NULL;
			const bt_value *b = r && bt_value_is_map(r)
				? bt_value_map_borrow_entry_value_const(r, "begin") : NULL;
			const bt_value *e = r && bt_value_is_map(r)
				? bt_value_map_borrow_entry_value_const(r, "end") : NULL;

			if (b && bt_value_is_signed_integer(b) &&
			    (*begin == 0 || bt_value_integer_signed_get(b) < *begin))
				*begin = bt_value_integer_signed_get(b);
			if (e && bt_value_is_signed_integer(e) && bt_value_integer_signed_get(e) > *end)
				*end = bt_value_integer_signed_get(e);
		}
	}
}

int decode_time_range(const char *dir, int64_t *begin, int64_t *end)
{
	struct decode_stats st = { 0 };
	struct decoder d = { .path = dir, .st = &st };
	const bt_plugin *ctf = NULL;
	const bt_component_class_source *fs;
	bt_value *inputs = bt_value_array_create();
	int rc;

	*begin = *end = 0;
	rc = inputs ? find_traces(&d, dir, 0, inputs) : -ENOMEM;
	if (rc < 0 || st.traces == 0 || (rc = find_plugin(&d, "ctf", &ctf)) < 0)
		goto out;
	fs = bt_plugin_borrow_source_component_class_by_name_const(ctf, "fs");
	rc = fs ? 0 : -ELIBACC;
	/* One query per trace: the ctf source refuses different trace UUIDs in
	 * one input list. */
	for (uint64_t i = 0; fs && i < bt_value_array_get_length(inputs); i++) {
		const bt_value *path = bt_value_array_borrow_element_by_index_const(inputs, i);
		bt_value *params = bt_value_map_create(), *one = bt_value_array_create();
		bt_query_executor *q = NULL;
		const bt_value *res = NULL;

		if (params && one &&
		    bt_value_array_append_string_element(one, bt_value_string_get(path)) ==
			    BT_VALUE_ARRAY_APPEND_ELEMENT_STATUS_OK &&
		    bt_value_map_insert_entry(params, "inputs", one) ==
			    BT_VALUE_MAP_INSERT_ENTRY_STATUS_OK)
			q = bt_query_executor_create(
				bt_component_class_source_as_component_class_const(fs),
				"babeltrace.trace-infos", params);
		if (q && bt_query_executor_query(q, &res) == BT_QUERY_EXECUTOR_QUERY_STATUS_OK)
			widen_range(res, begin, end);
		else
			bt_current_thread_clear_error();
		bt_value_put_ref(res);
		bt_query_executor_put_ref(q);
		bt_value_put_ref(params);
		bt_value_put_ref(one);
	}
	rc = *end > *begin ? 0 : -ENODATA;
out:
	bt_plugin_put_ref(ctf);
	bt_value_put_ref(inputs);
	free(d.ecs);
	free(d.scs);
	return rc;
}
