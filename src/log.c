/*
 * Log lines to stderr with a level, in key=value form.  The _warn and fatal
 * variants append strerror(errno) the way err(3) does; errno is preserved
 * across every call so callers can log and then inspect it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static const char	*log_name = "tocsin";
static enum log_level	 log_max = LOG_LEVEL_INFO;

static const char *log_level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void
log_init(const char *name, enum log_level level)
{
	log_name = name;
	log_max = level;
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

static void
log_vwrite(enum log_level level, int with_errno, const char *fmt, va_list ap)
{
	int	 saved = errno;
	char	 msg[2048];

	if (level > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno)
		fprintf(stderr, "%s: level=%s %s error=\"%s\"\n", log_name,
		    log_level_names[level], msg, strerror(saved));
	else
		fprintf(stderr, "%s: level=%s %s\n", log_name,
		    log_level_names[level], msg);
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
