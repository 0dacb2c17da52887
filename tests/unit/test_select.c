/*
 * test_select.c - select's filters (filter.c), the internal address form
 * (addr.c), top's views (top.c) and the JSON writer (json.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "agg.h"
#include "filter.h"
#include "json.h"
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

START_TEST(top_table)
{
	struct agg *a = sample();
	struct top_opts o = {0, 0, "spool", 0, NOW};
	struct scan_stats st;
	struct buf out;
	char   *line, *save;
	int	victim_rows = 0, lines = 0;

	memset(&st, 0, sizeof(st));
	buf_init(&out);
	top_write(&out, a, &o, &st);
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
	buf_init(&out);
	top_write(&out, a, &o, &st);
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

Suite *
select_suite(void)
{
	Suite  *s = suite_create("select");
	TCase  *tc = tcase_create("filters");

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
	suite_add_tcase(s, tc);
	return s;
}
