/*
 * The engine applies the procedures.  An event may open an incident, grade
 * it, meet obligations, acknowledge or resolve it; the passing of time
 * (timers from the store) breaches obligations, sends reminders and climbs
 * escalation policies.  Each of these decisions is one timeline action,
 * and a notification is an outbox row written beside the action that made
 * it, in the same transaction.
 *
 * This file is the core the concepts share: the engine and its counts,
 * the transaction and each request's savepoint, the actions awaiting
 * commit and the sink they reach after it, the timers, and the two ways a
 * decision starts: an event submitted (engine_submit) and a timer fired
 * (engine_fire_due).  Each concept has its file: engine-incident.c,
 * engine-obligation.c, engine-escalation.c, engine-personal.c,
 * engine-recurring.c and engine-notify.c, sharing the private header
 * engine-int.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "clock.h"
#include "engine.h"
#include "engine-int.h"
#include "jsonw.h"
#include "log.h"
#include "match.h"
#include "metrics.h"
#include "rules.h"
#include "store.h"
#include "timeline.h"
#include "timer.h"
#include "tocsin.h"
#include "xmalloc.h"

/*
 * The kinds of timer, one line each: the number stored (never renumber),
 * the name the status API shows, what the ref is the id of (the store
 * removes a pruned incident's timers by it) and what firing one does.  A
 * new kind is a line here, its number in engine.h and its fire function.
 */
static const struct engine_timer_kind {
	struct engine_timer_info	 info;
	int				(*fire)(struct engine *, int64_t,
					    int64_t);
} engine_timer_kinds[] = {
	{ { TIMER_OBLIGATION_DUE, "obligation.due",
	    STORE_TIMER_OF_OBLIGATION }, engine_obligation_fire_due },
	{ { TIMER_OBLIGATION_REMIND, "obligation.remind",
	    STORE_TIMER_OF_OBLIGATION }, engine_obligation_fire_remind },
	{ { TIMER_OBLIGATION_CLOSE, "obligation.close",
	    STORE_TIMER_OF_OBLIGATION }, engine_recurring_fire_close },
	{ { TIMER_ESCALATION_STEP, "escalation.step",
	    STORE_TIMER_OF_ESCALATION }, engine_escalation_fire },
	{ { TIMER_RECURRING_OPEN, "recurring.open",
	    STORE_TIMER_OF_RECURRING }, engine_recurring_fire_open },
	{ { TIMER_OBLIGATION_REPEAT, "obligation.repeat",
	    STORE_TIMER_OF_OBLIGATION }, engine_obligation_fire_repeat },
	{ { TIMER_HANDOVER, "handover",
	    STORE_TIMER_OF_SITE }, engine_handover_fire },
	{ { TIMER_PERSONAL_SEND, "personal.send",
	    STORE_TIMER_OF_PERSONAL }, engine_personal_fire },
};

static const struct engine_timer_kind *
engine_timer_kind_find(int kind)
{
	size_t	i;

	for (i = 0; i < nitems(engine_timer_kinds); i++) {
		if ((int)engine_timer_kinds[i].info.kind == kind)
			return (&engine_timer_kinds[i]);
	}
	return (NULL);
}

/* What a stored timer kind is (GET /v1/status), or NULL for none. */
const struct engine_timer_info *
engine_timer_info(int kind)
{
	const struct engine_timer_kind	*k = engine_timer_kind_find(kind);

	return (k != NULL ? &k->info : NULL);
}

struct engine *
engine_new(struct store *store, struct rules *rules)
{
	const struct engine_timer_info	*k;
	struct engine			*e;
	size_t				 i;

	e = xcalloc(1, sizeof(*e));
	e->store = store;
	e->rules = rules;
	e->timers = timer_heap_new();
	e->open = -1;
	for (i = 0; store != NULL && i < nitems(engine_timer_kinds); i++) {
		k = &engine_timer_kinds[i].info;
		store_timer_kind(store, (int)k->kind, k->owner);
	}
	return (e);
}

static void
engine_pending_clear(struct engine *e, size_t keep)
{
	while (e->npending > keep)
		free(e->pending[--e->npending]);
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	engine_pending_clear(e, 0);
	free(e->pending);
	names_free(&e->told);
	timer_heap_free(e->timers);
	free(e);
}

