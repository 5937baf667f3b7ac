/*
 * The store owns the only SQLite connection that writes.  It sets the
 * pragmas that make the durability promise of SPEC §8 hold (WAL,
 * synchronous=FULL by default, foreign keys, a busy timeout), runs the
 * migrations, and keeps every statement prepared once for the life of the
 * connection.
 *
 * Transactions are BEGIN IMMEDIATE: a decision and the outbox rows it makes
 * commit together or not at all.  Savepoints let one batch hold several
 * requests and undo one without losing the others.
 *
 * A file store also runs the checkpointer (store-checkpoint.c), a thread
 * with a second connection that copies the WAL back into the database off
 * the event loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "store-checkpoint.h"
#include "store-schema.h"
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

/*
 * Transaction control, prepared once like every other statement: a group
 * commit runs two of them per request and two per batch, and
 * sqlite3_exec() would compile each one again every time.
 */
enum store_txn {
	TXN_BEGIN,
	TXN_COMMIT,
	TXN_ROLLBACK,
	TXN_SAVEPOINT,
	TXN_RELEASE,
	TXN_ROLLBACK_TO,
	TXN__COUNT
};

static const char *store_txn_sql[TXN__COUNT] = {
	[TXN_BEGIN] = "BEGIN IMMEDIATE",
	[TXN_COMMIT] = "COMMIT",
	[TXN_ROLLBACK] = "ROLLBACK",
	[TXN_SAVEPOINT] = "SAVEPOINT request",
	[TXN_RELEASE] = "RELEASE request",
	[TXN_ROLLBACK_TO] = "ROLLBACK TO request",
};

struct store {
	sqlite3		*db;
	sqlite3_stmt	*stmts[STMT__COUNT];
	sqlite3_stmt	*txn[TXN__COUNT];
	int		 in_savepoint;
	int		 pruning;	/* the timeline may lose rows */
	struct store_checkpoint	*checkpointer;	/* NULL in memory */
	int		 lock_fd;	/* holds DB.lock; -1 in memory */
};

static const char *store_sync_modes[] = { "OFF", "NORMAL", "FULL", "EXTRA" };

/* The statement's text, never its parameters: they may hold anything. */
static void
store_log_error(const char *sql, const char *err)
{
	log_warnx("store: statement failed sql=%s error=%s", sql, err);
}

static int
store_exec(struct store *s, const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		store_log_error(sql, err);
		sqlite3_free(err);
		return (-1);
	}
	return (0);
}

/*
 * tocsin_pruning(): true only while this connection runs a prune.  The
 * timeline's delete trigger asks it, so the audit log loses rows through
 * retention and nothing else (and not at all on any other connection,
 * which lacks the function).
 */
static void
store_pruning_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct store	*s = sqlite3_user_data(ctx);

	sqlite3_result_int(ctx, s->pruning);
}

/*
 * Open (creating if need be) the database at path; ":memory:" gives the
 * private store simulate and the unit tests use.  sync is the SQLite
 * synchronous mode, FULL when NULL.
 */
/* A file on disk, not one of SQLite's in-memory or temporary names. */
static int
store_is_file(const char *path)
{
	return (*path != '\0' && strcmp(path, ":memory:") != 0 &&
	    strncmp(path, "file::memory:", 13) != 0);
}

/*
 * Only one daemon writes a database (SPEC §8).  SQLite's own locks let a
 * second writer in between the first one's transactions, so the store
 * holds a lock of its own on PATH.lock for as long as it is open: an
 * open-file-description lock, which no other descriptor of this process
 * can drop (a POSIX lock ends when any descriptor of the file closes,
 * and SQLite opens and closes several).  The holder writes its pid into
 * the file so that a second daemon can say who holds the database.
 * Returns the descriptor, or -1 with cause set.
 */
static int
store_lock(const char *path, char **cause)
{
	struct flock	 fl;
	char		*lock, buf[32];
	ssize_t		 n;
	int		 fd;

	xasprintf(&lock, "%s.lock", path);
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) == -1) {
		xasprintf(cause, "%s: %s", lock, strerror(errno));
		free(lock);
		return (-1);
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_OFD_SETLK, &fl) == -1) {
		if (errno == EAGAIN || errno == EACCES) {
			n = pread(fd, buf, sizeof(buf) - 1, 0);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			xasprintf(cause, "%s is in use by another tocsind "
			    "(pid %s, holding %s); only one daemon may write "
			    "a database", path, *buf != '\0' ? buf : "unknown",
			    lock);
		} else
			xasprintf(cause, "%s: locking: %s", lock,
			    strerror(errno));
		close(fd);
		free(lock);
		return (-1);
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)n, 0) != n)
		log_warn("store: writing the pid into %s", lock);
	free(lock);
	return (fd);
}

