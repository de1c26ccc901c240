/*
 * hostile-tp: a traced program that is its own "weft" tracepoint provider.
 * It includes probes/weft-tp.h with LTTNG_UST_TRACEPOINT_CREATE_PROBES and
 * does not link libweft, so nothing bounds its strings: it emits what any
 * program with its own copy of the provider can put in a trace, and what
 * weftd receives from other hosts.
 *
 *   hostile-tp [BYTES]   strings of BYTES (default 1 MiB) in every string
 *                        field of task_end, annotate, cancel_request,
 *                        block_begin and context_new, then control bytes,
 *                        terminal escapes and invalid UTF-8 in short ones.
 *
 * Prints "hostile-tp: N events" (N = events emitted) and exits 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LTTNG_UST_TRACEPOINT_DEFINE
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include "weft-tp.h"

/* A string of n bytes: a recognisable prefix, then a pattern. */
static char *big(size_t n, char fill)
{
	char *s = malloc(n + 1);

	if (!s)
		exit(1);
	memset(s, fill, n);
	s[n] = '\0';
	if (n >= 4)
		memcpy(s, "BIG:", 4);
	return s;
}

int main(int argc, char **argv)
{
	static const char *const nasty[] = {
		"\x1b]0;owned\x07\x1b[2J\x1b[31mred",       /* OSC title, clear, colour */
		"ctl\x01\x02\x7f\r\n\tend",                 /* control bytes */
		"bad\xff\xfe\xc3\x28\xe2\x82utf8",           /* invalid UTF-8 */
		"\xf0\x9f\x98\x80 ok \xe2\x9c\x93",          /* valid 4- and 3-byte UTF-8 */
		"\x1bP+q\x1b\\\x9b" "6n",                    /* DCS query, 8-bit CSI */
	};
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 0) : 1u << 20;
	char *a = big(n, 'a'), *b = big(n, 'b');
	unsigned events = 0;

	lttng_ust_tracepoint(weft, context_new, 1, 0, a, 4, 4);
	lttng_ust_tracepoint(weft, task_end, 7, 1, -5, b);
	lttng_ust_tracepoint(weft, annotate, 7, a, b);
	lttng_ust_tracepoint(weft, cancel_request, 9, a);
	lttng_ust_tracepoint(weft, block_begin, b);
	events += 5;
	for (size_t i = 0; i < sizeof nasty / sizeof nasty[0]; i++) {
		lttng_ust_tracepoint(weft, task_end, 100 + i, 1, -1, nasty[i]);
		lttng_ust_tracepoint(weft, annotate, 100 + i, nasty[i], nasty[i]);
		lttng_ust_tracepoint(weft, cancel_request, 200 + i, nasty[i]);
		lttng_ust_tracepoint(weft, block_begin, nasty[i]);
		lttng_ust_tracepoint(weft, context_new, 300 + i, 1, nasty[i], 1, 1);
		events += 5;
	}
	printf("hostile-tp: %u events\n", events);
	free(a);
	free(b);
	return 0;
}
