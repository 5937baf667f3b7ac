/*
 * The store's core: its drivers, opening and closing, transactions, the
 * table of statements with every SQL text, and the typed helpers with
 * which a domain call picks its statement, binds values, steps and reads
 * the row into a struct whose strings it owns (store-int.h).  The domain
 * calls of store.h live by concept: store-event.c, store-incident.c,
 * store-obligation.c, store-escalation.c, store-timer.c,
 * store-timeline.c, store-outbox.c, store-prune.c and store-read.c, each
 * written once over a driver (store-driver.h).  No statement leaves the
 * store's files.
 *
 * The SQL is portable where that costs nothing: numbered parameters,
 * INSERT ... RETURNING for new ids, 64-bit integers, state names bound
 * from the tables of status.c where a call sets them.  What is SQLite's
 * alone is marked "SQLite:" beside its statement (rowid, INDEXED BY,
 * json_extract); a second dialect gives those statements a text of its
 * own (a column per dialect in store_sql[], chosen by the driver's name).
 *
 * Every statement is prepared once, when the store opens, and reset after
 * each use (FreeBSD pkg's pkgdb.c).  A read a token's units scope says
 * "@SCOPE:column@" where it keeps some units' rows: prepared once with it
 * true, and for a call that names units with "column IN (?n, ...)",
 * placeholders made for it (store_q_scoped), which every dialect reads.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "store-driver.h"
#include "store-int.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

static const char *const store_sql[SQL__COUNT] = {
	/* Reads a page of the database and no more: /healthz asks it. */
	[SQL_PING] =
	    "SELECT count(*) FROM (SELECT seq FROM events ORDER BY seq DESC "
	    "LIMIT 1) AS newest",
	[SQL_EVENT_ADD] =
	    "INSERT INTO events (id, type, incident, unit, received_at, "
	    "occurred_at, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
	    "RETURNING seq",
	/*
	 * The event a unit sent under an id, and the incident under ?3, in
	 * one read: one row, the incident's columns (NULL when there is
	 * none) then the event's seq and incident.  SQLite: rowid.
	 */
	[SQL_EVENT_FIND_WITH_INCIDENT] =
	    "SELECT i.*, e.seq, e.incident FROM (SELECT 1 AS one) AS o "
	    "LEFT JOIN (SELECT " INCIDENT_COLS ", rowid FROM incidents WHERE "
	    "key = ?3) AS i ON 1 = 1 LEFT JOIN (SELECT seq, incident FROM "
	    "events WHERE unit = ?1 AND id = ?2) AS e ON 1 = 1",
	/*
	 * The same for a batch: ?1 a JSON array of [unit, id, key], a row
	 * each (in any order), its place in the array last.  SQLite: rowid.
	 */
	[SQL_EVENTS_FIND_MANY] =
	    "SELECT i.*, e.seq, e.incident, k.key FROM json_each(?1) AS k "
	    "LEFT JOIN (SELECT " INCIDENT_COLS ", rowid FROM incidents) AS i "
	    "ON i.key = json_extract(k.value, '$[2]') LEFT JOIN (SELECT seq, "
	    "incident, unit, id FROM events) AS e ON e.unit = "
	    "json_extract(k.value, '$[0]') AND e.id = json_extract(k.value, "
	    "'$[1]')",
	[SQL_EVENTS_OF_INCIDENT] =
	    "SELECT seq, id, type, incident, unit, received_at, occurred_at, "
	    "body FROM events WHERE incident = ?1 ORDER BY seq",
	[SQL_EVENTS_ALL] =
	    "SELECT seq, id, type, incident, unit, received_at, occurred_at, "
	    "body FROM events ORDER BY seq",
	[SQL_EVENT_COUNT] =
	    "SELECT count(*) FROM events",
	[SQL_INCIDENT_ADD] =
	    "INSERT INTO incidents (key, unit, category, procedures, grade, "
	    "worst_grade, title, opened_at, occurred_at, updated_at, drill) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
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
	 * Units kept from ?6.  SQLite: rowid.
	 */
	[SQL_INCIDENTS_PAGE] =
	    "SELECT " INCIDENT_COLS ", rowid, ((?1 = 'all' OR state = ?1) "
	    "AND (?2 IS NULL OR unit = ?2) AND (?3 IS NULL OR "
	    "category = ?3) AND @SCOPE:unit@) FROM incidents WHERE rowid < ?4 "
	    "ORDER BY rowid DESC LIMIT ?5",
	/*
	 * Incidents opened in [?1, ?2) per unit, and those opened more than
	 * ?3 ms after they occurred; units kept from ?5.  Drills are not
	 * reports: the statistics count what happened for real.  CASE, not
	 * a sum of booleans, which PostgreSQL refuses.
	 */
	[SQL_REPORT_COUNTS] =
	    "SELECT unit, count(*), sum(CASE WHEN opened_at - occurred_at > "
	    "?3 THEN 1 ELSE 0 END) "
	    "FROM incidents WHERE opened_at >= ?1 AND opened_at < ?2 AND "
	    "drill = 0 AND @SCOPE:unit@ GROUP BY unit ORDER BY unit LIMIT ?4",
	[SQL_OBLIGATION_ADD] =
	    "INSERT INTO obligations (incident, recurring, unit, procedure, "
	    "name, title, owner, on_breach, set_at, due_at, close_at, "
	    "instance, until_at, needed, drill) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "?14, ?15) RETURNING id",
	[SQL_OBLIGATION_GET] =
	    "SELECT " OBLIGATION_COLS " FROM obligations WHERE id = ?1",
	[SQL_OBLIGATION_SET_STATUS] =
	    "UPDATE obligations SET status = ?2, met_at = ?3, met_event = ?4 "
	    "WHERE id = ?1",
	[SQL_OBLIGATION_SET_DUE] =
	    "UPDATE obligations SET due_at = ?2 WHERE id = ?1",
	[SQL_OBLIGATION_SET_PROGRESS] =
	    "UPDATE obligations SET met_count = ?2, met_mask = ?3 WHERE id = ?1",
	[SQL_OBLIGATION_SERIES_LAST] =
	    "SELECT " OBLIGATION_COLS " FROM obligations WHERE incident = ?1 "
	    "AND procedure = ?2 AND name = ?3 AND instance > 0 "
	    "ORDER BY instance DESC LIMIT 1",
	[SQL_CLOCK_SET] =
	    "INSERT INTO obligation_clocks (obligation, base, kind, length, "
	    "paused_at, paused_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
	    "ON CONFLICT (obligation) DO UPDATE SET base = excluded.base, "
	    "kind = excluded.kind, length = excluded.length, "
	    "paused_at = excluded.paused_at, paused_ms = excluded.paused_ms",
	[SQL_CLOCK_GET] =
	    "SELECT base, kind, length, paused_at, paused_ms FROM "
	    "obligation_clocks WHERE obligation = ?1",
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
	 * Drills kept when drill is in [?7, ?8].  Units kept from ?9.
	 */
	[SQL_LEDGER_PAGE] =
	    "SELECT " OBLIGATION_COLS ", ((?3 IS NULL OR unit = ?3) "
	    "AND drill BETWEEN ?7 AND ?8 "
	    "AND @SCOPE:unit@), (SELECT paused_ms FROM obligation_clocks "
	    "WHERE obligation = obligations.id) "
	    "FROM obligations WHERE due_at >= ?1 AND due_at < ?2 "
	    "AND (due_at > ?4 OR id > ?5) ORDER BY due_at, id LIMIT ?6",
	/*
	 * The ledger counted per unit and status over [?1, ?2), on
	 * obligations_due; drills kept when drill is in [?4, ?5]; units
	 * kept from ?6.
	 */
	[SQL_LEDGER_COUNTS] =
	    "SELECT unit, status, count(*) FROM obligations WHERE "
	    "due_at >= ?1 AND due_at < ?2 AND drill BETWEEN ?4 AND ?5 "
	    "AND @SCOPE:unit@ "
	    "GROUP BY unit, status ORDER BY unit, status LIMIT ?3",
	/*
	 * Where a slice of the ledger's counts ends: the due time of the
	 * ?3-th obligation due in [?1, ?2), read on obligations_due alone,
	 * so a slice of n rows costs n index entries to find.
	 */
	[SQL_LEDGER_SLICE_END] =
	    "SELECT due_at FROM obligations WHERE due_at >= ?1 AND "
	    "due_at < ?2 ORDER BY due_at LIMIT 1 OFFSET ?3",
	/*
	 * A slice of the statistics' incidents: ?3 past rowid ?1 in the
	 * order they were stored (no index on opened_at: the caller finds
	 * each one's month), whether it was opened more than ?2 ms after it
	 * occurred, and whether it is counted: not a drill, its unit kept
	 * (from ?4) -- a column, so that a slice is ?3 rows whoever asks.
	 * SQLite: rowid.
	 */
	[SQL_REPORT_SLICE] =
	    "SELECT rowid, unit, opened_at, CASE WHEN opened_at - "
	    "occurred_at > ?2 THEN 1 ELSE 0 END, CASE WHEN drill = 0 AND "
	    "@SCOPE:unit@ THEN 1 ELSE 0 END FROM incidents WHERE rowid > ?1 "
	    "ORDER BY rowid LIMIT ?3",
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
	[SQL_ESCALATION_RESTART] =
	    "UPDATE escalations SET started_at = ?2 WHERE id = ?1",
	[SQL_ESCALATIONS_OF_INCIDENT] =
	    "SELECT " ESCALATION_COLS " FROM escalations WHERE incident = ?1 "
	    "ORDER BY id",
	[SQL_ESCALATIONS_ACTIVE_OF_INCIDENT] =
	    "SELECT " ESCALATION_COLS " FROM escalations WHERE incident = ?1 "
	    "AND state = 'active' ORDER BY id",
	[SQL_ESCALATIONS_ACTIVE_OF_OBLIGATION] =
	    "SELECT " ESCALATION_COLS " FROM escalations WHERE "
	    "obligation = ?1 AND state = 'active' ORDER BY id",
	[SQL_PERSONAL_ADD] =
	    "INSERT INTO personal_sends (incident, obligation, person, step, "
	    "role, reason, policy, policy_step, repeat, due_at) VALUES (?1, "
	    "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
	[SQL_PERSONAL_GET] =
	    "SELECT " PERSONAL_COLS " FROM personal_sends WHERE id = ?1",
	[SQL_PERSONAL_SET_STATE] =
	    "UPDATE personal_sends SET state = ?2 WHERE id = ?1 AND "
	    "state = 'pending'",
	[SQL_PERSONAL_PENDING] =
	    "SELECT 1 FROM personal_sends WHERE person = ?3 AND "
	    "state = 'pending' AND (incident = ?1 OR (?1 IS NULL AND "
	    "obligation = ?2)) LIMIT 1",
	[SQL_PERSONALS_PENDING_OF_INCIDENT] =
	    "SELECT " PERSONAL_COLS " FROM personal_sends WHERE "
	    "incident = ?1 AND state = 'pending' ORDER BY id",
	[SQL_PERSONALS_PENDING_OF_OBLIGATION] =
	    "SELECT " PERSONAL_COLS " FROM personal_sends WHERE "
	    "obligation = ?1 AND state = 'pending' ORDER BY id",
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
	 * One arm per status, each ordered and limited on its own so that it
	 * walks outbox_due in order and stops at the page's end, whatever the
	 * planner believes of the table: with IN, SQLite sorted every due row
	 * on each scan, and PostgreSQL, its statistics taken before a backlog
	 * grew, read and sorted all of them.  A page starts after (?3, ?4),
	 * the last row of the page before.
	 */
