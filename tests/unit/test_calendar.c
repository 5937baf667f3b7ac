/* calendar.c: durations, law-grade periods, RFC 3339 in the site zone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calendar.h"
#include "tocsin.h"

static int64_t
t(const char *s)
{
	int64_t	v;

	assert_int_equal(calendar_parse_time(s, &v), 0);
	return (v);
}

static const char *
fmt(int64_t v)
{
	static char	buf[CALENDAR_TIME_MAX];

	calendar_format(v, buf, sizeof(buf));
	return (buf);
}

/* Remembered seconds give what was formatted, in any order, any zone. */
static void
test_format_remembered(void **state)
{
	static const char *times[] = {
		"2026-03-02T09:00:00+08:00", "2026-03-02T11:00:00+08:00",
		"2026-03-02T09:00:01+08:00", "2026-03-02T01:00:05Z",
		"2026-10-01T00:00:00+08:00", "2027-01-01T08:00:00+08:00",
	};
	char	*cause = NULL;
	size_t	 i, j;

	for (j = 0; j < 5; j++) {
		for (i = 0; i < nitems(times); i++) {
			if ((i + j) % 3 == 0)
				continue;
			assert_string_equal(fmt(t(times[i])), i == 3 ?
			    "2026-03-02T09:00:05+08:00" : times[i]);
			/* The same second, with its milliseconds. */
			assert_string_equal(fmt(t(times[i]) + 999),
			    i == 3 ? "2026-03-02T09:00:05+08:00" : times[i]);
		}
	}
	assert_string_equal(fmt(-1500), "1970-01-01T07:59:58+08:00");
	assert_int_equal(calendar_set_zone("UTC", &cause), 0);
	assert_string_equal(fmt(t(times[0])), "2026-03-02T01:00:00Z");
	assert_int_equal(calendar_set_zone("Asia/Shanghai", &cause), 0);
	assert_string_equal(fmt(t(times[0])), times[0]);
}

static void
test_durations(void **state)
{
	struct duration	 d;
	char		*cause = NULL;

	assert_int_equal(calendar_parse_duration("90s", &d, &cause), 0);
	assert_int_equal(d.kind, DURATION_ELAPSED);
	assert_int_equal(d.value, 90 * MSEC_PER_SEC);
	assert_int_equal(calendar_parse_duration("15m", &d, &cause), 0);
	assert_int_equal(d.value, 15 * MSEC_PER_MIN);
	assert_int_equal(calendar_parse_duration("2h", &d, &cause), 0);
	assert_int_equal(d.value, 2 * MSEC_PER_HOUR);
	assert_int_equal(calendar_parse_duration("3d", &d, &cause), 0);
	assert_int_equal(d.value, 3 * MSEC_PER_DAY);
	assert_int_equal(calendar_parse_duration("5cd", &d, &cause), 0);
	assert_int_equal(d.kind, DURATION_CALENDAR_DAYS);
	assert_int_equal(d.value, 5);
	assert_int_equal(calendar_parse_duration("10wd", &d, &cause), 0);
	assert_int_equal(d.kind, DURATION_WORKING_DAYS);
	assert_int_equal(d.value, 10);

	assert_int_equal(calendar_parse_duration("2x", &d, &cause), -1);
	assert_non_null(strstr(cause, "bad duration"));
	free(cause);
	assert_int_equal(calendar_parse_duration("", &d, &cause), -1);
	free(cause);
	assert_int_equal(calendar_parse_duration("-1h", &d, &cause), -1);
	free(cause);
	assert_int_equal(calendar_parse_duration("h", &d, &cause), -1);
	free(cause);
}

static void
test_rfc3339(void **state)
{
	int64_t	v;

	/* 09:00 in Shanghai is 01:00 UTC. */
	assert_int_equal(t("2026-03-02T09:00:00+08:00"),
	    t("2026-03-02T01:00:00Z"));
	assert_string_equal(fmt(t("2026-03-02T01:00:00Z")),
	    "2026-03-02T09:00:00+08:00");
	assert_int_equal(t("2026-03-02T01:00:00.250Z") -
	    t("2026-03-02T01:00:00Z"), 250);
	/* Year and month ends roll over. */
	assert_string_equal(fmt(t("2026-12-31T23:30:00+08:00") +
	    MSEC_PER_HOUR), "2027-01-01T00:30:00+08:00");
	assert_int_equal(calendar_parse_time("2026-02-29T00:00:00Z", &v), -1);
	assert_int_equal(calendar_parse_time("2028-02-29T00:00:00Z", &v), 0);
	assert_int_equal(calendar_parse_time("2026-03-02 09:00", &v), -1);
	assert_int_equal(calendar_parse_time("2026-03-02T09:00:00", &v), -1);
	assert_int_equal(calendar_parse_time("2026-13-02T09:00:00Z", &v), -1);
	assert_int_equal(calendar_parse_time("2026-03-02T24:00:00Z", &v), -1);
	assert_int_equal(calendar_parse_time("2026-03-02T09:00:00+08:00x",
	    &v), -1);
	/* Only instants whose local date has four digits (fuzz_record). */
	assert_int_equal(calendar_parse_time("9999-12-31T15:59:59Z", &v), 0);
	assert_string_equal(fmt(v), "9999-12-31T23:59:59+08:00");
	assert_int_equal(calendar_parse_time("9999-12-31T23:59:60-23:59",
	    &v), -1);
	assert_int_equal(calendar_parse_time("1970-01-01T00:00:00+08:01",
	    &v), -1);
	assert_int_equal(calendar_parse_time("1970-01-01T00:00:00+08:00",
	    &v), 0);
}

