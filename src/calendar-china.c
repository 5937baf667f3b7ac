/*
 * The national holiday calendar (SPEC §5): the statutory holidays of
 * 《全国年节及纪念日放假办法》 (as revised by 国务院令第795号, 2024) for any
 * year, and the State Council's notices (国务院办公厅关于部分节假日安排的
 * 通知), each with its adjusted working weekends (调休), for the years
 * published.  A year without its notice is provisional: the statutory days
 * are off, the rest is Monday to Friday.
 *
 * The lunar holidays come from ICU's Chinese calendar, which numbers the
 * months (leap months included).  Its new moons are computed to about ten
 * minutes, so a new moon close to midnight in Beijing can land on the
 * wrong day: 春节 2027 (new moon 2027-02-06 23:56) and 2030 (2030-02-03
 * 00:07) would each be a day off.  The first day of each month ICU gives is
 * therefore moved to the day of the new moon computed with Meeus,
 * Astronomical Algorithms ch. 49 (within a minute).  清明 is the day the
 * Sun reaches 15° of apparent longitude (ch. 25), which ICU has no API for.
 * Days are numbered from 1970-01-01 and counted in Beijing time (UTC+8),
 * as the law does, whatever the site's zone.  A year's days are computed
 * once and kept (china_cache): the daemon asks from its loop only, so the
 * cache and the one ICU calendar need no lock.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucal.h>

#include "calendar.h"
#include "tocsin.h"

#define CHINA_OFFSET_DAYS	(8.0 / 24)	/* Beijing time */
#define JD_UNIX_EPOCH		2440587.5	/* 1970-01-01T00:00Z */
#define DELTA_T_DAYS		(69.0 / 86400)	/* TT - UT, about 2020-2030 */
#define DEG			(M_PI / 180)

static const struct calendar_festival_def {
	const char	*name;
	const char	*zh;
} calendar_festivals[CALENDAR__FESTIVALS] = {
	[CALENDAR_NEW_YEAR] = { "new-year", "元旦" },
	[CALENDAR_SPRING_FESTIVAL] = { "spring-festival", "春节" },
	[CALENDAR_QINGMING] = { "qingming", "清明节" },
	[CALENDAR_LABOUR_DAY] = { "labour-day", "劳动节" },
	[CALENDAR_DRAGON_BOAT] = { "dragon-boat", "端午节" },
	[CALENDAR_MID_AUTUMN] = { "mid-autumn", "中秋节" },
	[CALENDAR_NATIONAL_DAY] = { "national-day", "国庆节" },
};

/*
 * The notices as published, by day: days off (off) and 调休 working days
 * (on), yyyymmdd, sorted.  Add a year when its notice is out, with the
 * notice's number; until then the year is provisional.
 */
static const int china_2025_off[] = {
	20250101,
	20250128, 20250129, 20250130, 20250131, 20250201, 20250202, 20250203,
	20250204,
	20250404, 20250405, 20250406,
	20250501, 20250502, 20250503, 20250504, 20250505,
	20250531, 20250601, 20250602,
	20251001, 20251002, 20251003, 20251004, 20251005, 20251006, 20251007,
	20251008,
};
static const int china_2025_on[] = {
	20250126, 20250208, 20250427, 20250928, 20251011,
};
static const int china_2026_off[] = {
	20260101, 20260102, 20260103,
	20260215, 20260216, 20260217, 20260218, 20260219, 20260220, 20260221,
	20260222, 20260223,
	20260404, 20260405, 20260406,
	20260501, 20260502, 20260503, 20260504, 20260505,
	20260619, 20260620, 20260621,
	20260925, 20260926, 20260927,
	20261001, 20261002, 20261003, 20261004, 20261005, 20261006, 20261007,
};
static const int china_2026_on[] = {
	20260104, 20260214, 20260228, 20260509, 20260920, 20261010,
};

