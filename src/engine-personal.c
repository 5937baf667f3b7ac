/*
 * Personal notification rules.  A person may declare their own order of
 * channels (notify_rules): the first step goes when a role, owner or
 * policy step reaches them, and each later one `after` that unless the
 * incident is acknowledged (or resolved, or the obligation that reached
 * them closed) meanwhile.  Each later step is a personal send: a row due
 * at its time and a timer pointing at it, written in the transaction of
 * the decision that reached the person, so a restart rebuilds them with
 * the other timers and an outage takes the ones that fell due at once.
 * The policy above goes on by itself: its next step is its own.
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

#define PERSONAL_PENDING	"pending"
#define PERSONAL_SENT		"sent"
#define PERSONAL_STOPPED	"stopped"

/* The channels of a step, as a timeline field. */
static json_t *
engine_personal_channels(const struct person *p, int step)
{
	const struct names	*n = &p->notify_rules[step - 1].channels;
	json_t			*a = json_array();
	size_t			 i;

	for (i = 0; i < n->n; i++)
		json_array_append_new(a, json_string(n->v[i]));
	return (a);
}

/*
 * Person p was just told on their first step's channels: schedule the
 * later steps, unless nothing can stop them (no incident to acknowledge,
 * no obligation to meet) or a run of theirs for the same incident is
 * still pending (a later policy step reaching them again does not start
 * their rules over).
 */
int
engine_personal_start(struct engine *e, const struct scope *s,
    const char *role, const char *reason, const struct person *p)
{
	struct store_personal	 row;
	int64_t			 now = clock_now(), id;
	size_t			 i;
	int			 rc;
	json_t			*extra;

	if (s->inc != NULL ? s->inc->state != INCIDENT_OPEN ||
	    s->inc->acked_at != 0 : s->obligation_id == 0)
		return (0);
	if ((rc = store_personal_pending(e->store, s->c.incident,
	    s->obligation_id, p->id)) != 0)
		return (rc < 0 ? -1 : 0);
	memset(&row, 0, sizeof(row));
	row.incident = (char *)s->c.incident;
	row.obligation = s->obligation_id;
	row.person = p->id;
	row.role = (char *)role;
	row.reason = (char *)reason;
	row.policy = (char *)s->c.policy;
	row.policy_step = s->c.step;
	row.repeat = s->repeat;
	for (i = 0; i < p->nnotify_rules; i++) {
		if (p->notify_rules[i].after == 0)
			continue;	/* taken at once, by org_resolve */
		row.step = (int)i + 1;
		row.due_at = now + p->notify_rules[i].after;
		if (store_personal_add(e->store, &row, &id) != 0 ||
		    engine_timer_add(e, row.due_at, TIMER_PERSONAL_SEND,
		    id) != 0)
			return (-1);
		extra = engine_extra_time("due_at", row.due_at);
		json_object_set_new(extra, "personal_step",
		    json_integer(row.step));
		json_object_set_new(extra, "channels",
		    engine_personal_channels(p, row.step));
		if (engine_emit_told(e, s, "personal.scheduled", role, p->id,
		    NULL, extra) != 0)
			return (-1);
	}
	return (0);
}

struct personal_list {
	struct store_personal	*v;
	size_t			 n;
};

static int
engine_personal_list_cb(const struct store_personal *r, void *arg)
{
	struct personal_list	*l = arg;
	struct store_personal	*c;

	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	c = &l->v[l->n++];
	memset(c, 0, sizeof(*c));
	c->id = r->id;
	c->incident = r->incident != NULL ? xstrdup(r->incident) : NULL;
	c->obligation = r->obligation;
	c->person = xstrdup(r->person);
	c->role = r->role != NULL ? xstrdup(r->role) : NULL;
	c->step = r->step;
	return (0);
}

