/*
 * tocsinctl simulate: the daemon's engine on a virtual clock, over a
 * private in-memory store.  Each input line is an event with an extra "at"
 * (its receipt time).  Timers due before an event fire first, each at its
 * own instant; an event and a deadline at the same instant: the event
 * comes first, so a report filed exactly at its deadline is on time.
 * The output is the timeline, one JSON action per line, byte-for-byte the
 * same for the same input.
 *
 * tocsinctl test runs rule tests through the same simulation: events in,
 * actions that must (and must not) come out.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "channel.h"
#include "site.h"
#include "clock.h"
#include "ctl.h"
#include "ctl-simulate.h"
#include "engine.h"
#include "log.h"
#include "record.h"
#include "names.h"
#include "rules.h"
#include "store.h"
#include "timeline.h"
#include "xmalloc.h"

#define SIMULATE_DEFAULT_TAIL	(30 * MSEC_PER_DAY)

/*
 * --credentials DIR: secret() reads $CREDENTIALS_DIRECTORY, which systemd
 * sets for the service; a check by hand sets it to the same directory.
 */
static void
ctl_credentials(const char *dir)
{
	if (setenv("CREDENTIALS_DIRECTORY", dir, 1) != 0)
		fatal("setenv");
}

/* One run of the engine on a virtual clock, over a private store. */
struct simulation {
	struct rules	*rules;
	struct store	*store;
	struct engine	*engine;
	engine_sink	 out;
	void		*arg;
	int64_t		 last;		/* the latest event's receipt time */
	int		 messages;	/* notify actions carry their text */
	int64_t		 message;	/* the outbox row the next notify is */
};

void
simulation_free(struct simulation *sim)
{
	if (sim == NULL)
		return;
	engine_free(sim->engine);
	store_close(sim->store);
	rules_free(sim->rules);
	free(sim);
}

static int
simulation_same(json_t *action, const char *key, const char *value)
{
	const char	*v = json_string_value(json_object_get(action, key));

	return (v != NULL && value != NULL && strcmp(v, value) == 0);
}

/*
 * The text a notify action's recipient reads: the outbox row the engine
 * wrote just before the action (rows of other kinds -- a watchman alarm --
 * are passed over), as {"title", "text"} with the log channel's redaction.
 * The store is idle here: the sink runs after the commit.
 */
static json_t *
simulation_message(struct simulation *sim, json_t *action)
{
	struct store_message	 m;
	json_t			*body, *out = NULL;
	const char		*text;
	char			*redacted;

	while (out == NULL && store_message_get(sim->store, sim->message, &m) ==
	    1) {
		sim->message++;
		if (!simulation_same(action, "recipient", m.recipient) ||
		    !simulation_same(action, "channel", m.channel)) {
			store_message_clear(&m);
			continue;
		}
		body = json_loads(m.body, 0, NULL);
		out = json_object();
		if (json_is_string(json_object_get(body, "title")))
			json_object_set(out, "title", json_object_get(body,
			    "title"));
		text = json_string_value(json_object_get(body, "text"));
		redacted = channel_log_redact(text != NULL ? text : "");
		json_object_set_new(out, "text", json_string(redacted));
		free(redacted);
		json_decref(body);
		store_message_clear(&m);
	}
	return (out);
}

/* The engine's sink: a notify action gains its message when asked. */
static void
simulation_sink(const char *line, void *arg)
{
	struct simulation	*sim = arg;
	json_t			*action, *message;
	char			*text;

	if (!sim->messages || strstr(line, "\"kind\":\"notify\"") == NULL) {
		sim->out(line, sim->arg);
		return;
	}
	action = json_loads(line, 0, NULL);
	if (action == NULL || (message = simulation_message(sim, action)) ==
	    NULL) {
		json_decref(action);
		sim->out(line, sim->arg);
		return;
	}
	json_object_set_new(action, "message", message);
	text = json_dumps(action, JSON_COMPACT | JSON_PRESERVE_ORDER);
	sim->out(text, sim->arg);
	free(text);
	json_decref(action);
}