static const struct china_notice {
	int		 year;
	const char	*source;
	const int	*off;
	size_t		 noff;
	const int	*on;
	size_t		 non;
} china_notices[] = {
	/* 国务院办公厅关于2025年部分节假日安排的通知, 2024-11-12 */
	{ 2025, "国办发明电〔2024〕12号", china_2025_off,
	    nitems(china_2025_off), china_2025_on, nitems(china_2025_on) },
	/* 国务院办公厅关于2026年部分节假日安排的通知, 2025-11-04 */
	{ 2026, "国办发明电〔2025〕7号", china_2026_off,
	    nitems(china_2026_off), china_2026_on, nitems(china_2026_on) },
	/*
	 * 2027: no notice found by 2026-12-07; the year is provisional.
	 * Never list a guess here: a wrong 调休 day is a wrong deadline.
	 */
};

/* The statutory days of one year: at most 13 (1+4+1+2+1+1+3). */
#define CHINA_STATUTORY_MAX	13
#define CHINA_CACHE		64

static struct china_year {
	int		 year;		/* 0: empty slot */
	int		 ok;
	size_t		 n;
	int64_t		 day[CHINA_STATUTORY_MAX];
	int		 festival[CHINA_STATUTORY_MAX];
} china_cache[CHINA_CACHE];

const char *
calendar_festival_name(enum calendar_festival f)
{
	return (f >= 0 && f < CALENDAR__FESTIVALS ?
	    calendar_festivals[f].name : NULL);
}

int
calendar_festival_find(const char *name)
{
	int	f;

	for (f = 0; f < CALENDAR__FESTIVALS; f++) {
		if (strcmp(calendar_festivals[f].name, name) == 0 ||
		    strcmp(calendar_festivals[f].zh, name) == 0)
			return (f);
	}
	return (-1);
}

static const struct china_notice *
china_notice(int year)
{
	size_t	i;

	for (i = 0; i < nitems(china_notices); i++) {
		if (china_notices[i].year == year)
			return (&china_notices[i]);
	}
	return (NULL);
}

/* The State Council's notice for year: its number, or NULL if none. */
const char *
calendar_china_notice(int year)
{
	const struct china_notice	*n = china_notice(year);

	return (n != NULL ? n->source : NULL);
}

/* Apparent longitude of the Sun in degrees at JDE (Meeus ch. 25). */
static double
china_sun_longitude(double jde)
{
	double	t = (jde - 2451545.0) / 36525, l0, m, c, om;

	l0 = 280.46646 + 36000.76983 * t + 0.0003032 * t * t;
	m = (357.52911 + 35999.05029 * t - 0.0001537 * t * t) * DEG;
	c = (1.914602 - 0.004817 * t - 0.000014 * t * t) * sin(m) +
	    (0.019993 - 0.000101 * t) * sin(2 * m) + 0.000289 * sin(3 * m);
	om = (125.04 - 1934.136 * t) * DEG;
	return (fmod(l0 + c - 0.00569 - 0.00478 * sin(om), 360));
}

/* The Beijing day number holding the instant jde (dynamical time). */
static int64_t
china_day_of(double jde)
{
	return ((int64_t)floor(jde - DELTA_T_DAYS + CHINA_OFFSET_DAYS -
	    JD_UNIX_EPOCH));
}

/* 清明: the day the Sun reaches 15°, between March 30 and April 10. */
static int64_t
china_qingming(int year)
{
	double	lo, hi, mid, l;
	int	i;

	lo = calendar_date_number(year, 3, 30) + JD_UNIX_EPOCH;
	hi = calendar_date_number(year, 4, 10) + JD_UNIX_EPOCH;
	for (i = 0; i < 50; i++) {
		mid = (lo + hi) / 2;
		l = china_sun_longitude(mid);
		if (l < 15 || l > 300)
			lo = mid;
		else
			hi = mid;
	}
	return (china_day_of(lo));
}

