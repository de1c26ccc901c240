/*
 * chainfmt.h — how chains and blame read on a terminal and in JSON, shared by
 * `weft chain` (from store/chain.h results) and `weft report` (from the
 * finding_chain / finding_blame rows).  Every string given here is raw trace
 * bytes or NULL; these helpers sanitise it (store/sanitize.h) before it is
 * written.
 */
#ifndef WEFT_CLI_CHAINFMT_H
#define WEFT_CLI_CHAINFMT_H

#include <stdint.h>
#include <stdio.h>

/* "1.500 s", "20.1 ms", "12.0 us", "850 ns"; "?" for a negative value. */
const char *chainfmt_dur(int64_t ns, char *buf, size_t len);
/* The sanitised text of raw (tabs expanded), `none` when raw is NULL. */
const char *chainfmt_str(const char *raw, const char *none, char *buf, size_t len);
/* raw, sanitised, as a JSON string (null when raw is NULL). */
void chainfmt_json_str(FILE *out, const char *raw);

/* One blame part as a phrase: "queued 1.480 s on 'ui' (98.6 %)". */
struct chainfmt_part {
	const char *cat;        /* blame_category_name() */
	int64_t ns;
	const char *ctx, *from_ctx, *thread_name, *task_name, *reason;
	int32_t tid;
	uint64_t task_id;
	int task_kind;          /* enum weft_task_kind, -1 unknown */
};
void chainfmt_part(FILE *out, const struct chainfmt_part *p, int64_t wall_ns);

#endif
