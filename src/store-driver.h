/*
 * The store's drivers (private to the store's files): what the store's
 * files need of a database to write the domain calls once.  A driver is
 * a struct of function pointers (OpenSMTPD's queue_backend);
 * store-sqlite.c is one, a PostgreSQL driver is one more file and one
 * more line in store.c's table of drivers.
 *
 * What a driver promises:
 *  - open() gives a connection with the schema migrated to the latest
 *    version, and anything the driver runs beside it (SQLite: the writer
 *    lock, the pragmas, the checkpointer) started; NULL with *cause set.
 *  - SQL texts are store.c's, with numbered parameters ?1, ?2 ... (a
 *    driver whose database spells them otherwise, $1 for PostgreSQL,
 *    rewrites them in prepare()).  A statement is prepared once, when the
 *    store opens, and reused for the life of the connection.
 *  - Binds copy nothing: a bound text must outlive the statement's use,
 *    which every domain call guarantees by binding, stepping and
 *    resetting within one call.  reset() also clears the bindings.
 *  - step() returns 1 for a row, 0 when done, -1 when the statement
 *    failed; a failure is logged by the driver (the SQL text, never the
 *    parameters: they may hold anything) and the statement left reset.
 *    Inside a transaction a driver may answer 0 for a write that returns
 *    no rows before the database has run it (PostgreSQL's pipeline): if
 *    it then fails, the transaction has failed, and every call after,
 *    the COMMIT at the latest, answers -1 until the ROLLBACK.
 *  - Column getters read the current row; a text is valid until the next
 *    step() or reset() of the statement; a NULL integer reads 0.
 *  - txn() runs a transaction verb; BEGIN takes the write lock at once.
 *    BEGIN_UNFENCED is BEGIN without the lease: a standby may run it, for
 *    the one write a standby makes (the spool inbox), which changes no
 *    state of the leader's; under a lease BEGIN renews the leader's term.
 *  - sql, when set, gives a statement a text of the driver's dialect
 *    (indexed by enum store_sql; NULL: store.c's), and empty the SQL
 *    that store_empty() runs.
 *  - A driver that loses its database (a PostgreSQL primary gone, a
 *    COMMIT whose outcome is unknown) calls store_lost(), which does not
 *    return unless the daemon set a hook (store_on_lost in store.h).
 */
#ifndef STORE_DRIVER_H
#define STORE_DRIVER_H

#include <stdint.h>

struct store_checkpoint_info;
struct store_info;
struct store_lease;

struct store_conn;		/* a driver's connection */
struct store_query;		/* a statement it prepared */

enum store_txn {
	STORE_TXN_BEGIN,
	STORE_TXN_COMMIT,
	STORE_TXN_ROLLBACK,
	STORE_TXN_SAVEPOINT,
	STORE_TXN_RELEASE,
	STORE_TXN_ROLLBACK_TO,
	STORE_TXN_BEGIN_UNFENCED,
	STORE_TXN__COUNT
};

struct store_driver {
	const char	*name;
	const char	*(*version)(void);	/* its library's */
	/* Is the path (a file, ":memory:", a URI) one of this driver's? */
	int		 (*handles)(const char *);
	struct store_conn *(*open)(const char *, const char *, char **);
	/* Was open()'s failure, by its cause, the database out of reach
	 * for now (1: try again) rather than its configuration?  NULL: no. */
	int		 (*transient)(const char *);
	void		 (*close)(struct store_conn *);

	struct store_query *(*prepare)(struct store_conn *, const char *,
			     char **);
	void		 (*finalize)(struct store_query *);
	int		 (*bind_int64)(struct store_query *, int, int64_t);
	int		 (*bind_text)(struct store_query *, int, const char *);
	int		 (*bind_null)(struct store_query *, int);
	int		 (*step)(struct store_query *);
	void		 (*reset)(struct store_query *);
	int64_t		 (*column_int64)(struct store_query *, int);
	const char	*(*column_text)(struct store_query *, int);
	int		 (*column_is_null)(struct store_query *, int);
	/* Rows the last statement changed (a prune counts them). */
	int64_t		 (*changes)(struct store_conn *);
	/* Run SQL text once, unprepared: 0, or -1 logged. */
	int		 (*exec)(struct store_conn *, const char *);

	int		 (*txn)(struct store_conn *, enum store_txn);
	int		 (*in_txn)(struct store_conn *);
	/* The timeline may lose rows on this connection (a prune) or not. */
	void		 (*set_pruning)(struct store_conn *, int);
	int		 (*info)(struct store_conn *, struct store_info *);
	void		 (*checkpoints)(struct store_conn *,
			     struct store_checkpoint_info *);
	/*
	 * The leader's lease (store.h); NULL for a driver whose database
	 * has one writer (SQLite): it always leads.
	 */
	int		 (*lease_set)(struct store_conn *, const char *,
			     int64_t, char **);
	int		 (*lease_take)(struct store_conn *);
	int		 (*lease_renew)(struct store_conn *);
	void		 (*lease_release)(struct store_conn *);
	int		 (*may_send)(struct store_conn *);
	int		 (*lease_read)(struct store_conn *,
			     struct store_lease *);
	const char *const *sql;		/* the dialect's texts, or NULL */
	const char	*empty;		/* store_empty()'s SQL, or NULL */
};

extern const struct store_driver store_sqlite_driver;
extern const struct store_driver store_pg_driver;

void	store_lost(const char *, const char *);

#endif
