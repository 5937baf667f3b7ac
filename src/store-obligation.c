/*
 * Obligations: what an incident or a recurring report owes, by when, and
 * what became of it; the recurring reports themselves (each one's next
 * period and its previous obligations); and the compliance ledger, keyset
 * pages over the obligations' due times.
 */
#include <stdlib.h>
#include <string.h>

#include "store-int.h"
#include "store.h"
#include "tocsin.h"

/* ---- obligations ----------------------------------------------------- */

void
store_obligation_clear(struct store_obligation *o)
{
	free(o->incident);
	free(o->recurring);
	free(o->unit);
	free(o->procedure);
	free(o->name);
	free(o->title);
	free(o->owner);
	free(o->on_breach);
	memset(o, 0, sizeof(*o));
}

static int
store_obligation_read(struct store *s, struct store_query *q,
    struct store_obligation *o)
{
	int	status;

	memset(o, 0, sizeof(*o));
	o->id = store_col_int(s, q, 0);
	o->incident = store_col_text(s, q, 1);
	o->recurring = store_col_text(s, q, 2);
	o->unit = store_col_text(s, q, 3);
	o->procedure = store_col_text(s, q, 4);
	o->name = store_col_text(s, q, 5);
	o->title = store_col_text(s, q, 6);
	o->owner = store_col_text(s, q, 7);
	o->on_breach = store_col_text(s, q, 8);
	o->set_at = store_col_int(s, q, 9);
	o->due_at = store_col_int(s, q, 10);
	o->close_at = store_col_int(s, q, 11);
	o->met_at = store_col_int(s, q, 12);
	o->met_event = store_col_int(s, q, 13);
	if (store_col_state(s, q, 14, obligation_status_parse, &status) != 0) {
		store_obligation_clear(o);
		return (-1);
	}
	o->status = (enum obligation_status)status;
	o->instance = (int)store_col_int(s, q, 15);
	o->until_at = store_col_int(s, q, 16);
	o->met_count = (int)store_col_int(s, q, 17);
	o->needed = (int)store_col_int(s, q, 18);
	o->met_mask = store_col_int(s, q, 19);
	o->drill = store_col_int(s, q, 20) != 0;
	return (0);
}

int
store_obligation_add(struct store *s, const struct store_obligation *o,
    int64_t *id)
{
	struct store_query	*q = store_q(s, SQL_OBLIGATION_ADD);

	store_bind_text(s, q, 1, o->incident);
	store_bind_text(s, q, 2, o->recurring);
	store_bind_text(s, q, 3, o->unit);
	store_bind_text(s, q, 4, o->procedure);
	store_bind_text(s, q, 5, o->name);
	store_bind_text(s, q, 6, o->title);
	store_bind_text(s, q, 7, o->owner);
	store_bind_text(s, q, 8, o->on_breach);
	store_bind_int(s, q, 9, o->set_at);
	store_bind_int(s, q, 10, o->due_at);
	store_bind_opt(s, q, 11, o->close_at);
	store_bind_int(s, q, 12, o->instance);
	store_bind_opt(s, q, 13, o->until_at);
	store_bind_int(s, q, 14, o->needed > 0 ? o->needed : 1);
	store_bind_int(s, q, 15, o->drill);
	return (store_q_int(s, q, id));
}

int
store_obligation_get(struct store *s, int64_t id, struct store_obligation *o)
{
	struct store_query	*q = store_q(s, SQL_OBLIGATION_GET);
	int			 rc;

	memset(o, 0, sizeof(*o));
	store_bind_int(s, q, 1, id);
	if ((rc = store_q_step(s, q)) == 1 &&
	    store_obligation_read(s, q, o) != 0)
		rc = -1;
	s->drv->reset(q);
	return (rc);
}

int
store_obligation_set_status(struct store *s, int64_t id,
    enum obligation_status status, int64_t met_at, int64_t met_event)
{
	struct store_query	*q = store_q(s, SQL_OBLIGATION_SET_STATUS);

