/*
 * Retention: the closed incidents old enough to prune, by a cursor, and
 * the removal of one incident's rows table by table, counted; the
 * incident's own row stays, marked pruned, unless its ledger goes too.
 */
#include <string.h>

#include "log.h"
#include "store-int.h"
#include "store.h"
#include "tocsin.h"

/* Each table's statement, in store_prune_table order; timers are apart. */
static const struct {
	const char	*name;
	enum store_sql	 sql;
} store_prune_tables[STORE_PRUNE__COUNT] = {
	[STORE_PRUNE_ATTEMPTS] = { "attempts", SQL_PRUNE_ATTEMPTS },
	[STORE_PRUNE_OUTBOX] = { "outbox", SQL_PRUNE_OUTBOX },
	[STORE_PRUNE_TIMERS] = { "timers", SQL__COUNT },
	[STORE_PRUNE_ESCALATIONS] = { "escalations", SQL_PRUNE_ESCALATIONS },
	[STORE_PRUNE_PERSONAL] = { "personal_sends", SQL_PRUNE_PERSONAL },
	[STORE_PRUNE_ACK_LINKS] = { "ack_links", SQL_PRUNE_ACK_LINKS },
	[STORE_PRUNE_EVENTS] = { "events", SQL_PRUNE_EVENTS },
	[STORE_PRUNE_TIMELINE] = { "timeline", SQL_PRUNE_TIMELINE },
	[STORE_PRUNE_OBLIGATIONS] = { "obligations", SQL_PRUNE_OBLIGATIONS },
};

const char *
store_prune_table_name(enum store_prune_table t)
{
	return ((int)t >= 0 && t < STORE_PRUNE__COUNT ?
	    store_prune_tables[t].name : "?");
}

void
store_set_pruning(struct store *s, int on)
{
	s->drv->set_pruning(s->conn, on);
}

int
store_prune_candidates(struct store *s, int64_t before,
    const struct store_prune_cursor *c, int with_pruned, int limit,
    store_incident_cb cb, void *arg)
{
	struct store_query	*q = store_q(s, SQL_PRUNE_CANDIDATES);
	struct store_incident	 inc;
	int			 rc, stop = 0;

	store_bind_int(s, q, 1, before);
	store_bind_int(s, q, 2, c != NULL ? c->resolved_at : INT64_MIN);
	store_bind_text(s, q, 3, c != NULL && c->key != NULL ? c->key : "");
	store_bind_int(s, q, 4, with_pruned != 0);
	store_bind_int(s, q, 5, limit);
	while (!stop && (rc = store_q_step(s, q)) == 1) {
		memset(&inc, 0, sizeof(inc));
		inc.key = store_col_text(s, q, 0);
		inc.resolved_at = store_col_int(s, q, 1);
		inc.state = INCIDENT_CLOSED;
		stop = cb(&inc, arg) != 0;
		store_incident_clear(&inc);
	}
	s->drv->reset(q);
	return (rc < 0 ? -1 : 0);
}

int
store_prune_busy(struct store *s, const char *key)
{
	struct store_query	*q = store_q(s, SQL_PRUNE_BUSY);
	int64_t			 busy = -1;

	store_bind_text(s, q, 1, key);
	if (store_q_int(s, q, &busy) != 0)
		return (-1);
	return (busy != 0);
}

/* Run a prune statement for key (and a kind), counting what it removed. */
static int
store_prune_run(struct store *s, enum store_sql which, const char *key,
    int kind, uint64_t *rows)
{
	struct store_query	*q = store_q(s, which);

	store_bind_text(s, q, 1, key);
	if (which == SQL_PRUNE_TIMERS_OF_OBLIGATIONS ||
	    which == SQL_PRUNE_TIMERS_OF_ESCALATIONS ||
	    which == SQL_PRUNE_TIMERS_OF_PERSONAL)
		store_bind_int(s, q, 2, kind);
	if (store_q_run(s, q) != 0)
		return (-1);
	*rows += (uint64_t)s->drv->changes(s->conn);
	return (0);
}

/*
 * An incident's timers, by the kinds the engine said refer to its
 * obligations and escalations.  Without the table the timers would stay
 * behind, pointing at rows that are gone: refused.
 */
static int
store_prune_timers(struct store *s, const char *key, uint64_t *rows)
{
	enum store_sql	which;
	size_t		i;

	if (s->nkinds == 0) {
		log_warnx("store: no timer kinds: the engine must hand them "
		    "to the store before a prune");
		return (-1);
	}
	for (i = 0; i < s->nkinds; i++) {
		switch (s->kinds[i].owner) {
		case STORE_TIMER_OF_OBLIGATION:
			which = SQL_PRUNE_TIMERS_OF_OBLIGATIONS;
			break;
		case STORE_TIMER_OF_ESCALATION:
			which = SQL_PRUNE_TIMERS_OF_ESCALATIONS;
			break;
		case STORE_TIMER_OF_PERSONAL:
			which = SQL_PRUNE_TIMERS_OF_PERSONAL;
			break;
		default:
			continue;	/* a recurring report is never pruned */
		}
		if (store_prune_run(s, which, key, s->kinds[i].kind, rows) != 0)
			return (-1);
	}
	return (0);
}

int
store_prune_incident(struct store *s, const char *key, int drop_ledger,
    int64_t now, uint64_t rows[STORE_PRUNE__COUNT])
{
	uint64_t	 none[STORE_PRUNE__COUNT] = { 0 };
	struct store_query *q;
	size_t		 i;
	int		 rc;

	/* Events go by incident, not by their (unit, id): forget all. */
	store_ahead_clear(s);
	if (rows == NULL)
		rows = none;
	for (i = 0; i < STORE_PRUNE__COUNT; i++) {
		if (i == STORE_PRUNE_OBLIGATIONS && !drop_ledger)
			continue;
		rc = i == STORE_PRUNE_TIMERS ? store_prune_timers(s, key,
		    &rows[i]) : store_prune_run(s, store_prune_tables[i].sql,
		    key, 0, &rows[i]);
		if (rc != 0)
			return (-1);
	}
	if (drop_ledger) {
		q = store_q(s, SQL_PRUNE_INCIDENT);
		store_bind_text(s, q, 1, key);
	} else {
		q = store_q(s, SQL_PRUNE_MARK);
		store_bind_text(s, q, 1, key);
		store_bind_int(s, q, 2, now);
	}
	return (store_q_run(s, q));
}
