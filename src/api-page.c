/*
 * Pages of the list resources (/v1/incidents, /v1/notifications,
 * /v1/compliance).  A list is read in the order of a key the store has
 * indexed, and a page starts after the last row of the page before it
 * (keyset paging): rows added meanwhile land before the cursor or after
 * it, never shift a page.  A page is bounded three ways so that one
 * answer holds the loop for a few milliseconds whatever the table holds
 * and whatever the filter keeps: at most `limit` rows, at most
 * API_PAGE_SCAN rows read (the store says of each row whether the
 * filters keep it, so the scan can stop at a row it does not show and
 * resume there), at most API_PAGE_BYTES of text.  A page may therefore
 * be short, or empty, and still have a `next`; a client reads until
 * `next` is null.
 *
 * Pages are made one a loop turn: a list request waits in a queue, and a
 * zero timer makes the first page in it, then re-arms itself; the loop
 * polls between two pages, so /healthz, ingest and the timers wait for
 * one page at most, not for every puller's (OpenSMTPD's offline scan).
 *
 * The cursor is opaque to clients: the hex digits of a small JSON array,
 * [kind, ...] where kind names the list, so one list's cursor is refused
 * by another (400).
 *
 * A read scoped to a token's units (api-scope.c) must not be shaped by
 * the rows it hides: a page that stopped at its reading bound on a hidden
 * row would carry that row's place (a ledger row's due time) in its
 * cursor, and a short page with a next would say that hidden rows follow.
 * Such a page reads on instead, API_PAGE_SCAN rows a loop turn, queued
 * behind the other pages, until it is full and a row it shows follows, or
 * the list ends; its cursor is always a row it shows.  A client gone
 * meanwhile or a reload of the site (which may take the token away) ends
 * it.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <sys/queue.h>

#include "api.h"
#include "http.h"
#include "jsonw.h"
#include "log.h"
#include "metrics.h"
#include "xmalloc.h"

#define API_CURSOR_MAX	1024		/* hex digits */

struct api_page_job {
	TAILQ_ENTRY(api_page_job)	 entry;
	struct evhttp_request		*req;
	const struct api_ctx			*ctx;
	api_handler			 handler;
	struct api_pager		*carry;		/* a scoped page read on */
	char				*resume;	/* its cursor, hex */
};

/*
 * One queue for the process, as there is one loop: the timer is made on
 * the first list request's event base and lives as long as the process.
 */
static TAILQ_HEAD(, api_page_job) api_page_jobs =
    TAILQ_HEAD_INITIALIZER(api_page_jobs);
static struct event		*api_page_ev;
static const struct timeval	 api_page_now = { 0, 0 };
static struct api_page_job	*api_page_running;	/* in its handler */

static void	api_pager_free(struct api_pager *);

static void
api_page_run_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api_page_job	*job = TAILQ_FIRST(&api_page_jobs);

	if (job == NULL)
		return;
	TAILQ_REMOVE(&api_page_jobs, job, entry);
	/* A client gone meanwhile: libevent kept the request for the reply. */
	api_page_running = job;
	job->handler(job->req, job->ctx, NULL);
	api_page_running = NULL;
	if (job->carry != NULL)		/* the handler answered before paging */
		api_pager_free(job->carry);
	free(job->resume);
	free(job);
	if (!TAILQ_EMPTY(&api_page_jobs))
		evtimer_add(api_page_ev, &api_page_now);
}

