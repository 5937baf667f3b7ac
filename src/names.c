/*
 * A list of names (roles, units, tags, tokens' units...): what the rules,
 * the engine and the API pass around.  Each name is a copy the list owns.
 */
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "xmalloc.h"

void
names_add(struct names *n, const char *s)
{
	n->v = xreallocarray(n->v, n->n + 1, sizeof(*n->v));
	n->v[n->n++] = xstrdup(s);
}

int
names_has(const struct names *n, const char *s)
{
	size_t	i;

	for (i = 0; i < n->n; i++) {
		if (strcmp(n->v[i], s) == 0)
			return (1);
	}
	return (0);
}

void
names_free(struct names *n)
{
	size_t	i;

	for (i = 0; i < n->n; i++)
		free(n->v[i]);
	free(n->v);
	n->v = NULL;
	n->n = 0;
}
