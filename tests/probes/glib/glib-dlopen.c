/*
 * glib-dlopen — a host that does not link GLib and loads its GIO plugin
 * (glib-plugin.so, argv[1]) with dlopen(RTLD_LOCAL) once it runs, then runs
 * it on a file (argv[2]): the layout of an application with plugins (or an
 * interpreter's extension module) whose GLib is loaded late and locally.
 * Through the probe: the plugin's GTask "GTask checksum_done" and GIO's own
 * load_contents tasks on 'gthreadpool:gtask', their callbacks continuations
 * on "main", as for a program linked with GIO.
 */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	void *h;
	int (*run)(const char *);

	if (argc != 3) {
		fprintf(stderr, "usage: glib-dlopen PLUGIN FILE\n");
		return 2;
	}
	h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "glib-dlopen: Cannot load the plugin: %s\n", dlerror());
		return 1;
	}
	*(void **)&run = dlsym(h, "plugin_run");
	if (!run) {
		fprintf(stderr, "glib-dlopen: Cannot find plugin_run: %s\n", dlerror());
		return 1;
	}
	/* GLib's libraries stay loaded (GObject types cannot be unloaded) */
	return run(argv[2]);
}
