/*
 * The daemon's counters and histograms, and the Prometheus text format
 * (0.0.4) they are shown in.  Every family GET /metrics shows is described
 * once in metrics_defs, the store's gauges too, so each gets its HELP and
 * TYPE lines from the same place.
 *
 * A histogram keeps a count per bucket (not cumulative) in microseconds;
 * the cumulative _bucket lines, with le in seconds, are made when written.
 * Delivery results and times are kept per channel: channels come from the
 * site, so they are few, and a channel a reload removed keeps its counts.
 *
 * Names follow Prometheus' conventions: a counter ends in _total and counts
 * what its name says (tocsin_notifications_total notifications made,
 * tocsin_delivery_attempts_total attempts to deliver them), units are
 * base units in the name, and what became of something is its `result`
 * label wherever it is counted; `status` is a state a gauge counts rows in.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "log.h"
#include "metrics.h"
#include "tocsin.h"
#include "xmalloc.h"

#define METRICS_BUCKETS_MAX	16

static const struct metrics_def {
	const char	*name;
	const char	*type;
	const char	*help;
} metrics_defs[] = {
	{ "tocsin_up", "gauge", "1 while the daemon answers." },
	{ "tocsin_build_info", "gauge",
	    "Always 1; the labels name the versions tocsin was built with." },
	{ "tocsin_start_time_seconds", "gauge",
	    "When the daemon started, in seconds since the Unix epoch." },
	{ "tocsin_config_last_reload_successful", "gauge",
	    "Whether the last load of the site and rules (at start-up or on "
	    "SIGHUP) succeeded: 1, or 0 while the old rules run on." },
	{ "tocsin_config_last_reload_success_timestamp_seconds", "gauge",
	    "When the site and rules running now were loaded, in seconds "
	    "since the Unix epoch." },
	{ "process_cpu_seconds_total", "counter",
	    "Total user and system CPU time spent in seconds." },
	{ "process_open_fds", "gauge", "Number of open file descriptors." },
	{ "process_max_fds", "gauge",
	    "Maximum number of open file descriptors." },
	{ "process_virtual_memory_bytes", "gauge",
	    "Virtual memory size in bytes." },
	{ "process_resident_memory_bytes", "gauge",
	    "Resident memory size in bytes." },
	{ "process_start_time_seconds", "gauge",
	    "Start time of the process since unix epoch in seconds." },
	{ "tocsin_events_received_total", "counter",
	    "Events received (HTTP, spool, ack, resolve) by what became of "
	    "them: accepted, duplicate, rejected (bad input) or failed (the "
	    "store failed)." },
	{ "tocsin_incidents_open", "gauge",
	    "Open incidents by grade (0: not graded yet)." },
	{ "tocsin_obligations", "gauge", "Obligations in the store by status." },
	{ "tocsin_outbox_depth", "gauge",
	    "Notifications not yet delivered, by status." },
	{ "tocsin_notifications_total", "counter",
	    "Notifications made: outbox rows committed, one per recipient "
	    "and channel, a fallback channel's copy included." },
	{ "tocsin_delivery_attempts_total", "counter",
	    "Delivery attempts finished, by channel and result: delivered, "
	    "retried (failed and tried again later) or dead (failed and "
	    "given up on that channel)." },
	{ "tocsin_delivery_seconds", "histogram",
	    "Time from handing a notification to its channel to the "
	    "attempt's result, by channel." },
	{ "tocsin_rule_evaluation_seconds", "histogram",
	    "Time the rules take on one event: matching, met_by and "
	    "classify." },
	{ "tocsin_commit_seconds", "histogram",
	    "Time of one COMMIT of the store." },
	{ "tocsin_timers_pending", "gauge",
	    "Deadlines waiting: due times, reminders, escalation steps, "
	    "recurring reports." },
	{ "tocsin_reloads_total", "counter", "Reloads of the site and rules "
	    "by result." },
	{ "tocsin_spool_files_total", "counter",
	    "Spool files by result: done, rejected, or retried (left in "
	    "place and tried again); on a cluster, forwarded (a standby's, "
	    "put in the inbox for the leader), and inbox_done or "
	    "inbox_rejected (the leader stored or refused a forwarded "
	    "one)." },
	{ "tocsin_spool_pending", "gauge",
	    "Spool files seen and not yet moved to done/ or rejected/." },
	{ "tocsin_actions_total", "counter", "Timeline actions committed." },
	{ "tocsin_breaches_total", "counter", "Obligations breached." },
	{ "tocsin_rule_errors_total", "counter",
	    "Rule calls that failed (each an event.rejected action)." },
	{ "tocsin_timers_fired_total", "counter", "Deadlines that fired." },
	{ "tocsin_wal_pages", "gauge",
	    "Pages in the WAL after the last commit, copied back into the "
	    "database or not yet." },
	{ "tocsin_calendar_provisional", "gauge",
	    "1 for a year whose holidays are provisional (no State Council "
	    "notice yet: statutory holidays off, otherwise Monday to "
	    "Friday), 0 once its notice is in; this year and, within 90 "
	    "days of its start, the next." },
	{ "tocsin_heartbeat_pings_total", "counter",
	    "Heartbeat pings to the external check by result: ok (a 2xx "
	    "answer) or failed." },
	{ "tocsin_heartbeat_withheld_total", "counter",
	    "Heartbeat ticks with no ping: the store, the rules or delivery "
	    "were not healthy." },
	{ "tocsin_heartbeat_last_success_timestamp_seconds", "gauge",
	    "When the external check last answered a ping with 2xx, in "
	    "seconds since the Unix epoch; 0 before the first." },
	{ "tocsin_alarm_messages_total", "counter",
	    "Alarms of delivery in trouble told to the office, by state: "
	    "raised, reminder or cleared." },
	{ "tocsin_alarms_active", "gauge",
	    "Alarm episodes under way: the outbox stuck, channels failing." },
	{ "tocsin_checkpoints_total", "counter",
	    "WAL checkpoints by who made them: the checkpointer thread, the "
	    "writer (when the WAL passed 16384 pages), or failed." },
};

static const char *metrics_result_names[METRICS__RESULTS] = {
	"accepted", "duplicate", "rejected", "failed",
};
static const char *metrics_delivery_names[METRICS__DELIVERY] = {
	"delivered", "retried", "dead",
};
static const char *metrics_spool_names[METRICS__SPOOL] = {
	"done", "rejected", "retried", "forwarded", "inbox_done",
	"inbox_rejected",
};
static const char *metrics_heartbeat_names[METRICS__HEARTBEAT] = {
	"ok", "failed", "withheld",
};
static const char *metrics_alarm_names[METRICS__ALARM] = {
	"raised", "reminder", "cleared",
};

/* Upper bounds of the buckets, in microseconds. */
static const int64_t metrics_rule_bounds[] = {
	10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000,
	1000000,
};
static const int64_t metrics_commit_bounds[] = {
	250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
	500000, 1000000, 5000000,
};
static const int64_t metrics_delivery_bounds[] = {
	5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000,
	5000000, 10000000, 30000000, 60000000,
};

