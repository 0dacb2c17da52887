/*
 * pushstats.h - what a pushing agent reports about its push in every
 * postfix_queue_scan line (docs/metrics.md): filled by the sender
 * (sender.h), written by the report (report.h). Points are lines.
 */
#ifndef PFQ_PUSHSTATS_H
#define PFQ_PUSHSTATS_H

#include <stdint.h>

struct push_stats {
	uint64_t sent;			/* points the server accepted */
	uint64_t retried;		/* requests that failed and will be retried */
	uint64_t rejected;		/* points the server refused (3xx, 4xx) */
	uint64_t dropped;		/* points never sent: buffer full, stopping */
	uint64_t buffer_bytes;		/* bytes waiting now */
};

#endif
