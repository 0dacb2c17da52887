/*
 * push.c - HTTP push to InfluxDB with libcurl (see push.h). This is the
 * only module that includes curl.
 *
 * Trusts the settings (checked by settings.c) but not the server: its
 * replies are bounded and made printable before they reach a log line.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <zlib.h>

#include "buf.h"
#include "msg.h"
#include "push.h"
#include "xalloc.h"

#ifndef PFQMON_VERSION
#define PFQMON_VERSION "0.2.0"
#endif

#define REPLY_MAX		4096	/* bytes of a response body read */
#define RETRY_AFTER_MAX		600	/* seconds, as Telegraf caps it */

struct pusher {
	CURL   *curl;
	struct curl_slist *headers;
	int	gzip;
	struct buf body;		/* the compressed request body */
	struct buf reply;		/* the start of the response body */
	int	reply_cut;		/* the body was longer: not read on */
	atomic_int *cancel;		/* set by another thread: give up */
	unsigned retry_after;
	char	errbuf[CURL_ERROR_SIZE];
};

/*
 * on_body - keep the first REPLY_MAX bytes of the response and stop
 * reading there: a hostile server could send a body without end, and
 * InfluxDB's error bodies are short.
 */
static size_t
on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct pusher *p = ctx;
	size_t	n = size * nmemb, room = REPLY_MAX - p->reply.len;

	if (n <= room) {
		buf_add(&p->reply, data, n);
		return n;
	}
	buf_add(&p->reply, data, room);
	p->reply_cut = 1;
	return 0;			/* libcurl ends the transfer */
}

/* on_progress - called about once a second at least: give up if told */
static int
on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct pusher *p = ctx;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return p->cancel != NULL && atomic_load(p->cancel);
}

/* on_header - remember Retry-After: seconds, or an HTTP date */
static size_t
on_header(char *line, size_t size, size_t nmemb, void *ctx)
{
	struct pusher *p = ctx;
	size_t	n = size * nmemb;
	char	value[128];
	long	secs;
	time_t	when;

	if (n > 12 && n < sizeof(value) + 12
	    && strncasecmp(line, "Retry-After:", 12) == 0) {
		memcpy(value, line + 12, n - 12);
		value[n - 12] = '\0';
		value[strcspn(value, "\r\n")] = '\0';
		secs = strtol(value, NULL, 10);
		if (secs <= 0 && (when = curl_getdate(value, NULL)) > 0)
			secs = (long)(when - time(NULL));
		if (secs > RETRY_AFTER_MAX)
			secs = RETRY_AFTER_MAX;
		p->retry_after = secs > 0 ? (unsigned)secs : 0;
	}
	return n;
}

/* gzip_into - a gzip member of data, in out */
static int
gzip_into(struct buf *out, const char *data, size_t len)
{
	z_stream z;
	uLong	bound;
	int	rc;

	if (len > 0x7fffffffUL)
		return -1;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&z, (uLong)len);
	buf_reset(out);
	buf_reserve(out, bound);
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out->data;
	z.avail_out = (uInt)bound;
	rc = deflate(&z, Z_FINISH);
	out->len = z.total_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -1;
}

/* add_param - "&name=value" with the value URL-escaped */
static int
add_param(CURL *c, struct buf *url, const char *name, const char *value)
{
	char   *esc;

	if (value == NULL)
		return 0;
	if ((esc = curl_easy_escape(c, value, 0)) == NULL)
		return -1;
	buf_addc(url, url->data && strchr(url->data, '?') ? '&' : '?');
	buf_adds(url, name);
	buf_addc(url, '=');
	buf_adds(url, esc);
	curl_free(esc);
	return 0;
}

/* build_url - the write endpoint of the configured API */
static int
build_url(CURL *c, const struct settings *s, struct buf *url)
{
	size_t	n = strlen(s->push_url);

	while (n > 0 && s->push_url[n - 1] == '/')
		n--;
	buf_add(url, s->push_url, n);
	if (s->push_bucket) {
		buf_adds(url, "/api/v2/write");
		return add_param(c, url, "bucket", s->push_bucket) < 0
		    || add_param(c, url, "org", s->push_org) < 0
		    || add_param(c, url, "precision", "ns") < 0 ? -1 : 0;
	}
	buf_adds(url, "/write");
	return add_param(c, url, "db", s->push_db) < 0
	    || add_param(c, url, "rp", s->push_rp) < 0
	    || add_param(c, url, "precision", "ns") < 0 ? -1 : 0;
}

/* header - add one request header */
static int
header(struct pusher *p, const char *h)
{
	struct curl_slist *l = curl_slist_append(p->headers, h);

	if (l == NULL)
		return -1;
	p->headers = l;
	return 0;
}

