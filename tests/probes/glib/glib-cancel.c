/*
 * glib-cancel — cancellation through GCancellable, ignored and honoured:
 * the GTask form of examples/cancel-ignored next to its fix.
 *
 * Two GTasks run in threads, each with its own GCancellable; 50 ms after
 * they start, the user presses Cancel (g_cancellable_cancel on both).
 * export_report never looks at its cancellable: it renders all its 350 ms
 * and returns TRUE, 300 ms after the request (its callback then gets
 * G_IO_ERROR_CANCELLED from g_task_propagate_boolean, GTask's
 * check-cancellable rule).  run_search checks
 * g_task_return_error_if_cancelled every 10 ms and stops within 10 ms.
 * Through the probe: two tokens, two cancel_requests, one cancel_observe
 * (by run_search's task, which ends canceled), export_report's task ends ok
 * 300 ms after its request: cancel-ignored, as examples/cancel-ignored.
 */
#include "glibprog.h"

#define PROG "glib-cancel"

static GMainLoop *loop;
static GCancellable *export_c, *search_c;
static int pending = 2, export_cancelled, search_cancelled;
static gint started;

void export_report(GTask *task, gpointer source, gpointer data, GCancellable *c);
void export_report(GTask *task, gpointer source, gpointer data, GCancellable *c)
{
	(void)source;
	(void)data;
	(void)c;
	g_atomic_int_inc(&started);
	for (int chunk = 0; chunk < 10; chunk++)
		spin_us(MS(35)); /* not one look at the cancellable */
	g_task_return_boolean(task, TRUE);
}

void run_search(GTask *task, gpointer source, gpointer data, GCancellable *c);
void run_search(GTask *task, gpointer source, gpointer data, GCancellable *c)
{
	(void)source;
	(void)data;
	(void)c;
	g_atomic_int_inc(&started);
	for (int step = 0; step < 100; step++) {
		if (g_task_return_error_if_cancelled(task))
			return;
		spin_us(MS(10));
	}
	g_task_return_boolean(task, TRUE);
}

static void finished(GAsyncResult *res, int *cancelled)
{
	GError *e = NULL;

	if (!g_task_propagate_boolean(G_TASK(res), &e)) {
		*cancelled = g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED);
		g_error_free(e);
	}
	if (--pending == 0)
		g_main_loop_quit(loop);
}

void export_done(GObject *source, GAsyncResult *res, gpointer data);
void export_done(GObject *source, GAsyncResult *res, gpointer data)
{
	(void)source;
	(void)data;
	finished(res, &export_cancelled);
}

void search_done(GObject *source, GAsyncResult *res, gpointer data);
void search_done(GObject *source, GAsyncResult *res, gpointer data)
{
	(void)source;
	(void)data;
	finished(res, &search_cancelled);
}

static gboolean press_cancel(gpointer data)
{
	(void)data;
	if (g_atomic_int_get(&started) < 2)
		return G_SOURCE_CONTINUE;
	g_usleep(MS(50));
	g_cancellable_cancel(export_c);
	g_cancellable_cancel(search_c);
	return G_SOURCE_REMOVE;
}

int main(void)
{
	GTask *t;

	loop = g_main_loop_new(NULL, FALSE);
	export_c = g_cancellable_new();
	search_c = g_cancellable_new();
	t = g_task_new(NULL, export_c, export_done, NULL);
	g_task_run_in_thread(t, export_report);
	g_object_unref(t);
	t = g_task_new(NULL, search_c, search_done, NULL);
	g_task_run_in_thread(t, run_search);
	g_object_unref(t);
	g_timeout_add(1, press_cancel, NULL);
	g_main_loop_run(loop);
	g_main_loop_unref(loop);
	g_object_unref(export_c);
	g_object_unref(search_c);
	if (!export_cancelled || !search_cancelled)
		return glib_fail(PROG, "cancel both tasks");
	printf("%s: export_report ran on after the cancel; run_search stopped\n", PROG);
	return 0;
}
