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
 *	Threads and caches split agg_add() in two:
 *	agg_prepare(a, &prep, &msg);		any thread, no lock
 *	agg_commit(a, queue, &prep, &ref, &pool);	one thread at a time
 *	agg_recount(a, queue, &ref, pool);	a message counted before
 *	agg_rescan(a, now);			counts to zero, keys kept
 *
 * DESCRIPTION
 *	agg_add() turns the raw facts of a message (qmsg.h) into report
 *	keys: the sender key, the domains and the bare client address
 *	(addr.h), cleaned for line protocol (tagval.h) before they are
 *	counted, so two raw values that clean to the same text are one row.
 *	Messages in the corrupt queue count only towards that queue; the
 *	total and the breakdowns cover the five queues that hold mail in
 *	flow, as postqueue(1) does.
 *
 *	In each breakdown a message counts once per key (length, size, age,
 *	per-queue counts); recipients add up per key. For recipient domains
 *	that means a message to three domains counts in three rows.
 *
 *	agg_prepare() does the costly part (cleaning and hashing keys) into
 *	a caller-owned struct agg_prep that needs nothing from the message
 *	afterwards. agg_commit() counts it; given a ref, it also records the
 *	message as key numbers so that agg_recount() can count it again in a
 *	later scan without the message (the rescan cache). Key numbers stay
 *	valid across agg_rescan(), which sets every count to zero for the
 *	next scan and keeps the keys; agg_dead_keys() says how many of them
 *	no message used in the last scan, so the owner can start afresh
 *	when they pile up.
 *
 *	agg_top() returns the rows of one breakdown, largest message count
 *	first (ties by key bytes), at most top of them (0: all); the rest is
 *	summed into *other. Keys with no message are not rows. The caller
 *	frees *rows with free(3); the rows point into the aggregator and are
 *	valid until it is next changed.
 *
 * SECURITY
 *	Keys come from mail. Tables hash them with SipHash under a random
 *	per-process key, so colliding senders cannot be chosen in advance.
 */
#ifndef PFQ_AGG_H
#define PFQ_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "qmsg.h"
#include "schema.h"

/* 48 bytes: a spool holds far fewer than 2^32 files, so 32-bit counts. */
struct agg_stats {
	uint64_t size;			/* content bytes */
	uint64_t recipients;		/* pending recipients */
	int64_t	oldest;			/* arrival; INT64_MAX when empty */
	uint32_t length;		/* messages */
	uint32_t per_queue[Q_MAIL_COUNT];	/* messages per queue */
};

/*
 * The breakdowns. The first AGG_ONE_KEY_DIMS have at most one key per
 * message (its sender, SASL login, client, sender domain); the recipient
 * domains, last, can be many and are kept apart.
 */
enum agg_dim {
	DIM_SENDER,
	DIM_SASL,
	DIM_CLIENT,
	DIM_SENDER_DOMAIN,
	DIM_RCPT_DOMAIN,
	DIM_COUNT
};
#define AGG_ONE_KEY_DIMS	DIM_RCPT_DOMAIN

struct agg_row {
	const char *key;
	size_t	len;
	const struct agg_stats *st;
};

/* One prepared key: cleaned bytes in the prep's text, and their hash. */
struct agg_pkey {
	uint64_t hash;
	uint64_t rcpts;			/* recipients counted under it */
	uint32_t off, len;
};

/* The keys and facts of one message, ready to count (agg_prepare). */
struct agg_prep {
	uint64_t size, rcpt_pending;
	int64_t	arrival;
	struct agg_pkey id[AGG_ONE_KEY_DIMS];	/* indexed by enum agg_dim */
	unsigned char has[AGG_ONE_KEY_DIMS];	/* sasl and client may be absent */
	struct agg_pkey *dom;		/* recipient domains */
	size_t	ndom, domcap;
	struct buf text;
};

/* A counted message as key numbers (entry index + 1; 0: none). */
struct agg_ref {
	uint64_t size, rcpt_pending;
	int64_t	arrival;
	uint32_t id[AGG_ONE_KEY_DIMS];
	uint32_t ndom;			/* recipient domains */
	uint32_t dom;			/* ndom 1: the key; more: pool index */
	uint32_t dom_rcpts;		/* ndom 1: its recipients */
};

/* One of several recipient domains of a ref, in the caller's pool. */
struct agg_dref {
	uint32_t id;
	uint32_t rcpts;			/* saturates at UINT32_MAX */
};

struct agg;

void	agg_prep_init(struct agg_prep *);
void	agg_prep_free(struct agg_prep *);
void	agg_prepare(const struct agg *, struct agg_prep *, const struct qf_msg *);
void	agg_commit(struct agg *, enum pfq_queue, const struct agg_prep *,
	    struct agg_ref *, struct buf *);
void	agg_recount(struct agg *, enum pfq_queue, const struct agg_ref *,
	    const struct agg_dref *);
void	agg_rescan(struct agg *, int64_t);
size_t	agg_dead_keys(const struct agg *);

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
