/*
 * The HTTP listener (evhttp).  Requests pass the limits (header and body
 * size, time-outs), the route table and, for writes, the bearer token
 * check before a handler sees them.  Replies are JSON; errors carry the
 * SPEC §2 error object.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>

#include "api.h"
#include "daemon.h"
#include "record.h"
#include "http.h"
#include "log.h"
#include "rules.h"
#include "tocsin.h"
#include "xmalloc.h"

#define HTTP_HEADERS_MAX	(16 * 1024)
#define HTTP_TIMEOUT_SECS	30

struct http {
	struct evhttp		*evh;
	struct daemon		*daemon;
	size_t			 body_limit;
};

/*
 * The routes.  A pattern's "*" is one path segment, the incident key,
 * handed to the handler URL-decoded.  Writes need a token when any exist.
 */
static const struct http_route {
	enum evhttp_cmd_type	 method;
	const char		*pattern;
	int			 write;
	api_handler		 handler;
} http_routes[] = {
	{ EVHTTP_REQ_POST, "/v1/events", 1, api_events_post },
	/* The link's token is its credential: no bearer token. */
	{ EVHTTP_REQ_GET, "/ack/*", 0, api_ack_page },
	{ EVHTTP_REQ_POST, "/ack/*", 0, api_ack_confirm },
	{ EVHTTP_REQ_GET, "/v1/incidents", 0, api_incidents_list },
	{ EVHTTP_REQ_GET, "/v1/incidents/*", 0, api_incident_get },
	{ EVHTTP_REQ_POST, "/v1/incidents/*/ack", 1, api_incident_ack },
	{ EVHTTP_REQ_POST, "/v1/incidents/*/resolve", 1, api_incident_resolve },
	{ EVHTTP_REQ_GET, "/v1/notifications", 0, api_notifications_list },
	{ EVHTTP_REQ_GET, "/v1/compliance", 0, api_compliance },
	{ EVHTTP_REQ_GET, "/healthz", 0, api_healthz },
	{ EVHTTP_REQ_GET, "/metrics", 0, api_metrics },
};

void
http_reply_json(struct evhttp_request *req, int code, json_t *body)
{
	struct evbuffer	*buf = evbuffer_new();
	char		*text;

	/* NULL when json_pack refused a value: a bug, but not the client's
	 * to pay for by the daemon going away. */
	text = body != NULL ? json_dumps(body, JSON_COMPACT |
	    JSON_PRESERVE_ORDER) : NULL;
	json_decref(body);
	if (text == NULL) {
		log_warnx("http: cannot encode a reply; answering 500");
		code = 500;
		text = xstrdup("{\"error\":{\"code\":\"internal\",\"message\":"
		    "\"the reply could not be encoded\"}}");
	}
	evbuffer_add(buf, text, strlen(text));
	evbuffer_add(buf, "\n", 1);
	free(text);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json; charset=utf-8");
	evhttp_send_reply(req, code, NULL, buf);
	evbuffer_free(buf);
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
	    "style-src 'unsafe-inline'; form-action 'self'");
	evhttp_send_reply(req, code, NULL, buf);
	evbuffer_free(buf);
}

/*
 * Replace each byte that does not begin a valid UTF-8 sequence with '?'.
 * Error messages quote what the client sent (a path, a key, a header),
 * and a truncated message may end inside a character; JSON takes neither.
 */