/* Elapsed durations are exact, whatever the calendar says. */
static void
test_add_elapsed(void **state)
{
	struct duration	d = { DURATION_ELAPSED, 2 * MSEC_PER_HOUR };

	assert_string_equal(fmt(calendar_add(NULL,
	    t("2026-01-31T23:00:00+08:00"), &d)), "2026-02-01T01:00:00+08:00");
}

/* 民法典 201: the start day does not count; ends at 24:00 of the last day. */
static void
test_add_calendar_days(void **state)
{
	struct duration	 d = { DURATION_CALENDAR_DAYS, 5 };
	struct calendar	*cal = calendar_new();

	/* Mon 2026-03-02 10:00 + 5cd: last day Sat 03-07 -> moves to Mon 03-09. */
	assert_string_equal(fmt(calendar_add(cal,
	    t("2026-03-02T10:00:00+08:00"), &d)), "2026-03-10T00:00:00+08:00");
	/* Tue 2026-03-03 + 5cd: last day Sun 03-08 -> Mon 03-09, ends 24:00. */
	assert_string_equal(fmt(calendar_add(cal,
	    t("2026-03-03T23:59:00+08:00"), &d)), "2026-03-10T00:00:00+08:00");
	/* Across a month end: Wed 2026-04-29 + 2cd = Fri 05-01, a weekday. */
	d.value = 2;
	assert_string_equal(fmt(calendar_add(cal,
	    t("2026-04-29T08:00:00+08:00"), &d)), "2026-05-02T00:00:00+08:00");
	calendar_free(cal);
}

/* 2026 Spring Festival: 02-15..02-23 off, Sat 02-14 and Sat 02-28 on. */
static struct calendar *
spring_festival_2026(void)
{
	struct calendar	*cal = calendar_new();
	char		*cause = NULL, date[32];
	int		 day;

	for (day = 15; day <= 23; day++) {
		snprintf(date, sizeof(date), "2026-02-%02d", day);
		assert_int_equal(calendar_add_day(cal, date, 0, &cause), 0);
	}
	assert_int_equal(calendar_add_day(cal, "2026-02-14", 1, &cause), 0);
	assert_int_equal(calendar_add_day(cal, "2026-02-28", 1, &cause), 0);
	assert_int_equal(calendar_add_day(cal, "2026-02-30", 1, &cause), -1);
	free(cause);
	return (cal);
}

static void
test_holidays(void **state)
{
	struct calendar	*cal = spring_festival_2026();
	struct duration	 d = { DURATION_WORKING_DAYS, 3 };

	assert_true(calendar_has_year(cal, 2026));
	assert_false(calendar_has_year(cal, 2027));
	assert_true(calendar_is_working_day(cal, 2026, 2, 14));	/* Sat 调休 */
	assert_false(calendar_is_working_day(cal, 2026, 2, 16));	/* Mon off */
	assert_false(calendar_is_working_day(cal, 2026, 2, 21));	/* Sat off */
	assert_true(calendar_is_working_day(cal, 2026, 2, 24));	/* Tue */
	assert_true(calendar_is_working_day(NULL, 2026, 2, 16));
	assert_false(calendar_is_working_day(NULL, 2026, 2, 15));	/* Sun */

	/* Fri 02-13 + 3wd: Sat 02-14 (on), Tue 02-24, Wed 02-25. */
	assert_string_equal(fmt(calendar_add(cal,
	    t("2026-02-13T16:00:00+08:00"), &d)), "2026-02-26T00:00:00+08:00");
	/* Thu 02-12 + 5cd: last day Tue 02-17 is a holiday -> Tue 02-24. */
	d.kind = DURATION_CALENDAR_DAYS;
	d.value = 5;
	assert_string_equal(fmt(calendar_add(cal,
	    t("2026-02-12T09:00:00+08:00"), &d)), "2026-02-25T00:00:00+08:00");
	calendar_free(cal);
}

/* Lists stay sorted, each day once, and hold at most 64 years. */
static void
test_holiday_lists(void **state)
{
	struct calendar	*cal = calendar_new();
	char		*cause = NULL, date[32];
	int		 y, i;

	for (i = 0; i < 1000; i++) {
		assert_int_equal(calendar_add_day(cal, i % 2 ? "2026-10-01" :
		    "2026-01-01", 0, &cause), 0);
	}
	assert_int_equal(calendar_add_day(cal, "2026-05-01", 0, &cause), 0);
	assert_false(calendar_is_working_day(cal, 2026, 1, 1));
	assert_false(calendar_is_working_day(cal, 2026, 5, 1));
	assert_false(calendar_is_working_day(cal, 2026, 10, 1));
	assert_true(calendar_is_working_day(cal, 2026, 10, 9));
	for (y = 2090; y > 2090 - 63; y--) {
		snprintf(date, sizeof(date), "%d-03-02", y);
		assert_int_equal(calendar_add_day(cal, date, 0, &cause), 0);
	}
	assert_int_equal(calendar_add_day(cal, "2100-03-02", 1, &cause), -1);
	assert_non_null(strstr(cause, "more than 64 years"));
	free(cause);
	assert_false(calendar_is_working_day(cal, 2030, 3, 2));
	assert_true(calendar_is_working_day(cal, 2026, 3, 2));
	calendar_free(cal);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_format_remembered),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_add_elapsed),
		cmocka_unit_test(test_add_calendar_days),
		cmocka_unit_test(test_holidays),
		cmocka_unit_test(test_holiday_lists),
	};
	char	*cause = NULL;

	if (calendar_set_zone("Asia/Shanghai", &cause) != 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
