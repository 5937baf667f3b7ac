/*
 * Is a PostgreSQL store that would not open out of reach for now, or
 * wrongly configured?  The daemon waits for the first (no server
 * answering, none of the hosts read-write, a server going down or still
 * starting: what a Patroni failover looks like from a client) and exits
 * at once on the second (a password, a role or a database name that is
 * wrong, a schema newer than this build), as a retry would not mend it.
 *
 * libpq gives a failed connection no SQLSTATE, only its message, so the
 * message is what is read: libpq's own texts and the server's, in
 * English.  A server whose lc_messages is another language words its
 * side otherwise; such a failure is taken for configuration, which is
 * what every failure was before the daemon learnt to wait.  The
 * SQLSTATEs of a statement that fails while the store opens (08xxx,
 * 25006, 57P01-57P03) reach the daemon through store_lost() instead.
 */
#include <string.h>

#include "store-pg.h"
#include "tocsin.h"

/* Said of one host that was out of reach, by libpq or by the server. */
static const char *const store_pg_reach_away[] = {
	"Connection refused",
	/* a Unix socket that is not there: no server on this host now (a
	 * missing certificate file says "could not read ...", not this) */
	"failed: No such file or directory",
	"Connection reset by peer",
	"Connection timed out",
	"timeout expired",			/* connect_timeout */
	"No route to host",
	"Network is unreachable",
	"Temporary failure in name resolution",
	"server closed the connection unexpectedly",
	"could not receive data from server",
	"could not send data to server",
	"no connection to the server",
	"SSL SYSCALL error",
	/* target_session_attrs=read-write met only standbys */
	"session is read-only",
	"server is in hot standby mode",
	"could not make a writable connection",
	"read-only transaction",		/* 25006 */
	/* 57P01-57P03: a server stopping, starting or promoting */
	"terminating connection due to administrator command",
	"the database system is starting up",
	"the database system is shutting down",
	"the database system is in recovery mode",
	"the database system is not yet accepting connections",
	"the database system is not accepting connections",
	/* 53300: a server full for now */
	"too many clients already",
	"remaining connection slots are reserved",
};

/* Said of a configuration no retry mends; it wins over the above. */
static const char *const store_pg_reach_wrong[] = {
	"authentication failed",		/* 28P01, and peer, ident */
	"does not exist",			/* 3D000 database, 28000 role */
	"no pg_hba.conf entry",
	"no password supplied",
	"is not permitted to log in",
	"is newer than",			/* store_pg_schema_migrate */
	"invalid connection option",
	"invalid URI",
	"invalid integer value",
	"invalid sslmode",
	"invalid target_session_attrs",
};

static int
store_pg_reach_says(const char *cause, const char *const *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strstr(cause, v[i]) != NULL)
			return (1);
	}
	return (0);
}

/* 1: the failure store_pg_open gave as cause is worth trying again. */
int
store_pg_reach_transient(const char *cause)
{
	if (cause == NULL || store_pg_reach_says(cause, store_pg_reach_wrong,
	    nitems(store_pg_reach_wrong)))
		return (0);
	return (store_pg_reach_says(cause, store_pg_reach_away,
	    nitems(store_pg_reach_away)));
}
