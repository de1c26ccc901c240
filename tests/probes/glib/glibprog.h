/*
 * glibprog.h — what the GLib test programs share.  They are written against
 * plain GLib/GIO (no weft API, not linked with libweft): weft sees them only
 * through the probe (`weft record --probe glib`).  Each prints one line
 * "NAME: ..." and exits 0 when its story ran as told, 1 otherwise.  They
 * are linked with --export-dynamic, so the probe can name their functions.
 */
#ifndef WEFT_TEST_GLIBPROG_H
#define WEFT_TEST_GLIBPROG_H

#include <stdio.h>

#include <gio/gio.h>

#define MS(n) ((gint64)(n) * 1000)

static inline void spin_us(gint64 us)
{
	gint64 end = g_get_monotonic_time() + us;

	while (g_get_monotonic_time() < end)
		;
}

static inline int glib_fail(const char *prog, const char *what)
{
	fprintf(stderr, "%s: Cannot %s\n", prog, what);
	return 1;
}

#endif
