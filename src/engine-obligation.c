/*
 * Obligations: what an incident's procedures, or a recurring report, owe
 * and by when.  One is set when its incident opens or reaches its grade,
 * met by an event that matches, brought forward when a graver grade asks
 * for less time, reminded of before it falls due and breached when it
 * does (its escalation starts, or its owner is told).
 *
 * Obligation states (enum obligation_status, tocsin.h) change only in
 * engine_obligation_set_status(), which refuses a change its table does
 * not allow: pending -> met | late | breached | missed | cancelled;
 * breached -> late (met after its due time) | missed (never met before
 * the incident or the report closed) | met (met within the millisecond
 * it fell due, after the breach).
 */
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "clock.h"
#include "log.h"
#include "engine.h"
#include "engine-int.h"
#include "match.h"
#include "rules.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

void
engine_obligation_free(struct store_obligation *o)
{
	if (o == NULL)
		return;
	store_obligation_clear(o);
	free(o);
}

static char *
obligation_dup(const char *s)
{
	return (s != NULL ? xstrdup(s) : NULL);
}

/* The engine's own copy of a row a list hands out (the store's). */
static struct store_obligation *
obligation_from_row(const struct store_obligation *r)
{
	struct store_obligation	*o;

	o = xmalloc(sizeof(*o));
	*o = *r;
	o->incident = obligation_dup(r->incident);
	o->recurring = obligation_dup(r->recurring);
	o->unit = obligation_dup(r->unit);
	o->procedure = obligation_dup(r->procedure);
	o->name = obligation_dup(r->name);
	o->title = obligation_dup(r->title);
	o->owner = obligation_dup(r->owner);
	o->on_breach = obligation_dup(r->on_breach);
	return (o);
}

struct store_obligation *
engine_obligation_load(struct engine *e, int64_t id)
{
	struct store_obligation	*o = xcalloc(1, sizeof(*o));

	if (store_obligation_get(e->store, id, o) != 1) {
		engine_obligation_free(o);
		return (NULL);
	}
	return (o);
}

struct obligation_list {
	struct store_obligation	**v;
	size_t			  n;
};

static int
engine_obligation_list_cb(const struct store_obligation *r, void *arg)
{
	struct obligation_list	*l = arg;

	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = obligation_from_row(r);
	return (0);
}

/*
 * The open obligations of an incident (or, with incident NULL, the
 * recurring ones unit owes), read out before any is changed.
 */
struct store_obligation **
engine_obligations_open(struct engine *e, const char *incident,
    const char *unit, size_t *n)
{
	struct obligation_list	l = { NULL, 0 };

	if (incident != NULL)
		store_obligations_open_of_incident(e->store, incident,
		    engine_obligation_list_cb, &l);
	else
		store_obligations_open_of_unit(e->store, unit,
		    engine_obligation_list_cb, &l);
	*n = l.n;
	return (l.v);
}

void
engine_obligations_free(struct store_obligation **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		engine_obligation_free(v[i]);
	free(v);
}

/* What d counts from: the incident's opening or occurrence, or began. */
int64_t
engine_obligation_base(const struct incident *inc,
    const struct obligation_def *d, int64_t began)
{
	switch (d->from) {
	case FROM_OCCURRED:
		return (inc->occurred_at);
	case FROM_GRADED:
	case FROM_EVENT:
		return (began);
	default:
		return (inc->opened_at);
	}
}

/*
 * When an obligation of inc falls due: its own duration from its base,
 * or a tighter one for a special period now on (特防期, *period says
 * which) or for the worst grade the incident has reached (*grade).  The
 * base is the incident's opening or occurrence, or for from = "graded"
 * the moment the obligation began: when the incident reached its grade
 * (for from = an event, the event's time).  *used (may be NULL) gets the
 * duration that won.
 */
