/*
 * Online backup through SQLite's backup API, by a reader in another
 * process.  A backup only reads the database, so it needs none of the
 * daemon's writer connection (issue 7: one writer, and Debian 12's SQLite
 * predates the WAL-reset fix for several writers); in WAL mode a reader
 * and the writer do not block each other.
 *
 * The source connection holds one read transaction for the whole copy.
 * That is what makes the copy one snapshot: sqlite3_backup_step() starts
 * over whenever another connection changes the source between steps,
 * unless the caller keeps a read transaction open, and under steady
 * ingest it would start over for ever.  The price is that the daemon's
 * checkpoints cannot pass the snapshot until we are done, so the WAL grows
 * by what is written meanwhile; it is checkpointed afterwards.
 *
 * The copy goes to FILE.tmp (mode 0600: it holds every incident), is
 * checked with PRAGMA integrity_check (or quick_check), synced, and only
 * then renamed to FILE, and the directory synced: a crash leaves either
 * the old FILE or the new one, never half of one.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "clock.h"
#include "store-backup.h"
#include "xmalloc.h"

#define STORE_BACKUP_PAGES	256	/* pages per step */
#define STORE_BACKUP_NAP_MS	10	/* only when a step is busy */
#define STORE_BACKUP_BUSY_MS	30000	/* give up after this much waiting */
#define STORE_BACKUP_TIMEOUT_MS	5000	/* the source's busy timeout */

static void
store_backup_nap(void)
{
	struct timespec	ts = { 0, STORE_BACKUP_NAP_MS * 1000000L };

	nanosleep(&ts, NULL);
}

/* fsync a file or directory by path; 0, or -1 with errno. */
static int
store_backup_sync(const char *path, int flags)
{
	int	fd, rc, saved;

	if ((fd = open(path, flags | O_CLOEXEC)) == -1)
		return (-1);
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return (rc);
}

/* Remove a temporary copy and what SQLite may have left beside it. */
static void
store_backup_unlink(const char *tmp)
{
	static const char	*suffixes[] = { "", "-journal", "-wal", "-shm" };
	char			*p;
	size_t			 i;

	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		xasprintf(&p, "%s%s", tmp, suffixes[i]);
		unlink(p);
		free(p);
	}
}

/* The first row of a check pragma: "ok", or what is wrong (to free). */
static char *
store_backup_check(sqlite3 *db, int quick)
{
	sqlite3_stmt	*st;
	char		*result;
	int		 rc, rows = 0;

	if (sqlite3_prepare_v2(db, quick ? "PRAGMA quick_check" :
	    "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
		return (xstrdup(sqlite3_errmsg(db)));
	result = NULL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (rows++ == 0)
			result = xstrdup((const char *)sqlite3_column_text(st,
			    0));
	}
	if (rc != SQLITE_DONE) {
		free(result);
		result = xstrdup(sqlite3_errmsg(db));
	} else if (rows > 1 || result == NULL) {
		free(result);
		xasprintf(&result, "%d problems", rows);
	}
	sqlite3_finalize(st);
	return (result);
}

static int64_t
store_backup_page_size(sqlite3 *db)
{
	sqlite3_stmt	*st;
	int64_t		 n = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (n);
}

/* Copy src to dst (see above); 0, or -1 with *cause set. */
int
store_backup(const char *src, const char *dst, int quick,
    struct store_backup_result *res, char **cause)
{
	sqlite3		*from = NULL, *to = NULL;
	sqlite3_backup	*b;
	struct stat	 ssb, dsb;
	int64_t		 started = clock_monotonic_us(), checked, waited = 0;
	char		*tmp, *dir = NULL, *check = NULL;
	int		 fd, rc, ok = -1;

	memset(res, 0, sizeof(*res));
	if (stat(src, &ssb) == -1) {
		xasprintf(cause, "%s: %s", src, strerror(errno));
		return (-1);
	}
	if (stat(dst, &dsb) == 0 && dsb.st_dev == ssb.st_dev &&
	    dsb.st_ino == ssb.st_ino) {
		xasprintf(cause, "%s is the database itself", dst);
		return (-1);
	}
	xasprintf(&tmp, "%s.tmp", dst);
	store_backup_unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) ==
	    -1) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return (-1);
	}
	close(fd);

	if (sqlite3_open_v2(src, &from, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		xasprintf(cause, "%s: %s", src, from != NULL ?
		    sqlite3_errmsg(from) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(from, STORE_BACKUP_TIMEOUT_MS);
	/* The snapshot: a read transaction held until the copy is done. */
	if (sqlite3_exec(from, "BEGIN; SELECT count(*) FROM sqlite_master;",
	    NULL, NULL, NULL) != SQLITE_OK) {
		xasprintf(cause, "%s: %s", src, sqlite3_errmsg(from));
		goto out;
	}
	if (sqlite3_open_v2(tmp, &to, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		xasprintf(cause, "%s: %s", tmp, to != NULL ?
		    sqlite3_errmsg(to) : "out of memory");
		goto out;
	}
	if ((b = sqlite3_backup_init(to, "main", from, "main")) == NULL) {
		xasprintf(cause, "%s: %s", tmp, sqlite3_errmsg(to));
		goto out;
	}
	for (;;) {
		rc = sqlite3_backup_step(b, STORE_BACKUP_PAGES);
		if (rc == SQLITE_OK)
			continue;
		if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) ||
		    waited >= STORE_BACKUP_BUSY_MS)
			break;
		res->busy++;
		waited += STORE_BACKUP_NAP_MS;
		store_backup_nap();
	}
	res->pages = sqlite3_backup_pagecount(b);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		xasprintf(cause, "copying %s: %s", src, sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_exec(from, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(from);
	from = NULL;

	/* One self-contained file: the daemon turns WAL on when it opens it. */
	if (sqlite3_exec(to, "PRAGMA journal_mode = DELETE", NULL, NULL,
	    NULL) != SQLITE_OK) {
		xasprintf(cause, "%s: %s", tmp, sqlite3_errmsg(to));
		goto out;
	}
	checked = clock_monotonic_us();
	check = store_backup_check(to, quick);
	res->check_seconds = (double)(clock_monotonic_us() - checked) / 1e6;
	if (strcmp(check, "ok") != 0) {
		xasprintf(cause, "the copy fails its %s: %s", quick ?
		    "quick_check" : "integrity_check", check);
		goto out;
	}
	res->page_size = store_backup_page_size(to);
	if (sqlite3_close(to) != SQLITE_OK) {
		xasprintf(cause, "%s: %s", tmp, sqlite3_errmsg(to));
		goto out;
	}
	to = NULL;
	dir = xstrdup(dst);
	if (store_backup_sync(tmp, O_RDONLY) != 0 || rename(tmp, dst) != 0 ||
	    store_backup_sync(dirname(dir), O_RDONLY | O_DIRECTORY) != 0) {
		xasprintf(cause, "%s: %s", dst, strerror(errno));
		goto out;
	}
	res->seconds = (double)(clock_monotonic_us() - started) / 1e6;
	ok = 0;
out:
	if (from != NULL)
		sqlite3_close(from);
	if (to != NULL)
		sqlite3_close(to);
	if (ok != 0)
		store_backup_unlink(tmp);
	free(check);
	free(dir);
	free(tmp);
	return (ok);
}
