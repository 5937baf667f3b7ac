/*
 * The lifecycle of an obligation beyond set, met and breached (SPEC §4,
 * "Obligation lifecycle"): one that starts at an event on its incident
 * (from = { type = ... }), counted from a time the event carries (at =
 * "attrs.x"); one whose deadline the event gives (due = { attr = x }:
 * 限期整改); and one whose clock stops and runs on with what was left
 * (pause_on, resume_on: 鉴定、听证期间不计入).
 *
 * A pausable obligation's clock is a row of its own (store_clock): the
 * period in force, what it counts from, when it stopped and how long it
 * has stood still.  A period of days resumes counted as the law counts
 * it, in whole days (calendar_left); elapsed time with what was left to
 * the millisecond.  While stopped it has no due or reminder timer, so
 * neither its breach nor its reminders come; meeting it then is on time.
 * A breached one's escalation waits too: its steps move on by the time
 * it stood still, and meeting it is still late.
 */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "calendar.h"
#include "clock.h"
#include "engine.h"
#include "engine-int.h"
#include "log.h"
#include "match.h"
#include "record.h"
#include "rules.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

/* The names a clock's kind is stored under, by enum duration_kind. */
static const char *const lifecycle_kinds[] = {
	[DURATION_ELAPSED] = "elapsed",
	[DURATION_CALENDAR_DAYS] = "cd",
	[DURATION_WORKING_DAYS] = "wd",
};

static int
lifecycle_kind(const char *name, enum duration_kind *kind)
{
	size_t	i;

	for (i = 0; i < nitems(lifecycle_kinds); i++) {
		if (name != NULL && strcmp(name, lifecycle_kinds[i]) == 0) {
			*kind = (enum duration_kind)i;
			return (0);
		}
	}
	return (-1);
}

static int
lifecycle_match_none(const struct match *m)
{
	return (m->ref == LUA_NOREF && m->nterms == 0);
}

int
engine_lifecycle_pausable(const struct obligation_def *d)
{
	return (!lifecycle_match_none(&d->pause_on));
}

/* The text of attribute name (or "attrs.name") of ev, or NULL. */
static const char *
lifecycle_attr(const struct record *ev, const char *name)
{
	if (strncmp(name, "attrs.", 6) == 0)
		name += 6;
	return (json_string_value(json_object_get(json_object_get(ev->json,
	    "attrs"), name)));
}

/* Say why the event sets no obligation d, and tell the office. */
static int
lifecycle_reject(struct engine *e, const struct incident *inc,
    const struct procedure *p, const struct obligation_def *d,
    const struct record *ev, const char *fmt, const char *attr)
{
	struct scope	 s;
	char		*cause;
	int		 rc;

	engine_scope_incident(&s, inc);
	s.c.obligation = d->id;
	xasprintf(&cause, fmt, d->id, attr);
	rc = engine_notify_reject(e, &s, p->name, ev, cause);
	free(cause);
	return (rc);
}

/*
 * due = { attr = "deadline" }: the event's attribute is an RFC 3339 time
 * (the deadline itself) or a duration counted from *base.  *due, *used
 * (the period, for a clock) and *base are set, and 0 returned; 1 when the
 * attribute is missing or malformed (the event is rejected for this
 * obligation, which is not set), -1 when the store failed.
 */
int
engine_lifecycle_due(struct engine *e, const struct incident *inc,
    const struct procedure *p, const struct obligation_def *d,
    int64_t *base, struct duration *used, int64_t *due)
{
	const struct record	*ev = e->event;
	const char		*text;
	char			*cause = NULL;
	int64_t			 t;

	if (ev == NULL)
		return (1);
	if ((text = lifecycle_attr(ev, d->due_attr)) == NULL)
		return (lifecycle_reject(e, inc, p, d, ev, "obligation \"%s\": "
		    "the event has no attribute \"%s\" to give its due (an "
		    "RFC 3339 time or a duration)", d->due_attr) != 0 ? -1 : 1);
	if (calendar_parse_time(text, &t) == 0) {
		*due = t;
		used->kind = DURATION_ELAPSED;
		used->value = t - *base;
		return (0);
	}
	if (calendar_parse_duration(text, used, &cause) == 0) {
		*due = calendar_add(rules_calendar(e->rules), *base, used);
		return (0);
	}
	free(cause);
	return (lifecycle_reject(e, inc, p, d, ev, "obligation \"%s\": "
	    "attribute \"%s\" is neither an RFC 3339 time nor a duration such "
	    "as \"15cd\"", d->due_attr) != 0 ? -1 : 1);
}

