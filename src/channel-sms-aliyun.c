/*
 * Aliyun (Alibaba Cloud) SMS: SendSms of API 2017-05-25, RPC style.  The
 * parameters go as a form; the signature (SignatureVersion 1.0) is
 *
 *	base64(HMAC-SHA1(secret + "&",
 *	    "POST&%2F&" + enc(sorted "enc(k)=enc(v)" joined by "&")))
 *
 * with enc() RFC 3986 percent-encoding (channel_url_encode).
 *
 * SignatureNonce is random for every attempt, not the idempotency key:
 * Aliyun refuses a nonce it has already seen (SignatureNonceUsed), so the
 * key would turn every retry into a failure.  The key goes in OutId, which
 * Aliyun keeps with the message and hands back in delivery receipts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "channel-sms.h"
#include "log.h"
#include "rules.h"
#include "tocsin.h"
#include "xmalloc.h"

#define ALIYUN_ENDPOINT		"https://dysmsapi.aliyuncs.com/"
#define ALIYUN_VERSION		"2017-05-25"

static const char *const channel_sms_aliyun_options[] = {
	"endpoint", "access_key_id", "access_key_secret", "sign_name",
	"template_code", "template_param", NULL
};

static const char *const channel_sms_aliyun_required[] = {
	"access_key_id", "access_key_secret", "sign_name", "template_code",
	NULL
};

/*
 * Flow control and Aliyun's own faults pass; a bad number, template, sign
 * or key never will.  The daily cap (isv.DAY_LIMIT_CONTROL) is final too:
 * it lifts in hours, so better dead and seen now than retried until then.
 */
static const struct channel_sms_code channel_sms_aliyun_codes[] = {
	{ "OK",				DELIVERY_OK },
	{ "isv.BUSINESS_LIMIT_CONTROL",	DELIVERY_RETRY },
	{ "Throttling*",		DELIVERY_RETRY },
	{ "isp.RAM_PERMISSION_DENY",	DELIVERY_PERMANENT },
	{ "isp.*",			DELIVERY_RETRY },
	{ "ServiceUnavailable*",	DELIVERY_RETRY },
	{ "InternalError*",		DELIVERY_RETRY },
	{ "SignatureNonceUsed",		DELIVERY_RETRY },
	{ "isv.*",			DELIVERY_PERMANENT },
	{ "InvalidAccessKeyId*",	DELIVERY_PERMANENT },
	{ "SignatureDoesNotMatch",	DELIVERY_PERMANENT },
	{ NULL,				DELIVERY_PERMANENT },
};

static int
channel_sms_aliyun_param_cmp(const void *a, const void *b)
{
	const struct channel_sms_param	*pa = a, *pb = b;

	return (strcmp(pa->key, pb->key));
}

/* The canonical query: parameters sorted by name, each side encoded. */
char *
channel_sms_aliyun_query(const struct channel_sms_param *params, size_t n)
{
	struct channel_sms_param	*sorted;
	char				*out, *next, *k, *v;
	size_t				 i;

	sorted = xreallocarray(NULL, n, sizeof(*sorted));
	memcpy(sorted, params, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), channel_sms_aliyun_param_cmp);
	out = xstrdup("");
	for (i = 0; i < n; i++) {
		k = channel_url_encode(sorted[i].key);
		v = channel_url_encode(sorted[i].value);
		xasprintf(&next, "%s%s%s=%s", out, i > 0 ? "&" : "", k, v);
		free(k);
		free(v);
		free(out);
		out = next;
	}
	free(sorted);
	return (out);
}

/*
 * The Signature parameter for a canonical query sent with method (we POST;
 * Aliyun's worked example is a GET), before form-encoding.
 */
