/*
 * The Lua vocabulary of site files and rule packs (SPEC §4, §5).  Each
 * declaration reads like the paper it encodes:
 *
 *	procedure "network-security" { title = "...", obligations = { ... } }
 *
 * `procedure "name"` records where it was called and returns a function
 * that takes the body table and turns it into a C declaration.  Unknown
 * keys, wrong types and bad durations become problems with file:line, the
 * line of the key at fault (the parsers keep the path to the table they
 * read; rules-where.c finds its line); they never stop the load early, so
 * --check reports every problem at once.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>

#include "rules-int.h"
#include "xmalloc.h"

struct parse {
	lua_State	*L;
	struct rules	*rules;
	const char	*what;		/* "procedure \"x\"" */
	const char	*where;		/* file:line of the declaration */
	const char	*kind;		/* "procedure" */
	const char	*name;		/* "x", or NULL (site) */
	/* The table being read, from the body down: problems point at it. */
	struct rules_key path[RULES_KEY_DEPTH];
	size_t		 depth;
	int		 failed;
};

/*
 * Read into the value of key name (NULL: of integer key index) of the
 * table being read; parse_leave comes back out.  Deeper than the path
 * holds, problems point at the deepest line it holds.
 */
static void
parse_enter(struct parse *p, const char *name, long long index)
{
	if (p->depth < RULES_KEY_DEPTH) {
		p->path[p->depth].name = name;
		p->path[p->depth].index = index;
	}
	p->depth++;
}

static void
parse_leave(struct parse *p)
{
	p->depth--;
}

static void
parse_vproblem(struct parse *p, const char *key, const char *fmt, va_list ap)
{
	char	*msg, where[600];
	size_t	 depth;

	if (key != NULL)
		parse_enter(p, key, 0);
	depth = p->depth < RULES_KEY_DEPTH ? p->depth : RULES_KEY_DEPTH;
	xvasprintf(&msg, fmt, ap);
	rules_problems_add(p->rules->problems, "%s: %s: %s", rules_where(
	    p->rules, p->where, p->kind, p->name, p->path, depth, where,
	    sizeof(where)), p->what, msg);
	free(msg);
	if (key != NULL)
		parse_leave(p);
	p->failed = 1;
}

/* A problem with the table being read, said at its line. */
static void
parse_problem(struct parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
parse_problem(struct parse *p, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	parse_vproblem(p, NULL, fmt, ap);
	va_end(ap);
}

/* A problem with key of the table being read, said at the key's line. */
static void
parse_problem_at(struct parse *p, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
parse_problem_at(struct parse *p, const char *key, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	parse_vproblem(p, key, fmt, ap);
	va_end(ap);
}

/* key is not one of allowed (NULL-terminated): say so, and what is near. */
static void
parse_unknown_key(struct parse *p, const char *key,
    const char *const *allowed)
{
	char	near[128];
	size_t	n;

	for (n = 0; allowed[n] != NULL; n++)
		;
	parse_problem_at(p, key, "unknown key \"%s\"%s", key,
	    names_suggest(key, allowed, n, near, sizeof(near)));
}

/*
 * Every string key of the table at t must be one of allowed
 * (NULL-terminated).  Another key is a list part that the caller reads
 * when list is set; else it is a problem, but for a grade's number where
 * allowed starts with "[grade]".
 */
static void
parse_keys_in(struct parse *p, int t, const char *const *allowed, int list)
{
	const char *const	*a;
	lua_State		*L = p->L;

	lua_pushnil(L);
	while (lua_next(L, t) != 0) {
		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING) {
			if (!list && (lua_type(L, -1) != LUA_TNUMBER ||
			    allowed[0] == NULL ||
			    strcmp(allowed[0], "[grade]") != 0))
				parse_problem(p, "keys must be names");
			continue;
		}
		for (a = allowed; *a != NULL; a++) {
			if (strcmp(*a, lua_tostring(L, -1)) == 0)
				break;
		}
		if (*a == NULL)
			parse_unknown_key(p, lua_tostring(L, -1), allowed);
	}
}

/* Every key of the table at t must be one of allowed (NULL-terminated). */
static void
parse_keys(struct parse *p, int t, const char *const *allowed)
{
	parse_keys_in(p, t, allowed, 0);
}

static char *
parse_string(struct parse *p, int t, const char *key, int required)
{
	lua_State	*L = p->L;
	char		*s = NULL;

	lua_getfield(L, t, key);
	if (lua_type(L, -1) == LUA_TSTRING)
		s = xstrdup(lua_tostring(L, -1));
	else if (!lua_isnil(L, -1))
		parse_problem_at(p, key, "\"%s\" must be a string", key);
	else if (required)
		parse_problem(p, "\"%s\" is required", key);
	lua_pop(L, 1);
	return (s);
}

static int
parse_integer(struct parse *p, int t, const char *key, long long min,
    long long max, long long def, long long *out)
{
	lua_State	*L = p->L;
	int		 isint;
	long long	 v;

	*out = def;
	lua_getfield(L, t, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return (0);
	}
	v = (long long)lua_tointegerx(L, -1, &isint);
	lua_pop(L, 1);
	if (!isint || v < min || v > max) {
		parse_problem_at(p, key, "\"%s\" must be a whole number from "
		    "%lld to %lld", key, min, max);
		return (-1);
	}
	*out = v;
	return (0);
}

/* A string, or a list of strings, at the top of the stack. */
static void
parse_names_top(struct parse *p, const char *key, struct names *out)
{
	lua_State	*L = p->L;
	lua_Integer	 i, n;

	if (lua_isnil(L, -1))
		return;
	if (lua_type(L, -1) == LUA_TSTRING) {
		names_add(out, lua_tostring(L, -1));
		return;
	}
	if (!lua_istable(L, -1)) {
		parse_problem_at(p, key, "\"%s\" must be a name or a list of "
		    "names", key);
		return;
	}
	n = (lua_Integer)lua_rawlen(L, -1);
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, -1, i);
		if (lua_type(L, -1) == LUA_TSTRING)
			names_add(out, lua_tostring(L, -1));
		else
			parse_problem_at(p, key, "\"%s\" must list names only",
			    key);
		lua_pop(L, 1);
	}
}

static void
parse_names(struct parse *p, int t, const char *key, struct names *out)
{
	lua_getfield(p->L, t, key);
	parse_names_top(p, key, out);
	lua_pop(p->L, 1);
}

/*
 * The string keys of table t must be in allowed; its integer keys (a list
 * part) are the caller's to read.
 */
static void
parse_keys_only(struct parse *p, int t, const char *const *allowed)
{
	parse_keys_in(p, t, allowed, 1);
}

/* The list part of the table at the top of the stack: names, into out. */
static void
parse_list_top(struct parse *p, struct names *out, const char *what)
{
	lua_State	*L = p->L;
	lua_Integer	 i, n;

	n = (lua_Integer)lua_rawlen(L, -1);
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, -1, i);
		if (lua_type(L, -1) == LUA_TSTRING)
			names_add(out, lua_tostring(L, -1));
		else {
			parse_enter(p, NULL, i);
			parse_problem(p, "item %lld must be a %s name",
			    (long long)i, what);
			parse_leave(p);
		}
		lua_pop(L, 1);
	}
}

/* true or false; def when absent; a value of another type is refused. */
static int
parse_boolean(struct parse *p, int t, const char *key, int def)
{
	lua_State	*L = p->L;
	int		 v = def;

	lua_getfield(L, t, key);
	if (lua_isboolean(L, -1))
		v = lua_toboolean(L, -1);
	else if (!lua_isnil(L, -1))
		parse_problem(p, "\"%s\" must be true or false", key);
	lua_pop(L, 1);
	return (v);
}

static int
parse_duration(struct parse *p, int t, const char *key, int required,
    struct duration *out)
{
	lua_State	*L = p->L;
	char		*cause;
	int		 rc = -1;

	lua_getfield(L, t, key);
	if (lua_isnil(L, -1)) {
		if (required)
			parse_problem(p, "\"%s\" is required", key);
	} else if (lua_type(L, -1) != LUA_TSTRING)
		parse_problem_at(p, key, "\"%s\" must be a duration such as "
		    "\"2h\"", key);
	else if (calendar_parse_duration(lua_tostring(L, -1), out, &cause)
	    != 0) {
		parse_problem_at(p, key, "\"%s\": %s", key, cause);
		free(cause);
	} else
		rc = 0;
	lua_pop(L, 1);
	return (rc);
}

static int
parse_elapsed(struct parse *p, int t, const char *key, int64_t *out)
{
	struct duration	d;

	*out = 0;
	if (parse_duration(p, t, key, 0, &d) != 0)
		return (-1);
	if (d.kind != DURATION_ELAPSED) {
		parse_problem_at(p, key, "\"%s\" must be elapsed time (s, m, "
		    "h, d)", key);
		return (-1);
	}
	*out = d.value;
	return (0);
}

static void	parse_match_top(struct parse *, const char *, struct match *);

/* A match: a table of key = value(s), or a function(event). */
static void
parse_match(struct parse *p, int t, const char *key, struct match *m)
{
	lua_getfield(p->L, t, key);
	parse_match_top(p, key, m);
}

/* The match on top of the stack (named key in problems), popped. */
static void
parse_match_top(struct parse *p, const char *key, struct match *m)
{
	lua_State		*L = p->L;
	struct match_term	*term;
	char			 num[64];
	lua_Integer		 i, n;

	m->ref = LUA_NOREF;
	if (lua_isfunction(L, -1)) {
		m->ref = luaL_ref(L, LUA_REGISTRYINDEX);
		return;
	}
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return;
	}
	if (!lua_istable(L, -1)) {
		parse_problem_at(p, key, "\"%s\" must be a table or a function",
		    key);
		lua_pop(L, 1);
		return;
	}
	parse_enter(p, key, 0);
	lua_pushnil(L);
	while (lua_next(L, -2) != 0) {
		if (lua_type(L, -2) != LUA_TSTRING) {
			parse_problem(p, "\"%s\" keys must be field names",
			    key);
			lua_pop(L, 1);
			continue;
		}
		m->terms = xreallocarray(m->terms, m->nterms + 1,
		    sizeof(*m->terms));
		term = &m->terms[m->nterms++];
		memset(term, 0, sizeof(*term));
		term->key = xstrdup(lua_tostring(L, -2));
		n = lua_istable(L, -1) ? (lua_Integer)lua_rawlen(L, -1) : 0;
		for (i = lua_istable(L, -1) ? 1 : 0; i <= n; i++) {
			if (i > 0)
				lua_rawgeti(L, -1, i);
			if (lua_type(L, -1) == LUA_TSTRING)
				names_add(&term->values, lua_tostring(L, -1));
			else if (lua_isinteger(L, -1)) {
				snprintf(num, sizeof(num), "%lld",
				    (long long)lua_tointeger(L, -1));
				names_add(&term->values, num);
			} else if (lua_isboolean(L, -1))
				names_add(&term->values, lua_toboolean(L, -1) ?
				    "true" : "false");
			else
				parse_problem_at(p, term->key, "\"%s.%s\" must "
				    "be a string, number, boolean or a list of "
				    "them", key, term->key);
			if (i > 0)
				lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
	parse_leave(p);
	lua_pop(L, 1);
}

/* Where the Lua code that called us stands, "file:line" ("?": unknown). */
static const char *
rules_api_caller(lua_State *L, char *buf, size_t len)
{
	lua_Debug	ar;

	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar))
		snprintf(buf, len, "%s:%d", ar.short_src, ar.currentline);
	else
		snprintf(buf, len, "?");
	return (buf);
}

/* The body table must be argument 1 of the closure. */
static int
parse_begin(lua_State *L, struct parse *p, const char *kind)
{
	static char	 what[256];

	p->L = L;
	p->rules = lua_touserdata(L, lua_upvalueindex(1));
	p->where = lua_tostring(L, lua_upvalueindex(3));
	p->kind = kind;
	p->name = lua_tostring(L, lua_upvalueindex(2));
	p->depth = 0;
	p->failed = 0;
	snprintf(what, sizeof(what), "%s \"%s\"", kind,
	    lua_tostring(L, lua_upvalueindex(2)));
	p->what = what;
	if (!lua_istable(L, 1)) {
		parse_problem(p, "expects a table: %s \"name\" { ... }", kind);
		return (-1);
	}
	return (0);
}

