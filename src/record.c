/*
 * Validate and normalise one event record.  The normalised record has its
 * known fields in a fixed order with canonical types (grade as 1..4, times
 * as RFC 3339 in the site zone) and every unknown top-level field moved
 * into "attrs", so the store, the rules and the API all see one shape.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "record.h"
#include "tocsin.h"
#include "xmalloc.h"

#define RECORD_TEXT_MAX	16384

/* Types whose events belong to an incident and so need its key. */
static const char *record_incident_types[] = {
	"report", "update", "final", "assessment", "ack", "resolve", "feedback",
};

/* The types SPEC §2 names; packs declare their own with event_type. */
static const char *record_builtin_types[] = {
	"report", "update", "final", "assessment", "ack", "resolve", "daily",
	"feedback",
};

static const struct {
	const char	*name;
	size_t		 max;
} record_text_fields[] = {
	{ "title", 512 },
	{ "summary", RECORD_TEXT_MAX },
	{ "location", 1024 },
	{ "by", RECORD_BY_MAX },
};

void
record_error_set(struct record_error *err, const char *code, const char *field,
    const char *fmt, ...)
{
	va_list	ap;

	err->code = code;
	snprintf(err->field, sizeof(err->field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

/* The built-in types, for a "did you mean" among them. */
const char *const *
record_types_builtin(size_t *n)
{
	*n = nitems(record_builtin_types);
	return (record_builtin_types);
}

int
record_type_builtin(const char *type)
{
	size_t	i;

	for (i = 0; i < nitems(record_builtin_types); i++) {
		if (strcmp(type, record_builtin_types[i]) == 0)
			return (1);
	}
	return (0);
}

static int
record_type_needs_incident(const char *type)
{
	size_t	i;

	for (i = 0; i < nitems(record_incident_types); i++) {
		if (strcmp(type, record_incident_types[i]) == 0)
			return (1);
	}
	return (0);
}

/*
 * The length of the UTF-8 sequence at p (1 for ASCII), or 0 if it is not
 * strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF.
 * jansson's rules too, so jsonw.c writes what json_string() accepts.
 */
size_t
record_utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned int	c = p[0];
	size_t		n, i;

	if (c < 0x80)
		return (1);
	if (c >= 0xc2 && c <= 0xdf)
		n = 1;
	else if (c >= 0xe0 && c <= 0xef)
		n = 2;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 3;
	else
		return (0);
	if ((size_t)(end - p - 1) < n)
		return (0);
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
		return (0);
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);
	}
	return (n + 1);
}

int
record_valid_utf8(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	const unsigned char	*end = p + len;
	size_t			 n;

	for (; p < end; p += n) {
		if ((n = record_utf8_len(p, end)) == 0)
			return (0);
	}
	return (1);
}

/* Returns 1..4, or -1 when the value is not a grade (names: status.c). */
int
record_grade_parse(json_t *v)
{
	json_int_t	n;

	if (json_is_integer(v)) {
		n = json_integer_value(v);
		return (n >= GRADE_MIN && n <= GRADE_MAX ? (int)n : -1);
	}
	return (json_is_string(v) ? grade_parse(json_string_value(v)) : -1);
}

/*
 * The first bidirectional control character in the UTF-8 text s, or 0:
 * U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069.  Each can make a
 * line on the board or a page read in an order other than the bytes'
 * (an override before "CBA-1" shows "1-ABC").  Refused in what people read
 * (docs/api.md says why refused rather than cleaned).  Lead bytes 0xd8
 * and 0xe2 never continue a sequence, so any position may be tested.
 */
