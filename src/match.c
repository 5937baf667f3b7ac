/*
 * Matching an event against the rules: the match tables and functions of
 * the procedures, the met_by of obligations and the classify functions;
 * and the units functions of recurring reports, so that every call into
 * rule code the engine makes is made here.
 * Nothing here touches the store; a rule function that fails is reported
 * back with its cause and the caller decides what that means.
 *
 * Rule functions see the event as a Lua table with the normalised record's
 * fields and ev.periods, the special periods on now.  The table is built
 * once per event, when the first rule function needs it, and every rule
 * function called for the event gets the same one.  So that no rule sees
 * what another wrote into it, the rules get sandbox views of its tables: a
 * write through one spoils the event's table, and the next call gets a
 * fresh one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <lauxlib.h>

#include "calendar.h"
#include "clock.h"
#include "match.h"
#include "record.h"
#include "rules.h"
#include "sandbox.h"
#include "tocsin.h"
#include "xmalloc.h"

#define MATCH_JSON_DEPTH	16

struct match_event {
	struct rules		*rules;
	const struct record	*ev;
	int			 view;	/* { spoilt, event view }, or NOREF */
	int64_t			 usec;	/* spent in the rules so far */
};

struct match_event *
match_event_new(struct rules *rules, const struct record *ev)
{
	struct match_event	*mev;

	mev = xcalloc(1, sizeof(*mev));
	mev->rules = rules;
	mev->ev = ev;
	mev->view = LUA_NOREF;
	return (mev);
}

void
match_event_free(struct match_event *mev)
{
	if (mev == NULL)
		return;
	luaL_unref(sandbox_state(rules_sandbox(mev->rules)),
	    LUA_REGISTRYINDEX, mev->view);
	free(mev);
}

