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
#include <fcntl.h>
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
#include "postconf.h"
#include "pqsource.h"
#include "priv.h"
#include "push.h"
#include "report.h"
#include "schema.h"
#include "spool.h"
#include "xalloc.h"

#define DEFAULT_QUEUE_DIR	"/var/spool/postfix"
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
	char   *queue_dir;
	int	queue_fd;		/* opened before dropping root; or -1 */
	enum source { SRC_SPOOL, SRC_SHOWQ, SRC_POSTQUEUE } source;
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

/* load_settings - defaults, then the file, then the command line */
static int
load_settings(struct settings *out, const struct settings *cli,
    const char *file, char *err, size_t errlen)
{
	struct settings f;

	settings_init(out);
	if (file) {
		settings_init(&f);
		if (config_load(file, &f, err, errlen) < 0) {
			settings_free(&f);
			settings_free(out);
			return -1;
		}
		settings_merge(out, &f);
		settings_free(&f);
	}
	settings_merge(out, cli);
	if (settings_finish(out, err, errlen) < 0) {
		settings_free(out);
		return -1;
	}
	return 0;
}

/* queue_dir_of - --queue-dir, -c, or the default instance; NULL + err */
static char *
queue_dir_of(const struct settings *s, char *err, size_t errlen)
{
	char	why[512];
	char   *dir;

	if (s->queue_dir)
		return xstrdup(s->queue_dir);
	if ((dir = postconf_queue_directory(s->config_dir, why, sizeof(why))))
		return dir;
	if (s->config_dir) {
		snprintf(err, errlen, "config_dir (-c): cannot read queue_directory: "
		    "%s", why);
		return NULL;
	}
	msg_info("%s; using %s", why, DEFAULT_QUEUE_DIR);
	return xstrdup(DEFAULT_QUEUE_DIR);
}

/* write_all - the whole buffer to fd, or -1 */
static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t	n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
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
 * scan_threads - how many threads scan: the setting, or one per online
 * core up to 8 (past that the disk, not the CPU, sets the pace).
 */
static unsigned
scan_threads(const struct agent *A)
{
	long	n;

	if (A->cfg.threads)
		return (unsigned)A->cfg.threads;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 8 ? 8 : (unsigned)n;
}

