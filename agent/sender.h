/*
 * sender.h - deliver scans to InfluxDB from a thread of their own, so
 * that no server, however slow or hostile, can hold up a scan.
 *
 * SYNOPSIS
 *	s = sender_start(pusher, max_bytes, url_for_log);
 *	sender_enqueue(s, &core, &detail);	after every scan; never waits
 *	sender_stats(s, &ps);			for the scan line
 *	sender_reload(s, new_pusher, max_bytes, url_for_log);	SIGHUP
 *	sender_flush(s, max_failures);		one-shot: wait for delivery
 *	undelivered = sender_stop(s, grace_ms);	joins the thread
 *	sender_free(s);
 *
 * DESCRIPTION
 *	sender_enqueue() copies a scan into the bounded queue (outq.h) as
 *	one core batch (queue, total, age and scan lines) and detail
 *	batches of at most SENDER_BATCH_MAX bytes, cut at line ends, and
 *	wakes the thread. The thread sends one batch per request, core
 *	batches first. A request that may succeed later (429, 5xx, a
 *	timeout, no connection) is retried after an exponential backoff
 *	with jitter (1 s doubling to 60 s, never sooner than Retry-After);
 *	a rejected batch is dropped and logged. The caller's only wait is
 *	for the queue's lock, which the thread never holds across a request
 *	or a log line.
 *
 *	sender_stop() lets the thread try, for at most grace_ms, to send
 *	what is queued (one failed attempt ends that), then cancels the
 *	request in progress (libcurl notices within about a second), joins
 *	the thread and counts what is left as dropped; it returns the
 *	points not delivered, which it has logged. sender_flush() waits
 *	until the queue is empty or max_failures attempts have failed since
 *	the call.
 *
 *	Points (lines) are counted: sent, rejected and dropped (push_stats
 *	in pushstats.h), so every point that does not reach the server is in a
 *	number the next scan line reports.
 *
 * OWNERSHIP
 *	The sender owns the pushers it is given (sender_start, sender_reload)
 *	and frees them; sender_enqueue() copies the buffers.
 */
#ifndef PFQ_SENDER_H
#define PFQ_SENDER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "push.h"
#include "pushstats.h"

#define SENDER_BATCH_MAX	(4u << 20)	/* bytes per request */
#define SENDER_URL_MAX		512		/* the URL as logged */

struct sender;

struct sender *sender_start(struct pusher *, size_t, const char *);
void	sender_enqueue(struct sender *, const struct buf *, const struct buf *);
void	sender_stats(struct sender *, struct push_stats *);
void	sender_reload(struct sender *, struct pusher *, size_t, const char *);
void	sender_flush(struct sender *, unsigned);
uint64_t sender_stop(struct sender *, unsigned);
void	sender_free(struct sender *);

#endif
