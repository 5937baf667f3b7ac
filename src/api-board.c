/*
 * The duty-room board.  GET / and the files it loads are web/board.*,
 * compiled into the daemon by web/embed.sh, so there is no install path to
 * find at run time.  GET /v1/board gives the page its data: the open
 * incidents, the most urgent first, each with its nearest deadline and
 * how far its escalation has climbed, and the server's time, so that a
 * wall screen with a wrong clock still counts down right.  Beside them,
 * today's recurring reports (日报告、零报告) per unit: filed, late,
 * overdue, missed or still to come.
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
#include "rules.h"
#include "store-legacy.h"	/* phase 2 of issue 15 removes it */
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
	size_t	i;

	/* An empty path ("GET ?x") was routed as "/": so is it here. */
	if (path == NULL || path[0] != '/' || path[1] == '\0')
		path = "/board.html";
	for (i = 0; i < web_assets_count; i++) {
		if (strcmp(path + 1, web_assets[i].name) == 0)
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

static json_t *
api_board_row(sqlite3_stmt *st, const struct rules *r, int64_t now)
{
	const struct policy	*pol = NULL;
	const char		*policy;
	json_t			*o, *obl = json_null(), *esc = json_null();
	int			 grade = sqlite3_column_int(st, BRD_GRADE);

	if (sqlite3_column_type(st, BRD_OBL_NAME) != SQLITE_NULL)
		obl = json_pack("{s:o, s:o, s:o, s:I, s:o}",
		    "id", api_json_text(st, BRD_OBL_NAME),
		    "title", api_json_text(st, BRD_OBL_TITLE),
		    "due_at", api_json_time(st, BRD_OBL_DUE_AT),
		    "due_in_s", api_board_seconds(sqlite3_column_int64(st,
		    BRD_OBL_DUE_AT), now),
		    "status", api_json_text(st, BRD_OBL_STATUS));
	if ((policy = store_column_text(st, BRD_ESC_POLICY)) != NULL) {
		if (r != NULL)
			pol = rules_policy_find(r, policy);
		esc = json_pack("{s:s, s:i, s:o, s:i, s:o}",
		    "policy", policy,
		    "step", sqlite3_column_int(st, BRD_ESC_STEP),
		    "steps", pol != NULL ? json_integer((json_int_t)
		    pol->nsteps) : json_null(),
		    "repeats", sqlite3_column_int(st, BRD_ESC_REPEATS),
		    "state", api_json_text(st, BRD_ESC_STATE));
	}
	o = json_object();
	json_object_set_new(o, "key", api_json_text(st, BRD_KEY));
	json_object_set_new(o, "title", api_json_text(st, BRD_TITLE));
	json_object_set_new(o, "unit", api_json_text(st, BRD_UNIT));
	json_object_set_new(o, "category", api_json_text(st, BRD_CATEGORY));
	json_object_set_new(o, "grade", grade != GRADE_NONE ?
	    json_integer(grade) : json_null());
	json_object_set_new(o, "opened_at", api_json_time(st, BRD_OPENED_AT));
	json_object_set_new(o, "occurred_at", api_json_time(st,
	    BRD_OCCURRED_AT));
	json_object_set_new(o, "acknowledged_at", api_json_time(st,
	    BRD_ACKED_AT));
	json_object_set_new(o, "acknowledged_by", api_json_text(st,
	    BRD_ACKED_BY));
	json_object_set_new(o, "obligation", obl);
	json_object_set_new(o, "obligations_open", json_integer(
	    sqlite3_column_int(st, BRD_OBL_OPEN)));
	json_object_set_new(o, "obligations_breached", json_integer(
	    sqlite3_column_int(st, BRD_OBL_BREACHED)));
	json_object_set_new(o, "escalation", esc);
	json_object_set_new(o, "unmatched", json_boolean(sqlite3_column_int(st,
	    BRD_UNMATCHED)));
	return (o);
}

/* The board's word for an obligation's status, counted under counts. */
static const struct {
	const char	*status;
	const char	*count;
} api_board_duty_counts[] = {
	{ "met", "filed" },
	{ "late", "late" },
	{ "breached", "overdue" },
	{ "missed", "missed" },
	{ "pending", "pending" },
};

/* One unit's recurring report: what it owes and whether it filed. */
static json_t *
api_board_duty(sqlite3_stmt *st, int64_t now, json_t *counts)
{
	const char	*status = store_column_text(st, DUTY_STATUS);
	json_t		*o, *n;
	size_t		 i;

	for (i = 0; i < nitems(api_board_duty_counts); i++) {
		if (strcmp(status, api_board_duty_counts[i].status) != 0)
			continue;
		n = json_object_get(counts, api_board_duty_counts[i].count);
		json_integer_set(n, json_integer_value(n) + 1);
	}
	o = json_object();
	json_object_set_new(o, "recurring", api_json_text(st, DUTY_RECURRING));
	json_object_set_new(o, "title", api_json_text(st, DUTY_TITLE));
	json_object_set_new(o, "unit", api_json_text(st, DUTY_UNIT));
	json_object_set_new(o, "due_at", api_json_time(st, DUTY_DUE_AT));
	json_object_set_new(o, "due_in_s", json_integer(api_board_seconds(
	    sqlite3_column_int64(st, DUTY_DUE_AT), now)));
	json_object_set_new(o, "close_at", api_json_time(st, DUTY_CLOSE_AT));
	json_object_set_new(o, "status", json_string(status));
	json_object_set_new(o, "filed_at", api_json_time(st, DUTY_MET_AT));
	json_object_set_new(o, "zero", sqlite3_column_type(st, DUTY_ZERO) ==
	    SQLITE_NULL ? json_null() : json_boolean(sqlite3_column_int(st,
	    DUTY_ZERO)));
	return (o);
}

/* Today's recurring reports, and those still open from earlier days. */
static int
api_board_duties(struct store *s, int64_t now, json_t *list, json_t *counts)
{
	sqlite3_stmt	*st;
	size_t		 i;
	int		 rc;

	for (i = 0; i < nitems(api_board_duty_counts); i++)
		json_object_set_new(counts, api_board_duty_counts[i].count,
		    json_integer(0));
	st = store_stmt(s, STMT_BOARD_DUTIES, "iii", calendar_day_start(now),
	    calendar_next_day_start(now), (int64_t)API_BOARD_DUTIES_MAX);
	while ((rc = store_step(s, st)) == SQLITE_ROW)
		json_array_append_new(list, api_board_duty(st, now, counts));
	if (st != NULL)
		sqlite3_reset(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

/* GET /v1/board: what the duty room's wall shows, in one read. */
void
api_board(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	struct store	*s = ctx->store;
	const struct rules *r = ctx->rules;
	int64_t		 now = clock_now();
	sqlite3_stmt	*st;
	json_t		*counts = NULL, *list = json_array();
	json_t		*duties = json_array(), *duty_counts = json_object();
	char		 at[CALENDAR_TIME_MAX];
	int		 rc;

	st = store_stmt(s, STMT_BOARD_COUNTS, NULL);
	if (store_step(s, st) == SQLITE_ROW)
		counts = json_pack("{s:I, s:I, s:I, s:I, s:I}",
		    "open", (json_int_t)sqlite3_column_int64(st, 0),
		    "unacknowledged", (json_int_t)sqlite3_column_int64(st, 1),
		    "overdue", (json_int_t)sqlite3_column_int64(st, 2),
		    "overdue_incidents", (json_int_t)sqlite3_column_int64(st,
		    3),
		    "unmatched", (json_int_t)sqlite3_column_int64(st, 4));
	if (st != NULL)
		sqlite3_reset(st);
	st = store_stmt(s, STMT_BOARD, "i", (int64_t)API_BOARD_MAX);
	while ((rc = store_step(s, st)) == SQLITE_ROW)
		json_array_append_new(list, api_board_row(st, r, now));
	if (st != NULL)
		sqlite3_reset(st);
	if (rc == SQLITE_DONE && api_board_duties(s, now, duties,
	    duty_counts) != 0)
		rc = SQLITE_ERROR;
	calendar_format(now, at, sizeof(at));
	if (counts != NULL)
		json_object_set(counts, "duties", duty_counts);
	json_decref(duty_counts);

	if (counts == NULL || rc != SQLITE_DONE) {
		json_decref(counts);
		json_decref(duties);
		json_decref(list);
		http_reply_error(req, 503, "store_failed", NULL,
		    "the board could not be read; try again");
	} else {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Cache-Control", "no-store");
		http_reply_json(req, 200, json_pack("{s:s, s:o, s:o, s:o, s:o}",
		    "now", at, "counts", counts, "incidents", list, "duties",
		    duties, "calendar", api_calendar(r)));
	}
}