	store_bind_int(s, q, 1, id);
	store_bind_text(s, q, 2, obligation_status_name(status));
	store_bind_opt(s, q, 3, met_at);
	store_bind_opt(s, q, 4, met_event);
	return (store_q_run(s, q));
}

int
store_obligation_set_due(struct store *s, int64_t id, int64_t due)
{
	struct store_query	*q = store_q(s, SQL_OBLIGATION_SET_DUE);

	store_bind_int(s, q, 1, id);
	store_bind_int(s, q, 2, due);
	return (store_q_run(s, q));
}

/* Of needed events, met_count have come (met_by all: the items, mask). */
int
store_obligation_set_progress(struct store *s, int64_t id, int met_count,
    int64_t mask)
{
	struct store_query	*q = store_q(s, SQL_OBLIGATION_SET_PROGRESS);

	store_bind_int(s, q, 1, id);
	store_bind_int(s, q, 2, met_count);
	store_bind_int(s, q, 3, mask);
	return (store_q_run(s, q));
}

/* The latest instance of an incident's repeating obligation (a series). */
int
store_obligation_series_last(struct store *s, const char *incident,
    const char *procedure, const char *name, struct store_obligation *o)
{
	struct store_query	*q = store_q(s, SQL_OBLIGATION_SERIES_LAST);
	int			 rc;

	memset(o, 0, sizeof(*o));
	store_bind_text(s, q, 1, incident);
	store_bind_text(s, q, 2, procedure);
	store_bind_text(s, q, 3, name);
	if ((rc = store_q_step(s, q)) == 1 &&
	    store_obligation_read(s, q, o) != 0)
		rc = -1;
	s->drv->reset(q);
	return (rc);
}

void
store_clock_clear(struct store_clock *c)
{
	free(c->kind);
	memset(c, 0, sizeof(*c));
}

int
store_clock_set(struct store *s, int64_t obligation,
    const struct store_clock *c)
{
	struct store_query	*q = store_q(s, SQL_CLOCK_SET);

	store_bind_int(s, q, 1, obligation);
	store_bind_int(s, q, 2, c->base);
	store_bind_text(s, q, 3, c->kind);
	store_bind_int(s, q, 4, c->length);
	store_bind_opt(s, q, 5, c->paused_at);
	store_bind_int(s, q, 6, c->paused_ms);
	return (store_q_run(s, q));
}

/* 1 and c filled, 0 when the obligation has no clock, -1. */
int
store_clock_get(struct store *s, int64_t obligation, struct store_clock *c)
{
	struct store_query	*q = store_q(s, SQL_CLOCK_GET);
	int			 rc;

	memset(c, 0, sizeof(*c));
	store_bind_int(s, q, 1, obligation);
	if ((rc = store_q_step(s, q)) == 1) {
		c->base = store_col_int(s, q, 0);
		c->kind = store_col_text(s, q, 1);
		c->length = store_col_int(s, q, 2);
		c->paused_at = store_col_int(s, q, 3);
		c->paused_ms = store_col_int(s, q, 4);
	}
	s->drv->reset(q);
	return (rc);
}

struct store_obligation_visit {
	store_obligation_cb	 cb;
	store_obligation_page_cb page;	/* else cb */
	void			*arg;
};

static int
store_obligation_visit(struct store *s, struct store_query *q, void *ctx)
{
	struct store_obligation_visit	*v = ctx;
	struct store_obligation		 o;
	int				 stop;

	if (store_obligation_read(s, q, &o) != 0)
		return (-1);
	if (v->page != NULL)
		o.paused_ms = store_col_int(s, q, OBLIGATION_NCOLS + 1);
	stop = (v->page != NULL ? v->page(&o, store_col_int(s, q,
	    OBLIGATION_NCOLS) != 0, v->arg) : v->cb(&o, v->arg)) != 0;
	store_obligation_clear(&o);
	return (stop);
}