/* Queue a job; 0, or -1 when the request has no connection left. */
static int
api_page_queue(struct evhttp_request *req, const struct api_ctx *ctx,
    api_handler fn, struct api_pager *carry, char *resume)
{
	struct evhttp_connection	*evcon = evhttp_request_get_connection(req);
	struct api_page_job		*job;

	if (evcon == NULL)
		return (-1);
	if (api_page_ev == NULL)
		api_page_ev = evtimer_new(evhttp_connection_get_base(evcon),
		    api_page_run_cb, NULL);
	job = xcalloc(1, sizeof(*job));
	job->req = req;
	job->ctx = ctx;
	job->handler = fn;
	job->carry = carry;
	job->resume = resume;
	TAILQ_INSERT_TAIL(&api_page_jobs, job, entry);
	if (!evtimer_pending(api_page_ev, NULL))
		evtimer_add(api_page_ev, &api_page_now);
	return (0);
}

/* Answer req with fn at a later loop turn, after the pages queued before. */
void
api_page_defer(struct evhttp_request *req, const struct api_ctx *ctx,
    api_handler fn)
{
	if (api_page_queue(req, ctx, fn, NULL, NULL) != 0)
		fn(req, ctx, NULL);
}

static char *
api_page_hex(const char *s)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i, n = strlen(s);
	char			*h = xmalloc(2 * n + 1);

	for (i = 0; i < n; i++) {
		h[2 * i] = digits[(unsigned char)s[i] >> 4];
		h[2 * i + 1] = digits[(unsigned char)s[i] & 0xf];
	}
	h[2 * n] = '\0';
	return (h);
}

static int
api_page_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/* The cursor's array if it is one of this list's, else NULL. */
static json_t *
api_page_cursor_decode(const char *hex, const char *kind)
{
	size_t	 i, n = strlen(hex);
	char	*text;
	int	 hi, lo;
	json_t	*a;

	if (n == 0 || n % 2 != 0 || n > API_CURSOR_MAX)
		return (NULL);
	text = xmalloc(n / 2 + 1);
	for (i = 0; i < n / 2; i++) {
		if ((hi = api_page_nibble(hex[2 * i])) < 0 ||
		    (lo = api_page_nibble(hex[2 * i + 1])) < 0) {
			free(text);
			return (NULL);
		}
		text[i] = (char)(hi << 4 | lo);
	}
	text[n / 2] = '\0';
	a = json_loadb(text, n / 2, JSON_REJECT_DUPLICATES, NULL);
	free(text);
	if (!json_is_array(a) || json_array_size(a) < 2 ||
	    !json_is_string(json_array_get(a, 0)) ||
	    strcmp(json_string_value(json_array_get(a, 0)), kind) != 0) {
		json_decref(a);
		return (NULL);
	}
	return (a);
}

/* Is s a decimal number, digits only, in [1, API_PAGE_MAX]? */
static int
api_page_limit(const char *s, int *limit)
{
	long	v = 0;

	if (*s == '\0' || strlen(s) > 6)
		return (-1);
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return (-1);
		v = v * 10 + (*s - '0');
	}
	if (v < 1 || v > API_PAGE_MAX)
		return (-1);
	*limit = (int)v;
	return (0);
}

void
api_page_end(struct api_page *pg)
{
	json_decref(pg->cursor);
	pg->cursor = NULL;
}

/*
 * Read limit and cursor from the query.  0, or -1 after answering 400.
 * The cursor's array is checked against fmt (json_unpack, strict) with
 * the values it unpacks to; the caller's pg->cursor then holds it.
 */
int
api_page_start(struct evhttp_request *req, struct api_page *pg,
    const char *kind, const char *fmt, ...)
{
	char	*limit = http_query(req, "limit");
	char	*cursor = http_query(req, "cursor");
	va_list	 ap;
	int	 rc = 0;

	/* A scoped page read on starts where its last turn stopped. */
	if (api_page_running != NULL && api_page_running->req == req &&
	    api_page_running->resume != NULL) {
		free(cursor);
		cursor = xstrdup(api_page_running->resume);
	}
	memset(pg, 0, sizeof(*pg));
	pg->limit = API_PAGE_DEFAULT;
	if (limit != NULL && api_page_limit(limit, &pg->limit) != 0) {
		http_reply_error(req, 400, "invalid_value", "limit", "limit is "
		    "a number of rows from 1 to %d", API_PAGE_MAX);
		rc = -1;
	} else if (cursor != NULL) {
		pg->cursor = api_page_cursor_decode(cursor, kind);
		va_start(ap, fmt);
		if (pg->cursor == NULL || json_vunpack_ex(pg->cursor, NULL,
		    JSON_STRICT, fmt, ap) != 0) {
			http_reply_error(req, 400, "invalid_value", "cursor",
			    "not a cursor of this list: follow the \"next\" "
			    "link of the page before");
			api_page_end(pg);
			rc = -1;
		}
		va_end(ap);
	}
	free(limit);
	free(cursor);
	return (rc);
}

