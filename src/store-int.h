/*
 * The store's private header, for its own files only (everyone else uses
 * store.h): the store's state, its statements by name, the columns a row
 * is read from by position, and the helpers with which every domain call
 * binds, steps and reads.  The statements' SQL texts stay in one table,
 * store_sql[] in store.c, so that a second dialect is one more column
 * there.  A domain call lives in the file of its concept (store-event.c,
 * store-incident.c, ...); the helpers in store.c.
 */
#ifndef STORE_INT_H
#define STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "store-driver.h"
#include "store.h"
#include "tocsin.h"

/*
 * The columns a row struct is read from, by position (store_X_read); a
 * keyset page adds whether the filters keep the row at X_NCOLS.
 */
#define INCIDENT_COLS "key, unit, category, procedures, grade, worst_grade, " \
	"state, title, opened_at, occurred_at, acked_at, acked_by, " \
	"resolved_at, updated_at, pruned_at, drill"
#define INCIDENT_NCOLS 17	/* with the list position after them */
#define OBLIGATION_COLS "id, incident, recurring, unit, procedure, name, " \
	"title, owner, on_breach, set_at, due_at, close_at, met_at, " \
	"met_event, status, instance, until_at, met_count, needed, met_mask, " \
	"drill"
#define OBLIGATION_NCOLS 21
#define ESCALATION_COLS "id, incident, obligation, policy, started_at, " \
	"step, repeats, state"
#define OUTBOX_COLS "id, key, created_at, incident, obligation, channel, " \
	"recipient, role, body, status, attempts, next_at, deadline_at, " \
	"delivered_at, last_error"
#define OUTBOX_NCOLS 15
/* A page's message's receipt, after its list flag: status, detail, at. */
#define OUTBOX_RECEIPT_COLS "(SELECT status FROM receipts WHERE outbox = " \
	"outbox.id), (SELECT detail FROM receipts WHERE outbox = " \
	"outbox.id), (SELECT received_at FROM receipts WHERE outbox = " \
	"outbox.id)"
/* A message's unit: its incident's, or its recurring report's. */
#define OUTBOX_UNIT "coalesce((SELECT unit FROM incidents WHERE " \
	"key = outbox.incident), (SELECT unit FROM obligations WHERE " \
	"id = outbox.obligation))"
#define PERSONAL_COLS "id, incident, obligation, person, step, role, " \
	"reason, policy, policy_step, repeat, due_at, state"
#define TIMER_COLS "id, at, kind, ref"
#define ACTION_COLS "seq, at, kind, incident, obligation, body"

/* The statements, one per operation; store.c holds their SQL. */
enum store_sql {
	SQL_PING,
	SQL_EVENT_ADD,
	SQL_EVENT_FIND_WITH_INCIDENT,
	SQL_EVENTS_FIND_MANY,
	SQL_EVENTS_OF_INCIDENT,
	SQL_EVENTS_ALL,
	SQL_EVENT_COUNT,
	SQL_INCIDENT_ADD,
	SQL_INCIDENT_GET,
	SQL_INCIDENT_SET_GRADE,
	SQL_INCIDENT_TOUCH,
	SQL_INCIDENT_ACK,
	SQL_INCIDENT_RESOLVE,
	SQL_INCIDENTS_COUNT_OPEN,
	SQL_INCIDENTS_OPEN_BY_GRADE,
	SQL_INCIDENTS_PAGE,
	SQL_REPORT_COUNTS,
	SQL_OBLIGATION_ADD,
	SQL_OBLIGATION_GET,
	SQL_OBLIGATION_SET_STATUS,
	SQL_OBLIGATION_SET_DUE,
	SQL_OBLIGATION_SET_PROGRESS,
	SQL_OBLIGATION_SERIES_LAST,
	SQL_CLOCK_SET,
	SQL_CLOCK_GET,
	SQL_OBLIGATIONS_OF_INCIDENT,
	SQL_OBLIGATIONS_OPEN_OF_INCIDENT,
	SQL_OBLIGATIONS_OPEN_OF_UNIT,
	SQL_UNIT_OWES_RECURRING,
	SQL_OBLIGATIONS_COUNT,
	SQL_OBLIGATIONS_COUNT_OPEN,
	SQL_LEDGER_PAGE,
	SQL_LEDGER_COUNTS,
	SQL_LEDGER_SLICE_END,
	SQL_REPORT_SLICE,
	SQL_RECURRING_ADD,
	SQL_RECURRING_GET,
	SQL_RECURRING_FIND,
	SQL_RECURRING_SET_NEXT,
	SQL_RECURRING_PREVIOUS,
	SQL_ESCALATION_ADD,
	SQL_ESCALATION_GET,
	SQL_ESCALATION_UPDATE,
	SQL_ESCALATION_STOP,
	SQL_ESCALATION_RESTART,
	SQL_ESCALATIONS_OF_INCIDENT,
	SQL_ESCALATIONS_ACTIVE_OF_INCIDENT,
	SQL_ESCALATIONS_ACTIVE_OF_OBLIGATION,
	SQL_PERSONAL_ADD,
	SQL_PERSONAL_GET,
	SQL_PERSONAL_SET_STATE,
	SQL_PERSONAL_PENDING,
	SQL_PERSONALS_PENDING_OF_INCIDENT,
	SQL_PERSONALS_PENDING_OF_OBLIGATION,
	SQL_TIMER_ADD,
	SQL_TIMER_GET,
	SQL_TIMER_DELETE,
	SQL_TIMERS_CANCEL,
	SQL_TIMER_EXISTS,
	SQL_TIMERS_ALL,
	SQL_TIMER_NEXT,
	SQL_TIMER_COUNT,
	SQL_ACTION_ADD,
	SQL_ACTIONS_OF_INCIDENT,
	SQL_MESSAGE_ADD,
	SQL_MESSAGE_GET,
	SQL_MESSAGES_DUE,
	SQL_MESSAGE_SENDING,
	SQL_MESSAGE_RESULT,
	SQL_MESSAGES_REQUEUE,
	SQL_MESSAGES_NEXT_AT,
	SQL_MESSAGES_OLDEST,
	SQL_MESSAGES_COUNT,
	SQL_MESSAGES_DEPTH,
	SQL_MESSAGES_PAGE,
	SQL_MESSAGES_PAGE_OF_INCIDENT,
	SQL_ATTEMPT_ADD,
	SQL_ACK_LINK_ADD,
	SQL_ACK_LINK_GET,
	SQL_RECEIPT_EXPECT,
	SQL_RECEIPT_RECORD,
	SQL_RECEIPT_FIND,
	SQL_RECEIPT_SEEN,
	SQL_REPLY_TARGETS,
	SQL_REPLY_ADD,
	SQL_PRUNE_CANDIDATES,
	SQL_PRUNE_BUSY,
	SQL_PRUNE_ATTEMPTS,
	SQL_PRUNE_OUTBOX,
	SQL_PRUNE_TIMERS_OF_OBLIGATIONS,
	SQL_PRUNE_TIMERS_OF_ESCALATIONS,
	SQL_PRUNE_ESCALATIONS,
	SQL_PRUNE_TIMERS_OF_PERSONAL,
	SQL_PRUNE_PERSONAL,
	SQL_PRUNE_ACK_LINKS,
	SQL_PRUNE_EVENTS,
	SQL_PRUNE_TIMELINE,
	SQL_PRUNE_OBLIGATIONS,
	SQL_PRUNE_INCIDENT,
	SQL_PRUNE_MARK,
	SQL_BOARD,
	SQL_BOARD_COUNTS,
	SQL_DUTIES,
	SQL_INBOX_ADD,
	SQL_INBOX_LIST,
	SQL_INBOX_DELETE,
	SQL_INBOX_COUNT,
	SQL__COUNT
};