/* The new moon of lunation k (k = 0: 2000-01-06), as JDE (Meeus ch. 49). */
static double
china_new_moon(double k)
{
	static const double	a[14][3] = {
		{ 299.77, 0.107408, 0.000325 }, { 251.88, 0.016321, 0.000165 },
		{ 251.83, 26.651886, 0.000164 }, { 349.42, 36.412478, 0.000126 },
		{ 84.66, 18.206239, 0.000110 }, { 141.74, 53.303771, 0.000062 },
		{ 207.14, 2.453732, 0.000060 }, { 154.84, 7.306860, 0.000056 },
		{ 34.52, 27.261239, 0.000047 }, { 207.19, 0.121824, 0.000042 },
		{ 291.34, 1.844379, 0.000040 }, { 161.72, 24.198154, 0.000037 },
		{ 239.56, 25.513099, 0.000035 }, { 331.55, 3.592518, 0.000023 },
	};
	double	t = k / 1236.85, t2 = t * t, jde, e, m, mp, f, om, c;
	int	i;

	jde = 2451550.09766 + 29.530588861 * k + 0.00015437 * t2 -
	    0.000000150 * t2 * t + 0.00000000073 * t2 * t2;
	e = 1 - 0.002516 * t - 0.0000074 * t2;
	m = (2.5534 + 29.10535670 * k - 0.0000014 * t2) * DEG;
	mp = (201.5643 + 385.81693528 * k + 0.0107582 * t2) * DEG;
	f = (160.7108 + 390.67050284 * k - 0.0016118 * t2) * DEG;
	om = (124.7746 - 1.56375588 * k + 0.0020672 * t2) * DEG;
	c = -0.40720 * sin(mp) + 0.17241 * e * sin(m) + 0.01608 * sin(2 * mp) +
	    0.01039 * sin(2 * f) + 0.00739 * e * sin(mp - m) -
	    0.00514 * e * sin(mp + m) + 0.00208 * e * e * sin(2 * m) -
	    0.00111 * sin(mp - 2 * f) - 0.00057 * sin(mp + 2 * f) +
	    0.00056 * e * sin(2 * mp + m) - 0.00042 * sin(3 * mp) +
	    0.00042 * e * sin(m + 2 * f) + 0.00038 * e * sin(m - 2 * f) -
	    0.00024 * e * sin(2 * mp - m) - 0.00017 * sin(om) -
	    0.00007 * sin(mp + 2 * m) + 0.00004 * sin(2 * mp - 2 * f) +
	    0.00004 * sin(3 * m) + 0.00003 * sin(mp + m - 2 * f) +
	    0.00003 * sin(2 * mp + 2 * f) - 0.00003 * sin(mp + m + 2 * f) +
	    0.00003 * sin(mp - m + 2 * f) - 0.00002 * sin(mp - m - 2 * f) -
	    0.00002 * sin(3 * mp + m) + 0.00002 * sin(4 * mp);
	for (i = 0; i < 14; i++)
		c += a[i][2] * sin((a[i][0] + a[i][1] * k -
		    (i == 0 ? 0.009173 * t2 : 0)) * DEG);
	return (jde + c);
}

/*
 * The first day of lunar month (1-12, not leap) of the Chinese year that
 * begins in Gregorian year: ICU's month, on the day of its new moon.
 */
static int
china_month_start(UCalendar *cal, int year, int month, int64_t *day)
{
	UErrorCode	err = U_ZERO_ERROR;
	UDate		ms;
	int64_t		icu, moon;
	double		k;

	ucal_clear(cal);
	ucal_set(cal, UCAL_EXTENDED_YEAR, year + 2637);
	ucal_set(cal, UCAL_MONTH, month - 1);
	ucal_set(cal, UCAL_IS_LEAP_MONTH, 0);
	ucal_set(cal, UCAL_DATE, 1);
	ms = ucal_getMillis(cal, &err);
	if (U_FAILURE(err))
		return (-1);
	icu = (int64_t)floor(ms / 86400000.0);
	k = round((icu + JD_UNIX_EPOCH - 2451550.09766) / 29.530588861);
	moon = china_day_of(china_new_moon(k));
	*day = llabs(moon - icu) <= 1 ? moon : icu;
	return (0);
}

static void
china_add(struct china_year *cy, int64_t day, enum calendar_festival f)
{
	cy->day[cy->n] = day;
	cy->festival[cy->n++] = f;
}

