/*
 * test_select.c - select's filters (filter.c), the internal address form
 * (addr.c), top's views (top.c) and the JSON writer (json.c).
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "agg.h"
#include "filter.h"
#include "json.h"
#include "schema.h"
#include "top.h"
#include "unit.h"

#define NOW	1800000000

/* A message with the given facts; NULL leaves a fact absent. */
struct fake {
	struct qf_msg m;
	struct qf_domain dom[4];
	char	text[256];
};

static const struct qf_msg *
fake(struct fake *f, const char *sender, const char *sasl, const char *client,
    const char *rcpt_domains, int64_t age)
{
	char	copy[256], *tok, *save;
	size_t	len;

	memset(f, 0, sizeof(*f));
	f->m.arrival = NOW - age;
	f->m.sender.p = sender;
	f->m.sender.len = strlen(sender);
	f->m.sasl_username.p = sasl;
	f->m.sasl_username.len = sasl ? strlen(sasl) : 0;
	f->m.client_address.p = client;
	f->m.client_address.len = client ? strlen(client) : 0;
	snprintf(copy, sizeof(copy), "%s", rcpt_domains);
	len = 0;
	for (tok = strtok_r(copy, " ", &save); tok && f->m.ndomains < 4;
	    tok = strtok_r(NULL, " ", &save)) {
		f->dom[f->m.ndomains].off = len;
		f->dom[f->m.ndomains].len = strlen(tok);
		f->dom[f->m.ndomains].count = 1;
		memcpy(f->text + len, tok, strlen(tok));
		len += strlen(tok);
		f->m.ndomains++;
	}
	f->m.domain_base = f->text;
	f->m.domains = f->dom;
	f->m.rcpt_pending = f->m.ndomains;
	return &f->m;
}

/* one - a filter of one kind and value; 1 if msg matches in queue q */
static int
one(enum filter_kind k, const char *v, enum pfq_queue q, const struct qf_msg *m)
{
	struct filter f;
	char	err[256];
	int	r;

	filter_init(&f);
	ck_assert_msg(filter_add(&f, k, v, err, sizeof(err)) == 0, "%s: %s", v, err);
	r = filter_match(&f, q, m, NOW);
	filter_free(&f);
	return r;
}

static int
bad(enum filter_kind k, const char *v)
{
	struct filter f;
	char	err[256] = "";
	int	r;

	filter_init(&f);
	r = filter_add(&f, k, v, err, sizeof(err));
	filter_free(&f);
	return r < 0 && err[0] != '\0';
}

