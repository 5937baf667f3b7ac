/*
 * Real or virtual time.  Decisions in the engine depend only on clock_now(),
 * which is what lets `tocsinctl simulate` replay a day in a millisecond and
 * give byte-for-byte the same timeline each run.
 */
#include <time.h>

#include "clock.h"

static int	clock_virtual;
static int64_t	clock_virtual_now;

int64_t
clock_now(void)
{
	struct timespec	ts;

	if (clock_virtual)
		return (clock_virtual_now);
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

void
clock_set_virtual(int64_t now)
{
	clock_virtual = 1;
	clock_virtual_now = now;
}

int64_t
clock_monotonic_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}
