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
#include "jsonw.h"
#include "metrics.h"
#include "record.h"
#include "rules.h"

/* The 202's body through jansson: where api_events_accepted() defers. */
static char *
api_events_accepted_jansson(const struct engine_result *results, size_t n)
{
	json_t	*accepted, *o;
	char	*text;
	size_t	 i;

	accepted = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(accepted, json_pack("{s:s, s:s?, s:b}",
		    "id", results[i].id, "incident", results[i].incident[0] ?
		    results[i].incident : NULL, "duplicate",
		    results[i].duplicate));
	o = json_pack("{s:o}", "accepted", accepted);
	text = o != NULL ? jsonw_dumps(o) : NULL;
	json_decref(o);
	return (text);
}

/*
 * {"accepted":[{"id":...,"incident":...,"duplicate":false}]}, written
 * directly: every request is answered with one.  An id or key that is not
 * UTF-8 (the engine cut one?) goes the jansson way, which leaves out the
 * element, so both give the same text.
 */
static char *
api_events_accepted(const struct engine_result *results, size_t n)
{
	struct jsonw	b;
	size_t		i;
	int		bad = 0;

	jsonw_init(&b, 64 + n * 96);
	jsonw_raw(&b, "{\"accepted\":[", 13);
	for (i = 0; i < n && !bad; i++) {
		if (i > 0)
			jsonw_raw(&b, ",", 1);
		jsonw_open(&b, '{');
		jsonw_key(&b, "id");
		bad |= jsonw_string(&b, results[i].id,
		    strlen(results[i].id)) != 0;
		jsonw_key(&b, "incident");
		if (results[i].incident[0] == '\0')
			jsonw_raw(&b, "null", 4);
		else
			bad |= jsonw_string(&b, results[i].incident,
			    strlen(results[i].incident)) != 0;
		jsonw_key(&b, "duplicate");
		if (results[i].duplicate)
			jsonw_raw(&b, "true", 4);
		else
			jsonw_raw(&b, "false", 5);
		jsonw_close(&b, '}');
	}
	jsonw_raw(&b, "]}", 2);
	if (bad) {
		jsonw_free(&b);
		return (api_events_accepted_jansson(results, n));
	}
	return (jsonw_take(&b));
}

static void
api_events_done(int status, const struct engine_result *results, size_t n,
    const struct record_error *err, void *arg)
{
	struct evhttp_request	*req = arg;

	if (status != 202) {
		http_reply_error(req, status, err->code, err->field, "%s",
		    err->message);
		return;
	}
	http_reply_json_take(req, 202, api_events_accepted(results, n));
}

/*
 * A person's token files as that person, as it acknowledges (api-
 * incidents.c): an event without "by" is recorded as theirs, one naming
 * someone else is refused (403, field by) rather than rewritten.  So a
 * report the duty officer logs from a phone call carries their id, and
 * the caller goes in the event's own fields.  0, or -1 after the 403.
 */
static int
api_events_as_person(struct evhttp_request *req, const struct token_def *tok,
    struct record **records, size_t n)
{
	size_t	i;

	for (i = 0; tok != NULL && tok->person != NULL && i < n; i++) {
		if (records[i]->by == NULL ||
		    strcmp(records[i]->by, tok->person) == 0)
			continue;
		http_reply_error(req, 403, "forbidden", "by", "token \"%s\" "
		    "files as \"%s\" and may not file as \"%.100s\"",
		    tok->name, tok->person, records[i]->by);
		record_batch_free(records, n);
		return (-1);
	}
	for (i = 0; tok != NULL && tok->person != NULL && i < n; i++) {
		if (records[i]->by != NULL)
			continue;
		json_object_set_new(records[i]->json, "by",
		    json_string(tok->person));
		records[i]->by = json_string_value(json_object_get(
		    records[i]->json, "by"));
	}
	return (0);
}

/*
 * A site that declares units refuses a report from a unit it does not
 * know (400 unknown_unit), unless it says units_strict = false.  A token
 * limited to some units may post only for those and their descendants
 * (403 otherwise); the engine holds it to their incidents as well.
 */
static int
api_events_allowed(struct evhttp_request *req, const struct rules *rules,
    const struct token_def *tok, struct record **records, size_t n)
{
	size_t			 i;

	for (i = 0; i < n && rules_unit_count(rules) > 0 &&
	    !rules_site(rules)->units_lenient; i++) {
		if (rules_unit_find(rules, records[i]->unit) != NULL)
			continue;
		http_reply_error(req, 400, "unknown_unit", "unit", "no unit "
		    "\"%s\" is declared", records[i]->unit);
		record_batch_free(records, n);
		return (0);
	}
	if (api_events_as_person(req, tok, records, n) != 0)
		return (0);
	if (tok == NULL || tok->units.n == 0)
		return (1);
	for (i = 0; i < n; i++) {
		if (rules_unit_covered(rules, &tok->units, records[i]->unit))
			continue;
		http_reply_error(req, 403, "forbidden", "unit", "token \"%s\" "
		    "may not report for unit \"%s\"", tok->name,
		    records[i]->unit);
		record_batch_free(records, n);
		return (0);
	}
	return (1);
}

void
api_events_post(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	struct record_error	  err;
	struct record		**records;
	const struct token_def	 *tok;
	const char		 *body;
	size_t			  len, n = 0;
	int			  status;

	memset(&err, 0, sizeof(err));
	if ((body = http_read_body(req, &len, &err, &status)) == NULL ||
	    (records = record_parse_body(body, len,
	    rules_site(ctx->rules)->body_limit, clock_now(), NULL, &n,
	    &err, &status)) == NULL) {
		metrics_events(METRICS_REJECTED, n > 0 ? n : 1);
		http_reply_error(req, status, err.code, err.field, "%s",
		    err.message);
		return;
	}
	tok = http_token(req, ctx->rules);
	if (!api_events_allowed(req, ctx->rules, tok, records, n)) {
		metrics_events(METRICS_REJECTED, n);
		return;
	}
	ingest_submit(ctx->ingest, records, n, tok != NULL &&
	    tok->units.n > 0 ? &tok->units : NULL, api_events_done, req);
}
