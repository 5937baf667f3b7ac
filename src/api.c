/*
 * What the API's handlers share: how a time, a text, a grade, an incident
 * and its parts, and the holiday calendar read in JSON, and how a time in
 * a query is parsed.  One representation each, so that an incident reads
 * the same in /v1/incidents, /v1/incidents/{key} and an ack link's page.
 * Rows come from the store (store.h) and are only read here.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "calendar.h"
#include "clock.h"
#include "rules.h"
#include "store.h"
#include "tocsin.h"

#define API_LIST_MAX	1000	/* an incident's notifications shown */

/* A time as RFC 3339 text in the site zone; null for 0 (none). */
json_t *
api_time(int64_t t)
{
	char	buf[CALENDAR_TIME_MAX];

	if (t == 0)
		return (json_null());
	calendar_format(t, buf, sizeof(buf));
	return (json_string(buf));
}

/* A text as a JSON string; null for NULL. */
json_t *
api_text(const char *s)
{
	return (s != NULL ? json_string(s) : json_null());
}

/*
 * A unit's declared name, shown beside its id wherever a unit is (issue
 * 16: people read 刘庄乡卫生院, not wsy-liuzhuang); null when the site does
 * not declare the unit, or declares it without a name.
 */
json_t *
api_unit_name(const struct rules *r, const char *unit)
{
	const struct unit	*u;

	u = r != NULL ? rules_unit_find(r, unit) : NULL;
	return (api_text(u != NULL ? u->name : NULL));
}

/*
 * Who a person or group id is, by the site's people: their declared
 * name (刘明, 办公室), so that an acknowledgement or a message reads as
 * the name the duty room knows; null for anyone else (值班室, a free
 * text some client sent).
 */
json_t *
api_person_name(const struct rules *r, const char *id)
{
	const struct person	*p;
	const struct group	*g;

	if (r == NULL || id == NULL)
		return (json_null());
	if ((p = rules_person_find(r, id)) != NULL)
		return (api_text(p->name));
	if ((g = rules_group_find(r, id)) != NULL)
		return (api_text(g->name));
	return (json_null());
}

/* A grade as its number; null when ungraded. */
json_t *
api_grade(int grade)
{
	return (grade != GRADE_NONE ? json_integer(grade) : json_null());
}

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

/* Stored JSON text as a value; null when there is none or it is not JSON. */
static json_t *
api_stored_json(const char *s)
{
	json_t	*v = s != NULL ? json_loads(s, 0, NULL) : NULL;

	return (v != NULL ? v : json_null());
}

json_t *
api_incident_json(const struct store_incident *inc, const struct rules *r)
{
	json_t	*o = json_object();

	json_object_set_new(o, "key", api_text(inc->key));
	json_object_set_new(o, "unit", api_text(inc->unit));
	json_object_set_new(o, "unit_name", api_unit_name(r, inc->unit));
	json_object_set_new(o, "category", api_text(inc->category));
	json_object_set_new(o, "title", api_text(inc->title));
	json_object_set_new(o, "grade", api_grade(inc->grade));
	json_object_set_new(o, "state", json_string(incident_state_name(
	    inc->state)));
	json_object_set_new(o, "procedures", api_stored_json(inc->procedures));
	json_object_set_new(o, "opened_at", api_time(inc->opened_at));
	json_object_set_new(o, "occurred_at", api_time(inc->occurred_at));
	json_object_set_new(o, "acknowledged_at", api_time(inc->acked_at));
	json_object_set_new(o, "acknowledged_by", api_text(inc->acked_by));
	json_object_set_new(o, "acknowledged_by_name", api_person_name(r,
	    inc->acked_by));
	json_object_set_new(o, "resolved_at", api_time(inc->resolved_at));
	json_object_set_new(o, "updated_at", api_time(inc->updated_at));
	json_object_set_new(o, "drill", json_boolean(inc->drill));
	/* Set once retention removed its events, timeline and messages. */
	if (inc->pruned_at != 0)
		json_object_set_new(o, "pruned_at", api_time(inc->pruned_at));
	return (o);
}

/*
 * What is known of a message past tocsin: the provider's later word
 * (delivered or failed on the handset; a call answered, unanswered, busy)
 * when one came, else "accepted" once a gateway or robot took it; null
 * before that, or when it was refused (status and last_error say so).
 */
static json_t *
api_receipt_json(const struct store_message *m)
{
	if (m->receipt_status != NULL)
		return (json_pack("{s:s, s:o, s:o}", "status",
		    m->receipt_status, "at", api_time(m->receipt_at),
		    "detail", api_text(m->receipt_detail)));
	if (m->status == OUTBOX_DELIVERED)
		return (json_pack("{s:s, s:o, s:n}", "status", "accepted",
		    "at", api_time(m->delivered_at), "detail"));
	return (json_null());
}

