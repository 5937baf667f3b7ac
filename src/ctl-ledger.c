/*
 * tocsinctl compliance --by unit|parent: the ledger counted per unit, or
 * rolled up to each parent (GET /v1/compliance/summary), as a table
 * aligned for Chinese unit names -- the basis of a monthly 通报 -- or as
 * JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"
#include "tocsin.h"
#include "xmalloc.h"

/* The columns after unit, name and parent: the ledger's statuses. */
static const char *const ctl_ledger_counts[] = { "met", "late", "breached",
    "missed", "pending", "cancelled", "total" };

/* Is the code point one a terminal shows two columns wide (CJK, fullwidth)? */
static int
ctl_ledger_wide(unsigned long c)
{
	return ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) ||
	    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	    (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x20000 && c <= 0x3fffd));
}

/* The columns UTF-8 text s takes on a terminal. */
static size_t
ctl_ledger_width(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	unsigned long		 c;
	size_t			 w = 0;
	int			 more;

	while (*p != '\0') {
		more = *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : *p >= 0xc0 ? 1 : 0;
		c = more == 0 ? *p : *p & (0x3f >> more);
		for (p++; more > 0 && (*p & 0xc0) == 0x80; more--, p++)
			c = c << 6 | (*p & 0x3f);
		w += ctl_ledger_wide(c) ? 2 : 1;
	}
	return (w);
}

/* s, then spaces to width columns and one more. */
static void
ctl_ledger_cell(const char *s, size_t width)
{
	size_t	w = ctl_ledger_width(s);

	fputs(s, stdout);
	for (; w <= width; w++)
		putchar(' ');
}

static const char *
ctl_ledger_text(const json_t *row, const char *key)
{
	const char	*s = json_string_value(json_object_get(row, key));

	return (s != NULL ? s : "-");
}

static void
ctl_ledger_table(const json_t *units)
{
	static const char *const text[] = { "unit", "name", "parent" };
	size_t		 width[nitems(text)], i, c;
	const json_t	*row, *counts;

	for (c = 0; c < nitems(text); c++)
		width[c] = strlen(text[c]);
	json_array_foreach(units, i, row) {
		for (c = 0; c < nitems(text); c++) {
			if (ctl_ledger_width(ctl_ledger_text(row, text[c])) >
			    width[c])
				width[c] = ctl_ledger_width(ctl_ledger_text(row,
				    text[c]));
		}
	}
	for (c = 0; c < nitems(text); c++)
		ctl_ledger_cell(text[c], width[c]);
	for (c = 0; c < nitems(ctl_ledger_counts); c++)
		printf(" %9s", ctl_ledger_counts[c]);
	putchar('\n');
	json_array_foreach(units, i, row) {
		for (c = 0; c < nitems(text); c++)
			ctl_ledger_cell(ctl_ledger_text(row, text[c]),
			    width[c]);
		counts = json_object_get(row, "counts");
		for (c = 0; c < nitems(ctl_ledger_counts); c++)
			printf(" %9lld", (long long)json_integer_value(
			    json_object_get(counts, ctl_ledger_counts[c])));
		putchar('\n');
	}
}

/*
 * The summary at path (/v1/compliance/summary?...), printed as a table,
 * or as the daemon's JSON.
 */
int
ctl_compliance_summary(const struct ctl_env *env, const char *path, int json)
{
	json_t	*o;
	long	 status;

	if ((o = ctl_request(env, "GET", path, NULL, 0, &status)) == NULL)
		return (1);
	if (!json_is_array(json_object_get(o, "units"))) {
		fprintf(stderr, "tocsinctl: %s: no units in the answer\n", path);
		json_decref(o);
		return (1);
	}
	if (json)
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	else {
		printf("%s .. %s, by %s\n", ctl_ledger_text(o, "from"),
		    ctl_ledger_text(o, "to"), ctl_ledger_text(o, "by"));
		ctl_ledger_table(json_object_get(o, "units"));
	}
	if (json)
		putchar('\n');
	json_decref(o);
	return (0);
}
