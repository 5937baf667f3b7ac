/* record.c: validation and normalisation of event records (SPEC §2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calendar.h"
#include "record.h"
#include "tocsin.h"

#define NOW	1772413200000LL		/* 2026-03-02T09:00:00+08:00 */

static struct record *
parse(const char *text, struct record_error *err)
{
	json_t		*in;
	struct record	*rec;

	in = json_loads(text, 0, NULL);
	assert_non_null(in);
	memset(err, 0, sizeof(*err));
	rec = record_parse(in, NOW, err);
	json_decref(in);
	return (rec);
}

static void
expect_error(const char *text, const char *code, const char *field)
{
	struct record_error	 err;
	struct record		*rec = parse(text, &err);

	assert_null(rec);
	assert_string_equal(err.code, code);
	assert_string_equal(err.field, field);
	assert_true(strlen(err.message) > 0);
}

/*
 * An event dated after its receipt would put off a deadline counted from
 * when it occurred: refused beyond a sender's clock drift, at the field.
 */
static void
test_future_occurred_at(void **state)
{
	struct record_error	 err;
	struct record		*rec;

	/* NOW is 09:00; five minutes ahead is drift, six is the future. */
	rec = parse("{\"type\":\"report\",\"incident\":\"k\",\"category\":"
	    "\"fire\",\"unit\":\"u\",\"occurred_at\":"
	    "\"2026-03-02T09:05:00+08:00\"}", &err);
	assert_non_null(rec);
	assert_int_equal(rec->occurred_at, NOW + 5 * MSEC_PER_MIN);
	record_free(rec);
	expect_error("{\"type\":\"report\",\"incident\":\"k\",\"category\":"
	    "\"fire\",\"unit\":\"u\",\"occurred_at\":"
	    "\"2026-03-02T09:06:00+08:00\"}", "invalid_value", "occurred_at");
	expect_error("{\"type\":\"update\",\"incident\":\"k\",\"unit\":\"u\","
	    "\"occurred_at\":\"2026-03-03T08:00:00+08:00\"}", "invalid_value",
	    "occurred_at");
}

static void
test_valid_report(void **state)
{
	struct record_error	 err;
	struct record		*rec;
	char			*out;

	rec = parse("{\"id\":\"e1\",\"type\":\"report\",\"incident\":\"inc-1\","
	    "\"category\":\"network_security\",\"grade\":\"较大\",\"unit\":"
	    "\"hospital-a\",\"deaths\":2,\"attrs\":{\"injured\":5},"
	    "\"occurred_at\":\"2026-03-02T08:30:00+08:00\"}", &err);
	assert_non_null(rec);
	assert_string_equal(rec->id, "e1");
	assert_string_equal(rec->type, "report");
	assert_string_equal(rec->incident, "inc-1");
	assert_string_equal(rec->unit, "hospital-a");
	assert_int_equal(rec->grade, 3);
	assert_int_equal(rec->received_at, NOW);
	assert_int_equal(rec->occurred_at, NOW - 30 * MSEC_PER_MIN);
	/* Unknown fields move into attrs; known attrs are kept. */
	out = json_dumps(rec->json, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_non_null(strstr(out, "\"attrs\":{\"injured\":5,\"deaths\":2}"));
	assert_non_null(strstr(out, "\"grade\":3"));
	free(out);
	record_free(rec);
}

/*
 * "drill" is a known field, true or false, kept as given: an event that
 * does not say inherits its incident's mark.  Anything but a boolean is
 * refused with the field named, not taken for an attribute.
 */
static void
test_drill(void **state)
{
	static const struct {
		const char	*drill;
		int		 want;
	} cases[] = {
		{ "true", RECORD_DRILL },
		{ "false", RECORD_NOT_DRILL },
		{ "null", 0 },
	};
	struct record_error	 err;
	struct record		*rec;
	char			 text[256], *out;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "{\"type\":\"report\","
		    "\"incident\":\"d-1\",\"category\":\"fire\","
		    "\"unit\":\"u\",\"drill\":%s}", cases[i].drill);
		rec = parse(text, &err);
		assert_non_null(rec);
		assert_int_equal(rec->drill, cases[i].want);
		out = json_dumps(rec->json, JSON_COMPACT);
		assert_null(strstr(out, "attrs"));
		assert_true((strstr(out, "\"drill\":") != NULL) ==
		    (cases[i].want != 0));
		free(out);
		record_free(rec);
	}
	rec = parse("{\"type\":\"update\",\"incident\":\"d-1\","
	    "\"unit\":\"u\"}", &err);
	assert_non_null(rec);
	assert_int_equal(rec->drill, 0);
	record_free(rec);
	expect_error("{\"type\":\"report\",\"incident\":\"d-1\","
	    "\"category\":\"fire\",\"unit\":\"u\",\"drill\":\"true\"}",
	    "wrong_type", "drill");
	expect_error("{\"type\":\"report\",\"incident\":\"d-1\","
	    "\"category\":\"fire\",\"unit\":\"u\",\"drill\":1}",
	    "wrong_type", "drill");
}

