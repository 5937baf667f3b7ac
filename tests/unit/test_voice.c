/*
 * The voice channel and the signatures it shares with SMS, checked
 * against what we did not write: Tencent's own worked TC3 example (the
 * CVM DescribeInstances request of "签名方法 v3",
 * cloud.tencent.com/document/api/362/4208) and Aliyun's worked RPC
 * signature example; then cutting, numbers, OutId, the default rates,
 * the option checks and how each provider's answers map.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "channel-sign.h"
#include "channel-voice.h"
#include "rules.h"
#include "tocsin.h"
#include "xmalloc.h"

#define HAN	"\xe4\xb8\xad"		/* 中 */
#define ELLIPSIS "\xe2\x80\xa6"		/* … */

/*
 * Tencent's example: SecretId/SecretKey "AKIDz8krbsJ5yKBZQpn74WFkmLPx3
 * EXAMPLE"/"Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", 1551113065, this body;
 * the page gives Signature=72e494ea…; its newer edition masks the key
 * as "Gu5t9xGARNpq86cd98joQYCN3*******" and gives 2230eefd….
 */
static void
test_tc3_documented(void **state)
{
	const char	*body = "{\"Limit\": 1, \"Filters\": [{\"Values\": "
			    "[\"\\u672a\\u547d\\u540d\"], \"Name\": "
			    "\"instance-name\"}]}";
	char		*a;

	a = channel_sign_tc3_authorization(
	    "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
	    "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm",
	    "cvm.tencentcloudapi.com", body, 1551113065);
	assert_string_equal(a, "TC3-HMAC-SHA256 Credential="
	    "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, "
	    "SignedHeaders=content-type;host, Signature="
	    "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
	free(a);
	a = channel_sign_tc3_authorization("AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
	    "Gu5t9xGARNpq86cd98joQYCN3*******", "cvm",
	    "cvm.tencentcloudapi.com", body, 1551113065);
	assert_non_null(strstr(a, "Signature="
	    "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"));
	free(a);
}

/*
 * Aliyun's worked example of the RPC signature (the SendSms GET of its
 * "签名机制" page, secret "testSecret"): the same code signs voice calls.
 */
static void
test_rpc_documented(void **state)
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
	sig = channel_sign_rpc_signature("GET", "testSecret", q);
	assert_string_equal(sig, "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
	free(sig);
	free(q);
}

/* The signed body carries every common parameter and a fresh nonce. */
static void
test_rpc_body(void **state)
{
	const struct channel_sign_param	p[] = {
		{ "CalledNumber", "13800000001" }, { "TtsCode", "TTS_1" },
	};
	struct channel_sign_rpc		c = {
		.access_key_id = "id", .access_key_secret = "s",
		.action = "SingleCallByTts", .version = "2017-05-25",
		.now = 1735761600000LL, .params = p, .nparams = nitems(p),
	};
	char				*a, *b;

	a = channel_sign_rpc_body(&c);
	b = channel_sign_rpc_body(&c);
	assert_non_null(strstr(a, "AccessKeyId=id&Action=SingleCallByTts&"
	    "CalledNumber=13800000001&Format=JSON&SignatureMethod=HMAC-SHA1&"
	    "SignatureNonce="));
	assert_non_null(strstr(a, "&SignatureVersion=1.0&"
	    "Timestamp=2025-01-01T20%3A00%3A00Z&TtsCode=TTS_1&"
	    "Version=2017-05-25&Signature="));
	assert_string_not_equal(a, b);		/* the nonce */
	free(a);
	free(b);
}

static void
test_host(void **state)
{
	char	*h;

	h = channel_sign_host("http://127.0.0.1:8443/", "x");
	assert_string_equal(h, "127.0.0.1:8443");
	free(h);
	h = channel_sign_host("https://vms.tencentcloudapi.com/", "x");
	assert_string_equal(h, "vms.tencentcloudapi.com");
	free(h);
}

static void
test_fit(void **state)
{
	char	*s;

	s = channel_voice_fit(HAN HAN HAN, 3);
	assert_string_equal(s, HAN HAN HAN);
	free(s);
	s = channel_voice_fit(HAN HAN HAN HAN, 3);
	assert_string_equal(s, HAN HAN ELLIPSIS);
	free(s);
	s = channel_voice_fit("abcdef", 4);
	assert_string_equal(s, "abc" ELLIPSIS);
	free(s);
	s = channel_voice_fit("", 4);
	assert_string_equal(s, "");
	free(s);
}

static void
test_aliyun_pieces(void **state)
{
	char	*s;

	s = channel_voice_aliyun_out_id("tn_0123456789abcdef0123456789abcdef");
	assert_string_equal(s, "123456789abcdef");
	free(s);
	s = channel_voice_aliyun_number("+8613800000001");
	assert_string_equal(s, "13800000001");
	free(s);
	s = channel_voice_aliyun_number("+85251234567");
	assert_string_equal(s, "85251234567");
	free(s);
}

static struct channel_def *
def_new(const char *json)
{
	struct channel_def	*def = xcalloc(1, sizeof(*def));

	def->name = xstrdup("voice");
	def->kind = xstrdup("voice");
	def->where = xstrdup("site.lua:1");
	def->options = json_loads(json, 0, NULL);
	assert_non_null(def->options);
	return (def);
}

static void
def_free(struct channel_def *def)
{
	json_decref(def->options);
	free(def->name);
	free(def->kind);
	free(def->where);
	free(def);
}

/* Each provider's documented request limit, unless rate says otherwise. */
static void
test_rates(void **state)
{
	struct channel_def	*def;
	int			 count;
	int64_t			 window;
	char			*cause = NULL;

	def = def_new("{\"provider\":\"aliyun\"}");
	assert_int_equal(channel_rate(def, &count, &window, &cause), 0);
	assert_int_equal(count, 1000);
	assert_int_equal(window, MSEC_PER_SEC);
	def_free(def);
	def = def_new("{\"provider\":\"tencent\"}");
	assert_int_equal(channel_rate(def, &count, &window, &cause), 0);
	assert_int_equal(count, 20);
	assert_int_equal(window, MSEC_PER_SEC);
	def_free(def);
	def = def_new("{\"provider\":\"tencent\",\"rate\":\"5/1m\"}");
	assert_int_equal(channel_rate(def, &count, &window, &cause), 0);
	assert_int_equal(count, 5);
	assert_int_equal(window, MSEC_PER_MIN);
	def_free(def);
}

/* check(json) gives NULL (good) or the cause, which must hold want. */
static void
check(const char *json, const char *want)
{
	const struct channel_driver	*drv = channel_driver_find("voice");
	struct channel_def		*def = def_new(json);
	char				*cause = NULL;
	int				 rc;

	assert_non_null(drv);
	rc = drv->check(def, &cause);
	if (want == NULL) {
		if (rc != 0)
			fail_msg("%s: refused: %s", json, cause);
	} else {
		if (rc == 0 || cause == NULL || strstr(cause, want) == NULL)
			fail_msg("%s: want \"%s\", got %s", json, want,
			    cause != NULL ? cause : "(accepted)");
	}
	free(cause);
	def_free(def);
}

static void
test_check(void **state)
{
	check("{\"provider\":\"aliyun\",\"access_key_id\":\"a\","
	    "\"access_key_secret\":\"b\",\"tts_code\":\"TTS_1\","
	    "\"called_show_number\":\"05710000000\",\"play_times\":2}", NULL);
	check("{\"provider\":\"tencent\",\"secret_id\":\"a\",\"secret_key\":"
	    "\"b\",\"voice_sdk_app_id\":\"1400000001\",\"template_id\":\"1\","
	    "\"max_chars\":100}", NULL);
	check("{\"provider\":\"twilio\"}", "must be aliyun or tencent");
	check("{\"provider\":\"aliyun\",\"access_key_id\":\"a\","
	    "\"access_key_secret\":\"b\"}", "needs \"tts_code\"");
	check("{\"provider\":\"aliyun\",\"access_key_id\":\"a\","
	    "\"access_key_secret\":\"b\",\"tts_code\":\"T\","
	    "\"voice_sdk_app_id\":\"1\"}", "not for provider \"aliyun\"");
	check("{\"provider\":\"aliyun\",\"access_key_id\":\"a\","
	    "\"access_key_secret\":\"b\",\"tts_code\":\"T\",\"play_times\":4}",
	    "\"play_times\" must be 1, 2 or 3");
	check("{\"provider\":\"tencent\",\"secret_id\":\"a\",\"secret_key\":"
	    "\"b\",\"voice_sdk_app_id\":\"1\",\"template_id\":\"1\","
	    "\"max_chars\":400}", "\"max_chars\" must be");
	check("{\"provider\":\"tencent\",\"secret_id\":\"a\",\"secret_key\":"
	    "\"b\",\"voice_sdk_app_id\":\"1\",\"template_id\":\"1\","
	    "\"callback_token\":\"short\"}", "\"callback_token\" must be");
	check("{\"provider\":\"tencent\",\"secret_id\":\"a\",\"secret_key\":"
	    "\"b\",\"voice_sdk_app_id\":\"1\",\"template_id\":\"1\","
	    "\"callback_token\":\"0123456789abcdef0123456789ABCDEF-_\"}", NULL);
	check("{\"provider\":\"tencent\",\"secret_id\":\"a\",\"secret_key\":"
	    "\"b\",\"voice_sdk_app_id\":1,\"template_id\":\"1\"}",
	    "\"voice_sdk_app_id\" must be a string");
}

/* The driver's option list is the union of what providers read. */
static void
test_options_union(void **state)
{
	const char *const	 names[] = { "aliyun", "tencent" };
	const struct channel_voice_provider *p;
	const char *const	*o, *const *u;
	size_t			 i;

	for (i = 0; i < nitems(names); i++) {
		assert_non_null(p = channel_voice_provider_find(names[i]));
		for (o = p->options; *o != NULL; o++) {
			for (u = channel_voice_options; *u != NULL; u++) {
				if (strcmp(*u, *o) == 0)
					break;
			}
			if (*u == NULL)
				fail_msg("%s: option %s not in the driver's",
				    names[i], *o);
		}
	}
	assert_null(channel_voice_provider_find("twilio"));
}

static char	*last_ref;	/* the call id of the last answer */

static enum delivery_result
answer(const char *provider, long status, const char *body, char *detail)
{
	const struct channel_voice_provider	*p;
	struct httpc_response			 r;

	p = channel_voice_provider_find(provider);
	memset(&r, 0, sizeof(r));
	r.status = status;
	r.body = body;
	r.len = strlen(body);
	r.retry_after = -1;
	detail[0] = '\0';
	free(last_ref);
	last_ref = NULL;
	return (p->answer(&r, detail, CHANNEL_SMS_DETAIL_MAX, &last_ref));
}

static void
test_answers_aliyun(void **state)
{
	char	d[CHANNEL_SMS_DETAIL_MAX];

	assert_int_equal(answer("aliyun", 200, "{\"Code\":\"OK\",\"CallId\":"
	    "\"116012354148^10281378\",\"Message\":\"OK\"}", d), DELIVERY_OK);
	assert_string_equal(last_ref, "116012354148^10281378");
	assert_int_equal(answer("aliyun", 200,
	    "{\"Code\":\"isv.BUSINESS_LIMIT_CONTROL\"}", d), DELIVERY_RETRY);
	assert_int_equal(answer("aliyun", 200,
	    "{\"Code\":\"isp.SYSTEM_ERROR\"}", d), DELIVERY_RETRY);
	assert_int_equal(answer("aliyun", 200,
	    "{\"Code\":\"isv.OUT_OF_SERVICE\"}", d), DELIVERY_PERMANENT);
	assert_int_equal(answer("aliyun", 200,
	    "{\"Code\":\"isv.DISPLAY_NUMBER_ILLEGAL\"}", d),
	    DELIVERY_PERMANENT);
	assert_string_equal(d, "aliyun: isv.DISPLAY_NUMBER_ILLEGAL (HTTP 200)");
	assert_int_equal(answer("aliyun", 400,
	    "{\"Code\":\"SignatureDoesNotMatch\"}", d), DELIVERY_PERMANENT);
	assert_int_equal(answer("aliyun", 503, "busy", d), DELIVERY_RETRY);
}

static void
test_answers_tencent(void **state)
{
	char	d[CHANNEL_SMS_DETAIL_MAX];

	assert_int_equal(answer("tencent", 200, "{\"Response\":{\"SendStatus\":"
	    "{\"CallId\":\"12582bce-403c-11eb-96b8-525400476c37\","
	    "\"SessionContext\":\"sc-t\"},\"RequestId\":\"r\"}}", d),
	    DELIVERY_OK);
	assert_string_equal(last_ref, "12582bce-403c-11eb-96b8-525400476c37");
	assert_int_equal(answer("tencent", 200, "{\"Response\":{\"Error\":"
	    "{\"Code\":\"RequestLimitExceeded\"}}}", d), DELIVERY_RETRY);
	assert_int_equal(answer("tencent", 200, "{\"Response\":{\"Error\":"
	    "{\"Code\":\"FailedOperation.AccessUpstreamTimeout\"}}}", d),
	    DELIVERY_RETRY);
	assert_int_equal(answer("tencent", 200, "{\"Response\":{\"Error\":"
	    "{\"Code\":\"FailedOperation.InsufficientBalanceInVoicePackage\"}}}",
	    d), DELIVERY_PERMANENT);
	assert_int_equal(answer("tencent", 200, "{\"Response\":{\"Error\":"
	    "{\"Code\":\"AuthFailure.SignatureFailure\"}}}", d),
	    DELIVERY_PERMANENT);
	assert_string_equal(d, "tencent: AuthFailure.SignatureFailure "
	    "(HTTP 200)");
	/* Neither an error nor a call: not placed. */
	assert_int_equal(answer("tencent", 200, "{\"Response\":{}}", d),
	    DELIVERY_PERMANENT);
}

/* A callback body read by the voice driver: 0 and the receipts, or -1. */
static int
receipts(const char *provider, const char *body, struct channel_receipts *rs)
{
	const struct channel_driver	*drv = channel_driver_find("voice");
	struct channel_callback		 cb = { body, strlen(body), NULL, NULL };
	struct channel_def		*def;
	char				*cause = NULL, *json;
	int				 rc;

	xasprintf(&json, "{\"provider\":\"%s\"}", provider);
	def = def_new(json);
	memset(rs, 0, sizeof(*rs));
	rc = drv->receipts(def, &cb, rs, &cause);
	free(cause);
	free(json);
	def_free(def);
	return (rc);
}

/* VoiceReport as Aliyun's page shows it, and the operator codes. */
static void
test_receipts_aliyun(void **state)
{
	struct channel_receipts	rs;

	assert_int_equal(receipts("aliyun", "[{\"status_code\":\"200000\","
	    "\"smart_status_code\":\"ANSWERED\",\"hangup_direction\":"
	    "\"\xe7\x94\xa8\xe6\x88\xb7\",\"callee\":\"1390000****\","
	    "\"duration\":\"10\",\"voice_type\":\"voice\",\"out_id\":"
	    "\"123456\",\"call_id\":\"116012354148^10281378\"},"
	    "{\"status_code\":\"200003\",\"call_id\":\"2^2\"},"
	    "{\"status_code\":\"200002\",\"call_id\":\"3^3\"},"
	    "{\"status_code\":\"200011\",\"call_id\":\"4^4\"}]", &rs), 0);
	assert_int_equal(rs.n, 4);
	assert_string_equal(rs.v[0].ref, "116012354148^10281378");
	assert_int_equal(rs.v[0].status, RECEIPT_ANSWERED);
	assert_int_equal(rs.v[1].status, RECEIPT_UNANSWERED);
	assert_int_equal(rs.v[2].status, RECEIPT_BUSY);
	assert_int_equal(rs.v[3].status, RECEIPT_FAILED);
	assert_string_equal(rs.v[3].detail, "200011");
	assert_non_null(strstr(rs.reply, "\"code\":0"));
	channel_receipts_free(&rs);
	assert_int_equal(receipts("aliyun", "{\"call_id\":\"1\"}", &rs), -1);
	channel_receipts_free(&rs);
	assert_int_equal(receipts("aliyun", "[{\"call_id\":\"1\"}]", &rs), -1);
	channel_receipts_free(&rs);
	assert_int_equal(receipts("aliyun", "not json", &rs), -1);
	channel_receipts_free(&rs);
}

/* Tencent's documented callbacks: call status, delivery failure, keys. */
static void
test_receipts_tencent(void **state)
{
	struct channel_receipts	rs;

	assert_int_equal(receipts("tencent", "{\"voiceprompt_callback\":{"
	    "\"result\":\"1\",\"accept_time\":\"1470197211\",\"call_from\":"
	    "\"\",\"callid\":\"xxxxxx\",\"end_calltime\":\"1470197221\","
	    "\"fee\":\"1\",\"mobile\":\"13xxxxxxxxx\",\"nationcode\":\"86\","
	    "\"start_calltime\":\"1470197196\"}}", &rs), 0);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.v[0].ref, "xxxxxx");
	assert_int_equal(rs.v[0].status, RECEIPT_UNANSWERED);
	assert_string_equal(rs.reply, "{\"result\":0,\"errmsg\":\"OK\"}");
	channel_receipts_free(&rs);
	assert_int_equal(receipts("tencent", "{\"voice_failure_callback\":{"
	    "\"call_from\":\"075583763333\",\"callid\":\"yy\","
	    "\"failure_code\":8,\"failure_reason\":\"\xe7\xa9\xba\xe5\x8f\xb7\","
	    "\"mobile\":\"13xxxxxxxxx\",\"nationcode\":\"86\"}}", &rs), 0);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.v[0].status, RECEIPT_FAILED);
	assert_string_equal(rs.v[0].detail, "failure_code 8");
	channel_receipts_free(&rs);
	assert_int_equal(receipts("tencent", "{\"voicekey_callback\":{"
	    "\"callid\":\"zz\",\"keypress\":\"2\"}}", &rs), 0);
	assert_int_equal(rs.n, 0);
	channel_receipts_free(&rs);
	assert_int_equal(receipts("tencent", "{\"voiceprompt_callback\":{"
	    "\"result\":\"7\",\"callid\":\"x\"}}", &rs), -1);
	channel_receipts_free(&rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tc3_documented),
		cmocka_unit_test(test_rpc_documented),
		cmocka_unit_test(test_rpc_body),
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_aliyun_pieces),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_options_union),
		cmocka_unit_test(test_answers_aliyun),
		cmocka_unit_test(test_answers_tencent),
		cmocka_unit_test(test_receipts_aliyun),
		cmocka_unit_test(test_receipts_tencent),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
