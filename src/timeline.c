/*
 * Render an action as the one-line JSON of SPEC §6.  Field order is fixed
 * here, once, so the output is byte-for-byte stable across runs.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "jsonw.h"
#include "log.h"
#include "timeline.h"
#include "tocsin.h"

#define CONCERN_INT		0x1	/* an int, left out at 0 */
#define CONCERN_NOTE_ONLY	0x2	/* written in notifications only */
#define CONCERN_NOTE_NEEDS	0x4	/* a notification must have it */

/* The fields of struct concern, in the order they are written. */
static const struct concern_field {
	const char	*name;
	size_t		 off;
	int		 flags;
} concern_fields[] = {
	{ "incident", offsetof(struct concern, incident), 0 },
	{ "recurring", offsetof(struct concern, recurring), 0 },
	{ "unit", offsetof(struct concern, unit), 0 },
	{ "unit_name", offsetof(struct concern, unit_name), CONCERN_NOTE_ONLY },
	{ "grade", offsetof(struct concern, grade), CONCERN_INT },
	{ "procedure", offsetof(struct concern, procedure), 0 },
	{ "obligation", offsetof(struct concern, obligation), 0 },
	{ "instance", offsetof(struct concern, instance), CONCERN_INT },
	{ "policy", offsetof(struct concern, policy), 0 },
	{ "step", offsetof(struct concern, step), CONCERN_INT },
	{ "role", offsetof(struct concern, role), CONCERN_NOTE_NEEDS },
	{ "recipient", offsetof(struct concern, recipient),
	    CONCERN_NOTE_NEEDS },
	{ "recipient_name", offsetof(struct concern, recipient_name),
	    CONCERN_NOTE_ONLY | CONCERN_NOTE_NEEDS },
	{ "phone", offsetof(struct concern, phone), CONCERN_NOTE_ONLY },
	{ "channel", offsetof(struct concern, channel), CONCERN_NOTE_NEEDS },
};

static const char *
concern_str(const struct concern *c, const struct concern_field *f)
{
	return (*(const char *const *)(const void *)((const char *)c +
	    f->off));
}

static int
concern_int(const struct concern *c, const struct concern_field *f)
{
	return (*(const int *)(const void *)((const char *)c + f->off));
}

int
timeline_concern_jsonw(struct jsonw *b, const struct concern *c, int note)
{
	const struct concern_field	*f;
	const char			*v;
	size_t				 i;
	int				 bad = 0;

	for (i = 0; i < nitems(concern_fields); i++) {
		f = &concern_fields[i];
		if ((f->flags & CONCERN_NOTE_ONLY) && !note)
			continue;
		if (f->flags & CONCERN_INT) {
			if (concern_int(c, f) > 0)
				jsonw_int(b, f->name, concern_int(c, f));
			continue;
		}
		v = concern_str(c, f);
		if (!note)
			jsonw_str(b, f->name, v);
		else if (v == NULL)
			bad |= (f->flags & CONCERN_NOTE_NEEDS) != 0;
		else {
			jsonw_key(b, f->name);
			bad |= jsonw_string(b, v, strlen(v)) != 0;
		}
	}
	return (bad ? -1 : 0);
}

/* Through jansson: the reference for timeline_concern_jsonw(). */
int
timeline_concern_jansson(json_t *o, const struct concern *c, int note)
{
	const struct concern_field	*f;
	const char			*v;
	json_t				*j;
	size_t				 i;

	for (i = 0; i < nitems(concern_fields); i++) {
		f = &concern_fields[i];
		if ((f->flags & CONCERN_NOTE_ONLY) && !note)
			continue;
		if (f->flags & CONCERN_INT) {
			if (concern_int(c, f) > 0)
				json_object_set_new(o, f->name,
				    json_integer(concern_int(c, f)));
			continue;
		}
		if ((v = concern_str(c, f)) == NULL) {
			if (note && (f->flags & CONCERN_NOTE_NEEDS))
				return (-1);
			continue;
		}
		if ((j = json_string(v)) == NULL) {
			if (note)
				return (-1);
			continue;
		}
		json_object_set_new(o, f->name, j);
	}
	return (0);
}

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
	timeline_concern_jansson(o, &a->c, 0);
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

/* The fixed fields of an action: at, kind, then its concern's. */
static const char *
timeline_key(size_t i)
{
	size_t	j;

	if (i < 2)
		return (i == 0 ? "at" : "kind");
	for (j = 0, i -= 2; j < nitems(concern_fields); j++) {
		if (concern_fields[j].flags & CONCERN_NOTE_ONLY)
			continue;
		if (i-- == 0)
			return (concern_fields[j].name);
	}
	return (NULL);
}

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
	"obligation.paused", "obligation.resumed", "escalation.step", "notify", "notification.dead",
	"notification.fallback", "notification.receipt", "event.rejected",
	"event.unmatched", "prune.started", "prune.finished", "watchman.alarm",
	"personal.scheduled", "personal.stopped",
};
static const char *const timeline_extras[] = {
	"due_at", "was_due_at", "due_grade", "period", "procedures", "late",
	"late_s", "delayed_s", "reason", "by", "from", "repeat", "event",
	"line", "key", "error", "fallback", "before", "ledger", "token",
	"incidents", "skipped", "rows", "met_count", "needed", "role_unit",
	"state", "about", "text", "status", "detail", "paused_s",
	"personal_step", "channels", "after", "drill",
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
	const char	*key;
	size_t		 n;

	for (n = 0; (key = timeline_key(n)) != NULL; n++) {
		if (n == i)
			return (key);
	}
	i -= n;
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
	const char	*key, *fixed;
	char		 at[CALENDAR_TIME_MAX];
	size_t		 i;

	if (a->extra != NULL) {
		json_object_foreach(a->extra, key, v) {
			for (i = 0; (fixed = timeline_key(i)) != NULL; i++) {
				if (strcmp(key, fixed) == 0)
					return (timeline_json_jansson(a));
			}
		}
	}
	jsonw_init(&b, 256);
	jsonw_open(&b, '{');
	calendar_format(a->at, at, sizeof(at));
	jsonw_str(&b, "at", at);
	jsonw_str(&b, "kind", a->kind);
	timeline_concern_jsonw(&b, &a->c, 0);
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
