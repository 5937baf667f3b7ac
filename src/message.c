/*
 * Message templates (see message.h).  The defaults read like a duty
 * officer's call: what happened, to whom, what is due, what to do.  A
 * placeholder is checked when the rules load, so a typo is a load error
 * and never a "{titel}" in a leader's phone.
 */
#include <stdlib.h>
#include <string.h>

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
};

static const char *message_defaults[MESSAGE__COUNT] = {
	[MESSAGE_OPENED] = "【事件报告】{title}（{procedure}，{grade}）。"
	    "报告单位：{unit}。请按预案处置。",
	[MESSAGE_PERIOD] = "【特殊时期事件报告】{title}（{procedure}，"
	    "{grade}），正值{period}。报告单位：{unit}。请按预案从严处置。",
	[MESSAGE_GRADED] = "【事件定级】{title} 定为{grade}事件（{procedure}）。"
	    "报告单位：{unit}。请按预案处置。",
	[MESSAGE_REMIND] = "【时限提醒】{title}：“{obligation}”将于{due}到期。"
	    "报告单位：{unit}，事件等级：{grade}。",
	[MESSAGE_BREACH] = "【超时未报】{title}：“{obligation}”已超过时限"
	    "（应于{due}前完成，已超时{late}）。报告单位：{unit}，事件等级："
	    "{grade}。请立即督办。",
	[MESSAGE_ESCALATION] = "【超时未报】{title}：“{obligation}”已超过时限"
	    "（应于{due}前完成，已超时{late}）。报告单位：{unit}，事件等级："
	    "{grade}。请立即督办。（第{step}级升级）",
	[MESSAGE_REJECTED] = "【规则错误】事件 {title} 的处置规则执行失败，"
	    "请值班人员人工处理。报告单位：{unit}。",
	[MESSAGE_UNDELIVERED] = "【通知未送达】发给{to}的通知未能经“{channel}”"
	    "送达（{error}），请改用电话等方式通知。原通知：{text}",
};

/* Every placeholder a template may use; values come from the engine. */
static const char *message_placeholders[] = {
	"title", "incident", "unit", "grade", "color", "procedure",
	"obligation", "due", "late", "step", "period", "recipient", "ack_url",
	"to", "channel", "error", "text",
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
