/*
 * test_agg.c - the aggregator: queue and total counts, breakdowns,
 * top-N folding, age buckets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "cache.h"
#include "unit.h"

#define NOW	1800000000

/* A message as the parser would return it, with one recipient domain. */
struct fake {
	struct qf_msg m;
	struct qf_domain dom[2];
	char	domtext[64];
};

static struct qf_str
str(const char *s)
{
	struct qf_str v = {s, s ? strlen(s) : 0};

	return v;
}

static const struct qf_msg *
fake(struct fake *f, const char *sender, const char *sasl, const char *client,
    int64_t age, uint64_t size, const char *rcpt_domain, uint64_t rcpts)
{
	memset(f, 0, sizeof(*f));
	f->m.arrival = NOW - age;
	f->m.size = size;
	f->m.rcpt_pending = rcpts;
	f->m.sender = str(sender);
	f->m.sasl_username = str(sasl);
	f->m.client_address = str(client);
	snprintf(f->domtext, sizeof(f->domtext), "%s", rcpt_domain);
	f->dom[0].off = 0;
	f->dom[0].len = strlen(rcpt_domain);
	f->dom[0].count = rcpts;
	f->m.domain_base = f->domtext;
	f->m.domains = f->dom;
	f->m.ndomains = rcpts ? 1 : 0;
	return &f->m;
}

/* row - find a key in a breakdown (all rows) */
static const struct agg_stats *
row(const struct agg *a, enum agg_dim d, const char *key)
{
	static struct agg_stats copy;
	struct agg_row *rows;
	struct agg_stats other;
	size_t	n, i;
	int	have;

	n = agg_top(a, d, 0, &rows, &other, &have);
	for (i = 0; i < n; i++)
		if (rows[i].len == strlen(key) && memcmp(rows[i].key, key, rows[i].len) == 0) {
			copy = *rows[i].st;
			free(rows);
			return &copy;
		}
	free(rows);
	return NULL;
}

START_TEST(queues_and_total)
{
	struct agg *a = agg_create(NOW);
	struct fake f;
	const struct agg_stats *s;

	agg_add(a, Q_DEFERRED, fake(&f, "a@x.example", NULL, NULL, 100, 10, "@d", 2));
	agg_add(a, Q_DEFERRED, fake(&f, "b@x.example", NULL, NULL, 900, 20, "@d", 1));
	agg_add(a, Q_HOLD, fake(&f, "a@x.example", NULL, NULL, 50, 5, "@d", 1));
	agg_add(a, Q_CORRUPT, fake(&f, "c@x.example", NULL, NULL, 5000, 7, "@d", 1));
	agg_add_unparsed(a, Q_CORRUPT, 1234);

	s = agg_queue(a, Q_DEFERRED);
	ck_assert_uint_eq(s->length, 2);
	ck_assert_uint_eq(s->size, 30);
	ck_assert_uint_eq(s->recipients, 3);
	ck_assert_int_eq(agg_age_of(a, s), 900);
	s = agg_queue(a, Q_CORRUPT);
	ck_assert_uint_eq(s->length, 2);
	ck_assert_uint_eq(s->size, 7 + 1234);
	/* The total is the mail in flow: corrupt is not in it. */
	s = agg_total(a);
	ck_assert_uint_eq(s->length, 3);
	ck_assert_uint_eq(s->size, 35);
	ck_assert_uint_eq(s->recipients, 4);
	ck_assert_int_eq(agg_age_of(a, s), 900);
	ck_assert_uint_eq(agg_queue(a, Q_ACTIVE)->length, 0);
	ck_assert_int_eq(agg_age_of(a, agg_queue(a, Q_ACTIVE)), 0);
	ck_assert_ptr_null(row(a, DIM_SENDER, "c@x.example"));
	agg_free(a);
}
END_TEST

