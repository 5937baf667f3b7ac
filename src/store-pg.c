/*
 * The PostgreSQL driver of the store (SPEC §9): one libpq connection,
 * named by a URL (postgresql://user@host/db?...), on which every
 * statement of store.c is prepared once (its ?N made $N) and run with
 * its values as text; the statements whose SQL differs have their own
 * text (store-pg-schema.c, with the schema and its migrations).
 *
 * The connection is synchronous, on the event loop, as SQLite's is: a
 * statement on loopback or a LAN costs a round trip, less than SQLite's
 * fsync at COMMIT (docs/design.md has the figures and the argument).
 * What must never happen is a wait without end, so every wait is
 * bounded: connect_timeout, TCP keepalives and tcp_user_timeout for a
 * peer that vanished, statement_timeout for a statement that hangs,
 * idle_in_transaction_session_timeout for a transaction the daemon left
 * open (the server ends it, and its locks with it).  The kernel keeps
 * tcp_user_timeout only roughly: with the packets dropped on the way
 * out (a firewall), 10 s became 23.9 s here, 2 s 5.6 s (docs/cluster.md).
 * So the driver waits for an answer no longer than tcp_user_timeout
 * itself (store_pg_await); a connection that gave none in that time is
 * gone: shut down at once, no ROLLBACK, no DEALLOCATE, no release of the
 * lease on it, and the store is lost.
 *
 * A COMMIT is never cancelled: statement_timeout is lifted for it
 * (cancelling one that waits for a synchronous standby would leave it
 * committed here and not there), and if its outcome cannot be known --
 * the connection broke under it -- the store is lost (store_lost()).  So
 * is it on SQLSTATE class 08 (connection), 57P01-57P03 (the server going
 * down or not yet up) and 25006 (a read-only transaction: the primary
 * became a standby): the daemon exits for systemd to restart it, and the
 * restart path recovers what committed.  Leadership builds on that hook:
 * a lease row with a term (the end of this file, docs/cluster.md),
 * renewed at the start of every write transaction; a leader that cannot
 * renew it is lost the same way.
 *
 * Inside a transaction the connection is in libpq's pipeline mode
 * (docs/performance.md): BEGIN, the lease's renewal and every write
 * whose answer nobody needs yet (no rows) are queued and not waited for,
 * and so is an INSERT ... RETURNING a new id, the id taken from a block
 * of its sequence fetched ahead (store_pg_id); what needs an answer (a
 * read, changes(), a ROLLBACK TO, the COMMIT) sends what is queued with
 * one Sync and reads the answers owed, in order.  A deferred statement
 * that failed fails the transaction: every call answers -1 until the
 * ROLLBACK, so no COMMIT follows it; the COMMIT is sent only once the
 * renewal was read and found ours.  Nothing leaves without a Sync after
 * it (STORE_PG_UNSYNCED_MAX), so that the server, between two waits, is
 * idle in a transaction and idle_in_transaction_session_timeout ends it
 * if the daemon stops: with none, a stopped leader would hold the
 * lease's row for ever.
 *
 * A struct store_query holds its values until reset(): a text bound is
 * the caller's pointer (binds copy nothing; a send copies them), an
 * integer is formatted into the query's own buffer.
 */
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "clock.h"
#include "log.h"
#include "store-driver.h"
#include "store-int.h"
#include "store-pg.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

/* Hard limits on waiting for the server (docs/design.md). */
#define STORE_PG_STATEMENT_TIMEOUT	"5s"
#define STORE_PG_IDLE_TXN_TIMEOUT	"15s"
#define STORE_PG_MAX_PARAMS		64
#define STORE_PG_TEXTOID		25	/* pg_type.h, server-side only */
#define STORE_PG_INT8OID		20

static const char *const store_pg_txn_sql[STORE_TXN__COUNT] = {
	[STORE_TXN_BEGIN] = "BEGIN",
	/* The timeout lifted, then the COMMIT, never cancelled (below). */
	[STORE_TXN_COMMIT] = "COMMIT",
	[STORE_TXN_ROLLBACK] = "ROLLBACK",
	[STORE_TXN_SAVEPOINT] = "SAVEPOINT request",
	[STORE_TXN_RELEASE] = "RELEASE request",
	[STORE_TXN_ROLLBACK_TO] = "ROLLBACK TO request",
	/* A standby's write (the spool inbox): no lease to renew. */
	[STORE_TXN_BEGIN_UNFENCED] = "BEGIN",
};

/*
 * Connection parameters the URL may override (later keywords win over
 * earlier ones, and the URL comes last): a dead peer is noticed within
 * seconds rather than the kernel's two hours.
 */
static const char *const store_pg_keys[] = {
	"application_name", "connect_timeout", "keepalives", "keepalives_idle",
	"keepalives_interval", "keepalives_count", "tcp_user_timeout",
	"dbname", NULL
};
static const char *const store_pg_defaults[] = {
	"tocsind", "5", "1", "5", "2", "3", "10000", NULL, NULL
};

/* What a statement sent down the pipeline and not yet read is. */
enum store_pg_owed {
	STORE_PG_OWED_ROWS,		/* a statement: its count is changes() */
	STORE_PG_OWED_QUIET,		/* a setting: changes() stays */
	STORE_PG_OWED_LEASE		/* the renewal: one row, or stepped down */
};

struct store_pg_owe {
	const char		*sql;	/* for the log; lives as long */
	enum store_pg_owed	 what;
	int			 sync;	/* a Sync was sent after it */
};

/*
 * Statements go down the pipeline unsent, and a Sync with them only when
 * the driver waits (store_pg_drain): the server answers a Sync with a
 * message of its own, and a Sync a statement made each event cost twice
 * the system calls on both sides.  Unsent, they cannot leave the server
 * waiting mid-message with no idle_in_transaction_session_timeout armed
 * (it is armed only once the server answered a Sync) -- unless libpq
 * sent them on its own, which it does in 8 kB pieces once its buffer
 * holds 8 kB (pqPutMsgEnd): so a Sync goes before a statement that would
 * take the statements unsynced past this many bytes (about; the estimate
 * is high).  One statement larger than that alone goes with its Sync
 * straight after it.
 */
#define STORE_PG_UNSYNCED_MAX	(6 * 1024)

/*
 * A new row's id from its table's sequence, fetched this many at a time
 * (store_pg_id): an INSERT ... RETURNING id in a write transaction then
 * needs no answer, and goes down the pipeline like any other write.
 */
#define STORE_PG_ID_BLOCK	512
#define STORE_PG_ID_TABLES	16

/*
 * The ids of one sequence fetched and not yet used, in order.  They are
 * the leader's of one term: only one node writes, so ids still grow in
 * the order rows commit; a new term, even this node's, fetches anew, so
 * that no id of an old block lands below one another leader used.
 */
struct store_pg_ids {
	char		*seq;		/* its name, as the server spells it */
	int64_t		 term;		/* the term they were fetched in */
	int64_t		 v[STORE_PG_ID_BLOCK];
	int		 n;
	int		 next;
};

struct store_conn {
	PGconn		*pg;
	char		*desc;		/* the URL without its password */
	int64_t		 changes;
	unsigned int	 nstmt;		/* statements prepared, for names */
	int64_t		 wait_ms;	/* the longest wait for an answer */
	int		 gone;		/* no answer came within it: no I/O */
	/* The transaction (BEGIN to COMMIT or ROLLBACK) and its pipeline. */
	int		 txn;
	int		 piped;
	int		 failed;	/* a deferred statement failed */
	struct store_pg_owe *owed;	/* answers still to read, in order */
	size_t		 nowed;
	size_t		 owedsz;
	size_t		 unsynced;	/* bytes sent since the last Sync */
	int64_t		 renew_asked_us; /* when the renewal was sent */
	struct store_pg_ids ids[STORE_PG_ID_TABLES];
	size_t		 nids;
	int		 renewed;	/* its answer read and ours */
	unsigned int	 trips;		/* waits for the server, this txn */
	/* The lease (store.h); lease_ms 0: none, always the leader. */
	char		*holder;
	int64_t		 lease_ms;
	int64_t		 term;		/* ours; 0: a standby */
	int64_t		 deadline_us;	/* monotonic: no send starts after */
};

