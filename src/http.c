/*
 * The HTTP listener (evhttp).  Requests pass the limits (header and body
 * size, time-outs), the route table and, for writes, the bearer token
 * check before a handler sees them.  Replies are JSON; errors carry the
 * SPEC §2 error object.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>		/* the request's HTTP version */
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>

#include "api.h"
#include "record.h"
#include "http.h"
#include "http-conn.h"
#include "jsonw.h"
#include "log.h"
#include "rules.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

#define HTTP_HEADERS_MAX	(16 * 1024)
#define HTTP_TIMEOUT_SECS	30	/* idle, reading or writing */
#define HTTP_HEADER_MS		10000	/* until the site's header_timeout */
#define HTTP_BODY_MS		30000	/* until the site's body_timeout */
#define HTTP_BODY_BUDGET	(64u << 20)	/* bodies in flight, together */

struct http {
	struct evhttp		*evh;
	const struct api_ctx	*ctx;
	struct hconns		*conns;
	size_t			 body_limit;
	size_t			 max_conns;	/* 0: from the fd limit */
	int64_t			 header_ms, body_ms;	/* total time limits */
};

/*
 * The routes.  A pattern's "*" is one path segment, the incident key,
 * handed to the handler URL-decoded.  Writes need a token that may write
 * when any exist; reads of incidents (read) one that may read when the
 * site declares one for reading.
 */
/* Who may take a route: anyone, a token that may read, one that may write. */
enum http_access {
	HTTP_OPEN,
	HTTP_READ,
	HTTP_WRITE,
};

static const struct http_route {
	enum evhttp_cmd_type	 method;
	const char		*pattern;
	enum http_access	 access;
	api_handler		 handler;
} http_routes[] = {
	{ EVHTTP_REQ_POST, "/v1/events", HTTP_WRITE, api_events_post },
	/* The link's token is its credential: no bearer token. */
	{ EVHTTP_REQ_GET, "/ack/*", HTTP_OPEN, api_ack_page },
	{ EVHTTP_REQ_POST, "/ack/*", HTTP_OPEN, api_ack_confirm },
	/* A provider's callback: the channel's callback_token is the path. */
	{ EVHTTP_REQ_POST, "/v1/callbacks/*", HTTP_OPEN, api_callback_post },
	{ EVHTTP_REQ_GET, "/v1/incidents", HTTP_READ, api_incidents_list },
	{ EVHTTP_REQ_GET, "/v1/incidents/*", HTTP_READ, api_incident_get },
	{ EVHTTP_REQ_POST, "/v1/incidents/*/ack", HTTP_WRITE, api_incident_ack },
	{ EVHTTP_REQ_POST, "/v1/incidents/*/resolve", HTTP_WRITE,
	    api_incident_resolve },
	{ EVHTTP_REQ_GET, "/v1/notifications", HTTP_READ,
	    api_notifications_list },
	{ EVHTTP_REQ_GET, "/v1/compliance", HTTP_READ, api_compliance },
	{ EVHTTP_REQ_GET, "/v1/compliance/summary", HTTP_READ,
	    api_compliance_summary },
	{ EVHTTP_REQ_GET, "/v1/stats", HTTP_READ, api_stats },
	{ EVHTTP_REQ_GET, "/v1/stats.csv", HTTP_READ, api_stats_csv_get },
	{ EVHTTP_REQ_GET, "/v1/stats.xlsx", HTTP_READ, api_stats_xlsx_get },
	{ EVHTTP_REQ_GET, "/v1/units", HTTP_READ, api_units },
	{ EVHTTP_REQ_GET, "/v1/categories", HTTP_READ, api_categories },
	{ EVHTTP_REQ_GET, "/v1/status", HTTP_READ, api_status },
	/* A load balancer's check: 200 on the leader only. */
	{ EVHTTP_REQ_GET, "/v1/leader", HTTP_OPEN, api_leader },
	{ EVHTTP_REQ_GET, "/v1/handover", HTTP_READ, api_handover },
	{ EVHTTP_REQ_POST, "/v1/admin/prune", HTTP_WRITE, api_admin_prune },
	/* The duty-room board and the data it shows. */
	{ EVHTTP_REQ_GET, "/", HTTP_OPEN, api_board_file },
	{ EVHTTP_REQ_GET, "/board.css", HTTP_OPEN, api_board_file },
	{ EVHTTP_REQ_GET, "/board.js", HTTP_OPEN, api_board_file },
	{ EVHTTP_REQ_GET, "/detail.js", HTTP_OPEN, api_board_file },
	{ EVHTTP_REQ_GET, "/detail.css", HTTP_OPEN, api_board_file },
	{ EVHTTP_REQ_GET, "/signin.js", HTTP_OPEN, api_board_file },
	{ EVHTTP_REQ_GET, "/token.js", HTTP_OPEN, api_board_file },
	{ EVHTTP_REQ_GET, "/forms.js", HTTP_OPEN, api_board_file },
	{ EVHTTP_REQ_GET, "/forms.css", HTTP_OPEN, api_board_file },
	{ EVHTTP_REQ_GET, "/wall.js", HTTP_OPEN, api_board_file },
	{ EVHTTP_REQ_GET, "/wall.css", HTTP_OPEN, api_board_file },
	{ EVHTTP_REQ_GET, "/handover", HTTP_OPEN, api_board_file },
	{ EVHTTP_REQ_GET, "/handover.js", HTTP_OPEN, api_board_file },
	{ EVHTTP_REQ_GET, "/handover.css", HTTP_OPEN, api_board_file },
	{ EVHTTP_REQ_GET, "/ack.css", HTTP_OPEN, api_board_file },
	{ EVHTTP_REQ_GET, "/ack.js", HTTP_OPEN, api_board_file },
	/* Who a token is: the sign-in asks; 401 without a valid one. */
	{ EVHTTP_REQ_GET, "/v1/session", HTTP_OPEN, api_session },
	{ EVHTTP_REQ_GET, "/v1/board", HTTP_READ, api_board },
	/* The office's statistics page (api-stats.c gives its data). */
	{ EVHTTP_REQ_GET, "/stats.html", HTTP_OPEN, api_board_file },
	{ EVHTTP_REQ_GET, "/stats.css", HTTP_OPEN, api_board_file },
	{ EVHTTP_REQ_GET, "/stats.js", HTTP_OPEN, api_board_file },
	{ EVHTTP_REQ_GET, "/healthz", HTTP_OPEN, api_healthz },
	{ EVHTTP_REQ_GET, "/metrics", HTTP_OPEN, api_metrics },
};

