/*
 * uv-healthy — the same kinds of work done right: short jobs on the pool,
 * each of whose after_work_cb stats a file (a chain job -> callback -> fs
 * request -> callback), plus a getaddrinfo of "localhost", a getnameinfo
 * of 127.0.0.1, 16 random bytes (uv_random) and one job with no
 * after_work_cb (libuv allows NULL).  Nothing queues
 * for long, nothing blocks the loop, nothing fails unseen: no finding.
 */
#include "uvprog.h"

#define PROG "uv-healthy"
#define JOBS 16

static uv_fs_t stats[JOBS];
static int jobs_done, stats_done;

static void job(uv_work_t *req)
{
	(void)req;
	spin_ns(MS(1) / 2);
}

static void stat_done(uv_fs_t *req)
{
	stats_done += req->result == 0;
	uv_fs_req_cleanup(req);
}

static void job_done(uv_work_t *req, int status)
{
	int i = (int)(intptr_t)req->data;

	if (status == 0 && uv_fs_stat(req->loop, &stats[i], "/", stat_done) == 0)
		jobs_done++;
}

static void resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	(void)req;
	(void)status; /* a sandbox without "localhost" is not this program's story */
	uv_freeaddrinfo(res);
}

static int randoms;

static void named(uv_getnameinfo_t *req, int status, const char *host, const char *service)
{
	(void)req;
	(void)status; /* as for getaddrinfo */
	(void)host;
	(void)service;
}

static void got_random(uv_random_t *req, int status, void *buf, size_t len)
{
	(void)req;
	(void)buf;
	randoms += status == 0 && len == 16;
}

int main(void)
{
	uv_work_t lone;
	uv_getnameinfo_t gni;
	uv_random_t rnd;
	struct sockaddr_in lo;
	char bytes[16];
	uv_loop_t *loop = uv_default_loop();
	uv_work_t work[JOBS];
	uv_getaddrinfo_t gai;
	int i, rc;

	for (i = 0; i < JOBS; i++) {
		work[i].data = (void *)(intptr_t)i;
		if ((rc = uv_queue_work(loop, &work[i], job, job_done)) != 0)
			return uv_fail(PROG, "queue a job", rc);
	}
	if ((rc = uv_queue_work(loop, &lone, job, NULL)) != 0)
		return uv_fail(PROG, "queue a job without a callback", rc);
	if ((rc = uv_getaddrinfo(loop, &gai, resolved, "localhost", NULL, NULL)) != 0)
		return uv_fail(PROG, "resolve localhost", rc);
	if ((rc = uv_ip4_addr("127.0.0.1", 80, &lo)) != 0 ||
	    (rc = uv_getnameinfo(loop, &gni, named, (const struct sockaddr *)&lo, 0)) != 0)
		return uv_fail(PROG, "name 127.0.0.1", rc);
	if ((rc = uv_random(loop, &rnd, bytes, sizeof bytes, 0, got_random)) != 0)
		return uv_fail(PROG, "ask for random bytes", rc);
	uv_run(loop, UV_RUN_DEFAULT);
	if (jobs_done != JOBS || stats_done != JOBS || randoms != 1)
		return uv_fail(PROG, "run every job and stat", UV_EIO);
	printf("%s: %d jobs, each followed by a stat; a getaddrinfo, a getnameinfo, random "
	       "bytes\n", PROG, JOBS);
	return uv_loop_close(loop) == 0 ? 0 : 1;
}
