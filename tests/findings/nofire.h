/*
 * nofire.h — what the must-not-fire programs share.  Each nofire-*.c is a
 * near miss of one or more detectors (DESIGN.md section 1): the same kind of
 * work as the matching example, done right or kept under the threshold, so
 * that no detector may report anything.  Built on weft's reference runtime
 * (weft/rt.h) and examples/example.h, like the examples.
 *
 * Conventions (test-findings.c relies on them): a program prints exactly one
 * line "NAME: ..." and exits 0.  A program whose near miss depends on timing
 * measures its own margin; if this run was too perturbed (a noisy machine)
 * for the margin to hold, it says so on stderr ("NAME: perturbed: ...") and
 * exits NOFIRE_PERTURBED, so that the test records it again or fails with
 * that message instead of blaming (or excusing) a detector.
 */
#ifndef WEFT_NOFIRE_H
#define WEFT_NOFIRE_H

#include <stdarg.h>

#include "example.h"

#define NOFIRE_PERTURBED 3

static inline int nofire_perturbed(const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline int nofire_perturbed(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: perturbed: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return NOFIRE_PERTURBED;
}

static inline double nofire_ms(int64_t ns)
{
	return (double)ns / 1e6;
}

#endif
