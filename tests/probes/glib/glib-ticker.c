/*
 * glib-ticker — a long-running GLib program for `weft attach`: for 4 s a
 * timeout every 20 ms pushes one short item on its pool (crunch), whose
 * worker hands the result back to the main loop with g_main_context_invoke
 * (tally); every 10th tick also runs a GTask in a thread (its callback
 * tick_done).  The pool is made, and the first items run, before anyone
 * attaches: started with the probe preloaded and no session, it is attached
 * to while it runs; what it does after the session started is traced.
 */
#include "glibprog.h"

#define PROG "glib-ticker"
#define TICKS 200

static GMainLoop *loop;
static GThreadPool *pool;
static int ticks, tallied, gtasks, gtasks_done;

static void maybe_quit(void)
{
	if (ticks == TICKS && tallied == TICKS && gtasks_done == gtasks)
		g_main_loop_quit(loop);
}

gboolean tally(gpointer data);
gboolean tally(gpointer data)
{
	(void)data;
	tallied++;
	maybe_quit();
	return G_SOURCE_REMOVE;
}

void crunch(gpointer data, gpointer user_data);
void crunch(gpointer data, gpointer user_data)
{
	(void)user_data;
	spin_us(100);
	g_main_context_invoke(NULL, tally, data);
}

void tick_work(GTask *task, gpointer source, gpointer data, GCancellable *c);
void tick_work(GTask *task, gpointer source, gpointer data, GCancellable *c)
{
	(void)source;
	(void)data;
	(void)c;
	spin_us(100);
	g_task_return_boolean(task, TRUE);
}

void tick_done(GObject *source, GAsyncResult *res, gpointer data);
void tick_done(GObject *source, GAsyncResult *res, gpointer data)
{
	(void)source;
	(void)data;
	gtasks_done += g_task_propagate_boolean(G_TASK(res), NULL);
	maybe_quit();
}

static gboolean on_tick(gpointer data)
{
	(void)data;
	if (!g_thread_pool_push(pool, GINT_TO_POINTER(ticks + 1), NULL))
		return G_SOURCE_CONTINUE;
	if (ticks++ % 10 == 0) {
		GTask *task = g_task_new(NULL, NULL, tick_done, NULL);

		gtasks++;
		g_task_run_in_thread(task, tick_work);
		g_object_unref(task);
	}
	return ticks == TICKS ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

int main(void)
{
	loop = g_main_loop_new(NULL, FALSE);
	pool = g_thread_pool_new(crunch, NULL, 2, FALSE, NULL);
	if (!pool)
		return glib_fail(PROG, "make the pool");
	g_timeout_add(20, on_tick, NULL);
	printf("%s: ticking\n", PROG);
	fflush(stdout);
	g_main_loop_run(loop);
	g_thread_pool_free(pool, FALSE, TRUE);
	g_main_loop_unref(loop);
	if (tallied != TICKS || gtasks_done != gtasks)
		return glib_fail(PROG, "tally every tick");
	printf("%s: %d ticks, %d GTasks\n", PROG, tallied, gtasks);
	return 0;
}
