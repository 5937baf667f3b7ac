/*
 * A request answered after counting a slice a loop turn: the ledger's
 * summary (api-units.c) and the statistics (api-stats.c) each read a
 * year's rows, which would hold /healthz, ingest and the timers for as
 * long.  Here the one runner they share: a slice now, the rest at later
 * loop turns on a zero timer (OpenSMTPD's offline scan, api-page.c's
 * pages).  A client gone meanwhile is answered all the same (libevent
 * keeps the request for the reply) and, with no connection left to take
 * a loop from, counted to the end at once; a reload of the site ends the
 * count with 503: the token it counted for may be gone.
 */
#include <stdlib.h>

#include <event2/event.h>
#include <event2/http.h>

#include "api.h"
#include "http.h"
#include "metrics.h"
#include "xmalloc.h"

struct api_slice {
	struct evhttp_request		*req;
	const struct api_slice_ops	*ops;
	void				*arg;
	struct event			*ev;
	uint64_t			 reloads;	/* the site's, at start */
};

static const struct timeval	api_slice_now = { 0, 0 };

static void
api_slice_free(struct api_slice *s)
{
	if (s->ev != NULL)
		event_free(s->ev);
	s->ops->free(s->arg);
	free(s);
}

static void
api_slice_run_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api_slice	*s = arg;
	uint64_t		 ok, failed;
	int			 rc;

	metrics_reloads_get(&ok, &failed);
	if (ok != s->reloads) {
		evhttp_add_header(evhttp_request_get_output_headers(s->req),
		    "Retry-After", "1");
		http_reply_error(s->req, 503, "reloaded", NULL, "%s",
		    s->ops->reloaded);
		api_slice_free(s);
		return;
	}
	/* No loop to come back on (no connection left): count on now. */
	while ((rc = s->ops->step(s->arg)) == 0 && s->ev == NULL)
		;
	if (rc == 0) {
		evtimer_add(s->ev, &api_slice_now);
		return;
	}
	if (rc < 0)
		http_reply_error(s->req, 503, "store_failed", NULL, "the store "
		    "did not answer");
	else
		s->ops->reply(s->req, s->arg);
	api_slice_free(s);
}

/* Count arg's slices for req, the first now; ops->free(arg) at the end. */
void
api_slice_start(struct evhttp_request *req, const struct api_slice_ops *ops,
    void *arg)
{
	struct evhttp_connection	*evcon = evhttp_request_get_connection(req);
	struct api_slice		*s = xcalloc(1, sizeof(*s));
	uint64_t			 failed;

	s->req = req;
	s->ops = ops;
	s->arg = arg;
	metrics_reloads_get(&s->reloads, &failed);
	if (evcon != NULL)
		s->ev = evtimer_new(evhttp_connection_get_base(evcon),
		    api_slice_run_cb, s);
	api_slice_run_cb(-1, 0, s);
}
