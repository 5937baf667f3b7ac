/*
 * Incidents.  A first report opens one: its procedures matched, its grade
 * given, its on-open roles told, its obligations set.  Later events regrade
 * it (a graver grade tells its roles and may begin or tighten
 * obligations), meet its obligations, acknowledge or resolve it.  An
 * incident belongs to the unit that opened it.  A report that no procedure
 * takes is said so and the unmatched roles are told, so that a misspelt
 * category never pages nobody.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "engine.h"
#include "engine-int.h"
#include "jsonw.h"
#include "log.h"
#include "match.h"
#include "record.h"
#include "rules.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

void
engine_incident_free(struct incident *inc)
{
	if (inc == NULL)
		return;
	free(inc->key);
	free(inc->unit);
	free(inc->category);
	free(inc->title);
	json_decref(inc->procedures);
	free(inc);
}

/* The incident under key, its strings taken from the store's row. */
struct incident *
engine_incident_load(struct engine *e, const char *key)
{
	struct store_incident	 r;

	if (store_incident_get(e->store, key, &r) != 1) {
		store_incident_clear(&r);
		return (NULL);
	}
	return (engine_incident_from_row(&r));
}

/* The incident a store's row holds, its strings taken (r is spent). */
struct incident *
engine_incident_from_row(struct store_incident *r_)
{
	struct store_incident	 r = *r_;
	struct incident		*inc;

	memset(r_, 0, sizeof(*r_));
	inc = xcalloc(1, sizeof(*inc));
	inc->key = r.key;
	inc->unit = r.unit;
	inc->category = r.category;
	inc->title = r.title;
	inc->procedures = json_loads(r.procedures != NULL ? r.procedures :
	    "[]", 0, NULL);
	if (inc->procedures == NULL)
		inc->procedures = json_array();
	free(r.procedures);
	free(r.acked_by);
	inc->grade = r.grade;
	inc->worst_grade = r.worst_grade;
	inc->state = r.state;
	inc->opened_at = r.opened_at;
	inc->occurred_at = r.occurred_at;
	inc->acked_at = r.acked_at;
	inc->drill = r.drill;
	return (inc);
}

/*
 * No procedure takes this report (SPEC §4): say so and tell the site's
 * unmatched roles, so a misspelt category never pages nobody.  The board
 * flags the incident until it is acknowledged or resolved.
 */
static int
engine_unmatched(struct engine *e, const struct scope *s,
    const struct record *ev)
{
	const char		*category = s->inc->category;
	json_t			*extra;

	log_warnx("engine: no procedure matches incident=%s category=%s",
	    s->inc->key, category != NULL ? category : "-");
	extra = json_pack("{s:s}", "reason", "no procedure matches");
	if (category != NULL)
		json_object_set_new(extra, "category", json_string(category));
	if (ev->id != NULL)
		json_object_set_new(extra, "event", json_string(ev->id));
	if (engine_emit(e, s, "event.unmatched", extra) != 0)
		return (-1);
	return (engine_notify_unmatched(e, s, category));
}

/* The grade the classify functions of procs give, or GRADE_NONE. */
static int
engine_classify(struct engine *e, const struct scope *s, json_t *procs,
    struct match_event *mev, const struct record *ev, int *failed)
{
	const struct procedure	**v;
	struct match_set	  set;
	json_t			 *name;
	size_t			  i, n = 0;
	int			  grade;

	memset(&set, 0, sizeof(set));
	v = xreallocarray(NULL, json_array_size(procs) + 1, sizeof(*v));
	json_array_foreach(procs, i, name) {
		v[n] = rules_procedure_find(e->rules, json_string_value(name));
		if (v[n] != NULL)
			n++;
	}
	grade = match_classify(mev, v, n, &set);
	if (engine_notify_rejects(e, s, ev, &set) != 0)
		*failed = 1;
	match_set_clear(&set);
	free(v);
	return (grade);
}

