/*
 * GET /v1/compliance?from=&to=&unit=&limit=&cursor=: the 迟报/漏报
 * ledger, one row per obligation due in [from, to): whose it was, when it
 * was due and met, its status and how late.  from and to are RFC 3339
 * times or local dates; the default is the last 30 days.  It comes in
 * pages (api-page.c), in order of due time.  Drills (应急演练) are left
 * out unless drill=1 (with the rest) or drill=only (alone) says so: the
 * record the office reports is what was owed for real.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "api.h"
#include "clock.h"
#include "daemon.h"
#include "http.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

static const struct api_list api_compliance_list = {
	"obligations", "/v1/compliance",
};

/* The range every page of one ledger reads, and the page being made. */
struct api_compliance {
	int64_t			 from;
	int64_t			 to;
	struct api_pager	*pager;
	const struct rules	*rules;		/* names the units */
};

/*
 * What drill= may say: the value, the store's filter, the name shown; in
 * the order of enum store_drill, which indexes it for the next page's link.
 */
static const struct {
	const char		*value;
	enum store_drill	 drill;
	const char		*name;
} api_drill_values[] = {
	{ "0", STORE_DRILL_EXCLUDE, "exclude" },
	{ "1", STORE_DRILL_INCLUDE, "include" },
	{ "only", STORE_DRILL_ONLY, "only" },
};

int
api_drill_param(struct evhttp_request *req, enum store_drill *drill,
    const char **name)
{
	char	*v = http_query(req, "drill");
	size_t	 i;
	int	 rc = -1;

	*drill = STORE_DRILL_EXCLUDE;
	*name = api_drill_values[0].name;
	for (i = 0; i < nitems(api_drill_values); i++) {
		if (v == NULL || strcmp(v, api_drill_values[i].value) == 0) {
			*drill = api_drill_values[v == NULL ? 0 : i].drill;
			*name = api_drill_values[v == NULL ? 0 : i].name;
			rc = 0;
			break;
		}
	}
	if (rc != 0)
		http_reply_error(req, 400, "invalid_value", "drill", "drill is "
		    "0 (drills left out, the default), 1 (drills too) or only "
		    "(drills alone)");
	free(v);
	return (rc);
}

static json_t *
api_compliance_row(const struct store_obligation *ob, const struct rules *r,
    int64_t now)
{
	json_t	*late = json_null();

	/* Late: by how much it was met late, or how overdue it still is. */
	if (ob->status == OBLIGATION_LATE)
		late = json_integer((ob->met_at - ob->due_at) / MSEC_PER_SEC);
	else if (ob->status == OBLIGATION_BREACHED)
		late = json_integer((now - ob->due_at) / MSEC_PER_SEC);
	return (json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, "
	    "s:o, s:I, s:o, s:i, s:i, s:b}",
	    "incident", api_text(ob->incident),
	    "recurring", api_text(ob->recurring),
	    "unit", api_text(ob->unit),
	    "unit_name", api_unit_name(r, ob->unit),
	    "procedure", api_text(ob->procedure),
	    "obligation", api_text(ob->name),
	    "title", api_text(ob->title),
	    "due_at", api_time(ob->due_at),
	    "met_at", api_time(ob->met_at),
	    "status", obligation_status_name(ob->status),
	    "late_s", late,
	    /* How long its clock stood still (pause_on, resume_on). */
	    "paused_s", (json_int_t)(ob->paused_ms / MSEC_PER_SEC),
	    "instance", api_instance(ob),
	    "met_count", api_met_count(ob),
	    "needed", ob->needed,
	    "drill", ob->drill));
}

/* A row; where the next page starts: the range it keeps, and this row. */
static int
api_compliance_row_cb(const struct store_obligation *ob, int keep, void *arg)
{
	struct api_compliance	*c = arg;

	return (api_pager_add(c->pager, keep ? api_compliance_row(ob,
	    c->rules, clock_now()) : NULL, keep, json_pack("[s, I, I, I, I]",
	    "c", (json_int_t)c->from, (json_int_t)c->to,
	    (json_int_t)ob->due_at, (json_int_t)ob->id)));
}

/*
 * A page of the ledger.  The cursor carries the range of the first page
 * (whose default moves with the clock), so every page reads the same one.
 */
static void
api_compliance_page(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	struct store_ledger_filter	 f;
	struct store_ledger_cursor	 cur;
	struct api_compliance		 c;
	struct api_page			 pg;
	struct api_scope		 sc;
	char				*from_s = http_query(req, "from");
	char				*to_s = http_query(req, "to");
	char				*unit = http_query(req, "unit");
	char				*query = NULL;
	const char			*bad = NULL, *kind, *drill_name;
	enum store_drill		 drill;
	int64_t				 now = clock_now(), t;
	json_int_t			 from = now - 30 * MSEC_PER_DAY;
	json_int_t			 to = now + MSEC_PER_DAY;
	json_int_t			 due = INT64_MIN, id = INT64_MIN;
	int				 rc;

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
	if (api_drill_param(req, &drill, &drill_name) != 0)
		goto out;
	if (api_scope_start(req, ctx, &sc) != 0)
		goto out;
	if (api_page_start(req, &pg, "c", "[s, I, I, I, I]", &kind, &from, &to,
	    &due, &id) != 0) {
		api_scope_end(&sc);
		goto out;
	}
	api_page_param(&query, "unit", unit);
	api_page_param(&query, "subtree", sc.subtree ? "1" : NULL);
	api_page_param(&query, "drill", drill != STORE_DRILL_EXCLUDE ?
	    api_drill_values[drill].value : NULL);
	f.from = c.from = from;
	f.to = c.to = to;
	f.unit = NULL;
	f.drill = drill;
	f.units = api_scope_units(&sc);		/* unit= and the token's */
	cur.due_at = due;
	cur.id = id;
	pg.scoped = sc.limited;
	c.pager = api_pager_new(&api_compliance_list, &pg);
	c.rules = ctx->rules;
	rc = store_ledger_page(ctx->store, &f, &cur, API_PAGE_SCAN,
	    api_compliance_row_cb, &c);
	api_pager_reply(req, c.pager, rc, query);
	api_page_end(&pg);
	api_scope_end(&sc);
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