/* Append "name=value&" to *q, value URL-encoded; a NULL value adds nothing. */
void
api_page_param(char **q, const char *name, const char *value)
{
	char	*enc, *next;

	if (value == NULL)
		return;
	enc = evhttp_encode_uri(value);
	xasprintf(&next, "%s%s=%s&", *q != NULL ? *q : "", name, enc);
	free(enc);
	free(*q);
	*q = next;
}

/*
 * A page is many segments, and its client asks for the next one only
 * when it has the last: with Nagle's algorithm, the last small segment
 * waits for the client's delayed ACK (40 ms on Linux) on every page.
 */
static void
api_page_nodelay(struct evhttp_request *req)
{
	struct evhttp_connection	*evcon;
	evutil_socket_t			 fd;
	int				 on = 1;

	if ((evcon = evhttp_request_get_connection(req)) == NULL)
		return;
	fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

static void
api_page_reply_text(struct evhttp_request *req, struct evbuffer *buf,
    const char *next)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	char			*link;

	api_page_nodelay(req);
	evhttp_add_header(h, "Content-Type", "application/json; charset=utf-8");
	if (next != NULL) {
		xasprintf(&link, "<%s>; rel=\"next\"", next);
		evhttp_add_header(h, "Link", link);
		free(link);
	}
	http_send_reply(req, 200, buf);
}

/* A page in the making: what api_pager_add has been fed so far. */
struct api_pager {
	const struct api_list	*list;
	const struct api_page	*page;
	struct evbuffer		*buf;
	json_t			*last;		/* the cursor after the page */
	json_t			*hidden;	/* scoped: after the last row read */
	int			 n;		/* rows shown */
	int			 scanned;	/* rows read this loop turn */
	int			 more;		/* rows left after the page */
	int			 bound;		/* stopped at API_PAGE_SCAN */
	uint64_t		 reloads;	/* the site's, when it began */
};

/*
 * A page of a list: the caller asks the store for API_PAGE_SCAN rows in
 * the order of the list's key and feeds each row to api_pager_add.
 */
struct api_pager *
api_pager_new(const struct api_list *l, const struct api_page *pg)
{
	struct api_pager	*p;
	uint64_t		 failed;

	if (api_page_running != NULL && api_page_running->carry != NULL) {
		p = api_page_running->carry;	/* a scoped page read on */
		api_page_running->carry = NULL;
		p->page = pg;
		p->scanned = p->more = p->bound = 0;
		return (p);
	}
	p = xcalloc(1, sizeof(*p));
	metrics_reloads_get(&p->reloads, &failed);
	p->list = l;
	p->page = pg;
	p->buf = evbuffer_new();
	evbuffer_add_printf(p->buf, "{\"%s\":[", l->name);
	return (p);
}

/*
 * One row: its JSON (NULL when the filters do not keep it), whether they
 * keep it, and the cursor that resumes after it; both JSON are taken.
 * Non-zero when the page is done: a row past limit (not shown, the page
 * has a next), API_PAGE_SCAN rows read or API_PAGE_BYTES of text.
 */
