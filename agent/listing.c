/*
 * listing.c - a listed message into a scan sink (listing.h).
 *
 * Trusts nothing it is given: the queue name is looked up, the queue ID
 * checked before a visitor sees it, addresses cut at QF_VALUE_MAX.
 */
#include <string.h>

#include "addr.h"
#include "agg.h"
#include "listing.h"
#include "msg.h"
#include "schema.h"

/* listing_init - a reader handing messages to a sink, counting in st */
void
listing_init(struct listing *P, const struct scan_sink *to,
    struct scan_stats *st)
{
	memset(P, 0, sizeof(*P));
	P->to = *to;
	P->st = st;
	qf_domains_init(&P->doms);
}

/* listing_free - what listing_init() took */
void
listing_free(struct listing *P)
{
	qf_domains_free(&P->doms);
}

/* listing_queue - a postqueue queue name, or -1 */
int
listing_queue(const char *name, size_t len)
{
	static const char *const names[] = SCHEMA_QUEUE_NAMES;
	size_t	q;

	for (q = 0; q < Q_COUNT; q++)
		if (strlen(names[q]) == len && memcmp(names[q], name, len) == 0)
			return (int)q;
	return -1;
}

/* listing_begin, listing_rcpt - a message's pending recipients, in order */
void
listing_begin(struct listing *P)
{
	P->rcpts = 0;
	qf_domains_reset(&P->doms);
}

void
listing_rcpt(struct listing *P, const char *addr, size_t len)
{
	/* At most QF_VALUE_MAX bytes of an address, as from a queue file. */
	P->rcpts++;
	qf_domains_add(&P->doms, addr, len > QF_VALUE_MAX ? QF_VALUE_MAX : len);
}

/*
 * listing_end - count the message in its queue, or count it ignored. A
 * visitor also needs the queue ID, checked as a file name would be: it
 * ends up on postsuper's input.
 */
void
listing_end(struct listing *P, const char *qname, size_t qlen,
    const struct qf_str *id, const char *sender, size_t slen, int64_t arrival,
    uint64_t size)
{
	char	internal[QF_VALUE_MAX];
	struct qf_msg m;
	int	q;

	if ((q = listing_queue(qname, qlen)) < 0) {
		P->st->ignored++;
		return;
	}
	if (P->to.visit && (id->p == NULL || !qf_queue_id_ok(id->p, id->len))) {
		P->st->unparseable++;
		msg_info("a message without a valid queue ID");
		return;
	}
	memset(&m, 0, sizeof(m));
	m.arrival = arrival;
	m.size = size;
	m.sender.p = internal;
	m.sender.len = addr_internal_form(internal, sizeof(internal), sender, slen);
	m.rcpt_pending = P->rcpts;
	m.domain_base = P->doms.text;
	m.domains = P->doms.runs;
	m.ndomains = P->doms.n;
	m.domains_dropped = P->doms.dropped;
	if (P->to.visit)
		P->to.visit(P->to.ctx, (enum pfq_queue)q, id->p, id->len, &m);
	else
		agg_add(P->to.agg, (enum pfq_queue)q, &m);
	P->st->parsed++;
}
