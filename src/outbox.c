/*
 * Delivery of committed notifications.  A scan takes the rows that are due,
 * marks them sending in one transaction and hands each to its channel's
 * driver; results come back one by one and are written in one transaction
 * per loop turn.  A crash between "sending" and the result makes the row
 * queued again at start-up: that attempt may reach the gateway twice, which
 * is why every attempt carries the same idempotency key.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "channel.h"
#include "clock.h"
#include "log.h"
#include "outbox.h"
#include "rules.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

#define OUTBOX_IN_FLIGHT_MAX	64
#define OUTBOX_BACKOFF_BASE	(1 * MSEC_PER_SEC)
#define OUTBOX_BACKOFF_MAX	(5 * MSEC_PER_MIN)

struct outbox {
	struct event_base	 *base;
	struct store		 *store;
	struct httpc		 *httpc;
	struct rules		 *rules;
	struct event		 *scan_ev;
	struct event		 *flush_ev;
	size_t			  in_flight;
	struct delivery		**done;
	size_t			  ndone;
	struct outbox_stats	  stats;
};

static void	outbox_scan_cb(evutil_socket_t, short, void *);
static void	delivery_free(struct delivery *);
static void	outbox_flush_cb(evutil_socket_t, short, void *);

struct outbox *
outbox_new(struct event_base *base, struct store *store, struct httpc *httpc,
    struct rules *rules)
{
	struct outbox	*o;

	o = xcalloc(1, sizeof(*o));
	o->base = base;
	o->store = store;
	o->httpc = httpc;
	o->rules = rules;
	o->scan_ev = evtimer_new(base, outbox_scan_cb, o);
	o->flush_ev = evtimer_new(base, outbox_flush_cb, o);
	return (o);
}

void
outbox_free(struct outbox *o)
{
	size_t	i;

	if (o == NULL)
		return;
	/* Unrecorded results stay "sending" and are queued again at start. */
	for (i = 0; i < o->ndone; i++)
		delivery_free(o->done[i]);
	event_free(o->scan_ev);
	event_free(o->flush_ev);
	free(o->done);
	free(o);
}

void
outbox_set_rules(struct outbox *o, struct rules *rules)
{
	o->rules = rules;
}

const struct outbox_stats *
outbox_stats(struct outbox *o)
{
	return (&o->stats);
}

/* Attempts cut short by a crash are due again. */
int
outbox_recover(struct outbox *o)
{
	if (store_run(o->store, STMT_OUTBOX_RESET_SENDING, NULL) != 0)
		return (-1);
	if (store_changes(o->store) > 0)
		log_info("outbox: %d interrupted deliveries queued again",
		    store_changes(o->store));
	return (0);
}

static void
outbox_schedule(struct outbox *o, int64_t delay_ms)
{
	struct timeval	tv;

	if (delay_ms < 0)
		delay_ms = 0;
	tv.tv_sec = delay_ms / 1000;
	tv.tv_usec = (delay_ms % 1000) * 1000;
	evtimer_add(o->scan_ev, &tv);
}

void
outbox_kick(struct outbox *o)
{
	outbox_schedule(o, 0);
}

static void
delivery_free(struct delivery *d)
{
	free(d->detail);
	free(d->key);
	free(d->channel);
	json_decref(d->body);
	free(d);
}

/* A driver is done with d: queue the result for the next flush. */
static void
outbox_done(struct delivery *d, enum delivery_result result,
    const char *detail, long retry_after)
{
	struct outbox	*o = d->arg;
	struct timeval	 now = { 0, 0 };

	d->result = result;
	d->detail = detail != NULL ? xstrdup(detail) : NULL;
	d->retry_after = retry_after;
	o->done = xreallocarray(o->done, o->ndone + 1, sizeof(*o->done));
	o->done[o->ndone++] = d;
	if (!evtimer_pending(o->flush_ev, NULL))
		evtimer_add(o->flush_ev, &now);
}

/* Exponential backoff with jitter: a delay in [half, whole] of the step. */
static int64_t
outbox_backoff(int attempt)
{
	int64_t		delay = OUTBOX_BACKOFF_BASE;
	uint32_t	r;

	while (--attempt > 0 && delay < OUTBOX_BACKOFF_MAX)
		delay *= 2;
	if (delay > OUTBOX_BACKOFF_MAX)
		delay = OUTBOX_BACKOFF_MAX;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = 0;
	return (delay / 2 + (int64_t)(r % (uint32_t)(delay / 2 + 1)));
}