_Static_assert(nitems(metrics_rule_bounds) <= METRICS_BUCKETS_MAX &&
    nitems(metrics_commit_bounds) <= METRICS_BUCKETS_MAX &&
    nitems(metrics_delivery_bounds) <= METRICS_BUCKETS_MAX,
    "a histogram has more buckets than METRICS_BUCKETS_MAX");

struct metrics_histogram_data {
	const int64_t	*bounds;
	size_t		 nbounds;
	uint64_t	 buckets[METRICS_BUCKETS_MAX + 1];	/* last: +Inf */
	uint64_t	 count;
	int64_t		 sum;
};

struct metrics_channel {
	char				*name;
	uint64_t			 results[METRICS__DELIVERY];
	struct metrics_histogram_data	 latency;
	struct metrics_channel		*link;
};

static uint64_t				 metrics_results[METRICS__RESULTS];
static uint64_t				 metrics_reloads[2];	/* ok, failed */
static int				 metrics_reload_failed;	/* the last */
static uint64_t				 metrics_spool_files[METRICS__SPOOL];
static struct metrics_histogram_data	 metrics_histograms[METRICS__HISTOGRAMS];
static struct metrics_channel		*metrics_channels;
static uint64_t				 metrics_heartbeats[METRICS__HEARTBEAT];
static int64_t				 metrics_heartbeat_ok_at;	/* ms */
static uint64_t				 metrics_alarms[METRICS__ALARM];
static int				 metrics_alarms_now;

