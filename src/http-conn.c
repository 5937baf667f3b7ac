/*
 * The listener's connections (issue 14): evhttp accepts, and this file
 * keeps the count and the clock.
 *
 * - A cap below the file descriptor limit (hconns_default_max: the soft
 *   RLIMIT_NOFILE less a reserve for the database, curl, the spool and
 *   inotify).  A connection over the cap first evicts the oldest one still
 *   waiting for its headers, if that has waited HCONN_EVICT_MS: a flood of
 *   idle or dribbling connections cannot keep a real client out, which
 *   sends its request at once and is answered before its turn to go
 *   comes round (the flood only churns itself).  With
 *   nobody to evict, the newcomer is answered 503 and closed at once.
 *   With HCONN_OVERFLOW of those in hand the listener stops accepting
 *   until one is gone: the cap plus them stays below the fd limit, and
 *   the rest wait in the kernel's queue (HCONN_BACKLOG long).
 * - accept() out of descriptors (EMFILE, ENFILE) pauses the listener for
 *   HCONN_BACKOFF_MS instead of failing on every turn of the loop, and
 *   says so once per pause, not once per failure.
 * - Total time limits: the request line and headers must arrive within
 *   header_ms of the connection (or of the previous answer), the body
 *   within body_ms of the headers.  libevent's own time-out is an idle
 *   one, which a byte every few seconds resets for ever.
 * - The screen sees every request's headers before its body is read: a
 *   refused request (no token, another origin, a foreign Host) is
 *   answered without reading its body.  So is one whose body would take
 *   the bodies in flight over body_budget (503).
 *
 * libevent 2.1 has no public hook on a server request before its body
 * (2.2 has evhttp_set_newreqcb), only evhttp_request_set_header_cb on a
 * request in hand.  We reach the connection's request through the first
 * fields of struct evhttp_connection as 2.1.x lays them out
 * (http-internal.h, unchanged from 2.1.8 to 2.1.12), checked against the
 * bufferevent we made for it before anything is trusted; if they do not
 * match, the early screen, the deadlines and the 503 at the cap are off
 * (logged once) and requests are screened as they are handled, as before.
 */
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "clock.h"
#include "http-conn.h"
#include "log.h"
#include "xmalloc.h"

#define HCONN_FD_RESERVE	128	/* db, wal, shm, backups, curl, spool */
#define HCONN_BACKOFF_MS	250
#define HCONN_EVICT_MS		50	/* a request line takes less */
#define HCONN_OVERFLOW		32	/* over the cap, being answered 503 */
#define HCONN_BACKLOG		4096	/* the kernel caps it at somaxconn */
#define HCONN_TRIM_MARK		(16u << 20)	/* see hconn_release */

/* The first fields of libevent 2.1's struct evhttp_connection. */
struct hconn_evcon {
	TAILQ_ENTRY(evhttp_connection)	 next;
	evutil_socket_t			 fd;
	struct bufferevent		*bufev;
	struct event			 retry_ev;
	char				*bind_address;
	ev_uint16_t			 bind_port;
	char				*address;
	ev_uint16_t			 port;
	size_t				 max_headers_size;
	ev_uint64_t			 max_body_size;
	int				 flags;
	struct timeval			 timeout;
	int				 retry_cnt;
	int				 retry_max;
	struct timeval			 initial_retry_timeout;
	int				 state;
	struct evhttp			*http_server;
	TAILQ_HEAD(, evhttp_request)	 requests;
	void	(*cb)(struct evhttp_connection *, void *);
	void				*cb_arg;
	void	(*closecb)(struct evhttp_connection *, void *);
	void				*closecb_arg;
};

enum hconn_phase { HCONN_NEW, HCONN_HEADERS, HCONN_BODY, HCONN_HANDLING };