/* A JSON value for the rules: objects and arrays as views. */
static void
match_push_json(lua_State *L, json_t *v, int depth, int state)
{
	const char	*key;
	json_t		*item;
	size_t		 i;

	if (depth > MATCH_JSON_DEPTH || ((json_is_object(v) ||
	    json_is_array(v)) && !lua_checkstack(L, 8))) {
		lua_pushnil(L);
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		lua_createtable(L, 0, (int)json_object_size(v));
		json_object_foreach(v, key, item) {
			match_push_json(L, item, depth + 1, state);
			lua_setfield(L, -2, key);
		}
		sandbox_view(L, state);
		break;
	case JSON_ARRAY:
		lua_createtable(L, (int)json_array_size(v), 0);
		json_array_foreach(v, i, item) {
			match_push_json(L, item, depth + 1, state);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		sandbox_view(L, state);
		break;
	case JSON_STRING:
		lua_pushlstring(L, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		lua_pushinteger(L, (lua_Integer)json_integer_value(v));
		break;
	case JSON_REAL:
		lua_pushnumber(L, json_real_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		lua_pushboolean(L, json_is_true(v));
		break;
	default:
		lua_pushnil(L);
		break;
	}
}

/* ev.periods: the names and tags of the special periods on now. */
static void
match_push_periods(struct match_event *mev, lua_State *L, int state)
{
	const struct period	*pe;
	int64_t			 day = 0;
	size_t			 i, j, n = rules_period_count(mev->rules);

	/* The local day costs a time zone conversion: only when needed. */
	if (n > 0)
		day = calendar_day_number(clock_now());
	lua_newtable(L);
	for (i = 0; i < n; i++) {
		pe = rules_period(mev->rules, i);
		if (!rules_period_on(mev->rules, pe, day))
			continue;
		lua_pushboolean(L, 1);
		lua_setfield(L, -2, pe->name);
		for (j = 0; j < pe->tags.n; j++) {
			lua_pushboolean(L, 1);
			lua_setfield(L, -2, pe->tags.v[j]);
		}
	}
	sandbox_view(L, state);
}

/*
 * Build the event's view, kept in the registry as { spoilt, view }: a write
 * through any view of the event sets spoilt (see sandbox_view).  Called
 * through sandbox_pcall with the match_event, so that running out of the
 * rules' memory is an error for this event, not the end of the daemon.
 */
static int
match_view_new(lua_State *L)
{
	struct match_event	*mev = lua_touserdata(L, 1);
	const char		*key;
	json_t			*json = mev->ev->json, *item;
	int			 state;

	lua_createtable(L, 2, 0);
	state = lua_gettop(L);
	lua_createtable(L, 0, (int)json_object_size(json) + 1);
	json_object_foreach(json, key, item) {
		match_push_json(L, item, 1, state);
		lua_setfield(L, -2, key);
	}
	match_push_periods(mev, L, state);
	lua_setfield(L, -2, "periods");
	sandbox_view(L, state);
	lua_rawseti(L, state, 2);
	mev->view = luaL_ref(L, LUA_REGISTRYINDEX);
	return (0);
}

/* A rule wrote into the event: the next one must not see that. */
static void
match_view_check(struct match_event *mev, lua_State *L)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, mev->view);
	if (lua_rawgeti(L, -1, 1) != LUA_TNIL) {
		luaL_unref(L, LUA_REGISTRYINDEX, mev->view);
		mev->view = LUA_NOREF;
	}
	lua_pop(L, 2);
}

/*
 * Call the rule function ref with the event, under the sandbox's budget for
 * one call; leaves one result on the stack.  On error the cause is returned
 * and nothing is left.
 */
static int
match_call(struct match_event *mev, int ref, char **cause)
{
	struct sandbox	*sb = rules_sandbox(mev->rules);
	lua_State	*L = sandbox_state(sb);
	int		 rc;

	if (mev->view == LUA_NOREF) {
		lua_pushcfunction(L, match_view_new);
		lua_pushlightuserdata(L, mev);
		if (sandbox_pcall(sb, 1, 0, cause) != 0)
			return (-1);
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
	lua_rawgeti(L, LUA_REGISTRYINDEX, mev->view);
	lua_rawgeti(L, -1, 2);
	lua_remove(L, -2);
	rc = sandbox_pcall(sb, 1, 1, cause);
	match_view_check(mev, L);
	return (rc);
}

/* The event's value for a match term's key, as text; attrs as a fallback. */
static const char *
match_value(const struct record *ev, const char *key, char *buf, size_t len)
{
	json_t	*v;

	v = json_object_get(ev->json, key);
	if (v == NULL)
		v = json_object_get(json_object_get(ev->json, "attrs"), key);
	if (json_is_string(v))
		return (json_string_value(v));
	if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		return (buf);
	}
	if (json_is_boolean(v))
		return (json_is_true(v) ? "true" : "false");
	return (NULL);
}

/* The time the rules have taken on the event, for GET /metrics. */
int64_t
match_event_usec(const struct match_event *mev)
{
	return (mev->usec);
}

static int
match_eval(struct match_event *mev, const struct match *m, char **cause)
{
	lua_State	*L;
	const char	*v;
	char		 buf[64];
	size_t		 i;
	int		 yes;

	if (m->ref != LUA_NOREF) {
		if (match_call(mev, m->ref, cause) != 0)
			return (-1);
		L = sandbox_state(rules_sandbox(mev->rules));
		yes = lua_toboolean(L, -1);
		lua_pop(L, 1);
		return (yes);
	}
	for (i = 0; i < m->nterms; i++) {
		v = match_value(mev->ev, m->terms[i].key, buf, sizeof(buf));
		if (v == NULL || !names_has(&m->terms[i].values, v))
			return (0);
	}
	return (m->nterms > 0);
}

/* Was m declared: does it test anything (a function or a key)? */
int
match_given(const struct match *m)
{
	return (m->nterms > 0 || m->ref != LUA_NOREF);
}

/* 1 if the event matches m, 0 if not, -1 with cause when the rule failed. */
int
match_test(struct match_event *mev, const struct match *m, char **cause)
{
	int64_t	start = clock_monotonic_us();
	int	rc;

	rc = match_eval(mev, m, cause);
	mev->usec += clock_monotonic_us() - start;
	return (rc);
}

static void
match_failed(struct match_set *set, const struct procedure *p, char *cause)
{
	set->failed = xreallocarray(set->failed, set->nfailed + 1,
	    sizeof(*set->failed));
	set->failed[set->nfailed].procedure = p;
	set->failed[set->nfailed++].cause = cause;
}

/*
 * The procedures that take the event, in declaration order, and the rules
 * that failed on it.  Only the candidates the rules' index gives for the
 * event's category and type are tried; the others cannot match it.
 */
void
match_procedures(struct match_event *mev, struct match_set *set)
{
	const struct procedure	*p;
	const char		*category, *type;
	char			 cbuf[64], tbuf[64], *cause;
	size_t			*cand, i, n;
	int64_t			 start = clock_monotonic_us();

	cand = xreallocarray(NULL, rules_procedure_count(mev->rules) + 1,
	    sizeof(*cand));
	category = match_value(mev->ev, "category", cbuf, sizeof(cbuf));
	type = match_value(mev->ev, "type", tbuf, sizeof(tbuf));
	n = rules_candidates(mev->rules, category, type, cand);
	for (i = 0; i < n; i++) {
		p = rules_procedure(mev->rules, cand[i]);
		switch (match_eval(mev, &p->match, &cause)) {
		case 1:
			set->v = xreallocarray(set->v, set->n + 1,
			    sizeof(*set->v));
			set->v[set->n++] = p;
			break;
		case -1:
			match_failed(set, p, cause);
			break;
		}
	}
	free(cand);
	mev->usec += clock_monotonic_us() - start;
}

/*
 * The grade the first of procs to give one gives, or GRADE_NONE.  A classify
 * function that fails is added to set's failures and the next one is asked.
 */
int
match_classify(struct match_event *mev, const struct procedure *const *procs,
    size_t n, struct match_set *set)
{
	lua_State	*L = sandbox_state(rules_sandbox(mev->rules));
	lua_Integer	 g;
	size_t		 i;
	int		 isint, grade = GRADE_NONE;
	char		*cause;
	int64_t		 start = clock_monotonic_us();

	for (i = 0; i < n; i++) {
		if (procs[i]->classify == LUA_NOREF)
			continue;
		if (match_call(mev, procs[i]->classify, &cause) != 0) {
			match_failed(set, procs[i], cause);
			continue;
		}
		g = lua_tointegerx(L, -1, &isint);
		lua_pop(L, 1);
		if (isint && g >= GRADE_MIN && g <= GRADE_MAX) {
			grade = (int)g;
			break;
		}
	}
	mev->usec += clock_monotonic_us() - start;
	return (grade);
}

void
match_set_clear(struct match_set *set)
{
	size_t	i;

	for (i = 0; i < set->nfailed; i++)
		free(set->failed[i].cause);
	free(set->failed);
	free(set->v);
	memset(set, 0, sizeof(*set));
}

/*
 * The units a recurring report is owed by, added to units: its list, or
 * its units function's answer (the strings of the array it returns).
 * When the function fails, -1 with *cause set (the caller frees it).
 */
int
match_recurring_units(struct rules *r, const struct recurring *rc,
    struct names *units, char **cause)
{
	lua_State	*L = sandbox_state(rules_sandbox(r));
	lua_Integer	 i, n;

	if (rc->units_ref == LUA_NOREF) {
		for (i = 0; i < (lua_Integer)rc->units.n; i++)
			names_add(units, rc->units.v[i]);
		return (0);
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, rc->units_ref);
	if (sandbox_pcall(rules_sandbox(r), 0, 1, cause) != 0)
		return (-1);
	n = lua_istable(L, -1) ? (lua_Integer)lua_rawlen(L, -1) : 0;
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, -1, i);
		if (lua_type(L, -1) == LUA_TSTRING)
			names_add(units, lua_tostring(L, -1));
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return (0);
}
