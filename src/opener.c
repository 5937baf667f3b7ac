/*
 * Opening the store.  At start-up the daemon opens it on the event loop:
 * nothing is served yet.  While it waits for the database (no read-write
 * primary reachable: a failover under way) it tries every second, and
 * the listener must go on answering 503 meanwhile -- but libpq's connect
 * blocks up to connect_timeout a host, per host in turn when packets are
 * dropped.  So that attempt runs on a thread of its own: it touches
 * nothing of the daemon's (what it needs is copied in, its result handed
 * back whole), and tells the loop it is done through a pipe; the loop
 * joins it and takes the store.  Until then no other thread holds a
 * store, so the store's lost hook, process-wide, is the thread's.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "opener.h"
#include "store.h"
#include "xmalloc.h"

struct opener {
	pthread_t		 thread;
	int			 pipe[2];	/* the thread writes one byte */
	struct event		*done_ev;
	char			*url;
	char			*sync;
	char			*node;
	struct opener_args	 args;		/* pointing at the copies */
	opener_cb		 cb;
	void			*arg;
	/* The result, read by the loop once the thread is joined. */
	int			 rc;
	struct store		*store;
	char			*cause;
};

static void
opener_lost_cb(const char *sqlstate, void *arg)
{
	int	*lost = arg;

	*lost = 1;
}

int
opener_open(const struct opener_args *a, struct store **store, char **cause)
{
	int	lost = 0;

	store_on_lost(opener_lost_cb, &lost);
	*store = store_open(a->url, a->sync, cause);
	if (*store != NULL && store_lease_set(*store, a->node, a->lease_ms,
	    cause) != 0) {
		store_close(*store);
		*store = NULL;
	}
	store_on_lost(NULL, NULL);
	if (*store != NULL)
		return (0);
	return (lost || store_open_transient(a->url, *cause) ? 1 : -1);
}

static void *
opener_main(void *arg)
{
	struct opener	*o = arg;
	char		 c = 0;

	o->rc = opener_open(&o->args, &o->store, &o->cause);
	while (write(o->pipe[1], &c, 1) == -1 && errno == EINTR)
		;
	return (NULL);
}

/* The thread is done: joined, and its result the callback's. */
static void
opener_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct opener	*o = arg;
	opener_cb	 cb = o->cb;
	void		*cbarg = o->arg;
	struct store	*store;
	char		*cause;
	int		 rc;

	pthread_join(o->thread, NULL);
	rc = o->rc;
	store = o->store;
	cause = o->cause;
	o->store = NULL;
	o->cause = NULL;
	o->cb = NULL;		/* joined: opener_free waits for nothing */
	cb(rc, store, cause, cbarg);
}

struct opener *
opener_start(struct event_base *base, const struct opener_args *a,
    opener_cb cb, void *arg)
{
	struct opener	*o = xcalloc(1, sizeof(*o));
	int		 err;

	if (pipe(o->pipe) != 0) {
		log_warn("opener: pipe");
		free(o);
		return (NULL);
	}
	o->url = xstrdup(a->url);
	o->sync = a->sync != NULL ? xstrdup(a->sync) : NULL;
	o->node = xstrdup(a->node);
	o->args.url = o->url;
	o->args.sync = o->sync;
	o->args.node = o->node;
	o->args.lease_ms = a->lease_ms;
	o->cb = cb;
	o->arg = arg;
	o->done_ev = event_new(base, o->pipe[0], EV_READ, opener_done_cb, o);
	event_add(o->done_ev, NULL);
	if ((err = pthread_create(&o->thread, NULL, opener_main, o)) != 0) {
		log_warnx("opener: cannot start a thread error=%s",
		    strerror(err));
		o->cb = NULL;
		opener_free(o);
		return (NULL);
	}
	return (o);
}

void
opener_free(struct opener *o)
{
	if (o == NULL)
		return;
	if (o->cb != NULL)		/* started and not yet joined */
		pthread_join(o->thread, NULL);
	event_free(o->done_ev);
	store_close(o->store);
	free(o->cause);
	close(o->pipe[0]);
	close(o->pipe[1]);
	free(o->url);
	free(o->sync);
	free(o->node);
	free(o);
}
