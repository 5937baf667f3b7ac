/*
 * tocsinctl's one HTTP client: a request to the daemon's API and its JSON
 * answer, for every subcommand that talks to a running daemon (ctl-api.c,
 * ctl-ledger.c, ctl-stats.c, ctl-backup.c).  It stands apart so that
 * those files call down to it, not into each other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "ctl.h"
#include "xmalloc.h"

#define CTL_BODY_MAX	(64 * 1024 * 1024)

struct ctl_buf {
	char	*data;
	size_t	 len;
};

static size_t
ctl_write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct ctl_buf	*b = arg;
	size_t		 len = size * n;

	if (b->len + len > CTL_BODY_MAX)
		return (0);
	b->data = xreallocarray(b->data, 1, b->len + len + 1);
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return (len);
}

/* One request; the parsed JSON answer, or NULL after printing why. */
json_t *
ctl_request(const struct ctl_env *env, const char *method, const char *path,
    const char *body, size_t len, long *status)
{
	CURL			*c;
	struct curl_slist	*h = NULL;
	struct ctl_buf		 b = { NULL, 0 };
	char			*url, *auth, err[CURL_ERROR_SIZE] = "";
	const char		*msg;
	json_t			*json = NULL;
	json_error_t		 jerr;
	CURLcode		 rc;

	if ((c = curl_easy_init()) == NULL) {
		fprintf(stderr, "tocsinctl: cannot start libcurl\n");
		return (NULL);
	}
	xasprintf(&url, "%s%s", env->url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ctl_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	/* The daemon takes no write without it (a browser's defence). */
	if (strcmp(method, "POST") == 0)
		h = curl_slist_append(h, "Content-Type: application/json");
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	}
	if (env->token != NULL) {
		xasprintf(&auth, "Authorization: Bearer %s", env->token);
		h = curl_slist_append(h, auth);
		free(auth);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	rc = curl_easy_perform(c);
	*status = 0;
	if (rc != CURLE_OK)
		fprintf(stderr, "tocsinctl: %s: %s\n", url, err[0] ? err :
		    curl_easy_strerror(rc));
	else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
		json = b.data != NULL ? json_loads(b.data, 0, &jerr) : NULL;
		if (json == NULL)
			fprintf(stderr, "tocsinctl: %s: HTTP %ld, not JSON\n",
			    url, *status);
	}
	if (json != NULL && *status >= 400) {
		msg = json_string_value(json_object_get(json_object_get(json,
		    "error"), "message"));
		fprintf(stderr, "tocsinctl: HTTP %ld: %s\n", *status,
		    msg != NULL ? msg : "(no error message)");
		json_decref(json);
		json = NULL;
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(url);
	free(b.data);
	return (json);
}