void
engine_set_rules(struct engine *e, struct rules *rules)
{
	e->rules = rules;
}

void
engine_set_sink(struct engine *e, engine_sink sink, void *arg)
{
	e->sink = sink;
	e->sink_arg = arg;
}

const struct engine_stats *
engine_stats(struct engine *e)
{
	return (&e->stats);
}

/* Count the open incidents, once: after that the engine keeps the count. */
static int
engine_count_open(struct engine *e)
{
	int64_t	n;

	if (store_incidents_count_open(e->store, &n) != 0)
		return (-1);
	e->open = n;
	return (0);
}

/* The open incidents as of the last commit, without asking the store. */
int64_t
engine_open_incidents(struct engine *e)
{
	if (e->open < 0 && engine_count_open(e) != 0)
		return (-1);
	return (e->open);
}

static int
engine_recover_cb(const struct store_timer *t, void *arg)
{
	struct engine	*e = arg;

	timer_heap_push(e->timers, t->at, t->id);
	return (0);
}

/* Rebuild the timer heap from the store: the start-up half of durability. */
int
engine_recover(struct engine *e)
{
	timer_heap_clear(e->timers);
	if (e->recovered_at == 0)
		e->recovered_at = clock_now();
	if (e->open < 0 && engine_count_open(e) != 0)
		return (-1);
	return (store_timers_each(e->store, engine_recover_cb, e));
}

int
engine_begin(struct engine *e)
{
	e->notified = 0;
	e->open_delta = 0;
	return (store_begin(e->store));
}

/*
 * Commit, then hand the committed actions to the sink; *notified (may be
 * NULL) gets how many notifications the transaction queued, so that the
 * caller wakes the outbox only when there is something to send.
 */
int
engine_commit(struct engine *e, size_t *notified)
{
	size_t	i;

	if (notified != NULL)
		*notified = 0;
	if (store_commit(e->store) != 0) {
		/* Rolled back: forget the actions, rebuild popped timers. */
		engine_pending_clear(e, 0);
		e->open_delta = 0;
		if (engine_recover(e) != 0)
			log_warnx("engine: cannot rebuild timers after a "
			    "failed commit");
		return (-1);
	}
	for (i = 0; i < e->npending; i++) {
		if (e->sink != NULL)
			e->sink(e->pending[i], e->sink_arg);
	}
	e->stats.actions += e->npending;
	e->stats.notifications += e->notified;
	if (notified != NULL)
		*notified = e->notified;
	if (e->open >= 0)
		e->open += e->open_delta;
	e->open_delta = 0;
	engine_pending_clear(e, 0);
	return (0);
}

/* Undo the transaction; the heap may hold popped timers, so rebuild it. */
void
engine_rollback(struct engine *e)
{
	store_rollback(e->store);
	engine_pending_clear(e, 0);
	e->open_delta = 0;
	if (engine_recover(e) != 0)
		log_warnx("engine: cannot rebuild timers after a rollback");
}

/* A request (one HTTP body, one spool file) is all or nothing. */
int
engine_request_begin(struct engine *e)
{
	e->request_mark = e->npending;
	e->open_mark = e->open_delta;
	e->notified_mark = e->notified;
	e->stats_mark = e->stats;
	return (store_savepoint(e->store));
}

void
engine_request_end(struct engine *e, int ok)
{
	if (ok)
		store_release(e->store);
	else {
		/*
		 * The request never happened: its rows, actions and counts
		 * go.  Timers it pushed stay in the heap; their rows are
		 * gone, and a later timer may get the same id back (the
		 * savepoint rolls sqlite_sequence back too), so engine_fire
		 * checks a row's time against the entry's.
		 */
		store_rollback_savepoint(e->store);
		engine_pending_clear(e, e->request_mark);
		e->open_delta = e->open_mark;
		e->notified = e->notified_mark;
		e->stats = e->stats_mark;
	}
}

