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
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

/* What an obligation timer is about: fields of the obligation row. */
static int
api_status_obligation(struct store *s, const struct rules *r, int64_t id,
    json_t *o)
{
	struct store_obligation	 ob;
	int			 rc;

	if ((rc = store_obligation_get(s, id, &ob)) != 1)
		return (rc);
	json_object_set_new(o, "incident", api_text(ob.incident));
	json_object_set_new(o, "recurring", api_text(ob.recurring));
	json_object_set_new(o, "unit", api_text(ob.unit));
	json_object_set_new(o, "unit_name", api_unit_name(r, ob.unit));
	json_object_set_new(o, "procedure", api_text(ob.procedure));
	json_object_set_new(o, "obligation", api_text(ob.name));
	json_object_set_new(o, "title", api_text(ob.title));
	json_object_set_new(o, "due_at", api_time(ob.due_at));
	store_obligation_clear(&ob);
	return (0);
}

/* An escalation timer: the incident, the policy and the step to come. */
static int
api_status_escalation(struct store *s, const struct rules *r, int64_t id,
    json_t *o)
{
	struct store_escalation	 e;
	const struct policy	*pol;
	int64_t			 obligation;
	int			 rc;

	if ((rc = store_escalation_get(s, id, &e)) != 1)
		return (rc);
	json_object_set_new(o, "policy", api_text(e.policy));
	pol = rules_policy_find(r, e.policy);
	if (pol != NULL && (size_t)e.step >= pol->nsteps)
		json_object_set_new(o, "repeat", json_integer(e.repeats + 1));
	else
		json_object_set_new(o, "step", json_integer(e.step + 1));
	obligation = e.obligation;
	store_escalation_clear(&e);
	return (api_status_obligation(s, r, obligation, o));
}

static int
api_status_recurring(struct store *s, int64_t id, json_t *o)
{
	struct store_recurring	 rec;
	int			 rc;

	if ((rc = store_recurring_get(s, id, &rec)) != 1)
		return (rc);
	json_object_set_new(o, "recurring", api_text(rec.name));
	store_recurring_clear(&rec);
	return (0);
}

/* A person's own next notify_rules step: whom, which, and its concern. */
static int
api_status_personal(struct store *s, const struct rules *r, int64_t id,
    json_t *o)
{
	struct store_personal	 p;
	int64_t			 obligation;
	int			 rc;

	if ((rc = store_personal_get(s, id, &p)) != 1)
		return (rc);
	json_object_set_new(o, "person", api_text(p.person));
	json_object_set_new(o, "personal_step", json_integer(p.step));
	if (p.incident != NULL)
		json_object_set_new(o, "incident", api_text(p.incident));
	obligation = p.obligation;
	store_personal_clear(&p);
	return (obligation > 0 ? api_status_obligation(s, r, obligation, o) :
	    0);
}

/*
 * The earliest timer in the store (the heap may hold cancelled entries)
 * and what it concerns; json null when nothing is pending.
 */
