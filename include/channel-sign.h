/*
 * The request signatures of the Chinese clouds, shared by every driver
 * that talks to them (SMS and voice): Aliyun's RPC signature (HMAC-SHA1
 * over the sorted, RFC 3986-encoded parameters) and Tencent Cloud's API
 * 3.0 TC3-HMAC-SHA256.  Each is one product's API away from the next
 * (dysmsapi and dyvmsapi; sms and vms): only the action, the version and
 * the service name differ, so they are arguments here.
 */
#ifndef CHANNEL_SIGN_H
#define CHANNEL_SIGN_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

struct channel_sign_param {
	const char	*key;
	const char	*value;
};

/* One Aliyun RPC call: the action's own parameters and the common ones. */
struct channel_sign_rpc {
	const char			*access_key_id;
	const char			*access_key_secret;
	const char			*action;
	const char			*version;
	int64_t				 now;	/* ms since the epoch */
	const struct channel_sign_param	*params;
	size_t				 nparams;
};

/* One Tencent Cloud API 3.0 call with a JSON body. */
struct channel_sign_tc3 {
	const char	*secret_id;
	const char	*secret_key;
	const char	*service;	/* "sms", "vms": the credential scope */
	const char	*action;
	const char	*version;
	const char	*region;
	const char	*url;		/* the endpoint: its host is signed */
	const char	*default_host;	/* if url has none we can read */
	const char	*body;
	long long	 ts;		/* seconds since the epoch */
};

#define CHANNEL_SIGN_TC3_CONTENT_TYPE	"application/json; charset=utf-8"

char	*channel_sign_rpc_query(const struct channel_sign_param *, size_t);
char	*channel_sign_rpc_signature(const char *, const char *, const char *);
char	*channel_sign_rpc_body(const struct channel_sign_rpc *);

char	*channel_sign_tc3_authorization(const char *, const char *,
	    const char *, const char *, const char *, long long);
char	*channel_sign_host(const char *, const char *);
void	 channel_sign_tc3_headers(const struct channel_sign_tc3 *,
	    struct curl_slist **);

void	 channel_sign_header(struct curl_slist **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#define CHANNEL_TOKEN_MIN	32	/* characters of a callback token */
#define CHANNEL_TOKEN_MAX	128
int	 channel_callback_token_ok(const char *);

#endif