#define DUE_ARM(status)							\
	"SELECT * FROM (SELECT " OUTBOX_COLS " FROM outbox WHERE "	\
	"status = '" status "' AND next_at <= ?1 AND next_at >= ?3 AND " \
	"(next_at > ?3 OR id > ?4) ORDER BY next_at, id LIMIT ?2) AS " status
	[SQL_MESSAGES_DUE] =
	    DUE_ARM("queued") " UNION ALL " DUE_ARM("failed")
	    " ORDER BY next_at, id LIMIT ?2",
#undef DUE_ARM
	[SQL_MESSAGE_SENDING] =
	    "UPDATE outbox SET status = ?2, attempts = attempts + 1 "
	    "WHERE id = ?1",
	[SQL_MESSAGE_RESULT] =
	    "UPDATE outbox SET status = ?2, next_at = ?3, delivered_at = ?4, "
	    "last_error = ?5 WHERE id = ?1",
	[SQL_MESSAGES_REQUEUE] =
	    "UPDATE outbox SET status = 'queued' WHERE status = 'sending'",
	/*
	 * The first entry of each status in outbox_due.  Not min(): with
	 * statistics taken before a backlog grew, PostgreSQL counted through
	 * every queued row for it (4 ms at 5,700).
	 */
	[SQL_MESSAGES_NEXT_AT] =
	    "SELECT min(m) FROM (SELECT (SELECT next_at FROM outbox WHERE "
	    "status = 'queued' ORDER BY next_at LIMIT 1) AS m UNION ALL "
	    "SELECT (SELECT next_at FROM outbox WHERE status = 'failed' "
	    "ORDER BY next_at LIMIT 1)) AS due",
	/*
	 * The oldest message not yet delivered: ids grow with created_at,
	 * and the smallest id of each status is read off outbox_due alone.
	 */
	[SQL_MESSAGES_OLDEST] =
	    "SELECT created_at, channel FROM outbox WHERE id = (SELECT "
	    "min(id) FROM outbox WHERE status IN ('queued', 'sending', "
	    "'failed'))",
	[SQL_MESSAGES_COUNT] =
	    "SELECT status, count(*) FROM outbox GROUP BY status",
	[SQL_MESSAGES_DEPTH] =
	    "SELECT status, count(*) FROM outbox WHERE status IN ('queued', "
	    "'sending', 'failed') GROUP BY status",
	/*
	 * A page of the outbox, newest first, before id ?2.  A message's
	 * unit is its incident's, or its recurring report's; units kept
	 * from ?5.
	 */
	[SQL_MESSAGES_PAGE] =
	    "SELECT " OUTBOX_COLS ", ((?1 IS NULL OR status = ?1) AND "
	    "@SCOPE:" OUTBOX_UNIT "@), " OUTBOX_RECEIPT_COLS " FROM outbox "
	    "WHERE id < ?2 ORDER BY id DESC LIMIT ?3",
	/* The same for one incident, on outbox_incident (incident, id). */
	[SQL_MESSAGES_PAGE_OF_INCIDENT] =
	    "SELECT " OUTBOX_COLS ", ((?1 IS NULL OR status = ?1) AND "
	    "@SCOPE:" OUTBOX_UNIT "@), " OUTBOX_RECEIPT_COLS " FROM outbox "
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
	[SQL_RECEIPT_EXPECT] =
	    "INSERT OR IGNORE INTO receipts (channel, ref, outbox) "
	    "VALUES (?1, ?2, ?3)",
	[SQL_RECEIPT_RECORD] =
	    "UPDATE receipts SET status = ?3, detail = ?4, received_at = ?5 "
	    "WHERE channel = ?1 AND ref = ?2",
	[SQL_RECEIPT_FIND] =
	    "SELECT outbox FROM receipts WHERE channel = ?1 AND ref = ?2",
	[SQL_RECEIPT_SEEN] =
	    "SELECT count(*) FROM receipts WHERE channel = ?1 AND ref = ?2 "
	    "AND status = ?3",
	/*
	 * The messages delivered to a person still within their deadline,
	 * newest first, on outbox_recipient: the caller takes the first on
	 * a channel that reaches a phone.
	 */
	[SQL_REPLY_TARGETS] =
	    "SELECT incident, channel FROM outbox WHERE recipient = ?1 AND "
	    "status = 'delivered' AND deadline_at >= ?2 AND incident IS NOT "
	    "NULL ORDER BY id DESC LIMIT 64",
	[SQL_REPLY_ADD] =
	    "INSERT INTO replies (channel, phone, person, text, received_at, "
	    "incident, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
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
	[SQL_PRUNE_TIMERS_OF_PERSONAL] =
	    "DELETE FROM timers WHERE kind = ?2 AND ref IN (SELECT id FROM "
	    "personal_sends WHERE incident = ?1)",
	[SQL_PRUNE_PERSONAL] =
	    "DELETE FROM personal_sends WHERE incident = ?1",
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
	 * Units kept from ?2.
	 */
	[SQL_BOARD] =
	    "SELECT i.key, i.unit, i.category, i.title, i.grade, i.opened_at, "
	    "i.occurred_at, i.acked_at, i.acked_by, o.name, o.title, o.due_at, "
	    "o.status, (SELECT count(*) FROM obligations WHERE incident = i.key "
	    "AND status IN ('pending', 'breached')), (SELECT count(*) FROM "
	    "obligations WHERE incident = i.key AND status = 'breached'), "
	    "e.policy, e.step, e.repeats, e.state, i.procedures = '[]', "
	    "i.drill FROM incidents i "
	    "LEFT JOIN obligations o ON o.id = (SELECT id FROM obligations "
	    "WHERE incident = i.key AND status IN ('pending', 'breached') "
	    "ORDER BY status = 'breached' DESC, due_at, id LIMIT 1) "
	    "LEFT JOIN escalations e ON e.id = (SELECT id FROM escalations "
	    "WHERE incident = i.key AND step > 0 ORDER BY state = 'active' "
	    "DESC, step DESC, repeats DESC, id DESC LIMIT 1) "
	    "WHERE i.state = 'open' AND @SCOPE:i.unit@ "
	    "ORDER BY (i.procedures = '[]' AND "
	    "i.acked_at IS NULL) DESC, o.id IS NULL, "
	    "o.status = 'breached' DESC, o.due_at, i.grade = 0, i.grade, "
	    "i.opened_at, i.key LIMIT ?1",
	/*
	 * Open incidents, unacknowledged ones, breached obligations (of
	 * incidents and of recurring reports: /v1/status's number), open
	 * incidents with one breached, unacknowledged unmatched ones, and
	 * open drills; then the drills' share of the unacknowledged, the
	 * breached obligations, the incidents with one and the unmatched.
	 * Units kept from ?1.
	 */
	[SQL_BOARD_COUNTS] =
	    "SELECT count(*), coalesce(sum(acked_at IS NULL), 0), "
	    "(SELECT count(*) FROM obligations WHERE status = 'breached' "
	    "AND @SCOPE:unit@), "
	    "coalesce(sum(EXISTS (SELECT 1 FROM obligations o WHERE "
	    "o.incident = i.key AND o.status = 'breached')), 0), "
	    "coalesce(sum(procedures = '[]' AND acked_at IS NULL), 0), "
	    "coalesce(sum(drill), 0), "
	    "coalesce(sum(drill <> 0 AND acked_at IS NULL), 0), "
	    "(SELECT count(*) FROM obligations WHERE status = 'breached' "
	    "AND drill <> 0 AND @SCOPE:unit@), "
	    "coalesce(sum(drill <> 0 AND EXISTS (SELECT 1 FROM obligations o "
	    "WHERE o.incident = i.key AND o.status = 'breached')), 0), "
	    "coalesce(sum(drill <> 0 AND procedures = '[]' AND "
	    "acked_at IS NULL), 0) "
	    "FROM incidents i WHERE state = 'open' AND @SCOPE:i.unit@",
	/*
	 * The recurring reports owed today ([?1, ?2)) and any still open
	 * from earlier, per unit; a zero report is told by the event that
	 * met the obligation.  Found through the due-time and status
	 * indexes: every recurring report of every past day has no incident.
	 * Units kept from ?4.  SQLite: json_extract.
	 */
	[SQL_DUTIES] =
	    "SELECT o.recurring, o.title, o.unit, o.due_at, o.close_at, "
	    "o.status, o.met_at, json_extract(e.body, '$.zero') "
	    "FROM obligations o LEFT JOIN events e ON e.seq = o.met_event "
	    "WHERE o.id IN (SELECT id FROM obligations WHERE due_at >= ?1 AND "
	    "due_at < ?2 UNION SELECT id FROM obligations WHERE status IN "
	    "('pending', 'breached')) AND o.incident IS NULL "
	    "AND @SCOPE:o.unit@ "
	    "ORDER BY o.recurring, o.due_at, o.unit, o.id LIMIT ?3",
	/* The spool inbox (store-inbox.c): a standby's files, in order. */
	[SQL_INBOX_ADD] =
	    "INSERT INTO spool_inbox (node, name, id_prefix, body, "
	    "received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	[SQL_INBOX_LIST] =
	    "SELECT id, node, name, id_prefix, body, received_at FROM "
	    "spool_inbox WHERE id > ?1 ORDER BY id LIMIT ?2",
	[SQL_INBOX_DELETE] =
	    "DELETE FROM spool_inbox WHERE id = ?1",
	[SQL_INBOX_COUNT] =
	    "SELECT count(*) FROM spool_inbox",
};

