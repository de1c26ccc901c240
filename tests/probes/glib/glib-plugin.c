/*
 * glib-plugin — the GIO half of glib-dlopen: a module that links GIO, for a
 * host that does not and loads it with dlopen(RTLD_LOCAL), so libglib,
 * libgobject and libgio are in the module's local scope only (not the
 * global one the preloaded probe sits in: dlsym(RTLD_NEXT) cannot find
 * them, the probe's RTLD_NOLOAD fallback must).
 *
 * plugin_run(path) checksums the file in a GTask of its own
 * (g_task_run_in_thread; the callback checksum_done propagates the result)
 * and, meanwhile, loads the same file with g_file_load_contents_async (GIO
 * runs it on its GTask pool, inside libgio); it returns 0 when both
 * finished and agree on the length.
 */
#include "glibprog.h"

#define PROG "glib-dlopen"

int plugin_run(const char *path);

static GMainLoop *loop;
static int pending = 2;
static gssize summed = -1, loaded = -2;

static void finished(void)
{
	if (--pending == 0)
		g_main_loop_quit(loop);
}

void checksum_file(GTask *task, gpointer source, gpointer data, GCancellable *c);
void checksum_file(GTask *task, gpointer source, gpointer data, GCancellable *c)
{
	gchar *buf = NULL;
	gsize len = 0;
	GError *e = NULL;

	(void)source;
	(void)c;
	if (!g_file_get_contents(data, &buf, &len, &e)) {
		g_task_return_error(task, e);
		return;
	}
	g_free(buf);
	g_task_return_int(task, (gssize)len);
}

void checksum_done(GObject *source, GAsyncResult *res, gpointer data);
void checksum_done(GObject *source, GAsyncResult *res, gpointer data)
{
	(void)source;
	(void)data;
	summed = g_task_propagate_int(G_TASK(res), NULL);
	finished();
}

void contents_done(GObject *source, GAsyncResult *res, gpointer data);
void contents_done(GObject *source, GAsyncResult *res, gpointer data)
{
	gchar *buf = NULL;
	gsize len = 0;

	(void)data;
	if (g_file_load_contents_finish(G_FILE(source), res, &buf, &len, NULL, NULL))
		loaded = (gssize)len;
	g_free(buf);
	finished();
}

int plugin_run(const char *path)
{
	GFile *f = g_file_new_for_path(path);
	GTask *task;

	loop = g_main_loop_new(NULL, FALSE);
	task = g_task_new(NULL, NULL, checksum_done, NULL);
	g_task_set_task_data(task, g_strdup(path), g_free);
	g_task_run_in_thread(task, checksum_file);
	g_object_unref(task);
	g_file_load_contents_async(f, NULL, contents_done, NULL);
	g_main_loop_run(loop);
	g_main_loop_unref(loop);
	g_object_unref(f);
	if (summed < 0 || summed != loaded)
		return glib_fail(PROG, "checksum and load the file alike");
	printf("%s: %s: checksummed and loaded %zd bytes\n", PROG, path, summed);
	return 0;
}
