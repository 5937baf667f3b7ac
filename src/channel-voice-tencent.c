/*
 * Tencent Cloud voice message, 语音消息 (VMS): SendTtsVoice of API 3.0,
 * version 2020-09-02 (cloud.tencent.com/document/api/1128/51558), a JSON
 * body signed TC3-HMAC-SHA256 by channel-sign.c, service "vms".  Body:
 * TemplateId (an approved voice template), TemplateParamSet (its
 * parameters; the spoken content at most 350 characters), CalledNumber
 * (E.164, "+86…"), VoiceSdkAppid (the application), PlayTimes (1-3,
 * default 2) and SessionContext (the idempotency key, handed back).
 *
 * Limits (cloud.tencent.com/document/api/1128/51569): 20 requests a
 * second per API, region and sub-account, our default rate.
 *
 * The call's result comes to the application's callback URL, naming the
 * CallId SendTtsVoice answered with: {"voiceprompt_callback":{"result":
 * "0"|"1"|"2","callid":…}} (answered, not answered, failed;
 * cloud.tencent.com/document/api/1128/37725), or {"voice_failure_callback":
 * {"callid":…,"failure_code":N,…}} (/37727).  Tencent wants {"result":0,
 * "errmsg":"OK"} back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel-sign.h"
#include "channel-voice.h"
#include "rules.h"
#include "tocsin.h"
#include "xmalloc.h"

#define TENCENT_VMS_ENDPOINT	"https://vms.tencentcloudapi.com/"
#define TENCENT_VMS_HOST	"vms.tencentcloudapi.com"
#define TENCENT_VMS_VERSION	"2020-09-02"
#define TENCENT_VMS_REGION	"ap-guangzhou"

static const char *const channel_voice_tencent_options[] = {
	"endpoint", "secret_id", "secret_key", "voice_sdk_app_id",
	"template_id", "region", NULL
};

static const char *const channel_voice_tencent_required[] = {
	"secret_id", "secret_key", "voice_sdk_app_id", "template_id", NULL
};

/*
 * Frequency limits, Tencent's own faults and an upstream timeout pass;
 * a bad key, number, template, an empty voice package or a sensitive word
 * (FailedOperation.*) never will.  Codes as the SDK lists them
 * (tencentcloud-sdk-go vms/v20200902 errors.go).
 */
static const struct channel_sms_code channel_voice_tencent_codes[] = {
	{ "Ok",					DELIVERY_OK },
	{ "RequestLimitExceeded*",		DELIVERY_RETRY },
	{ "InternalError*",			DELIVERY_RETRY },
	{ "FailedOperation.AccessUpstreamTimeout", DELIVERY_RETRY },
	{ "LimitExceeded*",			DELIVERY_RETRY },
	{ "AuthFailure*",			DELIVERY_PERMANENT },
	{ "InvalidParameter*",			DELIVERY_PERMANENT },
	{ "FailedOperation*",			DELIVERY_PERMANENT },
	{ "UnauthorizedOperation*",		DELIVERY_PERMANENT },
	{ "MissingParameter*",			DELIVERY_PERMANENT },
	{ "UnsupportedOperation*",		DELIVERY_PERMANENT },
	{ "ResourceNotFound*",			DELIVERY_PERMANENT },
	{ NULL,					DELIVERY_PERMANENT },
};

static void
channel_voice_tencent_build(const struct channel_voice_msg *m,
    struct channel_sms_request *req)
{
	const struct channel_def	*def = m->def;
	const char			*endpoint, *region;
	long				 times;
	json_t				*o;
	struct channel_sign_tc3		 c;

