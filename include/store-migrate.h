/*
 * An embedded (SQLite) database copied into an empty PostgreSQL one and
 * checked row for row (tocsinctl migrate; SPEC §9).
 */
#ifndef STORE_MIGRATE_H
#define STORE_MIGRATE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_MIGRATE_DIGEST	65	/* SHA-256 in hex, and its NUL */

/* One table: its rows and digest on each side. */
struct store_migrate_table {
	char		*name;
	int64_t		 rows;		/* copied from SQLite */
	int64_t		 rows_pg;	/* read back from PostgreSQL */
	char		 digest[STORE_MIGRATE_DIGEST];
	char		 digest_pg[STORE_MIGRATE_DIGEST];
	int64_t		 next_id;	/* the identity's next value, or 0 */
};

struct store_migrate_result {
	int				 from_version;	/* the file's */
	int				 version;	/* both copies' */
	size_t				 ntables;
	struct store_migrate_table	*tables;	/* in copy order */
	size_t				 mismatches;
	double				 seconds;
};

/*
 * Copy the SQLite database src (never written: a private copy is
 * upgraded) into the empty PostgreSQL database url, then compare.
 * 0 when copied (check res->mismatches), -1 with *cause set.
 */
int	store_migrate(const char *src, const char *url,
	    struct store_migrate_result *res, char **cause);
void	store_migrate_result_free(struct store_migrate_result *);

#endif
