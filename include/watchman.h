/*
 * A watchman for the watchman.  Nobody is told when tocsin itself goes
 * quiet, so two things watch it:
 *
 *  - the heartbeat: a ping to an external dead-man's switch (a
 *    healthchecks.io check, say) every `every`, sent only while the loop
 *    turns, the store answers, the rules are loaded and delivery is not
 *    stuck.  The switch raises its own alarm when the pings stop.
 *  - the alarm: when the outbox's oldest undelivered message has waited
 *    longer than queued_after, or a channel has failed for failing_after,
 *    the site's alarm role is told on the alarm's own channel; once per
 *    episode, a reminder an hour (remind_every) while it lasts, and a
 *    recovery message when it clears.
 *
 * The episode's logic is pure (watchman-episode.c, on the virtual clock in
 * the unit tests); watchman.c is its timers and its I/O.
 */
#ifndef WATCHMAN_H
#define WATCHMAN_H

#include <stdint.h>

struct engine;
struct event_base;
struct httpc;
struct outbox;
struct rules;
struct store;

/* What an episode says at a check. */
enum watchman_say {
	WATCHMAN_NOTHING,
	WATCHMAN_RAISED,	/* trouble began: tell */
	WATCHMAN_REMINDER,	/* it lasts: tell again, at most each remind */
	WATCHMAN_CLEARED,	/* it ended: say so */
};

/* One kind of trouble (the outbox, or one channel) over time. */
struct watchman_episode {
	int64_t		since;		/* 0: none under way */
	int64_t		told_at;	/* the last raise or reminder */
	int		told;		/* messages in this episode */
};

enum watchman_say watchman_episode_judge(const struct watchman_episode *,
		     int, int64_t, int64_t);
void		 watchman_episode_apply(struct watchman_episode *,
		     enum watchman_say, int64_t);
const char	*watchman_say_name(enum watchman_say);
int		 watchman_outbox_bad(int64_t, int64_t, int64_t);
int		 watchman_channel_bad(int64_t, int64_t, int64_t, int64_t);
char		*watchman_text(enum watchman_say, int, const char *, int64_t,
		     int);

struct watchman	*watchman_new(struct event_base *, struct store *,
		     struct engine *, struct outbox *, struct httpc *,
		     struct rules *);
void		 watchman_set_rules(struct watchman *, struct rules *);
void		 watchman_free(struct watchman *);

#endif