/*
 * Send a reply with buf as its body.  libevent 2.1 would send the body
 * after the headers of a HEAD reply too, which the client takes for the
 * start of the next reply: a HEAD reply gets the length alone.
 */
void
http_send_reply(struct evhttp_request *req, int code, struct evbuffer *buf)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	char			 len[32];

	/* No browser guesses a type other than the one we name. */
	if (evhttp_find_header(h, "X-Content-Type-Options") == NULL)
		evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		snprintf(len, sizeof(len), "%zu", evbuffer_get_length(buf));
		evhttp_add_header(h, "Content-Length", len);
		evbuffer_drain(buf, evbuffer_get_length(buf));
	}
	evhttp_send_reply(req, code, NULL, buf);
}

/* Answer with JSON text already written, which this takes and frees. */
void
http_reply_json_take(struct evhttp_request *req, int code, char *text)
{
	struct evbuffer		*buf = evbuffer_new();
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);

	if (text == NULL) {
		/* A bug, not the client's doing: answer, and go on. */
		log_warnx("http: cannot encode a %d reply", code);
		code = 500;
		text = xstrdup("{\"error\":{\"code\":\"internal\",\"message\":"
		    "\"the answer could not be encoded\"}}");
	}
	evbuffer_add(buf, text, strlen(text));
	evbuffer_add(buf, "\n", 1);
	free(text);
	evhttp_add_header(h, "Content-Type", "application/json; charset=utf-8");
	/* Answers are the state of the moment: no cache keeps them. */
	if (evhttp_find_header(h, "Cache-Control") == NULL)
		evhttp_add_header(h, "Cache-Control", "no-store");
	http_send_reply(req, code, buf);
	evbuffer_free(buf);
}

void
http_reply_json(struct evhttp_request *req, int code, json_t *body)
{
	char	*text;

	text = body != NULL ? jsonw_dumps(body) : NULL;
	json_decref(body);
	http_reply_json_take(req, code, text);
}

void
http_reply_html(struct evhttp_request *req, int code, const char *html)
{
	struct evbuffer		*buf = evbuffer_new();
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);

	evbuffer_add(buf, html, strlen(html));
	evhttp_add_header(h, "Content-Type", "text/html; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Content-Security-Policy", "default-src 'none'; "
	    "style-src 'self'; script-src 'self'; img-src data:; "
	    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
	http_send_reply(req, code, buf);
	evbuffer_free(buf);
}

