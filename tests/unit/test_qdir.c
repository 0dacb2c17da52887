/*
 * test_qdir.c - the queue directory walker on real temporary directories
 * (no root needed): hash subdirectories at any depth and no deeper than
 * the bound, symbolic links and FIFOs ignored and never followed, names
 * that are not queue IDs never handed out, a hash directory that
 * vanishes mid-walk, and batches that bound memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "qdir.h"
#include "unit.h"

/*
 * Each test builds its tree in a directory of its own below base, which
 * is made and removed outside the tests (an unchecked fixture runs in
 * the parent), so that a failing test leaves nothing behind.
 */
static char base[] = "/tmp/pfqmon-qdir.XXXXXX";
static const char *test_dir;		/* the running test's, in base */

/* What the walker handed out: "rel/name" lines, and the batches. */
struct seen {
	struct buf lines;		/* "\nrel/name\n..." */
	size_t	names, batches, max_batch;
	char	first_rel[PATH_MAX];	/* of the first batch */
	void	(*hook)(const struct qdir_batch *);
};

/* path - rel in the test's directory, for the test's own operations */
static const char *
path(const char *rel)
{
	static char p[PATH_MAX];

	ck_assert_int_lt(snprintf(p, sizeof(p), "%s/%s/%s", base, test_dir,
	    rel), (int)sizeof(p));
	return p;
}

/* begin - a directory of the test's own, below base */
static void
begin(const char *name)
{
	char	p[PATH_MAX];

	test_dir = name;
	ck_assert_int_lt(snprintf(p, sizeof(p), "%s/%s", base, name),
	    (int)sizeof(p));
	ck_assert_int_eq(mkdir(p, 0700), 0);
}

static void
mk_dir(const char *rel)
{
	ck_assert_msg(mkdir(path(rel), 0700) == 0, "mkdir %s: %s", rel,
	    strerror(errno));
}

static void
mk_file(const char *rel)
{
	int	fd = open(path(rel), O_WRONLY | O_CREAT | O_EXCL, 0700);

	ck_assert_msg(fd >= 0, "create %s: %s", rel, strerror(errno));
	ck_assert_int_eq(close(fd), 0);
}

/* got - a batch from the walker */
static void
got(void *ctx, const struct qdir_batch *b)
{
	struct seen *s = ctx;
	struct stat sb;
	size_t	i;

	ck_assert_uint_gt(b->n, 0);
	ck_assert_uint_le(b->n, QDIR_BATCH_MAX);
	if (s->batches++ == 0)
		snprintf(s->first_rel, sizeof(s->first_rel), "%s", b->rel);
	if (b->n > s->max_batch)
		s->max_batch = b->n;
	for (i = 0; i < b->n; i++) {
		/* The name is usable relative to the batch's directory. */
		ck_assert_int_eq(fstatat(b->dfd, qdir_name(b, i), &sb,
		    AT_SYMLINK_NOFOLLOW), 0);
		buf_adds(&s->lines, b->rel);
		buf_addc(&s->lines, '/');
		buf_adds(&s->lines, qdir_name(b, i));
		buf_addc(&s->lines, '\n');
	}
	s->names += b->n;
	if (s->hook)
		s->hook(b);
}

