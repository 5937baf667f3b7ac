/*
 * The rule sandbox.  The state gets only the libraries and functions on the
 * allow-list below, a counting allocator that refuses to grow past the cap,
 * and a count hook that stops a call after its instruction budget.  Once a
 * budget is spent the hook fires on every instruction, so a rule that
 * catches the error with pcall and loops on is stopped again at once, and
 * the error reaches C from the outermost frame.
 *
 * Rule text is loaded as text only ("t" mode) with the sandbox's own
 * environment table: no bytecode, no access to the real globals.
 *
 * A view lets the caller hand one table to many calls and still know
 * whether any of them changed it: it is an empty table whose metatable
 * leads to the table behind.  Reads, #, pairs and ipairs go through the
 * metamethods; the sandbox's next, rawget, rawlen, rawset and getmetatable
 * treat a view as the table behind it, so to a rule the view is that table,
 * except that setmetatable on it is refused.  A write goes through to the
 * table and also sets [1] = true in the caller's table (upvalue 1 of
 * __newindex).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "sandbox.h"
#include "xmalloc.h"

#define SANDBOX_HOOK_EVERY	1000
#define SANDBOX_FILE_MAX	(1024 * 1024)

/* A file's text, kept while sandbox_keep_sources is on. */
struct sandbox_source {
	char	*short_src;	/* as lua_Debug.short_src names it */
	char	*text;
	size_t	 len;
};

struct sandbox {
	lua_State	*L;
	size_t		 used;
	size_t		 cap;
	long		 budget;	/* instructions per call */
	long		 left;
	int		 spent;
	struct sandbox_source *sources;	/* sandbox_keep_sources */
	size_t		 nsources;
	int		 keep;
};

/*
 * Globals a rule may see from the base library (sandbox_own adds ours);
 * everything else is left out of the environment.
 */
static const char *sandbox_base_allow[] = {
	"assert", "error", "ipairs", "pairs", "pcall", "rawequal", "select",
	"setmetatable", "tonumber", "tostring", "type", "xpcall", "_VERSION",
};
static const char *sandbox_libs_allow[] = {
	"string", "table", "math", "utf8",
};
/*
 * Pattern matching runs in C, where the instruction hook never fires: a
 * pattern like string.rep("a*", 30) .. "b" backtracks for minutes, and
 * nothing could stop it short of killing the daemon.  So rules get
 * plain-text string.find and no match, gmatch or gsub; dump would hand out
 * bytecode.
 */
static const char *sandbox_string_deny[] = { "dump", "match", "gmatch",
    "gsub" };

static void *
sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct sandbox	*sb = ud;
	void		*p;

	if (ptr == NULL)
		osize = 0;
	if (nsize == 0) {
		free(ptr);
		sb->used -= osize;
		return (NULL);
	}
	if (nsize > osize && sb->used + (nsize - osize) > sb->cap)
		return (NULL);
	if ((p = realloc(ptr, nsize)) == NULL)
		return (NULL);
	sb->used = sb->used - osize + nsize;
	return (p);
}

static void
sandbox_hook(lua_State *L, lua_Debug *ar)
{
	struct sandbox	*sb;

	(void)ar;
	lua_getallocf(L, (void **)&sb);
	if (sb->spent) {
		luaL_error(L, "instruction limit exceeded");
		return;
	}
	sb->left -= SANDBOX_HOOK_EVERY;
	if (sb->left <= 0) {
		sb->spent = 1;
		lua_sethook(L, sandbox_hook, LUA_MASKCOUNT, 1);
		luaL_error(L, "instruction limit exceeded");
	}
}

static void
sandbox_arm(struct sandbox *sb)
{
	sb->left = sb->budget;
	sb->spent = 0;
	lua_sethook(sb->L, sandbox_hook, LUA_MASKCOUNT, SANDBOX_HOOK_EVERY);
}

static int	sandbox_view_pairs(lua_State *);

