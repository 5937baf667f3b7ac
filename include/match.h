/*
 * Matching: which procedures take an event, whether an event meets an
 * obligation, and the grade the classify functions give it.  It reads the
 * rules and the event and writes nothing, so the engine and the benchmark
 * run the same code; the engine turns each failure into an event.rejected
 * action.
 */
#ifndef MATCH_H
#define MATCH_H

#include <stddef.h>
#include <stdint.h>

struct match;
struct names;
struct procedure;
struct recurring;
struct record;
struct rules;

/* One event as the rules see it, for as long as the engine applies it. */
struct match_event;

/* A rule function that failed on the event, in the order it was called. */
struct match_failure {
	const struct procedure	*procedure;
	char			*cause;
};

struct match_set {
	const struct procedure	**v;		/* in declaration order */
	size_t			  n;
	struct match_failure	 *failed;
	size_t			  nfailed;
};

struct match_event	*match_event_new(struct rules *, const struct record *);
void			 match_event_free(struct match_event *);
int64_t			 match_event_usec(const struct match_event *);
int			 match_given(const struct match *);
int			 match_test(struct match_event *, const struct match *,
			     char **);
void			 match_procedures(struct match_event *,
			     struct match_set *);
int			 match_classify(struct match_event *,
			     const struct procedure *const *, size_t,
			     struct match_set *);
void			 match_set_clear(struct match_set *);
int			 match_recurring_units(struct rules *,
			     const struct recurring *, struct names *,
			     char **);

#endif
