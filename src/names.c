/*
 * A list of names (roles, units, tags, tokens' units...): what the rules,
 * the engine and the API pass around.  Each name is a copy the list owns.
 */
#include <stdio.h>
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

/* Edit distance, an adjacent swap counting one (optimal string alignment). */
static size_t
names_distance(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), i, j, c, best;
	size_t	d[3][65];	/* rows i-2, i-1, i of the table */

	if (la > 64 || lb > 64)
		return ((size_t)-1);
	for (j = 0; j <= lb; j++)
		d[0][j] = d[1][j] = j;
	for (i = 1; i <= la; i++) {
		size_t	*prev2 = d[(i + 1) % 3], *prev = d[(i + 2) % 3],
			*cur = d[i % 3];

		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			c = a[i - 1] != b[j - 1];
			best = prev[j - 1] + c;
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
	}
	return (d[la % 3][lb]);
}

/* The known word nearest to word, if it is near enough to be a typo: the
 * "did you mean" of --check and of tocsinctl test. */
const char *
names_closest(const char *word, const char *const *v, size_t n)
{
	const char	*best = NULL;
	size_t		 i, d, bestd = (size_t)-1, limit;

	limit = strlen(word) / 3 > 1 ? strlen(word) / 3 : 1;
	for (i = 0; i < n; i++) {
		if ((d = names_distance(word, v[i])) < bestd) {
			bestd = d;
			best = v[i];
		}
	}
	return (bestd <= limit ? best : NULL);
}

/*
 * " (did you mean \"x\"?)" when a known word is near word, else "": how
 * every problem that names an unknown word suggests the known one.
 */
const char *
names_suggest(const char *word, const char *const *v, size_t n, char *buf,
    size_t len)
{
	const char	*near = names_closest(word, v, n);

	if (near == NULL || len == 0) {
		if (len > 0)
			*buf = '\0';
		return (buf);
	}
	snprintf(buf, len, " (did you mean \"%s\"?)", near);
	return (buf);
}