/*
 * string.find(s, text [, init]): always plain text, never a pattern, and
 * found with memmem, in time linear in the lengths.  Lua's own plain
 * search compares the whole text at each place the first byte matches,
 * so a 500 KB text looked for in a 1.5 MB string ran for minutes.
 */
static int
sandbox_string_find(lua_State *L)
{
	size_t		 ls, lt;
	const char	*s = luaL_checklstring(L, 1, &ls);
	const char	*text = luaL_checklstring(L, 2, &lt);
	lua_Integer	 init = luaL_optinteger(L, 3, 1);
	const char	*at;

	/* Lua's rules: 0 is 1, negative counts from the end. */
	if (init == 0 || init < -(lua_Integer)ls)
		init = 1;
	else if (init < 0)
		init = (lua_Integer)ls + init + 1;
	if ((lua_Unsigned)init - 1 > ls ||
	    (at = memmem(s + init - 1, ls - (size_t)(init - 1), text, lt)) ==
	    NULL) {
		luaL_pushfail(L);
		return (1);
	}
	lua_pushinteger(L, (lua_Integer)(at - s) + 1);
	lua_pushinteger(L, (lua_Integer)(at - s) + (lua_Integer)lt);
	return (2);
}

/*
 * setmetatable without finalizers: Lua turns hooks off while a __gc runs,
 * and runs the rest at lua_close, so a looping finalizer would hang the
 * daemon where no limit reaches.  A metatable that gains __gc later marks
 * nothing (Lua decides at setmetatable), so refusing it here is enough.
 */
static int
sandbox_setmetatable(lua_State *L)
{
	if (lua_istable(L, 2)) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return (luaL_error(L, "setmetatable: __gc finalizers are "
			    "not allowed in rules"));
		lua_pop(L, 1);
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	return (1);
}

/*
 * xpcall(f, handler, ...) with the handler run after f's frames are gone.
 * Lua calls a message handler while it is still raising the error, and
 * when the error came from our hook, Lua has not yet turned hooks back on
 * (the hook's longjmp skipped that): a looping handler would run for ever.
 * Here it runs as an ordinary call, with the hook and the spent budget.
 */
static int
sandbox_xpcall(lua_State *L)
{
	int	n = lua_gettop(L), i;

	luaL_checkany(L, 1);
	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_pushvalue(L, 1);
	for (i = 3; i <= n; i++)
		lua_pushvalue(L, i);
	if (lua_pcall(L, n - 2, LUA_MULTRET, 0) == LUA_OK) {
		lua_pushboolean(L, 1);
		lua_insert(L, n + 1);
		return (lua_gettop(L) - n);
	}
	lua_pushvalue(L, 2);
	lua_insert(L, -2);
	lua_call(L, 1, 1);
	lua_pushboolean(L, 0);
	lua_insert(L, -2);
	return (2);
}

/*
 * The table library walks tables in C, where the instruction hook never
 * fires either, and the length it walks to may come from a __len that is
 * itself a C function (rawget: t[t] = 1 << 50) and so be anything:
 * table.remove(t, 1) on such a table ran for days.  These wrappers hand a
 * call on only when its walk is at most SANDBOX_TABLE_MAX elements; rules
 * keep lists of units and roles, not of millions.  Upvalue 1 is the
 * library's function, upvalue 2 its name.
 */
#define SANDBOX_TABLE_MAX	100000

static int
sandbox_table_walk(lua_State *L, lua_Integer first, lua_Integer last)
{
	if (last >= first && (lua_Unsigned)last - (lua_Unsigned)first >=
	    SANDBOX_TABLE_MAX)
		return (luaL_error(L, "table.%s: more than %d elements",
		    lua_tostring(L, lua_upvalueindex(2)), SANDBOX_TABLE_MAX));
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return (lua_gettop(L));
}

