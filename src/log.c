/*
 * Log lines to stderr with a level, in key=value form: one event, one
 * line.  The _warn and fatal variants append error="strerror(errno)" the
 * way err(3) does; errno is preserved across every call so callers can log
 * and then inspect it.
 *
 * Under systemd, stderr is a journal stream ($JOURNAL_STREAM names it):
 * then each line starts with a syslog priority, <3> to <7>, which journald
 * takes as the entry's PRIORITY (so `journalctl -p warning` works) and
 * strips, and the program name is left to the journal.  Elsewhere a line
 * starts "tocsind: ".  Either way a control character in a message is
 * written escaped (\n, \t, \xHH), so no event spans two lines.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "xmalloc.h"

#define LOG_LINE_MAX	8192

static const char	*log_name = "tocsin";
static enum log_level	 log_max = LOG_LEVEL_INFO;
static int		 log_journal;

static const char *log_level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

/* syslog(3) priorities: LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG. */
static const int log_level_priorities[] = {
	[LOG_LEVEL_ERROR] = 3,
	[LOG_LEVEL_WARN] = 4,
	[LOG_LEVEL_INFO] = 6,
	[LOG_LEVEL_DEBUG] = 7,
};

/* Is stderr the journal stream systemd connected us to ("DEV:INODE")? */
static int
log_stderr_is_journal(void)
{
	const char		*env = getenv("JOURNAL_STREAM");
	struct stat		 sb;
	unsigned long long	 dev, ino;

	if (env == NULL || sscanf(env, "%llu:%llu", &dev, &ino) != 2)
		return (0);
	if (fstat(STDERR_FILENO, &sb) != 0)
		return (0);
	return ((unsigned long long)sb.st_dev == dev &&
	    (unsigned long long)sb.st_ino == ino);
}

void
log_init(const char *name, enum log_level level)
{
	log_name = name;
	log_max = level;
	log_journal = log_stderr_is_journal();
}

int
log_level_parse(const char *s, enum log_level *level)
{
	size_t	i;

	for (i = 0; i < sizeof(log_level_names) / sizeof(*log_level_names);
	    i++) {
		if (strcmp(s, log_level_names[i]) == 0) {
			*level = (enum log_level)i;
			return (0);
		}
	}
	return (-1);
}

/*
 * s as a double-quoted value: backslash and quote escaped.  Control
 * characters are left for log_vwrite, which escapes them in every line.
 */
char *
log_quote(const char *s)
{
	char	*q, *p;

	if (s == NULL)
		s = "";
	p = q = xmalloc(2 * strlen(s) + 3);
	*p++ = '"';
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			*p++ = '\\';
		*p++ = *s;
	}
	*p++ = '"';
	*p = '\0';
	return (q);
}

/*
 * Append msg to out (which has room for 4 bytes per byte of msg) with
 * control characters escaped; UTF-8 passes as it is.
 */
static char *
log_escape(char *out, const char *msg)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*s;

	for (s = (const unsigned char *)msg; *s != '\0'; s++) {
		if (*s >= 0x20 && *s != 0x7f) {
			*out++ = (char)*s;
			continue;
		}
		*out++ = '\\';
		switch (*s) {
		case '\n':
			*out++ = 'n';
			break;
		case '\r':
			*out++ = 'r';
			break;
		case '\t':
			*out++ = 't';
			break;
		default:
			*out++ = 'x';
			*out++ = hex[*s >> 4];
			*out++ = hex[*s & 0xf];
			break;
		}
	}
	*out = '\0';
	return (out);
}

/* One event, one write(2): the line is built whole, then written. */
static void
log_vwrite(enum log_level level, int with_errno, const char *fmt, va_list ap)
{
	int	 saved = errno, n;
	char	 msg[LOG_LINE_MAX], line[4 * LOG_LINE_MAX + 256], *p;

	if (level > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_journal)
		n = snprintf(line, 64, "<%d>level=%s ",
		    log_level_priorities[level], log_level_names[level]);
	else
		n = snprintf(line, 64, "%.32s: level=%s ", log_name,
		    log_level_names[level]);
	p = log_escape(line + n, msg);
	if (with_errno)
		snprintf(p, 160, " error=\"%s\"", strerror(saved));
	p += strlen(p);
	*p++ = '\n';
	fwrite(line, 1, (size_t)(p - line), stderr);
	errno = saved;
}

#define LOG_BODY(level, with_errno) do {		\
	va_list ap;					\
	va_start(ap, fmt);				\
	log_vwrite(level, with_errno, fmt, ap);		\
	va_end(ap);					\
} while (0)

void log_warn(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_WARN, 1); }
void log_warnx(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_WARN, 0); }
void log_info(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_INFO, 0); }
void log_debug(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_DEBUG, 0); }

void
fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_ERROR, 1);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_ERROR, 0);
	exit(1);
}
