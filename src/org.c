/*
 * Role resolution.  A name in a notify list may be a declared role (which
 * maps a category, or "default", to a person, group or further role), a
 * roster (whoever is on duty at the moment of the notification), a person,
 * a group, or a role that people and groups hold.  All that apply
 * are told, each (recipient, channel) pair once, in declaration order so
 * that the timeline is the same on every run.
 *
 * A unit role ("unit.principal", "parent.office") is first turned into
 * one of those names by the units (org_choose): who the unit binds, or
 * its parents, or the site.
 */
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "org.h"
#include "rules.h"
#include "xmalloc.h"

#define ORG_DEPTH_MAX	8
#define ORG_SEEN_MAX	256

struct org_walk {
	const struct rules	*rules;
	const char		*category;
	int64_t			 at;
	org_cb			 cb;
	void			*arg;
	const char		*seen[ORG_SEEN_MAX][2];	/* id, channel */
	size_t			 nseen;
	int			 told;
};

static void
org_tell(struct org_walk *w, struct recipient *r, const char *channel)
{
	size_t	i;

	for (i = 0; i < w->nseen; i++) {
		if (strcmp(w->seen[i][0], r->id) == 0 &&
		    strcmp(w->seen[i][1], channel) == 0)
			return;
	}
	if (w->nseen < ORG_SEEN_MAX) {
		w->seen[w->nseen][0] = r->id;
		w->seen[w->nseen][1] = channel;
		w->nseen++;
	}
	r->channel = channel;
	w->cb(r, w->arg);
	w->told++;
}

/*
 * A person with their own notify_rules is told now on the channels of
 * the steps taken at once; the later steps are the engine's, since only
 * it knows whether the incident is acknowledged meanwhile.
 */
static void
org_person_rules(struct org_walk *w, struct recipient *r,
    const struct person *p)
{
	size_t	i, j;

	r->person = p;
	for (i = 0; i < p->nnotify_rules && p->notify_rules[i].after == 0;
	    i++) {
		r->personal_step = (int)i + 1;
		for (j = 0; j < p->notify_rules[i].channels.n; j++)
			org_tell(w, r, p->notify_rules[i].channels.v[j]);
	}
}

static void
org_person(struct org_walk *w, const struct person *p)
{
	struct recipient	r;
	size_t			i;

	memset(&r, 0, sizeof(r));
	r.id = p->id;
	r.name = p->name != NULL ? p->name : p->id;
	r.phone = p->phone;
	if (p->phone != NULL)
		r.mobiles[r.nmobiles++] = p->phone;
	if (p->notify_rules != NULL) {
		org_person_rules(w, &r, p);
		return;
	}
	for (i = 0; i < p->channels.n; i++)
		org_tell(w, &r, p->channels.v[i]);
}

static void
org_group(struct org_walk *w, const struct group *g)
{
	struct recipient	 r;
	const struct person	*p;
	size_t			 i;

	memset(&r, 0, sizeof(r));
	r.id = g->id;
	r.name = g->name != NULL ? g->name : g->id;
	for (i = 0; i < g->members.n && r.nmobiles < ORG_MOBILES_MAX; i++) {
		p = rules_person_find(w->rules, g->members.v[i]);
		if (p != NULL && p->phone != NULL)
			r.mobiles[r.nmobiles++] = p->phone;
	}
	for (i = 0; i < g->channels.n; i++)
		org_tell(w, &r, g->channels.v[i]);
	for (i = 0; i < g->members.n; i++) {
		if ((p = rules_person_find(w->rules, g->members.v[i])) != NULL)
			org_person(w, p);
	}
}

/*
 * Who a roster has on duty at `at`: the shift's day is the local date of
 * at - handover, so a 08:30 handover keeps last night's officer until
 * 08:30.  A dated entry wins; otherwise turns run from start, `every` days
 * each, and wrap (before start they count backwards the same way).
 */
const char *
org_on_duty(const struct roster *ro, int64_t at)
{
	int64_t	day, turn, n = (int64_t)ro->rotation.n;
	size_t	i;

	day = calendar_day_number(at - ro->handover);
	for (i = 0; i < ro->on_targets.n; i++) {
		if (ro->on_days[i] == day)
			return (ro->on_targets.v[i]);
	}
	if (n == 0)
		return (NULL);
	turn = (day - ro->start_day) / ro->every;
	if ((day - ro->start_day) % ro->every < 0)
		turn--;		/* floor, not truncation, before start */
	return (ro->rotation.v[((turn % n) + n) % n]);
}