START_TEST(sender_rows_count_per_queue)
{
	struct agg *a = agg_create(NOW);
	struct fake f;
	const struct agg_stats *s;

	agg_add(a, Q_DEFERRED, fake(&f, "Joe@X.Example", "joe", "198.51.100.1", 10, 1, "@d", 3));
	agg_add(a, Q_DEFERRED, fake(&f, "Joe@x.example", "joe", "198.51.100.2", 20, 1, "@d", 1));
	agg_add(a, Q_ACTIVE, fake(&f, "Joe@x.EXAMPLE", NULL, "198.51.100.1", 30, 1, "@d", 1));
	agg_add(a, Q_HOLD, fake(&f, "", NULL, NULL, 40, 1, "@d", 1));

	/* One row for all spellings of the domain; the local part as is. */
	s = row(a, DIM_SENDER, "Joe@x.example");
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->length, 3);
	ck_assert_uint_eq(s->recipients, 5);
	ck_assert_uint_eq(s->per_queue[Q_DEFERRED], 2);
	ck_assert_uint_eq(s->per_queue[Q_ACTIVE], 1);
	ck_assert_int_eq(agg_age_of(a, s), 30);
	s = row(a, DIM_SENDER, "MAILER-DAEMON");
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->per_queue[Q_HOLD], 1);
	s = row(a, DIM_SASL, "joe");
	ck_assert_uint_eq(s->length, 2);
	ck_assert_uint_eq(agg_keys(a, DIM_SASL), 1);
	s = row(a, DIM_CLIENT, "198.51.100.1");
	ck_assert_uint_eq(s->length, 2);
	ck_assert_uint_eq(agg_keys(a, DIM_CLIENT), 2);
	s = row(a, DIM_SENDER_DOMAIN, "x.example");
	ck_assert_uint_eq(s->length, 3);
	s = row(a, DIM_SENDER_DOMAIN, "MAILER-DAEMON");
	ck_assert_uint_eq(s->length, 1);
	agg_free(a);
}
END_TEST

START_TEST(recipient_domains_once_per_message)
{
	struct agg *a = agg_create(NOW);
	struct fake f;
	const struct qf_msg *m;
	const struct agg_stats *s;

	/* Two runs of the same domain, spelled differently, in one message. */
	m = fake(&f, "s@x", NULL, NULL, 0, 100, "@Dest.Example", 2);
	snprintf(f.domtext, sizeof(f.domtext), "@Dest.Example@dest.example");
	f.dom[0].len = 13;
	f.dom[1].off = 13;
	f.dom[1].len = 13;
	f.dom[1].count = 5;
	f.m.ndomains = 2;
	f.m.domains_dropped = 3;
	f.m.rcpt_pending = 10;
	agg_add(a, Q_INCOMING, m);
	s = row(a, DIM_RCPT_DOMAIN, "dest.example");
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->length, 1);
	ck_assert_uint_eq(s->recipients, 7);
	ck_assert_uint_eq(s->size, 100);
	ck_assert_uint_eq(s->per_queue[Q_INCOMING], 1);
	agg_free(a);
}
END_TEST

START_TEST(top_n_and_other)
{
	struct agg *a = agg_create(NOW);
	struct agg_row *rows;
	struct agg_stats other;
	struct fake f;
	int	have, i;
	size_t	n;

	for (i = 0; i < 5; i++)
		agg_add(a, Q_DEFERRED, fake(&f, "big@x", NULL, NULL, 1, 10, "@d", 1));
	for (i = 0; i < 3; i++)
		agg_add(a, Q_DEFERRED, fake(&f, "mid@x", NULL, NULL, 2, 10, "@d", 1));
	agg_add(a, Q_DEFERRED, fake(&f, "b-small@x", NULL, NULL, 300, 10, "@d", 2));
	agg_add(a, Q_HOLD, fake(&f, "a-small@x", NULL, NULL, 3, 10, "@d", 1));

	n = agg_top(a, DIM_SENDER, 2, &rows, &other, &have);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(memcmp(rows[0].key, "big@x", 5), 0);
	ck_assert_int_eq(memcmp(rows[1].key, "mid@x", 5), 0);
	ck_assert(have);
	ck_assert_uint_eq(other.length, 2);
	ck_assert_uint_eq(other.recipients, 3);
	ck_assert_uint_eq(other.per_queue[Q_HOLD], 1);
	ck_assert_int_eq(agg_age_of(a, &other), 300);
	free(rows);

	/* Ties are ordered by key, so the report is stable. */
	n = agg_top(a, DIM_SENDER, 0, &rows, &other, &have);
	ck_assert_uint_eq(n, 4);
	ck_assert(!have);
	ck_assert_int_eq(memcmp(rows[2].key, "a-small@x", 9), 0);
	ck_assert_int_eq(memcmp(rows[3].key, "b-small@x", 9), 0);
	free(rows);

	n = agg_top(a, DIM_SENDER, 10, &rows, &other, &have);
	ck_assert_uint_eq(n, 4);
	ck_assert(!have);
	free(rows);
	agg_free(a);
}
END_TEST

