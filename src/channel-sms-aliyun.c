/*
 * Aliyun (Alibaba Cloud) SMS: SendSms of API 2017-05-25, RPC style: the
 * parameters go as a form signed by channel-sign.c.  The idempotency key
 * goes in OutId, which Aliyun keeps with the message and hands back in
 * delivery receipts.
 *
 * Aliyun pushes, in its "HTTP批量推送" mode, to URLs set in the console:
 * status reports (SmsReport, help.aliyun.com/zh/sms/developer-reference/
 * smsreport-2): a JSON array of {"phone_number","send_time","report_time",
 * "success","err_code","err_msg","sms_size","biz_id","out_id"}, biz_id
 * being SendSms's BizId; and replies (SmsUp, help.aliyun.com/
 * knowledge_detail/60127.html): an array of {"phone_number","send_time",
 * "content","sign_name","dest_code","sequence_id"}.  Each wants
 * {"code":0,"msg":"接收成功"} back; neither is signed, so the path's
 * callback_token is the credential.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel-sign.h"
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

/*
 * The signed form of one SendSms.  The number goes as 86138... (or a
 * country code without "+"), as Aliyun documents.
 */
static char *
channel_sms_aliyun_body(const struct channel_sms_msg *m, const char *param)
{
	const struct channel_def	*def = m->def;
	const struct channel_sign_param	 params[] = {
		{ "OutId", m->key },
		{ "PhoneNumbers", m->phone + (m->phone[0] == '+') },
		{ "SignName", channel_option_string(def, "sign_name") },
		{ "TemplateCode", channel_option_string(def, "template_code") },
		{ "TemplateParam", param },
	};
	const struct channel_sign_rpc	 call = {
		.access_key_id = channel_option_string(def, "access_key_id"),
		.access_key_secret = channel_option_string(def,
		    "access_key_secret"),
		.action = "SendSms",
		.version = ALIYUN_VERSION,
		.now = m->now,
		.params = params,
		.nparams = nitems(params),
	};

	return (channel_sign_rpc_body(&call));
}

static void
channel_sms_aliyun_build(const struct channel_sms_msg *m,
    struct channel_sms_request *req)
{
	const struct channel_def	*def = m->def;
	const char			*name, *endpoint;
	char				*param;
	json_t				*o;

	/* The text is the value of one template parameter. */
	name = channel_option_string(def, "template_param");
	o = json_pack("{s:s}", name != NULL ? name : "content", m->text);
	if ((param = json_dumps(o, JSON_COMPACT)) == NULL)
		param = xstrdup("{}");	/* not UTF-8: cannot happen */
	json_decref(o);
	req->body = channel_sms_aliyun_body(m, param);
	endpoint = channel_option_string(def, "endpoint");
	req->url = xstrdup(endpoint != NULL ? endpoint : ALIYUN_ENDPOINT);
	channel_sign_header(&req->headers,
	    "Content-Type: application/x-www-form-urlencoded");
	channel_sign_header(&req->headers, "Accept: application/json");
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

/* SendSms's BizId: the status report's biz_id. */
static char *
channel_sms_aliyun_ref(const struct httpc_response *r)
{
	json_t		*o = json_loadb(r->body, r->len, 0, NULL);
	const char	*id = json_string_value(json_object_get(o, "BizId"));
	char		*ref = id != NULL && *id != '\0' ? xstrdup(id) : NULL;

	json_decref(o);
	return (ref);
}

/* One SmsReport item: delivered or failed, its err_code the detail. */
static int
channel_sms_aliyun_report(json_t *item, size_t i,
    struct channel_receipts *out, char **cause)
{
	const char	*id = json_string_value(json_object_get(item, "biz_id"));
	const char	*code = json_string_value(json_object_get(item,
			    "err_code"));
	json_t		*ok = json_object_get(item, "success");

	if (id == NULL || !json_is_boolean(ok)) {
		xasprintf(cause, "report %zu lacks biz_id or success", i + 1);
		return (-1);
	}
	channel_receipts_add(out, id, json_is_true(ok) ? RECEIPT_DELIVERED :
	    RECEIPT_FAILED, code);
	return (0);
}

/* One SmsUp item: a reply from phone_number. */
static int
channel_sms_aliyun_up(json_t *item, size_t i, struct channel_receipts *out,
    char **cause)
{
	const char	*phone = json_string_value(json_object_get(item,
			    "phone_number"));
	const char	*text = json_string_value(json_object_get(item,
			    "content"));

	if (phone == NULL || text == NULL) {
		xasprintf(cause, "reply %zu lacks phone_number or content",
		    i + 1);
		return (-1);
	}
	channel_receipts_reply(out, phone, NULL, text);
	return (0);
}

/* Either push: an item with "content" is a reply, else a report. */
static int
channel_sms_aliyun_receipts(const struct channel_def *def,
    const struct channel_callback *cb, struct channel_receipts *out,
    char **cause)
{
	json_t	*o, *item;
	size_t	 i;
	int	 rc = 0;

	if ((o = json_loadb(cb->body, cb->len, 0, NULL)) == NULL ||
	    !json_is_array(o)) {
		json_decref(o);
		*cause = xstrdup("an Aliyun push is a JSON array");
		return (-1);
	}
	/* {"code":0,"msg":"接收成功"} */
	out->reply = "{\"code\":0,\"msg\":\"\xe6\x8e\xa5\xe6\x94\xb6"
	    "\xe6\x88\x90\xe5\x8a\x9f\"}";
	json_array_foreach(o, i, item) {
		if (rc == 0 && json_object_get(item, "content") != NULL)
			rc = channel_sms_aliyun_up(item, i, out, cause);
		else if (rc == 0)
			rc = channel_sms_aliyun_report(item, i, out, cause);
	}
	json_decref(o);
	return (rc);
}

const struct channel_sms_provider channel_sms_aliyun = {
	.name = "aliyun",
	.options = channel_sms_aliyun_options,
	.required = channel_sms_aliyun_required,
	.build = channel_sms_aliyun_build,
	.answer = channel_sms_aliyun_answer,
	.ref = channel_sms_aliyun_ref,
	.receipts = channel_sms_aliyun_receipts,
};
