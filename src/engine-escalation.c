/*
 * Escalations.  A breached obligation with an on_breach policy climbs the
 * policy's steps, each at its time after the due time and each telling its
 * roles, then repeats if the policy says so.  One timer waits for the next
 * step.  An escalation stops when its obligation is closed or its incident
 * acknowledged or resolved, and keeps the step it reached; after an outage
 * the steps that fell due meanwhile are taken at once.
 *
 * Its state (enum escalation_state) changes only in
 * engine_escalation_set_state(): active -> active (a step taken) | done
 * (no step left) | stopped (acknowledged, met, its policy gone).
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "engine.h"
#include "engine-int.h"
#include "log.h"
#include "rules.h"
#include "store.h"
#include "xmalloc.h"

/*
 * Stop the active escalations of one obligation (ref > 0) or incident.
 * Each keeps the step it reached: the board and the incident show it.
 * The pending sends of people's own notify_rules stop with them.
 */
#define ESC(s)	(1U << (s))
static const unsigned engine_escalation_next[ESCALATION__COUNT] = {
	[ESCALATION_ACTIVE] = ESC(ESCALATION_ACTIVE) | ESC(ESCALATION_DONE) |
	    ESC(ESCALATION_STOPPED),
};
#undef ESC

/*
 * The one place an escalation's state changes, with the step and repeats
 * it reached: checked against the table above, written, counted, logged.
 */
static int
engine_escalation_set_state(struct engine *e, int64_t id,
    enum escalation_state from, enum escalation_state to, int step,
    int repeats)
{
	if ((unsigned)from >= ESCALATION__COUNT ||
	    (engine_escalation_next[from] & (1U << to)) == 0) {
		log_warnx("engine: escalation %lld may not go from %s to %s",
		    (long long)id, escalation_state_name(from),
		    escalation_state_name(to));
		return (-1);
	}
	if (store_escalation_update(e->store, id, step, repeats, to) != 0)
		return (-1);
	if (to != from)
		log_debug("engine: escalation %lld %s -> %s", (long long)id,
		    escalation_state_name(from), escalation_state_name(to));
	e->stats.escalations[to]++;
	return (0);
}

/* The escalations a stop finds, copied out of the store's list. */
struct escalation_list {
	struct store_escalation	*v;
	size_t			 n;
};

static int
engine_escalation_list_cb(const struct store_escalation *r, void *arg)
{
	struct escalation_list	*l = arg;
	struct store_escalation	*c;

	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	c = &l->v[l->n++];
	memset(c, 0, sizeof(*c));
	c->id = r->id;
	c->step = r->step;
	c->repeats = r->repeats;
	c->state = r->state;
	return (0);
}

int
engine_escalations_stop(struct engine *e, const char *incident,
    int64_t obligation)
{
	struct escalation_list	 l = { NULL, 0 };
	struct store_escalation	*v;
	size_t			 i;
	int			 rc;

	if (obligation > 0)
		rc = store_escalations_active_of_obligation(e->store,
		    obligation, engine_escalation_list_cb, &l);
	else
		rc = store_escalations_active_of_incident(e->store, incident,
		    engine_escalation_list_cb, &l);
	for (i = 0, v = l.v; i < l.n && rc == 0; i++) {
		rc = engine_escalation_set_state(e, v[i].id, v[i].state,
		    ESCALATION_STOPPED, v[i].step, v[i].repeats);
		if (rc == 0)
			rc = engine_timers_cancel(e, TIMER_ESCALATION_STEP,
			    v[i].id);
	}
	free(l.v);
	/* What stops a policy stops the people's own rules too. */
	if (rc == 0)
		rc = engine_personal_stop(e, incident, obligation);
	return (rc);
}

/*
 * Take the steps of escalation esc_id of obligation o (of incident inc, or
 * NULL for a recurring report) that are due, from step and repeats, and
 * set a timer for the next one.
 */
int
engine_escalation_run(struct engine *e, int64_t esc_id, const char *policy,
    int64_t started, int step, int repeats, const struct incident *inc,
    const struct store_obligation *o)
{
	const struct policy	*pol;
	struct scope		 s;
	int64_t			 now = clock_now(), at;
	int			 rc = 0;
	json_t			*extra;

	if ((pol = rules_policy_find(e->rules, policy)) == NULL) {
		log_warnx("engine: escalation stops, its policy is gone "
		    "escalation=%lld policy=%s", (long long)esc_id, policy);
		return (engine_escalation_set_state(e, esc_id,
		    ESCALATION_ACTIVE, ESCALATION_STOPPED, step, repeats));
	}
	engine_scope_obligation(&s, inc, o);
	s.c.policy = pol->name;

	for (;;) {
		if ((size_t)step < pol->nsteps) {
			at = started + pol->steps[step].after;
			extra = NULL;
		} else if (pol->repeat_every > 0 && (pol->max_repeats == 0 ||
		    repeats < pol->max_repeats)) {
			at = started + pol->steps[pol->nsteps - 1].after +
			    (int64_t)(repeats + 1) * pol->repeat_every;
			extra = json_pack("{s:i}", "repeat", repeats + 1);
		} else {
			rc = engine_escalation_set_state(e, esc_id,
			    ESCALATION_ACTIVE, ESCALATION_DONE, step, repeats);
			break;
		}
		if (at > now) {
			json_decref(extra);
			rc = engine_timer_add(e, at, TIMER_ESCALATION_STEP,
			    esc_id);
			if (rc == 0)
				rc = engine_escalation_set_state(e, esc_id,
				    ESCALATION_ACTIVE, ESCALATION_ACTIVE, step,
				    repeats);
			break;
		}
		s.c.step = (size_t)step < pol->nsteps ? step + 1 :
		    (int)pol->nsteps;
		s.repeat = (size_t)step < pol->nsteps ? 0 : repeats + 1;
		rc = engine_emit(e, &s, "escalation.step", extra);
		if (rc == 0)
			rc = engine_notify_all(e, &s,
			    &pol->steps[s.c.step - 1].notify, "escalation");
		if (rc != 0)
			break;
		if ((size_t)step < pol->nsteps)
			step++;
		else {
			repeats++;
			/* After an outage, repeat from now, not in a burst. */
			if (started + pol->steps[pol->nsteps - 1].after +
			    (int64_t)(repeats + 1) * pol->repeat_every <= now)
				started = now - pol->steps[pol->nsteps - 1].after
				    - (int64_t)repeats * pol->repeat_every;
		}
	}
	return (rc);
}

