/*
 * Units (rules-units.c, org_choose): declarations and units_csv files,
 * the checks --check makes of them, a token's coverage of descendants,
 * and the fallback of a unit role up the tree to the site's office.
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

#include "calendar.h"
#include "ledger.h"
#include "org.h"
#include "rules.h"
#include "tocsin.h"
#include "unit.h"

#define ORG \
"channel 'log' { kind = 'log' }\n" \
"person 'zhang' { channels = { 'log' } }\n" \
"person 'liu'   { channels = { 'log' } }\n" \
"person 'wang'  { channels = { 'log' } }\n" \
"person 'chen'  { channels = { 'log' } }\n" \
"group 'county-office' { members = { 'wang' }, channels = { 'log' } }\n" \
"group 'office' { members = { 'chen' } }\n" \
"roster 'liuzhuang-duty' { start = '2026-03-02', rotation = { 'liu' } }\n"

#define SITE ORG \
"unit 'city-health' { name = '市卫健委', roles = { director = 'zhang' } }\n" \
"unit 'county-health' { name = '县卫健委', parent = 'city-health',\n" \
"  kind = 'commission', roles = { principal = 'zhang',\n" \
"  office = 'county-office' } }\n" \
"unit 'wsy-liuzhuang' { name = '刘庄乡卫生院', parent = 'county-health',\n" \
"  kind = 'township-hospital', roles = { duty = 'liuzhuang-duty' } }\n"


static void
test_unit_declared(void **state)
{
	struct rules		*r = unit_load_ok(SITE);
	const struct unit	*u;

	assert_int_equal(rules_unit_count(r), 3);
	assert_non_null(u = rules_unit_find(r, "wsy-liuzhuang"));
	assert_string_equal(u->name, "刘庄乡卫生院");
	assert_string_equal(u->parent, "county-health");
	assert_string_equal(u->kind, "township-hospital");
	assert_string_equal(rules_unit_binding(u, "duty"), "liuzhuang-duty");
	assert_null(rules_unit_binding(u, "principal"));
	assert_null(rules_unit_find(r, "wsy-nowhere"));
	rules_free(r);
}

static void
test_unit_problems(void **state)
{
	unit_load_refused(ORG "unit 'a' { parent = 'county-helth' }\n"
	    "unit 'county-health' { }\n", "site.lua:9: unit \"a\": unknown "
	    "parent \"county-helth\" (did you mean \"county-health\"?)");
	unit_load_refused(ORG "unit 'a' { parent = 'c' }\nunit 'b' { parent = "
	    "'a' }\nunit 'c' { parent = 'b' }\n", "site.lua:9: unit \"a\": "
	    "its parents loop: a → c → b → a");
	unit_load_refused(ORG "unit 'a' { parent = 'a' }\n", "its parents loop");
	unit_load_refused(ORG "unit 'a' { roles = { principal = 'nobody' } }\n",
	    "site.lua:9: unit \"a\": role \"principal\": unknown person, "
	    "group or roster \"nobody\"");
	unit_load_refused(ORG "unit 'a' { }\nunit 'a' { }\n", "site.lua:10: unit "
	    "\"a\" is already declared at ");
	unit_load_refused(ORG "unit 'a' { head = 'zhang' }\n",
	    "unknown key \"head\"");
	unit_load_refused(ORG "unit 'a' { roles = { ['x.y'] = 'zhang' } }\n",
	    "\"roles\" maps role names");
}

/* One loop is one problem, said at its first unit. */
static void
test_unit_loop_once(void **state)
{
	struct rules_problems	 problems = { NULL, 0 };
	size_t			 i, loops = 0;

	assert_null(unit_load(ORG "unit 'a' { parent = 'b' }\nunit 'b' { "
	    "parent = 'a' }\nunit 'c' { parent = 'a' }\n", &problems));
	for (i = 0; i < problems.n; i++)
		loops += strstr(problems.v[i], "loop") != NULL;
	assert_int_equal(loops, 1);
	rules_problems_clear(&problems);
}

