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
#include "store.h"
#include "xmalloc.h"

static const struct api_list api_incident_list = {
	"incidents", "/v1/incidents",
};

/* A page being read, and the rules that name its units. */
struct api_incidents_read {
	struct api_pager	*pager;
	const struct rules	*rules;
};

/* A row of the page; the cursor is its place in the order of storing. */
static int
api_incidents_row_cb(const struct store_incident *inc, int keep, void *arg)
{
	struct api_incidents_read	*rd = arg;

	return (api_pager_add(rd->pager, keep ? api_incident_json(inc,
	    rd->rules) : NULL, keep, json_pack("[s, I]", "i",
	    (json_int_t)inc->seq)));
}

static void
api_incidents_page(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	struct store_incident_filter	 f;
	struct store_incident_cursor	 c;
	struct api_incidents_read	 rd;
	struct api_page			 pg;
	struct api_scope		 sc;
	char				*state = http_query(req, "state");
	char				*unit = http_query(req, "unit");
	char				*category = http_query(req, "category");
	char				*query = NULL;
	const char			*kind;
	json_int_t			 before = INT64_MAX;
	int				 rc;

	if (state == NULL)
		state = xstrdup("open");
	memset(&f, 0, sizeof(f));
	f.any_state = strcmp(state, "all") == 0;
	if (!f.any_state && (rc = incident_state_parse(state)) >= 0)
		f.state = (enum incident_state)rc;
	else if (!f.any_state) {
		http_reply_error(req, 400, "invalid_value", "state",
		    "state must be open, closed or all");
		goto out;
	}
	if (api_scope_start(req, ctx, &sc) != 0)
		goto out;
	if (api_page_start(req, &pg, "i", "[s, I]", &kind, &before) != 0) {
		api_scope_end(&sc);
		goto out;
	}
	api_page_param(&query, "state", state);
	api_page_param(&query, "unit", unit);
	api_page_param(&query, "subtree", sc.subtree ? "1" : NULL);
	api_page_param(&query, "category", category);
	f.units = api_scope_units(&sc);		/* unit= and the token's */
	f.category = category;
	c.before_seq = before;
	pg.scoped = sc.limited;
	rd.pager = api_pager_new(&api_incident_list, &pg);
	rd.rules = ctx->rules;
	rc = store_incidents_page(ctx->store, &f, &c, API_PAGE_SCAN,
	    api_incidents_row_cb, &rd);
	api_pager_reply(req, rd.pager, rc, query);
	api_page_end(&pg);
	api_scope_end(&sc);
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

/* An incident outside the token's units is not found: no one learns it is. */
void
api_incident_get(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	struct api_scope	 sc;
	json_t			*o;
	char			 at[CALENDAR_TIME_MAX];
	int			 seen;

	if (api_scope_start(req, ctx, &sc) != 0)
		return;
	/* The incident's row first: another unit's is not read further. */
	o = api_incident_load(ctx->store, ctx->rules, key, 0);
	seen = o != NULL && api_scope_has(&sc, json_string_value(
	    json_object_get(o, "unit")));
	api_scope_end(&sc);
	json_decref(o);
	if (!seen || (o = api_incident_load(ctx->store, ctx->rules, key, 1)) == NULL) {
		http_reply_error(req, 404, "not_found", NULL,
		    "no incident \"%s\"", key);
		return;
	}
	/* The daemon's clock, as the board has it: countdowns run on it. */
	calendar_format(clock_now(), at, sizeof(at));
	json_object_set_new(o, "now", json_string(at));
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
	else if ((o = api_incident_load(c->ctx->store, c->ctx->rules,
	    c->key, 0)) == NULL)
		http_reply_error(c->req, 404, "not_found", NULL,
		    "no incident \"%s\"", c->key);
	else
		http_reply_json(c->req, 200, o);
	free(c->key);
	free(c);
}

/*
 * A person's token acts as that person (issue 19): the act is recorded
 * under their id whatever the body says, and a body naming someone else
 * is refused rather than quietly rewritten.  0, or -1 after a 403.
 */
static int
api_incident_as_person(struct evhttp_request *req,
    const struct token_def *tok, json_t *body)
{
	const char	*by = json_string_value(json_object_get(body, "by"));

	if (tok == NULL || tok->person == NULL || by == NULL ||
	    strcmp(by, tok->person) == 0)
		return (0);
	http_reply_error(req, 403, "forbidden", "by", "token \"%s\" acts as "
	    "\"%s\" and may not act as \"%.100s\"", tok->name, tok->person, by);
	return (-1);
}

/*
 * ack and resolve: an event of that type, by whoever the body names, or
 * by the person a person's token is for.  A token limited to some units
 * acts only on their incidents: 403, or 404 as for an incident that is
 * not there once reads are scoped (GET says 404 too, and a 403 naming
 * the owner would tell what the read hides).
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
	struct store_incident	 inc;
	json_t			*body = NULL, *by;
	size_t			 limit;
	unsigned int		 bidi;
	int			 status;

	if (store_incident_get(ctx->store, key, &inc) != 1) {
		http_reply_error(req, 404, "not_found", NULL,
		    "no incident \"%s\"", key);
		return;
	}
	tok = http_token(req, ctx->rules);
	if (tok != NULL && !rules_unit_covered(ctx->rules, &tok->units,
	    inc.unit)) {
		if (rules_tokens_read(ctx->rules))
			http_reply_error(req, 404, "not_found", NULL,
			    "no incident \"%s\"", key);
		else
			http_reply_error(req, 403, "forbidden", NULL, "token "
			    "\"%s\" may not act on incidents of unit \"%s\"",
			    tok->name, inc.unit != NULL ? inc.unit : "");
		store_incident_clear(&inc);
		return;
	}
	/* Closed: nothing to stop, so nothing to store. */
	if (strcmp(type, "ack") == 0 && inc.state == INCIDENT_CLOSED) {
		api_incident_closed(req, key);
		store_incident_clear(&inc);
		return;
	}
	limit = rules_site(ctx->rules)->body_limit;
	if (evbuffer_get_length(in) > 0) {
		if ((body = http_read_json(req, limit, &err, &status)) ==
		    NULL) {
			store_incident_clear(&inc);
			http_reply_error(req, status, err.code, err.field, "%s",
			    err.message);
			return;
		}
		if (!json_is_object(body)) {
			store_incident_clear(&inc);
			json_decref(body);
			http_reply_error(req, 400, "not_an_object", NULL, "send "
			    "{\"by\": \"who\"} or an empty body");
			return;
		}
		by = json_object_get(body, "by");
		if (by != NULL && !json_is_string(by) && !json_is_null(by)) {
			store_incident_clear(&inc);
			json_decref(body);
			http_reply_error(req, 400, "wrong_type", "by", "send "
			    "{\"by\": \"who\"} or an empty body");
			return;
		}
		if (json_string_length(by) > RECORD_BY_MAX) {
			store_incident_clear(&inc);
			json_decref(body);
			http_reply_error(req, 400, "too_long", "by", "field "
			    "\"by\" is longer than %d bytes", RECORD_BY_MAX);
			return;
		}
		bidi = json_is_string(by) ? record_bidi_control(
		    json_string_value(by)) : 0;
		if (bidi != 0) {
			store_incident_clear(&inc);
			json_decref(body);
			http_reply_error(req, 400, "invalid_value", "by", "field "
			    "\"by\" holds U+%04X, a bidirectional control "
			    "character", bidi);
			return;
		}
	}
	if (api_incident_as_person(req, tok, body) != 0) {
		store_incident_clear(&inc);
		json_decref(body);
		return;
	}
	records = xcalloc(1, sizeof(*records));
	records[0] = record_new(type, key, inc.unit, tok != NULL &&
	    tok->person != NULL ? tok->person : json_string_value(
	    json_object_get(body, "by")), clock_now());
	json_decref(body);
	store_incident_clear(&inc);
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

static const struct api_list api_notification_list = {
	"notifications", "/v1/notifications",
};

static int
api_notifications_row_cb(const struct store_message *m, int keep, void *arg)
{
	return (api_pager_add(arg, keep ? api_notification_json(m) : NULL,
	    keep, json_pack("[s, I]", "n", (json_int_t)m->id)));
}

/* One incident's notifications are read on its index, not the outbox's. */
static void
api_notifications_page(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	struct store_message_filter	 f;
	struct store_message_cursor	 c;
	struct api_pager		*p;
	struct api_page			 pg;
	struct api_scope		 sc;
	char				*incident = http_query(req, "incident");
	char				*status = http_query(req, "status");
	char				*unit = http_query(req, "unit");
	char				*query = NULL;
	const char			*kind;
	json_int_t			 before = INT64_MAX;
	int				 rc;

	if (api_scope_start(req, ctx, &sc) != 0)
		goto out;
	if (api_page_start(req, &pg, "n", "[s, I]", &kind, &before) != 0) {
		api_scope_end(&sc);
		goto out;
	}
	api_page_param(&query, "incident", incident);
	api_page_param(&query, "status", status);
	api_page_param(&query, "unit", unit);
	api_page_param(&query, "subtree", sc.subtree ? "1" : NULL);
	f.incident = incident;
	f.status = status;
	f.units = api_scope_units(&sc);
	c.before_id = before;
	pg.scoped = sc.limited;
	p = api_pager_new(&api_notification_list, &pg);
	rc = store_messages_page(ctx->store, &f, &c, API_PAGE_SCAN,
	    api_notifications_row_cb, p);
	api_pager_reply(req, p, rc, query);
	api_page_end(&pg);
	api_scope_end(&sc);
out:
	free(query);
	free(incident);
	free(status);
	free(unit);
}

void
api_notifications_list(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	api_page_defer(req, ctx, api_notifications_page);
}
