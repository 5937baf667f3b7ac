/*
 * Message templates (see message.h).  The defaults read like a duty
 * officer's call: what happened, to whom, what is due, what to do.  A
 * placeholder is checked when the rules load, so a typo is a load error
 * and never a "{titel}" in a leader's phone.  A notification's JSON is
 * written here as well, directly, with jansson's text as its reference.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonw.h"
#include "message.h"
#include "xmalloc.h"

static const char *message_reasons[MESSAGE__COUNT] = {
	[MESSAGE_OPENED] = "opened",
	[MESSAGE_PERIOD] = "period",
	[MESSAGE_GRADED] = "graded",
	[MESSAGE_REMIND] = "remind",
	[MESSAGE_BREACH] = "breach",
	[MESSAGE_ESCALATION] = "escalation",
	[MESSAGE_REJECTED] = "rejected",
	[MESSAGE_UNDELIVERED] = "undelivered",
	[MESSAGE_UNMATCHED] = "unmatched",
};

static const char *message_defaults[MESSAGE__COUNT] = {
	[MESSAGE_OPENED] = "【事件报告】{title}（{procedure}，{grade}）。"
	    "报告单位：{unit_name}。请按预案处置。",
	[MESSAGE_PERIOD] = "【特殊时期事件报告】{title}（{procedure}，"
	    "{grade}），正值{period}。报告单位：{unit_name}。请按预案从严处置。",
	[MESSAGE_GRADED] = "【事件定级】{title} 定为{grade}事件（{procedure}）。"
	    "报告单位：{unit_name}。请按预案处置。",
	[MESSAGE_REMIND] = "【时限提醒】{title}：“{obligation}”将于{due}到期。"
	    "报告单位：{unit_name}，事件等级：{grade}。",
	[MESSAGE_BREACH] = "【超时未报】{title}：“{obligation}”已超过时限"
	    "（应于{due}前完成，已超时{late}）。报告单位：{unit_name}，事件等级："
	    "{grade}。请立即督办。",
	[MESSAGE_ESCALATION] = "【超时未报】{title}：“{obligation}”已超过时限"
	    "（应于{due}前完成，已超时{late}）。报告单位：{unit_name}，事件等级："
	    "{grade}。请立即督办。（第{step}级升级）",
	[MESSAGE_REJECTED] = "【规则错误】事件 {title} 的处置规则执行失败，"
	    "请值班人员人工处理。报告单位：{unit_name}。",
	[MESSAGE_UNDELIVERED] = "【通知未送达】发给{to}的通知未能经“{channel}”"
	    "送达（{error}），请改用电话等方式通知。原通知：{text}",
	[MESSAGE_UNMATCHED] = "【无预案匹配】{unit_name}报送的“{title}”（类别："
	    "{category}）没有预案或待报时限与之对应，系统不会自动督办。请值班"
	    "人员人工研判、处置。",
};

/* Every placeholder a template may use; values come from the engine. */
static const char *message_placeholders[] = {
	"title", "incident", "unit", "unit_name", "grade", "color", "procedure",
	"obligation", "due", "late", "step", "period", "recipient", "ack_url",
	"to", "channel", "error", "text", "category",
};

int
message_reason(const char *name)
{
	int	i;

	for (i = 0; i < MESSAGE__COUNT; i++) {
		if (strcmp(message_reasons[i], name) == 0)
			return (i);
	}
	return (-1);
}

const char *
message_reason_name(enum message_reason r)
{
	return (message_reasons[r]);
}

const char *
message_default(enum message_reason r)
{
	return (message_defaults[r]);
}

static int
message_placeholder_known(const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < sizeof(message_placeholders) /
	    sizeof(*message_placeholders); i++) {
		if (strlen(message_placeholders[i]) == len &&
		    strncmp(message_placeholders[i], name, len) == 0)
			return (1);
	}
	return (0);
}

/* 0 if every placeholder is known and every brace is closed. */
int
message_check(const char *t, char **cause)
{
	const char	*end;

	for (; *t != '\0'; t++) {
		if ((t[0] == '{' && t[1] == '{') || (t[0] == '}' && t[1] == '}'))
			t++;
		else if (*t == '}') {
			*cause = xstrdup("a lone \"}\" (write \"}}\")");
			return (-1);
		} else if (*t == '{') {
			if ((end = strchr(t, '}')) == NULL) {
				*cause = xstrdup("a \"{\" is never closed "
				    "(write \"{{\" for a brace)");
				return (-1);
			}
			if (!message_placeholder_known(t + 1,
			    (size_t)(end - t - 1))) {
				xasprintf(cause, "unknown placeholder "
				    "\"%.*s\"", (int)(end - t + 1), t);
				return (-1);
			}
			t = end;
		}
	}
	return (0);
}