static const char csv_text[] =
"\xef\xbb\xbfid,name,parent,kind,principal,duty\r\n"
"county-health,县卫健委,,commission,zhang,\r\n"
"wsy-liuzhuang,\"刘庄乡卫生院, 东院\",county-health,township-hospital,,"
"liuzhuang-duty\r\n"
"wsy-wangji,\"王集\"\"乡\"\"卫生院\",county-health,township-hospital,"
"liu,\r\n"
",,,,,\r\n";

static void
test_units_csv(void **state)
{
	struct rules		*r;
	const struct unit	*u;

	unit_write("units.csv", csv_text, sizeof(csv_text) - 1);
	r = unit_load_ok(ORG "units_csv 'units.csv'\n");
	assert_int_equal(rules_unit_count(r), 3);
	u = rules_unit_find(r, "county-health");	/* BOM gone */
	assert_non_null(u);
	assert_null(u->parent);
	assert_string_equal(u->name, "县卫健委");
	assert_string_equal(rules_unit_binding(u, "principal"), "zhang");
	assert_null(rules_unit_binding(u, "duty"));	/* empty cell */
	u = rules_unit_find(r, "wsy-liuzhuang");
	assert_string_equal(u->name, "刘庄乡卫生院, 东院");
	assert_string_equal(rules_unit_binding(u, "duty"), "liuzhuang-duty");
	u = rules_unit_find(r, "wsy-wangji");
	assert_string_equal(u->name, "王集\"乡\"卫生院");
	assert_string_equal(u->parent, "county-health");
	rules_free(r);

	/* Without a BOM and with bare newlines, the same. */
	unit_write("units.csv", "id,name,parent,kind,principal\na,A,,,zhang\n",
	    42);
	r = unit_load_ok(ORG "units_csv 'units.csv'\n");
	assert_string_equal(rules_unit_binding(rules_unit_find(r, "a"),
	    "principal"), "zhang");
	rules_free(r);
}

static void
test_units_csv_problems(void **state)
{
	static const char gbk[] = "id,name,parent,kind\na,\xcf\xd8,,\n";
	static const char *const cases[][2] = {
	    { "id,name,kind\na,A,x\n", "units.csv:row 1: the header must "
	      "begin id,name,parent,kind" },
	    { "id,name,parent,kind\n,A,,\n", "units.csv:row 2: no id" },
	    { "id,name,parent,kind\na,A,,,extra\n", "units.csv:row 2: 5 "
	      "cells, but the header names 4 columns" },
	    { "id,name,parent,kind\na,\"A,,\n", "units.csv:row 2: a quoted "
	      "field is not closed" },
	    /* Not a unit "x" whose parent is "b": the row is refused. */
	    { "id,name,parent,kind\n\"a\"x,b,,\n", "units.csv:row 2: text "
	      "after a quoted field's closing quote" },
	    { "id,name,parent,kind,principal\na,A,b,,zhang\nb,B,,,nobody\n",
	      "units.csv:row 3: unit \"b\": role \"principal\": unknown "
	      "person, group or roster \"nobody\"" },
	    { "id,name,parent,kind\na,A,x,\n", "units.csv:row 2: unit \"a\": "
	      "unknown parent \"x\"" },
	    { "id,name,parent,kind\nzhou,A,,\n", "units.csv:row 2: unit "
	      "\"zhou\" is already declared at " },
	    /* A second column of a role would bind nobody, silently. */
	    { "id,name,parent,kind,principal,duty,principal\na,A,,,zhang,,"
	      "liu\n", "units.csv:row 1: column 7: role \"principal\" is "
	      "column 5 already" },
	};
	size_t	i;

	for (i = 0; i < nitems(cases); i++) {
		unit_write("units.csv", cases[i][0], strlen(cases[i][0]));
		unit_load_refused(ORG "unit 'zhou' { }\nunits_csv 'units.csv'\n",
		    cases[i][1]);
	}
	unit_write("units.csv", gbk, sizeof(gbk) - 1);
	unit_load_refused(ORG "units_csv 'units.csv'\n", "is not UTF-8");
	unit_load_refused(ORG "units_csv 'missing.csv'\n", "site.lua:9: "
	    "units_csv: ");
}

