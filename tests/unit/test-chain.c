/*
 * test-chain: chains, caused trees and blame (store/chain.h) on real SQLite
 * stores fed with hand-written event streams through the writer, as the
 * decoder feeds it.  Every expected hop, part and nanosecond below is
 * computed by hand from the stream written next to it (times are ns after
 * the session's origin), never read back from the implementation.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <unistd.h>

#include "chain.h"
#include "runner.h"
#include "store-fixture.h"
#include "store.h"

#define BASE 1700000000000000000LL

static struct store *fresh_store(void)
{
	return fixture_store("chain");
}

static void ev(struct store *st, enum weft_event kind, int64_t rel_ts, int32_t tid, uint64_t id0,
	       uint64_t id1, uint64_t id2, int64_t n0, const char *s0, const char *s1)
{
	fixture_event(st, BASE, 100, tid, tid == 100 ? "app" : "worker", kind, rel_ts, id0, id1, id2,
		      n0, 0, 0, s0, s1);
}

#define EV(st, kind, ts, tid, a, b, c, n0, s0, s1) \
	ev(st, WEFT_EV_##kind, ts, tid, a, b, c, n0, s0, s1)

static int64_t row_of(struct store *st, uint64_t task)
{
	sqlite3_stmt *s = NULL;
	int64_t v = -1;

	ASSERT_EQ(sqlite3_prepare_v2(store_db(st), "SELECT id FROM tasks WHERE task = ?1", -1, &s,
				     NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, (int64_t)task);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	ASSERT_GT(v, 0);
	return v;
}

/* "category:ctx:reason:task=ns" per part, comma separated, largest first. */
static char *parts_str(const struct blame *b)
{
	static char buf[2048];
	size_t i, len = 0;
	int64_t sum = 0;

	buf[0] = '\0';
	for (i = 0; i < b->nparts; i++) {
		const struct blame_part *p = &b->parts[i];

		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s:%s:%s:%llu=%lld",
					i ? "," : "", blame_category_name(p->cat),
					p->ctx_name ? p->ctx_name : "",
					p->reason_text ? p->reason_text : "",
					(unsigned long long)p->task_id, (long long)p->ns);
		sum += p->ns;
	}
	ASSERT_EQ(sum, b->wall_ns);
	return buf;
}

static char *chain_str(const struct chain *c)
{
	static char buf[1024];
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < c->nhops; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s %llu",
					i ? " | " : "", chain_relation_name(c->hops[i].relation),
					(unsigned long long)c->hops[i].t.id);
	return buf;
}

/* ---- the sync-over-async deadlock, by hand --------------------------------- *
 * Thread 100 runs loop "ui" (ctx 2), thread 101 pool "io" (ctx 1).
 * on_open (1) queued 100, runs 200..10600 on ui; creates read (2, queued on
 * io at 300) and parse (3, continuation of 2 on ui, created 400); waits
 * (block) on 3 from 500 to 10500 (times out).  read runs 600..2800 on 101,
 * blocked in "read" 700..2700; marshal of 3 io -> ui at 2850, queued on ui
 * at 2900; parse runs only 10700..10750. */
