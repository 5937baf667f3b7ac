/*
 * Units: the organisation as data (SPEC §5a).  A unit comes from a
 * `unit "id" { ... }` declaration (rules-api.c) or a row of a units_csv
 * file, read here: the file an office keeps in Excel or WPS, UTF-8 with
 * or without a byte order mark, quoted the way those programs quote.
 * After loading, the tree is checked (parents known, no loops, no id
 * twice, every binding someone) and indexed by id, so that finding a
 * unit's ancestors costs a few binary searches whatever the tree's size.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "record.h"
#include "rules-int.h"
#include "xmalloc.h"

/* A county has hundreds of units, a province thousands; not millions. */
#define RULES_UNITS_CSV_MAX	(16 * 1024 * 1024)
/* Parents above parents: a chain longer than this is a loop or a mistake. */
#define RULES_UNIT_DEPTH_MAX	64
/* "Did you mean" for this many unknown parents; the rest are just named. */
#define RULES_UNIT_GUESSES	32

struct unit *
rules_unit_new(struct rules *r, const char *id, const char *where)
{
	struct unit	*u;

	u = xcalloc(1, sizeof(*u));
	u->id = xstrdup(id);
	u->where = xstrdup(where);
	r->units = xreallocarray(r->units, r->nunits + 1, sizeof(*r->units));
	r->units[r->nunits++] = u;
	return (u);
}

void
rules_unit_free(struct unit *u)
{
	free(u->id);
	free(u->name);
	free(u->parent);
	free(u->kind);
	free(u->where);
	names_free(&u->role_keys);
	names_free(&u->role_targets);
	free(u);
}

/* One CSV file being read: the text, where we are, the row we are on. */
struct csv {
	struct rules	*rules;
	const char	*path;
	const char	*p, *end;
	size_t		 row;		/* 1: the header, as a spreadsheet shows */
	int		 bad;		/* CSV_OPEN_QUOTE, CSV_AFTER_QUOTE */
};

enum { CSV_OPEN_QUOTE = 1, CSV_AFTER_QUOTE };

/*
 * The next field (a copy the caller frees); *last is set when it ends its
 * row.  Quoted fields may hold commas, newlines and "" for a quote;
 * spaces around a field are not part of it.  A quote left open, or text
 * after a closing quote, marks the file bad (c->bad) rather than start a
 * row of its own.
 */
static char *
csv_field(struct csv *c, int *last)
{
	const char	*start, *q;
	char		*out, *o;

	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
	if (c->p < c->end && *c->p == '"') {
		/* Find the closing quote first: the copy is no longer. */
		for (q = ++c->p; q < c->end; q++) {
			if (*q == '"' && (q + 1 >= c->end || q[1] != '"'))
				break;
			if (*q == '"')
				q++;
		}
		out = o = xmalloc((size_t)(q - c->p) + 1);
		for (; c->p < q; c->p++) {
			if (*c->p == '"')
				c->p++;		/* "" is one quote */
			*o++ = *c->p;
		}
		if (q >= c->end)
			c->bad = CSV_OPEN_QUOTE;
		else
			c->p = q + 1;
		while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
			c->p++;
		if (c->p < c->end && *c->p != ',' && *c->p != '\r' &&
		    *c->p != '\n' && c->bad == 0)
			c->bad = CSV_AFTER_QUOTE;
	} else {
		start = c->p;
		while (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
		    *c->p != '\r')
			c->p++;
		out = o = xmalloc((size_t)(c->p - start) + 1);
		memcpy(o, start, (size_t)(c->p - start));
		o += c->p - start;
		while (o > out && (o[-1] == ' ' || o[-1] == '\t'))
			o--;
	}
	*o = '\0';
	*last = 1;
	if (c->p < c->end && *c->p == ',') {
		c->p++;
		*last = 0;
	} else if (c->p < c->end && *c->p == '\r') {
		c->p++;
		if (c->p < c->end && *c->p == '\n')
			c->p++;
	} else if (c->p < c->end && *c->p == '\n')
		c->p++;
	return (out);
}

/* The fields of the next row, or 0 at the end of the file. */
static int
csv_row(struct csv *c, struct names *fields)
{
	char	*f;
	int	 last = 0;

	if (c->p >= c->end)
		return (0);
	c->row++;
	while (!last && !c->bad) {
		f = csv_field(c, &last);
		names_add(fields, f);
		free(f);
	}
	return (1);
}

