/*
 * sender.c - the push thread: the bounded queue (outq.c), one request
 * at a time (push.c), retries with backoff, and what stopping leaves
 * (sender.h).
 *
 * Locking: one mutex guards everything but the pusher in use, which
 * only the thread touches. The thread never holds the mutex during a
 * request or while it writes a log line, so a scan that enqueues waits
 * at most for a few pointer moves. Trusts the server for nothing:
 * push.c bounds and cleans what it says.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "msg.h"
#include "outq.h"
#include "sender.h"
#include "xalloc.h"

#define BACKOFF_FIRST_MS	1000
#define BACKOFF_MAX_MS		60000

struct sender {
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* to the thread: work, stop, reload */
	pthread_cond_t progress;	/* from the thread: a request ended */
	pthread_t thread;
	struct outq q;
	size_t	max_bytes;		/* q's bound; only the caller changes it */
	struct pusher *push;		/* the thread's alone */
	struct pusher *next_push;	/* a reload's, adopted between requests */
	char	url[SENDER_URL_MAX];
	char	next_url[SENDER_URL_MAX];
	struct push_stats ps;		/* dropped and buffer_bytes: see stats */
	struct buf body;		/* the thread's: several batches joined */
	size_t	inflight_bytes;		/* the batches being sent */
	uint64_t failures;		/* failed requests since the start */
	uint64_t backoff_ms;		/* 0 after a success */
	int64_t	retry_at;		/* monotonic ms; 0: now */
	int	failing;		/* the last request failed */
	int	stopping;		/* no more scans: deliver until deadline */
	int	gave_up;		/* stopping, and a request failed */
	int	done;			/* the thread has ended */
	int64_t	deadline;		/* monotonic ms, when stopping */
	uint64_t scans;			/* scans enqueued */
	uint64_t left;			/* points dropped when the thread ended */
	atomic_int cancel;		/* end the request in progress */
};

/* A log line composed under the lock and printed after it. */
struct note {
	int	level;			/* 0 none, 'W' warning, 'E' error */
	char	text[SENDER_URL_MAX + sizeof(((struct push_reply *)0)->error) + 160];
};

/* say - print a note, outside the lock */
static void
say(const struct note *n)
{
	if (n->level == 'W')
		msg_warn("%s", n->text);
	else if (n->level == 'E')
		msg_error("%s", n->text);
}

/* next_backoff - exponential with jitter, at least Retry-After */
static uint64_t
next_backoff(uint64_t prev, unsigned retry_after)
{
	uint64_t b = prev ? prev * 2 : BACKOFF_FIRST_MS;

	if (b > BACKOFF_MAX_MS)
		b = BACKOFF_MAX_MS;
	/* Jitter: somewhere in [b/2, b], so that many agents spread out. */
	b = b / 2 + (uint64_t)random() % (b / 2 + 1);
	if ((uint64_t)retry_after * 1000 > b)
		b = (uint64_t)retry_after * 1000;
	return b;
}

/* wait_until - sleep on wake until signalled or the monotonic time at */
static void
wait_until(struct sender *s, int64_t at)
{
	struct timespec ts;

	if (at < 0) {
		pthread_cond_wait(&s->wake, &s->lock);
		return;
	}
	clock_mono_abs(at, &ts);
	(void)pthread_cond_timedwait(&s->wake, &s->lock, &ts);
}

/* adopt_pusher - a reload's pusher replaces the old one between requests */
static void
adopt_pusher(struct sender *s)
{
	if (s->next_push == NULL)
		return;
	push_free(s->push);
	s->push = s->next_push;
	s->next_push = NULL;
	memcpy(s->url, s->next_url, sizeof(s->url));
}

/* points_of - the points in a chain of batches */
static uint64_t
points_of(const struct outq_batch *b)
{
	uint64_t n = 0;

	for (; b != NULL; b = b->next)
		n += b->points;
	return n;
}

