/*
 * Opening the store and setting this node's lease, at start-up on the
 * event loop, and while the daemon waits for the database on a thread of
 * its own (src/opener.c).
 */
#ifndef OPENER_H
#define OPENER_H

#include <stdint.h>

struct event_base;
struct store;

/* What an opening needs, copied in: the loop may reload the rules. */
struct opener_args {
	const char	*url;		/* may hold a password */
	const char	*sync;		/* SQLite's synchronous mode, or NULL */
	const char	*node;		/* this node's name in the lease */
	int64_t		 lease_ms;
};

/*
 * Open the store: 0 and *store; 1 when the database is out of reach for
 * now (worth trying again); -1 when it cannot be opened.  *cause is set
 * unless 0.  A database lost while the store opens does not end the
 * daemon: it is one more reason to try again.
 */
int	opener_open(const struct opener_args *, struct store **, char **);

/* What the loop hears when an opening off the loop ends (as above). */
typedef void	(*opener_cb)(int, struct store *, char *, void *);

struct opener;
/*
 * Open the store on a thread of its own -- libpq's connect blocks up to
 * connect_timeout a host -- and call cb on the loop once it ends (cause
 * and store are the callback's).  NULL when no thread could start.
 */
struct opener	*opener_start(struct event_base *, const struct opener_args *,
		    opener_cb, void *);
/* Wait for the thread (at most a connect's timeouts); cb is not called. */
void		 opener_free(struct opener *);

#endif