/* The drivers, looked up by the path each handles: the first one wins. */
static const struct store_driver *const store_drivers[] = {
	&store_pg_driver,
	&store_sqlite_driver,
};

/* The statement's text in the store's dialect. */
static const char *
store_sql_text(const struct store *s, enum store_sql which)
{
	if (s->drv->sql != NULL && s->drv->sql[which] != NULL)
		return (s->drv->sql[which]);
	return (store_sql[which]);
}

static store_lost_cb	 store_lost_hook;
static void		*store_lost_arg;

void
store_on_lost(store_lost_cb cb, void *arg)
{
	store_lost_hook = cb;
	store_lost_arg = arg;
}

/*
 * The database is gone from under the store (a PostgreSQL primary that
 * went away or became read-only; a COMMIT whose outcome is unknown).
 * Nothing the store does next can be trusted to commit, so without a
 * hook the daemon exits non-zero (EX_TEMPFAIL) for its service manager to
 * start it again: the restart path recovers the outbox and the timers
 * from what did commit.  The hook is where a leader steps down instead.
 */
void
store_lost(const char *sqlstate, const char *why)
{
	log_warnx("store: the database is lost sqlstate=%s error=%s",
	    sqlstate != NULL ? sqlstate : "none", why);
	if (store_lost_hook != NULL) {
		store_lost_hook(sqlstate, store_lost_arg);
		return;
	}
	log_warnx("store: exiting for the service manager to restart "
	    "the daemon");
	exit(75);
}

