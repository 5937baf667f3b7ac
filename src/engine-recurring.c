/*
 * Recurring reports (定期报告).  On each day a report falls on, every unit
 * that owes it gets an obligation, due at the report's time and missed
 * (漏报) when it closes unmet.  The units are a list or a rule's answer;
 * when the rule fails, the units of the previous period are owed again.
 * One timer per report opens its next period.
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
	size_t			i;
	int			rc_ = 0;

	if (engine_recurring_units(e, rc, &units, &cause) != 0) {
		rc_ = engine_recurring_fallback(e, rc, due, cause, &units,
		    &from);
		free(cause);
	}
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
	}
	names_free(&units);
	return (rc_);
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
		if (rc->weekday == 0 || calendar_weekday(day) == rc->weekday)
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