struct simulation *
simulation_new(const char *site, const struct names *dirs, int messages,
    engine_sink out, void *arg)
{
	struct rules_problems	 problems = { NULL, 0 };
	struct simulation	*sim;
	char			*cause;
	size_t			 i;

	sim = xcalloc(1, sizeof(*sim));
	sim->out = out;
	sim->arg = arg;
	sim->messages = messages;
	sim->message = 1;
	clock_set_virtual(0);
	sim->rules = site_load(site, dirs, &problems);
	if (sim->rules == NULL) {
		for (i = 0; i < problems.n; i++)
			fprintf(stderr, "%s\n", problems.v[i]);
		rules_problems_clear(&problems);
		simulation_free(sim);
		return (NULL);
	}
	if ((sim->store = store_open(":memory:", "OFF", &cause)) == NULL) {
		fprintf(stderr, "tocsinctl: %s\n", cause);
		free(cause);
		simulation_free(sim);
		return (NULL);
	}
	sim->engine = engine_new(sim->store, sim->rules);
	engine_set_sink(sim->engine, simulation_sink, sim);
	return (sim);
}

/* Fire every timer due up to limit, each at its own time. */
int
simulation_run_until(struct simulation *sim, int64_t limit)
{
	struct engine	*e = sim->engine;
	int64_t		 next;

	while ((next = engine_next_due(e)) <= limit) {
		/* A deadline already past when it was set fires now: the
		 * clock never runs backwards, as in the daemon. */
		if (next < clock_now())
			next = clock_now();
		clock_set_virtual(next);
		if (engine_begin(e) != 0 || engine_fire_due(e, next, 1) < 0 ||
		    engine_commit(e, NULL) != 0) {
			engine_rollback(e);
			fprintf(stderr, "tocsinctl: simulate: store failure\n");
			return (-1);
		}
	}
	return (0);
}

/* A line the engine never saw is an event.rejected action of its own. */
static void
simulation_reject(struct simulation *sim, size_t line, const char *reason)
{
	struct action	 a;
	char		*json;

	memset(&a, 0, sizeof(a));
	a.at = sim->last;
	a.kind = "event.rejected";
	a.extra = json_pack("{s:I, s:s}", "line", (json_int_t)line, "reason",
	    reason);
	json = timeline_json(&a);
	json_decref(a.extra);
	sim->out(json, sim->arg);
	free(json);
}

int
simulation_submit(struct simulation *sim, json_t *json, int64_t t,
    struct record_error *err)
{
	struct engine		*e = sim->engine;
	struct record		*rec;
	struct engine_result	 res;
	int			 rc;

	/* Recurring reports start on the day of the first event. */
	if (sim->last == 0) {
		clock_set_virtual(t);
		if (engine_begin(e) != 0 || engine_sync_recurring(e) != 0 ||
		    engine_commit(e, NULL) != 0)
			return (-1);
	}
	if (simulation_run_until(sim, t - 1) != 0)
		return (-1);
	sim->last = t;
	clock_set_virtual(t);
	if ((rec = record_parse(json, t, err)) == NULL)
		return (1);
	if (engine_begin(e) != 0 || engine_request_begin(e) != 0) {
		record_free(rec);
		return (-1);
	}
	rc = engine_submit(e, rec, NULL, &res, err);
	engine_request_end(e, rc == 0);
	record_free(rec);
	if (engine_commit(e, NULL) != 0)
		return (-1);
	return (rc);
}

/* One event with its "at": 0 done (perhaps rejected), -1 fatal. */
static int
simulation_event(struct simulation *sim, json_t *json, size_t lineno)
{
	struct record_error	 err;
	const char		*at;
	int64_t			 t;
	int			 rc;

	at = json_string_value(json_object_get(json, "at"));
	if (at == NULL || calendar_parse_time(at, &t) != 0) {
		simulation_reject(sim, lineno, "each event needs \"at\": an "
		    "RFC 3339 receipt time");
		return (0);
	}
	if (t < sim->last) {
		simulation_reject(sim, lineno, "events must be in time order");
		return (0);
	}
	json = json_deep_copy(json);
	json_object_del(json, "at");
	rc = simulation_submit(sim, json, t, &err);
	json_decref(json);
	if (rc == 1)
		simulation_reject(sim, lineno, err.message);
	return (rc < 0 ? -1 : 0);
}

