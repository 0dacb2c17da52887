/*
 * sched.c - the --interval schedule: monotonic ticks, wall-clock stamps
 * (sched.h). Pure arithmetic on the times it is given.
 */
#include "sched.h"

/* floor_div - division rounding down, for times before the epoch too */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* sched_init - the first tick: the next multiple of step on the wall clock */
void
sched_init(struct sched *s, int64_t step, int64_t mono, int64_t real)
{
	s->step = step;
	s->offset = real - mono;
	s->stamp = floor_div(real, step) * step;
	s->next_mono = s->stamp + step - s->offset;
}

/* sched_fire - a due tick: its stamp; *stepped, the wall clock's jump */
int64_t
sched_fire(struct sched *s, int64_t mono, int64_t real, int64_t *stepped)
{
	int64_t	offset = real - mono, moved = offset - s->offset;

	*stepped = (moved >= SCHED_STEP_MS || moved <= -SCHED_STEP_MS) ? moved : 0;
	s->offset = offset;
	/* The scheduled moment, on today's wall clock, to the nearest step. */
	s->stamp = floor_div(s->next_mono + offset + s->step / 2, s->step) * s->step;
	return s->stamp;
}

/* sched_next - the next tick after mono; returns the ticks skipped */
uint64_t
sched_next(struct sched *s, int64_t mono)
{
	int64_t	missed;

	s->next_mono = s->stamp + s->step - s->offset;
	if (s->next_mono > mono)
		return 0;
	missed = (mono - s->next_mono) / s->step + 1;
	s->next_mono += missed * s->step;
	return (uint64_t)missed;
}