/* table.insert, table.remove, table.sort: up to the length. */
static int
sandbox_table_len(lua_State *L)
{
	lua_Integer	n = 0;

	if (lua_type(L, 1) == LUA_TTABLE)
		n = luaL_len(L, 1);
	return (sandbox_table_walk(L, 1, n));
}

/* table.concat(t, sep, i, j): from i to j, #t by default. */
static int
sandbox_table_concat(lua_State *L)
{
	lua_Integer	i = 1, j = 0;

	if (lua_type(L, 1) == LUA_TTABLE) {
		i = luaL_optinteger(L, 3, 1);
		j = lua_isnoneornil(L, 4) ? luaL_len(L, 1) :
		    luaL_checkinteger(L, 4);
	}
	return (sandbox_table_walk(L, i, j));
}

/* table.move(a1, f, e, t [, a2]): from f to e. */
static int
sandbox_table_move(lua_State *L)
{
	return (sandbox_table_walk(L, luaL_checkinteger(L, 2),
	    luaL_checkinteger(L, 3)));
}

static const luaL_Reg sandbox_table_wrap[] = {
	{ "insert", sandbox_table_len },
	{ "remove", sandbox_table_len },
	{ "sort", sandbox_table_len },
	{ "concat", sandbox_table_concat },
	{ "move", sandbox_table_move },
};

/* Wrap the walking functions of the sandbox's own copy of table. */
static void
sandbox_harden_table(lua_State *L, int env)
{
	size_t	i;

	lua_getfield(L, env, "table");
	for (i = 0; i < sizeof(sandbox_table_wrap) /
	    sizeof(*sandbox_table_wrap); i++) {
		lua_getfield(L, -1, sandbox_table_wrap[i].name);
		lua_pushstring(L, sandbox_table_wrap[i].name);
		lua_pushcclosure(L, sandbox_table_wrap[i].func, 2);
		lua_setfield(L, -2, sandbox_table_wrap[i].name);
	}
	lua_pop(L, 1);
}

/* Change the real string table: s:find() reaches it via the metatable. */
static void
sandbox_harden_string(lua_State *L, int real)
{
	size_t	i;

	lua_getfield(L, real, "string");
	for (i = 0; i < sizeof(sandbox_string_deny) /
	    sizeof(*sandbox_string_deny); i++) {
		lua_pushnil(L);
		lua_setfield(L, -2, sandbox_string_deny[i]);
	}
	lua_pushcfunction(L, sandbox_string_find);
	lua_setfield(L, -2, "find");
	lua_pop(L, 1);
}

/* If the value at idx is a view, push the table behind it and say so. */
static int
sandbox_behind(lua_State *L, int idx)
{
	if (!lua_istable(L, idx) || !lua_getmetatable(L, idx))
		return (0);
	lua_pushliteral(L, "__pairs");
	if (lua_rawget(L, -2) != LUA_TFUNCTION ||
	    lua_tocfunction(L, -1) != sandbox_view_pairs) {
		lua_pop(L, 2);
		return (0);
	}
	lua_pop(L, 1);
	lua_pushliteral(L, "__index");
	lua_rawget(L, -2);
	lua_remove(L, -2);
	return (1);
}

/* view[key] = value when the view has no such key, which is always. */
static int
sandbox_view_newindex(lua_State *L)
{
	if (!sandbox_behind(L, 1))
		return (luaL_error(L, "not a view"));
	lua_pushvalue(L, 2);
	lua_pushvalue(L, 3);
	lua_rawset(L, -3);
	lua_pushboolean(L, 1);
	lua_rawseti(L, lua_upvalueindex(1), 1);
	return (0);
}

static int
sandbox_view_len(lua_State *L)
{
	if (!sandbox_behind(L, 1))
		return (luaL_error(L, "not a view"));
	lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
	return (1);
}

/* next, also over the table behind a view. */
static int
sandbox_next(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 2);
	if (sandbox_behind(L, 1))
		lua_replace(L, 1);
	if (lua_next(L, 1))
		return (2);
	lua_pushnil(L);
	return (1);
}