/*
 * Make s valid UTF-8 by turning every byte that does not begin a valid
 * sequence into '?'.  Messages quote what the client sent (a path, a
 * header) and may cut it short; JSON text must be UTF-8 all the same.
 */
static void
http_scrub_utf8(char *s)
{
	unsigned char	*p = (unsigned char *)s;
	size_t		 left = strlen(s), n;

	while (left > 0) {
		n = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
		if (n > left || !record_valid_utf8((const char *)p, n)) {
			*p = '?';
			n = 1;
		}
		p += n;
		left -= n;
	}
}

void
http_reply_error(struct evhttp_request *req, int code, const char *ecode,
    const char *field, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	http_scrub_utf8(msg);
	http_reply_json(req, code, json_pack("{s:{s:s, s:s, s:s?}}", "error",
	    "code", ecode, "message", msg, "field",
	    field != NULL && *field != '\0' ? field : NULL));
}

/*
 * Is this Content-Type JSON as we read it: "application/json" in any case,
 * with no charset or charset=utf-8?  JSON is UTF-8 (RFC 8259); a client
 * that names another charset means other bytes, which we do not convert.
 * Other parameters are ignored.
 */
static int
http_json_type(const char *ctype)
{
	const char	*p = ctype;
	size_t		 n;

	if (strncasecmp(p, "application/json", 16) != 0)
		return (0);
	for (p += 16;; p += strcspn(p, ";")) {
		p += strspn(p, " \t");
		if (*p == '\0')
			return (1);
		if (*p++ != ';')
			return (0);
		p += strspn(p, " \t");
		if (strncasecmp(p, "charset=", 8) != 0)
			continue;
		p += 8;
		n = *p == '"' ? 1 : 0;
		if (strncasecmp(p + n, "utf-8", 5) == 0)
			p += n + 5;
		else if (strncasecmp(p + n, "utf8", 4) == 0)
			p += n + 4;
		else
			return (0);
		if (n == 1 && *p++ != '"')
			return (0);
		p += strspn(p, " \t");
		if (*p != '\0' && *p != ';')
			return (0);
	}
}

/*
 * The request body whatever its type, or NULL with *status and err set:
 * 415 for a content coding we do not undo.  For a provider's callback,
 * whose driver reads its own shape (JSON, or Twilio's form).  The bytes
 * stay the request's; *len may be 0.
 */
const char *
http_read_raw(struct evhttp_request *req, size_t *len,
    struct record_error *err, int *status)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	struct evkeyvalq *headers = evhttp_request_get_input_headers(req);
	const char	*coding, *data;

	coding = evhttp_find_header(headers, "Content-Encoding");
	if (coding != NULL && strcasecmp(coding, "identity") != 0) {
		*status = 415;
		record_error_set(err, "unsupported_media_type", "", "send the "
		    "body as it is, without Content-Encoding %.64s", coding);
		return (NULL);
	}
	*len = evbuffer_get_length(in);
	data = (const char *)evbuffer_pullup(in, -1);
	return (data != NULL ? data : "");
}

/*
 * The request body, or NULL with *status and err set: 415 for a content
 * type that is not JSON or a content coding we do not undo.
 */
const char *
http_read_body(struct evhttp_request *req, size_t *len,
    struct record_error *err, int *status)
{
	const char	*ctype;

	ctype = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	if (ctype != NULL && !http_json_type(ctype)) {
		*status = 415;
		record_error_set(err, "unsupported_media_type", "", "send "
		    "Content-Type: application/json (UTF-8), not %.64s", ctype);
		return (NULL);
	}
	return (http_read_raw(req, len, err, status));
}

/*
 * The request body as JSON, or NULL with *status and err set: 415 for a
 * content type that is not JSON, 413 over the limit, 400 for text that is
 * not UTF-8 or not JSON.
 */
json_t *
http_read_json(struct evhttp_request *req, size_t limit,
    struct record_error *err, int *status)
{
	const char	*data;
	size_t		 len;

	if ((data = http_read_body(req, &len, err, status)) == NULL)
		return (NULL);
	return (record_parse_json(data, len, limit, err, status));
}

