/*
 * Fuzz the time functions (src/calendar.c): durations, cd/wd periods over
 * random start times with and without the holiday calendar (a site's,
 * with the national calendar built in: statutory holidays of any year from
 * ICU and the notices), dates and RFC 3339 times, in a handful of zones.
 *
 * Input: byte 0 picks the zone, byte 1 the calendar, bytes 2-9 the start
 * time, bytes 10-13 a later second time; the rest, up to a NUL, is text
 * tried as a duration, a date and a time.
 *
 * Checked besides the sanitizers: a period never ends before it starts and
 * a later start never ends sooner; a cd/wd period ends at a local midnight
 * after a working day, with the right count of days; a parsed date or time
 * formats back to itself; days and weekdays agree.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "log.h"
#include "rules.h"
#include "tocsin.h"

#include "fuzz.h"

/* The site zone first; then zones with DST, odd offsets, midnight jumps. */
static const char *zones[] = {
	"Asia/Shanghai", "UTC", "Asia/Urumqi", "Asia/Hong_Kong",
	"America/New_York", "Europe/London", "America/Sao_Paulo",
	"Australia/Lord_Howe", "Asia/Kathmandu",
};

/* Start times: 1970-01-02 .. 9999-12-30 UTC, local years 1970..9999. */
#define FUZZ_T_MIN	(86400LL * 1000)
#define FUZZ_T_MAX	(253402128000LL * 1000)

static struct rules		*holidays;
static const struct calendar	*china;
static size_t			 zone_now = (size_t)-1;

static void
set_zone(size_t i)
{
	char	*cause;

	if (i == zone_now)
		return;
	if (calendar_set_zone(zones[i], &cause) != 0) {
		fprintf(stderr, "fuzz_calendar: %s\n", cause);
		exit(1);
	}
	zone_now = i;
}

