/*
 * outq.c - the bounded two-class queue of batches to push (outq.h).
 * Pure: no I/O, no locks. Trusts its caller for points and lengths.
 */
#include <stdlib.h>

#include "outq.h"
#include "xalloc.h"

/* outq_init - an empty queue of at most max_bytes */
void
outq_init(struct outq *q, size_t max_bytes)
{
	int	c;

	for (c = 0; c < OUTQ_CLASSES; c++)
		q->head[c] = q->tail[c] = NULL;
	q->bytes = q->count = 0;
	q->points = 0;
	q->max_bytes = max_bytes;
	q->dropped_points = 0;
}

/* unlink_head - take the oldest batch of one class out of the queue */
static struct outq_batch *
unlink_head(struct outq *q, enum outq_class c)
{
	struct outq_batch *b = q->head[c];

	if (b == NULL)
		return NULL;
	q->head[c] = b->next;
	if (q->head[c] == NULL)
		q->tail[c] = NULL;
	b->next = NULL;
	q->bytes -= b->len;
	q->points -= b->points;
	q->count--;
	return b;
}

/* append - at the end of its class */
static void
append(struct outq *q, struct outq_batch *b)
{
	b->next = NULL;
	if (q->tail[b->cls])
		q->tail[b->cls]->next = b;
	else
		q->head[b->cls] = b;
	q->tail[b->cls] = b;
	q->bytes += b->len;
	q->points += b->points;
	q->count++;
}

/* prepend - at the front of its class: a batch given back for a retry */
static void
prepend(struct outq *q, struct outq_batch *b)
{
	b->next = q->head[b->cls];
	q->head[b->cls] = b;
	if (q->tail[b->cls] == NULL)
		q->tail[b->cls] = b;
	q->bytes += b->len;
	q->points += b->points;
	q->count++;
}

/* drop - forget a batch that will never be sent, counting its points */
static uint64_t
drop(struct outq *q, struct outq_batch *b)
{
	uint64_t n = b->points;

	q->dropped_points += n;
	b->next = NULL;
	outq_batch_free(b);
	return n;
}

/*
 * make_room - drop until len more bytes of class cls from scan fit, in
 * the order outq.h gives; returns the points dropped, and sets *refuse
 * when the newcomer itself must go.
 */
static uint64_t
make_room(struct outq *q, size_t len, enum outq_class cls, uint64_t scan,
    int *refuse)
{
	uint64_t n = 0;

	/* A detail batch that could never fit takes nothing with it. */
	*refuse = cls == OUTQ_DETAIL && len > q->max_bytes;
	while (!*refuse && q->bytes + len > q->max_bytes) {
		if (q->head[OUTQ_DETAIL] && q->head[OUTQ_DETAIL]->scan != scan)
			n += drop(q, unlink_head(q, OUTQ_DETAIL));
		else if (cls == OUTQ_DETAIL) {
			*refuse = 1;
			break;
		} else if (q->head[OUTQ_DETAIL])
			n += drop(q, unlink_head(q, OUTQ_DETAIL));
		else if (q->head[OUTQ_CORE])
			n += drop(q, unlink_head(q, OUTQ_CORE));
		else
			break;		/* the newest core batch stays */
	}
	return n;
}

/*
 * outq_push - queue a batch (ownership passes to the queue); returns
 * the points dropped to respect the bound, the new batch's included
 * when it is the one that goes.
 */
uint64_t
outq_push(struct outq *q, char *data, size_t len, uint64_t points,
    enum outq_class cls, uint64_t scan)
{
	struct outq_batch *b;
	uint64_t n;
	int	refuse;

	b = xmalloc(sizeof(*b));
	b->data = data;
	b->len = len;
	b->points = points;
	b->scan = scan;
	b->cls = cls;
	b->next = NULL;
	n = make_room(q, len, cls, scan, &refuse);
	if (refuse)
		return n + drop(q, b);
	append(q, b);
	return n;
}

/*
 * outq_take - the next batches to send, core first, as a chain of at
 * most max_bytes (at least one batch, whatever its size), or NULL; the
 * caller owns the chain.
 */
struct outq_batch *
outq_take(struct outq *q, size_t max_bytes)
{
	struct outq_batch *first = NULL, **link = &first, *b;
	size_t	total = 0;
	int	c;

	for (c = 0; c < OUTQ_CLASSES; c++)
		while ((b = q->head[c]) != NULL && (first == NULL
		    || total + b->len <= max_bytes)) {
			b = unlink_head(q, (enum outq_class)c);
			total += b->len;
			*link = b;
			link = &b->next;
		}
	return first;
}

/*
 * outq_return - a chain that could not be sent goes back to the front
 * of the queue, in its order; if newer batches filled the queue
 * meanwhile, the bound is applied again (the returned batches are now
 * the oldest).
 */
uint64_t
outq_return(struct outq *q, struct outq_batch *chain)
{
	struct outq_batch *rev = NULL, *b;

	while ((b = chain) != NULL) {
		chain = b->next;
		b->next = rev;
		rev = b;
	}
	while ((b = rev) != NULL) {
		rev = b->next;
		prepend(q, b);
	}
	return outq_set_limit(q, q->max_bytes);
}

/* outq_batch_free - release a chain taken from the queue */
void
outq_batch_free(struct outq_batch *b)
{
	struct outq_batch *next;

	for (; b != NULL; b = next) {
		next = b->next;
		free(b->data);
		free(b);
	}
}

/* outq_set_limit - a new bound; drops (details, then cores) until it holds */
uint64_t
outq_set_limit(struct outq *q, size_t max_bytes)
{
	uint64_t n = 0;

	q->max_bytes = max_bytes;
	while (q->bytes > q->max_bytes && q->head[OUTQ_DETAIL])
		n += drop(q, unlink_head(q, OUTQ_DETAIL));
	/* Keep the newest core batch, as outq_push() does. */
	while (q->bytes > q->max_bytes && q->head[OUTQ_CORE]
	    && q->head[OUTQ_CORE] != q->tail[OUTQ_CORE])
		n += drop(q, unlink_head(q, OUTQ_CORE));
	return n;
}

/* outq_clear - drop everything, counted: what stopping could not send */
uint64_t
outq_clear(struct outq *q)
{
	uint64_t n = 0;
	struct outq_batch *b;

	int	c;

	for (c = 0; c < OUTQ_CLASSES; c++)
		while ((b = unlink_head(q, (enum outq_class)c)) != NULL)
			n += drop(q, b);
	return n;
}

/* outq_bytes, outq_count, outq_points, outq_dropped - read the queue */
size_t
outq_bytes(const struct outq *q)
{
	return q->bytes;
}

size_t
outq_count(const struct outq *q)
{
	return q->count;
}

uint64_t
outq_points(const struct outq *q)
{
	return q->points;
}

uint64_t
outq_dropped(const struct outq *q)
{
	return q->dropped_points;
}

/* outq_free - release everything without counting (outq_clear counts) */
void
outq_free(struct outq *q)
{
	struct outq_batch *b;
	int	c;

	for (c = 0; c < OUTQ_CLASSES; c++)
		while ((b = unlink_head(q, (enum outq_class)c)) != NULL)
			outq_batch_free(b);
}
