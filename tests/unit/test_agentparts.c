/*
 * test_agentparts.c - the push queue, the interval schedule and the
 * settings: bounds, drops, priorities, clock steps, parsing, merging
 * (command line over file) and impossible combinations; which options
 * sudo.c lets through, and its trusted directories.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "closing.h"
#include "outq.h"
#include "sched.h"
#include "settings.h"
#include "sudo.h"
#include "unit.h"
#include "xalloc.h"

static char *
batch(size_t len, char c)
{
	char   *p = xmalloc(len);

	memset(p, c, len);
	return p;
}

/* push - a batch of len bytes of c, one point, into scan */
static uint64_t
push(struct outq *q, size_t len, char c, enum outq_class cls, uint64_t scan)
{
	return outq_push(q, batch(len, c), len, 1, cls, scan);
}

/* take - the letter of the next batch to send, alone, or 0 */
static char
take(struct outq *q)
{
	struct outq_batch *b = outq_take(q, 1);
	char	c;

	if (b == NULL)
		return 0;
	c = b->data[0];
	outq_batch_free(b);
	return c;
}

START_TEST(outq_keeps_order_and_bound)
{
	struct outq q;

	outq_init(&q, 100);
	ck_assert_uint_eq(push(&q, 40, 'a', OUTQ_DETAIL, 1), 0);
	ck_assert_uint_eq(push(&q, 40, 'b', OUTQ_DETAIL, 2), 0);
	ck_assert_uint_eq(outq_bytes(&q), 80);
	/* 30 more bytes do not fit: the oldest goes, and is counted. */
	ck_assert_uint_eq(push(&q, 30, 'c', OUTQ_DETAIL, 3), 1);
	ck_assert_uint_eq(outq_dropped(&q), 1);
	ck_assert_int_eq(take(&q), 'b');
	ck_assert_uint_eq(outq_count(&q), 1);
	ck_assert_uint_eq(outq_bytes(&q), 30);
	/* A detail batch larger than the whole bound is dropped itself. */
	ck_assert_uint_eq(push(&q, 101, 'd', OUTQ_DETAIL, 4), 1);
	ck_assert_uint_eq(outq_dropped(&q), 2);
	ck_assert_uint_eq(outq_points(&q), 1);
	/* Several old batches can go for one new one. */
	ck_assert_uint_eq(push(&q, 20, 'e', OUTQ_DETAIL, 5), 0);
	ck_assert_uint_eq(push(&q, 100, 'f', OUTQ_CORE, 6), 2);
	ck_assert_uint_eq(outq_dropped(&q), 4);
	ck_assert_uint_eq(outq_count(&q), 1);
	outq_free(&q);
	ck_assert_ptr_null(outq_take(&q, 1000));
}
END_TEST

START_TEST(outq_core_before_detail)
{
	struct outq q;

	outq_init(&q, 1000);
	push(&q, 10, 'a', OUTQ_CORE, 1);
	push(&q, 10, 'b', OUTQ_DETAIL, 1);
	push(&q, 10, 'c', OUTQ_CORE, 2);
	push(&q, 10, 'd', OUTQ_DETAIL, 2);
	/* Every scan's totals first, oldest first; then the breakdowns. */
	ck_assert_int_eq(take(&q), 'a');
	ck_assert_int_eq(take(&q), 'c');
	ck_assert_int_eq(take(&q), 'b');
	ck_assert_int_eq(take(&q), 'd');
	ck_assert_int_eq(take(&q), 0);
	outq_free(&q);
}
END_TEST

START_TEST(outq_detail_never_displaces_core)
{
	struct outq q;

	outq_init(&q, 100);
	push(&q, 60, 'a', OUTQ_CORE, 1);
	push(&q, 30, 'b', OUTQ_DETAIL, 1);
	/* A second scan's details: the first scan's go, its core stays. */
	ck_assert_uint_eq(push(&q, 30, 'c', OUTQ_DETAIL, 2), 1);
	/* More of the same scan than fits: the newcomer goes, not the rest. */
	ck_assert_uint_eq(push(&q, 30, 'd', OUTQ_DETAIL, 2), 1);
	ck_assert_int_eq(take(&q), 'a');
	ck_assert_int_eq(take(&q), 'c');
	ck_assert_int_eq(take(&q), 0);
	outq_free(&q);
}
END_TEST

