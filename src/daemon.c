/*
 * The daemon's life: load and check the rules, open the store, rebuild the
 * timers and the outbox from it, bind the listener, tell systemd we are
 * ready, run the loop; on the way out, the same in reverse.
 *
 * Deadlines: one evtimer, always armed for the engine's earliest timer.
 * When it fires, the due timers are applied in one transaction of bounded
 * size and time (DAEMON_FIRE_BUDGET_US: a burst of deadlines must not keep
 * /healthz or a request waiting long), and the timer is armed again.
 *
 * PostgreSQL without a read-write primary (docs/cluster.md): when the
 * store cannot be opened because the database is out of reach for now
 * (store_open_transient; a lost database while it opens), the listener
 * starts all the same and answers 503 database_unavailable, and the store
 * is tried every second; once it opens, the start goes on as it would
 * have (daemon_serve).  A configuration error still ends the start.
 *
 * systemd (Type=notify): READY=1 once the listener is bound, RELOADING=1
 * and READY=1 again around a SIGHUP reload, STOPPING=1 on the way out, each
 * with a STATUS= line for `systemctl status`.  With WatchdogSec= set, a
 * timer on the loop itself sends WATCHDOG=1 at half the interval, so a
 * loop stuck anywhere stops feeding it and systemd restarts us.  Without
 * $NOTIFY_SOCKET all of this is a no-op.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "api.h"
#include "calendar.h"
#include "site.h"
#include "clock.h"
#include "daemon.h"
#include "engine.h"
#include "http.h"
#include "http-conn.h"
#include "httpc.h"
#include "ingest.h"
#include "log.h"
#include "metrics.h"
#include "opener.h"
#include "outbox.h"
#include "prune.h"
#include "rules.h"
#include "spool.h"
#include "spool-inbox.h"
#include "store.h"
#include "tocsin.h"
#include "watchman.h"
#include "xmalloc.h"

#define DAEMON_DEFAULT_DB	"var/tocsin.db"
#define DAEMON_FIRE_BATCH	500	/* timers per transaction, at most */
#define DAEMON_FIRE_CHUNK	16
#define DAEMON_FIRE_BUDGET_US	10000	/* then commit, let the rest in */

#define DAEMON_WAKE_MAX_MS	1000	/* see daemon_arm */
#define DAEMON_TAKE_EVERY_MS	1000	/* a standby tries the lease */
#define DAEMON_RENEWALS		3	/* a leader's per lease period */
#define DAEMON_WAIT_EVERY_MS	1000	/* the store tried, while waiting */
#define DAEMON_WAIT_LOG_MS	30000	/* "still waiting", at most this often */

struct daemon {
	const struct daemon_options	*opts;
	struct event_base		*base;
	struct rules			*rules;
	struct store			*store;
	struct engine			*engine;
	struct httpc			*httpc;
	struct outbox			*outbox;
	struct ingest			*ingest;
	struct http			*http;
	struct prune			*prune;
	struct spool			*spool;		/* NULL: none */
	struct spool_inbox		*inbox;		/* the leader's */
	struct watchman			*watchman;
	struct event			*timer_ev;
	struct event			*watchdog_ev;
	struct event			*calendar_ev;
	struct event			*lease_ev;	/* take or renew */
	struct event			*wait_ev;	/* for the database */
	struct opener			*opener;	/* an attempt running */
	char				*url;		/* may hold a password */
	char				*path;		/* url as logged */
	char				*node;		/* in the lease */
	int64_t				 wait_since_us;	/* monotonic */
	int64_t				 wait_logged_us;
	int64_t				 lease_ms;	/* fixed at start */
	int				 failed;	/* leading failed */
	int				 calendar_years[2];	/* told of */
	struct event			*sig_ev[3];
	struct daemon_info		 info;
	struct api_ctx			 api;	/* what the handlers act on */
};

/* One problem of a site as "rules: problem=\"file:line: message\"". */
static void
daemon_log_problem(const char *what, const char *text)
{
	log_warnx("rules: %s=%s", what, text);
}

