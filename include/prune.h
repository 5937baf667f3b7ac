/*
 * Retention: closed incidents resolved before a date lose their detail —
 * events, timeline, escalations, timers, outbox rows and their attempts,
 * acknowledgement links — in bounded batches on the daemon's loop, through
 * the store's one writer connection.  By default the incident row and its
 * obligations (the 迟报/漏报 ledger) stay, marked pruned; dropping the
 * ledger removes them too.  Open incidents are never touched.  A dry run
 * does the same work and rolls every batch back.
 */
#ifndef PRUNE_H
#define PRUNE_H

#include <jansson.h>
#include <stdint.h>

struct event_base;
struct prune;
struct store;

struct prune_request {
	int64_t		 before;	/* resolved strictly before this */
	int		 dry_run;
	int		 drop_ledger;
	const char	*by;		/* who asked, or NULL */
	const char	*token;		/* the token's name, or NULL */
};

typedef void (*prune_done_cb)(void *);

struct prune	*prune_new(struct event_base *, struct store *);
void		 prune_free(struct prune *);
int		 prune_start(struct prune *, const struct prune_request *);
void		 prune_set_done(struct prune *, prune_done_cb, void *);
int		 prune_running(const struct prune *);
int		 prune_failed(const struct prune *);
json_t		*prune_json(const struct prune *);

#endif