unsigned int
record_bidi_control(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;

	for (; *p != '\0'; p++) {
		if (p[0] == 0xd8 && p[1] == 0x9c)
			return (0x061c);
		if (p[0] != 0xe2 || p[1] == '\0' || p[2] == '\0')
			continue;
		if (p[1] == 0x80 && (p[2] == 0x8e || p[2] == 0x8f ||
		    (p[2] >= 0xaa && p[2] <= 0xae)))
			return (0x2000 + (p[2] & 0x3fu));
		if (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
			return (0x2040 + (p[2] & 0x3fu));
	}
	return (0);
}

/* -1 with err set if the text of field `name` holds a bidi control. */
static int
record_bidi_refuse(const char *s, const char *name, struct record_error *err)
{
	unsigned int	c = record_bidi_control(s);

	if (c == 0)
		return (0);
	record_error_set(err, "invalid_value", name, "field \"%s\" holds "
	    "U+%04X, a bidirectional control character, which would show the "
	    "text in another order than it was written", name, c);
	return (-1);
}

static int
record_key_ok(const char *s)
{
	size_t	len = strlen(s);

	if (len == 0 || len > KEY_MAX)
		return (0);
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '/')
			return (0);
	}
	return (1);
}

/*
 * An incident key also names the incident in URLs (/v1/incidents/KEY),
 * so it must be a path segment that means the same to every client and
 * proxy: no '\\', '%', '?' or '#' besides what record_key_ok refuses,
 * and not "." or "..", which clients resolve away.
 */
static int
record_incident_key_ok(const char *s)
{
	return (record_key_ok(s) && strpbrk(s, "\\%?#") == NULL &&
	    strcmp(s, ".") != 0 && strcmp(s, "..") != 0);
}

static int
record_type_ok(const char *s)
{
	size_t	len = strlen(s);

	if (len == 0 || len > 64)
		return (0);
	for (; *s != '\0'; s++) {
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s)
		    && *s != '_' && *s != '-' && *s != '.')
			return (0);
	}
	return (1);
}

static json_t *
record_get_string(json_t *in, const char *name, int required,
    struct record_error *err, int *failed)
{
	json_t	*v = json_object_get(in, name);

	if (v == NULL || json_is_null(v)) {
		if (required) {
			record_error_set(err, "missing_field", name,
			    "field \"%s\" is required", name);
			*failed = 1;
		}
		return (NULL);
	}
	if (!json_is_string(v)) {
		record_error_set(err, "wrong_type", name,
		    "field \"%s\" must be a string", name);
		*failed = 1;
		return (NULL);
	}
	return (v);
}

/*
 * "drill": true marks an exercise (应急演练): its incident runs the real
 * timeline, but every message says 【演练】 and the ledger keeps it apart.
 * A boolean or nothing: a string "true" would be a guess either way.
 */
static int
record_copy_drill(json_t *in, json_t *out, struct record_error *err)
{
	json_t	*v = json_object_get(in, "drill");

	if (v == NULL || json_is_null(v))
		return (0);
	if (!json_is_boolean(v)) {
		record_error_set(err, "wrong_type", "drill",
		    "field \"drill\" must be true or false");
		return (-1);
	}
	json_object_set(out, "drill", v);
	return (0);
}

