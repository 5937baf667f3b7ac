/*
 * The ledger by hierarchy: rows by unit id, kept sorted so that a unit
 * is found by bisection while its ancestors are added.  A unit's own
 * counts are what the store counted for it; its total adds those of every
 * unit below it (ledger_rollup), walking each counted unit's parents once
 * -- work bounded by the units counted times the tree's depth.
 */
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "rules.h"
#include "xmalloc.h"

struct ledger {
	struct ledger_row	**rows;
	size_t			  n;
	size_t			  cap;
};

struct ledger *
ledger_new(void)
{
	return (xcalloc(1, sizeof(struct ledger)));
}

void
ledger_free(struct ledger *l)
{
	size_t	i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->rows[i]->unit);
		free(l->rows[i]);
	}
	free(l->rows);
	free(l);
}

/* The row of unit, added in its place when there is none. */
static struct ledger_row *
ledger_find(struct ledger *l, const char *unit)
{
	size_t			 lo = 0, hi = l->n, mid;
	struct ledger_row	*row;
	int			 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(unit, l->rows[mid]->unit)) == 0)
			return (l->rows[mid]);
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->rows = xreallocarray(l->rows, l->cap, sizeof(*l->rows));
	}
	memmove(&l->rows[lo + 1], &l->rows[lo], (l->n - lo) *
	    sizeof(*l->rows));
	row = xcalloc(1, sizeof(*row));
	row->unit = xstrdup(unit);
	l->rows[lo] = row;
	l->n++;
	return (row);
}

/* n obligations of unit (NULL: none named) in status. */
void
ledger_add(struct ledger *l, const char *unit, enum obligation_status st,
    int64_t n)
{
	struct ledger_row	*row;

	if ((unsigned)st >= OBLIGATION__COUNT)
		return;
	row = ledger_find(l, unit != NULL ? unit : "");
	row->own[st] += n;
	row->total[st] += n;
}

/*
 * Add each unit's own counts into every ancestor's total, adding the
 * ancestors that had none of their own.  A site's tree has no loops
 * (rules-units.c refuses them); the walk is bounded by the units anyway.
 */
void
ledger_rollup(struct ledger *l, const struct rules *r)
{
	const struct unit	*u;
	struct ledger_row	*up;
	size_t			 i, depth, max = rules_unit_count(r);
	char			**counted;
	size_t			 n = l->n, k;
	int64_t			 own[OBLIGATION__COUNT];

	/* The rows move as ancestors are added: walk a copy of the names. */
	counted = xcalloc(n ? n : 1, sizeof(*counted));
	for (i = 0; i < n; i++)
		counted[i] = xstrdup(l->rows[i]->unit);
	for (i = 0; i < n; i++) {
		memcpy(own, ledger_find(l, counted[i])->own, sizeof(own));
		u = rules_unit_find(r, counted[i]);
		for (depth = 0; u != NULL && u->parent != NULL &&
		    depth < max; depth++) {
			up = ledger_find(l, u->parent);
			for (k = 0; k < OBLIGATION__COUNT; k++)
				up->total[k] += own[k];
			u = rules_unit_find(r, u->parent);
		}
		free(counted[i]);
	}
	free(counted);
}

size_t
ledger_count(const struct ledger *l)
{
	return (l->n);
}

const struct ledger_row *
ledger_row(const struct ledger *l, size_t i)
{
	return (i < l->n ? l->rows[i] : NULL);
}
