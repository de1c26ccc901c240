/*
 * oversubscription — more CPU-bound workers than cores can serve.
 *
 * The story: a batch job sizes its pool from a setting copied from an
 * I/O-bound service ("threads = 4 x cores + 2") and fills it with CPU-bound
 * work: image resizing.  Every worker is runnable at once, so on N cores
 * 4N+2 threads share N CPUs: each job takes four times longer than it
 * should, caches thrash and the scheduler switches contexts constantly,
 * while finishing no sooner than a pool of N workers would.
 *
 * Events that show it: context_new(resize, pool, workers=4N+2, ncpu=N);
 * 4N+2 task_start(resize_image) within a few milliseconds, then
 * pool_sample(resize, busy=4N+2, workers=4N+2) for about 1.25 s until the
 * first task_end.
 */
#include <stdlib.h>
#include <unistd.h>

#include "example.h"

#define PROG "oversubscription"
#define WORK_TIME EX_MS(1250)
#define MAX_WORKERS 1024

static int resize_image(weft_future_t *self, void *arg)
{
	(void)self;
	(void)arg;
	ex_spin_ns(WORK_TIME); /* CPU-bound: runnable the whole time */
	return 0;
}

int main(void)
{
	weft_future_t **jobs = NULL;
	weft_ctx_t *pool = NULL;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned workers, i, submitted = 0;
	int64_t t0;
	int rc = 1, err = 0;

	if (ncpu < 1)
		ncpu = 1;
	workers = 4 * (unsigned)ncpu + 2;
	if (workers > MAX_WORKERS) {
		fprintf(stderr, "%s: Cannot oversubscribe %ld CPUs: the pool is limited to %d "
			"workers\n", PROG, ncpu, MAX_WORKERS);
		goto out;
	}
	jobs = calloc(workers, sizeof(*jobs));
	pool = weft_pool_new("resize", workers);
	if (!jobs || !pool) {
		ex_fail(PROG, "set up", errno ? errno : ENOMEM);
		goto out;
	}
	t0 = ex_now_ns();
	for (i = 0; i < workers; i++, submitted++) {
		jobs[i] = weft_run(pool, resize_image, NULL,
				   &(struct weft_opts){ .name = "resize_image" });
		if (!jobs[i]) {
			ex_fail(PROG, "submit a job", errno);
			goto out;
		}
	}
	for (i = 0; i < workers && !err; i++) {
		err = weft_future_wait(jobs[i], WORK_TIME + EX_MS(3000));
		if (!err)
			err = weft_future_error(jobs[i], NULL);
	}
	if (err) {
		ex_fail(PROG, "run the jobs", err);
		goto out;
	}
	printf("%s: %u CPU-bound workers busy at once for %.2f s on %ld online CPUs\n", PROG,
	       workers, ex_seconds(ex_now_ns() - t0), ncpu);
	rc = 0;
out:
	if (pool)
		weft_ctx_free(pool);
	for (i = 0; i < submitted; i++)
		weft_future_release(jobs[i]);
	free(jobs);
	weft_rt_shutdown();
	return rc;
}
