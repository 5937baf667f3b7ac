/*
 * The generic webhook channel: the notification as JSON, signed the
 * Standard Webhooks way so a receiver can check it came from us and drop
 * repeats:
 *
 *	webhook-id:        the notification's idempotency key (every attempt)
 *	webhook-timestamp: seconds since the epoch
 *	webhook-signature: "v1,<base64 HMAC-SHA256(secret, id.timestamp.body)>"
 *
 * A secret "whsec_<base64>" is used as the decoded bytes, decoded as the
 * Standard Webhooks libraries decode it (standard base64, padded or not,
 * any length); a secret they could not decode is refused when the rules
 * load.  Any other text is used as it is.  Several secrets (a list) give
 * several signatures, for rotation.
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

/*
 * The HMAC key of one secret, as a new buffer of *len bytes: "whsec_"
 * and standard base64 decoded as the Standard Webhooks libraries decode
 * it, whatever its length; any other text as it is.  NULL with a cause
 * when a receiver's library could not have the same key.
 */
static unsigned char *
channel_webhook_key(const char *secret, size_t *len, char **cause)
{
	unsigned char	*key;
	char		*why = NULL;

	if (strncmp(secret, "whsec_", 6) != 0) {
		*len = strlen(secret);
		if (*len == 0) {
			*cause = xstrdup("is empty");
			return (NULL);
		}
		key = xmalloc(*len);
		memcpy(key, secret, *len);
		return (key);
	}
	if ((key = channel_base64_decode(secret + 6, len, &why)) == NULL) {
		xasprintf(cause, "is a \"whsec_\" secret that cannot be "
		    "decoded: %s", why);
		free(why);
		return (NULL);
	}
	if (*len == 0) {
		free(key);
		*cause = xstrdup("is a \"whsec_\" secret of no bytes");
		return (NULL);
	}
	return (key);
}

/* 0 if secret (the n-th of a list, or n = 0) gives a key. */
static int
channel_webhook_check_secret(json_t *secret, size_t n, char **cause)
{
	unsigned char	*key = NULL;
	size_t		 len;
	char		*why = NULL;

	if (!json_is_string(secret))
		why = xstrdup("is not a string");
	else
		key = channel_webhook_key(json_string_value(secret), &len, &why);
	if (key == NULL) {
		if (n > 0)
			xasprintf(cause, "\"secret\" (item %zu of the list) %s",
			    n, why);
		else
			xasprintf(cause, "\"secret\" %s", why);
		free(why);
		return (-1);
	}
	explicit_bzero(key, len);
	free(key);
	return (0);
}

static int
channel_webhook_check(const struct channel_def *def, char **cause)
{
	json_t	*secret = json_object_get(def->options, "secret"), *s;
	size_t	 i;

	if (channel_check_url(def, cause) != 0)
		return (-1);
	if (secret == NULL)
		return (0);
	if (json_is_array(secret)) {
		if (json_array_size(secret) == 0) {
			*cause = xstrdup("\"secret\" is an empty list");
			return (-1);
		}
		json_array_foreach(secret, i, s) {
			if (channel_webhook_check_secret(s, i + 1, cause) != 0)
				return (-1);
		}
		return (0);
	}
	if (!json_is_string(secret)) {
		*cause = xstrdup("\"secret\" must be a string or a list");
		return (-1);
	}
	return (channel_webhook_check_secret(secret, 0, cause));
}

/* Append " v1,<sig>" for one secret to sigs; -1 if it gives no key. */
static int
channel_webhook_sign(const char *secret, const char *signed_text,
    char **sigs)
{
	unsigned char	*key;
	size_t		 keylen;
	char		*b64, *next, *why = NULL;

	if ((key = channel_webhook_key(secret, &keylen, &why)) == NULL) {
		free(why);
		return (-1);
	}
	b64 = channel_hmac_base64(key, keylen, signed_text,
	    strlen(signed_text));
	explicit_bzero(key, keylen);
	free(key);
	xasprintf(&next, "%s%sv1,%s", *sigs, **sigs ? " " : "", b64);
	free(b64);
	free(*sigs);
	*sigs = next;
	return (0);
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
	int				 bad = 0;

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
			bad |= channel_webhook_sign(json_string_value(secret),
			    signed_text, &sigs);
		json_array_foreach(secret, i, s) {
			bad |= !json_is_string(s) || channel_webhook_sign(
			    json_string_value(s), signed_text, &sigs) != 0;
		}
		xasprintf(&line, "webhook-signature: %s", sigs);
		h = curl_slist_append(h, line);
		free(line);
		free(sigs);
		free(signed_text);
	}
	/* The load-time check refuses such a secret; never sign with less. */
	if (bad) {
		curl_slist_free_all(h);
		d->done(d, DELIVERY_PERMANENT, "a secret gives no signing key",
		    -1);
		return;
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