/* After the last event, time runs on until (a duration or a time). */
static int
simulation_finish(struct simulation *sim, const char *until)
{
	struct duration	 d;
	int64_t		 limit = sim->last + SIMULATE_DEFAULT_TAIL;
	char		*cause;

	if (until != NULL && calendar_parse_time(until, &limit) != 0) {
		if (calendar_parse_duration(until, &d, &cause) != 0) {
			fprintf(stderr, "tocsinctl: until: %s\n", cause);
			free(cause);
			return (-1);
		}
		limit = calendar_add(rules_calendar(sim->rules), sim->last, &d);
	}
	return (simulation_run_until(sim, limit));
}

static void
simulate_print(const char *json, void *arg)
{
	printf("%s\n", json);
}

static int
simulate_file(struct simulation *sim, FILE *f, const char *until)
{
	char		*line = NULL;
	size_t		 cap = 0, lineno = 0;
	ssize_t		 len;
	json_t		*json;
	json_error_t	 jerr;
	int		 rc = 0;

	while (rc == 0 && (len = getline(&line, &cap, f)) != -1) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if ((json = json_loads(line, 0, &jerr)) == NULL) {
			simulation_reject(sim, lineno, jerr.text);
			continue;
		}
		rc = simulation_event(sim, json, lineno);
		json_decref(json);
	}
	free(line);
	return (rc == 0 ? simulation_finish(sim, until) : -1);
}

int
ctl_simulate(const struct ctl_env *env, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "rules", required_argument, NULL, 'r' },
		{ "events", required_argument, NULL, 'e' },
		{ "until", required_argument, NULL, 'u' },
		{ "credentials", required_argument, NULL, 'C' },
		{ "messages", no_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	struct names		 dirs = { NULL, 0 };
	const char		*site = NULL, *events = NULL, *until = NULL;
	struct simulation	*sim = NULL;
	FILE			*f = NULL;
	int			 ch, rc = 1, messages = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': site = optarg; break;
		case 'r': names_add(&dirs, optarg); break;
		case 'e': events = optarg; break;
		case 'u': until = optarg; break;
		case 'C': ctl_credentials(optarg); break;
		case 'm': messages = 1; break;
		default: goto usage;
		}
	}
	if (site == NULL || events == NULL || optind != argc)
		goto usage;
	if ((f = strcmp(events, "-") == 0 ? stdin : fopen(events, "r")) ==
	    NULL) {
		fprintf(stderr, "tocsinctl: %s: %s\n", events, strerror(errno));
		goto out;
	}
	if ((sim = simulation_new(site, &dirs, messages, simulate_print,
	    NULL)) != NULL)
		rc = simulate_file(sim, f, until) == 0 ? 0 : 1;
out:
	if (f != NULL && f != stdin)
		fclose(f);
	simulation_free(sim);
	names_free(&dirs);
	return (rc);
usage:
	fprintf(stderr, "usage: tocsinctl simulate -c SITE [--rules DIR]... "
	    "[--credentials DIR] --events FILE.jsonl "
	    "[--until DURATION|RFC3339] [--messages]\n");
	names_free(&dirs);
	return (2);
}

/*
 * A rule test file is checked before it runs: a misspelt key ("expcet"),
 * action kind ("escalation.setp") or field ("reciepient") would otherwise
 * make a test that cannot fail.  Each is an error naming the file and the
 * key, with the nearest known word when one is close.
 */
static const char *const test_file_keys[] = { "site", "rules", "tests" };
static const char *const test_case_keys[] = {
	"name", "events", "until", "expect", "absent", "ledger",
};
/*
 * "ledger": what the compliance ledger counts once the test has run, over
 * all time: the obligations of the record (drills left out, as GET
 * /v1/compliance has it) and those of drills alone.
 */
static const char *const test_ledger_keys[] = { "record", "drills" };
/* An expected action's "message": what the recipient reads. */
static const char *const test_message_keys[] = { "contains", "title", "text" };

static void
test_unknown(const char *file, const char *where, const char *what,
    const char *word, const char *const *v, size_t n)
{
	char	near[128];

	fprintf(stderr, "%s: %s%sunknown %s \"%s\"%s\n", file, where,
	    *where ? ": " : "", what, word, names_suggest(word, v, n, near,
	    sizeof(near)));
}

