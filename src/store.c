/*
 * The store's domain calls (store.h), written once over a driver
 * (store-driver.h): each call picks its statement from the table below,
 * binds typed values, steps, and reads the row into a struct whose
 * strings it owns.  No statement leaves this file.
 *
 * The SQL is portable where that costs nothing: numbered parameters,
 * INSERT ... RETURNING for new ids, 64-bit integers, state names bound
 * from the tables of status.c where a call sets them.  What is SQLite's
 * alone is marked "SQLite:" beside its statement (rowid, INDEXED BY,
 * json_extract); a second dialect gives those statements a text of its
 * own (a column per dialect in store_sql[], chosen by the driver's name).
 *
 * Every statement is prepared once, when the store opens, and reset after
 * each use (FreeBSD pkg's pkgdb.c).
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "store-driver.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

#define INCIDENT_COLS "key, unit, category, procedures, grade, worst_grade, " \
	"state, title, opened_at, occurred_at, acked_at, acked_by, " \
	"resolved_at, updated_at, pruned_at"
#define INCIDENT_NCOLS 16	/* with the list position after them */
#define OBLIGATION_COLS "id, incident, recurring, unit, procedure, name, " \
	"title, owner, on_breach, set_at, due_at, close_at, met_at, " \
	"met_event, status"
#define OBLIGATION_NCOLS 15
#define ESCALATION_COLS "id, incident, obligation, policy, started_at, " \
	"step, repeats, state"
#define OUTBOX_COLS "id, key, created_at, incident, obligation, channel, " \
	"recipient, role, body, status, attempts, next_at, deadline_at, " \
	"delivered_at, last_error"
#define OUTBOX_NCOLS 15
#define TIMER_COLS "id, at, kind, ref"
#define ACTION_COLS "seq, at, kind, incident, obligation, body"

enum store_sql {
	SQL_PING,
	SQL_EVENT_ADD,
	SQL_EVENT_FIND,
	SQL_EVENTS_OF_INCIDENT,
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
	SQL_OBLIGATION_ADD,
	SQL_OBLIGATION_GET,
	SQL_OBLIGATION_SET_STATUS,
	SQL_OBLIGATION_SET_DUE,
	SQL_OBLIGATIONS_OF_INCIDENT,
	SQL_OBLIGATIONS_OPEN_OF_INCIDENT,
	SQL_OBLIGATIONS_OPEN_OF_UNIT,
	SQL_UNIT_OWES_RECURRING,
	SQL_OBLIGATIONS_COUNT,
	SQL_OBLIGATIONS_COUNT_OPEN,
	SQL_LEDGER_PAGE,
	SQL_RECURRING_ADD,
	SQL_RECURRING_GET,
	SQL_RECURRING_FIND,
	SQL_RECURRING_SET_NEXT,
	SQL_RECURRING_PREVIOUS,
	SQL_ESCALATION_ADD,
	SQL_ESCALATION_GET,
	SQL_ESCALATION_UPDATE,
	SQL_ESCALATION_STOP,
	SQL_ESCALATIONS_OF_INCIDENT,
	SQL_ESCALATIONS_ACTIVE_OF_INCIDENT,
	SQL_ESCALATIONS_ACTIVE_OF_OBLIGATION,
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
	SQL_MESSAGES_COUNT,
	SQL_MESSAGES_DEPTH,
	SQL_MESSAGES_PAGE,
	SQL_MESSAGES_PAGE_OF_INCIDENT,
	SQL_ATTEMPT_ADD,
	SQL_ACK_LINK_ADD,
	SQL_ACK_LINK_GET,
	SQL_PRUNE_CANDIDATES,
	SQL_PRUNE_BUSY,
	SQL_PRUNE_ATTEMPTS,
	SQL_PRUNE_OUTBOX,
	SQL_PRUNE_TIMERS_OF_OBLIGATIONS,
	SQL_PRUNE_TIMERS_OF_ESCALATIONS,
	SQL_PRUNE_ESCALATIONS,
	SQL_PRUNE_ACK_LINKS,
	SQL_PRUNE_EVENTS,
	SQL_PRUNE_TIMELINE,
	SQL_PRUNE_OBLIGATIONS,
	SQL_PRUNE_INCIDENT,
	SQL_PRUNE_MARK,
	SQL_BOARD,
	SQL_BOARD_COUNTS,
	SQL_DUTIES,
	SQL__COUNT
};

