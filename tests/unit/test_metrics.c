/* metrics.c: counters, histograms and the Prometheus text format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "metrics.h"

/* The page as one NUL-terminated string; the caller frees it. */
static char *
render(void)
{
	struct evbuffer	*buf = evbuffer_new();
	size_t		 len;
	char		*text;

	metrics_write(buf);
	len = evbuffer_get_length(buf);
	text = calloc(1, len + 1);
	evbuffer_remove(buf, text, len);
	evbuffer_free(buf);
	return (text);
}

/* The value on the line that starts with prefix followed by a space. */
static const char *
value_of(const char *text, const char *prefix)
{
	const char	*p = text;
	size_t		 len = strlen(prefix);

	while ((p = strstr(p, prefix)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[len] == ' ')
			return (p + len + 1);
		p += len;
	}
	fail_msg("no line %s in\n%s", prefix, text);
	return (NULL);
}

static long long
number(const char *text, const char *prefix)
{
	return (strtoll(value_of(text, prefix), NULL, 10));
}

static void
test_counters(void **state)
{
	char	*text;

	metrics_reset();
	metrics_events(METRICS_ACCEPTED, 3);
	metrics_events(METRICS_DUPLICATE, 1);
	metrics_events(METRICS_REJECTED, 2);
	metrics_reload(1);
	metrics_reload(0);
	metrics_reload(0);
	metrics_spool(METRICS_SPOOL_DONE);
	text = render();
	assert_int_equal(number(text,
	    "tocsin_events_received_total{result=\"accepted\"}"), 3);
	assert_int_equal(number(text,
	    "tocsin_events_received_total{result=\"duplicate\"}"), 1);
	assert_int_equal(number(text,
	    "tocsin_events_received_total{result=\"rejected\"}"), 2);
	assert_int_equal(number(text,
	    "tocsin_events_received_total{result=\"failed\"}"), 0);
	assert_int_equal(number(text,
	    "tocsin_reloads_total{result=\"ok\"}"), 1);
	assert_int_equal(number(text,
	    "tocsin_reloads_total{result=\"failed\"}"), 2);
	assert_int_equal(number(text,
	    "tocsin_spool_files_total{result=\"done\"}"), 1);
	assert_non_null(strstr(text, "# HELP tocsin_events_received_total "));
	assert_non_null(strstr(text,
	    "# TYPE tocsin_events_received_total counter\n"));
	free(text);
}

/* A value on a bound falls in that bucket; buckets add up; le in seconds. */
static void
test_histogram(void **state)
{
	char	*text;

	metrics_reset();
	metrics_observe(METRICS_COMMIT, 250);		/* le 0.00025 */
	metrics_observe(METRICS_COMMIT, 251);		/* le 0.0005 */
	metrics_observe(METRICS_COMMIT, 2500000);	/* le 5 */
	metrics_observe(METRICS_COMMIT, 60000000);	/* +Inf */
	text = render();
	assert_non_null(strstr(text, "# TYPE tocsin_commit_seconds histogram\n"));
	assert_int_equal(number(text,
	    "tocsin_commit_seconds_bucket{le=\"0.00025\"}"), 1);
	assert_int_equal(number(text,
	    "tocsin_commit_seconds_bucket{le=\"0.0005\"}"), 2);
	assert_int_equal(number(text,
	    "tocsin_commit_seconds_bucket{le=\"1\"}"), 2);
	assert_int_equal(number(text,
	    "tocsin_commit_seconds_bucket{le=\"5\"}"), 3);
	assert_int_equal(number(text,
	    "tocsin_commit_seconds_bucket{le=\"+Inf\"}"), 4);
	assert_int_equal(number(text, "tocsin_commit_seconds_count"), 4);
	assert_true(strncmp(value_of(text, "tocsin_commit_seconds_sum"),
	    "62.500501\n", 10) == 0);
	assert_int_equal(number(text,
	    "tocsin_rule_evaluation_seconds_bucket{le=\"0.00001\"}"), 0);
	assert_int_equal(number(text, "tocsin_rule_evaluation_seconds_count"),
	    0);
	free(text);
}

