/*
 * store.c: migrations, refusal of newer schemas, savepoints, the timeline
 * that only a prune may shorten; store-backup.c: an online copy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store-backup.h"
#include "store-legacy.h"
#include "store.h"

static char	dir[] = "/tmp/tocsin-store-XXXXXX";
static char	path[256];

static int64_t
count_events(struct store *s)
{
	sqlite3_stmt	*st = store_stmt(s, STMT_EVENT_COUNT, NULL);
	int64_t		 n;

	assert_int_equal(store_step(s, st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return (n);
}

static void
test_migrate_and_reopen(void **state)
{
	struct store	*s;
	char		*cause = NULL;

	s = store_open(path, NULL, &cause);
	assert_non_null(s);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_run(s, STMT_EVENT_INSERT, "ttttiit", "e1",
	    "report", "k", "u", (int64_t)1, (int64_t)1, "{}"), 0);
	assert_int_equal(store_commit(s), 0);
	store_close(s);

	/* Reopening migrates nothing and keeps the row. */
	s = store_open(path, "NORMAL", &cause);
	assert_non_null(s);
	assert_int_equal(count_events(s), 1);
	/* The id is unique within its unit, refused by the schema. */
	assert_int_equal(store_run(s, STMT_EVENT_INSERT, "ttttiit", "e1",
	    "report", "k", "u", (int64_t)1, (int64_t)1, "{}"), -1);
	assert_int_equal(store_run(s, STMT_EVENT_INSERT, "ttttiit", "e1",
	    "report", "k2", "v", (int64_t)1, (int64_t)1, "{}"), 0);
	store_close(s);

	assert_null(store_open(path, "SOMETIMES", &cause));
	assert_non_null(strstr(cause, "synchronous"));
	free(cause);
}

/*
 * One writer per database: while a store is open, opening the same file
 * again -- even in this process -- is refused with the holder's pid.
 */
static void
test_one_writer(void **state)
{
	struct store	*s, *again;
	char		*cause = NULL, want[64], db[300];

	snprintf(db, sizeof(db), "%s/locked.db", dir);
	s = store_open(db, NULL, &cause);
	assert_non_null(s);
	again = store_open(db, NULL, &cause);
	assert_null(again);
	snprintf(want, sizeof(want), "(pid %ld,", (long)getpid());
	assert_non_null(strstr(cause, "in use by another tocsind"));
	assert_non_null(strstr(cause, want));
	free(cause);
	store_close(s);
	again = store_open(db, NULL, &cause);	/* released on close */
	assert_non_null(again);
	store_close(again);
}

static void
test_savepoint(void **state)
{
	struct store	*s;
	char		*cause = NULL;

	s = store_open(":memory:", "OFF", &cause);
	assert_non_null(s);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_savepoint(s), 0);
	assert_int_equal(store_run(s, STMT_EVENT_INSERT, "ttttiit", "a",
	    "report", "k", "u", (int64_t)1, (int64_t)1, "{}"), 0);
	store_release(s);
	assert_int_equal(store_savepoint(s), 0);
	assert_int_equal(store_run(s, STMT_EVENT_INSERT, "ttttiit", "b",
	    "report", "k", "u", (int64_t)1, (int64_t)1, "{}"), 0);
	store_rollback_savepoint(s);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(count_events(s), 1);
	store_close(s);
}

