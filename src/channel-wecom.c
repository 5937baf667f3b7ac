/*
 * WeCom (企业微信) group robots: the webhook URL's key is the only
 * credential; there is no signing.  A text message mentions the people a
 * notification concerns through text.mentioned_mobile_list.  Markdown
 * messages cannot mention anyone by mobile number (only <@userid>, which
 * tocsin does not know), which is why text is the default here.
 *
 * WeCom counts bytes: text content at most 2048, markdown at most 4096.
 * A longer message would be refused, so it is cut on a character boundary
 * and ends with "…".  A robot takes 20 messages a minute; 45009 (API
 * frequency limit) and -1 (system busy) are tried again.
 *
 * format = "card" sends a template card (群机器人配置说明, "模版卡片类型",
 * developer.work.weixin.qq.com/document/path/91770), which a group robot
 * sends without an app: a text_notice whose card_action and one jump_list
 * entry open the message's acknowledgement link, when it has one (the
 * site's public_url).  WeCom suggests at most 26 characters of
 * main_title.title and 112 of sub_title_text; the card is cut to them
 * (the link's page shows the whole incident).  A card cannot mention
 * anyone, which is why it is not the default.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "channel.h"
#include "rules.h"
#include "xmalloc.h"

#define WECOM_TEXT_MAX		2048
#define WECOM_MARKDOWN_MAX	4096
#define WECOM_CARD_TITLE_MAX	26	/* characters */
#define WECOM_CARD_TEXT_MAX	112

static const char *const channel_wecom_code_keys[] = { "errcode", NULL };
static const char *const channel_wecom_msg_keys[] = { "errmsg", NULL };
static const struct channel_robot_code channel_wecom_codes[] = {
	{ 45009, 1, "API frequency limit" },
	{ -1, 1, "system busy" },
	{ 93000, 0, "invalid webhook key" },
	{ 0, 0, NULL }
};

static const struct channel_robot channel_wecom_robot = {
	.name = "wecom",
	.code_keys = channel_wecom_code_keys,
	.msg_keys = channel_wecom_msg_keys,
	.codes = channel_wecom_codes,
};

static json_t *
channel_wecom_text(const char *text, json_t *mobiles)
{
	json_t	*msg;
	char	*content;

	content = channel_utf8_fit(text, WECOM_TEXT_MAX);
	msg = json_pack("{s:s, s:{s:s}}", "msgtype", "text", "text",
	    "content", content);
	if (json_array_size(mobiles) > 0)
		json_object_set(json_object_get(msg, "text"),
		    "mentioned_mobile_list", mobiles);
	free(content);
	return (msg);
}

static json_t *
channel_wecom_markdown(const char *title, const char *text)
{
	json_t	*msg;
	char	*md, *content;

	if (title != NULL && *title != '\0')
		xasprintf(&md, "**%s**\n%s", title, text);
	else
		md = xstrdup(text);
	content = channel_utf8_fit(md, WECOM_MARKDOWN_MAX);
	msg = json_pack("{s:s, s:{s:s}}", "msgtype", "markdown", "markdown",
	    "content", content);
	free(content);
	free(md);
	return (msg);
}

/* s cut to at most max characters, ending "…" when cut. */
static char *
channel_wecom_chars(const char *s, size_t max)
{
	size_t	i, n = 0, keep = 0;
	char	*out;

	for (i = 0; s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (n++ == max - 1)
			keep = i;	/* where the last character kept ends */
	}
	if (n <= max)
		return (xstrdup(s));
	xasprintf(&out, "%.*s\xe2\x80\xa6", (int)keep, s);
	return (out);
}

/* A text_notice template card whose action is the acknowledgement link. */
static json_t *
channel_wecom_card(const char *title, const char *text, const char *ack)
{
	json_t	*msg;
	char	*t, *sub;

	t = channel_wecom_chars(title != NULL && *title != '\0' ? title :
	    "tocsin", WECOM_CARD_TITLE_MAX);
	sub = channel_wecom_chars(text, WECOM_CARD_TEXT_MAX);
	msg = json_pack("{s:s, s:{s:s, s:{s:s}, s:s, s:{s:i, s:s}, "
	    "s:[{s:i, s:s, s:s}]}}", "msgtype", "template_card",
	    "template_card",
	    "card_type", "text_notice",
	    "main_title", "title", t,
	    "sub_title_text", sub,
	    "card_action", "type", 1, "url", ack,
	    "jump_list", "type", 1, "title", CHANNEL_ACK_BUTTON, "url", ack);
	free(t);
	free(sub);
	return (msg);
}

static void
channel_wecom_done(const struct httpc_response *r, void *arg)
{
	channel_robot_done(arg, r, &channel_wecom_robot);
}

static void
channel_wecom_send(struct delivery *d)
{
	const char	*format = channel_option_string(d->def, "format");
	json_t		*body = channel_delivery_body(d), *mobiles, *msg;
	const char	*ack;
	const char	*text = json_string_value(json_object_get(body,
			    "text"));

	if (text == NULL)
		text = "";
	ack = json_string_value(json_object_get(body, "ack_url"));
	if (format != NULL && strcmp(format, "card") == 0 && ack != NULL)
		msg = channel_wecom_card(json_string_value(json_object_get(body,
		    "title")), text, ack);
	else if (format != NULL && strcmp(format, "markdown") == 0)
		msg = channel_wecom_markdown(json_string_value(
		    json_object_get(body, "title")), text);
	else {
		mobiles = channel_robot_mobiles(body);
		msg = channel_wecom_text(text, mobiles);
		json_decref(mobiles);
	}
	channel_robot_post(d, channel_option_string(d->def, "url"), msg,
	    channel_wecom_done);
}

static const char *const channel_wecom_options[] = {
	"url", "format", NULL
};

const struct channel_driver channel_wecom_driver = {
	.kind = "wecom",
	.options = channel_wecom_options,
	.rate_per_minute = 20,
	.check = channel_robot_check,
	.send = channel_wecom_send,
};
