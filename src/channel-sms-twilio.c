/*
 * Twilio: POST /2010-04-01/Accounts/{AccountSid}/Messages.json, a form of
 * To, From or MessagingServiceSid, and Body, with HTTP Basic auth of
 * AccountSid:AuthToken.  We build the Authorization header ourselves
 * rather than hand curl a user and password, so the token lives in one
 * header list that httpc frees, and nothing else.
 *
 * Twilio posts forms to the URLs set in its console: a message's status
 * (the Messaging Service's "Delivery Status Callback", www.twilio.com/
 * docs/messaging/guides/track-outbound-message-status: MessageSid,
 * MessageStatus delivered|undelivered|failed|…, ErrorCode) and a message
 * that comes in (the number's or service's "A message comes in" webhook,
 * www.twilio.com/docs/messaging/guides/webhook-request: MessageSid, From,
 * To, Body, …).  Each is signed in X-Twilio-Signature: base64 of
 * HMAC-SHA1, keyed with the auth token, over the full URL Twilio called
 * followed by each POST parameter's name and value, sorted by name
 * (www.twilio.com/docs/usage/security#validating-requests).  A request
 * that fails it changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "channel-sign.h"
#include "channel-sms.h"
#include "rules.h"
#include "tocsin.h"
#include "xmalloc.h"

#define TWILIO_ENDPOINT		"https://api.twilio.com"

static const char *const channel_sms_twilio_options[] = {
	"endpoint", "account_sid", "auth_token", "from",
	"messaging_service_sid", NULL
};

static const char *const channel_sms_twilio_required[] = {
	"account_sid", "auth_token", NULL
};

/* Twilio's codes on a 4xx; 20429 is its "too many requests". */
static const struct channel_sms_code channel_sms_twilio_codes[] = {
	{ "20429",	DELIVERY_RETRY },
	{ NULL,		DELIVERY_PERMANENT },
};

/* A message Twilio took; "failed" or "undelivered" on a 201 is not. */
static const char *const channel_sms_twilio_taken[] = {
	"accepted", "scheduled", "queued", "sending", "sent", "delivered",
	NULL
};

static int
channel_sms_twilio_check(const struct channel_def *def, char **cause)
{
	const char	*from = channel_option_string(def, "from");
	const char	*msid = channel_option_string(def,
			    "messaging_service_sid");

	if ((from == NULL || *from == '\0') && (msid == NULL || *msid == '\0')) {
		*cause = xstrdup("provider \"twilio\" needs \"from\" or "
		    "\"messaging_service_sid\"");
		return (-1);
	}
	return (0);
}

/* Append "&name=value" (no "&" first), the value form-encoded. */
static void
channel_sms_twilio_field(char **body, const char *name, const char *value)
{
	char	*enc, *next;

	if (value == NULL || *value == '\0')
		return;
	enc = channel_url_encode(value);
	xasprintf(&next, "%s%s%s=%s", *body, **body != '\0' ? "&" : "", name,
	    enc);
	free(enc);
	free(*body);
	*body = next;
}

static void
channel_sms_twilio_build(const struct channel_sms_msg *m,
    struct channel_sms_request *req)
{
	const struct channel_def	*def = m->def;
	const char			*endpoint, *sid, *token;
	char				*cred, *b64, *esid;
	size_t				 n;

	sid = channel_option_string(def, "account_sid");
	token = channel_option_string(def, "auth_token");
	endpoint = channel_option_string(def, "endpoint");
	if (endpoint == NULL)
		endpoint = TWILIO_ENDPOINT;
	n = strlen(endpoint);
	while (n > 0 && endpoint[n - 1] == '/')
		n--;
	esid = channel_url_encode(sid);
	xasprintf(&req->url, "%.*s/2010-04-01/Accounts/%s/Messages.json",
	    (int)n, endpoint, esid);
	free(esid);

	req->body = xstrdup("");
	channel_sms_twilio_field(&req->body, "To", m->phone);
	channel_sms_twilio_field(&req->body, "From",
	    channel_option_string(def, "from"));
	channel_sms_twilio_field(&req->body, "MessagingServiceSid",
	    channel_option_string(def, "messaging_service_sid"));
	channel_sms_twilio_field(&req->body, "Body", m->text);