static const char *const store_sql[SQL__COUNT] = {
	/* Reads a page of the database and no more: /healthz asks it. */
	[SQL_PING] =
	    "SELECT count(*) FROM (SELECT seq FROM events ORDER BY seq DESC "
	    "LIMIT 1) AS newest",
	[SQL_EVENT_ADD] =
	    "INSERT INTO events (id, type, incident, unit, received_at, "
	    "occurred_at, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
	    "RETURNING seq",
	[SQL_EVENT_FIND] =
	    "SELECT seq, incident FROM events WHERE unit = ?1 AND id = ?2",
	[SQL_EVENTS_OF_INCIDENT] =
	    "SELECT seq, id, type, incident, unit, received_at, occurred_at, "
	    "body FROM events WHERE incident = ?1 ORDER BY seq",
	[SQL_EVENT_COUNT] =
	    "SELECT count(*) FROM events",
	[SQL_INCIDENT_ADD] =
	    "INSERT INTO incidents (key, unit, category, procedures, grade, "
	    "worst_grade, title, opened_at, occurred_at, updated_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	/* SQLite: rowid, the order incidents were stored in. */
	[SQL_INCIDENT_GET] =
	    "SELECT " INCIDENT_COLS ", rowid FROM incidents WHERE key = ?1",
	[SQL_INCIDENT_SET_GRADE] =
	    "UPDATE incidents SET grade = ?2, worst_grade = ?3, "
	    "updated_at = ?4 WHERE key = ?1",
	[SQL_INCIDENT_TOUCH] =
	    "UPDATE incidents SET updated_at = ?2 WHERE key = ?1",
	[SQL_INCIDENT_ACK] =
	    "UPDATE incidents SET acked_at = ?2, acked_by = ?3, "
	    "updated_at = ?2 WHERE key = ?1",
	[SQL_INCIDENT_RESOLVE] =
	    "UPDATE incidents SET state = ?3, resolved_at = ?2, "
	    "updated_at = ?2 WHERE key = ?1",
	[SQL_INCIDENTS_COUNT_OPEN] =
	    "SELECT count(*) FROM incidents WHERE state = 'open'",
	[SQL_INCIDENTS_OPEN_BY_GRADE] =
	    "SELECT grade, count(*) FROM incidents WHERE state = 'open' "
	    "GROUP BY grade",
	/*
	 * A page of incidents, newest first: in the order they were stored,
	 * which is the order they were opened, on the rowid so that a page
	 * resumes before ?4 without a sort.  The filters are a column, so a
	 * page can stop reading at a row it does not show (api-page.c).
	 * SQLite: rowid.
	 */
	[SQL_INCIDENTS_PAGE] =
	    "SELECT " INCIDENT_COLS ", rowid, ((?1 = 'all' OR state = ?1) "
	    "AND (?2 IS NULL OR unit = ?2) AND (?3 IS NULL OR "
	    "category = ?3)) FROM incidents WHERE rowid < ?4 "
	    "ORDER BY rowid DESC LIMIT ?5",
	[SQL_OBLIGATION_ADD] =
	    "INSERT INTO obligations (incident, recurring, unit, procedure, "
	    "name, title, owner, on_breach, set_at, due_at, close_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
	    "RETURNING id",
	[SQL_OBLIGATION_GET] =
	    "SELECT " OBLIGATION_COLS " FROM obligations WHERE id = ?1",
	[SQL_OBLIGATION_SET_STATUS] =
	    "UPDATE obligations SET status = ?2, met_at = ?3, met_event = ?4 "
	    "WHERE id = ?1",
	[SQL_OBLIGATION_SET_DUE] =
	    "UPDATE obligations SET due_at = ?2 WHERE id = ?1",
	[SQL_OBLIGATIONS_OF_INCIDENT] =
	    "SELECT " OBLIGATION_COLS " FROM obligations WHERE incident = ?1 "
	    "ORDER BY id",
	[SQL_OBLIGATIONS_OPEN_OF_INCIDENT] =
	    "SELECT " OBLIGATION_COLS " FROM obligations WHERE incident = ?1 "
	    "AND status IN ('pending', 'breached') ORDER BY id",
	/*
	 * The planner would rather walk every recurring report's row.
	 * SQLite: INDEXED BY.
	 */
	[SQL_OBLIGATIONS_OPEN_OF_UNIT] =
	    "SELECT " OBLIGATION_COLS " FROM obligations INDEXED BY "
	    "obligations_unit WHERE unit = ?1 AND incident IS NULL AND "
	    "status IN ('pending', 'breached') ORDER BY id",
	/* Has the unit ever owed a recurring report?  SQLite: INDEXED BY. */
	[SQL_UNIT_OWES_RECURRING] =
	    "SELECT 1 FROM obligations INDEXED BY obligations_unit WHERE "
	    "unit = ?1 AND incident IS NULL LIMIT 1",
	[SQL_OBLIGATIONS_COUNT] =
	    "SELECT status, count(*) FROM obligations GROUP BY status",
	[SQL_OBLIGATIONS_COUNT_OPEN] =
	    "SELECT status, count(*) FROM obligations WHERE status IN "
	    "('pending', 'breached') GROUP BY status",
	/*
	 * A page of the ledger on obligations_due (due_at, then the id the
	 * index carries): from ?1 (the range's start or the cursor's due
	 * time, whichever is later) past the cursor (?4, ?5), before ?2.
	 */
	[SQL_LEDGER_PAGE] =
	    "SELECT " OBLIGATION_COLS ", (?3 IS NULL OR unit = ?3) "
	    "FROM obligations WHERE due_at >= ?1 AND due_at < ?2 "
	    "AND (due_at > ?4 OR id > ?5) ORDER BY due_at, id LIMIT ?6",
	[SQL_RECURRING_ADD] =
	    "INSERT INTO recurrings (name, next_at) VALUES (?1, ?2) "
	    "RETURNING id",
	[SQL_RECURRING_GET] =
	    "SELECT id, name, next_at FROM recurrings WHERE id = ?1",
	[SQL_RECURRING_FIND] =
	    "SELECT id, name, next_at FROM recurrings WHERE name = ?1",
	[SQL_RECURRING_SET_NEXT] =
	    "UPDATE recurrings SET next_at = ?2 WHERE id = ?1",
	[SQL_RECURRING_PREVIOUS] =
	    "SELECT " OBLIGATION_COLS " FROM obligations WHERE incident IS "
	    "NULL AND recurring = ?1 AND due_at = (SELECT max(due_at) FROM "
	    "obligations WHERE incident IS NULL AND recurring = ?1 AND "
	    "due_at < ?2) ORDER BY id",
	[SQL_ESCALATION_ADD] =
	    "INSERT INTO escalations (incident, obligation, policy, "
	    "started_at) VALUES (?1, ?2, ?3, ?4) RETURNING id",
	[SQL_ESCALATION_GET] =
	    "SELECT " ESCALATION_COLS " FROM escalations WHERE id = ?1",
	[SQL_ESCALATION_UPDATE] =
	    "UPDATE escalations SET step = ?2, repeats = ?3, state = ?4 "
	    "WHERE id = ?1",
	[SQL_ESCALATION_STOP] =
	    "UPDATE escalations SET state = ?2 WHERE id = ?1",
	[SQL_ESCALATIONS_OF_INCIDENT] =
	    "SELECT " ESCALATION_COLS " FROM escalations WHERE incident = ?1 "
	    "ORDER BY id",
	[SQL_ESCALATIONS_ACTIVE_OF_INCIDENT] =
	    "SELECT " ESCALATION_COLS " FROM escalations WHERE incident = ?1 "
	    "AND state = 'active' ORDER BY id",
	[SQL_ESCALATIONS_ACTIVE_OF_OBLIGATION] =
	    "SELECT " ESCALATION_COLS " FROM escalations WHERE "
	    "obligation = ?1 AND state = 'active' ORDER BY id",
	[SQL_TIMER_ADD] =
	    "INSERT INTO timers (at, kind, ref) VALUES (?1, ?2, ?3) "
	    "RETURNING id",
	[SQL_TIMER_GET] =
	    "SELECT " TIMER_COLS " FROM timers WHERE id = ?1",
	[SQL_TIMER_DELETE] =
	    "DELETE FROM timers WHERE id = ?1",
	[SQL_TIMERS_CANCEL] =
	    "DELETE FROM timers WHERE kind = ?1 AND ref = ?2",
	[SQL_TIMER_EXISTS] =
	    "SELECT id FROM timers WHERE kind = ?1 AND ref = ?2 LIMIT 1",
	[SQL_TIMERS_ALL] =
	    "SELECT " TIMER_COLS " FROM timers",
	[SQL_TIMER_NEXT] =
	    "SELECT " TIMER_COLS " FROM timers ORDER BY at, id LIMIT 1",
	[SQL_TIMER_COUNT] =
	    "SELECT count(*) FROM timers",
	[SQL_ACTION_ADD] =
	    "INSERT INTO timeline (at, kind, incident, obligation, body) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)",
	[SQL_ACTIONS_OF_INCIDENT] =
	    "SELECT " ACTION_COLS " FROM timeline WHERE incident = ?1 "
	    "ORDER BY seq",
	[SQL_MESSAGE_ADD] =
	    "INSERT INTO outbox (key, created_at, incident, obligation, "
	    "channel, recipient, role, body, next_at, deadline_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
	[SQL_MESSAGE_GET] =
	    "SELECT " OUTBOX_COLS " FROM outbox WHERE id = ?1",
	/*
	 * One arm per status, so that each walks outbox_due in order and the
	 * two are merged: with IN, SQLite sorted every due row on each scan.
	 */
	[SQL_MESSAGES_DUE] =
	    "SELECT " OUTBOX_COLS " FROM outbox WHERE status = 'queued' AND "
	    "next_at <= ?1 UNION ALL SELECT " OUTBOX_COLS " FROM outbox WHERE "
	    "status = 'failed' AND next_at <= ?1 ORDER BY next_at, id LIMIT ?2",
	[SQL_MESSAGE_SENDING] =
	    "UPDATE outbox SET status = ?2, attempts = attempts + 1 "
	    "WHERE id = ?1",
	[SQL_MESSAGE_RESULT] =
	    "UPDATE outbox SET status = ?2, next_at = ?3, delivered_at = ?4, "
	    "last_error = ?5 WHERE id = ?1",
	[SQL_MESSAGES_REQUEUE] =
	    "UPDATE outbox SET status = 'queued' WHERE status = 'sending'",
	[SQL_MESSAGES_NEXT_AT] =
	    "SELECT min(next_at) FROM outbox WHERE status IN ('queued', "
	    "'failed')",
	[SQL_MESSAGES_COUNT] =
	    "SELECT status, count(*) FROM outbox GROUP BY status",
	[SQL_MESSAGES_DEPTH] =
	    "SELECT status, count(*) FROM outbox WHERE status IN ('queued', "
	    "'sending', 'failed') GROUP BY status",
	/* A page of the outbox, newest first, before id ?2. */
	[SQL_MESSAGES_PAGE] =
	    "SELECT " OUTBOX_COLS ", (?1 IS NULL OR status = ?1) FROM outbox "
	    "WHERE id < ?2 ORDER BY id DESC LIMIT ?3",
	/* The same for one incident, on outbox_incident (incident, id). */
	[SQL_MESSAGES_PAGE_OF_INCIDENT] =
	    "SELECT " OUTBOX_COLS ", (?1 IS NULL OR status = ?1) FROM outbox "
	    "WHERE incident = ?4 AND id < ?2 ORDER BY id DESC LIMIT ?3",
	[SQL_ATTEMPT_ADD] =
	    "INSERT INTO attempts (outbox, at, result, detail) "
	    "VALUES (?1, ?2, ?3, ?4)",
	[SQL_ACK_LINK_ADD] =
	    "INSERT INTO ack_links (token, incident, recipient, created_at) "
	    "VALUES (?1, ?2, ?3, ?4)",
	[SQL_ACK_LINK_GET] =
	    "SELECT token, incident, recipient, created_at FROM ack_links "
	    "WHERE token = ?1",
	/*
	 * Retention.  Candidates are closed incidents resolved before ?1,
	 * after the cursor (?2 resolved_at, ?3 key); ?4 = 1 takes those
	 * already pruned too (their ledger is being dropped).  The rest
	 * delete one incident's rows; an incident's timers go by the kinds
	 * the engine said refer to obligations and to escalations (?2).
	 */
	[SQL_PRUNE_CANDIDATES] =
	    "SELECT key, resolved_at FROM incidents WHERE state = 'closed' "
	    "AND resolved_at < ?1 AND (resolved_at > ?2 OR (resolved_at = ?2 "
	    "AND key > ?3)) AND (?4 = 1 OR pruned_at IS NULL) "
	    "ORDER BY resolved_at, key LIMIT ?5",
	[SQL_PRUNE_BUSY] =
	    "SELECT EXISTS (SELECT 1 FROM outbox WHERE incident = ?1 AND "
	    "status IN ('queued', 'sending', 'failed'))",
	[SQL_PRUNE_ATTEMPTS] =
	    "DELETE FROM attempts WHERE outbox IN (SELECT id FROM outbox "
	    "WHERE incident = ?1)",
	[SQL_PRUNE_OUTBOX] =
	    "DELETE FROM outbox WHERE incident = ?1",
	[SQL_PRUNE_TIMERS_OF_OBLIGATIONS] =
	    "DELETE FROM timers WHERE kind = ?2 AND ref IN (SELECT id FROM "
	    "obligations WHERE incident = ?1)",
	[SQL_PRUNE_TIMERS_OF_ESCALATIONS] =
	    "DELETE FROM timers WHERE kind = ?2 AND ref IN (SELECT id FROM "
	    "escalations WHERE incident = ?1)",
	[SQL_PRUNE_ESCALATIONS] =
	    "DELETE FROM escalations WHERE incident = ?1",
	[SQL_PRUNE_ACK_LINKS] =
	    "DELETE FROM ack_links WHERE incident = ?1",
	[SQL_PRUNE_EVENTS] =
	    "DELETE FROM events WHERE incident = ?1",
	[SQL_PRUNE_TIMELINE] =
	    "DELETE FROM timeline WHERE incident = ?1",
	[SQL_PRUNE_OBLIGATIONS] =
	    "DELETE FROM obligations WHERE incident = ?1",
	[SQL_PRUNE_INCIDENT] =
	    "DELETE FROM incidents WHERE key = ?1",
	[SQL_PRUNE_MARK] =
	    "UPDATE incidents SET pruned_at = ?2 WHERE key = ?1 AND "
	    "pruned_at IS NULL",
	/*
	 * The duty-room board: each open incident with its nearest open
	 * obligation (breached ones first, then by due time) and the
	 * escalation that climbed highest, the running one before a stopped
	 * one.  Incidents with nothing pending follow, the gravest first;
	 * a report no procedure took, not yet acknowledged, comes before all.
	 */
	[SQL_BOARD] =
	    "SELECT i.key, i.unit, i.category, i.title, i.grade, i.opened_at, "
	    "i.occurred_at, i.acked_at, i.acked_by, o.name, o.title, o.due_at, "
	    "o.status, (SELECT count(*) FROM obligations WHERE incident = i.key "
	    "AND status IN ('pending', 'breached')), (SELECT count(*) FROM "
	    "obligations WHERE incident = i.key AND status = 'breached'), "
	    "e.policy, e.step, e.repeats, e.state, i.procedures = '[]' "
	    "FROM incidents i "
	    "LEFT JOIN obligations o ON o.id = (SELECT id FROM obligations "
	    "WHERE incident = i.key AND status IN ('pending', 'breached') "
	    "ORDER BY status = 'breached' DESC, due_at, id LIMIT 1) "
	    "LEFT JOIN escalations e ON e.id = (SELECT id FROM escalations "
	    "WHERE incident = i.key AND step > 0 ORDER BY state = 'active' "
	    "DESC, step DESC, repeats DESC, id DESC LIMIT 1) "
	    "WHERE i.state = 'open' ORDER BY (i.procedures = '[]' AND "
	    "i.acked_at IS NULL) DESC, o.id IS NULL, "
	    "o.status = 'breached' DESC, o.due_at, i.grade = 0, i.grade, "
	    "i.opened_at, i.key LIMIT ?1",
	/*
	 * Open incidents, unacknowledged ones, breached obligations (of
	 * incidents and of recurring reports: /v1/status's number), open
	 * incidents with one breached, and unacknowledged unmatched ones.
	 */
	[SQL_BOARD_COUNTS] =
	    "SELECT count(*), coalesce(sum(acked_at IS NULL), 0), "
	    "(SELECT count(*) FROM obligations WHERE status = 'breached'), "
	    "coalesce(sum(EXISTS (SELECT 1 FROM obligations o WHERE "
	    "o.incident = i.key AND o.status = 'breached')), 0), "
	    "coalesce(sum(procedures = '[]' AND acked_at IS NULL), 0) "
	    "FROM incidents i WHERE state = 'open'",
	/*
	 * The recurring reports owed today ([?1, ?2)) and any still open
	 * from earlier, per unit; a zero report is told by the event that
	 * met the obligation.  Found through the due-time and status
	 * indexes: every recurring report of every past day has no incident.
	 * SQLite: json_extract.
	 */
	[SQL_DUTIES] =
	    "SELECT o.recurring, o.title, o.unit, o.due_at, o.close_at, "
	    "o.status, o.met_at, json_extract(e.body, '$.zero') "
	    "FROM obligations o LEFT JOIN events e ON e.seq = o.met_event "
	    "WHERE o.id IN (SELECT id FROM obligations WHERE due_at >= ?1 AND "
	    "due_at < ?2 UNION SELECT id FROM obligations WHERE status IN "
	    "('pending', 'breached')) AND o.incident IS NULL "
	    "ORDER BY o.recurring, o.due_at, o.unit, o.id LIMIT ?3",
};

