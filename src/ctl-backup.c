/*
 * tocsinctl backup [--db PATH] [--quick] FILE: a consistent copy of the
 * live database, made here as a reader (store-backup.c), not by the
 * daemon.  The daemon keeps its one writer connection and its loop; a
 * copy that takes minutes costs it nothing but a WAL that cannot be
 * checkpointed past our snapshot until we finish.  Without --db the
 * daemon is asked where its database is (GET /v1/status), so the backup
 * runs on the daemon's host.  A PostgreSQL database (a postgresql:// or
 * postgres:// URL) is dumped with pg_dump instead (ctl-backup-pg.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"
#include "store.h"
#include "store-backup.h"
#include "xmalloc.h"

/* The daemon's database path, from GET /v1/status; NULL after saying why. */
static char *
ctl_backup_ask(const struct ctl_env *env)
{
	json_t		*json;
	const char	*path;
	char		*s = NULL;
	long		 status;

	if ((json = ctl_request(env, "GET", "/v1/status", NULL, 0, &status)) ==
	    NULL)
		return (NULL);
	path = json_string_value(json_object_get(json_object_get(json,
	    "database"), "path"));
	if (path == NULL || *path == '\0')
		fprintf(stderr, "tocsinctl: the daemon did not say where its "
		    "database is; use --db PATH\n");
	else
		s = xstrdup(path);
	json_decref(json);
	return (s);
}

int
ctl_backup(const struct ctl_env *env, int argc, char **argv)
{
	struct store_backup_result	 res;
	const char			*file = NULL;
	char				*db = NULL, *cause;
	int				 a, quick = 0, rc, db_given = 0;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--db") == 0 && a + 1 < argc) {
			free(db);
			db = xstrdup(argv[++a]);
			store_describe_in_place(argv[a]);
			db_given = 1;
		} else if (strcmp(argv[a], "--quick") == 0)
			quick = 1;
		else if (argv[a][0] != '-' && file == NULL)
			file = argv[a];
		else
			break;
	}
	if (file == NULL || a != argc) {
		fprintf(stderr, "usage: tocsinctl backup [--db PATH|URL] "
		    "[--quick] FILE\n");
		free(db);
		return (2);
	}
	if (db == NULL && (db = ctl_backup_ask(env)) == NULL)
		return (1);
	if (strncmp(db, "postgresql://", 13) == 0 ||
	    strncmp(db, "postgres://", 11) == 0) {
		rc = ctl_backup_pg(db, !db_given, file);
		free(db);
		return (rc);
	}
	if (store_backup(db, file, quick, &res, &cause) != 0) {
		fprintf(stderr, "tocsinctl: backup: %s\n", cause);
		free(cause);
		rc = 1;
	} else {
		printf("backup: %s: %lld pages of %lld bytes from %s in %.2f s; "
		    "%s ok in %.2f s\n", file, (long long)res.pages,
		    (long long)res.page_size, db, res.seconds, quick ?
		    "quick_check" : "integrity_check", res.check_seconds);
		rc = 0;
	}
	free(db);
	return (rc);
}
