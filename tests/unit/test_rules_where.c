/*
 * Rule authors' errors (rules-where.c, rules-api.c, rules.c): a problem
 * with a key is said at the line of that key, not of the declaration it
 * is in, also for keys in nested tables; a key in a comment, a string or
 * a nested table is not taken for it; and an unknown key, role, policy,
 * channel, member or event type comes with the nearest known one.
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

#include "channel.h"
#include "rules-int.h"
#include "unit.h"

#define ORG \
"channel 'log' { kind = 'log' }\n" \
"person 'zhang' { roles = { 'office' }, channels = { 'log' } }\n" \
"policy 'standard' { { after = '0m', notify = { 'office' } } }\n"

/* The same, as problems say it: exact file:line, then the words. */
#define REFUSED(text, line, words) \
	unit_load_refused(text, "/site.lua:" #line ": " words)

/* The lifecycle's keys: at, pause_on and resume_on, due = { attr }. */
static void
test_where_lifecycle(void **state)
{
	REFUSED(ORG
	    "procedure 'p' {\n"
	    "  match = { category = 'fire' },\n"
	    "  obligations = { {\n"
	    "    id = 'a', due = '1h', met_by = { type = 'update' },\n"
	    "    at = 'attrs.t', owner = 'office' } },\n"
	    "}\n", 8, "procedure \"p\": obligation \"a\": \"at\" needs "
	    "\"from\" to be an event match");
	REFUSED(ORG
	    "procedure 'p' {\n"
	    "  match = { category = 'fire' },\n"
	    "  obligations = { {\n"
	    "    id = 'a', due = '1h', met_by = { type = 'update' },\n"
	    "    from = { type = 'accepted' }, at = 'received_at',\n"
	    "    owner = 'office' } },\n"
	    "}\n", 8, "procedure \"p\": obligation \"a\": \"at\" must "
	    "name an attribute of the event, \"attrs.NAME\"");
	REFUSED(ORG
	    "procedure 'p' {\n"
	    "  match = { category = 'fire' },\n"
	    "  obligations = { {\n"
	    "    id = 'a', due = '1h', met_by = { type = 'update' },\n"
	    "    pause_on = { type = 'suspend' }, owner = 'office' } },\n"
	    "}\n", 6, "procedure \"p\": obligation \"a\": \"pause_on\" and "
	    "\"resume_on\" go together");
	REFUSED(ORG
	    "procedure 'p' {\n"
	    "  match = { category = 'fire' },\n"
	    "  obligations = { {\n"
	    "    id = 'a', met_by = { type = 'update' },\n"
	    "    due = { atr = 'deadline' }, owner = 'office' } },\n"
	    "}\n", 8, "procedure \"p\": unknown key \"atr\" (did you mean "
	    "\"attr\"?)");
	REFUSED(ORG
	    "procedure 'p' {\n"
	    "  match = { category = 'fire' },\n"
	    "  obligations = { {\n"
	    "    id = 'a', met_by = { type = 'update' }, from = 'accepted',\n"
	    "    due = '1h', owner = 'office' } },\n"
	    "}\n", 7, "procedure \"p\": obligation \"a\": \"from\" must be "
	    "\"opened\", \"occurred\", \"graded\" or an event match such "
	    "as { type = \"received\" }");
}

static void
test_where_key_line(void **state)
{
	/* Lines 4..15: the obligation's misspelled key is on line 12. */
	REFUSED(ORG
	    "procedure 'p' {\n"
	    "  match = { category = 'fire' },\n"
	    "  obligations = {\n"
	    "    { id = 'a', due = '1h', met_by = { type = 'update' },\n"
	    "      owner = 'office' },\n"
	    "    {\n"
	    "      id = 'b', due = '2h',\n"
	    "      met_by = { type = 'update' },\n"
	    "      on_beach = 'standard',\n"
	    "    },\n"
	    "  },\n"
	    "}\n", 12, "procedure \"p\": unknown key \"on_beach\" (did you "
	    "mean \"on_breach\"?)");
	/* A top-level key, and a bad value. */
	REFUSED(ORG
	    "procedure 'p' {\n"
	    "  match = { category = 'fire' },\n"
	    "  titel = 'x',\n"
	    "}\n", 6, "procedure \"p\": unknown key \"titel\" (did you mean "
	    "\"title\"?)");
	REFUSED(ORG
	    "procedure 'p' {\n"
	    "  match = { category = 'fire' },\n"
	    "  obligations = { {\n"
	    "    id = 'a', owner = 'office', met_by = { type = 'update' },\n"
	    "    due =\n"
	    "      '3x',\n"
	    "  } },\n"
	    "}\n", 8, "procedure \"p\": \"due\": bad duration \"3x\"");
}

/* Keys in nested tables, several levels down, and in policy steps. */
static void
test_where_nested(void **state)
{
	REFUSED(ORG
	    "policy 'p2' {\n"
	    "  repeat_every = '1h',\n"
	    "  { after = '0m', notify = { 'office' } },\n"
	    "  {\n"
	    "    after = '1h',\n"
	    "    notfy = { 'office' },\n"
	    "  },\n"
	    "}\n", 9, "policy \"p2\": unknown key \"notfy\" (did you mean "
	    "\"notify\"?)");
	REFUSED(ORG
	    "procedure 'p' {\n"
	    "  match = { category = 'fire' },\n"
	    "  grades = {\n"
	    "    [2] = {\n"
	    "      obligations = {\n"
	    "        { id = 'a', owner = 'office',\n"
	    "          met_by = { type = 'update' },\n"
	    "          due_by_grade = { [3] = '1h',\n"
	    "            [4] = 'soon' } },\n"
	    "      },\n"
	    "    },\n"
	    "  },\n"
	    "}\n", 12, "procedure \"p\": \"due_by_grade\": bad duration");
}

/*
 * The key's name elsewhere: in a nested table before it, in a comment, a
 * string, a long string; given twice (Lua keeps the last); as ["key"].
 */
static void
test_where_not_fooled(void **state)
{
	REFUSED(ORG
	    "procedure 'p' {\n"
	    "  match = { category = 'fire' },\n"
	    "  obligations = { { id = 'a', title = 'ok', due = '1h',\n"
	    "    owner = 'office', met_by = { type = 'update' } } },\n"
	    "  title = 5,\n"
	    "}\n", 8, "procedure \"p\": \"title\" must be a string");
	REFUSED(ORG
	    "procedure 'p' {\n"
	    "  title = 'ok',\n"
	    "  match = { category = 'fire' },\n"
	    "  obligations = { { id = 'a', due = '1h', owner = 'office',\n"
	    "    met_by = { type = 'update' },\n"
	    "    title = 5 } },\n"
	    "}\n", 9, "procedure \"p\": \"title\" must be a string");
	REFUSED(ORG
	    "procedure 'p' {\n"
	    "  -- titel = 'a comment'\n"
	    "  --[[ titel =\n"
	    "     'a long comment' ]]\n"
	    "  match = { category = 'titel = ' },\n"
	    "  on_open = { notify = { [[titel = ]], 'office' } },\n"
	    "  titel = 'x',\n"
	    "}\n", 10, "procedure \"p\": unknown key \"titel\"");
	REFUSED(ORG
	    "procedure 'p' {\n"
	    "  match = { category = 'fire' },\n"
	    "  ['titel'] = 'x',\n"
	    "}\n", 6, "procedure \"p\": unknown key \"titel\"");
	REFUSED(ORG
	    "procedure 'p' {\n"
	    "  match = { category = 'fire' },\n"
	    "  obligations = { { id = 'a', owner = 'office',\n"
	    "    met_by = { type = 'update' },\n"
	    "    due = '1h',\n"
	    "    due = '3x' } },\n"
	    "}\n", 9, "procedure \"p\": \"due\": bad duration \"3x\"");
}

/* One line, two on a line, and a declaration the text cannot show. */
static void
test_where_one_line(void **state)
{
	REFUSED(ORG "person 'li' { roles = { 'office' }, chanels = {} }\n", 4,
	    "person \"li\": unknown key \"chanels\" (did you mean "
	    "\"channels\"?)");
	REFUSED(ORG "person 'li' { } person 'wu' { nmae = 'Wu' }\n", 4,
	    "person \"wu\": unknown key \"nmae\"");
	/* Made in a loop: said at the call, the only line there is. */
	REFUSED(ORG "for _, id in ipairs({ 'li' }) do\n"
	    "  person(id) {\n"
	    "    nmae = 'Li' }\n"
	    "end\n", 5, "person \"li\": unknown key \"nmae\"");
	/* A body in a variable: the declaration's line. */
	REFUSED(ORG "local body = {\n"
	    "  nmae = 'Li' }\n"
	    "person 'li' (body)\n", 6, "person \"li\": unknown key \"nmae\"");
}

/*
 * A person's notify_rules: an unknown channel with the nearest known one,
 * a bad or out-of-order "after", a step with no channel, and rules beside
 * "channels", each at its own line.
 */
static void
test_where_notify_rules(void **state)
{
	(void)state;
	REFUSED(ORG "person 'li' {\n"
	    "  notify_rules = {\n"
	    "    { 'log' },\n"
	    "    { after = '5m', 'lgo' },\n"
	    "  } }\n", 7, "person \"li\": notify_rules step 2: unknown "
	    "channel \"lgo\" (did you mean \"log\"?)");
	REFUSED(ORG "person 'li' {\n"
	    "  notify_rules = {\n"
	    "    { 'log' },\n"
	    "    { 'log',\n"
	    "      after = '5x' },\n"
	    "  } }\n", 8, "person \"li\": \"after\": bad duration \"5x\"");
	REFUSED(ORG "person 'li' {\n"
	    "  notify_rules = {\n"
	    "    { 'log' },\n"
	    "    { after = '10m', 'log' },\n"
	    "    { after = '5m', 'log' },\n"
	    "  } }\n", 8, "person \"li\": step 3 comes before the step "
	    "above it");
	REFUSED(ORG "person 'li' {\n"
	    "  notify_rules = {\n"
	    "    { after = '1m', 'log' },\n"
	    "  } }\n", 6, "person \"li\": the first step is taken at once");
	REFUSED(ORG "person 'li' {\n"
	    "  notify_rules = {\n"
	    "    { 'log' },\n"
	    "    { after = '1m' },\n"
	    "  } }\n", 7, "person \"li\": step 2 names no channel");
	REFUSED(ORG "person 'li' {\n"
	    "  channels = { 'log' },\n"
	    "  notify_rules = { { 'log' } } }\n", 5, "person \"li\": give "
	    "\"channels\" or \"notify_rules\", not both");
	REFUSED(ORG "person 'li' {\n"
	    "  notify_rules = 'log' }\n", 5, "person \"li\": "
	    "\"notify_rules\" must list steps");
}

/* Problems found after loading: names that do not exist, and near ones. */
static void
test_where_cross_checks(void **state)
{
	const struct rules_problems	*w;
	struct rules			*r;
	size_t				 i;
	int				 found = 0;

	REFUSED(ORG
	    "procedure 'p' {\n"
	    "  match = { category = 'fire' },\n"
	    "  on_open = { notify = { 'office' } },\n"
	    "  grades = {\n"
	    "    [2] = { notify = { 'office' } },\n"
	    "    [3] = {\n"
	    "      notify = { 'ofice' } },\n"
	    "  },\n"
	    "}\n", 10, "procedure \"p\": unknown role \"ofice\" (did you mean "
	    "\"office\"?)");
	REFUSED(ORG
	    "procedure 'p' {\n"
	    "  match = { category = 'fire' },\n"
	    "  obligations = { { id = 'a', due = '1h',\n"
	    "    met_by = { type = 'update' },\n"
	    "    on_breach = 'standrad' } },\n"
	    "}\n", 8, "procedure \"p\": obligation \"a\": unknown policy "
	    "\"standrad\" (did you mean \"standard\"?)");
	REFUSED(ORG "group 'g' {\n  name = 'G',\n  members = { 'zhagn' } }\n",
	    6, "group \"g\": unknown member \"zhagn\" (did you mean "
	    "\"zhang\"?)");
	REFUSED(ORG "person 'li' {\n  channels = { 'lgo' } }\n", 5,
	    "person \"li\": unknown channel \"lgo\" (did you mean \"log\"?)");
	REFUSED(ORG "role 'duty' {\n  default = 'zhang',\n  fire = 'zhnag' }\n",
	    6, "role \"duty\": unknown target \"zhnag\" (did you mean "
	    "\"zhang\"?)");
	/* A warning, not a problem: a met_by type nobody declared. */
	r = unit_load_ok(ORG
	    "procedure 'p' {\n"
	    "  match = { category = 'fire' },\n"
	    "  obligations = { { id = 'a', due = '1h', owner = 'office',\n"
	    "    met_by = {\n"
	    "      type = 'updaet' } } },\n"
	    "}\n");
	w = rules_warnings(r);
	for (i = 0; i < w->n; i++)
		found |= strstr(w->v[i], "/site.lua:8: warning: procedure "
		    "\"p\" obligation \"a\": met_by type \"updaet\" is not "
		    "built in") != NULL && strstr(w->v[i], "a typo? (did you "
		    "mean \"update\"?)") != NULL;
	for (i = 0; !found && i < w->n; i++)
		fprintf(stderr, "  got: %s\n", w->v[i]);
	assert_true(found);
	rules_free(r);
}

/* Channel options are checked by channel.c, after the rules load. */
static void
test_where_channel(void **state)
{
	static const char *const want[] = {
		"/site.lua:6: channel \"w\": unknown option \"colour\" for "
		    "kind \"log\"",
		"/site.lua:8: channel \"x\": unknown kind \"webhok\" (did you "
		    "mean \"webhook\"?)",
	};
	struct rules_problems	 problems = { NULL, 0 };
	struct rules		*r;
	size_t			 i, j;
	int			 found;

	r = unit_load_ok(ORG "channel 'w' {\n  kind = 'log',\n"
	    "  colour = 'red' }\n"
	    "channel 'x' {\n  kind = 'webhok' }\n");
	channel_check_all(r, &problems);
	for (i = 0; i < nitems(want); i++) {
		for (j = 0, found = 0; j < problems.n; j++)
			found |= strstr(problems.v[j], want[i]) != NULL;
		for (j = 0; !found && j < problems.n; j++)
			fprintf(stderr, "  got: %s\n", problems.v[j]);
		assert_true(found);
	}
	rules_problems_clear(&problems);
	rules_free(r);
}

/* The scan itself: tokens that hide braces, quotes and keys. */
static void
test_where_line_scan(void **state)
{
	static const char text[] =
	    "#!/usr/bin/env lua\n"
	    "local s = \"procedure 'p' {\"\n"
	    "procedure 'p' { a = \"}\\\"\", b = [==[\n"
	    "]] } ]==], c = { d = 1,\n"
	    "  e = 2 }, [\"f\"] = 3;\n"
	    "  { g = 1 },\n"
	    "  0x10 == 16 and { } or\n"
	    "  { },\n"
	    "  h = { 'x',\n"
	    "    { i = 1 } } }\n";
	struct rules_key	path[3];

	memset(path, 0, sizeof(path));
	path[0].name = "c";
	path[1].name = "e";
	assert_int_equal(rules_where_line(text, strlen(text), 3, "procedure",
	    "p", path, 2), 5);
	path[0].name = "f";
	assert_int_equal(rules_where_line(text, strlen(text), 3, "procedure",
	    "p", path, 1), 5);
	path[0].name = NULL;
	path[0].index = 1;
	path[1].name = "g";
	assert_int_equal(rules_where_line(text, strlen(text), 3, "procedure",
	    "p", path, 2), 6);
	/* The second item is an expression: its own line, no deeper. */
	path[0].index = 2;
	assert_int_equal(rules_where_line(text, strlen(text), 3, "procedure",
	    "p", path, 2), 7);
	path[0].name = "h";
	path[1].name = NULL;
	path[1].index = 2;
	path[2].name = "i";
	assert_int_equal(rules_where_line(text, strlen(text), 3, "procedure",
	    "p", path, 3), 10);
	/* Not there, or not this declaration: the declaration's line. */
	path[0].name = "zz";
	assert_int_equal(rules_where_line(text, strlen(text), 3, "procedure",
	    "p", path, 1), 3);
	path[0].name = "c";
	assert_int_equal(rules_where_line(text, strlen(text), 3, "procedure",
	    "q", path, 1), 3);
	assert_int_equal(rules_where_line(text, strlen(text), 3, "policy",
	    "p", path, 1), 3);
	/* Cut short anywhere: never past the end, never a wrong line. */
	assert_int_equal(rules_where_line(text, 60, 3, "procedure", "p", path,
	    1), 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_where_key_line),
		cmocka_unit_test(test_where_nested),
		cmocka_unit_test(test_where_not_fooled),
		cmocka_unit_test(test_where_one_line),
		cmocka_unit_test(test_where_cross_checks),
		cmocka_unit_test(test_where_notify_rules),
		cmocka_unit_test(test_where_channel),
		cmocka_unit_test(test_where_line_scan),
		cmocka_unit_test(test_where_lifecycle),
	};

	return (cmocka_run_group_tests(tests, unit_setup, unit_teardown));
}
