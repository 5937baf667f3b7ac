/*
 * The watchman's judgement, with no I/O: when trouble is trouble, when an
 * episode of it begins, is recalled and ends, and what the office reads.
 * An episode is told once when it begins, again at most once each
 * remind_every while it lasts, and once when it ends; the caller applies
 * what was said only after the message is committed, so a failed commit
 * says it again at the next check.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tocsin.h"
#include "watchman.h"
#include "xmalloc.h"

/*
 * A channel's last failure older than this no longer counts: nothing has
 * been tried on it since (the outbox retries at least every 5 minutes
 * while anything waits), so there is nothing to judge it by.
 */
#define WATCHMAN_FAILURE_FRESH	(10 * MSEC_PER_MIN)

static const char *watchman_says[] = {
	[WATCHMAN_NOTHING] = "nothing",
	[WATCHMAN_RAISED] = "raised",
	[WATCHMAN_REMINDER] = "reminder",
	[WATCHMAN_CLEARED] = "cleared",
};

const char *
watchman_say_name(enum watchman_say say)
{
	return (watchman_says[say]);
}

enum watchman_say
watchman_episode_judge(const struct watchman_episode *ep, int bad,
    int64_t now, int64_t remind_every)
{
	if (ep->since == 0)
		return (bad ? WATCHMAN_RAISED : WATCHMAN_NOTHING);
	if (!bad)
		return (WATCHMAN_CLEARED);
	if (now - ep->told_at >= remind_every)
		return (WATCHMAN_REMINDER);
	return (WATCHMAN_NOTHING);
}

/* What was said is now committed: the episode moves on. */
void
watchman_episode_apply(struct watchman_episode *ep, enum watchman_say say,
    int64_t now)
{
	switch (say) {
	case WATCHMAN_RAISED:
		ep->since = now;
		/* FALLTHROUGH */
	case WATCHMAN_REMINDER:
		ep->told_at = now;
		ep->told++;
		break;
	case WATCHMAN_CLEARED:
		ep->since = ep->told_at = 0;
		ep->told = 0;
		break;
	case WATCHMAN_NOTHING:
		break;
	}
}

/* The oldest undelivered message (made at oldest, 0: none) waits too long. */
int
watchman_outbox_bad(int64_t oldest, int64_t now, int64_t queued_after)
{
	return (oldest != 0 && now - oldest >= queued_after);
}

/* A channel failing since `since`, last at `last`, has failed too long. */
int
watchman_channel_bad(int64_t since, int64_t last, int64_t now,
    int64_t failing_after)
{
	return (since != 0 && now - since >= failing_after &&
	    now - last < WATCHMAN_FAILURE_FRESH);
}

/* "1小时20分钟", "45秒": how long, for a duty officer. */
static void
watchman_duration(int64_t ms, char *buf, size_t len)
{
	int64_t	s = ms / MSEC_PER_SEC, m = s / 60, h = m / 60, d = h / 24;

	if (d > 0)
		snprintf(buf, len, "%lld天%lld小时", (long long)d,
		    (long long)(h % 24));
	else if (h > 0)
		snprintf(buf, len, "%lld小时%lld分钟", (long long)h,
		    (long long)(m % 60));
	else if (m > 0)
		snprintf(buf, len, "%lld分钟", (long long)m);
	else
		snprintf(buf, len, "%lld秒", (long long)(s > 0 ? s : 0));
}

/*
 * What the office reads of the outbox (channel: its oldest message's) or
 * of a failing channel: age is how long the trouble has lasted, told the
 * episode's messages so far.
 */
char *
watchman_text(enum watchman_say say, int outbox, const char *channel,
    int64_t age, int told)
{
	const char	*about = channel != NULL ? channel : "?";
	char		 how[64], *text, *head;

	watchman_duration(age, how, sizeof(how));
	if (say == WATCHMAN_CLEARED) {
		if (outbox)
			xasprintf(&text, "【告警系统自检·恢复】通知积压已消除"
			    "（持续%s）。", how);
		else
			xasprintf(&text, "【告警系统自检·恢复】通道“%s”已恢复"
			    "发送（故障持续%s）。", about, how);
		return (text);
	}
	if (say == WATCHMAN_REMINDER)
		xasprintf(&head, "【告警系统自检·仍未恢复，第%d次提醒】", told);
	else
		head = xstrdup("【告警系统自检】");
	if (outbox)
		xasprintf(&text, "%s通知积压：最早一条未送出的通知（通道“%s”）"
		    "已等待%s。请检查网关和网络，必要时改用电话等方式通知。",
		    head, about, how);
	else
		xasprintf(&text, "%s通道“%s”已连续%s发送失败，经它发出的通知"
		    "可能未送达。请检查网关和网络，必要时改用电话等方式通知。",
		    head, about, how);
	free(head);
	return (text);
}
