/*
 * rescan.c - what the rescan cache can tell without reading a file, and
 * what it remembers of the files read (see rescan.h).
 *
 * Trusts the facts it is given to come from a stat of the file taken in
 * this scan; trusts nothing else about the file. No I/O.
 */
#include <string.h>
#include <time.h>

#include "cache.h"
#include "rescan.h"

/* rescan_begin - a scan starts: files changed from now - RACY_NS are racy */
void
rescan_begin(struct rescan *rs, struct cache *cache)
{
	struct timespec now;

	rs->cache = cache;
	/* Without a clock, every file read is racy: read again next time. */
	if (clock_gettime(CLOCK_REALTIME, &now) < 0)
		rs->racy_ns = INT64_MIN;
	else
		rs->racy_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec
		    - RACY_NS;
	if (cache)
		cache_begin(cache);
}

/* rescan_ready - does the cache know any file, so a stat may spare a read? */
int
rescan_ready(const struct rescan *rs)
{
	return rs->cache && cache_size(rs->cache) > 0;
}

/*
 * rescan_match - the cache entry of a file unchanged since it was read
 * in queue q, or NULL if the file must be read.
 */
struct cache_entry *
rescan_match(const struct rescan *rs, enum pfq_queue q,
    const struct rescan_facts *f)
{
	struct cache_entry *e;

	if ((e = cache_find(rs->cache, f->key)) == NULL
	    || e->racy || e->queue != q || e->ctime_ns != f->ctime_ns
	    || e->size != f->size)
		return NULL;
	return e;
}

/* rescan_remember - what a file just read said, for the next scan */
struct cache_entry *
rescan_remember(const struct rescan *rs, enum pfq_queue q,
    const struct rescan_facts *f, int parsed)
{
	struct cache_entry *e = cache_put(rs->cache, f->key);

	e->ctime_ns = f->ctime_ns;
	e->size = f->size;
	e->queue = (uint8_t)q;
	e->verdict = parsed ? CACHE_PARSED : CACHE_UNPARSEABLE;
	/* A change within the time stamp's granularity could be missed. */
	e->racy = f->ctime_ns >= rs->racy_ns;
	e->ref.size = f->size;
	if (f->node >= 0)
		cache_name(rs->cache, e, f->node, f->name, strlen(f->name));
	return e;
}

/* rescan_end - after a complete scan, forget the files it did not find */
void
rescan_end(struct rescan *rs, int complete)
{
	if (rs->cache && complete)
		cache_sweep(rs->cache);
}
