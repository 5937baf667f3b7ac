/*
 * tocsinctl backup of a PostgreSQL store: Debian's pg_dump, in its custom
 * format (-Fc, which pg_restore reads), run here.  pg_dump reads in one
 * repeatable-read transaction, so the copy is one snapshot while the
 * daemon goes on writing; a cluster's own backups (pgBackRest, or
 * pg_basebackup with the WAL archive) are the server operator's business
 * and are not replaced by this.
 *
 * The URL's password never reaches a command line, where any user of the
 * host could read it (ps): the URL is parsed by libpq, the password goes
 * to pg_dump in its environment (PGPASSWORD), and every other keyword as
 * a conninfo string.  Without a password in the URL libpq finds one as
 * usual (PGPASSFILE, ~/.pgpass).  Another secret (sslpassword) has no
 * environment variable to go by: a URL with one is refused.
 *
 * As with SQLite the dump goes to FILE.tmp (mode 0600: it holds every
 * incident), is checked by reading its table of contents back
 * (pg_restore --list), synced, and only then renamed to FILE.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "clock.h"
#include "ctl.h"
#include "store.h"
#include "xmalloc.h"

/* Where the daemon's status puts the password it leaves out. */
#define CTL_BACKUP_PG_REDACTED	"***"

/* prog on PATH, as a new string, or NULL. */
static char *
ctl_backup_pg_which(const char *prog)
{
	const char	*p = getenv("PATH"), *end;
	char		*file;

	for (p = p != NULL ? p : ""; *p != '\0'; p = end + (*end != '\0')) {
		end = p + strcspn(p, ":");
		xasprintf(&file, "%.*s/%s", end > p ? (int)(end - p) : 1,
		    end > p ? p : ".", prog);
		if (access(file, X_OK) == 0)
			return (file);
		free(file);
	}
	return (NULL);
}

/* v as a conninfo value: quoted, with ' and \ escaped. */
static void
ctl_backup_pg_quote(char **out, const char *key, const char *v)
{
	char	*s, *q;

	q = s = xmalloc(2 * strlen(v) + 3);
	*q++ = '\'';
	for (; *v != '\0'; v++) {
		if (*v == '\'' || *v == '\\')
			*q++ = '\\';
		*q++ = *v;
	}
	*q++ = '\'';
	*q = '\0';
	xasprintf(&q, "%s%s%s=%s", *out, **out != '\0' ? " " : "", key, s);
	free(s);
	free(*out);
	*out = q;
}

/*
 * The URL as a conninfo string without its password, which goes to
 * *password (NULL: none, or only the daemon's "***").  NULL with *cause
 * when libpq cannot parse the URL; the cause never quotes it.
 */
static char *
ctl_backup_pg_conninfo(const char *url, int redacted, char **password,
    char **cause)
{
	PQconninfoOption	*opts, *o;
	char			*s;

	*password = NULL;
	if (store_check_name(url, cause) != 0)	/* a cause without it */
		return (NULL);
	if ((opts = PQconninfoParse(url, NULL)) == NULL) {
		*cause = xstrdup("out of memory");
		return (NULL);
	}
	s = xstrdup("");
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		if (redacted && o->dispchar[0] == '*' && strcmp(o->val,
		    CTL_BACKUP_PG_REDACTED) == 0)
			continue;	/* the daemon's "***" */
		if (o->dispchar[0] == '*' && strcmp(o->keyword,
		    "password") != 0) {
			/* No environment variable takes it: argv only. */
			xasprintf(cause, "the database URL's %s would reach "
			    "pg_dump's command line, where any user of the "
			    "host reads it: leave it out of the URL",
			    o->keyword);
			PQconninfoFree(opts);
			free(s);
			if (*password != NULL)
				explicit_bzero(*password, strlen(*password));
			free(*password);
			*password = NULL;
			return (NULL);
		}
		if (strcmp(o->keyword, "password") != 0)
			ctl_backup_pg_quote(&s, o->keyword, o->val);
		else if (!redacted || strcmp(o->val,
		    CTL_BACKUP_PG_REDACTED) != 0)
			*password = xstrdup(o->val);
	}
	PQconninfoFree(opts);
	return (s);
}

/*
 * Run argv (stdout to /dev/null when quiet), with PGPASSWORD set to
 * password in the child only; its exit status, or -1 with *cause.
 */
