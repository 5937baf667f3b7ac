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

struct jsonw;

/*
 * What an action concerns, and who it told: the one struct a timeline
 * action and a notification (message.h) both carry, written by both in
 * this order by timeline_concern_jsonw().  A new field is a line here and
 * a line in timeline.c's table of concern fields.  What is NULL or 0 is
 * left out.
 */
struct concern {
	const char	*incident;
	const char	*recurring;
	const char	*unit;
	const char	*unit_name;	/* a notification's only; NULL: none */
	int		 grade;		/* 0: unknown, left out */
	const char	*procedure;
	const char	*obligation;
	int		 instance;	/* of a repeating one; 0: left out */
	const char	*policy;
	int		 step;		/* 0: not from a policy step */
	const char	*role;
	const char	*recipient;
	const char	*recipient_name;	/* a notification's only */
	const char	*phone;			/* a notification's only */
	const char	*channel;
};

struct action {
	int64_t		 at;
	const char	*kind;
	struct concern	 c;
	json_t		*extra;		/* borrowed; appended in its order */
};

char	*timeline_json(const struct action *);
char	*timeline_json_jansson(const struct action *);

/*
 * A concern's fields, for an action (note 0: a value jansson would refuse
 * is left out; a person's name and phone stay out of the audit trail) or
 * a notification (note 1: role, recipient, its name and channel are
 * required, and a missing one or a value that is not UTF-8 returns -1).
 */
int	timeline_concern_jsonw(struct jsonw *, const struct concern *, int);
int	timeline_concern_jansson(json_t *, const struct concern *, int);

/* What a rule test may name: every kind, every field (NULL past the end). */
const char *const	*timeline_kind_names(size_t *);
const char		*timeline_field_name(size_t);

#endif
