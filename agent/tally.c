/*
 * tally.c - count each queue file of a scan once, under one lock (see
 * tally.h).
 *
 * Trusts its callers' verdicts and stat facts; the messages' keys are
 * cleaned by the aggregator. The lock is held only while counting, and
 * keys are cleaned and hashed before it is taken, so the critical
 * section is short and rarely contended.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "cache.h"
#include "msg.h"
#include "rescan.h"
#include "tally.h"
#include "xalloc.h"

/* Set of the keys of the files counted in this scan. */
struct inoset {
	uint64_t *slot;			/* 0 is empty */
	size_t	mask;
	size_t	n;
};

struct tally {
	struct agg *agg;		/* under lock; or NULL with: */
	scan_visit_fn visit;		/* under lock */
	void   *visit_ctx;
	const struct rescan *rs;	/* its cache under lock; or NULL */
	struct inoset seen;		/* under lock */
	pthread_mutex_t lock;
	dev_t	dev;			/* device of the queue directory */
};

/* A file read but not yet counted. */
struct tally_item {
	struct rescan_facts f;
	enum pfq_queue q;
	int	parsed;			/* else unparseable */
};

/* One thread's files waiting to be counted, with their keys prepared. */
struct tally_local {
	struct agg_prep prep[TALLY_COMMIT_MAX];
	struct tally_item item[TALLY_COMMIT_MAX];
	size_t	n;
};

/* inoset_slot - where key is, or the empty slot where it would go */
static size_t
inoset_slot(const struct inoset *s, uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ULL;
	size_t	i;

	for (i = (size_t)(h >> 32 ^ h) & s->mask; s->slot[i] && s->slot[i] != key;
	    i = (i + 1) & s->mask)
		;
	return i;
}

/* inoset_add - remember key; returns 0 if it was already there */
static int
inoset_add(struct inoset *s, uint64_t key)
{
	size_t	i, nslots;
	uint64_t *old;

	if (s->slot == NULL || (s->n + 1) * 4 > (s->mask + 1) * 3) {
		old = s->slot;
		nslots = old ? (s->mask + 1) * 2 : 1024;
		s->slot = xcalloc(nslots, sizeof(*s->slot));
		s->mask = nslots - 1;
		for (i = 0; old && i < nslots / 2; i++)
			if (old[i])
				s->slot[inoset_slot(s, old[i])] = old[i];
		free(old);
	}
	i = inoset_slot(s, key);
	if (s->slot[i])
		return 0;
	s->slot[i] = key;
	s->n++;
	return 1;
}

/* tally_create - an empty tally for one scan; free with tally_free */
struct tally *
tally_create(const struct scan_sink *to, const struct rescan *rs, dev_t dev)
{
	struct tally *t = xcalloc(1, sizeof(*t));
	int	err;

	if ((err = pthread_mutex_init(&t->lock, NULL)) != 0)
		msg_fatal(MSG_EXIT_FAIL, "cannot set up the scan lock: %s",
		    strerror(err));
	t->agg = to->agg;
	t->visit = to->visit;
	t->visit_ctx = to->ctx;
	t->rs = rs;
	t->dev = dev;
	return t;
}

/* tally_free - release a tally */
void
tally_free(struct tally *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t->seen.slot);
	free(t);
}

/*
 * tally_key - identity of a file for duplicate detection. The spool lives
 * on one file system, so the inode alone is exact; a file on another
 * device (a hash directory that is a mount point) gets a mixed key.
 */
uint64_t
tally_key(const struct tally *t, const struct stat *sb)
{
	uint64_t key = (uint64_t)sb->st_ino;

	if (sb->st_dev != t->dev)
		key ^= ((uint64_t)sb->st_dev + 1) * 0xc2b2ae3d27d4eb4fULL;
	return key ? key : 1;
}

/* tally_local_create - a thread's waiting files; free: tally_local_free */
struct tally_local *
tally_local_create(void)
{
	struct tally_local *l = xcalloc(1, sizeof(*l));
	size_t	i;

	for (i = 0; i < TALLY_COMMIT_MAX; i++)
		agg_prep_init(&l->prep[i]);
	return l;
}

/* tally_local_free - release a thread's waiting files (counted or not) */
void
tally_local_free(struct tally_local *l)
{
	size_t	i;

	if (l == NULL)
		return;
	for (i = 0; i < TALLY_COMMIT_MAX; i++)
		agg_prep_free(&l->prep[i]);
	free(l);
}

/*
 * tally_flush - count the thread's waiting files into the shared
 * aggregate, each unless the same file was counted already in this scan
 * (a rename caught in two queues), and remember them in the cache. The
 * lock is taken once for up to TALLY_COMMIT_MAX files.
 */
