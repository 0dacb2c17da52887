/*
 * listing.h - a message as Postfix lists it (postqueue -j, showq), built
 * field by field and handed to a scan sink: what the two listing readers,
 * pqjson.c and showq.c, share.
 *
 * SYNOPSIS
 *	struct listing L;
 *	listing_init(&L, &sink, &stats);
 *	per message:
 *		listing_begin(&L);
 *		listing_rcpt(&L, address, len);		each pending recipient
 *		listing_end(&L, queue, qlen, &id, sender, slen, arrival, size);
 *	listing_free(&L);
 *
 * DESCRIPTION
 *	listing_end() counts the message into the sink's aggregate, or hands
 *	it to its visitor with its queue ID, which must then pass Postfix's
 *	own rule (qf_queue_id_ok): it ends up on postsuper's input. A queue
 *	name pfqmon does not know is counted ignored, a missing or bad queue
 *	ID (visitor only) unparseable. Recipient domains are gathered as the
 *	queue-file parser does, with its bounds. listing_queue() maps a queue
 *	name to enum pfq_queue, -1 for none.
 *
 *	Nothing is allocated per message once the first few are read; the
 *	message handed on is valid during the call only.
 */
#ifndef PFQ_LISTING_H
#define PFQ_LISTING_H

#include <stddef.h>
#include <stdint.h>

#include "qmsg.h"
#include "scan.h"

/* Reused from message to message: no allocation per message once warm. */
struct listing {
	struct scan_sink to;
	struct scan_stats *st;
	struct qf_domains doms;		/* of the message being read */
	uint64_t rcpts;
};

void	listing_init(struct listing *, const struct scan_sink *,
	    struct scan_stats *);
void	listing_free(struct listing *);
int	listing_queue(const char *, size_t);
void	listing_begin(struct listing *);
void	listing_rcpt(struct listing *, const char *, size_t);
void	listing_end(struct listing *, const char *, size_t, const struct qf_str *,
	    const char *, size_t, int64_t, uint64_t);

#endif
