/*
 * sandbox.c: what a rule cannot reach, and a rule that runs away is
 * stopped within its budget.  Each case is a file loaded into a fresh
 * sandbox; the expectation is written in the Lua itself (error() when an
 * escape hatch is open) or checked from the cause.
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_functions),
		cmocka_unit_test(test_binary_chunks),
		cmocka_unit_test(test_runaway),
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
