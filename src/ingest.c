/*
 * Group commit of incoming events.  A request is all or nothing: its
 * events share a savepoint, so one refused event undoes the others of the
 * same request and no request sees a half-stored batch.  If the commit
 * itself fails, every request of the batch is answered 503 — never 202.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "engine.h"
#include "ingest.h"
#include "log.h"
#include "metrics.h"
#include "rules.h"
#include "tocsin.h"
#include "xmalloc.h"

/*
 * A batch commits once the loop has read what there was to read (the
 * flush is work: it runs after the HTTP server's events), or, when this
 * many requests wait, at the HTTP server's priority: a steady stream of
 * reads must not hold commits back.
 */
#define INGEST_BATCH_MAX	256

/*
 * The events one transaction takes at most, whole requests (at least
 * one): a spool backlog queues up to 64 files of up to 1,000 records in
 * one turn, and one transaction of them all held the loop for seconds --
 * on a cluster, past the lease, so that the leader stepped down after
 * it.  The rest wait for the next turn.
 */
#define INGEST_EVENTS_MAX	1024

struct ingest_request {
	struct record		**records;
	size_t			  n;
	struct names		  units;	/* may act for; empty: any */
	int			  limited;
	struct engine_result	 *results;
	struct record_error	  err;
	int			  status;
	ingest_within_cb	  within;	/* or NULL */
	ingest_cb		  cb;
	void			 *arg;
};

struct ingest {
	struct engine		 *engine;
	struct event		 *flush_ev;
	struct event		 *full_ev;	/* INGEST_BATCH_MAX reached */
	struct ingest_request	**queue;
	size_t			  nqueue;
	ingest_after_commit_cb	  after_commit;
	void			 *after_arg;
};

static void	ingest_flush_cb(evutil_socket_t, short, void *);

struct ingest *
ingest_new(struct event_base *base, struct engine *engine,
    ingest_after_commit_cb after_commit, void *arg)
{
	struct ingest	*in;

	in = xcalloc(1, sizeof(*in));
	in->engine = engine;
	in->flush_ev = evtimer_new(base, ingest_flush_cb, in);
	event_priority_set(in->flush_ev, EVENT_PRIORITY_WORK);
	in->full_ev = evtimer_new(base, ingest_flush_cb, in);
	in->after_commit = after_commit;
	in->after_arg = arg;
	return (in);
}

/*
 * Requests still queued were never committed and are never answered: an
 * HTTP client sees its connection close, a spool file stays in the spool.
 */
void
ingest_free(struct ingest *in)
{
	size_t	i;

	if (in == NULL)
		return;
	event_free(in->flush_ev);
	event_free(in->full_ev);
	for (i = 0; i < in->nqueue; i++) {
		record_batch_free(in->queue[i]->records, in->queue[i]->n);
		names_free(&in->queue[i]->units);
		free(in->queue[i]->results);
		free(in->queue[i]);
	}
	free(in->queue);
	free(in);
}

/* A request for records (taken), queued for the next commit. */
static void
ingest_queue(struct ingest *in, struct record **records, size_t n,
    const struct names *units, ingest_within_cb within, ingest_cb cb,
    void *arg)
{
	struct ingest_request	*r;
	struct timeval		 now = { 0, 0 };
	size_t			 i;

	r = xcalloc(1, sizeof(*r));
	r->records = records;
	r->n = n;
	if (units != NULL) {
		r->limited = 1;
		for (i = 0; i < units->n; i++)
			names_add(&r->units, units->v[i]);
	}
	r->results = xcalloc(n > 0 ? n : 1, sizeof(*r->results));
	r->within = within;
	r->cb = cb;
	r->arg = arg;
	in->queue = xreallocarray(in->queue, in->nqueue + 1,
	    sizeof(*in->queue));
	in->queue[in->nqueue++] = r;
	if (!evtimer_pending(in->flush_ev, NULL))
		evtimer_add(in->flush_ev, &now);
	if (in->nqueue >= INGEST_BATCH_MAX &&
	    !event_pending(in->full_ev, EV_TIMEOUT, NULL))
		event_active(in->full_ev, EV_TIMEOUT, 1);
}

/*
 * Queue records (taken) for the next commit, from a submitter that may act
 * only for units (copied; NULL: for any); cb runs after the commit.
 */
void
ingest_submit(struct ingest *in, struct record **records, size_t n,
    const struct names *units, ingest_cb cb, void *arg)
{
	ingest_queue(in, records, n, units, NULL, cb, arg);
}

/* The same, with what must commit with the request's fate (ingest.h). */
void
ingest_submit_within(struct ingest *in, struct record **records, size_t n,
    ingest_within_cb within, ingest_cb cb, void *arg)
{
	ingest_queue(in, records, n, NULL, within, cb, arg);
}

