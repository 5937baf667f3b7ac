/*
 * Tencent Cloud SMS: SendSms of API 3.0, version 2021-01-11.  A JSON body
 * signed TC3-HMAC-SHA256:
 *
 *	canonical request = "POST\n/\n\n" + "content-type:…\nhost:…\n\n" +
 *	    "content-type;host\n" + hex(SHA-256(body))
 *	string to sign    = "TC3-HMAC-SHA256\n" + timestamp + "\n" +
 *	    date + "/sms/tc3_request\n" + hex(SHA-256(canonical request))
 *	key               = HMAC("TC3" + SecretKey, date) → "sms" →
 *	    "tc3_request", each step an HMAC-SHA256 keyed by the last
 *
 * The host signed is the endpoint's (with its port, as curl sends it), and
 * we send that exact Host header so the two cannot differ.  The
 * idempotency key goes in SessionContext, which Tencent hands back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "channel-sms.h"
#include "rules.h"
#include "tocsin.h"
#include "xmalloc.h"

#define TENCENT_ENDPOINT	"https://sms.tencentcloudapi.com/"
#define TENCENT_HOST		"sms.tencentcloudapi.com"
#define TENCENT_VERSION		"2021-01-11"
#define TENCENT_REGION		"ap-guangzhou"
#define TENCENT_SERVICE		"sms"
#define TENCENT_CONTENT_TYPE	"application/json; charset=utf-8"

static const char *const channel_sms_tencent_options[] = {
	"endpoint", "secret_id", "secret_key", "sdk_app_id", "sign_name",
	"template_id", "region", NULL
};

static const char *const channel_sms_tencent_required[] = {
	"secret_id", "secret_key", "sdk_app_id", "template_id", NULL
};

/*
 * Frequency limits and Tencent's own faults pass.  Two LimitExceeded codes
 * are not about frequency and never pass: too many numbers in one request,
 * and a country the application may not send to.
 */
static const struct channel_sms_code channel_sms_tencent_codes[] = {
	{ "Ok",					DELIVERY_OK },
	{ "RequestLimitExceeded*",		DELIVERY_RETRY },
	{ "InternalError*",			DELIVERY_RETRY },
	{ "LimitExceeded.PhoneNumberCountLimit", DELIVERY_PERMANENT },
	{ "LimitExceeded.AppCountryOrRegionInBlacklist", DELIVERY_PERMANENT },
	{ "LimitExceeded.*",			DELIVERY_RETRY },
	{ "AuthFailure*",			DELIVERY_PERMANENT },
	{ "InvalidParameter*",			DELIVERY_PERMANENT },
	{ "FailedOperation*",			DELIVERY_PERMANENT },
	{ "UnauthorizedOperation*",		DELIVERY_PERMANENT },
	{ "MissingParameter*",			DELIVERY_PERMANENT },
	{ "UnsupportedOperation*",		DELIVERY_PERMANENT },
	{ NULL,					DELIVERY_PERMANENT },
};

/* One step of the key derivation: k becomes HMAC(k, text). */
static void
channel_sms_tencent_derive(unsigned char k[CHANNEL_SHA256_LEN],
    const char *text)
{
	unsigned char	next[CHANNEL_SHA256_LEN];

	channel_hmac_sha256(k, CHANNEL_SHA256_LEN, text, strlen(text), next);
	memcpy(k, next, sizeof(next));
	explicit_bzero(next, sizeof(next));
}

/* The value of the Authorization header for body sent at ts to host. */
char *
channel_sms_tencent_authorization(const char *secret_id,
    const char *secret_key, const char *host, const char *body, long long ts)
{
	unsigned char	 k[CHANNEL_SHA256_LEN], mac[CHANNEL_SHA256_LEN];
	char		 date[16], hashed[2 * CHANNEL_SHA256_LEN + 1];
	char		 sig[2 * CHANNEL_SHA256_LEN + 1];
	char		*creq, *sts, *key, *out;
	time_t		 t = (time_t)ts;
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	channel_sha256_hex(body, strlen(body), hashed);
	xasprintf(&creq, "POST\n/\n\ncontent-type:%s\nhost:%s\n\n"
	    "content-type;host\n%s", TENCENT_CONTENT_TYPE, host, hashed);
	channel_sha256_hex(creq, strlen(creq), hashed);
	xasprintf(&sts, "TC3-HMAC-SHA256\n%lld\n%s/%s/tc3_request\n%s", ts,
	    date, TENCENT_SERVICE, hashed);

	xasprintf(&key, "TC3%s", secret_key);
	channel_hmac_sha256(key, strlen(key), date, strlen(date), k);
	channel_sms_tencent_derive(k, TENCENT_SERVICE);
	channel_sms_tencent_derive(k, "tc3_request");
	channel_hmac_sha256(k, sizeof(k), sts, strlen(sts), mac);
	channel_hex(mac, sizeof(mac), sig);
	xasprintf(&out, "TC3-HMAC-SHA256 Credential=%s/%s/%s/tc3_request, "
	    "SignedHeaders=content-type;host, Signature=%s", secret_id, date,
	    TENCENT_SERVICE, sig);

	explicit_bzero(k, sizeof(k));
	explicit_bzero(key, strlen(key));
	free(key);
	free(sts);
	free(creq);
	return (out);
}

