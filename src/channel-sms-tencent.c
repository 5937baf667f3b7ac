/*
 * Tencent Cloud SMS: SendSms of API 3.0, version 2021-01-11: a JSON body
 * signed TC3-HMAC-SHA256 (channel-sign.c, service "sms").  The idempotency
 * key goes in SessionContext, which Tencent hands back.
 *
 * Tencent calls back, to URLs set in the console, with status reports
 * ("SMS Sending Status Notification", tencentcloud.com/document/product/
 * 382/43547): a JSON array of {"user_receive_time","nationcode","mobile",
 * "report_status":"SUCCESS"|"FAIL","errmsg","description","sid"}, sid
 * being SendSms's SerialNo; and with replies ("SMS Reply", .../382/43548):
 * one object {"extend","mobile","nationcode","sign","text","time"}.  Each
 * wants {"result":0,"errmsg":"OK"} back; neither is signed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel-sign.h"
#include "channel-sms.h"
#include "rules.h"
#include "tocsin.h"
#include "xmalloc.h"

#define TENCENT_ENDPOINT	"https://sms.tencentcloudapi.com/"
#define TENCENT_HOST		"sms.tencentcloudapi.com"
#define TENCENT_VERSION		"2021-01-11"
#define TENCENT_REGION		"ap-guangzhou"

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

static void
channel_sms_tencent_build(const struct channel_sms_msg *m,
    struct channel_sms_request *req)
{
	const struct channel_def	*def = m->def;
	const char			*endpoint, *region;
	json_t				*o;
	struct channel_sign_tc3		 c;

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
	region = channel_option_string(def, "region");
	memset(&c, 0, sizeof(c));
	c.secret_id = channel_option_string(def, "secret_id");
	c.secret_key = channel_option_string(def, "secret_key");
	c.service = "sms";
	c.action = "SendSms";
	c.version = TENCENT_VERSION;
	c.region = region != NULL ? region : TENCENT_REGION;
	c.url = req->url;
	c.default_host = TENCENT_HOST;
	c.body = req->body;
	c.ts = (long long)(m->now / MSEC_PER_SEC);
	channel_sign_tc3_headers(&c, &req->headers);
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

/* SendStatusSet[0].SerialNo: the status report's sid. */
static char *
channel_sms_tencent_ref(const struct httpc_response *r)
{
	json_t		*o = json_loadb(r->body, r->len, 0, NULL);
	const char	*id;
	char		*ref;

	id = json_string_value(json_object_get(json_array_get(json_object_get(
	    json_object_get(o, "Response"), "SendStatusSet"), 0), "SerialNo"));
	ref = id != NULL && *id != '\0' ? xstrdup(id) : NULL;
	json_decref(o);
	return (ref);
}

static int
channel_sms_tencent_reports(json_t *o, struct channel_receipts *out,
    char **cause)
{
	json_t		*item;
	const char	*sid, *status, *code;
	size_t		 i;

	json_array_foreach(o, i, item) {
		sid = json_string_value(json_object_get(item, "sid"));
		status = json_string_value(json_object_get(item,
		    "report_status"));
		code = json_string_value(json_object_get(item, "errmsg"));
		if (sid == NULL || status == NULL || (strcmp(status,
		    "SUCCESS") != 0 && strcmp(status, "FAIL") != 0)) {
			xasprintf(cause, "report %zu lacks sid or a "
			    "report_status of SUCCESS or FAIL", i + 1);
			return (-1);
		}
		channel_receipts_add(out, sid, strcmp(status, "SUCCESS") == 0 ?
		    RECEIPT_DELIVERED : RECEIPT_FAILED, code);
	}
	return (0);
}

/* An array is status reports; an object with "text" is a reply. */
static int
channel_sms_tencent_receipts(const struct channel_def *def,
    const struct channel_callback *cb, struct channel_receipts *out,
    char **cause)
{
	json_t		*o;
	const char	*mobile, *text;
	int		 rc = 0;

	if ((o = json_loadb(cb->body, cb->len, 0, NULL)) == NULL) {
		*cause = xstrdup("the callback's body is not JSON");
		return (-1);
	}
	out->reply = "{\"result\":0,\"errmsg\":\"OK\"}";
	mobile = json_string_value(json_object_get(o, "mobile"));
	text = json_string_value(json_object_get(o, "text"));
	if (json_is_array(o))
		rc = channel_sms_tencent_reports(o, out, cause);
	else if (mobile != NULL && text != NULL)
		channel_receipts_reply(out, mobile, json_string_value(
		    json_object_get(o, "nationcode")), text);
	else {
		*cause = xstrdup("neither status reports (an array) nor a "
		    "reply (mobile and text)");
		rc = -1;
	}
	json_decref(o);
	return (rc);
}

const struct channel_sms_provider channel_sms_tencent = {
	.name = "tencent",
	.options = channel_sms_tencent_options,
	.required = channel_sms_tencent_required,
	.build = channel_sms_tencent_build,
	.answer = channel_sms_tencent_answer,
	.ref = channel_sms_tencent_ref,
	.receipts = channel_sms_tencent_receipts,
};
