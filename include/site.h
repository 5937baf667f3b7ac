/*
 * Loading a site for use: the rules, then the channels' options, with
 * every problem and warning collected.  What `tocsind --check`,
 * `tocsinctl check`, start-up and reload all go through.
 */
#ifndef SITE_H
#define SITE_H

#include <stdio.h>

struct names;
struct rules;
struct rules_problems;

struct rules	*site_load(const char *, const struct names *,
		     struct rules_problems *);
int		 site_report(const char *, const struct names *, FILE *);

#endif
