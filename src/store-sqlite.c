/*
 * The SQLite driver of the store: the one connection that writes.  It
 * sets the pragmas that make the durability promise of SPEC §8 hold (WAL,
 * synchronous=FULL by default, foreign keys, a busy timeout), holds the
 * writer lock, runs the migrations (store-schema.c), prepares each
 * statement once (SQLITE_PREPARE_PERSISTENT) and runs the transactions.
 *
 * Transactions are BEGIN IMMEDIATE: a decision and the outbox rows it makes
 * commit together or not at all.  Savepoints let one batch hold several
 * requests and undo one without losing the others.
 *
 * A file store also runs the checkpointer (store-checkpoint.c), a thread
 * with a second connection that copies the WAL back into the database off
 * the event loop.
 *
 * A struct store_query is the sqlite3_stmt itself, cast: nothing to
 * allocate per statement.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "store-checkpoint.h"
#include "store-driver.h"
#include "store-schema.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

/*
 * Transaction control, prepared once like every other statement: a group
 * commit runs two of them per request and two per batch, and
 * sqlite3_exec() would compile each one again every time.
 */
static const char *const store_sqlite_txn_sql[STORE_TXN__COUNT] = {
	[STORE_TXN_BEGIN] = "BEGIN IMMEDIATE",
	[STORE_TXN_COMMIT] = "COMMIT",
	[STORE_TXN_ROLLBACK] = "ROLLBACK",
	[STORE_TXN_SAVEPOINT] = "SAVEPOINT request",
	[STORE_TXN_RELEASE] = "RELEASE request",
	[STORE_TXN_ROLLBACK_TO] = "ROLLBACK TO request",
	/* One writer, always the leader: there is no lease to leave out. */
	[STORE_TXN_BEGIN_UNFENCED] = "BEGIN IMMEDIATE",
};

static const char *const store_sqlite_sync_modes[] = {
	"OFF", "NORMAL", "FULL", "EXTRA",
};

struct store_conn {
	sqlite3			*db;
	sqlite3_stmt		*txn[STORE_TXN__COUNT];
	int			 pruning;	/* the timeline may lose rows */
	struct store_checkpoint	*checkpointer;	/* NULL in memory */
	int			 lock_fd;	/* holds DB.lock; -1 in memory */
};

/*
 * A prepared statement.  SQLite runs INSERT ... RETURNING through an
 * ephemeral table, which costs an insert almost as much again; store.c
 * uses RETURNING only for the integer primary key of a one-row INSERT,
 * so such a statement is prepared without the clause and answers
 * sqlite3_last_insert_rowid() as its one row.
 */
struct store_query {
	sqlite3_stmt	*st;
	int		 rowid;		/* RETURNING the rowid, answered here */
	int		 given;		/* that row was stepped to */
	int64_t		 id;
};

#define ST(q)	((q)->st)

/* Where " RETURNING key" ends sql, its offset; else 0. */
static size_t
store_sqlite_returning(const char *sql)
{
	const char	*r = strstr(sql, " RETURNING "), *k;

	if (r == NULL || strstr(r + 1, " RETURNING ") != NULL)
		return (0);
	for (k = r + 11; *k != '\0'; k++) {
		if (!(*k == '_' || (*k >= 'a' && *k <= 'z')))
			return (0);
	}
	return (k > r + 11 ? (size_t)(r - sql) : 0);
}

/* The statement's text, never its parameters: they may hold anything. */
static void
store_sqlite_log_error(const char *sql, const char *err)
{
	log_warnx("store: statement failed sql=%s error=%s", sql, err);
}

