/*
 * Loading a rule set: the site file first, then every rule pack directory
 * it names (or the ones given with --rules), each file in name order, all
 * in one fresh sandbox.  After loading, the cross-references are checked:
 * every policy, role and channel a declaration names must exist.  A rule
 * set with any problem is not returned; the caller keeps what it had.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "log.h"
#include "record.h"
#include "rules-int.h"
#include "sandbox.h"
#include "store.h"
#include "xmalloc.h"

#define RULES_DEFAULT_LISTEN		"127.0.0.1:8470"
#define RULES_DEFAULT_TIMEZONE		"Asia/Shanghai"
#define RULES_DEFAULT_BODY_LIMIT	(1024 * 1024)
#define RULES_DEFAULT_INSTRUCTIONS	1000000L
#define RULES_DEFAULT_MEMORY		(64 * 1024 * 1024)
#define RULES_DEFAULT_NOTIFY_DEADLINE	(24 * MSEC_PER_HOUR)
/* A request's headers, all of them, and its body (http-conn.c). */
#define RULES_DEFAULT_HEADER_TIMEOUT	(10 * 1000)
#define RULES_DEFAULT_BODY_TIMEOUT	(30 * 1000)
#define RULES_DEFAULT_LEASE		(5 * 1000)	/* docs/cluster.md */

/* What loading the files may spend; the fuzz build sets small limits. */
#ifndef RULES_LOAD_INSTRUCTIONS
#define RULES_LOAD_INSTRUCTIONS		(RULES_DEFAULT_INSTRUCTIONS * 10)
#endif
#ifndef RULES_LOAD_MEMORY
#define RULES_LOAD_MEMORY		RULES_DEFAULT_MEMORY
#endif

/* A path from the site file, relative to the site file's directory. */
char *
rules_path_resolve(const struct rules *r, const char *path)
{
	char	*s;

	if (path[0] == '/')
		return (xstrdup(path));
	xasprintf(&s, "%s/%s", r->site_dir, path);
	return (s);
}

static int
rules_name_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

static int
rules_is_site_file(const char *name)
{
	size_t	len = strlen(name);

	return (len >= 8 && strcmp(name + len - 8, "site.lua") == 0);
}

/* Every *.lua in dir, in name order; site files (*site.lua) are skipped. */
static void
rules_load_dir(struct rules *r, const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	struct names	 files = { NULL, 0 };
	size_t		 i, len;
	char		*path, *cause;

	if ((d = opendir(dir)) == NULL) {
		rules_problems_add(r->problems, "%s: %s", dir,
		    strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".lua") != 0 ||
		    de->d_name[0] == '.' || rules_is_site_file(de->d_name))
			continue;
		names_add(&files, de->d_name);
	}
	closedir(d);
	if (files.n > 0)
		qsort(files.v, files.n, sizeof(*files.v), rules_name_cmp);
	for (i = 0; i < files.n; i++) {
		xasprintf(&path, "%s/%s", dir, files.v[i]);
		if (sandbox_load_file(r->sandbox, path, &cause) != 0) {
			rules_problems_add(r->problems, "%s", cause);
			free(cause);
		}
		free(path);
	}
	names_free(&files);
}

/* Is name something a notification can reach: a role, person or group? */
int
rules_target_known(const struct rules *r, const char *name)
{
	size_t	i;

	if (rules_role_find(r, name) != NULL ||
	    rules_roster_find(r, name) != NULL ||
	    rules_person_find(r, name) != NULL ||
	    rules_group_find(r, name) != NULL)
		return (1);
	for (i = 0; i < r->npersons; i++) {
		if (names_has(&r->persons[i]->roles, name))
			return (1);
	}
	for (i = 0; i < r->ngroups; i++) {
		if (names_has(&r->groups[i]->roles, name))
			return (1);
	}
	return (0);
}

/* Why rules_notify_known said no, for the problem it makes. */
static const char *
rules_unknown_why(const char *name)
{
	const char	*role;
	int		 up;

	switch (rules_unit_role_parse(name, &up, &role)) {
	case 0:
		return ("no role, person or group of that name, and nobody "
		    "holds it");
	case 1:
		return ("no unit binds that role, and the site has no role "
		    "of that name");
	}
	return ("a unit role is unit.NAME, parent.NAME or "
	    "parent.parent.NAME");
}

/*
 * The known name nearest an unknown notify target, as names_suggest
 * gives it: the site's roles, rosters, people and groups, the roles they
 * hold, and the unit roles units bind.
 */
const char *
rules_target_suggest(const struct rules *r, const char *name, char *buf,
    size_t len)
{
	struct names	 c = { NULL, 0 };
	char		*s;
	size_t		 i, j;

#define RULES_NAMES(array, count, field)				\
	for (i = 0; i < r->count; i++)					\
		names_add(&c, r->array[i]->field)
	RULES_NAMES(roles, nroles, name);
	RULES_NAMES(rosters, nrosters, name);
	RULES_NAMES(persons, npersons, id);
	RULES_NAMES(groups, ngroups, id);
#undef RULES_NAMES
	for (i = 0; i < r->npersons; i++) {
		for (j = 0; j < r->persons[i]->roles.n; j++)
			names_add(&c, r->persons[i]->roles.v[j]);
	}
	for (i = 0; i < r->ngroups; i++) {
		for (j = 0; j < r->groups[i]->roles.n; j++)
			names_add(&c, r->groups[i]->roles.v[j]);
	}
	for (i = 0; i < r->nunits; i++) {
		for (j = 0; j < r->units[i]->role_keys.n; j++) {
			xasprintf(&s, "unit.%s", r->units[i]->role_keys.v[j]);
			names_add(&c, s);
			free(s);
			xasprintf(&s, "parent.%s", r->units[i]->role_keys.v[j]);
			names_add(&c, s);
			free(s);
		}
	}
	names_suggest(name, (const char *const *)c.v, c.n, buf, len);
	names_free(&c);
	return (buf);
}

/*
 * A declaration's notify targets (the names at path in kind "name"
 * declared at where) must each reach someone.
 */
static void
rules_check_targets(struct rules *r, const char *where, const char *kind,
    const char *name, const struct rules_key *path, size_t depth,
    const struct names *n)
{
	char	at[600], near[256];
	size_t	i;

	for (i = 0; i < n->n; i++) {
		if (rules_notify_known(r, n->v[i]))
			continue;
		/* A near name says more than why this one is unknown. */
		if (*rules_target_suggest(r, n->v[i], near, sizeof(near)) ==
		    '\0')
			snprintf(near, sizeof(near), " (%s)",
			    rules_unknown_why(n->v[i]));
		rules_problems_add(r->problems, "%s: %s \"%s\": unknown role "
		    "\"%s\"%s", rules_where(r, where, kind, name, path, depth,
		    at, sizeof(at)), kind, name, n->v[i], near);
	}
}

