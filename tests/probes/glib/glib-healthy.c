/*
 * glib-healthy — the same kinds of work as the other programs, done right:
 * the GLib form of examples/healthy.
 *
 * A photo viewer resizes 6 images on its own GThreadPool (2 threads, 2 ms
 * each); each worker hands its result back to the main context with
 * g_main_context_invoke (a marshal from the pool to "main").  Three
 * thumbnails load as GTasks in threads; one file is missing and its error
 * is propagated and shown as a placeholder.  A progress idle runs three
 * times (G_SOURCE_CONTINUE twice), a one-shot idle (g_idle_add_once) logs
 * the start.  A preview task is cancelled while it runs and notices within
 * 5 ms (g_task_return_error_if_cancelled).  Nothing blocks a thread of the
 * main context, every error is read, every task ends.  Through the probe:
 * no finding.
 */
#include "glibprog.h"

#define PROG "glib-healthy"
#define IMAGES 6
#define THUMBS 3
#define MISSING 1

static GMainLoop *loop;
static int pending = IMAGES + THUMBS + 2, shown, placeholders, progress_runs, logged;
static int preview_cancelled;
static GCancellable *preview_c;
static gint preview_started;

static void step_done(void)
{
	if (--pending == 0)
		g_main_loop_quit(loop);
}

static gboolean show_image(gpointer data)
{
	(void)data;
	shown++;
	step_done();
	return G_SOURCE_REMOVE;
}

void resize_image(gpointer data, gpointer user_data);
void resize_image(gpointer data, gpointer user_data)
{
	(void)user_data;
	spin_us(MS(2));
	g_main_context_invoke(NULL, show_image, data);
}

void load_thumbnail(GTask *task, gpointer source, gpointer data, GCancellable *c);
void load_thumbnail(GTask *task, gpointer source, gpointer data, GCancellable *c)
{
	(void)source;
	(void)c;
	spin_us(MS(3));
	if (GPOINTER_TO_INT(data) == MISSING)
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
					"IMG_0001.jpg: No such file or directory");
	else
		g_task_return_pointer(task, g_strdup("thumbnail"), g_free);
}

void thumbnail_done(GObject *source, GAsyncResult *res, gpointer data);
void thumbnail_done(GObject *source, GAsyncResult *res, gpointer data)
{
	GError *e = NULL;
	char *thumb = g_task_propagate_pointer(G_TASK(res), &e);

	(void)source;
	(void)data;
	if (thumb)
		g_free(thumb);
	else {
		placeholders++;
		g_error_free(e);
	}
	step_done();
}

void render_preview(GTask *task, gpointer source, gpointer data, GCancellable *c);
void render_preview(GTask *task, gpointer source, gpointer data, GCancellable *c)
{
	(void)source;
	(void)data;
	(void)c;
	g_atomic_int_inc(&preview_started);
	for (int i = 0; i < 200; i++) {
		if (g_task_return_error_if_cancelled(task))
			return;
		spin_us(MS(5));
	}
	g_task_return_boolean(task, TRUE);
}

void preview_done(GObject *source, GAsyncResult *res, gpointer data);
void preview_done(GObject *source, GAsyncResult *res, gpointer data)
{
	GError *e = NULL;

	(void)source;
	(void)data;
	if (!g_task_propagate_boolean(G_TASK(res), &e)) {
		preview_cancelled = g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED);
		g_error_free(e);
	}
	step_done();
}

static gboolean progress(gpointer data)
{
	(void)data;
	if (++progress_runs < 3)
		return G_SOURCE_CONTINUE;
	step_done();
	return G_SOURCE_REMOVE;
}

static void log_start(gpointer data)
{
	(void)data;
	logged++;
}

static gboolean cancel_preview(gpointer data)
{
	(void)data;
	if (!g_atomic_int_get(&preview_started))
		return G_SOURCE_CONTINUE;
	g_usleep(MS(20));
	g_cancellable_cancel(preview_c);
	return G_SOURCE_REMOVE;
}

int main(void)
{
	GThreadPool *pool;
	GTask *t;

	loop = g_main_loop_new(NULL, FALSE);
	pool = g_thread_pool_new(resize_image, NULL, 2, FALSE, NULL);
	if (!pool)
		return glib_fail(PROG, "create the pool");
	g_idle_add_once(log_start, NULL);
	g_idle_add(progress, NULL);
	for (int i = 0; i < IMAGES; i++)
		g_thread_pool_push(pool, GINT_TO_POINTER(i + 1), NULL);
	for (int i = 0; i < THUMBS; i++) {
		t = g_task_new(NULL, NULL, thumbnail_done, NULL);
		g_task_set_task_data(t, GINT_TO_POINTER(i), NULL);
		g_task_run_in_thread(t, load_thumbnail);
		g_object_unref(t);
	}
	preview_c = g_cancellable_new();
	t = g_task_new(NULL, preview_c, preview_done, NULL);
	g_task_run_in_thread(t, render_preview);
	g_object_unref(t);
	g_timeout_add(1, cancel_preview, NULL);
	g_main_loop_run(loop);
	g_thread_pool_free(pool, FALSE, TRUE);
	g_main_loop_unref(loop);
	g_object_unref(preview_c);
	if (shown != IMAGES || placeholders != 1 || progress_runs != 3 || logged != 1 ||
	    !preview_cancelled)
		return glib_fail(PROG, "run the gallery");
	printf("%s: %d images shown, %d placeholder, preview cancelled\n", PROG, shown,
	       placeholders);
	return 0;
}
