/*
 * The problems and warnings found loading a site: the rules (rules.c),
 * their vocabulary (rules-api.c) and the channels (channel.c) each add
 * theirs, file:line first; a set with any problem is refused whole.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "rules.h"
#include "xmalloc.h"

void
rules_problems_add(struct rules_problems *p, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
	p->v[p->n++] = s;
}

void
rules_problems_clear(struct rules_problems *p)
{
	size_t	i;

	for (i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}
