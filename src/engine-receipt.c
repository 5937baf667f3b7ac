/*
 * Receipts: what a provider says, after it took a message, became of it
 * (a voice call answered, not answered, busy, failed; an SMS delivered to
 * the handset or not).  The word is kept with the message and told on its
 * incident's timeline as a notification.receipt.  A message that never
 * reached the phone goes to its channel's fallback, as a refusal at
 * sending does (engine_undelivered); a call of an escalation step that did
 * not reach its person, with no fallback to try, moves the escalation on
 * to its next step now.  A provider pushing the same word again (Aliyun
 * does not promise once) changes nothing more.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "clock.h"
#include "engine.h"
#include "engine-int.h"
#include "log.h"
#include "rules.h"
#include "store.h"
#include "xmalloc.h"

/* The message's timeline concern, from its row and its stored body. */
static void
engine_receipt_scope(struct scope *s, const struct incident *inc,
    const struct store_message *m, const json_t *body)
{
	if (inc != NULL)
		engine_scope_incident(s, inc);
	else
		memset(s, 0, sizeof(*s));
	s->c.unit = json_string_value(json_object_get(body, "unit"));
	s->c.recurring = json_string_value(json_object_get(body, "recurring"));
	s->c.procedure = json_string_value(json_object_get(body, "procedure"));
	s->c.obligation = json_string_value(json_object_get(body,
	    "obligation"));
	s->c.policy = json_string_value(json_object_get(body, "policy"));
	s->c.step = (int)json_integer_value(json_object_get(body, "step"));
	s->c.role = m->role;
	s->c.recipient = m->recipient;
	s->c.channel = m->channel;
	s->obligation_id = m->obligation;
}

/* The channel's fallback, unless the message went through it already. */
static const char *
engine_receipt_fallback(struct engine *e, const char *channel,
    const json_t *body)
{
	const struct channel_def	*def;
	const char			*to;
	json_t				*v;
	size_t				 i;

	if ((def = rules_channel_find(e->rules, channel)) == NULL ||
	    (to = channel_option_string(def, "fallback")) == NULL)
		return (NULL);
	json_array_foreach(json_object_get(body, "via"), i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), to) == 0)
			return (NULL);
	}
	return (to);
}

/* A message the provider could not get to the phone: as if refused. */
static int
engine_receipt_undelivered(struct engine *e, const struct store_message *m,
    const char *fallback, const char *detail)
{
	struct engine_undelivered	u;
	char				why[160];

	snprintf(why, sizeof(why), "not delivered to the phone: %s",
	    detail != NULL ? detail : "failed");
	memset(&u, 0, sizeof(u));
	u.body = m->body;
	u.channel = m->channel;
	u.detail = why;
	u.fallback = fallback;
	u.obligation = m->obligation;
	u.deadline = m->deadline_at;
	return (engine_undelivered(e, &u));
}

/*
 * Record r inside the caller's transaction; *known says whether its ref
 * named a message of ours (a stranger's is ignored, not an error).
 */
int
engine_receipt(struct engine *e, const struct engine_receipt *r, int *known)
{
	struct store_message	 m;
	struct incident		*inc = NULL;
	struct scope		 s;
	json_t			*body;
	const char		*fallback = NULL;
	int64_t			 id;
	int			 rc, step;

	*known = 0;
	if ((rc = store_receipt_seen(e->store, r->channel, r->ref,
	    r->status)) != 0) {
		*known = rc > 0;
		return (rc < 0 ? -1 : 0);
	}
	engine_decision_begin(e);
	rc = store_receipt_record(e->store, r->channel, r->ref, r->status,
	    r->detail, clock_now(), &id);
	if (rc != 1)
		return (rc < 0 ? -1 : 0);
	if (store_message_get(e->store, id, &m) != 1)
		return (-1);
	*known = 1;
	engine_decision_trigger(e, engine_key_ord(m.key), "receipt %s %s",
	    m.key, r->status);
	if ((body = json_loads(m.body, 0, NULL)) == NULL)
		body = json_object();
	if (m.incident != NULL)
		inc = engine_incident_load(e, m.incident);
	engine_receipt_scope(&s, inc, &m, body);
	rc = engine_emit(e, &s, "notification.receipt", json_pack(
	    "{s:s, s:s, s:s?}", "key", m.key, "status", r->status, "detail",
	    r->detail));
	step = s.c.step;
	if (r->failed)
		fallback = engine_receipt_fallback(e, m.channel, body);
	if (rc == 0 && r->failed)
		rc = engine_receipt_undelivered(e, &m, fallback, r->detail);
	if (rc == 0 && !r->reached && fallback == NULL && m.obligation > 0 &&
	    step > 0)
		rc = engine_escalation_hasten(e, m.obligation, step);
	json_decref(body);
	engine_incident_free(inc);
	store_message_clear(&m);
	return (rc);
}
