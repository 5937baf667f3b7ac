/*
 * The spool directory, for producers on the same machine that would rather
 * drop a file than speak HTTP.  A producer writes NAME.json under another
 * name (a dotfile, or anything not ending in .json) and renames it in; an
 * inotify watch on the event loop hears of it (IN_MOVED_TO, IN_CLOSE_WRITE),
 * and a scan of the directory at start-up, or when the kernel's queue of
 * inotify events overflowed, finds what was missed.
 *
 * A file is read and checked by record_parse_body, exactly as a POST body,
 * then joins the group commit as one request.  Only after that commit is
 * it moved to done/: the very file that was read, checked by identity, as
 * a producer may rename a new file over the name meanwhile.  A refused
 * file goes to rejected/ with NAME.json.error beside it, saying why
 * (without the file's content), and the store is unchanged.  A daemon
 * killed between the commit and the move finds the file again at start-up and ingests it again, which
 * stores nothing new: each event without an id gets one made from the
 * file (its name, identity, change time and content), the same each time
 * the same file is read, and a known id is a duplicate.  When the store
 * fails, or a file cannot be moved, the file stays where it is and the
 * spool pauses, longer each time, before trying again.
 *
 * On a standby (a cluster on PostgreSQL, docs/cluster.md) a file is
 * checked the same way and its body, with the id prefix and the time it
 * was read, goes into the store's spool inbox for the leader
 * (spool-inbox.c), in a commit of its own; after that commit the file is
 * moved to done/ as here.  A node asks whether it leads at each file, so
 * one that takes over ingests its spool itself from the next file on.
 *
 * The spool is trusted as the local file system is: no bearer token, no
 * limit on units.  Work per loop turn is bounded: a scan reads a slice of
 * the directory a turn, and a batch of files is read and submitted a turn,
 * with a cap on files awaiting their commit.
 */
#include <sys/inotify.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "channel.h"
#include "clock.h"
#include "ingest.h"
#include "log.h"
#include "metrics.h"
#include "record.h"
#include "rules.h"
#include "spool.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

#define SPOOL_BATCH		64	/* files read and submitted per turn */
#define SPOOL_IN_FLIGHT_MAX	256	/* files awaiting their commit */
#define SPOOL_SCAN_SLICE	1024	/* directory entries read per turn */
#define SPOOL_QUEUE_MAX		65536	/* names queued; past it, rescan */
#define SPOOL_BACKOFF_MIN	(1 * MSEC_PER_SEC)
#define SPOOL_BACKOFF_MAX	(5 * MSEC_PER_MIN)
#define SPOOL_RENAME_TRIES	1000	/* NAME, NAME.1, ... in done/ */
#define SPOOL_NAME_MAX		200	/* room for .N and .error after it */
#define SPOOL_DONE		"done"
#define SPOOL_REJECTED		"rejected"

struct spool_file {
	struct spool		*spool;
	char			*name;
	struct timespec		 ctime;		/* for a scan's order */
	int			 fd;		/* open from read to move */
	dev_t			 dev;		/* what was read, to move */
	ino_t			 ino;
	TAILQ_ENTRY(spool_file)	 entry;
};
TAILQ_HEAD(spool_files, spool_file);

struct spool {
	struct ingest		*ingest;
	struct store		*store;		/* to forward; NULL: never */
	char			*node;		/* this node's name */
	size_t			 body_limit;	/* the site's, as for a POST */
	char			*path;
	int			 dirfd;
	int			 inotify_fd;
	struct event		*inotify_ev;
	struct event		*work_ev;	/* the next batch, or a pause */
	struct event		*scan_ev;	/* the next slice of a scan */
	DIR			*scan;		/* a scan's cursor, or NULL */
	int			 rescan;	/* again once this scan ends */
	struct spool_files	 scanned;	/* found by the scan so far */
	struct spool_files	 queue;		/* to read, in order */
	size_t			 nqueue;
	struct spool_files	 retry;		/* to read again after a pause */
	size_t			 nretry;
	struct spool_files	 in_flight;	/* awaiting their commit */
	size_t			 nin_flight;
	int			 paused;
	int64_t			 backoff;	/* ms; 0 while all goes well */
};

static void	spool_work_cb(evutil_socket_t, short, void *);
static void	spool_scan_cb(evutil_socket_t, short, void *);
static void	spool_inotify_cb(evutil_socket_t, short, void *);