static int
test_known(const char *word, const char *const *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(word, v[i]) == 0)
			return (1);
	}
	return (0);
}

/* Each key of o must be one of v: the number of problems. */
static size_t
test_check_keys(const char *file, const char *where, json_t *o,
    const char *const *v, size_t n)
{
	const char	*key;
	json_t		*val;
	size_t		 bad = 0;

	json_object_foreach(o, key, val) {
		if (!test_known(key, v, n)) {
			test_unknown(file, where, "key", key, v, n);
			bad++;
		}
	}
	return (bad);
}

/*
 * The kinds and fields a test may name: every one the timeline knows, and
 * every one this run's actions have (so a field added to the engine and
 * not yet to timeline.c's table is no false alarm where it shows).
 */
struct test_words {
	const char	**v;
	size_t		  n;
};

static void
test_words_add(struct test_words *w, const char *word)
{
	if (test_known(word, w->v, w->n))
		return;
	w->v = xreallocarray(w->v, w->n + 1, sizeof(*w->v));
	w->v[w->n++] = word;
}

/* "message": { "contains": TEXT or [TEXT...], "title", "text" }. */
static size_t
test_check_message(const char *file, const char *where, json_t *m)
{
	json_t	*c, *v;
	size_t	 i, keys, bad = 0;

	if (!json_is_object(m)) {
		fprintf(stderr, "%s: %s: \"message\" must be an object: "
		    "{\"contains\": TEXT}\n", file, where);
		return (1);
	}
	keys = test_check_keys(file, where, m, test_message_keys,
	    nitems(test_message_keys));
	c = json_object_get(m, "contains");
	if (json_is_array(c)) {
		json_array_foreach(c, i, v)
			bad += !json_is_string(v);
	} else
		bad += c != NULL && !json_is_string(c);
	bad += (v = json_object_get(m, "title")) != NULL && !json_is_string(v);
	bad += (v = json_object_get(m, "text")) != NULL && !json_is_string(v);
	if (bad > 0)
		fprintf(stderr, "%s: %s: \"message\": \"contains\" takes a "
		    "text or a list of texts, \"title\" and \"text\" a text\n",
		    file, where);
	return (keys + bad);
}

/* Partial actions in expect or absent: known fields, known kinds. */
static size_t
test_check_actions(const char *file, const char *name, const char *list,
    json_t *wants, const struct test_words *fields,
    const struct test_words *kinds)
{
	json_t		*want, *v;
	const char	*key;
	char		 where[256];
	size_t		 i, bad = 0;

	json_array_foreach(wants, i, want) {
		snprintf(where, sizeof(where), "test \"%s\": %s[%zu]", name,
		    list, i);
		if (!json_is_object(want)) {
			fprintf(stderr, "%s: %s: not an object\n", file, where);
			bad++;
			continue;
		}
		json_object_foreach(want, key, v) {
			if (!test_known(key, fields->v, fields->n)) {
				test_unknown(file, where, "action field", key,
				    fields->v, fields->n);
				bad++;
			}
		}
		if ((v = json_object_get(want, "message")) != NULL)
			bad += test_check_message(file, where, v);
		v = json_object_get(want, "kind");
		if (v != NULL && (!json_is_string(v) || !test_known(
		    json_string_value(v), kinds->v, kinds->n))) {
			test_unknown(file, where, "action kind",
			    json_is_string(v) ? json_string_value(v) : "?",
			    kinds->v, kinds->n);
			bad++;
		}
	}
	return (bad);
}

/*
 * A test's events in time order, or a problem for the first that is not:
 * the simulation rejects an event earlier than the one before it, and a
 * test would then run without it and could pass testing nothing.
 */
static size_t
test_check_order(const char *file, const char *where, json_t *events)
{
	json_t		*ev;
	const char	*at, *last_at = NULL, *id;
	int64_t		 t, last = 0;
	size_t		 i, last_i = 0;

	json_array_foreach(events, i, ev) {
		at = json_string_value(json_object_get(ev, "at"));
		if (at == NULL || calendar_parse_time(at, &t) != 0)
			continue;	/* the simulation rejects it, said */
		if (last_at != NULL && t < last) {
			id = json_string_value(json_object_get(ev, "id"));
			fprintf(stderr, "%s: %s: event %zu%s%s%s (at %s) comes "
			    "before event %zu (at %s): a test's events must "
			    "be in time order\n", file, where, i + 1,
			    id != NULL ? " (id \"" : "", id != NULL ? id : "",
			    id != NULL ? "\")" : "", at, last_i + 1, last_at);
			return (1);
		}
		last = t;
		last_at = at;
		last_i = i;
	}
	return (0);
}