static void
rules_check_duplicates(struct rules *r)
{
	size_t	i, j;

	for (i = 0; i < r->nprocedures; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(r->procedures[i]->name,
			    r->procedures[j]->name) == 0)
				rules_problems_add(r->problems, "%s: procedure "
				    "\"%s\" is already declared at %s",
				    r->procedures[i]->where,
				    r->procedures[i]->name,
				    r->procedures[j]->where);
		}
	}
	for (i = 0; i < r->npolicies; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(r->policies[i]->name,
			    r->policies[j]->name) == 0)
				rules_problems_add(r->problems, "%s: policy "
				    "\"%s\" is already declared at %s",
				    r->policies[i]->where,
				    r->policies[i]->name,
				    r->policies[j]->where);
		}
	}
	for (i = 0; i < r->nchannels; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(r->channels[i]->name,
			    r->channels[j]->name) == 0)
				rules_problems_add(r->problems, "%s: channel "
				    "\"%s\" is already declared at %s",
				    r->channels[i]->where,
				    r->channels[i]->name,
				    r->channels[j]->where);
		}
	}
}

/* A names list's problem: name, not one of those in v, at key of kind. */
static void
rules_check_unknown(struct rules *r, const char *where, const char *kind,
    const char *id, const char *key, const char *what, const char *name,
    const char *const *v, size_t n)
{
	struct rules_key	 path = { key, 0 };
	char			 at[600], near[256];

	rules_problems_add(r->problems, "%s: %s \"%s\": unknown %s \"%s\"%s",
	    rules_where(r, where, kind, id, &path, 1, at, sizeof(at)), kind,
	    id, what, name, names_suggest(name, v, n, near, sizeof(near)));
}

static void
rules_check_channels(struct rules *r, const char *where, const char *kind,
    const char *id, const struct names *n)
{
	const char	**v;
	size_t		  i;

	v = xcalloc(r->nchannels + 1, sizeof(*v));
	for (i = 0; i < r->nchannels; i++)
		v[i] = r->channels[i]->name;
	for (i = 0; i < n->n; i++) {
		if (rules_channel_find(r, n->v[i]) == NULL)
			rules_check_unknown(r, where, kind, id, "channels",
			    "channel", n->v[i], v, r->nchannels);
	}
	free(v);
}

/* A person's notify_rules name declared channels, at the item's line. */
static void
rules_check_notify_rules(struct rules *r, const struct person *pe)
{
	struct rules_key	 path[3];
	const struct names	*n;
	const char		**v;
	char			 at[600], near[256];
	size_t			 i, j;

	v = xcalloc(r->nchannels + 1, sizeof(*v));
	for (i = 0; i < r->nchannels; i++)
		v[i] = r->channels[i]->name;
	path[0].name = "notify_rules";
	path[0].index = 0;
	path[1].name = path[2].name = NULL;
	for (i = 0; i < pe->nnotify_rules; i++) {
		n = &pe->notify_rules[i].channels;
		for (j = 0; j < n->n; j++) {
			if (rules_channel_find(r, n->v[j]) != NULL)
				continue;
			path[1].index = (long long)i + 1;
			path[2].index = (long long)j + 1;
			rules_problems_add(r->problems, "%s: person \"%s\": "
			    "notify_rules step %zu: unknown channel \"%s\"%s",
			    rules_where(r, pe->where, "person", pe->id, path, 3,
			    at, sizeof(at)), pe->id, i + 1, n->v[j],
			    names_suggest(n->v[j], v, r->nchannels, near,
			    sizeof(near)));
		}
	}
	free(v);
}

/* The known policy nearest name, as names_suggest gives it. */
static const char *
rules_policy_suggest(const struct rules *r, const char *name, char *buf,
    size_t len)
{
	const char	**v;
	size_t		  i;

	v = xcalloc(r->npolicies + 1, sizeof(*v));
	for (i = 0; i < r->npolicies; i++)
		v[i] = r->policies[i]->name;
	names_suggest(name, v, r->npolicies, buf, len);
	free(v);
	return (buf);
}

/* A roster names people, groups or roles, and no name twice. */
static void
rules_check_rosters(struct rules *r)
{
	static const struct rules_key rotation = { "rotation", 0 },
				 on = { "on", 0 };
	const struct roster	*ro;
	char			 what[256];
	size_t			 i, j;

	for (i = 0; i < r->nrosters; i++) {
		ro = r->rosters[i];
		snprintf(what, sizeof(what), "roster \"%s\"", ro->name);
		rules_check_targets(r, ro->where, "roster", ro->name,
		    &rotation, 1, &ro->rotation);
		rules_check_targets(r, ro->where, "roster", ro->name, &on, 1,
		    &ro->on_targets);
		if (rules_role_find(r, ro->name) != NULL)
			rules_problems_add(r->problems, "%s: %s: a role of "
			    "the same name is declared too", ro->where, what);
		for (j = 0; j < i; j++) {
			if (strcmp(r->rosters[j]->name, ro->name) == 0)
				rules_problems_add(r->problems, "%s: %s is "
				    "already declared at %s", ro->where, what,
				    r->rosters[j]->where);
		}
	}
}

/*
 * The path to key (NULL: to the obligation) of an obligation: its place
 * in the obligations list, under grades[g] when set at a grade.
 */
static size_t
rules_obligation_path(const struct obligation_def *o, const char *key,
    struct rules_key *path)
{
	size_t	n = 0;

	if (o->grade > 0) {
		path[n].name = "grades";
		path[n++].index = 0;
		path[n].name = NULL;
		path[n++].index = o->grade;
	}
	path[n].name = "obligations";
	path[n++].index = 0;
	path[n].name = NULL;
	path[n++].index = o->item;
	if (key != NULL) {
		path[n].name = key;
		path[n++].index = 0;
	}
	return (n);
}

/* An obligation's policy, owner and id. */
static void
rules_check_obligation(struct rules *r, const struct procedure *proc,
    size_t j)
{
	const struct obligation_def	*o = &proc->obligations[j];
	struct rules_key		 path[5];
	char				 at[600], near[256];
	size_t				 k, n;

	for (k = 0; k < j; k++) {
		if (o->id != NULL && proc->obligations[k].id != NULL &&
		    strcmp(o->id, proc->obligations[k].id) == 0) {
			n = rules_obligation_path(o, "id", path);
			rules_problems_add(r->problems, "%s: procedure \"%s\": "
			    "obligation \"%s\" is declared twice",
			    rules_where(r, proc->where, "procedure",
			    proc->name, path, n, at, sizeof(at)), proc->name,
			    o->id);
		}
	}
	if (o->on_breach != NULL && rules_policy_find(r, o->on_breach) ==
	    NULL) {
		n = rules_obligation_path(o, "on_breach", path);
		rules_problems_add(r->problems, "%s: procedure \"%s\": "
		    "obligation \"%s\": unknown policy \"%s\"%s", rules_where(r,
		    proc->where, "procedure", proc->name, path, n, at,
		    sizeof(at)), proc->name, o->id, o->on_breach,
		    rules_policy_suggest(r, o->on_breach, near, sizeof(near)));
	}
	if (o->owner != NULL && !rules_notify_known(r, o->owner)) {
		n = rules_obligation_path(o, "owner", path);
		rules_problems_add(r->problems, "%s: procedure \"%s\": "
		    "obligation \"%s\": unknown owner role \"%s\"%s",
		    rules_where(r, proc->where, "procedure", proc->name, path,
		    n, at, sizeof(at)), proc->name, o->id, o->owner,
		    rules_target_suggest(r, o->owner, near, sizeof(near)));
	}
	if (o->on_breach == NULL && o->owner == NULL) {
		n = rules_obligation_path(o, NULL, path);
		rules_problems_add(r->problems, "%s: procedure \"%s\": "
		    "obligation \"%s\" tells nobody when it is breached: give "
		    "it an owner or on_breach", rules_where(r, proc->where,
		    "procedure", proc->name, path, n, at, sizeof(at)),
		    proc->name, o->id);
	}
}

