/*
 * The timeline: every action the engine took, in order, by incident.  It
 * gives up rows only to a prune.
 */
#include <stdlib.h>
#include <string.h>

#include "store-int.h"
#include "store.h"
#include "tocsin.h"

void
store_action_clear(struct store_action *a)
{
	free(a->kind);
	free(a->incident);
	free(a->body);
	memset(a, 0, sizeof(*a));
}

int
store_action_add(struct store *s, const struct store_action *a)
{
	struct store_query	*q = store_q(s, SQL_ACTION_ADD);

	store_bind_int(s, q, 1, a->at);
	store_bind_text(s, q, 2, a->kind);
	store_bind_text(s, q, 3, a->incident);
	store_bind_opt(s, q, 4, a->obligation);
	store_bind_text(s, q, 5, a->body);
	return (store_q_run(s, q));
}

struct store_action_visit {
	store_action_cb	 cb;
	void		*arg;
};

static int
store_action_visit(struct store *s, struct store_query *q, void *ctx)
{
	struct store_action_visit	*v = ctx;
	struct store_action		 a;
	int				 stop;

	a.seq = store_col_int(s, q, 0);
	a.at = store_col_int(s, q, 1);
	a.kind = store_col_text(s, q, 2);
	a.incident = store_col_text(s, q, 3);
	a.obligation = store_col_int(s, q, 4);
	a.body = store_col_text(s, q, 5);
	stop = v->cb(&a, v->arg) != 0;
	store_action_clear(&a);
	return (stop);
}

int
store_actions_of_incident(struct store *s, const char *key,
    store_action_cb cb, void *arg)
{
	struct store_query		*q = store_q(s, SQL_ACTIONS_OF_INCIDENT);
	struct store_action_visit	 v = { cb, arg };

	store_bind_text(s, q, 1, key);
	return (store_q_each(s, q, store_action_visit, &v));
}