struct hconn {
	TAILQ_ENTRY(hconn)	 entry;		/* on waiting in HEADERS */
	struct hconns		*hc;
	struct bufferevent	*bev;
	struct evhttp_connection *evcon;	/* once set up */
	struct event		*setup_ev;
	struct event		*deadline_ev;
	enum hconn_phase	 phase;
	int64_t			 since;		/* the phase's start, ms */
	size_t			 reserved;	/* of the body budget */
	int			 admitted;	/* counts against the cap */
	struct hconn_refusal	 refusal;
};

struct hconns {
	struct event_base	*base;
	struct evhttp		*evh;
	hconns_screen_fn	 screen;
	hconns_refuse_fn	 refuse;
	void			*arg;
	struct hconns_limits	 lim;
	struct hconns_stats	 st;
	TAILQ_HEAD(, hconn)	 waiting;	/* in HEADERS, oldest first */
	struct evconnlistener	*lev;
	struct event		*backoff_ev;
	int			 backing_off;	/* the timer is armed */
	int			 pausing;	/* since the last accept */
	int			 listening;	/* the listener is enabled */
	uint64_t		 failures;	/* in this back-off */
	size_t			 admitted;	/* connections within the cap */
	int			 layout;	/* -1 not yet seen, 0 bad, 1 */
	size_t			 peak;		/* reserved, since the trim */
};

/*
 * accept()'s error callback is called with the evhttp's argument, not
 * ours: the one listening set is found here.  A daemon has one.
 */
static struct hconns	*hconns_listening;

static void	hconn_begin_headers(struct hconn *);

static int64_t
hconn_now_ms(void)
{
	return (clock_monotonic_us() / 1000);
}

/* The soft descriptor limit less the reserve; at least 16. */
size_t
hconns_default_max(void)
{
	struct rlimit	rl;
	rlim_t		soft, reserve;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return (1024 - HCONN_FD_RESERVE);
	soft = rl.rlim_cur == RLIM_INFINITY ? (1 << 20) : rl.rlim_cur;
	reserve = soft >= 2 * HCONN_FD_RESERVE ? HCONN_FD_RESERVE : soft / 2;
	return (soft - reserve > 16 ? (size_t)(soft - reserve) : 16);
}

static void
hconn_arm(struct hconn *c, enum hconn_phase phase, int64_t ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	if (c->phase == HCONN_HEADERS)
		TAILQ_REMOVE(&c->hc->waiting, c, entry);
	c->phase = phase;
	c->since = hconn_now_ms();
	if (phase == HCONN_HEADERS)
		TAILQ_INSERT_TAIL(&c->hc->waiting, c, entry);
	if (ms > 0)
		evtimer_add(c->deadline_ev, &tv);
	else
		evtimer_del(c->deadline_ev);
}

/*
 * Give the body's share back.  glibc keeps freed memory for the next
 * allocation; after a wave of bodies, hand it back to the system.
 */
static void
hconn_release(struct hconn *c)
{
	struct hconns	*hc = c->hc;

	hc->st.body_reserved -= c->reserved;
	c->reserved = 0;
	if (hc->st.body_reserved == 0 && hc->peak >= HCONN_TRIM_MARK) {
		hc->peak = 0;
		malloc_trim(0);
	}
}

/* Which of ours is this connection?  NULL if we never set it up. */
static struct hconn *
hconn_of(struct evhttp_connection *evcon)
{
	struct hconn_evcon	*ev = (struct hconn_evcon *)evcon;
	struct hconn		*c;

	if (evcon == NULL || hconns_listening == NULL ||
	    hconns_listening->layout != 1 || ev->closecb_arg == NULL)
		return (NULL);
	c = ev->closecb_arg;
	return (c->evcon == evcon ? c : NULL);
}

/* Accept while not backing off and below the cap and its overflow. */
static void
hconns_listen_update(struct hconns *hc)
{
	int	want = !hc->backing_off &&
		    hc->st.open < hc->lim.max_conns + HCONN_OVERFLOW;

	if (hc->lev == NULL || want == hc->listening)
		return;
	hc->listening = want;
	if (want)
		evconnlistener_enable(hc->lev);
	else
		evconnlistener_disable(hc->lev);
}

