/*
 * test_arrivals.c - arrivals (arrivals.c) told the events of a message's
 * life by hand, on real files in a temporary queue: counted once when
 * cleanup completes it, even if it was moved and removed before the
 * events were read; counted when it reaches active if its completion was
 * missed; vanished when it was never readable; never for a retry; once
 * for a message cleanup puts on hold; and the names remembered survive
 * thousands of removals from the set in any order.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arrivals.h"
#include "qfwrite.h"
#include "unit.h"

#define SIZE_REC_LEN	97		/* 'C', length byte, 95 bytes */

#define ROOT_TEMPLATE	"/tmp/pfqmon-arrivals.XXXXXX"

static char root[sizeof(ROOT_TEMPLATE)];
static int incoming = -1, active = -1, hold = -1;

/* queue_setup - incoming, active and hold in a new temporary directory */
static void
queue_setup(void)
{
	char	path[128];
	int	*fds[] = {&incoming, &active, &hold};
	const char *names[] = {"incoming", "active", "hold"};
	int	i;

	memcpy(root, ROOT_TEMPLATE, sizeof(root));
	ck_assert_ptr_nonnull(mkdtemp(root));
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, names[i]);
		ck_assert_int_eq(mkdir(path, 0700), 0);
		*fds[i] = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ck_assert_int_ge(*fds[i], 0);
	}
}

static void
queue_teardown(void)
{
	close(incoming);
	close(active);
	close(hold);
	unit_rm_tree(root);
}

/* put - a queue file from SASL user login, with mode (0600: writing) */
static void
put(int dfd, const char *name, const char *login, mode_t mode)
{
	struct buf rest, out;
	char	attr[64];
	size_t	m_end, x_off;
	int	fd;

	buf_init(&rest);
	buf_init(&out);
	qfw_str(&rest, 'T', "1700000000 0");
	snprintf(attr, sizeof(attr), "sasl_username=%s", login);
	qfw_str(&rest, 'A', attr);
	qfw_str(&rest, 'S', "x@example.test");
	qfw_str(&rest, 'R', "r@dest.test");
	qfw_rec(&rest, 'M', "", 0);
	m_end = rest.len;
	qfw_str(&rest, 'N', "hello");
	x_off = rest.len;
	qfw_rec(&rest, 'X', "", 0);
	qfw_rec(&rest, 'E', "", 0);
	qfw_size(&out, (long)(x_off - m_end), (long)(SIZE_REC_LEN + m_end), 1);
	buf_add(&out, rest.data, rest.len);
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, out.data, out.len), (ssize_t)out.len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
	buf_free(&rest);
	buf_free(&out);
}

/* tell - one event, in both passes, as the watch tells it */
static void
tell(struct arrivals *a, int kind, int dfd, uint32_t mask, uint32_t cookie,
    const char *name)
{
	struct watch_event e = {0, kind, dfd, mask, cookie, name, strlen(name), 1};

	arrivals_event(a, &e);
	e.early = 0;
	arrivals_event(a, &e);
}

/* by_sasl - arrivals of login in a taken aggregate */
static uint32_t
by_sasl(const struct agg *agg, const char *login)
{
	struct agg_row *rows;
	struct agg_stats other;
	size_t	n, i;
	uint32_t got = 0;
	int	have_other;

	n = agg_top(agg, DIM_SASL, 0, &rows, &other, &have_other);
	for (i = 0; i < n; i++)
		if (rows[i].len == strlen(login)
		    && memcmp(rows[i].key, login, rows[i].len) == 0)
			got = rows[i].st->length;
	free(rows);
	return got;
}

/* moved - a rename from one queue to another, both halves */
static void
moved(struct arrivals *a, int from_kind, int from_dfd, int to_kind, int to_dfd,
    uint32_t cookie, const char *name)
{
	ck_assert_int_eq(renameat(from_dfd, name, to_dfd, name), 0);
	tell(a, from_kind, from_dfd, IN_MOVED_FROM, cookie, name);
	tell(a, to_kind, to_dfd, IN_MOVED_TO, cookie, name);
}

START_TEST(counted_once_when_complete)
{
	struct arrivals *a = arrivals_create();
	struct arrival_counts n;
	struct agg *agg;

	put(incoming, "A1000000001", "alice", 0600);
	tell(a, Q_INCOMING, incoming, IN_MOVED_TO, 1, "A1000000001");
	tell(a, Q_INCOMING, incoming, IN_MODIFY, 0, "A1000000001");
	ck_assert_int_eq(fchmodat(incoming, "A1000000001", 0700, 0), 0);
	tell(a, Q_INCOMING, incoming, IN_ATTRIB, 0, "A1000000001");
	moved(a, Q_INCOMING, incoming, Q_ACTIVE, active, 2, "A1000000001");
	ck_assert_int_eq(unlinkat(active, "A1000000001", 0), 0);
	tell(a, Q_ACTIVE, active, IN_DELETE, 0, "A1000000001");
	agg = arrivals_take(a, &n);
	ck_assert_uint_eq(n.messages, 1);
	ck_assert_uint_eq(n.vanished, 0);
	ck_assert_uint_eq(by_sasl(agg, "alice"), 1);
	agg_free(agg);
	/* The next take starts afresh. */
	agg = arrivals_take(a, &n);
	ck_assert_uint_eq(n.messages, 0);
	agg_free(agg);
	arrivals_free(a);
}
END_TEST