static int64_t
engine_obligation_due(struct engine *e, const struct incident *inc,
    const struct obligation_def *d, int64_t began, const char **period,
    int *grade, struct duration *used)
{
	const struct calendar	*cal = rules_calendar(e->rules);
	const char		*name;
	int64_t			 base, due, alt;
	size_t			 i;
	int			 g;

	*period = NULL;
	*grade = GRADE_NONE;
	base = engine_obligation_base(inc, d, began);
	due = calendar_add(cal, base, &d->due);
	if (used != NULL)
		*used = d->due;
	for (i = 0; i < d->due_in_tags.n; i++) {
		if ((name = engine_period_active(e, d->due_in_tags.v[i],
		    clock_now())) == NULL)
			continue;
		if ((alt = calendar_add(cal, base, &d->due_in[i])) < due) {
			due = alt;
			*period = name;
			if (used != NULL)
				*used = d->due_in[i];
		}
	}
	for (g = inc->worst_grade; g != GRADE_NONE && g <= GRADE_MAX; g++) {
		if ((d->due_by_grade_set & (1U << g)) == 0)
			continue;
		if ((alt = calendar_add(cal, base, &d->due_by_grade[g])) <
		    due) {
			due = alt;
			*period = NULL;
			*grade = g;
			if (used != NULL)
				*used = d->due_by_grade[g];
		}
	}
	return (due);
}

/* The due timer and the reminders of obligation id, due at due. */
int
engine_obligation_timers(struct engine *e, const struct obligation_def *d,
    int64_t id, int64_t due)
{
	int64_t	at;
	size_t	i;

	if (engine_timer_add(e, due, TIMER_OBLIGATION_DUE, id) != 0)
		return (-1);
	/* After the due timer: the breach of N comes before N+1 is set. */
	if (d->repeats &&
	    engine_timer_add(e, due, TIMER_OBLIGATION_REPEAT, id) != 0)
		return (-1);
	for (i = 0; i < d->nremind; i++) {
		at = due - d->remind[i].value;
		if (at > clock_now() && engine_timer_add(e, at,
		    TIMER_OBLIGATION_REMIND, id) != 0)
			return (-1);
	}
	return (0);
}

/* How many events meet d: its met_by's count, or the items of all. */
static int
engine_obligation_needed(const struct obligation_def *d)
{
	return (d->nmet_all > 0 ? (int)d->nmet_all : d->met_count);
}

/*
 * Set obligation d of inc, counted from began where its from says so.  A
 * due the event gives that it does not (engine-lifecycle.c) sets nothing:
 * the event is rejected for it.
 */
int
engine_obligation_start(struct engine *e, struct incident *inc,
    const struct procedure *p, const struct obligation_def *d, int64_t began)
{
	struct store_obligation	 r;
	struct scope		 s;
	struct duration		 used;
	int64_t			 due, id, base;
	const char		*period;
	json_t			*extra;
	int			 grade, rc;

	base = engine_obligation_base(inc, d, began);
	due = engine_obligation_due(e, inc, d, began, &period, &grade, &used);
	if (d->due_attr != NULL && (rc = engine_lifecycle_due(e, inc, p, d,
	    &base, &used, &due)) != 0)
		return (rc > 0 ? 0 : -1);
	memset(&r, 0, sizeof(r));
	r.incident = inc->key;
	r.unit = inc->unit;
	r.procedure = (char *)p->name;
	r.name = d->id;
	r.title = d->title;
	r.owner = d->owner;
	r.on_breach = d->on_breach;
	r.set_at = clock_now();
	r.due_at = due;
	r.drill = inc->drill;
	r.needed = engine_obligation_needed(d);
	if (d->repeats) {
		r.instance = 1;
		/* The series runs until this long after what it counts from. */
		if (d->until_set)
			r.until_at = calendar_add(rules_calendar(e->rules),
			    base, &d->until);
	}
	if (store_obligation_add(e->store, &r, &id) != 0)
		return (-1);
	engine_scope_incident(&s, inc);
	s.c.procedure = p->name;
	s.c.obligation = d->id;
	s.c.instance = r.instance;
	s.obligation_id = id;
	extra = engine_extra_time("due_at", due);
	if (period != NULL)
		json_object_set_new(extra, "period", json_string(period));
	if (grade != GRADE_NONE)
		json_object_set_new(extra, "due_grade", json_integer(grade));
	if (engine_emit(e, &s, "obligation.set", extra) != 0)
		return (-1);
	if (engine_lifecycle_clock(e, d, id, base, &used) != 0)
		return (-1);
	return (engine_obligation_timers(e, d, id, due));
}

/*
 * Does d begin now?  An obligation of grade 0 begins when the incident
 * opens; one of grade g when the incident's worst grade first becomes g or
 * worse: `from` is the worst grade before (GRADE_NONE if none), `to` now.
 */
static int
engine_obligation_begins(const struct obligation_def *d, int opening,
    int from, int to)
{
	if (d->from == FROM_EVENT)
		return (0);		/* engine_lifecycle_event starts it */
	if (d->grade == 0)
		return (opening);
	if (to == GRADE_NONE || to > d->grade)
		return (0);		/* not that grave (yet) */
	return (from == GRADE_NONE || from > d->grade);
}