/* Keys with dots, CJK and spaces are fine where they are not "." or "..". */
static void
test_incident_keys(void **state)
{
	static const char *keys[] = {
		"...", ".a", "a..b", "2026-网安-001", "inc 1", "a:b", "a+b",
	};
	struct record_error	 err;
	struct record		*rec;
	char			 text[256];
	size_t			 i;

	for (i = 0; i < nitems(keys); i++) {
		snprintf(text, sizeof(text), "{\"type\":\"update\",\"incident\":"
		    "\"%s\",\"unit\":\"u\"}", keys[i]);
		rec = parse(text, &err);
		assert_non_null(rec);
		assert_string_equal(rec->incident, keys[i]);
		record_free(rec);
	}
}

static void
test_grades(void **state)
{
	static const char *forms[][2] = {
		{ "1", "1" }, { "\"I\"", "1" }, { "\"特别重大\"", "1" },
		{ "\"II\"", "2" }, { "\"重大\"", "2" }, { "\"III\"", "3" },
		{ "\"IV\"", "4" }, { "\"一般\"", "4" }, { "4", "4" },
	};
	struct record_error	 err;
	struct record		*rec;
	char			 text[256];
	size_t			 i;

	for (i = 0; i < nitems(forms); i++) {
		snprintf(text, sizeof(text), "{\"type\":\"update\",\"incident\":"
		    "\"k\",\"unit\":\"u\",\"grade\":%s}", forms[i][0]);
		rec = parse(text, &err);
		assert_non_null(rec);
		assert_int_equal(rec->grade, atoi(forms[i][1]));
		record_free(rec);
	}
	expect_error("{\"type\":\"update\",\"incident\":\"k\",\"unit\":\"u\","
	    "\"grade\":5}", "invalid_value", "grade");
	expect_error("{\"type\":\"update\",\"incident\":\"k\",\"unit\":\"u\","
	    "\"grade\":\"X\"}", "invalid_value", "grade");
	expect_error("{\"type\":\"update\",\"incident\":\"k\",\"unit\":\"u\","
	    "\"grade\":2.5}", "invalid_value", "grade");
}