struct store_query {
	struct store_conn *c;
	char		 name[16];
	char		*sql;		/* in PostgreSQL's spelling, for logs */
	int		 nparams;
	const char	*vals[STORE_PG_MAX_PARAMS];
	char		 ints[STORE_PG_MAX_PARAMS][24];
	PGresult	*res;
	int		 row;		/* the current row; -1 before the first */
	int		 writes;	/* INSERT, UPDATE or DELETE */
	int		 defer;		/* a write that returns nothing */
	/* An INSERT ... RETURNING its id, also prepared with the id a
	 * parameter after the others (store_pg_prepare_id), or "". */
	char		 idname[20];
	char		*idcol;		/* the id's column, for the row made */
	struct store_pg_ids *ids;	/* where its ids come from */
	int		 with_id;	/* being sent as that */
};

static int
store_pg_handles(const char *path)
{
	return (strncmp(path, "postgresql://", 13) == 0 ||
	    strncmp(path, "postgres://", 11) == 0);
}

static const char *
store_pg_version(void)
{
	static char	v[32];
	int		n = PQlibVersion();

	snprintf(v, sizeof(v), "libpq %d.%d", n / 10000, n % 10000);
	return (v);
}

/* SQLSTATEs that say the primary is gone, or no longer a primary. */
static int
store_pg_state_lost(const char *state)
{
	static const char *const lost[] = { "25006", "57P01", "57P02",
	    "57P03" };
	size_t			 i;

	if (state == NULL)
		return (0);
	if (strncmp(state, "08", 2) == 0)
		return (1);
	for (i = 0; i < nitems(lost); i++) {
		if (strcmp(state, lost[i]) == 0)
			return (1);
	}
	return (0);
}

/*
 * A failed result (or none): logged with the statement's text, never its
 * values; the store is lost if the server or the connection is.
 */
static void
store_pg_failed(struct store_conn *c, const char *sql, PGresult *res)
{
	const char	*state = res != NULL ?
			    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	char		*err;

	err = xstrdup(res != NULL && PQresultErrorField(res,
	    PG_DIAG_MESSAGE_PRIMARY) != NULL ? PQresultErrorField(res,
	    PG_DIAG_MESSAGE_PRIMARY) : PQerrorMessage(c->pg));
	err[strcspn(err, "\n")] = '\0';
	log_warnx("store: statement failed sql=%s sqlstate=%s error=%s", sql,
	    state != NULL ? state : "none", err);
	if (store_pg_state_lost(state) || PQstatus(c->pg) == CONNECTION_BAD)
		store_lost(state, err);
	free(err);
}

static void	store_pg_lease_lost(struct store_conn *);
static void	store_pg_lease_extend(struct store_conn *, int64_t);

/* ---- waiting for the server, bounded ---------------------------------- */

/*
 * The connection's tcp_user_timeout (the default or the URL's), in ms:
 * the longest this driver waits for an answer; 0 (the kernel's own
 * timeout) waits as long as the kernel does.
 */
static int64_t
store_pg_wait_ms(PGconn *pg)
{
	PQconninfoOption	*opts = PQconninfo(pg), *o;
	int64_t			 ms = 0;

	for (o = opts; o != NULL && o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "tcp_user_timeout") == 0 &&
		    o->val != NULL)
			ms = strtoll(o->val, NULL, 10);
	}
	PQconninfoFree(opts);
	return (ms > 0 ? ms : 0);
}

/*
 * No answer within the bound: the server is out of reach (packets
 * dropped, nothing refused).  The socket is shut down first, so that
 * whatever libpq is asked next fails at once instead of waiting again,
 * and nothing more is sent on it; then the store is lost.
 */
static void
store_pg_gone(struct store_conn *c)
{
	char	why[96];

	c->gone = c->failed = 1;
	if (PQsocket(c->pg) >= 0)
		shutdown(PQsocket(c->pg), SHUT_RDWR);
	snprintf(why, sizeof(why), "no answer from the server within "
	    "%lld ms (tcp_user_timeout)", (long long)c->wait_ms);
	store_lost(NULL, why);
}

/*
 * Wait until PQgetResult will not block, at most wait_ms: 0, or -1 when
 * the time ran out (the connection is gone).  An error on the way is
 * libpq's to report, at the PQgetResult that follows.
 */
static int
store_pg_await(struct store_conn *c)
{
	struct pollfd	pfd;
	int64_t		end, left;
	int		n;

	if (c->gone)
		return (-1);
	if (c->wait_ms == 0)
		return (0);
	end = clock_monotonic_us() + c->wait_ms * 1000;
	pfd.fd = PQsocket(c->pg);
	pfd.events = POLLIN;
	while (pfd.fd >= 0 && PQisBusy(c->pg)) {
		if ((left = end - clock_monotonic_us()) <= 0) {
			store_pg_gone(c);
			return (-1);
		}
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)((left + 999) / 1000));
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && PQconsumeInput(c->pg) == 0)
			break;
	}
	return (0);
}

/* The next result, its wait bounded: NULL at the end or when gone. */
static PGresult *
store_pg_result(struct store_conn *c)
{
	return (store_pg_await(c) == 0 ? PQgetResult(c->pg) : NULL);
}

/*
 * What PQexec and its kin answer, for a query just sent (sent 1), each
 * wait bounded: the last result (the first error, if one failed), or
 * NULL, as theirs when the connection broke, or when it is gone.
 */
static PGresult *
store_pg_finish(struct store_conn *c, int sent)
{
	PGresult	*res = NULL, *r;

	if (!sent)
		return (NULL);
	while ((r = store_pg_result(c)) != NULL) {
		if (res != NULL && PQresultStatus(res) == PGRES_FATAL_ERROR)
			PQclear(r);
		else {
			PQclear(res);
			res = r;
		}
		if (PQstatus(c->pg) == CONNECTION_BAD)
			break;
	}
	if (c->gone) {
		PQclear(res);
		return (NULL);
	}
	return (res);
}

/* The connection broke, or is gone: nothing more to read on it. */
static int
store_pg_broken(struct store_conn *c)
{
	return (c->gone || PQstatus(c->pg) == CONNECTION_BAD);
}

/* PQexec, bounded (above); nothing is sent on a connection gone. */
static PGresult *
store_pg_query(struct store_conn *c, const char *sql)
{
	return (c->gone ? NULL : store_pg_finish(c, PQsendQuery(c->pg, sql)));
}

static PGresult *
store_pg_query_params(struct store_conn *c, const char *sql, int n,
    const char *const *vals)
{
	return (c->gone ? NULL : store_pg_finish(c, PQsendQueryParams(c->pg,
	    sql, n, NULL, vals, NULL, NULL, 0)));
}

/* ---- the pipeline, inside a transaction ----------------------------- */

/* What is owed for a statement just sent, at the end of the queue. */
static void
store_pg_owe(struct store_conn *c, const char *sql, enum store_pg_owed what)
{
	if (c->nowed == c->owedsz) {
		c->owedsz = c->owedsz > 0 ? c->owedsz * 2 : 16;
		c->owed = xreallocarray(c->owed, c->owedsz, sizeof(*c->owed));
	}
	c->owed[c->nowed].sql = sql;
	c->owed[c->nowed].what = what;
	c->owed[c->nowed++].sync = 0;
}

/*
 * A Sync after the last statement sent, which flushes what libpq holds:
 * 0, or -1 when it could not be sent (logged; the transaction failed).
 */
static int
store_pg_sync(struct store_conn *c)
{
	if (c->nowed == 0 || c->owed[c->nowed - 1].sync)
		return (0);
	c->unsynced = 0;
	if (PQpipelineSync(c->pg) != 1) {
		store_pg_failed(c, "(Sync)", NULL);
		c->failed = 1;
		return (-1);
	}
	c->owed[c->nowed - 1].sync = 1;
	return (0);
}

/*
 * The answer to the next statement down the pipeline, and the Sync sent
 * after it if one was (sync): the result, or NULL when the connection
 * failed.  An error's result is returned even if the connection broke
 * under it.
 */
static PGresult *
store_pg_answer(struct store_conn *c, int sync)
{
	PGresult	*res, *more;
	int		 whole;

	if ((res = store_pg_result(c)) == NULL)
		return (NULL);
	/* The end of this statement's results (a NULL), then its Sync. */
	while ((more = store_pg_result(c)) != NULL &&
	    PQresultStatus(more) != PGRES_PIPELINE_SYNC)
		PQclear(more);
	if (!sync)
		whole = more == NULL && !store_pg_broken(c);
	else {
		if (more == NULL)
			more = store_pg_result(c);
		whole = more != NULL &&
		    PQresultStatus(more) == PGRES_PIPELINE_SYNC;
	}
	PQclear(more);
	if (whole || PQresultStatus(res) == PGRES_FATAL_ERROR)
		return (res);
	PQclear(res);
	return (NULL);
}

