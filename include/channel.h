/*
 * Channels: how a notification leaves tocsin.  Each kind is a driver, a
 * struct of functions looked up by name; the log channel is just the
 * simplest driver.  A driver checks its options when the rules load and
 * sends one delivery at a time, reporting back through channel_done.
 */
#ifndef CHANNEL_H
#define CHANNEL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct channel_def;
struct httpc;
struct rules;
struct rules_problems;

enum delivery_result {
	DELIVERY_OK,
	DELIVERY_RETRY,		/* try again later */
	DELIVERY_PERMANENT,	/* never going to work */
};

struct delivery;
typedef void (*delivery_done_cb)(struct delivery *, enum delivery_result,
    const char *, long);

/* One attempt at one outbox row; owned by the outbox. */
struct delivery {
	int64_t				 id;
	char				*key;
	char				*channel;
	char				*raw_body;	/* the message, as stored */
	json_t				*body;	/* parsed: channel_delivery_body */
	int64_t				 obligation;
	int				 attempt;
	int64_t				 started_us;
	int64_t				 slot_at;	/* the rate slot the
							   outbox took, 0: none */
	const struct channel_def	*def;
	struct httpc			*httpc;
	delivery_done_cb		 done;
	void				*arg;

	/* Filled by done, for the outbox to record. */
	char				*ref;	/* the provider's id, for receipts */
	enum delivery_result		 result;
	char				*detail;
	long				 retry_after;
	int64_t				 deadline_at;
};

/*
 * A provider's later word on a message it took: a voice call's result, an
 * SMS's status report.  ref is the provider's id of the message (a driver
 * sets d->ref to it on delivery); a callback names it.  Only answered and
 * delivered mean the person was reached; failed means the message never
 * reached the phone, and it goes to the channel's fallback as a refusal
 * does.
 */
enum channel_receipt_status {
	RECEIPT_ANSWERED,
	RECEIPT_UNANSWERED,
	RECEIPT_BUSY,
	RECEIPT_FAILED,
	RECEIPT_DELIVERED,	/* an SMS on the handset */
	RECEIPT__COUNT
};

struct channel_receipt {
	char				*ref;
	enum channel_receipt_status	 status;
	char				*detail;	/* the provider's code */
};

/*
 * A text a person sent back (an SMS reply): the number as the provider
 * gives it, with its country code when the provider gives that apart.
 */
struct channel_reply {
	char	*phone;
	char	*country;	/* "86", or NULL: in phone, or unknown */
	char	*text;
};

/* What one callback said, and the body the provider wants back. */
struct channel_receipts {
	struct channel_receipt	*v;
	size_t			 n;
	struct channel_reply	*replies;
	size_t			 nreplies;
	const char		*reply;		/* static */
	const char		*reply_type;	/* NULL: JSON */
};

/*
 * One provider callback as it came: the body, the URL the provider called
 * (the site's public_url and the request's path, NULL without a
 * public_url) and a signature header, for the providers that sign.
 */
struct channel_callback {
	const char	*body;
	size_t		 len;
	const char	*url;
	const char	*signature;	/* X-Twilio-Signature, or NULL */
};

const char	*channel_receipt_status_name(enum channel_receipt_status);
void		 channel_receipts_add(struct channel_receipts *, const char *,
		     enum channel_receipt_status, const char *);
void		 channel_receipts_reply(struct channel_receipts *, const char *,
		     const char *, const char *);
void		 channel_receipts_free(struct channel_receipts *);

/*
 * A driver names the options it reads; channel_check_all refuses any other
 * key (beside the ones every channel has, CHANNEL_COMMON_OPTIONS) so a typo
 * in a site file is a load-time error, not a silent default.  check() then
 * looks at the values.  rate_per_minute is the provider's own limit (a
 * DingTalk robot takes 20 a minute), or rate() gives it when it depends on
 * the options (a voice channel's provider); a site's `rate =
 * "N/DURATION"` replaces either.
 */
struct channel_driver {
	const char		 *kind;
	const char *const	 *options;	/* NULL-terminated */
	int			  rate_per_minute;	/* 0: no limit */
	int			(*rate)(const struct channel_def *, int *,
				    int64_t *);
	int			(*check)(const struct channel_def *, char **);
	void			(*send)(struct delivery *);
	/*
	 * A provider's callback to POST /v1/callbacks/{callback_token}: its
	 * body read into receipts and replies, or -1 and a cause; -2 when
	 * its signature is wrong.  NULL: none.
	 */
	int			(*receipts)(const struct channel_def *,
				    const struct channel_callback *,
				    struct channel_receipts *, char **);
};