/* A timer kind and what its ref names, as the engine said. */
struct store_timer_kind {
	int			 kind;
	enum store_timer_owner	 owner;
};

/* The drivers, looked up by the path each handles: the first one wins. */
static const struct store_driver *const store_drivers[] = {
	&store_sqlite_driver,
};

struct store {
	const struct store_driver	*drv;
	struct store_conn		*conn;
	struct store_query		*q[SQL__COUNT];
	struct store_timer_kind		*kinds;		/* the engine's */
	size_t				 nkinds;
	int				 bad;	/* a bind failed */
};

/* ---- statements: bind, step, read ------------------------------------ */

/* The statement, ready to bind: every use ends with a reset. */
static struct store_query *
store_q(struct store *s, enum store_sql which)
{
	s->bad = 0;
	return (s->q[which]);
}

static void
store_bind_int(struct store *s, struct store_query *q, int i, int64_t v)
{
	if (s->drv->bind_int64(q, i, v) != 0)
		s->bad = 1;
}

/* A text; NULL binds NULL. */
static void
store_bind_text(struct store *s, struct store_query *q, int i, const char *v)
{
	if ((v != NULL ? s->drv->bind_text(q, i, v) :
	    s->drv->bind_null(q, i)) != 0)
		s->bad = 1;
}