int
engine_timer_add(struct engine *e, int64_t at, enum engine_timer kind,
    int64_t ref)
{
	struct store_timer	t;
	int64_t			id;

	t.id = 0;
	t.at = at;
	t.kind = (int)kind;
	t.ref = ref;
	if (store_timer_add(e->store, &t, &id) != 0)
		return (-1);
	timer_heap_push(e->timers, at, id);
	return (0);
}

int
engine_timers_cancel(struct engine *e, enum engine_timer kind, int64_t ref)
{
	return (store_timers_cancel(e->store, (int)kind, ref));
}

size_t
engine_timer_count(struct engine *e)
{
	return (timer_heap_size(e->timers));
}

int64_t
engine_next_due(struct engine *e)
{
	int64_t	at, id;

	if (!timer_heap_peek(e->timers, &at, &id))
		return (INT64_MAX);
	return (at);
}

/* A decision starts: an event submitted, a timer fired, a message dead. */
void
engine_decision_begin(struct engine *e)
{
	names_free(&e->told);
	e->event = NULL;
	e->trigger[0] = '\0';
	e->trigger_ord = 0;
}

/*
 * What started the decision, as its messages' keys will say: made twice
 * (after a crash, after a failover) it is the same text, and no two
 * decisions share it.  ord grows with the triggers (an event's seq, a
 * timer's id), so the keys made later mostly sort later.
 */
void
engine_decision_trigger(struct engine *e, int64_t ord, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(e->trigger, sizeof(e->trigger), fmt, ap);
	va_end(ap);
	e->trigger_ord = ord;
}

void
engine_scope_incident(struct scope *s, const struct incident *inc)
{
	memset(s, 0, sizeof(*s));
	s->inc = inc;
	s->c.incident = inc->key;
	s->c.unit = inc->unit;
}

/* An obligation of an incident, or (inc NULL) a unit's recurring report. */
void
engine_scope_obligation(struct scope *s, const struct incident *inc,
    const struct store_obligation *o)
{
	if (inc != NULL)
		engine_scope_incident(s, inc);
	else {
		memset(s, 0, sizeof(*s));
		s->c.unit = o->unit;
		s->c.recurring = o->recurring;
	}
	s->c.procedure = o->procedure;
	s->c.obligation = o->name;
	s->c.instance = o->instance;
	s->obligation_title = o->title;
	s->obligation_id = o->id;
	s->due_at = o->due_at;
}

/* What s concerns now: its incident's grade may have changed since. */
void
engine_concern(const struct scope *s, struct concern *c)
{
	*c = s->c;
	if (s->inc != NULL)
		c->grade = s->inc->grade;
}

/* Record one action: audit row now, sink after commit.  Takes extra. */
int
engine_emit(struct engine *e, const struct scope *s, const char *kind,
    json_t *extra)
{
	struct store_action	 row;
	struct action		 a;
	char			*json;
	int			 rc;

	a.at = clock_now();
	a.kind = kind;
	engine_concern(s, &a.c);
	a.extra = extra;
	json = timeline_json(&a);
	json_decref(extra);
	row.seq = 0;
	row.at = a.at;
	row.kind = (char *)kind;
	row.incident = (char *)a.c.incident;
	row.obligation = s->obligation_id;
	row.body = json;
	rc = store_action_add(e->store, &row);
	if (rc != 0) {
		free(json);
		return (-1);
	}
	e->pending = xreallocarray(e->pending, e->npending + 1,
	    sizeof(*e->pending));
	e->pending[e->npending++] = json;
	return (0);
}

json_t *
engine_extra_time(const char *key, int64_t t)
{
	char	buf[CALENDAR_TIME_MAX];

	calendar_format(t, buf, sizeof(buf));
	return (json_pack("{s:s}", key, buf));
}

/* The period carrying tag that is on at time t, or NULL. */
const char *
engine_period_active(struct engine *e, const char *tag, int64_t t)
{
	const struct period	*pe;
	int64_t			 day = calendar_day_number(t);
	size_t			 i, n = rules_period_count(e->rules);

	for (i = 0; i < n; i++) {
		pe = rules_period(e->rules, i);
		if (names_has(&pe->tags, tag) &&
		    rules_period_on(e->rules, pe, day))
			return (pe->name);
	}
	return (NULL);
}

