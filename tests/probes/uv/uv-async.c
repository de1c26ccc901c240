/*
 * uv-async — uv_async_send from other threads, and libuv's coalescing.
 *
 *   1. A 5 ms timer's callback blocks the loop thread until a thread of the
 *      program has called uv_async_send 5 times: libuv runs the async
 *      callback once for the five.
 *   2. That callback queues a uv_queue_work job whose work_cb (on a pool
 *      worker) sends once: a second callback.  It closes the handles.
 * Through the probe: 2 "uv_async cb" continuations on the loop, the first
 * annotated "5 sends, one callback", the second a child of the job's task,
 * marshaled from 'uv-threadpool'; no finding.
 */
#include <pthread.h>

#include "uvprog.h"

#define PROG "uv-async"

static uv_async_t async;
static uv_timer_t timer;
static uv_work_t job;
static uv_sem_t sent;
static pthread_t sender;
static int runs;

static void *send5(void *arg)
{
	(void)arg;
	for (int i = 0; i < 5; i++)
		uv_async_send(&async);
	uv_sem_post(&sent);
	return NULL;
}

static void on_timer(uv_timer_t *t)
{
	if (pthread_create(&sender, NULL, send5, NULL) != 0)
		return;
	uv_sem_wait(&sent); /* the loop thread does not poll meanwhile */
	pthread_join(sender, NULL);
	uv_close((uv_handle_t *)t, NULL);
}

static void work(uv_work_t *req)
{
	(void)req;
	uv_async_send(&async);
}

static void after(uv_work_t *req, int status)
{
	(void)req;
	(void)status;
}

static void on_async(uv_async_t *a)
{
	if (++runs == 1)
		uv_queue_work(a->loop, &job, work, after);
	else
		uv_close((uv_handle_t *)a, NULL);
}

int main(void)
{
	uv_loop_t *loop = uv_default_loop();
	int rc;

	if ((rc = uv_sem_init(&sent, 0)) != 0 || (rc = uv_async_init(loop, &async, on_async)) != 0 ||
	    (rc = uv_timer_init(loop, &timer)) != 0 ||
	    (rc = uv_timer_start(&timer, on_timer, 5, 0)) != 0)
		return uv_fail(PROG, "set up", rc);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_sem_destroy(&sent);
	if (runs != 2) {
		fprintf(stderr, "%s: the async callback ran %d times, not 2\n", PROG, runs);
		return 1;
	}
	printf("%s: 6 sends, 2 callbacks\n", PROG);
	return uv_loop_close(loop) == 0 ? 0 : 1;
}
