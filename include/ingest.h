/*
 * Group commit.  Requests that carry events (HTTP bodies, ack and resolve)
 * queue here; once per loop turn they are all written in one transaction,
 * each in its own savepoint, and only after the commit is each request
 * told how it went.  One fsync answers many requests.
 */
#ifndef INGEST_H
#define INGEST_H

#include <stddef.h>

#include "engine.h"
#include "record.h"

struct event_base;
struct ingest;
struct names;

/*
 * status: 202 stored, 400, 403 or 409 refused (err says why), 503 not stored.
 */
typedef void (*ingest_cb)(int, const struct engine_result *, size_t,
    const struct record_error *, void *);

/* Called after each commit with how many notifications it queued. */
typedef void (*ingest_after_commit_cb)(void *, size_t);

/*
 * Runs inside the commit's transaction once a request was applied, with
 * its status (202, or 400, 403, 409 refused): what must commit with the
 * request's fate or not at all (the spool inbox's row deleted).  0, or -1
 * fails the whole commit.
 */
typedef int (*ingest_within_cb)(int, void *);

struct ingest	*ingest_new(struct event_base *, struct engine *,
		     ingest_after_commit_cb, void *);
void		 ingest_free(struct ingest *);
void		 ingest_submit(struct ingest *, struct record **, size_t,
		     const struct names *, ingest_cb, void *);
void		 ingest_submit_within(struct ingest *, struct record **,
		     size_t, ingest_within_cb, ingest_cb, void *);

#endif
