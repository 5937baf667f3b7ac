/*
 * libcurl multi <-> libevent.  curl tells us which sockets to watch
 * (httpc_socket_cb) and when to call it back (httpc_timer_cb); we turn
 * those into libevent events and feed readiness back with
 * curl_multi_socket_action, then collect finished transfers.
 *
 * Ownership: a struct httpc_transfer owns its easy handle, header list,
 * body copy and response buffer, and is freed after its callback runs;
 * its easy handle, reset, waits in httpc's idle list for the next one.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "httpc.h"
#include "log.h"
#include "tocsin.h"
#include "xmalloc.h"

#define HTTPC_RESPONSE_MAX	(64 * 1024)
#define HTTPC_CONNECTIONS_MAX	64	/* the outbox's transfers in flight */

struct httpc_transfer;

struct httpc {
	struct event_base	*base;
	CURLM			*multi;
	struct event		*timer;
	int			 running;
	TAILQ_HEAD(, httpc_transfer) transfers;
	CURL			*idle[HTTPC_CONNECTIONS_MAX];
	size_t			 nidle;
};

struct httpc_socket {
	struct httpc	*h;
	curl_socket_t	 fd;
	struct event	*ev;
};

struct httpc_transfer {
	struct httpc		*h;
	CURL			*easy;
	struct curl_slist	*headers;
	char			*body;
	char			*resp;
	size_t			 resp_len;
	long			 retry_after;
	char			 error[CURL_ERROR_SIZE];
	httpc_cb		 cb;
	void			*arg;
	TAILQ_ENTRY(httpc_transfer) entry;
};

/*
 * An easy handle: one a finished transfer left, or a new one.  Making one
 * (curl_easy_init, and curl_easy_cleanup after) cost about a tenth of
 * delivering a webhook; one that curl_easy_reset() has put back to its
 * defaults is the same to every option we set, and holds no cookies, as
 * none are turned on.
 */
static CURL *
httpc_easy_get(struct httpc *h)
{
	CURL	*easy;

	if (h->nidle > 0)
		return (h->idle[--h->nidle]);
	if ((easy = curl_easy_init()) == NULL)
		fatalx("httpc: curl_easy_init failed");
	return (easy);
}

static void
httpc_easy_put(struct httpc *h, CURL *easy)
{
	if (h->nidle == nitems(h->idle)) {
		curl_easy_cleanup(easy);
		return;
	}
	curl_easy_reset(easy);
	h->idle[h->nidle++] = easy;
}

/* Detach t, tell its owner how it ended, free it. */
static void
httpc_transfer_end(struct httpc *h, struct httpc_transfer *t,
    const struct httpc_response *r)
{
	curl_multi_remove_handle(h->multi, t->easy);
	TAILQ_REMOVE(&h->transfers, t, entry);
	t->cb(r, t->arg);
	httpc_easy_put(h, t->easy);
	curl_slist_free_all(t->headers);
	free(t->body);
	free(t->resp);
	free(t);
}

static void
httpc_check_multi(struct httpc *h)
{
	CURLMsg			*msg;
	int			 left;
	struct httpc_transfer	*t;
	struct httpc_response	 r;
	CURL			*easy;

	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		easy = msg->easy_handle;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
		memset(&r, 0, sizeof(r));
		r.retry_after = t->retry_after;
		if (msg->data.result == CURLE_OK)
			curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE,
			    &r.status);
		else
			r.error = t->error[0] != '\0' ? t->error :
			    curl_easy_strerror(msg->data.result);
		r.body = t->resp != NULL ? t->resp : "";
		r.len = t->resp_len;
		httpc_transfer_end(h, t, &r);
	}
}

static void
httpc_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct httpc	*h = arg;
	int		 action = 0;
	CURLMcode	 rc;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	rc = curl_multi_socket_action(h->multi, fd, action, &h->running);
	if (rc != CURLM_OK)
		log_warnx("httpc: socket_action failed error=%s",
		    curl_multi_strerror(rc));
	httpc_check_multi(h);
	if (h->running <= 0 && evtimer_pending(h->timer, NULL))
		evtimer_del(h->timer);
}

static void
httpc_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct httpc	*h = arg;
	CURLMcode	 rc;

	rc = curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0,
	    &h->running);
	if (rc != CURLM_OK)
		log_warnx("httpc: socket_action failed error=%s",
		    curl_multi_strerror(rc));
	httpc_check_multi(h);
}

static int
httpc_timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
	struct httpc	*h = arg;
	struct timeval	 tv;

	if (timeout_ms < 0) {
		evtimer_del(h->timer);
		return (0);
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(h->timer, &tv);
	return (0);
}

static int
httpc_socket_cb(CURL *easy, curl_socket_t fd, int what, void *arg,
    void *sockp)
{
	struct httpc		*h = arg;
	struct httpc_socket	*s = sockp;
	short			 kind;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			event_free(s->ev);
			free(s);
			curl_multi_assign(h->multi, fd, NULL);
		}
		return (0);
	}
	kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
	    ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->h = h;
		s->fd = fd;
		curl_multi_assign(h->multi, fd, s);
	} else
		event_free(s->ev);
	s->ev = event_new(h->base, fd, kind, httpc_event_cb, h);
	event_priority_set(s->ev, EVENT_PRIORITY_DELIVERY);
	event_add(s->ev, NULL);
	return (0);
}

