/*
 * The organisation as the API shows it (SPEC §5a): GET /v1/units, the
 * units the site declares, GET /v1/categories, what their reports may
 * be about, and GET /v1/compliance/summary, the ledger
 * counted per unit and rolled up the tree (ledger.c).  Both are scoped
 * like every read (api-scope.c): a token limited to units sees its own
 * and those below them.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "api.h"
#include "clock.h"
#include "http.h"
#include "ledger.h"
#include "rules.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

/* Rows counted: each unit times each status, for the largest county. */
#define API_SUMMARY_ROWS	(20000 * OBLIGATION__COUNT)

static json_t *
api_unit_json(const struct unit *u)
{
	return (json_pack("{s:s, s:o, s:o, s:o}",
	    "id", u->id,
	    "name", api_text(u->name),
	    "parent", api_text(u->parent),
	    "kind", api_text(u->kind)));
}

/* GET /v1/units: the declared units, in the order declared. */
void
api_units(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	const struct unit	*u;
	struct api_scope	 sc;
	json_t			*a;
	size_t			 i;

	if (api_scope_start(req, ctx, &sc) != 0)
		return;
	a = json_array();
	for (i = 0; i < rules_unit_count(ctx->rules); i++) {
		u = rules_unit(ctx->rules, i);
		if (api_scope_has(&sc, u->id))
			json_array_append_new(a, api_unit_json(u));
	}
	api_scope_end(&sc);
	http_reply_json(req, 200, json_pack("{s:o}", "units", a));
}

/*
 * GET /v1/categories: what a report may say, for the board's forms — the
 * categories the site's procedures take (a report of another category is
 * taken too, but no procedure times it: event.unmatched), each with the
 * title of the first procedure that takes it, and the grades with their
 * names.  The same for every token that may read: the categories are the
 * site's, not a unit's.
 */
void
api_categories(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	const struct procedure	*p;
	const char		*c;
	struct api_scope	 sc;
	json_t			*cats, *grades;
	size_t			 i;
	int			 g;

	if (api_scope_start(req, ctx, &sc) != 0)
		return;
	api_scope_end(&sc);
	cats = json_array();
	for (i = 0; i < rules_category_count(ctx->rules); i++) {
		c = rules_category(ctx->rules, i, &p);
		json_array_append_new(cats, json_pack("{s:s, s:o, s:s}",
		    "category", c, "title", api_text(p->title),
		    "procedure", p->name));
	}
	grades = json_array();
	for (g = GRADE_MIN; g <= GRADE_MAX; g++)
		json_array_append_new(grades, json_pack("{s:i, s:s, s:s, s:s}",
		    "grade", g, "roman", grade_name(g, GRADE_FORM_ROMAN),
		    "name", grade_name(g, GRADE_FORM_CHINESE),
		    "label", grade_name(g, GRADE_FORM_LABEL)));
	http_reply_json(req, 200, json_pack("{s:o, s:o}", "categories", cats,
	    "grades", grades));
}

static int
api_summary_cb(const char *unit, enum obligation_status st, int64_t n,
    void *arg)
{
	ledger_add(arg, unit, st, n);
	return (0);
}

static json_t *
api_summary_counts(const int64_t *counts)
{
	json_t	*o = json_object();
	int64_t	 total = 0;
	size_t	 i;

	for (i = 0; i < OBLIGATION__COUNT; i++) {
		json_object_set_new(o, obligation_status_name(i),
		    json_integer(counts[i]));
		total += counts[i];
	}
	json_object_set_new(o, "total", json_integer(total));
	return (o);
}

/* One unit's row: its own counts (by=unit) or its subtree's (by=parent). */
static json_t *
api_summary_row(const struct ledger_row *row, const struct rules *r,
    int by_parent)
{
	const struct unit	*u = rules_unit_find(r, row->unit);
	json_t			*o;

	o = json_pack("{s:o, s:o, s:o, s:o}",
	    "unit", row->unit[0] != '\0' ? json_string(row->unit) : json_null(),
	    "name", api_text(u != NULL ? u->name : NULL),
	    "parent", api_text(u != NULL ? u->parent : NULL),
	    "counts", api_summary_counts(by_parent ? row->total : row->own));
	if (by_parent)
		json_object_set_new(o, "own", api_summary_counts(row->own));
	return (o);
}

