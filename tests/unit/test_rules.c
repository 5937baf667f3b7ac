/*
 * rules.c's load-time warnings: procedures that can never match, and
 * procedures that would tell the same role twice about one report; and
 * finding the ingest token a request presents.
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

#include "rules.h"
#include "unit.h"
#include "xmalloc.h"

static const char *site_text =
"channel 'log' { kind = 'log' }\n"
"person 'a' { roles = { 'office', 'principal' }, channels = { 'log' } }\n"
"procedure 'p1' { match = { category = 'network_security' },\n"
"  on_open = { notify = { 'office' } } }\n"
"procedure 'p2' { match = { category = { 'network_security', 'epidemic' },\n"
"  unit = 'h1' }, on_open = { notify = { 'principal', 'office' } } }\n"
"procedure 'p3' { match = { category = 'epidemic', unit = 'h2' },\n"
"  on_open = { notify = { 'office' } } }\n"
"procedure 'p4' { match = { category = 'network_security' },\n"
"  on_open = { notify = { 'principal' } } }\n"
"procedure 'p5' { match = function(ev) return true end,\n"
"  on_open = { notify = { 'office' } } }\n"
"procedure 'p6' { match = { category = 'fire' },\n"
"  grades = { [1] = { notify = { 'principal' } } } }\n"
"procedure 'p7' { match = { category = 'fire', grade = { 1, 2 } },\n"
"  grades = { [1] = { notify = { 'principal' } } } }\n"
"procedure 'dead1' { match = { category = 'x', type = 'update' } }\n"
"procedure 'dead2' { match = { grade = 7 } }\n"
"procedure 'dead3' { match = { category = {} } }\n"
"procedure 'alive' { match = { type = { 'report', 'update' } } }\n";

/* How many warnings hold every needle. */
static int
warned(const struct rules *r, const char *a, const char *b)
{
	const struct rules_problems	*w = rules_warnings(r);
	size_t				 i;
	int				 n = 0;

	for (i = 0; i < w->n; i++) {
		if (strstr(w->v[i], a) != NULL &&
		    (b == NULL || strstr(w->v[i], b) != NULL))
			n++;
	}
	return (n);
}

static void
test_never_matches(void **state)
{
	struct rules	*r = unit_load_ok(site_text);

	assert_int_equal(warned(r, "site.lua:17: warning: procedure "
	    "\"dead1\" can never match", "only a \"report\""), 1);
	assert_int_equal(warned(r, "\"dead2\" can never match", "no grade"),
	    1);
	assert_int_equal(warned(r, "\"dead3\" can never match", "no values"),
	    1);
	assert_int_equal(warned(r, "\"alive\"", NULL), 0);
	assert_int_equal(warned(r, "\"p5\" can never", NULL), 0);
	rules_free(r);
}

static void
test_double_notify(void **state)
{
	struct rules	*r = unit_load_ok(site_text);

	/* Same category, both tell the office on opening. */
	assert_int_equal(warned(r, "procedures \"p1\" and \"p2\"",
	    "both tell \"office\""), 1);
	/* p2 is for h1 only, p3 for h2 only: never the same report. */
	assert_int_equal(warned(r, "\"p2\" and \"p3\"", NULL), 0);
	/* Overlapping but telling different roles: no warning. */
	assert_int_equal(warned(r, "\"p1\" and \"p4\"", NULL), 0);
	assert_int_equal(warned(r, "\"p2\" and \"p4\"",
	    "both tell \"principal\""), 1);
	/* Grade notifications count too. */
	assert_int_equal(warned(r, "\"p6\" and \"p7\"",
	    "both tell \"principal\""), 1);
	/* A match function cannot be compared. */
	assert_int_equal(warned(r, "\"p5\"", NULL), 0);
	rules_free(r);
}

/*
 * The site's unmatched roles: one the site set and does not map is a
 * warning (the office is told instead); the default "duty" of a site with
 * no duty role falls back quietly.
 */