/* A pausable obligation id gets its clock: used, counted from base. */
int
engine_lifecycle_clock(struct engine *e, const struct obligation_def *d,
    int64_t id, int64_t base, const struct duration *used)
{
	struct store_clock	c;

	if (!engine_lifecycle_pausable(d))
		return (0);
	memset(&c, 0, sizeof(c));
	c.base = base;
	c.kind = (char *)lifecycle_kinds[used->kind];
	c.length = used->value;
	return (store_clock_set(e->store, id, &c));
}

/* Is o's clock standing still? */
int
engine_lifecycle_paused(struct engine *e, const struct store_obligation *o)
{
	const struct obligation_def	*d = engine_obligation_def(e, o);
	struct store_clock		 c;
	int				 paused;

	if (d == NULL || !engine_lifecycle_pausable(d) ||
	    store_clock_get(e->store, o->id, &c) != 1)
		return (0);
	paused = c.paused_at != 0;
	store_clock_clear(&c);
	return (paused);
}

struct lifecycle_ids {
	int64_t	*v;
	size_t	 n;
};

static int
lifecycle_ids_cb(const struct store_escalation *r, void *arg)
{
	struct lifecycle_ids	*l = arg;

	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = r->id;
	return (0);
}

/*
 * The active escalations of breached obligation o wait (paused_ms 0) or
 * run on, their steps moved on by paused_ms: the step due when the clock
 * stopped comes as long after it runs again as it was away then.
 */
static int
lifecycle_escalations(struct engine *e, struct incident *inc,
    struct store_obligation *o, int64_t paused_ms)
{
	struct lifecycle_ids	 l = { NULL, 0 };
	struct store_escalation	 r;
	size_t			 i;
	int			 rc;

	rc = store_escalations_active_of_obligation(e->store, o->id,
	    lifecycle_ids_cb, &l);
	for (i = 0; i < l.n && rc == 0; i++) {
		if ((rc = engine_timers_cancel(e, TIMER_ESCALATION_STEP,
		    l.v[i])) != 0 || paused_ms == 0)
			continue;
		if ((rc = store_escalation_get(e->store, l.v[i], &r)) != 1) {
			rc = rc < 0 ? -1 : 0;
			continue;
		}
		r.started_at += paused_ms;
		rc = store_escalation_restart(e->store, r.id, r.started_at);
		if (rc == 0)
			rc = engine_escalation_run(e, r.id, r.policy,
			    r.started_at, r.step, r.repeats, inc, o);
		store_escalation_clear(&r);
	}
	free(l.v);
	return (rc);
}

/* The clock stops: no breach, reminder or escalation step until it runs. */
static int
lifecycle_pause(struct engine *e, struct incident *inc,
    struct store_obligation *o, struct store_clock *c)
{
	struct scope	s;

	c->paused_at = clock_now();
	if (store_clock_set(e->store, o->id, c) != 0 ||
	    engine_timers_cancel(e, TIMER_OBLIGATION_DUE, o->id) != 0 ||
	    engine_timers_cancel(e, TIMER_OBLIGATION_REMIND, o->id) != 0 ||
	    lifecycle_escalations(e, inc, o, 0) != 0)
		return (-1);
	engine_scope_obligation(&s, inc, o);
	return (engine_emit(e, &s, "obligation.paused",
	    engine_extra_time("due_at", o->due_at)));
}

/* A breached obligation's clock runs on: its escalation's steps with it. */
static int
lifecycle_resume_breached(struct engine *e, struct incident *inc,
    struct store_obligation *o, struct store_clock *c)
{
	struct scope	 s;
	int64_t		 away = clock_now() - c->paused_at;
	json_t		*extra;