/* Apply one request in its savepoint: 0, or -1 when the commit must fail. */
static int
ingest_apply(struct ingest *in, struct ingest_request *r)
{
	size_t	i;
	int	rc = 0;

	if (engine_request_begin(in->engine) != 0) {
		r->status = 503;
		return (0);
	}
	for (i = 0; i < r->n && rc == 0; i++)
		rc = engine_submit(in->engine, r->records[i], r->limited ?
		    &r->units : NULL, &r->results[i], &r->err);
	if (rc == 0)
		r->status = 202;
	else if (rc == 1) {
		r->status = r->err.status != 0 ? r->err.status : 400;
		/* Say which element of an array was refused. */
		if (r->n > 1) {
			char	msg[sizeof(r->err.message)];

			memcpy(msg, r->err.message, sizeof(msg));
			snprintf(r->err.message, sizeof(r->err.message),
			    "event %zu: %.200s", i - 1, msg);
		}
	} else {
		r->status = 503;
		record_error_set(&r->err, "store_failed", "",
		    "the event could not be stored; nothing was kept");
	}
	engine_request_end(in->engine, rc == 0);
	if (r->within != NULL && r->status != 503 &&
	    r->within(r->status, r->arg) != 0) {
		r->status = 503;	/* its fate did not commit */
		return (-1);
	}
	return (0);
}

/* What became of each event of a request, once its fate is known. */
static void
ingest_count(const struct ingest_request *r)
{
	size_t	i;

	switch (r->status) {
	case 202:
		for (i = 0; i < r->n; i++)
			metrics_events(r->results[i].duplicate ?
			    METRICS_DUPLICATE : METRICS_ACCEPTED, 1);
		break;
	case 400:
	case 403:
	case 409:
		metrics_events(METRICS_REJECTED, r->n);
		break;
	default:
		metrics_events(METRICS_FAILED, r->n);
		break;
	}
}

/* The batch's events' first questions, asked together (engine.h). */
static int
ingest_read_ahead(struct ingest *in, struct ingest_request **queue, size_t n)
{
	struct record	**evs;
	size_t		  i, j, m = 0;
	int		  rc;

	for (i = 0; i < n; i++)
		m += queue[i]->n;
	evs = xcalloc(m > 0 ? m : 1, sizeof(*evs));
	for (i = 0, m = 0; i < n; i++) {
		for (j = 0; j < queue[i]->n; j++)
			evs[m++] = queue[i]->records[j];
	}
	rc = engine_read_ahead(in->engine, evs, m);
	free(evs);
	return (rc);
}

/*
 * The requests of this transaction, taken from the queue: up to
 * INGEST_EVENTS_MAX events.  What is left is flushed on the next turn.
 */
static struct ingest_request **
ingest_take(struct ingest *in, size_t *np)
{
	struct ingest_request	**queue = in->queue;
	struct timeval		  now = { 0, 0 };
	size_t			  n, events;

	for (n = 0, events = 0; n < in->nqueue; n++) {
		if (n > 0 && events + in->queue[n]->n > INGEST_EVENTS_MAX)
			break;
		events += in->queue[n]->n;
	}
	if (n == in->nqueue) {
		in->queue = NULL;
		in->nqueue = 0;
	} else {
		in->nqueue -= n;
		in->queue = xreallocarray(NULL, in->nqueue,
		    sizeof(*in->queue));
		memcpy(in->queue, queue + n, in->nqueue * sizeof(*in->queue));
		evtimer_add(in->flush_ev, &now);
	}
	log_debug("ingest: a batch of requests=%zu events=%zu left=%zu", n,
	    events, in->nqueue);
	*np = n;
	return (queue);
}

static void
ingest_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ingest		 *in = arg;
	struct ingest_request	**queue;
	size_t			  n, i, j, notified = 0;
	int			  committed;

	evtimer_del(in->flush_ev);
	event_del(in->full_ev);
	if (in->nqueue == 0)
		return;
	queue = ingest_take(in, &n);
	committed = engine_begin(in->engine) == 0;
	if (committed && ingest_read_ahead(in, queue, n) != 0) {
		log_warnx("ingest: the batch's first reads failed");
		committed = 0;
	}
	for (i = 0; i < n && committed; i++) {
		if (ingest_apply(in, queue[i]) != 0)
			committed = 0;
	}
	if (committed && engine_commit(in->engine, &notified) != 0)
		committed = 0;
	if (!committed) {
		log_warnx("ingest: commit failed, answered 503 requests=%zu",
		    n);
		engine_rollback(in->engine);
	}
	for (i = 0; i < n; i++) {
		/* A refusal stands when the commit fails -- except where
		 * the request wrote in the batch's transaction too (the
		 * inbox's delete, rolled back with it): not done, 503. */
		if (!committed && (queue[i]->status / 100 != 4 ||
		    queue[i]->within != NULL)) {
			queue[i]->status = 503;
			record_error_set(&queue[i]->err, "store_failed", "",
			    "the events could not be stored; nothing was "
			    "kept, send them again");
		}
		ingest_count(queue[i]);
		queue[i]->cb(queue[i]->status, queue[i]->results, queue[i]->n,
		    &queue[i]->err, queue[i]->arg);
		for (j = 0; j < queue[i]->n; j++)
			record_free(queue[i]->records[j]);
		free(queue[i]->records);
		names_free(&queue[i]->units);
		free(queue[i]->results);
		free(queue[i]);
	}
	free(queue);
	if (committed && in->after_commit != NULL)
		in->after_commit(in->after_arg, notified);
}
