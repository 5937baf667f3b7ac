/*
 * One min-heap of (due time, timer id) for every deadline tocsin keeps.
 * The rows live in the store's timers table; the heap is a cache of them,
 * rebuilt at start-up.  A row deleted from the store leaves a stale entry
 * that is skipped when it comes up, so cancelling costs nothing here.
 */
#ifndef TIMER_H
#define TIMER_H

#include <stddef.h>
#include <stdint.h>

struct timer_heap;

struct timer_heap	*timer_heap_new(void);
void			 timer_heap_free(struct timer_heap *);
void			 timer_heap_clear(struct timer_heap *);
void			 timer_heap_push(struct timer_heap *, int64_t, int64_t);
int			 timer_heap_peek(const struct timer_heap *, int64_t *,
			     int64_t *);
void			 timer_heap_pop(struct timer_heap *);
size_t			 timer_heap_size(const struct timer_heap *);

#endif
