/*
 * Incidents and their outbox: GET /v1/incidents, GET /v1/incidents/{key},
 * POST /v1/incidents/{key}/ack and /resolve, GET /v1/notifications.  The
 * two lists come in pages (api-page.c), newest first.
 * Reads come straight from the store; ack and resolve are events like any
 * other and go through the group commit, so they are in the audit trail.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "api.h"
#include "calendar.h"
#include "clock.h"
#include "daemon.h"
#include "http.h"
#include "ingest.h"
#include "record.h"
#include "rules.h"
#include "store-legacy.h"	/* phase 2 of issue 15 removes it */
#include "store.h"
#include "xmalloc.h"

#define API_LIST_MAX	1000

/* A time column as RFC 3339 text in the site zone, or null. */
json_t *
api_json_time(sqlite3_stmt *st, int col)
{
	char	buf[CALENDAR_TIME_MAX];

	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return (json_null());
	calendar_format(sqlite3_column_int64(st, col), buf, sizeof(buf));
	return (json_string(buf));
}

/* A time as RFC 3339 text in the site zone; null for 0 (never). */
json_t *
api_time(int64_t t)
{
	char	buf[CALENDAR_TIME_MAX];

	if (t == 0)
		return (json_null());
	calendar_format(t, buf, sizeof(buf));
	return (json_string(buf));
}

/* A text column as a JSON string, or null. */
json_t *
api_json_text(sqlite3_stmt *st, int col)
{
	const char	*s = store_column_text(st, col);

	return (s != NULL ? json_string(s) : json_null());
}

static json_t *
col_json(sqlite3_stmt *st, int col)
{
	const char	*s = store_column_text(st, col);
	json_t		*v = s != NULL ? json_loads(s, 0, NULL) : NULL;

	return (v != NULL ? v : json_null());
}

static json_t *
incident_json(sqlite3_stmt *st)
{
	json_t	*o = json_object();

	json_object_set_new(o, "key", api_json_text(st, INC_KEY));
	json_object_set_new(o, "unit", api_json_text(st, INC_UNIT));
	json_object_set_new(o, "category", api_json_text(st, INC_CATEGORY));
	json_object_set_new(o, "title", api_json_text(st, INC_TITLE));
	json_object_set_new(o, "grade", sqlite3_column_int(st, INC_GRADE) ?
	    json_integer(sqlite3_column_int(st, INC_GRADE)) : json_null());
	json_object_set_new(o, "state", api_json_text(st, INC_STATE));
	json_object_set_new(o, "procedures", col_json(st, INC_PROCEDURES));
	json_object_set_new(o, "opened_at", api_json_time(st, INC_OPENED_AT));
	json_object_set_new(o, "occurred_at", api_json_time(st, INC_OCCURRED_AT));
	json_object_set_new(o, "acknowledged_at", api_json_time(st, INC_ACKED_AT));
	json_object_set_new(o, "acknowledged_by", api_json_text(st, INC_ACKED_BY));
	json_object_set_new(o, "resolved_at", api_json_time(st, INC_RESOLVED_AT));
	json_object_set_new(o, "updated_at", api_json_time(st, INC_UPDATED_AT));
	/* Set once retention removed its events, timeline and messages. */
	if (sqlite3_column_type(st, INC_PRUNED_AT) != SQLITE_NULL)
		json_object_set_new(o, "pruned_at", api_json_time(st,
		    INC_PRUNED_AT));
	return (o);
}

static json_t *
obligation_json(sqlite3_stmt *st)
{
	return (json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "id", api_json_text(st, OBL_NAME),
	    "procedure", api_json_text(st, OBL_PROCEDURE),
	    "title", api_json_text(st, OBL_TITLE),
	    "owner", api_json_text(st, OBL_OWNER),
	    "set_at", api_json_time(st, OBL_SET_AT),
	    "due_at", api_json_time(st, OBL_DUE_AT),
	    "met_at", api_json_time(st, OBL_MET_AT),
	    "status", api_json_text(st, OBL_STATUS)));
}