#define APPEND(array, count, item) do {					\
	(array) = xreallocarray((array), (count) + 1, sizeof(*(array)));\
	(array)[(count)++] = (item);					\
} while (0)

/* The template text at key (what names it in the problem) into *out. */
static void
parse_template(struct parse *p, const char *key, const char *what,
    const char *text, char **out)
{
	char	*cause;

	if (message_check(text, &cause) != 0) {
		parse_problem_at(p, key, "%s: %s", what, cause);
		free(cause);
		return;
	}
	free(*out);
	*out = xstrdup(text);
}

/* messages = { breach = "...", remind = "..." }: templates by reason. */
static void
parse_messages(struct parse *p, int t, struct messages *m)
{
	const char	*reasons[MESSAGE__COUNT];
	lua_State	*L = p->L;
	int		 r;
	char		 what[64], near[128];

	lua_getfield(L, t, "messages");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return;
	}
	if (!lua_istable(L, -1)) {
		parse_problem_at(p, "messages", "\"messages\" maps reasons to "
		    "templates");
		lua_pop(L, 1);
		return;
	}
	for (r = 0; r < MESSAGE__COUNT; r++)
		reasons[r] = message_reason_name(r);
	parse_enter(p, "messages", 0);
	lua_pushnil(L);
	while (lua_next(L, -2) != 0) {
		if (lua_type(L, -2) != LUA_TSTRING)
			parse_problem(p, "\"messages\" maps reasons to "
			    "templates");
		else if ((r = message_reason(lua_tostring(L, -2))) < 0)
			parse_problem_at(p, lua_tostring(L, -2),
			    "\"messages\": unknown reason \"%s\"%s (opened, "
			    "period, graded, remind, breach, escalation, "
			    "rejected, undelivered, unmatched)",
			    lua_tostring(L, -2), names_suggest(
			    lua_tostring(L, -2), reasons, MESSAGE__COUNT,
			    near, sizeof(near)));
		else if (lua_type(L, -1) != LUA_TSTRING)
			parse_problem_at(p, lua_tostring(L, -2),
			    "\"messages.%s\" must be a string",
			    lua_tostring(L, -2));
		else {
			snprintf(what, sizeof(what), "messages.%s",
			    lua_tostring(L, -2));
			parse_template(p, lua_tostring(L, -2), what,
			    lua_tostring(L, -1), &m->v[r]);
		}
		lua_pop(L, 1);
	}
	parse_leave(p);
	lua_pop(L, 1);
}

/*
 * Put tags (and vals, an array of elements of size bytes beside them) in
 * name order.  A Lua table's keys come out of lua_next in an order that
 * changes from run to run (string hashes are seeded per state), and what
 * a tag decides -- who is told first, which period a deadline names --
 * must not: simulate prints the same bytes for the same input.
 */
static void
sort_tagged(struct names *tags, void *vals, size_t size)
{
	char	*v = vals, *tmp = xmalloc(size), *tag;
	size_t	 i, j;

	for (i = 1; i < tags->n; i++) {
		tag = tags->v[i];
		memcpy(tmp, v + i * size, size);
		for (j = i; j > 0 && strcmp(tags->v[j - 1], tag) > 0; j--) {
			tags->v[j] = tags->v[j - 1];
			memcpy(v + j * size, v + (j - 1) * size, size);
		}
		tags->v[j] = tag;
		memcpy(v + j * size, tmp, size);
	}
	free(tmp);
}

/* due_in = { heightened = "1h" }: tighter deadlines in special periods. */
static void
parse_due_in(struct parse *p, int t, struct obligation_def *o)
{
	lua_State	*L = p->L;
	char		*cause;

	lua_getfield(L, t, "due_in");
	if (lua_istable(L, -1)) {
		parse_enter(p, "due_in", 0);
		lua_pushnil(L);
		while (lua_next(L, -2) != 0) {
			if (lua_type(L, -2) != LUA_TSTRING ||
			    lua_type(L, -1) != LUA_TSTRING) {
				parse_problem_at(p, lua_type(L, -2) ==
				    LUA_TSTRING ? lua_tostring(L, -2) : NULL,
				    "\"due_in\" maps period tags to durations");
				lua_pop(L, 1);
				continue;
			}
			o->due_in = xreallocarray(o->due_in,
			    o->due_in_tags.n + 1, sizeof(*o->due_in));
			if (calendar_parse_duration(lua_tostring(L, -1),
			    &o->due_in[o->due_in_tags.n], &cause) != 0) {
				parse_problem_at(p, lua_tostring(L, -2),
				    "\"due_in\": %s", cause);
				free(cause);
			} else
				names_add(&o->due_in_tags, lua_tostring(L, -2));
			lua_pop(L, 1);
		}
		parse_leave(p);
		sort_tagged(&o->due_in_tags, o->due_in, sizeof(*o->due_in));
	} else if (!lua_isnil(L, -1))
		parse_problem_at(p, "due_in", "\"due_in\" must be a table");
	lua_pop(L, 1);
}

/* due_by_grade = { [2] = "1h" }: at 重大 or worse, within the hour. */
static void
parse_due_by_grade(struct parse *p, int t, struct obligation_def *o)
{
	lua_State	*L = p->L;
	char		*cause;
	int		 g;

	lua_getfield(L, t, "due_by_grade");
	if (lua_istable(L, -1)) {
		parse_enter(p, "due_by_grade", 0);
		lua_pushnil(L);
		while (lua_next(L, -2) != 0) {
			g = lua_isinteger(L, -2) ? (int)lua_tointeger(L, -2) :
			    0;
			parse_enter(p, lua_type(L, -2) == LUA_TSTRING ?
			    lua_tostring(L, -2) : NULL, g);
			if (g < GRADE_MIN || g > GRADE_MAX ||
			    lua_type(L, -1) != LUA_TSTRING)
				parse_problem(p, "\"due_by_grade\" maps grades "
				    "1..4 to durations");
			else if (calendar_parse_duration(lua_tostring(L, -1),
			    &o->due_by_grade[g], &cause) != 0) {
				parse_problem(p, "\"due_by_grade\": %s", cause);
				free(cause);
			} else
				o->due_by_grade_set |= 1U << g;
			parse_leave(p);
			lua_pop(L, 1);
		}
		parse_leave(p);
	} else if (!lua_isnil(L, -1))
		parse_problem_at(p, "due_by_grade", "\"due_by_grade\" must be "
		    "a table");
	lua_pop(L, 1);
}

/*
 * met_by = { all = { "assessment", { type = "notice", attrs = ... } } }:
 * each item (a type, or a match) must arrive; the obligation is met at
 * the last.
 */
static void
parse_met_all(struct parse *p, struct obligation_def *o)
{
	lua_State	*L = p->L;
	struct match	*m;
	lua_Integer	 i, n;

	if (!lua_istable(L, -1) || (n = (lua_Integer)lua_rawlen(L, -1)) == 0 ||
	    n > 31) {
		parse_problem_at(p, "all", "\"met_by.all\" must be a list of 1 "
		    "to 31 event types or matches");
		return;
	}
	parse_enter(p, "all", 0);
	o->met_all = xcalloc((size_t)n, sizeof(*o->met_all));
	for (i = 1; i <= n; i++) {
		m = &o->met_all[o->nmet_all++];
		parse_enter(p, NULL, i);
		lua_rawgeti(L, -1, i);
		if (lua_type(L, -1) == LUA_TSTRING) {
			m->ref = LUA_NOREF;
			m->terms = xcalloc(1, sizeof(*m->terms));
			m->nterms = 1;
			m->terms[0].key = xstrdup("type");
			names_add(&m->terms[0].values, lua_tostring(L, -1));
			lua_pop(L, 1);
		} else if (lua_istable(L, -1) || lua_isfunction(L, -1))
			parse_match_top(p, "all", m);
		else {
			m->ref = LUA_NOREF;
			parse_problem(p, "\"met_by.all\" items are event types, "
			    "matches or functions");
			lua_pop(L, 1);
		}
		parse_leave(p);
	}
	parse_leave(p);
}

/*
 * met_by: a match; or { all = { ... } }; or a match with count = N (N
 * matching events meet it, the Nth on time or late).
 */
static void
parse_met_by(struct parse *p, int t, struct obligation_def *o)
{
	lua_State	*L = p->L;
	struct match	*m = &o->met_by;
	size_t		 i;
	int		 all;

	o->met_count = 1;
	lua_getfield(L, t, "met_by");
	all = 0;
	if (lua_istable(L, -1) &&
	    !(all = lua_getfield(L, -1, "all") != LUA_TNIL))
		lua_pop(L, 1);
	if (all) {
		parse_enter(p, "met_by", 0);
		parse_met_all(p, o);
		lua_pop(L, 1);
		lua_pushnil(L);
		while (lua_next(L, -2) != 0) {
			lua_pop(L, 1);
			if (lua_type(L, -1) != LUA_TSTRING ||
			    strcmp(lua_tostring(L, -1), "all") != 0)
				parse_problem(p, "\"met_by\" with \"all\" "
				    "takes nothing else: put the keys in each "
				    "item");
		}
		parse_leave(p);
		lua_pop(L, 1);
		m->ref = LUA_NOREF;
		return;
	}
	parse_match_top(p, "met_by", m);
	for (i = 0; i < m->nterms; i++) {
		if (strcmp(m->terms[i].key, "count") != 0)
			continue;
		o->met_count = m->terms[i].values.n == 1 ?
		    atoi(m->terms[i].values.v[0]) : 0;
		if (o->met_count < 1 || o->met_count > 1000) {
			parse_problem_at(p, "met_by", "\"met_by.count\" must "
			    "be a whole number from 1 to 1000");
			o->met_count = 1;
		}
		free(m->terms[i].key);
		names_free(&m->terms[i].values);
		m->terms[i] = m->terms[--m->nterms];
		break;
	}
	if (m->ref == LUA_NOREF && m->nterms == 0)
		parse_problem(p, "obligation \"%s\": \"met_by\" is required",
		    o->id ? o->id : "?");
}

/*
 * every = "24h": a series (续报 at least daily), instance N+1 due every
 * after instance N's due time; until = a duration from the series'
 * start, or a match: the event that ends it.
 */
static void
parse_repeat(struct parse *p, int t, struct obligation_def *o)
{
	lua_State	*L = p->L;

	o->until_match.ref = LUA_NOREF;
	if (parse_duration(p, t, "every", 0, &o->every) == 0) {
		if (o->every.value <= 0)
			parse_problem_at(p, "every", "\"every\" must be longer "
			    "than nothing");
		else
			o->repeats = 1;
	}
	lua_getfield(L, t, "until");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return;
	}
	if (!o->repeats)
		parse_problem_at(p, "until", "\"until\" ends a series: give "
		    "\"every\" too");
	if (lua_type(L, -1) == LUA_TSTRING) {
		lua_pop(L, 1);
		if (parse_duration(p, t, "until", 0, &o->until) == 0)
			o->until_set = 1;
		return;
	}
	parse_match_top(p, "until", &o->until_match);
}

/*
 * from = "opened" | "occurred" | "graded", or an event match: the
 * obligation starts at the first event on the incident that matches
 * (FROM_EVENT), counted from its time or, with at = "attrs.x", from the
 * time the event carries there.
 */
