/*
 * The process_* families every Prometheus client library exports, with
 * the same names, types and meanings, read from /proc as client_golang's
 * process collector reads them: CPU time, memory, start time from
 * /proc/self/stat (and the boot time in /proc/stat), open descriptors
 * from /proc/self/fd, the limit from RLIMIT_NOFILE.  So the dashboards and
 * alerts written for any exporter (a descriptor count near its limit, a
 * restart) work for tocsind as they are.  Read at each scrape, on the
 * loop: a few small reads and one directory of at most the fd limit.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "metrics.h"

/* A small /proc file whole into buf; -1 if it cannot be read. */
static int
metrics_process_read(const char *path, char *buf, size_t size)
{
	ssize_t	n;
	size_t	len = 0;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return (len > 0 ? 0 : -1);
}

/*
 * The boot time, "btime" in /proc/stat, or -1.  Read line by line: the
 * interrupt line before it is long on a machine with many of them.
 */
static long long
metrics_process_btime(void)
{
	FILE		*f;
	char		*line = NULL;
	size_t		 size = 0;
	long long	 btime = -1;

	if ((f = fopen("/proc/stat", "re")) == NULL)
		return (-1);
	while (getline(&line, &size, f) != -1) {
		if (sscanf(line, "btime %lld", &btime) == 1)
			break;
	}
	free(line);
	fclose(f);
	return (btime);
}

/*
 * The fields of /proc/self/stat (proc(5)) after the command, which is in
 * parentheses and may itself hold spaces and ')': so read from the last
 * ')'.  0, or -1 if it is not as proc(5) says.
 */
int
metrics_process_parse(const char *stat, long long btime, long ticks,
    long page, struct metrics_process *out)
{
	unsigned long long	 v[22];		/* fields 3 to 24 */
	const char		*p = strrchr(stat, ')');
	char			*end;
	size_t			 i;

	if (p == NULL || btime < 0 || ticks <= 0 || page <= 0 ||
	    p[1] != ' ' || p[2] == '\0')
		return (-1);
	p += 3;				/* past ") " and the state */
	v[0] = 0;
	for (i = 1; i < sizeof(v) / sizeof(*v); i++) {
		while (*p == ' ')
			p++;
		v[i] = strtoull(p, &end, 10);
		if (end == p)
			return (-1);
		p = end;
	}
	/* utime 14, stime 15, starttime 22, vsize 23, rss 24 */
	out->cpu_seconds = (double)(v[14 - 3] + v[15 - 3]) / (double)ticks;
	out->start_time = (double)btime + (double)v[22 - 3] / (double)ticks;
	out->virtual_bytes = v[23 - 3];
	out->resident_bytes = v[24 - 3] * (unsigned long long)page;
	return (0);
}

/* Open descriptors, not counting the one used to count them. */
static long
metrics_process_fds(void)
{
	DIR		*dir;
	struct dirent	*de;
	long		 n = 0;

	if ((dir = opendir("/proc/self/fd")) == NULL)
		return (-1);
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] != '.')
			n++;
	}
	closedir(dir);
	return (n - 1);
}

/* Each family with its HELP and TYPE; one a reading failed is left out. */
void
metrics_process_write(struct evbuffer *buf)
{
	struct metrics_process	 p;
	struct rlimit		 rl;
	static long long	 btime = -1;	/* the boot does not move */
	char			 stat[1024];
	long			 fds;

	if (btime < 0)
		btime = metrics_process_btime();
	if (metrics_process_read("/proc/self/stat", stat, sizeof(stat)) == 0 &&
	    metrics_process_parse(stat, btime, sysconf(_SC_CLK_TCK),
	    sysconf(_SC_PAGESIZE), &p) == 0) {
		metrics_family(buf, "process_cpu_seconds_total");
		evbuffer_add_printf(buf, "process_cpu_seconds_total %.2f\n",
		    p.cpu_seconds);
		metrics_family(buf, "process_virtual_memory_bytes");
		metrics_sample(buf, "process_virtual_memory_bytes",
		    (int64_t)p.virtual_bytes, NULL);
		metrics_family(buf, "process_resident_memory_bytes");
		metrics_sample(buf, "process_resident_memory_bytes",
		    (int64_t)p.resident_bytes, NULL);
		metrics_family(buf, "process_start_time_seconds");
		evbuffer_add_printf(buf, "process_start_time_seconds %.2f\n",
		    p.start_time);
	}
	if ((fds = metrics_process_fds()) >= 0) {
		metrics_family(buf, "process_open_fds");
		metrics_sample(buf, "process_open_fds", fds, NULL);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		metrics_family(buf, "process_max_fds");
		metrics_sample(buf, "process_max_fds", rl.rlim_cur ==
		    RLIM_INFINITY ? INT64_MAX : (int64_t)rl.rlim_cur, NULL);
	}
}
