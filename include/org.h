/*
 * The organisation: who a role means at a given moment, and on which
 * channels they are told.  SPEC §5: telling a role notifies every member on
 * their channels; a group's own channel (its webhook robot) once.
 */
#ifndef ORG_H
#define ORG_H

#include <stddef.h>
#include <stdint.h>

struct person;
struct rules;

#define ORG_MOBILES_MAX	32

/* mobiles: the person's phone, or the phones of a group's members, for
 * robots that @-mention the people a message concerns. */
struct recipient {
	const char	*id;		/* person or group id */
	const char	*name;		/* display name */
	const char	*phone;		/* NULL for a group */
	const char	*channel;
	const char	*mobiles[ORG_MOBILES_MAX];
	size_t		 nmobiles;
	/*
	 * A person told by their own notify_rules: the person (their later
	 * steps are the engine's to schedule) and the step, 1-based, whose
	 * channel this is; NULL and 0 otherwise.
	 */
	const struct person *person;
	int		 personal_step;
};

struct roster;

/* What a notify name resolved to: org_choose. */
struct org_choice {
	const char	*target;	/* the name org_resolve is given */
	const char	*unit;		/* the unit whose binding it is */
	const char	*fallback;	/* NULL; "site": the site's role of
					   that name; "office": nobody held it */
};

typedef void (*org_cb)(const struct recipient *, void *);

int		 org_resolve(const struct rules *, const char *, const char *,
		     int64_t, org_cb, void *);
const char	*org_on_duty(const struct roster *, int64_t);
void		 org_choose(const struct rules *, const char *, const char *,
		     const char *, int64_t, struct org_choice *);

#endif
