/*
 * Fuzz the rule-file loader: the input is one rule pack file, loaded with
 * a small fixed site the way the daemon loads a site and its packs
 * (site_load: src/rules.c, rules-api.c, sandbox.c, then the channel
 * checks).  The fuzz build gives loading a small instruction and memory
 * budget (Makefile: RULES_LOAD_*), so a looping or greedy file is stopped
 * in milliseconds; anything that still takes long is a hang to fix.
 *
 * Checked besides the sanitizers: a refused rule set says why, an
 * accepted one has no problems, and its procedure index hands out each
 * candidate once, in declaration order.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "site.h"
#include "log.h"
#include "rules.h"
#include "tocsin.h"

#include "fuzz.h"

/* People and roles a procedure can name; the pack is the input. */
static const char site_text[] =
    "site { rules = { \"pack\" }, timezone = \"Asia/Shanghai\" }\n"
    "channel \"log\" { kind = \"log\" }\n"
    "person \"zhao\" { name = \"赵一\", phone = \"+8613800000001\", "
    "channels = { \"log\" } }\n"
    "person \"qian\" { name = \"钱二\", channels = { \"log\" } }\n"
    "person \"li\" { name = \"李四\", roles = { \"principal\", "
    "\"deputy\" }, channels = { \"log\" } }\n"
    "group \"office\" { members = { \"qian\" } }\n"
    "group \"city\" { members = {}, channels = { \"log\" } }\n"
    "role \"superior\" { default = \"city\" }\n"
    "role \"responsible\" { default = \"office\", network_security = "
    "\"zhao\" }\n"
    "roster \"duty\" { handover = \"08:30\", start = \"2026-03-02\", "
    "every = \"1d\", rotation = { \"zhao\", \"qian\" } }\n";

static char	dir[64], site_path[96], pack_path[96], pack_dir[80];
static int	verbose;	/* FUZZ_VERBOSE=1: print the problems */

static void
cleanup(void)
{
	unlink(pack_path);
	rmdir(pack_dir);
	unlink(site_path);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	FILE	*f;

	log_init("fuzz_rules", LOG_LEVEL_ERROR);
	unsetenv("CREDENTIALS_DIRECTORY");
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	snprintf(dir, sizeof(dir), "/tmp/fuzz_rules.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(site_path, sizeof(site_path), "%s/site.lua", dir);
	snprintf(pack_dir, sizeof(pack_dir), "%s/pack", dir);
	snprintf(pack_path, sizeof(pack_path), "%s/rules.lua", pack_dir);
	if (mkdir(pack_dir, 0700) != 0 || (f = fopen(site_path, "w")) == NULL)
		abort();
	fputs(site_text, f);
	fclose(f);
	atexit(cleanup);
	return (0);
}

static void
check_index(const struct rules *r)
{
	static const char	*cats[] = { NULL, "network_security",
	    "public_opinion", "petition" };
	static const char	*types[] = { NULL, "report", "assessment" };
	size_t			 n = rules_procedure_count(r), i, j, k, got;
	size_t			*v;

	v = calloc(n + 1, sizeof(*v));
	FUZZ_CHECK(v != NULL);
	for (i = 0; i < nitems(cats); i++) {
		for (j = 0; j < nitems(types); j++) {
			got = rules_candidates(r, cats[i], types[j], v);
			FUZZ_CHECK(got <= n);
			for (k = 0; k < got; k++) {
				FUZZ_CHECK(v[k] < n);
				FUZZ_CHECK(k == 0 || v[k - 1] < v[k]);
			}
		}
	}
	free(v);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(rules_procedure_find(r,
		    rules_procedure(r, i)->name) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules_problems	 problems = { NULL, 0 };
	struct rules		*r;
	FILE			*f;
	size_t			 i;

	if ((f = fopen(pack_path, "w")) == NULL)
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
		check_index(r);
		rules_free(r);
	}
	for (i = 0; i < problems.n; i++) {
		FUZZ_CHECK(problems.v[i] != NULL);
		if (verbose)
			fprintf(stderr, "problem: %s\n", problems.v[i]);
	}
	rules_problems_clear(&problems);
	return (0);
}