/* One pending send stopped, and the timeline says whose and which. */
static int
engine_personal_stop_one(struct engine *e, const struct store_personal *r,
    const char *why)
{
	struct incident		*inc = NULL;
	struct scope		 s;
	int			 rc;

	if (store_personal_set_state(e->store, r->id, PERSONAL_STOPPED) != 0 ||
	    engine_timers_cancel(e, TIMER_PERSONAL_SEND, r->id) != 0)
		return (-1);
	memset(&s, 0, sizeof(s));
	if (r->incident != NULL &&
	    (inc = engine_incident_load(e, r->incident)) != NULL)
		engine_scope_incident(&s, inc);
	s.obligation_id = r->obligation;
	rc = engine_emit_told(e, &s, "personal.stopped", r->role, r->person,
	    NULL, json_pack("{s:i, s:s}", "personal_step", r->step, "reason",
	    why));
	engine_incident_free(inc);
	return (rc);
}

/*
 * Stop the pending personal sends of an obligation (> 0: it closed) or of
 * an incident (acknowledged or resolved).
 */
int
engine_personal_stop(struct engine *e, const char *incident,
    int64_t obligation)
{
	struct personal_list	 l = { NULL, 0 };
	size_t			 i;
	int			 rc;

	rc = store_personals_pending_of(e->store, incident, obligation,
	    engine_personal_list_cb, &l);
	for (i = 0; i < l.n; i++) {
		if (rc == 0)
			rc = engine_personal_stop_one(e, &l.v[i], obligation > 0 ?
			    "obligation closed" : "acknowledged");
		store_personal_clear(&l.v[i]);
	}
	free(l.v);
	return (rc);
}

/*
 * Why a send due now is not sent: its person or step gone from the rules,
 * its incident gone (pruned), closed or acknowledged; NULL to send it.
 */
static const char *
engine_personal_void(const struct store_personal *r, const struct person *p,
    const struct incident *inc)
{
	if (p == NULL || (size_t)r->step > p->nnotify_rules || r->step < 1)
		return ("its step is gone from the rules");
	if (r->incident != NULL && inc == NULL)
		return ("its incident is gone");
	if (inc != NULL && (inc->state != INCIDENT_OPEN || inc->acked_at != 0))
		return ("acknowledged");
	return (NULL);
}

/* TIMER_PERSONAL_SEND: send personal send id, due now, if still pending. */
int
engine_personal_fire(struct engine *e, int64_t id, int64_t due)
{
	struct store_personal	 r;
	struct store_obligation	*o = NULL;
	struct incident		*inc = NULL;
	const struct person	*p;
	const char		*why;
	struct scope		 s;
	int			 rc;

	(void)due;
	if ((rc = store_personal_get(e->store, id, &r)) != 1 ||
	    strcmp(r.state, PERSONAL_PENDING) != 0)
		goto out;
	p = rules_person_find(e->rules, r.person);
	inc = r.incident != NULL ? engine_incident_load(e, r.incident) : NULL;
	o = r.obligation > 0 ? engine_obligation_load(e, r.obligation) : NULL;
	if ((why = engine_personal_void(&r, p, inc)) != NULL ||
	    (inc == NULL && o == NULL)) {
		log_info("engine: personal send %lld of %s not sent: %s",
		    (long long)id, r.person, why != NULL ? why :
		    "its obligation is gone");
		rc = store_personal_set_state(e->store, id, PERSONAL_STOPPED);
		goto out;
	}
	if (o != NULL)
		engine_scope_obligation(&s, inc, o);
	else
		engine_scope_incident(&s, inc);
	s.c.policy = r.policy;
	s.c.step = r.policy_step;
	s.repeat = r.repeat;
	rc = engine_notify_personal(e, &s, r.role, r.reason, p, r.step);
	if (rc == 0)
		rc = store_personal_set_state(e->store, id, PERSONAL_SENT);
out:
	engine_incident_free(inc);
	engine_obligation_free(o);
	store_personal_clear(&r);
	return (rc < 0 ? -1 : 0);
}