/* Load and check a rule set; NULL after logging every problem. */
static struct rules *
daemon_load_rules(const struct daemon_options *opts)
{
	struct rules_problems		 problems = { NULL, 0 };
	const struct rules_problems	*warnings;
	struct rules			*r;
	size_t				 i;

	r = site_load(opts->site, &opts->rules, &problems);
	for (i = 0; i < problems.n; i++)
		daemon_log_problem("problem", problems.v[i]);
	rules_problems_clear(&problems);
	if (r == NULL)
		return (NULL);
	warnings = rules_warnings(r);
	for (i = 0; i < warnings->n; i++)
		daemon_log_problem("warning", warnings->v[i]);
	return (r);
}

static void
daemon_arm(struct daemon *d)
{
	int64_t		next = engine_next_due(d->engine), delay;
	struct timeval	tv;

	if (next == INT64_MAX) {
		evtimer_del(d->timer_ev);
		return;
	}
	/*
	 * Deadlines are wall-clock times, but the loop sleeps on the
	 * monotonic clock: wake at least every second so that a wall clock
	 * stepped forward (NTP, a resumed VM) is noticed at once.  Stepped
	 * back, deadlines simply come later; fired timers are gone, so
	 * nothing fires twice.
	 */
	delay = next - clock_now();
	if (delay < 0)
		delay = 0;
	if (delay > DAEMON_WAKE_MAX_MS)
		delay = DAEMON_WAKE_MAX_MS;
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	evtimer_add(d->timer_ev, &tv);
}

/*
 * After a commit: new timers may be due sooner than the armed one, and the
 * outbox is woken only if the commit wrote notifications.
 */
static void
daemon_after_commit(struct daemon *d, size_t notified)
{
	daemon_arm(d);
	if (notified > 0)
		outbox_kick(d->outbox);
}

static void
daemon_after_commit_cb(void *arg, size_t notified)
{
	daemon_after_commit(arg, notified);
}

static void
daemon_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon	*d = arg;
	int64_t		 due = engine_next_due(d->engine), start;
	size_t		 notified = 0;
	int		 fired = 0, n;

	if (due > clock_now())
		goto rearm;		/* a wake-up with nothing due yet */
	if (engine_begin(d->engine) != 0) {
		log_warnx("daemon: cannot begin a transaction for timers");
		goto rearm;
	}
	start = clock_monotonic_us();
	do {
		if ((n = engine_fire_due(d->engine, clock_now(),
		    DAEMON_FIRE_CHUNK)) < 0)
			break;
		fired += n;
	} while (n == DAEMON_FIRE_CHUNK && fired < DAEMON_FIRE_BATCH &&
	    clock_monotonic_us() - start < DAEMON_FIRE_BUDGET_US);
	if (n < 0 || engine_commit(d->engine, &notified) != 0) {
		log_warnx("daemon: timers could not be applied; retrying");
		engine_rollback(d->engine);
		goto rearm;
	}
	if (fired > 0)
		log_debug("daemon: timers fired=%d lateness_ms=%lld", fired,
		    (long long)(clock_now() - due));
rearm:
	daemon_after_commit(d, notified);
}

static void
daemon_action_cb(const char *json, void *arg)
{
	log_info("action %s", json);
}

/* New recurring reports get their first period; each commit stands alone. */
static void
daemon_sync_recurring(struct daemon *d)
{
	if (engine_begin(d->engine) != 0 ||
	    engine_sync_recurring(d->engine) != 0 ||
	    engine_commit(d->engine, NULL) != 0) {
		engine_rollback(d->engine);
		log_warnx("daemon: cannot schedule the recurring reports");
	}
}

/* Like the listen address, the spool directory is fixed at start-up. */
static void
daemon_reload_spool(struct daemon *d, const struct rules *r)
{
	const char	*was = rules_site(d->rules)->spool;
	const char	*now = rules_site(r)->spool;

	if (d->opts->spool != NULL || (was == NULL && now == NULL) ||
	    (was != NULL && now != NULL && strcmp(was, now) == 0))
		return;
	log_warnx("daemon: the site's spool changed; it takes effect at the "
	    "next start spool=%s", now != NULL ? now : "none");
}

