/*
 * Delivery of committed notifications.  A scan takes the rows that are due,
 * marks them sending in one transaction and hands each to its channel's
 * driver; results come back one by one and are written in one transaction
 * per loop turn, the same one that marks the next batch sending, so that a
 * busy outbox commits once a turn; if that commit fails, they wait for the
 * next (outbox_saved).  A crash between "sending" and the result makes the
 * row queued again at start-up: that attempt may reach the gateway twice,
 * which is why every attempt carries the same idempotency key.
 *
 *	queued -> sending -> delivered
 *	                  -> failed (retried with backoff) -> sending ...
 *	                  -> dead (refused for good, or useless by now)
 *
 * Each channel has a rate limit (the provider's, or the site's own) kept
 * exactly over a sliding window, and a cap on transfers in flight; a
 * row whose channel is at either limit stays queued and the scan moves
 * on.  A row that dies, or fails fallback_after times, on a channel with a
 * fallback is handed to that channel; otherwise the engine tells the
 * office of it on another channel (engine_undelivered).
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "channel.h"
#include "clock.h"
#include "engine.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "rules.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

#define OUTBOX_IN_FLIGHT_MAX	64
#define OUTBOX_SCAN_MAX		1024	/* rows a scan may pass over */
#define OUTBOX_BACKOFF_BASE	(1 * MSEC_PER_SEC)
#define OUTBOX_BACKOFF_MAX	(5 * MSEC_PER_MIN)
#define OUTBOX_FALLBACK_AFTER	3	/* failed attempts, by default */
#define OUTBOX_UNSAVED_TRIES	3	/* commits a result may fail */

/*
 * A finished attempt counted and not yet written, with the backoff drawn
 * for it once: the log, the counts and the row say the same retry.
 */
struct outbox_unsaved {
	struct delivery		*d;
	int64_t			 backoff;	/* ms, if it is retried */
};

/* A channel's limits and what it has in flight, by name. */
struct outbox_channel {
	char			*name;
	int			 rate;		/* per window; 0: none */
	int64_t			 window;	/* ms */
	int64_t			*sent;		/* ring: the last `rate` sends */
	int			 next;		/* the oldest in the ring */
	int			 concurrency;	/* 0: only the global cap */
	int			 in_flight;
	int64_t			 failing_since;	/* 0: its last attempt did */
	int64_t			 failed_at;	/* its last failure */
	struct outbox_channel	*link;
};

struct outbox {
	struct event_base	 *base;
	struct store		 *store;
	struct httpc		 *httpc;
	struct engine		 *engine;
	struct rules		 *rules;
	struct event		 *scan_ev;
	struct event		 *flush_ev;
	size_t			  in_flight;
	struct outbox_channel	 *channels;
	struct delivery		**done;		/* finished, in flight still */
	size_t			  ndone;
	/* Finished and counted, their results not yet committed. */
	struct outbox_unsaved	 *unsaved;
	size_t			  nunsaved;
	int			  unsaved_fails; /* commits that failed them */
	struct outbox_stats	  stats;
};

static void	outbox_scan_cb(evutil_socket_t, short, void *);
static void	outbox_flush_cb(evutil_socket_t, short, void *);
static void	delivery_free(struct delivery *);

struct outbox *
outbox_new(struct event_base *base, struct store *store, struct httpc *httpc,
    struct engine *engine, struct rules *rules)
{
	struct outbox	*o;

	o = xcalloc(1, sizeof(*o));
	o->base = base;
	o->store = store;
	o->httpc = httpc;
	o->engine = engine;
	o->rules = rules;
	o->scan_ev = evtimer_new(base, outbox_scan_cb, o);
	o->flush_ev = evtimer_new(base, outbox_flush_cb, o);
	event_priority_set(o->scan_ev, EVENT_PRIORITY_DELIVERY);
	event_priority_set(o->flush_ev, EVENT_PRIORITY_DELIVERY);
	return (o);
}

