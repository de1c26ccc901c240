/*
 * uv-fs-more — the uv_fs_* calls beyond the common few, each with a
 * callback, one after another in a temporary directory: mkdtemp, mkstemp,
 * ftruncate, fdatasync, fchmod, futime, close, copyfile, access, chmod,
 * utime, lutime, symlink, link, opendir, readdir, closedir, statfs.  Each
 * must succeed.  The directory is removed with synchronous calls (no
 * callback: not traced).  Through the probe: 18 tasks, one of each name,
 * all ok, each (after the first) a child of the previous call's callback.
 */
#include <stdlib.h>
#include <string.h>

#include "uvprog.h"

#define PROG "uv-fs-more"

static uv_loop_t *loop;
static uv_fs_t req;
static char dir[128], file[192], copy[192], sym[192], hard[192];
static uv_file fd = -1;
static uv_dir_t *dirp;
static uv_dirent_t dirents[8];
static int step, failed;

static void next(uv_fs_t *r);

/* The call of `step` (0 when done). */
static int issue(void)
{
	switch (step) {
	case 0: return uv_fs_mkdtemp(loop, &req, "/tmp/weft-uv-fs-more-XXXXXX", next);
	case 1: return uv_fs_mkstemp(loop, &req, file, next);
	case 2: return uv_fs_ftruncate(loop, &req, fd, 100, next);
	case 3: return uv_fs_fdatasync(loop, &req, fd, next);
	case 4: return uv_fs_fchmod(loop, &req, fd, 0640, next);
	case 5: return uv_fs_futime(loop, &req, fd, 1000000, 1000000, next);
	case 6: return uv_fs_close(loop, &req, fd, next);
	case 7: return uv_fs_copyfile(loop, &req, file, copy, 0, next);
	case 8: return uv_fs_access(loop, &req, copy, 4 /* R_OK */, next);
	case 9: return uv_fs_chmod(loop, &req, copy, 0600, next);
	case 10: return uv_fs_utime(loop, &req, copy, 2000000, 2000000, next);
	case 11: return uv_fs_symlink(loop, &req, copy, sym, 0, next);
	case 12: return uv_fs_lutime(loop, &req, sym, 3000000, 3000000, next);
	case 13: return uv_fs_link(loop, &req, copy, hard, next);
	case 14: return uv_fs_opendir(loop, &req, dir, next);
	case 15:
		dirp->dirents = dirents;
		dirp->nentries = sizeof dirents / sizeof dirents[0];
		return uv_fs_readdir(loop, &req, dirp, next);
	case 16: return uv_fs_closedir(loop, &req, dirp, next);
	case 17: return uv_fs_statfs(loop, &req, dir, next);
	default: return 1;
	}
}

static void next(uv_fs_t *r)
{
	int rc;

	if (r->result < 0) {
		fprintf(stderr, "%s: step %d: %s\n", PROG, step, uv_strerror((int)r->result));
		failed = 1;
		uv_fs_req_cleanup(r);
		return;
	}
	if (step == 0) {
		snprintf(dir, sizeof dir, "%s", r->path);
		snprintf(file, sizeof file, "%s/fXXXXXX", dir);
		snprintf(copy, sizeof copy, "%s/copy", dir);
		snprintf(sym, sizeof sym, "%s/sym", dir);
		snprintf(hard, sizeof hard, "%s/hard", dir);
	} else if (step == 1) {
		fd = (uv_file)r->result;
		snprintf(file, sizeof file, "%s", r->path);
	} else if (step == 14) {
		dirp = r->ptr;
	} else if (step == 15 && r->result < 1) {
		failed = 1; /* the directory has entries */
	}
	uv_fs_req_cleanup(r);
	step++;
	if ((rc = issue()) < 0) {
		fprintf(stderr, "%s: step %d: %s\n", PROG, step, uv_strerror(rc));
		failed = 1;
	}
}

static void cleanup(void)
{
	const char *paths[] = { hard, sym, copy, file };
	uv_fs_t r;

	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		if (paths[i][0]) {
			uv_fs_unlink(NULL, &r, paths[i], NULL);
			uv_fs_req_cleanup(&r);
		}
	if (dir[0]) {
		uv_fs_rmdir(NULL, &r, dir, NULL);
		uv_fs_req_cleanup(&r);
	}
}

int main(void)
{
	int rc;

	loop = uv_default_loop();
	if ((rc = issue()) < 0)
		return uv_fail(PROG, "make a temporary directory", rc);
	uv_run(loop, UV_RUN_DEFAULT);
	cleanup();
	if (failed || step != 18) {
		fprintf(stderr, "%s: stopped at step %d\n", PROG, step);
		return 1;
	}
	printf("%s: 18 calls ok\n", PROG);
	return uv_loop_close(loop) == 0 ? 0 : 1;
}
