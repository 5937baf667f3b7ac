/*
 * GET /healthz and GET /metrics.  Health means the loop answers, the store
 * answers a query and a rule set is loaded.  Metrics are Prometheus text;
 * issue 6 widens them.
 */
#include <stdio.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "api.h"
#include "clock.h"
#include "daemon.h"
#include "engine.h"
#include "http.h"
#include "outbox.h"
#include "store.h"
#include "tocsin.h"

static int64_t
api_count(struct store *s, enum store_stmt which)
{
	sqlite3_stmt	*st = store_stmt(s, which, NULL);
	int64_t		 n = -1;

	if (store_step(s, st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	if (st != NULL)
		sqlite3_reset(st);
	return (n);
}

void
api_healthz(struct evhttp_request *req, struct daemon *d, const char *key)
{
	int64_t	open = api_count(daemon_store(d), STMT_INCIDENT_COUNT_OPEN);

	if (open < 0 || daemon_rules(d) == NULL) {
		http_reply_error(req, 503, "unhealthy", NULL,
		    "the store or the rules are not available");
		return;
	}
	http_reply_json(req, 200, json_pack("{s:s, s:s, s:I, s:I}", "status",
	    "ok", "version", TOCSIN_VERSION, "open_incidents",
	    (json_int_t)open, "uptime_s", (json_int_t)((clock_now() -
	    daemon_started_at(d)) / MSEC_PER_SEC)));
}

void
api_metrics(struct evhttp_request *req, struct daemon *d, const char *key)
{
	const struct engine_stats	*es = engine_stats(daemon_engine(d));
	const struct outbox_stats	*os = outbox_stats(daemon_outbox(d));
	struct evbuffer			*buf = evbuffer_new();

	evbuffer_add_printf(buf,
	    "# TYPE tocsin_events_total counter\n"
	    "tocsin_events_total{result=\"stored\"} %llu\n"
	    "tocsin_events_total{result=\"duplicate\"} %llu\n"
	    "tocsin_events_total{result=\"rule_error\"} %llu\n"
	    "# TYPE tocsin_actions_total counter\n"
	    "tocsin_actions_total %llu\n"
	    "# TYPE tocsin_breaches_total counter\n"
	    "tocsin_breaches_total %llu\n"
	    "# TYPE tocsin_open_incidents gauge\n"
	    "tocsin_open_incidents %lld\n"
	    "# TYPE tocsin_delivery_attempts_total counter\n"
	    "tocsin_delivery_attempts_total %llu\n"
	    "# TYPE tocsin_notifications_total counter\n"
	    "tocsin_notifications_total{status=\"delivered\"} %llu\n"
	    "tocsin_notifications_total{status=\"retried\"} %llu\n"
	    "tocsin_notifications_total{status=\"dead\"} %llu\n",
	    (unsigned long long)es->events,
	    (unsigned long long)es->duplicates,
	    (unsigned long long)es->rejected,
	    (unsigned long long)es->actions,
	    (unsigned long long)es->breaches,
	    (long long)api_count(daemon_store(d), STMT_INCIDENT_COUNT_OPEN),
	    (unsigned long long)os->attempts,
	    (unsigned long long)os->delivered,
	    (unsigned long long)os->retried,
	    (unsigned long long)os->dead);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4");
	http_send_reply(req, 200, buf);
	evbuffer_free(buf);
}