/*
 * An answer owed by a deferred statement, read.  One that failed fails
 * the transaction; a renewal that did not find our lease is the lease
 * lost (*lease set), once the pipeline is read to its end.
 */
static void
store_pg_settle(struct store_conn *c, const struct store_pg_owe *o,
    int *lease)
{
	PGresult	*res = store_pg_answer(c, o->sync);
	ExecStatusType	 st = res != NULL ? PQresultStatus(res) :
			    PGRES_FATAL_ERROR;
	const char	*state = res != NULL ?
			    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	int		 ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	/* Renewed, not yet committed: the deadline moves at the COMMIT. */
	if (ok && o->what == STORE_PG_OWED_LEASE)
		c->renewed = ok = strcmp(PQcmdTuples(res), "1") == 0;
	else if (ok && o->what == STORE_PG_OWED_ROWS)
		c->changes = strtoll(PQcmdTuples(res), NULL, 10);
	else if (!ok && (!c->failed || store_pg_state_lost(state) ||
	    PQstatus(c->pg) == CONNECTION_BAD))
		store_pg_failed(c, o->sql, res);	/* the first, or lost */
	if (!ok && o->what == STORE_PG_OWED_LEASE)
		*lease = 1;
	if (!ok)
		c->failed = 1;
	PQclear(res);
}

/*
 * Read every answer owed, in order (one wait for the server): 0, or -1
 * when the transaction failed.  With last, the last statement's is the
 * caller's: its result in *last (or NULL), not settled.
 */
static int
store_pg_drain(struct store_conn *c, PGresult **last)
{
	size_t	i, n = c->nowed;
	int	lease = 0, sent = 1;

	if (last != NULL) {
		*last = NULL;
		n--;
	}
	if (c->nowed > 0) {
		c->trips++;
		sent = store_pg_sync(c) == 0;	/* else no answer comes */
	}
	for (i = 0; i < n && sent && !store_pg_broken(c); i++)
		store_pg_settle(c, &c->owed[i], &lease);
	if (last != NULL && n < c->nowed && sent && !store_pg_broken(c))
		*last = store_pg_answer(c, c->owed[n].sync);
	c->nowed = 0;
	if (store_pg_broken(c))
		c->failed = 1;
	if (lease)
		store_pg_lease_lost(c);
	return (c->failed ? -1 : 0);
}

/* Into pipeline mode for the transaction: 0, or -1 (it failed). */
static int
store_pg_pipe(struct store_conn *c)
{
	if (c->piped)
		return (0);
	if (PQenterPipelineMode(c->pg) != 1) {
		store_pg_failed(c, "(pipeline mode)", NULL);
		c->failed = 1;
		return (-1);
	}
	c->piped = 1;
	return (0);
}

/*
 * Out of pipeline mode, every answer owed read, for libpq's synchronous
 * calls: 0, or -1 when the transaction failed.
 */
static int
store_pg_unpipe(struct store_conn *c)
{
	int	rc = store_pg_drain(c, NULL);

	if (c->piped && PQexitPipelineMode(c->pg) == 1)
		c->piped = 0;
	else if (c->piped && c->gone) {
		c->piped = 0;		/* lost already; nothing more is sent */
		rc = -1;
	} else if (c->piped) {
		/*
		 * Answers the connection will never give: it is gone, and
		 * left in pipeline mode it would refuse every later call
		 * without looking broken.  Lost, like a broken one.
		 */
		c->piped = 0;
		c->failed = 1;
		rc = -1;
		store_lost(NULL, "the connection cannot leave pipeline mode");
	}
	return (rc);
}

/* About the bytes a statement takes in libpq's buffer. */
static size_t
store_pg_size(const char *sql, int n, const char *const *vals)
{
	size_t	size = 64 + (sql != NULL ? strlen(sql) : 0);
	int	i;

	for (i = 0; i < n; i++)
		size += 8 + (vals[i] != NULL ? strlen(vals[i]) : 0);
	return (size);
}

/*
 * Send a statement down the pipeline, a prepared one (q) or SQL text
 * with n values, without waiting; what is owed for it is queued, and the
 * Sync after it waits for the next wait, or for STORE_PG_UNSYNCED_MAX
 * bytes.  0, or -1: the transaction failed (logged).
 */
static int
store_pg_defer(struct store_conn *c, struct store_query *q, const char *sql,
    int n, const char *const *vals, enum store_pg_owed what)
{
	size_t	size;
	int	ok;

	if (c->failed || c->gone || store_pg_pipe(c) != 0)
		return (-1);
	if (q != NULL) {
		sql = q->with_id ? q->idname : q->name;
		n = q->nparams + q->with_id;
		vals = q->vals;
	}
	size = store_pg_size(sql, n, vals);
	if (c->unsynced + size > STORE_PG_UNSYNCED_MAX &&
	    store_pg_sync(c) != 0)
		return (-1);
	if (q != NULL)
		ok = PQsendQueryPrepared(c->pg, sql, n, vals, NULL, NULL, 0);
	else
		ok = PQsendQueryParams(c->pg, sql, n, NULL, vals, NULL, NULL,
		    0);
	if (!ok) {
		store_pg_failed(c, q != NULL ? q->sql : sql, NULL);
		c->failed = 1;
		return (-1);
	}
	store_pg_owe(c, q != NULL ? q->sql : sql, what);
	c->unsynced += size;
	if (c->unsynced > STORE_PG_UNSYNCED_MAX && store_pg_sync(c) != 0)
		return (-1);
	return (0);
}

/* ---- statements ------------------------------------------------------ */

/* Ids fetched and not used, forgotten: their sequences were reset. */
static void
store_pg_ids_forget(struct store_conn *c)
{
	size_t	i;

	for (i = 0; i < c->nids; i++)
		c->ids[i].n = c->ids[i].next = 0;
}

/* Run SQL text (several statements may be one message): 0, or -1 logged. */
static int
store_pg_exec(struct store_conn *c, const char *sql)
{
	PGresult	*res;
	int		 ok;

	if (c->failed || c->gone || (c->piped && store_pg_unpipe(c) != 0))
		return (-1);
	if (strstr(sql, "RESTART IDENTITY") != NULL)	/* store_empty */
		store_pg_ids_forget(c);
	c->trips++;
	res = store_pg_query(c, sql);
	ok = res != NULL && (PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK);
	if (!ok && !c->gone)
		store_pg_failed(c, sql, res);
	else
		c->changes = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return (ok ? 0 : -1);
}

/* The server's notices (IF NOT EXISTS skipped ...) are for debugging. */
static void
store_pg_notice(void *arg, const char *msg)
{
	log_debug("store: postgresql says %.*s", (int)strcspn(msg, "\n"), msg);
}

static void
store_pg_close(struct store_conn *c)
{
	size_t	i;

	if (c == NULL)
		return;
	PQfinish(c->pg);
	for (i = 0; i < c->nids; i++)
		free(c->ids[i].seq);
	free(c->owed);
	free(c->desc);
	free(c->holder);
	free(c);
}

/* The session's limits: no statement and no open transaction waits on. */
static int
store_pg_session(struct store_conn *c, char **cause)
{
	if (store_pg_exec(c, "SET statement_timeout = '"
	    STORE_PG_STATEMENT_TIMEOUT "'; "
	    "SET idle_in_transaction_session_timeout = '"
	    STORE_PG_IDLE_TXN_TIMEOUT "'; SET TIME ZONE 'UTC'") != 0) {
		xasprintf(cause, "%s: setting the session's limits: %s",
		    c->desc, PQerrorMessage(c->pg));
		return (-1);
	}
	return (0);
}

/*
 * "desc: msg" on one line, for the log, with every line of libpq's
 * message: it has one failure per host tried, and store-pg-reach.c reads
 * them all (a wrong password behind a host that is down is still a wrong
 * password).  A hint line ("\n\tIs the server running...") joins its
 * failure; the failures are joined with "; ".
 */
static char *
store_pg_one_line(const char *desc, const char *msg)
{
	char	*s, *w;

	s = w = xmalloc(strlen(desc) + 2 + 2 * strlen(msg) + 1);
	w += sprintf(w, "%s: ", desc);
	for (; *msg != '\0'; msg++) {
		if (*msg == '\n' && msg[1] == '\t') {
			*w++ = ' ';
			msg++;
		} else if (*msg == '\n' && msg[1] != '\0') {
			*w++ = ';';
			*w++ = ' ';
		} else if (*msg == '\t')
			*w++ = ' ';
		else if (*msg != '\n')
			*w++ = *msg;
	}
	*w = '\0';
	return (s);
}

