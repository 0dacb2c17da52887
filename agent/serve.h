/*
 * serve.h - pfqmon serve: answer Prometheus's scrapes on /metrics with
 * the agent's latest scan (the only module that includes microhttpd.h).
 *
 * SYNOPSIS
 *	srv = serve_create(&settings, err, n);	before the sandbox: bind
 *	source_open(...);			privileges dropped, sandboxed
 *	serve_start(srv, err, n);		then the server's thread
 *	serve_publish(srv, &text);		after every scan
 *	serve_free(srv);
 *
 * DESCRIPTION
 *	serve_create() makes the listening socket for settings->listen
 *	(settings.h: ADDR:PORT, [IPV6]:PORT, :PORT for every address, IPv6
 *	and IPv4), while the process may still bind a privileged port;
 *	nothing is accepted yet. serve_start() then starts GNU
 *	libmicrohttpd on that socket with one internal thread polling every
 *	connection (started after the sandbox, so that it holds for it). The
 *	agent's scans run on their own tick (--interval); serve_publish()
 *	hands each rendered scan (prom.h) over, and every request until the
 *	next one gets exactly that text: a scrape never starts a scan, so
 *	however often Prometheus (or anyone) asks, the queue is read at the
 *	agent's pace.
 *
 *	GET and HEAD of /metrics: 200 with the latest scan, or 503 until the
 *	first scan is done. Any other path: 404; any other method: 405
 *	with "Allow: GET, HEAD". Bounded: at most settings->
 *	listen_connections connections at once (more are refused as they
 *	come), each closed when idle for listen_timeout, and a request's
 *	line and headers held in at most SERVE_REQUEST_MAX bytes (larger
 *	ones are refused by libmicrohttpd with an error status); a request
 *	body is never read.
 *
 * SECURITY
 *	Everything a client sends is libmicrohttpd's to parse; pfqmon looks
 *	only at the method and the path, compares them with fixed strings
 *	and never logs them. Responses are built from the published text
 *	alone. After the sandbox the process cannot bind or listen (priv.h):
 *	connections are accepted only on the socket made here.
 *
 * DIAGNOSTICS
 *	serve_create() and serve_start() return NULL or -1 with a one-line
 *	reason in err (an address in use, a port root alone may bind).
 *	libmicrohttpd's own complaints are logged as warnings.
 *
 * OWNERSHIP
 *	serve_publish() copies the text. serve_free() stops the thread,
 *	closes every connection and the socket, and frees what the server
 *	holds; it takes NULL.
 */
#ifndef PFQ_SERVE_H
#define PFQ_SERVE_H

#include <stddef.h>

#include "buf.h"
#include "settings.h"

#define SERVE_PATH		"/metrics"
#define SERVE_REQUEST_MAX	(32 * 1024)	/* bytes per connection */

struct serve;

struct serve *serve_create(const struct settings *, char *, size_t);
int	serve_start(struct serve *, char *, size_t);
void	serve_publish(struct serve *, const struct buf *);
void	serve_free(struct serve *);

#endif