START_TEST(dropped_domains_go_to_other)
{
	struct agg *a = agg_create(NOW);
	struct agg_row *rows;
	struct agg_stats other;
	struct fake f;
	int	have;
	size_t	n;

	fake(&f, "s@x", NULL, NULL, 0, 1, "@d.example", 2);
	f.m.domains_dropped = 4;
	f.m.rcpt_pending = 6;
	agg_add(a, Q_DEFERRED, &f.m);
	n = agg_top(a, DIM_RCPT_DOMAIN, 0, &rows, &other, &have);
	ck_assert_uint_eq(n, 1);
	ck_assert(have);
	ck_assert_uint_eq(other.recipients, 4);
	ck_assert_uint_eq(other.length, 1);
	free(rows);
	agg_free(a);
}
END_TEST

START_TEST(age_buckets_follow_qshape)
{
	static const int64_t ages[] = {
		-60, 0, 299, 300, 599, 600, 38399, 38400, 76799, 76800, 9999999,
	};
	static const int want[] = {0, 0, 0, 1, 1, 2, 7, 8, 8, 9, 9};
	struct agg *a;
	struct fake f;
	size_t	i;
	int	b;

	for (i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
		a = agg_create(NOW);
		agg_add(a, Q_ACTIVE, fake(&f, "s@x", NULL, NULL, ages[i], 1, "@d", 1));
		for (b = 0; b < AGE_BUCKETS; b++)
			ck_assert_uint_eq(agg_age_buckets(a, Q_ACTIVE)[b], b == want[i]);
		/* A message from the future is 0 seconds old, not negative. */
		ck_assert_int_ge(agg_age_of(a, agg_queue(a, Q_ACTIVE)), 0);
		agg_free(a);
	}
}
END_TEST

START_TEST(hostile_keys_are_cleaned_before_counting)
{
	struct agg *a = agg_create(NOW);
	struct fake f;
	const struct agg_stats *s;

	/* Two senders that differ only in control bytes are one row. */
	agg_add(a, Q_DEFERRED, fake(&f, "evil\n@x", "u\x01", NULL, 1, 1, "@d", 1));
	agg_add(a, Q_DEFERRED, fake(&f, "evil\r@x", "u\x02", NULL, 1, 1, "@d", 1));
	s = row(a, DIM_SENDER, "evil?@x");
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->length, 2);
	ck_assert_uint_eq(agg_keys(a, DIM_SENDER), 1);
	ck_assert_uint_eq(row(a, DIM_SASL, "u?")->length, 2);
	agg_free(a);
}
END_TEST

/*
 * Postfix stores an IPv6 client as "IPv6:2001:db8::25" in
 * log_client_address: the row is the bare address, one row however the
 * address was written, IPv4-mapped as IPv4; anything else as stored.
 */
