/*
 * A generic HTTP SMS gateway, described by the site: url, method,
 * content_type, a body template and extra headers.  {phone}, {text} and
 * {key} in the body are escaped for the content type: as JSON string
 * contents for a JSON type, percent-encoded for a form, as they are
 * otherwise; in the url they are always percent-encoded.  An answer counts
 * as delivered when its status is ok_status (any 2xx without it) and, with
 * ok_match, its body holds that text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel-sign.h"
#include "channel-sms.h"
#include "log.h"
#include "rules.h"
#include "tocsin.h"
#include "xmalloc.h"

#define HTTP_CONTENT_TYPE	"application/json"
#define HTTP_BODY \
	"{\"phone\":\"{phone}\",\"text\":\"{text}\",\"key\":\"{key}\"}"

static const char *const channel_sms_http_options[] = {
	"url", "method", "content_type", "body", "headers", "ok_status",
	"ok_match", NULL
};

static const char *const channel_sms_http_methods[] = {
	"POST", "PUT", "GET", NULL
};

static int
channel_sms_http_method_ok(const char *method)
{
	const char *const	*m;

	for (m = channel_sms_http_methods; *m != NULL; m++) {
		if (strcmp(*m, method) == 0)
			return (1);
	}
	return (0);
}

/* "Name: value", the name an HTTP token, nothing that ends the line. */
static int
channel_sms_http_header_ok(const char *h)
{
	const char	*colon = strchr(h, ':');
	const char	*p;

	if (colon == NULL || colon == h || strpbrk(h, "\r\n") != NULL)
		return (0);
	for (p = h; p < colon; p++) {
		if (*p <= ' ' || *p >= 0x7f || strchr("()<>@,;\\\"/[]?={}",
		    *p) != NULL)
			return (0);
	}
	return (1);
}

static int
channel_sms_http_check_headers(json_t *v, char **cause)
{
	json_t	*h;
	size_t	 i;

	if (v == NULL)
		return (0);
	if (!json_is_array(v)) {
		*cause = xstrdup("\"headers\" must be a list of \"Name: value\"");
		return (-1);
	}
	json_array_foreach(v, i, h) {
		if (!json_is_string(h) ||
		    !channel_sms_http_header_ok(json_string_value(h))) {
			xasprintf(cause, "\"headers\" item %zu is not \"Name: "
			    "value\"", i + 1);
			return (-1);
		}
	}
	return (0);
}

static int
channel_sms_http_check(const struct channel_def *def, char **cause)
{
	json_t		*v;
	const char	*method = channel_option_string(def, "method");

	if (channel_sms_check_url(def, "url", 1, cause) != 0)
		return (-1);
	if (method != NULL && !channel_sms_http_method_ok(method)) {
		*cause = xstrdup("\"method\" must be POST, PUT or GET");
		return (-1);
	}
	v = json_object_get(def->options, "ok_status");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 100 ||
	    json_integer_value(v) > 599)) {
		*cause = xstrdup("\"ok_status\" must be an HTTP status, 100 "
		    "to 599");
		return (-1);
	}
	return (channel_sms_http_check_headers(json_object_get(def->options,
	    "headers"), cause));
}

static void
channel_sms_http_put(FILE *f, const char *value, enum channel_sms_escape esc)
{
	json_t	*s;
	char	*out;
	size_t	 n;

	switch (esc) {
	case CHANNEL_SMS_JSON:
		s = json_string_nocheck(value);
		out = json_dumps(s, JSON_ENCODE_ANY);
		json_decref(s);
		n = out != NULL ? strlen(out) : 0;
		if (n >= 2)	/* without the quotes */
			fwrite(out + 1, 1, n - 2, f);
		free(out);
		break;
	case CHANNEL_SMS_FORM:
		out = channel_url_encode(value);
		fputs(out, f);
		free(out);
		break;
	default:
		fputs(value, f);
		break;
	}
}

/* tmpl with {phone}, {text} and {key} replaced; other braces stay. */
char *
channel_sms_http_render(const char *tmpl, enum channel_sms_escape esc,
    const char *phone, const char *text, const char *key)
{
	const struct {
		const char	*name;
		const char	*value;
	} vars[] = {
		{ "{phone}", phone }, { "{text}", text }, { "{key}", key },
	};
	FILE		*f;
	char		*out = NULL;
	size_t		 len = 0, i;
	const char	*p = tmpl;

	if ((f = open_memstream(&out, &len)) == NULL)
		fatal("sms: open_memstream");
	while (*p != '\0') {
		for (i = 0; i < nitems(vars); i++) {
			if (strncmp(p, vars[i].name, strlen(vars[i].name)) == 0)
				break;
		}
		if (i < nitems(vars)) {
			channel_sms_http_put(f, vars[i].value, esc);
			p += strlen(vars[i].name);
		} else
			fputc(*p++, f);
	}
	if (fclose(f) != 0 || out == NULL)
		fatal("sms: rendering a template");
	return (out);
}

static enum channel_sms_escape
channel_sms_http_escape(const char *content_type)
{
	if (strstr(content_type, "json") != NULL)
		return (CHANNEL_SMS_JSON);
	if (strstr(content_type, "x-www-form-urlencoded") != NULL)
		return (CHANNEL_SMS_FORM);
	return (CHANNEL_SMS_RAW);
}

static void
channel_sms_http_build(const struct channel_sms_msg *m,
    struct channel_sms_request *req)
{
	const struct channel_def	*def = m->def;
	const char			*ctype, *body;
	json_t				*headers, *h;
	size_t				 i;

	req->method = channel_option_string(def, "method");
	if (req->method == NULL)
		req->method = "POST";
	req->url = channel_sms_http_render(channel_option_string(def, "url"),
	    CHANNEL_SMS_FORM, m->phone, m->text, m->key);
	if (strcmp(req->method, "GET") != 0) {
		ctype = channel_option_string(def, "content_type");
		if (ctype == NULL)
			ctype = HTTP_CONTENT_TYPE;
		body = channel_option_string(def, "body");
		req->body = channel_sms_http_render(body != NULL ? body :
		    HTTP_BODY, channel_sms_http_escape(ctype), m->phone,
		    m->text, m->key);
		channel_sign_header(&req->headers, "Content-Type: %s", ctype);
	}
	channel_sign_header(&req->headers, "Idempotency-Key: %s", m->key);
	headers = json_object_get(def->options, "headers");
	json_array_foreach(headers, i, h)
		channel_sign_header(&req->headers, "%s", json_string_value(h));
}

static enum delivery_result
channel_sms_http_answer(json_t *options, const struct httpc_response *r,
    char *detail, size_t len)
{
	json_t		*want = json_object_get(options, "ok_status");
	const char	*match = json_string_value(json_object_get(options,
			    "ok_match"));
	int		 ok;

	ok = json_is_integer(want) ? r->status == json_integer_value(want) :
	    r->status >= 200 && r->status < 300;
	if (ok && (match == NULL || memmem(r->body, r->len, match,
	    strlen(match)) != NULL))
		return (DELIVERY_OK);
	if (ok) {
		snprintf(detail, len, "http: HTTP %ld without ok_match",
		    r->status);
		return (DELIVERY_PERMANENT);
	}
	return (channel_sms_verdict(NULL, "http", NULL, r->status, detail,
	    len));
}

const struct channel_sms_provider channel_sms_http = {
	.name = "http",
	.options = channel_sms_http_options,
	.check = channel_sms_http_check,
	.build = channel_sms_http_build,
	.answer = channel_sms_http_answer,
};
