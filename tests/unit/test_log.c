/*
 * log.c: one line per event, key=value fields whose values cannot forge
 * another field, and every other conversion written as printf writes it.
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

#include "log.h"

static char	 logfile[] = "/tmp/tocsin-log-XXXXXX";
static int	 saved_stderr = -1;
static FILE	*logfp;

static int
setup(void **state)
{
	int	fd = mkstemp(logfile);

	assert_true(fd != -1);
	unsetenv("JOURNAL_STREAM");
	log_init("t", LOG_LEVEL_DEBUG);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(dup2(fd, STDERR_FILENO) != -1);
	close(fd);
	logfp = fopen(logfile, "r");
	assert_non_null(logfp);
	return (0);
}

static int
teardown(void **state)
{
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	fclose(logfp);
	unlink(logfile);
	return (0);
}

/*
 * The line the last log call wrote, without "t: level=info " and "\n";
 * any left unread by a test that failed are skipped.
 */
static const char *
last_line(void)
{
	static char	 line[65536];
	const char	*prefix = "t: level=info ";
	int		 any = 0;

	fflush(stderr);
	while (fgets(line, sizeof(line), logfp) != NULL)
		any = 1;
	clearerr(logfp);
	assert_true(any);
	line[strcspn(line, "\n")] = '\0';
	assert_memory_equal(line, prefix, strlen(prefix));
	return (line + strlen(prefix));
}

/* An incident key with a space cannot make a second field. */
static void
test_values_cannot_forge_fields(void **state)
{
	log_info("engine: no procedure matches incident=%s category=%s",
	    "x reason=forged", "petition");
	assert_string_equal(last_line(), "engine: no procedure matches "
	    "incident=\"x reason=forged\" category=petition");
	log_info("spool: rejected file=%s error=%s", "a\" b=\\c", "");
	assert_string_equal(last_line(),
	    "spool: rejected file=\"a\\\" b=\\\\c\" error=\"\"");
	log_info("k=%s unit=%s n=%d", "x\ny=1", "第一人民医院", 3);
	assert_string_equal(last_line(), "k=\"x\\ny=1\" unit=第一人民医院 n=3");
	/* With a precision, the value is cut first, then quoted. */
	log_info("title=%.5s end", "ab cdefgh");
	assert_string_equal(last_line(), "title=\"ab cd\" end");
	/* A string not after '=' is message text, written as it is. */
	log_info("action %s", "{\"a\":\"b c\"}");
	assert_string_equal(last_line(), "action {\"a\":\"b c\"}");
}

/* Every other conversion is printf's, arguments taken by their type. */
static void
test_conversions_as_printf(void **state)
{
	char		want[512];
	long double	ld = 2.5L;
	int		n = 7;

	snprintf(want, sizeof(want), "%d|%5d|%-5d|%05.2f|%lld|%llu|%zu|%zd|"
	    "%x|%#o|%c|%.*s|%*d|%%|%.3s|%10.4s|%jd|%hhd|%hu|%g|%Le|%ld|%lu|"
	    "%td|%e|%X", -3, 42, 7, 3.14159, -123456789012LL,
	    18446744073709551615ULL, (size_t)99, (ssize_t)-5, 255U, 8U, 'z',
	    3, "abcdef", 6, n, "xyzw", "hello", (intmax_t)-9, (signed char)5,
	    (unsigned short)65535, 0.000125, ld, -70000L, 70000UL,
	    (ptrdiff_t)-12, 1e100, 0xbeefU);
	log_info("%d|%5d|%-5d|%05.2f|%lld|%llu|%zu|%zd|"
	    "%x|%#o|%c|%.*s|%*d|%%|%.3s|%10.4s|%jd|%hhd|%hu|%g|%Le|%ld|%lu|"
	    "%td|%e|%X", -3, 42, 7, 3.14159, -123456789012LL,
	    18446744073709551615ULL, (size_t)99, (ssize_t)-5, 255U, 8U, 'z',
	    3, "abcdef", 6, n, "xyzw", "hello", (intmax_t)-9, (signed char)5,
	    (unsigned short)65535, 0.000125, ld, -70000L, 70000UL,
	    (ptrdiff_t)-12, 1e100, 0xbeefU);
	assert_string_equal(last_line(), want);
}

/* A message longer than a line is cut, not overrun. */
static void
test_long_value_is_cut(void **state)
{
	char		*big = malloc(20000);
	const char	*line;

	memset(big, 'a', 19999);
	big[19999] = '\0';
	big[10] = ' ';
	log_info("key=%s tail=%d", big, 1);
	line = last_line();
	assert_true(strncmp(line, "key=\"aaaaaaaaaa a", 17) == 0);
	assert_true(strlen(line) < 8192);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_cannot_forge_fields),
		cmocka_unit_test(test_conversions_as_printf),
		cmocka_unit_test(test_long_value_is_cut),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
