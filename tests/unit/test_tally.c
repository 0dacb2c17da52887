/*
 * test_tally.c - counting each file of a scan once (tally.c) and the
 * rescan cache's decisions (rescan.c), without files: a file moved
 * mid-scan counts once, unparseable files count in the corrupt queue
 * only, waiting files are counted by the flush, a visitor sees each
 * message once, and only an unchanged, settled file is told by the
 * cache.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agg.h"
#include "cache.h"
#include "rescan.h"
#include "tally.h"
#include "unit.h"

#define NOW	1800000000
#define OLD_NS	(1000000000LL * 1700000000)	/* changed in 2023 */

static struct qf_msg msg;

/* message - one parsed message from a@example.test */
static const struct qf_msg *
message(void)
{
	memset(&msg, 0, sizeof(msg));
	msg.arrival = NOW - 60;
	msg.size = 1000;
	msg.rcpt_pending = 1;
	msg.sender.p = "a@example.test";
	msg.sender.len = strlen(msg.sender.p);
	msg.domain_base = "";
	return &msg;
}

/* facts - a file's stat facts */
static struct rescan_facts
facts(uint64_t key, int64_t ctime_ns, uint64_t size)
{
	struct rescan_facts f = {key, ctime_ns, size, -1, NULL};

	return f;
}

START_TEST(a_moved_file_counts_once)
{
	struct agg *a = agg_create(NOW);
	struct scan_sink to = {a, NULL, NULL};
	struct tally *t = tally_create(&to, NULL, 5);
	struct tally_local *l = tally_local_create();
	struct rescan_facts f = facts(100, OLD_NS, 1000);
	struct scan_stats st;

	memset(&st, 0, sizeof(st));
	/* Read in deferred, then again in hold after postsuper -h moved it. */
	tally_parsed(t, l, Q_DEFERRED, &f, message(), "ABC100", &st);
	tally_parsed(t, l, Q_HOLD, &f, message(), "ABC100", &st);
	ck_assert_uint_eq(agg_total(a)->length, 0);	/* still waiting */
	tally_flush(t, l, &st);
	ck_assert_uint_eq(st.parsed, 1);
	ck_assert_uint_eq(st.duplicates, 1);
	ck_assert_uint_eq(agg_total(a)->length, 1);
	ck_assert_uint_eq(agg_queue(a, Q_DEFERRED)->length, 1);
	ck_assert_uint_eq(agg_queue(a, Q_HOLD)->length, 0);

	/* Unparseable: a message of the corrupt queue (once), else nothing. */
	f = facts(200, OLD_NS, 77);
	tally_unparseable(t, l, Q_CORRUPT, &f, &st);
	tally_unparseable(t, l, Q_CORRUPT, &f, &st);
	f = facts(201, OLD_NS, 88);
	tally_unparseable(t, l, Q_ACTIVE, &f, &st);
	tally_flush(t, l, &st);
	ck_assert_uint_eq(st.unparseable, 3);
	ck_assert_uint_eq(st.duplicates, 1);
	ck_assert_uint_eq(agg_queue(a, Q_CORRUPT)->length, 1);
	ck_assert_uint_eq(agg_queue(a, Q_CORRUPT)->size, 77);
	ck_assert_uint_eq(agg_total(a)->length, 1);
	tally_local_free(l);
	tally_free(t);
	agg_free(a);
}
END_TEST

START_TEST(waiting_files_are_counted_in_bounded_groups)
{
	struct agg *a = agg_create(NOW);
	struct scan_sink to = {a, NULL, NULL};
	struct tally *t = tally_create(&to, NULL, 5);
	struct tally_local *l = tally_local_create();
	struct rescan_facts f;
	struct scan_stats st;
	uint64_t k;

	memset(&st, 0, sizeof(st));
	for (k = 1; k < TALLY_COMMIT_MAX; k++) {
		f = facts(k, OLD_NS, 1000);
		tally_parsed(t, l, Q_ACTIVE, &f, message(), "ID", &st);
	}
	ck_assert_uint_eq(agg_total(a)->length, 0);
	f = facts(k, OLD_NS, 1000);
	tally_parsed(t, l, Q_ACTIVE, &f, message(), "ID", &st);
	/* A full group is counted at once, without a flush. */
	ck_assert_uint_eq(agg_total(a)->length, TALLY_COMMIT_MAX);
	ck_assert_uint_eq(st.parsed, TALLY_COMMIT_MAX);
	tally_flush(t, l, &st);
	ck_assert_uint_eq(st.parsed, TALLY_COMMIT_MAX);
	tally_local_free(l);
	tally_free(t);
	agg_free(a);
}
END_TEST

/* What the visitor was handed. */
struct visits {
	unsigned n;
	enum pfq_queue q;
	char	id[16];
};

static void
visit(void *ctx, enum pfq_queue q, const char *id, size_t len,
    const struct qf_msg *m)
{
	struct visits *v = ctx;

	ck_assert_ptr_eq(m, &msg);
	ck_assert_uint_lt(len, sizeof(v->id));
	memcpy(v->id, id, len);
	v->id[len] = '\0';
	v->q = q;
	v->n++;
}

