/*
 * Non-blocking HTTP client: libcurl's multi interface driven by the
 * libevent loop (the shape of curl's docs/examples/hiperfifo.c).  A request
 * never blocks the loop; its callback runs from the loop when it ends.
 */
#ifndef HTTPC_H
#define HTTPC_H

#include <curl/curl.h>
#include <stddef.h>

struct event_base;
struct httpc;

struct httpc_response {
	long		 status;	/* 0 when no answer came */
	const char	*body;
	size_t		 len;
	const char	*error;		/* curl's words, or NULL */
	long		 retry_after;	/* seconds from Retry-After, or -1 */
};

typedef void (*httpc_cb)(const struct httpc_response *, void *);

struct httpc	*httpc_new(struct event_base *);
void		 httpc_free(struct httpc *);
int		 httpc_post(struct httpc *, const char *, struct curl_slist *,
		     const char *, size_t, long, httpc_cb, void *);
int		 httpc_request(struct httpc *, const char *, const char *,
		     struct curl_slist *, const char *, size_t, long, httpc_cb,
		     void *);

#endif
