/*
 * The duty-room board.  GET / and the files it loads are web/board.*,
 * compiled into the daemon by web/embed.sh, so there is no install path to
 * find at run time.  GET /v1/board gives the page its data: the open
 * incidents, the most urgent first, each with its nearest deadline and
 * how far its escalation has climbed, and the server's time, so that a
 * wall screen with a wrong clock still counts down right.  Beside them,
 * today's recurring reports (日报告、零报告) per unit: filed, late,
 * overdue, missed or still to come.  And who is on duty now: whom the
 * roles `duty` (今日值班) and `leader` (带班领导) reach at this moment,
 * through their rosters.
 *
 * The page loads nothing from elsewhere and runs no inline script; the
 * Content-Security-Policy below holds it to that.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api.h"
#include "calendar.h"
#include "clock.h"
#include "daemon.h"
#include "http.h"
#include "org.h"
#include "rules.h"
#include "store.h"
#include "tocsin.h"
#include "web-assets.h"

#define API_BOARD_MAX	500	/* rows: more than any wall can show */
#define API_BOARD_DUTIES_MAX 2000	/* a county's units times its reports */

#define API_BOARD_CSP	"default-src 'none'; script-src 'self'; " \
	"style-src 'self'; connect-src 'self'; img-src 'self' data:; " \
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static const struct {
	const char	*suffix;
	const char	*type;
} api_board_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
};

static const char *
api_board_type(const char *name)
{
	size_t	i, n = strlen(name), len;

	for (i = 0; i < nitems(api_board_types); i++) {
		len = strlen(api_board_types[i].suffix);
		if (n > len && strcmp(name + n - len,
		    api_board_types[i].suffix) == 0)
			return (api_board_types[i].type);
	}
	return ("application/octet-stream");
}

/* The compiled-in file a path names: "/" is the board itself. */
static const struct web_asset *
api_board_find(const char *path)
{
	size_t	i, n;

	/* An empty path ("GET ?x") was routed as "/": so is it here. */
	if (path == NULL || path[0] != '/' || path[1] == '\0')
		path = "/board.html";
	for (i = 0; i < web_assets_count; i++) {
		if (strcmp(path + 1, web_assets[i].name) == 0)
			return (&web_assets[i]);
	}
	/* A page's address has no suffix: /handover is handover.html. */
	for (i = 0; strchr(path, '.') == NULL && i < web_assets_count; i++) {
		n = strlen(web_assets[i].name);
		if (n == strlen(path + 1) + 5 && strncmp(path + 1,
		    web_assets[i].name, n - 5) == 0 &&
		    strcmp(web_assets[i].name + n - 5, ".html") == 0)
			return (&web_assets[i]);
	}
	return (NULL);
}

/*
 * GET / and /board.*.  Browsers revalidate every time (no-cache) and get
 * 304 while the file is the one they hold, so a new daemon's page is
 * picked up at the next load.
 */
void
api_board_file(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const struct web_asset	*a = api_board_find(uri != NULL ?
				    evhttp_uri_get_path(uri) : NULL);
	struct evkeyvalq	*out = evhttp_request_get_output_headers(req);
	struct evbuffer		*buf;
	const char		*inm;

	inm = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "If-None-Match");
	if (a == NULL)
		http_reply_error(req, 404, "not_found", NULL, "no such file");
	else if (inm != NULL && strstr(inm, a->etag) != NULL) {
		evhttp_add_header(out, "Cache-Control", "no-cache");
		evhttp_add_header(out, "ETag", a->etag);
		evhttp_send_reply(req, 304, "Not Modified", NULL);
	} else {
		evhttp_add_header(out, "Content-Type", api_board_type(a->name));
		evhttp_add_header(out, "Cache-Control", "no-cache");
		evhttp_add_header(out, "ETag", a->etag);
		evhttp_add_header(out, "Content-Security-Policy",
		    API_BOARD_CSP);
		evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
		evhttp_add_header(out, "Referrer-Policy", "no-referrer");
		buf = evbuffer_new();
		evbuffer_add_reference(buf, a->data, a->len, NULL, NULL);
		http_send_reply(req, 200, buf);
		evbuffer_free(buf);
	}
}

/* Whole seconds from now to t, rounded down: negative once t has passed. */
static json_int_t
api_board_seconds(int64_t t, int64_t now)
{
	int64_t	ms = t - now;

	return ((json_int_t)(ms >= 0 ? ms / MSEC_PER_SEC :
	    -((-ms + MSEC_PER_SEC - 1) / MSEC_PER_SEC)));
}