static void deadlock_stream(struct store *st)
{
	int64_t sess;

	check_ok(st, store_session_begin(st, "h", "s", BASE, &sess));
	check_ok(st, store_chunk_begin(st, sess, "c1"));
	EV(st, context_new, 5, 100, 1, 0, 0, WEFT_CTX_POOL, "io", NULL);
	EV(st, context_new, 6, 100, 2, 0, 0, WEFT_CTX_LOOP, "ui", NULL);
	EV(st, worker_state, 10, 100, 2, 0, 0, WEFT_WORKER_START, NULL, NULL);
	EV(st, worker_state, 10, 101, 1, 0, 0, WEFT_WORKER_START, NULL, NULL);
	EV(st, task_new, 100, 100, 1, 0, 0, WEFT_TASK_TASK, "on_open", "ui.c:1");
	EV(st, task_schedule, 100, 100, 1, 2, 0, 0, NULL, NULL);
	EV(st, task_start, 200, 100, 1, 2, 0, 0, NULL, NULL);
	EV(st, task_new, 300, 100, 2, 1, 0, WEFT_TASK_TASK, "read", "ui.c:2");
	EV(st, task_schedule, 300, 100, 2, 1, 0, 0, NULL, NULL);
	EV(st, task_new, 400, 100, 3, 1, 0, WEFT_TASK_CONTINUATION, "parse", "ui.c:3");
	EV(st, continuation_add, 410, 100, 2, 3, 2, 0, NULL, NULL);
	EV(st, wait_begin, 500, 100, 1, 3, 0, WEFT_WAIT_BLOCK, NULL, NULL);
	EV(st, task_start, 600, 101, 2, 1, 0, 0, NULL, NULL);
	EV(st, block_begin, 700, 101, 0, 0, 0, 0, "read", NULL);
	EV(st, block_end, 2700, 101, 0, 0, 0, 0, NULL, NULL);
	EV(st, task_end, 2800, 101, 2, 0, 0, WEFT_STATUS_OK, NULL, NULL);
	EV(st, marshal, 2850, 101, 3, 1, 2, 0, NULL, NULL);
	EV(st, task_schedule, 2900, 101, 3, 2, 0, 0, NULL, NULL);
	EV(st, wait_end, 10500, 100, 1, 3, 0, 1, NULL, NULL);
	EV(st, task_end, 10600, 100, 1, 0, 0, WEFT_STATUS_OK, NULL, NULL);
	EV(st, task_start, 10700, 100, 3, 2, 0, 0, NULL, NULL);
	EV(st, task_end, 10750, 100, 3, 0, 0, WEFT_STATUS_OK, NULL, NULL);
	check_ok(st, store_chunk_commit(st));
	check_ok(st, store_session_end(st, sess, BASE + 11000, 0, 0));
}

TEST_IMPL(deadlock_chain)
{
	struct store *st = fresh_store();
	struct chain c;
	const struct chain_task *p;

	deadlock_stream(st);
	/* parse hangs from on_open, its creator (parent before antecedent). */
	check_ok(st, chain_get(st, row_of(st, 3), &c));
	ASSERT_STR_EQ(chain_str(&c), "root 1 | created by 3");
	ASSERT(!c.cycle && !c.truncated);
	p = &c.hops[1].t;
	ASSERT_STR_EQ(p->name, "parse");
	ASSERT_STR_EQ(p->ctx_name, "ui");
	ASSERT_EQ(p->queue_ns, 10700 - 2900);
	ASSERT_EQ(p->run_ns, 50);
	ASSERT_STR_EQ(p->marshal_from_name, "io");
	ASSERT_STR_EQ(p->marshal_to_name, "ui");
	ASSERT_EQ(p->marshal_ns, 2850);
	/* on_open: its blocking wait on parse, 500..10500, timed out. */
	p = &c.hops[0].t;
	ASSERT_EQ(p->nwaits, 1);
	ASSERT_EQ(p->waits[0].awaited_id, 3);
	ASSERT_EQ(p->waits[0].mode, WEFT_WAIT_BLOCK);
	ASSERT(p->waits[0].timed_out);
	ASSERT_EQ(p->wait_block_ns, 10000);
	ASSERT_EQ(p->tid, 100);
	chain_free(&c);
	/* read: blocked 2000 ns in "read" during its run 600..2800 on 101. */
	check_ok(st, chain_get(st, row_of(st, 2), &c));
	ASSERT_STR_EQ(chain_str(&c), "root 1 | created by 2");
	p = &c.hops[1].t;
	ASSERT_EQ(p->blocked_ns, 2000);
	ASSERT_EQ(p->nblocked, 1);
	ASSERT_STR_EQ(p->blocked[0].reason, "read");
	ASSERT_EQ(p->tid, 101);
	ASSERT_EQ(p->queue_ns, 300);
	chain_free(&c);
	ASSERT_EQ(chain_get(st, 999, &c), -ENOENT);
	store_close(st);
	return 0;
}