static void
hconn_closed_cb(struct evhttp_connection *evcon, void *arg)
{
	struct hconn	*c = arg;
	struct hconns	*hc = c->hc;

	if (c->phase == HCONN_HEADERS)
		TAILQ_REMOVE(&hc->waiting, c, entry);
	hconn_release(c);
	event_free(c->setup_ev);
	event_free(c->deadline_ev);
	hc->st.open--;
	if (c->admitted)
		hc->admitted--;
	evhttp_connection_set_closecb(evcon, NULL, NULL);
	free(c);
	hconns_listen_update(hc);
}

/* Over a total time limit: the connection is cut, no answer. */
static void
hconn_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hconn	*c = arg;

	c->hc->st.cut++;
	log_debug("http: connection cut phase=%s ms=%lld",
	    c->phase == HCONN_BODY ? "body" : "headers",
	    (long long)(hconn_now_ms() - c->since));
	evhttp_connection_free(c->evcon);
}

/* How much of the budget the body announced in the headers may take. */
static size_t
hconn_body_size(struct hconns *hc, struct evhttp_request *req)
{
	struct evkeyvalq	*h = evhttp_request_get_input_headers(req);
	const char		*v;
	unsigned long long	 n;
	char			*end;

	if ((v = evhttp_find_header(h, "Transfer-Encoding")) != NULL)
		return (hc->lim.body_ceiling);
	if ((v = evhttp_find_header(h, "Content-Length")) == NULL)
		return (0);
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0 || end == v || n > hc->lim.body_ceiling)
		return (0);		/* libevent refuses it unread */
	return ((size_t)n);
}

/* A refused request has no body to read: it is answered at once. */
static void
hconn_strip_body(struct evhttp_request *req)
{
	struct evkeyvalq	*h = evhttp_request_get_input_headers(req);

	while (evhttp_remove_header(h, "Content-Length") == 0)
		;
	while (evhttp_remove_header(h, "Transfer-Encoding") == 0)
		;
}

static void
hconn_complete_cb(struct evhttp_request *req, void *arg)
{
	struct hconn	*c = arg;

	hconn_release(c);
	hconn_arm(c, HCONN_HANDLING, 0);
	/* The next request on the connection exists once this returns. */
	event_active(c->setup_ev, EV_TIMEOUT, 1);
}

static int
hconn_headers_cb(struct evhttp_request *req, void *arg)
{
	struct hconn	*c = hconn_of(evhttp_request_get_connection(req));
	struct hconns	*hc;
	size_t		 n;

	if (c == NULL)
		return (0);
	hc = c->hc;
	hconn_arm(c, HCONN_BODY, hc->lim.body_ms);
	memset(&c->refusal, 0, sizeof(c->refusal));
	hc->screen(req, &c->refusal, hc->arg);
	if (c->refusal.status == 0 && (n = hconn_body_size(hc, req)) > 0) {
		if (hc->st.body_reserved + n > hc->lim.body_budget) {
			hc->st.busy++;
			c->refusal.status = 503;
			c->refusal.code = "busy";
			snprintf(c->refusal.message, sizeof(c->refusal.message),
			    "too many request bodies in flight; retry");
		} else {
			c->reserved = n;
			hc->st.body_reserved += n;
			if (hc->st.body_reserved > hc->peak)
				hc->peak = hc->st.body_reserved;
		}
	}
	if (c->refusal.status != 0)
		hconn_strip_body(req);
	return (0);
}

/* Is ev the connection libevent made around bev, as we read it? */
static int
hconn_layout_ok(struct hconns *hc, struct evhttp_connection *evcon,
    struct bufferevent *bev)
{
	struct hconn_evcon	*ev = (struct hconn_evcon *)evcon;
	struct evhttp_request	*req;

	if (hc->layout == -1) {
		req = ev->bufev == bev ? TAILQ_FIRST(&ev->requests) : NULL;
		hc->layout = ev->fd == bufferevent_getfd(bev) && req != NULL &&
		    req->evcon == evcon && ev->http_server == hc->evh;
		if (!hc->layout)
			log_warnx("http: this libevent (%s) is not laid out as "
			    "2.1 is: no time limits, no early token check",
			    event_get_version());
	}
	return (hc->layout);
}