json_t *
api_notification_json(const struct store_message *m)
{
	return (json_pack("{s:o, s:o, s:o, s:o, s:o, s:s, s:i, s:o, s:o, "
	    "s:o, s:o, s:o}",
	    "key", api_text(m->key),
	    "incident", api_text(m->incident),
	    "channel", api_text(m->channel),
	    "recipient", api_text(m->recipient),
	    "role", api_text(m->role),
	    "status", outbox_status_name(m->status),
	    "attempts", m->attempts,
	    "created_at", api_time(m->created_at),
	    "next_at", api_time(m->next_at),
	    "delivered_at", api_time(m->delivered_at),
	    "last_error", api_text(m->last_error),
	    "receipt", api_receipt_json(m)));
}

/* The incident's parts, each appended to the array arg. */
static int
api_obligation_cb(const struct store_obligation *ob, void *arg)
{
	json_array_append_new(arg, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:o, s:s, s:o, s:i, s:i}",
	    "id", api_text(ob->name),
	    "procedure", api_text(ob->procedure),
	    "title", api_text(ob->title),
	    "owner", api_text(ob->owner),
	    "set_at", api_time(ob->set_at),
	    "due_at", api_time(ob->due_at),
	    "met_at", api_time(ob->met_at),
	    "status", obligation_status_name(ob->status),
	    "instance", api_instance(ob),
	    "met_count", api_met_count(ob),
	    "needed", ob->needed));
	return (0);
}

/* The instance of a repeating obligation, null for one that does not. */
json_t *
api_instance(const struct store_obligation *ob)
{
	return (ob->instance > 0 ? json_integer(ob->instance) : json_null());
}

/* How many of the events it needs have come: all of them once it is met. */
int
api_met_count(const struct store_obligation *ob)
{
	if (ob->status == OBLIGATION_MET || ob->status == OBLIGATION_LATE)
		return (ob->needed);
	return (ob->met_count);
}

static int
api_escalation_cb(const struct store_escalation *e, void *arg)
{
	json_array_append_new(arg, json_pack("{s:o, s:I, s:o, s:i, s:i, s:s}",
	    "policy", api_text(e->policy),
	    "obligation", (json_int_t)e->obligation,
	    "started_at", api_time(e->started_at),
	    "step", e->step,
	    "repeats", e->repeats,
	    "state", escalation_state_name(e->state)));
	return (0);
}

static int
api_notification_cb(const struct store_message *m, int keep, void *arg)
{
	json_array_append_new(arg, api_notification_json(m));
	return (0);
}

static int
api_event_cb(const struct store_event *ev, void *arg)
{
	json_t	*o = api_stored_json(ev->body);

	if (json_is_object(o))
		json_object_set_new(o, "seq", json_integer(ev->seq));
	json_array_append_new(arg, o);
	return (0);
}

static int
api_action_cb(const struct store_action *a, void *arg)
{
	json_array_append_new(arg, api_stored_json(a->body));
	return (0);
}

/* The whole incident, or NULL when there is none with that key. */
json_t *
api_incident_load(struct store *s, const struct rules *r, const char *key,
    int full)
{
	struct store_message_filter	 f = { key, NULL, NULL };
	struct store_incident		 inc;
	json_t				*o, *a, *m;
	size_t				 i;

	if (store_incident_get(s, key, &inc) != 1)
		return (NULL);
	o = api_incident_json(&inc, r);
	store_incident_clear(&inc);
	if (!full)
		return (o);
	/* A part the store fails to list shows what it listed. */
	a = json_array();
	(void)store_obligations_of_incident(s, key, api_obligation_cb, a);
	json_object_set_new(o, "obligations", a);
	a = json_array();
	(void)store_escalations_of_incident(s, key, api_escalation_cb, a);
	json_object_set_new(o, "escalations", a);
	a = json_array();
	(void)store_messages_page(s, &f, NULL, API_LIST_MAX,
	    api_notification_cb, a);
	json_array_foreach(a, i, m)
		json_object_set_new(m, "recipient_name", api_person_name(r,
		    json_string_value(json_object_get(m, "recipient"))));
	json_object_set_new(o, "notifications", a);
	a = json_array();
	(void)store_events_of_incident(s, key, api_event_cb, a);
	json_object_set_new(o, "events", a);
	a = json_array();
	(void)store_actions_of_incident(s, key, api_action_cb, a);
	json_object_set_new(o, "timeline", a);
	return (o);
}

/*
 * The holiday calendar (SPEC §5): whether the national one applies, and
 * for the years a deadline set now can reach, whether each is provisional
 * (no State Council notice yet) and the notice it follows.  The status
 * and the board show the same.
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