static int
api_status_next(struct store *s, const struct rules *r, json_t **next)
{
	const struct engine_timer_info	*kind;
	struct store_timer		 t;
	int				 rc;
	json_t				*o;

	*next = json_null();
	if ((rc = store_timer_next(s, &t)) != 1)
		return (rc);
	o = json_object();
	*next = o;
	json_object_set_new(o, "at", api_time(t.at));
	json_object_set_new(o, "in_s", json_integer((t.at - clock_now()) /
	    MSEC_PER_SEC));
	/* The engine's one table of timer kinds names it and its ref. */
	if ((kind = engine_timer_info(t.kind)) == NULL) {
		json_object_set_new(o, "kind", json_integer(t.kind));
		return (0);
	}
	json_object_set_new(o, "kind", json_string(kind->name));
	switch (kind->owner) {
	case STORE_TIMER_OF_OBLIGATION:
		return (api_status_obligation(s, r, t.ref, o));
	case STORE_TIMER_OF_ESCALATION:
		return (api_status_escalation(s, r, t.ref, o));
	case STORE_TIMER_OF_RECURRING:
		return (api_status_recurring(s, t.ref, o));
	case STORE_TIMER_OF_SITE:	/* the kind says all: "handover" */
		break;
	case STORE_TIMER_OF_PERSONAL:
		return (api_status_personal(s, r, t.ref, o));
	}
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

/* Counts by name into a new object, the names in the order given. */
static json_t *
api_status_counts(const int64_t *counts, const char *(*name)(int),
    const int *order, size_t n)
{
	json_t	*o = json_object();
	size_t	 i;

	for (i = 0; i < n; i++)
		json_object_set_new(o, name(order[i]), json_integer(
		    counts[order[i]]));
	return (o);
}

static const char *
api_status_grade(int g)
{
	return (grade_name(g, GRADE_FORM_ROMAN));
}

static const char *
api_status_obligation_name(int v)
{
	return (obligation_status_name((enum obligation_status)v));
}

static const char *
api_status_outbox_name(int v)
{
	return (outbox_status_name((enum outbox_status)v));
}

/* The gravest grade first, ungraded last; open obligations; the outbox. */
static const int api_status_grades[] = { 1, 2, 3, 4, GRADE_NONE };
static const int api_status_obligations[] = { OBLIGATION_PENDING,
    OBLIGATION_BREACHED };
static const int api_status_outbox[] = { OUTBOX_QUEUED, OUTBOX_SENDING,
    OUTBOX_FAILED, OUTBOX_DELIVERED, OUTBOX_DEAD };

void
api_status(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	const struct daemon_info	*di = ctx->info;
	struct store			*s = ctx->store;
	int64_t				 grades[GRADE_MAX + 1] = { 0 };
	int64_t				 obligations[OBLIGATION__COUNT] = { 0 };
	int64_t				 outbox[OUTBOX__COUNT] = { 0 };
	int64_t				 open = 0, inbox = 0;
	json_t				*next, *db, *prune, *incidents, *cluster;
	char				 site[PATH_MAX];
	int				 failed = 0;
	size_t				 i;

	/* It names incidents and counts every unit's: whole-site tokens. */
	if (api_scope_whole(req, ctx) != 0)
		return;
	failed |= store_incidents_open_by_grade(s, grades) != 0;
	failed |= store_obligations_count_open(s, obligations) != 0;
	failed |= store_messages_count(s, outbox) != 0;
	failed |= api_status_next(s, ctx->rules, &next) != 0;
	if ((db = api_status_database(s)) == NULL)
		failed = 1;
	if ((cluster = api_leader_json(ctx)) == NULL)
		failed = 1;
	else if (store_has_lease(s)) {
		/* Files standbys forwarded that the leader has yet to take. */
		failed |= store_inbox_count(s, &inbox) != 0;
		json_object_set_new(cluster, "spool_inbox",
		    json_integer(inbox));
	}
	if (failed) {
		json_decref(next);
		json_decref(db);
		json_decref(cluster);
		http_reply_error(req, 503, "store_failed", NULL,
		    "the store did not answer");
		return;
	}
	for (i = 0; i < nitems(grades); i++)
		open += grades[i];
	incidents = json_pack("{s:I, s:o}", "open", (json_int_t)open,
	    "open_by_grade", api_status_counts(grades, api_status_grade,
	    api_status_grades, nitems(api_status_grades)));
	if (realpath(di->site, site) == NULL)
		snprintf(site, sizeof(site), "%s", di->site);
	if ((prune = prune_json(ctx->prune)) == NULL)
		prune = json_null();
	http_reply_json(req, 200, json_pack("{s:s, s:o, s:I, s:s, s:o, s:o, "
	    "s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "version", TOCSIN_VERSION,
	    "started_at", api_time(di->started_at),
	    "uptime_s", (json_int_t)((clock_now() - di->started_at) /
	    MSEC_PER_SEC),
	    "site", site,
	    "rules", api_status_rules(ctx),
	    "incidents", incidents,
	    "obligations", api_status_counts(obligations,
	    api_status_obligation_name, api_status_obligations,
	    nitems(api_status_obligations)),
	    "outbox", api_status_counts(outbox, api_status_outbox_name,
	    api_status_outbox, nitems(api_status_outbox)),
	    "next_deadline", next,
	    "database", db,
	    "cluster", cluster,
	    "prune", prune,
	    "calendar", api_calendar(ctx->rules)));
}