/*
 * NAME.json, not a dotfile: what a producer renames in when it is done.
 * A longer name than SPOOL_NAME_MAX is left alone, and said so.
 */
static int
spool_name_ok(const char *name)
{
	size_t	len = strlen(name);

	if (name[0] == '.' || len <= 5 || strcmp(name + len - 5, ".json") != 0)
		return (0);
	if (len > SPOOL_NAME_MAX) {
		log_warnx("spool: ignoring a file whose name is longer than "
		    "%d bytes file=%.64s", SPOOL_NAME_MAX, name);
		return (0);
	}
	return (1);
}

static struct spool_file *
spool_file_new(struct spool *sp, const char *name)
{
	struct spool_file	*f;

	f = xcalloc(1, sizeof(*f));
	f->spool = sp;
	f->name = xstrdup(name);
	f->fd = -1;
	return (f);
}

static void
spool_file_close(struct spool_file *f)
{
	if (f->fd != -1)
		close(f->fd);
	f->fd = -1;
}

static void
spool_file_free(struct spool_file *f)
{
	spool_file_close(f);
	free(f->name);
	free(f);
}

static void
spool_files_clear(struct spool_files *list)
{
	struct spool_file	*f;

	while ((f = TAILQ_FIRST(list)) != NULL) {
		TAILQ_REMOVE(list, f, entry);
		spool_file_free(f);
	}
}

/* done/ and rejected/, made again if someone took them away. */
static int
spool_subdirs(struct spool *sp)
{
	if ((mkdirat(sp->dirfd, SPOOL_DONE, 0750) != 0 && errno != EEXIST) ||
	    (mkdirat(sp->dirfd, SPOOL_REJECTED, 0750) != 0 &&
	    errno != EEXIST))
		return (-1);
	return (0);
}

static void
spool_kick(struct spool *sp)
{
	struct timeval	now = { 0, 0 };

	if (!sp->paused && !evtimer_pending(sp->work_ev, NULL))
		evtimer_add(sp->work_ev, &now);
}

static void
spool_enqueue(struct spool *sp, const char *name)
{
	struct spool_file	*f;

	if (sp->nqueue >= SPOOL_QUEUE_MAX) {
		sp->rescan = 1;		/* the directory still has them */
		return;
	}
	f = spool_file_new(sp, name);	/* the macro names elm 4 times */
	TAILQ_INSERT_TAIL(&sp->queue, f, entry);
	sp->nqueue++;
}

