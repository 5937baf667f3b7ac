/*
 * jsonw.c: the writer's bytes are json_dumps()'s, for parsed bodies, for
 * values built in C, and for what jansson refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsonw.h"

static void
same_value(const json_t *v)
{
	char	*fast = jsonw_dumps(v);
	char	*ref = json_dumps(v, JSON_COMPACT);
	char	*ordered = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (ref == NULL)
		assert_null(fast);
	else {
		assert_non_null(fast);
		assert_string_equal(fast, ref);
		assert_string_equal(fast, ordered);
	}
	free(fast);
	free(ref);
	free(ordered);
}

static void
same_text(const char *text)
{
	json_t		*v;
	json_error_t	 jerr;

	v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (v == NULL)
		fail_msg("%s: %s", text, jerr.text);
	same_value(v);
	json_decref(v);
}

static void
test_parsed(void **state)
{
	static const char *texts[] = {
		"{}", "[]", "[[],{},[{}]]", "{\"a\":{}}",
		"{\"id\":\"ev-1\",\"type\":\"report\",\"grade\":3,"
		    "\"attrs\":{\"injured\":2,\"location\":\"east gate\"}}",
		"[1,-1,0,9223372036854775807,-9223372036854775808,"
		    "true,false,null]",
		"[1.5,-0.0,1e300,2.5e-300,3.0,100000000000000000000.0,"
		    "0.1,123456789.123456789]",
		"{\"z\":1,\"a\":2,\"m\":3,\"b\":{\"y\":[1,{\"x\":null}]}}",
		"[\"a\\\"b\\\\c/d\\be\\ff\\ng\\rh\\ti\\u0001j\\u001fk\\u007f\"]",
		"[\"\\u0000 nul\",\"门户网站被篡改 🚨\",\"\\ud83d\\udea8\"]",
		"{\"key \\\"quoted\\\"\\n\":\"v\",\"门\":\"户\"}",
		"[\"\",\"\\u00e9\\u0800\\uffff\"]",
	};
	size_t	i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		same_text(texts[i]);
}

static void
test_built(void **state)
{
	json_t	*o, *a;

	o = json_object();
	json_object_set_new(o, "b", json_string("1"));
	json_object_set_new(o, "a", json_integer(-42));
	json_object_set_new(o, "b", json_string("replaced, in place"));
	json_object_setn_new(o, "n\0ul", 4, json_true());
	a = json_array();
	json_array_append_new(a, json_stringn("x\0y", 3));
	json_array_append_new(a, json_real(0.25));
	json_array_append(a, o);	/* shared, not a loop */
	json_object_set_new(o, "list", json_deep_copy(a));
	json_array_append_new(a, json_deep_copy(o));
	same_value(o);
	same_value(a);
	json_decref(a);
	json_decref(o);

	/* Bare values: json_dumps() wants an object or an array. */
	o = json_string("bare");
	same_value(o);
	json_decref(o);
	same_value(NULL);
}

static void
test_refused(void **state)
{
	json_t	*o, *a;

	/* A loop: jansson refuses it, and so, through jansson, do we. */
	o = json_object();
	a = json_array();
	json_object_set(o, "a", a);
	json_array_append(a, o);
	same_value(o);
	json_array_clear(a);
	json_decref(a);
	json_decref(o);

	/* Bytes that are not UTF-8, which only _nocheck lets in. */
	o = json_object();
	json_object_set_new(o, "s", json_string_nocheck("bad \xff"));
	same_value(o);
	json_decref(o);
	o = json_object();
	json_object_set_new_nocheck(o, "\xc0\x80", json_true());
	same_value(o);
	json_decref(o);
}

static void
test_fields(void **state)
{
	struct jsonw	 b;
	json_t		*o;
	char		*ref, *text;

	jsonw_init(&b, 1);
	jsonw_open(&b, '{');
	jsonw_str(&b, "a", "x\"y\n");
	jsonw_str(&b, "none", NULL);
	jsonw_str(&b, "bad", "\xed\xa0\x80");	/* a surrogate */
	assert_int_equal(b.bad, 1);
	jsonw_int(&b, "n", -9223372036854775807LL - 1);
	jsonw_int(&b, "z", 0);
	jsonw_key(&b, "list");
	jsonw_open(&b, '[');
	jsonw_close(&b, ']');
	jsonw_str(&b, "tail", "门");
	jsonw_close(&b, '}');
	text = jsonw_take(&b);

	o = json_object();
	json_object_set_new(o, "a", json_string("x\"y\n"));
	json_object_set_new(o, "bad", json_string("\xed\xa0\x80"));
	json_object_set_new(o, "n", json_integer(-9223372036854775807LL - 1));
	json_object_set_new(o, "z", json_integer(0));
	json_object_set_new(o, "list", json_array());
	json_object_set_new(o, "tail", json_string("门"));
	ref = json_dumps(o, JSON_COMPACT);
	assert_string_equal(text, ref);
	free(ref);
	free(text);
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parsed),
		cmocka_unit_test(test_built),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_fields),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
