/*
 * SMS replies: a person texts "1" (or "收到", "已收到", "ok") back to the
 * number an alert came from, and the provider's inbound callback brings it
 * to POST /v1/callbacks/{callback_token} (api-callback.c).  The reply
 * acknowledges, as that person, the incident of the latest message tocsin
 * delivered to them on a channel that reaches a phone (SMS or voice) and
 * whose notify_deadline has not passed -- if that incident is still open
 * and not yet acknowledged.  An older incident is never taken instead: a
 * "1" answers the alert the person last saw, and guessing otherwise could
 * stop the wrong escalation.  Every reply is kept (the replies table) with
 * what came of it; anything but an acknowledgement is kept and ignored.
 * The acknowledgement goes through the group commit as an ack event, the
 * same as the link in the message.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "api.h"
#include "api-reply.h"
#include "channel-sms.h"
#include "clock.h"
#include "ingest.h"
#include "log.h"
#include "record.h"
#include "rules.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

/* The first person whose phone is the number the reply came from. */
static const struct person *
api_reply_person(const struct rules *r, const struct channel_reply *rp)
{
	const struct person	*p;
	size_t			 i;

	for (i = 0; i < rules_person_count(r); i++) {
		p = rules_person(r, i);
		if (p->phone != NULL && channel_sms_phone_match(p->phone,
		    rp->phone, rp->country))
			return (p);
	}
	return (NULL);
}

struct api_reply_find {
	const struct rules	*rules;
	char			*incident;
};

/* The first (newest) message on a channel that rings or texts a phone. */
static int
api_reply_target_cb(const char *incident, const char *channel, void *arg)
{
	struct api_reply_find		*f = arg;
	const struct channel_def	*def;

	def = rules_channel_find(f->rules, channel);
	if (def == NULL || (strcmp(def->kind, "sms") != 0 &&
	    strcmp(def->kind, "voice") != 0))
		return (0);
	f->incident = xstrdup(incident);
	return (1);
}

/*
 * What one reply comes to: *ack set to a record to submit when it
 * acknowledges; the outcome, for the replies table and the log.
 */
static const char *
api_reply_judge(const struct api_ctx *ctx, const struct channel_reply *rp,
    const struct person *p, char **incident, struct record **ack)
{
	struct api_reply_find	 f = { ctx->rules, NULL };
	struct store_incident	 inc;
	const char		*outcome;

	*incident = NULL;
	*ack = NULL;
	if (!channel_sms_reply_is_ack(rp->text))
		return ("not_an_ack");
	if (p == NULL)
		return ("unknown_number");
	if (store_reply_targets(ctx->store, p->id, clock_now(),
	    api_reply_target_cb, &f) != 0)
		return ("store_failed");
	if (f.incident == NULL)
		return ("no_message");
	*incident = f.incident;
	if (store_incident_get(ctx->store, f.incident, &inc) != 1)
		return ("no_message");
	if (inc.state == INCIDENT_CLOSED)
		outcome = "closed";
	else if (inc.acked_at != 0)
		outcome = "already_acknowledged";
	else {
		*ack = record_new("ack", f.incident, inc.unit != NULL ?
		    inc.unit : "", p->id, clock_now());
		outcome = "acknowledged";
	}
	store_incident_clear(&inc);
	return (outcome);
}

/*
 * Judge and keep each reply (in the caller's transaction); the ack
 * records to submit once it commits go to *acks.
 */
int
api_reply_take(const struct api_ctx *ctx, const char *channel,
    const struct channel_receipts *rs, struct record ***acks, size_t *nacks)
{
	const struct channel_reply	*rp;
	const struct person		*p;
	struct store_reply		 row;
	struct record			*ack;
	char				*incident;
	size_t				 i;
	int				 rc = 0;

	*acks = NULL;
	*nacks = 0;
	for (i = 0; i < rs->nreplies && rc == 0; i++) {
		rp = &rs->replies[i];
		p = api_reply_person(ctx->rules, rp);
		memset(&row, 0, sizeof(row));
		row.outcome = api_reply_judge(ctx, rp, p, &incident, &ack);
		row.channel = channel;
		row.phone = rp->phone;
		row.person = p != NULL ? p->id : NULL;
		row.text = rp->text;
		row.received_at = clock_now();
		row.incident = incident;
		rc = store_reply_add(ctx->store, &row);
		log_info("callback: reply channel=%s person=%s incident=%s "
		    "outcome=%s", channel, p != NULL ? p->id : "-",
		    incident != NULL ? incident : "-", row.outcome);
		free(incident);
		if (ack != NULL) {
			*acks = xreallocarray(*acks, *nacks + 1,
			    sizeof(**acks));
			(*acks)[(*nacks)++] = ack;
		}
	}
	return (rc);
}

void
api_reply_acks_free(struct record **acks, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		record_free(acks[i]);
	free(acks);
}