/* CLOCK_MONOTONIC in microseconds, as RELOADING=1 wants it. */
static uint64_t
daemon_monotonic_usec(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

/* READY=1 with what `systemctl status` should say. */
static void
daemon_notify_ready(struct daemon *d, const char *how)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s: %zu procedures, site %s", how,
	    rules_procedure_count(d->rules), d->opts->site);
}

static void
daemon_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	sd_notify(0, "WATCHDOG=1");
}

/*
 * With WatchdogSec= (systemd passes $WATCHDOG_USEC), feed the watchdog from
 * the loop at half the interval.  Returns the interval in ms, or 0.
 */
/* Wake just after the next local midnight. */
static void
daemon_calendar_arm(struct daemon *d)
{
	int64_t		now = clock_now();
	int64_t		ms = calendar_next_day_start(now) - now + MSEC_PER_SEC;
	struct timeval	tv = { ms / MSEC_PER_SEC, (ms % MSEC_PER_SEC) * 1000 };

	evtimer_add(d->calendar_ev, &tv);
}

/*
 * At the year's turn, and when the next year comes within reach of
 * deadlines (calendar_years_ahead), say in the log which schedule each
 * year follows, provisional years as a warning.  The start-up's are the
 * rules' warnings.
 */
static void
daemon_calendar_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon		*d = arg;
	const struct calendar	*cal = rules_calendar(d->rules);
	const char		*source;
	int			 years[2];
	size_t			 i, n = calendar_years_ahead(clock_now(), years);

	if (n == 1)
		years[1] = years[0];
	if (years[0] != d->calendar_years[0] ||
	    years[1] != d->calendar_years[1]) {
		for (i = 0; i < n; i++) {
			if (calendar_provisional(cal, years[i]))
				log_warnx("calendar: holidays provisional "
				    "year=%d (no State Council notice: "
				    "statutory holidays off, otherwise "
				    "Monday-Friday)", years[i]);
			else if ((source = calendar_source(cal,
			    years[i])) != NULL)
				log_info("calendar: holidays year=%d "
				    "notice=%s", years[i], source);
			else
				log_info("calendar: holidays year=%d "
				    "notice=site", years[i]);
		}
		d->calendar_years[0] = years[0];
		d->calendar_years[1] = years[1];
	}
	daemon_calendar_arm(d);
}

/* The years told of at start-up are the rules' warnings'. */
static void
daemon_calendar_start(struct daemon *d)
{
	if (calendar_years_ahead(clock_now(), d->calendar_years) == 1)
		d->calendar_years[1] = d->calendar_years[0];
	d->calendar_ev = evtimer_new(d->base, daemon_calendar_cb, d);
	daemon_calendar_arm(d);
}

static int64_t
daemon_watchdog_start(struct daemon *d)
{
	uint64_t	usec, half;
	struct timeval	tv;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return (0);
	half = usec / 2;
	tv.tv_sec = half / 1000000;
	tv.tv_usec = half % 1000000;
	d->watchdog_ev = event_new(d->base, -1, EV_PERSIST, daemon_watchdog_cb,
	    d);
	event_add(d->watchdog_ev, &tv);
	return ((int64_t)(usec / 1000));
}

/*
 * The listener's cap on open connections: the site's max_connections, or
 * the file descriptor limit less a reserve (see http-conn.c); and the
 * total time a request's headers and body may take.
 */
static size_t
daemon_set_max_connections(struct daemon *d, const struct rules *r)
{
	const struct site	*s = rules_site(r);
	size_t			 want = s->max_connections;
	size_t			 derived = hconns_default_max();

	if (want > derived)
		log_warnx("daemon: max_connections=%zu is above what the file "
		    "descriptor limit leaves (%zu): raise LimitNOFILE=", want,
		    derived);
	return (http_set_conn_limits(d->http, want, s->header_timeout,
	    s->body_timeout));
}

