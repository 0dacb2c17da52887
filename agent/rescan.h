/*
 * rescan.h - within one scan, which files the rescan cache can tell
 * without reading them, and what it remembers of the files read.
 *
 * SYNOPSIS
 *	rescan_begin(&rs, cache);		at the start of a scan
 *	if (rescan_ready(&rs))			worth a stat before reading
 *		e = rescan_match(&rs, queue, &facts);	unchanged, or NULL
 *	e = rescan_remember(&rs, queue, &facts, parsed);	a file read
 *	rescan_end(&rs, complete);		at the end of the scan
 *
 * DESCRIPTION
 *	A file's facts are what a stat of it says (struct rescan_facts):
 *	its identity (the key of tally_key(), device and inode), change
 *	time and size. rescan_match() returns the cache entry of a file
 *	whose queue, identity, change time and size are what the cache
 *	remembers, and that was not changed within RACY_NS before the scan
 *	that read it; such a file need not be opened. Renaming a file to
 *	another queue, writing to it (Postfix marks delivered recipients in
 *	place) or replacing it changes one of these, and it is read again.
 *
 *	rescan_remember() records a file just read, parsed or not, and
 *	returns its entry, with where the file is when the facts say
 *	(node >= 0, for the watched agent); for a parsed file the caller then fills the
 *	entry's agg_ref (agg_commit). rescan_end() lets the cache forget
 *	the files this scan did not find, after a complete scan only: after
 *	a failed one it keeps what the next scan may reuse.
 *
 *	With a NULL cache every file is read: rescan_ready() is 0 and
 *	rescan_end() does nothing. Like the cache, not thread-safe: the
 *	caller serialises rescan_remember() with its own lock, and calls
 *	rescan_match() while no thread remembers.
 */
#ifndef PFQ_RESCAN_H
#define PFQ_RESCAN_H

#include <stdint.h>

#include "cache.h"
#include "schema.h"

#define RACY_NS		1000000000LL	/* change-time granularity margin */

/* What a stat of a file says, as far as the cache is concerned. */
struct rescan_facts {
	uint64_t key;			/* tally_key(): device and inode */
	int64_t	ctime_ns;
	uint64_t size;			/* file size */
	int	node;			/* watched: its directory's node, or -1 */
	const char *name;		/* watched: its name (valid for the call) */
};

/* Set by rescan_begin(); the scan's modules read it, never write it. */
struct rescan {
	struct cache *cache;		/* NULL: read every file */
	int64_t	racy_ns;		/* files changed since are read again */
};

void	rescan_begin(struct rescan *, struct cache *);
int	rescan_ready(const struct rescan *);
struct cache_entry *rescan_match(const struct rescan *, enum pfq_queue,
	    const struct rescan_facts *);
struct cache_entry *rescan_remember(const struct rescan *, enum pfq_queue,
	    const struct rescan_facts *, int);
void	rescan_end(struct rescan *, int);

#endif
