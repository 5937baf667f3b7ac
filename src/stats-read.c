/*
 * The statistics read from the store a slice at a time, so that the
 * daemon's loop waits for one slice and not for a year of the ledger
 * (api-stats.c calls a step a loop turn, as the ledger's summary does).
 * First the obligations, month by month on obligations_due: a slice
 * ends at a due time (store_ledger_slice_end), never inside one
 * millisecond, and never past the month's end.  Then the incidents,
 * which have no index on their time: every one is read in the order
 * they were stored, n a slice, and counted in the month it was opened
 * in, if any.  Each count lands where the whole months' queries put it
 * (store_ledger_counts, store_report_counts): the table is the same.
 */
#include <stdlib.h>

#include "calendar.h"
#include "stats.h"
#include "store.h"
#include "xmalloc.h"

/* Count rows one slice of the ledger gives at most: units by statuses. */
#define STATS_READ_ROWS		(20000 * OBLIGATION__COUNT)

enum stats_read_phase { STATS_READ_LEDGER, STATS_READ_REPORTS,
    STATS_READ_DONE };

struct stats_read {
	struct store			*s;
	const struct store_units	*u;
	struct stats			*st;
	int64_t				*bound;	/* n + 1 local month starts */
	int				 n;
	int64_t				 slow;	/* ms: suspected concealment */
	enum stats_read_phase		 phase;
	int				 month;	/* the ledger's, being read */
	int64_t				 at;	/* its due times read up to */
	int64_t				 after;	/* the incident read last */
};

/*
 * n months from year-month, counted for the units kept (NULL: all; the
 * caller keeps them), incidents opened more than slow ms after they
 * occurred counted as concealed.  NULL if the months are out of range.
 */
struct stats_read *
stats_read_new(struct store *s, const struct store_units *u, int year,
    int month, int n, int64_t slow)
{
	struct stats_read	*rd;
	struct stats		*st;
	int			 i, k;

	if ((st = stats_new(year, month, n)) == NULL)
		return (NULL);
	rd = xcalloc(1, sizeof(*rd));
	rd->s = s;
	rd->u = u;
	rd->st = st;
	rd->n = n;
	rd->slow = slow;
	rd->bound = xcalloc((size_t)n + 1, sizeof(*rd->bound));
	for (i = 0; i <= n; i++) {
		k = year * 12 + (month - 1) + i;
		rd->bound[i] = calendar_local_midnight(k / 12, k % 12 + 1, 1);
	}
	rd->at = rd->bound[0];
	return (rd);
}

void
stats_read_free(struct stats_read *rd)
{
	if (rd == NULL)
		return;
	stats_free(rd->st);
	free(rd->bound);
	free(rd);
}

/* The table, the reader's: valid until stats_read_free. */
struct stats *
stats_read_stats(const struct stats_read *rd)
{
	return (rd->st);
}

static int
stats_read_ledger_cb(const char *unit, enum obligation_status status,
    int64_t n, void *arg)
{
	struct stats_read	*rd = arg;

	stats_add(rd->st, unit, rd->month, status, n);
	return (0);
}

/* The month opened_at falls in, by bisection; -1 if none of them. */
static int
stats_read_month(const struct stats_read *rd, int64_t at)
{
	int	lo = 0, hi = rd->n, mid;

	if (at < rd->bound[0] || at >= rd->bound[rd->n])
		return (-1);
	while (hi - lo > 1) {		/* bound[lo] <= at < bound[hi] */
		mid = lo + (hi - lo) / 2;
		if (at < rd->bound[mid])
			hi = mid;
		else
			lo = mid;
	}
	return (lo);
}

static int
stats_read_report_cb(const char *unit, int64_t opened_at, int slow,
    void *arg)
{
	struct stats_read	*rd = arg;
	int			 m;

	if ((m = stats_read_month(rd, opened_at)) >= 0)
		stats_add_reports(rd->st, unit, m, 1, slow);
	return (0);
}

/* About n obligations of the month being read, up to a due time. */
static int
stats_read_ledger(struct stats_read *rd, int n)
{
	int64_t	end, month_end = rd->bound[rd->month + 1];

	if (store_ledger_slice_end(rd->s, rd->at, month_end, n, &end) != 0 ||
	    store_ledger_counts(rd->s, rd->at, end, rd->u,
	    STORE_DRILL_EXCLUDE, STATS_READ_ROWS,
	    stats_read_ledger_cb, rd) != 0)
		return (-1);
	rd->at = end;
	if (end >= month_end && ++rd->month == rd->n)
		rd->phase = STATS_READ_REPORTS;
	return (0);
}

static int
stats_read_reports(struct stats_read *rd, int n)
{
	int	got;

	if ((got = store_report_slice(rd->s, &rd->after, rd->slow, rd->u, n,
	    stats_read_report_cb, rd)) < 0)
		return (-1);
	if (got < n)
		rd->phase = STATS_READ_DONE;
	return (0);
}

/* A slice of about n rows: 1 when the table is read, 0 for more, -1. */
int
stats_read_step(struct stats_read *rd, int n)
{
	int	rc = 0;

	if (rd->phase == STATS_READ_LEDGER)
		rc = stats_read_ledger(rd, n);
	else if (rd->phase == STATS_READ_REPORTS)
		rc = stats_read_reports(rd, n);
	if (rc != 0)
		return (-1);
	return (rd->phase == STATS_READ_DONE);
}
