/*
 * calendar-rule.c and the declarations that use it (rules-api.c): the day
 * a recurring report falls due on under each calendar rule, with the
 * national calendar, in 2026 and in the provisional years 2027 and 2028;
 * site settings checked at load; a spot check's draw.
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
#include "engine-int.h"
#include "names.h"
#include "rules.h"
#include "unit.h"

/* The days from..to (inclusive) rule falls due on, as "MM-DD ..." text. */
static const char *
due_days(const struct calendar *cal, const struct calendar_rule *rule,
    int y1, int m1, int d1, int y2, int m2, int d2)
{
	static char	buf[512];
	int64_t		day, to = calendar_date_number(y2, m2, d2);
	int		y, m, d;
	size_t		len = 0;

	buf[0] = '\0';
	for (day = calendar_date_number(y1, m1, d1); day <= to; day++) {
		if (!calendar_rule_due(cal, rule, day))
			continue;
		calendar_date_of(day, &y, &m, &d);
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		    "%s%04d-%02d-%02d", len > 0 ? " " : "", y, m, d);
	}
	return (buf);
}

static struct calendar_rule
rule_of(enum calendar_every every, const char *on, enum calendar_shift shift)
{
	struct calendar_rule	r;

	memset(&r, 0, sizeof(r));
	r.every = every;
	r.shift = shift;
	assert_null(calendar_on_parse(on, &r));
	return (r);
}

/*
 * The 5th working day of a month that starts with a holiday: October
 * 2026 (01-07 off, Saturday 10-10 worked: 08, 09, 10, 12, 13); January
 * 2027 (元旦 a Friday); February 2027 (春节: 除夕 02-05 to 02-08 off);
 * May 2028 (劳动节 Monday and Tuesday).
 */
static void
test_nth_working_day(void **state)
{
	struct calendar		*cal = calendar_new();
	struct calendar_rule	 r = rule_of(CALENDAR_EVERY_MONTH, "5wd",
				    CALENDAR_SHIFT_NONE);

	assert_string_equal(due_days(cal, &r, 2026, 10, 1, 2027, 2, 28),
	    "2026-10-13 2026-11-06 2026-12-07 2027-01-08 2027-02-09");
	assert_string_equal(due_days(cal, &r, 2028, 5, 1, 2028, 5, 31),
	    "2028-05-09");
	calendar_free(cal);
}

/* The last day, the last working day, a date of the year, a quarter. */
static void
test_last_and_periods(void **state)
{
	struct calendar		*cal = calendar_new();
	struct calendar_rule	 r;

	r = rule_of(CALENDAR_EVERY_MONTH, "last-wd", CALENDAR_SHIFT_NONE);
	assert_string_equal(due_days(cal, &r, 2026, 10, 1, 2026, 11, 30),
	    "2026-10-30 2026-11-30");
	assert_string_equal(due_days(cal, &r, 2028, 2, 1, 2028, 2, 29),
	    "2028-02-29");
	r = rule_of(CALENDAR_EVERY_HALF_YEAR, "last", CALENDAR_SHIFT_NONE);
	assert_string_equal(due_days(cal, &r, 2027, 1, 1, 2028, 12, 31),
	    "2027-06-30 2027-12-31 2028-06-30 2028-12-31");
	r = rule_of(CALENDAR_EVERY_YEAR, "12-31", CALENDAR_SHIFT_PREVIOUS);
	/* 2028-12-31 is a Sunday: the Friday before. */
	assert_string_equal(due_days(cal, &r, 2027, 1, 1, 2028, 12, 31),
	    "2027-12-31 2028-12-29");
	r = rule_of(CALENDAR_EVERY_QUARTER, "15", CALENDAR_SHIFT_NEXT);
	assert_string_equal(due_days(cal, &r, 2028, 1, 1, 2028, 12, 31),
	    "2028-01-17 2028-04-17 2028-07-17 2028-10-16");
	r = rule_of(CALENDAR_EVERY_QUARTER, "15", CALENDAR_SHIFT_SKIP);
	assert_string_equal(due_days(cal, &r, 2028, 1, 1, 2028, 12, 31), "");
	calendar_free(cal);
}

/*
 * A weekly Friday report when Friday 2026-10-02 is a holiday: as the
 * clause says, moved on to the next working day (Thursday 10-08, before
 * that week's own Friday), or skipped.  Friday 09-25 is 中秋: shifted, the
 * report of that week is due on Monday 09-28.
 */
static void
test_weekly_on_holiday(void **state)
{
	struct calendar		*cal = calendar_new();
	struct calendar_rule	 r;

	r = rule_of(CALENDAR_EVERY_WEEK, "5", CALENDAR_SHIFT_NONE);
	assert_string_equal(due_days(cal, &r, 2026, 9, 28, 2026, 10, 11),
	    "2026-10-02 2026-10-09");
	r.shift = CALENDAR_SHIFT_NEXT;
	assert_string_equal(due_days(cal, &r, 2026, 9, 28, 2026, 10, 11),
	    "2026-09-28 2026-10-08 2026-10-09");
	r.shift = CALENDAR_SHIFT_SKIP;
	assert_string_equal(due_days(cal, &r, 2026, 9, 28, 2026, 10, 11),
	    "2026-10-09");
	calendar_free(cal);
}