/* Full: the oldest connection still waiting for its headers goes. */
static int
hconn_evict(struct hconns *hc)
{
	struct hconn	*old = TAILQ_FIRST(&hc->waiting);

	if (old == NULL || hconn_now_ms() - old->since < HCONN_EVICT_MS)
		return (0);
	hc->st.evicted++;
	evhttp_connection_free(old->evcon);
	return (1);
}

static void
hconn_refuse_full(struct hconn *c)
{
	struct hconn_evcon	*ev = (struct hconn_evcon *)c->evcon;
	struct evhttp_request	*req = TAILQ_FIRST(&ev->requests);
	struct hconn_refusal	 r = { 503, "busy", "" };

	c->hc->st.refused++;
	c->phase = HCONN_HANDLING;
	if (req == NULL || req->evcon != c->evcon) {
		evhttp_connection_free(c->evcon);
		return;
	}
	/* Answered before the request line: speak 1.1 and close. */
	req->major = 1;
	req->minor = 1;
	snprintf(r.message, sizeof(r.message), "too many connections "
	    "(%zu); retry", c->hc->lim.max_conns);
	c->hc->refuse(req, &r);
}

/*
 * After accept (and after each answer on a kept-alive connection): learn
 * the connection, and screen the next request's headers.
 */
static void
hconn_setup_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hconn		*c = arg;
	struct hconns		*hc = c->hc;
	void			*cbarg = NULL;

	if (c->evcon == NULL) {
		bufferevent_getcb(c->bev, NULL, NULL, NULL, &cbarg);
		bufferevent_decref(c->bev);	/* the connection holds it */
		if (cbarg == NULL) {
			/* evhttp failed to set the connection up, and freed it. */
			event_free(c->setup_ev);
			event_free(c->deadline_ev);
			hc->st.open--;
			free(c);
			hconns_listen_update(hc);
			return;
		}
		c->evcon = cbarg;
		evhttp_connection_set_closecb(c->evcon, hconn_closed_cb, c);
		if (!hconn_layout_ok(hc, c->evcon, c->bev))
			return;
		/*
		 * Counted as they are set up, in the order they came: a burst
		 * accepted in one go is not all over the cap.
		 */
		if (hc->admitted >= hc->lim.max_conns && !hconn_evict(hc)) {
			hconn_refuse_full(c);
			return;
		}
		c->admitted = 1;
		hc->admitted++;
	}
	hconn_begin_headers(c);
}

static void
hconn_begin_headers(struct hconn *c)
{
	struct hconn_evcon	*ev = (struct hconn_evcon *)c->evcon;
	struct evhttp_request	*req = TAILQ_FIRST(&ev->requests);

	if (req == NULL || req->evcon != c->evcon)
		return;
	hconn_arm(c, HCONN_HEADERS, c->hc->lim.header_ms);
	evhttp_request_set_header_cb(req, hconn_headers_cb);
	evhttp_request_set_on_complete_cb(req, hconn_complete_cb, c);
}

/* evhttp asks us for each new connection's bufferevent. */
static struct bufferevent *
hconns_bevcb(struct event_base *base, void *arg)
{
	struct hconns	*hc = arg;
	struct hconn	*c;

	if (hc->pausing) {
		log_info("http: accepting again after failures=%llu",
		    (unsigned long long)hc->failures);
		hc->pausing = 0;
		hc->failures = 0;
	}
	c = xcalloc(1, sizeof(*c));
	/* What evhttp would make itself: it closes the socket. */
	if ((c->bev = bufferevent_socket_new(base, -1, 0)) == NULL) {
		free(c);
		return (NULL);
	}
	/*
	 * Our own reference until the setup callback: if evhttp fails to set
	 * the connection up, it frees the bufferevent (its callbacks are
	 * cleared) before that callback runs, and we must not touch freed
	 * memory to find out.
	 */
	bufferevent_incref(c->bev);
	c->hc = hc;
	c->phase = HCONN_NEW;
	hc->st.open++;
	c->deadline_ev = evtimer_new(base, hconn_deadline_cb, c);
	c->setup_ev = event_new(base, -1, 0, hconn_setup_cb, c);
	event_priority_set(c->setup_ev, 0);
	event_active(c->setup_ev, EV_TIMEOUT, 1);
	hconns_listen_update(hc);
	return (c->bev);
}

