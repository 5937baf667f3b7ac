/*
 * The outbox: each message a decision queued (committed with it), its
 * delivery status, attempts and next try, which outbox.c works through;
 * the counts and keyset pages the API shows; and the acknowledgement
 * links a message carries.
 */
#include <stdlib.h>
#include <string.h>

#include "store-int.h"
#include "store.h"
#include "tocsin.h"

/* ---- the outbox ------------------------------------------------------ */

void
store_message_clear(struct store_message *m)
{
	free(m->key);
	free(m->incident);
	free(m->channel);
	free(m->recipient);
	free(m->role);
	free(m->body);
	free(m->last_error);
	free(m->receipt_status);
	free(m->receipt_detail);
	memset(m, 0, sizeof(*m));
}

static int
store_message_read(struct store *s, struct store_query *q,
    struct store_message *m)
{
	int	status;

	memset(m, 0, sizeof(*m));
	m->id = store_col_int(s, q, 0);
	m->key = store_col_text(s, q, 1);
	m->created_at = store_col_int(s, q, 2);
	m->incident = store_col_text(s, q, 3);
	m->obligation = store_col_int(s, q, 4);
	m->channel = store_col_text(s, q, 5);
	m->recipient = store_col_text(s, q, 6);
	m->role = store_col_text(s, q, 7);
	m->body = store_col_text(s, q, 8);
	m->attempts = (int)store_col_int(s, q, 10);
	m->next_at = store_col_int(s, q, 11);
	m->deadline_at = store_col_int(s, q, 12);
	m->delivered_at = store_col_int(s, q, 13);
	m->last_error = store_col_text(s, q, 14);
	if (store_col_state(s, q, 9, outbox_status_parse, &status) != 0) {
		store_message_clear(m);
		return (-1);
	}
	m->status = (enum outbox_status)status;
	return (0);
}

int
store_message_add(struct store *s, const struct store_message *m,
    int64_t *id)
{
	struct store_query	*q = store_q(s, SQL_MESSAGE_ADD);

	store_bind_text(s, q, 1, m->key);
	store_bind_int(s, q, 2, m->created_at);
	store_bind_text(s, q, 3, m->incident);
	store_bind_opt(s, q, 4, m->obligation);
	store_bind_text(s, q, 5, m->channel);
	store_bind_text(s, q, 6, m->recipient);
	store_bind_text(s, q, 7, m->role);
	store_bind_text(s, q, 8, m->body);
	store_bind_int(s, q, 9, m->next_at);
	store_bind_int(s, q, 10, m->deadline_at);
	return (store_q_int(s, q, id));
}

int
store_message_get(struct store *s, int64_t id, struct store_message *m)
{
	struct store_query	*q = store_q(s, SQL_MESSAGE_GET);
	int			 rc;

	memset(m, 0, sizeof(*m));
	store_bind_int(s, q, 1, id);
	if ((rc = store_q_step(s, q)) == 1 && store_message_read(s, q, m) != 0)
		rc = -1;
	s->drv->reset(q);
	return (rc);
}

struct store_message_visit {
	store_message_cb	 cb;
	store_message_page_cb	 page;	/* else cb */
	void			*arg;
};

static int
store_message_visit(struct store *s, struct store_query *q, void *ctx)
{
	struct store_message_visit	*v = ctx;
	struct store_message		 m;
	int				 stop;

	if (store_message_read(s, q, &m) != 0)
		return (-1);
	if (v->page != NULL) {
		m.receipt_status = store_col_text(s, q, OUTBOX_NCOLS + 1);
		m.receipt_detail = store_col_text(s, q, OUTBOX_NCOLS + 2);
		m.receipt_at = store_col_int(s, q, OUTBOX_NCOLS + 3);
	}
	stop = (v->page != NULL ? v->page(&m, store_col_int(s, q,
	    OUTBOX_NCOLS) != 0, v->arg) : v->cb(&m, v->arg)) != 0;
	store_message_clear(&m);
	return (stop);
}

/*
 * Due rows are read a page at a time, each page after the last row of the
 * one before.  PostgreSQL's driver holds a query's every row before the
 * first callback, and the outbox stops after 64 of up to 1,088 it may
 * pass over: reading to the limit fetched about 1,000 rows, bodies and
 * all, on every scan of a backlog.
 */
#define STORE_DUE_PAGE	64

struct store_due_page {
	store_message_cb	 cb;
	void			*arg;
	int64_t			 after_at;	/* the last row seen */
	int64_t			 after_id;
	int			 seen;		/* rows of this page */
	int			 stopped;	/* the callback had enough */
};

static int
store_due_visit(const struct store_message *m, void *arg)
{
	struct store_due_page	*p = arg;

	p->after_at = m->next_at;
	p->after_id = m->id;
	p->seen++;
	p->stopped = p->cb(m, p->arg) != 0;
	return (p->stopped);
}

