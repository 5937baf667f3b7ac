/*
 * The watchman's judgement on the virtual clock (watchman-episode.c): an
 * episode is told once, recalled at most once per remind_every, cleared
 * once; the alarm's site keys and their checks; the alarm's message as
 * the engine writes it (engine_alarm) over an in-memory store; and the
 * store's oldest undelivered message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clock.h"
#include "engine.h"
#include "rules.h"
#include "store.h"
#include "tocsin.h"
#include "unit.h"
#include "watchman.h"
#include "xmalloc.h"

#define T0	1772413200000LL		/* 2026-03-02T09:00:00+08:00 */
#define HOUR	MSEC_PER_HOUR
#define MIN	MSEC_PER_MIN

/*
 * Trouble from T0 for 3h10m, checked each minute for four hours: told at
 * its start, reminded at 1h, 2h and 3h, cleared once, then quiet.
 */
static void
test_episode_once_an_hour_then_cleared(void **state)
{
	struct watchman_episode	 ep = { 0, 0, 0 };
	enum watchman_say	 say;
	int64_t			 t, said[4][8];
	int			 n[4] = { 0 };

	for (t = T0; t <= T0 + 4 * HOUR; t += MIN) {
		clock_set_virtual(t);
		say = watchman_episode_judge(&ep, t < T0 + 3 * HOUR + 10 * MIN,
		    clock_now(), HOUR);
		if (say != WATCHMAN_NOTHING && n[say] < 8)
			said[say][n[say]++] = t;
		watchman_episode_apply(&ep, say, clock_now());
	}
	assert_int_equal(n[WATCHMAN_RAISED], 1);
	assert_int_equal(said[WATCHMAN_RAISED][0], T0);
	assert_int_equal(n[WATCHMAN_REMINDER], 3);
	assert_int_equal(said[WATCHMAN_REMINDER][0], T0 + HOUR);
	assert_int_equal(said[WATCHMAN_REMINDER][2], T0 + 3 * HOUR);
	assert_int_equal(n[WATCHMAN_CLEARED], 1);
	assert_int_equal(said[WATCHMAN_CLEARED][0], T0 + 3 * HOUR + 10 * MIN);
	assert_int_equal(ep.since, 0);
}

/* What was said but not committed is said again at the next check. */
static void
test_episode_unapplied_said_again(void **state)
{
	struct watchman_episode	ep = { 0, 0, 0 };

	assert_int_equal(watchman_episode_judge(&ep, 1, T0, HOUR),
	    WATCHMAN_RAISED);
	assert_int_equal(watchman_episode_judge(&ep, 1, T0 + MIN, HOUR),
	    WATCHMAN_RAISED);
	watchman_episode_apply(&ep, WATCHMAN_RAISED, T0 + MIN);
	assert_int_equal(ep.since, T0 + MIN);
	assert_int_equal(ep.told, 1);
	assert_int_equal(watchman_episode_judge(&ep, 1, T0 + 2 * MIN, HOUR),
	    WATCHMAN_NOTHING);
	/* A new episode after a clear starts again from nothing. */
	watchman_episode_apply(&ep, WATCHMAN_CLEARED, T0 + 3 * MIN);
	assert_int_equal(watchman_episode_judge(&ep, 0, T0 + 4 * MIN, HOUR),
	    WATCHMAN_NOTHING);
	assert_int_equal(watchman_episode_judge(&ep, 1, T0 + 5 * MIN, HOUR),
	    WATCHMAN_RAISED);
}

static void
test_trouble_thresholds(void **state)
{
	int64_t	now = T0 + HOUR;

	assert_false(watchman_outbox_bad(0, now, 10 * MIN));
	assert_false(watchman_outbox_bad(now - 9 * MIN, now, 10 * MIN));
	assert_true(watchman_outbox_bad(now - 10 * MIN, now, 10 * MIN));
	/* Failing since 15 minutes, and lately: trouble. */
	assert_false(watchman_channel_bad(0, 0, now, 15 * MIN));
	assert_false(watchman_channel_bad(now - 14 * MIN, now, now, 15 * MIN));
	assert_true(watchman_channel_bad(now - 15 * MIN, now - MIN, now,
	    15 * MIN));
	/* Nothing tried for ten minutes: nothing to judge it by. */
	assert_false(watchman_channel_bad(now - 30 * MIN, now - 10 * MIN, now,
	    15 * MIN));
}