static void
http_utf8_scrub(char *s)
{
	size_t		len = strlen(s), i = 0, n;
	unsigned char	c;

	while (i < len) {
		c = (unsigned char)s[i];
		n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		if (n <= len - i && record_valid_utf8(s + i, n))
			i += n;
		else
			s[i++] = '?';
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
	http_utf8_scrub(msg);
	http_reply_json(req, code, json_pack("{s:{s:s, s:s, s:s?}}", "error",
	    "code", ecode, "message", msg, "field",
	    field != NULL && *field != '\0' ? field : NULL));
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
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	const char	*ctype;
	size_t		 len = evbuffer_get_length(in);
	char		*data;
	json_t		*json;
	json_error_t	 jerr;

	ctype = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	if (ctype != NULL && strncasecmp(ctype, "application/json", 16) != 0) {
		*status = 415;
		record_error_set(err, "unsupported_media_type", "", "send "
		    "Content-Type: application/json, not %.64s", ctype);
		return (NULL);
	}
	if (len > limit) {
		*status = 413;
		record_error_set(err, "body_too_large", "", "the body is %zu "
		    "bytes; the limit is %zu", len, limit);
		return (NULL);
	}
	data = (char *)evbuffer_pullup(in, -1);
	if (len == 0 || data == NULL) {
		*status = 400;
		record_error_set(err, "invalid_json", "", "the body is empty");
		return (NULL);
	}
	if (!record_valid_utf8(data, len)) {
		*status = 400;
		record_error_set(err, "invalid_utf8", "",
		    "the body is not valid UTF-8");
		return (NULL);
	}
	json = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &jerr);
	if (json == NULL) {
		*status = 400;
		record_error_set(err, "invalid_json", "", "line %d column %d: %s",
		    jerr.line, jerr.column, jerr.text);
		return (NULL);
	}
	return (json);
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

/* Does path match pattern?  The "*" segment is copied, decoded, to key. */
static int
http_match(const char *pattern, const char *path, char **key)
{
	const char	*star = strchr(pattern, '*'), *end;
	size_t		 plen;
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
	*key = evhttp_uridecode(raw, 0, NULL);
	free(raw);
	if (*key == NULL || **key == '\0' || strlen(*key) > KEY_MAX) {
		free(*key);
		*key = NULL;
		return (0);
	}
	return (1);
}

/*
 * The token the request's "Authorization: Bearer T" names, compared in
 * constant time; NULL when there is none or it matches no token.
 */
const struct token_def *
http_token(struct evhttp_request *req, const struct rules *r)
{
	const struct token_def	*tok, *found = NULL;
	const char		*h;
	size_t			 i, n = rules_token_count(r), len;

	h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return (NULL);
	h += 7;
	len = strlen(h);
	for (i = 0; i < n; i++) {
		tok = rules_token(r, i);
		if (strlen(tok->secret) == len &&
		    CRYPTO_memcmp(tok->secret, h, len) == 0)
			found = tok;
	}
	return (found);
}

/* Writes need a valid token once the site declares any. */
static int
http_authorized(struct evhttp_request *req, const struct rules *r)
{
	return (rules_token_count(r) == 0 || http_token(req, r) != NULL);
}

static void
http_request_cb(struct evhttp_request *req, void *arg)
{
	struct http		*h = arg;
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = uri != NULL ? evhttp_uri_get_path(uri) :
				    NULL;
	enum evhttp_cmd_type	 method = evhttp_request_get_command(req);
	const struct http_route	*route = NULL;
	char			*key = NULL;
	int			 path_known = 0;
	size_t			 i;

	if (path == NULL || *path == '\0')
		path = "/";
	for (i = 0; i < nitems(http_routes) && route == NULL; i++) {
		if (!http_match(http_routes[i].pattern, path, &key))
			continue;
		path_known = 1;
		if (http_routes[i].method == method)
			route = &http_routes[i];
		else {
			free(key);
			key = NULL;
		}
	}
	if (route == NULL) {
		if (path_known)
			http_reply_error(req, 405, "method_not_allowed", NULL,
			    "%s does not take this method", path);
		else
			http_reply_error(req, 404, "not_found", NULL,
			    "no such resource: %.200s", path);
		return;
	}
	if (route->write && !http_authorized(req, daemon_rules(h->daemon))) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Bearer");
		http_reply_error(req, 401, "unauthorized", NULL,
		    "a valid bearer token is required");
		free(key);
		return;
	}
	route->handler(req, h->daemon, key);
	free(key);
}

/* The listener's settings and routes, before it has a socket. */
static struct http *
http_setup(struct event_base *base, struct daemon *d, size_t body_limit)
{
	struct http	*h;

	h = xcalloc(1, sizeof(*h));
	h->daemon = d;
	h->evh = evhttp_new(base);
	evhttp_set_allowed_methods(h->evh, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
	evhttp_set_max_headers_size(h->evh, HTTP_HEADERS_MAX);
	evhttp_set_timeout(h->evh, HTTP_TIMEOUT_SECS);
	http_set_body_limit(h, body_limit);
	evhttp_set_gencb(h->evh, http_request_cb, h);
	return (h);
}

struct http *
http_new(struct event_base *base, struct daemon *d, const char *listen,
    size_t body_limit, char **cause)
{
	struct http	*h;
	char		*host, *colon;
	long		 port;

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
	h = http_setup(base, d, body_limit);
	if (host[0] == '[' && colon[-1] == ']') {
		colon[-1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	if (evhttp_bind_socket(h->evh, host, (ev_uint16_t)port) != 0) {
		xasprintf(cause, "cannot listen on %s", listen);
		free(host);
		http_free(h);
		return (NULL);
	}
	free(host);
	return (h);
}

/*
 * The same on a socket the caller has made and set listening: a Unix
 * socket, as the fuzz harness (tests/fuzz/fuzz_http.c) uses.  The socket
 * is the listener's from now on.
 */
struct http *
http_new_fd(struct event_base *base, struct daemon *d, int fd,
    size_t body_limit, char **cause)
{
	struct http	*h;

	h = http_setup(base, d, body_limit);
	if (evhttp_accept_socket(h->evh, fd) != 0) {
		xasprintf(cause, "cannot accept on socket %d", fd);
		http_free(h);
		return (NULL);
	}
	return (h);
}

/*
 * libevent answers a body over its own limit with a bare HTML 413 that we
 * cannot shape, so its limit sits well above ours: a body just over the
 * site's limit gets our JSON 413, a flood is still cut off early.
 */
void
http_set_body_limit(struct http *h, size_t limit)
{
	size_t	ceiling = limit * 4 > limit + (1 << 20) ? limit * 4 :
		    limit + (1 << 20);

	h->body_limit = limit;
	evhttp_set_max_body_size(h->evh, (ev_ssize_t)ceiling);
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	evhttp_free(h->evh);
	free(h);
}