/* pairs(view): the view itself is the state, never the table behind. */
static int
sandbox_view_pairs(lua_State *L)
{
	lua_pushcfunction(L, sandbox_next);
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return (3);
}

static int
sandbox_rawget(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checkany(L, 2);
	lua_settop(L, 2);
	if (sandbox_behind(L, 1))
		lua_replace(L, 1);
	lua_rawget(L, 1);
	return (1);
}

/* On a view, the write goes through __newindex, so it is seen. */
static int
sandbox_rawset(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checkany(L, 2);
	luaL_checkany(L, 3);
	lua_settop(L, 3);
	if (sandbox_behind(L, 1)) {
		lua_pop(L, 1);
		lua_settable(L, 1);
	} else
		lua_rawset(L, 1);
	return (1);
}

static int
sandbox_rawlen(lua_State *L)
{
	int	t = lua_type(L, 1);

	luaL_argexpected(L, t == LUA_TTABLE || t == LUA_TSTRING, 1,
	    "table or string");
	if (sandbox_behind(L, 1))
		lua_replace(L, 1);
	lua_pushinteger(L, (lua_Integer)lua_rawlen(L, 1));
	return (1);
}

/* Replace the table on top of the stack by a view of it (see above). */
void
sandbox_view(lua_State *L, int written)
{
	written = lua_absindex(L, written);
	lua_createtable(L, 0, 0);
	lua_createtable(L, 0, 5);
	lua_pushvalue(L, -3);
	lua_setfield(L, -2, "__index");
	lua_pushvalue(L, written);
	lua_pushcclosure(L, sandbox_view_newindex, 1);
	lua_setfield(L, -2, "__newindex");
	lua_pushcfunction(L, sandbox_view_len);
	lua_setfield(L, -2, "__len");
	lua_pushcfunction(L, sandbox_view_pairs);
	lua_setfield(L, -2, "__pairs");
	lua_pushboolean(L, 0);		/* setmetatable refuses */
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	lua_replace(L, -2);
}

/*
 * getmetatable for tables only: the string metatable stays out of reach,
 * and a view has none, as the table behind it has none.
 */
static int
sandbox_getmetatable(lua_State *L)
{
	luaL_checkany(L, 1);
	if (sandbox_behind(L, 1)) {
		lua_pushnil(L);
		return (1);
	}
	if (!lua_istable(L, 1) || !lua_getmetatable(L, 1)) {
		lua_pushnil(L);
		return (1);
	}
	if (lua_getfield(L, -1, "__metatable") != LUA_TNIL)
		return (1);
	lua_pop(L, 1);
	return (1);
}

/* load(text [, name [, "t" [, env]]]): text only, the sandbox env by default. */
static int
sandbox_load(lua_State *L)
{
	size_t		 len;
	const char	*text = luaL_checklstring(L, 1, &len);
	const char	*name = luaL_optstring(L, 2, "=(load)");
	const char	*mode = luaL_optstring(L, 3, "t");
	int		 env = !lua_isnone(L, 4);

	if (strcmp(mode, "t") != 0)
		return (luaL_error(L, "load: only text chunks are allowed"));
	if (luaL_loadbufferx(L, text, len, name, "t") != LUA_OK) {
		lua_pushnil(L);
		lua_insert(L, -2);
		return (2);
	}
	if (env)
		lua_pushvalue(L, 4);
	else
		lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
	if (lua_setupvalue(L, -2, 1) == NULL)
		lua_pop(L, 1);
	return (1);
}

static void
sandbox_copy_fields(lua_State *L, int from, int to, const char **names,
    size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		lua_getfield(L, from, names[i]);
		lua_setfield(L, to, names[i]);
	}
}

