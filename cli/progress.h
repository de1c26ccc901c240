/*
 * A one-line progress display on stderr for long operations (imports,
 * ingestion): "label [=====>    ]  42%  1.2M events  650k/s".  Drawn only when
 * stderr is a terminal; otherwise silent, so logs stay clean.
 */
#ifndef WEFT_CLI_PROGRESS_H
#define WEFT_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	const char *label;
	bool tty;
	int64_t t0_ns, last_draw_ns;
	int64_t range_begin, range_end; /* trace time range, for the fraction; 0 if unknown */
	bool drawn;
};

void progress_init(struct progress *p, const char *label);
/* events so far, and the trace time reached (0 if unknown). */
void progress_update(struct progress *p, uint64_t events, int64_t ts_ns);
/* Erases the line if one was drawn. */
void progress_done(struct progress *p);
int64_t progress_now_ns(void);

#endif
