/*
 * Message templates: message.c on its own, then the engine choosing the
 * nearest template (policy step, obligation, procedure, site, default) and
 * putting the acknowledgement link in, read back from the outbox rows.
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
#include "clock.h"
#include "engine.h"
#include "message.h"
#include "record.h"
#include "rules.h"
#include "store.h"
#include "timeline.h"
#include "tocsin.h"
#include "unit.h"
#include "xmalloc.h"

#define T0	1772413200000LL		/* 2026-03-02T09:00:00+08:00 */
#define LINK	"https://tocsin.example.org/ack/"

static const char *site_text =
"site { public_url = 'https://tocsin.example.org/',\n"
"  messages = { opened = '站点：{title}/{unit}/{grade}/{color}/{recipient}' } }\n"
"channel 'log' { kind = 'log' }\n"
"person 'zhao' { name = '赵一', roles = { 'office' }, channels = { 'log' } }\n"
"person 'li' { name = '李四', roles = { 'principal' }, channels = { 'log' } }\n"
"procedure 'netsec' { match = { category = 'network_security' },\n"
"  on_open = { notify = { 'office' } },\n"
"  obligations = { { id = 'a', title = '研判', due = '2h',\n"
"    met_by = { type = 'assessment' }, owner = 'office', on_breach = 'p',\n"
"    remind = { '30m' },\n"
"    messages = { remind = '义务：{obligation}于{due}到期，{ack_url}' } } } }\n"
"procedure 'opinion' { title = '网络舆情',\n"
"  match = { category = 'public_opinion' }, on_open = { notify = { 'office' } },\n"
"  messages = { opened = '预案：{procedure}，{{原样}}' } }\n"
"policy 'p' { { notify = { 'office' } },\n"
"  { after = '15m', notify = { 'principal' },\n"
"    message = '步骤：第{step}级，超时{late}' } }\n";

static const char *
value_cb(const char *name, void *arg)
{
	if (strcmp(name, "title") == 0)
		return ("网站被篡改");
	if (strcmp(name, "unit") == 0)
		return ("hospital-a");
	return (NULL);
}

static void
test_render_and_check(void **state)
{
	char	*text, *cause = NULL;

	text = message_render("【{title}】{unit}{late}，{{字面}}", value_cb, NULL);
	assert_string_equal(text, "【网站被篡改】hospital-a，{字面}");
	free(text);
	assert_int_equal(message_check("{title} {due} {ack_url} {{x}}",
	    &cause), 0);
	assert_int_equal(message_check("{titel}", &cause), -1);
	assert_string_equal(cause, "unknown placeholder \"{titel}\"");
	free(cause);
	assert_int_equal(message_check("{title", &cause), -1);
	assert_non_null(strstr(cause, "never closed"));
	free(cause);
	assert_int_equal(message_check("a } b", &cause), -1);
	free(cause);
	assert_int_equal(message_reason("escalation"), MESSAGE_ESCALATION);
	assert_int_equal(message_reason("nonsense"), -1);
	/* Every default passes its own check. */
	{
		int	r;

		for (r = 0; r < MESSAGE__COUNT; r++)
			assert_int_equal(message_check(message_default(r),
			    &cause), 0);
	}
}

static void
test_bad_templates_refused(void **state)
{
	struct rules_problems	 problems = { NULL, 0 };
	const char		*want[] = {
		/* Said at the line of the template's key. */
		"site.lua:3: procedure \"x\": messages.opened: unknown "
		    "placeholder \"{titel}\"",
		"site.lua:3: procedure \"x\": \"messages\": unknown reason "
		    "\"openned\" (did you mean \"opened\"?)",
		"policy \"p\": message: a \"{\" is never closed",
	};
	size_t			 i, j;
	int			 found;

	assert_null(unit_load("channel 'log' { kind = 'log' }\n"
	    "procedure 'x' { match = { category = 'c' }, messages = {\n"
	    "  opened = '{titel}', openned = 'x' } }\n"
	    "policy 'p' { { notify = { 'x' }, message = '{step' } }\n",
	    &problems));
	for (i = 0; i < nitems(want); i++) {
		for (j = 0, found = 0; j < problems.n; j++)
			found |= strstr(problems.v[j], want[i]) != NULL;
		if (!found)
			fail_msg("no problem says: %s", want[i]);
	}
	rules_problems_clear(&problems);
}

struct world {
	struct rules	*rules;
	struct store	*store;
	struct engine	*engine;
};

