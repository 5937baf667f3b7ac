/*
 * Render an action as the one-line JSON of SPEC §6.  Field order is fixed
 * here, once, so the output is byte-for-byte stable across runs.
 */
#include "calendar.h"
#include "log.h"
#include "timeline.h"
#include "xmalloc.h"

static void
timeline_set(json_t *o, const char *key, const char *value)
{
	if (value != NULL)
		json_object_set_new(o, key, json_string(value));
}

/* The caller frees the returned text. */
char *
timeline_json(const struct action *a)
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
