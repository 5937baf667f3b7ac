/*
 * The store: the one SQLite connection, its schema, its statements and its
 * transactions.  Every SQL text lives in store.c; callers pick a statement
 * by name, bind with a format string and read columns themselves.
 *
 * Bind formats: 'i' int64_t, 'd' int, 't' text (NULL binds NULL), 'n' NULL.
 */
#ifndef STORE_H
#define STORE_H

#include <sqlite3.h>
#include <stdint.h>

enum store_stmt {
	STMT_EVENT_FIND_ID,
	STMT_EVENT_INSERT,
	STMT_EVENTS_BY_INCIDENT,
	STMT_EVENT_COUNT,
	STMT_INCIDENT_GET,
	STMT_INCIDENT_INSERT,
	STMT_INCIDENT_SET_GRADE,
	STMT_INCIDENT_TOUCH,
	STMT_INCIDENT_ACK,
	STMT_INCIDENT_RESOLVE,
	STMT_INCIDENT_LIST,
	STMT_INCIDENT_COUNT_OPEN,
	STMT_STORE_PING,
	STMT_INCIDENTS_OPEN_BY_GRADE,
	STMT_OBLIGATION_INSERT,
	STMT_OBLIGATION_GET,
	STMT_OBLIGATION_SET_STATUS,
	STMT_OBLIGATION_SET_DUE,
	STMT_OBLIGATIONS_OPEN_BY_INCIDENT,
	STMT_OBLIGATIONS_BY_INCIDENT,
	STMT_OBLIGATIONS_OPEN_BY_UNIT,
	STMT_UNIT_OWES_RECURRING,
	STMT_OBLIGATION_COUNT_BY_STATUS,
	STMT_COMPLIANCE,
	STMT_OBLIGATIONS_BY_STATUS,
	STMT_RECURRING_FIND,
	STMT_RECURRING_GET,
	STMT_RECURRING_INSERT,
	STMT_RECURRING_SET_NEXT,
	STMT_RECURRING_PREVIOUS_UNITS,
	STMT_ESCALATION_INSERT,
	STMT_ESCALATION_GET,
	STMT_ESCALATION_UPDATE,
	STMT_ESCALATION_STOP,
	STMT_ESCALATIONS_ACTIVE_BY_INCIDENT,
	STMT_ESCALATIONS_ACTIVE_BY_OBLIGATION,
	STMT_ESCALATIONS_BY_INCIDENT,
	STMT_TIMER_INSERT,
	STMT_TIMER_GET,
	STMT_TIMER_DELETE,
	STMT_TIMER_DELETE_REF,
	STMT_TIMER_FIND_REF,
	STMT_TIMERS_ALL,
	STMT_TIMER_NEXT,
	STMT_TIMER_COUNT,
	STMT_TIMELINE_INSERT,
	STMT_TIMELINE_BY_INCIDENT,
	STMT_OUTBOX_INSERT,
	STMT_OUTBOX_DUE,
	STMT_OUTBOX_SET_SENDING,
	STMT_OUTBOX_SET_RESULT,
	STMT_OUTBOX_RESET_SENDING,
	STMT_OUTBOX_NEXT_AT,
	STMT_OUTBOX_LIST,
	STMT_OUTBOX_LIST_BY_INCIDENT,
	STMT_OUTBOX_GET,
	STMT_OUTBOX_COUNT_BY_STATUS,
	STMT_OUTBOX_DEPTH,
	STMT_ATTEMPT_INSERT,
	STMT_ACK_LINK_INSERT,
	STMT_ACK_LINK_GET,
	STMT_DB_PAGES,
	STMT_PRUNE_CANDIDATES,
	STMT_PRUNE_BUSY,
	STMT_PRUNE_ATTEMPTS,
	STMT_PRUNE_OUTBOX,
	STMT_PRUNE_TIMERS,
	STMT_PRUNE_ESCALATIONS,
	STMT_PRUNE_ACK_LINKS,
	STMT_PRUNE_EVENTS,
	STMT_PRUNE_TIMELINE,
	STMT_PRUNE_OBLIGATIONS,
	STMT_PRUNE_INCIDENT,
	STMT_PRUNE_MARK,
	STMT_BOARD,
	STMT_BOARD_COUNTS,
	STMT_BOARD_DUTIES,
	STMT__COUNT
};

