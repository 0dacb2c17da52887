/*
 * pqjson.h - the queue as "postqueue -j" lists it.
 *
 * SYNOPSIS
 *	if (pq_scan(config_dir_or_NULL, &sink, &stats, err, sizeof(err)) < 0)
 *		report(err);
 *
 * DESCRIPTION
 *	Runs Postfix's postqueue -j (any local user may, unless
 *	authorized_mailq_users says otherwise; from inside the sandbox
 *	through the helper, child.h), reads one JSON object per line and
 *	hands each message to the sink (scan.h) through listing.h: queue,
 *	arrival time, size, sender and the recipients still to deliver; a
 *	visitor also gets the queue ID, and a message without a valid one is
 *	then unparseable. Members it does not know are ignored, as
 *	postqueue(1) asks. postqueue cannot see the SASL user or the client
 *	address: those stay empty.
 *
 *	pq_count_text() counts lines already in memory the same way (the
 *	fuzz target's entry); stats is added to, not cleared.
 *
 *	stats counts lines as files: parsed, unparseable (not JSON, a missing
 *	or mistyped member, a line over PQ_LINE_MAX) and ignored (a queue
 *	name pfqmon does not know).
 *
 * DIAGNOSTICS
 *	-1 with a one-line reason (postqueue's own first line of stderr when
 *	it fails) in err; the counts so far are then not a full scan.
 */
#ifndef PFQ_PQJSON_H
#define PFQ_PQJSON_H

#include <stddef.h>

#include "scan.h"

#define PQ_LINE_MAX	(64u << 20)	/* bytes of one message's JSON */

int	pq_scan(const char *, const struct scan_sink *, struct scan_stats *,
	    char *, size_t);
void	pq_count_text(struct agg *, struct scan_stats *, const char *, size_t);

#endif