static int
record_copy_known(json_t *in, json_t *out, struct record_error *err)
{
	json_t		*v;
	const char	*type;
	int		 failed = 0, grade;
	size_t		 i;

	if ((v = record_get_string(in, "id", 0, err, &failed)) != NULL) {
		if (!record_key_ok(json_string_value(v))) {
			record_error_set(err, "invalid_value", "id", "field "
			    "\"id\" must be 1 to %d characters, no control "
			    "characters or '/'", KEY_MAX);
			return (-1);
		}
		if (record_bidi_refuse(json_string_value(v), "id", err) != 0)
			return (-1);
		json_object_set(out, "id", v);
	}
	if (failed)
		return (-1);

	if ((v = record_get_string(in, "type", 1, err, &failed)) == NULL)
		return (-1);
	type = json_string_value(v);
	if (!record_type_ok(type)) {
		record_error_set(err, "invalid_value", "type", "field \"type\" "
		    "must be a lower-case name such as report or assessment");
		return (-1);
	}
	json_object_set(out, "type", v);

	v = record_get_string(in, "incident", record_type_needs_incident(type),
	    err, &failed);
	if (failed)
		return (-1);
	if (v != NULL) {
		if (!record_incident_key_ok(json_string_value(v))) {
			record_error_set(err, "invalid_value", "incident", "field "
			    "\"incident\" must be 1 to %d bytes, not \".\" or "
			    "\"..\", with no control characters, '/', '\\', '%%', "
			    "'?' or '#'", KEY_MAX);
			return (-1);
		}
		if (record_bidi_refuse(json_string_value(v), "incident", err) !=
		    0)
			return (-1);
		json_object_set(out, "incident", v);
	}

	v = record_get_string(in, "category", strcmp(type, "report") == 0, err,
	    &failed);
	if (failed)
		return (-1);
	if (v != NULL) {
		if (!record_type_ok(json_string_value(v))) {
			record_error_set(err, "invalid_value", "category",
			    "field \"category\" must be a lower-case name such "
			    "as network_security");
			return (-1);
		}
		json_object_set(out, "category", v);
	}

	if ((v = json_object_get(in, "grade")) != NULL && !json_is_null(v)) {
		if ((grade = record_grade_parse(v)) < 0) {
			record_error_set(err, "invalid_value", "grade", "field "
			    "\"grade\" must be 1..4, \"I\"..\"IV\" or "
			    "特别重大/重大/较大/一般");
			return (-1);
		}
		json_object_set_new(out, "grade", json_integer(grade));
	}

	if ((v = record_get_string(in, "unit", 1, err, &failed)) == NULL)
		return (-1);
	if (!record_key_ok(json_string_value(v))) {
		record_error_set(err, "invalid_value", "unit", "field \"unit\" "
		    "must be 1 to %d characters, no control characters or '/'",
		    KEY_MAX);
		return (-1);
	}
	if (record_bidi_refuse(json_string_value(v), "unit", err) != 0)
		return (-1);
	json_object_set(out, "unit", v);

	for (i = 0; i < nitems(record_text_fields); i++) {
		v = record_get_string(in, record_text_fields[i].name, 0, err,
		    &failed);
		if (failed)
			return (-1);
		if (v == NULL)
			continue;
		if (json_string_length(v) > record_text_fields[i].max) {
			record_error_set(err, "too_long",
			    record_text_fields[i].name, "field \"%s\" is longer "
			    "than %zu bytes", record_text_fields[i].name,
			    record_text_fields[i].max);
			return (-1);
		}
		if (record_bidi_refuse(json_string_value(v),
		    record_text_fields[i].name, err) != 0)
			return (-1);
		json_object_set(out, record_text_fields[i].name, v);
	}

	v = json_object_get(in, "zero");
	if (v != NULL && !json_is_null(v) && !json_is_boolean(v)) {
		record_error_set(err, "wrong_type", "zero",
		    "field \"zero\" must be true or false");
		return (-1);
	}
	if (strcmp(type, "daily") == 0 && (v == NULL || json_is_null(v))) {
		record_error_set(err, "missing_field", "zero", "a daily report "
		    "needs \"zero\": true for a zero report, false otherwise");
		return (-1);
	}
	if (v != NULL && json_is_boolean(v))
		json_object_set(out, "zero", v);
	return (record_copy_drill(in, out, err));
}

static const char *record_known_fields[] = {
	"id", "type", "incident", "category", "grade", "unit", "occurred_at",
	"received_at", "title", "summary", "location", "by", "zero", "drill",
	"attrs",
};

static int
record_known(const char *key)
{
	size_t	i;

	for (i = 0; i < nitems(record_known_fields); i++) {
		if (strcmp(key, record_known_fields[i]) == 0)
			return (1);
	}
	return (0);
}

