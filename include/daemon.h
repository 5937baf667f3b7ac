/*
 * The daemon: the event loop and everything hung on it.  daemon_run owns
 * the start-up order (load, open, recover, bind, notify systemd, loop) and
 * the tear-down in reverse.  It hands each part what it needs when it
 * makes it: the HTTP layer and its handlers get a struct api_ctx (api.h),
 * the spool the ingest; nothing reaches back up for more.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <stdint.h>

#include "log.h"
#include "rules.h"

struct daemon_options {
	const char	*site;
	const char	*listen;
	const char	*db;
	const char	*spool;
	struct names	 rules;
	enum log_level	 log_level;
};

int		 daemon_run(const struct daemon_options *);

#endif
