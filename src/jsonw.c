/*
 * Compact JSON written straight into a buffer.  jansson's json_dumps()
 * checks every object for a loop by printing its address into a hashtable
 * key, and calls back once per token: at the few hundred bytes an event
 * makes, that cost more than the SQLite rows the text went into.  Here
 * the same bytes come from one pass: UTF-8 passes through, '"', '\\' and
 * controls are escaped as jansson escapes them, and a string that is not
 * UTF-8 is refused, as json_string() refuses it.  tests/unit/test_jsonw.c
 * and the record fuzzer compare the bytes with jansson's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "record.h"
#include "xmalloc.h"

/* Deeper than any body jansson parses (2048): a loop, or not ours. */
#define JSONW_DEPTH_MAX	4096

void
jsonw_init(struct jsonw *b, size_t cap)
{
	b->cap = cap > 16 ? cap : 16;
	b->p = xmalloc(b->cap);
	b->p[0] = '\0';
	b->len = 0;
	b->bad = 0;
}

/* The text, which the caller frees; b is empty afterwards. */
char *
jsonw_take(struct jsonw *b)
{
	char	*p = b->p;

	b->p = NULL;
	b->len = b->cap = 0;
	return (p);
}

void
jsonw_free(struct jsonw *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static void
jsonw_grow(struct jsonw *b, size_t n)
{
	if (b->len + n + 1 <= b->cap)
		return;
	while (b->len + n + 1 > b->cap)
		b->cap *= 2;
	b->p = xreallocarray(b->p, b->cap, 1);
}

void
jsonw_raw(struct jsonw *b, const char *s, size_t n)
{
	jsonw_grow(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
jsonw_char(struct jsonw *b, char c)
{
	jsonw_grow(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

/* A ',' unless this is the first member or element. */
static void
jsonw_sep(struct jsonw *b)
{
	if (b->len > 0 && b->p[b->len - 1] != '{' && b->p[b->len - 1] != '[')
		jsonw_char(b, ',');
}

void
jsonw_open(struct jsonw *b, char c)
{
	jsonw_char(b, c);
}

void
jsonw_close(struct jsonw *b, char c)
{
	jsonw_char(b, c);
}

/* A quoted string; -1 (and b->bad) when s is not UTF-8. */
int
jsonw_string(struct jsonw *b, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p = (const unsigned char *)s, *end = p + len;
	const unsigned char	*run = p;
	char			 esc[6];
	size_t			 n;
	unsigned char		 c;

	jsonw_grow(b, len + 2);
	b->p[b->len++] = '"';
	while (p < end) {
		c = *p;
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			p++;
			continue;
		}
		if (c >= 0x80) {
			if ((n = record_utf8_len(p, end)) == 0) {
				b->p[b->len] = '\0';
				b->bad = 1;
				return (-1);
			}
			p += n;
			continue;
		}
		jsonw_raw(b, (const char *)run, (size_t)(p - run));
		esc[0] = '\\';
		n = 2;
		switch (c) {
		case '"':
		case '\\':
			esc[1] = (char)c;
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			n = 6;
			break;
		}
		jsonw_raw(b, esc, n);
		run = ++p;
	}
	jsonw_raw(b, (const char *)run, (size_t)(p - run));
	jsonw_char(b, '"');
	return (0);
}

/* "key": with its ','; key is one of ours, written as it is. */
void
jsonw_key(struct jsonw *b, const char *key)
{
	size_t	n = strlen(key);

	jsonw_sep(b);
	jsonw_grow(b, n + 3);
	b->p[b->len++] = '"';
	memcpy(b->p + b->len, key, n);
	b->len += n;
	b->p[b->len++] = '"';
	b->p[b->len++] = ':';
	b->p[b->len] = '\0';
}

/*
 * "key":"value", left out when value is NULL or not UTF-8, as
 * json_object_set_new(o, key, json_string(value)) leaves it out; the
 * second also sets b->bad, for a caller that must know.
 */
void
jsonw_str(struct jsonw *b, const char *key, const char *value)
{
	size_t	len = b->len;

	if (value == NULL)
		return;
	jsonw_key(b, key);
	if (jsonw_string(b, value, strlen(value)) != 0) {
		b->len = len;
		b->p[len] = '\0';
	}
}

static void
jsonw_number(struct jsonw *b, long long v)
{
	char			 buf[24], *p = buf + sizeof(buf);
	unsigned long long	 u = v < 0 ? 0ULL - (unsigned long long)v :
	    (unsigned long long)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	jsonw_raw(b, p, (size_t)(buf + sizeof(buf) - p));
}

void
jsonw_int(struct jsonw *b, const char *key, long long v)
{
	jsonw_key(b, key);
	jsonw_number(b, v);
}

static int
jsonw_do(struct jsonw *b, const json_t *v, int depth)
{
	const char	*key;
	json_t		*m;
	void		*it;
	char		*s;
	size_t		 i;

	if (depth > JSONW_DEPTH_MAX)
		goto bad;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		jsonw_char(b, '{');
		for (it = json_object_iter((json_t *)v), i = 0; it != NULL;
		    it = json_object_iter_next((json_t *)v, it), i++) {
			if (i > 0)
				jsonw_char(b, ',');
			key = json_object_iter_key(it);
			if (jsonw_string(b, key, json_object_iter_key_len(it)) != 0)
				return (-1);
			jsonw_char(b, ':');
			m = json_object_iter_value(it);
			if (jsonw_do(b, m, depth + 1) != 0)
				return (-1);
		}
		jsonw_char(b, '}');
		return (0);
	case JSON_ARRAY:
		jsonw_char(b, '[');
		for (i = 0; i < json_array_size(v); i++) {
			if (i > 0)
				jsonw_char(b, ',');
			if (jsonw_do(b, json_array_get(v, i), depth + 1) != 0)
				return (-1);
		}
		jsonw_char(b, ']');
		return (0);
	case JSON_STRING:
		return (jsonw_string(b, json_string_value(v),
		    json_string_length(v)));
	case JSON_INTEGER:
		jsonw_number(b, (long long)json_integer_value(v));
		return (0);
	case JSON_REAL:
		/* Rare here, and jansson's "%.17g" rules are its own. */
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (s == NULL)
			goto bad;
		jsonw_raw(b, s, strlen(s));
		free(s);
		return (0);
	case JSON_TRUE:
		jsonw_raw(b, "true", 4);
		return (0);
	case JSON_FALSE:
		jsonw_raw(b, "false", 5);
		return (0);
	case JSON_NULL:
		jsonw_raw(b, "null", 4);
		return (0);
	}
bad:
	b->bad = 1;
	return (-1);
}

/* Any value, as json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) writes it. */
int
jsonw_value(struct jsonw *b, const json_t *v)
{
	if (v == NULL) {
		b->bad = 1;
		return (-1);
	}
	return (jsonw_do(b, v, 0));
}

/*
 * json_dumps(v, JSON_COMPACT), byte for byte (key order is insertion
 * order either way in jansson 2.14, so JSON_PRESERVE_ORDER is the same).
 * Whatever this writer refuses goes to jansson, whose answer stands.
 */
char *
jsonw_dumps(const json_t *v)
{
	struct jsonw	b;

	if (!json_is_object(v) && !json_is_array(v))
		return (json_dumps(v, JSON_COMPACT));
	jsonw_init(&b, 512);
	if (jsonw_do(&b, v, 0) != 0) {
		jsonw_free(&b);
		return (json_dumps(v, JSON_COMPACT));
	}
	return (jsonw_take(&b));
}
