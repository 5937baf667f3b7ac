/*
 * timeline.c: timeline_json() writes the bytes jansson would write for the
 * same action (timeline_json_jansson()), whatever the fields hold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "timeline.h"

static void
same(const struct action *a)
{
	char	*fast = timeline_json(a), *ref = timeline_json_jansson(a);

	assert_string_equal(fast, ref);
	free(fast);
	free(ref);
}

static void
test_fields(void **state)
{
	struct action	a;

	memset(&a, 0, sizeof(a));
	a.at = 1772420400123LL;
	a.kind = "incident.opened";
	same(&a);
	a.c.incident = "inc-1";
	a.c.unit = "hospital-a";
	a.c.grade = 3;
	a.c.procedure = "network-security";
	same(&a);
	a.c.obligation = "assessment";
	a.c.policy = "standard";
	a.c.step = 2;
	a.c.role = "office";
	a.c.recipient = "qian";
	a.c.channel = "sms";
	same(&a);
	a.c.incident = NULL;
	a.c.recurring = "daily-report";
	a.c.grade = 0;
	a.c.step = 0;
	same(&a);
	a.kind = NULL;		/* left out, as json_string(NULL) is */
	same(&a);
}

static void
test_escapes(void **state)
{
	struct action	a;

	memset(&a, 0, sizeof(a));
	a.at = -1500;		/* before the epoch, not on a second */
	a.kind = "notify";
	a.c.incident = "a\"b\\c/d\be\ff\ng\rh\ti\x01j\x1fk\x7f";
	a.c.unit = "门户网站被篡改 🚨";
	a.c.recipient = "bad \xff utf-8";	/* refused by jansson: left out */
	a.c.role = "";
	same(&a);
}

static void
test_extra(void **state)
{
	struct action	a;

	memset(&a, 0, sizeof(a));
	a.at = 1772420400000LL;
	a.kind = "obligation.breached";
	a.c.incident = "inc-1";
	a.extra = json_pack("{s:s, s:b, s:i, s:I, s:[s, s], s:{s:s}, s:n, "
	    "s:f, s:s}", "due_at", "2026-03-02T11:00:00+08:00", "late", 1,
	    "delayed_s", 42, "big", (json_int_t)-9007199254740993LL,
	    "procedures", "a", "b\n", "nested", "k\"", "v", "none", "real",
	    1.5, "quote\"key", "x\x02y");
	same(&a);
	json_decref(a.extra);
	/* An extra that names a fixed field: jansson's path, same bytes. */
	a.extra = json_pack("{s:s, s:i}", "unit", "replaced", "step", 7);
	same(&a);
	json_decref(a.extra);
	a.extra = json_object();
	same(&a);
	json_decref(a.extra);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_extra),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