/* A chain of n units from CSV: u0 at the top, u(i) under u(i - 1). */
static char *
units_chain(size_t n)
{
	char	*text, *p;
	size_t	 i;

	p = text = malloc(32 + n * 40);
	assert_non_null(text);
	p += sprintf(p, "id,name,parent,kind\nu0,U0,,\n");
	for (i = 1; i < n; i++)
		p += sprintf(p, "u%zu,U,u%zu,\n", i, i - 1);
	return (text);
}

/*
 * A token and the roles look 64 units up (RULES_UNIT_DEPTH_MAX): a tree
 * deeper than that is refused, once where it grows past the limit, not
 * accepted with descendants no token covers.  The check walks each unit
 * once: a 20 000-unit chain took 90 s when each unit walked to the top.
 */
static void
test_units_depth(void **state)
{
	struct rules_problems	 problems = { NULL, 0 };
	struct names		 top = { NULL, 0 };
	struct rules		*r;
	char			*text;

	text = units_chain(65);		/* u64 has 64 above it */
	unit_write("units.csv", text, strlen(text));
	free(text);
	r = unit_load_ok(ORG "units_csv 'units.csv'\n");
	names_add(&top, "u0");
	assert_true(rules_unit_covered(r, &top, "u64"));
	names_free(&top);
	rules_free(r);

	text = units_chain(20000);
	unit_write("units.csv", text, strlen(text));
	free(text);
	assert_null(unit_load(ORG "units_csv 'units.csv'\n", &problems));
	assert_int_equal(problems.n, 1);
	assert_non_null(strstr(problems.v[0], "units.csv:row 67: unit "
	    "\"u65\": more than 64 units above it"));
	rules_problems_clear(&problems);
}

/* "Did you mean" for the first 32 unknown parents; every one is named. */
static void
test_units_unknown_parents(void **state)
{
	struct rules_problems	 problems = { NULL, 0 };
	char			*text, *p;
	size_t			 i, n = 2000, guessed = 0;

	p = text = malloc(32 + n * 40);
	assert_non_null(text);
	p += sprintf(p, "id,name,parent,kind\n");
	for (i = 0; i < n; i++)
		p += sprintf(p, "u%zu,U,v%zu,\n", i, i);
	unit_write("units.csv", text, strlen(text));
	free(text);
	assert_null(unit_load(ORG "units_csv 'units.csv'\n", &problems));
	assert_int_equal(problems.n, n);
	for (i = 0; i < problems.n; i++) {
		assert_non_null(strstr(problems.v[i], "unknown parent"));
		guessed += strstr(problems.v[i], "did you mean") != NULL;
	}
	assert_int_equal(guessed, 32);
	rules_problems_clear(&problems);
}

static void
test_unit_covered(void **state)
{
	struct rules	*r = unit_load_ok(SITE);
	struct names	 county = { NULL, 0 }, liuzhuang = { NULL, 0 };

	names_add(&county, "county-health");
	names_add(&liuzhuang, "wsy-liuzhuang");
	assert_true(rules_unit_covered(r, NULL, "anything"));
	assert_true(rules_unit_covered(r, &county, "county-health"));
	assert_true(rules_unit_covered(r, &county, "wsy-liuzhuang"));
	assert_false(rules_unit_covered(r, &county, "city-health"));
	assert_true(rules_unit_covered(r, &liuzhuang, "wsy-liuzhuang"));
	assert_false(rules_unit_covered(r, &liuzhuang, "county-health"));
	assert_false(rules_unit_covered(r, &liuzhuang, "wsy-other"));
	assert_false(rules_unit_covered(r, &liuzhuang, NULL));
	names_free(&county);
	names_free(&liuzhuang);
	rules_free(r);
}

