/*
 * Acknowledgement links: GET /ack/{token} shows what the message was about
 * and a button; POST /ack/{token} acknowledges the incident for the person
 * the link was sent to, which stops its escalation.  The token (128 random
 * bits, made with the message in engine-notify.c) is the only credential
 * and is good for one incident.  Pages are plain HTML with every stored text
 * escaped, since titles come from whoever reported the incident.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>

#include "api.h"
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

/* The whole page: the incident, its state, and the button if it is open. */
static void
api_ack_reply(struct evhttp_request *req, const struct rules *r, int code,
    const struct store_incident *inc, const char *token, const char *note)
{
	struct evbuffer	*buf = evbuffer_new();
	const char	*by = api_ack_text(inc->acked_by);
	int		 closed = inc->state == INCIDENT_CLOSED;
	char		*html;
	size_t		 len;

	evbuffer_add_printf(buf, "<!doctype html><html lang=\"zh-CN\"><head>"
	    "<meta charset=\"utf-8\"><meta name=\"viewport\" content=\""
	    "width=device-width,initial-scale=1\"><title>确认收到 — tocsin"
	    "</title><style>body{font:18px/1.6 sans-serif;max-width:32em;"
	    "margin:2em auto;padding:0 1em}button{font-size:1.2em;padding:"
	    ".6em 2em}dt{color:#555}</style></head><body><h1>");
	api_ack_escape(buf, api_ack_text(inc->title)[0] != '\0' ?
	    inc->title : api_ack_text(inc->key));
	evbuffer_add_printf(buf, "</h1><dl><dt>事件编号</dt><dd>");
	api_ack_escape(buf, api_ack_text(inc->key));
	evbuffer_add_printf(buf, "</dd><dt>报告单位</dt><dd>");
	api_ack_unit(buf, r, inc->unit);
	evbuffer_add_printf(buf, "</dd><dt>事件等级</dt><dd>%s</dd><dt>状态"
	    "</dt><dd>", grade_name(inc->grade, GRADE_FORM_LABEL));
	if (closed)
		evbuffer_add_printf(buf, "已办结");
	else if (*by != '\0') {
		evbuffer_add_printf(buf, "已确认（");
		api_ack_escape(buf, by);
		evbuffer_add_printf(buf, "）");
	} else
		evbuffer_add_printf(buf, "待确认");
	evbuffer_add_printf(buf, "</dd></dl>");
	if (note != NULL)
		evbuffer_add_printf(buf, "<p><strong>%s</strong></p>", note);
	if (token != NULL && *by == '\0' && !closed)
		evbuffer_add_printf(buf, "<form method=\"post\" action=\"/ack/"
		    "%s\"><button type=\"submit\">确认收到，停止催报</button>"
		    "</form>", token);
	evbuffer_add_printf(buf, "</body></html>\n");
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
	api_ack_reply(req, ctx->rules, 200, &inc, token, NULL);
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
	const struct rules	*r = c->ctx->rules;
	struct store_incident	 inc;

	if (store_incident_get(c->ctx->store, c->incident, &inc) != 1)
		api_ack_not_found(c->req);
	else if (status != 202)
		api_ack_reply(c->req, r, status == 503 ? 503 : 400, &inc, NULL,
		    "未能确认，请稍后再试或联系值班室。");
	else if (n == 1 && results[0].closed) {
		/*
		 * A resolve committed just before the ack, in the same group
		 * commit: the engine kept the ack as an event about a closed
		 * incident and acknowledged nothing, so say what a later
		 * click would be told.
		 */
		api_ack_reply(c->req, r, 409, &inc, NULL,
		    "此事件已办结，无需确认。");
	} else if (strcmp(api_ack_text(inc.acked_by), c->recipient) != 0)
		/* Someone was first: theirs stands, this one is recorded. */
		api_ack_reply(c->req, r, 200, &inc, NULL,
		    "此事件已有人先行确认；您的确认也已记录，谢谢。");
	else
		api_ack_reply(c->req, r, 200, &inc, NULL, "已确认收到，谢谢。");
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
		api_ack_reply(req, ctx->rules, 409, &inc, NULL,
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
