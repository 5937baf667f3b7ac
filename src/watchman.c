/*
 * The watchman's timers and I/O (watchman.h says what it is for).
 *
 * The heartbeat is a timer on the loop at the work's priority: a loop
 * that is held (stopped, stuck in a callback, starved) sends nothing, and
 * that silence is the message.  Each tick judges health as /healthz does
 * (the store answers, the rules are loaded) and adds the store's last
 * commit (it must have succeeded: a full disk refuses every event) and
 * delivery (the oldest undelivered message must not have waited past the
 * alarm's queued_after, 10 minutes without an alarm).  Healthy, it pings the url
 * through the daemon's curl multi client, one ping at a time; a failed
 * ping is counted and logged, the first at once and then at most every
 * ten minutes.  The url may hold a secret: it is never logged.
 *
 * The alarm's check is another timer, a few times per threshold: it reads
 * the oldest undelivered message (store) and each channel's failures
 * (outbox), and what an episode says is written as outbox rows on the
 * alarm's channel in one transaction of its own (engine_alarm).  A
 * failing alarm channel cannot carry news of itself: that is logged, and
 * left to the heartbeat and the external check.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "clock.h"
#include "engine.h"
#include "httpc.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "rules.h"
#include "store.h"
#include "tocsin.h"
#include "watchman.h"
#include "xmalloc.h"

#define WATCHMAN_PING_TIMEOUT	(10 * MSEC_PER_SEC)	/* at most */
#define WATCHMAN_STUCK_DEFAULT	(10 * MSEC_PER_MIN)	/* without an alarm */
#define WATCHMAN_LOG_EVERY	(10 * MSEC_PER_MIN)	/* failed pings */
#define WATCHMAN_CHECK_MIN	MSEC_PER_SEC
#define WATCHMAN_CHECK_MAX	(30 * MSEC_PER_SEC)
#define WATCHMAN_TITLE		"告警系统自检"

/* A ping in flight; w is NULL once the watchman is gone. */
struct watchman_ping {
	struct watchman	*w;
};

struct watchman_channel {
	char			*name;
	struct watchman_episode	 ep;
	struct watchman_channel	*link;
};

struct watchman {
	struct event_base	*base;
	struct store		*store;
	struct engine		*engine;
	struct outbox		*outbox;
	struct httpc		*httpc;
	struct rules		*rules;
	struct event		*beat_ev;
	struct event		*check_ev;
	struct watchman_ping	*ping;		/* in flight, or NULL */
	const char		*unhealthy;	/* why the last tick held back */
	int64_t			 fail_logged_at;
	uint64_t		 failures;	/* in a row */
	uint64_t		 unlogged;	/* failures since the last log */
	struct watchman_episode	 outbox_ep;
	struct watchman_channel	*channels;
};

/* Each alarm message's counter, by what its episode said. */
static const enum metrics_alarm watchman_metrics[] = {
	[WATCHMAN_RAISED] = METRICS_ALARM_RAISED,
	[WATCHMAN_REMINDER] = METRICS_ALARM_REMINDER,
	[WATCHMAN_CLEARED] = METRICS_ALARM_CLEARED,
};

static void	watchman_beat_cb(evutil_socket_t, short, void *);
static void	watchman_check_cb(evutil_socket_t, short, void *);

static void
watchman_add(struct event *ev, int64_t ms)
{
	struct timeval	tv = { ms / MSEC_PER_SEC, (ms % MSEC_PER_SEC) * 1000 };

	evtimer_add(ev, &tv);
}

/* A few checks per threshold, within bounds. */
static int64_t
watchman_check_every(const struct site_alarm *a)
{
	int64_t	every = (a->queued_after < a->failing_after ?
	    a->queued_after : a->failing_after) / 4;

	if (every < WATCHMAN_CHECK_MIN)
		return (WATCHMAN_CHECK_MIN);
	return (every > WATCHMAN_CHECK_MAX ? WATCHMAN_CHECK_MAX : every);
}

/* Start the timers the rules ask for: a ping at once, then each every. */
static void
watchman_arm(struct watchman *w)
{
	const struct site	*s = rules_site(w->rules);

	evtimer_del(w->beat_ev);
	evtimer_del(w->check_ev);
	if (s->heartbeat.url != NULL)
		watchman_add(w->beat_ev, 0);
	if (s->alarm.channel != NULL)
		watchman_add(w->check_ev, watchman_check_every(&s->alarm));
}

struct watchman *
watchman_new(struct event_base *base, struct store *store,
    struct engine *engine, struct outbox *outbox, struct httpc *httpc,
    struct rules *rules)
{
	struct watchman	*w;