/* A time or a row id that may be none: 0 binds NULL. */
static void
store_bind_opt(struct store *s, struct store_query *q, int i, int64_t v)
{
	if ((v != 0 ? s->drv->bind_int64(q, i, v) :
	    s->drv->bind_null(q, i)) != 0)
		s->bad = 1;
}

/* 1 for a row, 0 when done, -1 when binding or the statement failed. */
static int
store_q_step(struct store *s, struct store_query *q)
{
	if (s->bad) {
		s->drv->reset(q);
		return (-1);
	}
	return (s->drv->step(q));
}

/* Run a statement that returns no rows: 0, or -1. */
static int
store_q_run(struct store *s, struct store_query *q)
{
	int	rc = store_q_step(s, q);

	s->drv->reset(q);
	return (rc < 0 ? -1 : 0);
}

/* Run a statement that returns one integer (an id, a count) into *v. */
static int
store_q_int(struct store *s, struct store_query *q, int64_t *v)
{
	int	rc = store_q_step(s, q);

	if (rc == 1 && v != NULL)
		*v = s->drv->column_int64(q, 0);
	s->drv->reset(q);
	return (rc == 1 ? 0 : -1);
}

/*
 * Step through q, handing each row to visit (which reads it into a row
 * struct, calls the caller back and clears the row): 0 when the rows
 * ran out or a callback stopped them, -1 on failure.
 */