int
api_pager_add(struct api_pager *p, json_t *row, int keep, json_t *cursor)
{
	char	*text;

	/* One more row: the page is full (a scoped one, if it is shown). */
	if (p->n == p->page->limit && (keep || !p->page->scoped)) {
		p->more = 1;
		json_decref(row);
		json_decref(cursor);
		return (1);
	}
	p->scanned++;
	if (keep && row != NULL) {
		if ((text = jsonw_dumps(row)) != NULL) {
			evbuffer_add_printf(p->buf, "%s%s", p->n ? "," : "",
			    text);
			p->n++;
		}
		free(text);
	}
	json_decref(row);
	if (keep || (p->scanned == API_PAGE_SCAN && !p->page->scoped)) {
		json_decref(p->last);
		p->last = cursor;
	} else if (p->page->scoped) {
		json_decref(p->hidden);		/* where to read on */
		p->hidden = cursor;
	} else
		json_decref(cursor);
	if (p->scanned == API_PAGE_SCAN ||
	    evbuffer_get_length(p->buf) >= API_PAGE_BYTES) {
		p->bound = p->scanned == API_PAGE_SCAN;
		p->more = 1;
		return (1);
	}
	return (0);
}

static void
api_pager_free(struct api_pager *p)
{
	evbuffer_free(p->buf);
	json_decref(p->last);
	json_decref(p->hidden);
	free(p);
}

/*
 * A scoped page stopped by its reading bound on a hidden row reads on at
 * a later loop turn: 1 when queued (the pager goes with it), 0 when the
 * page is to be answered as it is.  -1 after the site's reload, which
 * ends it: the token it read for may be gone.
 */
static int
api_pager_read_on(struct evhttp_request *req, struct api_pager *p)
{
	struct api_page_job	*job = api_page_running;
	uint64_t		 ok, failed;
	char			*cjson, *hex;

	if (!p->page->scoped || !p->bound || p->hidden == NULL ||
	    job == NULL || job->req != req)
		return (0);
	metrics_reloads_get(&ok, &failed);
	if (ok != p->reloads)
		return (-1);
	if ((cjson = jsonw_dumps(p->hidden)) == NULL)
		return (0);
	hex = api_page_hex(cjson);
	free(cjson);
	if (api_page_queue(req, job->ctx, job->handler, p, hex) != 0) {
		free(hex);
		return (0);		/* the client is gone: answer, freed */
	}
	json_decref(p->hidden);
	p->hidden = NULL;
	return (1);
}

/*
 * Answer the page, {"<name>": [...], "next": link}, or 503 when the
 * store's list failed (rc < 0); p is freed.  query is the canonical
 * filter part of the next link ("a=b&"), or NULL.
 */
void
api_pager_reply(struct evhttp_request *req, struct api_pager *p, int rc,
    const char *query)
{
	char	*hex, *next = NULL, *cjson;

	if (rc < 0) {
		api_pager_free(p);
		http_reply_error(req, 503, "store_failed", NULL, "the store "
		    "did not answer");
		return;
	}
	if ((rc = api_pager_read_on(req, p)) != 0) {
		if (rc < 0) {
			api_pager_free(p);
			evhttp_add_header(evhttp_request_get_output_headers(
			    req), "Retry-After", "1");
			http_reply_error(req, 503, "reloaded", NULL, "the site "
			    "was reloaded while the page was read: ask again");
		}
		return;
	}
	if (p->more && p->last != NULL) {
		cjson = jsonw_dumps(p->last);
		hex = api_page_hex(cjson);
		xasprintf(&next, "%s?%slimit=%d&cursor=%s", p->list->path,
		    query != NULL ? query : "", p->page->limit, hex);
		free(hex);
		free(cjson);
		evbuffer_add_printf(p->buf, "],\"next\":\"%s\"}\n", next);
	} else
		evbuffer_add_printf(p->buf, "],\"next\":null}\n");
	api_page_reply_text(req, p->buf, next);
	api_pager_free(p);
	free(next);
}
