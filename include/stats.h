/*
 * The office's statistics (issue 19): the ledger counted per unit and per
 * calendar month -- on time, late, missed, still overdue -- with the
 * incidents each unit reported and how many of them reached us so long
 * after they happened that concealment (瞒报) is suspected, and the rates
 * a monthly 通报 quotes.  The table is pure (stats.c); stats-read.c
 * fills it from the store a slice at a time.
 */
#ifndef STATS_H
#define STATS_H

#include <stddef.h>
#include <stdint.h>

#include "tocsin.h"

#define STATS_MONTHS_MAX	36	/* three years in one table */
#define STATS_MONTH_LEN		8	/* "2026-03" and a NUL */

/* What a unit, a month or both count. */
struct stats_counts {
	int64_t		 due;		/* on_time + late + missed + overdue */
	int64_t		 on_time;	/* met by its due time */
	int64_t		 late;		/* met after it (迟报) */
	int64_t		 missed;	/* never met by its close (漏报) */
	int64_t		 overdue;	/* past due and still open */
	int64_t		 pending;	/* not yet due */
	int64_t		 incidents;	/* reported in the month */
	int64_t		 concealed;	/* of them, reported too long after */
};

/* The rates, each a fraction, or negative when there is nothing to divide. */
enum stats_rate {
	STATS_ON_TIME,
	STATS_LATE,
	STATS_MISSED,
	STATS_OVERDUE,
	STATS_CONCEALED,
	STATS__RATES
};

struct stats;

struct stats	*stats_new(int, int, int);
void		 stats_free(struct stats *);
int		 stats_months(const struct stats *);
void		 stats_month_label(const struct stats *, int,
		    char [STATS_MONTH_LEN]);
void		 stats_add(struct stats *, const char *, int,
		    enum obligation_status, int64_t);
void		 stats_add_reports(struct stats *, const char *, int, int64_t,
		    int64_t);
size_t		 stats_units(const struct stats *);
const char	*stats_unit(const struct stats *, size_t);
/* unit SIZE_MAX: every unit; month -1: every month. */
const struct stats_counts *stats_get(const struct stats *, size_t, int);
double		 stats_rate(const struct stats_counts *, enum stats_rate);
const char	*stats_rate_name(enum stats_rate);
int		 stats_month_parse(const char *, int *, int *);

/* Reading the table from the store in slices (stats-read.c). */
struct store;
struct store_units;
struct stats_read;

struct stats_read *stats_read_new(struct store *, const struct store_units *,
		    int, int, int, int64_t);
void		 stats_read_free(struct stats_read *);
struct stats	*stats_read_stats(const struct stats_read *);
int		 stats_read_step(struct stats_read *, int);

#endif