	c->paused_ms += away;
	c->paused_at = 0;
	if (store_clock_set(e->store, o->id, c) != 0)
		return (-1);
	engine_scope_obligation(&s, inc, o);
	extra = engine_extra_time("due_at", o->due_at);
	json_object_set_new(extra, "paused_s",
	    json_integer(c->paused_ms / MSEC_PER_SEC));
	if (engine_emit(e, &s, "obligation.resumed", extra) != 0)
		return (-1);
	return (lifecycle_escalations(e, inc, o, away));
}

/*
 * The clock runs on with what was left at the pause, counted from now:
 * elapsed time to the millisecond, a period of days in the law's whole
 * days (calendar_left).  The clock then counts that from now.
 */
static int
lifecycle_resume(struct engine *e, struct incident *inc,
    const struct obligation_def *d, struct store_obligation *o,
    struct store_clock *c)
{
	const struct calendar	*cal = rules_calendar(e->rules);
	struct duration		 dur, left;
	struct scope		 s;
	int64_t			 now = clock_now(), due, was = o->due_at;
	json_t			*extra;
	char			 buf[CALENDAR_TIME_MAX];

	if (o->status == OBLIGATION_BREACHED)
		return (lifecycle_resume_breached(e, inc, o, c));
	if (lifecycle_kind(c->kind, &dur.kind) != 0)
		dur.kind = DURATION_ELAPSED;
	dur.value = c->length;
	if (dur.kind == DURATION_ELAPSED) {
		left.kind = DURATION_ELAPSED;
		left.value = was > c->paused_at ? was - c->paused_at : 0;
	} else
		left = calendar_left(cal, c->base, &dur, c->paused_at);
	due = calendar_add(cal, now, &left);
	c->paused_ms += now - c->paused_at;
	c->paused_at = 0;
	c->base = now;
	free(c->kind);
	c->kind = xstrdup(lifecycle_kinds[left.kind]);
	c->length = left.value;
	if (store_clock_set(e->store, o->id, c) != 0 ||
	    store_obligation_set_due(e->store, o->id, due) != 0)
		return (-1);
	o->due_at = due;
	engine_scope_obligation(&s, inc, o);
	calendar_format(was, buf, sizeof(buf));
	extra = engine_extra_time("due_at", due);
	json_object_set_new(extra, "was_due_at", json_string(buf));
	json_object_set_new(extra, "paused_s",
	    json_integer(c->paused_ms / MSEC_PER_SEC));
	if (engine_emit(e, &s, "obligation.resumed", extra) != 0)
		return (-1);
	return (engine_obligation_timers(e, d, o->id, due));
}

/*
 * The event pauses the open obligations of inc whose pause_on it matches
 * and resumes the paused ones whose resume_on it matches.  A breached
 * one's time has run out (a pause does not undo that: met, it is late),
 * but its escalation waits.
 */
static int
lifecycle_pauses(struct engine *e, struct incident *inc,
    const struct record *ev, struct match_event *mev)
{
	const struct obligation_def	 *d;
	struct store_obligation		**v;
	struct store_clock		  c;
	size_t				  i, n;
	char				 *cause;
	int				  rc = 0, m;

	v = engine_obligations_open(e, inc->key, NULL, &n);
	for (i = 0; i < n && rc == 0; i++) {
		if ((d = engine_obligation_def(e, v[i])) == NULL ||
		    !engine_lifecycle_pausable(d))
			continue;
		if ((rc = store_clock_get(e->store, v[i]->id, &c)) != 1) {
			rc = rc < 0 ? -1 : 0;
			continue;
		}
		rc = 0;
		m = match_test(mev, c.paused_at != 0 ? &d->resume_on :
		    &d->pause_on, &cause);
		if (m < 0) {
			struct scope	s;

			engine_scope_obligation(&s, inc, v[i]);
			rc = engine_notify_reject(e, &s, v[i]->procedure, ev,
			    cause);
			free(cause);
		} else if (m == 1)
			rc = c.paused_at != 0 ?
			    lifecycle_resume(e, inc, d, v[i], &c) :
			    lifecycle_pause(e, inc, v[i], &c);
		store_clock_clear(&c);
	}
	engine_obligations_free(v, n);
	return (rc);
}