static void
daemon_reload(struct daemon *d)
{
	struct rules	*r;
	const char	*how = "reloaded";

	sd_notifyf(0, "RELOADING=1\nSTATUS=reloading %s\nMONOTONIC_USEC=%"
	    PRIu64, d->opts->site, daemon_monotonic_usec());
	log_info("daemon: reloading site=%s", d->opts->site);
	r = daemon_load_rules(d->opts);
	metrics_reload(r != NULL);
	if (r == NULL) {
		log_warnx("daemon: reload failed; the old rules keep running");
		how = "reload failed, old rules running";
	} else {
		if (d->engine != NULL) {	/* none while waiting */
			engine_set_rules(d->engine, r);
			outbox_set_rules(d->outbox, r);
		}
		if (d->watchman != NULL)	/* none on a standby */
			watchman_set_rules(d->watchman, r);
		http_set_body_limit(d->http, rules_site(r)->body_limit);
		if (d->spool != NULL)
			spool_set_body_limit(d->spool,
			    rules_site(r)->body_limit);
		daemon_set_max_connections(d, r);
		daemon_reload_spool(d, r);
		rules_free(d->rules);
		d->rules = d->api.rules = r;
		d->info.rules_loaded_at = clock_now();
		if (d->engine != NULL && store_leads(d->store))
			daemon_sync_recurring(d);
		if (d->engine != NULL)
			daemon_arm(d);
		log_info("daemon: reloaded procedures=%zu",
		    rules_procedure_count(r));
	}
	daemon_notify_ready(d, d->store == NULL ? "waiting for the database" :
	    how);
}

static void
daemon_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon	*d = arg;

	switch (sig) {
	case SIGHUP:
		daemon_reload(d);
		break;
	case SIGINT:
	case SIGTERM:
		log_info("daemon: stopping signal=%s",
		    sig == SIGTERM ? "TERM" : "INT");
		sd_notify(0, "STOPPING=1\nSTATUS=stopping");
		event_base_loopbreak(d->base);
		break;
	}
}

static char *
daemon_db_path(const struct daemon_options *opts, const struct rules *r)
{
	if (opts->db != NULL)
		return (xstrdup(opts->db));
	if (rules_site(r)->database != NULL)
		return (xstrdup(rules_site(r)->database));
	mkdir("var", 0750);
	return (xstrdup(DAEMON_DEFAULT_DB));
}

static void
daemon_teardown(struct daemon *d)
{
	size_t	i;

	prune_free(d->prune);		/* answers a request still waiting */
	http_free(d->http);
	for (i = 0; i < nitems(d->sig_ev); i++) {
		if (d->sig_ev[i] != NULL)
			event_free(d->sig_ev[i]);
	}
	if (d->timer_ev != NULL)
		event_free(d->timer_ev);
	spool_free(d->spool);		/* before the ingest its files are in */
	spool_inbox_free(d->inbox);
	if (d->watchdog_ev != NULL)
		event_free(d->watchdog_ev);
	if (d->calendar_ev != NULL)
		event_free(d->calendar_ev);
	if (d->lease_ev != NULL)
		event_free(d->lease_ev);
	if (d->wait_ev != NULL)
		event_free(d->wait_ev);
	opener_free(d->opener);		/* waits for an attempt running */
	ingest_free(d->ingest);
	watchman_free(d->watchman);	/* a ping in flight forgets it */
	httpc_free(d->httpc);		/* ends transfers into the outbox */
	outbox_free(d->outbox);
	engine_free(d->engine);
	if (d->store != NULL)
		store_lease_release(d->store);	/* no send runs now */
	store_close(d->store);
	rules_free(d->rules);
	if (d->base != NULL)
		event_base_free(d->base);
	metrics_reset();
	free(d->url);
	free(d->path);
	free(d->node);
}

/*
 * Lead: what a start does after opening the store -- the timers rebuilt,
 * the recurring reports scheduled, interrupted deliveries queued again,
 * the spool inbox taken in -- on a node that took the lease from a dead
 * leader just as on one that starts alone.  0, or -1 logged.
 */