int
store_messages_due(struct store *s, int64_t now, int limit,
    store_message_cb cb, void *arg)
{
	struct store_due_page		 p = { cb, arg, INT64_MIN, 0, 0, 0 };
	struct store_message_visit	 v = { store_due_visit, NULL, &p };
	struct store_query		*q;
	int				 page;

	while (limit > 0) {
		page = limit < STORE_DUE_PAGE ? limit : STORE_DUE_PAGE;
		q = store_q(s, SQL_MESSAGES_DUE);
		store_bind_int(s, q, 1, now);
		store_bind_int(s, q, 2, page);
		store_bind_int(s, q, 3, p.after_at);
		store_bind_int(s, q, 4, p.after_id);
		p.seen = 0;
		if (store_q_each(s, q, store_message_visit, &v) != 0)
			return (-1);
		if (p.stopped || p.seen < page)
			break;
		limit -= page;
	}
	return (0);
}

int
store_message_sending(struct store *s, int64_t id)
{
	struct store_query	*q = store_q(s, SQL_MESSAGE_SENDING);

	store_bind_int(s, q, 1, id);
	store_bind_text(s, q, 2, outbox_status_name(OUTBOX_SENDING));
	return (store_q_run(s, q));
}

int
store_message_result(struct store *s, int64_t id, enum outbox_status status,
    int64_t next_at, int64_t delivered_at, const char *error)
{
	struct store_query	*q = store_q(s, SQL_MESSAGE_RESULT);

	store_bind_int(s, q, 1, id);
	store_bind_text(s, q, 2, outbox_status_name(status));
	store_bind_int(s, q, 3, next_at);
	store_bind_opt(s, q, 4, delivered_at);
	store_bind_text(s, q, 5, error);
	return (store_q_run(s, q));
}

int
store_messages_requeue(struct store *s, int64_t *n)
{
	if (store_q_run(s, store_q(s, SQL_MESSAGES_REQUEUE)) != 0)
		return (-1);
	if (n != NULL)
		*n = s->drv->changes(s->conn);
	return (0);
}

int
store_messages_next_at(struct store *s, int64_t *at)
{
	struct store_query	*q = store_q(s, SQL_MESSAGES_NEXT_AT);
	int			 rc;

	*at = 0;
	if ((rc = store_q_step(s, q)) == 1) {
		if (s->drv->column_is_null(q, 0))
			rc = 0;
		else
			*at = store_col_int(s, q, 0);
	}
	s->drv->reset(q);
	return (rc);
}

int
store_messages_oldest(struct store *s, int64_t *created_at, char **channel)
{
	struct store_query	*q = store_q(s, SQL_MESSAGES_OLDEST);
	int			 rc;

	*created_at = 0;
	*channel = NULL;
	if ((rc = store_q_step(s, q)) == 1) {
		*created_at = store_col_int(s, q, 0);
		*channel = store_col_text(s, q, 1);
	}
	s->drv->reset(q);
	return (rc);
}

int
store_messages_count(struct store *s, int64_t counts[OUTBOX__COUNT])
{
	return (store_q_counts(s, store_q(s, SQL_MESSAGES_COUNT),
	    outbox_status_parse, counts));
}

int
store_messages_depth(struct store *s, int64_t counts[OUTBOX__COUNT])
{
	return (store_q_counts(s, store_q(s, SQL_MESSAGES_DEPTH),
	    outbox_status_parse, counts));
}

int
store_messages_page(struct store *s, const struct store_message_filter *f,
    const struct store_message_cursor *c, int limit,
    store_message_page_cb cb, void *arg)
{
	struct store_query		*q;
	struct store_message_visit	 v = { NULL, cb, arg };
	enum store_sql			 which = f->incident != NULL ?
					     SQL_MESSAGES_PAGE_OF_INCIDENT :
					     SQL_MESSAGES_PAGE;
	int				 rc;

	if ((q = store_q_scoped(s, which, 5, f->units)) == NULL)
		return (-1);
	store_bind_text(s, q, 1, f->status);
	store_bind_int(s, q, 2, c != NULL ? c->before_id : INT64_MAX);
	store_bind_int(s, q, 3, limit);
	if (f->incident != NULL)
		store_bind_text(s, q, 4, f->incident);
	rc = store_q_each(s, q, store_message_visit, &v);
	store_q_done(s, which, q);
	return (rc);
}

int
store_attempt_add(struct store *s, int64_t message, int64_t at,
    const char *result, const char *detail)
{
	struct store_query	*q = store_q(s, SQL_ATTEMPT_ADD);

	store_bind_int(s, q, 1, message);
	store_bind_int(s, q, 2, at);
	store_bind_text(s, q, 3, result);
	store_bind_text(s, q, 4, detail);
	return (store_q_run(s, q));
}