/*
 * Connect to the database the URL names and bring its schema up to date.
 * sync (SQLite's synchronous mode) has no meaning here: a PostgreSQL
 * commit is as durable as the server's synchronous_commit makes it.
 */
static struct store_conn *
store_pg_open(const char *url, const char *sync, char **cause)
{
	const char		*vals[nitems(store_pg_keys)];
	struct store_conn	*c;
	size_t			 i;

	/* libpq's connection error would quote a bad piece of the URL. */
	if (store_check_name(url, cause) != 0)
		return (NULL);
	c = xcalloc(1, sizeof(*c));
	c->desc = store_describe(url);
	for (i = 0; i < nitems(store_pg_keys); i++)
		vals[i] = store_pg_defaults[i];
	vals[nitems(store_pg_keys) - 2] = url;
	c->pg = PQconnectdbParams(store_pg_keys, vals, 1);
	if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
		*cause = store_pg_one_line(c->desc, c->pg != NULL ?
		    PQerrorMessage(c->pg) : "out of memory");
		goto fail;
	}
	PQsetNoticeProcessor(c->pg, store_pg_notice, NULL);
	c->wait_ms = store_pg_wait_ms(c->pg);
	if (store_pg_session(c, cause) != 0 ||
	    store_pg_schema_migrate(c->pg, store_pg_schema_latest(),
	    cause) != 0)
		goto fail;
	return (c);
fail:
	store_pg_close(c);
	return (NULL);
}

/*
 * sql with ?N made $N, outside quotes; *n the highest N.  A ? with no
 * number is not store.c's spelling: refused.
 */
static char *
store_pg_spell(const char *sql, int *n, char **cause)
{
	char	*out = xmalloc(strlen(sql) + 1), *o = out, *end;
	char	 quote = 0;
	long	 v;

	*n = 0;
	for (; *sql != '\0'; sql++) {
		if (quote != 0 && *sql == quote)
			quote = 0;
		else if (quote == 0 && (*sql == '\'' || *sql == '"'))
			quote = *sql;
		if (quote != 0 || *sql != '?') {
			*o++ = *sql;
			continue;
		}
		v = strtol(sql + 1, &end, 10);
		if (end == sql + 1 || v < 1 || v > STORE_PG_MAX_PARAMS) {
			*o = '\0';
			xasprintf(cause, "a parameter without a number after "
			    "\"%s\"", out);
			free(out);
			return (NULL);
		}
		o += sprintf(o, "$%ld", v);	/* as long as ?N: it fits */
		if (v > *n)
			*n = (int)v;
		sql = end - 1;
	}
	*o = '\0';
	return (out);
}

/*
 * The parameter PostgreSQL could not give a type (42P18, or 42P08 when
 * it is used once more after), by its number in the message ("...
 * parameter $3"); 0 when the error is another.
 */
static int
store_pg_untyped(PGresult *res)
{
	const char	*state, *msg, *d;

	if (res == NULL || (state = PQresultErrorField(res,
	    PG_DIAG_SQLSTATE)) == NULL || (strcmp(state, "42P18") != 0 &&
	    strcmp(state, "42P08") != 0) ||
	    (msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)) == NULL ||
	    (d = strrchr(msg, '$')) == NULL)
		return (0);
	return (atoi(d + 1));
}

/*
 * Does the statement write (its first word; store.c has no writing
 * WITH)?  See store_pg_step.
 */
static int
store_pg_writes(const char *sql)
{
	static const char *const verbs[] = { "INSERT", "UPDATE", "DELETE" };
	size_t			 i;

	while (isspace((unsigned char)*sql))
		sql++;
	for (i = 0; i < nitems(verbs); i++) {
		if (strncasecmp(sql, verbs[i], strlen(verbs[i])) == 0)
			return (1);
	}
	return (0);
}

/* Does the statement give rows back (RETURNING)?  See store_pg_step. */
static int
store_pg_returns(const char *sql)
{
	for (; *sql != '\0'; sql++) {
		if (strncasecmp(sql, "RETURNING", 9) == 0)
			return (1);
	}
	return (0);
}

/*
 * Prepare sql as name with the types the server infers (types, nparams
 * of them, filled in): 0, or -1 with *cause.  A parameter only ever
 * asked IS NULL before it is compared ("?3 IS NULL OR unit = ?3") has
 * none it can infer: such a one is text, which every one in store.c is,
 * and the statement is prepared again.
 */
static int
store_pg_prepare_as(struct store_conn *c, const char *name, const char *sql,
    int nparams, Oid *types, char **cause)
{
	PGresult	*res;
	int		 n;

	for (;;) {
		c->trips++;
		res = c->gone ? NULL : store_pg_finish(c, PQsendPrepare(c->pg,
		    name, sql, nparams, types));
		if (res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK)
			break;
		if ((n = store_pg_untyped(res)) < 1 || n > nparams ||
		    types[n - 1] != 0) {
			xasprintf(cause, "preparing \"%s\": %s", sql,
			    res != NULL ? PQresultErrorMessage(res) :
			    PQerrorMessage(c->pg));
			(*cause)[strcspn(*cause, "\n")] = '\0';
			PQclear(res);
			return (-1);
		}
		types[n - 1] = STORE_PG_TEXTOID;
		PQclear(res);
	}
	PQclear(res);
	return (0);
}

/* Is the word w (len bytes) one of the comma-separated names in [s, e)? */
static int
store_pg_listed(const char *s, const char *e, const char *w, size_t len)
{
	size_t	n;

	while (s < e) {
		s += strspn(s, " ");
		n = strcspn(s, ",)");
		if (n == len && strncmp(s, w, len) == 0)
			return (1);
		s += n + 1;
	}
	return (0);
}

/*
 * "INSERT INTO t (cols) VALUES (vals) RETURNING key" and nothing else,
 * in PostgreSQL's spelling with n parameters: the same with key the
 * first column, $n+1 its value and no RETURNING (*table and *key set);
 * NULL for any other statement, an upsert (ON CONFLICT) above all: its
 * RETURNING may answer no row.
 */
static char *
store_pg_id_sql(const char *sql, int n, char **table, char **key)
{
	const char	*t, *cols, *vals, *ret, *k;
	size_t		 tlen, klen;
	char		*out;

	if (strncmp(sql, "INSERT INTO ", 12) != 0 ||
	    strstr(sql, "ON CONFLICT") != NULL ||
	    strstr(sql, "SELECT") != NULL || n + 1 > STORE_PG_MAX_PARAMS)
		return (NULL);
	t = sql + 12;
	tlen = strcspn(t, " (");
	if (tlen == 0 || strncmp(t + tlen, " (", 2) != 0)
		return (NULL);
	cols = t + tlen + 2;
	if ((vals = strstr(cols, ") VALUES (")) == NULL ||
	    (ret = strstr(vals, ") RETURNING ")) == NULL)
		return (NULL);
	k = ret + 12;
	klen = strlen(k);
	if (klen == 0 || strspn(k, "abcdefghijklmnopqrstuvwxyz_") != klen ||
	    store_pg_listed(cols, vals, k, klen))
		return (NULL);
	vals += 10;
	xasprintf(&out, "INSERT INTO %.*s (%s, %.*s$%d, %.*s)", (int)tlen, t,
	    k, (int)(vals - cols), cols, n + 1, (int)(ret - vals), vals);
	*table = xstrndup(t, tlen);
	*key = xstrdup(k);
	return (out);
}

/* The ids of the sequence seq (found or made): NULL when too many. */
static struct store_pg_ids *
store_pg_ids_of(struct store_conn *c, const char *seq)
{
	size_t	i;

	for (i = 0; i < c->nids; i++) {
		if (strcmp(c->ids[i].seq, seq) == 0)
			return (&c->ids[i]);
	}
	if (c->nids == nitems(c->ids))
		return (NULL);
	c->ids[c->nids].seq = xstrdup(seq);
	return (&c->ids[c->nids++]);
}

/*
 * q, an INSERT ... RETURNING its table's identity, prepared a second
 * time with the id a parameter (types as q's, the id's inferred), and
 * tied to that sequence's ids.  Any statement else, a column without a
 * sequence, or a failure here: q runs as it is (nothing is lost but the
 * round trip).
 */