/* ---- leadership: the lease, on a driver that has one ---------------- */

int
store_lease_set(struct store *s, const char *holder, int64_t period,
    char **cause)
{
	if (s->drv->lease_set == NULL)
		return (0);
	return (s->drv->lease_set(s->conn, holder, period, cause));
}

/* Does the store keep a lease at all (PostgreSQL)?  SQLite always leads. */
int
store_has_lease(struct store *s)
{
	return (s->drv->lease_set != NULL);
}

int
store_lease_take(struct store *s)
{
	return (s->drv->lease_take != NULL ? s->drv->lease_take(s->conn) : 1);
}

int
store_lease_renew(struct store *s)
{
	return (s->drv->lease_renew != NULL ?
	    s->drv->lease_renew(s->conn) : 0);
}

/* At a clean stop: the next node need not wait out the period. */
void
store_lease_release(struct store *s)
{
	if (s->drv->lease_release != NULL)
		s->drv->lease_release(s->conn);
}

int
store_may_send(struct store *s)
{
	return (s->drv->may_send != NULL ? s->drv->may_send(s->conn) : 1);
}

/* This node leads (what it knows; no round trip): a standby refuses writes. */
int
store_leads(struct store *s)
{
	return (s->drv->lease_read == NULL ||
	    s->drv->lease_read(s->conn, NULL) == 1);
}

