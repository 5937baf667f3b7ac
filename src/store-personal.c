/*
 * Personal sends: the later steps of a person's own notification rules,
 * each a row due at its time with a timer that points at it, written in
 * the transaction of the decision that reached the person.  A row is
 * pending until its timer sends it, or stopped when the incident is
 * acknowledged or its obligation closed.
 */
#include <stdlib.h>
#include <string.h>

#include "store-int.h"
#include "store.h"
#include "tocsin.h"

void
store_personal_clear(struct store_personal *p)
{
	free(p->incident);
	free(p->person);
	free(p->role);
	free(p->reason);
	free(p->policy);
	free(p->state);
	memset(p, 0, sizeof(*p));
}

static void
store_personal_read(struct store *s, struct store_query *q,
    struct store_personal *p)
{
	memset(p, 0, sizeof(*p));
	p->id = store_col_int(s, q, 0);
	p->incident = store_col_text(s, q, 1);
	p->obligation = store_col_int(s, q, 2);
	p->person = store_col_text(s, q, 3);
	p->step = (int)store_col_int(s, q, 4);
	p->role = store_col_text(s, q, 5);
	p->reason = store_col_text(s, q, 6);
	p->policy = store_col_text(s, q, 7);
	p->policy_step = (int)store_col_int(s, q, 8);
	p->repeat = (int)store_col_int(s, q, 9);
	p->due_at = store_col_int(s, q, 10);
	p->state = store_col_text(s, q, 11);
}

int
store_personal_add(struct store *s, const struct store_personal *p,
    int64_t *id)
{
	struct store_query	*q = store_q(s, SQL_PERSONAL_ADD);

	store_bind_text(s, q, 1, p->incident);
	store_bind_opt(s, q, 2, p->obligation);
	store_bind_text(s, q, 3, p->person);
	store_bind_int(s, q, 4, p->step);
	store_bind_text(s, q, 5, p->role);
	store_bind_text(s, q, 6, p->reason);
	store_bind_text(s, q, 7, p->policy);
	store_bind_int(s, q, 8, p->policy_step);
	store_bind_int(s, q, 9, p->repeat);
	store_bind_int(s, q, 10, p->due_at);
	return (store_q_int(s, q, id));
}

int
store_personal_get(struct store *s, int64_t id, struct store_personal *p)
{
	struct store_query	*q = store_q(s, SQL_PERSONAL_GET);
	int			 rc;

	memset(p, 0, sizeof(*p));
	store_bind_int(s, q, 1, id);
	if ((rc = store_q_step(s, q)) == 1)
		store_personal_read(s, q, p);
	s->drv->reset(q);
	return (rc);
}

/* "sent" or "stopped": a row leaves "pending" only once. */
int
store_personal_set_state(struct store *s, int64_t id, const char *state)
{
	struct store_query	*q = store_q(s, SQL_PERSONAL_SET_STATE);

	store_bind_int(s, q, 1, id);
	store_bind_text(s, q, 2, state);
	return (store_q_run(s, q));
}

/* 1 when person has a pending send for the incident (else obligation). */
int
store_personal_pending(struct store *s, const char *incident,
    int64_t obligation, const char *person)
{
	struct store_query	*q = store_q(s, SQL_PERSONAL_PENDING);
	int			 rc;

	store_bind_text(s, q, 1, incident);
	store_bind_opt(s, q, 2, obligation);
	store_bind_text(s, q, 3, person);
	rc = store_q_step(s, q);
	s->drv->reset(q);
	return (rc);
}

struct store_personal_visit {
	store_personal_cb	 cb;
	void			*arg;
};

static int
store_personal_visit(struct store *s, struct store_query *q, void *ctx)
{
	struct store_personal_visit	*v = ctx;
	struct store_personal		 p;
	int				 stop;

	store_personal_read(s, q, &p);
	stop = v->cb(&p, v->arg) != 0;
	store_personal_clear(&p);
	return (stop);
}

/* The pending sends of an obligation (> 0), else of an incident. */
int
store_personals_pending_of(struct store *s, const char *incident,
    int64_t obligation, store_personal_cb cb, void *arg)
{
	struct store_personal_visit	 v = { cb, arg };
	struct store_query		*q;

	if (obligation > 0) {
		q = store_q(s, SQL_PERSONALS_PENDING_OF_OBLIGATION);
		store_bind_int(s, q, 1, obligation);
	} else {
		q = store_q(s, SQL_PERSONALS_PENDING_OF_INCIDENT);
		store_bind_text(s, q, 1, incident);
	}
	return (store_q_each(s, q, store_personal_visit, &v));
}
