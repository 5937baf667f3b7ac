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
	assert_int_equal(number(text, "tocsin_notifications_total"
	    "{channel=\"hook\",status=\"delivered\"}"), 1);
	assert_int_equal(number(text, "tocsin_notifications_total"
	    "{channel=\"hook\",status=\"retried\"}"), 1);
	assert_int_equal(number(text, "tocsin_notifications_total"
	    "{channel=\"sms \\\"a\\\\b\\\"\\nc\",status=\"dead\"}"), 1);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_channels),
		cmocka_unit_test(test_sample),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