/* walk - walk base/queue as qdir_walk() does for the scan */
static void
walk(const char *queue, int depth_max, struct seen *s, struct scan_stats *st)
{
	struct qdir *w = qdir_create(got, s);
	int	fd = open(path(queue), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	memset(st, 0, sizeof(*st));
	buf_init(&s->lines);
	buf_addc(&s->lines, '\n');
	qdir_walk(w, fd, queue, depth_max, st);
	qdir_free(w);
}

/* has - was rel/name handed out? */
static int
has(const struct seen *s, const char *relname)
{
	char	line[PATH_MAX + 2];

	snprintf(line, sizeof(line), "\n%s\n", relname);
	return strstr(s->lines.data, line) != NULL;
}

START_TEST(hash_subdirectories)
{
	struct seen s = {0};
	struct scan_stats st;

	begin("hash");
	mk_dir("deferred");
	mk_file("deferred/4F3A21B7C");
	mk_file("deferred/Z");			/* one character, but a file */
	mk_dir("deferred/A");
	mk_file("deferred/A/A1B2C3");
	mk_dir("deferred/A/B");
	mk_file("deferred/A/B/AB77");
	mk_dir("deferred/F");
	mk_dir("deferred/F/0");
	mk_file("deferred/F/0/F0_long_Id");
	walk("deferred", QDIR_DEPTH_MAX, &s, &st);
	ck_assert_msg(has(&s, "deferred/4F3A21B7C") && has(&s, "deferred/Z")
	    && has(&s, "deferred/A/A1B2C3") && has(&s, "deferred/A/B/AB77")
	    && has(&s, "deferred/F/0/F0_long_Id"), "%s", s.lines.data);
	ck_assert_uint_eq(s.names, 5);
	ck_assert_uint_eq(st.files, 5);	/* hash directories are not files */
	ck_assert_uint_eq(st.ignored, 0);
	ck_assert_uint_eq(st.errors, 0);
	/* A directory's files come before its subdirectories'. */
	ck_assert_str_eq(s.first_rel, "deferred");
	buf_free(&s.lines);
}
END_TEST

START_TEST(depth_is_bounded)
{
	struct seen s = {0};
	struct scan_stats st;
	char	rel[PATH_MAX] = "deferred", file[PATH_MAX + 16];
	size_t	len;
	int	level;

	/* A file at every level 0 .. QDIR_DEPTH_MAX + 1 of hash directories. */
	begin("depth");
	mk_dir(rel);
	for (level = 0; level <= QDIR_DEPTH_MAX + 1; level++) {
		snprintf(file, sizeof(file), "%s/LEVEL%d", rel, level);
		mk_file(file);
		if (level <= QDIR_DEPTH_MAX) {
			len = strlen(rel);
			ck_assert_uint_lt(len + 3, sizeof(rel));
			memcpy(rel + len, "/h", 3);
			mk_dir(rel);
		}
	}
	walk("deferred", QDIR_DEPTH_MAX, &s, &st);
	ck_assert_uint_eq(s.names, QDIR_DEPTH_MAX + 1);
	snprintf(file, sizeof(file), "/LEVEL%d\n", QDIR_DEPTH_MAX);
	ck_assert_msg(strstr(s.lines.data, file) != NULL, "%s", s.lines.data);
	snprintf(file, sizeof(file), "/LEVEL%d\n", QDIR_DEPTH_MAX + 1);
	ck_assert_ptr_null(strstr(s.lines.data, file));
	/* The directory past the bound is an entry, not followed: ignored. */
	ck_assert_uint_eq(st.files, QDIR_DEPTH_MAX + 2);
	ck_assert_uint_eq(st.ignored, 1);
	buf_free(&s.lines);

	/* Depth 0, as for maildrop: flat. */
	memset(&s, 0, sizeof(s));
	walk("deferred", 0, &s, &st);
	ck_assert_uint_eq(s.names, 1);
	ck_assert(has(&s, "deferred/LEVEL0"));
	ck_assert_uint_eq(st.files, 2);
	ck_assert_uint_eq(st.ignored, 1);
	buf_free(&s.lines);
}
END_TEST

START_TEST(links_and_fifos_are_ignored)
{
	struct seen s = {0};
	struct scan_stats st;
	char	target[PATH_MAX];

	begin("links");
	mk_dir("outside");
	mk_file("outside/SECRET1");
	mk_dir("hold");
	mk_file("hold/REAL1");
	snprintf(target, sizeof(target), "%s", path("outside/SECRET1"));
	ck_assert_int_eq(symlink(target, path("hold/LINK1")), 0);
	snprintf(target, sizeof(target), "%s", path("outside"));
	/* One-character names, as if they were hash directories. */
	ck_assert_int_eq(symlink(target, path("hold/L")), 0);
	ck_assert_int_eq(symlink("../outside", path("hold/M")), 0);
	ck_assert_int_eq(mkfifo(path("hold/FIFO1"), 0700), 0);
	walk("hold", QDIR_DEPTH_MAX, &s, &st);
	ck_assert_msg(s.names == 1 && has(&s, "hold/REAL1"), "%s",
	    s.lines.data);
	ck_assert_ptr_null(strstr(s.lines.data, "SECRET1"));
	ck_assert_uint_eq(st.files, 5);
	ck_assert_uint_eq(st.ignored, 4);
	ck_assert_uint_eq(st.errors, 0);
	buf_free(&s.lines);
}
END_TEST

START_TEST(names_that_are_not_queue_ids)
{
	static const char *const bad[] = {
		"active/bad-name", "active/x.y", "active/.hidden",
		"active/with space", "active/\xc3\xbcmlaut", "active/tab\tid",
	};
	struct seen s = {0};
	struct scan_stats st;
	size_t	i;

	begin("names");
	mk_dir("active");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		mk_file(bad[i]);
	mk_dir("active/notahashdir");		/* a long name: not descended */
	mk_file("active/notahashdir/INSIDE1");
	mk_file("active/GOOD_1");
	walk("active", QDIR_DEPTH_MAX, &s, &st);
	ck_assert_msg(s.names == 1 && has(&s, "active/GOOD_1"), "%s",
	    s.lines.data);
	ck_assert_uint_eq(st.files, 8);
	ck_assert_uint_eq(st.ignored, 7);
	buf_free(&s.lines);
}
END_TEST

/* remove_v - while the files of "incoming" are scanned, V goes away */
static void
remove_v(const struct qdir_batch *b)
{
	if (strcmp(b->rel, "incoming") != 0)
		return;
	ck_assert_int_eq(unlink(path("incoming/V/GONE1")), 0);
	ck_assert_int_eq(rmdir(path("incoming/V")), 0);
}

START_TEST(directory_vanishes_mid_walk)
{
	struct seen s = {0};
	struct scan_stats st;

	begin("vanish");
	mk_dir("incoming");
	mk_file("incoming/STAYS1");
	mk_dir("incoming/V");
	mk_file("incoming/V/GONE1");
	mk_dir("incoming/W");
	mk_file("incoming/W/STAYS2");
	s.hook = remove_v;
	walk("incoming", QDIR_DEPTH_MAX, &s, &st);
	ck_assert_msg(s.names == 2 && has(&s, "incoming/STAYS1")
	    && has(&s, "incoming/W/STAYS2"), "%s", s.lines.data);
	/* Gone before it was opened: nothing to count, not an error. */
	ck_assert_uint_eq(st.files, 2);
	ck_assert_uint_eq(st.errors, 0);
	ck_assert_uint_eq(st.ignored, 0);
	buf_free(&s.lines);
}
END_TEST

START_TEST(batches_bound_memory)
{
	struct seen s = {0};
	struct scan_stats st;
	char	name[64];
	size_t	i, n = 2 * QDIR_BATCH_MAX + 5;

	begin("batches");
	mk_dir("deferred");
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "deferred/Q%zu", i);
		mk_file(name);
	}
	walk("deferred", QDIR_DEPTH_MAX, &s, &st);
	ck_assert_uint_eq(s.names, n);
	ck_assert_uint_eq(st.files, n);
	ck_assert_uint_eq(s.batches, 3);
	ck_assert_uint_eq(s.max_batch, QDIR_BATCH_MAX);
	buf_free(&s.lines);
}
END_TEST

static void
tree_setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(base));
}

static void
tree_teardown(void)
{
	unit_rm_tree(base);
}

Suite *
qdir_suite(void)
{
	Suite  *s = suite_create("qdir");
	TCase  *tc = tcase_create("walk");

	tcase_add_unchecked_fixture(tc, tree_setup, tree_teardown);
	tcase_add_test(tc, hash_subdirectories);
	tcase_add_test(tc, depth_is_bounded);
	tcase_add_test(tc, links_and_fifos_are_ignored);
	tcase_add_test(tc, names_that_are_not_queue_ids);
	tcase_add_test(tc, directory_vanishes_mid_walk);
	tcase_add_test(tc, batches_bound_memory);
	suite_add_tcase(s, tc);
	return s;
}
