/*
 * Acknowledgement links: GET /ack/{token} shows what the message was about
 * and a button; POST /ack/{token} acknowledges the incident for the person
 * the link was sent to, which stops its escalation.  The token (128 random
 * bits, made with the message in engine-notify.c) is the only credential
 * and is good for one incident, which it also lets its holder read: what
 * is owed and by when, and who else was told (issue 19).  Pages are plain
 * HTML with every stored text escaped, since titles come from whoever
 * reported the incident; their style and script are /ack.css and /ack.js,
 * so the page's policy allows nothing inline.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>

#include "api.h"
#include "calendar.h"
#include "clock.h"
#include "daemon.h"
#include "http.h"
#include "ingest.h"
#include "record.h"
#include "rules.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

#define ACK_TOKEN_LEN	32

/*
 * A drill's badge beside its grade (ack.css), as on the board: a leader
 * reading the page on a phone must not take the exercise for real.
 */
#define API_ACK_DRILL_TEXT \
	"应急演练：非真实事件，消息均标注【演练】，不计入迟报漏报统计"
#define API_ACK_DRILL_BADGE "<p class=\"drill\" role=\"note\" title=\"" \
	API_ACK_DRILL_TEXT "\" aria-label=\"" API_ACK_DRILL_TEXT "\">演练</p>"

struct ack_link {
	char	*incident;
	char	*recipient;
};

/* HTML-escape s onto buf. */
static void
api_ack_escape(struct evbuffer *buf, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '<': evbuffer_add_printf(buf, "&lt;"); break;
		case '>': evbuffer_add_printf(buf, "&gt;"); break;
		case '&': evbuffer_add_printf(buf, "&amp;"); break;
		case '"': evbuffer_add_printf(buf, "&quot;"); break;
		case '\'': evbuffer_add_printf(buf, "&#39;"); break;
		default: evbuffer_add(buf, s, 1); break;
		}
	}
}

/* The incident and recipient a well-formed, known token is for. */
static int
api_ack_find(const struct api_ctx *ctx, const char *token,
    struct ack_link *link)
{
	struct store_ack_link	 l;
	size_t			 i;

	memset(link, 0, sizeof(*link));
	if (token == NULL || strlen(token) != ACK_TOKEN_LEN)
		return (0);
	for (i = 0; i < ACK_TOKEN_LEN; i++) {
		if (strchr("0123456789abcdef", token[i]) == NULL)
			return (0);
	}
	if (store_ack_link_get(ctx->store, token, &l) != 1)
		return (0);
	link->incident = l.incident;		/* taken */
	link->recipient = l.recipient;		/* taken */
	l.incident = l.recipient = NULL;
	store_ack_link_clear(&l);
	return (1);
}

static void
api_ack_link_free(struct ack_link *link)
{
	free(link->incident);
	free(link->recipient);
}

static const char *
api_ack_text(const char *s)
{
	return (s != NULL ? s : "");
}

/* The reporting unit: its declared name and, in brackets, its id. */
static void
api_ack_unit(struct evbuffer *buf, const struct rules *r, const char *unit)
{
	const struct unit	*u;

	u = r != NULL ? rules_unit_find(r, unit) : NULL;
	if (u == NULL || u->name == NULL) {
		api_ack_escape(buf, api_ack_text(unit));
		return;
	}
	api_ack_escape(buf, u->name);
	evbuffer_add_printf(buf, "（");
	api_ack_escape(buf, unit);
	evbuffer_add_printf(buf, "）");
}

/* Obligations and messages in the words the page uses (SPEC §1, §6). */
static const struct {
	const char	*status;
	const char	*word;
} api_ack_words[] = {
	{ "pending", "待办" }, { "breached", "已超时" }, { "late", "迟报" },
	{ "missed", "漏报" }, { "met", "已完成" }, { "cancelled", "已取消" },
	{ "queued", "待发送" }, { "sending", "发送中" }, { "failed", "发送失败，重试中" },
	{ "delivered", "已送达" }, { "dead", "发送失败" },
};

static const char *
api_ack_word(const char *status)
{
	size_t	i;

	for (i = 0; i < nitems(api_ack_words); i++) {
		if (status != NULL && strcmp(status, api_ack_words[i].status) ==
		    0)
			return (api_ack_words[i].word);
	}
	return (api_ack_text(status));
}

static const char *
api_ack_str(const json_t *o, const char *key)
{
	return (json_string_value(json_object_get(o, key)));
}

