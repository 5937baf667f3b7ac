/* Schema migrations of the store; used by store.c only. */
#ifndef STORE_SCHEMA_H
#define STORE_SCHEMA_H

#include <sqlite3.h>

int	store_schema_latest(void);
int	store_schema_migrate(sqlite3 *, char **);
int	store_schema_migrate_to(sqlite3 *, int, char **);

#endif