static void
parse_from(struct parse *p, int t, struct obligation_def *o)
{
	static const char *const names[] = { "opened", "occurred", "graded",
	    NULL };
	lua_State	*L = p->L;
	char		*from, *at;
	int		 type;

	o->from_event.ref = LUA_NOREF;
	lua_getfield(L, t, "from");
	type = lua_type(L, -1);
	lua_pop(L, 1);
	if (type == LUA_TTABLE || type == LUA_TFUNCTION) {
		parse_match(p, t, "from", &o->from_event);
		o->from = FROM_EVENT;
	} else if ((from = parse_string(p, t, "from", 0)) != NULL) {
		if (strcmp(from, "occurred") == 0)
			o->from = FROM_OCCURRED;
		else if (strcmp(from, "graded") == 0)
			o->from = FROM_GRADED;
		else if (strcmp(from, names[0]) != 0)
			parse_problem_at(p, "from", "obligation \"%s\": "
			    "\"from\" must be \"opened\", \"occurred\", "
			    "\"graded\" or an event match such as { type = "
			    "\"received\" }", o->id ? o->id : "?");
		free(from);
	}
	if ((at = parse_string(p, t, "at", 0)) == NULL)
		return;
	if (o->from != FROM_EVENT)
		parse_problem_at(p, "at", "obligation \"%s\": \"at\" needs "
		    "\"from\" to be an event match", o->id ? o->id : "?");
	else if (strncmp(at, "attrs.", 6) != 0 || at[6] == '\0')
		parse_problem_at(p, "at", "obligation \"%s\": \"at\" must "
		    "name an attribute of the event, \"attrs.NAME\"",
		    o->id ? o->id : "?");
	o->at = at;
}

/* due = "2h", or due = { attr = "deadline" }: the event gives it. */
static void
parse_due(struct parse *p, int t, struct obligation_def *o)
{
	static const char *const keys[] = { "attr", NULL };
	lua_State	*L = p->L;
	int		 top;

	lua_getfield(L, t, "due");
	top = lua_gettop(L);
	if (!lua_istable(L, top)) {
		lua_pop(L, 1);
		parse_duration(p, t, "due", 1, &o->due);
		return;
	}
	parse_enter(p, "due", 0);
	parse_keys(p, top, keys);
	o->due_attr = parse_string(p, top, "attr", 1);
	parse_leave(p);
	lua_pop(L, 1);
	/* Until the event says, a due of nothing: never used. */
	o->due.kind = DURATION_ELAPSED;
	o->due.value = 0;
}

/* pause_on and resume_on: both or neither. */
static void
parse_pause(struct parse *p, int t, struct obligation_def *o)
{
	parse_match(p, t, "pause_on", &o->pause_on);
	parse_match(p, t, "resume_on", &o->resume_on);
	if ((o->pause_on.ref == LUA_NOREF && o->pause_on.nterms == 0) !=
	    (o->resume_on.ref == LUA_NOREF && o->resume_on.nterms == 0))
		parse_problem(p, "obligation \"%s\": \"pause_on\" and "
		    "\"resume_on\" go together", o->id ? o->id : "?");
}

static void
parse_obligation(struct parse *p, int t, struct obligation_def *o)
{
	static const char *const keys[] = { "id", "title", "due", "due_in",
	    "due_by_grade", "from", "at", "met_by", "remind", "owner",
	    "on_breach", "pause_on", "resume_on", "messages", "every",
	    "until", NULL };
	struct names	 remind = { NULL, 0 };
	char		*cause;
	size_t		 i;

	parse_keys(p, t, keys);
	o->id = parse_string(p, t, "id", 1);
	o->title = parse_string(p, t, "title", 0);
	parse_due(p, t, o);
	parse_due_in(p, t, o);
	parse_due_by_grade(p, t, o);
	if (o->due_attr != NULL && (o->due_in_tags.n > 0 ||
	    o->due_by_grade_set != 0))
		parse_problem_at(p, "due", "obligation \"%s\": a due the "
		    "event gives takes no \"due_in\" or \"due_by_grade\"",
		    o->id ? o->id : "?");
	parse_from(p, t, o);
	parse_pause(p, t, o);
	parse_met_by(p, t, o);
	parse_repeat(p, t, o);
	/*
	 * A series keeps its rhythm: each instance is due every after the
	 * one before and is set when that one falls due.  A paused clock
	 * would move one instance's due and not the rhythm, so the two are
	 * refused rather than half done.
	 */
	if (o->repeats && (o->pause_on.ref != LUA_NOREF ||
	    o->pause_on.nterms > 0))
		parse_problem_at(p, "pause_on", "obligation \"%s\": a series "
		    "(\"every\") cannot pause (\"pause_on\", \"resume_on\"): "
		    "make the paused duty a separate obligation",
		    o->id ? o->id : "?");
	parse_names(p, t, "remind", &remind);
	o->remind = remind.n ? xcalloc(remind.n, sizeof(*o->remind)) : NULL;
	for (i = 0; i < remind.n; i++) {
		if (calendar_parse_duration(remind.v[i], &o->remind[i],
		    &cause) != 0 || o->remind[i].kind != DURATION_ELAPSED) {
			if (cause != NULL)
				free(cause);
			parse_problem_at(p, "remind", "obligation \"%s\": bad "
			    "remind lead time \"%s\"", o->id ? o->id : "?",
			    remind.v[i]);
			continue;
		}
		o->nremind++;
	}
	names_free(&remind);
	o->owner = parse_string(p, t, "owner", 0);
	o->on_breach = parse_string(p, t, "on_breach", 0);
	parse_messages(p, t, &o->messages);
}

/* The list at t[key]: obligations set at opening (grade 0) or at grade. */
static void
parse_obligations(struct parse *p, int t, struct procedure *proc, int grade)
{
	lua_State		*L = p->L;
	struct obligation_def	*o;
	lua_Integer		 i, n;

	lua_getfield(L, t, "obligations");
	if (lua_istable(L, -1)) {
		parse_enter(p, "obligations", 0);
		n = (lua_Integer)lua_rawlen(L, -1);
		for (i = 1; i <= n; i++) {
			parse_enter(p, NULL, i);
			lua_rawgeti(L, -1, i);
			if (!lua_istable(L, -1)) {
				parse_problem(p, "obligations must be tables");
				lua_pop(L, 1);
				parse_leave(p);
				continue;
			}
			proc->obligations = xreallocarray(proc->obligations,
			    proc->nobligations + 1, sizeof(*proc->obligations));
			o = &proc->obligations[proc->nobligations++];
			memset(o, 0, sizeof(*o));
			o->grade = grade;
			o->item = (int)i;
			parse_obligation(p, lua_gettop(L), o);
			lua_pop(L, 1);
			parse_leave(p);
		}
		parse_leave(p);
	} else if (!lua_isnil(L, -1))
		parse_problem_at(p, "obligations", "\"obligations\" must be a "
		    "list");
	lua_pop(L, 1);
}

static void
parse_notify_field(struct parse *p, int t, const char *key, struct names *out)
{
	static const char *const keys[] = { "notify", NULL };
	int			 top;

	lua_getfield(p->L, t, key);
	top = lua_gettop(p->L);
	if (lua_istable(p->L, top)) {
		parse_enter(p, key, 0);
		parse_keys(p, top, keys);
		parse_names(p, top, "notify", out);
		parse_leave(p);
	} else if (!lua_isnil(p->L, top))
		parse_problem_at(p, key, "\"%s\" must be a table { notify = "
		    "... }", key);
	lua_pop(p->L, 1);
}

static int
rules_api_procedure_body(lua_State *L)
{
	static const char *const keys[] = { "title", "match", "on_open",
	    "obligations", "grades", "periods", "classify", "messages", NULL };
	static const char *const grade_keys[] = { "notify", "obligations",
	    NULL };
	struct parse		 p;
	struct procedure	*proc;
	int			 g;

	if (parse_begin(L, &p, "procedure") != 0)
		return (0);
	proc = xcalloc(1, sizeof(*proc));
	proc->name = xstrdup(lua_tostring(L, lua_upvalueindex(2)));
	proc->where = xstrdup(p.where);
	proc->classify = LUA_NOREF;
	APPEND(p.rules->procedures, p.rules->nprocedures, proc);

	parse_keys(&p, 1, keys);
	proc->title = parse_string(&p, 1, "title", 0);
	parse_messages(&p, 1, &proc->messages);
	parse_match(&p, 1, "match", &proc->match);
	if (proc->match.ref == LUA_NOREF && proc->match.nterms == 0)
		parse_problem(&p, "\"match\" is required");
	parse_notify_field(&p, 1, "on_open", &proc->on_open);

	parse_obligations(&p, 1, proc, 0);

	lua_getfield(L, 1, "grades");
	if (lua_istable(L, -1)) {
		parse_enter(&p, "grades", 0);
		lua_pushnil(L);
		while (lua_next(L, -2) != 0) {
			g = lua_isinteger(L, -2) ? (int)lua_tointeger(L, -2) :
			    0;
			parse_enter(&p, lua_type(L, -2) == LUA_TSTRING ?
			    lua_tostring(L, -2) : NULL, g);
			if (g < GRADE_MIN || g > GRADE_MAX ||
			    !lua_istable(L, -1))
				parse_problem(&p, "\"grades\" must map grades "
				    "1..4 to { notify = ..., obligations = "
				    "... }");
			else {
				parse_keys(&p, lua_gettop(L), grade_keys);
				parse_names(&p, lua_gettop(L), "notify",
				    &proc->grades[g]);
				parse_obligations(&p, lua_gettop(L), proc, g);
			}
			parse_leave(&p);
			lua_pop(L, 1);
		}
		parse_leave(&p);
	} else if (!lua_isnil(L, -1))
		parse_problem_at(&p, "grades", "\"grades\" must be a table");
	lua_pop(L, 1);

	lua_getfield(L, 1, "periods");
	if (lua_istable(L, -1)) {
		parse_enter(&p, "periods", 0);
		lua_pushnil(L);
		while (lua_next(L, -2) != 0) {
			if (lua_type(L, -2) != LUA_TSTRING ||
			    !lua_istable(L, -1)) {
				parse_problem_at(&p, lua_type(L, -2) ==
				    LUA_TSTRING ? lua_tostring(L, -2) : NULL,
				    "\"periods\" maps period tags to "
				    "{ notify = ... }");
				lua_pop(L, 1);
				continue;
			}
			proc->period_notify = xreallocarray(proc->period_notify,
			    proc->period_tags.n + 1,
			    sizeof(*proc->period_notify));
			memset(&proc->period_notify[proc->period_tags.n], 0,
			    sizeof(*proc->period_notify));
			parse_enter(&p, lua_tostring(L, -2), 0);
			parse_names(&p, lua_gettop(L), "notify",
			    &proc->period_notify[proc->period_tags.n]);
			parse_leave(&p);
			names_add(&proc->period_tags, lua_tostring(L, -2));
			lua_pop(L, 1);
		}
		parse_leave(&p);
		sort_tagged(&proc->period_tags, proc->period_notify,
		    sizeof(*proc->period_notify));
	} else if (!lua_isnil(L, -1))
		parse_problem_at(&p, "periods", "\"periods\" must be a table");
	lua_pop(L, 1);

	lua_getfield(L, 1, "classify");
	if (lua_isfunction(L, -1))
		proc->classify = luaL_ref(L, LUA_REGISTRYINDEX);
	else {
		if (!lua_isnil(L, -1))
			parse_problem_at(&p, "classify", "\"classify\" must "
			    "be a function");
		lua_pop(L, 1);
	}
	return (0);
}

