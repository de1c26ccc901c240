/*
 * gen-trace: a tiny program linked to libweft that emits a known set of weft
 * events, for the decoder's tests (test-decode.c) and its throughput bench.
 * The tests record it with the real lttng CLI and check what the decoder
 * reads back against the values written here, so every value below is part
 * of test-decode.c's expectations: change both together.
 *
 *   gen-trace basic        every event kind with fixed ids, numbers and
 *                          strings (control bytes, invalid UTF-8, an
 *                          over-long string), some from a second thread
 *   gen-trace burst N      N task_schedule events as fast as possible
 *                          (id = 1..N, ctx = 77), to fill small buffers
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weft/weft.h"

/* Strings the test expects back byte for byte. */
#define GEN_NASTY "ctl\x01\x1b[31m\x7f|bad\xff\xfe\xc3(|tab\tnl\n"
#define GEN_LONG_LEN 300

static void *second_thread(void *arg)
{
	(void)arg;
	weft_worker_state(0x5000, WEFT_WORKER_BUSY);
	weft_pool_sample(0x5000, 3, 2, 4);
	return NULL;
}

static int gen_basic(void)
{
	char longstr[GEN_LONG_LEN + 1];
	pthread_t th;
	int i;

	memset(longstr, 'L', GEN_LONG_LEN);
	longstr[GEN_LONG_LEN] = '\0';

	/* One of each kind, in the order of WEFT_EVENT_MAP, on this thread. */
	weft_context_new(0xfedcba9876543210ull, WEFT_CTX_LOOP, "loop-1", 1);
	weft_task_new_at(101, 100, 7, WEFT_TASK_CONTINUATION, GEN_NASTY, "site.c:42");
	weft_task_schedule(101, 0xfedcba9876543210ull);
	weft_task_start(101, 0xfedcba9876543210ull);
	weft_task_end(101, WEFT_STATUS_ERROR, -110, "timed out");
	weft_task_inline(102);
	weft_continuation_add(101, 103, 0x5000);
	weft_marshal(103, 0x5000, 0xfedcba9876543210ull);
	weft_wait_begin(104, 101, WEFT_WAIT_BLOCK);
	weft_wait_end(104, 101, 1);
	weft_error_observe(101);
	weft_error_unobserved(105, -5, "");
	weft_token_new(8, 7);
	weft_cancel_request(8, longstr);
	weft_cancel_observe(8, 106);
	weft_pool_sample(0x5000, 9, 4, 4);
	weft_worker_state(0x5000, WEFT_WORKER_BLOCKED);
	weft_block_begin("read(fd=3)");
	weft_block_end();
	weft_annotate(101, "key", NULL);

	/* Known repeat counts: task_schedule 1 + 5, task_inline 1 + 3. */
	for (i = 0; i < 5; i++)
		weft_task_schedule(1000 + (uint64_t)i, 0x5000);
	for (i = 0; i < 3; i++)
		weft_task_inline(2000 + (uint64_t)i);

	/* Schema v2's additions.  The pause lets task_next's end, 2 ms before
	 * the event, still come after everything above. */
	weft_token_new_named(9, 8, "req-9");
	weft_token_link(9, 7);
	weft_task_submit_at(107, 101, 9, WEFT_TASK_TASK, 0x5000, "fetch", "site.c:50");
	usleep(5000);
	weft_task_next(107, 2000000, 108, 0x5000);
	weft_task_next(108, 0, 0, 0);

	/* Two events from another thread: a different vtid, same vpid. */
	if (pthread_create(&th, NULL, second_thread, NULL) != 0)
		return 1;
	pthread_join(th, NULL);
	return 0;
}

static int gen_burst(unsigned long n)
{
	unsigned long i;

	for (i = 1; i <= n; i++)
		weft_task_schedule(i, 77);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "basic") == 0)
		return gen_basic();
	if (argc >= 3 && strcmp(argv[1], "burst") == 0)
		return gen_burst(strtoul(argv[2], NULL, 10));
	fprintf(stderr, "usage: %s basic | burst N\n", argv[0]);
	return 2;
}