void
outbox_free(struct outbox *o)
{
	struct outbox_channel	*c, *next;
	size_t			 i;

	if (o == NULL)
		return;
	/* Unrecorded results stay "sending" and are queued again at start. */
	for (i = 0; i < o->ndone; i++)
		delivery_free(o->done[i]);
	for (i = 0; i < o->nunsaved; i++)
		delivery_free(o->unsaved[i].d);
	free(o->unsaved);
	for (c = o->channels; c != NULL; c = next) {
		next = c->link;
		free(c->name);
		free(c->sent);
		free(c);
	}
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
	int64_t	n;

	if (store_messages_requeue(o->store, &n) != 0)
		return (-1);
	if (n > 0)
		log_info("outbox: interrupted deliveries queued again "
		    "count=%lld", (long long)n);
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

/*
 * The state of a channel, its limits read from the current rules: its
 * rate (channel_rate) and the site's cap on transfers at once.  Rules may change between calls, so limits are
 * refreshed each time; a changed rate starts a fresh window.
 */
static struct outbox_channel *
outbox_channel(struct outbox *o, const char *name)
{
	const struct channel_def	*def;
	struct outbox_channel		*c;
	int64_t				 window = MSEC_PER_MIN;
	int				 rate = 0;
	char				*cause = NULL;

	for (c = o->channels; c != NULL; c = c->link) {
		if (strcmp(c->name, name) == 0)
			break;
	}
	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		c->name = xstrdup(name);
		c->link = o->channels;
		o->channels = c;
	}
	c->concurrency = 0;
	if ((def = rules_channel_find(o->rules, name)) != NULL) {
		if (channel_rate(def, &rate, &window, &cause) != 0) {
			free(cause);	/* checked at load: cannot happen */
			rate = 0;
		}
		c->concurrency = (int)channel_option_int(def, "concurrency",
		    0);
	}
	c->window = window;
	if (rate != c->rate) {
		free(c->sent);
		c->sent = rate > 0 ? xcalloc((size_t)rate, sizeof(*c->sent)) :
		    NULL;
		c->next = 0;
		c->rate = rate;
	}
	return (c);
}

/*
 * May c send now?  If not and only its rate stands in the way, *wake is
 * lowered to when the oldest send in the window leaves it; a channel at
 * its concurrency cap is woken by a finishing transfer instead.
 */
static int
outbox_channel_ready(const struct outbox_channel *c, int64_t now,
    int64_t *wake)
{
	int64_t	free_at;

	if (c->concurrency > 0 && c->in_flight >= c->concurrency)
		return (0);
	if (c->rate == 0 || c->sent[c->next] == 0)
		return (1);
	free_at = c->sent[c->next] + c->window;
	if (free_at <= now)
		return (1);
	if (free_at < *wake)
		*wake = free_at;
	return (0);
}

/* Take a place on c, and a rate slot: its time, or 0 when c has no rate. */
static int64_t
outbox_channel_take(struct outbox_channel *c, int64_t now)
{
	c->in_flight++;
	if (c->rate == 0)
		return (0);
	c->sent[c->next] = now;
	c->next = (c->next + 1) % c->rate;
	return (now);
}

/*
 * A place given back unused, and its rate slot taken at `at': the send it
 * stood for never happened, so it leaves the window.  The slots newer
 * than it move down one, and the oldest is free.  A changed rate started
 * a fresh window (outbox_channel): nothing is there to find.
 */
static void
outbox_channel_untake(struct outbox_channel *c, int64_t at)
{
	int	i, j;

	c->in_flight--;
	if (at == 0 || c->rate == 0)
		return;
	for (j = c->rate - 1; j >= 0; j--) {	/* the newest first */
		if (c->sent[(c->next + j) % c->rate] == at)
			break;
	}
	if (j < 0)
		return;
	for (i = j; i > 0; i--)
		c->sent[(c->next + i) % c->rate] =
		    c->sent[(c->next + i - 1) % c->rate];
	c->sent[c->next] = 0;
}

static void
delivery_free(struct delivery *d)
{
	free(d->detail);
	free(d->ref);
	free(d->key);
	free(d->channel);
	free(d->raw_body);
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

	metrics_delivery_time(d->channel, clock_monotonic_us() -
	    d->started_us);
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

/* The channel a failing row on d's channel goes to next, or NULL. */
static const char *
outbox_fallback(struct outbox *o, struct delivery *d, int giving_up)
{
	const struct channel_def	*def;
	const char			*to;
	json_t				*via, *v;
	size_t				 i;

	if ((def = rules_channel_find(o->rules, d->channel)) == NULL ||
	    (to = channel_option_string(def, "fallback")) == NULL)
		return (NULL);
	if (!giving_up && d->attempt < channel_option_int(def,
	    "fallback_after", OUTBOX_FALLBACK_AFTER))
		return (NULL);
	/* Never back to a channel this message already went through. */
	via = json_object_get(channel_delivery_body(d), "via");
	json_array_foreach(via, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), to) == 0)
			return (NULL);
	}
	return (to);
}

