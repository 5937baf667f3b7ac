/*
 * Twilio: POST /2010-04-01/Accounts/{AccountSid}/Messages.json, a form of
 * To, From or MessagingServiceSid, and Body, with HTTP Basic auth of
 * AccountSid:AuthToken.  We build the Authorization header ourselves
 * rather than hand curl a user and password, so the token lives in one
 * header list that httpc frees, and nothing else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

const struct channel_sms_provider channel_sms_twilio = {
	.name = "twilio",
	.options = channel_sms_twilio_options,
	.required = channel_sms_twilio_required,
	.check = channel_sms_twilio_check,
	.build = channel_sms_twilio_build,
	.answer = channel_sms_twilio_answer,
};