int
store_lease_read(struct store *s, struct store_lease *l)
{
	memset(l, 0, sizeof(*l));
	if (s->drv->lease_read == NULL) {
		l->leader = 1;
		return (0);
	}
	return (s->drv->lease_read(s->conn, l) < 0 ? -1 : 0);
}

void
store_lease_clear(struct store_lease *l)
{
	free(l->holder);
	l->holder = NULL;
}

/* ---- statements: bind, step, read ------------------------------------ */

/* The statement, ready to bind: every use ends with a reset. */
struct store_query *
store_q(struct store *s, enum store_sql which)
{
	s->bad = 0;
	return (s->q[which]);
}

#define STORE_SCOPE	"@SCOPE:"

/*
 * sql with each "@SCOPE:column@" made a condition: true (units NULL), or
 * "column IN (?first, ...)" over n placeholders, false for none.
 */
static char *
store_sql_scoped(const char *sql, int first, const struct store_units *u)
{
	const char	*at, *col, *end;
	char		*out = xstrdup(""), *next, *in = NULL, *more;
	size_t		 i;

	if (u != NULL) {
		for (i = 0; i < u->n; i++) {
			xasprintf(&more, "%s%s?%d", in != NULL ? in : "",
			    i ? ", " : "", first + (int)i);
			free(in);
			in = more;
		}
	}
	while ((at = strstr(sql, STORE_SCOPE)) != NULL &&
	    (end = strchr(at + strlen(STORE_SCOPE), '@')) != NULL) {
		col = at + strlen(STORE_SCOPE);
		if (u == NULL)
			xasprintf(&next, "%s%.*s1 = 1", out, (int)(at - sql),
			    sql);
		else if (in == NULL)
			xasprintf(&next, "%s%.*s1 = 0", out, (int)(at - sql),
			    sql);
		else
			xasprintf(&next, "%s%.*s%.*s IN (%s)", out,
			    (int)(at - sql), sql, (int)(end - col), col, in);
		free(out);
		out = next;
		sql = end + 1;
	}
	xasprintf(&next, "%s%s", out, sql);
	free(out);
	free(in);
	return (next);
}

