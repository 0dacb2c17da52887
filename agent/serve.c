/*
 * serve.c - /metrics over HTTP with GNU libmicrohttpd (serve.h).
 *
 * Trusts libmicrohttpd to parse requests within the bounds set here;
 * trusts nothing a client sends (the method and path are compared with
 * fixed strings, nothing of them is logged or echoed). The published
 * page is one libmicrohttpd response, reference-counted: the agent's
 * thread replaces it under the lock, the server's thread queues it
 * under the same lock, and libmicrohttpd frees it once the last
 * connection sending it is done.
 */
#define _GNU_SOURCE		/* vsnprintf with a va_list from libmicrohttpd */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "msg.h"
#include "prom.h"
#include "serve.h"
#include "xalloc.h"

#define LISTEN_BACKLOG	64

struct serve {
	int	fd;			/* the listening socket, until started */
	struct MHD_Daemon *d;
	unsigned connections;		/* at once */
	unsigned timeout_s;		/* idle connection */
	pthread_mutex_t lock;		/* page */
	struct MHD_Response *page;	/* the latest scan, or NULL */
	struct MHD_Response *not_yet;	/* 503 before the first scan */
	struct MHD_Response *not_found;	/* 404 */
	struct MHD_Response *not_allowed;	/* 405 */
	char	where[80];		/* the address, for messages */
};

/* fixed_response - a small text response made once, or fatal */
static struct MHD_Response *
fixed_response(const char *text)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL || MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; charset=utf-8") != MHD_YES)
		msg_fatal(MSG_EXIT_FAIL, "serve: cannot make a response");
	return r;
}

/* bind_listen - socket, bind and listen on one address; -1 + errno */
static int
bind_listen(const struct sockaddr *sa, socklen_t len, int v6only)
{
	int	fd, on = 1, saved;

	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0
	    || (sa->sa_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
	    || bind(fd, sa, len) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* serve_create - see serve.h */
struct serve *
serve_create(const struct settings *s, char *err, size_t errlen)
{
	struct listen_addr la;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	struct serve *srv;
	char	why[200];
	int	fd;

	if (settings_parse_listen(s->listen, &la, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "--listen: %s", why);
		return NULL;
	}
	memset(&in4, 0, sizeof(in4));
	memset(&in6, 0, sizeof(in6));
	in4.sin_family = AF_INET;
	in4.sin_port = htons((uint16_t)la.port);
	in6.sin6_family = AF_INET6;
	in6.sin6_port = htons((uint16_t)la.port);
	if (la.family == AF_INET) {
		memcpy(&in4.sin_addr, la.addr, 4);
		fd = bind_listen((struct sockaddr *)&in4, sizeof(in4), 0);
	} else if (la.family == AF_INET6) {
		memcpy(&in6.sin6_addr, la.addr, 16);
		fd = bind_listen((struct sockaddr *)&in6, sizeof(in6), 1);
	} else {
		/* Every address: IPv6 and IPv4 on one socket, or IPv4 alone. */
		in6.sin6_addr = in6addr_any;
		fd = bind_listen((struct sockaddr *)&in6, sizeof(in6), 0);
		if (fd < 0 && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL)) {
			in4.sin_addr.s_addr = htonl(INADDR_ANY);
			fd = bind_listen((struct sockaddr *)&in4, sizeof(in4), 0);
		}
	}
	if (fd < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", s->listen,
		    strerror(errno));
		return NULL;
	}
	srv = xcalloc(1, sizeof(*srv));
	srv->fd = fd;
	srv->connections = (unsigned)s->listen_connections;
	srv->timeout_s = (unsigned)((s->listen_timeout_ms + 999) / 1000);
	snprintf(srv->where, sizeof(srv->where), "%s", s->listen);
	if (pthread_mutex_init(&srv->lock, NULL) != 0)
		msg_fatal(MSG_EXIT_FAIL, "serve: cannot set up a lock");
	srv->not_yet = fixed_response("no scan yet: the first comes within "
	    "one --interval\n");
	srv->not_found = fixed_response("not found: pfqmon serves " SERVE_PATH
	    "\n");
	srv->not_allowed = fixed_response("method not allowed: GET or HEAD\n");
	if (MHD_add_response_header(srv->not_allowed, MHD_HTTP_HEADER_ALLOW,
	    "GET, HEAD") != MHD_YES)
		msg_fatal(MSG_EXIT_FAIL, "serve: cannot make a response");
	return srv;
}

/* log_mhd - libmicrohttpd's own messages, as warnings */
static void __attribute__((format(printf, 2, 0)))
log_mhd(void *cls, const char *fmt, va_list ap)
{
	char	line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	msg_warn("serve: %s", line);
}

/*
 * answer - one request: the latest scan on /metrics, fixed answers
 * otherwise. Called once per request, on the server's thread; a body,
 * if any, is never read (libmicrohttpd closes such a connection after
 * the response).
 */
static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	struct serve *srv = cls;
	enum MHD_Result rc;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0
	    && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    srv->not_allowed);
	if (strcmp(url, SERVE_PATH) != 0)
		return MHD_queue_response(c, MHD_HTTP_NOT_FOUND, srv->not_found);
	if (pthread_mutex_lock(&srv->lock) != 0)
		msg_panic("serve: lock");
	if (srv->page != NULL)
		rc = MHD_queue_response(c, MHD_HTTP_OK, srv->page);
	else
		rc = MHD_queue_response(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    srv->not_yet);
	pthread_mutex_unlock(&srv->lock);
	return rc;
}

/* serve_start - see serve.h */
int
serve_start(struct serve *srv, char *err, size_t errlen)
{
	srv->d = MHD_start_daemon(MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG,
	    0, NULL, NULL, answer, srv,
	    MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL,	/* first, as it asks */
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)srv->fd,
	    MHD_OPTION_CONNECTION_LIMIT, srv->connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, srv->timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVE_REQUEST_MAX,
	    MHD_OPTION_END);
	if (srv->d == NULL) {
		snprintf(err, errlen, "cannot serve on %s: libmicrohttpd did not "
		    "start", srv->where);
		return -1;
	}
	srv->fd = -1;			/* libmicrohttpd's now */
	return 0;
}

/* serve_publish - see serve.h */
void
serve_publish(struct serve *srv, const struct buf *text)
{
	struct MHD_Response *fresh, *old;
	char   *copy = xmalloc(text->len ? text->len : 1);

	memcpy(copy, text->data, text->len);
	fresh = MHD_create_response_from_buffer(text->len, copy,
	    MHD_RESPMEM_MUST_FREE);
	if (fresh == NULL || MHD_add_response_header(fresh,
	    MHD_HTTP_HEADER_CONTENT_TYPE, PROM_CONTENT_TYPE) != MHD_YES)
		msg_fatal(MSG_EXIT_FAIL, "serve: cannot make a response");
	if (pthread_mutex_lock(&srv->lock) != 0)
		msg_panic("serve: lock");
	old = srv->page;
	srv->page = fresh;
	pthread_mutex_unlock(&srv->lock);
	if (old != NULL)
		MHD_destroy_response(old);	/* freed once no one sends it */
}

/* serve_free - see serve.h */
void
serve_free(struct serve *srv)
{
	if (srv == NULL)
		return;
	if (srv->d != NULL)
		MHD_stop_daemon(srv->d);
	if (srv->fd >= 0)
		close(srv->fd);
	if (srv->page != NULL)
		MHD_destroy_response(srv->page);
	MHD_destroy_response(srv->not_yet);
	MHD_destroy_response(srv->not_found);
	MHD_destroy_response(srv->not_allowed);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
