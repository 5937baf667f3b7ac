/*
 * Inside the rules subsystem: the loaded rule set, shared by rules.c (load,
 * look-ups, cross-checks) and rules-api.c (the Lua vocabulary that fills
 * it).  Nothing outside those two files includes this.
 */
#ifndef RULES_INT_H
#define RULES_INT_H

#include <lua.h>

#include "rules.h"

/*
 * Procedures by the value of one match key: procs[start[i]] up to
 * procs[start[i + 1]] are the procedures, in declaration order, whose
 * table matches that key against keys[i].  keys are sorted.
 */
struct rules_index {
	const char	**keys;
	size_t		 *start;
	size_t		 *procs;
	size_t		  nkeys;
};

struct rules {
	char			*site_path;
	char			*site_dir;
	struct sandbox		*sandbox;
	struct calendar		*calendar;
	size_t			 holiday_days;	/* dates listed, in all */
	struct site		 site;
	int			 site_declared;

	struct procedure	**procedures;
	size_t			  nprocedures;
	struct policy		**policies;
	size_t			  npolicies;
	struct recurring	**recurrings;
	size_t			  nrecurrings;
	struct period		**periods;
	size_t			  nperiods;
	struct person		**persons;
	size_t			  npersons;
	struct group		**groups;
	size_t			  ngroups;
	struct role		**roles;
	size_t			  nroles;
	struct roster		**rosters;
	size_t			  nrosters;
	struct channel_def	**channels;
	size_t			  nchannels;
	struct token_def	**tokens;
	size_t			  ntokens;
	struct unit		**units;	/* declared and from units_csv */
	size_t			  nunits;
	size_t			 *unit_order;	/* units by id, once checked */
	struct names		  event_types;	/* declared beyond the built-in */
	/* Settings (rules-api.c): what the site gives, what packs read. */
	struct names		  settings_given;	/* settings { } keys */
	char			**settings_where;	/* ... file:line each */
	struct names		  settings_declared;	/* setting "name" */

	/* Which procedures an event could match: see rules_candidates. */
	struct rules_index	  by_category;
	struct rules_index	  by_type;
	size_t			 *unindexed;	/* functions, other keys */
	size_t			  nunindexed;

	struct rules_problems	*problems;
	struct rules_problems	 warnings;	/* loadable, but likely wrong */
};

/*
 * A step of the path to a key inside a declaration's table: a name, or
 * (name NULL) an integer key, [n] = or the nth item of a list.
 */
struct rules_key {
	const char	*name;
	long long	 index;
};
#define RULES_KEY_DEPTH	8

void	rules_api_open(lua_State *, struct rules *);
void	rules_api_settings_check(struct rules *);
char	*rules_path_resolve(const struct rules *, const char *);
int	 rules_target_known(const struct rules *, const char *);
const char *rules_target_suggest(const struct rules *, const char *, char *,
	    size_t);

/* rules-units.c */
struct unit	*rules_unit_new(struct rules *, const char *, const char *);
void		 rules_unit_free(struct unit *);
void		 rules_units_csv(struct rules *, const char *, const char *);
void		 rules_units_check(struct rules *);
int		 rules_notify_known(const struct rules *, const char *);

/* rules-where.c */
int		 rules_where_line(const char *, size_t, int, const char *,
		     const char *, const struct rules_key *, size_t);
const char	*rules_where(const struct rules *, const char *, const char *,
		     const char *, const struct rules_key *, size_t, char *,
		     size_t);

#endif
