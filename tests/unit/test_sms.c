/*
 * The SMS channel: segment counting and fitting, the encoders, the Aliyun
 * and Tencent signatures (expected values computed apart, with Python's
 * hmac, and Aliyun's own worked example), and how answers map; status
 * reports and replies as each provider documents them, Twilio's request
 * signature against Twilio's own published examples, and what a reply
 * must say to acknowledge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "channel-sign.h"
#include "channel-sms.h"
#include "rules.h"
#include "tocsin.h"
#include "xmalloc.h"

#define HAN	"\xe4\xb8\xad"		/* 中, one UCS-2 unit */
#define EMOJI	"\xf0\x9f\x98\x80"	/* U+1F600, a surrogate pair */
#define ELLIPSIS "\xe2\x80\xa6"		/* … */

/* s repeated n times, then tail. */
static char *
rep(const char *s, int n, const char *tail)
{
	char	*out;
	size_t	 len = strlen(s);
	int	 i;

	out = xmalloc(len * (size_t)n + strlen(tail) + 1);
	for (i = 0; i < n; i++)
		memcpy(out + len * (size_t)i, s, len);
	strcpy(out + len * (size_t)n, tail);
	return (out);
}

/* a then b, both freed. */
static char *
cat(char *a, char *b)
{
	char	*out;

	xasprintf(&out, "%s%s", a, b);
	free(a);
	free(b);
	return (out);
}

static int
segments(const char *s, int n, const char *tail, int *gsm)
{
	char	*text = rep(s, n, tail);
	int	 r = channel_sms_segments(text, gsm);

	free(text);
	return (r);
}

/* Fitting text (freed) into max parts gives want (freed), in nwant. */
static void
fit_is(char *text, int max, char *want, int nwant)
{
	char	*out;
	int	 n = -1;

	out = channel_sms_fit(text, max, &n);
	assert_string_equal(out, want);
	assert_int_equal(n, nwant);
	assert_int_equal(channel_sms_segments(out, NULL), nwant);
	free(out);
	free(want);
	free(text);
}

static void
test_segments_ucs2(void **state)
{
	int	gsm = -1;

	assert_int_equal(segments(HAN, 70, "", &gsm), 1);
	assert_int_equal(gsm, 0);
	assert_int_equal(segments(HAN, 71, "", NULL), 2);
	assert_int_equal(segments(HAN, 134, "", NULL), 2);
	assert_int_equal(segments(HAN, 135, "", NULL), 3);
	assert_int_equal(segments(HAN, 268, "", NULL), 4);
	assert_int_equal(segments(HAN, 269, "", NULL), 5);
	/* One Chinese character makes a Latin text UCS-2. */
	assert_int_equal(segments("a", 69, HAN, &gsm), 1);
	assert_int_equal(gsm, 0);
	assert_int_equal(segments("a", 70, HAN, NULL), 2);
	/* So does a character outside GSM 03.38, even a Latin one. */
	assert_int_equal(segments("a", 100, "\xc3\xaa", &gsm), 2);   /* ê */
	assert_int_equal(gsm, 0);
	assert_int_equal(segments("a", 100, "`", &gsm), 2);
	assert_int_equal(gsm, 0);
}

static void
test_segments_gsm(void **state)
{
	int	gsm = -1;

	assert_int_equal(channel_sms_segments("", &gsm), 1);
	assert_int_equal(gsm, 1);
	assert_int_equal(segments("a", 160, "", &gsm), 1);
	assert_int_equal(gsm, 1);
	assert_int_equal(segments("a", 161, "", NULL), 2);
	assert_int_equal(segments("a", 306, "", NULL), 2);
	assert_int_equal(segments("a", 307, "", NULL), 3);
	/* The extension table costs two septets; é, Ä, Δ are one. */
	assert_int_equal(segments("{", 80, "", &gsm), 1);
	assert_int_equal(gsm, 1);
	assert_int_equal(segments("{", 81, "", NULL), 2);
	assert_int_equal(segments("\xe2\x82\xac", 80, "", &gsm), 1); /* € */
	assert_int_equal(gsm, 1);
	assert_int_equal(segments("\xe2\x82\xac", 81, "", NULL), 2);
	assert_int_equal(segments("\xc3\xa9\xc3\x84\xce\x94", 53, "a", &gsm),
	    1);
	assert_int_equal(gsm, 1);
	assert_int_equal(segments("\xc3\xa9\xc3\x84\xce\x94", 53, "ab", NULL),
	    2);
}