/* Whom a procedure tells, and its obligations. */
static void
rules_check_procedure(struct rules *r, const struct procedure *proc)
{
	struct rules_key	path[3];
	size_t			j;
	int			g;

	memset(path, 0, sizeof(path));
	path[0].name = "on_open";
	path[1].name = "notify";
	rules_check_targets(r, proc->where, "procedure", proc->name, path, 2,
	    &proc->on_open);
	path[0].name = "grades";
	path[2].name = "notify";
	for (g = GRADE_MIN; g <= GRADE_MAX; g++) {
		path[1].name = NULL;
		path[1].index = g;
		rules_check_targets(r, proc->where, "procedure", proc->name,
		    path, 3, &proc->grades[g]);
	}
	path[0].name = "periods";
	for (j = 0; j < proc->period_tags.n; j++) {
		path[1].name = proc->period_tags.v[j];
		rules_check_targets(r, proc->where, "procedure", proc->name,
		    path, 3, &proc->period_notify[j]);
	}
	for (j = 0; j < proc->nobligations; j++)
		rules_check_obligation(r, proc, j);
}

static void
rules_check_recurring(struct rules *r, size_t i)
{
	const struct recurring	*rc = r->recurrings[i];
	struct rules_key	 key = { NULL, 0 };
	char			 at[600], near[256];
	size_t			 j;

	if (rc->on_breach != NULL && rules_policy_find(r, rc->on_breach) ==
	    NULL) {
		key.name = "on_breach";
		rules_problems_add(r->problems, "%s: recurring \"%s\": unknown "
		    "policy \"%s\"%s", rules_where(r, rc->where, "recurring",
		    rc->name, &key, 1, at, sizeof(at)), rc->name, rc->on_breach,
		    rules_policy_suggest(r, rc->on_breach, near, sizeof(near)));
	}
	if (rc->owner != NULL && !rules_notify_known(r, rc->owner)) {
		key.name = "owner";
		rules_problems_add(r->problems, "%s: recurring \"%s\": unknown "
		    "owner role \"%s\"%s", rules_where(r, rc->where,
		    "recurring", rc->name, &key, 1, at, sizeof(at)), rc->name,
		    rc->owner, rules_target_suggest(r, rc->owner, near,
		    sizeof(near)));
	}
	for (j = 0; j < i; j++) {
		if (strcmp(r->recurrings[j]->name, rc->name) == 0)
			rules_problems_add(r->problems, "%s: recurring \"%s\" "
			    "is already declared at %s", rc->where, rc->name,
			    r->recurrings[j]->where);
	}
}

/* People, groups and roles: channels, members and targets that exist. */
static void
rules_check_org(struct rules *r)
{
	const char	**persons;
	struct rules_key key = { NULL, 0 };
	char		  at[600], near[256];
	size_t		  i, j;

	for (i = 0; i < r->nroles; i++) {
		for (j = 0; j < r->roles[i]->targets.n; j++) {
			if (rules_target_known(r, r->roles[i]->targets.v[j]))
				continue;
			key.name = r->roles[i]->keys.v[j];
			rules_problems_add(r->problems, "%s: role \"%s\": "
			    "unknown target \"%s\"%s", rules_where(r,
			    r->roles[i]->where, "role", r->roles[i]->name,
			    &key, 1, at, sizeof(at)), r->roles[i]->name,
			    r->roles[i]->targets.v[j], rules_target_suggest(r,
			    r->roles[i]->targets.v[j], near, sizeof(near)));
		}
	}
	for (i = 0; i < r->npersons; i++) {
		rules_check_channels(r, r->persons[i]->where, "person",
		    r->persons[i]->id, &r->persons[i]->channels);
		rules_check_notify_rules(r, r->persons[i]);
	}
	persons = xcalloc(r->npersons + 1, sizeof(*persons));
	for (i = 0; i < r->npersons; i++)
		persons[i] = r->persons[i]->id;
	for (i = 0; i < r->ngroups; i++) {
		rules_check_channels(r, r->groups[i]->where, "group",
		    r->groups[i]->id, &r->groups[i]->channels);
		for (j = 0; j < r->groups[i]->members.n; j++) {
			if (rules_person_find(r, r->groups[i]->members.v[j]) ==
			    NULL)
				rules_check_unknown(r, r->groups[i]->where,
				    "group", r->groups[i]->id, "members",
				    "member", r->groups[i]->members.v[j],
				    persons, r->npersons);
		}
	}
	/* A person token names a declared person: acts are theirs. */
	for (i = 0; i < r->ntokens; i++) {
		if (r->tokens[i]->person != NULL &&
		    rules_person_find(r, r->tokens[i]->person) == NULL)
			rules_check_unknown(r, r->tokens[i]->where, "token",
			    r->tokens[i]->name, "person", "person",
			    r->tokens[i]->person, persons, r->npersons);
	}
	free(persons);
}

/*
 * The alarm tells of delivery in trouble, so it must go another way than
 * the channels it watches: a known channel, not the site's only one, to a
 * role that reaches someone.
 */
static void
rules_check_alarm(struct rules *r)
{
	const struct site_alarm	*a = &r->site.alarm;
	char			 near[256];

	if (a->channel == NULL)
		return;
	if (rules_channel_find(r, a->channel) == NULL)
		rules_problems_add(r->problems, "%s: site: alarm: unknown "
		    "channel \"%s\"", a->where, a->channel);
	else if (r->nchannels == 1)
		rules_problems_add(r->problems, "%s: site: alarm: \"%s\" is "
		    "the site's only channel; the alarm must reach the office "
		    "another way than the channels it watches: declare the "
		    "others, or a channel of its own", a->where, a->channel);
	if (rules_notify_known(r, a->to))
		return;
	if (*rules_target_suggest(r, a->to, near, sizeof(near)) == '\0')
		snprintf(near, sizeof(near), " (%s)", rules_unknown_why(a->to));
	rules_problems_add(r->problems, "%s: site: alarm: unknown role "
	    "\"%s\"%s", a->where, a->to, near);
}

/* The handover's roster and channel exist; said at the key's line. */
static void
rules_check_handover(struct rules *r)
{
	const struct site_handover	*h = &r->site.handover;
	struct rules_key		 path[2] = { { "handover", 0 },
					     { NULL, 0 } };
	char				 at[512];

	if (h->roster == NULL)
		return;
	if (rules_roster_find(r, h->roster) == NULL) {
		path[1].name = "roster";
		rules_problems_add(r->problems, "%s: site: handover: unknown "
		    "roster \"%s\": the summary goes to whom a roster has on "
		    "duty", rules_where(r, h->where, "site", NULL, path, 2, at,
		    sizeof(at)), h->roster);
	}
	if (h->channel != NULL && rules_channel_find(r, h->channel) == NULL) {
		path[1].name = "channel";
		rules_problems_add(r->problems, "%s: site: handover: unknown "
		    "channel \"%s\"", rules_where(r, h->where, "site", NULL,
		    path, 2, at, sizeof(at)), h->channel);
	}
}

