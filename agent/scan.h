/*
 * scan.h - what one reading of the queue yields, whoever reads it: the
 * scan's counters, and where its messages go.
 *
 * SYNOPSIS
 *	struct scan_sink to = { agg, NULL, NULL };	(or { NULL, visit, ctx })
 *	struct scan_stats st;
 *	reader(..., &to, &st, ...);	spool_scan, pq_scan, sq_scan
 *
 * DESCRIPTION
 *	Every reader of the queue (the files: spool.h; postqueue -j and
 *	showq: pqjson.h, showq.h) hands its messages to a sink and counts what it
 *	considered in a struct scan_stats; the report (report.h, top.h)
 *	writes those counts out. Types only: including this header pulls in
 *	no reader.
 *
 *	A reader counts every entry it considers in exactly one of the
 *	counters from parsed to errors, so files = parsed + skipped +
 *	vanished + unparseable + ignored + duplicates + errors (see
 *	docs/metrics.md); cached says how many of the parsed and
 *	unparseable ones were told by the rescan cache.
 *
 *	A sink counts messages into agg, or, when visit is set, hands them
 *	one at a time, never concurrently, to visit with their queue ID (1
 *	to QF_QUEUE_ID_MAX of [A-Za-z0-9_], not NUL-terminated). The message
 *	is valid during the call only.
 */
#ifndef PFQ_SCAN_H
#define PFQ_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "qmsg.h"
#include "schema.h"

struct agg;

/* Arrivals since the last scan that have no sender (arrivals.h). */
struct arrival_counts {
	uint64_t messages;		/* read and counted */
	uint64_t vanished;		/* complete, gone before read */
	uint64_t unparseable;		/* read, not a queue file */
	uint64_t period_ms;		/* the time they arrived in */
};

struct scan_stats {
	uint64_t files;		/* entries considered (not hash dirs) */
	uint64_t parsed;	/* complete queue files that were counted */
	uint64_t skipped;	/* still being written (owner not rwx) */
	uint64_t vanished;	/* gone between readdir and open (ENOENT) */
	uint64_t unparseable;	/* not a valid queue file */
	uint64_t ignored;	/* not a queue file: name, type, link */
	uint64_t duplicates;	/* same file seen twice (moved mid-scan) */
	uint64_t errors;	/* I/O or permission errors */
	uint64_t cached;	/* parsed or unparseable, told by the cache */
	uint64_t full;		/* 1: every directory was listed */
	uint64_t events;	/* watched: inotify events since the last scan */
	uint64_t overflows;	/* watched: kernel queue overflows since then */
	uint64_t duration_us;	/* filled in by the caller */
};

typedef void (*scan_visit_fn)(void *ctx, enum pfq_queue, const char *queue_id,
	    size_t id_len, const struct qf_msg *);

struct scan_sink {
	struct agg *agg;
	scan_visit_fn visit;
	void   *ctx;
};

#endif
