/*
 * pool.c - a fixed set of threads sharing out numbered jobs (see pool.h).
 *
 * A run is published under the lock with a new generation number; the
 * helpers wake for it, take job numbers from an atomic counter without
 * the lock, and say under it when they are done. The lock is taken twice
 * per thread and run, never per job. Trusts its caller: the jobs are the
 * caller's code.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "pool.h"
#include "xalloc.h"

struct helper {
	struct pool *pool;
	size_t	index;			/* the t its jobs are given */
	pthread_t tid;
};

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t go, done;
	unsigned gen;			/* runs published so far */
	size_t	active;			/* helpers not yet done with this run */
	int	stop;
	/* The run in hand, published under lock; next is the next job. */
	size_t	njobs;
	pool_job_fn job;
	pool_done_fn done_fn;
	void   *ctx;
	atomic_size_t next;
	struct helper *helpers;		/* [0] is the calling thread: unused */
	size_t	nthreads;
};

/* work - run jobs of the run in hand until there are none left */
static void
work(struct pool *p, size_t t)
{
	size_t	j;

	while ((j = atomic_fetch_add(&p->next, 1)) < p->njobs)
		p->job(p->ctx, t, j);
	if (p->done_fn)
		p->done_fn(p->ctx, t);
}

/* helper_main - a helper thread: wait for a run, work, report done */
static void *
helper_main(void *arg)
{
	struct helper *h = arg;
	struct pool *p = h->pool;
	unsigned seen = 0;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->gen == seen && !p->stop)
			pthread_cond_wait(&p->go, &p->lock);
		if (p->stop)
			break;
		seen = p->gen;
		pthread_mutex_unlock(&p->lock);
		work(p, h->index);
		pthread_mutex_lock(&p->lock);
		if (--p->active == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* pool_create - the calling thread and nthreads - 1 helpers */
struct pool *
pool_create(unsigned nthreads)
{
	struct pool *p = xcalloc(1, sizeof(*p));
	size_t	i;
	int	err;

	if ((err = pthread_mutex_init(&p->lock, NULL)) != 0
	    || (err = pthread_cond_init(&p->go, NULL)) != 0
	    || (err = pthread_cond_init(&p->done, NULL)) != 0)
		msg_fatal(MSG_EXIT_FAIL, "cannot set up the scan threads: %s",
		    strerror(err));
	atomic_init(&p->next, 0);
	if (nthreads == 0)
		nthreads = 1;
	p->helpers = xcalloc(nthreads, sizeof(*p->helpers));
	p->nthreads = 1;
	for (i = 1; i < nthreads; i++) {
		struct helper *h = &p->helpers[i];

		h->pool = p;
		h->index = i;
		err = pthread_create(&h->tid, NULL, helper_main, h);
		if (err != 0) {
			msg_warn("cannot start scan thread %zu: %s; using %zu",
			    i, strerror(err), p->nthreads);
			break;
		}
		p->nthreads++;
	}
	return p;
}

/* pool_size - the threads of the pool, the calling one included */
size_t
pool_size(const struct pool *p)
{
	return p->nthreads;
}

/* pool_run - every job once, on every thread; return when all are done */
void
pool_run(struct pool *p, size_t njobs, pool_job_fn job, pool_done_fn done,
    void *ctx)
{
	pthread_mutex_lock(&p->lock);
	p->njobs = njobs;
	p->job = job;
	p->done_fn = done;
	p->ctx = ctx;
	atomic_store(&p->next, 0);
	p->active = p->nthreads - 1;
	p->gen++;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->lock);
	work(p, 0);
	pthread_mutex_lock(&p->lock);
	while (p->active > 0)
		pthread_cond_wait(&p->done, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

/* pool_free - end the helpers and release the pool */
void
pool_free(struct pool *p)
{
	size_t	i;
	int	err;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->lock);
	for (i = 1; i < p->nthreads; i++)
		if ((err = pthread_join(p->helpers[i].tid, NULL)) != 0)
			msg_warn("cannot join scan thread %zu: %s", i,
			    strerror(err));
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->done);
	free(p->helpers);
	free(p);
}