static int
outbox_record(struct outbox *o, struct delivery *d, int64_t now)
{
	const char	*status, *result;
	int64_t		 next = now;

	switch (d->result) {
	case DELIVERY_OK:
		status = result = "delivered";
		o->stats.delivered++;
		break;
	case DELIVERY_RETRY:
		result = "retry";
		next = now + outbox_backoff(d->attempt);
		if (d->retry_after > 0 && now + d->retry_after * MSEC_PER_SEC >
		    next)
			next = now + d->retry_after * MSEC_PER_SEC;
		status = next > d->deadline_at ? "dead" : "failed";
		break;
	default:
		status = "dead";
		result = "permanent";
		break;
	}
	if (strcmp(status, "dead") == 0) {
		o->stats.dead++;
		log_warnx("outbox: notification dead key=%s channel=%s "
		    "attempts=%d error=\"%s\"", d->key, d->channel, d->attempt, d->detail ? d->detail : "");
	} else if (strcmp(status, "failed") == 0) {
		o->stats.retried++;
		log_info("outbox: delivery failed key=%s attempt=%d "
		    "error=\"%s\" retry_in_ms=%lld", d->key, d->attempt,
		    d->detail ? d->detail : "", (long long)(next - now));
	}
	if (store_run(o->store, STMT_ATTEMPT_INSERT, "iitt", d->id, now,
	    result, d->detail) != 0)
		return (-1);
	if (d->result == DELIVERY_OK)
		return (store_run(o->store, STMT_OUTBOX_SET_RESULT, "tiiti",
		    status, next, now, NULL, d->id));
	return (store_run(o->store, STMT_OUTBOX_SET_RESULT, "tinti", status,
	    next, d->detail, d->id));
}

/* Write every finished attempt in one transaction, then look for more. */
static void
outbox_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbox	*o = arg;
	int64_t		 now = clock_now();
	size_t		 i;
	int		 rc;

	if (o->ndone == 0)
		return;
	rc = store_begin(o->store);
	for (i = 0; i < o->ndone && rc == 0; i++)
		rc = outbox_record(o, o->done[i], now);
	if (rc == 0)
		rc = store_commit(o->store);
	else
		store_rollback(o->store);
	if (rc != 0)
		log_warnx("outbox: cannot record %zu results; they will be "
		    "sent again after a restart", o->ndone);
	for (i = 0; i < o->ndone; i++)
		delivery_free(o->done[i]);
	o->in_flight -= o->ndone;
	o->ndone = 0;
	outbox_kick(o);
}

static struct delivery *
outbox_delivery(struct outbox *o, sqlite3_stmt *st)
{
	struct delivery	*d;
	const char	*body = store_column_text(st, OUT_BODY);

	d = xcalloc(1, sizeof(*d));
	d->id = sqlite3_column_int64(st, OUT_ID);
	d->key = xstrdup(store_column_text(st, OUT_KEY));
	d->body = json_loads(body != NULL ? body : "{}", 0, NULL);
	if (d->body == NULL)
		d->body = json_object();
	d->attempt = sqlite3_column_int(st, OUT_ATTEMPTS) + 1;
	d->deadline_at = sqlite3_column_int64(st, OUT_DEADLINE_AT);
	d->channel = xstrdup(store_column_text(st, OUT_CHANNEL));
	d->def = rules_channel_find(o->rules, d->channel);
	d->httpc = o->httpc;
	d->done = outbox_done;
	d->arg = o;
	return (d);
}

static void
outbox_scan_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbox		 *o = arg;
	struct delivery		**batch = NULL;
	const struct channel_driver *drv;
	sqlite3_stmt		 *st;
	size_t			  n = 0, i, room;
	int64_t			  now = clock_now(), next;
	int			  rc;

	if (o->in_flight >= OUTBOX_IN_FLIGHT_MAX)
		return;		/* a finishing delivery kicks us again */
	room = OUTBOX_IN_FLIGHT_MAX - o->in_flight;
	st = store_stmt(o->store, STMT_OUTBOX_DUE, "ii", now, (int64_t)room);
	while (store_step(o->store, st) == SQLITE_ROW) {
		batch = xreallocarray(batch, n + 1, sizeof(*batch));
		batch[n++] = outbox_delivery(o, st);
	}
	if (st != NULL)
		sqlite3_reset(st);
	if (n > 0) {
		rc = store_begin(o->store);
		for (i = 0; i < n && rc == 0; i++)
			rc = store_run(o->store, STMT_OUTBOX_SET_SENDING, "i",
			    batch[i]->id);
		if (rc == 0)
			rc = store_commit(o->store);
		else
			store_rollback(o->store);
		if (rc != 0) {
			for (i = 0; i < n; i++)
				delivery_free(batch[i]);
			free(batch);
			outbox_schedule(o, MSEC_PER_SEC);
			return;
		}
	}
	o->in_flight += n;
	for (i = 0; i < n; i++) {
		o->stats.attempts++;
		batch[i]->started_us = clock_monotonic_us();
		if (batch[i]->def == NULL || (drv = channel_driver_find(
		    batch[i]->def->kind)) == NULL)
			outbox_done(batch[i], DELIVERY_PERMANENT,
			    "no such channel in the current rules", -1);
		else {
			drv->send(batch[i]);
			/* Rules may be swapped before it ends: forget them. */
			batch[i]->def = NULL;
		}
	}
	free(batch);

	/* Sleep until the next row is due (finished deliveries kick too). */
	st = store_stmt(o->store, STMT_OUTBOX_NEXT_AT, NULL);
	if (store_step(o->store, st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL) {
		next = sqlite3_column_int64(st, 0);
		if (o->in_flight < OUTBOX_IN_FLIGHT_MAX)
			outbox_schedule(o, next - now);
	}
	if (st != NULL)
		sqlite3_reset(st);
}