static void
store_pg_prepare_id(struct store_conn *c, struct store_query *q,
    const Oid *qtypes)
{
	Oid		 types[STORE_PG_MAX_PARAMS] = { 0 };
	const char	*vals[2];
	char		*sql, *table = NULL, *key = NULL, *cause = NULL;
	PGresult	*res;

	if ((sql = store_pg_id_sql(q->sql, q->nparams, &table, &key)) == NULL)
		return;
	vals[0] = table;
	vals[1] = key;
	c->trips++;
	res = store_pg_query_params(c, "SELECT pg_get_serial_sequence($1, $2)",
	    2, vals);
	memcpy(types, qtypes, q->nparams * sizeof(*types));
	snprintf(q->idname, sizeof(q->idname), "%si", q->name);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1 || PQgetisnull(res, 0, 0) ||
	    (q->ids = store_pg_ids_of(c, PQgetvalue(res, 0, 0))) == NULL ||
	    store_pg_prepare_as(c, q->idname, sql, q->nparams + 1, types,
	    &cause) != 0) {
		log_debug("store: no ids in blocks for \"%s\": %s", q->sql,
		    cause != NULL ? cause : "no sequence");
		q->idname[0] = '\0';
		q->ids = NULL;
		free(key);
	} else
		q->idcol = key;
	PQclear(res);
	free(cause);
	free(table);
	free(sql);
}

/* Prepared on the server (store_pg_prepare_as), and its id form too. */
static struct store_query *
store_pg_prepare(struct store_conn *c, const char *sql, char **cause)
{
	struct store_query	*q = xcalloc(1, sizeof(*q));
	Oid			 types[STORE_PG_MAX_PARAMS] = { 0 };

	q->c = c;
	q->row = -1;
	if ((q->sql = store_pg_spell(sql, &q->nparams, cause)) == NULL) {
		free(q);
		return (NULL);
	}
	snprintf(q->name, sizeof(q->name), "t%u", c->nstmt++);
	q->writes = store_pg_writes(q->sql);
	q->defer = q->writes && !store_pg_returns(q->sql);
	if (c->failed || c->gone || (c->piped && store_pg_unpipe(c) != 0)) {
		xasprintf(cause, "preparing \"%s\": the transaction failed",
		    q->sql);
		free(q->sql);
		free(q);
		return (NULL);
	}
	if (store_pg_prepare_as(c, q->name, q->sql, q->nparams, types,
	    cause) != 0) {
		free(q->sql);
		free(q);
		return (NULL);
	}
	if (q->writes && !q->defer)
		store_pg_prepare_id(c, q, types);
	return (q);
}

/*
 * A statement made for one call (a scoped read) is deallocated on the
 * server too; the ones prepared at open go with the connection.
 */
static void
store_pg_finalize(struct store_query *q)
{
	char	*sql;

	PQclear(q->res);
	if (q->c->piped)
		store_pg_unpipe(q->c);
	if (!store_pg_broken(q->c) && !q->c->failed &&
	    PQtransactionStatus(q->c->pg) != PQTRANS_INERROR) {
		xasprintf(&sql, "DEALLOCATE %s", q->name);
		PQclear(store_pg_query(q->c, sql));
		free(sql);
		if (q->idname[0] != '\0') {
			xasprintf(&sql, "DEALLOCATE %s", q->idname);
			PQclear(store_pg_query(q->c, sql));
			free(sql);
		}
	}
	free(q->idcol);
	free(q->sql);
	free(q);
}

static int
store_pg_bind_ok(struct store_query *q, int i)
{
	if (i >= 1 && i <= q->nparams)
		return (1);
	log_warnx("store: cannot bind parameter=%d sql=%s error=out of range",
	    i, q->sql);
	return (0);
}

static int
store_pg_bind_int64(struct store_query *q, int i, int64_t v)
{
	if (!store_pg_bind_ok(q, i))
		return (-1);
	snprintf(q->ints[i - 1], sizeof(q->ints[i - 1]), "%lld",
	    (long long)v);
	q->vals[i - 1] = q->ints[i - 1];
	return (0);
}

static int
store_pg_bind_text(struct store_query *q, int i, const char *v)
{
	if (!store_pg_bind_ok(q, i))
		return (-1);
	q->vals[i - 1] = v;
	return (0);
}

static int
store_pg_bind_null(struct store_query *q, int i)
{
	if (!store_pg_bind_ok(q, i))
		return (-1);
	q->vals[i - 1] = NULL;
	return (0);
}

static int	store_pg_txn(struct store_conn *, enum store_txn);

static int
store_pg_int64_cmp(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x < y ? -1 : x > y);
}

/*
 * The next id of b, a block fetched first when none is left or they are
 * an old term's (one wait, in the transaction): 0, or -1 when the
 * transaction failed.
 */
static int
store_pg_id(struct store_conn *c, struct store_pg_ids *b, int64_t *id)
{
	static const char	 sql[] = "SELECT nextval($1::regclass) FROM "
				    "generate_series(1, $2::integer)";
	const char		*vals[2];
	char			 count[16];
	PGresult		*res = NULL;
	int			 i;

	if (b->term != c->term)
		b->n = b->next = 0;
	if (b->next == b->n) {
		snprintf(count, sizeof(count), "%d", STORE_PG_ID_BLOCK);
		vals[0] = b->seq;
		vals[1] = count;
		if (store_pg_defer(c, NULL, sql, 2, vals,
		    STORE_PG_OWED_QUIET) != 0 || store_pg_drain(c, &res) != 0) {
			PQclear(res);
			return (-1);
		}
		if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
		    PQntuples(res) != STORE_PG_ID_BLOCK) {
			if (!c->gone)
				store_pg_failed(c, sql, res);
			c->failed = 1;
			PQclear(res);
			return (-1);
		}
		for (i = 0; i < STORE_PG_ID_BLOCK; i++)
			b->v[i] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		PQclear(res);
		qsort(b->v, STORE_PG_ID_BLOCK, sizeof(b->v[0]),
		    store_pg_int64_cmp);
		b->n = STORE_PG_ID_BLOCK;
		b->next = 0;
		b->term = c->term;
	}
	*id = b->v[b->next++];
	return (0);
}

/*
 * q's INSERT with the next id of its block, down the pipeline without a
 * wait (its answer owed, as a deferred write's), and its RETURNING made
 * here: a row of that id.  0, or -1 logged.
 */
static int
store_pg_run_id(struct store_query *q)
{
	struct store_conn	*c = q->c;
	PGresAttDesc		 col;
	char			*v = q->ints[q->nparams];
	int64_t			 id;
	int			 rc;

	if (store_pg_id(c, q->ids, &id) != 0)
		return (-1);
	snprintf(v, sizeof(q->ints[0]), "%lld", (long long)id);
	q->vals[q->nparams] = v;
	q->with_id = 1;
	rc = store_pg_defer(c, q, NULL, 0, NULL, STORE_PG_OWED_ROWS);
	q->with_id = 0;
	if (rc != 0)
		return (-1);
	memset(&col, 0, sizeof(col));
	col.name = q->idcol;
	col.typid = STORE_PG_INT8OID;
	col.typlen = 8;
	col.atttypmod = -1;
	if ((q->res = PQmakeEmptyPGresult(c->pg, PGRES_TUPLES_OK)) == NULL ||
	    PQsetResultAttrs(q->res, 1, &col) == 0 ||
	    PQsetvalue(q->res, 0, 0, v, (int)strlen(v)) == 0) {
		log_warnx("store: out of memory for a new row's id");
		PQclear(q->res);
		q->res = NULL;
		c->failed = 1;
		return (-1);
	}
	q->row = -1;
	return (0);
}

/*
 * Run q and keep its rows: inside a transaction down the pipeline, a
 * write that returns nothing without waiting (its answer is owed), any
 * other after the answers owed before it; outside, at once.  0, or -1
 * logged.
 */
static int
store_pg_run(struct store_query *q)
{
	struct store_conn	*c = q->c;
	PGresult		*res;
	ExecStatusType		 st;

	if (c->txn && q->defer)
		return (store_pg_defer(c, q, NULL, 0, NULL,
		    STORE_PG_OWED_ROWS));
	if (c->txn && q->ids != NULL)
		return (store_pg_run_id(q));
	if (c->txn) {
		if (store_pg_defer(c, q, NULL, 0, NULL,
		    STORE_PG_OWED_ROWS) != 0)
			return (-1);
		if (store_pg_drain(c, &res) != 0) {
			PQclear(res);	/* the transaction had failed before */
			return (-1);
		}
	} else {
		if (c->gone)
			return (-1);
		c->trips++;
		res = store_pg_finish(c, PQsendQueryPrepared(c->pg, q->name,
		    q->nparams, q->vals, NULL, NULL, 0));
	}
	st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		if (!c->gone)
			store_pg_failed(c, q->sql, res);
		PQclear(res);
		return (-1);
	}
	c->changes = strtoll(PQcmdTuples(res), NULL, 10);
	q->res = res;
	q->row = -1;
	return (0);
}