/* attrs, plus every unknown top-level field (attrs wins on a clash). */
static int
record_copy_attrs(json_t *in, json_t *out, struct record_error *err)
{
	json_t		*attrs, *v;
	const char	*key;

	v = json_object_get(in, "attrs");
	if (v != NULL && !json_is_null(v) && !json_is_object(v)) {
		record_error_set(err, "wrong_type", "attrs",
		    "field \"attrs\" must be an object");
		return (-1);
	}
	attrs = (v != NULL && json_is_object(v)) ? json_deep_copy(v) :
	    json_object();
	json_object_foreach(in, key, v) {
		if (!record_known(key) && json_object_get(attrs, key) == NULL)
			json_object_set(attrs, key, v);
	}
	if (json_object_size(attrs) > 0)
		json_object_set(out, "attrs", attrs);
	json_decref(attrs);
	return (0);
}

static struct record *
record_from_normalised(json_t *json)
{
	struct record	*ev;
	json_t		*v;

	ev = xcalloc(1, sizeof(*ev));
	ev->json = json;
	ev->id = json_string_value(json_object_get(json, "id"));
	ev->type = json_string_value(json_object_get(json, "type"));
	ev->incident = json_string_value(json_object_get(json, "incident"));
	ev->category = json_string_value(json_object_get(json, "category"));
	ev->unit = json_string_value(json_object_get(json, "unit"));
	ev->by = json_string_value(json_object_get(json, "by"));
	ev->grade = (int)json_integer_value(json_object_get(json, "grade"));
	ev->zero = json_is_true(json_object_get(json, "zero"));
	v = json_object_get(json, "drill");
	ev->drill = json_is_true(v) ? RECORD_DRILL : json_is_false(v) ?
	    RECORD_NOT_DRILL : 0;
	return (ev);
}

struct record *
record_parse(json_t *in, int64_t now, struct record_error *err)
{
	json_t		*out, *v;
	struct record	*ev;
	int64_t		 occurred = now;
	char		 buf[CALENDAR_TIME_MAX];

	if (!json_is_object(in)) {
		record_error_set(err, "not_an_object", "",
		    "an event must be a JSON object");
		return (NULL);
	}
	out = json_object();
	if (record_copy_known(in, out, err) != 0)
		goto fail;
	v = json_object_get(in, "occurred_at");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_string(v) ||
		    calendar_parse_time(json_string_value(v), &occurred) != 0) {
			record_error_set(err, "invalid_value", "occurred_at",
			    "field \"occurred_at\" must be an RFC 3339 time "
			    "such as 2026-03-02T09:00:00+08:00");
			goto fail;
		}
		/*
		 * A deadline counted from="occurred" would move with it:
		 * an event dated after its receipt (beyond a sender's
		 * clock drift) would put off its own deadlines.
		 */
		if (occurred > now + RECORD_FUTURE_SLACK) {
			record_error_set(err, "invalid_value", "occurred_at",
			    "field \"occurred_at\" is later than the time of "
			    "receipt: an event cannot have happened after it "
			    "was reported");
			goto fail;
		}
	}
	calendar_format(occurred, buf, sizeof(buf));
	json_object_set_new(out, "occurred_at", json_string(buf));
	calendar_format(now, buf, sizeof(buf));
	json_object_set_new(out, "received_at", json_string(buf));
	if (record_copy_attrs(in, out, err) != 0)
		goto fail;

	ev = record_from_normalised(out);
	ev->occurred_at = occurred;
	ev->received_at = now;
	return (ev);
fail:
	json_decref(out);
	return (NULL);
}

/*
 * The text of a body as JSON: within limit (else *status 413), UTF-8 and
 * JSON (else 400).  NULL with err and *status set when it is not.
 */
json_t *
record_parse_json(const char *text, size_t len, size_t limit,
    struct record_error *err, int *status)
{
	json_t		*json;
	json_error_t	 jerr;

	if (len > limit) {
		*status = 413;
		record_error_set(err, "body_too_large", "", "the body is %zu "
		    "bytes; the limit is %zu", len, limit);
		return (NULL);
	}
	if (len == 0 || text == NULL) {
		*status = 400;
		record_error_set(err, "invalid_json", "", "the body is empty");
		return (NULL);
	}
	if (!record_valid_utf8(text, len)) {
		*status = 400;
		record_error_set(err, "invalid_utf8", "",
		    "the body is not valid UTF-8");
		return (NULL);
	}
	json = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &jerr);
	if (json == NULL) {
		*status = 400;
		record_error_set(err, "invalid_json", "", "line %d column %d: %s",
		    jerr.line, jerr.column, jerr.text);
		return (NULL);
	}
	return (json);
}

