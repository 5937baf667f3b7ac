/*
 * Escalations: a policy climbing its steps for an incident or one of its
 * obligations, and which of them are still active.
 */
#include <stdlib.h>
#include <string.h>

#include "store-int.h"
#include "store.h"
#include "tocsin.h"

void
store_escalation_clear(struct store_escalation *e)
{
	free(e->incident);
	free(e->policy);
	memset(e, 0, sizeof(*e));
}

static int
store_escalation_read(struct store *s, struct store_query *q,
    struct store_escalation *e)
{
	int	state;

	memset(e, 0, sizeof(*e));
	e->id = store_col_int(s, q, 0);
	e->incident = store_col_text(s, q, 1);
	e->obligation = store_col_int(s, q, 2);
	e->policy = store_col_text(s, q, 3);
	e->started_at = store_col_int(s, q, 4);
	e->step = (int)store_col_int(s, q, 5);
	e->repeats = (int)store_col_int(s, q, 6);
	if (store_col_state(s, q, 7, escalation_state_parse, &state) != 0) {
		store_escalation_clear(e);
		return (-1);
	}
	e->state = (enum escalation_state)state;
	return (0);
}

int
store_escalation_add(struct store *s, const struct store_escalation *e,
    int64_t *id)
{
	struct store_query	*q = store_q(s, SQL_ESCALATION_ADD);

	store_bind_text(s, q, 1, e->incident);
	store_bind_opt(s, q, 2, e->obligation);
	store_bind_text(s, q, 3, e->policy);
	store_bind_int(s, q, 4, e->started_at);
	return (store_q_int(s, q, id));
}

int
store_escalation_get(struct store *s, int64_t id, struct store_escalation *e)
{
	struct store_query	*q = store_q(s, SQL_ESCALATION_GET);
	int			 rc;

	memset(e, 0, sizeof(*e));
	store_bind_int(s, q, 1, id);
	if ((rc = store_q_step(s, q)) == 1 &&
	    store_escalation_read(s, q, e) != 0)
		rc = -1;
	s->drv->reset(q);
	return (rc);
}

int
store_escalation_update(struct store *s, int64_t id, int step, int repeats,
    enum escalation_state state)
{
	struct store_query	*q = store_q(s, SQL_ESCALATION_UPDATE);

	store_bind_int(s, q, 1, id);
	store_bind_int(s, q, 2, step);
	store_bind_int(s, q, 3, repeats);
	store_bind_text(s, q, 4, escalation_state_name(state));
	return (store_q_run(s, q));
}

/* Its steps counted from a new start: one taken early takes the rest. */
int
store_escalation_restart(struct store *s, int64_t id, int64_t started_at)
{
	struct store_query	*q = store_q(s, SQL_ESCALATION_RESTART);

	store_bind_int(s, q, 1, id);
	store_bind_int(s, q, 2, started_at);
	return (store_q_run(s, q));
}

int
store_escalation_stop(struct store *s, int64_t id)
{
	struct store_query	*q = store_q(s, SQL_ESCALATION_STOP);

	store_bind_int(s, q, 1, id);
	store_bind_text(s, q, 2, escalation_state_name(ESCALATION_STOPPED));
	return (store_q_run(s, q));
}

struct store_escalation_visit {
	store_escalation_cb	 cb;
	void			*arg;
};

static int
store_escalation_visit(struct store *s, struct store_query *q, void *ctx)
{
	struct store_escalation_visit	*v = ctx;
	struct store_escalation		 e;
	int				 stop;

	if (store_escalation_read(s, q, &e) != 0)
		return (-1);
	stop = v->cb(&e, v->arg) != 0;
	store_escalation_clear(&e);
	return (stop);
}

int
store_escalations_of_incident(struct store *s, const char *key,
    store_escalation_cb cb, void *arg)
{
	struct store_query		*q = store_q(s,
					    SQL_ESCALATIONS_OF_INCIDENT);
	struct store_escalation_visit	 v = { cb, arg };

	store_bind_text(s, q, 1, key);
	return (store_q_each(s, q, store_escalation_visit, &v));
}

int
store_escalations_active_of_incident(struct store *s, const char *key,
    store_escalation_cb cb, void *arg)
{
	struct store_query		*q = store_q(s,
					    SQL_ESCALATIONS_ACTIVE_OF_INCIDENT);
	struct store_escalation_visit	 v = { cb, arg };

	store_bind_text(s, q, 1, key);
	return (store_q_each(s, q, store_escalation_visit, &v));
}

int
store_escalations_active_of_obligation(struct store *s, int64_t obligation,
    store_escalation_cb cb, void *arg)
{
	struct store_query		*q = store_q(s,
					    SQL_ESCALATIONS_ACTIVE_OF_OBLIGATION);
	struct store_escalation_visit	 v = { cb, arg };

	store_bind_int(s, q, 1, obligation);
	return (store_q_each(s, q, store_escalation_visit, &v));
}