/* Each unit's set is itself and every declared unit below it, once each. */
static void
test_unit_scope(void **state)
{
	struct rules	*r = unit_load_ok(SITE);
	struct names	 in = { NULL, 0 }, out = { NULL, 0 };

	names_add(&in, "county-health");
	rules_unit_scope(r, &in, &out);
	assert_int_equal(out.n, 2);
	assert_true(names_has(&out, "county-health"));
	assert_true(names_has(&out, "wsy-liuzhuang"));
	names_free(&out);
	names_free(&in);

	/* The top covers all three; an undeclared name stands for itself. */
	names_add(&in, "city-health");
	names_add(&in, "not-declared");
	rules_unit_scope(r, &in, &out);
	assert_int_equal(out.n, 4);
	assert_true(names_has(&out, "not-declared"));
	assert_true(names_has(&out, "wsy-liuzhuang"));
	names_free(&out);
	names_free(&in);

	names_add(&in, "wsy-liuzhuang");
	rules_unit_scope(r, &in, &out);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0], "wsy-liuzhuang");
	names_free(&out);
	names_free(&in);
	rules_free(r);
}

/*
 * Counts roll up into every ancestor, a unit's own kept apart; a unit
 * with nothing of its own appears once something below it is counted;
 * an undeclared unit and obligations naming none stay where they are.
 */
static void
test_ledger_rollup(void **state)
{
	struct rules		*r = unit_load_ok(SITE);
	struct ledger		*l = ledger_new();
	const struct ledger_row	*row;

	ledger_add(l, "wsy-liuzhuang", OBLIGATION_MET, 3);
	ledger_add(l, "wsy-liuzhuang", OBLIGATION_LATE, 1);
	ledger_add(l, "county-health", OBLIGATION_MISSED, 2);
	ledger_add(l, "elsewhere", OBLIGATION_MET, 5);
	ledger_add(l, NULL, OBLIGATION_PENDING, 1);
	ledger_add(l, "wsy-liuzhuang", OBLIGATION_MET, 1);
	assert_int_equal(ledger_count(l), 4);
	ledger_rollup(l, r);
	assert_int_equal(ledger_count(l), 5);
	/* Sorted by id: "", city-health, county-health, elsewhere, wsy-... */
	row = ledger_row(l, 0);
	assert_string_equal(row->unit, "");
	assert_int_equal(row->total[OBLIGATION_PENDING], 1);
	row = ledger_row(l, 1);
	assert_string_equal(row->unit, "city-health");
	assert_int_equal(row->own[OBLIGATION_MET], 0);
	assert_int_equal(row->total[OBLIGATION_MET], 4);
	assert_int_equal(row->total[OBLIGATION_LATE], 1);
	assert_int_equal(row->total[OBLIGATION_MISSED], 2);
	row = ledger_row(l, 2);
	assert_string_equal(row->unit, "county-health");
	assert_int_equal(row->own[OBLIGATION_MISSED], 2);
	assert_int_equal(row->total[OBLIGATION_MET], 4);
	assert_int_equal(row->total[OBLIGATION_MISSED], 2);
	row = ledger_row(l, 3);
	assert_string_equal(row->unit, "elsewhere");
	assert_int_equal(row->total[OBLIGATION_MET], 5);
	row = ledger_row(l, 4);
	assert_string_equal(row->unit, "wsy-liuzhuang");
	assert_int_equal(row->own[OBLIGATION_MET], 4);
	assert_int_equal(row->total[OBLIGATION_MET], 4);
	assert_null(ledger_row(l, 5));
	ledger_free(l);
	rules_free(r);
}

static void
test_unit_role_parse(void **state)
{
	const char	*name;
	int		 up;

	assert_int_equal(rules_unit_role_parse("office", &up, &name), 0);
	assert_int_equal(rules_unit_role_parse("unit.principal", &up, &name),
	    1);
	assert_int_equal(up, 0);
	assert_string_equal(name, "principal");
	assert_int_equal(rules_unit_role_parse("parent.parent.office", &up,
	    &name), 1);
	assert_int_equal(up, 2);
	assert_string_equal(name, "office");
	assert_int_equal(rules_unit_role_parse("unit.", &up, &name), -1);
	assert_int_equal(rules_unit_role_parse("parent.a.b", &up, &name), -1);
}

