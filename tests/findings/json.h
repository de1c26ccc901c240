/*
 * json.h — a small JSON reader for the test: enough of RFC 8259 to read
 * `weft report --format json` (docs/detectors.md) without trusting its exact
 * layout: objects, arrays, strings (every escape, \u with surrogate pairs to
 * UTF-8), numbers, true, false, null.  Values are a tree owned by the root.
 */
#ifndef WEFT_TEST_JSON_H
#define WEFT_TEST_JSON_H

#include <stdbool.h>
#include <stddef.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
	enum json_type type;
	bool boolean;
	double number;
	char *string;        /* JSON_STRING: NUL-terminated UTF-8 */
	struct json *items;  /* JSON_ARRAY, JSON_OBJECT: n values */
	char **keys;         /* JSON_OBJECT: n keys */
	size_t n;
};

/* Parses text (the whole of it: trailing garbage is an error).  NULL on
 * failure with "what at offset N" in err. */
struct json *json_parse(const char *text, char *err, size_t errlen);
void json_free(struct json *v);

/* Member `key` of an object, or NULL (also when v is not an object). */
const struct json *json_get(const struct json *v, const char *key);
/* Member `key` as a string / number; NULL / def when absent or another type. */
const char *json_get_str(const struct json *v, const char *key);
double json_get_num(const struct json *v, const char *key, double def);
bool json_is_null(const struct json *v);

#endif
