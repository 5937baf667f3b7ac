/*
 * The HTTP listener: limits, authentication, the route table, and the
 * reply helpers every api-*.c handler uses.  A handler ends in exactly one
 * reply, now or (for writes) after the commit.
 */
#ifndef HTTP_H
#define HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct api_ctx;
struct evbuffer;
struct evhttp_request;
struct event_base;
struct record_error;
struct http;
struct rules;
struct token_def;

struct http	*http_new(struct event_base *, const struct api_ctx *,
		     const char *, size_t, char **);
struct http	*http_new_fd(struct event_base *, const struct api_ctx *,
		     int, size_t, char **);
void		 http_free(struct http *);
void		 http_set_body_limit(struct http *, size_t);
size_t		 http_set_conn_limits(struct http *, size_t, int64_t, int64_t);

void	 http_send_reply(struct evhttp_request *, int, struct evbuffer *);
void	 http_reply_json(struct evhttp_request *, int, json_t *);
void	 http_reply_json_take(struct evhttp_request *, int, char *);
void	 http_reply_html(struct evhttp_request *, int, const char *);
void	 http_reply_error(struct evhttp_request *, int, const char *,
	    const char *, const char *, ...)
	    __attribute__((format(printf, 5, 6)));
const char *http_read_body(struct evhttp_request *, size_t *,
	    struct record_error *, int *);
const char *http_read_raw(struct evhttp_request *, size_t *,
	    struct record_error *, int *);
json_t	*http_read_json(struct evhttp_request *, size_t, struct record_error *,
	    int *);
char	*http_query(struct evhttp_request *, const char *);
const struct token_def *http_token(struct evhttp_request *,
	    const struct rules *);

#endif