/* The chain: the unit, its parents, the site's role, the site's office. */
static void
test_unit_role_fallback(void **state)
{
	struct rules		*r;
	struct org_choice	 c;
	int64_t			 now;

	assert_int_equal(calendar_parse_time("2026-03-03T10:00:00+08:00",
	    &now), 0);
	r = unit_load_ok(SITE "role 'director' { default = 'chen' }\n");
	org_choose(r, "office", "wsy-liuzhuang", NULL, now, &c);
	assert_string_equal(c.target, "office");	/* plain: the site's */
	assert_null(c.unit);
	assert_null(c.fallback);
	org_choose(r, "unit.duty", "wsy-liuzhuang", NULL, now, &c);
	assert_string_equal(c.target, "liuzhuang-duty");
	assert_string_equal(c.unit, "wsy-liuzhuang");
	org_choose(r, "unit.principal", "wsy-liuzhuang", NULL, now, &c);
	assert_string_equal(c.target, "zhang");	/* up one */
	assert_string_equal(c.unit, "county-health");
	org_choose(r, "parent.office", "wsy-liuzhuang", NULL, now, &c);
	assert_string_equal(c.target, "county-office");
	assert_string_equal(c.unit, "county-health");
	org_choose(r, "parent.parent.director", "wsy-liuzhuang", NULL, now,
	    &c);
	assert_string_equal(c.target, "zhang");
	assert_string_equal(c.unit, "city-health");
	/* Above the top: the site's role of that name. */
	org_choose(r, "parent.director", "city-health", NULL, now, &c);
	assert_string_equal(c.target, "director");
	assert_null(c.unit);
	assert_string_equal(c.fallback, "site");
	/* An unknown unit: the site's too. */
	org_choose(r, "unit.principal", "wsy-nowhere", NULL, now, &c);
	assert_string_equal(c.target, "office");
	assert_string_equal(c.fallback, "office");
	/* Nobody anywhere: the site's office, never nobody. */
	org_choose(r, "unit.treasurer", "wsy-liuzhuang", NULL, now, &c);
	assert_string_equal(c.target, "office");
	assert_null(c.unit);
	assert_string_equal(c.fallback, "office");
	rules_free(r);
}

/* --check: a unit role's name must be bound by some unit or the site. */
static void
test_unit_role_check(void **state)
{
	rules_free(unit_load_ok(SITE "policy 'p' { { after = '0m', "
	    "notify = { 'unit.duty', 'parent.office', 'parent.parent."
	    "director' } } }\n"));
	unit_load_refused(SITE "policy 'p' { { after = '0m', notify = { "
	    "'unit.treasurer' } } }\n", "policy \"p\": unknown role "
	    "\"unit.treasurer\" (no unit binds that role");
	/* A near name says more than why. */
	unit_load_refused(SITE "policy 'p' { { after = '0m', notify = { "
	    "'unit.prinicpal' } } }\n", "policy \"p\": unknown role "
	    "\"unit.prinicpal\" (did you mean \"unit.principal\"?)");
	unit_load_refused(SITE "policy 'p' { { after = '0m', notify = { "
	    "'parent.' } } }\n", "unknown role \"parent.\" (a unit role is");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unit_declared),
		cmocka_unit_test(test_unit_problems),
		cmocka_unit_test(test_unit_loop_once),
		cmocka_unit_test(test_units_csv),
		cmocka_unit_test(test_units_csv_problems),
		cmocka_unit_test(test_units_depth),
		cmocka_unit_test(test_units_unknown_parents),
		cmocka_unit_test(test_unit_covered),
		cmocka_unit_test(test_unit_scope),
		cmocka_unit_test(test_ledger_rollup),
		cmocka_unit_test(test_unit_role_parse),
		cmocka_unit_test(test_unit_role_fallback),
		cmocka_unit_test(test_unit_role_check),
	};

	return (cmocka_run_group_tests(tests, unit_setup, unit_teardown));
}