START_TEST(a_visitor_sees_each_message_once)
{
	struct visits v = {0, Q_COUNT, ""};
	struct scan_sink to = {NULL, visit, &v};
	struct tally *t = tally_create(&to, NULL, 5);
	struct tally_local *l = tally_local_create();
	struct rescan_facts f = facts(300, OLD_NS, 1000);
	struct scan_stats st;

	memset(&st, 0, sizeof(st));
	tally_parsed(t, l, Q_INCOMING, &f, message(), "4F3A21B7C", &st);
	ck_assert_uint_eq(v.n, 1);		/* at once, not at the flush */
	ck_assert_str_eq(v.id, "4F3A21B7C");
	ck_assert_int_eq(v.q, Q_INCOMING);
	tally_parsed(t, l, Q_ACTIVE, &f, message(), "4F3A21B7C", &st);
	tally_flush(t, l, &st);
	ck_assert_uint_eq(v.n, 1);
	ck_assert_uint_eq(st.parsed, 1);
	ck_assert_uint_eq(st.duplicates, 1);
	tally_local_free(l);
	tally_free(t);
}
END_TEST

START_TEST(keys_are_inodes_on_the_queue_device)
{
	struct scan_sink to = {NULL, visit, NULL};
	struct tally *t = tally_create(&to, NULL, 5);
	struct stat sb;

	memset(&sb, 0, sizeof(sb));
	sb.st_dev = 5;
	sb.st_ino = 4242;
	ck_assert_uint_eq(tally_key(t, &sb), 4242);
	sb.st_dev = 6;			/* a mount point below the queue */
	ck_assert_uint_ne(tally_key(t, &sb), 4242);
	sb.st_dev = 5;
	sb.st_ino = 0;
	ck_assert_uint_ne(tally_key(t, &sb), 0);	/* 0: an empty slot */
	tally_free(t);
}
END_TEST

/*
 * scan_once - read files 1 (settled) and 2 (changed as the scan began)
 * into the cache; returns file 2's change time
 */
static int64_t
scan_once(struct agg *a, struct cache *c, struct rescan *rs)
{
	struct scan_sink to = {a, NULL, NULL};
	struct tally *t;
	struct tally_local *l = tally_local_create();
	struct rescan_facts settled = facts(1, OLD_NS, 1000);
	struct rescan_facts racy;
	struct scan_stats st;

	memset(&st, 0, sizeof(st));
	rescan_begin(rs, c);
	ck_assert(!rescan_ready(rs));		/* nothing known yet */
	t = tally_create(&to, rs, 5);
	racy = facts(2, rs->racy_ns + RACY_NS, 1000);	/* the scan's start */
	tally_parsed(t, l, Q_DEFERRED, &settled, message(), "ID1", &st);
	tally_parsed(t, l, Q_DEFERRED, &racy, message(), "ID2", &st);
	tally_flush(t, l, &st);
	rescan_end(rs, 1);
	ck_assert_uint_eq(cache_size(c), 2);
	tally_local_free(l);
	tally_free(t);
	return racy.ctime_ns;
}

START_TEST(only_unchanged_settled_files_are_told_by_the_cache)
{
	struct agg *a = agg_create(NOW);
	struct cache *c = cache_create();
	struct scan_sink to = {a, NULL, NULL};
	struct rescan rs;
	struct rescan_facts f = facts(1, OLD_NS, 1000);
	struct cache_entry *e;
	struct tally *t;
	struct scan_stats st;
	int64_t	racy_ctime;

	racy_ctime = scan_once(a, c, &rs);
	agg_rescan(a, NOW);
	rescan_begin(&rs, c);
	ck_assert(rescan_ready(&rs));
	ck_assert_ptr_null(rescan_match(&rs, Q_HOLD, &f));	/* moved */
	f.size = 999;
	ck_assert_ptr_null(rescan_match(&rs, Q_DEFERRED, &f));	/* written */
	f.size = 1000;
	f.ctime_ns++;
	ck_assert_ptr_null(rescan_match(&rs, Q_DEFERRED, &f));	/* changed */
	f.ctime_ns--;
	f.key = 3;
	ck_assert_ptr_null(rescan_match(&rs, Q_DEFERRED, &f));	/* another */
	f.key = 2;
	f.ctime_ns = racy_ctime;		/* unchanged, but too recent */
	ck_assert_ptr_null(rescan_match(&rs, Q_DEFERRED, &f));
	f = facts(1, OLD_NS, 1000);
	e = rescan_match(&rs, Q_DEFERRED, &f);
	ck_assert_ptr_nonnull(e);

	/* Told by the cache: counted as it was, and kept by the sweep. */
	memset(&st, 0, sizeof(st));
	t = tally_create(&to, &rs, 5);
	tally_cached(t, Q_DEFERRED, e, &st);
	tally_cached(t, Q_DEFERRED, e, &st);	/* met twice: once */
	ck_assert_uint_eq(st.parsed, 1);
	ck_assert_uint_eq(st.cached, 1);
	ck_assert_uint_eq(st.duplicates, 1);
	ck_assert_uint_eq(agg_queue(a, Q_DEFERRED)->length, 1);
	rescan_end(&rs, 1);
	ck_assert_uint_eq(cache_size(c), 1);
	tally_free(t);
	cache_free(c);
	agg_free(a);
}
END_TEST

Suite *
tally_suite(void)
{
	Suite  *s = suite_create("tally");
	TCase  *tc = tcase_create("count_once");

	tcase_add_test(tc, a_moved_file_counts_once);
	tcase_add_test(tc, waiting_files_are_counted_in_bounded_groups);
	tcase_add_test(tc, a_visitor_sees_each_message_once);
	tcase_add_test(tc, keys_are_inodes_on_the_queue_device);
	tcase_add_test(tc, only_unchanged_settled_files_are_told_by_the_cache);
	suite_add_tcase(s, tc);
	return s;
}
