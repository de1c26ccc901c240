/*
 * `weft doctor`: checks what recording and reading traces need — LTTng tools
 * and session daemon, permissions, libbabeltrace2 and its plugins, SQLite —
 * and says how to fix each problem.  Exits 1 if any check fails.
 */
#include <babeltrace2/babeltrace.h>
#include <grp.h>
#include <lttng/lttng.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

struct doctor {
	int failed, warned;
};

static void report(struct doctor *d, int level, const char *what, const char *fix)
{
	static const char *const tags[] = { "ok  ", "warn", "FAIL" };

	printf("  %s  %s\n", tags[level], what);
	if (level && fix)
		printf("        fix: %s\n", fix);
	d->warned += level == 1;
	d->failed += level == 2;
}

/* Finds prog in PATH; fills path. */
static bool which(const char *prog, char *path, size_t len)
{
	const char *p = getenv("PATH");
	char dir[4096];

	if (!p)
		p = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
	while (*p) {
		size_t n = strcspn(p, ":");
		if (n && n < sizeof dir) {
			memcpy(dir, p, n);
			dir[n] = '\0';
			int w = snprintf(path, len, "%s/%s", dir, prog);
			if (w > 0 && (size_t)w < len && access(path, X_OK) == 0)
				return true;
		}
		p += n + (p[n] == ':');
	}
	return false;
}

/* First line of a command's output (fixed commands only, no user input). */
static void first_line(const char *cmd, char *buf, size_t len)
{
	FILE *f = popen(cmd, "r");

	buf[0] = '\0';
	if (!f)
		return;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	pclose(f);
}

static bool in_tracing_group(void)
{
	struct group *g = getgrnam("tracing");
	gid_t groups[256];
	int n;

	if (!g)
		return false;
	n = getgroups(256, groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == g->gr_gid)
			return true;
	return getegid() == g->gr_gid;
}

static int doctor_exec(int argc, char **argv)
{
	struct doctor d = { 0 };
	char path[4096], line[512], what[8192];
	int alive;

	if (argc > 1) {
		cli_error("doctor", "Cannot check: unexpected argument: arg=%s", argv[1]);
		return EXIT_USAGE;
	}
	printf("weft doctor: checking what recording and reading traces need\n");

	if (which("lttng", path, sizeof path)) {
		first_line("lttng --version 2>/dev/null", line, sizeof line);
		snprintf(what, sizeof what, "lttng CLI: %s (%s)", *line ? line : "unknown version", path);
		report(&d, 0, what, NULL);
	} else {
		report(&d, 2, "lttng CLI not found in PATH", "apt-get install lttng-tools");
	}
	if (which("lttng-sessiond", path, sizeof path)) {
		snprintf(what, sizeof what, "lttng-sessiond installed (%s)", path);
		report(&d, 0, what, NULL);
	} else {
		report(&d, 2, "lttng-sessiond not found in PATH", "apt-get install lttng-tools");
	}

	alive = lttng_session_daemon_alive();
	if (alive == 1) {
		report(&d, 0, geteuid() == 0 ? "session daemon reachable (root)"
					      : "session daemon reachable", NULL);
	} else {
		report(&d, 1, "no session daemon reachable (weft record starts one when needed)",
		       "run `lttng-sessiond --daemonize` as root to trace all users' programs");
	}
	if (geteuid() != 0) {
		if (in_tracing_group())
			report(&d, 0, "member of the 'tracing' group", NULL);
		else
			report(&d, 1,
			       "not root and not in the 'tracing' group: only a per-user session "
			       "daemon can be used, and it sees only your own programs",
			       "usermod -aG tracing $USER, then log in again");
	}
	if (which("lttng-relayd", path, sizeof path))
		report(&d, 0, "lttng-relayd installed (needed by weftd for many hosts)", NULL);
	else
		report(&d, 1, "lttng-relayd not found (weftd needs it)", "apt-get install lttng-tools");

	{
		const bt_plugin *ctf = NULL, *utils = NULL;

		snprintf(what, sizeof what, "libbabeltrace2 %llu.%llu.%llu",
			 (unsigned long long)bt_version_get_major(),
			 (unsigned long long)bt_version_get_minor(),
			 (unsigned long long)bt_version_get_patch());
		report(&d, 0, what, NULL);
		if (bt_plugin_find("ctf", BT_TRUE, BT_TRUE, BT_TRUE, BT_FALSE, BT_TRUE, &ctf) ==
			    BT_PLUGIN_FIND_STATUS_OK &&
		    bt_plugin_find("utils", BT_TRUE, BT_TRUE, BT_TRUE, BT_FALSE, BT_TRUE, &utils) ==
			    BT_PLUGIN_FIND_STATUS_OK)
			report(&d, 0, "babeltrace2 plugins 'ctf' and 'utils' load", NULL);
		else
			report(&d, 2, "babeltrace2 plugins 'ctf'/'utils' cannot be loaded",
			       "apt-get install babeltrace2 libbabeltrace2-0");
		BT_PLUGIN_PUT_REF_AND_RESET(ctf);
		BT_PLUGIN_PUT_REF_AND_RESET(utils);
	}

	snprintf(what, sizeof what, "SQLite %s", sqlite3_libversion());
	report(&d, sqlite3_libversion_number() >= 3035000 ? 0 : 2, what,
	       "SQLite >= 3.35 is needed (Debian 12 ships 3.40)");

	{
		struct stat sb;
		if (stat("/dev/shm", &sb) == 0 && access("/dev/shm", W_OK) == 0)
			report(&d, 0, "/dev/shm writable (LTTng-UST ring buffers)", NULL);
		else
			report(&d, 2, "/dev/shm missing or not writable: LTTng-UST cannot map buffers",
			       "mount -t tmpfs tmpfs /dev/shm");
	}

	printf("%d problem%s, %d warning%s\n", d.failed, d.failed == 1 ? "" : "s", d.warned,
	       d.warned == 1 ? "" : "s");
	return d.failed ? EXIT_FAIL : EXIT_OK;
}

const struct cmd_entry cmd_doctor_entry = {
	.name = "doctor",
	.usage = "",
	.summary = "Check LTTng, permissions and libraries, and say how to fix problems.",
	.help = "Checks that the lttng tools and session daemon are installed and reachable,\n"
		"that you may trace (root or the 'tracing' group), that libbabeltrace2 and its\n"
		"ctf/utils plugins load, and that SQLite and /dev/shm are usable.  Each problem\n"
		"comes with a fix.  Exit status: 0 all good (warnings allowed), 1 a check failed.\n",
	.exec = doctor_exec,
};
