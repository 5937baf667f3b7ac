/*
 * Durations, law-grade periods and local time text.
 *
 * A period of N calendar or working days follows 民法典 art. 201 and 203:
 * the start day is not counted, the period ends at 24:00 local time of its
 * last day, and a last day that is not a working day (weekend or statutory
 * holiday) moves to the next working day.  Working days come from the
 * site's holiday calendar: a listed holiday is off, a listed adjusted
 * working day (调休) is on; then the national calendar (calendar-china.c),
 * unless the site turned it off; otherwise Monday to Friday are on.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "calendar.h"
#include "tocsin.h"
#include "xmalloc.h"

struct calendar {
	int	*off;		/* sorted yyyymmdd holidays */
	size_t	 noff;
	int	*on;		/* sorted yyyymmdd adjusted working days */
	size_t	 non;
	int	 years[64];	/* years with a schedule */
	size_t	 nyears;
	int	 national;	/* the national calendar applies */
};

/*
 * The last seconds calendar_format() wrote: the engine formats the same
 * second over and over (each action's time, each message's), and
 * localtime_r and strftime are most of it.  Several, because an event
 * that sets an obligation formats its due time between two of now: with
 * one, each took the other's place.  A new zone forgets them.
 */
#define CALENDAR_FORMATS	4

static struct calendar_formatted {
	int	 valid;
	time_t	 secs;
	size_t	 len;
	char	 text[CALENDAR_TIME_MAX];
} calendar_last[CALENDAR_FORMATS];
static size_t	calendar_last_next;

int
calendar_set_zone(const char *zone, char **cause)
{
	char		 path[512];
	struct stat	 sb;

	if (*zone == '\0' || strstr(zone, "..") != NULL || zone[0] == '/') {
		xasprintf(cause, "bad time zone \"%s\"", zone);
		return (-1);
	}
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", zone);
	if (strcmp(zone, "UTC") != 0 && stat(path, &sb) != 0) {
		xasprintf(cause, "unknown time zone \"%s\"", zone);
		return (-1);
	}
	setenv("TZ", zone, 1);
	tzset();
	memset(calendar_last, 0, sizeof(calendar_last));
	return (0);
}

int
calendar_parse_duration(const char *s, struct duration *d, char **cause)
{
	char		*end;
	long long	 n;

	errno = 0;
	if (!isdigit((unsigned char)*s))
		goto bad;
	n = strtoll(s, &end, 10);
	if (errno != 0 || n < 0 || n > 100000)
		goto bad;
	d->kind = DURATION_ELAPSED;
	if (strcmp(end, "s") == 0)
		d->value = n * MSEC_PER_SEC;
	else if (strcmp(end, "m") == 0)
		d->value = n * MSEC_PER_MIN;
	else if (strcmp(end, "h") == 0)
		d->value = n * MSEC_PER_HOUR;
	else if (strcmp(end, "d") == 0)
		d->value = n * MSEC_PER_DAY;
	else if (strcmp(end, "cd") == 0) {
		d->kind = DURATION_CALENDAR_DAYS;
		d->value = n;
	} else if (strcmp(end, "wd") == 0) {
		d->kind = DURATION_WORKING_DAYS;
		d->value = n;
	} else
		goto bad;
	return (0);
bad:
	xasprintf(cause, "bad duration \"%s\" (want e.g. 90s, 15m, 2h, 3d, "
	    "5cd, 10wd)", s);
	return (-1);
}

/* A calendar with the national holidays on, nothing of the site's yet. */
struct calendar *
calendar_new(void)
{
	struct calendar	*cal = xcalloc(1, sizeof(struct calendar));

	cal->national = 1;
	return (cal);
}

/* A site that keeps its own calendar turns the national one off. */
void
calendar_set_national(struct calendar *cal, int on)
{
	cal->national = on;
}

int
calendar_national(const struct calendar *cal)
{
	return (cal != NULL && cal->national);
}

