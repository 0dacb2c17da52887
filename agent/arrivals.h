/*
 * arrivals.h - every message that enters the queue, counted once, as it
 * arrives: who is sending right now, even through a healthy relay whose
 * queue never grows.
 *
 * SYNOPSIS
 *	a = arrivals_create();
 *	watch_set_hook(w, arrivals_event, a);	the watch tells it events
 *	agg = arrivals_take(a, &counts);	at each scan: since the last
 *	agg_free(agg);
 *	arrivals_free(a);			after watch_free()
 *
 * DESCRIPTION
 *	A message arrives when cleanup(8) completes its queue file (sets the
 *	owner's execute bit) in incoming, or, if that was missed (the file
 *	was already moved when pfqmon looked), when the queue manager moves
 *	it from incoming into active; a message that cleanup puts on hold
 *	arrives when it is complete in hold. It is read at that moment,
 *	from the watch's thread, and counted by sender, SASL user and
 *	client address (agg.h, under Q_INCOMING). Each message counts once:
 *	the names counted in incoming are remembered until the file leaves
 *	incoming, and the rename's cookie says where it went. A file moved
 *	into active from deferred (a retry) or from hold is not an arrival.
 *
 *	A message that was complete but gone before it could be read
 *	(delivered within microseconds) counts in vanished; one that was
 *	read but is not a valid queue file, in unparseable. Neither has a
 *	sender. When the kernel's event queue overflows (the scan's
 *	overflows field), the arrivals of that moment are not seen: the
 *	counts are then a lower bound. Messages already in incoming when
 *	the watch starts count when they move to active.
 *
 *	arrivals_take() hands over what arrived since the last take (an
 *	aggregate with no ages) and the time that took (period_ms, since
 *	arrivals_create() for the first), and starts afresh.
 *
 * OWNERSHIP
 *	The aggregate returned by arrivals_take() is the caller's, freed
 *	with agg_free(). arrivals_free() must come after the watch that
 *	calls arrivals_event() is freed.
 *
 * SECURITY
 *	Files are opened read-only, without following links, by a name the
 *	kernel gave and qf_queue_id_ok() accepts, below a directory the
 *	scan opened; they are read by the same bounded parser as a scan.
 *	The names remembered are bounded (ARRIVALS_NAMES_MAX); beyond it a
 *	message is counted when it reaches active, never twice.
 */
#ifndef PFQ_ARRIVALS_H
#define PFQ_ARRIVALS_H

#include <stdint.h>

#include "agg.h"
#include "scan.h"
#include "watch.h"

#define ARRIVALS_NAMES_MAX	(1u << 20)	/* names in incoming kept */
#define ARRIVALS_FDS_MAX	256		/* files in incoming held open */

struct arrivals;

struct arrivals *arrivals_create(void);
void	arrivals_event(void *, const struct watch_event *);
struct agg *arrivals_take(struct arrivals *, struct arrival_counts *);
void	arrivals_free(struct arrivals *);

#endif
