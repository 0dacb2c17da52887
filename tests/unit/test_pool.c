/*
 * test_pool.c - the scan's thread pool: every job of a run is run exactly
 * once, on a thread of the pool, with one thread and with several, over
 * several runs of the same pool; every thread says it is done once per
 * run.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"
#include "unit.h"
#include "xalloc.h"

#define THREADS_MAX	8

/* What the jobs of one run did. */
struct runlog {
	atomic_uint *ran;		/* per job: how often it ran */
	atomic_uint done[THREADS_MAX];	/* per thread: done calls */
	atomic_size_t by[THREADS_MAX];	/* per thread: jobs it ran */
	size_t	threads;
	atomic_uint bad_thread;		/* a job or done with t out of range */
};

static void
job(void *ctx, size_t t, size_t j)
{
	struct runlog *r = ctx;

	if (t >= r->threads) {
		atomic_fetch_add(&r->bad_thread, 1);
		return;
	}
	atomic_fetch_add(&r->ran[j], 1);
	atomic_fetch_add(&r->by[t], 1);
}

static void
done(void *ctx, size_t t)
{
	struct runlog *r = ctx;

	if (t >= r->threads) {
		atomic_fetch_add(&r->bad_thread, 1);
		return;
	}
	atomic_fetch_add(&r->done[t], 1);
}

/* run_and_check - one run of njobs on p: each job once, each done once */
static void
run_and_check(struct pool *p, size_t njobs)
{
	struct runlog r;
	size_t	i, sum = 0;

	memset(&r, 0, sizeof(r));
	r.threads = pool_size(p);
	r.ran = xcalloc(njobs ? njobs : 1, sizeof(*r.ran));
	pool_run(p, njobs, job, done, &r);
	ck_assert_uint_eq(atomic_load(&r.bad_thread), 0);
	for (i = 0; i < njobs; i++)
		ck_assert_msg(atomic_load(&r.ran[i]) == 1,
		    "%zu jobs, %zu threads: job %zu ran %u times", njobs,
		    r.threads, i, atomic_load(&r.ran[i]));
	for (i = 0; i < r.threads; i++) {
		ck_assert_msg(atomic_load(&r.done[i]) == 1,
		    "thread %zu said done %u times", i,
		    atomic_load(&r.done[i]));
		sum += atomic_load(&r.by[i]);
	}
	ck_assert_uint_eq(sum, njobs);
	free(r.ran);
}

START_TEST(one_thread_runs_every_job_once)
{
	struct pool *p = pool_create(1);

	ck_assert_uint_eq(pool_size(p), 1);
	run_and_check(p, 1000);
	run_and_check(p, 0);
	run_and_check(p, 1);
	pool_free(p);

	p = pool_create(0);			/* 0 means the caller alone */
	ck_assert_uint_eq(pool_size(p), 1);
	run_and_check(p, 10);
	pool_free(p);
}
END_TEST

START_TEST(several_threads_run_every_job_once)
{
	static const size_t njobs[] = {100000, 0, 1, 3, 2048, 7, 50000};
	struct pool *p = pool_create(4);
	size_t	i;

	ck_assert_uint_eq(pool_size(p), 4);
	for (i = 0; i < sizeof(njobs) / sizeof(njobs[0]); i++)
		run_and_check(p, njobs[i]);
	pool_free(p);
}
END_TEST

/* A run without a done function: only the jobs. */
START_TEST(done_is_optional)
{
	struct pool *p = pool_create(2);
	struct runlog r;
	size_t	i;

	memset(&r, 0, sizeof(r));
	r.threads = pool_size(p);
	r.ran = xcalloc(500, sizeof(*r.ran));
	pool_run(p, 500, job, NULL, &r);
	for (i = 0; i < 500; i++)
		ck_assert_uint_eq(atomic_load(&r.ran[i]), 1);
	free(r.ran);
	pool_free(p);
}
END_TEST

Suite *
pool_suite(void)
{
	Suite  *s = suite_create("pool");
	TCase  *tc = tcase_create("runs");

	tcase_add_test(tc, one_thread_runs_every_job_once);
	tcase_add_test(tc, several_threads_run_every_job_once);
	tcase_add_test(tc, done_is_optional);
	suite_add_tcase(s, tc);
	return s;
}
