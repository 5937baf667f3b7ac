/*
 * Where in a rule file a key is: the line a problem with a declaration's
 * key is reported at, rather than the line the declaration starts on.
 *
 * Lua keeps no line for the keys of a table constructor: the table a
 * declaration receives is plain data.  Of the ways to find one, a scan of
 * the file's text is the one that needs nothing from Lua's internals and
 * costs nothing when a rule set is valid: the texts are kept while the set
 * loads (sandbox_keep_sources) and scanned only when there is a problem
 * to report.  (Line hooks see the line of a field's store instruction,
 * which is the line its value ends on, and only while the constructor
 * runs; the parser's own structures are not public.)
 *
 * The scan is a Lua tokenizer, so strings, long strings and comments that
 * hold a key's name are not taken for it, and a walk of table
 * constructors: from the declaration `kind "name" {` on its line, each
 * step of the key's path is looked for among the fields of the current
 * constructor only (NAME =, ["name"] =, [n] =, or the nth item), so the
 * same key in a nested table is not taken for it; where Lua would keep
 * the last of a key given twice, so does the walk.  Whenever the text is
 * not the plain form -- a declaration made in a loop or a helper
 * function, a body or a value that is a variable or a call, a key
 * computed -- the walk stops and the problem is reported at the last line
 * it was sure of: the enclosing key's, or the declaration's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules-int.h"
#include "sandbox.h"

enum { TK_EOF, TK_NAME, TK_STRING, TK_NUMBER, TK_OTHER };

struct lex {
	const char	*p, *end;
	int		 line;
	int		 type;
	int		 c;	/* TK_OTHER: the character, 0 for two */
	const char	*s;	/* a name's or number's text, a string's */
	size_t		 n;
	int		 plain;	/* a string without escapes: s is its value */
	int		 tline;	/* the line the token starts on */
};

/* The level of a long bracket [==[ at p, or -1. */
static int
lex_long_level(const char *p, const char *end)
{
	int	level = 0;

	if (p >= end || *p != '[')
		return (-1);
	for (p++; p < end && *p == '='; p++)
		level++;
	return (p < end && *p == '[' ? level : -1);
}

/* Past a long bracket of level at l->p to its close; 0, or -1 at EOF. */
static int
lex_long_skip(struct lex *l, int level)
{
	const char	*q;
	int		 i;

	l->p += level + 2;
	if (l->p < l->end && *l->p == '\r')
		l->p++;
	if (l->p < l->end && *l->p == '\n') {
		l->p++;
		l->line++;
	}
	l->s = l->p;
	for (; l->p < l->end; l->p++) {
		if (*l->p == '\n')
			l->line++;
		if (*l->p != ']')
			continue;
		for (q = l->p + 1, i = 0; q < l->end && *q == '='; q++)
			i++;
		if (i == level && q < l->end && *q == ']') {
			l->n = (size_t)(l->p - l->s);
			l->p = q + 1;
			return (0);
		}
	}
	return (-1);
}

/* Whitespace and comments, counting lines. */
static void
lex_space(struct lex *l)
{
	int	level;

	while (l->p < l->end) {
		if (*l->p == '\n') {
			l->line++;
			l->p++;
		} else if (*l->p == ' ' || *l->p == '\t' || *l->p == '\r' ||
		    *l->p == '\f' || *l->p == '\v')
			l->p++;
		else if (l->end - l->p >= 2 && l->p[0] == '-' &&
		    l->p[1] == '-') {
			l->p += 2;
			if ((level = lex_long_level(l->p, l->end)) >= 0) {
				if (lex_long_skip(l, level) != 0)
					l->p = l->end;
			} else {
				while (l->p < l->end && *l->p != '\n')
					l->p++;
			}
		} else
			break;
	}
}

static int
lex_is_name(int c, int first)
{
	return (c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (!first && c >= '0' && c <= '9'));
}

/* A short string from its quote; TK_EOF when it does not end. */
static void
lex_string(struct lex *l)
{
	char	q = *l->p++;

	l->type = TK_EOF;
	l->plain = 1;
	l->s = l->p;
	for (; l->p < l->end && *l->p != q; l->p++) {
		if (*l->p == '\n')
			return;
		if (*l->p != '\\')
			continue;
		l->plain = 0;
		if (++l->p >= l->end)
			return;
		if (*l->p == '\n')
			l->line++;
		else if (*l->p == 'z') {
			while (l->p + 1 < l->end && (l->p[1] == ' ' ||
			    l->p[1] == '\t' || l->p[1] == '\r' ||
			    l->p[1] == '\n')) {
				if (*++l->p == '\n')
					l->line++;
			}
		}
	}
	if (l->p >= l->end)
		return;
	l->n = (size_t)(l->p++ - l->s);
	l->type = TK_STRING;
}

