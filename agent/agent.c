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
#include "clock.h"
#include "closing.h"
#include "config.h"
#include "msg.h"
#include "prom.h"
#include "push.h"
#include "report.h"
#include "scan.h"
#include "sched.h"
#include "schema.h"
#include "sender.h"
#include "serve.h"
#include "source.h"
#include "spool.h"
#include "xalloc.h"

#define ONESHOT_ATTEMPTS	4	/* failed requests before a one-shot gives up */
#define STOP_GRACE_MS		5000	/* stopping: time left to deliver */
#define DEAD_KEYS_SLACK		65536	/* keys of gone mail kept at most */

static volatile sig_atomic_t got_stop, got_hup;

struct agent {
	const struct settings *cli;	/* the command line: it wins */
	const char *config_file;
	struct settings cfg;		/* effective settings */
	struct source src;		/* where the queue is read */
	struct sender *send;		/* NULL: print to stdout */
	struct serve *serve;		/* pfqmon serve: scans go to /metrics */
	int	prom;			/* write Prometheus's text (prom.h) */
	sigset_t waitmask;		/* signals unblocked while waiting */
	/* Loop modes: what the files said, for the next scan (spool.c). */
	struct agg *agg;
	struct cache *cache;
	unsigned src_generation;	/* the queue directory the cache is of */
	struct closing *closing;	/* loops: rows of the last report */
	struct spool_watch *watch;	/* loops: inotify on the queue, or NULL */
	int	no_inotify;		/* said once: inotify is not there */
	int64_t	last_full_ms;		/* monotonic: the last scan listing all */
};

/* on_signal - only set flags; the loop acts on them */
static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_stop = 1;
}

/* agent_block_signals - see agent.h */
void
agent_block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

/* agent_unblock_signals - see agent.h */
void
agent_unblock_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/*
 * catch_signals - handlers for the loops. The signals stay blocked (main
 * blocked them first thing, so one sent during start-up waits here
 * instead of killing the agent) and are let in only while the loop waits.
 */
static void
catch_signals(struct agent *A)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigprocmask(SIG_BLOCK, NULL, &A->waitmask);
	sigdelset(&A->waitmask, SIGTERM);
	sigdelset(&A->waitmask, SIGINT);
	sigdelset(&A->waitmask, SIGHUP);
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

/* forget - drop the rescan cache and the watch: the next scan reads all */
static void
forget(struct agent *A)
{
	cache_free(A->cache);
	agg_free(A->agg);
	spool_watch_free(A->watch);
	A->cache = NULL;
	A->agg = NULL;
	A->watch = NULL;
}

/*
 * watch_queue - the loops read the files: follow them with inotify
 * (spool.h), unless told not to or the kernel cannot; and list every
 * directory again when full_rescan is due
 */