static void
china_compute(struct china_year *cy, int year)
{
	static UCalendar	*cal;
	static const UChar	 utc[] = { 'U', 'T', 'C', 0 };
	UErrorCode		 err = U_ZERO_ERROR;
	int64_t			 spring, dragon, autumn;
	int			 i;

	memset(cy, 0, sizeof(*cy));
	cy->year = year;
	if (cal == NULL)
		cal = ucal_open(utc, -1, "zh_CN@calendar=chinese",
		    UCAL_DEFAULT, &err);
	if (cal == NULL || U_FAILURE(err) ||
	    china_month_start(cal, year, 1, &spring) != 0 ||
	    china_month_start(cal, year, 5, &dragon) != 0 ||
	    china_month_start(cal, year, 8, &autumn) != 0)
		return;
	china_add(cy, calendar_date_number(year, 1, 1), CALENDAR_NEW_YEAR);
	for (i = -1; i <= 2; i++)	/* 除夕, 正月初一至初三 */
		china_add(cy, spring + i, CALENDAR_SPRING_FESTIVAL);
	china_add(cy, china_qingming(year), CALENDAR_QINGMING);
	for (i = 1; i <= 2; i++)
		china_add(cy, calendar_date_number(year, 5, i),
		    CALENDAR_LABOUR_DAY);
	china_add(cy, dragon + 4, CALENDAR_DRAGON_BOAT);	/* 五月初五 */
	china_add(cy, autumn + 14, CALENDAR_MID_AUTUMN);	/* 八月十五 */
	for (i = 1; i <= 3; i++)
		china_add(cy, calendar_date_number(year, 10, i),
		    CALENDAR_NATIONAL_DAY);
	cy->ok = 1;
}

static const struct china_year *
china_year(int year)
{
	struct china_year	*cy = &china_cache[(unsigned)year % CHINA_CACHE];

	if (cy->year != year)
		china_compute(cy, year);
	return (cy);
}

/*
 * The statutory days of year, as day numbers with their festivals, in
 * days[] and festivals[] (each CALENDAR_STATUTORY_MAX long); the count,
 * or -1 when ICU cannot compute the lunar calendar.
 */
int
calendar_china_statutory(int year, int64_t *days, int *festivals)
{
	const struct china_year	*cy = china_year(year);

	if (!cy->ok)
		return (-1);
	memcpy(days, cy->day, cy->n * sizeof(*days));
	memcpy(festivals, cy->festival, cy->n * sizeof(*festivals));
	return ((int)cy->n);
}

/* The festival whose statutory day day is, or -1. */
int
calendar_china_festival(int year, int64_t day)
{
	const struct china_year	*cy = china_year(year);
	size_t			 i;

	for (i = 0; i < cy->n; i++) {
		if (cy->day[i] == day)
			return (cy->festival[i]);
	}
	return (-1);
}

static int
china_cmp_int(const void *a, const void *b)
{
	int	x = *(const int *)a, y = *(const int *)b;

	return ((x > y) - (x < y));
}

/*
 * What the national calendar says of a date: CALENDAR_DAY_ON (a 调休
 * working day), CALENDAR_DAY_OFF (a holiday of the notice or, without
 * one, a statutory day) or CALENDAR_DAY_USUAL (as its weekday).
 */
int
calendar_china_day(int y, int m, int d, int64_t day)
{
	const struct china_notice	*n = china_notice(y);
	int				 key = y * 10000 + m * 100 + d;

	if (n == NULL)
		return (calendar_china_festival(y, day) >= 0 ?
		    CALENDAR_DAY_OFF : CALENDAR_DAY_USUAL);
	if (bsearch(&key, n->on, n->non, sizeof(int), china_cmp_int) != NULL)
		return (CALENDAR_DAY_ON);
	if (bsearch(&key, n->off, n->noff, sizeof(int), china_cmp_int) != NULL)
		return (CALENDAR_DAY_OFF);
	return (CALENDAR_DAY_USUAL);
}
