/*
 * json.c — the recursive-descent reader behind json.h.  Depth is bounded, so
 * a hostile report cannot exhaust the stack.
 */
#include "json.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

struct parser {
	const char *s, *p;
	char *err;
	size_t errlen;
	bool failed;
};

static void fail(struct parser *ps, const char *what)
{
	if (!ps->failed)
		snprintf(ps->err, ps->errlen, "%s at offset %zu", what, (size_t)(ps->p - ps->s));
	ps->failed = true;
}

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

static void free_value(struct json *v)
{
	size_t i;

	if (!v)
		return;
	free(v->string);
	for (i = 0; i < v->n; i++) {
		free_value(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	memset(v, 0, sizeof(*v));
}

static int hex4(struct parser *ps, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = ps->p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	ps->p += 4;
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* At the opening quote; returns a malloc'd string or NULL. */
static char *parse_string(struct parser *ps)
{
	const char *q;
	char *out, *o;

	ps->p++;
	/* the decoded string is never longer than the encoded one */
	for (q = ps->p; *q && *q != '"'; q++)
		if (*q == '\\' && q[1])
			q++;
	if (!*q) {
		fail(ps, "unterminated string");
		return NULL;
	}
	out = o = malloc((size_t)(q - ps->p) + 1);
	if (!out) {
		fail(ps, "out of memory");
		return NULL;
	}
	while (*ps->p != '"') {
		unsigned char c = (unsigned char)*ps->p++;

		if (c < 0x20) {
			fail(ps, "control character in string");
			goto bad;
		}
		if (c != '\\') {
			*o++ = (char)c;
			continue;
		}
		c = (unsigned char)*ps->p++;
		switch (c) {
		case '"': case '\\': case '/': *o++ = (char)c; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			unsigned cp, lo;

			if (hex4(ps, &cp) < 0) {
				fail(ps, "bad \\u escape");
				goto bad;
			}
			if (cp >= 0xd800 && cp < 0xdc00 && ps->p[0] == '\\' && ps->p[1] == 'u') {
				ps->p += 2;
				if (hex4(ps, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff) {
					fail(ps, "bad surrogate pair");
					goto bad;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			o += put_utf8(o, cp); /* \uXXXX (6 bytes) -> at most 4 */
			break;
		}
		default:
			fail(ps, "bad escape");
			goto bad;
		}
	}
	ps->p++;
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

static int parse_value(struct parser *ps, struct json *v, int depth);

static int append(struct parser *ps, struct json *v, char *key, size_t *cap)
{
	if (v->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct json *items = realloc(v->items, nc * sizeof(*items));
		char **keys;

		if (!items) {
			fail(ps, "out of memory");
			return -1;
		}
		v->items = items;
		if (v->type == JSON_OBJECT) {
			keys = realloc(v->keys, nc * sizeof(*keys));
			if (!keys) {
				fail(ps, "out of memory");
				return -1;
			}
			v->keys = keys;
		}
		*cap = nc;
	}
	memset(&v->items[v->n], 0, sizeof(v->items[0]));
	if (v->type == JSON_OBJECT)
		v->keys[v->n] = key;
	v->n++;
	return 0;
}

static int parse_container(struct parser *ps, struct json *v, int depth)
{
	char close = *ps->p == '{' ? '}' : ']';
	size_t cap = 0;

	v->type = close == '}' ? JSON_OBJECT : JSON_ARRAY;
	ps->p++;
	skip_ws(ps);
	if (*ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		char *key = NULL;

		skip_ws(ps);
		if (v->type == JSON_OBJECT) {
			if (*ps->p != '"') {
				fail(ps, "expected a key");
				return -1;
			}
			if (!(key = parse_string(ps)))
				return -1;
			skip_ws(ps);
			if (*ps->p != ':') {
				free(key);
				fail(ps, "expected ':'");
				return -1;
			}
			ps->p++;
		}
		if (append(ps, v, key, &cap) < 0) {
			free(key);
			return -1;
		}
		if (parse_value(ps, &v->items[v->n - 1], depth + 1) < 0)
			return -1;
		skip_ws(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == close) {
			ps->p++;
			return 0;
		}
		fail(ps, v->type == JSON_OBJECT ? "expected ',' or '}'" : "expected ',' or ']'");
		return -1;
	}
}

static int parse_value(struct parser *ps, struct json *v, int depth)
{
	char *end;

	if (depth > JSON_MAX_DEPTH) {
		fail(ps, "nested too deeply");
		return -1;
	}
	skip_ws(ps);
	switch (*ps->p) {
	case '{':
	case '[':
		return parse_container(ps, v, depth);
	case '"':
		v->type = JSON_STRING;
		v->string = parse_string(ps);
		return v->string ? 0 : -1;
	case 't':
	case 'f':
	case 'n': {
		static const char *const words[] = { "true", "false", "null" };

		for (int i = 0; i < 3; i++) {
			size_t len = strlen(words[i]);

			if (strncmp(ps->p, words[i], len) == 0) {
				v->type = i == 2 ? JSON_NULL : JSON_BOOL;
				v->boolean = i == 0;
				ps->p += len;
				return 0;
			}
		}
		fail(ps, "unknown word");
		return -1;
	}
	default:
		if (*ps->p != '-' && (*ps->p < '0' || *ps->p > '9')) {
			fail(ps, "unexpected character");
			return -1;
		}
		errno = 0;
		v->type = JSON_NUMBER;
		v->number = strtod(ps->p, &end);
		if (end == ps->p) {
			fail(ps, "bad number");
			return -1;
		}
		ps->p = end;
		return 0;
	}
}

struct json *json_parse(const char *text, char *err, size_t errlen)
{
	struct parser ps = { text, text, err, errlen, false };
	struct json *v = calloc(1, sizeof(*v));

	if (!v) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (parse_value(&ps, v, 0) == 0) {
		skip_ws(&ps);
		if (*ps.p)
			fail(&ps, "trailing characters");
	}
	if (ps.failed) {
		json_free(v);
		return NULL;
	}
	return v;
}

void json_free(struct json *v)
{
	free_value(v);
	free(v);
}

const struct json *json_get(const struct json *v, const char *key)
{
	size_t i;

	if (!v || v->type != JSON_OBJECT)
		return NULL;
	for (i = 0; i < v->n; i++)
		if (strcmp(v->keys[i], key) == 0)
			return &v->items[i];
	return NULL;
}

const char *json_get_str(const struct json *v, const char *key)
{
	const struct json *m = json_get(v, key);

	return m && m->type == JSON_STRING ? m->string : NULL;
}

double json_get_num(const struct json *v, const char *key, double def)
{
	const struct json *m = json_get(v, key);

	return m && m->type == JSON_NUMBER ? m->number : def;
}

bool json_is_null(const struct json *v)
{
	return !v || v->type == JSON_NULL;
}
