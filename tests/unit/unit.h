/*
 * What several unit tests share: a temporary directory for site files,
 * made by the group setup and removed by its teardown, loading a site
 * from text, and a count read from a SQLite file.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stddef.h>
#include <stdint.h>

struct rules;
struct rules_problems;

int		 unit_setup(void **);
int		 unit_teardown(void **);
struct rules	*unit_load(const char *, struct rules_problems *);
struct rules	*unit_load_ok(const char *);
void		 unit_write(const char *, const char *, size_t);
void		 unit_load_refused(const char *, const char *);
int64_t		 unit_count(const char *, const char *);

#endif