/* A time as the site's clock shows it: "10:02", or "3月1日 10:02". */
static void
api_ack_when(struct evbuffer *buf, const char *at, const char *now)
{
	if (at == NULL || strlen(at) < 16)
		return;
	if (now == NULL || strncmp(at, now, 10) != 0)
		evbuffer_add_printf(buf, "%d月%d日 ", atoi(at + 5),
		    atoi(at + 8));
	evbuffer_add(buf, at + 11, 5);
}

/* Time left or overdue, as a duty officer says it: "剩余 1小时5分钟". */
static void
api_ack_left(struct evbuffer *buf, int64_t ms)
{
	int64_t	m = (ms >= 0 ? ms : -ms) / (60 * MSEC_PER_SEC);

	evbuffer_add_printf(buf, "%s ", ms >= 0 ? "剩余" : "已超时");
	if (m >= 24 * 60)
		evbuffer_add_printf(buf, "%d天%d小时", (int)(m / (24 * 60)),
		    (int)(m / 60 % 24));
	else if (m >= 60)
		evbuffer_add_printf(buf, "%d小时%d分钟", (int)(m / 60),
		    (int)(m % 60));
	else
		evbuffer_add_printf(buf, "%d分钟", (int)m);
}

/*
 * What is owed: each open obligation, its deadline and the time left on
 * the daemon's clock; ack.js keeps the count running on a phone.
 */
static void
api_ack_owed(struct evbuffer *buf, const json_t *full, const char *now_at,
    int64_t now)
{
	const json_t	*ob;
	const char	*st, *due;
	int64_t		 t;
	size_t		 i, n = 0;

	json_array_foreach(json_object_get(full, "obligations"), i, ob) {
		st = api_ack_str(ob, "status");
		due = api_ack_str(ob, "due_at");
		if (st == NULL || (strcmp(st, "pending") != 0 &&
		    strcmp(st, "breached") != 0) || due == NULL ||
		    calendar_parse_time(due, &t) != 0)
			continue;
		if (n++ == 0)
			evbuffer_add_printf(buf, "<section class=\"owed\"><h2>"
			    "应办事项</h2><ol>");
		evbuffer_add_printf(buf, "<li class=\"ob%s\"><span class=\""
		    "ob-title\">", t <= now ? " overdue" : "");
		api_ack_escape(buf, api_ack_str(ob, "title") != NULL ?
		    api_ack_str(ob, "title") : api_ack_str(ob, "id"));
		evbuffer_add_printf(buf, "</span><span class=\"ob-due\">");
		api_ack_when(buf, due, now_at);
		evbuffer_add_printf(buf, " 截止</span><span class=\"left\" "
		    "data-due=\"");
		api_ack_escape(buf, due);
		evbuffer_add_printf(buf, "\">");
		api_ack_left(buf, t - now);
		evbuffer_add_printf(buf, "</span></li>");
	}
	if (n > 0)
		evbuffer_add_printf(buf, "</ol></section>");
}

/* Did who acknowledge: the incident's, or an ack event of their own. */
static int
api_ack_acked(const json_t *full, const char *who)
{
	const json_t	*ev;
	const char	*by;
	size_t		 i;

	if ((by = api_ack_str(full, "acknowledged_by")) != NULL &&
	    strcmp(by, who) == 0)
		return (1);
	json_array_foreach(json_object_get(full, "events"), i, ev) {
		by = api_ack_str(ev, "by");
		if (by != NULL && strcmp(by, who) == 0 && api_ack_str(ev,
		    "type") != NULL && strcmp(api_ack_str(ev, "type"),
		    "ack") == 0)
			return (1);
	}
	return (0);
}

/*
 * Who was told: one line per recipient and channel, the newest message's
 * state (the list is newest first), and whether they acknowledged.
 */
