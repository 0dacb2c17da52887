/*
 * outq.c - bounded FIFO of batches (see outq.h). Pure: no I/O.
 */
#include <stdlib.h>

#include "outq.h"
#include "xalloc.h"

/* outq_init - an empty queue of at most max_bytes */
void
outq_init(struct outq *q, size_t max_bytes)
{
	q->head = q->tail = NULL;
	q->bytes = q->count = 0;
	q->max_bytes = max_bytes;
	q->dropped = q->dropped_bytes = 0;
}

/* outq_head - the oldest batch, or NULL */
const struct outq_batch *
outq_head(const struct outq *q)
{
	return q->head;
}

/* outq_pop - forget the oldest batch (delivered or rejected) */
void
outq_pop(struct outq *q)
{
	struct outq_batch *b = q->head;

	if (b == NULL)
		return;
	q->head = b->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->bytes -= b->len;
	q->count--;
	free(b->data);
	free(b);
}

/* drop_oldest - make room, counting what is lost */
static void
drop_oldest(struct outq *q)
{
	q->dropped++;
	q->dropped_bytes += q->head->len;
	outq_pop(q);
}

/*
 * outq_push - queue a batch (ownership passes to the queue); returns how
 * many batches were dropped to respect the bound, the new one included
 * when it alone is larger than the bound.
 */
size_t
outq_push(struct outq *q, char *data, size_t len)
{
	struct outq_batch *b;
	uint64_t before = q->dropped;

	if (len > q->max_bytes) {
		q->dropped++;
		q->dropped_bytes += len;
		free(data);
		return 1;
	}
	while (q->head && q->bytes + len > q->max_bytes)
		drop_oldest(q);
	b = xmalloc(sizeof(*b));
	b->data = data;
	b->len = len;
	b->next = NULL;
	if (q->tail)
		q->tail->next = b;
	else
		q->head = b;
	q->tail = b;
	q->bytes += len;
	q->count++;
	return (size_t)(q->dropped - before);
}

/* outq_free - drop everything without counting (the caller reports it) */
void
outq_free(struct outq *q)
{
	while (q->head)
		outq_pop(q);
}
