/*
 * The ceiling for bench_ingest.py: what this machine allows a server that
 * does only tocsin's I/O at the edges, and none of its work in between.
 *
 *	ceiling [-w sink-url] port
 *
 * It answers POST /v1/events the way tocsind's front door does, on the
 * same libevent evhttp: it reads the body, parses it with jansson, checks
 * that it is an object with a plain string "id", and answers 202 with a small
 * JSON body.  With -w it also sends one webhook per event to the sink,
 * through tocsin's own curl-multi client (src/httpc.c), at most 64 in
 * flight as tocsin's outbox does, with a webhook-id header so the sink
 * counts each once.  It stores nothing, runs no rules and signs nothing:
 * no durable server of the same shape can be faster on the same machine.
 * GET /healthz answers 200 for the bench's readiness check.  SIGTERM or
 * SIGINT stops it once the webhooks already queued are sent; it exits 0.
 */
#include <sys/queue.h>

#include <err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "httpc.h"
#include "xmalloc.h"

#define CEILING_IN_FLIGHT_MAX	64
#define CEILING_TIMEOUT_MS	10000

struct hook {
	TAILQ_ENTRY(hook)	 entry;
	char			*id;
	char			*body;
	size_t			 len;
};
TAILQ_HEAD(hooks, hook);

struct ceiling {
	struct event_base	*base;
	struct evhttp		*http;
	struct httpc		*client;	/* NULL without -w */
	const char		*sink_url;
	struct hooks		 queue;
	int			 in_flight;
	int			 stopping;
};

static void	ceiling_send(struct ceiling *);

static void
ceiling_hook_free(struct hook *k)
{
	free(k->id);
	free(k->body);
	free(k);
}

static void
ceiling_maybe_exit(struct ceiling *c)
{
	if (c->stopping && c->in_flight == 0 && TAILQ_EMPTY(&c->queue))
		event_base_loopbreak(c->base);
}

static void
ceiling_sent(const struct httpc_response *r, void *arg)
{
	struct ceiling	*c = arg;

	if (r->status < 200 || r->status > 299)
		warnx("webhook: status %ld %s", r->status,
		    r->error != NULL ? r->error : "");
	c->in_flight--;
	ceiling_send(c);
	ceiling_maybe_exit(c);
}

/* Start queued webhooks while fewer than the maximum are in flight. */
static void
ceiling_send(struct ceiling *c)
{
	struct curl_slist	*headers;
	struct hook		*k;
	char			 line[160];

	while (c->in_flight < CEILING_IN_FLIGHT_MAX &&
	    (k = TAILQ_FIRST(&c->queue)) != NULL) {
		TAILQ_REMOVE(&c->queue, k, entry);
		headers = curl_slist_append(NULL,
		    "Content-Type: application/json");
		snprintf(line, sizeof(line), "webhook-id: %s", k->id);
		headers = curl_slist_append(headers, line);
		if (httpc_post(c->client, c->sink_url, headers, k->body, k->len,
		    CEILING_TIMEOUT_MS, ceiling_sent, c) != 0)
			errx(1, "httpc_post failed");
		c->in_flight++;
		ceiling_hook_free(k);
	}
}

static void
ceiling_reply(struct evhttp_request *req, int code, const char *json)
{
	struct evbuffer	*out = evhttp_request_get_output_buffer(req);

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evbuffer_add(out, json, strlen(json));
	evhttp_send_reply(req, code, NULL, NULL);	/* the standard phrase */
}

/* Queue the webhook tocsin would send for a new incident. */
static void
ceiling_queue(struct ceiling *c, json_t *ev, const char *id)
{
	struct hook	*k;
	json_t		*note;

	note = json_pack("{s:s, s:s, s:O?, s:O?, s:O?}", "kind",
	    "incident.opened", "event", id, "incident", json_object_get(ev,
	    "incident"), "unit", json_object_get(ev, "unit"), "title",
	    json_object_get(ev, "title"));
	k = xcalloc(1, sizeof(*k));
	k->id = xstrdup(id);
	k->body = json_dumps(note, JSON_COMPACT);
	k->len = strlen(k->body);
	json_decref(note);
	TAILQ_INSERT_TAIL(&c->queue, k, entry);
	ceiling_send(c);
}

static void
ceiling_request(struct evhttp_request *req, void *arg)
{
	struct ceiling	*c = arg;
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	const char	*path = evhttp_request_get_uri(req);
	json_error_t	 jerr;
	json_t		*ev, *id;
	char		 reply[256];
	size_t		 len;

	if (evhttp_request_get_command(req) == EVHTTP_REQ_GET &&
	    strcmp(path, "/healthz") == 0) {
		ceiling_reply(req, 200, "{\"status\":\"ok\"}");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST ||
	    strcmp(path, "/v1/events") != 0) {
		evhttp_send_error(req, 404, NULL);
		return;
	}
	len = evbuffer_get_length(in);
	ev = json_loadb((const char *)evbuffer_pullup(in, -1), len, 0, &jerr);
	id = json_object_get(ev, "id");
	/* Ids the reply can carry without escaping, as the bench sends. */
	if (!json_is_object(ev) || !json_is_string(id) ||
	    json_string_length(id) > 200 || strspn(json_string_value(id),
	    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "._:-") != json_string_length(id)) {
		json_decref(ev);
		ceiling_reply(req, 400, "{\"error\":\"bad_event\"}");
		return;
	}
	if (c->client != NULL)
		ceiling_queue(c, ev, json_string_value(id));
	snprintf(reply, sizeof(reply), "{\"accepted\":1,\"id\":\"%s\"}",
	    json_string_value(id));
	json_decref(ev);
	ceiling_reply(req, 202, reply);
}

static void
ceiling_signal(evutil_socket_t sig, short what, void *arg)
{
	struct ceiling	*c = arg;

	(void)sig;
	(void)what;
	c->stopping = 1;
	ceiling_maybe_exit(c);
}

int
main(int argc, char *argv[])
{
	struct ceiling	 c;
	struct event	*term, *intr;
	int		 ch, port;

	memset(&c, 0, sizeof(c));
	TAILQ_INIT(&c.queue);
	while ((ch = getopt(argc, argv, "w:")) != -1) {
		switch (ch) {
		case 'w':
			c.sink_url = optarg;
			break;
		default:
			fprintf(stderr, "usage: ceiling [-w sink-url] port\n");
			return (2);
		}
	}
	if (optind + 1 != argc || (port = atoi(argv[optind])) <= 0) {
		fprintf(stderr, "usage: ceiling [-w sink-url] port\n");
		return (2);
	}
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		errx(1, "curl_global_init failed");
	if ((c.base = event_base_new()) == NULL)
		errx(1, "event_base_new failed");
	if (c.sink_url != NULL)
		c.client = httpc_new(c.base);
	c.http = evhttp_new(c.base);
	evhttp_set_gencb(c.http, ceiling_request, &c);
	if (evhttp_bind_socket(c.http, "127.0.0.1", (ev_uint16_t)port) != 0)
		errx(1, "cannot listen on 127.0.0.1:%d", port);
	term = evsignal_new(c.base, SIGTERM, ceiling_signal, &c);
	intr = evsignal_new(c.base, SIGINT, ceiling_signal, &c);
	event_add(term, NULL);
	event_add(intr, NULL);
	event_base_dispatch(c.base);
	event_free(term);
	event_free(intr);
	evhttp_free(c.http);
	if (c.client != NULL)
		httpc_free(c.client);
	event_base_free(c.base);
	curl_global_cleanup();
	return (0);
}