void
calendar_free(struct calendar *cal)
{
	if (cal == NULL)
		return;
	free(cal->off);
	free(cal->on);
	free(cal);
}

static int	calendar_site_year(const struct calendar *, int);

static int
calendar_cmp_int(const void *a, const void *b)
{
	int	x = *(const int *)a, y = *(const int *)b;

	return ((x > y) - (x < y));
}

/*
 * Add one date, "YYYY-MM-DD", as a holiday (working == 0) or 调休 day.
 * The lists stay sorted with each day once, so ranges that overlap or are
 * listed again cost a look-up, not a longer list.
 */
static int
calendar_add_day_as(struct calendar *cal, const char *date, int working,
    int schedule, char **cause)
{
	int	 y, m, d, key;
	int	**list;
	size_t	*n, lo, hi, mid;

	if (calendar_parse_date(date, &y, &m, &d) != 0) {
		xasprintf(cause, "bad date \"%s\" (want YYYY-MM-DD)", date);
		return (-1);
	}
	if (schedule && !calendar_site_year(cal, y)) {
		if (cal->nyears == nitems(cal->years)) {
			xasprintf(cause, "holidays for more than %zu years",
			    nitems(cal->years));
			return (-1);
		}
		cal->years[cal->nyears++] = y;
	}
	key = y * 10000 + m * 100 + d;
	list = working ? &cal->on : &cal->off;
	n = working ? &cal->non : &cal->noff;
	for (lo = 0, hi = *n; lo < hi; ) {
		mid = lo + (hi - lo) / 2;
		if ((*list)[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < *n && (*list)[lo] == key)
		return (0);
	if (*n % 256 == 0)
		*list = xreallocarray(*list, *n + 256, sizeof(int));
	memmove(*list + lo + 1, *list + lo, (*n - lo) * sizeof(int));
	(*list)[lo] = key;
	(*n)++;
	return (0);
}

/* A day of a year's schedule (a notice): the year is no longer provisional. */
int
calendar_add_day(struct calendar *cal, const char *date, int working,
    char **cause)
{
	return (calendar_add_day_as(cal, date, working, 1, cause));
}

/* A region's own holiday: a day off, the year's schedule still unknown. */
int
calendar_add_regional_day(struct calendar *cal, const char *date,
    int working, char **cause)
{
	return (calendar_add_day_as(cal, date, working, 0, cause));
}

/* Whether the site declared a schedule for year. */
static int
calendar_site_year(const struct calendar *cal, int year)
{
	size_t	i;

	for (i = 0; cal != NULL && i < cal->nyears; i++) {
		if (cal->years[i] == year)
			return (1);
	}
	return (0);
}

/* Whether year has its schedule: the site's, or a built-in notice. */
int
calendar_has_year(const struct calendar *cal, int year)
{
	return (calendar_site_year(cal, year) || (calendar_national(cal) &&
	    calendar_china_notice(year) != NULL));
}

/*
 * A year is provisional while no schedule (a State Council notice, built
 * in or declared by the site) says which days are off and which 调休
 * weekends are worked: only the statutory holidays are known.
 */
int
calendar_provisional(const struct calendar *cal, int year)
{
	return (!calendar_has_year(cal, year));
}

/* The built-in notice year's schedule comes from, or NULL. */
const char *
calendar_source(const struct calendar *cal, int year)
{
	return (calendar_national(cal) ? calendar_china_notice(year) : NULL);
}

/* Whether the national calendar can be computed for year (ICU works). */
int
calendar_check(const struct calendar *cal, int year, char **cause)
{
	int64_t	days[CALENDAR_STATUTORY_MAX];
	int	festivals[CALENDAR_STATUTORY_MAX];

	if (!calendar_national(cal) ||
	    calendar_china_statutory(year, days, festivals) > 0)
		return (0);
	xasprintf(cause, "the national holiday calendar cannot compute the "
	    "lunar holidays of %d (ICU's Chinese calendar failed)", year);
	return (-1);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t		era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int
calendar_find(const int *list, size_t n, int key)
{
	return (list != NULL &&
	    bsearch(&key, list, n, sizeof(int), calendar_cmp_int) != NULL);
}

int
calendar_is_working_day(const struct calendar *cal, int y, int m, int d)
{
	int	key = y * 10000 + m * 100 + d;
	int64_t	wday;

	if (cal != NULL && calendar_find(cal->on, cal->non, key))
		return (1);
	if (cal != NULL && calendar_find(cal->off, cal->noff, key))
		return (0);
	switch (calendar_national(cal) ? calendar_china_day(y, m, d,
	    days_from_civil(y, m, d)) : CALENDAR_DAY_USUAL) {
	case CALENDAR_DAY_ON:
		return (1);
	case CALENDAR_DAY_OFF:
		return (0);
	}
	wday = (days_from_civil(y, m, d) + 4) % 7;	/* 1970-01-01: Thu */
	if (wday < 0)
		wday += 7;
	return (wday != 0 && wday != 6);
}

int64_t
calendar_local_midnight(int y, int m, int d)
{
	struct tm	tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_isdst = -1;
	return ((int64_t)mktime(&tm) * MSEC_PER_SEC);
}

static int64_t
calendar_local_day(int64_t t)
{
	struct tm	tm;
	time_t		secs = (time_t)(t / MSEC_PER_SEC);

	if (t < 0 && t % MSEC_PER_SEC != 0)
		secs--;
	localtime_r(&secs, &tm);
	return (days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday));
}

static int
calendar_working_dayno(const struct calendar *cal, int64_t day)
{
	int	y, m, d;

	civil_from_days(day, &y, &m, &d);
	return (calendar_is_working_day(cal, y, m, d));
}

/* Whether day (days since 1970-01-01) is a working day. */
int
calendar_is_working_day_number(const struct calendar *cal, int64_t day)
{
	return (calendar_working_dayno(cal, day));
}

/* The date of day (days since 1970-01-01). */
void
calendar_date_of(int64_t day, int *y, int *m, int *d)
{
	civil_from_days(day, y, m, d);
}

/* Whether day is a holiday of festival f (or of any): listed or statutory. */
static int
calendar_holiday_mark(const struct calendar *cal, int64_t day, int f)
{
	int	y, m, d, fest = -1;

	civil_from_days(day, &y, &m, &d);
	if (calendar_national(cal))
		fest = calendar_china_festival(y, day);
	if (f != CALENDAR_ANY_HOLIDAY)
		return (fest == f);
	if (fest >= 0 || calendar_find(cal->off, cal->noff,
	    y * 10000 + m * 100 + d))
		return (1);
	return (calendar_national(cal) &&
	    calendar_china_day(y, m, d, day) == CALENDAR_DAY_OFF);
}

/*
 * Whether day (a day number) falls in a holiday: a run of days off (the
 * weekends beside it included) that holds a holiday of festival f, or of
 * any festival or listed holiday with CALENDAR_ANY_HOLIDAY.  元旦 2027, a
 * Friday, makes Friday to Sunday one holiday, as its notice will.
 */
int
calendar_is_holiday(const struct calendar *cal, int64_t day, int f)
{
	int64_t	i;

	if (cal == NULL || calendar_working_dayno(cal, day))
		return (0);
	for (i = day; i > day - 21 && !calendar_working_dayno(cal, i); i--) {
		if (calendar_holiday_mark(cal, i, f))
			return (1);
	}
	for (i = day + 1; i < day + 21 && !calendar_working_dayno(cal, i);
	    i++) {
		if (calendar_holiday_mark(cal, i, f))
			return (1);
	}
	return (0);
}

/* The instant a period starting at t ends: elapsed, or 24:00 of a day. */
int64_t
calendar_add(const struct calendar *cal, int64_t t, const struct duration *dur)
{
	int64_t	day, left;
	int	y, m, d;

	if (dur->kind == DURATION_ELAPSED)
		return (t + dur->value);
	day = calendar_local_day(t);
	if (dur->kind == DURATION_CALENDAR_DAYS) {
		day += dur->value;
		while (!calendar_working_dayno(cal, day))
			day++;
	} else {
		for (left = dur->value; left > 0; left--) {
			day++;
			while (!calendar_working_dayno(cal, day))
				day++;
		}
	}
	civil_from_days(day + 1, &y, &m, &d);
	return (calendar_local_midnight(y, m, d));
}

/*
 * What is left at t of a period dur counted from base: the clock of a
 * paused obligation runs on with it (SPEC §4).  Elapsed time leaves the
 * milliseconds to its end.  A period of days is counted as the law counts
 * it, in whole days: the days of its kind after the day holding t.  That
 * day counts as used when the period counts it (the clock ran in it),
 * just as the start day does not; so the day the clock runs again is,
 * like a start day, not counted, and a pause that ends the day it began
 * changes nothing.  Nothing left of a period of days ends it on the day
 * the clock runs again, or the next working day: 0cd.
 */
struct duration
calendar_left(const struct calendar *cal, int64_t base,
    const struct duration *dur, int64_t t)
{
	struct duration	left = *dur;
	int64_t		day, from = calendar_local_day(base);
	int64_t		to = calendar_local_day(t), used = 0;

	if (dur->kind == DURATION_ELAPSED) {
		left.value = base + dur->value - t;
		if (left.value < 0)
			left.value = 0;
		return (left);
	}
	if (dur->kind == DURATION_CALENDAR_DAYS)
		used = to > from ? to - from : 0;
	else {
		for (day = from + 1; day <= to; day++)
			used += calendar_working_dayno(cal, day);
	}
	left.value = dur->value > used ? dur->value - used : 0;
	if (left.value == 0)
		left.kind = DURATION_CALENDAR_DAYS;
	return (left);
}

/* Days since 1970-01-01 of the local date holding t. */
int64_t
calendar_day_number(int64_t t)
{
	return (calendar_local_day(t));
}

/* Days since 1970-01-01 of a date. */
int64_t
calendar_date_number(int y, int m, int d)
{
	return (days_from_civil(y, m, d));
}

/* Local midnight at the start of the day holding t. */
int64_t
calendar_day_start(int64_t t)
{
	int	y, m, d;

	civil_from_days(calendar_local_day(t), &y, &m, &d);
	return (calendar_local_midnight(y, m, d));
}

/* Local midnight at the start of the day after the one holding t. */
int64_t
calendar_next_day_start(int64_t t)
{
	int	y, m, d;

	civil_from_days(calendar_local_day(t) + 1, &y, &m, &d);
	return (calendar_local_midnight(y, m, d));
}

/* The local weekday of t: 1 Monday .. 7 Sunday. */
int
calendar_weekday(int64_t t)
{
	int64_t	wday = (calendar_local_day(t) + 4) % 7;	/* 1970-01-01: Thu */

	if (wday < 0)
		wday += 7;
	return (wday == 0 ? 7 : (int)wday);
}

/*
 * The years a deadline set at now can reach and so are worth telling
 * about: this year and, once it is within CALENDAR_AHEAD_DAYS, the next.
 * Returns how many (1 or 2) it put in years[].
 */
size_t
calendar_years_ahead(int64_t now, int years[2])
{
	int	y1, y2, m, d;

	civil_from_days(calendar_local_day(now), &y1, &m, &d);
	civil_from_days(calendar_local_day(now) + CALENDAR_AHEAD_DAYS, &y2,
	    &m, &d);
	years[0] = y1;
	years[1] = y2;
	return (y2 != y1 ? 2 : 1);
}

static const struct calendar_formatted *
calendar_format_find(time_t secs)
{
	size_t	i;

	for (i = 0; i < CALENDAR_FORMATS; i++) {
		if (calendar_last[i].valid && calendar_last[i].secs == secs)
			return (&calendar_last[i]);
	}
	return (NULL);
}

size_t
calendar_format(int64_t t, char *buf, size_t len)
{
	const struct calendar_formatted	*f;
	struct calendar_formatted	*slot;
	struct tm			 tm;
	time_t				 secs = (time_t)(t / MSEC_PER_SEC);
	long				 off;
	size_t				 n;

	if (t < 0 && t % MSEC_PER_SEC != 0)
		secs--;
	if ((f = calendar_format_find(secs)) != NULL && f->len < len) {
		memcpy(buf, f->text, f->len + 1);
		return (f->len);
	}
	localtime_r(&secs, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0)
		return (0);
	off = tm.tm_gmtoff / 60;
	if (off == 0)
		n += (size_t)snprintf(buf + n, len - n, "Z");
	else
		n += (size_t)snprintf(buf + n, len - n, "%c%02ld:%02ld",
		    off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
	if (n < len && n < sizeof(slot->text) && f == NULL) {
		slot = &calendar_last[calendar_last_next++ % CALENDAR_FORMATS];
		memcpy(slot->text, buf, n + 1);
		slot->len = n;
		slot->secs = secs;
		slot->valid = 1;
	}
	return (n);
}

static int
parse_digits(const char **p, int n, int *out)
{
	int	v = 0;

	while (n-- > 0) {
		if (!isdigit((unsigned char)**p))
			return (-1);
		v = v * 10 + (*(*p)++ - '0');
	}
	*out = v;
	return (0);
}

static int
days_in_month(int y, int m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return (29);
	return (mdays[m - 1]);
}

static int
parse_date_part(const char **p, int *y, int *m, int *d)
{
	if (parse_digits(p, 4, y) != 0 || *(*p)++ != '-' ||
	    parse_digits(p, 2, m) != 0 || *(*p)++ != '-' ||
	    parse_digits(p, 2, d) != 0)
		return (-1);
	if (*y < 1970 || *y > 9999 || *m < 1 || *m > 12 || *d < 1 ||
	    *d > days_in_month(*y, *m))
		return (-1);
	return (0);
}

int
calendar_parse_date(const char *s, int *y, int *m, int *d)
{
	const char	*p = s;

	if (parse_date_part(&p, y, m, d) != 0 || *p != '\0')
		return (-1);
	return (0);
}

/* RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM). */
int
calendar_parse_time(const char *s, int64_t *out)
{
	const char	*p = s;
	int		 y, mo, d, h, mi, sec, oh, om, ms = 0, scale = 100;
	int64_t		 t;
	int		 sign;

	if (parse_date_part(&p, &y, &mo, &d) != 0)
		return (-1);
	if (*p != 'T' && *p != 't' && *p != ' ')
		return (-1);
	p++;
	if (parse_digits(&p, 2, &h) != 0 || *p++ != ':' ||
	    parse_digits(&p, 2, &mi) != 0 || *p++ != ':' ||
	    parse_digits(&p, 2, &sec) != 0)
		return (-1);
	if (h > 23 || mi > 59 || sec > 60)
		return (-1);
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return (-1);
		for (; isdigit((unsigned char)*p); p++) {
			ms += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		sign = 0;
		oh = om = 0;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (parse_digits(&p, 2, &oh) != 0 || *p++ != ':' ||
		    parse_digits(&p, 2, &om) != 0 || oh > 23 || om > 59)
			return (-1);
	} else
		return (-1);
	if (*p != '\0')
		return (-1);
	if (sec == 60)
		sec = 59;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= sign * (oh * 3600 + om * 60);
	/*
	 * The offset may carry the instant out of the years we write:
	 * 9999-12-31T23:59:59-12:00 is in 10000 here, and calendar_format
	 * would give it back as text no parser takes.
	 */
	civil_from_days(calendar_local_day(t * MSEC_PER_SEC), &y, &mo, &d);
	if (y < 1970 || y > 9999)
		return (-1);
	*out = t * MSEC_PER_SEC + ms;
	return (0);
}