void
tally_flush(struct tally *t, struct tally_local *l, struct scan_stats *st)
{
	struct cache *cache = t->rs ? t->rs->cache : NULL;
	const struct tally_item *p;
	struct cache_entry *e;
	size_t	i;

	if (l->n == 0)
		return;
	pthread_mutex_lock(&t->lock);
	for (i = 0; i < l->n; i++) {
		p = &l->item[i];
		if (!p->parsed) {
			/* The corrupt queue holds exactly such files: count them. */
			if (p->q == Q_CORRUPT && inoset_add(&t->seen, p->f.key))
				agg_add_unparsed(t->agg, p->q, p->f.size);
			if (cache)
				(void)rescan_remember(t->rs, p->q, &p->f, 0);
		} else if (!inoset_add(&t->seen, p->f.key)) {
			st->duplicates++;
		} else if (cache) {
			e = rescan_remember(t->rs, p->q, &p->f, 1);
			agg_commit(t->agg, p->q, &l->prep[i], &e->ref,
			    cache_pool(cache));
			st->parsed++;
		} else {
			agg_commit(t->agg, p->q, &l->prep[i], NULL, NULL);
			st->parsed++;
		}
	}
	pthread_mutex_unlock(&t->lock);
	l->n = 0;
}

/* pend - one more file to count at the next flush */
static void
pend(struct tally *t, struct tally_local *l, enum pfq_queue q,
    const struct rescan_facts *f, int parsed, struct scan_stats *st)
{
	struct tally_item *p = &l->item[l->n];

	p->f = *f;
	p->q = q;
	p->parsed = parsed;
	if (++l->n == TALLY_COMMIT_MAX)
		tally_flush(t, l, st);
}

/*
 * visit - hand a parsed message to the sink's visitor, once per scan.
 * Taking the lock per message costs little next to opening the file,
 * and spares every visitor its own locking.
 */
static void
visit(struct tally *t, enum pfq_queue q, uint64_t key, const struct qf_msg *m,
    const char *name, struct scan_stats *st)
{
	pthread_mutex_lock(&t->lock);
	if (!inoset_add(&t->seen, key)) {
		st->duplicates++;
	} else {
		st->parsed++;
		t->visit(t->visit_ctx, q, name, strlen(name), m);
	}
	pthread_mutex_unlock(&t->lock);
}

/* tally_parsed - a queue file read and parsed (any thread) */
void
tally_parsed(struct tally *t, struct tally_local *l, enum pfq_queue q,
    const struct rescan_facts *f, const struct qf_msg *m, const char *name,
    struct scan_stats *st)
{
	if (t->visit) {
		visit(t, q, f->key, m, name, st);
		return;
	}
	agg_prepare(t->agg, &l->prep[l->n], m);
	pend(t, l, q, f, 1, st);
}

/* tally_unparseable - a file read that is not a queue file (any thread) */
void
tally_unparseable(struct tally *t, struct tally_local *l, enum pfq_queue q,
    const struct rescan_facts *f, struct scan_stats *st)
{
	st->unparseable++;
	if (t->visit || (q != Q_CORRUPT && t->rs == NULL))
		return;			/* nothing to count or remember */
	pend(t, l, q, f, 0, st);
}

/*
 * tally_cached - count a file from the cache entry that says it is
 * unchanged since it was read. No lock: no other thread tallies.
 */
void
tally_cached(struct tally *t, enum pfq_queue q, struct cache_entry *e,
    struct scan_stats *st)
{
	struct cache *cache = t->rs->cache;

	if (e->verdict == CACHE_UNPARSEABLE) {
		st->unparseable++;
		if (q == Q_CORRUPT && inoset_add(&t->seen, e->key))
			agg_add_unparsed(t->agg, q, e->ref.size);
	} else if (!inoset_add(&t->seen, e->key)) {
		st->duplicates++;
		return;
	} else {
		agg_recount(t->agg, q, &e->ref, cache_drefs(cache));
		st->parsed++;
	}
	cache_hit(cache, e);
	st->cached++;
}

/*
 * tally_known - count a file the watched cache says is unchanged and
 * that nothing else in this scan counted (the caller knows: the entry
 * was not touched this scan, and entries are one per file). The set of
 * files counted is skipped: at a million files it would cost more than
 * all the rest of a quiet scan. No lock: no other thread tallies.
 */
void
tally_known(struct tally *t, struct cache_entry *e, struct scan_stats *st)
{
	struct cache *cache = t->rs->cache;
	enum pfq_queue q = (enum pfq_queue)e->queue;

	if (e->verdict == CACHE_UNPARSEABLE) {
		st->unparseable++;
		if (q == Q_CORRUPT)
			agg_add_unparsed(t->agg, q, e->ref.size);
	} else {
		agg_recount(t->agg, q, &e->ref, cache_drefs(cache));
		st->parsed++;
	}
	cache_hit(cache, e);
	st->cached++;
}
