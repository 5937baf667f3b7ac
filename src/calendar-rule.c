/*
 * The days a recurring report falls due on.  A rule names a period (a
 * day, a week from Monday, a month, a quarter, a half-year, a year, or
 * only listed dates), the day of it the report is due on, and what
 * happens when that day is not a working day: nothing (the clause says
 * the date), the next working day, the working day before, or no report
 * that period.  The engine asks, day by day, whether a report is due; so
 * the answer is a pure function of the rule, the calendar and the day,
 * and a restart or a simulation asks it again and hears the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"

/* A shift never crosses more days off than this (春节 with 调休: 9). */
#define SHIFT_WINDOW	45

static const struct {
	const char		*name;
	enum calendar_every	 every;
	int			 months;	/* 0: not counted in months */
	int			 shortest;	/* days in its shortest period */
} every_table[] = {
	{ "day",	CALENDAR_EVERY_DAY,		0,	1 },
	{ "week",	CALENDAR_EVERY_WEEK,		0,	7 },
	{ "month",	CALENDAR_EVERY_MONTH,		1,	28 },
	{ "quarter",	CALENDAR_EVERY_QUARTER,		3,	90 },
	{ "half-year",	CALENDAR_EVERY_HALF_YEAR,	6,	181 },
	{ "year",	CALENDAR_EVERY_YEAR,		12,	365 },
};
#define NEVERY	(sizeof(every_table) / sizeof(every_table[0]))

static const struct {
	const char		*name;
	enum calendar_shift	 shift;
} shift_table[] = {
	{ "none",			CALENDAR_SHIFT_NONE },
	{ "next-working-day",		CALENDAR_SHIFT_NEXT },
	{ "previous-working-day",	CALENDAR_SHIFT_PREVIOUS },
	{ "skip",			CALENDAR_SHIFT_SKIP },
};

/* "month" as an enum calendar_every, or -1. */
int
calendar_every_parse(const char *s)
{
	size_t	i;

	for (i = 0; i < NEVERY; i++) {
		if (strcmp(every_table[i].name, s) == 0)
			return ((int)every_table[i].every);
	}
	return (-1);
}

/* "next-working-day" as an enum calendar_shift, or -1. */
int
calendar_shift_parse(const char *s)
{
	size_t	i;

	for (i = 0; i < sizeof(shift_table) / sizeof(shift_table[0]); i++) {
		if (strcmp(shift_table[i].name, s) == 0)
			return ((int)shift_table[i].shift);
	}
	return (-1);
}

/* The days of the shortest period of every: the largest nth day. */
int
calendar_every_days(int every)
{
	size_t	i;

	for (i = 0; i < NEVERY; i++) {
		if ((int)every_table[i].every == every)
			return (every_table[i].shortest);
	}
	return (0);
}

/*
 * on = "15", "5wd", "last", "last-wd" or "12-31" into rule; NULL, or what
 * is wrong.  The caller checks n against the period (calendar_every_days).
 */
const char *
calendar_on_parse(const char *s, struct calendar_rule *rule)
{
	char	*end, buf[16];
	long	 v;
	int	 y, m, d;

	if (strcmp(s, "last") == 0) {
		rule->on = CALENDAR_ON_LAST;
		return (NULL);
	}
	if (strcmp(s, "last-wd") == 0) {
		rule->on = CALENDAR_ON_LAST_WORKING_DAY;
		return (NULL);
	}
	if (strlen(s) == 5 && s[2] == '-') {
		/* In a common year: 02-29 would skip three years in four. */
		snprintf(buf, sizeof(buf), "2025-%s", s);
		if (calendar_parse_date(buf, &y, &m, &d) != 0)
			return ("must be a date of the year MM-DD (not 02-29)");
		rule->on = CALENDAR_ON_DATE;
		rule->month = m;
		rule->mday = d;
		return (NULL);
	}
	v = strtol(s, &end, 10);
	if (end == s || v < 1 || v > 366)
		return ("must be a day (15), a working day (\"5wd\"), "
		    "\"last\", \"last-wd\" or a date of the year (\"12-31\")");
	if (*end == '\0')
		rule->on = CALENDAR_ON_DAY;
	else if (strcmp(end, "wd") == 0)
		rule->on = CALENDAR_ON_WORKING_DAY;
	else
		return ("must be a day (15), a working day (\"5wd\"), "
		    "\"last\", \"last-wd\" or a date of the year (\"12-31\")");
	rule->n = (int)v;
	return (NULL);
}