	w = xcalloc(1, sizeof(*w));
	w->base = base;
	w->store = store;
	w->engine = engine;
	w->outbox = outbox;
	w->httpc = httpc;
	w->rules = rules;
	w->beat_ev = evtimer_new(base, watchman_beat_cb, w);
	w->check_ev = evtimer_new(base, watchman_check_cb, w);
	event_priority_set(w->beat_ev, EVENT_PRIORITY_WORK);
	event_priority_set(w->check_ev, EVENT_PRIORITY_WORK);
	watchman_arm(w);
	return (w);
}

void
watchman_set_rules(struct watchman *w, struct rules *rules)
{
	w->rules = rules;
	watchman_arm(w);
}

void
watchman_free(struct watchman *w)
{
	struct watchman_channel	*c;

	if (w == NULL)
		return;
	if (w->ping != NULL)
		w->ping->w = NULL;	/* its callback frees it */
	while ((c = w->channels) != NULL) {
		w->channels = c->link;
		free(c->name);
		free(c);
	}
	event_free(w->beat_ev);
	event_free(w->check_ev);
	free(w);
}

/* How long the oldest message may wait before delivery counts as stuck. */
static int64_t
watchman_stuck_after(const struct site *s)
{
	return (s->alarm.channel != NULL ? s->alarm.queued_after :
	    WATCHMAN_STUCK_DEFAULT);
}

/* NULL when all is well, else why not: /healthz's judgement, and more. */
static const char *
watchman_unhealthy(struct watchman *w)
{
	int64_t	 oldest;
	char	*channel;
	int	 rc;

	if (w->rules == NULL)
		return ("no rules");
	if (engine_open_incidents(w->engine) < 0 || store_ping(w->store) != 0)
		return ("the store does not answer");
	if (store_commit_failing(w->store) != 0)
		return ("the store cannot commit");
	if ((rc = store_messages_oldest(w->store, &oldest, &channel)) < 0)
		return ("the store does not answer");
	free(channel);
	if (rc == 1 && watchman_outbox_bad(oldest, clock_now(),
	    watchman_stuck_after(rules_site(w->rules))))
		return ("delivery is stuck");
	return (NULL);
}

/* A failed ping: the first of a run at once, then every ten minutes. */
static void
watchman_ping_failed(struct watchman *w, const struct httpc_response *r)
{
	int64_t	now = clock_now();

	metrics_heartbeat(METRICS_HEARTBEAT_FAILED, now);
	w->failures++;
	w->unlogged++;
	if (w->failures > 1 && now - w->fail_logged_at < WATCHMAN_LOG_EVERY)
		return;
	log_warnx("watchman: heartbeat ping failed status=%ld error=%s "
	    "failures=%llu", r->status, r->error != NULL ? r->error :
	    "not a 2xx answer", (unsigned long long)w->unlogged);
	w->fail_logged_at = now;
	w->unlogged = 0;
}

static void
watchman_ping_cb(const struct httpc_response *r, void *arg)
{
	struct watchman_ping	*p = arg;
	struct watchman		*w = p->w;

	free(p);
	if (w == NULL)
		return;		/* shutting down */
	w->ping = NULL;
	if (r->status < 200 || r->status > 299) {
		watchman_ping_failed(w, r);
		return;
	}
	metrics_heartbeat(METRICS_HEARTBEAT_OK, clock_now());
	if (w->failures > 0)
		log_info("watchman: heartbeat pings again after failures=%llu",
		    (unsigned long long)w->failures);
	w->failures = w->unlogged = 0;
}

static void
watchman_ping(struct watchman *w, const struct site_heartbeat *hb)
{
	struct curl_slist	*headers = NULL;
	const char		*body = "";
	long			 timeout = hb->every < WATCHMAN_PING_TIMEOUT ?
				    (long)hb->every : WATCHMAN_PING_TIMEOUT;

	if (strcmp(hb->method, "POST") == 0) {
		body = "tocsin " TOCSIN_VERSION ": ok";
		if ((headers = curl_slist_append(NULL,
		    "Content-Type: text/plain; charset=utf-8")) == NULL)
			fatalx("watchman: curl_slist_append failed");
	}
	w->ping = xcalloc(1, sizeof(*w->ping));
	w->ping->w = w;
	if (httpc_request(w->httpc, hb->method, hb->url, headers, body,
	    strlen(body), timeout, watchman_ping_cb, w->ping) != 0) {
		free(w->ping);
		w->ping = NULL;
		metrics_heartbeat(METRICS_HEARTBEAT_FAILED, clock_now());
	}
}

static void
watchman_beat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct watchman			*w = arg;
	const struct site_heartbeat	*hb = &rules_site(w->rules)->heartbeat;
	const char			*why;

	if (hb->url == NULL)
		return;
	watchman_add(w->beat_ev, hb->every);
	why = watchman_unhealthy(w);
	if (why != NULL && w->unhealthy != why)
		log_warnx("watchman: heartbeat withheld: %s", why);
	else if (why == NULL && w->unhealthy != NULL)
		log_info("watchman: healthy again, heartbeat resumed");
	w->unhealthy = why;
	if (why != NULL) {
		metrics_heartbeat(METRICS_HEARTBEAT_WITHHELD, clock_now());
		return;
	}
	if (w->ping != NULL) {
		log_debug("watchman: the last ping is still under way");
		return;
	}
	watchman_ping(w, hb);
}

