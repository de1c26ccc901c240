/*
 * The sanitiser; see sanitize.h.  A small UTF-8 validator (RFC 3629 ranges)
 * and an escaper, written to never read past len and never write past cap.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sanitize.h"

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_valid(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

size_t sanitize(const char *in, size_t len, char *out, size_t cap, unsigned flags)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0, col = 0;

	if (cap == 0)
		return 0;
	while (i < len) {
		char buf[16];
		const char *piece = buf;
		size_t plen, width = 0; /* 0: as many columns as bytes (ASCII) */
		uint32_t cp;
		size_t n = utf8_valid(s + i, len - i, &cp);

		if (n == 0) {
			piece = "\xef\xbf\xbd"; /* U+FFFD */
			plen = 3;
			width = 1;
			n = 1;
		} else if (cp == '\t' && (flags & SANITIZE_EXPAND_TABS)) {
			size_t spaces = 8 - col % 8;
			memset(buf, ' ', spaces);
			plen = spaces;
		} else if (cp == '\n') {
			piece = "\\n";
			plen = 2;
		} else if (cp == '\r') {
			piece = "\\r";
			plen = 2;
		} else if (cp == '\t') {
			piece = "\\t";
			plen = 2;
		} else if (cp < 0x20 || cp == 0x7f) {
			plen = (size_t)snprintf(buf, sizeof buf, "\\x%02x", (unsigned)cp);
		} else if (cp >= 0x80 && cp <= 0x9f) {
			plen = (size_t)snprintf(buf, sizeof buf, "\\u%04x", (unsigned)cp);
		} else {
			piece = (const char *)s + i;
			plen = n;
			width = 1;
		}
		if (!width)
			width = plen;
		if (o + plen + 1 > cap)
			break;
		memcpy(out + o, piece, plen);
		o += plen;
		i += n;
		col += width;
	}
	out[o] = '\0';
	return o;
}
