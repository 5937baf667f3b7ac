/*
 * Incidents: one row per incident by its key, with its grade, its
 * acknowledgement and its resolution; the open counts the status shows and
 * the keyset pages of the incident list.
 */
#include <stdlib.h>
#include <string.h>

#include "store-int.h"
#include "store.h"
#include "tocsin.h"

void
store_incident_clear(struct store_incident *inc)
{
	free(inc->key);
	free(inc->unit);
	free(inc->category);
	free(inc->procedures);
	free(inc->title);
	free(inc->acked_by);
	memset(inc, 0, sizeof(*inc));
}

/* INCIDENT_COLS and the list position; on failure the row is cleared. */
int
store_incident_read(struct store *s, struct store_query *q,
    struct store_incident *inc)
{
	int	state;

	memset(inc, 0, sizeof(*inc));
	inc->key = store_col_text(s, q, 0);
	inc->unit = store_col_text(s, q, 1);
	inc->category = store_col_text(s, q, 2);
	inc->procedures = store_col_text(s, q, 3);
	inc->grade = (int)store_col_int(s, q, 4);
	inc->worst_grade = (int)store_col_int(s, q, 5);
	inc->title = store_col_text(s, q, 7);
	inc->opened_at = store_col_int(s, q, 8);
	inc->occurred_at = store_col_int(s, q, 9);
	inc->acked_at = store_col_int(s, q, 10);
	inc->acked_by = store_col_text(s, q, 11);
	inc->resolved_at = store_col_int(s, q, 12);
	inc->updated_at = store_col_int(s, q, 13);
	inc->pruned_at = store_col_int(s, q, 14);
	inc->drill = store_col_int(s, q, 15) != 0;
	inc->seq = store_col_int(s, q, 16);
	if (store_col_state(s, q, 6, incident_state_parse, &state) != 0) {
		store_incident_clear(inc);
		return (-1);
	}
	inc->state = (enum incident_state)state;
	return (0);
}

int
store_incident_add(struct store *s, const struct store_incident *inc)
{
	struct store_query	*q = store_q(s, SQL_INCIDENT_ADD);

	store_ahead_forget_incident(s, inc->key);
	store_bind_text(s, q, 1, inc->key);
	store_bind_text(s, q, 2, inc->unit);
	store_bind_text(s, q, 3, inc->category);
	store_bind_text(s, q, 4, inc->procedures != NULL ? inc->procedures :
	    "[]");
	store_bind_int(s, q, 5, inc->grade);
	store_bind_int(s, q, 6, inc->worst_grade);
	store_bind_text(s, q, 7, inc->title);
	store_bind_int(s, q, 8, inc->opened_at);
	store_bind_int(s, q, 9, inc->occurred_at);
	store_bind_int(s, q, 10, inc->updated_at);
	store_bind_int(s, q, 11, inc->drill);
	return (store_q_run(s, q));
}

int
store_incident_get(struct store *s, const char *key,
    struct store_incident *inc)
{
	struct store_query	*q = store_q(s, SQL_INCIDENT_GET);
	int			 rc;

	memset(inc, 0, sizeof(*inc));
	store_bind_text(s, q, 1, key);
	if ((rc = store_q_step(s, q)) == 1 &&
	    store_incident_read(s, q, inc) != 0)
		rc = -1;
	s->drv->reset(q);
	return (rc);
}

int
store_event_find_with_incident(struct store *s, const char *unit,
    const char *id, const char *key, struct store_event *ev,
    struct store_incident *inc)
{
	struct store_query	*q = store_q(s, SQL_EVENT_FIND_WITH_INCIDENT);
	int			 rc;

	memset(ev, 0, sizeof(*ev));
	memset(inc, 0, sizeof(*inc));
	if ((rc = store_ahead_find(s, unit, id, key, ev, inc)) >= 0)
		return (rc);
	store_bind_text(s, q, 1, unit);
	store_bind_text(s, q, 2, id);
	store_bind_text(s, q, 3, key);
	/* A duplicate is answered as the first was: its incident unread. */
	if ((rc = store_q_step(s, q)) == 1 &&
	    !s->drv->column_is_null(q, INCIDENT_NCOLS)) {
		ev->seq = store_col_int(s, q, INCIDENT_NCOLS);
		ev->incident = store_col_text(s, q, INCIDENT_NCOLS + 1);
	} else if (rc == 1) {
		rc = 0;			/* no such event */
		if (!s->drv->column_is_null(q, 0) &&
		    store_incident_read(s, q, inc) != 0)
			rc = -1;
	}
	s->drv->reset(q);
	return (rc);
}

int
store_incident_set_grade(struct store *s, const char *key, int grade,
    int worst, int64_t now)
{
	struct store_query	*q = store_q(s, SQL_INCIDENT_SET_GRADE);

	store_ahead_forget_incident(s, key);
	store_bind_text(s, q, 1, key);
	store_bind_int(s, q, 2, grade);
	store_bind_int(s, q, 3, worst);
	store_bind_int(s, q, 4, now);
	return (store_q_run(s, q));
}

int
store_incident_touch(struct store *s, const char *key, int64_t now)
{
	struct store_query	*q = store_q(s, SQL_INCIDENT_TOUCH);

	store_ahead_forget_incident(s, key);
	store_bind_text(s, q, 1, key);
	store_bind_int(s, q, 2, now);
	return (store_q_run(s, q));
}