struct store *
store_open(const char *path, const char *sync, char **cause)
{
	struct store	*s;
	const char	*file;
	char		*sql;
	size_t		 i;
	int		 ok = 0;

	if (sync == NULL)
		sync = "FULL";
	for (i = 0; i < nitems(store_sync_modes); i++)
		ok |= strcasecmp(sync, store_sync_modes[i]) == 0;
	if (!ok) {
		xasprintf(cause, "bad synchronous mode \"%s\"", sync);
		return (NULL);
	}
	/*
	 * No memory statistics: SQLite would count every allocation under a
	 * global mutex.  Only possible before the library initialises, so
	 * the first store_open decides; later calls answer SQLITE_MISUSE.
	 */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	s = xcalloc(1, sizeof(*s));
	s->lock_fd = -1;
	if (store_is_file(path) && (s->lock_fd = store_lock(path, cause)) == -1)
		goto fail;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		xasprintf(cause, "%s: %s", path, s->db != NULL ?
		    sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 5000);
	if (sqlite3_create_function(s->db, "tocsin_pruning", 0, SQLITE_UTF8 |
	    SQLITE_INNOCUOUS, s, store_pruning_fn, NULL, NULL) != SQLITE_OK) {
		xasprintf(cause, "%s: %s", path, sqlite3_errmsg(s->db));
		goto fail;
	}
	/*
	 * temp_store = MEMORY: a request's savepoint keeps, in a statement
	 * journal, the first copy of each page it changes that the batch
	 * had already changed -- the tails of the events, timeline and
	 * outbox tables, every request.  In a temporary file that was a
	 * 4 KiB write(2) each; in memory it is a copy.
	 *
	 * journal_size_limit: while the checkpointer chases a writer that
	 * never pauses, the WAL grows to its 64 MiB backstop and a little
	 * past it; when the WAL starts again, the file is cut back.
	 */
	xasprintf(&sql, "PRAGMA journal_mode = WAL; PRAGMA synchronous = %s; "
	    "PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; "
	    "PRAGMA journal_size_limit = %d;", sync, 64 << 20);
	if (store_exec(s, sql) != 0) {
		free(sql);
		xasprintf(cause, "%s: %s", path, sqlite3_errmsg(s->db));
		goto fail;
	}
	free(sql);
	if (store_schema_migrate(s->db, cause) != 0)
		goto fail;
	for (i = 0; i < STMT__COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, store_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->stmts[i], NULL) !=
		    SQLITE_OK) {
			xasprintf(cause, "preparing statement %zu: %s", i,
			    sqlite3_errmsg(s->db));
			goto fail;
		}
	}
	for (i = 0; i < TXN__COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, store_txn_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->txn[i], NULL) != SQLITE_OK) {
			xasprintf(cause, "preparing %s: %s", store_txn_sql[i],
			    sqlite3_errmsg(s->db));
			goto fail;
		}
	}
	file = sqlite3_db_filename(s->db, "main");
	if (file != NULL && *file != '\0' && (s->checkpointer =
	    store_checkpoint_start(s->db, file, sync, cause)) == NULL)
		goto fail;
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
	if (s->checkpointer != NULL) {
		sqlite3_wal_hook(s->db, NULL, NULL);
		store_checkpoint_stop(s->checkpointer);
	}
	for (i = 0; i < STMT__COUNT; i++)
		sqlite3_finalize(s->stmts[i]);
	for (i = 0; i < TXN__COUNT; i++)
		sqlite3_finalize(s->txn[i]);
	sqlite3_close(s->db);
	if (s->lock_fd != -1)
		close(s->lock_fd);
	free(s);
}

/* Run a transaction statement: 0, or -1 logged. */
static int
store_txn(struct store *s, enum store_txn which)
{
	sqlite3_stmt	*st = s->txn[which];
	int		 rc;

	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		store_log_error(store_txn_sql[which], sqlite3_errmsg(s->db));
	sqlite3_reset(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

int
store_begin(struct store *s)
{
	return (store_txn(s, TXN_BEGIN));
}

/* The time a COMMIT takes is mostly its fsync: GET /metrics shows it. */
int
store_commit(struct store *s)
{
	int64_t	start = clock_monotonic_us();
	int	rc;

	rc = store_txn(s, TXN_COMMIT);
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
	if (!sqlite3_get_autocommit(s->db))
		store_txn(s, TXN_ROLLBACK);
}

int
store_savepoint(struct store *s)
{
	return (store_txn(s, TXN_SAVEPOINT));
}

int
store_release(struct store *s)
{
	return (store_txn(s, TXN_RELEASE));
}

void
store_rollback_savepoint(struct store *s)
{
	store_txn(s, TXN_ROLLBACK_TO);
	store_txn(s, TXN_RELEASE);
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
		    sqlite3_errmsg(s->db));
		return (-1);
	}
	return (0);
}

static sqlite3_stmt *
store_vstmt(struct store *s, enum store_stmt which, const char *fmt,
    va_list ap)
{
	sqlite3_stmt	*st = s->stmts[which];

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
	store_log_error(sqlite3_sql(st), sqlite3_errmsg(s->db));
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
	return (sqlite3_last_insert_rowid(s->db));
}

int
store_changes(struct store *s)
{
	return (sqlite3_changes(s->db));
}

const char *
store_column_text(sqlite3_stmt *st, int col)
{
	return ((const char *)sqlite3_column_text(st, col));
}

/* Let the timeline lose rows (a prune's transaction) or not. */
void
store_set_pruning(struct store *s, int on)
{
	s->pruning = on != 0;
}

/* The database file, its pages and free pages: 0, or -1 logged. */
int
store_info(struct store *s, struct store_info *info)
{
	sqlite3_stmt	*st = store_stmt(s, STMT_DB_PAGES, NULL);
	const char	*path = sqlite3_db_filename(s->db, "main");
	int		 rc;

	memset(info, 0, sizeof(*info));
	info->path = path != NULL ? path : "";
	if ((rc = store_step(s, st)) == SQLITE_ROW) {
		info->pages = sqlite3_column_int64(st, 0);
		info->free_pages = sqlite3_column_int64(st, 1);
		info->page_size = sqlite3_column_int64(st, 2);
	}
	if (st != NULL)
		sqlite3_reset(st);
	return (rc == SQLITE_ROW ? 0 : -1);
}

/* The WAL and its checkpoints, for GET /metrics; zeros in memory. */
void
store_checkpoints(struct store *s, struct store_checkpoint_info *info)
{
	store_checkpoint_info(s->checkpointer, info);
}
