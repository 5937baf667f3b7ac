/*
 * GET /healthz, GET /v1/leader and GET /metrics.  Health means the loop answers, the store
 * answers a query and a rule set is loaded.  Metrics are Prometheus text:
 * the counters and histograms metrics.c keeps, and the gauges the store
 * answers at each scrape.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "api.h"
#include "calendar.h"
#include "clock.h"
#include "daemon.h"
#include "engine.h"
#include "http.h"
#include "metrics.h"
#include "spool.h"
#include "store.h"
#include "tocsin.h"

void
api_healthz(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	int64_t	open = engine_open_incidents(ctx->engine);

	/* The count is the engine's (counting a million rows per probe would
	 * stall the loop); the store must still answer a query. */
	if (open < 0 || store_ping(ctx->store) != 0 ||
	    ctx->rules == NULL) {
		http_reply_error(req, 503, "unhealthy", NULL,
		    "the store or the rules are not available");
		return;
	}
	http_reply_json(req, 200, json_pack("{s:s, s:s, s:I, s:I}", "status",
	    "ok", "version", TOCSIN_VERSION, "open_incidents",
	    (json_int_t)open, "uptime_s", (json_int_t)((clock_now() -
	    ctx->info->started_at) / MSEC_PER_SEC)));
}

/*
 * This node's role in the cluster and who leads, by the database's clock
 * (docs/cluster.md); NULL if the store did not answer.  SQLite: always
 * the leader, no lease.
 */
json_t *
api_leader_json(const struct api_ctx *ctx)
{
	struct store_lease	 l;
	json_t			*o, *leader = json_null();

	if (store_lease_read(ctx->store, &l) != 0)
		return (NULL);
	if (l.holder != NULL)
		leader = json_pack("{s:s, s:I, s:I}", "holder", l.holder,
		    "term", (json_int_t)l.holder_term, "expires_in_ms",
		    (json_int_t)l.expires_in);
	o = json_pack("{s:s, s:o, s:o, s:o, s:o}",
	    "role", l.leader ? "leader" : "standby",
	    "term", l.leader && l.enabled ? json_integer(l.term) : json_null(),
	    "lease_ms", l.enabled ? json_integer(l.period) : json_null(),
	    "node", l.node != NULL ? json_string(l.node) : json_null(),
	    "leader", leader);
	store_lease_clear(&l);
	return (o);
}

/* GET /v1/leader: 200 on the leader, 503 elsewhere (a balancer's check). */
void
api_leader(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	json_t	*o = api_leader_json(ctx);

	if (o == NULL) {
		http_reply_error(req, 503, "store_failed", NULL,
		    "the store did not answer");
		return;
	}
	if (!store_leads(ctx->store))
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "1");
	http_reply_json(req, store_leads(ctx->store) ? 200 : 503, o);
}

/*
 * Gauges the store answers at each scrape, one GROUP BY each: every key of
 * the first nkeys of its enum is shown, 0 when no row has it, so that a
 * series never vanishes.
 */
static const char *
api_grade_digit(int g)
{
	return (grade_name(g, GRADE_FORM_DIGIT));
}

static const char *
api_obligation_status(int v)
{
	return (obligation_status_name((enum obligation_status)v));
}

static const char *
api_outbox_status(int v)
{
	return (outbox_status_name((enum outbox_status)v));
}

#define API_METRICS_KEYS	8	/* the most keys of a group */

static const struct api_metrics_group {
	const char	 *family;
	const char	 *label;
	int		(*count)(struct store *, int64_t *);
	const char	*(*name)(int);
	int		  nkeys;
} api_metrics_groups[] = {
	{ "tocsin_incidents_open", "grade", store_incidents_open_by_grade,
	    api_grade_digit, GRADE_MAX + 1 },
	{ "tocsin_obligations", "status", store_obligations_count,
	    api_obligation_status, OBLIGATION__COUNT },
	/* The depth: queued, sending and failed, the first three. */
	{ "tocsin_outbox_depth", "status", store_messages_depth,
	    api_outbox_status, OUTBOX_DELIVERED },
};

/* A family counted by the store; no samples if the store cannot say. */
static void
api_metrics_group(struct evbuffer *buf, struct store *s,
    const struct api_metrics_group *g)
{
	int64_t	counts[API_METRICS_KEYS] = { 0 };
	int	i;

	metrics_family(buf, g->family);
	if (g->count(s, counts) != 0)
		return;
	for (i = 0; i < g->nkeys; i++)
		metrics_sample(buf, g->family, counts[i], g->label,
		    g->name(i), NULL);
}