/*
 * Has the unit sent this event before (1: the result is the first's),
 * and the incident it names, if there is one (*inc), in one read: 0, 1,
 * or -1 when the store failed.
 */
static int
engine_find_first(struct engine *e, struct record *ev,
    struct engine_result *res, struct incident **inc)
{
	struct store_event	prev;
	struct store_incident	r;
	int			rc;

	*inc = NULL;
	if (ev->id == NULL && ev->incident == NULL)
		return (0);
	rc = store_event_find_with_incident(e->store, ev->unit, ev->id,
	    ev->incident, &prev, &r);
	if (rc == 1) {
		res->duplicate = 1;
		res->seq = prev.seq;
		snprintf(res->incident, sizeof(res->incident), "%s",
		    prev.incident != NULL ? prev.incident : "");
	} else if (rc == 0 && r.key != NULL)
		*inc = engine_incident_from_row(&r);
	store_event_clear(&prev);
	store_incident_clear(&r);
	return (rc);
}

/*
 * What engine_find_first will ask for each of a batch's records, asked in
 * one read before the first is applied (store-ahead.c): on PostgreSQL a
 * wait for the server a batch instead of one an event.  0, or -1 when
 * the store failed.
 */
int
engine_read_ahead(struct engine *e, struct record *const *evs, size_t n)
{
	struct store_event_ask	*asks;
	size_t			 i, m = 0;
	int			 rc;

	if (n == 0)
		return (store_events_read_ahead(e->store, NULL, 0));
	asks = xcalloc(n, sizeof(*asks));
	for (i = 0; i < n; i++) {
		if (evs[i]->id == NULL && evs[i]->incident == NULL)
			continue;
		asks[m].unit = evs[i]->unit;
		asks[m].id = evs[i]->id;
		asks[m].key = evs[i]->incident;
		m++;
	}
	rc = store_events_read_ahead(e->store, asks, m);
	free(asks);
	return (rc);
}

/* Store the event; *seq gets its sequence number. */
static int
engine_store_event(struct engine *e, const struct record *ev, int64_t *seq)
{
	struct store_event	row;
	int			rc;

	row.seq = 0;
	row.id = (char *)ev->id;
	row.type = (char *)ev->type;
	row.incident = (char *)ev->incident;
	row.unit = (char *)ev->unit;
	row.received_at = ev->received_at;
	row.occurred_at = ev->occurred_at;
	row.body = jsonw_dumps(ev->json);
	rc = store_event_add(e->store, &row, seq);
	free(row.body);
	return (rc);
}

/*
 * A site that declares units takes a report from a unit it does not know
 * only with units_strict = false (the API refuses it otherwise; a spool
 * file cannot be refused): it is applied as any other, and flagged
 * event.unmatched so that the unmatched roles see the misspelt id.
 */
static int
engine_unit_unknown(struct engine *e, const struct record *ev)
{
	struct scope	 s;
	json_t		*extra;

	if (rules_unit_count(e->rules) == 0 ||
	    rules_unit_find(e->rules, ev->unit) != NULL)
		return (0);
	log_warnx("engine: report from unknown unit=%s", ev->unit);
	memset(&s, 0, sizeof(s));
	s.c.unit = ev->unit;
	s.drill = ev->drill == RECORD_DRILL;
	s.title = json_string_value(json_object_get(ev->json, "title"));
	if (s.title == NULL)
		s.title = ev->type;
	extra = json_pack("{s:s, s:s}", "reason", "unknown unit", "type",
	    ev->type);
	if (ev->id != NULL)
		json_object_set_new(extra, "event", json_string(ev->id));
	if (engine_emit(e, &s, "event.unmatched", extra) != 0)
		return (-1);
	return (engine_notify_unmatched(e, &s, NULL));
}

/*
 * Store one validated event and apply the procedures to it, for a
 * submitter that may act only for units (NULL: for any).  An event id is
 * an idempotency key within its unit.  Returns 0 (res filled;
 * res->duplicate for a repeated id), 1 for input the engine refuses (err
 * filled, the caller must undo the request), or -1 when the store failed.
 */