/* A query parameter, decoded; the caller frees it.  NULL when absent. */
char *
http_query(struct evhttp_request *req, const char *key)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*q = evhttp_uri_get_query(uri);
	struct evkeyvalq	 params;
	const char		*v;
	char			*s = NULL;

	if (q == NULL)
		return (NULL);
	TAILQ_INIT(&params);
	if (evhttp_parse_query_str(q, &params) != 0)
		return (NULL);
	if ((v = evhttp_find_header(&params, key)) != NULL && *v != '\0')
		s = xstrdup(v);
	evhttp_clear_headers(&params);
	return (s);
}

/*
 * Could a decoded path segment be a key?  A "%00" must not cut it short
 * ("a%00b" would name "a"), and no key holds a control character or text
 * that is not UTF-8.
 */
static int
http_key_ok(const char *key, size_t len)
{
	size_t	i;

	if (len == 0 || len > KEY_MAX || strlen(key) != len ||
	    !record_valid_utf8(key, len))
		return (0);
	for (i = 0; i < len; i++) {
		if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f)
			return (0);
	}
	return (1);
}

/* Does path match pattern?  The "*" segment is copied, decoded, to key. */
static int
http_match(const char *pattern, const char *path, char **key)
{
	const char	*star = strchr(pattern, '*'), *end;
	size_t		 plen, len;
	char		*raw;

	*key = NULL;
	if (star == NULL)
		return (strcmp(pattern, path) == 0);
	plen = (size_t)(star - pattern);
	if (strncmp(pattern, path, plen) != 0)
		return (0);
	path += plen;
	if ((end = strchr(path, '/')) == NULL)
		end = path + strlen(path);
	if (end == path || strcmp(end, star + 1) != 0)
		return (0);
	raw = xstrndup(path, (size_t)(end - path));
	*key = evhttp_uridecode(raw, 0, &len);
	free(raw);
	if (*key == NULL || !http_key_ok(*key, len)) {
		free(*key);
		*key = NULL;
		return (0);
	}
	return (1);
}

/*
 * The token the request's "Authorization: Bearer T" names, compared in
 * constant time (rules_token_find); NULL when there is none or it matches
 * no token.
 */
const struct token_def *
http_token(struct evhttp_request *req, const struct rules *r)
{
	const char	*h;

	h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return (NULL);
	return (rules_token_find(r, h + 7));
}

/*
 * May the request take the route: 0; else 401 (no valid token where one
 * is needed) or 403 (a token not for this: a read-only token writing, a
 * write-only one reading).  Writes need a token once the site declares
 * any; reads once it declares one for reading.
 */
static int
http_authorized(struct evhttp_request *req, const struct rules *r,
    const struct http_route *route)
{
	const struct token_def	*tok;

	if (route->access == HTTP_WRITE &&
	    rules_token_count(r) > 0) {
		if ((tok = http_token(req, r)) == NULL)
			return (401);
		return (tok->write ? 0 : 403);
	}
	if (route->access == HTTP_READ && rules_tokens_read(r)) {
		if ((tok = http_token(req, r)) == NULL)
			return (401);
		return (tok->read ? 0 : 403);
	}
	return (0);
}

/*
 * What HTTP/1.1 (RFC 9112) says a server refuses whatever the resource: a
 * 1.1 request without exactly one Host (400), Content-Length headers that
 * disagree (400), a transfer coding other than chunked (501).  In the last
 * two libevent has guessed where the body ends (at the first length, or
 * with no body at all), so what follows is no request of ours: the
 * connection is closed after the answer.  libevent refuses other framing
 * faults itself.
 */
static const char *
http_framing_problem(struct evhttp_request *req, int *status)
{
	struct evkeyval	*kv;
	const char	*length = NULL;
	int		 hosts = 0;

	*status = 400;
	TAILQ_FOREACH(kv, evhttp_request_get_input_headers(req), next) {
		if (strcasecmp(kv->key, "Host") == 0)
			hosts++;
		else if (strcasecmp(kv->key, "Content-Length") == 0) {
			if (length != NULL && strcmp(length, kv->value) != 0)
				return ("the Content-Length headers disagree");
			length = kv->value;
		} else if (strcasecmp(kv->key, "Transfer-Encoding") == 0 &&
		    strcasecmp(kv->value, "chunked") != 0) {
			*status = 501;
			return ("the only transfer coding taken is chunked");
		}
	}
	if (hosts > 1)
		return ("send one Host header, not several");
	if (hosts == 0 && (req->major > 1 || (req->major == 1 &&
	    req->minor >= 1)))
		return ("an HTTP/1.1 request needs a Host header");
	return (NULL);
}

