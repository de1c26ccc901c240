/*
 * gen-events: the traced program behind bench-ingest.  It emits a given
 * number of weft events through libweft, shaped like a busy reference-runtime
 * pool, as fast as LTTng takes them, so that bench-ingest can record one big
 * trace and time every consumer of it on the same bytes.
 *
 *   gen-events N [--threads T]
 *
 * T threads (default 2) serve one pool context.  Per task a thread emits what
 * the runtime emits for a task run on a busy pool: task_new, task_schedule,
 * pool_sample, task_start, pool_sample, worker_state(busy), task_end,
 * pool_sample, worker_state(idle) (9 events); every 4th task also registers
 * the next one as its continuation (continuation_add, the next task is of
 * kind continuation), every 16th awaits the previous one (wait_begin and
 * wait_end, async) and every 512th fails ("timed out") and has its error
 * observed.  Names and sites come from small fixed sets, as in real code, so
 * the store interns them; every 8th task is a root whose children are the 7
 * tasks after it.  Thread t stops at the end of the task that
 * reaches its share N/T, so the total is N plus a few; the exact total is
 * printed as "gen-events: events=E tasks=K threads=T seconds=S" on stdout.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weft/weft.h"

#define GEN_MAX_THREADS 16

static const char *const names[] = {
	"http.accept", "http.parse", "db.query", "cache.get",
	"render", "json.encode", "auth.check", "log.flush",
};
static const char *const sites[] = {
	"server.c:118", "server.c:204", "db.c:77", "cache.c:41",
	"view.c:310", "codec.c:96", "auth.c:58", "log.c:22",
};
#define NNAMES (sizeof(names) / sizeof(names[0]))

struct gen_thread {
	pthread_t tid;
	uint64_t pool;
	uint32_t workers;
	long long quota;  /* events this thread emits (at least) */
	long long events; /* events it emitted */
	long long tasks;
};

static void *gen_main(void *arg)
{
	struct gen_thread *g = arg;
	uint64_t prev = 0, cont = 0, root = 0;
	long long ev = 0, k = 0;
	uint32_t queued = 0;

	weft_worker_state(g->pool, WEFT_WORKER_START);
	ev++;
	while (ev < g->quota) {
		/* A continuation registered by the previous task runs now. */
		uint64_t id = cont ? cont : weft_id_new();
		enum weft_task_kind kind = cont ? WEFT_TASK_CONTINUATION : WEFT_TASK_TASK;
		size_t s = (size_t)(k % NNAMES);
		int fail = k % 512 == 511;

		/* Each "request" (name 0) is the parent of the 7 tasks after it. */
		weft_task_new_at(id, s ? root : 0, 0, kind, names[s], sites[s]);
		if (s == 0)
			root = id;
		weft_task_schedule(id, g->pool);
		weft_pool_sample(g->pool, ++queued, 1, g->workers);
		weft_task_start(id, g->pool);
		weft_pool_sample(g->pool, --queued, 2, g->workers);
		weft_worker_state(g->pool, WEFT_WORKER_BUSY);
		ev += 6;
		cont = 0;
		if (k % 4 == 0) {
			cont = weft_id_new();
			weft_continuation_add(id, cont, g->pool);
			ev++;
		}
		if (k % 16 == 8 && prev) {
			weft_wait_begin(id, prev, WEFT_WAIT_ASYNC);
			weft_wait_end(id, prev, 0);
			ev += 2;
		}
		weft_task_end(id, fail ? WEFT_STATUS_ERROR : WEFT_STATUS_OK, fail ? -ETIMEDOUT : 0,
			      fail ? "timed out" : NULL);
		weft_pool_sample(g->pool, queued, 1, g->workers);
		weft_worker_state(g->pool, WEFT_WORKER_IDLE);
		ev += 3;
		if (fail) {
			weft_error_observe(id);
			ev++;
		}
		prev = id;
		k++;
	}
	g->events = ev;
	g->tasks = k;
	return NULL;
}

int main(int argc, char **argv)
{
	struct gen_thread th[GEN_MAX_THREADS];
	long long n = -1, total = 1, tasks = 0;
	struct timespec t0, t1;
	uint64_t pool;
	int nth = 2, i, started = 0, rc = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			nth = atoi(argv[++i]);
		else if (n < 0 && argv[i][0] != '-')
			n = atoll(argv[i]);
		else
			n = -2;
	}
	if (n < 1 || nth < 1 || nth > GEN_MAX_THREADS) {
		fprintf(stderr, "usage: gen-events N [--threads T]  (N >= 1, 1 <= T <= %d)\n",
			GEN_MAX_THREADS);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pool = weft_id_new();
	weft_context_new(pool, WEFT_CTX_POOL, "bench-pool", (uint32_t)nth);
	for (i = 0; i < nth; i++) {
		memset(&th[i], 0, sizeof(th[i]));
		th[i].pool = pool;
		th[i].workers = (uint32_t)nth;
		th[i].quota = (n - 1) / nth + (i < (n - 1) % nth);
		if (pthread_create(&th[i].tid, NULL, gen_main, &th[i]) != 0) {
			fprintf(stderr, "Cannot start a generator thread: pthread_create failed: "
					"thread=%d\n", i);
			rc = 1;
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++) {
		pthread_join(th[i].tid, NULL);
		total += th[i].events;
		tasks += th[i].tasks;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc == 0)
		printf("gen-events: events=%lld tasks=%lld threads=%d seconds=%.3f\n", total,
		       tasks, nth,
		       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return rc;
}