/*
 * A statement that keeps the rows of some units, the units bound from
 * ?first on: the one prepared at open for every unit (u NULL), or one
 * made for this call, which store_q_done finalizes.  NULL, logged, when
 * it could not be made.
 */
struct store_query *
store_q_scoped(struct store *s, enum store_sql which, int first,
    const struct store_units *u)
{
	struct store_query	*q;
	char			*sql, *cause = NULL;
	size_t			 i;

	if (u == NULL)
		return (store_q(s, which));
	sql = store_sql_scoped(store_sql_text(s, which), first, u);
	q = s->drv->prepare(s->conn, sql, &cause);
	free(sql);
	if (q == NULL) {
		log_warnx("store: a scoped read: %s", cause);
		free(cause);
		return (NULL);
	}
	s->bad = 0;
	for (i = 0; i < u->n; i++)
		store_bind_text(s, q, first + (int)i, u->v[i]);
	return (q);
}

/* After the last use of a statement store_q_scoped gave. */
void
store_q_done(struct store *s, enum store_sql which, struct store_query *q)
{
	if (q != NULL && q != s->q[which]) {
		s->drv->reset(q);
		s->drv->finalize(q);
	}
}

void
store_bind_int(struct store *s, struct store_query *q, int i, int64_t v)
{
	if (s->drv->bind_int64(q, i, v) != 0)
		s->bad = 1;
}