static void
test_unmatched_roles(void **state)
{
	struct rules	*r = unit_load_ok(site_text);

	assert_int_equal(rules_site(r)->unmatched.n, 2);
	assert_string_equal(rules_site(r)->unmatched.v[0], "office");
	assert_string_equal(rules_site(r)->unmatched.v[1], "duty");
	assert_int_equal(warned(r, "unmatched role", NULL), 0);
	rules_free(r);
	r = unit_load_ok("site { unmatched = { 'principal', 'night-leader' } }\n"
	    "channel 'log' { kind = 'log' }\n"
	    "person 'a' { roles = { 'office', 'principal' }, "
	    "channels = { 'log' } }\n");
	assert_int_equal(rules_site(r)->unmatched.n, 2);
	assert_int_equal(warned(r, "warning: site: unmatched role "
	    "\"night-leader\" reaches nobody", "\"office\" instead"), 1);
	assert_int_equal(warned(r, "\"principal\" reaches", NULL), 0);
	rules_free(r);
}

/*
 * A Twilio channel taking callbacks needs the site's public_url: Twilio
 * signs over the URL it called.  Aliyun and Tencent put their credential
 * in the path and need none.
 */
static void
test_twilio_callbacks_need_public_url(void **state)
{
	static const char *const channels =
	    "channel 'tw' { kind = 'sms', provider = 'twilio',\n"
	    "  account = 'AC0123', auth_token = 'secret-auth-token',\n"
	    "  from = '+15005550006',\n"
	    "  callback_token = 'tw-0123456789abcdef0123456789abcdef' }\n"
	    "channel 'tw-quiet' { kind = 'sms', provider = 'twilio',\n"
	    "  account = 'AC0123', auth_token = 'secret-auth-token',\n"
	    "  from = '+15005550006' }\n"
	    "channel 'ali' { kind = 'sms', provider = 'aliyun',\n"
	    "  access_key_id = 'k', access_key_secret = 's',\n"
	    "  sign_name = 'x', template_code = 'SMS_1',\n"
	    "  callback_token = 'al-0123456789abcdef0123456789abcdef' }\n";
	struct rules	*r;
	char		*text;

	r = unit_load_ok(channels);
	assert_int_equal(warned(r, "site.lua:4: warning: channel \"tw\": "
	    "Twilio signs its callbacks", "no public_url"), 1);
	assert_int_equal(warned(r, "\"tw-quiet\"", NULL), 0);
	assert_int_equal(warned(r, "\"ali\"", NULL), 0);
	rules_free(r);
	xasprintf(&text, "site { public_url = 'https://duty.example/' }\n%s",
	    channels);
	r = unit_load_ok(text);
	assert_int_equal(warned(r, "public_url", NULL), 0);
	rules_free(r);
	free(text);
}

/* The leader's lease (PostgreSQL, docs/cluster.md): 5 s unless said. */
static void
test_site_lease(void **state)
{
	struct rules	*r = unit_load_ok("site { }\n");

	assert_int_equal(rules_site(r)->lease, 5000);
	assert_null(rules_site(r)->node);
	rules_free(r);
	r = unit_load_ok("site { lease = '2s', node = 'tocsin-b' }\n");
	assert_int_equal(rules_site(r)->lease, 2000);
	assert_string_equal(rules_site(r)->node, "tocsin-b");
	rules_free(r);
	unit_load_refused("site { lease = '20m' }\n",
	    "\"lease\" must be between 1s and 10m");
}

/*
 * A procedure's periods and an obligation's due_in are Lua tables, whose
 * keys come out in an order that changes from run to run: they are kept in
 * name order, each tag with its own value, so that who is told first and
 * which period a deadline names never flicker.  Eight tags: the chance
 * that Lua's order is the sorted one by accident is 1 in 40,320.
 */
