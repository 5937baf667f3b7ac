/*
 * tocsinctl migrate: an embedded database moved into PostgreSQL and
 * checked row for row (SPEC §9).
 *
 * The file is never written.  It is copied, with SQLite's backup API
 * from a read-only connection, into a private temporary database, and
 * that copy is brought up to this tocsin's schema with the migrations
 * tocsind would run (store-schema.c).  The target must be empty (no
 * table with a row in it); its schema is made at the same version by
 * PostgreSQL's own migrations (store-pg-schema.c), so that both sides
 * have the tables a running tocsind expects.
 *
 * Tables are not listed here: they are read from the copy's schema
 * (sqlite_master, pragma_table_info), so a schema version added later
 * is copied alike.  Each table goes over with COPY, in an order that
 * puts a referenced table before the tables that reference it, all in
 * one transaction: a failed copy leaves the target as empty as it was.
 * A PostgreSQL identity column SQLite lacks (incidents.seq) is SQLite's
 * rowid, which it stands for; each identity's sequence is then set past
 * the highest id copied, and past what sqlite_sequence says was ever
 * handed out, so that ids are never reused.  Rows are only inserted, so
 * the timeline's append-only trigger has nothing to say.
 *
 * After the commit every table is read back from PostgreSQL and
 * compared with what was copied: the count, and a digest that is the
 * sum (mod 2^256) of the SHA-256 of each row in a canonical form (each
 * value as text, length-prefixed, NULL apart), which does not depend on
 * the order rows come back in -- PostgreSQL sorts text by its collation,
 * SQLite by bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "clock.h"
#include "store-migrate.h"
#include "store-pg.h"
#include "store-schema.h"
#include "tocsin.h"
#include "xmalloc.h"

#define STORE_MIGRATE_SUM	32	/* SHA-256's size */
#define STORE_MIGRATE_BUFFER	(256 * 1024)	/* COPY data per message */

/* A column of a table: PostgreSQL's name and the SQLite expression. */
struct store_migrate_col {
	char	*name;
	char	*pg;		/* quoted */
	char	*lite;		/* a quoted column, or rowid */
	int	 identity;
};

/* What is known of a table while it is copied. */
struct store_migrate_plan {
	struct store_migrate_table	*t;
	char				*quoted;
	struct store_migrate_col	*cols;
	size_t				 ncols;
	int64_t				 floor;	/* sqlite_sequence's */
	unsigned char			 sum[STORE_MIGRATE_SUM];
	unsigned char			 sum_pg[STORE_MIGRATE_SUM];
};

struct store_migrate {
	sqlite3			*lite;
	PGconn			*pg;
	EVP_MD_CTX		*md;
	struct store_migrate_plan *plans;
	size_t			 nplans;
	char			*buf;	/* COPY data not yet sent */
	size_t			 len;
	char			**cause;
};

/* name in double quotes, inner quotes doubled: the same for both. */
static char *
store_migrate_quote(const char *name)
{
	char	*q = xmalloc(2 * strlen(name) + 3), *p = q;

	*p++ = '"';
	for (; *name != '\0'; name++) {
		if (*name == '"')
			*p++ = '"';
		*p++ = *name;
	}
	*p++ = '"';
	*p = '\0';
	return (q);
}

/*
 * Add one row's hash to sum: values as text (NULL when vals[i] is), each
 * length-prefixed so that ("ab", "c") and ("a", "bc") differ.
 */
static void
store_migrate_row(EVP_MD_CTX *md, unsigned char *sum,
    const char *const *vals, const int *lens, size_t n)
{
	unsigned char	 h[EVP_MAX_MD_SIZE], len[9];
	unsigned int	 hlen, carry = 0;
	size_t		 i;
	int		 b;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (i = 0; i < n; i++) {
		if (vals[i] == NULL) {
			EVP_DigestUpdate(md, "N", 1);
			continue;
		}
		len[0] = 'V';
		for (b = 0; b < 8; b++)
			len[1 + b] = (unsigned char)((uint64_t)lens[i] >>
			    (56 - 8 * b));
		EVP_DigestUpdate(md, len, sizeof(len));
		EVP_DigestUpdate(md, vals[i], (size_t)lens[i]);
	}
	EVP_DigestFinal_ex(md, h, &hlen);
	for (b = STORE_MIGRATE_SUM - 1; b >= 0; b--) {
		carry += (unsigned int)sum[b] + h[b];
		sum[b] = (unsigned char)carry;
		carry >>= 8;
	}
}