/* A text; NULL binds NULL. */
void
store_bind_text(struct store *s, struct store_query *q, int i, const char *v)
{
	if ((v != NULL ? s->drv->bind_text(q, i, v) :
	    s->drv->bind_null(q, i)) != 0)
		s->bad = 1;
}

/* A time or a row id that may be none: 0 binds NULL. */
void
store_bind_opt(struct store *s, struct store_query *q, int i, int64_t v)
{
	if ((v != 0 ? s->drv->bind_int64(q, i, v) :
	    s->drv->bind_null(q, i)) != 0)
		s->bad = 1;
}

/* 1 for a row, 0 when done, -1 when binding or the statement failed. */
int
store_q_step(struct store *s, struct store_query *q)
{
	if (s->bad) {
		s->drv->reset(q);
		return (-1);
	}
	return (s->drv->step(q));
}

/* Run a statement that returns no rows: 0, or -1. */
int
store_q_run(struct store *s, struct store_query *q)
{
	int	rc = store_q_step(s, q);

	s->drv->reset(q);
	return (rc < 0 ? -1 : 0);
}

/* Run a statement that returns one integer (an id, a count) into *v. */
int
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
int
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

char *
store_col_text(struct store *s, struct store_query *q, int col)
{
	const char	*v = s->drv->column_text(q, col);

	return (v != NULL ? xstrdup(v) : NULL);
}

