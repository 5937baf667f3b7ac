/*
 * Provider callbacks: POST /v1/callbacks/{token}, where a provider reports
 * what became of a message it took (a voice call answered or not, an SMS
 * on the handset or not) or brings a person's reply (an SMS "1").  The
 * path's token is the channel's callback_token: a provider's console takes
 * a URL and no bearer token, and Aliyun's and Tencent's callbacks carry no
 * signature, so the path is their whole credential.  Twilio signs its
 * callbacks (X-Twilio-Signature): one that fails the check is refused
 * with 403 before anything is recorded.  Each channel has its own token,
 * so one leaked URL speaks for one channel only.  The driver reads the
 * body into receipts and replies; the engine records the receipts and the
 * replies are kept in one transaction, which may move an escalation on;
 * an acknowledging reply then goes through the group commit as an ack
 * event (api-reply.c); the reply is the body the provider wants.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>

#include "api.h"
#include "api-reply.h"
#include "ingest.h"
#include "channel.h"
#include "engine.h"
#include "http.h"
#include "log.h"
#include "record.h"
#include "rules.h"
#include "tocsin.h"
#include "xmalloc.h"

/* The channel whose callback_token is token, compared in constant time. */
static const struct channel_def *
api_callback_channel(const struct rules *r, const char *token)
{
	const struct channel_def	*def, *found = NULL;
	const char			*t;
	size_t				 i, n = strlen(token);

	for (i = 0; i < rules_channel_count(r); i++) {
		def = rules_channel(r, i);
		t = channel_option_string(def, "callback_token");
		if (t != NULL && strlen(t) == n && n > 0 &&
		    CRYPTO_memcmp(t, token, n) == 0)
			found = def;
	}
	return (found);
}

/*
 * Record each receipt and keep each reply; -1 when the transaction failed.
 * The replies' acknowledgements, to submit, go to *acks.
 */
static int
api_callback_record(const struct api_ctx *ctx, const char *channel,
    const struct channel_receipts *rs, size_t *known, size_t *notified,
    struct record ***acks, size_t *nacks)
{
	struct engine_receipt	 er;
	size_t			 i;
	int			 rc, k;

	*known = *notified = 0;
	if (engine_begin(ctx->engine) != 0)
		return (-1);
	for (i = 0, rc = 0; i < rs->n && rc == 0; i++) {
		er.channel = channel;
		er.ref = rs->v[i].ref;
		er.status = channel_receipt_status_name(rs->v[i].status);
		er.detail = rs->v[i].detail;
		er.reached = rs->v[i].status == RECEIPT_ANSWERED ||
		    rs->v[i].status == RECEIPT_DELIVERED;
		er.failed = rs->v[i].status == RECEIPT_FAILED;
		rc = engine_receipt(ctx->engine, &er, &k);
		*known += (size_t)k;
	}
	if (rc == 0)
		rc = api_reply_take(ctx, channel, rs, acks, nacks);
	if (rc != 0 || engine_commit(ctx->engine, notified) != 0) {
		engine_rollback(ctx->engine);
		api_reply_acks_free(*acks, *nacks);
		*acks = NULL;
		*nacks = 0;
		return (-1);
	}
	return (0);
}

/* The body the provider wants back: JSON, or its own type (TwiML). */
static void
api_callback_reply(struct evhttp_request *req, int code,
    const struct channel_receipts *rs)
{
	struct evbuffer	*buf;

	if (rs->reply_type == NULL) {
		http_reply_json_take(req, code, xstrdup(rs->reply != NULL ?
		    rs->reply : "{}"));
		return;
	}
	buf = evbuffer_new();
	evbuffer_add(buf, rs->reply, strlen(rs->reply));
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", rs->reply_type);
	http_send_reply(req, code, buf);
	evbuffer_free(buf);
}

/* A callback waiting on its replies' acknowledgements to commit. */
struct api_callback_wait {
	struct evhttp_request	*req;
	struct channel_receipts	 rs;
};