/*
 * A body's JSON, one event object or an array of them, as validated
 * records.  An element without an id gets "id_prefix:N" (N its index) when
 * id_prefix is not NULL, so that the same body read twice is stored once.
 * *np is the number of elements, also when one is refused.
 */
static struct record **
record_parse_batch(json_t *body, int64_t now, const char *id_prefix,
    size_t *np, struct record_error *err)
{
	struct record	**records;
	json_t		 *item, *id;
	size_t		  n, i, j;
	int		  is_array = json_is_array(body);

	if (!is_array && !json_is_object(body)) {
		record_error_set(err, "not_an_object", "", "send an event "
		    "object or an array of event objects");
		return (NULL);
	}
	*np = n = is_array ? json_array_size(body) : 1;
	if (n == 0 || n > RECORD_BATCH_MAX) {
		record_error_set(err, "invalid_value", "", "send 1 to %d "
		    "events at once", RECORD_BATCH_MAX);
		return (NULL);
	}
	records = xcalloc(n, sizeof(*records));
	for (i = 0; i < n; i++) {
		item = is_array ? json_array_get(body, i) : body;
		id = json_object_get(item, "id");
		if (id_prefix != NULL && json_is_object(item) &&
		    (id == NULL || json_is_null(id)))
			json_object_set_new(item, "id", json_sprintf("%s:%zu",
			    id_prefix, i));
		if ((records[i] = record_parse(item, now, err)) != NULL)
			continue;
		if (is_array) {
			char	msg[sizeof(err->message)];

			memcpy(msg, err->message, sizeof(msg));
			snprintf(err->message, sizeof(err->message),
			    "event %zu: %.200s", i, msg);
		}
		for (j = 0; j < i; j++)
			record_free(records[j]);
		free(records);
		return (NULL);
	}
	return (records);
}

/*
 * The text of a POST /v1/events body or a spool file as validated records:
 * every check an event passes before it may be stored, in one place.
 * Returns the records (*np of them), or NULL with err set and *status 400
 * or 413; then *np is how many events the body held, 0 if it is not JSON.
 */
struct record **
record_parse_body(const char *text, size_t len, size_t limit, int64_t now,
    const char *id_prefix, size_t *np, struct record_error *err, int *status)
{
	struct record	**records;
	json_t		 *body;

	*np = 0;
	if ((body = record_parse_json(text, len, limit, err, status)) == NULL)
		return (NULL);
	records = record_parse_batch(body, now, id_prefix, np, err);
	json_decref(body);
	if (records == NULL)
		*status = 400;
	return (records);
}

void
record_batch_free(struct record **records, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		record_free(records[i]);
	free(records);
}

/* An event the daemon makes itself, e.g. for POST /v1/incidents/K/ack. */
struct record *
record_new(const char *type, const char *incident, const char *unit,
    const char *by, int64_t now)
{
	json_t		*out;
	struct record	*ev;
	char		 buf[CALENDAR_TIME_MAX];

	out = json_object();
	json_object_set_new(out, "type", json_string(type));
	if (incident != NULL)
		json_object_set_new(out, "incident", json_string(incident));
	json_object_set_new(out, "unit", json_string(unit));
	calendar_format(now, buf, sizeof(buf));
	json_object_set_new(out, "occurred_at", json_string(buf));
	json_object_set_new(out, "received_at", json_string(buf));
	if (by != NULL)
		json_object_set_new(out, "by", json_string(by));
	ev = record_from_normalised(out);
	ev->occurred_at = ev->received_at = now;
	return (ev);
}

void
record_free(struct record *ev)
{
	if (ev == NULL)
		return;
	json_decref(ev->json);
	free(ev);
}