char *
channel_sms_aliyun_sign(const char *method, const char *secret,
    const char *query)
{
	unsigned char	 mac[CHANNEL_SHA1_LEN];
	char		*enc, *text, *key, *sig;

	enc = channel_url_encode(query);
	xasprintf(&text, "%s&%%2F&%s", method, enc);
	xasprintf(&key, "%s&", secret);
	channel_hmac_sha1(key, strlen(key), text, strlen(text), mac);
	sig = channel_base64(mac, sizeof(mac));
	explicit_bzero(key, strlen(key));
	free(key);
	free(text);
	free(enc);
	return (sig);
}

/*
 * The canonical query of one SendSms, with a fresh nonce and time.  The
 * number goes as 86138... (or a country code without "+"), as Aliyun
 * documents.
 */
static char *
channel_sms_aliyun_params(const struct channel_sms_msg *m, const char *param)
{
	const struct channel_def	*def = m->def;
	unsigned char			 raw[16];
	char				 nonce[2 * sizeof(raw) + 1], ts[32];
	time_t				 t = (time_t)(m->now / MSEC_PER_SEC);
	struct tm			 tm;
	const struct channel_sms_param	 params[] = {
		{ "AccessKeyId", channel_option_string(def, "access_key_id") },
		{ "Action", "SendSms" },
		{ "Format", "JSON" },
		{ "OutId", m->key },
		{ "PhoneNumbers", m->phone + (m->phone[0] == '+') },
		{ "SignName", channel_option_string(def, "sign_name") },
		{ "SignatureMethod", "HMAC-SHA1" },
		{ "SignatureNonce", nonce },
		{ "SignatureVersion", "1.0" },
		{ "TemplateCode", channel_option_string(def, "template_code") },
		{ "TemplateParam", param },
		{ "Timestamp", ts },
		{ "Version", ALIYUN_VERSION },
	};

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		fatalx("sms: no random bytes for a signature nonce");
	channel_hex(raw, sizeof(raw), nonce);
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return (channel_sms_aliyun_query(params, nitems(params)));
}

static void
channel_sms_aliyun_build(const struct channel_sms_msg *m,
    struct channel_sms_request *req)
{
	const struct channel_def	*def = m->def;
	const char			*name, *endpoint;
	char				*param, *query, *sig, *esig;
	json_t				*o;

	/* The text is the value of one template parameter. */
	name = channel_option_string(def, "template_param");
	o = json_pack("{s:s}", name != NULL ? name : "content", m->text);
	if ((param = json_dumps(o, JSON_COMPACT)) == NULL)
		param = xstrdup("{}");	/* not UTF-8: cannot happen */
	json_decref(o);
	query = channel_sms_aliyun_params(m, param);
	sig = channel_sms_aliyun_sign("POST", channel_option_string(def,
	    "access_key_secret"), query);
	esig = channel_url_encode(sig);
	xasprintf(&req->body, "%s&Signature=%s", query, esig);
	endpoint = channel_option_string(def, "endpoint");
	req->url = xstrdup(endpoint != NULL ? endpoint : ALIYUN_ENDPOINT);
	channel_sms_header(&req->headers,
	    "Content-Type: application/x-www-form-urlencoded");
	channel_sms_header(&req->headers, "Accept: application/json");
	free(esig);
	free(sig);
	free(query);
	free(param);
}

/* {"Code":"OK","BizId":"…","RequestId":"…","Message":"OK"}, or a Code. */
static enum delivery_result
channel_sms_aliyun_answer(json_t *options, const struct httpc_response *r,
    char *detail, size_t len)
{
	json_t			*o = json_loadb(r->body, r->len, 0, NULL);
	const char		*code;
	enum delivery_result	 result;

	code = json_string_value(json_object_get(o, "Code"));
	result = channel_sms_verdict(channel_sms_aliyun_codes, "aliyun", code,
	    r->status, detail, len);
	json_decref(o);
	return (result);
}

const struct channel_sms_provider channel_sms_aliyun = {
	.name = "aliyun",
	.options = channel_sms_aliyun_options,
	.required = channel_sms_aliyun_required,
	.build = channel_sms_aliyun_build,
	.answer = channel_sms_aliyun_answer,
};