/* Our own versions of base functions, in place of the library's. */
static const luaL_Reg sandbox_own[] = {
	{ "getmetatable", sandbox_getmetatable },
	{ "load", sandbox_load },
	{ "next", sandbox_next },
	{ "rawget", sandbox_rawget },
	{ "rawlen", sandbox_rawlen },
	{ "rawset", sandbox_rawset },
	{ "xpcall", sandbox_xpcall },
	{ NULL, NULL },
};

/* Replace the global table with one holding only what the allow-list names. */
static void
sandbox_build_env(lua_State *L)
{
	int	real, env, t;
	size_t	i;

	luaL_requiref(L, "_G", luaopen_base, 1);
	luaL_requiref(L, "string", luaopen_string, 1);
	luaL_requiref(L, "table", luaopen_table, 1);
	luaL_requiref(L, "math", luaopen_math, 1);
	luaL_requiref(L, "utf8", luaopen_utf8, 1);
	luaL_requiref(L, "os", luaopen_os, 1);
	lua_settop(L, 0);

	lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
	real = lua_gettop(L);
	lua_newtable(L);
	env = lua_gettop(L);
	sandbox_copy_fields(L, real, env, sandbox_base_allow,
	    sizeof(sandbox_base_allow) / sizeof(*sandbox_base_allow));
	lua_getfield(L, real, "setmetatable");
	lua_pushcclosure(L, sandbox_setmetatable, 1);
	lua_setfield(L, env, "setmetatable");
	sandbox_harden_string(L, real);
	for (i = 0; i < sizeof(sandbox_libs_allow) /
	    sizeof(*sandbox_libs_allow); i++) {
		/* A copy, so a rule cannot reach the string metatable's table. */
		lua_newtable(L);
		t = lua_gettop(L);
		lua_getfield(L, real, sandbox_libs_allow[i]);
		lua_pushnil(L);
		while (lua_next(L, -2) != 0) {
			lua_pushvalue(L, -2);
			lua_insert(L, -2);
			lua_settable(L, t);
		}
		lua_pop(L, 1);
		lua_setfield(L, env, sandbox_libs_allow[i]);
	}
	sandbox_harden_table(L, env);

	lua_newtable(L);
	lua_getfield(L, real, "os");
	lua_getfield(L, -1, "time");
	lua_setfield(L, -3, "time");
	lua_getfield(L, -1, "date");
	lua_setfield(L, -3, "date");
	lua_pop(L, 1);
	lua_setfield(L, env, "os");

	lua_pushvalue(L, env);
	luaL_setfuncs(L, sandbox_own, 0);
	lua_pop(L, 1);
	lua_pushvalue(L, env);
	lua_setfield(L, env, "_G");

	lua_pushvalue(L, env);
	lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
	lua_settop(L, 0);
}

struct sandbox *
sandbox_new(const struct sandbox_limits *limits)
{
	struct sandbox	*sb;

	sb = xcalloc(1, sizeof(*sb));
	sb->cap = limits->memory;
	sb->budget = limits->instructions;
	if ((sb->L = lua_newstate(sandbox_alloc, sb)) == NULL) {
		free(sb);
		return (NULL);
	}
	sandbox_build_env(sb->L);
	return (sb);
}

/* Loading gets a generous budget; evaluation gets the site's. */
void
sandbox_set_limits(struct sandbox *sb, const struct sandbox_limits *limits)
{
	sb->budget = limits->instructions;
	if (limits->memory > sb->used)
		sb->cap = limits->memory;
}

void
sandbox_free(struct sandbox *sb)
{
	if (sb == NULL)
		return;
	/* Finalizers run at close: give them a budget too. */
	sandbox_arm(sb);
	lua_close(sb->L);
	sandbox_keep_sources(sb, 0);
	free(sb);
}

lua_State *
sandbox_state(struct sandbox *sb)
{
	return (sb->L);
}

