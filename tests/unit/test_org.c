/*
 * org.c: who a role, a group and a roster reach, and when.  Rosters are
 * loaded from a real site file so the parser, the checks and the
 * resolution are tested together.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "calendar.h"
#include "org.h"
#include "rules.h"
#include "tocsin.h"
#include "unit.h"

static const char *site_text =
"channel 'log' { kind = 'log' }\n"
"channel 'robot' { kind = 'log' }\n"
"person 'zhao'  { phone = '+8613800000001', channels = { 'log' } }\n"
"person 'qian'  { phone = '+8613800000002', channels = { 'log' } }\n"
"person 'sun'   { phone = '+8613800000003', channels = { 'log' } }\n"
"person 'li'    { phone = '+8613800000004', channels = { 'log' } }\n"
"group 'office' { members = { 'qian', 'sun' }, channels = { 'robot' } }\n"
"roster 'duty' { handover = '08:30', start = '2026-03-02',\n"
"  rotation = { 'zhao', 'qian', 'sun' }, on = { ['2026-10-01'] = 'li' } }\n"
"roster 'leader' { start = '2026-03-02', every = '7d',\n"
"  rotation = { 'sun', 'li' } }\n"
"roster 'watch' { start = '2026-03-02', rotation = { 'office', 'li' } }\n";

static int64_t
at(const char *text)
{
	int64_t	t;

	assert_int_equal(calendar_parse_time(text, &t), 0);
	return (t);
}

static const char *
on_duty(struct rules *r, const char *roster, const char *when)
{
	return (org_on_duty(rules_roster_find(r, roster), at(when)));
}

static void
test_roster_turns(void **state)
{
	struct rules_problems	 problems = { NULL, 0 };
	struct rules		*r = unit_load(site_text, &problems);

	assert_int_equal(problems.n, 0);
	assert_non_null(r);
	/* Daily turns change at 08:30, not at midnight. */
	assert_string_equal(on_duty(r, "duty", "2026-03-02T09:00:00+08:00"),
	    "zhao");
	assert_string_equal(on_duty(r, "duty", "2026-03-03T08:29:59+08:00"),
	    "zhao");
	assert_string_equal(on_duty(r, "duty", "2026-03-03T08:30:00+08:00"),
	    "qian");
	assert_string_equal(on_duty(r, "duty", "2026-03-04T12:00:00+08:00"),
	    "sun");
	assert_string_equal(on_duty(r, "duty", "2026-03-05T12:00:00+08:00"),
	    "zhao");
	/* Before start the turns run backwards the same way. */
	assert_string_equal(on_duty(r, "duty", "2026-03-01T12:00:00+08:00"),
	    "sun");
	assert_string_equal(on_duty(r, "duty", "2026-02-28T12:00:00+08:00"),
	    "qian");
	/* The dated list wins, for its shift only. */
	assert_string_equal(on_duty(r, "duty", "2026-10-01T09:00:00+08:00"),
	    "li");
	assert_string_equal(on_duty(r, "duty", "2026-10-01T08:00:00+08:00"),
	    on_duty(r, "duty", "2026-09-30T09:00:00+08:00"));
	/* Weekly turns (领导带班): Monday to Sunday, midnight handover. */
	assert_string_equal(on_duty(r, "leader", "2026-03-08T23:59:59+08:00"),
	    "sun");
	assert_string_equal(on_duty(r, "leader", "2026-03-09T00:00:00+08:00"),
	    "li");
	assert_string_equal(on_duty(r, "leader", "2026-03-16T00:00:00+08:00"),
	    "sun");
	assert_string_equal(on_duty(r, "leader", "2026-03-01T12:00:00+08:00"),
	    "li");
	rules_free(r);
}

struct told {
	char	 v[8][64];
	size_t	 n;
	size_t	 mobiles;
};

static void
told_cb(const struct recipient *rc, void *arg)
{
	struct told	*t = arg;

	if (t->n < nitems(t->v))
		snprintf(t->v[t->n++], sizeof(t->v[0]), "%s/%s", rc->id,
		    rc->channel);
	if (strcmp(rc->id, "office") == 0)
		t->mobiles = rc->nmobiles;
}

/* A roster resolves through groups: the robot once, then each member. */
static void
test_roster_resolves_at_the_moment(void **state)
{
	struct rules_problems	 problems = { NULL, 0 };
	struct rules		*r = unit_load(site_text, &problems);
	struct told		 t;

	assert_non_null(r);
	memset(&t, 0, sizeof(t));
	assert_int_equal(org_resolve(r, "watch", NULL,
	    at("2026-03-02T10:00:00+08:00"), told_cb, &t), 3);
	assert_string_equal(t.v[0], "office/robot");
	assert_string_equal(t.v[1], "qian/log");
	assert_string_equal(t.v[2], "sun/log");
	assert_int_equal(t.mobiles, 2);	/* the robot @-mentions both */
	memset(&t, 0, sizeof(t));
	assert_int_equal(org_resolve(r, "watch", NULL,
	    at("2026-03-03T10:00:00+08:00"), told_cb, &t), 1);
	assert_string_equal(t.v[0], "li/log");
	rules_free(r);
}

static void
test_roster_problems(void **state)
{
	const char *base = "channel 'log' { kind = 'log' }\n"
	    "person 'zhao' { channels = { 'log' } }\n";
	char	    text[1024];

	snprintf(text, sizeof(text), "%sroster 'duty' { start = '2026-03-02',"
	    " rotation = { 'zhao', 'nobody' } }\n", base);
	unit_load_refused(text, "site.lua:3: roster \"duty\": unknown role "
	    "\"nobody\"");
	snprintf(text, sizeof(text), "%sroster 'duty' { start = '2026-03-02',"
	    " handover = '25:00', rotation = { 'zhao' } }\n", base);
	unit_load_refused(text, "\"handover\" must be a time of day");
	snprintf(text, sizeof(text), "%sroster 'duty' { start = '2026-03-02',"
	    " every = '36h', rotation = { 'zhao' } }\n", base);
	unit_load_refused(text, "\"every\" must be whole days");
	snprintf(text, sizeof(text), "%sroster 'duty' { rotation = { 'zhao' }"
	    " }\n", base);
	unit_load_refused(text, "\"start\" is required");
	snprintf(text, sizeof(text), "%sroster 'duty' { start = '2026-03-02',"
	    " rotation = {}, on = { ['2026-13-01'] = 'zhao' } }\n", base);
	unit_load_refused(text, "\"rotation\" must name who takes turns");
	unit_load_refused(text, "\"on\" maps dates YYYY-MM-DD");
	snprintf(text, sizeof(text), "%sroster 'duty' { start = '2026-03-02',"
	    " rotation = { 'zhao' }, shift = '1d' }\n", base);
	unit_load_refused(text, "unknown key \"shift\"");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roster_turns),
		cmocka_unit_test(test_roster_resolves_at_the_moment),
		cmocka_unit_test(test_roster_problems),
	};

	return (cmocka_run_group_tests(tests, unit_setup, unit_teardown));
}