static void
rules_check(struct rules *r)
{
	struct rules_key	path[2] = { { NULL, 0 }, { "notify", 0 } };
	size_t			i, j;

	rules_check_duplicates(r);
	rules_units_check(r);
	rules_check_alarm(r);
	rules_check_handover(r);
	for (i = 0; i < r->nprocedures; i++)
		rules_check_procedure(r, r->procedures[i]);
	for (i = 0; i < r->nrecurrings; i++)
		rules_check_recurring(r, i);
	for (i = 0; i < r->npolicies; i++) {
		for (j = 0; j < r->policies[i]->nsteps; j++) {
			path[0].index = (long long)j + 1;
			rules_check_targets(r, r->policies[i]->where, "policy",
			    r->policies[i]->name, path, 2,
			    &r->policies[i]->steps[j].notify);
		}
	}
	rules_check_org(r);
	rules_check_rosters(r);
	rules_api_settings_check(r);
}

/* A procedure's table match term for key, or NULL (also for a function). */
static const struct match_term *
rules_match_term(const struct match *m, const char *key)
{
	size_t	i;

	if (m->ref != LUA_NOREF)
		return (NULL);
	for (i = 0; i < m->nterms; i++) {
		if (strcmp(m->terms[i].key, key) == 0)
			return (&m->terms[i]);
	}
	return (NULL);
}

static int
names_meet(const struct names *a, const struct names *b)
{
	size_t	i;

	for (i = 0; i < a->n; i++) {
		if (names_has(b, a->v[i]))
			return (1);
	}
	return (0);
}

/*
 * Why a procedure's match can never be true, or NULL.  Procedures are
 * matched when a report opens an incident, with the grade as 1..4; a
 * function is opaque.
 */
static const char *
rules_never_matches(const struct procedure *p)
{
	static const char *const grades[] = { "1", "2", "3", "4" };
	const struct match_term	*t;
	size_t			 i, j;

	if (p->match.ref != LUA_NOREF)
		return (NULL);
	for (i = 0; i < p->match.nterms; i++) {
		if (p->match.terms[i].values.n == 0)
			return ("a match term lists no values");
	}
	if ((t = rules_match_term(&p->match, "type")) != NULL &&
	    !names_has(&t->values, "report"))
		return ("only a \"report\" opens an incident, and its match "
		    "wants another type");
	if ((t = rules_match_term(&p->match, "grade")) != NULL) {
		for (i = j = 0; i < nitems(grades); i++)
			j += names_has(&t->values, grades[i]);
		if (j == 0)
			return ("it matches no grade from 1 to 4");
	}
	return (NULL);
}

/* Could one event match both table matches?  Functions: unknown, no. */
static int
rules_matches_overlap(const struct match *a, const struct match *b)
{
	const struct match_term	*other;
	size_t			 i;

	if (a->ref != LUA_NOREF || b->ref != LUA_NOREF)
		return (0);
	for (i = 0; i < a->nterms; i++) {
		other = rules_match_term(b, a->terms[i].key);
		if (other != NULL && !names_meet(&a->terms[i].values,
		    &other->values))
			return (0);
	}
	return (1);
}

/* The first role both procedures tell on opening or grading, or NULL. */
static const char *
rules_shared_notify(const struct procedure *a, const struct procedure *b)
{
	size_t	i;
	int	g;

	for (i = 0; i < a->on_open.n; i++) {
		if (names_has(&b->on_open, a->on_open.v[i]))
			return (a->on_open.v[i]);
	}
	for (g = GRADE_MIN; g <= GRADE_MAX; g++) {
		for (i = 0; i < a->grades[g].n; i++) {
			if (names_has(&b->grades[g], a->grades[g].v[i]))
				return (a->grades[g].v[i]);
		}
	}
	return (NULL);
}

/* A duration as it is written: "90s", "30m", "2h", "3d", "5cd", "10wd". */
static void
rules_duration_text(const struct duration *d, char *buf, size_t len)
{
	static const struct {
		int64_t		 ms;
		const char	*unit;
	} units[] = {
		{ MSEC_PER_DAY, "d" }, { MSEC_PER_HOUR, "h" },
		{ MSEC_PER_MIN, "m" }, { MSEC_PER_SEC, "s" },
	};
	size_t	i;

	if (d->kind != DURATION_ELAPSED) {
		snprintf(buf, len, "%lld%s", (long long)d->value,
		    d->kind == DURATION_CALENDAR_DAYS ? "cd" : "wd");
		return;
	}
	for (i = 0; i < nitems(units) - 1; i++) {
		if (d->value % units[i].ms == 0)
			break;
	}
	snprintf(buf, len, "%lld%s", (long long)(d->value / units[i].ms),
	    units[i].unit);
}

/*
 * The least time a due can give, in ms: n calendar or working days end at
 * 24:00 of the last one, so they last at least n whole days.
 */
static int64_t
rules_due_least(const struct duration *d)
{
	return (d->kind == DURATION_ELAPSED ? d->value : d->value *
	    MSEC_PER_DAY);
}

/*
 * The tightest of an obligation's dues (by grade, in a period), or NULL;
 * when it is not the plain due, when says where it applies.
 */
static const struct duration *
rules_due_tightest(const struct obligation_def *o, char *when, size_t len)
{
	const struct duration	*best = NULL;
	size_t			 i;
	int			 g;

	*when = '\0';
	if (o->due.value > 0)
		best = &o->due;
	for (g = GRADE_MIN; g <= GRADE_MAX; g++) {
		if ((o->due_by_grade_set & (1u << g)) && (best == NULL ||
		    rules_due_least(&o->due_by_grade[g]) <
		    rules_due_least(best))) {
			best = &o->due_by_grade[g];
			snprintf(when, len, " at grade %d", g);
		}
	}
	for (i = 0; o->due_in != NULL && i < o->due_in_tags.n; i++) {
		if (best == NULL || rules_due_least(&o->due_in[i]) <
		    rules_due_least(best)) {
			best = &o->due_in[i];
			snprintf(when, len, " in a period tagged \"%s\"",
			    o->due_in_tags.v[i]);
		}
	}
	return (best);
}

/*
 * A reminder as long as its deadline or longer would fall before the
 * obligation is set: engine_obligation_timers() drops it, so no one is
 * ever reminded.
 */
static void
rules_lint_remind(struct rules *r, const struct procedure *p,
    const struct obligation_def *o)
{
	const struct duration	*due;
	struct rules_key	 path[5];
	char			 lead[32], limit[32], when[128], at[600];
	size_t			 i, n;

	n = rules_obligation_path(o, "remind", path);
	due = rules_due_tightest(o, when, sizeof(when));
	for (i = 0; due != NULL && i < o->nremind; i++) {
		if (o->remind[i].value < rules_due_least(due))
			continue;
		rules_duration_text(&o->remind[i], lead, sizeof(lead));
		rules_duration_text(due, limit, sizeof(limit));
		rules_problems_add(&r->warnings, "%s: warning: procedure "
		    "\"%s\" obligation \"%s\": remind \"%s\" is not shorter "
		    "than its deadline can be (due \"%s\"%s): it would fall "
		    "before the obligation is set, and is never sent",
		    rules_where(r, p->where, "procedure", p->name, path, n, at,
		    sizeof(at)), p->name, o->id, lead, limit, when);
	}
}

