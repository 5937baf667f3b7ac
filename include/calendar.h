/*
 * Time as procedures and the law count it: elapsed durations, calendar-day
 * and working-day periods (民法典 art. 201, 203), the site's holiday
 * calendar with its adjusted working weekends (调休), and RFC 3339 text in
 * the site time zone.  Pure functions apart from the process time zone.
 */
#ifndef CALENDAR_H
#define CALENDAR_H

#include <stddef.h>
#include <stdint.h>

enum duration_kind {
	DURATION_ELAPSED,	/* s m h d: exact elapsed time */
	DURATION_CALENDAR_DAYS,	/* cd */
	DURATION_WORKING_DAYS,	/* wd */
};

struct duration {
	enum duration_kind	kind;
	int64_t			value;	/* ms for elapsed, else days */
};

struct calendar;

/* The statutory holidays (《全国年节及纪念日放假办法》, as revised 2024). */
enum calendar_festival {
	CALENDAR_NEW_YEAR,		/* 元旦 */
	CALENDAR_SPRING_FESTIVAL,	/* 春节: 除夕 and 正月初一至初三 */
	CALENDAR_QINGMING,		/* 清明节 */
	CALENDAR_LABOUR_DAY,		/* 劳动节 */
	CALENDAR_DRAGON_BOAT,		/* 端午节 */
	CALENDAR_MID_AUTUMN,		/* 中秋节 */
	CALENDAR_NATIONAL_DAY,		/* 国庆节 */
	CALENDAR__FESTIVALS
};
#define CALENDAR_ANY_HOLIDAY	CALENDAR__FESTIVALS
#define CALENDAR_STATUTORY_MAX	13

/* What the national calendar says of a day. */
enum { CALENDAR_DAY_USUAL, CALENDAR_DAY_OFF, CALENDAR_DAY_ON };

int	 calendar_set_zone(const char *, char **);
int	 calendar_parse_duration(const char *, struct duration *, char **);

struct calendar	*calendar_new(void);
void	 calendar_free(struct calendar *);
int	 calendar_add_day(struct calendar *, const char *, int, char **);
int	 calendar_add_regional_day(struct calendar *, const char *, int,
	    char **);
int	 calendar_has_year(const struct calendar *, int);
void	 calendar_set_national(struct calendar *, int);
int	 calendar_national(const struct calendar *);
int	 calendar_provisional(const struct calendar *, int);
#define CALENDAR_AHEAD_DAYS	90
size_t	 calendar_years_ahead(int64_t, int[2]);
const char *calendar_source(const struct calendar *, int);
int	 calendar_check(const struct calendar *, int, char **);
int	 calendar_is_holiday(const struct calendar *, int64_t, int);
int	 calendar_is_working_day(const struct calendar *, int, int, int);
int64_t	 calendar_add(const struct calendar *, int64_t,
	    const struct duration *);
struct duration calendar_left(const struct calendar *, int64_t,
	    const struct duration *, int64_t);

#define CALENDAR_TIME_MAX 40
size_t	 calendar_format(int64_t, char *, size_t);
int	 calendar_parse_time(const char *, int64_t *);
int	 calendar_parse_date(const char *, int *, int *, int *);
int64_t	 calendar_local_midnight(int, int, int);
int64_t	 calendar_day_start(int64_t);
int64_t	 calendar_next_day_start(int64_t);
int	 calendar_weekday(int64_t);
int64_t	 calendar_day_number(int64_t);
int64_t	 calendar_date_number(int, int, int);

int	 calendar_is_working_day_number(const struct calendar *, int64_t);
void	 calendar_date_of(int64_t, int *, int *, int *);

/*
 * calendar-rule.c: the days a recurring report falls due on (SPEC §4):
 * every day, week, month, quarter, half-year or year, on the Nth day or
 * the Nth working day of the period, its last day or last working day, a
 * date of the year, or a list of dates; shifted off a day that is not a
 * working day when the clause says so.
 */
enum calendar_every {
	CALENDAR_EVERY_DAY,
	CALENDAR_EVERY_WEEK,		/* Monday to Sunday */
	CALENDAR_EVERY_MONTH,
	CALENDAR_EVERY_QUARTER,		/* from January, April, July, October */
	CALENDAR_EVERY_HALF_YEAR,	/* from January, July */
	CALENDAR_EVERY_YEAR,
	CALENDAR_EVERY_DATES,		/* only the dates listed */
};

enum calendar_on {
	CALENDAR_ON_DAY,		/* the nth day of the period */
	CALENDAR_ON_WORKING_DAY,	/* the nth working day ("5wd") */
	CALENDAR_ON_LAST,		/* its last day */
	CALENDAR_ON_LAST_WORKING_DAY,	/* its last working day */
	CALENDAR_ON_DATE,		/* month-day of the year ("12-31") */
};

enum calendar_shift {
	CALENDAR_SHIFT_NONE,		/* due on a day off too */
	CALENDAR_SHIFT_NEXT,		/* moves on to the next working day */
	CALENDAR_SHIFT_PREVIOUS,	/* moves back to the working day before */
	CALENDAR_SHIFT_SKIP,		/* not due that period */
};

struct calendar_rule {
	enum calendar_every	 every;
	enum calendar_on	 on;
	int			 n;		/* ON_DAY, ON_WORKING_DAY */
	int			 month, mday;	/* ON_DATE */
	enum calendar_shift	 shift;
	int64_t			*dates;		/* EVERY_DATES: day numbers */
	size_t			 ndates;
};

int	 calendar_every_parse(const char *);
int	 calendar_shift_parse(const char *);
int	 calendar_every_days(int);
const char *calendar_on_parse(const char *, struct calendar_rule *);
int	 calendar_rule_due(const struct calendar *,
	    const struct calendar_rule *, int64_t);

/* calendar-china.c: the national calendar. */
const char *calendar_festival_name(enum calendar_festival);
int	 calendar_festival_find(const char *);
const char *calendar_china_notice(int);
int	 calendar_china_statutory(int, int64_t *, int *);
int	 calendar_china_festival(int, int64_t);
int	 calendar_china_day(int, int, int, int64_t);

#endif