/* read_queue - count the queue into a from this run's source */
static int
read_queue(const struct agent *A, const struct spool_opts *so, struct agg *a,
    struct scan_stats *st, char *err, size_t errlen)
{
	switch (A->source) {
	case SRC_POSTQUEUE:
		return pq_scan(A->cfg.config_dir, a, st, err, errlen);
	case SRC_SHOWQ:
		return sq_scan(A->queue_fd, A->queue_dir, a, st, err, errlen);
	case SRC_SPOOL:
		break;
	}
	return spool_scan(A->queue_dir, so, a, st, err, errlen);
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
	struct spool_opts so;
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
	memset(&so, 0, sizeof(so));
	so.threads = scan_threads(A);
	so.queue_fd = A->queue_fd;
	if (A->source != SRC_SPOOL) {
		o.source = A->source == SRC_SHOWQ ? SOURCE_SHOWQ : SOURCE_POSTQUEUE;
		o.no_identity = 1;
	}
	if (oneshot || A->cfg.no_cache || A->source != SRC_SPOOL) {
		a = agg_create(now);
	} else {
		if (A->agg == NULL) {
			A->agg = agg_create(now);
			A->cache = cache_create();
		} else
			agg_rescan(A->agg, now);
		a = A->agg;
		so.cache = A->cache;
	}
	if (read_queue(A, &so, a, &st, err, sizeof(err)) < 0) {
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
		if (write_all(STDOUT_FILENO, out->data, out->len) < 0)
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

/* reload - SIGHUP: re-read the file; keep everything if it is wrong */
static void
reload(struct agent *A)
{
	struct settings fresh, old;
	char	err[1024];
	char   *dir;

	if (load_settings(&fresh, A->cli, A->config_file, err, sizeof(err)) < 0) {
		msg_error("reload: %s; keeping the previous configuration", err);
		return;
	}
	if (!fresh.execd != !A->cfg.execd || !fresh.interval_ms != !A->cfg.interval_ms
	    || !fresh.push_url != !A->cfg.push_url
	    || !fresh.source != !A->cfg.source || (fresh.source
	    && strcmp(fresh.source, A->cfg.source) != 0)) {
		msg_error("reload: interval, execd, push and source cannot be "
		    "switched by a reload; keeping the previous configuration");
		settings_free(&fresh);
		return;
	}
	if ((dir = queue_dir_of(&fresh, err, sizeof(err))) == NULL) {
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
	if (strcmp(dir, A->queue_dir) != 0) {
		/* Opened as whom pfqmon now is; spool_scan() reports a failure. */
		if (A->queue_fd >= 0)
			close(A->queue_fd);
		A->queue_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	free(A->queue_dir);
	A->queue_dir = dir;
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

	if (load_settings(&s, cli, config_file, err, sizeof(err)) < 0)
		msg_fatal(MSG_EXIT_USAGE, "%s", err);
	if ((dir = queue_dir_of(&s, err, sizeof(err))) == NULL)
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

/*
 * choose_source - where this run reads the queue. auto takes the first
 * that can work, richest first: the files (they alone name SASL users
 * and clients), the showq socket (the postdrop group), postqueue -j
 * (anyone); it says on stderr why when it cannot take the files.
 */
static enum source
choose_source(const struct agent *A)
{
	const char *s = A->cfg.source;
	char	safe[256];
	int	showq;

	if (s != NULL && strcmp(s, "postqueue") == 0)
		return SRC_POSTQUEUE;
	if (s != NULL && strcmp(s, "showq") == 0)
		return SRC_SHOWQ;
	if (s != NULL && strcmp(s, "spool") == 0)
		return SRC_SPOOL;
	if (geteuid() == 0)
		return SRC_SPOOL;
	if (A->queue_fd >= 0 && faccessat(A->queue_fd, "deferred", R_OK | X_OK, 0) == 0
	    && faccessat(A->queue_fd, "active", R_OK | X_OK, 0) == 0)
		return SRC_SPOOL;
	/* With --queue-dir there is no configuration to hand postqueue. */
	showq = A->queue_fd >= 0 && faccessat(A->queue_fd, "public/showq", W_OK, 0) == 0;
	if (!showq && A->cfg.queue_dir != NULL)
		return SRC_SPOOL;
	msg_warn("source %s: %s/deferred is not readable by uid %u, so no SASL "
	    "users or client addresses%s (run pfqmon as root or as the mail "
	    "owner for those; never change queue permissions)",
	    showq ? "showq" : "postqueue", printable_for_log(safe, sizeof(safe),
	    A->queue_dir, strlen(A->queue_dir)), (unsigned)geteuid(),
	    showq ? "" : ", and public/showq needs the postdrop group");
	return showq ? SRC_SHOWQ : SRC_POSTQUEUE;
}

/* agent_run - see agent.h */
int
agent_run(const struct settings *cli, const char *config_file)
{
	struct agent A;
	char	err[1024], why[PRIV_WHY_MAX];
	int	rc = 0;

	memset(&A, 0, sizeof(A));
	A.cli = cli;
	A.config_file = config_file;
	if (load_settings(&A.cfg, cli, config_file, err, sizeof(err)) < 0)
		msg_fatal(MSG_EXIT_USAGE, "%s", err);
	msg_verbose = A.cfg.verbose;
	if (A.cfg.execd || A.cfg.interval_ms)
		msg_set_telegraf(1);
	if ((A.queue_dir = queue_dir_of(&A.cfg, err, sizeof(err))) == NULL)
		msg_fatal(MSG_EXIT_USAGE, "%s", err);
	outq_init(&A.q, (size_t)A.cfg.push_buffer_bytes);
	if (start_push(&A, err, sizeof(err)) < 0)
		msg_fatal(MSG_EXIT_USAGE, "%s", err);
	/* Open the queue while root may, then give root up for good. */
	A.queue_fd = open(A.queue_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	A.source = choose_source(&A);
	if (priv_drop(A.queue_fd, A.cfg.user, why, sizeof(why), err, sizeof(err)) < 0)
		msg_fatal(MSG_EXIT_USAGE, "%s", err);
	msg_info("%s", why);
	if (A.source == SRC_POSTQUEUE && getuid() != 0) {
		/* postqueue is setgid postdrop: no_new_privs would strip that. */
		msg_info("postqueue source as a user: no sandbox (the user cannot "
		    "write to the queue anyway)");
	} else if (priv_restrict(why, sizeof(why), err, sizeof(err)) < 0) {
		msg_fatal(MSG_EXIT_FAIL, "%s", err);
	} else
		msg_info("%s", why);
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
	if (A.queue_fd >= 0)
		close(A.queue_fd);
	free(A.queue_dir);
	settings_free(&A.cfg);
	return rc;
}
