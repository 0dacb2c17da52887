/*
 * tally.h - count each queue file of a scan once into the sink: the set
 * of files already counted, and the commit into the aggregate under the
 * scan's one lock.
 *
 * SYNOPSIS
 *	t = tally_create(&sink, &rescan_or_NULL, queue_dir_device);
 *	key = tally_key(t, &stat);
 *	l = tally_local_create();		one per thread
 *	tally_parsed(t, l, queue, &facts, &msg, queue_id, &stats);
 *	tally_unparseable(t, l, queue, &facts, &stats);
 *	tally_flush(t, l, &stats);		when the thread's share is done
 *	tally_cached(t, queue, entry, &stats);	told by the rescan cache
 *	tally_local_free(l);
 *	tally_free(t);
 *
 * DESCRIPTION
 *	A file is identified by tally_key(): its inode, mixed with its
 *	device when that is not the queue directory's (a hash directory
 *	that is a mount point). A message counted once in a scan and met
 *	again (its file renamed to a queue walked later) counts in
 *	stats->duplicates, not twice, whether it was read or told by the
 *	cache; an unparseable file in the corrupt queue counts once too.
 *
 *	tally_parsed() and tally_unparseable() take the verdict on a file
 *	just read, from any thread, with that thread's own struct
 *	tally_local and counters. With an aggregate, a parsed message's
 *	keys are cleaned and hashed (agg_prepare) outside the lock, and up
 *	to TALLY_COMMIT_MAX files wait in the tally_local to be counted
 *	under one taking of the lock; tally_flush() counts what waits, and
 *	must be called before the counts are read. With a visitor, each
 *	message is handed to it at once, under the lock, so that it is
 *	never called concurrently. Counting into the aggregate (or the
 *	visitor), the set of files and the rescan cache is the only work
 *	done under the lock.
 *
 *	A file that is not a queue file counts in stats->unparseable; in
 *	the corrupt queue, which holds exactly such files, it also counts
 *	as a message of that queue. With a rescan (rescan.h), every file
 *	read is remembered for the next scan, except parsed duplicates.
 *
 *	tally_cached() counts a file the rescan cache says is unchanged,
 *	from its entry (and in stats->cached unless it is a duplicate); it
 *	takes no lock, so it is called while no other thread tallies.
 *
 *	tally_known() is tally_cached() for the watched scan's files that
 *	nothing happened to: each is known to be counted once already (the
 *	caller skips entries touched in this scan), so the set of files
 *	counted is not consulted.
 *
 *	tally_create() keeps pointers to the sink's aggregate or visitor
 *	and to the rescan, which must outlive the tally. tally_free() and
 *	tally_local_free() release what the create functions allocated.
 *
 * DIAGNOSTICS
 *	A lock that cannot be set up is fatal; nothing else fails.
 */
#ifndef PFQ_TALLY_H
#define PFQ_TALLY_H

#include <sys/stat.h>
#include <sys/types.h>

#include "cache.h"
#include "qmsg.h"
#include "rescan.h"
#include "scan.h"
#include "schema.h"

#define TALLY_COMMIT_MAX	32	/* files counted per lock taken */

struct tally;
struct tally_local;

struct tally *tally_create(const struct scan_sink *, const struct rescan *,
	    dev_t);
void	tally_free(struct tally *);
uint64_t tally_key(const struct tally *, const struct stat *);
struct tally_local *tally_local_create(void);
void	tally_local_free(struct tally_local *);
void	tally_parsed(struct tally *, struct tally_local *, enum pfq_queue,
	    const struct rescan_facts *, const struct qf_msg *, const char *,
	    struct scan_stats *);
void	tally_unparseable(struct tally *, struct tally_local *, enum pfq_queue,
	    const struct rescan_facts *, struct scan_stats *);
void	tally_known(struct tally *, struct cache_entry *, struct scan_stats *);
void	tally_flush(struct tally *, struct tally_local *, struct scan_stats *);
void	tally_cached(struct tally *, enum pfq_queue, struct cache_entry *,
	    struct scan_stats *);

#endif
