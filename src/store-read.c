/*
 * Read models: rows made for one screen rather than one concept -- the
 * duty-room board and its counts, and the recurring duties of a day.
 */
#include <stdlib.h>
#include <string.h>

#include "store-int.h"
#include "store.h"
#include "tocsin.h"

void
store_board_row_clear(struct store_board_row *r)
{
	free(r->key);
	free(r->unit);
	free(r->category);
	free(r->title);
	free(r->acked_by);
	free(r->obligation);
	free(r->obligation_title);
	free(r->policy);
	memset(r, 0, sizeof(*r));
}

static int
store_board_read(struct store *s, struct store_query *q,
    struct store_board_row *r)
{
	int	v;

	memset(r, 0, sizeof(*r));
	r->key = store_col_text(s, q, 0);
	r->unit = store_col_text(s, q, 1);
	r->category = store_col_text(s, q, 2);
	r->title = store_col_text(s, q, 3);
	r->grade = (int)store_col_int(s, q, 4);
	r->opened_at = store_col_int(s, q, 5);
	r->occurred_at = store_col_int(s, q, 6);
	r->acked_at = store_col_int(s, q, 7);
	r->acked_by = store_col_text(s, q, 8);
	r->obligation = store_col_text(s, q, 9);
	r->obligation_title = store_col_text(s, q, 10);
	r->obligation_due_at = store_col_int(s, q, 11);
	r->obligations_open = store_col_int(s, q, 13);
	r->obligations_breached = store_col_int(s, q, 14);
	r->policy = store_col_text(s, q, 15);
	r->step = (int)store_col_int(s, q, 16);
	r->repeats = (int)store_col_int(s, q, 17);
	r->unmatched = store_col_int(s, q, 19) != 0;
	r->drill = store_col_int(s, q, 20) != 0;
	if (r->obligation != NULL) {
		if (store_col_state(s, q, 12, obligation_status_parse, &v) != 0)
			goto bad;
		r->obligation_status = (enum obligation_status)v;
	}
	if (r->policy != NULL) {
		if (store_col_state(s, q, 18, escalation_state_parse, &v) != 0)
			goto bad;
		r->escalation_state = (enum escalation_state)v;
	}
	return (0);
bad:
	store_board_row_clear(r);
	return (-1);
}

struct store_board_visit {
	store_board_cb	 cb;
	void		*arg;
};

static int
store_board_visit(struct store *s, struct store_query *q, void *ctx)
{
	struct store_board_visit	*v = ctx;
	struct store_board_row		 r;
	int				 stop;

	if (store_board_read(s, q, &r) != 0)
		return (-1);
	stop = v->cb(&r, v->arg) != 0;
	store_board_row_clear(&r);
	return (stop);
}

int
store_board(struct store *s, const struct store_units *u, int limit,
    store_board_cb cb, void *arg)
{
	struct store_query		*q;
	struct store_board_visit	 v = { cb, arg };
	int				 rc;

	if ((q = store_q_scoped(s, SQL_BOARD, 2, u)) == NULL)
		return (-1);
	store_bind_int(s, q, 1, limit);
	rc = store_q_each(s, q, store_board_visit, &v);
	store_q_done(s, SQL_BOARD, q);
	return (rc);
}

int
store_board_counts(struct store *s, const struct store_units *u,
    struct store_board_counts *c)
{
	struct store_query	*q;
	int			 rc;

	memset(c, 0, sizeof(*c));
	if ((q = store_q_scoped(s, SQL_BOARD_COUNTS, 1, u)) == NULL)
		return (-1);
	if ((rc = store_q_step(s, q)) == 1) {
		c->open = store_col_int(s, q, 0);
		c->unacknowledged = store_col_int(s, q, 1);
		c->overdue = store_col_int(s, q, 2);
		c->overdue_incidents = store_col_int(s, q, 3);
		c->unmatched = store_col_int(s, q, 4);
		c->drills = store_col_int(s, q, 5);
		c->drills_unacknowledged = store_col_int(s, q, 6);
		c->drills_overdue = store_col_int(s, q, 7);
		c->drills_overdue_incidents = store_col_int(s, q, 8);
		c->drills_unmatched = store_col_int(s, q, 9);
	}
	s->drv->reset(q);
	store_q_done(s, SQL_BOARD_COUNTS, q);
	return (rc == 1 ? 0 : -1);
}

void
store_duty_clear(struct store_duty *d)
{
	free(d->recurring);
	free(d->title);
	free(d->unit);
	memset(d, 0, sizeof(*d));
}

struct store_duty_visit {
	store_duty_cb	 cb;
	void		*arg;
};

static int
store_duty_visit(struct store *s, struct store_query *q, void *ctx)
{
	struct store_duty_visit	*v = ctx;
	struct store_duty	 d;
	int			 status, stop;

	memset(&d, 0, sizeof(d));
	if (store_col_state(s, q, 5, obligation_status_parse, &status) != 0)
		return (-1);
	d.recurring = store_col_text(s, q, 0);
	d.title = store_col_text(s, q, 1);
	d.unit = store_col_text(s, q, 2);
	d.due_at = store_col_int(s, q, 3);
	d.close_at = store_col_int(s, q, 4);
	d.status = (enum obligation_status)status;
	d.met_at = store_col_int(s, q, 6);
	d.zero = s->drv->column_is_null(q, 7) ? -1 :
	    store_col_int(s, q, 7) != 0;
	stop = v->cb(&d, v->arg) != 0;
	store_duty_clear(&d);
	return (stop);
}

int
store_duties(struct store *s, const struct store_units *u, int64_t from,
    int64_t to, int limit, store_duty_cb cb, void *arg)
{
	struct store_query	*q;
	struct store_duty_visit	 v = { cb, arg };
	int			 rc;

	if ((q = store_q_scoped(s, SQL_DUTIES, 4, u)) == NULL)
		return (-1);
	store_bind_int(s, q, 1, from);
	store_bind_int(s, q, 2, to);
	store_bind_int(s, q, 3, limit);
	rc = store_q_each(s, q, store_duty_visit, &v);
	store_q_done(s, SQL_DUTIES, q);
	return (rc);
}
