/* store.c: migrations, refusal of newer schemas, savepoints. */
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_and_reopen),
		cmocka_unit_test(test_savepoint),
		cmocka_unit_test(test_newer_schema_refused),
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
