/*
 * chain.h — a task's logical async chain (its "async stack" across threads),
 * what it caused, and where its time went (blame, a critical path).
 *
 * Everything here reads the store (docs/schema.md) and follows only recorded
 * edges, never timestamps that happen to line up:
 *
 *   - chain_get(): from the task up to its root.  A task's upward link is, in
 *     this order, its parent (the task running when it was created), else its
 *     releasing antecedent (continuation_add; for when_all the input that
 *     ended last, for when_any the first), else the task that awaits it
 *     (wait_begin, blocking waits first), else it is a root.  This is the
 *     rule of the SQL view `task_causes`, which the code reads, so SQL and C
 *     agree by construction.  Cycles stop the walk; so does CHAIN_MAX_DEPTH.
 *   - chain_caused(): the reverse tree: children (parent = it), its
 *     continuations, the tasks it awaited; bounded in nodes and depth.
 *   - blame_get(): the task's wall time (created -> ended, or -> the store's
 *     horizon while it runs) cut into parts, walking back along the edges
 *     that decided its completion: its run (minus synchronous blocks, minus
 *     blocking waits, which descend into the awaited task's own critical
 *     path), its queue wait, the marshal hop, and before it was queued the
 *     critical path of its releasing antecedent.  The parts partition the
 *     wall time: they sum to it exactly (a stretch no edge explains is an
 *     explicit "untraced" part).
 *
 * Strings in the results are the raw bytes the traced program gave (NUL
 * terminated, NULL if absent): sanitise them (sanitize.h) before display.
 * Results are owned by the caller and freed with the matching *_free().
 * Every function returns 0, -ENOENT if the task row does not exist, -ENOMEM,
 * or -EIO on an SQLite error (message in store_errmsg()).
 */
#ifndef WEFT_STORE_CHAIN_H
#define WEFT_STORE_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* "Not in the trace" for the *_ns fields below. */
#define CHAIN_NONE INT64_MIN

#define CHAIN_MAX_DEPTH 256      /* hops of a chain */
#define CHAIN_CAUSED_MAX 512     /* nodes of a caused tree */
#define CHAIN_CAUSED_DEPTH 32    /* levels of a caused tree */
#define CHAIN_MAX_REASONS 4      /* block reasons listed per hop (longest first) */
#define CHAIN_MAX_WAITS 8        /* waits listed per hop (first ones) */
#define BLAME_MAX_DEPTH 64       /* nested critical paths (antecedents, awaited) */
#define BLAME_MAX_SEGS 4096      /* time-ordered segments kept (parts are exact) */

/* How a hop hangs from the hop above it (the relation of the view
 * task_causes), as "<hop> <relation> <hop above>". */
#define CHAIN_RELATION_MAP(X) \
	X(ROOT, "root", "the top of the chain: no parent, antecedent or awaiter") \
	X(CREATED_BY, "created by", "the task above was running when it was created") \
	X(CONTINUATION_OF, "continuation of", "it ran after the task above completed") \
	X(AWAITED_BY, "awaited by", "the task above waited for it") \
	X(CUT, "cut", "the walk stopped here: depth bound or a cycle")
#define CHAIN__X_REL(up, name, doc) CHAIN_REL_##up,
enum chain_relation { CHAIN_RELATION_MAP(CHAIN__X_REL) CHAIN_REL_COUNT };
const char *chain_relation_name(enum chain_relation r);

/* The edges by which a caused-tree node hangs from its node above (bits). */
enum chain_via {
	CHAIN_VIA_CREATED = 1u << 0,      /* it is a child of the node above */
	CHAIN_VIA_CONTINUATION = 1u << 1, /* a continuation of the node above */
	CHAIN_VIA_AWAITED = 1u << 2,      /* the node above waited for it */
};
/* "created", "continuation", "awaited", or "created, awaited", ... (static). */
const char *chain_via_name(unsigned via);

struct chain_wait {
	int64_t awaited;          /* tasks.id */
	uint64_t awaited_id;      /* weft id */
	char *awaited_name;
	int mode;                 /* enum weft_wait_mode */
	int64_t begin_ns, end_ns; /* CHAIN_NONE if not seen */
	bool timed_out;
};

struct chain_reason {
	char *reason;
	int64_t ns;
};

/* One task as a hop (or a tree node) shows it.  Times are relative to the
 * session's start (docs/schema.md); durations are -1 when unknown. */
