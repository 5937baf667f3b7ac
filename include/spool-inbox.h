/*
 * The leader's side of the spool inbox (docs/cluster.md): files a
 * standby took from its spool wait in the store, and the leader ingests
 * them as it would a file of its own spool -- at takeover, then every
 * second -- deleting each row in the transaction that stores its events.
 */
#ifndef SPOOL_INBOX_H
#define SPOOL_INBOX_H

struct event_base;
struct ingest;
struct spool_inbox;
struct store;

struct spool_inbox	*spool_inbox_new(struct event_base *, struct store *,
			     struct ingest *);
void			 spool_inbox_free(struct spool_inbox *);

#endif