/* bytes_of - the bytes in a chain of batches */
static size_t
bytes_of(const struct outq_batch *b)
{
	size_t	n = 0;

	for (; b != NULL; b = b->next)
		n += b->len;
	return n;
}

/* on_success - the server took the batches */
static void
on_success(struct sender *s, struct outq_batch *b, struct note *n)
{
	s->ps.sent += points_of(b);
	if (s->failing) {
		snprintf(n->text, sizeof(n->text), "InfluxDB at %s accepts data "
		    "again", s->url);
		n->level = 'W';
	}
	s->failing = 0;
	s->backoff_ms = 0;
	s->retry_at = 0;
	outq_batch_free(b);
}

/* on_retry - the batches go back to the front; wait before the next try */
static void
on_retry(struct sender *s, struct outq_batch *b, const struct push_reply *r,
    struct note *n)
{
	s->ps.retried++;
	s->failures++;
	if (s->stopping)
		s->gave_up = 1;
	s->backoff_ms = next_backoff(s->backoff_ms, r->retry_after);
	s->retry_at = clock_mono_ms() + (int64_t)s->backoff_ms;
	(void)outq_return(&s->q, b);
	if (!s->failing || msg_verbose) {
		snprintf(n->text, sizeof(n->text), "cannot push to InfluxDB at %s "
		    "(%s); retrying in %.1f s, %llu points waiting", s->url,
		    r->error, s->backoff_ms / 1000.0,
		    (unsigned long long)outq_points(&s->q));
		n->level = 'W';
	}
	s->failing = 1;
}

/* on_reject - the server will never take these batches: drop them, say so */
static void
on_reject(struct sender *s, struct outq_batch *b, const struct push_reply *r,
    struct note *n)
{
	uint64_t points = points_of(b);

	s->ps.rejected += points;
	snprintf(n->text, sizeof(n->text), "InfluxDB at %s rejected %llu points, "
	    "which are dropped: %s", s->url, (unsigned long long)points,
	    r->error);
	n->level = 'E';
	outq_batch_free(b);
}

/* should_end - stopping, and nothing more can or may be sent */
static int
should_end(const struct sender *s)
{
	return s->stopping && (outq_count(&s->q) == 0 || s->gave_up
	    || clock_mono_ms() >= s->deadline);
}

/* request_body - one batch as it is, several joined in the thread's buffer */
static const char *
request_body(struct sender *s, const struct outq_batch *b, size_t *len)
{
	if (b->next == NULL) {
		*len = b->len;
		return b->data;
	}
	buf_reset(&s->body);
	for (; b != NULL; b = b->next)
		buf_add(&s->body, b->data, b->len);
	*len = s->body.len;
	return s->body.data;
}