static json_t *
notification_json(sqlite3_stmt *st)
{
	return (json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:o, s:o, "
	    "s:o, s:o}",
	    "key", api_json_text(st, OUT_KEY),
	    "incident", api_json_text(st, OUT_INCIDENT),
	    "channel", api_json_text(st, OUT_CHANNEL),
	    "recipient", api_json_text(st, OUT_RECIPIENT),
	    "role", api_json_text(st, OUT_ROLE),
	    "status", api_json_text(st, OUT_STATUS),
	    "attempts", sqlite3_column_int(st, OUT_ATTEMPTS),
	    "created_at", api_json_time(st, OUT_CREATED_AT),
	    "next_at", api_json_time(st, OUT_NEXT_AT),
	    "delivered_at", api_json_time(st, OUT_DELIVERED_AT),
	    "last_error", api_json_text(st, OUT_LAST_ERROR)));
}

/* Append every row of the bound statement, rendered by fn, to a new array. */
static json_t *
rows_json(struct store *s, sqlite3_stmt *st, json_t *(*fn)(sqlite3_stmt *))
{
	json_t	*a = json_array();

	while (store_step(s, st) == SQLITE_ROW)
		json_array_append_new(a, fn(st));
	if (st != NULL)
		sqlite3_reset(st);
	return (a);
}

static json_t *
event_row_json(sqlite3_stmt *st)
{
	json_t	*o = col_json(st, 1);

	if (json_is_object(o))
		json_object_set_new(o, "seq", json_integer(
		    sqlite3_column_int64(st, 0)));
	return (o);
}

static json_t *
timeline_row_json(sqlite3_stmt *st)
{
	return (col_json(st, 0));
}

static json_t *
escalation_json(sqlite3_stmt *st)
{
	return (json_pack("{s:o, s:I, s:o, s:i, s:i, s:o}",
	    "policy", api_json_text(st, ESC_POLICY),
	    "obligation", (json_int_t)sqlite3_column_int64(st, ESC_OBLIGATION),
	    "started_at", api_json_time(st, ESC_STARTED_AT),
	    "step", sqlite3_column_int(st, ESC_STEP),
	    "repeats", sqlite3_column_int(st, ESC_REPEATS),
	    "state", api_json_text(st, ESC_STATE)));
}

/* The whole incident, or NULL when there is none with that key. */
json_t *
api_incident_load(struct store *s, const char *key, int full)
{
	sqlite3_stmt	*st;
	json_t		*o;

	st = store_stmt(s, STMT_INCIDENT_GET, "t", key);
	if (store_step(s, st) != SQLITE_ROW) {
		if (st != NULL)
			sqlite3_reset(st);
		return (NULL);
	}
	o = incident_json(st);
	sqlite3_reset(st);
	if (!full)
		return (o);
	json_object_set_new(o, "obligations", rows_json(s, store_stmt(s,
	    STMT_OBLIGATIONS_BY_INCIDENT, "t", key), obligation_json));
	json_object_set_new(o, "escalations", rows_json(s, store_stmt(s,
	    STMT_ESCALATIONS_BY_INCIDENT, "t", key), escalation_json));
	json_object_set_new(o, "notifications", rows_json(s, store_stmt(s,
	    STMT_OUTBOX_LIST_BY_INCIDENT, "ttii", key, NULL, INT64_MAX,
	    (int64_t)API_LIST_MAX), notification_json));
	json_object_set_new(o, "events", rows_json(s, store_stmt(s,
	    STMT_EVENTS_BY_INCIDENT, "t", key), event_row_json));
	json_object_set_new(o, "timeline", rows_json(s, store_stmt(s,
	    STMT_TIMELINE_BY_INCIDENT, "t", key), timeline_row_json));
	return (o);
}

static json_t *
incident_row_cb(sqlite3_stmt *st, void *arg)
{
	return (incident_json(st));
}

/* The column after the filters' is the rowid the list is ordered by. */
static json_t *
incident_cursor_cb(sqlite3_stmt *st, void *arg)
{
	return (json_pack("[s, I]", "i", (json_int_t)sqlite3_column_int64(st,
	    INC_PRUNED_AT + 2)));
}