static int
store_q_each(struct store *s, struct store_query *q,
    int (*visit)(struct store *, struct store_query *, void *), void *ctx)
{
	int	rc, v = 0;

	while ((rc = store_q_step(s, q)) == 1) {
		if ((v = visit(s, q, ctx)) != 0)
			break;
	}
	s->drv->reset(q);
	return (rc < 0 || v < 0 ? -1 : 0);
}

static char *
store_col_text(struct store *s, struct store_query *q, int col)
{
	const char	*v = s->drv->column_text(q, col);

	return (v != NULL ? xstrdup(v) : NULL);
}

static int64_t
store_col_int(struct store *s, struct store_query *q, int col)
{
	return (s->drv->column_int64(q, col));
}

/*
 * A state column through its table of names.  The store writes only
 * names from the tables, so another is a database changed behind our
 * back: logged, and the row fails.
 */
static int
store_col_state(struct store *s, struct store_query *q, int col,
    int (*parse)(const char *), int *v)
{
	const char	*name = s->drv->column_text(q, col);

	if ((*v = parse(name)) >= 0)
		return (0);
	log_warnx("store: unknown state in the database state=%s",
	    name != NULL ? name : "NULL");
	return (-1);
}

/* Add (name, count) rows to counts[] by their state's name. */
static int
store_q_counts(struct store *s, struct store_query *q,
    int (*parse)(const char *), int64_t *counts)
{
	int	rc, v;

	while ((rc = store_q_step(s, q)) == 1) {
		if ((v = parse(s->drv->column_text(q, 0))) >= 0)
			counts[v] += store_col_int(s, q, 1);
	}
	s->drv->reset(q);
	return (rc < 0 ? -1 : 0);
}

/* ---- the store itself ------------------------------------------------ */