/* Column positions of the rows the *_GET and list statements return. */
enum incident_col {
	INC_KEY, INC_UNIT, INC_CATEGORY, INC_PROCEDURES, INC_GRADE,
	INC_WORST_GRADE, INC_STATE, INC_TITLE, INC_OPENED_AT, INC_OCCURRED_AT,
	INC_ACKED_AT, INC_ACKED_BY, INC_RESOLVED_AT, INC_UPDATED_AT,
	INC_PRUNED_AT,
};
enum obligation_col {
	OBL_ID, OBL_INCIDENT, OBL_RECURRING, OBL_UNIT, OBL_PROCEDURE, OBL_NAME,
	OBL_TITLE, OBL_OWNER, OBL_ON_BREACH, OBL_SET_AT, OBL_DUE_AT,
	OBL_CLOSE_AT, OBL_MET_AT, OBL_MET_EVENT, OBL_STATUS,
};
enum escalation_col {
	ESC_ID, ESC_INCIDENT, ESC_OBLIGATION, ESC_POLICY, ESC_STARTED_AT,
	ESC_STEP, ESC_REPEATS, ESC_STATE,
};
/* STMT_BOARD: an open incident, its nearest deadline, its escalation. */
enum board_col {
	BRD_KEY, BRD_UNIT, BRD_CATEGORY, BRD_TITLE, BRD_GRADE, BRD_OPENED_AT,
	BRD_OCCURRED_AT, BRD_ACKED_AT, BRD_ACKED_BY, BRD_OBL_NAME,
	BRD_OBL_TITLE, BRD_OBL_DUE_AT, BRD_OBL_STATUS, BRD_OBL_OPEN,
	BRD_OBL_BREACHED, BRD_ESC_POLICY, BRD_ESC_STEP, BRD_ESC_REPEATS,
	BRD_ESC_STATE, BRD_UNMATCHED,
};
/* STMT_BOARD_DUTIES: a recurring report owed by one unit, today or open. */
enum board_duty_col {
	DUTY_RECURRING, DUTY_TITLE, DUTY_UNIT, DUTY_DUE_AT, DUTY_CLOSE_AT,
	DUTY_STATUS, DUTY_MET_AT, DUTY_ZERO,
};
enum outbox_col {
	OUT_ID, OUT_KEY, OUT_CREATED_AT, OUT_INCIDENT, OUT_OBLIGATION,
	OUT_CHANNEL, OUT_RECIPIENT, OUT_ROLE, OUT_BODY, OUT_STATUS,
	OUT_ATTEMPTS, OUT_NEXT_AT, OUT_DEADLINE_AT, OUT_DELIVERED_AT,
	OUT_LAST_ERROR,
};

struct store;
struct store_checkpoint_info;

/* What GET /v1/status says of the database. */
struct store_info {
	const char	*path;		/* absolute; the store's own string */
	int64_t		 page_size;
	int64_t		 pages;
	int64_t		 free_pages;	/* reused before the file grows */
};

struct store	*store_open(const char *, const char *, char **);
void		 store_close(struct store *);
int		 store_begin(struct store *);
int		 store_commit(struct store *);
void		 store_rollback(struct store *);
int		 store_savepoint(struct store *);
int		 store_release(struct store *);
void		 store_rollback_savepoint(struct store *);
sqlite3_stmt	*store_stmt(struct store *, enum store_stmt, const char *, ...);
int		 store_step(struct store *, sqlite3_stmt *);
int		 store_run(struct store *, enum store_stmt, const char *, ...);
int64_t		 store_last_id(struct store *);
int		 store_changes(struct store *);
const char	*store_column_text(sqlite3_stmt *, int);
void		 store_set_pruning(struct store *, int);
int		 store_info(struct store *, struct store_info *);
void		 store_checkpoints(struct store *,
		     struct store_checkpoint_info *);

#endif