static int
rules_api_policy_body(lua_State *L)
{
	static const char *const keys[] = { "repeat_every", "max_repeats",
	    NULL };
	struct parse		 p;
	struct policy		*pol;
	struct policy_step	*step;
	lua_Integer		 i, n;
	long long		 max;
	int			 top;

	if (parse_begin(L, &p, "policy") != 0)
		return (0);
	pol = xcalloc(1, sizeof(*pol));
	pol->name = xstrdup(lua_tostring(L, lua_upvalueindex(2)));
	pol->where = xstrdup(p.where);
	APPEND(p.rules->policies, p.rules->npolicies, pol);

	/* Named keys are settings; the array part holds the steps. */
	lua_pushnil(L);
	while (lua_next(L, 1) != 0) {
		lua_pop(L, 1);
		if (lua_type(L, -1) == LUA_TSTRING &&
		    strcmp(lua_tostring(L, -1), "repeat_every") != 0 &&
		    strcmp(lua_tostring(L, -1), "max_repeats") != 0)
			parse_unknown_key(&p, lua_tostring(L, -1), keys);
	}
	parse_elapsed(&p, 1, "repeat_every", &pol->repeat_every);
	parse_integer(&p, 1, "max_repeats", 0, 1000, 0, &max);
	pol->max_repeats = (int)max;
	n = (lua_Integer)lua_rawlen(L, 1);
	if (n == 0)
		parse_problem(&p, "a policy needs at least one step");
	pol->steps = n ? xcalloc((size_t)n, sizeof(*pol->steps)) : NULL;
	for (i = 1; i <= n; i++) {
		static const char *const step_keys[] = { "after", "notify",
		    "message", NULL };
		char	*text;

		lua_rawgeti(L, 1, i);
		top = lua_gettop(L);
		parse_enter(&p, NULL, i);
		if (!lua_istable(L, top)) {
			parse_problem(&p, "step %lld must be a table",
			    (long long)i);
			parse_leave(&p);
			lua_pop(L, 1);
			continue;
		}
		step = &pol->steps[pol->nsteps++];
		parse_keys(&p, top, step_keys);
		parse_elapsed(&p, top, "after", &step->after);
		parse_names(&p, top, "notify", &step->notify);
		if ((text = parse_string(&p, top, "message", 0)) != NULL) {
			parse_template(&p, "message", "message", text,
			    &step->message);
			free(text);
		}
		if (step->notify.n == 0)
			parse_problem(&p, "step %lld notifies nobody",
			    (long long)i);
		if (pol->nsteps > 1 &&
		    step->after < pol->steps[pol->nsteps - 2].after)
			parse_problem_at(&p, "after", "step %lld comes before "
			    "the step above it (\"after\" counts from the "
			    "start)", (long long)i);
		parse_leave(&p);
		lua_pop(L, 1);
	}
	return (0);
}

/*
 * notify_rules = { { "dingtalk" }, { after = "5m", "sms" }, ... }: the
 * steps in order, each its channels and `after` (from when the person is
 * reached); the first is taken at once.  Channel names are checked once
 * every channel is declared (rules.c).
 */
static void
parse_notify_rules(struct parse *p, struct person *pe)
{
	static const char *const step_keys[] = { "after", NULL };
	lua_State		*L = p->L;
	struct notify_step	*st;
	lua_Integer		 i, n;
	int			 top;

	lua_getfield(L, 1, "notify_rules");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return;
	}
	parse_enter(p, "notify_rules", 0);
	if (!lua_istable(L, -1) || (n = (lua_Integer)lua_rawlen(L, -1)) == 0) {
		parse_problem(p, "\"notify_rules\" must list steps, as "
		    "{ { \"dingtalk\" }, { after = \"5m\", \"sms\" } }");
		parse_leave(p);
		lua_pop(L, 1);
		return;
	}
	pe->notify_rules = xcalloc((size_t)n, sizeof(*pe->notify_rules));
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, -1, i);
		top = lua_gettop(L);
		parse_enter(p, NULL, i);
		if (!lua_istable(L, top)) {
			parse_problem(p, "step %lld must be a table, as "
			    "{ after = \"5m\", \"sms\" }", (long long)i);
			goto next;
		}
		st = &pe->notify_rules[pe->nnotify_rules++];
		parse_keys_only(p, top, step_keys);
		parse_elapsed(p, top, "after", &st->after);
		parse_list_top(p, &st->channels, "channel");
		if (st->channels.n == 0)
			parse_problem(p, "step %lld names no channel",
			    (long long)i);
		if (pe->nnotify_rules == 1 && st->after != 0)
			parse_problem_at(p, "after", "the first step is taken "
			    "at once: it has no \"after\"");
		else if (pe->nnotify_rules > 1 &&
		    st->after < pe->notify_rules[pe->nnotify_rules - 2].after)
			parse_problem_at(p, "after", "step %lld comes before "
			    "the step above it (\"after\" counts from when "
			    "the person is reached)", (long long)i);
next:
		parse_leave(p);
		lua_pop(L, 1);
	}
	parse_leave(p);
	lua_pop(L, 1);
}

static int
rules_api_person_body(lua_State *L)
{
	static const char *const keys[] = { "name", "phone", "roles",
	    "channels", "notify_rules", NULL };
	struct parse	 p;
	struct person	*pe;

	if (parse_begin(L, &p, "person") != 0)
		return (0);
	pe = xcalloc(1, sizeof(*pe));
	pe->id = xstrdup(lua_tostring(L, lua_upvalueindex(2)));
	pe->where = xstrdup(p.where);
	APPEND(p.rules->persons, p.rules->npersons, pe);
	parse_keys(&p, 1, keys);
	pe->name = parse_string(&p, 1, "name", 0);
	pe->phone = parse_string(&p, 1, "phone", 0);
	parse_names(&p, 1, "roles", &pe->roles);
	parse_names(&p, 1, "channels", &pe->channels);
	parse_notify_rules(&p, pe);
	if (pe->notify_rules != NULL && pe->channels.n > 0)
		parse_problem_at(&p, "channels", "give \"channels\" or "
		    "\"notify_rules\", not both: the rules name the "
		    "channels");
	return (0);
}

static int
rules_api_group_body(lua_State *L)
{
	static const char *const keys[] = { "name", "members", "roles",
	    "channels", NULL };
	struct parse	 p;
	struct group	*gr;

	if (parse_begin(L, &p, "group") != 0)
		return (0);
	gr = xcalloc(1, sizeof(*gr));
	gr->id = xstrdup(lua_tostring(L, lua_upvalueindex(2)));
	gr->where = xstrdup(p.where);
	APPEND(p.rules->groups, p.rules->ngroups, gr);
	parse_keys(&p, 1, keys);
	gr->name = parse_string(&p, 1, "name", 0);
	parse_names(&p, 1, "members", &gr->members);
	parse_names(&p, 1, "roles", &gr->roles);
	parse_names(&p, 1, "channels", &gr->channels);
	return (0);
}

static int
rules_api_role_body(lua_State *L)
{
	struct parse	 p;
	struct role	*ro;

	if (parse_begin(L, &p, "role") != 0)
		return (0);
	ro = xcalloc(1, sizeof(*ro));
	ro->name = xstrdup(lua_tostring(L, lua_upvalueindex(2)));
	ro->where = xstrdup(p.where);
	APPEND(p.rules->roles, p.rules->nroles, ro);
	lua_pushnil(L);
	while (lua_next(L, 1) != 0) {
		if (lua_type(L, -2) != LUA_TSTRING ||
		    lua_type(L, -1) != LUA_TSTRING)
			parse_problem_at(&p, lua_type(L, -2) == LUA_TSTRING ?
			    lua_tostring(L, -2) : NULL, "maps \"default\" or a "
			    "category to a person, group or role name");
		else {
			names_add(&ro->keys, lua_tostring(L, -2));
			names_add(&ro->targets, lua_tostring(L, -1));
		}
		lua_pop(L, 1);
	}
	return (0);
}

/* Channel options are kept as JSON for the driver to read. */
static int
rules_api_channel_body(lua_State *L)
{
	struct parse		 p;
	struct channel_def	*ch;
	const char		*key;
	json_t			*v;

	if (parse_begin(L, &p, "channel") != 0)
		return (0);
	ch = xcalloc(1, sizeof(*ch));
	ch->name = xstrdup(lua_tostring(L, lua_upvalueindex(2)));
	ch->where = xstrdup(p.where);
	ch->options = json_object();
	APPEND(p.rules->channels, p.rules->nchannels, ch);
	ch->kind = parse_string(&p, 1, "kind", 1);
	lua_pushnil(L);
	while (lua_next(L, 1) != 0) {
		if (lua_type(L, -2) != LUA_TSTRING) {
			parse_problem(&p, "keys must be names");
			lua_pop(L, 1);
			continue;
		}
		key = lua_tostring(L, -2);
		v = NULL;
		if (lua_isinteger(L, -1))
			v = json_integer(lua_tointeger(L, -1));
		else if (lua_type(L, -1) == LUA_TNUMBER)
			v = json_real(lua_tonumber(L, -1));
		else if (lua_isboolean(L, -1))
			v = json_boolean(lua_toboolean(L, -1));
		else if (lua_type(L, -1) == LUA_TSTRING)
			v = json_string(lua_tostring(L, -1));
		else if (lua_istable(L, -1)) {
			struct names	 list = { NULL, 0 };
			size_t		 i;

			parse_names_top(&p, key, &list);
			v = json_array();
			for (i = 0; i < list.n; i++)
				json_array_append_new(v,
				    json_string(list.v[i]));
			names_free(&list);
		} else
			parse_problem_at(&p, key, "\"%s\" has an unsupported "
			    "type", key);
		if (v != NULL && strcmp(key, "kind") != 0)
			json_object_set_new(ch->options, key, v);
		else
			json_decref(v);
		lua_pop(L, 1);
	}
	return (0);
}

static int
rules_api_token_body(lua_State *L)
{
	static const char *const keys[] = { "secret", "units", "read",
	    "write", "person", NULL };
	struct parse		 p;
	struct token_def	*tok;

	if (parse_begin(L, &p, "token") != 0)
		return (0);
	tok = xcalloc(1, sizeof(*tok));
	tok->name = xstrdup(lua_tostring(L, lua_upvalueindex(2)));
	tok->where = xstrdup(p.where);
	APPEND(p.rules->tokens, p.rules->ntokens, tok);
	parse_keys(&p, 1, keys);
	tok->secret = parse_string(&p, 1, "secret", 1);
	parse_names(&p, 1, "units", &tok->units);
	/* Writing is what a token did before it could read: the default. */
	tok->read = parse_boolean(&p, 1, "read", 0);
	tok->write = parse_boolean(&p, 1, "write", 1);
	/* A person's own token: what it does is recorded as theirs. */
	tok->person = parse_string(&p, 1, "person", 0);
	if (tok->secret != NULL && strlen(tok->secret) < 16)
		parse_problem_at(&p, "secret", "the secret must be at least "
		    "16 characters");
	if (!tok->read && !tok->write)
		parse_problem(&p, "a token that may neither read nor write "
		    "lets nobody in: set read = true or drop write = false");
	return (0);
}

/* unit "id" { name, parent, kind, roles = { role = who } } (SPEC §5a). */
static int
rules_api_unit_body(lua_State *L)
{
	static const char *const keys[] = { "name", "parent", "kind",
	    "roles", NULL };
	struct parse	 p;
	struct unit	*u;

	if (parse_begin(L, &p, "unit") != 0)
		return (0);
	u = rules_unit_new(p.rules, lua_tostring(L, lua_upvalueindex(2)),
	    p.where);
	parse_keys(&p, 1, keys);
	u->name = parse_string(&p, 1, "name", 0);
	u->parent = parse_string(&p, 1, "parent", 0);
	u->kind = parse_string(&p, 1, "kind", 0);
	lua_getfield(L, 1, "roles");
	if (lua_istable(L, -1)) {
		parse_enter(&p, "roles", 0);
		lua_pushnil(L);
		while (lua_next(L, -2) != 0) {
			if (lua_type(L, -2) != LUA_TSTRING ||
			    lua_type(L, -1) != LUA_TSTRING ||
			    strchr(lua_tostring(L, -2), '.') != NULL)
				parse_problem_at(&p, lua_type(L, -2) ==
				    LUA_TSTRING ? lua_tostring(L, -2) : NULL,
				    "\"roles\" maps role names to a person, "
				    "group or roster name");
			else {
				names_add(&u->role_keys, lua_tostring(L, -2));
				names_add(&u->role_targets,
				    lua_tostring(L, -1));
			}
			lua_pop(L, 1);
		}
		parse_leave(&p);
	} else if (!lua_isnil(L, -1))
		parse_problem_at(&p, "roles", "\"roles\" must be a table");
	lua_pop(L, 1);
	return (0);
}

