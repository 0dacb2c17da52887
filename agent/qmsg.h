/*
 * qmsg.h - one queued message as every reader of the queue gives it: the
 * queue-file parser (qfile.h), postqueue -j (pqjson.h) and showq (showq.h).
 *
 * SYNOPSIS
 *	struct qf_msg m;			filled by a reader
 *	if (qf_queue_id_ok(name, len)) ...	before a name becomes a path
 *
 *	qf_domains_init(&d);			a reader's recipient domains
 *	qf_domains_reset(&d);			per message
 *	qf_domains_add(&d, address, len);	per pending recipient
 *	qf_domains_free(&d);
 *
 * DESCRIPTION
 *	struct qf_msg holds the raw envelope facts of one message, as bytes
 *	the way Postfix stored them: the aggregator (agg.h) and the filters
 *	of pfqmon select (filter.h) clean and compare them, and take them
 *	from here whichever reader produced them. The strings point into
 *	the reader and stay valid until it reads the next message.
 *
 *	qf_domains_add() takes one recipient address: the text from its
 *	last '@' on (or all of it), merged with the run before when equal.
 *	Past QF_DOMAINS_MAX runs or QF_DOMAIN_BYTES_MAX bytes, recipients
 *	are only counted in dropped. A struct qf_domains is reused from
 *	message to message; its memory grows only when a message has more
 *	domains than any before, and qf_domains_free() releases it.
 *
 * SECURITY
 *	Every value comes from mail. Readers cut each value at QF_VALUE_MAX
 *	bytes; qf_queue_id_ok() is Postfix's rule for a queue ID, which
 *	admits neither '/' nor a leading '.'.
 */
#ifndef PFQ_QMSG_H
#define PFQ_QMSG_H

#include <stddef.h>
#include <stdint.h>

#define QF_VALUE_MAX		4096	/* bytes of a value that are read */
#define QF_DOMAIN_BYTES_MAX	(8u << 20)	/* recipient domains per message */
#define QF_DOMAINS_MAX		65536	/* distinct runs of recipient domains */
#define QF_QUEUE_ID_MAX		255	/* Postfix's mail_queue_id_ok() bound */

struct qf_str {
	const char *p;		/* NULL: absent */
	size_t	len;
};

/* One run of pending recipients with the same domain part. */
struct qf_domain {
	size_t	off;		/* into qf_msg.domain_base */
	size_t	len;
	uint64_t count;
};

/* A message's pending recipient domains as runs: what qf_msg.domains shows. */
struct qf_domains {
	char   *text;		/* the runs' domain bytes */
	size_t	len, cap;
	struct qf_domain *runs;
	size_t	n, runs_cap;
	uint64_t dropped;
};

struct qf_msg {
	int64_t	arrival;	/* epoch seconds */
	uint64_t size;		/* content bytes (size record) or file size */
	uint64_t rcpt_pending;	/* R records reached */
	struct qf_str sender;	/* raw bytes; len 0 = null sender */
	struct qf_str sasl_username;
	struct qf_str client_address;	/* log_client_address if present */
	const char *domain_base;
	const struct qf_domain *domains;	/* raw text after the last '@' */
	size_t	ndomains;
	uint64_t domains_dropped;	/* pending recipients past the bounds */
};

/* qf_queue_id_ok - Postfix's rule for a queue ID: 1 to 255 of [A-Za-z0-9_] */
int	qf_queue_id_ok(const char *, size_t);

void	qf_domains_init(struct qf_domains *);
void	qf_domains_reset(struct qf_domains *);
void	qf_domains_add(struct qf_domains *, const char *, size_t);
void	qf_domains_free(struct qf_domains *);

#endif
