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
 * not pass 20 KB (自定义机器人使用指南): the text is cut so that the
 * body, as sent, escaped, signed, fits in 20 000 bytes.  A bot takes 100
 * messages a minute and 5 a second; only the rate limits (11232, and the
 * open platform's 99991400) are tried again.  9499 "Bad Request" is a
 * request Feishu will never take, whatever the hour.
 *
 * A message with an acknowledgement link (the site's public_url) goes as
 * an interactive card (msg_type "interactive", open.feishu.cn/document/
 * client-docs/bot-v3/add-custom-bot, "发送消息卡片"): a header with the
 * title, a div of the text and an action with one button whose url is
 * the link.  Nobody is mentioned either way, so nothing is lost.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "channel.h"
#include "clock.h"
#include "rules.h"
#include "tocsin.h"
#include "xmalloc.h"

#define FEISHU_BODY_MAX	20000	/* "20 KB", read as the smaller */

/* Older answers carry StatusCode/StatusMessage instead of code/msg. */
static const char *const channel_feishu_code_keys[] = {
	"code", "StatusCode", NULL
};
static const char *const channel_feishu_msg_keys[] = {
	"msg", "StatusMessage", NULL
};
/* The custom bot guide's codes, and the open platform's rate limit. */
static const struct channel_robot_code channel_feishu_codes[] = {
	{ 9499, 0, "Bad Request: the message is not one Feishu takes" },
	{ 11232, 1, "frequency limited" },
	{ 99991400, 1, "request trigger frequency limit" },
	{ 19001, 0, "the webhook's token is invalid (bot removed?)" },
	{ 19021, 0, "sign match fail or timestamp over an hour off" },
	{ 19022, 0, "IP not allowed by the bot's security setting" },
	{ 19024, 0, "Key Words Not Found: no keyword of the bot's in it" },
	{ 0, 0, NULL }
};

static const struct channel_robot channel_feishu_robot = {
	.name = "feishu",
	.code_keys = channel_feishu_code_keys,
	.msg_keys = channel_feishu_msg_keys,
	.codes = channel_feishu_codes,
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

/*
 * The card: {"msg_type":"interactive","card":{"header":{"title":
 * {"tag":"plain_text","content"}},"elements":[{"tag":"div","text":
 * {"tag":"plain_text","content"}},{"tag":"action","actions":[{"tag":
 * "button","text":{"tag":"plain_text","content"},"type":"primary",
 * "url"}]}]}}; *holder is the div's text, which the caller fits.
 */
static json_t *
channel_feishu_card(const char *title, const char *ack, json_t **holder)
{
	json_t	*msg, *div;

	div = json_pack("{s:s, s:{s:s}}", "tag", "div", "text", "tag",
	    "plain_text");
	*holder = json_object_get(div, "text");
	msg = json_pack("{s:s, s:{s:{s:b}, s:{s:{s:s, s:s}, s:s}, "
	    "s:[o, {s:s, s:[{s:s, s:{s:s, s:s}, s:s, s:s}]}]}}",
	    "msg_type", "interactive", "card",
	    "config", "wide_screen_mode", 1,
	    "header", "title", "tag", "plain_text", "content",
	    title != NULL && *title != '\0' ? title : "tocsin",
	    "template", "red",
	    "elements", div,
	    "tag", "action", "actions", "tag", "button",
	    "text", "tag", "plain_text", "content", CHANNEL_ACK_BUTTON,
	    "type", "primary", "url", ack);
	return (msg);
}

static void
channel_feishu_send(struct delivery *d)
{
	const char	*secret = channel_option_string(d->def, "secret");
	json_t		*body = channel_delivery_body(d);
	const char	*text = json_string_value(json_object_get(body, "text"));
	const char	*ack = json_string_value(json_object_get(body,
			    "ack_url"));
	json_t		*msg, *content;

	if (ack != NULL)
		msg = channel_feishu_card(json_string_value(json_object_get(
		    body, "title")), ack, &content);
	else {
		msg = json_pack("{s:s, s:{}}", "msg_type", "text", "content");
		content = json_object_get(msg, "content");
	}
	if (secret != NULL)
		channel_feishu_sign(msg, secret,
		    (long long)(clock_now() / MSEC_PER_SEC));
	if (channel_json_fit_body(msg, content, ack != NULL ? "content" :
	    "text", "", text != NULL ? text : "", "", FEISHU_BODY_MAX) != 0) {
		json_decref(msg);
		msg = NULL;	/* channel_robot_post says it cannot be built */
	}
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
