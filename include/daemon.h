/*
 * The daemon: the event loop and everything hung on it.  daemon_run owns
 * the start-up order (load, open, recover, bind, notify systemd, loop) and
 * the tear-down in reverse.  The API handlers reach the parts through the
 * accessors below.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <stdint.h>

#include "log.h"
#include "rules.h"

struct daemon;
struct engine;
struct ingest;
struct outbox;
struct prune;
struct spool;
struct store;

struct daemon_options {
	const char	*site;
	const char	*listen;
	const char	*db;
	const char	*spool;
	struct names	 rules;
	enum log_level	 log_level;
};

/* What GET /v1/status says of the daemon itself. */
struct daemon_info {
	const char	*site;
	int64_t		 started_at;
	int64_t		 rules_loaded_at;	/* start-up or last good reload */
};

int		 daemon_run(const struct daemon_options *);
struct engine	*daemon_engine(struct daemon *);
struct store	*daemon_store(struct daemon *);
struct ingest	*daemon_ingest(struct daemon *);
struct outbox	*daemon_outbox(struct daemon *);
struct rules	*daemon_rules(struct daemon *);
struct prune	*daemon_prune(struct daemon *);
struct spool	*daemon_spool(struct daemon *);
int64_t		 daemon_started_at(struct daemon *);
const struct daemon_info *daemon_info(struct daemon *);
void		 daemon_after_commit(struct daemon *);

#endif