static void
submit(struct world *w, const char *text)
{
	struct record_error	 err;
	struct record		*rec;
	struct engine_result	 res;
	json_t			*json = json_loads(text, 0, NULL);

	rec = record_parse(json, clock_now(), &err);
	json_decref(json);
	assert_non_null(rec);
	assert_int_equal(engine_begin(w->engine), 0);
	assert_int_equal(engine_submit(w->engine, rec, NULL, &res, &err),
	    0);
	assert_int_equal(engine_commit(w->engine, NULL), 0);
	record_free(rec);
}

static void
run_until(struct world *w, int64_t t)
{
	int64_t	next;

	while ((next = engine_next_due(w->engine)) <= t) {
		clock_set_virtual(next);
		assert_int_equal(engine_begin(w->engine), 0);
		assert_true(engine_fire_due(w->engine, next, 1) >= 0);
		assert_int_equal(engine_commit(w->engine, NULL), 0);
	}
	clock_set_virtual(t);
}

struct outbox_texts {
	char	**texts;
	size_t	  n;
	size_t	  max;
};

static int
outbox_text_cb(const struct store_message *m, int keep, void *arg)
{
	struct outbox_texts	*o = arg;
	json_t			*body;

	(void)keep;
	if (o->n == o->max)
		return (1);
	body = json_loads(m->body, 0, NULL);
	o->texts[o->n++] = xstrdup(json_string_value(json_object_get(body,
	    "text")));
	json_decref(body);
	return (0);
}

/* The texts of an incident's outbox rows, oldest first, into texts. */
static size_t
outbox_texts(struct world *w, const char *incident, char **texts, size_t max)
{
	struct store_message_filter	 filter = { incident, NULL, NULL };
	struct store_message_cursor	 cursor = { INT64_MAX };
	struct outbox_texts		 o = { texts, 0, max };
	size_t				 i;
	char				*tmp;

	assert_int_equal(store_messages_page(w->store, &filter, &cursor, 100,
	    outbox_text_cb, &o), 0);
	for (i = 0; i < o.n / 2; i++) {	/* the list is newest first */
		tmp = texts[i];
		texts[i] = texts[o.n - 1 - i];
		texts[o.n - 1 - i] = tmp;
	}
	return (o.n);
}

/* text is prefix + LINK + 32 hex digits + suffix; returns the token. */
static void
assert_linked(const char *text, const char *prefix, const char *suffix,
    char *token)
{
	const char	*p;
	size_t		 i;

	if (strncmp(text, prefix, strlen(prefix)) != 0)
		fail_msg("\"%s\" does not start with \"%s\"", text, prefix);
	p = text + strlen(prefix);
	if (strncmp(p, LINK, strlen(LINK)) != 0)
		fail_msg("no link where expected in \"%s\"", text);
	p += strlen(LINK);
	for (i = 0; i < 32; i++)
		assert_non_null(strchr("0123456789abcdef", p[i]));
	memcpy(token, p, 32);
	token[32] = '\0';
	assert_string_equal(p + 32, suffix);
}

static void
assert_token_for(struct world *w, const char *token, const char *incident,
    const char *recipient)
{
	struct store_ack_link	l;

	assert_int_equal(store_ack_link_get(w->store, token, &l), 1);
	assert_string_equal(l.incident, incident);
	assert_string_equal(l.recipient, recipient);
	store_ack_link_clear(&l);
}

static void
test_nearest_template_wins(void **state)
{
	struct world		 w;
	char			*cause = NULL, *t[8], token[33], first[33];
	size_t			 n, i;

	w.rules = unit_load_ok(site_text);
	w.store = store_open(":memory:", "OFF", &cause);
	assert_non_null(w.store);
	w.engine = engine_new(w.store, w.rules);
	clock_set_virtual(T0);
	submit(&w, "{\"type\":\"report\",\"incident\":\"inc-1\",\"unit\":"
	    "\"hospital-a\",\"category\":\"network_security\",\"grade\":3,"
	    "\"title\":\"网站被篡改\"}");
	submit(&w, "{\"type\":\"report\",\"incident\":\"inc-2\",\"unit\":"
	    "\"hospital-b\",\"category\":\"public_opinion\"}");
	run_until(&w, T0 + 2 * MSEC_PER_HOUR + 20 * MSEC_PER_MIN);

	n = outbox_texts(&w, "inc-1", t, nitems(t));
	assert_int_equal(n, 4);
	/* Site template; no {ack_url} in it, so the link goes at the end. */
	assert_linked(t[0], "站点：网站被篡改/hospital-a/较大/黄色/赵一 "
	    "收到请点击确认：", "", first);
	assert_token_for(&w, first, "inc-1", "zhao");
	/* The obligation's own template, with the link where it says. */
	assert_linked(t[1], "义务：研判于2026-03-02 11:00到期，", "", token);
	assert_string_not_equal(token, first);	/* one token per message */
	/* Step 1 has no template: the built-in default. */
	assert_linked(t[2], "【超时未报】网站被篡改：“研判”已超过时限（应于"
	    "2026-03-02 11:00前完成，已超时不足1分钟）。报告单位：hospital-a，"
	    "事件等级：较大。请立即督办。（第1级升级） 收到请点击确认：", "",
	    token);
	/* Step 2's own template, to the principal. */
	assert_linked(t[3], "步骤：第2级，超时15分钟 收到请点击确认：", "",
	    token);
	assert_token_for(&w, token, "inc-1", "li");
	for (i = 0; i < n; i++)
		free(t[i]);

	/* A procedure's template beats the site's; "{{" is a brace. */
	n = outbox_texts(&w, "inc-2", t, nitems(t));
	assert_int_equal(n, 1);
	assert_linked(t[0], "预案：网络舆情，{原样} 收到请点击确认：", "",
	    token);
	free(t[0]);

	engine_free(w.engine);
	store_close(w.store);
	rules_free(w.rules);
}