	xasprintf(&cred, "%s:%s", sid, token);
	b64 = channel_base64(cred, strlen(cred));
	channel_sign_header(&req->headers, "Authorization: Basic %s", b64);
	explicit_bzero(b64, strlen(b64));
	explicit_bzero(cred, strlen(cred));
	free(b64);
	free(cred);
	channel_sign_header(&req->headers,
	    "Content-Type: application/x-www-form-urlencoded");
	channel_sign_header(&req->headers, "Accept: application/json");
	channel_sign_header(&req->headers, "I-Twilio-Idempotency-Token: %s",
	    m->key);
}

static int
channel_sms_twilio_listed(const char *status)
{
	const char *const	*s;

	for (s = channel_sms_twilio_taken; status != NULL && *s != NULL; s++) {
		if (strcmp(*s, status) == 0)
			return (1);
	}
	return (0);
}

/*
 * 201 {"sid":"SM…","status":"queued",…} when taken; otherwise
 * {"code":21211,"message":…,"status":400}.  429 and 5xx pass (the driver
 * hands on Retry-After); any other 4xx is final.
 */
static enum delivery_result
channel_sms_twilio_answer(json_t *options, const struct httpc_response *r,
    char *detail, size_t len)
{
	json_t			*o = json_loadb(r->body, r->len, 0, NULL);
	const char		*status;
	char			 code[32] = "";
	enum delivery_result	 result;

	if (r->status >= 200 && r->status < 300) {
		status = json_string_value(json_object_get(o, "status"));
		result = channel_sms_twilio_listed(status) ? DELIVERY_OK :
		    DELIVERY_PERMANENT;
		channel_sms_detail(detail, len, "twilio", status, r->status);
	} else {
		if (json_is_integer(json_object_get(o, "code")))
			snprintf(code, sizeof(code), "%lld", (long long)
			    json_integer_value(json_object_get(o, "code")));
		result = channel_sms_verdict(channel_sms_twilio_codes,
		    "twilio", code[0] != '\0' ? code : NULL, r->status,
		    detail, len);
	}
	json_decref(o);
	return (result);
}

/* The message's sid, which its status callbacks name. */
static char *
channel_sms_twilio_ref(const struct httpc_response *r)
{
	json_t		*o = json_loadb(r->body, r->len, 0, NULL);
	const char	*sid = json_string_value(json_object_get(o, "sid"));
	char		*ref = sid != NULL && *sid != '\0' ? xstrdup(sid) : NULL;

	json_decref(o);
	return (ref);
}

/* One form field, its name and value decoded. */
struct channel_sms_twilio_param {
	char	*name;
	char	*value;
};

static int
channel_sms_twilio_hex(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* application/x-www-form-urlencoded: "+" a space, "%XX" a byte. */
static char *
channel_sms_twilio_decode(const char *s, size_t n)
{
	char	*out = xmalloc(n + 1);
	size_t	 i, o = 0;
	int	 hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			out[o++] = ' ';
		else if (s[i] == '%' && i + 2 < n &&
		    (hi = channel_sms_twilio_hex(s[i + 1])) >= 0 &&
		    (lo = channel_sms_twilio_hex(s[i + 2])) >= 0) {
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return (out);
}

static size_t
channel_sms_twilio_parse(const char *body, size_t len,
    struct channel_sms_twilio_param **out)
{
	struct channel_sms_twilio_param	*v = NULL;
	const char			*p = body, *end = body + len, *amp, *eq;
	size_t				 n = 0;

	while (p < end) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp > p) {
			if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
				eq = amp;
			v = xreallocarray(v, n + 1, sizeof(*v));
			v[n].name = channel_sms_twilio_decode(p,
			    (size_t)(eq - p));
			v[n].value = channel_sms_twilio_decode(eq < amp ?
			    eq + 1 : amp, eq < amp ? (size_t)(amp - eq - 1) : 0);
			n++;
		}
		p = amp + 1;
	}
	*out = v;
	return (n);
}

static void
channel_sms_twilio_params_free(struct channel_sms_twilio_param *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

static int
channel_sms_twilio_param_cmp(const void *a, const void *b)
{
	const struct channel_sms_twilio_param	*x = a, *y = b;
	int					 c = strcmp(x->name, y->name);

	return (c != 0 ? c : strcmp(x->value, y->value));
}

static const char *
channel_sms_twilio_get(const struct channel_sms_twilio_param *v, size_t n,
    const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(v[i].name, name) == 0)
			return (v[i].value);
	}
	return (NULL);
}