/* One open incident: its nearest deadline, how far it has escalated. */
static json_t *
api_board_row(const struct store_board_row *b, const struct rules *r,
    int64_t now)
{
	const struct policy	*pol = NULL;
	json_t			*o, *obl = json_null(), *esc = json_null();

	if (b->obligation != NULL)
		obl = json_pack("{s:s, s:o, s:o, s:I, s:s}",
		    "id", b->obligation,
		    "title", api_text(b->obligation_title),
		    "due_at", api_time(b->obligation_due_at),
		    "due_in_s", api_board_seconds(b->obligation_due_at, now),
		    "status", obligation_status_name(b->obligation_status));
	if (b->policy != NULL) {
		if (r != NULL)
			pol = rules_policy_find(r, b->policy);
		esc = json_pack("{s:s, s:i, s:o, s:i, s:s}",
		    "policy", b->policy,
		    "step", b->step,
		    "steps", pol != NULL ? json_integer((json_int_t)
		    pol->nsteps) : json_null(),
		    "repeats", b->repeats,
		    "state", escalation_state_name(b->escalation_state));
	}
	o = json_object();
	json_object_set_new(o, "key", api_text(b->key));
	json_object_set_new(o, "title", api_text(b->title));
	json_object_set_new(o, "unit", api_text(b->unit));
	json_object_set_new(o, "unit_name", api_unit_name(r, b->unit));
	json_object_set_new(o, "category", api_text(b->category));
	json_object_set_new(o, "grade", api_grade(b->grade));
	json_object_set_new(o, "opened_at", api_time(b->opened_at));
	json_object_set_new(o, "occurred_at", api_time(b->occurred_at));
	json_object_set_new(o, "acknowledged_at", api_time(b->acked_at));
	json_object_set_new(o, "acknowledged_by", api_text(b->acked_by));
	json_object_set_new(o, "acknowledged_by_name", api_person_name(r,
	    b->acked_by));
	json_object_set_new(o, "obligation", obl);
	json_object_set_new(o, "obligations_open", json_integer(
	    b->obligations_open));
	json_object_set_new(o, "obligations_breached", json_integer(
	    b->obligations_breached));
	json_object_set_new(o, "escalation", esc);
	json_object_set_new(o, "unmatched", json_boolean(b->unmatched));
	json_object_set_new(o, "drill", json_boolean(b->drill));
	return (o);
}

/* The board's word for an obligation's status, counted under counts. */
static const struct {
	enum obligation_status	 status;
	const char		*count;
} api_board_duty_counts[] = {
	{ OBLIGATION_MET, "filed" },
	{ OBLIGATION_LATE, "late" },
	{ OBLIGATION_BREACHED, "overdue" },
	{ OBLIGATION_MISSED, "missed" },
	{ OBLIGATION_PENDING, "pending" },
};

/* The board as it is read: its rows, its duties and what they count. */
struct api_board_read {
	const struct rules	*rules;
	int64_t			 now;
	json_t			*list;
	json_t			*duties;
	json_t			*counts;	/* the duties' */
	const struct store_units *units;	/* kept; NULL: every unit */
};

static int
api_board_row_cb(const struct store_board_row *b, void *arg)
{
	struct api_board_read	*br = arg;

	json_array_append_new(br->list, api_board_row(b, br->rules, br->now));
	return (0);
}

/* One unit's recurring report: what it owes and whether it filed. */
static int
api_board_duty_cb(const struct store_duty *d, void *arg)
{
	struct api_board_read	*br = arg;
	json_t			*o, *n;
	size_t			 i;

	for (i = 0; i < nitems(api_board_duty_counts); i++) {
		if (d->status != api_board_duty_counts[i].status)
			continue;
		n = json_object_get(br->counts, api_board_duty_counts[i].count);
		json_integer_set(n, json_integer_value(n) + 1);
	}
	o = json_object();
	json_object_set_new(o, "recurring", api_text(d->recurring));
	json_object_set_new(o, "title", api_text(d->title));
	json_object_set_new(o, "unit", api_text(d->unit));
	json_object_set_new(o, "unit_name", api_unit_name(br->rules, d->unit));
	json_object_set_new(o, "due_at", api_time(d->due_at));
	json_object_set_new(o, "due_in_s", json_integer(api_board_seconds(
	    d->due_at, br->now)));
	json_object_set_new(o, "close_at", api_time(d->close_at));
	json_object_set_new(o, "status", json_string(obligation_status_name(
	    d->status)));
	json_object_set_new(o, "filed_at", api_time(d->met_at));
	json_object_set_new(o, "zero", d->zero < 0 ? json_null() :
	    json_boolean(d->zero));
	json_array_append_new(br->duties, o);
	return (0);
}

