/*
 * GET /v1/compliance?from=&to=&unit=&limit=&cursor=: the 迟报/漏报
 * ledger, one row per obligation due in [from, to): whose it was, when it
 * was due and met, its status and how late.  from and to are RFC 3339
 * times or local dates; the default is the last 30 days.  It comes in
 * pages (api-page.c), in order of due time.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "api.h"
#include "calendar.h"
#include "clock.h"
#include "daemon.h"
#include "http.h"
#include "store-legacy.h"	/* phase 2 of issue 15 removes it */
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

/* A time or a date (its local midnight); 0 on success. */
int
api_time_param(const char *s, int64_t *t)
{
	int	y, m, d;

	if (calendar_parse_time(s, t) == 0)
		return (0);
	if (calendar_parse_date(s, &y, &m, &d) == 0) {
		*t = calendar_local_midnight(y, m, d);
		return (0);
	}
	return (-1);
}

static json_t *
api_compliance_row(sqlite3_stmt *st, int64_t now)
{
	const char	*status = store_column_text(st, OBL_STATUS);
	int64_t		 due = sqlite3_column_int64(st, OBL_DUE_AT);
	json_t		*late = json_null();

	/* Late: by how much it was met late, or how overdue it still is. */
	if (strcmp(status, "late") == 0)
		late = json_integer((sqlite3_column_int64(st, OBL_MET_AT) -
		    due) / MSEC_PER_SEC);
	else if (strcmp(status, "breached") == 0)
		late = json_integer((now - due) / MSEC_PER_SEC);
	return (json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:o}",
	    "incident", api_json_text(st, OBL_INCIDENT),
	    "recurring", api_json_text(st, OBL_RECURRING),
	    "unit", api_json_text(st, OBL_UNIT),
	    "procedure", api_json_text(st, OBL_PROCEDURE),
	    "obligation", api_json_text(st, OBL_NAME),
	    "title", api_json_text(st, OBL_TITLE),
	    "due_at", api_json_time(st, OBL_DUE_AT),
	    "met_at", api_json_time(st, OBL_MET_AT),
	    "status", json_string(status),
	    "late_s", late));
}

/* Where the next page starts: the range it keeps, and this row's key. */
static json_t *
api_compliance_cursor(sqlite3_stmt *st, void *arg)
{
	const int64_t	*range = arg;

	return (json_pack("[s, I, I, I, I]", "c", (json_int_t)range[0],
	    (json_int_t)range[1], (json_int_t)sqlite3_column_int64(st,
	    OBL_DUE_AT), (json_int_t)sqlite3_column_int64(st, OBL_ID)));
}

static json_t *
api_compliance_row_cb(sqlite3_stmt *st, void *arg)
{
	return (api_compliance_row(st, clock_now()));
}

static const struct api_list api_compliance_list = {
	"obligations", "/v1/compliance", OBL_STATUS + 1,
	api_compliance_row_cb, api_compliance_cursor,
};

/*
 * A page of the ledger.  The cursor carries the range of the first page
 * (whose default moves with the clock), so every page reads the same one.
 */
static void
api_compliance_page(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	struct store	*s = ctx->store;
	struct api_page	 pg;
	char		*from_s = http_query(req, "from");
	char		*to_s = http_query(req, "to");
	char		*unit = http_query(req, "unit");
	char		*query = NULL;
	const char	*bad = NULL, *kind;
	int64_t		 now = clock_now(), range[2];
	json_int_t	 from = now - 30 * MSEC_PER_DAY, to = now + MSEC_PER_DAY;
	json_int_t	 due = INT64_MIN, id = INT64_MIN;
	int64_t		 t;

	if (from_s != NULL && api_time_param(from_s, &t) == 0)
		from = t;
	else if (from_s != NULL)
		bad = "from";
	if (to_s != NULL && api_time_param(to_s, &t) == 0)
		to = t;
	else if (to_s != NULL && bad == NULL)
		bad = "to";
	if (bad != NULL) {
		http_reply_error(req, 400, "invalid_value", bad, "from and to "
		    "are RFC 3339 times or dates YYYY-MM-DD");
		goto out;
	}
	if (api_page_start(req, &pg, "c", "[s, I, I, I, I]", &kind, &from, &to,
	    &due, &id) != 0)
		goto out;
	range[0] = from;
	range[1] = to;
	api_page_param(&query, "unit", unit);
	api_page_reply(req, s, &api_compliance_list, store_stmt(s,
	    STMT_COMPLIANCE, "iitiii", (int64_t)(due > from ? due : from),
	    (int64_t)to, unit, (int64_t)due, (int64_t)id,
	    (int64_t)API_PAGE_SCAN), &pg, query, range);
	api_page_end(&pg);
out:
	free(query);
	free(from_s);
	free(to_s);
	free(unit);
}

void
api_compliance(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	api_page_defer(req, ctx, api_compliance_page);
}
