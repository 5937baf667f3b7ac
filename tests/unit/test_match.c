/*
 * match.c and the rules' match index: the procedures the index lets
 * match_procedures() try must give the same matches, in the same order,
 * as trying every procedure.
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

#include "clock.h"
#include "match.h"
#include "record.h"
#include "rules.h"
#include "tocsin.h"
#include "xmalloc.h"

#define T0	1772413200000LL		/* 2026-03-02T09:00:00+08:00 */

static const char *site_text =
"channel 'log' { kind = 'log' }\n"
"person 'a' { roles = { 'office' }, channels = { 'log' } }\n"
"procedure 'cat' { match = { category = 'a' } }\n"
"procedure 'multi' { match = { category = { 'a', 'b', 'a' },\n"
"  type = 'report' } }\n"
"procedure 'type-only' { match = { type = { 'report', 'update' },\n"
"  unit = 'u2' } }\n"
"procedure 'no-category' { match = { level = { 3, 'high', true } } }\n"
"procedure 'fn' { match = function(ev)\n"
"  return ev.category == 'c' or (ev.attrs ~= nil and ev.attrs.level == 3)\n"
"  end }\n"
"procedure 'number' { match = { category = 7 } }\n"
"procedure 'c-final' { match = { category = 'c', type = 'final' } }\n"
"procedure 'boom' { match = function(ev)\n"
"  if ev.category == 'b' then error('boom') end return false end }\n"
"procedure 'writer' { match = function(ev)\n"
"  if ev.category ~= 'w' then return false end\n"
"  ev.category = nil\n"
"  local it, state = pairs(ev)\n"
"  state.unit = 'spoilt'\n"
"  ev.attrs.level = 9\n"
"  table.insert(ev.attrs.list, 3)\n"
"  return ev.category == nil and ev.attrs.level == 9 and\n"
"    #ev.attrs.list == 3 and ev.unit == 'spoilt' and\n"
"    getmetatable(ev) == nil end }\n"
"procedure 'reader' { match = function(ev)\n"
"  if ev.category ~= 'w' then return false end\n"
"  local n, sum = 0, 0\n"
"  for k, v in pairs(ev) do n = n + 1 end\n"
"  for _, x in ipairs(ev.attrs.list) do sum = sum + x end\n"
"  return n == 8 and ev.unit == 'u1' and ev.attrs.level == 1 and\n"
"    #ev.attrs.list == 2 and\n"
"    sum == 3 and type(ev.periods) == 'table' end }\n";

static char		 dir[] = "/tmp/tocsin-match-XXXXXX";
static char		 site[256];
static struct rules	*rules;

static struct record *
event(const char *type, const char *category, const char *unit,
    json_t *attrs)
{
	struct record_error	 err;
	struct record		*ev;
	json_t			*json;

	json = json_pack("{s:s, s:s, s:s}", "type", type, "incident", "i-1",
	    "unit", unit);
	if (category != NULL)
		json_object_set_new(json, "category", json_string(category));
	if (attrs != NULL)
		json_object_set_new(json, "attrs", attrs);
	ev = record_parse(json, T0, &err);
	json_decref(json);
	assert_non_null(ev);
	return (ev);
}

/* What match_procedures gives must be what trying every procedure gives. */
static void
same_as_every_procedure(struct record *ev)
{
	struct match_event	*mev = match_event_new(rules, ev);
	struct match_set	 set;
	const struct procedure	*p;
	size_t			 i, n = 0, failed = 0;
	char			*cause;

	memset(&set, 0, sizeof(set));
	match_procedures(mev, &set);
	for (i = 0; i < rules_procedure_count(rules); i++) {
		p = rules_procedure(rules, i);
		switch (match_test(mev, &p->match, &cause)) {
		case 1:
			assert_true(n < set.n);
			assert_ptr_equal(set.v[n], p);
			n++;
			break;
		case -1:
			assert_true(failed < set.nfailed);
			assert_ptr_equal(set.failed[failed].procedure, p);
			assert_string_equal(set.failed[failed].cause, cause);
			failed++;
			free(cause);
			break;
		}
	}
	assert_int_equal(n, set.n);
	assert_int_equal(failed, set.nfailed);
	match_set_clear(&set);
	match_event_free(mev);
}

