/*
 * One decoded weft event, as the decoder (daemon/, babeltrace2 sink) hands it
 * to the store writer (store/).  This is the seam between the two: the
 * decoder fills it from a CTF event of provider "weft" (probes/weft-tp.h),
 * the writer turns it into rows.  Strings point into the decoder's buffers and
 * are valid only during the writer call; the writer copies/interns them.
 *
 * Generic slots keep the struct flat and cheap to fill; which slot holds which
 * field is fixed per event kind by the table below (field names as in
 * weft-tp.h):
 *
 *   kind              id0          id1            id2     n0        n1       n2      s0      s1
 *   context_new       ctx          -              -       kind      workers  ncpu    name    -
 *   task_new          task         parent         token   kind      -        -       name    site
 *   task_schedule     task         ctx            -       -         -        -       -       -
 *   task_start        task         ctx            -       -         -        -       -       -
 *   task_end          task         -              -       status    err      -       msg     -
 *   task_inline       task         -              -       -         -        -       -       -
 *   continuation_add  antecedent   continuation   ctx     -         -        -       -       -
 *   marshal           task         from_ctx       to_ctx  -         -        -       -       -
 *   wait_begin        waiter       awaited        -       mode      -        -       -       -
 *   wait_end          waiter       awaited        -       timed_out -        -       -       -
 *   error_observe     task         -              -       -         -        -       -       -
 *   error_unobserved  task         -              -       err       -        -       msg     -
 *   token_new         token        parent_token   -       -         -        -       -       -
 *   cancel_request    token        -              -       -         -        -       reason  -
 *   cancel_observe    token        task           -       -         -        -       -       -
 *   pool_sample       ctx          -              -       queued    busy     workers -       -
 *   worker_state      ctx          -              -       state     -        -       -       -
 *   block_begin       -            -              -       -         -        -       reason  -
 *   block_end         -            -              -       -         -        -       -       -
 *   annotate          task         -              -       -         -        -       key     value
 *   token_link        token        parent         -       -         -        -       -       -
 *
 * token_new's s0 is its name (schema v2; "" in v1 traces).  The v2 events
 * task_submit and task_next never reach the writer: the decoder hands each on
 * as the two v1 events it stands for (task_new + task_schedule; task_end at
 * its own earlier time + task_start), the second marked `folded`.
 */
#ifndef WEFT_STORE_EVENT_H
#define WEFT_STORE_EVENT_H

#include <stdint.h>

#include "weft/weft.h" /* enum weft_event: WEFT_EV_task_new, ... */

struct store_event {
	enum weft_event kind;
	int64_t ts_ns;        /* ns since the Unix epoch (clock snapshot, origin-adjusted) */
	int32_t vpid, vtid;   /* LTTng context */
	const char *procname; /* LTTng context, untrusted */
	uint64_t id0, id1, id2;
	int64_t n0, n1, n2;
	const char *s0, *s1;  /* untrusted, NUL-terminated, never NULL ("" if absent) */
	uint32_t s0_len, s1_len;
	/* 1: the second of the two v1 events that one trace event stands for
	 * (task_submit, task_next; see the decoder): not counted as an event of
	 * its own. */
	uint8_t folded;
	/* How many of this event's strings (procname, s0, s1) the decoder cut
	 * at WEFT_STR_MAX: counted per chunk in chunks.truncated_strings. */
	uint32_t truncated;
};

#endif