static int
daemon_lead(struct daemon *d)
{
	int64_t		 rebuild_us = clock_monotonic_us();

	if (engine_recover(d->engine) != 0) {
		log_warnx("daemon: cannot rebuild the timers");
		return (-1);
	}
	log_info("daemon: timers rebuilt timers=%zu ms=%.1f",
	    engine_timer_count(d->engine),
	    (double)(clock_monotonic_us() - rebuild_us) / 1000);
	daemon_sync_recurring(d);
	if (outbox_recover(d->outbox) != 0)
		return (-1);
	/* What standbys forwarded: at once, then every second. */
	if (store_has_lease(d->store))
		d->inbox = spool_inbox_new(d->base, d->store, d->ingest);
	daemon_arm(d);
	outbox_kick(d->outbox);		/* what was queued before we stopped */
	d->watchman = watchman_new(d->base, d->store, d->engine, d->outbox,
	    d->httpc, d->rules);
	return (0);
}

/*
 * The spool, on every node: the leader ingests its files, a standby
 * (under a lease) hands them to the leader through the store's inbox.
 * It asks at each file whether this node leads, so a takeover needs
 * nothing here.  0, or -1 logged.
 */
static int
daemon_spool_start(struct daemon *d, const char *node)
{
	const char	*spool;
	char		*cause;

	spool = d->opts->spool != NULL ? d->opts->spool :
	    rules_site(d->rules)->spool;
	if (spool == NULL)
		return (0);
	if ((d->spool = d->api.spool = spool_new(d->base, d->ingest,
	    rules_site(d->rules)->body_limit, spool, &cause)) == NULL) {
		log_warnx("daemon: cannot watch the spool error=%s", cause);
		free(cause);
		return (-1);
	}
	if (store_has_lease(d->store))
		spool_set_forward(d->spool, d->store, node);
	return (0);
}

/*
 * The lease (PostgreSQL; docs/cluster.md): a standby tries to take it
 * every second, and leads once it has; a leader renews it a few times a
 * period even when nothing is written (every write transaction renews it
 * too).  A renewal that fails does not return: the store is lost and the
 * daemon exits for its service manager to start it again, a standby (or
 * one waiting for the database, when no primary is reachable yet).
 */
static void
daemon_lease_arm(struct daemon *d)
{
	int64_t		ms = DAEMON_TAKE_EVERY_MS;
	struct timeval	tv;

	if (store_leads(d->store))
		ms = d->lease_ms / DAEMON_RENEWALS;
	tv.tv_sec = ms / MSEC_PER_SEC;
	tv.tv_usec = (ms % MSEC_PER_SEC) * 1000;
	evtimer_add(d->lease_ev, &tv);
}

static void
daemon_lease_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon	*d = arg;

	if (store_leads(d->store))
		store_lease_renew(d->store);
	else if (store_lease_take(d->store) == 1) {
		log_info("daemon: leading after a takeover");
		if (daemon_lead(d) != 0) {
			d->failed = 1;
			event_base_loopbreak(d->base);
			return;
		}
		sd_notify(0, "STATUS=leading");
	}
	daemon_lease_arm(d);
}

/* This node's name in the lease: the site's node, or host and listener. */
static char *
daemon_node_name(const struct daemon *d, const char *listen)
{
	char	host[256], *name;

	if (rules_site(d->rules)->node != NULL)
		return (xstrdup(rules_site(d->rules)->node));
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	xasprintf(&name, "%s %s", host, listen);
	return (name);
}

/* What opening the store needs (opener.h), from the daemon's settings. */
static void
daemon_opener_args(const struct daemon *d, struct opener_args *a)
{
	a->url = d->url;
	a->sync = rules_site(d->rules)->synchronous;
	a->node = d->node;
	a->lease_ms = d->lease_ms;
}

/*
 * What follows the store's opening, at start-up or after waiting for the
 * database: the engine and what feeds and drains it, then the lease --
 * taken before the listener answers, so that a node alone leads from its
 * first request; a standby tries again every second.  0, or -1 logged.
 */
