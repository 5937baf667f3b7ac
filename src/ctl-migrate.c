/*
 * tocsinctl migrate --from FILE.db --to postgresql://...: the embedded
 * database copied into an empty PostgreSQL database, then checked table
 * by table (store-migrate.c).  Run with tocsind stopped; the file is
 * read, never written, and stays the fallback until the daemon runs on
 * PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "store-migrate.h"
#include "store.h"
#include "xmalloc.h"

static void
ctl_migrate_report(const struct store_migrate_result *res)
{
	const struct store_migrate_table	*t;
	size_t					 i;
	int64_t					 rows = 0;

	printf("%-20s %10s %10s  %-16s  %s\n", "TABLE", "ROWS", "COPIED",
	    "DIGEST", "CHECK");
	for (i = 0; i < res->ntables; i++) {
		t = &res->tables[i];
		rows += t->rows;
		printf("%-20s %10lld %10lld  %.16s  %s\n", t->name,
		    (long long)t->rows, (long long)t->rows_pg, t->digest,
		    t->rows == t->rows_pg && strcmp(t->digest,
		    t->digest_pg) == 0 ? "ok" : "DIFFERS");
	}
	printf("migrate: %zu tables, %lld rows, schema %d (the file's was "
	    "%d) in %.2f s: %s\n", res->ntables, (long long)rows,
	    res->version, res->from_version, res->seconds,
	    res->mismatches == 0 ? "every row checked" :
	    "the copy differs; do not start tocsind on it");
}

int
ctl_migrate(const struct ctl_env *env, int argc, char **argv)
{
	struct store_migrate_result	 res;
	const char			*from = NULL;
	char				*to = NULL, *cause, *desc;
	int				 a, rc;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--from") == 0 && a + 1 < argc)
			from = argv[++a];
		else if (strcmp(argv[a], "--to") == 0 && a + 1 < argc) {
			free(to);
			to = xstrdup(argv[++a]);
			store_describe_in_place(argv[a]);
		}
		else
			break;
	}
	if (from == NULL || to == NULL || a != argc ||
	    (strncmp(to, "postgresql://", 13) != 0 &&
	    strncmp(to, "postgres://", 11) != 0)) {
		fprintf(stderr, "usage: tocsinctl migrate --from FILE.db "
		    "--to postgresql://USER@HOST/DB\n");
		free(to);
		return (2);
	}
	desc = store_describe(to);
	if (store_migrate(from, to, &res, &cause) != 0) {
		fprintf(stderr, "tocsinctl: migrate %s to %s: %s\n", from, desc,
		    cause);
		free(cause);
		rc = 1;
	} else {
		printf("migrate: %s to %s\n", from, desc);
		ctl_migrate_report(&res);
		rc = res.mismatches == 0 ? 0 : 1;
	}
	store_migrate_result_free(&res);
	free(desc);
	free(to);
	return (rc);
}
