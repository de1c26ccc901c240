/*
 * uv-fs-error — fs requests that fail, and a callback that handles it.
 *
 * uv_fs_open of a missing file and uv_fs_stat of a missing path both end
 * with UV_ENOENT; a stat of "/" succeeds.  Each callback reads req->result
 * and reports the failure.  Through the probe: a uv_fs_open task and a
 * uv_fs_stat task ended with error -2 (ENOENT), one uv_fs_stat task ok, and
 * their callbacks as continuations on the loop.  The callbacks were handed
 * the errors, which the probe counts as observed (it cannot see whether a
 * callback reads req->result): no unobserved-error, no finding.
 */
#include <string.h>

#include "uvprog.h"

#define PROG "uv-fs-error"
#define MISSING "/nonexistent/weft-uv-fs-error/missing.conf"

static int failures, successes;

static void fs_done(uv_fs_t *req)
{
	if (req->result < 0) {
		fprintf(stderr, "%s: %s %s: %s\n", PROG,
			req->fs_type == UV_FS_OPEN ? "open" : "stat", req->path,
			uv_strerror((int)req->result));
		failures += req->result == UV_ENOENT;
	} else {
		successes++;
	}
	uv_fs_req_cleanup(req);
}

int main(void)
{
	uv_loop_t *loop = uv_default_loop();
	uv_fs_t open_req, stat_missing, stat_ok;
	int rc;

	if ((rc = uv_fs_open(loop, &open_req, MISSING, UV_FS_O_RDONLY, 0, fs_done)) != 0 ||
	    (rc = uv_fs_stat(loop, &stat_missing, MISSING, fs_done)) != 0 ||
	    (rc = uv_fs_stat(loop, &stat_ok, "/", fs_done)) != 0)
		return uv_fail(PROG, "submit the fs requests", rc);
	uv_run(loop, UV_RUN_DEFAULT);
	if (failures != 2 || successes != 1)
		return uv_fail(PROG, "see two ENOENT and one success", UV_EIO);
	printf("%s: 2 requests failed with ENOENT and were handled, 1 succeeded\n", PROG);
	return uv_loop_close(loop) == 0 ? 0 : 1;
}