/* The first and last day of the period of every that holds day. */
static void
period_of(enum calendar_every every, int64_t day, int64_t *start,
    int64_t *end)
{
	int	y, m, d, months = 0, m1, y1;
	size_t	i;
	int64_t	wd;

	for (i = 0; i < NEVERY; i++) {
		if (every_table[i].every == every)
			months = every_table[i].months;
	}
	if (every == CALENDAR_EVERY_WEEK) {
		wd = ((day + 3) % 7 + 7) % 7;	/* 1970-01-01: Thu; Mon 0 */
		*start = day - wd;
		*end = *start + 6;
		return;
	}
	if (months == 0) {
		*start = *end = day;
		return;
	}
	calendar_date_of(day, &y, &m, &d);
	m = (m - 1) / months * months + 1;
	m1 = m + months;
	y1 = y + (m1 - 1) / 12;
	m1 = (m1 - 1) % 12 + 1;
	*start = calendar_date_number(y, m, 1);
	*end = calendar_date_number(y1, m1, 1) - 1;
}

/* The day of the period [start, end] the rule names, or -1: none. */
static int64_t
nominal(const struct calendar *cal, const struct calendar_rule *rule,
    int64_t start, int64_t end)
{
	int64_t	day;
	int	y, m, d, k = 0;

	switch (rule->on) {
	case CALENDAR_ON_DAY:
		day = start + rule->n - 1;
		return (day <= end ? day : -1);
	case CALENDAR_ON_WORKING_DAY:
		for (day = start; day <= end; day++) {
			if (calendar_is_working_day_number(cal, day) &&
			    ++k == rule->n)
				return (day);
		}
		return (-1);
	case CALENDAR_ON_LAST:
		return (end);
	case CALENDAR_ON_LAST_WORKING_DAY:
		for (day = end; day >= start; day--) {
			if (calendar_is_working_day_number(cal, day))
				return (day);
		}
		return (-1);
	case CALENDAR_ON_DATE:
		calendar_date_of(start, &y, &m, &d);
		day = calendar_date_number(y, rule->month, rule->mday);
		return (day >= start && day <= end ? day : -1);
	}
	return (-1);
}

/* day moved as the rule's shift says, or -1: not due. */
static int64_t
shifted(const struct calendar *cal, const struct calendar_rule *rule,
    int64_t day)
{
	int	i;

	if (day < 0 || calendar_is_working_day_number(cal, day))
		return (day);
	switch (rule->shift) {
	case CALENDAR_SHIFT_NONE:
		return (day);
	case CALENDAR_SHIFT_SKIP:
		return (-1);
	case CALENDAR_SHIFT_NEXT:
	case CALENDAR_SHIFT_PREVIOUS:
		for (i = 0; i < SHIFT_WINDOW; i++) {
			day += rule->shift == CALENDAR_SHIFT_NEXT ? 1 : -1;
			if (calendar_is_working_day_number(cal, day))
				return (day);
		}
	}
	return (-1);
}

/*
 * Whether a report under rule is due on day (days since 1970-01-01).
 * Without a shift, only the period holding day can name it; a shift
 * brings in the periods whose day moves onto it, at most SHIFT_WINDOW
 * days away.
 */
int
calendar_rule_due(const struct calendar *cal, const struct calendar_rule *rule,
    int64_t day)
{
	int64_t	start, end, from, to;
	size_t	i;

	if (rule->every == CALENDAR_EVERY_DATES) {
		for (i = 0; i < rule->ndates; i++) {
			if (shifted(cal, rule, rule->dates[i]) == day)
				return (1);
		}
		return (0);
	}
	from = to = day;
	if (rule->shift == CALENDAR_SHIFT_NEXT)
		from = day - SHIFT_WINDOW;
	else if (rule->shift == CALENDAR_SHIFT_PREVIOUS)
		to = day + SHIFT_WINDOW;
	for (period_of(rule->every, from, &start, &end); start <= to;
	    period_of(rule->every, end + 1, &start, &end)) {
		if (shifted(cal, rule, nominal(cal, rule, start, end)) == day)
			return (1);
	}
	return (0);
}
