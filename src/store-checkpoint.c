/*
 * The WAL checkpointer.
 *
 * By default SQLite checkpoints in the connection that commits, inside its
 * COMMIT, every 1000 pages: for tocsind that is the event loop, which would
 * then copy every page the WAL holds to its place in the database file and
 * fsync it while requests and due deadlines wait (a burst of breaches
 * spends most of its time there).  Here a thread does it instead, on a
 * connection of its own, in PASSIVE mode: it neither waits for the writer
 * nor holds it up.  Only the writer ever writes; a checkpoint is not a
 * transaction.
 *
 * The WAL-reset bug.  Debian 12's SQLite (3.40) predates the fix in
 * 3.51.3: a checkpoint that starts when the WAL has already been wholly
 * copied back, while another connection's commit starts the WAL again
 * from its beginning, can mark frames as copied that were not, and the
 * database loses them.  So a checkpoint here starts only while the WAL
 * holds frames not yet copied back.  Then no commit can start the WAL
 * again before that checkpoint is over: a commit restarts the WAL only if
 * its transaction began when everything had been copied back, and nothing
 * but a checkpoint copies back, one at a time.  It holds because:
 *  - the thread starts a checkpoint only when a commit asked for it (a
 *    commit writes frames, and they stay uncopied until a checkpoint);
 *  - a checkpoint drops the requests made while it ran: their frames may
 *    be among those it copied (and a reader's snapshot that keeps frames
 *    from being copied does not make the thread spin);
 *  - the writer's own checkpoint (the backstop) runs only while the thread
 *    is idle, under the lock, and drops the request outstanding too.
 *
 * Ownership: the store owns the checkpointer; the checkpointer owns its
 * thread and its connection.  The lock guards every field but wal_pages,
 * which only the writer's thread touches.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store-checkpoint.h"
#include "xmalloc.h"

static int store_checkpoint_backstop = STORE_CHECKPOINT_BACKSTOP;

struct store_checkpoint {
	sqlite3			*db;		/* the thread's connection */
	pthread_t		 thread;
	pthread_mutex_t		 lock;
	pthread_cond_t		 wake;
	int			 wanted;	/* a commit asked */
	int			 running;	/* the thread checkpoints */
	int			 hold;		/* the writer will, next */
	int			 stopping;
	int64_t			 wal_pages;
	uint64_t		 by_thread;
	uint64_t		 by_writer;
	uint64_t		 failed;
};

/* What one checkpoint did. */
enum store_checkpoint_result {
	CHECKPOINT_DONE,	/* copied back what it could */
	CHECKPOINT_BUSY,	/* another connection was checkpointing */
	CHECKPOINT_FAILED,	/* logged */
};

static enum store_checkpoint_result
store_checkpoint_run(sqlite3 *db, const char *who)
{
	int	rc;

	rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    NULL, NULL);
	if (rc == SQLITE_BUSY)
		return (CHECKPOINT_BUSY);
	if (rc != SQLITE_OK) {
		log_warnx("store: checkpoint failed by=%s error=%s", who,
		    sqlite3_errmsg(db));
		return (CHECKPOINT_FAILED);
	}
	return (CHECKPOINT_DONE);
}

/*
 * Count a checkpoint, and drop the requests made while it ran: their
 * frames may be copied already, and a checkpoint must not start on a WAL
 * wholly copied back (see above).
 */
static void
store_checkpoint_done(struct store_checkpoint *c,
    enum store_checkpoint_result r, uint64_t *count)
{
	if (r == CHECKPOINT_FAILED)
		c->failed++;
	else if (r != CHECKPOINT_BUSY)
		(*count)++;
	c->wanted = 0;
}

static void *
store_checkpoint_main(void *arg)
{
	struct store_checkpoint		*c = arg;
	enum store_checkpoint_result	 r;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->stopping && (!c->wanted || c->hold))
			pthread_cond_wait(&c->wake, &c->lock);
		if (c->stopping)
			break;
		c->running = 1;
		pthread_mutex_unlock(&c->lock);

		r = store_checkpoint_run(c->db, "thread");

		pthread_mutex_lock(&c->lock);
		c->running = 0;
		store_checkpoint_done(c, r, &c->by_thread);
	}
	pthread_mutex_unlock(&c->lock);
	return (NULL);
}

/*
 * SQLite calls this in the writer's thread after each commit, with the
 * pages now in the WAL.  It replaces the automatic checkpoint.
 */
static int
store_checkpoint_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct store_checkpoint	*c = arg;

	c->wal_pages = pages;
	pthread_mutex_lock(&c->lock);
	if (pages >= store_checkpoint_backstop && !c->running) {
		store_checkpoint_done(c, store_checkpoint_run(db, "writer"),
		    &c->by_writer);
		c->hold = 0;
	} else if (pages >= store_checkpoint_backstop) {
		c->hold = 1;
	} else if (pages >= STORE_CHECKPOINT_PAGES) {
		c->hold = 0;
		c->wanted = 1;
		pthread_cond_signal(&c->wake);
	} else
		c->hold = 0;	/* the WAL started again */
	pthread_mutex_unlock(&c->lock);
	(void)name;
	return (SQLITE_OK);
}

/*
 * Start checkpointing the database writer has open at path, with the same
 * synchronous mode.  NULL and *cause set on failure.
 */
struct store_checkpoint *
store_checkpoint_start(sqlite3 *writer, const char *path, const char *sync,
    char **cause)
{
	struct store_checkpoint	*c;
	sigset_t		 all, old;
	char			*sql;
	int			 rc;

	c = xcalloc(1, sizeof(*c));
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		xasprintf(cause, "checkpointer: %s: %s", path, c->db != NULL ?
		    sqlite3_errmsg(c->db) : "out of memory");
		goto fail;
	}
	/* A checkpoint syncs the WAL and the database as this says. */
	xasprintf(&sql, "PRAGMA synchronous = %s", sync);
	rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	free(sql);
	if (rc != SQLITE_OK) {
		xasprintf(cause, "checkpointer: %s: %s", path,
		    sqlite3_errmsg(c->db));
		goto fail;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	/* Signals are the loop's business, never this thread's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&c->thread, NULL, store_checkpoint_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		xasprintf(cause, "checkpointer: %s", strerror(rc));
		pthread_cond_destroy(&c->wake);
		pthread_mutex_destroy(&c->lock);
		goto fail;
	}
	sqlite3_wal_hook(writer, store_checkpoint_hook, c);
	return (c);
fail:
	sqlite3_close(c->db);
	free(c);
	return (NULL);
}

/*
 * Stop the thread, after the checkpoint it is making, and close its
 * connection.  The writer must not commit after this (the store is
 * closing): its hook would point at freed memory.
 */
void
store_checkpoint_stop(struct store_checkpoint *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	sqlite3_close(c->db);
	free(c);
}

void
store_checkpoint_info(struct store_checkpoint *c,
    struct store_checkpoint_info *info)
{
	memset(info, 0, sizeof(*info));
	if (c == NULL)
		return;
	info->wal_pages = c->wal_pages;
	pthread_mutex_lock(&c->lock);
	info->by_thread = c->by_thread;
	info->by_writer = c->by_writer;
	info->failed = c->failed;
	pthread_mutex_unlock(&c->lock);
}

/* A smaller backstop, for tests. */
void
store_checkpoint_tune(int backstop)
{
	store_checkpoint_backstop = backstop;
}