	o = json_pack("{s:s, s:[s], s:s, s:s, s:s}",
	    "TemplateId", channel_option_string(def, "template_id"),
	    "TemplateParamSet", m->text,
	    "CalledNumber", m->phone,
	    "VoiceSdkAppid", channel_option_string(def, "voice_sdk_app_id"),
	    "SessionContext", m->key);
	if ((times = channel_option_int(def, "play_times", 0)) > 0)
		json_object_set_new(o, "PlayTimes", json_integer(times));
	if ((req->body = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)) ==
	    NULL)
		req->body = xstrdup("{}");	/* not UTF-8: cannot happen */
	json_decref(o);
	endpoint = channel_option_string(def, "endpoint");
	req->url = xstrdup(endpoint != NULL ? endpoint : TENCENT_VMS_ENDPOINT);
	region = channel_option_string(def, "region");
	memset(&c, 0, sizeof(c));
	c.secret_id = channel_option_string(def, "secret_id");
	c.secret_key = channel_option_string(def, "secret_key");
	c.service = "vms";
	c.action = "SendTtsVoice";
	c.version = TENCENT_VMS_VERSION;
	c.region = region != NULL ? region : TENCENT_VMS_REGION;
	c.url = req->url;
	c.default_host = TENCENT_VMS_HOST;
	c.body = req->body;
	c.ts = (long long)(m->now / MSEC_PER_SEC);
	channel_sign_tc3_headers(&c, &req->headers);
}

/*
 * {"Response":{"SendStatus":{"CallId":…,"SessionContext":…},…}} when the
 * call was placed; {"Response":{"Error":{"Code":…}}} when not.  Either
 * comes with HTTP 200.
 */
static enum delivery_result
channel_voice_tencent_answer(const struct httpc_response *r, char *detail,
    size_t len, char **ref)
{
	json_t			*o = json_loadb(r->body, r->len, 0, NULL);
	json_t			*resp = json_object_get(o, "Response");
	const char		*code, *id;
	enum delivery_result	 result;

	code = json_string_value(json_object_get(json_object_get(resp,
	    "Error"), "Code"));
	id = json_string_value(json_object_get(json_object_get(resp,
	    "SendStatus"), "CallId"));
	if (code == NULL && id != NULL) {
		code = "Ok";
		*ref = xstrdup(id);
	}
	result = channel_sms_verdict(channel_voice_tencent_codes, "tencent",
	    code, r->status, detail, len);
	json_decref(o);
	return (result);
}

/* voiceprompt_callback's result: 0 answered, 1 not answered, 2 failed. */
static const enum channel_receipt_status channel_voice_tencent_results[] = {
	RECEIPT_ANSWERED, RECEIPT_UNANSWERED, RECEIPT_FAILED,
};

static int
channel_voice_tencent_receipts(json_t *o, struct channel_receipts *out,
    char **cause)
{
	json_t		*cb;
	const char	*id, *result;
	char		 detail[64];

	if ((cb = json_object_get(o, "voiceprompt_callback")) != NULL) {
		id = json_string_value(json_object_get(cb, "callid"));
		result = json_string_value(json_object_get(cb, "result"));
		if (id == NULL || result == NULL || strlen(result) != 1 ||
		    result[0] < '0' || result[0] > '2') {
			*cause = xstrdup("voiceprompt_callback lacks callid or "
			    "a result of 0, 1 or 2");
			return (-1);
		}
		snprintf(detail, sizeof(detail), "result %s", result);
		channel_receipts_add(out, id,
		    channel_voice_tencent_results[result[0] - '0'], detail);
	} else if ((cb = json_object_get(o, "voice_failure_callback")) !=
	    NULL) {
		if ((id = json_string_value(json_object_get(cb, "callid"))) ==
		    NULL) {
			*cause = xstrdup("voice_failure_callback lacks callid");
			return (-1);
		}
		snprintf(detail, sizeof(detail), "failure_code %lld",
		    (long long)json_integer_value(json_object_get(cb,
		    "failure_code")));
		channel_receipts_add(out, id, RECEIPT_FAILED, detail);
	}
	/* Key presses (voicekey_callback) say nothing of being reached. */
	return (0);
}

const struct channel_voice_provider channel_voice_tencent = {
	.name = "tencent",
	.options = channel_voice_tencent_options,
	.required = channel_voice_tencent_required,
	.rate_count = 20,
	.rate_window = MSEC_PER_SEC,
	.max_chars = 300,
	.build = channel_voice_tencent_build,
	.answer = channel_voice_tencent_answer,
	.receipts = channel_voice_tencent_receipts,
	.reply = "{\"result\":0,\"errmsg\":\"OK\"}",
};
