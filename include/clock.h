/*
 * The one source of "now".  The daemon reads the wall clock; simulate and the
 * tests set a virtual time.  Nothing else in tocsin calls time(2) or
 * clock_gettime(2) for decisions.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

int64_t	clock_now(void);
void	clock_set_virtual(int64_t);
int64_t	clock_monotonic_us(void);	/* for measuring, never deciding */

#endif