static void
test_period_tags_in_name_order(void **state)
{
	const struct procedure		*p;
	const struct obligation_def	*o;
	struct rules			*r;
	size_t				 i;

	r = unit_load_ok("channel 'log' { kind = 'log' }\n"
	    "person 'a' { roles = { 'office', 'r1', 'r2', 'r3', 'r4', 'r5',"
	    " 'r6', 'r7', 'r8' }, channels = { 'log' } }\n"
	    "procedure 'p' { match = { category = 'x' },\n"
	    "  periods = { t5 = { notify = { 'r5' } }, t2 = { notify = { 'r2' } },"
	    " t8 = { notify = { 'r8' } }, t1 = { notify = { 'r1' } },"
	    " t7 = { notify = { 'r7' } }, t3 = { notify = { 'r3' } },"
	    " t6 = { notify = { 'r6' } }, t4 = { notify = { 'r4' } } },\n"
	    "  obligations = { { id = 'o', due = '9h', met_by = { type = 'final' },"
	    " owner = 'office', due_in = { t5 = '5h', t2 = '2h', t8 = '8h',"
	    " t1 = '1h', t7 = '7h', t3 = '3h', t6 = '6h', t4 = '4h' } } } }\n");
	p = rules_procedure_find(r, "p");
	assert_non_null(p);
	assert_int_equal(p->period_tags.n, 8);
	for (i = 0; i < 8; i++) {
		assert_int_equal(p->period_tags.v[i][1], '1' + (int)i);
		assert_int_equal(p->period_notify[i].n, 1);
		assert_int_equal(p->period_notify[i].v[0][1], '1' + (int)i);
	}
	o = &p->obligations[0];
	assert_int_equal(o->due_in_tags.n, 8);
	for (i = 0; i < 8; i++) {
		assert_int_equal(o->due_in_tags.v[i][1], '1' + (int)i);
		assert_int_equal(o->due_in[i].value,
		    ((int64_t)i + 1) * 3600 * 1000);
	}
	rules_free(r);
}

static const char *token_text =
"token 'a' { secret = 'unit-a-secret-0123456789abcdef', units = { 'hosp-a' } }\n"
"token 'ops' { secret = 'ops-secret-fedcba9876543210abcd' }\n"
"token 'short' { secret = '0123456789abcdef' }\n";

static void
test_token_find(void **state)
{
	struct rules		*r = unit_load_ok(token_text);
	const struct token_def	*t;

	t = rules_token_find(r, "unit-a-secret-0123456789abcdef");
	assert_non_null(t);
	assert_string_equal(t->name, "a");
	t = rules_token_find(r, "ops-secret-fedcba9876543210abcd");
	assert_non_null(t);
	assert_string_equal(t->name, "ops");
	assert_string_equal(rules_token_find(r, "0123456789abcdef")->name,
	    "short");
	/* One byte off, at either end, and the same length. */
	assert_null(rules_token_find(r, "ops-secret-fedcba9876543210abce"));
	assert_null(rules_token_find(r, "Ops-secret-fedcba9876543210abcd"));
	/* A prefix, a longer text, another token's prefix. */
	assert_null(rules_token_find(r, "ops-secret-fedcba9876543210abc"));
	assert_null(rules_token_find(r, "ops-secret-fedcba9876543210abcdx"));
	assert_null(rules_token_find(r, "0123456789abcdef0"));
	assert_null(rules_token_find(r, "0123456789abcde"));
	assert_null(rules_token_find(r, ""));
	assert_null(rules_token_find(r, NULL));
	rules_free(r);

	/* No tokens: nothing matches, not even the empty text. */
	r = unit_load_ok(site_text);
	assert_null(rules_token_find(r, ""));
	assert_null(rules_token_find(r, "ops-secret-fedcba9876543210abcd"));
	rules_free(r);
}

/*
 * Series and several events (SPEC §4, lifecycle): what the parser keeps,
 * and what it refuses at load with a clear problem.
 */
#define LC_HEAD "channel 'log' { kind = 'log' }\n" \
	"person 'a' { roles = { 'office' }, channels = { 'log' } }\n" \
	"procedure 'p' { match = { category = 'x' }, obligations = {\n"