static void
csv_problem(struct csv *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
csv_problem(struct csv *c, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	rules_problems_add(c->rules->problems, "%s:row %zu: %s", c->path,
	    c->row, msg);
	free(msg);
}

static const char *const csv_fixed[] = { "id", "name", "parent", "kind" };

/* The first role column named role. */
static size_t
csv_column(const struct names *h, const char *role)
{
	size_t	i;

	for (i = 4; i < h->n && strcmp(h->v[i], role) != 0; i++)
		;
	return (i);
}

/* The header: id,name,parent,kind, then one role a column. */
static int
csv_header(struct csv *c, const struct names *h)
{
	size_t	i, j;
	int	ok = 1;

	for (i = 0; i < 4; i++) {
		if (i >= h->n || strcasecmp(h->v[i], csv_fixed[i]) != 0) {
			csv_problem(c, "the header must begin "
			    "id,name,parent,kind (column %zu is \"%s\")",
			    i + 1, i < h->n ? h->v[i] : "");
			return (0);
		}
	}
	for (i = 4; i < h->n; i++) {
		if (strchr(h->v[i], '.') != NULL) {
			csv_problem(c, "column %zu: a role name has no dot: "
			    "\"%s\"", i + 1, h->v[i]);
			ok = 0;
		} else if (h->v[i][0] != '\0' &&
		    (j = csv_column(h, h->v[i])) < i) {
			/* The first would bind; the second be ignored. */
			csv_problem(c, "column %zu: role \"%s\" is column %zu "
			    "already", i + 1, h->v[i], j + 1);
			ok = 0;
		}
	}
	return (ok);
}

static int
csv_empty(const struct names *f)
{
	size_t	i;

	for (i = 0; i < f->n; i++) {
		if (f->v[i][0] != '\0')
			return (0);
	}
	return (1);
}

static char *
csv_take(const struct names *f, size_t i)
{
	return (i < f->n && f->v[i][0] != '\0' ? xstrdup(f->v[i]) : NULL);
}

/* A data row: a unit, its bindings from the role columns. */
static void
csv_unit(struct csv *c, const struct names *h, const struct names *f)
{
	struct unit	*u;
	char		 where[1024];
	size_t		 i;

	if (csv_empty(f))
		return;		/* the blank rows a spreadsheet leaves */
	if (f->v[0][0] == '\0') {
		csv_problem(c, "no id in the first column");
		return;
	}
	if (f->n > h->n) {
		csv_problem(c, "%zu cells, but the header names %zu columns",
		    f->n, h->n);
		return;
	}
	snprintf(where, sizeof(where), "%s:row %zu", c->path, c->row);
	u = rules_unit_new(c->rules, f->v[0], where);
	u->name = csv_take(f, 1);
	u->parent = csv_take(f, 2);
	u->kind = csv_take(f, 3);
	for (i = 4; i < f->n; i++) {
		if (f->v[i][0] == '\0' || h->v[i][0] == '\0')
			continue;	/* no binding */
		names_add(&u->role_keys, h->v[i]);
		names_add(&u->role_targets, f->v[i]);
	}
}

static char *
csv_read(struct rules *r, const char *path, const char *where, size_t *len)
{
	FILE	*f;
	char	*text;

	if ((f = fopen(path, "rb")) == NULL) {
		rules_problems_add(r->problems, "%s: units_csv: %s: %s", where,
		    path, strerror(errno));
		return (NULL);
	}
	text = xmalloc(RULES_UNITS_CSV_MAX + 1);
	*len = fread(text, 1, RULES_UNITS_CSV_MAX + 1, f);
	fclose(f);
	if (*len > RULES_UNITS_CSV_MAX) {
		rules_problems_add(r->problems, "%s: units_csv: %s: larger "
		    "than %d MB", where, path, RULES_UNITS_CSV_MAX >> 20);
		free(text);
		return (NULL);
	}
	text[*len] = '\0';
	return (text);
}

/*
 * Read a units CSV into the rule set.  A file Excel saved as "CSV" on a
 * Chinese Windows is GBK, not UTF-8: it is refused whole, saying how to
 * save it, rather than loaded as unit names no one can read.
 */
void
rules_units_csv(struct rules *r, const char *path, const char *where)
{
	struct csv	 c;
	struct names	 header = { NULL, 0 }, fields = { NULL, 0 };
	char		*text;
	size_t		 len;

	if ((text = csv_read(r, path, where, &len)) == NULL)
		return;
	memset(&c, 0, sizeof(c));
	c.rules = r;
	c.path = path;
	c.p = text;
	c.end = text + len;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		c.p += 3;
	if (!record_valid_utf8(c.p, (size_t)(c.end - c.p)))
		rules_problems_add(r->problems, "%s: units_csv: %s is not "
		    "UTF-8: save it as \"CSV UTF-8\"", where, path);
	else if (!csv_row(&c, &header) || c.bad)
		rules_problems_add(r->problems, "%s: units_csv: %s: no header "
		    "row id,name,parent,kind,...", where, path);
	else if (csv_header(&c, &header)) {
		while (csv_row(&c, &fields)) {
			if (c.bad) {
				csv_problem(&c, c.bad == CSV_OPEN_QUOTE ?
				    "a quoted field is not closed" :
				    "text after a quoted field's closing quote");
				break;
			}
			csv_unit(&c, &header, &fields);
			names_free(&fields);
		}
	}
	names_free(&fields);
	names_free(&header);
	free(text);
}

static int
rules_unit_order_cmp(const void *a, const void *b, void *arg)
{
	struct unit *const	*v = arg;
	size_t			 i = *(const size_t *)a, j = *(const size_t *)b;
	int			 c;

	if ((c = strcmp(v[i]->id, v[j]->id)) != 0)
		return (c);
	return (i < j ? -1 : i > j);
}

/* The units by id, for rules_unit_find (qsort_r is not C11: an insertion
 * into place would be quadratic, so a merge sort). */
static void
rules_units_sort(struct rules *r, size_t *v, size_t *tmp, size_t n)
{
	size_t	h = n / 2, i = 0, j = h, k = 0;

	if (n < 2)
		return;
	rules_units_sort(r, v, tmp, h);
	rules_units_sort(r, v + h, tmp, n - h);
	while (i < h && j < n)
		tmp[k++] = rules_unit_order_cmp(&v[i], &v[j], r->units) <= 0 ?
		    v[i++] : v[j++];
	while (i < h)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

const struct unit *
rules_unit_find(const struct rules *r, const char *id)
{
	size_t	lo = 0, hi = r->nunits, mid;
	int	c;

	if (id == NULL)
		return (NULL);
	if (r->unit_order == NULL) {	/* still loading */
		for (mid = 0; mid < r->nunits; mid++) {
			if (strcmp(r->units[mid]->id, id) == 0)
				return (r->units[mid]);
		}
		return (NULL);
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(id, r->units[r->unit_order[mid]]->id);
		if (c == 0)
			return (r->units[r->unit_order[mid]]);
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (NULL);
}

static const struct unit *
rules_unit_parent(const struct rules *r, const struct unit *u)
{
	return (u->parent != NULL ? rules_unit_find(r, u->parent) : NULL);
}

/* Who u binds to role, or NULL. */
const char *
rules_unit_binding(const struct unit *u, const char *role)
{
	size_t	i;

	for (i = 0; i < u->role_keys.n; i++) {
		if (strcmp(u->role_keys.v[i], role) == 0)
			return (u->role_targets.v[i]);
	}
	return (NULL);
}

/*
 * May a token limited to units act for unit: is the unit, or one of its
 * ancestors, in the list?  An empty list (or none) covers every unit.
 */
int
rules_unit_covered(const struct rules *r, const struct names *units,
    const char *unit)
{
	const struct unit	*u;
	int			 depth;

	if (units == NULL || units->n == 0)
		return (1);
	if (unit == NULL)
		return (0);
	if (names_has(units, unit))
		return (1);
	u = rules_unit_find(r, unit);
	for (depth = 0; u != NULL && depth < RULES_UNIT_DEPTH_MAX; depth++) {
		if ((u = rules_unit_parent(r, u)) != NULL &&
		    names_has(units, u->id))
			return (1);
	}
	return (0);
}

/*
 * The unit set a list of units covers: each of them, and every declared
 * unit below one of them (a token's scope; a subtree).  out is added to;
 * a listed unit the site does not declare stands for itself.
 */
void
rules_unit_scope(const struct rules *r, const struct names *units,
    struct names *out)
{
	size_t	i;

	for (i = 0; i < units->n; i++) {
		if (rules_unit_find(r, units->v[i]) == NULL &&
		    !names_has(out, units->v[i]))
			names_add(out, units->v[i]);
	}
	for (i = 0; i < r->nunits; i++) {
		if (rules_unit_covered(r, units, r->units[i]->id))
			names_add(out, r->units[i]->id);
	}
}

/*
 * "unit.principal" (up 0), "parent.office" (1), "parent.parent.office"
 * (2): 1 with *up and *name set; 0 for a plain role; -1 for a unit role
 * with nothing, or a dot, after its last dot.
 */
int
rules_unit_role_parse(const char *role, int *up, const char **name)
{
	*up = 0;
	if (strncmp(role, "unit.", 5) == 0)
		role += 5;
	else if (strncmp(role, "parent.", 7) == 0) {
		while (strncmp(role, "parent.", 7) == 0) {
			role += 7;
			(*up)++;
		}
	} else
		return (0);
	*name = role;
	return (*role == '\0' || strchr(role, '.') != NULL ? -1 : 1);
}

/* Does any unit bind the role name? */
static int
rules_unit_role_bound(const struct rules *r, const char *name)
{
	size_t	i;

	for (i = 0; i < r->nunits; i++) {
		if (names_has(&r->units[i]->role_keys, name))
			return (1);
	}
	return (0);
}

/*
 * A name a notify list may hold: a plain role the site knows, or a unit
 * role whose name some unit binds or the site knows (where a unit that
 * binds nobody falls back to).
 */
int
rules_notify_known(const struct rules *r, const char *name)
{
	const char	*role;
	int		 up;

	switch (rules_unit_role_parse(name, &up, &role)) {
	case 0:
		return (rules_target_known(r, name));
	case 1:
		return (rules_unit_role_bound(r, role) ||
		    rules_target_known(r, role));
	}
	return (0);
}

/* The index of the unit with this id (any, if declared twice), or NONE. */
#define UNIT_NONE	((size_t)-1)

static size_t
rules_unit_index(const struct rules *r, const char *id)
{
	size_t	lo = 0, hi = r->nunits, mid;
	int	c;

	while (id != NULL && lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(id, r->units[r->unit_order[mid]]->id);
		if (c == 0)
			return (r->unit_order[mid]);
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (UNIT_NONE);
}

/* Report a loop of parents once, at the loop's first declared unit. */
static void
rules_units_report_loop(struct rules *r, const size_t *loop, size_t n)
{
	const struct unit	*u, *v;
	char			*chain, *tmp;
	size_t			 first = 0, k;

	for (k = 1; k < n; k++) {
		if (loop[k] < loop[first])
			first = k;
	}
	u = r->units[loop[first]];
	chain = xstrdup(u->id);
	for (k = 1; k <= n; k++) {
		v = r->units[loop[(first + k) % n]];
		xasprintf(&tmp, "%s → %s", chain, v->id);
		free(chain);
		chain = tmp;
	}
	rules_problems_add(r->problems, "%s: unit \"%s\": its parents loop: "
	    "%s", u->where, u->id, chain);
	free(chain);
}

/*
 * How many units each one has above it, found walking up from each unit
 * in declaration order until a unit already measured: every unit is
 * walked over once, so a file of a hundred thousand rows costs what a
 * county's does, per unit.  A loop is reported once, at its first declared
 * unit; a unit with more than RULES_UNIT_DEPTH_MAX units above it is
 * reported too, where the chain grows past the limit: rules_unit_covered
 * and the roles look no further.
 */
#define UNIT_LOOPED	((size_t)-1)

static void
rules_units_check_depth(struct rules *r)
{
	enum { NEW = 0, ON_PATH, DONE };
	unsigned char	*state;
	size_t		*above, *path, i, j, k, n, up;

	state = xcalloc(r->nunits, sizeof(*state));
	above = xcalloc(r->nunits, sizeof(*above));
	path = xcalloc(r->nunits, sizeof(*path));
	for (i = 0; i < r->nunits; i++) {
		for (n = 0, j = i; j != UNIT_NONE && state[j] == NEW;
		    j = rules_unit_index(r, r->units[j]->parent)) {
			state[j] = ON_PATH;
			path[n++] = j;
		}
		/* up: the units above path[n - 1], counting its parent. */
		up = j == UNIT_NONE ? 0 : above[j] == UNIT_LOOPED ?
		    UNIT_LOOPED : above[j] + 1;
		if (j != UNIT_NONE && state[j] == ON_PATH) {
			for (k = 0; path[k] != j; k++)
				;
			rules_units_report_loop(r, path + k, n - k);
			for (; n > k; n--) {
				state[path[n - 1]] = DONE;
				above[path[n - 1]] = UNIT_LOOPED;
			}
			up = UNIT_LOOPED;	/* below a loop: said once */
		}
		for (; n > 0; n--) {
			j = path[n - 1];
			state[j] = DONE;
			above[j] = up;
			if (up == RULES_UNIT_DEPTH_MAX + 1)
				rules_problems_add(r->problems, "%s: unit "
				    "\"%s\": more than %d units above it: "
				    "a chain of parents this long is a "
				    "mistake", r->units[j]->where,
				    r->units[j]->id, RULES_UNIT_DEPTH_MAX);
			if (up != UNIT_LOOPED)
				up++;
		}
	}
	free(path);
	free(above);
	free(state);
}

/*
 * A unit's parent and bindings.  The nearest id to an unknown parent is
 * looked for *guesses times at most: each look reads every id, and a file
 * whose parents are all wrong would cost their number squared.
 */
static void
rules_units_check_one(struct rules *r, size_t i, const char **ids,
    size_t *guesses)
{
	const struct unit	*u = r->units[i];
	struct rules_key	 path[2] = { { "parent", 0 }, { NULL, 0 } };
	char			 at[600], near[256];
	size_t			 j;

	if (u->parent != NULL && rules_unit_find(r, u->parent) == NULL) {
		near[0] = '\0';
		if (*guesses > 0) {
			(*guesses)--;
			names_suggest(u->parent, ids, r->nunits, near,
			    sizeof(near));
		}
		rules_problems_add(r->problems, "%s: unit \"%s\": unknown "
		    "parent \"%s\"%s", rules_where(r, u->where, "unit", u->id,
		    path, 1, at, sizeof(at)), u->id, u->parent, near);
	}
	path[0].name = "roles";
	for (j = 0; j < u->role_keys.n; j++) {
		if (rules_target_known(r, u->role_targets.v[j]))
			continue;
		path[1].name = u->role_keys.v[j];
		rules_problems_add(r->problems, "%s: unit \"%s\": role "
		    "\"%s\": unknown person, group or roster \"%s\"%s",
		    rules_where(r, u->where, "unit", u->id, path, 2, at,
		    sizeof(at)), u->id, u->role_keys.v[j],
		    u->role_targets.v[j], rules_target_suggest(r,
		    u->role_targets.v[j], near, sizeof(near)));
	}
}

/*
 * Index the units by id, then check them: an id twice (in the site, a
 * CSV, or one of each), an unknown parent, a loop, a binding to nobody.
 */
void
rules_units_check(struct rules *r)
{
	const char	**ids;
	size_t		 *tmp, i, guesses = RULES_UNIT_GUESSES;

	if (r->nunits == 0)
		return;
	r->unit_order = xcalloc(r->nunits, sizeof(*r->unit_order));
	tmp = xcalloc(r->nunits, sizeof(*tmp));
	ids = xcalloc(r->nunits, sizeof(*ids));
	for (i = 0; i < r->nunits; i++) {
		r->unit_order[i] = i;
		ids[i] = r->units[i]->id;
	}
	rules_units_sort(r, r->unit_order, tmp, r->nunits);
	for (i = 1; i < r->nunits; i++) {
		const struct unit *a = r->units[r->unit_order[i - 1]],
		    *b = r->units[r->unit_order[i]];

		if (strcmp(a->id, b->id) == 0)
			rules_problems_add(r->problems, "%s: unit \"%s\" is "
			    "already declared at %s", b->where, b->id,
			    a->where);
	}
	for (i = 0; i < r->nunits; i++)
		rules_units_check_one(r, i, ids, &guesses);
	rules_units_check_depth(r);
	free(ids);
	free(tmp);
}