START_TEST(client_rows_are_bare_addresses)
{
	struct agg *a = agg_create(NOW);
	struct fake f;
	static const char *const v6[] = {"IPv6:2001:db8::25", "IPV6:2001:DB8::25",
	    "ipv6:2001:db8:0:0:0:0:0:25", "2001:0db8::0025"};
	static const char *const v4[] = {"192.0.2.1", "::ffff:192.0.2.1",
	    "IPv6:::ffff:192.0.2.1", "IPv6:::FFFF:C000:201"};
	static const char *const kept[] = {"IPv6:192.0.2.1", "IPv6:",
	    "IPv6:fe80::1%eth0", "[IPv6:2001:db8::25]", " 192.0.2.1", "unknown",
	    "IPv6:IPv6:2001:db8::25", "192.0.2.01"};
	size_t	i;

	for (i = 0; i < 4; i++) {
		agg_add(a, Q_DEFERRED, fake(&f, "s@x", NULL, v6[i], 1, 1, "@d", 1));
		agg_add(a, Q_DEFERRED, fake(&f, "s@x", NULL, v4[i], 1, 1, "@d", 1));
	}
	ck_assert_ptr_nonnull(row(a, DIM_CLIENT, "2001:db8::25"));
	ck_assert_uint_eq(row(a, DIM_CLIENT, "2001:db8::25")->length, 4);
	ck_assert_ptr_nonnull(row(a, DIM_CLIENT, "192.0.2.1"));
	ck_assert_uint_eq(row(a, DIM_CLIENT, "192.0.2.1")->length, 4);
	ck_assert_uint_eq(agg_keys(a, DIM_CLIENT), 2);
	/* An embedded IPv4 that is not mapped stays IPv6, as glibc prints it. */
	agg_add(a, Q_DEFERRED, fake(&f, "s@x", NULL, "IPv6:0::1.2.3.4", 1, 1,
	    "@d", 1));
	ck_assert_ptr_nonnull(row(a, DIM_CLIENT, "::1.2.3.4"));
	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		agg_add(a, Q_DEFERRED, fake(&f, "s@x", NULL, kept[i], 1, 1, "@d", 1));
		ck_assert_msg(row(a, DIM_CLIENT, kept[i]) != NULL, "%s", kept[i]);
	}
	agg_free(a);
}
END_TEST

/* report_of - every row of every breakdown and queue, as text */
static void
report_of(const struct agg *a, struct buf *out)
{
	struct agg_row *rows;
	struct agg_stats other;
	size_t	n, i;
	int	d, q, have;

	buf_reset(out);
	for (q = 0; q < Q_COUNT; q++) {
		const struct agg_stats *s = agg_queue(a, (enum pfq_queue)q);

		buf_add_u64(out, s->length);
		buf_addc(out, ' ');
		buf_add_u64(out, s->recipients);
		buf_addc(out, '\n');
	}
	for (d = 0; d < DIM_COUNT; d++) {
		n = agg_top(a, (enum agg_dim)d, 0, &rows, &other, &have);
		for (i = 0; i < n; i++) {
			buf_add(out, rows[i].key, rows[i].len);
			buf_addc(out, ' ');
			buf_add_u64(out, rows[i].st->length);
			buf_addc(out, ' ');
			buf_add_u64(out, rows[i].st->recipients);
			buf_addc(out, ' ');
			buf_add_i64(out, rows[i].st->oldest);
			buf_addc(out, ' ');
			buf_add_u64(out, rows[i].st->per_queue[Q_DEFERRED]);
			buf_addc(out, '\n');
		}
		free(rows);
	}
}