START_TEST(outq_scan_larger_than_the_bound)
{
	struct outq q;
	int	i;

	/* As --push-buffer-bytes 1024 with a report of many kilobytes. */
	outq_init(&q, 100);
	ck_assert_uint_eq(push(&q, 150, 'a', OUTQ_CORE, 1), 0);
	for (i = 0; i < 5; i++)
		ck_assert_uint_eq(push(&q, 40, 'x', OUTQ_DETAIL, 1), 1);
	ck_assert_uint_eq(outq_dropped(&q), 5);
	/* The newer scan's core replaces the older one's, not both lost. */
	ck_assert_uint_eq(push(&q, 150, 'b', OUTQ_CORE, 2), 1);
	ck_assert_int_eq(take(&q), 'b');
	ck_assert_int_eq(take(&q), 0);
	outq_free(&q);
}
END_TEST

START_TEST(outq_takes_what_fits_in_a_request)
{
	struct outq q;
	struct outq_batch *b;

	outq_init(&q, 1000);
	push(&q, 10, 'a', OUTQ_CORE, 1);
	push(&q, 30, 'b', OUTQ_DETAIL, 1);
	push(&q, 10, 'c', OUTQ_CORE, 2);
	push(&q, 30, 'd', OUTQ_DETAIL, 2);
	/* 50 bytes: both cores and the first details; then the rest. */
	b = outq_take(&q, 50);
	ck_assert_int_eq(b->data[0], 'a');
	ck_assert_int_eq(b->next->data[0], 'c');
	ck_assert_int_eq(b->next->next->data[0], 'b');
	ck_assert_ptr_null(b->next->next->next);
	/* Given back, the chain is first again, in its order. */
	ck_assert_uint_eq(outq_return(&q, b), 0);
	ck_assert_uint_eq(outq_count(&q), 4);
	ck_assert_int_eq(take(&q), 'a');
	ck_assert_int_eq(take(&q), 'c');
	ck_assert_int_eq(take(&q), 'b');
	/* One batch larger than the request size still goes, alone. */
	b = outq_take(&q, 5);
	ck_assert_int_eq(b->data[0], 'd');
	ck_assert_ptr_null(b->next);
	outq_batch_free(b);
	outq_free(&q);
}
END_TEST

START_TEST(outq_return_and_limits)
{
	struct outq q;
	struct outq_batch *b;

	outq_init(&q, 100);
	push(&q, 40, 'a', OUTQ_DETAIL, 1);
	push(&q, 40, 'b', OUTQ_DETAIL, 2);
	b = outq_take(&q, 1);
	/* While a is out being sent, c fills the queue; a comes back first. */
	push(&q, 50, 'c', OUTQ_DETAIL, 3);
	ck_assert_uint_eq(outq_return(&q, b), 1);	/* a itself, the oldest */
	ck_assert_uint_eq(outq_bytes(&q), 90);
	ck_assert_uint_eq(outq_set_limit(&q, 60), 1);
	ck_assert_int_eq(take(&q), 'c');
	push(&q, 10, 'd', OUTQ_CORE, 4);
	push(&q, 10, 'e', OUTQ_DETAIL, 4);
	ck_assert_uint_eq(outq_clear(&q), 2);
	ck_assert_uint_eq(outq_dropped(&q), 4);
	ck_assert_uint_eq(outq_count(&q), 0);
	outq_free(&q);
}
END_TEST

/* gone_cb - collect the keys closing_gone() reports, "a,b," (128 bytes) */
static void
gone_cb(void *ctx, const char *key, size_t len)
{
	char   *got = ctx;
	size_t	used = strlen(got);

	snprintf(got + used, 128 - used, "%.*s,", (int)len, key);
}

START_TEST(closing_reports_each_gone_row_once)
{
	struct closing *c = closing_create();
	char	got[128];

	closing_keep(c, DIM_SENDER, "a@x", 3);
	closing_keep(c, DIM_SENDER, "b@x", 3);
	closing_keep(c, DIM_SASL, "a", 1);
	got[0] = '\0';
	closing_gone(c, DIM_SENDER, gone_cb, got);
	closing_gone(c, DIM_SASL, gone_cb, got);
	ck_assert_str_eq(got, "");		/* nothing was reported before */
	/* b@x leaves, c@x comes; "b@x\0..." must not match a prefix. */
	closing_keep(c, DIM_SENDER, "c@x", 3);
	closing_keep(c, DIM_SENDER, "a@x", 3);
	closing_keep(c, DIM_SENDER, "b@", 2);
	closing_gone(c, DIM_SENDER, gone_cb, got);
	ck_assert_str_eq(got, "b@x,");
	/* The SASL breakdown is its own: an empty round closes "a". */
	got[0] = '\0';
	closing_gone(c, DIM_SASL, gone_cb, got);
	ck_assert_str_eq(got, "a,");
	/* Closed once, then forgotten. */
	got[0] = '\0';
	closing_gone(c, DIM_SASL, gone_cb, got);
	ck_assert_str_eq(got, "");
	closing_free(c);
}
END_TEST