static const struct api_list api_incident_list = {
	"incidents", "/v1/incidents", INC_PRUNED_AT + 1,
	incident_row_cb, incident_cursor_cb,
};

static void
api_incidents_page(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	struct store	*s = ctx->store;
	struct api_page	 pg;
	char		*state = http_query(req, "state");
	char		*unit = http_query(req, "unit");
	char		*category = http_query(req, "category");
	char		*query = NULL;
	const char	*kind;
	json_int_t	 before = INT64_MAX;

	if (state == NULL)
		state = xstrdup("open");
	if (strcmp(state, "open") != 0 && strcmp(state, "closed") != 0 &&
	    strcmp(state, "all") != 0) {
		http_reply_error(req, 400, "invalid_value", "state",
		    "state must be open, closed or all");
		goto out;
	}
	if (api_page_start(req, &pg, "i", "[s, I]", &kind, &before) != 0)
		goto out;
	api_page_param(&query, "state", state);
	api_page_param(&query, "unit", unit);
	api_page_param(&query, "category", category);
	api_page_reply(req, s, &api_incident_list, store_stmt(s,
	    STMT_INCIDENT_LIST, "tttii", state, unit, category,
	    (int64_t)before, (int64_t)API_PAGE_SCAN), &pg, query, NULL);
	api_page_end(&pg);
out:
	free(query);
	free(state);
	free(unit);
	free(category);
}

void
api_incidents_list(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	api_page_defer(req, ctx, api_incidents_page);
}

void
api_incident_get(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	json_t	*o;

	if ((o = api_incident_load(ctx->store, key, 1)) == NULL) {
		http_reply_error(req, 404, "not_found", NULL,
		    "no incident \"%s\"", key);
		return;
	}
	http_reply_json(req, 200, o);
}

struct api_change {
	struct evhttp_request	*req;
	const struct api_ctx		*ctx;
	char			*key;
	int			 ack;
};

/* An ack of a closed incident acknowledges nothing: 409, as the link says. */
static void
api_incident_closed(struct evhttp_request *req, const char *key)
{
	http_reply_error(req, 409, "incident_closed", "incident", "incident "
	    "\"%s\" is closed: there is nothing to acknowledge", key);
}

static void
api_change_done(int status, const struct engine_result *results, size_t n,
    const struct record_error *err, void *arg)
{
	struct api_change	*c = arg;
	json_t			*o;

	if (status != 202)
		http_reply_error(c->req, status, err->code, err->field, "%s",
		    err->message);
	else if (c->ack && n == 1 && results[0].closed)
		api_incident_closed(c->req, c->key);	/* resolved just before */
	else if ((o = api_incident_load(c->ctx->store, c->key, 0)) ==
	    NULL)
		http_reply_error(c->req, 404, "not_found", NULL,
		    "no incident \"%s\"", c->key);
	else
		http_reply_json(c->req, 200, o);
	free(c->key);
	free(c);
}

/*
 * ack and resolve: an event of that type, by whoever the body names.  A
 * token limited to some units acts only on their incidents (403).
 */
