/*
 * Render an action as the one-line JSON of SPEC §6.  Field order is fixed
 * here, once, so the output is byte-for-byte stable across runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "jsonw.h"
#include "log.h"
#include "timeline.h"
#include "tocsin.h"

static void
timeline_set(json_t *o, const char *key, const char *value)
{
	if (value != NULL)
		json_object_set_new(o, key, json_string(value));
}

/* Through jansson: the reference for what timeline_json() writes. */
char *
timeline_json_jansson(const struct action *a)
{
	json_t		*o, *v;
	const char	*key;
	char		 at[CALENDAR_TIME_MAX], *s;

	o = json_object();
	calendar_format(a->at, at, sizeof(at));
	timeline_set(o, "at", at);
	timeline_set(o, "kind", a->kind);
	timeline_set(o, "incident", a->incident);
	timeline_set(o, "recurring", a->recurring);
	timeline_set(o, "unit", a->unit);
	if (a->grade > 0)
		json_object_set_new(o, "grade", json_integer(a->grade));
	timeline_set(o, "procedure", a->procedure);
	timeline_set(o, "obligation", a->obligation);
	timeline_set(o, "policy", a->policy);
	if (a->step > 0)
		json_object_set_new(o, "step", json_integer(a->step));
	timeline_set(o, "role", a->role);
	timeline_set(o, "recipient", a->recipient);
	timeline_set(o, "channel", a->channel);
	if (a->extra != NULL) {
		json_object_foreach(a->extra, key, v)
			json_object_set(o, key, v);
	}
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		fatalx("timeline_json: cannot encode");
	return (s);
}

static const char *timeline_keys[] = {
	"at", "kind", "incident", "recurring", "unit", "grade", "procedure",
	"obligation", "policy", "step", "role", "recipient", "channel",
};

/*
 * Every kind of action, and every field one may carry beyond the fixed
 * ones above (the extras engine.c, prune.c and simulate add), so that a
 * rule test naming one that does not exist is an error rather than a
 * test that cannot fail (tocsinctl test).  A new kind or extra field is
 * one more line here.
 */
static const char *const timeline_kinds[] = {
	"incident.opened", "incident.graded", "incident.acknowledged",
	"incident.resolved", "obligation.set", "obligation.reminded",
	"obligation.met", "obligation.late", "obligation.breached",
	"obligation.missed", "obligation.cancelled", "obligation.tightened",
	"escalation.step", "notify", "notification.dead",
	"notification.fallback", "event.rejected", "event.unmatched",
	"prune.started", "prune.finished",
};
static const char *const timeline_extras[] = {
	"due_at", "was_due_at", "due_grade", "period", "procedures", "late",
	"late_s", "delayed_s", "reason", "by", "from", "repeat", "event",
	"line", "key", "error", "fallback", "before", "ledger", "token",
	"incidents", "skipped", "rows", "instance",
};

const char *const *
timeline_kind_names(size_t *n)
{
	*n = nitems(timeline_kinds);
	return (timeline_kinds);
}

/* The fixed fields, then the extras. */
const char *
timeline_field_name(size_t i)
{
	if (i < nitems(timeline_keys))
		return (timeline_keys[i]);
	i -= nitems(timeline_keys);
	return (i < nitems(timeline_extras) ? timeline_extras[i] : NULL);
}

/*
 * The caller frees the returned text.  Written directly, not through a
 * jansson object and json_dumps(): the engine writes two or three actions
 * for each event and each breach, and building the object was a tenth of
 * the engine's time.  The bytes are timeline_json_jansson()'s (the unit
 * test compares them): jsonw_str() leaves out a value json_string()
 * would refuse; an extra that would replace a fixed field, which no
 * caller makes, takes that path itself.
 */
char *
timeline_json(const struct action *a)
{
	struct jsonw	 b;
	json_t		*v;
	const char	*key;
	char		 at[CALENDAR_TIME_MAX];
	size_t		 i;

	if (a->extra != NULL) {
		json_object_foreach(a->extra, key, v) {
			for (i = 0; i < nitems(timeline_keys); i++) {
				if (strcmp(key, timeline_keys[i]) == 0)
					return (timeline_json_jansson(a));
			}
		}
	}
	jsonw_init(&b, 256);
	jsonw_open(&b, '{');
	calendar_format(a->at, at, sizeof(at));
	jsonw_str(&b, "at", at);
	jsonw_str(&b, "kind", a->kind);
	jsonw_str(&b, "incident", a->incident);
	jsonw_str(&b, "recurring", a->recurring);
	jsonw_str(&b, "unit", a->unit);
	if (a->grade > 0)
		jsonw_int(&b, "grade", a->grade);
	jsonw_str(&b, "procedure", a->procedure);
	jsonw_str(&b, "obligation", a->obligation);
	jsonw_str(&b, "policy", a->policy);
	if (a->step > 0)
		jsonw_int(&b, "step", a->step);
	jsonw_str(&b, "role", a->role);
	jsonw_str(&b, "recipient", a->recipient);
	jsonw_str(&b, "channel", a->channel);
	if (a->extra != NULL) {
		json_object_foreach(a->extra, key, v) {
			if (b.len > 1)
				jsonw_raw(&b, ",", 1);
			if (jsonw_string(&b, key, strlen(key)) != 0)
				fatalx("timeline_json: cannot encode");
			jsonw_raw(&b, ":", 1);
			if (jsonw_value(&b, v) != 0)
				fatalx("timeline_json: cannot encode");
		}
	}
	jsonw_close(&b, '}');
	return (jsonw_take(&b));
}