static void
watch_queue(struct agent *A)
{
	char	err[256];

	if (A->cfg.no_watch || A->no_inotify) {
		A->src.watch = NULL;
		return;
	}
	if (A->watch == NULL && (A->watch = spool_watch_create(err,
	    sizeof(err))) == NULL) {
		msg_warn("%s: every scan lists every directory (the rescan cache "
		    "still spares reading unchanged files)", err);
		A->no_inotify = 1;
	}
	A->src.watch = A->watch;
	A->src.full = clock_mono_ms() - A->last_full_ms >=
	    (int64_t)A->cfg.full_rescan_ms;
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
 * scan - one scan as line protocol: in core alone when printing, split
 * into core and detail (report_write_split) when pushing; timestamp_ns 0
 * for none. A queue that cannot be read is fatal in one-shot mode (it
 * must not look empty) and a scan line with errors=1 in the loops, so
 * dashboards and the deadman alert still see the agent.
 */
static void
scan(struct agent *A, int64_t timestamp_ns, int oneshot, struct buf *core,
    struct buf *detail)
{
	struct report_opts o;
	struct push_stats ps;
	struct scan_sink to;
	struct scan_stats st;
	struct timespec t0, t1;
	struct agg *a, *arrived = NULL;
	char	err[768];
	int64_t	now;

	now = A->cfg.now ? (int64_t)A->cfg.now : timestamp_ns ?
	    timestamp_ns / 1000000000 : (int64_t)time(NULL);
	memset(&o, 0, sizeof(o));
	o.top = (size_t)A->cfg.top;
	o.tags = A->cfg.tags;
	o.ntags = A->cfg.ntags;
	o.timestamp_ns = timestamp_ns;
	o.closing = A->closing;
	if (A->send) {
		sender_stats(A->send, &ps);
		o.push = &ps;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	o.source = source_name(A->src.kind);
	o.no_identity = A->src.kind != SRC_SPOOL;
	/* The queue directory is another one now: the cache is of the old. */
	if (source_follow(&A->src) != A->src_generation) {
		A->src_generation = A->src.generation;
		forget(A);
	}
	if (oneshot || A->cfg.no_cache || A->src.kind != SRC_SPOOL) {
		a = agg_create(now);
		A->src.watch = NULL;
	} else {
		if (A->agg == NULL) {
			A->agg = agg_create(now);
			A->cache = cache_create();
		} else
			agg_rescan(A->agg, now);
		a = A->agg;
		watch_queue(A);
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
		if (A->prom)
			prom_write(core, NULL, &o, &st, now);
		else
			report_scan(core, &o, &st);
	} else {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		st.duration_us = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000);
		if (st.full)
			A->last_full_ms = clock_mono_ms();
		/* Arrivals are seen only while the queue is watched. */
		if (A->src.watch && !spool_watch_broken(A->src.watch)) {
			arrived = spool_watch_arrivals(A->src.watch, &o.arrived);
			o.arrivals = arrived;
		}
		if (A->prom)
			prom_write(core, a, &o, &st, now);
		else if (A->send)
			report_write_split(core, detail, a, &o, &st);
		else
			report_write(core, a, &o, &st);
	}
	agg_free(arrived);
	if (a != A->agg)
		agg_free(a);
	else if (too_many_dead_keys(a))
		forget(A);
}

/* emit - print a scan, or hand it to the sender (which never waits) */
static void
emit(struct agent *A, const struct buf *core, const struct buf *detail)
{
	if (A->serve != NULL) {
		serve_publish(A->serve, core);
		return;
	}
	if (A->send == NULL) {
		if (buf_write(core, STDOUT_FILENO) < 0)
			msg_fatal(MSG_EXIT_FAIL, "cannot write output: %s",
			    strerror(errno));
		return;
	}
	sender_enqueue(A->send, core, detail);
}

/* new_pusher - a pusher for the current settings, or NULL + err */
static struct pusher *
new_pusher(struct agent *A, char *url, size_t urlcap, char *err, size_t errlen)
{
	url_for_log(url, urlcap, A->cfg.push_url);
	return push_create(&A->cfg, err, errlen);
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
	struct pusher *p = NULL;
	char	err[1024], url[SENDER_URL_MAX];
	char   *dir;

	if (config_settings(&fresh, A->cli, A->config_file, err, sizeof(err)) < 0) {
		msg_error("reload: %s; keeping the previous configuration", err);
		return;
	}
	if (!fresh.execd != !A->cfg.execd || !fresh.interval_ms != !A->cfg.interval_ms
	    || !fresh.push_url != !A->cfg.push_url
	    || !same_string(fresh.listen, A->cfg.listen)
	    || !same_string(fresh.format, A->cfg.format)
	    || !same_string(fresh.source, A->cfg.source)
	    || !same_string(fresh.config_dir, A->cfg.config_dir)) {
		msg_error("reload: interval, execd, push, listen, format, source "
		    "and config_dir "
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
	if (A->send && (p = new_pusher(A, url, sizeof(url), err, sizeof(err)))
	    == NULL) {
		msg_error("reload: %s; keeping the previous configuration", err);
		A->cfg = old;
		settings_free(&fresh);
		free(dir);
		return;
	}
	if (A->send)
		sender_reload(A->send, p, (size_t)A->cfg.push_buffer_bytes, url);
	settings_free(&old);
	source_reload(&A->src, &A->cfg, dir);
	forget(A);
	msg_verbose = A->cfg.verbose;
	msg_warn("configuration reloaded");
}

/*
 * oneshot - one scan; a push is retried a few times, and anything not
 * delivered (refused, dropped for the bound, or still waiting) is an
 * error, exit 1
 */
static int
oneshot(struct agent *A)
{
	struct buf core, detail;
	struct push_stats ps;
	char	url[SENDER_URL_MAX];

	buf_init(&core);
	buf_init(&detail);
	scan(A, A->send ? clock_real_ms() * 1000000 : 0, 1, &core, &detail);
	emit(A, &core, &detail);
	buf_free(&core);
	buf_free(&detail);
	if (A->send == NULL)
		return 0;
	sender_flush(A->send, ONESHOT_ATTEMPTS);
	(void)sender_stop(A->send, 0);
	sender_stats(A->send, &ps);
	if (ps.rejected == 0 && ps.dropped == 0)
		return 0;
	msg_error("the scan was not delivered whole to %s: %llu points sent, "
	    "%llu refused, %llu dropped", url_for_log(url, sizeof(url),
	    A->cfg.push_url), (unsigned long long)ps.sent,
	    (unsigned long long)ps.rejected, (unsigned long long)ps.dropped);
	return MSG_EXIT_FAIL;
}

/*
 * interval - a scan at every tick until stopped. Ticks are monotonic
 * (sched.h): a wall-clock step costs one log line, never a gap or a
 * burst of scans.
 */
static void
interval(struct agent *A)
{
	struct buf core, detail;
	struct sched sc;
	int64_t	stamp, stepped, started, wait;
	uint64_t skipped;

	buf_init(&core);
	buf_init(&detail);
	sched_init(&sc, (int64_t)A->cfg.interval_ms, clock_mono_ms(),
	    clock_real_ms());
	while (!got_stop) {
		if (got_hup) {
			got_hup = 0;
			reload(A);
			if ((int64_t)A->cfg.interval_ms != sc.step)
				sched_init(&sc, (int64_t)A->cfg.interval_ms,
				    clock_mono_ms(), clock_real_ms());
		}
		if ((started = clock_mono_ms()) >= sc.next_mono) {
			stamp = sched_fire(&sc, started, clock_real_ms(), &stepped);
			if (stepped)
				msg_warn("the wall clock moved by %+.1f s: scans keep "
				    "their pace, their timestamps follow the clock",
				    stepped / 1000.0);
			buf_reset(&core);
			buf_reset(&detail);
			scan(A, stamp * 1000000, 0, &core, &detail);
			emit(A, &core, &detail);
			msg_info("scan at %lld.%03lld s", (long long)(stamp / 1000),
			    (long long)(stamp % 1000));
			if ((skipped = sched_next(&sc, clock_mono_ms())) > 0)
				msg_warn("a scan took %lld ms, longer than the "
				    "interval: %llu ticks skipped",
				    (long long)(clock_mono_ms() - started),
				    (unsigned long long)skipped);
		}
		wait = sc.next_mono - clock_mono_ms();
		if (wait > 0)
			(void)wait_for(A, wait, 0);
	}
	buf_free(&core);
	buf_free(&detail);
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
				scan(A, 0, 0, &out, NULL);
				emit(A, &out, NULL);
			}
	}
	buf_free(&out);
}

/* agent_check - --check-config: the effective settings, without secrets */
int
agent_check(const struct settings *cli, const char *config_file)
{
	struct settings s;
	char	err[1024], url[SENDER_URL_MAX];
	char   *dir;
	size_t	i;

	if (config_settings(&s, cli, config_file, err, sizeof(err)) < 0)
		msg_fatal(MSG_EXIT_USAGE, "%s", err);
	if ((dir = source_queue_dir(&s, err, sizeof(err))) == NULL)
		msg_fatal(MSG_EXIT_USAGE, "%s", err);
	printf("queue directory: %s\n", dir);
	if (s.listen)
		printf("mode: serve /metrics on %s, scanning", s.listen);
	else
		printf("mode: %s", s.execd ? "execd" : s.interval_ms ? "interval" :
		    "one scan");
	if (s.interval_ms)
		printf(" every %llu ms", (unsigned long long)s.interval_ms);
	printf("\noutput: ");
	if (s.push_url)
		printf("push to %s (%s %s%s%s), buffer %llu bytes\n",
		    url_for_log(url, sizeof(url), s.push_url),
		    s.push_bucket ? "InfluxDB 2.x bucket" : "InfluxDB 1.x database",
		    s.push_bucket ? s.push_bucket : s.push_db,
		    s.push_password || s.push_token || strchr(s.push_url, '@') ?
		    ", with credentials" : "",
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
	struct pusher *p = NULL;
	char	err[1024], url[SENDER_URL_MAX];
	int	rc = 0, loop;

	memset(&A, 0, sizeof(A));
	A.cli = cli;
	A.config_file = config_file;
	if (config_settings(&A.cfg, cli, config_file, err, sizeof(err)) < 0)
		msg_fatal(MSG_EXIT_USAGE, "%s", err);
	msg_verbose = A.cfg.verbose;
	loop = A.cfg.execd || A.cfg.interval_ms;
	if (loop) {
		msg_set_telegraf(1);
		catch_signals(&A);
	} else
		agent_unblock_signals();	/* one scan: signals act as usual */
	srandom((unsigned)getpid() ^ (unsigned)clock_real_ms());
	if (A.cfg.push_url && (p = new_pusher(&A, url, sizeof(url), err,
	    sizeof(err))) == NULL)
		msg_fatal(MSG_EXIT_USAGE, "%s", err);
	A.prom = A.cfg.listen || (A.cfg.format
	    && strcmp(A.cfg.format, "openmetrics") == 0);
	/* Bound while root may bind; served only once sandboxed (below). */
	if (A.cfg.listen && (A.serve = serve_create(&A.cfg, err,
	    sizeof(err))) == NULL)
		msg_fatal(MSG_EXIT_FAIL, "%s", err);
	if (source_open(&A.src, &A.cfg, A.cfg.execd || A.cfg.interval_ms ?
	    SOURCE_NEED_RELOAD : 0, err, sizeof(err)) < 0)
		msg_fatal(MSG_EXIT_USAGE, "%s", err);
	A.src_generation = A.src.generation;
	/*
	 * Only now the sender's thread: the sandbox (source_open) holds
	 * for the threads started after it, not for those already running.
	 */
	if (p != NULL)
		A.send = sender_start(p, (size_t)A.cfg.push_buffer_bytes, url);
	if (A.serve && serve_start(A.serve, err, sizeof(err)) < 0)
		msg_fatal(MSG_EXIT_FAIL, "%s", err);

	if (loop) {
		A.closing = closing_create();
		if (A.cfg.execd)
			execd(&A);
		else
			interval(&A);
		if (A.send)
			(void)sender_stop(A.send, STOP_GRACE_MS);
	} else {
		rc = oneshot(&A);
	}
	serve_free(A.serve);
	forget(&A);
	closing_free(A.closing);
	sender_free(A.send);
	source_close(&A.src);
	settings_free(&A.cfg);
	return rc;
}
