/*
 * Strict parsing of command-line values shared by the `weft` command and
 * weftd: a malformed value is an error, never a silent default.
 */
#ifndef WEFT_COMMON_PARSE_H
#define WEFT_COMMON_PARSE_H

#include <stdint.h>

/* "500ms", "1.5s", "2m", "1h", "10" (seconds); units ns, us, ms, s, m, h.
 * Returns nanoseconds, or -1 if malformed, negative or too large. */
int64_t parse_duration(const char *s);

/* A decimal integer in [min, max] with nothing after it: 0, or -1. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

#endif