/*
 * units_csv "FILE": the units an office keeps in a spreadsheet, the path
 * relative to the site file (rules-units.c reads it).
 */
static int
rules_api_units_csv(lua_State *L)
{
	struct rules	*r = lua_touserdata(L, lua_upvalueindex(1));
	char		 where[512], *path;

	rules_api_caller(L, where, sizeof(where));
	if (lua_type(L, 1) != LUA_TSTRING || lua_rawlen(L, 1) == 0) {
		rules_problems_add(r->problems, "%s: units_csv needs a file "
		    "name: units_csv \"units.csv\"", where);
		return (0);
	}
	path = rules_path_resolve(r, lua_tostring(L, 1));
	rules_units_csv(r, path, where);
	free(path);
	return (0);
}

/*
 * t[key], a date "YYYY-MM-DD", as a day number.  The text is freed before
 * the next read of the body: a read runs Lua (a metamethod, or an
 * allocation over the cap) and may raise, and whatever C memory is held
 * then is lost.
 */
static int
parse_date(struct parse *p, int t, const char *key, int64_t *day)
{
	char	*s;
	int	 y, m, d, rc = -1;

	if ((s = parse_string(p, t, key, 1)) == NULL)
		return (-1);
	if (calendar_parse_date(s, &y, &m, &d) == 0) {
		*day = calendar_date_number(y, m, d);
		rc = 0;
	} else
		parse_problem_at(p, key, "\"%s\" must be a date YYYY-MM-DD",
		    key);
	free(s);
	return (rc);
}

/*
 * holidays = "all" or a festival ("spring-festival", "春节"): the period is
 * on in every holiday of the calendar, or in that festival's, any year.
 */
static int
parse_period_holidays(struct parse *p, struct period *pe)
{
	char	*s;
	int	 f;

	pe->holidays = -1;
	lua_getfield(p->L, 1, "holidays");
	f = lua_isnil(p->L, -1);
	lua_pop(p->L, 1);
	if (f || (s = parse_string(p, 1, "holidays", 0)) == NULL)
		return (-1);
	if (strcmp(s, "all") == 0)
		pe->holidays = CALENDAR_ANY_HOLIDAY;
	else if ((pe->holidays = calendar_festival_find(s)) < 0)
		parse_problem_at(p, "holidays", "\"holidays\" must be \"all\" "
		    "or a festival: "
		    "new-year, spring-festival, qingming, labour-day, "
		    "dragon-boat, mid-autumn, national-day (not \"%s\")", s);
	free(s);
	return (0);
}

/*
 * period "two-sessions" { from = "2027-03-03", to = "2027-03-15", tags },
 * or period "holidays" { holidays = "all", tags }: dated or from the
 * holiday calendar.
 */
static int
rules_api_period_body(lua_State *L)
{
	static const char *const keys[] = { "from", "to", "tags", "holidays",
	    NULL };
	struct parse	 p;
	struct period	*pe;
	int		 from, to;

	if (parse_begin(L, &p, "period") != 0)
		return (0);
	pe = xcalloc(1, sizeof(*pe));
	pe->name = xstrdup(lua_tostring(L, lua_upvalueindex(2)));
	pe->where = xstrdup(p.where);
	APPEND(p.rules->periods, p.rules->nperiods, pe);
	parse_keys(&p, 1, keys);
	if (parse_period_holidays(&p, pe) == 0) {
		lua_getfield(L, 1, "from");
		lua_getfield(L, 1, "to");
		if (!lua_isnil(L, -1) || !lua_isnil(L, -2))
			parse_problem_at(&p, lua_isnil(L, -1) ? "from" : "to",
			    "a period of \"holidays\" has no \"from\" or "
			    "\"to\"");
		lua_pop(L, 2);
		parse_names(&p, 1, "tags", &pe->tags);
		if (pe->tags.n == 0)
			names_add(&pe->tags, pe->name);
		return (0);
	}
	from = parse_date(&p, 1, "from", &pe->from_day);
	to = parse_date(&p, 1, "to", &pe->to_day);
	if (from == 0 && to == 0 && pe->to_day < pe->from_day)
		parse_problem_at(&p, "to", "\"to\" comes before \"from\"");
	parse_names(&p, 1, "tags", &pe->tags);
	if (pe->tags.n == 0)
		names_add(&pe->tags, pe->name);
	return (0);
}

/*
 * event_type "accepted" { title = "受理告知" }: a type of event a pack's
 * procedures expect beyond the built-in ones (SPEC §2), so that --check can
 * tell a met_by type nobody will ever send from a typo.
 */
static int
rules_api_event_type_body(lua_State *L)
{
	static const char *const keys[] = { "title", NULL };
	struct parse	 p;
	char		*title;

	if (parse_begin(L, &p, "event_type") != 0)
		return (0);
	parse_keys(&p, 1, keys);
	title = parse_string(&p, 1, "title", 0);
	free(title);
	if (!names_has(&p.rules->event_types, lua_tostring(L,
	    lua_upvalueindex(2))))
		names_add(&p.rules->event_types, lua_tostring(L,
		    lua_upvalueindex(2)));
	return (0);
}

/* "HH:MM" (up to "24:00") as ms after midnight, or -1. */
static int64_t
parse_clock_time(const char *s)
{
	int	h, m;
	char	end;

	if (sscanf(s, "%d:%d%c", &h, &m, &end) != 2 || h < 0 || h > 24 ||
	    m < 0 || m > 59 || (h == 24 && m != 0) || strlen(s) != 5)
		return (-1);
	return (h * MSEC_PER_HOUR + m * MSEC_PER_MIN);
}

/* remind = { "1h" }: lead times before the due time, elapsed. */
static void
parse_remind(struct parse *p, int t, struct duration **out, size_t *n)
{
	struct names	 remind = { NULL, 0 };
	char		*cause = NULL;
	size_t		 i;

	parse_names(p, t, "remind", &remind);
	*out = remind.n ? xcalloc(remind.n, sizeof(**out)) : NULL;
	for (i = 0; i < remind.n; i++) {
		if (calendar_parse_duration(remind.v[i], &(*out)[*n], &cause)
		    != 0 || (*out)[*n].kind != DURATION_ELAPSED) {
			free(cause);
			cause = NULL;
			parse_problem_at(p, "remind", "bad remind lead time "
			    "\"%s\": elapsed time (s, m, h, d)", remind.v[i]);
			continue;
		}
		(*n)++;
	}
	names_free(&remind);
}

/* on = { "2026-12-31", ... }: a report due on the dates listed only. */
static void
parse_recurring_dates(struct parse *p, struct calendar_rule *rule)
{
	lua_State	*L = p->L;
	lua_Integer	 i, n = (lua_Integer)lua_rawlen(L, -1);
	int		 y, m, d;

	rule->every = CALENDAR_EVERY_DATES;
	rule->dates = n > 0 ? xcalloc((size_t)n, sizeof(*rule->dates)) : NULL;
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, -1, i);
		if (lua_type(L, -1) != LUA_TSTRING || calendar_parse_date(
		    lua_tostring(L, -1), &y, &m, &d) != 0)
			parse_problem_at(p, "on", "\"on\" lists dates "
			    "YYYY-MM-DD");
		else
			rule->dates[rule->ndates++] =
			    calendar_date_number(y, m, d);
		lua_pop(L, 1);
	}
	if (rule->ndates == 0)
		parse_problem_at(p, "on", "\"on\" lists no date");
}

/*
 * every = "month", on = "5wd", shift = "next-working-day": the days it is
 * due on.  weekday = N is the older spelling of every = "week", on = N.
 */
static void
parse_recurring_rule(struct parse *p, struct recurring *rc)
{
	static const char *const everys[] = { "day", "week", "month",
	    "quarter", "half-year", "year", NULL };
	static const char *const shifts[] = { "none", "next-working-day",
	    "previous-working-day", "skip", NULL };
	struct calendar_rule	*rule = &rc->rule;
	lua_State		*L = p->L;
	const char		*bad;
	char			*text, near[128];
	long long		 weekday;
	int			 every = CALENDAR_EVERY_DAY, v, dated = 0;

	rule->on = CALENDAR_ON_DAY;
	rule->n = 1;
	parse_integer(p, 1, "weekday", 1, 7, 0, &weekday);
	text = parse_string(p, 1, "every", 0);	/* held: no Lua till free */
	if (text != NULL && (every = calendar_every_parse(text)) < 0) {
		parse_problem_at(p, "every", "\"every\" must be \"day\", "
		    "\"week\", \"month\", \"quarter\", \"half-year\" or "
		    "\"year\" (not \"%s\")%s", text, names_suggest(text,
		    everys, 6, near, sizeof(near)));
		every = CALENDAR_EVERY_DAY;
	}
	rule->every = (enum calendar_every)every;
	lua_getfield(L, 1, "on");
	if (lua_istable(L, -1)) {
		dated = 1;
		if (text != NULL)
			parse_problem_at(p, "every", "a list of dates in "
			    "\"on\" takes no \"every\"");
		parse_recurring_dates(p, rule);
	} else if (lua_isinteger(L, -1)) {
		rule->n = (int)lua_tointeger(L, -1);
		if (rule->n < 1)
			parse_problem_at(p, "on", "\"on\" counts from 1");
	} else if (lua_type(L, -1) == LUA_TSTRING) {
		if ((bad = calendar_on_parse(lua_tostring(L, -1), rule)) !=
		    NULL)
			parse_problem_at(p, "on", "\"on\" %s", bad);
	} else if (!lua_isnil(L, -1))
		parse_problem_at(p, "on", "\"on\" must be a day, a working day "
		    "(\"5wd\"), \"last\", \"last-wd\", a date or a list of "
		    "dates");
	else if (weekday != 0) {
		rule->n = (int)weekday;
		if (every != CALENDAR_EVERY_WEEK)
			parse_problem_at(p, "weekday", "\"weekday\" needs "
			    "every = \"week\"");
	} else if (every != CALENDAR_EVERY_DAY)
		parse_problem_at(p, "every", "every = \"%s\" needs \"on\": a "
		    "day of the %s, a working day (\"5wd\"), \"last\" or "
		    "\"last-wd\"%s", text, text, every == CALENDAR_EVERY_WEEK ?
		    " (weekday 1 Monday .. 7 Sunday)" : "");
	if (!lua_isnil(L, -1) && weekday != 0)
		parse_problem_at(p, "weekday", "give \"on\" or \"weekday\", "
		    "not both");
	lua_pop(L, 1);
	free(text);
	if (!dated && (rule->on == CALENDAR_ON_DAY || rule->on ==
	    CALENDAR_ON_WORKING_DAY) && rule->n > calendar_every_days(every))
		parse_problem_at(p, "on", "\"on\" = %d: the period has %d "
		    "days or fewer; say \"last\" or \"last-wd\"", rule->n,
		    calendar_every_days(every));
	if (!dated && rule->on == CALENDAR_ON_DATE && every !=
	    CALENDAR_EVERY_YEAR)
		parse_problem_at(p, "on", "a date of the year in \"on\" needs "
		    "every = \"year\"");
	if (rule->every == CALENDAR_EVERY_WEEK && rule->on == CALENDAR_ON_DAY)
		rc->weekday = rule->n;
	if ((text = parse_string(p, 1, "shift", 0)) != NULL) {
		if ((v = calendar_shift_parse(text)) < 0)
			parse_problem_at(p, "shift", "\"shift\" must be \"none\", "
			    "\"next-working-day\", \"previous-working-day\" or "
			    "\"skip\" (not \"%s\")%s", text, names_suggest(text,
			    shifts, 4, near, sizeof(near)));
		else
			rule->shift = (enum calendar_shift)v;
		free(text);
	}
}