TEST_IMPL(deadlock_blame)
{
	struct store *st = fresh_store();
	struct blame b;

	deadlock_stream(st);
	/* parse, 400..10750: read's critical path until read ends at 2800
	 * (queued on io 400..600, running 100, blocked 2000, running 100),
	 * the marshal 2800..2900, queued on ui 2900..10700, running 50. */
	check_ok(st, blame_get(st, row_of(st, 3), &b));
	ASSERT_EQ(b.wall_ns, 10350);
	ASSERT(b.ended);
	ASSERT_STR_EQ(parts_str(&b), "queued:ui::3=7800,blocked::read:2=2000,queued:io::2=200,"
				     "running:io::2=200,marshal:ui::3=100,running:ui::3=50");
	ASSERT_EQ(b.nsegs, 7);
	ASSERT_EQ(b.segs[0].begin_ns, 400);
	ASSERT_EQ(b.segs[6].end_ns, 10750);
	blame_free(&b);
	/* on_open, 100..10600: queued 100, running 200..500, then its wait on
	 * parse 500..10500 descends into parse's path over that window (read
	 * queued 500..600, running 100, blocked 2000, running 100, marshal
	 * 100, parse queued on ui 2900..10500), then running 10500..10600. */
	check_ok(st, blame_get(st, row_of(st, 1), &b));
	ASSERT_EQ(b.wall_ns, 10500);
	ASSERT_STR_EQ(parts_str(&b), "queued:ui::3=7700,blocked::read:2=2000,running:ui::1=400,"
				     "running:io::2=200,queued:io::2=100,marshal:ui::3=100");
	ASSERT(!b.depth_cut);
	blame_free(&b);
	store_close(st);
	return 0;
}

TEST_IMPL(deadlock_caused)
{
	struct store *st = fresh_store();
	struct chain_tree t;

	deadlock_stream(st);
	/* on_open created read and parse, and awaited parse: parse hangs from
	 * on_open (its nearest cause), not from read as a continuation. */
	check_ok(st, chain_caused(st, row_of(st, 1), &t));
	ASSERT_EQ(t.n, 3);
	ASSERT_EQ(t.nodes[1].t.id, 2);
	ASSERT_STR_EQ(chain_via_name(t.nodes[1].via), "created");
	ASSERT_EQ(t.nodes[2].t.id, 3);
	ASSERT_STR_EQ(chain_via_name(t.nodes[2].via), "created, awaited");
	ASSERT_EQ(t.nodes[2].up, 0);
	ASSERT_EQ(t.nodes[2].depth, 1);
	chain_tree_free(&t);
	/* read's only effect is its continuation. */
	check_ok(st, chain_caused(st, row_of(st, 2), &t));
	ASSERT_EQ(t.n, 2);
	ASSERT_STR_EQ(chain_via_name(t.nodes[1].via), "continuation");
	chain_tree_free(&t);
	store_close(st);
	return 0;
}

/* ---- combinators ------------------------------------------------------------ *
 * Inputs 1, 2, 3 (no parent) queued on pool 1 at 100, run 200..1200 (tid
 * 101), 200..3200 (102), 200..2200 (103).  4 = when_all(1, 2, 3) created
 * 150, ends 3250; 5 = when_any(1, 2, 3) created 150, ends 1250; 6 is a
 * continuation of 4 created 160, queued 3300, runs 3400..3500 on 101. */