/* Read the directory again, a slice a turn; one scan at a time. */
static void
spool_rescan(struct spool *sp)
{
	struct timeval	now = { 0, 0 };
	int		fd;

	if (sp->scan != NULL) {
		sp->rescan = 1;
		return;
	}
	sp->rescan = 0;
	if ((fd = openat(sp->dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (sp->scan = fdopendir(fd)) == NULL) {
		log_warn("spool: cannot read dir=%s", sp->path);
		if (fd != -1)
			close(fd);
		return;
	}
	evtimer_add(sp->scan_ev, &now);
}

static int
spool_file_cmp(const void *a, const void *b)
{
	const struct spool_file	*fa = *(struct spool_file *const *)a;
	const struct spool_file	*fb = *(struct spool_file *const *)b;

	if (fa->ctime.tv_sec != fb->ctime.tv_sec)
		return (fa->ctime.tv_sec < fb->ctime.tv_sec ? -1 : 1);
	if (fa->ctime.tv_nsec != fb->ctime.tv_nsec)
		return (fa->ctime.tv_nsec < fb->ctime.tv_nsec ? -1 : 1);
	return (strcmp(fa->name, fb->name));
}

/*
 * A scan is done: its files go first, in the order they arrived (their
 * change time is when they were renamed in), so that a report left in the
 * spool while the daemon was down is read before the update that follows
 * it.
 */
static void
spool_scan_end(struct spool *sp)
{
	struct spool_file	**v, *f;
	size_t			  n = 0, i;

	closedir(sp->scan);
	sp->scan = NULL;
	TAILQ_FOREACH(f, &sp->scanned, entry)
		n++;
	v = xreallocarray(NULL, n + 1, sizeof(*v));
	n = 0;
	while ((f = TAILQ_FIRST(&sp->scanned)) != NULL) {
		TAILQ_REMOVE(&sp->scanned, f, entry);
		v[n++] = f;
	}
	qsort(v, n, sizeof(*v), spool_file_cmp);
	for (i = n; i > 0; i--)
		TAILQ_INSERT_HEAD(&sp->queue, v[i - 1], entry);
	sp->nqueue += n;
	free(v);
	if (n > 0)
		log_info("spool: found files=%zu dir=%s", n, sp->path);
	if (sp->rescan)
		spool_rescan(sp);
	else
		spool_kick(sp);
}

static void
spool_scan_cb(evutil_socket_t fd, short what, void *arg)
{
	struct spool		*sp = arg;
	struct spool_file	*f;
	struct dirent		*de;
	struct stat		 st;
	struct timeval		 now = { 0, 0 };
	int			 i;

	for (i = 0; i < SPOOL_SCAN_SLICE; i++) {
		errno = 0;
		if ((de = readdir(sp->scan)) == NULL) {
			if (errno != 0)
				log_warn("spool: reading dir=%s", sp->path);
			spool_scan_end(sp);
			return;
		}
		if (!spool_name_ok(de->d_name) || fstatat(sp->dirfd,
		    de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		f = spool_file_new(sp, de->d_name);
		f->ctime = st.st_ctim;
		TAILQ_INSERT_TAIL(&sp->scanned, f, entry);
	}
	evtimer_add(sp->scan_ev, &now);
}

static void
spool_inotify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct spool			*sp = arg;
	char				 buf[65536]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event	*ie;
	ssize_t				 n;
	char				*p;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + n; p += sizeof(*ie) + ie->len) {
			ie = (const struct inotify_event *)p;
			if (ie->mask & IN_Q_OVERFLOW) {
				log_info("spool: too many files at once; "
				    "reading again dir=%s", sp->path);
				spool_rescan(sp);
			}
			if (ie->mask & (IN_DELETE_SELF | IN_MOVE_SELF))
				log_warnx("spool: the directory was removed or "
				    "moved; nothing more is read from it until "
				    "a restart dir=%s", sp->path);
			if ((ie->mask & (IN_MOVED_TO | IN_CLOSE_WRITE)) &&
			    ie->len > 0 && spool_name_ok(ie->name))
				spool_enqueue(sp, ie->name);
		}
	}
	if (n == -1 && errno != EAGAIN && errno != EINTR)
		log_warn("spool: inotify");
	if (sp->rescan && sp->scan == NULL)
		spool_rescan(sp);
	spool_kick(sp);
}

/*
 * Move name to dir/name, or dir/name.1 and so on when a file of that name
 * is there already: done/ is an archive, and producers reuse names.  The
 * final name goes to final.  errno is set when it fails.
 */
static int
spool_move(struct spool *sp, const char *name, const char *dir,
    const char *want, char *final, size_t len)
{
	char	target[PATH_MAX], base[NAME_MAX + 1];
	int	i;

	snprintf(base, sizeof(base), "%s", want);
	for (i = 0; i < SPOOL_RENAME_TRIES; i++) {
		if (i == 0)
			snprintf(final, len, "%s", base);
		else
			snprintf(final, len, "%s.%d", base, i);
		snprintf(target, sizeof(target), "%s/%s", dir, final);
		if (renameat2(sp->dirfd, name, sp->dirfd, target,
		    RENAME_NOREPLACE) == 0)
			return (0);
		if (errno == EINVAL || errno == ENOSYS) {
			/* No RENAME_NOREPLACE here: a link fails alike. */
			if (linkat(sp->dirfd, name, sp->dirfd, target, 0) == 0)
				return (unlinkat(sp->dirfd, name, 0));
		}
		if (errno != EEXIST)
			return (-1);
	}
	errno = EEXIST;
	return (-1);
}

/*
 * Put back in the spool a file that a producer renamed over the one we
 * read: as NAME, or NAME-N.json if NAME came again meanwhile, so inotify
 * (IN_MOVED_TO) queues it to be read like any other.
 */
static int
spool_put_back(struct spool *sp, const char *from, const char *name)
{
	char	target[NAME_MAX + 16];
	int	i, stem = (int)strlen(name) - 5;	/* without ".json" */

	for (i = 0; i < SPOOL_RENAME_TRIES; i++) {
		if (i == 0)
			snprintf(target, sizeof(target), "%s", name);
		else
			snprintf(target, sizeof(target), "%.*s-%d.json", stem,
			    name, i);
		if (renameat2(sp->dirfd, from, sp->dirfd, target,
		    RENAME_NOREPLACE) == 0) {
			log_warnx("spool: replaced after it was read; the new "
			    "file is read under another name file=%s as=%s",
			    name, target);
			return (0);
		}
		if (errno != EEXIST)
			break;
	}
	log_warn("spool: replaced after it was read, and the new file is "
	    "left under a temporary name file=%s as=%s", name, from);
	return (-1);
}

/*
 * Move exactly the file that was read, not whatever now has its name.  A
 * producer may rename a new NAME.json over the one we read while its
 * commit is under way; moving by name would archive the new one unread.
 * So the move is checked after it is done, by identity: what now sits in
 * dir/final is either ours (dev, ino as read; the open fd keeps the inode
 * number from being reused) or the newcomer, which goes straight back.
 * Checking before the rename would leave a window between check and
 * rename; checking what the atomic rename actually moved leaves none, as
 * no producer writes into done/ or rejected/.  Returns 0 moved, 1 ours
 * was replaced (its events are stored or refused; the file itself is
 * gone), -1 with errno set.
 */
static int
spool_move_read(struct spool *sp, struct spool_file *f, const char *dir,
    const char *want, char *final, size_t len)
{
	char		path[PATH_MAX];
	struct stat	st;

	if (spool_move(sp, f->name, dir, want, final, len) != 0)
		return (-1);
	if (f->fd == -1)
		return (0);		/* nothing was read: by name */
	snprintf(path, sizeof(path), "%s/%s", dir, final);
	if (fstatat(sp->dirfd, path, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    (st.st_dev == f->dev && st.st_ino == f->ino))
		return (0);
	spool_put_back(sp, path, f->name);
	return (1);
}

/* Has name left the spool behind our back?  errno is kept. */
static int
spool_gone(struct spool *sp, const char *name)
{
	struct stat	st;
	int		saved = errno, gone;

	gone = fstatat(sp->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 &&
	    errno == ENOENT;
	errno = saved;
	return (gone);
}

/* A name in rejected/ that is free, and its .error name too. */
static void
spool_rejected_name(struct spool *sp, const char *name, char *out,
    size_t len)
{
	char		path[PATH_MAX];
	struct stat	st;
	int		i;

	for (i = 0; i < SPOOL_RENAME_TRIES; i++) {
		if (i == 0)
			snprintf(out, len, "%s", name);
		else
			snprintf(out, len, "%s.%d", name, i);
		snprintf(path, sizeof(path), SPOOL_REJECTED "/%s", out);
		if (fstatat(sp->dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		snprintf(path, sizeof(path), SPOOL_REJECTED "/%s.error", out);
		if (fstatat(sp->dirfd, path, &st, AT_SYMLINK_NOFOLLOW) != 0)
			return;
	}
}

/*
 * What a refused file's .error and log line say: the error without the
 * file's content.  A POST's answer may quote the body back to its sender,
 * but here the quote would copy what the producer wrote (personal data,
 * say) beside the file and into the journal, where other readers are.
 * The producer has the file itself in rejected/; the code, the field, the
 * event's place in an array and, for JSON, the line and column say where.
 * Each message that quotes input is cut where the quote starts: jansson's
 * "... near '<text>'", the engine's unknown incident key.  A new message
 * that quotes input is one more line here.
 */
static const struct {
	const char	*code;
	const char	*quote;		/* where the quoted input begins */
	const char	*instead;	/* what stands in its place */
} spool_error_quotes[] = {
	{ "invalid_json", " near '", "" },
	{ "unknown_incident", "no incident \"",
	    "no such incident: open it with a report first" },
	{ "incident_exists", "has the key \"",
	    "has this key: report under a key of your own" },
};

static void
spool_error_text(const struct record_error *err, char *buf, size_t len)
{
	const char	*at;
	size_t		 i;

	snprintf(buf, len, "%s", err->message);
	for (i = 0; i < nitems(spool_error_quotes); i++) {
		if (strcmp(err->code, spool_error_quotes[i].code) != 0 ||
		    (at = strstr(buf, spool_error_quotes[i].quote)) == NULL)
			continue;
		snprintf(buf + (at - buf), len - (size_t)(at - buf), "%s",
		    spool_error_quotes[i].instead);
	}
}

/*
 * rejected/NAME.error, written under a temporary name and renamed, so
 * that it is whole whenever it is there; it is written before the file is
 * moved, so a rejected file never lacks it.
 */
static int
spool_write_error(struct spool *sp, const char *name,
    const struct record_error *err)
{
	char	 tmp[PATH_MAX], path[PATH_MAX], *text;
	char	 message[sizeof(err->message)];
	json_t	*body;
	size_t	 len, off = 0;
	ssize_t	 n;
	int	 fd, ok, rc = -1;

	spool_error_text(err, message, sizeof(message));
	body = json_pack("{s:{s:s, s:s, s:s?}}", "error", "code", err->code,
	    "message", message, "field", err->field[0] != '\0' ?
	    err->field : NULL);
	text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(body);
	if (text == NULL)
		fatalx("spool: cannot encode an error");
	snprintf(tmp, sizeof(tmp), SPOOL_REJECTED "/.error.tmp");
	snprintf(path, sizeof(path), SPOOL_REJECTED "/%s.error", name);
	if ((fd = openat(sp->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0640)) == -1)
		goto out;
	len = strlen(text);
	text[len++] = '\n';		/* over the NUL: written by length */
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)n;
	}
	ok = off == len && fsync(fd) == 0;
	if (close(fd) != 0)
		ok = 0;
	if (ok)
		rc = renameat(sp->dirfd, tmp, sp->dirfd, path);
	if (rc != 0)
		unlinkat(sp->dirfd, tmp, 0);
out:
	free(text);
	return (rc);
}

/* A file refused: rejected/ with its .error; -1 if it could not be done. */
static int
spool_reject(struct spool *sp, struct spool_file *f,
    const struct record_error *err)
{
	char	final[NAME_MAX + 16], message[sizeof(err->message)];
	int	rc;

	spool_error_text(err, message, sizeof(message));
	spool_rejected_name(sp, f->name, final, sizeof(final));
	if (spool_write_error(sp, final, err) != 0 ||
	    (rc = spool_move_read(sp, f, SPOOL_REJECTED, final, final,
	    sizeof(final))) < 0) {
		log_warn("spool: refused, but cannot move it to "
		    SPOOL_REJECTED "/ file=%s code=%s reason=%s", f->name,
		    err->code, message);
		return (-1);
	}
	if (rc == 1) {
		log_warnx("spool: rejected; the file itself was replaced "
		    "file=%s code=%s field=%s reason=%s", f->name, err->code,
		    err->field[0] != '\0' ? err->field : "-", message);
		metrics_spool(METRICS_SPOOL_REJECTED);
		return (0);
	}
	log_warnx("spool: rejected, moved to " SPOOL_REJECTED "/ file=%s "
	    "as=%s code=%s field=%s reason=%s", f->name, final, err->code,
	    err->field[0] != '\0' ? err->field : "-", message);
	metrics_spool(METRICS_SPOOL_REJECTED);
	return (0);
}

/*
 * Leave the file where it is and try it again after a pause, twice as
 * long each time things keep failing.  The files of one batch that fail
 * together share one pause, and keep their order.
 */
static void
spool_retry(struct spool *sp, struct spool_file *f)
{
	struct timeval	tv;

	metrics_spool(METRICS_SPOOL_RETRIED);
	TAILQ_INSERT_TAIL(&sp->retry, f, entry);
	sp->nretry++;
	if (sp->paused)
		return;
	sp->backoff = sp->backoff == 0 ? SPOOL_BACKOFF_MIN :
	    sp->backoff * 2 > SPOOL_BACKOFF_MAX ? SPOOL_BACKOFF_MAX :
	    sp->backoff * 2;
	sp->paused = 1;
	tv.tv_sec = sp->backoff / MSEC_PER_SEC;
	tv.tv_usec = (sp->backoff % MSEC_PER_SEC) * 1000;
	evtimer_add(sp->work_ev, &tv);
	log_warnx("spool: pausing for %lld ms", (long long)sp->backoff);
}

/*
 * A file's events are safe (stored, or in the leader's inbox): move it to
 * done/.  how and what say so in the log.  0, or -1 when it could not be
 * moved and waits for a retry.
 */
static int
spool_finish(struct spool *sp, struct spool_file *f, const char *how,
    const char *what)
{
	char	final[NAME_MAX + 16];
	int	rc;

	if ((rc = spool_move_read(sp, f, SPOOL_DONE, f->name, final,
	    sizeof(final))) == 0)
		log_info("spool: %s, moved to " SPOOL_DONE "/ file=%s as=%s "
		    "%s", how, f->name, final, what);
	else if (rc == 1)
		log_info("spool: %s; the file itself was replaced file=%s %s",
		    how, f->name, what);
	else if (spool_gone(sp, f->name))
		log_info("spool: %s; someone took it away already file=%s %s",
		    how, f->name, what);
	else {
		log_warn("spool: %s, but cannot move it to " SPOOL_DONE "/ "
		    "file=%s", how, f->name);
		spool_file_close(f);
		spool_retry(sp, f);
		return (-1);
	}
	return (0);
}

/*
 * A standby's file, checked: into the store's inbox for the leader, then
 * to done/ once that committed.  A read again after a crash between the
 * two makes a second row with the same id prefix, which the leader
 * stores as duplicates.
 */
static void
spool_forward(struct spool *sp, struct spool_file *f, const char *text,
    const char *prefix, int64_t received_at, size_t n)
{
	struct store_inbox	in;
	char			what[64];

	memset(&in, 0, sizeof(in));
	in.node = sp->node;
	in.name = f->name;
	in.id_prefix = (char *)prefix;
	in.body = (char *)text;
	in.received_at = received_at;
	if (store_inbox_put(sp->store, &in) != 0) {
		log_warnx("spool: not forwarded to the leader file=%s",
		    f->name);
		spool_file_close(f);
		spool_retry(sp, f);
		return;
	}
	snprintf(what, sizeof(what), "events=%zu", n);
	if (spool_finish(sp, f, "forwarded to the leader", what) != 0)
		return;
	metrics_spool(METRICS_SPOOL_FORWARDED);
	sp->backoff = 0;
	spool_file_free(f);
}

/* The commit that held a file's events is over: move the file on. */
static void
spool_done_cb(int status, const struct engine_result *results, size_t n,
    const struct record_error *err, void *arg)
{
	struct spool_file	*f = arg;
	struct spool		*sp = f->spool;
	char			 what[64];
	size_t			 i, dup = 0;

	TAILQ_REMOVE(&sp->in_flight, f, entry);
	sp->nin_flight--;
	switch (status) {
	case 202:
		for (i = 0; i < n; i++)
			dup += results[i].duplicate != 0;
		snprintf(what, sizeof(what), "events=%zu duplicates=%zu", n,
		    dup);
		if (spool_finish(sp, f, "stored", what) != 0)
			return;
		metrics_spool(METRICS_SPOOL_DONE);
		break;
	case 400:
	case 403:
	case 409:	/* refused for good: sending it again won't help */
		if (spool_reject(sp, f, err) != 0) {
			spool_file_close(f);
			spool_retry(sp, f);
			return;
		}
		break;
	default:
		log_warnx("spool: not stored file=%s reason=%s", f->name,
		    err->message);
		spool_file_close(f);	/* read afresh after the pause */
		spool_retry(sp, f);
		return;
	}
	sp->backoff = 0;
	spool_file_free(f);
	spool_kick(sp);
}

/*
 * The id prefix of a file's events: a hash of its name, its identity and
 * change time, and its content.  The same file read again (after a crash
 * between its commit and its move) gives the same ids; a new file of the
 * same name and content, renamed in later, gives new ones.
 */
static void
spool_id_prefix(const char *name, const struct stat *st, const char *text,
    size_t len, char *out, size_t outlen)
{
	EVP_MD_CTX	*ctx;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	char		 hex[2 * 16 + 1];
	long long	 ident[5];

	ident[0] = (long long)st->st_dev;
	ident[1] = (long long)st->st_ino;
	ident[2] = (long long)st->st_ctim.tv_sec;
	ident[3] = (long long)st->st_ctim.tv_nsec;
	ident[4] = (long long)st->st_size;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, name, strlen(name) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, ident, sizeof(ident)) != 1 ||
	    EVP_DigestUpdate(ctx, text, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen < 16)
		fatalx("spool: SHA-256 failed");
	EVP_MD_CTX_free(ctx);
	channel_hex(md, 16, hex);
	snprintf(out, outlen, "spool:%s", hex);
}

/*
 * The whole file, up to limit + 1 bytes, with a NUL after them (a body
 * forwarded to the leader is bound as a string); NULL with errno set.
 */
static char *
spool_read(int fd, size_t size, size_t limit, size_t *lenp)
{
	char	*buf;
	size_t	 cap = (size < limit ? size : limit) + 1, len = 0;
	ssize_t	 n;

	buf = xmalloc(cap + 1);
	while (len < cap) {
		if ((n = read(fd, buf + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			free(buf);
			return (NULL);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*lenp = len;
	return (buf);
}

/* Read one file and submit its events, or reject it. */
static void
spool_take(struct spool *sp, struct spool_file *f)
{
	struct record_error	  err;
	struct record		**records;
	struct spool_file	 *g;
	struct stat		  st;
	size_t			  limit, len, n = 0;
	char			 *text, prefix[64];
	int64_t			  now;
	int			  fd, status;

	TAILQ_FOREACH(g, &sp->in_flight, entry) {
		if (strcmp(g->name, f->name) == 0) {
			/* A newcomer under a name in flight: that one's
			 * move finds it and puts it back to be read. */
			spool_file_free(f);
			return;
		}
	}
	memset(&err, 0, sizeof(err));
	spool_file_close(f);
	limit = sp->body_limit;
	fd = openat(sp->dirfd, f->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		spool_file_free(f);	/* moved already, or taken back */
		return;
	}
	if (fd == -1 || fstat(fd, &st) != 0) {
		record_error_set(&err, "unreadable", "", "cannot read the "
		    "file: %s", strerror(errno));
		goto reject;
	}
	/* From here on, the file to move is this one (spool_move_read). */
	f->fd = fd;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	fd = -1;
	if (!S_ISREG(st.st_mode)) {
		record_error_set(&err, "unreadable", "", "not a regular file");
		goto reject;
	}
	if ((size_t)st.st_size > limit) {
		record_error_set(&err, "body_too_large", "", "the file is "
		    "%lld bytes; the limit is %zu", (long long)st.st_size,
		    limit);
		goto reject;
	}
	if ((text = spool_read(f->fd, (size_t)st.st_size, limit, &len)) ==
	    NULL) {
		record_error_set(&err, "unreadable", "", "cannot read the "
		    "file: %s", strerror(errno));
		goto reject;
	}
	spool_id_prefix(f->name, &st, text, len, prefix, sizeof(prefix));
	now = clock_now();
	records = record_parse_body(text, len, limit, now, prefix, &n,
	    &err, &status);
	if (records == NULL) {
		free(text);
		goto reject;
	}
	if (sp->store != NULL && !store_leads(sp->store)) {
		/* Checked as the leader will parse it; it stores them. */
		record_batch_free(records, n);
		spool_forward(sp, f, text, prefix, now, n);
		free(text);
		return;
	}
	free(text);
	TAILQ_INSERT_TAIL(&sp->in_flight, f, entry);
	sp->nin_flight++;
	ingest_submit(sp->ingest, records, n, NULL,
	    spool_done_cb, f);
	return;

reject:
	if (fd != -1)
		close(fd);
	metrics_events(METRICS_REJECTED, n > 0 ? n : 1);
	if (spool_reject(sp, f, &err) != 0) {
		spool_file_close(f);
		spool_retry(sp, f);
	} else
		spool_file_free(f);
}

/* A batch of files a turn; again next turn while there is more. */
static void
spool_work_cb(evutil_socket_t fd, short what, void *arg)
{
	struct spool		*sp = arg;
	struct spool_file	*f;
	int			 i;

	if (sp->paused) {
		sp->paused = 0;
		if (spool_subdirs(sp) != 0)
			log_warn("spool: cannot make " SPOOL_DONE "/ and "
			    SPOOL_REJECTED "/ dir=%s", sp->path);
	}
	if (!TAILQ_EMPTY(&sp->retry)) {
		TAILQ_CONCAT(&sp->retry, &sp->queue, entry);
		TAILQ_CONCAT(&sp->queue, &sp->retry, entry);
		sp->nqueue += sp->nretry;
		sp->nretry = 0;
	}
	if (sp->scan != NULL)
		return;		/* its end kicks us, its files first */
	for (i = 0; i < SPOOL_BATCH && sp->nin_flight < SPOOL_IN_FLIGHT_MAX &&
	    !sp->paused && (f = TAILQ_FIRST(&sp->queue)) != NULL; i++) {
		TAILQ_REMOVE(&sp->queue, f, entry);
		sp->nqueue--;
		spool_take(sp, f);
	}
	if (!TAILQ_EMPTY(&sp->queue) && sp->nin_flight < SPOOL_IN_FLIGHT_MAX)
		spool_kick(sp);
}

struct spool *
spool_new(struct event_base *base, struct ingest *ingest, size_t body_limit,
    const char *path, char **cause)
{
	struct spool	*sp;

	sp = xcalloc(1, sizeof(*sp));
	sp->ingest = ingest;
	sp->body_limit = body_limit;
	sp->path = xstrdup(path);
	sp->dirfd = sp->inotify_fd = -1;
	TAILQ_INIT(&sp->scanned);
	TAILQ_INIT(&sp->queue);
	TAILQ_INIT(&sp->retry);
	TAILQ_INIT(&sp->in_flight);
	if (mkdir(path, 0750) != 0 && errno != EEXIST) {
		xasprintf(cause, "cannot make %s: %s", path, strerror(errno));
		goto fail;
	}
	if ((sp->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (spool_subdirs(sp) != 0) {
		xasprintf(cause, "cannot make %s/%s and %s/: %s", path,
		    SPOOL_DONE, SPOOL_REJECTED, strerror(errno));
		goto fail;
	}
	if ((sp->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 ||
	    inotify_add_watch(sp->inotify_fd, path, IN_MOVED_TO |
	    IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR) ==
	    -1) {
		xasprintf(cause, "cannot watch %s: %s", path, strerror(errno));
		goto fail;
	}
	sp->inotify_ev = event_new(base, sp->inotify_fd, EV_READ | EV_PERSIST,
	    spool_inotify_cb, sp);
	sp->work_ev = evtimer_new(base, spool_work_cb, sp);
	sp->scan_ev = evtimer_new(base, spool_scan_cb, sp);
	/* Work, like the group commit its files go to: each turn's batch
	 * commits before the next turn reads more. */
	event_priority_set(sp->inotify_ev, EVENT_PRIORITY_WORK);
	event_priority_set(sp->work_ev, EVENT_PRIORITY_WORK);
	event_priority_set(sp->scan_ev, EVENT_PRIORITY_WORK);
	event_add(sp->inotify_ev, NULL);
	spool_rescan(sp);	/* what came while we were down */
	log_info("spool: watching dir=%s", path);
	return (sp);
fail:
	spool_free(sp);
	return (NULL);
}

/*
 * On a store with a lease: while this node does not lead, its files go to
 * the leader through the store's inbox, under this node's name (copied).
 */
void
spool_set_forward(struct spool *sp, struct store *store, const char *node)
{
	sp->store = store;
	free(sp->node);
	sp->node = xstrdup(node);
}

/* A reload may change the site's body limit: files are held to it too. */
void
spool_set_body_limit(struct spool *sp, size_t limit)
{
	sp->body_limit = limit;
}

/*
 * Files awaiting their commit are forgotten, not lost: they are still in
 * the directory, and the next start reads them again.
 */
void
spool_free(struct spool *sp)
{
	if (sp == NULL)
		return;
	if (sp->inotify_ev != NULL)
		event_free(sp->inotify_ev);
	if (sp->work_ev != NULL)
		event_free(sp->work_ev);
	if (sp->scan_ev != NULL)
		event_free(sp->scan_ev);
	if (sp->scan != NULL)
		closedir(sp->scan);
	spool_files_clear(&sp->scanned);
	spool_files_clear(&sp->queue);
	spool_files_clear(&sp->retry);
	spool_files_clear(&sp->in_flight);
	if (sp->inotify_fd != -1)
		close(sp->inotify_fd);
	if (sp->dirfd != -1)
		close(sp->dirfd);
	free(sp->path);
	free(sp->node);
	free(sp);
}

/* Files seen and not yet moved on: queued, awaiting a commit or a retry. */
size_t
spool_pending(const struct spool *sp)
{
	return (sp->nqueue + sp->nretry + sp->nin_flight);
}
