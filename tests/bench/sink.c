/*
 * A loopback webhook sink for the delivery benchmark: a libevent evhttp
 * server on 127.0.0.1 that answers every POST 200 "{}" at once and counts
 * what it got.  It must never be the bottleneck, so it does nothing else:
 * no parsing, no logging, one small table of the webhook-ids seen so that
 * a repeated delivery is not counted as a new one.
 *
 *	sink [-p port] [-n count]
 *
 * Port 0 (the default) lets the kernel choose; the port is printed on
 * stdout, alone on its line, once the socket listens.  The figures are
 * printed as one JSON line on stdout when SIGTERM or SIGINT arrives, or
 * once count requests have been answered, and the sink exits.  GET /stats
 * answers the same JSON while it runs.  Times are CLOCK_MONOTONIC in
 * microseconds, the clock Python's time.monotonic() reads on Linux.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <err.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#define SINK_LINGER_MS	200	/* after the last count: let replies drain */

struct sink {
	struct event_base	*base;
	struct evhttp		*http;
	uint64_t		 requests;
	uint64_t		 distinct;	/* webhook-ids not seen before */
	uint64_t		 no_id;		/* POSTs without a webhook-id */
	uint64_t		 bytes;		/* request bodies */
	int64_t			 first_us;
	int64_t			 last_us;
	uint64_t		 count;		/* -n; 0: until a signal */
	int			 done;
	char			**ids;		/* open addressing, power of 2 */
	size_t			 ids_size;
};

static int64_t
sink_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

static uint64_t
sink_hash(const char *s)
{
	uint64_t	h = 14695981039346656037ULL;	/* FNV-1a */

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return (h);
}

/* Put id in the table; 1 if it was not there. */
static int
sink_remember(struct sink *s, const char *id)
{
	char	**old;
	size_t	  oldsize, i, j;

	if (s->distinct * 2 >= s->ids_size) {
		old = s->ids;
		oldsize = s->ids_size;
		s->ids_size = oldsize == 0 ? 4096 : oldsize * 2;
		if ((s->ids = calloc(s->ids_size, sizeof(*s->ids))) == NULL)
			err(1, "calloc");
		for (i = 0; i < oldsize; i++) {
			if (old[i] == NULL)
				continue;
			j = sink_hash(old[i]) & (s->ids_size - 1);
			while (s->ids[j] != NULL)
				j = (j + 1) & (s->ids_size - 1);
			s->ids[j] = old[i];
		}
		free(old);
	}
	j = sink_hash(id) & (s->ids_size - 1);
	for (; s->ids[j] != NULL; j = (j + 1) & (s->ids_size - 1)) {
		if (strcmp(s->ids[j], id) == 0)
			return (0);
	}
	if ((s->ids[j] = strdup(id)) == NULL)
		err(1, "strdup");
	s->distinct++;
	return (1);
}

/* The figures; cpu_s is the sink's own user and system time so far. */
static void
sink_stats(struct sink *s, struct evbuffer *out)
{
	struct rusage	ru;
	double		seconds = (double)(s->last_us - s->first_us) / 1e6;
	double		cpu = 0;

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
		    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	evbuffer_add_printf(out, "{\"requests\":%" PRIu64 ",\"distinct\":%"
	    PRIu64 ",\"no_id\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"first_us\":"
	    "%" PRId64 ",\"last_us\":%" PRId64 ",\"seconds\":%.6f,"
	    "\"per_second\":%.1f,\"cpu_s\":%.3f}\n", s->requests,
	    s->distinct, s->no_id, s->bytes, s->first_us, s->last_us, seconds,
	    seconds > 0 ? (double)(s->requests - 1) / seconds : 0.0, cpu);
}

static void
sink_print(struct sink *s)
{
	struct evbuffer	*out;

	if ((out = evbuffer_new()) == NULL)
		err(1, "evbuffer_new");
	sink_stats(s, out);
	evbuffer_write(out, STDOUT_FILENO);
	evbuffer_free(out);
}

static void
sink_finish(struct sink *s)
{
	struct timeval	tv = { 0, SINK_LINGER_MS * 1000 };

	if (s->done)
		return;
	s->done = 1;
	sink_print(s);
	event_base_loopexit(s->base, &tv);
}

static void
sink_request_cb(struct evhttp_request *req, void *arg)
{
	struct sink	*s = arg;
	struct evbuffer	*out = evhttp_request_get_output_buffer(req);
	const char	*id;
	int64_t		 now;

	if (evhttp_request_get_command(req) == EVHTTP_REQ_GET &&
	    strcmp(evhttp_request_get_uri(req), "/stats") == 0) {
		sink_stats(s, out);
		evhttp_send_reply(req, 200, "OK", out);
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evhttp_send_error(req, 405, NULL);
		return;
	}
	now = sink_now_us();
	if (s->requests++ == 0)
		s->first_us = now;
	s->last_us = now;
	s->bytes += evbuffer_get_length(evhttp_request_get_input_buffer(req));
	id = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "webhook-id");
	if (id == NULL)
		s->no_id++;
	else
		sink_remember(s, id);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evbuffer_add(out, "{}", 2);
	evhttp_send_reply(req, 200, "OK", out);
	if (s->count != 0 && s->requests >= s->count)
		sink_finish(s);
}

static void
sink_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct sink	*s = arg;

	if (s->done)
		event_base_loopbreak(s->base);
	else
		sink_finish(s);
}

static void
usage(void)
{
	fprintf(stderr, "usage: sink [-p port] [-n count]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct sink			 s;
	struct evhttp_bound_socket	*bound;
	struct event			*sig_term, *sig_int;
	struct sockaddr_in		 sin;
	socklen_t			 len = sizeof(sin);
	char				*end;
	long				 port = 0;
	size_t				 i;
	int				 ch;

	memset(&s, 0, sizeof(s));
	while ((ch = getopt(argc, argv, "n:p:")) != -1) {
		switch (ch) {
		case 'n':
			s.count = strtoull(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0')
				errx(2, "count %s: not a number", optarg);
			break;
		case 'p':
			port = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || port < 0 ||
			    port > 65535)
				errx(2, "port %s: not a port", optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	signal(SIGPIPE, SIG_IGN);

	if ((s.base = event_base_new()) == NULL)
		errx(1, "event_base_new failed");
	if ((s.http = evhttp_new(s.base)) == NULL)
		errx(1, "evhttp_new failed");
	evhttp_set_allowed_methods(s.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_gencb(s.http, sink_request_cb, &s);
	bound = evhttp_bind_socket_with_handle(s.http, "127.0.0.1",
	    (ev_uint16_t)port);
	if (bound == NULL)
		errx(1, "cannot listen on 127.0.0.1:%ld", port);
	if (getsockname(evhttp_bound_socket_get_fd(bound),
	    (struct sockaddr *)&sin, &len) != 0)
		err(1, "getsockname");
	printf("%d\n", ntohs(sin.sin_port));
	fflush(stdout);

	sig_term = evsignal_new(s.base, SIGTERM, sink_signal_cb, &s);
	sig_int = evsignal_new(s.base, SIGINT, sink_signal_cb, &s);
	evsignal_add(sig_term, NULL);
	evsignal_add(sig_int, NULL);
	event_base_dispatch(s.base);

	event_free(sig_term);
	event_free(sig_int);
	evhttp_free(s.http);
	event_base_free(s.base);
	for (i = 0; i < s.ids_size; i++)
		free(s.ids[i]);
	free(s.ids);
	return (0);
}