int
engine_obligations_set(struct engine *e, struct incident *inc,
    const struct procedure *p, int opening, int from)
{
	size_t	i;

	for (i = 0; i < p->nobligations; i++) {
		if (!engine_obligation_begins(&p->obligations[i], opening, from,
		    inc->worst_grade))
			continue;
		if (engine_obligation_start(e, inc, p, &p->obligations[i],
		    clock_now()) != 0)
			return (-1);
	}
	return (0);
}

#define OBL(s)	(1U << (s))
static const unsigned engine_obligation_next[OBLIGATION__COUNT] = {
	[OBLIGATION_PENDING] = OBL(OBLIGATION_MET) | OBL(OBLIGATION_LATE) |
	    OBL(OBLIGATION_BREACHED) | OBL(OBLIGATION_MISSED) |
	    OBL(OBLIGATION_CANCELLED),
	[OBLIGATION_BREACHED] = OBL(OBLIGATION_LATE) | OBL(OBLIGATION_MISSED) |
	    OBL(OBLIGATION_MET),
};
#undef OBL

/*
 * The one place an obligation's status changes: the transition is
 * checked against the table above, written (met_at and met_event, 0 for
 * none, with it), counted and logged.  A refused one is a bug in the
 * engine: the transaction is given up rather than the ledger corrupted.
 */
int
engine_obligation_set_status(struct engine *e, struct store_obligation *o,
    enum obligation_status to, int64_t met_at, int64_t met_event)
{
	if ((unsigned)o->status >= OBLIGATION__COUNT ||
	    (engine_obligation_next[o->status] & (1U << to)) == 0) {
		log_warnx("engine: obligation %lld may not go from %s to %s",
		    (long long)o->id, obligation_status_name(o->status),
		    obligation_status_name(to));
		return (-1);
	}
	if (store_obligation_set_status(e->store, o->id, to, met_at,
	    met_event) != 0)
		return (-1);
	log_debug("engine: obligation %lld %s -> %s", (long long)o->id,
	    obligation_status_name(o->status), obligation_status_name(to));
	o->status = to;
	e->stats.obligations[to]++;
	return (0);
}

/* Close o (met, late, missed, cancelled): its timers and escalation end. */
int
engine_obligation_close(struct engine *e, struct store_obligation *o,
    enum obligation_status status, int64_t met_at, int64_t met_event)
{
	if (engine_obligation_set_status(e, o, status, met_at, met_event) != 0)
		return (-1);
	if (engine_timers_cancel(e, TIMER_OBLIGATION_DUE, o->id) != 0 ||
	    engine_timers_cancel(e, TIMER_OBLIGATION_REMIND, o->id) != 0 ||
	    engine_timers_cancel(e, TIMER_OBLIGATION_CLOSE, o->id) != 0)
		return (-1);
	return (engine_escalations_stop(e, NULL, o->id));
}

const struct obligation_def *
engine_obligation_def(struct engine *e, const struct store_obligation *o)
{
	const struct procedure	*p;
	size_t			 i;

	if (o->procedure == NULL ||
	    (p = rules_procedure_find(e->rules, o->procedure)) == NULL)
		return (NULL);
	for (i = 0; i < p->nobligations; i++) {
		if (strcmp(p->obligations[i].id, o->name) == 0)
			return (&p->obligations[i]);
	}
	return (NULL);
}

/* What meets o: its procedure obligation's or its recurring's met_by. */
static const struct match *
engine_met_by(struct engine *e, const struct store_obligation *o)
{
	const struct obligation_def	*d;
	const struct recurring		*rc;

	if (o->recurring != NULL)
		return ((rc = rules_recurring_find(e->rules, o->recurring)) !=
		    NULL ? &rc->met_by : NULL);
	return ((d = engine_obligation_def(e, o)) != NULL ? &d->met_by : NULL);
}

/*
 * Why a unit that has never owed a recurring report sent one, in *reason
 * (buf holds it when it names a report): a spot check that has not drawn
 * it yet, a recurring report listing it whose first period has not
 * opened, a unit the site declares, or none of these -- an id nobody
 * knows, most likely misspelt: 1 then, the only case the unmatched roles
 * are told of.
 */
