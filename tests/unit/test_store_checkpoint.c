/*
 * store-checkpoint.c: the thread copies the WAL back into the database
 * file, not the writer; past the backstop the writer checkpoints itself;
 * under many commits of all sizes nothing is lost.
 *
 * The checkpointer is a real thread, so these tests wait for it, in steps
 * of 5 ms and for at most 10 s: no virtual clock can stand in for it.
 * What a second connection sees of the file is read through SQLite itself:
 * these are tests of the SQLite driver's own part.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store-checkpoint.h"
#include "store.h"

static char	dir[] = "/tmp/tocsin-checkpoint-XXXXXX";
static int	serial;

/* A fresh database file for each test. */
static struct store *
open_store(char *path, size_t len)
{
	struct store	*s;
	char		*cause = NULL;

	snprintf(path, len, "%s/t%d.db", dir, ++serial);
	s = store_open(path, "NORMAL", &cause);
	assert_non_null(s);
	return (s);
}

/* Commit n events of about 4 KiB each (a page apiece, and more). */
static void
add_events(struct store *s, int n)
{
	static int		 next;
	struct store_event	 ev;
	char			 id[32], body[4000];
	int			 i;

	memset(body, 'x', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	assert_int_equal(store_begin(s), 0);
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "e%d", next++);
		ev = (struct store_event){ .id = id, .type = "report",
		    .incident = "k", .unit = "u", .received_at = 1,
		    .occurred_at = 1, .body = body };
		assert_int_equal(store_event_add(s, &ev, NULL), 0);
	}
	assert_int_equal(store_commit(s), 0);
}

static off_t
file_size(const char *path)
{
	struct stat	sb;

	assert_int_equal(stat(path, &sb), 0);
	return (sb.st_size);
}

/* Wait until the thread has made n checkpoints; 0, or -1 after 10 s. */
static int
wait_for_thread(struct store *s, uint64_t n)
{
	struct store_checkpoint_info	 ci;
	struct timespec			 ts = { 0, 5000000 };
	int				 i;

	for (i = 0; i < 2000; i++) {
		store_checkpoints(s, &ci);
		if (ci.by_thread >= n)
			return (0);
		nanosleep(&ts, NULL);
	}
	return (-1);
}

static int64_t
count_rows(const char *path)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	int64_t		 n = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM events",
	    -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return (n);
}

static int
setup(void **state)
{
	store_checkpoint_tune(STORE_CHECKPOINT_BACKSTOP);
	return (0);
}

/*
 * Below STORE_CHECKPOINT_PAGES nothing is copied back; past it the thread
 * copies back, and the writer does not.
 */
static void
test_thread_copies_back(void **state)
{
	struct store_checkpoint_info	 ci;
	struct store			*s;
	char				 path[300];
	off_t				 before;

	s = open_store(path, sizeof(path));
	add_events(s, 200);
	store_checkpoints(s, &ci);
	assert_true(ci.wal_pages >= 200 &&
	    ci.wal_pages < STORE_CHECKPOINT_PAGES);
	before = file_size(path);

	add_events(s, 900);
	store_checkpoints(s, &ci);
	assert_true(ci.wal_pages >= STORE_CHECKPOINT_PAGES);
	assert_int_equal(wait_for_thread(s, 1), 0);
	store_checkpoints(s, &ci);
	assert_int_equal(ci.by_writer, 0);
	assert_int_equal(ci.failed, 0);
	/* The pages are in the database file now, not only in the WAL. */
	assert_true(file_size(path) >= before + 1000 * 4096);
	assert_int_equal(count_rows(path), 1100);

	/* The WAL starts again from its beginning at the next commit. */
	add_events(s, 1);
	store_checkpoints(s, &ci);
	assert_true(ci.wal_pages < 10);
	store_close(s);
}

/* Past the backstop the writer checkpoints itself, in its commit. */
static void
test_backstop(void **state)
{
	struct store_checkpoint_info	 ci;
	struct store			*s;
	char				 path[300];
	off_t				 before;

	store_checkpoint_tune(2000);
	s = open_store(path, sizeof(path));
	before = file_size(path);
	add_events(s, 2500);
	store_checkpoints(s, &ci);
	assert_int_equal(ci.by_writer, 1);
	assert_int_equal(ci.by_thread, 0);
	assert_true(file_size(path) >= before + 2500 * 4096);
	add_events(s, 1);
	store_checkpoints(s, &ci);
	assert_true(ci.wal_pages < 10);
	store_close(s);
}

/*
 * Many commits of all sizes with the thread checkpointing as eagerly as
 * it can: every row is there after a reopen, and the file checks out.
 */
static void
test_many_commits(void **state)
{
	struct store_checkpoint_info	 ci;
	struct store			*s;
	sqlite3				*db;
	sqlite3_stmt			*st;
	char				 path[300];
	int				 i, n, total = 0;

	store_checkpoint_tune(6000);
	s = open_store(path, sizeof(path));
	srandom(8);
	for (i = 0; i < 300; i++) {
		n = 1 + (int)(random() % (i % 10 == 0 ? 1500 : 40));
		add_events(s, n);
		total += n;
	}
	store_checkpoints(s, &ci);
	assert_true(ci.by_thread > 0);
	assert_int_equal(ci.failed, 0);
	store_close(s);

	assert_int_equal(count_rows(path), total);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1,
	    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* A store in memory has no WAL and no thread. */
static void
test_memory(void **state)
{
	struct store_checkpoint_info	 ci;
	struct store			*s;
	char				*cause = NULL;

	s = store_open(":memory:", "OFF", &cause);
	assert_non_null(s);
	add_events(s, 1100);
	store_checkpoints(s, &ci);
	assert_int_equal(ci.wal_pages, 0);
	assert_int_equal(ci.by_thread + ci.by_writer + ci.failed, 0);
	store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_thread_copies_back, setup),
		cmocka_unit_test_setup(test_backstop, setup),
		cmocka_unit_test_setup(test_many_commits, setup),
		cmocka_unit_test_setup(test_memory, setup),
	};
	char	cmd[512];
	int	rc;

	if (mkdtemp(dir) == NULL)
		return (1);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = 1;
	return (rc);
}
