/*
 * LEGACY, removed in phase 2 of issue 15 (with include/store-legacy.h):
 * the generic store API of before, statements by enum with format-string
 * binds, for the callers not yet converted to store.h's domain calls.
 * Its statements are prepared on the SQLite driver's connection, beside
 * the domain ones, and share its transactions.
 */
#include <stdarg.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "log.h"
#include "store-driver.h"
#include "store-legacy.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

#define INCIDENT_COLS "key, unit, category, procedures, grade, worst_grade, " \
	"state, title, opened_at, occurred_at, acked_at, acked_by, " \
	"resolved_at, updated_at, pruned_at"
#define OBLIGATION_COLS "id, incident, recurring, unit, procedure, name, " \
	"title, owner, on_breach, set_at, due_at, close_at, met_at, " \
	"met_event, status"
#define ESCALATION_COLS "id, incident, obligation, policy, started_at, " \
	"step, repeats, state"
#define OUTBOX_COLS "id, key, created_at, incident, obligation, channel, " \
	"recipient, role, body, status, attempts, next_at, deadline_at, " \
	"delivered_at, last_error"

static const char *store_sql[STMT__COUNT] = {
	[STMT_EVENT_FIND_ID] =
	    "SELECT seq, incident FROM events WHERE unit = ? AND id = ?",
	[STMT_EVENT_INSERT] =
	    "INSERT INTO events (id, type, incident, unit, received_at, "
	    "occurred_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
	[STMT_EVENTS_BY_INCIDENT] =
	    "SELECT seq, body FROM events WHERE incident = ? ORDER BY seq",
	[STMT_EVENT_COUNT] =
	    "SELECT count(*) FROM events",
	[STMT_INCIDENT_GET] =
	    "SELECT " INCIDENT_COLS " FROM incidents WHERE key = ?",
	[STMT_INCIDENT_INSERT] =
	    "INSERT INTO incidents (key, unit, category, procedures, grade, "
	    "worst_grade, title, opened_at, occurred_at, updated_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[STMT_INCIDENT_SET_GRADE] =
	    "UPDATE incidents SET grade = ?, worst_grade = ?, updated_at = ? "
	    "WHERE key = ?",
	[STMT_INCIDENT_TOUCH] =
	    "UPDATE incidents SET updated_at = ? WHERE key = ?",
	[STMT_INCIDENT_ACK] =
	    "UPDATE incidents SET acked_at = ?, acked_by = ?, updated_at = ? "
	    "WHERE key = ?",
	[STMT_INCIDENT_RESOLVE] =
	    "UPDATE incidents SET state = 'closed', resolved_at = ?, "
	    "updated_at = ? WHERE key = ?",
	/*
	 * A page of incidents, newest first: in the order they were stored,
	 * which is the order they were opened, on the rowid so that a page
	 * resumes after ?4 without a sort.  The filters are a column, so a
	 * page can stop reading at a row it does not show (api-page.c).
	 */
	[STMT_INCIDENT_LIST] =
	    "SELECT " INCIDENT_COLS ", ((?1 = 'all' OR state = ?1) AND "
	    "(?2 IS NULL OR unit = ?2) AND (?3 IS NULL OR category = ?3)), "
	    "rowid FROM incidents WHERE rowid < ?4 ORDER BY rowid DESC "
	    "LIMIT ?5",
	[STMT_INCIDENT_COUNT_OPEN] =
	    "SELECT count(*) FROM incidents WHERE state = 'open'",
	/* Reads a page of the database and no more: /healthz asks it. */
	[STMT_STORE_PING] =
	    "SELECT count(*) FROM (SELECT seq FROM events ORDER BY seq DESC "
	    "LIMIT 1)",
	[STMT_INCIDENTS_OPEN_BY_GRADE] =
	    "SELECT grade, count(*) FROM incidents WHERE state = 'open' "
	    "GROUP BY grade",
	[STMT_OBLIGATION_INSERT] =
	    "INSERT INTO obligations (incident, recurring, unit, procedure, "
	    "name, title, owner, on_breach, set_at, due_at, close_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[STMT_OBLIGATION_GET] =
	    "SELECT " OBLIGATION_COLS " FROM obligations WHERE id = ?",
	[STMT_OBLIGATION_SET_STATUS] =
	    "UPDATE obligations SET status = ?, met_at = ?, met_event = ? "
	    "WHERE id = ?",
	[STMT_OBLIGATION_SET_DUE] =
	    "UPDATE obligations SET due_at = ? WHERE id = ?",
	[STMT_OBLIGATIONS_OPEN_BY_INCIDENT] =
	    "SELECT " OBLIGATION_COLS " FROM obligations WHERE incident = ? "
	    "AND status IN ('pending', 'breached') ORDER BY id",
	[STMT_OBLIGATIONS_BY_INCIDENT] =
	    "SELECT " OBLIGATION_COLS " FROM obligations WHERE incident = ? "
	    "ORDER BY id",
	/* The planner would rather walk every recurring report's row. */
	[STMT_OBLIGATIONS_OPEN_BY_UNIT] =
	    "SELECT " OBLIGATION_COLS " FROM obligations INDEXED BY "
	    "obligations_unit WHERE unit = ? "
	    "AND incident IS NULL AND status IN ('pending', 'breached') "
	    "ORDER BY id",
	/* Has the unit ever owed a recurring report (is it one we know)? */
	[STMT_UNIT_OWES_RECURRING] =
	    "SELECT 1 FROM obligations INDEXED BY obligations_unit WHERE "
	    "unit = ? AND incident IS NULL LIMIT 1",
	[STMT_OBLIGATION_COUNT_BY_STATUS] =
	    "SELECT status, count(*) FROM obligations WHERE status IN "
	    "('pending', 'breached') GROUP BY status",
	/*
	 * A page of the ledger on obligations_due (due_at, then the id the
	 * index carries): from ?1 (the range's start or the cursor's due
	 * time, whichever is later) past the cursor (?4, ?5), before ?2.
	 */
	[STMT_COMPLIANCE] =
	    "SELECT " OBLIGATION_COLS ", (?3 IS NULL OR unit = ?3) "
	    "FROM obligations WHERE due_at >= ?1 AND due_at < ?2 "
	    "AND (due_at > ?4 OR id > ?5) ORDER BY due_at, id LIMIT ?6",
	[STMT_OBLIGATIONS_BY_STATUS] =
	    "SELECT status, count(*) FROM obligations GROUP BY status",
	[STMT_RECURRING_FIND] =
	    "SELECT id, next_at FROM recurrings WHERE name = ?",
	[STMT_RECURRING_GET] =
	    "SELECT name, next_at FROM recurrings WHERE id = ?",
	[STMT_RECURRING_INSERT] =
	    "INSERT INTO recurrings (name, next_at) VALUES (?, ?)",
	[STMT_RECURRING_SET_NEXT] =
	    "UPDATE recurrings SET next_at = ? WHERE id = ?",
	/*
	 * The units a recurring report was owed by in its latest period
	 * before ?2: every instance of one period shares its due time.
	 */
	[STMT_RECURRING_PREVIOUS_UNITS] =
	    "SELECT unit, due_at FROM obligations WHERE incident IS NULL AND "
	    "recurring = ?1 AND due_at = (SELECT max(due_at) FROM obligations "
	    "WHERE incident IS NULL AND recurring = ?1 AND due_at < ?2) "
	    "ORDER BY id",
	[STMT_ESCALATION_INSERT] =
	    "INSERT INTO escalations (incident, obligation, policy, "
	    "started_at) VALUES (?, ?, ?, ?)",
	[STMT_ESCALATION_GET] =
	    "SELECT " ESCALATION_COLS " FROM escalations WHERE id = ?",
	[STMT_ESCALATION_UPDATE] =
	    "UPDATE escalations SET step = ?, repeats = ?, state = ? "
	    "WHERE id = ?",
	[STMT_ESCALATION_STOP] =
	    "UPDATE escalations SET state = 'stopped' WHERE id = ?",
	[STMT_ESCALATIONS_ACTIVE_BY_INCIDENT] =
	    "SELECT " ESCALATION_COLS " FROM escalations WHERE incident = ? "
	    "AND state = 'active' ORDER BY id",
	[STMT_ESCALATIONS_ACTIVE_BY_OBLIGATION] =
	    "SELECT " ESCALATION_COLS " FROM escalations WHERE obligation = ? "
	    "AND state = 'active' ORDER BY id",
	[STMT_ESCALATIONS_BY_INCIDENT] =
	    "SELECT " ESCALATION_COLS " FROM escalations WHERE incident = ? "
	    "ORDER BY id",
	[STMT_TIMER_INSERT] =
	    "INSERT INTO timers (at, kind, ref) VALUES (?, ?, ?)",
	[STMT_TIMER_GET] =
	    "SELECT at, kind, ref FROM timers WHERE id = ?",
	[STMT_TIMER_DELETE] =
	    "DELETE FROM timers WHERE id = ?",
	[STMT_TIMER_DELETE_REF] =
	    "DELETE FROM timers WHERE kind = ? AND ref = ?",
	[STMT_TIMER_FIND_REF] =
	    "SELECT id FROM timers WHERE kind = ? AND ref = ?",
	[STMT_TIMERS_ALL] =
	    "SELECT id, at FROM timers",
	[STMT_TIMER_NEXT] =
	    "SELECT id, at, kind, ref FROM timers ORDER BY at, id LIMIT 1",
	[STMT_TIMER_COUNT] =
	    "SELECT count(*) FROM timers",
	[STMT_TIMELINE_INSERT] =
	    "INSERT INTO timeline (at, kind, incident, obligation, body) "
	    "VALUES (?, ?, ?, ?, ?)",
	[STMT_TIMELINE_BY_INCIDENT] =
	    "SELECT body FROM timeline WHERE incident = ? ORDER BY seq",
	[STMT_OUTBOX_INSERT] =
	    "INSERT INTO outbox (key, created_at, incident, obligation, "
	    "channel, recipient, role, body, next_at, deadline_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	/*
	 * One arm per status, so that each walks outbox_due in order and the
	 * two are merged: with IN, SQLite sorted every due row on each scan.
	 */
	[STMT_OUTBOX_DUE] =
	    "SELECT " OUTBOX_COLS " FROM outbox WHERE status = 'queued' AND "
	    "next_at <= ?1 UNION ALL SELECT " OUTBOX_COLS " FROM outbox WHERE "
	    "status = 'failed' AND next_at <= ?1 ORDER BY next_at, id LIMIT ?2",
	[STMT_OUTBOX_SET_SENDING] =
	    "UPDATE outbox SET status = 'sending', attempts = attempts + 1 "
	    "WHERE id = ?",
	[STMT_OUTBOX_SET_RESULT] =
	    "UPDATE outbox SET status = ?, next_at = ?, delivered_at = ?, "
	    "last_error = ? WHERE id = ?",
	[STMT_OUTBOX_RESET_SENDING] =
	    "UPDATE outbox SET status = 'queued' WHERE status = 'sending'",
	[STMT_OUTBOX_NEXT_AT] =
	    "SELECT min(next_at) FROM outbox WHERE status IN ('queued', "
	    "'failed')",
	/* A page of the outbox, newest first, before id ?3 (?1 unused). */
	[STMT_OUTBOX_LIST] =
	    "SELECT " OUTBOX_COLS ", (?2 IS NULL OR status = ?2) FROM outbox "
	    "WHERE id < ?3 ORDER BY id DESC LIMIT ?4",
	/* The same for one incident, on outbox_incident (incident, id). */
	[STMT_OUTBOX_LIST_BY_INCIDENT] =
	    "SELECT " OUTBOX_COLS ", (?2 IS NULL OR status = ?2) FROM outbox "
	    "WHERE incident = ?1 AND id < ?3 ORDER BY id DESC LIMIT ?4",
	[STMT_OUTBOX_GET] =
	    "SELECT " OUTBOX_COLS " FROM outbox WHERE id = ?",
	[STMT_OUTBOX_COUNT_BY_STATUS] =
	    "SELECT status, count(*) FROM outbox GROUP BY status",
	[STMT_OUTBOX_DEPTH] =
	    "SELECT status, count(*) FROM outbox WHERE status IN ('queued', "
	    "'sending', 'failed') GROUP BY status",
	[STMT_ATTEMPT_INSERT] =
	    "INSERT INTO attempts (outbox, at, result, detail) "
	    "VALUES (?, ?, ?, ?)",
	[STMT_ACK_LINK_INSERT] =
	    "INSERT INTO ack_links (token, incident, recipient, created_at) "
	    "VALUES (?, ?, ?, ?)",
	[STMT_ACK_LINK_GET] =
	    "SELECT incident, recipient FROM ack_links WHERE token = ?",
	[STMT_DB_PAGES] =
	    "SELECT page_count, freelist_count, page_size FROM "
	    "pragma_page_count(), pragma_freelist_count(), pragma_page_size()",
	/*
	 * Retention.  Candidates are closed incidents resolved before ?1,
	 * after the cursor (?2 resolved_at, ?3 key); ?4 = 1 takes those
	 * already pruned too (their ledger is being dropped).  The rest
	 * delete one incident's rows; timer kinds are engine.h's (1..3 an
	 * obligation's, 4 an escalation's).
	 */
	[STMT_PRUNE_CANDIDATES] =
	    "SELECT key, resolved_at FROM incidents WHERE state = 'closed' "
	    "AND resolved_at < ?1 AND (resolved_at > ?2 OR (resolved_at = ?2 "
	    "AND key > ?3)) AND (?4 = 1 OR pruned_at IS NULL) "
	    "ORDER BY resolved_at, key LIMIT ?5",
	[STMT_PRUNE_BUSY] =
	    "SELECT EXISTS (SELECT 1 FROM outbox WHERE incident = ? AND "
	    "status IN ('queued', 'sending', 'failed'))",
	[STMT_PRUNE_ATTEMPTS] =
	    "DELETE FROM attempts WHERE outbox IN (SELECT id FROM outbox "
	    "WHERE incident = ?)",
	[STMT_PRUNE_OUTBOX] =
	    "DELETE FROM outbox WHERE incident = ?",
	[STMT_PRUNE_TIMERS] =
	    "DELETE FROM timers WHERE (kind IN (1, 2, 3) AND ref IN (SELECT id "
	    "FROM obligations WHERE incident = ?1)) OR (kind = 4 AND ref IN "
	    "(SELECT id FROM escalations WHERE incident = ?1))",
	[STMT_PRUNE_ESCALATIONS] =
	    "DELETE FROM escalations WHERE incident = ?",
	[STMT_PRUNE_ACK_LINKS] =
	    "DELETE FROM ack_links WHERE incident = ?",
	[STMT_PRUNE_EVENTS] =
	    "DELETE FROM events WHERE incident = ?",
	[STMT_PRUNE_TIMELINE] =
	    "DELETE FROM timeline WHERE incident = ?",
	[STMT_PRUNE_OBLIGATIONS] =
	    "DELETE FROM obligations WHERE incident = ?",
	[STMT_PRUNE_INCIDENT] =
	    "DELETE FROM incidents WHERE key = ?",
	[STMT_PRUNE_MARK] =
	    "UPDATE incidents SET pruned_at = ?2 WHERE key = ?1 AND "
	    "pruned_at IS NULL",
	/*
	 * The duty-room board: each open incident with its nearest open
	 * obligation (breached ones first, then by due time) and the
	 * escalation that climbed highest, the running one before a stopped
	 * one.  Incidents with nothing pending follow, the gravest first;
	 * a report no procedure took, not yet acknowledged, comes before all.
	 */
	[STMT_BOARD] =
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
	[STMT_BOARD_COUNTS] =
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
	 */
	[STMT_BOARD_DUTIES] =
	    "SELECT o.recurring, o.title, o.unit, o.due_at, o.close_at, "
	    "o.status, o.met_at, json_extract(e.body, '$.zero') "
	    "FROM obligations o LEFT JOIN events e ON e.seq = o.met_event "
	    "WHERE o.id IN (SELECT id FROM obligations WHERE due_at >= ?1 AND "
	    "due_at < ?2 UNION SELECT id FROM obligations WHERE status IN "
	    "('pending', 'breached')) AND o.incident IS NULL "
	    "ORDER BY o.recurring, o.due_at, o.unit, o.id LIMIT ?3",
};


