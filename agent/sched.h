/*
 * sched.h - when the --interval scans run, and what time they carry.
 *
 * SYNOPSIS
 *	sched_init(&s, step_ms, mono_ms, real_ms);
 *	loop: wait until s.next_mono on the monotonic clock, then
 *		stamp = sched_fire(&s, mono_ms, real_ms, &stepped);
 *		scan, stamped with stamp;
 *		skipped = sched_next(&s, mono_ms);
 *
 * DESCRIPTION
 *	Ticks are kept on the monotonic clock, so stepping the wall clock
 *	(by hand, by NTP after a suspend, by a virtual machine's host)
 *	neither stops the scans nor crowds them: the wait before the next
 *	scan is at most one step. The wall clock only sets the phase: every
 *	tick's stamp is a multiple of the step on the wall clock, as
 *	Telegraf's round_interval does, so the scans of several hosts line
 *	up in a dashboard.
 *
 *	sched_fire() measures the wall clock against the monotonic clock at
 *	every tick. When they have moved apart by SCHED_STEP_MS or more, the
 *	wall clock was stepped: *stepped says by how much (else 0), and the
 *	phase follows the new wall time from this tick on (the caller logs
 *	one line). Smaller differences (NTP slewing) are followed silently.
 *
 *	sched_next() schedules the tick after the last one fired that is
 *	still ahead of mono_ms, and returns how many ticks a long scan made
 *	it skip. Pure: the caller reads the clocks.
 */
#ifndef PFQ_SCHED_H
#define PFQ_SCHED_H

#include <stdint.h>

#define SCHED_STEP_MS	1000	/* a wall-clock jump this large is a step */

struct sched {
	int64_t	step;			/* ms, > 0 */
	int64_t	next_mono;		/* monotonic ms of the next tick */
	int64_t	offset;			/* wall minus monotonic, at the last tick */
	int64_t	stamp;			/* wall ms of the last tick fired */
};

void	sched_init(struct sched *, int64_t, int64_t, int64_t);
int64_t	sched_fire(struct sched *, int64_t, int64_t, int64_t *);
uint64_t sched_next(struct sched *, int64_t);

#endif