static void
test_channels(void **state)
{
	char	*text;

	metrics_reset();
	metrics_delivery_time("hook", 30000);
	metrics_delivery("hook", METRICS_DELIVERED);
	metrics_delivery("hook", METRICS_RETRIED);
	metrics_delivery("sms \"a\\b\"\nc", METRICS_DEAD);
	text = render();
	assert_int_equal(number(text, "tocsin_delivery_attempts_total"
	    "{channel=\"hook\",result=\"delivered\"}"), 1);
	assert_int_equal(number(text, "tocsin_delivery_attempts_total"
	    "{channel=\"hook\",result=\"retried\"}"), 1);
	assert_int_equal(number(text, "tocsin_delivery_attempts_total"
	    "{channel=\"sms \\\"a\\\\b\\\"\\nc\",result=\"dead\"}"), 1);
	/* Attempts are not notifications: that family is the engine's. */
	assert_null(strstr(text, "tocsin_notifications_total"));
	assert_null(strstr(text, "status="));
	assert_int_equal(number(text, "tocsin_delivery_seconds_bucket"
	    "{channel=\"hook\",le=\"0.025\"}"), 0);
	assert_int_equal(number(text, "tocsin_delivery_seconds_bucket"
	    "{channel=\"hook\",le=\"0.05\"}"), 1);
	assert_int_equal(number(text,
	    "tocsin_delivery_seconds_count{channel=\"hook\"}"), 1);
	free(text);
	metrics_reset();
}

static void
test_sample(void **state)
{
	struct evbuffer	*buf = evbuffer_new();
	char		 text[256];
	size_t		 len;

	metrics_family(buf, "tocsin_up");
	metrics_sample(buf, "tocsin_up", 1, NULL);
	metrics_sample(buf, "tocsin_obligations", -2, "status", "met", NULL);
	len = evbuffer_remove(buf, text, sizeof(text) - 1);
	text[len] = '\0';
	assert_string_equal(text, "# HELP tocsin_up 1 while the daemon "
	    "answers.\n# TYPE tocsin_up gauge\ntocsin_up 1\n"
	    "tocsin_obligations{status=\"met\"} -2\n");
	evbuffer_free(buf);
}

/* The last load's result: 1 from the start, 0 after a failed reload. */
static void
test_last_reload(void **state)
{
	metrics_reset();
	assert_int_equal(metrics_reload_ok(), 1);
	metrics_reload(0);
	assert_int_equal(metrics_reload_ok(), 0);
	metrics_reload(1);
	assert_int_equal(metrics_reload_ok(), 1);
	metrics_reload(0);
	assert_int_equal(metrics_reload_ok(), 0);
	metrics_reset();
}

/*
 * /proc/self/stat as proc(5) has it, with a command that holds ") " and
 * digits, as the process collectors of the client libraries read it.
 */
static void
test_process_stat(void **state)
{
	struct metrics_process	p;
	const char		*stat = "4242 (tocsind) 7 8) S 1 4242 4242 0 "
	    "-1 4194560 1234 0 0 0 250 130 0 0 20 0 3 0 987654 "
	    "35205120 3632 18446744073709551615 1 1 0 0 0 0 0 4096 17664 "
	    "0 0 0 17 1 0 0 0 0 0\n";

	assert_int_equal(metrics_process_parse(stat, 1796600000LL, 100, 4096,
	    &p), 0);
	assert_true(p.cpu_seconds > 3.79 && p.cpu_seconds < 3.81);
	assert_true(p.start_time > 1796609876.53 &&
	    p.start_time < 1796609876.55);
	assert_int_equal(p.virtual_bytes, 35205120);
	assert_int_equal(p.resident_bytes, 3632 * 4096);
	assert_int_equal(metrics_process_parse("4242 (x) S 1 2", 1, 100, 4096,
	    &p), -1);
	assert_int_equal(metrics_process_parse("no parenthesis", 1, 100, 4096,
	    &p), -1);
	assert_int_equal(metrics_process_parse(stat, -1, 100, 4096, &p), -1);
}

/* This very process, as /metrics shows tocsind. */
static void
test_process_families(void **state)
{
	struct evbuffer	*buf = evbuffer_new();
	size_t		 len;
	char		*text;
	static const char *families[] = {
		"process_cpu_seconds_total counter",
		"process_virtual_memory_bytes gauge",
		"process_resident_memory_bytes gauge",
		"process_start_time_seconds gauge",
		"process_open_fds gauge", "process_max_fds gauge",
	};
	size_t		 i;
	char		 want[128];

	metrics_process_write(buf);
	len = evbuffer_get_length(buf);
	text = calloc(1, len + 1);
	evbuffer_remove(buf, text, len);
	evbuffer_free(buf);
	for (i = 0; i < sizeof(families) / sizeof(*families); i++) {
		snprintf(want, sizeof(want), "# TYPE %s\n", families[i]);
		assert_non_null(strstr(text, want));
	}
	assert_true(number(text, "process_resident_memory_bytes") > 1 << 20);
	assert_true(number(text, "process_open_fds") >= 3);
	assert_true(number(text, "process_max_fds") >=
	    number(text, "process_open_fds"));
	assert_true(number(text, "process_start_time_seconds") > 1700000000);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_channels),
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_last_reload),
		cmocka_unit_test(test_process_stat),
		cmocka_unit_test(test_process_families),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