/* host[:port] of a URL, as curl puts it in the Host header. */
static char *
channel_sms_tencent_host(const char *url)
{
	CURLU	*u = curl_url();
	char	*host = NULL, *port = NULL, *out;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		out = xstrdup(TENCENT_HOST);
	else if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
		xasprintf(&out, "%s:%s", host, port);
	else
		out = xstrdup(host);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return (out);
}

static void
channel_sms_tencent_build(const struct channel_sms_msg *m,
    struct channel_sms_request *req)
{
	const struct channel_def	*def = m->def;
	const char			*endpoint, *region;
	char				*host, *auth;
	json_t				*o;
	long long			 now = (long long)(m->now / MSEC_PER_SEC);

	o = json_pack("{s:[s], s:s, s:s*, s:s, s:[s], s:s}",
	    "PhoneNumberSet", m->phone,
	    "SmsSdkAppId", channel_option_string(def, "sdk_app_id"),
	    "SignName", channel_option_string(def, "sign_name"),
	    "TemplateId", channel_option_string(def, "template_id"),
	    "TemplateParamSet", m->text,
	    "SessionContext", m->key);
	if ((req->body = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)) ==
	    NULL)
		req->body = xstrdup("{}");	/* not UTF-8: cannot happen */
	json_decref(o);
	endpoint = channel_option_string(def, "endpoint");
	req->url = xstrdup(endpoint != NULL ? endpoint : TENCENT_ENDPOINT);
	host = channel_sms_tencent_host(req->url);
	auth = channel_sms_tencent_authorization(channel_option_string(def,
	    "secret_id"), channel_option_string(def, "secret_key"), host,
	    req->body, now);
	region = channel_option_string(def, "region");
	channel_sms_header(&req->headers, "Content-Type: %s",
	    TENCENT_CONTENT_TYPE);
	channel_sms_header(&req->headers, "Host: %s", host);
	channel_sms_header(&req->headers, "Authorization: %s", auth);
	channel_sms_header(&req->headers, "X-TC-Action: SendSms");
	channel_sms_header(&req->headers, "X-TC-Version: %s", TENCENT_VERSION);
	channel_sms_header(&req->headers, "X-TC-Timestamp: %lld", now);
	channel_sms_header(&req->headers, "X-TC-Region: %s",
	    region != NULL ? region : TENCENT_REGION);
	free(auth);
	free(host);
}

/*
 * {"Response":{"SendStatusSet":[{"Code":"Ok",…}],…}} when the request was
 * taken, the number's own fate in that Code; {"Response":{"Error":{"Code":
 * …}}} when it was not.  Either comes with HTTP 200.
 */
static enum delivery_result
channel_sms_tencent_answer(json_t *options, const struct httpc_response *r,
    char *detail, size_t len)
{
	json_t			*o = json_loadb(r->body, r->len, 0, NULL);
	json_t			*resp = json_object_get(o, "Response");
	const char		*code;
	enum delivery_result	 result;

	code = json_string_value(json_object_get(json_object_get(resp,
	    "Error"), "Code"));
	if (code == NULL)
		code = json_string_value(json_object_get(json_array_get(
		    json_object_get(resp, "SendStatusSet"), 0), "Code"));
	result = channel_sms_verdict(channel_sms_tencent_codes, "tencent",
	    code, r->status, detail, len);
	json_decref(o);
	return (result);
}

const struct channel_sms_provider channel_sms_tencent = {
	.name = "tencent",
	.options = channel_sms_tencent_options,
	.required = channel_sms_tencent_required,
	.build = channel_sms_tencent_build,
	.answer = channel_sms_tencent_answer,
};
