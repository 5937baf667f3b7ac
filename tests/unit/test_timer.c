/* timer.c: the deadline heap orders by time, then by id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "timer.h"

static void
test_order(void **state)
{
	struct timer_heap	*h = timer_heap_new();
	int64_t			 at, id, last_at = -1, last_id = -1;
	int			 i, n = 0;

	/* A scrambled set with ties: pop order must be (at, id) ascending. */
	for (i = 0; i < 1000; i++)
		timer_heap_push(h, (i * 7919) % 97, 1000 - i);
	assert_int_equal(timer_heap_size(h), 1000);
	while (timer_heap_peek(h, &at, &id)) {
		assert_true(at > last_at || (at == last_at && id > last_id));
		last_at = at;
		last_id = id;
		timer_heap_pop(h);
		n++;
	}
	assert_int_equal(n, 1000);
	assert_int_equal(timer_heap_size(h), 0);
	timer_heap_pop(h);		/* popping empty is harmless */
	timer_heap_push(h, 5, 1);
	timer_heap_clear(h);
	assert_false(timer_heap_peek(h, &at, &id));
	timer_heap_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
