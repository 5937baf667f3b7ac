/*
 * Fuzz the daemon's HTTP request path with the bytes a client sends.
 *
 * The listener is the daemon's own (http_new_fd: the same evhttp settings,
 * limits and route table as http_new), on a Unix socket; each input is
 * written down a fresh client connection, and libevent parses it and hands
 * it to http.c: route matching, the bearer token check, the body limit and
 * JSON, record validation, ingest's group commit into a real store, and
 * every GET handler over that store.  Only daemon.c is left out: this file
 * stands in for its accessors, with the example site and rule pack, two
 * ingest tokens, and an in-memory store emptied (store_empty) before every
 * input, so an input replays the same on its own.  The store starts with
 * one acknowledgement link, for incident "inc-1", so that a report of it
 * and then the link's pages can come in one input.
 *
 * An input that starts with byte 0x01 has it dropped and the client shuts
 * its side down at once (a client that leaves before its answer);
 * otherwise the client reads what comes back, then closes.
 *
 * Checked besides the sanitizers: everything the client sent is answered
 * or dropped, and once the client has gone the daemon frees the
 * connection and nothing is left pending.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "api.h"
#include "site.h"
#include "clock.h"
#include "daemon.h"
#include "engine.h"
#include "http.h"
#include "httpc.h"
#include "ingest.h"
#include "log.h"
#include "outbox.h"
#include "prune.h"
#include "rules.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

#include "fuzz.h"

/* 2026-03-02T09:00:00+08:00, a Monday morning. */
#define FUZZ_NOW	1772413200000LL
/* A small body limit, so that 413 is in reach of a small input. */
#define FUZZ_BODY_LIMIT	2048
/* An acknowledgement link's token, known to the store from the start. */
#define FUZZ_ACK_TOKEN	"0123456789abcdef0123456789abcdef"
/* Loop turns a request may take to be answered, and to be let go. */
#define FUZZ_TURNS	400

/* Tokens: one for every unit, one limited to hospital-a. */
static const char tokens_text[] =
    "token \"all\" { secret = \"fuzz-token-every-unit-0001\" }\n"
    "token \"a-only\" { secret = \"fuzz-token-hospital-a-002\", units = "
    "{ \"hospital-a\" } }\n";

/* What daemon.c holds; the API handlers are handed api. */
struct fuzz_daemon {
	struct event_base	*base;
	struct rules		*rules;
	struct store		*store;
	struct engine		*engine;
	struct httpc		*httpc;
	struct outbox		*outbox;
	struct ingest		*ingest;
	struct prune		*prune;
	struct http		*http;
	struct daemon_info	 info;
	struct api_ctx		 api;
};

static struct fuzz_daemon fd_;
static char		 dir[64], sock_path[128], tok_path[128];
static int		 settled;	/* events pending with no client */
static int		 verbose;	/* FUZZ_VERBOSE=1: show the answers */

static void
cleanup(void)
{
	unlink(sock_path);
	unlink(tok_path);
	rmdir(dir);
}

static struct rules *
load_rules(void)
{
	struct rules_problems	 problems = { NULL, 0 };
	struct names		 dirs = { NULL, 0 };
	struct rules		*r;
	struct site		*site;
	FILE			*f;
	size_t			 i;

	snprintf(tok_path, sizeof(tok_path), "%s/tokens.lua", dir);
	if ((f = fopen(tok_path, "w")) == NULL)
		abort();
	fputs(tokens_text, f);
	fclose(f);
	names_add(&dirs, FUZZ_SRCDIR "/rules/example");
	names_add(&dirs, FUZZ_SRCDIR "/rules/holidays");
	names_add(&dirs, dir);
	r = site_load(FUZZ_SRCDIR "/rules/example/example-site.lua", &dirs,
	    &problems);
	for (i = 0; i < problems.n; i++)
		fprintf(stderr, "fuzz_http: %s\n", problems.v[i]);
	rules_problems_clear(&problems);
	names_free(&dirs);
	if (r == NULL)
		exit(1);
	/* The example site sets neither; the daemon would read them so. */
	site = (struct site *)rules_site(r);
	site->body_limit = FUZZ_BODY_LIMIT;
	free(site->public_url);
	site->public_url = xstrdup("https://tocsin.example.invalid/");
	return (r);
}

/*
 * An empty store, and what hangs on it, for each input.  The store is
 * opened once (its schema and statements cost more than the request) and
 * emptied, table by table, before each input.
 */
