/*
 * agent.c - the scan loops: one-shot, interval and execd (see agent.h).
 *
 * Signals are blocked except while the loop waits (ppoll), so a scan or
 * a request is never interrupted half-way: SIGTERM and SIGINT take effect
 * at the next wait, SIGHUP reloads there. Scans never wait for InfluxDB:
 * delivery is attempted after each scan and when a retry falls due, and
 * an unreachable server only fills the bounded queue.
 *
 * Linux-specific: ppoll(2) waits with the signals let in atomically.
 */
#define _GNU_SOURCE		/* ppoll */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "agg.h"
#include "buf.h"
#include "cache.h"
#include "config.h"
#include "msg.h"
#include "outq.h"
#include "push.h"
#include "report.h"
#include "schema.h"
#include "source.h"
#include "spool.h"
#include "xalloc.h"

#define BATCH_MAX		(4u << 20)	/* bytes per request */
#define BACKOFF_FIRST_MS	1000
#define BACKOFF_MAX_MS		60000
#define ONESHOT_ATTEMPTS	4
#define DEAD_KEYS_SLACK		65536	/* keys of gone mail kept at most */

static volatile sig_atomic_t got_stop, got_hup;

struct agent {
	const struct settings *cli;	/* the command line: it wins */
	const char *config_file;
	struct settings cfg;		/* effective settings */
	struct source src;		/* where the queue is read */
	struct pusher *push;		/* NULL: print to stdout */
	struct outq q;
	struct push_stats ps;
	uint64_t backoff_ms;		/* 0 after a success */
	int64_t	retry_at;		/* monotonic ms when a retry is due */
	int	failing;		/* the last attempt failed */
	sigset_t waitmask;		/* signals unblocked while waiting */
	/* Loop modes: what the files said, for the next scan (spool.c). */
	struct agg *agg;
	struct cache *cache;
};

/* mono_ms, real_ms - clocks in milliseconds */
static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* on_signal - only set flags; the loop acts on them */
static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_stop = 1;
}

/* catch_signals - handlers, blocked until the loop waits */
static void
catch_signals(struct agent *A)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &A->waitmask);
}

/* wait_for - sleep up to ms (or for stdin with fd 0), signals let in */
static int
wait_for(struct agent *A, int64_t ms, int watch_stdin)
{
	struct pollfd pfd = {STDIN_FILENO, POLLIN, 0};
	struct timespec ts, *tp = NULL;

	if (ms >= 0) {
		ts.tv_sec = (time_t)(ms / 1000);
		ts.tv_nsec = (long)(ms % 1000) * 1000000;
		tp = &ts;
	}
	return ppoll(watch_stdin ? &pfd : NULL, watch_stdin ? 1 : 0, tp,
	    &A->waitmask);
}

/* forget - drop the rescan cache: the next scan reads every file */
static void
forget(struct agent *A)
{
	cache_free(A->cache);
	agg_free(A->agg);
	A->cache = NULL;
	A->agg = NULL;
}

/*
 * too_many_dead_keys - the aggregate kept across scans remembers every
 * sender ever seen; once most of them have left the queue, start afresh
 * (the next scan reads every file again) so memory follows the queue.
 */
static int
too_many_dead_keys(const struct agg *a)
{
	size_t	live = 0;
	int	d;

	for (d = 0; d < DIM_COUNT; d++)
		live += agg_keys(a, (enum agg_dim)d);
	return agg_dead_keys(a) > live + DEAD_KEYS_SLACK;
}

/*
 * scan - one scan as line protocol in out; timestamp_ns 0 for none. A
 * queue that cannot be read is fatal in one-shot mode (it must not look
 * empty) and a scan line with errors=1 in the loops, so dashboards and
 * the deadman alert still see the agent.
 */
