/*
 * GET /v1/compliance?from=&to=&unit=: the 迟报/漏报 ledger, one row per
 * obligation due in [from, to): whose it was, when it was due and met, its
 * status and how late.  from and to are RFC 3339 times or local dates;
 * the default is the last 30 days.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "api.h"
#include "calendar.h"
#include "clock.h"
#include "daemon.h"
#include "http.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

#define API_COMPLIANCE_MAX	100000

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

void
api_compliance(struct evhttp_request *req, struct daemon *d, const char *key)
{
	struct store	*s = daemon_store(d);
	char		*from_s = http_query(req, "from");
	char		*to_s = http_query(req, "to");
	char		*unit = http_query(req, "unit");
	const char	*bad = NULL;
	int64_t		 now = clock_now(), from = now - 30 * MSEC_PER_DAY;
	int64_t		 to = now + MSEC_PER_DAY;
	sqlite3_stmt	*st;
	json_t		*rows;

	if (from_s != NULL && api_time_param(from_s, &from) != 0)
		bad = "from";
	else if (to_s != NULL && api_time_param(to_s, &to) != 0)
		bad = "to";
	if (bad != NULL) {
		http_reply_error(req, 400, "invalid_value", bad, "from and to "
		    "are RFC 3339 times or dates YYYY-MM-DD");
		goto out;
	}
	rows = json_array();
	st = store_stmt(s, STMT_COMPLIANCE, "iiti", from, to, unit,
	    (int64_t)API_COMPLIANCE_MAX);
	while (store_step(s, st) == SQLITE_ROW)
		json_array_append_new(rows, api_compliance_row(st, now));
	if (st != NULL)
		sqlite3_reset(st);
	http_reply_json(req, 200, json_pack("{s:o}", "obligations", rows));
out:
	free(from_s);
	free(to_s);
	free(unit);
}