int
store_incident_ack(struct store *s, const char *key, const char *by,
    int64_t now)
{
	struct store_query	*q = store_q(s, SQL_INCIDENT_ACK);

	store_ahead_forget_incident(s, key);
	store_bind_text(s, q, 1, key);
	store_bind_int(s, q, 2, now);
	store_bind_text(s, q, 3, by);
	return (store_q_run(s, q));
}

int
store_incident_resolve(struct store *s, const char *key, int64_t now)
{
	struct store_query	*q = store_q(s, SQL_INCIDENT_RESOLVE);

	store_ahead_forget_incident(s, key);
	store_bind_text(s, q, 1, key);
	store_bind_int(s, q, 2, now);
	store_bind_text(s, q, 3, incident_state_name(INCIDENT_CLOSED));
	return (store_q_run(s, q));
}

int
store_incidents_count_open(struct store *s, int64_t *n)
{
	return (store_q_int(s, store_q(s, SQL_INCIDENTS_COUNT_OPEN), n));
}

int
store_incidents_open_by_grade(struct store *s, int64_t counts[GRADE_MAX + 1])
{
	struct store_query	*q = store_q(s, SQL_INCIDENTS_OPEN_BY_GRADE);
	int64_t			 g;
	int			 rc;

	while ((rc = store_q_step(s, q)) == 1) {
		g = store_col_int(s, q, 0);
		counts[g >= GRADE_MIN && g <= GRADE_MAX ? g : GRADE_NONE] +=
		    store_col_int(s, q, 1);
	}
	s->drv->reset(q);
	return (rc < 0 ? -1 : 0);
}

struct store_incident_visit {
	store_incident_cb	 cb;
	store_incident_page_cb	 page;	/* else cb */
	void			*arg;
};

static int
store_incident_visit(struct store *s, struct store_query *q, void *ctx)
{
	struct store_incident_visit	*v = ctx;
	struct store_incident		 inc;
	int				 stop;

	if (store_incident_read(s, q, &inc) != 0)
		return (-1);
	stop = (v->page != NULL ? v->page(&inc, store_col_int(s, q,
	    INCIDENT_NCOLS) != 0, v->arg) : v->cb(&inc, v->arg)) != 0;
	store_incident_clear(&inc);
	return (stop);
}

int
store_incidents_page(struct store *s, const struct store_incident_filter *f,
    const struct store_incident_cursor *c, int limit,
    store_incident_page_cb cb, void *arg)
{
	struct store_query		*q;
	struct store_incident_visit	 v = { NULL, cb, arg };
	int				 rc;

	if ((q = store_q_scoped(s, SQL_INCIDENTS_PAGE, 6, f->units)) == NULL)
		return (-1);
	store_bind_text(s, q, 1, f->any_state ? "all" :
	    incident_state_name(f->state));
	store_bind_text(s, q, 2, f->unit);
	store_bind_text(s, q, 3, f->category);
	store_bind_int(s, q, 4, c != NULL ? c->before_seq : INT64_MAX);
	store_bind_int(s, q, 5, limit);
	rc = store_q_each(s, q, store_incident_visit, &v);
	store_q_done(s, SQL_INCIDENTS_PAGE, q);
	return (rc);
}

struct store_report_count_visit {
	store_report_count_cb	 cb;
	void			*arg;
};

static int
store_report_count_visit(struct store *s, struct store_query *q, void *ctx)
{
	struct store_report_count_visit	*v = ctx;

	return (v->cb(s->drv->column_text(q, 0), store_col_int(s, q, 1),
	    store_col_int(s, q, 2), v->arg) != 0);
}

int
store_report_counts(struct store *s, int64_t from, int64_t to, int64_t slow,
    const struct store_units *u, int limit, store_report_count_cb cb,
    void *arg)
{
	struct store_query		*q;
	struct store_report_count_visit	 v = { cb, arg };
	int				 rc;

	if ((q = store_q_scoped(s, SQL_REPORT_COUNTS, 5, u)) == NULL)
		return (-1);
	store_bind_int(s, q, 1, from);
	store_bind_int(s, q, 2, to);
	store_bind_int(s, q, 3, slow);
	store_bind_int(s, q, 4, limit);
	rc = store_q_each(s, q, store_report_count_visit, &v);
	store_q_done(s, SQL_REPORT_COUNTS, q);
	return (rc);
}

struct store_report_slice_visit {
	store_report_row_cb	 cb;
	void			*arg;
	int64_t			*after;
	int			 n;
};

static int
store_report_slice_visit(struct store *s, struct store_query *q, void *ctx)
{
	struct store_report_slice_visit	*v = ctx;

	*v->after = store_col_int(s, q, 0);
	v->n++;
	if (store_col_int(s, q, 4) == 0)
		return (0);		/* a unit not kept */
	return (v->cb(s->drv->column_text(q, 1), store_col_int(s, q, 2),
	    (int)store_col_int(s, q, 3), v->arg) != 0 ? -1 : 0);
}

int
store_report_slice(struct store *s, int64_t *after, int64_t slow,
    const struct store_units *u, int n, store_report_row_cb cb, void *arg)
{
	struct store_query		*q;
	struct store_report_slice_visit	 v = { cb, arg, after, 0 };
	int				 rc;

	if ((q = store_q_scoped(s, SQL_REPORT_SLICE, 4, u)) == NULL)
		return (-1);
	store_bind_int(s, q, 1, *after);
	store_bind_int(s, q, 2, slow);
	store_bind_int(s, q, 3, n);
	rc = store_q_each(s, q, store_report_slice_visit, &v);
	store_q_done(s, SQL_REPORT_SLICE, q);
	return (rc < 0 ? -1 : v.n);
}
