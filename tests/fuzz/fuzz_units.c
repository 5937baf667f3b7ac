/*
 * Fuzz the units CSV reader (src/rules-units.c): the input is a units_csv
 * file, loaded with a small fixed site that declares people, a group, a
 * roster and the county above the CSV's units, the way the daemon loads a
 * site (site_load: the CSV reader, then the tree's checks and index).
 *
 * Checked besides the sanitizers: a refused site says why, and every
 * problem names the file and row (or the site line); an accepted one has
 * no problems, every unit is found by its id and is the only one with it,
 * its fields are UTF-8 with no empty strings standing for "none", its
 * parents end at a top unit within RULES_UNIT_DEPTH_MAX levels, the
 * county's token covers it, and a unit role resolves to someone.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "org.h"
#include "record.h"
#include "rules.h"
#include "site.h"
#include "tocsin.h"

#include "fuzz.h"

/* The deepest a tree may be (src/rules-units.c). */
#define FUZZ_UNIT_DEPTH	64

/* People, a group and a roster the CSV's role columns can bind. */
static const char site_text[] =
    "site { rules = {}, timezone = \"Asia/Shanghai\" }\n"
    "channel \"log\" { kind = \"log\" }\n"
    "person \"zhang\" { name = \"张三\", channels = { \"log\" } }\n"
    "person \"liu\" { name = \"刘五\", channels = { \"log\" } }\n"
    "person \"chen\" { name = \"陈八\", channels = { \"log\" } }\n"
    "group \"office\" { members = { \"chen\" } }\n"
    "roster \"duty\" { start = \"2026-03-02\", rotation = { \"liu\" } }\n"
    "unit \"county-health\" { name = \"县卫健委\", "
    "roles = { principal = \"zhang\" } }\n"
    "units_csv \"units.csv\"\n";

static char	dir[64], site_path[96], csv_path[96];
static int	verbose;	/* FUZZ_VERBOSE=1: print the problems */

static void
cleanup(void)
{
	unlink(csv_path);
	unlink(site_path);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	FILE	*f;

	log_init("fuzz_units", LOG_LEVEL_ERROR);
	unsetenv("CREDENTIALS_DIRECTORY");
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	snprintf(dir, sizeof(dir), "/tmp/fuzz_units.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(site_path, sizeof(site_path), "%s/site.lua", dir);
	snprintf(csv_path, sizeof(csv_path), "%s/units.csv", dir);
	if ((f = fopen(site_path, "w")) == NULL)
		abort();
	fputs(site_text, f);
	fclose(f);
	atexit(cleanup);
	return (0);
}

/* NULL for "none", or a UTF-8 text that is not empty. */
static void
check_field(const char *s)
{
	if (s != NULL) {
		FUZZ_CHECK(s[0] != '\0');
		FUZZ_CHECK(record_valid_utf8(s, strlen(s)));
	}
}

static void
check_unit(const struct rules *r, const struct unit *u)
{
	static char			 top[] = "county-health";
	static char			*tops[] = { top };
	static const struct names	 county = { tops, 1 };
	const struct unit		*v;
	struct org_choice		 c;
	size_t				 i, depth;

	FUZZ_CHECK(u->id != NULL);
	check_field(u->id);
	check_field(u->name);
	check_field(u->parent);
	check_field(u->kind);
	FUZZ_CHECK(rules_unit_find(r, u->id) == u);
	FUZZ_CHECK(u->role_keys.n == u->role_targets.n);
	for (i = 0; i < u->role_keys.n; i++) {
		check_field(u->role_keys.v[i]);
		check_field(u->role_targets.v[i]);
		FUZZ_CHECK(strchr(u->role_keys.v[i], '.') == NULL);
	}
	/* Its parents end at a top unit, not too far up. */
	for (v = u, depth = 0; v->parent != NULL; depth++) {
		FUZZ_CHECK(depth < FUZZ_UNIT_DEPTH);
		FUZZ_CHECK((v = rules_unit_find(r, v->parent)) != NULL);
	}
	FUZZ_CHECK(rules_unit_covered(r, &county, u->id) ==
	    (strcmp(v->id, "county-health") == 0));
	org_choose(r, "unit.principal", u->id, NULL, 0, &c);
	FUZZ_CHECK(c.target != NULL);
	FUZZ_CHECK(c.fallback != NULL || c.unit != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules_problems	 problems = { NULL, 0 };
	struct rules		*r;
	FILE			*f;
	size_t			 i;

	if ((f = fopen(csv_path, "w")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	if (fclose(f) != 0)
		abort();

	r = site_load(site_path, NULL, &problems);
	if (r == NULL)
		FUZZ_CHECK(problems.n > 0);
	else {
		FUZZ_CHECK(problems.n == 0);
		FUZZ_CHECK(rules_unit_count(r) >= 1);
		for (i = 0; i < rules_unit_count(r); i++)
			check_unit(r, rules_unit(r, i));
		rules_free(r);
	}
	for (i = 0; i < problems.n; i++) {
		FUZZ_CHECK(problems.v[i] != NULL);
		FUZZ_CHECK(strstr(problems.v[i], "units.csv") != NULL ||
		    strstr(problems.v[i], "site.lua") != NULL);
		if (verbose)
			fprintf(stderr, "problem: %s\n", problems.v[i]);
	}
	rules_problems_clear(&problems);
	return (0);
}
