/*
 * report.h - write one scan as line protocol, in the schema of
 * docs/metrics.md.
 *
 * report_write() appends to out: one postfix_queue line per queue (zeros
 * for an empty queue), postfix_queue_total, one postfix_queue_age line
 * per queue, the breakdowns by sender, SASL user, client address, sender
 * domain and recipient domain (each at most top rows plus one "(other)"
 * row; top 0 means all rows), and postfix_queue_scan, with the
 * options' extra tags on every line and their timestamp, if any.
 * With a closing set (closing.h), a breakdown row that was in the last
 * report and is not in this one is written once more with zero counts,
 * after the breakdown's rows.
 *
 * With arrivals (the watched loops), postfix_arrivals (a core line) and
 * the arrivals by sender, SASL user and client address (breakdowns,
 * same top and closing rules) follow; without, they are absent.
 * report_scan() writes the postfix_queue_scan line alone: what an agent
 * reports for a scan that could not read the queue.
 *
 * report_write_split() writes the same lines in two buffers: core (the
 * per-queue, total, age and scan lines: what the alerts watch) and
 * detail (the breakdowns), so that the push can keep the first when it
 * must drop something.
 *
 * report_schema() appends the names report_write() emits, one line per
 * measurement, "measurement MEASUREMENT tags KEYS fields KEYS" (comma-
 * separated keys, "-" for none), then one line "tagvalues KEY VALUES"
 * per tag whose values pfqmon itself fixes (queue names, source). The
 * list is read off a report of one message that reaches every
 * breakdown, so it cannot drift from what report_write() writes; the
 * tests check the TICKscripts and the dashboard against it.
 * report_schema_message() is that message, for prom_schema() too (dom
 * holds its one recipient domain).
 */
#ifndef PFQ_REPORT_H
#define PFQ_REPORT_H

#include <stddef.h>

#include "agg.h"
#include "buf.h"
#include "closing.h"
#include "pushstats.h"
#include "scan.h"
#include "settings.h"

struct report_opts {
	size_t	top;			/* rows per breakdown; 0 = all */
	const struct tag *tags;		/* extra tags, sorted by key */
	size_t	ntags;
	int64_t	timestamp_ns;		/* 0: no timestamp */
	const struct push_stats *push;	/* NULL: push fields are 0 */
	const char *source;		/* NULL: SOURCE_SPOOL */
	int	no_identity;		/* the source cannot see SASL users
					 * or clients: omit those breakdowns */
	struct closing *closing;	/* the loops: rows of the last report,
					 * closed with zeros when gone; or NULL */
	const struct agg *arrivals;	/* watched loops: what arrived since
					 * the last scan (arrivals.h); NULL:
					 * no postfix_arrivals lines */
	struct arrival_counts arrived;	/* with arrivals */
};

void	report_write(struct buf *, const struct agg *, const struct report_opts *,
	    const struct scan_stats *);
void	report_write_split(struct buf *, struct buf *, const struct agg *,
	    const struct report_opts *, const struct scan_stats *);
void	report_scan(struct buf *, const struct report_opts *,
	    const struct scan_stats *);
void	report_schema(struct buf *);
void	report_schema_message(struct qf_msg *, struct qf_domain *);

#endif