/* The Allow header of a 405: the methods the path does take. */
static void
http_allow(struct evhttp_request *req, int methods)
{
	static const struct {
		int		 method;
		const char	*name;
	} names[] = {
		{ EVHTTP_REQ_GET, "GET" },
		{ EVHTTP_REQ_HEAD, "HEAD" },
		{ EVHTTP_REQ_POST, "POST" },
	};
	char	allow[64] = "";
	size_t	i, len = 0;

	if (methods & EVHTTP_REQ_GET)
		methods |= EVHTTP_REQ_HEAD;
	for (i = 0; i < nitems(names); i++) {
		if ((methods & names[i].method) != 0)
			len += snprintf(allow + len, sizeof(allow) - len,
			    "%s%s", len > 0 ? ", " : "", names[i].name);
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    allow);
}

/* libevent's own limit on a body: see http_set_body_limit. */
static size_t
http_body_ceiling(size_t limit)
{
	return (limit * 4 > limit + (1 << 20) ? limit * 4 : limit + (1 << 20));
}

/*
 * The route for path and method, or NULL; *methods collects what the path
 * takes (for a 405), *key the "*" segment (the caller frees it).
 */
static const struct http_route *
http_route_find(const char *path, enum evhttp_cmd_type method, char **key,
    int *methods)
{
	size_t	i;

	*methods = 0;
	for (i = 0; i < nitems(http_routes); i++) {
		if (!http_match(http_routes[i].pattern, path, key))
			continue;
		*methods |= http_routes[i].method;
		/* HEAD is GET without the body; evhttp leaves the body out. */
		if (http_routes[i].method == method ||
		    (method == EVHTTP_REQ_HEAD &&
		    http_routes[i].method == EVHTTP_REQ_GET))
			return (&http_routes[i]);
		free(*key);
		*key = NULL;
	}
	return (NULL);
}

static const char *
http_path(struct evhttp_request *req)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = uri != NULL ? evhttp_uri_get_path(uri) :
				    NULL;

	return (path == NULL || *path == '\0' ? "/" : path);
}

/* The host of a URL ("http://host:port/..."), lower case, into buf. */
static const char *
http_url_host(const char *url, char *buf, size_t size)
{
	const char	*p = strstr(url, "://"), *end;
	size_t		 n;

	if (p == NULL)
		return (NULL);
	p += 3;
	if (*p == '[')
		end = strchr(p, ']') != NULL ? strchr(p, ']') + 1 : p;
	else
		end = p + strcspn(p, ":/?#");
	n = (size_t)(end - p);
	if (n == 0 || n >= size)
		return (NULL);
	memcpy(buf, p, n);
	buf[n] = '\0';
	return (buf);
}

/* A Host header's name, without the port: "[::1]:8080" is "[::1]". */
static int
http_host_name(const char *host, char *buf, size_t size)
{
	size_t	n;

	if (*host == '[')
		n = strchr(host, ']') != NULL ?
		    (size_t)(strchr(host, ']') - host) + 1 : 0;
	else
		n = strcspn(host, ":");
	if (n == 0 || n >= size)
		return (-1);
	memcpy(buf, host, n);
	buf[n] = '\0';
	return (0);
}

/* An address, not a name: "127.0.0.1", "[::1]". */
static int
http_ip_literal(const char *name)
{
	unsigned char	addr[16];
	char		v6[64];
	size_t		n = strlen(name);

	if (inet_pton(AF_INET, name, addr) == 1)
		return (1);
	if (n < 3 || name[0] != '[' || name[n - 1] != ']' ||
	    n - 2 >= sizeof(v6))
		return (0);
	memcpy(v6, name + 1, n - 2);
	v6[n - 2] = '\0';
	return (inet_pton(AF_INET6, v6, addr) == 1);
}

/*
 * Does the site answer to this Host?  DNS rebinding needs a name the
 * attacker resolves, so an address is always fine, and so is
 * "localhost".  Names: those the site lists in hosts, or, with none
 * listed, the host of its public_url.
 */
static int
http_host_ok(const struct site *s, const char *host)
{
	char	name[256], pub[256];
	size_t	i;

	if (http_host_name(host, name, sizeof(name)) != 0)
		return (0);
	if (http_ip_literal(name) || strcasecmp(name, "localhost") == 0)
		return (1);
	for (i = 0; i < s->hosts.n; i++) {
		if (strcasecmp(name, s->hosts.v[i]) == 0)
			return (1);
	}
	return (s->hosts.n == 0 && s->public_url != NULL &&
	    http_url_host(s->public_url, pub, sizeof(pub)) != NULL &&
	    strcasecmp(name, pub) == 0);
}

