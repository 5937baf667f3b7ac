/*
 * The shift's handover (交接班): who takes over a roster's duty and when,
 * and the summary they are given (engine-handover.c sends it, GET
 * /v1/handover shows it as the shift's 值班记录).
 */
#ifndef HANDOVER_H
#define HANDOVER_H

#include <stdint.h>

#include <jansson.h>

struct roster;
struct rules;
struct store;

/* A shift of a roster: [at, until), whom it has on, who handed over. */
struct handover_shift {
	const struct roster	*roster;
	int64_t			 at;
	int64_t			 until;
	const char		*incoming;
	const char		*outgoing;
};

int64_t	 handover_next(const struct roster *, int64_t);
void	 handover_shift_at(const struct roster *, int64_t,
	    struct handover_shift *);
struct store_units;
json_t	*handover_summary(struct store *, const struct rules *,
	    const struct handover_shift *, const struct store_units *);
char	*handover_text(const json_t *, const char *);

#endif