/*
 * TIMER_ESCALATION_STEP: take one step of escalation esc_id, or as many
 * as are already due.
 */
int
engine_escalation_fire(struct engine *e, int64_t esc_id, int64_t due)
{
	struct store_escalation	 r;
	struct store_obligation	*o = NULL;
	struct incident		*inc = NULL;
	int			 rc;

	(void)due;
	if ((rc = store_escalation_get(e->store, esc_id, &r)) != 1 ||
	    r.state != ESCALATION_ACTIVE)
		goto out;
	rc = 0;
	if (rules_policy_find(e->rules, r.policy) != NULL) {
		inc = r.incident != NULL ? engine_incident_load(e, r.incident) :
		    NULL;
		o = engine_obligation_load(e, r.obligation);
		if ((r.incident != NULL && inc == NULL) || o == NULL)
			goto out;
	}
	rc = engine_escalation_run(e, esc_id, r.policy, r.started_at, r.step,
	    r.repeats, inc, o);
out:
	engine_incident_free(inc);
	engine_obligation_free(o);
	store_escalation_clear(&r);
	return (rc < 0 ? -1 : 0);
}

/* When escalation r's next step falls due; INT64_MAX when none is left. */
static int64_t
engine_escalation_next_at(const struct policy *pol,
    const struct store_escalation *r)
{
	if ((size_t)r->step < pol->nsteps)
		return (r->started_at + pol->steps[r->step].after);
	if (pol->repeat_every > 0 && (pol->max_repeats == 0 ||
	    r->repeats < pol->max_repeats))
		return (r->started_at + pol->steps[pol->nsteps - 1].after +
		    (int64_t)(r->repeats + 1) * pol->repeat_every);
	return (INT64_MAX);
}

/* Take escalation id's next step now; the later ones keep their spacing. */
static int
engine_escalation_hasten_one(struct engine *e, int64_t id, int step)
{
	struct store_escalation	 r;
	const struct policy	*pol;
	struct store_obligation	*o = NULL;
	struct incident		*inc = NULL;
	int64_t			 now = clock_now(), at;
	int			 rc;

	if ((rc = store_escalation_get(e->store, id, &r)) != 1)
		return (rc < 0 ? -1 : 0);
	rc = 0;
	/* Only a call of the step last taken moves it on, and only once. */
	if (r.state != ESCALATION_ACTIVE || r.step != step ||
	    (pol = rules_policy_find(e->rules, r.policy)) == NULL ||
	    (at = engine_escalation_next_at(pol, &r)) == INT64_MAX ||
	    at <= now)
		goto out;
	inc = r.incident != NULL ? engine_incident_load(e, r.incident) : NULL;
	o = engine_obligation_load(e, r.obligation);
	/* A stopped clock's escalation waits, a call not answered or not. */
	if ((r.incident != NULL && inc == NULL) || o == NULL ||
	    engine_lifecycle_paused(e, o))
		goto out;
	log_debug("engine: escalation %lld takes step %d early, %lld ms "
	    "ahead", (long long)id, r.step + 1, (long long)(at - now));
	r.started_at -= at - now;
	rc = store_escalation_restart(e->store, id, r.started_at);
	if (rc == 0)
		rc = engine_timers_cancel(e, TIMER_ESCALATION_STEP, id);
	if (rc == 0)
		rc = engine_escalation_run(e, id, r.policy, r.started_at,
		    r.step, r.repeats, inc, o);
out:
	engine_incident_free(inc);
	engine_obligation_free(o);
	store_escalation_clear(&r);
	return (rc);
}

/*
 * A message of step `step` of obligation's escalation did not reach its
 * person (a call not answered): take the next step now rather than at its
 * time, as a duty officer would ring the next name on the list.
 */
int
engine_escalation_hasten(struct engine *e, int64_t obligation, int step)
{
	struct escalation_list	 l = { NULL, 0 };
	size_t			 i;
	int			 rc;

	rc = store_escalations_active_of_obligation(e->store, obligation,
	    engine_escalation_list_cb, &l);
	for (i = 0; i < l.n && rc == 0; i++)
		rc = engine_escalation_hasten_one(e, l.v[i].id, step);
	free(l.v);
	return (rc);
}
