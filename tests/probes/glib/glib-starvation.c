/*
 * glib-starvation — the GLib form of examples/pool-starvation: blocking
 * work fills a GThreadPool while short requests queue behind it.
 *
 * A pool of 4 threads serves requests; four of them call a "legacy client"
 * that blocks its thread for 1 s, then eight short ones (200 us of work)
 * are pushed: they wait in the pool's queue for the whole second although
 * the CPUs are idle.  Through the probe: pool context
 * "gthreadpool:serve_request" with 4 workers, 12 tasks on it, the eight
 * short ones queued about 1 s, pool_sample(queued=8, busy=4) meanwhile.
 */
#include "glibprog.h"

#define PROG "glib-starvation"
#define WORKERS 4
#define SHORT 8

struct req {
	gboolean slow;
	gint64 pushed, started;
};

static GMutex lock;
static GCond cond;
static int done;

void serve_request(gpointer data, gpointer user_data);
void serve_request(gpointer data, gpointer user_data)
{
	struct req *r = data;

	(void)user_data;
	r->started = g_get_monotonic_time();
	if (r->slow)
		g_usleep(MS(1000)); /* a synchronous read from a slow storage node */
	else
		spin_us(200);
	g_mutex_lock(&lock);
	done++;
	g_cond_signal(&cond);
	g_mutex_unlock(&lock);
}

int main(void)
{
	struct req reqs[WORKERS + SHORT] = { 0 };
	GThreadPool *pool = g_thread_pool_new(serve_request, NULL, WORKERS, FALSE, NULL);
	gint64 max_wait = 0;

	if (!pool)
		return glib_fail(PROG, "create the pool");
	for (int i = 0; i < WORKERS + SHORT; i++) {
		reqs[i].slow = i < WORKERS;
		reqs[i].pushed = g_get_monotonic_time();
		if (!g_thread_pool_push(pool, &reqs[i], NULL))
			return glib_fail(PROG, "push a request");
		if (i == WORKERS - 1)
			g_usleep(MS(20)); /* the slow ones hold every thread first */
	}
	g_mutex_lock(&lock);
	while (done < WORKERS + SHORT)
		g_cond_wait(&cond, &lock);
	g_mutex_unlock(&lock);
	g_thread_pool_free(pool, FALSE, TRUE);
	for (int i = WORKERS; i < WORKERS + SHORT; i++)
		if (reqs[i].started - reqs[i].pushed > max_wait)
			max_wait = reqs[i].started - reqs[i].pushed;
	printf("%s: %d short requests waited %s behind %d blocked threads\n", PROG, SHORT,
	       max_wait >= MS(900) ? "about 1 s" : "less than 0.9 s", WORKERS);
	return 0;
}