static const struct {
	const char	*name;
	const int64_t	*bounds;
	size_t		 nbounds;
} metrics_histogram_defs[METRICS__HISTOGRAMS] = {
	[METRICS_RULES] = { "tocsin_rule_evaluation_seconds",
	    metrics_rule_bounds, nitems(metrics_rule_bounds) },
	[METRICS_COMMIT] = { "tocsin_commit_seconds",
	    metrics_commit_bounds, nitems(metrics_commit_bounds) },
};

static void
metrics_histogram_add(struct metrics_histogram_data *h, int64_t usec)
{
	size_t	i;

	if (usec < 0)
		usec = 0;
	for (i = 0; i < h->nbounds && usec > h->bounds[i]; i++)
		;
	h->buckets[i]++;
	h->count++;
	h->sum += usec;
}

void
metrics_events(enum metrics_result result, uint64_t n)
{
	metrics_results[result] += n;
}

void
metrics_observe(enum metrics_histogram which, int64_t usec)
{
	struct metrics_histogram_data	*h = &metrics_histograms[which];

	if (h->bounds == NULL) {
		h->bounds = metrics_histogram_defs[which].bounds;
		h->nbounds = metrics_histogram_defs[which].nbounds;
	}
	metrics_histogram_add(h, usec);
}

static struct metrics_channel *
metrics_channel(const char *name)
{
	struct metrics_channel	*c;

	if (name == NULL)
		name = "";
	for (c = metrics_channels; c != NULL; c = c->link) {
		if (strcmp(c->name, name) == 0)
			return (c);
	}
	c = xcalloc(1, sizeof(*c));
	c->name = xstrdup(name);
	c->latency.bounds = metrics_delivery_bounds;
	c->latency.nbounds = nitems(metrics_delivery_bounds);
	c->link = metrics_channels;
	metrics_channels = c;
	return (c);
}

void
metrics_delivery_time(const char *channel, int64_t usec)
{
	metrics_histogram_add(&metrics_channel(channel)->latency, usec);
}

void
metrics_delivery(const char *channel, enum metrics_delivery result)
{
	metrics_channel(channel)->results[result]++;
}

void
metrics_reload(int ok)
{
	metrics_reloads[ok ? 0 : 1]++;
	metrics_reload_failed = !ok;
}

/* Did the last reload succeed (1 before any: the start-up load did)? */
int
metrics_reload_ok(void)
{
	return (!metrics_reload_failed);
}

/* Good and failed reloads since start-up, for GET /v1/status too. */
void
metrics_reloads_get(uint64_t *ok, uint64_t *failed)
{
	*ok = metrics_reloads[0];
	*failed = metrics_reloads[1];
}

void
metrics_spool(enum metrics_spool result)
{
	metrics_spool_files[result]++;
}

void
metrics_heartbeat(enum metrics_heartbeat result, int64_t now)
{
	metrics_heartbeats[result]++;
	if (result == METRICS_HEARTBEAT_OK)
		metrics_heartbeat_ok_at = now;
}

void
metrics_alarm(enum metrics_alarm state)
{
	metrics_alarms[state]++;
}

void
metrics_alarms_active(int n)
{
	metrics_alarms_now = n;
}

/* Forget everything: for the tests, and tidy at exit. */
void
metrics_reset(void)
{
	struct metrics_channel	*c;

	while ((c = metrics_channels) != NULL) {
		metrics_channels = c->link;
		free(c->name);
		free(c);
	}
	memset(metrics_results, 0, sizeof(metrics_results));
	memset(metrics_reloads, 0, sizeof(metrics_reloads));
	metrics_reload_failed = 0;
	memset(metrics_spool_files, 0, sizeof(metrics_spool_files));
	memset(metrics_histograms, 0, sizeof(metrics_histograms));
	memset(metrics_heartbeats, 0, sizeof(metrics_heartbeats));
	metrics_heartbeat_ok_at = 0;
	memset(metrics_alarms, 0, sizeof(metrics_alarms));
	metrics_alarms_now = 0;
}