static int
daemon_serve(struct daemon *d)
{
	d->engine = d->api.engine = engine_new(d->store, d->rules);
	engine_set_sink(d->engine, daemon_action_cb, d);
	d->httpc = httpc_new(d->base);
	d->outbox = outbox_new(d->base, d->store, d->httpc, d->engine,
	    d->rules);
	d->ingest = d->api.ingest = ingest_new(d->base, d->engine,
	    daemon_after_commit_cb, d);
	d->api.after_commit = daemon_after_commit_cb;
	d->api.after_arg = d;
	d->prune = d->api.prune = prune_new(d->base, d->store);
	d->timer_ev = evtimer_new(d->base, daemon_timer_cb, d);
	event_priority_set(d->timer_ev, EVENT_PRIORITY_WORK);
	if (store_lease_take(d->store) == 1 && daemon_lead(d) != 0)
		return (-1);
	if (daemon_spool_start(d, d->node) != 0)
		return (-1);
	if (store_has_lease(d->store)) {
		d->lease_ev = evtimer_new(d->base, daemon_lease_cb, d);
		daemon_lease_arm(d);
	}
	/* The listener answers 503 database_unavailable until now. */
	d->api.store = d->store;
	return (0);
}

static const char *
daemon_role(const struct daemon *d)
{
	if (d->store == NULL)
		return ("waiting");
	return (store_leads(d->store) ? "leader" : "standby");
}

static void
daemon_wait_arm(struct daemon *d)
{
	struct timeval	tv = { DAEMON_WAIT_EVERY_MS / MSEC_PER_SEC,
			    (DAEMON_WAIT_EVERY_MS % MSEC_PER_SEC) * 1000 };

	evtimer_add(d->wait_ev, &tv);
}

static void	daemon_opened_cb(int, struct store *, char *, void *);

/*
 * Try the database again, on the opener's thread: the loop goes on
 * answering 503 while libpq connects (up to connect_timeout a host).
 */
static void
daemon_wait_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon		*d = arg;
	struct opener_args	 a;
	struct store		*store;
	char			*cause = NULL;
	int			 rc;

	daemon_opener_args(d, &a);
	if ((d->opener = opener_start(d->base, &a, daemon_opened_cb,
	    d)) != NULL)
		return;
	rc = opener_open(&a, &store, &cause);	/* no thread: here, then */
	daemon_opened_cb(rc, store, cause, d);
}

/* An attempt ended: serve, or wait a second more, or give up. */
static void
daemon_opened_cb(int rc, struct store *store, char *cause, void *arg)
{
	struct daemon	*d = arg;
	int64_t		 now = clock_monotonic_us();
	double		 waited = (double)(now - d->wait_since_us) / 1000000;

	opener_free(d->opener);
	d->opener = NULL;
	d->store = store;
	if (rc == 1) {
		if (now - d->wait_logged_us >= DAEMON_WAIT_LOG_MS * 1000) {
			log_warnx("daemon: still waiting for the database "
			    "waited_s=%.0f error=%s", waited, cause);
			d->wait_logged_us = now;
		}
		free(cause);
		daemon_wait_arm(d);
		return;
	}
	if (rc < 0) {
		log_warnx("daemon: cannot open the store db=%s error=%s",
		    d->path, cause);
		free(cause);
	} else {
		log_info("daemon: the database is reachable db=%s "
		    "waited_s=%.1f", d->path, waited);
		if (daemon_serve(d) == 0) {
			log_info("daemon: serving role=%s", daemon_role(d));
			daemon_notify_ready(d, store_leads(d->store) ?
			    "running" : "running, a standby");
			return;
		}
	}
	d->failed = 1;
	event_base_loopbreak(d->base);
}

/*
 * Wait for the database: the listener answers 503 meanwhile (http.c),
 * nothing is read from the spool, no timer runs, nothing is sent.
 */
