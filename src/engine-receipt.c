/*
 * Receipts: what a provider says, after it took a message, became of it
 * (a voice call answered, not answered, busy, failed).  The word is kept
 * with the message and told on its incident's timeline as a
 * notification.receipt; a call of an escalation step that did not reach
 * its person moves the escalation on to its next step now.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "engine.h"
#include "engine-int.h"
#include "log.h"
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
	int64_t			 id;
	int			 rc, step;

	*known = 0;
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
	if (rc == 0 && !r->reached && m.obligation > 0 && step > 0)
		rc = engine_escalation_hasten(e, m.obligation, step);
	json_decref(body);
	engine_incident_free(inc);
	store_message_clear(&m);
	return (rc);
}