/* ---- receipts --------------------------------------------------------- */

int
store_receipt_expect(struct store *s, const char *channel, const char *ref,
    int64_t message)
{
	struct store_query	*q = store_q(s, SQL_RECEIPT_EXPECT);

	store_bind_text(s, q, 1, channel);
	store_bind_text(s, q, 2, ref);
	store_bind_int(s, q, 3, message);
	return (store_q_run(s, q));
}

int
store_receipt_record(struct store *s, const char *channel, const char *ref,
    const char *status, const char *detail, int64_t at, int64_t *message)
{
	struct store_query	*q = store_q(s, SQL_RECEIPT_FIND);
	int			 rc;

	*message = 0;
	store_bind_text(s, q, 1, channel);
	store_bind_text(s, q, 2, ref);
	if ((rc = store_q_step(s, q)) == 1)
		*message = store_col_int(s, q, 0);
	s->drv->reset(q);
	if (rc != 1)
		return (rc);
	q = store_q(s, SQL_RECEIPT_RECORD);
	store_bind_text(s, q, 1, channel);
	store_bind_text(s, q, 2, ref);
	store_bind_text(s, q, 3, status);
	store_bind_text(s, q, 4, detail);
	store_bind_int(s, q, 5, at);
	return (store_q_run(s, q) == 0 ? 1 : -1);
}

int
store_receipt_seen(struct store *s, const char *channel, const char *ref,
    const char *status)
{
	struct store_query	*q = store_q(s, SQL_RECEIPT_SEEN);
	int64_t			 n = 0;

	store_bind_text(s, q, 1, channel);
	store_bind_text(s, q, 2, ref);
	store_bind_text(s, q, 3, status);
	if (store_q_int(s, q, &n) < 0)
		return (-1);
	return (n > 0);
}

/* ---- replies ---------------------------------------------------------- */

int
store_reply_add(struct store *s, const struct store_reply *r)
{
	struct store_query	*q = store_q(s, SQL_REPLY_ADD);

	store_bind_text(s, q, 1, r->channel);
	store_bind_text(s, q, 2, r->phone);
	store_bind_text(s, q, 3, r->person);
	store_bind_text(s, q, 4, r->text);
	store_bind_int(s, q, 5, r->received_at);
	store_bind_text(s, q, 6, r->incident);
	store_bind_text(s, q, 7, r->outcome);
	return (store_q_run(s, q));
}

struct store_reply_visit {
	store_reply_target_cb	 cb;
	void			*arg;
};

static int
store_reply_target_visit(struct store *s, struct store_query *q, void *ctx)
{
	struct store_reply_visit	*v = ctx;
	char				*incident, *channel;
	int				 stop;

	incident = store_col_text(s, q, 0);
	channel = store_col_text(s, q, 1);
	stop = v->cb(incident, channel, v->arg) != 0;
	free(incident);
	free(channel);
	return (stop);
}

int
store_reply_targets(struct store *s, const char *person, int64_t now,
    store_reply_target_cb cb, void *arg)
{
	struct store_query		*q = store_q(s, SQL_REPLY_TARGETS);
	struct store_reply_visit	 v = { cb, arg };

	store_bind_text(s, q, 1, person);
	store_bind_int(s, q, 2, now);
	return (store_q_each(s, q, store_reply_target_visit, &v));
}

/* ---- acknowledgement links ------------------------------------------- */

void
store_ack_link_clear(struct store_ack_link *l)
{
	free(l->token);
	free(l->incident);
	free(l->recipient);
	memset(l, 0, sizeof(*l));
}

int
store_ack_link_add(struct store *s, const struct store_ack_link *l)
{
	struct store_query	*q = store_q(s, SQL_ACK_LINK_ADD);

	store_bind_text(s, q, 1, l->token);
	store_bind_text(s, q, 2, l->incident);
	store_bind_text(s, q, 3, l->recipient);
	store_bind_int(s, q, 4, l->created_at);
	return (store_q_run(s, q));
}

int
store_ack_link_get(struct store *s, const char *token,
    struct store_ack_link *l)
{
	struct store_query	*q = store_q(s, SQL_ACK_LINK_GET);
	int			 rc;

	memset(l, 0, sizeof(*l));
	store_bind_text(s, q, 1, token);
	if ((rc = store_q_step(s, q)) == 1) {
		l->token = store_col_text(s, q, 0);
		l->incident = store_col_text(s, q, 1);
		l->recipient = store_col_text(s, q, 2);
		l->created_at = store_col_int(s, q, 3);
	}
	s->drv->reset(q);
	return (rc);
}