/*
 * Did Twilio sign this form, posted to url, with token?  The parameters
 * are sorted by name (then value, for a name given twice, as Twilio's own
 * libraries do) and appended to the URL as name then value.
 */
int
channel_sms_twilio_signature_ok(const char *token, const char *url,
    const char *body, size_t len, const char *signature)
{
	struct channel_sms_twilio_param	*v;
	unsigned char			 mac[CHANNEL_SHA1_LEN];
	char				*text, *next, *want;
	size_t				 n, i;
	int				 ok;

	if (token == NULL || url == NULL || signature == NULL)
		return (0);
	n = channel_sms_twilio_parse(body, len, &v);
	qsort(v, n, sizeof(*v), channel_sms_twilio_param_cmp);
	text = xstrdup(url);
	for (i = 0; i < n; i++) {
		xasprintf(&next, "%s%s%s", text, v[i].name, v[i].value);
		free(text);
		text = next;
	}
	channel_hmac_sha1(token, strlen(token), text, strlen(text), mac);
	want = channel_base64(mac, sizeof(mac));
	ok = strlen(want) == strlen(signature) &&
	    CRYPTO_memcmp(want, signature, strlen(want)) == 0;
	free(want);
	free(text);
	channel_sms_twilio_params_free(v, n);
	return (ok);
}

/*
 * A status callback's final word: delivered, or not (undelivered, failed).
 * queued, sent and the like are on the way and say nothing yet.
 */
static void
channel_sms_twilio_status(const struct channel_sms_twilio_param *v, size_t n,
    struct channel_receipts *out)
{
	const char	*sid = channel_sms_twilio_get(v, n, "MessageSid");
	const char	*status = channel_sms_twilio_get(v, n, "MessageStatus");
	const char	*code = channel_sms_twilio_get(v, n, "ErrorCode");
	char		 detail[64];

	if (sid == NULL || status == NULL)
		return;
	snprintf(detail, sizeof(detail), "%s%s%s", status, code != NULL ?
	    " " : "", code != NULL ? code : "");
	if (strcmp(status, "delivered") == 0)
		channel_receipts_add(out, sid, RECEIPT_DELIVERED, detail);
	else if (strcmp(status, "undelivered") == 0 ||
	    strcmp(status, "failed") == 0)
		channel_receipts_add(out, sid, RECEIPT_FAILED, detail);
}

static int
channel_sms_twilio_receipts(const struct channel_def *def,
    const struct channel_callback *cb, struct channel_receipts *out,
    char **cause)
{
	struct channel_sms_twilio_param	*v;
	const char			*from, *body, *status;
	size_t				 n;

	if (cb->url == NULL) {
		*cause = xstrdup("a Twilio callback is checked against the "
		    "URL Twilio called: the site needs public_url");
		return (-2);
	}
	if (!channel_sms_twilio_signature_ok(channel_option_string(def,
	    "auth_token"), cb->url, cb->body, cb->len, cb->signature)) {
		*cause = xstrdup("X-Twilio-Signature is missing or wrong");
		return (-2);
	}
	/* An empty TwiML answer: nothing is sent back to the person. */
	out->reply = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<Response></Response>";
	out->reply_type = "text/xml";
	n = channel_sms_twilio_parse(cb->body, cb->len, &v);
	from = channel_sms_twilio_get(v, n, "From");
	body = channel_sms_twilio_get(v, n, "Body");
	status = channel_sms_twilio_get(v, n, "MessageStatus");
	if (from != NULL && body != NULL && (status == NULL ||
	    strcmp(status, "received") == 0))
		channel_receipts_reply(out, from, NULL, body);
	else
		channel_sms_twilio_status(v, n, out);
	channel_sms_twilio_params_free(v, n);
	return (0);
}

const struct channel_sms_provider channel_sms_twilio = {
	.name = "twilio",
	.options = channel_sms_twilio_options,
	.required = channel_sms_twilio_required,
	.check = channel_sms_twilio_check,
	.build = channel_sms_twilio_build,
	.answer = channel_sms_twilio_answer,
	.ref = channel_sms_twilio_ref,
	.receipts = channel_sms_twilio_receipts,
};
