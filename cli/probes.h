/*
 * The interposition probes `weft record --probe NAME` can preload: one table
 * (name, library, what it traces), and where a probe's library is found.
 */
#ifndef WEFT_CLI_PROBES_H
#define WEFT_CLI_PROBES_H

#include <stddef.h>

/* X(name, library file, what it interposes). */
#define WEFT_PROBE_MAP(X) \
	X(uv, "libweft-uv.so", "libuv (Debian's shared libuv.so.1): uv_queue_work, uv_fs_*, " \
			      "uv_getaddrinfo, uv_getnameinfo, uv_random, uv_cancel, uv_run") \
	X(glib, "libweft-glib.so", "GLib/GIO 2.74: g_thread_pool_*, g_idle_add*, " \
				   "g_main_context_invoke*, idle g_source_attach, g_task_*, " \
				   "g_cancellable_*")

/* The path of probe `name`'s library in `buf`: next to the weft binary in a
 * build tree (<bindir>/../probes/NAME/), else the install library directory.
 * Returns 0, or -1 with the reason in err (an unknown name lists the known
 * ones). */
int probe_find(const char *name, char *buf, size_t len, char *err, size_t errlen);

/* lttng-ust's fork wrapper (liblttng-ust-fork.so, in lttng-ust's library
 * directory), preloaded with a probe so that a child forked without exec
 * registers as its own process; NULL when it is not there. */
const char *probe_fork_lib(void);

/* "  uv      libuv ...\n" lines for --help. */
const char *probe_help(void);

#endif
