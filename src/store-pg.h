/*
 * The PostgreSQL driver's private header (store-pg.c and its schema and
 * dialect, store-pg-schema.c).
 */
#ifndef STORE_PG_H
#define STORE_PG_H

#include <libpq-fe.h>

/* The statements whose PostgreSQL text differs, by enum store_sql. */
extern const char *const store_pg_sql[];

/*
 * store_empty(): every table, the identities started again (SQLite:
 * sqlite_sequence), so that an input replays alike.
 */
#define STORE_PG_EMPTY_SQL \
	"TRUNCATE attempts, receipts, replies, outbox, timers, escalations, " \
	"personal_sends, ack_links, timeline, events, obligation_clocks, " \
	"obligations, recurrings, incidents, spool_inbox RESTART IDENTITY"

int	store_pg_schema_latest(void);
/* store-pg-reach.c: is open()'s failure worth trying again (1) or not. */
int	store_pg_reach_transient(const char *);
int	store_pg_schema_migrate(PGconn *, int, char **);

#endif