static void
test_on_parse_refused(void **state)
{
	struct calendar_rule	r;

	memset(&r, 0, sizeof(r));
	assert_non_null(calendar_on_parse("02-29", &r));
	assert_non_null(calendar_on_parse("5w", &r));
	assert_non_null(calendar_on_parse("0", &r));
	assert_non_null(calendar_on_parse("13-01", &r));
	assert_null(calendar_on_parse("12-31", &r));
	assert_int_equal(r.on, CALENDAR_ON_DATE);
}

#define ORG \
"channel 'log' { kind = 'log' }\n" \
"person 'zhang' { roles = { 'office' }, channels = { 'log' } }\n" \
"unit 'a' { name = 'A' }\n" \
"unit 'b' { name = 'B' }\n"

/* A site's settings are checked at load against the packs' declarations. */
static void
test_settings_checked(void **state)
{
	struct rules	*r;

	r = unit_load_ok(ORG
	    "settings { report_at = '16:00' }\n"
	    "local at = setting 'report_at' { default = '17:00', "
	    "type = 'time' }\n"
	    "recurring 'r' { every = 'month', on = '5wd', at = at, "
	    "units = { 'a' }, met_by = { type = 'monthly' }, "
	    "owner = 'office' }\n"
	    "event_type 'monthly' { title = 'm' }\n");
	rules_free(r);
	unit_load_refused(ORG
	    "settings { report_at = '4pm' }\n"
	    "local at = setting 'report_at' { default = '17:00', "
	    "type = 'time' }\n",
	    "settings: \"report_at\" must be a time of day");
	unit_load_refused(ORG
	    "settings { reprot_at = '16:00' }\n"
	    "local at = setting 'report_at' { default = '17:00', "
	    "type = 'time' }\n",
	    "unknown setting \"reprot_at\" (did you mean \"report_at\"?)");
	unit_load_refused(ORG
	    "local n = setting 'pick' { type = 'integer' }\n",
	    "the site must set it");
	unit_load_refused(ORG
	    "local m = setting 'mode' { default = 'a', allowed = { 'a', 'b' } }\n"
	    "local k = setting 'kind' { default = 'c', allowed = { 'a', 'b' } }\n",
	    "\"default\" must be a string, one of those allowed");
}

/* Recurring and spot check declarations refused with the reason. */
static void
test_recurring_refused(void **state)
{
	unit_load_refused(ORG
	    "recurring 'r' { every = 'fortnight', on = 1, units = { 'a' }, "
	    "met_by = { type = 'x' }, owner = 'office' }\n",
	    "\"every\" must be");
	unit_load_refused(ORG
	    "recurring 'r' { every = 'month', units = { 'a' }, "
	    "met_by = { type = 'x' }, owner = 'office' }\n",
	    "every = \"month\" needs \"on\"");
	unit_load_refused(ORG
	    "recurring 'r' { every = 'month', on = 1, shift = 'later', "
	    "units = { 'a' }, met_by = { type = 'x' }, owner = 'office' }\n",
	    "\"shift\" must be");
	unit_load_refused(ORG
	    "spotcheck 's' { every = 'week', on = 2, at = '10:00', pick = 3, "
	    "from = { 'a', 'b' }, met_by = { type = 'x' }, owner = 'office' }\n",
	    "\"pick\" = 3 of 2 units");
}

/*
 * The draw: the same for the same seed, name and day whatever order the
 * units come in; pick of them, in name order; another day, another draw.
 */
static void
test_spotcheck_draw(void **state)
{
	static const char *const posts[] = { "p6", "p2", "p4", "p1", "p5",
	    "p3" };
	struct names	a = { NULL, 0 }, b = { NULL, 0 };
	char		sa[64] = "", sb[64] = "";
	size_t		i, differ = 0;
	int64_t		day = calendar_date_number(2027, 3, 2) * 86400;

	for (i = 0; i < 6; i++) {
		names_add(&a, posts[i]);
		names_add(&b, posts[5 - i]);
	}
	engine_spotcheck_pick("seed", "check", day, 3, &a);
	engine_spotcheck_pick("seed", "check", day, 3, &b);
	assert_int_equal(a.n, 3);
	assert_int_equal(b.n, 3);
	for (i = 0; i < 3; i++) {
		assert_string_equal(a.v[i], b.v[i]);
		if (i > 0)
			assert_true(strcmp(a.v[i - 1], a.v[i]) < 0);
		strcat(sa, a.v[i]);
	}
	/* Over four weeks the draw changes at least once. */
	for (i = 1; i <= 4; i++) {
		names_free(&b);
		memset(&b, 0, sizeof(b));
		for (size_t j = 0; j < 6; j++)
			names_add(&b, posts[j]);
		engine_spotcheck_pick("seed", "check", day + (int64_t)i *
		    7 * 86400, 3, &b);
		sb[0] = '\0';
		for (size_t j = 0; j < b.n; j++)
			strcat(sb, b.v[j]);
		differ += strcmp(sa, sb) != 0;
	}
	assert_true(differ > 0);
	names_free(&a);
	names_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nth_working_day),
		cmocka_unit_test(test_last_and_periods),
		cmocka_unit_test(test_weekly_on_holiday),
		cmocka_unit_test(test_on_parse_refused),
		cmocka_unit_test(test_settings_checked),
		cmocka_unit_test(test_recurring_refused),
		cmocka_unit_test(test_spotcheck_draw),
	};

	return (cmocka_run_group_tests(tests, unit_setup, unit_teardown));
}
