/*
 * Render an action as the one-line JSON of SPEC §6.  Field order is fixed
 * here, once, so the output is byte-for-byte stable across runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "log.h"
#include "record.h"
#include "timeline.h"
#include "tocsin.h"
#include "xmalloc.h"

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

struct timeline_buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static void
timeline_add(struct timeline_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap *= 2;
		b->p = xreallocarray(b->p, b->cap, 1);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* A JSON string as jansson writes it: '"', '\\' and controls escaped. */
static void
timeline_add_string(struct timeline_buf *b, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const char		*run = s;
	char			 esc[6];
	unsigned char		 c;

	timeline_add(b, "\"", 1);
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		timeline_add(b, run, (size_t)(s - run));
		run = s + 1;
		esc[0] = '\\';
		switch (c) {
		case '"':
		case '\\':
			esc[1] = (char)c;
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			timeline_add(b, esc, 6);
			continue;
		}
		timeline_add(b, esc, 2);
	}
	timeline_add(b, run, (size_t)(s - run));
	timeline_add(b, "\"", 1);
}

/* "key":"value", left out for NULL, as json_string() would refuse it. */
static void
timeline_field(struct timeline_buf *b, const char *key, const char *value)
{
	if (value == NULL || !record_valid_utf8(value, strlen(value)))
		return;
	timeline_add(b, b->len > 1 ? ",\"" : "\"", b->len > 1 ? 2 : 1);
	timeline_add(b, key, strlen(key));
	timeline_add(b, "\":", 2);
	timeline_add_string(b, value);
}

static void
timeline_field_int(struct timeline_buf *b, const char *key, long long v)
{
	char	num[32];
	int	n;

	timeline_add(b, b->len > 1 ? ",\"" : "\"", b->len > 1 ? 2 : 1);
	timeline_add(b, key, strlen(key));
	timeline_add(b, "\":", 2);
	n = snprintf(num, sizeof(num), "%lld", v);
	timeline_add(b, num, (size_t)n);
}

static const char *timeline_keys[] = {
	"at", "kind", "incident", "recurring", "unit", "grade", "procedure",
	"obligation", "policy", "step", "role", "recipient", "channel",
};

/*
 * The caller frees the returned text.  Written directly, not through a
 * jansson object and json_dumps(): the engine writes two or three actions
 * for each event and each breach, and building the object was a tenth of
 * the engine's time.  The bytes are timeline_json_jansson()'s (the unit
 * test compares them); an extra that would replace a fixed field, which
 * no caller makes, takes that path itself.
 */
char *
timeline_json(const struct action *a)
{
	struct timeline_buf	 b;
	json_t			*v;
	const char		*key;
	char			 at[CALENDAR_TIME_MAX], *s;
	size_t			 i;

	if (a->extra != NULL) {
		json_object_foreach(a->extra, key, v) {
			for (i = 0; i < nitems(timeline_keys); i++) {
				if (strcmp(key, timeline_keys[i]) == 0)
					return (timeline_json_jansson(a));
			}
		}
	}
	b.cap = 256;
	b.p = xmalloc(b.cap);
	b.len = 0;
	timeline_add(&b, "{", 1);
	calendar_format(a->at, at, sizeof(at));
	timeline_field(&b, "at", at);
	timeline_field(&b, "kind", a->kind);
	timeline_field(&b, "incident", a->incident);
	timeline_field(&b, "recurring", a->recurring);
	timeline_field(&b, "unit", a->unit);
	if (a->grade > 0)
		timeline_field_int(&b, "grade", a->grade);
	timeline_field(&b, "procedure", a->procedure);
	timeline_field(&b, "obligation", a->obligation);
	timeline_field(&b, "policy", a->policy);
	if (a->step > 0)
		timeline_field_int(&b, "step", a->step);
	timeline_field(&b, "role", a->role);
	timeline_field(&b, "recipient", a->recipient);
	timeline_field(&b, "channel", a->channel);
	if (a->extra != NULL) {
		json_object_foreach(a->extra, key, v) {
			timeline_add(&b, b.len > 1 ? "," : "", b.len > 1);
			timeline_add_string(&b, key);
			timeline_add(&b, ":", 1);
			if (json_is_string(v))
				timeline_add_string(&b, json_string_value(v));
			else {
				s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
				    JSON_PRESERVE_ORDER);
				if (s == NULL)
					fatalx("timeline_json: cannot encode");
				timeline_add(&b, s, strlen(s));
				free(s);
			}
		}
	}
	timeline_add(&b, "}", 1);
	return (b.p);
}
