/*
 * The one sanitiser for bytes that came from a traced program (task names,
 * error messages, sites, procnames) on their way to a terminal, a log or a
 * text report.  Output is always valid UTF-8 with no control characters:
 *
 *   - valid UTF-8 sequences pass through (overlong forms, surrogates and
 *     code points above U+10FFFF are invalid);
 *   - each invalid byte becomes U+FFFD;
 *   - C0 controls, DEL and C1 controls (U+0080..U+009F) become visible
 *     escapes: \n \r \t (unless SANITIZE_EXPAND_TABS) \\ stays as is,
 *     others as \xNN (C1 as \u0080..\u009f);
 *   - with SANITIZE_EXPAND_TABS a tab becomes spaces to the next multiple of 8
 *     columns (columns counted in code points from the start of the string).
 *
 * The result is NUL-terminated and cut at a character boundary when `cap` is
 * too small (never a half sequence or half escape).
 */
#ifndef WEFT_STORE_SANITIZE_H
#define WEFT_STORE_SANITIZE_H

#include <stddef.h>

enum sanitize_flags {
	SANITIZE_EXPAND_TABS = 1u << 0,
};

/* Sanitises in[0..len) into out (capacity cap >= 1).  Returns the number of
 * bytes written, excluding the NUL.  in may contain NUL bytes (escaped). */
size_t sanitize(const char *in, size_t len, char *out, size_t cap, unsigned flags);

/* Worst-case output size for len input bytes, plus the NUL. */
#define SANITIZE_MAX(len) ((len) * 6 + 1)

#endif
