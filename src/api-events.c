/*
 * POST /v1/events: one event object or an array of them.  Every record is
 * validated before anything is written; the request then joins the next
 * group commit and is answered 202 only once its events are committed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "api.h"
#include "clock.h"
#include "daemon.h"
#include "http.h"
#include "ingest.h"
#include "record.h"
#include "rules.h"
#include "xmalloc.h"

#define API_EVENTS_MAX	1000	/* records in one request */

static void
api_events_done(int status, const struct engine_result *results, size_t n,
    const struct record_error *err, void *arg)
{
	struct evhttp_request	*req = arg;
	json_t			*accepted;
	size_t			 i;

	if (status != 202) {
		http_reply_error(req, status, err->code, err->field, "%s",
		    err->message);
		return;
	}
	accepted = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(accepted, json_pack("{s:s, s:s?, s:b}",
		    "id", results[i].id, "incident", results[i].incident[0] ?
		    results[i].incident : NULL, "duplicate",
		    results[i].duplicate));
	http_reply_json(req, 202, json_pack("{s:o}", "accepted", accepted));
}

static void
api_records_free(struct record **records, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		record_free(records[i]);
	free(records);
}

/* A token limited to some units may post only for those (403 otherwise). */
static int
api_events_allowed(struct evhttp_request *req, struct daemon *d,
    struct record **records, size_t n)
{
	const struct token_def	*tok;
	size_t			 i;

	tok = http_token(req, daemon_rules(d));
	if (tok == NULL || tok->units.n == 0)
		return (1);
	for (i = 0; i < n; i++) {
		if (names_has(&tok->units, records[i]->unit))
			continue;
		http_reply_error(req, 403, "forbidden", "unit", "token \"%s\" "
		    "may not report for unit \"%s\"", tok->name,
		    records[i]->unit);
		api_records_free(records, n);
		return (0);
	}
	return (1);
}

void
api_events_post(struct evhttp_request *req, struct daemon *d, const char *key)
{
	struct record_error	  err;
	struct record		**records;
	json_t			 *body, *item;
	size_t			  n, i;
	int			  status, is_array;
	int64_t			  now = clock_now();

	memset(&err, 0, sizeof(err));
	body = http_read_json(req, rules_site(daemon_rules(d))->body_limit, &err,
	    &status);
	if (body == NULL) {
		http_reply_error(req, status, err.code, err.field, "%s",
		    err.message);
		return;
	}
	if (!json_is_array(body) && !json_is_object(body)) {
		json_decref(body);
		http_reply_error(req, 400, "not_an_object", NULL, "send an "
		    "event object or an array of event objects");
		return;
	}
	is_array = json_is_array(body);
	n = is_array ? json_array_size(body) : 1;
	if (n == 0 || n > API_EVENTS_MAX) {
		json_decref(body);
		http_reply_error(req, 400, "invalid_value", NULL, "send 1 to "
		    "%d events in one request", API_EVENTS_MAX);
		return;
	}
	records = xcalloc(n, sizeof(*records));
	for (i = 0; i < n; i++) {
		item = is_array ? json_array_get(body, i) : body;
		if ((records[i] = record_parse(item, now, &err)) != NULL)
			continue;
		json_decref(body);
		api_records_free(records, i);
		if (is_array)
			http_reply_error(req, 400, err.code, err.field,
			    "event %zu: %s", i, err.message);
		else
			http_reply_error(req, 400, err.code, err.field, "%s",
			    err.message);
		return;
	}
	json_decref(body);
	if (!api_events_allowed(req, d, records, n))
		return;
	ingest_submit(daemon_ingest(d), records, n, api_events_done, req);
}