static void
message_append(char **buf, size_t *len, size_t *size, const char *s,
    size_t n)
{
	while (*len + n + 1 > *size) {
		*size = *size == 0 ? 256 : *size * 2;
		*buf = xreallocarray(*buf, *size, 1);
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* The template with each placeholder replaced; one without a value is "". */
char *
message_render(const char *t, message_value_cb value, void *arg)
{
	char		*buf = NULL, name[32];
	const char	*end, *v;
	size_t		 len = 0, size = 0;

	message_append(&buf, &len, &size, "", 0);
	for (; *t != '\0'; t++) {
		if ((t[0] == '{' && t[1] == '{') ||
		    (t[0] == '}' && t[1] == '}')) {
			message_append(&buf, &len, &size, t, 1);
			t++;
		} else if (*t == '{' && (end = strchr(t, '}')) != NULL &&
		    (size_t)(end - t - 1) < sizeof(name)) {
			memcpy(name, t + 1, (size_t)(end - t - 1));
			name[end - t - 1] = '\0';
			if ((v = value(name, arg)) != NULL)
				message_append(&buf, &len, &size, v,
				    strlen(v));
			t = end;
		} else
			message_append(&buf, &len, &size, t, 1);
	}
	return (buf);
}

void
messages_free(struct messages *m)
{
	int	i;

	for (i = 0; i < MESSAGE__COUNT; i++) {
		free(m->v[i]);
		m->v[i] = NULL;
	}
}

/*
 * Through jansson: the reference for what message_note_json() writes.
 * What a note does not have is left out, never null, and a grade or step
 * of 0 (none) is no value; a required field missing, or a value that is
 * not UTF-8, makes no note (NULL).
 */
char *
message_note_json_jansson(const struct message_note *n)
{
	json_t	*o, *mobiles;
	char	*text;
	size_t	 i;

	o = json_pack("{s:s, s:s, s:s}", "key", n->key, "reason", n->reason,
	    "at", n->at);
	if (o == NULL)
		return (NULL);
	if (timeline_concern_jansson(o, &n->c, 1) != 0 ||
	    (n->title != NULL && json_object_set_new(o, "title",
	    json_string(n->title)) != 0) || n->text == NULL ||
	    json_object_set_new(o, "text", json_string(n->text)) != 0 ||
	    (n->ack_url != NULL && json_object_set_new(o, "ack_url",
	    json_string(n->ack_url)) != 0)) {
		json_decref(o);
		return (NULL);
	}
	if (n->nmobiles > 0) {
		mobiles = json_array();
		for (i = 0; i < n->nmobiles; i++)
			json_array_append_new(mobiles,
			    json_string(n->mobiles[i]));
		json_object_set_new(o, "mobiles", mobiles);
	}
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return (text);
}

/* One field as json_pack's "s" (may_be_absent 0) or "s*" (1) packs it. */
static int
message_note_field(struct jsonw *b, const char *key, const char *value,
    int may_be_absent)
{
	if (value == NULL)
		return (may_be_absent ? 0 : -1);
	jsonw_key(b, key);
	return (jsonw_string(b, value, strlen(value)));
}

/*
 * The caller frees the text, which is message_note_json_jansson()'s byte
 * for byte (tests/unit/test_message.c): written directly because every
 * notification makes one, and packing an object to write it cost as much
 * as the row it goes into.  Where a field is not UTF-8 or is missing, the
 * reference decides, as rarely as that happens.
 */
char *
message_note_json(const struct message_note *n)
{
	struct jsonw	b;
	size_t		i;
	int		bad = 0;

	jsonw_init(&b, 1024);
	jsonw_open(&b, '{');
	bad |= message_note_field(&b, "key", n->key, 0);
	bad |= message_note_field(&b, "reason", n->reason, 0);
	bad |= message_note_field(&b, "at", n->at, 0);
	bad |= timeline_concern_jsonw(&b, &n->c, 1) != 0;
	bad |= message_note_field(&b, "title", n->title, 1);
	bad |= message_note_field(&b, "text", n->text, 0);
	bad |= message_note_field(&b, "ack_url", n->ack_url, 1);
	if (n->nmobiles > 0) {
		jsonw_key(&b, "mobiles");
		jsonw_open(&b, '[');
		for (i = 0; i < n->nmobiles; i++) {
			if (i > 0)
				jsonw_raw(&b, ",", 1);
			bad |= n->mobiles[i] == NULL ||
			    jsonw_string(&b, n->mobiles[i],
			    strlen(n->mobiles[i])) != 0;
		}
		jsonw_close(&b, ']');
	}
	jsonw_close(&b, '}');
	if (bad || b.bad) {
		jsonw_free(&b);
		return (message_note_json_jansson(n));
	}
	return (jsonw_take(&b));
}