/* The shape of a test file: the number of problems, each printed. */
static size_t
test_check_file(const char *file, json_t *doc)
{
	json_t		*t, *v;
	char		 where[256];
	size_t		 i, bad;
	const char	*lists[] = { "events", "expect", "absent" }, *name;
	size_t		 l;

	bad = test_check_keys(file, "", doc, test_file_keys,
	    nitems(test_file_keys));
	if ((v = json_object_get(doc, "rules")) != NULL && !json_is_array(v)) {
		fprintf(stderr, "%s: \"rules\" must be a list\n", file);
		bad++;
	}
	if (!json_is_array(json_object_get(doc, "tests"))) {
		fprintf(stderr, "%s: needs \"tests\": a list of tests\n", file);
		return (bad + 1);
	}
	json_array_foreach(json_object_get(doc, "tests"), i, t) {
		if (!json_is_object(t)) {
			fprintf(stderr, "%s: test %zu: not an object\n", file,
			    i + 1);
			bad++;
			continue;
		}
		name = json_string_value(json_object_get(t, "name"));
		if (name != NULL)
			snprintf(where, sizeof(where), "test \"%s\"", name);
		else
			snprintf(where, sizeof(where), "test %zu", i + 1);
		bad += test_check_keys(file, where, t, test_case_keys,
		    nitems(test_case_keys));
		if ((v = json_object_get(t, "ledger")) != NULL &&
		    !json_is_object(v)) {
			fprintf(stderr, "%s: %s: \"ledger\" must be an "
			    "object\n", file, where);
			bad++;
		} else if (v != NULL)
			bad += test_check_keys(file, where, v,
			    test_ledger_keys, nitems(test_ledger_keys));
		for (l = 0; l < nitems(lists); l++) {
			v = json_object_get(t, lists[l]);
			if (v != NULL && !json_is_array(v)) {
				fprintf(stderr, "%s: %s: \"%s\" must be a "
				    "list\n", file, where, lists[l]);
				bad++;
			}
		}
		if (json_is_array(v = json_object_get(t, "events")))
			bad += test_check_order(file, where, v);
	}
	return (bad);
}

static void
test_collect(const char *json, void *arg)
{
	json_array_append_new(arg, json_loads(json, 0, NULL));
}

/* Is piece in the message's title or text? */
static int
test_message_has(json_t *have, json_t *piece)
{
	const char	*p = json_string_value(piece), *t;

	if ((t = json_string_value(json_object_get(have, "text"))) != NULL &&
	    strstr(t, p) != NULL)
		return (1);
	t = json_string_value(json_object_get(have, "title"));
	return (t != NULL && strstr(t, p) != NULL);
}

/* A notify action's message against a test's "message" (checked). */
static int
test_message_matches(json_t *have, json_t *want)
{
	json_t	*c = json_object_get(want, "contains"), *v;
	size_t	 i;

	if (!json_is_object(have))
		return (0);
	if ((v = json_object_get(want, "title")) != NULL &&
	    !json_equal(json_object_get(have, "title"), v))
		return (0);
	if ((v = json_object_get(want, "text")) != NULL &&
	    !json_equal(json_object_get(have, "text"), v))
		return (0);
	if (json_is_string(c))
		return (test_message_has(have, c));
	json_array_foreach(c, i, v) {
		if (!test_message_has(have, v))
			return (0);
	}
	return (1);
}

/*
 * Does action have every key of want with an equal value?  A "message"
 * is matched by its parts: contained text, an equal title or text.
 */
static int
test_matches(json_t *action, json_t *want)
{
	const char	*key;
	json_t		*v;

	json_object_foreach(want, key, v) {
		if (strcmp(key, "message") == 0) {
			if (!test_message_matches(json_object_get(action,
			    key), v))
				return (0);
		} else if (!json_equal(json_object_get(action, key), v))
			return (0);
	}
	return (1);
}

