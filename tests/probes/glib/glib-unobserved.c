/*
 * glib-unobserved — the GTask form of examples/unobserved-error: a failed
 * task whose error nobody propagates.
 *
 * Saving the settings runs in a thread (g_task_run_in_thread) and fails
 * with G_IO_ERROR_NO_SPACE; its callback, save_done, only notes that the
 * save finished and quits the loop — it never calls
 * g_task_propagate_boolean, so the error is lost; the task is released.
 * Through the probe: task "GTask save_done" on the GTask pool ended error
 * (err -G_IO_ERROR_NO_SPACE = -12), its callback a continuation on "main",
 * no error_observe, error_unobserved when the GTask is finalized.
 */
#include "glibprog.h"

#define PROG "glib-unobserved"

static GMainLoop *loop;
static int finished;

void save_settings(GTask *task, gpointer source, gpointer data, GCancellable *c);
void save_settings(GTask *task, gpointer source, gpointer data, GCancellable *c)
{
	(void)source;
	(void)data;
	(void)c;
	g_usleep(MS(5)); /* write(settings.json) */
	g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
				"settings.json: No space left on device");
}

void save_done(GObject *source, GAsyncResult *res, gpointer data);
void save_done(GObject *source, GAsyncResult *res, gpointer data)
{
	(void)source;
	(void)res;
	finished = data == &finished; /* "saving never fails": the error is not read */
	g_main_loop_quit(loop);
}

int main(void)
{
	GTask *task;

	loop = g_main_loop_new(NULL, FALSE);
	task = g_task_new(NULL, NULL, save_done, &finished);
	g_task_run_in_thread(task, save_settings);
	g_object_unref(task);
	g_main_loop_run(loop);
	g_main_loop_unref(loop);
	if (!finished)
		return glib_fail(PROG, "finish the save");
	printf("%s: save_settings failed and its error was never propagated\n", PROG);
	return 0;
}
