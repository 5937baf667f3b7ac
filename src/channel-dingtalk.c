/*
 * DingTalk custom robots (自定义机器人): a text or markdown message to the
 * group the robot sits in.  The people a notification concerns are
 * @-mentioned by mobile number, listed in at.atMobiles and written again
 * as "@number" in the text: DingTalk only mentions the numbers it finds in
 * both.  With the robot's 加签 security setting the URL also carries
 *
 *	timestamp = milliseconds since the epoch
 *	sign      = urlencode(base64(HMAC-SHA256(secret,
 *	                timestamp "\n" secret)))
 *
 * and DingTalk refuses a timestamp more than an hour off.  A robot takes
 * 20 messages a minute and is throttled for ten minutes beyond that, so
 * the outbox keeps under the limit and 130101 (too fast) is tried again.
 * A message over 20 000 bytes is refused (460101): the text is cut so the
 * body as sent fits, the mentions kept whole at its end.
 *
 * format = "card" sends an ActionCard whose one button (singleTitle,
 * singleURL) opens the message's acknowledgement link, when it has one
 * (the site's public_url): {"msgtype":"actionCard","actionCard":{"title",
 * "text" (markdown),"btnOrientation","singleTitle","singleURL"}}, as the
 * custom robot guide shows (open.dingtalk.com/document/robots/
 * custom-robot-access, "actionCard类型").  A card cannot @-mention
 * (DingTalk reads "at" only in text and markdown), which is why it is not
 * the default: an @ is what rings a phone in a muted group.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "channel.h"
#include "clock.h"
#include "httpc.h"
#include "rules.h"
#include "xmalloc.h"

static const char *const channel_dingtalk_code_keys[] = { "errcode", NULL };
static const char *const channel_dingtalk_msg_keys[] = { "errmsg", NULL };
#define DINGTALK_BODY_MAX	20000

static const struct channel_robot_code channel_dingtalk_codes[] = {
	{ 130101, 1, "send too fast, exceed 20 times per minute" },
	{ -1, 1, "system busy" },
	{ 310000, 0, "sign, keyword or IP security setting not met" },
	{ 300001, 0, "the robot's token is invalid" },
	{ 460101, 0, "message too long, exceed 20000 bytes" },
	{ 0, 0, NULL }
};

static const struct channel_robot channel_dingtalk_robot = {
	.name = "dingtalk",
	.code_keys = channel_dingtalk_code_keys,
	.msg_keys = channel_dingtalk_msg_keys,
	.codes = channel_dingtalk_codes,
};

/* The webhook URL with timestamp and sign added to its query. */
static char *
channel_dingtalk_sign(const char *url, const char *secret, long long ts)
{
	char	*text, *b64, *sign, *signed_url;

	xasprintf(&text, "%lld\n%s", ts, secret);
	b64 = channel_hmac_base64(secret, strlen(secret), text, strlen(text));
	sign = channel_url_encode(b64);
	xasprintf(&signed_url, "%s%ctimestamp=%lld&sign=%s", url,
	    strchr(url, '?') != NULL ? '&' : '?', ts, sign);
	free(sign);
	free(b64);
	free(text);
	return (signed_url);
}

/* "\n\n@number @number" for the numbers in mobiles, or "". */
static char *
channel_dingtalk_mentions(json_t *mobiles)
{
	json_t	*v;
	size_t	 i;
	char	*out, *next;

	out = xstrdup("");
	json_array_foreach(mobiles, i, v) {
		xasprintf(&next, "%s%s@%s", out, i == 0 ? "\n\n" : " ",
		    json_string_value(v));
		free(out);
		out = next;
	}
	return (out);
}

/* An ActionCard with one button to the acknowledgement link. */
static json_t *
channel_dingtalk_card(const char *title, const char *text, const char *ack)
{
	json_t	*msg;
	char	*head;
	int	 rc;

	msg = json_pack("{s:s, s:{s:s, s:s, s:s, s:s}}", "msgtype",
	    "actionCard", "actionCard", "title", title, "btnOrientation", "0",
	    "singleTitle", CHANNEL_ACK_BUTTON, "singleURL", ack);
	xasprintf(&head, "#### %s\n\n", title);
	rc = channel_json_fit_body(msg, json_object_get(msg, "actionCard"),
	    "text", head, text, "", DINGTALK_BODY_MAX);
	free(head);
	if (rc != 0) {
		json_decref(msg);
		return (NULL);
	}
	return (msg);
}

/* The message, its text cut to keep the body within DingTalk's limit. */
static json_t *
channel_dingtalk_message(const json_t *body, const char *format)
{
	const char	*text = json_string_value(json_object_get(body,
			    "text"));
	const char	*title = json_string_value(json_object_get(body,
			    "title"));
	json_t		*mobiles = channel_robot_mobiles(body), *msg;
	const char	*ack;
	char		*mentions, *head;
	int		 rc;

	if (title == NULL || *title == '\0')
		title = "tocsin";
	if (text == NULL)
		text = "";
	ack = json_string_value(json_object_get(body, "ack_url"));
	if (strcmp(format, "card") == 0 && ack != NULL) {
		json_decref(mobiles);
		return (channel_dingtalk_card(title, text, ack));
	}
	if (strcmp(format, "card") == 0)
		format = "markdown";	/* nothing to acknowledge */
	mentions = channel_dingtalk_mentions(mobiles);
	if (strcmp(format, "text") == 0) {
		msg = json_pack("{s:s, s:{}}", "msgtype", "text", "text");
		head = xstrdup("");
	} else {
		msg = json_pack("{s:s, s:{s:s}}", "msgtype", "markdown",
		    "markdown", "title", title);
		xasprintf(&head, "#### %s\n\n", title);
	}
	json_object_set_new(msg, "at", json_pack("{s:o, s:b}", "atMobiles",
	    mobiles, "isAtAll", 0));
	rc = channel_json_fit_body(msg, json_object_get(msg, format),
	    strcmp(format, "text") == 0 ? "content" : "text", head, text,
	    mentions, DINGTALK_BODY_MAX);
	free(head);
	free(mentions);
	if (rc != 0) {
		json_decref(msg);
		return (NULL);
	}
	return (msg);
}

static void
channel_dingtalk_done(const struct httpc_response *r, void *arg)
{
	channel_robot_done(arg, r, &channel_dingtalk_robot);
}

static void
channel_dingtalk_send(struct delivery *d)
{
	const char	*url = channel_option_string(d->def, "url");
	const char	*secret = channel_option_string(d->def, "secret");
	const char	*format = channel_option_string(d->def, "format");
	json_t		*body = channel_delivery_body(d), *msg;
	char		*target;

	msg = channel_dingtalk_message(body, format != NULL ? format :
	    "markdown");
	if (secret != NULL)
		target = channel_dingtalk_sign(url, secret,
		    (long long)clock_now());
	else
		target = xstrdup(url);
	channel_robot_post(d, target, msg, channel_dingtalk_done);
	free(target);
}

static const char *const channel_dingtalk_options[] = {
	"url", "secret", "format", NULL
};

const struct channel_driver channel_dingtalk_driver = {
	.kind = "dingtalk",
	.options = channel_dingtalk_options,
	.rate_per_minute = 20,
	.check = channel_robot_check,
	.send = channel_dingtalk_send,
};