START_TEST(read_after_it_was_delivered)
{
	struct arrivals *a = arrivals_create();
	struct watch_event e = {0, Q_INCOMING, -1, IN_MOVED_TO, 1, "B1000000001",
	    11, 1};
	struct arrival_counts n;
	struct agg *agg;

	/*
	 * The watch's thread ran late: the file appeared (held open in the
	 * first pass), was completed, moved and delivered before the rest
	 * of the events was read.
	 */
	put(incoming, "B1000000001", "bob", 0600);
	e.dfd = incoming;
	arrivals_event(a, &e);
	ck_assert_int_eq(fchmodat(incoming, "B1000000001", 0700, 0), 0);
	ck_assert_int_eq(renameat(incoming, "B1000000001", active,
	    "B1000000001"), 0);
	ck_assert_int_eq(unlinkat(active, "B1000000001", 0), 0);
	e.early = 0;
	arrivals_event(a, &e);
	tell(a, Q_INCOMING, incoming, IN_ATTRIB, 0, "B1000000001");
	tell(a, Q_INCOMING, incoming, IN_MOVED_FROM, 2, "B1000000001");
	tell(a, Q_ACTIVE, active, IN_MOVED_TO, 2, "B1000000001");
	tell(a, Q_ACTIVE, active, IN_DELETE, 0, "B1000000001");
	agg = arrivals_take(a, &n);
	ck_assert_uint_eq(n.messages, 1);
	ck_assert_uint_eq(n.vanished, 0);
	ck_assert_uint_eq(by_sasl(agg, "bob"), 1);
	agg_free(agg);
	arrivals_free(a);
}
END_TEST

START_TEST(held_from_cleanups_temporary_name)
{
	struct arrivals *a = arrivals_create();
	struct watch_event e[] = {
		{0, Q_INCOMING, -1, IN_CREATE, 0, "654321.4242", 11, 1},
		{0, Q_INCOMING, -1, IN_MOVED_FROM, 5, "654321.4242", 11, 1},
		{0, Q_INCOMING, -1, IN_MOVED_TO, 5, "G1000000001", 11, 1},
	};
	struct arrival_counts n;
	struct agg *agg;
	size_t	i;

	/*
	 * cleanup creates the file under a temporary name, then names it by
	 * its inode. The first pass saw the creation in time; by the time
	 * the second pass runs, the message was named, written, completed,
	 * moved to active and delivered.
	 */
	put(incoming, "654321.4242", "gina", 0600);
	for (i = 0; i < 3; i++)
		e[i].dfd = incoming;
	arrivals_event(a, &e[0]);
	ck_assert_int_eq(renameat(incoming, "654321.4242", incoming,
	    "G1000000001"), 0);
	ck_assert_int_eq(fchmodat(incoming, "G1000000001", 0700, 0), 0);
	ck_assert_int_eq(renameat(incoming, "G1000000001", active,
	    "G1000000001"), 0);
	ck_assert_int_eq(unlinkat(active, "G1000000001", 0), 0);
	arrivals_event(a, &e[1]);
	arrivals_event(a, &e[2]);
	for (i = 0; i < 3; i++) {
		e[i].early = 0;
		arrivals_event(a, &e[i]);
	}
	tell(a, Q_INCOMING, incoming, IN_ATTRIB, 0, "G1000000001");
	tell(a, Q_INCOMING, incoming, IN_MOVED_FROM, 6, "G1000000001");
	tell(a, Q_ACTIVE, active, IN_MOVED_TO, 6, "G1000000001");
	agg = arrivals_take(a, &n);
	ck_assert_uint_eq(n.messages, 1);
	ck_assert_uint_eq(n.vanished, 0);
	ck_assert_uint_eq(by_sasl(agg, "gina"), 1);
	agg_free(agg);
	arrivals_free(a);
}
END_TEST

