/*
 * closing.h - remember which breakdown rows the last report had, so that
 * a row that leaves the report gets one last point of zeros.
 *
 * SYNOPSIS
 *	c = closing_create();			the agent, for its loops
 *	per scan and set of rows d, while the rows are written:
 *		closing_keep(c, d, key, len);	each row reported now
 *		closing_gone(c, d, fn, ctx);	fn for each row reported
 *						last time and not now
 *	closing_free(c);
 *
 * DESCRIPTION
 *	A line protocol series that simply stops looks, to InfluxDB's last()
 *	and to a Kapacitor alert, like a series frozen at its last value: the
 *	account whose mail was purged would stay on the dashboard, and its
 *	alert would never recover. So in --interval and --execd modes a key
 *	(or the "(other)" row) that was in the last report and is not in this
 *	one is reported once more with every count 0, then forgotten.
 *
 *	closing_gone() ends the breakdown's round: what closing_keep() saw
 *	becomes "the last report". A scan that could not read the queue
 *	calls neither, so the rows it could not see are closed by the next
 *	scan that can.
 *
 * OWNERSHIP
 *	The keys are copied; the key handed to fn lives until fn returns.
 */
#ifndef PFQ_CLOSING_H
#define PFQ_CLOSING_H

#include <stddef.h>

#include "agg.h"

/*
 * A set of rows is a breakdown: d of enum agg_dim for the queue's, and
 * CLOSING_ARRIVALS + d for the arrivals'.
 */
#define CLOSING_ARRIVALS	DIM_COUNT
#define CLOSING_SETS		(2 * DIM_COUNT)

typedef void (*closing_fn)(void *ctx, const char *key, size_t len);

struct closing;

struct closing *closing_create(void);
void	closing_keep(struct closing *, unsigned, const char *, size_t);
void	closing_gone(struct closing *, unsigned, closing_fn, void *);
void	closing_free(struct closing *);

#endif