static int
store_sqlite_exec(struct store_conn *c, const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(c->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		store_sqlite_log_error(sql, err);
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
store_sqlite_pruning_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct store_conn	*c = sqlite3_user_data(ctx);

	sqlite3_result_int(ctx, c->pruning);
}

/* A file on disk, not one of SQLite's in-memory or temporary names. */
static int
store_sqlite_is_file(const char *path)
{
	return (*path != '\0' && strcmp(path, ":memory:") != 0 &&
	    strncmp(path, "file::memory:", 13) != 0);
}

/* Everything that is not another driver's URI is SQLite's. */
static int
store_sqlite_handles(const char *path)
{
	return (strncmp(path, "postgresql:", 11) != 0 &&
	    strncmp(path, "postgres:", 9) != 0);
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
store_sqlite_lock(const char *path, char **cause)
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

static void
store_sqlite_close(struct store_conn *c)
{
	size_t	i;

	if (c == NULL)
		return;
	if (c->checkpointer != NULL) {
		sqlite3_wal_hook(c->db, NULL, NULL);
		store_checkpoint_stop(c->checkpointer);
	}
	for (i = 0; i < STORE_TXN__COUNT; i++)
		sqlite3_finalize(c->txn[i]);
	sqlite3_close(c->db);
	if (c->lock_fd != -1)
		close(c->lock_fd);
	free(c);
}

static int
store_sqlite_sync_ok(const char *sync, char **cause)
{
	size_t	i;

	for (i = 0; i < nitems(store_sqlite_sync_modes); i++) {
		if (strcasecmp(sync, store_sqlite_sync_modes[i]) == 0)
			return (1);
	}
	xasprintf(cause, "bad synchronous mode \"%s\"", sync);
	return (0);
}

/*
 * temp_store = MEMORY: a request's savepoint keeps, in a statement
 * journal, the first copy of each page it changes that the batch had
 * already changed -- the tails of the events, timeline and outbox
 * tables, every request.  In a temporary file that was a 4 KiB write(2)
 * each; in memory it is a copy.
 *
 * journal_size_limit: while the checkpointer chases a writer that never
 * pauses, the WAL grows to its 64 MiB backstop and a little past it; when
 * the WAL starts again, the file is cut back.
 */
static int
store_sqlite_pragmas(struct store_conn *c, const char *path,
    const char *sync, char **cause)
{
	char	*sql;
	int	 rc;

	xasprintf(&sql, "PRAGMA journal_mode = WAL; PRAGMA synchronous = %s; "
	    "PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; "
	    "PRAGMA journal_size_limit = %d;", sync, 64 << 20);
	if ((rc = store_sqlite_exec(c, sql)) != 0)
		xasprintf(cause, "%s: %s", path, sqlite3_errmsg(c->db));
	free(sql);
	return (rc);
}

/*
 * Open (creating if need be) the database at path; ":memory:" gives the
 * private store simulate and the unit tests use.  sync is the SQLite
 * synchronous mode, FULL when NULL.
 */
static struct store_conn *
store_sqlite_open(const char *path, const char *sync, char **cause)
{
	struct store_conn	*c;
	const char		*file;
	size_t			 i;

	if (sync == NULL)
		sync = "FULL";
	if (!store_sqlite_sync_ok(sync, cause))
		return (NULL);
	/*
	 * No memory statistics: SQLite would count every allocation under a
	 * global mutex.  Only possible before the library initialises, so
	 * the first store_open decides; later calls answer SQLITE_MISUSE.
	 */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	c = xcalloc(1, sizeof(*c));
	c->lock_fd = -1;
	if (store_sqlite_is_file(path) &&
	    (c->lock_fd = store_sqlite_lock(path, cause)) == -1)
		goto fail;
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		xasprintf(cause, "%s: %s", path, c->db != NULL ?
		    sqlite3_errmsg(c->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, 5000);
	if (sqlite3_create_function(c->db, "tocsin_pruning", 0, SQLITE_UTF8 |
	    SQLITE_INNOCUOUS, c, store_sqlite_pruning_fn, NULL, NULL) !=
	    SQLITE_OK) {
		xasprintf(cause, "%s: %s", path, sqlite3_errmsg(c->db));
		goto fail;
	}
	if (store_sqlite_pragmas(c, path, sync, cause) != 0 ||
	    store_schema_migrate(c->db, cause) != 0)
		goto fail;
	for (i = 0; i < STORE_TXN__COUNT; i++) {
		if (sqlite3_prepare_v3(c->db, store_sqlite_txn_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &c->txn[i], NULL) != SQLITE_OK) {
			xasprintf(cause, "preparing %s: %s",
			    store_sqlite_txn_sql[i], sqlite3_errmsg(c->db));
			goto fail;
		}
	}
	file = sqlite3_db_filename(c->db, "main");
	if (file != NULL && *file != '\0' && (c->checkpointer =
	    store_checkpoint_start(c->db, file, sync, cause)) == NULL)
		goto fail;
	return (c);
fail:
	store_sqlite_close(c);
	return (NULL);
}

static struct store_query *
store_sqlite_prepare(struct store_conn *c, const char *sql, char **cause)
{
	struct store_query	*q = xcalloc(1, sizeof(*q));
	size_t			 cut = store_sqlite_returning(sql);

	q->rowid = cut > 0;
	if (sqlite3_prepare_v3(c->db, sql, cut > 0 ? (int)cut : -1,
	    SQLITE_PREPARE_PERSISTENT, &q->st, NULL) != SQLITE_OK) {
		xasprintf(cause, "preparing \"%s\": %s", sql,
		    sqlite3_errmsg(c->db));
		free(q);
		return (NULL);
	}
	return (q);
}

static void
store_sqlite_finalize(struct store_query *q)
{
	sqlite3_finalize(ST(q));
	free(q);
}

static int
store_sqlite_bound(struct store_query *q, int i, int rc)
{
	if (rc == SQLITE_OK)
		return (0);
	log_warnx("store: cannot bind parameter=%d sql=%s error=%s", i,
	    sqlite3_sql(ST(q)), sqlite3_errmsg(sqlite3_db_handle(ST(q))));
	return (-1);
}

static int
store_sqlite_bind_int64(struct store_query *q, int i, int64_t v)
{
	return (store_sqlite_bound(q, i, sqlite3_bind_int64(ST(q), i, v)));
}

static int
store_sqlite_bind_text(struct store_query *q, int i, const char *v)
{
	return (store_sqlite_bound(q, i, sqlite3_bind_text(ST(q), i, v, -1,
	    SQLITE_STATIC)));
}

static int
store_sqlite_bind_null(struct store_query *q, int i)
{
	return (store_sqlite_bound(q, i, sqlite3_bind_null(ST(q), i)));
}

static int
store_sqlite_step(struct store_query *q)
{
	int	rc;

	if (q->rowid && q->given)
		return (0);
	rc = sqlite3_step(ST(q));
	if (rc == SQLITE_ROW)
		return (1);
	if (rc == SQLITE_DONE && q->rowid) {
		q->id = sqlite3_last_insert_rowid(sqlite3_db_handle(ST(q)));
		q->given = 1;
		return (1);
	}
	if (rc == SQLITE_DONE)
		return (0);
	store_sqlite_log_error(sqlite3_sql(ST(q)),
	    sqlite3_errmsg(sqlite3_db_handle(ST(q))));
	sqlite3_reset(ST(q));
	return (-1);
}

static void
store_sqlite_reset(struct store_query *q)
{
	q->given = 0;
	sqlite3_reset(ST(q));
	sqlite3_clear_bindings(ST(q));
}

static int64_t
store_sqlite_column_int64(struct store_query *q, int col)
{
	if (q->rowid)
		return (col == 0 ? q->id : 0);
	return (sqlite3_column_int64(ST(q), col));
}

static const char *
store_sqlite_column_text(struct store_query *q, int col)
{
	if (q->rowid)
		return (NULL);
	return ((const char *)sqlite3_column_text(ST(q), col));
}

static int
store_sqlite_column_is_null(struct store_query *q, int col)
{
	if (q->rowid)
		return (col != 0);
	return (sqlite3_column_type(ST(q), col) == SQLITE_NULL);
}

static int64_t
store_sqlite_changes(struct store_conn *c)
{
	return (sqlite3_changes64(c->db));
}

/* Run a transaction statement: 0, or -1 logged. */
static int
store_sqlite_txn(struct store_conn *c, enum store_txn which)
{
	sqlite3_stmt	*st = c->txn[which];
	int		 rc;

	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		store_sqlite_log_error(store_sqlite_txn_sql[which],
		    sqlite3_errmsg(c->db));
	sqlite3_reset(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

static int
store_sqlite_in_txn(struct store_conn *c)
{
	return (!sqlite3_get_autocommit(c->db));
}

static void
store_sqlite_set_pruning(struct store_conn *c, int on)
{
	c->pruning = on != 0;
}

/* The database file, its pages and free pages: 0, or -1 logged. */
static int
store_sqlite_info(struct store_conn *c, struct store_info *info)
{
	static const char	*sql = "SELECT page_count, freelist_count, "
				    "page_size FROM pragma_page_count(), "
				    "pragma_freelist_count(), pragma_page_size()";
	sqlite3_stmt		*st;
	const char		*path = sqlite3_db_filename(c->db, "main");
	int			 rc;

	memset(info, 0, sizeof(*info));
	info->path = path != NULL ? path : "";
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
		store_sqlite_log_error(sql, sqlite3_errmsg(c->db));
		return (-1);
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		info->pages = sqlite3_column_int64(st, 0);
		info->free_pages = sqlite3_column_int64(st, 1);
		info->page_size = sqlite3_column_int64(st, 2);
	} else
		store_sqlite_log_error(sql, sqlite3_errmsg(c->db));
	sqlite3_finalize(st);
	return (rc == SQLITE_ROW ? 0 : -1);
}

static void
store_sqlite_checkpoints(struct store_conn *c,
    struct store_checkpoint_info *info)
{
	store_checkpoint_info(c->checkpointer, info);
}

const struct store_driver store_sqlite_driver = {
	.name = "sqlite",
	.version = sqlite3_libversion,
	.handles = store_sqlite_handles,
	.open = store_sqlite_open,
	.close = store_sqlite_close,
	.prepare = store_sqlite_prepare,
	.finalize = store_sqlite_finalize,
	.bind_int64 = store_sqlite_bind_int64,
	.bind_text = store_sqlite_bind_text,
	.bind_null = store_sqlite_bind_null,
	.step = store_sqlite_step,
	.reset = store_sqlite_reset,
	.column_int64 = store_sqlite_column_int64,
	.column_text = store_sqlite_column_text,
	.column_is_null = store_sqlite_column_is_null,
	.changes = store_sqlite_changes,
	.exec = store_sqlite_exec,
	.txn = store_sqlite_txn,
	.in_txn = store_sqlite_in_txn,
	.set_pruning = store_sqlite_set_pruning,
	.info = store_sqlite_info,
	.checkpoints = store_sqlite_checkpoints,
};
