/*
 * tocsinctl replay's comparison (ctl-replay.c): one incident's stored
 * actions against its replayed ones -- the same timeline is no change; a
 * recipient told instead of another is one removed and one added; a
 * step that moves is a change of its time; times within the daemon's
 * slack are the same; repeats pair off in order; what the replay does
 * only after the horizon is not yet a difference.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "calendar.h"
#include "ctl.h"
#include "tocsin.h"

#define T(s)	"2026-03-02T" s "+08:00"

static json_t *
actions(const char *text)
{
	json_error_t	 err;
	json_t		*a = json_loads(text, 0, &err);

	if (a == NULL)
		fail_msg("bad JSON in the test: %s", err.text);
	return (a);
}

static int64_t
at(const char *s)
{
	int64_t	t;

	assert_int_equal(calendar_parse_time(s, &t), 0);
	return (t);
}

/* The changes as "change kind", one a line, for a readable assertion. */
static char *
summary(json_t *changes)
{
	json_t	*c;
	size_t	 i, len = 0;
	char	*s = calloc(1, 4096);

	json_array_foreach(changes, i, c) {
		len += (size_t)snprintf(s + len, 4096 - len, "%s %s %s\n",
		    json_string_value(json_object_get(c, "change")),
		    json_string_value(json_object_get(c, "kind")),
		    json_string_value(json_object_get(c, "at")));
	}
	return (s);
}

static void
check(const char *stored, const char *replayed, const char *horizon,
    const char *want)
{
	json_t	*s = actions(stored), *r = actions(replayed), *changes;
	char	*got;

	changes = ctl_replay_diff(s, r, at(horizon));
	got = summary(changes);
	assert_string_equal(got, want);
	free(got);
	json_decref(changes);
	json_decref(s);
	json_decref(r);
}

#define BREACH \
	"{\"at\":\"" T("11:00:00") "\",\"kind\":\"obligation.breached\"," \
	"\"incident\":\"i\",\"obligation\":\"a\"}"
#define STEP(t, n) \
	"{\"at\":\"" T(t) "\",\"kind\":\"escalation.step\",\"incident\":\"i\"," \
	"\"obligation\":\"a\",\"policy\":\"p\",\"step\":" #n "}"
#define TOLD(t, n, role, who) \
	"{\"at\":\"" T(t) "\",\"kind\":\"notify\",\"incident\":\"i\"," \
	"\"obligation\":\"a\",\"policy\":\"p\",\"step\":" #n ",\"role\":\"" \
	role "\",\"recipient\":\"" who "\",\"channel\":\"sms\"}"

static void
test_same(void **state)
{
	(void)state;
	check("[" BREACH "," STEP("11:00:00", 1) "," TOLD("11:00:00", 1,
	    "deputy", "sun") "]", "[" BREACH "," STEP("11:00:00", 1) ","
	    TOLD("11:00:00", 1, "deputy", "sun") "]", T("12:00:00"), "");
	/* The daemon's timer fired a second late: the same. */
	check("[" STEP("11:00:01", 1) "]", "[" STEP("11:00:00", 1) "]",
	    T("12:00:00"), "");
	check("[]", "[]", T("12:00:00"), "");
}

static void
test_role_changed(void **state)
{
	(void)state;
	check("[" TOLD("11:00:00", 1, "deputy", "sun") "]",
	    "[" TOLD("11:00:00", 1, "duty", "zhao") "]", T("12:00:00"),
	    "removed notify " T("11:00:00") "\n"
	    "added notify " T("11:00:00") "\n");
}

static void
test_step_moved(void **state)
{
	json_t	*s, *r, *changes, *c;

	(void)state;
	check("[" STEP("11:15:00", 2) "," TOLD("11:15:00", 2, "principal",
	    "li") "]", "[" STEP("11:05:00", 2) "," TOLD("11:05:00", 2,
	    "principal", "li") "]", T("12:00:00"),
	    "changed escalation.step " T("11:15:00") "\n"
	    "changed notify " T("11:15:00") "\n");
	/* Later than the horizon: it has not happened yet, it is "later". */
	check("[" STEP("11:15:00", 2) "]", "[" STEP("12:30:00", 2) "]",
	    T("12:00:00"), "later escalation.step " T("11:15:00") "\n");
	/* What only the replay does after the horizon is no difference. */
	check("[]", "[" STEP("12:30:00", 2) "]", T("12:00:00"), "");

	s = actions("[" STEP("11:15:00", 2) "]");
	r = actions("[" STEP("11:05:00", 2) "]");
	changes = ctl_replay_diff(s, r, at(T("12:00:00")));
	c = json_array_get(changes, 0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(c,
	    "fields"), 0)), "at");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    c, "was"), "at")), T("11:15:00"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    c, "now"), "at")), T("11:05:00"));
	json_decref(changes);
	json_decref(s);
	json_decref(r);
}

/* A policy's repeats are the same decision: they pair off in order. */
static void
test_repeats_pair_in_order(void **state)
{
	(void)state;
	check("[" TOLD("11:00:00", 1, "deputy", "sun") "," TOLD("12:00:00",
	    1, "deputy", "sun") "]", "[" TOLD("11:00:00", 1, "deputy", "sun")
	    "]", T("13:00:00"), "removed notify " T("12:00:00") "\n");
}

static void
test_due_changed(void **state)
{
	(void)state;
	check("[{\"at\":\"" T("09:00:00") "\",\"kind\":\"obligation.set\","
	    "\"incident\":\"i\",\"obligation\":\"a\",\"due_at\":\"" T("11:00:00")
	    "\"}]", "[{\"at\":\"" T("09:00:00") "\",\"kind\":\"obligation.set\","
	    "\"incident\":\"i\",\"obligation\":\"a\",\"due_at\":\"" T("10:00:00")
	    "\"}, " BREACH "]", T("12:00:00"),
	    "changed obligation.set " T("09:00:00") "\n"
	    "added obligation.breached " T("11:00:00") "\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_role_changed),
		cmocka_unit_test(test_step_moved),
		cmocka_unit_test(test_repeats_pair_in_order),
		cmocka_unit_test(test_due_changed),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