static void combinator_stream(struct store *st)
{
	int64_t sess;
	uint64_t i;

	check_ok(st, store_session_begin(st, "h", "s", BASE, &sess));
	check_ok(st, store_chunk_begin(st, sess, "c1"));
	EV(st, context_new, 5, 100, 1, 0, 0, WEFT_CTX_POOL, "pool", NULL);
	for (i = 1; i <= 3; i++) {
		EV(st, task_new, 100, 100, i, 0, 0, WEFT_TASK_TASK, "input", "c.c:1");
		EV(st, task_schedule, 100, 100, i, 1, 0, 0, NULL, NULL);
	}
	EV(st, task_new, 150, 100, 4, 0, 0, WEFT_TASK_WHEN_ALL, "all", "c.c:2");
	EV(st, task_new, 150, 100, 5, 0, 0, WEFT_TASK_WHEN_ANY, "any", "c.c:3");
	for (i = 1; i <= 3; i++) {
		EV(st, continuation_add, 150, 100, i, 4, 0, 0, NULL, NULL);
		EV(st, continuation_add, 150, 100, i, 5, 0, 0, NULL, NULL);
	}
	EV(st, task_new, 160, 100, 6, 0, 0, WEFT_TASK_CONTINUATION, "after", "c.c:4");
	EV(st, continuation_add, 160, 100, 4, 6, 1, 0, NULL, NULL);
	EV(st, task_start, 200, 101, 1, 1, 0, 0, NULL, NULL);
	EV(st, task_start, 200, 102, 2, 1, 0, 0, NULL, NULL);
	EV(st, task_start, 200, 103, 3, 1, 0, 0, NULL, NULL);
	EV(st, task_end, 1200, 101, 1, 0, 0, WEFT_STATUS_OK, NULL, NULL);
	EV(st, task_end, 1250, 101, 5, 0, 0, WEFT_STATUS_OK, NULL, NULL);
	EV(st, task_end, 2200, 103, 3, 0, 0, WEFT_STATUS_OK, NULL, NULL);
	EV(st, task_end, 3200, 102, 2, 0, 0, WEFT_STATUS_OK, NULL, NULL);
	EV(st, task_end, 3250, 102, 4, 0, 0, WEFT_STATUS_OK, NULL, NULL);
	EV(st, task_schedule, 3300, 102, 6, 1, 0, 0, NULL, NULL);
	EV(st, task_start, 3400, 101, 6, 1, 0, 0, NULL, NULL);
	EV(st, task_end, 3500, 101, 6, 0, 0, WEFT_STATUS_OK, NULL, NULL);
	check_ok(st, store_chunk_commit(st));
	check_ok(st, store_session_end(st, sess, BASE + 4000, 0, 0));
}

TEST_IMPL(combinators)
{
	struct store *st = fresh_store();
	struct chain c;
	struct blame b;

	combinator_stream(st);
	/* when_all is released by the input that ended last (2), when_any by
	 * the first (1). */
	check_ok(st, chain_get(st, row_of(st, 6), &c));
	ASSERT_STR_EQ(chain_str(&c), "root 2 | continuation of 4 | continuation of 6");
	chain_free(&c);
	check_ok(st, chain_get(st, row_of(st, 5), &c));
	ASSERT_STR_EQ(chain_str(&c), "root 1 | continuation of 5");
	chain_free(&c);
	/* after (6), 160..3500: input 2's path until it ends (queued 160..200,
	 * running 200..3200 on 102), the release of when_all on 102
	 * 3200..3250, when_all releasing 6 3250..3300 (when_all never ran:
	 * no thread, no context), 6 queued 3300..3400 and running 100. */
	check_ok(st, blame_get(st, row_of(st, 6), &b));
	ASSERT_EQ(b.wall_ns, 3340);
	ASSERT_STR_EQ(parts_str(&b), "running:pool::2=3050,queued:pool::6=140,running:pool::6=100,"
				     "running:::4=50");
	blame_free(&b);
	/* any (5), 150..1250: input 1 queued 150..200, running 200..1200 and
	 * releasing it 1200..1250 on 101. */
	check_ok(st, blame_get(st, row_of(st, 5), &b));
	ASSERT_EQ(b.wall_ns, 1100);
	ASSERT_STR_EQ(parts_str(&b), "running:pool::1=1050,queued:pool::1=50");
	blame_free(&b);
	store_close(st);
	return 0;
}