START_TEST(sched_follows_monotonic_time)
{
	struct sched s;
	int64_t	stepped, stamp;
	const int64_t mono0 = 5000, real0 = 1700000000300LL;

	/* First tick: the next whole second of the wall clock. */
	sched_init(&s, 1000, mono0, real0);
	ck_assert_int_eq(s.next_mono, mono0 + 700);
	stamp = sched_fire(&s, mono0 + 700, real0 + 700, &stepped);
	ck_assert_int_eq(stamp, 1700000001000LL);
	ck_assert_int_eq(stepped, 0);
	ck_assert_uint_eq(sched_next(&s, mono0 + 750), 0);
	ck_assert_int_eq(s.next_mono, mono0 + 1700);
	/* The wall clock goes back 30 s: the next tick is still 1 s later. */
	stamp = sched_fire(&s, mono0 + 1700, real0 + 1700 - 30000, &stepped);
	ck_assert_int_eq(stepped, -30000);
	ck_assert_int_eq(stamp, 1700000002000LL - 30000);
	ck_assert_uint_eq(sched_next(&s, mono0 + 1720), 0);
	ck_assert_int_eq(s.next_mono, mono0 + 2700);
	/* An hour forward: one tick later, not 3,600 at once. */
	stamp = sched_fire(&s, mono0 + 2700, real0 + 2700 - 30000 + 3600000,
	    &stepped);
	ck_assert_int_eq(stepped, 3600000);
	ck_assert_uint_eq(sched_next(&s, mono0 + 2710), 0);
	ck_assert_int_eq(s.next_mono, mono0 + 3700);
	/* A scan of 2.5 s skips two ticks, and says so. */
	sched_fire(&s, mono0 + 3700, real0 + 3700 + 3570000, &stepped);
	ck_assert_int_eq(stepped, 0);
	ck_assert_uint_eq(sched_next(&s, mono0 + 6200), 2);
	ck_assert_int_eq(s.next_mono, mono0 + 6700);
	/* NTP slewing by a few ms is followed silently, stamps stay whole. */
	stamp = sched_fire(&s, mono0 + 6700, real0 + 6700 + 3570000 + 7, &stepped);
	ck_assert_int_eq(stepped, 0);
	ck_assert_int_eq(stamp % 1000, 0);
}
END_TEST

START_TEST(durations)
{
	uint64_t ms;

	ck_assert_int_eq(settings_parse_duration("10s", &ms), 0);
	ck_assert_uint_eq(ms, 10000);
	ck_assert_int_eq(settings_parse_duration("500ms", &ms), 0);
	ck_assert_uint_eq(ms, 500);
	ck_assert_int_eq(settings_parse_duration("2m", &ms), 0);
	ck_assert_uint_eq(ms, 120000);
	ck_assert_int_eq(settings_parse_duration("1h", &ms), 0);
	ck_assert_uint_eq(ms, 3600000);
	ck_assert_int_eq(settings_parse_duration("10", &ms), -1);
	ck_assert_int_eq(settings_parse_duration("-1s", &ms), -1);
	ck_assert_int_eq(settings_parse_duration("3d", &ms), 0);
	ck_assert_uint_eq(ms, 3 * 86400000ULL);
	ck_assert_int_eq(settings_parse_duration("1w", &ms), -1);
	ck_assert_int_eq(settings_parse_duration(" 1s", &ms), -1);
	ck_assert_int_eq(settings_parse_duration("99999999999s", &ms), -1);
}
END_TEST