/* The obligations a statement bound to one text (a key, a unit) reads. */
static int
store_obligations_by(struct store *s, enum store_sql which, const char *key,
    store_obligation_cb cb, void *arg)
{
	struct store_query		*q = store_q(s, which);
	struct store_obligation_visit	 v = { cb, NULL, arg };

	store_bind_text(s, q, 1, key);
	return (store_q_each(s, q, store_obligation_visit, &v));
}

int
store_obligations_of_incident(struct store *s, const char *key,
    store_obligation_cb cb, void *arg)
{
	return (store_obligations_by(s, SQL_OBLIGATIONS_OF_INCIDENT, key, cb,
	    arg));
}

int
store_obligations_open_of_incident(struct store *s, const char *key,
    store_obligation_cb cb, void *arg)
{
	return (store_obligations_by(s, SQL_OBLIGATIONS_OPEN_OF_INCIDENT, key,
	    cb, arg));
}

int
store_obligations_open_of_unit(struct store *s, const char *unit,
    store_obligation_cb cb, void *arg)
{
	return (store_obligations_by(s, SQL_OBLIGATIONS_OPEN_OF_UNIT, unit, cb,
	    arg));
}

int
store_unit_owes_recurring(struct store *s, const char *unit)
{
	struct store_query	*q = store_q(s, SQL_UNIT_OWES_RECURRING);
	int			 rc;

	store_bind_text(s, q, 1, unit);
	rc = store_q_step(s, q);
	s->drv->reset(q);
	return (rc);
}

int
store_obligations_count(struct store *s, int64_t counts[OBLIGATION__COUNT])
{
	return (store_q_counts(s, store_q(s, SQL_OBLIGATIONS_COUNT),
	    obligation_status_parse, counts));
}

int
store_obligations_count_open(struct store *s,
    int64_t counts[OBLIGATION__COUNT])
{
	return (store_q_counts(s, store_q(s, SQL_OBLIGATIONS_COUNT_OPEN),
	    obligation_status_parse, counts));
}

int
store_ledger_page(struct store *s, const struct store_ledger_filter *f,
    const struct store_ledger_cursor *c, int limit,
    store_obligation_page_cb cb, void *arg)
{
	struct store_query		*q;
	struct store_obligation_visit	 v = { NULL, cb, arg };
	int64_t				 due = c != NULL ? c->due_at : INT64_MIN;
	int64_t				 id = c != NULL ? c->id : INT64_MIN;
	int				 rc;

	if ((q = store_q_scoped(s, SQL_LEDGER_PAGE, 9, f->units)) == NULL)
		return (-1);
	store_bind_int(s, q, 1, due > f->from ? due : f->from);
	store_bind_int(s, q, 2, f->to);
	store_bind_text(s, q, 3, f->unit);
	store_bind_int(s, q, 4, due);
	store_bind_int(s, q, 5, id);
	store_bind_int(s, q, 6, limit);
	store_bind_int(s, q, 7, f->drill == STORE_DRILL_ONLY);
	store_bind_int(s, q, 8, f->drill != STORE_DRILL_EXCLUDE);
	rc = store_q_each(s, q, store_obligation_visit, &v);
	store_q_done(s, SQL_LEDGER_PAGE, q);
	return (rc);
}

struct store_ledger_count_visit {
	store_ledger_count_cb	 cb;
	void			*arg;
};

static int
store_ledger_count_visit(struct store *s, struct store_query *q, void *ctx)
{
	struct store_ledger_count_visit	*v = ctx;
	int				 status;

	if (store_col_state(s, q, 1, obligation_status_parse, &status) != 0)
		return (-1);
	return (v->cb(s->drv->column_text(q, 0),
	    (enum obligation_status)status, store_col_int(s, q, 2),
	    v->arg) != 0);
}