static void
lex_number(struct lex *l)
{
	const char	*expo = "Ee";

	l->s = l->p;
	if (l->end - l->p >= 2 && l->p[0] == '0' && (l->p[1] == 'x' ||
	    l->p[1] == 'X'))
		expo = "Pp";
	while (l->p < l->end && (lex_is_name(*l->p, 0) || *l->p == '.' ||
	    ((*l->p == '+' || *l->p == '-') && strchr(expo, l->p[-1]) !=
	    NULL)))
		l->p++;
	l->n = (size_t)(l->p - l->s);
	l->type = TK_NUMBER;
}

static void
lex_next(struct lex *l)
{
	int	level;

	lex_space(l);
	l->tline = l->line;
	l->c = 0;
	if (l->p >= l->end) {
		l->type = TK_EOF;
		return;
	}
	if (lex_is_name(*l->p, 1)) {
		l->s = l->p;
		while (l->p < l->end && lex_is_name(*l->p, 0))
			l->p++;
		l->n = (size_t)(l->p - l->s);
		l->type = TK_NAME;
	} else if (*l->p == '"' || *l->p == '\'')
		lex_string(l);
	else if ((level = lex_long_level(l->p, l->end)) >= 0) {
		l->plain = 1;
		l->type = lex_long_skip(l, level) == 0 ? TK_STRING : TK_EOF;
	} else if ((*l->p >= '0' && *l->p <= '9') || (*l->p == '.' &&
	    l->end - l->p >= 2 && l->p[1] >= '0' && l->p[1] <= '9'))
		lex_number(l);
	else {
		/* ==, <=, >=, ~= are not the = of a field. */
		l->type = TK_OTHER;
		l->c = *l->p++;
		if (strchr("=<>~", l->c) != NULL && l->p < l->end &&
		    *l->p == '=') {
			l->p++;
			l->c = 0;
		}
	}
}

static int
lex_is(const struct lex *l, int c)
{
	return (l->type == TK_OTHER && l->c == c);
}

static int
lex_text_is(const struct lex *l, int type, const char *s)
{
	return (l->type == type && (type != TK_STRING || l->plain) &&
	    strlen(s) == l->n && memcmp(l->s, s, l->n) == 0);
}

/* A number token that is an integer key, as Lua would read it. */
static int
lex_integer(const struct lex *l, long long *v)
{
	char	buf[32], *end;

	if (l->type != TK_NUMBER || l->n >= sizeof(buf))
		return (-1);
	memcpy(buf, l->s, l->n);
	buf[l->n] = '\0';
	*v = strtoll(buf, &end, strncmp(buf, "0x", 2) == 0 ||
	    strncmp(buf, "0X", 2) == 0 ? 16 : 10);
	return (*end == '\0' ? 0 : -1);
}

/*
 * At the token after kind: is this `"name" {`, `("name") {`, `"name" ({`
 * (or, without a name, `{` or `({`)?  If so, l is left at the brace.
 */
static int
where_decl_body(struct lex *l, const char *name)
{
	int	paren;

	if (name != NULL) {
		paren = lex_is(l, '(');
		if (paren)
			lex_next(l);
		if (!lex_text_is(l, TK_STRING, name))
			return (0);
		lex_next(l);
		if (paren) {
			if (!lex_is(l, ')'))
				return (0);
			lex_next(l);
		}
	}
	if (lex_is(l, '('))
		lex_next(l);
	return (lex_is(l, '{'));
}

/* Move l to the brace of the first `kind "name" {` on line; 0 or -1. */
static int
where_decl_find(struct lex *l, int line, const char *kind, const char *name)
{
	struct lex	at;

	for (lex_next(l); l->type != TK_EOF && l->tline <= line;
	    lex_next(l)) {
		if (l->tline != line || !lex_text_is(l, TK_NAME, kind))
			continue;
		at = *l;
		lex_next(&at);
		if (where_decl_body(&at, name)) {
			*l = at;
			return (0);
		}
	}
	return (-1);
}

/*
 * Past one expression, to the , ; or } that ends it at this level; 1 when
 * the expression is a table constructor alone (not {...}.x, nor a call).
 */
static int
where_skip_value(struct lex *l)
{
	int	depth = 0, table = lex_is(l, '{'), closed = 0;

	for (; l->type != TK_EOF; lex_next(l)) {
		if (depth == 0 && (lex_is(l, ',') || lex_is(l, ';') ||
		    lex_is(l, '}')))
			break;
		if (closed)
			table = 0;
		if (lex_is(l, '(') || lex_is(l, '{') || lex_is(l, '['))
			depth++;
		else if ((lex_is(l, ')') || lex_is(l, '}') || lex_is(l, ']'))
		    && --depth == 0)
			closed = 1;
	}
	return (table);
}