static int
engine_unowed_reason(struct engine *e, const char *unit, const char **reason,
    char *buf, size_t len)
{
	const struct recurring	*rc;
	size_t			 i, j, n = rules_recurring_count(e->rules);

	for (i = 0; i < n; i++) {
		rc = rules_recurring(e->rules, i);
		for (j = 0; j < rc->units.n; j++) {
			if (strcmp(rc->units.v[j], unit) != 0)
				continue;
			snprintf(buf, len, rc->pick > 0 ? "no open obligation "
			    "of the unit: spot check \"%s\" has not drawn it" :
			    "no open obligation of the unit: recurring \"%s\" "
			    "has not fallen due yet", rc->name);
			*reason = buf;
			return (0);
		}
	}
	if (rules_unit_find(e->rules, unit) != NULL) {
		*reason = "no open obligation of the unit: it owes no "
		    "recurring report";
		return (0);
	}
	*reason = "unknown unit: it owes no recurring report";
	return (1);
}

/*
 * An event of no incident met nothing its unit owes.  It is recorded as
 * event.unmatched; the unmatched roles hear of it only when nothing knows
 * the unit (engine_unowed_reason: a misspelt unit id files for nobody
 * while the real unit is chased): a report filed twice, or after its
 * close, is in the ledger already and tells nobody again, and a unit a
 * spot check has not drawn has simply nothing to file.
 */
static int
engine_unmatched_event(struct engine *e, const struct record *ev)
{
	struct scope	 s;
	json_t		*extra;
	const char	*reason = "no open obligation of the unit";
	char		 buf[256];
	int		 known, unknown = 0;

	if ((known = store_unit_owes_recurring(e->store, ev->unit)) < 0)
		return (-1);
	if (!known)
		unknown = engine_unowed_reason(e, ev->unit, &reason, buf,
		    sizeof(buf));
	memset(&s, 0, sizeof(s));
	s.c.unit = ev->unit;
	s.title = json_string_value(json_object_get(ev->json, "title"));
	if (s.title == NULL)
		s.title = ev->type;
	extra = json_pack("{s:s, s:s}", "reason", reason, "type", ev->type);
	if (ev->id != NULL)
		json_object_set_new(extra, "event", json_string(ev->id));
	if (engine_emit(e, &s, "event.unmatched", extra) != 0)
		return (-1);
	return (unknown ? engine_notify_unmatched(e, &s, NULL) : 0);
}

/*
 * Does the event meet o?  -1 when a rule failed (*cause says why; NULL:
 * the store failed), 0 not, 1 it is one of several o needs and more are
 * to come (the progress is stored), 2 o is met.  Of met_by.all, an event
 * counts for every item it matches that had not come yet.
 */
static int
engine_obligation_takes(struct engine *e, struct store_obligation *o,
    struct match_event *mev, char **cause)
{
	const struct obligation_def	*d = NULL;
	const struct match		*m;
	int64_t				 mask = 0;
	size_t				 k;
	int				 rc, count, needed;

	*cause = NULL;
	if (o->recurring == NULL)
		d = engine_obligation_def(e, o);
	if (d == NULL || (d->nmet_all == 0 && d->met_count <= 1)) {
		if ((m = engine_met_by(e, o)) == NULL)
			return (0);
		return ((rc = match_test(mev, m, cause)) == 1 ? 2 : rc);
	}
	needed = engine_obligation_needed(d);
	if (d->nmet_all > 0) {
		mask = o->met_mask;
		for (k = 0; k < d->nmet_all; k++) {
			if (mask & ((int64_t)1 << k))
				continue;
			if ((rc = match_test(mev, &d->met_all[k], cause)) < 0)
				return (-1);
			if (rc == 1)
				mask |= (int64_t)1 << k;
		}
		if (mask == o->met_mask)
			return (0);
		for (count = 0, k = 0; k < d->nmet_all; k++)
			count += (mask & ((int64_t)1 << k)) != 0;
	} else {
		if ((rc = match_test(mev, &d->met_by, cause)) != 1)
			return (rc);
		count = o->met_count + 1;
	}
	o->met_count = count;
	o->met_mask = mask;
	if (count >= needed)
		return (2);
	return (store_obligation_set_progress(e->store, o->id, count, mask) ==
	    0 ? 1 : -1);
}

/*
 * An event meets one instance of a series at most: the oldest still
 * open (v is in the order the instances were set), so a late report
 * makes good the instance it was late for and the next is still owed.
 */