/* The parts recurring reports and spot checks share. */
static void
parse_recurring(struct parse *p, struct recurring *rc)
{
	char	*text;

	rc->title = parse_string(p, 1, "title", 0);
	if ((text = parse_string(p, 1, "at", 1)) != NULL &&
	    (rc->at = parse_clock_time(text)) < 0)
		parse_problem_at(p, "at", "\"at\" must be a time of day such "
		    "as \"17:00\"");
	free(text);
	rc->close = 24 * MSEC_PER_HOUR;
	if ((text = parse_string(p, 1, "close", 0)) != NULL &&
	    (rc->close = parse_clock_time(text)) < 0)
		parse_problem_at(p, "close", "\"close\" must be a time of day "
		    "such as \"24:00\"");
	free(text);
	if (rc->close >= 0 && rc->close < rc->at)
		parse_problem_at(p, "close", "\"close\" comes before "
		    "\"at\"");
	parse_recurring_rule(p, rc);
	rc->during = parse_string(p, 1, "during", 0);
	parse_remind(p, 1, &rc->remind, &rc->nremind);
	parse_match(p, 1, "met_by", &rc->met_by);
	if (rc->met_by.ref == LUA_NOREF && rc->met_by.nterms == 0)
		parse_problem(p, "\"met_by\" is required");
	rc->owner = parse_string(p, 1, "owner", 0);
	rc->on_breach = parse_string(p, 1, "on_breach", 0);
	parse_messages(p, 1, &rc->messages);
	if (rc->owner == NULL && rc->on_breach == NULL)
		parse_problem(p, "tells nobody when it is breached: give it "
		    "an owner or on_breach");
}

/* units = { ... } or a function (of a spotcheck: from = ...). */
static void
parse_recurring_units(struct parse *p, struct recurring *rc, const char *key)
{
	lua_State	*L = p->L;

	lua_getfield(L, 1, key);
	if (lua_isfunction(L, -1))
		rc->units_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	else {
		parse_names_top(p, key, &rc->units);
		lua_pop(L, 1);
		if (rc->units.n == 0)
			parse_problem_at(p, key, "no units: nobody owes this "
			    "report");
	}
}

static struct recurring *
recurring_new(struct parse *p)
{
	struct recurring	*rc;

	rc = xcalloc(1, sizeof(*rc));
	rc->name = xstrdup(p->name);
	rc->where = xstrdup(p->where);
	rc->units_ref = LUA_NOREF;
	APPEND(p->rules->recurrings, p->rules->nrecurrings, rc);
	return (rc);
}

/*
 * recurring "monthly-report" { every = "month", on = "5wd", at = "17:00",
 * units = { ... }, met_by = ..., close, shift, during, remind, owner,
 * on_breach }
 */
static int
rules_api_recurring_body(lua_State *L)
{
	static const char *const keys[] = { "title", "at", "close", "every",
	    "weekday", "on", "shift", "during", "remind", "units", "met_by",
	    "owner", "on_breach", "messages", NULL };
	struct parse		 p;
	struct recurring	*rc;

	if (parse_begin(L, &p, "recurring") != 0)
		return (0);
	rc = recurring_new(&p);
	parse_keys(&p, 1, keys);
	parse_recurring(&p, rc);
	parse_recurring_units(&p, rc, "units");
	return (0);
}

/*
 * spotcheck "duty-check" { every = "week", on = 2, at = "10:00", pick = 3,
 * from = { ... }, seed = secret("spotcheck"), met_by = ..., ... }: 随机抽查,
 * pick units drawn afresh each time it falls due (engine-recurring.c).
 */
static int
rules_api_spotcheck_body(lua_State *L)
{
	static const char *const keys[] = { "title", "at", "close", "every",
	    "weekday", "on", "shift", "during", "remind", "pick", "from",
	    "seed", "met_by", "owner", "on_breach", "messages", NULL };
	struct parse		 p;
	struct recurring	*rc;
	const char		*base;
	long long		 pick;

	if (parse_begin(L, &p, "spotcheck") != 0)
		return (0);
	rc = recurring_new(&p);
	parse_keys(&p, 1, keys);
	parse_recurring(&p, rc);
	parse_recurring_units(&p, rc, "from");
	if (parse_integer(&p, 1, "pick", 1, 100000, 0, &pick) == 0 &&
	    pick == 0)
		parse_problem(&p, "\"pick\" is required: how many units are "
		    "checked each time");
	rc->pick = (int)pick;
	if (rc->units_ref == LUA_NOREF && rc->units.n > 0 &&
	    (size_t)pick > rc->units.n)
		parse_problem_at(&p, "pick", "\"pick\" = %lld of %zu units",
		    pick, rc->units.n);
	/* Unseeded, the draw is the site's own: seeded by its file's name. */
	if ((rc->seed = parse_string(&p, 1, "seed", 0)) == NULL) {
		base = strrchr(p.rules->site_path, '/');
		rc->seed = xstrdup(base != NULL ? base + 1 :
		    p.rules->site_path);
	}
	return (0);
}

/* on = { ["2026-10-01"] = "li", ... }: the dated duty list. */
static void
parse_roster_on(struct parse *p, int t, struct roster *ro)
{
	lua_State	*L = p->L;
	int		 y, m, d;

	lua_getfield(L, t, "on");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return;
	}
	if (!lua_istable(L, -1)) {
		parse_problem_at(p, "on", "\"on\" maps dates to who is on "
		    "duty");
		lua_pop(L, 1);
		return;
	}
	parse_enter(p, "on", 0);
	lua_pushnil(L);
	while (lua_next(L, -2) != 0) {
		if (lua_type(L, -2) != LUA_TSTRING ||
		    lua_type(L, -1) != LUA_TSTRING ||
		    calendar_parse_date(lua_tostring(L, -2), &y, &m, &d) != 0)
			parse_problem_at(p, lua_type(L, -2) == LUA_TSTRING ?
			    lua_tostring(L, -2) : NULL, "\"on\" maps dates "
			    "YYYY-MM-DD to a person, group or role name");
		else {
			ro->on_days = xreallocarray(ro->on_days,
			    ro->on_targets.n + 1, sizeof(*ro->on_days));
			ro->on_days[ro->on_targets.n] =
			    calendar_date_number(y, m, d);
			names_add(&ro->on_targets, lua_tostring(L, -1));
		}
		lua_pop(L, 1);
	}
	parse_leave(p);
	lua_pop(L, 1);
}

static int
rules_api_roster_body(lua_State *L)
{
	static const char *const keys[] = { "handover", "start", "every",
	    "rotation", "on", NULL };
	struct parse	 p;
	struct roster	*ro;
	char		*text;
	int64_t		 every;

	if (parse_begin(L, &p, "roster") != 0)
		return (0);
	ro = xcalloc(1, sizeof(*ro));
	ro->name = xstrdup(lua_tostring(L, lua_upvalueindex(2)));
	ro->where = xstrdup(p.where);
	ro->every = 1;
	APPEND(p.rules->rosters, p.rules->nrosters, ro);
	parse_keys(&p, 1, keys);
	if ((text = parse_string(&p, 1, "handover", 0)) != NULL &&
	    ((ro->handover = parse_clock_time(text)) < 0 ||
	    ro->handover >= 24 * MSEC_PER_HOUR))
		parse_problem_at(&p, "handover", "\"handover\" must be a time "
		    "of day such as \"08:30\"");
	free(text);
	parse_date(&p, 1, "start", &ro->start_day);
	if (parse_elapsed(&p, 1, "every", &every) == 0 && every != 0) {
		if (every % MSEC_PER_DAY != 0)
			parse_problem_at(&p, "every", "\"every\" must be whole "
			    "days, such as \"1d\" or \"7d\"");
		else
			ro->every = (int)(every / MSEC_PER_DAY);
	}
	parse_names(&p, 1, "rotation", &ro->rotation);
	parse_roster_on(&p, 1, ro);
	if (ro->rotation.n == 0)
		parse_problem(&p, "\"rotation\" must name who takes turns");
	return (0);
}

/*
 * Every date a rule set lists, ranges counted day by day: a loop that
 * lists a year's range ten thousand times is refused, not walked.
 */
#define RULES_HOLIDAY_DAYS_MAX	(64 * 366)