/* run - the thread: send the queue, oldest core batches first */
static void *
run(void *arg)
{
	struct sender *s = arg;
	struct outq_batch *b;
	struct push_reply r;
	struct note n;
	const char *body;
	size_t	len;

	pthread_mutex_lock(&s->lock);
	while (!should_end(s)) {
		adopt_pusher(s);
		if (outq_count(&s->q) == 0) {
			wait_until(s, s->stopping ? s->deadline : -1);
			continue;
		}
		if (!s->stopping && s->retry_at > clock_mono_ms()) {
			wait_until(s, s->retry_at);
			continue;
		}
		b = outq_take(&s->q, SENDER_BATCH_MAX);
		s->inflight_bytes = bytes_of(b);	/* flush sees it at once */
		pthread_mutex_unlock(&s->lock);
		body = request_body(s, b, &len);
		push_send(s->push, body, len, &r);
		pthread_mutex_lock(&s->lock);
		s->inflight_bytes = 0;
		n.level = 0;
		if (r.result == PUSH_OK)
			on_success(s, b, &n);
		else if (r.result == PUSH_RETRY)
			on_retry(s, b, &r, &n);
		else
			on_reject(s, b, &r, &n);
		pthread_cond_broadcast(&s->progress);
		if (n.level) {
			pthread_mutex_unlock(&s->lock);
			say(&n);
			pthread_mutex_lock(&s->lock);
		}
	}
	s->left = outq_points(&s->q);
	(void)outq_clear(&s->q);
	s->done = 1;
	pthread_cond_broadcast(&s->progress);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* sender_start - a queue of max_bytes and its thread; exits 1 if none */
struct sender *
sender_start(struct pusher *p, size_t max_bytes, const char *url)
{
	struct sender *s = xcalloc(1, sizeof(*s));
	pthread_condattr_t ca;
	int	rc;

	pthread_mutex_init(&s->lock, NULL);
	/* Timed waits on the monotonic clock: a clock step must not matter. */
	if (pthread_condattr_init(&ca) != 0
	    || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0
	    || pthread_cond_init(&s->wake, &ca) != 0
	    || pthread_cond_init(&s->progress, &ca) != 0)
		msg_fatal(MSG_EXIT_FAIL, "push: cannot set up the sender's clock");
	pthread_condattr_destroy(&ca);
	outq_init(&s->q, max_bytes);
	s->max_bytes = max_bytes;
	buf_init(&s->body);
	atomic_init(&s->cancel, 0);
	s->push = p;
	push_set_cancel(p, &s->cancel);
	snprintf(s->url, sizeof(s->url), "%s", url);
	if ((rc = pthread_create(&s->thread, NULL, run, s)) != 0)
		msg_fatal(MSG_EXIT_FAIL, "push: cannot start the sender thread: %s",
		    strerror(rc));
	return s;
}

/* count_lines - the points in a run of whole lines */
static uint64_t
count_lines(const char *p, size_t len)
{
	const char *end = p + len, *nl;
	uint64_t n = 0;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p = nl + 1;
	}
	return n + (p < end);
}

/* A batch cut from a scan, before it enters the queue. */
struct cut {
	char   *data;
	size_t	len;
	uint64_t points;
	enum outq_class cls;
};

/* The batches of one scan. */
struct cuts {
	struct cut *v;
	size_t	n, cap;
};

/*
 * cut_size - batches of a sixteenth of the bound (at most a request's
 * size, at least 1 KiB), so that a scan larger than the bound loses only
 * its last rows: the queue drops whole batches. Requests join batches
 * again (outq_take), so small batches cost no extra requests.
 */
static size_t
cut_size(size_t max_bytes)
{
	size_t	n = max_bytes / 16;

	return n > SENDER_BATCH_MAX ? SENDER_BATCH_MAX : n < 1024 ? 1024 : n;
}

/* line_end - where the batch from start may end: at most max, at a line end */
static size_t
line_end(const struct buf *b, size_t start, size_t max)
{
	const char *nl;
	size_t	end = b->len - start > max ? start + max : b->len;

	while (end < b->len && end > start && b->data[end - 1] != '\n')
		end--;
	if (end > start)
		return end;
	/* One line longer than a batch: that line alone. */
	nl = memchr(b->data + start, '\n', b->len - start);
	return nl ? (size_t)(nl - b->data) + 1 : b->len;
}

/* cut_batches - copy b out in batches of at most max bytes, whole lines */
static void
cut_batches(const struct buf *b, enum outq_class cls, size_t max,
    struct cuts *c)
{
	size_t	start = 0, end;
	struct cut *k;

	while (b != NULL && start < b->len) {
		end = line_end(b, start, max);
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 16;
			c->v = xreallocarray(c->v, c->cap, sizeof(*c->v));
		}
		k = &c->v[c->n++];
		k->len = end - start;
		k->data = xmalloc(k->len);
		memcpy(k->data, b->data + start, k->len);
		k->points = count_lines(k->data, k->len);
		k->cls = cls;
		start = end;
	}
}

