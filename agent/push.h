/*
 * push.h - send line protocol to InfluxDB over HTTP (libcurl).
 *
 * SYNOPSIS
 *	p = push_create(&settings, err, errlen);
 *	push_send(p, data, len, &reply);	one request, one batch
 *	push_free(p);
 *
 * DESCRIPTION
 *	InfluxDB 1.x: POST URL/write?db=DB[&rp=RP]&precision=ns, with HTTP
 *	Basic authentication when a user is set. InfluxDB 2.x (and 1.8's
 *	compatibility endpoint): POST URL/api/v2/write?bucket=B[&org=O]
 *	&precision=ns with "Authorization: Token T". Bodies are gzipped
 *	unless push_no_gzip; TLS certificates are verified unless
 *	push_insecure; connect and total timeouts come from the settings.
 *	One easy handle is kept for the life of the pusher, so the
 *	connection is reused between requests.
 *
 *	The reply says what to do with the batch: PUSH_OK (2xx), PUSH_RETRY
 *	(429, 5xx, a timeout or a connection error; retry_after is the
 *	server's Retry-After in seconds, or 0), or PUSH_REJECTED (any other
 *	status, 3xx included: redirects are not followed, and the server
 *	will never take this batch). error holds a printable one-line
 *	reason with the start of the server's error body. At most 4 KiB of
 *	a response body is read; a longer one ends the transfer there.
 *
 *	push_set_cancel() gives the pusher a flag another thread may set
 *	(the agent stopping): libcurl checks it at least about once a
 *	second, and a request in progress then ends as PUSH_RETRY.
 *
 * SECURITY
 *	Only http and https are allowed, redirects are not followed, and
 *	credentials never appear in error messages.
 */
#ifndef PFQ_PUSH_H
#define PFQ_PUSH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "settings.h"

enum push_result {
	PUSH_OK,
	PUSH_RETRY,
	PUSH_REJECTED
};

struct push_reply {
	enum push_result result;
	long	status;			/* HTTP status, 0 without a response */
	unsigned retry_after;		/* seconds, 0 if none */
	char	error[640];
};


struct pusher;

struct pusher *push_create(const struct settings *, char *, size_t);
void	push_send(struct pusher *, const char *, size_t, struct push_reply *);
void	push_set_cancel(struct pusher *, atomic_int *);
void	push_free(struct pusher *);

#endif