/* A pair that would straddle two parts moves whole to the next. */
static void
test_segments_pairs(void **state)
{
	char	*text;

	/* 306 septets, but part 1 holds 152 and the escape pair starts 2. */
	text = cat(rep("a", 152, "{"), rep("a", 152, ""));
	assert_int_equal(channel_sms_segments(text, NULL), 3);
	free(text);

	text = cat(rep(HAN, 66, EMOJI), rep(HAN, 66, ""));	/* 134 units */
	assert_int_equal(channel_sms_segments(text, NULL), 3);
	free(text);
}

static void
test_fit(void **state)
{
	/* Fits: the same text back. */
	fit_is(rep(HAN, 268, ""), 4, rep(HAN, 268, ""), 4);
	/* Chinese: 267 characters and the ellipsis, four parts. */
	fit_is(rep(HAN, 300, ""), 4, rep(HAN, 267, ELLIPSIS), 4);
	/* One SMS: 69 and the ellipsis make 70. */
	fit_is(rep(HAN, 300, ""), 1, rep(HAN, 69, ELLIPSIS), 1);
	/* GSM keeps to GSM: "..." rather than a UCS-2 ellipsis. */
	fit_is(rep("a", 400, ""), 2, rep("a", 303, "..."), 2);
	fit_is(rep("a", 400, ""), 1, rep("a", 157, "..."), 1);
}

/* Never half a character: not a surrogate pair, not an escape pair. */
static void
test_fit_boundary(void **state)
{
	/* 34 pairs are 68 units, the ellipsis 69; a 35th does not fit. */
	fit_is(rep(EMOJI, 300, ""), 1, rep(EMOJI, 34, ELLIPSIS), 1);
	/* 152 | 75 escape pairs and "...": 150 + 3 septets. */
	fit_is(cat(rep("a", 152, ""), rep("{", 200, "")), 2,
	    cat(rep("a", 152, ""), rep("{", 75, "...")), 2);
}

/* A pair moved to the next part leaves less room: cut one more. */
static void
test_fit_back_off(void **state)
{
	/* 152 | 2 + 148 + 3, where counting alone would keep 149. */
	fit_is(cat(rep("a", 152, "{"), rep("a", 300, "")), 2,
	    cat(rep("a", 152, "{"), rep("a", 148, "...")), 2);
	/* 66 | 2 + 64 + 1, where counting alone would keep 65. */
	fit_is(cat(rep(HAN, 66, EMOJI), rep(HAN, 300, "")), 2,
	    cat(rep(HAN, 66, EMOJI), rep(HAN, 64, ELLIPSIS)), 2);
}

static void
test_url_encode(void **state)
{
	char	*s;

	s = channel_url_encode("a b*c~d/\xc3\xa9+%-_.");
	assert_string_equal(s, "a%20b%2Ac~d%2F%C3%A9%2B%25-_.");
	free(s);
	s = channel_base64("tocsin", 6);
	assert_string_equal(s, "dG9jc2lu");
	free(s);
	s = channel_base64("ab", 2);
	assert_string_equal(s, "YWI=");
	free(s);
}

