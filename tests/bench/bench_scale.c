/*
 * Builds a database of open incidents for the scale benchmark
 * (bench_scale.py) with the engine itself: each report goes through
 * engine_submit() exactly as the daemon's group commit would take it, so
 * the rows on disk -- events, incidents, obligations, their timers and the
 * timeline -- are the rows tocsind would have written, not an imitation.
 * Only the clock differs: a virtual one, starting at the real time and
 * moving on one millisecond a report, and the commits are unsynced
 * (synchronous = OFF) and 1,000 reports each, since how the rows got to
 * disk does not change them.
 *
 *	bench_scale -c SITE -d DB -n INCIDENTS [-u UNITS]
 *
 * Prints one JSON line: the incidents written and the seconds it took.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "engine.h"
#include "log.h"
#include "record.h"
#include "rules.h"
#include "store.h"
#include "tocsin.h"

#define SCALE_BATCH	1000	/* reports per transaction */

int
main(int argc, char **argv)
{
	struct rules_problems	 problems = { NULL, 0 };
	struct record_error	 rerr;
	struct engine_result	 res;
	struct rules		*r;
	struct store		*s;
	struct engine		*e;
	struct record		*ev;
	struct timespec		 ts;
	json_t			*json;
	const char		*site = NULL, *db = NULL;
	char			*cause, key[64], unit[32];
	long			 n = 0, units = 100, i;
	int64_t			 start, now;
	int			 ch;

	while ((ch = getopt(argc, argv, "c:d:n:u:")) != -1) {
		switch (ch) {
		case 'c':
			site = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'n':
			n = atol(optarg);
			break;
		case 'u':
			units = atol(optarg);
			break;
		default:
			errx(2, "usage: bench_scale -c SITE -d DB -n INCIDENTS "
			    "[-u UNITS]");
		}
	}
	if (site == NULL || db == NULL || n <= 0 || units <= 0)
		errx(2, "usage: bench_scale -c SITE -d DB -n INCIDENTS "
		    "[-u UNITS]");
	log_init("bench_scale", LOG_LEVEL_ERROR);
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	clock_set_virtual(now);
	if ((r = rules_load(site, NULL, &problems)) == NULL)
		errx(1, "%s", problems.n ? problems.v[0] : "rules do not load");
	if ((s = store_open(db, "OFF", &cause)) == NULL)
		errx(1, "%s", cause);
	e = engine_new(s, r);
	start = clock_monotonic_us();
	for (i = 0; i < n; i++) {
		if (i % SCALE_BATCH == 0 && engine_begin(e) != 0)
			errx(1, "begin");
		clock_set_virtual(now + i);
		snprintf(key, sizeof(key), "scale-%07ld", i);
		snprintf(unit, sizeof(unit), "unit-%03ld", i % units);
		json = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s}",
		    "id", key, "type", "report", "incident", key, "category",
		    "scale", "unit", unit, "grade", 3, "title", "规模测试事件",
		    "summary", "an open incident with its obligations pending");
		if ((ev = record_parse(json, clock_now(), &rerr)) == NULL)
			errx(1, "record: %s", rerr.message);
		json_decref(json);
		if (engine_request_begin(e) != 0 ||
		    engine_submit(e, ev, NULL, &res, &rerr) != 0)
			errx(1, "engine_submit failed at %ld", i);
		engine_request_end(e, 1);
		record_free(ev);
		if ((i + 1) % SCALE_BATCH == 0 || i + 1 == n) {
			if (engine_commit(e, NULL) != 0)
				errx(1, "commit");
		}
	}
	printf("{\"incidents\":%ld,\"seconds\":%.3f}\n", n,
	    (double)(clock_monotonic_us() - start) / 1e6);
	engine_free(e);
	store_close(s);
	rules_free(r);
	return (0);
}