START_TEST(unescape_is_urlquery_undone)
{
	char	out[64];

	/* What Go's urlquery makes of x'`touch PWNED`'$(id);|<b>& -z~ */
	ck_assert_int_eq(filter_unescape("x%27%60touch+PWNED%60%27%24%28id%29%3B"
	    "%7C%3Cb%3E%26+-z~", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "x'`touch PWNED`'$(id);|<b>& -z~");
	ck_assert_int_eq(filter_unescape("j%C3%BCrgen%40m%c3%bcller.test", out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "j\xc3\xbcrgen@m\xc3\xbcller.test");
	ck_assert_int_eq(filter_unescape("", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	/* Broken escapes, an encoded NUL, and what does not fit. */
	ck_assert_int_eq(filter_unescape("a%2", out, sizeof(out)), -1);
	ck_assert_int_eq(filter_unescape("a%zz", out, sizeof(out)), -1);
	ck_assert_int_eq(filter_unescape("a%00", out, sizeof(out)), -1);
	ck_assert_int_eq(filter_unescape("abcd", out, 4), -1);
	ck_assert_int_eq(filter_unescape("abc", out, 4), 0);
	ck_assert_int_eq(filter_unescape("abc", out, 0), -1);
}
END_TEST

START_TEST(sender_rules)
{
	struct fake f;
	const struct qf_msg *m = fake(&f, "Joe.Smith@Example.COM", NULL, NULL, "", 0);

	ck_assert(one(FILTER_SENDER, "Joe.Smith@example.com", Q_DEFERRED, m));
	ck_assert(one(FILTER_SENDER, "Joe.Smith@EXAMPLE.com", Q_DEFERRED, m));
	ck_assert(!one(FILTER_SENDER, "joe.smith@example.com", Q_DEFERRED, m));
	ck_assert(!one(FILTER_SENDER, "Joe.Smith@example.co", Q_DEFERRED, m));
	ck_assert(!one(FILTER_SENDER, "Joe.Smith", Q_DEFERRED, m));
	/* Quoted as showq prints it, stored unquoted. */
	m = fake(&f, "a b@x.test", NULL, NULL, "", 0);
	ck_assert(one(FILTER_SENDER, "\"a b\"@x.test", Q_DEFERRED, m));
	ck_assert(one(FILTER_SENDER, "a b@x.test", Q_DEFERRED, m));
	/* The null sender by all three names; nothing else is it. */
	m = fake(&f, "", NULL, NULL, "", 0);
	ck_assert(one(FILTER_SENDER, "", Q_DEFERRED, m));
	ck_assert(one(FILTER_SENDER, "<>", Q_DEFERRED, m));
	ck_assert(one(FILTER_SENDER, "MAILER-DAEMON", Q_DEFERRED, m));
	ck_assert(!one(FILTER_SENDER, "postmaster@x.test", Q_DEFERRED, m));
	m = fake(&f, "postmaster@x.test", NULL, NULL, "", 0);
	ck_assert(!one(FILTER_SENDER, "<>", Q_DEFERRED, m));
}
END_TEST

START_TEST(domain_rules)
{
	struct fake f;
	const struct qf_msg *m = fake(&f, "a@Mail.Example.COM", NULL, NULL,
	    "@dest.test @Other.TEST", 0);

	ck_assert(one(FILTER_SENDER_DOMAIN, "mail.example.com", Q_HOLD, m));
	ck_assert(one(FILTER_SENDER_DOMAIN, "MAIL.example.com.", Q_HOLD, m));
	ck_assert(!one(FILTER_SENDER_DOMAIN, "example.com", Q_HOLD, m));
	ck_assert(one(FILTER_SENDER_DOMAIN, ".example.com", Q_HOLD, m));
	ck_assert(one(FILTER_SENDER_DOMAIN, ".com", Q_HOLD, m));
	ck_assert(!one(FILTER_SENDER_DOMAIN, ".mail.example.com", Q_HOLD, m));
	ck_assert(!one(FILTER_SENDER_DOMAIN, ".ample.com", Q_HOLD, m));
	ck_assert(one(FILTER_RCPT_DOMAIN, "other.test", Q_HOLD, m));
	ck_assert(one(FILTER_RCPT_DOMAIN, "dest.test", Q_HOLD, m));
	ck_assert(!one(FILTER_RCPT_DOMAIN, "example.com", Q_HOLD, m));
	/* A bounce's sender domain is MAILER-DAEMON, as the tag says. */
	m = fake(&f, "", NULL, NULL, "", 0);
	ck_assert(one(FILTER_SENDER_DOMAIN, "MAILER-DAEMON", Q_HOLD, m));
	ck_assert(bad(FILTER_SENDER_DOMAIN, ""));
	ck_assert(bad(FILTER_SENDER_DOMAIN, "."));
	ck_assert(bad(FILTER_SENDER_DOMAIN, "user@example.com"));
	ck_assert(bad(FILTER_RCPT_DOMAIN, "..."));
}
END_TEST

START_TEST(sasl_rules)
{
	struct fake f;
	const struct qf_msg *m = fake(&f, "x@y", "victim", NULL, "", 0);

	ck_assert(one(FILTER_SASL, "victim", Q_ACTIVE, m));
	ck_assert(!one(FILTER_SASL, "Victim", Q_ACTIVE, m));
	ck_assert(!one(FILTER_SASL, "victim2", Q_ACTIVE, m));
	ck_assert(!one(FILTER_SASL, "victi", Q_ACTIVE, m));
	m = fake(&f, "x@y", "victim@Customer.Example", NULL, "", 0);
	ck_assert(one(FILTER_SASL, "victim@customer.example", Q_ACTIVE, m));
	/* No login: never matches, not even an odd filter value. */
	m = fake(&f, "x@y", NULL, NULL, "", 0);
	ck_assert(!one(FILTER_SASL, "MAILER-DAEMON", Q_ACTIVE, m));
	ck_assert(bad(FILTER_SASL, ""));
}
END_TEST

START_TEST(client_rules)
{
	struct fake f;
	const struct qf_msg *m = fake(&f, "x@y", NULL, "198.51.100.13", "", 0);

	ck_assert(one(FILTER_CLIENT, "198.51.100.13", Q_INCOMING, m));
	ck_assert(!one(FILTER_CLIENT, "198.51.100.12", Q_INCOMING, m));
	ck_assert(one(FILTER_CLIENT, "198.51.100.12/31", Q_INCOMING, m));
	ck_assert(!one(FILTER_CLIENT, "198.51.100.14/31", Q_INCOMING, m));
	ck_assert(one(FILTER_CLIENT, "198.51.100.0/24", Q_INCOMING, m));
	ck_assert(one(FILTER_CLIENT, "198.51.100.255/24", Q_INCOMING, m));
	ck_assert(one(FILTER_CLIENT, "0.0.0.0/0", Q_INCOMING, m));
	ck_assert(one(FILTER_CLIENT, "::ffff:198.51.100.13", Q_INCOMING, m));
	ck_assert(!one(FILTER_CLIENT, "2001:db8::/32", Q_INCOMING, m));
	m = fake(&f, "x@y", NULL, "2001:db8::7", "", 0);
	ck_assert(one(FILTER_CLIENT, "2001:db8::/32", Q_INCOMING, m));
	ck_assert(one(FILTER_CLIENT, "[2001:db8::7]", Q_INCOMING, m));
	ck_assert(one(FILTER_CLIENT, "2001:db8::6/127", Q_INCOMING, m));
	ck_assert(!one(FILTER_CLIENT, "2001:db8::6/128", Q_INCOMING, m));
	ck_assert(!one(FILTER_CLIENT, "0.0.0.0/0", Q_INCOMING, m));
	m = fake(&f, "x@y", NULL, "::ffff:192.0.2.1", "", 0);
	ck_assert(one(FILTER_CLIENT, "192.0.2.0/24", Q_INCOMING, m));
	/* Local submissions and garbage never match. */
	m = fake(&f, "x@y", NULL, NULL, "", 0);
	ck_assert(!one(FILTER_CLIENT, "0.0.0.0/0", Q_INCOMING, m));
	m = fake(&f, "x@y", NULL, "unknown", "", 0);
	ck_assert(!one(FILTER_CLIENT, "::/0", Q_INCOMING, m));
	ck_assert(bad(FILTER_CLIENT, "1.2.3"));
	ck_assert(bad(FILTER_CLIENT, "1.2.3.4/33"));
	ck_assert(bad(FILTER_CLIENT, "1.2.3.4/"));
	ck_assert(bad(FILTER_CLIENT, "1.2.3.4/-1"));
	ck_assert(bad(FILTER_CLIENT, "::/129"));
	ck_assert(bad(FILTER_CLIENT, "example.com"));
}
END_TEST

/*
 * Postfix stores every IPv6 client as "IPv6:2001:db8::25": the filter
 * reads that form, and accepts it pasted; families never mix, except
 * that an IPv4-mapped address is IPv4.
 */
START_TEST(client_ipv6_rules)
{
	struct fake f;
	const struct qf_msg *m = fake(&f, "x@y", NULL, "IPv6:2001:db8::25", "", 0);
	static const char *const same[] = {"2001:db8::25", "2001:DB8:0::25",
	    "2001:0db8:0:0:0:0:0:0025", "IPv6:2001:db8::25", "ipv6:2001:db8::25",
	    "[2001:db8::25]", "[IPv6:2001:db8::25]", "2001:db8::/32",
	    "IPv6:2001:db8::/32", "[2001:db8::]/32", "2001:db8::25/128",
	    "2001:db8::24/127", "::/0", "IPv6:::/0"};
	static const char *const other[] = {"2001:db8::26", "2001:db9::/32",
	    "2001:db8::24/128", "0.0.0.0/0", "::ffff:0:0/96", "::/96",
	    "IPv6:::ffff:0.0.0.0/96"};
	static const char *const hostile[] = {"IPv6:", "IPv6:192.0.2.1",
	    "IPv6:[2001:db8::25]", "IPv6:IPv6:2001:db8::25", "IPv6 :2001:db8::25",
	    "2001:db8::25%eth0", "fe80::1%eth0", "[fe80::1%eth0]/64",
	    "2001:db8::25 ", " 2001:db8::25", "2001:db8:::25", "::1.2.3.4.5",
	    "IPv6:2001:db8::/", "IPv6:2001:db8::/129", "2001:db8::/+32",
	    "[2001:db8::/32]", "[2001:db8::25", "2001:db8::25]", "IPv6:::1junk",
	    "0000000000000000000000000000000000000000000000000000000000000::1",
	    "1:2:3:4:5:6:7:8:9", "1.2.3.4/-0", ":::", "::ffff:1.2.3.4/129"};
	static const char *const junk[] = {"IPv6:", "IPv6:192.0.2.1",
	    "IPv6:fe80::1%eth0", "[IPv6:2001:db8::25]", "IPv6:IPv6:::1",
	    "IPv6:2001:db8::25\n"};
	size_t	i;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		ck_assert_msg(one(FILTER_CLIENT, same[i], Q_INCOMING, m), "%s", same[i]);
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		ck_assert_msg(!one(FILTER_CLIENT, other[i], Q_INCOMING, m), "%s",
		    other[i]);
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		ck_assert_msg(bad(FILTER_CLIENT, hostile[i]), "%s", hostile[i]);
	/* Any spelling Postfix or a person may use for the client. */
	m = fake(&f, "x@y", NULL, "2001:DB8:0::25", "", 0);
	ck_assert(one(FILTER_CLIENT, "IPv6:2001:db8::25", Q_INCOMING, m));
	m = fake(&f, "x@y", NULL, "iPv6:2001:db8:0:0:0:0:0:25", "", 0);
	ck_assert(one(FILTER_CLIENT, "2001:db8::/32", Q_INCOMING, m));
	/* An IPv6 filter, even ::/0, never matches an IPv4 client. */
	m = fake(&f, "x@y", NULL, "192.0.2.1", "", 0);
	ck_assert(!one(FILTER_CLIENT, "::/0", Q_INCOMING, m));
	ck_assert(!one(FILTER_CLIENT, "::/95", Q_INCOMING, m));
	ck_assert(!one(FILTER_CLIENT, "::192.0.2.1", Q_INCOMING, m));
	ck_assert(!one(FILTER_CLIENT, "::/96", Q_INCOMING, m));
	/* ...but a mapped one is IPv4, its prefix in IPv6 bits. */
	ck_assert(one(FILTER_CLIENT, "::ffff:0:0/96", Q_INCOMING, m));
	ck_assert(one(FILTER_CLIENT, "IPv6:::ffff:192.0.2.1", Q_INCOMING, m));
	ck_assert(one(FILTER_CLIENT, "::ffff:192.0.2.0/120", Q_INCOMING, m));
	ck_assert(!one(FILTER_CLIENT, "::ffff:192.0.3.0/120", Q_INCOMING, m));
	ck_assert(one(FILTER_CLIENT, "192.0.2.0/24", Q_INCOMING, m));
	/* Postfix with IPv6 alone writes a mapped client in IPv6 form. */
	m = fake(&f, "x@y", NULL, "IPv6:::ffff:192.0.2.1", "", 0);
	ck_assert(one(FILTER_CLIENT, "192.0.2.1", Q_INCOMING, m));
	ck_assert(one(FILTER_CLIENT, "192.0.2.0/24", Q_INCOMING, m));
	ck_assert(!one(FILTER_CLIENT, "::/0", Q_INCOMING, m));
	/* An embedded IPv4 that is not mapped is an IPv6 address. */
	m = fake(&f, "x@y", NULL, "IPv6:::1.2.3.4", "", 0);
	ck_assert(!one(FILTER_CLIENT, "1.2.3.4", Q_INCOMING, m));
	ck_assert(one(FILTER_CLIENT, "::1.2.3.4", Q_INCOMING, m));
	ck_assert(one(FILTER_CLIENT, "::102:304", Q_INCOMING, m));
	ck_assert(one(FILTER_CLIENT, "::/96", Q_INCOMING, m));
	/* Stored junk never matches, however wide the filter. */
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		m = fake(&f, "x@y", NULL, junk[i], "", 0);
		ck_assert_msg(!one(FILTER_CLIENT, "::/0", Q_INCOMING, m), "%s", junk[i]);
		ck_assert_msg(!one(FILTER_CLIENT, "0.0.0.0/0", Q_INCOMING, m), "%s",
		    junk[i]);
	}
}
END_TEST

START_TEST(queue_and_age_rules)
{
	struct fake f;
	const struct qf_msg *m = fake(&f, "x@y", NULL, NULL, "", 3600);
	struct filter flt;
	char	err[256];

	ck_assert(one(FILTER_OLDER, "59m", Q_DEFERRED, m));
	ck_assert(!one(FILTER_OLDER, "1h", Q_DEFERRED, m));
	ck_assert(one(FILTER_OLDER, "3599999ms", Q_DEFERRED, m));
	ck_assert(!one(FILTER_OLDER, "1d", Q_DEFERRED, m));
	m = fake(&f, "x@y", NULL, NULL, "", 2 * 86400 + 1);
	ck_assert(one(FILTER_OLDER, "2d", Q_DEFERRED, m));
	/* Arrival in the future or at the far past: no overflow. */
	m = fake(&f, "x@y", NULL, NULL, "", -100);
	ck_assert(!one(FILTER_OLDER, "0s", Q_DEFERRED, m));
	f.m.arrival = INT64_MIN;
	ck_assert(one(FILTER_OLDER, "1000000000h", Q_DEFERRED, &f.m));
	ck_assert(bad(FILTER_OLDER, "5"));
	ck_assert(bad(FILTER_OLDER, "-5m"));
	ck_assert(bad(FILTER_OLDER, "5y"));
	/* Queues: the default is what postsuper acts on by default. */
	m = fake(&f, "x@y", NULL, NULL, "", 10);
	ck_assert(one(FILTER_OLDER, "1s", Q_HOLD, m));
	ck_assert(!one(FILTER_OLDER, "1s", Q_MAILDROP, m));
	ck_assert(!one(FILTER_OLDER, "1s", Q_CORRUPT, m));
	ck_assert(one(FILTER_QUEUE, "maildrop", Q_MAILDROP, m));
	ck_assert(!one(FILTER_QUEUE, "hold", Q_DEFERRED, m));
	ck_assert(bad(FILTER_QUEUE, "corrupt"));
	ck_assert(bad(FILTER_QUEUE, "Hold"));
	/* Alternatives within a kind, all kinds together. */
	filter_init(&flt);
	ck_assert(filter_empty(&flt));
	ck_assert_int_eq(filter_add(&flt, FILTER_QUEUE, "hold", err, sizeof(err)), 0);
	ck_assert_int_eq(filter_add(&flt, FILTER_QUEUE, "deferred", err, sizeof(err)), 0);
	ck_assert_int_eq(filter_add(&flt, FILTER_SENDER, "a@y", err, sizeof(err)), 0);
	ck_assert_int_eq(filter_add(&flt, FILTER_SENDER, "x@y", err, sizeof(err)), 0);
	ck_assert(!filter_empty(&flt));
	ck_assert(!filter_needs_identity(&flt));
	ck_assert(filter_match(&flt, Q_HOLD, m, NOW));
	ck_assert(filter_match(&flt, Q_DEFERRED, m, NOW));
	ck_assert(!filter_match(&flt, Q_ACTIVE, m, NOW));
	ck_assert_int_eq(filter_add(&flt, FILTER_SASL, "u", err, sizeof(err)), 0);
	ck_assert(filter_needs_identity(&flt));
	ck_assert(!filter_match(&flt, Q_HOLD, m, NOW));
	filter_free(&flt);
}
END_TEST

START_TEST(filter_values_are_bounded)
{
	struct filter f;
	char	err[256], *big;
	int	i;

	filter_init(&f);
	for (i = 0; i < FILTER_VALUES_MAX; i++)
		ck_assert_int_eq(filter_add(&f, FILTER_CLIENT, "10.0.0.0/8", err,
		    sizeof(err)), 0);
	ck_assert_int_eq(filter_add(&f, FILTER_CLIENT, "10.0.0.0/8", err,
	    sizeof(err)), -1);
	big = malloc(QF_VALUE_MAX + 1);
	memset(big, 'a', QF_VALUE_MAX);
	big[QF_VALUE_MAX] = '\0';
	ck_assert_int_eq(filter_add(&f, FILTER_SENDER, big, err, sizeof(err)), -1);
	free(big);
	filter_free(&f);
}
END_TEST

START_TEST(internal_form)
{
	char	out[64];
	size_t	n;

	n = addr_internal_form(out, sizeof(out), "\"a b\"@x", 7);
	ck_assert_int_eq(memcmp(out, "a b@x", n), 0);
	ck_assert_uint_eq(n, 5);
	n = addr_internal_form(out, sizeof(out), "\"q\\\"x\"@y", 8);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(memcmp(out, "q\"x@y", n), 0);
	ck_assert_uint_eq(addr_internal_form(out, sizeof(out), "MAILER-DAEMON", 13), 0);
	/* The domain is left alone, quotes and all. */
	n = addr_internal_form(out, sizeof(out), "a@\"b\"", 5);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(addr_internal_form(out, 2, "abcdef@x", 8), 2);
}
END_TEST

/* A small aggregate: three senders, one with a SASL login. */
static struct agg *
sample(void)
{
	struct agg *a = agg_create(NOW);
	struct fake f;
	int	i;

	for (i = 0; i < 5; i++)
		agg_add(a, Q_DEFERRED, fake(&f, "victim@customer.example", "victim",
		    "198.51.100.10", "@dest.test @other.test", 7200));
	agg_add(a, Q_HOLD, fake(&f, "ann@corp.example", NULL, "127.0.0.1",
	    "@dest.test", 90));
	agg_add(a, Q_INCOMING, fake(&f, "x\xe6\x97\xa5\xe6\x9c\xac"
	    "abcdefghijklmnopqrstuvwxyz0123456789@very-long.example", NULL, NULL,
	    "@dest.test", 30));
	return a;
}

/* top_text - what top_write() writes, through a temporary file */
static void
top_text(struct buf *out, const struct agg *a, const struct top_opts *o,
    const struct scan_stats *st)
{
	FILE   *f = tmpfile();
	char	chunk[8192];
	size_t	n;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(top_write(fileno(f), a, o, st), 0);
	rewind(f);
	buf_init(out);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(out, chunk, n);
	ck_assert(!ferror(f));
	fclose(f);
}

START_TEST(top_table)
{
	struct agg *a = sample();
	struct top_opts o = {0, 0, "spool", 0, NOW};
	struct scan_stats st;
	struct buf out;
	char   *line, *save;
	int	victim_rows = 0, lines = 0;

	memset(&st, 0, sizeof(st));
	top_text(&out, a, &o, &st);
	ck_assert_ptr_nonnull(strstr(out.data, "7 messages, 12 recipients"));
	for (line = strtok_r(out.data, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		lines++;
		/* victim: 5 messages, 10 recipients, all deferred, 2h old. */
		if (strncmp(line, "victim ", 7) == 0 || strncmp(line,
		    "victim@customer.example ", 24) == 0) {
			victim_rows++;
			ck_assert_msg(strstr(line, " 5 ") && strstr(line, " 10 ")
			    && strstr(line, "2h00m"), "%s", line);
		}
		/* The long key is cut to the width, with "...". */
		if (line[0] == 'x')
			ck_assert_ptr_nonnull(strstr(line, "..."));
	}
	/* As sender and as SASL user. */
	ck_assert_int_eq(victim_rows, 2);
	ck_assert_int_gt(lines, 15);
	buf_free(&out);
	agg_free(a);
}
END_TEST

START_TEST(top_json)
{
	struct agg *a = sample();
	struct top_opts o = {1, 1, "showq", 1, NOW};
	struct scan_stats st;
	struct jdoc *d;
	struct jval *root, *rows, *other;
	struct buf out;
	char	err[256];
	long long n;
	size_t	len;

	memset(&st, 0, sizeof(st));
	st.files = st.parsed = 7;
	top_text(&out, a, &o, &st);
	d = jdoc_parse(out.data, out.len, err, sizeof(err));
	ck_assert_msg(d != NULL, "%s", err);
	root = jdoc_root(d);
	ck_assert_int_eq(jval_type(jval_get(root, "sasl_usernames")), JT_NULL);
	ck_assert_int_eq(jval_type(jval_get(root, "client_addresses")), JT_NULL);
	rows = jval_get(jval_get(root, "senders"), "rows");
	ck_assert_uint_eq(jval_size(rows), 1);
	ck_assert_str_eq(jval_string(jval_get(jval_at(rows, 0), "key"), &len),
	    "victim@customer.example");
	ck_assert_int_eq(jval_integer(jval_get(jval_at(rows, 0), "deferred"), &n), 0);
	ck_assert_int_eq(n, 5);
	ck_assert_int_eq(jval_integer(jval_get(jval_at(rows, 0), "age"), &n), 0);
	ck_assert_int_eq(n, 7200);
	other = jval_get(jval_get(root, "senders"), "other");
	ck_assert_int_eq(jval_integer(jval_get(other, "length"), &n), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(jval_integer(jval_get(jval_get(root, "scan"), "parsed"),
	    &n), 0);
	ck_assert_int_eq(n, 7);
	jdoc_free(d);
	buf_free(&out);
	agg_free(a);
}
END_TEST

START_TEST(json_writer_is_always_valid)
{
	struct jout *o = jout_object(), *arr = jout_array();
	struct jdoc *d;
	struct buf out;
	char	err[256];
	size_t	len;
	const char *s;

	jout_push(arr, jout_string("ok \xc3\xbc", 5));
	jout_push(arr, jout_string("bad \xff\xc3", 6));
	jout_push(arr, jout_string("nul\0x", 5));
	jout_set(o, "list", arr);
	jout_set(o, "n", jout_integer(-3));
	buf_init(&out);
	jout_write(o, &out, 0);
	jout_free(o);
	ck_assert(out.len > 0 && out.data[out.len - 1] == '\n');
	d = jdoc_parse(out.data, out.len, err, sizeof(err));
	ck_assert_msg(d != NULL, "%s", err);
	s = jval_string(jval_at(jval_get(jdoc_root(d), "list"), 1), &len);
	ck_assert_uint_eq(len, 6);
	ck_assert_int_eq(memcmp(s, "bad ??", 6), 0);
	s = jval_string(jval_at(jval_get(jdoc_root(d), "list"), 2), &len);
	ck_assert_uint_eq(len, 5);
	jdoc_free(d);
	buf_free(&out);
}
END_TEST

/*
 * whole_stats, whole - top's JSON document built whole with jout and
 * written by jout_write(), as top.c made it before it streamed (1.2 GB
 * for 1M messages with 570,000 keys): the oracle for the stream.
 */
static struct jout *
whole_stats(const struct agg *a, const struct agg_stats *s, int per_queue)
{
	static const char *const qn[] = SCHEMA_QUEUE_NAMES;
	struct jout *j = jout_object();
	int	q;

	jout_set(j, F_LENGTH, jout_integer((long long)s->length));
	jout_set(j, F_SIZE, jout_integer(s->size > INT64_MAX ? INT64_MAX :
	    (long long)s->size));
	jout_set(j, F_AGE, jout_integer(agg_age_of(a, s)));
	jout_set(j, F_RECIPIENTS, jout_integer(s->recipients > INT64_MAX ?
	    INT64_MAX : (long long)s->recipients));
	for (q = 0; per_queue && q < Q_MAIL_COUNT; q++)
		jout_set(j, qn[q], jout_integer(s->per_queue[q]));
	return j;
}

static void
whole(struct buf *out, const struct agg *a, const struct top_opts *o,
    const struct scan_stats *st)
{
	static const char *const qn[] = SCHEMA_QUEUE_NAMES;
	static const struct {
		enum agg_dim dim;
		const char *name;
		int	identity;
	} dims[] = {
		{DIM_SENDER, "senders", 0}, {DIM_SASL, "sasl_usernames", 1},
		{DIM_CLIENT, "client_addresses", 1},
		{DIM_SENDER_DOMAIN, "sender_domains", 0},
		{DIM_RCPT_DOMAIN, "recipient_domains", 0},
	};
	struct jout *root = jout_object(), *queues = jout_object(), *d, *list;
	struct jout *row, *scan = jout_object();
	struct agg_row *rows;
	struct agg_stats other;
	size_t	i, k, n;
	int	q, have_other;

	jout_set(root, "time", jout_integer(o->now));
	jout_set(root, T_SOURCE, jout_string(o->source, strlen(o->source)));
	jout_set(root, "total", whole_stats(a, agg_total(a), 0));
	for (q = 0; q < Q_COUNT; q++)
		jout_set(queues, qn[q], whole_stats(a, agg_queue(a,
		    (enum pfq_queue)q), 0));
	jout_set(root, "queues", queues);
	for (k = 0; k < sizeof(dims) / sizeof(dims[0]); k++) {
		if (dims[k].identity && o->no_identity) {
			jout_set(root, dims[k].name, jout_null());
			continue;
		}
		d = jout_object();
		list = jout_array();
		n = agg_top(a, dims[k].dim, o->rows, &rows, &other, &have_other);
		for (i = 0; i < n; i++) {
			row = whole_stats(a, rows[i].st, 1);
			jout_set(row, "key", jout_string(rows[i].key, rows[i].len));
			jout_push(list, row);
		}
		free(rows);
		jout_set(d, "rows", list);
		jout_set(d, "other", have_other ? whole_stats(a, &other, 1) :
		    jout_null());
		jout_set(root, dims[k].name, d);
	}
	jout_set(scan, F_FILES, jout_integer((long long)st->files));
	jout_set(scan, F_PARSED, jout_integer((long long)st->parsed));
	jout_set(scan, F_SKIPPED, jout_integer((long long)st->skipped));
	jout_set(scan, F_VANISHED, jout_integer((long long)st->vanished));
	jout_set(scan, F_UNPARSEABLE, jout_integer((long long)st->unparseable));
	jout_set(scan, F_IGNORED, jout_integer((long long)st->ignored));
	jout_set(scan, F_DUPLICATES, jout_integer((long long)st->duplicates));
	jout_set(scan, F_ERRORS, jout_integer((long long)st->errors));
	jout_set(scan, F_DURATION_US, jout_integer((long long)st->duration_us));
	jout_set(root, "scan", scan);
	buf_init(out);
	jout_write(root, out, 1);
	jout_free(root);
}

/*
 * Senders, SASL names and client addresses that need JSON escapes or
 * are not UTF-8 at all (the aggregator cleans them first), and enough
 * senders that the document is written in many TOP_CHUNK pieces.
 */
START_TEST(top_json_streams_the_document_built_whole)
{
	static const char *const hostile[] = {
		"\"odd \\\"user\\\" x\\\\y\"@weird.test", "odd \"user\" x\\y@w.test",
		"bad\xff\xfeutf8@x.test", "over\xc0\xaflong@x.test", "new\nline@x",
		"tab\there@x", "esc\x1b[31m@x", "c1\xc2\x85@x", "\xf0\x9f\x98\x80@x",
		"j\xc3\xbcrgen@m\xc3\xbcller.test", "trailing@back.slash\\", "/@x",
		"",
	};
	struct agg *a = sample();
	struct top_opts o = {0, 1, "spool", 0, NOW};
	struct scan_stats st;
	struct fake f;
	struct buf got, want;
	char	sender[64];
	size_t	i, rows[] = {0, 2};
	int	noid, r;

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		agg_add(a, Q_ACTIVE, fake(&f, hostile[i], hostile[i], hostile[i],
		    "@d.test", 60));
	for (i = 0; i < 3000; i++) {
		snprintf(sender, sizeof(sender), "s%zu@bulk%zu.example", i, i % 7);
		agg_add(a, Q_DEFERRED, fake(&f, sender, sender + 1, "192.0.2.1",
		    "@d.test", (int64_t)i));
	}
	memset(&st, 0, sizeof(st));
	st.files = 3020;
	st.parsed = 3019;
	st.errors = 1;
	st.duration_us = 123456;
	for (noid = 0; noid < 2; noid++) {
		for (r = 0; r < 2; r++) {
			o.no_identity = noid;
			o.rows = rows[r];
			whole(&want, a, &o, &st);
			top_text(&got, a, &o, &st);
			if (rows[r] == 0)
				ck_assert_uint_gt(want.len, 4 * TOP_CHUNK);
			ck_assert_msg(got.len == want.len && memcmp(got.data, want.data,
			    got.len) == 0, "rows %zu, no_identity %d: %zu bytes, "
			    "want %zu", rows[r], noid, got.len, want.len);
			buf_free(&got);
			buf_free(&want);
		}
	}
	agg_free(a);
}
END_TEST

/* take - what the stream wrote since the last take, moved to all */
static void
take(struct buf *all, struct buf *piece)
{
	buf_add(all, piece->data, piece->len);
	buf_reset(piece);
}

/* deep - a small tree of every kind of value, to put whole */
static struct jout *
deep(void)
{
	struct jout *o = jout_object(), *a = jout_array(), *inner = jout_object();

	jout_push(a, jout_array());
	jout_push(a, jout_object());
	jout_set(inner, "c", jout_string("\xff\n", 2));
	jout_push(a, inner);
	jout_push(a, jout_integer(-1));
	jout_set(o, "a", a);
	jout_set(o, "z", jout_null());
	return o;
}

#define TAKE(call)	do { call; take(&stream, &piece); } while (0)

/*
 * The stream writes exactly what jout_write() writes for the same
 * document whole, even when the caller empties its buffer after each
 * call: strings that need escapes or are not UTF-8, keys that need
 * escapes, empty and nested containers at every depth.
 */
START_TEST(jstream_writes_what_jout_write_writes)
{
	static const struct {
		const char *s;
		size_t	len;
	} str[] = {
		{"ok \xc3\xbc", 5}, {"bad \xff\xc3", 6}, {"nul\0x", 5},
		{"q\"b\\s/", 6}, {"ctl \x01\x1f\x7f\n\t\r\b\f", 12},
		{"\xf0\x9f\x98\x80", 4}, {"", 0}, {"\xed\xa0\x80", 3},
	};
	struct jout *root = jout_object(), *arr = jout_array(), *o, *a;
	struct jstream js;
	struct buf whole_doc, stream, piece;
	size_t	i;

	for (i = 0; i < sizeof(str) / sizeof(str[0]); i++)
		jout_push(arr, jout_string(str[i].s, str[i].len));
	jout_set(root, "strings", arr);
	jout_set(root, "k\"e\\y/\t", jout_integer(LLONG_MIN));
	jout_set(root, "max", jout_integer(LLONG_MAX));
	jout_set(root, "none", jout_null());
	jout_set(root, "empty object", jout_object());
	jout_set(root, "empty array", jout_array());
	jout_set(root, "deep whole", deep());
	o = jout_object();
	a = jout_array();
	jout_push(a, deep());
	jout_push(a, jout_array());
	jout_set(o, "list", a);
	jout_set(o, "deep", deep());
	jout_set(root, "deep streamed", o);
	buf_init(&whole_doc);
	jout_write(root, &whole_doc, 1);
	jout_free(root);

	buf_init(&stream);
	buf_init(&piece);
	jstream_init(&js, &piece);
	TAKE(jstream_object(&js, NULL));
	TAKE(jstream_array(&js, "strings"));
	for (i = 0; i < sizeof(str) / sizeof(str[0]); i++)
		TAKE(jstream_put(&js, NULL, jout_string(str[i].s, str[i].len)));
	TAKE(jstream_end(&js));
	TAKE(jstream_put(&js, "k\"e\\y/\t", jout_integer(LLONG_MIN)));
	TAKE(jstream_put(&js, "max", jout_integer(LLONG_MAX)));
	TAKE(jstream_put(&js, "none", jout_null()));
	TAKE(jstream_object(&js, "empty object"));
	TAKE(jstream_end(&js));
	TAKE(jstream_array(&js, "empty array"));
	TAKE(jstream_end(&js));
	TAKE(jstream_put(&js, "deep whole", deep()));
	TAKE(jstream_object(&js, "deep streamed"));
	TAKE(jstream_array(&js, "list"));
	TAKE(jstream_put(&js, NULL, deep()));
	TAKE(jstream_array(&js, NULL));
	TAKE(jstream_end(&js));
	TAKE(jstream_end(&js));
	TAKE(jstream_put(&js, "deep", deep()));
	TAKE(jstream_end(&js));
	TAKE(jstream_end(&js));
	ck_assert_msg(stream.len == whole_doc.len && memcmp(stream.data,
	    whole_doc.data, stream.len) == 0, "stream:\n%s\nwhole:\n%s",
	    stream.data, whole_doc.data);

	/* A document that is not an object: an array, a string. */
	buf_reset(&stream);
	buf_reset(&whole_doc);
	arr = jout_array();
	jout_push(arr, deep());
	jout_write(arr, &whole_doc, 1);
	jout_free(arr);
	o = jout_string("x\ny", 3);
	jout_write(o, &whole_doc, 1);
	jout_free(o);
	jstream_init(&js, &piece);
	TAKE(jstream_array(&js, NULL));
	TAKE(jstream_put(&js, NULL, deep()));
	TAKE(jstream_end(&js));
	jstream_init(&js, &piece);
	TAKE(jstream_put(&js, NULL, jout_string("x\ny", 3)));
	ck_assert_str_eq(stream.data, whole_doc.data);
	buf_free(&stream);
	buf_free(&piece);
	buf_free(&whole_doc);
}
END_TEST

Suite *
select_suite(void)
{
	Suite  *s = suite_create("select");
	TCase  *tc = tcase_create("filters");

	tcase_add_test(tc, unescape_is_urlquery_undone);
	tcase_add_test(tc, sender_rules);
	tcase_add_test(tc, domain_rules);
	tcase_add_test(tc, sasl_rules);
	tcase_add_test(tc, client_rules);
	tcase_add_test(tc, client_ipv6_rules);
	tcase_add_test(tc, queue_and_age_rules);
	tcase_add_test(tc, filter_values_are_bounded);
	tcase_add_test(tc, internal_form);
	tcase_add_test(tc, top_table);
	tcase_add_test(tc, top_json);
	tcase_add_test(tc, json_writer_is_always_valid);
	tcase_add_test(tc, top_json_streams_the_document_built_whole);
	tcase_add_test(tc, jstream_writes_what_jout_write_writes);
	suite_add_tcase(s, tc);
	return s;
}
