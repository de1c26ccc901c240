/*
 * libFuzzer target for the sanitiser: whatever bytes a traced program sends,
 * the output must fit the buffer, be NUL-terminated, be valid UTF-8 by an
 * independent decoder (glibc's mbrtowc in C.UTF-8), and contain no C0, DEL or
 * C1 control character.  Runs under ASan+UBSan.
 */
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *out, size_t n, size_t cap)
{
	mbstate_t st;
	size_t i = 0;

	if (n >= cap || out[n] != '\0' || strlen(out) != n)
		abort();
	memset(&st, 0, sizeof st);
	while (i < n) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, out + i, n - i, &st);
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0)
			abort();
		if (wc < 0x20 || wc == 0x7f || (wc >= 0x80 && wc <= 0x9f))
			abort();
		i += k;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	size_t cap = SANITIZE_MAX(size), small;
	char *out = malloc(cap);
	unsigned flags = size ? data[0] & 1 : 0;

	if (!init) {
		if (!setlocale(LC_CTYPE, "C.UTF-8"))
			abort();
		init = 1;
	}
	if (!out)
		return 0;
	check(out, sanitize((const char *)data, size, out, cap, flags), cap);
	/* a cut output must still be whole characters */
	small = size ? 1 + data[size - 1] % (cap > 64 ? 64 : cap) : 1;
	check(out, sanitize((const char *)data, size, out, small, flags), small);
	free(out);
	return 0;
}
