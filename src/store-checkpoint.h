/*
 * The WAL checkpointer: a thread with a connection of its own that copies
 * committed pages from the WAL back into the database file, so that the
 * event loop's commits never wait for that copy and its fsync.
 *
 * The writer connection (the store's) reports each commit through SQLite's
 * WAL hook; the thread checkpoints when the WAL has grown.  Only the
 * writer ever writes: a checkpoint is not a transaction.
 */
#ifndef STORE_CHECKPOINT_H
#define STORE_CHECKPOINT_H

#include <sqlite3.h>
#include <stdint.h>

#include "store.h"	/* struct store_checkpoint_info */

/* A commit that leaves this many pages in the WAL asks for a checkpoint. */
#define STORE_CHECKPOINT_PAGES		1000
/*
 * Past this many (64 MiB at 4 KiB) the writer holds the thread back and
 * checkpoints once itself, what is left (the thread has copied the rest),
 * so that the WAL can start again from its beginning: under load without
 * a pause the thread would chase the writer and the WAL would only grow.
 */
#define STORE_CHECKPOINT_BACKSTOP	16384

struct store_checkpoint;

struct store_checkpoint	*store_checkpoint_start(sqlite3 *, const char *,
			     const char *, char **);
void			 store_checkpoint_stop(struct store_checkpoint *);
void			 store_checkpoint_info(struct store_checkpoint *,
			     struct store_checkpoint_info *);
void			 store_checkpoint_tune(int);

#endif