static void
scan(struct agent *A, int64_t timestamp_ns, int oneshot, struct buf *out)
{
	struct report_opts o;
	struct scan_sink to;
	struct scan_stats st;
	struct timespec t0, t1;
	struct agg *a;
	char	err[768];
	int64_t	now;

	now = A->cfg.now ? (int64_t)A->cfg.now : timestamp_ns ?
	    timestamp_ns / 1000000000 : (int64_t)time(NULL);
	memset(&o, 0, sizeof(o));
	o.top = (size_t)A->cfg.top;
	o.tags = A->cfg.tags;
	o.ntags = A->cfg.ntags;
	o.timestamp_ns = timestamp_ns;
	o.push = A->push ? &A->ps : NULL;
	A->ps.buffer_bytes = A->q.bytes;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	o.source = source_name(A->src.kind);
	o.no_identity = A->src.kind != SRC_SPOOL;
	if (oneshot || A->cfg.no_cache || A->src.kind != SRC_SPOOL) {
		a = agg_create(now);
	} else {
		if (A->agg == NULL) {
			A->agg = agg_create(now);
			A->cache = cache_create();
		} else
			agg_rescan(A->agg, now);
		a = A->agg;
	}
	memset(&to, 0, sizeof(to));
	to.agg = a;
	if (source_read(&A->src, a == A->agg ? A->cache : NULL, &to, &st, err,
	    sizeof(err)) < 0) {
		if (oneshot)
			msg_fatal(MSG_EXIT_FAIL, "%s", err);
		msg_error("%s", err);
		memset(&st, 0, sizeof(st));
		st.errors = 1;
		report_scan(out, &o, &st);
	} else {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		st.duration_us = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000);
		report_write(out, a, &o, &st);
	}
	if (a != A->agg)
		agg_free(a);
	else if (too_many_dead_keys(a))
		forget(A);
}