/* A message to two domains, one to one domain, one with dropped domains. */
START_TEST(recount_equals_commit)
{
	struct agg *a = agg_create(NOW);
	struct agg_prep p;
	struct agg_ref ref[4];
	struct buf pool, first, again;
	struct fake f;
	struct qf_domain dom[2] = {{0, 2, 3}, {2, 2, 1}};
	static const enum pfq_queue qs[4] = {Q_DEFERRED, Q_HOLD, Q_DEFERRED, Q_CORRUPT};
	const struct agg_dref *dr;
	int	i;

	agg_prep_init(&p);
	buf_init(&pool);
	buf_init(&first);
	buf_init(&again);
	for (i = 0; i < 4; i++) {
		fake(&f, i == 1 ? "b@x" : "a@x", i ? "sasl" : NULL,
		    i == 2 ? "192.0.2.1" : NULL, 10 * (i + 1), 100, "@d", 2);
		if (i == 0) {
			snprintf(f.domtext, sizeof(f.domtext), "@e@f");
			f.m.domains = dom;
			f.m.ndomains = 2;
			f.m.rcpt_pending = 4;
		}
		if (i == 2)
			f.m.domains_dropped = 7;
		agg_prepare(a, &p, &f.m);
		agg_commit(a, qs[i], &p, &ref[i], &pool);
	}
	ck_assert_uint_eq(ref[0].ndom, 2);
	ck_assert_uint_eq(ref[2].ndom, 2);	/* "@d" and (other) */
	ck_assert_uint_eq(pool.len, 4 * sizeof(struct agg_dref));
	report_of(a, &first);
	ck_assert_uint_eq(agg_dead_keys(a), 0);

	agg_rescan(a, NOW);
	ck_assert_uint_eq(agg_queue(a, Q_DEFERRED)->length, 0);
	ck_assert_uint_eq(agg_keys(a, DIM_SENDER), 0);
	ck_assert_uint_eq(agg_dead_keys(a), 2 + 1 + 1 + 1 + 4);
	dr = (const struct agg_dref *)(const void *)pool.data;
	for (i = 0; i < 4; i++)
		agg_recount(a, qs[i], &ref[i], dr);
	report_of(a, &again);
	ck_assert_uint_eq(again.len, first.len);
	ck_assert_mem_eq(again.data, first.data, first.len);
	ck_assert_uint_eq(agg_dead_keys(a), 0);

	/* Without the message from b@x, its sender row is gone. */
	agg_rescan(a, NOW);
	for (i = 0; i < 4; i++)
		if (i != 1)
			agg_recount(a, qs[i], &ref[i], dr);
	ck_assert_ptr_null(row(a, DIM_SENDER, "b@x"));
	ck_assert_uint_eq(row(a, DIM_SENDER, "a@x")->length, 2);
	ck_assert_uint_eq(agg_dead_keys(a), 1);
	buf_free(&pool);
	buf_free(&first);
	buf_free(&again);
	agg_prep_free(&p);
	agg_free(a);
}
END_TEST

START_TEST(cache_put_find_sweep)
{
	struct cache *c = cache_create();
	struct cache_entry *e;
	struct agg_dref d[3] = {{1, 1}, {2, 2}, {3, 3}};
	uint64_t k;

	cache_begin(c);
	for (k = 1; k <= 5000; k++) {
		e = cache_put(c, k * 4096);
		e->size = k;
		if (k % 2 == 0) {	/* every other one with pooled domains */
			e->ref.ndom = 3;
			e->ref.dom = (uint32_t)(cache_pool(c)->len / sizeof(d[0]));
			d[0].id = (uint32_t)k;
			buf_add(cache_pool(c), d, sizeof(d));
		}
	}
	ck_assert_uint_eq(cache_size(c), 5000);
	cache_sweep(c);
	ck_assert_uint_eq(cache_size(c), 5000);

	/* The next scan finds only the multiples of 3: the rest is swept. */
	cache_begin(c);
	for (k = 1; k <= 5000; k++) {
		e = cache_find(c, k * 4096);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->size, k);
		if (k % 3 == 0)
			cache_hit(c, e);
	}
	ck_assert_ptr_null(cache_find(c, 4095));
	cache_sweep(c);
	ck_assert_uint_eq(cache_size(c), 1666);
	for (k = 1; k <= 5000; k++) {
		e = cache_find(c, k * 4096);
		if (k % 3 != 0) {
			ck_assert_ptr_null(e);
			continue;
		}
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->size, k);
		if (k % 2 == 0) {	/* its domains survived the compaction */
			ck_assert_uint_eq(e->ref.ndom, 3);
			ck_assert_uint_eq(cache_drefs(c)[e->ref.dom].id, k);
			ck_assert_uint_eq(cache_drefs(c)[e->ref.dom + 2].rcpts, 3);
		}
	}
	/* The pool holds only what live entries refer to. */
	ck_assert_uint_eq(cache_pool(c)->len, 833 * sizeof(d));

	/* A put on a known key replaces what was known. */
	cache_begin(c);
	e = cache_put(c, 3 * 4096);
	ck_assert_uint_eq(e->size, 0);
	ck_assert_uint_eq(cache_size(c), 1666);
	cache_sweep(c);
	ck_assert_uint_eq(cache_size(c), 1);
	cache_free(c);
}
END_TEST