static int
engine_series_took(struct store_obligation **v, const char *took, size_t i)
{
	size_t	j;

	if (v[i]->instance == 0 || v[i]->procedure == NULL)
		return (0);
	for (j = 0; j < i; j++) {
		if (took[j] && v[j]->instance > 0 && v[j]->procedure != NULL &&
		    strcmp(v[j]->procedure, v[i]->procedure) == 0 &&
		    strcmp(v[j]->name, v[i]->name) == 0)
			return (1);
	}
	return (0);
}

/*
 * Does this event meet any open obligation: the incident's, or with inc
 * NULL, the recurring reports its unit owes (a zero report meets them too).
 */
int
engine_obligation_meet(struct engine *e, struct incident *inc, struct record *ev,
    struct match_event *mev, int64_t seq)
{
	struct store_obligation		**v;
	struct scope			  s;
	size_t				  n, i, met = 0;
	int64_t				  now = clock_now();
	char				 *cause, *took;
	int				  rc = 0, late;
	json_t				 *extra;

	v = engine_obligations_open(e, inc != NULL ? inc->key : NULL, ev->unit,
	    &n);
	took = xcalloc(n + 1, 1);
	for (i = 0; i < n && rc == 0; i++) {
		if (engine_series_took(v, took, i))
			continue;
		engine_scope_obligation(&s, inc, v[i]);
		switch (engine_obligation_takes(e, v[i], mev, &cause)) {
		case 0:
			continue;
		case -1:
			if (cause == NULL) {
				rc = -1;
				continue;
			}
			rc = engine_notify_reject(e, &s, v[i]->procedure != NULL ?
			    v[i]->procedure : v[i]->recurring, ev, cause);
			free(cause);
			continue;
		case 1:
			took[i] = 1;
			met++;
			continue;
		}
		took[i] = 1;
		/*
		 * A pending clock that stood still at the due time is not
		 * late; a breached one is, paused or not.
		 */
		late = now > v[i]->due_at &&
		    (v[i]->status != OBLIGATION_PENDING ||
		    !engine_lifecycle_paused(e, v[i]));
		met++;
		rc = engine_obligation_close(e, v[i], late ? OBLIGATION_LATE :
		    OBLIGATION_MET, now, seq);
		extra = engine_extra_time("due_at", v[i]->due_at);
		if (late)
			json_object_set_new(extra, "late_s",
			    json_integer((now - v[i]->due_at) / MSEC_PER_SEC));
		if (v[i]->needed > 1)
			json_object_set_new(extra, "needed",
			    json_integer(v[i]->needed));
		if (rc == 0)
			rc = engine_emit(e, &s, late ? "obligation.late" :
			    "obligation.met", extra);
		else
			json_decref(extra);
	}
	free(took);
	engine_obligations_free(v, n);
	if (rc == 0 && inc == NULL && met == 0)
		rc = engine_unmatched_event(e, ev);
	return (rc);
}

/* A pending obligation whose grade now asks for less time falls due sooner. */
static int
engine_tighten(struct engine *e, struct incident *inc, struct store_obligation *o)
{
	const struct obligation_def	*d = engine_obligation_def(e, o);
	struct scope			 s;
	const char			*period;
	int64_t				 due;
	json_t				*extra;
	char				 was[CALENDAR_TIME_MAX];
	int				 grade;

	/* A later instance of a series is due every after the one before. */
	if (d == NULL || d->due_by_grade_set == 0 ||
	    o->status != OBLIGATION_PENDING || o->instance > 1 ||
	    d->at != NULL || engine_lifecycle_pausable(d))
		return (0);
	/*
	 * A grade's duty counts from the grade (from = "graded"): the
	 * tighter deadline of a graver grade from the moment it was reached,
	 * as the statutes count from discovery (G1).
	 */
	due = engine_obligation_due(e, inc, d, d->from == FROM_GRADED ?
	    clock_now() : o->set_at, &period, &grade, NULL);
	if (due >= o->due_at)
		return (0);
	if (store_obligation_set_due(e->store, o->id, due) != 0 || engine_timers_cancel(e, TIMER_OBLIGATION_DUE, o->id) != 0 ||
	    engine_timers_cancel(e, TIMER_OBLIGATION_REMIND, o->id) != 0 ||
	    engine_timers_cancel(e, TIMER_OBLIGATION_REPEAT, o->id) != 0 ||
	    engine_obligation_timers(e, d, o->id, due) != 0)
		return (-1);
	engine_scope_obligation(&s, inc, o);
	s.due_at = due;
	calendar_format(o->due_at, was, sizeof(was));
	extra = engine_extra_time("due_at", due);
	json_object_set_new(extra, "was_due_at", json_string(was));
	json_object_set_new(extra, "due_grade", json_integer(grade));
	return (engine_emit(e, &s, "obligation.tightened",
	    extra));
}