static void
store_migrate_hex(const unsigned char *sum, char *out)
{
	size_t	i;

	for (i = 0; i < STORE_MIGRATE_SUM; i++)
		snprintf(out + 2 * i, 3, "%02x", sum[i]);
}

/* A PostgreSQL result that is not what was wanted: *cause, -1. */
static int
store_migrate_pg_failed(struct store_migrate *m, PGresult *res,
    const char *what)
{
	const char	*err = res != NULL && PQresultErrorMessage(res)[0] !=
			    '\0' ? PQresultErrorMessage(res) :
			    PQerrorMessage(m->pg);

	xasprintf(m->cause, "%s: %.*s", what, (int)strcspn(err, "\n"), err);
	PQclear(res);
	return (-1);
}

/* Run sql with text parameters; the result, or NULL with *cause set. */
static PGresult *
store_migrate_pg(struct store_migrate *m, const char *sql, int n,
    const char *const *params, const char *what)
{
	PGresult	*res;

	/* Several statements in one go are PQexec's only. */
	res = n == 0 ? PQexec(m->pg, sql) : PQexecParams(m->pg, sql, n, NULL,
	    params, NULL, NULL, 0);

	if (res == NULL || (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)) {
		store_migrate_pg_failed(m, res, what);
		return (NULL);
	}
	return (res);
}

/*
 * Is the file's database written by a tocsind now?  Its lock is only
 * looked at (F_OFD_GETLK), and made by no one here.
 */
static int
store_migrate_in_use(const char *src, char **cause)
{
	struct flock	 fl;
	char		*lock;
	int		 fd, busy = 0;

	xasprintf(&lock, "%s.lock", src);
	if ((fd = open(lock, O_RDONLY | O_CLOEXEC)) != -1) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) {
			xasprintf(cause, "%s is in use by a running tocsind; "
			    "stop it first, so that nothing it stores after "
			    "the copy is left behind", src);
			busy = 1;
		}
		close(fd);
	}
	free(lock);
	return (busy);
}

