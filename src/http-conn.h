/*
 * The listener's connections: how many may be open (a cap below the file
 * descriptor limit), how long a request's headers and body may take in
 * all, how much memory the bodies in flight may hold together, a back-off
 * when accept() runs out of descriptors, and a look at every request's
 * headers before its body is read (the screen: token, Host, Origin).
 */
#ifndef HTTP_CONN_H
#define HTTP_CONN_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evhttp;
struct evhttp_bound_socket;
struct evhttp_request;
struct hconns;

/* Why a request is turned away; the reply is http.c's to make. */
struct hconn_refusal {
	int		 status;	/* 0: not refused */
	const char	*code;
	char		 message[160];
};

/*
 * The screen: called with a request's headers, before its body is read,
 * and again as it is handled.  Sets r->status (and the rest) to refuse it.
 */
typedef void	(*hconns_screen_fn)(struct evhttp_request *,
		    struct hconn_refusal *, void *);
/* How a refusal is answered: the HTTP layer's, handed in. */
typedef void	(*hconns_refuse_fn)(struct evhttp_request *,
		    const struct hconn_refusal *);

struct hconns_limits {
	size_t		 max_conns;	/* open connections at most */
	size_t		 body_budget;	/* bytes of bodies in flight */
	size_t		 body_ceiling;	/* the largest body read at all */
	int64_t		 header_ms;	/* the request line and headers */
	int64_t		 body_ms;	/* the body, from the headers' end */
};

struct hconns_stats {
	size_t		 open;
	size_t		 max_conns;
	size_t		 body_reserved;
	size_t		 body_budget;
	uint64_t	 evicted;	/* slow headers, for a newcomer */
	uint64_t	 refused;	/* full: 503 */
	uint64_t	 cut;		/* over a total time limit */
	uint64_t	 busy;		/* bodies over the budget: 503 */
	uint64_t	 backoffs;	/* accept() out of descriptors */
};

struct hconns	*hconns_new(struct event_base *, struct evhttp *,
		     hconns_screen_fn, hconns_refuse_fn, void *);
void		 hconns_free(struct hconns *);
void		 hconns_watch(struct hconns *, struct evhttp_bound_socket *);
void		 hconns_set_limits(struct hconns *, const struct hconns_limits *);
size_t		 hconns_default_max(void);
int		 hconns_request(struct hconns *, struct evhttp_request *,
		     struct hconn_refusal *);
const struct hconns_stats *hconns_stats(const struct hconns *);

#endif