struct store *
store_open(const char *path, const char *sync, char **cause)
{
	struct store	*s;
	size_t		 i;

	s = xcalloc(1, sizeof(*s));
	for (i = 0; i < nitems(store_drivers) && s->drv == NULL; i++) {
		if (store_drivers[i]->handles(path))
			s->drv = store_drivers[i];
	}
	if (s->drv == NULL) {
		xasprintf(cause, "%s: no store driver for it", path);
		free(s);
		return (NULL);
	}
	if ((s->conn = s->drv->open(path, sync, cause)) == NULL) {
		free(s);
		return (NULL);
	}
	for (i = 0; i < SQL__COUNT; i++) {
		if ((s->q[i] = s->drv->prepare(s->conn, store_sql[i],
		    cause)) == NULL)
			goto fail;
	}
	return (s);
fail:
	store_close(s);
	return (NULL);
}

void
store_close(struct store *s)
{
	size_t	i;

	if (s == NULL)
		return;
	for (i = 0; i < SQL__COUNT; i++) {
		if (s->q[i] != NULL)
			s->drv->finalize(s->q[i]);
	}
	s->drv->close(s->conn);
	free(s->kinds);
	free(s);
}

int
store_begin(struct store *s)
{
	return (s->drv->txn(s->conn, STORE_TXN_BEGIN));
}

/* The time a COMMIT takes is mostly its fsync: GET /metrics shows it. */
int
store_commit(struct store *s)
{
	int64_t	start = clock_monotonic_us();
	int	rc;

	rc = s->drv->txn(s->conn, STORE_TXN_COMMIT);
	metrics_observe(METRICS_COMMIT, clock_monotonic_us() - start);
	if (rc != 0) {
		store_rollback(s);
		return (-1);
	}
	return (0);
}

void
store_rollback(struct store *s)
{
	if (s->drv->in_txn(s->conn))
		s->drv->txn(s->conn, STORE_TXN_ROLLBACK);
}

int
store_savepoint(struct store *s)
{
	return (s->drv->txn(s->conn, STORE_TXN_SAVEPOINT));
}

int
store_release(struct store *s)
{
	return (s->drv->txn(s->conn, STORE_TXN_RELEASE));
}

void
store_rollback_savepoint(struct store *s)
{
	s->drv->txn(s->conn, STORE_TXN_ROLLBACK_TO);
	s->drv->txn(s->conn, STORE_TXN_RELEASE);
}

int
store_ping(struct store *s)
{
	return (store_q_int(s, store_q(s, SQL_PING), NULL));
}

int
store_info(struct store *s, struct store_info *info)
{
	return (s->drv->info(s->conn, info));
}

void
store_checkpoints(struct store *s, struct store_checkpoint_info *info)
{
	s->drv->checkpoints(s->conn, info);
}

const char *
store_driver_name(struct store *s)
{
	return (s->drv->name);
}

const char *
store_driver_version(struct store *s)
{
	return (s->drv->version());
}

/*
 * Every table of the schema (store-schema.c): a new table is a line here.
 * The timeline gives up rows only to a prune (schema 4's trigger); timer
 * ids start again (SQLite: sqlite_sequence), so that an input replays
 * alike.
 */
static const char *const store_empty_sql =
    "DELETE FROM attempts; DELETE FROM outbox; DELETE FROM timers; "
    "DELETE FROM escalations; DELETE FROM ack_links; DELETE FROM timeline; "
    "DELETE FROM events; DELETE FROM obligations; DELETE FROM recurrings; "
    "DELETE FROM incidents; DELETE FROM sqlite_sequence";

int
store_empty(struct store *s)
{
	int	rc;

	s->drv->set_pruning(s->conn, 1);
	rc = s->drv->exec(s->conn, store_empty_sql);
	s->drv->set_pruning(s->conn, 0);
	return (rc);
}

/* ---- events ---------------------------------------------------------- */

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

	store_bind_text(s, q, 1, ev->id);
	store_bind_text(s, q, 2, ev->type);
	store_bind_text(s, q, 3, ev->incident);
	store_bind_text(s, q, 4, ev->unit);
	store_bind_int(s, q, 5, ev->received_at);
	store_bind_int(s, q, 6, ev->occurred_at);
	store_bind_text(s, q, 7, ev->body);
	return (store_q_int(s, q, seq));
}

int
store_event_find(struct store *s, const char *unit, const char *id,
    struct store_event *ev)
{
	struct store_query	*q = store_q(s, SQL_EVENT_FIND);
	int			 rc;

	memset(ev, 0, sizeof(*ev));
	store_bind_text(s, q, 1, unit);
	store_bind_text(s, q, 2, id);
	if ((rc = store_q_step(s, q)) == 1) {
		ev->seq = store_col_int(s, q, 0);
		ev->incident = store_col_text(s, q, 1);
	}
	s->drv->reset(q);
	return (rc);
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
store_event_count(struct store *s, int64_t *n)
{
	return (store_q_int(s, store_q(s, SQL_EVENT_COUNT), n));
}

/* ---- incidents ------------------------------------------------------- */

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
static int
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
	inc->seq = store_col_int(s, q, 15);
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
store_incident_set_grade(struct store *s, const char *key, int grade,
    int worst, int64_t now)
{
	struct store_query	*q = store_q(s, SQL_INCIDENT_SET_GRADE);

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

	store_bind_text(s, q, 1, key);
	store_bind_int(s, q, 2, now);
	return (store_q_run(s, q));
}

int
store_incident_ack(struct store *s, const char *key, const char *by,
    int64_t now)
{
	struct store_query	*q = store_q(s, SQL_INCIDENT_ACK);

	store_bind_text(s, q, 1, key);
	store_bind_int(s, q, 2, now);
	store_bind_text(s, q, 3, by);
	return (store_q_run(s, q));
}

int
store_incident_resolve(struct store *s, const char *key, int64_t now)
{
	struct store_query	*q = store_q(s, SQL_INCIDENT_RESOLVE);

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
	struct store_query		*q = store_q(s, SQL_INCIDENTS_PAGE);
	struct store_incident_visit	 v = { NULL, cb, arg };

	store_bind_text(s, q, 1, f->any_state ? "all" :
	    incident_state_name(f->state));
	store_bind_text(s, q, 2, f->unit);
	store_bind_text(s, q, 3, f->category);
	store_bind_int(s, q, 4, c != NULL ? c->before_seq : INT64_MAX);
	store_bind_int(s, q, 5, limit);
	return (store_q_each(s, q, store_incident_visit, &v));
}

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
	struct store_query		*q = store_q(s, SQL_LEDGER_PAGE);
	struct store_obligation_visit	 v = { NULL, cb, arg };
	int64_t				 due = c != NULL ? c->due_at : INT64_MIN;
	int64_t				 id = c != NULL ? c->id : INT64_MIN;