static void
org_walk(struct org_walk *w, const char *name, int depth)
{
	const struct roster	*ro;
	const struct role	*role;
	const struct person	*p;
	const struct group	*g;
	const char		*target = NULL;
	size_t			 i, n;

	if (depth > ORG_DEPTH_MAX)
		return;
	if ((role = rules_role_find(w->rules, name)) != NULL) {
		for (i = 0; i < role->keys.n; i++) {
			if (w->category != NULL &&
			    strcmp(role->keys.v[i], w->category) == 0)
				target = role->targets.v[i];
		}
		for (i = 0; target == NULL && i < role->keys.n; i++) {
			if (strcmp(role->keys.v[i], "default") == 0)
				target = role->targets.v[i];
		}
		if (target != NULL && strcmp(target, name) != 0)
			org_walk(w, target, depth + 1);
	}
	if ((ro = rules_roster_find(w->rules, name)) != NULL &&
	    (target = org_on_duty(ro, w->at)) != NULL &&
	    strcmp(target, name) != 0)
		org_walk(w, target, depth + 1);
	if ((p = rules_person_find(w->rules, name)) != NULL)
		org_person(w, p);
	if ((g = rules_group_find(w->rules, name)) != NULL)
		org_group(w, g);
	n = rules_person_count(w->rules);
	for (i = 0; i < n; i++) {
		p = rules_person(w->rules, i);
		if (names_has(&p->roles, name))
			org_person(w, p);
	}
	n = rules_group_count(w->rules);
	for (i = 0; i < n; i++) {
		g = rules_group(w->rules, i);
		if (names_has(&g->roles, name))
			org_group(w, g);
	}
}

/* Call cb for each (recipient, channel) the role reaches at `at`; returns
 * the count. */
int
org_resolve(const struct rules *rules, const char *role, const char *category,
    int64_t at, org_cb cb, void *arg)
{
	struct org_walk	*w;
	int		 told;

	w = xcalloc(1, sizeof(*w));
	w->rules = rules;
	w->category = category;
	w->at = at;
	w->cb = cb;
	w->arg = arg;
	org_walk(w, role, 0);
	told = w->told;
	free(w);
	return (told);
}

static void
org_count_cb(const struct recipient *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
}

/* Does name reach anyone at `at`? */
static int
org_reaches(const struct rules *rules, const char *name, const char *category,
    int64_t at)
{
	int	n = 0;

	org_resolve(rules, name, category, at, org_count_cb, &n);
	return (n > 0);
}

/*
 * Whom a notify name means for an incident or report of unit (SPEC §5a).
 * A plain role is itself.  "unit.R" starts at the unit, "parent.R" at its
 * parent, "parent.parent.R" one higher; a unit whose binding for R
 * reaches nobody (none, or an empty roster) gives way to its parent, the
 * top to the site's own R, and a site where R reaches nobody to its
 * office: never nobody.
 */
void
org_choose(const struct rules *rules, const char *role, const char *unit,
    const char *category, int64_t at, struct org_choice *c)
{
	const struct unit	*u;
	const char		*name, *bound;
	size_t			 depth;
	int			 up;

	memset(c, 0, sizeof(*c));
	c->target = role;
	if (rules_unit_role_parse(role, &up, &name) != 1)
		return;
	u = rules_unit_find(rules, unit);
	for (; up > 0 && u != NULL; up--)
		u = rules_unit_find(rules, u->parent);
	for (depth = 0; u != NULL && depth <= rules_unit_count(rules);
	    depth++) {
		bound = rules_unit_binding(u, name);
		if (bound != NULL && org_reaches(rules, bound, category, at)) {
			c->target = bound;
			c->unit = u->id;
			return;
		}
		u = rules_unit_find(rules, u->parent);
	}
	if (org_reaches(rules, name, category, at)) {
		c->target = name;
		c->fallback = "site";
		return;
	}
	c->target = "office";
	c->fallback = "office";
}