static int
engine_grade_notify(struct engine *e, struct incident *inc, int grade)
{
	const struct procedure	*p;
	struct scope		 s;
	json_t			*name;
	size_t			 i;

	json_array_foreach(inc->procedures, i, name) {
		p = rules_procedure_find(e->rules, json_string_value(name));
		if (p == NULL || p->grades[grade].n == 0)
			continue;
		engine_scope_incident(&s, inc);
		s.c.procedure = p->name;
		if (engine_notify_all(e, &s, &p->grades[grade], "graded") != 0)
			return (-1);
	}
	return (0);
}

int
engine_incident_open(struct engine *e, struct record *ev, struct match_event *mev,
    struct incident **incp)
{
	const struct procedure	*p;
	struct incident		*inc;
	struct store_incident	 row;
	struct scope		 s;
	struct match_set	 set;
	json_t			*procs, *extra;
	size_t			 i, j;
	char			*text;
	const char		*title;
	int			 grade, failed = 0;

	inc = xcalloc(1, sizeof(*inc));
	inc->key = xstrdup(ev->incident);
	inc->unit = xstrdup(ev->unit);
	inc->category = ev->category != NULL ? xstrdup(ev->category) : NULL;
	title = json_string_value(json_object_get(ev->json, "title"));
	inc->title = title != NULL ? xstrdup(title) : NULL;
	inc->opened_at = ev->received_at;
	inc->occurred_at = ev->occurred_at;
	inc->procedures = procs = json_array();
	inc->drill = ev->drill == RECORD_DRILL;
	*incp = inc;
	engine_scope_incident(&s, inc);

	memset(&set, 0, sizeof(set));
	match_procedures(mev, &set);
	for (i = 0; i < set.n; i++)
		json_array_append_new(procs, json_string(set.v[i]->name));
	grade = ev->grade;
	if (grade == GRADE_NONE)
		grade = match_classify(mev, set.v, set.n, &set);
	/* Rules that failed are rejected in call order, before any grade. */
	if (engine_notify_rejects(e, &s, ev, &set) != 0)
		failed = 1;
	match_set_clear(&set);
	inc->grade = inc->worst_grade = grade;
	text = jsonw_dumps(procs);
	memset(&row, 0, sizeof(row));
	row.key = inc->key;
	row.unit = inc->unit;
	row.category = inc->category;
	row.procedures = text;
	row.title = inc->title;
	row.grade = inc->grade;
	row.worst_grade = inc->worst_grade;
	row.opened_at = inc->opened_at;
	row.occurred_at = inc->occurred_at;
	row.updated_at = inc->opened_at;
	row.drill = inc->drill;
	if (store_incident_add(e->store, &row) != 0)
		failed = 1;
	free(text);
	if (failed)
		return (-1);
	e->open_delta++;
	e->stats.incidents[INCIDENT_OPEN]++;

	extra = json_object();
	if (json_array_size(procs) != 1)
		json_object_set(extra, "procedures", procs);
	if (inc->drill)
		json_object_set_new(extra, "drill", json_true());
	s.c.procedure = json_array_size(procs) == 1 ?
	    json_string_value(json_array_get(procs, 0)) : NULL;
	if (engine_emit(e, &s, "incident.opened", extra) != 0)
		return (-1);
	if (json_array_size(procs) == 0 && engine_unmatched(e, &s, ev) != 0)
		return (-1);

	json_array_foreach(procs, i, extra) {
		p = rules_procedure_find(e->rules, json_string_value(extra));
		engine_scope_incident(&s, inc);
		s.c.procedure = p->name;
		if (engine_notify_all(e, &s, &p->on_open, "opened") != 0)
			return (-1);
		for (j = 0; j < p->period_tags.n; j++) {
			s.period = engine_period_active(e, p->period_tags.v[j],
			    clock_now());
			if (s.period != NULL && engine_notify_all(e, &s,
			    &p->period_notify[j], "period") != 0)
				return (-1);
		}
		s.period = NULL;
		if (engine_obligations_set(e, inc, p, 1, GRADE_NONE) != 0)
			return (-1);
	}
	if (inc->grade != GRADE_NONE &&
	    engine_grade_notify(e, inc, inc->grade) != 0)
		return (-1);
	return (0);
}

