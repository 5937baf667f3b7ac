/*
 * A list of names: roles, units, period tags, a token's units.  names.c.
 */
#ifndef NAMES_H
#define NAMES_H

#include <stddef.h>

struct names {
	char		**v;
	size_t		  n;
};

int	names_has(const struct names *, const char *);
void	names_add(struct names *, const char *);
void	names_free(struct names *);
const char *names_closest(const char *, const char *const *, size_t);
const char *names_suggest(const char *, const char *const *, size_t, char *,
	    size_t);

#endif