/* The text the office gets when unit reports, on a site with units. */
static char *
unit_name_text(const char *units, const char *unit, int own)
{
	struct world	 w;
	char		*cause = NULL, *text, *site, *ev;

	xasprintf(&site, "%s"
	    "channel 'log' { kind = 'log' }\n"
	    "person 'zhao' { name = '赵一', roles = { 'office' }, "
	    "channels = { 'log' } }\n%s"
	    "procedure 'netsec' { match = { category = 'network_security' },\n"
	    "  on_open = { notify = { 'office' } } }\n", own ? "site { "
	    "messages = { opened = '{unit_name}（{unit}）报告' } }\n" : "",
	    units);
	w.rules = unit_load_ok(site);
	w.store = store_open(":memory:", "OFF", &cause);
	assert_non_null(w.store);
	w.engine = engine_new(w.store, w.rules);
	clock_set_virtual(T0);
	xasprintf(&ev, "{\"type\":\"report\",\"incident\":\"inc-1\","
	    "\"unit\":\"%s\",\"category\":\"network_security\"}", unit);
	submit(&w, ev);
	assert_int_equal(outbox_texts(&w, "inc-1", &text, 1), 1);
	engine_free(w.engine);
	store_close(w.store);
	rules_free(w.rules);
	free(ev);
	free(site);
	return (text);
}

/* {unit_name}: the declared unit's name; else the unit's id. */
static void
test_unit_name(void **state)
{
	static const char *units = "unit 'county' { name = '县卫生健康委' }\n"
	    "unit 'wsy-liuzhuang' { name = '刘庄乡卫生院', parent = 'county' }\n"
	    "unit 'wsy-wangji' { parent = 'county' }\n";
	static const struct {
		const char	*units, *unit, *want;
	} cases[] = {
		{ NULL, "wsy-liuzhuang", "刘庄乡卫生院（wsy-liuzhuang）报告" },
		{ NULL, "wsy-wangji", "wsy-wangji（wsy-wangji）报告" },
		{ "", "wsy-liuzhuang", "wsy-liuzhuang（wsy-liuzhuang）报告" },
	};
	size_t	 i;
	char	*text;

	for (i = 0; i < nitems(cases); i++) {
		text = unit_name_text(cases[i].units != NULL ? cases[i].units :
		    units, cases[i].unit, 1);
		assert_string_equal(text, cases[i].want);
		free(text);
	}
	/* The built-in default says who reported by name. */
	text = unit_name_text(units, "wsy-liuzhuang", 0);
	assert_non_null(strstr(text, "。报告单位：刘庄乡卫生院。"));
	free(text);
}

static void
same_note(const struct message_note *n)
{
	char	*fast = message_note_json(n);
	char	*ref = message_note_json_jansson(n);

	if (ref == NULL)
		assert_null(fast);
	else {
		assert_non_null(fast);
		assert_string_equal(fast, ref);
	}
	free(fast);
	free(ref);
}