/*
 * Is this Origin our own: http(s)://Host as the request names it, or the
 * origin of the site's public_url (a proxy in front may speak https)?
 */
static int
http_origin_ok(const struct site *s, const char *origin, const char *host)
{
	const char	*rest;
	size_t		 n;

	if (strncasecmp(origin, "http://", 7) == 0)
		rest = origin + 7;
	else if (strncasecmp(origin, "https://", 8) == 0)
		rest = origin + 8;
	else
		return (0);
	if (host != NULL && strcasecmp(rest, host) == 0)
		return (1);
	if (s->public_url == NULL)
		return (0);
	n = strlen(origin);
	return (strncasecmp(s->public_url, origin, n) == 0 &&
	    (s->public_url[n] == '\0' || s->public_url[n] == '/'));
}

static void
http_refuse(struct hconn_refusal *r, int status, const char *code,
    const char *fmt, const char *arg)
{
	r->status = status;
	r->code = code;
	snprintf(r->message, sizeof(r->message), fmt, arg != NULL ? arg : "");
}

/* Refuse a request its token does not let take the route. */
static void
http_refuse_token(struct hconn_refusal *r, int status,
    const struct http_route *route)
{
	if (status == 401)
		http_refuse(r, 401, "unauthorized", "a valid bearer token is "
		    "required%s", NULL);
	else
		http_refuse(r, 403, "forbidden", "this token may not %s",
		    route->access == HTTP_WRITE ? "write" : "read");
}

/*
 * Is a browser on another site making this write?  Sec-Fetch-Site says
 * so where the browser sends it; else an Origin that is not ours.
 */
static int
http_cross_site(const struct site *s, struct evkeyvalq *in, int null_ok)
{
	const char	*fetch = evhttp_find_header(in, "Sec-Fetch-Site");
	const char	*origin = evhttp_find_header(in, "Origin");

	if (fetch != NULL)
		return (strcasecmp(fetch, "same-origin") != 0 &&
		    strcasecmp(fetch, "none") != 0);
	if (origin != NULL && null_ok && strcmp(origin, "null") == 0)
		return (0);
	return (origin != NULL &&
	    !http_origin_ok(s, origin, evhttp_find_header(in, "Host")));
}

/*
 * The screen (SPEC §3), on the headers alone: run before the body is
 * read (http-conn.c) and again as the request is handled.  A foreign
 * Host is 421 (DNS rebinding); a write from another origin 403; a write
 * route without a valid token 401; a write without a bearer token that is
 * not declared JSON 415 (an HTML form or a bare fetch() can send text/plain
 * or nothing, but not application/json without asking first); a body
 * declared over the limit 413.
 */
