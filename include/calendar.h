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

int	 calendar_set_zone(const char *, char **);
int	 calendar_parse_duration(const char *, struct duration *, char **);

struct calendar	*calendar_new(void);
void	 calendar_free(struct calendar *);
int	 calendar_add_day(struct calendar *, const char *, int, char **);
int	 calendar_has_year(const struct calendar *, int);
int	 calendar_is_working_day(const struct calendar *, int, int, int);
int64_t	 calendar_add(const struct calendar *, int64_t,
	    const struct duration *);

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

#endif