/* Aliyun's own worked example (a GET), and the same query POSTed. */
static void
test_aliyun_example(void **state)
{
	const struct channel_sign_param	p[] = {
		{ "Version", "2017-05-25" },
		{ "Timestamp", "2017-07-12T02:42:19Z" },
		{ "AccessKeyId", "testId" },
		{ "Action", "SendSms" },
		{ "Format", "XML" },
		{ "OutId", "123" },
		{ "PhoneNumbers", "15300000001" },
		{ "RegionId", "cn-hangzhou" },
		{ "SignName", "\xe9\x98\xbf\xe9\x87\x8c\xe4\xba\x91\xe7\x9f\xad"
		    "\xe4\xbf\xa1\xe6\xb5\x8b\xe8\xaf\x95\xe4\xb8\x93\xe7\x94"
		    "\xa8" },	/* 阿里云短信测试专用 */
		{ "SignatureMethod", "HMAC-SHA1" },
		{ "SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466" },
		{ "SignatureVersion", "1.0" },
		{ "TemplateCode", "SMS_71390007" },
		{ "TemplateParam", "{\"customer\":\"test\"}" },
	};
	char	*q, *sig;

	q = channel_sign_rpc_query(p, nitems(p));
	assert_string_equal(q, "AccessKeyId=testId&Action=SendSms&Format=XML&"
	    "OutId=123&PhoneNumbers=15300000001&RegionId=cn-hangzhou&"
	    "SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B"
	    "%E8%AF%95%E4%B8%93%E7%94%A8&SignatureMethod=HMAC-SHA1&"
	    "SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466&"
	    "SignatureVersion=1.0&TemplateCode=SMS_71390007&"
	    "TemplateParam=%7B%22customer%22%3A%22test%22%7D&"
	    "Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25");
	sig = channel_sign_rpc_signature("GET", "testSecret", q);
	assert_string_equal(sig, "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
	free(sig);
	sig = channel_sign_rpc_signature("POST", "testSecret", q);
	assert_string_equal(sig, "Xvhv7fPXrPkLVSnlt0jIr08o8NQ=");
	free(sig);
	free(q);
}

/* Space, '*', '~' and Chinese in values and in the secret. */
static void
test_aliyun_encoding(void **state)
{
	const struct channel_sign_param	p[] = {
		{ "TemplateParam", "{\"content\":\"\xe5\x80\xbc\xe7\x8f\xad "
		    "a*b~c (\xe6\xb5\x8b\xe8\xaf\x95)\"}" },  /* 值班, 测试 */
		{ "PhoneNumbers", "8613800000001" },
		{ "SignName", "\xe5\xba\x94\xe6\x80\xa5\xe5\x8a\x9e" },  /* 应急办 */
	};
	char	*q, *sig;

	q = channel_sign_rpc_query(p, nitems(p));
	assert_string_equal(q, "PhoneNumbers=8613800000001&"
	    "SignName=%E5%BA%94%E6%80%A5%E5%8A%9E&TemplateParam=%7B%22content"
	    "%22%3A%22%E5%80%BC%E7%8F%AD%20a%2Ab~c%20%28%E6%B5%8B%E8%AF%95%29"
	    "%22%7D");
	sig = channel_sign_rpc_signature("POST", "s3cr*t ~x", q);
	assert_string_equal(sig, "CYfqeGiSJOWtAC7ktD6OKjo5EjE=");
	free(sig);
	free(q);
}

/* The date is UTC: 20:00Z on 1 January is already 2 January in Beijing. */
static void
test_tencent_tc3(void **state)
{
	const char	*body = "{\"PhoneNumberSet\":[\"+8613800000001\"],"
			    "\"SmsSdkAppId\":\"1400000000\",\"SignName\":"
			    "\"\xe5\xba\x94\xe6\x80\xa5\xe5\x8a\x9e\",\"TemplateId\":"
			    "\"100000\",\"TemplateParamSet\":[\"\xe6\xb5\x8b"
			    "\xe8\xaf\x95\"],\"SessionContext\":\"tn_0001\"}";
	char		*a;

	a = channel_sign_tc3_authorization("AKIDEXAMPLE",
	    "tocsin-test-secret-key", "sms", "sms.tencentcloudapi.com", body,
	    1735761600);
	assert_string_equal(a, "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/"
	    "2025-01-01/sms/tc3_request, SignedHeaders=content-type;host, "
	    "Signature=118703f846a604739e370ac790ae1081bfbfbdd52350397ad56cf1"
	    "eb373cb08e");
	free(a);
	a = channel_sign_tc3_authorization("AKIDEXAMPLE",
	    "tocsin-test-secret-key", "sms", "127.0.0.1:8443", body,
	    1735761600);
	assert_string_equal(a, "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/"
	    "2025-01-01/sms/tc3_request, SignedHeaders=content-type;host, "
	    "Signature=568893993b4a349e0d39969586e3e115cb5cc3a16724f3b5093ae2"
	    "6e5b50c3ff");
	free(a);
}

static void
test_http_render(void **state)
{
	const char	*text = "a\"b\\c\nd \xe4\xb8\xad&=";
	char		*s;

	s = channel_sms_http_render("{\"to\":\"{phone}\",\"t\":\"{text}\","
	    "\"k\":\"{key}\",\"x\":{other}}", CHANNEL_SMS_JSON,
	    "+8613800000001", text, "tn_1");
	assert_string_equal(s, "{\"to\":\"+8613800000001\",\"t\":\"a\\\"b\\\\c"
	    "\\nd \xe4\xb8\xad&=\",\"k\":\"tn_1\",\"x\":{other}}");
	free(s);
	s = channel_sms_http_render("to={phone}&msg={text}", CHANNEL_SMS_FORM,
	    "+8613800000001", text, "tn_1");
	assert_string_equal(s, "to=%2B8613800000001&msg=a%22b%5Cc%0Ad%20"
	    "%E4%B8%AD%26%3D");
	free(s);
	s = channel_sms_http_render("{phone} {text}{", CHANNEL_SMS_RAW, "p",
	    "t", "k");
	assert_string_equal(s, "p t{");
	free(s);
}

/* The driver's option list is the union of what providers read. */
static void
test_options_union(void **state)
{
	const char *const	 names[] = { "aliyun", "tencent", "twilio",
				     "http" };
	const struct channel_sms_provider *p;
	const char *const	*o, *const *u;
	size_t			 i;

	for (i = 0; i < nitems(names); i++) {
		assert_non_null(p = channel_sms_provider_find(names[i]));
		for (o = p->options; *o != NULL; o++) {
			for (u = channel_sms_options; *u != NULL; u++) {
				if (strcmp(*u, *o) == 0)
					break;
			}
			if (*u == NULL)
				fail_msg("%s: option %s not in the driver's",
				    names[i], *o);
		}
	}
	assert_null(channel_sms_provider_find("sendgrid"));
}

static enum delivery_result
answer(const char *provider, json_t *options, long status, const char *body,
    char *detail)
{
	const struct channel_sms_provider	*p;
	struct httpc_response			 r;

	p = channel_sms_provider_find(provider);
	memset(&r, 0, sizeof(r));
	r.status = status;
	r.body = body;
	r.len = strlen(body);
	r.retry_after = -1;
	detail[0] = '\0';
	return (p->answer(options, &r, detail, CHANNEL_SMS_DETAIL_MAX));
}

static void
test_answers_aliyun(void **state)
{
	char	d[CHANNEL_SMS_DETAIL_MAX];

	assert_int_equal(answer("aliyun", NULL, 200, "{\"Code\":\"OK\","
	    "\"BizId\":\"1\",\"Message\":\"OK\"}", d), DELIVERY_OK);
	assert_int_equal(answer("aliyun", NULL, 200,
	    "{\"Code\":\"isv.BUSINESS_LIMIT_CONTROL\"}", d), DELIVERY_RETRY);
	assert_int_equal(answer("aliyun", NULL, 200,
	    "{\"Code\":\"isv.MOBILE_NUMBER_ILLEGAL\",\"Message\":"
	    "\"bad 8613800000099\"}", d), DELIVERY_PERMANENT);
	assert_string_equal(d, "aliyun: isv.MOBILE_NUMBER_ILLEGAL (HTTP 200)");
	assert_int_equal(answer("aliyun", NULL, 400,
	    "{\"Code\":\"SignatureDoesNotMatch\"}", d), DELIVERY_PERMANENT);
	assert_int_equal(answer("aliyun", NULL, 404,
	    "{\"Code\":\"InvalidAccessKeyId.NotFound\"}", d),
	    DELIVERY_PERMANENT);
	assert_int_equal(answer("aliyun", NULL, 200,
	    "{\"Code\":\"isp.SYSTEM_ERROR\"}", d), DELIVERY_RETRY);
	assert_int_equal(answer("aliyun", NULL, 200,
	    "{\"Code\":\"isp.RAM_PERMISSION_DENY\"}", d), DELIVERY_PERMANENT);
	assert_int_equal(answer("aliyun", NULL, 400,
	    "{\"Code\":\"Throttling.User\"}", d), DELIVERY_RETRY);
	assert_int_equal(answer("aliyun", NULL, 503, "<html>busy</html>", d),
	    DELIVERY_RETRY);
	assert_string_equal(d, "aliyun: HTTP 503");
	assert_int_equal(answer("aliyun", NULL, 200, "not json", d),
	    DELIVERY_PERMANENT);
}

static void
test_answers_tencent(void **state)
{
	char	d[CHANNEL_SMS_DETAIL_MAX];

	assert_int_equal(answer("tencent", NULL, 200, "{\"Response\":"
	    "{\"SendStatusSet\":[{\"Code\":\"Ok\"}],\"RequestId\":\"x\"}}", d),
	    DELIVERY_OK);
	assert_int_equal(answer("tencent", NULL, 200, "{\"Response\":"
	    "{\"SendStatusSet\":[{\"Code\":\"LimitExceeded.PhoneNumber"
	    "ThirtySecondLimit\"}]}}", d), DELIVERY_RETRY);
	assert_int_equal(answer("tencent", NULL, 200, "{\"Response\":"
	    "{\"SendStatusSet\":[{\"Code\":\"FailedOperation.PhoneNumberIn"
	    "Blacklist\"}]}}", d), DELIVERY_PERMANENT);
	assert_int_equal(answer("tencent", NULL, 200, "{\"Response\":{\"Error\":"
	    "{\"Code\":\"RequestLimitExceeded\"}}}", d), DELIVERY_RETRY);
	assert_int_equal(answer("tencent", NULL, 200, "{\"Response\":{\"Error\":"
	    "{\"Code\":\"InternalError.Timeout\"}}}", d), DELIVERY_RETRY);
	assert_int_equal(answer("tencent", NULL, 200, "{\"Response\":{\"Error\":"
	    "{\"Code\":\"AuthFailure.SignatureFailure\",\"Message\":\"x\"}}}",
	    d), DELIVERY_PERMANENT);
	assert_string_equal(d, "tencent: AuthFailure.SignatureFailure "
	    "(HTTP 200)");
	assert_int_equal(answer("tencent", NULL, 200, "{\"Response\":{\"Error\":"
	    "{\"Code\":\"InvalidParameterValue.IncorrectPhoneNumber\"}}}", d),
	    DELIVERY_PERMANENT);
	assert_int_equal(answer("tencent", NULL, 200, "{\"Response\":{\"Error\":"
	    "{\"Code\":\"LimitExceeded.PhoneNumberCountLimit\"}}}", d),
	    DELIVERY_PERMANENT);
	assert_int_equal(answer("tencent", NULL, 502, "", d), DELIVERY_RETRY);
}

static void
test_answers_twilio(void **state)
{
	char	d[CHANNEL_SMS_DETAIL_MAX];

	assert_int_equal(answer("twilio", NULL, 201, "{\"sid\":\"SM1\","
	    "\"status\":\"queued\"}", d), DELIVERY_OK);
	assert_int_equal(answer("twilio", NULL, 201, "{\"sid\":\"SM1\","
	    "\"status\":\"failed\"}", d), DELIVERY_PERMANENT);
	assert_int_equal(answer("twilio", NULL, 429, "{\"code\":20429}", d),
	    DELIVERY_RETRY);
	assert_int_equal(answer("twilio", NULL, 503, "", d), DELIVERY_RETRY);
	assert_int_equal(answer("twilio", NULL, 400, "{\"code\":21211,"
	    "\"message\":\"The 'To' number +8613800000099 is not a valid "
	    "phone number.\",\"status\":400}", d), DELIVERY_PERMANENT);
	assert_string_equal(d, "twilio: 21211 (HTTP 400)");
	assert_int_equal(answer("twilio", NULL, 401, "{\"code\":20003}", d),
	    DELIVERY_PERMANENT);
}

static void
test_answers_http(void **state)
{
	char	 d[CHANNEL_SMS_DETAIL_MAX];
	json_t	*o = json_pack("{s:s}", "ok_match", "\"result\":0");
	json_t	*st = json_pack("{s:i}", "ok_status", 202);

	assert_int_equal(answer("http", NULL, 204, "", d), DELIVERY_OK);
	assert_int_equal(answer("http", NULL, 400, "", d), DELIVERY_PERMANENT);
	assert_int_equal(answer("http", NULL, 429, "", d), DELIVERY_RETRY);
	assert_int_equal(answer("http", o, 200, "{\"result\":0}", d),
	    DELIVERY_OK);
	assert_int_equal(answer("http", o, 200, "{\"result\":7}", d),
	    DELIVERY_PERMANENT);
	assert_int_equal(answer("http", st, 200, "", d), DELIVERY_PERMANENT);
	assert_int_equal(answer("http", st, 202, "", d), DELIVERY_OK);
	json_decref(o);
	json_decref(st);
}

/* ---- status reports, replies, signatures ----------------------------- */

static struct channel_def *
sms_def(const char *json)
{
	struct channel_def	*def = xcalloc(1, sizeof(*def));

	def->name = xstrdup("sms");
	def->kind = xstrdup("sms");
	def->where = xstrdup("site.lua:1");
	def->options = json_loads(json, 0, NULL);
	assert_non_null(def->options);
	return (def);
}

static void
sms_def_free(struct channel_def *def)
{
	json_decref(def->options);
	free(def->name);
	free(def->kind);
	free(def->where);
	free(def);
}

/* A callback body read by the provider: its return, rs filled. */
static int
callback(const char *options, const char *body, const char *url,
    const char *signature, struct channel_receipts *rs)
{
	const struct channel_driver	*drv = channel_driver_find("sms");
	struct channel_callback		 cb = { body, strlen(body), url,
					     signature };
	struct channel_def		*def = sms_def(options);
	char				*cause = NULL;
	int				 rc;

	memset(rs, 0, sizeof(*rs));
	rc = drv->receipts(def, &cb, rs, &cause);
	free(cause);
	sms_def_free(def);
	return (rc);
}

static char *
ref_of(const char *provider, const char *body)
{
	const struct channel_sms_provider	*p;
	struct httpc_response			 r;

	p = channel_sms_provider_find(provider);
	memset(&r, 0, sizeof(r));
	r.status = 200;
	r.body = body;
	r.len = strlen(body);
	return (p->ref(&r));
}

/* SendSms's ids, which the status reports name. */
static void
test_refs(void **state)
{
	char	*ref;

	ref = ref_of("aliyun", "{\"Code\":\"OK\",\"BizId\":\"9002^1\"}");
	assert_string_equal(ref, "9002^1");
	free(ref);
	ref = ref_of("tencent", "{\"Response\":{\"SendStatusSet\":[{"
	    "\"SerialNo\":\"5000:104\",\"Code\":\"Ok\"}]}}");
	assert_string_equal(ref, "5000:104");
	free(ref);
	ref = ref_of("twilio", "{\"sid\":\"SM0a1b\",\"status\":\"queued\"}");
	assert_string_equal(ref, "SM0a1b");
	free(ref);
	assert_null(ref_of("aliyun", "{\"Code\":\"OK\"}"));
}

/* Aliyun's SmsReport and SmsUp, as help.aliyun.com shows them. */
static void
test_reports_aliyun(void **state)
{
	struct channel_receipts	rs;
	const char		*opts = "{\"provider\":\"aliyun\"}";

	assert_int_equal(callback(opts, "[{\"phone_number\":\"13800000011\","
	    "\"send_time\":\"2017-01-01 00:00:00\",\"report_time\":"
	    "\"2017-01-01 00:00:00\",\"success\":true,\"err_code\":"
	    "\"DELIVERED\",\"err_msg\":\"\xe7\x94\xa8\xe6\x88\xb7\xe6\x8e\xa5"
	    "\xe6\x94\xb6\xe6\x88\x90\xe5\x8a\x9f\",\"sms_size\":\"1\","
	    "\"biz_id\":\"12345\",\"out_id\":\"67890\"},{\"phone_number\":"
	    "\"13800000012\",\"success\":false,\"err_code\":\"MK:0001\","
	    "\"biz_id\":\"12346\"}]", NULL, NULL, &rs), 0);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.v[0].ref, "12345");
	assert_int_equal(rs.v[0].status, RECEIPT_DELIVERED);
	assert_string_equal(rs.v[0].detail, "DELIVERED");
	assert_int_equal(rs.v[1].status, RECEIPT_FAILED);
	assert_string_equal(rs.v[1].detail, "MK:0001");
	assert_non_null(strstr(rs.reply, "\"code\":0"));
	channel_receipts_free(&rs);

	assert_int_equal(callback(opts, "[{\"phone_number\":\"13800000011\","
	    "\"send_time\":\"2017-09-01 00:00:00\",\"content\":\"1\","
	    "\"sign_name\":\"x\",\"dest_code\":\"1234\",\"sequence_id\":"
	    "1234567890}]", NULL, NULL, &rs), 0);
	assert_int_equal(rs.n, 0);
	assert_int_equal(rs.nreplies, 1);
	assert_string_equal(rs.replies[0].phone, "13800000011");
	assert_null(rs.replies[0].country);
	assert_string_equal(rs.replies[0].text, "1");
	channel_receipts_free(&rs);

	assert_int_equal(callback(opts, "{\"biz_id\":\"1\"}", NULL, NULL,
	    &rs), -1);
	channel_receipts_free(&rs);
	assert_int_equal(callback(opts, "[{\"biz_id\":\"1\"}]", NULL, NULL,
	    &rs), -1);
	channel_receipts_free(&rs);
}