static void
http_screen(struct evhttp_request *req, struct hconn_refusal *r, void *arg)
{
	struct http		*h = arg;
	const struct rules	*rules = h->ctx->rules;
	const struct site	*s = rules_site(rules);
	struct evkeyvalq	*in = evhttp_request_get_input_headers(req);
	enum evhttp_cmd_type	 method = evhttp_request_get_command(req);
	const struct http_route	*route;
	const char		*host = evhttp_find_header(in, "Host"), *v;
	char			*key = NULL;
	int			 methods, status;

	r->status = 0;
	if (host != NULL && !http_host_ok(s, host)) {
		http_refuse(r, 421, "misdirected_request", "this server does "
		    "not answer to Host %.64s", host);
		return;
	}
	route = http_route_find(http_path(req), method, &key, &methods);
	free(key);
	/*
	 * No store yet: the daemon waits for the database (daemon.c), and
	 * every route but the board's own files answers 503, /healthz too,
	 * so that a balancer takes this node out.
	 */
	if (h->ctx->store == NULL && route != NULL &&
	    route->handler != api_board_file) {
		http_refuse(r, 503, "database_unavailable", "the database is "
		    "unreachable (no read-write primary); this node tries "
		    "again every second%s", NULL);
		return;
	}
	/* Only the leader writes (docs/cluster.md): Retry-After, elsewhere. */
	if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD &&
	    route != NULL && !store_leads(h->ctx->store)) {
		http_refuse(r, 503, "not_leader", "this node is a standby; "
		    "GET /v1/leader finds the leader%s", NULL);
		return;
	}
	if (method == EVHTTP_REQ_GET || method == EVHTTP_REQ_HEAD) {
		if (route != NULL && (status = http_authorized(req, rules,
		    route)) != 0)
			http_refuse_token(r, status, route);
		return;
	}
	/*
	 * The acknowledgement page's own form sends "Origin: null" (the page
	 * says Referrer-Policy: no-referrer) where the browser does not send
	 * Sec-Fetch-Site; its link is its credential, which no other site
	 * knows.
	 */
	if (http_cross_site(s, in, route != NULL &&
	    route->handler == api_ack_confirm)) {
		http_refuse(r, 403, "forbidden", "a request from another site "
		    "is not taken%s", NULL);
		return;
	}
	if (route != NULL && (status = http_authorized(req, rules, route)) !=
	    0) {
		http_refuse_token(r, status, route);
		return;
	}
	if (route != NULL && route->access == HTTP_WRITE &&
	    method == EVHTTP_REQ_POST &&
	    evhttp_find_header(in, "Authorization") == NULL &&
	    ((v = evhttp_find_header(in, "Content-Type")) == NULL ||
	    !http_json_type(v))) {
		http_refuse(r, 415, "unsupported_media_type", "send "
		    "Content-Type: application/json%s", NULL);
		return;
	}
	/* Past libevent's ceiling, or not a number, libevent refuses it. */
	if ((v = evhttp_find_header(in, "Content-Length")) != NULL &&
	    v[strspn(v, "0123456789")] == '\0' && strlen(v) < 16 &&
	    strtoull(v, NULL, 10) > h->body_limit &&
	    strtoull(v, NULL, 10) <= http_body_ceiling(h->body_limit))
		http_refuse(r, 413, "body_too_large", "the body is %s bytes; "
		    "over the limit", v);
}

/*
 * Answer a request refused by its headers, its body unread: the
 * connection closes after the answer, as the rest of the body would be
 * taken for the next request.
 */
static void
http_reply_refusal(struct evhttp_request *req, const struct hconn_refusal *r)
{
	struct evkeyvalq	*out = evhttp_request_get_output_headers(req);

	evhttp_add_header(out, "Connection", "close");
	if (r->status == 401)
		evhttp_add_header(out, "WWW-Authenticate", "Bearer");
	if (r->status == 503)
		evhttp_add_header(out, "Retry-After", "1");
	http_reply_error(req, r->status, r->code, NULL, "%s", r->message);
}

static void
http_request_cb(struct evhttp_request *req, void *arg)
{
	struct http		*h = arg;
	const char		*path = http_path(req), *problem;
	enum evhttp_cmd_type	 method = evhttp_request_get_command(req);
	const struct http_route	*route;
	struct hconn_refusal	 refusal;
	char			*key = NULL;
	int			 methods, status;

	/* We speak HTTP/1.1 to a client of any later 1.x. */
	if (req->major == 1 && req->minor > 1)
		req->minor = 1;
	if (hconns_request(h->conns, req, &refusal)) {
		http_reply_refusal(req, &refusal);
		return;
	}
	if ((problem = http_framing_problem(req, &status)) != NULL) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Connection", "close");
		http_reply_error(req, status, status == 501 ? "not_implemented" :
		    "bad_request", NULL, "%s", problem);
		return;
	}
	/* Requests whose headers came in with an earlier one's body. */
	http_screen(req, &refusal, h);
	if (refusal.status != 0 && refusal.status != 413) {
		if (refusal.status == 401)
			evhttp_add_header(evhttp_request_get_output_headers(req),
			    "WWW-Authenticate", "Bearer");
		if (refusal.status == 503)
			evhttp_add_header(evhttp_request_get_output_headers(req),
			    "Retry-After", "1");
		http_reply_error(req, refusal.status, refusal.code, NULL, "%s",
		    refusal.message);
		return;
	}
	if ((route = http_route_find(path, method, &key, &methods)) == NULL) {
		if (methods != 0) {
			http_allow(req, methods);
			http_reply_error(req, 405, "method_not_allowed", NULL,
			    "%.200s does not take this method", path);
		} else
			http_reply_error(req, 404, "not_found", NULL,
			    "no such resource: %.200s",
			    evhttp_request_get_uri(req));
		return;
	}
	route->handler(req, h->ctx, key);
	free(key);
}