START_TEST(missed_completion_counts_in_active)
{
	struct arrivals *a = arrivals_create();
	struct arrival_counts n;
	struct agg *agg;

	/* Already complete before its events: the move counts it. */
	put(incoming, "C1000000001", "carol", 0700);
	moved(a, Q_INCOMING, incoming, Q_ACTIVE, active, 7, "C1000000001");
	/* Never readable at all: vanished, not counted. */
	put(incoming, "C1000000002", "carol", 0700);
	ck_assert_int_eq(unlinkat(incoming, "C1000000002", 0), 0);
	tell(a, Q_INCOMING, incoming, IN_ATTRIB, 0, "C1000000002");
	tell(a, Q_INCOMING, incoming, IN_MOVED_FROM, 8, "C1000000002");
	tell(a, Q_ACTIVE, active, IN_MOVED_TO, 8, "C1000000002");
	agg = arrivals_take(a, &n);
	ck_assert_uint_eq(n.messages, 1);
	ck_assert_uint_eq(n.vanished, 1);
	ck_assert_uint_eq(by_sasl(agg, "carol"), 1);
	agg_free(agg);
	arrivals_free(a);
}
END_TEST

START_TEST(retries_and_releases_are_not_arrivals)
{
	struct arrivals *a = arrivals_create();
	struct arrival_counts n;
	struct agg *agg;

	/* From deferred (not told: the spool gives it no kind) to active. */
	put(active, "D1000000001", "dave", 0700);
	tell(a, Q_ACTIVE, active, IN_MOVED_TO, 9, "D1000000001");
	/* postsuper -e in active, a chmod in hold */
	tell(a, Q_ACTIVE, active, IN_ATTRIB, 0, "D1000000001");
	put(hold, "D1000000002", "dave", 0700);
	tell(a, Q_HOLD, hold, IN_ATTRIB, 0, "D1000000002");
	/* hold to active is not a way Postfix moves mail, but told anyway */
	moved(a, Q_HOLD, hold, Q_ACTIVE, active, 10, "D1000000002");
	agg = arrivals_take(a, &n);
	ck_assert_uint_eq(n.messages, 0);
	ck_assert_uint_eq(n.vanished, 0);
	agg_free(agg);
	arrivals_free(a);
}
END_TEST

START_TEST(held_by_cleanup_counts_once)
{
	struct arrivals *a = arrivals_create();
	struct arrival_counts n;
	struct agg *agg;

	/* cleanup moves a HOLD message before it completes it */
	put(incoming, "E1000000001", "erin", 0600);
	tell(a, Q_INCOMING, incoming, IN_MOVED_TO, 11, "E1000000001");
	moved(a, Q_INCOMING, incoming, Q_HOLD, hold, 12, "E1000000001");
	ck_assert_int_eq(fchmodat(hold, "E1000000001", 0700, 0), 0);
	tell(a, Q_HOLD, hold, IN_ATTRIB, 0, "E1000000001");
	/* released later: postsuper -H, then a second chmod (-e) */
	tell(a, Q_HOLD, hold, IN_ATTRIB, 0, "E1000000001");
	agg = arrivals_take(a, &n);
	ck_assert_uint_eq(n.messages, 1);
	ck_assert_uint_eq(by_sasl(agg, "erin"), 1);
	agg_free(agg);
	arrivals_free(a);
}
END_TEST

START_TEST(many_names_leave_in_any_order)
{
	enum { N = 3000 };
	struct arrivals *a = arrivals_create();
	struct arrival_counts n;
	struct agg *agg;
	char	name[32];
	unsigned i, k;

	/* Completed in incoming: counted, remembered (no descriptor kept). */
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "F%010u", i);
		put(incoming, name, "frank", 0700);
		tell(a, Q_INCOMING, incoming, IN_ATTRIB, 0, name);
	}
	/*
	 * Moved to active in a scrambled order (a step coprime with N):
	 * every removal from the set must leave the others findable, or a
	 * later move would count its message a second time.
	 */
	for (i = 0, k = 0; i < N; i++, k = (k + 1301) % N) {
		snprintf(name, sizeof(name), "F%010u", k);
		moved(a, Q_INCOMING, incoming, Q_ACTIVE, active, 100 + k, name);
	}
	agg = arrivals_take(a, &n);
	ck_assert_uint_eq(n.messages, N);
	ck_assert_uint_eq(n.vanished, 0);
	ck_assert_uint_eq(by_sasl(agg, "frank"), N);
	agg_free(agg);
	arrivals_free(a);
}
END_TEST

Suite *
arrivals_suite(void)
{
	Suite  *s = suite_create("arrivals");
	TCase  *tc = tcase_create("events");

	tcase_add_checked_fixture(tc, queue_setup, queue_teardown);
	tcase_add_test(tc, counted_once_when_complete);
	tcase_add_test(tc, read_after_it_was_delivered);
	tcase_add_test(tc, held_from_cleanups_temporary_name);
	tcase_add_test(tc, missed_completion_counts_in_active);
	tcase_add_test(tc, retries_and_releases_are_not_arrivals);
	tcase_add_test(tc, held_by_cleanup_counts_once);
	tcase_add_test(tc, many_names_leave_in_any_order);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