static void
api_ack_told(struct evbuffer *buf, const json_t *full, const char *you)
{
	const json_t	*m;
	json_t		*seen = json_object();
	const char	*who, *ch, *name;
	char		*pair;
	size_t		 i;

	json_array_foreach(json_object_get(full, "notifications"), i, m) {
		who = api_ack_text(api_ack_str(m, "recipient"));
		ch = api_ack_text(api_ack_str(m, "channel"));
		xasprintf(&pair, "%s\036%s", who, ch);
		if (json_object_get(seen, pair) != NULL) {
			free(pair);
			continue;
		}
		if (json_object_size(seen) == 0)
			evbuffer_add_printf(buf, "<section class=\"told\"><h2>"
			    "已通知</h2><ul>");
		json_object_set_new(seen, pair, json_true());
		free(pair);
		name = api_ack_str(m, "recipient_name");
		evbuffer_add_printf(buf, "<li><span class=\"who\">");
		api_ack_escape(buf, name != NULL ? name : who);
		if (you != NULL && strcmp(who, you) == 0)
			evbuffer_add_printf(buf, "（您）");
		evbuffer_add_printf(buf, "</span><span class=\"ch\">");
		api_ack_escape(buf, ch);
		evbuffer_add_printf(buf, "</span><span class=\"st st-%s\">%s"
		    "</span><span class=\"acked\">%s</span></li>",
		    api_ack_text(api_ack_str(m, "status")),
		    api_ack_word(api_ack_str(m, "status")),
		    api_ack_acked(full, who) ? "已确认" : "未确认");
	}
	if (json_object_size(seen) > 0)
		evbuffer_add_printf(buf, "</ul></section>");
	json_decref(seen);
}

/*
 * The whole page, made for a phone: the incident, what is owed and by
 * when, who else was told, and, while it is open and unacknowledged, a
 * button that first asks again (a <details>, so no script is needed)
 * before it posts.  Styled by /ack.css; /ack.js only ticks the times.
 */
static void
api_ack_reply(struct evhttp_request *req, const struct api_ctx *ctx,
    int code, const struct store_incident *inc, const char *you,
    const char *token, const char *note)
{
	struct evbuffer	*buf = evbuffer_new();
	const char	*by = api_ack_text(inc->acked_by), *byname;
	json_t		*full = api_incident_load(ctx->store, ctx->rules,
			    inc->key, 1);
	int64_t		 now = clock_now();
	int		 closed = inc->state == INCIDENT_CLOSED;
	char		*html, at[CALENDAR_TIME_MAX];
	size_t		 len;

	calendar_format(now, at, sizeof(at));
	evbuffer_add_printf(buf, "<!doctype html><html lang=\"zh-CN\"><head>"
	    "<meta charset=\"utf-8\"><meta name=\"viewport\" content=\""
	    "width=device-width,initial-scale=1\"><meta name=\"referrer\" "
	    "content=\"no-referrer\"><title>%s确认收到 — tocsin</title>"
	    "<link rel=\"icon\" href=\"data:,\">"
	    "<link rel=\"stylesheet\" href=\"/ack.css\"><script src=\"/ack.js\""
	    " defer></script></head><body data-now=\"%s\"><main class=\"g%d\">"
	    "<p class=\"grade\">%s</p>%s<h1>", inc->drill ? "【演练】" : "", at,
	    inc->grade == GRADE_NONE ? 0 : inc->grade,
	    grade_name(inc->grade, GRADE_FORM_LABEL),
	    inc->drill ? API_ACK_DRILL_BADGE : "");
	api_ack_escape(buf, api_ack_text(inc->title)[0] != '\0' ?
	    inc->title : api_ack_text(inc->key));
	evbuffer_add_printf(buf, "</h1><dl><dt>事件编号</dt><dd>");
	api_ack_escape(buf, api_ack_text(inc->key));
	evbuffer_add_printf(buf, "</dd><dt>报告单位</dt><dd>");
	api_ack_unit(buf, ctx->rules, inc->unit);
	evbuffer_add_printf(buf, "</dd><dt>报告时间</dt><dd>");
	api_ack_when(buf, api_ack_str(full, "opened_at"), at);
	evbuffer_add_printf(buf, "</dd><dt>状态</dt><dd class=\"state\">");
	if (closed)
		evbuffer_add_printf(buf, "已办结");
	else if (*by != '\0') {
		byname = api_ack_str(full, "acknowledged_by_name");
		evbuffer_add_printf(buf, "已确认（");
		api_ack_escape(buf, byname != NULL ? byname : by);
		evbuffer_add_printf(buf, "）");
	} else
		evbuffer_add_printf(buf, "待确认");
	evbuffer_add_printf(buf, "</dd></dl>");
	if (note != NULL)
		evbuffer_add_printf(buf, "<p class=\"note\">%s</p>", note);
	if (token != NULL && *by == '\0' && !closed)
		evbuffer_add_printf(buf, "<details class=\"confirm\"><summary>"
		    "确认收到</summary><p>确认后，本事件的催报与升级将停止，"
		    "确认以您的名义记录。</p><form method=\"post\" action=\""
		    "/ack/%s\"><button type=\"submit\">确定，我已收到</button>"
		    "</form></details>", token);
	if (!closed)
		api_ack_owed(buf, full, at, now);
	api_ack_told(buf, full, you);
	evbuffer_add_printf(buf, "<p class=\"more\"><a href=\"/#incident=");
	api_ack_escape(buf, inc->key);
	evbuffer_add_printf(buf, "\">在值班看板查看详情</a></p></main></body>"
	    "</html>\n");
	json_decref(full);
	len = evbuffer_get_length(buf);
	html = xmalloc(len + 1);
	evbuffer_remove(buf, html, len);
	html[len] = '\0';
	evbuffer_free(buf);
	http_reply_html(req, code, html);
	free(html);
}