/* Options the outbox reads for every channel. */
#define CHANNEL_COMMON_OPTIONS \
	"rate", "concurrency", "fallback", "fallback_after", \
	"timeout_ms"


const struct channel_driver	*channel_driver_find(const char *);
json_t				*channel_delivery_body(struct delivery *);
void	channel_check_all(const struct rules *, struct rules_problems *);

extern const struct channel_driver channel_log_driver;
/* A message's text with each acknowledgement link's token cut out. */
char	*channel_log_redact(const char *);
extern const struct channel_driver channel_webhook_driver;
extern const struct channel_driver channel_dingtalk_driver;
extern const struct channel_driver channel_wecom_driver;
extern const struct channel_driver channel_feishu_driver;
extern const struct channel_driver channel_sms_driver;
extern const struct channel_driver channel_voice_driver;

const char	*channel_option_string(const struct channel_def *,
		    const char *);
int		 channel_rate(const struct channel_def *, int *, int64_t *,
		    char **);
long		 channel_option_int(const struct channel_def *, const char *,
		    long);
int		 channel_check_url(const struct channel_def *, char **);
int		 channel_option_known(const char *const *, const char *);

/*
 * A driver whose "provider" option picks a cloud (sms, voice): the
 * options any of its providers reads, its own (taken whatever the
 * provider) and those that are not strings (the driver or the provider
 * checks them), each NULL-terminated.
 */
struct channel_providers {
	const char *const	*options;
	const char *const	*own;
	const char *const	*not_strings;
};

int		 channel_provider_check_keys(const struct channel_def *,
		    const struct channel_providers *, const char *,
		    const char *const *, const char *const *, char **);

/* Pieces the signing drivers share. */
char		*channel_hmac_base64(const void *, size_t, const void *,
		    size_t);
size_t		 channel_utf8_cut(const char *, size_t);
char		*channel_utf8_fit(const char *, size_t);
size_t		 channel_json_len(const char *);
char		*channel_json_fit(const char *, size_t);
int		 channel_json_fit_body(json_t *, json_t *, const char *,
		    const char *, const char *, const char *, size_t);

/*
 * Chat robots (DingTalk, WeCom, Feishu) answer HTTP 200 with a JSON code:
 * 0 is sent, a few codes mean "too fast, later", any other is refused for
 * good.  A driver describes its answers, in a table of the codes its
 * provider documents, and hands them to channel_robot_done.
 */
struct channel_robot_code {
	long			 code;
	int			 retry;		/* too fast or busy: later */
	const char		*means;		/* NULL ends the table */
};

struct channel_robot {
	const char			*name;		/* in failure details */
	const char *const		*code_keys;	/* the first present */
	const char *const		*msg_keys;
	const struct channel_robot_code	*codes;	/* any other: for good */
};

struct httpc_response;

/* The acknowledge button's label on a robot's card. */
#define CHANNEL_ACK_BUTTON	"\xe7\xa1\xae\xe8\xae\xa4\xe6\x94\xb6\xe5\x88\xb0"	/* 确认收到 */

int	 channel_robot_check(const struct channel_def *, char **);
json_t	*channel_robot_mobiles(const json_t *);
void	 channel_robot_post(struct delivery *, const char *, json_t *,
	     void (*)(const struct httpc_response *, void *));
void	 channel_robot_done(struct delivery *, const struct httpc_response *,
	     const struct channel_robot *);

/* Signing helpers that gateways want; OpenSSL libcrypto underneath. */
#define CHANNEL_SHA1_LEN	20
#define CHANNEL_SHA256_LEN	32

void	 channel_hmac_sha1(const void *, size_t, const void *, size_t,
	     unsigned char [CHANNEL_SHA1_LEN]);
void	 channel_hmac_sha256(const void *, size_t, const void *, size_t,
	     unsigned char [CHANNEL_SHA256_LEN]);
void	 channel_sha256_hex(const void *, size_t,
	     char [2 * CHANNEL_SHA256_LEN + 1]);
void	 channel_hex(const unsigned char *, size_t, char *);
char	*channel_base64(const void *, size_t);
unsigned char	*channel_base64_decode(const char *, size_t *, char **);
char	*channel_url_encode(const char *);

#endif
