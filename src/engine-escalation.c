/*
 * Escalations.  A breached obligation with an on_breach policy climbs the
 * policy's steps, each at its time after the due time and each telling its
 * roles, then repeats if the policy says so.  One timer waits for the next
 * step.  An escalation stops when its obligation is closed or its incident
 * acknowledged or resolved, and keeps the step it reached; after an outage
 * the steps that fell due meanwhile are taken at once.
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
 */
struct escalation_ids {
	int64_t		*v;
	size_t		 n;
};

static int
engine_escalation_id_cb(const struct store_escalation *r, void *arg)
{
	struct escalation_ids	*l = arg;

	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = r->id;
	return (0);
}

int
engine_escalations_stop(struct engine *e, const char *incident,
    int64_t obligation)
{
	struct escalation_ids	 l = { NULL, 0 };
	int64_t			*ids;
	size_t			 n, i;
	int			 rc;

	if (obligation > 0)
		rc = store_escalations_active_of_obligation(e->store,
		    obligation, engine_escalation_id_cb, &l);
	else
		rc = store_escalations_active_of_incident(e->store, incident,
		    engine_escalation_id_cb, &l);
	ids = l.v;
	n = l.n;
	for (i = 0; i < n && rc == 0; i++) {
		rc = store_escalation_stop(e->store, ids[i]);
		if (rc == 0)
			rc = engine_timers_cancel(e, TIMER_ESCALATION_STEP,
			    ids[i]);
	}
	free(ids);
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
    const struct obligation *o)
{
	const struct policy	*pol;
	struct scope		 s;
	int64_t			 now = clock_now(), at;
	int			 rc = 0;
	json_t			*extra;

	if ((pol = rules_policy_find(e->rules, policy)) == NULL) {
		log_warnx("engine: escalation stops, its policy is gone "
		    "escalation=%lld policy=%s", (long long)esc_id, policy);
		return (store_escalation_update(e->store, esc_id, step,
		    repeats, ESCALATION_STOPPED));
	}
	engine_scope_obligation(&s, inc, o);
	s.policy = pol->name;

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
			rc = store_escalation_update(e->store, esc_id, step,
			    repeats, ESCALATION_DONE);
			break;
		}
		if (at > now) {
			json_decref(extra);
			rc = engine_timer_add(e, at, TIMER_ESCALATION_STEP,
			    esc_id);
			if (rc == 0)
				rc = store_escalation_update(e->store, esc_id,
				    step, repeats, ESCALATION_ACTIVE);
			break;
		}
		s.step = (size_t)step < pol->nsteps ? step + 1 :
		    (int)pol->nsteps;
		rc = engine_emit(e, &s, "escalation.step", NULL, NULL, NULL,
		    extra);
		if (rc == 0)
			rc = engine_notify_all(e, &s,
			    &pol->steps[s.step - 1].notify, "escalation");
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

/* Take one step of escalation esc, or as many as are already due. */
int
engine_escalation_step(struct engine *e, int64_t esc_id)
{
	struct store_escalation	 r;
	struct obligation	*o = NULL;
	struct incident		*inc = NULL;
	int			 rc;

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