/* The listener's settings and routes, before it has a socket. */
static struct http *
http_setup(struct event_base *base, const struct api_ctx *ctx,
    size_t body_limit)
{
	struct http	*h;

	h = xcalloc(1, sizeof(*h));
	h->ctx = ctx;
	h->evh = evhttp_new(base);
	/* Methods we take nowhere pass too, for a JSON 405 with Allow. */
	evhttp_set_allowed_methods(h->evh, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE);
	evhttp_set_max_headers_size(h->evh, HTTP_HEADERS_MAX);
	evhttp_set_timeout(h->evh, HTTP_TIMEOUT_SECS);
	h->conns = hconns_new(base, h->evh, http_screen, http_reply_refusal,
	    h);
	h->header_ms = HTTP_HEADER_MS;
	h->body_ms = HTTP_BODY_MS;
	http_set_body_limit(h, body_limit);
	evhttp_set_gencb(h->evh, http_request_cb, h);
	return (h);
}

struct http *
http_new(struct event_base *base, const struct api_ctx *ctx,
    const char *listen, size_t body_limit, char **cause)
{
	struct http			*h;
	struct evhttp_bound_socket	*bound;
	char				*host, *colon;
	long				 port;

	host = xstrdup(listen);
	if ((colon = strrchr(host, ':')) == NULL) {
		xasprintf(cause, "listen address \"%s\" needs a port", listen);
		free(host);
		return (NULL);
	}
	*colon = '\0';
	port = strtol(colon + 1, NULL, 10);
	if (port <= 0 || port > 65535) {
		xasprintf(cause, "bad port in \"%s\"", listen);
		free(host);
		return (NULL);
	}
	h = http_setup(base, ctx, body_limit);
	if (host[0] == '[' && colon[-1] == ']') {
		colon[-1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	bound = evhttp_bind_socket_with_handle(h->evh, host, (ev_uint16_t)port);
	if (bound == NULL) {
		xasprintf(cause, "cannot listen on %s", listen);
		free(host);
		http_free(h);
		return (NULL);
	}
	hconns_watch(h->conns, bound);
	free(host);
	return (h);
}

/*
 * The same on a socket the caller has made and set listening: a Unix
 * socket, as the fuzz harness (tests/fuzz/fuzz_http.c) uses.  The socket
 * is the listener's from now on.
 */
struct http *
http_new_fd(struct event_base *base, const struct api_ctx *ctx, int fd,
    size_t body_limit, char **cause)
{
	struct http			*h;
	struct evhttp_bound_socket	*bound;

	h = http_setup(base, ctx, body_limit);
	if ((bound = evhttp_accept_socket_with_handle(h->evh, fd)) == NULL) {
		xasprintf(cause, "cannot accept on socket %d", fd);
		http_free(h);
		return (NULL);
	}
	hconns_watch(h->conns, bound);
	return (h);
}

/* The connections' limits, from the body limit and the cap. */
static void
http_conn_limits(struct http *h)
{
	struct hconns_limits	lim;
	size_t			derived = hconns_default_max();

	lim.max_conns = h->max_conns != 0 ? h->max_conns : derived;
	lim.body_ceiling = http_body_ceiling(h->body_limit);
	lim.body_budget = HTTP_BODY_BUDGET > 2 * lim.body_ceiling ?
	    HTTP_BODY_BUDGET : 2 * lim.body_ceiling;
	lim.header_ms = h->header_ms;
	lim.body_ms = h->body_ms;
	hconns_set_limits(h->conns, &lim);
}

/*
 * libevent answers a body over its own limit with a bare HTML 413 that we
 * cannot shape, so its limit sits well above ours: a body just over the
 * site's limit gets our JSON 413, a flood is still cut off early.  (A
 * body that says its length is refused with the headers; this is for
 * chunked ones.)
 */
void
http_set_body_limit(struct http *h, size_t limit)
{
	h->body_limit = limit;
	evhttp_set_max_body_size(h->evh,
	    (ev_ssize_t)http_body_ceiling(limit));
	http_conn_limits(h);
}

/*
 * Open connections at most: max_conns, or with 0 the soft file descriptor
 * limit less a reserve; the total time for a request's headers and for
 * its body.  Returns the cap in force.
 */
size_t
http_set_conn_limits(struct http *h, size_t max_conns, int64_t header_ms,
    int64_t body_ms)
{
	h->max_conns = max_conns;
	h->header_ms = header_ms;
	h->body_ms = body_ms;
	http_conn_limits(h);
	return (hconns_stats(h->conns)->max_conns);
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	evhttp_free(h->evh);		/* closes connections: hconns hears */
	hconns_free(h->conns);
	free(h);
}