	store_bind_int(s, q, 1, due > f->from ? due : f->from);
	store_bind_int(s, q, 2, f->to);
	store_bind_text(s, q, 3, f->unit);
	store_bind_int(s, q, 4, due);
	store_bind_int(s, q, 5, id);
	store_bind_int(s, q, 6, limit);
	return (store_q_each(s, q, store_obligation_visit, &v));
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

/* ---- escalations ----------------------------------------------------- */

void
store_escalation_clear(struct store_escalation *e)
{
	free(e->incident);
	free(e->policy);
	memset(e, 0, sizeof(*e));
}

static int
store_escalation_read(struct store *s, struct store_query *q,
    struct store_escalation *e)
{
	int	state;

	memset(e, 0, sizeof(*e));
	e->id = store_col_int(s, q, 0);
	e->incident = store_col_text(s, q, 1);
	e->obligation = store_col_int(s, q, 2);
	e->policy = store_col_text(s, q, 3);
	e->started_at = store_col_int(s, q, 4);
	e->step = (int)store_col_int(s, q, 5);
	e->repeats = (int)store_col_int(s, q, 6);
	if (store_col_state(s, q, 7, escalation_state_parse, &state) != 0) {
		store_escalation_clear(e);
		return (-1);
	}
	e->state = (enum escalation_state)state;
	return (0);
}

int
store_escalation_add(struct store *s, const struct store_escalation *e,
    int64_t *id)
{
	struct store_query	*q = store_q(s, SQL_ESCALATION_ADD);

	store_bind_text(s, q, 1, e->incident);
	store_bind_opt(s, q, 2, e->obligation);
	store_bind_text(s, q, 3, e->policy);
	store_bind_int(s, q, 4, e->started_at);
	return (store_q_int(s, q, id));
}

int
store_escalation_get(struct store *s, int64_t id, struct store_escalation *e)
{
	struct store_query	*q = store_q(s, SQL_ESCALATION_GET);
	int			 rc;

	memset(e, 0, sizeof(*e));
	store_bind_int(s, q, 1, id);
	if ((rc = store_q_step(s, q)) == 1 &&
	    store_escalation_read(s, q, e) != 0)
		rc = -1;
	s->drv->reset(q);
	return (rc);
}

int
store_escalation_update(struct store *s, int64_t id, int step, int repeats,
    enum escalation_state state)
{
	struct store_query	*q = store_q(s, SQL_ESCALATION_UPDATE);

