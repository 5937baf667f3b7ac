/*
 * Feishu (飞书) / Lark custom bots: a text message to the bot's group.
 * With the bot's 签名校验 setting the body also carries
 *
 *	timestamp = seconds since the epoch, as a string
 *	sign      = base64(HMAC-SHA256(key = timestamp "\n" secret,
 *	                message = ""))
 *
 * the other way round from DingTalk: the text to sign is the key and the
 * message is empty.  Feishu refuses a timestamp more than an hour off.
 *
 * Custom bots can @-mention people only by open_id or user_id, which a
 * site file does not hold, so nobody is mentioned.  A request body may
 * not pass 20 KB: the text is cut well below that.  A bot takes 100
 * messages a minute and 5 a second; 9499, 11232 and 99991400 (rate
 * limits) are tried again.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "channel.h"
#include "clock.h"
#include "rules.h"
#include "tocsin.h"
#include "xmalloc.h"

#define FEISHU_TEXT_MAX	(16 * 1024)

/* Older answers carry StatusCode/StatusMessage instead of code/msg. */
static const char *const channel_feishu_code_keys[] = {
	"code", "StatusCode", NULL
};
static const char *const channel_feishu_msg_keys[] = {
	"msg", "StatusMessage", NULL
};
static const long channel_feishu_retry_codes[] = {
	9499, 11232, 99991400, 0
};

static const struct channel_robot channel_feishu_robot = {
	.name = "feishu",
	.code_keys = channel_feishu_code_keys,
	.msg_keys = channel_feishu_msg_keys,
	.retry_codes = channel_feishu_retry_codes,
};

static void
channel_feishu_sign(json_t *msg, const char *secret, long long ts)
{
	char	*key, *sign;

	xasprintf(&key, "%lld\n%s", ts, secret);
	sign = channel_hmac_base64(key, strlen(key), "", 0);
	json_object_set_new(msg, "timestamp", json_sprintf("%lld", ts));
	json_object_set_new(msg, "sign", json_string(sign));
	free(sign);
	free(key);
}

static void
channel_feishu_done(const struct httpc_response *r, void *arg)
{
	channel_robot_done(arg, r, &channel_feishu_robot);
}

static void
channel_feishu_send(struct delivery *d)
{
	const char	*secret = channel_option_string(d->def, "secret");
	const char	*text = json_string_value(json_object_get(
			    channel_delivery_body(d), "text"));
	json_t		*msg;
	char		*content;

	content = channel_utf8_fit(text != NULL ? text : "", FEISHU_TEXT_MAX);
	msg = json_pack("{s:s, s:{s:s}}", "msg_type", "text", "content",
	    "text", content);
	free(content);
	if (secret != NULL)
		channel_feishu_sign(msg, secret,
		    (long long)(clock_now() / MSEC_PER_SEC));
	channel_robot_post(d, channel_option_string(d->def, "url"), msg,
	    channel_feishu_done);
}

static const char *const channel_feishu_options[] = {
	"url", "secret", NULL
};

const struct channel_driver channel_feishu_driver = {
	.kind = "feishu",
	.options = channel_feishu_options,
	.rate_per_minute = 100,
	.check = channel_robot_check,
	.send = channel_feishu_send,
};
