/*
 * The outbox: notifications the engine committed, delivered at least once.
 * queued -> sending -> delivered | failed (retried with backoff) -> dead
 * once its usefulness deadline passes or the gateway refuses it for good.
 */
#ifndef OUTBOX_H
#define OUTBOX_H

#include <stdint.h>

struct engine;
struct event_base;
struct httpc;
struct outbox;
struct rules;
struct store;

struct outbox_stats {
	uint64_t	attempts;
	uint64_t	delivered;
	uint64_t	retried;
	uint64_t	dead;
};

struct outbox	*outbox_new(struct event_base *, struct store *,
		     struct httpc *, struct engine *, struct rules *);
void		 outbox_free(struct outbox *);
void		 outbox_set_rules(struct outbox *, struct rules *);
int		 outbox_recover(struct outbox *);
void		 outbox_kick(struct outbox *);
/*
 * The finished attempts written now, as the loop's next turn would: 0,
 * or -1 when their commit failed (they wait for the next try).
 */
int		 outbox_flush(struct outbox *);
const struct outbox_stats *outbox_stats(struct outbox *);
/*
 * Since when a channel's attempts have failed with no success between,
 * and when it last failed: both 0 while its last attempt succeeded (or
 * it made none since start-up).
 */
void		 outbox_failing(struct outbox *, const char *, int64_t *,
		     int64_t *);

#endif
