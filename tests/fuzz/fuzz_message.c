/*
 * Fuzz message templates (src/message.c): message_check, which guards
 * every template a rule file sets, and message_render, which fills them.
 *
 * Checked besides the sanitizers: a template that passes the check only
 * ever asks for placeholders of the documented list; rendering with no
 * values gives the text with "{{" and "}}" halved and placeholders gone;
 * a reason name maps to a reason and back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "message.h"
#include "tocsin.h"

#include "fuzz.h"

/* The placeholders rule authors are told about (docs, message.c). */
static const char *placeholders[] = {
	"title", "incident", "unit", "unit_name", "grade", "color",
	"procedure", "obligation", "due", "late", "step", "period",
	"recipient", "ack_url", "to", "channel", "error", "text", "category",
};

struct render {
	int	checked;	/* the template passed message_check */
	int	calls;
};

static const char *
value_cb(const char *name, void *arg)
{
	struct render	*r = arg;
	size_t		 i;
	int		 known = 0;

	r->calls++;
	for (i = 0; i < nitems(placeholders); i++)
		known |= strcmp(placeholders[i], name) == 0;
	if (r->checked)
		FUZZ_CHECK(known);
	/* A value with braces must come out as it is, not be re-read. */
	return (known ? "{v}" : NULL);
}

static const char *
null_cb(const char *name, void *arg)
{
	return (NULL);
}

/* What rendering with no values must give, done the obvious way. */
static char *
expect_bare(const char *t)
{
	char		*out = malloc(strlen(t) + 1), *o = out;
	const char	*end;

	FUZZ_CHECK(out != NULL);
	while (*t != '\0') {
		if ((t[0] == '{' && t[1] == '{') || (t[0] == '}' && t[1] == '}')) {
			*o++ = *t;
			t += 2;
		} else if (*t == '{' && (end = strchr(t, '}')) != NULL &&
		    end - t - 1 < 32)
			t = end + 1;
		else
			*o++ = *t++;
	}
	*o = '\0';
	return (out);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init("fuzz_message", LOG_LEVEL_ERROR);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct render	 r = { 0, 0 };
	char		*t, *cause = NULL, *out, *want;
	int		 reason;

	if ((t = malloc(size + 1)) == NULL)
		return (0);
	memcpy(t, data, size);
	t[size] = '\0';

	if ((reason = message_reason(t)) >= 0) {
		FUZZ_CHECK(reason < MESSAGE__COUNT);
		FUZZ_CHECK(strcmp(message_reason_name(reason), t) == 0);
		FUZZ_CHECK(message_check(message_default(reason), &cause) == 0);
	}

	if (message_check(t, &cause) == 0)
		r.checked = 1;
	else {
		FUZZ_CHECK(cause != NULL);
		free(cause);
	}
	out = message_render(t, value_cb, &r);
	FUZZ_CHECK(out != NULL);
	free(out);

	out = message_render(t, null_cb, NULL);
	want = expect_bare(t);
	FUZZ_CHECK(strcmp(out, want) == 0);
	free(want);
	free(out);
	free(t);
	return (0);
}
