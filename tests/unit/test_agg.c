/*
 * test_agg.c - the aggregator: queue and total counts, breakdowns,
 * top-N folding, age buckets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
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
	suite_add_tcase(s, tc);
	return s;
}