/* Tencent's status notification (an array) and reply (an object). */
static void
test_reports_tencent(void **state)
{
	struct channel_receipts	rs;
	const char		*opts = "{\"provider\":\"tencent\"}";

	assert_int_equal(callback(opts, "[{\"user_receive_time\":"
	    "\"2015-10-17 08:03:04\",\"nationcode\":\"86\",\"mobile\":"
	    "\"13800000011\",\"report_status\":\"SUCCESS\",\"errmsg\":"
	    "\"DELIVRD\",\"description\":\"ok\",\"sid\":\"5000:1\"},"
	    "{\"mobile\":\"13800000012\",\"report_status\":\"FAIL\","
	    "\"errmsg\":\"MN:0001\",\"sid\":\"5000:2\"}]", NULL, NULL, &rs), 0);
	assert_int_equal(rs.n, 2);
	assert_int_equal(rs.v[0].status, RECEIPT_DELIVERED);
	assert_string_equal(rs.v[0].ref, "5000:1");
	assert_int_equal(rs.v[1].status, RECEIPT_FAILED);
	assert_string_equal(rs.v[1].detail, "MN:0001");
	assert_string_equal(rs.reply, "{\"result\":0,\"errmsg\":\"OK\"}");
	channel_receipts_free(&rs);

	assert_int_equal(callback(opts, "{\"extend\":\"\",\"mobile\":"
	    "\"13800000011\",\"nationcode\":\"86\",\"sign\":\"x\",\"text\":"
	    "\"\xe6\x94\xb6\xe5\x88\xb0\",\"time\":1457336869}", NULL, NULL,
	    &rs), 0);
	assert_int_equal(rs.nreplies, 1);
	assert_string_equal(rs.replies[0].country, "86");
	channel_receipts_free(&rs);

	assert_int_equal(callback(opts, "[{\"sid\":\"1\",\"report_status\":"
	    "\"MAYBE\"}]", NULL, NULL, &rs), -1);
	channel_receipts_free(&rs);
	assert_int_equal(callback(opts, "{\"sid\":\"1\"}", NULL, NULL, &rs),
	    -1);
	channel_receipts_free(&rs);
}

