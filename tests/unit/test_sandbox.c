/*
 * sandbox.c: what a rule cannot reach, a rule that runs away is stopped
 * within its budget, and a view is its table to a rule.  Each case is a
 * file loaded into a fresh sandbox; the expectation is written in the Lua
 * itself (error() when an escape hatch is open) or checked from the cause.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <lauxlib.h>

#include "sandbox.h"

static char	dir[] = "/tmp/tocsin-sandbox-XXXXXX";

/* Load text as a file; returns 0 or -1 with *cause. */
static int
run(const char *text, char **cause)
{
	struct sandbox_limits	 limits = { 8 << 20, 1000000 };
	struct sandbox		*sb = sandbox_new(&limits);
	char			 path[256];
	FILE			*f;
	int			 rc;

	snprintf(path, sizeof(path), "%s/case.lua", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	*cause = NULL;
	rc = sandbox_load_file(sb, path, cause);
	sandbox_free(sb);
	return (rc);
}

static void
expect_ok(const char *text)
{
	char	*cause;
	int	 rc = run(text, &cause);

	if (rc != 0)
		fail_msg("unexpected error: %s", cause);
	free(cause);
}

/* The load must fail with a cause naming why (or, if given, why2). */
static void
expect_stopped2(const char *text, const char *why, const char *why2)
{
	char	*cause;

	assert_int_equal(run(text, &cause), -1);
	assert_non_null(cause);
	if (strstr(cause, why) == NULL && (why2 == NULL ||
	    strstr(cause, why2) == NULL))
		fail_msg("cause \"%s\" does not say \"%s\"", cause, why);
	free(cause);
}

static void
expect_stopped(const char *text, const char *why)
{
	expect_stopped2(text, why, NULL);
}

static void
test_missing_functions(void **state)
{
	expect_ok("assert(io == nil and require == nil and package == nil)");
	expect_ok("assert(debug == nil and dofile == nil and loadfile == nil)");
	expect_ok("assert(collectgarbage == nil)");
	expect_ok("assert(os.execute == nil and os.getenv == nil and "
	    "os.remove == nil and os.exit == nil)");
	expect_ok("assert(type(os.time()) == 'number')");
	expect_ok("assert(string.dump == nil and ('').dump == nil)");
	expect_ok("assert(getmetatable('') == nil)");
	expect_ok("assert(string.upper('a') == 'A' and math.max(1, 2) == 2)");
}

static void
test_binary_chunks(void **state)
{
	/* A bytecode signature is refused in text mode. */
	expect_ok("local f, err = load('\\27Lua'); assert(f == nil)");
	expect_stopped("load('return 1', 'x', 'b')", "only text chunks");
	/* A loaded chunk sees the sandbox, not the real globals. */
	expect_ok("local f = load('return io'); assert(f() == nil)");
}

static void
test_runaway(void **state)
{
	expect_stopped("while true do end", "instruction limit");
	expect_stopped("while true do pcall(function() while true do end "
	    "end) end", "instruction limit");
	/* Deep recursion ends on the stack or the memory cap, whichever first. */
	expect_stopped2("local function f() return f() + 1 end f()",
	    "stack overflow", "memory limit");
	expect_stopped("local s = string.rep('x', 1 << 30)", "memory");
	expect_stopped("local t = {} for i = 1, 1e9 do t[i] = i end",
	    "limit");
}

/*
 * What an instruction hook alone does not stop in Lua 5.4: loops inside
 * pcall and xpcall's message handler (caught by the every-instruction hook
 * once the budget is spent), finalizers (hooks are off while __gc runs,
 * and lua_close runs them: refused at setmetatable), and pattern matching
 * (C code, no hook: absent).  Each case must end, and fast.
 */
static void
test_what_a_hook_misses(void **state)
{
	expect_stopped("while true do pcall(error, 'x') end", "instruction limit");
	expect_stopped("xpcall(function() error('x') end, function() "
	    "while true do end end)", "instruction limit");
	expect_stopped("local ok = xpcall(function() while true do end end, "
	    "function(m) while true do end end) assert(ok)",
	    "instruction limit");
	/* ... and xpcall still does what it says. */
	expect_ok("local ok, m = xpcall(function(a, b) error(a .. b, 0) end, "
	    "function(m) return 'handled: ' .. m end, 'x', 'y') "
	    "assert(not ok and m == 'handled: xy') "
	    "local ok2, r = xpcall(function(a) return a * 2 end, error, 21) "
	    "assert(ok2 and r == 42)");
	expect_stopped("setmetatable({}, { __gc = function() while true do "
	    "end end })", "__gc finalizers are not allowed");
	expect_stopped("setmetatable({}, { __gc = true })",
	    "__gc finalizers are not allowed");
	/* Adding __gc afterwards marks nothing, so nothing runs at close. */
	expect_ok("local mt = {} setmetatable({}, mt) mt.__gc = function() "
	    "while true do end end");
	/* Patterns: find is plain text; match, gmatch and gsub are gone. */
	expect_ok("assert(string.find('a.b', '.', 1) == 2)");
	expect_ok("assert(('死亡3人'):find('死亡') == 1)");
	expect_ok("assert(string.find(string.rep('a', 100000), "
	    "string.rep('a*', 30) .. 'b') == nil)");
	/* Plain find keeps Lua's positions, and takes linear time. */
	expect_ok("local function f(a, b) return tostring(a) .. ',' .. "
	    "tostring(b) end "
	    "assert(f(('abc'):find('b')) == '2,2') "
	    "assert(f(('abc'):find('')) == '1,0') "
	    "assert(f(('abc'):find('', 4)) == '4,3') "
	    "assert(f(('abc'):find('', 5)) == 'nil,nil') "
	    "assert(f(('abcabc'):find('c', -2)) == '6,6') "
	    "assert(f(('abc'):find('a', -10)) == '1,1') "
	    "assert(f(('abc'):find('a', 0)) == '1,1') "
	    "assert(f(('abc'):find('x')) == 'nil,nil') "
	    "assert(f(('abc'):find('c', math.mininteger)) == '3,3') "
	    "assert(f(('abc'):find('a', math.maxinteger)) == 'nil,nil') "
	    "assert(f(string.find('a%b', '%b', 1, false)) == '2,3')");
	expect_ok("local s = ('x'):rep(1500000) "
	    "assert(s:find(('x'):rep(500000) .. 'y') == nil)");
	expect_stopped("string.match('aaa', 'a*')", "match");
	expect_stopped("('aaa'):gsub('a', 'b')", "gsub");
	expect_stopped("for w in ('a b'):gmatch('%a') do end", "gmatch");
	expect_ok("assert(string.match == nil and string.gmatch == nil and "
	    "string.gsub == nil and string.dump == nil)");
	/* No coroutines to hide a loop in. */
	expect_ok("assert(coroutine == nil)");
	/*
	 * The table library loops in C to a length a C __len can make up
	 * (found by fuzz_rules): walks over 100000 elements are refused.
	 */
	expect_stopped("table.move({}, 1, 1 << 50, 2)", "more than 100000");
	expect_stopped("local t = {} t[t] = 1 << 50 setmetatable(t, "
	    "{ __len = rawget }) table.remove(t, 1)", "more than 100000");
	expect_stopped("local t = {} t[t] = 1 << 50 setmetatable(t, "
	    "{ __len = rawget }) table.insert(t, 1, 0)", "more than 100000");
	expect_stopped("local t = {} t[t] = (1 << 31) - 2 setmetatable(t, "
	    "{ __len = rawget, __index = rawlen }) table.sort(t)",
	    "more than 100000");
	expect_stopped("table.concat(setmetatable({}, { __index = tostring }), "
	    "'', 1, 1 << 40)", "more than 100000");
	/* ... and the library still does what it says. */
	expect_ok("local t = { 3, 1, 2 } table.sort(t) table.insert(t, 4) "
	    "table.insert(t, 1, 0) assert(table.remove(t) == 4) "
	    "assert(table.remove(t, 1) == 0) "
	    "assert(table.concat(t, ',') == '1,2,3') "
	    "assert(table.concat(t, '', 2, 3) == '23') "
	    "assert(table.concat(table.move(t, 1, 3, 2, {}), ',', 2) == "
	    "'1,2,3') assert(select('#', table.unpack(t)) == 3)");
	expect_stopped("table.insert('x', 1)", "table expected");
}

/*
 * Run text with t, a view of { a = 1, list = { 10, 20 }, sub = { x = "y" } }
 * and its tables; *written says whether a write went through.
 */
static int
run_view(const char *text, int *written, char **cause)
{
	struct sandbox_limits	 limits = { 8 << 20, 1000000 };
	struct sandbox		*sb = sandbox_new(&limits);
	lua_State		*L = sandbox_state(sb);
	char			 path[256];
	FILE			*f;
	int			 rc, w;

	snprintf(path, sizeof(path), "%s/case.lua", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	lua_newtable(L);
	w = lua_gettop(L);
	lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
	lua_newtable(L);
	lua_pushinteger(L, 1);
	lua_setfield(L, -2, "a");
	lua_newtable(L);
	lua_pushinteger(L, 10);
	lua_rawseti(L, -2, 1);
	lua_pushinteger(L, 20);
	lua_rawseti(L, -2, 2);
	sandbox_view(L, w);
	lua_setfield(L, -2, "list");
	lua_newtable(L);
	lua_pushliteral(L, "y");
	lua_setfield(L, -2, "x");
	sandbox_view(L, w);
	lua_setfield(L, -2, "sub");
	sandbox_view(L, w);
	lua_setfield(L, -2, "t");
	lua_pop(L, 1);
	*cause = NULL;
	rc = sandbox_load_file(sb, path, cause);
	*written = lua_rawgeti(L, w, 1) != LUA_TNIL;
	sandbox_free(sb);
	return (rc);
}

static void
expect_view(const char *text, int written)
{
	char	*cause;
	int	 w;

	if (run_view(text, &w, &cause) != 0)
		fail_msg("unexpected error: %s", cause);
	free(cause);
	assert_int_equal(w, written);
}

/* A view reads, iterates and writes as its table; writes are seen. */
static void
test_views(void **state)
{
	char	*cause;
	int	 w;

	expect_view("assert(t.a == 1 and t.sub.x == 'y' and t.b == nil)", 0);
	expect_view("assert(#t.list == 2 and t.list[2] == 20 and "
	    "table.concat(t.list, ',') == '10,20')", 0);
	expect_view("local n, s = 0, 0\n"
	    "for k, v in pairs(t) do n = n + 1 end\n"
	    "for _, v in ipairs(t.list) do s = s + v end\n"
	    "assert(n == 3 and s == 30)", 0);
	expect_view("assert(next(t) ~= nil and next(t.list, 2) == nil and "
	    "next({}) == nil)", 0);
	expect_view("assert(rawget(t, 'a') == 1 and rawlen(t.list) == 2 and "
	    "rawlen('abc') == 3 and rawget({ 5 }, 1) == 5)", 0);
	expect_view("assert(getmetatable(t) == nil and "
	    "getmetatable(setmetatable({}, { x = 1 })).x == 1)", 0);
	/* pairs hands out the view, never the table behind it. */
	expect_view("local f, s = pairs(t) assert(s == t)", 0);
	expect_view("t.a = 2 assert(t.a == 2)", 1);
	expect_view("rawset(t, 'b', 3) assert(rawget(t, 'b') == 3)",
	    1);
	expect_view("t.sub.x = nil assert(t.sub.x == nil)", 1);
	expect_view("table.insert(t.list, 30) assert(#t.list == 3)", 1);
	expect_view("local t2 = { 1 } rawset(t2, 2, 2) assert(#t2 == 2)", 0);
	assert_int_equal(run_view("setmetatable(t, {})", &w, &cause), -1);
	assert_non_null(strstr(cause, "protected metatable"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_functions),
		cmocka_unit_test(test_binary_chunks),
		cmocka_unit_test(test_runaway),
		cmocka_unit_test(test_what_a_hook_misses),
		cmocka_unit_test(test_views),
	};
	char	path[256];
	int	rc;

	if (mkdtemp(dir) == NULL)
		return (1);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(path, sizeof(path), "%s/case.lua", dir);
	unlink(path);
	rmdir(dir);
	return (rc);
}
