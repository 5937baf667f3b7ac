/*
 * Events: each accepted event stored once, under its unit and its id (a
 * repeat is found, not stored again), and read back by incident.
 */
#include <stdlib.h>
#include <string.h>

#include "store-int.h"
#include "store.h"
#include "tocsin.h"

void
store_event_clear(struct store_event *ev)
{
	free(ev->id);
	free(ev->type);
	free(ev->incident);
	free(ev->unit);
	free(ev->body);
	memset(ev, 0, sizeof(*ev));
}

int
store_event_add(struct store *s, const struct store_event *ev, int64_t *seq)
{
	struct store_query	*q = store_q(s, SQL_EVENT_ADD);

	store_ahead_forget_event(s, ev->unit, ev->id);
	store_bind_text(s, q, 1, ev->id);
	store_bind_text(s, q, 2, ev->type);
	store_bind_text(s, q, 3, ev->incident);
	store_bind_text(s, q, 4, ev->unit);
	store_bind_int(s, q, 5, ev->received_at);
	store_bind_int(s, q, 6, ev->occurred_at);
	store_bind_text(s, q, 7, ev->body);
	return (store_q_int(s, q, seq));
}

struct store_event_visit {
	store_event_cb	 cb;
	void		*arg;
};

static int
store_event_visit(struct store *s, struct store_query *q, void *ctx)
{
	struct store_event_visit	*v = ctx;
	struct store_event		 ev;
	int				 stop;

	ev.seq = store_col_int(s, q, 0);
	ev.id = store_col_text(s, q, 1);
	ev.type = store_col_text(s, q, 2);
	ev.incident = store_col_text(s, q, 3);
	ev.unit = store_col_text(s, q, 4);
	ev.received_at = store_col_int(s, q, 5);
	ev.occurred_at = store_col_int(s, q, 6);
	ev.body = store_col_text(s, q, 7);
	stop = v->cb(&ev, v->arg) != 0;
	store_event_clear(&ev);
	return (stop);
}

int
store_events_of_incident(struct store *s, const char *key, store_event_cb cb,
    void *arg)
{
	struct store_query		*q = store_q(s, SQL_EVENTS_OF_INCIDENT);
	struct store_event_visit	 v = { cb, arg };

	store_bind_text(s, q, 1, key);
	return (store_q_each(s, q, store_event_visit, &v));
}

int
store_events_each(struct store *s, store_event_cb cb, void *arg)
{
	struct store_event_visit	 v = { cb, arg };

	return (store_q_each(s, store_q(s, SQL_EVENTS_ALL), store_event_visit,
	    &v));
}

int
store_event_count(struct store *s, int64_t *n)
{
	return (store_q_int(s, store_q(s, SQL_EVENT_COUNT), n));
}