/*
 * The one place an incident's state changes (open -> closed): checked,
 * written, counted, logged; the open count follows it at commit.
 */
static int
engine_incident_set_state(struct engine *e, struct incident *inc,
    enum incident_state to, int64_t now)
{
	if (inc->state != INCIDENT_OPEN || to != INCIDENT_CLOSED) {
		log_warnx("engine: incident %s may not go from %s to %s",
		    inc->key, incident_state_name(inc->state),
		    incident_state_name(to));
		return (-1);
	}
	if (store_incident_resolve(e->store, inc->key, now) != 0)
		return (-1);
	log_debug("engine: incident %s %s -> %s", inc->key,
	    incident_state_name(inc->state), incident_state_name(to));
	inc->state = to;
	e->open_delta--;
	e->stats.incidents[to]++;
	return (0);
}

/*
 * The first acknowledgement stands: who and when are what the duty room
 * and the ledger go by, so a later one (a second person, a link clicked
 * again) is recorded in the timeline and changes neither.
 */
static int
engine_acknowledge(struct engine *e, struct incident *inc, const char *by)
{
	struct scope	s;
	int64_t		now = clock_now();

	engine_scope_incident(&s, inc);
	if (inc->acked_at != 0) {
		if (store_incident_touch(e->store, inc->key, now) != 0)
			return (-1);
		return (engine_emit(e, &s, "incident.acknowledged",
		    json_pack("{s:s?, s:b}", "by", by, "again", 1)));
	}
	if (store_incident_ack(e->store, inc->key, by, now) != 0)
		return (-1);
	inc->acked_at = now;
	if (engine_escalations_stop(e, inc->key, 0) != 0)
		return (-1);
	return (engine_emit(e, &s, "incident.acknowledged",
	    json_pack("{s:s?}", "by", by)));
}

static int
engine_resolve(struct engine *e, struct incident *inc, const char *by)
{
	struct store_obligation	**v;
	struct scope		  s;
	size_t			  n, i;
	int64_t			  now = clock_now();
	int			  rc = 0, missed;

	if (inc->state == INCIDENT_CLOSED)
		return (0);
	v = engine_obligations_open(e, inc->key, NULL, &n);
	for (i = 0; i < n && rc == 0; i++) {
		missed = v[i]->status == OBLIGATION_BREACHED;
		rc = engine_obligation_close(e, v[i], missed ? OBLIGATION_MISSED :
		    OBLIGATION_CANCELLED, 0, 0);
		engine_scope_obligation(&s, inc, v[i]);
		if (rc == 0)
			rc = engine_emit(e, &s, missed ? "obligation.missed" :
			    "obligation.cancelled",
			    json_pack("{s:s}", "reason", "resolved"));
	}
	engine_obligations_free(v, n);
	if (rc != 0 || engine_escalations_stop(e, inc->key, 0) != 0 ||
	    engine_incident_set_state(e, inc, INCIDENT_CLOSED, now) != 0)
		return (-1);
	engine_scope_incident(&s, inc);
	return (engine_emit(e, &s, "incident.resolved",
	    json_pack("{s:s?}", "by", by)));
}

static int
engine_regrade(struct engine *e, struct incident *inc, struct record *ev,
    struct match_event *mev)
{
	struct scope	s;
	int		grade = ev->grade, failed = 0, old = inc->grade, raised;
	int		worst = inc->worst_grade;