/*
 * The incident's worst grade went from `from` to inc->worst_grade: the
 * obligations of the grades newly reached begin, and pending ones with a
 * tighter deadline at this grade are brought forward.  Never loosened.
 */
int
engine_obligations_regrade(struct engine *e, struct incident *inc, int from)
{
	const struct procedure	 *p;
	struct store_obligation	**v;
	json_t			 *name;
	size_t			  i, n;
	int			  rc = 0;

	v = engine_obligations_open(e, inc->key, NULL, &n);
	for (i = 0; i < n && rc == 0; i++)
		rc = engine_tighten(e, inc, v[i]);
	engine_obligations_free(v, n);
	json_array_foreach(inc->procedures, i, name) {
		p = rules_procedure_find(e->rules, json_string_value(name));
		if (rc == 0 && p != NULL)
			rc = engine_obligations_set(e, inc, p, 0, from);
	}
	return (rc);
}

static int
engine_obligation_breach(struct engine *e, struct store_obligation *o, int64_t due)
{
	struct store_escalation	 esc;
	struct incident		*inc = NULL;
	struct scope		 s;
	json_t			*extra;
	int64_t			 now = clock_now(), id;
	int			 rc;

	if (o->status != OBLIGATION_PENDING)
		return (0);
	if (o->incident != NULL &&
	    (inc = engine_incident_load(e, o->incident)) == NULL)
		return (0);
	e->stats.breaches++;
	engine_scope_obligation(&s, inc, o);
	rc = engine_obligation_set_status(e, o, OBLIGATION_BREACHED, 0, 0);
	extra = engine_extra_time("due_at", o->due_at);
	if (o->needed > 1) {
		json_object_set_new(extra, "met_count",
		    json_integer(o->met_count));
		json_object_set_new(extra, "needed", json_integer(o->needed));
	}
	/* Due before the daemon started: it passed while we were down. */
	if (due < e->recovered_at) {
		json_object_set_new(extra, "late", json_true());
		json_object_set_new(extra, "delayed_s",
		    json_integer((now - due) / MSEC_PER_SEC));
	}
	if (rc == 0)
		rc = engine_emit(e, &s, "obligation.breached",
		    extra);
	else
		json_decref(extra);
	if (rc == 0 && o->on_breach != NULL) {
		/*
		 * The escalation runs from the due time, so after an outage
		 * every step that should have been taken is taken now.
		 */
		memset(&esc, 0, sizeof(esc));
		esc.incident = o->incident;
		esc.obligation = o->id;
		esc.policy = o->on_breach;
		esc.started_at = o->due_at;
		rc = store_escalation_add(e->store, &esc, &id);
		if (rc == 0)
			rc = engine_escalation_run(e, id, o->on_breach,
			    o->due_at, 0, 0, inc, o);
	} else if (rc == 0 && o->owner != NULL)
		rc = engine_notify(e, &s, o->owner, "breach");
	engine_incident_free(inc);
	return (rc);
}

static int
engine_obligation_remind(struct engine *e, struct store_obligation *o,
    int64_t due)
{
	struct incident	*inc;
	struct scope	 s;
	int		 rc;

	(void)due;
	if (o->recurring != NULL)	/* engine-recurring.c */
		return (engine_recurring_remind(e, o));
	/* Past the due time (the daemon was down), the breach says it all. */
	if (o->status != OBLIGATION_PENDING || o->owner == NULL ||
	    o->incident == NULL || clock_now() >= o->due_at ||
	    (inc = engine_incident_load(e, o->incident)) == NULL)
		return (0);
	engine_scope_obligation(&s, inc, o);
	rc = engine_emit(e, &s, "obligation.reminded",
	    engine_extra_time("due_at", o->due_at));
	if (rc == 0)
		rc = engine_notify(e, &s, o->owner, "remind");
	engine_incident_free(inc);
	return (rc);
}

/*
 * A timer of obligation ref, due at due: fn with the obligation as the
 * store holds it now; with none held, nothing is left to do.
 */
static int
engine_obligation_fire(struct engine *e, int64_t ref, int64_t due,
    int (*fn)(struct engine *, struct store_obligation *, int64_t))
{
	struct store_obligation	*o;
	int			 rc;

	if ((o = engine_obligation_load(e, ref)) == NULL)
		return (0);
	rc = fn(e, o, due);
	engine_obligation_free(o);
	return (rc);
}

