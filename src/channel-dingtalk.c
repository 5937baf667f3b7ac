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
/* 130101: sending too fast; -1: system busy. */
static const long channel_dingtalk_retry_codes[] = { 130101, -1, 0 };

static const struct channel_robot channel_dingtalk_robot = {
	.name = "dingtalk",
	.code_keys = channel_dingtalk_code_keys,
	.msg_keys = channel_dingtalk_msg_keys,
	.retry_codes = channel_dingtalk_retry_codes,
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

/* text followed by "@number" for each number in mobiles. */
static char *
channel_dingtalk_mention(const char *text, json_t *mobiles)
{
	json_t	*v;
	size_t	 i;
	char	*out, *next;

	out = xstrdup(text);
	json_array_foreach(mobiles, i, v) {
		xasprintf(&next, "%s%s@%s", out, i == 0 ? "\n\n" : " ",
		    json_string_value(v));
		free(out);
		out = next;
	}
	return (out);
}

static json_t *
channel_dingtalk_message(const json_t *body, const char *format)
{
	const char	*text = json_string_value(json_object_get(body,
			    "text"));
	const char	*title = json_string_value(json_object_get(body,
			    "title"));
	json_t		*mobiles = channel_robot_mobiles(body), *msg;
	char		*content, *md;

	if (title == NULL || *title == '\0')
		title = "tocsin";
	content = channel_dingtalk_mention(text != NULL ? text : "", mobiles);
	if (strcmp(format, "text") == 0)
		msg = json_pack("{s:s, s:{s:s}}", "msgtype", "text", "text",
		    "content", content);
	else {
		xasprintf(&md, "#### %s\n\n%s", title, content);
		msg = json_pack("{s:s, s:{s:s, s:s}}", "msgtype", "markdown",
		    "markdown", "title", title, "text", md);
		free(md);
	}
	json_object_set_new(msg, "at", json_pack("{s:o, s:b}", "atMobiles",
	    mobiles, "isAtAll", 0));
	free(content);
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