struct chain_task {
	int64_t row;              /* tasks.id */
	uint64_t id;              /* weft task id */
	int64_t process;          /* processes.id */
	int32_t pid;
	char *name, *site;
	int kind;                 /* enum weft_task_kind, -1 unknown */
	int status;               /* enum weft_status, -1 while not ended */
	int64_t err;              /* 0 if none */
	char *msg;
	uint64_t token;           /* weft token id, 0 none */
	int64_t thread;           /* threads.id it started on, 0 if never */
	int32_t tid;
	char *thread_name;
	int64_t ctx;              /* contexts.id, 0 none */
	uint64_t ctx_id;
	char *ctx_name;
	int ctx_kind;             /* enum weft_ctx_kind, -1 unknown */
	int64_t created_ns, scheduled_ns, started_ns, ended_ns;
	int64_t queue_ns;         /* started - scheduled */
	int64_t run_ns;           /* ended (or horizon) - started */
	bool running;             /* started, not ended: run_ns is up to the horizon */
	/* Only for chain hops (chain_get), not tree nodes: */
	int64_t blocked_ns;       /* blocks on its thread during its run */
	struct chain_reason blocked[CHAIN_MAX_REASONS];
	size_t nblocked;
	int64_t wait_block_ns, wait_async_ns; /* waits it made, by mode */
	struct chain_wait waits[CHAIN_MAX_WAITS];
	size_t nwaits, nwaits_total;
	int64_t marshal_from, marshal_to; /* contexts.id of a marshal into it, 0 none */
	char *marshal_from_name, *marshal_to_name;
	int64_t marshal_ns;       /* when it was posted */
};

struct chain_hop {
	struct chain_task t;
	enum chain_relation relation; /* to the hop above; hops[0]: ROOT or CUT */
};

struct chain {
	struct chain_hop *hops;   /* hops[0] the root ... hops[nhops - 1] the task */
	size_t nhops;
	bool truncated;           /* CHAIN_MAX_DEPTH reached */
	bool cycle;               /* the walk met a task twice */
	int64_t horizon_ns;       /* the store's horizon for this session */
};

/* The chain from the root to `task` (a tasks.id). */
int chain_get(struct store *st, int64_t task, struct chain *out);
void chain_free(struct chain *c);

struct chain_node {
	struct chain_task t;
	int depth;                /* 0: the task itself */
	size_t up;                /* index of the node above (0 for the task) */
	unsigned via;             /* enum chain_via bits, 0 for the task */
};

struct chain_tree {
	struct chain_node *nodes; /* depth-first, pre-order */
	size_t n;
	bool truncated;           /* CHAIN_CAUSED_MAX or _DEPTH reached */
};

/* What `task` caused: nodes[0] is the task, then depth first. */
int chain_caused(struct store *st, int64_t task, struct chain_tree *out);
void chain_tree_free(struct chain_tree *t);

/* ---- blame ---------------------------------------------------------------- */

#define BLAME_CATEGORY_MAP(X) \
	X(QUEUED, queued, "queued on a context, not yet started (ctx)") \
	X(RUNNING, running, "running on a thread (ctx, thread)") \
	X(BLOCKED, blocked, "blocked in a synchronous call (reason, thread)") \
	X(WAITING, waiting, "waiting for a task no further edge explains (task)") \
	X(MARSHAL, marshal, "posted from one context to another (from_ctx -> ctx)") \
	X(UNTRACED, untraced, "no recorded edge explains this stretch")
#define BLAME__X_CAT(up, low, doc) BLAME_##up,
enum blame_category { BLAME_CATEGORY_MAP(BLAME__X_CAT) BLAME_CATEGORY_COUNT };
const char *blame_category_name(enum blame_category c);

/* One part: the time of one category and key.  Keys: queued (ctx), running
 * (ctx, thread), blocked (reason, thread), waiting (task), marshal
 * (from_ctx, ctx), untraced (none).  `task` is the awaited task for
 * waiting; otherwise the task whose state it was for the longest stretch. */
struct blame_part {
	enum blame_category cat;
	int64_t ns;
	int64_t ctx, from_ctx, thread, task, reason; /* rows, 0 none */
	char *ctx_name, *from_ctx_name, *thread_name, *task_name, *reason_text;
	int32_t tid;
	uint64_t task_id;
	int task_kind;            /* enum weft_task_kind of `task`, -1 unknown */
	int64_t longest_ns;       /* internal: the stretch that chose `task` */
};

/* One stretch of the critical path, in time order. */
struct blame_seg {
	int64_t begin_ns, end_ns;
	size_t part;              /* index into parts */
	int64_t task;             /* tasks.id whose state this is */
};

struct blame {
	int64_t task;
	int64_t begin_ns, end_ns; /* created .. ended (or the horizon) */
	int64_t wall_ns;          /* end - begin = the sum of parts[].ns */
	bool ended;
	struct blame_part *parts; /* largest first */
	size_t nparts;
	struct blame_seg *segs;
	size_t nsegs;
	bool segs_truncated;      /* more than BLAME_MAX_SEGS stretches */
	bool depth_cut;           /* BLAME_MAX_DEPTH or a cycle ended a descent */
};

/* Where `task`'s time went. */
int blame_get(struct store *st, int64_t task, struct blame *out);
void blame_free(struct blame *b);

#endif