/* TIMER_OBLIGATION_DUE: obligation ref fell due at due. */
int
engine_obligation_fire_due(struct engine *e, int64_t ref, int64_t due)
{
	return (engine_obligation_fire(e, ref, due, engine_obligation_breach));
}

/* TIMER_OBLIGATION_REMIND: obligation ref falls due soon. */
int
engine_obligation_fire_remind(struct engine *e, int64_t ref, int64_t due)
{
	return (engine_obligation_fire(e, ref, due, engine_obligation_remind));
}

/*
 * Series (every = ...): instance N+1 is set when instance N falls due,
 * whether N was met, is late or still owed, and falls due `every` after
 * N's due time: the statute's 每日 is a rhythm, which a late report does
 * not shift.  The TIMER_OBLIGATION_REPEAT of the latest instance is what
 * keeps a series running; stopping it (until, a lowered grade) cancels
 * that timer and the instance still pending.  A breached one stays owed:
 * late when its report comes, missed at resolve.
 */
static int
engine_series_stop(struct engine *e, struct incident *inc,
    const struct procedure *p, const struct obligation_def *d,
    const char *reason)
{
	struct store_obligation	 last;
	struct scope		 s;
	int			 rc;

	if ((rc = store_obligation_series_last(e->store, inc->key, p->name,
	    d->id, &last)) != 1) {
		store_obligation_clear(&last);
		return (rc);
	}
	if ((rc = store_timer_exists(e->store, TIMER_OBLIGATION_REPEAT,
	    last.id)) == 1) {
		rc = engine_timers_cancel(e, TIMER_OBLIGATION_REPEAT, last.id);
		if (rc == 0 && last.status == OBLIGATION_PENDING) {
			engine_scope_obligation(&s, inc, &last);
			rc = engine_obligation_close(e, &last,
			    OBLIGATION_CANCELLED, 0, 0);
			if (rc == 0)
				rc = engine_emit(e, &s, "obligation.cancelled",
				    json_pack("{s:s}", "reason", reason));
		}
	}
	store_obligation_clear(&last);
	return (rc < 0 ? -1 : 0);
}

/* fn on each obligation that inc's procedures declare; -1 once one fails. */
static int
engine_obligation_defs_each(struct engine *e, struct incident *inc,
    int (*fn)(struct engine *, struct incident *, const struct procedure *,
    const struct obligation_def *, void *), void *arg)
{
	const struct procedure	*p;
	json_t			*name;
	size_t			 i, j;

	json_array_foreach(inc->procedures, i, name) {
		if ((p = rules_procedure_find(e->rules,
		    json_string_value(name))) == NULL)
			continue;
		for (j = 0; j < p->nobligations; j++) {
			if (fn(e, inc, p, &p->obligations[j], arg) != 0)
				return (-1);
		}
	}
	return (0);
}

/* Could the event meet an obligation set by d (1), or fail a rule on it? */
static int
engine_could_meet_cb(struct engine *e, struct incident *inc,
    const struct procedure *p, const struct obligation_def *d, void *arg)
{
	struct match_event	*mev = arg;
	char			*cause = NULL;
	size_t			 k;
	int			 rc;

	rc = match_test(mev, &d->met_by, &cause);
	for (k = 0; k < d->nmet_all && rc == 0 && cause == NULL; k++)
		rc = match_test(mev, &d->met_all[k], &cause);
	if (cause != NULL) {
		free(cause);
		return (1);		/* engine_obligation_meet reports it */
	}
	return (rc != 0);
}

/*
 * Could the event meet an obligation of inc, an incident it has just
 * opened?  Its open obligations are then some of its procedures'
 * definitions, each set a moment ago: when not one definition takes the
 * event -- cleanly, no rule failing on it -- engine_obligation_meet
 * would read them back to meet nothing, and the read (a wait for the
 * server, on PostgreSQL) is left out.  1: meet them; 0: none can be met.
 */
int
engine_obligation_could_meet(struct engine *e, struct incident *inc,
    struct match_event *mev)
{
	return (engine_obligation_defs_each(e, inc, engine_could_meet_cb,
	    mev) != 0);
}

/* The event that may end a series, as engine_series_ends reads it. */
struct engine_until {
	struct record		*ev;
	struct match_event	*mev;
};