int64_t
store_col_int(struct store *s, struct store_query *q, int col)
{
	return (s->drv->column_int64(q, col));
}

/*
 * A state column through its table of names.  The store writes only
 * names from the tables, so another is a database changed behind our
 * back: logged, and the row fails.
 */
int
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
int
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
	char		*text;
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
		text = store_sql_scoped(store_sql_text(s, i), 0, NULL);
		s->q[i] = s->drv->prepare(s->conn, text, cause);
		free(text);
		if (s->q[i] == NULL)
			goto fail;
	}
	return (s);
fail:
	store_close(s);
	return (NULL);
}

/* Was store_open's failure, cause, the database out of reach for now? */
int
store_open_transient(const char *path, const char *cause)
{
	size_t	i;

	for (i = 0; i < nitems(store_drivers); i++) {
		if (store_drivers[i]->handles(path))
			return (store_drivers[i]->transient != NULL &&
			    store_drivers[i]->transient(cause));
	}
	return (0);
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
	store_ahead_clear(s);
	s->drv->close(s->conn);
	free(s->kinds);
	free(s);
}

int
store_begin(struct store *s)
{
	store_ahead_clear(s);
	return (s->drv->txn(s->conn, STORE_TXN_BEGIN));
}

/* A standby's write (store-int.h): no lease renewed, none needed. */
int
store_begin_unfenced(struct store *s)
{
	store_ahead_clear(s);
	return (s->drv->txn(s->conn, STORE_TXN_BEGIN_UNFENCED));
}

/* The time a COMMIT takes is mostly its fsync: GET /metrics shows it. */
int
store_commit(struct store *s)
{
	int64_t	start = clock_monotonic_us();
	int	rc;

	store_ahead_clear(s);
	rc = s->drv->txn(s->conn, STORE_TXN_COMMIT);
	metrics_observe(METRICS_COMMIT, clock_monotonic_us() - start);
	if (rc != 0) {
		if (s->commit_failing == 0)
			s->commit_failing = clock_now();
		store_rollback(s);
		return (-1);
	}
	s->commit_failing = 0;
	return (0);
}

/* Since when commits fail (a full disk, an I/O error); 0: the last did not. */
int64_t
store_commit_failing(struct store *s)
{
	return (s->commit_failing);
}

void
store_rollback(struct store *s)
{
	store_ahead_clear(s);
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
    "DELETE FROM incidents; DELETE FROM replies; "
    "DELETE FROM personal_sends; DELETE FROM spool_inbox; "
    "DELETE FROM sqlite_sequence";

int
store_empty(struct store *s)
{
	int	rc;

	store_ahead_clear(s);
	s->drv->set_pruning(s->conn, 1);
	rc = s->drv->exec(s->conn, s->drv->empty != NULL ? s->drv->empty :
	    store_empty_sql);
	s->drv->set_pruning(s->conn, 0);
	return (rc);
}