/* The row is done with on its channel: hand it over or report it. */
static int
outbox_give_up(struct outbox *o, struct delivery *d, const char *fallback)
{
	struct engine_undelivered	 u;

	memset(&u, 0, sizeof(u));
	u.body = d->raw_body;
	u.channel = d->channel;
	u.detail = d->detail;
	u.fallback = fallback;
	u.obligation = d->obligation;
	u.deadline = d->deadline_at;
	if (fallback != NULL)
		log_info("outbox: notification handed to fallback key=%s "
		    "channel=%s fallback=%s", d->key, d->channel, fallback);
	else {
		log_warnx("outbox: notification dead key=%s channel=%s "
		    "attempts=%d error=%s", d->key, d->channel, d->attempt,
		    d->detail);
	}
	return (engine_undelivered(o->engine, &u));
}

/* The watchman asks how long a channel has failed (outbox_failing). */
static void
outbox_channel_result(struct outbox *o, const char *name, int ok,
    int64_t now)
{
	struct outbox_channel	*c = outbox_channel(o, name);

	if (ok)
		c->failing_since = 0;
	else {
		if (c->failing_since == 0)
			c->failing_since = now;
		c->failed_at = now;
	}
}

void
outbox_failing(struct outbox *o, const char *name, int64_t *since,
    int64_t *last)
{
	struct outbox_channel	*c;

	*since = *last = 0;
	for (c = o->channels; c != NULL; c = c->link) {
		if (strcmp(c->name, name) == 0 && c->failing_since != 0) {
			*since = c->failing_since;
			*last = c->failed_at;
		}
	}
}

/* What an attempt's result makes of its row. */
struct outbox_verdict {
	enum outbox_status	 status;
	int64_t			 next;
	const char		*result;	/* the attempt's, as stored */
	const char		*fallback;	/* the channel it goes on to */
};

static void
outbox_judge(struct outbox *o, const struct outbox_unsaved *u, int64_t now,
    struct outbox_verdict *v)
{
	struct delivery	*d = u->d;

	v->status = OUTBOX_FAILED;
	v->next = now;
	v->fallback = NULL;
	switch (d->result) {
	case DELIVERY_OK:
		v->status = OUTBOX_DELIVERED;
		v->result = "delivered";
		return;
	case DELIVERY_RETRY:
		v->result = "retry";
		v->next = now + u->backoff;
		if (d->retry_after > 0 && now + d->retry_after * MSEC_PER_SEC >
		    v->next)
			v->next = now + d->retry_after * MSEC_PER_SEC;
		if (v->next > d->deadline_at)
			v->status = OUTBOX_DEAD;
		v->fallback = outbox_fallback(o, d, v->next > d->deadline_at);
		break;
	default:
		v->result = "permanent";
		v->status = OUTBOX_DEAD;
		v->fallback = outbox_fallback(o, d, 1);
		break;
	}
	if (v->fallback != NULL)
		v->status = OUTBOX_DEAD;	/* on this channel; the fallback
						   goes on */
}

/* A finished attempt counted, once, whether or not its commit holds. */
static void
outbox_count(struct outbox *o, const struct outbox_unsaved *u, int64_t now)
{
	struct delivery		*d = u->d;
	struct outbox_verdict	 v;

	outbox_judge(o, u, now, &v);
	outbox_channel_result(o, d->channel, d->result == DELIVERY_OK, now);
	if (v.status == OUTBOX_DELIVERED) {
		o->stats.delivered++;
		metrics_delivery(d->channel, METRICS_DELIVERED);
	} else if (v.status == OUTBOX_DEAD) {
		o->stats.dead++;
		metrics_delivery(d->channel, METRICS_DEAD);
	} else {
		o->stats.retried++;
		metrics_delivery(d->channel, METRICS_RETRIED);
		log_info("outbox: delivery failed key=%s channel=%s attempt=%d "
		    "error=%s retry_in_ms=%lld", d->key, d->channel, d->attempt,
		    d->detail, (long long)(v.next - now));
	}
}

/* A finished attempt's result written, in the caller's transaction. */
static int
outbox_record(struct outbox *o, const struct outbox_unsaved *u, int64_t now)
{
	struct delivery		*d = u->d;
	struct outbox_verdict	 v;

	outbox_judge(o, u, now, &v);
	if (v.status == OUTBOX_DELIVERED) {
		if (store_attempt_add(o->store, d->id, now, v.result,
		    NULL) != 0)
			return (-1);
		/* Kept for the provider's receipt, which names it. */
		if (d->ref != NULL && store_receipt_expect(o->store,
		    d->channel, d->ref, d->id) != 0)
			return (-1);
		return (store_message_result(o->store, d->id, OUTBOX_DELIVERED,
		    now, now, NULL));
	}
	if (store_attempt_add(o->store, d->id, now, v.result,
	    d->detail) != 0 || store_message_result(o->store, d->id, v.status,
	    v.next, 0, d->detail) != 0)
		return (-1);
	if (v.status == OUTBOX_DEAD)
		return (outbox_give_up(o, d, v.fallback));
	return (0);
}

