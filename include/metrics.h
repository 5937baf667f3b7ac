/*
 * What GET /metrics shows, kept in memory: counters of events, deliveries,
 * reloads and spool files, and histograms of rule evaluation, commit and
 * delivery times.  One process keeps one set, so they are file-scope state
 * in metrics.c, like the log's: a hot path (a commit, a rule call, a
 * delivery) pays a clock read and an array increment and passes nothing
 * around.  What the store already knows (incidents, obligations, the
 * outbox) is read when the page is asked for, not counted here.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stdint.h>

struct evbuffer;

/* What became of a received event (HTTP body, spool file, ack, resolve). */
enum metrics_result {
	METRICS_ACCEPTED,	/* stored */
	METRICS_DUPLICATE,	/* a known id: nothing stored */
	METRICS_REJECTED,	/* bad input: 4xx, or a spool file rejected */
	METRICS_FAILED,		/* the store failed: 503, nothing stored */
	METRICS__RESULTS
};

enum metrics_histogram {
	METRICS_RULES,		/* rule evaluation, per event */
	METRICS_COMMIT,		/* one COMMIT of the store */
	METRICS__HISTOGRAMS
};

/* A delivery attempt's result on its channel. */
enum metrics_delivery {
	METRICS_DELIVERED,
	METRICS_RETRIED,	/* failed; tried again later */
	METRICS_DEAD,		/* given up on this channel */
	METRICS__DELIVERY
};

enum metrics_spool {
	METRICS_SPOOL_DONE,
	METRICS_SPOOL_REJECTED,
	METRICS_SPOOL_RETRIED,	/* left in place for now; tried again */
	METRICS_SPOOL_FORWARDED,	/* a standby's, into the inbox */
	METRICS_SPOOL_INBOX_DONE,	/* the leader stored a forwarded one */
	METRICS_SPOOL_INBOX_REJECTED,	/* the leader refused one */
	METRICS__SPOOL
};

/* What became of a heartbeat tick (watchman.c). */
enum metrics_heartbeat {
	METRICS_HEARTBEAT_OK,		/* pinged, a 2xx answer */
	METRICS_HEARTBEAT_FAILED,	/* pinged, no 2xx answer */
	METRICS_HEARTBEAT_WITHHELD,	/* not healthy: no ping */
	METRICS__HEARTBEAT
};

/* An alarm's message (watchman.c). */
enum metrics_alarm {
	METRICS_ALARM_RAISED,
	METRICS_ALARM_REMINDER,
	METRICS_ALARM_CLEARED,
	METRICS__ALARM
};

void	metrics_events(enum metrics_result, uint64_t);
void	metrics_observe(enum metrics_histogram, int64_t);
void	metrics_delivery_time(const char *, int64_t);
void	metrics_delivery(const char *, enum metrics_delivery);
void	metrics_reload(int);
void	metrics_reloads_get(uint64_t *, uint64_t *);
int	metrics_reload_ok(void);
void	metrics_spool(enum metrics_spool);
void	metrics_heartbeat(enum metrics_heartbeat, int64_t);
void	metrics_alarm(enum metrics_alarm);
void	metrics_alarms_active(int);
void	metrics_reset(void);

void	metrics_write(struct evbuffer *);
void	metrics_family(struct evbuffer *, const char *);
void	metrics_sample(struct evbuffer *, const char *, int64_t, ...)
	    __attribute__((sentinel));

/* metrics-process.c: the process_* families, read from /proc. */
struct metrics_process {
	double		cpu_seconds;	/* user and system */
	double		start_time;	/* seconds since the epoch */
	uint64_t	virtual_bytes;
	uint64_t	resident_bytes;
};

int	metrics_process_parse(const char *, long long, long, long,
	    struct metrics_process *);
void	metrics_process_write(struct evbuffer *);

#endif