static size_t
httpc_write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct httpc_transfer	*t = arg;
	size_t			 len = size * n, keep;

	keep = t->resp_len + len > HTTPC_RESPONSE_MAX ?
	    HTTPC_RESPONSE_MAX - t->resp_len : len;
	if (keep > 0) {
		t->resp = realloc(t->resp, t->resp_len + keep + 1);
		if (t->resp == NULL)
			fatal("httpc: response buffer");
		memcpy(t->resp + t->resp_len, data, keep);
		t->resp_len += keep;
		t->resp[t->resp_len] = '\0';
	}
	return (len);
}

static size_t
httpc_header_cb(char *data, size_t size, size_t n, void *arg)
{
	struct httpc_transfer	*t = arg;
	size_t			 len = size * n;

	if (len > 12 && strncasecmp(data, "retry-after:", 12) == 0)
		t->retry_after = strtol(data + 12, NULL, 10);
	return (len);
}

struct httpc *
httpc_new(struct event_base *base)
{
	struct httpc	*h;

	h = xcalloc(1, sizeof(*h));
	h->base = base;
	if ((h->multi = curl_multi_init()) == NULL)
		fatalx("httpc: curl_multi_init failed");
	h->timer = evtimer_new(base, httpc_timeout_cb, h);
	event_priority_set(h->timer, EVENT_PRIORITY_DELIVERY);
	TAILQ_INIT(&h->transfers);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, httpc_socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, httpc_timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)HTTPC_CONNECTIONS_MAX);
	/*
	 * Keep that many idle connections too.  By default curl keeps four
	 * per easy handle in the multi; ours come and go with each transfer,
	 * so the cache shrank and connections were closed and opened again.
	 */
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS,
	    (long)HTTPC_CONNECTIONS_MAX);
	return (h);
}

void
httpc_free(struct httpc *h)
{
	struct httpc_transfer	*t;
	struct httpc_response	 r;

	if (h == NULL)
		return;
	/* Transfers still under way end now; their owners hear so. */
	memset(&r, 0, sizeof(r));
	r.error = "shutting down";
	r.body = "";
	r.retry_after = -1;
	while ((t = TAILQ_FIRST(&h->transfers)) != NULL)
		httpc_transfer_end(h, t, &r);
	while (h->nidle > 0)
		curl_easy_cleanup(h->idle[--h->nidle]);
	curl_multi_cleanup(h->multi);
	event_free(h->timer);
	free(h);
}

/* POST body to url; headers is taken.  The callback runs exactly once. */
int
httpc_post(struct httpc *h, const char *url, struct curl_slist *headers,
    const char *body, size_t len, long timeout_ms, httpc_cb cb, void *arg)
{
	return (httpc_request(h, "POST", url, headers, body, len, timeout_ms,
	    cb, arg));
}

/*
 * The same with another method (NULL is POST): GET sends no body, any
 * other method sends it the way POST does.
 */
int
httpc_request(struct httpc *h, const char *method, const char *url,
    struct curl_slist *headers, const char *body, size_t len,
    long timeout_ms, httpc_cb cb, void *arg)
{
	struct httpc_transfer	*t;
	CURLMcode		 rc;

	t = xcalloc(1, sizeof(*t));
	t->h = h;
	t->cb = cb;
	t->arg = arg;
	/*
	 * No "Expect: 100-continue": curl adds it to large bodies (over 1 MiB
	 * in 7.88, over 1 KiB in older releases) and then waits for a 100
	 * Continue, a round trip more per request, or a whole second against
	 * a gateway that never sends one.
	 */
	if ((t->headers = curl_slist_append(headers, "Expect:")) == NULL)
		fatalx("httpc: curl_slist_append failed");
	t->retry_after = -1;
	t->body = xmalloc(len + 1);
	memcpy(t->body, body, len);
	t->body[len] = '\0';
	t->easy = httpc_easy_get(h);
	curl_easy_setopt(t->easy, CURLOPT_URL, url);
	if (method != NULL && strcmp(method, "GET") == 0)
		curl_easy_setopt(t->easy, CURLOPT_HTTPGET, 1L);
	else {
		curl_easy_setopt(t->easy, CURLOPT_POST, 1L);
		curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, t->body);
		curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE, (long)len);
		if (method != NULL && strcmp(method, "POST") != 0)
			curl_easy_setopt(t->easy, CURLOPT_CUSTOMREQUEST,
			    method);
	}
	curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, httpc_write_cb);
	curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_HEADERFUNCTION, httpc_header_cb);
	curl_easy_setopt(t->easy, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, t->error);
	curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
	curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(t->easy, CURLOPT_USERAGENT, "tocsin");
	if ((rc = curl_multi_add_handle(h->multi, t->easy)) != CURLM_OK) {
		log_warnx("httpc: add_handle failed error=%s",
		    curl_multi_strerror(rc));
		httpc_easy_put(h, t->easy);
		curl_slist_free_all(t->headers);
		free(t->body);
		free(t);
		return (-1);
	}
	TAILQ_INSERT_TAIL(&h->transfers, t, entry);
	return (0);
}
