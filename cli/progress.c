/*
 * Progress line for long operations; see progress.h.  Redraws at most ten
 * times a second.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

int64_t progress_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void progress_init(struct progress *p, const char *label)
{
	memset(p, 0, sizeof(*p));
	p->label = label;
	p->tty = isatty(STDERR_FILENO);
	p->t0_ns = progress_now_ns();
}

static void human(double v, char *buf, size_t len)
{
	if (v >= 1e6)
		snprintf(buf, len, "%.1fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%.0fk", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
}

void progress_update(struct progress *p, uint64_t events, int64_t ts_ns)
{
	int64_t now = progress_now_ns();
	char n[32], rate[32], bar[32];
	double secs, frac = -1;

	if (!p->tty || now - p->last_draw_ns < 100000000)
		return;
	p->last_draw_ns = now;
	secs = (double)(now - p->t0_ns) / 1e9;
	human((double)events, n, sizeof n);
	human(secs > 0 ? (double)events / secs : 0, rate, sizeof rate);
	if (p->range_end > p->range_begin && ts_ns >= p->range_begin) {
		frac = (double)(ts_ns - p->range_begin) / (double)(p->range_end - p->range_begin);
		if (frac > 1)
			frac = 1;
	}
	if (frac >= 0) {
		int w = 24, fill = (int)(frac * w);
		for (int i = 0; i < w; i++)
			bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
		bar[w] = '\0';
		fprintf(stderr, "\r%s [%s] %3.0f%%  %s events  %s/s ", p->label, bar, frac * 100, n,
			rate);
	} else {
		fprintf(stderr, "\r%s  %s events  %s/s ", p->label, n, rate);
	}
	fflush(stderr);
	p->drawn = true;
}

void progress_done(struct progress *p)
{
	if (p->drawn) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
	p->drawn = false;
}
