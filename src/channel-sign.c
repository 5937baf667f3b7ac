/*
 * Request signatures for Aliyun (RPC style, SignatureVersion 1.0) and
 * Tencent Cloud (API 3.0, TC3-HMAC-SHA256), for the SMS and voice drivers.
 *
 * Aliyun (help.aliyun.com, "RPC风格请求体/签名机制"):
 *
 *	base64(HMAC-SHA1(secret + "&",
 *	    METHOD + "&%2F&" + enc(sorted "enc(k)=enc(v)" joined by "&")))
 *
 * with enc() RFC 3986 percent-encoding (channel_url_encode).
 * SignatureNonce is random for every attempt: Aliyun refuses a nonce it
 * has already seen (SignatureNonceUsed), so an idempotency key there would
 * turn every retry into a failure.
 *
 * Tencent (cloud.tencent.com/document/api/362/4208, "签名方法 v3"):
 *
 *	canonical request = "POST\n/\n\n" + "content-type:…\nhost:…\n\n" +
 *	    "content-type;host\n" + hex(SHA-256(body))
 *	string to sign    = "TC3-HMAC-SHA256\n" + timestamp + "\n" +
 *	    date + "/" + service + "/tc3_request\n" +
 *	    hex(SHA-256(canonical request))
 *	key               = HMAC("TC3" + SecretKey, date) → service →
 *	    "tc3_request", each step an HMAC-SHA256 keyed by the last
 *
 * The host signed is the endpoint's (with its port, as curl sends it), and
 * the same Host header is sent so the two cannot differ.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "channel-sign.h"
#include "channel.h"
#include "log.h"
#include "tocsin.h"
#include "xmalloc.h"

/*
 * Append a header line built printf-style.  The line may hold a secret
 * (an Authorization): it is wiped before it is freed.
 */
void
channel_sign_header(struct curl_slist **h, const char *fmt, ...)
{
	va_list	 ap;
	char	*line;

	va_start(ap, fmt);
	xvasprintf(&line, fmt, ap);
	va_end(ap);
	*h = curl_slist_append(*h, line);
	explicit_bzero(line, strlen(line));
	free(line);
}

static int
channel_sign_param_cmp(const void *a, const void *b)
{
	const struct channel_sign_param	*pa = a, *pb = b;

	return (strcmp(pa->key, pb->key));
}

/* The canonical query: parameters sorted by name, each side encoded. */
char *
channel_sign_rpc_query(const struct channel_sign_param *params, size_t n)
{
	struct channel_sign_param	*sorted;
	char				*out, *next, *k, *v;
	size_t				 i;

	sorted = xreallocarray(NULL, n, sizeof(*sorted));
	memcpy(sorted, params, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), channel_sign_param_cmp);
	out = xstrdup("");
	for (i = 0; i < n; i++) {
		k = channel_url_encode(sorted[i].key);
		v = channel_url_encode(sorted[i].value);
		xasprintf(&next, "%s%s%s=%s", out, i > 0 ? "&" : "", k, v);
		free(k);
		free(v);
		free(out);
		out = next;
	}
	free(sorted);
	return (out);
}

/*
 * The Signature parameter for a canonical query sent with method (we POST;
 * Aliyun's worked example is a GET), before form-encoding.
 */
char *
channel_sign_rpc_signature(const char *method, const char *secret,
    const char *query)
{
	unsigned char	 mac[CHANNEL_SHA1_LEN];
	char		*enc, *text, *key, *sig;

	enc = channel_url_encode(query);
	xasprintf(&text, "%s&%%2F&%s", method, enc);
	xasprintf(&key, "%s&", secret);
	channel_hmac_sha1(key, strlen(key), text, strlen(text), mac);
	sig = channel_base64(mac, sizeof(mac));
	explicit_bzero(key, strlen(key));
	free(key);
	free(text);
	free(enc);
	return (sig);
}

/* The common parameters every RPC call carries, in a fixed order. */
#define RPC_COMMON	8

/*
 * The form body of one signed POST: the call's parameters, the common
 * ones with a fresh nonce and the time, and the Signature.
 */
char *
channel_sign_rpc_body(const struct channel_sign_rpc *c)
{
	struct channel_sign_param	*all;
	unsigned char			 raw[16];
	char				 nonce[2 * sizeof(raw) + 1], ts[32];
	char				*query, *sig, *esig, *body;
	time_t				 t = (time_t)(c->now / MSEC_PER_SEC);
	struct tm			 tm;
	size_t				 n = 0;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		fatalx("sign: no random bytes for a signature nonce");
	channel_hex(raw, sizeof(raw), nonce);
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	all = xreallocarray(NULL, c->nparams + RPC_COMMON, sizeof(*all));
	all[n++] = (struct channel_sign_param){ "AccessKeyId",
	    c->access_key_id };
	all[n++] = (struct channel_sign_param){ "Action", c->action };
	all[n++] = (struct channel_sign_param){ "Format", "JSON" };
	all[n++] = (struct channel_sign_param){ "SignatureMethod",
	    "HMAC-SHA1" };
	all[n++] = (struct channel_sign_param){ "SignatureNonce", nonce };
	all[n++] = (struct channel_sign_param){ "SignatureVersion", "1.0" };
	all[n++] = (struct channel_sign_param){ "Timestamp", ts };
	all[n++] = (struct channel_sign_param){ "Version", c->version };
	memcpy(all + n, c->params, c->nparams * sizeof(*all));
	query = channel_sign_rpc_query(all, n + c->nparams);
	sig = channel_sign_rpc_signature("POST", c->access_key_secret, query);
	esig = channel_url_encode(sig);
	xasprintf(&body, "%s&Signature=%s", query, esig);
	free(esig);
	free(sig);
	free(query);
	free(all);
	return (body);
}

