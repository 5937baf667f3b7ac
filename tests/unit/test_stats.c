/*
 * The office's statistics (stats.c): counts land in their unit's month
 * and in the unit's, the month's and the grand totals; cancelled counts
 * nowhere and pending is not owed; the rates divide by what was owed
 * (concealment by the incidents reported) and are absent, not 0%, when
 * nothing was; months run across a year's end; YYYY-MM parses strictly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats.h"
#include "tocsin.h"

static void
test_stats_cells_and_totals(void **state)
{
	struct stats			*st = stats_new(2026, 5, 3);
	const struct stats_counts	*c;

	stats_add(st, "wsy-liuzhuang", 0, OBLIGATION_MET, 3);
	stats_add(st, "wsy-liuzhuang", 0, OBLIGATION_LATE, 1);
	stats_add(st, "wsy-liuzhuang", 2, OBLIGATION_MISSED, 2);
	stats_add(st, "county-health", 1, OBLIGATION_BREACHED, 1);
	stats_add(st, "county-health", 1, OBLIGATION_PENDING, 4);
	stats_add(st, "county-health", 1, OBLIGATION_CANCELLED, 5);
	stats_add(st, NULL, 0, OBLIGATION_MET, 1);
	stats_add(st, "county-health", 3, OBLIGATION_MET, 9);	/* outside */
	stats_add_reports(st, "wsy-liuzhuang", 0, 4, 1);

	/* Sorted by id; the unit of none is "". */
	assert_int_equal(stats_units(st), 3);
	assert_string_equal(stats_unit(st, 0), "");
	assert_string_equal(stats_unit(st, 1), "county-health");
	assert_string_equal(stats_unit(st, 2), "wsy-liuzhuang");

	c = stats_get(st, 2, 0);
	assert_int_equal(c->due, 4);
	assert_int_equal(c->on_time, 3);
	assert_int_equal(c->late, 1);
	assert_int_equal(c->incidents, 4);
	assert_int_equal(c->concealed, 1);
	c = stats_get(st, 2, -1);
	assert_int_equal(c->due, 6);
	assert_int_equal(c->missed, 2);

	/* Pending is counted but not owed; cancelled is neither. */
	c = stats_get(st, 1, 1);
	assert_int_equal(c->due, 1);
	assert_int_equal(c->overdue, 1);
	assert_int_equal(c->pending, 4);

	c = stats_get(st, SIZE_MAX, 0);
	assert_int_equal(c->due, 5);
	assert_int_equal(c->on_time, 4);
	c = stats_get(st, SIZE_MAX, -1);
	assert_int_equal(c->due, 8);
	assert_int_equal(c->on_time, 4);
	assert_int_equal(c->late, 1);
	assert_int_equal(c->missed, 2);
	assert_int_equal(c->overdue, 1);
	assert_int_equal(c->pending, 4);
	assert_int_equal(c->incidents, 4);

	assert_null(stats_get(st, 3, 0));
	assert_null(stats_get(st, 0, 3));
	stats_free(st);
}

static void
test_stats_rates(void **state)
{
	struct stats			*st = stats_new(2026, 1, 2);
	const struct stats_counts	*c;

	stats_add(st, "a", 0, OBLIGATION_MET, 3);
	stats_add(st, "a", 0, OBLIGATION_LATE, 1);
	stats_add_reports(st, "a", 0, 5, 2);
	c = stats_get(st, 0, 0);
	assert_true(stats_rate(c, STATS_ON_TIME) == 0.75);
	assert_true(stats_rate(c, STATS_LATE) == 0.25);
	assert_true(stats_rate(c, STATS_MISSED) == 0);
	assert_true(stats_rate(c, STATS_CONCEALED) == 0.4);
	/* Nothing owed in February: no rate at all, not 0%. */
	stats_add(st, "a", 1, OBLIGATION_PENDING, 2);
	c = stats_get(st, 0, 1);
	assert_true(stats_rate(c, STATS_ON_TIME) < 0);
	assert_true(stats_rate(c, STATS_CONCEALED) < 0);
	assert_string_equal(stats_rate_name(STATS_MISSED), "missed_rate");
	assert_null(stats_rate_name(STATS__RATES));
	stats_free(st);
}

static void
test_stats_months(void **state)
{
	struct stats	*st = stats_new(2025, 11, 4);
	char		 m[STATS_MONTH_LEN];
	int		 y, mo;

	stats_month_label(st, 0, m);
	assert_string_equal(m, "2025-11");
	stats_month_label(st, 2, m);
	assert_string_equal(m, "2026-01");
	stats_month_label(st, 3, m);
	assert_string_equal(m, "2026-02");
	assert_int_equal(stats_months(st), 4);
	stats_free(st);

	assert_null(stats_new(2026, 1, 0));
	assert_null(stats_new(2026, 1, STATS_MONTHS_MAX + 1));
	assert_null(stats_new(2026, 13, 1));

	assert_int_equal(stats_month_parse("2026-03", &y, &mo), 0);
	assert_int_equal(y, 2026);
	assert_int_equal(mo, 3);
	assert_int_equal(stats_month_parse("2026-13", &y, &mo), -1);
	assert_int_equal(stats_month_parse("2026-3", &y, &mo), -1);
	assert_int_equal(stats_month_parse("2026-03-01", &y, &mo), -1);
	assert_int_equal(stats_month_parse("2026/03", &y, &mo), -1);
	assert_int_equal(stats_month_parse(NULL, &y, &mo), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_cells_and_totals),
		cmocka_unit_test(test_stats_rates),
		cmocka_unit_test(test_stats_months),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
