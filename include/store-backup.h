/*
 * An online copy of a live tocsin database, made from another process by
 * a reader (`tocsinctl backup`): the daemon's one writer connection is
 * never shared and never stopped.
 */
#ifndef STORE_BACKUP_H
#define STORE_BACKUP_H

#include <stdint.h>

struct store_backup_result {
	int64_t		 pages;
	int64_t		 page_size;
	double		 seconds;	/* copying, then checking */
	double		 check_seconds;
	int		 busy;		/* steps that had to wait */
};

int	store_backup(const char *, const char *, int,
	    struct store_backup_result *, char **);

#endif
