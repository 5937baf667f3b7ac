/*
 * The office's statistics: a table of units by months, each cell a
 * stats_counts, with a total per unit, per month and over all.  Every
 * count is added to its cell and to the three totals as it comes, so
 * that reading is only looking up.  Units are kept sorted by id (found
 * by bisection), as the ledger keeps them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "xmalloc.h"

struct stats_unit {
	char			*unit;		/* "" for none */
	struct stats_counts	 total;
	struct stats_counts	 month[];	/* stats->n of them */
};

struct stats {
	int			 year0, month0;	/* the first month */
	int			 n;		/* months */
	struct stats_unit	**units;
	size_t			 nunits, cap;
	struct stats_counts	 total;
	struct stats_counts	*per_month;	/* every unit's */
};

/* The rates' names, what each counts, and what it is a share of. */
static const struct {
	const char	*name;
	size_t		 part, whole;
} stats_rates[STATS__RATES] = {
	[STATS_ON_TIME] = { "on_time_rate",
	    offsetof(struct stats_counts, on_time),
	    offsetof(struct stats_counts, due) },
	[STATS_LATE] = { "late_rate",
	    offsetof(struct stats_counts, late),
	    offsetof(struct stats_counts, due) },
	[STATS_MISSED] = { "missed_rate",
	    offsetof(struct stats_counts, missed),
	    offsetof(struct stats_counts, due) },
	[STATS_OVERDUE] = { "overdue_rate",
	    offsetof(struct stats_counts, overdue),
	    offsetof(struct stats_counts, due) },
	[STATS_CONCEALED] = { "concealed_rate",
	    offsetof(struct stats_counts, concealed),
	    offsetof(struct stats_counts, incidents) },
};

/*
 * Where each ledger status is counted: met on time, late, missed, overdue
 * (breached: past due, still open), pending.  Cancelled is not owed, and
 * counts nowhere.
 */
static const struct {
	enum obligation_status	 status;
	size_t			 field;
	int			 due;		/* counts as owed */
} stats_statuses[] = {
	{ OBLIGATION_MET, offsetof(struct stats_counts, on_time), 1 },
	{ OBLIGATION_LATE, offsetof(struct stats_counts, late), 1 },
	{ OBLIGATION_MISSED, offsetof(struct stats_counts, missed), 1 },
	{ OBLIGATION_BREACHED, offsetof(struct stats_counts, overdue), 1 },
	{ OBLIGATION_PENDING, offsetof(struct stats_counts, pending), 0 },
};

#define STATS_FIELD(c, off)	((int64_t *)(void *)((char *)(c) + (off)))

/* n months from year-month (1..12); NULL if n or month is out of range. */
struct stats *
stats_new(int year, int month, int n)
{
	struct stats	*st;

	if (n < 1 || n > STATS_MONTHS_MAX || month < 1 || month > 12)
		return (NULL);
	st = xcalloc(1, sizeof(*st));
	st->year0 = year;
	st->month0 = month;
	st->n = n;
	st->per_month = xcalloc((size_t)n, sizeof(*st->per_month));
	return (st);
}

void
stats_free(struct stats *st)
{
	size_t	i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nunits; i++) {
		free(st->units[i]->unit);
		free(st->units[i]);
	}
	free(st->units);
	free(st->per_month);
	free(st);
}

int
stats_months(const struct stats *st)
{
	return (st->n);
}

/* Month i of the table as YYYY-MM. */
void
stats_month_label(const struct stats *st, int i, char buf[STATS_MONTH_LEN])
{
	unsigned	m = (unsigned)(st->month0 - 1 + i);

	snprintf(buf, STATS_MONTH_LEN, "%04u-%02u",
	    ((unsigned)st->year0 + m / 12) % 10000, m % 12 + 1);
}

