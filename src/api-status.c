/*
 * GET /v1/status: what an operator asks first (`tocsinctl status`).  The
 * version and uptime, the rules and their reloads, open incidents by
 * grade, obligations pending and breached, the outbox by status, the next
 * deadline and what it concerns, the database file, and the last prune.
 * Counts come from the store, not from counters, so they survive restarts.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <event2/http.h>

#include "api.h"
#include "calendar.h"
#include "clock.h"
#include "daemon.h"
#include "metrics.h"
#include "engine.h"
#include "http.h"
#include "prune.h"
#include "rules.h"
#include "store-legacy.h"	/* phase 2 of issue 15 removes it */
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

/* How a timer row is described: its kind's name and what ref names. */
enum api_ref { REF_OBLIGATION, REF_ESCALATION, REF_RECURRING };
static const struct api_timer_kind {
	int		 kind;
	const char	*name;
	enum api_ref	 ref;
} api_timer_kinds[] = {
	{ TIMER_OBLIGATION_DUE, "obligation.due", REF_OBLIGATION },
	{ TIMER_OBLIGATION_REMIND, "obligation.remind", REF_OBLIGATION },
	{ TIMER_OBLIGATION_CLOSE, "obligation.close", REF_OBLIGATION },
	{ TIMER_ESCALATION_STEP, "escalation.step", REF_ESCALATION },
	{ TIMER_RECURRING_OPEN, "recurring.open", REF_RECURRING },
};

static const char *api_grade_names[] = { "ungraded", "I", "II", "III", "IV" };
static const char *api_outbox_states[] = { "queued", "sending", "failed",
    "delivered", "dead" };

