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
#include "ctl-table.h"
#include "tocsin.h"
#include "xmalloc.h"

/* The columns after unit, name and parent: the ledger's statuses. */
static const char *const ctl_ledger_counts[] = { "met", "late", "breached",
    "missed", "pending", "cancelled", "total" };

static const char *
ctl_ledger_text(const json_t *row, const char *key)
{
	const char	*s = json_string_value(json_object_get(row, key));

	return (s != NULL ? s : "-");
}

/*
 * The table: unit, name and parent as wide as their widest cell (in
 * display columns, ctl-table.c), then the counts right-aligned.
 */
static void
ctl_ledger_table(const json_t *units)
{
	static const char *const text[] = { "unit", "name", "parent" };
	struct ctl_table_col	 cols[nitems(text)];
	const char		*cells[nitems(text)];
	const json_t		*row, *counts;
	char			*line;
	size_t			 i, c;
	int			 w;

	for (c = 0; c < nitems(text); c++) {
		cols[c].title = text[c];
		cols[c].width = ctl_table_width(text[c]);
		cols[c].cut = 0;
	}
	json_array_foreach(units, i, row) {
		for (c = 0; c < nitems(text); c++) {
			w = ctl_table_width(ctl_ledger_text(row, text[c]));
			if (w > cols[c].width)
				cols[c].width = w;
		}
	}
	for (c = 0; c < nitems(text); c++) {
		line = ctl_table_cell(text[c], cols[c].width, 0);
		printf("%s ", line);
		free(line);
	}
	for (c = 0; c < nitems(ctl_ledger_counts); c++)
		printf(" %9s", ctl_ledger_counts[c]);
	putchar('\n');
	json_array_foreach(units, i, row) {
		for (c = 0; c < nitems(text); c++) {
			cells[c] = ctl_ledger_text(row, text[c]);
			line = ctl_table_cell(cells[c], cols[c].width, 0);
			printf("%s ", line);
			free(line);
		}
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
		printf("%s .. %s, by %s, drills: %s\n", ctl_ledger_text(o,
		    "from"), ctl_ledger_text(o, "to"), ctl_ledger_text(o,
		    "by"), ctl_ledger_text(o, "drill"));
		ctl_ledger_table(json_object_get(o, "units"));
	}
	if (json)
		putchar('\n');
	json_decref(o);
	return (0);
}
