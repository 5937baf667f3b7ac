/*
 * Fuzz event validation (src/record.c) the way POST /v1/events reaches it:
 * body bytes, decoded by jansson with the daemon's flags, then one record
 * or each element of an array through record_parse.
 *
 * Checked besides the sanitizers: a refused record says why; an accepted
 * one has its required fields, a grade of 0..4 and valid UTF-8, encodes
 * back to JSON, and normalising it again changes nothing.  The UTF-8
 * check that guards the body is compared with a decoder written here,
 * and jsonw's text of the body and of each record with jansson's.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "calendar.h"
#include "jsonw.h"
#include "log.h"
#include "record.h"
#include "tocsin.h"

#include "fuzz.h"

/* 2026-03-02T09:00:00.250+08:00, a Monday morning. */
#define FUZZ_NOW	1772413200250LL

/* Strict UTF-8 the long way: decode each sequence, then judge the value. */
static int
reference_utf8(const uint8_t *p, size_t len)
{
	size_t		i = 0, n, k;
	uint32_t	c, min;

	while (i < len) {
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1;
			c &= 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			c &= 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			c &= 0x07;
			min = 0x10000;
		} else
			return (0);
		if (len - i - 1 < n)
			return (0);
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return (0);
			c = (c << 6) | (p[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return (0);
		i += n + 1;
	}
	return (1);
}

/* jsonw writes what json_dumps() writes, or refuses what it refuses. */
static void
check_jsonw(const json_t *v)
{
	char	*fast = jsonw_dumps(v), *ref = json_dumps(v, JSON_COMPACT);

	FUZZ_CHECK((fast == NULL) == (ref == NULL));
	FUZZ_CHECK(fast == NULL || strcmp(fast, ref) == 0);
	free(fast);
	free(ref);
}

static int
text_ok(json_t *v)
{
	return (v == NULL || (json_is_string(v) &&
	    record_valid_utf8(json_string_value(v), json_string_length(v))));
}

static void
check_record(json_t *in)
{
	struct record_error	 err;
	struct record		*ev, *again;
	char			*text;
	size_t			 i;
	static const char	*texts[] = { "id", "type", "incident",
	    "category", "unit", "title", "summary", "location", "by",
	    "occurred_at", "received_at" };

	memset(&err, 0, sizeof(err));
	if ((ev = record_parse(in, FUZZ_NOW, &err)) == NULL) {
		FUZZ_CHECK(err.code != NULL && *err.code != '\0');
		FUZZ_CHECK(memchr(err.message, '\0', sizeof(err.message)));
		FUZZ_CHECK(memchr(err.field, '\0', sizeof(err.field)));
		return;
	}
	FUZZ_CHECK(ev->type != NULL && ev->unit != NULL);
	FUZZ_CHECK(ev->grade >= GRADE_NONE && ev->grade <= GRADE_MAX);
	FUZZ_CHECK(ev->received_at == FUZZ_NOW);
	FUZZ_CHECK(strlen(ev->unit) <= KEY_MAX);
	FUZZ_CHECK(ev->incident == NULL || strlen(ev->incident) <= KEY_MAX);
	FUZZ_CHECK(ev->id == NULL || strlen(ev->id) <= KEY_MAX);
	for (i = 0; i < nitems(texts); i++)
		FUZZ_CHECK(text_ok(json_object_get(ev->json, texts[i])));

	/* What the store and the API write out must encode. */
	text = json_dumps(ev->json, JSON_COMPACT | JSON_PRESERVE_ORDER);
	FUZZ_CHECK(text != NULL);
	free(text);
	check_jsonw(ev->json);

	/* Normalising is idempotent (times are kept to the second). */
	again = record_parse(ev->json, FUZZ_NOW, &err);
	FUZZ_CHECK(again != NULL);
	FUZZ_CHECK(json_equal(again->json, ev->json));
	FUZZ_CHECK(again->occurred_at == ev->occurred_at -
	    ((ev->occurred_at % MSEC_PER_SEC) + MSEC_PER_SEC) % MSEC_PER_SEC);
	record_free(again);
	record_free(ev);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	*cause;

	log_init("fuzz_record", LOG_LEVEL_ERROR);
	if (calendar_set_zone("Asia/Shanghai", &cause) != 0) {
		fprintf(stderr, "fuzz_record: %s\n", cause);
		exit(1);
	}
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t		*body;
	json_error_t	 jerr;
	size_t		 i;

	FUZZ_CHECK(record_valid_utf8((const char *)data, size) ==
	    reference_utf8(data, size));

	/* As http_read_json: UTF-8 first, then JSON. */
	if (!record_valid_utf8((const char *)data, size))
		return (0);
	body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_ANY, &jerr);
	if (body == NULL)
		return (0);
	check_jsonw(body);
	if (json_is_array(body)) {
		for (i = 0; i < json_array_size(body) && i < 1000; i++)
			check_record(json_array_get(body, i));
	} else
		check_record(body);
	json_decref(body);
	return (0);
}