/* The attrs of the event variants: levels, and categories in attrs only. */
static json_t *
attrs_variant(size_t i)
{
	switch (i) {
	case 1:
		return (json_pack("{s:i}", "level", 3));
	case 2:
		return (json_pack("{s:s}", "level", "high"));
	case 3:
		return (json_pack("{s:b}", "level", 1));
	case 4:
		return (json_pack("{s:i}", "level", 4));
	case 5:
		return (json_pack("{s:i}", "category", 7));
	case 6:
		return (json_pack("{s:s}", "category", "a"));
	}
	return (NULL);
}
#define ATTRS_VARIANTS	7

static void
test_index_same_matches(void **state)
{
	static const char	*types[] = { "report", "update", "final",
				    "assessment" };
	static const char	*categories[] = { "a", "b", "c", "d", "w",
				    NULL };
	static const char	*units[] = { "u1", "u2" };
	struct record		*ev;
	size_t			 t, c, u, a;

	for (t = 0; t < nitems(types); t++)
	for (c = 0; c < nitems(categories); c++)
	for (u = 0; u < nitems(units); u++)
	for (a = 0; a < ATTRS_VARIANTS; a++) {
		/* A report needs a category; the others may go without. */
		if (categories[c] == NULL && strcmp(types[t], "report") == 0)
			continue;
		ev = event(types[t], categories[c], units[u],
		    attrs_variant(a));
		same_as_every_procedure(ev);
		record_free(ev);
	}
}

/* The index leaves out what cannot match and keeps declaration order. */
static void
test_candidates(void **state)
{
	size_t	v[16], n, i;
	static const size_t	a_report[] = { 0, 1, 2, 3, 4, 7, 8, 9 };
	static const size_t	none_final[] = { 3, 4, 7, 8, 9 };
	static const size_t	num_update[] = { 2, 3, 4, 5, 7, 8, 9 };
	static const size_t	c_final[] = { 3, 4, 6, 7, 8, 9 };

	assert_int_equal(rules_procedure_count(rules), 10);
	n = rules_candidates(rules, "a", "report", v);
	assert_int_equal(n, nitems(a_report));
	for (i = 0; i < n; i++)
		assert_int_equal(v[i], a_report[i]);
	n = rules_candidates(rules, NULL, "final", v);
	assert_int_equal(n, nitems(none_final));
	for (i = 0; i < n; i++)
		assert_int_equal(v[i], none_final[i]);
	n = rules_candidates(rules, "7", "update", v);
	assert_int_equal(n, nitems(num_update));
	for (i = 0; i < n; i++)
		assert_int_equal(v[i], num_update[i]);
	n = rules_candidates(rules, "c", "final", v);
	assert_int_equal(n, nitems(c_final));
	for (i = 0; i < n; i++)
		assert_int_equal(v[i], c_final[i]);
}

/*
 * Every rule function of an event shares its table, yet one that writes
 * into it sees its writes and the next one does not.
 */
static void
test_shared_event(void **state)
{
	struct match_event	*mev;
	struct match_set	 set;
	struct record		*ev;

	ev = event("report", "w", "u1", json_pack("{s:i, s:[i, i]}", "level",
	    1, "list", 1, 2));
	mev = match_event_new(rules, ev);
	memset(&set, 0, sizeof(set));
	match_procedures(mev, &set);
	assert_int_equal(set.nfailed, 0);
	assert_int_equal(set.n, 2);
	assert_string_equal(set.v[0]->name, "writer");
	assert_string_equal(set.v[1]->name, "reader");
	/* Again on the same event: the writer spoilt nothing for anyone. */
	match_set_clear(&set);
	match_procedures(mev, &set);
	assert_int_equal(set.n, 2);
	match_set_clear(&set);
	match_event_free(mev);
	record_free(ev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_candidates),
		cmocka_unit_test(test_index_same_matches),
		cmocka_unit_test(test_shared_event),
	};
	struct rules_problems	 problems = { NULL, 0 };
	FILE			*f;
	size_t			 i;
	int			 rc;

	if (mkdtemp(dir) == NULL)
		return (1);
	snprintf(site, sizeof(site), "%s/site.lua", dir);
	if ((f = fopen(site, "w")) == NULL)
		return (1);
	fputs(site_text, f);
	fclose(f);
	clock_set_virtual(T0);
	rules = rules_load(site, NULL, &problems);
	for (i = 0; i < problems.n; i++)
		fprintf(stderr, "%s\n", problems.v[i]);
	if (rules == NULL)
		return (1);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rules_free(rules);
	unlink(site);
	rmdir(dir);
	return (rc);
}