	engine_scope_incident(&s, inc);
	if (grade == GRADE_NONE)
		grade = engine_classify(e, &s, inc->procedures, mev, ev,
		    &failed);
	if (failed)
		return (-1);
	if (grade == GRADE_NONE || grade == inc->grade)
		return (0);
	inc->grade = grade;
	/*
	 * A grade more severe than any before notifies; a lowered one never
	 * un-sends anything, and going back up to a grade already reached
	 * tells nobody twice.
	 */
	raised = inc->worst_grade == GRADE_NONE || grade < inc->worst_grade;
	if (raised)
		inc->worst_grade = grade;
	if (store_incident_set_grade(e->store, inc->key, inc->grade,
	    inc->worst_grade, clock_now()) != 0)
		return (-1);
	if (engine_emit(e, &s, "incident.graded",
	    json_pack("{s:i}", "from", old)) != 0)
		return (-1);
	if (old != GRADE_NONE && grade > old &&
	    engine_obligations_lowered(e, inc) != 0)
		return (-1);
	if (!raised)
		return (0);
	if (engine_grade_notify(e, inc, grade) != 0)
		return (-1);
	return (engine_obligations_regrade(e, inc, worst));
}

int
engine_incident_apply(struct engine *e, struct incident *inc, struct record *ev,
    struct match_event *mev, int64_t seq)
{
	if (inc->state == INCIDENT_CLOSED)
		return (store_incident_touch(e->store, inc->key, clock_now()));
	if (engine_regrade(e, inc, ev, mev) != 0)
		return (-1);
	if (engine_obligation_meet(e, inc, ev, mev, seq) != 0 ||
	    engine_obligations_until(e, inc, ev, mev) != 0 ||
	    engine_lifecycle_event(e, inc, ev, mev) != 0)
		return (-1);
	if (strcmp(ev->type, "ack") == 0)
		return (engine_acknowledge(e, inc, ev->by));
	if (strcmp(ev->type, "resolve") == 0)
		return (engine_resolve(e, inc, ev->by));
	return (store_incident_touch(e->store, inc->key, clock_now()));
}

/*
 * An incident belongs to the unit whose report opened it: a submitter
 * limited to some units (units non-NULL) touches no incident but theirs
 * and their descendants', by any event type (SPEC §3).  And a first report (type
 * "report") from another unit is a second incident that happens to
 * carry the same key, never a follow-up of the first: it is refused
 * loudly, so that no unit's report is silently merged into another's.
 */
int
engine_incident_may_touch(const struct rules *rules, const struct names *units,
    const struct incident *inc, const struct record *ev,
    struct record_error *err)
{
	if (!rules_unit_covered(rules, units, inc->unit)) {
		record_error_set(err, "forbidden", "incident", "incident "
		    "\"%s\" belongs to another unit: this token may act only "
		    "on its own units' incidents", inc->key);
		err->status = 403;
		return (0);
	}
	if (strcmp(ev->type, "report") == 0 &&
	    strcmp(ev->unit, inc->unit) != 0) {
		record_error_set(err, "incident_exists", "incident", "another "
		    "unit's incident has the key \"%s\": report under a key "
		    "of your own", inc->key);
		err->status = 409;
		return (0);
	}
	/*
	 * An event that leaves "drill" out belongs to its incident, drill
	 * or not; one that says otherwise than the incident is refused
	 * rather than guessed at: a real report under a drill's key would
	 * be lost from the record, a drill under a real key would pollute
	 * it.
	 */
	if (ev->drill != 0 && (ev->drill == RECORD_DRILL) != inc->drill) {
		record_error_set(err, "drill_mismatch", "drill", inc->drill ?
		    "incident \"%s\" is a drill: its events may not say "
		    "\"drill\": false (leave it out, or report the real "
		    "incident under a key of its own)" : "incident \"%s\" is "
		    "not a drill: a drill needs a key of its own", inc->key);
		err->status = 409;
		return (0);
	}
	return (1);
}