/* The known event type nearest type, as names_suggest gives it. */
static const char *
rules_type_suggest(const struct rules *r, const char *type, char *buf,
    size_t len)
{
	const char *const	*builtin;
	struct names		 c = { NULL, 0 };
	size_t			 i, n;

	builtin = record_types_builtin(&n);
	for (i = 0; i < n; i++)
		names_add(&c, builtin[i]);
	for (i = 0; i < r->event_types.n; i++)
		names_add(&c, r->event_types.v[i]);
	names_suggest(type, (const char *const *)c.v, c.n, buf, len);
	names_free(&c);
	return (buf);
}

/*
 * A met_by type no event will carry: neither built in nor declared.  The
 * warning points at the met_by's type key, path (depth keys) inside kind
 * "name".
 */
static void
rules_lint_met_by(struct rules *r, const char *where, const char *kind,
    const char *name, const char *what, struct rules_key *path,
    size_t depth, const struct match *met_by)
{
	const struct match_term	*t;
	char			 at[600], near[256];
	size_t			 i;

	if ((t = rules_match_term(met_by, "type")) == NULL)
		return;
	path[depth].name = "met_by";
	path[depth + 1].name = "type";
	for (i = 0; i < t->values.n; i++) {
		if (record_type_builtin(t->values.v[i]) ||
		    names_has(&r->event_types, t->values.v[i]))
			continue;
		rules_type_suggest(r, t->values.v[i], near, sizeof(near));
		rules_problems_add(&r->warnings, "%s: warning: %s: met_by type "
		    "\"%s\" is not built in and no pack or site declares it "
		    "(event_type \"%s\" { title = \"...\" }): a typo?%s",
		    rules_where(r, where, kind, name, path, depth + 2, at,
		    sizeof(at)), what, t->values.v[i], t->values.v[i], near);
	}
}

/* Obligations: reminders and met_by types. */
static void
rules_lint_obligations(struct rules *r)
{
	const struct procedure		*p;
	const struct obligation_def	*o;
	struct rules_key		 path[7];
	char				 what[512];
	size_t				 i, j, n;

	memset(path, 0, sizeof(path));
	for (i = 0; i < r->nprocedures; i++) {
		p = r->procedures[i];
		for (j = 0; j < p->nobligations; j++) {
			o = &p->obligations[j];
			rules_lint_remind(r, p, o);
			snprintf(what, sizeof(what), "procedure \"%s\" "
			    "obligation \"%s\"", p->name, o->id);
			n = rules_obligation_path(o, NULL, path);
			rules_lint_met_by(r, p->where, "procedure", p->name,
			    what, path, n, &o->met_by);
		}
	}
	for (i = 0; i < r->nrecurrings; i++) {
		snprintf(what, sizeof(what), "recurring \"%s\"",
		    r->recurrings[i]->name);
		rules_lint_met_by(r, r->recurrings[i]->where, "recurring",
		    r->recurrings[i]->name, what, path, 0,
		    &r->recurrings[i]->met_by);
	}
}

/*
 * Providers that sign their callbacks over the URL they called (Twilio's
 * X-Twilio-Signature): without the site's public_url tocsind cannot
 * rebuild that URL, so every status report and reply is refused (403).
 */
static const struct rules_url_signer {
	const char	*kind;
	const char	*provider;
	const char	*label;
} rules_url_signers[] = {
	{ "sms", "twilio", "Twilio" },
};

static void
rules_lint_callbacks(struct rules *r)
{
	const struct rules_url_signer	*u;
	const struct channel_def	*def;
	const char			*provider;
	char				 at[600];
	size_t				 i, j;

	if (r->site.public_url != NULL)
		return;
	for (i = 0; i < r->nchannels; i++) {
		def = r->channels[i];
		provider = json_string_value(json_object_get(def->options,
		    "provider"));
		if (def->kind == NULL || provider == NULL ||
		    json_object_get(def->options, "callback_token") == NULL)
			continue;
		for (j = 0; j < nitems(rules_url_signers); j++) {
			u = &rules_url_signers[j];
			if (strcmp(def->kind, u->kind) != 0 ||
			    strcmp(provider, u->provider) != 0)
				continue;
			rules_problems_add(&r->warnings, "%s: warning: channel "
			    "\"%s\": %s signs its callbacks over the URL it "
			    "calls, and the site has no public_url: every "
			    "status report and reply will be refused (set "
			    "public_url)", rules_key_where(r, def->where,
			    "channel", def->name, "callback_token", at,
			    sizeof(at)), def->name, u->label);
		}
	}
}

/* Loadable but likely wrong: dead procedures, double notification. */
static void
rules_lint(struct rules *r)
{
	const struct procedure	*p, *q;
	const char		*why, *role;
	size_t			 i, j;

	rules_lint_obligations(r);
	rules_lint_callbacks(r);

	if (!rules_target_known(r, r->site.undelivered_notify))
		rules_problems_add(&r->warnings, "%s: warning: site: nobody is "
		    "told when a notification cannot be delivered: no role "
		    "\"%s\" (set undelivered_notify)", r->site_path,
		    r->site.undelivered_notify);
	/* By default a site without a "duty" role just tells its office. */
	for (i = 0; i < r->site.unmatched.n && !r->site.unmatched_default;
	    i++) {
		if (!rules_target_known(r, r->site.unmatched.v[i]))
			rules_problems_add(&r->warnings, "%s: warning: site: "
			    "unmatched role \"%s\" reaches nobody; a report no "
			    "procedure takes is told to \"office\" instead",
			    r->site_path, r->site.unmatched.v[i]);
	}
	for (i = 0; i < r->nprocedures; i++) {
		p = r->procedures[i];
		if ((why = rules_never_matches(p)) != NULL)
			rules_problems_add(&r->warnings, "%s: warning: "
			    "procedure \"%s\" can never match: %s", p->where,
			    p->name, why);
	}
	for (i = 0; i < r->nprocedures; i++) {
		p = r->procedures[i];
		for (j = i + 1; j < r->nprocedures; j++) {
			q = r->procedures[j];
			if (rules_never_matches(p) != NULL ||
			    rules_never_matches(q) != NULL ||
			    !rules_matches_overlap(&p->match, &q->match) ||
			    (role = rules_shared_notify(p, q)) == NULL)
				continue;
			rules_problems_add(&r->warnings, "%s: warning: "
			    "procedures \"%s\" and \"%s\" (%s) can match the "
			    "same report and both tell \"%s\": it would be "
			    "told twice", q->where, p->name, q->name,
			    p->where, role);
		}
	}
}

struct rules_index_pair {
	const char	*key;
	size_t		 proc;
};

static void
rules_index_add(struct rules_index_pair **v, size_t *n,
    const struct match_term *t, size_t proc)
{
	size_t	i;

	for (i = 0; i < t->values.n; i++) {
		*v = xreallocarray(*v, *n + 1, sizeof(**v));
		(*v)[*n].key = t->values.v[i];
		(*v)[(*n)++].proc = proc;
	}
}

static int
rules_index_pair_cmp(const void *a, const void *b)
{
	const struct rules_index_pair	*x = a, *y = b;
	int				 c;

	if ((c = strcmp(x->key, y->key)) != 0)
		return (c);
	return (x->proc < y->proc ? -1 : x->proc > y->proc);
}

