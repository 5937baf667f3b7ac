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
 *
 * A field's value is quoted here, not by each caller: wherever a format
 * has "key=%s", the string is written bare if it is a plain token and
 * double-quoted (\" and \\ escaped) if it is empty or holds a space, a
 * quote, an '=' or a backslash.  So an incident key, a unit, a file name
 * or an error text can never end its field early and forge another one
 * ("x reason=forged" is written incident="x reason=forged"), and no call
 * site can forget to.  log_format walks the format itself for that,
 * taking each argument by the type its conversion names, which the
 * printf attribute on every log function has the compiler check.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
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

/* Must s be quoted to stay one field's value? */
static int
log_needs_quotes(const char *s)
{
	if (*s == '\0')
		return (1);
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s <= 0x20 || *s == 0x7f || *s == '"' ||
		    *s == '=' || *s == '\\')
			return (1);
	}
	return (0);
}

struct log_buf {
	char	*p;
	size_t	 len, size;	/* size includes the NUL */
};

static void
log_add(struct log_buf *b, const char *s, size_t n)
{
	if (b->len + 1 >= b->size)
		return;
	if (n > b->size - 1 - b->len)
		n = b->size - 1 - b->len;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* A field's value: bare when it can be, quoted when it must be. */
static void
log_add_value(struct log_buf *b, const char *s)
{
	if (!log_needs_quotes(s)) {
		log_add(b, s, strlen(s));
		return;
	}
	log_add(b, "\"", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			log_add(b, "\\", 1);
		log_add(b, s, 1);
	}
	log_add(b, "\"", 1);
}

enum log_length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T,
    LEN_BIG_L };

static const struct {
	const char	*text;
	enum log_length	 length;
} log_lengths[] = {	/* the longer first: "hh" before "h" */
	{ "hh", LEN_HH }, { "h", LEN_H }, { "ll", LEN_LL }, { "l", LEN_L },
	{ "z", LEN_Z }, { "j", LEN_J }, { "t", LEN_T }, { "L", LEN_BIG_L },
};

/* One conversion with the '*' width and precision it takes, if any. */
#define LOG_PIECE(type) do {						\
	type v_ = va_arg(*ap, type);					\
	if (star_w && star_p)						\
		snprintf(piece, size, spec, w, pr, v_);			\
	else if (star_w || star_p)					\
		snprintf(piece, size, spec, star_w ? w : pr, v_);	\
	else								\
		snprintf(piece, size, spec, v_);			\
} while (0)

/*
 * Format the conversion spec ("%-8.*lld" and the like, checked by the
 * compiler) into piece, taking its arguments from ap.  0 if it is one
 * this formatter does not know (%n, %ls): the line ends there.
 */
static int
log_conversion(char *piece, size_t size, const char *spec, int star_w,
    int star_p, enum log_length length, char conv, va_list *ap)
{
	int	w = star_w ? va_arg(*ap, int) : 0;
	int	pr = star_p ? va_arg(*ap, int) : 0;

	switch (conv) {
	case 'd': case 'i':
		switch (length) {
		case LEN_L: LOG_PIECE(long); break;
		case LEN_LL: LOG_PIECE(long long); break;
		case LEN_Z: LOG_PIECE(ssize_t); break;
		case LEN_J: LOG_PIECE(intmax_t); break;
		case LEN_T: LOG_PIECE(ptrdiff_t); break;
		default: LOG_PIECE(int); break;
		}
		return (1);
	case 'u': case 'o': case 'x': case 'X':
		switch (length) {
		case LEN_L: LOG_PIECE(unsigned long); break;
		case LEN_LL: LOG_PIECE(unsigned long long); break;
		case LEN_Z: LOG_PIECE(size_t); break;
		case LEN_J: LOG_PIECE(uintmax_t); break;
		case LEN_T: LOG_PIECE(ptrdiff_t); break;
		default: LOG_PIECE(unsigned int); break;
		}
		return (1);
	case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a':
	case 'A':
		if (length == LEN_BIG_L)
			LOG_PIECE(long double);
		else
			LOG_PIECE(double);
		return (1);
	case 'c':
		if (length != LEN_NONE)
			return (0);
		LOG_PIECE(int);
		return (1);
	case 's':
		if (length != LEN_NONE)
			return (0);
		LOG_PIECE(const char *);
		return (1);
	case 'p':
		LOG_PIECE(void *);
		return (1);
	}
	return (0);
}

/*
 * vsnprintf, but a string right after '=' is a field's value: written
 * bare or quoted by log_add_value.  Returns the length written.
 */
static size_t
log_format(char *out, size_t size, const char *fmt, va_list ap)
{
	struct log_buf	 b = { out, 0, size };
	enum log_length	 length;
	const char	*p = fmt, *start;
	char		 spec[32], piece[LOG_LINE_MAX], conv;
	size_t		 i, n;
	int		 star_w, star_p;
	va_list		 aq;

	out[0] = '\0';
	va_copy(aq, ap);
	while (*p != '\0') {
		n = strcspn(p, "%");
		log_add(&b, p, n);
		if (p[n] == '\0')
			break;
		start = p += n;
		if (p[1] == '%') {
			log_add(&b, "%", 1);
			p += 2;
			continue;
		}
		p += 1 + strspn(p + 1, "-+ #0");
		star_w = *p == '*';
		p += star_w ? 1 : strspn(p, "0123456789");
		star_p = 0;
		if (*p == '.') {
			star_p = *++p == '*';
			p += star_p ? 1 : strspn(p, "0123456789");
		}
		length = LEN_NONE;
		for (i = 0; i < sizeof(log_lengths) / sizeof(*log_lengths);
		    i++) {
			n = strlen(log_lengths[i].text);
			if (strncmp(p, log_lengths[i].text, n) == 0) {
				length = log_lengths[i].length;
				p += n;
				break;
			}
		}
		if ((conv = *p++) == '\0' || (size_t)(p - start) >=
		    sizeof(spec))
			break;
		memcpy(spec, start, (size_t)(p - start));
		spec[p - start] = '\0';
		if (!log_conversion(piece, sizeof(piece), spec, star_w, star_p,
		    length, conv, &aq))
			break;
		if (conv == 's' && start > fmt && start[-1] == '=')
			log_add_value(&b, piece);
		else
			log_add(&b, piece, strlen(piece));
	}
	va_end(aq);
	return (b.len);
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
	log_format(msg, sizeof(msg), fmt, ap);
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