/* A timer kind and what its ref names, as the engine said. */
struct store_timer_kind {
	int			 kind;
	enum store_timer_owner	 owner;
};

struct store {
	const struct store_driver	*drv;
	struct store_conn		*conn;
	struct store_query		*q[SQL__COUNT];
	struct store_timer_kind		*kinds;		/* the engine's */
	size_t				 nkinds;
	int				 bad;	/* a bind failed */
	int64_t				 commit_failing;	/* since; 0: the
							   last commit did */
	struct store_ahead_answer	*ahead;	/* read ahead, this txn */
	size_t				 nahead;
};

/* store-ahead.c: a batch's first questions, read in one go. */
void		 store_ahead_clear(struct store *);
void		 store_ahead_forget_event(struct store *, const char *,
		     const char *);
void		 store_ahead_forget_incident(struct store *, const char *);
int		 store_ahead_find(struct store *, const char *, const char *,
		     const char *, struct store_event *,
		     struct store_incident *);
/* store-incident.c */
int		 store_incident_read(struct store *, struct store_query *,
		     struct store_incident *);

/*
 * A standby's transaction: it does not renew the lease, and a standby may
 * begin it.  Only for a write that changes nothing the leader owns (the
 * spool inbox, store-inbox.c); every write of the leader's begins with
 * store_begin, which renews its term.
 */
int		 store_begin_unfenced(struct store *);

/* store.c: the typed helpers, one statement use from store_q to a reset. */
struct store_query *store_q(struct store *, enum store_sql);
struct store_query *store_q_scoped(struct store *, enum store_sql, int,
		     const struct store_units *);
void		 store_q_done(struct store *, enum store_sql,
		     struct store_query *);
void		 store_bind_int(struct store *, struct store_query *, int,
		     int64_t);
void		 store_bind_text(struct store *, struct store_query *, int,
		     const char *);
void		 store_bind_opt(struct store *, struct store_query *, int,
		     int64_t);
int		 store_q_step(struct store *, struct store_query *);
int		 store_q_run(struct store *, struct store_query *);
int		 store_q_int(struct store *, struct store_query *,
		     int64_t *);
int		 store_q_each(struct store *, struct store_query *,
		     int (*)(struct store *, struct store_query *, void *),
		     void *);
char		*store_col_text(struct store *, struct store_query *, int);
int64_t		 store_col_int(struct store *, struct store_query *,
		     int);
int		 store_col_state(struct store *, struct store_query *, int,
		     int (*)(const char *), int *);
int		 store_q_counts(struct store *, struct store_query *,
		     int (*)(const char *), int64_t *);

#endif