/* The # HELP and # TYPE lines of a family named in metrics_defs. */
void
metrics_family(struct evbuffer *buf, const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(metrics_defs); i++) {
		if (strcmp(metrics_defs[i].name, name) != 0)
			continue;
		evbuffer_add_printf(buf, "# HELP %s %s\n# TYPE %s %s\n", name,
		    metrics_defs[i].help, name, metrics_defs[i].type);
		return;
	}
	fatalx("metrics: no family %s", name);
}

/* A label value as the format wants it: \, " and newline escaped. */
static void
metrics_label_value(struct evbuffer *buf, const char *v)
{
	for (; *v != '\0'; v++) {
		switch (*v) {
		case '\\':
			evbuffer_add(buf, "\\\\", 2);
			break;
		case '"':
			evbuffer_add(buf, "\\\"", 2);
			break;
		case '\n':
			evbuffer_add(buf, "\\n", 2);
			break;
		default:
			evbuffer_add(buf, v, 1);
			break;
		}
	}
}

static void
metrics_vline(struct evbuffer *buf, const char *name, const char *value,
    va_list ap)
{
	const char	*key, *v;
	int		 first = 1;

	evbuffer_add_printf(buf, "%s", name);
	while ((key = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		evbuffer_add_printf(buf, "%s%s=\"", first ? "{" : ",", key);
		metrics_label_value(buf, v);
		evbuffer_add(buf, "\"", 1);
		first = 0;
	}
	evbuffer_add_printf(buf, "%s %s\n", first ? "" : "}", value);
}

/* One sample line; the labels are name, value pairs ending in NULL. */
void
metrics_sample(struct evbuffer *buf, const char *name, int64_t value, ...)
{
	va_list	ap;
	char	text[32];

	snprintf(text, sizeof(text), "%lld", (long long)value);
	va_start(ap, value);
	metrics_vline(buf, name, text, ap);
	va_end(ap);
}

static void	metrics_line(struct evbuffer *, const char *, const char *,
		    ...) __attribute__((sentinel));

static void
metrics_line(struct evbuffer *buf, const char *name, const char *value, ...)
{
	va_list	ap;

	va_start(ap, value);
	metrics_vline(buf, name, value, ap);
	va_end(ap);
}

/* Microseconds as decimal seconds, with no trailing zeros: 2500000 -> 2.5 */
static void
metrics_seconds(char *buf, size_t len, int64_t usec)
{
	size_t	n;

	n = (size_t)snprintf(buf, len, "%lld.%06lld",
	    (long long)(usec / 1000000), (long long)(usec % 1000000));
	if (n >= len)
		n = len - 1;
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
}

/* The _bucket, _sum and _count lines; label is one pair, or NULL. */
static void
metrics_histogram_write(struct evbuffer *buf, const char *name,
    const struct metrics_histogram_data *h, const int64_t *bounds,
    size_t nbounds, const char *label, const char *value)
{
	char		 bucket[128], sum[128], count[128], le[32], n[32];
	uint64_t	 cum = 0;
	size_t		 i;

	snprintf(bucket, sizeof(bucket), "%s_bucket", name);
	snprintf(sum, sizeof(sum), "%s_sum", name);
	snprintf(count, sizeof(count), "%s_count", name);
	for (i = 0; i <= nbounds; i++) {
		cum += h->buckets[i];
		if (i < nbounds)
			metrics_seconds(le, sizeof(le), bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		snprintf(n, sizeof(n), "%llu", (unsigned long long)cum);
		if (label != NULL)
			metrics_line(buf, bucket, n, label, value, "le", le,
			    NULL);
		else
			metrics_line(buf, bucket, n, "le", le, NULL);
	}
	metrics_seconds(n, sizeof(n), h->sum);
	if (label != NULL)
		metrics_line(buf, sum, n, label, value, NULL);
	else
		metrics_line(buf, sum, n, NULL);
	snprintf(n, sizeof(n), "%llu", (unsigned long long)h->count);
	if (label != NULL)
		metrics_line(buf, count, n, label, value, NULL);
	else
		metrics_line(buf, count, n, NULL);
}

/* The heartbeat's and the alarm's families (watchman.c). */
static void
metrics_watchman_write(struct evbuffer *buf)
{
	size_t	i;

	metrics_family(buf, "tocsin_heartbeat_pings_total");
	for (i = 0; i < METRICS_HEARTBEAT_WITHHELD; i++)
		metrics_sample(buf, "tocsin_heartbeat_pings_total",
		    (int64_t)metrics_heartbeats[i], "result",
		    metrics_heartbeat_names[i], NULL);
	metrics_family(buf, "tocsin_heartbeat_withheld_total");
	metrics_sample(buf, "tocsin_heartbeat_withheld_total",
	    (int64_t)metrics_heartbeats[METRICS_HEARTBEAT_WITHHELD], NULL);
	metrics_family(buf, "tocsin_heartbeat_last_success_timestamp_seconds");
	metrics_sample(buf, "tocsin_heartbeat_last_success_timestamp_seconds",
	    metrics_heartbeat_ok_at / MSEC_PER_SEC, NULL);
	metrics_family(buf, "tocsin_alarm_messages_total");
	for (i = 0; i < METRICS__ALARM; i++)
		metrics_sample(buf, "tocsin_alarm_messages_total",
		    (int64_t)metrics_alarms[i], "state",
		    metrics_alarm_names[i], NULL);
	metrics_family(buf, "tocsin_alarms_active");
	metrics_sample(buf, "tocsin_alarms_active", metrics_alarms_now, NULL);
}

/* Every family kept here, in the text format. */
void
metrics_write(struct evbuffer *buf)
{
	const struct metrics_channel	*c;
	size_t				 i, j;

	metrics_family(buf, "tocsin_events_received_total");
	for (i = 0; i < METRICS__RESULTS; i++)
		metrics_sample(buf, "tocsin_events_received_total",
		    (int64_t)metrics_results[i], "result",
		    metrics_result_names[i], NULL);

	metrics_family(buf, "tocsin_delivery_attempts_total");
	for (c = metrics_channels; c != NULL; c = c->link) {
		for (j = 0; j < METRICS__DELIVERY; j++)
			metrics_sample(buf, "tocsin_delivery_attempts_total",
			    (int64_t)c->results[j], "channel", c->name,
			    "result", metrics_delivery_names[j], NULL);
	}
	metrics_family(buf, "tocsin_delivery_seconds");
	for (c = metrics_channels; c != NULL; c = c->link)
		metrics_histogram_write(buf, "tocsin_delivery_seconds",
		    &c->latency, metrics_delivery_bounds,
		    nitems(metrics_delivery_bounds), "channel", c->name);

	for (i = 0; i < METRICS__HISTOGRAMS; i++) {
		metrics_family(buf, metrics_histogram_defs[i].name);
		metrics_histogram_write(buf, metrics_histogram_defs[i].name,
		    &metrics_histograms[i], metrics_histogram_defs[i].bounds,
		    metrics_histogram_defs[i].nbounds, NULL, NULL);
	}

	metrics_family(buf, "tocsin_reloads_total");
	metrics_sample(buf, "tocsin_reloads_total", (int64_t)metrics_reloads[0],
	    "result", "ok", NULL);
	metrics_sample(buf, "tocsin_reloads_total", (int64_t)metrics_reloads[1],
	    "result", "failed", NULL);

	metrics_family(buf, "tocsin_spool_files_total");
	for (i = 0; i < METRICS__SPOOL; i++)
		metrics_sample(buf, "tocsin_spool_files_total",
		    (int64_t)metrics_spool_files[i], "result",
		    metrics_spool_names[i], NULL);

	metrics_watchman_write(buf);
}