/* The private copy of src, at this tocsin's schema; NULL with *cause. */
static sqlite3 *
store_migrate_open_copy(const char *src, int *from_version, char **cause)
{
	sqlite3		*from = NULL, *copy = NULL;
	sqlite3_backup	*b;
	sqlite3_stmt	*st = NULL;
	int		 rc;

	if (access(src, R_OK) != 0) {
		xasprintf(cause, "%s: %s", src, strerror(errno));
		return (NULL);
	}
	if (store_migrate_in_use(src, cause))
		return (NULL);
	/* "": a temporary database of SQLite's, deleted when closed. */
	if (sqlite3_open_v2(src, &from, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK || sqlite3_open_v2("", &copy, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		xasprintf(cause, "%s: %s", src, sqlite3_errmsg(copy != NULL ?
		    copy : from));
		goto fail;
	}
	sqlite3_busy_timeout(from, 5000);
	if ((b = sqlite3_backup_init(copy, "main", from, "main")) == NULL) {
		xasprintf(cause, "copying %s: %s", src, sqlite3_errmsg(copy));
		goto fail;
	}
	rc = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		xasprintf(cause, "copying %s: %s", src, sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_close(from);
	from = NULL;
	if (sqlite3_prepare_v2(copy, "SELECT (SELECT user_version FROM "
	    "pragma_user_version), (SELECT count(*) FROM sqlite_master)", -1,
	    &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		xasprintf(cause, "%s: %s", src, sqlite3_errmsg(copy));
		goto fail;
	}
	*from_version = sqlite3_column_int(st, 0);
	if (*from_version == 0 || sqlite3_column_int(st, 1) == 0) {
		xasprintf(cause, "%s is not a tocsin database (no schema "
		    "version)", src);
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (store_schema_migrate(copy, cause) != 0)
		goto fail;
	return (copy);
fail:
	sqlite3_finalize(st);
	sqlite3_close(from);
	sqlite3_close(copy);
	return (NULL);
}

/* The tables of the current schema, one a row. */
#define STORE_MIGRATE_PG_TABLES \
	"SELECT c.relname FROM pg_class c WHERE c.relnamespace = " \
	"current_schema()::regnamespace AND c.relkind IN ('r', 'p') " \
	"ORDER BY 1"

/* Refuse a target with a row in any table (the schema alone is fine). */
static int
store_migrate_pg_empty(struct store_migrate *m)
{
	PGresult	*res, *rows;
	const char	*name;
	char		*q, *sql;
	int		 i, full = 0;

	if ((res = store_migrate_pg(m, STORE_MIGRATE_PG_TABLES, 0, NULL,
	    "listing the target's tables")) == NULL)
		return (-1);
	for (i = 0; i < PQntuples(res) && !full; i++) {
		name = PQgetvalue(res, i, 0);
		if (strcmp(name, "tocsin_schema") == 0)
			continue;
		q = store_migrate_quote(name);
		xasprintf(&sql, "SELECT EXISTS (SELECT 1 FROM %s)", q);
		free(q);
		rows = store_migrate_pg(m, sql, 0, NULL, "reading the target");
		free(sql);
		if (rows == NULL) {
			PQclear(res);
			return (-1);
		}
		if (strcmp(PQgetvalue(rows, 0, 0), "t") == 0) {
			xasprintf(m->cause, "the target is not empty (table %s "
			    "has rows); migrate copies into an empty database "
			    "only", name);
			full = 1;
		}
		PQclear(rows);
	}
	PQclear(res);
	return (full ? -1 : 0);
}

/* Does the copy's table name reference a table not yet planned? */
static int
store_migrate_waits(struct store_migrate *m, const char *name, size_t done)
{
	sqlite3_stmt	*st;
	const char	*ref;
	size_t		 i;
	int		 waits = 0;

	if (sqlite3_prepare_v2(m->lite, "SELECT DISTINCT \"table\" FROM "
	    "pragma_foreign_key_list(?1)", -1, &st, NULL) != SQLITE_OK)
		return (0);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while (!waits && sqlite3_step(st) == SQLITE_ROW) {
		ref = (const char *)sqlite3_column_text(st, 0);
		if (ref == NULL || strcmp(ref, name) == 0)
			continue;
		waits = 1;
		for (i = 0; i < done; i++) {
			if (strcmp(m->plans[i].t->name, ref) == 0)
				waits = 0;
		}
	}
	sqlite3_finalize(st);
	return (waits);
}

/*
 * The copy's tables in an order that copies a referenced table first
 * (a cycle, which tocsin's schema has not, is refused).
 */
static int
store_migrate_order(struct store_migrate *m, struct store_migrate_result *res)
{
	sqlite3_stmt	*st;
	char		**names = NULL;
	size_t		 n = 0, i, done = 0, before;

	if (sqlite3_prepare_v2(m->lite, "SELECT name FROM sqlite_master WHERE "
	    "type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
	    "ORDER BY name", -1, &st, NULL) != SQLITE_OK) {
		xasprintf(m->cause, "listing tables: %s",
		    sqlite3_errmsg(m->lite));
		return (-1);
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	res->tables = xcalloc(n, sizeof(*res->tables));
	m->plans = xcalloc(n, sizeof(*m->plans));
	while (done < n) {
		before = done;
		for (i = 0; i < n; i++) {
			if (names[i] == NULL ||
			    store_migrate_waits(m, names[i], done))
				continue;
			m->plans[done].t = &res->tables[done];
			res->tables[done].name = names[i];
			names[i] = NULL;
			done++;
		}
		if (done == before) {
			xasprintf(m->cause, "the tables' references go round "
			    "in a circle; not a schema of tocsin's");
			break;
		}
	}
	res->ntables = m->nplans = done;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return (done == n ? 0 : -1);
}

/* Is column name one of the copy's table's? */
static int
store_migrate_lite_has(struct store_migrate *m, const char *table,
    const char *column)
{
	sqlite3_stmt	*st;
	int		 has = 0;

	if (sqlite3_prepare_v2(m->lite, "SELECT 1 FROM pragma_table_info(?1) "
	    "WHERE name = ?2", -1, &st, NULL) != SQLITE_OK)
		return (0);
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
	has = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return (has);
}

/* SQLite's columns the target lacks: *cause, -1. */
static int
store_migrate_lite_extra(struct store_migrate *m, struct store_migrate_plan *p)
{
	sqlite3_stmt	*st;
	char		*q;
	size_t		 i;
	int		 found, rc = 0;

	if (sqlite3_prepare_v2(m->lite, "SELECT name FROM pragma_table_info(?1)",
	    -1, &st, NULL) != SQLITE_OK)
		return (-1);
	sqlite3_bind_text(st, 1, p->t->name, -1, SQLITE_STATIC);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		q = store_migrate_quote((const char *)sqlite3_column_text(st,
		    0));
		for (found = 0, i = 0; i < p->ncols; i++)
			found |= strcmp(p->cols[i].lite, q) == 0;
		if (!found) {
			xasprintf(m->cause, "column %s.%s is not in the "
			    "target's schema", p->t->name,
			    sqlite3_column_text(st, 0));
			rc = -1;
		}
		free(q);
	}
	sqlite3_finalize(st);
	return (rc);
}

/*
 * The columns of one table, paired: every column of the target's table
 * that SQLite has, and an identity that it lacks as SQLite's rowid.
 */
static int
store_migrate_columns(struct store_migrate *m, struct store_migrate_plan *p)
{
	sqlite3_stmt	*st;
	PGresult	*res;
	const char	*name, *params[1];
	int		 i, identity;

	p->quoted = store_migrate_quote(p->t->name);
	params[0] = p->quoted;
	if ((res = store_migrate_pg(m, "SELECT attname, attidentity <> '' "
	    "FROM pg_attribute WHERE attrelid = to_regclass($1) AND "
	    "attnum > 0 AND NOT attisdropped ORDER BY attnum", 1, params,
	    "reading the target's columns")) == NULL)
		return (-1);
	if (PQntuples(res) == 0) {
		xasprintf(m->cause, "table %s is not in the target's schema",
		    p->t->name);
		PQclear(res);
		return (-1);
	}
	p->cols = xcalloc((size_t)PQntuples(res), sizeof(*p->cols));
	for (i = 0; i < PQntuples(res); i++) {
		name = PQgetvalue(res, i, 0);
		identity = strcmp(PQgetvalue(res, i, 1), "t") == 0;
		if (store_migrate_lite_has(m, p->t->name, name))
			p->cols[p->ncols].lite = store_migrate_quote(name);
		else if (identity)
			p->cols[p->ncols].lite = xstrdup("rowid");
		else
			continue;	/* the target's default */
		p->cols[p->ncols].name = xstrdup(name);
		p->cols[p->ncols].pg = store_migrate_quote(name);
		p->cols[p->ncols++].identity = identity;
	}
	PQclear(res);
	if (store_migrate_lite_extra(m, p) != 0)
		return (-1);
	if (sqlite3_prepare_v2(m->lite, "SELECT seq FROM sqlite_sequence "
	    "WHERE name = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, p->t->name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			p->floor = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return (0);
}

/* The tables the target has that the copy has not: *cause, -1. */
static int
store_migrate_pg_extra(struct store_migrate *m)
{
	PGresult	*res;
	const char	*name;
	size_t		 j;
	int		 i, found, rc = 0;

	if ((res = store_migrate_pg(m, STORE_MIGRATE_PG_TABLES, 0, NULL,
	    "listing the target's tables")) == NULL)
		return (-1);
	for (i = 0; i < PQntuples(res) && rc == 0; i++) {
		name = PQgetvalue(res, i, 0);
		for (found = 0, j = 0; j < m->nplans; j++)
			found |= strcmp(m->plans[j].t->name, name) == 0;
		if (!found && strcmp(name, "tocsin_schema") != 0) {
			xasprintf(m->cause, "the target has a table %s the "
			    "file has not", name);
			rc = -1;
		}
	}
	PQclear(res);
	return (rc);
}

/* A list of the plan's columns, as one side names them. */
static char *
store_migrate_list(struct store_migrate_plan *p, int pg)
{
	size_t	 i, len = 1;
	char	*s;

	for (i = 0; i < p->ncols; i++)
		len += strlen(pg ? p->cols[i].pg : p->cols[i].lite) + 2;
	s = xcalloc(1, len);
	for (i = 0; i < p->ncols; i++) {
		if (i > 0)
			strcat(s, ", ");
		strcat(s, pg ? p->cols[i].pg : p->cols[i].lite);
	}
	return (s);
}

static int
store_migrate_flush(struct store_migrate *m)
{
	if (m->len > 0 && PQputCopyData(m->pg, m->buf, (int)m->len) != 1) {
		xasprintf(m->cause, "sending rows: %s", PQerrorMessage(m->pg));
		return (-1);
	}
	m->len = 0;
	return (0);
}

/* One value in COPY's text format: \N for NULL, the rest escaped. */
static void
store_migrate_put(struct store_migrate *m, const char *v, int len, int last)
{
	int	i;

	if (v == NULL) {
		memcpy(m->buf + m->len, "\\N", 2);
		m->len += 2;
	}
	for (i = 0; v != NULL && i < len; i++) {
		switch (v[i]) {
		case '\\': m->buf[m->len++] = '\\'; m->buf[m->len++] = '\\';
			break;
		case '\n': m->buf[m->len++] = '\\'; m->buf[m->len++] = 'n';
			break;
		case '\r': m->buf[m->len++] = '\\'; m->buf[m->len++] = 'r';
			break;
		case '\t': m->buf[m->len++] = '\\'; m->buf[m->len++] = 't';
			break;
		default: m->buf[m->len++] = v[i];
		}
	}
	m->buf[m->len++] = last ? '\n' : '\t';
}

/* Send one row of st, and add it to the table's digest. */
static int
store_migrate_copy_row(struct store_migrate *m, struct store_migrate_plan *p,
    sqlite3_stmt *st)
{
	const char	*vals[p->ncols];
	int		 lens[p->ncols];
	size_t		 i, need = 1;

	for (i = 0; i < p->ncols; i++) {
		if (sqlite3_column_type(st, (int)i) == SQLITE_BLOB) {
			xasprintf(m->cause, "%s: a binary value, which tocsin "
			    "never stores", p->t->name);
			return (-1);
		}
		vals[i] = sqlite3_column_type(st, (int)i) == SQLITE_NULL ?
		    NULL : (const char *)sqlite3_column_text(st, (int)i);
		lens[i] = sqlite3_column_bytes(st, (int)i);
		need += 2 * (size_t)lens[i] + 3;
	}
	if (m->len + need > STORE_MIGRATE_BUFFER &&
	    store_migrate_flush(m) != 0)
		return (-1);
	if (need > STORE_MIGRATE_BUFFER)
		m->buf = xreallocarray(m->buf, need, 1);
	for (i = 0; i < p->ncols; i++)
		store_migrate_put(m, vals[i], lens[i], i + 1 == p->ncols);
	store_migrate_row(m->md, p->sum, vals, lens, p->ncols);
	p->t->rows++;
	return (0);
}

/* COPY one table's rows from the copy into the target. */
static int
store_migrate_copy(struct store_migrate *m, struct store_migrate_plan *p)
{
	sqlite3_stmt	*st = NULL;
	PGresult	*res;
	char		*pgcols, *litecols, *sql;
	int		 rc = -1, step = SQLITE_DONE;

	pgcols = store_migrate_list(p, 1);
	litecols = store_migrate_list(p, 0);
	xasprintf(&sql, "COPY %s (%s) FROM STDIN", p->quoted, pgcols);
	res = PQexec(m->pg, sql);
	free(sql);
	if (res == NULL || PQresultStatus(res) != PGRES_COPY_IN) {
		store_migrate_pg_failed(m, res, p->t->name);
		goto out;
	}
	PQclear(res);
	xasprintf(&sql, "SELECT %s FROM %s", litecols, p->quoted);
	if (sqlite3_prepare_v2(m->lite, sql, -1, &st, NULL) != SQLITE_OK)
		xasprintf(m->cause, "%s: %s", p->t->name,
		    sqlite3_errmsg(m->lite));
	free(sql);
	while (st != NULL && (step = sqlite3_step(st)) == SQLITE_ROW &&
	    store_migrate_copy_row(m, p, st) == 0)
		;
	if (st != NULL && step != SQLITE_DONE && *m->cause == NULL)
		xasprintf(m->cause, "%s: %s", p->t->name,
		    sqlite3_errmsg(m->lite));
	if (*m->cause == NULL)
		store_migrate_flush(m);
	PQputCopyEnd(m->pg, *m->cause != NULL ? "migrate failed" : NULL);
	res = PQgetResult(m->pg);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		if (*m->cause == NULL)
			store_migrate_pg_failed(m, res, p->t->name);
		else
			PQclear(res);
	} else {
		PQclear(res);
		rc = *m->cause == NULL ? 0 : -1;
	}
	while ((res = PQgetResult(m->pg)) != NULL)
		PQclear(res);
	m->len = 0;
out:
	sqlite3_finalize(st);
	free(pgcols);
	free(litecols);
	return (rc);
}

/*
 * Each identity of the table set past the highest id copied and past
 * SQLite's sqlite_sequence, so that a new row takes an id never used.
 */
static int
store_migrate_sequences(struct store_migrate *m, struct store_migrate_plan *p)
{
	PGresult	*res;
	const char	*params[4];
	char		*sql, floor[24], top[24];
	int64_t		 v;
	size_t		 i;

	for (i = 0; i < p->ncols; i++) {
		if (!p->cols[i].identity)
			continue;
		snprintf(floor, sizeof(floor), "%lld", (long long)p->floor);
		params[0] = floor;
		xasprintf(&sql, "SELECT greatest(coalesce(max(%s), 0), "
		    "$1::bigint) FROM %s", p->cols[i].pg, p->quoted);
		res = store_migrate_pg(m, sql, 1, params, p->t->name);
		free(sql);
		if (res == NULL)
			return (-1);
		v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
		snprintf(top, sizeof(top), "%lld", (long long)(v > 0 ? v : 1));
		params[0] = p->quoted;
		params[1] = p->cols[i].name;	/* bare, as it wants */
		params[2] = top;
		params[3] = v > 0 ? "true" : "false";
		res = store_migrate_pg(m, "SELECT setval(pg_get_serial_sequence("
		    "$1, $2), $3::bigint, $4::boolean)", 4, params,
		    "setting the identity's sequence");
		if (res == NULL)
			return (-1);
		PQclear(res);
		p->t->next_id = v + 1;
	}
	return (0);
}

/* Read one table back from the target and digest it as copied. */
static int
store_migrate_verify(struct store_migrate *m, struct store_migrate_plan *p)
{
	PGresult	*res;
	const char	*vals[p->ncols];
	int		 lens[p->ncols];
	char		*cols, *sql;
	size_t		 i;
	int		 ok = 0;

	cols = store_migrate_list(p, 1);
	xasprintf(&sql, "SELECT %s FROM %s", cols, p->quoted);
	free(cols);
	if (!PQsendQuery(m->pg, sql) || !PQsetSingleRowMode(m->pg)) {
		free(sql);
		return (store_migrate_pg_failed(m, NULL, p->t->name));
	}
	free(sql);
	while ((res = PQgetResult(m->pg)) != NULL) {
		if (PQresultStatus(res) == PGRES_SINGLE_TUPLE) {
			for (i = 0; i < p->ncols; i++) {
				vals[i] = PQgetisnull(res, 0, (int)i) ? NULL :
				    PQgetvalue(res, 0, (int)i);
				lens[i] = PQgetlength(res, 0, (int)i);
			}
			store_migrate_row(m->md, p->sum_pg, vals, lens,
			    p->ncols);
			p->t->rows_pg++;
		} else if (PQresultStatus(res) == PGRES_TUPLES_OK)
			ok = 1;
		else if (*m->cause == NULL)
			xasprintf(m->cause, "reading %s back: %.*s", p->t->name,
			    (int)strcspn(PQresultErrorMessage(res), "\n"),
			    PQresultErrorMessage(res));
		PQclear(res);
	}
	store_migrate_hex(p->sum, p->t->digest);
	store_migrate_hex(p->sum_pg, p->t->digest_pg);
	return (ok ? 0 : -1);
}

/* The target's schema at the copy's version, or *cause. */
static int
store_migrate_pg_schema(struct store_migrate *m, int version)
{
	PGresult	*res;
	int		 have;

	if (store_pg_schema_migrate(m->pg, version, m->cause) != 0)
		return (-1);
	if ((res = store_migrate_pg(m, "SELECT coalesce(max(version), 0) "
	    "FROM tocsin_schema", 0, NULL, "reading the schema version")) ==
	    NULL)
		return (-1);
	have = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (have != version) {
		xasprintf(m->cause, "the target's schema is at version %d, "
		    "the file's at %d", have, version);
		return (-1);
	}
	return (0);
}

/* Plan, copy in one transaction, then read back: 0, or -1 and *cause. */
static int
store_migrate_run(struct store_migrate *m, struct store_migrate_result *res)
{
	PGresult	*r;
	size_t		 i;

	if (store_migrate_pg_empty(m) != 0 ||
	    store_migrate_pg_schema(m, res->version) != 0 ||
	    store_migrate_order(m, res) != 0 || store_migrate_pg_extra(m) != 0)
		return (-1);
	for (i = 0; i < m->nplans; i++) {
		if (store_migrate_columns(m, &m->plans[i]) != 0)
			return (-1);
	}
	if ((r = store_migrate_pg(m, "BEGIN; SET LOCAL statement_timeout = 0",
	    0, NULL, "beginning")) == NULL)
		return (-1);
	PQclear(r);
	for (i = 0; i < m->nplans; i++) {
		if (store_migrate_copy(m, &m->plans[i]) != 0 ||
		    store_migrate_sequences(m, &m->plans[i]) != 0)
			return (-1);
	}
	if ((r = store_migrate_pg(m, "COMMIT", 0, NULL, "committing")) == NULL)
		return (-1);
	PQclear(r);
	for (i = 0; i < m->nplans; i++) {
		if (store_migrate_verify(m, &m->plans[i]) != 0)
			return (-1);
		if (res->tables[i].rows != res->tables[i].rows_pg ||
		    strcmp(res->tables[i].digest, res->tables[i].digest_pg) != 0)
			res->mismatches++;
	}
	return (0);
}

int
store_migrate(const char *src, const char *url,
    struct store_migrate_result *res, char **cause)
{
	struct store_migrate	 m;
	int64_t			 started = clock_monotonic_us();
	size_t			 i, j;
	int			 rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&m, 0, sizeof(m));
	*cause = NULL;
	m.cause = cause;
	if ((m.lite = store_migrate_open_copy(src, &res->from_version,
	    cause)) == NULL)
		return (-1);
	res->version = store_schema_latest();
	m.pg = PQconnectdb(url);
	if (m.pg == NULL || PQstatus(m.pg) != CONNECTION_OK) {
		xasprintf(cause, "%s", m.pg != NULL ? PQerrorMessage(m.pg) :
		    "out of memory");
		(*cause)[strcspn(*cause, "\n")] = '\0';
		goto out;
	}
	PQclear(PQexec(m.pg, "SET client_encoding = 'UTF8'; "
	    "SET client_min_messages = warning"));
	m.md = EVP_MD_CTX_new();
	m.buf = xmalloc(STORE_MIGRATE_BUFFER);
	rc = store_migrate_run(&m, res);
out:
	if (rc != 0 && m.pg != NULL &&
	    PQtransactionStatus(m.pg) != PQTRANS_IDLE)
		PQclear(PQexec(m.pg, "ROLLBACK"));
	for (i = 0; i < m.nplans; i++) {
		for (j = 0; j < m.plans[i].ncols; j++) {
			free(m.plans[i].cols[j].name);
			free(m.plans[i].cols[j].pg);
			free(m.plans[i].cols[j].lite);
		}
		free(m.plans[i].cols);
		free(m.plans[i].quoted);
	}
	free(m.plans);
	free(m.buf);
	EVP_MD_CTX_free(m.md);
	PQfinish(m.pg);
	sqlite3_close(m.lite);
	res->seconds = (double)(clock_monotonic_us() - started) / 1e6;
	return (rc);
}

void
store_migrate_result_free(struct store_migrate_result *res)
{
	size_t	i;

	for (i = 0; i < res->ntables; i++)
		free(res->tables[i].name);
	free(res->tables);
	memset(res, 0, sizeof(*res));
}
