/*
 * Aliyun (Alibaba Cloud) voice notification, 语音服务: SingleCallByTts of
 * Dyvmsapi 2017-05-25 (help.aliyun.com/document_detail/393519.html), an
 * RPC form POST signed by channel-sign.c.  Parameters: TtsCode (an
 * approved text-to-speech template), TtsParam (its variables as JSON; all
 * of them under 250 characters), CalledNumber (one number, without "+86"
 * for the mainland), CalledShowNumber (the caller number shown; left out
 * in the shared "公共模式", where Aliyun picks one), PlayTimes (1-3) and
 * OutId (1-15 bytes, handed back in the call receipt).
 *
 * The call's result comes later (the VoiceReport receipt, pushed over
 * HTTP as a JSON array; help.aliyun.com/zh/vms/developer-reference/
 * voicereport-1) naming the call_id SingleCallByTts answered with, and a
 * status_code (the operator receipt codes, help.aliyun.com/zh/vms/
 * developer-reference/operators-receipt-error-code).  Aliyun wants
 * {"code":0,"msg":"成功"} back.
 *
 * Limits (same page): 1000 requests a second per account, our default
 * rate; and per called number 1 a minute, 5 an hour, 20 a day, which come
 * back as isv.BUSINESS_LIMIT_CONTROL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel-sign.h"
#include "channel-voice.h"
#include "rules.h"
#include "tocsin.h"
#include "xmalloc.h"

#define ALIYUN_VOICE_ENDPOINT	"https://dyvmsapi.aliyuncs.com/"
#define ALIYUN_VOICE_VERSION	"2017-05-25"
#define ALIYUN_OUT_ID_MAX	15

static const char *const channel_voice_aliyun_options[] = {
	"endpoint", "access_key_id", "access_key_secret", "tts_code",
	"tts_param", "called_show_number", NULL
};

static const char *const channel_voice_aliyun_required[] = {
	"access_key_id", "access_key_secret", "tts_code", NULL
};

/*
 * Flow control and Aliyun's own faults pass (the per-number limit of one
 * call a minute lifts soon; the outbox's backoff waits for it, and hands
 * over to the fallback after fallback_after tries).  A bad number, show
 * number, template or key never will; nor will an account out of service
 * (isv.OUT_OF_SERVICE) or without the product.
 */