static void
api_ack_not_found(struct evhttp_request *req)
{
	http_reply_html(req, 404, "<!doctype html><html lang=\"zh-CN\"><head>"
	    "<meta charset=\"utf-8\"><title>链接无效</title></head><body>"
	    "<h1>链接无效或已失效</h1><p>请联系值班室。</p></body></html>\n");
}

void
api_ack_page(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *token)
{
	struct store_incident	 inc;
	struct ack_link		 link;

	if (!api_ack_find(ctx, token, &link) || store_incident_get(ctx->store,
	    link.incident, &inc) != 1) {
		api_ack_link_free(&link);
		api_ack_not_found(req);
		return;
	}
	api_ack_reply(req, ctx, 200, &inc, link.recipient, token, NULL);
	store_incident_clear(&inc);
	api_ack_link_free(&link);
}

struct ack_change {
	struct evhttp_request	*req;
	const struct api_ctx		*ctx;
	char			*incident;
	char			*recipient;
};

static void
api_ack_done(int status, const struct engine_result *results, size_t n,
    const struct record_error *err, void *arg)
{
	struct ack_change	*c = arg;
	const struct api_ctx	*x = c->ctx;
	const char		*you = c->recipient;
	struct store_incident	 inc;

	if (store_incident_get(c->ctx->store, c->incident, &inc) != 1)
		api_ack_not_found(c->req);
	else if (status != 202)
		api_ack_reply(c->req, x, status == 503 ? 503 : 400, &inc, you,
		    NULL,
		    "未能确认，请稍后再试或联系值班室。");
	else if (n == 1 && results[0].closed) {
		/*
		 * A resolve committed just before the ack, in the same group
		 * commit: the engine kept the ack as an event about a closed
		 * incident and acknowledged nothing, so say what a later
		 * click would be told.
		 */
		api_ack_reply(c->req, x, 409, &inc, you, NULL,
		    "此事件已办结，无需确认。");
	} else if (strcmp(api_ack_text(inc.acked_by), c->recipient) != 0)
		/* Someone was first: theirs stands, this one is recorded. */
		api_ack_reply(c->req, x, 200, &inc, you, NULL,
		    "此事件已有人先行确认；您的确认也已记录，谢谢。");
	else
		api_ack_reply(c->req, x, 200, &inc, you, NULL,
		    "已确认收到，谢谢。");
	store_incident_clear(&inc);
	free(c->incident);
	free(c->recipient);
	free(c);
}

void
api_ack_confirm(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *token)
{
	struct store_incident	  inc;
	struct ack_link		  link;
	struct ack_change	 *c;
	struct record		**records;

	if (!api_ack_find(ctx, token, &link) || store_incident_get(ctx->store,
	    link.incident, &inc) != 1) {
		api_ack_link_free(&link);
		api_ack_not_found(req);
		return;
	}
	/* Closed: nothing to stop, so nothing to store. */
	if (inc.state == INCIDENT_CLOSED) {
		api_ack_reply(req, ctx, 409, &inc, link.recipient, NULL,
		    "此事件已办结，无需确认。");
		store_incident_clear(&inc);
		api_ack_link_free(&link);
		return;
	}
	records = xcalloc(1, sizeof(*records));
	records[0] = record_new("ack", link.incident, api_ack_text(inc.unit),
	    link.recipient, clock_now());
	store_incident_clear(&inc);
	c = xcalloc(1, sizeof(*c));
	c->req = req;
	c->ctx = ctx;
	c->incident = link.incident;	/* taken */
	c->recipient = link.recipient;	/* taken */
	ingest_submit(ctx->ingest, records, 1, NULL, api_ack_done, c);
}