static void
api_incident_change(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key, const char *type)
{
	struct evbuffer		*in = evhttp_request_get_input_buffer(req);
	struct record_error	 err;
	struct api_change	*c;
	struct record		**records;
	const struct token_def	*tok;
	const char		*unit, *state;
	json_t			*body = NULL, *inc, *by;
	size_t			 limit;
	unsigned int		 bidi;
	int			 status;

	if ((inc = api_incident_load(ctx->store, key, 0)) == NULL) {
		http_reply_error(req, 404, "not_found", NULL,
		    "no incident \"%s\"", key);
		return;
	}
	unit = json_string_value(json_object_get(inc, "unit"));
	tok = http_token(req, ctx->rules);
	if (tok != NULL && tok->units.n > 0 && (unit == NULL ||
	    !names_has(&tok->units, unit))) {
		http_reply_error(req, 403, "forbidden", NULL, "token \"%s\" "
		    "may not act on incidents of unit \"%s\"", tok->name,
		    unit != NULL ? unit : "");
		json_decref(inc);
		return;
	}
	/* Closed: nothing to stop, so nothing to store. */
	state = json_string_value(json_object_get(inc, "state"));
	if (strcmp(type, "ack") == 0 && state != NULL &&
	    strcmp(state, "closed") == 0) {
		api_incident_closed(req, key);
		json_decref(inc);
		return;
	}
	limit = rules_site(ctx->rules)->body_limit;
	if (evbuffer_get_length(in) > 0) {
		if ((body = http_read_json(req, limit, &err, &status)) ==
		    NULL) {
			json_decref(inc);
			http_reply_error(req, status, err.code, err.field, "%s",
			    err.message);
			return;
		}
		if (!json_is_object(body)) {
			json_decref(inc);
			json_decref(body);
			http_reply_error(req, 400, "not_an_object", NULL, "send "
			    "{\"by\": \"who\"} or an empty body");
			return;
		}
		by = json_object_get(body, "by");
		if (by != NULL && !json_is_string(by) && !json_is_null(by)) {
			json_decref(inc);
			json_decref(body);
			http_reply_error(req, 400, "wrong_type", "by", "send "
			    "{\"by\": \"who\"} or an empty body");
			return;
		}
		if (json_string_length(by) > RECORD_BY_MAX) {
			json_decref(inc);
			json_decref(body);
			http_reply_error(req, 400, "too_long", "by", "field "
			    "\"by\" is longer than %d bytes", RECORD_BY_MAX);
			return;
		}
		bidi = json_is_string(by) ? record_bidi_control(
		    json_string_value(by)) : 0;
		if (bidi != 0) {
			json_decref(inc);
			json_decref(body);
			http_reply_error(req, 400, "invalid_value", "by", "field "
			    "\"by\" holds U+%04X, a bidirectional control "
			    "character", bidi);
			return;
		}
	}
	records = xcalloc(1, sizeof(*records));
	records[0] = record_new(type, key, json_string_value(json_object_get(
	    inc, "unit")), json_string_value(json_object_get(body, "by")),
	    clock_now());
	json_decref(body);
	json_decref(inc);
	c = xcalloc(1, sizeof(*c));
	c->req = req;
	c->ctx = ctx;
	c->key = xstrdup(key);
	c->ack = strcmp(type, "ack") == 0;
	ingest_submit(ctx->ingest, records, 1, tok != NULL &&
	    tok->units.n > 0 ? &tok->units : NULL, api_change_done, c);
}

void
api_incident_ack(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	api_incident_change(req, ctx, key, "ack");
}

void
api_incident_resolve(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	api_incident_change(req, ctx, key, "resolve");
}

static json_t *
notification_row_cb(sqlite3_stmt *st, void *arg)
{
	return (notification_json(st));
}

static json_t *
notification_cursor_cb(sqlite3_stmt *st, void *arg)
{
	return (json_pack("[s, I]", "n", (json_int_t)sqlite3_column_int64(st,
	    OUT_ID)));
}

static const struct api_list api_notification_list = {
	"notifications", "/v1/notifications", OUT_LAST_ERROR + 1,
	notification_row_cb, notification_cursor_cb,
};

/* One incident's notifications are read on its index, not the outbox's. */
static void
api_notifications_page(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	struct store	*s = ctx->store;
	struct api_page	 pg;
	char		*incident = http_query(req, "incident");
	char		*status = http_query(req, "status");
	char		*query = NULL;
	const char	*kind;
	json_int_t	 before = INT64_MAX;

	if (api_page_start(req, &pg, "n", "[s, I]", &kind, &before) != 0)
		goto out;
	api_page_param(&query, "incident", incident);
	api_page_param(&query, "status", status);
	api_page_reply(req, s, &api_notification_list, store_stmt(s,
	    incident != NULL ? STMT_OUTBOX_LIST_BY_INCIDENT : STMT_OUTBOX_LIST,
	    "ttii", incident, status, (int64_t)before,
	    (int64_t)API_PAGE_SCAN), &pg, query, NULL);
	api_page_end(&pg);
out:
	free(query);
	free(incident);
	free(status);
}

void
api_notifications_list(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	api_page_defer(req, ctx, api_notifications_page);
}