int
engine_submit(struct engine *e, struct record *ev, const struct names *units,
    struct engine_result *res, struct record_error *err)
{
	struct incident		*inc = NULL;
	struct match_event	*mev;
	int			 rc;

	engine_decision_begin(e);
	memset(res, 0, sizeof(*res));
	snprintf(res->id, sizeof(res->id), "%s", ev->id != NULL ? ev->id : "");
	if ((rc = engine_find_first(e, ev, res, &inc)) != 0) {
		e->stats.duplicates += rc == 1;
		return (rc == 1 ? 0 : -1);
	}
	if (ev->incident != NULL) {
		snprintf(res->incident, sizeof(res->incident), "%s",
		    ev->incident);
		if (inc != NULL && !engine_incident_may_touch(e->rules, units,
		    inc, ev, err)) {
			engine_incident_free(inc);
			return (1);
		}
		if (inc == NULL && strcmp(ev->type, "report") != 0) {
			record_error_set(err, "unknown_incident", "incident",
			    "no incident \"%s\": open it with a report first",
			    ev->incident);
			return (1);
		}
	}
	if (engine_store_event(e, ev, &res->seq) != 0) {
		engine_incident_free(inc);
		return (-1);
	}
	engine_decision_trigger(e, res->seq, "event %s %lld", ev->unit,
	    (long long)res->seq);
	if (ev->id == NULL)
		snprintf(res->id, sizeof(res->id), "seq-%lld",
		    (long long)res->seq);
	e->stats.events++;
	if (engine_unit_unknown(e, ev) != 0)
		return (-1);
	mev = match_event_new(e->rules, ev);
	e->event = ev;
	if (ev->incident == NULL)
		rc = engine_obligation_meet(e, NULL, ev, mev, res->seq);
	else if (inc == NULL) {
		rc = engine_incident_open(e, ev, mev, &inc);
		if (rc == 0 && engine_obligation_could_meet(e, inc, mev))
			rc = engine_obligation_meet(e, inc, ev, mev, res->seq);
		if (rc == 0)
			rc = engine_lifecycle_event(e, inc, ev, mev);
	} else {
		res->closed = inc->state == INCIDENT_CLOSED;
		rc = engine_incident_apply(e, inc, ev, mev, res->seq);
	}
	metrics_observe(METRICS_RULES, match_event_usec(mev));
	match_event_free(mev);
	e->event = NULL;
	engine_incident_free(inc);
	return (rc == 0 ? 0 : -1);
}

/*
 * Fire timer id, due at due, if it is still there: a heap entry whose row
 * is gone was cancelled or has fired.
 */
static int
engine_fire(struct engine *e, int64_t id, int64_t due)
{
	const struct engine_timer_kind	*k;
	struct store_timer		 t;
	int				 rc;

	engine_decision_begin(e);
	if ((rc = store_timer_get(e->store, id, &t)) != 1)
		return (rc);		/* cancelled, or fired already */
	/*
	 * Committed ids are never reused, but a request rolled back to its
	 * savepoint hands its timers' ids back: a row of another time is
	 * another timer, which fires from its own entry.
	 */
	if (t.at != due)
		return (0);
	if (store_timer_delete(e->store, id) != 0)
		return (-1);
	engine_decision_trigger(e, id, "timer %lld %lld", (long long)id,
	    (long long)t.at);
	e->stats.timers_fired++;
	if ((k = engine_timer_kind_find(t.kind)) == NULL) {
		log_warnx("engine: timer of unknown kind timer=%lld kind=%d",
		    (long long)id, t.kind);
		return (0);
	}
	return (k->fire(e, t.ref, t.at));
}

/*
 * Fire up to max timers due at or before now, inside the caller's
 * transaction.  Returns the number fired, or -1 when the store failed.
 */
int
engine_fire_due(struct engine *e, int64_t now, int max)
{
	int64_t	at, id;
	int	fired = 0;

	while (fired < max && timer_heap_peek(e->timers, &at, &id) &&
	    at <= now) {
		timer_heap_pop(e->timers);
		if (engine_fire(e, id, at) != 0)
			return (-1);
		fired++;
	}
	return (fired);
}