static void
hconns_backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hconns	*hc = arg;

	hc->backing_off = 0;
	hconns_listen_update(hc);
}

/*
 * accept() failed for a reason other than a connection gone before we
 * took it: out of descriptors, most likely.  Pause rather than spin.
 */
static void
hconns_accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct hconns	*hc = hconns_listening;
	int		 err = EVUTIL_SOCKET_ERROR();
	struct timeval	 tv = { 0, HCONN_BACKOFF_MS * 1000 };

	evconnlistener_disable(lev);
	if (hc == NULL)
		return;
	hc->failures++;
	hc->listening = 0;
	if (!hc->pausing) {
		hc->pausing = 1;
		hc->st.backoffs++;
		log_warnx("http: cannot accept error=\"%s\" open=%zu; pausing "
		    "new connections, retrying every %d ms", strerror(err),
		    hc->st.open, HCONN_BACKOFF_MS);
	}
	hc->backing_off = 1;
	evtimer_add(hc->backoff_ev, &tv);
}

struct hconns *
hconns_new(struct event_base *base, struct evhttp *evh,
    hconns_screen_fn screen, hconns_refuse_fn refuse, void *arg)
{
	struct hconns	*hc = xcalloc(1, sizeof(*hc));

	hc->base = base;
	hc->evh = evh;
	hc->screen = screen;
	hc->refuse = refuse;
	hc->arg = arg;
	hc->layout = -1;
	TAILQ_INIT(&hc->waiting);
	hc->backoff_ev = evtimer_new(base, hconns_backoff_cb, hc);
	evhttp_set_bevcb(evh, hconns_bevcb, hc);
	hconns_listening = hc;
	return (hc);
}

/*
 * Watch the listener; a longer queue than evhttp's 128 keeps a burst of
 * connections (or one past the cap) from having its SYN dropped and
 * retried a second later.
 */
void
hconns_watch(struct hconns *hc, struct evhttp_bound_socket *bound)
{
	hc->lev = evhttp_bound_socket_get_listener(bound);
	hc->listening = 1;
	evconnlistener_set_error_cb(hc->lev, hconns_accept_error_cb);
	(void)listen(evhttp_bound_socket_get_fd(bound), HCONN_BACKLOG);
}

void
hconns_set_limits(struct hconns *hc, const struct hconns_limits *lim)
{
	hc->lim = *lim;
	hc->st.max_conns = lim->max_conns;
	hc->st.body_budget = lim->body_budget;
	hconns_listen_update(hc);
}

/*
 * A request reaches its handler: its time limits end here (the handler
 * may wait for a commit).  Returns 1 with *r set if the headers were
 * refused, and the body left unread.
 */
int
hconns_request(struct hconns *hc, struct evhttp_request *req,
    struct hconn_refusal *r)
{
	struct hconn	*c = hconn_of(evhttp_request_get_connection(req));

	if (c == NULL)
		return (0);
	hconn_arm(c, HCONN_HANDLING, 0);
	if (c->refusal.status == 0)
		return (0);
	*r = c->refusal;
	memset(&c->refusal, 0, sizeof(c->refusal));
	return (1);
}

const struct hconns_stats *
hconns_stats(const struct hconns *hc)
{
	return (&hc->st);
}

/* Before evhttp_free, which closes the connections (and calls us). */
void
hconns_free(struct hconns *hc)
{
	if (hc == NULL)
		return;
	event_free(hc->backoff_ev);
	if (hconns_listening == hc)
		hconns_listening = NULL;
	free(hc);
}
