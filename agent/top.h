/*
 * top.h - the queue for a person at a terminal (pfqmon top): who has
 * the most mail in the queue, by sender, SASL user, client address,
 * sender domain and recipient domain, with counts per queue and the
 * oldest message's age; or the same as one JSON document for scripts.
 *
 * top_write() writes the view of one scan to fd as it makes it, some
 * TOP_CHUNK bytes at a time, so that its memory does not grow with the
 * rows (top --rows 0 over a million senders): 0, or -1 with errno set
 * when a write failed (it then stops making the rest). The table cuts
 * keys wider than TOP_KEY_WIDTH columns (marked with "..."); JSON has
 * them whole, and uses the metric schema's names (length, size, age,
 * recipients, one count per queue) so that scripts and dashboards speak
 * the same words. Keys come from the aggregator, already cleaned.
 */
#ifndef PFQ_TOP_H
#define PFQ_TOP_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "scan.h"

#define TOP_KEY_WIDTH	40
#define TOP_CHUNK	65536	/* bytes written at a time */

struct top_opts {
	size_t	rows;			/* per breakdown; 0: all */
	int	json;			/* else a table */
	const char *source;		/* the source tag's value */
	int	no_identity;		/* no SASL users or clients known */
	int64_t	now;			/* the scan's time, epoch seconds */
};

int	top_write(int, const struct agg *, const struct top_opts *,
	    const struct scan_stats *);

#endif