/* Rows of (name, count) into o, on top of the keys it already has. */
static int
api_status_counts(struct store *s, enum store_stmt which, json_t *o,
    int by_grade)
{
	sqlite3_stmt	*st = store_stmt(s, which, NULL);
	const char	*name;
	int		 rc, g;

	while ((rc = store_step(s, st)) == SQLITE_ROW) {
		if (by_grade) {
			g = sqlite3_column_int(st, 0);
			name = api_grade_names[g >= GRADE_MIN && g <= GRADE_MAX ?
			    g : GRADE_NONE];
		} else
			name = store_column_text(st, 0);
		json_object_set_new(o, name, json_integer(
		    json_integer_value(json_object_get(o, name)) +
		    sqlite3_column_int64(st, 1)));
	}
	if (st != NULL)
		sqlite3_reset(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

/* Every name at 0, in order, except that last (if >= 0) comes last. */
static json_t *
api_zeroes(const char **names, size_t n, ssize_t last)
{
	json_t	*o = json_object();
	size_t	 i;

	for (i = 0; i < n; i++) {
		if ((ssize_t)i != last)
			json_object_set_new(o, names[i], json_integer(0));
	}
	if (last >= 0)
		json_object_set_new(o, names[last], json_integer(0));
	return (o);
}

/* What an obligation timer is about: fields of the obligation row. */
static int
api_status_obligation(struct store *s, int64_t id, json_t *o)
{
	sqlite3_stmt	*st = store_stmt(s, STMT_OBLIGATION_GET, "i", id);
	int		 rc;

	if ((rc = store_step(s, st)) == SQLITE_ROW) {
		json_object_set_new(o, "incident", api_json_text(st,
		    OBL_INCIDENT));
		json_object_set_new(o, "recurring", api_json_text(st,
		    OBL_RECURRING));
		json_object_set_new(o, "unit", api_json_text(st, OBL_UNIT));
		json_object_set_new(o, "procedure", api_json_text(st,
		    OBL_PROCEDURE));
		json_object_set_new(o, "obligation", api_json_text(st,
		    OBL_NAME));
		json_object_set_new(o, "title", api_json_text(st, OBL_TITLE));
		json_object_set_new(o, "due_at", api_json_time(st,
		    OBL_DUE_AT));
	}
	if (st != NULL)
		sqlite3_reset(st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1);
}

/* An escalation timer: the incident, the policy and the step to come. */
static int
api_status_escalation(struct store *s, const struct rules *r, int64_t id,
    json_t *o)
{
	sqlite3_stmt		*st = store_stmt(s, STMT_ESCALATION_GET, "i",
				    id);
	const struct policy	*pol;
	int64_t			 obligation = 0;
	int			 rc, step;

	if ((rc = store_step(s, st)) == SQLITE_ROW) {
		json_object_set_new(o, "policy", api_json_text(st, ESC_POLICY));
		pol = rules_policy_find(r, store_column_text(st, ESC_POLICY));
		step = sqlite3_column_int(st, ESC_STEP);
		if (pol != NULL && (size_t)step >= pol->nsteps)
			json_object_set_new(o, "repeat", json_integer(
			    sqlite3_column_int(st, ESC_REPEATS) + 1));
		else
			json_object_set_new(o, "step", json_integer(step + 1));
		obligation = sqlite3_column_int64(st, ESC_OBLIGATION);
	}
	if (st != NULL)
		sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return (rc == SQLITE_DONE ? 0 : -1);
	return (api_status_obligation(s, obligation, o));
}

static int
api_status_recurring(struct store *s, int64_t id, json_t *o)
{
	sqlite3_stmt	*st = store_stmt(s, STMT_RECURRING_GET, "i", id);
	int		 rc;

	if ((rc = store_step(s, st)) == SQLITE_ROW)
		json_object_set_new(o, "recurring", api_json_text(st, 0));
	if (st != NULL)
		sqlite3_reset(st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1);
}

/*
 * The earliest timer in the store (the heap may hold cancelled entries)
 * and what it concerns; json null when nothing is pending.
 */
static int
api_status_next(struct store *s, const struct rules *r, json_t **next)
{
	sqlite3_stmt	*st = store_stmt(s, STMT_TIMER_NEXT, NULL);
	int64_t		 at = 0, ref = 0;
	int		 rc, kind = 0;
	size_t		 i;
	json_t		*o;

	*next = json_null();
	if ((rc = store_step(s, st)) == SQLITE_ROW) {
		at = sqlite3_column_int64(st, 1);
		kind = sqlite3_column_int(st, 2);
		ref = sqlite3_column_int64(st, 3);
	}
	if (st != NULL)
		sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return (rc == SQLITE_DONE ? 0 : -1);
	o = json_object();
	*next = o;
	json_object_set_new(o, "at", api_time(at));
	json_object_set_new(o, "in_s", json_integer((at - clock_now()) /
	    MSEC_PER_SEC));
	for (i = 0; i < nitems(api_timer_kinds); i++) {
		if (api_timer_kinds[i].kind != kind)
			continue;
		json_object_set_new(o, "kind",
		    json_string(api_timer_kinds[i].name));
		switch (api_timer_kinds[i].ref) {
		case REF_OBLIGATION:
			return (api_status_obligation(s, ref, o));
		case REF_ESCALATION:
			return (api_status_escalation(s, r, ref, o));
		case REF_RECURRING:
			return (api_status_recurring(s, ref, o));
		}
	}
	json_object_set_new(o, "kind", json_integer(kind));
	return (0);
}

static json_t *
api_status_database(struct store *s)
{
	struct store_info	 info;
	struct stat		 sb;
	char			*wal;
	json_t			*o;

	if (store_info(s, &info) != 0)
		return (NULL);
	o = json_pack("{s:s, s:I, s:I, s:I, s:I}", "path", info.path,
	    "size_bytes", (json_int_t)(stat(info.path, &sb) == 0 ?
	    sb.st_size : 0), "page_size", (json_int_t)info.page_size,
	    "pages", (json_int_t)info.pages, "free_pages",
	    (json_int_t)info.free_pages);
	xasprintf(&wal, "%s-wal", info.path);
	json_object_set_new(o, "wal_bytes", json_integer(stat(wal, &sb) == 0 ?
	    sb.st_size : 0));
	free(wal);
	return (o);
}

static json_t *
api_status_rules(const struct api_ctx *ctx)
{
	const struct daemon_info	*di = ctx->info;
	const struct rules		*r = ctx->rules;
	uint64_t			 ok, failed;

	metrics_reloads_get(&ok, &failed);
	return (json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "loaded_at", api_time(di->rules_loaded_at),
	    "procedures", (json_int_t)rules_procedure_count(r),
	    "policies", (json_int_t)rules_policy_count(r),
	    "recurring", (json_int_t)rules_recurring_count(r),
	    "channels", (json_int_t)rules_channel_count(r),
	    "reloads_ok", (json_int_t)ok,
	    "reloads_failed", (json_int_t)failed));
}

/*
 * The holiday calendar (SPEC §5): whether the national one applies, and
 * for the years a deadline set now can reach, whether each is provisional
 * (no State Council notice yet) and the notice it follows.  The board
 * shows the same.
 */
json_t *
api_calendar(const struct rules *r)
{
	const struct calendar	*cal = rules_calendar(r);
	const char		*source;
	int			 years[2];
	size_t			 i, n = calendar_years_ahead(clock_now(), years);
	json_t			*list = json_array(), *y;

	for (i = 0; i < n; i++) {
		y = json_pack("{s:i, s:b}", "year", years[i], "provisional",
		    calendar_provisional(cal, years[i]));
		if ((source = calendar_source(cal, years[i])) != NULL)
			json_object_set_new(y, "source", json_string(source));
		json_array_append_new(list, y);
	}
	return (json_pack("{s:b, s:o}", "national", calendar_national(cal),
	    "years", list));
}

void
api_status(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	const struct daemon_info	*di = ctx->info;
	struct store			*s = ctx->store;
	json_t				*grades, *obligations, *outbox, *next;
	json_t				*db, *prune, *incidents;
	char				 site[PATH_MAX];
	int				 failed = 0;
	size_t				 i;

	grades = api_zeroes(api_grade_names, nitems(api_grade_names),
	    GRADE_NONE);
	obligations = json_pack("{s:i, s:i}", "pending", 0, "breached", 0);
	outbox = api_zeroes(api_outbox_states, nitems(api_outbox_states), -1);
	failed |= api_status_counts(s, STMT_INCIDENTS_OPEN_BY_GRADE, grades,
	    1);
	failed |= api_status_counts(s, STMT_OBLIGATION_COUNT_BY_STATUS,
	    obligations, 0);
	failed |= api_status_counts(s, STMT_OUTBOX_COUNT_BY_STATUS, outbox, 0);
	failed |= api_status_next(s, ctx->rules, &next);
	if ((db = api_status_database(s)) == NULL)
		failed = 1;
	if (failed) {
		json_decref(grades);
		json_decref(obligations);
		json_decref(outbox);
		json_decref(next);
		json_decref(db);
		http_reply_error(req, 503, "store_failed", NULL,
		    "the store did not answer");
		return;
	}
	incidents = json_pack("{s:I, s:o}", "open", (json_int_t)0,
	    "open_by_grade", grades);
	for (i = 0; i < nitems(api_grade_names); i++)
		json_object_set_new(incidents, "open", json_integer(
		    json_integer_value(json_object_get(incidents, "open")) +
		    json_integer_value(json_object_get(grades,
		    api_grade_names[i]))));
	if (realpath(di->site, site) == NULL)
		snprintf(site, sizeof(site), "%s", di->site);
	if ((prune = prune_json(ctx->prune)) == NULL)
		prune = json_null();
	http_reply_json(req, 200, json_pack("{s:s, s:o, s:I, s:s, s:o, s:o, "
	    "s:o, s:o, s:o, s:o, s:o, s:o}",
	    "version", TOCSIN_VERSION,
	    "started_at", api_time(di->started_at),
	    "uptime_s", (json_int_t)((clock_now() - di->started_at) /
	    MSEC_PER_SEC),
	    "site", site,
	    "rules", api_status_rules(ctx),
	    "incidents", incidents,
	    "obligations", obligations,
	    "outbox", outbox,
	    "next_deadline", next,
	    "database", db,
	    "prune", prune,
	    "calendar", api_calendar(ctx->rules)));
}
