/*
 * pool.h - a fixed set of threads that share out numbered jobs.
 *
 * SYNOPSIS
 *	p = pool_create(nthreads);
 *	n = pool_size(p);			threads, the caller's included
 *	pool_run(p, njobs, job, done, ctx);	returns when all are done
 *	pool_free(p);
 *
 * DESCRIPTION
 *	pool_create() starts nthreads - 1 helper threads, which wait; the
 *	calling thread is the pool's thread 0. pool_size() says how many
 *	threads the pool has (at least 1).
 *
 *	pool_run() runs job(ctx, t, j) exactly once for every j from 0 to
 *	njobs - 1, on all the pool's threads at once, each taking the next
 *	job number when it is free; t (0 to pool_size() - 1) says which
 *	thread runs it, so that a job can use that thread's own state
 *	without a lock. Then every thread, whether it ran a job or not,
 *	calls done(ctx, t) once (done may be NULL), to hand on what it
 *	gathered. pool_run() returns when every thread is done; what the
 *	jobs wrote is then visible to the caller, and what the caller wrote
 *	before the call is visible to the jobs. Jobs run concurrently and
 *	in no set order. One pool_run() at a time, from the thread that
 *	created the pool; jobs must not call it.
 *
 *	pool_free() ends the helpers (waiting for none: they are idle
 *	between runs) and releases the pool.
 *
 * DIAGNOSTICS
 *	A helper that cannot be started is warned about once, and the pool
 *	works with the threads it has. A mutex or condition variable that
 *	cannot be set up is fatal.
 */
#ifndef PFQ_POOL_H
#define PFQ_POOL_H

#include <stddef.h>

typedef void (*pool_job_fn)(void *ctx, size_t thread, size_t job);
typedef void (*pool_done_fn)(void *ctx, size_t thread);

struct pool;

struct pool *pool_create(unsigned);
size_t	pool_size(const struct pool *);
void	pool_run(struct pool *, size_t, pool_job_fn, pool_done_fn, void *);
void	pool_free(struct pool *);

#endif
