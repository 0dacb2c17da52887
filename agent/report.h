/*
 * report.h - write one scan as line protocol, in the schema of
 * docs/metrics.md.
 *
 * report_write() appends to out: one postfix_queue line per queue (zeros
 * for an empty queue), postfix_queue_total, one postfix_queue_age line
 * per queue, the breakdowns by sender, SASL user, client address, sender
 * domain and recipient domain (each at most top rows plus one "(other)"
 * row; top 0 means all rows), and postfix_queue_scan.
 *
 * report_schema() appends the names report_write() emits, one line per
 * measurement, "measurement MEASUREMENT tags KEYS fields KEYS" (comma-
 * separated keys, "-" for none), then one line "tagvalues KEY VALUES"
 * per tag whose values pfqmon itself fixes (queue names, source). The
 * list is read off a report of one message that reaches every
 * breakdown, so it cannot drift from what report_write() writes; the
 * tests check the TICKscripts and the dashboard against it.
 */
#ifndef PFQ_REPORT_H
#define PFQ_REPORT_H

#include <stddef.h>

#include "agg.h"
#include "buf.h"
#include "spool.h"

void	report_write(struct buf *, const struct agg *, size_t,
	    const struct scan_stats *);
void	report_schema(struct buf *);

#endif
