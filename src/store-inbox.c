/*
 * The spool inbox (docs/cluster.md): how a standby's spool reaches the
 * leader without a connection of their own.  A standby checks a file as
 * the leader would and puts its body here, in a transaction of its own
 * that does not touch the lease -- the one write a standby makes, and it
 * changes nothing the leader owns.  The leader reads the rows in id order
 * and deletes each in the transaction that stores its events, fenced by
 * its term like every write of the leader's (spool-inbox.c).
 */
#include <stdlib.h>
#include <string.h>

#include "store-int.h"
#include "store.h"
#include "tocsin.h"

void
store_inbox_clear(struct store_inbox *in)
{
	free(in->node);
	free(in->name);
	free(in->id_prefix);
	free(in->body);
	memset(in, 0, sizeof(*in));
}

/* A standby's file, committed alone: 0, or -1 (nothing kept). */
int
store_inbox_put(struct store *s, const struct store_inbox *in)
{
	struct store_query	*q;

	if (store_begin_unfenced(s) != 0)
		return (-1);
	q = store_q(s, SQL_INBOX_ADD);
	store_bind_text(s, q, 1, in->node);
	store_bind_text(s, q, 2, in->name);
	store_bind_text(s, q, 3, in->id_prefix);
	store_bind_text(s, q, 4, in->body);
	store_bind_int(s, q, 5, in->received_at);
	if (store_q_run(s, q) != 0) {
		store_rollback(s);
		return (-1);
	}
	return (store_commit(s));
}

struct store_inbox_visit {
	store_inbox_cb	 cb;
	void		*arg;
};

static int
store_inbox_visit(struct store *s, struct store_query *q, void *ctx)
{
	struct store_inbox_visit	*v = ctx;
	struct store_inbox		 in;
	int				 stop;

	memset(&in, 0, sizeof(in));
	in.id = store_col_int(s, q, 0);
	in.node = store_col_text(s, q, 1);
	in.name = store_col_text(s, q, 2);
	in.id_prefix = store_col_text(s, q, 3);
	in.body = store_col_text(s, q, 4);
	in.received_at = store_col_int(s, q, 5);
	stop = v->cb(&in, v->arg) != 0;
	store_inbox_clear(&in);
	return (stop);
}

/* Up to limit rows after id after, oldest first. */
int
store_inbox_list(struct store *s, int64_t after, size_t limit,
    store_inbox_cb cb, void *arg)
{
	struct store_query		*q = store_q(s, SQL_INBOX_LIST);
	struct store_inbox_visit	 v = { cb, arg };

	store_bind_int(s, q, 1, after);
	store_bind_int(s, q, 2, (int64_t)limit);
	return (store_q_each(s, q, store_inbox_visit, &v));
}

/* In the leader's transaction that stored (or refused) the row's events. */
int
store_inbox_delete(struct store *s, int64_t id)
{
	struct store_query	*q = store_q(s, SQL_INBOX_DELETE);

	store_bind_int(s, q, 1, id);
	return (store_q_run(s, q));
}

/* Rows waiting for the leader: GET /v1/status shows it. */
int
store_inbox_count(struct store *s, int64_t *n)
{
	return (store_q_int(s, store_q(s, SQL_INBOX_COUNT), n));
}
