/*
 * outq.h - the bounded queue of line protocol waiting to be pushed.
 *
 * SYNOPSIS
 *	outq_init(&q, max_bytes);
 *	dropped = outq_push(&q, data, len, points, OUTQ_CORE, scan);
 *	b = outq_take(&q, max);	send the chain b, then outq_batch_free(b)
 *	dropped = outq_return(&q, b);	or put it back to retry it
 *	dropped = outq_clear(&q);	stopping: count what is left
 *	outq_free(&q);
 *
 * DESCRIPTION
 *	Batches (a malloc()ed run of whole lines) come in two classes. A
 *	scan's CORE batch holds what the alerts and the first dashboard
 *	cells need: the per-queue, total, age and scan lines. Its DETAIL
 *	batches hold the breakdown rows (senders, SASL users, clients,
 *	domains), which can be large. outq_take() hands out core batches
 *	first, oldest first, then detail batches, oldest first, so after
 *	an outage the queue totals of every waiting scan arrive before any
 *	breakdown; it takes as many as fit in one request (a chain linked
 *	by next), so a small scan is one request, core and detail.
 *
 *	The queue holds at most max_bytes (batches being sent are not in
 *	it). To make room it drops, in this order: detail batches of older
 *	scans (oldest first); the new batch itself if it is a detail batch
 *	(so the first, largest rows of a scan bigger than the bound are the
 *	ones kept); core batches of older scans (oldest first). A core batch
 *	is never dropped for a detail batch, and the newest core batch is
 *	kept even when it alone exceeds the bound (its size is bounded by
 *	the number of queues and the extra tags, not by the queue's
 *	content).
 *
 *	Every drop is counted in points (lines) and the functions that drop
 *	return how many points went, so nothing disappears without a
 *	number. The queue is pure: no I/O, no locking (sender.c locks).
 *
 * OWNERSHIP
 *	outq_push() takes data (freed when the batch is dropped or freed);
 *	outq_take() gives a chain of batches to the caller, who frees it
 *	with outq_batch_free() or gives it back with outq_return().
 */
#ifndef PFQ_OUTQ_H
#define PFQ_OUTQ_H

#include <stddef.h>
#include <stdint.h>

enum outq_class {
	OUTQ_CORE,			/* queues, total, ages, the scan line */
	OUTQ_DETAIL,			/* breakdown rows */
	OUTQ_CLASSES
};

struct outq_batch {
	char   *data;
	size_t	len;
	uint64_t points;		/* lines in data */
	uint64_t scan;			/* which scan it came from */
	enum outq_class cls;
	struct outq_batch *next;
};

/* Read it through the functions below; only outq.c changes it. */
struct outq {
	struct outq_batch *head[OUTQ_CLASSES], *tail[OUTQ_CLASSES];
	size_t	bytes;			/* queued now */
	size_t	count;			/* batches queued now */
	uint64_t points;		/* lines queued now */
	size_t	max_bytes;
	uint64_t dropped_points;	/* since outq_init */
};

void	outq_init(struct outq *, size_t);
uint64_t outq_push(struct outq *, char *, size_t, uint64_t, enum outq_class,
	    uint64_t);
struct outq_batch *outq_take(struct outq *, size_t);
uint64_t outq_return(struct outq *, struct outq_batch *);
void	outq_batch_free(struct outq_batch *);
uint64_t outq_set_limit(struct outq *, size_t);
uint64_t outq_clear(struct outq *);
size_t	outq_bytes(const struct outq *);
size_t	outq_count(const struct outq *);
uint64_t outq_points(const struct outq *);
uint64_t outq_dropped(const struct outq *);
void	outq_free(struct outq *);

#endif