static int
ctl_backup_pg_run(char *const argv[], const char *password, int quiet,
    char **cause)
{
	pid_t	pid;
	int	status, fd;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		xasprintf(cause, "fork: %s", strerror(errno));
		return (-1);
	}
	if (pid == 0) {
		if (password != NULL)
			setenv("PGPASSWORD", password, 1);
		if (quiet && (fd = open("/dev/null", O_WRONLY)) != -1)
			dup2(fd, STDOUT_FILENO);
		execv(argv[0], argv);
		fprintf(stderr, "tocsinctl: %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			xasprintf(cause, "waitpid: %s", strerror(errno));
			return (-1);
		}
	}
	if (WIFSIGNALED(status)) {
		xasprintf(cause, "%s killed by signal %d", argv[0],
		    WTERMSIG(status));
		return (-1);
	}
	return (WEXITSTATUS(status));
}

/* fsync path (a file, or a directory with O_DIRECTORY); 0 or -1. */
static int
ctl_backup_pg_sync(const char *path, int flags)
{
	int	fd, rc;

	if ((fd = open(path, flags | O_CLOEXEC)) == -1)
		return (-1);
	rc = fsync(fd);
	close(fd);
	return (rc);
}

/* Dump with pg_dump to tmp, check and sync it; 0, or -1 with *cause. */
static int
ctl_backup_pg_dump(const char *pg_dump, const char *conninfo,
    const char *password, const char *tmp, int *checked, char **cause)
{
	char	*dbname, *restore, *argv[8];
	int	 fd, rc;

	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) ==
	    -1) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		return (-1);
	}
	close(fd);
	xasprintf(&dbname, "--dbname=%s", conninfo);
	argv[0] = (char *)pg_dump;
	argv[1] = "--format=custom";
	argv[2] = "--file";
	argv[3] = (char *)tmp;
	argv[4] = dbname;
	argv[5] = NULL;
	rc = ctl_backup_pg_run(argv, password, 0, cause);
	free(dbname);
	if (rc > 0)
		xasprintf(cause, "pg_dump exited %d", rc);
	if (rc != 0)
		return (-1);
	/* The check: pg_restore reads the whole table of contents back. */
	*checked = 0;
	if ((restore = ctl_backup_pg_which("pg_restore")) != NULL) {
		argv[0] = restore;
		argv[1] = "--list";
		argv[2] = (char *)tmp;
		argv[3] = NULL;
		rc = ctl_backup_pg_run(argv, NULL, 1, cause);
		free(restore);
		if (rc > 0)
			xasprintf(cause, "pg_restore --list cannot read the "
			    "dump (exit %d)", rc);
		if (rc != 0)
			return (-1);
		*checked = 1;
	}
	if (ctl_backup_pg_sync(tmp, O_RDONLY) != 0) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * Back up the PostgreSQL database at url to file.  redacted: the URL came
 * from the daemon's status, whose password is "***" (libpq then finds
 * the real one in PGPASSWORD, PGPASSFILE or ~/.pgpass).
 */
int
ctl_backup_pg(const char *url, int redacted, const char *file)
{
	struct stat	 sb;
	int64_t		 started = clock_monotonic_us();
	char		*pg_dump, *conninfo, *password, *tmp, *desc, *dir;
	char		*cause = NULL;
	int		 checked = 0, rc = 1;

	if ((pg_dump = ctl_backup_pg_which("pg_dump")) == NULL) {
		fprintf(stderr, "tocsinctl: backup: a PostgreSQL database is "
		    "backed up with pg_dump, which is not on PATH (Debian: "
		    "apt install postgresql-client), or with pgBackRest; see "
		    "docs/cluster.md, \"Backups\"\n");
		return (1);
	}
	if ((conninfo = ctl_backup_pg_conninfo(url, redacted, &password,
	    &cause)) == NULL) {
		fprintf(stderr, "tocsinctl: backup: %s\n", cause);
		free(cause);
		free(pg_dump);
		return (1);
	}
	desc = store_describe(url);
	xasprintf(&tmp, "%s.tmp", file);
	unlink(tmp);
	if (ctl_backup_pg_dump(pg_dump, conninfo, password, tmp, &checked,
	    &cause) != 0) {
		fprintf(stderr, "tocsinctl: backup: %s: %s\n", desc, cause);
		unlink(tmp);
	} else if (rename(tmp, file) != 0) {
		fprintf(stderr, "tocsinctl: backup: %s: %s\n", file,
		    strerror(errno));
		unlink(tmp);
	} else {
		dir = xstrdup(file);
		ctl_backup_pg_sync(dirname(dir), O_RDONLY | O_DIRECTORY);
		free(dir);
		printf("backup: %s: pg_dump custom format, %lld bytes from %s "
		    "in %.2f s; %s\n", file, stat(file, &sb) == 0 ?
		    (long long)sb.st_size : 0LL, desc, (double)(
		    clock_monotonic_us() - started) / 1e6, checked ?
		    "pg_restore --list ok" : "not checked (no pg_restore on "
		    "PATH)");
		rc = 0;
	}
	free(cause);
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	free(conninfo);
	free(desc);
	free(tmp);
	free(pg_dump);
	return (rc);
}