/* The outbox body written directly is jansson's, field for field. */
static void
test_note_json(void **state)
{
	static const char *const mobiles[] = { "+8613800000000", "1390000" };
	static const char *const bad_mobiles[] = { "ok", "\xff", NULL };
	struct message_note	 n;
	char			*text;

	memset(&n, 0, sizeof(n));
	n.key = "tn_019c8f0e1a2b3c4d5e6f7a8b9c0d1e2f";
	n.reason = "opened";
	n.at = "2026-03-02T09:00:00+08:00";
	n.c.role = "office";
	n.c.recipient = "duty";
	n.c.recipient_name = "值班员";
	n.c.channel = "hook";
	n.text = "【较大】bench incident 1：请于 2026-03-02 11:00 前研判定级";
	same_note(&n);
	/* What a note does not have is left out, never null or 0. */
	text = message_note_json(&n);
	assert_non_null(text);
	assert_null(strstr(text, "null"));
	assert_null(strstr(text, "\"grade\""));
	assert_null(strstr(text, "\"step\""));
	assert_null(strstr(text, "\"obligation\""));
	assert_null(strstr(text, "\"ack_url\""));
	free(text);
	n.c.incident = "inc-1";
	n.c.unit = "hospital-a";
	n.c.unit_name = "第一人民医院";
	n.c.grade = 3;
	n.c.procedure = "bench";
	n.c.obligation = "assessment";
	n.c.policy = "standard";
	n.c.step = 2;
	n.c.phone = "+8613800000000";
	n.title = "a \"quoted\" title\n\t\x01 / 门户 🚨";
	n.ack_url = "https://duty.example/ack/0123";
	same_note(&n);
	n.mobiles = mobiles;
	n.nmobiles = 2;
	same_note(&n);
	n.c.recurring = "daily";
	n.c.incident = NULL;
	n.c.grade = -1;
	same_note(&n);

	/* Where jansson refuses, or leaves out, it decides. */
	n.mobiles = bad_mobiles;
	n.nmobiles = 3;
	same_note(&n);
	n.nmobiles = 0;
	n.title = "bad \xc0\x80 utf-8";
	same_note(&n);
	n.title = NULL;
	n.text = NULL;
	same_note(&n);
	n.text = "t";
	n.c.recipient_name = NULL;	/* required in a note */
	same_note(&n);
	n.c.recipient_name = "x";
	n.c.phone = "bad \xff";		/* optional, but not UTF-8 */
	same_note(&n);
}

/*
 * One struct says what an action concerns: the timeline action and the
 * notification carry the same fields in the same order, but a person's
 * name and phone, and the unit's name, stay out of the audit trail.
 */
static void
test_one_concern(void **state)
{
	struct message_note	 n;
	struct action		 a;
	char			*note, *action;

	(void)state;
	memset(&n, 0, sizeof(n));
	n.key = "tn_0";
	n.reason = "escalation";
	n.at = "2026-03-02T09:00:00+08:00";
	n.c.incident = "inc-1";
	n.c.unit = "hospital-a";
	n.c.unit_name = "第一人民医院";
	n.c.grade = 2;
	n.c.procedure = "netsec";
	n.c.obligation = "assessment";
	n.c.policy = "standard";
	n.c.step = 2;
	n.c.role = "principal";
	n.c.recipient = "li";
	n.c.recipient_name = "李三";
	n.c.phone = "+8613800000000";
	n.c.channel = "sms";
	n.text = "t";
	memset(&a, 0, sizeof(a));
	a.at = 1772413200000LL;
	a.kind = "notify";
	a.c = n.c;
	note = message_note_json(&n);
	action = timeline_json(&a);
	assert_non_null(strstr(note, "\"incident\":\"inc-1\",\"unit\":"
	    "\"hospital-a\",\"unit_name\":\"第一人民医院\",\"grade\":2,"
	    "\"procedure\":\"netsec\","
	    "\"obligation\":\"assessment\",\"policy\":\"standard\","
	    "\"step\":2,\"role\":\"principal\",\"recipient\":\"li\","
	    "\"recipient_name\":\"李三\",\"phone\":\"+8613800000000\","
	    "\"channel\":\"sms\""));
	assert_non_null(strstr(action, "\"incident\":\"inc-1\",\"unit\":"
	    "\"hospital-a\",\"grade\":2,\"procedure\":\"netsec\","
	    "\"obligation\":\"assessment\",\"policy\":\"standard\","
	    "\"step\":2,\"role\":\"principal\",\"recipient\":\"li\","
	    "\"channel\":\"sms\"}"));
	free(note);
	free(action);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_and_check),
		cmocka_unit_test(test_bad_templates_refused),
		cmocka_unit_test(test_nearest_template_wins),
		cmocka_unit_test(test_unit_name),
		cmocka_unit_test(test_note_json),
		cmocka_unit_test(test_one_concern),
	};

	return (cmocka_run_group_tests(tests, unit_setup, unit_teardown));
}