/*
 * The finished attempts counted and their channels free to send again;
 * their results wait to be written (unsaved).
 */
static void
outbox_release(struct outbox *o, int64_t now)
{
	struct outbox_unsaved	*u;
	size_t			 i;

	o->unsaved = xreallocarray(o->unsaved, o->nunsaved + o->ndone + 1,
	    sizeof(*o->unsaved));
	for (i = 0; i < o->ndone; i++) {
		u = &o->unsaved[o->nunsaved++];
		u->d = o->done[i];
		u->backoff = u->d->result == DELIVERY_RETRY ?
		    outbox_backoff(u->d->attempt) : 0;
		outbox_count(o, u, now);
		outbox_channel(o, u->d->channel)->in_flight--;
	}
	o->in_flight -= o->ndone;
	o->ndone = 0;
}

/*
 * The results written are committed, or their commit failed: kept for
 * the next one, but not for ever -- a result that cannot be written must
 * not fail every commit after it.  Those given up on leave their rows
 * "sending", queued again at the next start.
 */
static void
outbox_saved(struct outbox *o, int committed)
{
	size_t	i;

	if (o->nunsaved == 0)
		return;
	if (!committed && ++o->unsaved_fails < OUTBOX_UNSAVED_TRIES) {
		log_warnx("outbox: the results could not be written, trying "
		    "again count=%zu", o->nunsaved);
		return;
	}
	if (!committed)
		log_warnx("outbox: the results could not be written, they "
		    "will be sent again after a restart count=%zu",
		    o->nunsaved);
	for (i = 0; i < o->nunsaved; i++)
		delivery_free(o->unsaved[i].d);
	o->nunsaved = 0;
	o->unsaved_fails = 0;
}

static struct delivery *
outbox_delivery(struct outbox *o, const struct store_message *m)
{
	struct delivery	*d;

	d = xcalloc(1, sizeof(*d));
	d->id = m->id;
	d->key = xstrdup(m->key);
	d->raw_body = xstrdup(m->body != NULL ? m->body : "{}");
	d->attempt = m->attempts + 1;
	d->deadline_at = m->deadline_at;
	d->obligation = m->obligation;
	d->channel = xstrdup(m->channel);
	d->def = rules_channel_find(o->rules, d->channel);
	d->httpc = o->httpc;
	d->done = outbox_done;
	d->arg = o;
	return (d);
}

/* The batch being taken from the due rows. */
struct outbox_take {
	struct outbox	 *o;
	int64_t		  now;
	int64_t		 *wake;
	size_t		  room;
	size_t		  n;
	struct delivery	**batch;
};

static int
outbox_take_cb(const struct store_message *m, void *arg)
{
	struct outbox_take	*t = arg;
	struct outbox_channel	*c;

	if (t->n >= t->room)
		return (1);
	c = outbox_channel(t->o, m->channel);
	if (!outbox_channel_ready(c, t->now, t->wake))
		return (0);
	t->batch = xreallocarray(t->batch, t->n + 1, sizeof(*t->batch));
	t->batch[t->n] = outbox_delivery(t->o, m);
	t->batch[t->n++]->slot_at = outbox_channel_take(c, t->now);
	return (t->n >= t->room);
}

/*
 * The due rows whose channels may send now, up to room; *wake is lowered
 * to when a rate-limited channel passed over may send again.
 */
static size_t
outbox_take_due(struct outbox *o, int64_t now, size_t room,
    struct delivery ***batchp, int64_t *wake)
{
	struct outbox_take	t = { o, now, wake, room, 0, NULL };

	/* A failed read takes what it had: the rest waits for a scan. */
	if (store_messages_due(o->store, now, (int)(room + OUTBOX_SCAN_MAX),
	    outbox_take_cb, &t) != 0 && *wake > now + MSEC_PER_SEC)
		*wake = now + MSEC_PER_SEC;
	*batchp = t.batch;
	return (t.n);
}

/* Mark the batch sending, inside the caller's transaction. */
static int
outbox_mark_sending(struct outbox *o, struct delivery **batch, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (store_message_sending(o->store, batch[i]->id) != 0)
			return (-1);
	}
	return (0);
}

/* The batch was not marked after all: it stays queued, its places free. */
static void
outbox_give_back(struct outbox *o, struct delivery **batch, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		outbox_channel_untake(outbox_channel(o, batch[i]->channel),
		    batch[i]->slot_at);
		delivery_free(batch[i]);
	}
	free(batch);
}

