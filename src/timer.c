/*
 * A binary min-heap ordered by due time, then by timer id so that timers
 * due at the same instant fire in the order they were made: simulate's
 * output depends on it.
 */
#include <stdlib.h>

#include "timer.h"
#include "xmalloc.h"

struct timer_entry {
	int64_t	at;
	int64_t	id;
};

struct timer_heap {
	struct timer_entry	*v;
	size_t			 n;
	size_t			 cap;
};

static int
timer_less(const struct timer_entry *a, const struct timer_entry *b)
{
	return (a->at < b->at || (a->at == b->at && a->id < b->id));
}

struct timer_heap *
timer_heap_new(void)
{
	return (xcalloc(1, sizeof(struct timer_heap)));
}

void
timer_heap_free(struct timer_heap *h)
{
	if (h == NULL)
		return;
	free(h->v);
	free(h);
}

void
timer_heap_clear(struct timer_heap *h)
{
	h->n = 0;
}

void
timer_heap_push(struct timer_heap *h, int64_t at, int64_t id)
{
	struct timer_entry	e = { at, id };
	size_t			i, parent;

	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 64;
		h->v = xreallocarray(h->v, h->cap, sizeof(*h->v));
	}
	i = h->n++;
	while (i > 0) {
		parent = (i - 1) / 2;
		if (!timer_less(&e, &h->v[parent]))
			break;
		h->v[i] = h->v[parent];
		i = parent;
	}
	h->v[i] = e;
}

int
timer_heap_peek(const struct timer_heap *h, int64_t *at, int64_t *id)
{
	if (h->n == 0)
		return (0);
	*at = h->v[0].at;
	*id = h->v[0].id;
	return (1);
}

void
timer_heap_pop(struct timer_heap *h)
{
	struct timer_entry	last;
	size_t			i = 0, child;

	if (h->n == 0)
		return;
	last = h->v[--h->n];
	for (;;) {
		child = 2 * i + 1;
		if (child >= h->n)
			break;
		if (child + 1 < h->n && timer_less(&h->v[child + 1],
		    &h->v[child]))
			child++;
		if (!timer_less(&h->v[child], &last))
			break;
		h->v[i] = h->v[child];
		i = child;
	}
	if (h->n > 0)
		h->v[i] = last;
}

size_t
timer_heap_size(const struct timer_heap *h)
{
	return (h->n);
}
