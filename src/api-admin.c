/*
 * POST /v1/admin/prune: retention of closed incidents (prune.c does the
 * work).  Body {"before": DATE|TIME, "dry_run": bool, "ledger": "keep" |
 * "drop", "by": "who", "wait_s": N}.  When the site has tokens the
 * request needs one that is not limited to some units: pruning touches
 * every unit.  The request waits up to wait_s (default 10) for the job:
 * 200 with the counts when it is done, 202 with the progress so far when
 * it is not (GET /v1/status shows the rest), 409 while another runs.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>

#include "api.h"
#include "clock.h"
#include "daemon.h"
#include "http.h"
#include "prune.h"
#include "record.h"
#include "rules.h"
#include "tocsin.h"
#include "xmalloc.h"

#define API_PRUNE_WAIT_DEFAULT	10	/* seconds */
#define API_PRUNE_WAIT_MAX	25	/* under the HTTP time-out */

/* A request waiting for the job to end, or for its own time to run out. */
struct api_prune_wait {
	struct evhttp_request	*req;
	const struct api_ctx		*ctx;
	struct event		*timer;
};

/* The one reply: 200 done, 202 still running, 503 failed. */
static void
api_prune_reply(struct api_prune_wait *w)
{
	struct prune	*p = w->ctx->prune;
	json_t		*job = prune_json(p);
	const char	*error;

	prune_set_done(p, NULL, NULL);
	if (prune_failed(p)) {
		error = json_string_value(json_object_get(job, "error"));
		http_reply_error(w->req, 503, "store_failed", NULL, "the prune "
		    "stopped: %s", error != NULL ? error : "store error");
		json_decref(job);
	} else
		http_reply_json(w->req, prune_running(p) ? 202 : 200,
		    json_pack("{s:o}", "prune", job));
	if (w->timer != NULL)
		event_free(w->timer);
	free(w);
}

static void
api_prune_done_cb(void *arg)
{
	api_prune_reply(arg);
}

static void
api_prune_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	api_prune_reply(arg);
}

/* The body's fields into req and wait; NULL, or the bad field's name. */
static const char *
api_prune_parse(json_t *body, struct prune_request *pr, int *wait)
{
	json_t		*v;
	const char	*ledger;

	if (!json_is_object(body))
		return ("");
	v = json_object_get(body, "before");
	if (!json_is_string(v) || api_time_param(json_string_value(v),
	    &pr->before) != 0)
		return ("before");
	if ((v = json_object_get(body, "dry_run")) != NULL) {
		if (!json_is_boolean(v))
			return ("dry_run");
		pr->dry_run = json_is_true(v);
	}
	if ((v = json_object_get(body, "ledger")) != NULL) {
		ledger = json_string_value(v);
		if (ledger == NULL || (strcmp(ledger, "keep") != 0 &&
		    strcmp(ledger, "drop") != 0))
			return ("ledger");
		pr->drop_ledger = strcmp(ledger, "drop") == 0;
	}
	if ((v = json_object_get(body, "by")) != NULL && !json_is_null(v)) {
		if (!json_is_string(v))
			return ("by");
		pr->by = json_string_value(v);
	}
	if ((v = json_object_get(body, "wait_s")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > API_PRUNE_WAIT_MAX)
			return ("wait_s");
		*wait = (int)json_integer_value(v);
	}
	return (NULL);
}

void
api_admin_prune(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	const struct rules	*r = ctx->rules;
	const struct token_def	*tok = NULL;
	struct prune		*p = ctx->prune;
	struct prune_request	 pr;
	struct record_error	 err;
	struct api_prune_wait	*w;
	struct timeval		 tv;
	const char		*bad;
	json_t			*body;
	int			 status, wait = API_PRUNE_WAIT_DEFAULT;

	if (rules_token_count(r) > 0 && ((tok = http_token(req, r)) == NULL ||
	    tok->units.n > 0)) {
		http_reply_error(req, 403, "forbidden", NULL, "pruning needs a "
		    "token that is not limited to some units");
		return;
	}
	if ((body = http_read_json(req, rules_site(r)->body_limit, &err,
	    &status)) == NULL) {
		http_reply_error(req, status, err.code, err.field, "%s",
		    err.message);
		return;
	}
	memset(&pr, 0, sizeof(pr));
	pr.token = tok != NULL ? tok->name : NULL;
	if ((bad = api_prune_parse(body, &pr, &wait)) != NULL)
		http_reply_error(req, 400, "invalid_value", bad, "send "
		    "{\"before\": \"YYYY-MM-DD\" or an RFC 3339 time, "
		    "\"dry_run\": bool, \"ledger\": \"keep\"|\"drop\", "
		    "\"wait_s\": 0..%d}", API_PRUNE_WAIT_MAX);
	else if (pr.before > clock_now())
		http_reply_error(req, 400, "invalid_value", "before", "before "
		    "is in the future: only incidents resolved before now can "
		    "be pruned");
	else if (prune_start(p, &pr) != 0)
		http_reply_error(req, 409, "prune_running", NULL, "a prune is "
		    "running; GET /v1/status shows its progress");
	else if (wait == 0)
		http_reply_json(req, 202, json_pack("{s:o}", "prune",
		    prune_json(p)));
	else {
		w = xcalloc(1, sizeof(*w));
		w->req = req;
		w->ctx = ctx;
		w->timer = evtimer_new(evhttp_connection_get_base(
		    evhttp_request_get_connection(req)),
		    api_prune_timeout_cb, w);
		tv.tv_sec = wait;
		tv.tv_usec = 0;
		evtimer_add(w->timer, &tv);
		prune_set_done(p, api_prune_done_cb, w);
	}
	json_decref(body);
}
