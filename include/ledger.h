/*
 * The ledger by hierarchy (SPEC §5a): obligations counted per unit and
 * status, and rolled up the unit tree, so that a county sees each
 * hospital's 迟报/漏报 and its own subtree's totals -- the basis of a
 * monthly 通报.  Pure: the counts come from the store (GROUP BY unit,
 * status), the tree from the rules.  ledger.c.
 */
#ifndef LEDGER_H
#define LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "tocsin.h"

struct rules;

struct ledger_row {
	char		*unit;			/* "" for none */
	int64_t		 own[OBLIGATION__COUNT];	/* the unit's own */
	int64_t		 total[OBLIGATION__COUNT];	/* with those below */
};

struct ledger;

struct ledger	*ledger_new(void);
void		 ledger_free(struct ledger *);
void		 ledger_add(struct ledger *, const char *,
		     enum obligation_status, int64_t);
void		 ledger_rollup(struct ledger *, const struct rules *);
size_t		 ledger_count(const struct ledger *);
const struct ledger_row *ledger_row(const struct ledger *, size_t);

#endif