	store_bind_int(s, q, 1, id);
	store_bind_int(s, q, 2, step);
	store_bind_int(s, q, 3, repeats);
	store_bind_text(s, q, 4, escalation_state_name(state));
	return (store_q_run(s, q));
}

int
store_escalation_stop(struct store *s, int64_t id)
{
	struct store_query	*q = store_q(s, SQL_ESCALATION_STOP);

	store_bind_int(s, q, 1, id);
	store_bind_text(s, q, 2, escalation_state_name(ESCALATION_STOPPED));
	return (store_q_run(s, q));
}

struct store_escalation_visit {
	store_escalation_cb	 cb;
	void			*arg;
};

static int
store_escalation_visit(struct store *s, struct store_query *q, void *ctx)
{
	struct store_escalation_visit	*v = ctx;
	struct store_escalation		 e;
	int				 stop;

	if (store_escalation_read(s, q, &e) != 0)
		return (-1);
	stop = v->cb(&e, v->arg) != 0;
	store_escalation_clear(&e);
	return (stop);
}

int
store_escalations_of_incident(struct store *s, const char *key,
    store_escalation_cb cb, void *arg)
{
	struct store_query		*q = store_q(s,
					    SQL_ESCALATIONS_OF_INCIDENT);
	struct store_escalation_visit	 v = { cb, arg };

	store_bind_text(s, q, 1, key);
	return (store_q_each(s, q, store_escalation_visit, &v));
}

int
store_escalations_active_of_incident(struct store *s, const char *key,
    store_escalation_cb cb, void *arg)
{
	struct store_query		*q = store_q(s,
					    SQL_ESCALATIONS_ACTIVE_OF_INCIDENT);
	struct store_escalation_visit	 v = { cb, arg };

	store_bind_text(s, q, 1, key);
	return (store_q_each(s, q, store_escalation_visit, &v));
}

int
store_escalations_active_of_obligation(struct store *s, int64_t obligation,
    store_escalation_cb cb, void *arg)
{
	struct store_query		*q = store_q(s,
					    SQL_ESCALATIONS_ACTIVE_OF_OBLIGATION);
	struct store_escalation_visit	 v = { cb, arg };

	store_bind_int(s, q, 1, obligation);
	return (store_q_each(s, q, store_escalation_visit, &v));
}

/* ---- timers ---------------------------------------------------------- */

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

/* ---- the timeline ---------------------------------------------------- */

void
store_action_clear(struct store_action *a)
{
	free(a->kind);
	free(a->incident);
	free(a->body);
	memset(a, 0, sizeof(*a));
}

int
store_action_add(struct store *s, const struct store_action *a)
{
	struct store_query	*q = store_q(s, SQL_ACTION_ADD);

	store_bind_int(s, q, 1, a->at);
	store_bind_text(s, q, 2, a->kind);
	store_bind_text(s, q, 3, a->incident);
	store_bind_opt(s, q, 4, a->obligation);
	store_bind_text(s, q, 5, a->body);
	return (store_q_run(s, q));
}

struct store_action_visit {
	store_action_cb	 cb;
	void		*arg;
};

static int
store_action_visit(struct store *s, struct store_query *q, void *ctx)
{
	struct store_action_visit	*v = ctx;
	struct store_action		 a;
	int				 stop;

	a.seq = store_col_int(s, q, 0);
	a.at = store_col_int(s, q, 1);
	a.kind = store_col_text(s, q, 2);
	a.incident = store_col_text(s, q, 3);
	a.obligation = store_col_int(s, q, 4);
	a.body = store_col_text(s, q, 5);
	stop = v->cb(&a, v->arg) != 0;
	store_action_clear(&a);
	return (stop);
}

int
store_actions_of_incident(struct store *s, const char *key,
    store_action_cb cb, void *arg)
{
	struct store_query		*q = store_q(s, SQL_ACTIONS_OF_INCIDENT);
	struct store_action_visit	 v = { cb, arg };

	store_bind_text(s, q, 1, key);
	return (store_q_each(s, q, store_action_visit, &v));
}

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
	stop = (v->page != NULL ? v->page(&m, store_col_int(s, q,
	    OUTBOX_NCOLS) != 0, v->arg) : v->cb(&m, v->arg)) != 0;
	store_message_clear(&m);
	return (stop);
}

int
store_messages_due(struct store *s, int64_t now, int limit,
    store_message_cb cb, void *arg)
{
	struct store_query		*q = store_q(s, SQL_MESSAGES_DUE);
	struct store_message_visit	 v = { cb, NULL, arg };

	store_bind_int(s, q, 1, now);
	store_bind_int(s, q, 2, limit);
	return (store_q_each(s, q, store_message_visit, &v));
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

	q = store_q(s, f->incident != NULL ? SQL_MESSAGES_PAGE_OF_INCIDENT :
	    SQL_MESSAGES_PAGE);
	store_bind_text(s, q, 1, f->status);
	store_bind_int(s, q, 2, c != NULL ? c->before_id : INT64_MAX);
	store_bind_int(s, q, 3, limit);
	if (f->incident != NULL)
		store_bind_text(s, q, 4, f->incident);
	return (store_q_each(s, q, store_message_visit, &v));
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

/* ---- retention ------------------------------------------------------- */

/* Each table's statement, in store_prune_table order; timers are apart. */
static const struct {
	const char	*name;
	enum store_sql	 sql;
} store_prune_tables[STORE_PRUNE__COUNT] = {
	[STORE_PRUNE_ATTEMPTS] = { "attempts", SQL_PRUNE_ATTEMPTS },
	[STORE_PRUNE_OUTBOX] = { "outbox", SQL_PRUNE_OUTBOX },
	[STORE_PRUNE_TIMERS] = { "timers", SQL__COUNT },
	[STORE_PRUNE_ESCALATIONS] = { "escalations", SQL_PRUNE_ESCALATIONS },
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
	    which == SQL_PRUNE_TIMERS_OF_ESCALATIONS)
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

/* ---- read models ----------------------------------------------------- */

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
store_board(struct store *s, int limit, store_board_cb cb, void *arg)
{
	struct store_query		*q = store_q(s, SQL_BOARD);
	struct store_board_visit	 v = { cb, arg };

	store_bind_int(s, q, 1, limit);
	return (store_q_each(s, q, store_board_visit, &v));
}

int
store_board_counts(struct store *s, struct store_board_counts *c)
{
	struct store_query	*q = store_q(s, SQL_BOARD_COUNTS);
	int			 rc;

	memset(c, 0, sizeof(*c));
	if ((rc = store_q_step(s, q)) == 1) {
		c->open = store_col_int(s, q, 0);
		c->unacknowledged = store_col_int(s, q, 1);
		c->overdue = store_col_int(s, q, 2);
		c->overdue_incidents = store_col_int(s, q, 3);
		c->unmatched = store_col_int(s, q, 4);
	}
	s->drv->reset(q);
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
store_duties(struct store *s, int64_t from, int64_t to, int limit,
    store_duty_cb cb, void *arg)
{
	struct store_query	*q = store_q(s, SQL_DUTIES);
	struct store_duty_visit	 v = { cb, arg };

	store_bind_int(s, q, 1, from);
	store_bind_int(s, q, 2, to);
	store_bind_int(s, q, 3, limit);
	return (store_q_each(s, q, store_duty_visit, &v));
}
