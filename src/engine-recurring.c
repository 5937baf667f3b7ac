/*
 * Recurring reports (定期报告).  On each day a report falls on, every unit
 * that owes it gets an obligation, due at the report's time and missed
 * (漏报) when it closes unmet.  The units are a list or a rule's answer;
 * when the rule fails, the units of the previous period are owed again.
 * A spot check (随机抽查) owes only the units drawn for the day.  One timer
 * per report opens each day; the calendar rule (calendar-rule.c) and the
 * report's `during` tag say whether the report falls due on it.
 */
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "clock.h"
#include "engine.h"
#include "engine-int.h"
#include "log.h"
#include "match.h"
#include "rules.h"
#include "store.h"

/*
 * TIMER_OBLIGATION_CLOSE: closing time of the recurring report's
 * obligation ref: unmet is missed (漏报).
 */
int
engine_recurring_fire_close(struct engine *e, int64_t ref, int64_t due)
{
	struct store_obligation	*o;
	struct scope		 s;
	int			 rc;

	(void)due;
	if ((o = engine_obligation_load(e, ref)) == NULL)
		return (0);
	if (!obligation_status_open(o->status)) {
		engine_obligation_free(o);
		return (0);
	}
	engine_scope_obligation(&s, NULL, o);
	rc = engine_obligation_close(e, o, OBLIGATION_MISSED, 0, 0);
	if (rc == 0)
		rc = engine_emit(e, &s, "obligation.missed",
		    json_pack("{s:s}", "reason", "closed"));
	engine_obligation_free(o);
	return (rc);
}

/*
 * TIMER_OBLIGATION_REMIND of a recurring report's obligation: its owner
 * hears that it falls due soon.
 */
int
engine_recurring_remind(struct engine *e, const struct store_obligation *o)
{
	struct scope	s;
	int		rc;

	if (o->status != OBLIGATION_PENDING || o->owner == NULL ||
	    clock_now() >= o->due_at)
		return (0);
	engine_scope_obligation(&s, NULL, o);
	rc = engine_emit(e, &s, "obligation.reminded",
	    engine_extra_time("due_at", o->due_at));
	if (rc == 0)
		rc = engine_notify(e, &s, o->owner, "remind");
	return (rc);
}

/* FNV-1a over s and its terminating NUL, from h. */
static uint64_t
spotcheck_hash(uint64_t h, const char *s)
{
	do {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	} while (*s++ != '\0');
	return (h);
}