static void
api_callback_acked(int status, const struct engine_result *results, size_t n,
    const struct record_error *err, void *arg)
{
	struct api_callback_wait	*w = arg;

	/* Not stored: the provider pushes again.  Refused: told in the log. */
	if (status != 202)
		log_warnx("callback: an acknowledgement by reply was not "
		    "taken status=%d", status);
	if (status == 503)
		http_reply_error(w->req, 503, "store_failed", NULL, "the "
		    "acknowledgement could not be stored%s", "");
	else
		api_callback_reply(w->req, 200, &w->rs);
	channel_receipts_free(&w->rs);
	free(w);
}

/* The URL the provider called, as it signed it: public_url and the path. */
static char *
api_callback_url(struct evhttp_request *req, const struct rules *r)
{
	const char	*base = rules_site(r)->public_url;
	size_t		 len;
	char		*url;

	if (base == NULL)
		return (NULL);
	len = strlen(base);
	while (len > 0 && base[len - 1] == '/')
		len--;
	xasprintf(&url, "%.*s%s", (int)len, base, evhttp_request_get_uri(req));
	return (url);
}

void
api_callback_post(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *token)
{
	const struct channel_def	*def;
	const struct channel_driver	*drv;
	struct channel_receipts		 rs;
	struct channel_callback		 cb;
	struct api_callback_wait	*w;
	struct record_error		 err;
	struct record			**acks = NULL;
	char				*cause = NULL, *url;
	size_t				 known, notified, nacks = 0;
	int				 status, rc;

	memset(&rs, 0, sizeof(rs));
	if ((def = api_callback_channel(ctx->rules, token)) == NULL ||
	    (drv = channel_driver_find(def->kind)) == NULL ||
	    drv->receipts == NULL) {
		http_reply_error(req, 404, "not_found", NULL, "no such "
		    "callback%s", "");
		return;
	}
	memset(&err, 0, sizeof(err));
	memset(&cb, 0, sizeof(cb));
	/* Any type: Twilio posts a form, the others JSON; the driver reads it. */
	if ((cb.body = http_read_raw(req, &cb.len, &err, &status)) == NULL) {
		http_reply_error(req, status, err.code, err.field, "%s",
		    err.message);
		return;
	}
	cb.url = url = api_callback_url(req, ctx->rules);
	cb.signature = evhttp_find_header(evhttp_request_get_input_headers(
	    req), "X-Twilio-Signature");
	rc = drv->receipts(def, &cb, &rs, &cause);
	free(url);
	if (rc == -2) {
		/* Forged, or signed for another URL: nothing is recorded. */
		log_warnx("callback: channel=%s signature refused error=\"%s\"",
		    def->name, cause);
		http_reply_error(req, 403, "forbidden", NULL, "%s", cause);
		free(cause);
		channel_receipts_free(&rs);
		return;
	}
	if (rc != 0) {
		log_warnx("callback: channel=%s refused error=\"%s\"",
		    def->name, cause);
		http_reply_error(req, 400, "invalid_callback", NULL, "%s",
		    cause);
		free(cause);
		channel_receipts_free(&rs);
		return;
	}
	if (api_callback_record(ctx, def->name, &rs, &known,
	    &notified, &acks, &nacks) != 0) {
		http_reply_error(req, 503, "store_failed", NULL, "the "
		    "receipts could not be stored%s", "");
		channel_receipts_free(&rs);
		return;
	}
	log_info("callback: channel=%s receipts=%zu known=%zu replies=%zu "
	    "acks=%zu notified=%zu", def->name, rs.n, known, rs.nreplies,
	    nacks, notified);
	if (ctx->after_commit != NULL)
		ctx->after_commit(ctx->after_arg, notified);
	if (nacks == 0) {
		api_callback_reply(req, 200, &rs);
		channel_receipts_free(&rs);
		return;
	}
	w = xcalloc(1, sizeof(*w));
	w->req = req;
	w->rs = rs;		/* taken */
	ingest_submit(ctx->ingest, acks, nacks, NULL, api_callback_acked, w);
}
