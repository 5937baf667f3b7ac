/*
 * A compact JSON writer that writes the bytes jansson's json_dumps() writes
 * with JSON_COMPACT, for the texts the daemon makes at every event (the
 * stored event, the outbox body, the timeline, the HTTP answer) without
 * building or walking jansson objects more than it must.
 */
#ifndef JSONW_H
#define JSONW_H

#include <jansson.h>
#include <stddef.h>

struct jsonw {
	char	*p;		/* always NUL-terminated */
	size_t	 len;
	size_t	 cap;
	int	 bad;		/* a string was not UTF-8, a value not JSON */
};

void	 jsonw_init(struct jsonw *, size_t);
char	*jsonw_take(struct jsonw *);
void	 jsonw_free(struct jsonw *);
void	 jsonw_raw(struct jsonw *, const char *, size_t);
void	 jsonw_open(struct jsonw *, char);
void	 jsonw_close(struct jsonw *, char);
int	 jsonw_string(struct jsonw *, const char *, size_t);
void	 jsonw_key(struct jsonw *, const char *);
void	 jsonw_str(struct jsonw *, const char *, const char *);
void	 jsonw_int(struct jsonw *, const char *, long long);
int	 jsonw_value(struct jsonw *, const json_t *);
char	*jsonw_dumps(const json_t *);

#endif