/* Is d a series that the event ends (until = { type = "final" })? */
static int
engine_series_ends(struct engine *e, struct incident *inc,
    const struct procedure *p, const struct obligation_def *d, void *arg)
{
	struct engine_until	*u = arg;
	struct scope		 s;
	char			*cause;
	int			 rc;

	if (!d->repeats || !match_given(&d->until_match))
		return (0);
	switch (match_test(u->mev, &d->until_match, &cause)) {
	case 1:
		return (engine_series_stop(e, inc, p, d, "until"));
	case -1:
		engine_scope_incident(&s, inc);
		s.c.procedure = p->name;
		s.c.obligation = d->id;
		rc = engine_notify_reject(e, &s, p->name, u->ev, cause);
		free(cause);
		return (rc);
	}
	return (0);
}

/* The event ends the series whose until it matches. */
int
engine_obligations_until(struct engine *e, struct incident *inc,
    struct record *ev, struct match_event *mev)
{
	struct engine_until	u = { ev, mev };

	return (engine_obligation_defs_each(e, inc, engine_series_ends, &u));
}

/* Does d's series end because inc's grade is now below the one it began at? */
static int
engine_series_lowered(struct engine *e, struct incident *inc,
    const struct procedure *p, const struct obligation_def *d, void *arg)
{
	(void)arg;
	if (!d->repeats || d->grade == 0 || inc->grade <= d->grade)
		return (0);
	return (engine_series_stop(e, inc, p, d, "grade"));
}

/*
 * The incident's grade was lowered: a series its grade began (a 续报
 * owed daily at 重大) ends once the grade is below it.  Raised again, it
 * does not begin again: an obligation begins at the first time the
 * incident reaches its grade.
 */
int
engine_obligations_lowered(struct engine *e, struct incident *inc)
{
	return (engine_obligation_defs_each(e, inc, engine_series_lowered,
	    NULL));
}

/*
 * When the instance after one due at due falls due.  A period of days
 * (1cd, 1wd) counts as the law counts it from the day the one before
 * fell due: due at 24:00 of the 3rd, "1cd" ends at 24:00 of the 4th
 * (the instant 24:00 is the next day's 00:00, whose day would not be
 * counted and would give the 5th).
 */
static int64_t
engine_series_next_due(struct engine *e, int64_t due,
    const struct duration *every)
{
	if (every->kind != DURATION_ELAPSED)
		due--;
	return (calendar_add(rules_calendar(e->rules), due, every));
}

/* Instance o fell due: set the next, unless the series has ended. */
static int
engine_obligation_repeat(struct engine *e, struct store_obligation *o,
    int64_t due)
{
	const struct obligation_def	*d;
	struct store_obligation		 r;
	struct incident			*inc;
	struct scope			 s;
	int64_t				 id;
	int				 rc;

	(void)due;
	if (o->incident == NULL || (d = engine_obligation_def(e, o)) == NULL ||
	    !d->repeats || (o->until_at != 0 && o->due_at >= o->until_at))
		return (0);
	if ((inc = engine_incident_load(e, o->incident)) == NULL)
		return (0);
	if (inc->state == INCIDENT_CLOSED || (d->grade != 0 &&
	    (inc->grade == GRADE_NONE || inc->grade > d->grade))) {
		engine_incident_free(inc);
		return (0);
	}
	memset(&r, 0, sizeof(r));
	r.incident = o->incident;
	r.unit = o->unit;
	r.procedure = o->procedure;
	r.name = o->name;
	r.title = d->title;
	r.owner = d->owner;
	r.on_breach = d->on_breach;
	r.set_at = clock_now();
	r.due_at = engine_series_next_due(e, o->due_at, &d->every);
	r.instance = o->instance + 1;
	r.until_at = o->until_at;
	r.needed = engine_obligation_needed(d);
	rc = store_obligation_add(e->store, &r, &id);
	r.id = id;
	engine_scope_obligation(&s, inc, &r);
	if (rc == 0)
		rc = engine_emit(e, &s, "obligation.set",
		    engine_extra_time("due_at", r.due_at));
	if (rc == 0)
		rc = engine_obligation_timers(e, d, id, r.due_at);
	engine_incident_free(inc);
	return (rc);
}

/* TIMER_OBLIGATION_REPEAT: instance ref of a series fell due. */
int
engine_obligation_fire_repeat(struct engine *e, int64_t ref, int64_t due)
{
	return (engine_obligation_fire(e, ref, due, engine_obligation_repeat));
}
