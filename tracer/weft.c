/*
 * libweft's instrumentation core: the "weft" tracepoint provider lives here
 * (this file defines and registers the probes), plus id allocation, the
 * per-thread current task and the out-of-line emitters behind weft.h.
 *
 * weft.h checks each tracepoint's enable state inline through weft__tp_state,
 * so the emitters below run only when a session listens; they bound strings
 * and then hit the tracepoint.
 */
#include <string.h>
#include <unistd.h>

#define LTTNG_UST_TRACEPOINT_DEFINE
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include "weft-tp.h"

#include "weft/weft.h"

#define X(name) &lttng_ust_tracepoint_weft___##name.state,
const int *const weft__tp_state[WEFT_EVENT_COUNT_V1] = { WEFT_EVENT_MAP_V1(X) };
const int *const weft__tp_state_v2[WEFT_EVENT_COUNT - WEFT_EVENT_COUNT_V1] = {
	WEFT_EVENT_MAP_V2(X)
};
#undef X

#define NAME_TABLE(map, fn)                                              \
	static const char *const fn##_table[] = { map(NAME_ENTRY) };      \
	const char *fn(int v)                                              \
	{                                                                  \
		if (v < 0 || (unsigned)v >= sizeof(fn##_table) / sizeof(fn##_table[0])) \
			return "?";                                        \
		return fn##_table[v];                                      \
	}
#define NAME_ENTRY(up, low, doc) #low,
NAME_TABLE(WEFT_CTX_KIND_MAP, weft_ctx_kind_name)
NAME_TABLE(WEFT_TASK_KIND_MAP, weft_task_kind_name)
NAME_TABLE(WEFT_STATUS_MAP, weft_status_name)
NAME_TABLE(WEFT_WAIT_MODE_MAP, weft_wait_mode_name)
NAME_TABLE(WEFT_WORKER_STATE_MAP, weft_worker_state_name)
#undef NAME_ENTRY
#undef NAME_TABLE

static uint64_t next_id = 1;
static _Thread_local uint64_t current_task;

uint64_t weft_id_new(void)
{
	return __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
}

uint64_t weft_current_task(void)
{
	return current_task;
}

void weft_set_current_task(uint64_t task)
{
	current_task = task;
}

/*
 * Untrusted strings are bounded before they reach the ring buffer: a short
 * string passes through untouched, a long one is copied and cut at
 * WEFT_STR_MAX bytes (the reader's sanitiser repairs a cut UTF-8 sequence).
 */
struct bounded {
	char buf[WEFT_STR_MAX + 1];
};

static const char *bound(const char *s, struct bounded *b)
{
	size_t n;

	if (!s)
		return "";
	n = strnlen(s, WEFT_STR_MAX + 1);
	if (n <= WEFT_STR_MAX)
		return s;
	memcpy(b->buf, s, WEFT_STR_MAX);
	b->buf[WEFT_STR_MAX] = '\0';
	return b->buf;
}

static uint32_t online_cpus(void)
{
	static uint32_t cached;
	uint32_t n = __atomic_load_n(&cached, __ATOMIC_RELAXED);

	if (!n) {
		long v = sysconf(_SC_NPROCESSORS_ONLN);
		n = v > 0 ? (uint32_t)v : 1;
		__atomic_store_n(&cached, n, __ATOMIC_RELAXED);
	}
	return n;
}

void weft__context_new(uint64_t ctx, int kind, const char *name, uint32_t workers)
{
	struct bounded b;

	lttng_ust_tracepoint(weft, context_new, ctx, kind, bound(name, &b), workers,
			     online_cpus());
}

void weft__task_new(uint64_t task, uint64_t parent, uint64_t token, int kind,
		    const char *name, const char *site)
{
	struct bounded b1, b2;

	lttng_ust_tracepoint(weft, task_new, task, parent, token, kind, bound(name, &b1),
			     bound(site, &b2));
}

void weft__task_schedule(uint64_t task, uint64_t ctx)
{
	lttng_ust_tracepoint(weft, task_schedule, task, ctx);
}

void weft__task_start(uint64_t task, uint64_t ctx)
{
	lttng_ust_tracepoint(weft, task_start, task, ctx);
}

void weft__task_end(uint64_t task, int status, int32_t err, const char *msg)
{
	struct bounded b;

	lttng_ust_tracepoint(weft, task_end, task, status, err, bound(msg, &b));
}

void weft__task_inline(uint64_t task)
{
	lttng_ust_tracepoint(weft, task_inline, task);
}

void weft__continuation_add(uint64_t antecedent, uint64_t continuation, uint64_t ctx)
{
	lttng_ust_tracepoint(weft, continuation_add, antecedent, continuation, ctx);
}

void weft__marshal(uint64_t task, uint64_t from_ctx, uint64_t to_ctx)
{
	lttng_ust_tracepoint(weft, marshal, task, from_ctx, to_ctx);
}

void weft__wait_begin(uint64_t waiter, uint64_t awaited, int mode)
{
	lttng_ust_tracepoint(weft, wait_begin, waiter, awaited, mode);
}

void weft__wait_end(uint64_t waiter, uint64_t awaited, int timed_out)
{
	lttng_ust_tracepoint(weft, wait_end, waiter, awaited, timed_out != 0);
}

void weft__error_observe(uint64_t task)
{
	lttng_ust_tracepoint(weft, error_observe, task);
}

void weft__error_unobserved(uint64_t task, int32_t err, const char *msg)
{
	struct bounded b;

	lttng_ust_tracepoint(weft, error_unobserved, task, err, bound(msg, &b));
}

void weft__token_new(uint64_t token, uint64_t parent_token)
{
	lttng_ust_tracepoint(weft, token_new, token, parent_token, "");
}

void weft__token_new_named(uint64_t token, uint64_t parent_token, const char *name)
{
	struct bounded b;

	lttng_ust_tracepoint(weft, token_new, token, parent_token, bound(name, &b));
}

void weft__token_link(uint64_t token, uint64_t parent)
{
	lttng_ust_tracepoint(weft, token_link, token, parent);
}

void weft__task_submit(uint64_t task, uint64_t parent, uint64_t token, int kind,
		       uint64_t ctx, const char *name, const char *site)
{
	struct bounded b1, b2;

	lttng_ust_tracepoint(weft, task_submit, task, parent, token, kind, ctx,
			     bound(name, &b1), bound(site, &b2));
}

void weft__task_next(uint64_t ended, uint32_t end_delta, uint64_t task, uint64_t ctx)
{
	lttng_ust_tracepoint(weft, task_next, ended, end_delta, task, ctx);
}

void weft__cancel_request(uint64_t token, const char *reason)
{
	struct bounded b;

	lttng_ust_tracepoint(weft, cancel_request, token, bound(reason, &b));
}

void weft__cancel_observe(uint64_t token, uint64_t task)
{
	lttng_ust_tracepoint(weft, cancel_observe, token, task);
}

void weft__pool_sample(uint64_t ctx, uint32_t queued, uint32_t busy, uint32_t workers)
{
	lttng_ust_tracepoint(weft, pool_sample, ctx, queued, busy, workers);
}

void weft__worker_state(uint64_t ctx, int state)
{
	lttng_ust_tracepoint(weft, worker_state, ctx, state);
}

void weft__block_begin(const char *reason)
{
	struct bounded b;

	lttng_ust_tracepoint(weft, block_begin, bound(reason, &b));
}

void weft__block_end(void)
{
	lttng_ust_tracepoint(weft, block_end);
}

void weft__annotate(uint64_t task, const char *key, const char *value)
{
	struct bounded b1, b2;

	lttng_ust_tracepoint(weft, annotate, task, bound(key, &b1), bound(value, &b2));
}
