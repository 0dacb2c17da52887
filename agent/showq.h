/*
 * showq.h - the queue as Postfix's showq service lists it, on
 * $queue_directory/public/showq: what postqueue itself reads.
 *
 * SYNOPSIS
 *	if (sq_scan(queue_fd_or_-1, queue_dir, &sink, &stats, err, n) < 0)
 *		report(err);
 *
 * DESCRIPTION
 *	sq_scan() speaks showq's own protocol, which needs only membership
 *	of the postdrop group: the same facts as postqueue -j (pqjson.h),
 *	read without running a program, handed to the sink through
 *	listing.h. sq_count_bytes() does it on bytes in memory (the fuzz
 *	target's entry); stats is added to, not cleared.
 *
 *	stats counts records as files: parsed, unparseable (a record without
 *	its queue, sender, time or size, a number out of range) and ignored
 *	(a queue name pfqmon does not know).
 *
 * DIAGNOSTICS
 *	-1 with a one-line reason in err: no socket, a timeout (showq silent
 *	for SQ_TIMEOUT_S), a stream that is not showq's or ends early; the
 *	counts so far are then not a full scan.
 */
#ifndef PFQ_SHOWQ_H
#define PFQ_SHOWQ_H

#include <stddef.h>

#include "scan.h"

#define SQ_TIMEOUT_S	60		/* showq silent this long: give up */

int	sq_scan(int, const char *, const struct scan_sink *, struct scan_stats *,
	    char *, size_t);
int	sq_count_bytes(struct agg *, struct scan_stats *, const char *, size_t,
	    char *, size_t);

#endif