/* One step of the key derivation: k becomes HMAC(k, text). */
static void
channel_sign_tc3_derive(unsigned char k[CHANNEL_SHA256_LEN], const char *text)
{
	unsigned char	next[CHANNEL_SHA256_LEN];

	channel_hmac_sha256(k, CHANNEL_SHA256_LEN, text, strlen(text), next);
	memcpy(k, next, sizeof(next));
	explicit_bzero(next, sizeof(next));
}

/* The value of the Authorization header for body sent at ts to host. */
char *
channel_sign_tc3_authorization(const char *secret_id, const char *secret_key,
    const char *service, const char *host, const char *body, long long ts)
{
	unsigned char	 k[CHANNEL_SHA256_LEN], mac[CHANNEL_SHA256_LEN];
	char		 date[16], hashed[2 * CHANNEL_SHA256_LEN + 1];
	char		 sig[2 * CHANNEL_SHA256_LEN + 1];
	char		*creq, *sts, *key, *out;
	time_t		 t = (time_t)ts;
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	channel_sha256_hex(body, strlen(body), hashed);
	xasprintf(&creq, "POST\n/\n\ncontent-type:%s\nhost:%s\n\n"
	    "content-type;host\n%s", CHANNEL_SIGN_TC3_CONTENT_TYPE, host,
	    hashed);
	channel_sha256_hex(creq, strlen(creq), hashed);
	xasprintf(&sts, "TC3-HMAC-SHA256\n%lld\n%s/%s/tc3_request\n%s", ts,
	    date, service, hashed);

	xasprintf(&key, "TC3%s", secret_key);
	channel_hmac_sha256(key, strlen(key), date, strlen(date), k);
	channel_sign_tc3_derive(k, service);
	channel_sign_tc3_derive(k, "tc3_request");
	channel_hmac_sha256(k, sizeof(k), sts, strlen(sts), mac);
	channel_hex(mac, sizeof(mac), sig);
	xasprintf(&out, "TC3-HMAC-SHA256 Credential=%s/%s/%s/tc3_request, "
	    "SignedHeaders=content-type;host, Signature=%s", secret_id, date,
	    service, sig);

	explicit_bzero(k, sizeof(k));
	explicit_bzero(key, strlen(key));
	free(key);
	free(sts);
	free(creq);
	return (out);
}

/* host[:port] of a URL, as curl puts it in the Host header. */
char *
channel_sign_host(const char *url, const char *dflt)
{
	CURLU	*u = curl_url();
	char	*host = NULL, *port = NULL, *out;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		out = xstrdup(dflt);
	else if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
		xasprintf(&out, "%s:%s", host, port);
	else
		out = xstrdup(host);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return (out);
}

/* The headers of one signed API 3.0 POST of c->body to c->url. */
void
channel_sign_tc3_headers(const struct channel_sign_tc3 *c,
    struct curl_slist **h)
{
	char	*host, *auth;

	host = channel_sign_host(c->url, c->default_host);
	auth = channel_sign_tc3_authorization(c->secret_id, c->secret_key,
	    c->service, host, c->body, c->ts);
	channel_sign_header(h, "Content-Type: %s",
	    CHANNEL_SIGN_TC3_CONTENT_TYPE);
	channel_sign_header(h, "Host: %s", host);
	channel_sign_header(h, "Authorization: %s", auth);
	channel_sign_header(h, "X-TC-Action: %s", c->action);
	channel_sign_header(h, "X-TC-Version: %s", c->version);
	channel_sign_header(h, "X-TC-Timestamp: %lld", c->ts);
	channel_sign_header(h, "X-TC-Region: %s", c->region);
	explicit_bzero(auth, strlen(auth));
	free(auth);
	free(host);
}

/*
 * A callback token is the whole credential of a provider's callback path
 * (voice results, SMS reports and replies): long enough not to be
 * guessed, and of characters a URL path keeps as they are.
 */
int
channel_callback_token_ok(const char *t)
{
	size_t	n = strlen(t);

	return (n >= CHANNEL_TOKEN_MIN && n <= CHANNEL_TOKEN_MAX &&
	    strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") == n);
}
