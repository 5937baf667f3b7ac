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
int
engine_escalations_stop(struct engine *e, const char *incident,
    int64_t obligation)
{
	sqlite3_stmt	*st;
	int64_t		*ids = NULL;
	size_t		 n = 0, i;
	int		 rc = 0;

	if (obligation > 0)
		st = store_stmt(e->store, STMT_ESCALATIONS_ACTIVE_BY_OBLIGATION,
		    "i", obligation);
	else
		st = store_stmt(e->store, STMT_ESCALATIONS_ACTIVE_BY_INCIDENT,
		    "t", incident);
	while (store_step(e->store, st) == SQLITE_ROW) {
		ids = xreallocarray(ids, n + 1, sizeof(*ids));
		ids[n++] = sqlite3_column_int64(st, ESC_ID);
	}
	if (st != NULL)
		sqlite3_reset(st);
	for (i = 0; i < n && rc == 0; i++) {
		rc = store_run(e->store, STMT_ESCALATION_STOP, "i", ids[i]);
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
		return (store_run(e->store, STMT_ESCALATION_UPDATE, "ddti", step,
		    repeats, "stopped", esc_id));
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
			rc = store_run(e->store, STMT_ESCALATION_UPDATE,
			    "ddti", step, repeats, "done", esc_id);
			break;
		}
		if (at > now) {
			json_decref(extra);
			rc = engine_timer_add(e, at, TIMER_ESCALATION_STEP,
			    esc_id);
			if (rc == 0)
				rc = store_run(e->store, STMT_ESCALATION_UPDATE,
				    "ddti", step, repeats, "active", esc_id);
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
	sqlite3_stmt		*st;
	struct obligation	*o = NULL;
	struct incident		*inc = NULL;
	char			*policy = NULL, *incident = NULL, *state = NULL;
	int64_t			 started, obl;
	int			 step, repeats, rc = 0;

	st = store_stmt(e->store, STMT_ESCALATION_GET, "i", esc_id);
	if (store_step(e->store, st) != SQLITE_ROW) {
		if (st != NULL)
			sqlite3_reset(st);
		return (0);
	}
	incident = engine_dup_col(st, ESC_INCIDENT);
	obl = sqlite3_column_int64(st, ESC_OBLIGATION);
	policy = engine_dup_col(st, ESC_POLICY);
	started = sqlite3_column_int64(st, ESC_STARTED_AT);
	step = sqlite3_column_int(st, ESC_STEP);
	repeats = sqlite3_column_int(st, ESC_REPEATS);
	state = engine_dup_col(st, ESC_STATE);
	sqlite3_reset(st);

	if (strcmp(state, "active") != 0)
		goto out;
	if (rules_policy_find(e->rules, policy) != NULL) {
		inc = incident != NULL ? engine_incident_load(e, incident) : NULL;
		o = engine_obligation_load(e, obl);
		if ((incident != NULL && inc == NULL) || o == NULL)
			goto out;
	}
	rc = engine_escalation_run(e, esc_id, policy, started, step, repeats,
	    inc, o);
out:
	engine_incident_free(inc);
	engine_obligation_free(o);
	free(policy);
	free(incident);
	free(state);
	return (rc);
}