/* Sort the pairs into idx: each key once, its procedures in order. */
static void
rules_index_fill(struct rules_index *idx, struct rules_index_pair *v,
    size_t n)
{
	size_t	i, np = 0;

	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), rules_index_pair_cmp);
	idx->keys = xreallocarray(NULL, n, sizeof(*idx->keys));
	idx->start = xreallocarray(NULL, n + 1, sizeof(*idx->start));
	idx->procs = xreallocarray(NULL, n, sizeof(*idx->procs));
	for (i = 0; i < n; i++) {
		if (i == 0 || strcmp(v[i].key, v[i - 1].key) != 0) {
			idx->keys[idx->nkeys] = v[i].key;
			idx->start[idx->nkeys++] = np;
		} else if (v[i].proc == v[i - 1].proc)
			continue;	/* the same value listed twice */
		idx->procs[np++] = v[i].proc;
	}
	idx->start[idx->nkeys] = np;
}

static void
rules_index_free(struct rules_index *idx)
{
	free(idx->keys);
	free(idx->start);
	free(idx->procs);
	memset(idx, 0, sizeof(*idx));
}

/*
 * Index the procedures whose match is a table by the values of its category
 * term or, without one, its type term: an event can match only those listed
 * under its own category or type.  Match functions and tables on other keys
 * are tried on every event.
 */
static void
rules_index_build(struct rules *r)
{
	struct rules_index_pair		*cat = NULL, *type = NULL;
	const struct match_term		*t;
	size_t				 ncat = 0, ntype = 0, i;

	for (i = 0; i < r->nprocedures; i++) {
		if ((t = rules_match_term(&r->procedures[i]->match,
		    "category")) != NULL)
			rules_index_add(&cat, &ncat, t, i);
		else if ((t = rules_match_term(&r->procedures[i]->match,
		    "type")) != NULL)
			rules_index_add(&type, &ntype, t, i);
		else {
			r->unindexed = xreallocarray(r->unindexed,
			    r->nunindexed + 1, sizeof(*r->unindexed));
			r->unindexed[r->nunindexed++] = i;
		}
	}
	rules_index_fill(&r->by_category, cat, ncat);
	rules_index_fill(&r->by_type, type, ntype);
	free(cat);
	free(type);
	log_debug("rules: match index built procedures=%zu categories=%zu "
	    "types=%zu unindexed=%zu", r->nprocedures, r->by_category.nkeys,
	    r->by_type.nkeys, r->nunindexed);
}

/*
 * A provisional year (no State Council notice yet) is a warning: --check
 * prints it, the daemon logs it at start-up and on reload.  This year and,
 * within CALENDAR_AHEAD_DAYS, the next: deadlines set now reach it.
 */
static void
rules_warn_calendar(struct rules *r)
{
	int	 years[2];
	size_t	 i, n;
	char	*cause;

	n = calendar_years_ahead((int64_t)time(NULL) * MSEC_PER_SEC, years);
	for (i = 0; i < n; i++) {
		if (calendar_check(r->calendar, years[i], &cause) != 0) {
			rules_problems_add(r->problems, "%s: site: %s",
			    r->site_path, cause);
			free(cause);
		} else if (calendar_provisional(r->calendar, years[i]))
			rules_problems_add(&r->warnings, "%s: holidays of %d "
			    "are provisional: no State Council notice (调休) "
			    "for %d; %s until it is added", r->site_path,
			    years[i], years[i], calendar_national(r->calendar) ?
			    "the statutory holidays are off, otherwise "
			    "Monday to Friday are working days" :
			    "Monday to Friday are working days");
	}
}

static void
rules_site_defaults(struct rules *r)
{
	struct site	*s = &r->site;

	if (s->listen == NULL)
		s->listen = xstrdup(RULES_DEFAULT_LISTEN);
	if (s->timezone == NULL)
		s->timezone = xstrdup(RULES_DEFAULT_TIMEZONE);
	if (s->synchronous == NULL)
		s->synchronous = xstrdup("FULL");
	if (s->body_limit == 0)
		s->body_limit = RULES_DEFAULT_BODY_LIMIT;
	if (s->rule_instructions == 0)
		s->rule_instructions = RULES_DEFAULT_INSTRUCTIONS;
	if (s->rule_memory == 0)
		s->rule_memory = RULES_DEFAULT_MEMORY;
	if (s->header_timeout == 0)
		s->header_timeout = RULES_DEFAULT_HEADER_TIMEOUT;
	if (s->body_timeout == 0)
		s->body_timeout = RULES_DEFAULT_BODY_TIMEOUT;
	if (s->lease == 0)
		s->lease = RULES_DEFAULT_LEASE;
	if (s->notify_deadline == 0)
		s->notify_deadline = RULES_DEFAULT_NOTIFY_DEADLINE;
	if (s->undelivered_notify == NULL)
		s->undelivered_notify = xstrdup("office");
	if (s->unmatched.n == 0) {
		s->unmatched_default = 1;
		names_add(&s->unmatched, "office");
		names_add(&s->unmatched, "duty");
	}
}

/*
 * Load the site file at site_path and its rule packs; rule_dirs, when not
 * NULL and not empty, replaces the site's own list (as --rules does).
 * Returns NULL and fills problems when anything is wrong.
 */
struct rules *
rules_load(const char *site_path, const struct names *rule_dirs,
    struct rules_problems *problems)
{
	struct rules		*r;
	struct sandbox_limits	 limits;
	char			 real[PATH_MAX], *copy, *cause, *dir;
	size_t			 i;

	r = xcalloc(1, sizeof(*r));
	r->problems = problems;
	if (realpath(site_path, real) == NULL) {
		rules_problems_add(problems, "%s: %s", site_path,
		    strerror(errno));
		rules_free(r);
		return (NULL);
	}
	r->site_path = xstrdup(site_path);
	copy = xstrdup(real);
	r->site_dir = xstrdup(dirname(copy));
	free(copy);
	r->calendar = calendar_new();

	limits.memory = RULES_LOAD_MEMORY;
	limits.instructions = RULES_LOAD_INSTRUCTIONS;
	if ((r->sandbox = sandbox_new(&limits)) == NULL)
		fatalx("rules: cannot create a Lua state");
	rules_api_open(sandbox_state(r->sandbox), r);
	/*
	 * Kept for problems that point into them, until the caller has
	 * made its own checks (channel options: site.c).
	 */
	sandbox_keep_sources(r->sandbox, 1);

	if (sandbox_load_file(r->sandbox, site_path, &cause) != 0) {
		rules_problems_add(problems, "%s", cause);
		free(cause);
	}
	rules_site_defaults(r);
	/* A PostgreSQL URL is checked, never quoted: it may hold a password. */
	if (r->site.database != NULL &&
	    store_check_name(r->site.database, &cause) != 0) {
		rules_problems_add(problems, "site: database: %s", cause);
		free(cause);
	} else if (r->site.database != NULL &&
	    strstr(r->site.database, "://") == NULL) {
		dir = rules_path_resolve(r, r->site.database);
		free(r->site.database);
		r->site.database = dir;
	}
	if (r->site.spool != NULL) {
		dir = rules_path_resolve(r, r->site.spool);
		free(r->site.spool);
		r->site.spool = dir;
	}
	if (rule_dirs != NULL && rule_dirs->n > 0) {
		for (i = 0; i < rule_dirs->n; i++)
			rules_load_dir(r, rule_dirs->v[i]);
	} else {
		for (i = 0; i < r->site.rules.n; i++) {
			dir = rules_path_resolve(r, r->site.rules.v[i]);
			rules_load_dir(r, dir);
			free(dir);
		}
	}
	if (calendar_set_zone(r->site.timezone, &cause) != 0) {
		rules_problems_add(problems, "%s: site: %s", site_path, cause);
		free(cause);
	}
	rules_warn_calendar(r);
	rules_check(r);
	rules_lint(r);
	limits.memory = r->site.rule_memory;
	limits.instructions = r->site.rule_instructions;
	sandbox_set_limits(r->sandbox, &limits);
	if (problems->n > 0) {
		rules_free(r);
		return (NULL);
	}
	rules_index_build(r);
	r->problems = NULL;
	return (r);
}