/* enqueue - queue a scan for InfluxDB, in requests of at most BATCH_MAX */
static void
enqueue(struct agent *A, const struct buf *out)
{
	size_t	start = 0, end, dropped = 0;
	char   *copy;

	while (start < out->len) {
		end = out->len - start > BATCH_MAX ? start + BATCH_MAX : out->len;
		while (end < out->len && end > start && out->data[end - 1] != '\n')
			end--;
		if (end == start)		/* one line longer than a batch */
			end = out->len;
		copy = xmalloc(end - start);
		memcpy(copy, out->data + start, end - start);
		dropped += outq_push(&A->q, copy, end - start);
		start = end;
	}
	A->ps.dropped = A->q.dropped;
	A->ps.buffer_bytes = A->q.bytes;
	if (dropped)
		msg_error("push buffer full (%llu bytes): dropped the %zu oldest "
		    "unsent scans; %llu dropped since start",
		    (unsigned long long)A->q.max_bytes, dropped,
		    (unsigned long long)A->q.dropped);
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

/*
 * deliver - send queued scans, oldest first, until one has to wait.
 * final: one last attempt (stopping), no waiting for retries.
 */
static void
deliver(struct agent *A, int final)
{
	const struct outq_batch *b;
	struct push_reply r;

	while ((b = outq_head(&A->q)) != NULL) {
		if (!final && A->retry_at && mono_ms() < A->retry_at)
			return;
		push_send(A->push, b->data, b->len, &r);
		if (r.result == PUSH_RETRY) {
			A->ps.retried++;
			A->backoff_ms = next_backoff(A->backoff_ms, r.retry_after);
			A->retry_at = mono_ms() + (int64_t)A->backoff_ms;
			if (!A->failing || msg_verbose)
				msg_warn("cannot push to InfluxDB (%s); retrying in %.1f s, "
				    "%zu scans waiting", r.error, A->backoff_ms / 1000.0,
				    A->q.count);
			A->failing = 1;
			return;
		}
		if (r.result == PUSH_OK) {
			A->ps.sent++;
			if (A->failing)
				msg_warn("InfluxDB accepts data again");
			A->failing = 0;
			A->backoff_ms = 0;
			A->retry_at = 0;
		} else {
			A->ps.rejected++;
			msg_error("InfluxDB rejected a scan, which is dropped: %s",
			    r.error);
		}
		outq_pop(&A->q);
		A->ps.buffer_bytes = A->q.bytes;
	}
}

/* emit - print a scan, or queue it and try to send */
static void
emit(struct agent *A, const struct buf *out)
{
	if (A->push == NULL) {
		if (buf_write(out, STDOUT_FILENO) < 0)
			msg_fatal(MSG_EXIT_FAIL, "cannot write output: %s",
			    strerror(errno));
		return;
	}
	enqueue(A, out);
	deliver(A, 0);
}

/* start_push - a pusher for the current settings, or exit 2 */
static int
start_push(struct agent *A, char *err, size_t errlen)
{
	struct pusher *p;

	if (A->cfg.push_url == NULL) {
		push_free(A->push);
		A->push = NULL;
		return 0;
	}
	if ((p = push_create(&A->cfg, err, errlen)) == NULL)
		return -1;
	push_free(A->push);
	A->push = p;
	A->q.max_bytes = (size_t)A->cfg.push_buffer_bytes;
	return 0;
}

/* same_string - equal strings, or both unset */
static int
same_string(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/*
 * reload - SIGHUP: re-read the file; keep everything if it is wrong. The
 * config_dir stays: the helper that runs postconf and postqueue for the
 * sandboxed agent (child.h) was started with it.
 */
static void
reload(struct agent *A)
{
	struct settings fresh, old;
	char	err[1024];
	char   *dir;

	if (config_settings(&fresh, A->cli, A->config_file, err, sizeof(err)) < 0) {
		msg_error("reload: %s; keeping the previous configuration", err);
		return;
	}
	if (!fresh.execd != !A->cfg.execd || !fresh.interval_ms != !A->cfg.interval_ms
	    || !fresh.push_url != !A->cfg.push_url
	    || !same_string(fresh.source, A->cfg.source)
	    || !same_string(fresh.config_dir, A->cfg.config_dir)) {
		msg_error("reload: interval, execd, push, source and config_dir "
		    "cannot be switched by a reload; keeping the previous "
		    "configuration");
		settings_free(&fresh);
		return;
	}
	if ((dir = source_queue_dir(&fresh, err, sizeof(err))) == NULL) {
		msg_error("reload: %s; keeping the previous configuration", err);
		settings_free(&fresh);
		return;
	}
	old = A->cfg;
	A->cfg = fresh;
	if (start_push(A, err, sizeof(err)) < 0) {
		msg_error("reload: %s; keeping the previous configuration", err);
		A->cfg = old;
		settings_free(&fresh);
		free(dir);
		return;
	}
	settings_free(&old);
	source_reload(&A->src, &A->cfg, dir);
	forget(A);
	msg_verbose = A->cfg.verbose;
	while (A->q.bytes > A->q.max_bytes && outq_head(&A->q)) {
		A->q.dropped++;
		A->q.dropped_bytes += outq_head(&A->q)->len;
		outq_pop(&A->q);
	}
	A->ps.dropped = A->q.dropped;
	msg_warn("configuration reloaded");
}

/* oneshot - one scan; a push is retried a few times, then reported */
static int
oneshot(struct agent *A)
{
	struct buf out;
	int	attempt;

	buf_init(&out);
	scan(A, A->push ? real_ms() * 1000000 : 0, 1, &out);
	if (A->push == NULL) {
		emit(A, &out);
		buf_free(&out);
		return 0;
	}
	enqueue(A, &out);
	buf_free(&out);
	for (attempt = 0; attempt < ONESHOT_ATTEMPTS && outq_head(&A->q); attempt++) {
		if (A->retry_at > mono_ms()) {
			struct timespec ts;
			int64_t	ms = A->retry_at - mono_ms();

			ts.tv_sec = (time_t)(ms / 1000);
			ts.tv_nsec = (long)(ms % 1000) * 1000000;
			nanosleep(&ts, NULL);
		}
		deliver(A, 0);
	}
	if (A->ps.rejected || outq_head(&A->q)) {
		msg_error("the scan was not delivered to %s", A->cfg.push_url);
		return MSG_EXIT_FAIL;
	}
	return 0;
}

/* interval - scan at every multiple of the interval until stopped */
static void
interval(struct agent *A)
{
	struct buf out;
	int64_t	step = (int64_t)A->cfg.interval_ms, tick, wait, now;

	buf_init(&out);
	tick = (real_ms() / step + 1) * step;
	while (!got_stop) {
		if (got_hup) {
			got_hup = 0;
			reload(A);
			if ((int64_t)A->cfg.interval_ms != step) {
				step = (int64_t)A->cfg.interval_ms;
				tick = (real_ms() / step + 1) * step;
			}
		}
		if ((now = real_ms()) >= tick) {
			buf_reset(&out);
			scan(A, tick * 1000000, 0, &out);
			emit(A, &out);
			msg_info("scan at %lld.%03lld s", (long long)(tick / 1000),
			    (long long)(tick % 1000));
			for (tick += step; tick <= real_ms(); tick += step)
				msg_warn("a scan took longer than the interval: "
				    "skipping the tick at %lld", (long long)(tick / 1000));
		}
		if (A->push && outq_head(&A->q))
			deliver(A, 0);
		wait = tick - real_ms();
		if (A->push && outq_head(&A->q) && A->retry_at - mono_ms() < wait)
			wait = A->retry_at - mono_ms();
		if (wait > 0)
			(void)wait_for(A, wait, 0);
	}
	buf_free(&out);
}

/* execd - Telegraf's execd protocol: a scan for every line on stdin */
static void
execd(struct agent *A)
{
	struct buf out;
	char	in[4096];
	ssize_t	n, i;

	buf_init(&out);
	while (!got_stop) {
		if (got_hup) {
			got_hup = 0;
			reload(A);
		}
		if (wait_for(A, -1, 1) < 0) {
			if (errno == EINTR)
				continue;
			msg_fatal(MSG_EXIT_FAIL, "waiting for stdin: %s", strerror(errno));
		}
		if ((n = read(STDIN_FILENO, in, sizeof(in))) == 0)
			break;			/* Telegraf closed stdin: done */
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			msg_fatal(MSG_EXIT_FAIL, "reading stdin: %s", strerror(errno));
		}
		for (i = 0; i < n; i++)
			if (in[i] == '\n') {
				buf_reset(&out);
				scan(A, 0, 0, &out);
				emit(A, &out);
			}
	}
	buf_free(&out);
}

/* finish - stopping: one last attempt for what is queued, then report */
static void
finish(struct agent *A)
{
	if (A->push == NULL || outq_head(&A->q) == NULL)
		return;
	deliver(A, 1);
	if (outq_head(&A->q))
		msg_error("stopping with %zu scans (%zu bytes) not delivered to %s",
		    A->q.count, A->q.bytes, A->cfg.push_url);
}

/* agent_check - --check-config: the effective settings, without secrets */
int
agent_check(const struct settings *cli, const char *config_file)
{
	struct settings s;
	char	err[1024];
	char   *dir;
	size_t	i;

	if (config_settings(&s, cli, config_file, err, sizeof(err)) < 0)
		msg_fatal(MSG_EXIT_USAGE, "%s", err);
	if ((dir = source_queue_dir(&s, err, sizeof(err))) == NULL)
		msg_fatal(MSG_EXIT_USAGE, "%s", err);
	printf("queue directory: %s\n", dir);
	printf("mode: %s", s.execd ? "execd" : s.interval_ms ? "interval" : "one scan");
	if (s.interval_ms)
		printf(" every %llu ms", (unsigned long long)s.interval_ms);
	printf("\noutput: ");
	if (s.push_url)
		printf("push to %s (%s %s%s%s), buffer %llu bytes\n", s.push_url,
		    s.push_bucket ? "InfluxDB 2.x bucket" : "InfluxDB 1.x database",
		    s.push_bucket ? s.push_bucket : s.push_db,
		    s.push_password || s.push_token ? ", with credentials" : "",
		    s.push_no_gzip ? ", uncompressed" : "",
		    (unsigned long long)s.push_buffer_bytes);
	else
		printf("stdout\n");
	printf("rows per breakdown: %llu\n", (unsigned long long)s.top);
	for (i = 0; i < s.ntags; i++)
		printf("tag: %s=%s\n", s.tags[i].key, s.tags[i].value);
	printf("configuration OK\n");
	free(dir);
	settings_free(&s);
	return 0;
}

/* agent_run - see agent.h */
int
agent_run(const struct settings *cli, const char *config_file)
{
	struct agent A;
	char	err[1024];
	int	rc = 0;

	memset(&A, 0, sizeof(A));
	A.cli = cli;
	A.config_file = config_file;
	if (config_settings(&A.cfg, cli, config_file, err, sizeof(err)) < 0)
		msg_fatal(MSG_EXIT_USAGE, "%s", err);
	msg_verbose = A.cfg.verbose;
	if (A.cfg.execd || A.cfg.interval_ms)
		msg_set_telegraf(1);
	outq_init(&A.q, (size_t)A.cfg.push_buffer_bytes);
	if (start_push(&A, err, sizeof(err)) < 0)
		msg_fatal(MSG_EXIT_USAGE, "%s", err);
	if (source_open(&A.src, &A.cfg, A.cfg.execd || A.cfg.interval_ms ?
	    SOURCE_NEED_RELOAD : 0, err, sizeof(err)) < 0)
		msg_fatal(MSG_EXIT_USAGE, "%s", err);
	srandom((unsigned)getpid() ^ (unsigned)real_ms());

	if (A.cfg.execd || A.cfg.interval_ms) {
		catch_signals(&A);
		if (A.cfg.execd)
			execd(&A);
		else
			interval(&A);
		finish(&A);
	} else {
		rc = oneshot(&A);
	}
	forget(&A);
	outq_free(&A.q);
	push_free(A.push);
	source_close(&A.src);
	settings_free(&A.cfg);
	return rc;
}