static void
test_texts(void **state)
{
	char	*t;

	t = watchman_text(WATCHMAN_RAISED, 0, "sms", 15 * MIN, 0);
	assert_non_null(strstr(t, "通道“sms”已连续15分钟发送失败"));
	free(t);
	t = watchman_text(WATCHMAN_REMINDER, 1, "hook", HOUR + 10 * MIN, 2);
	assert_non_null(strstr(t, "第2次提醒"));
	assert_non_null(strstr(t, "已等待1小时10分钟"));
	free(t);
	t = watchman_text(WATCHMAN_CLEARED, 1, NULL, 90 * MSEC_PER_SEC, 3);
	assert_non_null(strstr(t, "积压已消除（持续1分钟）"));
	free(t);
}

static const char *alarm_org =
"channel 'hook' { kind = 'log' }\n"
"channel 'sms-ops' { kind = 'log' }\n"
"person 'zhao' { name = '赵一', phone = '+8613800000001', "
"  channels = { 'hook' } }\n"
"group 'office' { members = { 'zhao' }, channels = { 'hook' } }\n";

static void
test_site_keys(void **state)
{
	struct rules		*r;
	const struct site	*s;
	char			 text[2048];

	snprintf(text, sizeof(text), "site { heartbeat = { url = "
	    "'https://hc-ping.example/abc' }, alarm = { channel = "
	    "'sms-ops' } }\n%s", alarm_org);
	r = unit_load_ok(text);
	s = rules_site(r);
	assert_string_equal(s->heartbeat.method, "GET");
	assert_int_equal(s->heartbeat.every, 60 * MSEC_PER_SEC);
	assert_string_equal(s->alarm.to, "office");
	assert_int_equal(s->alarm.queued_after, 10 * MIN);
	assert_int_equal(s->alarm.failing_after, 15 * MIN);
	assert_int_equal(s->alarm.remind_every, HOUR);
	rules_free(r);

	unit_load_refused("site { alarm = { channel = 'sms-ops' } }\n"
	    "channel 'sms-ops' { kind = 'log' }\n"
	    "group 'office' { members = {}, channels = { 'sms-ops' } }\n",
	    "is the site's only channel");
	snprintf(text, sizeof(text), "site { alarm = { channel = 'sms' } }\n"
	    "%s", alarm_org);
	unit_load_refused(text, "unknown channel \"sms\"");
	snprintf(text, sizeof(text), "site { alarm = { channel = 'sms-ops', "
	    "to = 'leaders' } }\n%s", alarm_org);
	unit_load_refused(text, "unknown role \"leaders\"");
	snprintf(text, sizeof(text), "site { alarm = { channel = 'sms-ops', "
	    "colour = 'red' } }\n%s", alarm_org);
	unit_load_refused(text, "unknown key \"colour\"");
	snprintf(text, sizeof(text), "site { heartbeat = { url = "
	    "'https://x.example/', every = '0.5s' } }\n%s", alarm_org);
	unit_load_refused(text, "every");
	snprintf(text, sizeof(text), "site { heartbeat = { every = '1m' } }\n"
	    "%s", alarm_org);
	unit_load_refused(text, "\"url\" is required");
}

struct seen {
	char	channel[64];
	char	recipient[64];
	char	body[2048];
	int	n;
};

static int
seen_cb(const struct store_message *m, void *arg)
{
	struct seen	*s = arg;

	snprintf(s->channel, sizeof(s->channel), "%s", m->channel);
	snprintf(s->recipient, sizeof(s->recipient), "%s", m->recipient);
	snprintf(s->body, sizeof(s->body), "%s", m->body);
	s->n++;
	return (0);
}