/* A site's calendar, loaded the way a site loads it (rules/holidays too). */
static void
load_holidays(void)
{
	struct rules_problems	 problems = { NULL, 0 };
	char			 dir[] = "/tmp/fuzz_calendar.XXXXXX", path[64];
	FILE			*f;
	size_t			 i;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/site.lua", dir);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fprintf(f, "site { rules = { \"%s/rules/holidays\" } }\n"
	    "group \"office\" { }\n", FUZZ_SRCDIR);
	fclose(f);
	holidays = rules_load(path, NULL, &problems);
	for (i = 0; i < problems.n; i++)
		fprintf(stderr, "fuzz_calendar: %s\n", problems.v[i]);
	rules_problems_clear(&problems);
	unlink(path);
	rmdir(dir);
	if (holidays == NULL)
		exit(1);
	china = rules_calendar(holidays);
	FUZZ_CHECK(calendar_has_year(china, 2026));
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init("fuzz_calendar", LOG_LEVEL_ERROR);
	load_holidays();
	set_zone(0);
	return (0);
}

static uint64_t
take(const uint8_t *p, size_t n)
{
	uint64_t	v = 0;

	while (n-- > 0)
		v = (v << 8) | *p++;
	return (v);
}

static int64_t
floor_sec(int64_t t)
{
	return (t - ((t % MSEC_PER_SEC) + MSEC_PER_SEC) % MSEC_PER_SEC);
}

static int
working(const struct calendar *cal, int64_t day)
{
	char	buf[CALENDAR_TIME_MAX];
	int	y, m, d;

	/* The date of a day number, through the public functions. */
	calendar_format(calendar_local_midnight(1970, 1, 1 + (int)day) +
	    12 * MSEC_PER_HOUR, buf, sizeof(buf));
	FUZZ_CHECK(sscanf(buf, "%d-%d-%d", &y, &m, &d) == 3);
	FUZZ_CHECK(calendar_date_number(y, m, d) == day);
	return (calendar_is_working_day(cal, y, m, d));
}

/* A formatted time parses back to itself, to the second. */
static void
check_roundtrip(int64_t t)
{
	char	buf[CALENDAR_TIME_MAX];
	int64_t	back;
	size_t	n;

	n = calendar_format(t, buf, sizeof(buf));
	FUZZ_CHECK(n > 0 && n < sizeof(buf) && strlen(buf) == n);
	FUZZ_CHECK(calendar_parse_time(buf, &back) == 0);
	FUZZ_CHECK(back == floor_sec(t));
}

static void
check_day(int64_t t)
{
	int64_t	start = calendar_day_start(t), next = calendar_next_day_start(t);
	int64_t	day = calendar_day_number(t);
	int	wd = calendar_weekday(t);

	FUZZ_CHECK(start <= t && t < next);
	FUZZ_CHECK(calendar_day_number(start) == day);
	FUZZ_CHECK(calendar_day_number(next) == day + 1);
	FUZZ_CHECK(wd >= 1 && wd <= 7);
	FUZZ_CHECK(wd == 1 + (int)((day + 3) % 7));	/* 1970-01-01: Thu */
}

static void
check_period(const struct calendar *cal, int64_t t, int64_t t2,
    const struct duration *dur)
{
	int64_t	end, end2, first, last, day, n;

	end = calendar_add(cal, t, dur);
	end2 = calendar_add(cal, t2, dur);
	FUZZ_CHECK(end >= t);
	FUZZ_CHECK(end2 >= end);
	if (dur->kind == DURATION_ELAPSED) {
		FUZZ_CHECK(end == t + dur->value);
		return;
	}
	/* Ends at 24:00 of its last day (the law's end of a day). */
	FUZZ_CHECK(end > t);
	FUZZ_CHECK(calendar_day_start(end) == end);
	first = calendar_day_number(t);
	last = calendar_day_number(end - 1);
	FUZZ_CHECK(last >= first + dur->value);
	if (dur->kind == DURATION_CALENDAR_DAYS) {
		/* The last day, moved off any day that is not a working day. */
		FUZZ_CHECK(working(cal, last));
		if (last - first - dur->value <= 60) {
			for (day = first + dur->value; day < last; day++)
				FUZZ_CHECK(!working(cal, day));
		}
		return;
	}
	if (dur->value == 0) {
		FUZZ_CHECK(last == first);
		return;
	}
	/* N working days after the start day, the last one of them. */
	FUZZ_CHECK(working(cal, last));
	if (dur->value <= 500) {
		for (n = 0, day = first + 1; day <= last; day++)
			n += working(cal, day);
		FUZZ_CHECK(n == dur->value);
	}
}

static void
check_text(const char *text, const struct calendar *cal, int64_t t,
    int64_t t2)
{
	struct duration	 dur;
	char		*cause = NULL, buf[32];
	int64_t		 v, mid;
	int		 y, m, d;

	if (calendar_parse_duration(text, &dur, &cause) == 0) {
		FUZZ_CHECK(dur.value >= 0);
		FUZZ_CHECK(dur.kind == DURATION_ELAPSED ?
		    dur.value % MSEC_PER_SEC == 0 &&
		    dur.value <= 100000 * MSEC_PER_DAY : dur.value <= 100000);
		check_period(cal, t, t2, &dur);
	} else {
		FUZZ_CHECK(cause != NULL);
		free(cause);
	}

	if (calendar_parse_date(text, &y, &m, &d) == 0) {
		snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
		FUZZ_CHECK(strcmp(buf, text) == 0);
		mid = calendar_local_midnight(y, m, d);
		FUZZ_CHECK(calendar_day_number(mid) ==
		    calendar_date_number(y, m, d));
		FUZZ_CHECK(calendar_day_start(mid) == mid);
		v = calendar_is_working_day(cal, y, m, d);
		FUZZ_CHECK(v == 0 || v == 1);
	}

	if (calendar_parse_time(text, &v) == 0) {
		check_roundtrip(v);
		check_day(v);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t			 head[14];
	char			 text[65];
	const struct calendar	*cal;
	int64_t			 t, t2;
	size_t			 n;

	memset(head, 0, sizeof(head));
	memcpy(head, data, size < sizeof(head) ? size : sizeof(head));
	set_zone(head[0] % nitems(zones));
	cal = head[1] & 1 ? china : NULL;
	t = FUZZ_T_MIN + (int64_t)(take(head + 2, 8) %
	    (uint64_t)(FUZZ_T_MAX - FUZZ_T_MIN));
	t2 = t + (int64_t)take(head + 10, 4);
	if (t2 > FUZZ_T_MAX)
		t2 = t;

	check_roundtrip(t);
	check_day(t);

	n = size > sizeof(head) ? size - sizeof(head) : 0;
	if (n > sizeof(text) - 1)
		n = sizeof(text) - 1;
	if (n > 0)
		memcpy(text, data + sizeof(head), n);
	text[n] = '\0';
	check_text(text, cal, t, t2);
	return (0);
}