static void
match_free(struct match *m)
{
	size_t	i;

	for (i = 0; i < m->nterms; i++) {
		free(m->terms[i].key);
		names_free(&m->terms[i].values);
	}
	free(m->terms);
}

/* What met_by = { all = ... } and until = { ... } hold. */
static void
obligation_lifecycle_free(struct obligation_def *o)
{
	size_t	i;

	for (i = 0; i < o->nmet_all; i++)
		match_free(&o->met_all[i]);
	free(o->met_all);
	match_free(&o->until_match);
}

static void
procedure_free(struct procedure *p)
{
	size_t	i;
	int	g;

	free(p->name);
	free(p->title);
	free(p->where);
	match_free(&p->match);
	names_free(&p->on_open);
	for (g = 0; g <= GRADE_MAX; g++)
		names_free(&p->grades[g]);
	for (i = 0; i < p->period_tags.n; i++)
		names_free(&p->period_notify[i]);
	free(p->period_notify);
	names_free(&p->period_tags);
	messages_free(&p->messages);
	for (i = 0; i < p->nobligations; i++) {
		free(p->obligations[i].id);
		free(p->obligations[i].title);
		free(p->obligations[i].owner);
		free(p->obligations[i].on_breach);
		free(p->obligations[i].remind);
		free(p->obligations[i].due_in);
		names_free(&p->obligations[i].due_in_tags);
		match_free(&p->obligations[i].met_by);
		obligation_lifecycle_free(&p->obligations[i]);
		match_free(&p->obligations[i].from_event);
		match_free(&p->obligations[i].pause_on);
		match_free(&p->obligations[i].resume_on);
		free(p->obligations[i].at);
		free(p->obligations[i].due_attr);
		messages_free(&p->obligations[i].messages);
	}
	free(p->obligations);
	free(p);
}

void
rules_free(struct rules *r)
{
	size_t	i, j;

	if (r == NULL)
		return;
	rules_problems_clear(&r->warnings);
	rules_index_free(&r->by_category);
	rules_index_free(&r->by_type);
	free(r->unindexed);
	for (i = 0; i < r->nprocedures; i++)
		procedure_free(r->procedures[i]);
	free(r->procedures);
	for (i = 0; i < r->npolicies; i++) {
		for (j = 0; j < r->policies[i]->nsteps; j++) {
			names_free(&r->policies[i]->steps[j].notify);
			free(r->policies[i]->steps[j].message);
		}
		free(r->policies[i]->steps);
		free(r->policies[i]->name);
		free(r->policies[i]->where);
		free(r->policies[i]);
	}
	free(r->policies);
	for (i = 0; i < r->nrecurrings; i++) {
		free(r->recurrings[i]->name);
		free(r->recurrings[i]->title);
		free(r->recurrings[i]->owner);
		free(r->recurrings[i]->on_breach);
		free(r->recurrings[i]->where);
		free(r->recurrings[i]->during);
		free(r->recurrings[i]->remind);
		free(r->recurrings[i]->seed);
		free(r->recurrings[i]->rule.dates);
		names_free(&r->recurrings[i]->units);
		match_free(&r->recurrings[i]->met_by);
		messages_free(&r->recurrings[i]->messages);
		free(r->recurrings[i]);
	}
	free(r->recurrings);
	for (i = 0; i < r->nperiods; i++) {
		free(r->periods[i]->name);
		free(r->periods[i]->where);
		names_free(&r->periods[i]->tags);
		free(r->periods[i]);
	}
	free(r->periods);
	for (i = 0; i < r->npersons; i++) {
		free(r->persons[i]->id);
		free(r->persons[i]->name);
		free(r->persons[i]->phone);
		names_free(&r->persons[i]->roles);
		names_free(&r->persons[i]->channels);
		for (j = 0; j < r->persons[i]->nnotify_rules; j++)
			names_free(&r->persons[i]->notify_rules[j].channels);
		free(r->persons[i]->notify_rules);
		free(r->persons[i]->where);
		free(r->persons[i]);
	}
	free(r->persons);
	for (i = 0; i < r->ngroups; i++) {
		free(r->groups[i]->id);
		free(r->groups[i]->name);
		names_free(&r->groups[i]->members);
		names_free(&r->groups[i]->roles);
		names_free(&r->groups[i]->channels);
		free(r->groups[i]->where);
		free(r->groups[i]);
	}
	free(r->groups);
	for (i = 0; i < r->nroles; i++) {
		free(r->roles[i]->name);
		names_free(&r->roles[i]->keys);
		names_free(&r->roles[i]->targets);
		free(r->roles[i]->where);
		free(r->roles[i]);
	}
	free(r->roles);
	for (i = 0; i < r->nrosters; i++) {
		free(r->rosters[i]->name);
		free(r->rosters[i]->where);
		free(r->rosters[i]->on_days);
		names_free(&r->rosters[i]->rotation);
		names_free(&r->rosters[i]->on_targets);
		free(r->rosters[i]);
	}
	free(r->rosters);
	for (i = 0; i < r->nchannels; i++) {
		free(r->channels[i]->name);
		free(r->channels[i]->kind);
		free(r->channels[i]->where);
		json_decref(r->channels[i]->options);
		free(r->channels[i]);
	}
	free(r->channels);
	for (i = 0; i < r->ntokens; i++) {
		free(r->tokens[i]->name);
		if (r->tokens[i]->secret != NULL)
			explicit_bzero(r->tokens[i]->secret,
			    strlen(r->tokens[i]->secret));
		free(r->tokens[i]->secret);
		names_free(&r->tokens[i]->units);
		free(r->tokens[i]->person);
		free(r->tokens[i]->where);
		free(r->tokens[i]);
	}
	free(r->tokens);
	for (i = 0; i < r->nunits; i++)
		rules_unit_free(r->units[i]);
	free(r->units);
	free(r->unit_order);
	free(r->site.listen);
	free(r->site.database);
	free(r->site.synchronous);
	free(r->site.timezone);
	free(r->site.undelivered_notify);
	free(r->site.public_url);
	free(r->site.spool);
	free(r->site.node);
	free(r->site.heartbeat.url);
	free(r->site.heartbeat.method);
	free(r->site.alarm.to);
	free(r->site.alarm.channel);
	free(r->site.alarm.where);
	free(r->site.handover.roster);
	free(r->site.handover.channel);
	free(r->site.handover.where);
	messages_free(&r->site.messages);
	names_free(&r->site.rules);
	names_free(&r->event_types);
	for (i = 0; i < r->settings_given.n; i++)
		free(r->settings_where[i]);
	free(r->settings_where);
	names_free(&r->settings_given);
	names_free(&r->settings_declared);
	names_free(&r->site.unmatched);
	names_free(&r->site.hosts);
	sandbox_free(r->sandbox);
	calendar_free(r->calendar);
	free(r->site_path);
	free(r->site_dir);
	free(r);
}