/* As Prometheus and Alertmanager say it of their own configuration. */
static void
api_metrics_reload(struct evbuffer *buf, const struct api_ctx *ctx)
{
	const char	*ok = "tocsin_config_last_reload_successful";
	const char	*at =
	    "tocsin_config_last_reload_success_timestamp_seconds";

	metrics_family(buf, ok);
	metrics_sample(buf, ok, metrics_reload_ok(), NULL);
	metrics_family(buf, at);
	metrics_sample(buf, at, ctx->info->rules_loaded_at /
	    MSEC_PER_SEC, NULL);
}

/* Prometheus text format 0.0.4; docs/api.md lists the families. */
/* tocsin_calendar_provisional{year="2027"} 1, for the years ahead. */
static void
api_metrics_calendar(struct evbuffer *buf, const struct api_ctx *ctx)
{
	const struct calendar	*cal = rules_calendar(ctx->rules);
	char			 year[16];
	int			 years[2];
	size_t			 i, n = calendar_years_ahead(clock_now(), years);

	metrics_family(buf, "tocsin_calendar_provisional");
	for (i = 0; i < n; i++) {
		snprintf(year, sizeof(year), "%d", years[i]);
		metrics_sample(buf, "tocsin_calendar_provisional",
		    calendar_provisional(cal, years[i]), "year", year, NULL);
	}
}

void
api_metrics(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	const struct engine_stats	*es = engine_stats(ctx->engine);
	struct store			*s = ctx->store;
	struct evbuffer			*buf = evbuffer_new();
	struct store_checkpoint_info	 ci;
	int64_t				 timers;
	size_t				 i;

	metrics_family(buf, "tocsin_up");
	metrics_sample(buf, "tocsin_up", 1, NULL);
	metrics_family(buf, "tocsin_build_info");
	metrics_sample(buf, "tocsin_build_info", 1, "version", TOCSIN_VERSION,
	    store_driver_name(s), store_driver_version(s), "libevent",
	    event_get_version(),
	    "jansson", JANSSON_VERSION, NULL);
	metrics_family(buf, "tocsin_start_time_seconds");
	metrics_sample(buf, "tocsin_start_time_seconds",
	    ctx->info->started_at / MSEC_PER_SEC, NULL);
	api_metrics_reload(buf, ctx);
	metrics_process_write(buf);

	for (i = 0; i < nitems(api_metrics_groups); i++)
		api_metrics_group(buf, s, &api_metrics_groups[i]);
	metrics_family(buf, "tocsin_timers_pending");
	if (store_timer_count(s, &timers) == 0)
		metrics_sample(buf, "tocsin_timers_pending", timers, NULL);

	metrics_write(buf);
	metrics_family(buf, "tocsin_spool_pending");
	metrics_sample(buf, "tocsin_spool_pending", ctx->spool != NULL ?
	    (int64_t)spool_pending(ctx->spool) : 0, NULL);

	metrics_family(buf, "tocsin_actions_total");
	metrics_sample(buf, "tocsin_actions_total", (int64_t)es->actions, NULL);
	metrics_family(buf, "tocsin_breaches_total");
	metrics_sample(buf, "tocsin_breaches_total", (int64_t)es->breaches,
	    NULL);
	metrics_family(buf, "tocsin_rule_errors_total");
	metrics_sample(buf, "tocsin_rule_errors_total", (int64_t)es->rejected,
	    NULL);
	metrics_family(buf, "tocsin_timers_fired_total");
	metrics_sample(buf, "tocsin_timers_fired_total",
	    (int64_t)es->timers_fired, NULL);
	metrics_family(buf, "tocsin_notifications_total");
	metrics_sample(buf, "tocsin_notifications_total",
	    (int64_t)es->notifications, NULL);

	api_metrics_calendar(buf, ctx);

	store_checkpoints(s, &ci);
	metrics_family(buf, "tocsin_wal_pages");
	metrics_sample(buf, "tocsin_wal_pages", ci.wal_pages, NULL);
	metrics_family(buf, "tocsin_checkpoints_total");
	metrics_sample(buf, "tocsin_checkpoints_total", (int64_t)ci.by_thread,
	    "by", "thread", NULL);
	metrics_sample(buf, "tocsin_checkpoints_total", (int64_t)ci.by_writer,
	    "by", "writer", NULL);
	metrics_sample(buf, "tocsin_checkpoints_total", (int64_t)ci.failed,
	    "by", "failed", NULL);

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	http_send_reply(req, 200, buf);
	evbuffer_free(buf);
}