/*
 * Twilio's own examples: the one on www.twilio.com/docs/usage/security
 * (auth token 12345) and the SMS one of twilio-ruby's request validator
 * spec.  Neither was computed by us.
 */
static void
test_twilio_signature(void **state)
{
	const char	*url = "https://mycompany.com/myapp.php?foo=1&bar=2";
	const char	*form = "CallSid=CA1234567890ABCDE&Caller=%2B14158675309"
			    "&Digits=1234&From=%2B14158675309&To=%2B18005551212";

	assert_true(channel_sms_twilio_signature_ok("12345", url, form,
	    strlen(form), "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
	/* Another order of the same fields signs the same. */
	form = "To=%2B18005551212&Digits=1234&From=%2B14158675309"
	    "&Caller=%2B14158675309&CallSid=CA1234567890ABCDE";
	assert_true(channel_sms_twilio_signature_ok("12345", url, form,
	    strlen(form), "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
	assert_false(channel_sms_twilio_signature_ok("12346", url, form,
	    strlen(form), "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
	assert_false(channel_sms_twilio_signature_ok("12345",
	    "https://mycompany.com/myapp.php?foo=1&bar=3", form, strlen(form),
	    "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
	form = "CallSid=CA1234567890ABCDE&Caller=%2B14158675309"
	    "&Digits=1235&From=%2B14158675309&To=%2B18005551212";
	assert_false(channel_sms_twilio_signature_ok("12345", url, form,
	    strlen(form), "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
	assert_false(channel_sms_twilio_signature_ok("12345", url, form,
	    strlen(form), NULL));

	/* twilio-ruby spec/util/request_validator_spec.rb, the voice case. */
	form = "ToState=California&CalledState=California&Direction=inbound"
	    "&FromState=CA&AccountSid=ACba8bc05eacf94afdae398e642c9cc32d"
	    "&Caller=%2B14153595711&CallerZip=94108&CallerCountry=US"
	    "&From=%2B14153595711&FromCity=SAN+FRANCISCO"
	    "&CallerCity=SAN+FRANCISCO&To=%2B14157669926&FromZip=94108"
	    "&FromCountry=US&ToCity=&CallStatus=ringing&CalledCity="
	    "&CallerState=CA&CalledZip=&ToZip=&ToCountry=US"
	    "&CallSid=CA136d09cd59a3c0ec8dbff44da5c03f31&CalledCountry=US"
	    "&Called=%2B14157669926&ApiVersion=2010-04-01"
	    "&ApplicationSid=AP44efecad51364e80b133bb7c07eb8204";
	assert_true(channel_sms_twilio_signature_ok(
	    "2bd9e9638872de601313dc77410d3b23",
	    "http://twiliotests.heroku.com/validate/voice", form, strlen(form),
	    "oVb2kXoVy8GEfwBDjR8bk/ZZ6eA="));
}

/* Twilio's status callback and inbound message, signed as Twilio signs. */
static void
test_reports_twilio(void **state)
{
	struct channel_receipts	 rs;
	const char		*opts = "{\"provider\":\"twilio\","
				    "\"auth_token\":\"12345\"}";
	const char		*url = "https://tocsin.example/v1/callbacks/t";
	const char		*status = "MessageSid=SM1&MessageStatus=undelivered"
				    "&ErrorCode=30003&To=%2B8613800000011";
	const char		*in = "MessageSid=SM2&From=%2B8613800000011"
				    "&To=%2B15005550006&Body=OK&SmsStatus=received";
	unsigned char		 mac[CHANNEL_SHA1_LEN];
	char			*text, *sig;

	text = xstrdup("https://tocsin.example/v1/callbacks/tErrorCode30003"
	    "MessageSidSM1MessageStatusundeliveredTo+8613800000011");
	channel_hmac_sha1("12345", 5, text, strlen(text), mac);
	sig = channel_base64(mac, sizeof(mac));
	assert_int_equal(callback(opts, status, url, sig, &rs), 0);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.v[0].ref, "SM1");
	assert_int_equal(rs.v[0].status, RECEIPT_FAILED);
	assert_string_equal(rs.v[0].detail, "undelivered 30003");
	assert_string_equal(rs.reply_type, "text/xml");
	channel_receipts_free(&rs);
	/* The same, signed for another URL or not at all: refused. */
	assert_int_equal(callback(opts, status, "https://tocsin.example/x",
	    sig, &rs), -2);
	channel_receipts_free(&rs);
	assert_int_equal(callback(opts, status, url, NULL, &rs), -2);
	channel_receipts_free(&rs);
	assert_int_equal(callback(opts, status, NULL, sig, &rs), -2);
	channel_receipts_free(&rs);
	free(sig);
	free(text);

	text = xstrdup("https://tocsin.example/v1/callbacks/tBodyOK"
	    "From+8613800000011MessageSidSM2SmsStatusreceivedTo+15005550006");
	channel_hmac_sha1("12345", 5, text, strlen(text), mac);
	sig = channel_base64(mac, sizeof(mac));
	assert_int_equal(callback(opts, in, url, sig, &rs), 0);
	assert_int_equal(rs.n, 0);
	assert_int_equal(rs.nreplies, 1);
	assert_string_equal(rs.replies[0].phone, "+8613800000011");
	assert_string_equal(rs.replies[0].text, "OK");
	channel_receipts_free(&rs);
	free(sig);
	free(text);
}

/* What acknowledges: the words, whatever their case or width. */
static void
test_reply_words(void **state)
{
	static const char *const yes[] = {
		"1", " 1 ", "\xef\xbc\x91",				/* １ */
		"ok", "OK", "Ok.", "\xef\xbc\xaf\xef\xbc\xab",		/* ＯＫ */
		"\xe6\x94\xb6\xe5\x88\xb0",				/* 收到 */
		"\xe5\xb7\xb2\xe6\x94\xb6\xe5\x88\xb0\xe3\x80\x82",	/* 已收到。 */
		"\xe6\x94\xb6\xe5\x88\xb0\xef\xbc\x81",			/* 收到！ */
		"\xe3\x80\x80\xe6\x94\xb6\xe5\x88\xb0",			/* 　收到 */
		NULL
	};
	static const char *const no[] = {
		"", "0", "11", "2", "no", "okay", "1 ok",
		"\xe6\x9c\xaa\xe6\x94\xb6\xe5\x88\xb0",			/* 未收到 */
		"\xe6\x94\xb6\xe5\x88\xb0\xe4\xba\x86\xe5\x90\x97",	/* 收到了吗 */
		"TD", NULL
	};
	size_t	i;

	for (i = 0; yes[i] != NULL; i++) {
		if (!channel_sms_reply_is_ack(yes[i]))
			fail_msg("\"%s\" should acknowledge", yes[i]);
	}
	for (i = 0; no[i] != NULL; i++) {
		if (channel_sms_reply_is_ack(no[i]))
			fail_msg("\"%s\" should not acknowledge", no[i]);
	}
}

/* A reply's number against a person's, as each provider writes it. */
static void
test_reply_numbers(void **state)
{
	assert_true(channel_sms_phone_match("+8613800000011", "13800000011",
	    NULL));
	assert_true(channel_sms_phone_match("+8613800000011", "13800000011",
	    "86"));
	assert_true(channel_sms_phone_match("+8613800000011",
	    "+8613800000011", NULL));
	assert_true(channel_sms_phone_match("13800000011", "+8613800000011",
	    NULL));
	assert_false(channel_sms_phone_match("+8613800000011", "13800000012",
	    NULL));
	assert_false(channel_sms_phone_match("+8613800000011", "13800000011",
	    "852"));
	assert_false(channel_sms_phone_match("+14155550100", "4155550100",
	    NULL));
	assert_false(channel_sms_phone_match("+8613800000011", "", NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segments_ucs2),
		cmocka_unit_test(test_segments_gsm),
		cmocka_unit_test(test_segments_pairs),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_fit_boundary),
		cmocka_unit_test(test_fit_back_off),
		cmocka_unit_test(test_url_encode),
		cmocka_unit_test(test_aliyun_example),
		cmocka_unit_test(test_aliyun_encoding),
		cmocka_unit_test(test_tencent_tc3),
		cmocka_unit_test(test_http_render),
		cmocka_unit_test(test_options_union),
		cmocka_unit_test(test_answers_aliyun),
		cmocka_unit_test(test_answers_tencent),
		cmocka_unit_test(test_answers_twilio),
		cmocka_unit_test(test_answers_http),
		cmocka_unit_test(test_refs),
		cmocka_unit_test(test_reports_aliyun),
		cmocka_unit_test(test_reports_tencent),
		cmocka_unit_test(test_twilio_signature),
		cmocka_unit_test(test_reports_twilio),
		cmocka_unit_test(test_reply_words),
		cmocka_unit_test(test_reply_numbers),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