int
store_ledger_counts(struct store *s, int64_t from, int64_t to,
    const struct store_units *u, enum store_drill drill, int limit,
    store_ledger_count_cb cb, void *arg)
{
	struct store_query		*q;
	struct store_ledger_count_visit	 v = { cb, arg };
	int				 rc;

	if ((q = store_q_scoped(s, SQL_LEDGER_COUNTS, 6, u)) == NULL)
		return (-1);
	store_bind_int(s, q, 1, from);
	store_bind_int(s, q, 2, to);
	store_bind_int(s, q, 3, limit);
	store_bind_int(s, q, 4, drill == STORE_DRILL_ONLY);
	store_bind_int(s, q, 5, drill != STORE_DRILL_EXCLUDE);
	rc = store_q_each(s, q, store_ledger_count_visit, &v);
	store_q_done(s, SQL_LEDGER_COUNTS, q);
	return (rc);
}

int
store_ledger_slice_end(struct store *s, int64_t from, int64_t to, int n,
    int64_t *end)
{
	struct store_query	*q = store_q(s, SQL_LEDGER_SLICE_END);
	int			 rc;

	store_bind_int(s, q, 1, from);
	store_bind_int(s, q, 2, to);
	store_bind_int(s, q, 3, n);
	if ((rc = store_q_step(s, q)) == 1)
		*end = store_col_int(s, q, 0);
	s->drv->reset(q);
	if (rc < 0)
		return (-1);
	if (rc == 0)
		*end = to;		/* fewer than n left */
	else if (*end <= from)
		*end = from + 1;	/* n or more due at one time: all */
	return (0);
}

/* ---- recurring reports ----------------------------------------------- */

void
store_recurring_clear(struct store_recurring *r)
{
	free(r->name);
	memset(r, 0, sizeof(*r));
}

int
store_recurring_add(struct store *s, const char *name, int64_t next_at,
    int64_t *id)
{
	struct store_query	*q = store_q(s, SQL_RECURRING_ADD);

	store_bind_text(s, q, 1, name);
	store_bind_int(s, q, 2, next_at);
	return (store_q_int(s, q, id));
}

/* A recurring report by its id or its name, as the statement asks. */
static int
store_recurring_by(struct store *s, struct store_query *q,
    struct store_recurring *r)
{
	int	rc;

	if ((rc = store_q_step(s, q)) == 1) {
		r->id = store_col_int(s, q, 0);
		r->name = store_col_text(s, q, 1);
		r->next_at = store_col_int(s, q, 2);
	}
	s->drv->reset(q);
	return (rc);
}

int
store_recurring_get(struct store *s, int64_t id, struct store_recurring *r)
{
	struct store_query	*q = store_q(s, SQL_RECURRING_GET);

	memset(r, 0, sizeof(*r));
	store_bind_int(s, q, 1, id);
	return (store_recurring_by(s, q, r));
}

int
store_recurring_find(struct store *s, const char *name,
    struct store_recurring *r)
{
	struct store_query	*q = store_q(s, SQL_RECURRING_FIND);

	memset(r, 0, sizeof(*r));
	store_bind_text(s, q, 1, name);
	return (store_recurring_by(s, q, r));
}

int
store_recurring_set_next(struct store *s, int64_t id, int64_t next_at)
{
	struct store_query	*q = store_q(s, SQL_RECURRING_SET_NEXT);

	store_bind_int(s, q, 1, id);
	store_bind_int(s, q, 2, next_at);
	return (store_q_run(s, q));
}

int
store_recurring_previous(struct store *s, const char *name, int64_t before,
    store_obligation_cb cb, void *arg)
{
	struct store_query		*q = store_q(s, SQL_RECURRING_PREVIOUS);
	struct store_obligation_visit	 v = { cb, NULL, arg };

	store_bind_text(s, q, 1, name);
	store_bind_int(s, q, 2, before);
	return (store_q_each(s, q, store_obligation_visit, &v));
}