static void
test_lifecycle_keys(void **state)
{
	const struct procedure		*p;
	const struct obligation_def	*o;
	struct rules			*r;

	r = unit_load_ok(LC_HEAD
	    "{ id = 'daily', due = '24h', every = '24h', ['until'] = '7d',\n"
	    "  met_by = { type = 'update' }, owner = 'office' },\n"
	    "{ id = 'both', due = '1h', met_by = { all = { 'plan',\n"
	    "  { type = 'notice', to = 'fire' }, function(ev) return true end } },\n"
	    "  owner = 'office' },\n"
	    "{ id = 'three', due = '1h', met_by = { count = 3, type = 'update' },\n"
	    "  owner = 'office' } } }\n");
	p = rules_procedure_find(r, "p");
	assert_non_null(p);
	assert_int_equal(p->nobligations, 3);
	o = &p->obligations[0];
	assert_true(o->repeats);
	assert_true(o->until_set);
	assert_int_equal(o->met_count, 1);
	o = &p->obligations[1];
	assert_false(o->repeats);
	assert_int_equal(o->nmet_all, 3);
	o = &p->obligations[2];
	assert_int_equal(o->met_count, 3);
	assert_int_equal(o->met_by.nterms, 1);	/* count is not a key */
	rules_free(r);

	unit_load_refused(LC_HEAD "{ id = 'a', due = '1h', ['until'] = '2d',\n"
	    "  met_by = { type = 'update' } } } }\n",
	    "\"until\" ends a series: give \"every\" too");
	unit_load_refused(LC_HEAD "{ id = 'a', due = '1h', every = '0h',\n"
	    "  met_by = { type = 'update' } } } }\n",
	    "\"every\" must be longer than nothing");
	unit_load_refused(LC_HEAD "{ id = 'a', due = '1h',\n"
	    "  met_by = { count = 0, type = 'update' } } } }\n",
	    "\"met_by.count\" must be a whole number from 1 to 1000");
	unit_load_refused(LC_HEAD "{ id = 'a', due = '1h',\n"
	    "  met_by = { all = {} } } } }\n",
	    "\"met_by.all\" must be a list of 1 to 31");
	unit_load_refused(LC_HEAD "{ id = 'a', due = '1h',\n"
	    "  met_by = { all = { 'plan' }, type = 'x' } } } }\n",
	    "\"met_by\" with \"all\" takes nothing else");
	unit_load_refused(LC_HEAD "{ id = 'a', due = '1h',\n"
	    "  met_by = { all = { 7 } } } } }\n",
	    "\"met_by.all\" items are event types, matches or functions");
	/* A series cannot pause; it can start at an event, due from it. */
	unit_load_refused(LC_HEAD "{ id = 'a', due = '1h', every = '24h',\n"
	    "  pause_on = { type = 'suspend' }, resume_on = { type = 'resume' },\n"
	    "  met_by = { type = 'update' } } } }\n",
	    "a series (\"every\") cannot pause");
	r = unit_load_ok(LC_HEAD "{ id = 'a', from = { type = 'order' },\n"
	    "  due = { attr = 'deadline' }, every = '24h', ['until'] = '7d',\n"
	    "  met_by = { type = 'update' }, owner = 'office' } } }\n");
	o = &rules_procedure_find(r, "p")->obligations[0];
	assert_true(o->repeats);
	assert_int_equal(o->from, FROM_EVENT);
	assert_string_equal(o->due_attr, "deadline");
	rules_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_never_matches),
		cmocka_unit_test(test_double_notify),
		cmocka_unit_test(test_unmatched_roles),
		cmocka_unit_test(test_site_lease),
		cmocka_unit_test(test_token_find),
		cmocka_unit_test(test_period_tags_in_name_order),
		cmocka_unit_test(test_lifecycle_keys),
		cmocka_unit_test(test_twilio_callbacks_need_public_url),
	};

	return (cmocka_run_group_tests(tests, unit_setup, unit_teardown));
}