/* At a [: past `[key] =`; is key, a single token, k?  -1: not a field. */
static int
where_bracket_key(struct lex *l, const struct rules_key *k)
{
	struct lex	key;
	long long	v;
	int		depth, n = 0, match = 0;

	lex_next(l);
	key = *l;
	for (depth = 1; ; n++, lex_next(l)) {
		if (l->type == TK_EOF)
			return (-1);
		if (lex_is(l, '['))
			depth++;
		else if (lex_is(l, ']') && --depth == 0)
			break;
	}
	if (n == 1)
		match = k->name != NULL ? lex_text_is(&key, TK_STRING,
		    k->name) : lex_integer(&key, &v) == 0 && v == k->index;
	lex_next(l);
	if (!lex_is(l, '='))
		return (-1);
	lex_next(l);
	return (match);
}

/*
 * The field of the constructor at l (its brace) whose key is k: its line
 * and, when its value is a constructor alone, that brace in *value.  The
 * last such field counts, as in Lua.  0 when found, else -1.
 */
static int
where_field(struct lex *l, const struct rules_key *k, int *line,
    struct lex *value, int *table)
{
	struct lex	 start;
	long long	 item = 0;
	int		 found = 0, match, fline, t;

	for (lex_next(l); l->type != TK_EOF && !lex_is(l, '}'); ) {
		fline = l->tline;
		start = *l;
		lex_next(&start);
		if (l->type == TK_NAME && lex_is(&start, '=')) {
			match = k->name != NULL && lex_text_is(l, TK_NAME,
			    k->name);
			lex_next(&start);
			*l = start;
		} else if (lex_is(l, '[')) {
			if ((match = where_bracket_key(l, k)) < 0)
				return (-1);
		} else
			match = k->name == NULL && ++item == k->index;
		start = *l;
		t = where_skip_value(l);
		if (match) {
			*line = fline;
			*value = start;
			*table = t;
			found = 1;
		}
		if (lex_is(l, ',') || lex_is(l, ';'))
			lex_next(l);
		else if (!lex_is(l, '}'))
			return (-1);
	}
	return (found && l->type != TK_EOF ? 0 : -1);
}

/*
 * The line of the key at path inside the declaration `kind "name" {`
 * that starts on line of text (name NULL: `kind {`), as far as the text
 * shows it; line itself when it does not.
 */
int
rules_where_line(const char *text, size_t len, int line, const char *kind,
    const char *name, const struct rules_key *path, size_t depth)
{
	struct lex	l, value;
	size_t		i;
	int		found = line, at = line, table = 0;

	memset(&l, 0, sizeof(l));
	l.p = text;
	l.end = text + len;
	l.line = 1;
	if (l.p < l.end && *l.p == '#') {	/* Lua skips a #! line */
		while (l.p < l.end && *l.p != '\n')
			l.p++;
	}
	if (where_decl_find(&l, line, kind, name) != 0)
		return (line);
	for (i = 0; i < depth; i++) {
		if (where_field(&l, &path[i], &at, &value, &table) != 0)
			break;
		found = at;
		if (!table)
			break;
		l = value;
	}
	return (found);
}

/*
 * The same for key, a key of the declaration's table itself: for checks
 * made outside the rules (channel options).
 */
const char *
rules_key_where(const struct rules *r, const char *where, const char *kind,
    const char *name, const char *key, char *buf, size_t len)
{
	struct rules_key	k = { key, 0 };

	return (rules_where(r, where, kind, name, &k, 1, buf, len));
}

/*
 * where, a declaration's "file:line", moved to the line of the key at
 * path (rules_where_line) when the file's text is at hand; in buf.
 */
const char *
rules_where(const struct rules *r, const char *where, const char *kind,
    const char *name, const struct rules_key *path, size_t depth, char *buf,
    size_t len)
{
	const char	*colon, *text;
	char		 file[512], *end;
	size_t		 tlen;
	long		 line;

	snprintf(buf, len, "%s", where);
	if (depth == 0 || r->sandbox == NULL ||
	    (colon = strrchr(where, ':')) == NULL ||
	    (size_t)(colon - where) >= sizeof(file))
		return (buf);
	line = strtol(colon + 1, &end, 10);
	if (*end != '\0' || line <= 0 || line > 1 << 30)
		return (buf);
	snprintf(file, sizeof(file), "%.*s", (int)(colon - where), where);
	if ((text = sandbox_source(r->sandbox, file, &tlen)) == NULL)
		return (buf);
	snprintf(buf, len, "%s:%d", file, rules_where_line(text, tlen,
	    (int)line, kind, name, path, depth));
	return (buf);
}