static void
test_say(const char *name, const char *what, json_t *item)
{
	char	*text = json_dumps(item, JSON_COMPACT | JSON_PRESERVE_ORDER);

	printf("FAIL %s: %s %s\n", name, what, text);
	free(text);
}

static int
test_ledger_tally(const char *unit, enum obligation_status st, int64_t n,
    void *arg)
{
	(void)unit;
	(void)st;
	*(int64_t *)arg += n;
	return (0);
}

/* The ledger's obligations of all time, the drills kept as drill says. */
static int64_t
test_ledger_count(struct simulation *sim, enum store_drill drill)
{
	int64_t	n = 0;

	if (store_ledger_counts(sim->store, INT64_MIN, INT64_MAX, NULL, drill,
	    INT_MAX, test_ledger_tally, &n) != 0)
		return (-1);
	return (n);
}

/* Each number "ledger" names must be the one counted: failures. */
static size_t
test_ledger(const char *name, json_t *want, const int64_t have[2])
{
	size_t	i, failed = 0;
	json_t	*v;

	for (i = 0; i < nitems(test_ledger_keys); i++) {
		v = json_object_get(want, test_ledger_keys[i]);
		if (v == NULL || (json_is_integer(v) &&
		    json_integer_value(v) == have[i]))
			continue;
		printf("FAIL %s: the ledger's %s: %lld, not %s\n", name,
		    test_ledger_keys[i], (long long)have[i], json_is_integer(v) ?
		    "the number expected" : "a number as the test should say");
		failed++;
	}
	return (failed);
}

/*
 * One test: its events through a fresh engine, then every "expect" must be
 * found in order and no "absent" anywhere, and the ledger must count what
 * "ledger" says.  Returns 0 pass, 1 fail, -1 error.
 */
static int
test_one(const char *file, const char *site, const struct names *dirs,
    json_t *t, size_t idx)
{
	struct simulation	*sim;
	json_t			*actions = json_array(), *ev, *want, *v;
	const char		*name = json_string_value(json_object_get(t,
				    "name")), *key, *const *kv;
	struct test_words	 fields = { NULL, 0 }, kinds = { NULL, 0 };
	char			 fallback[32];
	size_t			 i, j = 0, failed = 0, nk;
	int64_t			 ledger[2];
	int			 rc = 0;

	if (name == NULL) {
		snprintf(fallback, sizeof(fallback), "test %zu", idx + 1);
		name = fallback;
	}
	if ((sim = simulation_new(site, dirs, 1, test_collect, actions)) ==
	    NULL) {
		json_decref(actions);
		return (-1);
	}
	json_array_foreach(json_object_get(t, "events"), i, ev) {
		if ((rc = simulation_event(sim, ev, i + 1)) != 0)
			break;
	}
	if (rc == 0)
		rc = simulation_finish(sim, json_string_value(json_object_get(t,
		    "until")));
	ledger[0] = test_ledger_count(sim, STORE_DRILL_EXCLUDE);
	ledger[1] = test_ledger_count(sim, STORE_DRILL_ONLY);
	simulation_free(sim);
	if (rc != 0) {
		json_decref(actions);
		return (-1);
	}
	for (i = 0; timeline_field_name(i) != NULL; i++)
		test_words_add(&fields, timeline_field_name(i));
	/* Not the engine's: simulate --messages adds it to each notify. */
	test_words_add(&fields, "message");
	kv = timeline_kind_names(&nk);
	for (i = 0; i < nk; i++)
		test_words_add(&kinds, kv[i]);
	json_array_foreach(actions, i, ev) {
		json_object_foreach(ev, key, v)
			test_words_add(&fields, key);
		if (json_is_string(json_object_get(ev, "kind")))
			test_words_add(&kinds, json_string_value(
			    json_object_get(ev, "kind")));
	}
	j = test_check_actions(file, name, "expect", json_object_get(t,
	    "expect"), &fields, &kinds) + test_check_actions(file, name,
	    "absent", json_object_get(t, "absent"), &fields, &kinds);
	free(fields.v);
	free(kinds.v);
	if (j > 0) {
		printf("FAIL %s: the test names what no action has (above)\n",
		    name);
		json_decref(actions);
		return (1);
	}
	json_array_foreach(json_object_get(t, "expect"), i, want) {
		while (j < json_array_size(actions) &&
		    !test_matches(json_array_get(actions, j), want))
			j++;
		if (j == json_array_size(actions)) {
			test_say(name, "expected, not found (in this order):",
			    want);
			failed++;
			break;
		}
		j++;
	}
	json_array_foreach(json_object_get(t, "absent"), i, want) {
		json_array_foreach(actions, j, ev) {
			if (test_matches(ev, want)) {
				test_say(name, "must not happen, but did:", ev);
				failed++;
				break;
			}
		}
	}
	if ((want = json_object_get(t, "ledger")) != NULL)
		failed += test_ledger(name, want, ledger);
	if (failed > 0) {
		printf("  timeline of %s:\n", name);
		json_array_foreach(actions, i, ev) {
			char *text = json_dumps(ev, JSON_COMPACT |
			    JSON_PRESERVE_ORDER);

			printf("    %s\n", text);
			free(text);
		}
	} else
		printf("ok %s\n", name);
	json_decref(actions);
	return (failed > 0);
}