/* The alarm as the engine writes it: n rows, the last one seen. */
static void
alarm_rows(const char *org, struct seen *seen)
{
	struct engine_alarm	 a = { "raised", "hook", "office", "sms-ops",
				     "告警系统自检", "通道“hook”已连续15分钟发送失败",
				     T0, 0 };
	struct rules		*r;
	struct store		*s;
	struct engine		*e;
	char			 text[2048], *cause;
	size_t			 notified = 0;

	snprintf(text, sizeof(text), "site { alarm = { channel = 'sms-ops' } "
	    "}\n%s", org);
	r = unit_load_ok(text);
	assert_non_null(s = store_open(":memory:", "OFF", &cause));
	e = engine_new(s, r);
	clock_set_virtual(T0);
	assert_int_equal(engine_begin(e), 0);
	assert_int_equal(engine_alarm(e, &a), 0);
	assert_int_equal(engine_commit(e, &notified), 0);
	memset(seen, 0, sizeof(*seen));
	assert_int_equal(store_messages_due(s, T0, 10, seen_cb, seen), 0);
	assert_int_equal((int)notified, seen->n);
	engine_free(e);
	store_close(s);
	rules_free(r);
}

/*
 * Nobody of the office has the alarm's channel: each of them is told on
 * it all the same (the group and its member), never on their own.
 */
static void
test_alarm_goes_on_its_channel(void **state)
{
	struct seen	seen;

	alarm_rows(alarm_org, &seen);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.channel, "sms-ops");
	assert_non_null(strstr(seen.body, "\"reason\":\"alarm\""));
	assert_non_null(strstr(seen.body, "已连续15分钟发送失败"));
}

/* Those who have the alarm's channel are told on it, and only they. */
static void
test_alarm_to_those_with_its_channel(void **state)
{
	struct seen	seen;

	alarm_rows("channel 'hook' { kind = 'log' }\n"
	    "channel 'sms-ops' { kind = 'log' }\n"
	    "person 'zhao' { phone = '+8613800000001', "
	    "  channels = { 'hook', 'sms-ops' } }\n"
	    "group 'office' { members = { 'zhao' }, channels = { 'hook' } }\n",
	    &seen);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.recipient, "zhao");
	assert_string_equal(seen.channel, "sms-ops");
	assert_non_null(strstr(seen.body, "+8613800000001"));
}

static void
add_message(struct store *s, const char *key, int64_t at, const char *ch)
{
	struct store_message	m;

	memset(&m, 0, sizeof(m));
	m.key = (char *)key;
	m.created_at = m.next_at = at;
	m.channel = (char *)ch;
	m.recipient = (char *)"zhao";
	m.body = (char *)"{}";
	m.deadline_at = at + HOUR;
	assert_int_equal(store_message_add(s, &m, NULL), 0);
}

/* The oldest message not yet delivered, whatever its status. */
static void
test_store_oldest(void **state)
{
	struct store	*s;
	int64_t		 at;
	char		*cause, *ch;

	assert_non_null(s = store_open(":memory:", "OFF", &cause));
	assert_int_equal(store_messages_oldest(s, &at, &ch), 0);
	assert_null(ch);
	assert_int_equal(store_begin(s), 0);
	add_message(s, "tn_1", T0, "hook");
	add_message(s, "tn_2", T0 + MIN, "sms");
	add_message(s, "tn_3", T0 + 2 * MIN, "hook");
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_messages_oldest(s, &at, &ch), 1);
	assert_int_equal(at, T0);
	assert_string_equal(ch, "hook");
	free(ch);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_message_result(s, 1, OUTBOX_DELIVERED, T0, T0,
	    NULL), 0);
	assert_int_equal(store_message_sending(s, 2), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_messages_oldest(s, &at, &ch), 1);
	assert_int_equal(at, T0 + MIN);
	assert_string_equal(ch, "sms");
	free(ch);
	store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_episode_once_an_hour_then_cleared),
		cmocka_unit_test(test_episode_unapplied_said_again),
		cmocka_unit_test(test_trouble_thresholds),
		cmocka_unit_test(test_texts),
		cmocka_unit_test(test_site_keys),
		cmocka_unit_test(test_alarm_goes_on_its_channel),
		cmocka_unit_test(test_alarm_to_those_with_its_channel),
		cmocka_unit_test(test_store_oldest),
	};

	return (cmocka_run_group_tests(tests, unit_setup, unit_teardown));
}
