/*
 * clock.c - monotonic and wall clocks in milliseconds (clock.h).
 */
#include "clock.h"

/* ms_of - a clock's reading in milliseconds */
static int64_t
ms_of(clockid_t id)
{
	struct timespec ts;

	/* Both clocks exist on every Linux; a failure leaves ts at 0. */
	if (clock_gettime(id, &ts) < 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* clock_mono_ms - CLOCK_MONOTONIC: never steps */
int64_t
clock_mono_ms(void)
{
	return ms_of(CLOCK_MONOTONIC);
}

/* clock_real_ms - CLOCK_REALTIME: the wall clock */
int64_t
clock_real_ms(void)
{
	return ms_of(CLOCK_REALTIME);
}

/* clock_mono_abs - a monotonic time in ms as a timespec, for timed waits */
void
clock_mono_abs(int64_t ms, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ms / 1000);
	ts->tv_nsec = (long)(ms % 1000) * 1000000;
}