static void
daemon_wait_start(struct daemon *d, const char *cause)
{
	log_warnx("daemon: waiting for the database db=%s error=%s "
	    "(no read-write primary reachable; trying every second, "
	    "answering 503 meanwhile)", d->path, cause);
	d->wait_since_us = d->wait_logged_us = clock_monotonic_us();
	d->wait_ev = evtimer_new(d->base, daemon_wait_cb, d);
	daemon_wait_arm(d);
}

int
daemon_run(const struct daemon_options *opts)
{
	struct daemon	 d;
	struct opener_args oa;
	static const int signals[] = { SIGHUP, SIGINT, SIGTERM };
	char		*cause;
	const char	*listen;
	size_t		 i;
	int64_t		 watchdog_ms;
	size_t		 max_conns;
	int		 rc = 1, waiting;

	memset(&d, 0, sizeof(d));
	d.opts = opts;
	d.info.site = opts->site;
	d.info.started_at = clock_now();
	d.api.info = &d.info;
	signal(SIGPIPE, SIG_IGN);
	/* Past a file size limit, a write should fail (SQLite then reports
	 * a full disk and ingest answers 503), not kill the daemon. */
	signal(SIGXFSZ, SIG_IGN);
	if ((d.rules = daemon_load_rules(opts)) == NULL) {
		log_warnx("daemon: the site or rules have problems; not "
		    "starting");
		return (1);
	}
	d.info.rules_loaded_at = clock_now();
	d.api.rules = d.rules;
	listen = opts->listen != NULL ? opts->listen :
	    rules_site(d.rules)->listen;
	/* Logged as described: a PostgreSQL URL may hold a password. */
	d.url = daemon_db_path(opts, d.rules);
	d.path = store_describe(d.url);
	d.node = daemon_node_name(&d, listen);
	/* Like the listen address, the lease is fixed at start-up: the
	 * renewals must keep to the period the store renews with. */
	d.lease_ms = rules_site(d.rules)->lease;
	if ((d.base = event_base_new()) == NULL ||
	    event_base_priority_init(d.base, EVENT_PRIORITIES) != 0)
		fatalx("daemon: event_base_new failed");
	daemon_opener_args(&d, &oa);
	if ((waiting = opener_open(&oa, &d.store, &cause)) < 0) {
		log_warnx("daemon: cannot open the store db=%s error=%s",
		    d.path, cause);
		free(cause);
		goto out;
	}
	if (waiting) {
		daemon_wait_start(&d, cause);
		free(cause);
	} else if (daemon_serve(&d) != 0)
		goto out;
	d.http = http_new(d.base, &d.api, listen,
	    rules_site(d.rules)->body_limit, &cause);
	if (d.http == NULL) {
		log_warnx("daemon: cannot listen error=%s", cause);
		free(cause);
		goto out;
	}
	max_conns = daemon_set_max_connections(&d, d.rules);
	for (i = 0; i < nitems(signals); i++) {
		d.sig_ev[i] = evsignal_new(d.base, signals[i],
		    daemon_signal_cb, &d);
		evsignal_add(d.sig_ev[i], NULL);
	}
	watchdog_ms = daemon_watchdog_start(&d);
	daemon_calendar_start(&d);

	log_info("daemon: started version=%s listen=%s db=%s site=%s "
	    "procedures=%zu timers=%s watchdog_ms=%lld max_connections=%zu "
	    "role=%s node=\"%s\"",
	    TOCSIN_VERSION, listen, d.path, opts->site,
	    rules_procedure_count(d.rules), d.engine == NULL ? "none" :
	    engine_next_due(d.engine) == INT64_MAX ? "none" : "pending",
	    (long long)watchdog_ms, max_conns, daemon_role(&d), d.node);
	/* Waiting, READY all the same: systemd would otherwise end us at
	 * TimeoutStartSec=, and a restart would only wait again. */
	daemon_notify_ready(&d, waiting ? "waiting for the database" :
	    store_leads(d.store) ? "running" : "running, a standby");
	event_base_dispatch(d.base);
	rc = d.failed ? 1 : 0;
out:
	daemon_teardown(&d);
	return (rc);
}