/* Add "YYYY-MM-DD" or "YYYY-MM-DD..YYYY-MM-DD" to the calendar. */
static void
parse_holiday_dates(struct parse *p, const char *key, int year, int working,
    int regional)
{
	struct names	 dates = { NULL, 0 };
	char		 from[32], *dots, *cause;
	int		 y1, m1, d1, y2, m2, d2, n;
	int64_t		 t, end;
	size_t		 i;
	struct tm	 tm;
	time_t		 secs;

	parse_names(p, 1, key, &dates);
	for (i = 0; i < dates.n; i++) {
		dots = strstr(dates.v[i], "..");
		snprintf(from, sizeof(from), "%.*s", dots != NULL ?
		    (int)(dots - dates.v[i]) : (int)strlen(dates.v[i]),
		    dates.v[i]);
		if (calendar_parse_date(from, &y1, &m1, &d1) != 0 ||
		    (dots != NULL && calendar_parse_date(dots + 2, &y2, &m2,
		    &d2) != 0)) {
			parse_problem_at(p, key, "%s: bad date \"%s\" (want "
			    "YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD)", key,
			    dates.v[i]);
			continue;
		}
		if (dots == NULL) {
			y2 = y1;
			m2 = m1;
			d2 = d1;
		}
		if (y1 != year || y2 != year) {
			parse_problem_at(p, key, "%s: \"%s\" is not in %d",
			    key, dates.v[i], year);
			continue;
		}
		/* Walk the range a day at a time, at local noon. */
		t = calendar_local_midnight(y1, m1, d1) + 12 * MSEC_PER_HOUR;
		end = calendar_local_midnight(y2, m2, d2) + 12 * MSEC_PER_HOUR;
		for (n = 0; t <= end && n < 366; t += MSEC_PER_DAY, n++) {
			secs = (time_t)(t / MSEC_PER_SEC);
			localtime_r(&secs, &tm);
			snprintf(from, sizeof(from), "%04d-%02d-%02d",
			    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
			if (p->rules->holiday_days++ >= RULES_HOLIDAY_DAYS_MAX) {
				parse_problem_at(p, key, "%s: more than %d "
				    "holiday dates in all", key,
				    RULES_HOLIDAY_DAYS_MAX);
				names_free(&dates);
				return;
			}
			if ((regional ? calendar_add_regional_day :
			    calendar_add_day)(p->rules->calendar, from, working,
			    &cause) != 0) {
				parse_problem_at(p, key, "%s", cause);
				free(cause);
				break;
			}
		}
	}
	names_free(&dates);
}

/*
 * holidays "2026" { source = "国办发明电〔2025〕7号", off = { ... },
 * on = { ... } }: one year of the State Council schedule, which ends the
 * year's provisional state; with regional = true, a region's own days,
 * which do not.
 */
static int
rules_api_holidays_body(lua_State *L)
{
	static const char *const keys[] = { "source", "off", "on", "regional",
	    NULL };
	struct parse	 p;
	char		*source, *end;
	long		 year;
	int		 regional;

	if (parse_begin(L, &p, "holidays") != 0)
		return (0);
	year = strtol(lua_tostring(L, lua_upvalueindex(2)), &end, 10);
	if (*end != '\0' || year < 1970 || year > 9999) {
		parse_problem(&p, "the name must be a year, e.g. holidays "
		    "\"2026\" { ... }");
		return (0);
	}
	parse_keys(&p, 1, keys);
	source = parse_string(&p, 1, "source", 1);
	free(source);
	lua_getfield(L, 1, "regional");
	if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
		parse_problem_at(&p, "regional", "\"regional\" must be true or "
		    "false");
	regional = lua_toboolean(L, -1);
	lua_pop(L, 1);
	parse_holiday_dates(&p, "off", (int)year, 0, regional);
	parse_holiday_dates(&p, "on", (int)year, 1, regional);
	return (0);
}

/*
 * A site key whose value is a table of its own: the table is pushed and
 * its index returned, or 0 (nothing pushed) when the key is absent or
 * not a table.  Problems then say "site: KEY".
 */
static int
parse_site_table(struct parse *p, const char *key, const char *example)
{
	lua_State	*L = p->L;

	lua_getfield(L, 1, key);
	if (lua_istable(L, -1))
		return (lua_gettop(L));
	if (!lua_isnil(L, -1))
		parse_problem(p, "\"%s\" expects a table: %s = { %s }", key,
		    key, example);
	lua_pop(L, 1);
	return (0);
}

/*
 * An elapsed time of at least 1s, or def when the key is absent (or
 * wrong: the problem is said, and the value never used).
 */
static void
parse_site_elapsed(struct parse *p, int t, const char *key, int64_t def,
    int64_t *out)
{
	if (parse_elapsed(p, t, key, out) == 0 && *out != 0 &&
	    *out < MSEC_PER_SEC)
		parse_problem(p, "\"%s\" must be 1s or more", key);
	if (*out == 0)
		*out = def;
}

/* heartbeat = { url = secret("heartbeat_url"), every = "60s" } */
static void
parse_site_heartbeat(struct parse *p, struct site_heartbeat *hb)
{
	static const char *const keys[] = { "url", "every", "method", NULL };
	const char	*what = p->what;
	int		 t;

	if ((t = parse_site_table(p, "heartbeat", "url = ..., every = "
	    "\"60s\"")) == 0)
		return;
	p->what = "site: heartbeat";
	parse_keys(p, t, keys);
	/* The url may be a secret: no problem quotes it. */
	hb->url = parse_string(p, t, "url", 1);
	if (hb->url != NULL && strncmp(hb->url, "http://", 7) != 0 &&
	    strncmp(hb->url, "https://", 8) != 0)
		parse_problem(p, "\"url\" must start with http:// or https://");
	hb->method = parse_string(p, t, "method", 0);
	if (hb->method == NULL)
		hb->method = xstrdup("GET");
	else if (strcmp(hb->method, "GET") != 0 &&
	    strcmp(hb->method, "POST") != 0)
		parse_problem(p, "\"method\" must be \"GET\" or \"POST\"");
	parse_site_elapsed(p, t, "every", 60 * MSEC_PER_SEC, &hb->every);
	lua_pop(p->L, 1);
	p->what = what;
}


/*
 * alarm = { to = "office", channel = "sms-ops", queued_after = "10m",
 * failing_after = "15m", remind_every = "1h" }; rules.c checks the names.
 */
static void
parse_site_alarm(struct parse *p, struct site_alarm *a)
{
	static const char *const keys[] = { "to", "channel", "queued_after",
	    "failing_after", "remind_every", NULL };
	const char	*what = p->what;
	int		 t;

	if ((t = parse_site_table(p, "alarm", "to = \"office\", channel = "
	    "\"sms-ops\"")) == 0)
		return;
	p->what = "site: alarm";
	parse_keys(p, t, keys);
	a->where = xstrdup(p->where);
	a->channel = parse_string(p, t, "channel", 1);
	if ((a->to = parse_string(p, t, "to", 0)) == NULL)
		a->to = xstrdup("office");
	parse_site_elapsed(p, t, "queued_after", 10 * MSEC_PER_MIN,
	    &a->queued_after);
	parse_site_elapsed(p, t, "failing_after", 15 * MSEC_PER_MIN,
	    &a->failing_after);
	parse_site_elapsed(p, t, "remind_every", MSEC_PER_HOUR,
	    &a->remind_every);
	lua_pop(p->L, 1);
	p->what = what;
}

/*
 * handover = { roster = "duty", to = "incoming", channel = "sms" }; rules.c
 * checks the names.
 */
static void
parse_site_handover(struct parse *p, struct site_handover *h)
{
	static const char *const keys[] = { "roster", "to", "channel", NULL };
	const char	*what = p->what;
	char		*to;
	int		 t;

	if ((t = parse_site_table(p, "handover", "roster = \"duty\", "
	    "to = \"incoming\"")) == 0)
		return;
	p->what = "site: handover";
	parse_keys(p, t, keys);
	h->where = xstrdup(p->where);
	h->roster = parse_string(p, t, "roster", 1);
	h->channel = parse_string(p, t, "channel", 0);
	if ((to = parse_string(p, t, "to", 0)) != NULL) {
		if (strcmp(to, "both") == 0)
			h->both = 1;
		else if (strcmp(to, "incoming") != 0)
			parse_problem_at(p, "to", "\"to\" must be \"incoming\" "
			    "or \"both\"");
		free(to);
	}
	lua_pop(p->L, 1);
	p->what = what;
}

/* site { ... }: the daemon's own settings. */
static int
rules_api_site(lua_State *L)
{
	static const char *const keys[] = { "listen", "database",
	    "synchronous", "timezone", "rules", "body_limit",
	    "notify_deadline", "rule_instructions", "rule_memory",
	    "undelivered_notify", "public_url", "messages", "spool",
	    "unmatched", "national_holidays", "hosts", "max_connections",
	    "header_timeout", "body_timeout", "units_strict", "heartbeat",
	    "alarm", "lease", "node", "handover", NULL };
	static char	 where[512];
	struct parse	 p;
	struct site	*s;
	long long	 v;

	p.L = L;
	p.rules = lua_touserdata(L, lua_upvalueindex(1));
	p.what = "site";
	p.kind = "site";
	p.name = NULL;
	p.depth = 0;
	p.failed = 0;
	p.where = rules_api_caller(L, where, sizeof(where));
	if (!lua_istable(L, 1)) {
		parse_problem(&p, "expects a table: site { ... }");
		return (0);
	}
	/*
	 * Only the first counts: a second from a rule pack could list its
	 * own directory in rules, and rules_load would read it for ever.
	 */
	if (p.rules->site_declared++) {
		parse_problem(&p, "declared more than once");
		return (0);
	}
	s = &p.rules->site;
	parse_keys(&p, 1, keys);
#define SITE_STRING(field, key) do {					\
	char *tmp_ = parse_string(&p, 1, key, 0);			\
	if (tmp_ != NULL) { free(s->field); s->field = tmp_; }		\
} while (0)
	SITE_STRING(listen, "listen");
	SITE_STRING(database, "database");
	SITE_STRING(synchronous, "synchronous");
	SITE_STRING(timezone, "timezone");
	SITE_STRING(undelivered_notify, "undelivered_notify");
	SITE_STRING(public_url, "public_url");
	SITE_STRING(spool, "spool");
	SITE_STRING(node, "node");
#undef SITE_STRING
	if (s->public_url != NULL && strncmp(s->public_url, "http://", 7) != 0
	    && strncmp(s->public_url, "https://", 8) != 0)
		parse_problem_at(&p, "public_url", "\"public_url\" must start "
		    "with http:// or https://");
	parse_names(&p, 1, "rules", &s->rules);
	parse_names(&p, 1, "unmatched", &s->unmatched);
	parse_names(&p, 1, "hosts", &s->hosts);
	parse_messages(&p, 1, &s->messages);
	parse_site_heartbeat(&p, &s->heartbeat);
	parse_site_alarm(&p, &s->alarm);
	parse_site_handover(&p, &s->handover);
	/* national_holidays = false: the site's holidays blocks are all. */
	lua_getfield(L, 1, "national_holidays");
	if (lua_isboolean(L, -1))
		calendar_set_national(p.rules->calendar, lua_toboolean(L, -1));
	else if (!lua_isnil(L, -1))
		parse_problem_at(&p, "national_holidays",
		    "\"national_holidays\" must be true or false");
	lua_pop(L, 1);
	lua_getfield(L, 1, "units_strict");
	if (lua_isboolean(L, -1))
		s->units_lenient = !lua_toboolean(L, -1);
	else if (!lua_isnil(L, -1))
		parse_problem_at(&p, "units_strict", "\"units_strict\" must be "
		    "true or false");
	lua_pop(L, 1);
	if (parse_integer(&p, 1, "max_connections", 16, 1000000, 0, &v) == 0
	    && v != 0)
		s->max_connections = (size_t)v;
	if (parse_integer(&p, 1, "body_limit", 1024, 64 << 20, 0, &v) == 0 &&
	    v != 0)
		s->body_limit = (size_t)v;
	if (parse_integer(&p, 1, "rule_instructions", 1000, 1000000000, 0,
	    &v) == 0 && v != 0)
		s->rule_instructions = (long)v;
	if (parse_integer(&p, 1, "rule_memory", 1 << 20, 1LL << 32, 0, &v)
	    == 0 && v != 0)
		s->rule_memory = (size_t)v;
	{
		int64_t	d;

		if (parse_elapsed(&p, 1, "notify_deadline", &d) == 0 && d > 0)
			s->notify_deadline = d;
		if (parse_elapsed(&p, 1, "header_timeout", &d) == 0 && d > 0)
			s->header_timeout = d;
		if (parse_elapsed(&p, 1, "body_timeout", &d) == 0 && d > 0)
			s->body_timeout = d;
		if (parse_elapsed(&p, 1, "lease", &d) == 0 && d != 0 &&
		    (d < MSEC_PER_SEC || d > 10 * MSEC_PER_MIN))
			parse_problem_at(&p, "lease", "\"lease\" must be "
			    "between 1s and 10m");
		else if (d > 0)
			s->lease = d;
	}
	return (0);
}

static int
secret_name_ok(const char *s)
{
	if (*s == '\0' || *s == '.')
		return (0);
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' &&
		    *s != '.')
			return (0);
	}
	return (1);
}

/*
 * Where secret() looks when no service manager set $CREDENTIALS_DIRECTORY:
 * credentials/ beside the site file, the directory the shipped unit's
 * LoadCredential= lines read from (/etc/tocsin/credentials), so a
 * `tocsind --check` run by hand finds what the service will be given;
 * else secrets/ beside it, as before.
 */
static void
secret_default_dir(const char *site_dir, char *buf, size_t len)
{
	struct stat	st;

	snprintf(buf, len, "%s/credentials", site_dir);
	if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
		return;
	snprintf(buf, len, "%s/secrets", site_dir);
}

/*
 * secret("name"): the contents of $CREDENTIALS_DIRECTORY/name (systemd's
 * LoadCredential=; `--credentials DIR` sets it for a run by hand), else
 * of name in the directory above.  A trailing newline is dropped.  The
 * value is never logged.
 */
static int
rules_api_secret(lua_State *L)
{
	struct rules	*r = lua_touserdata(L, lua_upvalueindex(1));
	const char	*name = luaL_checkstring(L, 1);
	const char	*dir = getenv("CREDENTIALS_DIRECTORY");
	char		*path, buf[4096], dbuf[4096];
	FILE		*f;
	size_t		 len;
	char		 where[512];

	rules_api_caller(L, where, sizeof(where));
	if (!secret_name_ok(name)) {
		rules_problems_add(r->problems, "%s: bad secret name \"%s\"",
		    where, name);
		lua_pushstring(L, "");
		return (1);
	}
	if (dir == NULL || *dir == '\0') {
		secret_default_dir(r->site_dir, dbuf, sizeof(dbuf));
		dir = dbuf;
	}
	xasprintf(&path, "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL) {
		rules_problems_add(r->problems, "%s: secret \"%s\": %s: %s",
		    where, name, path, strerror(errno));
		free(path);
		lua_pushstring(L, "");
		return (1);
	}
	free(path);
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	lua_pushlstring(L, buf, len);
	explicit_bzero(buf, sizeof(buf));
	return (1);
}

/*
 * Site settings (SPEC §4).  A pack declares each figure it reads:
 *
 *	local at = setting "hs_daily_at" { default = "17:00", type = "time" }
 *
 * and the declaration is the value: the site's, when its `settings { }`
 * gives one, else the default.  The site's values are kept in the
 * registry under SETTINGS_KEY; a value of the wrong type, and a
 * site setting no pack declares, are problems at the site's line with the
 * nearest name.  A site that assigns `settings = { }` instead still works,
 * unchecked.
 */
#define SETTINGS_KEY	"tocsin.settings"