static void
test_bad_records(void **state)
{
	expect_error("[]", "not_an_object", "");
	expect_error("{\"unit\":\"u\"}", "missing_field", "type");
	expect_error("{\"type\":5,\"unit\":\"u\"}", "wrong_type", "type");
	expect_error("{\"type\":\"Report!\",\"unit\":\"u\"}", "invalid_value",
	    "type");
	expect_error("{\"type\":\"report\",\"incident\":\"k\",\"unit\":\"u\"}",
	    "missing_field", "category");
	expect_error("{\"type\":\"report\",\"category\":\"x\",\"unit\":\"u\"}",
	    "missing_field", "incident");
	expect_error("{\"type\":\"update\",\"incident\":\"k\"}",
	    "missing_field", "unit");
	expect_error("{\"type\":\"update\",\"incident\":\"k\",\"unit\":5}",
	    "wrong_type", "unit");
	expect_error("{\"type\":\"update\",\"incident\":\"a/b\",\"unit\":\"u\"}",
	    "invalid_value", "incident");
	/* An incident key is a path segment: nothing a URL would read otherwise. */
	expect_error("{\"type\":\"update\",\"incident\":\"..\",\"unit\":\"u\"}",
	    "invalid_value", "incident");
	expect_error("{\"type\":\"update\",\"incident\":\".\",\"unit\":\"u\"}",
	    "invalid_value", "incident");
	expect_error("{\"type\":\"update\",\"incident\":\"a%2Fb\",\"unit\":"
	    "\"u\"}", "invalid_value", "incident");
	expect_error("{\"type\":\"update\",\"incident\":\"a\\\\b\",\"unit\":"
	    "\"u\"}", "invalid_value", "incident");
	expect_error("{\"type\":\"update\",\"incident\":\"a?b\",\"unit\":\"u\"}",
	    "invalid_value", "incident");
	expect_error("{\"type\":\"update\",\"incident\":\"a#b\",\"unit\":\"u\"}",
	    "invalid_value", "incident");
	expect_error("{\"type\":\"update\",\"incident\":\"k\",\"unit\":\"u\","
	    "\"occurred_at\":\"yesterday\"}", "invalid_value", "occurred_at");
	expect_error("{\"type\":\"update\",\"incident\":\"k\",\"unit\":\"u\","
	    "\"attrs\":[1]}", "wrong_type", "attrs");
	expect_error("{\"type\":\"update\",\"incident\":\"k\",\"unit\":\"u\","
	    "\"title\":7}", "wrong_type", "title");
	expect_error("{\"type\":\"daily\",\"unit\":\"u\"}", "missing_field",
	    "zero");
	expect_error("{\"type\":\"daily\",\"unit\":\"u\",\"zero\":\"yes\"}",
	    "wrong_type", "zero");
}

/*
 * Every bidi control, in every field the duty room reads, is refused with
 * the field named; its look-alikes (ZWJ, LRM's neighbours, U+2065, the
 * Arabic letters beside U+061C) pass.
 */
static void
test_bidi_controls_refused(void **state)
{
	static const char *controls[] = {
		"\\u061c", "\\u200e", "\\u200f", "\\u202a", "\\u202b",
		"\\u202c", "\\u202d", "\\u202e", "\\u2066", "\\u2067",
		"\\u2068", "\\u2069",
	};
	static const char *fields[] = {
		"title", "summary", "location", "by", "unit", "incident", "id",
	};
	static const char *harmless[] = {
		"\\u200d", "\\u2065", "\\u202f", "\\u061b", "\\u061d",
		"\\u2028", "\\u00ae",
	};
	struct record_error	 err;
	struct record		*rec;
	char			 text[512];
	size_t			 i, j;

	for (i = 0; i < nitems(controls); i++) {
		for (j = 0; j < nitems(fields); j++) {
			snprintf(text, sizeof(text), "{\"type\":\"update\","
			    "\"incident\":\"k\",\"unit\":\"u\",\"%s\":"
			    "\"门户网站%s被篡改\"}", fields[j], controls[i]);
			expect_error(text, "invalid_value", fields[j]);
		}
	}
	for (i = 0; i < nitems(harmless); i++) {
		snprintf(text, sizeof(text), "{\"type\":\"update\",\"incident\""
		    ":\"k%s\",\"unit\":\"u\",\"title\":\"门户%s\"}",
		    harmless[i], harmless[i]);
		rec = parse(text, &err);
		assert_non_null(rec);
		record_free(rec);
	}
	assert_int_equal(record_bidi_control("abc\xe2\x80\xae"), 0x202e);
	assert_int_equal(record_bidi_control("\xe2\x81\xa9"), 0x2069);
	assert_int_equal(record_bidi_control("\xd8\x9c"), 0x061c);
	assert_int_equal(record_bidi_control("\xe2\x80"), 0);
	assert_int_equal(record_bidi_control(""), 0);
}

static void
test_long_key(void **state)
{
	char	text[512], key[KEY_MAX + 2];

	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	snprintf(text, sizeof(text), "{\"type\":\"update\",\"incident\":\"%s\","
	    "\"unit\":\"u\"}", key);
	expect_error(text, "invalid_value", "incident");
}

