/*
 * tocsinctl's subcommands, one function each: ctl-api.c talks to a running
 * daemon over HTTP; ctl-simulate.c runs the engine itself on a virtual
 * clock; ctl-backup.c copies a live database as a reader.  Each returns
 * the process exit status.
 */
#ifndef CTL_H
#define CTL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct ctl_env {
	const char	*url;		/* the daemon, e.g. http://127.0.0.1:8470 */
	const char	*token;		/* bearer token for writes, or NULL */
};

int	ctl_post(const struct ctl_env *, int, char **);
int	ctl_incidents(const struct ctl_env *, int, char **);
int	ctl_show(const struct ctl_env *, int, char **);
int	ctl_ack(const struct ctl_env *, int, char **);
int	ctl_resolve(const struct ctl_env *, int, char **);
int	ctl_compliance(const struct ctl_env *, int, char **);
int	ctl_compliance_summary(const struct ctl_env *, const char *, int);
int	ctl_stats(const struct ctl_env *, int, char **);
int	ctl_status(const struct ctl_env *, int, char **);
int	ctl_prune(const struct ctl_env *, int, char **);
int	ctl_backup(const struct ctl_env *, int, char **);
int	ctl_backup_pg(const char *, int, const char *);
int	ctl_migrate(const struct ctl_env *, int, char **);
int	ctl_simulate(const struct ctl_env *, int, char **);
int	ctl_replay(const struct ctl_env *, int, char **);
/* replay's comparison of one incident's timelines: the changes (to free). */
json_t	*ctl_replay_diff(json_t *, json_t *, int64_t);
int	ctl_test(const struct ctl_env *, int, char **);
int	ctl_check(const struct ctl_env *, int, char **);

/* ctl-http.c: one request to the daemon; its JSON, or NULL (said why). */
json_t	*ctl_request(const struct ctl_env *, const char *, const char *,
	    const char *, size_t, long *);

#endif