/* setup - every option of the easy handle, each one checked */
static const char *
setup(struct pusher *p, const struct settings *s, const char *url)
{
	CURL   *c = p->curl;
	struct buf auth;
	int	bad = 0;

#define SET(opt, val) do {						\
	if (curl_easy_setopt(c, opt, val) != CURLE_OK)			\
		return #opt;						\
} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)s->push_connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, (long)s->push_timeout_ms);
	SET(CURLOPT_ERRORBUFFER, p->errbuf);
	SET(CURLOPT_USERAGENT, "pfqmon/" PFQMON_VERSION);
	SET(CURLOPT_POST, 1L);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, p);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, p);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_XFERINFOFUNCTION, on_progress);
	SET(CURLOPT_XFERINFODATA, p);
	if (s->push_ca_file)
		SET(CURLOPT_CAINFO, s->push_ca_file);
	if (s->push_insecure) {
		SET(CURLOPT_SSL_VERIFYPEER, 0L);
		SET(CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (s->push_user) {
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SET(CURLOPT_USERNAME, s->push_user);
		SET(CURLOPT_PASSWORD, s->push_password ? s->push_password : "");
	}
	if (header(p, "Content-Type: text/plain; charset=utf-8") < 0
	    || header(p, "Expect:") < 0
	    || (p->gzip && header(p, "Content-Encoding: gzip") < 0))
		return "request headers";
	if (s->push_token) {
		buf_init(&auth);
		buf_adds(&auth, "Authorization: Token ");
		buf_adds(&auth, s->push_token);
		bad = header(p, auth.data) < 0;
		buf_free(&auth);
		if (bad)
			return "the Authorization header";
	}
	SET(CURLOPT_HTTPHEADER, p->headers);
#undef SET
	return NULL;
}

/* push_create - a pusher for the configured server; NULL with err */
struct pusher *
push_create(const struct settings *s, char *err, size_t errlen)
{
	static int global_done;
	struct pusher *p;
	struct buf url;
	const char *what;

	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			snprintf(err, errlen, "push: cannot initialise libcurl");
			return NULL;
		}
		global_done = 1;
	}
	p = xcalloc(1, sizeof(*p));
	buf_init(&p->body);
	buf_init(&p->reply);
	buf_init(&url);
	p->gzip = !s->push_no_gzip;
	if ((p->curl = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "push: cannot create a libcurl handle");
		goto fail;
	}
	if (build_url(p->curl, s, &url) < 0) {
		snprintf(err, errlen, "push: cannot build the write URL");
		goto fail;
	}
	if ((what = setup(p, s, url.data)) != NULL) {
		snprintf(err, errlen, "push: libcurl refused %s", what);
		goto fail;
	}
	buf_free(&url);
	return p;
fail:
	buf_free(&url);
	push_free(p);
	return NULL;
}

/* reason - one printable line: what happened, and the server's words */
static void
reason(struct pusher *p, struct push_reply *r, const char *what)
{
	char	body[320];

	printable_for_log(body, sizeof(body), p->reply.data ? p->reply.data : "",
	    p->reply.len);
	snprintf(r->error, sizeof(r->error), "%.300s%s%.300s", what,
	    *body ? ": " : "", body);
}

/* push_send - one request with one batch (see push.h) */
void
push_send(struct pusher *p, const char *data, size_t len, struct push_reply *r)
{
	CURLcode rc;
	char	what[CURL_ERROR_SIZE + 64];

	memset(r, 0, sizeof(*r));
	buf_reset(&p->reply);
	p->reply_cut = 0;
	p->retry_after = 0;
	p->errbuf[0] = '\0';
	if (p->gzip) {
		if (gzip_into(&p->body, data, len) < 0) {
			r->result = PUSH_REJECTED;
			snprintf(r->error, sizeof(r->error), "cannot gzip %zu bytes", len);
			return;
		}
		data = p->body.data;
		len = p->body.len;
	}
	if (curl_easy_setopt(p->curl, CURLOPT_POSTFIELDS, data) != CURLE_OK
	    || curl_easy_setopt(p->curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)len) != CURLE_OK) {
		r->result = PUSH_REJECTED;
		snprintf(r->error, sizeof(r->error), "libcurl refused the body");
		return;
	}
	rc = curl_easy_perform(p->curl);
	/* A reply we stopped reading on purpose is still a reply. */
	if (rc == CURLE_WRITE_ERROR && p->reply_cut)
		rc = CURLE_OK;
	if (rc != CURLE_OK) {
		r->result = PUSH_RETRY;
		snprintf(r->error, sizeof(r->error), "%s%s%s",
		    curl_easy_strerror(rc), p->errbuf[0] ? ": " : "", p->errbuf);
		return;
	}
	if (curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &r->status)
	    != CURLE_OK)
		r->status = 0;
	r->retry_after = p->retry_after;
	if (r->status >= 200 && r->status < 300) {
		r->result = PUSH_OK;
		return;
	}
	snprintf(what, sizeof(what), "HTTP %ld", r->status);
	reason(p, r, what);
	r->result = r->status == 429 || r->status >= 500 ? PUSH_RETRY :
	    PUSH_REJECTED;
}

/* push_set_cancel - a flag another thread sets to end a request early */
void
push_set_cancel(struct pusher *p, atomic_int *flag)
{
	p->cancel = flag;
}

/* push_free - release the handle and its buffers */
void
push_free(struct pusher *p)
{
	if (p == NULL)
		return;
	if (p->curl)
		curl_easy_cleanup(p->curl);
	curl_slist_free_all(p->headers);
	buf_free(&p->body);
	buf_free(&p->reply);
	free(p);
}