struct store_legacy {
	sqlite3		*db;
	sqlite3_stmt	*stmts[STMT__COUNT];
};

struct store_legacy *
store_legacy_new(struct store_conn *c, char **cause)
{
	struct store_legacy	*l;
	size_t			 i;

	l = xcalloc(1, sizeof(*l));
	l->db = store_sqlite_handle(c);
	for (i = 0; i < STMT__COUNT; i++) {
		if (sqlite3_prepare_v3(l->db, store_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &l->stmts[i], NULL) !=
		    SQLITE_OK) {
			xasprintf(cause, "preparing statement %zu: %s", i,
			    sqlite3_errmsg(l->db));
			store_legacy_free(l);
			return (NULL);
		}
	}
	return (l);
}

void
store_legacy_free(struct store_legacy *l)
{
	size_t	i;

	if (l == NULL)
		return;
	for (i = 0; i < STMT__COUNT; i++)
		sqlite3_finalize(l->stmts[i]);
	free(l);
}

static int
store_bind(struct store *s, sqlite3_stmt *st, const char *fmt, va_list ap)
{
	const char	*text;
	int		 i, rc = SQLITE_OK;

	for (i = 1; fmt != NULL && *fmt != '\0' && rc == SQLITE_OK; fmt++,
	    i++) {
		switch (*fmt) {
		case 'i':
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 'd':
			rc = sqlite3_bind_int(st, i, va_arg(ap, int));
			break;
		case 't':
			text = va_arg(ap, const char *);
			rc = text == NULL ? sqlite3_bind_null(st, i) :
			    sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
			break;
		case 'n':
			rc = sqlite3_bind_null(st, i);
			break;
		default:
			fatalx("store_bind: bad format character '%c'", *fmt);
		}
	}
	if (rc != SQLITE_OK) {
		log_warnx("store: cannot bind parameter=%d error=%s", i - 1,
		    sqlite3_errmsg(store_legacy_of(s)->db));
		return (-1);
	}
	return (0);
}

