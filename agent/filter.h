/*
 * filter.h - which messages "pfqmon select" picks: pure matching of a
 * message's envelope facts (qmsg.h) against the admin's filters.
 *
 * SYNOPSIS
 *	struct filter f;
 *	filter_init(&f);
 *	if (filter_add(&f, FILTER_SENDER, "a@example.com", err, n) < 0)
 *		exit 2 with err;
 *	if (filter_match(&f, queue, &msg, now))
 *		print the queue ID;
 *	filter_free(&f);
 *
 * DESCRIPTION
 *	Filters of different kinds must all match; values given for the
 *	same kind are alternatives (--client 192.0.2.0/24 --client
 *	2001:db8::/32 picks mail from either). The rules:
 *
 *	sender		the envelope sender. The domain part (after the last
 *			'@') ignores ASCII case; the local part is exact, as
 *			Postfix stores it. "", "<>" and MAILER-DAEMON mean
 *			the null sender (bounces); a quoted local part
 *			("a b"@x) is unquoted first. This is the rule of
 *			the sender tag, so its values can be pasted.
 *	sender domain	the sender's domain as the sender_domain tag shows
 *	recipient domain it (case and one leading or trailing dot do not
 *			matter); a leading dot in the filter, as in Postfix
 *			tables, means any subdomain instead: .example.com
 *			matches mx.example.com, not example.com. A message
 *			matches the recipient domain when at least one of
 *			its recipients still to deliver has it.
 *	sasl user	the SASL login name, by the sender's rule (exact, the
 *			part after an '@' ignoring case). Mail without SASL
 *			login never matches.
 *	client		the client IP address (log_client_address when
 *			present, as Postfix logs it), equal to an address or
 *			inside a prefix (CIDR). IPv4 and IPv6, bare or in
 *			Postfix's "IPv6:" form (addr_ip_parse()); an IPv4
 *			filter matches IPv4 clients only and an IPv6 filter,
 *			even ::/0, IPv6 clients only, where ::ffff:a.b.c.d
 *			is the IPv4 address a.b.c.d. A prefix length counts
 *			the bits of its notation (::ffff:192.0.2.0/120 is
 *			192.0.2.0/24). Local submissions have no client
 *			address and never match.
 *	queue		maildrop, incoming, active, deferred or hold. Without
 *			it: incoming, active, deferred and hold, the queues
 *			postsuper -d, -h and -r act on by default, so that
 *			every ID selected is one postsuper finds. The
 *			corrupt queue is never selected.
 *	older than	arrived more than the duration before now.
 *
 *	filter_unescape() undoes the percent-encoding of a value (%27 for
 *	', + for a space), as Go's urlquery writes it: the alert mails put
 *	attacker-chosen names into commands an admin pastes into a root
 *	shell in that form, which holds only [A-Za-z0-9%+._~-], and
 *	select --encoded takes it back, byte for byte.
 *
 *	filter_needs_identity() says whether a filter needs what only the
 *	queue files say (SASL user, client); filter_queues() which queues
 *	can hold a match (a bit per enum pfq_queue), so that the others
 *	need not be read at all.
 *
 * SECURITY
 *	Matching reads only the message's bounded values. Values given by
 *	the admin are checked and bounded by filter_add().
 */
#ifndef PFQ_FILTER_H
#define PFQ_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "qmsg.h"
#include "schema.h"

#define FILTER_VALUES_MAX	64	/* alternatives per kind */
#define FILTER_DEFAULT_QUEUES	(1u << Q_INCOMING | 1u << Q_ACTIVE | \
				 1u << Q_DEFERRED | 1u << Q_HOLD)

enum filter_kind {
	FILTER_SENDER,
	FILTER_SENDER_DOMAIN,
	FILTER_RCPT_DOMAIN,
	FILTER_SASL,
	FILTER_CLIENT,
	FILTER_QUEUE,
	FILTER_OLDER,
	FILTER_KINDS
};

/* An address or prefix: 16 bytes, IPv4 as ::ffff:a.b.c.d. */
struct filter_net {
	unsigned char addr[16];
	unsigned prefix;		/* bits, 0-128 */
	int	v4;			/* matches IPv4 clients, not IPv6 */
};

struct filter_key {
	char   *text;			/* key form, compared bytewise */
	size_t	len;
	int	subdomains;		/* domains: ".example.com" */
};

struct filter {
	struct filter_key keys[FILTER_CLIENT][FILTER_VALUES_MAX];
	size_t	nkeys[FILTER_CLIENT];
	struct filter_net nets[FILTER_VALUES_MAX];
	size_t	nnets;
	unsigned queues;		/* bit per enum pfq_queue; 0: default */
	uint64_t older_ms;		/* 0: no age filter */
	int	have_older;
};

void	filter_init(struct filter *);
int	filter_unescape(const char *, char *, size_t);
int	filter_add(struct filter *, enum filter_kind, const char *, char *,
	    size_t);
int	filter_empty(const struct filter *);
int	filter_needs_identity(const struct filter *);
unsigned filter_queues(const struct filter *);
int	filter_match(const struct filter *, enum pfq_queue, const struct qf_msg *,
	    int64_t);
void	filter_free(struct filter *);

#endif
