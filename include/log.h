/*
 * Logging in the OpenBSD daemon shape.  Lines go to stderr (journald keeps
 * them) as "level=LEVEL subsystem: what happened key=value ...".  Write a
 * field as key=%s and log.c quotes its value when it must (so a value
 * with a space cannot forge a field); a string anywhere else in the
 * format is message text, written as it is.  Secrets — channel
 * secrets, tokens, gateway URLs, acknowledgement links — must never be
 * passed here.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void	log_init(const char *, enum log_level);
int	log_level_parse(const char *, enum log_level *);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