/* sender_enqueue - a scan's core and detail lines into the queue */
void
sender_enqueue(struct sender *s, const struct buf *core,
    const struct buf *detail)
{
	struct cuts c = {NULL, 0, 0};
	uint64_t dropped = 0, total;
	size_t	limit, i;

	/* Copy outside the lock: a scan can be tens of megabytes. */
	cut_batches(core, OUTQ_CORE, SENDER_BATCH_MAX, &c);
	cut_batches(detail, OUTQ_DETAIL, cut_size(s->max_bytes), &c);
	pthread_mutex_lock(&s->lock);
	s->scans++;
	for (i = 0; i < c.n; i++)
		dropped += outq_push(&s->q, c.v[i].data, c.v[i].len, c.v[i].points,
		    c.v[i].cls, s->scans);
	total = outq_dropped(&s->q);
	limit = s->max_bytes;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	free(c.v);
	if (dropped)
		msg_error("push buffer full (%zu bytes): dropped %llu unsent points "
		    "(breakdown rows first, queue totals last); %llu dropped since "
		    "start", limit, (unsigned long long)dropped,
		    (unsigned long long)total);
}

/* sender_stats - the counters for the next scan line */
void
sender_stats(struct sender *s, struct push_stats *ps)
{
	pthread_mutex_lock(&s->lock);
	*ps = s->ps;
	ps->dropped = outq_dropped(&s->q);
	ps->buffer_bytes = outq_bytes(&s->q) + s->inflight_bytes;
	pthread_mutex_unlock(&s->lock);
}

/* sender_reload - a new server or bound; the queue is kept */
void
sender_reload(struct sender *s, struct pusher *p, size_t max_bytes,
    const char *url)
{
	uint64_t dropped;

	push_set_cancel(p, &s->cancel);
	pthread_mutex_lock(&s->lock);
	push_free(s->next_push);	/* a reload the thread had not taken yet */
	s->next_push = p;
	snprintf(s->next_url, sizeof(s->next_url), "%s", url);
	dropped = outq_set_limit(&s->q, max_bytes);
	s->max_bytes = max_bytes;
	s->retry_at = 0;		/* the new server deserves a try */
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	if (dropped)
		msg_error("push buffer now %zu bytes: dropped %llu unsent points",
		    max_bytes, (unsigned long long)dropped);
}

/* sender_flush - wait until the queue is empty or max_failures more failed */
void
sender_flush(struct sender *s, unsigned max_failures)
{
	uint64_t first;

	pthread_mutex_lock(&s->lock);
	first = s->failures;
	while ((outq_count(&s->q) > 0 || s->inflight_bytes > 0) && !s->done
	    && s->failures - first < max_failures)
		pthread_cond_wait(&s->progress, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

/* sender_stop - deliver for at most grace_ms, then end the thread */
uint64_t
sender_stop(struct sender *s, unsigned grace_ms)
{
	struct timespec ts;
	size_t	bytes;
	uint64_t left;

	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	s->deadline = clock_mono_ms() + grace_ms;
	bytes = outq_bytes(&s->q) + s->inflight_bytes;
	pthread_cond_signal(&s->wake);
	clock_mono_abs(s->deadline, &ts);
	while (!s->done && pthread_cond_timedwait(&s->progress, &s->lock, &ts)
	    != ETIMEDOUT)
		;
	if (!s->done)
		atomic_store(&s->cancel, 1);	/* libcurl notices within ~1 s */
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	left = s->left;
	if (left)
		msg_error("stopping with %llu points (about %zu bytes) not "
		    "delivered to %s", (unsigned long long)left, bytes, s->url);
	return left;
}

/* sender_free - after sender_stop(): the pushers and the queue */
void
sender_free(struct sender *s)
{
	if (s == NULL)
		return;
	push_free(s->push);
	push_free(s->next_push);
	outq_free(&s->q);
	buf_free(&s->body);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	pthread_cond_destroy(&s->progress);
	free(s);
}
