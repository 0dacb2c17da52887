/*
 * clock.h - the two clocks pfqmon keeps time with, in milliseconds.
 *
 * clock_mono_ms() never jumps: schedules, timeouts and backoff use it.
 * clock_real_ms() is the wall clock: only for timestamps and for the
 * phase of --interval, since an administrator may step it at any time.
 */
#ifndef PFQ_CLOCK_H
#define PFQ_CLOCK_H

#include <stdint.h>
#include <time.h>

int64_t	clock_mono_ms(void);
int64_t	clock_real_ms(void);
void	clock_mono_abs(int64_t, struct timespec *);

#endif
