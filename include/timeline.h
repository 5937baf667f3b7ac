/*
 * Timeline actions (SPEC §6): every decision the engine makes, as one JSON
 * object with its fields in a fixed order.  The same text goes to the
 * audit table, to the log and to `tocsinctl simulate`.
 */
#ifndef TIMELINE_H
#define TIMELINE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct action {
	int64_t		 at;
	const char	*kind;
	const char	*incident;
	const char	*recurring;
	const char	*unit;
	int		 grade;		/* 0: unknown, left out */
	const char	*procedure;
	const char	*obligation;
	const char	*policy;
	int		 step;		/* 0: not from a policy step */
	const char	*role;
	const char	*recipient;
	const char	*channel;
	json_t		*extra;		/* borrowed; appended in its order */
};

char	*timeline_json(const struct action *);
char	*timeline_json_jansson(const struct action *);

/* What a rule test may name: every kind, every field (NULL past the end). */
const char *const	*timeline_kind_names(size_t *);
const char		*timeline_field_name(size_t);

#endif