static char *
sandbox_error_text(lua_State *L)
{
	const char	*msg = lua_tostring(L, -1);
	char		*s;

	s = xstrdup(msg != NULL ? msg : "error object is not a string");
	lua_pop(L, 1);
	return (s);
}

/* Call the function below nargs arguments, under budget; 0 or -1 and cause. */
int
sandbox_pcall(struct sandbox *sb, int nargs, int nresults, char **cause)
{
	int	rc;

	sandbox_arm(sb);
	rc = lua_pcall(sb->L, nargs, nresults, 0);
	lua_sethook(sb->L, NULL, 0, 0);
	if (rc == LUA_OK)
		return (0);
	if (rc == LUA_ERRMEM) {
		lua_pop(sb->L, 1);
		*cause = xstrdup("memory limit exceeded");
	} else
		*cause = sandbox_error_text(sb->L);
	lua_gc(sb->L, LUA_GCCOLLECT);
	return (-1);
}

/*
 * Keep the text of each file loaded from now on (keep = 1), for error
 * messages that point into it (rules-where.c), or drop what is kept
 * (keep = 0): the texts are wanted while a rule set loads, not after.
 */
void
sandbox_keep_sources(struct sandbox *sb, int keep)
{
	size_t	i;

	sb->keep = keep;
	if (keep)
		return;
	for (i = 0; i < sb->nsources; i++) {
		free(sb->sources[i].short_src);
		free(sb->sources[i].text);
	}
	free(sb->sources);
	sb->sources = NULL;
	sb->nsources = 0;
}

/*
 * The kept text of the file Lua names short_src (the file part of a
 * "file:line" where), or NULL: not kept, or two files of that name (Lua
 * shortens a long path to its tail, and two tails can be the same).
 */
const char *
sandbox_source(const struct sandbox *sb, const char *short_src, size_t *len)
{
	const struct sandbox_source	*found = NULL;
	size_t				 i;

	for (i = 0; i < sb->nsources; i++) {
		if (strcmp(sb->sources[i].short_src, short_src) != 0)
			continue;
		if (found != NULL)
			return (NULL);
		found = &sb->sources[i];
	}
	if (found == NULL)
		return (NULL);
	*len = found->len;
	return (found->text);
}

/* Keep text (taking it) under the name Lua gives the chunk on the stack. */
static void
sandbox_source_take(struct sandbox *sb, char *text, size_t len)
{
	struct sandbox_source	*s;
	lua_Debug		 ar;

	lua_pushvalue(sb->L, -1);
	if (!lua_getinfo(sb->L, ">S", &ar)) {
		free(text);
		return;
	}
	sb->sources = xreallocarray(sb->sources, sb->nsources + 1,
	    sizeof(*sb->sources));
	s = &sb->sources[sb->nsources++];
	s->short_src = xstrdup(ar.short_src);
	s->text = xreallocarray(text, len + 1, 1);
	s->text[len] = '\0';
	s->len = len;
}

/* Load and run one file of declarations. */
int
sandbox_load_file(struct sandbox *sb, const char *path, char **cause)
{
	FILE	*f;
	char	*text, *chunkname;
	size_t	 len;
	int	 rc;

	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	text = xmalloc(SANDBOX_FILE_MAX + 1);
	len = fread(text, 1, SANDBOX_FILE_MAX + 1, f);
	fclose(f);
	if (len > SANDBOX_FILE_MAX) {
		free(text);
		xasprintf(cause, "%s: file larger than %d bytes", path,
		    SANDBOX_FILE_MAX);
		return (-1);
	}
	xasprintf(&chunkname, "@%s", path);
	rc = luaL_loadbufferx(sb->L, text, len, chunkname, "t");
	free(chunkname);
	if (rc != LUA_OK) {
		free(text);
		*cause = sandbox_error_text(sb->L);
		return (-1);
	}
	if (sb->keep)
		sandbox_source_take(sb, text, len);
	else
		free(text);
	return (sandbox_pcall(sb, 0, 0, cause));
}
