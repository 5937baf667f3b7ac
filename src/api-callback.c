/*
 * Provider callbacks: POST /v1/callbacks/{token}, where a provider reports
 * what became of a message it took (a voice call answered or not).  The
 * path's token is the channel's callback_token, the whole credential: a
 * provider's console takes a URL and no bearer token, and Aliyun's and
 * Tencent's voice callbacks carry no signature.  Each channel has its own
 * token, so one leaked URL speaks for one channel only.  The driver reads
 * the body into receipts; the engine records them in one transaction and
 * may move an escalation on; the reply is the body the provider wants.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <event2/http.h>
#include <jansson.h>

#include "api.h"
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

/* Record each receipt; -1 when the transaction failed. */
static int
api_callback_record(const struct api_ctx *ctx, const char *channel,
    const struct channel_receipts *rs, size_t *known, size_t *notified)
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
		er.reached = rs->v[i].status == RECEIPT_ANSWERED;
		rc = engine_receipt(ctx->engine, &er, &k);
		*known += (size_t)k;
	}
	if (rc != 0 || engine_commit(ctx->engine, notified) != 0) {
		engine_rollback(ctx->engine);
		return (-1);
	}
	return (0);
}

void
api_callback_post(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *token)
{
	const struct channel_def	*def;
	const struct channel_driver	*drv;
	struct channel_receipts		 rs;
	struct record_error		 err;
	const char			*body;
	char				*cause = NULL;
	size_t				 len, known, notified;
	int				 status;

	memset(&rs, 0, sizeof(rs));
	if ((def = api_callback_channel(ctx->rules, token)) == NULL ||
	    (drv = channel_driver_find(def->kind)) == NULL ||
	    drv->receipts == NULL) {
		http_reply_error(req, 404, "not_found", NULL, "no such "
		    "callback%s", "");
		return;
	}
	memset(&err, 0, sizeof(err));
	if ((body = http_read_body(req, &len, &err, &status)) == NULL) {
		http_reply_error(req, status, err.code, err.field, "%s",
		    err.message);
		return;
	}
	if (drv->receipts(def, body, len, &rs, &cause) != 0) {
		log_warnx("callback: channel=%s refused error=\"%s\"",
		    def->name, cause);
		http_reply_error(req, 400, "invalid_callback", NULL, "%s",
		    cause);
		free(cause);
		channel_receipts_free(&rs);
		return;
	}
	if (api_callback_record(ctx, def->name, &rs, &known,
	    &notified) != 0) {
		http_reply_error(req, 503, "store_failed", NULL, "the "
		    "receipts could not be stored%s", "");
		channel_receipts_free(&rs);
		return;
	}
	log_info("callback: channel=%s receipts=%zu known=%zu notified=%zu",
	    def->name, rs.n, known, notified);
	if (ctx->after_commit != NULL)
		ctx->after_commit(ctx->after_arg, notified);
	http_reply_json_take(req, 200, xstrdup(rs.reply != NULL ? rs.reply :
	    "{}"));
	channel_receipts_free(&rs);
}