/* from= and to= as the ledger reads them; -1 after answering 400. */
static int
api_summary_range(struct evhttp_request *req, int64_t *from, int64_t *to)
{
	char	*from_s = http_query(req, "from"), *to_s = http_query(req, "to");
	int64_t	 now = clock_now();
	int	 rc = 0;

	*from = now - 30 * MSEC_PER_DAY;
	*to = now + MSEC_PER_DAY;
	if ((from_s != NULL && api_time_param(from_s, from) != 0) ||
	    (to_s != NULL && api_time_param(to_s, to) != 0)) {
		http_reply_error(req, 400, "invalid_value", NULL, "from and to "
		    "are RFC 3339 times or dates YYYY-MM-DD");
		rc = -1;
	}
	free(from_s);
	free(to_s);
	return (rc);
}

/*
 * A summary counted a slice a loop turn (api-slice.c): API_SUMMARY_SLICE
 * obligations in the order they fall due (obligations_due), so that
 * /healthz, ingest and the timers wait for one slice, not for the
 * ledger's hundred thousand rows.
 */
#define API_SUMMARY_SLICE	1000

struct api_summary_job {
	const struct api_ctx	*ctx;
	struct api_scope	 sc;
	struct ledger		*l;
	int64_t			 at, to;	/* counted up to at */
	int64_t			 from;
	int			 by_parent;
	enum store_drill	 drill;
	const char		*drill_name;
};

static void
api_summary_free(void *arg)
{
	struct api_summary_job	*j = arg;

	ledger_free(j->l);
	api_scope_end(&j->sc);
	free(j);
}

static void
api_summary_reply(struct evhttp_request *req, void *arg)
{
	struct api_summary_job	*j = arg;
	const struct ledger_row	*row;
	json_t			*a = json_array();
	size_t			 i;

	if (j->by_parent)
		ledger_rollup(j->l, j->ctx->rules);
	for (i = 0; i < ledger_count(j->l); i++) {
		row = ledger_row(j->l, i);
		if (api_scope_has(&j->sc, row->unit))
			json_array_append_new(a, api_summary_row(row,
			    j->ctx->rules, j->by_parent));
	}
	http_reply_json(req, 200, json_pack("{s:o, s:o, s:s, s:s, s:o}",
	    "from", api_time(j->from), "to", api_time(j->to),
	    "by", j->by_parent ? "parent" : "unit", "drill", j->drill_name,
	    "units", a));
}

/* Count one slice; 1 when the ledger is counted, 0 for more, -1 failed. */
static int
api_summary_slice(void *arg)
{
	struct api_summary_job	*j = arg;
	int64_t			 end;

	if (store_ledger_slice_end(j->ctx->store, j->at, j->to,
	    API_SUMMARY_SLICE, &end) != 0 ||
	    store_ledger_counts(j->ctx->store, j->at, end,
	    api_scope_units(&j->sc), j->drill, API_SUMMARY_ROWS, api_summary_cb,
	    j->l) != 0)
		return (-1);
	j->at = end;
	return (end >= j->to);
}

static const struct api_slice_ops api_summary_ops = {
	.step = api_summary_slice,
	.reply = api_summary_reply,
	.free = api_summary_free,
	.reloaded = "the site was reloaded while the summary was counted: "
	    "ask again",
};

/*
 * GET /v1/compliance/summary?from=&to=&unit=&subtree=1&by=unit|parent:
 * the ledger's counts per unit; by=parent adds each unit's into its
 * ancestors', and shows a unit only if it is in the scope asked.  The
 * first slice is counted now, the rest at later loop turns.
 */
void
api_compliance_summary(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	struct api_summary_job	*j;
	char			*by = http_query(req, "by");
	int			 by_parent;

	by_parent = by != NULL && strcmp(by, "parent") == 0;
	if (by != NULL && !by_parent && strcmp(by, "unit") != 0) {
		http_reply_error(req, 400, "invalid_value", "by", "by is unit "
		    "(each unit's own) or parent (rolled up the tree)");
		free(by);
		return;
	}
	free(by);
	j = xcalloc(1, sizeof(*j));
	if (api_summary_range(req, &j->from, &j->to) != 0 ||
	    api_drill_param(req, &j->drill, &j->drill_name) != 0 ||
	    api_scope_start(req, ctx, &j->sc) != 0) {
		free(j);
		return;
	}
	j->ctx = ctx;
	j->l = ledger_new();
	j->at = j->from;
	j->by_parent = by_parent;
	api_slice_start(req, &api_summary_ops, j);
}
