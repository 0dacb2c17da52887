/*
 * outq.h - the bounded queue of scans waiting to be pushed.
 *
 * A FIFO of batches (line protocol of one scan each), bounded in bytes.
 * outq_push() takes ownership of a malloc()ed batch; when the queue would
 * exceed its bound, the oldest batches are dropped first, and a batch
 * larger than the whole bound is dropped itself. Every drop is counted
 * (batches and bytes), so nothing disappears without a number. The
 * queue is freed with outq_free().
 */
#ifndef PFQ_OUTQ_H
#define PFQ_OUTQ_H

#include <stddef.h>
#include <stdint.h>

struct outq_batch {
	char   *data;
	size_t	len;
	struct outq_batch *next;
};

struct outq {
	struct outq_batch *head, *tail;
	size_t	bytes;			/* queued now */
	size_t	count;			/* batches queued now */
	size_t	max_bytes;
	uint64_t dropped;		/* batches dropped so far */
	uint64_t dropped_bytes;
};

void	outq_init(struct outq *, size_t);
size_t	outq_push(struct outq *, char *, size_t);
const struct outq_batch *outq_head(const struct outq *);
void	outq_pop(struct outq *);
void	outq_free(struct outq *);

#endif
