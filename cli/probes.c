/*
 * Where `weft record --probe NAME` finds a probe library: the table of
 * probes.h, looked up next to the running weft binary first (a build tree:
 * build/cli/weft and build/probes/uv/libweft-uv.so), then in the directory
 * weft was installed to (WEFT_INSTALL_LIBDIR), then <bindir>/../lib.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "probes.h"

#ifndef WEFT_INSTALL_LIBDIR
#define WEFT_INSTALL_LIBDIR "/usr/local/lib"
#endif

static const struct probe {
	const char *name, *lib, *what;
} probes[] = {
#define X(name, lib, what) { #name, lib, what },
	WEFT_PROBE_MAP(X)
#undef X
};

#define NPROBES (sizeof(probes) / sizeof(probes[0]))

const char *probe_help(void)
{
	static char buf[1024];
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NPROBES && used < sizeof buf; i++)
		used += (size_t)snprintf(buf + used, sizeof buf - used, "    %-6s %s\n",
					 probes[i].name, probes[i].what);
	return buf;
}

/* The directory of the running weft binary ("" if unknown). */
static void exe_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	char *slash;

	if (n <= 0) {
		buf[0] = '\0';
		return;
	}
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	else
		buf[0] = '\0';
}

int probe_find(const char *name, char *buf, size_t len, char *err, size_t errlen)
{
	const struct probe *p = NULL;
	char dir[PATH_MAX], known[256] = "";
	size_t used = 0;

	for (size_t i = 0; i < NPROBES; i++) {
		if (strcmp(probes[i].name, name) == 0)
			p = &probes[i];
		used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "",
					 probes[i].name);
		if (used >= sizeof known)
			break;
	}
	if (!p) {
		snprintf(err, errlen, "unknown probe: probe=%s known=%s", name, known);
		return -1;
	}
	exe_dir(dir, sizeof dir);
	if (dir[0]) {
		snprintf(buf, len, "%s/../probes/%s/%s", dir, p->name, p->lib);
		if (access(buf, R_OK) == 0)
			return 0;
	}
	snprintf(buf, len, "%s/%s", WEFT_INSTALL_LIBDIR, p->lib);
	if (access(buf, R_OK) == 0)
		return 0;
	if (dir[0]) {
		snprintf(buf, len, "%s/../lib/%s", dir, p->lib);
		if (access(buf, R_OK) == 0)
			return 0;
	}
	snprintf(err, errlen, "probe library not found: probe=%s library=%s looked-in=%s/../probes/%s,"
		 "%s,%s/../lib", p->name, p->lib, dir, p->name, WEFT_INSTALL_LIBDIR, dir);
	return -1;
}

#ifndef WEFT_LTTNG_UST_LIBDIR
#define WEFT_LTTNG_UST_LIBDIR "/usr/lib/x86_64-linux-gnu"
#endif

const char *probe_fork_lib(void)
{
	static const char *const names[] = { "liblttng-ust-fork.so.1", "liblttng-ust-fork.so" };
	static char buf[PATH_MAX];

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(buf, sizeof buf, "%s/%s", WEFT_LTTNG_UST_LIBDIR, names[i]);
		if (access(buf, R_OK) == 0)
			return buf;
	}
	return NULL;
}
