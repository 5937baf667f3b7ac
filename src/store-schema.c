/*
 * Schema migrations, in the FreeBSD pkg shape: an array of {version, sql};
 * each step and its PRAGMA user_version commit together, and a database
 * written by a newer tocsin is refused rather than guessed at.
 */
#include <stdio.h>
#include <stdlib.h>

#include "store-schema.h"
#include "tocsin.h"
#include "xmalloc.h"

static const struct {
	int		 version;
	const char	*sql;
} store_migrations[] = {
	{ 1,
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT UNIQUE,"
	"  type TEXT NOT NULL,"
	"  incident TEXT,"
	"  unit TEXT NOT NULL,"
	"  received_at INTEGER NOT NULL,"
	"  occurred_at INTEGER NOT NULL,"
	"  body TEXT NOT NULL);"
	"CREATE INDEX events_incident ON events(incident, seq);"
	"CREATE TABLE incidents ("
	"  key TEXT PRIMARY KEY,"
	"  unit TEXT NOT NULL,"
	"  category TEXT,"
	"  procedures TEXT NOT NULL DEFAULT '[]',"
	"  grade INTEGER NOT NULL DEFAULT 0,"
	"  worst_grade INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL DEFAULT 'open',"
	"  title TEXT,"
	"  opened_at INTEGER NOT NULL,"
	"  occurred_at INTEGER NOT NULL,"
	"  acked_at INTEGER,"
	"  acked_by TEXT,"
	"  resolved_at INTEGER,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE INDEX incidents_state ON incidents(state, unit);"
	"CREATE TABLE obligations ("
	"  id INTEGER PRIMARY KEY,"
	"  incident TEXT,"
	"  recurring TEXT,"
	"  unit TEXT NOT NULL,"
	"  procedure TEXT,"
	"  name TEXT NOT NULL,"
	"  title TEXT,"
	"  owner TEXT,"
	"  on_breach TEXT,"
	"  set_at INTEGER NOT NULL,"
	"  due_at INTEGER NOT NULL,"
	"  close_at INTEGER,"
	"  met_at INTEGER,"
	"  met_event INTEGER,"
	"  status TEXT NOT NULL DEFAULT 'pending');"
	"CREATE INDEX obligations_incident ON obligations(incident);"
	"CREATE INDEX obligations_unit ON obligations(unit, status);"
	"CREATE INDEX obligations_due ON obligations(due_at);"
	"CREATE TABLE escalations ("
	"  id INTEGER PRIMARY KEY,"
	"  incident TEXT,"
	"  obligation INTEGER,"
	"  policy TEXT NOT NULL,"
	"  started_at INTEGER NOT NULL,"
	"  step INTEGER NOT NULL DEFAULT 0,"
	"  repeats INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL DEFAULT 'active');"
	"CREATE INDEX escalations_incident ON escalations(incident);"
	"CREATE INDEX escalations_obligation ON escalations(obligation);"
	"CREATE TABLE timers ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  kind INTEGER NOT NULL,"
	"  ref INTEGER NOT NULL);"
	"CREATE INDEX timers_ref ON timers(kind, ref);"
	"CREATE TABLE timeline ("
	"  seq INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  incident TEXT,"
	"  obligation INTEGER,"
	"  body TEXT NOT NULL);"
	"CREATE INDEX timeline_incident ON timeline(incident, seq);"
	"CREATE TRIGGER timeline_no_update BEFORE UPDATE ON timeline"
	"  BEGIN SELECT RAISE(ABORT, 'the timeline is append-only'); END;"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  key TEXT NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL,"
	"  incident TEXT,"
	"  obligation INTEGER,"
	"  channel TEXT NOT NULL,"
	"  recipient TEXT NOT NULL,"
	"  role TEXT,"
	"  body TEXT NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'queued',"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_at INTEGER NOT NULL,"
	"  deadline_at INTEGER NOT NULL,"
	"  delivered_at INTEGER,"
	"  last_error TEXT);"
	"CREATE INDEX outbox_due ON outbox(status, next_at);"
	"CREATE INDEX outbox_incident ON outbox(incident);"
	"CREATE TABLE attempts ("
	"  outbox INTEGER NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  result TEXT NOT NULL,"
	"  detail TEXT);"
	"CREATE INDEX attempts_outbox ON attempts(outbox);"
	},
	{ 2,
	/* Each recurring obligation and when its next period opens. */
	"CREATE TABLE recurrings ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  next_at INTEGER NOT NULL);"
	"CREATE INDEX obligations_recurring ON obligations(recurring, status);"
	},
	{ 3,
	/* Acknowledgement links: one unguessable token per message sent. */
	"CREATE TABLE ack_links ("
	"  token TEXT PRIMARY KEY,"
	"  incident TEXT NOT NULL,"
	"  recipient TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	},
	{ 4,
	/*
	 * Retention (tocsinctl prune): closed incidents by resolution time,
	 * an incident's ack links, obligations by status for GET /v1/status,
	 * and a mark on an incident whose detail was pruned.  The timeline
	 * refuses deletes unless the store says a prune is running: the
	 * function is the daemon's, so no other program deletes from it.
	 */
	"ALTER TABLE incidents ADD COLUMN pruned_at INTEGER;"
	"CREATE INDEX incidents_resolved ON incidents(state, resolved_at, key);"
	"CREATE INDEX ack_links_incident ON ack_links(incident);"
	"CREATE INDEX obligations_status ON obligations(status);"
	"CREATE TRIGGER timeline_no_delete BEFORE DELETE ON timeline"
	"  WHEN NOT tocsin_pruning()"
	"  BEGIN SELECT RAISE(ABORT, 'the timeline is append-only; only "
	"a prune deletes from it'); END;"
	},
	{ 5,
	/*
	 * Fewer index entries per obligation (docs/performance.md): a unit's
	 * open obligations are looked up only for recurring reports, which
	 * have no incident, so only those are indexed by unit; nothing looks
	 * obligations up by recurring name.  An incident's obligation is
	 * then in three indexes instead of five, and a breach, changing its
	 * status, rewrites one index entry instead of three.  Likewise an
	 * open incident has no resolution time to index.
	 */
	"DROP INDEX obligations_recurring;"
	"DROP INDEX obligations_unit;"
	"CREATE INDEX obligations_unit ON obligations(unit, status)"
	"  WHERE incident IS NULL;"
	/* Only a prune asks for incidents by resolution time: closed ones. */
	"DROP INDEX incidents_resolved;"
	"CREATE INDEX incidents_resolved ON incidents(state, resolved_at, key)"
	"  WHERE state = 'closed';"
	},
	{ 6,
	/*
	 * An event id is an idempotency key within its unit (SPEC §3): two
	 * units that both number their reports 0001 must not lose one as a
	 * duplicate of the other.  SQLite cannot drop a column's UNIQUE, so
	 * the table is rebuilt with the same rows, seq numbers included.
	 */
	"CREATE TABLE events_v6 ("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT,"
	"  type TEXT NOT NULL,"
	"  incident TEXT,"
	"  unit TEXT NOT NULL,"
	"  received_at INTEGER NOT NULL,"
	"  occurred_at INTEGER NOT NULL,"
	"  body TEXT NOT NULL,"
	"  UNIQUE (unit, id));"
	"INSERT INTO events_v6 (seq, id, type, incident, unit, received_at,"
	"  occurred_at, body) SELECT seq, id, type, incident, unit,"
	"  received_at, occurred_at, body FROM events ORDER BY seq;"
	"DROP TABLE events;"
	"ALTER TABLE events_v6 RENAME TO events;"
	"CREATE INDEX events_incident ON events(incident, seq);"
	},
	{ 7,
	/*
	 * Committed timer ids are never reused (AUTOINCREMENT), so that a
	 * timer whose row is gone was cancelled or has fired, where before
	 * SQLite handed the id of a deleted timer to the next one.  (A
	 * savepoint rolled back still hands its own ids back: the engine
	 * compares due times for that.)  The rows keep their ids.
	 */
	"CREATE TABLE timers_v7 ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  at INTEGER NOT NULL,"
	"  kind INTEGER NOT NULL,"
	"  ref INTEGER NOT NULL);"
	"INSERT INTO timers_v7 (id, at, kind, ref)"
	"  SELECT id, at, kind, ref FROM timers ORDER BY id;"
	"DROP TABLE timers;"
	"ALTER TABLE timers_v7 RENAME TO timers;"
	"CREATE INDEX timers_ref ON timers(kind, ref);"
	},
	{ 8,
	/*
	 * Receipts: what a provider says of a message after it took it (a
	 * voice call answered or not).  The provider's id of the message is
	 * kept when it is delivered, and its callback is matched by it.  A
	 * pruned outbox row takes its receipt with it.
	 */
	"CREATE TABLE receipts ("
	"  channel TEXT NOT NULL,"
	"  ref TEXT NOT NULL,"
	"  outbox INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,"
	"  status TEXT,"
	"  detail TEXT,"
	"  received_at INTEGER,"
	"  PRIMARY KEY (channel, ref));"
	"CREATE INDEX receipts_outbox ON receipts(outbox);"
	},
	{ 9,
	/*
	 * Replies: what a person texted back (an SMS "1" acknowledges), kept
	 * whatever it said, with what came of it.  Finding the message a
	 * reply answers walks a person's newest messages: outbox_recipient.
	 */
	"CREATE TABLE replies ("
	"  id INTEGER PRIMARY KEY,"
	"  channel TEXT NOT NULL,"
	"  phone TEXT NOT NULL,"
	"  person TEXT,"
	"  text TEXT NOT NULL,"
	"  received_at INTEGER NOT NULL,"
	"  incident TEXT,"
	"  outcome TEXT NOT NULL);"
	"CREATE INDEX outbox_recipient ON outbox(recipient, id);"
	},
	{ 10,
	/*
	 * The clocks of obligations that may pause (pause_on, resume_on):
	 * the period in force and what it counts from, when it stopped and
	 * how long it has stood still (the ledger's paused_s).  A row only
	 * for such obligations; one pruned takes its clock with it.
	 */
	"CREATE TABLE obligation_clocks ("
	"  obligation INTEGER PRIMARY KEY"
	"    REFERENCES obligations(id) ON DELETE CASCADE,"
	"  base INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  length INTEGER NOT NULL,"
	"  paused_at INTEGER,"
	"  paused_ms INTEGER NOT NULL DEFAULT 0)"
	},
	{ 11,
	/*
	 * Obligations that repeat and obligations that several events meet
	 * (SPEC §4, lifecycle): a row is one instance of its series (0 for
	 * an obligation that does not repeat), carries when the series ends
	 * (until_at, NULL: never), and how many of the events it needs have
	 * come (met_count of needed; met_mask: which items of met_by.all).
	 * Rows written before count as single, unrepeated obligations.
	 */
	"ALTER TABLE obligations ADD COLUMN instance INTEGER NOT NULL "
	"  DEFAULT 0;"
	"ALTER TABLE obligations ADD COLUMN until_at INTEGER;"
	"ALTER TABLE obligations ADD COLUMN met_count INTEGER NOT NULL "
	"  DEFAULT 0;"
	"ALTER TABLE obligations ADD COLUMN needed INTEGER NOT NULL "
	"  DEFAULT 1;"
	"ALTER TABLE obligations ADD COLUMN met_mask INTEGER NOT NULL "
	"  DEFAULT 0;"
	},
	{ 12,
	/*
	 * Personal notification rules: each later step of a person's
	 * notify_rules, due at its time (a timer points at the row), sent
	 * or stopped by an acknowledgement.
	 */
	"CREATE TABLE personal_sends ("
	"  id INTEGER PRIMARY KEY,"
	"  incident TEXT,"
	"  obligation INTEGER,"
	"  person TEXT NOT NULL,"
	"  step INTEGER NOT NULL,"
	"  role TEXT,"
	"  reason TEXT NOT NULL,"
	"  policy TEXT,"
	"  policy_step INTEGER NOT NULL DEFAULT 0,"
	"  repeat INTEGER NOT NULL DEFAULT 0,"
	"  due_at INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending');"
	"CREATE INDEX personal_sends_incident ON personal_sends(incident);"
	"CREATE INDEX personal_sends_obligation ON personal_sends(obligation)"
	"  WHERE obligation IS NOT NULL;"
	},
	{ 13,
	/*
	 * Drills (应急演练): an incident opened by a report marked "drill"
	 * and the obligations it sets are an exercise.  The obligations
	 * carry the mark themselves so that the ledger keeps drills apart
	 * without a join; rows from before are real (0).
	 */
	"ALTER TABLE incidents ADD COLUMN drill INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE obligations ADD COLUMN drill INTEGER NOT NULL DEFAULT 0"
	},
	{ 14,
	/*
	 * The spool inbox (docs/cluster.md): a file dropped in a standby's
	 * spool, checked there and handed to the leader through the shared
	 * database, its body as read and the id prefix its events take
	 * (spool.c), so that the leader stores what the standby's own
	 * ingest would have.  The leader deletes a row in the transaction
	 * that stores its events.  On SQLite, one node always leads and
	 * the table stays empty.
	 */
	"CREATE TABLE spool_inbox ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  node TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  id_prefix TEXT NOT NULL,"
	"  body TEXT NOT NULL,"
	"  received_at INTEGER NOT NULL)"
	},
};

int
store_schema_latest(void)
{
	return (store_migrations[nitems(store_migrations) - 1].version);
}

/* Bring db from its user_version up to the latest, one committed step each. */
int
store_schema_migrate(sqlite3 *db, char **cause)
{
	return (store_schema_migrate_to(db, store_schema_latest(), cause));
}

/* Up to version only: the tests make databases of an older schema so. */
int
store_schema_migrate_to(sqlite3 *db, int version, char **cause)
{
	sqlite3_stmt	*st;
	int		 current;
	size_t		 i;
	char		*sql, *err = NULL;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		xasprintf(cause, "reading schema version: %s",
		    sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return (-1);
	}
	current = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (current > store_schema_latest()) {
		xasprintf(cause, "database schema version %d is newer than "
		    "this tocsin understands (%d); refusing to touch it",
		    current, store_schema_latest());
		return (-1);
	}
	for (i = 0; i < nitems(store_migrations); i++) {
		if (store_migrations[i].version <= current ||
		    store_migrations[i].version > version)
			continue;
		xasprintf(&sql, "BEGIN IMMEDIATE; %s; PRAGMA user_version = %d;"
		    " COMMIT;", store_migrations[i].sql,
		    store_migrations[i].version);
		if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
			xasprintf(cause, "migrating schema to version %d: %s",
			    store_migrations[i].version, err);
			sqlite3_free(err);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			free(sql);
			return (-1);
		}
		free(sql);
	}
	return (0);
}