/* splitmix64: the next number of the draw. */
static uint64_t
spotcheck_next(uint64_t *x)
{
	uint64_t	z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

static int
spotcheck_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/*
 * Keep pick of units, drawn at random with the seed, the spot check's
 * name and the day (local midnight) as the only inputs: the same on every
 * run, after a restart, and in simulate, whatever order the units came
 * in; and a different draw each day.  The units kept are in name order.
 */
void
engine_spotcheck_pick(const char *seed, const char *name, int64_t day,
    size_t pick, struct names *units)
{
	char		 date[CALENDAR_TIME_MAX];
	uint64_t	 x = 0xcbf29ce484222325ULL;
	size_t		 i, j, n = units->n;
	char		*tmp;

	qsort(units->v, n, sizeof(*units->v), spotcheck_cmp);
	for (i = 1, j = 1; i < n; i++) {	/* a unit listed twice */
		if (strcmp(units->v[i], units->v[j - 1]) != 0)
			units->v[j++] = units->v[i];
		else
			free(units->v[i]);
	}
	units->n = n = n > 0 ? j : 0;
	if (pick >= n)
		return;
	calendar_format(day, date, sizeof(date));
	x = spotcheck_hash(spotcheck_hash(spotcheck_hash(x, seed), name),
	    date);
	for (i = 0; i < pick; i++) {	/* Fisher-Yates, pick steps */
		j = i + (size_t)(spotcheck_next(&x) % (n - i));
		tmp = units->v[i];
		units->v[i] = units->v[j];
		units->v[j] = tmp;
	}
	for (i = pick; i < n; i++)
		free(units->v[i]);
	units->n = pick;
	qsort(units->v, pick, sizeof(*units->v), spotcheck_cmp);
}

/*
 * The units a recurring report is owed by: a list, or a rule's answer
 * (match.c calls it).  When the rule fails, *cause says why (the caller
 * frees it).
 */
static int
engine_recurring_units(struct engine *e, const struct recurring *rc,
    struct names *units, char **cause)
{
	if (match_recurring_units(e->rules, rc, units, cause) == 0)
		return (0);
	log_warnx("engine: recurring units failed recurring=%s reason=%s",
	    rc->name, *cause);
	return (-1);
}

/*
 * The units function of rc failed for the period due at due.  What was
 * owed must not vanish from the 漏报 ledger, so the units owed in the
 * latest earlier period of the same report are owed again (*from: its
 * due time, 0 if there was none); the failure is an event.rejected naming
 * the recurring report, and the office is told, as for any rule failure.
 */
struct recurring_previous {
	struct names	*units;
	int64_t		 from;
};

static int
engine_recurring_previous_cb(const struct store_obligation *r, void *arg)
{
	struct recurring_previous	*p = arg;

	names_add(p->units, r->unit);
	p->from = r->due_at;
	return (0);
}

static int
engine_recurring_fallback(struct engine *e, const struct recurring *rc,
    int64_t due, const char *cause, struct names *units, int64_t *from)
{
	struct recurring_previous	 prev = { units, 0 };
	struct scope			 s;
	json_t				*extra, *list;
	char				 at[CALENDAR_TIME_MAX];
	size_t				 i;

	*from = 0;
	if (store_recurring_previous(e->store, rc->name, due,
	    engine_recurring_previous_cb, &prev) != 0)
		return (-1);
	*from = prev.from;
	e->stats.rejected++;
	memset(&s, 0, sizeof(s));
	s.c.recurring = rc->name;
	s.c.obligation = rc->name;
	extra = json_pack("{s:s}", "reason", cause != NULL ? cause :
	    "the units function failed");
	if (*from != 0) {
		calendar_format(*from, at, sizeof(at));
		list = json_array();
		for (i = 0; i < units->n; i++)
			json_array_append_new(list, json_string(units->v[i]));
		json_object_set_new(extra, "fallback", json_string(
		    "previous-period"));
		json_object_set_new(extra, "units_from", json_string(at));
		json_object_set_new(extra, "units", list);
	} else
		json_object_set_new(extra, "fallback", json_string("none"));
	if (engine_emit(e, &s, "event.rejected", extra) != 0)
		return (-1);
	return (engine_notify(e, &s, "office", "rejected"));
}

/* One period of a recurring report opens: an obligation per unit. */
static int
engine_recurring_instances(struct engine *e, const struct recurring *rc,
    int64_t day)
{
	struct names		units = { NULL, 0 };
	struct store_obligation	row;
	struct scope		s;
	int64_t			due = day + rc->at, close = day + rc->close, id;
	int64_t			from = 0;
	json_t			*extra;
	char			*cause = NULL, at[CALENDAR_TIME_MAX];
	size_t			i, j;
	int			rc_ = 0;

	if (engine_recurring_units(e, rc, &units, &cause) != 0) {
		rc_ = engine_recurring_fallback(e, rc, due, cause, &units,
		    &from);
		free(cause);
	} else if (rc->pick > 0)
		engine_spotcheck_pick(rc->seed, rc->name, day,
		    (size_t)rc->pick, &units);
	for (i = 0; i < units.n && rc_ == 0; i++) {
		memset(&row, 0, sizeof(row));
		row.recurring = rc->name;
		row.unit = units.v[i];
		row.name = rc->name;
		row.title = rc->title;
		row.owner = rc->owner;
		row.on_breach = rc->on_breach;
		row.set_at = clock_now();
		row.due_at = due;
		row.close_at = close;
		if ((rc_ = store_obligation_add(e->store, &row, &id)) != 0)
			break;
		memset(&s, 0, sizeof(s));
		s.c.recurring = rc->name;
		s.c.unit = units.v[i];
		s.c.obligation = rc->name;
		s.obligation_id = id;
		extra = engine_extra_time("due_at", due);
		if (from != 0) {	/* owed as in that period: say so */
			calendar_format(from, at, sizeof(at));
			json_object_set_new(extra, "units_from",
			    json_string(at));
		}
		rc_ = engine_emit(e, &s, "obligation.set", extra);
		if (rc_ == 0)
			rc_ = engine_timer_add(e, due, TIMER_OBLIGATION_DUE, id);
		if (rc_ == 0)
			rc_ = engine_timer_add(e, close, TIMER_OBLIGATION_CLOSE,
			    id);
		for (j = 0; j < rc->nremind && rc_ == 0; j++) {
			/* A lead before the day opened: nothing to remind. */
			if (due - rc->remind[j].value > clock_now())
				rc_ = engine_timer_add(e, due -
				    rc->remind[j].value,
				    TIMER_OBLIGATION_REMIND, id);
		}
	}
	names_free(&units);
	return (rc_);
}

/*
 * Whether rc falls due on the day starting at day: by its calendar rule,
 * and, with `during`, only while a period with that tag is on.
 */
static int
engine_recurring_due(struct engine *e, const struct recurring *rc,
    int64_t day)
{
	if (!calendar_rule_due(rules_calendar(e->rules), &rc->rule,
	    calendar_day_number(day)))
		return (0);
	return (rc->during == NULL ||
	    engine_period_active(e, rc->during, day) != NULL);
}

/* TIMER_RECURRING_OPEN: the next period of recurring report id opens. */
int
engine_recurring_fire_open(struct engine *e, int64_t id, int64_t due)
{
	const struct recurring	*rc;
	struct store_recurring	 r;
	int64_t			 day, next;
	int			 rc_;

	(void)due;
	if ((rc_ = store_recurring_get(e->store, id, &r)) != 1) {
		store_recurring_clear(&r);
		return (rc_);
	}
	rc_ = 0;
	day = r.next_at;
	/* Gone from the rules: it sleeps until a reload brings it back. */
	if ((rc = rules_recurring_find(e->rules, r.name)) != NULL) {
		if (engine_recurring_due(e, rc, day))
			rc_ = engine_recurring_instances(e, rc, day);
		next = calendar_next_day_start(day);
		if (rc_ == 0)
			rc_ = store_recurring_set_next(e->store, id, next);
		if (rc_ == 0)
			rc_ = engine_timer_add(e, next, TIMER_RECURRING_OPEN, id);
	}
	store_recurring_clear(&r);
	return (rc_);
}

/*
 * Make sure every recurring report of the rules has its next period
 * scheduled.  A new one starts today if today's due time is still ahead,
 * else tomorrow.  Runs inside the caller's transaction.
 */
int
engine_sync_recurring(struct engine *e)
{
	const struct recurring	*rc;
	struct store_recurring	 r;
	int64_t			 now = clock_now(), first, id, next;
	size_t			 i, n = rules_recurring_count(e->rules);
	int			 found, pending;

	for (i = 0; i < n; i++) {
		rc = rules_recurring(e->rules, i);
		found = store_recurring_find(e->store, rc->name, &r);
		id = r.id;
		next = r.next_at;
		store_recurring_clear(&r);
		if (found < 0)
			return (-1);
		if (!found) {
			first = calendar_day_start(now);
			if (now >= first + rc->at)
				first = calendar_next_day_start(now);
			if (store_recurring_add(e->store, rc->name, first,
			    &id) != 0 || engine_timer_add(e, first,
			    TIMER_RECURRING_OPEN, id) != 0)
				return (-1);
			continue;
		}
		pending = store_timer_exists(e->store, TIMER_RECURRING_OPEN, id);
		if (pending < 0 || (pending == 0 && engine_timer_add(e, next,
		    TIMER_RECURRING_OPEN, id) != 0))
			return (-1);
	}
	return (0);
}
