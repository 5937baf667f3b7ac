/*
 * Event records (SPEC §2): validation and normalisation of one JSON object.
 * Pure: no I/O, no store, no clock, so it can be fuzzed on its own.
 */
#ifndef RECORD_H
#define RECORD_H

#include <jansson.h>
#include <stdint.h>

#define RECORD_BATCH_MAX	1000	/* events in one body or spool file */
#define RECORD_BY_MAX	256	/* bytes in "by", also for ack and resolve */
/* How far occurred_at may run ahead of receipt: a sender's clock drift. */
#define RECORD_FUTURE_SLACK	(5 * MSEC_PER_MIN)

struct record_error {
	const char	*code;		/* stable machine-readable code */
	int		 status;	/* HTTP status of a refusal; 0: 400 */
	char		 field[64];	/* the offending field, or "" */
	char		 message[256];
};

/*
 * A validated event.  The string fields point into json, which the event
 * owns; they stay valid until record_free.
 */
struct record {
	json_t		*json;		/* normalised record */
	const char	*id;		/* NULL when the client gave none */
	const char	*type;
	const char	*incident;	/* NULL for unit-level events */
	const char	*category;
	const char	*unit;
	const char	*by;
	int		 grade;		/* GRADE_NONE when absent */
	int		 zero;
	int		 drill;		/* RECORD_DRILL, RECORD_NOT_DRILL, 0 */
	int64_t		 occurred_at;
	int64_t		 received_at;
};

/* "drill": true, false; 0 when the event does not say (it inherits). */
#define RECORD_DRILL		1
#define RECORD_NOT_DRILL	(-1)

struct record	*record_parse(json_t *, int64_t, struct record_error *);
struct record	**record_parse_body(const char *, size_t, size_t, int64_t,
		     const char *, size_t *, struct record_error *, int *);
json_t		*record_parse_json(const char *, size_t, size_t,
		     struct record_error *, int *);
void		 record_batch_free(struct record **, size_t);
struct record	*record_new(const char *, const char *, const char *,
		     const char *, int64_t);
void		 record_free(struct record *);
int		 record_grade_parse(json_t *);
int		 record_type_builtin(const char *);
const char *const *record_types_builtin(size_t *);
void		 record_error_set(struct record_error *, const char *,
		     const char *, const char *, ...)
		     __attribute__((format(printf, 4, 5)));
int		 record_valid_utf8(const char *, size_t);
unsigned int	 record_bidi_control(const char *);
size_t		 record_utf8_len(const unsigned char *,
		     const unsigned char *);

#endif
