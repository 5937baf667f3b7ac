/*
 * The spool directory: a local producer renames NAME.json in; each file is
 * ingested as a POST /v1/events body would be, then moved to done/, or to
 * rejected/ with NAME.json.error beside it.  A file leaves the spool only
 * after the commit that stored its events, and its events carry ids made
 * from the file, so a file ingested again after a crash is stored once.
 * On a standby, a file's checked body goes to the leader through the
 * store's spool inbox instead (spool-inbox.h has the leader's side).
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>

struct event_base;
struct ingest;
struct spool;
struct store;

struct spool	*spool_new(struct event_base *, struct ingest *, size_t,
		     const char *, char **);
void		 spool_set_forward(struct spool *, struct store *,
		     const char *);
void		 spool_set_body_limit(struct spool *, size_t);
void		 spool_free(struct spool *);
size_t		 spool_pending(const struct spool *);

#endif