static sqlite3_stmt *
store_vstmt(struct store *s, enum store_stmt which, const char *fmt,
    va_list ap)
{
	sqlite3_stmt	*st = store_legacy_of(s)->stmts[which];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return (store_bind(s, st, fmt, ap) == 0 ? st : NULL);
}

/*
 * The statement, reset and bound, ready to step; NULL if binding failed.
 * Text is bound without a copy: it must outlive the statement's use.
 */
sqlite3_stmt *
store_stmt(struct store *s, enum store_stmt which, const char *fmt, ...)
{
	sqlite3_stmt	*st;
	va_list		 ap;

	va_start(ap, fmt);
	st = store_vstmt(s, which, fmt, ap);
	va_end(ap);
	return (st);
}

/* SQLITE_ROW, SQLITE_DONE, or -1 after logging the error. */
int
store_step(struct store *s, sqlite3_stmt *st)
{
	int	rc;

	if (st == NULL)
		return (-1);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return (rc);
	log_warnx("store: statement failed sql=%s error=%s", sqlite3_sql(st),
	    sqlite3_errmsg(store_legacy_of(s)->db));
	sqlite3_reset(st);
	return (-1);
}

/* Run a statement that returns no rows we want: 0, or -1 logged. */
int
store_run(struct store *s, enum store_stmt which, const char *fmt, ...)
{
	sqlite3_stmt	*st;
	va_list		 ap;
	int		 rc;

	va_start(ap, fmt);
	st = store_vstmt(s, which, fmt, ap);
	va_end(ap);
	if (st == NULL)
		return (-1);
	while ((rc = store_step(s, st)) == SQLITE_ROW)
		;
	sqlite3_reset(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

int64_t
store_last_id(struct store *s)
{
	return (sqlite3_last_insert_rowid(store_legacy_of(s)->db));
}

int
store_changes(struct store *s)
{
	return (sqlite3_changes(store_legacy_of(s)->db));
}

const char *
store_column_text(sqlite3_stmt *st, int col)
{
	return ((const char *)sqlite3_column_text(st, col));
}
