/*
 * Timers: the durable deadlines the timer heap is rebuilt from, and the
 * engine's word on what each kind's ref names, so that a prune removes an
 * incident's timers without the store knowing any kind (store-prune.c).
 */
#include <string.h>

#include "store-int.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

void
store_timer_kind(struct store *s, int kind, enum store_timer_owner owner)
{
	size_t	i;

	for (i = 0; i < s->nkinds && s->kinds[i].kind != kind; i++)
		;
	if (i == s->nkinds)
		s->kinds = xreallocarray(s->kinds, ++s->nkinds,
		    sizeof(*s->kinds));
	s->kinds[i].kind = kind;
	s->kinds[i].owner = owner;
}

static void
store_timer_read(struct store *s, struct store_query *q,
    struct store_timer *t)
{
	t->id = store_col_int(s, q, 0);
	t->at = store_col_int(s, q, 1);
	t->kind = (int)store_col_int(s, q, 2);
	t->ref = store_col_int(s, q, 3);
}

int
store_timer_add(struct store *s, const struct store_timer *t, int64_t *id)
{
	struct store_query	*q = store_q(s, SQL_TIMER_ADD);

	store_bind_int(s, q, 1, t->at);
	store_bind_int(s, q, 2, t->kind);
	store_bind_int(s, q, 3, t->ref);
	return (store_q_int(s, q, id));
}

/* The timer a statement bound to its key reads, into t. */
static int
store_timer_one(struct store *s, struct store_query *q, struct store_timer *t)
{
	int	rc;

	memset(t, 0, sizeof(*t));
	if ((rc = store_q_step(s, q)) == 1)
		store_timer_read(s, q, t);
	s->drv->reset(q);
	return (rc);
}

int
store_timer_get(struct store *s, int64_t id, struct store_timer *t)
{
	struct store_query	*q = store_q(s, SQL_TIMER_GET);

	store_bind_int(s, q, 1, id);
	return (store_timer_one(s, q, t));
}

int
store_timer_delete(struct store *s, int64_t id)
{
	struct store_query	*q = store_q(s, SQL_TIMER_DELETE);

	store_bind_int(s, q, 1, id);
	return (store_q_run(s, q));
}

int
store_timers_cancel(struct store *s, int kind, int64_t ref)
{
	struct store_query	*q = store_q(s, SQL_TIMERS_CANCEL);

	store_bind_int(s, q, 1, kind);
	store_bind_int(s, q, 2, ref);
	return (store_q_run(s, q));
}

int
store_timer_exists(struct store *s, int kind, int64_t ref)
{
	struct store_query	*q = store_q(s, SQL_TIMER_EXISTS);
	int			 rc;

	store_bind_int(s, q, 1, kind);
	store_bind_int(s, q, 2, ref);
	rc = store_q_step(s, q);
	s->drv->reset(q);
	return (rc);
}

struct store_timer_visit {
	store_timer_cb	 cb;
	void		*arg;
};

static int
store_timer_visit(struct store *s, struct store_query *q, void *ctx)
{
	struct store_timer_visit	*v = ctx;
	struct store_timer		 t;

	store_timer_read(s, q, &t);
	return (v->cb(&t, v->arg) != 0);
}

int
store_timers_each(struct store *s, store_timer_cb cb, void *arg)
{
	struct store_timer_visit	v = { cb, arg };

	return (store_q_each(s, store_q(s, SQL_TIMERS_ALL), store_timer_visit,
	    &v));
}

int
store_timer_next(struct store *s, struct store_timer *t)
{
	return (store_timer_one(s, store_q(s, SQL_TIMER_NEXT), t));
}

int
store_timer_count(struct store *s, int64_t *n)
{
	return (store_q_int(s, store_q(s, SQL_TIMER_COUNT), n));
}