/*
 * The first step runs the statement and keeps its rows; the rest walk
 * them (a deferred write has none).  Under a lease, a write outside a
 * transaction gets one of its own, so that it too begins by renewing
 * the lease (store_pg_begin).  Once the transaction failed, -1.
 */
static int
store_pg_step(struct store_query *q)
{
	struct store_conn	*c = q->c;
	int			 rc;

	if (q->res == NULL && q->writes && c->lease_ms > 0 && !c->txn &&
	    PQtransactionStatus(c->pg) == PQTRANS_IDLE) {
		if (store_pg_txn(c, STORE_TXN_BEGIN) != 0)
			return (-1);
		if ((rc = store_pg_step(q)) < 0 ||
		    store_pg_txn(c, STORE_TXN_COMMIT) != 0) {
			store_pg_txn(c, STORE_TXN_ROLLBACK);
			PQclear(q->res);
			q->res = NULL;
			return (-1);
		}
		return (rc);
	}
	if (c->failed)
		return (-1);
	if (q->res == NULL) {
		if (store_pg_run(q) != 0)
			return (-1);
		if (q->res == NULL)	/* deferred: done, its answer owed */
			return (0);
	}
	if (q->row + 1 >= PQntuples(q->res))
		return (0);
	q->row++;
	return (1);
}

static void
store_pg_reset(struct store_query *q)
{
	PQclear(q->res);
	q->res = NULL;
	q->row = -1;
	memset(q->vals, 0, sizeof(q->vals));
}

static int
store_pg_column_is_null(struct store_query *q, int col)
{
	return (q->res == NULL || q->row < 0 || col >= PQnfields(q->res) ||
	    PQgetisnull(q->res, q->row, col));
}

static const char *
store_pg_column_text(struct store_query *q, int col)
{
	if (store_pg_column_is_null(q, col))
		return (NULL);
	return (PQgetvalue(q->res, q->row, col));
}

/*
 * An integer, as SQLite would read it: a boolean (a comparison as a
 * column, EXISTS) is 1 or 0; NULL is 0.
 */
static int64_t
store_pg_column_int64(struct store_query *q, int col)
{
	const char	*v = store_pg_column_text(q, col);

	if (v == NULL)
		return (0);
	if (strcmp(v, "t") == 0)
		return (1);
	if (strcmp(v, "f") == 0)
		return (0);
	return (strtoll(v, NULL, 10));
}

/* The last statement's count: a deferred one's answer is read first. */
static int64_t
store_pg_changes(struct store_conn *c)
{
	if (c->nowed > 0 && store_pg_drain(c, NULL) != 0)
		return (0);
	return (c->changes);
}

/*
 * A COMMIT's answer (res, cleared here).  One that did not come, or that
 * came from a connection that broke: it may have committed or not, and
 * nothing can tell which from here.  The store is lost.
 */
static int
store_pg_committed(struct store_conn *c, PGresult *res)
{
	const char	*state = res != NULL ?
			    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	int		 ok;

	ok = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK &&
	    strcmp(PQcmdStatus(res), "COMMIT") == 0;
	if (!ok && (res == NULL || PQstatus(c->pg) == CONNECTION_BAD ||
	    store_pg_state_lost(state))) {
		PQclear(res);
		store_lost(state, "the outcome of a COMMIT is unknown");
		return (-1);
	}
	if (!ok && res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK)
		log_warnx("store: the transaction had failed; COMMIT rolled "
		    "it back");
	else if (!ok)
		store_pg_failed(c, "COMMIT", res);
	PQclear(res);
	return (ok ? 0 : -1);
}

/*
 * The COMMIT, sent only once every answer owed is read and good and the
 * renewal found our lease: a transaction that failed, or under a term no
 * longer ours, never commits.  Its statement_timeout lifted first.
 */
static int
store_pg_commit(struct store_conn *c)
{
	PGresult	*res;
	int		 rc;

	if (!c->txn) {
		c->trips++;
		return (store_pg_committed(c, store_pg_query(c,
		    "SET LOCAL statement_timeout = 0; COMMIT")));
	}
	if (store_pg_defer(c, NULL, "SET LOCAL statement_timeout = 0", 0,
	    NULL, STORE_PG_OWED_QUIET) != 0 || store_pg_drain(c, NULL) != 0)
		return (-1);
	if (c->lease_ms > 0 && !c->renewed) {
		log_warnx("store: the lease's renewal was not read; no COMMIT");
		c->failed = 1;
		return (-1);
	}
	if (store_pg_defer(c, NULL, "COMMIT", 0, NULL,
	    STORE_PG_OWED_QUIET) != 0) {
		store_lost(NULL, "the outcome of a COMMIT is unknown");
		return (-1);
	}
	store_pg_drain(c, &res);
	c->piped = 0;
	if (PQexitPipelineMode(c->pg) != 1) {	/* nothing owed: it should not */
		PQclear(res);
		store_lost(NULL, "the connection cannot leave pipeline mode");
		return (-1);
	}
	if ((rc = store_pg_committed(c, res)) == 0) {
		/* A renewal rolled back renewed nothing: only now is it. */
		if (c->renewed)
			store_pg_lease_extend(c, c->renew_asked_us);
		c->txn = 0;
		log_debug("store: committed round_trips=%u", c->trips);
	}
	return (rc);
}

static void	store_pg_lease_send(struct store_conn *);
static int	store_pg_rollback(struct store_conn *);

/*
 * Under a lease, a transaction begins by renewing it with our term: the
 * row stays locked to us until the COMMIT, so no other node can take the
 * lease while we write, and if one took it already, nothing commits
 * under our dead term.  Both are sent and not waited for; the renewal's
 * answer is read with the first answer needed, at the latest before the
 * COMMIT.  A standby begins no transaction.
 */
static int
store_pg_begin(struct store_conn *c)
{
	if (c->lease_ms > 0 && c->term == 0) {
		log_warnx("store: a standby writes nothing; the leader does");
		return (-1);
	}
	c->trips = 0;
	c->renewed = 0;
	c->txn = 1;
	if (store_pg_defer(c, NULL, store_pg_txn_sql[STORE_TXN_BEGIN], 0, NULL,
	    STORE_PG_OWED_ROWS) != 0)
		goto fail;
	if (c->lease_ms > 0)
		store_pg_lease_send(c);
	if (c->failed)
		goto fail;
	return (0);
fail:
	store_pg_rollback(c);
	return (-1);
}

/*
 * The answers owed are read (and a renewal not ours still steps down),
 * then the server's transaction, if it has one, rolled back: the
 * connection is fit for the next.
 */
