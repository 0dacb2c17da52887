/*
 * agg.h - counts per queue, in total, by age and by key.
 *
 * SYNOPSIS
 *	a = agg_create(now);
 *	agg_add(a, queue, &msg);		for each parsed message
 *	agg_add_unparsed(a, Q_CORRUPT, size);	corrupt-queue files
 *	n = agg_top(a, dim, top, &rows, &other, &have_other);
 *	agg_free(a);
 *
 * DESCRIPTION
 *	agg_add() turns the raw facts of a message (qfile.h) into report
 *	keys: the sender key and the domains (addr.h), cleaned for line
 *	protocol (tagval.h) before they are counted, so two raw values that
 *	clean to the same text are one row. Messages in the corrupt queue
 *	count only towards that queue; the total and the breakdowns cover the
 *	five queues that hold mail in flow, as postqueue(1) does.
 *
 *	In each breakdown a message counts once per key (length, size, age,
 *	per-queue counts); recipients add up per key. For recipient domains
 *	that means a message to three domains counts in three rows.
 *
 *	agg_top() returns the rows of one breakdown, largest message count
 *	first (ties by key bytes), at most top of them (0: all); the rest is
 *	summed into *other. The caller frees *rows with free(3); the rows
 *	point into the aggregator and live as long as it does.
 *
 * SECURITY
 *	Keys come from mail. Tables hash them with SipHash under a random
 *	per-process key, so colliding senders cannot be chosen in advance.
 */
#ifndef PFQ_AGG_H
#define PFQ_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "qfile.h"
#include "schema.h"

struct agg_stats {
	uint64_t length;		/* messages */
	uint64_t size;			/* content bytes */
	uint64_t recipients;		/* pending recipients */
	int64_t	oldest;			/* arrival; INT64_MAX when empty */
	uint64_t per_queue[Q_MAIL_COUNT];	/* messages per queue */
};

enum agg_dim {
	DIM_SENDER,
	DIM_SASL,
	DIM_CLIENT,
	DIM_SENDER_DOMAIN,
	DIM_RCPT_DOMAIN,
	DIM_COUNT
};

struct agg_row {
	const char *key;
	size_t	len;
	const struct agg_stats *st;
};

struct agg;

struct agg *agg_create(int64_t now);
void	agg_free(struct agg *);
void	agg_add(struct agg *, enum pfq_queue, const struct qf_msg *);
void	agg_add_unparsed(struct agg *, enum pfq_queue, uint64_t);
int64_t	agg_now(const struct agg *);
int64_t	agg_age_of(const struct agg *, const struct agg_stats *);
const struct agg_stats *agg_queue(const struct agg *, enum pfq_queue);
const struct agg_stats *agg_total(const struct agg *);
const uint64_t *agg_age_buckets(const struct agg *, enum pfq_queue);
size_t	agg_keys(const struct agg *, enum agg_dim);
size_t	agg_top(const struct agg *, enum agg_dim, size_t,
	    struct agg_row **, struct agg_stats *, int *);

#endif