static const struct channel_sms_code channel_voice_aliyun_codes[] = {
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

/*
 * A status_code of the call receipt and what it means for us: whether the
 * person picked up.  Any code not here is a failure.
 */
static const struct {
	const char			*code;
	enum channel_receipt_status	 status;
} channel_voice_aliyun_results[] = {
	{ "200000", RECEIPT_ANSWERED },		/* listened to the end */
	{ "200001", RECEIPT_ANSWERED },		/* hung up before the end */
	{ "200002", RECEIPT_BUSY },
	{ "200003", RECEIPT_UNANSWERED },	/* rang, not picked up */
	{ "200005", RECEIPT_UNANSWERED },	/* rejected, cannot connect */
	{ "200007", RECEIPT_UNANSWERED },	/* out of coverage */
	{ "200010", RECEIPT_UNANSWERED },	/* switched off */
};

/*
 * OutId from the idempotency key: "tn_" and 32 hex digits do not fit in
 * 15 bytes.  Its last 15 digits are the hash part, which tells messages
 * of one decision apart; only people reading Aliyun's console see it,
 * since receipts are matched by the call id.
 */
char *
channel_voice_aliyun_out_id(const char *key)
{
	size_t	n = strlen(key);

	return (xstrdup(n > ALIYUN_OUT_ID_MAX ? key + n - ALIYUN_OUT_ID_MAX :
	    key));
}

/* A mainland number as Aliyun dials it: "13800000001"; others "852…". */
char *
channel_voice_aliyun_number(const char *phone)
{
	if (strncmp(phone, "+86", 3) == 0)
		return (xstrdup(phone + 3));
	return (xstrdup(phone + (phone[0] == '+')));
}

static char *
channel_voice_aliyun_body(const struct channel_voice_msg *m,
    const char *param, const char *number, const char *out_id,
    const char *play)
{
	const struct channel_def	*def = m->def;
	const char			*show;
	struct channel_sign_param	 params[6];
	struct channel_sign_rpc		 call;
	size_t				 n = 0;

	params[n++] = (struct channel_sign_param){ "CalledNumber", number };
	params[n++] = (struct channel_sign_param){ "OutId", out_id };
	params[n++] = (struct channel_sign_param){ "TtsCode",
	    channel_option_string(def, "tts_code") };
	params[n++] = (struct channel_sign_param){ "TtsParam", param };
	if ((show = channel_option_string(def, "called_show_number")) != NULL)
		params[n++] = (struct channel_sign_param){ "CalledShowNumber",
		    show };
	if (play != NULL)
		params[n++] = (struct channel_sign_param){ "PlayTimes", play };
	memset(&call, 0, sizeof(call));
	call.access_key_id = channel_option_string(def, "access_key_id");
	call.access_key_secret = channel_option_string(def,
	    "access_key_secret");
	call.action = "SingleCallByTts";
	call.version = ALIYUN_VOICE_VERSION;
	call.now = m->now;
	call.params = params;
	call.nparams = n;
	return (channel_sign_rpc_body(&call));
}

static void
channel_voice_aliyun_build(const struct channel_voice_msg *m,
    struct channel_sms_request *req)
{
	const struct channel_def	*def = m->def;
	const char			*name, *endpoint;
	char				*param, *number, *out_id, play[8];
	long				 times;
	json_t				*o;

	/* The text is the value of one template variable. */
	name = channel_option_string(def, "tts_param");
	o = json_pack("{s:s}", name != NULL ? name : "content", m->text);
	if ((param = json_dumps(o, JSON_COMPACT)) == NULL)
		param = xstrdup("{}");	/* not UTF-8: cannot happen */
	json_decref(o);
	number = channel_voice_aliyun_number(m->phone);
	out_id = channel_voice_aliyun_out_id(m->key);
	times = channel_option_int(def, "play_times", 0);
	snprintf(play, sizeof(play), "%ld", times);
	req->body = channel_voice_aliyun_body(m, param, number, out_id,
	    times > 0 ? play : NULL);
	endpoint = channel_option_string(def, "endpoint");
	req->url = xstrdup(endpoint != NULL ? endpoint : ALIYUN_VOICE_ENDPOINT);
	channel_sign_header(&req->headers,
	    "Content-Type: application/x-www-form-urlencoded");
	channel_sign_header(&req->headers, "Accept: application/json");
	free(out_id);
	free(number);
	free(param);
}

/* {"Code":"OK","CallId":"…^…","RequestId":"…","Message":"OK"}, or a Code. */
static enum delivery_result
channel_voice_aliyun_answer(const struct httpc_response *r, char *detail,
    size_t len, char **ref)
{
	json_t			*o = json_loadb(r->body, r->len, 0, NULL);
	const char		*code, *id;
	enum delivery_result	 result;

	code = json_string_value(json_object_get(o, "Code"));
	result = channel_sms_verdict(channel_voice_aliyun_codes, "aliyun",
	    code, r->status, detail, len);
	if ((id = json_string_value(json_object_get(o, "CallId"))) != NULL)
		*ref = xstrdup(id);
	json_decref(o);
	return (result);
}

static enum channel_receipt_status
channel_voice_aliyun_result(const char *code)
{
	size_t	i;

	for (i = 0; i < nitems(channel_voice_aliyun_results); i++) {
		if (strcmp(channel_voice_aliyun_results[i].code, code) == 0)
			return (channel_voice_aliyun_results[i].status);
	}
	return (RECEIPT_FAILED);
}

/* [{"call_id":…,"status_code":"200000","status_msg":…,"out_id":…},…] */
static int
channel_voice_aliyun_receipts(json_t *o, struct channel_receipts *out,
    char **cause)
{
	json_t		*r;
	const char	*id, *code;
	size_t		 i;

	if (!json_is_array(o)) {
		*cause = xstrdup("an Aliyun receipt is a JSON array");
		return (-1);
	}
	json_array_foreach(o, i, r) {
		id = json_string_value(json_object_get(r, "call_id"));
		code = json_string_value(json_object_get(r, "status_code"));
		if (id == NULL || code == NULL) {
			xasprintf(cause, "receipt %zu lacks call_id or "
			    "status_code", i + 1);
			return (-1);
		}
		channel_receipts_add(out, id, channel_voice_aliyun_result(code),
		    code);
	}
	return (0);
}

const struct channel_voice_provider channel_voice_aliyun = {
	.name = "aliyun",
	.options = channel_voice_aliyun_options,
	.required = channel_voice_aliyun_required,
	.rate_count = 1000,
	.rate_window = MSEC_PER_SEC,
	.max_chars = 200,
	.build = channel_voice_aliyun_build,
	.answer = channel_voice_aliyun_answer,
	.receipts = channel_voice_aliyun_receipts,
	/* {"code":0,"msg":"成功"} */
	.reply = "{\"code\":0,\"msg\":\"\xe6\x88\x90\xe5\x8a\x9f\"}",
};
