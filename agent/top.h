/*
 * top.h - the queue for a person at a terminal (pfqmon top): who has
 * the most mail in the queue, by sender, SASL user, client address,
 * sender domain and recipient domain, with counts per queue and the
 * oldest message's age; or the same as one JSON document for scripts.
 *
 * top_write() appends the view of one scan to out. The table cuts keys
 * wider than TOP_KEY_WIDTH columns (marked with "..."); JSON has them
 * whole, and uses the metric schema's names (length, size, age,
 * recipients, one count per queue) so that scripts and dashboards speak
 * the same words. Keys come from the aggregator, already cleaned.
 */
#ifndef PFQ_TOP_H
#define PFQ_TOP_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "buf.h"
#include "spool.h"

#define TOP_KEY_WIDTH	40

struct top_opts {
	size_t	rows;			/* per breakdown; 0: all */
	int	json;			/* else a table */
	const char *source;		/* the source tag's value */
	int	no_identity;		/* no SASL users or clients known */
	int64_t	now;			/* the scan's time, epoch seconds */
};

void	top_write(struct buf *, const struct agg *, const struct top_opts *,
	    const struct scan_stats *);

#endif
