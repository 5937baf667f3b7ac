/*
 * One way to load a site: the rules (rules.c) and then the channel options
 * (channel.c), which rules.c cannot check itself because the drivers sit
 * above it.  A set with any problem is refused whole; warnings (a
 * procedure that can never match, two that would tell someone twice) are
 * said but do not stop it.
 */
#include <stdio.h>

#include "channel.h"
#include "site.h"
#include "rules.h"

/* The usable rule set, or NULL with problems filled. */
struct rules *
site_load(const char *site, const struct names *dirs,
    struct rules_problems *problems)
{
	struct rules	*r;

	if ((r = rules_load(site, dirs, problems)) == NULL)
		return (NULL);
	channel_check_all(r, problems);
	rules_drop_sources(r);
	if (problems->n > 0) {
		rules_free(r);
		return (NULL);
	}
	return (r);
}

/* Print every problem, then every warning; the exit status for --check. */
int
site_report(const char *site, const struct names *dirs, FILE *out)
{
	struct rules_problems		 problems = { NULL, 0 };
	const struct rules_problems	*warnings;
	struct rules			*r;
	size_t				 i;

	r = site_load(site, dirs, &problems);
	for (i = 0; i < problems.n; i++)
		fprintf(out, "%s\n", problems.v[i]);
	rules_problems_clear(&problems);
	if (r == NULL)
		return (1);
	warnings = rules_warnings(r);
	for (i = 0; i < warnings->n; i++)
		fprintf(out, "%s\n", warnings->v[i]);
	fprintf(out, "%s: ok, %zu procedures%s\n", site,
	    rules_procedure_count(r), warnings->n > 0 ? ", with warnings" :
	    "");
	rules_free(r);
	return (0);
}
