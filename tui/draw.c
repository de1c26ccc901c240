/*
 * Draw helpers (draw.h).  Text goes sanitise -> cut to columns -> curses.
 * The sanitised text is valid UTF-8 without control characters; on a
 * terminal that is not UTF-8 every non-ASCII character is drawn as '?', so
 * nothing but printable ASCII reaches it.
 */
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "draw.h"
#include "sanitize.h"

#define DRAW_IN_MAX 2048

/* Decodes one code point of valid UTF-8 at s; returns its byte length. */
static int draw_utf8(const unsigned char *s, unsigned *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		*cp = (s[0] & 0x1fu) << 6 | (s[1] & 0x3fu);
		return 2;
	}
	if ((s[0] & 0xf0) == 0xe0) {
		*cp = (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3fu);
		return 3;
	}
	*cp = (s[0] & 0x07u) << 18 | (s[1] & 0x3fu) << 12 | (s[2] & 0x3fu) << 6 | (s[3] & 0x3fu);
	return 4;
}

int draw_text(int y, int x, int width, enum term_role r, const char *text, size_t len)
{
	static char clean[SANITIZE_MAX(DRAW_IN_MAX)];
	const unsigned char *p;
	int used = 0, attr = term_attr(r);
	bool utf8 = term_utf8();

	if (width <= 0 || y < 0 || y >= LINES || x >= COLS)
		return 0;
	if (x + width > COLS)
		width = COLS - x;
	if (!text)
		text = "";
	if (len == (size_t)-1)
		len = strlen(text);
	if (len > DRAW_IN_MAX)
		len = DRAW_IN_MAX;
	sanitize(text, len, clean, sizeof clean, SANITIZE_EXPAND_TABS);
	attron(attr);
	move(y, x);
	for (p = (const unsigned char *)clean; *p;) {
		unsigned cp;
		int n = draw_utf8(p, &cp), w;

		w = utf8 ? wcwidth((wchar_t)cp) : 1;
		if (used + (w < 0 ? 1 : w) > width)
			break;
		if (!utf8 && cp >= 0x80) {
			addch('?');
		} else if (w < 0) {
			addch('?');
			w = 1;
		} else {
			addnstr((const char *)p, n);
		}
		used += w;
		p += n;
	}
	for (int i = used; i < width; i++)
		addch(' ');
	attroff(attr);
	return used;
}

int draw_fmt(int y, int x, int width, enum term_role r, const char *fmt, ...)
{
	char buf[DRAW_IN_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		buf[0] = '\0';
	return draw_text(y, x, width, r, buf, (size_t)-1);
}

void draw_fill(int y, int x, int width, enum term_role r, char c)
{
	char buf[512];

	if (width <= 0)
		return;
	if (width > (int)sizeof buf - 1)
		width = (int)sizeof buf - 1;
	memset(buf, (c >= 0x20 && c < 0x7f) ? c : ' ', (size_t)width);
	buf[width] = '\0';
	draw_text(y, x, width, r, buf, (size_t)width);
}

const char *draw_duration(char *buf, size_t len, long long ns)
{
	if (ns < 0)
		snprintf(buf, len, "-");
	else if (ns < 1000)
		snprintf(buf, len, "%lldns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.1fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", (double)ns / 1e9);
	return buf;
}

const char *draw_time(char *buf, size_t len, long long ns, long long res_ns)
{
	long long r = 100000000;
	int dec = 1;

	while (dec < 9 && r > res_ns && r > 1) {
		r /= 10;
		dec++;
	}
	snprintf(buf, len, "%s%.*fs", ns < 0 ? "-" : "", dec,
		 (double)(ns < 0 ? -ns : ns) / 1e9);
	return buf;
}

void draw_glyphs(int y, int x, int n, enum term_role r, const char *utf8, char ascii)
{
	char buf[1024];
	size_t gl = utf8 ? strlen(utf8) : 0, used = 0;

	if (n <= 0)
		return;
	if (!term_utf8() || gl == 0 || gl > 4) {
		draw_fill(y, x, n, r, ascii);
		return;
	}
	for (int i = 0; i < n && used + gl < sizeof buf; i++) {
		memcpy(buf + used, utf8, gl);
		used += gl;
	}
	draw_text(y, x, n, r, buf, used);
}