/* The files' texts are no longer wanted: every check has been made. */
void
rules_drop_sources(struct rules *r)
{
	sandbox_keep_sources(r->sandbox, 0);
}

const struct rules_problems *
rules_warnings(const struct rules *r)
{
	return (&r->warnings);
}

const struct site *
rules_site(const struct rules *r)
{
	return (&r->site);
}

struct sandbox *
rules_sandbox(const struct rules *r)
{
	return (r->sandbox);
}

/* Whether period pe is on during day (a calendar_day_number). */
int
rules_period_on(const struct rules *r, const struct period *pe, int64_t day)
{
	if (pe->holidays >= 0)
		return (calendar_is_holiday(r->calendar, day, pe->holidays));
	return (day >= pe->from_day && day <= pe->to_day);
}

const struct calendar *
rules_calendar(const struct rules *r)
{
	return (r->calendar);
}

size_t
rules_procedure_count(const struct rules *r)
{
	return (r->nprocedures);
}

const struct procedure *
rules_procedure(const struct rules *r, size_t i)
{
	return (r->procedures[i]);
}

/*
 * The categories the procedures match by table (the index's keys, in
 * order), each with the first procedure that takes it: what a form
 * offers for a report's category (GET /v1/categories).
 */
size_t
rules_category_count(const struct rules *r)
{
	return (r->by_category.nkeys);
}

const char *
rules_category(const struct rules *r, size_t i, const struct procedure **p)
{
	*p = r->procedures[r->by_category.procs[r->by_category.start[i]]];
	return (r->by_category.keys[i]);
}

/* The procedures listed under key in idx, or none. */
static const size_t *
rules_index_find(const struct rules_index *idx, const char *key, size_t *n)
{
	size_t	lo = 0, hi = idx->nkeys, mid;
	int	c;

	*n = 0;
	while (key != NULL && lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(key, idx->keys[mid])) == 0) {
			*n = idx->start[mid + 1] - idx->start[mid];
			return (idx->procs + idx->start[mid]);
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (NULL);
}

struct rules_run {
	const size_t	*v;
	size_t		 n;
};

/*
 * The procedures an event could match, as indices in declaration order,
 * given its values for the category and type match keys (NULL: it has
 * none).  v has room for every procedure.  Each candidate must still be
 * tested; the index only leaves out the procedures that cannot match.
 */
size_t
rules_candidates(const struct rules *r, const char *category,
    const char *type, size_t *v)
{
	struct rules_run	run[3];
	size_t			i, best, n = 0;

	run[0].v = rules_index_find(&r->by_category, category, &run[0].n);
	run[1].v = rules_index_find(&r->by_type, type, &run[1].n);
	run[2].v = r->unindexed;
	run[2].n = r->nunindexed;
	for (;;) {
		best = nitems(run);
		for (i = 0; i < nitems(run); i++) {
			if (run[i].n > 0 && (best == nitems(run) ||
			    run[i].v[0] < run[best].v[0]))
				best = i;
		}
		if (best == nitems(run))
			return (n);
		v[n++] = run[best].v[0];
		run[best].v++;
		run[best].n--;
	}
}

#define RULES_FIND(fn, type, array, count, field)			\
const struct type *							\
fn(const struct rules *r, const char *name)				\
{									\
	size_t	i;							\
									\
	for (i = 0; i < r->count; i++) {				\
		if (strcmp(r->array[i]->field, name) == 0)		\
			return (r->array[i]);				\
	}								\
	return (NULL);							\
}
RULES_FIND(rules_procedure_find, procedure, procedures, nprocedures, name)
RULES_FIND(rules_policy_find, policy, policies, npolicies, name)
RULES_FIND(rules_recurring_find, recurring, recurrings, nrecurrings, name)
RULES_FIND(rules_person_find, person, persons, npersons, id)
RULES_FIND(rules_group_find, group, groups, ngroups, id)
RULES_FIND(rules_role_find, role, roles, nroles, name)
RULES_FIND(rules_roster_find, roster, rosters, nrosters, name)
RULES_FIND(rules_channel_find, channel_def, channels, nchannels, name)
#undef RULES_FIND

size_t
rules_unit_count(const struct rules *r)
{
	return (r->nunits);
}

const struct unit *
rules_unit(const struct rules *r, size_t i)
{
	return (r->units[i]);
}

size_t
rules_policy_count(const struct rules *r)
{
	return (r->npolicies);
}

size_t
rules_period_count(const struct rules *r)
{
	return (r->nperiods);
}

const struct period *
rules_period(const struct rules *r, size_t i)
{
	return (r->periods[i]);
}

size_t
rules_recurring_count(const struct rules *r)
{
	return (r->nrecurrings);
}

const struct recurring *
rules_recurring(const struct rules *r, size_t i)
{
	return (r->recurrings[i]);
}

size_t
rules_person_count(const struct rules *r)
{
	return (r->npersons);
}

const struct person *
rules_person(const struct rules *r, size_t i)
{
	return (r->persons[i]);
}

size_t
rules_group_count(const struct rules *r)
{
	return (r->ngroups);
}

const struct group *
rules_group(const struct rules *r, size_t i)
{
	return (r->groups[i]);
}

size_t
rules_channel_count(const struct rules *r)
{
	return (r->nchannels);
}

const struct channel_def *
rules_channel(const struct rules *r, size_t i)
{
	return (r->channels[i]);
}

size_t
rules_token_count(const struct rules *r)
{
	return (r->ntokens);
}

const struct token_def *
rules_token(const struct rules *r, size_t i)
{
	return (r->tokens[i]);
}

/*
 * Does the site declare a token for reading?  Then reads need one
 * (SPEC §3); a site without one reads openly, as it always did.
 */
int
rules_tokens_read(const struct rules *r)
{
	size_t	i;

	for (i = 0; i < r->ntokens; i++) {
		if (r->tokens[i]->read)
			return (1);
	}
	return (0);
}

/*
 * The token whose secret is the one presented, or NULL.  Both sides are
 * compared as SHA-256 digests with CRYPTO_memcmp and every token is looked
 * at, so the time taken does not depend on how much of a secret a guess
 * got right, nor on whether its length was right: a byte-by-byte compare
 * would answer a wrong length early and a wrong byte late.
 */
const struct token_def *
rules_token_find(const struct rules *r, const char *presented)
{
	const struct token_def	*found = NULL;
	unsigned char		 have[EVP_MAX_MD_SIZE], want[EVP_MAX_MD_SIZE];
	unsigned int		 len = 0;
	size_t			 i;
	int			 same;

	if (presented == NULL || r->ntokens == 0)
		return (NULL);
	if (EVP_Digest(presented, strlen(presented), have, &len, EVP_sha256(),
	    NULL) != 1)
		return (NULL);
	for (i = 0; i < r->ntokens; i++) {
		if (r->tokens[i]->secret == NULL ||
		    EVP_Digest(r->tokens[i]->secret,
		    strlen(r->tokens[i]->secret), want, NULL, EVP_sha256(),
		    NULL) != 1)
			continue;
		same = CRYPTO_memcmp(have, want, len) == 0;
		if (same && found == NULL)
			found = r->tokens[i];
	}
	OPENSSL_cleanse(want, sizeof(want));
	return (found);
}