static void
test_newer_schema_refused(void **state)
{
	sqlite3		*db;
	char		*cause = NULL;
	char		 newer[300];

	snprintf(newer, sizeof(newer), "%s/newer.db", dir);
	assert_int_equal(sqlite3_open(newer, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_null(store_open(newer, NULL, &cause));
	assert_non_null(strstr(cause, "newer"));
	free(cause);
	unlink(newer);
}

static int64_t
count_rows(const char *db_path, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	int64_t		 n;

	assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return (n);
}

/* Updates never; deletes only inside a prune, and only this connection. */
static void
test_timeline_prune_only(void **state)
{
	struct store	*s;
	sqlite3		*db;
	char		*cause = NULL, *err = NULL, tl[300];

	snprintf(tl, sizeof(tl), "%s/timeline.db", dir);
	s = store_open(tl, NULL, &cause);
	assert_non_null(s);
	assert_int_equal(store_run(s, STMT_TIMELINE_INSERT, "ittit",
	    (int64_t)1, "incident.opened", "k", (int64_t)0, "{}"), 0);
	assert_int_equal(store_run(s, STMT_PRUNE_TIMELINE, "t", "k"), -1);
	assert_int_equal(count_rows(tl, "SELECT count(*) FROM timeline"), 1);

	/* Another program cannot delete at all: it lacks the function. */
	assert_int_equal(sqlite3_open(tl, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM timeline", NULL,
	    NULL, &err), SQLITE_OK);
	sqlite3_free(err);
	sqlite3_close(db);

	store_set_pruning(s, 1);
	assert_int_equal(store_run(s, STMT_PRUNE_TIMELINE, "t", "k"), 0);
	assert_int_equal(store_changes(s), 1);
	store_set_pruning(s, 0);
	store_close(s);
	unlink(tl);
}

/* A copy of a store still open for writing, its WAL not checkpointed. */
static void
test_backup(void **state)
{
	struct store_backup_result	 res;
	struct store			*s;
	char				*cause = NULL, src[300], dst[300];
	char				 tmp[310], id[32], body[1100];
	int				 i;

	snprintf(src, sizeof(src), "%s/live.db", dir);
	snprintf(dst, sizeof(dst), "%s/copy.db", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", dst);
	s = store_open(src, NULL, &cause);
	assert_non_null(s);
	memset(body, 'x', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	assert_int_equal(store_begin(s), 0);
	for (i = 0; i < 2000; i++) {
		snprintf(id, sizeof(id), "e%d", i);
		assert_int_equal(store_run(s, STMT_EVENT_INSERT, "ttttiit", id,
		    "report", "k", "u", (int64_t)1, (int64_t)1, body), 0);
	}
	assert_int_equal(store_commit(s), 0);

	assert_int_equal(store_backup(src, dst, 0, &res, &cause), 0);
	assert_true(res.pages > 256);		/* more than one step */
	assert_int_equal(count_rows(dst, "SELECT count(*) FROM events"), 2000);
	assert_int_equal(access(tmp, F_OK), -1);

	/* Again over the old copy; never onto the database itself. */
	assert_int_equal(store_backup(src, dst, 1, &res, &cause), 0);
	assert_int_equal(store_backup(src, src, 0, &res, &cause), -1);
	assert_non_null(strstr(cause, "database itself"));
	free(cause);
	store_close(s);
	assert_int_equal(count_rows(src, "SELECT count(*) FROM events"), 2000);

	/* A failed copy leaves nothing under either name. */
	unlink(dst);
	assert_int_equal(store_backup("/nonexistent/x.db", dst, 0, &res,
	    &cause), -1);
	free(cause);
	assert_int_equal(access(dst, F_OK), -1);
	assert_int_equal(access(tmp, F_OK), -1);
}

static void
obligation_add(struct store *s, int64_t due, const char *unit)
{
	assert_int_equal(store_run(s, STMT_OBLIGATION_INSERT, "ttttttttiin",
	    "k", NULL, unit, "p", "o", NULL, NULL, NULL, (int64_t)0, due), 0);
}

/*
 * The ledger's pages resume after (due_at, id) of the last row read: rows
 * that share a due time across a page's end are each read once, a row
 * added before the cursor is not read, one added after it is, and the
 * unit filter is a column, so a page of rows it drops still moves on.
 */
static void
test_compliance_keyset(void **state)
{
	struct store	*s;
	sqlite3_stmt	*st;
	char		*cause = NULL;
	int64_t		 due = INT64_MIN, id = INT64_MIN, seen[32];
	int		 i, n = 0, rows, kept = 0;

	s = store_open(":memory:", "OFF", &cause);
	assert_non_null(s);
	for (i = 0; i < 10; i++)
		obligation_add(s, i < 7 ? 1000 : 2000, i % 2 ? "a" : "b");
	do {
		st = store_stmt(s, STMT_COMPLIANCE, "iitiii", due > 0 ? due :
		    (int64_t)0, (int64_t)5000, "a", due, id, (int64_t)3);
		for (rows = 0; store_step(s, st) == SQLITE_ROW; rows++) {
			assert_true(n < 32);
			seen[n++] = sqlite3_column_int64(st, OBL_ID);
			kept += sqlite3_column_int(st, OBL_STATUS + 1);
			due = sqlite3_column_int64(st, OBL_DUE_AT);
			id = sqlite3_column_int64(st, OBL_ID);
		}
		sqlite3_reset(st);
		if (n == 3) {
			obligation_add(s, 500, "a");	/* before: not read */
			obligation_add(s, 3000, "a");	/* after: read */
		}
	} while (rows == 3);
	assert_int_equal(n, 11);
	for (i = 0; i < 10; i++)
		assert_int_equal(seen[i], i + 1);
	assert_int_equal(seen[10], 12);
	assert_int_equal(kept, 6);
	store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_and_reopen),
		cmocka_unit_test(test_one_writer),
		cmocka_unit_test(test_savepoint),
		cmocka_unit_test(test_newer_schema_refused),
		cmocka_unit_test(test_timeline_prune_only),
		cmocka_unit_test(test_backup),
		cmocka_unit_test(test_compliance_keyset),
	};
	char	cmd[512];
	int	rc;

	if (mkdtemp(dir) == NULL)
		return (1);
	snprintf(path, sizeof(path), "%s/t.db", dir);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = 1;
	return (rc);
}