struct lifecycle_seen {
	const char	*procedure;
	const char	*name;
	int		 found;
};

static int
lifecycle_seen_cb(const struct store_obligation *o, void *arg)
{
	struct lifecycle_seen	*s = arg;

	if (o->procedure != NULL && strcmp(o->procedure, s->procedure) == 0 &&
	    strcmp(o->name, s->name) == 0)
		s->found = 1;
	return (s->found);
}

/*
 * Does the event start d of p?  It must match d's from, at d's grade or
 * graver, and d must not have started before: the first matching event
 * starts it.  1 yes, 0 no, -1 the rule failed (*cause).
 */
static int
lifecycle_starts(struct engine *e, const struct incident *inc,
    const struct procedure *p, const struct obligation_def *d,
    struct match_event *mev, char **cause)
{
	struct lifecycle_seen	seen = { p->name, d->id, 0 };
	int			rc;

	if (d->from != FROM_EVENT || (d->grade != 0 &&
	    (inc->worst_grade == GRADE_NONE || inc->worst_grade > d->grade)))
		return (0);
	if ((rc = match_test(mev, &d->from_event, cause)) != 1)
		return (rc);
	if (store_obligations_of_incident(e->store, inc->key,
	    lifecycle_seen_cb, &seen) < 0)
		return (-1);
	return (!seen.found);
}

/* The obligations of inc that the event starts (from = { ... }). */
static int
lifecycle_starts_all(struct engine *e, struct incident *inc,
    const struct record *ev, struct match_event *mev)
{
	const struct procedure		*p;
	const struct obligation_def	*d;
	struct scope			 s;
	const char			*at;
	json_t				*name;
	size_t				 i, j;
	int64_t				 began;
	char				*cause = NULL;
	int				 rc;

	json_array_foreach(inc->procedures, i, name) {
		if ((p = rules_procedure_find(e->rules,
		    json_string_value(name))) == NULL)
			continue;
		for (j = 0; j < p->nobligations; j++) {
			d = &p->obligations[j];
			if ((rc = lifecycle_starts(e, inc, p, d, mev,
			    &cause)) < 0 && cause != NULL) {
				engine_scope_incident(&s, inc);
				s.c.obligation = d->id;
				rc = engine_notify_reject(e, &s, p->name, ev,
				    cause);
				free(cause);
				cause = NULL;
				if (rc != 0)
					return (-1);
				continue;
			}
			if (rc < 0)
				return (-1);
			if (rc == 0)
				continue;
			began = clock_now();
			if (d->at != NULL && ((at = lifecycle_attr(ev, d->at)) ==
			    NULL || calendar_parse_time(at, &began) != 0)) {
				if (lifecycle_reject(e, inc, p, d, ev,
				    "obligation \"%s\": \"%s\" of the event "
				    "must be an RFC 3339 time to count from",
				    d->at) != 0)
					return (-1);
				continue;
			}
			if (engine_obligation_start(e, inc, p, d, began) != 0)
				return (-1);
		}
	}
	return (0);
}

/*
 * After an event on inc met what it meets: the clocks it stops or runs
 * on, then the obligations it starts.  Nothing to do, and nothing read,
 * for an incident whose procedures have neither.
 */
int
engine_lifecycle_event(struct engine *e, struct incident *inc,
    struct record *ev, struct match_event *mev)
{
	const struct procedure	*p;
	json_t			*name;
	size_t			 i, j;
	int			 pausable = 0, starts = 0;

	if (inc->state == INCIDENT_CLOSED)
		return (0);
	json_array_foreach(inc->procedures, i, name) {
		if ((p = rules_procedure_find(e->rules,
		    json_string_value(name))) == NULL)
			continue;
		for (j = 0; j < p->nobligations; j++) {
			pausable |= engine_lifecycle_pausable(
			    &p->obligations[j]);
			starts |= p->obligations[j].from == FROM_EVENT;
		}
	}
	if (pausable && lifecycle_pauses(e, inc, ev, mev) != 0)
		return (-1);
	return (starts ? lifecycle_starts_all(e, inc, ev, mev) : 0);
}