static int
store_pg_rollback(struct store_conn *c)
{
	int	rc = 0;

	store_pg_unpipe(c);
	c->failed = 0;
	c->txn = 0;
	c->renewed = 0;
	if (PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		rc = store_pg_exec(c, store_pg_txn_sql[STORE_TXN_ROLLBACK]);
	return (rc);
}

/*
 * Inside a transaction a savepoint and its release are sent and not
 * waited for; a ROLLBACK TO first reads what is owed, so that a request
 * refused after a deferred statement failed cannot undo that failure:
 * then the transaction, and every request of the batch, fails.
 */
static int
store_pg_txn(struct store_conn *c, enum store_txn which)
{
	if (which == STORE_TXN_BEGIN)
		return (store_pg_begin(c));
	if (which == STORE_TXN_ROLLBACK)
		return (store_pg_rollback(c));
	if (c->failed)
		return (-1);
	if (which == STORE_TXN_COMMIT)
		return (store_pg_commit(c));
	/* BEGIN_UNFENCED (a standby's inbox write, store-int.h) and the
	 * rest outside a pipelined transaction: one round trip each. */
	if (!c->txn)
		return (store_pg_exec(c, store_pg_txn_sql[which]));
	if (which == STORE_TXN_ROLLBACK_TO && store_pg_drain(c, NULL) != 0)
		return (-1);
	return (store_pg_defer(c, NULL, store_pg_txn_sql[which], 0, NULL,
	    STORE_PG_OWED_ROWS));
}

static int
store_pg_in_txn(struct store_conn *c)
{
	return (c->txn || PQtransactionStatus(c->pg) != PQTRANS_IDLE);
}

/*
 * The timeline's triggers let a delete through only while this session
 * says a prune runs (store-pg-schema.c).  Set for the session, not the
 * transaction, like SQLite's function.
 */
static void
store_pg_set_pruning(struct store_conn *c, int on)
{
	store_pg_exec(c, on ? "SELECT set_config('tocsin.pruning', 'on', "
	    "false)" : "SELECT set_config('tocsin.pruning', 'off', false)");
}

/* The database's size, in pages of the server's block size. */
static int
store_pg_info(struct store_conn *c, struct store_info *info)
{
	static const char	*sql = "SELECT pg_database_size("
				    "current_database()), "
				    "current_setting('block_size')::bigint";
	PGresult		*res;
	int			 ok;

	memset(info, 0, sizeof(*info));
	info->path = c->desc;
	if (c->failed || c->gone || (c->piped && store_pg_unpipe(c) != 0))
		return (-1);
	c->trips++;
	res = store_pg_query(c, sql);
	ok = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
	    PQntuples(res) == 1;
	if (ok) {
		info->page_size = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		info->pages = strtoll(PQgetvalue(res, 0, 0), NULL, 10) /
		    (info->page_size > 0 ? info->page_size : 1);
	} else if (!c->gone)
		store_pg_failed(c, sql, res);
	PQclear(res);
	return (ok ? 0 : -1);
}

/* No WAL of ours to checkpoint: the server's own. */
static void
store_pg_checkpoints(struct store_conn *c, struct store_checkpoint_info *info)
{
	memset(info, 0, sizeof(*info));
}

/* ---- the leader's lease (store.h, docs/cluster.md) ------------------- */

/*
 * One row, created at the first start of a node under a lease (no schema
 * version: only the daemon's lease uses it, never the SQLite store).
 * Its clock is the database's (clock_timestamp(), not now(): a
 * transaction's start may be long past).
 */
#define STORE_PG_LEASE_TABLE \
	"CREATE TABLE IF NOT EXISTS leader_lease (" \
	"id integer PRIMARY KEY CHECK (id = 1), holder text NOT NULL, " \
	"term bigint NOT NULL, expires_at timestamptz NOT NULL); " \
	"INSERT INTO leader_lease VALUES (1, '', 0, '-infinity') " \
	"ON CONFLICT (id) DO NOTHING"
/* Renewed with our term, only while still ours and not yet expired. */
#define STORE_PG_LEASE_RENEW \
	"UPDATE leader_lease SET expires_at = clock_timestamp() + " \
	"$3::bigint * interval '1 millisecond' WHERE id = 1 AND " \
	"term = $1::bigint AND holder = $2 AND expires_at > clock_timestamp()"
/*
 * Taken when expired, with the next term.  SKIP LOCKED: a leader in a
 * write transaction holds the row, and a standby does not wait on it.
 */
#define STORE_PG_LEASE_TAKE \
	"UPDATE leader_lease l SET holder = $1, term = l.term + 1, " \
	"expires_at = clock_timestamp() + $2::bigint * " \
	"interval '1 millisecond' FROM (SELECT id FROM leader_lease " \
	"WHERE id = 1 AND expires_at <= clock_timestamp() " \
	"FOR UPDATE SKIP LOCKED) f WHERE l.id = f.id RETURNING l.term"
#define STORE_PG_LEASE_RELEASE \
	"UPDATE leader_lease SET expires_at = clock_timestamp() " \
	"WHERE id = 1 AND term = $1::bigint AND holder = $2"
#define STORE_PG_LEASE_READ \
	"SELECT holder, term, (extract(epoch FROM expires_at - " \
	"clock_timestamp()) * 1000)::bigint FROM leader_lease " \
	"WHERE id = 1 AND expires_at > clock_timestamp()"

/*
 * The local deadline: a send may start until this share of the period
 * after the renewal was asked for, measured on our monotonic clock, so
 * that it ends before the database's expiry whatever the round trip.
 */
#define STORE_PG_SEND_SHARE_NUM		3
#define STORE_PG_SEND_SHARE_DEN		4

/* A lease statement with its values as text; the result, or NULL logged. */
static PGresult *
store_pg_lease_exec(struct store_conn *c, const char *sql, int n,
    const char *const *vals, ExecStatusType want)
{
	PGresult	*res;

	if (c->failed || c->gone || (c->piped && store_pg_unpipe(c) != 0))
		return (NULL);
	c->trips++;
	res = store_pg_query_params(c, sql, n, vals);
	if (res != NULL && PQresultStatus(res) == want)
		return (res);
	if (!c->gone)
		store_pg_failed(c, sql, res);
	PQclear(res);
	return (NULL);
}

static int
store_pg_lease_set(struct store_conn *c, const char *holder, int64_t ms,
    char **cause)
{
	char	sql[128];

	/* Two nodes creating it at once: one fails; the table is there. */
	if (store_pg_exec(c, STORE_PG_LEASE_TABLE) != 0 &&
	    store_pg_exec(c, STORE_PG_LEASE_TABLE) != 0) {
		xasprintf(cause, "%s: cannot create the lease table",
		    c->desc);
		return (-1);
	}
	/* A transaction left open by a stopped leader holds the lease row
	 * no longer than a period. */
	snprintf(sql, sizeof(sql), "SET idle_in_transaction_session_timeout "
	    "= %lld", (long long)ms);
	if (store_pg_exec(c, sql) != 0) {
		xasprintf(cause, "%s: cannot set the session's limits",
		    c->desc);
		return (-1);
	}
	free(c->holder);
	c->holder = xstrdup(holder);
	c->lease_ms = ms;
	c->term = 0;
	return (0);
}

/* Our term and the period as text, for the statements above. */
struct store_pg_lease_vals {
	char	term[24];
	char	ms[24];
};

static void
store_pg_lease_vals(struct store_conn *c, struct store_pg_lease_vals *v)
{
	snprintf(v->term, sizeof(v->term), "%lld", (long long)c->term);
	snprintf(v->ms, sizeof(v->ms), "%lld", (long long)c->lease_ms);
}

static void
store_pg_lease_extend(struct store_conn *c, int64_t asked_us)
{
	c->deadline_us = asked_us + c->lease_ms * 1000 *
	    STORE_PG_SEND_SHARE_NUM / STORE_PG_SEND_SHARE_DEN;
}

static int
store_pg_lease_take(struct store_conn *c)
{
	struct store_pg_lease_vals	 v;
	const char			*vals[2];
	PGresult			*res;
	int64_t				 asked = clock_monotonic_us();
	int				 got;

	if (c->lease_ms == 0 || c->term != 0)
		return (1);
	store_pg_lease_vals(c, &v);
	vals[0] = c->holder;
	vals[1] = v.ms;
	if ((res = store_pg_lease_exec(c, STORE_PG_LEASE_TAKE, 2, vals,
	    PGRES_TUPLES_OK)) == NULL)
		return (-1);
	if ((got = PQntuples(res) == 1)) {
		c->term = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		store_pg_lease_extend(c, asked);
		log_info("store: this node leads holder=%s term=%lld",
		    c->holder, (long long)c->term);
	}
	PQclear(res);
	return (got);
}

/* Renewed, or lost (store_pg_lease_lost). */
static int
store_pg_lease_renew(struct store_conn *c)
{
	struct store_pg_lease_vals	 v;
	const char			*vals[3];
	PGresult			*res;
	int64_t				 asked = clock_monotonic_us();
	int				 ok;

	if (c->lease_ms == 0)
		return (0);
	if (c->term == 0)
		return (-1);
	store_pg_lease_vals(c, &v);
	vals[0] = v.term;
	vals[1] = c->holder;
	vals[2] = v.ms;
	res = store_pg_lease_exec(c, STORE_PG_LEASE_RENEW, 3, vals,
	    PGRES_COMMAND_OK);
	ok = res != NULL && strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	if (ok) {
		store_pg_lease_extend(c, asked);
		return (0);
	}
	store_pg_lease_lost(c);
	return (-1);
}

/* The renewal, down the pipeline at BEGIN: its answer is settled later. */
static void
store_pg_lease_send(struct store_conn *c)
{
	struct store_pg_lease_vals	 v;
	const char			*vals[3];

	store_pg_lease_vals(c, &v);
	vals[0] = v.term;
	vals[1] = c->holder;
	vals[2] = v.ms;
	c->renew_asked_us = clock_monotonic_us();
	store_pg_defer(c, NULL, STORE_PG_LEASE_RENEW, 3, vals,
	    STORE_PG_OWED_LEASE);
}

/*
 * A leader that cannot renew steps down, and as the rest of the process
 * cannot be trusted to stop its work, the store is lost (the daemon
 * exits 75 and its service manager starts a standby).  A transaction
 * open is rolled back on the server; the caller's stays failed until
 * its ROLLBACK, so that no COMMIT of its follows.
 */
static void
store_pg_lease_lost(struct store_conn *c)
{
	log_warnx("store: the lease is lost; stepping down term=%lld",
	    (long long)c->term);
	c->term = 0;
	c->deadline_us = 0;
	if (c->txn)
		c->failed = 1;
	if (c->piped && PQexitPipelineMode(c->pg) == 1)
		c->piped = 0;
	if (!c->piped && !store_pg_broken(c) &&
	    PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
		c->trips++;
		PQclear(store_pg_query(c, "ROLLBACK"));
	}
	store_lost("lease", "the lease was lost or expired");
}

static void
store_pg_lease_release(struct store_conn *c)
{
	struct store_pg_lease_vals	 v;
	const char			*vals[2];
	PGresult			*res;

	if (c->lease_ms == 0 || c->term == 0)
		return;
	store_pg_lease_vals(c, &v);
	vals[0] = v.term;
	vals[1] = c->holder;
	if ((res = store_pg_lease_exec(c, STORE_PG_LEASE_RELEASE, 2, vals,
	    PGRES_COMMAND_OK)) != NULL)
		log_info("store: the lease released term=%lld",
		    (long long)c->term);
	PQclear(res);
	c->term = 0;
	c->deadline_us = 0;
}

static int
store_pg_may_send(struct store_conn *c)
{
	return (c->lease_ms == 0 || (c->term != 0 &&
	    clock_monotonic_us() < c->deadline_us));
}

/*
 * With l NULL: do we lead (what we know, no round trip), 1 or 0.  Else
 * the row as the database sees it now: 0, or -1 logged.
 */
static int
store_pg_lease_read(struct store_conn *c, struct store_lease *l)
{
	PGresult	*res;

	if (l == NULL)
		return (c->lease_ms == 0 || c->term != 0);
	l->enabled = c->lease_ms > 0;
	l->leader = c->lease_ms == 0 || c->term != 0;
	l->term = c->term;
	l->period = c->lease_ms;
	l->node = c->holder;
	if (c->lease_ms == 0)
		return (0);
	if ((res = store_pg_lease_exec(c, STORE_PG_LEASE_READ, 0, NULL,
	    PGRES_TUPLES_OK)) == NULL)
		return (-1);
	if (PQntuples(res) == 1) {
		l->holder = xstrdup(PQgetvalue(res, 0, 0));
		l->holder_term = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		l->expires_in = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	}
	PQclear(res);
	return (0);
}

/* ---- names: a URL fit for a log, and checked ------------------------- */

/*
 * Is the query key of len bytes at key one whose value libpq keeps
 * secret (password, sslpassword), once it decodes its %XX as libpq does?
 */
static int
store_describe_secret(const char *key, size_t len)
{
	static const char *const secrets[] = { "password", "sslpassword" };
	char		 buf[16], hex[3] = "";
	size_t		 i, n = 0;

	for (i = 0; i < len; i++) {
		if (n == sizeof(buf) - 1)
			return (0);
		if (key[i] == '%' && i + 2 < len &&
		    isxdigit((unsigned char)key[i + 1]) &&
		    isxdigit((unsigned char)key[i + 2])) {
			hex[0] = key[i + 1];
			hex[1] = key[i + 2];
			buf[n++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else
			buf[n++] = key[i];
	}
	buf[n] = '\0';
	for (i = 0; i < nitems(secrets); i++) {
		if (strcmp(buf, secrets[i]) == 0)
			return (1);
	}
	return (0);
}

/*
 * The URL with "***" for the password, in the user part
 * (postgresql://user:secret@host/db), and for every secret in the query
 * (?password=secret, ?sslpassword=secret).  Anything not a PostgreSQL URL
 * is returned as is.
 */
char *
store_describe(const char *name)
{
	const char	*auth, *at, *colon, *slash, *p, *eq;
	char		*out, *more;
	size_t		 len;

	if (!store_pg_handles(name))
		return (xstrdup(name));
	auth = strstr(name, "://") + 3;
	slash = auth + strcspn(auth, "/?");
	for (at = NULL, p = auth; p < slash; p++)
		if (*p == '@')
			at = p;
	colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon != NULL)
		xasprintf(&out, "%.*s***", (int)(colon + 1 - name), name);
	else
		xasprintf(&out, "%.*s", (int)(slash - name), name);
	p = colon != NULL ? at : slash;
	len = strcspn(p, "?");
	xasprintf(&more, "%s%.*s", out, (int)len, p);
	free(out);
	out = more;
	if (p[len] == '\0')
		return (out);
	/* The query, a key=value at a time. */
	for (p += len; *p != '\0'; p += len) {
		len = 1 + strcspn(p + 1, "&");		/* the ? or & too */
		eq = memchr(p, '=', len);
		if (eq != NULL && store_describe_secret(p + 1,
		    (size_t)(eq - p - 1)))
			xasprintf(&more, "%s%.*s***", out, (int)(eq + 1 - p), p);
		else
			xasprintf(&more, "%s%.*s", out, (int)len, p);
		free(out);
		out = more;
	}
	return (out);
}

/*
 * libpq quotes what it could not parse: a key's name, or a piece of the
 * URL such as a %-escape in the password ("invalid percent-encoded
 * token").  A quoted text that is more than a name becomes "...".
 */
static void
store_pg_hide_quoted(char *s)
{
	char	*open, *close, *p;

	for (; (open = strchr(s, '"')) != NULL &&
	    (close = strchr(open + 1, '"')) != NULL; s = close + 1) {
		for (p = open + 1; p < close && (isalnum((unsigned char)*p) ||
		    *p == '_'); p++)
			;
		if (p == close)
			continue;
		if (close - open - 1 <= 3) {	/* no room for "..." */
			memset(open + 1, '.', (size_t)(close - open - 1));
			continue;
		}
		memmove(open + 4, close, strlen(close) + 1);
		memcpy(open + 1, "...", 3);
		close = open + 4;
	}
}

/*
 * A URL's secrets off a command line in place, once the program copied
 * it: ps shows every user of the host a process's argv for as long as it
 * runs (tocsinctl's backup and migrate).  The argument becomes the URL as
 * it is logged, cut to the argument's length.
 */
void
store_describe_in_place(char *name)
{
	char	*shown = store_describe(name);

	if (strcmp(shown, name) != 0)
		strncpy(name, shown, strlen(name));
	free(shown);
}

/*
 * A database name libpq can parse (--check); names that are not
 * PostgreSQL URLs are SQLite's, and any is acceptable to it.  The cause
 * never quotes the URL, which may hold a password.
 */
int
store_check_name(const char *name, char **cause)
{
	PQconninfoOption	*opts;
	char			*err = NULL;

	if (!store_pg_handles(name))
		return (0);
	if ((opts = PQconninfoParse(name, &err)) == NULL) {
		xasprintf(cause, "the database URL is not valid: %s",
		    err != NULL ? err : "out of memory");
		(*cause)[strcspn(*cause, "\n")] = '\0';
		store_pg_hide_quoted(*cause);
		PQfreemem(err);
		return (-1);
	}
	PQconninfoFree(opts);
	return (0);
}

const struct store_driver store_pg_driver = {
	.name = "postgresql",
	.version = store_pg_version,
	.handles = store_pg_handles,
	.open = store_pg_open,
	.transient = store_pg_reach_transient,
	.close = store_pg_close,
	.prepare = store_pg_prepare,
	.finalize = store_pg_finalize,
	.bind_int64 = store_pg_bind_int64,
	.bind_text = store_pg_bind_text,
	.bind_null = store_pg_bind_null,
	.step = store_pg_step,
	.reset = store_pg_reset,
	.column_int64 = store_pg_column_int64,
	.column_text = store_pg_column_text,
	.column_is_null = store_pg_column_is_null,
	.changes = store_pg_changes,
	.exec = store_pg_exec,
	.txn = store_pg_txn,
	.in_txn = store_pg_in_txn,
	.set_pruning = store_pg_set_pruning,
	.info = store_pg_info,
	.checkpoints = store_pg_checkpoints,
	.lease_set = store_pg_lease_set,
	.lease_take = store_pg_lease_take,
	.lease_renew = store_pg_lease_renew,
	.lease_release = store_pg_lease_release,
	.may_send = store_pg_may_send,
	.lease_read = store_pg_lease_read,
	.sql = store_pg_sql,
	.empty = STORE_PG_EMPTY_SQL,
};