/* Today's recurring reports, and those still open from earlier days. */
static int
api_board_duties(struct store *s, struct api_board_read *br)
{
	size_t	i;

	for (i = 0; i < nitems(api_board_duty_counts); i++)
		json_object_set_new(br->counts, api_board_duty_counts[i].count,
		    json_integer(0));
	return (store_duties(s, br->units, calendar_day_start(br->now),
	    calendar_next_day_start(br->now), API_BOARD_DUTIES_MAX,
	    api_board_duty_cb, br));
}

/* The roles whose people the wall shows as on duty now. */
static const char *const api_board_on_duty_roles[] = { "duty", "leader" };

/* One person a role reaches now, once, whatever the channel. */
static void
api_board_on_duty_cb(const struct recipient *rc, void *arg)
{
	json_t	*names = arg;
	size_t	 i;

	for (i = 0; i < json_array_size(names); i++) {
		if (strcmp(json_string_value(json_object_get(json_array_get(
		    names, i), "id")), rc->id) == 0)
			return;
	}
	json_array_append_new(names, json_pack("{s:s, s:s}", "id", rc->id,
	    "name", rc->name));
}

/*
 * Who is on duty at now: {"duty": [{id, name}], "leader": [...]}, the
 * people each role reaches (a roster's officer of the shift).  A role
 * the site does not have reaches nobody: an empty list.
 */
static json_t *
api_board_on_duty(const struct rules *r, int64_t now)
{
	json_t	*o = json_object(), *names;
	size_t	 i;

	for (i = 0; i < nitems(api_board_on_duty_roles); i++) {
		names = json_array();
		if (r != NULL)
			org_resolve(r, api_board_on_duty_roles[i], NULL, now,
			    api_board_on_duty_cb, names);
		json_object_set_new(o, api_board_on_duty_roles[i], names);
	}
	return (o);
}

/*
 * GET /v1/board: what the duty room's wall shows, in one read; unit=X
 * (and subtree=1) narrows it, and a token limited to units sees its own.
 */
void
api_board(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	struct store			*s = ctx->store;
	struct store_board_counts	 bc;
	struct api_board_read		 br;
	struct api_scope		 sc;
	json_t				*counts = NULL;
	char				 at[CALENDAR_TIME_MAX];
	int				 rc;

	if (api_scope_start(req, ctx, &sc) != 0)
		return;
	br.units = api_scope_units(&sc);
	br.rules = ctx->rules;
	br.now = clock_now();
	br.list = json_array();
	br.duties = json_array();
	br.counts = json_object();
	if (store_board_counts(s, br.units, &bc) == 0)
		counts = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
		    "s:I, s:I}",
		    "open", (json_int_t)bc.open,
		    "unacknowledged", (json_int_t)bc.unacknowledged,
		    "overdue", (json_int_t)bc.overdue,
		    "overdue_incidents", (json_int_t)bc.overdue_incidents,
		    "unmatched", (json_int_t)bc.unmatched,
		    /*
		     * Drills, counted in the fields above too (overdue stays
		     * /v1/status's number): the page takes them out of its
		     * headline, so a drill never reads as a real event late.
		     */
		    "drills", (json_int_t)bc.drills,
		    "drills_unacknowledged",
		    (json_int_t)bc.drills_unacknowledged,
		    "drills_overdue", (json_int_t)bc.drills_overdue,
		    "drills_overdue_incidents",
		    (json_int_t)bc.drills_overdue_incidents,
		    "drills_unmatched", (json_int_t)bc.drills_unmatched);
	rc = store_board(s, br.units, API_BOARD_MAX, api_board_row_cb, &br);
	if (rc == 0)
		rc = api_board_duties(s, &br);
	calendar_format(br.now, at, sizeof(at));
	if (counts != NULL)
		json_object_set(counts, "duties", br.counts);
	json_decref(br.counts);

	if (counts == NULL || rc != 0) {
		json_decref(counts);
		json_decref(br.duties);
		json_decref(br.list);
		http_reply_error(req, 503, "store_failed", NULL,
		    "the board could not be read; try again");
	} else {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Cache-Control", "no-store");
		http_reply_json(req, 200, json_pack(
		    "{s:s, s:o, s:o, s:o, s:o, s:o}", "now", at, "counts", counts,
		    "incidents", br.list, "duties", br.duties,
		    "calendar", api_calendar(ctx->rules),
		    "on_duty", api_board_on_duty(ctx->rules, br.now)));
	}
	api_scope_end(&sc);
}
