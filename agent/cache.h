/*
 * cache.h - what each queue file said at the last scan, so that a rescan
 * reads only the files that changed.
 *
 * SYNOPSIS
 *	c = cache_create();
 *	cache_begin(c);				at the start of each scan
 *	e = cache_find(c, key);			valid entry or NULL
 *	cache_hit(c, e);			the file is still there
 *	e = cache_put(c, key);			remember a file just read
 *	cache_sweep(c);				after a complete scan
 *	cache_free(c);
 *
 * DESCRIPTION
 *	An entry is keyed by the file's identity (device and inode, see
 *	tally.h) and holds what rescan.c needs to decide whether the file is
 *	unchanged (queue, change time in nanoseconds, size) and what the
 *	file counted for: a verdict and, for a parsed message, an agg_ref
 *	whose key numbers belong to the one aggregate used with this cache.
 *	Renaming a file to another queue, writing to it (Postfix marks
 *	delivered recipients in place) or replacing it changes one of these,
 *	and the file is read again.
 *
 *	cache_sweep() drops the entries that no lookup or put of this scan
 *	touched (files that left the queue): it marks them CACHE_GONE and
 *	unnamed (node 0), and compacts the array, rebuilding the indexes,
 *	once a quarter of it is gone, so memory follows the queue (about
 *	140 bytes per queued file, watched) while a watched scan of a large
 *	queue does not rebuild them for every few files delivered.
 *	cache_find() and cache_find_name() never return a gone entry; a
 *	pass over cache_entries() skips it as it skips any unnamed entry;
 *	cache_size() does not count it, cache_count() does.
 *
 *	For the watched agent (watch.h) an entry also knows where its file
 *	is: the directory's node number and the file's name, set with
 *	cache_name() and found again with cache_find_name(), so that a
 *	change told by name reaches the entry of the file that had it.
 *	cache_entries() and cache_count() let a scan go through every entry
 *	(for the files nothing happened to); cache_find_name() only answers
 *	for an entry whose current name it is.
 *
 *	Not thread-safe: the scan calls it from one thread at a time
 *	(rescan.h says how).
 */
#ifndef PFQ_CACHE_H
#define PFQ_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "buf.h"

enum cache_verdict {
	CACHE_PARSED,			/* counted as a message: ref */
	CACHE_UNPARSEABLE,		/* not a queue file; corrupt queue: ref.size */
	CACHE_GONE,			/* swept, not yet compacted away */
};

struct cache_entry {
	uint64_t key;
	int64_t	ctime_ns;
	uint64_t size;			/* file size */
	uint32_t seen;			/* the scan that last touched it */
	uint32_t changed;		/* the scan its name last changed in */
	uint32_t node;			/* watched: its directory's node + 1 */
	uint32_t name;			/* watched: its name's offset in names */
	uint8_t	namelen;
	uint8_t	queue;			/* enum pfq_queue */
	uint8_t	verdict;		/* enum cache_verdict */
	uint8_t	racy;			/* changed too recently: read it again */
	struct agg_ref ref;
};

struct cache;

struct cache *cache_create(void);
void	cache_free(struct cache *);
void	cache_begin(struct cache *);
struct cache_entry *cache_find(struct cache *, uint64_t);
void	cache_hit(struct cache *, struct cache_entry *);
struct cache_entry *cache_put(struct cache *, uint64_t);
void	cache_name(struct cache *, struct cache_entry *, int, const char *,
	    size_t);
struct cache_entry *cache_find_name(struct cache *, int, const char *, size_t);
struct cache_entry *cache_entries(struct cache *);
size_t	cache_count(const struct cache *);
uint32_t cache_scan(const struct cache *);
struct buf *cache_pool(struct cache *);
const struct agg_dref *cache_drefs(const struct cache *);
void	cache_sweep(struct cache *);
size_t	cache_size(const struct cache *);

#endif
