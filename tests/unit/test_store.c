/*
 * store.c: migrations, refusal of newer schemas, savepoints, the timeline
 * that only a prune may shorten.
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
	/* The id is unique: the same id twice is refused by the schema. */
	assert_int_equal(store_run(s, STMT_EVENT_INSERT, "ttttiit", "e1",
	    "report", "k", "u", (int64_t)1, (int64_t)1, "{}"), -1);
	store_close(s);

	assert_null(store_open(path, "SOMETIMES", &cause));
	assert_non_null(strstr(cause, "synchronous"));
	free(cause);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_and_reopen),
		cmocka_unit_test(test_savepoint),
		cmocka_unit_test(test_newer_schema_refused),
		cmocka_unit_test(test_timeline_prune_only),
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