/*
 * test FILE...: each file is JSON { "site": path relative to the file,
 * "rules": [dirs], "tests": [ { "name", "events": [...], "until",
 * "expect": [partial actions, in order], "absent": [...] } ] }.
 */
int
ctl_test(const struct ctl_env *env, int argc, char **argv)
{
	json_t		*doc, *t, *dir;
	json_error_t	 jerr;
	struct names	 dirs;
	char		*copy, *base, *site;
	size_t		 i, j, passed = 0, failed = 0;
	int		 f, rc;

	if (argc < 2) {
		fprintf(stderr, "usage: tocsinctl test FILE...\n");
		return (2);
	}
	for (f = 1; f < argc; f++) {
		if ((doc = json_load_file(argv[f], 0, &jerr)) == NULL) {
			fprintf(stderr, "%s:%d: %s\n", argv[f], jerr.line,
			    jerr.text);
			failed++;
			continue;
		}
		if (!json_is_string(json_object_get(doc, "site"))) {
			fprintf(stderr, "%s: needs \"site\": the site file, "
			    "relative to the test file\n", argv[f]);
			json_decref(doc);
			failed++;
			continue;
		}
		if (test_check_file(argv[f], doc) > 0) {
			printf("FAIL %s: not a valid rule test file (above)\n",
			    argv[f]);
			json_decref(doc);
			failed++;
			continue;
		}
		copy = xstrdup(argv[f]);
		base = dirname(copy);
		xasprintf(&site, "%s/%s", base, json_string_value(
		    json_object_get(doc, "site")));
		memset(&dirs, 0, sizeof(dirs));
		json_array_foreach(json_object_get(doc, "rules"), i, dir) {
			char	*path;

			xasprintf(&path, "%s/%s", base, json_string_value(dir));
			names_add(&dirs, path);
			free(path);
		}
		json_array_foreach(json_object_get(doc, "tests"), j, t) {
			rc = test_one(argv[f], site, &dirs, t, j);
			if (rc == 0)
				passed++;
			else
				failed++;
		}
		names_free(&dirs);
		free(site);
		free(copy);
		json_decref(doc);
	}
	printf("%zu passed, %zu failed\n", passed, failed);
	return (failed == 0 ? 0 : 1);
}

/* check -c SITE [--rules DIR]...: what tocsind --check does. */
int
ctl_check(const struct ctl_env *env, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "rules", required_argument, NULL, 'r' },
		{ "credentials", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	struct names		 dirs = { NULL, 0 };
	const char		*site = NULL;
	int			 ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': site = optarg; break;
		case 'r': names_add(&dirs, optarg); break;
		case 'C': ctl_credentials(optarg); break;
		default:
			names_free(&dirs);
			return (2);
		}
	}
	if (site == NULL) {
		fprintf(stderr, "usage: tocsinctl check -c SITE [--rules "
		    "DIR]... [--credentials DIR]\n");
		names_free(&dirs);
		return (2);
	}
	rc = site_report(site, &dirs, stdout);
	names_free(&dirs);
	return (rc);
}