static void
state_open(void)
{
	struct store_ack_link	 link = { FUZZ_ACK_TOKEN, "inc-1", "sun",
				    FUZZ_NOW };
	char			*cause;

	clock_set_virtual(FUZZ_NOW);
	if (fd_.store == NULL &&
	    (fd_.store = store_open(":memory:", "OFF", &cause)) == NULL) {
		fprintf(stderr, "fuzz_http: %s\n", cause);
		exit(1);
	}
	if (store_empty(fd_.store) != 0)
		abort();
	/* A link as a message would carry, for the incident "inc-1". */
	if (store_ack_link_add(fd_.store, &link) != 0)
		abort();
	fd_.engine = engine_new(fd_.store, fd_.rules);
	if (engine_recover(fd_.engine) != 0)
		abort();
	fd_.outbox = outbox_new(fd_.base, fd_.store, fd_.httpc, fd_.engine,
	    fd_.rules);
	fd_.ingest = ingest_new(fd_.base, fd_.engine, NULL, NULL);
	fd_.prune = prune_new(fd_.base, fd_.store);
	fd_.api = (struct api_ctx){ .store = fd_.store, .engine = fd_.engine,
	    .ingest = fd_.ingest, .prune = fd_.prune, .rules = fd_.rules,
	    .info = &fd_.info };
	fd_.info.site = "fuzz-site.lua";
	fd_.info.started_at = fd_.info.rules_loaded_at = FUZZ_NOW;
}

static void
state_close(void)
{
	prune_free(fd_.prune);
	ingest_free(fd_.ingest);
	outbox_free(fd_.outbox);
	engine_free(fd_.engine);
	fd_.prune = NULL;
	fd_.ingest = NULL;
	fd_.outbox = NULL;
	fd_.engine = NULL;
}

static int
pending(void)
{
	return (event_base_get_num_events(fd_.base, EVENT_BASE_COUNT_ACTIVE |
	    EVENT_BASE_COUNT_ADDED));
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_un	 sun;
	char			*cause;
	int			 fd;

	verbose = getenv("FUZZ_VERBOSE") != NULL;
	log_init("fuzz_http", verbose ? LOG_LEVEL_INFO : LOG_LEVEL_ERROR);
	unsetenv("CREDENTIALS_DIRECTORY");
	snprintf(dir, sizeof(dir), "/tmp/fuzz_http.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	atexit(cleanup);
	fd_.rules = load_rules();

	snprintf(sock_path, sizeof(sock_path), "%s/http.sock", dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(fd, 16) != 0)
		abort();
	if ((fd_.base = event_base_new()) == NULL)
		abort();
	fd_.httpc = httpc_new(fd_.base);
	fd_.http = http_new_fd(fd_.base, &fd_.api, fd, FUZZ_BODY_LIMIT,
	    &cause);
	if (fd_.http == NULL) {
		fprintf(stderr, "fuzz_http: %s\n", cause);
		exit(1);
	}
	state_open();
	settled = pending();
	state_close();
	return (0);
}

static int
client_connect(void)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		abort();
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		abort();
	return (fd);
}

/* Read what the daemon sent; 1 once it has closed its side. */
static int
client_drain(int fd, size_t *got)
{
	char	buf[16384];
	ssize_t	n;

	for (;;) {
		if ((n = read(fd, buf, sizeof(buf))) > 0) {
			*got += (size_t)n;
			if (verbose)
				fwrite(buf, 1, (size_t)n, stderr);
			continue;
		}
		if (n == 0)
			return (1);
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return (0);
		if (errno == ECONNRESET)
			return (1);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t	off = 0, got = 0, last = 0;
	ssize_t	n;
	int	fd, half = 0, eof = 0, turn, idle = 0;

	if (size > 0 && data[0] == 0x01) {
		half = 1;
		data++;
		size--;
	}
	state_open();
	fd = client_connect();
	for (turn = 0; turn < FUZZ_TURNS && !eof; turn++) {
		if (off < size) {
			n = write(fd, data + off, size - off);
			if (n > 0)
				off += (size_t)n;
			else if (n == -1 && errno != EAGAIN && errno != EPIPE &&
			    errno != ECONNRESET)
				abort();
			if (n == -1 && errno != EAGAIN)
				off = size;	/* the daemon hung up */
		}
		if (off == size && half == 1) {
			shutdown(fd, SHUT_WR);
			half = 2;
		}
		event_base_loop(fd_.base, EVLOOP_NONBLOCK);
		eof = client_drain(fd, &got);
		/* Sent, answered as far as it goes, and nothing to do. */
		idle = off == size && got == last && pending() <= settled + 1 ?
		    idle + 1 : 0;
		last = got;
		if (idle > 3)
			break;
	}
	close(fd);

	/* Gone: the daemon must let the connection go and settle. */
	for (turn = 0; turn < FUZZ_TURNS && pending() > settled; turn++)
		event_base_loop(fd_.base, EVLOOP_NONBLOCK);
	FUZZ_CHECK(pending() == settled);
	state_close();
	return (0);
}