/*
 * A few files gone from a large cache are marked, not compacted away:
 * never found again, by key or by name, not counted in cache_size(),
 * and a new file on a reused inode gets an entry of its own.
 */
START_TEST(cache_sweep_marks_few_gone)
{
	struct cache *c = cache_create();
	struct cache_entry *e;
	uint64_t k;

	cache_begin(c);
	for (k = 1; k <= 1000; k++) {
		e = cache_put(c, k);
		e->size = k;
		cache_name(c, e, 0, (const char *)&k, sizeof(k));
	}
	cache_sweep(c);
	cache_begin(c);
	for (k = 1; k <= 1000; k++)
		if (k != 7)
			cache_hit(c, cache_find(c, k));
	cache_sweep(c);
	ck_assert_uint_eq(cache_size(c), 999);
	ck_assert_uint_eq(cache_count(c), 1000);	/* marked, still there */
	ck_assert_ptr_null(cache_find(c, 7));
	k = 7;
	ck_assert_ptr_null(cache_find_name(c, 0, (const char *)&k, sizeof(k)));
	k = 8;
	ck_assert_ptr_nonnull(cache_find_name(c, 0, (const char *)&k, sizeof(k)));
	ck_assert_uint_eq(cache_find(c, 8)->size, 8);
	/* The inode comes back with a new file. */
	cache_begin(c);
	for (k = 1; k <= 1000; k++)
		if (k != 7)
			cache_hit(c, cache_find(c, k));
	e = cache_put(c, 7);
	ck_assert_uint_eq(e->size, 0);
	e->size = 77;
	cache_sweep(c);
	ck_assert_uint_eq(cache_size(c), 1000);
	ck_assert_uint_eq(cache_find(c, 7)->size, 77);
	/* Once a quarter is gone the array is compacted. */
	cache_begin(c);
	for (k = 1; k <= 700; k++)
		cache_hit(c, cache_find(c, k));
	cache_sweep(c);
	ck_assert_uint_eq(cache_size(c), 700);
	ck_assert_uint_eq(cache_count(c), 700);
	for (k = 1; k <= 1000; k++)
		if (k <= 700)
			ck_assert_uint_eq(cache_find(c, k)->size, k == 7 ? 77 : k);
		else
			ck_assert_ptr_null(cache_find(c, k));
	cache_free(c);
}
END_TEST

Suite *
agg_suite(void)
{
	Suite  *s = suite_create("agg");
	TCase  *tc = tcase_create("aggregate");

	tcase_add_test(tc, queues_and_total);
	tcase_add_test(tc, sender_rows_count_per_queue);
	tcase_add_test(tc, recipient_domains_once_per_message);
	tcase_add_test(tc, top_n_and_other);
	tcase_add_test(tc, dropped_domains_go_to_other);
	tcase_add_test(tc, age_buckets_follow_qshape);
	tcase_add_test(tc, hostile_keys_are_cleaned_before_counting);
	tcase_add_test(tc, client_rows_are_bare_addresses);
	tcase_add_test(tc, recount_equals_commit);
	tcase_add_test(tc, cache_put_find_sweep);
	tcase_add_test(tc, cache_sweep_marks_few_gone);
	suite_add_tcase(s, tc);
	return s;
}
