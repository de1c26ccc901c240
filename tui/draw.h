/*
 * draw.h — the only way a view puts text on the screen.  Every helper takes
 * raw bytes (possibly from the traced program) and passes them through the
 * one sanitiser (store/sanitize.h) before they reach curses, then cuts them
 * to a width in screen columns at a character boundary and pads the cell, so
 * a view cannot emit an escape sequence or overflow its column.
 */
#ifndef WEFT_TUI_DRAW_H
#define WEFT_TUI_DRAW_H

#include <stddef.h>

#include "term.h"

/* Draws text[0..len) (len (size_t)-1: up to the NUL; NULL text: "") at
 * (y, x) in role `r`, at most `width` columns, padded with spaces to width.
 * Returns the columns used by the text (before padding). */
int draw_text(int y, int x, int width, enum term_role r, const char *text, size_t len);
/* draw_text of a formatted string. */
int draw_fmt(int y, int x, int width, enum term_role r, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Fills width columns at (y, x) with the ASCII character c in role r. */
void draw_fill(int y, int x, int width, enum term_role r, char c);
/* Formats a duration in ns as "12.3ms" (ns < 0: "-"). */
const char *draw_duration(char *buf, size_t len, long long ns);
/* Formats a time in ns since the session's start as seconds ("1.250s"),
 * with as many decimals as a resolution of res_ns needs (1..9). */
const char *draw_time(char *buf, size_t len, long long ns, long long res_ns);
/* Draws n copies of one glyph at (y, x) in role r: `utf8` (one character of
 * our own, e.g. a block element) on a UTF-8 terminal, else the printable
 * ASCII `ascii`, so a timeline keeps distinct shapes on any terminal. */
void draw_glyphs(int y, int x, int n, enum term_role r, const char *utf8, char ascii);

#endif