/* ---- cycles and open tasks ------------------------------------------------------ *
 * A (1) queued on ui at 100, runs from 200 and never ends; B (2) is its
 * continuation (added 300) and A blocks on B from 400: a self-deadlock.
 * C (3) and D (4), no parents, each wait (async) for the other.  The
 * session has not ended; its horizon is the last event, at 1000. */
static void cycle_stream(struct store *st)
{
	int64_t sess;

	check_ok(st, store_session_begin(st, "h", "s", BASE, &sess));
	check_ok(st, store_chunk_begin(st, sess, "c1"));
	EV(st, context_new, 5, 100, 2, 0, 0, WEFT_CTX_LOOP, "ui", NULL);
	EV(st, task_new, 100, 100, 1, 0, 0, WEFT_TASK_TASK, "A", "a.c:1");
	EV(st, task_schedule, 100, 100, 1, 2, 0, 0, NULL, NULL);
	EV(st, task_start, 200, 100, 1, 2, 0, 0, NULL, NULL);
	EV(st, task_new, 300, 100, 2, 0, 0, WEFT_TASK_CONTINUATION, "B", "a.c:2");
	EV(st, continuation_add, 300, 100, 1, 2, 2, 0, NULL, NULL);
	EV(st, wait_begin, 400, 100, 1, 2, 0, WEFT_WAIT_BLOCK, NULL, NULL);
	EV(st, task_new, 500, 100, 3, 0, 0, WEFT_TASK_IO, "C", "a.c:3");
	EV(st, task_new, 500, 100, 4, 0, 0, WEFT_TASK_IO, "D", "a.c:4");
	EV(st, wait_begin, 600, 100, 3, 4, 0, WEFT_WAIT_ASYNC, NULL, NULL);
	EV(st, wait_begin, 600, 100, 4, 3, 0, WEFT_WAIT_ASYNC, NULL, NULL);
	EV(st, pool_sample, 1000, 100, 2, 0, 0, 0, NULL, NULL);
	check_ok(st, store_chunk_commit(st));
}

TEST_IMPL(cycles_and_open_tasks)
{
	struct store *st = fresh_store();
	struct chain c;
	struct blame b;

	cycle_stream(st);
	check_ok(st, chain_get(st, row_of(st, 2), &c));
	ASSERT_STR_EQ(chain_str(&c), "root 1 | continuation of 2");
	ASSERT_EQ(c.horizon_ns, 1000);
	ASSERT(c.hops[0].t.running);
	ASSERT_EQ(c.hops[0].t.run_ns, 800);
	chain_free(&c);
	/* C is awaited by D, D by C: the walk stops where it meets C again. */
	check_ok(st, chain_get(st, row_of(st, 3), &c));
	ASSERT(c.cycle);
	ASSERT_STR_EQ(chain_str(&c), "cut 4 | awaited by 3");
	chain_free(&c);
	/* A, 100..1000 (open): queued 100, running 200..400, then waiting on
	 * B, whose release is A itself: the descent stops there (waiting on
	 * A, 400..1000). */
	check_ok(st, blame_get(st, row_of(st, 1), &b));
	ASSERT(!b.ended);
	ASSERT_EQ(b.wall_ns, 900);
	ASSERT(b.depth_cut);
	ASSERT_STR_EQ(parts_str(&b), "waiting:::1=600,running:ui::1=200,queued:ui::1=100");
	blame_free(&b);
	/* C, an I/O promise never completed: waiting on its own completion. */
	check_ok(st, blame_get(st, row_of(st, 3), &b));
	ASSERT_EQ(b.wall_ns, 500);
	ASSERT_STR_EQ(parts_str(&b), "waiting:::3=500");
	blame_free(&b);
	store_close(st);
	return 0;
}

static const struct test_entry tests[] = {
	TEST_ENTRY(deadlock_chain)
	TEST_ENTRY(deadlock_blame)
	TEST_ENTRY(deadlock_caused)
	TEST_ENTRY(combinators)
	TEST_ENTRY(cycles_and_open_tasks)
};

TEST_MAIN(tests)