/* YYYY-MM: 0, or -1 for anything else. */
int
stats_month_parse(const char *s, int *year, int *month)
{
	char	tail;

	if (s == NULL || strlen(s) != 7 || s[4] != '-' ||
	    sscanf(s, "%4d-%2d%c", year, month, &tail) != 2)
		return (-1);
	return (*year >= 1970 && *year <= 9999 && *month >= 1 &&
	    *month <= 12 ? 0 : -1);
}

/* The row of unit, added in its place when there is none. */
static struct stats_unit *
stats_find(struct stats *st, const char *unit)
{
	size_t			 lo = 0, hi = st->nunits, mid;
	struct stats_unit	*u;
	int			 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(unit, st->units[mid]->unit)) == 0)
			return (st->units[mid]);
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (st->nunits == st->cap) {
		st->cap = st->cap ? 2 * st->cap : 16;
		st->units = xreallocarray(st->units, st->cap,
		    sizeof(*st->units));
	}
	memmove(&st->units[lo + 1], &st->units[lo], (st->nunits - lo) *
	    sizeof(*st->units));
	u = xcalloc(1, sizeof(*u) + (size_t)st->n * sizeof(u->month[0]));
	u->unit = xstrdup(unit);
	st->units[lo] = u;
	st->nunits++;
	return (u);
}

/* n at field (and at due when owed) in the cell and its three totals. */
static void
stats_count(struct stats *st, const char *unit, int month, size_t field,
    int due, int64_t n)
{
	struct stats_unit	*u = stats_find(st, unit != NULL ? unit : "");
	struct stats_counts	*c[4];
	size_t			 i;

	c[0] = &u->month[month];
	c[1] = &u->total;
	c[2] = &st->per_month[month];
	c[3] = &st->total;
	for (i = 0; i < nitems(c); i++) {
		*STATS_FIELD(c[i], field) += n;
		if (due)
			c[i]->due += n;
	}
}

/* n of unit's obligations due in month (0: the first) in status. */
void
stats_add(struct stats *st, const char *unit, int month,
    enum obligation_status status, int64_t n)
{
	size_t	i;

	if (month < 0 || month >= st->n)
		return;
	for (i = 0; i < nitems(stats_statuses); i++) {
		if (stats_statuses[i].status == status)
			stats_count(st, unit, month, stats_statuses[i].field,
			    stats_statuses[i].due, n);
	}
}

/* Incidents unit reported in month, and how many of them too late. */
void
stats_add_reports(struct stats *st, const char *unit, int month,
    int64_t incidents, int64_t concealed)
{
	if (month < 0 || month >= st->n)
		return;
	stats_count(st, unit, month, offsetof(struct stats_counts, incidents),
	    0, incidents);
	stats_count(st, unit, month, offsetof(struct stats_counts, concealed),
	    0, concealed);
}

size_t
stats_units(const struct stats *st)
{
	return (st->nunits);
}

const char *
stats_unit(const struct stats *st, size_t i)
{
	return (i < st->nunits ? st->units[i]->unit : NULL);
}

const struct stats_counts *
stats_get(const struct stats *st, size_t unit, int month)
{
	if (month >= st->n || (unit != SIZE_MAX && unit >= st->nunits))
		return (NULL);
	if (unit == SIZE_MAX)
		return (month < 0 ? &st->total : &st->per_month[month]);
	return (month < 0 ? &st->units[unit]->total :
	    &st->units[unit]->month[month]);
}

/* A rate as a fraction; -1 when its whole is nothing (no rate, not 0%). */
double
stats_rate(const struct stats_counts *c, enum stats_rate r)
{
	int64_t	part, whole;

	if ((unsigned)r >= STATS__RATES)
		return (-1);
	part = *STATS_FIELD(c, stats_rates[r].part);
	whole = *STATS_FIELD(c, stats_rates[r].whole);
	return (whole > 0 ? (double)part / (double)whole : -1);
}

const char *
stats_rate_name(enum stats_rate r)
{
	return ((unsigned)r < STATS__RATES ? stats_rates[r].name : NULL);
}