START_TEST(values_are_checked)
{
	struct settings s;
	char	err[256];

	settings_init(&s);
	ck_assert_int_eq(settings_set(&s, settings_find("top"), "5", err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(s.top, 5);
	ck_assert_int_eq(settings_set(&s, settings_find("top"), "5x", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "0 to 1000000"));
	ck_assert_int_eq(settings_set(&s, settings_find("interval"), "50ms",
	    err, sizeof(err)), -1);		/* below the 100 ms minimum */
	ck_assert_int_eq(settings_set(&s, settings_find("interval"), "100ms",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(settings_set(&s, settings_find("queue_dir"), "", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(settings_set(&s, settings_find("tag"), "host", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(settings_set(&s, settings_find("tag"), "queue=x", err,
	    sizeof(err)), -1);		/* pfqmon's own tag */
	ck_assert_int_eq(settings_set(&s, settings_find("tag"), "bad key=x", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(settings_set(&s, settings_find("tag"), "zone=eu", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(settings_set(&s, settings_find("tag"), "host=mx1", err,
	    sizeof(err)), 0);
	/* Kept sorted by key, for line protocol. */
	ck_assert_str_eq(s.tags[0].key, "host");
	ck_assert_str_eq(s.tags[1].key, "zone");
	ck_assert_ptr_null(settings_find("no_such_option"));
	settings_free(&s);
}
END_TEST

START_TEST(command_line_wins_over_file)
{
	struct settings eff, file, cli;
	char	err[256];

	settings_init(&eff);
	settings_init(&file);
	settings_init(&cli);
	ck_assert_int_eq(settings_set(&file, settings_find("top"), "7", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(settings_set(&file, settings_find("queue_dir"), "/f",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(settings_set(&file, settings_find("tag"), "host=file",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(settings_set(&file, settings_find("tag"), "zone=eu",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(settings_set(&cli, settings_find("top"), "3", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(settings_set(&cli, settings_find("tag"), "host=cli",
	    err, sizeof(err)), 0);
	settings_merge(&eff, &file);
	settings_merge(&eff, &cli);
	ck_assert_uint_eq(eff.top, 3);
	ck_assert_str_eq(eff.queue_dir, "/f");	/* not on the command line */
	ck_assert_uint_eq(eff.ntags, 2);
	ck_assert_str_eq(eff.tags[0].value, "cli");
	ck_assert_str_eq(eff.tags[1].value, "eu");
	ck_assert_uint_eq(eff.push_timeout_ms, 10000);	/* a default */
	settings_free(&eff);
	settings_free(&file);
	settings_free(&cli);
}
END_TEST

/* finish_error - settings_finish() after setting name=value pairs */
static int
finish_with(const char *const *kv, char *err, size_t errlen)
{
	struct settings s;
	int	rc;

	settings_init(&s);
	for (; *kv; kv += 2)
		ck_assert_int_eq(settings_set(&s, settings_find(kv[0]), kv[1], err,
		    errlen), 0);
	rc = settings_finish(&s, err, errlen);
	settings_free(&s);
	return rc;
}

START_TEST(impossible_combinations)
{
	static const char *const both_dirs[] = {"queue_dir", "/q", "config_dir", "/c", NULL};
	static const char *const execd_push[] = {"execd", "true", "push", "http://x", "push_db", "d", NULL};
	static const char *const no_db[] = {"push", "http://x", NULL};
	static const char *const ftp[] = {"push", "ftp://x", "push_db", "d", NULL};
	static const char *const v1_v2[] = {"push", "http://x", "push_db", "d", "push_bucket", "b", NULL};
	static const char *const no_url[] = {"push_db", "d", NULL};
	static const char *const two_secrets[] = {"push", "http://x", "push_bucket", "b",
		"push_token", "t", "push_token_env", "HOME", NULL};
	static const char *const missing_env[] = {"push", "http://x", "push_db", "d",
		"push_password_env", "PFQMON_TEST_NO_SUCH_VAR", NULL};
	static const char *const good[] = {"push", "https://x:8086/", "push_db", "d",
		"interval", "10s", NULL};
	char	err[256];

	ck_assert_int_eq(finish_with(both_dirs, err, sizeof(err)), -1);
	ck_assert_int_eq(finish_with(execd_push, err, sizeof(err)), -1);
	ck_assert_int_eq(finish_with(no_db, err, sizeof(err)), -1);
	ck_assert_int_eq(finish_with(ftp, err, sizeof(err)), -1);
	ck_assert_int_eq(finish_with(v1_v2, err, sizeof(err)), -1);
	ck_assert_int_eq(finish_with(no_url, err, sizeof(err)), -1);
	ck_assert_int_eq(finish_with(two_secrets, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "one way only"));
	ck_assert_int_eq(finish_with(missing_env, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "PFQMON_TEST_NO_SUCH_VAR"));
	ck_assert_int_eq(finish_with(good, err, sizeof(err)), 0);
}
END_TEST

START_TEST(every_cli_option_has_a_key)
{
	const struct setting_def *t;
	size_t	i, n;

	t = settings_table(&n);
	ck_assert_uint_lt(n, 64);	/* the "set" bitmask */
	for (i = 0; i < n; i++) {
		ck_assert_ptr_eq(settings_find(t[i].name), &t[i]);
		ck_assert_ptr_null(strchr(t[i].name, '-'));
		ck_assert_ptr_nonnull(t[i].help);
	}
}
END_TEST

/*
 * Through sudo as a user, exactly these options are allowed: the ones
 * that only shape stdout, and the two directories (when trusted). A new
 * option is refused until it is declared harmless here and in the table.
 */
START_TEST(sudo_allows_only_stdout_options)
{
	static const char *const stdout_only[] = {
		"source", "top", "now", "threads", "no_cache", "no_watch", "full_rescan", "verbose",
		"interval", "execd", "tag", "format",
	};
	const struct setting_def *t;
	size_t	i, j, n, allowed = 0;
	int	listed;

	t = settings_table(&n);
	for (i = 0; i < n; i++) {
		listed = 0;
		for (j = 0; j < sizeof(stdout_only) / sizeof(stdout_only[0]); j++)
			listed |= strcmp(t[i].name, stdout_only[j]) == 0;
		if (strcmp(t[i].name, "queue_dir") == 0
		    || strcmp(t[i].name, "config_dir") == 0)
			ck_assert_int_eq(t[i].sudo, SUDO_TRUSTED_DIR);
		else if (listed)
			ck_assert_int_eq(t[i].sudo, SUDO_STDOUT);
		else
			ck_assert_msg(t[i].sudo != SUDO_STDOUT
			    && t[i].sudo != SUDO_TRUSTED_DIR, "%s", t[i].name);
		allowed += t[i].sudo == SUDO_STDOUT;
	}
	ck_assert_uint_eq(allowed, sizeof(stdout_only) / sizeof(stdout_only[0]));
	ck_assert_int_eq(settings_find("push")->sudo, SUDO_SENDS);
	ck_assert_int_eq(settings_find("push_token_file")->sudo, SUDO_READS_FILE);
	ck_assert_int_eq(settings_find("user")->sudo, SUDO_ROOT_ONLY);
	ck_assert_int_eq(settings_find("listen")->sudo, SUDO_SENDS);
	ck_assert_int_eq(settings_find("listen_connections")->sudo, SUDO_SENDS);
}
END_TEST

START_TEST(listen_addresses)
{
	static const struct {
		const char *text;
		int	family;
		unsigned port;
		unsigned char first, last;
	} good[] = {
		{":9154", 0, 9154, 0, 0},
		{":1", 0, 1, 0, 0},
		{"", 0, SETTINGS_LISTEN_PORT, 0, 0},
		{"127.0.0.1:65535", AF_INET, 65535, 127, 1},
		{"192.0.2.7", AF_INET, SETTINGS_LISTEN_PORT, 192, 7},
		{"[::1]:80", AF_INET6, 80, 0, 1},
		{"[2001:db8::9]", AF_INET6, SETTINGS_LISTEN_PORT, 0x20, 9},
		{"::1", AF_INET6, SETTINGS_LISTEN_PORT, 0, 1},
	};
	static const char *const bad[] = {
		"localhost:9154", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:", ":x",
		"[::1", "[::1]x", "[::1]:", "300.1.1.1", "1.2.3.4:80x", ":-1",
		"[1.2.3.4]:80", "[]:80 ", "1.2.3.4:+80",
	};
	struct listen_addr la;
	char	err[200];
	size_t	i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(settings_parse_listen(good[i].text, &la, err,
		    sizeof(err)) == 0, "%s: %s", good[i].text, err);
		ck_assert_int_eq(la.family, good[i].family);
		ck_assert_uint_eq(la.port, good[i].port);
		if (la.family != 0) {
			ck_assert_uint_eq(la.addr[0], good[i].first);
			ck_assert_uint_eq(la.addr[la.family == AF_INET ? 3 : 15],
			    good[i].last);
		}
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(settings_parse_listen(bad[i], &la, err, sizeof(err))
		    < 0, "%s accepted", bad[i]);
	ck_assert_str_eq(SETTINGS_LISTEN_DEFAULT, ":9154");
}
END_TEST

/* trusted - sudo_trusted_dir() accepts dir and resolves it to want */
static void
trusted(const char *dir, const char *want)
{
	char	err[512];
	char   *got = sudo_trusted_dir(dir, err, sizeof(err));

	ck_assert_msg(got != NULL, "%s: %s", dir, err);
	ck_assert_str_eq(got, want);
	free(got);
}

/* untrusted - sudo_trusted_dir() refuses dir with a reason naming needle */
static void
untrusted(const char *dir, const char *needle)
{
	char	err[512];
	char   *got = sudo_trusted_dir(dir, err, sizeof(err));

	ck_assert_msg(got == NULL, "%s accepted", dir);
	ck_assert_msg(strstr(err, needle) != NULL, "%s: %s", dir, err);
}

/*
 * The directories of sudo_trusted_dirs, made and removed outside the
 * test (an unchecked fixture runs in the parent), so that a failing
 * test leaves nothing behind.
 */
static char tbase[] = "/tmp/pfqmon-unit.XXXXXX";
static char treal[PATH_MAX], tsub[PATH_MAX + 16], tlink[PATH_MAX + 16];
static char twide[PATH_MAX + 16], tbelow[PATH_MAX + 16];

static void
trusted_setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tbase));
	ck_assert_ptr_nonnull(realpath(tbase, treal));
	snprintf(tsub, sizeof(tsub), "%s/etc", treal);
	snprintf(tlink, sizeof(tlink), "%s/link", treal);
	snprintf(twide, sizeof(twide), "%s/wide", treal);
	snprintf(tbelow, sizeof(tbelow), "%s/wide/etc", treal);
}

static void
trusted_teardown(void)
{
	(void)rmdir(tbelow);
	(void)rmdir(twide);
	(void)unlink(tlink);
	(void)rmdir(tsub);
	(void)rmdir(treal);
}

START_TEST(sudo_trusted_dirs)
{
	ck_assert_int_eq(chmod(treal, 0755), 0);
	ck_assert_int_eq(mkdir(tsub, 0755), 0);
	ck_assert_int_eq(symlink(tsub, tlink), 0);
	ck_assert_int_eq(mkdir(twide, 0700), 0);
	ck_assert_int_eq(chmod(twide, 0775), 0);
	ck_assert_int_eq(mkdir(tbelow, 0755), 0);

	trusted("/", "/");
	untrusted("/tmp", "can be written by others");	/* sticky or not */
	untrusted("/nonexistent-pfqmon-dir", "No such file");
	untrusted("/etc/passwd", "is not a directory");
	if (geteuid() != 0)
		return;			/* the directories below are not root's */
	/* Root's directories below sticky /tmp: nobody else can move them. */
	trusted(tbase, treal);
	trusted(tsub, tsub);
	trusted(tlink, tsub);		/* a symlink counts by where it leads */
	untrusted(twide, "can be written by its group");
	untrusted(tbelow, "can be written by its group");	/* above it */
	ck_assert_int_eq(chmod(twide, 0755), 0);
	trusted(tbelow, tbelow);
	ck_assert_int_eq(chown(twide, 65534, 65534), 0);
	untrusted(twide, "belongs to uid 65534");
	untrusted(tbelow, "belongs to uid 65534");	/* above it */
}
END_TEST

Suite *
agentparts_suite(void)
{
	Suite  *s = suite_create("agentparts");
	TCase  *tc = tcase_create("outq_settings");

	tcase_add_test(tc, outq_keeps_order_and_bound);
	tcase_add_test(tc, outq_core_before_detail);
	tcase_add_test(tc, outq_detail_never_displaces_core);
	tcase_add_test(tc, outq_scan_larger_than_the_bound);
	tcase_add_test(tc, outq_takes_what_fits_in_a_request);
	tcase_add_test(tc, outq_return_and_limits);
	tcase_add_test(tc, sched_follows_monotonic_time);
	tcase_add_test(tc, closing_reports_each_gone_row_once);
	tcase_add_test(tc, durations);
	tcase_add_test(tc, values_are_checked);
	tcase_add_test(tc, command_line_wins_over_file);
	tcase_add_test(tc, impossible_combinations);
	tcase_add_test(tc, every_cli_option_has_a_key);
	tcase_add_test(tc, sudo_allows_only_stdout_options);
	tcase_add_test(tc, listen_addresses);
	suite_add_tcase(s, tc);
	tc = tcase_create("sudo");
	tcase_add_unchecked_fixture(tc, trusted_setup, trusted_teardown);
	tcase_add_test(tc, sudo_trusted_dirs);
	suite_add_tcase(s, tc);
	return s;
}
