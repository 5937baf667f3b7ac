/*
 * The generic webhook channel: the notification as JSON, signed the
 * Standard Webhooks way so a receiver can check it came from us and drop
 * repeats:
 *
 *	webhook-id:        the notification's idempotency key (every attempt)
 *	webhook-timestamp: seconds since the epoch
 *	webhook-signature: "v1,<base64 HMAC-SHA256(secret, id.timestamp.body)>"
 *
 * A secret "whsec_<base64>" is used as the decoded bytes, any other text
 * as is.  Several secrets (a list) give several signatures, for rotation.
 *
 * The body is the outbox row's text as stored: the engine wrote it as
 * compact JSON in key order, so it needs neither parsing nor writing
 * again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "channel.h"
#include "clock.h"
#include "httpc.h"
#include "rules.h"
#include "tocsin.h"
#include "xmalloc.h"

#define WEBHOOK_TIMEOUT_MS	10000

static int
channel_webhook_check(const struct channel_def *def, char **cause)
{
	json_t	*secret = json_object_get(def->options, "secret");

	if (channel_check_url(def, cause) != 0)
		return (-1);
	if (secret != NULL && !json_is_string(secret) &&
	    !json_is_array(secret)) {
		*cause = xstrdup("\"secret\" must be a string or a list");
		return (-1);
	}
	return (0);
}

/* Append " v1,<sig>" for one secret to sigs. */
static void
channel_webhook_sign(const char *secret, const char *signed_text,
    char **sigs)
{
	unsigned char	 key[256];
	int		 keylen;
	char		*b64, *next;

	if (strncmp(secret, "whsec_", 6) == 0 && strlen(secret + 6) <
	    sizeof(key) * 4 / 3) {
		keylen = EVP_DecodeBlock(key, (const unsigned char *)secret + 6,
		    (int)strlen(secret + 6));
		/* EVP_DecodeBlock counts padding as zero bytes: drop them. */
		if (keylen > 0 && secret[strlen(secret) - 1] == '=')
			keylen -= secret[strlen(secret) - 2] == '=' ? 2 : 1;
	} else {
		keylen = (int)strlen(secret);
		if ((size_t)keylen > sizeof(key))
			keylen = sizeof(key);
		memcpy(key, secret, (size_t)keylen);
	}
	if (keylen < 0)
		keylen = 0;
	b64 = channel_hmac_base64(key, (size_t)keylen, signed_text,
	    strlen(signed_text));
	xasprintf(&next, "%s%sv1,%s", *sigs, **sigs ? " " : "", b64);
	free(b64);
	free(*sigs);
	*sigs = next;
}

static void
channel_webhook_done(const struct httpc_response *r, void *arg)
{
	struct delivery	*d = arg;
	char		 detail[128];

	if (r->status >= 200 && r->status < 300) {
		d->done(d, DELIVERY_OK, NULL, -1);
		return;
	}
	if (r->status == 0) {
		d->done(d, DELIVERY_RETRY, r->error, -1);
		return;
	}
	snprintf(detail, sizeof(detail), "HTTP %ld", r->status);
	if (r->status == 408 || r->status == 429 || r->status >= 500)
		d->done(d, DELIVERY_RETRY, detail, r->retry_after);
	else
		d->done(d, DELIVERY_PERMANENT, detail, -1);
}

static void
channel_webhook_send(struct delivery *d)
{
	const struct channel_def	*def = d->def;
	json_t				*secret, *s;
	struct curl_slist		*h = NULL;
	const char			*body = d->raw_body;
	char				*signed_text, *sigs, *line;
	long long			 ts = clock_now() / MSEC_PER_SEC;
	size_t				 i;

	h = curl_slist_append(h, "Content-Type: application/json");
	xasprintf(&line, "webhook-id: %s", d->key);
	h = curl_slist_append(h, line);
	free(line);
	xasprintf(&line, "Idempotency-Key: %s", d->key);
	h = curl_slist_append(h, line);
	free(line);
	xasprintf(&line, "webhook-timestamp: %lld", ts);
	h = curl_slist_append(h, line);
	free(line);
	secret = json_object_get(def->options, "secret");
	if (secret != NULL) {
		xasprintf(&signed_text, "%s.%lld.%s", d->key, ts, body);
		sigs = xstrdup("");
		if (json_is_string(secret))
			channel_webhook_sign(json_string_value(secret),
			    signed_text, &sigs);
		json_array_foreach(secret, i, s) {
			if (json_is_string(s))
				channel_webhook_sign(json_string_value(s),
				    signed_text, &sigs);
		}
		xasprintf(&line, "webhook-signature: %s", sigs);
		h = curl_slist_append(h, line);
		free(line);
		free(sigs);
		free(signed_text);
	}
	if (httpc_post(d->httpc, channel_option_string(def, "url"), h, body,
	    strlen(body), channel_option_int(def, "timeout_ms",
	    WEBHOOK_TIMEOUT_MS), channel_webhook_done, d) != 0)
		d->done(d, DELIVERY_RETRY, "cannot start the request", -1);
}

static const char *const channel_webhook_options[] = {
	"url", "secret", NULL
};

const struct channel_driver channel_webhook_driver = {
	.kind = "webhook",
	.options = channel_webhook_options,
	.check = channel_webhook_check,
	.send = channel_webhook_send,
};