/* Hand each row of a committed batch to its channel's driver. */
static void
outbox_start(struct outbox *o, struct delivery **batch, size_t n)
{
	const struct channel_driver	*drv;
	size_t				 i;

	o->in_flight += n;
	for (i = 0; i < n; i++) {
		o->stats.attempts++;
		batch[i]->started_us = clock_monotonic_us();
		/* A leader past its lease's local deadline starts no send:
		 * another node may lead by now (docs/cluster.md). */
		if (!store_may_send(o->store))
			outbox_done(batch[i], DELIVERY_RETRY, "not sent: "
			    "this node's lease is past its deadline", 0);
		else if (batch[i]->def == NULL || (drv = channel_driver_find(
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
}

/*
 * Sleep until the next row is due or a rate-limited channel may send
 * again, whichever is first; finishing deliveries wake us too.  Due rows
 * held back by a limit are not "next": they wait for the wake.
 */
static void
outbox_sleep(struct outbox *o, int64_t now, int64_t wake)
{
	int64_t	next;

	/* 0: nothing is queued; the store logged a failure. */
	if (store_messages_next_at(o->store, &next) == 1 && next > now &&
	    next < wake)
		wake = next;
	if (wake != INT64_MAX && o->in_flight < OUTBOX_IN_FLIGHT_MAX)
		outbox_schedule(o, wake - now);
}

/* In a second, unless ev is due sooner already. */
static void
outbox_retry_soon(struct outbox *o, struct event *ev)
{
	struct timeval	at, now, delay = { 1, 0 }, soon;

	if (event_pending(ev, EV_TIMEOUT, &at) &&
	    event_base_gettimeofday_cached(o->base, &now) == 0) {
		evutil_timeradd(&now, &delay, &soon);
		if (evutil_timercmp(&at, &soon, <))
			return;
	}
	evtimer_add(ev, &delay);
}

/*
 * Write every finished attempt, and mark the next batch sending in the
 * same transaction: one commit, and one sync, per loop turn.  Should the
 * commit fail, the batch stays queued for a later scan and the results
 * wait for the next try (outbox_saved).
 */
int
outbox_flush(struct outbox *o)
{
	struct delivery	**batch = NULL;
	int64_t		  now = clock_now(), wake = INT64_MAX;
	size_t		  i, n = 0;
	int		  rc;

	if (o->ndone == 0 && o->nunsaved == 0)
		return (0);
	if (engine_begin(o->engine) != 0) {
		log_warnx("outbox: cannot begin a transaction for the results; "
		    "trying again count=%zu", o->ndone + o->nunsaved);
		outbox_retry_soon(o, o->flush_ev);
		return (-1);
	}
	outbox_release(o, now);
	for (i = 0, rc = 0; i < o->nunsaved && rc == 0; i++)
		rc = outbox_record(o, &o->unsaved[i], now);
	if (rc == 0) {
		n = outbox_take_due(o, now, OUTBOX_IN_FLIGHT_MAX -
		    o->in_flight, &batch, &wake);
		rc = outbox_mark_sending(o, batch, n);
	}
	if (rc == 0)
		rc = engine_commit(o->engine, NULL);
	else
		engine_rollback(o->engine);
	outbox_saved(o, rc == 0);
	if (rc != 0) {
		outbox_give_back(o, batch, n);
		if (o->nunsaved > 0)
			outbox_retry_soon(o, o->flush_ev);
		outbox_retry_soon(o, o->scan_ev);
		return (-1);
	}
	outbox_start(o, batch, n);
	outbox_sleep(o, now, wake);
	return (0);
}

static void
outbox_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)outbox_flush(arg);
}

/* Look for due rows when nothing is finishing: after a commit, a wake. */
static void
outbox_scan_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbox	 *o = arg;
	struct delivery	**batch;
	size_t		  n;
	int64_t		  now = clock_now(), wake = INT64_MAX;
	int		  rc;

	if (o->in_flight >= OUTBOX_IN_FLIGHT_MAX)
		return;		/* a finishing delivery kicks us again */
	n = outbox_take_due(o, now, OUTBOX_IN_FLIGHT_MAX - o->in_flight,
	    &batch, &wake);
	if (n > 0) {
		rc = store_begin(o->store);
		if (rc == 0)
			rc = outbox_mark_sending(o, batch, n);
		if (rc == 0)
			rc = store_commit(o->store);
		else
			store_rollback(o->store);
		if (rc != 0) {
			outbox_give_back(o, batch, n);
			outbox_retry_soon(o, o->scan_ev);
			return;
		}
	}
	outbox_start(o, batch, n);
	outbox_sleep(o, now, wake);
}
