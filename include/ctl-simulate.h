/*
 * The engine on a virtual clock over a private in-memory store, as
 * `tocsinctl simulate`, `test` and `replay` run it (ctl-simulate.c).  The
 * caller feeds events in time order and lets time run on; every action
 * goes to the sink, as one line of SPEC §6's timeline.
 */
#ifndef CTL_SIMULATE_H
#define CTL_SIMULATE_H

#include <jansson.h>
#include <stdint.h>

#include "engine.h"

struct names;
struct record_error;
struct simulation;

/*
 * messages: each notify action also carries "message": the title and the
 * text as the log channel writes them (an acknowledgement link's token
 * cut out, so the output stays the same on every run).  NULL, with every
 * problem printed to stderr, when the site or its rules are bad.
 */
struct simulation	*simulation_new(const char *, const struct names *,
			    int, engine_sink, void *);
void			 simulation_free(struct simulation *);
/*
 * One event (without "at") received at a time no earlier than the last:
 * 0 taken, 1 refused (the reason in the error), -1 the store failed.
 */
int	simulation_submit(struct simulation *, json_t *, int64_t,
	    struct record_error *);
/* Fire every timer due up to a time, each at its own time. */
int	simulation_run_until(struct simulation *, int64_t);

#endif