static void
test_utf8(void **state)
{
	assert_true(record_valid_utf8("abc", 3));
	assert_true(record_valid_utf8("网络安全", strlen("网络安全")));
	assert_false(record_valid_utf8("\xff", 1));
	assert_false(record_valid_utf8("\xc0\xaf", 2));		/* overlong */
	assert_false(record_valid_utf8("\xed\xa0\x80", 3));	/* surrogate */
	assert_false(record_valid_utf8("\xe7\xbd", 2));		/* truncated */
	assert_false(record_valid_utf8("\xf4\x90\x80\x80", 4));	/* > U+10FFFF */
}

static struct record **
body(const char *text, size_t limit, const char *prefix, size_t *n,
    struct record_error *err, int *status)
{
	memset(err, 0, sizeof(*err));
	*status = 0;
	return (record_parse_body(text, strlen(text), limit, NOW, prefix, n,
	    err, status));
}

/* The one path from a body's text to records, for POST and the spool. */
static void
test_body(void **state)
{
	struct record_error	  err;
	struct record		**recs;
	size_t			  n = 99;
	int			  status;

	recs = body("{\"type\":\"daily\",\"unit\":\"a\",\"zero\":true}",
	    1024, NULL, &n, &err, &status);
	assert_non_null(recs);
	assert_int_equal(n, 1);
	assert_null(recs[0]->id);
	record_batch_free(recs, n);

	/* An id is given where there is none, in its usual place. */
	recs = body("[{\"type\":\"daily\",\"unit\":\"a\",\"zero\":true},"
	    "{\"id\":\"own\",\"type\":\"daily\",\"unit\":\"b\","
	    "\"zero\":true},{\"id\":null,\"type\":\"daily\",\"unit\":"
	    "\"c\",\"zero\":false}]", 1024, "spool:ab", &n, &err, &status);
	assert_non_null(recs);
	assert_int_equal(n, 3);
	assert_string_equal(recs[0]->id, "spool:ab:0");
	assert_string_equal(recs[1]->id, "own");
	assert_string_equal(recs[2]->id, "spool:ab:2");
	assert_string_equal(json_string_value(json_object_iter_value(
	    json_object_iter(recs[0]->json))), "spool:ab:0");
	record_batch_free(recs, n);

	assert_null(body("{\"type\":", 1024, NULL, &n, &err, &status));
	assert_int_equal(status, 400);
	assert_string_equal(err.code, "invalid_json");
	assert_null(body("", 1024, NULL, &n, &err, &status));
	assert_string_equal(err.code, "invalid_json");
	assert_null(body("{\"title\":\"\xff\"}", 1024, NULL, &n, &err,
	    &status));
	assert_string_equal(err.code, "invalid_utf8");
	assert_null(body("{\"type\":\"daily\",\"unit\":\"a\",\"zero\":"
	    "true}", 10, NULL, &n, &err, &status));
	assert_int_equal(status, 413);
	assert_string_equal(err.code, "body_too_large");
	assert_null(body("42", 1024, NULL, &n, &err, &status));
	assert_string_equal(err.code, "not_an_object");
	assert_null(body("[]", 1024, NULL, &n, &err, &status));
	assert_string_equal(err.code, "invalid_value");
	assert_null(body("[{\"type\":\"daily\",\"unit\":\"a\",\"zero\":"
	    "true},{\"type\":\"daily\",\"zero\":true}]", 1024, "p", &n,
	    &err, &status));
	assert_int_equal(status, 400);
	assert_string_equal(err.code, "missing_field");
	assert_string_equal(err.field, "unit");
	assert_true(strncmp(err.message, "event 1: ", 9) == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_report),
		cmocka_unit_test(test_drill),
		cmocka_unit_test(test_future_occurred_at),
		cmocka_unit_test(test_grades),
		cmocka_unit_test(test_incident_keys),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_bidi_controls_refused),
		cmocka_unit_test(test_long_key),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_body),
	};
	char	*cause = NULL;

	if (calendar_set_zone("Asia/Shanghai", &cause) != 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