static struct watchman_channel *
watchman_channel(struct watchman *w, const char *name)
{
	struct watchman_channel	*c;

	for (c = w->channels; c != NULL; c = c->link) {
		if (strcmp(c->name, name) == 0)
			return (c);
	}
	c = xcalloc(1, sizeof(*c));
	c->name = xstrdup(name);
	c->link = w->channels;
	w->channels = c;
	return (c);
}

/*
 * Tell what an episode says, in a transaction of its own, and move the
 * episode on only once that is committed.  about is the failing channel,
 * or for the outbox the channel of its oldest message.
 */
static void
watchman_tell(struct watchman *w, struct watchman_episode *ep,
    enum watchman_say say, int outbox, const char *about, int64_t age)
{
	const struct site_alarm	*a = &rules_site(w->rules)->alarm;
	struct engine_alarm	 m;
	int64_t			 now = clock_now();
	size_t			 notified = 0;
	char			*text;

	if (!outbox && strcmp(about, a->channel) == 0) {
		/* It cannot carry news of itself. */
		log_warnx("watchman: alarm %s, but it is the alarm's own "
		    "channel: only the heartbeat and the log can tell "
		    "channel=%s age_s=%lld", watchman_say_name(say), about,
		    (long long)(age / MSEC_PER_SEC));
		watchman_episode_apply(ep, say, now);
		return;
	}
	text = watchman_text(say, outbox, about, age, ep->told);
	memset(&m, 0, sizeof(m));
	m.state = watchman_say_name(say);
	m.about = outbox ? "outbox" : about;
	m.to = a->to;
	m.channel = a->channel;
	m.title = WATCHMAN_TITLE;
	m.text = text;
	m.since = say == WATCHMAN_RAISED ? now : ep->since;
	m.told = ep->told;
	if (engine_begin(w->engine) != 0 || engine_alarm(w->engine, &m) != 0 ||
	    engine_commit(w->engine, &notified) != 0) {
		engine_rollback(w->engine);
		log_warnx("watchman: the alarm could not be written; trying "
		    "again at the next check about=%s", m.about);
		free(text);
		return;
	}
	free(text);
	log_warnx("watchman: alarm %s about=%s age_s=%lld to=%s channel=%s "
	    "messages=%zu", m.state, m.about, (long long)(age / MSEC_PER_SEC),
	    a->to, a->channel, notified);
	metrics_alarm(watchman_metrics[say]);
	watchman_episode_apply(ep, say, now);
	if (notified > 0)
		outbox_kick(w->outbox);
}

/* Judge one kind of trouble and tell what its episode says. */
static void
watchman_judge(struct watchman *w, struct watchman_episode *ep, int bad,
    int outbox, const char *about, int64_t age, int64_t threshold)
{
	const struct site_alarm	*a = &rules_site(w->rules)->alarm;
	int64_t			 now = clock_now();
	enum watchman_say	 say;

	say = watchman_episode_judge(ep, bad, now, a->remind_every);
	if (say == WATCHMAN_NOTHING)
		return;
	if (say == WATCHMAN_CLEARED)	/* from its start to now */
		age = now - ep->since + threshold;
	watchman_tell(w, ep, say, outbox, about, age);
}

static void
watchman_check_cb(evutil_socket_t fd, short what, void *arg)
{
	struct watchman			*w = arg;
	const struct site_alarm		*a = &rules_site(w->rules)->alarm;
	const struct channel_def	*def;
	struct watchman_channel		*c;
	int64_t				 now = clock_now(), oldest, since, last;
	char				*channel = NULL;
	size_t				 i;
	int				 rc, active = 0;

	if (a->channel == NULL)
		return;
	watchman_add(w->check_ev, watchman_check_every(a));
	if ((rc = store_messages_oldest(w->store, &oldest, &channel)) >= 0)
		watchman_judge(w, &w->outbox_ep, watchman_outbox_bad(oldest,
		    now, a->queued_after), 1, channel, rc == 1 ? now - oldest :
		    0, a->queued_after);
	free(channel);
	active += w->outbox_ep.since != 0;
	for (i = 0; i < rules_channel_count(w->rules); i++) {
		def = rules_channel(w->rules, i);
		c = watchman_channel(w, def->name);
		outbox_failing(w->outbox, def->name, &since, &last);
		watchman_judge(w, &c->ep, watchman_channel_bad(since, last, now,
		    a->failing_after), 0, def->name, since != 0 ? now - since :
		    0, a->failing_after);
		active += c->ep.since != 0;
	}
	metrics_alarms_active(active);
}
