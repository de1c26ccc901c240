/*
 * uv-fs-poll — libuv calling its own exported functions: uv_fs_poll stats
 * its file through uv_fs_stat, a call Debian's libuv makes through the PLT,
 * so it reaches the probe (docs/probes.md).  The probe must trace those
 * internal requests without changing what uv_fs_poll does.
 *
 * The program polls a temporary file every 20 ms; a timer appends to the
 * file after 100 ms; the poll callback sees the change (status 0, a bigger
 * size) and the program stops.  Through the probe: uv_fs_stat tasks made
 * by libuv itself, all ended ok; no finding.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uvprog.h"

#define PROG "uv-fs-poll"

static uv_fs_poll_t poller;
static uv_timer_t writer;
static char path[64];
static int changes;

static void on_change(uv_fs_poll_t *h, int status, const uv_stat_t *prev,
		      const uv_stat_t *cur)
{
	if (status == 0 && cur->st_size > prev->st_size)
		changes++;
	uv_fs_poll_stop(h);
	uv_close((uv_handle_t *)h, NULL);
}

static void on_write(uv_timer_t *t)
{
	FILE *f = fopen(path, "a");

	if (f) {
		fputs("more\n", f);
		fclose(f);
	}
	uv_close((uv_handle_t *)t, NULL);
}

int main(void)
{
	uv_loop_t *loop = uv_default_loop();
	int fd, rc;

	snprintf(path, sizeof path, "/tmp/weft-uv-fs-poll-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return uv_fail(PROG, "create a temporary file", -errno);
	close(fd);
	if ((rc = uv_fs_poll_init(loop, &poller)) != 0 ||
	    (rc = uv_fs_poll_start(&poller, on_change, path, 20)) != 0 ||
	    (rc = uv_timer_init(loop, &writer)) != 0 ||
	    (rc = uv_timer_start(&writer, on_write, 100, 0)) != 0) {
		unlink(path);
		return uv_fail(PROG, "poll the file", rc);
	}
	uv_run(loop, UV_RUN_DEFAULT);
	unlink(path);
	if (changes != 1)
		return uv_fail(PROG, "see the file grow", UV_EIO);
	printf("%s: the poll saw the file grow\n", PROG);
	return uv_loop_close(loop) == 0 ? 0 : 1;
}