static const struct {
	const char	*name;
	const char	*says;		/* "must be ..." */
} setting_types[] = {
	{ "string",	"a string" },
	{ "number",	"a number" },
	{ "integer",	"a whole number" },
	{ "boolean",	"true or false" },
	{ "duration",	"a duration such as \"2h\" or \"5wd\"" },
	{ "time",	"a time of day such as \"17:00\"" },
	{ "names",	"a list of names" },
};
#define NSETTING_TYPES	(sizeof(setting_types) / sizeof(setting_types[0]))

/* Whether the value at idx is of setting type t. */
static int
setting_type_ok(lua_State *L, int idx, size_t t)
{
	struct duration	 d;
	const char	*name = setting_types[t].name;
	char		*cause = NULL;
	lua_Integer	 i, n;
	int		 ok;

	if (strcmp(name, "number") == 0)
		return (lua_type(L, idx) == LUA_TNUMBER);
	if (strcmp(name, "integer") == 0)
		return (lua_isinteger(L, idx));
	if (strcmp(name, "boolean") == 0)
		return (lua_isboolean(L, idx));
	if (strcmp(name, "names") == 0) {
		if (!lua_istable(L, idx))
			return (lua_type(L, idx) == LUA_TSTRING);
		n = (lua_Integer)lua_rawlen(L, idx);
		for (i = 1, ok = 1; i <= n && ok; i++) {
			lua_rawgeti(L, idx, i);
			ok = lua_type(L, -1) == LUA_TSTRING;
			lua_pop(L, 1);
		}
		return (ok);
	}
	if (lua_type(L, idx) != LUA_TSTRING)
		return (0);
	if (strcmp(name, "duration") == 0) {
		ok = calendar_parse_duration(lua_tostring(L, idx), &d, &cause)
		    == 0;
		free(cause);
		return (ok);
	}
	if (strcmp(name, "time") == 0)
		return (parse_clock_time(lua_tostring(L, idx)) >= 0);
	return (1);
}

/* The type a default says without `type`: its Lua type's. */
static size_t
setting_type_of(lua_State *L, int idx)
{
	switch (lua_type(L, idx)) {
	case LUA_TNUMBER:
		return (lua_isinteger(L, idx) ? 2 : 1);
	case LUA_TBOOLEAN:
		return (3);
	case LUA_TTABLE:
		return (6);
	}
	return (0);
}

/* Whether the value at idx is one of the list at allowed (0: no list). */
static int
setting_allowed(lua_State *L, int idx, int allowed)
{
	lua_Integer	i, n;
	int		ok = 0;

	if (allowed == 0 || !lua_istable(L, allowed))
		return (1);
	idx = lua_absindex(L, idx);
	n = (lua_Integer)lua_rawlen(L, allowed);
	for (i = 1; i <= n && !ok; i++) {
		lua_rawgeti(L, allowed, i);
		ok = lua_rawequal(L, -1, idx);
		lua_pop(L, 1);
	}
	return (ok);
}

/* Where the site gives setting name: its key's line, or "" (legacy). */
static const char *
setting_site_where(struct rules *r, const char *name, char *buf, size_t len)
{
	size_t	i;

	for (i = r->settings_given.n; i-- > 0;) {
		if (strcmp(r->settings_given.v[i], name) == 0)
			return (rules_key_where(r, r->settings_where[i],
			    "settings", NULL, name, buf, len));
	}
	snprintf(buf, len, "%s", r->site_path);
	return (buf);
}

/* Push the site's value of name, or nil. */
static void
setting_site_value(lua_State *L, const char *name)
{
	lua_getfield(L, LUA_REGISTRYINDEX, SETTINGS_KEY);
	if (lua_istable(L, -1)) {
		lua_getfield(L, -1, name);
		lua_remove(L, -2);
		return;
	}
	lua_pop(L, 1);
	/* No settings { }: the global table a site assigned, if any. */
	lua_getglobal(L, "settings");
	if (lua_istable(L, -1)) {
		lua_getfield(L, -1, name);
		lua_remove(L, -2);
		return;
	}
	lua_pop(L, 1);
	lua_pushnil(L);
}

/* The site's value of p's setting (at the top) checked: 0, or -1. */
static int
setting_check_site(struct parse *p, size_t type, int allowed)
{
	lua_State	*L = p->L;
	char		 at[600];

	if (setting_type_ok(L, -1, type) && setting_allowed(L, -1, allowed))
		return (0);
	rules_problems_add(p->rules->problems, "%s: settings: \"%s\" must be "
	    "%s%s (setting declared at %s)", setting_site_where(p->rules,
	    p->name, at, sizeof(at)), p->name, setting_types[type].says,
	    setting_allowed(L, -1, allowed) ? "" : ", one of those allowed",
	    p->where);
	return (-1);
}

/*
 * setting "name" { default = ..., type = "time", allowed = { ... },
 * title = "..." }: returns the value.  Without a default the site must
 * give one.  Declared twice (two packs read it), each declaration checks.
 */
static int
rules_api_setting_body(lua_State *L)
{
	static const char *const keys[] = { "default", "type", "allowed",
	    "title", NULL };
	const char	*types[NSETTING_TYPES + 1];
	struct parse	 p;
	size_t		 type = 0, i;
	char		*text, *title, near[128];
	int		 allowed = 0;

	if (parse_begin(L, &p, "setting") != 0)
		return (0);
	if (!names_has(&p.rules->settings_declared, p.name))
		names_add(&p.rules->settings_declared, p.name);
	parse_keys(&p, 1, keys);
	title = parse_string(&p, 1, "title", 0);
	free(title);
	lua_getfield(L, 1, "default");			/* 2 */
	lua_getfield(L, 1, "allowed");			/* 3 */
	if (!lua_isnil(L, 3) && !lua_istable(L, 3))
		parse_problem_at(&p, "allowed", "\"allowed\" must be a list");
	else if (lua_istable(L, 3))
		allowed = 3;
	type = setting_type_of(L, 2);
	if ((text = parse_string(&p, 1, "type", 0)) != NULL) {
		for (i = 0; i < NSETTING_TYPES; i++)
			types[i] = setting_types[i].name;
		types[NSETTING_TYPES] = NULL;
		for (i = 0; i < NSETTING_TYPES && strcmp(text, types[i]); i++)
			;
		if (i == NSETTING_TYPES)
			parse_problem_at(&p, "type", "unknown type \"%s\"%s "
			    "(string, number, integer, boolean, duration, "
			    "time, names)", text, names_suggest(text, types,
			    NSETTING_TYPES, near, sizeof(near)));
		else
			type = i;
		free(text);
	}
	if (!lua_isnil(L, 2) && (!setting_type_ok(L, 2, type) ||
	    !setting_allowed(L, 2, allowed)))
		parse_problem_at(&p, "default", "\"default\" must be %s%s",
		    setting_types[type].says, setting_allowed(L, 2, allowed) ?
		    "" : ", one of those allowed");
	setting_site_value(L, p.name);			/* 4 */
	if (lua_isnil(L, 4)) {
		if (lua_isnil(L, 2))
			parse_problem(&p, "the site must set it: settings { "
			    "%s = ... }", p.name);
		lua_pushvalue(L, 2);
	} else if (setting_check_site(&p, type, allowed) != 0)
		lua_pushvalue(L, 2);
	else
		lua_pushvalue(L, 4);
	return (1);
}

/*
 * settings { hs_daily_at = "18:00", ... }: the site's values, checked
 * against the declarations once every pack is loaded.  Given twice, the
 * later value of a name wins, as in a table.
 */
static int
rules_api_settings(lua_State *L)
{
	struct rules	*r = lua_touserdata(L, lua_upvalueindex(1));
	char		 where[512];

	rules_api_caller(L, where, sizeof(where));
	if (!lua_istable(L, 1)) {
		rules_problems_add(r->problems, "%s: settings expects a table: "
		    "settings { name = value, ... }", where);
		return (0);
	}
	lua_getfield(L, LUA_REGISTRYINDEX, SETTINGS_KEY);
	if (!lua_istable(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, LUA_REGISTRYINDEX, SETTINGS_KEY);
	}
	lua_pushnil(L);
	while (lua_next(L, 1) != 0) {
		if (lua_type(L, -2) != LUA_TSTRING) {
			rules_problems_add(r->problems, "%s: settings: keys "
			    "must be names", where);
			lua_pop(L, 1);
			continue;
		}
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, -4);
		names_add(&r->settings_given, lua_tostring(L, -1));
		r->settings_where = xreallocarray(r->settings_where,
		    r->settings_given.n, sizeof(*r->settings_where));
		r->settings_where[r->settings_given.n - 1] = xstrdup(where);
	}
	lua_pop(L, 1);
	return (0);
}

/* Every setting the site gives is one a pack declares. */
void
rules_api_settings_check(struct rules *r)
{
	const char	**declared = (const char **)r->settings_declared.v;
	char		  at[600], near[128];
	size_t		  i;

	for (i = 0; i < r->settings_given.n; i++) {
		if (names_has(&r->settings_declared, r->settings_given.v[i]))
			continue;
		rules_problems_add(r->problems, "%s: settings: unknown setting "
		    "\"%s\"%s", rules_key_where(r, r->settings_where[i],
		    "settings", NULL, r->settings_given.v[i], at, sizeof(at)),
		    r->settings_given.v[i], names_suggest(
		    r->settings_given.v[i], declared, r->settings_declared.n,
		    near, sizeof(near)));
	}
}

/* `kind "name"`: remember where, return the body parser as a closure. */
static int
rules_api_declare(lua_State *L)
{
	char		 where[512];
	const char	*name;

	if (lua_type(L, 1) != LUA_TSTRING || lua_rawlen(L, 1) == 0)
		return (luaL_error(L, "a declaration needs a name: kind "
		    "\"name\" { ... }"));
	name = lua_tostring(L, 1);
	rules_api_caller(L, where, sizeof(where));
	lua_pushvalue(L, lua_upvalueindex(1));	/* rules */
	lua_pushstring(L, name);
	lua_pushstring(L, where);
	lua_pushcclosure(L, lua_tocfunction(L, lua_upvalueindex(2)), 3);
	return (1);
}

static const struct {
	const char	*name;
	lua_CFunction	 body;
} rules_api_declarations[] = {
	{ "procedure", rules_api_procedure_body },
	{ "policy", rules_api_policy_body },
	{ "person", rules_api_person_body },
	{ "group", rules_api_group_body },
	{ "role", rules_api_role_body },
	{ "channel", rules_api_channel_body },
	{ "token", rules_api_token_body },
	{ "holidays", rules_api_holidays_body },
	{ "recurring", rules_api_recurring_body },
	{ "spotcheck", rules_api_spotcheck_body },
	{ "period", rules_api_period_body },
	{ "event_type", rules_api_event_type_body },
	{ "setting", rules_api_setting_body },
	{ "roster", rules_api_roster_body },
	{ "unit", rules_api_unit_body },
};

/* Put the vocabulary into the sandbox's global table. */
void
rules_api_open(lua_State *L, struct rules *r)
{
	size_t	i;

	lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
	for (i = 0; i < sizeof(rules_api_declarations) /
	    sizeof(*rules_api_declarations); i++) {
		lua_pushlightuserdata(L, r);
		lua_pushcfunction(L, rules_api_declarations[i].body);
		lua_pushcclosure(L, rules_api_declare, 2);
		lua_setfield(L, -2, rules_api_declarations[i].name);
	}
	lua_pushlightuserdata(L, r);
	lua_pushcclosure(L, rules_api_site, 1);
	lua_setfield(L, -2, "site");
	lua_pushlightuserdata(L, r);
	lua_pushcclosure(L, rules_api_secret, 1);
	lua_setfield(L, -2, "secret");
	lua_pushlightuserdata(L, r);
	lua_pushcclosure(L, rules_api_units_csv, 1);
	lua_setfield(L, -2, "units_csv");
	lua_pushlightuserdata(L, r);
	lua_pushcclosure(L, rules_api_settings, 1);
	lua_setfield(L, -2, "settings");
	lua_pop(L, 1);
}
