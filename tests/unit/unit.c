/*
 * Shared by the unit tests that load sites from text (see unit.h).  The
 * site goes to DIR/site.lua, so problems read "site.lua:LINE: ...".
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

#include "calendar.h"
#include "rules.h"
#include "unit.h"

static char	unit_dir[] = "/tmp/tocsin-unit-XXXXXX";
static char	unit_site[sizeof(unit_dir) + 16];
static char	unit_files[16][sizeof(unit_dir) + 64];
static size_t	unit_nfiles;

int
unit_setup(void **state)
{
	char	*cause = NULL;

	if (calendar_set_zone("Asia/Shanghai", &cause) != 0) {
		free(cause);
		return (-1);
	}
	if (mkdtemp(unit_dir) == NULL)
		return (-1);
	snprintf(unit_site, sizeof(unit_site), "%s/site.lua", unit_dir);
	return (0);
}

int
unit_teardown(void **state)
{
	size_t	i;

	for (i = 0; i < unit_nfiles; i++)
		unlink(unit_files[i]);
	unlink(unit_site);
	rmdir(unit_dir);
	return (0);
}

/* The rules of a site written as text, or NULL with problems filled. */
struct rules *
unit_load(const char *text, struct rules_problems *problems)
{
	FILE	*f;

	f = fopen(unit_site, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return (rules_load(unit_site, NULL, problems));
}

/* The same, for a site that must load: any problem fails the test. */
struct rules *
unit_load_ok(const char *text)
{
	struct rules_problems	 problems = { NULL, 0 };
	struct rules		*r;
	size_t			 i;

	r = unit_load(text, &problems);
	for (i = 0; i < problems.n; i++)
		fprintf(stderr, "%s\n", problems.v[i]);
	rules_problems_clear(&problems);
	assert_non_null(r);
	return (r);
}

/* Another file beside the site (a units CSV), len bytes; the teardown
 * removes it. */
void
unit_write(const char *name, const char *text, size_t len)
{
	FILE	*f;
	char	 path[sizeof(unit_files[0])];

	snprintf(path, sizeof(path), "%s/%s", unit_dir, name);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	if (unit_nfiles < 16)
		snprintf(unit_files[unit_nfiles++], sizeof(unit_files[0]), "%s",
		    path);
}

/* The site text is refused, and one of its problems mentions needle. */
void
unit_load_refused(const char *text, const char *needle)
{
	struct rules_problems	 problems = { NULL, 0 };
	struct rules		*r;
	size_t			 i;
	int			 found = 0;

	r = unit_load(text, &problems);
	assert_null(r);
	for (i = 0; i < problems.n; i++)
		found |= strstr(problems.v[i], needle) != NULL;
	if (!found) {
		for (i = 0; i < problems.n; i++)
			fprintf(stderr, "  got: %s\n", problems.v[i]);
		fail_msg("no problem mentions \"%s\"", needle);
	}
	rules_problems_clear(&problems);
}

/* One number from a SQLite file, read on a connection of its own. */
int64_t
unit_count(const char *path, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	int64_t		 n;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return (n);
}
